"""Does the grader decide what a kernel value is from the bytes alone, whatever the kernel's agent says about it?

The agent (autograder.sandbox.agent) runs here in a thread over a socket pair, as it runs in the student's kernel;
its tables and functions are changed the way a student can change them in the kernel.
"""
import base64
import json
import socket
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.sandbox import agent, codec
from autograder.sandbox.remote import Handle, LiveDict, LiveList, Remote, SandboxAbort, repeat_calls
from autograder.sandbox.testcell import run_test_cell


class Kernel:
    """The agent serving one test cell over a socket pair, and the grader's Remote for it."""

    def __init__(self, namespace: dict):
        self.grader, kernel = socket.socketpair()
        self.namespace = namespace
        agent.setup(kernel, user_ns=namespace)
        self.thread = threading.Thread(target=agent.serve, daemon=True)
        self.thread.start()
        self.flags = []
        self.remote = Remote(self.grader, deadline=time.monotonic() + 20, max_bytes=64 << 20,
                             local_modules=frozenset({"numpy", "math"}), on_timeout=lambda: None,
                             flag=lambda code, message: self.flags.append((code, message)))
        self.remote.begin(timeout=5)

    def get(self, name):
        return self.remote.request("names", names=[name])[name]

    def close(self):
        self.remote.end(setnames={})
        self.thread.join(5)
        self.grader.close()


@pytest.fixture
def kernel_with(request):
    made = []

    def start(source: str) -> Kernel:
        namespace = {"np": np}
        exec(source, namespace)
        made.append(Kernel(namespace))
        return made[-1]
    yield start
    for kernel in made:
        kernel.close()


LYING_SEQUENCE = """
class Claimed:
    def __len__(self):
        return 8
    def __iter__(self):
        return iter(())
    def __eq__(self, other):
        return True
    def __float__(self):
        return 1.0
def answer():
    return Claimed()
"""


@pytest.mark.parametrize("use", [len, list, float, bool, lambda v: v == 1.0, lambda v: v[0], lambda v: v + 1,
                                 np.asarray, lambda v: np.allclose(v, 1.0), lambda v: np.round(v, 3),
                                 lambda v: np.size(v), lambda v: 1.0 in v, lambda v: f"{v:.3f}", abs, round],
                         ids=["len", "list", "float", "bool", "eq", "getitem", "add", "asarray", "allclose", "round",
                              "size", "contains", "format", "abs", "builtin-round"])
def test_every_use_of_a_kernel_object_as_a_value_fails_and_is_flagged(kernel_with, use):
    """Used as a number, array, sequence or truth value, does an object of the student's code end the test
    (SandboxAbort) with a `not-data` flag naming the use, instead of answering for itself?"""
    kernel = kernel_with(LYING_SEQUENCE)
    got = kernel.get("answer")()
    assert isinstance(got, Handle)
    with pytest.raises(SandboxAbort):
        use(got)
    assert [code for code, _ in kernel.flags] == ["not-data"]
    assert "as a value" in kernel.flags[0][1] and "Claimed" in kernel.flags[0][1]


def test_a_class_registered_in_the_agents_container_table_is_still_a_handle(kernel_with):
    """With the student's class added to the agent's old table of containers (as `list`), is its object a handle
    whose length cannot be read?"""
    kernel = kernel_with(LYING_SEQUENCE)
    table = agent.__dict__.setdefault("CONTAINERS", {})
    table[kernel.namespace["Claimed"]] = "list"
    try:
        got = kernel.get("answer")()
    finally:
        table.pop(kernel.namespace["Claimed"])
    assert not isinstance(got, list)
    with pytest.raises(SandboxAbort):
        len(got)


