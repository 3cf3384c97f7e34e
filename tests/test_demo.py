"""Are the example submissions what their names say and current, and does the demo run the whole job on them,
the similarity report finding the planted copy?"""
import csv
import re
import shutil

import pytest

from autograder.examples import COPIED, KINDS, TIMES_FILE, _times, examples_folder, submissions
from autograder.late import LatePolicy
from autograder.nbconfig import load_config
from autograder.twins import notebook_text
from conftest import ASSIGNMENTS
from fixtures.coursefolder import REFERENCE, ROOT, add_written_answer, cli, make_course

A = REFERENCE
WITH_EXAMPLES = [a for a in ASSIGNMENTS if examples_folder(ROOT, a).is_dir()]


def test_seven_examples_of_the_right_kinds():
    """Are there full, partial, blank, late, misnamed, damaged and copied examples, named the way each kind is?"""
    made = submissions(ROOT, A)
    assert len(made) == 7
    names = sorted(made)
    assert sum(f"_{s}" in n for n in names for s in KINDS) == 6        # six named students, one misnamed
    assert any(n.startswith("Copy of ") for n in names)                # Colab
    assert sum("_LATE_" in n for n in names) == 1                      # Canvas late mark
    assert any(n.endswith("-1.ipynb") for n in names)                  # Canvas resubmission
    damaged = next(nb for n, nb in made.items() if "aa0005" in n)
    assert not any("nbgrader" in c.metadata for c in damaged.cells)


def test_the_copy_is_disguised_and_still_right():
    """Does the planted copy hand in aa0004's answers with other names, comments and layout (the late example's
    answers are other correct answers than the model's), and the same code once names and layout are set aside?"""
    import nbformat

    from autograder.course import source_notebook
    from autograder.mutation import solution_answers
    from autograder.similarity import answer_cells, code_tokens

    made = submissions(ROOT, A)
    late, copy = (answer_cells(next(nb for n, nb in made.items() if s in n)) for s in COPIED)
    model = solution_answers(nbformat.read(source_notebook(ROOT, A), as_version=4))
    own = [g for g, (kind, text) in late.items() if kind == "code" and text != model[g]]
    assert own and all(copy[g][1] != late[g][1] for g in own)
    names = lambda text: set(re.findall(r"[^\W\d]\w*", text))
    assert all(names(copy[g][1]) != names(late[g][1]) for g in own)                       # renamed, re-commented
    symbols = lambda text: sorted(t.symbol for t in code_tokens(text))
    assert all(symbols(copy[g][1]) == symbols(late[g][1]) for g in own)                   # the same code


def test_the_late_example_is_late_that_day():
    """Is the late example's time after the deadline but before the day's cut-off (a 30% penalty)?"""
    policy = LatePolicy(config=load_config(ROOT))
    rows = list(csv.DictReader(_times(ROOT, A, sorted(submissions(ROOT, A))).splitlines()))
    late = [policy.parse_time(r["submitted_at"]) for r in rows if "_LATE_" in r["file"]]
    others = [policy.parse_time(r["submitted_at"]) for r in rows if "_LATE_" not in r["file"]]
    deadline = policy.deadline(A)
    assert len(late) == 1 and policy.fraction(deadline, late[0]) == policy.same_day_penalty
    assert all(t < deadline for t in others)


@pytest.mark.parametrize("assignment", WITH_EXAMPLES)
def test_committed_examples_are_current(assignment):
    """Are the committed examples/submissions/<a>/ what `python -m autograder examples` makes now?"""
    folder = examples_folder(ROOT, assignment)
    made = submissions(ROOT, assignment)
    stale = sorted(set(made) ^ {p.name for p in folder.glob("*.ipynb")})
    stale += [name for name, nb in made.items()
              if (folder / name).is_file() and (folder / name).read_text() != notebook_text(nb)]
    if (folder / TIMES_FILE).read_text() != _times(ROOT, assignment, sorted(made)):
        stale.append(TIMES_FILE)
    assert not stale, f"stale examples {stale}: run `python -m autograder examples {assignment}`"


@pytest.mark.slow
def test_demo_runs_the_whole_job(tmp_path):
    """On a fresh course folder, does the demo release, collect, grade and report the examples, print the score
    table with every example's expected outcome, and skip everything on a second run?"""
    course = make_course(tmp_path / "course")
    (course / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / f"{A}.py", course / "notebooks" / f"{A}.py")
    if examples_folder(ROOT, A).is_dir():
        shutil.copytree(examples_folder(ROOT, A), examples_folder(course, A))
    done = cli(course, "demo", A)
    assert done.returncode == 0, done.stdout + done.stderr
    table = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith(("aa000", "zz9", "-  "))}
    assert sorted(table) == ["-", "aa0001", "aa0002", "aa0003", "aa0004", "aa0005", "zz9999"]
    assert "20/20" in table["aa0001"] and "-6" in table["aa0004"] and "rejected" in table["-"]
    assert "20/20" in table["zz9999"]
    assert (course / "gradebook.db").is_file() and (course / "reports" / A / "grades.csv").is_file()
    assert "6 submissions compared, 1 pair flagged" in done.stdout and "\n  aa0004 and zz9999: " in done.stdout
    rows = list(csv.DictReader((course / "reports" / A / "similarity.csv").open(newline="")))
    assert {(r["student_a"], r["student_b"]) for r in rows if r["flagged"] == "yes"} == {COPIED}
    assert "aa0004 and zz9999" in (course / "reports" / A / "similarity.html").read_text()
    again = cli(course, "demo", A)
    assert again.returncode == 0 and "6 unchanged since the last run" in again.stdout


@pytest.mark.slow
def test_demo_says_written_answers_are_not_graded_yet(tmp_path):
    """With a written answer in the assignment (graded by hand, 5 points), does the demo's table say on each row
    that answered it that it is not graded yet (the blank example's untouched answer scores 0, as nbgrader does),
    and explain why full marks show only the autograded points, with no canvas.csv written?"""
    course = make_course(tmp_path / "course")
    add_written_answer(course)
    (course / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / f"{A}.py", course / "notebooks" / f"{A}.py")
    cli(course, "sync", A, "--from-notebook", check=True)  # the twin follows the source, as an author does
    done = cli(course, "demo", A)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    head = next(line for line in lines if line.startswith("student"))
    assert "not graded yet" in head
    table = {line.split()[0]: line for line in lines if line.startswith(("aa000", "zz9"))}
    assert head.split()[-1] == "expected" and "20/25" in table["aa0001"], done.stdout
    assert [s for s, row in table.items() if "1 written (5 pts)" in row] == [s for s in table if s != "aa0003"]
    assert "not graded yet: 5 of the 25 points are written answers" in done.stdout
    assert not (course / "reports" / A / "canvas.csv").exists()
