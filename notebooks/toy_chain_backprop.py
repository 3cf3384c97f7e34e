# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Lab 7, part 2: backpropagation in a toy model
#
# **Goal.** Compute the eight derivatives of a least-squares loss through a chain of `sin`, `exp` and `cos`
# by hand, with the forward pass / backward pass recipe that every neural network library uses, and check
# them against finite differences.
#
# **How this notebook works.** Run the cells from top to bottom. Where you see **TODO**, replace
# `raise NotImplementedError()` with your code. After each answer there is a self-check that prints your
# values beside the expected ones, then a locked test cell worth points. The test cells you see are not
# all the tests: when your notebook is graded, the same functions are also run on parameters and inputs
# you have not seen, so compute the values; do not type them in.
#
# **Each question is graded on its own.** The tests of Q8 and Q9 give your function the true values of the
# earlier steps, so a mistake in Q7 costs the points of Q7 only, and a mistake in Q8 those of Q8 only.
#
# **Rules.** Keep the function names and signatures: the tests call them.
#
# **Handing in.** Rename your copy `toy_chain_backprop_<your student id>.ipynb`, for example
# `toy_chain_backprop_aa1234.ipynb` (Colab calls it "Copy of toy_chain_backprop.ipynb"), run all cells, download
# it (File → Download → .ipynb) and upload that file. The grader finds your work by this name; a notebook
# submitted under another name is not graded.
#
# **Deadline and late work.** The deadline is 17:00 on Friday 14 March 2025 (UK time). A notebook handed in after the
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
# **Time.** About 40 minutes.
#
# **Run time.** With every answer done, the notebook runs top to bottom in about 5 s as a student and about 5 s
# when graded (measured on a 2-core machine).
#
# | Question | Task | Points |
# | --- | --- | --- |
# | Q7 | forward pass: `forward_pass` | 6 |
# | Q8 | backward pass: `backward_pass` | 8 |
# | Q9 | derivatives of the parameters: `parameter_derivatives` | 6 |
# | | **total** | **20** |
#
# Part 1 of the lab (gradient descent, SGD, momentum, Adam) is the notebook `lab7_optimizers`.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np


# %% [markdown] nbgrader={"grade": false, "grade_id": "model_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Backpropagation in a toy model
#
# The equations of this notebook are numbered (B1), (B2), ... (B for backpropagation), apart from the numbers
# (1), (2), ... of `lab7_optimizers`.
#
# We want the derivatives of a function in which one operation is composed with another, which is composed
# with a third, and so on. Consider the model
#
# $$f[x, \phi] = \beta_3 + \omega_3 \cdot \cos\left[\beta_2 + \omega_2 \cdot \exp\left[\beta_1 + \omega_1 \cdot \sin[\beta_0 + \omega_0 x]\right]\right], \tag{B1}$$
#
# with parameters $\phi = \{\beta_0, \omega_0, \beta_1, \omega_1, \beta_2, \omega_2, \beta_3, \omega_3\}$.
#
# It composes $\cos[\bullet]$, $\exp[\bullet]$ and $\sin[\bullet]$, chosen because their derivatives are familiar:
#
# $$\frac{\partial \cos[z]}{\partial z} = -\sin[z], \qquad \frac{\partial \exp[z]}{\partial z} = \exp[z], \qquad \frac{\partial \sin[z]}{\partial z} = \cos[z]. \tag{B2}$$
#
# Take the least-squares loss of one training pair $(x_i, y_i)$:
#
# $$\ell_i = (f[x_i, \phi] - y_i)^2.$$
#
# Given the current values of $\beta_0, \beta_1, \beta_2, \beta_3, \omega_0, \omega_1, \omega_2, \omega_3$, $x_i$ and $y_i$
# we can compute $\ell_i$. We also want to know how $\ell_i$ changes when we change any one parameter a little,
# that is, the eight derivatives
#
# $$\frac{\partial \ell_i}{\partial \beta_0}, \quad \frac{\partial \ell_i}{\partial \beta_1}, \quad \frac{\partial \ell_i}{\partial \beta_2}, \quad \frac{\partial \ell_i}{\partial \beta_3}, \quad \frac{\partial \ell_i}{\partial \omega_0}, \quad \frac{\partial \ell_i}{\partial \omega_1}, \quad \frac{\partial \ell_i}{\partial \omega_2}, \quad \text{and} \quad \frac{\partial \ell_i}{\partial \omega_3}. \tag{B3}$$
#
# First, the function and the loss:

# %% nbgrader={"grade": false, "grade_id": "fn_and_loss", "locked": true, "schema_version": 3, "solution": false, "task": false}
def fn(x, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    """The toy model f[x, phi] of equation (B1). All arguments are floats (or arrays of one shape)."""
    return beta3 + omega3 * np.cos(beta2 + omega2 * np.exp(beta1 + omega1 * np.sin(beta0 + omega0 * x)))


def loss(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    """The least-squares loss (f[x, phi] - y)^2 of one pair (x, y)."""
    diff = fn(x, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3) - y
    return diff * diff


# %% [markdown] nbgrader={"grade": false, "grade_id": "values_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Now choose values for the betas, the omegas, $x$ and $y$, and compute the loss:

# %% nbgrader={"grade": false, "grade_id": "values", "locked": true, "schema_version": 3, "solution": false, "task": false}
beta0 = 1.0; beta1 = 2.0; beta2 = -3.0; beta3 = 0.4
omega0 = 0.1; omega1 = -0.4; omega2 = 2.0; omega3 = 3.0
x = 2.3; y = 2.0
l_i_func = loss(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3)
print('l_i=%3.3f' % l_i_func)

# %% [markdown] nbgrader={"grade": false, "grade_id": "by_hand_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Computing derivatives by hand
#
# We could work out an expression for each derivative and code it directly, but even for this small model
# some are long. For example:
#
# $$\frac{\partial \ell_i}{\partial \omega_0} = -2 \left(\beta_3 + \omega_3 \cdot \cos\left[\beta_2 + \omega_2 \cdot \exp\left[\beta_1 + \omega_1 \cdot \sin\left[\beta_0 + \omega_0 x_i\right]\right]\right] - y_i\right) \cdot \omega_1 \omega_2 \omega_3 \cdot x_i \cdot \cos\left[\beta_0 + \omega_0 x_i\right] \cdot \exp\left[\beta_1 + \omega_1 \cdot \sin\left[\beta_0 + \omega_0 x_i\right]\right] \cdot \sin\left[\beta_2 + \omega_2 \cdot \exp\left[\beta_1 + \omega_1 \cdot \sin\left[\beta_0 + \omega_0 x_i\right]\right]\right]. \tag{B4}$$

# %% nbgrader={"grade": false, "grade_id": "closed_form", "locked": true, "schema_version": 3, "solution": false, "task": false}
dldbeta3_func = 2 * (beta3 + omega3 * np.cos(beta2 + omega2 * np.exp(beta1 + omega1 * np.sin(beta0 + omega0 * x))) - y)
dldomega0_func = -2 * (beta3 + omega3 * np.cos(beta2 + omega2 * np.exp(beta1 + omega1 * np.sin(beta0 + omega0 * x))) - y) * \
    omega1 * omega2 * omega3 * x * np.cos(beta0 + omega0 * x) * np.exp(beta1 + omega1 * np.sin(beta0 + omega0 * x)) * \
    np.sin(beta2 + omega2 * np.exp(beta1 + omega1 * np.sin(beta0 + omega0 * x)))

# %% [markdown] nbgrader={"grade": false, "grade_id": "closed_form_check_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Let's make sure this is correct with a finite difference: change $\omega_0$ by a small amount $h$ and divide
# the change in the loss by $h$.

# %% nbgrader={"grade": false, "grade_id": "closed_form_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
dldomega0_fd = (loss(x, y, beta0, beta1, beta2, beta3, omega0 + 0.00001, omega1, omega2, omega3)
                - loss(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3)) / 0.00001

print('dydomega0: Function value = %3.3f, Finite difference value = %3.3f' % (dldomega0_func, dldomega0_fd))


# %% [markdown] nbgrader={"grade": false, "grade_id": "forward_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The code for $\partial \ell_i / \partial \omega_0$ is a nightmare: it is easy to get wrong, and parts of it
# (the $\sin[\bullet]$ term, for example) are computed again and again, a sign of redundant work. We will
# compute all the derivatives in a much simpler way, in three steps.
#
# **Step 1: the forward pass.** Write the original equation as a series of intermediate calculations,
#
# $$\begin{aligned} f_0 &= \beta_0 + \omega_0 x_i \\ h_1 &= \sin[f_0] \\ f_1 &= \beta_1 + \omega_1 h_1 \\ h_2 &= \exp[f_1] \\ f_2 &= \beta_2 + \omega_2 h_2 \\ h_3 &= \cos[f_2] \\ f_3 &= \beta_3 + \omega_3 h_3 \\ \ell_i &= (f_3 - y_i)^2 \end{aligned} \tag{B5}$$
#
# and compute and store every intermediate value: the backward pass needs them.
#
# ### Q7: TODO [6 points]
#
# Complete `forward_pass`: compute all the $f_k$ and $h_k$ terms of equations (B5) and the loss `l_i`.

# %% nbgrader={"grade": false, "grade_id": "forward_pass", "locked": false, "schema_version": 3, "solution": true, "task": false}
def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    """Forward pass of the toy model, equations (B5).

    Parameters
    ----------
    x, y : float                      the input x_i and the target y_i
    beta0, beta1, beta2, beta3 : float
    omega0, omega1, omega2, omega3 : float

    Returns
    -------
    f0, h1, f1, h2, f2, h3, f3, l_i : float
        the intermediate values of equations (B5), in that order, and the loss l_i = (f3 - y)^2
    """
    # TODO: compute f0, h1, f1, h2, f2, h3, f3 and l_i (floats) with equations (B5), in that order, and store each in
    # the variable of that name.
    ### BEGIN SOLUTION
    f0 = beta0 + omega0 * x
    h1 = np.sin(f0)
    f1 = beta1 + omega1 * h1
    h2 = np.exp(f1)
    f2 = beta2 + omega2 * h2
    h3 = np.cos(f2)
    f3 = beta3 + omega3 * h3
    l_i = (f3 - y) ** 2
    ### END SOLUTION
    return f0, h1, f1, h2, f2, h3, f3, l_i


# %% nbgrader={"grade": false, "grade_id": "forward_pass_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: run your forward pass on the values above.
f0, h1, f1, h2, f2, h3, f3, l_i = forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3)
print("f0: true value = %3.3f, your value = %3.3f" % (1.230, f0))
print("h1: true value = %3.3f, your value = %3.3f" % (0.942, h1))
print("f1: true value = %3.3f, your value = %3.3f" % (1.623, f1))
print("h2: true value = %3.3f, your value = %3.3f" % (5.068, h2))
print("f2: true value = %3.3f, your value = %3.3f" % (7.137, f2))
print("h3: true value = %3.3f, your value = %3.3f" % (0.657, h3))
print("f3: true value = %3.3f, your value = %3.3f" % (2.372, f3))
print("l_i original = %3.3f, l_i from forward pass = %3.3f" % (l_i_func, l_i))

# %% nbgrader={"grade": true, "grade_id": "test_forward_pass", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for Q7. Visible checks: the example's values to nine digits (so a rounded or typed-in number
# fails), then another example: compute from the arguments, not from the example's variables.
_names = "f0 h1 f1 h2 f2 h3 f3 l_i".split()
_cases = [((2.3, 2.0, 1.0, 2.0, -3.0, 0.4, 0.1, -0.4, 2.0, 3.0),
           (1.23, 0.9424888019316975, 1.623004479227321, 5.068295051170775, 7.13659010234155, 0.6574213694719748,
            2.3722641084159246, 0.13858056641470326)),
          ((0.7, -0.3, 0.2, -1.1, 0.6, -0.5, -0.9, 0.8, 0.4, 1.7),
           (-0.43, -0.41687080242921076, -1.4334966419433688, 0.23847360588101274, 0.6953894423524051,
            0.7678042503427912, 0.8052672255827451, 1.2216156399473788))]
for _args, _expected in _cases:
    _got = forward_pass(*_args)
    assert len(_got) == 8, "forward_pass must return f0, h1, f1, h2, f2, h3, f3, l_i"
    for _name, _value, _true in zip(_names, _got, _expected):
        assert np.size(_value) == 1, f"{_name} must be one number"
        assert np.isclose(_value, _true, rtol=1e-9, atol=1e-12), \
            f"{_name} is {float(np.ravel(_value)[0])!r} for x, y = {_args[:2]}; expected {_true!r} (equations (B5))"
### BEGIN HIDDEN TESTS
def _reference_forward(x, y, b0, b1, b2, b3, w0, w1, w2, w3):
    f0 = b0 + w0 * x
    h1 = np.sin(f0)
    f1 = b1 + w1 * h1
    h2 = np.exp(f1)
    f2 = b2 + w2 * h2
    h3 = np.cos(f2)
    f3 = b3 + w3 * h3
    return f0, h1, f1, h2, f2, h3, f3, (f3 - y) ** 2


_rng = np.random.default_rng(70217)
for _args in [(-1.7, 0.5, -0.7, 0.3, 1.1, -0.2, 1.3, 0.8, -1.5, 0.6)] + [tuple(_rng.uniform(-1.5, 1.5, 10)) for _ in range(4)]:
    _got = forward_pass(*_args)
    assert len(_got) == 8, "forward_pass must return f0, h1, f1, h2, f2, h3, f3, l_i"
    for _name, _value, _expected in zip("f0 h1 f1 h2 f2 h3 f3 l_i".split(), _got, _reference_forward(*_args)):
        assert np.size(_value) == 1, f"{_name} must be one number"
        assert np.allclose(_value, _expected, rtol=1e-9, atol=1e-12), \
            f"{_name} is incorrect for other parameters and inputs: compute it from the arguments, following (B5)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "backward_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Step 2: the backward pass.** Compute the derivatives of $\ell_i$ with respect to the intermediate quantities,
# in reverse order:
#
# $$\frac{\partial \ell_i}{\partial f_3}, \quad \frac{\partial \ell_i}{\partial h_3}, \quad \frac{\partial \ell_i}{\partial f_2}, \quad \frac{\partial \ell_i}{\partial h_2}, \quad \frac{\partial \ell_i}{\partial f_1}, \quad \frac{\partial \ell_i}{\partial h_1}, \quad \text{and} \quad \frac{\partial \ell_i}{\partial f_0}. \tag{B6}$$
#
# The first of these is straightforward:
#
# $$\frac{\partial \ell_i}{\partial f_3} = 2(f_3 - y_i). \tag{B7}$$
#
# The second follows from the chain rule:
#
# $$\frac{\partial \ell_i}{\partial h_3} = \frac{\partial f_3}{\partial h_3} \frac{\partial \ell_i}{\partial f_3}. \tag{B8}$$
#
# The left-hand side asks how $\ell_i$ changes when $h_3$ changes. The right-hand side splits this into how $f_3$
# changes when $h_3$ changes, and how $\ell_i$ changes when $f_3$ changes: a chain of events, $h_3$ changes $f_3$,
# which changes $\ell_i$. We already computed $\partial \ell_i / \partial f_3 = 2(f_3 - y_i)$, and the derivative of
# $\beta_3 + \omega_3 h_3$ with respect to $h_3$ is simply $\omega_3$.
#
# Continuing in the same way:
#
# $$\begin{aligned} \frac{\partial \ell_i}{\partial f_2} &= \frac{\partial h_3}{\partial f_2} \left(\frac{\partial f_3}{\partial h_3} \frac{\partial \ell_i}{\partial f_3}\right) \\ \frac{\partial \ell_i}{\partial h_2} &= \frac{\partial f_2}{\partial h_2} \left(\frac{\partial h_3}{\partial f_2} \frac{\partial f_3}{\partial h_3} \frac{\partial \ell_i}{\partial f_3}\right) \\ \frac{\partial \ell_i}{\partial f_1} &= \frac{\partial h_2}{\partial f_1} \left(\frac{\partial f_2}{\partial h_2} \frac{\partial h_3}{\partial f_2} \frac{\partial f_3}{\partial h_3} \frac{\partial \ell_i}{\partial f_3}\right) \\ \frac{\partial \ell_i}{\partial h_1} &= \frac{\partial f_1}{\partial h_1} \left(\frac{\partial h_2}{\partial f_1} \frac{\partial f_2}{\partial h_2} \frac{\partial h_3}{\partial f_2} \frac{\partial f_3}{\partial h_3} \frac{\partial \ell_i}{\partial f_3}\right) \\ \frac{\partial \ell_i}{\partial f_0} &= \frac{\partial h_1}{\partial f_0} \left(\frac{\partial f_1}{\partial h_1} \frac{\partial h_2}{\partial f_1} \frac{\partial f_2}{\partial h_2} \frac{\partial h_3}{\partial f_2} \frac{\partial f_3}{\partial h_3} \frac{\partial \ell_i}{\partial f_3}\right). \end{aligned} \tag{B9}$$
#
# In each line the bracket is the derivative computed on the line before, and the one new factor is the
# derivative of a single step of (B5), which is easy to write down with (B2).
#
# ### Q8: TODO [8 points]
#
# Complete `backward_pass`. The first two derivatives are done; compute the remaining five.

# %% nbgrader={"grade": false, "grade_id": "backward_pass", "locked": false, "schema_version": 3, "solution": true, "task": false}
def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
    """Backward pass of the toy model, equations (B7)-(B9).

    Parameters
    ----------
    y : float                                   the target y_i
    f0, h1, f1, h2, f2, h3, f3 : float          the intermediate values from forward_pass
    omega1, omega2, omega3 : float

    Returns
    -------
    dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0 : float
        the derivative of l_i with respect to each intermediate value, in that order
    """
    dldf3 = 2 * (f3 - y)
    dldh3 = omega3 * dldf3
    # TODO: compute dldf2, dldh2, dldf1, dldh1 and dldf0 (floats) with equations (B9), in that order, using (B2)
    # for the derivatives of cos, exp and sin, and store each in the variable of that name.
    ### BEGIN SOLUTION
    dldf2 = -np.sin(f2) * dldh3
    dldh2 = omega2 * dldf2
    dldf1 = np.exp(f1) * dldh2
    dldh1 = omega1 * dldf1
    dldf0 = np.cos(f0) * dldh1
    ### END SOLUTION
    return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0


# %% nbgrader={"grade": false, "grade_id": "backward_pass_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: run your backward pass on the forward-pass values above.
dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0 = backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3)
print("dldf3: true value = %3.3f, your value = %3.3f" % (0.745, dldf3))
print("dldh3: true value = %3.3f, your value = %3.3f" % (2.234, dldh3))
print("dldf2: true value = %3.3f, your value = %3.3f" % (-1.683, dldf2))
print("dldh2: true value = %3.3f, your value = %3.3f" % (-3.366, dldh2))
print("dldf1: true value = %3.3f, your value = %3.3f" % (-17.060, dldf1))
print("dldh1: true value = %3.3f, your value = %3.3f" % (6.824, dldh1))
print("dldf0: true value = %3.3f, your value = %3.3f" % (2.281, dldf0))

