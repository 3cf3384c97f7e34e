# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # A numpy MLP with backpropagation, and gradient-based optimizers
#
# **Goal.** In Section 1 you finish a multi-layer perceptron (MLP) written only in numpy: you implement the
# backward pass of each layer (a Leaky-ReLU layer, a layer whose activation has a learnable exponent, and the
# linear output layer) and the network's `predict`, then train two networks that tell good red wines
# (quality ≥ 6) from the others. In Section 2 you implement five gradient-based update rules (gradient descent,
# stochastic gradient descent, momentum, AdaGrad, Adam) and watch them on classic two-dimensional test
# functions that exaggerate the difficulties of real loss surfaces: ravines, saddle points and local minima.
#
# **How to work.** Every task is marked **TODO**: in code, replace the lines `# YOUR CODE HERE` /
# `raise NotImplementedError()` with your implementation; in a text cell, replace "YOUR ANSWER HERE" with
# your answer. Keep the function names, signatures and the provided lines around your code. After each task run
# its self-check cell, which prints your result beside the expected one. The locked test cell under it grades
# the task; it also runs hidden tests on other inputs, so make your code correct in general rather than for the
# printed example. Written answers are graded by your instructor. Before you submit, run the whole notebook top
# to bottom (Kernel → Restart & Run All).
#
# **Handing in.** Rename your copy `wine_mlp_backprop_<your student id>.ipynb`, for example
# `wine_mlp_backprop_aa1234.ipynb` (Colab calls it "Copy of wine_mlp_backprop.ipynb"), download it
# (File → Download → .ipynb) and upload that file. The grader finds your work by this name; a notebook submitted
# under another name is not graded.
#
# **Deadline and late work.** The deadline is 17:00 on Friday 4 April 2025 (UK time). A notebook handed in after the
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
# **Expected time:** about 5 hours.
#
# **Run time.** With every answer done, the notebook runs top to bottom in about 30 s as a student and about 5 s
# when graded (measured on a 2-core machine).
#
# | Task | What | Graded by | Points |
# | --- | --- | --- | ---: |
# | 1.1 | `Hidden.leaky_relu_derivative` | tests | 4 |
# | 1.2 | `Hidden.backward_pass` | tests | 7 |
# | 1.3 | `Hidden_Vondrick.vondrick_activation` | tests | 5 |
# | 1.4 | `Hidden_Vondrick.vondrick_activation_derivative` | tests | 5 |
# | 1.5 | `Hidden_Vondrick.backward_pass` | tests | 7 |
# | 1.6 | `Output.backward_pass` | tests | 5 |
# | 1.7 | `NN.predict` | tests | 3 |
# | 1.8 | the accuracies of both wine networks | tests | 4 |
# | | **Section 1** | | **40** |
# | 2.1 | `bowl`, `mult`, `monkey`, `matyas` | tests | 6 |
# | 2.2 | why each of them is a useful test function | written | 4 |
# | 2.3 | `gradient_descent` | tests | 3 |
# | 2.4 | `stochastic_gradient_descent` | tests | 5 |
# | 2.5 | `easom`, and why it is a useful test function | tests 2, written 1 | 3 |
# | 2.6 | `momentum` | tests | 6 |
# | 2.7 | `adagrad` | tests | 6 |
# | 2.8 | `adam` | tests | 8 |
# | 2.9 | the learning rate of SGD on the bowl (3 plots) | written | 4 |
# | 2.10 | SGD and momentum on the Matyas function (2 plots) | written | 4 |
# | 2.11 | SGD, momentum and AdaGrad at a saddle point (3 plots) | written | 5 |
# | 2.12 | escaping the local minimum of `mult` (4 plots: Adam, AdaGrad, momentum, SGD) | written | 6 |
# | | **Section 2** | | **60** |
# | | **Total** | | **100** |

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import ast
import inspect
import linecache
import os
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MinMaxScaler

# True while the notebook is being graded: the loss curves, the test-function surfaces, the optimizer paths and
# the scikit-learn comparison are then skipped (the grader's kernel keeps no figures: drawing them only costs time).
GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))

# %% nbgrader={"grade": false, "grade_id": "course_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Course data loader (provided; do not edit). The same code runs in Colab, on a TA's machine and in CI.
# It looks for each file in $COURSE_DATA_DIR, then in a cache folder, and otherwise downloads it from the
# dataset's public source; every file is checked against its published sha256 before it is used.
import gzip
import hashlib
import os
import urllib.request

import numpy as np

