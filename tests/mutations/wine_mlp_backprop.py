"""Wrong and other-correct answers for wine_mlp_backprop (see docs/AUTHORING.md)."""
from autograder.mutation import Mutant, Variant

LEAKY = '''@add_to_class(Hidden)
def leaky_relu_derivative(self, h):
    return {expr}
'''

HIDDEN_BACKWARD = '''@add_to_class(Hidden)
def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate):
    dLdU = {dLdU}
    dLdW = {dLdW}
    dLdc = {dLdc}
    for_prev = np.dot(dLdU, self.W.T)
    self.W, self.c = self.update_weights(self.W, self.c, dLdW, dLdc, learning_rate)
    return for_prev
'''

VONDRICK_ACTIVATION = '''@add_to_class(Hidden_Vondrick)
def vondrick_activation(self, U):
    return {expr}
'''

VONDRICK_DERIVATIVE = '''@add_to_class(Hidden_Vondrick)
def vondrick_activation_derivative(self):
    U, n = self.U, self.vondrick_exponent
    safe = np.where(U > 0, U, 1.0)
    dhdU = np.where(U > 0, n * safe ** (n - 1), 0.01)
    dhdn = {dhdn}
    return dhdU, dhdn
'''

VONDRICK_BACKWARD = '''@add_to_class(Hidden_Vondrick)
def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate=0.0005):
    dhdU, dhdn = self.vondrick_activation_derivative()
    dLdU = dLdh * dhdU
    dLdW = X.T @ dLdU + lambda_reg * self.W
    dLdc = np.sum(dLdU, axis=0)
    dLdn = {dLdn}
    for_prev = dLdU @ self.W.T
    self.W, self.c = self.update_weights(self.W, self.c, dLdW, dLdc, learning_rate)
    # gradient step on n, clipped below at 1.01
    self.vondrick_exponent = max(1.01, self.vondrick_exponent - self.exponent_learning_rate * float(np.sum(dLdn)))
    return for_prev
'''

OUTPUT_BACKWARD = '''@add_to_class(Output)
def backward_pass(self, h, dLdz, lambda_reg, learning_rate):
    dLdw = {dLdw}
    dLdb = {dLdb}
    dLdh = {dLdh}
    self.w, self.b = self.update_weights(self.w, self.b, dLdw, dLdb, learning_rate)
    return dLdh
'''

PREDICT = '''@add_to_class(NN)
def predict(self, X):
    for layer in self.hidden_layers:
        X = layer.forward_pass(X)
    z = self.output_layer.forward_pass(X)
    {tail}
'''

WINE_ACCURACY = '''wine_accuracies = {{
    'NN_1 train': {a},
    'NN_1 test': {b},
    'NN_2 train': {c},
    'NN_2 test': {d},
}}
for name, accuracy in wine_accuracies.items():
    print(f"{{name}}: {{accuracy:.4f}}")
'''

OBJECTIVES = '''def bowl():
    def f_bowl(x, y):
        return x ** 2 + y ** 2

    def opt_bowl():
        return np.array([0., 0.])

    return f_bowl, opt_bowl


def mult():
    def f_mult(x, y):
        return {mult}

    def opt_mult():
        return np.array([0., 0.])

    return f_mult, opt_mult


def monkey():
    def f_monkey(x, y):
        return {monkey}

    def opt_monkey():
        return np.array([0., 0.])

    return f_monkey, opt_monkey


def matyas():
    def f_matyas(x, y):
        return {matyas}

    def opt_matyas():
        return np.array([0., 0.])

    return f_matyas, opt_matyas
'''

EASOM = '''def easom():
    def f_easom(x, y):
        return {expr}

    def opt_easom():
        return np.array([np.pi, np.pi])

    return f_easom, opt_easom
'''

GD = '''def gradient_descent(x, y, dx, dy, hparams):
    alpha = hparams['alpha']
    return {x}, {y}
'''

SGD = '''def stochastic_gradient_descent(x, y, dx, dy, hparams):
    alpha = hparams['alpha']
    sigma = hparams.get('sigma', 1.0)
{body}
'''

MOMENTUM = '''def momentum(x, y, dx, dy, v_x, v_y, hparams):
    alpha = hparams['alpha']
    gamma = hparams['gamma']
    sigma = hparams.get('sigma', 1.0)
    v_x = {v_x}
    v_y = {v_y}
    x = {x}
    y = {y}
    return x, y, v_x, v_y
'''

