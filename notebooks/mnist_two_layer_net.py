# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Softmax regression and a two-layer network on MNIST
#
# **Goal.** Part 1 proves the facts about optimization and computation graphs that training a network rests
# on: the gradient is orthogonal to level sets, minima have zero gradient, convexity makes a stationary point
# global, the Jacobian of the softmax, and directed acyclic graphs; it ends with the review of a paper that asks
# how much a network can do without training its weights. Part 2 builds, in numpy only, everything
# needed to train two classifiers of handwritten digits: data preparation, activations, a numerically stable
# softmax, the cross-entropy loss, softmax regression, a two-layer network with its backward pass, and SGD
# with L2 regularization. Part 3 trains them on MNIST and studies the learning rate and the regularization
# strength.
#
# **How this notebook works.** Run the cells from top to bottom. Where you see **TODO**, replace
# `raise NotImplementedError()` with your code; where you see "YOUR ANSWER HERE", write your answer
# (Markdown and LaTeX). After each code answer there is a self-check that prints your values beside the
# expected ones, then a locked test cell worth points. The test cells you see are not all the tests: when
# your notebook is graded, your functions are also run on inputs you have not seen and compared with finite
# differences, so compute the values; do not type them in.
#
# **Rules.** Keep the function and class names and signatures: the tests call them. Use vectorized numpy
# (no Python loop over the samples of a batch): the tests of T2 to T6 read your answer cells, and a loop over the
# entries of an array there (or `np.vectorize`, `np.apply_along_axis`, `map`) costs that task's points; loops over a
# few named parameters are fine. Each task is graded on its own: a mistake costs the points of its own task only.
#
# **Collaboration.** You may discuss the questions and ways to approach them with other students, but write your
# own proofs, answers and code. Say whom you worked with, and on what, in the Collaborators cell below.
#
# **Handing in.** Work in your own copy of this notebook (in Colab: File → Save a copy in Drive) and rename it
# `mnist_two_layer_net_<your student id>.ipynb`, for example `mnist_two_layer_net_aa1234.ipynb` (Colab calls your
# copy "Copy of mnist_two_layer_net.ipynb"). The grader finds your work by this name; a notebook submitted under
# another name is not graded. Before you submit, restart the kernel and run all cells (Colab: Runtime → Restart
# session and run all) and check that every cell runs. Then download the notebook (File → Download → .ipynb) and
# upload that file; a link to the notebook, or any other file, is not accepted.
#
# **Deadline and late work.** The deadline is 17:00 on Friday 11 April 2025 (UK time). A notebook handed in after the
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
# **Time.** About 6 hours: 1.5 h for the proofs of Part 1, 1 h for the paper review (reading the paper included),
# 2.5 h for Part 2, 1 h for Part 3.
#
# **Run time.** With every answer done, the notebook runs top to bottom in about 40 s as a student and about 5 s
# when graded (measured on a 2-core machine).
#
# | Part | Question | Task | Points | Graded |
# | --- | --- | --- | --- | --- |
# | | C | collaborators: whom you worked with and on what, or "none" | 1 | by hand |
# | 1 | Q1 | the gradient is orthogonal to the level set | 4 | by hand |
# | 1 | Q2 | a local minimum has zero gradient; the converse fails | 5 | by hand |
# | 1 | Q3 | convex with zero gradient means global minimum | 4 | by hand |
# | 1 | Q4 | the Jacobian of the softmax | 5 | by hand |
# | 1 | Q5 | a DAG has a topological ordering | 4 | by hand |
# | 1 | Q6 | a graph with a topological ordering is a DAG | 3 | by hand |
# | 1 | Q7 | paper review: the method, its strengths and weaknesses | 5 | by hand |
# | 1 | Q8 | paper review: your reflection, related to the course | 3 | by hand |
# | 2 | T1 | `prepare_mnist`, `generate_batched_data` | 6 | automatic |
# | 2 | T2 | `sigmoid`, `sigmoid_dev`, `ReLU`, `ReLU_dev` | 4 | automatic |
# | 2 | T3 | `softmax` (numerically stable) | 5 | automatic |
# | 2 | T4 | `cross_entropy_loss`, `compute_accuracy` | 6 | automatic |
# | 2 | T5 | `SoftmaxRegression.forward` (loss and gradients) | 8 | automatic |
# | 2 | T6 | `TwoLayerNet.forward` (loss and gradients) | 12 | automatic |
# | 2 | T7 | `SGD.update` with L2 regularization | 7 | automatic |
# | 3 | T8 | `config_softmax`: the prescribed configuration of softmax regression | 3 | automatic |
# | 3 | T9 | `config_twolayer`: the prescribed configuration of the two-layer network | 4 | automatic |
# | 3 | E1 | learning rates: findings | 4 | by hand |
# | 3 | E2 | regularization strengths: findings | 4 | by hand |
# | 3 | E3 | your tuned configuration | 3 | by hand |
# | | | **total** | **100** | |

# %% [markdown] nbgrader={"grade": false, "grade_id": "collaborators_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Collaborators
#
# **C (1 point).** In the cell below, list everyone you worked with on this notebook (fellow students, tutors,
# study groups) and, for each, what you discussed (for example "the lemma of Q5", "the shapes in T6"). If you
# worked alone, write "none". Keep this cell up to date until you hand in.

# %% [markdown] nbgrader={"grade": true, "grade_id": "collaborators", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Model answer (either form is complete):
#
# - *None.*
# - *aa1235: we discussed how to show that a DAG has a source (Q5) and checked the shapes of the gradients in T6
#   together; each of us wrote our own proofs and code. aa1236: we compared which learning rates we would tune
#   from after E1.*
#
# *Grading:* 1 point when the cell says "none" or names each collaborator with what was discussed; 0 points when
# it is left as it was handed out, or lists names without saying what was discussed. Whom and how much a student
# worked with never changes this point: it is given for saying so. Work that is not the student's own is a matter
# for the course's rules on academic integrity, not for this cell.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import ast
import copy
import inspect
import linecache
import os
import textwrap
import time
from types import SimpleNamespace

# One BLAS thread: the matrix products of mini-batch training are small, and several threads mostly wait for
# each other (many times slower on a busy machine). This must come before numpy is imported.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import matplotlib.pyplot as plt
import numpy as np

# True while the notebook is being graded: the cells that only feed the written answers then run shorter.
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


# %% [markdown] nbgrader={"grade": false, "grade_id": "part1_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Part 1: theory and a paper review
#
# Write each answer in the cell below its question, in Markdown with LaTeX (`$...$`). A proof states what
# is given, then each step with its reason. Throughout, $\|\cdot\|_2$ is the Euclidean norm and all functions
# are differentiable where we differentiate them.
#
# ## Optimization
#
# **Q1 (4 points).** Let $f: \mathbb{R}^n \to \mathbb{R}$ be differentiable and $x_0 \in \mathbb{R}^n$. The level
# set through $x_0$ is $L_{f(x_0)} = \{x \in \mathbb{R}^n : f(x) = f(x_0)\}$. Let $r: \mathbb{R} \to \mathbb{R}^n$ be any
# differentiable curve that lies in this level set, $r(t) \in L_{f(x_0)}$ for all $t$, with $r(0) = x_0$.
# Show that the gradient $\nabla f(x_0)$ is orthogonal to the tangent $r'(0)$ of the curve. In one or two
# sentences, say what this means for the direction in which gradient descent moves.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q1_level_set", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# **Given.** $f(r(t)) = f(x_0)$ for every $t$, because the curve stays in the level set.
#
# **Proof.** The right-hand side is a constant, so the derivative of the left-hand side with respect to $t$ is
# zero. By the chain rule (a scalar function of the vector $r(t)$),
#
# $$0 = \frac{d}{dt} f(r(t)) = \sum_{k=1}^n \frac{\partial f}{\partial x_k}(r(t))\, r_k'(t) = \nabla f(r(t))^\top r'(t).$$
#
# At $t = 0$, $r(0) = x_0$, so $\nabla f(x_0)^\top r'(0) = 0$: the gradient is orthogonal to the tangent of every
# curve through $x_0$ inside the level set, that is, to the level set itself. $\blacksquare$
#
# **Meaning.** Moving along the level set does not change $f$ to first order; all the first-order change of
# $f$ lies along $\nabla f$, which is the direction of steepest ascent (by Cauchy-Schwarz, $\nabla f^\top u$ over
# unit vectors $u$ is largest for $u = \nabla f / \|\nabla f\|$). Gradient descent therefore steps
# perpendicular to the contour lines, towards lower level sets, which is the fastest local decrease (though
# on narrow valleys this direction zig-zags, and near saddle points the gradient is small and progress slows).
#
# *Grading:* 1 point for using that $f(r(t))$ is constant, so its derivative in $t$ is zero; 2 points for the
# chain rule, $\frac{d}{dt} f(r(t)) = \nabla f(r(t))^\top r'(t)$, evaluated at $t = 0$ to give
# $\nabla f(x_0)^\top r'(0) = 0$ (1 point if the chain rule is applied without the inner product written out or
# without saying where it is evaluated); 1 point for the meaning: gradient descent steps perpendicular to the
# level sets, along the direction of steepest decrease.

# %% [markdown] nbgrader={"grade": false, "grade_id": "q2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (5 points).** Let $g: \mathbb{R}^n \to \mathbb{R}$ be differentiable. Prove that if $g$ has a local minimum
# at $w^*$ (there is $\gamma > 0$ such that $g(w^*) \le g(w)$ whenever $\|w - w^*\|_2 < \gamma$), then
# $\nabla g(w^*) = 0$. Then show with a counterexample that the converse does not hold: a zero gradient does
# not imply a local minimum.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q2_local_minimum", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# **Proof.** Fix any direction $v \in \mathbb{R}^n$, $v \ne 0$, and let $\varphi(t) = g(w^* + t v)$ for real $t$.
# For $|t| < \gamma / \|v\|_2$ the point $w^* + tv$ is within $\gamma$ of $w^*$, so
# $\varphi(t) - \varphi(0) = g(w^* + tv) - g(w^*) \ge 0$. Since $g$ is differentiable, $\varphi$ is differentiable
# with $\varphi'(0) = \nabla g(w^*)^\top v$ (chain rule). Take the one-sided limits of the difference quotient:
#
# $$\varphi'(0) = \lim_{t \to 0^+} \frac{\varphi(t) - \varphi(0)}{t} \ge 0 \quad (\text{numerator} \ge 0,\ t > 0), \qquad
# \varphi'(0) = \lim_{t \to 0^-} \frac{\varphi(t) - \varphi(0)}{t} \le 0 \quad (\text{numerator} \ge 0,\ t < 0).$$
#
# So $\nabla g(w^*)^\top v = 0$ for every $v$. Choosing $v = \nabla g(w^*)$ gives $\|\nabla g(w^*)\|_2^2 = 0$, hence
# $\nabla g(w^*) = 0$. $\blacksquare$
#
# **The converse fails.** Take $g(x) = x^5$ on $\mathbb{R}$. Then $g'(x) = 5x^4$, so $g'(0) = 0$. But $0$ is not a
# local minimum: for every $\gamma > 0$ the point $x = -\gamma/2$ is within $\gamma$ of $0$ and
# $g(-\gamma/2) = -\gamma^5/32 < 0 = g(0)$. (Also $g''(0) = 20 \cdot 0^3 = 0$, so the second-derivative test says
# nothing here.) In several variables, $g(x, y) = x^2 - y^2$ has zero gradient at the origin, which is a saddle
# point: $g$ decreases along the $y$ axis.
#
# *Grading:* proof 3 points: 1 for reducing to one variable along a direction $v$ (or a coordinate direction),
# with $\varphi'(0) = \nabla g(w^*)^\top v$; 1 for the two one-sided difference quotients, $\ge 0$ for $t > 0$ and
# $\le 0$ for $t < 0$, using the local minimum inside the radius $\gamma$; 1 for concluding that every component
# (or $\|\nabla g(w^*)\|^2$) is zero. A proof for $n = 1$ only earns at most 2 of these 3. Counterexample 2 points:
# 1 for a function with zero gradient at a point ($x^3$, $x^5$, $x^2 - y^2$, ...), 1 for showing that the point is
# not a local minimum (points arbitrarily close with a smaller value; "the second derivative is zero" alone does
# not show it).

# %% [markdown] nbgrader={"grade": false, "grade_id": "q3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (4 points).** Prove that if a differentiable function $g: \mathbb{R}^n \to \mathbb{R}$ is convex, that is
# $g(k x + (1-k) y) \le k\, g(x) + (1-k)\, g(y)$ for all $x, y$ and all $k \in [0, 1]$, and $\nabla g(w^*) = 0$, then
# $w^*$ is a global minimum of $g$.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q3_convexity", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# **Step 1: a convex differentiable function lies above its tangent planes.** Take any $u$ and $w$ and
# $k \in (0, 1]$. Convexity with $x = u$, $y = w$ gives
# $g(w + k(u - w)) \le g(w) + k\,(g(u) - g(w))$. Subtract $g(w)$ and divide by $k > 0$:
#
# $$\frac{g(w + k(u - w)) - g(w)}{k} \le g(u) - g(w).$$
#
# As $k \to 0^+$ the left side tends to the directional derivative $\nabla g(w)^\top (u - w)$ (differentiability),
# so $g(u) \ge g(w) + \nabla g(w)^\top (u - w)$ for all $u, w$.
#
# **Step 2.** Put $w = w^*$: since $\nabla g(w^*) = 0$, $g(u) \ge g(w^*) + 0$ for every $u \in \mathbb{R}^n$. So no point
# has a smaller value than $w^*$: it is a global minimum. $\blacksquare$
#
# (The first-order inequality is derived here from the definition, not assumed; it is not a Taylor
# expansion, which would only hold near $w$.)
#
# *Grading:* 2 points for the tangent-plane inequality $g(u) \ge g(w) + \nabla g(w)^\top (u - w)$ derived from the
# definition of convexity (divide by $k$, let $k \to 0^+$); quoted as a known property without derivation: 1 of
# the 2; a Taylor expansion that holds only near $w$: 0 of the 2. 1 point for putting $w = w^*$ and
# $\nabla g(w^*) = 0$; 1 point for concluding $g(u) \ge g(w^*)$ for **every** $u$, that is a global (not only
# local) minimum.

