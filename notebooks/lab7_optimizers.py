# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Lab 7, part 1: gradient descent, SGD, momentum, Nesterov, normalized gradients and Adam
#
# **Goal.** Fit a two-parameter Gabor model to 30 data points with gradient descent at a fixed learning
# rate, then with **stochastic gradient descent** (SGD), **momentum** and **Nesterov momentum**. Then, on a
# loss surface that is much steeper in one direction than in the other, implement **normalized gradients**
# and **Adam** and see why Adam works where plain gradient descent struggles.
#
# **How this notebook works.** Run the cells from top to bottom. Where you see **TODO**, replace
# `raise NotImplementedError()` with your code (or, in a text cell, "YOUR ANSWER HERE" with your answer).
# Every other cell is provided: read it and run it, but do not edit it. After each answer there is a
# self-check that prints your values beside the expected ones, then a locked test cell worth points. The
# test cells you see are not all the tests: when your notebook is graded, your functions are also run on
# start points, batches, learning rates and momentum coefficients you have not seen, so compute the
# values; do not type them in.
#
# **Time.** About 90 minutes.
#
# **Run time.** With every answer done, the notebook runs top to bottom in about 10 s as a student and about 5 s
# when graded (measured on a 2-core machine).
#
# | Question | Task | Points |
# | --- | --- | --- |
# | Q1 | learning rate too large / too small: experiment and written answer | 5 (graded by hand) |
# | Q2 | stochastic gradient descent: `stochastic_gradient_descent_step` | 15 |
# | Q3 | momentum: `momentum_step` | 15 |
# | Q4 | Nesterov momentum: `nesterov_step` | 15 |
# | Q5 | normalized gradients: `normalized_gradients` | 15 |
# | Q6 | Adam: `adam` | 15 |
# | | **total** | **80** |
#
# Part 2 of the lab (backpropagation in a toy model) is the notebook `toy_chain_backprop`.
#
# ## Instructions
#
# 1. At the start of the lab, open this notebook in Google Colab and save a copy to your Drive
#    (File → Save a copy in Drive). Work in your copy.
# 2. Rename your copy `Lab_7_<your student id>.ipynb`, for example `Lab_7_aa1234.ipynb` (Colab calls it
#    "Copy of lab7_optimizers.ipynb"). The grader finds your work by this name; a notebook submitted under
#    another name is not graded.
# 3. **Deadline and late work.** Submit during your lab session: the deadline is 17:00 on Friday 14 March 2025
#    (UK time). A notebook handed in after the deadline but by 23:59 that day loses 30% of its score; a later one
#    scores 0.
# 4. At the end, download the notebook (File → Download → .ipynb) and upload that file. A link to the
#    notebook, or any other file, is not accepted.
# 5. **No loops.** The code you write must not contain `for` or `while` loops (comprehensions count as
#    loops): use numpy indexing and array operations. The loops that are already in the provided code are
#    allowed. The tests read the source of your answers, and an answer with a loop scores 0 for its question.
# 6. Keep the function names and signatures: the tests call them. Write answers to questions in the text cell
#    below the question.
# 7. Before you submit, run Runtime → Restart session and run all, and check that every cell runs; the last
#    cell, the hand-in check, lists what is left (unanswered TODOs, failing checks, cells run out of order). The
#    ungraded part at the end may be left undone: its experiment is then skipped.
# 8. **Use of AI is strictly prohibited.** Anyone caught using any AI tool during the lab or while it is graded is
#    reported to OCVS without any further discussion. Hand in your own work: answers copied between students are
#    flagged to your instructor.
# 9. If you have a question, ask your instructor or teaching assistant.

# %% [markdown] nbgrader={"grade": false, "grade_id": "imports_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# We continue where the last lab left off. First, the libraries:

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

# True while the notebook is being graded: the figures, which only feed the written answers, are then not drawn.
GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Data and model
#
# The training data are 30 pairs $\{x_i, y_i\}$: row 0 of `data` holds the inputs $x_i$, row 1 the targets $y_i$.

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false, "task": false}
# 30 training pairs {x_i, y_i}; we fit the Gabor model to them. Shape (2, 30).
data = np.array([[-1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
                  -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
                  -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
                  1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
                  -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00],
                 [-1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
                  9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
                  -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
                  6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
                  -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01]])


# %% [markdown] nbgrader={"grade": false, "grade_id": "model_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The model is a Gabor function with two parameters, the offset $\phi_0$ and the frequency $\phi_1$:
#
# $$f[x, \boldsymbol\phi] = \sin\left[\phi_0 + 0.06\,\phi_1 x\right]\cdot
#   \exp\left[-\frac{(\phi_0 + 0.06\,\phi_1 x)^2}{32}\right]. \tag{1}$$
#
# It is already coded below, with a function that draws it over the data.

# %% nbgrader={"grade": false, "grade_id": "model", "locked": true, "schema_version": 3, "solution": false, "task": false}
def model(phi, x):
    """The Gabor model of equation (1).

    Parameters
    ----------
    phi : ndarray, shape (2, 1) or (2,)
        [offset phi_0, frequency phi_1]. phi[0] and phi[1] may also be arrays that broadcast against x.
    x : ndarray, shape (N,)
        Inputs.

    Returns
    -------
    y_pred : ndarray, shape (N,) (the broadcast shape of phi[0] and x)
    """
    sin_component = np.sin(phi[0] + 0.06 * phi[1] * x)
    gauss_component = np.exp(-(phi[0] + 0.06 * phi[1] * x) * (phi[0] + 0.06 * phi[1] * x) / 32)
    y_pred = sin_component * gauss_component
    return y_pred


def draw_model(data, model, phi, title=None):
    """Plot the data (blue dots) and the model with parameters phi (magenta line)."""
    if GRADING:  # not drawn while the notebook is graded, to save time
        return
    x_model = np.arange(-15, 15, 0.1)
    y_model = model(phi, x_model)

    fig, ax = plt.subplots()
    ax.plot(data[0, :], data[1, :], 'bo', label='data')
    ax.plot(x_model, y_model, 'm-', label='model')
    ax.set_xlim([-15, 15]); ax.set_ylim([-1, 1])
    ax.set_xlabel('x'); ax.set_ylabel('y')
    ax.legend(loc='upper right')
    if title is not None:
        ax.set_title(title)
    plt.show()


# %% nbgrader={"grade": false, "grade_id": "initial_model", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Initialize the parameters and draw the model
phi = np.zeros((2, 1))
phi[0] = -5      # Horizontal offset
phi[1] = 25      # Frequency
draw_model(data, model, phi, "Initial parameters")


# %% [markdown] nbgrader={"grade": false, "grade_id": "loss_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Loss function
#
# The loss is the sum of squares of the differences between the model's predictions and the targets:
#
# $$L[\boldsymbol\phi] = \sum_{i=1}^{N} \ell_i = \sum_{i=1}^{N} \left(f[x_i, \boldsymbol\phi] - y_i\right)^2. \tag{2}$$
#
# `draw_loss_function` draws $L$ over a grid of offsets and frequencies (dark is low loss) and, if it is
# given a path of parameters, draws the path in green.

# %% nbgrader={"grade": false, "grade_id": "loss_functions", "locked": true, "schema_version": 3, "solution": false, "task": false}
def compute_loss(data_x, data_y, model, phi):
    """The sum-of-squares loss of equation (2).

    data_x : ndarray, shape (N,); data_y : ndarray, shape (N,); phi : ndarray, shape (2, 1).
    Returns the loss, a float.
    """
    pred_y = model(phi, data_x)
    loss = np.sum((pred_y - data_y) * (pred_y - data_y))
    return loss


# A colormap for loss surfaces: dark brown (low loss) to light yellow (high loss)
my_colormap_vals_hex = (
    '2a0902', '2b0a03', '2c0b04', '2d0c05', '2e0c06', '2f0d07', '300d08', '310e09', '320f0a', '330f0b',
    '34100b', '35110c', '36110d', '37120e', '38120f', '39130f', '3a1410', '3b1411', '3c1511', '3d1612',
    '3e1613', '3f1713', '401714', '411814', '421915', '431915', '451a16', '461b16', '471b17', '481c17',
    '491d18', '4a1d18', '4b1e19', '4c1f19', '4d1f1a', '4e201b', '50211b', '51211c', '52221c', '53231d',
    '54231d', '55241e', '56251e', '57261f', '58261f', '592720', '5b2821', '5c2821', '5d2922', '5e2a22',
    '5f2b23', '602b23', '612c24', '622d25', '632e25', '652e26', '662f26', '673027', '683027', '693128',
    '6a3229', '6b3329', '6c342a', '6d342a', '6f352b', '70362c', '71372c', '72372d', '73382e', '74392e',
    '753a2f', '763a2f', '773b30', '783c31', '7a3d31', '7b3e32', '7c3e33', '7d3f33', '7e4034', '7f4134',
    '804235', '814236', '824336', '834437', '854538', '864638', '874739', '88473a', '89483a', '8a493b',
    '8b4a3c', '8c4b3c', '8d4c3d', '8e4c3e', '8f4d3f', '904e3f', '924f40', '935041', '945141', '955242',
    '965343', '975343', '985444', '995545', '9a5646', '9b5746', '9c5847', '9d5948', '9e5a49', '9f5a49',
    'a05b4a', 'a15c4b', 'a35d4b', 'a45e4c', 'a55f4d', 'a6604e', 'a7614e', 'a8624f', 'a96350', 'aa6451',
    'ab6552', 'ac6552', 'ad6653', 'ae6754', 'af6855', 'b06955', 'b16a56', 'b26b57', 'b36c58', 'b46d59',
    'b56e59', 'b66f5a', 'b7705b', 'b8715c', 'b9725d', 'ba735d', 'bb745e', 'bc755f', 'bd7660', 'be7761',
    'bf7862', 'c07962', 'c17a63', 'c27b64', 'c27c65', 'c37d66', 'c47e67', 'c57f68', 'c68068', 'c78169',
    'c8826a', 'c9836b', 'ca846c', 'cb856d', 'cc866e', 'cd876f', 'ce886f', 'ce8970', 'cf8a71', 'd08b72',
    'd18c73', 'd28d74', 'd38e75', 'd48f76', 'd59077', 'd59178', 'd69279', 'd7937a', 'd8957b', 'd9967b',
    'da977c', 'da987d', 'db997e', 'dc9a7f', 'dd9b80', 'de9c81', 'de9d82', 'df9e83', 'e09f84', 'e1a185',
    'e2a286', 'e2a387', 'e3a488', 'e4a589', 'e5a68a', 'e5a78b', 'e6a88c', 'e7aa8d', 'e7ab8e', 'e8ac8f',
    'e9ad90', 'eaae91', 'eaaf92', 'ebb093', 'ecb295', 'ecb396', 'edb497', 'eeb598', 'eeb699', 'efb79a',
    'efb99b', 'f0ba9c', 'f1bb9d', 'f1bc9e', 'f2bd9f', 'f2bfa1', 'f3c0a2', 'f3c1a3', 'f4c2a4', 'f5c3a5',
    'f5c5a6', 'f6c6a7', 'f6c7a8', 'f7c8aa', 'f7c9ab', 'f8cbac', 'f8ccad', 'f8cdae', 'f9ceb0', 'f9d0b1',
    'fad1b2', 'fad2b3', 'fbd3b4', 'fbd5b6', 'fbd6b7', 'fcd7b8', 'fcd8b9', 'fcdaba', 'fddbbc', 'fddcbd',
    'fddebe', 'fddfbf', 'fee0c1', 'fee1c2', 'fee3c3', 'fee4c5', 'ffe5c6', 'ffe7c7', 'ffe8c9', 'ffe9ca',
    'ffebcb', 'ffeccd', 'ffedce', 'ffefcf', 'fff0d1', 'fff2d2', 'fff3d3', 'fff4d5', 'fff6d6', 'fff7d8',
    'fff8d9', 'fffada', 'fffbdc', 'fffcdd', 'fffedf', 'ffffe0')
