"""The grader side of the channel to the kernel's agent: requests, proxies of kernel objects, and their limits.

A `Remote` sends one request at a time and waits for its answer until the test cell's deadline. Answers are
decoded by the codec: plain data becomes grader objects (built by the grader's own, untouched numpy), anything
else a `Proxy` whose attribute gets and sets, item access, calls, comparisons, arithmetic and conversions are
requests in turn. Every request also carries the grader's global numpy RNG state when it changed (so that
`np.random.seed` in a test seeds the draws of the student's functions, and draws on both sides share one
stream), the grader's numpy error state and the warning filters the test added, and the public names the test
bound (a test that sets `noise_rng = ...` changes what the student's functions see).

When something is wrong with the kernel (over time, dead, breaking the protocol) the test cell ends with
`SandboxAbort`, a BaseException, so no `except Exception` in a test can swallow it.
"""
from __future__ import annotations

import builtins
import socket
import time
import types
import warnings
import weakref
from typing import Callable

import numpy as np

from . import codec

# Dunder attributes that may be read from kernel objects; any other (__array_interface__ with its raw pointer,
# __reduce__ ...) is refused, so numpy or copy never act on something the kernel made up.
REMOTE_DUNDERS = frozenset({"__name__", "__qualname__", "__module__", "__doc__", "__code__", "__defaults__",
                            "__kwdefaults__", "__wrapped__", "__self__", "__func__", "__dict__", "__annotations__"})
# Operations that use an object as a value (a number, an array, a sequence). A kernel object that is not a builtin
# list or dict answers them itself, so its answers could lie: a test that needs one of them fails instead.
VALUE_OPS = frozenset({"len", "iter", "getitem", "array", "bool", "convert", "unop", "next", "contains", "hash",
                       "binop"})
# Types whose genuine instances always cross as data: a kernel object claiming one of them lies about its type.
DATA_TYPES = frozenset({"builtins.float", "builtins.int", "builtins.bool", "builtins.complex", "builtins.list",
                        "builtins.tuple", "builtins.dict", "builtins.set", "builtins.str", "numpy.ndarray"}
                       | {f"numpy.{t}" for t in ("float64", "float32", "float16", "int64", "int32", "int16", "int8",
                                                 "uint8", "bool", "bool_", "complex128", "generic", "number")})
NOT_RAISED = frozenset({"StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt", "SystemExit",
                        "BaseException", "BaseExceptionGroup"})


class SandboxAbort(BaseException):
    """The test cell cannot go on: the kernel ran over time, died or broke the protocol."""


class RemoteError(Exception):
    """An exception of the student's code whose type is not a builtin one (its name and message are kept)."""


def _exception(err: dict) -> BaseException:
    name, message = str(err.get("type", "Exception")), str(err.get("msg", ""))
    cls = getattr(builtins, name, None) if err.get("builtin") else None
    exc = None
    if isinstance(cls, type) and issubclass(cls, Exception) and name not in NOT_RAISED:
        try:
            exc = cls(message)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError needs five arguments
            exc = None
    if exc is None:
        exc = RemoteError(f"{name}: {message}" if message else name)
    if err.get("tb"):
        exc.add_note("In the student's code:\n" + str(err["tb"])[-4000:])
    return exc


def _filter_spec(entry) -> list:
    action, message, category, module, lineno = entry
    return [action, getattr(message, "pattern", message) or "", f"{category.__module__}.{category.__qualname__}",
            getattr(module, "pattern", module) or "", lineno]


