"""Wrong and other-correct answers for lab7_optimizers (see docs/AUTHORING.md)."""
from autograder.mutation import Mutant, Variant

# ---------------------------------------------------------------------------------------------------------
# Templates: the whole answer cell as a student hands it in (the provided lines kept); {body} is the answer.

SGD = '''def stochastic_gradient_descent_step(phi, data, alpha, batch_size):
    """One step of stochastic gradient descent, equation (7)."""
    n_data = data.shape[1]
    indices = np.random.permutation(n_data)
    # TODO: the batch is the columns of data whose indices are the first batch_size entries of `indices`
    # (draw no other random numbers). Compute the gradient (3) of the batch only, shape (2, 1), with
    # compute_gradient_descent, then store phi_{t+1} of equation (7), a new (2, 1) array, in phi.
{body}
    return phi
'''

MOMENTUM = '''def momentum_step(phi, momentum, data, batch_index, alpha, beta):
    """One step of stochastic gradient descent with momentum, equation (8)."""
    # The batch gradient at phi_t
    gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi)
    # TODO: store m_{t+1} of the first line of equation (8) in momentum, then phi_{t+1} of its second line in
    # phi, both new (2, 1) arrays (do not change the inputs in place).
{body}
    return phi, momentum
'''

NESTEROV = '''def nesterov_step(phi, momentum, data, batch_index, alpha, beta):
    """One step of stochastic gradient descent with Nesterov momentum, equation (9)."""
    # TODO: compute the batch gradient (columns batch_index of data, with compute_gradient_descent; shape
    # (2, 1)) at the look-ahead point of equation (9), then store m_{t+1} of the first line of (9) in momentum
    # and phi_{t+1} of its second line in phi, both new (2, 1) arrays (do not change the inputs in place).
{body}
    return phi, momentum
'''

NORMALIZED = '''def normalized_gradients(start_posn, n_steps, alpha, epsilon=1e-20):
    """Gradient descent with normalized gradients, equations (10) and (11)."""
    grad_path = np.zeros((2, n_steps + 1))
    grad_path[:, 0] = start_posn[:, 0]
    for c_step in range(n_steps):
        # Measure the gradient, equation (10): m has shape (2,)
        m = get_loss_gradient(grad_path[0, c_step], grad_path[1, c_step])
        # TODO: compute v_{t+1} of equation (10), shape (2,), and store phi_{t+1} of equation (11), shape (2,), in
        # grad_path[:, c_step + 1].
{body}
    return grad_path
'''

ADAM = '''def adam(start_posn, n_steps, alpha, beta=0.9, gamma=0.99, epsilon=1e-20):
    """Adam, equations (12) to (14)."""
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
{body}
    return grad_path
'''


# Every submission also carries a written answer to Q1 (graded by hand); nbgrader scores an unchanged
# "YOUR ANSWER HERE" as 0 automatically, which is not what these mutations are about.
WRITTEN_Q1 = {"lr_answer": (
    "Too large (alpha = 0.9): the steps overshoot the valley, the loss goes up at first and the path ends in "
    "a worse minimum far to the left (loss about 5.4 instead of 1.4).\n\n"
    "Too small (alpha = 0.01): the steps are tiny, so the loss only drops from 11.7 to 10.8 in 21 steps.")}


def _indent(body, spaces):
    return "\n".join(" " * spaces + line if line else line for line in body.strip("\n").splitlines())


def sgd(body):
    return {**WRITTEN_Q1, "sgd_step": SGD.replace("{body}", _indent(body, 4))}


def momentum(body):
    return {**WRITTEN_Q1, "momentum_step": MOMENTUM.replace("{body}", _indent(body, 4))}


def nesterov(body):
    return {**WRITTEN_Q1, "nesterov_step": NESTEROV.replace("{body}", _indent(body, 4))}


def normalized(body):
    return {**WRITTEN_Q1, "normalized_gradients": NORMALIZED.replace("{body}", _indent(body, 8))}