def test_an_object_the_agent_reports_as_a_function_or_a_list_is_still_a_handle(kernel_with, monkeypatch):
    """When the agent's reference function is wrapped to describe a lying object as a function, a list, a module
    or an ndarray with every capability, does the grader ignore all of it?"""
    kernel = kernel_with(LYING_SEQUENCE)
    real_ref = agent._ref

    def lying_ref(obj):
        info = real_ref(obj)
        if type(obj).__name__ == "Claimed":
            info.update(k="function", c="list", caps=["__len__", "__iter__", "__eq__"], t="ndarray", m="numpy")
        return info
    monkeypatch.setattr(agent, "_ref", lying_ref)
    got = kernel.get("answer")()
    assert isinstance(got, Handle) and not isinstance(got, (list, np.ndarray))
    for use in (len, list, lambda v: v == 0):
        with pytest.raises(SandboxAbort):
            use(got)


def test_data_crosses_as_data_and_is_checked_as_such(kernel_with):
    """Do numbers, arrays, tuples and dicts the student's code returns arrive as the grader's own objects?"""
    kernel = kernel_with("def answer(x):\n    return (x * 2, np.arange(3.0) * x, {'a': [x]})")
    got = kernel.get("answer")(1.5)
    assert type(got) is tuple and got[0] == 3.0 and type(got[1]) is np.ndarray and got[2] == {"a": [1.5]}
    assert np.allclose(got[1], [0, 1.5, 3.0]) and not kernel.flags


def test_lists_and_dicts_of_an_object_are_data_and_changes_reach_the_kernel(kernel_with):
    """Is an attribute that is a dict (or list) of the student's object data in the grader, and does a change the
    test makes to it (weights[name] = ..., append) reach the kernel's object?"""
    kernel = kernel_with("""
class Model:
    def __init__(self):
        self.weights = {"W1": np.zeros(2)}
        self.layers = [1, 2]
    def total(self):
        return float(self.weights["W1"].sum()) + sum(self.layers)
model = Model()
""")
    model = kernel.get("model")
    weights = model.weights
    assert isinstance(weights, LiveDict) and set(weights) == {"W1"} and len(weights) == 1
    weights["W1"] = np.ones(2)
    layers = model.layers
    assert isinstance(layers, LiveList) and list(layers) == [1, 2]
    layers.append(10)
    assert model.total() == 2.0 + 13
    assert not kernel.flags


def test_a_handle_carries_the_kernels_type_name_only_as_a_name(kernel_with):
    """May a test read type(obj).__name__ of a kernel object (a layer's class) without the object being trusted?"""
    kernel = kernel_with("class Hidden:\n    W = 1.0\nlayer = Hidden()\n")
    layer = kernel.get("layer")
    assert type(layer).__name__ == "Hidden" and layer.W == 1.0
    with pytest.raises(SandboxAbort):
        float(layer)


def test_numpy_reading_a_handles_attributes_is_a_value_use(kernel_with):
    """Does np.round on a kernel object whose own round() answers fail, instead of using the kernel's answer?"""
    kernel = kernel_with("class Liar:\n    def round(self, *a, **k):\n        return 1.23\nanswer = Liar()\n")
    with pytest.raises(SandboxAbort):
        np.round(kernel.get("answer"), 3)
    assert kernel.flags and kernel.flags[0][0] == "not-data"


# ---------------------------------------------------------------------------------------------------- kernel replies
# A kernel may send anything: its agent is the student's. Here a fake kernel answers the grader's requests with
# generated replies, and the grader evaluates a small test cell against it.

EXPECTED = (3.0, -1.0)
TEST = """
_got = answer(1.0, 2.0)
assert len(_got) == 2, "answer must return two values"
for _v, _e in zip(_got, (3.0, -1.0)):
    assert np.size(_v) == 1, "one number each"
    assert np.allclose(_v, _e), "a wrong value"
"""
DEADLINE, GRACE = 3.0, 1.0


def _f8(value: float) -> dict:
    return {"$n": "<f8", "b64": base64.b64encode(np.float64(value).tobytes()).decode()}


HONEST = [{"$t": [3.0, -1.0]}, {"$l": [3, -1]}, {"$t": [_f8(3.0), _f8(-1.0)]},
          {"$a": "<f8", "shape": [2], "b64": base64.b64encode(np.array(EXPECTED).tobytes()).decode()}]
