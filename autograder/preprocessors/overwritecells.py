"""nbgrader's OverwriteCells, with the notebook's cells read from the gradebook once per unchanged gradebook file.

nbgrader's step asks the gradebook for every cell that has a grade_id (one query, two for a grade cell): some 20
queries per submission, 11 ms of a grading worker's CPU on toy_chain_backprop. A worker reads a private snapshot
of the gradebook that does not change while it grades (autograder.core), so this step reads the notebook's
source, grade and task cells in one session and keeps them for as long as the file is the same
(`database.read_once`, by `database.file_identity`: path, inode, size, modification time, SQLite's change
counter); a gradebook written since (a re-release, or
`nbgrader autograde` recording grades into it) is read again, and a database server is read once per notebook.

Each cell is then checked and restored by nbgrader's own `preprocess_cell`, whose two gradebook lookups
(`find_source_cell`, `find_graded_cell`) `ReadCells` answers from what was read: the same warnings for a changed
cell type, lock, points or checksum, the grade_id removed from a cell the gradebook does not know, the same
MissingEntry for a cell that claims to be graded and is not. With `add_missing_cells` it is nbgrader's own step
(its added cells need the gradebook open).
"""
from __future__ import annotations

from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells

from ..database import read_once


@dataclass(frozen=True)
class SourceCell:
    """What OverwriteCells uses of a gradebook's source cell."""
    name: str
    cell_type: str
    locked: bool | None
    checksum: str | None
    source: str


@dataclass(frozen=True)
class GradedCell:
    """What OverwriteCells uses of a gradebook's grade (or task) cell."""
    name: str
    max_score: float


@dataclass(frozen=True)
class NotebookCells:
    """A notebook's cells in the gradebook: its source cells and the max score of its graded cells (grade cells,
    else task cells, as nbgrader's find_graded_cell looks them up)."""
    sources: dict
    max_scores: dict


class ReadCells:
    """The two lookups nbgrader's OverwriteCells.preprocess_cell makes in its Gradebook, answered from the cells
    read once (the same rows, the same MissingEntry)."""

    def __init__(self, cells: NotebookCells):
        self.cells = cells

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> SourceCell:
        if name not in self.cells.sources:
            raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}")
        return self.cells.sources[name]

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> GradedCell:
        if name not in self.cells.max_scores:
            raise MissingEntry(f"No such grade cell: {assignment}/{notebook}/{name}")
        return GradedCell(name, self.cells.max_scores[name])


class OverwriteCells(NbgraderOverwriteCells):
    """nbgrader's OverwriteCells (its preprocess_cell unchanged), reading the notebook's cells once per unchanged
    gradebook file."""

    def preprocess(self, nb, resources):
        if self.add_missing_cells:
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = ReadCells(self._notebook_cells())
        return super(NbgraderOverwriteCells, self).preprocess(nb, resources)

    def _notebook_cells(self) -> NotebookCells:
        return read_once(self.db_url, "OverwriteCells", (self.notebook_id, self.assignment_id), self._read_cells)

    def _read_cells(self) -> NotebookCells:
        with Gradebook(self.db_url) as gb:
            try:
                notebook = gb.find_notebook(self.notebook_id, self.assignment_id)
            except MissingEntry:  # every cell is then unknown, as nbgrader finds each one missing
                return NotebookCells({}, {})
            sources = {c.name: SourceCell(c.name, c.cell_type, c.locked, c.checksum, c.source)
                       for c in notebook.source_cells}
            max_scores = {c.name: float(c.max_score) for c in notebook.task_cells}
            max_scores.update({c.name: float(c.max_score) for c in notebook.grade_cells})
        return NotebookCells(sources, max_scores)
