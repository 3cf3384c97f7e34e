"""Does the course's OverwriteKernelspec give every submission the kernelspec nbgrader's would, reading an unchanged
gradebook once, and the new kernelspec once the gradebook was written again?"""
import copy
import json

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteKernelspec as NbgraderOverwriteKernelspec

from autograder.preprocessors import OverwriteKernelspec, overwritekernelspec
from fixtures.coursefolder import REFERENCE, SUBMISSIONS

A = REFERENCE


def submission():
    """A submission whose kernelspec was changed (Colab writes its own)."""
    nb = nbformat.read(SUBMISSIONS / "full_marks.ipynb", as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (Colab)", "language": "python"}
    return nb


def run(step_class, nb, db_url, notebook=A):
    resources = {"nbgrader": {"notebook": notebook, "assignment": A, "db_url": db_url}}
    return step_class().preprocess(copy.deepcopy(nb), resources)[0]


def test_the_kernelspec_is_nbgraders_every_time(gradebook):
    """Is the submission's kernelspec replaced by the gradebook's, as nbgrader replaces it, for the notebook that
    reads the gradebook and for those after it, each with a kernelspec of its own?"""
    expected = run(NbgraderOverwriteKernelspec, submission(), gradebook)
    assert expected.metadata["kernelspec"]["display_name"] != "Python 3 (Colab)"
    first, second = (run(OverwriteKernelspec, submission(), gradebook) for _ in range(2))
    assert first == expected and second == expected
    assert first.metadata["kernelspec"] is not second.metadata["kernelspec"]


def test_an_unchanged_gradebook_is_read_once(gradebook, monkeypatch):
    """Grading a class against an unchanged gradebook file, is it opened for the first notebook only?"""
    opened = []
    monkeypatch.setattr(overwritekernelspec, "Gradebook", lambda url: opened.append(url) or Gradebook(url))
    for _ in range(3):
        run(OverwriteKernelspec, submission(), gradebook)
    assert opened == [gradebook]


def test_after_a_re_release_the_new_kernelspec_is_served(gradebook):
    """When the gradebook's kernelspec is written again after a notebook was graded, does the next notebook get
    the new one?"""
    run(OverwriteKernelspec, submission(), gradebook)
    new = {"name": "python3", "display_name": "Python 3 (re-released)", "language": "python"}
    with Gradebook(gradebook) as gb:
        gb.update_or_create_notebook(A, A, kernelspec=json.dumps(new))
    assert run(OverwriteKernelspec, submission(), gradebook).metadata["kernelspec"] == new
    assert run(NbgraderOverwriteKernelspec, submission(), gradebook).metadata["kernelspec"] == new


def test_a_notebook_missing_from_the_gradebook_fails_as_in_nbgrader(gradebook):
    """For a notebook the gradebook does not hold, is nbgrader's MissingEntry raised?"""
    with pytest.raises(MissingEntry):
        run(NbgraderOverwriteKernelspec, submission(), gradebook, notebook="another")
    with pytest.raises(MissingEntry):
        run(OverwriteKernelspec, submission(), gradebook, notebook="another")