LIES = ["float", "ndarray", "list", "tuple", "function", "object", "module", "dict"]
reference = st.fixed_dictionaries(
    {"$r": st.integers(-3, 10**12)},
    optional={"k": st.sampled_from(["object", "function", "class", "module", "list", 7]),
              "c": st.sampled_from(["list", "dict", "tuple", None]), "t": st.sampled_from(LIES),
              "m": st.sampled_from(["numpy", "builtins", "__main__"]), "n": st.sampled_from(["numpy", "math", "os"]),
              "caps": st.lists(st.sampled_from(["__len__", "__iter__", "__eq__", "__array__", "__float__"])),
              "own": st.lists(st.sampled_from(["__eq__", "__round__"]))})
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=8), st.sampled_from([{"$f": t} for t in ("nan", "inf", "-inf", "1e999", 3)]),
                    st.builds(_f8, st.floats(allow_nan=True)), reference)
arrays = st.fixed_dictionaries({"$a": st.sampled_from(["<f8", "|O", "<i8", "V8", "<f8" * 9]),
                                "shape": st.lists(st.integers(-1, 4), max_size=3),
                                "b64": st.sampled_from(["", "AAAAAAAACEA=", "!!", "AAAAAAAACEAAAAAAAADwvw=="])})


def _containers(children):
    return st.one_of(st.builds(lambda t, v: {t: v}, st.sampled_from(["$l", "$t", "$s", "$fs", "$zz"]),
                               st.lists(children, max_size=4)),
                     st.builds(lambda p: {"$d": p}, st.lists(st.tuples(scalars, children).map(list), max_size=3)),
                     st.builds(lambda r, v: {"$live": [r, v]}, reference, children),
                     st.lists(children, max_size=3))


values = st.recursive(st.one_of(scalars, arrays), _containers, max_leaves=12)


def _deep(depth: int) -> dict:
    value = {"$l": [3.0, -1.0]}
    for _ in range(depth):
        value = {"$l": [value]}
    return value


answers = st.one_of(values, st.sampled_from(HONEST), st.builds(_deep, st.integers(1, 400)),
                    st.sampled_from([{"$l": [0.0] * 300_000}, {"$l": [{"$l": []}] * 60_000},
                                     {"$s": [k * ((1 << 61) - 1) for k in range(5_000)]}]))
# how the reply to the call is framed: a message with extra fields, or raw bytes that are not a valid message
replies = st.one_of(
    st.fixed_dictionaries({"ok": answers}, optional={
        "rng": st.sampled_from([None, 5, {"$l": []}]), "mut": st.dictionaries(st.sampled_from(["a0", "k"]), values),
        "err": st.one_of(st.text(max_size=5), st.fixed_dictionaries(
            {"type": st.sampled_from(["AssertionError", "ProtocolError", "SystemExit", "Evil", 3])},
            optional={"builtin": st.booleans(), "msg": st.text(max_size=10), "tb": st.text(max_size=10)})),
        "stop": st.booleans(), "id": st.sampled_from([None, -1, 10**9, "1"])}),
    st.sampled_from([b"not json", b'{"id": 2, "ok": NaN}', b'{"id": 2, "ok": {"$l": [Infinity, -Infinity]}}',
                     b"[" * 100_000, b'{"id": 2, "ok": ' + b"[" * 5000 + b"]" * 5000 + b"}", b"\xff\xfe"]),
    st.sampled_from(["huge-length", "close", "silence"]))