# %% nbgrader={"grade": true, "grade_id": "test_backward_pass", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for Q8. They give backward_pass the true forward-pass values, so that a slip in Q7 is not
# counted again here. Visible checks: the example's values, then a gradient check on another example: moving
# beta_k by a small step moves f_k by that step, and moving it by omega_k times the step is what moving h_k by
# the step does, so the finite differences of the provided loss in beta_k give dl/df_k and dl/dh_k.
_forward = (1.23, 0.9424888019316975, 1.623004479227321, 5.068295051170775, 7.13659010234155, 0.6574213694719748,
            2.3722641084159246)
_names = ["dldf3", "dldh3", "dldf2", "dldh2", "dldf1", "dldh1", "dldf0"]
_got = backward_pass(2.0, *_forward, -0.4, 2.0, 3.0)
assert len(_got) == 7, "backward_pass must return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0"
for _name, _value, _expected in zip(_names, _got, [0.745, 2.234, -1.683, -3.366, -17.060, 6.824, 2.281]):
    assert np.size(_value) == 1, f"{_name} must be one number"
    assert np.round(_value, 3) == _expected, f"{_name} is incorrect"
_x, _y = 0.7, -0.3
_params = dict(beta0=0.2, beta1=-1.1, beta2=0.6, beta3=-0.5, omega0=-0.9, omega1=0.8, omega2=0.4, omega3=1.7)
_other = (-0.43, -0.41687080242921076, -1.4334966419433688, 0.23847360588101274, 0.6953894423524051,
          0.7678042503427912, 0.8052672255827451)
