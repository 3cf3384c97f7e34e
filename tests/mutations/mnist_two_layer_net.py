"""Wrong and other-correct answers for mnist_two_layer_net (see docs/AUTHORING.md).

Each answer cell is written out once below as a student with full marks might hand it in; a mutant or
variant is that cell with one edit (`_edit` checks that the edited text occurs exactly once), or a whole
cell of its own.
"""
from autograder.mutation import Mutant, Variant

PREPARE = '''def prepare_mnist(X_train, y_train, X_test, y_test, num_val=10000):
    n_train = len(X_train) - num_val
    data = X_train.reshape(len(X_train), -1).astype(np.float32) / 255
    label = y_train.astype(np.int64)
    test_data = X_test.reshape(len(X_test), -1).astype(np.float32) / 255
    return data[:n_train], label[:n_train], data[n_train:], label[n_train:], test_data, y_test.astype(np.int64)


def generate_batched_data(data, label, batch_size=32, shuffle=False, seed=None):
    if shuffle:
        order = np.random.default_rng(seed).permutation(len(data))
        data, label = data[order], label[order]
    batched_data, batched_label = [], []
    for start in range(0, len(data), batch_size):
        batched_data.append(data[start:start + batch_size])
        batched_label.append(label[start:start + batch_size])
    return batched_data, batched_label
'''

ACTIVATIONS = '''def sigmoid(X):
    return 1 / (1 + np.exp(-X))


def sigmoid_dev(X):
    s = sigmoid(X)
    return s * (1 - s)


def ReLU(X):
    return np.maximum(0, X)


def ReLU_dev(X):
    return (X > 0).astype(float)
'''

SOFTMAX = '''def softmax(scores):
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    return exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
'''

LOSS_ACCURACY = '''def cross_entropy_loss(x_pred, y):
    N = x_pred.shape[0]
    return float(-np.sum(np.log(x_pred[np.arange(N), y])) / N)


def compute_accuracy(x_pred, y):
    predictions = np.argmax(x_pred, axis=1)
    return float(np.mean(predictions == y))
'''

SOFTMAX_REGRESSION = '''class SoftmaxRegression:
    def __init__(self, input_size=28 * 28, num_classes=10, seed=0, dtype=np.float32):
        self.input_size = input_size
        self.num_classes = num_classes
        rng = np.random.default_rng(seed)
        self.weights = {"W1": (0.001 * rng.standard_normal((input_size, num_classes))).astype(dtype),
                        "b1": np.zeros(num_classes, dtype=dtype)}
        self.gradients = {name: np.zeros_like(w) for name, w in self.weights.items()}

    def forward(self, X, y, mode="train"):
        scores = X @ self.weights["W1"] + self.weights["b1"]
        probs = softmax(scores)
        loss = cross_entropy_loss(probs, y)
        accuracy = compute_accuracy(probs, y)
        if mode != "train":
            return loss, accuracy
        N = X.shape[0]
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores = dscores / N
        self.gradients["W1"] = X.T @ dscores
        self.gradients["b1"] = np.sum(dscores, axis=0)
        return loss, accuracy
'''

TWO_LAYER = '''class TwoLayerNet:
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
        W1, b1, W2, b2 = self.weights["W1"], self.weights["b1"], self.weights["W2"], self.weights["b2"]
        z1 = X @ W1 + b1
        a1 = sigmoid(z1)
        scores = a1 @ W2 + b2
        probs = softmax(scores)
        loss = cross_entropy_loss(probs, y)
        accuracy = compute_accuracy(probs, y)
        if mode != "train":
            return loss, accuracy
        N = X.shape[0]
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores = dscores / N
        self.gradients["W2"] = a1.T @ dscores
        self.gradients["b2"] = np.sum(dscores, axis=0)
        da1 = dscores @ W2.T
        dz1 = da1 * sigmoid_dev(z1)
        self.gradients["W1"] = X.T @ dz1
        self.gradients["b1"] = np.sum(dz1, axis=0)
        return loss, accuracy
'''

SGD_CELL = '''class SGD:
    def __init__(self, learning_rate=1e-4, reg=1e-3):
        self.learning_rate = learning_rate
        self.reg = reg

    def update(self, model):
        for name in model.weights:
            grad = model.gradients[name]
            if name.startswith("W"):
                grad = grad + self.reg * model.weights[name]
            model.weights[name] -= self.learning_rate * grad
'''

