# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # A ReLU network by hand, gradient descent and momentum on Rosenbrock, backprop on three Gaussians
#
# **Goal.** Build a small feedforward network (2 inputs, two ReLU hidden layers of 3 and 2 units, a 3-class
# softmax output) with nothing but numpy; watch plain gradient descent and gradient descent with momentum crawl
# along the curved valley of the Rosenbrock function; then derive the gradients of the network by
# backpropagation and train it on three Gaussian clusters, once with gradient descent and once with momentum.
#
# **How this notebook works.** Run the cells from top to bottom. Where you see **TODO**, replace
# `raise NotImplementedError()` with your code (code questions) or replace "YOUR ANSWER HERE" with your answer
# (written questions, graded by hand). After each code answer there is a self-check that prints your values
# beside the expected ones, then a locked test cell worth points. The test cells you see are not all the tests:
# when your notebook is graded, your functions are also run on inputs, weights and seeds you have not seen, so
# compute the values; do not type them in.
#
# **Each question is graded on its own.** A test of a later step runs your function for that step with your
# own functions of the earlier steps, or gives it inputs computed by a reference, so a mistake in an earlier
# answer costs the points of that answer only. (The steps of 3.4 and 3.5 are checked with gradients the test
# computes itself, even when your earlier functions fail; still, finish every function, even if you are unsure.)
#
# **Rules.** Keep the function names and signatures: the tests call them. Do not change the arguments a
# function receives (no in-place operations on them). Use vectorized numpy: the answer cells of 1.3
# (`softmax`, `ff_nn_2_ReLu`), 2.2 (`rosenbrock`, `plot_rosenbrock_contours`) and 3.2 (`cost`,
# `grad_f_network`) must not contain a Python loop (`for`, `while`, or a comprehension); the tests read their
# source, and a loop there scores 0 for its question. The loops over iterations in 2.3, 2.4, 3.4 and 3.5 are
# expected. Do not edit the locked cells.
#
# **Handing in.** Rename your copy `rosenbrock_gd_momentum_<your student id>.ipynb`, for example
# `rosenbrock_gd_momentum_aa1234.ipynb` (Colab calls it "Copy of rosenbrock_gd_momentum.ipynb"), download it
# (File → Download → .ipynb) and upload that file. The grader finds your work by this name; a notebook submitted
# under another name is not graded.
#
# **Deadline and late work.** The deadline is 17:00 on Friday 21 March 2025 (UK time). A notebook handed in after the
# deadline but by 23:59 that day loses 30% of its score; a later one scores 0.
#
# **Course rules.** Use of AI is strictly prohibited: anyone caught using any AI tool while doing this assignment
# or while it is graded is reported to OCVS without any further discussion. Hand in your own work: answers copied
# between students are flagged to your instructor. If you have a question, ask your instructor or teaching
# assistant.
#
# **Hand-in check.** The last cell lists what is left before you hand in (unanswered TODOs, failing checks,
# cells run out of order) and the file name to download the notebook as: run it after restarting and running
# all cells.
#
# **Time.** About 4 hours.
#
# **Run time.** With every answer done, the notebook runs top to bottom in about 10 s as a student and about 5 s
# when graded (measured on a 2-core machine).
#
# | Question | Task | Graded | Points |
# | --- | --- | --- | --- |
# | 1.1 | draw the 2-3-2-3 network | by hand | 3 |
# | 1.2 | the equations of the network | by hand | 4 |
# | 1.3 | forward pass: `softmax`, `ff_nn_2_ReLu` | tests | 10 |
# | 1.4 | class probabilities of three samples | tests 3, by hand 2 | 5 |
# | 2.1 | partial derivatives of Rosenbrock: written, and `grad_f(vector)` | by hand 3, tests 5 | 8 |
# | 2.2 | contour plot: `rosenbrock`, `plot_rosenbrock_contours` | tests | 5 |
# | 2.3 | gradient descent: `grad_descent`, and what the learning rate does | tests 7, by hand 2 | 9 |
# | 2.4 | momentum: `grad_descent_with_momentum`, and what its settings do | tests 7, by hand 2 | 9 |
# | 3.1 | derive the gradients of the loss | by hand | 8 |
# | 3.2 | the loss and its gradient: `cost`, `grad_f_network` | tests | 14 |
# | 3.3 | three Gaussian clusters: `generate_data` | tests | 4 |
# | 3.4 | training with gradient descent: `gradient_descent_step`, `gradient_descent` | tests | 9 |
# | 3.5 | training with momentum: `momentum_step`, `gradient_descent_with_momentum`, and the comparison | tests 8, by hand 4 | 12 |
# | | **total** | tests 72, by hand 28 | **100** |

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm


# %% [markdown] nbgrader={"grade": false, "grade_id": "part1_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 1. Feedforward: a ReLU network with two hidden layers
#
# The network has
#
# - 2 inputs $x_1, x_2$,
# - a first hidden layer of 3 ReLU units $h^{(1)}_1, h^{(1)}_2, h^{(1)}_3$,
# - a second hidden layer of 2 ReLU units $h^{(2)}_1, h^{(2)}_2$,
# - a 3-class output $\hat y_1, \hat y_2, \hat y_3$ given by a softmax.
#
# **Convention used in the whole notebook: samples are rows.** A batch of $N$ samples with $D$ features is a
# matrix $X$ of shape $(N, D)$; a weight matrix maps the layer on its left to the layer on its right, so it has
# shape (units in, units out):
#
# | symbol | code (Part 1) | code (Part 3) | shape | here |
# | --- | --- | --- | --- | --- |
# | $X$ | `x` | `data` | $(N, D)$ | $D = 2$ |
# | $W^{(1)}$, $b^{(1)}$ | `w_1`, `b_1` | `W1`, `b1` | $(D, H_1)$, $(H_1,)$ | $H_1 = 3$ |
# | $W^{(2)}$, $b^{(2)}$ | `w_2`, `b_2` | `W2`, `b2` | $(H_1, H_2)$, $(H_2,)$ | $H_2 = 2$ |
# | $V$, $c$ | `v`, `c` | `V`, `v0` | $(H_2, C)$, $(C,)$ | $C = 3$ |
#
# A bias may also be stored as a row of shape $(1, H)$; numpy broadcasting adds it to every sample either way.
#
# ### Question 1.1 (by hand, 3 points): draw the network
#
# Draw the network: one node per input, hidden unit and output, arranged in four columns, an arrow for every
# weight, and mark the biases, the activation of each layer (ReLU, ReLU, softmax) and the name and shape of
# each weight matrix.
#
# Put the drawing in the answer cell below. Any of these works:
#
# - **An image embedded in the notebook (recommended).** Draw on paper (and take a photo) or in any drawing
#   tool. In **Colab**, double-click the answer cell to edit it and click the *insert image* button of the text
#   cell toolbar (or paste the image into the cell): Colab stores the picture *inside* the notebook, as
#   `![image.png](data:image/png;base64,...)`, so it travels with the file you hand in. In **Jupyter**, drag the
#   image file into the markdown cell (or *Edit → Insert Image*): it is stored as a cell attachment.
# - **An uploaded file and a markdown link.** Upload the image (Colab: the folder icon on the left, then
#   *Upload*; Jupyter: the *Upload* button of the file browser) and write `![my network](my_network.png)` in the
#   answer cell. Careful: a link only shows a file that sits next to the notebook; the file is not part of the
#   notebook, so it must be handed in with it, and Colab's text cells cannot see files uploaded to the runtime.
#   Prefer the embedded image.
# - **A matplotlib drawing.** Insert a code cell right below the answer cell (*Insert → Code cell*, or
#   *+ Code* in Colab), draw the nodes with `ax.scatter` or `plt.Circle`, the weights with `ax.annotate` or
#   `ax.plot`, the labels with `ax.text`, and write "see the figure below" in the answer cell.

# %% [markdown] nbgrader={"grade": true, "grade_id": "network_drawing", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# Model answer (what the drawing must show):
#
# ```
#    input          hidden 1 (ReLU)      hidden 2 (ReLU)      output (softmax)
#
#                      h(1)_1
#     x_1                                    h(2)_1                y_1
#                      h(1)_2                                      y_2
#     x_2                                    h(2)_2                y_3
#                      h(1)_3
#
#          W(1): 2 x 3         W(2): 3 x 2            V: 2 x 3
#          b(1): 3             b(2): 2                c: 3
# ```
#
# - four columns of nodes: 2 inputs, 3 units, 2 units, 3 outputs;
# - every node joined to every node of the next column: 6 + 6 + 6 = 18 weights;
# - a bias into each unit of the hidden and output layers: 3 + 2 + 3 = 8 biases (26 parameters in all);
# - ReLU written on both hidden layers, softmax on the output layer (its three outputs sum to one);
# - the weight matrices named with their shapes, $W^{(1)}$ (2 x 3), $W^{(2)}$ (3 x 2), $V$ (2 x 3).
#
# Grading: 1 point for the four columns with the right numbers of nodes, 1 point for all 18 connections (or a
# clear "fully connected" mark) with the weight matrices named and shaped, 1 point for the biases and the
# activations (ReLU on both hidden layers, softmax on the output).
# One point off for each missing element.

# %% [markdown] nbgrader={"grade": false, "grade_id": "equations_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 1.2 (by hand, 4 points): the equations of the network
#
# Write out, in Markdown with LaTeX (`$...$`), the equations of the network: the pre-activations and
# activations of both hidden layers and the softmax output, for one sample
# $x = (x_1, x_2)$ unit by unit (with indices $i = 1, 2$; $j = 1, 2, 3$; $k = 1, 2$; $s = 1, 2, 3$), and for a
# batch $X$ of shape $(N, D)$ in matrix form, in the convention above.

# %% [markdown] nbgrader={"grade": true, "grade_id": "network_equations", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# Model answer. For one sample, with $i = 1, 2$; $j = 1, 2, 3$; $k = 1, 2$; $s = 1, 2, 3$:
#
# $$a^{(1)}_j = \sum_{i=1}^{2} x_i W^{(1)}_{ij} + b^{(1)}_j, \qquad h^{(1)}_j = \max\left(0, a^{(1)}_j\right)$$
#
# $$a^{(2)}_k = \sum_{j=1}^{3} h^{(1)}_j W^{(2)}_{jk} + b^{(2)}_k, \qquad h^{(2)}_k = \max\left(0, a^{(2)}_k\right)$$
#
# $$a^{(3)}_s = \sum_{k=1}^{2} h^{(2)}_k V_{ks} + c_s, \qquad
#   \hat y_s = \frac{\exp\left(a^{(3)}_s\right)}{\sum_{r=1}^{3} \exp\left(a^{(3)}_r\right)}$$
#
# For a batch $X$ of shape $(N, D)$ (each bias row added to every sample):
#
# $$H^{(1)} = \max\left(0, X W^{(1)} + b^{(1)}\right), \quad H^{(2)} = \max\left(0, H^{(1)} W^{(2)} + b^{(2)}\right), \quad
#   \hat Y = \mathrm{softmax}\left(H^{(2)} V + c\right),$$
#
# with the softmax taken over each row, so every row of $\hat Y$ (shape $(N, 3)$) sums to one.
#
# Grading: 1 point per layer (both hidden layers with the ReLU, the softmax with its normalisation over the
# classes), 1 point for the indices/shapes being consistent.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ff_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 1.3 (10 points): the forward pass
#
# `ff_nn_2_ReLu` computes your equations of 1.2 for a whole batch at once. Samples are rows (the convention
# above), so each layer takes the matrix of its inputs, one row per sample, multiplies it on the right by its
# weight matrix of shape (units in, units out), and adds its bias row to every sample. What you compute, with
# its shape:
#
# | step | shape |
# | --- | --- |
# | pre-activations and activations of hidden layer 1 (`h_1`) | $(N, H_1)$ |
# | pre-activations and activations of hidden layer 2 (`h_2`) | $(N, H_2)$ |
# | output scores | $(N, C)$ |
# | class probabilities (`y`): the softmax of each row of scores | $(N, C)$, every row sums to 1 |
#
# **A numerically stable softmax.** `np.exp(1000.)` overflows to `inf` (and `inf / inf` is `nan`). The softmax
# of a row does not change when the same number $m_n$ is subtracted from all its scores (the factor $e^{-m_n}$
# cancels between the numerator and the sum), so subtract the largest score of each row,
# $m_n = \max_r A_{nr}$, before the exponential: the largest exponent is then 0.
#
# **TODO:** complete `softmax` and `ff_nn_2_ReLu`. Part 3 also needs the hidden activations, so
# `ff_nn_2_ReLu(..., return_hidden=True)` returns `(h_1, h_2, y)`; the last lines that do this are written
# for you, so store your results in `h_1`, `h_2` and `y`.

# %% nbgrader={"grade": false, "grade_id": "ff_nn_2_relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(A):
    """
    Softmax of each row of A, computed without overflow.

    Inputs:
    - A : ndarray, shape (N, C). Scores (logits): row n holds the C class scores of sample n.

    Returns:
    - P : ndarray, shape (N, C). P[n, s] = exp(A[n, s]) / sum_r exp(A[n, r]); every row sums to 1.
    """
    # TODO: the softmax of every row of A at once (your 1.2), with the row maximum m_n subtracted first as
    # described above (row maxima and row sums of shape (N, 1), so that they broadcast over the C columns).
    # Return P of shape (N, C). Do not change A in place.
    ### BEGIN SOLUTION
    shifted = A - np.max(A, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)
    ### END SOLUTION


def ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c, return_hidden=False):
    """
    Forward pass of a network with two ReLU hidden layers and a softmax output (your equations of 1.2).

    Inputs (samples in rows):
    - x   : ndarray, shape (N, D). N samples with D features.
    - w_1 : ndarray, shape (D, H1). Weights from the input to hidden layer 1.
    - w_2 : ndarray, shape (H1, H2). Weights from hidden layer 1 to hidden layer 2.
    - v   : ndarray, shape (H2, C). Weights from hidden layer 2 to the C output scores.
    - b_1 : ndarray, shape (H1,) or (1, H1). Biases of hidden layer 1.
    - b_2 : ndarray, shape (H2,) or (1, H2). Biases of hidden layer 2.
    - c   : ndarray, shape (C,) or (1, C). Biases of the output scores.
    - return_hidden : bool. If True, also return the hidden activations.
    The arguments are not modified.

    Returns:
    - y : ndarray, shape (N, C). Class probabilities; every row sums to 1.
    If return_hidden is True, the tuple (h_1, h_2, y) with
    - h_1 : ndarray, shape (N, H1). Activations of hidden layer 1.
    - h_2 : ndarray, shape (N, H2). Activations of hidden layer 2.
    """
    # TODO: your equations of 1.2 for the whole batch at once (matrix products, no loop over samples), with your
    # softmax for the output. Store H^(1) in h_1, shape (N, H1), H^(2) in h_2, shape (N, H2), and the probabilities
    # in y, shape (N, C).
    ### BEGIN SOLUTION
    a_1 = x @ w_1 + b_1
    h_1 = np.maximum(0, a_1)
    a_2 = h_1 @ w_2 + b_2
    h_2 = np.maximum(0, a_2)
    y = softmax(h_2 @ v + c)
    ### END SOLUTION
    if return_hidden:
        return h_1, h_2, y
    return y


# %% nbgrader={"grade": false, "grade_id": "check_ff_nn_2_relu", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check (not graded): softmax of large scores, and the shapes of the forward pass.
_scores = np.array([[1000., 1001., 1002.], [-5., 0., 5.]])
print("softmax of large scores:", softmax(_scores).round(6))
print("expected:               ", np.array([[0.090031, 0.244728, 0.665241], [0.000045, 0.006693, 0.993262]]))
_rng = np.random.default_rng(0)
_h1, _h2, _y = ff_nn_2_ReLu(_rng.normal(size=(5, 2)), _rng.normal(size=(2, 3)), _rng.normal(size=(3, 2)),
                            _rng.normal(size=(2, 3)), np.zeros(3), np.zeros(2), np.zeros(3), return_hidden=True)
