"""The safe codec between the grader and the student's kernel: plain data as JSON, never pickle.

Both sides use this module (the kernel gets its source text at start-up, so it imports only the standard library
and numpy). What crosses:

- None, bools, ints, finite floats and strings as themselves; nan and inf, complex numbers and bytes tagged;
- lists, tuples, dicts (keys of the same plain kinds), sets, slices and Ellipsis, tagged so they decode exactly;
- numpy arrays and scalars of bool, integer, float, complex and fixed-width string dtypes, as raw bytes;
- numpy random generators (Generator, RandomState) as their bit-generator state, a copy;
- a module by its name, and a reference to any other object: {"$r": id, ...}. What a reference means is up to the
  side decoding it (the grader makes an opaque handle of its number; the kernel looks the id up in its table).

`decode` is strict: anything but the shapes above is a ProtocolError naming what was wrong, so a hostile kernel can
send only data or references, never code. Its work is bounded before values are built: a frame's JSON text is at
most `json_limit(max_bytes)` and its item count (commas and brackets) at most MAX_ITEMS before it is parsed; depth
is at most MAX_DEPTH; every decoded value counts against the same MAX_ITEMS budget, and containers, arrays and
references (decoded one by one) against MAX_TAGGED; and the elements of a set or
the keys of a dict may not collide in hash (more than MAX_SAME_HASH equal hashes is refused before the set or dict
is built, so crafted keys cannot make building it quadratic).
"""
import base64
import ctypes
import hashlib
import json
import math
import struct
import types

import numpy as np

MAX_DEPTH = 64
MAX_ITEMS = 2_000_000   # values in one message (JSON items before parsing; decoded values after)
MAX_TAGGED = 50_000     # tagged values (containers, arrays, references ...) decoded one by one in one message
MAX_SAME_HASH = 16      # elements of one set (keys of one dict) that may share a hash
JSON_SHARE = 16         # a message's JSON text is at most 1/JSON_SHARE of its size limit (raw buffers are the rest)
MIN_JSON_BYTES = 1 << 20
BUFFER_BYTES = 4096  # arrays this big or bigger travel as raw bytes after the message, not as base64
FRAME_HEADER = struct.Struct(">Q")
ARRAY_KINDS = frozenset("biufcUS")
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
PLAIN_SCALARS = (type(None), bool, int, float, str)
_PLAIN_SCALAR_TYPES = frozenset(PLAIN_SCALARS)


class ProtocolError(Exception):
    """A message from the other side that is not valid codec data."""