CONFIG_SOFTMAX = '''config_softmax = {"type": "SoftmaxRegression", "hidden_size": None, "batch_size": 64, "learning_rate": 0.1,
                  "reg": 1e-3, "epochs": 10, "seed": 0, "debug": True}
'''

CONFIG_TWOLAYER = '''config_twolayer = {"type": "TwoLayerNet", "hidden_size": 128, "batch_size": 64, "learning_rate": 0.1,
                   "reg": 1e-3, "epochs": 10, "seed": 0, "debug": True}
'''

CELLS = {"prepare_data": PREPARE, "activations": ACTIVATIONS, "softmax": SOFTMAX, "loss_accuracy": LOSS_ACCURACY,
         "softmax_regression": SOFTMAX_REGRESSION, "two_layer_net": TWO_LAYER, "sgd": SGD_CELL,
         "softmax_training": CONFIG_SOFTMAX, "two_layer_training": CONFIG_TWOLAYER}


def _edit(grade_id, old, new):
    """The answer cell `grade_id` with the text `old` (which must occur exactly once) replaced by `new`."""
    cell = CELLS[grade_id]
    assert cell.count(old) == 1, f"{grade_id}: {old!r} occurs {cell.count(old)} times"
    return {grade_id: cell.replace(old, new)}


MUTANTS = [
    # T1 data
    Mutant("pixels_not_scaled", {"test_prepare_data"}, {"prepare_data": PREPARE.replace(".astype(np.float32) / 255", ".astype(np.float32)")}),
    Mutant("validation_is_first_images", {"test_prepare_data"}, _edit(
        "prepare_data", "return data[:n_train], label[:n_train], data[n_train:], label[n_train:],",
        "return data[num_val:], label[num_val:], data[:num_val], label[:num_val],")),
    Mutant("last_partial_batch_dropped", {"test_prepare_data"}, _edit(
        "prepare_data", "range(0, len(data), batch_size)", "range(0, len(data) - batch_size + 1, batch_size)")),
    Mutant("labels_shuffled_separately", {"test_prepare_data"}, _edit(
        "prepare_data", "data, label = data[order], label[order]",
        "rng = np.random.default_rng(seed)\n        data, label = rng.permutation(data), rng.permutation(label)")),
    # T2 activations
    Mutant("sigmoid_dev_expects_activation", {"test_activations"}, _edit(
        "activations", "s = sigmoid(X)\n    return s * (1 - s)", "return X * (1 - X)")),
    Mutant("relu_dev_one_at_zero", {"test_activations"}, _edit("activations", "(X > 0)", "(X >= 0)")),
    # T3 softmax
    Mutant("softmax_without_max_shift", {"test_softmax"}, _edit(
        "softmax", "np.exp(scores - np.max(scores, axis=1, keepdims=True))", "np.exp(scores)")),
    Mutant("softmax_over_batch_axis", {"test_softmax"}, {"softmax": SOFTMAX.replace("axis=1", "axis=0")}),
    # T4 loss and accuracy
    Mutant("loss_summed_not_averaged", {"test_loss_accuracy"},
           _edit("loss_accuracy", "np.sum(np.log(x_pred[np.arange(N), y])) / N", "np.sum(np.log(x_pred[np.arange(N), y]))")),
    Mutant("accuracy_argmax_over_batch_axis", {"test_loss_accuracy"},
           _edit("loss_accuracy", "np.argmax(x_pred, axis=1)", "np.argmax(x_pred, axis=0)")),
    Mutant("accuracy_hard_coded", {"test_loss_accuracy"},
           _edit("loss_accuracy", "predictions = np.argmax(x_pred, axis=1)\n    return float(np.mean(predictions == y))",
                 "return 0.75")),
    # T5 softmax regression
    Mutant("softmax_regression_gradient_not_averaged", {"test_softmax_regression"},
           _edit("softmax_regression", "dscores = dscores / N", "dscores = dscores")),
    Mutant("softmax_regression_bias_gradient_mean", {"test_softmax_regression"},
           _edit("softmax_regression", 'self.gradients["b1"] = np.sum(dscores, axis=0)',
                 'self.gradients["b1"] = np.mean(dscores, axis=0)')),
    # T6 two-layer network
    Mutant("sigmoid_derivative_at_preactivation", {"test_two_layer_net"},
           _edit("two_layer_net", "dz1 = da1 * sigmoid_dev(z1)", "dz1 = da1 * z1 * (1 - z1)")),
    Mutant("sigmoid_derivative_of_activation", {"test_two_layer_net"},
           _edit("two_layer_net", "dz1 = da1 * sigmoid_dev(z1)", "dz1 = da1 * sigmoid_dev(a1)")),
    Mutant("hidden_derivative_forgotten", {"test_two_layer_net"},
           _edit("two_layer_net", "dz1 = da1 * sigmoid_dev(z1)", "dz1 = da1")),
    Mutant("gradient_W1_transposed", {"test_two_layer_net"},
           _edit("two_layer_net", 'self.gradients["W1"] = X.T @ dz1', 'self.gradients["W1"] = dz1.T @ X')),
    Mutant("gradient_W2_uses_preactivation", {"test_two_layer_net"},
           _edit("two_layer_net", 'self.gradients["W2"] = a1.T @ dscores', 'self.gradients["W2"] = z1.T @ dscores')),
    # T7 SGD
    Mutant("bias_regularized", {"test_sgd"}, _edit(
        "sgd", 'if name.startswith("W"):\n                grad = grad + self.reg * model.weights[name]',
        "grad = grad + self.reg * model.weights[name]")),
    Mutant("reg_gradient_without_factor", {"test_sgd"},
           _edit("sgd", "grad + self.reg * model.weights[name]", "grad + model.weights[name]")),
    Mutant("reg_gradient_doubled", {"test_sgd"},
           _edit("sgd", "grad + self.reg * model.weights[name]", "grad + 2 * self.reg * model.weights[name]")),
    Mutant("step_uphill", {"test_sgd"},
           _edit("sgd", "model.weights[name] -= self.learning_rate * grad", "model.weights[name] += self.learning_rate * grad")),
    # T8, T9 configurations
    Mutant("two_layer_learning_rate_typo", {"test_two_layer_training"},
           _edit("two_layer_training", '"learning_rate": 0.1', '"learning_rate": 0.01')),
    # issue 15: the stated rules, every prescribed setting, and no points lost outside the mistake's own task
    Mutant("sigmoid_wrong_sign", {"test_activations"}, _edit("activations", "1 / (1 + np.exp(-X))", "1 / (1 + np.exp(X))")),
    Mutant("softmax_loop_over_rows", {"test_softmax"}, {"softmax": '''def softmax(scores):
    out = np.empty_like(scores)
    for i in range(scores.shape[0]):
        e = np.exp(scores[i] - scores[i].max())
        out[i] = e / e.sum()
    return out
'''}),
    Mutant("loss_comprehension_over_samples", {"test_loss_accuracy"}, _edit(
        "loss_accuracy", "np.sum(np.log(x_pred[np.arange(N), y])) / N",
        "np.sum([np.log(x_pred[i, y[i]]) for i in range(N)]) / N")),
    Mutant("softmax_regression_steps_in_forward", {"test_softmax_regression"}, _edit(
        "softmax_regression", '''self.gradients["b1"] = np.sum(dscores, axis=0)''',
        '''self.gradients["b1"] = np.sum(dscores, axis=0)
        self.weights["W1"] = self.weights["W1"] - 0.1 * self.gradients["W1"]''')),
    Mutant("softmax_regression_gradients_in_valid_mode", {"test_softmax_regression"}, _edit(
        "softmax_regression", '''if mode != "train":
            return loss, accuracy
''', "")),
    Mutant("two_layer_apply_along_axis", {"test_two_layer_net"}, _edit(
        "two_layer_net", "probs = softmax(scores)", "probs = np.apply_along_axis(lambda r: np.exp(r - r.max()) / np.exp(r - r.max()).sum(), 1, scores)")),
    Mutant("softmax_config_other_seed", {"test_softmax_training"}, _edit("softmax_training", '"seed": 0', '"seed": 7')),
    Mutant("softmax_config_five_epochs", {"test_softmax_training"}, _edit("softmax_training", '"epochs": 10', '"epochs": 5')),
    Mutant("two_layer_config_batch_128", {"test_two_layer_training"},
           _edit("two_layer_training", '"batch_size": 64', '"batch_size": 128')),
    # issue 24: typed-in sizes, a global generator, a rounded loss, parameters read once in __init__
    Mutant("split_at_a_typed_in_50000", {"test_prepare_data"},
           _edit("prepare_data", "n_train = len(X_train) - num_val", "n_train = 50000")),
    Mutant("shuffled_with_the_global_generator", {"test_prepare_data"},
           _edit("prepare_data", "np.random.default_rng(seed).permutation(len(data))", "np.random.permutation(len(data))")),
    Mutant("loss_rounded_to_four_digits", {"test_loss_accuracy"},
           _edit("loss_accuracy", "return float(-np.sum(np.log(x_pred[np.arange(N), y])) / N)",
                 "return round(float(-np.sum(np.log(x_pred[np.arange(N), y])) / N), 4)")),
    Mutant("two_layer_reads_the_weights_once_in_init", {"test_two_layer_net"}, {"two_layer_net": TWO_LAYER.replace(
        'W1, b1, W2, b2 = self.weights["W1"], self.weights["b1"], self.weights["W2"], self.weights["b2"]',
        "W1, b1, W2, b2 = self.W1, self.b1, self.W2, self.b2").replace(
        "        self.gradients = {name: np.zeros_like(w) for name, w in self.weights.items()}\n",
        "        self.gradients = {name: np.zeros_like(w) for name, w in self.weights.items()}\n"
        "        self.W1, self.b1, self.W2, self.b2 = (self.weights[k] for k in (\"W1\", \"b1\", \"W2\", \"b2\"))\n")}),
    Mutant("two_layer_config_without_regularization", {"test_two_layer_training"},
           _edit("two_layer_training", '"reg": 1e-3', '"reg": 0.0')),
]