print("shapes of h_1, h_2, y:", _h1.shape, _h2.shape, _y.shape, "  expected: (5, 3) (5, 2) (5, 3)")
print("row sums of y:", _y.sum(axis=1).round(6))

# %% nbgrader={"grade": true, "grade_id": "test_ff_nn_2_relu", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 1.3.
_P = softmax(np.array([[1., 2., 3.], [0., 0., 0.]]))
assert np.shape(_P) == (2, 3), "softmax must return an array of the same shape as its input"
assert np.allclose(_P.sum(axis=1), 1), "each row of the softmax must sum to 1: normalise over axis 1 (the classes)"
assert np.allclose(_P[1], 1 / 3), "softmax of equal scores must give equal probabilities"
def _softmax_without_overflow(A):
    with np.errstate(over="raise", invalid="raise"):
        try:
            return softmax(A)
        except FloatingPointError:
            raise AssertionError("softmax overflows for large scores: subtract the row maximum before np.exp")


_P = _softmax_without_overflow(np.array([[1000., 1001., 1002.]]))
assert np.all(np.isfinite(_P)) and np.allclose(_P.sum(), 1), "softmax of large scores must be finite and sum to 1"
_rng = np.random.default_rng(1)
_x = _rng.normal(size=(4, 2))
_out = ff_nn_2_ReLu(_x, _rng.normal(size=(2, 3)), _rng.normal(size=(3, 2)), _rng.normal(size=(2, 3)),
                    np.zeros(3), np.zeros(2), np.zeros(3))
assert np.shape(_out) == (4, 3), "ff_nn_2_ReLu must return probabilities of shape (N, C)"
assert np.allclose(np.sum(_out, axis=1), 1), "each row of the output must sum to 1"
# A batch of four samples with other weights (expected probabilities computed beforehand), and A unchanged.
_A = np.array([[3., -1., 0.5], [-2., 4., 4.]])
softmax(_A)
assert np.array_equal(_A, [[3., -1., 0.5], [-2., 4., 4.]]), "softmax changed A in place: compute a new array"
_x = np.array([[0.5, -1.5], [2.0, 0.3], [-1.0, -0.5], [0.2, 0.9]])
_w = (np.array([[0.8, -0.6, 0.3], [-0.4, 0.9, -1.1]]), np.array([[1.2, -0.7], [0.5, 0.8], [-0.9, 0.6]]),
      np.array([[0.7, -1.3, 0.4], [-0.2, 0.9, 1.5]]), np.array([0.1, -0.2, 0.3]), np.array([-0.1, 0.2]),
      np.array([0.3, -0.3, 0.1]))
_h1, _h2, _y = ff_nn_2_ReLu(_x, *_w, return_hidden=True)
assert np.shape(_h1) == (4, 3) and np.shape(_h2) == (4, 2) and np.shape(_y) == (4, 3), \
    "with return_hidden=True, ff_nn_2_ReLu must return h_1 (N, H1), h_2 (N, H2) and y (N, C)"
assert np.allclose(_y, [[0.20754604, 0.24331409, 0.54913987], [0.62526045, 0.02636845, 0.3483711],
                        [0.25006807, 0.24585285, 0.50407908], [0.25431971, 0.20029518, 0.54538511]],
                   rtol=0, atol=1e-8), \
    "ff_nn_2_ReLu gives wrong probabilities for this batch: ReLU on the two hidden layers only, then the softmax " \
    "of each row of output scores"
assert np.allclose(ff_nn_2_ReLu(_x, *_w), _y), "ff_nn_2_ReLu must return the same y with and without return_hidden"
import ast, inspect, linecache, textwrap


def _loop_lines(func, scaffold_var=None):
    """Lines of the answer cell defining `func` that hold a loop (the provided `for scaffold_var` loop excepted)."""
    text = "".join(linecache.getlines(func.__code__.co_filename))
    if not text.strip():
        try:
            text = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):
            raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run that cell")
    tree = ast.parse(text)
    allowed = set()
    for node in ast.walk(tree):
        if scaffold_var and isinstance(node, ast.FunctionDef) and node.name == func.__name__:
            allowed.update(id(s) for s in node.body[:] if isinstance(s, ast.For)
                           and getattr(s.target, "id", None) == scaffold_var)
    loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return sorted({n.lineno for n in ast.walk(tree) if isinstance(n, loops) and id(n) not in allowed})


_lines = _loop_lines(ff_nn_2_ReLu)
assert not _lines, ("no-loop rule: the answer cell of softmax and ff_nn_2_ReLu has a for/while loop or a comprehension "
                    f"(line {_lines}); use matrix products and numpy operations on whole arrays")
### BEGIN HIDDEN TESTS
def _ref_forward(x, w_1, w_2, v, b_1, b_2, c):
    _a1 = x @ w_1 + b_1
    _h1 = np.maximum(_a1, 0.0)
    _h2 = np.maximum(_h1 @ w_2 + b_2, 0.0)
    _s = _h2 @ v + c
    _s = _s - _s.max(axis=1, keepdims=True)
    _e = np.exp(_s)
    return _h1, _h2, _e / _e.sum(axis=1, keepdims=True)


_rng = np.random.default_rng(90731)
_A = _rng.normal(scale=3.0, size=(6, 4))
_E = np.exp(_A - _A.max(axis=1, keepdims=True))
_given = _A.copy()
_S = softmax(_given)
assert np.array_equal(_given, _A), "softmax changed A in place: compute a new array (shifted = A - ...)"
assert np.shape(_S) == (6, 4), "softmax must return an array of the shape of A"
assert np.allclose(_S, _E / _E.sum(axis=1, keepdims=True)), \
    "softmax is wrong on other scores: exponentiate and normalise each row"
_P = _softmax_without_overflow(np.array([[800., -800., 0.], [-1000., -1001., -1002.]]))
assert np.shape(_P) == (2, 3), "softmax must return an array of the shape of its input"
assert np.allclose(_P, [[1., 0., 0.], [0.66524096, 0.24472847, 0.09003057]]), \
    "softmax is wrong for large positive or negative scores"
for _D, _H1, _H2, _C, _N in [(2, 3, 2, 3, 7), (4, 5, 3, 4, 9)]:
    _args = (_rng.normal(size=(_N, _D)), _rng.normal(size=(_D, _H1)), _rng.normal(size=(_H1, _H2)),
             _rng.normal(scale=2.0, size=(_H2, _C)), _rng.normal(size=_H1), _rng.normal(size=(1, _H2)),
             _rng.normal(size=_C))
    _ref = _ref_forward(*_args)
    _given = tuple(a.copy() for a in _args)
    _out = ff_nn_2_ReLu(*_given)
    assert all(np.array_equal(g, a) for g, a in zip(_given, _args)), "ff_nn_2_ReLu changed its arguments: it must not"
    assert np.shape(_out) == _ref[2].shape, "ff_nn_2_ReLu must return probabilities of shape (N, C)"
    assert np.allclose(_out, _ref[2], rtol=1e-7, atol=1e-10), \
        "ff_nn_2_ReLu gives wrong probabilities for other weights and inputs: ReLU on the hidden layers only, softmax on the output"
    _got = ff_nn_2_ReLu(*_args, return_hidden=True)
    assert len(_got) == 3, "with return_hidden=True, ff_nn_2_ReLu must return (h_1, h_2, y)"
    for _name, _g, _r in zip(["h_1", "h_2", "y"], _got, _ref):
        assert np.shape(_g) == _r.shape and np.allclose(_g, _r, rtol=1e-7, atol=1e-10), \
            f"{_name} returned with return_hidden=True is wrong (value or shape)"
# The seed's documented probabilities of the three samples of 1.4.
_doc = ff_nn_2_ReLu(np.array([[1., -1.], [0., -1.], [0., 1.]]), np.array([[1., 0., 0.], [-1., -1., 0.]]),
                    np.array([[1., 0.], [-1., 0.], [0., 0.5]]), np.array([[1., 0., -1.], [1., 0., -1.]]),
                    np.array([0., 0., 1.]), np.array([1., -1.]), np.array([1., 0., 0.]))
assert np.shape(_doc) == (3, 3) and np.allclose(_doc, [[0.94649912, 0.04712342, 0.00637746],
                                                       [0.84379473, 0.1141952, 0.04201007],
                                                       [0.84379473, 0.1141952, 0.04201007]], rtol=0, atol=1e-8), \
    "ff_nn_2_ReLu does not give the documented probabilities of the three samples of 1.4"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "class_probabilities_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 1.4 (5 points): the class probabilities of three samples
#
# The cell below holds three samples, one per row, and a set of weights, all in the convention above. Feed the
# samples forward.
#
# **TODO:** store in `result` the class probabilities of the three samples (shape (3, 3), one row per
# sample), computed with your `ff_nn_2_ReLu` (do not type the numbers in), and in `predicted_class` the index
# (0, 1 or 2) of the most probable class of each sample (shape (3,)). The test compares `result` with your own
# `ff_nn_2_ReLu` on these inputs, so a mistake in 1.3 is not counted twice.

# %% nbgrader={"grade": false, "grade_id": "ff_example_inputs", "locked": true, "schema_version": 3, "solution": false, "task": false}
x = np.array([[1., -1.],
              [0., -1.],
              [0., 1.]])                 # (N=3, D=2): sample n is row n
w_1 = np.array([[1., 0., 0.],
                [-1., -1., 0.]])         # (D=2, H1=3)
w_2 = np.array([[1., 0.],
                [-1., 0.],
                [0., 0.5]])              # (H1=3, H2=2)
v = np.array([[1., 0., -1.],
              [1., 0., -1.]])            # (H2=2, C=3)
b_1 = np.array([0., 0., 1.])             # (H1,)
b_2 = np.array([1., -1.])                # (H2,)
c = np.array([1., 0., 0.])               # (C,)

# %% nbgrader={"grade": false, "grade_id": "class_probabilities", "locked": false, "schema_version": 3, "solution": true, "task": false}
# TODO: result = the class probabilities of the three samples above, computed with your ff_nn_2_ReLu,
# shape (3, 3); predicted_class = the index (0, 1 or 2) of the most probable class of each sample, shape (3,).
### BEGIN SOLUTION
result = ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c)
predicted_class = np.argmax(result, axis=1)
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "check_class_probabilities", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check (not graded).
print("your result:\n", np.round(result, 8))
print("expected:\n", np.array([[0.94649912, 0.04712342, 0.00637746],
                               [0.84379473, 0.1141952, 0.04201007],
                               [0.84379473, 0.1141952, 0.04201007]]))
print("row sums:", np.sum(result, axis=1), "  predicted classes:", predicted_class)

# %% nbgrader={"grade": true, "grade_id": "test_class_probabilities", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 1.4. result is compared with your own ff_nn_2_ReLu on the inputs above.
assert np.shape(result) == (3, 3), "result must have shape (3, 3): one row of class probabilities per sample"
assert np.shape(np.ravel(predicted_class)) == (3,), "predicted_class must hold one class index per sample"
assert set(np.ravel(predicted_class).tolist()) <= {0, 1, 2}, "predicted_class must hold class indices 0, 1 or 2"
assert np.array_equal(np.ravel(predicted_class), np.argmax(result, axis=1)), \
    "predicted_class must hold, for each sample (row), the index of its largest probability"
### BEGIN HIDDEN TESTS
assert np.allclose(result, ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c), rtol=1e-12, atol=1e-14), \
    "result must be the output of ff_nn_2_ReLu on the inputs above, computed (not typed in)"
assert np.array_equal(np.ravel(predicted_class), np.argmax(result, axis=1)), \
    "predicted_class must hold the index of the largest probability of each row"
_expected = ff_nn_2_ReLu(np.array([[1., -1.], [0., -1.], [0., 1.]]),
                         np.array([[1., 0., 0.], [-1., -1., 0.]]), np.array([[1., 0.], [-1., 0.], [0., 0.5]]),
                         np.array([[1., 0., -1.], [1., 0., -1.]]), np.array([0., 0., 1.]), np.array([1., -1.]),
                         np.array([1., 0., 0.]))
assert np.shape(_expected) == (3, 3) and np.allclose(result, _expected, rtol=1e-12, atol=1e-14), \
    "result must be computed from the samples and weights given above (do not change them)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "identical_rows_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 1.4, written part (by hand, 2 points).** The second and third samples are different points, yet
# they get exactly the same probabilities. Follow both through the network ($h^{(1)}$, then $a^{(2)}$) and
# explain where the difference between them is lost.

# %% [markdown] nbgrader={"grade": true, "grade_id": "identical_rows_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Model answer. For $x = (0, -1)$: $a^{(1)} = (1, 1, 1)$, so $h^{(1)} = (1, 1, 1)$. For $x = (0, 1)$:
# $a^{(1)} = (-1, -1, 1)$ and the ReLU sets the first two units to zero, $h^{(1)} = (0, 0, 1)$. The difference
# $h^{(1)}$ keeps, $(1, 1, 0)$, is mapped to $(1 - 1, 0 + 0) = (0, 0)$ by $W^{(2)}$ (its first two rows cancel),
# so both samples reach $a^{(2)} = (1, -0.5)$, $h^{(2)} = (1, 0)$ and the same output scores $(2, 0, -1)$.
# The information is lost partly by the first ReLU (it zeroes two units of the second point) and then by
# $W^{(2)}$, whose null space contains the remaining difference: a network can map distinct inputs to
# identical outputs.
#
# Grading: 1 point for tracing the two samples correctly, 1 point for naming where the difference vanishes.

# %% [markdown] nbgrader={"grade": false, "grade_id": "part2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 2. Gradient descent on the Rosenbrock function
#
# The Rosenbrock function
#
# $$f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2 \tag{1}$$
#
# has its only minimum, $f = 0$, at $(x, y) = (1, 1)$, at the end of a long, narrow, curved valley along the
# parabola $y = x^2$. The valley floor is almost flat while its walls are steep: a classic hard case for
# gradient descent.
#
# ### Question 2.1 (8 points): the partial derivatives
#
# **Written part (by hand, 3 points).** What are $\partial f / \partial x$ and $\partial f / \partial y$? Show
# the chain rule step.

# %% [markdown] nbgrader={"grade": true, "grade_id": "rosenbrock_partials", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# Model answer. By the chain rule, with inner derivatives $\partial (1 - x) / \partial x = -1$ and
# $\partial (y - x^2) / \partial x = -2x$, $\partial (y - x^2) / \partial y = 1$:
#
# $$\frac{\partial f}{\partial x} = -2(1 - x) - 400\,x\,(y - x^2) = 2(-1 + x + 200x^3 - 200xy),$$
#
# $$\frac{\partial f}{\partial y} = 200\,(y - x^2).$$
#
# Both vanish at $(1, 1)$ only. Grading: 2 points for $\partial f / \partial x$ (the factor $-2x$ of the inner
# derivative is the usual slip), 1 point for $\partial f / \partial y$.

# %% [markdown] nbgrader={"grade": false, "grade_id": "grad_f_rosenbrock_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO (5 points):** write `grad_f(vector)`, the gradient of (1) at one point.

# %% nbgrader={"grade": false, "grade_id": "grad_f_rosenbrock", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_f(vector):
    """
    Gradient of the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2.

    Inputs:
    - vector : ndarray, shape (2,). The point (x, y).

    Returns:
    - grad : ndarray, shape (2,). The partial derivatives (df/dx, df/dy) at that point.
    """
    # TODO: unpack x, y = vector and return np.array([df_dx, df_dy]) with your derivatives from above.
    ### BEGIN SOLUTION
    x, y = vector
    df_dx = -2 * (1 - x) - 400 * x * (y - x**2)
    df_dy = 200 * (y - x**2)
    return np.array([df_dx, df_dy])
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_grad_f_rosenbrock", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check (not graded): your gradient beside central finite differences of f.
def _f_rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


