"""release: make the student version of each assignment with nbgrader, then prove it leaks nothing."""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .checks import leaks, stale
from .course import CourseError, assignments as all_assignments, check_assignment, release_notebook, source_notebook
from .nbconfig import load_config, nbgrader_api
from .twins import differences


@dataclass(frozen=True)
class Released:
    assignment: str
    notebook: Path


def generate(*, root: Path, assignment: str, into: Path | None = None, db_path: Path | None = None) -> Path:
    """Run nbgrader generate_assignment for `assignment`, into `into` (a course folder) or the course itself.

    Returns the release notebook's path. Raises CourseError carrying nbgrader's message on failure.
    """
    if into is not None:
        into.mkdir(parents=True, exist_ok=True)
        if not (into / "source").exists():
            (into / "source").symlink_to(root / "source", target_is_directory=True)
    config = load_config(root, course_root=into, db_path=db_path)
    result = nbgrader_api(config).generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(f"{source_notebook(root, assignment)}: nbgrader generate_assignment failed:\n"
                          f"{result.get('log', '')}{result.get('error', '')}")
    return release_notebook(into or root, assignment)


def validate(*, root: Path, assignment: str) -> None:
    """nbgrader validate on the source notebook: its solutions must pass every visible and hidden test."""
    from nbgrader.validator import Validator

    path = source_notebook(root, assignment)
    result = Validator(config=load_config(root)).validate(str(path))
    problems = [kind for kind in ("changed", "failed", "passed") if result.get(kind)]
    if problems:
        details = "\n".join(f"  cell {c.get('source', '')[:200]!r}: {c.get('error', '')[:500]}"
                            for kind in problems for c in result[kind])
        raise CourseError(f"{path}: the solution does not pass its own tests ({', '.join(problems)}):\n{details}")


def release(*, root: Path, assignments: list[str] | None = None, check_source: bool = True) -> list[Released]:
    """Generate release/<a>/ for each assignment (all by default) after checking the source, then prove it clean.

    A source whose twin disagrees, whose solutions fail their tests, or whose release would leak a solution or
    hidden test stops the release with a CourseError naming the notebook.
    """
    names = [check_assignment(root, a) for a in assignments] if assignments else all_assignments(root)
    done = []
    for assignment in names:
        problems = differences(root, assignment)
        if problems:
            raise CourseError("\n".join(problems))
        if check_source:
            validate(root=root, assignment=assignment)
        notebook = generate(root=root, assignment=assignment)
        problems = leaks(root, assignment)
        if problems:
            shutil.rmtree(notebook.parent)
            raise CourseError("\n".join(problems))
        done.append(Released(assignment, notebook))
    return done


def staleness(*, root: Path, assignment: str) -> list[str]:
    """What differs between the committed release/<assignment> and what generate_assignment makes now."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(root=root, assignment=assignment, into=Path(tmp) / "course", db_path=Path(tmp) / "gb.db")
        return stale(release_notebook(root, assignment).parent, fresh.parent)
