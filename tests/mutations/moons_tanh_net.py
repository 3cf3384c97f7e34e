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

UPDATE_FN = '''def update_parameters(W, grads, learning_rate):
{update}
'''

UPDATE = '''    W['W_input_h1'] {op} {lr} * grads['dW1']
    W['b_input_h1'] {op} {lr} * grads['db1']
    W['W_h1_h2'] {op} {lr} * grads['dW2']
    W['b_h1_h2'] {op} {lr} * grads['db2']
    W['W_h2_output'] {op} {lr} * grads['dWout']
    W['b_h2_output'] {op} {lr} * grads['dbout']'''

# A mistake in backward (Q3) costs Q3 only, whatever backward does (wrong values, wrong shapes, an error): the test
# of Q4 gives update_parameters gradients of its own.
BACKWARD_ONLY = {"test_backward"}
UPDATE_ONLY = {"test_update_parameters"}
PAIRS = "[('dW1', 'W_input_h1'), ('db1', 'b_input_h1'), ('dW2', 'W_h1_h2'), ('db2', 'b_h1_h2'), " \
        "('dWout', 'W_h2_output'), ('dbout', 'b_h2_output')]"


def backward(delta3="(probs - y).reshape(-1, 1)",
             delta2="delta3 @ W['W_h2_output'].T * (1 - np.power(a_h2, 2))",
             delta1="delta2 @ W['W_h1_h2'].T * (1 - np.power(a_h1, 2))",
             dbout="np.sum(delta3, axis=0)", dW2="a_h1.T @ delta2",
             db2="np.sum(delta2, axis=0)", db1="np.sum(delta1, axis=0)"):
    return {"backward": BACKWARD.format(delta3=delta3, delta2=delta2, delta1=delta1, dbout=dbout, dW2=dW2,
                                        db2=db2, db1=db1)}