for _p in [np.array([0., 0.]), np.array([1., 1.]), np.array([-0.5, 0.8])]:
    _fd = np.array([(_f_rosenbrock(_p + _d) - _f_rosenbrock(_p - _d)) / 2e-6 for _d in 1e-6 * np.eye(2)])
    print(f"at {_p}: grad_f = {np.round(grad_f(_p), 5)}, finite differences = {np.round(_fd, 5)}")


# %% nbgrader={"grade": true, "grade_id": "test_grad_f_rosenbrock", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 2.1.
def _f_rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


assert np.shape(grad_f(np.array([0.5, 0.5]))) == (2,), "grad_f must return an array of shape (2,)"
assert np.allclose(grad_f(np.array([1., 1.])), 0), "the gradient must vanish at the minimum (1, 1)"
assert np.allclose(grad_f(np.array([0., 0.])), [-2., 0.]), "grad_f is wrong at (0, 0)"
for _p in [np.array([-0.5, 0.8]), np.array([1.3, 0.4])]:
    _fd = np.array([(_f_rosenbrock(_p + _d) - _f_rosenbrock(_p - _d)) / 2e-6 for _d in 1e-6 * np.eye(2)])
    _g = np.asarray(grad_f(_p.copy()), dtype=float)
    _rel = np.max(np.abs(_g - _fd)) / np.max(np.abs(_fd))
    assert _rel < 1e-6, f"at {_p}, grad_f has a relative error of {_rel:.1e} against finite differences of (1)"
### BEGIN HIDDEN TESTS
def _ref_f(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


_rng = np.random.default_rng(44017)
for _p in _rng.uniform(-2, 2, size=(6, 2)):
    _fd = np.array([(_ref_f(_p + _d) - _ref_f(_p - _d)) / 2e-6 for _d in 1e-6 * np.eye(2)])
    _g = np.asarray(grad_f(_p.copy()), dtype=float)
    assert _g.shape == (2,), "grad_f must return an array of shape (2,)"
    assert np.allclose(_g[0], _fd[0], rtol=1e-5, atol=1e-4), "df/dx is wrong: check the chain rule through (y - x^2)"
    assert np.allclose(_g[1], _fd[1], rtol=1e-5, atol=1e-4), "df/dy is wrong"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "contours_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 2.2 (5 points): the contours of the Rosenbrock function
#
# $f$ grows from 0 in the valley to about a thousand on the walls of the box $[-1.5, 1.5] \times [-1, 3]$.
# Contour levels spaced evenly in $f$ would all crowd onto the steep walls and leave the valley blank, so space
# them evenly in $\log f$: each level a fixed factor above the previous one.
#
# **TODO:** write `rosenbrock(x, y)` (elementwise, so it works on whole grids) and
# `plot_rosenbrock_contours(ax, ...)`, which draws the contours on a given matplotlib `Axes` and returns the
# `ContourSet` that `ax.contour` returns. The trajectory plots below draw on top of it.

# %% nbgrader={"grade": false, "grade_id": "rosenbrock_contours", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rosenbrock(x, y):
    """
    The Rosenbrock function (1), elementwise.

    Inputs:
    - x, y : floats, or ndarrays of one shape S (for example the two grids made by np.meshgrid).

    Returns:
    - f : float or ndarray of shape S. f = (1 - x)^2 + 100 (y - x^2)^2.
    """
    # TODO: equation (1) with numpy operations that work elementwise on arrays.
    ### BEGIN SOLUTION
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2
    ### END SOLUTION


def plot_rosenbrock_contours(ax, xlim=(-1.5, 1.5), ylim=(-1.0, 3.0), n_levels=20):
    """
    Draw contour lines of the Rosenbrock function on ax, with log-spaced levels.

    Inputs:
    - ax : matplotlib Axes to draw on.
    - xlim, ylim : tuples (min, max). The box to cover.
    - n_levels : int. Number of contour levels L.

    Returns:
    - cs : matplotlib ContourSet, what ax.contour returns. cs.levels has shape (L,).
    """
    # TODO:
    # 1. the grid: 200 evenly spaced values over xlim (ends included) and 200 over ylim, combined into two
    #    (200, 200) grids with np.meshgrid, and f on it with your rosenbrock;
    # 2. the levels, shape (n_levels,): log-spaced (each a fixed factor above the previous one), the lowest 0.1
    #    and the highest the largest value of f on that grid;
    # 3. draw them with ax.contour (norm=LogNorm() spreads the colours over the log-spaced levels) and return
    #    the ContourSet it returns;
    # 4. mark the minimum (1, 1), and set a title and the axis labels.
    ### BEGIN SOLUTION
    X, Y = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    Z = rosenbrock(X, Y)
    levels = np.logspace(-1, np.log10(Z.max()), n_levels)
    cs = ax.contour(X, Y, Z, levels=levels, norm=LogNorm(), cmap="viridis")
    ax.plot(1, 1, "r*", markersize=12, label="minimum (1, 1)")
    ax.set_title("Rosenbrock function, log-spaced contours")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return cs
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "plot_contours", "locked": true, "schema_version": 3, "solution": false, "task": false}
fig, ax = plt.subplots(figsize=(6, 5))
cs = plot_rosenbrock_contours(ax)
ax.clabel(cs, fmt="%.3g", fontsize=7)
ax.legend(loc="upper left")
plt.show()
print("levels:", np.round(cs.levels, 3))
print("expected: 20 levels from 0.1 up, each about 1.66 times the previous one")

# %% nbgrader={"grade": true, "grade_id": "test_rosenbrock_contours", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 2.2.
assert np.isclose(rosenbrock(0., 0.), 1.0) and np.isclose(rosenbrock(1., 1.), 0.0), "rosenbrock is wrong"
_fig, _ax = plt.subplots()
_cs = plot_rosenbrock_contours(_ax)
_levels = np.asarray(_cs.levels, dtype=float)
plt.close(_fig)
assert _levels.size >= 10 and np.all(_levels > 0), "use at least 10 positive contour levels"
_ratios = _levels[1:] / _levels[:-1]
assert np.allclose(_ratios, _ratios[0], rtol=1e-6) and _ratios[0] > 1, \
    "the contour levels must be log-spaced: each level a fixed factor above the previous one"
assert _levels[0] <= 1 and _levels[-1] >= 100, "the levels must reach into the valley (f <= 1) and up the walls (f >= 100)"
assert _ax.get_title() and _ax.get_xlabel() and _ax.get_ylabel(), "give the plot a title and axis labels"
_fig, _ax = plt.subplots()
_levels = np.asarray(plot_rosenbrock_contours(_ax, xlim=(-1.0, 1.0), ylim=(0.0, 2.0), n_levels=8).levels, dtype=float)
plt.close(_fig)
assert _levels.shape == (8,), "plot_rosenbrock_contours(..., n_levels=8) must draw 8 levels"
assert np.isclose(_levels[0], 0.1, rtol=1e-6), "the lowest level must be 0.1"
assert np.isclose(_levels[-1], 400.99997481, rtol=1e-6), \
    "for xlim=(-1, 1), ylim=(0, 2) the highest level must be the largest f on the 200 x 200 grid of that box (401.0)"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(61120)
_xs, _ys = _rng.uniform(-2, 2, size=(2, 4, 5))
assert np.shape(rosenbrock(_xs, _ys)) == (4, 5), "rosenbrock must work elementwise on arrays"
assert np.allclose(rosenbrock(_xs, _ys), (1 - _xs) ** 2 + 100 * (_ys - _xs ** 2) ** 2), \
    "rosenbrock is wrong on other points"
for _xlim, _ylim, _n in [((-2.0, 2.0), (-3.0, 5.0), 13), ((0.5, 2.5), (-1.0, 0.5), 7), ((-1.0, 0.0), (0.0, 1.0), 9)]:
    _fig2, _ax2 = plt.subplots()
    _lv = np.asarray(plot_rosenbrock_contours(_ax2, xlim=_xlim, ylim=_ylim, n_levels=_n).levels, dtype=float)
    plt.close(_fig2)
    _gx, _gy = np.meshgrid(np.linspace(*_xlim, 200), np.linspace(*_ylim, 200))
    _top = np.max((1 - _gx) ** 2 + 100 * (_gy - _gx ** 2) ** 2)
    assert _lv.shape == (_n,), "plot_rosenbrock_contours must draw n_levels levels"
    assert np.allclose(_lv[1:] / _lv[:-1], _lv[1] / _lv[0], rtol=1e-6), "the contour levels must be log-spaced for any box"
    assert np.isclose(_lv[0], 0.1, rtol=1e-6), "the lowest level must be 0.1"
    assert np.isclose(_lv[-1], _top, rtol=1e-6), \
        f"for xlim={_xlim}, ylim={_ylim} the highest level must be the largest value of f on the grid of that box"
import ast, inspect, linecache, textwrap


def _loop_lines(func, scaffold_var=None):
    """Lines of the answer cell defining `func` that hold a loop (the provided `for scaffold_var` loop excepted)."""
    text = "".join(linecache.getlines(func.__code__.co_filename))
    if not text.strip():
        try:
            text = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):
            raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run that cell")
    tree = ast.parse(text)
    allowed = set()
    for node in ast.walk(tree):
        if scaffold_var and isinstance(node, ast.FunctionDef) and node.name == func.__name__:
            allowed.update(id(s) for s in node.body[:] if isinstance(s, ast.For)
                           and getattr(s.target, "id", None) == scaffold_var)
    loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return sorted({n.lineno for n in ast.walk(tree) if isinstance(n, loops) and id(n) not in allowed})


_lines = _loop_lines(plot_rosenbrock_contours)
assert not _lines, ("no-loop rule: the answer cell of rosenbrock and plot_rosenbrock_contours has a for/while loop or a comprehension "
                    f"(line {_lines}); use numpy operations on whole grids")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "grad_descent_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 2.3 (9 points): gradient descent
#
# Gradient descent repeats, from a starting point $p_0$,
#
# $$p_{t+1} = p_t - \eta\, \nabla f(p_t), \qquad t = 0, 1, \dots, T - 1, \tag{2}$$
#
# with learning rate $\eta$.
#
# **TODO (7 points):** write `grad_descent` with the `grad_f` of 2.1. When no starting point is given it draws
# one at random, with `np.random.uniform(-1, 1.5, size=2)` (numpy's global generator, so that
# `np.random.seed` before the call fixes the start). Test `starting_point is None`: `if starting_point:` raises
# an error when the start is a numpy array ("the truth value of an array is ambiguous").

# %% nbgrader={"grade": false, "grade_id": "grad_descent", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_descent(starting_point=None, iterations=20000, learning_rate=1e-3):
    """
    Gradient descent (2) on the Rosenbrock function.

    Inputs:
    - starting_point : ndarray, shape (2,), or None. The start p_0; if None, draw it with
      np.random.uniform(-1, 1.5, size=2).
    - iterations : int. The number of updates T.
    - learning_rate : float. The step size eta.
    The defaults (eta = 1e-3, T = 20000) are stable from every start in the box of the random start and end
    within 1e-3 of the minimum (1, 1).

    Returns:
    - trajectory : ndarray, shape (T + 1, 2). Row 0 is p_0, row t the point after t updates.
    """
    # TODO: the start (the is-None test; a given start copied into a new float array, so that the caller's array
    # is never changed), then T updates (2) with grad_f, keeping every point. Make each new point a new array:
    # an in-place update (-=) would also change the point already kept. Return the trajectory, shape (T + 1, 2),
    # row 0 the start.
    ### BEGIN SOLUTION
    if starting_point is None:
        point = np.random.uniform(-1, 1.5, size=2)
    else:
        point = np.array(starting_point, dtype=float)
    trajectory = [point]
    for _ in range(iterations):
        point = point - learning_rate * grad_f(point)
        trajectory.append(point)
    return np.array(trajectory)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_grad_descent", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check (not graded): two steps from (0, 0) with learning rate 0.1.
print("your trajectory:\n", grad_descent(np.array([0., 0.]), iterations=2, learning_rate=0.1))
print("expected:\n", np.array([[0., 0.], [0.2, 0.], [0.04, 0.8]]))

# %% nbgrader={"grade": true, "grade_id": "test_grad_descent", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 2.3. They check the update (2) with your own grad_f, so that a slip in 2.1 is not
# counted twice.
_traj = np.asarray(grad_descent(np.array([0., 0.]), iterations=2, learning_rate=0.1), dtype=float)
assert _traj.shape == (3, 2), "grad_descent must return an array of shape (iterations + 1, 2)"
assert np.allclose(_traj[0], [0., 0.]), "row 0 of the trajectory must be the starting point"
for _t in range(2):
    assert np.allclose(_traj[_t + 1], _traj[_t] - 0.1 * np.asarray(grad_f(_traj[_t].copy()))), \
        "each point must be the previous one minus learning_rate times grad_f at the previous one"
np.random.seed(3)
_traj = grad_descent(iterations=0, learning_rate=0.1)
np.random.seed(3)
assert np.shape(_traj) == (1, 2) and np.allclose(_traj[0], np.random.uniform(-1, 1.5, size=2)), \
    "without a starting point, draw it with np.random.uniform(-1, 1.5, size=2)"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(83311)
for _ in range(3):
    _p0 = _rng.uniform(-1.2, 1.2, size=2)
    _eta = _rng.uniform(1e-4, 1e-3)
    _given = _p0.copy()
    _got = np.asarray(grad_descent(_given, iterations=6, learning_rate=_eta), dtype=float)
    assert np.array_equal(_given, _p0), "grad_descent must not change the starting point it was given"
    _expected = [_p0]
    for _k in range(6):
        _expected.append(_expected[-1] - _eta * np.asarray(grad_f(_expected[-1].copy()), dtype=float))
    assert _got.shape == (7, 2), "grad_descent must return one row per point, start included"
    assert np.allclose(_got[1], _expected[1], rtol=1e-9, atol=1e-12), "the first gradient descent step is wrong"
    assert np.allclose(_got, np.array(_expected), rtol=1e-9, atol=1e-12), \
        "the trajectory is wrong after a few steps: store a new point at every step"
np.random.seed(2718)
_got = np.asarray(grad_descent(iterations=3, learning_rate=2e-4), dtype=float)
np.random.seed(2718)
_start = np.random.uniform(-1, 1.5, size=2)
assert _got.shape == (4, 2), "grad_descent must return one row per point, start included"
assert np.allclose(_got[0], _start), "without a starting point, draw it with np.random.uniform(-1, 1.5, size=2)"
_p1 = _start - 2e-4 * np.asarray(grad_f(_start.copy()), dtype=float)
assert np.allclose(_got[1], _p1, rtol=1e-9), "grad_descent is wrong from a random start"
# The seed's documented starts of the three runs below (the generator seeded with 10 once, three calls in a row).
np.random.seed(10)
_starts = np.array([np.asarray(grad_descent(iterations=2, learning_rate=_eta), dtype=float)[0]
                    for _eta in (5 ** (-6), 5 ** (-7), 5 ** (-3))])
assert _starts.shape == (3, 2) and np.allclose(_starts, [[0.92830161, -0.94812013], [0.58412059, 0.87200971],
                                                         [0.24626753, -0.43800839]], rtol=0, atol=1e-8), \
    "after np.random.seed(10), three calls without a starting point must start where the documented runs start: " \
    "draw each start once, with np.random.uniform(-1, 1.5, size=2)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "gd_demo_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Three runs of 300 steps, with learning rates $5^{-6} = 6.4 \cdot 10^{-5}$, $5^{-7} = 1.28 \cdot 10^{-5}$
# and $5^{-3} = 8 \cdot 10^{-3}$, each from a random start. The generator is seeded once, so the three starts
# are $(0.92830161, -0.94812013)$, $(0.58412059, 0.87200971)$ and $(0.24626753, -0.43800839)$.

