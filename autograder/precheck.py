"""precheck: what the hand-in service (autograder.serve) checks of a submission, at receipt and once graded.

- at receipt (`receive`): the notebook's JSON (nbformat 4), that it is this assignment's notebook (collect's rule:
  the cells of another assignment, or less than CourseFileNames.min_resemblance of the release's provided cells,
  refuse it), and its file name by collect's naming rule (CourseFileNames): a name of another assignment or one
  carrying another student's id refuses it; a missing or loose name is only a note;
- the visible checks (`visible_snapshot`): the workers grade against a cells snapshot whose test cells are the
  RELEASE's, so a hidden test never runs, and nothing hidden is reported, before the deadline;
- per question (`check_results`): each autograded test cell of the graded notebook, its points as nbgrader's
  determine_grade gives them, and the visible check's error (or "not run").
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .collect import CourseFileNames, check_content
from .course import CourseError, release_notebook
from .gradebook import write_snapshot
from .readnotebook import NotebookFileError, parse_json


class Refusal(Exception):
    """A submission refused at receipt: the HTTP `status` and the message that names the problem."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Received:
    problems: tuple[str, ...]    # notes on the file (name, ...)


def check_name(names: CourseFileNames, file_name: str, assignment: str, student: str) -> list[str]:
    """Notes on the student's file name by collect's naming rule; a Refusal for another assignment's name or one
    carrying another student's id."""
    if not file_name:
        try:
            expected = f": as a file it would be named {names.file_stem(assignment, student)}.ipynb"
        except CourseError:  # a rule with a regex group makes no name
            expected = ""
        return [f"no file name was sent (X-Notebook-Name){expected}"]
    name = names.parse(file_name, assignment)
    if name.student is not None and name.student != student:
        raise Refusal(403, f"the notebook's name {file_name!r} carries the student id {name.student}, not yours "
                           f"({student}): a notebook is handed in by its own student only; nothing was stored")
    if name.problem.startswith("wrong assignment"):
        raise Refusal(422, f"the notebook's name {file_name!r} is not {assignment}'s: {name.problem}; nothing was "
                           "stored")
    return [f"{file_name}: {name.problem}"] if name.problem else []


def receive(*, data: bytes, assignment: str, student: str, file_name: str, names: CourseFileNames, release_nb,
            known_ids: dict[str, set[str]]) -> Received:
    """The submission checked as collect checks it (collect.check_content), or a Refusal saying why not."""
    where = file_name or "the notebook sent"
    try:
        raw = parse_json(data, where=where)
        if raw.get("nbformat") != 4:
            raise NotebookFileError(where, f"is nbformat {raw.get('nbformat')!r}, not a notebook of nbformat 4")
    except NotebookFileError as exc:
        raise Refusal(400, f"{exc.path} {exc.problem}: not a notebook; nothing was stored") from None
    problems = check_name(names, file_name, assignment, student)
    reason, detail = check_content(data, release_nb, known_ids, assignment, names.min_resemblance)
    if reason == "wrong assignment":
        raise Refusal(422, f"{where}: {detail}: not {assignment}'s notebook; nothing was stored")
    if reason:
        raise Refusal(400, f"{where}: {reason}: {detail}; nothing was stored")
    return Received(tuple(problems))


def visible_snapshot(config, *, root: Path, assignment: str, path: Path) -> None:
    """Write to `path` the workers' cells snapshot (gradebook.write_snapshot) with each test cell's source made
    the release's, which holds the visible checks only (nbgrader's OverwriteCells restores test cells from it)."""
    from nbgrader.utils import compute_checksum

    write_snapshot(config, assignment, path)
    release_nb = nbformat.read(release_notebook(root, assignment), as_version=4)
    db = sqlite3.connect(path)
    try:
        for cell in release_nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
                db.execute("UPDATE source_cell SET source = ?, checksum = ? WHERE name = ?",
                           (cell.source, compute_checksum(cell), meta["grade_id"]))
        db.commit()
    finally:
        db.close()


def check_results(notebook_json: str) -> list[dict]:
    """One entry per autograded test cell of a graded notebook: grade_id, points (its maximum), score, passed,
    and a short message: the visible check's error ("AssertionError: ...") or "not run"."""
    from nbgrader.utils import determine_grade

    nb = nbformat.reads(notebook_json, as_version=4)
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        score, points = determine_grade(cell, None)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        message = ""
        if any(o.get("ename") == "NotRun" for o in errors):  # core.fail_cells: a test cell never reached
            message = "not run"
        elif errors:
            ename, evalue = errors[0].get("ename", "Error"), str(errors[0].get("evalue", "")).strip()
            message = f"{ename}: {evalue}"[:400] if evalue else ename
        elif score != points:
            stderr = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")
            message = f"wrote to stderr: {stderr.strip()[:300]}" if stderr.strip() else \
                f"partial credit: {score:g} of {points:g}"
        found.append({"grade_id": meta["grade_id"], "points": float(points or 0), "score": float(score or 0),
                      "passed": not errors and score == points and message != "not run", "message": message})
    return found
