"""Where things are in the course folder: its root, the assignments, and each student's files in it."""
from __future__ import annotations

import json
import os
from pathlib import Path


class CourseError(Exception):
    """A problem with the course folder or its input, stated with the file at fault."""


def course_root(start: Path | None = None) -> Path:
    """The course root: $COURSE_ROOT, else the nearest folder upward holding nbgrader_config.py."""
    if os.environ.get("COURSE_ROOT"):
        return Path(os.environ["COURSE_ROOT"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    package_root = Path(__file__).resolve().parent.parent
    if (package_root / "nbgrader_config.py").is_file():
        return package_root
    raise CourseError(f"{here}: no nbgrader_config.py here or above; run from the course folder or set COURSE_ROOT")


def assignments(root: Path) -> list[str]:
    """Assignment ids present in source/: folders holding a notebook of the same name."""
    source = root / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def check_assignment(root: Path, assignment: str) -> str:
    """Return `assignment` if source/ holds it, else raise a CourseError naming the ones that exist."""
    known = assignments(root)
    if assignment not in known:
        raise CourseError(f"unknown assignment {assignment!r}: {root / 'source'} holds {', '.join(known) or 'none'}")
    return assignment


def source_notebook(root: Path, assignment: str) -> Path:
    return root / "source" / assignment / f"{assignment}.ipynb"


def release_notebook(root: Path, assignment: str) -> Path:
    return root / "release" / assignment / f"{assignment}.ipynb"


def twin_path(root: Path, assignment: str) -> Path:
    return root / "notebooks" / f"{assignment}.py"


# ---------------------------------------------------------------------------------------------------------------
# each student's files: what collect put in submitted/, what grade wrote in autograded/

INFO_FILE = "collect.json"  # beside each collected notebook: what collect read from its file name


def submitted_notebook(root: Path, student: str, assignment: str) -> Path:
    return root / "submitted" / student / assignment / f"{assignment}.ipynb"


def autograded_notebook(root: Path, student: str, assignment: str) -> Path:
    return root / "autograded" / student / assignment / f"{assignment}.ipynb"


def collected_students(root: Path, assignment: str) -> list[str]:
    """Students with a collected notebook of `assignment` in submitted/."""
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if submitted_notebook(root, p.name, assignment).is_file()) \
        if folder.is_dir() else []


def collect_record(root: Path, student: str, assignment: str) -> dict:
    """What collect wrote of the student's collected notebook (collect.json): file, sha256, time, LMS name and user
    id, ...; {} when nothing was collected or the record cannot be read."""
    try:
        data = json.loads((root / "submitted" / student / assignment / INFO_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def grading_record(root: Path, student: str, assignment: str) -> dict:
    """The autograder metadata (key, status, repairs, flags) of the student's autograded notebook, {} if none."""
    path = autograded_notebook(root, student, assignment)
    try:
        return json.loads(path.read_text()).get("metadata", {}).get("autograder", {})
    except (OSError, ValueError):
        return {}
