"""Wrong and other-correct answers for rosenbrock_gd_momentum (see docs/AUTHORING.md)."""
from autograder.mutation import Mutant, Variant

# ---------------------------------------------------------------------------------------------------------
# Templates: the whole answer cell as a student hands it in; the {placeholders} are where mutants differ.

FF = '''def softmax(A):
    {softmax_body}


def ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c, return_hidden=False):
    a_1 = x @ w_1 + b_1
    h_1 = np.maximum(0, a_1)
    a_2 = h_1 @ w_2 + b_2
    h_2 = np.maximum(0, a_2)
    y = {output}
    if return_hidden:
        return h_1, h_2, y
    return y
'''
STABLE_SOFTMAX = '''A = A - np.max(A, axis=1, keepdims=True)
    e = np.exp(A)
    return e / e.sum(axis=1, keepdims=True)'''


def ff(softmax_body=STABLE_SOFTMAX, output="softmax(h_2 @ v + c)"):
    return {"ff_nn_2_relu": FF.format(softmax_body=softmax_body, output=output)}


ROSEN_GRAD = '''def grad_f(vector):
    x, y = vector
    df_dx = {dx}
    df_dy = {dy}
    return np.array([df_dx, df_dy])
'''


def rosen_grad(dx="-2 * (1 - x) - 400 * x * (y - x**2)", dy="200 * (y - x**2)"):
    return {"grad_f_rosenbrock": ROSEN_GRAD.format(dx=dx, dy=dy)}


CONTOURS = '''def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def plot_rosenbrock_contours(ax, xlim=(-1.5, 1.5), ylim=(-1.0, 3.0), n_levels=20):
    X, Y = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    Z = rosenbrock(X, Y)
    levels = {levels}
    cs = ax.contour(X, Y, Z, levels=levels, norm=LogNorm())
    ax.set_title("Rosenbrock contours")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return cs
'''


def contours(levels="np.logspace(-1, np.log10(Z.max()), n_levels)"):
    return {"rosenbrock_contours": CONTOURS.format(levels=levels)}


GD = '''def grad_descent(starting_point=None, iterations=20000, learning_rate=1e-3):
    {start}
    trajectory = [point]
    for i in range(iterations):
        grad = grad_f(point)
        {step}
        trajectory.append(point)
    return np.array(trajectory)
'''
GOOD_START = '''if starting_point is None:
        point = np.random.uniform(-1, 1.5, size=2)
    else:
        point = np.array(starting_point, dtype=float)'''


def gd(start=GOOD_START, step="point = point - learning_rate * grad"):
    return {"grad_descent": GD.format(start=start, step=step)}


MOMENTUM = '''def grad_descent_with_momentum(starting_point=None, iterations=1000, beta=0.9, learning_rate=1e-5):
    if starting_point is None:
        point = np.random.uniform(-10, 10, size=2)
    else:
        point = np.array(starting_point, dtype=float)
    trajectory = [point]
    v = np.zeros(point.size)
    for i in range(iterations):
        grad = grad_f(point)
        {update}
        trajectory.append(point)
    return np.array(trajectory)
'''


def momentum(update="v = beta * v + learning_rate * grad\n        point = point - v"):
    return {"grad_descent_with_momentum": MOMENTUM.format(update=update)}


NET_GRAD = '''def cost(T, Y):
    return {cost}


def grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2):
    delta_3 = {delta_3}
    d_v = H2.T @ delta_3
    d_v0 = {d_v0}
    delta_2 = {delta_2}
    d_w2 = H1.T @ delta_2
    d_b2 = {d_b2}
    delta_1 = {delta_1}
    d_w1 = data.T @ delta_1
    d_b1 = {d_b1}
    return d_v, d_v0, d_w2, d_b2, d_w1, d_b1
'''


def net_grad(cost="float(-np.sum(T * np.log(Y)))", delta_3="Y - T", delta_2="(delta_3 @ V.T) * (H2 > 0)",
             delta_1="(delta_2 @ W2.T) * (H1 > 0)", d_v0="delta_3.sum(axis=0)", d_b2="delta_2.sum(axis=0)",
             d_b1="delta_1.sum(axis=0)"):
    return {"grad_f_network": NET_GRAD.format(cost=cost, delta_3=delta_3, delta_2=delta_2, delta_1=delta_1,
                                              d_v0=d_v0, d_b2=d_b2, d_b1=d_b1)}