my_colormap = ListedColormap(['#' + value for value in my_colormap_vals_hex])


def draw_loss_function(compute_loss, data, model, phi_iters=None, title=None):
    """Draw the loss of equation (2) over a grid of (offset, frequency) values, and a path of parameters.

    Parameters
    ----------
    compute_loss : callable
        The loss; the grid below gives the same value as compute_loss at every grid point, but is
        computed for all grid points at once with one call of `model`.
    data : ndarray, shape (2, N)
    model : callable, model(phi, x)
    phi_iters : ndarray, shape (2, T), optional
        Parameters after each step; drawn as a green path.
    title : str, optional
    """
    if GRADING:  # not drawn while the notebook is graded, to save time
        return
    # Grid of offset/frequency values: both meshes have shape (G1, G0) = (200, 200)
    offsets_mesh, freqs_mesh = np.meshgrid(np.arange(-10, 10.0, 0.1), np.arange(2.5, 22.5, 0.1))
    # All grid points at once: phi[0] and phi[1] have shape (G1, G0, 1) and broadcast against x, shape (N,)
    phi_grid = np.stack([offsets_mesh[..., np.newaxis], freqs_mesh[..., np.newaxis]])
    pred_y = model(phi_grid, data[0, :])                           # (G1, G0, N)
    loss_mesh = np.sum((pred_y - data[1, :]) ** 2, axis=-1)        # (G1, G0)

    fig, ax = plt.subplots()
    fig.set_size_inches(8, 8)
    ax.contourf(offsets_mesh, freqs_mesh, loss_mesh, 256, cmap=my_colormap)
    ax.contour(offsets_mesh, freqs_mesh, loss_mesh, 20, colors=['#80808080'])
    if phi_iters is not None:
        ax.plot(phi_iters[0, :], phi_iters[1, :], 'go-')
    ax.set_ylim([2.5, 22.5])
    ax.set_xlabel(r'Offset, $\phi_0$'); ax.set_ylabel(r'Frequency, $\phi_1$')
    ax.set_title(title if title is not None else 'Loss surface')
    plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "gradient_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## The gradient
#
# Gradient descent needs the gradient vector of the loss for a given set of parameters:
#
# $$\frac{\partial L}{\partial \boldsymbol\phi} = \begin{bmatrix} \dfrac{\partial L}{\partial \phi_0} \\[2mm]
#   \dfrac{\partial L}{\partial \phi_1} \end{bmatrix}. \tag{3}$$
#
# The two derivatives came from writing out the sum-of-squares loss and differentiating it with respect to
# $\phi_0$ and $\phi_1$ (it takes some care to get right). They are provided:

# %% nbgrader={"grade": false, "grade_id": "gradient", "locked": true, "schema_version": 3, "solution": false, "task": false}
def gabor_deriv_phi0(data_x, data_y, phi0, phi1):
    """dL/dphi_0 of equation (2), summed over the points in data_x (N,) and data_y (N,). Returns a float."""
    x = 0.06 * phi1 * data_x + phi0
    y = data_y
    cos_component = np.cos(x)
    sin_component = np.sin(x)
    gauss_component = np.exp(-0.5 * x * x / 16)
    deriv = cos_component * gauss_component - sin_component * gauss_component * x / 16
    deriv = 2 * deriv * (sin_component * gauss_component - y)
    return np.sum(deriv)


def gabor_deriv_phi1(data_x, data_y, phi0, phi1):
    """dL/dphi_1 of equation (2), summed over the points in data_x (N,) and data_y (N,). Returns a float."""
    x = 0.06 * phi1 * data_x + phi0
    y = data_y
    cos_component = np.cos(x)
    sin_component = np.sin(x)
    gauss_component = np.exp(-0.5 * x * x / 16)
    deriv = 0.06 * data_x * cos_component * gauss_component - 0.06 * data_x * sin_component * gauss_component * x / 16
    deriv = 2 * deriv * (sin_component * gauss_component - y)
    return np.sum(deriv)


def compute_gradient_descent(data_x, data_y, phi):
    """The gradient (3) of the loss over the points (data_x, data_y).

    Parameters
    ----------
    data_x : ndarray, shape (N,)
    data_y : ndarray, shape (N,)
    phi : ndarray, shape (2, 1)

    Returns
    -------
    gradient : ndarray, shape (2, 1)
        [[dL/dphi_0], [dL/dphi_1]]
    """
    dl_dphi0 = gabor_deriv_phi0(data_x, data_y, phi[0], phi[1])
    dl_dphi1 = gabor_deriv_phi1(data_x, data_y, phi[0], phi[1])
    # Return the gradient
    return np.array([[dl_dphi0], [dl_dphi1]])


# %% [markdown] nbgrader={"grade": false, "grade_id": "finite_differences_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# We can check the gradient with **finite differences**: evaluate the loss, change one parameter by a very
# small amount $\delta$, evaluate it again and divide the change by $\delta$:
#
# $$\frac{\partial L}{\partial \phi_0} \approx \frac{L[\phi_0 + \delta, \phi_1] - L[\phi_0, \phi_1]}{\delta}, \tag{4}$$
#
# $$\frac{\partial L}{\partial \phi_1} \approx \frac{L[\phi_0, \phi_1 + \delta] - L[\phi_0, \phi_1]}{\delta}. \tag{5}$$
#
# We cannot do this when there are many parameters: for a million parameters we would evaluate the loss
# two million times, and computing the gradients directly is much more efficient. The check below runs at
# $\boldsymbol\phi = (-5, 25)$, the parameters drawn above, and prints $(3.344, 0.519)$ twice.

# %% nbgrader={"grade": false, "grade_id": "gradient_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Compute the gradient with the function above
gradient = compute_gradient_descent(data[0, :], data[1, :], phi)
print("Analytic gradients: (%3.3f,%3.3f)" % (gradient[0].item(), gradient[1].item()))
# Approximate the gradients with finite differences
delta = 0.0001
dl_dphi0_est = (compute_loss(data[0, :], data[1, :], model, phi + np.array([[delta], [0]])) -
                compute_loss(data[0, :], data[1, :], model, phi)) / delta
dl_dphi1_est = (compute_loss(data[0, :], data[1, :], model, phi + np.array([[0], [delta]])) -
                compute_loss(data[0, :], data[1, :], model, phi)) / delta
print("Approx gradients:   (%3.3f,%3.3f)" % (dl_dphi0_est, dl_dphi1_est))

assert np.abs(gradient[0].item() - dl_dphi0_est) < 0.001
assert np.abs(gradient[1].item() - dl_dphi1_est) < 0.001
assert np.allclose(gradient.ravel(), [3.344, 0.519], atol=5e-4), "the gradient at (-5, 25) is (3.344, 0.519)"


# %% [markdown] nbgrader={"grade": false, "grade_id": "gd_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Gradient descent with a fixed learning rate
#
# In the last lab we chose the step size with a line search. This time we keep the learning rate $\alpha$
# fixed:
#
# $$\boldsymbol\phi_{t+1} = \boldsymbol\phi_t - \alpha \frac{\partial L[\boldsymbol\phi_t]}{\partial \boldsymbol\phi}. \tag{6}$$
#
# `gradient_descent_experiment` runs 21 steps from $\boldsymbol\phi = (-1.5, 8.5)$, draws the model every 4th
# step, and draws the path on the loss surface.

# %% nbgrader={"grade": false, "grade_id": "gd_step", "locked": true, "schema_version": 3, "solution": false, "task": false}
def gradient_descent_step_fixed_learning_rate(phi, data, alpha):
    """One step of equation (6) on all the data. phi : (2, 1); data : (2, N). Returns the new phi, (2, 1)."""
    gradient = compute_gradient_descent(data[0, :], data[1, :], phi)
    phi = phi - alpha * gradient
    return phi


def gradient_descent_experiment(alpha, n_steps=21, draw_every=4):
    """Run n_steps of gradient descent from phi = (-1.5, 8.5) and draw the model and the path.

    alpha : float, the learning rate. draw_every : int, draw the model after every draw_every-th step.
    Returns phi_all : ndarray, shape (2, n_steps + 1), the parameters before each step and at the end.
    """
    # Initialize the parameters
    phi_all = np.zeros((2, n_steps + 1))
    phi_all[0, 0] = -1.5
    phi_all[1, 0] = 8.5

    # Measure loss and draw initial model
    loss = compute_loss(data[0, :], data[1, :], model, phi_all[:, 0:1])
    draw_model(data, model, phi_all[:, 0:1], "Initial parameters, loss = %f" % loss)

    for c_step in range(n_steps):
        # Do gradient descent step
        phi_all[:, c_step + 1:c_step + 2] = gradient_descent_step_fixed_learning_rate(
            phi_all[:, c_step:c_step + 1], data, alpha=alpha)
        # Measure loss and draw model every draw_every-th step
        if c_step % draw_every == 0:
            loss = compute_loss(data[0, :], data[1, :], model, phi_all[:, c_step + 1:c_step + 2])
            draw_model(data, model, phi_all[:, c_step + 1], "Iteration %d, loss = %f" % (c_step + 1, loss))

    draw_loss_function(compute_loss, data, model, phi_all,
                       title=r"Gradient descent, $\alpha$ = %g, %d steps" % (alpha, n_steps))
    return phi_all


# %% nbgrader={"grade": false, "grade_id": "gd_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
phi_all = gradient_descent_experiment(alpha=0.2)