class Remote:
    """One kernel's agent channel for the length of one test cell."""

    def __init__(self, sock: socket.socket, *, deadline: float, max_bytes: int, local_modules: frozenset,
                 on_timeout: Callable[[], None], flag: Callable[[str, str], None]):
        self.sock = sock
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.local_modules = local_modules
        self.on_timeout = on_timeout
        self.flag = flag
        self.aborted: str | None = None
        self.closed = False
        self.broken: str | None = None  # the channel can no longer be used (for later test cells either)
        self._in_buffers: list = []
        self.requests = 0
        self._id = 0
        self._release: list[int] = []
        self._rng_synced = None
        self._err0 = None
        self._warn0 = None
        self._decoded: dict = {}
        self.namespace = None          # the test's globals, for the names it binds (set by the test runner)
        self.tracked: tuple = ()       # the public names the test binds
        self._pushed: dict = {}

    # ------------------------------------------------------------------------------------------ the channel

    def _abort(self, reason: str, code: str | None = None):
        self.aborted = self.aborted or reason
        if code:
            self.flag(code, reason)
        raise SandboxAbort(reason)

    def _recv(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            self._timed_out()
        self.sock.settimeout(left)
        try:
            message, self._in_buffers = codec.recv_frame(self.sock, max_bytes=self.max_bytes)
            return message
        except socket.timeout:
            self._timed_out()
        except codec.ProtocolError as exc:
            self._abort(f"the kernel sent something that is not a valid answer ({exc})", "protocol")
        except ConnectionError as exc:
            self.closed = True
            self.broken = str(exc)
            self._abort(f"the kernel's channel broke during the test ({exc}): the kernel died or was stopped",
                        "kernel-died")
        except OSError as exc:
            self.closed = True
            self.broken = str(exc)
            self._abort(f"the kernel's channel failed during the test ({exc})", "kernel-died")

    def _timed_out(self):
        self.closed = True
        try:
            self.on_timeout()
        finally:
            self._abort("the test cell ran over its time limit", "timeout")

    def begin(self, *, timeout: float) -> dict:
        """Wait for the agent's hello (stale answers of an earlier, aborted cell are skipped); sync the RNG."""
        deadline, self.deadline = self.deadline, min(self.deadline, time.monotonic() + timeout)
        try:
            while True:
                frame = self._recv()
                if isinstance(frame, dict) and frame.get("hello") == 1:
                    break
        except SandboxAbort:
            if self.aborted == "the test cell ran over its time limit":
                self.aborted = "the kernel's agent did not answer: it was replaced, blocked or the kernel is busy"
                self.flag("agent", self.aborted)
            raise
        self.deadline = deadline
        try:
            state = codec.decode(frame.get("rng"))
            np.random.set_state(state)
        except (codec.ProtocolError, TypeError, ValueError) as exc:
            self._abort(f"the kernel sent a bad random state ({exc})", "protocol")
        self._rng_synced = codec.rng_fingerprint()
        self._err0 = np.geterr()
        self._warn0 = list(warnings.filters)
        return frame

    def _env(self, buffers: list, memo: dict) -> dict:
        env = {}
        if codec.rng_fingerprint() != self._rng_synced:
            env["rng"] = codec.encode(np.random.get_state())
            self._rng_synced = codec.rng_fingerprint()
        err = np.geterr()
        if err != self._err0:
            env["err"] = err
        if warnings.filters != self._warn0:
            base = self._warn0
            added = warnings.filters[:len(warnings.filters) - len(base)] \
                if base and warnings.filters[-len(base):] == base else warnings.filters
            env["warn"] = [_filter_spec(f) for f in added]
        names = self._changed_names(buffers, memo)
        if names:
            env["names"] = names
        return env

    def _changed_names(self, buffers: list, memo: dict) -> dict:
        if self.namespace is None:
            return {}
        out = {}
        for name in self.tracked:
            if name not in self.namespace:
                continue
            value = self.namespace[name]
            if self._pushed.get(name) is value:
                continue
            try:
                out[name] = self.encode(value, buffers, memo)
            except codec.NotData:
                continue
            self._pushed[name] = value
        return out

    def mark_pushed(self, name: str, value) -> None:
        self._pushed[name] = value

    def request(self, op: str, data: dict | None = None, **control):
        """Send one request (`data`: values and proxies, encoded here; `control`: plain JSON); return the decoded
        answer (the raw reply is `.last`)."""
        if self.aborted:
            raise SandboxAbort(self.aborted)
        if self.closed:
            self._abort("the kernel's agent stopped serving (the student's code stopped it)", "agent")
        buffers, memo = [], {}
        encoded = {key: self.encode(value, buffers, memo) for key, value in (data or {}).items()}
        self._id += 1
        message = {"id": self._id, "op": op, **control, **encoded, "env": self._env(buffers, memo)}
        if self._release:
            message["release"], self._release = self._release, []
        try:
            codec.send_frame(self.sock, message, buffers)
        except OSError as exc:
            self.closed = True
            self.broken = str(exc)
            self._abort(f"the kernel's channel closed during the test ({exc}): the kernel died or was stopped",
                        "kernel-died")
        self.requests += 1
        while True:
            reply = self._recv()
            if isinstance(reply, dict) and reply.get("id") == self._id:
                break
            if not (isinstance(reply, dict) and isinstance(reply.get("id"), int) and reply["id"] < self._id):
                self.closed = True
                self._abort("the kernel sent an answer to no request", "protocol")
        self.last = reply
        decoded = {}
        if reply.get("rng") is not None:
            try:
                np.random.set_state(codec.decode(reply["rng"]))
            except (codec.ProtocolError, TypeError, ValueError) as exc:
                self._abort(f"the kernel sent a bad random state ({exc})", "protocol")
            self._rng_synced = codec.rng_fingerprint()
        if "err" in reply:
            err = reply["err"] if isinstance(reply["err"], dict) else {"type": "ProtocolError"}
            if reply.get("stop"):
                self.closed = True
                self._abort(f"the student's code raised {err.get('type')} during the test", "stopped-in-test")
            if err.get("type") == "ProtocolError":
                self._abort(f"the kernel refused a request: {err.get('msg')}", "protocol")
            raise _exception(err)
        self._decoded = decoded
        try:
            return self.decode(reply.get("ok"))
        except codec.ProtocolError as exc:
            self._abort(f"the kernel sent something that is not a valid answer ({exc})", "protocol")

    def end(self, *, setnames: dict, timeout: float = 5.0) -> None:
        """Tell the agent the test cell is over (and bind the test's public names in the kernel)."""
        if self.closed:
            return
        self._id += 1
        self.deadline = time.monotonic() + timeout
        try:
            buffers, memo = [], {}
            names = {}
            for name, value in setnames.items():
                try:
                    names[name] = self.encode(value, buffers, memo)
                except codec.NotData:
                    continue
            codec.send_frame(self.sock, {"id": self._id, "op": "end", "setnames": names}, buffers)
            while True:
                reply = self._recv()
                if isinstance(reply, dict) and reply.get("bye") == 1:
                    return
        except (SandboxAbort, OSError):
            return

    # ------------------------------------------------------------------------------------------ the codec

    def encode(self, value, buffers: list | None = None, memo: dict | None = None):
        return codec.encode(value, ref=self._encode_ref, module=lambda m: {"$m": m.__name__}, buffers=buffers,
                            memo=memo)

    def _encode_ref(self, obj):
        if isinstance(obj, Proxy):
            if object.__getattribute__(obj, "_sb_remote").sock is not self.sock:
                raise codec.NotData("a proxy of another kernel")
            return {"$r": object.__getattribute__(obj, "_sb_info")["$r"]}
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname and module != "__main__":
            target = __import__("sys").modules.get(module)
            for part in qualname.split("."):
                target = getattr(target, part, None)
            if target is obj:
                return {"$p": [module, qualname]}
        raise codec.NotData(f"the grader's {type(obj).__name__} {getattr(obj, '__name__', '')!s} cannot be given "
                            "to the student's code (only data, kernel objects and importable names can)")

    def decode(self, data):
        """Decode part of the last reply (its buffers and its arrays sent once are shared by all parts)."""
        return codec.decode(data, ref=self._make_ref, buffers=self._in_buffers, decoded=self._decoded)

    def _make_ref(self, info: dict):
        if info.get("k") == "module":
            name = str(info.get("n", ""))
            if name.split(".")[0] in self.local_modules:
                self._release.append(info["$r"])
                try:
                    return __import__("importlib").import_module(name)
                except ImportError:
                    pass
        return make_proxy(self, info)

    def release(self, key: int) -> None:
        self._release.append(key)


# ---------------------------------------------------------------------------------------------------- proxies


def _info(proxy) -> dict:
    return object.__getattribute__(proxy, "_sb_info")


def _remote(proxy) -> Remote:
    return object.__getattribute__(proxy, "_sb_remote")


def _ask(proxy, op, data=None, **control):
    if op in VALUE_OPS:
        _as_value(proxy, op)
    return _remote(proxy).request(op, {"obj": proxy, **(data or {})}, **control)


def _as_value(proxy, op) -> None:
    """A test uses `proxy` as a value: only a kernel list or dict may stand for one (their answers are builtin)."""
    info = _info(proxy)
    if info.get("k") != "object" or info.get("c") in CONTAINER_TYPES:
        return
    claimed = f"{info.get('m')}.{info.get('t')}"
    code = "lying-value" if claimed in DATA_TYPES or info.get("own") else "not-data"
    _remote(proxy)._abort(f"the student's code gave an object of its own ({claimed}) where the test needs a number, "
                          f"an array or a sequence (the test asked for its {op}): it is not plain data, so the test "
                          "fails", code)


def _copy_back(original, new) -> None:
    """Make the grader's argument `original` hold what the student's code left in the kernel's copy."""
    if type(original) is np.ndarray and type(new) is np.ndarray:
        if original.shape == new.shape and original.flags.writeable:
            original[...] = new
    elif type(original) is list and type(new) is list:
        original[:] = new
    elif type(original) is set and type(new) is set:
        original.clear()
        original.update(new)
    elif type(original) is dict and type(new) is dict:
        for key in [k for k in original if k not in new]:
            del original[key]
        for key, value in new.items():
            old = original.get(key)
            if type(old) is np.ndarray and type(value) is np.ndarray and old.shape == value.shape and \
                    old.dtype == value.dtype and old.flags.writeable:
                old[...] = value
            else:
                original[key] = value


class Proxy:
    """An object that lives in the student's kernel. What it does, it does there."""

    __slots__ = ("_sb_remote", "_sb_info", "__weakref__")

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in REMOTE_DUNDERS:
            raise AttributeError(name)
        return _ask(self, "getattr", name=name, live=True)

    def __setattr__(self, name, value):
        _ask(self, "setattr", {"value": value}, name=name)

    def __delattr__(self, name):
        _ask(self, "delattr", name=name)

    def __repr__(self):
        info = _info(self)
        try:
            return _ask(self, "repr")
        except Exception:  # noqa: BLE001
            return f"<kernel {info.get('t')} object>"

    def __str__(self):
        return _ask(self, "str")

    def __format__(self, spec):
        return _ask(self, "format", spec=spec)

    def __dir__(self):
        return _ask(self, "dir")

    def __hash__(self):
        return _ask(self, "hash")

    def __eq__(self, other):
        return _binop(self, "eq", other)

    def __ne__(self, other):
        return _binop(self, "ne", other)

    def __lt__(self, other):
        return _binop(self, "lt", other)

    def __le__(self, other):
        return _binop(self, "le", other)

    def __gt__(self, other):
        return _binop(self, "gt", other)

    def __ge__(self, other):
        return _binop(self, "ge", other)

    def __instancecheck__(self, instance):
        return _remote(self).request("isinstance", {"obj": instance, "cls": self})

    def __subclasscheck__(self, subclass):
        return _remote(self).request("issubclass", {"obj": subclass, "cls": self})

    def __reduce_ex__(self, protocol):
        raise TypeError("an object of the student's kernel cannot be copied or pickled in the grader")


def _binop(proxy, name, other):
    for operand in (proxy, other):
        if isinstance(operand, Proxy):
            _as_value(operand, "binop")
    return _remote(proxy).request("binop", {"a": proxy, "b": other}, name=name)


class _Call:
    __slots__ = ()

    def __call__(self, *args, **kwargs):
        remote = _remote(self)
        result = remote.request("call", {"obj": self, "args": args, "kwargs": {str(k): v for k, v in kwargs.items()}})
        changed = remote.last.get("mut") or {}
        if changed:
            originals = {f"a{i}": a for i, a in enumerate(args)}
            originals.update({f"k{k}": v for k, v in kwargs.items()})
            for key, data in changed.items() if isinstance(changed, dict) else ():
                if key in originals:
                    try:
                        _copy_back(originals[key], remote.decode(data))
                    except codec.ProtocolError:
                        remote._abort("the kernel sent a bad changed argument", "protocol")
        return result


class _Len:
    __slots__ = ()

    def __len__(self):
        n = _ask(self, "len")
        if type(n) is not int or n < 0:
            raise TypeError("len() of a kernel object is not a non-negative int")
        return n


class _Iter:
    __slots__ = ()

    def __iter__(self):
        items = _ask(self, "iter")
        if type(items) is not list:
            raise TypeError("iterating a kernel object did not give a list")
        return iter(items)


class _GetItem:
    __slots__ = ()

    def __getitem__(self, key):
        return _ask(self, "getitem", {"key": key}, live=True)


class _SetItem:
    __slots__ = ()

    def __setitem__(self, key, value):
        _ask(self, "setitem", {"key": key, "value": value})


class _DelItem:
    __slots__ = ()

    def __delitem__(self, key):
        _ask(self, "delitem", {"key": key})


class _Contains:
    __slots__ = ()

    def __contains__(self, item):
        return bool(_ask(self, "contains", {"item": item}))


class _Array:
    __slots__ = ()

    def __array__(self, dtype=None, copy=None):
        value = _ask(self, "array")
        if type(value) is not np.ndarray:
            raise TypeError("the kernel object did not convert to an array")
        return value.astype(dtype, copy=False) if dtype is not None else value


class _Bool:
    __slots__ = ()

    def __bool__(self):
        return bool(_ask(self, "bool") is True)


class _Next:
    __slots__ = ()

    def __next__(self):
        return _ask(self, "next")


class _Context:
    __slots__ = ()

    def __enter__(self):
        return _ask(self, "enter")

    def __exit__(self, *exc):
        return bool(_ask(self, "exit"))


def _convert(to):
    def method(self, *args):
        value = _ask(self, "convert", to=to, ndigits=args[0] if args else None)
        expected = {"float": float, "int": int, "index": int, "complex": complex}.get(to)
        if expected is not None and type(value) is not expected:
            raise TypeError(f"converting a kernel object to {to} did not give a {expected.__name__}")
        return value
    return method


def _numeric_namespace() -> dict:
    space = {"__slots__": ()}
    for name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
                 "lshift", "rshift"):
        op = name + "_" if name in ("and", "or") else name
        space[f"__{name}__"] = (lambda op: lambda self, other: _binop(self, op, other))(op)
        space[f"__r{name}__"] = (lambda op: lambda self, other: _binop(self, "r" + op, other))(op)
    for name in ("neg", "pos", "abs", "invert"):
        space[f"__{name}__"] = (lambda name: lambda self: _ask(self, "unop", name=name))(name)
    space["__round__"] = _convert("round")
    return space