# %% nbgrader={"grade": false, "grade_id": "gd_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
def plot_trajectory(ax, traj, title):
    """Draw the contours (over a box that holds the whole trajectory) and the trajectory traj, shape (T + 1, 2)."""
    lo = np.minimum(traj.min(axis=0), [-1.5, -1.0]) - 0.2
    hi = np.maximum(traj.max(axis=0), [1.5, 3.0]) + 0.2
    plot_rosenbrock_contours(ax, xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    ax.plot(traj[:, 0], traj[:, 1], "-o", color="tab:red", markersize=2, linewidth=1, label="trajectory")
    ax.plot(traj[0, 0], traj[0, 1], "ks", label="start")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=7)


np.random.seed(10)
fig, axes = plt.subplots(1, 3, figsize=(16, 5))
for ax, learning_rate in zip(axes, [5 ** (-6), 5 ** (-7), 5 ** (-3)]):
    traj = grad_descent(iterations=300, learning_rate=learning_rate)
    print(f"learning rate {learning_rate:.3g}: start {traj[0]}, after 300 steps {traj[-1].round(4)}, "
          f"f = {rosenbrock(*traj[-1]):.4f}")
    plot_trajectory(ax, traj, f"gradient descent, learning rate {learning_rate:.3g}, 300 steps")
plt.tight_layout()
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "learning_rate_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 2.3, written part (by hand, 2 points).** Describe what the learning rate does here: how do the
# three trajectories move across and along the valley, and why does none of them reach $(1, 1)$ in 300 steps?

# %% [markdown] nbgrader={"grade": true, "grade_id": "learning_rate_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Model answer. The gradient is large across the valley (steep walls) and tiny along its floor. With
# $\eta = 6.4 \cdot 10^{-5}$ the run slides down the wall and reaches the valley floor near $(0.16, 0.01)$,
# but has hardly started along it after 300 steps. With $\eta = 1.28 \cdot 10^{-5}$ the start is already
# close to the floor, and the tiny steps only creep along it, from $(0.58, 0.87)$ to about $(0.81, 0.71)$.
# With $\eta = 8 \cdot 10^{-3}$ the steps are large: the run zigzags from wall to wall around the bottom of
# the valley near $(0.1, 0)$, because across the valley the curvature is at least
# $\partial^2 f / \partial y^2 = 200$ and steps with $\eta$ close to $2 / 200 = 0.01$ overshoot the floor
# (larger ones diverge). None reaches $(1, 1)$: a learning rate small enough to be stable across the valley
# is far too small for the flat direction along it (the problem is badly conditioned), and a larger one
# oscillates instead of progressing.
#
# Grading: 1 point for the small-rate behaviour (slow crawl along the valley), 1 point for the large rate
# (oscillation across the valley / stability limit).

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 2.4 (9 points): gradient descent with momentum
#
# Momentum keeps a velocity $u$, a running sum of past gradients that decays by a factor $\beta$ per step,
# and moves the point by it:
#
# $$u_{t+1} = \beta\, u_t + \eta\, \nabla f(p_t), \qquad p_{t+1} = p_t - u_{t+1}, \qquad u_0 = 0, \tag{3}$$
#
# with learning rate $\eta$ (as in (2)) and momentum coefficient $0 \le \beta < 1$. Gradient components that keep
# their sign (along the valley) add up over the steps; components that flip sign (across the valley) cancel.
# With $\beta = 0$ this is gradient descent (2).
#
# **What to remember: one method, two ways of writing it.** Lab 7 writes momentum as a moving average,
# $m_{t+1} = \beta\, m_t + (1 - \beta)\, \nabla f(p_t)$, $p_{t+1} = p_t - \alpha\, m_{t+1}$ (its $\alpha$ is the
# learning rate). That is the same method as (3): with $u_t = \alpha\, m_t$ the two updates coincide when
# $\eta = \alpha (1 - \beta)$. Both keep the fraction $\beta$ of the past velocity; they differ only in where the
# step size sits. Where the gradient $g$ stays the same, both steps grow towards $\eta\, g / (1 - \beta) = \alpha\, g$,
# so in the form (3) a larger $\beta$ also means a larger step, and in Lab 7's form it does not. This notebook
# uses (3) throughout: `beta` is $\beta$ and `learning_rate` is $\eta$.
#
# **TODO (7 points):** write `grad_descent_with_momentum`. Without a starting point it draws one with
# `np.random.uniform(-10, 10, size=2)` (numpy's global generator).

# %% nbgrader={"grade": false, "grade_id": "grad_descent_with_momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_descent_with_momentum(starting_point=None, iterations=1000, beta=0.9, learning_rate=1e-5):
    """
    Gradient descent with momentum (3) on the Rosenbrock function.

    Inputs:
    - starting_point : ndarray, shape (2,), or None. The start p_0; if None, draw it with
      np.random.uniform(-10, 10, size=2).
    - iterations : int. The number of updates T.
    - beta : float. The momentum coefficient beta (the fraction of the velocity kept from one step to the next).
    - learning_rate : float. The learning rate eta.
    The defaults (beta = 0.9, eta = 1e-5, T = 1000) are stable from every start in the box of the random
    start, where f reaches about 10^6, and bring the point down to the valley floor (f below 25).

    Returns:
    - trajectory : ndarray, shape (T + 1, 2). Row 0 is p_0, row t the point after t updates.
    """
    # TODO: the start as in grad_descent (the is-None test, a new float array); the velocity u_0 = 0, shape (2,);
    # then T updates (3) with grad_f, keeping every point. Return the trajectory, shape (T + 1, 2), row 0 the
    # start.
    ### BEGIN SOLUTION
    if starting_point is None:
        point = np.random.uniform(-10, 10, size=2)
    else:
        point = np.array(starting_point, dtype=float)
    velocity = np.zeros(point.size)
    trajectory = [point]
    for _ in range(iterations):
        velocity = beta * velocity + learning_rate * grad_f(point)
        point = point - velocity
        trajectory.append(point)
    return np.array(trajectory)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_grad_descent_with_momentum", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check (not graded): three steps from (0, 0) with learning rate 0.01 and beta 0.5.
print("your trajectory:\n", grad_descent_with_momentum(np.array([0., 0.]), iterations=3, beta=0.5, learning_rate=0.01))
print("expected:\n", np.array([[0., 0.], [0.02, 0.], [0.049568, 0.0008], [0.08303211, 0.00451397]]))

# %% nbgrader={"grade": true, "grade_id": "test_grad_descent_with_momentum", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 2.4. They check the update (3) with your own grad_f.
_traj = np.asarray(grad_descent_with_momentum(np.array([0., 0.]), iterations=3, beta=0.5, learning_rate=0.01), dtype=float)
assert _traj.shape == (4, 2), "grad_descent_with_momentum must return an array of shape (iterations + 1, 2)"
assert np.allclose(_traj[0], [0., 0.]), "row 0 of the trajectory must be the starting point"
_u = 0.01 * np.asarray(grad_f(_traj[0].copy()))
assert np.allclose(_traj[1], _traj[0] - _u), "the first momentum step (zero velocity) is a gradient step"
_u = 0.5 * _u + 0.01 * np.asarray(grad_f(_traj[1].copy()))
assert np.allclose(_traj[2], _traj[1] - _u), \
    "the second step is wrong: the new velocity keeps beta times the previous one, and moves the point"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12029)
for _ in range(3):
    _p0 = _rng.uniform(-1.2, 1.2, size=2)
    _eps, _alpha = _rng.uniform(1e-4, 5e-4), _rng.uniform(0.3, 0.9)
    _given = _p0.copy()
    _got = np.asarray(grad_descent_with_momentum(_given, iterations=6, beta=_alpha, learning_rate=_eps), dtype=float)
    assert np.array_equal(_given, _p0), "grad_descent_with_momentum must not change the starting point it was given"
    _expected, _vel = [_p0], np.zeros(2)
    for _k in range(6):
        _vel = _alpha * _vel + _eps * np.asarray(grad_f(_expected[-1].copy()), dtype=float)
        _expected.append(_expected[-1] - _vel)
    assert _got.shape == (7, 2), "grad_descent_with_momentum must return one row per point, start included"
    assert np.allclose(_got[1], _expected[1], rtol=1e-9, atol=1e-12), "the first momentum step is wrong"
    assert np.allclose(_got, np.array(_expected), rtol=1e-9, atol=1e-12), \
        "the trajectory is wrong after a few steps: keep beta times the previous velocity"
np.random.seed(1414)
_got = np.asarray(grad_descent_with_momentum(iterations=1, beta=0.5, learning_rate=1e-6), dtype=float)
np.random.seed(1414)
assert _got.shape == (2, 2), "grad_descent_with_momentum must return one row per point, start included"
assert np.allclose(_got[0], np.random.uniform(-10, 10, size=2)), \
    "without a starting point, draw it with np.random.uniform(-10, 10, size=2)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_demo_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Six settings, 180 steps each, all from the same random start (the generator is seeded with 100 before each
# run, so every run starts at $(0.86809884, -4.4326123)$, on the wall below the valley).

# %% nbgrader={"grade": false, "grade_id": "momentum_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
settings = [(8e-5, 5 ** (-6)), (1e-5, 0.5), (8e-4, 5 ** (-6)), (8e-5, 1.0), (8e-5, 0.9), (8e-5, 0.7)]
fig, axes = plt.subplots(2, 3, figsize=(16, 10))
for ax, (learning_rate, beta) in zip(axes.ravel(), settings):
    np.random.seed(100)
    traj = grad_descent_with_momentum(iterations=180, learning_rate=learning_rate, beta=beta)
    print(f"learning rate {learning_rate:.1e}, beta {beta:.3g}: after 180 steps {traj[-1].round(4)}, "
          f"f = {rosenbrock(*traj[-1]):.4f}")
    plot_trajectory(ax, traj, f"momentum, learning rate {learning_rate:.1e}, beta {beta:.3g}, 180 steps")
plt.tight_layout()
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_settings_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 2.4, written part (by hand, 2 points).** Compare the runs: what does $\beta$ change for the same
# $\eta$ (the $\eta = 8 \cdot 10^{-5}$ runs with $\beta \approx 0$, $0.7$, $0.9$ and $1$), and what goes
# wrong with $\beta = 1$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "momentum_settings_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Model answer. With $\beta \approx 0$ momentum is plain gradient descent: with $\eta = 8 \cdot 10^{-5}$
# the point slides down the wall and has not even reached the valley floor after 180 steps. A larger
# $\beta$ lets consistent gradients add up (the step grows towards $\eta / (1 - \beta)$ times the
# gradient): with $\beta = 0.7$ the run reaches the valley floor, and with $\beta = 0.9$ it runs down the
# wall, up along the valley, overshoots past $(1, 1)$, turns round and ends closest to the minimum
# ($f \approx 0.07$, against 0.86 for $\beta = 0.7$ and 6.8 without momentum). The price is overshoot: the
# larger velocity also carries the point past the valley and the minimum. With $\beta = 1$ nothing damps the
# velocity, every past gradient is kept forever, and the point swings far across and beyond the valley without
# ever settling: momentum needs $\beta < 1$. ($\eta = 10^{-5}$ with $\beta = 0.5$ is simply too slow:
# an effective step of $2 \cdot 10^{-5}$ leaves it on the wall.)
#
# Grading: 1 point for "larger $\beta$ = faster progress along the valley, with overshoot", 1 point for
# "$\beta = 1$ never damps the velocity, so it does not converge".

# %% [markdown] nbgrader={"grade": false, "grade_id": "part3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 3. Backpropagation
#
# We now train the network of Part 1 (2 inputs, 3 and 2 ReLU units, 3 softmax outputs) on $N$ labelled samples.
# In the notation of Part 3 (samples in rows, as before):
#
# $$A_1 = X W_1 + b_1,\quad H_1 = \max(0, A_1),\quad A_2 = H_1 W_2 + b_2,\quad H_2 = \max(0, A_2),\quad
#   A_3 = H_2 V + v_0,\quad Y = \mathrm{softmax}(A_3),$$
#
# with shapes $X$: $(N, 2)$, $W_1$: $(2, 3)$, $W_2$: $(3, 2)$, $V$: $(2, 3)$, and biases $b_1$: $(1, 3)$,
# $b_2$: $(1, 2)$, $v_0$: $(1, 3)$. The targets are one-hot rows: $T_{ns} = 1$ if sample $n$ is of class
# $s$, else 0. The loss is the cross-entropy, **summed** over the samples:
#
# $$L = -\sum_{n=1}^{N} \sum_{s=1}^{3} T_{ns} \log Y_{ns}. \tag{4}$$
#
# ### Question 3.1 (by hand, 8 points): derive the gradients
#
# Derive $\partial L / \partial V$, $\partial L / \partial v_0$, $\partial L / \partial W_2$,
# $\partial L / \partial b_2$, $\partial L / \partial W_1$ and $\partial L / \partial b_1$. Start with
# $\partial L / \partial A_3$ (use $\sum_s T_{ns} = 1$), then go backwards through the layers; the derivative
# of $\max(0, a)$ is $\mathbb{1}[a > 0]$. Give the results in matrix form (with their shapes) and say how the
# bias gradients combine the samples.

# %% [markdown] nbgrader={"grade": true, "grade_id": "backprop_derivation", "locked": false, "points": 8, "schema_version": 3, "solution": true, "task": false}
# Model answer. For one sample, $\partial L / \partial Y_s = -T_s / Y_s$ and
# $\partial Y_r / \partial a_s = Y_r(\mathbb{1}[r = s] - Y_s)$, so
#
# $$\frac{\partial L}{\partial a_s} = \sum_r \left(-\frac{T_r}{Y_r}\right) Y_r (\mathbb{1}[r = s] - Y_s)
#   = -T_s + Y_s \sum_r T_r = Y_s - T_s .$$
#
# For the batch, call these backpropagated errors $\delta$ (one row per sample):
#
# $$\delta_3 = \frac{\partial L}{\partial A_3} = Y - T \quad (N, 3)$$
#
# $$\frac{\partial L}{\partial V} = H_2^\top \delta_3 \quad (2, 3), \qquad
#   \frac{\partial L}{\partial v_0} = \sum_{n} \delta_{3, n} \quad (3,)$$
#
# $$\delta_2 = \frac{\partial L}{\partial A_2} = (\delta_3 V^\top) \odot \mathbb{1}[A_2 > 0] \quad (N, 2)$$
#
# $$\frac{\partial L}{\partial W_2} = H_1^\top \delta_2 \quad (3, 2), \qquad
#   \frac{\partial L}{\partial b_2} = \sum_{n} \delta_{2, n} \quad (2,)$$
#
# $$\delta_1 = \frac{\partial L}{\partial A_1} = (\delta_2 W_2^\top) \odot \mathbb{1}[A_1 > 0] \quad (N, 3)$$
#
# $$\frac{\partial L}{\partial W_1} = X^\top \delta_1 \quad (2, 3), \qquad
#   \frac{\partial L}{\partial b_1} = \sum_{n} \delta_{1, n} \quad (3,)$$
#
# Element by element, e.g. $\dfrac{\partial L}{\partial W_{1, ij}} = \sum_n x_{ni}\, \mathbb{1}[A_{1, nj} > 0]
# \sum_k W_{2, jk}\, \mathbb{1}[A_{2, nk} > 0] \sum_s V_{ks} (Y_{ns} - T_{ns})$. Since $H = \max(0, A)$,
# $\mathbb{1}[A > 0] = \mathbb{1}[H > 0]$. Each bias is added to every sample, so its gradient is the sum over
# the samples (the rows) of the $\delta$ of its layer; a weight gradient sums, over the samples, the product
# of the layer's input and its $\delta$, which is what the matrix product with the transposed input does.
#
# Grading: 2 points for $\delta_3 = Y - T$ (with the softmax/cross-entropy step), 2 for the output layer
# ($V$, $v_0$), 2 for the second layer (ReLU mask of $A_2$), 2 for the first layer (mask of $A_1$, biases summed
# over samples).

