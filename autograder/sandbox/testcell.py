"""Evaluate one test cell in the grader's own process, against the student's kernel.

The test code (from the gradebook, never from the submission) runs with the grader's builtins and numpy. The
names it uses but does not bind itself are looked up in the kernel first (found by walking the compiled code):
plain data arrives as a copy, anything else as a handle (remote.Handle); `np`/`numpy` and the modules in `local_modules` are always
the grader's own, whatever the kernel has under those names. `inspect` and `linecache`, when the test imports
them, read a kernel function's source from the kernel. The verdict is nbgrader's rule: the cell fails if its
outputs hold an error, and here only the grader writes them.
"""
from __future__ import annotations

import builtins
import contextlib
import ctypes
import dis
import functools
import importlib
import io
import threading
import time
from dataclasses import dataclass, field

from nbformat.notebooknode import NotebookNode

from .remote import Remote, SandboxAbort, inspect_shim, linecache_shim

LOADS = {"LOAD_NAME", "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_CLASSDEREF", "DELETE_NAME", "DELETE_GLOBAL"}
STORES = {"STORE_NAME", "STORE_GLOBAL", "IMPORT_NAME"}
GRADER_OVERTIME = "the test cell ran over its time limit (the grader's part of it)"


class GraderTimeout(SandboxAbort):
    """The grader's own part of a test cell ran past the cell's time limit (raised in the grading thread)."""


class Watchdog:
    """Stop the calling thread's Python code at `deadline` (time.monotonic()) by raising `GraderTimeout` in it.

    The exception is delivered between bytecodes (PyThreadState_SetAsyncExc), so it interrupts test code looping
    over kernel data, not one long C call; the codec bounds those. `start()` arms it, `disarm()` (in a finally)
    withdraws it.
    """

    def __init__(self, deadline: float, on_fire=None):
        self._thread = threading.get_ident()
        self._lock = threading.Lock()
        self._armed, self.fired = True, False
        self._on_fire = on_fire
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        """Arm it (call inside the `try` that handles GraderTimeout: it may fire at once)."""
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._armed:
                return
            self.fired = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread), ctypes.py_object(GraderTimeout))
        if self._on_fire is not None:
            self._on_fire()

    def disarm(self) -> None:
        """No exception after this returns (one raised while it runs is swallowed and it is withdrawn again)."""
        while True:
            try:
                with self._lock:
                    self._armed = False
                    self._timer.cancel()
                    if self.fired:  # withdraw it if it is still pending
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread), None)
                return
            except GraderTimeout:
                continue


@dataclass(frozen=True)
class TestOutcome:
    outputs: list
    failed: bool
    seconds: float
    requests: int
    aborted: str | None = None
    notes: list = field(default_factory=list)


@functools.lru_cache(maxsize=64)
def compiled_test(source: str, grade_id: str):
    """(code, names to look up, names bound) of a test cell's source: compiled and walked once per process for each
    test (code objects are immutable; each run executes it in a namespace of its own). SyntaxError as compile."""
    code = compile(source, f"<test cell {grade_id}>", "exec")
    fetch, bound = names_used(code)
    return code, frozenset(fetch), frozenset(bound)


def names_used(code) -> tuple[set[str], set[str]]:
    """(names to look up in the kernel, names bound at module level) of compiled test code.

    A name is looked up when some code object loads it and the module-level code does not bind it before its
    first load there; names of builtins are never looked up (test code gets the grader's builtins).
    """
    loaded, bound, first_seen = set(), set(), {}

    def walk(co, top):
        for ins in dis.get_instructions(co):
            name = ins.argval if isinstance(ins.argval, str) else None
            if name is None:
                continue
            if ins.opname in STORES and top:
                if ins.opname == "IMPORT_NAME":
                    continue
                bound.add(name)
                first_seen.setdefault(name, "store")
            elif ins.opname in LOADS:
                loaded.add(name)
                if top:
                    first_seen.setdefault(name, "load")
        for const in co.co_consts:
            if hasattr(const, "co_code"):
                walk(const, False)

    walk(code, True)
    fetch = {n for n in loaded if first_seen.get(n) != "store" and not hasattr(builtins, n)}
    return fetch, bound


class _Namespace(dict):
    """The test's globals: a name the static walk missed is looked up in the kernel on first use."""

    def __init__(self, remote: Remote, local_builtins: dict):
        super().__init__()
        self._remote = remote
        self._builtins = local_builtins

    def __missing__(self, name):
        if name in self._builtins or name.startswith("__"):
            raise KeyError(name)
        found = self._remote.request("names", names=[name])
        if not isinstance(found, dict) or name not in found:
            raise KeyError(name)
        self[name] = found[name]
        return found[name]


class _Capture(io.TextIOBase):
    def __init__(self, limit: int):
        self.parts, self.size, self.limit, self.truncated = [], 0, limit, False

    def write(self, text):
        text = str(text)
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
        else:
            self.truncated = True
        self.size += len(text)
        return len(text)

    def getvalue(self):
        return "".join(self.parts) + ("\n[output truncated by the grader]\n" if self.size > self.limit else "")


