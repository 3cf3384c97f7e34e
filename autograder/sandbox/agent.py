"""The kernel side of the sandbox: answers the grader's requests about the student's objects.

It runs inside the student's kernel, so nothing it says is trusted: the grader treats every answer as data (or a
reference to an object that stays here) and checks it. It only needs the standard library, numpy and the codec,
whose source the launcher loads before any student code runs (`setup`). The grader starts `serve()` as a cell
while it evaluates a test cell in its own process; each request names an operation on objects of the kernel
(get a global, call a function, get an attribute ...), and carries the grader's numpy RNG state, error state and
warning filters so that the student's code runs under the same conditions as the test code that calls it.
"""
import builtins
import importlib
import inspect
import linecache
import operator
import os
import sys
import traceback
import types
import warnings

import numpy as np

try:
    import _autograder_codec as codec
except ImportError:  # imported as part of the autograder package (the grader's own tests)
    from . import codec

# What the TA is told was changed at run time (compared with what was there before any student code ran).
WATCHED = {
    "numpy.allclose": lambda: np.allclose, "numpy.isclose": lambda: np.isclose, "numpy.round": lambda: np.round,
    "numpy.around": lambda: np.around, "numpy.array_equal": lambda: np.array_equal,
    "numpy.testing": lambda: np.testing, "numpy.testing.assert_allclose": lambda: np.testing.assert_allclose,
    "numpy.testing.assert_array_equal": lambda: np.testing.assert_array_equal,
    "numpy.testing.assert_almost_equal": lambda: np.testing.assert_almost_equal,
    "numpy.ndarray.__eq__": lambda: np.ndarray.__eq__, "numpy.random.seed": lambda: np.random.seed,
    **{f"builtins.{name}": (lambda name=name: getattr(builtins, name, None)) for name in
       ("round", "abs", "isinstance", "print", "AssertionError", "len", "sum", "all", "any", "sorted", "float", "int",
        "bool", "max", "min", "zip", "range", "Exception", "__import__")},
    "sys.excepthook": lambda: sys.excepthook, "sys.displayhook": lambda: sys.displayhook,
    "sys.exit": lambda: sys.exit, "os._exit": lambda: os._exit,
}
SHELL_METHODS = ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_cell_async", "run_code",
                 "excepthook", "set_custom_exc")
MAX_TIMES = 1_000_000  # the most calls one "call" request may ask for (repeat_calls)
_sock = None
_user_ns = None
_shell = None
_max_bytes = 1 << 28
_table = {}
_next_id = [0]
_baseline = {}
_baseline_ns = {}


def setup(sock, *, user_ns, shell=None, max_bytes=1 << 28):
    """Called by the launcher before any student code: remember the channel, the namespace and what is pristine."""
    global _sock, _user_ns, _shell, _max_bytes
    _sock, _user_ns, _shell, _max_bytes = sock, user_ns, shell, max_bytes
    baseline()


def baseline():
    """What is pristine: called again by the launcher in a silent execution of the kernel's shell, before the kernel
    takes any request: where IPython's hooks are set as they are when the grader's serve cells look again."""
    _baseline.clear()
    _baseline.update(_watched_now())
    _baseline_ns.clear()
    _baseline_ns.update(_user_ns or {})


def _watched_now():
    now = {}
    for name, get in WATCHED.items():
        try:
            now[name] = get()
        except Exception:  # noqa: BLE001 - a name the student deleted
            now[name] = None
    if _shell is not None:
        for name in SHELL_METHODS:
            now[f"IPython.shell.{name}"] = getattr(type(_shell), name, None), _shell.__dict__.get(name)
        now["IPython.shell.custom_exceptions"] = tuple(getattr(_shell, "custom_exceptions", ()))
    return now


def tampered():
    """Names of the watched functions that are no longer what they were at start-up, and shadowed builtins."""
    now = _watched_now()
    changed = sorted(name for name, value in now.items() if name in _baseline and value is not _baseline[name]
                     and value != _baseline[name])
    if _user_ns is not None and "np" in _user_ns and _user_ns["np"] is not np:
        changed.append("np (no longer numpy)")
    shadowed = sorted(name for name in (_user_ns or {}) if not name.startswith("_") and hasattr(builtins, name)
                      and _user_ns[name] is not getattr(builtins, name) and _user_ns[name] is not _baseline_ns.get(name))
    return changed, shadowed