DATA = '''def generate_data(N=100, seed=123):
    rng = np.random.RandomState(seed)
    means = {means}
    data = np.vstack([rng.multivariate_normal(mean, np.eye(2), size=N) for mean in means])
    T = np.eye(3)[np.repeat(np.arange(3), N)]
    return T, data
'''


def gen_data(means="[(-2, -2), (0, 2), (2, -2)]"):
    return {"generate_data": DATA.format(means=means)}


NET_GD = '''def gradient_descent_step(params, grads, learning_rate):
    return [p {op} {lr} * g for p, g in zip(params, grads)]


def gradient_descent(iterations=500, learning_rate=2e-3, *, data, T, seed=8):
    params = list(init_weights(seed))
    V, v0, W2, b2, W1, b1 = params
    H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
    costs = [cost(T, Y)]
    for i in range(iterations):
        grads = grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2)
        params = gradient_descent_step(params, grads, {loop_lr})
        V, v0, W2, b2, W1, b1 = params
        {forward}
        costs.append(cost(T, Y))
    return np.array(costs)
'''
FORWARD = "H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)"


def net_gd(op="-", lr="learning_rate", loop_lr="learning_rate", forward=FORWARD, replace=("", "")):
    return {"gradient_descent": NET_GD.replace(*replace).format(op=op, lr=lr, loop_lr=loop_lr, forward=forward)}


NET_MOMENTUM = '''def momentum_step(params, grads, velocities, beta, learning_rate):
    new_velocities = [{velocity} for u, g in zip(velocities, grads)]
    new_params = [p - u for p, u in zip(params, new_velocities)]
    return new_params, new_velocities


def gradient_descent_with_momentum(iterations=500, beta=0.9, learning_rate=0.001, *, data, T, seed=8):
    params = list(init_weights(seed))
    velocities = [np.zeros_like(p) for p in params]
    V, v0, W2, b2, W1, b1 = params
    H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
    costs = [cost(T, Y)]
    for i in range(iterations):
        grads = grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2)
        params, velocities = momentum_step(params, grads, velocities, {loop_beta}, learning_rate)
        V, v0, W2, b2, W1, b1 = params
        H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
        costs.append(cost(T, Y))
    return np.array(costs)
'''


def net_momentum(velocity="beta * u + learning_rate * g", loop_beta="beta"):
    return {"gradient_descent_with_momentum": NET_MOMENTUM.format(velocity=velocity, loop_beta=loop_beta)}