# %% [markdown] nbgrader={"grade": false, "grade_id": "q4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q4 (5 points).** The softmax turns logits $z \in \mathbb{R}^C$ into probabilities
# $s_i = \dfrac{e^{z_i}}{\sum_{k=1}^C e^{z_k}}$. Derive $\dfrac{\partial s_i}{\partial z_j}$ for $i = j$ and for $i \ne j$, and
# write the whole Jacobian $\partial s / \partial z$ as one matrix expression in $s$.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q4_softmax_jacobian", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# Write $S = \sum_k e^{z_k}$, so $s_i = e^{z_i} / S$ and $\partial S / \partial z_j = e^{z_j}$. By the quotient rule,
#
# $$\frac{\partial s_i}{\partial z_j} = \frac{\dfrac{\partial e^{z_i}}{\partial z_j}\, S - e^{z_i}\, e^{z_j}}{S^2}.$$
#
# **Case $i = j$.** $\partial e^{z_i} / \partial z_i = e^{z_i}$, so
# $\dfrac{\partial s_i}{\partial z_i} = \dfrac{e^{z_i} S - e^{z_i} e^{z_i}}{S^2} = \dfrac{e^{z_i}}{S}\left(1 - \dfrac{e^{z_i}}{S}\right) = s_i (1 - s_i)$.
#
# **Case $i \ne j$.** $\partial e^{z_i} / \partial z_j = 0$, so
# $\dfrac{\partial s_i}{\partial z_j} = \dfrac{-e^{z_i} e^{z_j}}{S^2} = -s_i s_j$.
#
# **Together.** $\dfrac{\partial s_i}{\partial z_j} = s_i(\delta_{ij} - s_j)$, with $\delta_{ij} = 1$ if $i = j$ and 0
# otherwise. As a matrix,
#
# $$\frac{\partial s}{\partial z} = \operatorname{diag}(s) - s s^\top,$$
#
# which is symmetric, and each of its rows sums to zero (the probabilities always sum to 1). With the
# cross-entropy $\ell = -\log s_y$ of the true class $y$, the chain rule gives
# $\partial \ell / \partial z_j = -\frac{1}{s_y} s_y(\delta_{yj} - s_j) = s_j - \delta_{yj}$: the gradient $s - \text{onehot}(y)$ used in Part 2.
#
# *Grading:* 1 point for the quotient rule (or the derivative of $\log s_i$) set up with
# $\partial S / \partial z_j = e^{z_j}$; 1 point for $s_i(1 - s_i)$ when $i = j$; 1 point for $-s_i s_j$ when
# $i \ne j$ (the sign matters); 2 points for the whole Jacobian as one matrix expression,
# $\operatorname{diag}(s) - s s^\top$ (1 point if only the entrywise form $s_i(\delta_{ij} - s_j)$ is given). The
# remark on the cross-entropy is not required.

# %% [markdown] nbgrader={"grade": false, "grade_id": "q5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Directed acyclic graphs
#
# A computation graph is a finite directed graph $G = (V, E)$. It is a **DAG** (directed acyclic graph) if it
# has no directed cycle. A **topological ordering** of $G$ is an ordering $v_1, v_2, \dots, v_n$ of all its
# vertices such that every edge $(v_i, v_j) \in E$ goes forward: $i < j$. (Backpropagation visits the nodes of a
# computation graph in the reverse of such an ordering.)
#
# **Q5 (4 points).** Prove that if $G$ is a DAG, then $G$ has a topological ordering.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q5_dag_ordering", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# **Lemma: a DAG with at least one vertex has a source** (a vertex with no incoming edge). Suppose not: then
# every vertex has an incoming edge. Start at any vertex $u_0$ and repeatedly step backwards along an incoming
# edge: $u_1 \to u_0$, $u_2 \to u_1$, and so on. After $n = |V|$ steps we have visited $n + 1$ vertices, so some
# vertex repeats, $u_a = u_b$ with $a < b$; the edges $u_b \to u_{b-1} \to \dots \to u_a$ form a directed cycle,
# a contradiction.
#
# **Proof by induction on $n = |V|$.** For $n = 1$ the single vertex is an ordering (a DAG has no self-loop).
# Assume every DAG with $n - 1 \ge 1$ vertices has a topological ordering, and let $G$ be a DAG with $n$
# vertices. By the lemma $G$ has a source $v$. Removing $v$ and its outgoing edges leaves a graph $G - v$ with
# $n - 1$ vertices; it has no cycle, since any cycle in it would also be a cycle in $G$. By the induction
# hypothesis $G - v$ has a topological ordering $w_1, \dots, w_{n-1}$. Then $v, w_1, \dots, w_{n-1}$ is a
# topological ordering of $G$: an edge between two $w$'s goes forward by the hypothesis, an edge leaving $v$
# goes forward because $v$ is first, and no edge enters $v$ because it is a source. $\blacksquare$
#
# *Grading:* 2 points for the lemma that a DAG has a vertex without incoming edges, with its proof (following
# incoming edges backwards must repeat a vertex, which closes a cycle); stated without proof: 1 of the 2.
# 1 point for the induction (or repeated removal) with the reason that removing a vertex leaves a DAG; 1 point for
# checking that putting the source first gives a topological ordering (every edge goes forward). Another correct
# proof (for example from a vertex without outgoing edges placed last, or by depth-first search) earns the same
# points.

# %% [markdown] nbgrader={"grade": false, "grade_id": "q6_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q6 (3 points).** Prove that if $G$ has a topological ordering, then $G$ is a DAG.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q6_ordering_dag", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# **Proof by contradiction.** Let $v_1, \dots, v_n$ be a topological ordering and suppose $G$ has a directed
# cycle $c_1 \to c_2 \to \dots \to c_m \to c_1$ ($m \ge 1$). Let $v_i$ be the vertex of the cycle that comes
# first in the ordering (smallest index $i$). On the cycle, some vertex $v_j$ has an edge into $v_i$ (its
# predecessor on the cycle; $v_j = v_i$ for a self-loop). Since $v_j$ is on the cycle and $v_i$ is the earliest,
# $j \ge i$. But the edge $(v_j, v_i)$ must go forward in a topological ordering, so $j < i$: a contradiction.
# Hence $G$ has no directed cycle; it is a DAG. $\blacksquare$
#
# *Grading:* 1 point for supposing a directed cycle and picking its vertex that comes first in the ordering (or
# following the indices around the cycle); 1 point for the edge of the cycle that enters that vertex, which goes
# backwards (or: the indices would have to increase all the way around the cycle and come back to where they
# started); 1 point for the contradiction with the definition of a topological ordering and the conclusion.

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Paper review
#
# Everything in this notebook trains the **weights** of a network whose architecture we fix in advance. The
# following paper turns this around: it fixes the weights and searches for the architecture.
#
# > Adam Gaier and David Ha, "Weight Agnostic Neural Networks", *Advances in Neural Information Processing
# > Systems 32* (NeurIPS 2019), pp. 5364-5378. arXiv:1906.04358, <https://arxiv.org/abs/1906.04358>
# > (an interactive version is at <https://weightagnostic.github.io/>).
#
# Read the paper (the appendix is optional), then answer in your own words: about 300 to 500 words for Q7 and
# 200 to 350 for Q8; quote the paper only where you comment on the quotation. Q8 asks you to relate the paper to
# the course: you may write it after Part 3.
#
# **Q7 (5 points).** Summarize the paper: the question it asks, how it evaluates a network without training its
# weights, how it searches for architectures, and what its experiments show. Then give two strengths and two
# weaknesses of the work, each with its reason.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q7_paper_summary", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# **Question.** How much of what a network can do comes from its architecture rather than from its trained
# weights? Animals born able to run or swim suggest that structure alone can encode a behaviour. The authors
# look for *weight agnostic* networks: architectures that perform a task with no weight training at all.
#
# **Evaluation without training.** All connections of a candidate network share **one** weight value. During
# the search the network is evaluated at a series of values of that shared weight ($-2, -1, -0.5, 0.5, 1, 2$),
# and what counts is its performance averaged over them; the final networks are also tested with a shared
# weight drawn at random from a uniform range. This reduces the weight space to a single number and rewards
# architectures whose behaviour comes from their wiring and activation functions, not from a tuned weight.
#
# **Search.** An evolutionary topology search in the spirit of NEAT: start from minimal networks (some inputs
# wired straight to the outputs, no hidden units); each child differs from its parent by one change: a node
# inserted into a connection, a new feed-forward connection, or a new activation function for a hidden node
# (chosen from linear, step, sine, cosine, Gaussian, tanh, sigmoid, inverse, absolute value, ReLU). The
# population is ranked by Pareto dominance on the mean performance, the performance at the best weight value
# and the number of connections, so that simpler networks are preferred; the best ranked are varied again.
#
# **Results.** On continuous-control tasks (cart-pole swing-up, a bipedal walker, car racing) the networks found
# solve the task to a large degree with a random shared weight, far better than a standard architecture with
# random weights; tuning the single shared weight, then training all weights, brings them close to networks
# trained the usual way, with far fewer connections. On MNIST a network with random shared weights is far above
# chance, and the ensemble of the same network at several weight values reaches about 92% test accuracy, about
# what a trained linear classifier gets.
#
# **Strengths.** (1) A clear new question with a simple experiment that separates the architecture from the
# weights: weight sharing makes "performance without training" measurable. (2) The networks are small enough to
# read: one can see which inputs drive which outputs. Further: an ensemble comes for free (one network, several
# weight values), and a network that works for any weight is a good start for training.
#
# **Weaknesses.** (1) The training is moved, not removed: the search evaluates thousands of networks at several
# weights and many trials each, and the architecture is optimized on the task itself, so the task is learned
# into the topology. (2) The accuracy stays well below trained networks on perception (about 92% on MNIST,
# against over 99% for a small convolutional network), and the tasks are small; it is not shown that the method
# scales to large inputs or large networks. Further: each node may have its own activation function, which makes
# the comparison with standard networks less direct.
#
# *Grading:* 1 point for the evaluation with one shared weight at several values, averaged (not "no weights" or
# "random weights per connection"); 1 point for the architecture search (an evolutionary / topology search from
# minimal networks that adds nodes and connections and changes activations, ranked on performance and simplicity);
# 1 point for the results (control tasks done without weight training, MNIST well above chance but below
# trained networks; the exact numbers are not needed); 1 point for two strengths and 1 point for two weaknesses,
# each with a reason (a strength or weakness that is only named, such as "novel" or "not practical", does not
# count). Other well-argued strengths and weaknesses earn the same points as those above.

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_reflection_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q8 (3 points).** Your reflection: what did you take away from the paper, and how does it relate to what you
# do in this course? Connect it to at least two specific things from the course (the lectures or this notebook)
# and say what question or idea it leaves you with.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q8_paper_reflection", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# *One possible answer; a reflection is the student's own, and a different position, argued, earns the same
# points.*
#
# What I take away is that "training" a network is a choice of what to optimize. In this course we fix the
# architecture (the two-layer sigmoid network of T6) and optimize its weights with gradients computed by
# backpropagation; the paper fixes the weights to one shared value and optimizes the architecture, with an
# evolutionary search, because a change of topology is discrete and has no gradient.
#
# * **Our untrained network does nothing; theirs already works.** In E1 our network starts from tiny random
#   weights, every hidden unit outputs about 0.5, and the accuracy stays at 0.1 until SGD leaves the plateau: all
#   of its ability lies in the trained weights. A weight agnostic network is built so that the wiring alone
#   computes something useful, whatever the weight.
# * **MNIST as a scale.** Our softmax regression (T8) reaches a test accuracy of about 0.92, about what the
#   paper's MNIST network gets with an ensemble of shared weight values and no trained weights, while our trained
#   two-layer network gets more. So for perception the architecture alone gives a linear model's accuracy, and
#   trained weights still add the rest.
# * **Computation graphs.** The networks of the paper are directed acyclic graphs of any shape, not layers;
#   their output is computed by visiting the nodes in a topological ordering (Q5, Q6), and the search keeps them
#   acyclic by adding connections only from earlier to later nodes. Backpropagation would work on such a graph
#   in the reverse order.
#
# The question it leaves me with: would a weight agnostic architecture, with its weights then trained by SGD,
# skip the plateau of E1 and need less tuning of the learning rate and of $\lambda$? The weight decay of E2
# scales all weights towards zero at once, which is the one direction a network with a shared weight is built
# to be robust to.
#
# *Grading:* 1 point for a personal position or takeaway that is argued (not a second summary of the paper);
# 1 point for at least two specific and correct connections to the course (for example: weights trained by
# gradient descent against an architecture found without gradients; the plateau at initialization; softmax
# regression's accuracy on MNIST; inductive bias of an architecture such as convolutions; computation graphs and
# their ordering; regularization; 0 points for only one); 1 point for a question, idea or limitation that
# follows from the reflection, with a reason.

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Part 2: the building blocks
#
# ## T1. Data
#
# MNIST holds 70,000 grey images of handwritten digits, 28 x 28 pixels with values 0 (black) to 255 (white),
# with labels 0 to 9 (Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to
# document recognition", Proc. IEEE 86(11), 1998). The official files hold 60,000 training images and 10,000
# test images. The course loader reads them:

# %% nbgrader={"grade": false, "grade_id": "load_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
X_train_raw, y_train_raw, X_test_raw, y_test_raw = load_mnist()
print("training images:", X_train_raw.shape, X_train_raw.dtype, " labels:", y_train_raw.shape)
print("test images:    ", X_test_raw.shape, X_test_raw.dtype, " labels:", y_test_raw.shape)

# %% nbgrader={"grade": false, "grade_id": "self_check_helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Two helpers of the self-check cells (provided; do not edit). Each task's self-check cell asserts: run it before you
# move on, it fails with a message when something is wrong. The hidden tests check more, on other inputs.


def relative_error(yours, expected):
    """|yours - expected| / (|yours| + |expected|), over the whole arrays (0 when both are 0).

    A gradient that agrees with its finite-difference estimate has a relative error below 1e-6; a missing 1/N, a
    mean in place of a sum or a wrong derivative give 1e-3 or more. The shapes must agree.
    """
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    assert yours.shape == expected.shape, f"shape {yours.shape}, expected {expected.shape}"
    scale = np.linalg.norm(yours) + np.linalg.norm(expected)
    return float(np.linalg.norm(yours - expected) / scale) if scale > 0 else 0.0


def python_loop_lines(*funcs):
    """The no-loop rule as the tests read it: the lines of the answer cells defining `funcs` with a Python loop
    (for, while, a comprehension) or a call of np.vectorize, np.frompyfunc, np.apply_along_axis or map.
    Loops over a literal tuple or list, over range(<constants>) and over a dict's keys, values or items (or over
    .weights / .gradients) are allowed."""
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


# %% [markdown] nbgrader={"grade": false, "grade_id": "prepare_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Our models take each image as a row vector of $D = 784$ numbers. Prepare the data in two functions:
#
# * `prepare_mnist` flattens every image (row-major, `reshape`), scales the pixels to $[0, 1]$ by dividing by
#   255, and stores them as `float32` (half the memory of `float64`, and matrix products about twice as fast);
#   labels become `int64`. It keeps a **fixed** validation set: the **last** `num_val` training images (no
#   shuffling), so that every run compares models on the same images. The test set is used once, at the end.
# * `generate_batched_data` cuts a data set into mini-batches of `batch_size` rows, in order; the last batch
#   holds what is left (it is smaller when `batch_size` does not divide $N$). With `shuffle=True` it first
#   reorders the rows with the permutation `np.random.default_rng(seed).permutation(N)`, the same one for
#   data and labels, so that a seed gives the same batches every time.