COURSE_DATA_FILES = {
    "wine/winequality-red.csv": (
        "4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
        ["https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/winequality-red.csv"],
    ),
    "mnist/train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz"],
    ),
    "mnist/train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz"],
    ),
    "mnist/t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz"],
    ),
    "mnist/t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz"],
    ),
}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def course_cache_dir():
    """The folder downloads are kept in: $COURSE_DATA_CACHE, else ~/.cache/course_data."""
    return os.environ.get("COURSE_DATA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "course_data")


def course_file(name):
    """Return a local path to the course data file `name` (e.g. "wine/winequality-red.csv").

    Looks in $COURSE_DATA_DIR, then the cache folder, then downloads into the cache. Raises
    FileNotFoundError (offline, or no copy anywhere) or ValueError (a copy whose sha256 is wrong).
    """
    if name not in COURSE_DATA_FILES:
        raise KeyError(f"{name!r} is not a course data file; known: {sorted(COURSE_DATA_FILES)}")
    sha256, urls = COURSE_DATA_FILES[name]
    local_dir = os.environ.get("COURSE_DATA_DIR")
    for folder in ([local_dir] if local_dir else []) + [course_cache_dir()]:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            if _sha256(path) != sha256:
                raise ValueError(f"{path}: sha256 does not match the published {sha256}; "
                                 "the file is damaged or not the original: delete it and run again")
            return path
    target = os.path.join(course_cache_dir(), name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    errors = []
    for url in urls:
        partial = target + ".part"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
                out.write(response.read())
        except OSError as exc:
            errors.append(f"{url}: {exc}")
            continue
        if _sha256(partial) != sha256:
            os.remove(partial)
            errors.append(f"{url}: downloaded file has the wrong sha256")
            continue
        os.replace(partial, target)
        return target
    raise FileNotFoundError(f"{name}: no local copy (set COURSE_DATA_DIR to a folder holding it) and "
                            "the download failed:\n  " + "\n  ".join(errors))


def load_wine_red():
    """The UCI red-wine quality data.

    Returns
    -------
    data : ndarray, shape (1599, 12)   11 physicochemical features, then quality (an integer 3..8)
    columns : list of 12 str           the column names from the CSV header
    """
    path = course_file("wine/winequality-red.csv")
    with open(path) as f:
        columns = [name.strip('"') for name in f.readline().strip().split(";")]
    return np.genfromtxt(path, delimiter=";", skip_header=1), columns


def _read_idx(path):
    raw = gzip.open(path).read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist():
    """The four official MNIST files.

    Returns
    -------
    X_train : ndarray of uint8, shape (60000, 28, 28)
    y_train : ndarray of uint8, shape (60000,)
    X_test : ndarray of uint8, shape (10000, 28, 28)
    y_test : ndarray of uint8, shape (10000,)
    """
    return tuple(_read_idx(course_file(f"mnist/{name}.gz")) for name in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))


# %% [markdown] nbgrader={"grade": false, "grade_id": "section1_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Section 1: Backpropagation
#
# We have written most of an MLP in numpy. It is built from layer classes that all inherit from `Base`:
# every layer has a `forward_pass` (provided) and a `backward_pass` (yours), and `Base.update_weights` takes
# one gradient-descent step. The network `NN` chains the layers. You will work with
#
# - `Hidden`: a linear layer followed by a **Leaky ReLU**,
# - `Hidden_Vondrick`: a linear layer followed by a custom activation with a **learnable exponent**,
# - `Output`: a linear output layer that produces the class scores (logits),
# - `Loss`: the **softmax cross-entropy** loss (provided).
#
# ### Forward pass
#
# For a batch of $N$ inputs $X$ of shape $(N, D)$, a hidden layer with $M$ units computes
#
# $$U = XW + c, \qquad h = g(U), \qquad W \in \mathbb{R}^{D\times M},\; c \in \mathbb{R}^{1\times M},$$
#
# the output layer with $K$ classes computes $z = hw + b$ ($w \in \mathbb{R}^{M\times K}$), and the loss of
# sample $i$ with label $y_i$ is $\ell_i = -z_{i,y_i} + \log\sum_k e^{z_{ik}}$. The network also adds the L2
# penalty $\frac{\lambda}{2}\sum_{\text{layers}}\lVert W\rVert^2$ on every weight matrix (not on biases). Its strength
# $\lambda$ is the argument `lambda_reg` of the code (scikit-learn calls it `alpha`; in this notebook $\alpha$ is
# only the learning rate of section 2).
#
# ### Backward pass
#
# Each `backward_pass` receives $\partial L/\partial h$, the gradient of the loss with respect to the layer's
# output, and applies the chain rule ($\odot$ is the elementwise product):
#
# $$\frac{\partial L}{\partial U} = \frac{\partial L}{\partial h} \odot g'(U), \tag{1}$$
#
# $$\frac{\partial L}{\partial W} = X^\top \frac{\partial L}{\partial U} + \lambda W, \tag{2}$$
#
# $$\frac{\partial L}{\partial c} = \sum_{i=1}^{N} \Big(\frac{\partial L}{\partial U}\Big)_{i,:}, \tag{3}$$
#
# $$\frac{\partial L}{\partial X} = \frac{\partial L}{\partial U}\, W^\top , \tag{4}$$
#
# of shapes $(N, M)$, $(D, M)$, $(1, M)$ and $(N, D)$. It then updates $W$ and $c$ and returns
# $\partial L/\partial X$ (called `for_prev`): the previous layer's $\partial L/\partial h$. Three conventions fix the
# answer; the tests check them:
#
# 1. **Sum over the batch, for weights and biases alike.** `Loss.backward_pass` returns
#    $\partial L/\partial z = P - Y$ (softmax probabilities minus one-hot labels), the gradient of the
#    *summed* batch loss $\sum_i \ell_i$: it is not divided by $N$. $X^\top \partial L/\partial U$ already sums
#    over the batch, so the bias gradient must sum too. Averaging one of them and summing the other is a bug: it
#    gives the biases a step $N$ times smaller than the weights.
# 2. **Regularize weights only**: add $\lambda W$ to the weight gradient, nothing to the bias gradient.
# 3. **Backpropagate through the weights the forward pass used**: compute `for_prev` with $W$ *before* the
#    update (the provided lines take the step after your code).
#
# Together, the updates descend $\sum_i \ell_i + \frac{\lambda}{2}\sum_{\text{layers}}\lVert W\rVert^2$ on each
# batch (the loss curves plot the batch mean of $\ell_i$ plus the same penalty).
#
# Each class is written in a locked cell; the methods you implement follow it in answer cells, where the decorator
# `@add_to_class(...)` attaches them to the class. Read the classes and print a few shapes before you start: the
# forward passes show what each variable holds. The self-check cell after each answer compares your gradients with
# numerical ones (`finite_difference_gradient`, below) on small layers of sizes other than the tests', and fails
# with the `relative_error` (below) when they disagree by more than $10^{-6}$: run it before you move on. It also
# applies the no-loop rule of the tests (`python_loop_lines`).

# %% nbgrader={"grade": false, "grade_id": "base_layer", "locked": true, "schema_version": 3, "solution": false, "task": false}
def add_to_class(cls):
    """Decorator: attach the function below it to `cls` as a method, so that a class can grow over several cells."""
    def attach(function):
        setattr(cls, function.__name__, function)
        return function
    return attach


class Base:
    """What every layer has: its sizes, a forward and a backward pass, and one gradient step."""

    def __init__(self, input_dims: int, output_dims: int):
        self.input_dims = input_dims
        self.output_dims = output_dims

    def forward_pass(self):
        pass

    def backward_pass(self):
        pass

    def update_weights(self, W, b, del_W, del_b, learning_rate):
        """One gradient-descent step, in place: W -= learning_rate * del_W and b -= learning_rate * del_b."""
        W -= learning_rate * del_W
        b -= learning_rate * del_b
        return W, b


def finite_difference_gradient(fun, P, eps=1e-6):
    """Central-difference gradient of the scalar fun() with respect to the array P (perturbed in place, restored).

    A debugging helper: the self-check cells compare it with your backward passes on small layers.
    """
    grad = np.zeros_like(P)
    for idx in np.ndindex(P.shape):
        old = P[idx]
        P[idx] = old + eps
        f_plus = fun()
        P[idx] = old - eps
        f_minus = fun()
        P[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(yours, expected):
    """|yours - expected| / (|yours| + |expected|), over the whole arrays (0 when both are 0).

    A gradient that agrees with its finite-difference estimate has a relative error below 1e-6; a mean in place of a
    sum, a missing term or a wrong transpose give 1e-3 or more. The shapes must agree.
    """
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    assert yours.shape == expected.shape, f"shape {yours.shape}, expected {expected.shape}"
    scale = np.linalg.norm(yours) + np.linalg.norm(expected)
    return float(np.linalg.norm(yours - expected) / scale) if scale > 0 else 0.0


def python_loop_lines(*funcs):
    """The no-loop rule as the tests read it: the lines of the answer cells defining `funcs` with a Python loop
    (for, while, a comprehension) or a call of np.vectorize, np.frompyfunc, np.apply_along_axis or map.
    Loops over a literal tuple or list, over range(<constants>) and over a dict's keys, values or items are allowed."""
    def harmless(it):
        if isinstance(it, (ast.Tuple, ast.List)):
            return all(isinstance(e, ast.Constant) for e in it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys", "values"):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in it.args)
        return isinstance(it, ast.Attribute) and it.attr in ("weights", "gradients")

    found = set()
    for func in funcs:
        text = "".join(linecache.getlines(func.__code__.co_filename))
        if not text.strip():
            text = textwrap.dedent(inspect.getsource(func))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.While):
                found.add(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not harmless(node.iter):
                found.add(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    not all(harmless(g.iter) for g in node.generators):
                found.add(node.lineno)
            elif getattr(node, "attr", getattr(node, "id", None)) in ("vectorize", "frompyfunc", "apply_along_axis", "map"):
                found.add(node.lineno)
    return sorted(found)


# %% [markdown] nbgrader={"grade": false, "grade_id": "hidden_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Tasks 1.1 and 1.2: the `Hidden` layer (Leaky ReLU)
#
# The Leaky ReLU and its derivative are
#
# $$g(x) = \begin{cases} x & x > 0 \\ 0.01\,x & x \le 0 \end{cases} \qquad\qquad
# g'(x) = \begin{cases} 1 & x > 0 \\ 0.01 & x \le 0 \end{cases}$$
#
# (at exactly $0$ we use the $x \le 0$ branch). `leaky_relu_derivative` receives the activations
# $h = g(U)$ rather than $U$; that is enough, because $h > 0$ exactly where $U > 0$.
#
# The class is below; its two unfinished methods are written in the answer cells that follow it, where
# `@add_to_class(Hidden)` attaches each one to the class. Use vectorized numpy: no Python loops over samples and no
# `np.vectorize` (nor `np.frompyfunc`, `np.apply_along_axis` or `map`), in tasks 1.1 to 1.6. The tests read your
# answer cells: an answer that breaks this rule scores 0 for its task.
#
# Each task is graded on its own. Where a method calls one of an earlier task (`backward_pass` calls
# `leaky_relu_derivative`), its test accepts the values that your earlier method gives as well as the right ones, so a
# mistake costs only the points of the task it is in. One thing cannot be separated: if the earlier method raises an
# error when the later one calls it, the later one cannot run and loses its points too (task 1.2 when
# `leaky_relu_derivative` raises, task 1.5 when `vondrick_activation_derivative` raises).

# %% nbgrader={"grade": false, "grade_id": "hidden_class", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Hidden(Base):
    """A fully connected layer followed by a Leaky ReLU: h = g(X W + c).

    Attributes
    ----------
    W : ndarray, shape (D, M)   weights, D = input_dims, M = output_dims
    c : ndarray, shape (1, M)   biases
    """

    def __init__(self, input_dims: int, output_dims: int):
        super().__init__(input_dims, output_dims)
        self.W = np.random.random((input_dims, output_dims)) - 0.5
        self.c = np.random.random((1, output_dims)) - 0.5

    def forward_pass(self, X):
        """X : ndarray, shape (N, D). Returns the activations h, shape (N, M)."""
        U = X @ self.W + self.c
        activations = self.leaky_relu(U)
        return activations

    def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate):
        raise NotImplementedError("task 1.2: run its answer cell")

    def leaky_relu(self, inp):
        """g(U): inp where inp > 0, 0.01 * inp elsewhere; same shape as inp."""
        return np.where(inp > 0, inp, 0.01 * inp)

    def leaky_relu_derivative(self, h):
        raise NotImplementedError("task 1.1: run its answer cell")


# %% [markdown] nbgrader={"grade": false, "grade_id": "leaky_relu_derivative_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 1.1** Implement `Hidden.leaky_relu_derivative`.

# %% nbgrader={"grade": false, "grade_id": "leaky_relu_derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
@add_to_class(Hidden)
def leaky_relu_derivative(self, h):
    """g'(U), computed from the activations h = g(U).

    Parameters
    ----------
    h : ndarray, shape (N, M)

    Returns
    -------
    ndarray, shape (N, M): 1.0 where h > 0 and 0.01 where h <= 0 (so 0.01 at exactly 0)
    """
    # TODO 1.1: g'(U) of the Leaky ReLU (the derivative above), from h alone; shape (N, M), like h. At exactly 0
    # the x <= 0 branch. Vectorized (no loop over the entries).
    ### BEGIN SOLUTION
    return np.where(h > 0, 1.0, 0.01)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_leaky_relu_derivative", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(11)  # the layers draw their initial weights from numpy's global generator
check_h = np.array([[2.0, -0.01, 0.0, 0.3]])
check_d = Hidden(2, 4).leaky_relu_derivative(check_h)
print("leaky_relu_derivative:", check_d, " expected: [[1.   0.01 0.01 1.  ]]")
assert np.shape(check_d) == (1, 4) and np.allclose(check_d, [[1.0, 0.01, 0.01, 1.0]]), \
    "leaky_relu_derivative is wrong on the example (1 where h > 0, 0.01 where h <= 0)"
check_d = Hidden(2, 4).leaky_relu_derivative(np.array([[-3.0], [5.0], [1e-9]]))
assert np.shape(check_d) == (3, 1) and np.allclose(check_d, [[0.01], [1.0], [1.0]]), \
    "leaky_relu_derivative is wrong on an input of another shape"
assert not python_loop_lines(Hidden.leaky_relu_derivative), \
    f"no-loop rule: line(s) {python_loop_lines(Hidden.leaky_relu_derivative)} of your answer cell"
print("task 1.1 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_leaky_relu_derivative", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
np.random.seed(12)
_layer = Hidden(3, 4)
_h = np.array([[2.0, -0.01, 0.5, -3.0], [0.0, 1e-9, -1e-9, 7.0]])
_d = _layer.leaky_relu_derivative(_h)
assert isinstance(_d, np.ndarray) and _d.shape == _h.shape, "leaky_relu_derivative must return an array shaped like h"
assert np.allclose(_d[0], [1.0, 0.01, 1.0, 0.01]), "leaky_relu_derivative should be 1 where h > 0 and 0.01 where h < 0"
assert np.allclose(_d[1], [0.01, 1.0, 0.01, 1.0]), "at exactly 0 use the x <= 0 branch (0.01); tiny positive values give 1"
import ast, inspect, linecache, textwrap


def _python_loops(*funcs):
    """Lines of the answer cells defining `funcs` with a Python loop over array entries, or a call of np.vectorize,
    np.frompyfunc, np.apply_along_axis or map. Loops over a literal tuple or list, over range(<constants>) and over
    a dict's keys, values or items (or over .weights / .gradients) are allowed."""
    def harmless(it):
        if isinstance(it, (ast.Tuple, ast.List)):
            return all(isinstance(e, ast.Constant) for e in it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys", "values"):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in it.args)
        return isinstance(it, ast.Attribute) and it.attr in ("weights", "gradients")

    found = set()
    for func in funcs:
        text = "".join(linecache.getlines(func.__code__.co_filename))
        if not text.strip():
            try:
                text = textwrap.dedent(inspect.getsource(func))
            except (OSError, TypeError):
                raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run "
                                     "that cell") from None
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.While):
                found.add(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not harmless(node.iter):
                found.add(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    not all(harmless(g.iter) for g in node.generators):
                found.add(node.lineno)
            elif getattr(node, "attr", getattr(node, "id", None)) in ("vectorize", "frompyfunc", "apply_along_axis", "map"):
                found.add(node.lineno)
    return sorted(found)


_lines = _python_loops(Hidden.leaky_relu_derivative)
assert not _lines, ("no-loop rule: the answer cell of leaky_relu_derivative has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")
_d = _layer.leaky_relu_derivative(np.array([[-3.0], [5.0], [1e-9]]))
assert np.shape(_d) == (3, 1) and np.allclose(_d, [[0.01], [1.0], [1.0]]), \
    "leaky_relu_derivative is wrong on an input of another shape"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(40417)
for _shape in [(9, 7), (1, 5), (3, 1)]:
    _u = _rng.normal(size=_shape) * 3.0
    _hh = np.where(_u > 0, _u, 0.01 * _u)
    _ref = np.where(_hh > 0, 1.0, 0.01)
    _got = _layer.leaky_relu_derivative(_hh.copy())
    assert np.shape(_got) == _shape, "leaky_relu_derivative must return an array shaped like h"
    assert np.allclose(_got, _ref), "leaky_relu_derivative is wrong on some entries (1 for h > 0, 0.01 for h <= 0)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "hidden_backward_pass_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 1.2** Implement `Hidden.backward_pass` with the equations and the three conventions above. Your code
# computes the gradients; the two provided lines at the end take the step and return `for_prev`.

# %% nbgrader={"grade": false, "grade_id": "hidden_backward_pass", "locked": false, "schema_version": 3, "solution": true, "task": false}
@add_to_class(Hidden)
def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate):
    """Backpropagate through the layer, take one gradient step on W and c, and return dL/dX.

    Parameters
    ----------
    X : ndarray, shape (N, D)      the input this layer received in the forward pass
    h : ndarray, shape (N, M)      the layer's output g(U) for that input
    dLdh : ndarray, shape (N, M)   gradient of the summed batch loss with respect to h
    lambda_reg : float             L2 regularization strength (weights only)
    learning_rate : float          step size for W and c

    Returns
    -------
    for_prev : ndarray, shape (N, D)   dL/dX, the dL/dh of the previous layer
    """
    # TODO 1.2: with g'(U) from self.leaky_relu_derivative(h), compute by equations (1) to (4)
    #   dLdU (N, M), dLdW (D, M), dLdc (1, M) or (M,), and for_prev (N, D),
    # under conventions 1 to 3 above (the provided lines below take the step with dLdW and dLdc).
    ### BEGIN SOLUTION
    dLdU = dLdh * self.leaky_relu_derivative(h)
    dLdW = X.T @ dLdU + lambda_reg * self.W
    dLdc = np.sum(dLdU, axis=0, keepdims=True)
    for_prev = dLdU @ self.W.T
    ### END SOLUTION
    self.W, self.c = self.update_weights(self.W, self.c, dLdW, dLdc, learning_rate)
    return for_prev


# %% nbgrader={"grade": false, "grade_id": "check_hidden_backward_pass", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(13)  # the layers draw their initial weights from numpy's global generator
# Small layers: the step a layer takes, divided by -learning_rate, must equal the finite-difference gradient of
# L = sum(G * h) + lambda_reg/2 * ||W||^2 (G plays the role of dL/dh), and for_prev the gradient in X.
check_rng = np.random.default_rng(0)
for check_N, check_D, check_M in [(4, 3, 2), (5, 2, 3)]:
    check_X, check_G = check_rng.normal(size=(check_N, check_D)), check_rng.normal(size=(check_N, check_M))
    check_layer = Hidden(check_D, check_M)
    check_W, check_c = check_layer.W.copy(), check_layer.c.copy()
    check_loss = lambda: (np.sum(check_G * check_layer.leaky_relu(check_X @ check_W + check_c))
                          + 0.5 * 0.1 * np.sum(check_W ** 2))
    check_prev = check_layer.backward_pass(check_X, check_layer.forward_pass(check_X), check_G, 0.1, 0.01)
    assert np.shape(check_prev) == (check_N, check_D), "for_prev must have shape (N, D)"
    assert np.shape(check_layer.W) == (check_D, check_M) and np.size(check_layer.c) == check_M, \
        "the step must keep W (D, M) and c (1, M) in shape"
    for check_name, check_yours, check_P in [("dL/dW", (check_W - check_layer.W) / 0.01, check_W),
                                             ("dL/dc", (check_c - np.reshape(check_layer.c, (1, -1))) / 0.01, check_c),
                                             ("for_prev", check_prev, check_X)]:
        check_err = relative_error(check_yours, finite_difference_gradient(check_loss, check_P))
        print(f"N, D, M = {check_N}, {check_D}, {check_M}: {check_name:8s} relative error {check_err:.1e}")
        assert check_err < 1e-6, (f"{check_name} disagrees with finite differences (relative error {check_err:.1e}): "
                                  "check the three conventions above")
assert not python_loop_lines(Hidden.backward_pass), \
    f"no-loop rule: line(s) {python_loop_lines(Hidden.backward_pass)} of your answer cell"
print("task 1.2 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_hidden_backward_pass", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
np.random.seed(14)
_layer = Hidden(3, 2)
_X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
_out = _layer.backward_pass(_X, _layer.forward_pass(_X), np.ones((2, 2)), 0.01, 0.001)
assert isinstance(_out, np.ndarray) and _out.shape == (2, 3), "backward_pass must return for_prev of shape (N, D)"
assert _layer.W.shape == (3, 2) and _layer.c.shape == (1, 2), "the update must keep W (D, M) and c (1, M) in shape"
# Task 1.2 is judged on its own: g'(U) is the reference one, or the one your leaky_relu_derivative (task 1.1, graded
# in its own test) gives, whichever your backward pass uses.
import ast, inspect, linecache, textwrap


def _python_loops(*funcs):
    """Lines of the answer cells defining `funcs` with a Python loop over array entries, or a call of np.vectorize,
    np.frompyfunc, np.apply_along_axis or map. Loops over a literal tuple or list, over range(<constants>) and over
    a dict's keys, values or items (or over .weights / .gradients) are allowed."""
    def harmless(it):
        if isinstance(it, (ast.Tuple, ast.List)):
            return all(isinstance(e, ast.Constant) for e in it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys", "values"):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in it.args)
        return isinstance(it, ast.Attribute) and it.attr in ("weights", "gradients")

    found = set()
    for func in funcs:
        text = "".join(linecache.getlines(func.__code__.co_filename))
        if not text.strip():
            try:
                text = textwrap.dedent(inspect.getsource(func))
            except (OSError, TypeError):
                raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run "
                                     "that cell") from None
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.While):
                found.add(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not harmless(node.iter):
                found.add(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    not all(harmless(g.iter) for g in node.generators):
                found.add(node.lineno)
            elif getattr(node, "attr", getattr(node, "id", None)) in ("vectorize", "frompyfunc", "apply_along_axis", "map"):
                found.add(node.lineno)
    return sorted(found)


_lines = _python_loops(Hidden.backward_pass)
assert not _lines, ("no-loop rule: the answer cell of Hidden.backward_pass has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")


def _fd(fun, P, eps=1e-6):
    """Central-difference gradient of the scalar fun() in the array P (changed in place, restored)."""
    grad = np.zeros_like(P)
    for idx in np.ndindex(P.shape):
        old = P[idx]
        P[idx] = old + eps
        f_plus = fun()
        P[idx] = old - eps
        grad[idx] = (f_plus - fun()) / (2 * eps)
        P[idx] = old
    return grad


def _rel(yours, expected):
    """Relative error |yours - expected| / (|yours| + |expected|) over whole arrays."""
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    return float(np.linalg.norm(yours - expected) / max(np.linalg.norm(yours) + np.linalg.norm(expected), 1e-300))

# Visible gradient check on small layers (when task 1.1 passes its example, so that a mistake there is not
# counted here): the step divided by -learning_rate and for_prev must match finite differences of
# L = sum(G * h) + lambda_reg/2 * ||W||^2.
try:
    _d = Hidden(2, 4).leaky_relu_derivative(np.array([[2.0, -0.01, 0.0, 0.3]]))
    _task_11_ok = np.shape(_d) == (1, 4) and np.allclose(_d, [[1.0, 0.01, 0.01, 1.0]])
except Exception:
    _task_11_ok = False
if _task_11_ok:
    _rng = np.random.default_rng(0)
    for _N, _D, _M in [(4, 3, 2), (5, 2, 3)]:
        _X, _G = _rng.normal(size=(_N, _D)), _rng.normal(size=(_N, _M))
        _layer = Hidden(_D, _M)
        _W, _c = np.array(_layer.W, dtype=float), np.array(_layer.c, dtype=float)
        _h = lambda: np.where(_X @ _W + _c > 0, _X @ _W + _c, 0.01 * (_X @ _W + _c))
        _loss = lambda: np.sum(_G * _h()) + 0.05 * np.sum(_W ** 2)
        _out = _layer.backward_pass(_X.copy(), _h(), _G.copy(), 0.1, 0.01)
        _steps = [("dL/dW", (_W - np.asarray(_layer.W)) / 0.01, _W),
                  ("dL/dc", (_c - np.reshape(_layer.c, (1, -1))) / 0.01, _c), ("for_prev", _out, _X)]
        for _name, _yours, _P in _steps:
            assert np.shape(_yours) == _P.shape, f"{_name} has the wrong shape"
            assert _rel(_yours, _fd(_loss, _P)) < 1e-6, \
                f"{_name} disagrees with finite differences (N, D, M = {_N}, {_D}, {_M}): check conventions 1 to 3"
### BEGIN HIDDEN TESTS
def _leaky(U):
    return np.where(U > 0, U, 0.01 * U)


def _mismatch(dg, X, G, W, c, lambda_reg, lr, W_new, c_new, out):
    """What in the step and for_prev disagrees with g'(U) = dg (None if nothing)."""
    dLdU = G * dg
    if not np.allclose((W - W_new) / lr, X.T @ dLdU + lambda_reg * W, rtol=1e-6, atol=1e-8):
        return "the weight step is not -learning_rate * dL/dW: check dLdU, the lambda_reg * W term and the sum over the batch"
    if not np.allclose((c - c_new) / lr, dLdU.sum(axis=0, keepdims=True), rtol=1e-6, atol=1e-8):
        return "the bias step is not -learning_rate * dL/dc: sum dLdU over the batch axis, like dLdW (no averaging)"
    if not np.allclose(out, dLdU @ W.T, rtol=1e-6, atol=1e-8):
        return "for_prev is not dL/dX = dLdU W^T (use W before the update)"
    return None


_rng = np.random.default_rng(91823)
for _N, _D, _M in [(6, 4, 3), (3, 5, 7), (1, 2, 4)]:
    _W, _c = _rng.normal(size=(_D, _M)), _rng.normal(size=(1, _M))
    _X = _rng.normal(size=(_N, _D))
    while np.min(np.abs(_X @ _W + _c)) < 1e-3:
        _X = _rng.normal(size=(_N, _D))
    _G = _rng.normal(size=(_N, _M))
    _alpha, _lr = 0.37, 0.05
    _h = _leaky(_X @ _W + _c)
    _layer = Hidden(_D, _M)
    _layer.W, _layer.c = _W.copy(), _c.copy()
    _out = _layer.backward_pass(_X.copy(), _h.copy(), _G.copy(), _alpha, _lr)
    assert np.shape(_out) == (_N, _D), "for_prev must have shape (N, D)"
    _W_new, _c_new = np.asarray(_layer.W, dtype=float), np.asarray(_layer.c, dtype=float)
    assert _W_new.shape == (_D, _M) and _c_new.size == _M, "the update must keep W (D, M) and c (1, M) in shape"
    _c_new = _c_new.reshape(1, _M)
    _dgs = [np.where(_h > 0, 1.0, 0.01)]
    try:
        _yours = np.asarray(Hidden(_D, _M).leaky_relu_derivative(_h.copy()), dtype=float)
        if _yours.shape == _h.shape:
            _dgs.append(_yours)
    except Exception:  # task 1.1 unfinished: only the reference counts
        pass
    _problems = [_mismatch(_dg, _X, _G, _W, _c, _alpha, _lr, _W_new, _c_new, np.asarray(_out, dtype=float))
                 for _dg in _dgs]
    assert None in _problems, _problems[0]
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "vondrick_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Tasks 1.3 to 1.5: the `Hidden_Vondrick` layer (an activation with a learnable exponent)
#
# This layer is like `Hidden`, with one difference: its activation has a parameter $n$ (the attribute
# `vondrick_exponent`) that is learned by gradient descent along with $W$ and $c$:
#
# $$g_n(x) = \begin{cases} x^{n} & x > 0 \\ 0.01\,x & x \le 0 \end{cases} \tag{5}$$
#
# Task 1.4 asks for its two partial derivatives, $\partial g_n/\partial x$ and $\partial g_n/\partial n$, each
# elementwise and of the shape $(N, M)$ of $U$: derive them case by case (on $x > 0$, the power $x^n$ depends on
# $n$ through its exponent). At $x = 0$ use the $x \le 0$ branch. The self-check compares them with finite
# differences of your activation.
#
# $n$ is one scalar shared by all $N \times M$ activations, so by the chain rule its gradient sums over all of
# them, each weighted by how much the loss cares about that activation:
#
# $$\frac{\partial L}{\partial n} = \sum_{i,j} \Big(\frac{\partial L}{\partial h}\Big)_{ij}\,
# \Big(\frac{\partial h}{\partial n}\Big)_{ij}. \tag{6}$$
#
# The factor $\partial L/\partial h$ matters: $\sum_{ij} \partial h_{ij}/\partial n$ alone is the gradient of
# $\sum_{ij} h_{ij}$, not of the loss. It is almost always positive, so every step would lower $n$ and it would
# end at its lower clip 1.01 whatever the data say. The provided lines take the steps:
# $W$ and $c$ with `learning_rate`, and $n \leftarrow \max(1.01,\; n - 0.001\,\partial L/\partial n)$.
#
# `forward_pass` stores the pre-activation $U$ in `self.U`; `vondrick_activation_derivative` reads it from there.
#
# **A numpy trap.** `np.where(cond, A, B)` computes all of `A` and all of `B` before it picks. A negative
# number raised to a fractional power is `nan`, and `np.log(0)` is `-inf`; both print a `RuntimeWarning`
# even where `np.where` then throws the value away. So hand a power or a logarithm an array that holds only
# valid inputs: the entries that `np.where` will discard may be replaced by any harmless value first. A test cell
# that prints a warning scores 0, and the self-checks turn warnings into errors.

# %% nbgrader={"grade": false, "grade_id": "hidden_vondrick_class", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Hidden_Vondrick(Base):
    """A fully connected layer followed by g_n, an activation with a learnable exponent n: h = g_n(X W + c).

    Attributes
    ----------
    W : ndarray, shape (D, M)      weights, D = input_dims, M = output_dims
    c : ndarray, shape (1, M)      biases
    U : ndarray, shape (N, M)      the pre-activation X W + c of the last forward pass
    vondrick_exponent : float      the learnable exponent n
    """

    exponent_learning_rate = 0.001  # step size for n

    def __init__(self, input_dims: int, output_dims: int):
        super().__init__(input_dims, output_dims)
        self.W = np.random.random((input_dims, output_dims))
        self.c = np.random.random((1, output_dims))
        self.U = None
        # n starts from Uniform(1.4, 2); stay near this range for stable training.
        self.vondrick_exponent = np.random.uniform(1.4, 2)

    def forward_pass(self, X):
        """X : ndarray, shape (N, D). Stores U = X W + c and returns h = g_n(U), shape (N, M)."""
        self.U = X @ self.W + self.c
        activations = self.vondrick_activation(self.U)
        return activations

    def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate=0.0005):
        raise NotImplementedError("task 1.5: run its answer cell")

    def vondrick_activation(self, U):
        raise NotImplementedError("task 1.3: run its answer cell")

    def vondrick_activation_derivative(self):
        raise NotImplementedError("task 1.4: run its answer cell")


# %% [markdown] nbgrader={"grade": false, "grade_id": "vondrick_activation_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 1.3** Implement `Hidden_Vondrick.vondrick_activation`, vectorized (no `np.vectorize`) and without
# warnings.

# %% nbgrader={"grade": false, "grade_id": "vondrick_activation", "locked": false, "schema_version": 3, "solution": true, "task": false}
@add_to_class(Hidden_Vondrick)
def vondrick_activation(self, U):
    """g_n(U) elementwise, with n = self.vondrick_exponent.

    Parameters
    ----------
    U : ndarray, shape (N, M)

    Returns
    -------
    activations : ndarray, shape (N, M): U**n where U > 0, 0.01 * U where U <= 0
    """
    # TODO 1.3
    ### BEGIN SOLUTION
    return np.where(U > 0, np.maximum(U, 0.0) ** self.vondrick_exponent, 0.01 * U)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_vondrick_activation", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(15)  # the layers draw their initial weights from numpy's global generator
check_v = Hidden_Vondrick(2, 4)
check_v.vondrick_exponent = 1.5
with warnings.catch_warnings():
    warnings.simplefilter("error")  # a RuntimeWarning fails the check, as it fails the test
    check_a = check_v.vondrick_activation(np.array([[4.0, -2.0, 0.0, 0.25]]))
    print("activation:", check_a, " expected: [[ 8.    -0.02   0.     0.125]]")
    assert np.shape(check_a) == (1, 4) and np.allclose(check_a, [[8.0, -0.02, 0.0, 0.125]]), \
        "vondrick_activation is wrong on the example"
    check_v.vondrick_exponent = 2.0
    check_a = check_v.vondrick_activation(np.array([[3.0], [-1.5], [0.5]]))
    assert np.shape(check_a) == (3, 1) and np.allclose(check_a, [[9.0], [-0.015], [0.25]]), \
        "vondrick_activation is wrong on another input (does it read n from self.vondrick_exponent?)"
assert not python_loop_lines(Hidden_Vondrick.vondrick_activation), \
    f"no-loop rule: line(s) {python_loop_lines(Hidden_Vondrick.vondrick_activation)} of your answer cell"
print("task 1.3 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_vondrick_activation", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
np.random.seed(16)
_v = Hidden_Vondrick(2, 4)
_v.vondrick_exponent = 1.5
with warnings.catch_warnings():
    warnings.simplefilter("error")
    try:
        _a = _v.vondrick_activation(np.array([[4.0, -2.0, 0.0, 0.25]]))
    except RuntimeWarning as _exc:
        raise AssertionError(f"vondrick_activation emits a RuntimeWarning ({_exc}): see the numpy trap") from None
assert isinstance(_a, np.ndarray) and _a.shape == (1, 4), "vondrick_activation must return an array shaped like U"
assert np.allclose(_a, [[8.0, -0.02, 0.0, 0.125]]), "vondrick_activation should be U**n for U > 0 and 0.01 U for U <= 0"
_v.vondrick_exponent = 2.0
_a = _v.vondrick_activation(np.array([[3.0], [-1.5], [0.5]]))
assert np.shape(_a) == (3, 1) and np.allclose(_a, [[9.0], [-0.015], [0.25]]), \
    "vondrick_activation is wrong on another input (n is self.vondrick_exponent)"
import ast, inspect, linecache, textwrap


def _python_loops(*funcs):
    """Lines of the answer cells defining `funcs` with a Python loop over array entries, or a call of np.vectorize,
    np.frompyfunc, np.apply_along_axis or map. Loops over a literal tuple or list, over range(<constants>) and over
    a dict's keys, values or items (or over .weights / .gradients) are allowed."""
    def harmless(it):
        if isinstance(it, (ast.Tuple, ast.List)):
            return all(isinstance(e, ast.Constant) for e in it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys", "values"):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in it.args)
        return isinstance(it, ast.Attribute) and it.attr in ("weights", "gradients")

    found = set()
    for func in funcs:
        text = "".join(linecache.getlines(func.__code__.co_filename))
        if not text.strip():
            try:
                text = textwrap.dedent(inspect.getsource(func))
            except (OSError, TypeError):
                raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run "
                                     "that cell") from None
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.While):
                found.add(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not harmless(node.iter):
                found.add(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    not all(harmless(g.iter) for g in node.generators):
                found.add(node.lineno)
            elif getattr(node, "attr", getattr(node, "id", None)) in ("vectorize", "frompyfunc", "apply_along_axis", "map"):
                found.add(node.lineno)
    return sorted(found)


_lines = _python_loops(Hidden_Vondrick.vondrick_activation)
assert not _lines, ("no-loop rule: the answer cell of vondrick_activation has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5512)
for _shape, _n in [((6, 5), 1.73), ((2, 9), 1.21), ((4, 1), 2.4)]:
    _U = _rng.normal(size=_shape) * 2.0
    _U[0, 0] = 0.0
    _v.vondrick_exponent = _n
    _ref = np.where(_U > 0, np.abs(_U) ** _n, 0.01 * _U)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            _got = _v.vondrick_activation(_U.copy())
        except RuntimeWarning as _exc:
            raise AssertionError(f"vondrick_activation emits a RuntimeWarning ({_exc}); "
                                 "np.where evaluates both branches") from None
    assert np.shape(_got) == _shape, "vondrick_activation must return an array shaped like U"
    assert np.all(np.isfinite(_got)), "vondrick_activation returns nan or inf"
    assert np.allclose(_got[_U > 0], _ref[_U > 0]), "wrong values for U > 0 (U**n with n = self.vondrick_exponent)"
    assert np.allclose(_got[_U <= 0], _ref[_U <= 0]), "wrong values for U <= 0 (0.01 U)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "vondrick_activation_derivative_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 1.4** Implement `Hidden_Vondrick.vondrick_activation_derivative`: both partial derivatives,
# elementwise (not summed), at the stored `self.U`.

# %% nbgrader={"grade": false, "grade_id": "vondrick_activation_derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
@add_to_class(Hidden_Vondrick)
def vondrick_activation_derivative(self):
    """The two partial derivatives of h = g_n(U), elementwise, at the stored U = self.U.

    Returns
    -------
    dhdU : ndarray, shape (N, M)   the partial derivative of g_n in x, at each entry of U
    dhdn : ndarray, shape (N, M)   the partial derivative of g_n in n, at each entry of U (not summed)
    """
    # TODO 1.4: the two partial derivatives of (5) at U = self.U with n = self.vondrick_exponent, each of shape
    # (N, M); vectorized, and without warnings (see the numpy trap above).
    ### BEGIN SOLUTION
    U, n = self.U, self.vondrick_exponent
    positive = U > 0
    U_pos = np.where(positive, U, 1.0)  # only positive numbers reach ** and log
    dhdU = np.where(positive, n * U_pos ** (n - 1), 0.01)
    dhdn = np.where(positive, U_pos ** n * np.log(U_pos), 0.0)
    return dhdU, dhdn
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_vondrick_activation_derivative", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(17)  # the layers draw their initial weights from numpy's global generator
check_v = Hidden_Vondrick(2, 4)
check_v.vondrick_exponent = 1.5
check_v.U = np.array([[4.0, -2.0, 0.0, 0.25]])
with warnings.catch_warnings():
    warnings.simplefilter("error")  # a RuntimeWarning fails the check, as it fails the test
    check_dU, check_dn = check_v.vondrick_activation_derivative()
    print("dh/dU:", check_dU, " expected: [[3.   0.01 0.01 0.75]]")
    print("dh/dn:", np.round(check_dn, 5), " expected: [[11.09035  0.  0.  -0.17329]]")
    assert np.shape(check_dU) == (1, 4) and np.shape(check_dn) == (1, 4), "dhdU and dhdn must both have the shape of U"
    assert np.allclose(check_dU, [[3.0, 0.01, 0.01, 0.75]]), "dhdU is wrong on the example"
    assert np.allclose(check_dn, [[11.0903549, 0.0, 0.0, -0.1732868]]), "dhdn is wrong on the example"
    # another input: finite differences of your vondrick_activation (task 1.3) in U and in n
    check_U = np.random.default_rng(5).normal(size=(3, 5)) * 2.0
    check_v.vondrick_exponent, check_v.U = 1.8, check_U.copy()
    check_dU, check_dn = check_v.vondrick_activation_derivative()
    check_fd_U = (check_v.vondrick_activation(check_U + 1e-6) - check_v.vondrick_activation(check_U - 1e-6)) / 2e-6
    check_v.vondrick_exponent = 1.8 + 1e-6
    check_fd_n = check_v.vondrick_activation(check_U)
    check_v.vondrick_exponent = 1.8 - 1e-6
    check_fd_n = (check_fd_n - check_v.vondrick_activation(check_U)) / 2e-6
    check_v.vondrick_exponent = 1.8
for check_name, check_yours, check_fd in [("dhdU", check_dU, check_fd_U), ("dhdn", check_dn, check_fd_n)]:
    check_err = relative_error(check_yours, check_fd)
    print(f"{check_name} against finite differences of your activation: relative error {check_err:.1e}")
    assert check_err < 1e-6, f"{check_name} disagrees with finite differences of vondrick_activation (task 1.3)"
assert not python_loop_lines(Hidden_Vondrick.vondrick_activation_derivative), \
    f"no-loop rule: line(s) {python_loop_lines(Hidden_Vondrick.vondrick_activation_derivative)} of your answer cell"
print("task 1.4 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_vondrick_activation_derivative", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
np.random.seed(18)
_v = Hidden_Vondrick(2, 4)
_v.vondrick_exponent = 1.5
_v.U = np.array([[4.0, -2.0, 0.0, 0.25]])
with warnings.catch_warnings():
    warnings.simplefilter("error")
    try:
        _res = _v.vondrick_activation_derivative()
    except RuntimeWarning as _exc:
        raise AssertionError(f"vondrick_activation_derivative emits a RuntimeWarning ({_exc}): see the numpy trap") \
            from None
assert isinstance(_res, tuple) and len(_res) == 2, "vondrick_activation_derivative must return (dhdU, dhdn)"
_dU, _dn = _res
assert np.shape(_dU) == (1, 4) and np.shape(_dn) == (1, 4), "dhdU and dhdn must both have the shape of U, (N, M)"
assert np.allclose(_dU, [[3.0, 0.01, 0.01, 0.75]]), "dhdU is wrong at the self-check point (derivative in x)"
assert np.allclose(_dn, [[11.0903549, 0.0, 0.0, -0.1732868]]), "dhdn is wrong at the self-check point (derivative in n)"
import ast, inspect, linecache, textwrap


def _python_loops(*funcs):
    """Lines of the answer cells defining `funcs` with a Python loop over array entries, or a call of np.vectorize,
    np.frompyfunc, np.apply_along_axis or map. Loops over a literal tuple or list, over range(<constants>) and over
    a dict's keys, values or items (or over .weights / .gradients) are allowed."""
    def harmless(it):
        if isinstance(it, (ast.Tuple, ast.List)):
            return all(isinstance(e, ast.Constant) for e in it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys", "values"):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in it.args)
        return isinstance(it, ast.Attribute) and it.attr in ("weights", "gradients")

    found = set()
    for func in funcs:
        text = "".join(linecache.getlines(func.__code__.co_filename))
        if not text.strip():
            try:
                text = textwrap.dedent(inspect.getsource(func))
            except (OSError, TypeError):
                raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run "
                                     "that cell") from None
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.While):
                found.add(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not harmless(node.iter):
                found.add(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    not all(harmless(g.iter) for g in node.generators):
                found.add(node.lineno)
            elif getattr(node, "attr", getattr(node, "id", None)) in ("vectorize", "frompyfunc", "apply_along_axis", "map"):
                found.add(node.lineno)
    return sorted(found)


_lines = _python_loops(Hidden_Vondrick.vondrick_activation_derivative)
assert not _lines, ("no-loop rule: the answer cell of vondrick_activation_derivative has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(77031)
_g = lambda U, n: np.where(U > 0, np.maximum(U, 0) ** n, 0.01 * U)
for _shape, _n in [((5, 6), 1.64), ((3, 2), 1.12), ((1, 7), 2.3)]:
    _U = _rng.normal(size=_shape) * 1.5
    _U[0, 0] = 0.0
    _v.vondrick_exponent = _n
    _v.U = _U.copy()
    _p = np.where(_U > 0, _U, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            _dU, _dn = _v.vondrick_activation_derivative()
        except RuntimeWarning as _exc:
            raise AssertionError(f"vondrick_activation_derivative emits a RuntimeWarning ({_exc}); "
                                 "np.where evaluates both branches") from None
    assert np.shape(_dU) == _shape and np.shape(_dn) == _shape, "dhdU and dhdn must both have the shape of U"
    assert np.allclose(_dU, np.where(_U > 0, _n * _p ** (_n - 1), 0.01)), \
        "dhdU is wrong (n U**(n-1) for U > 0, 0.01 for U <= 0, with n = self.vondrick_exponent)"
    assert np.allclose(_dn, np.where(_U > 0, _p ** _n * np.log(_p), 0.0)), \
        "dhdn is wrong (U**n ln U for U > 0, 0 for U <= 0), elementwise, not summed"
    _far = np.abs(_U) > 1e-3
    assert np.allclose(((_g(_U + 1e-6, _n) - _g(_U - 1e-6, _n)) / 2e-6)[_far], _dU[_far], rtol=1e-5, atol=1e-7), \
        "dhdU disagrees with a finite difference of the activation"
    assert np.allclose((_g(_U, _n + 1e-6) - _g(_U, _n - 1e-6)) / 2e-6, _dn, rtol=1e-5, atol=1e-7), \
        "dhdn disagrees with a finite difference of the activation in n"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "vondrick_backward_pass_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 1.5** Implement `Hidden_Vondrick.backward_pass`: the same gradients as `Hidden.backward_pass`, from
# the derivatives of task 1.4, plus $\partial L/\partial n$ of equation (6).

# %% nbgrader={"grade": false, "grade_id": "vondrick_backward_pass", "locked": false, "schema_version": 3, "solution": true, "task": false}
@add_to_class(Hidden_Vondrick)
def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate=0.0005):
    """Backpropagate through the layer, step W, c and n, and return dL/dX.

    Parameters
    ----------
    X : ndarray, shape (N, D)      the input of the last forward pass (self.U = X W + c)
    h : ndarray, shape (N, M)      the layer's output g_n(U)
    dLdh : ndarray, shape (N, M)   gradient of the summed batch loss with respect to h
    lambda_reg : float             L2 regularization strength (W only; not c, not n)
    learning_rate : float          step size for W and c

    Returns
    -------
    for_prev : ndarray, shape (N, D)   dL/dX
    """
    # TODO 1.5: with dhdU and dhdn (both (N, M)) from self.vondrick_activation_derivative(), dhdU in the place
    # of g'(U), compute by equations (1) to (4) and conventions 1 to 3
    #   dLdU (N, M), dLdW (D, M), dLdc (1, M) or (M,), and for_prev (N, D),
    # and by equation (6) dLdn, one number. The provided lines below take the steps on W, c and n.
    ### BEGIN SOLUTION
    dhdU, dhdn = self.vondrick_activation_derivative()
    dLdU = dLdh * dhdU
    dLdW = X.T @ dLdU + lambda_reg * self.W
    dLdc = np.sum(dLdU, axis=0, keepdims=True)
    dLdn = np.sum(dLdh * dhdn)
    for_prev = dLdU @ self.W.T
    ### END SOLUTION
    self.W, self.c = self.update_weights(self.W, self.c, dLdW, dLdc, learning_rate)
    # gradient step on n, clipped below at 1.01
    self.vondrick_exponent = max(1.01, self.vondrick_exponent - self.exponent_learning_rate * float(np.sum(dLdn)))
    return for_prev


# %% nbgrader={"grade": false, "grade_id": "check_vondrick_backward_pass", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(19)  # the layers draw their initial weights from numpy's global generator
# As for task 1.2, with the loss L = sum(G * g_n(X W + c)) + lambda_reg/2 * ||W||^2 computed by your
# vondrick_activation (task 1.3), and dL/dn read from the step on n (exponent_learning_rate = 0.001).
check_rng = np.random.default_rng(1)
check_probe = Hidden_Vondrick(3, 2)
for check_N, check_D, check_M in [(4, 3, 2), (3, 2, 4)]:
    check_X, check_G = check_rng.normal(size=(check_N, check_D)), check_rng.normal(size=(check_N, check_M))
    check_v = Hidden_Vondrick(check_D, check_M)
    check_W, check_c, check_n = check_v.W.copy(), check_v.c.copy(), np.array(check_v.vondrick_exponent)

    def check_loss():
        check_probe.vondrick_exponent = float(check_n)
        return (np.sum(check_G * check_probe.vondrick_activation(check_X @ check_W + check_c))
                + 0.5 * 0.1 * np.sum(check_W ** 2))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning fails the check, as it fails the test
        check_prev = check_v.backward_pass(check_X, check_v.forward_pass(check_X), check_G, 0.1, 0.01)
        check_fd = {name: finite_difference_gradient(check_loss, P)
                    for name, P in [("W", check_W), ("c", check_c), ("n", check_n), ("X", check_X)]}
    assert np.shape(check_prev) == (check_N, check_D), "for_prev must have shape (N, D)"
    assert np.shape(check_v.W) == (check_D, check_M) and np.size(check_v.c) == check_M, \
        "the step must keep W (D, M) and c (1, M) in shape"
    assert np.ndim(check_v.vondrick_exponent) == 0, "the exponent must stay one number"
    for check_name, check_yours, check_key in [
            ("dL/dW", (check_W - check_v.W) / 0.01, "W"),
            ("dL/dc", (check_c - np.reshape(check_v.c, (1, -1))) / 0.01, "c"),
            ("dL/dn", (float(check_n) - check_v.vondrick_exponent) / 0.001, "n"),
            ("for_prev", check_prev, "X")]:
        check_err = relative_error(check_yours, check_fd[check_key])
        print(f"N, D, M = {check_N}, {check_D}, {check_M}: {check_name:8s} relative error {check_err:.1e}")
        assert check_err < 1e-6, (f"{check_name} disagrees with finite differences (relative error {check_err:.1e}): "
                                  "check equations (1) to (4) and (6) and the three conventions")
assert not python_loop_lines(Hidden_Vondrick.backward_pass), \
    f"no-loop rule: line(s) {python_loop_lines(Hidden_Vondrick.backward_pass)} of your answer cell"
print("task 1.5 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_vondrick_backward_pass", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
np.random.seed(20)
_v = Hidden_Vondrick(3, 2)
_X = np.array([[0.5, 1.0, 2.0], [1.5, 0.3, 0.7]])
_v.U = _X @ _v.W + _v.c  # what forward_pass stores; all entries are positive here, so h = U**n
_out = _v.backward_pass(_X, _v.U ** _v.vondrick_exponent, np.ones((2, 2)), 0.01, 0.001)
assert isinstance(_out, np.ndarray) and _out.shape == (2, 3), "backward_pass must return for_prev of shape (N, D)"
assert _v.W.shape == (3, 2) and _v.c.shape == (1, 2), "the update must keep W (D, M) and c (1, M) in shape"
assert np.ndim(_v.vondrick_exponent) == 0, "the exponent must stay one number"
# Task 1.5 is judged on its own: dh/dU and dh/dn are the reference ones, or the ones your
# vondrick_activation_derivative (task 1.4, graded in its own test) gives, whichever your backward pass uses.
import ast, inspect, linecache, textwrap


def _python_loops(*funcs):
    """Lines of the answer cells defining `funcs` with a Python loop over array entries, or a call of np.vectorize,
    np.frompyfunc, np.apply_along_axis or map. Loops over a literal tuple or list, over range(<constants>) and over
    a dict's keys, values or items (or over .weights / .gradients) are allowed."""
    def harmless(it):
        if isinstance(it, (ast.Tuple, ast.List)):
            return all(isinstance(e, ast.Constant) for e in it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys", "values"):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in it.args)
        return isinstance(it, ast.Attribute) and it.attr in ("weights", "gradients")

    found = set()
    for func in funcs:
        text = "".join(linecache.getlines(func.__code__.co_filename))
        if not text.strip():
            try:
                text = textwrap.dedent(inspect.getsource(func))
            except (OSError, TypeError):
                raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run "
                                     "that cell") from None
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.While):
                found.add(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not harmless(node.iter):
                found.add(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    not all(harmless(g.iter) for g in node.generators):
                found.add(node.lineno)
            elif getattr(node, "attr", getattr(node, "id", None)) in ("vectorize", "frompyfunc", "apply_along_axis", "map"):
                found.add(node.lineno)
    return sorted(found)


_lines = _python_loops(Hidden_Vondrick.backward_pass)
assert not _lines, ("no-loop rule: the answer cell of Hidden_Vondrick.backward_pass has a Python loop over the "
                    f"samples or np.vectorize / map (line {_lines}); use vectorized numpy")


def _fd(fun, P, eps=1e-6):
    """Central-difference gradient of the scalar fun() in the array P (changed in place, restored)."""
    grad = np.zeros_like(P)
    for idx in np.ndindex(P.shape):
        old = P[idx]
        P[idx] = old + eps
        f_plus = fun()
        P[idx] = old - eps
        grad[idx] = (f_plus - fun()) / (2 * eps)
        P[idx] = old
    return grad


def _rel(yours, expected):
    """Relative error |yours - expected| / (|yours| + |expected|) over whole arrays."""
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    return float(np.linalg.norm(yours - expected) / max(np.linalg.norm(yours) + np.linalg.norm(expected), 1e-300))

# Visible gradient check (when task 1.4 passes its example, so that a mistake there is not counted here), on
# positive inputs, where h = U**n: the steps on W, c and n and for_prev must match finite differences of
# L = sum(G * h) + lambda_reg/2 * ||W||^2.
_probe = Hidden_Vondrick(2, 4)
_probe.vondrick_exponent, _probe.U = 1.5, np.array([[4.0, -2.0, 0.0, 0.25]])
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _dU, _dn = _probe.vondrick_activation_derivative()
    _task_14_ok = (np.allclose(_dU, [[3.0, 0.01, 0.01, 0.75]]) and np.allclose(_dn, [[11.0903549, 0.0, 0.0, -0.1732868]]))
    _probe.vondrick_exponent, _probe.U = 2.0, np.array([[3.0, 0.5]])
    _dU, _dn = _probe.vondrick_activation_derivative()
    _task_14_ok = _task_14_ok and np.allclose(_dU, [[6.0, 1.0]]) and np.allclose(_dn, [[9.8875106, -0.1732868]])
except Exception:
    _task_14_ok = False
if _task_14_ok:
    _rng = np.random.default_rng(1)
    for _N, _D, _M in [(4, 3, 2), (3, 2, 4)]:
        _X, _G = _rng.uniform(0.1, 1.0, size=(_N, _D)), _rng.normal(size=(_N, _M))
        _v = Hidden_Vondrick(_D, _M)  # its W and c are positive, so U = X W + c > 0
        _W, _c = np.array(_v.W, dtype=float), np.array(_v.c, dtype=float)
        _n = np.array(float(_v.vondrick_exponent))
        _loss = lambda: np.sum(_G * (_X @ _W + _c) ** _n) + 0.05 * np.sum(_W ** 2)
        _v.U = _X @ _W + _c
        _out = _v.backward_pass(_X.copy(), (_X @ _W + _c) ** float(_n), _G.copy(), 0.1, 0.01)
        _steps = [("dL/dW", (_W - np.asarray(_v.W)) / 0.01, _W),
                  ("dL/dc", (_c - np.reshape(_v.c, (1, -1))) / 0.01, _c),
                  ("dL/dn", np.array((float(_n) - float(_v.vondrick_exponent)) / 0.001), _n), ("for_prev", _out, _X)]
        for _name, _yours, _P in _steps:
            assert np.shape(_yours) == _P.shape, f"{_name} has the wrong shape"
            assert _rel(_yours, _fd(_loss, _P)) < 1e-6, \
                f"{_name} disagrees with finite differences (N, D, M = {_N}, {_D}, {_M}): check (1) to (4), (6), 1 to 3"
### BEGIN HIDDEN TESTS
def _gn(U, n):
    return np.where(U > 0, np.maximum(U, 0) ** n, 0.01 * U)


def _mismatch(dU, dn, X, G, W, c, n0, lambda_reg, lr, W_new, c_new, n_new, out):
    """What in the steps and for_prev disagrees with dh/dU = dU and dh/dn = dn (None if nothing)."""
    dLdU = G * dU
    if not np.allclose((W - W_new) / lr, X.T @ dLdU + lambda_reg * W, rtol=1e-6, atol=1e-8):
        return "the weight step is not -learning_rate * dL/dW: check dLdU, the lambda_reg * W term and the sum over the batch"
    if not np.allclose((c - c_new) / lr, dLdU.sum(axis=0, keepdims=True), rtol=1e-6, atol=1e-8):
        return "the bias step is not -learning_rate * dL/dc: sum dLdU over the batch axis (no averaging)"
    if not np.isclose(n_new, max(1.01, n0 - 0.001 * np.sum(G * dn)), rtol=1e-9, atol=1e-9):
        return "dL/dn is wrong: it is the sum over all entries of dLdh * dhdn (did you forget dLdh?)"
    if not np.allclose(out, dLdU @ W.T, rtol=1e-6, atol=1e-8):
        return "for_prev is not dL/dX = dLdU W^T (use W before the update)"
    return None


_rng = np.random.default_rng(60389)
for _N, _D, _M, _n0 in [(5, 4, 3, 1.62), (2, 3, 6, 1.85), (7, 2, 2, 1.47)]:
    _W, _c = _rng.normal(size=(_D, _M)), _rng.normal(size=(1, _M))
    _X = _rng.normal(size=(_N, _D))
    while np.min(np.abs(_X @ _W + _c)) < 1e-3:
        _X = _rng.normal(size=(_N, _D))
    _G = _rng.normal(size=(_N, _M))
    _alpha, _lr = 0.23, 0.04
    _U = _X @ _W + _c
    _v = Hidden_Vondrick(_D, _M)
    _v.W, _v.c, _v.vondrick_exponent = _W.copy(), _c.copy(), _n0
    _v.U = _U.copy()
    _probe = Hidden_Vondrick(_D, _M)
    _probe.vondrick_exponent, _probe.U = _n0, _U.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            _probe.vondrick_activation_derivative()
            _own_warning = False
        except Exception:  # a warning (or an error) of task 1.4 is graded there
            _own_warning = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if _own_warning else "error")
        try:
            _out = _v.backward_pass(_X.copy(), _gn(_U, _n0), _G.copy(), _alpha, _lr)
        except RuntimeWarning as _exc:
            raise AssertionError(f"backward_pass emits a RuntimeWarning ({_exc})") from None
    assert np.shape(_out) == (_N, _D), "for_prev must have shape (N, D)"
    _W_new, _c_new = np.asarray(_v.W, dtype=float), np.asarray(_v.c, dtype=float)
    assert _W_new.shape == (_D, _M) and _c_new.size == _M, "the update must keep W (D, M) and c (1, M) in shape"
    assert np.ndim(_v.vondrick_exponent) == 0, "the exponent must stay one number"
    _c_new, _n_new = _c_new.reshape(1, _M), float(_v.vondrick_exponent)
    _p = np.where(_U > 0, _U, 1.0)
    _derivs = [(np.where(_U > 0, _n0 * _p ** (_n0 - 1), 0.01), np.where(_U > 0, _p ** _n0 * np.log(_p), 0.0))]
    try:
        _probe.vondrick_exponent, _probe.U = _n0, _U.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _yours = tuple(np.asarray(_a, dtype=float) for _a in _probe.vondrick_activation_derivative())
        if len(_yours) == 2 and _yours[0].shape == _U.shape and np.size(_yours[1]) in (1, _U.size):
            _derivs.append(_yours)
    except Exception:  # task 1.4 unfinished: only the reference counts
        pass
    _problems = [_mismatch(_dU, _dn, _X, _G, _W, _c, _n0, _alpha, _lr, _W_new, _c_new, _n_new,
                           np.asarray(_out, dtype=float)) for _dU, _dn in _derivs]
    assert None in _problems, _problems[0]
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "output_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 1.6: the `Output` layer
#
# The output layer is linear, $z = hw + b$. Its forward pass also subtracts each row's maximum from $z$: the
# softmax does not change when a constant is added to a row, and the exponentials in the loss cannot overflow.
# For the same reason, the gradient with respect to the unshifted $hw + b$ is the $\partial L/\partial z$ that
# `Loss.backward_pass` returns.

# %% nbgrader={"grade": false, "grade_id": "output_class", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Output(Base):
    """The linear output layer: class scores z = h w + b (each row shifted by its maximum).

    Attributes
    ----------
    w : ndarray, shape (M, K)   weights, M = input_dims, K = output_dims (the number of classes)
    b : ndarray, shape (1, K)   biases
    """

    def __init__(self, input_dims, output_dims):
        super().__init__(input_dims, output_dims)
        self.w = np.random.random((input_dims, output_dims)) - 0.5
        self.b = np.random.random((1, output_dims)) - 0.5

    def forward_pass(self, h):
        """h : ndarray, shape (N, M). Returns z, shape (N, K)."""
        z = h @ self.w + self.b
        # Subtracting each row's maximum leaves the softmax unchanged and prevents overflow in exp.
        z = z - np.max(z, axis=1, keepdims=True)
        return z

    def backward_pass(self, h, dLdz, lambda_reg, learning_rate):
        raise NotImplementedError("task 1.6: run its answer cell")


# %% [markdown] nbgrader={"grade": false, "grade_id": "output_backward_pass_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 1.6** Implement `Output.backward_pass`: equations (2) to (4) for this layer, which has no activation.
# Read them with the output layer's names: its input $h$ in the place of $X$, $w$ and $b$ in the place of $W$
# and $c$, and the $\partial L/\partial z$ it receives in the place of $\partial L/\partial U$. The same conventions
# 1 to 3 hold.

# %% nbgrader={"grade": false, "grade_id": "output_backward_pass", "locked": false, "schema_version": 3, "solution": true, "task": false}
@add_to_class(Output)
def backward_pass(self, h, dLdz, lambda_reg, learning_rate):
    """Backpropagate through the output layer, take one step on w and b, and return dL/dh.

    Parameters
    ----------
    h : ndarray, shape (N, M)      the input of the forward pass (the last hidden layer's output)
    dLdz : ndarray, shape (N, K)   gradient of the summed batch loss with respect to z
    lambda_reg : float             L2 regularization strength (w only)
    learning_rate : float          step size for w and b

    Returns
    -------
    dLdh : ndarray, shape (N, M)   passed back to the last hidden layer
    """
    # TODO 1.6: by equations (2) to (4) read as above and conventions 1 to 3, compute
    #   dLdw (M, K), dLdb (1, K) or (K,), and dLdh (N, M).
    ### BEGIN SOLUTION
    dLdw = h.T @ dLdz + lambda_reg * self.w
    dLdb = np.sum(dLdz, axis=0, keepdims=True)
    dLdh = dLdz @ self.w.T
    ### END SOLUTION
    self.w, self.b = self.update_weights(self.w, self.b, dLdw, dLdb, learning_rate)
    return dLdh


# %% nbgrader={"grade": false, "grade_id": "check_output_backward_pass", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(21)  # the layers draw their initial weights from numpy's global generator
# As for task 1.2, with L = sum(G * (h w + b)) + lambda_reg/2 * ||w||^2 (G plays the role of dL/dz).
check_rng = np.random.default_rng(2)
for check_N, check_M, check_K in [(4, 3, 2), (3, 5, 4)]:
    check_h, check_G = check_rng.normal(size=(check_N, check_M)), check_rng.normal(size=(check_N, check_K))
    check_o = Output(check_M, check_K)
    check_w, check_b = check_o.w.copy(), check_o.b.copy()
    check_loss = lambda: np.sum(check_G * (check_h @ check_w + check_b)) + 0.5 * 0.1 * np.sum(check_w ** 2)
    check_prev = check_o.backward_pass(check_h, check_G, 0.1, 0.01)
    assert np.shape(check_prev) == (check_N, check_M), "dLdh must have shape (N, M)"
    assert np.shape(check_o.w) == (check_M, check_K) and np.size(check_o.b) == check_K, \
        "the step must keep w (M, K) and b (1, K) in shape"
    for check_name, check_yours, check_P in [("dL/dw", (check_w - check_o.w) / 0.01, check_w),
                                             ("dL/db", (check_b - np.reshape(check_o.b, (1, -1))) / 0.01, check_b),
                                             ("dL/dh", check_prev, check_h)]:
        check_err = relative_error(check_yours, finite_difference_gradient(check_loss, check_P))
        print(f"N, M, K = {check_N}, {check_M}, {check_K}: {check_name:6s} relative error {check_err:.1e}")
        assert check_err < 1e-6, (f"{check_name} disagrees with finite differences (relative error {check_err:.1e}): "
                                  "check the three conventions above")
assert not python_loop_lines(Output.backward_pass), \
    f"no-loop rule: line(s) {python_loop_lines(Output.backward_pass)} of your answer cell"
print("task 1.6 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_output_backward_pass", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
np.random.seed(22)
_o = Output(3, 2)
_out = _o.backward_pass(np.ones((4, 3)), np.ones((4, 2)), 0.01, 0.001)
assert isinstance(_out, np.ndarray) and _out.shape == (4, 3), "backward_pass must return dLdh of shape (N, M)"
assert _o.w.shape == (3, 2) and _o.b.shape == (1, 2), "the update must keep w (M, K) and b (1, K) in shape"
import ast, inspect, linecache, textwrap


def _python_loops(*funcs):
    """Lines of the answer cells defining `funcs` with a Python loop over array entries, or a call of np.vectorize,
    np.frompyfunc, np.apply_along_axis or map. Loops over a literal tuple or list, over range(<constants>) and over
    a dict's keys, values or items (or over .weights / .gradients) are allowed."""
    def harmless(it):
        if isinstance(it, (ast.Tuple, ast.List)):
            return all(isinstance(e, ast.Constant) for e in it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys", "values"):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in it.args)
        return isinstance(it, ast.Attribute) and it.attr in ("weights", "gradients")

    found = set()
    for func in funcs:
        text = "".join(linecache.getlines(func.__code__.co_filename))
        if not text.strip():
            try:
                text = textwrap.dedent(inspect.getsource(func))
            except (OSError, TypeError):
                raise AssertionError(f"cannot read the source of {func.__name__}: define it in its answer cell and run "
                                     "that cell") from None
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.While):
                found.add(node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and not harmless(node.iter):
                found.add(node.lineno)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    not all(harmless(g.iter) for g in node.generators):
                found.add(node.lineno)
            elif getattr(node, "attr", getattr(node, "id", None)) in ("vectorize", "frompyfunc", "apply_along_axis", "map"):
                found.add(node.lineno)
    return sorted(found)


_lines = _python_loops(Output.backward_pass)
assert not _lines, ("no-loop rule: the answer cell of Output.backward_pass has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")


def _fd(fun, P, eps=1e-6):
    """Central-difference gradient of the scalar fun() in the array P (changed in place, restored)."""
    grad = np.zeros_like(P)
    for idx in np.ndindex(P.shape):
        old = P[idx]
        P[idx] = old + eps
        f_plus = fun()
        P[idx] = old - eps
        grad[idx] = (f_plus - fun()) / (2 * eps)
        P[idx] = old
    return grad


def _rel(yours, expected):
    """Relative error |yours - expected| / (|yours| + |expected|) over whole arrays."""
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    return float(np.linalg.norm(yours - expected) / max(np.linalg.norm(yours) + np.linalg.norm(expected), 1e-300))

# Visible gradient check on small layers: the step divided by -learning_rate and dLdh must match finite
# differences of L = sum(G * (h w + b)) + lambda_reg/2 * ||w||^2.
_rng = np.random.default_rng(2)
for _N, _M, _K in [(4, 3, 2), (3, 5, 4)]:
    _h, _G = _rng.normal(size=(_N, _M)), _rng.normal(size=(_N, _K))
    _o = Output(_M, _K)
    _w, _b = np.array(_o.w, dtype=float), np.array(_o.b, dtype=float)
    _loss = lambda: np.sum(_G * (_h @ _w + _b)) + 0.05 * np.sum(_w ** 2)
    _out = _o.backward_pass(_h.copy(), _G.copy(), 0.1, 0.01)
    _steps = [("dL/dw", (_w - np.asarray(_o.w)) / 0.01, _w), ("dL/db", (_b - np.reshape(_o.b, (1, -1))) / 0.01, _b),
              ("dL/dh", _out, _h)]
    for _name, _yours, _P in _steps:
        assert np.shape(_yours) == _P.shape, f"{_name} has the wrong shape"
        assert _rel(_yours, _fd(_loss, _P)) < 1e-6, \
            f"{_name} disagrees with finite differences (N, M, K = {_N}, {_M}, {_K}): check conventions 1 to 3"
### BEGIN HIDDEN TESTS
def _fd(fun, P, eps=1e-6):
    G = np.zeros_like(P)
    for idx in np.ndindex(P.shape):
        old = P[idx]
        P[idx] = old + eps
        fp = fun()
        P[idx] = old - eps
        fm = fun()
        P[idx] = old
        G[idx] = (fp - fm) / (2 * eps)
    return G


_rng = np.random.default_rng(33301)
for _N, _M, _K in [(6, 5, 2), (3, 4, 5), (1, 3, 3)]:
    _w, _b = _rng.normal(size=(_M, _K)), _rng.normal(size=(1, _K))
    _h = _rng.normal(size=(_N, _M))
    _G = _rng.normal(size=(_N, _K))
    _G -= _G.mean(axis=1, keepdims=True)  # rows sum to 0, like P - Y
    _alpha, _lr = 0.41, 0.03
    _o = Output(_M, _K)
    _o.w, _o.b = _w.copy(), _b.copy()
    _out = _o.backward_pass(_h.copy(), _G.copy(), _alpha, _lr)
    _loss = lambda: np.sum(_G * (_h @ _w + _b)) + 0.5 * _alpha * np.sum(_w ** 2)
    assert np.shape(_out) == (_N, _M), "dLdh must have shape (N, M)"
    assert np.allclose((_w - _o.w) / _lr, _fd(_loss, _w), rtol=1e-5, atol=1e-6), \
        "the weight step is not -learning_rate * dL/dw: h^T dLdz + lambda_reg w, shape (M, K)"
    assert np.allclose((_b - _o.b) / _lr, _fd(_loss, _b), rtol=1e-5, atol=1e-6), \
        "the bias step is not -learning_rate * dL/db: sum dLdz over the batch axis (no averaging)"
    assert np.allclose(_out, _fd(_loss, _h), rtol=1e-5, atol=1e-6), \
        "dLdh is not dLdz w^T (use w before the update)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "loss_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The loss layer and the network (provided, except `predict`)
#
# `Loss.forward_pass` returns the mean softmax cross-entropy of the batch. `Loss.backward_pass` returns
# $\partial L/\partial z_{ik} = p_{ik} - [y_i = k]$, where $p_i$ is the softmax of $z_i$: the gradient of the
# summed loss $\sum_i \ell_i$ (see the conventions above). `NN.train` runs mini-batch gradient descent: for each
# batch it runs `forward_prop`, then `backward_prop`, which calls the layers' backward passes from the last to
# the first, each layer taking its own step. The loss it records per epoch is the average over the batches of
# (mean cross-entropy + L2 penalty).

# %% nbgrader={"grade": false, "grade_id": "network_classes", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Loss(Base):
    """Softmax cross-entropy."""

    def __init__(self, input_dims, output_dims):
        super().__init__(input_dims, output_dims)

    def forward_pass(self, z, y):
        """z : ndarray, shape (N, K) scores; y : ndarray, shape (N,) integer labels. Returns the mean loss."""
        labels = np.asarray(y).ravel().astype(int)
        log_norm = np.log(np.sum(np.exp(z), axis=1))
        return float(np.mean(log_norm - z[np.arange(z.shape[0]), labels]))

    def backward_pass(self, z, y):
        """Returns dL/dz = P - Y, shape (N, K): softmax probabilities minus one-hot labels (not divided by N)."""
        labels = np.asarray(y).ravel().astype(int)
        probabilities = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
        probabilities[np.arange(z.shape[0]), labels] -= 1.0
        return probabilities


class NN:
    """A multi-layer perceptron: hidden layers, an output layer and a loss layer, added in order by add_layer."""

    def __init__(self):
        self.output_layer = self.loss_layer = None
        self.hidden_layers = []

    def add_layer(self, name, input_dims, output_dims):
        """Append a layer: name is 'Hidden', 'Hidden_Vondrick', 'Output' or 'Loss' (any capitalization)."""
        if name.lower() == 'hidden':
            self.hidden_layers.append(Hidden(input_dims, output_dims))
        elif name.lower() == 'hidden_vondrick':
            self.hidden_layers.append(Hidden_Vondrick(input_dims, output_dims))
        elif name.lower() == 'output':
            self.output_layer = Output(input_dims, output_dims)
        elif name.lower() == 'loss':
            self.loss_layer = Loss(input_dims, output_dims)

    def forward_prop(self, X, y, lambda_reg):
        """Returns the list of hidden outputs, the scores z (N, K) and the loss (mean cross-entropy + L2)."""
        hidden_outputs = []
        for layer in self.hidden_layers:
            X = layer.forward_pass(X)
            hidden_outputs.append(X)
        z = self.output_layer.forward_pass(X)
        L = self.loss_layer.forward_pass(z, y)
        for layer in self.hidden_layers:
            L += 0.5 * lambda_reg * np.sum(layer.W ** 2)
        L += 0.5 * lambda_reg * np.sum(self.output_layer.w ** 2)
        return hidden_outputs, z, L

    def backward_prop(self, X, hidden_outputs, z, y, lambda_reg=0.01, learning_rate=0.01):
        """Backpropagates from the loss to the first layer; every layer takes its step as it goes."""
        dLdz = self.loss_layer.backward_pass(z, y)
        for_previous = self.output_layer.backward_pass(hidden_outputs[-1], dLdz, lambda_reg, learning_rate)
        for i in range(len(self.hidden_layers) - 1, 0, -1):
            for_previous = self.hidden_layers[i].backward_pass(hidden_outputs[i - 1], hidden_outputs[i],
                                                               for_previous, lambda_reg, learning_rate)
        self.hidden_layers[0].backward_pass(X, hidden_outputs[0], for_previous, lambda_reg, learning_rate)

    def train(self, X, y, epochs, batch_size, learning_rate, lambda_reg, show_training_accuracy=True):
        """Mini-batch gradient descent over X (N, D) and labels y (N,). Returns the loss of each epoch."""
        loss = []
        for epoch in range(epochs):
            if show_training_accuracy and (epoch == 0 or (epoch + 1) % 25 == 0):
                accuracy = np.mean(self.predict(X) == y)
                print(f"the accuracy on the training data before epoch {epoch + 1} is {accuracy:.4f}")
            total, batches = 0.0, 0
            for k in range(0, X.shape[0], batch_size):
                inp, out = X[k:k + batch_size], y[k:k + batch_size]
                hidden_outputs, z, L = self.forward_prop(inp, out, lambda_reg)
                total += L
                batches += 1
                self.backward_prop(inp, hidden_outputs, z, out, lambda_reg, learning_rate)
            loss.append(total / batches)
        return loss

    def predict(self, X):
        raise NotImplementedError("task 1.7: run its answer cell")

    def compute_accuracy(self, X, Y):
        """The fraction of samples whose predicted class equals the label Y (N,)."""
        return float(np.mean(self.predict(X) == np.asarray(Y).ravel()))


def plot_loss(loss_li, title="loss of the neural network per epoch"):
    """Plots a list of per-epoch losses."""
    if GRADING:
        return
    plt.figure(figsize=(6, 3.5))
    plt.plot(np.arange(1, len(loss_li) + 1), loss_li)
    plt.xlabel("epoch")
    plt.ylabel("loss (mean cross-entropy + L2)")
    plt.title(title)
    plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "predict_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 1.7** Implement `NN.predict`: run the input through the hidden layers and the output layer (their
# `forward_pass` methods) and return the predicted class of each sample, the index of its largest score.
# It must return integer labels of shape `(N,)` (not probabilities, not shape `(N, 1)`), so that
# `predict(X) == y` compares sample by sample.

# %% nbgrader={"grade": false, "grade_id": "predict", "locked": false, "schema_version": 3, "solution": true, "task": false}
@add_to_class(NN)
def predict(self, X):
    """Predicted classes.

    Parameters
    ----------
    X : ndarray, shape (N, D)

    Returns
    -------
    y_pred : ndarray of int, shape (N,): the index of the largest score of each sample
    """
    # TODO 1.7
    ### BEGIN SOLUTION
    for layer in self.hidden_layers:
        X = layer.forward_pass(X)
    z = self.output_layer.forward_pass(X)
    return np.argmax(z, axis=1)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_predict", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(3)
check_net = NN()
check_net.add_layer('Hidden', 3, 5)
check_net.add_layer('Hidden_Vondrick', 5, 4)
check_net.add_layer('Output', 4, 3)
check_net.add_layer('Loss', 3, 3)
check_X = np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5], [-2.0, 0.0, 1.0]])
check_pred = check_net.predict(check_X)
print("predict:", check_pred, " shape", np.shape(check_pred), " expected: 3 integers in {0, 1, 2}, shape (3,)")
assert isinstance(check_pred, np.ndarray) and check_pred.shape == (3,), "predict must return an ndarray of shape (N,)"
assert np.issubdtype(check_pred.dtype, np.integer) and set(check_pred) <= {0, 1, 2}, "predict must return class labels"
check_loss_layer = Loss(3, 3)  # the loss is lowest for the labels predict gives: they are the largest scores
check_z = check_net.forward_prop(check_X, check_pred, 0.0)[1]
assert all(check_loss_layer.forward_pass(check_z[i:i + 1], check_pred[i:i + 1])
           <= min(check_loss_layer.forward_pass(check_z[i:i + 1], [k]) for k in range(3)) + 1e-12 for i in range(3)), \
    "predict does not return the class of the largest score"
print("task 1.7 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_predict", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
np.random.seed(3)
_net = NN()
_net.add_layer('Hidden', 3, 5)
_net.add_layer('Output', 5, 2)
_net.add_layer('Loss', 2, 2)
_p = _net.predict(np.zeros((4, 3)))
assert isinstance(_p, np.ndarray) and _p.shape == (4,), "predict must return an ndarray of shape (N,)"
assert np.issubdtype(_p.dtype, np.integer), "predict must return integer class labels, not scores or probabilities"
### BEGIN HIDDEN TESTS
# Task 1.7 is judged on its own: the activation of the Hidden_Vondrick layer is the reference one, or the one your
# vondrick_activation (task 1.3, graded in its own test) gives; if yours raises or returns another shape, the
# network has a Hidden layer in its place.
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _probe = np.asarray(Hidden_Vondrick(6, 5).vondrick_activation(np.random.default_rng(3).normal(size=(40, 5))),
                            dtype=float)
    _middle = 'Hidden_Vondrick' if _probe.shape == (40, 5) else 'Hidden'
except Exception:  # task 1.3 unfinished or crashing: graded in its own test
    _middle = 'Hidden'
np.random.seed(80214)
_rng = np.random.default_rng(80214)
_hnet = NN()
_hnet.add_layer('Hidden', 4, 6)
_hnet.add_layer(_middle, 6, 5)
_hnet.add_layer('Hidden', 5, 3)
_hnet.add_layer('Output', 3, 4)
_hnet.add_layer('Loss', 4, 4)
_params = []
for _layer in _hnet.hidden_layers:
    _W, _c = _rng.normal(size=np.shape(_layer.W)), _rng.normal(size=np.shape(_layer.c))
    _layer.W, _layer.c = _W.copy(), _c.copy()
    _params.append((_W, _c, float(getattr(_layer, "vondrick_exponent", 0.0)), _layer))
_w_out = _rng.normal(size=np.shape(_hnet.output_layer.w))
_hnet.output_layer.w = _w_out.copy()
_b_out = np.asarray(_hnet.output_layer.b, dtype=float)
_X = _rng.normal(size=(40, 4))
_refs = []
for _yours in (False, True):
    _h = _X
    try:
        for _W, _c, _n, _layer in _params:
            _U = _h @ _W + _c
            if _n == 0.0:
                _h = np.where(_U > 0, _U, 0.01 * _U)
            elif _yours:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _h = np.asarray(_layer.vondrick_activation(_U.copy()), dtype=float)
            else:
                _h = np.where(_U > 0, np.maximum(_U, 0) ** _n, 0.01 * _U)
        _refs.append(np.argmax(_h @ _w_out + _b_out, axis=1))
    except Exception:  # task 1.3 unfinished: only the reference counts
        pass
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # a warning of vondrick_activation is graded in task 1.3
    _p = _hnet.predict(_X.copy())
assert np.shape(_p) == (40,), "predict must return shape (N,)"
assert np.issubdtype(np.asarray(_p).dtype, np.integer), "predict must return integer labels"
assert any(np.array_equal(_p, _r) for _r in _refs), "predict does not return the argmax of the network's scores"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Testing the MLP: red wine quality
#
# The data are the red "Vinho Verde" wines of the UCI Wine Quality data set (P. Cortez, A. Cerdeira,
# F. Almeida, T. Matos and J. Reis, "Modeling wine preferences by data mining from physicochemical properties",
# *Decision Support Systems* 47(4), 2009): 1599 wines, 11 physicochemical measurements each, and a quality
# score from 3 to 8. We turn it into a binary problem, quality ≥ 6 or not, scale every feature to $[0, 1]$
# and keep a quarter of the wines aside as a test set.

# %% nbgrader={"grade": false, "grade_id": "wine_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
data, columns = load_wine_red()
wine_dataset = pd.DataFrame(data, columns=columns)
target = ['quality']
features = [name for name in columns if name not in target]


def Convert_Labels(data):
    """Binary labels: 1 for quality >= 6, else 0."""
    data = data.copy()
    data['quality'] = (data['quality'] >= 6).astype(int)
    return data


def DataScaler(data):
    """Scales each feature to [0, 1]."""
    return MinMaxScaler().fit_transform(data)


wine_dataset[features] = DataScaler(wine_dataset[features])
label_converted_dataset = Convert_Labels(wine_dataset)
# The classes are roughly balanced: the mean label is 0.5347091932457786.
print("fraction of good wines:", label_converted_dataset['quality'].mean())

X_wine_np = label_converted_dataset[features].to_numpy()
y_wine_np = label_converted_dataset['quality'].to_numpy()
X_wine_train, X_wine_test, y_wine_train, y_wine_test = train_test_split(X_wine_np, y_wine_np, test_size=0.25,
                                                                        random_state=1)
print("train:", X_wine_train.shape, " test:", X_wine_test.shape)
label_converted_dataset.head()

# %% [markdown] nbgrader={"grade": false, "grade_id": "sklearn_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# For comparison, scikit-learn's `MLPClassifier` with a similar setup scores 0.75 on the test set. We do not
# expect you to beat it, but your networks should come close: **above 70 % on both the training and the test
# set**. A training accuracy that hovers around 50 % means the network is not learning: go back to your backward
# passes.

# %% nbgrader={"grade": false, "grade_id": "sklearn_reference", "locked": true, "schema_version": 3, "solution": false, "task": false}
wine_quality_classifier = MLPClassifier(solver='sgd', alpha=0.01, learning_rate_init=0.001, batch_size=16,
                                        hidden_layer_sizes=(12, 8, 2), random_state=1, max_iter=200)
if not GRADING:
    wine_quality_classifier.fit(X_wine_train, y_wine_train)
    print("MLPClassifier test accuracy:", wine_quality_classifier.score(X_wine_test, y_wine_test))  # 0.75

# %% [markdown] nbgrader={"grade": false, "grade_id": "nn1_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### A network of Leaky-ReLU layers
#
# The layers draw their initial weights from numpy's global generator, so we seed it first: every run of the
# notebook trains the same network.

# %% nbgrader={"grade": false, "grade_id": "nn1_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(0)
my_wine_NN_1 = NN()
num_epochs = 150
lambda_reg = 0.01
learning_rate = 0.001
batch_size = 32

my_wine_NN_1.add_layer('Hidden', 11, 16)  # the first layer is 11 x k: the input has 11 features
my_wine_NN_1.add_layer('Hidden', 16, 12)
my_wine_NN_1.add_layer('Hidden', 12, 8)
my_wine_NN_1.add_layer('Output', 8, 2)
my_wine_NN_1.add_layer('Loss', 2, 2)

loss_wine_li_1 = my_wine_NN_1.train(X_wine_train, y_wine_train, num_epochs, batch_size, learning_rate, lambda_reg)
plot_loss(loss_wine_li_1, "network 1 (Leaky ReLU): training loss per epoch")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nn2_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### A network with a learnable-exponent layer
#
# The same network, with the third hidden layer replaced by a `Hidden_Vondrick` layer.

# %% nbgrader={"grade": false, "grade_id": "nn2_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
np.random.seed(0)
my_wine_NN_2 = NN()
num_epochs = 100
lambda_reg = 0.01
learning_rate = 0.001
batch_size = 32

my_wine_NN_2.add_layer('Hidden', 11, 16)
my_wine_NN_2.add_layer('Hidden', 16, 12)
my_wine_NN_2.add_layer('Hidden_Vondrick', 12, 8)
my_wine_NN_2.add_layer('Output', 8, 2)
my_wine_NN_2.add_layer('Loss', 2, 2)
print("initial exponent n:", my_wine_NN_2.hidden_layers[2].vondrick_exponent)

loss_wine_li_2 = my_wine_NN_2.train(X_wine_train, y_wine_train, num_epochs, batch_size, learning_rate, lambda_reg)
plot_loss(loss_wine_li_2, "network 2 (with the learnable exponent): training loss per epoch")
print("final exponent n:", my_wine_NN_2.hidden_layers[2].vondrick_exponent)

# %% [markdown] nbgrader={"grade": false, "grade_id": "wine_accuracy_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 1.8: how good are the two networks?
#
# **TODO 1.8** Fill the dictionary below with the accuracy of each network on the training and on the test set,
# as fractions in $[0, 1]$ computed from the trained networks (use `compute_accuracy`). With tasks 1.1 to 1.7 right,
# both networks are above 0.70 on both sets. The test recomputes the accuracies from the networks' weights and
# checks that yours are those numbers; how well the networks trained is graded in the tests of the backward passes,
# not here. One dependence cannot be removed: `compute_accuracy` compares `predict(X)` with the labels sample by
# sample, so if `predict` (task 1.7) returns something of another shape than `(N,)`, such as probabilities, or if a
# layer's activation raises an error inside it (`vondrick_activation`, task 1.3, in `my_wine_NN_2`), this cell has no
# numbers to report and task 1.8 loses its points too.

# %% nbgrader={"grade": false, "grade_id": "wine_accuracy", "locked": false, "schema_version": 3, "solution": true, "task": false}
# TODO 1.8: a dict wine_accuracies with the keys 'NN_1 train', 'NN_1 test', 'NN_2 train' and 'NN_2 test', each the
# accuracy (a float in [0, 1]) of that network on that set (X_wine_train, y_wine_train or X_wine_test, y_wine_test).
### BEGIN SOLUTION
wine_accuracies = {
    'NN_1 train': my_wine_NN_1.compute_accuracy(X_wine_train, y_wine_train),
    'NN_1 test': my_wine_NN_1.compute_accuracy(X_wine_test, y_wine_test),
    'NN_2 train': my_wine_NN_2.compute_accuracy(X_wine_train, y_wine_train),
    'NN_2 test': my_wine_NN_2.compute_accuracy(X_wine_test, y_wine_test),
}
### END SOLUTION
for name, accuracy in wine_accuracies.items():
    print(f"{name}: {accuracy:.4f}")

# %% nbgrader={"grade": false, "grade_id": "check_wine_accuracy", "locked": true, "schema_version": 3, "solution": false, "task": false}
for check_name, check_net in [("NN_1", my_wine_NN_1), ("NN_2", my_wine_NN_2)]:
    for check_part, check_X, check_y in [("train", X_wine_train, y_wine_train), ("test", X_wine_test, y_wine_test)]:
        check_value = wine_accuracies[f"{check_name} {check_part}"]
        assert np.size(check_value) == 1 and 0.0 <= float(check_value) <= 1.0, "an accuracy is one fraction in [0, 1]"
        assert abs(float(check_value) - check_net.compute_accuracy(check_X, check_y)) < 1e-12, \
            f"{check_name} {check_part} is not the accuracy of my_wine_{check_name} on that set"
print("task 1.8 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_wine_accuracy", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
assert set(wine_accuracies) == {'NN_1 train', 'NN_1 test', 'NN_2 train', 'NN_2 test'}, \
    "wine_accuracies must have the keys 'NN_1 train', 'NN_1 test', 'NN_2 train' and 'NN_2 test'"
for _key, _value in wine_accuracies.items():
    assert np.size(_value) == 1 and 0.0 <= float(_value) <= 1.0, f"{_key}: an accuracy is one fraction in [0, 1]"
for _name, _net in [("NN_1", my_wine_NN_1), ("NN_2", my_wine_NN_2)]:
    for _part, _Xs, _ys in [("train", X_wine_train, y_wine_train), ("test", X_wine_test, y_wine_test)]:
        assert abs(float(wine_accuracies[f"{_name} {_part}"]) - _net.compute_accuracy(_Xs, _ys)) < 1e-12, \
            f"{_name} {_part} is not the accuracy of my_wine_{_name} on that set"
### BEGIN HIDDEN TESTS
# Task 1.8 is judged on its own: each value must be the accuracy of the trained network as it is, whether or not it
# reached 0.70 (the backward passes it was trained with are graded in their own tests). The accuracy is recomputed
# from the network's weights with the reference forward pass, or with your predict (task 1.7, graded in its own test).
def _forward_scores(net, X):
    h = X
    for layer in net.hidden_layers:
        U = h @ np.asarray(layer.W, dtype=float) + np.asarray(layer.c, dtype=float)
        if type(layer).__name__ == 'Hidden_Vondrick':
            h = np.where(U > 0, np.maximum(U, 0) ** float(layer.vondrick_exponent), 0.01 * U)
        else:
            h = np.where(U > 0, U, 0.01 * U)
    return h @ np.asarray(net.output_layer.w, dtype=float) + np.asarray(net.output_layer.b, dtype=float)


assert [type(_l).__name__ for _l in my_wine_NN_1.hidden_layers] == ['Hidden'] * 3, \
    "my_wine_NN_1 must keep its three Hidden layers"
assert [type(_l).__name__ for _l in my_wine_NN_2.hidden_layers] == ['Hidden', 'Hidden', 'Hidden_Vondrick'], \
    "my_wine_NN_2 must keep its layers (Hidden, Hidden, Hidden_Vondrick)"
for _name, _net in [("NN_1", my_wine_NN_1), ("NN_2", my_wine_NN_2)]:
    for _part, _Xs, _ys in [("train", X_wine_train, y_wine_train), ("test", X_wine_test, y_wine_test)]:
        with np.errstate(all="ignore"):
            _true = [float(np.mean(np.argmax(_forward_scores(_net, _Xs), axis=1) == _ys))]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _true.append(float(np.mean(np.asarray(_net.predict(_Xs.copy())) == np.asarray(_ys).ravel())))
        except Exception:  # task 1.7 unfinished: only the reference counts
            pass
        assert any(abs(float(wine_accuracies[f"{_name} {_part}"]) - _t) < 1e-9 for _t in _true), \
            f"{_name} {_part}: the reported accuracy is not the trained network's accuracy on that set"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "section2_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Section 2: Optimization
#
# Backpropagation gives the gradient of the loss with respect to every parameter $\theta$. Just as important is
# what we do with it: the **optimizer** uses the gradient at the current parameters to move to new ones with a
# lower loss. Section 1 used the simplest rule, a fixed step against the gradient on mini-batches.
#
# For a simple function we could set the gradient to zero and solve. Take $f(x, y) = x^2 + y^2$:
# $\nabla f = (2x, 2y)^\top = 0$ gives the optimum $(0, 0)$. For most functions this does not work: the
# equations cannot be solved in closed form, or become intractable as the number of parameters grows, and a
# point with zero gradient still has to be classified (minimum, maximum or saddle) with second derivatives.
# Iterative, gradient-based methods are what we use instead.
#
# Loss functions of neural networks have millions of parameters, so we cannot look at them. Instead we study the
# optimizers on two-dimensional **test functions**, each built to exaggerate one difficulty of real loss
# surfaces:
#
# - **Convexity.** Much of optimization theory assumes a convex function, one that lies below the chord between
#   any two of its points: $f(\theta \mathbf{x} + (1-\theta)\mathbf{y}) \le \theta f(\mathbf{x}) +
#   (1-\theta) f(\mathbf{y})$ for $0 \le \theta \le 1$. The archetype is the **bowl**
#   $f(x, y) = x^2 + y^2$. Loss surfaces of neural networks are not convex.
# - **Local minima.** An iterative method can get stuck in a local minimum. The **mult** function
#   $f(x, y) = \sin\big(\sqrt{x^2 + y^2}\big)$ has a local minimum (a cusp) at the origin, where
#   $f = 0$, surrounded by a ring of global minima $f = -1$ on the circle $\sqrt{x^2 + y^2} = 3\pi/2$.
# - **Saddle points**, where the gradient vanishes but the point is not a minimum. We use the
#   **monkey** function $f(x, y) = x^3 + 3xy^2$: its only critical point is the origin, where the gradient and
#   all second derivatives vanish, so the surface is flat there, while $f$ keeps decreasing towards $x < 0$.
#   (The classic "monkey saddle" is $x^3 - 3xy^2$; this variant has one descending side instead of three.)
# - **Ravines.** When the curvature is large in one direction and small in another (a large condition number of
#   the Hessian), the gradient does not point at the minimum, and gradient descent zig-zags across the ravine
#   while creeping along it. The **Matyas** function $f(x, y) = 0.26(x^2 + y^2) - 0.48xy$ is shaped like a
#   taco shell: its curvatures along $(1, -1)$ and $(1, 1)$ differ by a factor of 25.
#
# **TODO 2.1** Implement `bowl`, `mult`, `monkey` and `matyas` below. Each returns two functions: `f(x, y)`,
# which must work elementwise on floats and on numpy arrays of one shape (use `np.sin`, `np.sqrt`, ..., not
# `math`), and `opt()`, the point marked as the optimum in the plots (provided). **TODO 2.2** comes after the
# tests: say why each one is a useful test function.
#
# The gradients the optimizers need come from `numerical_gradient`, central finite differences on your `f`.

# %% nbgrader={"grade": false, "grade_id": "optimization_helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
noise_rng = np.random.default_rng(0)  # the generator of the gradient noise in SGD and momentum


def numerical_gradient(f, x, y, h=1e-6):
    """Central finite-difference gradient of f at (x, y).

    x, y : floats, or ndarrays of one shape
    Returns (dfdx, dfdy), each shaped like x.
    """
    dfdx = (f(x + h, y) - f(x - h, y)) / (2 * h)
    dfdy = (f(x, y + h) - f(x, y - h)) / (2 * h)
    return dfdx, dfdy


def repeat_calls(fn, n, *args, **kwargs):
    """The results of n calls fn(*args, **kwargs), in order, as a list (the tests draw many noisy steps with it).

    The same argument objects go to every call. When the notebook is graded, the grader makes the n calls in one
    request to your kernel instead of n.
    """
    return [fn(*args, **kwargs) for _ in range(n)]


def plot_func(func, xmin=-4.5, xmax=4.5, ymin=-4.5, ymax=4.5, step=0.2):
    """Draws the surface and the contours of a test function, with its marked optimum (red star)."""
    if GRADING:
        return
    f, opt = func()
    x, y = np.meshgrid(np.arange(xmin, xmax + step, step), np.arange(ymin, ymax + step, step))
    z = f(x, y)
    optimum = np.asarray(opt(), dtype=float)
    fig = plt.figure(figsize=(11, 5))
    ax = fig.add_subplot(1, 2, 1, projection='3d')
    ax.plot_surface(x, y, z, rstride=2, cstride=2, alpha=0.6, cmap=plt.cm.plasma)
    ax.plot([optimum[0]], [optimum[1]], [f(optimum[0], optimum[1])], 'r*', markersize=12)
    ax.set_xlabel('$x$')
    ax.set_ylabel('$y$')
    ax.set_zlabel('$f(x, y)$')
    ax.set_title('surface')
    ax2 = fig.add_subplot(1, 2, 2)
    contours = ax2.contourf(x, y, z, 25, cmap=plt.cm.coolwarm)
    fig.colorbar(contours, ax=ax2, label='$f(x, y)$')
    ax2.plot(optimum[0], optimum[1], 'r*', markersize=14, label='marked optimum')
    ax2.set_xlabel('$x$')
    ax2.set_ylabel('$y$')
    ax2.set_title('contours')
    ax2.legend(loc='upper right')
    fig.suptitle(f'the {func.__name__} function')
    fig.subplots_adjust(top=0.85)
    plt.show()


# %% nbgrader={"grade": false, "grade_id": "objective_functions", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bowl():
    """The bowl f(x, y) = x**2 + y**2.

    Returns
    -------
    f_bowl : callable, f_bowl(x, y) with x, y floats or ndarrays of one shape, elementwise
    opt_bowl : callable, opt_bowl() -> ndarray, shape (2,): the minimum (0, 0)
    """
    def f_bowl(x, y):
        # TODO 2.1
        ### BEGIN SOLUTION
        out = x ** 2 + y ** 2
        ### END SOLUTION
        return out

    def opt_bowl():
        return np.array([0., 0.])

    return f_bowl, opt_bowl


def mult():
    """The mult function f(x, y) = sin(sqrt(x**2 + y**2)).

    Returns
    -------
    f_mult : callable, elementwise as in bowl
    opt_mult : callable, () -> ndarray, shape (2,): the local minimum at the origin (the global minima, -1,
               lie on the circle of radius 3 pi / 2)
    """
    def f_mult(x, y):
        # TODO 2.1
        ### BEGIN SOLUTION
        out = np.sin(np.sqrt(x ** 2 + y ** 2))
        ### END SOLUTION
        return out

    def opt_mult():
        return np.array([0., 0.])

    return f_mult, opt_mult


def monkey():
    """The monkey function f(x, y) = x**3 + 3 * x * y**2.

    Returns
    -------
    f_monkey : callable, elementwise as in bowl
    opt_monkey : callable, () -> ndarray, shape (2,): the saddle point (0, 0)
    """
    def f_monkey(x, y):
        # TODO 2.1
        ### BEGIN SOLUTION
        out = x ** 3 + 3 * x * y ** 2
        ### END SOLUTION
        return out

    def opt_monkey():
        return np.array([0., 0.])

    return f_monkey, opt_monkey


def matyas():
    """The Matyas function f(x, y) = 0.26 * (x**2 + y**2) - 0.48 * x * y.

    Returns
    -------
    f_matyas : callable, elementwise as in bowl
    opt_matyas : callable, () -> ndarray, shape (2,): the minimum (0, 0)
    """
    def f_matyas(x, y):
        # TODO 2.1
        ### BEGIN SOLUTION
        out = 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y
        ### END SOLUTION
        return out

    def opt_matyas():
        return np.array([0., 0.])

    return f_matyas, opt_matyas


# %% nbgrader={"grade": false, "grade_id": "check_objective_functions", "locked": true, "schema_version": 3, "solution": false, "task": false}
for check_func, check_expected in [(bowl, 5.0), (mult, np.sin(np.sqrt(5.0))), (monkey, 13.0), (matyas, 0.34)]:
    print(f"{check_func.__name__}(1, 2) = {check_func()[0](1.0, 2.0):.6f}   expected {check_expected:.6f}")
    assert np.isclose(check_func()[0](1.0, 2.0), check_expected), f"{check_func.__name__}(1, 2) is wrong"
check_x, check_y = np.array([[-1.5, 0.0], [2.0, 3.0]]), np.array([[2.0, -0.5], [-1.0, 4.0]])
for check_func, check_expected in [(bowl, [[6.25, 0.25], [5.0, 25.0]]),
                                   (mult, [[0.59847214, 0.47942554], [0.78674913, -0.95892427]]),
                                   (monkey, [[-21.375, 0.0], [14.0, 171.0]]),
                                   (matyas, [[3.065, 0.065], [2.26, 0.74]])]:
    check_out = check_func()[0](check_x, check_y)
    assert np.shape(check_out) == (2, 2) and np.allclose(check_out, check_expected), \
        f"{check_func.__name__} is wrong on arrays (elementwise, np.sin, np.sqrt, ...)"
print("task 2.1 self-check passed")
plot_func(monkey)
plot_func(mult)
plot_func(matyas)
plot_func(bowl)

# %% nbgrader={"grade": true, "grade_id": "test_objective_functions", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
for _func in (bowl, mult, monkey, matyas):
    _res = _func()
    assert isinstance(_res, tuple) and len(_res) == 2, f"{_func.__name__}() must return (f, opt)"
    assert np.allclose(np.asarray(_res[1](), dtype=float), [0.0, 0.0]), f"{_func.__name__}: opt() must be (0, 0)"
assert np.isclose(bowl()[0](1.0, 2.0), 5.0), "bowl(1, 2) should be 5"
assert np.isclose(mult()[0](1.0, 2.0), np.sin(np.sqrt(5.0))), "mult(1, 2) should be sin(sqrt(5))"
assert np.isclose(monkey()[0](1.0, 2.0), 13.0), "monkey(1, 2) should be 13"
assert np.isclose(matyas()[0](1.0, 2.0), 0.34), "matyas(1, 2) should be 0.34"
_xs, _ys = np.array([[-1.5, 0.0], [2.0, 3.0]]), np.array([[2.0, -0.5], [-1.0, 4.0]])
for _func, _expected in [(bowl, [[6.25, 0.25], [5.0, 25.0]]), (mult, [[0.59847214, 0.47942554], [0.78674913, -0.95892427]]),
                         (monkey, [[-21.375, 0.0], [14.0, 171.0]]), (matyas, [[3.065, 0.065], [2.26, 0.74]])]:
    _out = _func()[0](_xs, _ys)
    assert np.shape(_out) == (2, 2) and np.allclose(_out, _expected), f"{_func.__name__} is wrong on arrays (elementwise)"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(27650)
_x, _y = _rng.uniform(-4, 4, size=(3, 5)), _rng.uniform(-4, 4, size=(3, 5))
_refs = {
    "bowl": (lambda x, y: x ** 2 + y ** 2, lambda x, y: (2 * x, 2 * y)),
    "mult": (lambda x, y: np.sin(np.hypot(x, y)),
             lambda x, y: (np.cos(np.hypot(x, y)) * x / np.hypot(x, y), np.cos(np.hypot(x, y)) * y / np.hypot(x, y))),
    "monkey": (lambda x, y: x ** 3 + 3 * x * y ** 2, lambda x, y: (3 * x ** 2 + 3 * y ** 2, 6 * x * y)),
    "matyas": (lambda x, y: 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y,
               lambda x, y: (0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x)),
}
for _func in [bowl, mult, monkey, matyas]:
    _f = _func()[0]
    _ref_f, _ref_g = _refs[_func.__name__]
    _vals = _f(_x.copy(), _y.copy())
    assert np.shape(_vals) == _x.shape, f"{_func.__name__}: f must work elementwise on arrays"
    assert np.allclose(_vals, _ref_f(_x, _y)), f"{_func.__name__}: wrong values at some points"
    assert np.isclose(float(_f(-1.7, 0.6)), _ref_f(-1.7, 0.6)), f"{_func.__name__}: wrong value for float inputs"
    _e = 1e-6
    _gx = (_f(_x + _e, _y) - _f(_x - _e, _y)) / (2 * _e)
    _gy = (_f(_x, _y + _e) - _f(_x, _y - _e)) / (2 * _e)
    _rx, _ry = _ref_g(_x, _y)
    assert np.allclose(_gx, _rx, rtol=1e-5, atol=1e-5) and np.allclose(_gy, _ry, rtol=1e-5, atol=1e-5), \
        f"{_func.__name__}: the gradient of f is wrong at some points"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "objective_functions_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 2.2** For each of `bowl`, `mult`, `monkey` and `matyas`, say in a few sentences why it is a useful test
# function: which difficulty of real loss surfaces does it isolate, and what does it show about an optimizer?

# %% [markdown] nbgrader={"grade": true, "grade_id": "objective_functions_comments", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# Model answer.
#
# - **bowl**: convex, with a single minimum and no flat regions, so every sensible method with a small enough
#   step must reach $(0, 0)$; the minimum is known in closed form. It is the baseline that isolates the effect of
#   the learning rate: too small is slow, too large ($\alpha > 1$ here, since the curvature is 2) diverges.
# - **mult**: not convex. The origin is a local minimum (a cusp, $f = 0$), surrounded by the ring of global
#   minima $f = -1$ at radius $3\pi/2$. Plain gradient descent started near the origin rolls into the cusp and
#   stays, so it tests whether a method (momentum, adaptive steps, noise) can escape a local minimum.
# - **monkey**: the gradient and the curvature vanish at the origin, so the surface is flat there; a method that
#   only follows the local gradient slows to a crawl near such a point, although the function keeps decreasing
#   on the other side. It tests how methods cross saddle points and plateaus, which are common in
#   high-dimensional losses.
# - **matyas**: convex but badly conditioned (curvatures 1.0 and 0.04, a ratio of 25): steep walls, a nearly flat
#   floor. The largest stable step is set by the steep direction and is then tiny along the floor, so gradient
#   descent zig-zags and crawls; it tests whether a method (momentum, per-coordinate steps) copes with ravines.
#
# Grading: 1 point per function: the difficulty it isolates (convexity as the baseline, a local minimum, a flat
# saddle point, a ravine) together with what it shows about an optimizer.

# %% [markdown] nbgrader={"grade": false, "grade_id": "gd_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.3: gradient descent
#
# $$\theta \leftarrow \theta - \alpha \nabla_\theta \mathcal{L}(\theta) \tag{7}$$
#
# Each step moves against the local gradient; the learning rate $\alpha$ sets how far. Too small and many steps are
# needed, especially where gradients are small; too large and the step overshoots the optimum. In machine
# learning, full (batch) gradient descent evaluates the loss and its gradient on the whole training set at every
# step, which is accurate but slow. It is guaranteed to reach the global minimum only on convex functions; in
# general it converges to a local minimum.
#
# **TODO 2.3** Implement `gradient_descent`.

# %% nbgrader={"grade": false, "grade_id": "gradient_descent", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_descent(x, y, dx, dy, hparams):
    """One step of gradient descent.

    Parameters
    ----------
    x, y : float     the point before the update
    dx, dy : float   the partial derivatives of f at (x, y)
    hparams : dict   must contain 'alpha', the learning rate

    Returns
    -------
    x, y : float     the point after the update
    """
    alpha = hparams['alpha']
    # TODO 2.3: the new x and y by equation (7), with (dx, dy) as the gradient; floats.
    ### BEGIN SOLUTION
    x = x - alpha * dx
    y = y - alpha * dy
    return x, y
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_gradient_descent", "locked": true, "schema_version": 3, "solution": false, "task": false}
print("gradient_descent:", gradient_descent(1.0, -2.0, 4.0, -1.0, {'alpha': 0.1}), " expected: (0.6, -1.9)")
assert np.allclose(gradient_descent(1.0, -2.0, 4.0, -1.0, {'alpha': 0.1}), (0.6, -1.9)), "gradient_descent is wrong"
assert np.allclose(gradient_descent(-0.5, 3.0, -2.0, 0.5, {'alpha': 0.7}), (0.9, 2.65)), \
    "gradient_descent is wrong for another learning rate (read it from hparams['alpha'])"
print("task 2.3 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_res = gradient_descent(1.0, -2.0, 4.0, -1.0, {'alpha': 0.1})
assert len(_res) == 2, "gradient_descent must return (x, y)"
assert np.allclose(_res, (0.6, -1.9)), "gradient_descent should step by -alpha times the gradient"
assert np.allclose(gradient_descent(-0.5, 3.0, -2.0, 0.5, {'alpha': 0.7}), (0.9, 2.65)), \
    "gradient_descent is wrong for another learning rate (read it from hparams['alpha'])"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(11208)
for _ in range(5):
    _x, _y, _dx, _dy = _rng.normal(size=4) * 3
    _alpha = float(_rng.uniform(0.01, 1.0))
    _res = gradient_descent(float(_x), float(_y), float(_dx), float(_dy), {'alpha': _alpha})
    assert np.allclose(_res, (_x - _alpha * _dx, _y - _alpha * _dy)), \
        "gradient_descent should step by -alpha times the gradient"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "sgd_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.4: stochastic gradient descent
#
# $$\theta \leftarrow \theta - \alpha \nabla_\theta \mathcal{L}(\theta; x^{(i)}, y^{(i)}) \tag{8}$$
#
# SGD computes the loss and its gradient on a single training example (or, as mini-batch gradient descent, on a
# small random batch) instead of the whole training set. The gradient is only an estimate, so the path wanders,
# but each step is far cheaper and redundant examples are not recomputed; with a well-tuned learning rate SGD
# reaches about the same results as full gradient descent, much faster.
#
# Our test functions have no data set, so we simulate the estimation error: add Gaussian noise
# $\varepsilon \sim \mathcal{N}(0, \sigma^2)$, independently to each partial derivative, before the step:
#
# $$x \leftarrow x - \alpha(\partial_x f + \varepsilon_x), \qquad y \leftarrow y - \alpha(\partial_y f + \varepsilon_y). \tag{9}$$
#
# **TODO 2.4** Implement `stochastic_gradient_descent`. Draw the noise from the provided generator
# `noise_rng` (a numpy `Generator`; its `normal` method takes the mean and the standard deviation), one draw
# for $x$ and one for $y$, so that runs repeat.

# %% nbgrader={"grade": false, "grade_id": "stochastic_gradient_descent", "locked": false, "schema_version": 3, "solution": true, "task": false}
def stochastic_gradient_descent(x, y, dx, dy, hparams):
    """One step of gradient descent on noisy gradients.

    Parameters
    ----------
    x, y : float     the point before the update
    dx, dy : float   the exact partial derivatives of f at (x, y)
    hparams : dict   must contain 'alpha'; optional 'sigma', the standard deviation of the noise (default 1.0)

    Returns
    -------
    x, y : float     the point after the update
    """
    alpha = hparams['alpha']
    sigma = hparams.get('sigma', 1.0)
    # TODO 2.4: the step (9), with one N(0, sigma^2) draw from noise_rng for x and one for y; return the new x, y
    # (floats).
    ### BEGIN SOLUTION
    dx = dx + noise_rng.normal(0.0, sigma)
    dy = dy + noise_rng.normal(0.0, sigma)
    x = x - alpha * dx
    y = y - alpha * dy
    return x, y
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_stochastic_gradient_descent", "locked": true, "schema_version": 3, "solution": false, "task": false}
print("without noise:", stochastic_gradient_descent(1.0, -2.0, 4.0, -1.0, {'alpha': 0.1, 'sigma': 0.0}),
      " expected: (0.6, -1.9)")
assert np.allclose(stochastic_gradient_descent(1.0, -2.0, 4.0, -1.0, {'alpha': 0.1, 'sigma': 0.0}), (0.6, -1.9)), \
    "with sigma = 0, SGD must be a gradient-descent step"
assert np.allclose(stochastic_gradient_descent(-0.5, 3.0, -2.0, 0.5, {'alpha': 0.7, 'sigma': 0.0}), (0.9, 2.65)), \
    "with sigma = 0, SGD must be a gradient-descent step, with the learning rate hparams['alpha']"
check_steps = np.array([stochastic_gradient_descent(0.0, 0.0, 0.0, 0.0, {'alpha': 1.0}) for _ in range(2000)])
print("with sigma = 1 (the default), from (0, 0) with zero gradient: mean", check_steps.mean(axis=0).round(2),
      " std", check_steps.std(axis=0).round(2), " expected about (0, 0) and (1, 1)")
assert np.all(np.abs(check_steps.mean(axis=0)) < 0.12) and np.allclose(check_steps.std(axis=0), 1.0, atol=0.08), \
    "the noise must be N(0, sigma^2) on each partial derivative, sigma = hparams.get('sigma', 1.0)"
assert abs(np.corrcoef(check_steps.T)[0, 1]) < 0.1, "x and y need independent noise draws"
noise_rng = np.random.default_rng(5)
check_a = stochastic_gradient_descent(0.3, 0.4, 1.0, -1.0, {'alpha': 0.2})
noise_rng = np.random.default_rng(5)
assert np.allclose(check_a, stochastic_gradient_descent(0.3, 0.4, 1.0, -1.0, {'alpha': 0.2})), \
    "draw the noise from noise_rng, so that runs repeat"
noise_rng = np.random.default_rng(0)
print("task 2.4 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_stochastic_gradient_descent", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
_res = stochastic_gradient_descent(1.0, -2.0, 4.0, -1.0, {'alpha': 0.1, 'sigma': 0.0})
assert len(_res) == 2, "stochastic_gradient_descent must return (x, y)"
assert np.allclose(_res, (0.6, -1.9)), "with sigma = 0, SGD must be a gradient-descent step"
assert np.allclose(stochastic_gradient_descent(-0.5, 3.0, -2.0, 0.5, {'alpha': 0.7, 'sigma': 0.0}), (0.9, 2.65)), \
    "with sigma = 0, SGD must be a gradient-descent step with the learning rate hparams['alpha']"
_steps = np.array(repeat_calls(stochastic_gradient_descent, 2000, 0.0, 0.0, 0.0, 0.0, {'alpha': 1.0}), dtype=float)
assert np.all(np.abs(_steps.mean(axis=0)) < 0.12) and np.allclose(_steps.std(axis=0), 1.0, atol=0.08), \
    "the noise must be N(0, sigma^2) on each partial derivative, sigma = hparams.get('sigma', 1.0)"
assert abs(np.corrcoef(_steps.T)[0, 1]) < 0.1, "x and y need independent noise draws"
noise_rng = np.random.default_rng(5)
_a = stochastic_gradient_descent(0.3, 0.4, 1.0, -1.0, {'alpha': 0.2})
noise_rng = np.random.default_rng(5)
assert np.allclose(_a, stochastic_gradient_descent(0.3, 0.4, 1.0, -1.0, {'alpha': 0.2})), \
    "draw the noise from noise_rng, so that runs repeat"
noise_rng = np.random.default_rng(0)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(51893)
for _ in range(3):
    _x, _y, _dx, _dy = (float(v) for v in _rng.normal(size=4) * 2)
    _alpha = float(_rng.uniform(0.05, 0.5))
    _res = stochastic_gradient_descent(_x, _y, _dx, _dy, {'alpha': _alpha, 'sigma': 0.0})
    assert np.allclose(_res, (_x - _alpha * _dx, _y - _alpha * _dy)), "with sigma = 0, SGD must be a gradient step"
for _sigma, _hp in [(0.7, {'alpha': 0.3, 'sigma': 0.7}), (1.0, {'alpha': 0.3})]:
    _steps = np.array(repeat_calls(stochastic_gradient_descent, 4000, 1.5, -0.5, 2.0, 1.0, _hp), dtype=float)
    _eps = (np.array([1.5 - 0.3 * 2.0, -0.5 - 0.3 * 1.0]) - _steps) / 0.3  # the noise added to the gradient
    assert np.all(np.abs(_eps.mean(axis=0)) < 5 * _sigma / np.sqrt(4000)), \
        "the noise must have mean 0 (the step is -alpha * (gradient + noise))"
    assert np.allclose(_eps.std(axis=0), _sigma, rtol=0.06), \
        "the gradient noise must have standard deviation sigma (hparams 'sigma', default 1.0), scaled by alpha"
    assert abs(np.corrcoef(_eps[:, 0], _eps[:, 1])[0, 1]) < 0.1, "x and y need independent noise draws"
noise_rng = np.random.default_rng(2024)
_a = stochastic_gradient_descent(0.3, 0.4, 1.0, -1.0, {'alpha': 0.2})
noise_rng = np.random.default_rng(2024)
_b = stochastic_gradient_descent(0.3, 0.4, 1.0, -1.0, {'alpha': 0.2})
assert np.allclose(_a, _b), "draw the noise from noise_rng, so that runs repeat"
noise_rng = np.random.default_rng(0)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Tasks 2.5 and 2.6: momentum, and the Easom function
#
# $$v_t = \gamma v_{t-1} + \alpha \nabla_\theta \mathcal{L}(\theta; x^{(i)}, y^{(i)}), \qquad
# \theta \leftarrow \theta - v_t \tag{10}$$
#
# SGD suffers when the loss changes fast in one direction and slowly in another (the taco shell): the gradient
# does not point at the minimum, and the path zig-zags across the ravine while it creeps along it. (The Hessian
# has a large condition number: a large ratio between its largest and smallest eigenvalues.)
#
# Momentum keeps a "velocity" $v$, a running sum of past gradients. It builds up in directions where the
# gradients agree and cancels where they alternate, so the zig-zag across a ravine is damped while the motion
# along it accelerates. Like a ball rolling downhill, the accumulated velocity can also carry the optimizer over
# saddle points and shallow local minima where the gradient alone is weak, and it averages out part of the noise
# of stochastic gradients. The hyperparameter $\gamma$ acts like friction: how much of the previous velocity
# is kept at each step.
#
# Momentum has its own failure: it can settle in very deep, narrow minima. On a data manifold such minima can
# be "too good to be true", a kind of overfitting, and are not desirable even when they are global. A test
# function for this is the **Easom** function
#
# $$f(x, y) = -\cos(x)\cos(y)\exp\big(-((x - \pi)^2 + (y - \pi)^2)\big),$$
#
# with its minimum $-1$ at $(\pi, \pi)$. With some tuning of $\gamma$, SGD with momentum more often settles in
# shallow, wide minima.
#
# **TODO 2.5** Implement `easom`, and after its tests say why it is a useful test function.
# **TODO 2.6** Implement `momentum`, with the gradient noise of SGD (same convention: `noise_rng`,
# `sigma` default 1.0).

# %% nbgrader={"grade": false, "grade_id": "easom", "locked": false, "schema_version": 3, "solution": true, "task": false}
def easom():
    """The Easom function f(x, y) = -cos(x) cos(y) exp(-((x - pi)**2 + (y - pi)**2)).

    Returns
    -------
    f_easom : callable, elementwise as in bowl
    opt_easom : callable, () -> ndarray, shape (2,): the minimum (pi, pi)
    """
    def f_easom(x, y):
        # TODO 2.5
        ### BEGIN SOLUTION
        out = -np.cos(x) * np.cos(y) * np.exp(-((x - np.pi) ** 2 + (y - np.pi) ** 2))
        ### END SOLUTION
        return out

    def opt_easom():
        return np.array([np.pi, np.pi])

    return f_easom, opt_easom


# %% nbgrader={"grade": false, "grade_id": "check_easom", "locked": true, "schema_version": 3, "solution": false, "task": false}
print(f"easom(pi, pi) = {easom()[0](np.pi, np.pi):.6f}   expected -1.000000")
print(f"easom(3, 2)   = {easom()[0](3.0, 2.0):.6f}   expected -0.109694")
assert np.isclose(easom()[0](np.pi, np.pi), -1.0) and np.isclose(easom()[0](3.0, 2.0), -0.10969436), "easom is wrong"
assert np.allclose(easom()[0](np.array([np.pi, 4.0]), np.array([2.5, 3.0])), [-0.53080732, -0.30356408]), \
    "easom is wrong on arrays"
print("task 2.5 self-check passed")
plot_func(easom, xmin=-1, xmax=7, ymin=-1, ymax=7, step=0.1)

# %% nbgrader={"grade": true, "grade_id": "test_easom", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_f, _opt = easom()
assert np.isclose(_f(np.pi, np.pi), -1.0), "easom(pi, pi) should be -1"
assert np.allclose(np.asarray(_opt(), dtype=float), [np.pi, np.pi]), "opt_easom() must be (pi, pi)"
assert np.isclose(_f(3.0, 2.0), -0.10969436), "easom(3, 2) is wrong"
assert np.allclose(_f(np.array([np.pi, 4.0]), np.array([2.5, 3.0])), [-0.53080732, -0.30356408]), "easom is wrong on arrays"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(90210)
_x, _y = _rng.uniform(0, 6, size=(4, 3)), _rng.uniform(0, 6, size=(4, 3))
_ref = -np.cos(_x) * np.cos(_y) * np.exp(-((_x - np.pi) ** 2 + (_y - np.pi) ** 2))
_vals = _f(_x.copy(), _y.copy())
assert np.shape(_vals) == _x.shape, "easom: f must work elementwise on arrays"
assert np.allclose(_vals, _ref, atol=1e-12), "easom: wrong values at some points"
_e = 1e-6
_gx = (_f(_x + _e, _y) - _f(_x - _e, _y)) / (2 * _e)
_rgx = (np.sin(_x) * np.cos(_y) + 2 * (_x - np.pi) * np.cos(_x) * np.cos(_y)) * \
    np.exp(-((_x - np.pi) ** 2 + (_y - np.pi) ** 2))
assert np.allclose(_gx, _rgx, atol=1e-6), "easom: the gradient of f is wrong at some points"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "easom_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 2.5 (written)** Why is the Easom function a useful test function?

# %% [markdown] nbgrader={"grade": true, "grade_id": "easom_comment", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Model answer.
#
# The Easom function is flat (almost exactly 0) nearly everywhere, with one deep, narrow well of depth −1 at
# $(\pi, \pi)$. Away from the well the gradient is practically zero and gives no direction, so it tests whether an
# optimizer can find a small basin at all, and, once there, whether momentum carries it through the narrow well
# or lets it settle in a sharp minimum, the kind that may not generalize.
#
# Grading: 1 point for the shape (flat almost everywhere, one deep narrow well) together with what it tests
# (finding a small basin without gradient signal, or settling in a sharp minimum).

# %% nbgrader={"grade": false, "grade_id": "momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
def momentum(x, y, dx, dy, v_x, v_y, hparams):
    """One step of SGD with momentum.

    Parameters
    ----------
    x, y : float       the point before the update
    dx, dy : float     the exact partial derivatives of f at (x, y)
    v_x, v_y : float   the velocities before the update
    hparams : dict     must contain 'alpha' and 'gamma'; optional 'sigma' (gradient noise, default 1.0)

    Returns
    -------
    x, y, v_x, v_y : float   the point and the velocities after the update
    """
    alpha = hparams['alpha']
    gamma = hparams['gamma']
    sigma = hparams.get('sigma', 1.0)
    # TODO 2.6: equation (10) for x and for y, on the noisy gradient of (9) (one N(0, sigma^2) draw from
    # noise_rng for x and one for y); return the new point and the new velocities (floats).
    ### BEGIN SOLUTION
    v_x = gamma * v_x + alpha * (dx + noise_rng.normal(0.0, sigma))
    v_y = gamma * v_y + alpha * (dy + noise_rng.normal(0.0, sigma))
    x = x - v_x
    y = y - v_y
    return x, y, v_x, v_y
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_momentum", "locked": true, "schema_version": 3, "solution": false, "task": false}
print("momentum without noise:",
      np.round(momentum(1.0, -2.0, 4.0, -1.0, 0.5, 0.2, {'alpha': 0.1, 'gamma': 0.9, 'sigma': 0.0}), 6),
      " expected: [ 0.15 -2.08  0.85  0.08]")
assert np.allclose(momentum(1.0, -2.0, 4.0, -1.0, 0.5, 0.2, {'alpha': 0.1, 'gamma': 0.9, 'sigma': 0.0}),
                   (0.15, -2.08, 0.85, 0.08)), "momentum without noise is wrong: equation (10)"
assert np.allclose(momentum(0.0, 1.0, -2.0, 0.5, 0.1, -0.3, {'alpha': 0.05, 'gamma': 0.5, 'sigma': 0.0}),
                   (0.05, 1.125, -0.05, -0.125)), "momentum without noise is wrong for other hyperparameters"
check_steps = np.array([momentum(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, {'alpha': 1.0, 'gamma': 0.9}) for _ in range(2000)])
assert np.allclose(check_steps[:, 2:].std(axis=0), 1.0, atol=0.08) and np.allclose(check_steps[:, :2], -check_steps[:, 2:]), \
    "the velocity takes alpha times the noisy gradient of (9), sigma = hparams.get('sigma', 1.0), and the point moves by -v"
assert abs(np.corrcoef(check_steps[:, 2:].T)[0, 1]) < 0.1, "x and y need independent noise draws"
noise_rng = np.random.default_rng(0)
print("task 2.6 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_momentum", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
_res = momentum(1.0, -2.0, 4.0, -1.0, 0.5, 0.2, {'alpha': 0.1, 'gamma': 0.9, 'sigma': 0.0})
assert len(_res) == 4, "momentum must return (x, y, v_x, v_y)"
assert np.allclose(_res, (0.15, -2.08, 0.85, 0.08)), \
    "momentum without noise: v = gamma v + alpha * gradient, then the point moves by -v"
assert np.allclose(momentum(0.0, 1.0, -2.0, 0.5, 0.1, -0.3, {'alpha': 0.05, 'gamma': 0.5, 'sigma': 0.0}),
                   (0.05, 1.125, -0.05, -0.125)), "momentum without noise is wrong for other hyperparameters"
_steps = np.array(repeat_calls(momentum, 2000, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, {'alpha': 1.0, 'gamma': 0.9}), dtype=float)
assert np.allclose(_steps[:, 2:].std(axis=0), 1.0, atol=0.08), \
    "the velocity takes alpha times the noisy gradient of (9), sigma = hparams.get('sigma', 1.0)"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(72146)
for _ in range(4):
    _x, _y, _dx, _dy, _vx, _vy = (float(v) for v in _rng.normal(size=6) * 2)
    _alpha, _gamma = float(_rng.uniform(0.01, 0.5)), float(_rng.uniform(0.5, 0.99))
    _rvx, _rvy = _gamma * _vx + _alpha * _dx, _gamma * _vy + _alpha * _dy
    _res = momentum(_x, _y, _dx, _dy, _vx, _vy, {'alpha': _alpha, 'gamma': _gamma, 'sigma': 0.0})
    assert np.allclose(_res, (_x - _rvx, _y - _rvy, _rvx, _rvy)), \
        "momentum without noise: v = gamma v + alpha * gradient, then the point moves by -v"
for _sigma, _hp in [(0.8, {'alpha': 0.2, 'gamma': 0.9, 'sigma': 0.8}), (1.0, {'alpha': 0.2, 'gamma': 0.9})]:
    _out = np.array(repeat_calls(momentum, 4000, 0.5, 0.5, 1.0, -1.0, 0.3, -0.1, _hp), dtype=float)
    _eps = (_out[:, 2:] - np.array([0.9 * 0.3 + 0.2 * 1.0, 0.9 * -0.1 + 0.2 * -1.0])) / 0.2
    assert np.all(np.abs(_eps.mean(axis=0)) < 5 * _sigma / np.sqrt(4000)), "the gradient noise must have mean 0"
    assert np.allclose(_eps.std(axis=0), _sigma, rtol=0.06), \
        "the gradient noise must have standard deviation sigma (default 1.0) and enter the velocity times alpha"
    assert abs(np.corrcoef(_eps[:, 0], _eps[:, 1])[0, 1]) < 0.1, "x and y need independent noise draws"
    assert np.allclose(_out[:, 0], 0.5 - _out[:, 2]) and np.allclose(_out[:, 1], 0.5 - _out[:, 3]), \
        "the point must move by -v (the new velocity)"
noise_rng = np.random.default_rng(4048)
_a = momentum(0.3, 0.4, 1.0, -1.0, 0.0, 0.0, {'alpha': 0.2, 'gamma': 0.9})
noise_rng = np.random.default_rng(4048)
_b = momentum(0.3, 0.4, 1.0, -1.0, 0.0, 0.0, {'alpha': 0.2, 'gamma': 0.9})
assert np.allclose(_a, _b), "draw the noise from noise_rng, so that runs repeat"
noise_rng = np.random.default_rng(0)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nesterov", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Nesterov momentum (read only)
#
# $$v_t = \gamma v_{t-1} + \alpha \nabla_\theta \mathcal{L}(\theta - \gamma v_{t-1}), \qquad
# \theta \leftarrow \theta - v_t \tag{11}$$
#
# Plain momentum cannot brake: near a minimum its velocity carries it up the opposite slope. Nesterov momentum
# first moves along the accumulated velocity, evaluates the gradient where it would land, and corrects with
# that look-ahead gradient. You do not have to implement it.

# %% [markdown] nbgrader={"grade": false, "grade_id": "adagrad_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.7: AdaGrad
#
# AdaGrad gives each parameter its own learning rate. It accumulates the squared partial derivatives of each
# parameter, starting from $G = 0$, and divides that parameter's step by the root of the sum:
#
# $$G_{i}^{t} = G_{i}^{t-1} + \Big(\frac{\partial \mathcal{L}(\theta_{t-1})}{\partial \theta_i}\Big)^2, \qquad
# \theta_{t,i} = \theta_{t-1,i} - \frac{\alpha}{\sqrt{G_{i}^{t} + \epsilon}}\,
# \frac{\partial \mathcal{L}(\theta_{t-1})}{\partial \theta_i}. \tag{12}$$
#
# Parameters whose gradients have been small get relatively larger steps and vice versa; $\epsilon$ avoids a
# division by zero when the starting point has no gradient. AdaGrad needs less tuning of the learning rate than
# SGD. But the accumulated sum only grows, so the steps keep shrinking: on non-convex problems it can slow down
# too early, near saddle points or before it overshoots a local minimum, and very large initial gradients make all
# later steps small. (RMSProp and AdaDelta replace the sum by a decaying average to fix this.)
#
# **TODO 2.7** Implement `adagrad`, equation (12) (no gradient noise here; `v_x`, `v_y` hold $G$ for $x$ and $y$).

# %% nbgrader={"grade": false, "grade_id": "adagrad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adagrad(x, y, dx, dy, v_x, v_y, hparams):
    """One step of AdaGrad.

    Parameters
    ----------
    x, y : float       the point before the update
    dx, dy : float     the partial derivatives of f at (x, y)
    v_x, v_y : float   the sums of squared partial derivatives so far (0 before the first step)
    hparams : dict     must contain 'alpha' and 'eps'

    Returns
    -------
    x, y, v_x, v_y : float   the point and the accumulated sums after the update
    """
    eps = hparams['eps']
    alpha = hparams['alpha']
    # TODO 2.7: equation (12) for x and for y: the new sums v_x, v_y (the G of (12)) first, then the step with
    # them, epsilon where (12) puts it; return the new point and sums (floats).
    ### BEGIN SOLUTION
    v_x = v_x + dx ** 2
    v_y = v_y + dy ** 2
    x = x - alpha * dx / np.sqrt(v_x + eps)
    y = y - alpha * dy / np.sqrt(v_y + eps)
    return x, y, v_x, v_y
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_adagrad", "locked": true, "schema_version": 3, "solution": false, "task": false}
print("adagrad:", np.round(adagrad(1.0, -2.0, 3.0, -4.0, 16.0, 9.0, {'alpha': 0.5, 'eps': 1e-7}), 6),
      " expected: [  0.7  -1.6  25.   25. ]")
assert np.allclose(adagrad(1.0, -2.0, 3.0, -4.0, 16.0, 9.0, {'alpha': 0.5, 'eps': 1e-7}), (0.7, -1.6, 25.0, 25.0)), \
    "adagrad is wrong on the example"
assert np.allclose(adagrad(0.5, 1.0, 1.0, -2.0, 0.0, 0.0, {'alpha': 0.3, 'eps': 0.44}), (0.25, 1.2847474, 1.0, 4.0)), \
    "adagrad is wrong with a large epsilon: put it where (12) puts it"
print("task 2.7 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_adagrad", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
_res = adagrad(1.0, -2.0, 3.0, -4.0, 16.0, 9.0, {'alpha': 0.5, 'eps': 1e-7})
assert len(_res) == 4, "adagrad must return (x, y, v_x, v_y)"
assert np.allclose(_res[2:], (25.0, 25.0)), "v must accumulate the squared partial derivatives: v + d**2"
assert np.allclose(_res[:2], (0.7, -1.6), rtol=1e-6), "the step is alpha * d / sqrt(v + eps) with the new v"
assert np.allclose(adagrad(0.5, 1.0, 1.0, -2.0, 0.0, 0.0, {'alpha': 0.3, 'eps': 0.44}), (0.25, 1.2847474, 1.0, 4.0)), \
    "adagrad is wrong with a large epsilon: put it where (12) puts it"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(38814)
for _ in range(5):
    _x, _y, _dx, _dy = (float(v) for v in _rng.normal(size=4) * 2)
    _vx, _vy = (float(v) for v in _rng.uniform(0.1, 5, size=2))
    _alpha, _eps = float(_rng.uniform(0.05, 1.0)), float(_rng.uniform(0.2, 0.8))
    _rvx, _rvy = _vx + _dx ** 2, _vy + _dy ** 2
    _res = adagrad(_x, _y, _dx, _dy, _vx, _vy, {'alpha': _alpha, 'eps': _eps})
    assert len(_res) == 4, "adagrad must return (x, y, v_x, v_y)"
    assert np.allclose(_res[2:], (_rvx, _rvy)), "v must accumulate the squared partial derivatives: v + d**2"
    assert not np.allclose(_res[:2], (_x - _alpha * _dx / (np.sqrt(_rvx) + _eps), _y - _alpha * _dy / (np.sqrt(_rvy) + _eps)),
                           rtol=1e-6), "epsilon goes inside the square root: alpha * d / sqrt(v + eps)"
    assert np.allclose(_res[:2], (_x - _alpha * _dx / np.sqrt(_rvx + _eps), _y - _alpha * _dy / np.sqrt(_rvy + _eps)),
                       rtol=1e-6), "the step is alpha * d / sqrt(v + eps), with v after accumulating"
# three steps from a zero start
_state = (2.0, -1.0, 0.0, 0.0)
_ref = [2.0, -1.0, 0.0, 0.0]
for _dx, _dy in [(1.0, -3.0), (0.5, 2.0), (-2.0, 0.1)]:
    _state = adagrad(*_state[:2], _dx, _dy, *_state[2:], {'alpha': 0.3, 'eps': 0.4})
    _ref[2] += _dx ** 2
    _ref[3] += _dy ** 2
    _ref[0] -= 0.3 * _dx / np.sqrt(_ref[2] + 0.4)
    _ref[1] -= 0.3 * _dy / np.sqrt(_ref[3] + 0.4)
assert np.allclose(_state, _ref, rtol=1e-6), "adagrad goes wrong over several steps: v must keep growing"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "adam_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.8: Adam (adaptive moment estimation)
#
# Adam combines both ideas: a decaying average of the gradients $f$, as in momentum, and a decaying average of the
# squared gradients $s$, as in AdaGrad, for a per-parameter step size. Both start at $0$, so early on they are
# biased towards 0; the division by $1 - \beta^t$ removes that bias (it matters most in the first steps, where
# $1-\beta^t$ is small). $\beta_1$ and $\beta_2$ are below 1, typically 0.9 and 0.999. The step number $t$
# starts at 1:
#
# $$\begin{aligned}
# g_t &= \nabla_\theta \mathcal{L}(\theta_{t-1}) \\
# f_t &= \beta_1 f_{t-1} + (1 - \beta_1)\, g_t \\
# s_t &= \beta_2 s_{t-1} + (1 - \beta_2)\, g_t^2 \\
# \hat f_t &= \frac{f_t}{1 - \beta_1^t}, \qquad \hat s_t = \frac{s_t}{1 - \beta_2^t} \\
# \theta_t &= \theta_{t-1} - \frac{\alpha \hat f_t}{\sqrt{\hat s_t + \epsilon}}
# \end{aligned} \tag{13}$$
#
# **What to remember: one momentum, two ways of writing it.** Adam's $f_t$ is the velocity of momentum (10)
# written as a moving average. Unroll both from $0$: (10) gives $v_t = \alpha\sum_{k \le t} \gamma^{t-k} g_k$ and
# (13) gives $f_t = (1 - \beta_1)\sum_{k \le t} \beta_1^{t-k} g_k$. With $\gamma = \beta_1$ they are the same
# sum of past gradients, decaying at the same rate, and differ only by the constant factor
# $\alpha / (1 - \beta_1)$, which the learning rate absorbs. So momentum's $\gamma$ and Adam's $\beta_1$ are the same
# knob; only the scale of the step is set differently.
#
# Here $\epsilon$ sits inside the square root, as in AdaGrad (12). The notebook `lab7_optimizers` adds it outside,
# $\sqrt{\hat s_t} + \epsilon$, as the original Adam paper does; both forms are in use, and the tests of this
# notebook check (13).
#
# **TODO 2.8** Implement `adam` (no gradient noise). The argument `i` is $t$: 1 at the first update.

# %% nbgrader={"grade": false, "grade_id": "adam", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam(x, y, dx, dy, f_x, f_y, s_x, s_y, i, hparams):
    """One step of Adam.

    Parameters
    ----------
    x, y : float       the point before the update
    dx, dy : float     the partial derivatives of f at (x, y)
    f_x, f_y : float   the first-moment (gradient) averages before the update (0 before the first step)
    s_x, s_y : float   the second-moment (squared gradient) averages before the update (0 before the first step)
    i : int            the step number t of this update: 1, 2, 3, ...
    hparams : dict     must contain 'alpha', 'eps', 'beta_1' and 'beta_2'

    Returns
    -------
    x, y, f_x, f_y, s_x, s_y : float   after the update (the averages without bias correction)
    """
    eps = hparams['eps']
    alpha = hparams['alpha']
    beta_1 = hparams['beta_1']
    beta_2 = hparams['beta_2']
    # TODO 2.8: equations (13) for x and for y with t = i, epsilon where (13) puts it; return the new point and
    # the new averages f and s before bias correction (floats).
    ### BEGIN SOLUTION
    f_x = beta_1 * f_x + (1 - beta_1) * dx
    f_y = beta_1 * f_y + (1 - beta_1) * dy
    s_x = beta_2 * s_x + (1 - beta_2) * dx ** 2
    s_y = beta_2 * s_y + (1 - beta_2) * dy ** 2
    f_x_hat, f_y_hat = f_x / (1 - beta_1 ** i), f_y / (1 - beta_1 ** i)
    s_x_hat, s_y_hat = s_x / (1 - beta_2 ** i), s_y / (1 - beta_2 ** i)
    x = x - alpha * f_x_hat / np.sqrt(s_x_hat + eps)
    y = y - alpha * f_y_hat / np.sqrt(s_y_hat + eps)
    return x, y, f_x, f_y, s_x, s_y
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "check_adam", "locked": true, "schema_version": 3, "solution": false, "task": false}
check_hp = {'alpha': 0.1, 'eps': 1e-8, 'beta_1': 0.9, 'beta_2': 0.999}
print("adam, first step:", np.round(adam(1.0, -2.0, 3.0, -4.0, 0.0, 0.0, 0.0, 0.0, 1, check_hp), 6),
      " expected: [ 0.9    -1.9     0.3    -0.4     0.009   0.016 ]")
print("adam, step 3:    ", np.round(adam(1.0, -2.0, 3.0, -4.0, 0.5, 0.2, 0.01, 0.02, 3, check_hp), 6),
      " expected: [ 0.890056 -1.97657   0.75  -0.22  0.01899  0.03598 ]")
assert np.allclose(adam(1.0, -2.0, 3.0, -4.0, 0.0, 0.0, 0.0, 0.0, 1, check_hp), (0.9, -1.9, 0.3, -0.4, 0.009, 0.016)), \
    "adam is wrong at the first step"
assert np.allclose(adam(1.0, -2.0, 3.0, -4.0, 0.5, 0.2, 0.01, 0.02, 3, check_hp),
                   (0.890056, -1.97657, 0.75, -0.22, 0.01899, 0.03598), atol=1e-6), "adam is wrong at step 3"
assert np.allclose(adam(1.0, -2.0, 3.0, -4.0, 0.5, 0.2, 0.01, 0.02, 3, dict(check_hp, eps=0.25)),
                   (0.892162, -1.976811, 0.75, -0.22, 0.01899, 0.03598), atol=1e-6), \
    "adam is wrong with a large epsilon: put it where (13) puts it"
print("task 2.8 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_adam", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
_hp = {'alpha': 0.1, 'eps': 1e-8, 'beta_1': 0.9, 'beta_2': 0.999}
_res = adam(1.0, -2.0, 3.0, -4.0, 0.0, 0.0, 0.0, 0.0, 1, _hp)
assert len(_res) == 6, "adam must return (x, y, f_x, f_y, s_x, s_y)"
assert np.allclose(_res[2:], (0.3, -0.4, 0.009, 0.016)), \
    "f and s must be the decaying averages beta f + (1 - beta) g and beta s + (1 - beta) g**2 (uncorrected)"
assert np.allclose(_res[:2], (0.9, -1.9), rtol=1e-6), \
    "the first Adam step (t = 1) should move each coordinate by about alpha: check the bias correction"
_hp = {'alpha': 0.1, 'eps': 1e-8, 'beta_1': 0.9, 'beta_2': 0.999}
assert np.allclose(adam(1.0, -2.0, 3.0, -4.0, 0.5, 0.2, 0.01, 0.02, 3, _hp),
                   (0.890056, -1.97657, 0.75, -0.22, 0.01899, 0.03598), atol=1e-6), "adam is wrong at step 3"
assert np.allclose(adam(1.0, -2.0, 3.0, -4.0, 0.5, 0.2, 0.01, 0.02, 3, dict(_hp, eps=0.25)),
                   (0.892162, -1.976811, 0.75, -0.22, 0.01899, 0.03598), atol=1e-6), \
    "adam is wrong with a large epsilon: put it where (13) puts it"
### BEGIN HIDDEN TESTS
def _adam_ref(x, y, dx, dy, fx, fy, sx, sy, t, hp, eps_outside=False):
    b1, b2, a, e = hp['beta_1'], hp['beta_2'], hp['alpha'], hp['eps']
    fx, fy = b1 * fx + (1 - b1) * dx, b1 * fy + (1 - b1) * dy
    sx, sy = b2 * sx + (1 - b2) * dx ** 2, b2 * sy + (1 - b2) * dy ** 2
    root = (lambda s: np.sqrt(s) + e) if eps_outside else (lambda s: np.sqrt(s + e))
    x = x - a * fx / (1 - b1 ** t) / root(sx / (1 - b2 ** t))
    y = y - a * fy / (1 - b1 ** t) / root(sy / (1 - b2 ** t))
    return x, y, fx, fy, sx, sy


_rng = np.random.default_rng(64420)
for _t in (1, 2, 3, 7, 40):
    _x, _y, _dx, _dy, _fx, _fy = (float(v) for v in _rng.normal(size=6))
    _sx, _sy = (float(v) for v in _rng.uniform(0.2, 2.0, size=2))
    _hp = {'alpha': float(_rng.uniform(0.01, 0.5)), 'eps': float(_rng.uniform(0.1, 0.5)),
           'beta_1': float(_rng.uniform(0.6, 0.95)), 'beta_2': float(_rng.uniform(0.9, 0.999))}
    _res = adam(_x, _y, _dx, _dy, _fx, _fy, _sx, _sy, _t, _hp)
    _ref = _adam_ref(_x, _y, _dx, _dy, _fx, _fy, _sx, _sy, _t, _hp)
    assert len(_res) == 6, "adam must return (x, y, f_x, f_y, s_x, s_y)"
    assert not np.allclose(_res[:2], _adam_ref(_x, _y, _dx, _dy, _fx, _fy, _sx, _sy, _t, _hp, eps_outside=True)[:2],
                           rtol=1e-6), "epsilon goes inside the square root: alpha f_hat / sqrt(s_hat + eps)"
    assert np.allclose(_res[2:], _ref[2:]), "f and s must be the uncorrected decaying averages"
    assert np.allclose(_res[:2], _ref[:2], rtol=1e-6), \
        f"the Adam step is wrong at t = {_t}: bias-correct with 1 - beta**t, t = i, then alpha f_hat / sqrt(s_hat + eps)"
# four steps from zero state, t = 1, 2, 3, 4
_hp = {'alpha': 0.2, 'eps': 0.3, 'beta_1': 0.8, 'beta_2': 0.95}
_state, _ref = (1.0, 2.0, 0.0, 0.0, 0.0, 0.0), (1.0, 2.0, 0.0, 0.0, 0.0, 0.0)
for _t, (_dx, _dy) in enumerate([(1.0, -2.0), (0.3, 0.4), (-1.5, 0.2), (0.7, -0.9)], start=1):
    _state = adam(*_state[:2], _dx, _dy, *_state[2:], _t, _hp)
    _ref = _adam_ref(*_ref[:2], _dx, _dy, *_ref[2:], _t, _hp)
assert np.allclose(_state, _ref, rtol=1e-6), "adam goes wrong over several steps from a zero start"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "optimizer_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The `Optimizer` class and the plots (provided)
#
# `Optimizer` runs one of your update rules on a test function from a starting point and records the path. The
# `method` names are `'grad'` (gradient descent), `'sgrad'` (SGD), `'grad_momentum'`, `'adagrad'` and
# `'adam'`; `hparams` holds what the rule needs. `fit(epochs)` reseeds `noise_rng`, so each run repeats. A
# run stops early if the point runs off beyond $10^6$ (it diverged).
#
# Each run has a **target**: the marked optimum (red star), except on `mult`, where the star marks the local
# minimum to escape and the target is the ring of global minima ($f = -1$, radius $3\pi/2$). After `fit`,
# `optim.iter` is the first step at which the point was within distance 1 of the target (`None` if never).
# `plot_function(optim, func, title)` draws the path on the surface (black, on the left; points outside the
# window are not drawn) and on the contour map (right), with the start (green), the marked optimum (red star)
# and, on `mult`, the ring (dashed); its title gives the final point, the final distance to the target and the
# first step within 1 of it. While the notebook is graded, `plot_function` draws the contour map only, small: the
# TA checks your answers to 2.9 to 2.12 against those figures.

# %% nbgrader={"grade": false, "grade_id": "optimizer_class", "locked": true, "schema_version": 3, "solution": false, "task": false}
MULT_RING_RADIUS = 1.5 * np.pi  # mult's global minima, f = -1, lie on the circle of this radius


class Optimizer:
    """Runs an update rule on a test function and records the path."""

    def __init__(self, x_init, y_init, method, func, hparams):
        """
        x_init, y_init : float   the starting point
        method : str             'grad', 'sgrad', 'grad_momentum', 'adagrad' or 'adam'
        func : callable          a test function such as bowl, returning (f, opt)
        hparams : dict           alpha, gamma, eps, beta_1, beta_2, sigma: whatever the method uses
        """
        f, optima = func()
        self.x = float(x_init)
        self.y = float(y_init)
        self.hparams = hparams
        self.method = method
        self.f = f
        self.cp_x, self.cp_y = (float(v) for v in np.asarray(optima(), dtype=float).ravel()[:2])
        # the target of the run: the ring of global minima on mult (its star is the local minimum to escape),
        # the marked optimum elsewhere
        self.target = "the ring of global minima" if func.__name__ == 'mult' else "the star"
        self.first = True
        self.iter = None
        self.diverged = False
        self.x_list, self.y_list, self.z_list = [], [], []

    def distance(self, x, y):
        """Euclidean distance from (x, y) to the target: the ring of global minima on mult, else the marked optimum."""
        if self.target == "the ring of global minima":
            return float(abs(np.hypot(x, y) - MULT_RING_RADIUS))
        return float(np.hypot(x - self.cp_x, y - self.cp_y))

    def cgrad(self, x, y):
        """The gradient of f at (x, y), by central finite differences."""
        dx, dy = numerical_gradient(self.f, x, y)
        return float(dx), float(dy)

    def fit(self, epochs, seed=0):
        """Makes up to `epochs` updates from the current point, recording the path."""
        global noise_rng
        noise_rng = np.random.default_rng(seed)  # the same noise on every run
        if self.method not in ('grad', 'sgrad', 'grad_momentum', 'adagrad', 'adam'):
            raise ValueError(f"unknown method {self.method!r}")
        self.x_list, self.y_list, self.z_list = [], [], []
        v_x = v_y = f_x = f_y = s_x = s_y = 0.0
        for i in range(epochs):
            self.x_list.append(self.x)
            self.y_list.append(self.y)
            self.z_list.append(float(self.f(self.x, self.y)))
            dx, dy = self.cgrad(self.x, self.y)
            if self.method == 'grad':
                self.x, self.y = gradient_descent(self.x, self.y, dx, dy, self.hparams)
            elif self.method == 'sgrad':
                self.x, self.y = stochastic_gradient_descent(self.x, self.y, dx, dy, self.hparams)
            elif self.method == 'grad_momentum':
                self.x, self.y, v_x, v_y = momentum(self.x, self.y, dx, dy, v_x, v_y, self.hparams)
            elif self.method == 'adagrad':
                self.x, self.y, v_x, v_y = adagrad(self.x, self.y, dx, dy, v_x, v_y, self.hparams)
            else:
                self.x, self.y, f_x, f_y, s_x, s_y = adam(self.x, self.y, dx, dy, f_x, f_y, s_x, s_y, i + 1,
                                                          self.hparams)
            self.x, self.y = float(self.x), float(self.y)
            if self.first and self.distance(self.x, self.y) < 1:
                self.iter = i
                self.first = False
            if not (abs(self.x) < 1e6 and abs(self.y) < 1e6):
                self.diverged = True
                break
        if not self.diverged:
            self.x_list.append(self.x)
            self.y_list.append(self.y)
            self.z_list.append(float(self.f(self.x, self.y)))


def plot_function(optim, func, title, xmin=None, xmax=None, ymin=None, ymax=None, step=0.1):
    """Draws the path recorded by `optim` on the surface and on the contour map of `func`.

    The window is [-4.5, 4.5]^2, enlarged to contain the starting point (and on mult the ring), unless given.
    Not drawn while the notebook is graded, to save time (the grader's kernel keeps no figures).
    """
    if GRADING:
        return
    f, opt = func()
    optimum = np.asarray(opt(), dtype=float)
    px, py, pz = np.array(optim.x_list), np.array(optim.y_list), np.array(optim.z_list)
    half = max(4.5, 1.2 * max(abs(px[0]), abs(py[0])))
    if optim.target == "the ring of global minima":
        half = max(half, 1.1 * MULT_RING_RADIUS)
    xmin, xmax = (-half if xmin is None else xmin), (half if xmax is None else xmax)
    ymin, ymax = (-half if ymin is None else ymin), (half if ymax is None else ymax)
    step = max(step, (xmax - xmin) / 100)
    x, y = np.meshgrid(np.arange(xmin, xmax + step, step), np.arange(ymin, ymax + step, step))
    z = f(x, y)
    inside = (px >= xmin) & (px <= xmax) & (py >= ymin) & (py <= ymax)

    fig = plt.figure(figsize=(11, 5))
    ax = fig.add_subplot(1, 2, 1, projection='3d')
    ax.plot_surface(x, y, z, rstride=4, cstride=4, alpha=0.45, cmap=plt.cm.plasma)
    ax.plot(np.where(inside, px, np.nan), np.where(inside, py, np.nan), np.where(inside, pz, np.nan),
            color='black', marker='.', label='path')
    ax.plot([optimum[0]], [optimum[1]], [f(optimum[0], optimum[1])], 'r*', markersize=12, label='marked optimum')
    ax.set_xlabel('$x$')
    ax.set_ylabel('$y$')
    ax.set_zlabel('$f(x, y)$')
    ax.set_title('surface')
    ax2 = fig.add_subplot(1, 2, 2)
    contours = ax2.contourf(x, y, z, 25, cmap=plt.cm.coolwarm, alpha=0.8)
    fig.colorbar(contours, ax=ax2, label='$f(x, y)$')
    ax2.plot(px, py, color='black', marker='.', markersize=4, linewidth=1, label='path')
    ax2.plot(px[0], py[0], 'go', markersize=8, label='start')
    ax2.plot(optimum[0], optimum[1], 'r*', markersize=14, label='marked optimum')
    if optim.target == "the ring of global minima":
        angles = np.linspace(0, 2 * np.pi, 200)
        ax2.plot(MULT_RING_RADIUS * np.cos(angles), MULT_RING_RADIUS * np.sin(angles), 'k--', linewidth=1,
                 label='global minima')
    ax2.set_xlim(xmin, xmax)
    ax2.set_ylim(ymin, ymax)
    ax2.set_xlabel('$x$')
    ax2.set_ylabel('$y$')
    ax2.set_title('contours')
    # on mult the ring runs through the whole window: keep the legend in a corner, off the cusp at the centre
    ax2.legend(loc='upper left' if optim.target == "the ring of global minima" else 'best', fontsize=8)

    steps = len(px) - 1
    reached = "never within 1" if optim.iter is None else f"within 1 first at step {optim.iter + 1}"
    if optim.diverged:
        end = "diverged"
    else:
        end = (f"final point ({px[-1]:.3g}, {py[-1]:.3g}), f = {pz[-1]:.4g}, "
               f"{optim.distance(px[-1], py[-1]):.3g} from {optim.target}")
    fig.suptitle(f"{title}\n{optim.method}, {steps} steps: {end}; {reached}", fontsize=11)
    fig.subplots_adjust(top=0.82)
    plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "adam_demo_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A first run: Adam on the bowl, 200 updates from $(6, 6)$.

# %% nbgrader={"grade": false, "grade_id": "adam_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
optim = Optimizer(6., 6., 'adam', bowl, {'alpha': 0.1, 'eps': 1e-7, 'beta_1': 0.8, 'beta_2': 0.99})
optim.fit(200)
plot_function(optim, bowl, "Adam on the bowl")

# %% [markdown] nbgrader={"grade": false, "grade_id": "lr_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.9: the importance of the learning rate
#
# Show with SGD on the bowl what happens when the learning rate is too high, too low, and about right. Keep the
# number of updates (20) and the start $(6, 6)$ the same in the three runs. In each cell, build an `Optimizer`,
# `fit` it and call `plot_function` with a title that says what the plot shows.

# %% nbgrader={"grade": false, "grade_id": "lr_too_high", "locked": false, "schema_version": 3, "solution": true, "task": false}
epochs = 20
func = bowl
# TODO 2.9: learning rate too high for SGD. Recommended: start (6., 6.), hparams {'alpha': 2}.
### BEGIN SOLUTION
optim = Optimizer(6., 6., 'sgrad', func, {'alpha': 2})
optim.fit(epochs)
plot_function(optim, func, "SGD on the bowl: learning rate too high (alpha = 2)")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "lr_too_low", "locked": false, "schema_version": 3, "solution": true, "task": false}
epochs = 20
func = bowl
# TODO 2.9: learning rate too low for SGD. Recommended: start (6., 6.), hparams {'alpha': 0.01}.
### BEGIN SOLUTION
optim = Optimizer(6., 6., 'sgrad', func, {'alpha': 0.01})
optim.fit(epochs)
plot_function(optim, func, "SGD on the bowl: learning rate too low (alpha = 0.01)")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "lr_just_right", "locked": false, "schema_version": 3, "solution": true, "task": false}
epochs = 20
func = bowl
# TODO 2.9: a good learning rate for SGD. Recommended: start (6., 6.), hparams {'alpha': 0.1}.
### BEGIN SOLUTION
optim = Optimizer(6., 6., 'sgrad', func, {'alpha': 0.1})
optim.fit(epochs)
plot_function(optim, func, "SGD on the bowl: a good learning rate (alpha = 0.1)")
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "lr_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 2.9** What do the three plots show? Explain each behaviour from the update rule.

# %% [markdown] nbgrader={"grade": true, "grade_id": "lr_observations", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# Model answer. On the bowl the gradient is $(2x, 2y)$, so a step multiplies the distance to the minimum by
# $1 - 2\alpha$ (plus the noise $\alpha\varepsilon$).
#
# - $\alpha = 2$ (too high): the factor is $-3$: every step jumps to the other side of the minimum, three times
#   as far. The path diverges; the run stops after 10 steps, when the point is beyond $10^6$. Any $\alpha > 1$
#   diverges here.
# - $\alpha = 0.01$ (too low): the factor is $0.98$. After 20 steps the point has only reached about
#   $(4.05, 3.98)$, $f \approx 32$: it goes the right way but far too slowly.
# - $\alpha = 0.1$ (about right): the factor is $0.8$. The point is within 1 of the minimum at step 11 and ends
#   near $(0.13, -0.12)$, $f \approx 0.03$; what is left is the jitter of the gradient noise ($\alpha\sigma = 0.1$
#   per step).
#
# With the same budget of steps, the learning rate must match the curvature: too high overshoots and diverges,
# too low crawls.
#
# Grading: 1 point per run (3 points) for what its plot shows (diverges, crawls, converges up to the noise), with
# the numbers of its title; 1 point for explaining the three from the update rule (the step compared with the
# curvature: the factor $1 - 2\alpha$).

# %% [markdown] nbgrader={"grade": false, "grade_id": "matyas_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.10: SGD and Matyas: momentum helps
#
# Show how momentum helps on a taco-shell function like Matyas, where the gradient is large in one direction
# and small in the other. Keep everything except the optimizer the same: start $(4, -4)$, 20 updates.

# %% nbgrader={"grade": false, "grade_id": "matyas_sgd", "locked": false, "schema_version": 3, "solution": true, "task": false}
epochs = 20
func = matyas
# TODO 2.10: SGD on Matyas. Recommended: start (4., -4.), hparams {'alpha': 0.01}.
### BEGIN SOLUTION
optim = Optimizer(4., -4., 'sgrad', func, {'alpha': 0.01})
optim.fit(epochs)
plot_function(optim, func, "SGD on the Matyas function")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "matyas_momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
epochs = 20
func = matyas
# TODO 2.10: SGD with momentum on Matyas. Recommended: start (4., -4.), hparams {'alpha': 0.01, 'gamma': 0.99}.
### BEGIN SOLUTION
optim = Optimizer(4., -4., 'grad_momentum', func, {'alpha': 0.01, 'gamma': 0.99})
optim.fit(epochs)
plot_function(optim, func, "SGD with momentum on the Matyas function")
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "matyas_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 2.10** Compare the two runs. What does momentum change, and what does $\gamma = 0.99$ cost?

# %% [markdown] nbgrader={"grade": true, "grade_id": "matyas_observations", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# Model answer. The Hessian of Matyas has eigenvalues 1.0 (direction $(1, -1)$) and 0.04 (direction $(1, 1)$).
# With $\alpha = 0.01$, SGD shrinks the distance along $(1, -1)$ by only $1\%$ per step: after 20 steps it has
# moved from $(4, -4)$ to about $(3.3, -3.3)$, $f$ from 16 to 11. With momentum the velocity adds up the
# consecutive gradients, which point the same way, so the steps grow (up to about $\alpha/(1-\gamma) = 100$
# times one gradient step): the point crosses the valley, is within 1 of the minimum at step 15, and has made far
# more progress in the same 20 steps. But $\gamma = 0.99$ is almost no friction: the point shoots past the minimum
# and climbs the opposite wall, ending near $(-1.0, 1.45)$, $f \approx 1.5$. It would oscillate for a long time;
# a smaller $\gamma$ damps this. In a longer ravine the velocity would also average out the zig-zag across it.
#
# Grading: 1 point for SGD's slow progress, with the reason (the small gradient along the flat direction of the
# ravine); 1 point for the faster progress of momentum, with the reason (consecutive gradients add up in the
# velocity); 1 point for the overshoot past the minimum; 1 point for its cause, $\gamma = 0.99$ leaving almost no
# friction.

# %% [markdown] nbgrader={"grade": false, "grade_id": "monkey_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.11: saddle points
#
# Show how SGD, momentum and AdaGrad behave on the monkey function from $(4, 4)$. A good method moves past the
# flat region around the origin and keeps descending. Keep the recommended learning rates: they are small on
# purpose, to make the difference visible.

# %% nbgrader={"grade": false, "grade_id": "monkey_sgd", "locked": false, "schema_version": 3, "solution": true, "task": false}
func = monkey
# TODO 2.11: SGD on monkey. Recommended: start (4., 4.), 20 updates, hparams {'alpha': 0.01}.
### BEGIN SOLUTION
optim = Optimizer(4., 4., 'sgrad', func, {'alpha': 0.01})
optim.fit(20)
plot_function(optim, func, "SGD on the monkey function")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "monkey_momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
func = monkey
# TODO 2.11: momentum on monkey. Recommended: start (4., 4.), 5 updates, hparams {'alpha': 0.01, 'gamma': 0.99}.
### BEGIN SOLUTION
optim = Optimizer(4., 4., 'grad_momentum', func, {'alpha': 0.01, 'gamma': 0.99})
optim.fit(5)
plot_function(optim, func, "SGD with momentum on the monkey function")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "monkey_adagrad", "locked": false, "schema_version": 3, "solution": true, "task": false}
func = monkey
# TODO 2.11: AdaGrad on monkey. Recommended: start (4., 4.), 1000 updates, hparams {'alpha': 0.3, 'eps': 1e-7}.
### BEGIN SOLUTION
optim = Optimizer(4., 4., 'adagrad', func, {'alpha': 0.3, 'eps': 1e-7})
optim.fit(1000)
plot_function(optim, func, "AdaGrad on the monkey function")
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "monkey_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 2.11** Which methods get past the flat region around the origin, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "monkey_observations", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# Model answer. From $(4, 4)$ the gradient $(3x^2 + 3y^2,\, 6xy) = (96, 96)$ is large, but it vanishes
# quadratically near the origin.
#
# - SGD moves fast at first, then its steps shrink with the gradient: after 20 steps it is at about
#   $(0.68, 0.60)$, $f \approx 1$, creeping towards the flat point. Along the diagonal $x$ shrinks only like
#   $1/t$, so it would need very many steps to cross (and only the small noise $\alpha\sigma = 0.01$ helps).
# - Momentum keeps the velocity it built on the steep slope, so it runs straight through the flat region: after only
#   5 steps it is at $(-3.5, -3.5)$, $f \approx -173$, and still descending.
# - AdaGrad divides by the root of the accumulated squared gradients. The huge gradients of the first steps fill
#   that sum, so all later steps are tiny: after 1000 steps it is stuck at $(0.15, 0.15)$, $f \approx 0.01$,
#   right at the saddle.
#
# Near a saddle or plateau the gradient gives little push; a method whose step follows the current gradient
# (SGD), or whose step keeps shrinking (AdaGrad), stalls there, while momentum carries the point across.
#
# Grading: 1 point per method (3 points) for what its plot shows (SGD creeps towards the origin, momentum crosses
# it and keeps descending, AdaGrad stalls at it); 1 point for why SGD and AdaGrad stall (the gradient vanishes
# near the saddle, and AdaGrad's accumulated sum keeps its steps small); 1 point for why momentum crosses (the
# velocity built on the steep slope).

# %% [markdown] nbgrader={"grade": false, "grade_id": "mult_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Task 2.12: escaping a local minimum
#
# Make four plots that show how the methods get out of (or stay in) the local minimum of `mult` at the origin,
# one in each of the four cells below, in this order: Adam, AdaGrad, SGD with momentum, and SGD. Start every run
# at $(0.8, 0.8)$, where the slope leads into the cusp, with 20 updates and $\alpha = 0.7$ (the other settings are
# recommended in each cell). In each cell, build an `Optimizer`, `fit` it and call `plot_function` with a title
# that names the method. What counts is whether a run gets to the ring of global minima: the plot titles give its
# distance to that ring, not to the star at the origin.

# %% nbgrader={"grade": false, "grade_id": "mult_adam", "locked": false, "schema_version": 3, "solution": true, "task": false}
func = mult
# TODO 2.12: Adam on mult. Recommended: start (.8, .8), 20 updates,
#   hparams {'alpha': 0.7, 'eps': 1e-7, 'beta_1': 0.99, 'beta_2': 0.9}.
### BEGIN SOLUTION
optim = Optimizer(.8, .8, 'adam', func, {'alpha': 0.7, 'eps': 1e-7, 'beta_1': 0.99, 'beta_2': 0.9})
optim.fit(20)
plot_function(optim, func, "Adam on the mult function")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "mult_adagrad", "locked": false, "schema_version": 3, "solution": true, "task": false}
func = mult
# TODO 2.12: AdaGrad on mult. Recommended: start (.8, .8), 20 updates, hparams {'alpha': 0.7, 'eps': 1e-7}.
### BEGIN SOLUTION
optim = Optimizer(.8, .8, 'adagrad', func, {'alpha': 0.7, 'eps': 1e-7})
optim.fit(20)
plot_function(optim, func, "AdaGrad on the mult function")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "mult_momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
func = mult
# TODO 2.12: momentum on mult. Recommended: start (.8, .8), 20 updates, hparams {'alpha': 0.7, 'gamma': 0.99}.
### BEGIN SOLUTION
optim = Optimizer(.8, .8, 'grad_momentum', func, {'alpha': 0.7, 'gamma': 0.99})
optim.fit(20)
plot_function(optim, func, "SGD with momentum on the mult function")
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "mult_sgd", "locked": false, "schema_version": 3, "solution": true, "task": false}
func = mult
# TODO 2.12: SGD on mult. Recommended: start (.8, .8), 20 updates, hparams {'alpha': 0.7}.
### BEGIN SOLUTION
optim = Optimizer(.8, .8, 'sgrad', func, {'alpha': 0.7})
optim.fit(20)
plot_function(optim, func, "SGD on the mult function")
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "mult_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **TODO 2.12** Which methods escape the local minimum at the origin, and what lets them?

# %% [markdown] nbgrader={"grade": true, "grade_id": "mult_observations", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# Model answer. At $(0.8, 0.8)$ (radius 1.13, inside the crest at radius $\pi/2$) the slope leads into the cusp
# at the origin; the global minima ($f = -1$) lie on the ring of radius $3\pi/2 \approx 4.7$. All runs use
# $\alpha = 0.7$. (Runs with noise depend on the random draws; these are the figures above.)
#
# - Adam ($\beta_1 = 0.99$, $\beta_2 = 0.9$): it falls into the cusp and keeps crossing it back and forth along the
#   diagonal, never beyond the crest; it ends at $(-0.01, -0.01)$, $f \approx 0.02$, 4.7 from the ring and never
#   within 1 of it: stuck in the local minimum.
# - AdaGrad: it crosses the cusp once, then its shrinking steps hold it there; it ends at $(-0.16, -0.16)$,
#   $f \approx 0.22$, 4.5 from the ring: stuck.
# - Momentum ($\gamma = 0.99$): the velocity gained going down into the cusp carries it through the origin and
#   over the crest on the other side, so it escapes and is within 1 of the ring at step 6; with so little friction
#   it then overshoots the ring and leaves the window (it ends near $(28, -7)$, 24 from the ring).
# - SGD: after a few steps around the cusp, the gradient noise (kicks of size $\alpha\sigma = 0.7$) knocks it over
#   the crest; it is within 1 of the ring at step 10 and ends near $(4.3, -1.6)$, $f \approx -0.99$, 0.14 from the
#   ring: next to a global minimum.
#
# Following the local gradient alone leads into the nearest minimum. What gets a method out is something beyond
# the local gradient: noise (SGD) or accumulated velocity (momentum), and the escape is not controlled: too much
# velocity also carries the point past the good minima. Adaptive steps (AdaGrad, and Adam with these settings) do
# not help here.
#
# Grading: 1 point per method (4 points) for what its plot shows: whether it escapes the cusp and reaches the ring,
# with the final point or the distance to the ring from the title; 2 points for the explanation: escaping takes
# something beyond the local gradient (the noise of SGD, the velocity of momentum), and the adaptive steps of
# AdaGrad and Adam do not supply it here.

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
