"""Does the provided (locked, ungraded) code of the notebooks do what its docstrings say?

No test cell grades provided code, so these checks run it here, from the source and the release notebooks.
"""
import nbformat
import numpy as np
import pytest

from autograder.course import release_notebook, source_notebook
from autograder.twins import grade_id
from conftest import ROOT


def _run_cells(path, grade_ids):
    """The namespace left by running the cells with these grade ids, in this order."""
    cells = {grade_id(c): c.source for c in nbformat.read(path, as_version=4).cells}
    namespace = {}
    for gid in grade_ids:
        exec(compile(cells[gid], f"{path.name}[{gid}]", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("notebook", [source_notebook, release_notebook], ids=["source", "release"])
def test_moons_predict_takes_one_sample_or_a_batch(notebook):
    """Does moons_tanh_net's predict return shape (N,) for N samples, N = 1 included, thresholding forward at 0.5?"""
    provided = _run_cells(notebook(ROOT, "moons_tanh_net"), ["imports", "helpers"])
    forward, predict = provided["forward"], provided["predict"]
    rng = np.random.default_rng(7)
    W = {'W_input_h1': rng.normal(size=(2, 3)), 'b_input_h1': rng.normal(size=3),
         'W_h1_h2': rng.normal(size=(3, 4)), 'b_h1_h2': rng.normal(size=4),
         'W_h2_output': rng.normal(size=(4, 1)), 'b_h2_output': rng.normal(size=1)}
    X = rng.normal(scale=2.0, size=(9, 2))
    expected = (forward(W, X)[0] > 0.5).astype(float)
    assert set(expected) == {0.0, 1.0}, "test data: both classes must occur"
    batch = predict(W, X)
    assert batch.shape == (9,) and np.array_equal(batch, expected)
    for n in range(len(X)):
        one = predict(W, X[n:n + 1])
        assert one.shape == (1,) and one[0] == expected[n], f"predict of the single sample X[{n}:{n + 1}]"