# %% nbgrader={"grade": false, "grade_id": "prepare_data", "locked": false, "schema_version": 3, "solution": true, "task": false}
def prepare_mnist(X_train, y_train, X_test, y_test, num_val=10000):
    """Flatten and scale the MNIST images, and split a fixed validation set off the training images.

    Parameters
    ----------
    X_train : ndarray of uint8, shape (M, 28, 28)   the official training images
    y_train : ndarray of uint8, shape (M,)          their labels, 0..9
    X_test : ndarray of uint8, shape (T, 28, 28)    the official test images
    y_test : ndarray of uint8, shape (T,)
    num_val : int                                    how many training images to hold out for validation

    Returns
    -------
    train_data : ndarray of float32, shape (M - num_val, 784)   the first M - num_val images, pixels in [0, 1]
    train_label : ndarray of int64, shape (M - num_val,)
    val_data : ndarray of float32, shape (num_val, 784)         the last num_val training images
    val_label : ndarray of int64, shape (num_val,)
    test_data : ndarray of float32, shape (T, 784)
    test_label : ndarray of int64, shape (T,)
    """
    # TODO: flatten each image to one row (reshape to (number of images, 784)), divide by 255 and store as
    # float32; convert the labels to int64. Split at M - num_val: the first part trains, the last num_val
    # images validate. Do not shuffle.
    ### BEGIN SOLUTION
    def flat(images):
        return images.reshape(len(images), -1).astype(np.float32) / 255

    n_train = len(X_train) - num_val
    data, label = flat(X_train), y_train.astype(np.int64)
    return (data[:n_train], label[:n_train], data[n_train:], label[n_train:],
            flat(X_test), y_test.astype(np.int64))
    ### END SOLUTION


def generate_batched_data(data, label, batch_size=32, shuffle=False, seed=None):
    """Cut a data set into mini-batches.

    Parameters
    ----------
    data : ndarray, shape (N, D)
    label : ndarray, shape (N,)
    batch_size : int       B, the number of rows per batch (the last batch may be smaller)
    shuffle : bool         reorder the rows first, with np.random.default_rng(seed).permutation(N)
    seed : int or None     the seed of that generator

    Returns
    -------
    batched_data : list of ndarray, each of shape (B, D), the last of shape (N - B * (ceil(N / B) - 1), D)
    batched_label : list of ndarray, each of shape (B,) (the last one possibly shorter), matching batched_data
    """
    # TODO: if shuffle, draw one permutation of range(N) from np.random.default_rng(seed) and apply it to
    # both data and label. Then slice consecutive blocks of batch_size rows; keep the last, shorter block.
    ### BEGIN SOLUTION
    if shuffle:
        order = np.random.default_rng(seed).permutation(len(data))
        data, label = data[order], label[order]
    starts = range(0, len(data), batch_size)
    return [data[i:i + batch_size] for i in starts], [label[i:i + batch_size] for i in starts]
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "prepare_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
DATA = prepare_mnist(X_train_raw, y_train_raw, X_test_raw, y_test_raw)
train_data, train_label, val_data, val_label, test_data, test_label = DATA
expected_shapes = [(50000, 784), (50000,), (10000, 784), (10000,), (10000, 784), (10000,)]
for name, array, shape in zip(["train_data", "train_label", "val_data", "val_label", "test_data", "test_label"],
                              DATA, expected_shapes):
    print(f"{name:12s} shape {str(array.shape):13s} dtype {str(array.dtype):8s} expected {shape}")
print(f"pixel range of train_data: {train_data.min().item():.1f} .. {train_data.max().item():.1f}   expected 0.0 .. 1.0")
print("first 5 training labels:", train_label[:5], "  expected [5 0 4 1 9]")
print("first 5 validation labels:", val_label[:5], "  expected [3 8 6 9 6]")
assert [a.shape for a in DATA] == expected_shapes, "prepare_mnist returns arrays of the wrong shapes"
assert all(a.dtype == np.float32 for a in DATA[0::2]) and all(a.dtype == np.int64 for a in DATA[1::2]), \
    "images float32, labels int64"
assert np.array_equal(train_label[:5], [5, 0, 4, 1, 9]) and np.array_equal(val_label[:5], [3, 8, 6, 9, 6]), \
    "the training set is the first 50,000 images, the validation set the last 10,000 (no shuffling)"
assert np.allclose(train_data[0].reshape(28, 28) * 255, X_train_raw[0]), "flatten row-major and divide by 255"
# another call: 12 images, 3 of them for validation
check_out = prepare_mnist(X_train_raw[:12], y_train_raw[:12], X_test_raw[:4], y_test_raw[:4], num_val=3)
assert [a.shape for a in check_out] == [(9, 784), (9,), (3, 784), (3,), (4, 784), (4,)], \
    "prepare_mnist must split at M - num_val for any M and num_val"
assert np.array_equal(check_out[3], y_train_raw[9:12]), "the validation set is the last num_val images"

toy_x = np.arange(14).reshape(7, 2)
toy_y = np.arange(7)
toy_batches, toy_labels = generate_batched_data(toy_x, toy_y, batch_size=3)
print("batch sizes:", [len(b) for b in toy_labels], "  expected [3, 3, 1]")
assert [len(b) for b in toy_labels] == [3, 3, 1] and np.array_equal(np.concatenate(toy_labels), toy_y), \
    "batches of batch_size rows in order, the last one holding what is left"
toy_batches, toy_labels = generate_batched_data(toy_x, toy_y, batch_size=3, shuffle=True, seed=0)
print("shuffled labels:", np.concatenate(toy_labels), "  expected a permutation of 0..6")
print("rows still match their labels:", all(np.array_equal(b[:, 0] // 2, l) for b, l in zip(toy_batches, toy_labels)),
      "  expected True")
assert sorted(np.concatenate(toy_labels)) == list(range(7)), "shuffling must use every row once"
assert all(np.array_equal(b[:, 0] // 2, l) for b, l in zip(toy_batches, toy_labels)), \
    "shuffle data and labels with the same permutation"
assert np.array_equal(np.concatenate(toy_labels), np.random.default_rng(0).permutation(7)), \
    "shuffle with np.random.default_rng(seed).permutation(N)"
print("T1 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_prepare_data", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
assert [a.shape for a in DATA] == expected_shapes, "prepare_mnist returns arrays of the wrong shapes (see the docstring)"
assert all(a.dtype == np.float32 for a in DATA[0::2]), "the images must be float32"
assert all(np.issubdtype(a.dtype, np.integer) for a in DATA[1::2]), "the labels must be integers"
assert 0.0 <= train_data.min() and train_data.max() <= 1.0 and train_data.max() > 0.99, "scale the pixels to [0, 1]"
assert np.array_equal(val_label[:5], [3, 8, 6, 9, 6]), "the validation set must be the last 10,000 training images"
assert [len(b) for b in generate_batched_data(toy_x, toy_y, batch_size=3)[1]] == [3, 3, 1], \
    "batches of 3 rows, the last one holding what is left"

_raw = (np.arange(12 * 784) % 256).astype(np.uint8).reshape(12, 28, 28)  # another call: 12 images, 3 validate
_out = prepare_mnist(_raw, np.arange(12, dtype=np.uint8), _raw[:4], np.arange(4, dtype=np.uint8), num_val=3)
assert [np.shape(a) for a in _out] == [(9, 784), (9,), (3, 784), (3,), (4, 784), (4,)], \
    "prepare_mnist must split at M - num_val for any M and num_val"
assert np.array_equal(_out[3], [9, 10, 11]) and np.allclose(_out[2][0] * 255, _raw[9].ravel()), \
    "the validation set is the last num_val images, flattened row-major and divided by 255"
_sb, _sl = generate_batched_data(toy_x, toy_y, batch_size=3, shuffle=True, seed=0)
assert all(np.array_equal(b[:, 0] // 2, l) for b, l in zip(_sb, _sl)), "shuffle data and labels with the same permutation"
assert np.array_equal(np.concatenate(_sl), np.random.default_rng(0).permutation(7)), \
    "shuffle with np.random.default_rng(seed).permutation(N)"

### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(8061)
_X = _rng.integers(0, 256, size=(23, 28, 28), dtype=np.uint8)
_y = _rng.integers(0, 10, size=23).astype(np.uint8)
_Xt = _rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
_yt = _rng.integers(0, 10, size=6).astype(np.uint8)
_out = prepare_mnist(_X, _y, _Xt, _yt, num_val=9)
assert len(_out) == 6, "prepare_mnist must return six arrays"
_flat = _X.reshape(23, 784).astype(np.float64) / 255.0
for _got, _want, _what in zip(_out, [_flat[:14], _y[:14], _flat[14:], _y[14:], _Xt.reshape(6, 784) / 255.0, _yt],
                              ["train_data", "train_label", "val_data", "val_label", "test_data", "test_label"]):
    assert np.shape(_got) == _want.shape, f"{_what} has the wrong shape for another num_val"
    assert np.allclose(_got, _want, atol=1e-6), \
        f"{_what} is wrong: flatten row-major, divide by 255, validation = the last num_val training images"
assert _out[0].dtype == np.float32 and _out[4].dtype == np.float32, "the images must be float32"

_N, _B = 29, 6
_d = np.repeat(np.arange(_N)[:, None], 3, axis=1) * 10.0
_l = np.arange(_N)
_bd, _bl = generate_batched_data(_d, _l, batch_size=_B)
assert [len(b) for b in _bd] == [6, 6, 6, 6, 5] and [len(b) for b in _bl] == [6, 6, 6, 6, 5], \
    "keep every row: full batches, then one shorter last batch"
assert np.array_equal(np.concatenate(_bl), _l) and np.array_equal(np.concatenate(_bd), _d), \
    "without shuffle the batches keep the original order"
_sd, _sl = generate_batched_data(_d, _l, batch_size=_B, shuffle=True, seed=314)
_sd2, _sl2 = generate_batched_data(_d, _l, batch_size=_B, shuffle=True, seed=314)
_sd3, _sl3 = generate_batched_data(_d, _l, batch_size=_B, shuffle=True, seed=271)
assert [len(b) for b in _sl] == [6, 6, 6, 6, 5], "shuffled batches have the same sizes"
assert np.array_equal(np.sort(np.concatenate(_sl)), _l), "shuffling must use every row exactly once"
assert not np.array_equal(np.concatenate(_sl), _l), "shuffle=True must reorder the rows"
assert all(np.array_equal(b[:, 0], 10.0 * l) for b, l in zip(_sd, _sl)), \
    "shuffle data and labels with the same permutation: rows no longer match their labels"
assert np.array_equal(np.concatenate(_sl), np.concatenate(_sl2)), "the same seed must give the same batches"
assert not np.array_equal(np.concatenate(_sl), np.concatenate(_sl3)), "different seeds must give different orders"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "activations_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T2. Activations
#
# The hidden layer of our network applies an elementwise nonlinearity. Two common ones, with their derivatives:
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,(1 - \sigma(x)), \qquad
# \operatorname{ReLU}(x) = \max(0, x), \qquad \operatorname{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}$$
#
# The derivative functions take the same input $x$ as the activation (the pre-activation), not its output.
# At $x = 0$ the ReLU has no derivative; we use $0$ there.

# %% nbgrader={"grade": false, "grade_id": "activations", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid(X):
    """The logistic sigmoid, elementwise.

    X : ndarray, any shape (S,)
    Returns an ndarray of shape (S,) and the dtype of X, values in (0, 1).
    """
    # TODO: the sigmoid sigma(X) of the equations above, elementwise; the result has the shape of X.
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-X))
    ### END SOLUTION


def sigmoid_dev(X):
    """The derivative of the sigmoid at X (X is the input of the sigmoid, not its output).

    X : ndarray, any shape (S,)
    Returns an ndarray of shape (S,): sigma'(X).
    """
    # TODO: sigma'(X) of the equations above, evaluated at the input X (the pre-activation, not sigma(X)); the
    # result has the shape of X. You may call your sigmoid.
    ### BEGIN SOLUTION
    s = sigmoid(X)
    return s * (1.0 - s)
    ### END SOLUTION


def ReLU(X):
    """The rectified linear unit max(0, X), elementwise.

    X : ndarray, any shape (S,)
    Returns an ndarray of shape (S,).
    """
    # TODO: ReLU(X) of the equations above, elementwise; the result has the shape of X.
    ### BEGIN SOLUTION
    return np.maximum(X, 0)
    ### END SOLUTION


def ReLU_dev(X):
    """The derivative of ReLU at X: 1 where X > 0, else 0 (also 0 at X == 0).

    X : ndarray, any shape (S,)
    Returns an ndarray of shape (S,) of 0.0 and 1.0.
    """
    # TODO: ReLU'(X) of the equations above, as floats (0.0 or 1.0), with the value 0 at X == 0; the shape of X.
    ### BEGIN SOLUTION
    return (X > 0).astype(float)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "activations_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
x_check = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
print("sigmoid:    ", np.round(sigmoid(x_check), 4), "  expected [0.1192 0.3775 0.5    0.6225 0.8808]")
print("sigmoid_dev:", np.round(sigmoid_dev(x_check), 4), "  expected [0.105  0.235  0.25   0.235  0.105 ]")
print("ReLU:       ", ReLU(x_check), "  expected [0.  0.  0.  0.5 2. ]")
print("ReLU_dev:   ", ReLU_dev(x_check), "  expected [0. 0. 0. 1. 1.]")
check_x2 = np.array([[3.0, -1.0], [0.0, -4.0]])  # another input, 2-D: the results keep its shape
for check_name, check_f, check_expected in [
        ("sigmoid", sigmoid, [[0.95257413, 0.26894142], [0.5, 0.01798621]]),
        ("sigmoid_dev", sigmoid_dev, [[0.04517666, 0.19661193], [0.25, 0.01766271]]),
        ("ReLU", ReLU, [[3.0, 0.0], [0.0, 0.0]]), ("ReLU_dev", ReLU_dev, [[1.0, 0.0], [0.0, 0.0]])]:
    check_out = check_f(check_x2)
    assert np.shape(check_out) == (2, 2) and np.allclose(check_out, check_expected), f"{check_name} is wrong on a 2-D input"
assert not python_loop_lines(sigmoid, sigmoid_dev, ReLU, ReLU_dev), \
    f"no-loop rule: line(s) {python_loop_lines(sigmoid, sigmoid_dev, ReLU, ReLU_dev)} of your answer cell"
print("T2 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_activations", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
assert np.allclose(sigmoid(x_check), [0.11920292, 0.37754067, 0.5, 0.62245933, 0.88079708]), "sigmoid is wrong"
assert np.allclose(sigmoid_dev(x_check), [0.10499359, 0.23500371, 0.25, 0.23500371, 0.10499359]), "sigmoid_dev is wrong"
assert np.allclose(ReLU(x_check), [0, 0, 0, 0.5, 2]), "ReLU is wrong"
assert np.allclose(ReLU_dev(x_check), [0, 0, 0, 1, 1]), "ReLU_dev is wrong"

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


_lines = _python_loops(sigmoid, sigmoid_dev, ReLU, ReLU_dev)
assert not _lines, ("no-loop rule: the answer cell of sigmoid, sigmoid_dev, ReLU and ReLU_dev has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")
_x2 = np.array([[3.0, -1.0], [0.0, -4.0]])  # another input, 2-D: the results keep its shape
for _name, _f, _expected in [("sigmoid", sigmoid, [[0.95257413, 0.26894142], [0.5, 0.01798621]]),
                             ("sigmoid_dev", sigmoid_dev, [[0.04517666, 0.19661193], [0.25, 0.01766271]]),
                             ("ReLU", ReLU, [[3.0, 0.0], [0.0, 0.0]]), ("ReLU_dev", ReLU_dev, [[1.0, 0.0], [0.0, 0.0]])]:
    _out = _f(_x2)
    assert np.shape(_out) == (2, 2) and np.allclose(_out, _expected), f"{_name} is wrong on a 2-D input"

### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(9120)
_x = _rng.uniform(-8, 8, size=(4, 7))
_x[0, :3] = 0.0
_sig = 1.0 / (1.0 + np.exp(-_x))
assert np.shape(sigmoid(_x)) == _x.shape and np.allclose(sigmoid(_x), _sig), "sigmoid is wrong on a 2-D array"
_fd = (1.0 / (1.0 + np.exp(-(_x + 1e-6))) - 1.0 / (1.0 + np.exp(-(_x - 1e-6)))) / 2e-6
assert np.shape(sigmoid_dev(_x)) == _x.shape, "sigmoid_dev must return an array of the shape of X"
assert np.allclose(sigmoid_dev(_x), _fd, atol=1e-7), \
    "sigmoid_dev does not match the slope of the sigmoid: evaluate sigma at the input X, then sigma * (1 - sigma)"
assert np.shape(ReLU(_x)) == _x.shape and np.allclose(ReLU(_x), np.where(_x > 0, _x, 0.0)), "ReLU is wrong on a 2-D array"
assert np.shape(ReLU_dev(_x)) == _x.shape and np.allclose(ReLU_dev(_x), (_x > 0).astype(float)), \
    "ReLU_dev must be 1 where X > 0 and 0 elsewhere (0 at X == 0)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "softmax_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T3. A numerically stable softmax
#
# For a batch of scores $S \in \mathbb{R}^{N \times C}$ (one row per sample, one column per class) the softmax
# works on each row: $P_{ic} = e^{S_{ic}} / \sum_{k} e^{S_{ik}}$. Computed as written it breaks down: in float64
# $e^{710}$ is already `inf`, and `inf / inf` is `nan`. Since the softmax does not change when a constant is
# added to a whole row (multiply numerator and denominator by $e^{-m}$), subtract each row's maximum
# $m_i = \max_k S_{ik}$ first. Then every exponent is at most $0$, and the largest term of every sum is $1$.

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(scores):
    """Row-wise softmax, stable for large scores.

    scores : ndarray, shape (N, C)   one row of class scores (logits) per sample
    Returns an ndarray of shape (N, C): each row is a probability distribution (non-negative, sums to 1).
    """
    # TODO: the row-wise softmax P of the equation above, made stable by the shift by each row's maximum m_i
    # described above; the result has the shape (N, C) of scores.
    ### BEGIN SOLUTION
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "softmax_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
scores_check = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 999.0]])
print(np.round(softmax(scores_check), 4))
print("expected\n[[0.09   0.2447 0.6652]\n [0.4223 0.4223 0.1554]]")
with np.errstate(all="raise"):  # an overflow fails the check
    check_p = softmax(np.array([[-800.0, -801.0], [5.0, 5.0], [0.0, 2.0]]))
assert np.shape(check_p) == (3, 2) and np.allclose(check_p, [[0.73105858, 0.26894142], [0.5, 0.5], [0.11920292, 0.88079708]]), \
    "softmax is wrong on another input (each row sums to 1; very negative scores too)"
assert not python_loop_lines(softmax), f"no-loop rule: line(s) {python_loop_lines(softmax)} of your answer cell"
print("T3 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_softmax", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
assert np.allclose(softmax(scores_check), [[0.09003057, 0.24472847, 0.66524096], [0.42231882, 0.42231882, 0.15536236]]), \
    "softmax is wrong on the self-check scores"

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


_lines = _python_loops(softmax)
assert not _lines, ("no-loop rule: the answer cell of softmax has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")
with np.errstate(all="raise"):  # an overflow fails the check
    _p = softmax(np.array([[-800.0, -801.0], [5.0, 5.0], [0.0, 2.0]]))
assert np.shape(_p) == (3, 2) and np.allclose(_p, [[0.73105858, 0.26894142], [0.5, 0.5], [0.11920292, 0.88079708]]), \
    "softmax is wrong on another input (each row sums to 1; very negative scores too)"

### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5772)
_z = _rng.normal(0.0, 3.0, size=(7, 4))
_ref = np.exp(_z - _z.max(axis=1, keepdims=True))
_ref = _ref / _ref.sum(axis=1, keepdims=True)
assert np.shape(softmax(_z)) == (7, 4), "softmax must return an array of the shape of scores"
assert np.allclose(softmax(_z), _ref, atol=1e-12), "softmax must normalise each row (over the classes, axis 1)"
_big = np.vstack([1000.0 + _rng.normal(0.0, 5.0, size=(3, 4)), -1000.0 + _rng.normal(0.0, 5.0, size=(2, 4))])
_big_ref = np.exp(_big - _big.max(axis=1, keepdims=True))
_big_ref = _big_ref / _big_ref.sum(axis=1, keepdims=True)
try:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _p_big = softmax(_big)
except FloatingPointError:
    raise AssertionError("softmax overflows for logits near 1000: subtract each row's maximum before np.exp") from None
assert np.all(np.isfinite(_p_big)), "softmax gives inf or nan for logits near +-1000"
assert np.allclose(_p_big, _big_ref, atol=1e-12), "softmax is wrong for logits near +-1000"
assert np.allclose(softmax(_z + 1000.0), _ref, atol=1e-12), "adding a constant to every score must not change the softmax"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "loss_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T4. Cross-entropy loss and accuracy
#
# Given the predicted probabilities $P \in \mathbb{R}^{N \times C}$ and the true labels $y \in \{0, \dots, C-1\}^N$,
# the cross-entropy loss is the **mean** over the batch of the negative log-probability of the true class,
#
# $$L = -\frac{1}{N} \sum_{i=1}^N \log P_{i, y_i},$$
#
# and the accuracy is the fraction of samples whose highest-scoring class (the `argmax` over the classes of a row)
# is the true label. Both return a Python `float`. Pick one entry per row with numpy's integer array indexing
# (an array of row indices with an array of column indices), not with a loop.

# %% nbgrader={"grade": false, "grade_id": "loss_accuracy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cross_entropy_loss(x_pred, y):
    """Mean cross-entropy of predicted probabilities.

    x_pred : ndarray, shape (N, C)   predicted probabilities, each row sums to 1
    y : ndarray of int, shape (N,)   true labels in 0..C-1
    Returns a float: the mean over the N samples of -log(the predicted probability of the true class).
    """
    # TODO: the loss L of the equation above: the mean over the N rows (not the sum), as a Python float.
    ### BEGIN SOLUTION
    n = len(y)
    return float(-np.mean(np.log(x_pred[np.arange(n), y])))
    ### END SOLUTION


def compute_accuracy(x_pred, y):
    """Fraction of correct predictions.

    x_pred : ndarray, shape (N, C)   scores or probabilities, one row per sample
    y : ndarray of int, shape (N,)   true labels in 0..C-1
    Returns a float in [0, 1]: the fraction of rows whose argmax over the C classes equals y.
    """
    # TODO: the accuracy defined above (the predicted class is the argmax over the C classes, axis 1), as a
    # Python float.
    ### BEGIN SOLUTION
    return float(np.mean(np.argmax(x_pred, axis=1) == y))
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "loss_accuracy_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
probs_check = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.25, 0.5, 0.25]])
labels_check = np.array([0, 2, 2, 1])
print(f"loss {cross_entropy_loss(probs_check, labels_check):.4f}   expected 0.7206")
print(f"accuracy {compute_accuracy(probs_check, labels_check):.4f}   expected 0.7500")
check_p = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])  # another batch, N = 3, C = 2
check_y = np.array([1, 1, 1])
assert np.isclose(cross_entropy_loss(check_p, check_y), 0.690491124, rtol=1e-7, atol=0), \
    "cross_entropy_loss is wrong on another batch (the mean, unrounded)"
