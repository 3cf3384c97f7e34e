"""Can a hostile submission raise its own grade, or reach anything outside its notebook? (the grading sandbox)

Each case is a submission of toy_chain_backprop (20 points: test_forward_pass 6, test_backward_pass 8,
test_parameter_derivatives 6) built from the release and the solution, with one attack; its honest part (what
its answers earn without the attack) is known. The cases are graded in two batches, at the same time, each
with honest students, in temporary course folders (never the course's own gradebook.db):

- "nbgrader": by the real `nbgrader autograde`, with the course's nbgrader_config.py (the attacks in code);
- "pipeline": by `python -m autograder release/collect/grade` (the attacks on the notebook file itself, which
  the collect and repair steps see first, and a few code attacks to show the pipeline is sandboxed too).

For every case: the scores are exactly its honest part, and a flag names the attempt (in the autograded
notebook's metadata, or collect's rejection). For the batch: the honest students get full marks, the gradebook
is intact, nobody's files changed, no output holds the course's secrets.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.mutation import inject, load_mutations, solution_answers
from conftest import ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "toy_chain_backprop"
TESTS = ("test_forward_pass", "test_backward_pass", "test_parameter_derivatives")
FULL = {"test_forward_pass": 6.0, "test_backward_pass": 8.0, "test_parameter_derivatives": 6.0}
CANARY = "canary-8f3d2a61-do-not-leak"
HONEST = {"nbgrader": ("aa0001", "aa0002"), "pipeline": ("aa0003", "aa0004")}
# Small limits so the slow cases are quick; the course's own values are in nbgrader_config.py.
TEST_CONFIG = """
c.Execute.timeout = 10
c.SandboxedExecute.agent_timeout = 10
c.SandboxedExecute.notebook_timeout = 150
c.SandboxedExecute.memory_limit = 2 << 30
c.SandboxedExecute.process_limit = 64
c.SandboxedExecute.output_limit = 1 << 20
c.GradeSubmissions.workers = 1
c.SandboxedExecute.isolation = "%s"
""" % os.environ.get("SANDBOX_TEST_ISOLATION", "auto")  # "plain": to see what the fallback leaves open

SOURCE = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
SOLUTION = solution_answers(SOURCE)
MUTANTS = {m.name: m.cells for m in load_mutations(ROOT, ASSIGNMENT)[0]}
SIGNATURES = {gid: SOLUTION[gid].splitlines()[0] for gid in SOLUTION}


def _visible_answers() -> dict:
    """The exact answers for the notebook's own values (the self-checks'), from the solution."""
    ns = {}
    for cell in SOURCE.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id") in ("imports", "fn_and_loss",
                                                                                              "values"):
            exec(cell.source.replace("print(", "(lambda *a: None)("), ns)
    for source in SOLUTION.values():
        exec(source, ns)
    x, y, o1, o2, o3 = (ns[k] for k in ("x", "y", "omega1", "omega2", "omega3"))
    forward = ns["forward_pass"](*(ns[k] for k in "x y beta0 beta1 beta2 beta3 omega0 omega1 omega2 omega3".split()))
    f0, h1, f1, h2, f2, h3, f3, _ = forward
    backward = ns["backward_pass"](y, f0, h1, f1, h2, f2, h3, f3, o1, o2, o3)
    params = ns["parameter_derivatives"](x, h1, h2, h3, backward[6], backward[4], backward[2], backward[0])
    return {"forward_pass": tuple(map(float, forward)), "backward_pass": tuple(map(float, backward)),
            "parameter_derivatives": {k: float(v) for k, v in params.items()}}


VISIBLE = _visible_answers()
# Hard-coded answers: exactly right for the notebook's own values (the visible asserts and every later cell
# pass), wrong for the hidden tests' values. Under plain nbgrader a patch of the hidden tests' check earns them.
HARD_FORWARD, HARD_BACKWARD, HARD_PARAMS = (f"{SIGNATURES[gid]}\n    return {VISIBLE[gid]!r}" for gid in
                                            ("forward_pass", "backward_pass", "parameter_derivatives"))
BLANK = {gid: f"{SIGNATURES[gid]}\n    raise NotImplementedError()" for gid in SOLUTION}   # as released
WRONG_FORWARD = MUTANTS["forward_sin_for_cos"]["forward_pass"]     # wrong everywhere
WRONG_BACKWARD = MUTANTS["backward_sign_error"]["backward_pass"]
WRONG_PARAMS = MUTANTS["params_missing_h_factor"]["parameter_derivatives"]


VISIBLE_CALL = {"forward_pass": "x == 2.3", "backward_pass": "y == 2.0", "parameter_derivatives": "x == 2.3"}


def only_hidden(grade_id: str, attack: str, setup: str = "") -> dict:
    """An answer that is right for the notebook's own values (the provided cells and visible asserts pass) and,
    for the hidden tests' inputs, returns `attack` (an expression): the attack then reaches the grader."""
    signature = SIGNATURES[grade_id]
    name, params = signature[len("def "):].split("(", 1)
    args = params.rsplit(")", 1)[0]
    honest_one = SOLUTION[grade_id].replace(f"def {name}(", f"def _honest_{name}(", 1)
    return {grade_id: f"{setup}\n\n{honest_one}\n\n{signature}\n    if {VISIBLE_CALL[grade_id]}:\n"
                      f"        return _honest_{name}({args})\n    return {attack}\n"}


def honest(forward=6.0, backward=8.0, params=6.0) -> dict:
    return {"test_forward_pass": forward, "test_backward_pass": backward, "test_parameter_derivatives": params}


def code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


@dataclass(frozen=True)
class Case:
    """A hostile submission: answer cells over the solution, an optional edit of its JSON, what it may earn."""
    name: str
    student: str
    cells: dict
    honest: dict
    flags: tuple                      # at least one of these flag codes must be raised
    batch: str = "nbgrader"
    edit: str = ""                    # name of a function below that edits the notebook's JSON (dict)
    raw: str = ""                     # "invalid" (not JSON), "huge" (a 200 MB notebook) or "bom" (a UTF-8 BOM first)
    exact: bool = True                # False: each test may score less than its honest part (not more)
    folder: str = ""                  # name of a function below that changes the submission folder once in place