# ---------------------------------------------------------------------------------------------------- references


def _ref(obj):
    """A reference to `obj`, which stays here: its number, and its type's name (text for the TA's messages only:
    the grader decides nothing from it)."""
    key = _next_id[0] = _next_id[0] + 1
    _table[key] = obj
    if isinstance(obj, types.ModuleType):
        return {"$r": key, "k": "module", "n": getattr(obj, "__name__", "?")}
    kind = type(obj)
    return {"$r": key, "t": getattr(kind, "__name__", "?"), "m": getattr(kind, "__module__", "?")}


def _module(mod):
    return _ref(mod)


_in = {"buffers": [], "decoded": {}}   # the current request's raw buffers
_out = {"buffers": [], "memo": {}}     # the current reply's


def _encode(value):
    return codec.encode(value, ref=_ref, module=_module, buffers=_out["buffers"], memo=_out["memo"])


def _fingerprint(value):
    return codec.encode(value, ref=lambda obj: {"$r": id(obj)}, module=lambda m: {"$m": m.__name__}, digest=True)


def _encode_live(value):
    """An attribute or item: as data, and a list or dict with a reference as well, so that the grader's changes to
    it reach this one ({"$live": [reference, data]})."""
    if type(value) in (list, dict):
        return {"$live": [_ref(value), _encode(value)]}
    return _encode(value)


def _op_replace(req):
    """Make a list or dict of the kernel hold what the grader's copy of it holds now."""
    target, value = _decode(req["obj"]), _decode(req["value"])
    if type(target) is list and type(value) is list:
        target[:] = value
    elif type(target) is dict and type(value) is dict:
        target.clear()
        target.update(value)
    else:
        raise TypeError("only a list or dict can be replaced")


def _lookup(info):
    try:
        return _table[info["$r"]]
    except KeyError:
        raise codec.ProtocolError(f"no object {info['$r']} in the kernel") from None


def _import(name):
    return importlib.import_module(name)


def _path(module, qualname):
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _decode(data):
    return codec.decode(data, ref=_lookup, module=_import, path=_path, buffers=_in["buffers"],
                        decoded=_in["decoded"])


# ---------------------------------------------------------------------------------------------------- operations


def _category(name):
    if not isinstance(name, str):
        return Warning
    module, _, qualname = name.rpartition(".")
    try:
        target = importlib.import_module(module or "builtins")
        for part in qualname.split("."):
            target = getattr(target, part)
        return target if isinstance(target, type) and issubclass(target, Warning) else Warning
    except Exception:  # noqa: BLE001
        return Warning


def _binop(name):
    if name.startswith("r"):
        forward = getattr(operator, name[1:])
        return lambda a, b: forward(b, a)
    return getattr(operator, name)


def _copy_back(values):
    """The arguments whose data changed during the call (by fingerprint), encoded again, keyed as sent."""
    changed = {}
    for key, (before, value) in values.items():
        if type(value) in (list, dict, set, np.ndarray) and _fingerprint(value) != before:
            changed[key] = _encode(value)
    return changed


def _op_names(req):
    out = {}
    for name in req["names"]:
        if isinstance(name, str) and name in _user_ns:
            out[name] = _encode(_user_ns[name])
    return out


def _op_setnames(req):
    for name, data in req["values"].items():
        _user_ns[str(name)] = _decode(data)


