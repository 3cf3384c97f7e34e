"""Wrong and other-correct answers for toy_chain_backprop (see docs/AUTHORING.md)."""
from autograder.mutation import Mutant, Variant

FORWARD = '''def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    f0 = beta0 + omega0 * x
    h1 = np.sin(f0)
    f1 = beta1 + omega1 * h1
    h2 = np.exp(f1)
    f2 = beta2 + omega2 * h2
    h3 = {h3}
    f3 = beta3 + omega3 * h3
    l_i = {l_i}
    return f0, h1, f1, h2, f2, h3, f3, l_i
'''

BACKWARD = '''def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
    dldf3 = 2 * (f3 - y)
    dldh3 = omega3 * dldf3
    dldf2 = {dldf2}
    dldh2 = omega2 * dldf2
    dldf1 = {dldf1}
    dldh1 = {dldh1}
    dldf0 = np.cos(f0) * dldh1
    return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0
'''

PARAMS = '''def parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3):
    return {{'beta3': dldf3, 'omega3': {w3},
            'beta2': dldf2, 'omega2': h2 * dldf2,
            'beta1': dldf1, 'omega1': h1 * dldf1,
            'beta0': dldf0, 'omega0': {w0}}}
'''


def forward(h3="np.cos(f2)", l_i="(f3 - y) ** 2"):
    return {"forward_pass": FORWARD.format(h3=h3, l_i=l_i)}


def backward(dldf2="-np.sin(f2) * dldh3", dldf1="np.exp(f1) * dldh2", dldh1="omega1 * dldf1"):
    return {"backward_pass": BACKWARD.format(dldf2=dldf2, dldf1=dldf1, dldh1=dldh1)}


def params(w3="h3 * dldf3", w0="x * dldf0"):
    return {"parameter_derivatives": PARAMS.format(w3=w3, w0=w0)}


MUTANTS = [
    Mutant("forward_sin_for_cos", {"test_forward_pass"}, forward(h3="np.sin(f2)")),
    Mutant("forward_loss_not_squared", {"test_forward_pass"}, forward(l_i="abs(f3 - y)")),
    Mutant("forward_hard_coded", {"test_forward_pass"}, {"forward_pass": '''def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    f0, h1, f1, h2, f2, h3, f3 = 1.230, 0.942, 1.623, 5.068, 7.137, 0.657, 2.372
    l_i = 0.139
    return f0, h1, f1, h2, f2, h3, f3, l_i
'''}),
    Mutant("backward_sign_error", {"test_backward_pass"}, backward(dldf2="np.sin(f2) * dldh3")),
    Mutant("backward_missing_chain_factor", {"test_backward_pass"}, backward(dldf1="np.exp(f1)")),
    Mutant("backward_wrong_weight", {"test_backward_pass"}, backward(dldh1="omega2 * dldf1")),
    Mutant("backward_hard_coded", {"test_backward_pass"}, {"backward_pass": '''def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
    dldf3 = 2 * (f3 - y)
    dldh3 = omega3 * dldf3
    dldf2, dldh2, dldf1, dldh1, dldf0 = -1.683, -3.366, -17.060, 6.824, 2.281
    return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0
'''}),
    Mutant("params_missing_h_factor", {"test_parameter_derivatives"}, params(w3="dldf3")),
    Mutant("params_index_off_by_one", {"test_parameter_derivatives"}, params(w0="x * dldf1")),
    Mutant("params_hard_coded", {"test_parameter_derivatives"}, {"parameter_derivatives": '''def parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3):
    return {'beta3': 0.745, 'omega3': 0.489, 'beta2': -1.683, 'omega2': -8.530,
            'beta1': -17.060, 'omega1': -16.079, 'beta0': 2.281, 'omega0': 5.246}
'''}),
    # An earlier step's mistake must cost its own question only: Q8 and Q9 are tested with the true values.
    Mutant("forward_wrong_keeps_later_points", {"test_forward_pass"}, forward(h3="np.cos(f2) + 0.1")),
    Mutant("forward_raises_keeps_later_points", {"test_forward_pass"}, {"forward_pass": '''def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    raise NotImplementedError()
'''}),
    Mutant("backward_wrong_keeps_q9", {"test_backward_pass"}, backward(dldh1="dldf1")),
    # A formula variant: the derivative of cos taken as -cos.
    Mutant("backward_cos_derivative_variant", {"test_backward_pass"}, backward(dldf2="-np.cos(f2) * dldh3")),
    # Values computed from the example's globals instead of the arguments (right on the example only).
    Mutant("forward_uses_example_globals", {"test_forward_pass"}, {"forward_pass": '''def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    f0 = 1.0 + 0.1 * x
    h1 = np.sin(f0)
    f1 = beta1 + omega1 * h1
    h2 = np.exp(f1)
    f2 = beta2 + omega2 * h2
    h3 = np.cos(f2)
    f3 = beta3 + omega3 * h3
    l_i = (f3 - y) ** 2
    return f0, h1, f1, h2, f2, h3, f3, l_i
'''}),
    # One-element arrays where numbers are asked for are fine; several values are not.
    Mutant("params_arrays_not_numbers", {"test_parameter_derivatives"}, {"parameter_derivatives": '''def parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3):
    hs = np.array([x, h1, h2, h3])
    dfs = np.array([dldf0, dldf1, dldf2, dldf3])
    return {'beta0': dfs, 'beta1': dfs[1], 'beta2': dfs[2], 'beta3': dfs[3],
            'omega0': hs[0] * dfs[0], 'omega1': hs[1] * dfs[1], 'omega2': hs[2] * dfs[2], 'omega3': hs[3] * dfs[3]}
'''}),
    Mutant("params_beta_omega_swapped", {"test_parameter_derivatives"}, {"parameter_derivatives": '''def parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3):
    return {'omega3': dldf3, 'beta3': h3 * dldf3, 'omega2': dldf2, 'beta2': h2 * dldf2,
            'omega1': dldf1, 'beta1': h1 * dldf1, 'omega0': dldf0, 'beta0': x * dldf0}
'''}),
    # Numbers typed in where numpy has them: e as 2.71828, a loss rounded before it is returned.
    Mutant("forward_e_typed_in", {"test_forward_pass"}, {"forward_pass": FORWARD.format(h3="np.cos(f2)", l_i="(f3 - y) ** 2").replace("np.exp(f1)", "2.71828 ** f1")}),
    Mutant("forward_loss_rounded", {"test_forward_pass"}, forward(l_i="round((f3 - y) ** 2, 3)")),
    # Parameters taken from the example's variables in the backward pass (right on the example only).
    Mutant("backward_uses_example_globals", {"test_backward_pass"}, backward(dldh1="-0.4 * dldf1")),
]