def cases() -> list[Case]:
    c = []
    add = lambda name, *args, **kw: c.append(Case(name, f"ab{len(c) + 1:04d}", *args, **kw))  # noqa: E731

    def both(name, *args, **kw):  # the same attack through `nbgrader autograde` and through the pipeline
        add(name, *args, **kw, batch="nbgrader")
        add(f"pipeline_{name}", *args, **kw, batch="pipeline")
    # --- numpy patched: the attack makes wrong answers pass under plain nbgrader
    add("patch_np_allclose", {"forward_pass": HARD_FORWARD + "\n\nnp.allclose = lambda *a, **k: True"},
        honest(forward=0), ("patch-numpy",))
    add("patch_np_isclose", {"backward_pass": HARD_BACKWARD + "\n\nnp.isclose = lambda *a, **k: True"},
        honest(backward=0), ("patch-numpy",))
    add("patch_np_round", {"forward_pass": HARD_FORWARD + "\n\n" + code("""
        class _Anything(float):
            def __eq__(self, other):
                return True
            __hash__ = float.__hash__
        np.round = np.around = lambda *a, **k: _Anything(0)
        np.allclose = lambda *a, **k: True
        """)}, honest(forward=0), ("patch-numpy",))
    add("patch_np_testing", {"parameter_derivatives": HARD_PARAMS + "\n\n" + code("""
        import numpy.testing
        for _name in dir(np.testing):
            if _name.startswith("assert"):
                setattr(np.testing, _name, lambda *a, **k: None)
        np.isclose = lambda *a, **k: True
        """)}, honest(params=0), ("patch-numpy",))
    add("patch_np_array_equal", {"forward_pass": HARD_FORWARD + "\n\n" + code("""
        np.array_equal = lambda *a, **k: True
        np.allclose = np.array_equal
        """)}, honest(forward=0), ("patch-numpy",))
    # --- builtins patched
    add("patch_builtins_round_abs_zip", {"forward_pass": HARD_FORWARD + "\n\n" + code("""
        import builtins
        builtins.round = lambda *a: 0
        builtins.abs = lambda x: 0
        builtins.zip = lambda *a: iter(())
        """)}, honest(forward=0), ("builtins",), exact=False)  # its broken zip also breaks its own kernel's calls
    add("patch_builtins_isinstance_print", {"backward_pass": HARD_BACKWARD + "\n\n" + code("""
        import builtins
        builtins.isinstance = lambda *a: True
        builtins.print = lambda *a, **k: None
        zip = lambda *a: iter(())
        """)}, honest(backward=0), ("builtins", "shadow-builtin"), exact=False)
    add("patch_assertion_error", {"parameter_derivatives": HARD_PARAMS + "\n\n" + code("""
        import builtins
        builtins.AssertionError = type("AssertionError", (Warning,), {})
        get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)
        """)}, honest(params=0), ("builtins", "patch-traceback"))
    add("patch_traceback_display", {"forward_pass": HARD_FORWARD + "\n\n" + code("""
        import sys
        _shell = get_ipython()
        _shell.showtraceback = lambda *a, **k: None
        _shell._showtraceback = lambda *a, **k: None
        sys.excepthook = lambda *a: None
        """)}, honest(forward=0), ("patch-traceback",))
    # --- the kernel stopped or killed, before or during a test
    add("sys_exit_in_test", {"backward_pass": SOLUTION["backward_pass"].replace(
        "    dldf3 = 2 * (f3 - y)", "    import sys\n    if y != 2.0:\n        sys.exit(0)\n    dldf3 = 2 * (f3 - y)")},
        honest(backward=0), ("exit",))
    add("os_exit_in_test", {"backward_pass": SOLUTION["backward_pass"].replace(
        "    dldf3 = 2 * (f3 - y)", "    import os\n    if y != 2.0:\n        os._exit(0)\n    dldf3 = 2 * (f3 - y)")},
        honest(backward=0, params=0), ("exit", "kernel-died"))
    add("kill_kernel_mid_test", {"parameter_derivatives": SOLUTION["parameter_derivatives"].replace(
        "    grads = {", "    import os, signal\n    if x != 2.3:\n        os.kill(os.getpid(), signal.SIGKILL)\n"
                        "    grads = {")}, honest(params=0), ("exit", "kernel-died"))
    # --- the course folder: read, print, write
    add("read_source_and_gradebook", {"forward_pass": SOLUTION["forward_pass"] + "\n\n" + code("""
        import glob, os
        for _path in ["../../../source/toy_chain_backprop/toy_chain_backprop.ipynb", "{course}/gradebook.db",
                      "{course}/source/toy_chain_backprop/toy_chain_backprop.ipynb", "{course}/secret.txt",
                      "/proc/1/root{course}/gradebook.db"]:
            try:
                print(open(_path, errors="replace").read()[:200000])
            except Exception as exc:
                print("no", _path, type(exc).__name__)
        print([glob.glob(f"{_top}/*/gradebook.db") for _top in ("/tmp", "/work", "/root", "/home")], os.listdir(".."))
        """)}, honest(), ("read-course",))
    add("write_gradebook_and_other_student", {"backward_pass": SOLUTION["backward_pass"] + "\n\n" + code("""
        for _path in ["{course}/gradebook.db", "{course}/submitted/aa0001/toy_chain_backprop/toy_chain_backprop.ipynb",
                      "../../aa0001/toy_chain_backprop/toy_chain_backprop.ipynb", "{course}/owned.txt",
                      "/proc/1/root{course}/owned.txt"]:
            try:
                with open(_path, "w") as _f:
                    _f.write("owned")
                print("wrote", _path)
            except Exception as exc:
                print("no", _path, type(exc).__name__)
        """)}, honest(), ("read-course", "write-files"))
    # --- resources
    add("infinite_loop_in_test", {"forward_pass": SOLUTION["forward_pass"].replace(
        "    f0 = beta0 + omega0 * x", "    while x != 2.3:\n        pass\n    f0 = beta0 + omega0 * x")},
        honest(forward=0), ("timeout",))
    add("infinite_loop_ignoring_interrupt", {"backward_pass": SOLUTION["backward_pass"].replace(
        "    dldf3 = 2 * (f3 - y)", code("""
            import time
            while y != 2.0:
                try:
                    time.sleep(0.05)
                except BaseException:
                    pass
        """).replace("\n", "\n    ").join(["    ", "\n    dldf3 = 2 * (f3 - y)"]))},
        honest(backward=0, params=0), ("timeout", "kernel-stuck"))
    add("memory_bomb", {"forward_pass": SOLUTION["forward_pass"] + "\n\n" + code("""
        try:
            _hog = [np.ones(10**8) for _ in range(100)]
        except MemoryError:
            print("refused")
        _hog = [np.ones(10**8) for _ in range(100)]
        """), "parameter_derivatives": SOLUTION["parameter_derivatives"].replace(
        "    grads = {", "    if x != 2.3:\n        _hog = [np.ones(10**8) for _ in range(100)]\n    grads = {")},
        honest(params=0), ("memory-limit",), batch="pipeline")
    add("fork_bomb", {"backward_pass": SOLUTION["backward_pass"] + "\n\n" + code("""
        import os, time
        _forked = 0
        while True:
            try:
                _pid = os.fork()
            except OSError as exc:
                print("fork refused after", _forked, exc)
                break
            if _pid == 0:
                while True:
                    try:
                        os.fork()
                    except OSError:
                        time.sleep(20)
                        os._exit(0)
            _forked += 1
        """)}, honest(), ("processes", "process-limit"), batch="pipeline")
    # 30 MB at once: what the kernel sends in one flush may be over the grader's message bound (16 MiB), which
    # drops it with its connection, and what the cell prints after it (a limit in docs/SECURITY.md)
    add("output_flood", {"forward_pass": SOLUTION["forward_pass"] + "\n\n" + code("""
        for _ in range(300):
            print("x" * 100000)
        """)}, honest(), ("output-truncated",), exact=False)
    add("output_flood_in_test", {"backward_pass": SOLUTION["backward_pass"].replace(
        "    dldf3 = 2 * (f3 - y)", "    print('y' * 3000000)\n    dldf3 = 2 * (f3 - y)")},
        honest(), ("output-truncated",))
    add("network", {"parameter_derivatives": SOLUTION["parameter_derivatives"] + "\n\n" + code("""
        import socket, urllib.request
        for _try in (lambda: urllib.request.urlopen("http://example.com", timeout=3),
                     lambda: socket.create_connection(("1.1.1.1", 53), timeout=3)):
            try:
                _try()
                print("network reached")
            except OSError as exc:
                print("no network:", exc)
        """)}, honest(), ("network",), batch="pipeline")
    add("detect_nbgrader_execution", {"forward_pass": SOLUTION["forward_pass"] + "\n\n" + code("""
        import os
        if os.environ.get("NBGRADER_EXECUTION"):
        """) + "\n" + textwrap.indent(HARD_FORWARD, "    ")}, honest(forward=0), ("detect-grader",))
    # --- the values and the channel
    add("lying_objects", {"forward_pass": code("""
        class _Liar(float):
            def __eq__(self, other):
                return True
            __hash__ = float.__hash__
            def round(self, *a, **k):
                return self
            __round__ = round
            def __le__(self, other):
                return True

        def forward_pass(x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
            return tuple(_Liar(v) for v in VISIBLE)
        """).replace("VISIBLE", repr(VISIBLE["forward_pass"]))}, honest(forward=0), ("not-data",), batch="pipeline")
    add("rebind_np", {"forward_pass": HARD_FORWARD + "\n\n" + code("""
        import numpy
        class _FakeNumpy:
            def __getattr__(self, name):
                return getattr(numpy, name)
            allclose = isclose = staticmethod(lambda *a, **k: True)
        np = _FakeNumpy()
        """)}, honest(forward=0), ("patch-numpy",), batch="pipeline")
    add("obfuscated_patch", {"backward_pass": HARD_BACKWARD + "\n\n" + code("""
        _m = __import__("num" + "py")
        setattr(_m, "is" + "close", lambda *a, **k: True)
        """)}, honest(backward=0), ("patched-at-runtime",), batch="pipeline")
    add("frame_inspection", {"backward_pass": code("""
        import inspect as _inspect

        def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
            _graded = any("agent" in f.filename or "test" in f.filename for f in _inspect.stack())
            return VISIBLE  # whatever it found out, it can only answer with what it knows
        """).replace("VISIBLE", repr(VISIBLE["backward_pass"]))}, honest(backward=0), ("introspection",), batch="pipeline")
    add("hijack_agent", {"parameter_derivatives": SOLUTION["parameter_derivatives"] + "\n\n" + code("""
        import sys
        for _name, _module in list(sys.modules.items()):
            if "agent" in _name and hasattr(_module, "serve"):
                _module.serve = lambda: None
        """)}, honest(params=0), ("agent", "introspection"))
    # --- the notebook file (the pipeline's collect and repair steps see these first)
    add("edit_test_source", {"forward_pass": HARD_FORWARD}, honest(forward=0), ("edited-test",),
        batch="pipeline", edit="edit_test_source")
    add("edit_points", {}, honest(), ("edited-points", "edited-metadata"), batch="pipeline", edit="edit_points")
    add("edit_grade_id", {"forward_pass": HARD_FORWARD}, honest(forward=0), ("deleted-test", "edited-metadata"),
        batch="pipeline", edit="edit_grade_id")
    add("change_cell_type", {"parameter_derivatives": WRONG_PARAMS}, honest(params=0),
        ("changed-cell-type", "deleted-test"), batch="pipeline", edit="change_cell_type")
    add("duplicate_grade_ids", {"forward_pass": HARD_FORWARD}, honest(forward=0), ("duplicate-grade-id",),
        batch="pipeline", edit="duplicate_grade_ids")
    add("prefilled_outputs", {"forward_pass": WRONG_FORWARD, "backward_pass": WRONG_BACKWARD,
                              "parameter_derivatives": WRONG_PARAMS}, honest(0, 0, 0), ("prefilled-output",),
        batch="pipeline", edit="prefilled_outputs")
    add("delete_test_cell", {"backward_pass": HARD_BACKWARD}, honest(backward=0), ("deleted-test",),
        batch="pipeline", edit="delete_test_cell")
    add("colab_damage", {}, honest(), ("deleted-test",), batch="pipeline", edit="colab_damage")
    add("huge_notebook_200mb", {}, honest(), ("oversized-notebook", "rejected"), batch="pipeline", raw="huge",
        exact=False)
    add("invalid_json", {}, honest(0, 0, 0), ("rejected",), batch="pipeline", raw="invalid")
    add("pipeline_patch_np_allclose", {"forward_pass": HARD_FORWARD + "\n\nnp.allclose = lambda *a, **k: True"},
        honest(forward=0), ("patch-numpy",), batch="pipeline")
    add("pipeline_read_gradebook", {"backward_pass": SOLUTION["backward_pass"] + "\n\n" + code("""
        for _path in ["{course}/gradebook.db", "{course}/secret.txt", "../../../gradebook.db"]:
            try:
                print(open(_path, errors="replace").read()[:200000])
            except Exception as exc:
                print("no", _path, type(exc).__name__)
        """)}, honest(), ("read-course",), batch="pipeline")
    # --- only the grader decides a grade: what the kernel emits during a test is never graded
    both("result_from_post_run_hook", {"forward_pass": BLANK["forward_pass"] + "\n\n" + code("""
        _shell = get_ipython()
        _shell.events.register("pre_run_cell", lambda *a: _shell.displayhook("full marks"))
        _shell.events.register("post_run_cell", lambda *a: _shell.displayhook(1.0))
        """)}, honest(forward=0), ("kernel-result-in-test", "patch-traceback"))
    both("result_from_wrapped_agent", {"backward_pass": BLANK["backward_pass"] + "\n\n" + code("""
        import sys
        _agent = sys.modules.get("_auto" + "grader_agent")
        if _agent is not None:
            _serve = _agent.serve
            def _serving():
                get_ipython().displayhook("all tests passed")
                return _serve()
            _agent.serve = _serving
        """)}, honest(backward=0), ("kernel-result-in-test", "introspection"))
    # --- the grader's memory and time: answers too big, or crafted to collide in hash
    both("huge_json_answer", only_hidden("forward_pass", "[0] * 3_000_000"), honest(forward=0), ("protocol",))
    both("huge_array_answer", only_hidden("backward_pass", "tuple(np.full(10_000_000, 1.0) for _ in range(7))"),
         honest(backward=0), ("protocol",))
    # a kernel need not build what it sends: its own encoder can write any frame (here, keys sharing one hash)
    crafted = code("""
        import sys
        _codec = sys.modules["_autograder_codec"]
        _plain_encode = _codec.encode
        class _Crafted:
            pass
        def _encode(value, **kw):
            if isinstance(value, _Crafted):
                return CRAFTED
            return _plain_encode(value, **kw)
        _codec.encode = _encode
        """)
    both("hash_collision_set", only_hidden("forward_pass", "_Crafted()", crafted.replace(
        "CRAFTED", '{"$s": [k * ((1 << 61) - 1) for k in range(200_000)]}')), honest(forward=0), ("protocol",))
    both("hash_collision_dict", only_hidden("parameter_derivatives", "_Crafted()", crafted.replace(
        "CRAFTED", '{"$d": [[{"$t": [k * ((1 << 61) - 1), 0]}, 0.0] for k in range(40_000)]}')), honest(params=0),
        ("protocol",))
    # --- values that lie about what they are, and empty ones
    both("lying_ndarray", only_hidden("forward_pass", "ndarray()", code("""
        class ndarray:
            __module__ = "numpy"
            shape = (8,)
            def __len__(self):
                return 8
            def __iter__(self):
                return iter([0.0] * 8)
            def __getitem__(self, key):
                return 0.0
            def __eq__(self, other):
                return True
            def __array__(self, *a, **k):
                return np.zeros(8)
        """)), honest(forward=0), ("not-data",))
    both("lying_float_and_len", only_hidden("backward_pass", "_Seq(float(0.5) for _ in range(7))", code("""
        class float:
            __module__ = "builtins"
            def __init__(self, v):
                self.v = v
            def __float__(self):
                return self.v
            def __sub__(self, other):
                return 0.0
            __rsub__ = __sub__
            def __abs__(self):
                return 0.0
            def __lt__(self, other):
                return True
            __le__ = __lt__

        class _Seq(tuple):
            def __len__(self):
                return 7
        """)), honest(backward=0), ("not-data",))
    # the kernel's agent is the student's: its tables and functions may be changed, so nothing it says about a
    # value (a container kind, an object kind) may change what the grader checks
    both("container_claim", only_hidden("forward_pass", "_Claimed()", code("""
        import sys
        _agent = sys.modules["_autograder_" + "agent"]
        class _Claimed:
            def __len__(self):
                return 8
            def __iter__(self):
                return iter(())
        getattr(_agent, "CONTAINERS", {})[_Claimed] = "list"
        """)), honest(forward=0), ("not-data",))
    both("kind_claim", only_hidden("backward_pass", "_Lying()", code("""
        import sys
        _agent = sys.modules["_autograder_" + "agent"]
        class _Lying:
            def __len__(self):
                return 7
            def __iter__(self):
                return iter(())
            def __eq__(self, other):
                return True
        if hasattr(_agent, "_ref"):
            _real_ref = _agent._ref
            def _ref(obj):
                info = _real_ref(obj)
                if isinstance(obj, _Lying) and isinstance(info, dict):
                    info["k"] = "function"
                return info
            _agent._ref = _ref
        """)), honest(backward=0), ("not-data",))
    # the grading process's memory: one cell printing 400 MiB, in 1 MiB prints the kernel sends in batches (a
    # message over the grader's bound is dropped unread, the rest is cut at the output cap as it arrives;
    # benchmarks/grader_bounds.py measures the grading process's peak for this and for one 400 MiB print)
    both("output_flood_400mib", {"parameter_derivatives": SOLUTION["parameter_derivatives"] + "\n\n" + code("""
        for _ in range(400):
            print("x" * (1 << 20))
        """)}, honest(), ("output-truncated",), exact=False)
    # a student's function that prints its arguments: the hidden tests' inputs reach the TA, never the student
    both("hidden_inputs_in_feedback", {"forward_pass": SOLUTION["forward_pass"].replace(
        "    f0 = beta0 + omega0 * x", "    print(f'seen-{x!r}-{y!r}')\n    f0 = beta0 + omega0 * x")},
        honest(), ("hidden-test-output",))
    both("empty_arrays", only_hidden("forward_pass", "tuple(np.array([]) for _ in range(8))"), honest(forward=0), ())
    # --- the whole kernel tree: memory over several processes, and traces left behind
    # (each child grows until it is killed, or holds what its own address-space limit let it take; the kernel waits
    # for the first child killed, at most 8.5 s in each of two cells (the course's limit is 10 s per cell), and says
    # what it saw: the TA's flag must not depend on timing. MAP_POPULATE has the kernel fault in and charge every
    # page of a block at once, a third of the CPU of touching each page from Python: memory that a fresh virtual
    # machine has never touched is slow to fault in, the more so on a loaded one)
    both("memory_over_children", {"backward_pass": SOLUTION["backward_pass"] + "\n\n" + code("""
        import mmap, os, signal, time
        for _ in range(6):
            if os.fork() == 0:
                try:
                    _held = []
                    while True:
                        try:
                            _held.append(mmap.mmap(-1, 100 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
                                                   | mmap.MAP_POPULATE))
                        except (MemoryError, OSError):  # its own RLIMIT_AS
                            time.sleep(30)
                finally:
                    os._exit(0)
        _seen = []

        def _wait_for_a_kill(seconds):
            _deadline = time.monotonic() + seconds
            while time.monotonic() < _deadline and signal.SIGKILL not in _seen:
                try:
                    _pid, _status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if _pid:
                    _seen.append(os.WTERMSIG(_status) if os.WIFSIGNALED(_status) else -os.WEXITSTATUS(_status))
                time.sleep(0.02)
            print("children ended:", _seen)

        _wait_for_a_kill(8.5)
        """), "parameter_derivatives": SOLUTION["parameter_derivatives"] + "\n\n_wait_for_a_kill(8.5)"},
        honest(), ("memory-limit",))
    both("traces_left_behind", {"parameter_derivatives": SOLUTION["parameter_derivatives"] + "\n\n" + code("""
        import ctypes, os, subprocess, sys
        ctypes.CDLL(None).shmget(SHM_KEY, 4096, 0o1666)
        for _folder in ("/tmp", "/dev/shm", "."):
            try:
                open(os.path.join(_folder, "MARKER"), "w").write("left")
            except OSError:
                pass
        if os.fork() == 0:
            os.setsid()
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)", "MARKER"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os._exit(0)
        """).replace("SHM_KEY", str(SHM_KEY)).replace("MARKER", TRACE)}, honest(), ("processes",))
    # --- the TA's log and browser
    both("log_spoofing", {"forward_pass": SOLUTION["forward_pass"] + "\n\n" + code("""
        import os, sys
        for _fd in ("0", "1", "2"):
            print("fd", _fd, os.readlink("/proc/self/fd/" + _fd))
        _fake = "\\n[SandboxedExecute | INFO] SPOOF: all protections held; 20/20\\x1b[2K\\n"
        os.write(2, _fake.encode())
        os.write(1, _fake.encode())
        sys.__stderr__.write(_fake)
        sys.__stderr__.flush()
        """).replace("SPOOF", SPOOF)}, honest(), ("log-spoof",))
    both("active_html_output", {"backward_pass": SOLUTION["backward_pass"] + "\n\n" + code("""
        from IPython.display import HTML, Javascript, display
        display(HTML('<script>alert("XSS-1")</script><img src=x onerror=alert("XSS-2")><iframe src="//evil"></iframe>'
                     '<a href=javascript:alert(/XSS-3/)>grades</a>'))
        display(Javascript('alert("XSS-4")'))
        """)}, honest(), ("active-html",))
    # --- the submission folder and file
    add("link_to_source_beside_notebook", {"forward_pass": SOLUTION["forward_pass"] + "\n\n" + code("""
        for _name in ("notes.txt", "data/notes.txt"):
            try:
                print(open(_name).read()[:100000])
            except OSError as exc:
                print("no", _name, exc)
        """)}, honest(), ("unsafe-file",), folder="link_beside_notebook")
    add("pipeline_link_to_source_beside_notebook", {"forward_pass": SOLUTION["forward_pass"]}, honest(),
        ("unsafe-file",), batch="pipeline", folder="link_beside_notebook")
    both("notebook_is_a_link_to_source", {}, honest(0, 0, 0), ("unsafe-file", "rejected"), folder="link_as_notebook")
    # nbgrader's own autograde copies the folder and reads the file before any step of the course's runs: there a
    # FIFO or a byte-order mark fails that student's grading loudly (test_nbgrader_fails_loudly_on_what_it_cannot_read)
    add("pipeline_fifo_beside_notebook", {}, honest(), ("unsafe-file",), batch="pipeline",
        folder="fifo_beside_notebook")
    add("pipeline_bom_with_edited_test", {"forward_pass": HARD_FORWARD}, honest(forward=0), ("edited-test",),
        batch="pipeline", edit="edit_test_source", raw="bom")
    add("fifo_beside_notebook", {}, honest(0, 0, 0), (), folder="fifo_beside_notebook")
    add("bom_with_edited_test", {"forward_pass": HARD_FORWARD}, honest(0, 0, 0), (), edit="edit_test_source",
        raw="bom")
    return c


