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


WINE_CELLS = ["imports", "course_data", "base_layer", "hidden_class", "leaky_relu_derivative", "hidden_backward_pass",
              "hidden_vondrick_class", "vondrick_activation", "vondrick_activation_derivative", "vondrick_backward_pass",
              "output_class", "output_backward_pass", "network_classes", "predict", "wine_data", "sklearn_reference",
              "nn1_train", "nn2_train", "wine_accuracy"]


@pytest.mark.slow
def test_wine_solution_reproduces_the_seeds_documented_values(monkeypatch):
    """Does wine_mlp_backprop, run as a student with the solution runs it, give the seed's documented values: the
    mean label 0.5347091932457786, MLPClassifier's test accuracy 0.75, and both networks above 0.70 on both sets?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("MPLBACKEND", "agg")
    ns = _run_cells(source_notebook(ROOT, "wine_mlp_backprop"), WINE_CELLS)
    assert ns["label_converted_dataset"]["quality"].mean() == 0.5347091932457786
    assert ns["wine_quality_classifier"].score(ns["X_wine_test"], ns["y_wine_test"]) == 0.75
    assert all(value > 0.70 for value in ns["wine_accuracies"].values()), ns["wine_accuracies"]


MNIST_CELLS = ["imports", "course_data", "load_data", "self_check_helpers", "prepare_data", "prepare_check",
               "activations", "softmax", "loss_accuracy", "softmax_regression", "two_layer_net", "sgd", "training_code",
               "softmax_training", "softmax_training_run", "two_layer_training", "two_layer_training_run"]


@pytest.mark.slow
def test_mnist_solution_reproduces_the_documented_accuracies(monkeypatch):
    """Does mnist_two_layer_net, run with the solution, train to the test accuracies its text states: about 0.92 for
    softmax regression (T8) and 0.9253 for the default two-layer network (T9, the figure E3 compares against)?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("MPLBACKEND", "agg")
    ns = _run_cells(source_notebook(ROOT, "mnist_two_layer_net"), MNIST_CELLS)
    assert round(ns["softmax_run"]["test_acc"], 2) == 0.92, ns["softmax_run"]["test_acc"]
    assert round(ns["two_layer_run"]["test_acc"], 4) == 0.9253, ns["two_layer_run"]["test_acc"]