ADAGRAD = '''def adagrad(x, y, dx, dy, v_x, v_y, hparams):
    eps = hparams['eps']
    alpha = hparams['alpha']
    v_x = {v_x}
    v_y = {v_y}
    x = x - alpha * dx / np.sqrt(v_x + eps)
    y = y - alpha * dy / np.sqrt(v_y + eps)
    return x, y, v_x, v_y
'''

ADAM = '''def adam(x, y, dx, dy, f_x, f_y, s_x, s_y, i, hparams):
    eps = hparams['eps']
    alpha = hparams['alpha']
    beta_1 = hparams['beta_1']
    beta_2 = hparams['beta_2']
    f_x = beta_1 * f_x + (1 - beta_1) * dx
    f_y = beta_1 * f_y + (1 - beta_1) * dy
    s_x = beta_2 * s_x + (1 - beta_2) * dx ** 2
    s_y = beta_2 * s_y + (1 - beta_2) * dy ** 2
    {correction}
    x = x - alpha * f_x_hat / np.sqrt(s_x_hat + eps)
    y = y - alpha * f_y_hat / np.sqrt(s_y_hat + eps)
    return x, y, f_x, f_y, s_x, s_y
'''

CORRECT_SUM = "np.sum(dLdU, axis=0, keepdims=True)"

ACTIVATION_SPILL = ("my_wine_NN_2 has a Hidden_Vondrick layer: an activation that raises stops its training and its "
                    "predict, so task 1.8's compute_accuracy has no number to report (the notebook says so in task 1.8)")
DERIVATIVE_SPILL = ("Hidden.backward_pass calls leaky_relu_derivative: when that raises, the backward pass cannot run "
                    "(the notebook says so before task 1.1)")

PREDICT_SPILL = ("task 1.8 is computed with the provided compute_accuracy, which compares predict(X) with the labels "
                 "sample by sample: a predict that returns probabilities of shape (N, K) makes that comparison fail, so "
                 "the answer cell of 1.8 has no numbers to report (the notebook says so in task 1.8)")


def hidden_backward(dLdU="dLdh * self.leaky_relu_derivative(h)", dLdW="X.T @ dLdU + lambda_reg * self.W",
                    dLdc=CORRECT_SUM):
    return {"hidden_backward_pass": HIDDEN_BACKWARD.format(dLdU=dLdU, dLdW=dLdW, dLdc=dLdc)}


def output_backward(dLdw="h.T @ dLdz + lambda_reg * self.w", dLdb="np.sum(dLdz, axis=0)", dLdh="dLdz @ self.w.T"):
    return {"output_backward_pass": OUTPUT_BACKWARD.format(dLdw=dLdw, dLdb=dLdb, dLdh=dLdh)}


def objectives(mult="np.sin(np.sqrt(x ** 2 + y ** 2))", monkey="x ** 3 + 3 * x * y ** 2",
               matyas="0.26 * (x ** 2 + y ** 2) - 0.48 * x * y"):
    return {"objective_functions": OBJECTIVES.format(mult=mult, monkey=monkey, matyas=matyas)}


def sgd(body):
    return {"stochastic_gradient_descent": SGD.format(body=body)}


def momentum(v_x="gamma * v_x + alpha * (dx + noise_rng.normal(0.0, sigma))",
             v_y="gamma * v_y + alpha * (dy + noise_rng.normal(0.0, sigma))", x="x - v_x", y="y - v_y"):
    return {"momentum": MOMENTUM.format(v_x=v_x, v_y=v_y, x=x, y=y)}


def adam(correction):
    return {"adam": ADAM.format(correction=correction)}


BIAS_CORRECTED = ("f_x_hat, f_y_hat = f_x / (1 - beta_1 ** {t}), f_y / (1 - beta_1 ** {t})\n"
                  "    s_x_hat, s_y_hat = s_x / (1 - beta_2 ** {t}), s_y / (1 - beta_2 ** {t})")

