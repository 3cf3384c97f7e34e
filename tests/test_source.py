"""Do the source notebooks run, pass their own tests, and carry the points and grade ids the course expects?"""
import os
import subprocess
import sys

import nbformat

from autograder.course import source_notebook
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