assert np.isclose(compute_accuracy(check_p, check_y), 2 / 3), "compute_accuracy is wrong on another batch"
assert not python_loop_lines(cross_entropy_loss, compute_accuracy), \
    f"no-loop rule: line(s) {python_loop_lines(cross_entropy_loss, compute_accuracy)} of your answer cell"
print("T4 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_loss_accuracy", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
assert np.isclose(cross_entropy_loss(probs_check, labels_check), 0.72060090), "cross_entropy_loss is wrong on the self-check batch"
assert np.isclose(compute_accuracy(probs_check, labels_check), 0.75), "compute_accuracy is wrong on the self-check batch"

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


_lines = _python_loops(cross_entropy_loss, compute_accuracy)
assert not _lines, ("no-loop rule: the answer cell of cross_entropy_loss and compute_accuracy has a Python loop over the samples or "
                    f"np.vectorize / map (line {_lines}); use vectorized numpy")
_p = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])  # another batch, N = 3, C = 2
assert np.isclose(cross_entropy_loss(_p, np.array([1, 1, 1])), 0.690491124, rtol=1e-7, atol=0), \
    "cross_entropy_loss is wrong on another batch (the mean, unrounded)"
assert np.isclose(compute_accuracy(_p, np.array([1, 1, 1])), 2 / 3), "compute_accuracy is wrong on another batch"

### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(6626)
_e = np.exp(_rng.normal(0.0, 1.5, size=(13, 7)))
_p = _e / _e.sum(axis=1, keepdims=True)
_y = _rng.integers(0, 7, size=13)
_loss = cross_entropy_loss(_p, _y)
assert np.ndim(_loss) == 0, "cross_entropy_loss must return one number"
_ref = -np.mean(np.log(_p[np.arange(13), _y]))
assert not np.isclose(_loss, 13 * _ref), "cross_entropy_loss must average over the batch, not sum"
assert np.isclose(_loss, _ref, rtol=1e-6), "cross_entropy_loss is wrong on a hidden batch"
_s = _rng.normal(size=(37, 10))
_yy = np.where(_rng.random(37) < 0.6, _s.argmax(axis=1), _rng.integers(0, 10, size=37))
_acc = compute_accuracy(_s, _yy)
assert np.ndim(_acc) == 0, "compute_accuracy must return one number"
assert np.isclose(_acc, np.mean(_s.argmax(axis=1) == _yy)), \
    "compute_accuracy is wrong on a hidden batch: argmax over the classes (axis 1), compare with y"
_sq = _rng.normal(size=(10, 10))
_yq = _rng.integers(0, 10, size=10)
assert np.isclose(compute_accuracy(_sq, _yq), np.mean(_sq.argmax(axis=1) == _yq)), \
    "compute_accuracy is wrong on a square batch: take the argmax over the classes (axis 1)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "softmax_regression_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T5. Softmax regression
#
# Both models keep their parameters in a dictionary `self.weights` and, after a forward pass in training
# mode, the gradients of the loss in `self.gradients` (same keys, same shapes). A forward pass on a batch
# $X \in \mathbb{R}^{N \times D}$ with labels $y$ returns `(loss, accuracy)` as floats; in `mode="train"` it also fills
# `self.gradients` (any other mode, e.g. `"valid"`, only evaluates). The loss is the data loss of T4: the
# L2 penalty is the optimizer's business (T7). Read the parameters from `self.weights` at every call, and
# compute in the dtype of `X` and the weights (do not cast). A forward pass changes neither its inputs nor
# `self.weights`. Use your `softmax`, `cross_entropy_loss` and `compute_accuracy` (and in T6 your `sigmoid` and
# `sigmoid_dev`): the tests of T5 and T6 accept the values these give, so a mistake in T2 to T4 costs only the points
# of its own task. (The hidden batches of T5 and T6 have as many samples as classes, so that a function of T2 to T4
# that confuses the two axes still runs. One thing cannot be separated: if a function of T2 to T4 raises an error
# when your forward pass calls it, the forward pass cannot run, and T5 or T6 loses its points too.)
#
# Softmax regression is one fully-connected layer followed by the softmax, with $W_1 \in \mathbb{R}^{D \times C}$
# and $b_1 \in \mathbb{R}^C$:
#
# $$S = X W_1 + b_1, \qquad P = \operatorname{softmax}(S), \qquad L = -\frac{1}{N}\sum_i \log P_{i, y_i}.$$
#
# The backward pass is yours to derive. Start from the gradient of $L$ with respect to the scores $S$: Q4's Jacobian
# of the softmax, combined with the derivative of $-\log P_{i, y_i}$, gives it row by row (the one-hot matrix $Y$ of
# the labels, $Y_{ic} = 1$ if $c = y_i$, is a convenient way to write it). Then follow $S = X W_1 + b_1$ back to
# $W_1$ and $b_1$. Two things fix the answer: $L$ is the **mean** over the $N$ samples, so every gradient carries
# its $1/N$ once; and each gradient has the shape of what it differentiates: $\partial L/\partial S$ is
# $N \times C$, $\partial L/\partial W_1$ is $D \times C$ like $W_1$, $\partial L/\partial b_1$ has $C$ entries like
# $b_1$ (every sample's row contributes to it). The self-check compares your gradients with finite differences.