MUTANTS = [
    # Section 1
    Mutant("missing_activation_derivative", {"test_hidden_backward_pass"}, hidden_backward(dLdU="dLdh")),
    Mutant("relu_derivative_wrong_side", {"test_leaky_relu_derivative"},
           {"leaky_relu_derivative": LEAKY.format(expr="1.0 * (h < 0) + 0.01 * (h >= 0)")}),
    Mutant("relu_derivative_one_at_zero", {"test_leaky_relu_derivative"},
           {"leaky_relu_derivative": LEAKY.format(expr="np.where(h >= 0, 1.0, 0.01)")}),
    Mutant("bias_gradient_wrong_axis", {"test_hidden_backward_pass"}, hidden_backward(dLdc="np.sum(dLdU, axis=1)")),
    Mutant("bias_gradient_averaged", {"test_hidden_backward_pass"},
           hidden_backward(dLdc="np.sum(dLdU, axis=0) / dLdU.shape[0]")),
    Mutant("for_prev_after_update", {"test_hidden_backward_pass"}, {"hidden_backward_pass": '''@add_to_class(Hidden)
def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate):
    dLdU = dLdh * self.leaky_relu_derivative(h)
    dLdW = X.T @ dLdU + lambda_reg * self.W
    dLdc = np.sum(dLdU, axis=0)
    self.W, self.c = self.update_weights(self.W, self.c, dLdW, dLdc, learning_rate)
    for_prev = dLdU @ self.W.T
    return for_prev
'''}),
    Mutant("vondrick_negative_base_power", {"test_vondrick_activation"},
           {"vondrick_activation": VONDRICK_ACTIVATION.format(
               expr="np.where(U > 0, U ** self.vondrick_exponent, 0.01 * U)")}),
    Mutant("dhdn_missing_log", {"test_vondrick_activation_derivative"},
           {"vondrick_activation_derivative": VONDRICK_DERIVATIVE.format(dhdn="np.where(U > 0, safe ** n, 0.0)")}),
    Mutant("dhdn_summed_like_the_vectorized_loop", {"test_vondrick_activation_derivative"},
           {"vondrick_activation_derivative": '''@add_to_class(Hidden_Vondrick)
def vondrick_activation_derivative(self):
    U_func = np.vectorize(lambda x: self.vondrick_exponent * x ** (self.vondrick_exponent - 1) if x > 0 else 0.01)
    exp_func = np.vectorize(lambda x: np.log(x) * x ** self.vondrick_exponent if x > 0 else 0)
    derivative_wrt_U = U_func(self.U)
    derivative_wrt_exponent = np.sum(exp_func(self.U))
    return derivative_wrt_U, derivative_wrt_exponent
'''}),
    Mutant("dldn_without_dldh", {"test_vondrick_backward_pass"},
           {"vondrick_backward_pass": VONDRICK_BACKWARD.format(dLdn="np.sum(dhdn)")}),
    Mutant("output_gradient_not_transposed", {"test_output_backward_pass"}, output_backward(dLdh="dLdz @ self.w")),
    Mutant("output_bias_averaged", {"test_output_backward_pass"}, output_backward(dLdb="np.mean(dLdz, axis=0)")),
    Mutant("predict_returns_probabilities", {"test_predict"},
           {"predict": PREDICT.format(tail="return np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)")},
           spills={"test_wine_accuracy": PREDICT_SPILL}),
    Mutant("predict_column_vector", {"test_predict"},
           {"predict": PREDICT.format(tail="return np.argmax(z, axis=1).reshape(-1, 1)")}),
    Mutant("hard_coded_accuracies", {"test_wine_accuracy"},
           {"wine_accuracy": WINE_ACCURACY.format(a="0.75", b="0.74", c="0.75", d="0.7675")}),
    # Section 2
    Mutant("mult_without_sqrt", {"test_objective_functions"}, objectives(mult="np.sin(x ** 2 + y ** 2)")),
    Mutant("monkey_classic_sign", {"test_objective_functions"}, objectives(monkey="x ** 3 - 3 * x * y ** 2")),
    Mutant("easom_wrong_sign", {"test_easom"},
           {"easom": EASOM.format(expr="np.cos(x) * np.cos(y) * np.exp(-((x - np.pi) ** 2 + (y - np.pi) ** 2))")}),
    Mutant("gradient_ascent", {"test_gradient_descent"}, {"gradient_descent": GD.format(x="x + alpha * dx",
                                                                                        y="y + alpha * dy")}),
    Mutant("sgd_without_noise", {"test_stochastic_gradient_descent"},
           sgd("    return x - alpha * dx, y - alpha * dy")),
    Mutant("sgd_same_noise_for_x_and_y", {"test_stochastic_gradient_descent"},
           sgd("    noise = noise_rng.normal(0.0, sigma)\n    return x - alpha * (dx + noise), y - alpha * (dy + noise)")),
    Mutant("sgd_unseeded_random_gauss", {"test_stochastic_gradient_descent"},
           sgd("    from random import gauss\n    dx = gauss(dx, sigma)\n    dy = gauss(dy, sigma)\n"
               "    return x - alpha * dx, y - alpha * dy")),
    Mutant("momentum_adds_velocity", {"test_momentum"}, momentum(x="x + v_x", y="y + v_y")),
    Mutant("adagrad_without_accumulation", {"test_adagrad"},
           {"adagrad": ADAGRAD.format(v_x="dx ** 2", v_y="dy ** 2")}),
    Mutant("adam_without_bias_correction", {"test_adam"},
           adam("f_x_hat, f_y_hat, s_x_hat, s_y_hat = f_x, f_y, s_x, s_y")),
    Mutant("adam_t_off_by_one", {"test_adam"}, adam(BIAS_CORRECTED.format(t="(i + 1)"))),
    # issue 15: the no-loop / no-np.vectorize rule, epsilon placement, and no points lost outside a mistake's task
    Mutant("leaky_derivative_vectorized", {"test_leaky_relu_derivative"},
           {"leaky_relu_derivative": LEAKY.format(expr="np.vectorize(lambda x: 1.0 if x > 0 else 0.01)(h)")}),
    Mutant("vondrick_activation_vectorized_like_the_seed", {"test_vondrick_activation"},
           {"vondrick_activation": '''@add_to_class(Hidden_Vondrick)
def vondrick_activation(self, U):
    vondrick = np.vectorize(lambda x: x**self.vondrick_exponent if x>0 else 0.01*x)
    activations = vondrick(U)
    return activations
'''}),
    Mutant("vondrick_derivative_vectorized_elementwise", {"test_vondrick_activation_derivative"},
           {"vondrick_activation_derivative": '''@add_to_class(Hidden_Vondrick)
def vondrick_activation_derivative(self):
    n = self.vondrick_exponent
    dhdU = np.vectorize(lambda x: n * x ** (n - 1) if x > 0 else 0.01)(self.U)
    dhdn = np.vectorize(lambda x: np.log(x) * x ** n if x > 0 else 0.0)(self.U)
    return dhdU, dhdn
'''}),
    Mutant("vondrick_activation_abs_power", {"test_vondrick_activation"},
           {"vondrick_activation": VONDRICK_ACTIVATION.format(expr="np.abs(U) ** self.vondrick_exponent")}),
    Mutant("hidden_backward_loop_over_samples", {"test_hidden_backward_pass"}, {"hidden_backward_pass": '''@add_to_class(Hidden)
def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate):
    dLdU = dLdh * self.leaky_relu_derivative(h)
    dLdW = lambda_reg * self.W
    for i in range(X.shape[0]):
        dLdW = dLdW + np.outer(X[i], dLdU[i])
    dLdc = np.sum(dLdU, axis=0, keepdims=True)
    for_prev = dLdU @ self.W.T
    self.W, self.c = self.update_weights(self.W, self.c, dLdW, dLdc, learning_rate)
    return for_prev
'''}),
    Mutant("output_backward_comprehension", {"test_output_backward_pass"},
           output_backward(dLdb="np.array([[dLdz[:, k].sum() for k in range(dLdz.shape[1])]])")),
    Mutant("wrong_derivative_but_inline_mask_in_backward", {"test_leaky_relu_derivative"}, {
        "leaky_relu_derivative": LEAKY.format(expr="np.where(h > 0, 0.01, 1.0)"),
        **hidden_backward(dLdU="dLdh * np.where(h > 0, 1.0, 0.01)")}),
    Mutant("adagrad_eps_outside_the_root", {"test_adagrad"}, {"adagrad": '''def adagrad(x, y, dx, dy, v_x, v_y, hparams):
    eps = hparams['eps']
    alpha = hparams['alpha']
    v_x = v_x + dx ** 2
    v_y = v_y + dy ** 2
    x = x - alpha * dx / (np.sqrt(v_x) + eps)
    y = y - alpha * dy / (np.sqrt(v_y) + eps)
    return x, y, v_x, v_y
'''}),
    Mutant("adam_eps_outside_the_root", {"test_adam"}, {"adam": ADAM.replace("np.sqrt(s_x_hat + eps)", "(np.sqrt(s_x_hat) + eps)")
                                                         .replace("np.sqrt(s_y_hat + eps)", "(np.sqrt(s_y_hat) + eps)")
                                                         .format(correction=BIAS_CORRECTED.format(t="i"))}),
    # issue 24: crashes of an earlier method, a global read in place of an argument, the other momentum form, rounding
    Mutant("vondrick_activation_scalar_if", {"test_vondrick_activation"}, {"vondrick_activation": '''@add_to_class(Hidden_Vondrick)
def vondrick_activation(self, U):
    if U > 0:
        return U ** self.vondrick_exponent
    return 0.01 * U
'''}, spills={"test_wine_accuracy": ACTIVATION_SPILL}),
    Mutant("leaky_derivative_scalar_if", {"test_leaky_relu_derivative"},
           {"leaky_relu_derivative": LEAKY.format(expr="1.0 if h > 0 else 0.01")},
           spills={"test_hidden_backward_pass": DERIVATIVE_SPILL}),
    Mutant("gd_reads_the_global_learning_rate", {"test_gradient_descent"},
           {"gradient_descent": GD.format(x="x - learning_rate * dx", y="y - learning_rate * dy")}),
    Mutant("momentum_as_a_moving_average", {"test_momentum"},
           momentum(v_x="gamma * v_x + (1 - gamma) * alpha * (dx + noise_rng.normal(0.0, sigma))",
                    v_y="gamma * v_y + (1 - gamma) * alpha * (dy + noise_rng.normal(0.0, sigma))")),
    Mutant("sgd_noise_off_by_default", {"test_stochastic_gradient_descent"},
           sgd("    sigma = hparams.get('sigma', 0.0)\n"
               "    return x - alpha * (dx + noise_rng.normal(0.0, sigma)), y - alpha * (dy + noise_rng.normal(0.0, sigma))")),
    Mutant("adam_returns_rounded_values", {"test_adam"}, {"adam": ADAM.replace(
        "return x, y, f_x, f_y, s_x, s_y", "return tuple(round(float(v), 4) for v in (x, y, f_x, f_y, s_x, s_y))")
                                                          .format(correction=BIAS_CORRECTED.format(t="i"))}),
    Mutant("accuracies_train_and_test_swapped", {"test_wine_accuracy"}, {"wine_accuracy": WINE_ACCURACY.format(
        a="my_wine_NN_1.compute_accuracy(X_wine_test, y_wine_test)",
        b="my_wine_NN_1.compute_accuracy(X_wine_train, y_wine_train)",
        c="my_wine_NN_2.compute_accuracy(X_wine_train, y_wine_train)",
        d="my_wine_NN_2.compute_accuracy(X_wine_test, y_wine_test)")}),
]