_got = backward_pass(_y, *_other, _params["omega1"], _params["omega2"], _params["omega3"])
assert len(_got) == 7, "backward_pass must return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0"


def _moved_loss(name, step):
    moved = dict(_params)
    moved[name] += step
    return loss(_x, _y, **moved)


for _name, _value, _beta, _scale in zip(_names, _got, ["beta3", "beta3", "beta2", "beta2", "beta1", "beta1", "beta0"],
                                        [1, _params["omega3"], 1, _params["omega2"], 1, _params["omega1"], 1]):
    assert np.size(_value) == 1, f"{_name} must be one number"
    _numeric = (_moved_loss(_beta, _scale * 1e-6) - _moved_loss(_beta, -_scale * 1e-6)) / 2e-6
    _error = abs(float(np.ravel(_value)[0]) - _numeric) / max(abs(float(np.ravel(_value)[0])) + abs(_numeric), 1e-12)
    assert _error < 1e-6, (f"gradient check on another example: {_name} = {float(np.ravel(_value)[0]):.6f}, "
                           f"a finite difference gives {_numeric:.6f} (relative error {_error:.1e})")
### BEGIN HIDDEN TESTS
def _downstream_loss(k, value, y, b1, b2, b3, w1, w2, w3):
    """The loss computed onward from intermediate number k (0: f0, 1: h1, 2: f1, ... 6: f3) set to value."""
    steps = [np.sin, lambda h: b1 + w1 * h, np.exp, lambda h: b2 + w2 * h, np.cos, lambda h: b3 + w3 * h]
    for step in steps[k:]:
        value = step(value)
    return (value - y) ** 2