# %% nbgrader={"grade": false, "grade_id": "softmax_regression", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SoftmaxRegression:
    """Softmax regression: scores = X W1 + b1, probabilities = softmax(scores).

    weights : dict   "W1": ndarray, shape (D, C); "b1": ndarray, shape (C,)
    gradients : dict the gradients of the loss, same keys and shapes, filled by forward(mode="train")
    """

    def __init__(self, input_size=28 * 28, num_classes=10, seed=0, dtype=np.float32):
        self.input_size = input_size
        self.num_classes = num_classes
        rng = np.random.default_rng(seed)
        self.weights = {"W1": (0.001 * rng.standard_normal((input_size, num_classes))).astype(dtype),
                        "b1": np.zeros(num_classes, dtype=dtype)}
        self.gradients = {name: np.zeros_like(w) for name, w in self.weights.items()}

    def forward(self, X, y, mode="train"):
        """Loss and accuracy on a batch; in mode "train" also the gradients.

        X : ndarray, shape (N, D)        a batch of images, one per row
        y : ndarray of int, shape (N,)   their labels in 0..C-1
        mode : str                       "train" fills self.gradients["W1"] (D, C) and ["b1"] (C,)
        Returns (loss, accuracy): two floats, the mean cross-entropy and the fraction classified right.
        """
        # TODO: the forward pass of the equations above (S, P and L), with your softmax, cross_entropy_loss and
        # compute_accuracy. If mode == "train": the gradients of the mean loss L with respect to W1 and b1 (derive
        # them as described above), stored in self.gradients["W1"], shape (D, C), and self.gradients["b1"],
        # shape (C,).
        ### BEGIN SOLUTION
        W1, b1 = self.weights["W1"], self.weights["b1"]
        probs = softmax(X @ W1 + b1)
        loss = cross_entropy_loss(probs, y)
        accuracy = compute_accuracy(probs, y)
        if mode == "train":
            n = X.shape[0]
            d_scores = probs.copy()
            d_scores[np.arange(n), y] -= 1
            d_scores /= n
            self.gradients["W1"] = X.T @ d_scores
            self.gradients["b1"] = d_scores.sum(axis=0)
        return loss, accuracy
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "softmax_regression_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
def numerical_gradient(f, x, h=1e-6):
    """Central-difference gradient of the scalar function f() with respect to the float64 array x.

    x : ndarray, any shape (S,); it is changed in place one entry at a time and restored.
    Returns an ndarray of shape (S,).
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = f()
        x[index] = old - h
        f_minus = f()
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_check(model, X, y):
    """Assert, for each parameter, that model.gradients agrees with finite differences (relative error below 1e-6).

    Also checks what the tests check of every forward pass: it changes neither X, y nor the weights, and
    mode="valid" does not touch the gradients.
    """
    X_before, y_before = X.copy(), y.copy()
    weights_before = {name: np.array(w) for name, w in model.weights.items()}
    model.forward(X, y, mode="train")
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before), "forward must not change X or y"
    assert all(np.array_equal(model.weights[name], w) for name, w in weights_before.items()), \
        "forward must not change the weights (the step is the optimizer's, T7)"
    analytic = {name: np.array(g, dtype=np.float64) for name, g in model.gradients.items()}
    model.forward(X[::-1].copy(), y[::-1].copy(), mode="valid")
    assert all(np.array_equal(model.gradients[name], g) for name, g in analytic.items()), \
        "forward(mode='valid') must only evaluate: it changed self.gradients"
    for name in model.weights:
        numeric = numerical_gradient(lambda: model.forward(X, y, mode="valid")[0], model.weights[name])
        error = relative_error(analytic[name], numeric)
        print(f"  {name}: relative error {error:.1e}   expected below 1e-6")
        assert error < 1e-6, f"gradients[{name!r}] disagrees with finite differences of the loss"


check_rng = np.random.default_rng(0)
X_small = check_rng.normal(size=(6, 5))
y_small = np.array([0, 1, 2, 1, 0, 2])
softmax_check_model = SoftmaxRegression(input_size=5, num_classes=3)
softmax_check_model.weights["W1"] = check_rng.normal(size=(5, 3))
softmax_check_model.weights["b1"] = check_rng.normal(size=3)
small_loss, small_acc = softmax_check_model.forward(X_small, y_small)
print(f"small batch: loss {small_loss:.4f} (expected 1.9061), accuracy {small_acc:.4f} (expected 0.1667)")
assert np.isclose(small_loss, 1.90611075, rtol=1e-7, atol=0) and np.isclose(small_acc, 1 / 6), \
    "the loss or the accuracy of the small batch is wrong"
gradient_check(softmax_check_model, X_small, y_small)
gradient_check(softmax_check_model, X_small[:4] * 2.0, np.array([2, 0, 0, 1]))  # another batch, N = 4
first_loss, first_acc = SoftmaxRegression().forward(train_data[:64], train_label[:64], mode="valid")
print(f"untrained model on 64 training images: loss {first_loss:.4f}   expected about log(10) = 2.3026")
assert abs(first_loss - np.log(10)) < 0.01, "with tiny initial weights every class gets about 1/10: loss about log(10)"
assert not python_loop_lines(SoftmaxRegression.forward), \
    f"no-loop rule: line(s) {python_loop_lines(SoftmaxRegression.forward)} of your answer cell"
print("T5 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_softmax_regression", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
# Visible check: the parameters keep their shapes. The forward pass is checked on hidden batches.
_m = SoftmaxRegression(input_size=5, num_classes=3)
assert set(_m.weights) == {"W1", "b1"}, "keep the parameters W1 and b1 of __init__"
assert np.shape(_m.weights["W1"]) == (5, 3) and np.shape(_m.weights["b1"]) == (3,), \
    "keep __init__: W1 has shape (D, C) and b1 shape (C,)"

# T5 is judged on its own: the expected values are computed from the scores with the reference softmax, loss and
# accuracy, or with yours (T3, T4 are graded in their own tests), whichever your forward pass uses.
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


_lines = _python_loops(SoftmaxRegression.forward)
assert not _lines, ("no-loop rule: the answer cell of SoftmaxRegression has a Python loop over the samples or "
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


def _passes(*checks):
    """Do the earlier tasks' functions give their self-check values? (False if one raises.)"""
    try:
        return all(bool(check()) for check in checks)
    except Exception:
        return False


def _visible_checks(model, X, y, loss, accuracy):
    """The gradient check and the rules of every forward pass, on one small batch of the self-check."""
    w = {k: np.array(v, dtype=float) for k, v in model.weights.items()}
    for k in w:
        model.weights[k] = w[k]
    X_in, y_in = X.copy(), y.copy()
    got = model.forward(X_in, y_in, mode="train")
    assert isinstance(got, (tuple, list)) and len(got) == 2, "forward must return (loss, accuracy)"
    assert np.isclose(float(got[0]), loss, rtol=1e-7, atol=0) and np.isclose(float(got[1]), accuracy), \
        "forward returns the wrong loss or accuracy on the self-check batch (the unrounded mean cross-entropy)"
    assert np.array_equal(X_in, X) and np.array_equal(y_in, y), "forward must not change X or y"
    assert all(np.array_equal(np.asarray(model.weights[k]), w[k]) for k in w), \
        "forward must not change the weights (the step is the optimizer's, T7)"
    grads = {k: np.array(model.gradients[k], dtype=float) for k in w}
    model.forward(X[::-1].copy(), y[::-1].copy(), mode="valid")
    assert all(np.array_equal(np.asarray(model.gradients[k], dtype=float), grads[k]) for k in w), \
        "forward(mode='valid') must only evaluate: it changed self.gradients"

    def mean_loss():
        for k in w:
            model.weights[k] = w[k]
        return float(model.forward(X, y, mode="valid")[0])

    for k in w:
        assert grads[k].shape == w[k].shape, f"gradients[{k!r}] must have the shape of weights[{k!r}]"
        error = _rel(grads[k], _fd(mean_loss, w[k]))
        assert error < 1e-6, f"gradients[{k!r}] disagrees with finite differences of the loss (relative error {error:.1e})"

# Visible checks of the self-check batch (when softmax, cross_entropy_loss and compute_accuracy give their own
# self-check values, so that a mistake in T3 or T4 is not counted here): the loss to 7 digits, the gradients
# against finite differences, and the initial loss of an untrained model, about log(10).
_t2_t4 = [lambda: np.allclose(softmax(np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])),  # small scores: no overflow
                              [[0.09003057, 0.24472847, 0.66524096], [0.09003057, 0.24472847, 0.66524096]]),
          lambda: np.isclose(cross_entropy_loss(np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4],
                                                          [0.25, 0.5, 0.25]]), np.array([0, 2, 2, 1])),
                             0.720600897, rtol=1e-7, atol=0),
          lambda: np.isclose(cross_entropy_loss(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 1, 1])),
                             0.690491124, rtol=1e-7, atol=0),
          lambda: np.isclose(compute_accuracy(np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4],
                                                        [0.25, 0.5, 0.25]]), np.array([0, 2, 2, 1])), 0.75),
          lambda: np.isclose(compute_accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 1, 1])),
                             2 / 3)]
if _passes(*_t2_t4):
    _rng = np.random.default_rng(0)
    _X = _rng.normal(size=(6, 5))
    _m = SoftmaxRegression(input_size=5, num_classes=3)
    _m.weights["W1"], _m.weights["b1"] = _rng.normal(size=(5, 3)), _rng.normal(size=3)
    _visible_checks(_m, _X, np.array([0, 1, 2, 1, 0, 2]), 1.90611075, 1 / 6)
    _first = SoftmaxRegression().forward(np.random.default_rng(1).uniform(size=(16, 784)).astype(np.float32),
                                         np.arange(16) % 10, mode="valid")[0]
    assert abs(float(_first) - np.log(10)) < 0.01, "an untrained model gives every class about 1/10: loss about log(10)"

### BEGIN HIDDEN TESTS
def _ref_softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _yours(func, *args):
    """Your function of an earlier task on copies of args, as a float array (None if it fails)."""
    try:
        out = np.asarray(func(*[np.array(a) for a in args]), dtype=float)
    except Exception:  # an unfinished earlier task: only the reference counts
        return None
    return out if np.all(np.isfinite(out)) else None


def _mismatch(_P, _loss, _acc, _grads, _X, _y):
    """What in forward's results disagrees with the probabilities _P (None if nothing)."""
    _N = len(_y)
    _losses = [-np.mean(np.log(_P[np.arange(_N), _y])), _yours(cross_entropy_loss, _P, _y)]
    _accs = [np.mean(np.argmax(_P, axis=1) == _y), _yours(compute_accuracy, _P, _y)]
    if not any(_l is not None and np.shape(_l) == () and np.isclose(_loss, _l, rtol=1e-6) for _l in _losses):
        return "SoftmaxRegression.forward returns the wrong loss on a hidden batch (the mean cross-entropy of softmax(X W1 + b1))"
    if not any(_a is not None and np.shape(_a) == () and np.isclose(_acc, _a) for _a in _accs):
        return "SoftmaxRegression.forward returns the wrong accuracy on a hidden batch"
    _dS = (_P - np.eye(_P.shape[1])[_y]) / _N
    for _name, _want in (("W1", _X.T @ _dS), ("b1", _dS.sum(axis=0))):
        if not np.allclose(_grads[_name], _want, rtol=1e-5, atol=1e-7):
            return (f"gradients[{_name!r}] does not match the gradient of the mean loss on a hidden batch "
                    "(check the 1/N, the one-hot labels and the transpose)")
    return None


_rng = np.random.default_rng(2319)
_m0 = SoftmaxRegression()
assert set(_m0.weights) == {"W1", "b1"}, "keep the parameters W1 and b1 of __init__"
assert np.shape(_m0.weights["W1"]) == (784, 10) and np.shape(_m0.weights["b1"]) == (10,), \
    "keep __init__: W1 (784, 10) and b1 (10,) by default"
for _D, _C, _N in [(7, 4, 4), (5, 3, 3), (3, 6, 6)]:  # N = C: see the note in T5
    _X = _rng.normal(size=(_N, _D))
    _y = _rng.integers(0, _C, size=_N)
    _w = {"W1": _rng.normal(0.0, 0.7, size=(_D, _C)), "b1": _rng.normal(0.0, 0.7, size=_C)}
    _m = SoftmaxRegression(input_size=_D, num_classes=_C, seed=5)
    _m.weights["W1"], _m.weights["b1"] = _w["W1"].copy(), _w["b1"].copy()
    _Xin, _yin = _X.copy(), _y.copy()
    _res = _m.forward(_Xin, _yin, mode="train")
    assert isinstance(_res, (tuple, list)) and len(_res) == 2, "SoftmaxRegression.forward must return (loss, accuracy)"
    _loss, _acc = (float(np.asarray(_v)) for _v in _res)
    _grads = {_k: np.asarray(_m.gradients[_k], dtype=float) for _k in ("W1", "b1")}
    for _k in ("W1", "b1"):
        assert _grads[_k].shape == _w[_k].shape, f"gradients[{_k!r}] must have the shape of weights[{_k!r}], {_w[_k].shape}"
    assert np.array_equal(_Xin, _X) and np.array_equal(_yin, _y), "forward must not change X or y"
    assert all(np.array_equal(np.asarray(_m.weights[_k]), _w[_k]) for _k in _w), \
        "forward must not change the weights (the step is the optimizer's, T7)"
    _S = _X @ _w["W1"] + _w["b1"]
    _Ps = [_P for _P in (_ref_softmax(_S), _yours(softmax, _S)) if _P is not None and _P.shape == _S.shape]
    _problems = [_mismatch(_P, _loss, _acc, _grads, _X, _y) for _P in _Ps]
    assert None in _problems, _problems[0]
    _X2 = _rng.normal(size=(_N, _D))
    _y2 = _rng.integers(0, _C, size=_N)
    _m.forward(_X2, _y2, mode="valid")
    assert all(np.array_equal(np.asarray(_m.gradients[_k], dtype=float), _grads[_k]) for _k in _grads), \
        "forward(mode='valid') must only evaluate: it changed self.gradients"
    _lv, _av = (float(np.asarray(_v)) for _v in _m.forward(_X, _y, mode="valid"))
    assert np.isclose(_lv, _loss) and np.isclose(_av, _acc), "mode='valid' must return the same loss and accuracy as mode='train'"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "two_layer_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T6. A two-layer network
#
# The two-layer network puts a hidden layer of $H$ sigmoid units between the input and the softmax, with
# $W_1 \in \mathbb{R}^{D \times H}$, $b_1 \in \mathbb{R}^H$, $W_2 \in \mathbb{R}^{H \times C}$, $b_2 \in \mathbb{R}^C$:
#
# $$Z_1 = X W_1 + b_1, \qquad A_1 = \sigma(Z_1), \qquad S = A_1 W_2 + b_2, \qquad P = \operatorname{softmax}(S), \qquad L = -\frac{1}{N}\sum_i \log P_{i, y_i}.$$
#
# The backward pass applies the chain rule from the loss back to each parameter, one layer at a time: derive it.
# $\partial L/\partial S$ is the one of T5. The output layer $S = A_1 W_2 + b_2$ is T5's layer with $A_1$ in the
# place of $X$, and it also passes a gradient back to its input $A_1$. The sigmoid acts elementwise, so the gradient
# crosses it elementwise, with $\sigma'$ evaluated at $Z_1$. The hidden layer $Z_1 = X W_1 + b_1$ is again a layer like
# T5's. Every gradient has the shape of what it differentiates: $\partial L/\partial A_1$ and $\partial L/\partial Z_1$
# are $N \times H$, $\partial L/\partial W_2$ is $H \times C$, $\partial L/\partial W_1$ is $D \times H$. The self-check
# compares your gradients with finite differences.

# %% nbgrader={"grade": false, "grade_id": "two_layer_net", "locked": false, "schema_version": 3, "solution": true, "task": false}
class TwoLayerNet:
    """Input -> fully connected -> sigmoid -> fully connected -> softmax.

    weights : dict   "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,)
    gradients : dict the gradients of the loss, same keys and shapes, filled by forward(mode="train")
    """

    def __init__(self, input_size=28 * 28, num_classes=10, hidden_size=128, seed=0, dtype=np.float32):
        self.input_size = input_size
        self.num_classes = num_classes
        self.hidden_size = hidden_size
        rng = np.random.default_rng(seed)
        self.weights = {"W1": (0.001 * rng.standard_normal((input_size, hidden_size))).astype(dtype),
                        "b1": np.zeros(hidden_size, dtype=dtype),
                        "W2": (0.001 * rng.standard_normal((hidden_size, num_classes))).astype(dtype),
                        "b2": np.zeros(num_classes, dtype=dtype)}
        self.gradients = {name: np.zeros_like(w) for name, w in self.weights.items()}

    def forward(self, X, y, mode="train"):
        """Loss and accuracy on a batch; in mode "train" also the gradients of all four parameters.

        X : ndarray, shape (N, D)        a batch of images, one per row
        y : ndarray of int, shape (N,)   their labels in 0..C-1
        mode : str                       "train" fills self.gradients: "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,)
        Returns (loss, accuracy): two floats.
        """
        # TODO: the forward pass of the equations above (Z1, A1, S, P and L) with your sigmoid, softmax,
        # cross_entropy_loss and compute_accuracy. If mode == "train": the gradients of L by the chain rule, layer
        # by layer as described above, stored in self.gradients["W2"] (H, C), ["b2"] (C,), ["W1"] (D, H) and
        # ["b1"] (H,); sigma'(Z1) is sigmoid_dev evaluated at Z1.
        ### BEGIN SOLUTION
        W1, b1, W2, b2 = (self.weights[k] for k in ("W1", "b1", "W2", "b2"))
        z1 = X @ W1 + b1
        a1 = sigmoid(z1)
        probs = softmax(a1 @ W2 + b2)
        loss = cross_entropy_loss(probs, y)
        accuracy = compute_accuracy(probs, y)
        if mode == "train":
            n = X.shape[0]
            d_scores = probs.copy()
            d_scores[np.arange(n), y] -= 1
            d_scores /= n
            self.gradients["W2"] = a1.T @ d_scores
            self.gradients["b2"] = d_scores.sum(axis=0)
            d_z1 = (d_scores @ W2.T) * sigmoid_dev(z1)
            self.gradients["W1"] = X.T @ d_z1
            self.gradients["b1"] = d_z1.sum(axis=0)
        return loss, accuracy
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "two_layer_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
check_rng = np.random.default_rng(1)
two_layer_check_model = TwoLayerNet(input_size=5, num_classes=3, hidden_size=4)
for name, shape in [("W1", (5, 4)), ("b1", (4,)), ("W2", (4, 3)), ("b2", (3,))]:
    two_layer_check_model.weights[name] = check_rng.normal(size=shape)
