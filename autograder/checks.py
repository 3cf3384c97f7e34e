"""Proofs about a release: it leaks no solution or hidden test, and it is what nbgrader makes from source now."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from .course import release_notebook, source_notebook

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")
REGIONS = {"solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
           "hidden test": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")}
MIN_SECRET_CHARS = 6  # shorter lines ("else:", "pass") say nothing about the answer


def _inside(lines, begin, end) -> list[bool]:
    """For each line, whether it lies strictly between a `begin` and an `end` marker line."""
    inside, flags = False, []
    for line in lines:
        if begin in line:
            inside = True
            flags.append(False)
        elif end in line:
            inside = False
            flags.append(False)
        else:
            flags.append(inside)
    return flags


def secret_lines(nb) -> dict[str, str]:
    """Lines of the source notebook that students must never see, mapped to what they are.

    A line counts when it is in a solution region (or a whole solution cell without markers) or a hidden-test
    region, and does not also appear in the public part of the notebook (anywhere outside those regions).
    """
    secret, public = {}, set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        lines = cell.source.splitlines()
        kind = [None] * len(lines)
        if meta.get("solution"):
            if any(REGIONS["solution"][0] in line for line in lines):
                kind = ["solution" if f else None for f in _inside(lines, *REGIONS["solution"])]
            else:
                kind = ["solution"] * len(lines)
        elif meta.get("grade"):
            kind = ["hidden test" if f else None for f in _inside(lines, *REGIONS["hidden test"])]
        for line, what in zip(lines, kind):
            if what is None:
                public.add(line.strip())
            else:
                secret.setdefault(line.strip(), f"{what} line of cell {meta.get('grade_id')!r}")
    return {line: what for line, what in secret.items()
            if len(line) >= MIN_SECRET_CHARS and re.search(r"\w", line) and line not in public}


def _release_texts(folder: Path):
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".ipynb":
            nb = json.loads(path.read_text())
            for index, cell in enumerate(nb["cells"]):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                outputs = json.dumps(cell.get("outputs", []))
                yield f"{path} cell {index}", source + "\n" + outputs
        else:
            try:
                yield str(path), path.read_text()
            except UnicodeDecodeError:
                yield str(path), path.read_bytes().decode("latin-1")


def leaks(root: Path, assignment: str, release_dir: Path | None = None) -> list[str]:
    """Every place in release/<assignment> that shows a solution line, a hidden-test line or a marker."""
    secret = secret_lines(nbformat.read(source_notebook(root, assignment), as_version=4))
    folder = release_dir or release_notebook(root, assignment).parent
    if not folder.is_dir():
        return [f"{folder}: no release; run `python -m autograder release {assignment}`"]
    found = []
    for where, text in _release_texts(folder):
        for marker in MARKERS:
            if marker in text:
                found.append(f"{where}: contains the marker {marker!r}")
        for line in text.splitlines():
            if line.strip() in secret:
                found.append(f"{where}: shows the {secret[line.strip()]}: {line.strip()[:80]!r}")
    return found


def stale(committed: Path, fresh: Path) -> list[str]:
    """Files that differ between the committed release folder and a freshly generated one."""
    problems = []
    names = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()} if committed.is_dir() else set()
    fresh_names = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    for name in sorted(names | fresh_names):
        a, b = committed / name, fresh / name
        if not a.is_file():
            problems.append(f"{a}: missing from the committed release")
        elif not b.is_file():
            problems.append(f"{a}: not made from source any more")
        elif a.read_bytes() != b.read_bytes():
            problems.append(f"{a}: differs from what generate_assignment makes from source now")
    if problems:
        problems.append(f"run `python -m autograder release {committed.name}` and commit release/")
    return problems