# %% [markdown] nbgrader={"grade": false, "grade_id": "grad_f_network_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 3.2 (14 points): the loss and its gradient
#
# **TODO:** write `cost(T, Y)`, the loss (4), and `grad_f_network(...)`, which returns the six gradients of 3.1
# in the order `d_v, d_v0, d_w2, d_b2, d_w1, d_b1`. It receives the output `Y` and the hidden activations `H1`,
# `H2` of a forward pass (`ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)`), so it only goes
# backwards; it does not receive the pre-activations $A_1$, $A_2$, so whatever it needs of them it reads from
# `H1` and `H2`. (It has its own name: the Rosenbrock `grad_f` of Part 2 stays as it is.)

# %% nbgrader={"grade": false, "grade_id": "grad_f_network", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cost(T, Y):
    """
    Cross-entropy loss (4), summed over the samples.

    Inputs:
    - T : ndarray, shape (N, C). One-hot targets.
    - Y : ndarray, shape (N, C). Predicted class probabilities.

    Returns:
    - L : float. The loss (4): summed over the samples, not averaged.
    """
    # TODO: equation (4) for all samples at once; return a Python float (float(...)).
    ### BEGIN SOLUTION
    return float(-np.sum(T * np.log(Y)))
    ### END SOLUTION


def grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2):
    """
    Gradients of the loss (4) with respect to every parameter of the network, by backpropagation.

    Inputs:
    - data : ndarray, shape (N, D). The samples X.
    - T    : ndarray, shape (N, C). One-hot targets.
    - Y    : ndarray, shape (N, C). Output of the forward pass.
    - H1   : ndarray, shape (N, H1). Activations of hidden layer 1 (from the same forward pass).
    - H2   : ndarray, shape (N, H2). Activations of hidden layer 2.
    - V    : ndarray, shape (H2, C). W2 : ndarray, shape (H1, H2). W1 : ndarray, shape (D, H1).
    - b1, b2 : ndarrays, shapes (1, H1) and (1, H2). Not needed once H1 and H2 are known.
    The arguments are not modified.

    Returns, in this order:
    - d_v  : ndarray, shape (H2, C). dL/dV.
    - d_v0 : ndarray, shape (C,) (or (1, C)). dL/dv0.
    - d_w2 : ndarray, shape (H1, H2). dL/dW2.
    - d_b2 : ndarray, shape (H2,) (or (1, H2)). dL/db2.
    - d_w1 : ndarray, shape (D, H1). dL/dW1.
    - d_b1 : ndarray, shape (H1,) (or (1, H1)). dL/db1.
    """
    # TODO: your matrix-form results of 3.1, for all N samples at once (no loop over the samples): the
    # backpropagated errors dL/dA3 (N, C), dL/dA2 (N, H2) and dL/dA1 (N, H1), one row per sample, then the six
    # gradients listed above, each with the shape of its parameter. L is the loss (4), a sum over the samples
    # (not a mean): do not divide by N. These are the gradients of L itself: gradient descent subtracts them.
    ### BEGIN SOLUTION
    delta_3 = Y - T
    d_v = H2.T @ delta_3
    d_v0 = delta_3.sum(axis=0)
    delta_2 = (delta_3 @ V.T) * (H2 > 0)
    d_w2 = H1.T @ delta_2
    d_b2 = delta_2.sum(axis=0)
    delta_1 = (delta_2 @ W2.T) * (H1 > 0)
    d_w1 = data.T @ delta_1
    d_b1 = delta_1.sum(axis=0)
    return d_v, d_v0, d_w2, d_b2, d_w1, d_b1
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_grad_f_network", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check (not graded): each gradient beside central finite differences of your cost on a small problem.
_rng = np.random.default_rng(21)
_X = _rng.normal(size=(6, 2))
_T = np.eye(3)[_rng.integers(0, 3, size=6)]
_params = {"V": _rng.normal(size=(2, 3)), "v0": _rng.normal(size=(1, 3)), "W2": _rng.normal(size=(3, 2)),
           "b2": _rng.normal(size=(1, 2)), "W1": _rng.normal(size=(2, 3)), "b1": _rng.normal(size=(1, 3))}


def _loss_of(p):
    return cost(_T, ff_nn_2_ReLu(_X, p["W1"], p["W2"], p["V"], p["b1"], p["b2"], p["v0"]))


_H1, _H2, _Y = ff_nn_2_ReLu(_X, _params["W1"], _params["W2"], _params["V"], _params["b1"], _params["b2"],
                            _params["v0"], return_hidden=True)
_grads = grad_f_network(_X, _T, _Y, _H1, _H2, _params["V"], _params["W2"], _params["W1"], _params["b1"],
                        _params["b2"])
for _name, _g in zip(["V", "v0", "W2", "b2", "W1", "b1"], _grads):
    _fd = np.zeros(_params[_name].size)
    for _i in range(_fd.size):
        _plus = {k: a.copy() for k, a in _params.items()}
        _minus = {k: a.copy() for k, a in _params.items()}
        _plus[_name].flat[_i] += 1e-6
        _minus[_name].flat[_i] -= 1e-6
        _fd[_i] = (_loss_of(_plus) - _loss_of(_minus)) / 2e-6
    print(f"d{_name}: grad_f_network {np.round(np.ravel(_g), 5)}\n     finite differences {np.round(_fd, 5)}")

# %% nbgrader={"grade": true, "grade_id": "test_grad_f_network", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 3.2.
assert np.isclose(cost(np.array([[1., 0.], [0., 1.]]), np.array([[0.5, 0.5], [0.25, 0.75]])), np.log(2) - np.log(0.75)), \
    "cost is wrong: minus the sum over samples and classes of T * log(Y)"
# The activations and probabilities are given here (any nonnegative activations and any rows of probabilities
# will do), so that a slip in 1.3 is not counted again.
_rng = np.random.default_rng(2)
_X = _rng.normal(size=(4, 2))
_T = np.eye(3)[[0, 1, 2, 1]]
_V, _v0, _W2, _b2, _W1, _b1 = (_rng.normal(size=s) for s in [(2, 3), (1, 3), (3, 2), (1, 2), (2, 3), (1, 3)])
_H1 = np.array([[0.5, 0., 1.2], [0., 0.3, 0.], [2.0, 0.1, 0.], [0., 0., 0.7]])
_H2 = np.array([[0.4, 0.], [0., 0.], [1.1, 0.6], [0., 0.9]])
_Y = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
_grads = grad_f_network(_X, _T, _Y, _H1, _H2, _V, _W2, _W1, _b1, _b2)
assert len(_grads) == 6, "grad_f_network must return d_v, d_v0, d_w2, d_b2, d_w1, d_b1"
for _name, _g, _shapes in zip(["d_v", "d_v0", "d_w2", "d_b2", "d_w1", "d_b1"], _grads,
                              [[(2, 3)], [(3,), (1, 3)], [(3, 2)], [(2,), (1, 2)], [(2, 3)], [(3,), (1, 3)]]):
    assert np.shape(_g) in _shapes, f"{_name} has the wrong shape: expected {_shapes[0]}"
assert np.allclose(_grads[0], [[-0.21, 0.31, -0.1], [0.33, -0.48, 0.15]]), \
    "d_v, the gradient of the loss (4) with respect to V, is wrong on this example"
_inputs = (_X, _T, _Y, _H1, _H2, _V, _W2, _W1, _b1, _b2)
_given = tuple(_a.copy() for _a in _inputs)
grad_f_network(*_given)
assert all(np.array_equal(_g, _a) for _g, _a in zip(_given, _inputs)), \
    "grad_f_network changed one of its arguments (Y, H1, H2, ...): compute new arrays instead"
# A gradient check on a network of 7 samples: each gradient against central finite differences of your cost of
# your forward pass (when your ff_nn_2_ReLu passes the tests of 1.3: otherwise this check cannot tell).
try:
    _ff_ok = np.allclose(ff_nn_2_ReLu(np.array([[0.5, -1.5], [2.0, 0.3]]), np.array([[0.8, -0.6, 0.3], [-0.4, 0.9, -1.1]]),
                                      np.array([[1.2, -0.7], [0.5, 0.8], [-0.9, 0.6]]),
                                      np.array([[0.7, -1.3, 0.4], [-0.2, 0.9, 1.5]]), np.array([0.1, -0.2, 0.3]),
                                      np.array([-0.1, 0.2]), np.array([0.3, -0.3, 0.1])),
                         [[0.20754604, 0.24331409, 0.54913987], [0.62526045, 0.02636845, 0.3483711]], rtol=0, atol=1e-8)
except Exception:
    _ff_ok = False
if _ff_ok:
    _rng = np.random.default_rng(23)
    _X = _rng.normal(size=(7, 2))
    _T = np.eye(3)[[0, 1, 2, 2, 1, 0, 1]]
    _names = ["V", "v0", "W2", "b2", "W1", "b1"]
    _P = dict(zip(_names, [_rng.normal(size=_s) for _s in [(2, 3), (1, 3), (3, 2), (1, 2), (2, 3), (1, 3)]]))

    def _L(p):
        return cost(_T, ff_nn_2_ReLu(_X, p["W1"], p["W2"], p["V"], p["b1"], p["b2"], p["v0"]))

    _H1, _H2, _Y = ff_nn_2_ReLu(_X, _P["W1"], _P["W2"], _P["V"], _P["b1"], _P["b2"], _P["v0"], return_hidden=True)
    _grads = grad_f_network(_X, _T, _Y, _H1, _H2, _P["V"], _P["W2"], _P["W1"], _P["b1"], _P["b2"])
    for _name, _g in zip(_names, _grads):
        _fd = np.zeros(_P[_name].size)
        for _i in range(_fd.size):
            _plus = {_k: _a.copy() for _k, _a in _P.items()}
            _minus = {_k: _a.copy() for _k, _a in _P.items()}
            _plus[_name].flat[_i] += 1e-6
            _minus[_name].flat[_i] -= 1e-6
            _fd[_i] = (_L(_plus) - _L(_minus)) / 2e-6
        assert np.size(_g) == _fd.size, f"d_{_name.lower()} has {np.size(_g)} entries instead of {_fd.size}"
        _rel = np.max(np.abs(np.ravel(_g) - _fd)) / max(np.max(np.abs(_fd)), 1e-8)
        assert _rel < 1e-5, \
            f"the gradient with respect to {_name} has a relative error of {_rel:.1e} against finite differences " \
            f"of the loss (4) on 7 samples (it must be below 1e-5)"
import ast, inspect, linecache, textwrap


def _loop_lines(func, scaffold_var=None):
    """Lines of the answer cell defining `func` that hold a loop (the provided `for scaffold_var` loop excepted)."""
    text = "".join(linecache.getlines(func.__code__.co_filename))
    if not text.strip():
        try:
            text = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):
            raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run that cell")
    tree = ast.parse(text)
    allowed = set()
    for node in ast.walk(tree):
        if scaffold_var and isinstance(node, ast.FunctionDef) and node.name == func.__name__:
            allowed.update(id(s) for s in node.body[:] if isinstance(s, ast.For)
                           and getattr(s.target, "id", None) == scaffold_var)
    loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return sorted({n.lineno for n in ast.walk(tree) if isinstance(n, loops) and id(n) not in allowed})


_lines = _loop_lines(grad_f_network)
assert not _lines, ("no-loop rule: the answer cell of cost and grad_f_network has a for/while loop or a "
                    f"comprehension (line {_lines}); use matrix products over all the samples at once")
### BEGIN HIDDEN TESTS
def _ref_loss(X, T, V, v0, W2, b2, W1, b1):
    _h1 = np.maximum(X @ W1 + b1, 0)
    _h2 = np.maximum(_h1 @ W2 + b2, 0)
    _s = _h2 @ V + v0
    _s = _s - _s.max(axis=1, keepdims=True)
    _logp = _s - np.log(np.exp(_s).sum(axis=1, keepdims=True))
    return -np.sum(T * _logp), _h1, _h2, np.exp(_logp)


_rng = np.random.default_rng(31337)
for _N, _D, _Hh1, _Hh2, _C in [(9, 2, 3, 2, 3), (11, 3, 4, 5, 4)]:
    _X = _rng.normal(size=(_N, _D))
    _T = np.eye(_C)[_rng.integers(0, _C, size=_N)]
    _P = [_rng.normal(size=s) for s in [(_Hh2, _C), (1, _C), (_Hh1, _Hh2), (1, _Hh2), (_D, _Hh1), (1, _Hh1)]]
    _L, _h1, _h2, _Y = _ref_loss(_X, _T, *_P)
    _L_got = cost(_T.copy(), _Y.copy())
    assert np.size(_L_got) == 1, "cost must return one number"
    assert np.isclose(_L_got, _L, rtol=1e-9), "cost is wrong on other targets and probabilities"
    assert (_h1 == 0).any() and (_h1 > 0).any() and (_h2 == 0).any() and (_h2 > 0).any(), "test data: no inactive unit"
    _inputs = (_X, _T, _Y, _h1, _h2, _P[0], _P[2], _P[4], _P[5], _P[3])
    _given = tuple(a.copy() for a in _inputs)
    _grads = grad_f_network(*_given)
    assert all(np.array_equal(g, a) for g, a in zip(_given, _inputs)), \
        "grad_f_network changed its arguments: it must not"
    assert len(_grads) == 6, "grad_f_network must return d_v, d_v0, d_w2, d_b2, d_w1, d_b1"
    for _k, _name in enumerate(["d_v", "d_v0", "d_w2", "d_b2", "d_w1", "d_b1"]):
        _fd = np.zeros(_P[_k].size)
        for _i in range(_fd.size):
            _plus = [p.copy() for p in _P]
            _minus = [p.copy() for p in _P]
            _plus[_k].flat[_i] += 1e-6
            _minus[_k].flat[_i] -= 1e-6
            _fd[_i] = (_ref_loss(_X, _T, *_plus)[0] - _ref_loss(_X, _T, *_minus)[0]) / 2e-6
        _g = np.asarray(_grads[_k], dtype=float)
        assert _g.size == _fd.size, f"{_name} has the wrong size: sum the bias gradients over the samples"
        assert np.allclose(_g.reshape(-1), _fd, rtol=1e-5, atol=1e-6), \
            f"{_name} does not match finite differences of the loss (4) on other weights and inputs"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "generate_data_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 3.3 (4 points): three Gaussian clusters
#
# The training set has three classes of $N = 100$ points each, drawn from bivariate Gaussians with means
# $\mu_0 = (-2, -2)$, $\mu_1 = (0, 2)$, $\mu_2 = (2, -2)$ and identity covariance $\Sigma = I_2$.
#
# **TODO:** write `generate_data`. To get the same samples as the reference, use
# `rng = np.random.RandomState(seed)` and draw the clusters in the order of the classes, each with
# `rng.multivariate_normal(mean, np.eye(2), size=N)`.

# %% nbgrader={"grade": false, "grade_id": "generate_data", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generate_data(N=100, seed=123):
    """
    Three Gaussian clusters in two dimensions, N samples each, with one-hot targets.

    Inputs:
    - N : int. Samples per class.
    - seed : int. Seed of the np.random.RandomState that draws the samples.

    Returns:
    - T    : ndarray, shape (3N, 3). One-hot targets: rows 0..N-1 are class 0, rows N..2N-1 class 1,
             rows 2N..3N-1 class 2.
    - data : ndarray, shape (3N, 2). The samples, in the same order.
    """
    # TODO: with rng = np.random.RandomState(seed), draw class 0 (mean (-2, -2)), then class 1 (mean (0, 2)),
    # then class 2 (mean (2, -2)), each with rng.multivariate_normal(mean, np.eye(2), size=N); stack them into
    # data (3N, 2) in that order, and build the one-hot T (3N, 3) of the same rows with numpy.
    ### BEGIN SOLUTION
    rng = np.random.RandomState(seed)
    means = [(-2, -2), (0, 2), (2, -2)]
    data = np.vstack([rng.multivariate_normal(mean, np.eye(2), size=N) for mean in means])
    labels = np.repeat(np.arange(3), N)
    T = np.eye(3)[labels]
    return T, data
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "plot_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
T, data = generate_data()
print("data:", data.shape, "T:", T.shape, "  first sample:", data[0].round(6), "expected: [-3.085631 -1.002655]")
fig, ax = plt.subplots(figsize=(6, 5))
for s, (color, marker) in enumerate([("tab:blue", "s"), ("tab:red", "o"), ("tab:green", "p")]):
    ax.scatter(data[T[:, s] == 1, 0], data[T[:, s] == 1, 1], s=12, c=color, marker=marker, label=f"class {s}")