small_loss2, small_acc2 = two_layer_check_model.forward(X_small, y_small)
print(f"small batch: loss {small_loss2:.4f} (expected 2.2001), accuracy {small_acc2:.4f} (expected 0.1667)")
assert np.isclose(small_loss2, 2.20009565, rtol=1e-7, atol=0) and np.isclose(small_acc2, 1 / 6), \
    "the loss or the accuracy of the small batch is wrong"
gradient_check(two_layer_check_model, X_small, y_small)
gradient_check(two_layer_check_model, X_small[:4] * 2.0, np.array([2, 0, 0, 1]))  # another batch, N = 4
first_loss2, _ = TwoLayerNet().forward(train_data[:64], train_label[:64], mode="valid")
print(f"untrained network on 64 training images: loss {first_loss2:.4f}   expected about log(10) = 2.3026")
assert abs(first_loss2 - np.log(10)) < 0.01, "with tiny initial weights every class gets about 1/10: loss about log(10)"
assert not python_loop_lines(TwoLayerNet.forward), \
    f"no-loop rule: line(s) {python_loop_lines(TwoLayerNet.forward)} of your answer cell"
print("T6 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_two_layer_net", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
# Visible check: the parameters keep their shapes. The forward pass is checked on hidden batches.
_m = TwoLayerNet(input_size=5, num_classes=3, hidden_size=4)
assert set(_m.weights) == {"W1", "b1", "W2", "b2"}, "keep the parameters W1, b1, W2, b2 of __init__"
for _name, _shape in [("W1", (5, 4)), ("b1", (4,)), ("W2", (4, 3)), ("b2", (3,))]:
    assert np.shape(_m.weights[_name]) == _shape, f"keep __init__: weights[{_name!r}] has shape {_shape}"

# T6 is judged on its own: the expected values are computed with the reference sigmoid, sigmoid', softmax, loss and
# accuracy, or with yours (T2 to T4 are graded in their own tests), whichever your forward pass uses.
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


_lines = _python_loops(TwoLayerNet.forward)
assert not _lines, ("no-loop rule: the answer cell of TwoLayerNet has a Python loop over the samples or "
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


def _passes(*checks):
    """Do the earlier tasks' functions give their self-check values? (False if one raises.)"""
    try:
        return all(bool(check()) for check in checks)
    except Exception:
        return False


def _visible_checks(model, X, y, loss, accuracy):
    """The gradient check and the rules of every forward pass, on one small batch of the self-check."""
    w = {k: np.array(v, dtype=float) for k, v in model.weights.items()}
    for k in w:
        model.weights[k] = w[k]
    X_in, y_in = X.copy(), y.copy()
    got = model.forward(X_in, y_in, mode="train")
    assert isinstance(got, (tuple, list)) and len(got) == 2, "forward must return (loss, accuracy)"
    assert np.isclose(float(got[0]), loss, rtol=1e-7, atol=0) and np.isclose(float(got[1]), accuracy), \
        "forward returns the wrong loss or accuracy on the self-check batch (the unrounded mean cross-entropy)"
    assert np.array_equal(X_in, X) and np.array_equal(y_in, y), "forward must not change X or y"
    assert all(np.array_equal(np.asarray(model.weights[k]), w[k]) for k in w), \
        "forward must not change the weights (the step is the optimizer's, T7)"
    grads = {k: np.array(model.gradients[k], dtype=float) for k in w}
    model.forward(X[::-1].copy(), y[::-1].copy(), mode="valid")
    assert all(np.array_equal(np.asarray(model.gradients[k], dtype=float), grads[k]) for k in w), \
        "forward(mode='valid') must only evaluate: it changed self.gradients"

    def mean_loss():
        for k in w:
            model.weights[k] = w[k]
        return float(model.forward(X, y, mode="valid")[0])

    for k in w:
        assert grads[k].shape == w[k].shape, f"gradients[{k!r}] must have the shape of weights[{k!r}]"
        error = _rel(grads[k], _fd(mean_loss, w[k]))
        assert error < 1e-6, f"gradients[{k!r}] disagrees with finite differences of the loss (relative error {error:.1e})"

# Visible checks of the self-check batch (when sigmoid, sigmoid_dev, softmax, cross_entropy_loss and
# compute_accuracy give their own self-check values, so that a mistake in T2 to T4 is not counted here).
_t2_t4 = [lambda: np.allclose(softmax(np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])),  # small scores: no overflow
                              [[0.09003057, 0.24472847, 0.66524096], [0.09003057, 0.24472847, 0.66524096]]),
          lambda: np.isclose(cross_entropy_loss(np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4],
                                                          [0.25, 0.5, 0.25]]), np.array([0, 2, 2, 1])),
                             0.720600897, rtol=1e-7, atol=0),
          lambda: np.isclose(cross_entropy_loss(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 1, 1])),
                             0.690491124, rtol=1e-7, atol=0),
          lambda: np.isclose(compute_accuracy(np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4],
                                                        [0.25, 0.5, 0.25]]), np.array([0, 2, 2, 1])), 0.75),
          lambda: np.isclose(compute_accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 1, 1])),
                             2 / 3)]
_t2_t4 += [lambda: np.allclose(sigmoid(np.array([-2.0, 0.0, 2.0])), [0.11920292, 0.5, 0.88079708]),
           lambda: np.allclose(sigmoid_dev(np.array([-2.0, 0.0, 2.0])), [0.10499359, 0.25, 0.10499359])]
if _passes(*_t2_t4):
    _rng = np.random.default_rng(1)
    _X = np.random.default_rng(0).normal(size=(6, 5))
    _m = TwoLayerNet(input_size=5, num_classes=3, hidden_size=4)
    for _name, _shape in [("W1", (5, 4)), ("b1", (4,)), ("W2", (4, 3)), ("b2", (3,))]:
        _m.weights[_name] = _rng.normal(size=_shape)
    _visible_checks(_m, _X, np.array([0, 1, 2, 1, 0, 2]), 2.20009565, 1 / 6)
    _first = TwoLayerNet().forward(np.random.default_rng(1).uniform(size=(16, 784)).astype(np.float32),
                                   np.arange(16) % 10, mode="valid")[0]
    assert abs(float(_first) - np.log(10)) < 0.01, "an untrained network gives every class about 1/10: loss about log(10)"

### BEGIN HIDDEN TESTS
def _ref_softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _yours(func, *args):
    """Your function of an earlier task on copies of args, as a float array (None if it fails)."""
    try:
        out = np.asarray(func(*[np.array(a) for a in args]), dtype=float)
    except Exception:  # an unfinished earlier task: only the reference counts
        return None
    return out if np.all(np.isfinite(out)) else None


def _shaped(*arrays, like):
    return [a for a in arrays if a is not None and a.shape == like.shape]


def _mismatch(_A, _P, _dA, _loss, _acc, _grads, _X, _y, _w):
    """What in forward's results disagrees with the activations _A, probabilities _P and sigma' _dA (None if nothing)."""
    _N = len(_y)
    _losses = [-np.mean(np.log(_P[np.arange(_N), _y])), _yours(cross_entropy_loss, _P, _y)]
    _accs = [np.mean(np.argmax(_P, axis=1) == _y), _yours(compute_accuracy, _P, _y)]
    if not any(_l is not None and np.shape(_l) == () and np.isclose(_loss, _l, rtol=1e-6) for _l in _losses):
        return ("TwoLayerNet.forward returns the wrong loss for hidden weights (sigmoid hidden layer, then softmax, "
                "mean cross-entropy)")
    if not any(_a is not None and np.shape(_a) == () and np.isclose(_acc, _a) for _a in _accs):
        return "TwoLayerNet.forward returns the wrong accuracy on a hidden batch"
    _dS = (_P - np.eye(_P.shape[1])[_y]) / _N
    _dZ1 = (_dS @ _w["W2"].T) * _dA
    for _name, _want in (("W2", _A.T @ _dS), ("b2", _dS.sum(axis=0)), ("W1", _X.T @ _dZ1), ("b1", _dZ1.sum(axis=0))):
        if not np.allclose(_grads[_name], _want, rtol=1e-5, atol=1e-7):
            return f"gradients[{_name!r}] does not match the gradient of the loss on a hidden network"
    return None


_rng = np.random.default_rng(4471)
_m0 = TwoLayerNet(hidden_size=16)
assert set(_m0.weights) == {"W1", "b1", "W2", "b2"}, "keep the parameters W1, b1, W2, b2 of __init__"
assert [np.shape(_m0.weights[_k]) for _k in ("W1", "b1", "W2", "b2")] == [(784, 16), (16,), (16, 10), (10,)], \
    "keep __init__: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)"
for _D, _H, _C, _N in [(6, 5, 4, 4), (3, 2, 5, 5), (4, 7, 3, 3)]:  # N = C: see the note in T5
    _X = _rng.normal(size=(_N, _D))
    _y = _rng.integers(0, _C, size=_N)
    _w = {"W1": _rng.normal(0.0, 0.9, size=(_D, _H)), "b1": _rng.normal(0.0, 0.9, size=_H),
          "W2": _rng.normal(0.0, 0.9, size=(_H, _C)), "b2": _rng.normal(0.0, 0.9, size=_C)}
    _m = TwoLayerNet(input_size=_D, num_classes=_C, hidden_size=_H, seed=3)
    for _name in _w:
        _m.weights[_name] = _w[_name].copy()
    _Xin, _yin = _X.copy(), _y.copy()
    _res = _m.forward(_Xin, _yin, mode="train")
    assert isinstance(_res, (tuple, list)) and len(_res) == 2, "TwoLayerNet.forward must return (loss, accuracy)"
    _loss, _acc = (float(np.asarray(_v)) for _v in _res)
    _grads = {_k: np.asarray(_m.gradients[_k], dtype=float) for _k in _w}
    for _k in ("W2", "b2", "W1", "b1"):
        assert _grads[_k].shape == _w[_k].shape, f"gradients[{_k!r}] must have the shape of weights[{_k!r}], {_w[_k].shape}"
    assert np.array_equal(_Xin, _X) and np.array_equal(_yin, _y), "forward must not change X or y"
    assert all(np.array_equal(np.asarray(_m.weights[_k]), _w[_k]) for _k in _w), \
        "forward must not change the weights (the step is the optimizer's, T7)"
    _Z1 = _X @ _w["W1"] + _w["b1"]
    _problems = []
    for _A in _shaped(1.0 / (1.0 + np.exp(-_Z1)), _yours(sigmoid, _Z1), like=_Z1):
        _S = _A @ _w["W2"] + _w["b2"]
        for _P in _shaped(_ref_softmax(_S), _yours(softmax, _S), like=_S):
            for _dA in _shaped(_A * (1.0 - _A), np.exp(-_Z1) / (1.0 + np.exp(-_Z1)) ** 2, _yours(sigmoid_dev, _Z1), like=_Z1):
                _problems.append(_mismatch(_A, _P, _dA, _loss, _acc, _grads, _X, _y, _w))
    assert None in _problems, _problems[0]
    _X2 = _rng.normal(size=(_N, _D))
    _y2 = _rng.integers(0, _C, size=_N)
    _m.forward(_X2, _y2, mode="valid")
    assert all(np.array_equal(np.asarray(_m.gradients[_k], dtype=float), _grads[_k]) for _k in _grads), \
        "forward(mode='valid') must only evaluate: it changed self.gradients"
    _lv, _av = (float(np.asarray(_v)) for _v in _m.forward(_X, _y, mode="valid"))
    assert np.isclose(_lv, _loss) and np.isclose(_av, _acc), "mode='valid' must return the same loss and accuracy as mode='train'"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "sgd_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T7. Stochastic gradient descent with L2 regularization
#
# Training minimizes the data loss plus an L2 penalty on the **weight matrices only** (the parameters whose
# names start with `"W"`; biases are not regularized):
#
# $$J = L + \frac{\lambda}{2} \sum_{W \in \{W_1, W_2, \dots\}} \|W\|_F^2, \qquad \frac{\partial J}{\partial W} = \frac{\partial L}{\partial W} + \lambda W, \qquad \frac{\partial J}{\partial b} = \frac{\partial L}{\partial b}.$$
#
# One SGD step with learning rate $\eta$ moves every parameter against its gradient of $J$:
#
# $$W \leftarrow W - \eta \left(\frac{\partial L}{\partial W} + \lambda W\right), \qquad b \leftarrow b - \eta\, \frac{\partial L}{\partial b}.$$
#
# `SGD.update(model)` reads `model.weights` and `model.gradients` (filled by the last forward pass) and
# updates `model.weights` in place. It must work for any model with these two dictionaries.

# %% nbgrader={"grade": false, "grade_id": "sgd", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SGD:
    """Plain SGD with L2 regularization of the weight matrices (not the biases).

    learning_rate : float   the step size eta
    reg : float             the regularization strength lambda of the penalty (lambda / 2) * ||W||^2
    """

    def __init__(self, learning_rate=1e-4, reg=1e-3):
        self.learning_rate = learning_rate
        self.reg = reg

    def update(self, model):
        """One SGD step on every parameter of model.

        model : any object with dicts model.weights and model.gradients (same keys, same shapes)
        Changes model.weights; returns nothing.
        """
        # TODO: the SGD step above for every parameter in model.weights (the data gradient of each is
        # model.gradients[name], of the same shape), with the L2 term for the names that start with "W" only.
        # The new values replace the old ones in model.weights.
        ### BEGIN SOLUTION
        for name, weight in model.weights.items():
            grad = model.gradients[name]
            if name.startswith("W"):
                grad = grad + self.reg * weight
            weight -= self.learning_rate * grad
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "sgd_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
toy_model = SimpleNamespace(weights={"W1": np.array([[1.0, -2.0]]), "b1": np.array([0.5, 1.0])},
                            gradients={"W1": np.array([[0.1, 0.2]]), "b1": np.array([1.0, -1.0])})
