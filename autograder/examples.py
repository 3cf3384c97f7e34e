"""examples: make examples/submissions/<assignment>/, an LMS download of six example submissions.

For every assignment in source/, from its source (the solutions) and release notebooks:

  aa0001  full     the solution answers, named by the course rule
  aa0002  partial  every answer solved but the last graded one (the answer just before the last test cell),
                   left as released; a Canvas name
  aa0003  blank    the release as handed out, saved by Colab ("Copy of ...")
  aa0004  late     the solution answers, marked LATE by Canvas, handed in after the deadline that same day
  (none)  misnamed the solution answers in a file whose name breaks the rule: collect rejects it
  aa0005  damaged  the solution answers after Colab and copy-paste: every cell's nbgrader metadata gone, an
                   answer cell turned into Markdown, the first answer cell duplicated, the first test cell
                   deleted; a Canvas resubmission (-1). Repair restores it to full marks.

plus submission_times.csv (times relative to the deadline in nbgrader_config.py). The files are committed;
`python -m autograder examples` regenerates them, and the demo makes them for an assignment that has none.
"""
from __future__ import annotations

import copy
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import nbformat

from .course import CourseError, assignments as all_assignments, check_assignment, release_notebook, \
    source_notebook
from .mutation import inject, solution_answers
from .nbconfig import load_config

EXAMPLES = Path("examples") / "submissions"
TIMES_FILE = "submission_times.csv"
KINDS = {"aa0001": "full", "aa0002": "partial", "aa0003": "blank", "aa0004": "late", "aa0005": "damaged"}
EXPECTED = {"full": "full marks", "partial": "part of the marks", "blank": "0", "late": "full marks less 30%",
            "damaged": "full marks after repair", "misnamed": "rejected by collect (bad name)"}
NO_DEADLINE = datetime(2025, 1, 10, 17, 0)  # times for an assignment without a configured deadline


def examples_folder(root: Path, assignment: str) -> Path:
    return root / EXAMPLES / assignment


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def last_graded_answer(source) -> str | None:
    """The code answer cell closest before the last autograded test cell: leaving it out loses that question."""
    answer = chosen = None
    for cell in source.cells:
        meta = _meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            answer = meta.get("grade_id")
        elif meta.get("grade") and cell.cell_type == "code":
            chosen = answer
    return chosen


def damage(nb):
    """What Colab and copy-paste do to a notebook: metadata gone, a cell retyped, one duplicated, one deleted."""
    nb = copy.deepcopy(nb)
    answers = [i for i, c in enumerate(nb.cells) if _meta(c).get("solution") and c.cell_type == "code"]
    tests = [i for i, c in enumerate(nb.cells) if _meta(c).get("grade") and not _meta(c).get("solution")]
    if answers:
        last = nb.cells[answers[-1]]
        last.cell_type = "markdown"
        last.pop("outputs", None)
        last.pop("execution_count", None)
    if tests:
        del nb.cells[tests[0]]
    if answers:
        twin = copy.deepcopy(nb.cells[answers[0]])
        twin["id"] = twin["id"] + "-copy"
        nb.cells.insert(answers[0] + 1, twin)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nb.metadata.pop("kernelspec", None)
    nb.metadata["colab"] = {"provenance": []}
    return nb


def _file_name(config, assignment: str, student: str) -> str:
    from .collect import CourseFileNames

    names = CourseFileNames(config=config)
    rule = names.file_names.get(assignment, names.default_file_name)
    if "(?P<" in rule:
        raise CourseError(f"CourseFileNames.file_names[{assignment!r}] holds a regex group: name the examples by hand")
    return rule.format(assignment=assignment, student_id=student)


def submissions(root: Path, assignment: str) -> dict[str, object]:
    """The example notebooks of `assignment`: file name -> notebook."""
    source = nbformat.read(source_notebook(root, assignment), as_version=4)
    path = release_notebook(root, assignment)
    if not path.is_file():
        raise CourseError(f"{path}: no release; run `python -m autograder release {assignment}` first")
    release = nbformat.read(path, as_version=4)
    answers = solution_answers(source)
    full = inject(release, answers, where=str(path))
    partial = {gid: text for gid, text in answers.items() if gid != last_graded_answer(source)}
    config = load_config(root)
    name = lambda student: _file_name(config, assignment, student)
    return {
        f"{name('aa0001')}.ipynb": full,
        f"studentaa0002_1000002_2000002_{name('aa0002')}.ipynb": inject(release, partial, where=str(path)),
        f"Copy of {name('aa0003')}.ipynb": release,
        f"studentaa0004_LATE_1000004_2000004_{name('aa0004')}.ipynb": full,
        "my_homework_final.ipynb": full,
        f"studentaa0005_1000005_2000005_{name('aa0005')}-1.ipynb": damage(full),
    }


def _times(root: Path, assignment: str, files: list[str]) -> str:
    from .late import LatePolicy

    policy = LatePolicy(config=load_config(root))
    deadline = policy.deadline(assignment) or NO_DEADLINE
    late = deadline + timedelta(hours=2)
    if policy.deadline(assignment) and policy.fraction(deadline, late) != policy.same_day_penalty:
        late = deadline + timedelta(minutes=1)  # a deadline late in the day: one minute after it
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "submitted_at"])
    for file in files:
        when = late if "_LATE_" in file else deadline - timedelta(hours=1)
        writer.writerow([file, when.strftime("%Y-%m-%d %H:%M:%S+00:00")])
    return out.getvalue()


def generate_examples(*, root: Path, assignments: list[str] | None = None) -> list[Path]:
    """Write examples/submissions/<a>/ for each assignment (all in source/ by default); returns the folders."""
    names = [check_assignment(root, a) for a in assignments] if assignments else all_assignments(root)
    written = []
    for assignment in names:
        notebooks = submissions(root, assignment)
        folder = examples_folder(root, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            if old.name not in notebooks:
                old.unlink()
        for file, nb in notebooks.items():
            nbformat.write(nb, folder / file)
        (folder / TIMES_FILE).write_text(_times(root, assignment, sorted(notebooks)))
        written.append(folder)
    return written