ax.set_title("Three Gaussian clusters, 100 samples each")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.legend(loc="upper left")
plt.show()

# %% nbgrader={"grade": true, "grade_id": "test_generate_data", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 3.3.
_T, _data = generate_data()
assert np.shape(_data) == (300, 2) and np.shape(_T) == (300, 3), "generate_data must return T (3N, 3) and data (3N, 2)"
assert np.allclose(_data[0], [-3.0856306, -1.00265455]), "the first sample is wrong: use np.random.RandomState(seed)"
assert np.allclose(_T.sum(axis=1), 1) and np.allclose(_T.sum(axis=0), 100), "T must be one-hot, 100 rows per class"
assert np.allclose(_data[_T[:, 1] == 1].mean(axis=0), [0, 2], atol=0.3), "class 1 must be centred at (0, 2)"
_T, _data = generate_data(N=4, seed=7)
assert np.shape(_data) == (12, 2) and np.shape(_T) == (12, 3), "generate_data(N=4) must return T (12, 3) and data (12, 2)"
assert np.allclose(_data[[0, 4, 8]], [[-0.3094743, -2.46593737], [1.01765801, 2.60049852], [2.55458031, -1.87611909]]), \
    "generate_data(N=4, seed=7) gives other samples: use N and seed, and draw the three clusters in class order"
assert np.array_equal(np.argmax(_T, axis=1), np.repeat(np.arange(3), 4)), "T must be one-hot, classes in blocks of N"
### BEGIN HIDDEN TESTS
for _N, _seed in [(17, 4242), (5, 9)]:
    _rng = np.random.RandomState(_seed)
    _ref = np.vstack([_rng.multivariate_normal(m, np.eye(2), size=_N) for m in [(-2, -2), (0, 2), (2, -2)]])
    _T, _data = generate_data(N=_N, seed=_seed)
    assert np.shape(_data) == (3 * _N, 2), "generate_data must return 3N samples"
    assert np.allclose(_data, _ref), "the samples are wrong for another N or seed: draw the clusters in class order"
    assert np.array_equal(np.asarray(_T), np.eye(3)[np.repeat(np.arange(3), _N)]), \
        "T is wrong for another N: one-hot rows, classes 0, 1, 2 in blocks of N"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "gradient_descent_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 3.4 (9 points): fit the network with gradient descent
#
# Every run starts from the same weights, drawn by `init_weights` below (seed 8). Full-batch gradient
# descent updates every parameter $P$ with its gradient from `grad_f_network`:
#
# $$P \leftarrow P - \eta\, \frac{\partial L}{\partial P}. \tag{5}$$
#
# **TODO:** write `gradient_descent_step`, the update (5) of the six parameters, and `gradient_descent`, the
# training loop that uses it. `gradient_descent` returns the loss history: the loss of the initial weights, then
# the loss after each update (so `iterations + 1` numbers). `data` and `T` are keyword-only arguments: call it as
# `gradient_descent(iterations=30, learning_rate=6e-3, data=data, T=T)`. Its defaults are 500 updates with
# learning rate $2 \cdot 10^{-3}$; below it runs 30 updates with three other rates. Use `init_weights`, your
# `ff_nn_2_ReLu`, `cost`, `grad_f_network` and `gradient_descent_step`, and do not change `data` or `T`.
#
# **How it is graded.** The test gives `gradient_descent_step` gradients it computes itself, so a mistake in 1.3
# or 3.2 is not counted again here. It runs your `gradient_descent` and compares its loss history with the
# update (5) applied to *your* forward pass, cost and gradients, on other data, seeds and learning rates; that
# part needs your `ff_nn_2_ReLu`, `cost` and `grad_f_network` to run and return arrays of the right shapes (when
# they do not, their own tests lose the points, and only `gradient_descent_step` is checked here).

# %% nbgrader={"grade": false, "grade_id": "init_weights", "locked": true, "schema_version": 3, "solution": false, "task": false}
def init_weights(seed=8):
    """
    Initial weights of the 2-3-2-3 network, standard normal, drawn in this order with np.random.RandomState(seed)
    (the same numbers as np.random.seed(seed) followed by np.random.randn calls).

    Returns:
    - V : ndarray, shape (2, 3).  v0 : ndarray, shape (1, 3).
    - W2 : ndarray, shape (3, 2). b2 : ndarray, shape (1, 2).
    - W1 : ndarray, shape (2, 3). b1 : ndarray, shape (1, 3).
    """
    rng = np.random.RandomState(seed)
    V = rng.randn(2, 3)
    v0 = rng.randn(1, 3)
    W2 = rng.randn(3, 2)
    b2 = rng.randn(1, 2)
    W1 = rng.randn(2, 3)
    b1 = rng.randn(1, 3)
    return V, v0, W2, b2, W1, b1


# %% nbgrader={"grade": false, "grade_id": "gradient_descent", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_descent_step(params, grads, learning_rate):
    """
    One step of gradient descent (5) on every parameter.

    Inputs:
    - params : list of the six parameter arrays [V, v0, W2, b2, W1, b1] (the order init_weights returns them).
    - grads : list of their six gradients in the same order (the order grad_f_network returns them), each of
      the shape of its parameter (a bias gradient may also have shape (C,) for a bias of shape (1, C)).
    - learning_rate : float. The step size eta.
    params and grads are not modified.

    Returns:
    - new_params : list of the six new parameter arrays, in the same order, each of the shape of its parameter.
    """
    # TODO: the update (5) of each of the six parameters, as new arrays (params itself is not changed).
    ### BEGIN SOLUTION
    return [p - learning_rate * g for p, g in zip(params, grads)]
    ### END SOLUTION


def gradient_descent(iterations=500, learning_rate=2e-3, *, data, T, seed=8):
    """
    Fit the network by full-batch gradient descent (5).

    Inputs:
    - iterations : int. The number of updates.
    - learning_rate : float. The step size eta.
    - data : ndarray, shape (N, 2). The samples.
    - T : ndarray, shape (N, 3). One-hot targets.
    - seed : int. Passed to init_weights.
    data and T are not modified.
    With the defaults (500 updates, eta = 2e-3) the loss on the clusters of 3.3 falls from 232.5 to about 23.4.

    Returns:
    - costs : ndarray, shape (iterations + 1,). costs[0] is the loss (4) of the initial weights,
      costs[t] the loss after t updates.
    """
    # TODO: the initial weights from init_weights(seed) (its docstring gives the order of the six arrays) and a
    # forward pass with ff_nn_2_ReLu(..., return_hidden=True) (its arguments are x, w_1, w_2, v, b_1, b_2, c:
    # here data, W1, W2, V, b1, b2, v0); the loss (4) of that pass with cost. Then, iterations times: the six
    # gradients from grad_f_network, the new parameters from gradient_descent_step, a new forward pass and its
    # loss. Return the iterations + 1 losses as an array.
    ### BEGIN SOLUTION
    params = list(init_weights(seed))
    V, v0, W2, b2, W1, b1 = params
    H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
    costs = [cost(T, Y)]
    for _ in range(iterations):
        grads = grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2)
        params = gradient_descent_step(params, grads, learning_rate)
        V, v0, W2, b2, W1, b1 = params
        H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
        costs.append(cost(T, Y))
    return np.array(costs)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "gd_training", "locked": true, "schema_version": 3, "solution": false, "task": false}
histories = {}
for learning_rate in [1e-3, 6e-3, 6.5e-3]:
    histories[learning_rate] = gradient_descent(iterations=30, learning_rate=learning_rate, data=data, T=T)
    print(f"learning rate {learning_rate:g}: the loss dropped from {histories[learning_rate][0]:.2f} "
          f"to {histories[learning_rate][-1]:.2f} after 30 iterations")
print("expected: from 232.49 to 63.92 (1e-3), 33.51 (6e-3) and 148.33 (6.5e-3)")
fig, ax = plt.subplots(figsize=(7, 4.5))
for learning_rate, costs in histories.items():
    ax.plot(costs, "-o", markersize=3, label=f"learning rate {learning_rate:g}")
ax.set_title("Gradient descent on the three clusters")
ax.set_xlabel("iteration")
ax.set_ylabel("loss (4)")
ax.legend()
plt.show()

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 3.4. gradient_descent_step gets gradients computed here, and gradient_descent is compared
# with the update (5) applied to your own ff_nn_2_ReLu, cost and grad_f_network, so that a slip in 1.3 or 3.2 is
# not counted twice.
_rng = np.random.default_rng(5)
_shapes = [(2, 3), (1, 3), (3, 2), (1, 2), (2, 3), (1, 3)]
_params = [_rng.normal(size=_s) for _s in _shapes]
_grads = [_rng.normal(size=_s) for _s in _shapes]
_kept = [_a.copy() for _a in _params + _grads]
for _eta in (0.1, 0.03):
    _new = gradient_descent_step(_params, _grads, _eta)
    assert len(_new) == 6, "gradient_descent_step must return the six new parameters"
    for _k, (_p, _g, _n) in enumerate(zip(_params, _grads, _new)):
        assert np.shape(_n) == _p.shape, f"new parameter {_k} has shape {np.shape(_n)} instead of {_p.shape}"
        assert np.allclose(_n, _p - _eta * _g, rtol=1e-12, atol=1e-14), \
            f"gradient_descent_step(params, grads, {_eta}) is wrong for parameter {_k}: follow (5) with the " \
            f"learning_rate given"
    assert all(np.array_equal(_a, _b) for _a, _b in zip(_params + _grads, _kept)), \
        "gradient_descent_step changed params or grads: return new arrays"
def _earlier_steps_run(X, T, seed):
    """Do your ff_nn_2_ReLu, cost and grad_f_network run on X, T at init_weights(seed), with the right shapes?"""
    try:
        _V, _v0, _W2, _b2, _W1, _b1 = init_weights(seed)
        _H1, _H2, _Y = ff_nn_2_ReLu(X, _W1, _W2, _V, _b1, _b2, _v0, return_hidden=True)
        _L = cost(T, _Y)
        _G = grad_f_network(X, T, _Y, _H1, _H2, _V, _W2, _W1, _b1, _b2)
        _params = (_V, _v0, _W2, _b2, _W1, _b1)
        return ([np.shape(_a) for _a in (_H1, _H2, _Y)] == [(len(X), 3), (len(X), 2), (len(X), 3)]
                and np.size(_L) == 1 and len(_G) == 6
                and all(np.shape(_g) in (_p.shape, _p.shape[1:] if _p.shape[0] == 1 else _p.shape)
                        for _g, _p in zip(_G, _params)))
    except Exception:
        return False  # their own tests report it; the loop cannot run without them


_Xs = np.array([[-2., -2.], [0., 2.], [2., -2.], [-1.5, -2.5], [0.5, 1.5], [2.5, -1.]])
_Ts = np.eye(3)[[0, 1, 2, 0, 1, 2]]
_Xs_before, _Ts_before = _Xs.copy(), _Ts.copy()
if _earlier_steps_run(_Xs, _Ts, 3):
    _costs = np.asarray(gradient_descent(iterations=5, learning_rate=1e-2, data=_Xs, T=_Ts, seed=3), dtype=float)
    assert np.array_equal(_Xs, _Xs_before) and np.array_equal(_Ts, _Ts_before), "gradient_descent changed data or T"
    assert _costs.shape == (6,), "gradient_descent must return iterations + 1 losses"
    _P = list(init_weights(3))
    _H1, _H2, _Y = ff_nn_2_ReLu(_Xs, _P[4], _P[2], _P[0], _P[5], _P[3], _P[1], return_hidden=True)
    assert np.isclose(_costs[0], cost(_Ts, _Y)), "costs[0] must be the loss of init_weights(seed) on data and T"
    for _t in range(1, 6):
        _G = grad_f_network(_Xs, _Ts, _Y, _H1, _H2, _P[0], _P[2], _P[4], _P[5], _P[3])
        _P = [_p - 1e-2 * np.asarray(_g) for _p, _g in zip(_P, _G)]
        _H1, _H2, _Y = ff_nn_2_ReLu(_Xs, _P[4], _P[2], _P[0], _P[5], _P[3], _P[1], return_hidden=True)
        assert np.isclose(_costs[_t], cost(_Ts, _Y), rtol=1e-9), \
            f"costs[{_t}] must be the loss after {_t} steps (5) with the gradients of grad_f_network and the " \
            f"learning_rate given"
### BEGIN HIDDEN TESTS
def _ref_net(X, T, P):
    """The reference forward pass, loss (4) and gradients of P = [V, v0, W2, b2, W1, b1]."""
    V, v0, W2, b2, W1, b1 = P
    A1 = X @ W1 + b1
    H1 = np.maximum(A1, 0)
    A2 = H1 @ W2 + b2
    H2 = np.maximum(A2, 0)
    S = H2 @ V + v0
    S = S - S.max(axis=1, keepdims=True)
    logY = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    D3 = np.exp(logY) - T
    D2 = (D3 @ V.T) * (A2 > 0)
    D1 = (D2 @ W2.T) * (A1 > 0)
    grads = [H2.T @ D3, D3.sum(axis=0, keepdims=True), H1.T @ D2, D2.sum(axis=0, keepdims=True), X.T @ D1,
             D1.sum(axis=0, keepdims=True)]
    return float(-np.sum(T * logY)), grads


def _documented_run(eta, beta=None, iterations=30):
    """Losses of the seed's runs on the clusters of 3.3 from init_weights(8): the reference network, your step."""
    _r = np.random.RandomState(123)
    X = np.vstack([_r.multivariate_normal(m, np.eye(2), size=100) for m in [(-2, -2), (0, 2), (2, -2)]])
    T = np.eye(3)[np.repeat(np.arange(3), 100)]
    _r = np.random.RandomState(8)
    P = [_r.randn(2, 3), _r.randn(1, 3), _r.randn(3, 2), _r.randn(1, 2), _r.randn(2, 3), _r.randn(1, 3)]
    U = [np.zeros_like(p) for p in P]
    hist = []
    for t in range(iterations + 1):
        L, G = _ref_net(X, T, P)
        hist.append(L)
        if t == iterations:
            break
        if beta is None:
            P = [np.asarray(p, dtype=float) for p in gradient_descent_step(P, G, eta)]
        else:
            P, U = momentum_step(P, G, U, beta, eta)
            P, U = [np.asarray(p, dtype=float) for p in P], [np.asarray(u, dtype=float) for u in U]
    return hist


def _expected(X, T, iterations, eta, seed, beta=0.0):
    """The loss history of (6) (beta = 0: (5)) with the student's own ff_nn_2_ReLu, cost, grad_f_network."""
    _r = np.random.RandomState(seed)
    _P = [_r.randn(2, 3), _r.randn(1, 3), _r.randn(3, 2), _r.randn(1, 2), _r.randn(2, 3), _r.randn(1, 3)]
    _U = [np.zeros_like(p) for p in _P]
    _out = []
    for _t in range(iterations + 1):
        _V, _v0, _W2, _b2, _W1, _b1 = (p.copy() for p in _P)
        _H1, _H2, _Y = ff_nn_2_ReLu(X.copy(), _W1, _W2, _V, _b1, _b2, _v0, return_hidden=True)
        _out.append(float(cost(T.copy(), np.array(_Y, dtype=float))))
        if _t == iterations:
            break
        _G = grad_f_network(X.copy(), T.copy(), np.array(_Y, dtype=float), np.array(_H1, dtype=float),
                            np.array(_H2, dtype=float), _V, _W2, _W1, _b1, _b2)
        _U = [beta * u + eta * np.asarray(g, dtype=float) for u, g in zip(_U, _G)]
        _P = [p - u for p, u in zip(_P, _U)]
    return np.array(_out)