SGD(learning_rate=0.5, reg=0.1).update(toy_model)
print("W1:", toy_model.weights["W1"], "  expected [[ 0.9  -2.0]]")
print("b1:", toy_model.weights["b1"], "  expected [0.  1.5]")
check_model = SimpleNamespace(weights={"W2": np.array([[2.0], [-1.0]]), "b2": np.array([3.0])},
                              gradients={"W2": np.array([[0.5], [1.0]]), "b2": np.array([-2.0])})
SGD(learning_rate=0.2, reg=0.5).update(check_model)  # another model, other hyperparameters
assert np.allclose(check_model.weights["W2"], [[1.7], [-1.1]]) and np.allclose(check_model.weights["b2"], [3.4]), \
    "SGD.update is wrong on another model: W <- W - lr (dL/dW + reg W), b <- b - lr dL/db"
# Overfit a tiny subset: softmax regression (T5) with your SGD must learn 20 training images by heart.
check_net = SoftmaxRegression()
check_optimizer = SGD(learning_rate=1.0, reg=0.0)
for _ in range(100):
    check_net.forward(train_data[:20], train_label[:20], mode="train")
    check_optimizer.update(check_net)
check_loss, check_acc = check_net.forward(train_data[:20], train_label[:20], mode="valid")
print(f"after 100 steps on 20 training images: loss {check_loss:.4f} (expected below 0.1), accuracy {check_acc:.2f}")
assert check_acc == 1.0 and check_loss < 0.1, "SGD with your SoftmaxRegression cannot overfit 20 images: check T5 and T7"
print("T7 self-check passed")

# %% nbgrader={"grade": true, "grade_id": "test_sgd", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
assert np.allclose(toy_model.weights["W1"], [[0.9, -2.0]]), "SGD.update gives the wrong weight matrix on the self-check model"
assert np.allclose(toy_model.weights["b1"], [0.0, 1.5]), "SGD.update gives the wrong bias on the self-check model"

_model = SimpleNamespace(weights={"W2": np.array([[2.0], [-1.0]]), "b2": np.array([3.0])},
                         gradients={"W2": np.array([[0.5], [1.0]]), "b2": np.array([-2.0])})
SGD(learning_rate=0.2, reg=0.5).update(_model)  # another model, other hyperparameters
assert np.allclose(_model.weights["W2"], [[1.7], [-1.1]]) and np.allclose(_model.weights["b2"], [3.4]), \
    "SGD.update is wrong on another model: W <- W - lr (dL/dW + reg W), b <- b - lr dL/db"

### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1618)
_shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}
for _lr, _reg in [(0.3, 0.0), (0.05, 0.7), (1.2, 2e-3)]:
    _w = {_k: _rng.normal(size=_s) for _k, _s in _shapes.items()}
    _g = {_k: _rng.normal(size=_s) for _k, _s in _shapes.items()}
    _expected = {_k: _w[_k] - _lr * (_g[_k] + (_reg * _w[_k] if _k.startswith("W") else 0.0)) for _k in _shapes}
    _model = SimpleNamespace(weights={_k: _v.copy() for _k, _v in _w.items()}, gradients={_k: _v.copy() for _k, _v in _g.items()})
    SGD(learning_rate=_lr, reg=_reg).update(_model)
    for _k in ("b1", "b2"):
        assert np.allclose(_model.weights[_k], _expected[_k]), \
            f"SGD.update is wrong for the bias {_k} (lr={_lr}, reg={_reg}): biases take a plain step, no regularization"
    for _k in ("W1", "W2"):
        assert np.allclose(_model.weights[_k], _expected[_k]), \
            f"SGD.update is wrong for the weight {_k} (lr={_lr}, reg={_reg}): W <- W - lr * (grad + reg * W)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "training_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Part 3: training on MNIST
#
# The code below is provided. A **configuration** is a dict with the keys
#
# | key | meaning |
# | --- | --- |
# | `type` | `"SoftmaxRegression"` or `"TwoLayerNet"` |
# | `hidden_size` | $H$, the number of hidden units (only used by `TwoLayerNet`) |
# | `batch_size` | rows per mini-batch |
# | `learning_rate` | $\eta$ of SGD |
# | `reg` | $\lambda$ of the L2 penalty |
# | `epochs` | passes over the 50,000 training images |
# | `seed` | seeds the initial weights and the shuffling of every epoch |
# | `debug` | print one line of progress per epoch |
#
# `train_model(config, data)` builds the model and the optimizer, and for every epoch reshuffles the training
# set into mini-batches (`train`: forward pass, SGD step) and measures the validation loss and accuracy
# (`evaluate`). It keeps a copy of the model from the epoch with the best validation accuracy, and reports
# that model's accuracy on the test set. It returns a dict with the per-epoch histories, the best model and
# its test accuracy. `plot_curves` draws the training and validation loss and accuracy per epoch (while the
# notebook is being graded, the figures are not drawn).

# %% nbgrader={"grade": false, "grade_id": "training_code", "locked": true, "schema_version": 3, "solution": false, "task": false}
EVAL_BATCH = 1000  # rows per batch when evaluating (larger batches are faster and give the same means)


def train(epoch, batched_train_data, batched_train_label, model, optimizer):
    """One epoch of SGD. Returns the mean training loss and accuracy over the epoch's batches (floats)."""
    total_loss, hits, count = 0.0, 0.0, 0
    for X, y in zip(batched_train_data, batched_train_label):
        loss, accuracy = model.forward(X, y, mode="train")
        optimizer.update(model)
        total_loss += loss * len(y)
        hits += accuracy * len(y)
        count += len(y)
    return total_loss / count, hits / count


def evaluate(batched_data, batched_label, model):
    """Mean loss and accuracy of model over the batches, without changing it (floats)."""
    total_loss, hits, count = 0.0, 0.0, 0
    for X, y in zip(batched_data, batched_label):
        loss, accuracy = model.forward(X, y, mode="valid")
        total_loss += loss * len(y)
        hits += accuracy * len(y)
        count += len(y)
    return total_loss / count, hits / count


def build_model(config):
    """A fresh SoftmaxRegression or TwoLayerNet for config, seeded with config["seed"]."""
    if config["type"] == "SoftmaxRegression":
        return SoftmaxRegression(seed=config["seed"])
    if config["type"] == "TwoLayerNet":
        return TwoLayerNet(hidden_size=config["hidden_size"], seed=config["seed"])
    raise ValueError(f"unknown model type {config['type']!r}")


def train_model(config, data):
    """Train the model of config on data = (train_data, train_label, val_data, val_label, test_data, test_label).

    Returns a dict: "train_loss", "train_acc", "valid_loss", "valid_acc" (lists, one value per epoch),
    "model" (the model of the best validation epoch), "best_epoch" (1-based) and "test_acc" (its test accuracy).
    """
    train_x, train_y, val_x, val_y, test_x, test_y = data
    model = build_model(config)
    optimizer = SGD(learning_rate=config["learning_rate"], reg=config["reg"])
    history = {"train_loss": [], "train_acc": [], "valid_loss": [], "valid_acc": []}
    best_acc, best_model, best_epoch = -1.0, None, 0
    val_batches = generate_batched_data(val_x, val_y, batch_size=EVAL_BATCH)
    for epoch in range(config["epochs"]):
        start = time.time()
        batches = generate_batched_data(train_x, train_y, batch_size=config["batch_size"], shuffle=True,
                                        seed=1000 * config["seed"] + epoch)
        train_loss, train_acc = train(epoch, *batches, model, optimizer)
        valid_loss, valid_acc = evaluate(*val_batches, model)
        for key, value in zip(history, (train_loss, train_acc, valid_loss, valid_acc)):
            history[key].append(value)
        if valid_acc > best_acc:
            best_acc, best_model, best_epoch = valid_acc, copy.deepcopy(model), epoch + 1
        if config["debug"]:
            print(f"epoch {epoch + 1:2d}/{config['epochs']}  train loss {train_loss:.4f} acc {train_acc:.4f}  "
                  f"| validation loss {valid_loss:.4f} acc {valid_acc:.4f}  ({time.time() - start:.1f} s)")
    _, test_acc = evaluate(*generate_batched_data(test_x, test_y, batch_size=EVAL_BATCH), best_model)
    if config["debug"]:
        print(f"test accuracy of the best model (epoch {best_epoch}): {test_acc:.4f}")
    return {**history, "model": best_model, "best_epoch": best_epoch, "test_acc": test_acc}


