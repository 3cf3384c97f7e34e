"""Wrong and other-correct answers for moons_tanh_net (see docs/AUTHORING.md)."""
from autograder.mutation import Mutant, Variant

BACKWARD = '''def backward(W, X, y, cache):
    a_h1, a_h2, probs = cache['a_h1'], cache['a_h2'], cache['probs']
    delta3 = {delta3}
    delta2 = {delta2}
    delta1 = {delta1}

    dWout = a_h2.T @ delta3
    dbout = {dbout}
    dW2 = {dW2}
    db2 = {db2}
    dW1 = X.T @ delta1
    db1 = {db1}
    grads = {{'dW1': dW1, 'db1': db1, 'dW2': dW2, 'db2': db2, 'dWout': dWout, 'dbout': dbout}}
    return grads
'''

TRAIN = '''def train(W, X, y, learning_rate=0.01, epochs=2000, print_every=100):
    losses = []
    for epoch in range(epochs):
        # Forward pass
        probs, cache = forward(W, X)
        # Backward pass
        grads = backward(W, X, y, cache)

{update}

        loss = cross_entropy_loss(probs, y)
        losses.append(float(loss))
        if print_every and epoch % print_every == 0:
            print(f"Loss after epoch {{epoch:4d}} : {{loss:.10f}}")
    return losses
'''

UPDATE = '''        W['W_input_h1'] {op} {lr} * grads['dW1']
        W['b_input_h1'] {op} {lr} * grads['db1']
        W['W_h1_h2'] {op} {lr} * grads['dW2']
        W['b_h1_h2'] {op} {lr} * grads['db2']
        W['W_h2_output'] {op} {lr} * grads['dWout']
        W['b_h2_output'] {op} {lr} * grads['dbout']'''

BACKWARD_ONLY = {"test_backward"}
# train cannot run when backward raises or returns a gradient that the in-place update cannot apply to its
# parameter (the notebook says so): these mutants of Q3 also cost Q4.
SHAPE_SPILL = {"test_train": "train cannot apply a gradient of the wrong shape in place (or run when backward "
                             "raises): Q4 needs backward to return the six gradients with the parameters' shapes"}


def backward(delta3="(probs - y).reshape(-1, 1)",
             delta2="delta3 @ W['W_h2_output'].T * (1 - np.power(a_h2, 2))",
             delta1="delta2 @ W['W_h1_h2'].T * (1 - np.power(a_h1, 2))",
             dbout="np.sum(delta3, axis=0)", dW2="a_h1.T @ delta2",
             db2="np.sum(delta2, axis=0)", db1="np.sum(delta1, axis=0)"):
    return {"backward": BACKWARD.format(delta3=delta3, delta2=delta2, delta1=delta1, dbout=dbout, dW2=dW2,
                                        db2=db2, db1=db1)}


def train(update=UPDATE.format(op="-=", lr="learning_rate")):
    return {"train": TRAIN.format(update=update)}