_rng = np.random.default_rng(70001)
for _sizes, _eta in [((3, 4, 5, 4), 0.07), ((2, 3, 2, 3), 2e-3)]:
    _D, _Hh1, _Hh2, _C = _sizes
    _shp = [(_Hh2, _C), (1, _C), (_Hh1, _Hh2), (1, _Hh2), (_D, _Hh1), (1, _Hh1)]
    _params = [_rng.normal(size=_s) for _s in _shp]
    _grads = [_rng.normal(size=_s if _s[0] != 1 else _s[1:]) for _s in _shp]  # bias gradients of shape (C,)
    _kept = [_a.copy() for _a in _params + _grads]
    _new = gradient_descent_step(_params, _grads, _eta)
    assert all(np.array_equal(_a, _b) for _a, _b in zip(_params + _grads, _kept)), \
        "gradient_descent_step changed params or grads: return new arrays"
    assert len(_new) == 6, "gradient_descent_step must return the six new parameters"
    for _k, (_p, _g, _n) in enumerate(zip(_params, _grads, _new)):
        assert np.shape(_n) == _p.shape, f"new parameter {_k} has the wrong shape on another network"
        assert np.allclose(_n, _p - _eta * _g, rtol=1e-12, atol=1e-14), \
            f"gradient_descent_step is wrong for parameter {_k} on another network and learning rate"
for _n, _seed_data, _seed, _iterations, _eta in [(40, 2077, 31, 12, 4e-3), (25, 77, 3, 8, 1e-3)]:
    _r = np.random.RandomState(_seed_data)
    _X = np.vstack([_r.multivariate_normal(m, np.eye(2), size=_n) for m in [(-2, -2), (0, 2), (2, -2)]])
    _Tt = np.eye(3)[np.repeat(np.arange(3), _n)]
    if not _earlier_steps_run(_X, _Tt, _seed):
        continue
    _X_before, _T_before = _X.copy(), _Tt.copy()
    with np.errstate(all="ignore"):
        _got = np.asarray(gradient_descent(iterations=_iterations, learning_rate=_eta, data=_X, T=_Tt, seed=_seed),
                          dtype=float)
    assert np.array_equal(_X, _X_before) and np.array_equal(_Tt, _T_before), "gradient_descent changed data or T: it must not"
    assert _got.shape == (_iterations + 1,), "gradient_descent must return iterations + 1 losses"
    with np.errstate(all="ignore"):
        _want = _expected(_X_before, _T_before, _iterations, _eta, _seed)
    assert np.allclose(_got, _want, rtol=1e-7, atol=1e-6, equal_nan=True), \
        "the loss history is wrong for other data, seed and learning rate: use data, T and init_weights(seed)"
# The documented losses of the clusters of 3.3 (30 updates from init_weights(8)): the reference forward pass,
# loss and gradients drive your gradient_descent_step.
for _eta, _last in [(1e-3, 63.92), (6e-3, 33.51), (6.5e-3, 148.33)]:
    _hist = _documented_run(_eta)
    assert abs(_hist[0] - 232.49) <= 0.005, "the loss of the initial weights on the clusters of 3.3 is not 232.49"
    assert abs(_hist[-1] - _last) <= 0.005, \
        f"driven by the reference gradients, your gradient_descent_step does not reproduce the documented loss " \
        f"after 30 updates with learning rate {_eta:g}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_training_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Question 3.5 (12 points): fit the network with momentum
#
# Momentum (3) for every parameter $P$, each with its own velocity $U_P$ (zeros of the shape of $P$ at the start):
#
# $$U_P \leftarrow \beta\, U_P + \eta\, \frac{\partial L}{\partial P}, \qquad P \leftarrow P - U_P. \tag{6}$$
#
# **TODO (8 points):** write `momentum_step`, the update (6) of the six parameters and their velocities, and
# `gradient_descent_with_momentum`, the same loop as `gradient_descent` with `momentum_step`. It also returns the
# loss history. It is graded as 3.4: `momentum_step` with gradients computed by the test, the loop with your own
# forward pass, cost and gradients when they run.

# %% nbgrader={"grade": false, "grade_id": "gradient_descent_with_momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
def momentum_step(params, grads, velocities, beta, learning_rate):
    """
    One step of gradient descent with momentum (6) on every parameter.

    Inputs:
    - params : list of the six parameter arrays [V, v0, W2, b2, W1, b1].
    - grads : list of their six gradients in the same order (a bias gradient may have shape (C,) for a bias of
      shape (1, C)).
    - velocities : list of the six velocities U_P in the same order, each of the shape of its parameter (zeros
      before the first step).
    - beta : float. The momentum coefficient beta.
    - learning_rate : float. The learning rate eta.
    params, grads and velocities are not modified.

    Returns:
    - new_params : list of the six new parameter arrays, each of the shape of its parameter.
    - new_velocities : list of the six new velocities, each of the shape of its parameter.
    """
    # TODO: the update (6) of each parameter and its velocity, as new arrays; return (new_params, new_velocities).
    ### BEGIN SOLUTION
    new_velocities = [beta * u + learning_rate * g for u, g in zip(velocities, grads)]
    new_params = [p - u for p, u in zip(params, new_velocities)]
    return new_params, new_velocities
    ### END SOLUTION


def gradient_descent_with_momentum(iterations=500, beta=0.9, learning_rate=0.001, *, data, T, seed=8):
    """
    Fit the network by full-batch gradient descent with momentum (6).

    Inputs:
    - iterations : int. The number of updates.
    - beta : float. The momentum coefficient beta.
    - learning_rate : float. The learning rate eta.
    - data : ndarray, shape (N, 2). T : ndarray, shape (N, 3). seed : int, passed to init_weights.
      data and T are not modified.
    With the defaults (500 updates, beta = 0.9, eta = 1e-3) the loss on the clusters of 3.3 falls from
    232.5 to about 22.3.

    Returns:
    - costs : ndarray, shape (iterations + 1,). costs[0] is the loss (4) of the initial weights,
      costs[t] the loss after t updates.
    """
    # TODO: as gradient_descent, with momentum_step: one velocity per parameter, zeros of its shape at the start.
    ### BEGIN SOLUTION
    params = list(init_weights(seed))
    velocities = [np.zeros_like(p) for p in params]
    V, v0, W2, b2, W1, b1 = params
    H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
    costs = [cost(T, Y)]
    for _ in range(iterations):
        grads = grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2)
        params, velocities = momentum_step(params, grads, velocities, beta, learning_rate)
        V, v0, W2, b2, W1, b1 = params
        H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
        costs.append(cost(T, Y))
    return np.array(costs)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "momentum_training", "locked": true, "schema_version": 3, "solution": false, "task": false}
costs_momentum = gradient_descent_with_momentum(iterations=30, beta=0.9, learning_rate=0.001, data=data, T=T)
print(f"momentum (beta 0.9, learning rate 0.001): the loss dropped from {costs_momentum[0]:.2f} "
      f"to {costs_momentum[-1]:.2f} after 30 iterations   (expected: 232.49 to 34.47)")
long_gd = gradient_descent(iterations=200, learning_rate=1e-3, data=data, T=T)
long_momentum = gradient_descent_with_momentum(iterations=200, beta=0.9, learning_rate=1e-3, data=data, T=T)
print(f"200 iterations, the same learning rate 1e-3: gradient descent {long_gd[-1]:.2f}, momentum {long_momentum[-1]:.2f}")
fig, axes = plt.subplots(1, 2, figsize=(14, 4.5))
for learning_rate, costs in histories.items():
    axes[0].plot(costs, "-o", markersize=3, label=f"gradient descent, learning rate {learning_rate:g}")
axes[0].plot(costs_momentum, "-s", markersize=3, color="black", label="momentum, beta 0.9, learning rate 0.001")
axes[0].set_title("30 iterations")
axes[1].plot(long_gd, label="gradient descent, learning rate 0.001")
axes[1].plot(long_momentum, color="black", label="momentum, beta 0.9, learning rate 0.001")
axes[1].set_title("200 iterations with the same learning rate")
for ax in axes:
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (4)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent_with_momentum", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for 3.5. momentum_step gets gradients computed here, and gradient_descent_with_momentum is
# compared with the update (6) applied to your own ff_nn_2_ReLu, cost and grad_f_network, so that a slip in 1.3 or
# 3.2 is not counted twice.
_rng = np.random.default_rng(6)
_shapes = [(2, 3), (1, 3), (3, 2), (1, 2), (2, 3), (1, 3)]
_params = [_rng.normal(size=_s) for _s in _shapes]
_grads = [_rng.normal(size=_s) for _s in _shapes]
_vels = [_rng.normal(size=_s) for _s in _shapes]
_kept = [_a.copy() for _a in _params + _grads + _vels]
for _beta, _eta in [(0.5, 0.1), (0.8, 0.03)]:
    _out = momentum_step(_params, _grads, _vels, _beta, _eta)
    assert len(_out) == 2 and len(_out[0]) == 6 and len(_out[1]) == 6, \
        "momentum_step must return (new_params, new_velocities), six arrays each"
    for _k in range(6):
        _u = _beta * _vels[_k] + _eta * _grads[_k]
        assert np.shape(_out[1][_k]) == _shapes[_k] and np.shape(_out[0][_k]) == _shapes[_k], \
            f"the new parameter or velocity {_k} has the wrong shape"
        assert np.allclose(_out[1][_k], _u, rtol=1e-12, atol=1e-14), \
            f"momentum_step(..., beta={_beta}, learning_rate={_eta}): velocity {_k} is wrong: it keeps beta times " \
            f"the previous one"
        assert np.allclose(_out[0][_k], _params[_k] - _u, rtol=1e-12, atol=1e-14), \
            f"momentum_step(..., beta={_beta}, learning_rate={_eta}): parameter {_k} must move by its new velocity"
    assert all(np.array_equal(_a, _b) for _a, _b in zip(_params + _grads + _vels, _kept)), \
        "momentum_step changed params, grads or velocities: return new arrays"
def _earlier_steps_run(X, T, seed):
    """Do your ff_nn_2_ReLu, cost and grad_f_network run on X, T at init_weights(seed), with the right shapes?"""
    try:
        _V, _v0, _W2, _b2, _W1, _b1 = init_weights(seed)
        _H1, _H2, _Y = ff_nn_2_ReLu(X, _W1, _W2, _V, _b1, _b2, _v0, return_hidden=True)
        _L = cost(T, _Y)
        _G = grad_f_network(X, T, _Y, _H1, _H2, _V, _W2, _W1, _b1, _b2)
        _params = (_V, _v0, _W2, _b2, _W1, _b1)
        return ([np.shape(_a) for _a in (_H1, _H2, _Y)] == [(len(X), 3), (len(X), 2), (len(X), 3)]
                and np.size(_L) == 1 and len(_G) == 6
                and all(np.shape(_g) in (_p.shape, _p.shape[1:] if _p.shape[0] == 1 else _p.shape)
                        for _g, _p in zip(_G, _params)))
    except Exception:
        return False  # their own tests report it; the loop cannot run without them


_Xs = np.array([[-2., -2.], [0., 2.], [2., -2.], [-1.5, -2.5], [0.5, 1.5], [2.5, -1.]])
_Ts = np.eye(3)[[0, 1, 2, 0, 1, 2]]
_Xs_before, _Ts_before = _Xs.copy(), _Ts.copy()
if _earlier_steps_run(_Xs, _Ts, 3):
    _costs = np.asarray(gradient_descent_with_momentum(iterations=5, beta=0.5, learning_rate=1e-2, data=_Xs, T=_Ts,
                                                       seed=3), dtype=float)
    assert np.array_equal(_Xs, _Xs_before) and np.array_equal(_Ts, _Ts_before), \
        "gradient_descent_with_momentum changed data or T"
    assert _costs.shape == (6,), "gradient_descent_with_momentum must return iterations + 1 losses"
    _P = list(init_weights(3))
    _H1, _H2, _Y = ff_nn_2_ReLu(_Xs, _P[4], _P[2], _P[0], _P[5], _P[3], _P[1], return_hidden=True)
    assert np.isclose(_costs[0], cost(_Ts, _Y)), "costs[0] must be the loss of init_weights(seed) on data and T"
    _U = [np.zeros_like(_p) for _p in _P]
    for _t in range(1, 6):
        _G = grad_f_network(_Xs, _Ts, _Y, _H1, _H2, _P[0], _P[2], _P[4], _P[5], _P[3])
        _U = [0.5 * _u + 1e-2 * np.asarray(_g) for _u, _g in zip(_U, _G)]
        _P = [_p - _u for _p, _u in zip(_P, _U)]
        _H1, _H2, _Y = ff_nn_2_ReLu(_Xs, _P[4], _P[2], _P[0], _P[5], _P[3], _P[1], return_hidden=True)
        assert np.isclose(_costs[_t], cost(_Ts, _Y), rtol=1e-9), \
            f"costs[{_t}] must be the loss after {_t} steps (6) with the gradients of grad_f_network, the beta " \
            f"and the learning_rate given (the first step, from zero velocity, is a gradient step)"
### BEGIN HIDDEN TESTS
def _ref_net(X, T, P):
    """The reference forward pass, loss (4) and gradients of P = [V, v0, W2, b2, W1, b1]."""
    V, v0, W2, b2, W1, b1 = P
    A1 = X @ W1 + b1
    H1 = np.maximum(A1, 0)
    A2 = H1 @ W2 + b2
    H2 = np.maximum(A2, 0)
    S = H2 @ V + v0
    S = S - S.max(axis=1, keepdims=True)
    logY = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    D3 = np.exp(logY) - T
    D2 = (D3 @ V.T) * (A2 > 0)
    D1 = (D2 @ W2.T) * (A1 > 0)
    grads = [H2.T @ D3, D3.sum(axis=0, keepdims=True), H1.T @ D2, D2.sum(axis=0, keepdims=True), X.T @ D1,
             D1.sum(axis=0, keepdims=True)]
    return float(-np.sum(T * logY)), grads


def _documented_run(eta, beta=None, iterations=30):
    """Losses of the seed's runs on the clusters of 3.3 from init_weights(8): the reference network, your step."""
    _r = np.random.RandomState(123)
    X = np.vstack([_r.multivariate_normal(m, np.eye(2), size=100) for m in [(-2, -2), (0, 2), (2, -2)]])
    T = np.eye(3)[np.repeat(np.arange(3), 100)]
    _r = np.random.RandomState(8)
    P = [_r.randn(2, 3), _r.randn(1, 3), _r.randn(3, 2), _r.randn(1, 2), _r.randn(2, 3), _r.randn(1, 3)]
    U = [np.zeros_like(p) for p in P]
    hist = []
    for t in range(iterations + 1):
        L, G = _ref_net(X, T, P)
        hist.append(L)
        if t == iterations:
            break
        if beta is None:
            P = [np.asarray(p, dtype=float) for p in gradient_descent_step(P, G, eta)]
        else:
            P, U = momentum_step(P, G, U, beta, eta)
            P, U = [np.asarray(p, dtype=float) for p in P], [np.asarray(u, dtype=float) for u in U]
    return hist


def _expected(X, T, iterations, eta, seed, beta=0.0):
    """The loss history of (6) (beta = 0: (5)) with the student's own ff_nn_2_ReLu, cost, grad_f_network."""
    _r = np.random.RandomState(seed)
    _P = [_r.randn(2, 3), _r.randn(1, 3), _r.randn(3, 2), _r.randn(1, 2), _r.randn(2, 3), _r.randn(1, 3)]
    _U = [np.zeros_like(p) for p in _P]
    _out = []
    for _t in range(iterations + 1):
        _V, _v0, _W2, _b2, _W1, _b1 = (p.copy() for p in _P)
        _H1, _H2, _Y = ff_nn_2_ReLu(X.copy(), _W1, _W2, _V, _b1, _b2, _v0, return_hidden=True)
        _out.append(float(cost(T.copy(), np.array(_Y, dtype=float))))
        if _t == iterations:
            break
        _G = grad_f_network(X.copy(), T.copy(), np.array(_Y, dtype=float), np.array(_H1, dtype=float),
                            np.array(_H2, dtype=float), _V, _W2, _W1, _b1, _b2)
        _U = [beta * u + eta * np.asarray(g, dtype=float) for u, g in zip(_U, _G)]
        _P = [p - u for p, u in zip(_P, _U)]
    return np.array(_out)


