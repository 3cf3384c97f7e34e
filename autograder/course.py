"""Where things are in the course folder."""
from __future__ import annotations

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