# ---------------------------------------------------------------------------------------------------------
MUTANTS = [
    # Part 1
    # 1.4 is graded with the student's own ff_nn_2_ReLu, and 3.2-3.5 with inputs or functions that do not
    # depend on 1.3 being right: a mistake in 1.3 costs 1.3 only.
    Mutant("softmax_wrong_axis", {"test_ff_nn_2_relu"},
           ff(softmax_body="e = np.exp(A - np.max(A))\n    return e / e.sum(axis=0)")),
    Mutant("relu_on_output_layer", {"test_ff_nn_2_relu"},
           ff(output="softmax(np.maximum(0, h_2 @ v + c))")),
    Mutant("softmax_overflows", {"test_ff_nn_2_relu"},
           ff(softmax_body="e = np.exp(A)\n    return e / e.sum(axis=1).reshape((-1, 1))")),
    Mutant("predicted_class_wrong_axis", {"test_class_probabilities"}, {"class_probabilities": '''result = ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c)
predicted_class = np.argmax(result, axis=0)
'''}),
    # Part 2
    Mutant("rosenbrock_dx_misses_inner_factor", {"test_grad_f_rosenbrock"},
           rosen_grad(dx="-2 * (1 - x) - 200 * x * (y - x**2)")),
    Mutant("rosenbrock_dy_wrong_term", {"test_grad_f_rosenbrock"}, rosen_grad(dy="200 * (y - x)")),
    Mutant("contours_linear_levels", {"test_rosenbrock_contours"},
           contours(levels="np.linspace(Z.min(), Z.max(), n_levels)")),
    Mutant("grad_descent_truth_value_of_array", {"test_grad_descent"},
           gd(start="if starting_point:\n        point = starting_point\n"
                    "    else:\n        point = np.random.uniform(-1, 1.5, size=2)")),
    Mutant("grad_descent_climbs", {"test_grad_descent"}, gd(step="point = point + learning_rate * grad")),
    Mutant("grad_descent_in_place_step", {"test_grad_descent"}, gd(step="point -= learning_rate * grad")),
    Mutant("momentum_forgets_previous_velocity", {"test_grad_descent_with_momentum"},
           momentum(update="v = learning_rate * grad\n        point = point - v")),
    Mutant("momentum_steps_with_old_velocity", {"test_grad_descent_with_momentum"},
           momentum(update="point = point - v\n        v = beta * v + learning_rate * grad")),
    # Part 3
    Mutant("network_gradient_wrong_sign", {"test_grad_f_network"}, net_grad(delta_3="T - Y")),
    # On the 2-3-2-3 network the mask of the wrong layer does not even broadcast: grad_f_network raises. The
    # training loops cannot run with it, and 3.4 and 3.5 still check their steps (no spill).
    Mutant("network_relu_mask_of_wrong_layer", {"test_grad_f_network"},
           net_grad(delta_1="(delta_2 @ W2.T) * (H2 > 0)")),
    Mutant("network_missing_relu_mask", {"test_grad_f_network"}, net_grad(delta_2="delta_3 @ V.T")),
    Mutant("bias_gradient_not_summed_over_samples", {"test_grad_f_network"},
           net_grad(d_v0="delta_3", d_b2="delta_2", d_b1="delta_1")),
    Mutant("bias_gradient_averaged", {"test_grad_f_network"},
           net_grad(d_v0="delta_3.mean(axis=0)", d_b2="delta_2.mean(axis=0)", d_b1="delta_1.mean(axis=0)")),
    Mutant("cost_without_minus", {"test_grad_f_network"}, net_grad(cost="float(np.sum(T * np.log(Y)))")),
    Mutant("data_clusters_in_wrong_order", {"test_generate_data"}, gen_data(means="[(0, 2), (-2, -2), (2, -2)]")),
    Mutant("training_hard_coded_33_51", {"test_gradient_descent"}, {"gradient_descent": '''def gradient_descent(iterations=500, learning_rate=2e-3, *, data, T, seed=8):
    costs = np.linspace(232.49, 33.51, iterations + 1)
    print("The loss dropped from initial 232.49 to finally: 33.51 after 30 iterations.")
    return costs
'''}),
    Mutant("training_climbs", {"test_gradient_descent"}, net_gd(op="+")),
    Mutant("training_never_recomputes_forward_pass", {"test_gradient_descent"}, net_gd(forward="pass")),
    Mutant("training_momentum_forgets_velocity", {"test_gradient_descent_with_momentum"},
           net_momentum(velocity="learning_rate * g")),
    # --- each test measures its own question, and checks what the instructions prescribe
    # softmax shifts its argument in place ("Do not change A in place").
    Mutant("softmax_changes_its_input", {"test_ff_nn_2_relu"},
           ff(softmax_body="A -= np.max(A, axis=1, keepdims=True)\n    e = np.exp(A)\n"
                           "    return e / e.sum(axis=1, keepdims=True)")),
    # Right values, one sample at a time: the no-loop rule of 1.3.
    Mutant("forward_loops_over_samples", {"test_ff_nn_2_relu"}, {"ff_nn_2_relu": '''def softmax(A):
    A = A - np.max(A, axis=1, keepdims=True)
    e = np.exp(A)
    return e / e.sum(axis=1, keepdims=True)


def ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c, return_hidden=False):
    rows = []
    for n in range(x.shape[0]):
        h_1 = np.maximum(0, x[n] @ w_1 + np.ravel(b_1))
        h_2 = np.maximum(0, h_1 @ w_2 + np.ravel(b_2))
        rows.append((h_1, h_2, h_2 @ v + np.ravel(c)))
    h_1 = np.array([r[0] for r in rows])
    h_2 = np.array([r[1] for r in rows])
    y = softmax(np.array([r[2] for r in rows]))
    if return_hidden:
        return h_1, h_2, y
    return y
'''}),
    # The expected probabilities typed in (right only for a right forward pass, and not computed).
    Mutant("class_probabilities_typed_in", {"test_class_probabilities"}, unseen=(
        "the typed-in numbers are the right output to 8 decimals: only the hidden test's 1e-12 comparison with "
        "ff_nn_2_ReLu on the same inputs tells them apart"), cells={"class_probabilities": '''result = np.array([[0.94649912, 0.04712342, 0.00637746],
                   [0.84379473, 0.1141952, 0.04201007],
                   [0.84379473, 0.1141952, 0.04201007]])
predicted_class = np.argmax(result, axis=1)
'''}),
    # The levels ignore the box they are given: always those of the default box.
    Mutant("contours_levels_of_the_default_box", {"test_rosenbrock_contours"}, contours(
        levels="np.logspace(-1, np.log10(rosenbrock(-1.5, -1.0)), n_levels)")),
    # An error in grad_f (2.1) must not cost 2.3 or 2.4: they are checked with the student's own grad_f.
    Mutant("rosenbrock_dx_sign_keeps_descent", {"test_grad_f_rosenbrock"},
           rosen_grad(dx="2 * (1 - x) - 400 * x * (y - x**2)")),
    # grad_f_network computes delta_3 in place on Y.
    Mutant("network_gradient_changes_Y", {"test_grad_f_network"}, net_grad(delta_3="Y\n    delta_3 -= T")),
    # Right gradients, one sample at a time: the no-loop rule of 3.2.
    Mutant("network_gradient_loops_over_samples", {"test_grad_f_network"}, {"grad_f_network": '''def cost(T, Y):
    return float(-np.sum(T * np.log(Y)))


def grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2):
    grads = [np.zeros_like(V), np.zeros(V.shape[1]), np.zeros_like(W2), np.zeros(W2.shape[1]),
             np.zeros_like(W1), np.zeros(W1.shape[1])]
    for n in range(data.shape[0]):
        d3 = Y[n] - T[n]
        d2 = (V @ d3) * (H2[n] > 0)
        d1 = (W2 @ d2) * (H1[n] > 0)
        for k, g in enumerate([np.outer(H2[n], d3), d3, np.outer(H1[n], d2), d2, np.outer(data[n], d1), d1]):
            grads[k] += g
    return tuple(grads)
'''}),
    # The seed argument ignored (a prescribed setting).
    Mutant("training_ignores_seed", {"test_gradient_descent"}, net_gd(replace=("init_weights(seed)", "init_weights(8)"))),
    # The data centred in place before training (data must not change).
    Mutant("training_centres_data_in_place", {"test_gradient_descent"}, net_gd(replace=(
        "    params = list(init_weights(seed))\n", "    data -= data.mean(axis=0)\n    params = list(init_weights(seed))\n"))),
    # A formula variant: the velocity as an exponential moving average of the gradients.
    Mutant("training_momentum_moving_average", {"test_gradient_descent_with_momentum"},
           net_momentum(velocity="beta * u + (1 - beta) * learning_rate * g")),
    # --- prescribed settings: the defaults typed in where the argument belongs
    Mutant("grad_descent_ignores_learning_rate", {"test_grad_descent"}, gd(step="point = point - 1e-3 * grad")),
    Mutant("momentum_ignores_beta", {"test_grad_descent_with_momentum"},
           momentum(update="v = 0.9 * v + learning_rate * grad\n        point = point - v")),
    Mutant("training_ignores_learning_rate", {"test_gradient_descent"}, net_gd(lr="2e-3")),
    # The gradient of the mean loss instead of the summed loss (7).
    Mutant("network_gradient_of_mean_loss", {"test_grad_f_network"}, net_grad(delta_3="(Y - T) / Y.shape[0]")),
    # The Rosenbrock grad_f of Part 2 called in the training loop instead of grad_f_network.
    Mutant("training_calls_rosenbrock_grad_f", {"test_gradient_descent"},
           net_gd(replace=("= grad_f_network(", "= grad_f("))),
    # --- realistic slips that the visible checks must catch too
    # A learning-rate schedule nobody asked for, in the Rosenbrock descent and in the network's loop.
    Mutant("grad_descent_decaying_learning_rate", {"test_grad_descent"},
           gd(step="point = point - learning_rate / (1 + i) * grad")),
    Mutant("training_decaying_learning_rate", {"test_gradient_descent"}, net_gd(loop_lr="learning_rate * 0.9 ** i")),
    # The momentum loop passes the default beta to momentum_step instead of its argument.
    Mutant("training_momentum_ignores_beta", {"test_gradient_descent_with_momentum"},
           net_momentum(loop_beta="0.9")),
    # The loss rounded to two decimals before it is returned.
    Mutant("cost_rounded", {"test_grad_f_network"}, net_grad(cost="round(float(-np.sum(T * np.log(Y))), 2)")),
    # The contour levels start at the grid's smallest value instead of 0.1.
    Mutant("contours_levels_from_grid_minimum", {"test_rosenbrock_contours"},
           contours(levels="np.logspace(np.log10(Z.min()), np.log10(Z.max()), n_levels)")),
    # The seed argument ignored: always the clusters of the default seed.
    Mutant("data_ignores_seed", {"test_generate_data"}, {"generate_data": DATA.replace(
        "np.random.RandomState(seed)", "np.random.RandomState(123)").format(means="[(-2, -2), (0, 2), (2, -2)]")}),
    # --- a mistake in 3.2 costs 3.2 only, whatever grad_f_network does (3.4 and 3.5 check their steps)
    # Bias gradients summed over the units instead of the samples: shape (N,).
    Mutant("network_bias_gradient_summed_over_units", {"test_grad_f_network"},
           net_grad(d_v0="delta_3.sum(axis=1)", d_b2="delta_2.sum(axis=1)", d_b1="delta_1.sum(axis=1)")),
    # grad_f_network left unfinished (cost done).
    Mutant("network_gradient_unfinished_raises", {"test_grad_f_network"}, {"grad_f_network": '''def cost(T, Y):
    return float(-np.sum(T * np.log(Y)))


def grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2):
    raise NotImplementedError()
'''}),
]