def _fake_kernel(sock, reply) -> None:
    """Say hello, name `answer` honestly, then answer every later request with `reply`."""
    try:
        codec.send_frame(sock, {"hello": 1, "rng": codec.encode(np.random.get_state())})
        while True:
            request, _ = codec.recv_frame(sock, max_bytes=64 << 20)
            if request.get("op") == "end":
                codec.send_frame(sock, {"id": request.get("id"), "ok": None, "bye": 1})
                return
            if request.get("op") == "names":
                codec.send_frame(sock, {"id": request["id"], "ok": {"$d": [["answer", {"$r": 1, "k": "function"}]]}})
            elif reply == "close":
                return
            elif reply == "silence":
                time.sleep(DEADLINE + GRACE + 1)
                return
            elif reply == "huge-length":
                sock.sendall(codec.FRAME_HEADER.pack(1 << 50))
            elif isinstance(reply, bytes):
                sock.sendall(codec.FRAME_HEADER.pack(len(reply)) + reply)
            else:
                message = {"id": request["id"], **reply}
                body = json.dumps(message).encode()
                sock.sendall(codec.FRAME_HEADER.pack(len(body)) + body)
    except (OSError, ConnectionError, codec.ProtocolError, ValueError):
        return
    finally:
        sock.close()


def _honest(reply) -> bool:
    """Is `reply` an answer (no error) that decodes, by the codec alone, to the two expected numbers?"""
    if not isinstance(reply, dict) or "err" in reply:
        return False
    try:
        value = codec.decode(reply["ok"])
    except codec.ProtocolError:
        return False
    numbers = (int, float, np.floating, np.integer)
    if type(value) is np.ndarray:
        value = list(value)
    return type(value) in (list, tuple) and len(value) == 2 and all(isinstance(v, numbers) for v in value) and \
        np.allclose(np.asarray(value, dtype=float), EXPECTED)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reply=replies)
def test_no_kernel_reply_crashes_the_grader_or_earns_a_point_it_is_not_owed(reply):
    """Whatever the kernel answers (malformed frames, lying kinds and types, huge, deep or nested data, NaN and
    inf), does the grader's test cell end within its bounds with a verdict, passing only for honest data?"""
    grader, kernel = socket.socketpair()
    thread = threading.Thread(target=_fake_kernel, args=(kernel, reply), daemon=True)
    thread.start()
    flags = []
    remote = Remote(grader, deadline=time.monotonic() + DEADLINE, max_bytes=64 << 20,
                    local_modules=frozenset({"numpy", "math"}), on_timeout=lambda: None,
                    flag=lambda code, message: flags.append(code))
    start = time.monotonic()
    try:
        outcome = run_test_cell(source=TEST, grade_id="test_answer", remote=remote, pinned={"np": "numpy"},
                                max_output=1 << 16, begin_timeout=DEADLINE, grace=GRACE)
    finally:
        grader.close()
        thread.join(DEADLINE + GRACE + 2)
    assert time.monotonic() - start < DEADLINE + GRACE + 2
    assert all(o["output_type"] in ("stream", "error") for o in outcome.outputs)
    if not outcome.failed:
        assert _honest(reply), f"passed on {str(reply)[:300]}"
    if reply in [{"ok": h} for h in HONEST]:  # the bare honest answers do pass: the test can fail
        assert not outcome.failed, outcome.outputs


# ------------------------------------------------------------------------------------------------ repeat_calls

NOISY = """
noise_rng = np.random.default_rng(7)
def step(x, hp):
    return x - hp['alpha'] * noise_rng.normal(), float(np.random.normal())
def push(acc):
    acc.append(len(acc))
    return len(acc)
calls = [0]
def fails_third():
    calls[0] += 1
    if calls[0] == 3:
        raise ValueError("the third call fails")
    return calls[0]
"""


def test_repeat_calls_answers_what_n_calls_answer_in_one_request(kernel_with):
    """Are n calls of a kernel function made in one request, with the results, the kernel's generator and the
    global numpy RNG exactly as n calls one by one leave them?"""
    kernel = kernel_with(NOISY)
    step = kernel.get("step")
    np.random.seed(11)
    before = kernel.remote.requests
    batched = repeat_calls(step, 500, 1.0, {"alpha": 0.5})
    assert kernel.remote.requests == before + 1
    after_batch = np.random.get_state()[1].copy()
    kernel.namespace["noise_rng"] = np.random.default_rng(7)
    np.random.seed(11)
    one_by_one = [step(1.0, {"alpha": 0.5}) for _ in range(500)]
    assert batched == one_by_one and len(set(batched)) == 500
    assert np.array_equal(np.random.get_state()[1], after_batch)