_Numeric = type("_Numeric", (), _numeric_namespace())
MIXINS = {"__call__": _Call, "__len__": _Len, "__iter__": _Iter, "__getitem__": _GetItem, "__setitem__": _SetItem,
          "__delitem__": _DelItem, "__contains__": _Contains, "__array__": _Array, "__bool__": _Bool,
          "__next__": _Next, "__enter__": _Context, "__add__": _Numeric}
CONVERSIONS = {"__float__": "float", "__int__": "int", "__index__": "index", "__complex__": "complex"}
CONTAINER_TYPES = {"dict": dict, "list": list}
_classes: dict = {}


def proxy_class(info: dict) -> type:
    """The proxy class for kernel objects like `info` says: named like their type, with the same special methods."""
    caps = tuple(sorted(c for c in info.get("caps", ()) if isinstance(c, str)))
    container = info.get("c") if info.get("c") in CONTAINER_TYPES else None
    name = str(info.get("t", "object"))
    if not name.isidentifier():
        name = "object"
    key = (name, str(info.get("m", "")), caps, container, info.get("k"))
    if key not in _classes:
        bases = [MIXINS[c] for c in caps if c in MIXINS]
        if (container == "list" or info.get("k") == "object") and _Array not in bases:
            bases.append(_Array)  # numpy asks __array__ first: only numbers cross, no object arrays of proxies
        namespace = {"__slots__": (), "__module__": str(info.get("m", "kernel"))}
        for cap, to in CONVERSIONS.items():
            if cap in caps:
                namespace[cap] = _convert(to)
        if container:
            namespace["__class__"] = property(lambda self, cls=CONTAINER_TYPES[container]: cls)
        if "__getitem__" in caps and "__iter__" not in caps and container is None:
            namespace["__iter__"] = None
        _classes[key] = type(name, (Proxy, *dict.fromkeys(bases)), namespace)
    return _classes[key]