SHM_KEY = 0x5EED0013
TRACE = "trace-5c1e0a77"
SPOOF = "spoof-3b9d41c2"
CASES = cases()


# ---------------------------------------------------------------------------------------------------- JSON edits


def _test_cell(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


HISTORY_CELLS = ["history_marker = 'seen'", "print(_i == \"history_marker = 'seen'\", In[-2] == _i)\n%history -l 1"]


def reads_its_history(nb):
    """An honest notebook that reads its own earlier cells (_i, In) and IPython's history database (%history -l)."""
    at = next(i for i, c in enumerate(nb["cells"]) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
              == "handin_check")
    nb["cells"][at:at] = [{"cell_type": "code", "execution_count": None, "id": f"history-{k}", "metadata": {},
                           "outputs": [], "source": source} for k, source in enumerate(HISTORY_CELLS)]


def edit_test_source(nb):
    _test_cell(nb, "test_forward_pass")["source"] = "# the tests pass\npass\n"


def edit_points(nb):
    _test_cell(nb, "test_backward_pass")["metadata"]["nbgrader"]["points"] = 100


def edit_grade_id(nb):
    _test_cell(nb, "test_forward_pass")["metadata"]["nbgrader"]["grade_id"] = "my_own_test"
    _test_cell(nb, "my_own_test")["source"] = "pass\n"


def change_cell_type(nb):
    cell = _test_cell(nb, "test_parameter_derivatives")
    cell["cell_type"] = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


def duplicate_grade_ids(nb):
    cell = _test_cell(nb, "test_forward_pass")
    copy = json.loads(json.dumps(cell))
    copy["source"] = "pass\n"
    copy["id"] = "duplicate-of-test"
    nb["cells"].insert(nb["cells"].index(cell), copy)


def prefilled_outputs(nb):
    for grade_id in TESTS:
        cell = _test_cell(nb, grade_id)
        cell["execution_count"] = 7
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "All tests passed! Full marks.\n"}]