def test_repeat_calls_hands_back_what_the_calls_changed_and_their_errors(kernel_with):
    """Does a list the kernel's function appends to come back changed, and does a call that raises raise here as
    the loop would, with no partial list?"""
    kernel = kernel_with(NOISY)
    acc = []
    assert repeat_calls(kernel.get("push"), 3, acc) == [1, 2, 3]
    assert acc == [0, 1, 2]
    with pytest.raises(ValueError, match="the third call fails"):
        repeat_calls(kernel.get("fails_third"), 5)
    assert repeat_calls(kernel.get("push"), 0, acc) == [] and acc == [0, 1, 2]


def test_repeat_calls_refuses_a_kernel_that_answers_another_number_of_results(kernel_with, monkeypatch):
    """A kernel whose agent answers fewer results than calls asked for (the student's code can change the agent):
    does the test fail, flagged as a protocol breach, instead of checking fewer samples?"""
    kernel = kernel_with(NOISY)
    original = agent._op_call
    monkeypatch.setattr(agent, "_op_call", lambda req: (original(req)[0][:10], {"mut": {}}))
    with pytest.raises(SandboxAbort, match="did not answer the 500 results"):
        repeat_calls(kernel.get("step"), 500, 1.0, {"alpha": 0.5})
    assert [code for code, _ in kernel.flags] == ["protocol"]


def test_repeat_calls_of_a_grader_function_runs_here_and_a_bad_count_is_an_error():
    """Is the grader's own function called here n times, and is a count that is not an int >= 0 refused?"""
    seen = []
    assert repeat_calls(lambda v: seen.append(v) or len(seen), 3, "x") == [1, 2, 3] and seen == ["x"] * 3
    for bad in (-1, 2.0, "3", True):
        with pytest.raises(TypeError, match="number of calls"):
            repeat_calls(len, bad, "x")


def test_the_test_code_gets_the_graders_repeat_calls_whatever_the_kernel_binds_to_it(kernel_with):
    """A notebook that rebinds repeat_calls to answer perfect samples: does the test cell still get the grader's,
    so the student's function is what is called?"""
    kernel = kernel_with(NOISY + "def repeat_calls(fn, n, *a, **k):\n    return [(0.0, 0.0)] * n\n")
    kernel.remote.end(setnames={})
    kernel.thread.join(5)
    kernel.thread = threading.Thread(target=agent.serve, daemon=True)
    kernel.thread.start()
    remote = Remote(kernel.grader, deadline=time.monotonic() + 20, max_bytes=64 << 20,
                    local_modules=frozenset({"numpy"}), on_timeout=lambda: None, flag=lambda code, message: None)
    kernel.remote = remote
    source = ("_s = np.array(repeat_calls(step, 200, 1.0, {'alpha': 1.0}))\n"
              "assert _s[:, 0].std() > 0.5, 'the noise must vary'\n")
    outcome = run_test_cell(source=source, grade_id="test_step", remote=remote, max_output=1 << 16, begin_timeout=5,
                            pinned={"np": "numpy", "repeat_calls": "autograder.sandbox.remote:repeat_calls"})
    assert not outcome.failed, outcome.outputs
    assert outcome.requests <= 3


@pytest.mark.parametrize("times", [-1, 1.5, agent.MAX_TIMES + 1])
def test_the_agent_refuses_a_number_of_calls_it_cannot_make(kernel_with, times):
    """Does the kernel's agent refuse a count of calls that is negative, not an int or over its bound?"""
    kernel = kernel_with(NOISY)
    with pytest.raises(SandboxAbort, match="refused a request: bad number of calls"):
        kernel.remote.request("call", {"obj": kernel.get("push"), "args": ([],), "kwargs": {}}, times=times)