VARIANTS = [
    Variant("log_sum_exp_and_one_hot", {
        "softmax": '''def softmax(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return np.exp(log_probs)
''',
        "loss_accuracy": '''def cross_entropy_loss(x_pred, y):
    picked = np.take_along_axis(x_pred, y[:, None], axis=1)
    return -np.log(picked).mean().item()


def compute_accuracy(x_pred, y):
    return np.count_nonzero(x_pred.argmax(axis=1) == y) / len(y)
''',
        "softmax_regression": '''class SoftmaxRegression:
    def __init__(self, input_size=28 * 28, num_classes=10, seed=0, dtype=np.float32):
        self.input_size = input_size
        self.num_classes = num_classes
        rng = np.random.default_rng(seed)
        self.weights = {"W1": (0.001 * rng.standard_normal((input_size, num_classes))).astype(dtype),
                        "b1": np.zeros(num_classes, dtype=dtype)}
        self.gradients = {name: np.zeros_like(w) for name, w in self.weights.items()}

    def forward(self, X, y, mode="train"):
        P = softmax(np.dot(X, self.weights["W1"]) + self.weights["b1"])
        loss, accuracy = cross_entropy_loss(P, y), compute_accuracy(P, y)
        if mode == "train":
            Y = np.eye(self.num_classes, dtype=P.dtype)[y]
            G = (P - Y) / len(y)
            self.gradients = {"W1": np.einsum("nd,nc->dc", X, G), "b1": G.sum(axis=0)}
        return loss, accuracy
''',
    }),
    Variant("tanh_sigmoid_and_rebinding_sgd", {
        "activations": '''def sigmoid(X):
    return 0.5 * (1.0 + np.tanh(0.5 * X))


def sigmoid_dev(X):
    return sigmoid(X) * sigmoid(-X)


def ReLU(X):
    return X * (X > 0)


def ReLU_dev(X):
    return np.heaviside(X, 0.0)
''',
        "sgd": '''class SGD:
    def __init__(self, learning_rate=1e-4, reg=1e-3):
        self.learning_rate = learning_rate
        self.reg = reg

    def update(self, model):
        new_weights = {}
        for name, w in model.weights.items():
            penalty = self.reg * w if name[0] == "W" else 0.0
            new_weights[name] = w - self.learning_rate * (model.gradients[name] + penalty)
        model.weights.update(new_weights)
''',
    }),
    Variant("two_layer_with_cached_activation_derivative", {
        "two_layer_net": '''class TwoLayerNet:
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
        w = self.weights
        hidden = sigmoid(X @ w["W1"] + w["b1"])
        probs = softmax(hidden @ w["W2"] + w["b2"])
        loss = cross_entropy_loss(probs, y)
        accuracy = compute_accuracy(probs, y)
        if mode == "train":
            one_hot = np.zeros_like(probs)
            one_hot[np.arange(len(y)), y] = 1
            d_out = (probs - one_hot) / len(y)
            d_hidden = (d_out @ w["W2"].T) * hidden * (1 - hidden)   # sigma'(z) = a (1 - a) with a = sigma(z)
            self.gradients["W2"] = hidden.T @ d_out
            self.gradients["b2"] = d_out.sum(0)
            self.gradients["W1"] = (d_hidden.T @ X).T
            self.gradients["b1"] = d_hidden.sum(0)
        return loss, accuracy
''',
    }),
    Variant("float64_scaling_index_batches_dict_configs", {
        "prepare_data": '''def prepare_mnist(X_train, y_train, X_test, y_test, num_val=10000):
    flat = lambda images: (images.reshape(images.shape[0], 28 * 28) / 255.0).astype(np.float32)
    split = X_train.shape[0] - num_val
    labels = np.asarray(y_train, dtype=np.int64)
    train = flat(X_train)
    return train[:split], labels[:split], train[split:], labels[split:], flat(X_test), np.asarray(y_test, dtype=np.int64)


def generate_batched_data(data, label, batch_size=32, shuffle=False, seed=None):
    index = np.random.default_rng(seed).permutation(len(data)) if shuffle else np.arange(len(data))
    chunks = [index[i:i + batch_size] for i in range(0, len(index), batch_size)]
    return [data[c] for c in chunks], [label[c] for c in chunks]
''',
        "softmax_training": '''config_softmax = dict(type="SoftmaxRegression", hidden_size=None, batch_size=64, learning_rate=0.1,
                      reg=0.001, epochs=10, seed=0, debug=True)
''',
        "two_layer_training": '''config_twolayer = dict(type="TwoLayerNet", hidden_size=128, batch_size=64, learning_rate=0.1,
                       reg=0.001, epochs=10, seed=0, debug=True)
''',
    }),
    Variant("inline_softmax_and_derived_config", {
        "softmax_regression": SOFTMAX_REGRESSION.replace(
            "probs = softmax(scores)",
            "e = np.exp(scores - scores.max(axis=-1)[:, None])\n        probs = e / e.sum(axis=-1)[:, None]"),
        "two_layer_training": '''config_twolayer = dict(config_softmax, type="TwoLayerNet", hidden_size=128)
''',
    }),
    Variant("stacked_weights_and_logaddexp_sigmoid", {
        "activations": '''def sigmoid(X):
    return np.exp(-np.logaddexp(0, -X))


def sigmoid_dev(X):
    s = sigmoid(X)
    return s - s ** 2


def ReLU(X):
    return np.clip(X, 0, None)


def ReLU_dev(X):
    return np.where(X > 0, 1.0, 0.0)
''',
        "two_layer_net": TWO_LAYER.replace(
            'W1, b1, W2, b2 = self.weights["W1"], self.weights["b1"], self.weights["W2"], self.weights["b2"]',
            'W1, b1, W2, b2 = [self.weights[k] for k in ("W1", "b1", "W2", "b2")]'),
    }),
    Variant("configs_with_keyword_dicts_and_debug_one", {
        "softmax_training": '''config_softmax = dict(type="SoftmaxRegression", hidden_size=None, batch_size=64, learning_rate=1e-1,
                      reg=0.001, epochs=10, seed=0, debug=1)
''',
        "two_layer_training": '''config_twolayer = {**config_softmax, "type": "TwoLayerNet", "hidden_size": 128, "debug": True}
''',
        "loss_accuracy": '''def cross_entropy_loss(x_pred, y):
    return float(-np.log(np.choose(y, x_pred.T)).mean())


def compute_accuracy(x_pred, y):
    return float((x_pred.argmax(1) == y).sum() / y.size)
''',
    }),
]