# %% [markdown] nbgrader={"grade": false, "grade_id": "lr_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q1: TODO [5 points]: the learning rate
#
# Experiment with the learning rate $\alpha$. In the code cell below, call `gradient_descent_experiment`
# with a learning rate that is too large and with one that is too small (try a few values of each), and
# look at the loss in the titles and at the path on the loss surface. Then answer in the text cell below it:
#
# 1. What happens if you set the learning rate too large?
# 2. What happens if you set it too small?
#
# Say which values you tried and what you saw (loss values, the path), and explain why it happens.

# %% nbgrader={"grade": false, "grade_id": "lr_experiment", "locked": false, "schema_version": 3, "solution": true, "task": false}
# TODO: call gradient_descent_experiment(alpha=...) with a learning rate that is too large and one that is
# too small. This cell is not graded; your written answer below is.
### BEGIN SOLUTION
phi_large = gradient_descent_experiment(alpha=0.9, draw_every=10)
phi_small = gradient_descent_experiment(alpha=0.01, draw_every=10)
### END SOLUTION

# %% [markdown] nbgrader={"grade": true, "grade_id": "lr_answer", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# Model answer.
#
# **Too large** (for example $\alpha = 0.9$): the steps overshoot. The first step already jumps across the
# valley that the path with $\alpha = 0.2$ follows (the offset goes from $-1.5$ to about $0.45$); the loss then
# goes *up* for two steps (about $9.9 \to 12.7 \to 15.9$) while the parameters are thrown far to the left, out
# of that valley, and the path ends in a different, worse minimum near offset $-11.3$ with a loss of about
# $5.38$, while $\alpha = 0.2$ reaches about $1.39$. A step that is large compared with the width of a valley
# lands on the other side of it or in another valley; with even larger values (for example $\alpha = 1.5$) the
# loss keeps jumping up and down from step to step instead of decreasing, and the path can diverge.
#
# **Too small** (for example $\alpha = 0.01$): every step is tiny, so the loss decreases steadily but very
# slowly: after 21 steps it has only gone from about $11.70$ to $10.80$, and the path on the loss surface
# barely moves. It would take hundreds of steps to get where $\alpha = 0.2$ gets in 21.
#
# So the learning rate must be large enough to make progress and small enough that a step does not jump
# over the valley it should go down.
#
# Grading: 2.5 points per part: for each of "too large" and "too small", 1.5 points for the observed behaviour
# with the values tried (the loss in the titles, the path) and 1 point for the reason (overshooting across the
# valley / tiny steps).

# %% [markdown] nbgrader={"grade": false, "grade_id": "sgd_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q2: TODO [15 points]: stochastic gradient descent
#
# Stochastic gradient descent takes a step of fixed size $\alpha$, but computes the gradient from a random
# subset $\mathcal{B}_t$ of the data, the *batch*, at each step $t$:
#
# $$\boldsymbol\phi_{t+1} = \boldsymbol\phi_t - \alpha \sum_{i \in \mathcal{B}_t} \frac{\partial \ell_i[\boldsymbol\phi_t]}{\partial \boldsymbol\phi}, \tag{7}$$
#
# where $\ell_i = (f[x_i, \boldsymbol\phi] - y_i)^2$ is the loss of data point $i$.
#
# Complete `stochastic_gradient_descent_step`. The provided lines draw a random permutation `indices` of the
# `n_data = data.shape[1]` column indices with `np.random.permutation`; the batch is the first `batch_size` of
# these indices. Continue by computing the gradient from the data in the batch only, then take the step (7).

# %% nbgrader={"grade": false, "grade_id": "sgd_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def stochastic_gradient_descent_step(phi, data, alpha, batch_size):
    """One step of stochastic gradient descent, equation (7).

    Parameters
    ----------
    phi : ndarray, shape (2, 1)
        Current parameters [[phi_0], [phi_1]].
    data : ndarray, shape (2, N)
        Row 0 holds the inputs x_i, row 1 the targets y_i.
    alpha : float
        Learning rate.
    batch_size : int
        Number B of data points in the batch, 1 <= B <= N.

    Returns
    -------
    phi : ndarray, shape (2, 1)
        Parameters after the step, a new array (do not change the inputs phi and data in place).
    """
    n_data = data.shape[1]
    indices = np.random.permutation(n_data)
    # TODO: the batch is the columns of data whose indices are the first batch_size entries of `indices`
    # (draw no other random numbers). Compute the gradient (3) of the batch only, shape (2, 1), with
    # compute_gradient_descent, then store phi_{t+1} of equation (7), a new (2, 1) array, in phi.
    ### BEGIN SOLUTION
    batch_data = data[:, indices[:batch_size]]
    gradient = compute_gradient_descent(batch_data[0, :], batch_data[1, :], phi)
    phi = phi - alpha * gradient
    ### END SOLUTION
    return phi


# %% nbgrader={"grade": false, "grade_id": "sgd_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: one step from phi = (3.5, 6.5) with alpha = 0.8 and a batch of 5 points.
np.random.seed(3)
phi_check = stochastic_gradient_descent_step(np.array([[3.5], [6.5]]), data, alpha=0.8, batch_size=5)
print("shape:        ", np.shape(phi_check), "  expected: (2, 1)")
print("your phi:      (%.4f, %.4f)" % (phi_check[0].item(), phi_check[1].item()))
print("expected phi:  (%.4f, %.4f)" % (4.234715, 6.621289))

# %% nbgrader={"grade": true, "grade_id": "test_sgd_step", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
# The provided data, restated here: an answer that changed `data` in place costs only its own task.
_data = np.array([[-1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
                   -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
                   -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
                   1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
                   -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00],
                  [-1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
                   9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
                   -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
                   6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
                   -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01]])
# Visible checks: the shape, the worked example of the self-check, and the inputs left unchanged.
_phi_in, _data_in = np.array([[3.5], [6.5]]), _data.copy()
np.random.seed(3)
phi_out = stochastic_gradient_descent_step(_phi_in, _data_in, alpha=0.8, batch_size=5)
assert np.array_equal(_phi_in, [[3.5], [6.5]]), "stochastic_gradient_descent_step changed its input phi in place"
assert np.array_equal(_data_in, _data), "stochastic_gradient_descent_step changed its input data in place"
assert isinstance(phi_out, np.ndarray) and phi_out.shape == (2, 1), \
    "stochastic_gradient_descent_step must return an array of shape (2, 1)"
assert np.allclose(phi_out, [[4.234715], [6.621289]], atol=1e-5), \
    "the self-check example gives a different phi: check which columns the TODO puts in the batch, and equation (7)"
# The no-loop rule (instruction 5), read from your answer cell.
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


_lines = _loop_lines(stochastic_gradient_descent_step)
assert not _lines, ("no-loop rule: the answer cell of stochastic_gradient_descent_step has a for/while loop or "
                    f"a comprehension (line {_lines}); index the batch with numpy instead")
### BEGIN HIDDEN TESTS
def _grad(x, y, phi):
    z = 0.06 * phi[1, 0] * x + phi[0, 0]
    s, c, g = np.sin(z), np.cos(z), np.exp(-z * z / 32)
    dz = 2 * (c * g - s * g * z / 16) * (s * g - y)
    return np.array([[np.sum(dz)], [np.sum(dz * 0.06 * x)]])


_rng = np.random.default_rng(70311)
_D = np.vstack([_rng.uniform(-12, 12, 17), _rng.normal(0, 0.5, 17)])
for _seed, _B, _alpha, _start in [(11, 4, 0.3, (0.4, 9.0)), (12, 1, 0.5, (-2.0, 12.5)),
                                  (13, 17, 0.1, (1.2, 7.0)), (14, 9, 1.3, (-0.3, 15.0))]:
    _phi = np.array([[_start[0]], [_start[1]]])
    _D_in = _D.copy()
    np.random.seed(_seed)
    _out = stochastic_gradient_descent_step(_phi, _D_in, _alpha, _B)
    _next_student = np.random.rand()
    np.random.seed(_seed)
    _idx = np.random.permutation(_D.shape[1])[:_B]
    _next_ref = np.random.rand()
    assert np.array_equal(_phi, [[_start[0]], [_start[1]]]), \
        "stochastic_gradient_descent_step changed its input phi in place; compute a new array"
    assert np.array_equal(_D_in, _D), "stochastic_gradient_descent_step changed its input data in place"
    assert isinstance(_out, np.ndarray) and _out.shape == (2, 1), \
        f"with batch_size={_B} the result must be an array of shape (2, 1)"
    _expected = _phi - _alpha * _grad(_D[0, _idx], _D[1, _idx], _phi)
    if not np.allclose(_out, _expected, rtol=1e-7, atol=1e-9):
        assert _B == _D.shape[1] or not np.allclose(_out, _phi - _alpha * _grad(_D[0], _D[1], _phi)), \
            "the step uses the gradient of all the data, not of the batch"
        assert not np.allclose(_out, _phi + _alpha * _grad(_D[0, _idx], _D[1, _idx], _phi)), \
            "the step goes uphill: check the sign of the update"
        assert not np.allclose(_out, _phi - _alpha * _grad(_D[0, :_B], _D[1, :_B], _phi)), \
            "the batch is the first batch_size columns of data, not the columns indices[:batch_size]"
        raise AssertionError(f"with batch_size={_B} and alpha={_alpha} the new phi differs from equation (7) on the "
                             "batch data[:, indices[:batch_size]]")
    assert _next_student == _next_ref, \
        "stochastic_gradient_descent_step draws random numbers besides the provided np.random.permutation"

# End point of the experiment below: 41 steps from (3.5, 6.5), alpha = 0.8, batch_size = 5, seed 1
np.random.seed(1)
_p = np.array([[3.5], [6.5]])
for _ in range(41):
    _p = stochastic_gradient_descent_step(_p, _data, 0.8, 5)
np.random.seed(1)
_p_ref = np.array([[3.5], [6.5]])
for _ in range(41):
    _idx = np.random.permutation(_data.shape[1])[:5]
    _p_ref = _p_ref - 0.8 * _grad(_data[0, _idx], _data[1, _idx], _p_ref)
assert np.allclose(_p, _p_ref, atol=1e-6), "the 41-step SGD experiment ends at a different point"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "sgd_experiment_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Now run 41 steps of SGD with batches of 5 points from $\boldsymbol\phi = (3.5, 6.5)$. The random number
# generator is seeded so that you always get the same batches.

# %% nbgrader={"grade": false, "grade_id": "sgd_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Set the random number generator so you always get same numbers (disable if you don't want this)
np.random.seed(1)
# Initialize the parameters
n_steps = 41
phi_all = np.zeros((2, n_steps + 1))
phi_all[0, 0] = 3.5
phi_all[1, 0] = 6.5