def _builtins_for(remote: Remote) -> dict:
    shims = {"inspect": inspect_shim(), "linecache": linecache_shim(remote)}
    real_import = builtins.__import__

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name in shims:
            return shims[name]
        return real_import(name, globals, locals, fromlist, level)

    table = dict(builtins.__dict__)
    table["__import__"] = import_
    return table


def error_output(ename: str, evalue: str, where: str, notes=()) -> NotebookNode:
    lines = [f"{ename}: {evalue}", f"  (in {where})"]
    lines += [str(n) for n in notes]
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=lines)


def pinned_value(target: str):
    """What a pinned name stands for: "module" is the grader's module, "module:name" that module's attribute."""
    module, _, attribute = target.partition(":")
    value = importlib.import_module(module)
    return getattr(value, attribute) if attribute else value


def run_test_cell(*, source: str, grade_id: str, remote: Remote, pinned: dict, max_output: int,
                  begin_timeout: float, grace: float = 2.0) -> TestOutcome:
    """Run the test code `source` of cell `grade_id`; the outputs are what the grader writes into the cell.

    The cell's deadline (`remote.deadline`) bounds the whole of it: waiting for the kernel, and, `grace` seconds
    later at most, the test code the grader runs itself (a `Watchdog` stops it).
    """
    start = time.monotonic()
    watchdog = Watchdog(remote.deadline + grace)
    try:
        watchdog.start()
        return _run_test_cell(source=source, grade_id=grade_id, remote=remote, pinned=pinned,
                              max_output=max_output, begin_timeout=begin_timeout, start=start, watchdog=watchdog)
    except GraderTimeout:  # raised (once) outside the test code itself, e.g. while handling its error
        watchdog.disarm()
        return TestOutcome([_overtime(remote, grade_id)], True, time.monotonic() - start, remote.requests,
                           remote.aborted)
    finally:
        watchdog.disarm()


def _overtime(remote: Remote, grade_id: str) -> NotebookNode:
    """The test cell's error output when the grader's part of it ran over its limit (flagged `timeout`)."""
    remote.aborted = remote.aborted or GRADER_OVERTIME
    remote.flag("timeout", remote.aborted)
    return error_output("SandboxError", remote.aborted, f"test cell {grade_id}, evaluated by the grader")


def _run_test_cell(*, source, grade_id, remote, pinned, max_output, begin_timeout, start, watchdog) -> TestOutcome:
    where = f"test cell {grade_id}, evaluated by the grader"
    try:
        code, fetch, bound = compiled_test(source, grade_id)
    except SyntaxError as exc:
        return TestOutcome([error_output("SyntaxError", str(exc), where)], True, 0.0, 0)
    table = _builtins_for(remote)
    namespace = _Namespace(remote, table)
    namespace.update({"__builtins__": table, "__name__": "__main__"})
    stdout, stderr = _Capture(max_output), _Capture(max_output)
    outputs, failed, notes = [], False, []
    try:
        hello = remote.begin(timeout=begin_timeout)
        notes.append(hello)
        wanted = sorted(n for n in fetch if n not in pinned)
        found = remote.request("names", names=wanted) if wanted else {}
        if not isinstance(found, dict):
            raise SandboxAbort("the kernel sent a bad answer for the test's names")
        namespace.update({k: v for k, v in found.items() if k in fetch})
        for name, target in pinned.items():
            if name in fetch:
                namespace[name] = pinned_value(target)
        remote.namespace = namespace
        remote.tracked = tuple(sorted(n for n in bound if not n.startswith("_")))
        for name in remote.tracked:
            if name in namespace:
                remote.mark_pushed(name, namespace[name])
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            exec(code, namespace)
    except GraderTimeout:
        failed = True
        outputs.append(_overtime(remote, grade_id))
    except SandboxAbort as exc:
        failed = True
        outputs.append(error_output("SandboxError", str(exc), where))
    except BaseException as exc:  # noqa: BLE001 - the test's own verdict: an error output, as nbgrader reads it
        failed = True
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            exc = RuntimeError(f"{type(exc).__name__} during the test")
        notes_text = getattr(exc, "__notes__", ())
        outputs.append(error_output(type(exc).__name__, str(exc), where, notes_text))
    finally:
        watchdog.disarm()  # the test code is over: the grader's own bookkeeping below is not interrupted
        setnames = {} if remote.aborted else {n: namespace[n] for n in remote.tracked if n in namespace}
        remote.end(setnames=setnames)
        remote.namespace = None
    if remote.aborted and not any(o.output_type == "error" for o in outputs):
        outputs.append(error_output("SandboxError", remote.aborted, where))
    streams = [NotebookNode(output_type="stream", name=name, text=capture.getvalue())
               for name, capture in (("stdout", stdout), ("stderr", stderr)) if capture.size]
    return TestOutcome(streams + outputs, failed or bool(remote.aborted), time.monotonic() - start,
                       remote.requests, remote.aborted, notes)
