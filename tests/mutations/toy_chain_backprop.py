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
]