_rng = np.random.default_rng(81123)
_names = ["dldf0", "dldh1", "dldf1", "dldh2", "dldf2", "dldh3", "dldf3"]
for _args in [(-1.7, 0.5, -0.7, 0.3, 1.1, -0.2, 1.3, 0.8, -1.5, 0.6)] + [tuple(_rng.uniform(-1.5, 1.5, 10)) for _ in range(4)]:
    _x, _y, _b0, _b1, _b2, _b3, _w0, _w1, _w2, _w3 = _args
    _f0 = _b0 + _w0 * _x
    _h1 = np.sin(_f0); _f1 = _b1 + _w1 * _h1; _h2 = np.exp(_f1); _f2 = _b2 + _w2 * _h2
    _h3 = np.cos(_f2); _f3 = _b3 + _w3 * _h3
    _values = [_f0, _h1, _f1, _h2, _f2, _h3, _f3]
    _got = backward_pass(_y, _f0, _h1, _f1, _h2, _f2, _h3, _f3, _w1, _w2, _w3)
    assert len(_got) == 7, "backward_pass must return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0"
    for _k, (_name, _value) in enumerate(zip(_names, list(_got)[::-1])):
        assert np.size(_value) == 1, f"{_name} must be one number"
        _eps = 1e-6
        _numeric = (_downstream_loss(_k, _values[_k] + _eps, _y, _b1, _b2, _b3, _w1, _w2, _w3)
                    - _downstream_loss(_k, _values[_k] - _eps, _y, _b1, _b2, _b3, _w1, _w2, _w3)) / (2 * _eps)
        assert np.isclose(_value, _numeric, rtol=1e-5, atol=1e-7), \
            f"{_name} disagrees with a finite difference for other parameters: check its sign and chain factor"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "parameters_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Step 3: the derivatives of the parameters.** Each $\beta_k$ and $\omega_k$ enters (B5) in exactly one line,