VARIANTS = [
    Variant("reference_style", {**forward(), **backward(), **params()}),
    Variant("math_module_and_stored_values", {
        "forward_pass": '''import math

def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    f0 = beta0 + omega0 * x
    h1 = math.sin(f0)
    f1 = beta1 + omega1 * h1
    h2 = math.exp(f1)
    f2 = beta2 + omega2 * h2
    h3 = math.cos(f2)
    f3 = beta3 + omega3 * h3
    l_i = (f3 - y) * (f3 - y)
    return f0, h1, f1, h2, f2, h3, f3, l_i
''',
        "backward_pass": '''def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
    dldf3 = 2 * (f3 - y)
    dldh3 = omega3 * dldf3
    # exp'(f1) is h2 itself, and -sin(f2) = cos(f2 + pi/2)
    dldf2 = np.cos(f2 + np.pi / 2) * dldh3
    dldh2 = dldf2 * omega2
    dldf1 = dldh2 * h2
    dldh1 = dldf1 * omega1
    dldf0 = dldh1 * np.cos(f0)
    return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0
''',
    }),
    Variant("one_product_per_derivative", {"backward_pass": '''def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
    dldf3 = 2 * (f3 - y)
    dldh3 = omega3 * dldf3
    dldf2 = -np.sin(f2) * omega3 * 2 * (f3 - y)
    dldh2 = omega2 * -np.sin(f2) * omega3 * 2 * (f3 - y)
    dldf1 = np.exp(f1) * omega2 * -np.sin(f2) * omega3 * 2 * (f3 - y)
    dldh1 = omega1 * np.exp(f1) * omega2 * -np.sin(f2) * omega3 * 2 * (f3 - y)
    dldf0 = np.cos(f0) * omega1 * np.exp(f1) * omega2 * -np.sin(f2) * omega3 * 2 * (f3 - y)
    return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0
'''}),
    Variant("dict_from_zip", {"parameter_derivatives": '''def parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3):
    hs = [x, h1, h2, h3]
    dfs = [dldf0, dldf1, dldf2, dldf3]
    grads = dict(zip(['beta0', 'beta1', 'beta2', 'beta3'], dfs))
    grads.update(zip(['omega0', 'omega1', 'omega2', 'omega3'], np.multiply(hs, dfs)))
    return grads
'''}),
    Variant("forward_with_loop_over_layers", {"forward_pass": '''def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    values = []
    h = x
    for beta, omega, act in [(beta0, omega0, np.sin), (beta1, omega1, np.exp), (beta2, omega2, np.cos)]:
        f = beta + omega * h
        h = act(f)
        values += [f, h]
    f3 = beta3 + omega3 * h
    values.append(f3)
    return (*values, (y - f3) ** 2)
'''}),
    Variant("backward_one_element_arrays", {"backward_pass": '''def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
    dldf3 = 2 * (f3 - y)
    dldh3 = omega3 * dldf3
    dldf2 = np.array([-np.sin(f2) * dldh3])
    dldh2 = omega2 * dldf2
    dldf1 = np.exp(f1) * dldh2
    dldh1 = omega1 * dldf1
    dldf0 = np.cos(f0) * dldh1
    return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0
'''}),
    Variant("params_float_values", {"parameter_derivatives": '''def parameter_derivatives(x, h1, h2, h3, dldf0, dldf1, dldf2, dldf3):
    grads = {}
    for k, (h, d) in enumerate(zip((x, h1, h2, h3), (dldf0, dldf1, dldf2, dldf3))):
        grads[f"beta{k}"] = float(d)
        grads[f"omega{k}"] = float(h * d)
    return grads
'''}),
]