def plot_curves(train_loss_history, train_acc_history, valid_loss_history, valid_acc_history, title=""):
    """Two panels: training and validation loss per epoch, training and validation accuracy per epoch."""
    if GRADING:  # the figures only feed the written answers: not drawn while grading, to save time
        return
    epochs = np.arange(1, len(train_loss_history) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax_loss.plot(epochs, train_loss_history, "o-", label="training")
    ax_loss.plot(epochs, valid_loss_history, "s-", label="validation")
    ax_loss.set(title=f"Loss per epoch {title}", xlabel="epoch", ylabel="mean cross-entropy")
    ax_acc.plot(epochs, train_acc_history, "o-", label="training")
    ax_acc.plot(epochs, valid_acc_history, "s-", label="validation")
    ax_acc.set(title=f"Accuracy per epoch {title}", xlabel="epoch", ylabel="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    plt.show()


def plot_sweep(runs, name):
    """Validation accuracy and training loss per epoch for several runs; runs maps a value of name to a result."""
    print(f"{name:>14s} | best validation acc | test acc of that model")
    for value, run in runs.items():
        print(f"{value:14g} | {max(run['valid_acc']):19.4f} | {run['test_acc']:.4f}")
    if GRADING:  # not drawn while grading, to save time
        return
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    for value, run in runs.items():
        epochs = np.arange(1, len(run["train_loss"]) + 1)
        ax_loss.plot(epochs, run["train_loss"], "o-", label=f"{name} = {value:g}")
        ax_acc.plot(epochs, run["valid_acc"], "o-", label=f"{name} = {value:g}")
    ax_loss.set(title=f"Training loss for each {name}", xlabel="epoch", ylabel="mean cross-entropy")
    ax_acc.set(title=f"Validation accuracy for each {name}", xlabel="epoch", ylabel="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    plt.show()


def note_for_grader(question, full_run):
    """While the notebook is graded, tell the TA (on stdout) that this cell's runs are shortened."""
    if GRADING:
        print(f"NOTE FOR THE GRADER: this is the shortened graded run ({SWEEP_EPOCHS} epoch on the first "
              f"{SWEEP_SIZE:,} training images instead of {full_run}; no figures).\n"
              + (f"Its numbers differ from those of the student's own run: judge the answer to {question} against "
                 "the numbers the student cites there.\n" if question else
                 "Its numbers differ from those of the student's own run; no test depends on them.\n"))


# The sweeps of E1 and E2 train shorter than T9 (see E1); while the notebook is graded, every run of Part 3 (T8 and
# T9 included) trains for 1 epoch on the first 5,000 training images: the runs only feed the written answers.
SWEEP_EPOCHS, SWEEP_SIZE = (1, 5000) if GRADING else (4, 25000)
SWEEP_DATA = (train_data[:SWEEP_SIZE], train_label[:SWEEP_SIZE], val_data, val_label, test_data, test_label)

# %% [markdown] nbgrader={"grade": false, "grade_id": "softmax_training_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T8. Train softmax regression
#
# Write the configuration `config_softmax` of softmax regression with the default values: batch size 64,
# learning rate 0.1, regularization $10^{-3}$, 10 epochs, seed 0, progress printed; `hidden_size` is not used
# (set it to `None`). The next cell trains it (while the notebook is being graded: 1 epoch on the first 5,000
# training images). With T1 to T7 right it reaches a test accuracy of about 0.92
# (below 0.85 means something in T1 to T7 is wrong). The test of T8 checks every value of the
# configuration; the training itself rests on T1 to T7, which are graded in their own tests, so a mistake there
# does not cost T8's points.

# %% nbgrader={"grade": false, "grade_id": "softmax_training", "locked": false, "schema_version": 3, "solution": true, "task": false}
# TODO: config_softmax = {"type": ..., "hidden_size": ..., "batch_size": ..., "learning_rate": ..., "reg": ...,
#                         "epochs": ..., "seed": ..., "debug": ...}
### BEGIN SOLUTION
config_softmax = {"type": "SoftmaxRegression", "hidden_size": None, "batch_size": 64, "learning_rate": 0.1,
                  "reg": 1e-3, "epochs": 10, "seed": 0, "debug": True}
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "softmax_training_run", "locked": true, "schema_version": 3, "solution": false, "task": false}
note_for_grader(None, "the epochs of config_softmax on all 50,000")
softmax_run = train_model(dict(config_softmax, epochs=1), SWEEP_DATA) if GRADING else train_model(config_softmax, DATA)
plot_curves(softmax_run["train_loss"], softmax_run["train_acc"], softmax_run["valid_loss"], softmax_run["valid_acc"],
            title="(softmax regression)")

# %% nbgrader={"grade": true, "grade_id": "test_softmax_training", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
assert isinstance(config_softmax, dict), "config_softmax must be a dict"
assert config_softmax.get("type") == "SoftmaxRegression", "config_softmax must train a SoftmaxRegression"
_prescribed = {"type": "SoftmaxRegression", "hidden_size": None, "batch_size": 64, "learning_rate": 0.1, "reg": 1e-3,
               "epochs": 10, "seed": 0, "debug": True}
assert set(config_softmax) == set(_prescribed), f"config_softmax must have exactly the keys {sorted(_prescribed)}"
for _key, _value in _prescribed.items():
    assert config_softmax[_key] == _value, f"config_softmax[{_key!r}] is not the value the text of T8 prescribes"

### BEGIN HIDDEN TESTS
# T8 grades the configuration only: how well it trains depends on T1 to T7, which are graded in their own tests.
_want = {"type": "SoftmaxRegression", "hidden_size": None, "batch_size": 64, "learning_rate": 0.1, "reg": 1e-3,
         "epochs": 10, "seed": 0, "debug": True}
assert set(config_softmax) == set(_want), f"config_softmax must have exactly the keys {sorted(_want)}"
for _key, _value in _want.items():
    _got = config_softmax[_key]
    if _value is None or isinstance(_value, (str, bool)):
        _ok = _got is _value or (isinstance(_value, str) and _got == _value) or (_value is True and _got == 1)
    elif isinstance(_value, int):
        _ok = isinstance(_got, (int, np.integer)) and not isinstance(_got, bool) and _got == _value
    else:
        _ok = isinstance(_got, (int, float, np.number)) and not isinstance(_got, bool) and np.isclose(_got, _value)
    assert _ok, f"config_softmax[{_key!r}] is not the value the task prescribes"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "two_layer_training_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## T9. Train the two-layer network
#
# Write `config_twolayer`, the default configuration of the two-layer network: 128 hidden units, batch size
# 64, learning rate 0.1, regularization $10^{-3}$, 10 epochs, seed 0, progress printed. The next cell trains it
# (while the notebook is being graded: 1 epoch on the first 5,000 training images). With T1 to T7 right it
# reaches a test accuracy of about 0.925 (below 0.90 means something in T1 to T7 is wrong); the sweeps below start
# from this configuration. As in T8, the test checks every value of the configuration.

# %% nbgrader={"grade": false, "grade_id": "two_layer_training", "locked": false, "schema_version": 3, "solution": true, "task": false}
# TODO: config_twolayer = {"type": "TwoLayerNet", "hidden_size": ..., ...} with the same keys as config_softmax
### BEGIN SOLUTION
config_twolayer = {"type": "TwoLayerNet", "hidden_size": 128, "batch_size": 64, "learning_rate": 0.1,
                   "reg": 1e-3, "epochs": 10, "seed": 0, "debug": True}
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "two_layer_training_run", "locked": true, "schema_version": 3, "solution": false, "task": false}
note_for_grader(None, "the epochs of config_twolayer on all 50,000")
two_layer_run = train_model(dict(config_twolayer, epochs=1), SWEEP_DATA) if GRADING else train_model(config_twolayer, DATA)
plot_curves(two_layer_run["train_loss"], two_layer_run["train_acc"], two_layer_run["valid_loss"],
            two_layer_run["valid_acc"], title="(two-layer network)")

# %% nbgrader={"grade": true, "grade_id": "test_two_layer_training", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
assert isinstance(config_twolayer, dict), "config_twolayer must be a dict"
assert config_twolayer.get("type") == "TwoLayerNet", "config_twolayer must train a TwoLayerNet"
_prescribed = {"type": "TwoLayerNet", "hidden_size": 128, "batch_size": 64, "learning_rate": 0.1, "reg": 1e-3,
               "epochs": 10, "seed": 0, "debug": True}
assert set(config_twolayer) == set(_prescribed), f"config_twolayer must have exactly the keys {sorted(_prescribed)}"
for _key, _value in _prescribed.items():
    assert config_twolayer[_key] == _value, f"config_twolayer[{_key!r}] is not the value the text of T9 prescribes"

### BEGIN HIDDEN TESTS
# T9 grades the configuration only: how well it trains depends on T1 to T7, which are graded in their own tests.
_want = {"type": "TwoLayerNet", "hidden_size": 128, "batch_size": 64, "learning_rate": 0.1, "reg": 1e-3,
         "epochs": 10, "seed": 0, "debug": True}
assert set(config_twolayer) == set(_want), f"config_twolayer must have exactly the keys {sorted(_want)}"
for _key, _value in _want.items():
    _got = config_twolayer[_key]
    if _value is None or isinstance(_value, (str, bool)):
        _ok = _got is _value or (isinstance(_value, str) and _got == _value) or (_value is True and _got == 1)
    elif isinstance(_value, int):
        _ok = isinstance(_got, (int, np.integer)) and not isinstance(_got, bool) and _got == _value
    else:
        _ok = isinstance(_got, (int, float, np.number)) and not isinstance(_got, bool) and np.isclose(_got, _value)
    assert _ok, f"config_twolayer[{_key!r}] is not the value the task prescribes"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "lr_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## E1. Learning rates
#
# The next cell trains the two-layer network with learning rates 1, 0.1, 0.05 and 0.01, keeping every other
# value of `config_twolayer`. To keep the notebook fast, each run trains for **4 epochs on the first 25,000**
# training images (while the notebook is being graded: 1 epoch on the first 5,000), that is 1,564 SGD steps
# instead of the 7,820 of a full run, so the accuracies are lower than after 10 full epochs; compare the runs
# with each other. The validation set is the usual one.

# %% nbgrader={"grade": false, "grade_id": "lr_sweep", "locked": true, "schema_version": 3, "solution": false, "task": false}
note_for_grader("E1", "4 epochs on the first 25,000")
lr_runs = {}
for learning_rate in [1.0, 0.1, 0.05, 0.01]:
    print(f"learning_rate = {learning_rate:g}")
    lr_runs[learning_rate] = train_model(dict(config_twolayer, learning_rate=learning_rate, epochs=SWEEP_EPOCHS),
                                         SWEEP_DATA)
plot_sweep(lr_runs, "learning_rate")

# %% [markdown] nbgrader={"grade": false, "grade_id": "lr_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **E1 (4 points).** Describe how the learning rate changes the training loss and the validation accuracy
# over the epochs, and explain why. Which learning rate would you start tuning from, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "lr_answer", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# *The numbers are from the student's run (4 epochs on 25,000 images), not from the shortened graded run.*
#
# | learning rate | validation accuracy after epochs 1, 2, 3, 4 | test accuracy (best epoch) |
# | --- | --- | --- |
# | 1 | 0.896, 0.917, 0.923, 0.936 | 0.933 |
# | 0.1 | 0.316, 0.755, 0.861, 0.889 | 0.885 |
# | 0.05 | 0.106, 0.358, 0.645, 0.781 | 0.765 |
# | 0.01 | 0.106, 0.106, 0.106, 0.106 | 0.114 |
#
# * **The step size sets the speed.** Each SGD step moves the weights by $\eta$ times the gradient, so with a
#   budget of 1,564 steps the ranking of the runs is exactly the ranking of the rates, in training loss
#   (0.25, 0.50, 1.00, 2.30 after epoch 4) and in validation accuracy. Halving the rate from 0.1 to 0.05 roughly
#   doubles the time needed: 0.05 reaches in epoch 4 about what 0.1 reached in epoch 2.
# * **Too small gets stuck on a plateau.** With $\eta = 0.01$ the loss stays at $\log 10 \approx 2.30$ and the
#   validation accuracy at 0.106 (the same class for every image) for all four epochs. The initial weights are
#   tiny (scale 0.001), so every hidden unit outputs about 0.5 for every image, the scores are almost equal, and
#   the gradient with respect to $W_1$ is proportional to the tiny $W_2$: the network starts in a flat region
#   where the gradient is almost zero although it is not a minimum (Q2). Leaving it takes a number of steps
#   that grows as $1/\eta$; the runs with 0.05 and 0.1 show the same plateau, shorter, in their first epoch.
# * **Too large would be unstable.** Here $\eta = 1$ is the best run: it leaves the plateau within its first
#   few hundred steps. Its training loss still decreases smoothly, but a larger step also amplifies the noise
#   of each mini-batch gradient, and once the step is larger than the curvature of the loss allows (for a
#   quadratic with largest curvature $\lambda_{\max}$, any $\eta > 2/\lambda_{\max}$ diverges) the loss
#   oscillates or blows up. So the best rate is the largest one that is still stable, not simply the largest.
# * **Where to start.** Between 0.5 and 1: fast enough to leave the plateau in the first epoch, and still
#   stable. I would compare a few values there on the validation accuracy over the full 10 epochs, and
#   consider decaying the rate during training to combine a fast start with a calm end.
#
# *Grading:* the TA's copy shows the shortened graded run (1 epoch on 5,000 images; a note at the top of the sweep's
# output says so), whose numbers differ from those of the student's run and from this model answer. Judge the answer
# against the numbers the student cites, and whether the reasoning follows from them; do not take points off because
# they differ from the graded output. 1 point for describing how the rate changes the training loss and the
# validation accuracy over the epochs, with the student's numbers; 1 point for explaining the small rates: the step
# is proportional to $\eta$, so progress is slow, and with the tiny initial weights the run sits on a plateau near
# $\log 10$; 1 point for what a too-large rate does (noisy steps, oscillation or divergence once the step is too
# large for the curvature), even if no run here shows it; 1 point for a starting rate chosen with a reason that fits
# the student's own results.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reg_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## E2. Regularization strengths
#
# The next cell trains the two-layer network with `reg` = 1, 0.1, 0.01, $10^{-3}$ and $10^{-4}$, the other values
# as in `config_twolayer`, with the same shortened schedule as E1. Remember what `reg` does in every step:
# $W \leftarrow W - \eta(\partial L / \partial W + \lambda W) = (1 - \eta\lambda) W - \eta\, \partial L / \partial W$.

# %% nbgrader={"grade": false, "grade_id": "reg_sweep", "locked": true, "schema_version": 3, "solution": false, "task": false}
note_for_grader("E2", "4 epochs on the first 25,000")
reg_runs = {}
for reg in [1.0, 0.1, 0.01, 1e-3, 1e-4]:
    print(f"reg = {reg:g}")
    reg_runs[reg] = train_model(dict(config_twolayer, reg=reg, epochs=SWEEP_EPOCHS), SWEEP_DATA)
plot_sweep(reg_runs, "reg")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reg_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **E2 (4 points).** Describe what each regularization strength does to the training and validation curves,
# and explain it with the update rule above (what happens to the weights when $\eta\lambda$ is large?). Which
# value would you keep?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reg_answer", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# *The numbers are from the student's run (4 epochs on 25,000 images), not from the shortened graded run.*
#
# | reg $\lambda$ | shrink per step $\eta\lambda$ | training loss, epoch 4 | best validation accuracy | test accuracy |
# | --- | --- | --- | --- | --- |
# | 1 | 10% | 2.31 | 0.109 | 0.103 |
# | 0.1 | 1% | 2.18 | 0.278 | 0.289 |
# | 0.01 | 0.1% | 0.68 | 0.868 | 0.865 |
# | $10^{-3}$ | 0.01% | 0.50 | 0.889 | 0.885 |
# | $10^{-4}$ | 0.001% | 0.48 | 0.890 | 0.887 |
#
# Every step multiplies the weights by $1 - \eta\lambda$ before adding the data gradient, so the penalty pulls
# the weights towards zero, and the larger $\eta\lambda$, the harder.
#
# * **$\lambda = 1$** shrinks the weights by 10% per step, so they can never grow beyond about ten steps' worth
#   of gradient. The hidden units all output about 0.5, the scores are the same for every image, and both the
#   training and the validation loss stay at $\log 10$. The test accuracy 0.1028 is exactly the share of 7s in
#   the test set: the network answers 7 for every image. This is extreme underfitting.
# * **$\lambda = 0.1$** (1% per step) keeps the weights so small that the network only starts to separate the
#   classes in epoch 3 and stays below 0.3; its validation accuracy even falls again in epoch 4. Training and
#   validation are equally bad: underfitting, not overfitting.
# * **$\lambda = 0.01$** learns, but the penalty visibly slows it and limits the weights: training loss 0.68
#   against 0.50, validation accuracy 0.868 against 0.889.
# * **$\lambda = 10^{-3}$ and $10^{-4}$** give almost the same curves (0.889 and 0.890): a shrink of 0.01% per
#   step or less is negligible next to the data gradient. The training and validation curves stay close
#   together, so the network does not overfit in this short training and needs little regularization.
#
# I would keep $\lambda = 10^{-4}$ (or $10^{-3}$): they fit best and show no overfitting. Regularization would
# matter with longer training, a larger network or fewer training images, when the training accuracy pulls
# away from the validation accuracy.
#
# *Grading:* the TA's copy shows the shortened graded run (1 epoch on 5,000 images; a note at the top of the sweep's
# output says so), whose numbers differ from those of the student's run and from this model answer. Judge the answer
# against the numbers the student cites, and whether the reasoning follows from them; do not take points off because
# they differ from the graded output. 1 point for describing the curves of the large strengths (1 and 0.1: the loss
# stays near $\log 10$ or falls slowly, low accuracy on training and validation alike); 1 point for explaining it
# with the update rule: each step multiplies the weights by $1 - \eta\lambda$, so a large $\eta\lambda$ keeps them
# near zero and the network underfits (not "overfits"); 1 point for the small strengths ($10^{-3}$, $10^{-4}$): a
# negligible shrink, nearly the same curves, and no gap between training and validation, so no overfitting to fight
# here; 1 point for a value kept with a reason that fits the student's own results.

# %% [markdown] nbgrader={"grade": false, "grade_id": "tuning_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## E3. Your tuned configuration
#
# Now tune any of the values (`hidden_size`, `batch_size`, `learning_rate`, `reg`, `epochs`) for a better
# validation accuracy. Choose on the validation accuracy, not on the test accuracy: the test set measures
# the final model only once. Keep the run no longer than the default run of T9 (10 epochs of 128 hidden units;
# its output shows how many seconds each epoch took): the time grows with the number of epochs and of hidden
# units. While the notebook is being graded, your configuration trains for 1 epoch on 5,000 images only.

# %% nbgrader={"grade": false, "grade_id": "tuned_config", "locked": false, "schema_version": 3, "solution": true, "task": false}
# TODO: tuned_config = dict(config_twolayer, ...your changes...)
### BEGIN SOLUTION
tuned_config = dict(config_twolayer, learning_rate=0.5, reg=1e-4, epochs=8)
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "tuned_run_cell", "locked": true, "schema_version": 3, "solution": false, "task": false}
note_for_grader("E3", "the epochs of the student's configuration on all 50,000")
tuned_run = train_model(dict(tuned_config, epochs=1), SWEEP_DATA) if GRADING else train_model(tuned_config, DATA)
plot_curves(tuned_run["train_loss"], tuned_run["train_acc"], tuned_run["valid_loss"], tuned_run["valid_acc"],
            title="(tuned)")


# %% [markdown] nbgrader={"grade": false, "grade_id": "tuned_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **E3 (3 points).** State your configuration and its validation and test accuracy, and explain briefly why
# it works better than the default.

# %% [markdown] nbgrader={"grade": true, "grade_id": "tuned_answer", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# **Configuration.** `tuned_config = dict(config_twolayer, learning_rate=0.5, reg=1e-4, epochs=8)`: 128 hidden
# units, batch size 64, learning rate 0.5, $\lambda = 10^{-4}$, 8 epochs, seed 0.
#
# **Result** (full run). Best validation accuracy 0.9684 (epoch 7) and test accuracy 0.9641, against 0.9282
# and 0.9253 for the default configuration, in less time (8 epochs instead of 10).
#
# **Why it works.** E1 showed that the learning rate limits the default network: with sigmoid units and tiny
# initial weights it spends its first epoch on a plateau and then moves in small steps. A rate of 0.5 leaves
# the plateau within the first epoch (0.920 validation accuracy after one epoch, against 0.784) and takes
# steps five times larger, while staying below the rates at which mini-batch noise makes training unstable.
# E2 showed that $\lambda \le 10^{-3}$ does not limit the fit and that the network does not overfit, so a smaller
# $\lambda$ lets the weights grow as large as the data needs. The training and validation accuracies stay
# close (0.966 and 0.968 at epoch 7), so there is still no sign of overfitting; more epochs, a larger hidden
# layer or a decaying learning rate would likely improve it further, at the cost of time. I chose the values on
# the validation accuracy and looked at the test accuracy only at the end.
#
# *Grading:* the TA's copy trains the student's configuration for 1 epoch on 5,000 images only (with a note above
# its output), so its accuracies are lower than those the student reports. Judge the answer against the numbers
# the student cites from their own run; do not take points off because they differ from the graded output. 1 point
# for the configuration and its validation and test accuracy from the student's run (the configuration must be the
# `tuned_config` of the answer cell); 1 point for choosing on the validation accuracy, not on the test accuracy;
# 1 point for explaining why it works better than the default, with a reason tied to E1 or E2 (a larger
# learning rate leaves the plateau sooner, a smaller $\lambda$ does not hold the weights back, a larger hidden
# layer, more epochs). A configuration that is not better than the default earns this last point only if the
# answer says so and explains why.

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