# $f_k = \beta_k + \omega_k h_k$ (with $h_0 = x_i$), so a parameter changes the loss only through $f_k$, and the
# chain rule splits each derivative into two factors:
#
# $$\frac{\partial \ell_i}{\partial \beta_k} = \frac{\partial f_k}{\partial \beta_k}\frac{\partial \ell_i}{\partial f_k}, \qquad \frac{\partial \ell_i}{\partial \omega_k} = \frac{\partial f_k}{\partial \omega_k}\frac{\partial \ell_i}{\partial f_k}. \tag{B10}$$
#
# The second factor is what the backward pass computed; the first is the derivative of the line
# $f_k = \beta_k + \omega_k h_k$ with respect to one of its parameters: work it out.
#
# ### Q9: TODO [6 points]
#
# Complete `parameter_derivatives`: the derivatives of the loss with respect to the beta and omega terms,
# returned in a dictionary keyed by the parameters' names.

# %% nbgrader={"grade": false, "grade_id": "parameter_derivatives", "locked": false, "schema_version": 3, "solution": true, "task": false}
def parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3):
    """Derivatives of l_i with respect to the eight parameters, equation (B10).

    Parameters
    ----------
    x : float                              the input x_i (it plays the part of h_0)
    h1, h2, h3 : float                     from forward_pass
    dldf0, dldf1, dldf2, dldf3 : float     from backward_pass

    Returns
    -------
    grads : dict
        keys 'beta0', 'omega0', 'beta1', 'omega1', 'beta2', 'omega2', 'beta3', 'omega3';
        grads['beta1'] is dl_i/dbeta_1, and so on
    """
    # TODO: store in grads a dict of the eight derivatives of equation (B10) (floats; x plays the part of h_0),
    # keyed by the parameter names of the docstring.
    ### BEGIN SOLUTION
    grads = {
        'beta3': dldf3, 'omega3': h3 * dldf3,
        'beta2': dldf2, 'omega2': h2 * dldf2,
        'beta1': dldf1, 'omega1': h1 * dldf1,
        'beta0': dldf0, 'omega0': x * dldf0,
    }
    ### END SOLUTION
    return grads