def update(body=UPDATE.format(op="-=", lr="learning_rate")):
    return {"update_parameters": UPDATE_FN.format(update=body)}


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
    Mutant("bias_grad_not_summed", BACKWARD_ONLY, backward(dbout="delta3", db2="delta2", db1="delta1")),
    # Bias gradients summed over everything: a scalar that the update silently broadcasts.
    Mutant("bias_grad_summed_to_scalar", BACKWARD_ONLY,
           backward(dbout="np.sum(delta3)", db2="np.sum(delta2)", db1="np.sum(delta1)")),
    # keepdims=True without the reshape: shape (1, H) instead of (H,).
    Mutant("bias_grad_keepdims", BACKWARD_ONLY, backward(dbout="np.sum(delta3, axis=0, keepdims=True)", db2="np.sum(delta2, axis=0, keepdims=True)",
                    db1="np.sum(delta1, axis=0, keepdims=True)")),
    # The batch size hard-coded to the 200 moons points.
    Mutant("hard_coded_batch_size", BACKWARD_ONLY, backward(delta3="(probs - y).reshape(200, 1)")),
    # Gradient of W2 transposed (it has the right shape only because the moons network is 3-3).
    Mutant("transposed_dW2", BACKWARD_ONLY, backward(dW2="delta2.T @ a_h1")),
    # Gradient of the mean loss instead of the summed one.
    Mutant("mean_instead_of_sum", BACKWARD_ONLY,
           backward(delta3="(probs - y).reshape(-1, 1) / X.shape[0]")),
    # The second layer's tanh derivative used in the first layer too.
    Mutant("wrong_layer_tanh_grad", BACKWARD_ONLY,
           backward(delta1="delta2 @ W['W_h1_h2'].T * (1 - np.power(a_h2, 2))")),
    # Gradient ascent.
    Mutant("gradient_ascent", UPDATE_ONLY, update(UPDATE.format(op="+=", lr="learning_rate"))),
    # The learning rate of the moons run typed in instead of the argument.
    Mutant("hard_coded_learning_rate", UPDATE_ONLY, update(UPDATE.format(op="-=", lr="0.01"))),
    # A new dict bound to the local name: the caller's W is never updated.
    Mutant("rebinds_W_not_in_place", UPDATE_ONLY, update('''    W = {'W_input_h1': W['W_input_h1'] - learning_rate * grads['dW1'],
         'b_input_h1': W['b_input_h1'] - learning_rate * grads['db1'],
         'W_h1_h2': W['W_h1_h2'] - learning_rate * grads['dW2'],
         'b_h1_h2': W['b_h1_h2'] - learning_rate * grads['db2'],
         'W_h2_output': W['W_h2_output'] - learning_rate * grads['dWout'],
         'b_h2_output': W['b_h2_output'] - learning_rate * grads['dbout']}
    return W''')),
    # The biases are never updated.
    Mutant("update_weights_only", UPDATE_ONLY, update('''    W['W_input_h1'] -= learning_rate * grads['dW1']
    W['W_h1_h2'] -= learning_rate * grads['dW2']
    W['W_h2_output'] -= learning_rate * grads['dWout']''')),
    # Step of the mean loss with the moons N typed in: the learning rate divided by 200.
    Mutant("update_step_divided_by_n", UPDATE_ONLY, update(UPDATE.format(op="-=", lr="learning_rate / 200"))),
    # The gradients scaled in place, then subtracted: grads must not change.
    Mutant("update_scales_grads_in_place", UPDATE_ONLY, update(f'''    for g, p in {PAIRS}:
        grads[g] *= learning_rate
        W[p] -= grads[g]''')),
    # A learning-rate schedule nobody asked for: the step decays with a call counter kept in a global.
    Mutant("update_decaying_learning_rate", UPDATE_ONLY, update('''    global update_calls
    update_calls = globals().get('update_calls', 0) + 1
    eta = learning_rate / (1 + 1e-3 * update_calls)
''' + UPDATE.format(op="-=", lr="eta"))),
    # The new values rounded (to 6 decimals) before they are stored.
    Mutant("update_rounds_parameters", UPDATE_ONLY, update(f'''    for g, p in {PAIRS}:
        W[p] = np.round(W[p] - learning_rate * grads[g], 6)''')),
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
    # An error in backward must not cost the points of update_parameters: a wrong sign throughout.
    Mutant("backward_wrong_sign_keeps_update", BACKWARD_ONLY, backward(delta3="(y - probs).reshape(-1, 1)")),
    # --- Q3's mistakes that the provided train cannot survive cost Q3 only (no spill into Q4)
    # Bias gradients summed over the units instead of the examples: shape (N,).
    Mutant("bias_grad_summed_over_units", BACKWARD_ONLY,
           backward(dbout="np.sum(delta3, axis=1)", db2="np.sum(delta2, axis=1)", db1="np.sum(delta1, axis=1)")),
    # backward left unfinished: it raises.
    Mutant("backward_unfinished_raises", BACKWARD_ONLY, {"backward": '''def backward(W, X, y, cache):
    a_h1, a_h2, probs = cache['a_h1'], cache['a_h2'], cache['probs']
    raise NotImplementedError()
'''}),
    # Bias gradients averaged over the examples instead of summed.
    Mutant("bias_grad_averaged", BACKWARD_ONLY,
           backward(dbout="np.mean(delta3, axis=0)", db2="np.mean(delta2, axis=0)", db1="np.mean(delta1, axis=0)")),
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
        **update('''    for param, grad in [('W_input_h1', 'dW1'), ('b_input_h1', 'db1'), ('W_h1_h2', 'dW2'),
                        ('b_h1_h2', 'db2'), ('W_h2_output', 'dWout'), ('b_h2_output', 'dbout')]:
        W[param] = W[param] - learning_rate * grads[grad]'''),
    }),
    # The seed's style: keepdims then reshape to the parameter's shape, and += -1 * lr * grad.
    Variant("keepdims_reshape_plus_minus", {
        **backward(dbout="np.sum(delta3, axis=0, keepdims=True).reshape(W['b_h2_output'].shape)",
                   db2="np.sum(delta2, axis=0, keepdims=True).reshape(W['b_h1_h2'].shape)",
                   db1="np.sum(delta1, axis=0, keepdims=True).reshape(W['b_input_h1'].shape)"),
        **update(UPDATE.format(op="+=", lr="-1 * learning_rate")),
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
        **update('''    names = {'dW1': 'W_input_h1', 'db1': 'b_input_h1', 'dW2': 'W_h1_h2', 'db2': 'b_h1_h2',
             'dWout': 'W_h2_output', 'dbout': 'b_h2_output'}
    for g, p in names.items():
        np.subtract(W[p], learning_rate * grads[g], out=W[p])'''),
    }),
    # The update by dict.update with new arrays (the caller's dict holds them), returning W, a matmul backward.
    Variant("matmul_backward_dict_update", {
        **backward(delta3="np.atleast_2d(probs - y).T",
                   delta2="np.matmul(delta3, W['W_h2_output'].T) * (1.0 - a_h2 * a_h2)",
                   delta1="np.matmul(delta2, W['W_h1_h2'].T) * (1.0 - a_h1 * a_h1)",
                   dbout="delta3.sum(0)", db2="delta2.sum(0)", db1="delta1.sum(0)"),
        **update('''    W.update({'W_input_h1': W['W_input_h1'] - learning_rate * grads['dW1'],
              'b_input_h1': W['b_input_h1'] - learning_rate * grads['db1'],
              'W_h1_h2': W['W_h1_h2'] - learning_rate * grads['dW2'],
              'b_h1_h2': W['b_h1_h2'] - learning_rate * grads['db2'],
              'W_h2_output': W['W_h2_output'] - learning_rate * grads['dWout'],
              'b_h2_output': W['b_h2_output'] - learning_rate * grads['dbout']})
    return W'''),
    }),
    # A loop over the parameters' names, with the gradient's name looked up in a table.
    Variant("update_loop_over_parameter_names", update('''    for key in W:
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
