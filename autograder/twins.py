"""Keep every source notebook and its jupytext percent-format twin in notebooks/ the same.

The twin is what people edit and review; the notebook is made from it. Only what the text can hold is
compared: cell types, sources and nbgrader metadata. Markdown attachments (images) live in the notebook and
are kept across a sync; the data-loader cell is always rewritten from autograder/course_data.py, and the hand-in
check (every notebook's last cell) from autograder/handin_check.py.
"""
from __future__ import annotations

import copy
from pathlib import Path

import jupytext
import nbformat

from .course import CourseError, source_notebook, twin_path

FORMAT = "py:percent"
LOADER_GRADE_ID = "course_data"
LOADER_FILE = Path(__file__).with_name("course_data.py")
HANDIN_GRADE_ID = "handin_check"
HANDIN_FILE = Path(__file__).with_name("handin_check.py")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
JUPYTEXT_SETTINGS = {"notebook_metadata_filter": "kernelspec,-jupytext", "cell_metadata_filter": "nbgrader,-all"}


def loader_source() -> str:
    """The data-loader cell's code: the one source of truth every notebook's copy must equal."""
    return LOADER_FILE.read_text().rstrip("\n")


def handin_source() -> str:
    """The hand-in check cell's code: the one source of truth every notebook's last cell must equal."""
    return HANDIN_FILE.read_text().rstrip("\n")


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def canonical(nb, previous=None):
    """A copy of `nb` in the form committed to source/: stable ids, no outputs, kernelspec only, the loader and the
    hand-in check current.

    `previous` (the notebook being replaced) supplies markdown attachments, matched by grade_id.
    """
    nb = copy.deepcopy(nb)
    attachments = {grade_id(c): c["attachments"] for c in (previous.cells if previous else [])
                   if c.get("attachments") and grade_id(c)}
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC)})
    nb.nbformat, nb.nbformat_minor = 4, 5
    seen = set()
    for index, cell in enumerate(nb.cells):
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k == "nbgrader"})
        gid = grade_id(cell)
        if gid in seen:
            raise CourseError(f"grade_id {gid!r} is used by more than one cell (cell {index})")
        cell["id"] = gid if gid else f"cell-{index}"
        seen.add(gid)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if gid == LOADER_GRADE_ID:
                cell.source = loader_source()
            elif gid == HANDIN_GRADE_ID:
                cell.source = handin_source()
        if cell.cell_type == "markdown" and gid in attachments:
            cell["attachments"] = attachments[gid]
        elif "attachments" in cell and not cell["attachments"]:
            del cell["attachments"]
    return nb


def to_text(nb) -> str:
    """The twin text of a notebook."""
    nb = copy.deepcopy(nb)
    nb.metadata["jupytext"] = dict(JUPYTEXT_SETTINGS)
    return jupytext.writes(nb, fmt=FORMAT)


def from_text(text: str, previous=None):
    """The canonical notebook of a twin text."""
    nb = jupytext.reads(text, fmt=FORMAT)
    for cell in nb.cells:
        cell.metadata.pop("lines_to_next_cell", None)
    return canonical(nb, previous)


def notebook_text(nb) -> str:
    """The exact text nbformat.write puts in a file for `nb`."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def differences(root: Path, assignment: str) -> list[str]:
    """What differs between a source notebook and its twin (empty when in sync)."""
    nb_path, text_path = source_notebook(root, assignment), twin_path(root, assignment)
    if not text_path.is_file():
        return [f"{text_path}: missing twin of {nb_path}"]
    nb = nbformat.read(nb_path, as_version=4)
    problems = []
    if to_text(canonical(nb, nb)) != text_path.read_text():
        problems.append(f"{text_path} and {nb_path} differ: run `python -m autograder sync {assignment}`")
    if notebook_text(canonical(nb, nb)) != nb_path.read_text():
        problems.append(f"{nb_path} is not in canonical form (outputs, ids or the data-loader cell): "
                        f"run `python -m autograder sync {assignment} --from-notebook`")
    return problems


def sync(*, root: Path, assignment: str, from_notebook: bool = False) -> Path:
    """Make the twin and the source notebook agree. Returns the path written."""
    nb_path, text_path = source_notebook(root, assignment), twin_path(root, assignment)
    previous = nbformat.read(nb_path, as_version=4) if nb_path.is_file() else None
    if from_notebook:
        if previous is None:
            raise CourseError(f"{nb_path}: no such notebook")
        nb = canonical(previous, previous)
        nbformat.write(nb, nb_path)
        text_path.parent.mkdir(parents=True, exist_ok=True)
        text_path.write_text(to_text(nb))
        return text_path
    if not text_path.is_file():
        raise CourseError(f"{text_path}: no such twin")
    try:
        nb = from_text(text_path.read_text(), previous)
    except Exception as exc:  # jupytext's errors do not name the file
        raise CourseError(f"{text_path}: {exc}") from exc
    nbformat.validate(nb)
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, nb_path)
    text_path.write_text(to_text(nb))  # normalise the twin to the canonical text
    return nb_path