def adam(body):
    return {**WRITTEN_Q1, "adam": ADAM.replace("{body}", _indent(body, 8))}


ADAM_MOMENTS = '''
m = beta * m + (1 - beta) * grad
v = gamma * v + (1 - gamma) * grad ** 2
'''
ADAM_UPDATE = '''
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m_tilde / (np.sqrt(v_tilde) + epsilon)
'''

MUTANTS = [
    # --- Q2: stochastic gradient descent ---
    Mutant("sgd_whole_dataset", {"test_sgd_step"}, sgd('''
gradient = compute_gradient_descent(data[0, :], data[1, :], phi)
phi = phi - alpha * gradient
''')),
    Mutant("sgd_wrong_sign", {"test_sgd_step"}, sgd('''
batch_data = data[:, indices[:batch_size]]
gradient = compute_gradient_descent(batch_data[0, :], batch_data[1, :], phi)
phi = phi + alpha * gradient
''')),
    Mutant("sgd_unshuffled_batch", {"test_sgd_step"}, sgd('''
batch_data = data[:, :batch_size]
gradient = compute_gradient_descent(batch_data[0, :], batch_data[1, :], phi)
phi = phi - alpha * gradient
''')),
    Mutant("sgd_own_random_batch", {"test_sgd_step"}, sgd('''
batch = np.random.choice(n_data, batch_size, replace=False)
gradient = compute_gradient_descent(data[0, batch], data[1, batch], phi)
phi = phi - alpha * gradient
''')),
    Mutant("sgd_in_place_update", {"test_sgd_step"}, sgd('''
batch_data = data[:, indices[:batch_size]]
gradient = compute_gradient_descent(batch_data[0, :], batch_data[1, :], phi)
phi -= alpha * gradient
''')),
    Mutant("sgd_for_loop", {"test_sgd_step"}, sgd('''
gradient = np.zeros((2, 1))
for i in indices[:batch_size]:
    gradient = gradient + compute_gradient_descent(data[0, i:i + 1], data[1, i:i + 1], phi)
phi = phi - alpha * gradient
''')),
    # --- Q3: momentum ---
    Mutant("momentum_without_one_minus_beta", {"test_momentum_step"}, momentum('''
momentum = beta * momentum + gradient
phi = phi - alpha * momentum
''')),
    Mutant("momentum_step_along_gradient", {"test_momentum_step"}, momentum('''
momentum = beta * momentum + (1 - beta) * gradient
phi = phi - alpha * gradient
''')),
    Mutant("momentum_step_with_old_momentum", {"test_momentum_step"}, momentum('''
phi = phi - alpha * momentum
momentum = beta * momentum + (1 - beta) * gradient
''')),
    Mutant("momentum_comprehension", {"test_momentum_step"}, momentum('''
momentum = np.array([[beta * momentum[i, 0] + (1 - beta) * gradient[i, 0]] for i in range(2)])
phi = phi - alpha * momentum
''')),
    # --- Q4: Nesterov momentum ---
    Mutant("nesterov_gradient_at_phi", {"test_nesterov_step"}, nesterov('''
gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi)
momentum = beta * momentum + (1 - beta) * gradient
phi = phi - alpha * momentum
''')),
    Mutant("nesterov_lookahead_without_alpha", {"test_nesterov_step"}, nesterov('''
phi_lookahead = phi - beta * momentum
gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi_lookahead)
momentum = beta * momentum + (1 - beta) * gradient
phi = phi - alpha * momentum
''')),
    Mutant("nesterov_step_from_lookahead", {"test_nesterov_step"}, nesterov('''
phi_lookahead = phi - alpha * beta * momentum
gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi_lookahead)
momentum = beta * momentum + (1 - beta) * gradient
phi = phi_lookahead - alpha * momentum
''')),
    # --- Q5: normalized gradients ---
    Mutant("normalized_without_epsilon", {"test_normalized_gradients"}, normalized('''
v = m ** 2
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m / np.sqrt(v)
''')),
    Mutant("normalized_epsilon_inside_sqrt", {"test_normalized_gradients"}, normalized('''
v = m ** 2
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m / np.sqrt(v + epsilon)
''')),
    Mutant("normalized_for_loop_over_axes", {"test_normalized_gradients"}, normalized('''
v = m ** 2
for i in range(2):
    grad_path[i, c_step + 1] = grad_path[i, c_step] - alpha * m[i] / (np.sqrt(v[i]) + epsilon)
''')),
    # --- Q6: Adam ---
    Mutant("adam_without_bias_correction", {"test_adam"}, adam(ADAM_MOMENTS + '''
m_tilde = m
v_tilde = v
''' + ADAM_UPDATE)),
    Mutant("adam_v_from_raw_gradient", {"test_adam"}, adam('''
m = beta * m + (1 - beta) * grad
v = gamma * v + (1 - gamma) * grad
m_tilde = m / (1 - beta ** (c_step + 1))
v_tilde = v / (1 - gamma ** (c_step + 1))
''' + ADAM_UPDATE)),
    Mutant("adam_bias_correction_from_t0", {"test_adam"}, adam(ADAM_MOMENTS + '''
m_tilde = m / (1 - beta ** c_step)
v_tilde = v / (1 - gamma ** c_step)
''' + ADAM_UPDATE)),
    Mutant("adam_bias_correction_exponent_plus_two", {"test_adam"}, adam(ADAM_MOMENTS + '''
m_tilde = m / (1 - beta ** (c_step + 2))
v_tilde = v / (1 - gamma ** (c_step + 2))
''' + ADAM_UPDATE)),
    Mutant("adam_for_loop_over_axes", {"test_adam"}, adam('''
for i in range(2):
    m[i] = beta * m[i] + (1 - beta) * grad[i]
    v[i] = gamma * v[i] + (1 - gamma) * grad[i] ** 2
m_tilde = m / (1 - beta ** (c_step + 1))
v_tilde = v / (1 - gamma ** (c_step + 1))
''' + ADAM_UPDATE)),
    # --- issue 15: every input left unchanged, epsilon placement, weights of equation (8) ---
    Mutant("momentum_updated_in_place", {"test_momentum_step"}, momentum('''
momentum *= beta
momentum += (1 - beta) * gradient
phi = phi - alpha * momentum
''')),
    Mutant("nesterov_momentum_updated_in_place", {"test_nesterov_step"}, nesterov('''
gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi - alpha * beta * momentum)
momentum *= beta
momentum += (1 - beta) * gradient
phi = phi - alpha * momentum
''')),
    Mutant("sgd_shuffles_data_in_place", {"test_sgd_step"}, sgd('''
data[:, :] = data[:, indices]
batch_data = data[:, :batch_size]
gradient = compute_gradient_descent(batch_data[0, :], batch_data[1, :], phi)
phi = phi - alpha * gradient
''')),
    Mutant("momentum_weights_swapped", {"test_momentum_step"}, momentum('''
momentum = (1 - beta) * momentum + beta * gradient
phi = phi - alpha * momentum
''')),
    Mutant("normalized_start_posn_as_buffer", {"test_normalized_gradients"}, normalized('''
v = m ** 2
start_posn[:, 0] = grad_path[:, c_step] - alpha * m / (np.sqrt(v) + epsilon)
grad_path[:, c_step + 1] = start_posn[:, 0]
''')),
    Mutant("adam_epsilon_inside_sqrt", {"test_adam"}, adam(ADAM_MOMENTS + '''
m_tilde = m / (1 - beta ** (c_step + 1))
v_tilde = v / (1 - gamma ** (c_step + 1))
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m_tilde / np.sqrt(v_tilde + epsilon)
''')),
    Mutant("adam_start_posn_as_buffer", {"test_adam"}, adam(ADAM_MOMENTS + '''
m_tilde = m / (1 - beta ** (c_step + 1))
v_tilde = v / (1 - gamma ** (c_step + 1))
start_posn[:, 0] = grad_path[:, c_step] - alpha * m_tilde / (np.sqrt(v_tilde) + epsilon)
grad_path[:, c_step + 1] = start_posn[:, 0]
''')),
    # A learning-rate schedule nobody asked for: the step shrinks with the step number.
    Mutant("adam_learning_rate_schedule", {"test_adam"}, adam(ADAM_MOMENTS + '''
m_tilde = m / (1 - beta ** (c_step + 1))
v_tilde = v / (1 - gamma ** (c_step + 1))
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha / np.sqrt(c_step + 1) * m_tilde / (np.sqrt(v_tilde) + epsilon)
''')),
    Mutant("normalized_learning_rate_schedule", {"test_normalized_gradients"}, normalized('''
v = m ** 2
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * 0.99 ** c_step * m / (np.sqrt(v) + epsilon)
''')),
]

