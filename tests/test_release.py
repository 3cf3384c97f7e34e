"""Is release/ what nbgrader makes from source/ now, Colab-ready, free of leaks, and worth 0 points as released?"""
import json
import shutil

import nbformat
import pytest

from autograder.checks import leaks, secret_lines, stale
from autograder.course import release_notebook, source_notebook
from autograder.mutation import grade_answers
from autograder.release import staleness
from conftest import ASSIGNMENTS, REFERENCE, ROOT, per_assignment


@per_assignment
def test_release_is_current(assignment):
    """Is the committed release exactly what generate_assignment makes from source now?"""
    assert staleness(root=ROOT, assignment=assignment) == []


@per_assignment
def test_release_leaks_nothing(assignment):
    """Does no line of a solution or hidden test, and no marker, appear anywhere in release/<a>?"""
    assert leaks(ROOT, assignment) == []


@per_assignment
def test_release_opens_in_colab(assignment):
    """Does the released notebook start with an Open-in-Colab badge pointing at itself?"""
    first = nbformat.read(release_notebook(ROOT, assignment), as_version=4).cells[0]
    assert "colab.research.google.com/github/" in first.source
    assert f"/release/{assignment}/{assignment}.ipynb" in first.source


@per_assignment
def test_release_scores_zero(assignment, tmp_path):
    """Does the unanswered release run to the end (no hang) and earn 0 autograded points?"""
    scores = grade_answers(ROOT, assignment, {}, workdir=tmp_path, timeout=120)
    assert scores, f"{assignment}: no autograded test cells"
    earned = {gid: s.points for gid, s in scores.items() if s.points}
    assert not earned, f"the blank release earns points: {earned}"


def test_leak_check_catches_a_copied_solution_line(tmp_path):
    """Would a release that shows one solution line fail the leak check?"""
    assignment = REFERENCE
    secret = sorted(secret_lines(nbformat.read(source_notebook(ROOT, assignment), as_version=4)))[0]
    shutil.copytree(release_notebook(ROOT, assignment).parent, tmp_path / assignment)
    leaky = tmp_path / assignment / f"{assignment}.ipynb"
    nb = json.loads(leaky.read_text())
    nb["cells"][-1]["source"] = "    " + secret + "\n"
    leaky.write_text(json.dumps(nb))
    assert any(secret[:40] in problem for problem in leaks(ROOT, assignment, release_dir=tmp_path / assignment))


def test_leak_check_catches_a_hidden_test_marker(tmp_path):
    """Would a release that still holds a hidden-test marker fail the leak check?"""
    assignment = REFERENCE
    shutil.copytree(release_notebook(ROOT, assignment).parent, tmp_path / assignment)
    (tmp_path / assignment / "notes.txt").write_text("### BEGIN HIDDEN TESTS\n")
    assert leaks(ROOT, assignment, release_dir=tmp_path / assignment)


def test_staleness_check_catches_an_edit(tmp_path):
    """Would a hand-edited release file fail the staleness check?"""
    assignment = REFERENCE
    committed = release_notebook(ROOT, assignment).parent
    shutil.copytree(committed, tmp_path / "fresh")
    shutil.copytree(committed, tmp_path / "edited")
    path = tmp_path / "edited" / f"{assignment}.ipynb"
    path.write_text(path.read_text().replace("Goal", "Aim", 1))
    assert stale(tmp_path / "edited", tmp_path / "fresh")
    assert stale(tmp_path / "fresh", tmp_path / "fresh") == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_marks_no_answer_as_done(assignment):
    """Does every answer cell of the release hold a stub, not a solution?"""
    for cell in nbformat.read(release_notebook(ROOT, assignment), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source, f"{meta['grade_id']}: no stub in the release"


def test_a_line_both_visible_and_hidden_is_not_secret():
    """Is a line that a test cell shows in its visible part free to appear in the release, even if hidden tests repeat it?"""
    from nbformat.v4 import new_code_cell, new_notebook

    test = new_code_cell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(1) == 2\nassert f(5) == 6\n### END HIDDEN TESTS")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "test_f", "points": 1}
    answer = new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "f"}
    secret = secret_lines(new_notebook(cells=[answer, test]))
    assert set(secret) == {"assert f(5) == 6", "return x + 1"}