# Measure loss and draw initial model
loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, 0:1])
draw_model(data, model, phi_all[:, 0:1], "Initial parameters, loss = %f" % loss_value)

for c_step in range(n_steps):
    # Do gradient descent step
    phi_all[:, c_step + 1:c_step + 2] = stochastic_gradient_descent_step(
        phi_all[:, c_step:c_step + 1], data, alpha=0.8, batch_size=5)
    # Measure loss and draw model every 8th step
    if c_step % 8 == 0:
        loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, c_step + 1:c_step + 2])
        draw_model(data, model, phi_all[:, c_step + 1], "Iteration %d, loss = %f" % (c_step + 1, loss_value))

draw_loss_function(compute_loss, data, model, phi_all, title="Stochastic gradient descent, batch size 5")

# %% [markdown] nbgrader={"grade": false, "grade_id": "sgd_expected", "locked": true, "schema_version": 3, "solution": false, "task": false}
# If your code in this task is correct, your loss-surface plot looks like this:
#
# ![expected figure](attachment:sgd_expected.png)

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Momentum
#
# The cell below is standard stochastic gradient descent, written out step by step: 81 steps from
# $\boldsymbol\phi = (-1.5, 6.5)$ with $\alpha = 0.6$ and batches of 5 points. We build momentum on it.

# %% nbgrader={"grade": false, "grade_id": "sgd_baseline", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Set the random number generator so you always get same numbers (disable if you don't want this)
np.random.seed(1)
# Initialize the parameters
n_steps = 81
batch_size = 5
alpha = 0.6
phi_all = np.zeros((2, n_steps + 1))
phi_all[0, 0] = -1.5
phi_all[1, 0] = 6.5

# Measure loss and draw initial model
loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, 0:1])
draw_model(data, model, phi_all[:, 0:1], "Initial parameters, loss = %f" % loss_value)

for c_step in range(n_steps):
    # Choose random batch indices
    batch_index = np.random.permutation(data.shape[1])[0:batch_size]
    # Compute the gradient
    gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi_all[:, c_step:c_step + 1])
    # Update the parameters
    phi_all[:, c_step + 1:c_step + 2] = phi_all[:, c_step:c_step + 1] - alpha * gradient

loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, c_step + 1:c_step + 2])
draw_model(data, model, phi_all[:, c_step + 1], "Iteration %d, loss = %f" % (c_step + 1, loss_value))
draw_loss_function(compute_loss, data, model, phi_all, title="Stochastic gradient descent, 81 steps")


# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_step_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q3: TODO [15 points]: momentum
#
# Momentum replaces the batch gradient by a weighted average $\mathbf{m}$ of the current gradient and the
# gradients of earlier steps, and moves along it:
#
# $$\begin{aligned}
# \mathbf{m}_{t+1} &= \beta\,\mathbf{m}_t + (1-\beta) \sum_{i \in \mathcal{B}_t} \frac{\partial \ell_i[\boldsymbol\phi_t]}{\partial \boldsymbol\phi}, \\
# \boldsymbol\phi_{t+1} &= \boldsymbol\phi_t - \alpha\,\mathbf{m}_{t+1},
# \end{aligned} \tag{8}$$
#
# where $\beta \in [0, 1)$ controls how much of the past is kept and $\mathbf{m}_0 = \mathbf{0}$.
#
# **What to remember: one method, two ways of writing it.** Many texts, and the notebooks `rosenbrock_gd_momentum`
# and `wine_mlp_backprop` (with letters of their own), write momentum as a *velocity* that sums the past gradients
# without the factor $1-\beta$: $\mathbf{v}_{t+1} = \mu\,\mathbf{v}_t + \eta\,\mathbf{g}_t$ and
# $\boldsymbol\phi_{t+1} = \boldsymbol\phi_t - \mathbf{v}_{t+1}$, where $\mathbf{g}_t$ is the batch gradient. It is the
# same method: with $\mathbf{v}_t = \alpha\,\mathbf{m}_t$, $\mu = \beta$ and $\eta = \alpha(1-\beta)$ both give the same
# path. In both, the momentum coefficient ($\beta$, $\mu$) is the fraction of the previous direction that is kept;
# once the gradient is steady, a step of (8) is $\alpha$ times the gradient, and a step of the velocity form
# $\eta / (1-\mu)$ times it.
#
# Complete `momentum_step`, which does one step (8). The batch gradient at $\boldsymbol\phi_t$ is computed for
# you; the experiment after the tests draws the batches and calls your function 81 times.

# %% nbgrader={"grade": false, "grade_id": "momentum_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def momentum_step(phi, momentum, data, batch_index, alpha, beta):
    """One step of stochastic gradient descent with momentum, equation (8).

    Parameters
    ----------
    phi : ndarray, shape (2, 1)
        Current parameters phi_t.
    momentum : ndarray, shape (2, 1)
        Current momentum m_t (zeros before the first step).
    data : ndarray, shape (2, N)
        Row 0 holds the inputs x_i, row 1 the targets y_i.
    batch_index : ndarray of int, shape (B,)
        Columns of data in this step's batch.
    alpha : float
        Learning rate.
    beta : float
        Momentum coefficient, 0 <= beta < 1.

    Returns
    -------
    phi : ndarray, shape (2, 1)
        New parameters phi_{t+1}.
    momentum : ndarray, shape (2, 1)
        New momentum m_{t+1}.
    """
    # The batch gradient at phi_t
    gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi)
    # TODO: store m_{t+1} of the first line of equation (8) in momentum, then phi_{t+1} of its second line in
    # phi, both new (2, 1) arrays (do not change the inputs in place).
    ### BEGIN SOLUTION
    momentum = beta * momentum + (1 - beta) * gradient
    phi = phi - alpha * momentum
    ### END SOLUTION
    return phi, momentum


# %% nbgrader={"grade": false, "grade_id": "momentum_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: one step from phi = (-1.5, 6.5) with momentum (0.5, -0.2), the batch of columns 0, 3, 7, 11, 20,
# alpha = 0.6 and beta = 0.6.
phi_check, momentum_check = momentum_step(np.array([[-1.5], [6.5]]), np.array([[0.5], [-0.2]]), data,
                                          np.array([0, 3, 7, 11, 20]), alpha=0.6, beta=0.6)
print("shapes:             ", np.shape(phi_check), np.shape(momentum_check), "  expected: (2, 1) (2, 1)")
print("your phi:            (%.4f, %.4f)" % (phi_check[0].item(), phi_check[1].item()))
print("expected phi:        (%.4f, %.4f)" % (-1.320879, 6.580939))
print("your momentum:       (%.4f, %.4f)" % (momentum_check[0].item(), momentum_check[1].item()))
print("expected momentum:   (%.4f, %.4f)" % (-0.298534, -0.134898))

# %% nbgrader={"grade": true, "grade_id": "test_momentum_step", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
# The provided data, restated here: an answer that changed `data` in place costs only its own task.
_data = np.array([[-1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
                   -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
                   -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
                   1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
                   -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00],
                  [-1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
                   9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
                   -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
                   6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
                   -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01]])
# Visible checks: the shapes and the worked example of the self-check.
_phi_in, _momentum_in, _data_in = np.array([[-1.5], [6.5]]), np.array([[0.5], [-0.2]]), _data.copy()
_result = momentum_step(_phi_in, _momentum_in, _data_in, np.array([0, 3, 7, 11, 20]), alpha=0.6, beta=0.6)
assert np.array_equal(_phi_in, [[-1.5], [6.5]]) and np.array_equal(_momentum_in, [[0.5], [-0.2]]) and \
    np.array_equal(_data_in, _data), "momentum_step changed an input (phi, momentum or data) in place"
assert isinstance(_result, tuple) and len(_result) == 2, "momentum_step must return the pair (phi, momentum)"
phi_out, momentum_out = _result
assert np.shape(phi_out) == (2, 1) and np.shape(momentum_out) == (2, 1), \
    "momentum_step must return phi and momentum of shape (2, 1)"
assert np.allclose(momentum_out, [[-0.298534], [-0.134898]], atol=1e-5), \
    "the self-check example gives a different momentum: use the first line of equation (8)"
assert np.allclose(phi_out, [[-1.320879], [6.580939]], atol=1e-5), \
    "the self-check example gives a different phi: step along the new momentum"
# The no-loop rule (instruction 5), read from your answer cell.
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


_lines = _loop_lines(momentum_step)
assert not _lines, ("no-loop rule: the answer cell of momentum_step has a for/while loop or a comprehension "
                    f"(line {_lines}); use numpy array operations instead")
### BEGIN HIDDEN TESTS
def _grad(x, y, phi):
    z = 0.06 * phi[1, 0] * x + phi[0, 0]
    s, c, g = np.sin(z), np.cos(z), np.exp(-z * z / 32)
    dz = 2 * (c * g - s * g * z / 16) * (s * g - y)
    return np.array([[np.sum(dz)], [np.sum(dz * 0.06 * x)]])


_rng = np.random.default_rng(41273)
_D = np.vstack([_rng.uniform(-12, 12, 23), _rng.normal(0, 0.5, 23)])
for _alpha, _beta in [(0.4, 0.3), (0.2, 0.85), (0.7, 0.0), (0.5, 0.95)]:
    _phi = np.array([[_rng.normal(0.5, 1.0)], [_rng.normal(9.0, 2.0)]])
    _m = _rng.normal(0, 0.8, (2, 1))
    _idx = _rng.choice(23, size=6, replace=False)
    _phi_in, _m_in, _D_in, _idx_in = _phi.copy(), _m.copy(), _D.copy(), _idx.copy()
    _out = momentum_step(_phi_in, _m_in, _D_in, _idx_in, _alpha, _beta)
    assert np.array_equal(_phi_in, _phi), "momentum_step changed its input phi in place; compute a new array"
    assert np.array_equal(_m_in, _m), "momentum_step changed its input momentum in place; compute a new array"
    assert np.array_equal(_D_in, _D) and np.array_equal(_idx_in, _idx), \
        "momentum_step changed its input data or batch_index in place"
    assert isinstance(_out, tuple) and len(_out) == 2, "momentum_step must return the pair (phi, momentum)"
    _phi_new, _m_new = _out
    assert np.shape(_phi_new) == (2, 1) and np.shape(_m_new) == (2, 1), \
        "momentum_step must return phi and momentum of shape (2, 1)"
    _g = _grad(_D[0, _idx], _D[1, _idx], _phi)
    _m_ref = _beta * _m + (1 - _beta) * _g
    if not np.allclose(_m_new, _m_ref, rtol=1e-7, atol=1e-9):
        assert not np.allclose(_m_new, _beta * _m + _g), \
            "the new momentum is beta * m + gradient: the gradient term must be weighted by (1 - beta)"
        raise AssertionError(f"with beta={_beta} the new momentum differs from the first line of equation (8)")
    if not np.allclose(_phi_new, _phi - _alpha * _m_ref, rtol=1e-7, atol=1e-9):
        assert not np.allclose(_phi_new, _phi - _alpha * _g), \
            "phi moves along the gradient, not along the new momentum"
        assert not np.allclose(_phi_new, _phi - _alpha * _m), \
            "phi moves along the old momentum m_t, not along the new momentum m_{t+1}"
        raise AssertionError(f"with alpha={_alpha} and beta={_beta} the new phi differs from the second line of equation (8)")