def _op_call(req):
    """Call the object with the arguments; with "times": n, call it n times with the same argument objects, in
    order, and answer the list of the n results (what a loop in the grader would get, in one request)."""
    target = _decode(req["obj"])
    args, kwargs = _decode(req.get("args", {"$t": []})), _decode(req.get("kwargs", {"$d": []}))
    if type(args) is not tuple or type(kwargs) is not dict:
        raise codec.ProtocolError("bad call arguments")
    times = req.get("times")
    if times is not None and not (type(times) is int and 0 <= times <= MAX_TIMES):
        raise codec.ProtocolError("bad number of calls")
    mutable = (list, dict, set, np.ndarray)
    values = {f"a{i}": (_fingerprint(a), a) for i, a in enumerate(args) if type(a) in mutable}
    values.update({f"k{k}": (_fingerprint(v), v) for k, v in kwargs.items() if type(v) in mutable})
    kwargs = {str(k): v for k, v in kwargs.items()}
    if times is None:
        result = target(*args, **kwargs)
    else:
        result = [target(*args, **kwargs) for _ in range(times)]
    return result, {"mut": _copy_back(values)}


def _op_array(req):
    value = np.asarray(_decode(req["obj"]))
    if not codec.is_plain_array(value):
        raise TypeError(f"cannot use an array of dtype {value.dtype} as numbers")
    return value


def _source(req):
    return inspect.getsource(_decode(req["obj"]))


OPERATIONS = {
    "getattr": lambda r: (_encode_live if r.get("live") else _encode)(getattr(_decode(r["obj"]), str(r["name"]))),
    "setattr": lambda r: setattr(_decode(r["obj"]), str(r["name"]), _decode(r["value"])),
    "delattr": lambda r: delattr(_decode(r["obj"]), str(r["name"])),
    "getitem": lambda r: (_encode_live if r.get("live") else _encode)(_decode(r["obj"])[_decode(r["key"])]),
    "setitem": lambda r: operator.setitem(_decode(r["obj"]), _decode(r["key"]), _decode(r["value"])),
    "delitem": lambda r: operator.delitem(_decode(r["obj"]), _decode(r["key"])),
    "len": lambda r: len(_decode(r["obj"])),
    "iter": lambda r: _encode(list(_decode(r["obj"]))),
    "next": lambda r: _encode(next(_decode(r["obj"]))),
    "contains": lambda r: _decode(r["item"]) in _decode(r["obj"]),
    "bool": lambda r: bool(_decode(r["obj"])),
    "repr": lambda r: repr(_decode(r["obj"]))[:100000],
    "str": lambda r: str(_decode(r["obj"]))[:100000],
    "format": lambda r: format(_decode(r["obj"]), str(r["spec"]))[:100000],
    "hash": lambda r: hash(_decode(r["obj"])),
    "dir": lambda r: sorted(str(n) for n in dir(_decode(r["obj"]))),
    "binop": lambda r: _encode(_binop(r["name"])(_decode(r["a"]), _decode(r["b"]))),
    "unop": lambda r: _encode(getattr(operator, r["name"])(_decode(r["obj"]))),
    "convert": lambda r: {"float": float, "int": int, "complex": complex, "index": operator.index,
                          "round": round}[r["to"]](_decode(r["obj"]), *([] if r.get("ndigits") is None
                                                                         else [r["ndigits"]])),
    "array": lambda r: _encode(_op_array(r)),
    "isinstance": lambda r: isinstance(_decode(r["obj"]), _decode(r["cls"])),
    "issubclass": lambda r: issubclass(_decode(r["obj"]), _decode(r["cls"])),
    "enter": lambda r: _encode(_decode(r["obj"]).__enter__()),
    "exit": lambda r: bool(_decode(r["obj"]).__exit__(None, None, None)),
    "source": lambda r: inspect.getsource(_decode(r["obj"])),
    "sourcelines": lambda r: _encode(tuple(inspect.getsourcelines(_decode(r["obj"])))),
    "sourcefile": lambda r: inspect.getsourcefile(_decode(r["obj"])),
    "file": lambda r: inspect.getfile(_decode(r["obj"])),
    "linecache": lambda r: _encode(list(linecache.getlines(str(r["filename"])))),
    "names": lambda r: {"$d": [[k, v] for k, v in _op_names(r).items()]},
    "setnames": lambda r: _op_setnames(r),
    "replace": lambda r: _op_replace(r),
    "tampered": lambda r: _encode(tampered()),
}
# operations whose function already returns encoded data
ENCODED = {"getattr", "getitem", "iter", "next", "binop", "unop", "array", "enter", "sourcelines", "linecache",
           "names", "tampered"}


