"""Do the source notebooks run, pass their own tests, and carry the points and grade ids the course expects?"""
import os
import re
import subprocess
import sys
from datetime import datetime

import nbformat

from autograder.collect import CourseFileNames
from autograder.course import source_notebook
from autograder.late import LatePolicy
from autograder.nbconfig import load_config
from autograder.release import validate
from autograder.twins import grade_id
from conftest import ROOT, per_assignment

TOTAL_POINTS = {"lab7_optimizers": 80, "toy_chain_backprop": 20, "wine_mlp_backprop": 100,
                "rosenbrock_gd_momentum": 100, "moons_tanh_net": 100, "mnist_two_layer_net": 100}


@per_assignment
def test_runs_top_to_bottom(assignment):
    """Does the source notebook run top to bottom in a fresh kernel (nbval), every cell without error?"""
    notebook = source_notebook(ROOT, assignment)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                           "--nbval-lax", "--nbval-cell-timeout=300", "-o", "addopts=", str(notebook)],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:]


@per_assignment
def test_solutions_pass_every_test(assignment):
    """Does `nbgrader validate` find every visible and hidden test passing on the solution?"""
    validate(root=ROOT, assignment=assignment)


@per_assignment
def test_points_add_up(assignment):
    """Do the points of the graded cells add up to the assignment's total?"""
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    points = sum(c.metadata["nbgrader"].get("points", 0) for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert points == TOTAL_POINTS[assignment]


@per_assignment
def test_grade_ids_come_in_pairs(assignment):
    """Is every autograded test cell named test_<x>, and does every answer function cell have its test?"""
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    ids = [grade_id(c) for c in nb.cells]
    assert len(ids) == len(set(ids)), "duplicate grade ids"
    tests = [grade_id(c) for c in nb.cells if c.cell_type == "code" and c.metadata["nbgrader"].get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    assert tests and all(t.startswith("test_") for t in tests), tests
    answers = {grade_id(c) for c in nb.cells if c.cell_type == "code" and c.metadata["nbgrader"].get("solution")}
    unpaired = [t for t in tests if t.removeprefix("test_") not in answers]
    assert not unpaired, f"test cells without an answer cell of the same name: {unpaired}"


def _opening_cell(assignment: str) -> str:
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    return nb.cells[0].source


@per_assignment
def test_opening_cell_names_a_file_the_grader_accepts(assignment):
    """Does the opening cell name the file to hand in, and does `collect` read the student id from that name?"""
    named = re.findall(r"`([^`<>]+\.ipynb)`", _opening_cell(assignment))
    examples = [n for n in named if re.search(r"[a-z]{2}[0-9]{4}", n)]
    assert examples, f"{assignment}: the opening cell names no example file to hand in (e.g. `..._aa1234.ipynb`)"
    rules = CourseFileNames(config=load_config(ROOT))
    for example in examples:
        name = rules.parse(example, assignment)
        assert name.student and name.student in example.lower(), f"{assignment}: {example}: {name.problem}"


@per_assignment
def test_opening_cell_states_the_deadline_the_late_rule_and_the_course_rules(assignment):
    """Does the opening cell give the configured deadline, the late rule, the AI rule, and nothing students lack?"""
    opening = " ".join(_opening_cell(assignment).split())
    config = LatePolicy(config=load_config(ROOT))
    deadline = datetime.strptime(config.deadlines[assignment], "%Y-%m-%d %H:%M")
    assert f"the deadline is {deadline:%H:%M} on {deadline:%A} {deadline.day} {deadline:%B %Y} (uk time)".lower() in opening.lower()
    assert config.timezone == "Europe/London"
    late = (f"after the deadline but by {config.cutoff} that day loses {round(config.same_day_penalty * 100)}% of its "
            f"score; a later one scores 0")
    assert late in opening and config.after_cutoff_penalty == 1.0
    assert "Use of AI is strictly prohibited" in opening and "any AI tool" in opening
    assert "hand-in check" in opening.lower()
    students_lack = re.findall(r"`?(?:benchmarks|docs|autograder|tests|source)/[\w./]*`?|nbgrader_config", opening)
    assert not students_lack, f"{assignment}: the opening cell points to {students_lack}, which students do not have"


def _stated_run_times(text: str) -> list[tuple[str, str]]:
    """The (student, graded) run times a text states, as written ("about 40 s", "2 min")."""
    return re.findall(r"runs? top to bottom in (about [0-9.]+ (?:s|min)) as a student and (about [0-9.]+ (?:s|min)) "
                      r"when graded", " ".join(text.split()))


@per_assignment
def test_opening_cell_states_the_measured_run_time(assignment):
    """Does the opening cell state how long the notebook runs, as the README's table of measured times says?"""
    opening = _opening_cell(assignment)
    stated = _stated_run_times(opening)
    assert len(stated) == 1 and "measured on a 2-core machine" in " ".join(opening.split()), (
        f"{assignment}: the opening cell must say once 'runs top to bottom in about ... as a student and about ... "
        f"when graded (measured on a 2-core machine ...)'")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{assignment}` \|.*?\| (about [0-9.]+ (?:s|min)) \| (about [0-9.]+ (?:s|min)) \|",
                    readme, re.M)
    assert row, f"README.md: no run-time row for {assignment}"
    assert stated[0] == row.groups(), f"{assignment}: the notebook states {stated[0]}, the README {row.groups()}"


@per_assignment
def test_every_hand_graded_answer_has_a_model_answer_and_a_breakdown(assignment):
    """Does every hand-graded cell give the TA a model answer and say how its points are split?"""
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    hand = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
            and c.metadata["nbgrader"].get("solution")]
    for cell in hand:
        text = " ".join(cell.source.split())
        gid = grade_id(cell)
        assert len(text) > 80, f"{assignment}: {gid}: no model answer"
        breakdown = re.search(r"Grading:\*? (.*)", text)
        assert breakdown and re.search(r"\b\d+(\.\d+)? points?\b|\bpoints? (each|per)\b", breakdown.group(1)), (
            f"{assignment}: {gid}: no point breakdown ('Grading: N points for ...')")
