"""Does the grader decide what a kernel value is from the bytes alone, whatever the kernel's agent says about it?

The agent (autograder.sandbox.agent) runs here in a thread over a socket pair, as it runs in the student's kernel;
its tables and functions are changed the way a student can change them in the kernel.
"""
import socket
import threading
import time

import numpy as np
import pytest

from autograder.sandbox import agent
from autograder.sandbox.remote import Handle, LiveDict, LiveList, Remote, SandboxAbort


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