MUTANTS = [
    # The sigmoid's derivative is already inside probs - y; multiplying by it again.
    Mutant("sigmoid_grad_twice", BACKWARD_ONLY,
           backward(delta3="((probs - y) * probs * (1 - probs)).reshape(-1, 1)")),
    # tanh' evaluated as 1 - z**2 on the pre-activation instead of 1 - a**2 on the activation.
    Mutant("tanh_grad_from_preactivation", BACKWARD_ONLY,
           backward(delta2="delta3 @ W['W_h2_output'].T * (1 - cache['z_h2'] ** 2)",
                    delta1="delta2 @ W['W_h1_h2'].T * (1 - cache['z_h1'] ** 2)")),
    # Deltas multiplied by the tanh derivative but not sent back through the weights.
    Mutant("deltas_not_through_weights", BACKWARD_ONLY,
           backward(delta2="delta3 * (1 - np.power(a_h2, 2))",
                    delta1="delta2 * (1 - np.power(a_h1, 2))")),
    # Bias gradients left per example, shape (N, H), not summed.
    Mutant("bias_grad_not_summed", BACKWARD_ONLY, spills=SHAPE_SPILL, cells=
           backward(dbout="delta3", db2="delta2", db1="delta1")),
    # Bias gradients summed over everything: a scalar that the update silently broadcasts.
    Mutant("bias_grad_summed_to_scalar", BACKWARD_ONLY,
           backward(dbout="np.sum(delta3)", db2="np.sum(delta2)", db1="np.sum(delta1)")),
    # keepdims=True without the reshape: shape (1, H) instead of (H,).
    Mutant("bias_grad_keepdims", BACKWARD_ONLY, spills=SHAPE_SPILL, cells=
           backward(dbout="np.sum(delta3, axis=0, keepdims=True)", db2="np.sum(delta2, axis=0, keepdims=True)",
                    db1="np.sum(delta1, axis=0, keepdims=True)")),
    # The batch size hard-coded to the 200 moons points.
    Mutant("hard_coded_batch_size", BACKWARD_ONLY, spills=SHAPE_SPILL, cells=backward(delta3="(probs - y).reshape(200, 1)")),
    # Gradient of W2 transposed (it has the right shape only because the moons network is 3-3).
    Mutant("transposed_dW2", BACKWARD_ONLY, backward(dW2="delta2.T @ a_h1")),
    # Gradient of the mean loss instead of the summed one.
    Mutant("mean_instead_of_sum", BACKWARD_ONLY,
           backward(delta3="(probs - y).reshape(-1, 1) / X.shape[0]")),
    # The second layer's tanh derivative used in the first layer too.
    Mutant("wrong_layer_tanh_grad", BACKWARD_ONLY,
           backward(delta1="delta2 @ W['W_h1_h2'].T * (1 - np.power(a_h2, 2))")),
    # Gradient ascent.
    Mutant("gradient_ascent", {"test_train"}, train(UPDATE.format(op="+=", lr="learning_rate"))),
    # The learning rate of the moons run typed in instead of the argument.
    Mutant("hard_coded_learning_rate", {"test_train"}, train(UPDATE.format(op="-=", lr="0.01"))),
    # A new dict bound to the local name: the caller's W is never trained.
    Mutant("rebinds_W_not_in_place", {"test_train"}, train('''        W = {'W_input_h1': W['W_input_h1'] - learning_rate * grads['dW1'],
             'b_input_h1': W['b_input_h1'] - learning_rate * grads['db1'],
             'W_h1_h2': W['W_h1_h2'] - learning_rate * grads['dW2'],
             'b_h1_h2': W['b_h1_h2'] - learning_rate * grads['db2'],
             'W_h2_output': W['W_h2_output'] - learning_rate * grads['dWout'],
             'b_h2_output': W['b_h2_output'] - learning_rate * grads['dbout']}''')),
    # No training at all, the documented losses typed in.
    Mutant("hard_coded_losses", {"test_train"}, {"train": '''def train(W, X, y, learning_rate=0.01, epochs=2000, print_every=100):
    losses = [10.5] * epochs
    losses[0] = 157.625124238
    losses[100] = 58.0230836875
    losses[200] = 47.8963790291
    losses[300] = 14.3334810612
    for epoch in range(0, epochs, print_every or epochs):
        print(f"Loss after epoch {epoch:4d} : {losses[epoch]:.10f}")
    return losses
'''}),
    # --- each test measures its own question, and checks what the instructions prescribe
    # Right gradients, computed one example at a time: the no-loop rule of backward.
    Mutant("backward_loops_over_examples", BACKWARD_ONLY, {"backward": '''def backward(W, X, y, cache):
    a_h1, a_h2, probs = cache['a_h1'], cache['a_h2'], cache['probs']
    grads = {'dW1': np.zeros_like(W['W_input_h1']), 'db1': np.zeros_like(W['b_input_h1']),
             'dW2': np.zeros_like(W['W_h1_h2']), 'db2': np.zeros_like(W['b_h1_h2']),
             'dWout': np.zeros_like(W['W_h2_output']), 'dbout': np.zeros_like(W['b_h2_output'])}
    for n in range(X.shape[0]):
        d3 = np.array([probs[n] - y[n]])
        d2 = W['W_h2_output'] @ d3 * (1 - a_h2[n] ** 2)
        d1 = W['W_h1_h2'] @ d2 * (1 - a_h1[n] ** 2)
        grads['dWout'] += np.outer(a_h2[n], d3)
        grads['dbout'] += d3
        grads['dW2'] += np.outer(a_h1[n], d2)
        grads['db2'] += d2
        grads['dW1'] += np.outer(X[n], d1)
        grads['db1'] += d1
    return grads
'''}),
    # Right gradients, but the tanh derivative is taken in place on the cached activations.
    Mutant("backward_squares_cache_in_place", BACKWARD_ONLY, {"backward": '''def backward(W, X, y, cache):
    a_h1, a_h2, probs = cache['a_h1'], cache['a_h2'], cache['probs']
    delta3 = (probs - y).reshape(-1, 1)
    dWout = a_h2.T @ delta3
    dbout = np.sum(delta3, axis=0)
    dW2_input = a_h1.copy()
    a_h2 **= 2
    delta2 = delta3 @ W['W_h2_output'].T * (1 - a_h2)
    dW2 = dW2_input.T @ delta2
    db2 = np.sum(delta2, axis=0)
    a_h1 **= 2
    delta1 = delta2 @ W['W_h1_h2'].T * (1 - a_h1)
    dW1 = X.T @ delta1
    db1 = np.sum(delta1, axis=0)
    grads = {'dW1': dW1, 'db1': db1, 'dW2': dW2, 'db2': db2, 'dWout': dWout, 'dbout': dbout}
    return grads
'''}),
    # An error in backward must not cost train's points: a wrong sign throughout.
    Mutant("backward_wrong_sign_keeps_train", BACKWARD_ONLY, backward(delta3="(y - probs).reshape(-1, 1)")),
    # The number of epochs typed in (a prescribed setting ignored).
    Mutant("train_ignores_epochs", {"test_train"}, {"train": TRAIN.replace("range(epochs)", "range(2000)").format(
        update=UPDATE.format(op="-=", lr="learning_rate"))}),
    # The biases are never updated.
    Mutant("train_updates_weights_only", {"test_train"}, train('''        W['W_input_h1'] -= learning_rate * grads['dW1']
        W['W_h1_h2'] -= learning_rate * grads['dW2']
        W['W_h2_output'] -= learning_rate * grads['dWout']''')),
    # Step of the mean loss: the learning rate divided by N (a formula variant).
    Mutant("train_step_divided_by_n", {"test_train"}, train(UPDATE.format(op="-=", lr="learning_rate / X.shape[0]"))),
    # The loss recorded after the update (a second forward pass) instead of the epoch's own.
    Mutant("train_loss_after_update", {"test_train"}, {"train": TRAIN.replace(
        "loss = cross_entropy_loss(probs, y)", "loss = cross_entropy_loss(forward(W, X)[0], y)").format(
        update=UPDATE.format(op="-=", lr="learning_rate"))}),
    # The inputs centred in place before training: X must not change.
    Mutant("train_centres_X_in_place", {"test_train"}, {"train": TRAIN.replace(
        "    losses = []\n", "    losses = []\n    X -= X.mean(axis=0)\n").format(
        update=UPDATE.format(op="-=", lr="learning_rate"))}),
]