# %% nbgrader={"grade": false, "grade_id": "parameter_derivatives_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Self-check: your derivatives for the values above.
grads = parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3)
dldbeta3, dldomega3 = grads['beta3'], grads['omega3']
dldbeta2, dldomega2 = grads['beta2'], grads['omega2']
dldbeta1, dldomega1 = grads['beta1'], grads['omega1']
dldbeta0, dldomega0 = grads['beta0'], grads['omega0']
print('dldbeta3: Your value = %3.3f, True value = %3.3f' % (dldbeta3, 0.745))
print('dldomega3: Your value = %3.3f, True value = %3.3f' % (dldomega3, 0.489))
print('dldbeta2: Your value = %3.3f, True value = %3.3f' % (dldbeta2, -1.683))
print('dldomega2: Your value = %3.3f, True value = %3.3f' % (dldomega2, -8.530))
print('dldbeta1: Your value = %3.3f, True value = %3.3f' % (dldbeta1, -17.060))
print('dldomega1: Your value = %3.3f, True value = %3.3f' % (dldomega1, -16.079))
print('dldbeta0: Your value = %3.3f, True value = %3.3f' % (dldbeta0, 2.281))
print('dldomega0: Your value = %3.3f, Function value = %3.3f, Finite difference value = %3.3f'
      % (dldomega0, dldomega0_func, dldomega0_fd))

# %% [markdown] nbgrader={"grade": false, "grade_id": "fd_check_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Check all eight against finite differences.** The central difference
# $\big(\ell_i(\theta + h) - \ell_i(\theta - h)\big) / 2h$ approximates the derivative with respect to one parameter
# $\theta$ with an error of order $h^2$. If your three passes are right, every row agrees to about six digits.

# %% nbgrader={"grade": false, "grade_id": "fd_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
params = dict(beta0=beta0, beta1=beta1, beta2=beta2, beta3=beta3, omega0=omega0, omega1=omega1, omega2=omega2, omega3=omega3)
step = 1e-6
print("%-8s %12s %12s" % ("param", "backprop", "finite diff"))
for name in ['beta0', 'omega0', 'beta1', 'omega1', 'beta2', 'omega2', 'beta3', 'omega3']:
    up, down = dict(params), dict(params)
    up[name] += step
    down[name] -= step
    numeric = (loss(x, y, **up) - loss(x, y, **down)) / (2 * step)
    print("%-8s %12.6f %12.6f %s" % (name, grads[name], numeric, "ok" if np.isclose(grads[name], numeric, rtol=1e-5) else "DIFFERENT"))

# %% nbgrader={"grade": true, "grade_id": "test_parameter_derivatives", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
# Do not edit: tests for Q9. They give parameter_derivatives the true values, so that a slip in Q7 or Q8 is not
# counted again here. Visible checks: the example's values, then a gradient check of all eight on another example
# against finite differences of the provided loss.
_got = parameter_derivatives(2.3, 0.9424888019316975, 5.068295051170775, 0.6574213694719748, 2.280900622169349,
                             -17.060466526267692, -1.6830577496003047, 0.7445282168318492)