# End point of the experiment below: 81 steps from (-1.5, 6.5), alpha = 0.6, beta = 0.6, batches of 5, seed 1
np.random.seed(1)
_p, _m = np.array([[-1.5], [6.5]]), np.zeros((2, 1))
_p_ref, _m_ref = _p.copy(), _m.copy()
for _ in range(81):
    _idx = np.random.permutation(_data.shape[1])[0:5]
    _p, _m = momentum_step(_p, _m, _data, _idx, 0.6, 0.6)
    _m_ref = 0.6 * _m_ref + 0.4 * _grad(_data[0, _idx], _data[1, _idx], _p_ref)
    _p_ref = _p_ref - 0.6 * _m_ref
assert np.allclose(_p, _p_ref, atol=1e-6), "the 81-step momentum experiment ends at a different point"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_experiment_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The same 81 steps and the same batches as plain SGD above, now with momentum $\beta = 0.6$:

# %% nbgrader={"grade": false, "grade_id": "momentum_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Set the random number generator so you always get same numbers (disable if you don't want this)
np.random.seed(1)
# Initialize the parameters
n_steps = 81
batch_size = 5
alpha = 0.6
beta = 0.6
momentum = np.zeros([2, 1])
phi_all = np.zeros((2, n_steps + 1))
phi_all[0, 0] = -1.5
phi_all[1, 0] = 6.5

# Measure loss and draw initial model
loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, 0:1])
draw_model(data, model, phi_all[:, 0:1], "Initial parameters, loss = %f" % loss_value)

for c_step in range(n_steps):
    # Choose random batch indices
    batch_index = np.random.permutation(data.shape[1])[0:batch_size]
    # One step of equation (8)
    phi_all[:, c_step + 1:c_step + 2], momentum = momentum_step(
        phi_all[:, c_step:c_step + 1], momentum, data, batch_index, alpha, beta)

loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, c_step + 1:c_step + 2])
draw_model(data, model, phi_all[:, c_step + 1], "Iteration %d, loss = %f" % (c_step + 1, loss_value))
draw_loss_function(compute_loss, data, model, phi_all, title=r"SGD with momentum, $\beta$ = 0.6")


# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum_expected", "locked": true, "schema_version": 3, "solution": false, "task": false}
# If your code in this task is correct, your loss-surface plot looks like this:
#
# ![expected figure](attachment:momentum_expected.png)

# %% [markdown] nbgrader={"grade": false, "grade_id": "nesterov_step_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q4: TODO [15 points]: Nesterov momentum
#
# Finally, Nesterov momentum. The momentum term alone would move the parameters to the *look-ahead point*
# $\boldsymbol\phi_t - \alpha\beta\,\mathbf{m}_t$, so Nesterov momentum measures the gradient there instead of
# at $\boldsymbol\phi_t$:
#
# $$\begin{aligned}
# \mathbf{m}_{t+1} &= \beta\,\mathbf{m}_t + (1-\beta) \sum_{i \in \mathcal{B}_t} \frac{\partial \ell_i[\boldsymbol\phi_t - \alpha\beta\,\mathbf{m}_t]}{\partial \boldsymbol\phi}, \\
# \boldsymbol\phi_{t+1} &= \boldsymbol\phi_t - \alpha\,\mathbf{m}_{t+1}.
# \end{aligned} \tag{9}$$
#
# Complete `nesterov_step`, which does one step (9). This time you also compute the gradient, with
# `compute_gradient_descent` on the batch.

# %% nbgrader={"grade": false, "grade_id": "nesterov_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def nesterov_step(phi, momentum, data, batch_index, alpha, beta):
    """One step of stochastic gradient descent with Nesterov momentum, equation (9).

    Parameters
    ----------
    phi : ndarray, shape (2, 1)
        Current parameters phi_t.
    momentum : ndarray, shape (2, 1)
        Current momentum m_t (zeros before the first step).
    data : ndarray, shape (2, N)
        Row 0 holds the inputs x_i, row 1 the targets y_i.
    batch_index : ndarray of int, shape (B,)
        Columns of data in this step's batch.
    alpha : float
        Learning rate.
    beta : float
        Momentum coefficient, 0 <= beta < 1.

    Returns
    -------
    phi : ndarray, shape (2, 1)
        New parameters phi_{t+1}.
    momentum : ndarray, shape (2, 1)
        New momentum m_{t+1}.
    """
    # TODO: compute the batch gradient (columns batch_index of data, with compute_gradient_descent; shape
    # (2, 1)) at the look-ahead point of equation (9), then store m_{t+1} of the first line of (9) in momentum
    # and phi_{t+1} of its second line in phi, both new (2, 1) arrays (do not change the inputs in place).
    ### BEGIN SOLUTION
    phi_lookahead = phi - alpha * beta * momentum
    gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi_lookahead)
    momentum = beta * momentum + (1 - beta) * gradient
    phi = phi - alpha * momentum
    ### END SOLUTION
    return phi, momentum


# %% nbgrader={"grade": false, "grade_id": "nesterov_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: the same step as for momentum: phi = (-1.5, 6.5), momentum (0.5, -0.2), columns 0, 3, 7, 11, 20,
# alpha = 0.6 and beta = 0.6.
phi_check, momentum_check = nesterov_step(np.array([[-1.5], [6.5]]), np.array([[0.5], [-0.2]]), data,
                                          np.array([0, 3, 7, 11, 20]), alpha=0.6, beta=0.6)
print("shapes:             ", np.shape(phi_check), np.shape(momentum_check), "  expected: (2, 1) (2, 1)")
print("your phi:            (%.4f, %.4f)" % (phi_check[0].item(), phi_check[1].item()))
print("expected phi:        (%.4f, %.4f)" % (-1.373124, 6.577333))
print("your momentum:       (%.4f, %.4f)" % (momentum_check[0].item(), momentum_check[1].item()))
print("expected momentum:   (%.4f, %.4f)" % (-0.211459, -0.128889))

# %% nbgrader={"grade": true, "grade_id": "test_nesterov_step", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
# The provided data, restated here: an answer that changed `data` in place costs only its own task.
_data = np.array([[-1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
                   -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
                   -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
                   1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
                   -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00],
                  [-1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
                   9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
                   -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
                   6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
                   -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01]])
# Visible checks: the shapes and the worked example of the self-check.
_phi_in, _momentum_in, _data_in = np.array([[-1.5], [6.5]]), np.array([[0.5], [-0.2]]), _data.copy()
_result = nesterov_step(_phi_in, _momentum_in, _data_in, np.array([0, 3, 7, 11, 20]), alpha=0.6, beta=0.6)
assert np.array_equal(_phi_in, [[-1.5], [6.5]]) and np.array_equal(_momentum_in, [[0.5], [-0.2]]) and \
    np.array_equal(_data_in, _data), "nesterov_step changed an input (phi, momentum or data) in place"
assert isinstance(_result, tuple) and len(_result) == 2, "nesterov_step must return the pair (phi, momentum)"
phi_out, momentum_out = _result
assert np.shape(phi_out) == (2, 1) and np.shape(momentum_out) == (2, 1), \
    "nesterov_step must return phi and momentum of shape (2, 1)"
assert np.allclose(momentum_out, [[-0.211459], [-0.128889]], atol=1e-5), \
    "the self-check example gives a different momentum: evaluate the batch gradient at the look-ahead point"
assert np.allclose(phi_out, [[-1.373124], [6.577333]], atol=1e-5), \
    "the self-check example gives a different phi: step along the new momentum"
# The no-loop rule (instruction 5), read from your answer cell.
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


_lines = _loop_lines(nesterov_step)
assert not _lines, ("no-loop rule: the answer cell of nesterov_step has a for/while loop or a comprehension "
                    f"(line {_lines}); use numpy array operations instead")
### BEGIN HIDDEN TESTS
def _grad(x, y, phi):
    z = 0.06 * phi[1, 0] * x + phi[0, 0]
    s, c, g = np.sin(z), np.cos(z), np.exp(-z * z / 32)
    dz = 2 * (c * g - s * g * z / 16) * (s * g - y)
    return np.array([[np.sum(dz)], [np.sum(dz * 0.06 * x)]])


_rng = np.random.default_rng(58219)
_D = np.vstack([_rng.uniform(-12, 12, 19), _rng.normal(0, 0.5, 19)])
for _alpha, _beta in [(0.4, 0.3), (0.25, 0.85), (0.7, 0.5), (0.5, 0.95)]:
    _phi = np.array([[_rng.normal(0.5, 1.0)], [_rng.normal(9.0, 2.0)]])
    _m = _rng.normal(0, 1.5, (2, 1))
    _idx = _rng.choice(19, size=7, replace=False)
    _phi_in, _m_in, _D_in, _idx_in = _phi.copy(), _m.copy(), _D.copy(), _idx.copy()
    _out = nesterov_step(_phi_in, _m_in, _D_in, _idx_in, _alpha, _beta)
    assert np.array_equal(_phi_in, _phi), "nesterov_step changed its input phi in place; compute a new array"
    assert np.array_equal(_m_in, _m), "nesterov_step changed its input momentum in place; compute a new array"
    assert np.array_equal(_D_in, _D) and np.array_equal(_idx_in, _idx), \
        "nesterov_step changed its input data or batch_index in place"
    assert isinstance(_out, tuple) and len(_out) == 2, "nesterov_step must return the pair (phi, momentum)"
    _phi_new, _m_new = _out
    assert np.shape(_phi_new) == (2, 1) and np.shape(_m_new) == (2, 1), \
        "nesterov_step must return phi and momentum of shape (2, 1)"
    _g = _grad(_D[0, _idx], _D[1, _idx], _phi - _alpha * _beta * _m)
    _m_ref = _beta * _m + (1 - _beta) * _g
    if not np.allclose(_m_new, _m_ref, rtol=1e-7, atol=1e-9):
        assert not np.allclose(_m_new, _beta * _m + (1 - _beta) * _grad(_D[0, _idx], _D[1, _idx], _phi)), \
            "the gradient is evaluated at phi_t: Nesterov momentum evaluates it at the look-ahead point"
        assert not np.allclose(_m_new, _beta * _m + (1 - _beta) * _grad(_D[0, _idx], _D[1, _idx], _phi - _beta * _m)), \
            "the look-ahead point misses the learning rate: it is phi_t - alpha * beta * m_t"
        assert not np.allclose(_m_new, _beta * _m + _g), \
            "the new momentum is beta * m + gradient: the gradient term must be weighted by (1 - beta)"
        raise AssertionError(f"with alpha={_alpha} and beta={_beta} the new momentum differs from the first line of "
                             "equation (9)")
    if not np.allclose(_phi_new, _phi - _alpha * _m_ref, rtol=1e-7, atol=1e-9):
        assert not np.allclose(_phi_new, _phi - _alpha * _beta * _m - _alpha * _m_ref), \
            "phi_{t+1} starts from the look-ahead point: it is phi_t - alpha * m_{t+1}"
        raise AssertionError(f"with alpha={_alpha} and beta={_beta} the new phi differs from the second line of equation (9)")