VARIANTS = [
    # The provided tanh_grad on the stored pre-activations, and a column view with [:, None].
    Variant("tanh_grad_on_preactivations", backward(
        delta3="(probs - y)[:, None]",
        delta2="(delta3 @ W['W_h2_output'].T) * tanh_grad(cache['z_h2'])",
        delta1="(delta2 @ W['W_h1_h2'].T) * tanh_grad(cache['z_h1'])")),
    # einsum for the weight gradients, ones-vector products for the biases, recomputed forward pass,
    # and an update loop over a name table with W[k] = W[k] - ...
    Variant("einsum_recomputed_forward_loop_update", {
        "backward": '''def backward(W, X, y, cache):
    N = X.shape[0]
    h1 = np.tanh(X @ W['W_input_h1'] + W['b_input_h1'])
    h2 = np.tanh(h1 @ W['W_h1_h2'] + W['b_h1_h2'])
    t_hat = sigmoid(h2 @ W['W_h2_output'] + W['b_h2_output'])[:, 0]
    d3 = np.expand_dims(t_hat - y, axis=1)
    d2 = np.einsum('nk,jk->nj', d3, W['W_h2_output']) * (1.0 - h2 * h2)
    d1 = np.einsum('nj,ij->ni', d2, W['W_h1_h2']) * (1.0 - h1 * h1)
    ones = np.ones(N)
    return {'dW1': np.einsum('nd,ni->di', X, d1), 'db1': ones @ d1,
            'dW2': np.einsum('ni,nj->ij', h1, d2), 'db2': ones @ d2,
            'dWout': np.einsum('nj,nk->jk', h2, d3), 'dbout': ones @ d3}
''',
        "train": TRAIN.format(update='''        for param, grad in [('W_input_h1', 'dW1'), ('b_input_h1', 'db1'), ('W_h1_h2', 'dW2'),
                            ('b_h1_h2', 'db2'), ('W_h2_output', 'dWout'), ('b_h2_output', 'dbout')]:
            W[param] = W[param] - learning_rate * grads[grad]'''),
    }),
    # The seed's style: keepdims then reshape to the parameter's shape, and += -1 * lr * grad.
    Variant("keepdims_reshape_plus_minus", {
        **backward(dbout="np.sum(delta3, axis=0, keepdims=True).reshape(W['b_h2_output'].shape)",
                   db2="np.sum(delta2, axis=0, keepdims=True).reshape(W['b_h1_h2'].shape)",
                   db1="np.sum(delta1, axis=0, keepdims=True).reshape(W['b_input_h1'].shape)"),
        **train(UPDATE.format(op="+=", lr="-1 * learning_rate")),
    }),
    # Per-example outer products summed with a broadcasted product, gradients via the chain rule on dE/dh,
    # and np.subtract(..., out=...) for the update.
    Variant("broadcast_sum_out_update", {
        "backward": '''def backward(W, X, y, cache):
    a_h1, a_h2, probs = cache['a_h1'], cache['a_h2'], cache['probs']
    dE_da = (probs - y)[:, np.newaxis]                      # (N, 1)
    dE_dh2 = dE_da * W['W_h2_output'][:, 0][np.newaxis, :]  # (N, H2)
    dE_dz2 = dE_dh2 * (1 - a_h2 ** 2)
    dE_dh1 = dE_dz2 @ W['W_h1_h2'].T                        # (N, H1)
    dE_dz1 = dE_dh1 * (1 - a_h1 ** 2)
    grads = {
        'dWout': (a_h2[:, :, None] * dE_da[:, None, :]).sum(axis=0),
        'dbout': dE_da.sum(axis=0),
        'dW2': (a_h1[:, :, None] * dE_dz2[:, None, :]).sum(axis=0),
        'db2': dE_dz2.sum(axis=0),
        'dW1': (X[:, :, None] * dE_dz1[:, None, :]).sum(axis=0),
        'db1': dE_dz1.sum(axis=0),
    }
    return grads
''',
        "train": TRAIN.format(update='''        names = {'dW1': 'W_input_h1', 'db1': 'b_input_h1', 'dW2': 'W_h1_h2', 'db2': 'b_h1_h2',
                 'dWout': 'W_h2_output', 'dbout': 'b_h2_output'}
        for g, p in names.items():
            np.subtract(W[p], learning_rate * grads[g], out=W[p])'''),
    }),
    # The update by dict.update with new arrays (the caller's dict holds them), a matmul backward.
    Variant("matmul_backward_dict_update", {
        **backward(delta3="np.atleast_2d(probs - y).T",
                   delta2="np.matmul(delta3, W['W_h2_output'].T) * (1.0 - a_h2 * a_h2)",
                   delta1="np.matmul(delta2, W['W_h1_h2'].T) * (1.0 - a_h1 * a_h1)",
                   dbout="delta3.sum(0)", db2="delta2.sum(0)", db1="delta1.sum(0)"),
        **train('''        W.update({'W_input_h1': W['W_input_h1'] - learning_rate * grads['dW1'],
                  'b_input_h1': W['b_input_h1'] - learning_rate * grads['db1'],
                  'W_h1_h2': W['W_h1_h2'] - learning_rate * grads['dW2'],
                  'b_h1_h2': W['b_h1_h2'] - learning_rate * grads['db2'],
                  'W_h2_output': W['W_h2_output'] - learning_rate * grads['dWout'],
                  'b_h2_output': W['b_h2_output'] - learning_rate * grads['dbout']})'''),
    }),
    # A loop over the parameters' names in train (a loop over parameters, not over examples, is allowed there).
    Variant("train_loop_over_parameter_names", train('''        for key in W:
            gname = {'W_input_h1': 'dW1', 'b_input_h1': 'db1', 'W_h1_h2': 'dW2', 'b_h1_h2': 'db2',
                     'W_h2_output': 'dWout', 'b_h2_output': 'dbout'}[key]
            W[key] -= learning_rate * grads[gname]''')),
    # delta3 by the chain rule through the provided sigmoid_grad (dE/dt_hat times dt_hat/da), not simplified.
    Variant("delta3_by_chain_rule_with_sigmoid_grad", backward(
        delta3="((-y / probs + (1 - y) / (1 - probs)) * sigmoid_grad(cache['output'][:, 0]))[:, None]")),
    # The tanh derivative from the pre-activations with np.cosh, and np.dot everywhere.
    Variant("cosh_derivative_and_dot", {"backward": '''def backward(W, X, y, cache):
    probs = cache['probs']
    delta3 = np.reshape(probs - y, (len(probs), 1))
    delta2 = np.dot(delta3, W['W_h2_output'].T) / np.cosh(cache['z_h2']) ** 2
    delta1 = np.dot(delta2, W['W_h1_h2'].T) / np.cosh(cache['z_h1']) ** 2
    grads = {'dWout': np.dot(cache['a_h2'].T, delta3), 'dbout': delta3.sum(axis=0),
             'dW2': np.dot(cache['a_h1'].T, delta2), 'db2': delta2.sum(axis=0),
             'dW1': np.dot(X.T, delta1), 'db1': delta1.sum(axis=0)}
    return grads
'''}),
]
