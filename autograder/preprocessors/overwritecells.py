"""nbgrader's OverwriteCells, with the notebook's cells read from the gradebook once per unchanged gradebook file.

nbgrader's step asks the gradebook for every cell that has a grade_id (one query, two for a grade cell): some 20
queries per submission, 11 ms of a grading worker's CPU on toy_chain_backprop. A worker reads a private snapshot
of the gradebook that does not change while it grades (autograder.core), so this step reads the notebook's
source, grade and task cells in one session and keeps them for as long as the file is the same (by
`database.file_identity`: path, inode, size, modification time); a gradebook written since (a re-release, or
`nbgrader autograde` recording grades into it) is read again, and a database server is read once per notebook.

Each cell is then checked and restored exactly as nbgrader's `preprocess_cell` does: the same warnings for a
changed cell type, lock, points or checksum, the grade_id removed from a cell the gradebook does not know, the
same MissingEntry for a cell that claims to be graded and is not. With `add_missing_cells` it is nbgrader's own
step (its added cells need the gradebook open).
"""
from __future__ import annotations

from dataclasses import dataclass

from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells

from ..database import file_identity

_READ: dict = {}  # {(gradebook file, notebook, assignment): NotebookCells}: the last gradebook read


@dataclass(frozen=True)
class SourceCell:
    """What OverwriteCells uses of a gradebook's source cell."""
    name: str
    cell_type: str
    locked: bool | None
    checksum: str | None
    source: str


@dataclass(frozen=True)
class NotebookCells:
    """A notebook's cells in the gradebook: its source cells and the max score of its graded cells (grade cells,
    else task cells, as nbgrader's find_graded_cell looks them up)."""
    sources: dict
    max_scores: dict


class OverwriteCells(NbgraderOverwriteCells):
    """nbgrader's OverwriteCells, reading the notebook's cells once per unchanged gradebook file."""

    def preprocess(self, nb, resources):
        if self.add_missing_cells:
            self._cells = None
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self._cells = self._notebook_cells()
        return super(NbgraderOverwriteCells, self).preprocess(nb, resources)

    def _notebook_cells(self) -> NotebookCells:
        key = (file_identity(self.db_url), self.notebook_id, self.assignment_id)
        if key[0] is not None and key in _READ:
            return _READ[key]
        cells = self._read_cells()
        if key[0] is not None and key[0] == file_identity(self.db_url):  # not written while it was read
            _READ.clear()
            _READ[key] = cells
        return cells

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

    def preprocess_cell(self, cell, resources, cell_index):
        if self._cells is None:
            return super().preprocess_cell(cell, resources, cell_index)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", None)
        if grade_id is None:
            return cell, resources

        source_cell = self._cells.sources.get(grade_id)
        if source_cell is None:
            self.log.warning("Cell '{}' does not exist in the database".format(grade_id))
            del cell.metadata.nbgrader["grade_id"]
            return cell, resources

        # check that the cell type hasn't changed
        if cell.cell_type != source_cell.cell_type:
            self.report_change(grade_id, "cell_type", source_cell.cell_type, cell.cell_type)
            self.update_cell_type(cell, source_cell.cell_type)

        # check that the locked status hasn't changed
        if utils.is_locked(cell) != source_cell.locked:
            self.report_change(grade_id, "locked", source_cell.locked, utils.is_locked(cell))
            cell.metadata.nbgrader["locked"] = source_cell.locked

        # if it's a grade cell, check that the max score hasn't changed
        if utils.is_grade(cell):
            if grade_id not in self._cells.max_scores:
                raise MissingEntry("No such grade cell: {}/{}/{}".format(self.assignment_id, self.notebook_id,
                                                                          grade_id))
            old_points = self._cells.max_scores[grade_id]
            new_points = float(cell.metadata.nbgrader["points"])

            if old_points != new_points:
                self.report_change(grade_id, "points", old_points, new_points)
                cell.metadata.nbgrader["points"] = old_points

        # always update the checksum, just in case
        cell.metadata.nbgrader["checksum"] = source_cell.checksum

        # if it's locked, check that the checksum hasn't changed
        if source_cell.locked:
            old_checksum = source_cell.checksum
            new_checksum = utils.compute_checksum(cell)
            if old_checksum != new_checksum:
                self.report_change(grade_id, "checksum", old_checksum, new_checksum)
                cell.source = source_cell.source
                # double check the the checksum is correct now
                if utils.compute_checksum(cell) != source_cell.checksum:
                    raise RuntimeError("Inconsistent checksums for cell {}".format(source_cell.name))

        return cell, resources