def delete_test_cell(nb):
    nb["cells"].remove(_test_cell(nb, "test_backward_pass"))


def colab_damage(nb):
    """What Colab and copy-paste do to an honest notebook: every cell's nbgrader metadata gone, one test deleted."""
    nb["cells"].remove(_test_cell(nb, "test_forward_pass"))
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("nbgrader", None)


# ---------------------------------------------------------------------------------------------------- folder edits


def link_beside_notebook(folder: Path, course: Path):
    (folder / "data").mkdir(exist_ok=True)
    for name in ("notes.txt", "data/notes.txt"):
        (folder / name).symlink_to(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def link_as_notebook(folder: Path, course: Path):
    notebook = folder / f"{ASSIGNMENT}.ipynb"
    notebook.unlink()
    notebook.symlink_to(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def fifo_beside_notebook(folder: Path, course: Path):
    os.mkfifo(folder / "answers.csv")


# ---------------------------------------------------------------------------------------------------- the batches


def _env() -> dict:
    return dict(os.environ, COURSE_DATA_DIR=os.environ.get("COURSE_DATA_DIR", ""),
                PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])


def _run(course: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=course, env=dict(_env(), COURSE_ROOT=str(course)), capture_output=True,
                          text=True, timeout=timeout)


def _notebook(release, case: Case, course: Path) -> bytes:
    answers = {gid: text.replace("{course}", str(course)) for gid, text in {**SOLUTION, **case.cells}.items()}
    nb = json.loads(nbformat.writes(inject(release, answers)))
    if case.edit:
        globals()[case.edit](nb)
    text = json.dumps(nb, indent=1).encode()
    if case.raw == "invalid":
        return text[: len(text) // 2]
    if case.raw == "bom":
        return b"\xef\xbb\xbf" + text
    if case.raw == "huge":
        filler = {"cell_type": "raw", "metadata": {}, "source": "0123456789abcdef" * (200 * 2**20 // 16)}
        nb["cells"].append(filler)
        return json.dumps(nb).encode()
    return text


def _course(base: Path, batch: str) -> Path:
    course = base / f"course_{batch}"
    (course / "source").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text() + TEST_CONFIG)
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    (course / "secret.txt").write_text(CANARY)
    return course


def _grade_nbgrader(base: Path) -> dict:
    course = _course(base, "nbgrader")
    nbgrader = os.path.join(os.path.dirname(sys.executable), "nbgrader")
    done = _run(course, nbgrader, "generate_assignment", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stderr
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for case in [c for c in CASES if c.batch == "nbgrader"] + \
            [Case("honest", s, {}, honest(), (), edit="reads_its_history") for s in HONEST["nbgrader"]]:
        folder = course / "submitted" / case.student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(_notebook(release, case, course))
        if case.folder:
            globals()[case.folder](folder, course)
    hashes = _hashes(course, HONEST["nbgrader"])
    done = _run(course, nbgrader, "autograde", ASSIGNMENT, "--create", "--force")
    feedback = _run(course, nbgrader, "generate_feedback", ASSIGNMENT, "--force")
    return {"course": course, "log": done.stdout + done.stderr, "hashes": hashes, "rejected": {},
            "report": feedback.stdout + feedback.stderr}


def _grade_pipeline(base: Path) -> dict:
    course = _course(base, "pipeline")
    done = _run(course, os.path.join(os.path.dirname(sys.executable), "nbgrader"), "generate_assignment", ASSIGNMENT,
                "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    downloads = base / "downloads"
    downloads.mkdir()
    for case in [c for c in CASES if c.batch == "pipeline"] + \
            [Case("honest", s, {}, honest(), (), edit="reads_its_history") for s in HONEST["pipeline"]]:
        (downloads / f"{ASSIGNMENT}_{case.student}.ipynb").write_bytes(_notebook(release, case, course))
    collect = _run(course, sys.executable, "-m", "autograder", "collect", ASSIGNMENT, str(downloads))
    rejected = {line.split()[1]: line for line in collect.stdout.splitlines() if line.startswith("rejected")}
    for case in [c for c in CASES if c.batch == "pipeline" and c.folder]:  # someone with access to submitted/
        globals()[case.folder](course / "submitted" / case.student / ASSIGNMENT, course)
    hashes = _hashes(course, HONEST["pipeline"])
    grade = _run(course, sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--no-progress")
    report = _run(course, sys.executable, "-m", "autograder", "report", ASSIGNMENT)
    return {"course": course, "log": collect.stdout + collect.stderr + grade.stdout + grade.stderr,
            "hashes": hashes, "rejected": rejected, "report": report.stdout + report.stderr}


def _hashes(course: Path, students) -> dict:
    return {s: hashlib.sha256((course / "submitted" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()).hexdigest()
            for s in students}


def _scores(course: Path, student: str) -> dict:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            grades = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).grades
        except MissingEntry:
            return {gid: 0.0 for gid in TESTS}
        return {g.name: float(g.score) for g in grades if g.name in TESTS}


def _autograded(course: Path, student: str):
    path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return nbformat.read(path, as_version=4) if path.is_file() else None


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Both batches, graded at the same time (once, even with several xdist workers: the first one grades)."""
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else \
        tmp_path_factory.getbasetemp()
    base = shared / "hostile-submissions"
    with open(shared / "hostile-submissions.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = base / "result.json"
        if not result.is_file():
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            gradebook = hashlib.sha256((ROOT / "gradebook.db").read_bytes()).hexdigest() \
                if (ROOT / "gradebook.db").is_file() else None
            with ThreadPoolExecutor(2) as pool:
                runs = dict(zip(("nbgrader", "pipeline"),
                                pool.map(lambda f: f(base / f.__name__), (_grade_nbgrader, _grade_pipeline))))
            for run in runs.values():
                run["course"] = str(run["course"])
            runs["course_gradebook"] = gradebook
            result.write_text(json.dumps(runs))
    runs = json.loads(result.read_text())
    for batch in ("nbgrader", "pipeline"):
        runs[batch]["course"] = Path(runs[batch]["course"])
    return runs


def _flags(run: dict, case: Case) -> set[str]:
    nb = _autograded(run["course"], case.student)
    found = {f["code"] for f in nb.metadata.get("autograder", {}).get("flags", [])} if nb is not None else set()
    if any(case.student in name for name in run["rejected"]):
        found.add("rejected")
    return found


def _printed(run: dict, case: Case) -> str:
    nb = _autograded(run["course"], case.student)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in case.cells] if nb else []
    return "".join(o.get("text", "") for c in cells for o in c.get("outputs", []))[-2000:]


# ---------------------------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_attack_earns_nothing_beyond_its_honest_part(graded, case):
    """Does the submission score exactly what its honest answers earn, whatever the attack does?"""
    run = graded[case.batch]
    scores = _scores(run["course"], case.student)
    fair = scores == case.honest if case.exact else all(scores[gid] <= case.honest[gid] for gid in TESTS)
    assert fair, f"{case.name} ({case.student}) scored {scores}, its honest part is {case.honest}"


@pytest.mark.parametrize("case", [c for c in CASES if c.flags], ids=[c.name for c in CASES if c.flags])
def test_the_ta_sees_a_flag_naming_the_attempt(graded, case):
    """Is the attempt named by a flag in the autograded notebook's metadata (or by collect's rejection)?"""
    found = _flags(graded[case.batch], case)
    assert found & set(case.flags), f"{case.name} ({case.student}): expected one of {case.flags}, flags: {found}; " \
        f"the answer cells printed: {_printed(graded[case.batch], case)!r}"


def test_a_damaged_honest_notebook_is_repaired_not_accused(graded):
    """Is an honest notebook that lost its metadata and one test cell (Colab, copy-paste) given a single notice for
    the missing test, and no attempt flag for the tests that were found by their content?"""
    case = next(c for c in CASES if c.name == "colab_damage")
    flags = _autograded(graded[case.batch]["course"], case.student).metadata["autograder"]["flags"]
    assert not [f for f in flags if f["severity"] == "attempt"], flags
    assert [(f["code"], f["severity"], f["cell"]) for f in flags if f["code"] == "deleted-test"] == \
        [("deleted-test", "notice", "test_forward_pass")]


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_honest_students_in_the_batch_get_full_marks_and_no_flags(graded, batch):
    """Are the honest students of each batch graded normally (full marks, no attempt flagged)?"""
    run = graded[batch]
    for student in HONEST[batch]:
        assert _scores(run["course"], student) == FULL, f"{student} in the {batch} batch\n{run['log'][-2000:]}"
        nb = _autograded(run["course"], student)
        attempts = [f for f in nb.metadata["autograder"]["flags"] if f["severity"] == "attempt"]
        assert not attempts, f"{student}: {attempts}"


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_the_hand_in_cell_is_not_run_when_graded(graded, batch):
    """Is the hand-in check (a locked cell that does nothing when graded) left unrun, with no outputs and no count,
    in the honest students' autograded notebooks, while the code cells before it ran?"""
    for student in HONEST[batch]:
        cells = [c for c in _autograded(graded[batch]["course"], student).cells if c.cell_type == "code"]
        handin = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "handin_check"]
        assert len(handin) == 1 and handin[0].outputs == [] and handin[0].execution_count is None, student
        assert cells[-1] is handin[0] and any(c.execution_count for c in cells[:-1]), student


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_a_graded_notebook_reads_its_own_history_which_no_database_keeps(graded, batch):
    """Do _i and In give an honest notebook its earlier cells when graded, while IPython's history database, which
    `%history -l` searches, is off (SandboxedExecute.history_database: each cell's write to it saved)? (nbgrader
    keeps each message of a print as an output of its own: on a loaded machine a print may come in two)"""
    for student in HONEST[batch]:
        cells = _autograded(graded[batch]["course"], student).cells
        reader = next(c for c in cells if c.get("id") == "history-1")
        assert [o.get("text") for o in reader.outputs] == ["True True\n"] or batch == "nbgrader" and \
            "".join(o.get("text") for o in reader.outputs) == "True True\n", (student, reader.outputs)


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_gradebook_and_other_students_files_are_intact(graded, batch):
    """Is each batch's gradebook sound with its points unchanged, and are the honest students' files untouched?"""
    run = graded[batch]
    course = run["course"]
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        points = {c.name: c.max_score for c in gb.find_notebook(ASSIGNMENT, ASSIGNMENT).grade_cells}
        students = {s.id for s in gb.students}
    assert {gid: points[gid] for gid in TESTS} == FULL
    assert set(HONEST[batch]) <= students
    assert _hashes(course, HONEST[batch]) == run["hashes"]
    assert not (course / "owned.txt").exists()


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_no_output_reveals_the_course_files(graded, batch):
    """Does any autograded notebook's output hold the secret file, the gradebook or a hidden test's code?"""
    course = graded[batch]["course"]
    for path in (course / "autograded").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"):
        outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(path, as_version=4).cells])
        for secret in (CANARY, "SQLite format 3", "_reference_forward", "BEGIN HIDDEN TESTS"):
            assert secret not in outputs, f"{path}: an output shows {secret!r}"


def test_the_course_gradebook_is_not_touched(graded):
    """Is the course's own gradebook.db byte for byte what it was before the batches ran?"""
    now = hashlib.sha256((ROOT / "gradebook.db").read_bytes()).hexdigest() \
        if (ROOT / "gradebook.db").is_file() else None
    assert now == graded["course_gradebook"]


def test_every_notebook_says_which_protections_held(graded):
    """Does each autograded notebook of the nbgrader batch record its sandbox, with the namespaces where possible?"""
    from autograder.sandbox.isolation import probe

    course = graded["nbgrader"]["course"]
    for case in [c for c in CASES if c.batch == "nbgrader" and _autograded(course, c.student) is not None]:
        nb = _autograded(course, case.student)
        sandbox = nb.metadata["autograder"]["sandbox"]
        wanted = os.environ.get("SANDBOX_TEST_ISOLATION", "auto")
        assert sandbox["isolation"] == (wanted if wanted != "auto" else "namespaces" if probe().namespaces
                                        else "plain"), case.name
        assert "rlimit-as" in sandbox["held"] and "rlimit-nproc" in sandbox["held"], case.name
        if os.geteuid() == 0:  # as CI runs: the kernel tree's control group
            assert {"cgroup-memory", "cgroup-pids"} <= set(sandbox["held"]), case.name
        if sandbox["isolation"] == "namespaces":
            assert "ipc-namespace" in sandbox["held"], case.name


def _running_processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("name", ["fifo_beside_notebook", "bom_with_edited_test"])
def test_nbgrader_fails_loudly_on_what_it_cannot_read(graded, name):
    """Where nbgrader's own autograde cannot copy or read a submission, is that student left ungraded with an
    error in the log naming the student's folder (never graded from something else)?"""
    case = next(c for c in CASES if c.name == name)
    run = graded["nbgrader"]
    assert _autograded(run["course"], case.student) is None
    assert f"submitted/{case.student}/{ASSIGNMENT}" in run["log"] and "error processing assignment" in run["log"]


def test_nothing_of_a_kernel_is_left_on_the_machine(graded):
    """After both batches, is no process, System V IPC object or file that a kernel left behind still there?"""
    assert not _running_processes_with(TRACE)
    keys = [int(line.split()[0]) for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    assert SHM_KEY not in keys
    for folder in ("/tmp", "/dev/shm"):
        assert not (Path(folder) / TRACE).exists()
    for batch in ("nbgrader", "pipeline"):
        assert not list(graded[batch]["course"].rglob(TRACE))


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_the_kernel_cannot_write_to_the_graders_log(graded, batch):
    """Do the kernel's standard streams lead nowhere (/dev/null), so that no line it writes reaches the TA's log?"""
    assert SPOOF not in graded[batch]["log"]
    case = next(c for c in CASES if c.batch == batch and c.name.endswith("log_spoofing"))
    nb = _autograded(graded[batch]["course"], case.student)
    shown = json.dumps([c.get("outputs", []) for c in nb.cells])
    for fd in ("0", "1", "2"):
        assert f"fd {fd} /dev/null" in shown


HIDDEN_INPUT = "seen--1.7-0.5"  # what forward_pass prints for the first hidden test's arguments


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_what_ran_during_hidden_tests_reaches_the_ta_but_not_the_student(graded, batch):
    """When the student's function prints its arguments, does the TA see the hidden test's inputs in the autograded
    notebook, and does the student's feedback page (nbgrader generate_feedback, or report) show none of them?"""
    run = graded[batch]
    case = next(c for c in CASES if c.batch == batch and c.name.endswith("hidden_inputs_in_feedback"))
    nb = _autograded(run["course"], case.student)
    assert HIDDEN_INPUT in json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "test_forward_pass" in nb.metadata["autograder"]["hidden_test_cells"]
    pages = list((run["course"] / "feedback" / case.student).rglob("*.html"))
    assert pages, run.get("report", "")[-2000:]
    for page in pages:
        text = page.read_text()
        assert "seen-2.3-2.0" in text  # what the student's own cells printed is still shown
        assert HIDDEN_INPUT not in text and "seen--" not in text and "seen-np." not in text


@pytest.mark.parametrize("batch", ["nbgrader", "pipeline"])
def test_no_active_html_reaches_what_tas_open(graded, batch):
    """Are the scripts, handlers and frames of a student's outputs gone from the autograded notebooks (and from
    the feedback pages `report` writes)?"""
    course = graded[batch]["course"]
    pages = [p.read_text() for p in (course / "feedback").rglob("*.html")]
    outputs = [json.dumps([c.get("outputs", []) for c in nbformat.read(p, as_version=4).cells])
               for p in (course / "autograded").rglob("*.ipynb")]
    assert pages or batch == "nbgrader", graded[batch].get("report", "")[-2000:]
    for text in outputs:
        for marker in ("XSS-1", "XSS-2", "XSS-3", "XSS-4", "onerror", "<iframe"):
            assert marker not in text
    live = re.compile(r"<script>alert\(|<[a-z]+[^<>]*\son[a-z]+\s*=|<iframe\b|<a\b[^<>]*href\s*=\s*[\"']?javascript:",
                      re.IGNORECASE)
    for text in pages:  # the student's code is shown there, escaped; nothing of it may be live markup
        assert not live.findall(text)