# ---------------------------------------------------------------------------------------------------------
VARIANTS = [
    Variant("forward_with_dot_and_logsumexp", {"ff_nn_2_relu": '''def softmax(A):
    m = A.max(axis=1, keepdims=True)
    log_z = m + np.log(np.exp(A - m).sum(axis=1, keepdims=True))
    return np.exp(A - log_z)


def ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c, return_hidden=False):
    h_1 = np.dot(x, w_1) + np.reshape(b_1, (1, -1))
    h_1[h_1 < 0] = 0
    h_2 = np.dot(h_1, w_2) + np.reshape(b_2, (1, -1))
    h_2 = h_2 * (h_2 > 0)
    y = softmax(np.dot(h_2, v) + np.reshape(c, (1, -1)))
    if return_hidden:
        return h_1, h_2, y
    return y
'''}),
    Variant("rosenbrock_gradient_expanded", rosen_grad(dx="2 * (-1 + x + 200 * x**3 - 200 * x * y)",
                                                       dy="200 * (-x**2 + y)")),
    Variant("contours_geomspace", contours(levels="np.geomspace(0.1, Z.max(), n_levels)")),
    Variant("grad_descent_preallocated", {"grad_descent": '''def grad_descent(starting_point=None, iterations=20000, learning_rate=1e-3):
    trajectory = np.zeros((iterations + 1, 2))
    if starting_point is None:
        trajectory[0] = np.random.uniform(-1, 1.5, size=2)
    else:
        trajectory[0] = starting_point
    for t in range(iterations):
        trajectory[t + 1] = trajectory[t] - learning_rate * grad_f(trajectory[t])
    return trajectory
'''}),
    Variant("momentum_in_place_velocity", momentum(update="v *= beta\n        v += learning_rate * grad\n"
                                                          "        point = point - v")),
    Variant("network_gradient_with_dot_and_keepdims", {"grad_f_network": '''def cost(T, Y):
    return -(T * np.log(Y)).sum()


def grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2):
    d_a3 = Y - T
    d_a2 = d_a3.dot(V.T) * (H2 > 0)
    d_a1 = d_a2.dot(W2.T) * (H1 > 0)
    d_v = H2.T.dot(d_a3)
    d_v0 = d_a3.sum(axis=0, keepdims=True)
    d_w2 = H1.T.dot(d_a2)
    d_b2 = d_a2.sum(axis=0, keepdims=True)
    d_w1 = data.T.dot(d_a1)
    d_b1 = d_a1.sum(axis=0, keepdims=True)
    return d_v, d_v0, d_w2, d_b2, d_w1, d_b1
'''}),
    Variant("data_with_global_seed_and_loop", {"generate_data": '''def generate_data(N=100, seed=123):
    np.random.seed(seed)
    c1 = np.random.multivariate_normal([-2, -2], np.eye(2), size=N)
    c2 = np.random.multivariate_normal([0, 2], np.eye(2), size=N)
    c3 = np.random.multivariate_normal([2, -2], np.eye(2), size=N)
    data = np.vstack((c1, c2, c3))
    classes = np.array([0] * N + [1] * N + [2] * N)
    T = np.zeros((N * 3, 3))
    for n in range(N * 3):
        T[n, classes[n]] = 1
    return T, data
'''}),
    Variant("training_over_a_parameter_list", {"gradient_descent": '''def gradient_descent_step(params, grads, learning_rate):
    new_params = []
    for k in range(len(params)):
        new_params.append(params[k] - learning_rate * np.reshape(grads[k], params[k].shape))
    return new_params


def gradient_descent(iterations=500, learning_rate=2e-3, *, data, T, seed=8):
    params = list(init_weights(seed))
    costs = np.zeros(iterations + 1)
    for t in range(iterations + 1):
        V, v0, W2, b2, W1, b1 = params
        H1, H2, Y = ff_nn_2_ReLu(data, W1, W2, V, b1, b2, v0, return_hidden=True)
        costs[t] = cost(T, Y)
        if t == iterations:
            break
        grads = grad_f_network(data, T, Y, H1, H2, V, W2, W1, b1, b2)
        params = gradient_descent_step(params, grads, learning_rate)
    return costs
'''}),
    Variant("training_momentum_over_a_parameter_list", net_momentum()),
    # The stable softmax written with a column of maxima, np.where for the ReLU.
    Variant("forward_with_where_and_column_max", {"ff_nn_2_relu": '''def softmax(A):
    m = A.max(axis=1)[:, np.newaxis]
    e = np.exp(A - m)
    return e / e.sum(axis=1)[:, np.newaxis]


def ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c, return_hidden=False):
    a_1 = np.matmul(x, w_1) + b_1
    h_1 = np.where(a_1 > 0, a_1, 0.0)
    a_2 = np.matmul(h_1, w_2) + b_2
    h_2 = np.where(a_2 > 0, a_2, 0.0)
    y = softmax(np.matmul(h_2, v) + c)
    if return_hidden:
        return h_1, h_2, y
    return y
'''}),
    # The probabilities taken from return_hidden=True, the classes with .argmax.
    Variant("class_probabilities_from_hidden_tuple", {"class_probabilities": '''_, _, result = ff_nn_2_ReLu(x, w_1, w_2, v, b_1, b_2, c, return_hidden=True)
predicted_class = result.argmax(axis=1)
'''}),
    # Contours with np.geomspace over a grid from np.mgrid (the same 200 x 200 points).
    Variant("contours_mgrid", {"rosenbrock_contours": '''def rosenbrock(x, y):
    return np.square(1 - x) + 100 * np.square(y - np.square(x))


def plot_rosenbrock_contours(ax, xlim=(-1.5, 1.5), ylim=(-1.0, 3.0), n_levels=20):
    X, Y = np.meshgrid(np.linspace(xlim[0], xlim[1], 200), np.linspace(ylim[0], ylim[1], 200))
    Z = rosenbrock(X, Y)
    cs = ax.contour(X, Y, Z, levels=np.geomspace(0.1, np.max(Z), num=n_levels), norm=LogNorm(), cmap="viridis")
    ax.plot([1], [1], "r*")
    ax.set(title="Rosenbrock", xlabel="x", ylabel="y")
    return cs
'''}),
    # The steps unpacked by name, the velocity first decayed then increased (new arrays all the same).
    Variant("training_steps_unpacked_by_name", {"gradient_descent": NET_GD.replace(
        "    return [p {op} {lr} * g for p, g in zip(params, grads)]",
        "    V, v0, W2, b2, W1, b1 = params\n    d_v, d_v0, d_w2, d_b2, d_w1, d_b1 = grads\n"
        "    return [V - learning_rate * d_v, v0 - learning_rate * d_v0, W2 - learning_rate * d_w2,\n"
        "            b2 - learning_rate * d_b2, W1 - learning_rate * d_w1, b1 - learning_rate * d_b1]").format(
        op="-", lr="learning_rate", loop_lr="learning_rate", forward=FORWARD),
        "gradient_descent_with_momentum": NET_MOMENTUM.replace(
            "    new_velocities = [{velocity} for u, g in zip(velocities, grads)]",
            "    new_velocities = []\n    for u, g in zip(velocities, grads):\n"
            "        u = beta * u\n        u = u + learning_rate * g\n        new_velocities.append(u)").format(
            velocity="", loop_beta="beta")}),
]