# End point of the experiment below: 81 steps from (-1.5, 6.5), alpha = 0.6, beta = 0.6, batches of 5, seed 1
np.random.seed(1)
_p, _m = np.array([[-1.5], [6.5]]), np.zeros((2, 1))
_p_ref, _m_ref = _p.copy(), _m.copy()
for _ in range(81):
    _idx = np.random.permutation(_data.shape[1])[0:5]
    _p, _m = nesterov_step(_p, _m, _data, _idx, 0.6, 0.6)
    _m_ref = 0.6 * _m_ref + 0.4 * _grad(_data[0, _idx], _data[1, _idx], _p_ref - 0.36 * _m_ref)
    _p_ref = _p_ref - 0.6 * _m_ref
assert np.allclose(_p, _p_ref, atol=1e-6), "the 81-step Nesterov experiment ends at a different point"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nesterov_experiment_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The same 81 steps and batches once more, with Nesterov momentum:

# %% nbgrader={"grade": false, "grade_id": "nesterov_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Set the random number generator so you always get same numbers (disable if you don't want this)
np.random.seed(1)
# Initialize the parameters
n_steps = 81
batch_size = 5
alpha = 0.6
beta = 0.6
momentum = np.zeros([2, 1])
phi_all = np.zeros((2, n_steps + 1))
phi_all[0, 0] = -1.5
phi_all[1, 0] = 6.5

# Measure loss and draw initial model
loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, 0:1])
draw_model(data, model, phi_all[:, 0:1], "Initial parameters, loss = %f" % loss_value)

for c_step in range(n_steps):
    # Choose random batch indices
    batch_index = np.random.permutation(data.shape[1])[0:batch_size]
    # One step of equation (9)
    phi_all[:, c_step + 1:c_step + 2], momentum = nesterov_step(
        phi_all[:, c_step:c_step + 1], momentum, data, batch_index, alpha, beta)

loss_value = compute_loss(data[0, :], data[1, :], model, phi_all[:, c_step + 1:c_step + 2])
draw_model(data, model, phi_all[:, c_step + 1], "Iteration %d, loss = %f" % (c_step + 1, loss_value))
draw_loss_function(compute_loss, data, model, phi_all, title=r"SGD with Nesterov momentum, $\beta$ = 0.6")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nesterov_expected", "locked": true, "schema_version": 3, "solution": false, "task": false}
# If your code in this task is correct, your plot looks just like the momentum plot; for this problem
# Nesterov momentum does not improve the result:
#
# ![expected figure](attachment:nesterov_expected.png)

# %% [markdown] nbgrader={"grade": false, "grade_id": "adam_surface_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## A loss surface for Adam
#
# To see what Adam is for, we minimize a function of two parameters that changes much faster in $\phi_1$
# than in $\phi_0$. (Normally the loss would be defined implicitly by data and a model.)

# %% nbgrader={"grade": false, "grade_id": "adam_surface", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The function we wish to find the minimum of (its minimum is at phi = (0.7, 0))
def loss(phi0, phi1):
    """The loss 1 - exp(-2 phi1^2) exp(-(phi0 - 0.7)^2 / 8) at (phi0, phi1); floats or arrays of one shape."""
    height = np.exp(-0.5 * (phi1 * phi1) * 4.0)
    height = height * np.exp(-0.5 * (phi0 - 0.7) * (phi0 - 0.7) / 4.0)
    return 1.0 - height


# The gradients of this function (for simplicity, by central finite differences)
def get_loss_gradient(phi0, phi1):
    """The gradient of loss at (phi0, phi1), two floats. Returns an ndarray of shape (2,)."""
    delta_phi = 0.00001
    gradient = np.zeros((2, 1))
    gradient[0] = (loss(phi0 + delta_phi / 2.0, phi1) - loss(phi0 - delta_phi / 2.0, phi1)) / delta_phi
    gradient[1] = (loss(phi0, phi1 + delta_phi / 2.0) - loss(phi0, phi1 - delta_phi / 2.0)) / delta_phi
    return gradient[:, 0]


# The loss function at a grid of values of phi0 and phi1, for plotting
def get_loss_function_for_plot():
    """Returns loss_function, phi0mesh, phi1mesh, each of shape (G, G) = (200, 200)."""
    grid_values = np.arange(-1.0, 1.0, 0.01)
    phi0mesh, phi1mesh = np.meshgrid(grid_values, grid_values)
    loss_function = loss(phi0mesh, phi1mesh)
    return loss_function, phi0mesh, phi1mesh


# Plotting function
def draw_function(phi0mesh, phi1mesh, loss_function, my_colormap, opt_path, title=None):
    """Draw the loss surface and an optimization path opt_path, shape (2, T)."""
    if GRADING:  # not drawn while the notebook is graded, to save time
        return
    fig, ax = plt.subplots()
    fig.set_size_inches(7, 7)
    ax.contourf(phi0mesh, phi1mesh, loss_function, 256, cmap=my_colormap)
    ax.contour(phi0mesh, phi1mesh, loss_function, 20, colors=['#80808080'])
    ax.plot(opt_path[0, :], opt_path[1, :], '-', color='#a0d9d3ff')
    ax.plot(opt_path[0, :], opt_path[1, :], '.', color='#a0d9d3ff', markersize=10)
    ax.set_xlabel(r"$\phi_0$")
    ax.set_ylabel(r"$\phi_1$")
    ax.set_title(title if title is not None else "Optimization path")
    plt.show()


# Simple fixed step size gradient descent
def grad_descent(start_posn, n_steps, alpha):
    """Gradient descent with a fixed step. start_posn : (2, 1). Returns grad_path, shape (2, n_steps + 1)."""
    grad_path = np.zeros((2, n_steps + 1))
    grad_path[:, 0] = start_posn[:, 0]
    for c_step in range(n_steps):
        this_grad = get_loss_gradient(grad_path[0, c_step], grad_path[1, c_step])
        grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * this_grad
    return grad_path


# %% [markdown] nbgrader={"grade": false, "grade_id": "fixed_step_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# We start with gradient descent with a fixed step size, from $\boldsymbol\phi = (-0.7, -0.9)$: 200 steps with
# $\alpha = 0.08$, then 40 steps with $\alpha = 1$.

# %% nbgrader={"grade": false, "grade_id": "fixed_step_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
loss_function, phi0mesh, phi1mesh = get_loss_function_for_plot()

start_posn = np.zeros((2, 1))
start_posn[0, 0] = -0.7; start_posn[1, 0] = -0.9

# Run gradient descent
grad_path1 = grad_descent(start_posn, n_steps=200, alpha=0.08)
draw_function(phi0mesh, phi1mesh, loss_function, my_colormap, grad_path1,
              title=r"Gradient descent, $\alpha$ = 0.08, 200 steps")
grad_path2 = grad_descent(start_posn, n_steps=40, alpha=1.0)
draw_function(phi0mesh, phi1mesh, loss_function, my_colormap, grad_path2,
              title=r"Gradient descent, $\alpha$ = 1.0, 40 steps")


# %% [markdown] nbgrader={"grade": false, "grade_id": "adam_motivation", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Because the function changes much faster in $\phi_1$ than in $\phi_0$, there is no good step size. If we
# choose it so that we make sensible progress in the $\phi_1$ direction, it takes many iterations to converge.
# If we choose it so that we make sensible progress in the $\phi_0$ direction, the path oscillates in the
# $\phi_1$ direction.
#
# This motivates Adam. At its core is the idea that we should just find which way is downhill along each
# axis (left/right for $\phi_0$, up/down for $\phi_1$) and move a fixed distance in that direction.

# %% [markdown] nbgrader={"grade": false, "grade_id": "normalized_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q5: TODO [15 points]: normalized gradients
#
# Gradient descent with a fixed step size makes large adjustments to parameters with large gradients (where
# perhaps we should be more cautious) and small adjustments to parameters with small gradients (where perhaps
# we should explore further). When the loss surface is much steeper in one direction than in another, it is
# hard to choose a learning rate that (i) makes good progress in both directions and (ii) is stable.
#
# A simple fix is to normalize the gradients, so that we move a fixed distance (set by the learning rate)
# along each axis. We measure the gradient $\mathbf{m}_{t+1}$ and the pointwise squared gradient
# $\mathbf{v}_{t+1}$,
#
# $$\mathbf{m}_{t+1} \leftarrow \frac{\partial L[\boldsymbol\phi_t]}{\partial \boldsymbol\phi}, \qquad
#   \mathbf{v}_{t+1} \leftarrow \left(\frac{\partial L[\boldsymbol\phi_t]}{\partial \boldsymbol\phi}\right)^2, \tag{10}$$
#
# and then update
#
# $$\boldsymbol\phi_{t+1} \leftarrow \boldsymbol\phi_t - \alpha \frac{\mathbf{m}_{t+1}}{\sqrt{\mathbf{v}_{t+1}} + \epsilon}, \tag{11}$$
#
# where the square root and the division are pointwise, $\alpha$ is the learning rate, and $\epsilon$ is a
# small constant that prevents a division by zero when a gradient is exactly zero.
#
# Complete `normalized_gradients`: inside the provided loop over steps, compute $\mathbf{v}_{t+1}$ and the
# update (11).