VARIANTS = [
    Variant("masks_dot_and_flat_bias", {
        "leaky_relu_derivative": LEAKY.format(expr="0.01 + 0.99 * (h > 0)"),
        "hidden_backward_pass": HIDDEN_BACKWARD.format(dLdU="np.multiply(dLdh, self.leaky_relu_derivative(h))",
                                                       dLdW="np.dot(X.T, dLdU) + lambda_reg * self.W",
                                                       dLdc="dLdU.sum(axis=0)"),
        "output_backward_pass": OUTPUT_BACKWARD.format(dLdw="np.einsum('nm,nk->mk', h, dLdz) + lambda_reg * self.w",
                                                       dLdb="dLdz.sum(axis=0, keepdims=True)",
                                                       dLdh="np.einsum('nk,mk->nm', dLdz, self.w)"),
    }),
    Variant("vondrick_with_clip_and_where_arguments", {
        "vondrick_activation": '''@add_to_class(Hidden_Vondrick)
def vondrick_activation(self, U):
    positive = U > 0
    out = 0.01 * U
    out[positive] = U[positive] ** self.vondrick_exponent
    return out
''',
        "vondrick_activation_derivative": '''@add_to_class(Hidden_Vondrick)
def vondrick_activation_derivative(self):
    n = self.vondrick_exponent
    U = self.U
    positive = U > 0
    log_U = np.log(U, out=np.zeros_like(U), where=positive)
    power = np.power(np.clip(U, 0.0, None), n)
    dhdU = np.where(positive, n * np.power(np.clip(U, 1e-300, None), n - 1), 0.01)
    dhdn = power * log_U
    return dhdU, dhdn
''',
        "vondrick_backward_pass": '''@add_to_class(Hidden_Vondrick)
def backward_pass(self, X, h, dLdh, lambda_reg, learning_rate=0.0005):
    dhdU, dhdn = self.vondrick_activation_derivative()
    dLdU = dLdh * dhdU
    dLdW, dLdc = np.dot(X.T, dLdU) + lambda_reg * self.W, dLdU.sum(axis=0)
    dLdn = (dLdh * dhdn).sum().item()
    for_prev = np.dot(dLdU, self.W.T)
    self.W, self.c = self.update_weights(self.W, self.c, dLdW, dLdc, learning_rate)
    # gradient step on n, clipped below at 1.01
    self.vondrick_exponent = max(1.01, self.vondrick_exponent - self.exponent_learning_rate * float(np.sum(dLdn)))
    return for_prev
''',
    }),
    Variant("predict_via_softmax_and_accuracy_via_predict", {
        "predict": PREDICT.format(tail="p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"
                                       "    return p.argmax(axis=1)"),
        "wine_accuracy": WINE_ACCURACY.format(
            a="float(np.mean(my_wine_NN_1.predict(X_wine_train) == y_wine_train))",
            b="float(np.mean(my_wine_NN_1.predict(X_wine_test) == y_wine_test))",
            c="float(np.mean(my_wine_NN_2.predict(X_wine_train) == y_wine_train))",
            d="float(np.mean(my_wine_NN_2.predict(X_wine_test) == y_wine_test))"),
    }),
    Variant("vector_noise_and_hypot", {
        **objectives(mult="np.sin(np.hypot(x, y))", matyas="0.26 * x ** 2 + 0.26 * y ** 2 - 0.48 * x * y"),
        **sgd("    noise = noise_rng.normal(0.0, sigma, size=2)\n"
              "    return x - alpha * (dx + noise[0]), y - alpha * (dy + noise[1])"),
        **momentum(v_x="gamma * v_x + alpha * dx + alpha * sigma * noise_rng.standard_normal()",
                   v_y="gamma * v_y + alpha * dy + alpha * sigma * noise_rng.standard_normal()"),
    }),
    Variant("eps_inside_the_root_as_arrays", {
        "adagrad": '''def adagrad(x, y, dx, dy, v_x, v_y, hparams):
    eps = hparams['eps']
    alpha = hparams['alpha']
    v = np.array([v_x, v_y]) + np.array([dx, dy]) ** 2
    step = alpha * np.array([dx, dy]) * (v + eps) ** -0.5
    return x - step[0].item(), y - step[1].item(), v[0].item(), v[1].item()
''',
        "adam": '''def adam(x, y, dx, dy, f_x, f_y, s_x, s_y, i, hparams):
    eps = hparams['eps']
    alpha = hparams['alpha']
    beta_1 = hparams['beta_1']
    beta_2 = hparams['beta_2']
    g = np.array([dx, dy])
    f = beta_1 * np.array([f_x, f_y]) + (1 - beta_1) * g
    s = beta_2 * np.array([s_x, s_y]) + (1 - beta_2) * g ** 2
    step = alpha * (f / (1 - beta_1 ** i)) / np.sqrt(s / (1 - beta_2 ** i) + eps)
    x, y = np.array([x, y]) - step
    return x.item(), y.item(), f[0].item(), f[1].item(), s[0].item(), s[1].item()
''',
    }),
    Variant("where_masks_power_out_and_dict_comprehension", {
        "leaky_relu_derivative": LEAKY.format(expr="np.where(h <= 0, 0.01, 1.0)"),
        "vondrick_activation": '''@add_to_class(Hidden_Vondrick)
def vondrick_activation(self, U):
    powered = np.power(U, self.vondrick_exponent, out=np.zeros_like(U), where=U > 0)
    return np.where(U > 0, powered, 0.01 * U)
''',
        "wine_accuracy": '''nets = {'NN_1': my_wine_NN_1, 'NN_2': my_wine_NN_2}
sets = {'train': (X_wine_train, y_wine_train), 'test': (X_wine_test, y_wine_test)}
wine_accuracies = {f"{n} {s}": nets[n].compute_accuracy(*sets[s]) for n in nets for s in sets}
for name, accuracy in wine_accuracies.items():
    print(f"{name}: {accuracy:.4f}")
''',
    }),
    Variant("backward_passes_with_inline_derivatives", {
        **hidden_backward(dLdU="dLdh * (0.01 + 0.99 * (h > 0))", dLdW="np.matmul(X.T, dLdU) + lambda_reg * self.W"),
        "vondrick_backward_pass": VONDRICK_BACKWARD.replace(
            "dhdU, dhdn = self.vondrick_activation_derivative()",
            "U, n = self.U, self.vondrick_exponent\n    P = np.where(U > 0, U, 1.0)\n"
            "    dhdU = np.where(U > 0, n * P ** (n - 1), 0.01)\n    dhdn = np.where(U > 0, P ** n * np.log(P), 0.0)"
        ).format(dLdn="np.sum(dLdh * dhdn)"),
    }),
]