def _error(exc):
    kind = type(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if "autograder-sandbox" not in f.filename]
    text = "".join(traceback.format_list(frames[-8:])) if frames else ""
    return {"type": kind.__name__, "builtin": getattr(builtins, kind.__name__, None) is kind,
            "msg": str(exc)[:4000], "tb": text[-6000:]}


def _handle(req):
    env = req.get("env") or {}
    for key in req.get("release") or ():
        _table.pop(key, None)
    reply = {}
    rng_before = codec.rng_fingerprint()
    try:
        if env.get("rng") is not None:
            np.random.set_state(_decode(env["rng"]))
            rng_before = codec.rng_fingerprint()
        for name, data in (env.get("names") or {}).items():
            _user_ns[str(name)] = _decode(data)
        err = env.get("err")
        filters = env.get("warn")
        op = req["op"]
        if op != "call" and op not in OPERATIONS:
            raise codec.ProtocolError(f"unknown operation {op!r}")
        with np.errstate(**err) if err else _Nothing(), warnings.catch_warnings() if filters else _Nothing():
            for action, message, category, module, lineno in reversed(filters or []):
                warnings.filterwarnings(action, message or "", _category(category), module or "", int(lineno or 0))
            if op == "call":
                result, extra = _op_call(req)
                reply.update(extra)
                result = _encode(result)
            else:
                result = OPERATIONS[op](req)
                if op not in ENCODED:
                    result = _encode(result)
            reply["ok"] = result
    except codec.ProtocolError as exc:
        reply["err"] = {"type": "ProtocolError", "builtin": False, "msg": str(exc), "tb": ""}
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the grader, which decides
        reply["err"] = _error(exc)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            reply["stop"] = True
    if codec.rng_fingerprint() != rng_before:
        reply["rng"] = codec.encode(np.random.get_state())
    return reply


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def serve():
    """Answer the grader's requests until it says the test cell is over (runs as a cell, in the main thread)."""
    changed, shadowed = tampered()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # answer fast: the main thread waits on the socket, other threads hold the GIL
    try:
        _serve(changed, shadowed)
    finally:
        sys.setswitchinterval(interval)


def _serve(changed, shadowed):
    codec.send_frame(_sock, {"hello": 1, "rng": codec.encode(np.random.get_state()), "tampered": changed,
                             "shadowed": shadowed})
    while True:
        try:
            req, buffers = codec.recv_frame(_sock, max_bytes=_max_bytes)
        except codec.ProtocolError as exc:
            codec.send_frame(_sock, {"id": None, "err": {"type": "ProtocolError", "builtin": False,
                                                          "msg": str(exc), "tb": ""}})
            continue
        _in["buffers"], _in["decoded"] = buffers, {}
        _out["buffers"], _out["memo"] = [], {}
        if not isinstance(req, dict) or not isinstance(req.get("op"), str):
            codec.send_frame(_sock, {"id": None, "err": {"type": "ProtocolError", "builtin": False,
                                                          "msg": "bad request", "tb": ""}})
            continue
        if req["op"] == "end":
            if req.get("setnames"):
                try:
                    _op_setnames({"values": req["setnames"]})
                except Exception:  # noqa: BLE001 - best effort: the test cell is already over
                    pass
            _in["buffers"], _in["decoded"] = [], {}
            codec.send_frame(_sock, {"id": req.get("id"), "ok": None, "bye": 1})
            return
        reply = _handle(req)
        reply["id"] = req.get("id")
        try:
            codec.send_frame(_sock, reply, _out["buffers"])
        except (TypeError, ValueError) as exc:  # a result json cannot hold
            codec.send_frame(_sock, {"id": req.get("id"), "err": {"type": "TypeError", "builtin": True,
                                                                  "msg": f"result cannot be sent: {exc}", "tb": ""}})
        _in["buffers"], _out["buffers"], _out["memo"] = [], [], {}
        if reply.get("stop"):
            return