# %% nbgrader={"grade": false, "grade_id": "normalized_gradients", "locked": false, "schema_version": 3, "solution": true, "task": false}
def normalized_gradients(start_posn, n_steps, alpha, epsilon=1e-20):
    """Gradient descent with normalized gradients, equations (10) and (11).

    Parameters
    ----------
    start_posn : ndarray, shape (2, 1)
        Start point phi_0 (left unchanged).
    n_steps : int
        Number of steps T.
    alpha : float
        Learning rate.
    epsilon : float
        Added to sqrt(v) in the denominator of (11).

    Returns
    -------
    grad_path : ndarray, shape (2, T + 1)
        Column t holds phi_t; column 0 is the start point.
    """
    grad_path = np.zeros((2, n_steps + 1))
    grad_path[:, 0] = start_posn[:, 0]
    for c_step in range(n_steps):
        # Measure the gradient, equation (10): m has shape (2,)
        m = get_loss_gradient(grad_path[0, c_step], grad_path[1, c_step])
        # TODO: compute v_{t+1} of equation (10), shape (2,), and store phi_{t+1} of equation (11), shape (2,), in
        # grad_path[:, c_step + 1].
        ### BEGIN SOLUTION
        v = m ** 2
        grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m / (np.sqrt(v) + epsilon)
        ### END SOLUTION
    return grad_path


# %% nbgrader={"grade": false, "grade_id": "normalized_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: three steps from (-0.7, -0.9) with alpha = 0.08.
path_check = normalized_gradients(np.array([[-0.7], [-0.9]]), n_steps=3, alpha=0.08)
print("shape:           ", np.shape(path_check), "  expected: (2, 4)")
print("your path:\n", np.round(path_check, 4))
print("expected path:\n", np.array([[-0.7, -0.62, -0.54, -0.46], [-0.9, -0.82, -0.74, -0.66]]))

# %% nbgrader={"grade": true, "grade_id": "test_normalized_gradients", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
# Visible checks: the shape, the worked example of the self-check, the start point left unchanged, and a start
# where one gradient component is exactly zero, with a large epsilon (so where epsilon goes matters).
_start_in = np.array([[-0.7], [-0.9]])
path_out = normalized_gradients(_start_in, n_steps=3, alpha=0.08)
assert np.array_equal(_start_in, [[-0.7], [-0.9]]), "normalized_gradients changed its input start_posn in place"
assert isinstance(path_out, np.ndarray) and path_out.shape == (2, 4), \
    "normalized_gradients must return grad_path of shape (2, n_steps + 1)"
assert np.allclose(path_out, [[-0.7, -0.62, -0.54, -0.46], [-0.9, -0.82, -0.74, -0.66]], atol=1e-6), \
    "the self-check example gives a different path: each step moves alpha along each axis, downhill"
_path = normalized_gradients(np.array([[0.5], [0.0]]), n_steps=3, alpha=0.06, epsilon=0.5)
assert np.shape(_path) == (2, 4) and np.all(np.isfinite(_path)), \
    "from (0.5, 0.0) the path has nan or inf: the gradient in phi_1 is exactly 0 there, see the role of epsilon in (11)"
assert np.allclose(_path, [[0.5, 0.5054298027272116, 0.5107264950301498, 0.5158926098177545], [0.0, 0.0, 0.0, 0.0]],
                   rtol=1e-7, atol=1e-9), \
    "from (0.5, 0.0) with alpha = 0.06 and epsilon = 0.5 the path differs from (11): check where epsilon is added"
# The no-loop rule (instruction 5), read from your answer cell.
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


_lines = _loop_lines(normalized_gradients, scaffold_var="c_step")
assert not _lines, ("no-loop rule: the answer cell of normalized_gradients has a loop or a comprehension besides "
                    f"the provided `for c_step` loop (line {_lines}); use numpy array operations instead")
### BEGIN HIDDEN TESTS
def _loss(phi0, phi1):
    return 1.0 - np.exp(-0.5 * (phi1 * phi1) * 4.0) * np.exp(-0.5 * (phi0 - 0.7) * (phi0 - 0.7) / 4.0)


def _loss_grad(phi0, phi1):
    d = 0.00001
    return np.array([(_loss(phi0 + d / 2.0, phi1) - _loss(phi0 - d / 2.0, phi1)) / d,
                     (_loss(phi0, phi1 + d / 2.0) - _loss(phi0, phi1 - d / 2.0)) / d])


def _normalized(start, n_steps, alpha, epsilon, inside_sqrt=False):
    path = np.zeros((2, n_steps + 1))
    path[:, 0] = start[:, 0]
    for t in range(n_steps):
        m = _loss_grad(path[0, t], path[1, t])
        denominator = np.sqrt(m ** 2 + epsilon) if inside_sqrt else np.sqrt(m ** 2) + epsilon
        path[:, t + 1] = path[:, t] - alpha * m / denominator
    return path


for _start, _n, _alpha, _eps in [((0.35, 0.55), 17, 0.05, 1e-20), ((-0.9, 0.8), 25, 0.11, 1e-20),
                                 ((0.2, -0.4), 12, 0.07, 0.3), ((-0.3, 0.0), 9, 0.1, 1e-20),
                                 ((-0.7, -0.9), 40, 0.08, 1e-20)]:
    _s = np.array([[_start[0]], [_start[1]]])
    _s_in = _s.copy()
    _path = normalized_gradients(_s_in, n_steps=_n, alpha=_alpha, epsilon=_eps)
    assert np.array_equal(_s_in, _s), "normalized_gradients changed its input start_posn in place"
    assert isinstance(_path, np.ndarray) and _path.shape == (2, _n + 1), \
        "normalized_gradients must return grad_path of shape (2, n_steps + 1)"
    assert np.all(np.isfinite(_path)), \
        ("the path contains nan or inf: when a gradient component is exactly zero, sqrt(v) is 0, so epsilon "
         "must be added to the denominator as in equation (11)")
    _ref = _normalized(_s, _n, _alpha, _eps)
    if not np.allclose(_path, _ref, rtol=1e-7, atol=1e-9):
        assert not np.allclose(_path, _normalized(_s, _n, _alpha, _eps, inside_sqrt=True)), \
            "epsilon is added inside the square root: equation (11) adds it to sqrt(v)"
        raise AssertionError(f"from start {_start} with {_n} steps, alpha={_alpha} and epsilon={_eps} the path "
                             "differs from equations (10) and (11)")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "normalized_experiment_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Let's try out normalized gradients: 40 steps from $(-0.7, -0.9)$ with $\alpha = 0.08$.

# %% nbgrader={"grade": false, "grade_id": "normalized_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
start_posn = np.zeros((2, 1))
start_posn[0, 0] = -0.7; start_posn[1, 0] = -0.9

# Run gradient descent with normalized gradients
grad_path1 = normalized_gradients(start_posn, n_steps=40, alpha=0.08)
draw_function(phi0mesh, phi1mesh, loss_function, my_colormap, grad_path1,
              title=r"Normalized gradients, $\alpha$ = 0.08, 40 steps")


# %% [markdown] nbgrader={"grade": false, "grade_id": "normalized_expected", "locked": true, "schema_version": 3, "solution": false, "task": false}
# If your code in this task is correct, your plot looks like this:
#
# ![expected figure](attachment:normalized_expected.png)
#
# This moves towards the minimum at a sensible speed, but never actually converges: the path ends up
# bouncing back and forth between the last two points. To make it converge, we add momentum to both the
# gradient and the pointwise squared gradient. We also rescale these statistics by a factor that depends on
# the step number, so that the progress is not slow at the start.

# %% [markdown] nbgrader={"grade": false, "grade_id": "adam_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q6: TODO [15 points]: Adam
#
# Adaptive moment estimation, or Adam, adds momentum to both the estimate of the gradient and the estimate of
# the squared gradient:
#
# $$\begin{aligned}
# \mathbf{m}_{t+1} &\leftarrow \beta\,\mathbf{m}_t + (1-\beta) \frac{\partial L[\boldsymbol\phi_t]}{\partial \boldsymbol\phi}, \\
# \mathbf{v}_{t+1} &\leftarrow \gamma\,\mathbf{v}_t + (1-\gamma) \left(\frac{\partial L[\boldsymbol\phi_t]}{\partial \boldsymbol\phi}\right)^2,
# \end{aligned} \tag{12}$$
#
# where $\beta$ and $\gamma$ are the momentum coefficients of the two statistics and $\mathbf{m}_0 = \mathbf{v}_0 = \mathbf{0}$.
#
# Momentum is a weighted average over the history of each statistic. At the start all earlier measurements
# are effectively zero, which makes the estimates unrealistically small, so Adam corrects them (*bias
# correction*):
#
# $$\tilde{\mathbf{m}}_{t+1} \leftarrow \frac{\mathbf{m}_{t+1}}{1 - \beta^{t+1}}, \qquad
#   \tilde{\mathbf{v}}_{t+1} \leftarrow \frac{\mathbf{v}_{t+1}}{1 - \gamma^{t+1}}. \tag{13}$$
#
# Since $\beta$ and $\gamma$ are in $[0, 1)$, the powers $\beta^{t+1}$ and $\gamma^{t+1}$ shrink with every step,
# the denominators approach one, and the correction fades. The first step is $t = 0$, so the exponents are
# $1, 2, 3, \dots$. Finally, we update the parameters as before, with the corrected statistics:
#
# $$\boldsymbol\phi_{t+1} \leftarrow \boldsymbol\phi_t - \alpha \frac{\tilde{\mathbf{m}}_{t+1}}{\sqrt{\tilde{\mathbf{v}}_{t+1}} + \epsilon}. \tag{14}$$
#
# Here $\epsilon$ is added to the square root, as in (11) and in the original Adam paper. The notebook
# `wine_mlp_backprop` puts it inside the root, $\sqrt{\tilde{\mathbf{v}} + \epsilon}$; both forms are in use, and the
# tests of this notebook check (14).
#
# Complete `adam`: inside the provided loop over steps, update `m` and `v`, correct them, and store the new
# parameters.

# %% nbgrader={"grade": false, "grade_id": "adam", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam(start_posn, n_steps, alpha, beta=0.9, gamma=0.99, epsilon=1e-20):
    """Adam, equations (12) to (14).

    Parameters
    ----------
    start_posn : ndarray, shape (2, 1)
        Start point phi_0 (left unchanged).
    n_steps : int
        Number of steps T.
    alpha : float
        Learning rate.
    beta, gamma : float
        Momentum coefficients of the gradient and of the squared gradient, in [0, 1).
    epsilon : float
        Added to sqrt(v_tilde) in the denominator of (14).

    Returns
    -------
    grad_path : ndarray, shape (2, T + 1)
        Column t holds phi_t; column 0 is the start point.
    """
    grad_path = np.zeros((2, n_steps + 1))
    grad_path[:, 0] = start_posn[:, 0]
    m = np.zeros_like(grad_path[:, 0])       # m_0, shape (2,)
    v = np.zeros_like(grad_path[:, 0])       # v_0, shape (2,)
    for c_step in range(n_steps):
        # Measure the gradient at phi_t (t = c_step): shape (2,)
        grad = get_loss_gradient(grad_path[0, c_step], grad_path[1, c_step])
        # TODO: update m and v (both shape (2,)) with equation (12), correct them with equation (13) (for
        # t = c_step the exponent is c_step + 1), and store phi_{t+1} of equation (14), shape (2,), in
        # grad_path[:, c_step + 1].
        ### BEGIN SOLUTION
        m = beta * m + (1 - beta) * grad
        v = gamma * v + (1 - gamma) * grad ** 2
        m_tilde = m / (1 - beta ** (c_step + 1))
        v_tilde = v / (1 - gamma ** (c_step + 1))
        grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m_tilde / (np.sqrt(v_tilde) + epsilon)
        ### END SOLUTION
    return grad_path


