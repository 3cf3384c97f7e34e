"""Does the course's OverwriteCells leave every submission, with its warnings, as nbgrader's OverwriteCells does,
while it reads an unchanged gradebook once, and the new cells once the gradebook was written again?"""
import copy
import logging

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells
from nbgrader.utils import compute_checksum

from autograder.preprocessors import OverwriteCells, overwritecells
from fixtures.coursefolder import REFERENCE, SUBMISSIONS

A = REFERENCE


def fixture(name):
    return nbformat.read(SUBMISSIONS / f"{name}.ipynb", as_version=4)


def cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def edited():
    """Submissions that OverwriteCells must put right, each in its own way."""
    found = {name: fixture(name) for name in ("full_marks", "blank", "points_changed", "answer_turned_markdown",
                                              "damaged_by_colab", "duplicated_answer")}
    nb = fixture("full_marks")
    cell(nb, "test_forward_pass").source += "\nassert True  # the student's own line"
    cell(nb, "imports").metadata.nbgrader["locked"] = False
    cell(nb, "test_backward_pass").metadata.nbgrader["points"] = 80
    cell(nb, "forward_pass_check").cell_type = "markdown"
    del cell(nb, "forward_pass_check")["outputs"], cell(nb, "forward_pass_check")["execution_count"]
    cell(nb, "closing").cell_type = "code"
    cell(nb, "closing").update(outputs=[], execution_count=None)
    cell(nb, "fd_check").metadata.nbgrader["checksum"] = "0" * 32
    cell(nb, "backward_pass").metadata.nbgrader["grade_id"] = "not_in_the_gradebook"
    found["edited"] = nb
    return found


def run(step_class, nb, db_url, caplog, notebook=A):
    """(notebook, warnings logged) after the step, or (the exception's type and text, warnings)."""
    step = step_class()
    step.log = logging.getLogger("overwritecells-test")
    resources = {"nbgrader": {"notebook": notebook, "assignment": A, "db_url": db_url, "student": "aa0001"}}
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="overwritecells-test"):
        try:
            result = step.preprocess(copy.deepcopy(nb), resources)[0]
        except Exception as exc:  # noqa: BLE001 - compared with what nbgrader raises
            result = (type(exc).__name__, str(exc))
    return result, [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("name", sorted(edited()))
def test_a_submission_comes_out_as_nbgrader_leaves_it(name, gradebook, caplog):
    """Is each submission (full, blank, points changed, a test edited, a cell unlocked or turned into another type,
    a checksum changed, an unknown grade_id) left as nbgrader's OverwriteCells leaves it, with the same warnings,
    the first time (the gradebook read) and the second (the cells kept)?"""
    nb = edited()[name]
    expected = run(NbgraderOverwriteCells, nb, gradebook, caplog)
    assert run(OverwriteCells, nb, gradebook, caplog) == expected
    assert run(OverwriteCells, nb, gradebook, caplog) == expected
    if name == "edited":
        said = "\n".join(expected[1])
        for change in ("'locked' for cell imports", "'cell_type' for cell forward_pass_check",
                       "'cell_type' for cell closing", "'points' for cell test_backward_pass",
                       "'checksum' for cell test_forward_pass", "Cell 'not_in_the_gradebook' does not exist"):
            assert change in said


def test_a_cell_claiming_a_grade_it_does_not_have_fails_as_in_nbgrader(gradebook, caplog):
    """Does a solution cell that claims to be graded (grade: true, not a grade cell in the gradebook) raise
    nbgrader's MissingEntry, naming the cell?"""
    nb = fixture("full_marks")
    cell(nb, "forward_pass").metadata.nbgrader.update(grade=True, points=3)
    expected = run(NbgraderOverwriteCells, nb, gradebook, caplog)
    assert expected[0] == ("MissingEntry", f"No such grade cell: {A}/{A}/forward_pass")
    assert run(OverwriteCells, nb, gradebook, caplog) == expected


def test_a_notebook_missing_from_the_gradebook_loses_its_grade_ids_as_in_nbgrader(gradebook, caplog):
    """For a notebook the gradebook does not hold, is every grade_id dropped with nbgrader's warning?"""
    nb = fixture("full_marks")
    expected = run(NbgraderOverwriteCells, nb, gradebook, caplog, notebook="another")
    assert run(OverwriteCells, nb, gradebook, caplog, notebook="another") == expected
    assert not any("grade_id" in c.metadata.get("nbgrader", {}) for c in expected[0].cells)
    assert len(expected[1]) == 27


def test_an_unchanged_gradebook_is_read_once(gradebook, caplog, monkeypatch):
    """Grading a class against an unchanged gradebook file, is it opened for the first notebook only?"""
    opened = []
    monkeypatch.setattr(overwritecells, "Gradebook", lambda url: opened.append(url) or Gradebook(url))
    for name in ("full_marks", "blank", "points_changed"):
        run(OverwriteCells, fixture(name), gradebook, caplog)
    assert opened == [gradebook]


def test_after_a_re_release_the_new_cells_are_served(gradebook, caplog):
    """When the gradebook is written again after a notebook was graded (a re-release changes a test's points and a
    locked cell's code), does the next notebook get the new cells, as nbgrader's OverwriteCells would?"""
    nb = fixture("full_marks")
    before = run(OverwriteCells, nb, gradebook, caplog)[0]
    assert cell(before, "test_backward_pass").metadata.nbgrader["points"] == 8
    new_source = cell(nb, "imports").source + "\nimport math"
    with Gradebook(gradebook) as gb:
        for gid, change in (("test_backward_pass", {"points": 9.0}), ("imports", {"source": new_source})):
            changed = copy.deepcopy(cell(nb, gid))
            changed.metadata.nbgrader.update({k: v for k, v in change.items() if k == "points"})
            changed.source = change.get("source", gb.find_source_cell(gid, A, A).source)
            gb.update_or_create_source_cell(gid, A, A, source=changed.source, checksum=compute_checksum(changed))
        gb.update_or_create_grade_cell("test_backward_pass", A, A, max_score=9.0)
    after = run(OverwriteCells, nb, gradebook, caplog)
    assert cell(after[0], "test_backward_pass").metadata.nbgrader["points"] == 9.0
    assert cell(after[0], "imports").source == new_source
    assert after == run(NbgraderOverwriteCells, nb, gradebook, caplog)