_rng = np.random.default_rng(70002)
for _sizes, _beta, _eta in [((3, 4, 5, 4), 0.7, 0.05), ((2, 3, 2, 3), 0.95, 1e-3)]:
    _D, _Hh1, _Hh2, _C = _sizes
    _shp = [(_Hh2, _C), (1, _C), (_Hh1, _Hh2), (1, _Hh2), (_D, _Hh1), (1, _Hh1)]
    _params = [_rng.normal(size=_s) for _s in _shp]
    _grads = [_rng.normal(size=_s if _s[0] != 1 else _s[1:]) for _s in _shp]  # bias gradients of shape (C,)
    _vels = [_rng.normal(size=_s) for _s in _shp]
    _kept = [_a.copy() for _a in _params + _grads + _vels]
    _out = momentum_step(_params, _grads, _vels, _beta, _eta)
    assert all(np.array_equal(_a, _b) for _a, _b in zip(_params + _grads + _vels, _kept)), \
        "momentum_step changed params, grads or velocities: return new arrays"
    assert len(_out) == 2 and len(_out[0]) == 6 and len(_out[1]) == 6, \
        "momentum_step must return (new_params, new_velocities), six arrays each"
    for _k in range(6):
        _u = _beta * _vels[_k] + _eta * _grads[_k]
        assert np.shape(_out[0][_k]) == _shp[_k] and np.shape(_out[1][_k]) == _shp[_k], \
            f"the new parameter or velocity {_k} has the wrong shape on another network"
        assert np.allclose(_out[1][_k], _u, rtol=1e-12, atol=1e-14) and \
            np.allclose(_out[0][_k], _params[_k] - _u, rtol=1e-12, atol=1e-14), \
            f"momentum_step is wrong for parameter {_k} on another network, beta and learning rate"
for _n, _seed_data, _seed, _iterations, _eta, _beta in [(40, 4099, 17, 15, 2e-3, 0.6), (25, 77, 3, 8, 1e-3, 0.85)]:
    _r = np.random.RandomState(_seed_data)
    _X = np.vstack([_r.multivariate_normal(m, np.eye(2), size=_n) for m in [(-2, -2), (0, 2), (2, -2)]])
    _Tt = np.eye(3)[np.repeat(np.arange(3), _n)]
    if not _earlier_steps_run(_X, _Tt, _seed):
        continue
    _X_before, _T_before = _X.copy(), _Tt.copy()
    with np.errstate(all="ignore"):
        _got = np.asarray(gradient_descent_with_momentum(iterations=_iterations, beta=_beta, learning_rate=_eta,
                                                         data=_X, T=_Tt, seed=_seed), dtype=float)
    assert np.array_equal(_X, _X_before) and np.array_equal(_Tt, _T_before), "gradient_descent_with_momentum changed data or T: it must not"
    assert _got.shape == (_iterations + 1,), "gradient_descent_with_momentum must return iterations + 1 losses"
    with np.errstate(all="ignore"):
        _want = _expected(_X_before, _T_before, _iterations, _eta, _seed, _beta)
    assert np.allclose(_got, _want, rtol=1e-7, atol=1e-6, equal_nan=True), \
        "the loss history is wrong for other data, seed and settings: keep beta times each previous velocity"
# The documented loss of the clusters of 3.3 (30 updates from init_weights(8), beta 0.9, learning rate 0.001):
# the reference forward pass, loss and gradients drive your momentum_step.
_hist = _documented_run(1e-3, beta=0.9)
assert abs(_hist[0] - 232.49) <= 0.005, "the loss of the initial weights on the clusters of 3.3 is not 232.49"
assert abs(_hist[-1] - 34.47) <= 0.005, \
    "driven by the reference gradients, your momentum_step does not reproduce the documented loss after 30 updates"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_comparison_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 3.5, written part (by hand, 4 points).** Compare the two optimizers on the loss curves above. Does
# momentum converge more efficiently here? Consider the best learning rate of gradient descent, what happens
# when that rate is raised a little (6.5e-3), and the 200-iteration runs with the same step size.

# %% [markdown] nbgrader={"grade": true, "grade_id": "momentum_comparison", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# Model answer. After 30 iterations momentum ($\beta = 0.9$, $\eta = 10^{-3}$) reaches a loss of about
# 34.5, about the same as gradient descent with its best learning rate, $6 \cdot 10^{-3}$ (33.5), although its
# step size is six times smaller; gradient descent with the same step, $10^{-3}$, is still at 63.9. With the
# same step momentum stays ahead over longer runs too (about 32 against 49 after 50 iterations, 26 against 29
# after 200). The reason is that the velocity accumulates gradients that keep their sign, so the effective
# step grows to about $\eta / (1 - \beta) = 10^{-2}$ in those directions.
#
# Gradient descent is fragile near its best rate: at $6.5 \cdot 10^{-3}$ the first step overshoots (the loss
# jumps from 232 to about 324) and switches one unit of the second hidden layer off for every sample (a dead
# ReLU, whose gradient is zero from then on), so the loss stalls near 148. Momentum reaches a similar speed
# without such a large raw step, at the price of some oscillation (its curve has bumps where the velocity
# overshoots and must turn around). So momentum converges more efficiently than gradient descent with the same
# step, and about as fast as the best-tuned gradient descent while being less sensitive to the choice of rate;
# in 30 iterations it does not beat a well-tuned gradient descent.
#
# Grading: 1 point each for comparing at equal step size, comparing with the best gradient descent rate,
# explaining the accumulated velocity (effective step $\eta/(1-\beta)$), and noting the instability of
# gradient descent at 6.5e-3 or the oscillation of momentum.

# %% [markdown] nbgrader={"grade": false, "grade_id": "handin_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Before you hand in
#
# Run **Runtime → Restart session and run all** (Jupyter: Kernel → Restart and run all), then read the output of the
# cell below. It lists the TODOs still unanswered, the visible checks that fail, the cells not run in order, and
# the exact name to download the notebook as. It changes nothing in your notebook and is not graded.
#
# Where your course runs a hand-in service, the cell then asks whether to hand the notebook in. Type `yes` and give
# your personal token when asked (or store it once as a Colab secret named `AUTOGRADER_TOKEN`: the key icon on the
# left); within seconds it prints the receipt, with the time that counts, and the result of each visible check.
# You may hand in again until the deadline: each is kept, and the last one counts. Otherwise, download the file
# and hand it in as the opening cell says.

# %% nbgrader={"grade": false, "grade_id": "handin_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Hand-in check (provided; do not edit). Run this cell last, after Runtime -> Restart session and run all.
# It lists what would cost you points or stop the grader from finding your notebook: unanswered TODOs, failing
# visible checks, cells not run in order, and the file name to download the notebook as. Where the course runs a
# hand-in service (`service` below), it then asks whether to hand the notebook in: only if you type yes does it
# send it, with your personal token (a Colab secret named AUTOGRADER_TOKEN, or typed in when asked), and print
# the receipt and your visible checks' results. It changes nothing in the notebook and needs nothing installed;
# when the notebook is graded it does nothing.
def _handin_check():
    import json
    import os
    import re
    import time
    import urllib.error
    import urllib.parse
    import urllib.request
    import uuid

    service = ""  # the course's hand-in service, set when the notebook is released ("" for none)
    assignment = ""  # this notebook's assignment, set when it is released
    if os.environ.get("NBGRADER_EXECUTION"):  # graded: the grader runs its own checks
        return
    me = "# Hand-in check (provided; do not edit)"

    def text(cell):
        source = cell.get("source", "")
        return "".join(source) if isinstance(source, list) else source

    def name(index, cell):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        return f"cell {index + 1}" + (f" ({gid})" if gid else "")

    def notebook():
        """The notebook's JSON, where it came from and its file name, or (None, why not, "")."""
        try:
            from google.colab import _message
        except ImportError:
            pass
        else:
            try:
                return _message.blocking_request("get_ipynb", timeout_sec=30)["ipynb"], "Colab", ""
            except Exception as exc:
                return None, f"Colab did not send the notebook ({type(exc).__name__})", ""
        ns = globals()
        for path in (ns.get("__vsc_ipynb_file__"), ns.get("__session__"), os.environ.get("JPY_SESSION_NAME")):
            if path and str(path).endswith(".ipynb") and os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    return json.load(f), f"{path} as last saved (save it first)", os.path.basename(path)
        return None, "the notebook file was not found (not in Colab, Jupyter or VS Code)", ""

    def report(nb, where):
        cells = [c for c in nb.get("cells", []) if not text(c).startswith(me)]
        todo, failing, errors, order = [], [], [], []
        last = 0
        opening = "\n".join(text(c) for c in cells if c.get("cell_type") == "markdown")
        for i, cell in enumerate(cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            src = text(cell)
            if meta.get("solution") and ("raise NotImplementedError()" in src or "YOUR ANSWER HERE" in src):
                todo.append(name(i, cell))
            if cell.get("cell_type") != "code" or not src.strip():
                continue
            count = cell.get("execution_count")
            raised = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if meta.get("grade") and not meta.get("solution"):
                if count is None:
                    failing.append(f"{name(i, cell)}: not run")
                elif raised:
                    failing.append(f"{name(i, cell)}: {raised[0].get('ename')}: {raised[0].get('evalue', '')[:120]}")
            elif raised:
                errors.append(f"{name(i, cell)}: {raised[0].get('ename')}: {raised[0].get('evalue', '')[:120]}")
            if count is None:
                order.append(f"{name(i, cell)} was not run")
            elif count <= last:
                order.append(f"{name(i, cell)} ran as [{count}], before the code cell above it ([{last}])")
            last = count if count is not None else last
        lines = [f"Hand-in check (read from {where})"]
        for title, found in (("Unanswered TODOs", todo), ("Failing visible checks", failing),
                             ("Other cells that raised an error", errors), ("Cells not run in order", order)):
            lines.append(f"{title}: {len(found) or 'none'}")
            lines += [f"  - {f}" for f in found]
        return lines, opening

    def file_name(opening):
        rule = re.search(r"`([A-Za-z0-9_]+)_<your student id>\.ipynb`", opening)
        if not rule:
            return ["File name: see the opening cell (the hand-in check could not find it)."]
        upload = f"upload that file at {url}" if url else "upload that file"
        return [
            f"File name: rename the notebook {rule.group(1)}_<your student id>.ipynb (for example "
            f"{rule.group(1)}_aa1234.ipynb), then File -> Download -> Download .ipynb and {upload}. "
            "A notebook under another name is not graded."]

    def secret(key):
        """A setting from the environment or from Colab's secrets (the key icon on the left), else None."""
        if os.environ.get(key):
            return os.environ[key]
        try:
            from google.colab import userdata
            return userdata.get(key) or None
        except Exception:  # not in Colab, no such secret, or the notebook was not given access to it
            return None

    def ask(prompt, hidden=False):
        """What the student types, or None where the kernel cannot ask (run by a script)."""
        try:
            if hidden:
                import getpass
                return getpass.getpass(prompt)
            return input(prompt)
        except Exception:
            return None

    def call(method, address, token, body=None, headers=()):
        """(HTTP status, JSON answer, Retry-After) of one request to the service."""
        request = urllib.request.Request(address, data=body, method=method,
                                         headers={"Authorization": f"Bearer {token}", **dict(headers)})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.load(answer), None
        except urllib.error.HTTPError as exc:
            try:
                content = json.load(exc)
            except ValueError:
                content = {"error": f"{exc.code} {exc.reason}"}
            return exc.code, content, exc.headers.get("Retry-After")
        except OSError as exc:  # no answer: refused, unknown host, timed out
            return 0, {"error": f"could not reach {url} ({getattr(exc, 'reason', exc)})"}, None

    def show(result):
        for problem in result.get("problems") or []:
            print(f"  Problem: {problem}")
        checks = result.get("checks") or []
        if checks:
            print(f"Visible checks: {sum(bool(c.get('passed')) for c in checks)} of {len(checks)} passed")
        for c in checks:
            verdict = "passed" if c.get("passed") else "FAILED"
            message = f": {c['message']}" if c.get("message") and not c.get("passed") else ""
            print(f"  {verdict:6}  {c.get('grade_id')} ({c.get('points', 0):g} points){message}")
        if result.get("hidden"):
            print(f"Hidden tests: {result['hidden']}")
        for s in result.get("hidden_scores") or []:
            print(f"  {s.get('grade_id')}: {s.get('score')} of {s.get('points')} points")

    def hand_in(nb, where, file):
        answer = ask(f"Hand this notebook in to {url} now? Type yes to send it (anything else: not now): ")
        if answer is None:
            print(f"Not handed in: this kernel cannot ask you. Run this cell in Colab or Jupyter, or upload the "
                  f"file at {url}.")
            return
        if answer.strip().lower() != "yes":
            print("Not handed in.")
            return
        token = secret("AUTOGRADER_TOKEN") or (ask("Your personal hand-in token: ", hidden=True) or "").strip()
        if not token:
            print("Not handed in: no token. Add it as a Colab secret named AUTOGRADER_TOKEN, or type it in.")
            return
        name = nb.get("metadata", {}).get("colab", {}).get("name") or file
        status, receipt, wait = call(
            "POST", f"{url}/api/v1/submissions/{assignment}", token, json.dumps(nb).encode(),
            {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4()),
             "X-Notebook-Name": urllib.parse.quote(name or "")})  # UTF-8, percent-encoded
        if status != 202:
            again = f" Try again in {wait} s." if wait else ""
            code = f" ({status})" if status else ""
            print(f"Not handed in{code}: {receipt.get('error', receipt)}{again}")
            return
        print(f"Handed in: received at {receipt['received_at']} (the time that counts) as {receipt['student']}'s "
              f"submission {receipt['id']} of {assignment}" + (", after the deadline" if receipt.get("late") else ""))
        if receipt.get("message"):
            print(f"  {receipt['message']}")
        if where != "Colab":
            print(f"  (sent {where})")
        result, deadline = receipt, time.monotonic() + 300
        while result.get("state") != "done" and time.monotonic() < deadline:
            time.sleep(1)
            status, polled, _ = call("GET", url + receipt["url"], token)
            if status == 200:
                result = polled
        if result.get("state") != "done":
            print(f"Still {result.get('state')}: run this cell again later to hand in anew, or ask the course staff.")
            return
        show(result)

    url = (secret("AUTOGRADER_URL") or service).rstrip("/")
    nb, where, file = notebook()
    if nb is None:
        history = [e for e in globals().get("_ih") or globals().get("In") or [] if e.strip() and not e.startswith(me)]
        stubs = sum("raise NotImplementedError()" in entry for entry in history)
        print(f"Hand-in check: {where}, so only the kernel's history was read.")
        print(f"Cells run in this session: {len(history)}; of those, {stubs} still raise "
              "NotImplementedError (a TODO left, or an answer replaced later).")
        print("Not checked: failing visible checks and the order of cells. Run Kernel -> Restart and run all, "
              "then read every test cell's output.")
        print("File name: the one the opening cell gives, <name>_<your student id>.ipynb.")
        return
    lines, opening = report(nb, where)
    colab_name = nb.get("metadata", {}).get("colab", {}).get("name")
    if colab_name:
        lines.append(f"This notebook is now called {colab_name}.")
    print("\n".join(lines + file_name(opening)))
    if url and assignment:
        hand_in(nb, where, file)


_handin_check()
del _handin_check