# %% nbgrader={"grade": false, "grade_id": "adam_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: three steps from (-0.7, -0.9) with alpha = 0.05 and the default beta, gamma and epsilon.
path_check = adam(np.array([[-0.7], [-0.9]]), n_steps=3, alpha=0.05)
print("shape:           ", np.shape(path_check), "  expected: (2, 4)")
print("your path:\n", np.round(path_check, 6))
print("expected path:\n", np.array([[-0.7, -0.65, -0.599966, -0.549863], [-0.9, -0.85, -0.799953, -0.749819]]))

# %% nbgrader={"grade": true, "grade_id": "test_adam", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
# Visible checks: the shape, the worked example of the self-check, the start point left unchanged, and a start
# where one gradient component is exactly zero, with other coefficients and a large epsilon.
_start_in = np.array([[-0.7], [-0.9]])
path_out = adam(_start_in, n_steps=3, alpha=0.05)
assert np.array_equal(_start_in, [[-0.7], [-0.9]]), "adam changed its input start_posn in place"
assert isinstance(path_out, np.ndarray) and path_out.shape == (2, 4), \
    "adam must return grad_path of shape (2, n_steps + 1)"
assert np.allclose(path_out, [[-0.7, -0.65, -0.599966, -0.549863], [-0.9, -0.85, -0.799953, -0.749819]], atol=2e-6), \
    "the self-check example gives a different path: check equations (12) to (14)"
_path = adam(np.array([[0.5], [0.0]]), n_steps=3, alpha=0.04, beta=0.7, gamma=0.9, epsilon=0.5)
assert np.shape(_path) == (2, 4) and np.all(np.isfinite(_path)), \
    "from (0.5, 0.0) the path has nan or inf: the gradient in phi_1 is exactly 0 there, see the role of epsilon in (14)"
assert np.allclose(_path, [[0.5, 0.5036198684848078, 0.5072046195631512, 0.5107508724165163], [0.0, 0.0, 0.0, 0.0]],
                   rtol=1e-7, atol=1e-9), \
    ("from (0.5, 0.0) with alpha = 0.04, beta = 0.7, gamma = 0.9 and epsilon = 0.5 the path differs from (12) to "
     "(14): use the arguments beta, gamma and epsilon, and check where epsilon is added")
# The no-loop rule (instruction 5), read from your answer cell.
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


_lines = _loop_lines(adam, scaffold_var="c_step")
assert not _lines, ("no-loop rule: the answer cell of adam has a loop or a comprehension besides the provided "
                    f"`for c_step` loop (line {_lines}); use numpy array operations instead")
### BEGIN HIDDEN TESTS
def _loss(phi0, phi1):
    return 1.0 - np.exp(-0.5 * (phi1 * phi1) * 4.0) * np.exp(-0.5 * (phi0 - 0.7) * (phi0 - 0.7) / 4.0)


def _loss_grad(phi0, phi1):
    d = 0.00001
    return np.array([(_loss(phi0 + d / 2.0, phi1) - _loss(phi0 - d / 2.0, phi1)) / d,
                     (_loss(phi0, phi1 + d / 2.0) - _loss(phi0, phi1 - d / 2.0)) / d])


def _adam(start, n_steps, alpha, beta, gamma, epsilon, correct=True, first_exponent=1):
    path = np.zeros((2, n_steps + 1))
    path[:, 0] = start[:, 0]
    m, v = np.zeros(2), np.zeros(2)
    for t in range(n_steps):
        g = _loss_grad(path[0, t], path[1, t])
        m = beta * m + (1 - beta) * g
        v = gamma * v + (1 - gamma) * g * g
        m_t = m / (1 - beta ** (t + first_exponent)) if correct else m
        v_t = v / (1 - gamma ** (t + first_exponent)) if correct else v
        path[:, t + 1] = path[:, t] - alpha * m_t / (np.sqrt(v_t) + epsilon)
    return path


for _start, _n, _alpha, _beta, _gamma, _eps in [
        ((0.35, 0.55), 1, 0.05, 0.5, 0.8, 1e-20), ((0.35, 0.55), 2, 0.05, 0.5, 0.8, 1e-20),
        ((-0.9, 0.8), 30, 0.07, 0.75, 0.95, 1e-20), ((0.2, -0.4), 15, 0.04, 0.9, 0.99, 0.2),
        ((-0.3, 0.0), 10, 0.06, 0.8, 0.9, 1e-20), ((-0.7, -0.9), 60, 0.05, 0.9, 0.99, 1e-20)]:
    _s = np.array([[_start[0]], [_start[1]]])
    _s_in = _s.copy()
    _path = adam(_s_in, n_steps=_n, alpha=_alpha, beta=_beta, gamma=_gamma, epsilon=_eps)
    assert np.array_equal(_s_in, _s), "adam changed its input start_posn in place"
    assert isinstance(_path, np.ndarray) and _path.shape == (2, _n + 1), \
        "adam must return grad_path of shape (2, n_steps + 1)"
    assert np.all(np.isfinite(_path)), \
        ("the path contains nan or inf: check that v averages the squared gradient, that the bias-correction "
         "exponent of step t = c_step is c_step + 1, and that epsilon is in the denominator")
    _ref = _adam(_s, _n, _alpha, _beta, _gamma, _eps)
    if not np.allclose(_path, _ref, rtol=1e-7, atol=1e-9):
        assert not np.allclose(_path, _adam(_s, _n, _alpha, _beta, _gamma, _eps, correct=False)), \
            "the statistics are not bias-corrected: divide m by 1 - beta**(t+1) and v by 1 - gamma**(t+1)"
        assert not np.allclose(_path, _adam(_s, _n, _alpha, _beta, _gamma, _eps, first_exponent=2)), \
            "the bias-correction exponent is one too large: the first step (c_step = 0) uses exponent 1"
        raise AssertionError(f"from start {_start} with {_n} steps, alpha={_alpha}, beta={_beta}, gamma={_gamma} "
                             f"and epsilon={_eps} the path differs from equations (12) to (14)")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "adam_experiment_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Let's try out Adam: 60 steps from $(-0.7, -0.9)$ with $\alpha = 0.05$.

# %% nbgrader={"grade": false, "grade_id": "adam_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
start_posn = np.zeros((2, 1))
start_posn[0, 0] = -0.7; start_posn[1, 0] = -0.9

# Run Adam
grad_path1 = adam(start_posn, n_steps=60, alpha=0.05)
draw_function(phi0mesh, phi1mesh, loss_function, my_colormap, grad_path1,
              title=r"Adam, $\alpha$ = 0.05, 60 steps")


# %% [markdown] nbgrader={"grade": false, "grade_id": "adam_expected", "locked": true, "schema_version": 3, "solution": false, "task": false}
# If your code in this task is correct, your plot looks like this:
#
# ![expected figure](attachment:adam_expected.png)

# %% [markdown] nbgrader={"grade": false, "grade_id": "schedule_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Ungraded: a learning-rate schedule
#
# If you have time left, in the lab or at home: a common way to make SGD settle into a minimum instead of
# jittering around it is a *learning-rate schedule*. Start with $\alpha_0$ and multiply the learning rate by a
# factor $\rho < 1$ every $M$ steps:
#
# $$\alpha_t = \alpha_0\,\rho^{\lfloor t / M \rfloor}, \qquad t = 0, 1, \dots, T-1. \tag{15}$$
#
# Complete `learning_rate_schedule` (without a loop: `np.arange` and integer division `//` are enough), then
# run the experiment below, which repeats the SGD experiment of Q2 for 81 steps with the schedule. Try a few
# values of $\alpha_0$, $\rho$ and $M$: when does the path end closer to the minimum than with a constant
# learning rate, and what goes wrong when the learning rate shrinks too early? This part is not graded: if you
# leave `learning_rate_schedule` as it is, the experiment cell says so and skips the experiment, and the
# notebook still runs to the end.

# %% nbgrader={"grade": false, "grade_id": "learning_rate_schedule", "locked": false, "schema_version": 3, "solution": true, "task": false}
def learning_rate_schedule(alpha0, rho, M, n_steps):
    """The learning rates of equation (15).

    alpha0 : float, the first learning rate; rho : float, the factor (0 < rho <= 1); M : int, steps between
    reductions; n_steps : int, the number of steps T.
    Returns alphas : ndarray, shape (T,): alphas[t] is alpha_t of equation (15).
    """
    # TODO (ungraded): compute alphas of equation (15), shape (T,), with numpy, without a loop.
    ### BEGIN SOLUTION
    alphas = alpha0 * rho ** (np.arange(n_steps) // M)
    ### END SOLUTION
    return alphas


# %% nbgrader={"grade": false, "grade_id": "schedule_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The SGD experiment of Q2 (from (3.5, 6.5), batches of 5, seed 1), run for 81 steps with the schedule; the final
# loss is compared with that of the constant learning rate alpha0. Change alpha0, rho and M to experiment.
alpha0, rho, M = 0.8, 0.7, 20
n_steps = 81
try:
    alphas = learning_rate_schedule(alpha0, rho, M, n_steps)
except NotImplementedError:
    alphas = None
    print("learning_rate_schedule is not written (this part is optional): the experiment is skipped.")

if alphas is not None:
    print("learning rates:", np.round(alphas, 3))
    final_losses = []
    for step_sizes in [np.full(n_steps, alpha0), alphas]:
        np.random.seed(1)
        phi_all = np.zeros((2, n_steps + 1))
        phi_all[0, 0] = 3.5
        phi_all[1, 0] = 6.5
        for c_step in range(n_steps):
            phi_all[:, c_step + 1:c_step + 2] = stochastic_gradient_descent_step(
                phi_all[:, c_step:c_step + 1], data, alpha=step_sizes[c_step], batch_size=5)
        final_losses.append(compute_loss(data[0, :], data[1, :], model, phi_all[:, -1:]))
    print("final loss with constant alpha = %g: %.4f" % (alpha0, final_losses[0]))
    print("final loss with the schedule:      %.4f" % final_losses[1])
    draw_loss_function(compute_loss, data, model, phi_all,
                       title=r"SGD with a schedule: $\alpha_0$ = %g, $\rho$ = %g, M = %d" % (alpha0, rho, M))


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