def make_proxy(remote: Remote, info: dict) -> Proxy:
    if type(info.get("$r")) is not int:
        raise codec.ProtocolError("bad reference")
    claimed = f"{info.get('m')}.{info.get('t')}"
    if info.get("k") == "object" and info.get("c") not in CONTAINER_TYPES and claimed in DATA_TYPES:
        remote._abort(f"the student's code gave an object that claims to be a {claimed} but did not cross as plain "
                      "data (a class of its own named so, a subclass, or an array of objects): the test fails",
                      "lying-value")
    if info.get("own"):
        remote.flag("custom-object", f"the student's code returned a {info.get('t')} object that defines "
                                     f"{', '.join(map(str, info['own']))[:120]}: a test may compare it")
    proxy = object.__new__(proxy_class(info))
    object.__setattr__(proxy, "_sb_remote", remote)
    object.__setattr__(proxy, "_sb_info", dict(info))
    weakref.finalize(proxy, remote.release, info["$r"])
    return proxy


# ---------------------------------------------------------------------------------------------------- shims


def inspect_shim() -> types.ModuleType:
    """`inspect` for test code: the source of a kernel function comes from the kernel."""
    import inspect as real

    shim = types.ModuleType("inspect", real.__doc__)
    shim.__dict__.update({k: v for k, v in real.__dict__.items() if not k.startswith("__")})

    def proxied(name, op, convert=None):
        original = getattr(real, name)

        def function(obj, *args, **kwargs):
            if isinstance(obj, Proxy):
                value = _ask(obj, op)
                if convert is not None:
                    value = convert(value)
                return value
            return original(obj, *args, **kwargs)
        function.__name__ = name
        return function

    def lines(value):
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], list)
                and all(isinstance(s, str) for s in value[0]) and isinstance(value[1], int)):
            raise TypeError("the kernel sent bad source lines")
        return value[0], value[1]

    def text(value):
        if not isinstance(value, str):
            raise TypeError("the kernel sent bad source text")
        return value

    shim.getsource = proxied("getsource", "source", text)
    shim.getsourcelines = proxied("getsourcelines", "sourcelines", lines)
    shim.getsourcefile = proxied("getsourcefile", "sourcefile")
    shim.getfile = proxied("getfile", "file", text)
    for name, kind in (("isfunction", "function"), ("isclass", "class"), ("ismodule", "module")):
        def check(obj, _name=name, _kind=kind):
            if isinstance(obj, Proxy):
                return _info(obj).get("k") == _kind
            return getattr(real, _name)(obj)
        setattr(shim, name, check)
    return shim


def linecache_shim(remote: Remote) -> types.ModuleType:
    """`linecache` for test code: the lines of a kernel cell (or file) as the kernel has them."""
    import linecache as real

    shim = types.ModuleType("linecache", real.__doc__)
    shim.__dict__.update({k: v for k, v in real.__dict__.items() if not k.startswith("__")})

    def getlines(filename, module_globals=None):
        value = remote.request("linecache", filename=str(filename))
        if not (isinstance(value, list) and all(isinstance(s, str) for s in value)):
            raise TypeError("the kernel sent bad lines")
        return value

    def getline(filename, lineno, module_globals=None):
        found = getlines(filename)
        return found[lineno - 1] if 1 <= lineno <= len(found) else ""

    shim.getlines, shim.getline = getlines, getline
    shim.checkcache = lambda filename=None: None
    shim.clearcache = lambda: None
    return shim