VARIANTS = [
    Variant("sgd_take_and_reshape", sgd('''
batch = indices[:batch_size]
gradient = compute_gradient_descent(np.take(data[0], batch), np.take(data[1], batch), phi)
phi = phi - alpha * gradient.reshape(phi.shape)
''')),
    Variant("sgd_targets_as_row", sgd('''
batch_data = data[:, indices[0:batch_size]]
phi = phi - alpha * compute_gradient_descent(batch_data[0, :], batch_data[1:], phi)
''')),
    Variant("momentum_rearranged", momentum('''
momentum = momentum + (1 - beta) * (gradient - momentum)
phi = phi - alpha * momentum
''')),
    Variant("nesterov_one_line_gradient", nesterov('''
momentum = beta * momentum + (1 - beta) * compute_gradient_descent(
    data[0][batch_index], data[1][batch_index], phi - alpha * beta * momentum)
phi = phi - alpha * momentum
''')),
    Variant("normalized_abs", normalized('''
v = m * m
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m / (np.abs(m) + epsilon)
''')),
    Variant("adam_column_vectors", adam('''
g = grad.reshape(2, 1)
m = beta * m.reshape(2, 1) + (1 - beta) * g
v = gamma * v.reshape(2, 1) + (1 - gamma) * g * g
t = c_step + 1
m_hat = m / (1 - np.power(beta, t))
v_hat = v / (1 - np.power(gamma, t))
grad_path[:, c_step + 1:c_step + 2] = grad_path[:, c_step:c_step + 1] - alpha * m_hat / (np.sqrt(v_hat) + epsilon)
''')),
    Variant("adam_in_place_moments", adam('''
m *= beta
m += (1 - beta) * grad
v *= gamma
v += (1 - gamma) * np.square(grad)
step = alpha * (m / (1 - beta ** (c_step + 1))) / (np.sqrt(v / (1 - gamma ** (c_step + 1))) + epsilon)
grad_path[:, c_step + 1] = grad_path[:, c_step] - step
''')),
    Variant("momentum_np_add_subtract", momentum('''
momentum = np.add(beta * momentum, (1 - beta) * gradient)
phi = np.subtract(phi, alpha * momentum)
''')),
    Variant("nesterov_copies_then_in_place", nesterov('''
phi, momentum = phi.copy(), momentum.copy()
gradient = compute_gradient_descent(data[0, batch_index], data[1, batch_index], phi - alpha * beta * momentum)
momentum *= beta
momentum += (1 - beta) * gradient
phi -= alpha * momentum
''')),
    Variant("sgd_take_along_columns", sgd('''
batch_data = data.take(indices[:batch_size], axis=1)
phi = phi - alpha * compute_gradient_descent(batch_data[0], batch_data[1], phi)
''')),
    Variant("normalized_divide", normalized('''
v = np.square(m)
grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * np.divide(m, np.sqrt(v) + epsilon)
''')),
]