_expected = {'beta3': 0.745, 'omega3': 0.489, 'beta2': -1.683, 'omega2': -8.530,
             'beta1': -17.060, 'omega1': -16.079, 'beta0': 2.281, 'omega0': 5.246}
assert isinstance(_got, dict), "parameter_derivatives must return a dict"
for _name in _expected:
    assert _name in _got, f"the dict must have the key '{_name}'"
    assert np.size(_got[_name]) == 1, f"the derivative for {_name} must be one number"
    assert np.round(_got[_name], 3) == _expected[_name], f"dld{_name} is incorrect"
_x, _y = 0.7, -0.3
_params = dict(beta0=0.2, beta1=-1.1, beta2=0.6, beta3=-0.5, omega0=-0.9, omega1=0.8, omega2=0.4, omega3=1.7)
_got = parameter_derivatives(_x, -0.41687080242921076, 0.23847360588101274, 0.7678042503427912,
                             -0.16700452742426158, -0.22966284412255772, -2.4076337848175617, 2.2105344511654903)
assert isinstance(_got, dict), "parameter_derivatives must return a dict"
for _name in _params:
    assert _name in _got and np.size(_got[_name]) == 1, f"the dict must hold one number for '{_name}'"
    _up, _down = dict(_params), dict(_params)
    _up[_name] += 1e-6
    _down[_name] -= 1e-6
    _numeric = (loss(_x, _y, **_up) - loss(_x, _y, **_down)) / 2e-6
    _value = float(np.ravel(_got[_name])[0])
    _error = abs(_value - _numeric) / max(abs(_value) + abs(_numeric), 1e-12)
    assert _error < 1e-6, (f"gradient check on another example: dl/d{_name} = {_value:.6f}, a finite difference "
                           f"gives {_numeric:.6f} (relative error {_error:.1e})")
### BEGIN HIDDEN TESTS
def _loss(x, y, b0, b1, b2, b3, w0, w1, w2, w3):
    return (b3 + w3 * np.cos(b2 + w2 * np.exp(b1 + w1 * np.sin(b0 + w0 * x))) - y) ** 2


_rng = np.random.default_rng(90412)
_order = ['beta0', 'beta1', 'beta2', 'beta3', 'omega0', 'omega1', 'omega2', 'omega3']
for _args in [(-1.7, 0.5, -0.7, 0.3, 1.1, -0.2, 1.3, 0.8, -1.5, 0.6)] + [tuple(_rng.uniform(-1.5, 1.5, 10)) for _ in range(4)]:
    _x, _y, _b0, _b1, _b2, _b3, _w0, _w1, _w2, _w3 = _args
    _f0 = _b0 + _w0 * _x
    _h1 = np.sin(_f0); _f1 = _b1 + _w1 * _h1; _h2 = np.exp(_f1); _f2 = _b2 + _w2 * _h2
    _h3 = np.cos(_f2); _f3 = _b3 + _w3 * _h3
    _d3 = 2 * (_f3 - _y); _d2 = -np.sin(_f2) * _w3 * _d3; _d1 = np.exp(_f1) * _w2 * _d2; _d0 = np.cos(_f0) * _w1 * _d1
    _got = parameter_derivatives(_x, _h1, _h2, _h3, _d0, _d1, _d2, _d3)
    assert isinstance(_got, dict) and sorted(_got) == sorted(_order), \
        f"parameter_derivatives must return a dict with keys {_order}"
    for _i, _name in enumerate(_order):
        assert np.size(_got[_name]) == 1, f"the derivative for {_name} must be one number"
        _up, _down = list(_args[2:]), list(_args[2:])
        _up[_i] += 1e-6
        _down[_i] -= 1e-6
        _numeric = (_loss(_x, _y, *_up) - _loss(_x, _y, *_down)) / 2e-6
        assert np.isclose(_got[_name], _numeric, rtol=1e-5, atol=1e-7), \
            f"the derivative for {_name} disagrees with a finite difference for other parameters"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "closing", "locked": true, "schema_version": 3, "solution": false, "task": false}
# With the forward pass stored, every derivative took one multiplication: no long expressions, and no part of
# the computation repeated. The next lab applies exactly this method to a deep neural network, where the
# $f_k$ and $h_k$ become vectors and the multiplications become matrix products.

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