class NotData(TypeError):
    """An object that is not plain data and no reference hook was given for it."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text) -> bytes:
    if not isinstance(text, str):
        raise ProtocolError("bytes must be base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise ProtocolError(f"bad base64: {exc}") from None


def is_plain_array(value) -> bool:
    return type(value) is np.ndarray and value.dtype.kind in ARRAY_KINDS and value.dtype.fields is None


def encode(value, *, ref=None, module=None, buffers=None, memo=None, digest=False, depth=0):
    """`value` as JSON-ready data. `ref(obj)` encodes what is not data (a reference); without it that is NotData.

    Exact types only: a subclass of list, dict, float, ndarray ... is not data (its methods could lie), so it
    goes to `ref`, or to `module(obj)` first for modules. With a `buffers` list, arrays of BUFFER_BYTES or more
    go there as raw bytes (sent after the message), each once (`memo`: the same array again is {"$same": i});
    with `digest`, arrays are only their hash (to tell whether something changed).
    """
    sub = dict(ref=ref, module=module, buffers=buffers, memo=memo, digest=digest, depth=depth + 1)
    if depth > MAX_DEPTH:
        raise NotData("data nested deeper than %d levels" % MAX_DEPTH)
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if kind in PLAIN_SCALARS:
        return value
    if kind is complex:
        return {"$c": [encode(value.real), encode(value.imag)]}
    if kind is bytes:
        return {"$b": _b64(value)}
    if kind in (list, tuple, set, frozenset):
        tag = {list: "$l", tuple: "$t", set: "$s", frozenset: "$fs"}[kind]
        return {tag: [encode(v, **sub) for v in value]}
    if kind is dict:
        return {"$d": [[encode(k, **sub), encode(v, **sub)] for k, v in value.items()]}
    if kind is slice:
        return {"$sl": [encode(value.start, **sub), encode(value.stop, **sub), encode(value.step, **sub)]}
    if value is Ellipsis:
        return {"$el": 1}
    if is_plain_array(value):
        data = np.ascontiguousarray(value)
        head = {"$a": data.dtype.str, "shape": list(data.shape)}
        if digest:
            return {**head, "h": hashlib.blake2b(memoryview(data).cast("B"), digest_size=16).hexdigest()}
        if buffers is not None and data.nbytes >= BUFFER_BYTES:
            if memo is not None and id(value) in memo:
                return {"$same": memo[id(value)]}
            buffers.append(memoryview(data).cast("B"))
            if memo is not None:
                memo[id(value)] = len(buffers) - 1
            return {**head, "buf": len(buffers) - 1}
        return {**head, "b64": _b64(data.tobytes())}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" and value.dtype.kind in ARRAY_KINDS:
        return {"$n": value.dtype.str, "b64": _b64(np.asarray(value).tobytes())}
    if kind is np.random.Generator and type(value.bit_generator).__name__ in BIT_GENERATORS:
        return {"$g": type(value.bit_generator).__name__, "state": encode(value.bit_generator.state, **sub)}
    if kind is np.random.RandomState:
        return {"$rs": encode(value.get_state(legacy=False), **sub)}
    if module is not None and kind is types.ModuleType:
        return module(value)
    if ref is None:
        raise NotData(f"{kind.__module__}.{kind.__qualname__} is not plain data")
    return ref(value)


def _dtype(text):
    if not isinstance(text, str) or len(text) > 16:
        raise ProtocolError("bad dtype")
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise ProtocolError(f"bad dtype {text!r}") from None
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
        raise ProtocolError(f"dtype {text!r} is not plain data")
    return dtype


def _spend(budget: list, count: int, tagged: int = 0) -> None:
    budget[0] -= count
    budget[1] -= tagged
    if budget[0] < 0:
        raise ProtocolError(f"more than {MAX_ITEMS} values in one message")
    if budget[1] < 0:
        raise ProtocolError(f"more than {MAX_TAGGED} containers, arrays or references in one message")


def _check_hashes(keys: list, what: str) -> None:
    """Refuse set elements or dict keys crafted to share a hash (building the set would take quadratic time)."""
    if len(keys) <= MAX_SAME_HASH:
        return
    try:
        hashes = sorted(map(hash, keys))  # sorting, not a dict: no hashing of the hashes
    except TypeError as exc:
        raise ProtocolError(f"bad {what}: {exc}") from None
    run = 1
    for before, after in zip(hashes, hashes[1:]):
        run = run + 1 if before == after else 1
        if run > MAX_SAME_HASH:
            raise ProtocolError(f"{what} whose elements collide in hash (more than {MAX_SAME_HASH} share one)")


def decode(data, *, ref=None, module=None, path=None, buffers=(), decoded=None, depth=0, budget=None):
    """The value `data` encodes. `ref(dict)` decodes references, `module(name)` modules and `path(module, qualname)`
    importable names; without them these are a ProtocolError. `buffers` are the raw buffers that came with the
    message (bytearrays), `decoded` a dict shared by one message's decode calls (for {"$same": i}), `budget` the
    [values, tagged values] still allowed ([MAX_ITEMS, MAX_TAGGED] when not given)."""
    if depth > MAX_DEPTH:
        raise ProtocolError("data nested too deep")
    budget = [MAX_ITEMS, MAX_TAGGED] if budget is None else budget
    kind = type(data)
    if kind in PLAIN_SCALARS:
        _spend(budget, 1)
        return data
    if kind is not dict or len(data) == 0:
        raise ProtocolError(f"unexpected {kind.__name__} in codec data")
    _spend(budget, 1, 1)
    tag = next(iter(data))
    decoded = {} if decoded is None else decoded
    sub = dict(ref=ref, module=module, path=path, buffers=buffers, decoded=decoded, depth=depth + 1, budget=budget)
    if tag in ("$l", "$t", "$s", "$fs"):
        items = data[tag]
        if type(items) is not list:
            raise ProtocolError(f"{tag} needs a list")
        if len(items) > budget[0]:  # refused before decoding any of it
            raise ProtocolError(f"a container of {len(items)} values is over the limit of {MAX_ITEMS}")
        if set(map(type, items)) <= _PLAIN_SCALAR_TYPES:  # plain scalars are themselves: no call per item
            _spend(budget, len(items))
            values = list(items)
        else:
            values = [decode(v, **sub) for v in items]
        if tag in ("$s", "$fs"):
            _check_hashes(values, "a set")
        try:
            return {"$l": list, "$t": tuple, "$s": set, "$fs": frozenset}[tag](values)
        except TypeError as exc:
            raise ProtocolError(f"bad set: {exc}") from None
    if tag == "$d":
        pairs = data["$d"]
        if type(pairs) is not list or any(type(p) is not list or len(p) != 2 for p in pairs):
            raise ProtocolError("$d needs a list of pairs")
        if len(pairs) > budget[0]:
            raise ProtocolError(f"a dict of {len(pairs)} keys is over the limit of {MAX_ITEMS}")
        keys = [decode(k, **sub) for k, _ in pairs]
        _check_hashes(keys, "a dict")
        try:
            return dict(zip(keys, (decode(v, **sub) for _, v in pairs)))
        except TypeError as exc:
            raise ProtocolError(f"bad dict key: {exc}") from None
    if tag == "$f":
        if data["$f"] not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(data["$f"])
    if tag == "$c":
        parts = data["$c"]
        if type(parts) is not list or len(parts) != 2:
            raise ProtocolError("bad complex")
        real, imag = (decode(p, **sub) for p in parts)
        if type(real) not in (int, float) or type(imag) not in (int, float):
            raise ProtocolError("bad complex")
        return complex(real, imag)
    if tag == "$b":
        return _unb64(data["$b"])
    if tag == "$sl":
        parts = data["$sl"]
        if type(parts) is not list or len(parts) != 3:
            raise ProtocolError("bad slice")
        return slice(*(decode(p, **sub) for p in parts))
    if tag == "$el":
        return Ellipsis
    if tag == "$a":
        dtype = _dtype(data["$a"])
        shape = data.get("shape")
        if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
            raise ProtocolError("bad array shape")
        index = data.get("buf")
        if index is not None:
            if type(index) is not int or not 0 <= index < len(buffers) or index in decoded:
                raise ProtocolError("bad array buffer")
            raw = buffers[index]
        else:
            raw = _unb64(data.get("b64"))
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise ProtocolError("array bytes do not match its shape and dtype")
        if index is None:
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        array = np.frombuffer(raw if isinstance(raw, bytearray) else bytearray(raw), dtype=dtype).reshape(shape)
        decoded[index] = array
        return array
    if tag == "$same":
        if data["$same"] not in decoded:
            raise ProtocolError("reference to an array not sent")
        return decoded[data["$same"]]
    if tag == "$n":
        dtype = _dtype(data["$n"])
        raw = _unb64(data.get("b64"))
        if len(raw) != dtype.itemsize:
            raise ProtocolError("bad numpy scalar")
        return np.frombuffer(raw, dtype=dtype)[0]
    if tag == "$g":
        name = data["$g"]
        if name not in BIT_GENERATORS:
            raise ProtocolError(f"unknown bit generator {name!r}")
        bit_generator = getattr(np.random, name)()
        try:
            bit_generator.state = decode(data.get("state"), **sub)
        except (TypeError, ValueError, KeyError) as exc:
            raise ProtocolError(f"bad {name} state: {exc}") from None
        return np.random.Generator(bit_generator)
    if tag == "$rs":
        state = np.random.RandomState()
        try:
            state.set_state(decode(data["$rs"], **sub))
        except (TypeError, ValueError, KeyError) as exc:
            raise ProtocolError(f"bad RandomState state: {exc}") from None
        return state
    if tag == "$m":
        if module is None or type(data["$m"]) is not str:
            raise ProtocolError("unexpected module")
        return module(data["$m"])
    if tag == "$p":
        parts = data["$p"]
        if path is None or type(parts) is not list or len(parts) != 2 or any(type(p) is not str for p in parts):
            raise ProtocolError("unexpected name")
        return path(*parts)
    if tag == "$r":
        if ref is None or type(data["$r"]) is not int:
            raise ProtocolError("unexpected reference")
        return ref(data)
    raise ProtocolError(f"unknown tag {tag!r}")


_MT_POS_OFFSET = 624 * 4  # numpy's mt19937_state: uint32_t key[624]; int pos;


def rng_fingerprint():
    """A cheap summary of numpy's global RNG state (position and two words of the key; a microsecond, where
    np.random.get_state() takes a hundred): when it is unchanged the state is taken to be unchanged."""
    bit_generator = np.random.mtrand._rand._bit_generator
    address = bit_generator.ctypes.state_address
    return (id(bit_generator), ctypes.c_int.from_address(address + _MT_POS_OFFSET).value,
            ctypes.c_uint32.from_address(address).value, ctypes.c_uint32.from_address(address + 4 * 623).value)


def dumps(message) -> bytes:
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")


def json_limit(max_bytes: int) -> int:
    """The largest JSON text of a message whose size limit is `max_bytes` (its arrays travel as raw buffers)."""
    return min(max_bytes, max(MIN_JSON_BYTES, max_bytes // JSON_SHARE))


def loads(raw: bytes):
    objects = raw.count(b"{")  # every tagged value is a JSON object
    items = raw.count(b",") + raw.count(b"[") + objects
    if items > MAX_ITEMS:
        raise ProtocolError(f"a message of {items} values is over the limit of {MAX_ITEMS}")
    if objects > 2 * MAX_TAGGED:
        raise ProtocolError(f"a message of {objects} tagged values is over the limit of {MAX_TAGGED}")
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"not JSON: {str(exc)[:200]}") from None


def send_frame(sock, message: dict, buffers=()) -> None:
    """A message: its JSON, then its raw buffers, each behind an 8-byte length."""
    body = dumps({**message, "nbuf": len(buffers)})
    sock.sendall(FRAME_HEADER.pack(len(body)) + body)
    for buffer in buffers:
        sock.sendall(FRAME_HEADER.pack(len(buffer)))
        sock.sendall(buffer)


def recv_exactly(sock, size: int) -> bytearray:
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        n = sock.recv_into(view[got:], min(size - got, 1 << 22))
        if not n:
            raise ConnectionError("the other side closed the connection")
        got += n
    return data


def _skip(sock, size: int) -> None:
    scratch = bytearray(1 << 20)
    while size > 0:
        n = sock.recv_into(scratch, min(size, len(scratch)))
        if not n:
            raise ConnectionError("the other side closed the connection")
        size -= n


def recv_frame(sock, *, max_bytes: int):
    """(message, buffers) of the next message. One over `max_bytes` in all is read past (so the next message can
    be read), then refused with ProtocolError."""
    (size,) = FRAME_HEADER.unpack(recv_exactly(sock, FRAME_HEADER.size))
    if size > json_limit(max_bytes):
        if size > 1 << 40:
            raise ConnectionError(f"a message length of {size} bytes: the channel is out of step")
        _skip(sock, size)
        raise ProtocolError(f"a message whose JSON part is {size} bytes is over the limit of {json_limit(max_bytes)}")
    message = loads(bytes(recv_exactly(sock, size)))
    count = message.get("nbuf", 0) if isinstance(message, dict) else 0
    if type(count) is not int or not 0 <= count <= 100000:
        raise ConnectionError("a bad buffer count: the channel is out of step")
    buffers, total, too_big = [], size, False
    for _ in range(count):
        (length,) = FRAME_HEADER.unpack(recv_exactly(sock, FRAME_HEADER.size))
        total += length
        if length > 1 << 40:
            raise ConnectionError(f"a buffer length of {length} bytes: the channel is out of step")
        if total > max_bytes or too_big:
            too_big = True
            _skip(sock, length)
            continue
        buffers.append(recv_exactly(sock, length))
    if too_big:
        raise ProtocolError(f"a message of {total} bytes is over the limit of {max_bytes}")
    return message, buffers
