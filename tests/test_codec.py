"""Is the grader's work on what a kernel sends bounded before values are built (size, count, depth, hashing)?"""
import json
import socket
import threading
import time

import numpy as np
import pytest

from autograder.sandbox import codec

MERSENNE = (1 << 61) - 1  # ints that differ by a multiple of it share a hash


def _send_raw(sock, body: bytes, buffers=()):
    sock.sendall(codec.FRAME_HEADER.pack(len(body)) + body)
    for buffer in buffers:
        sock.sendall(codec.FRAME_HEADER.pack(len(buffer)) + buffer)


def _exchange(body: bytes, buffers=(), max_bytes=64 << 20):
    left, right = socket.socketpair()
    sender = threading.Thread(target=_send_raw, args=(left, body, buffers))
    sender.start()
    try:
        return codec.recv_frame(right, max_bytes=max_bytes)
    finally:
        sender.join()
        left.close()
        right.close()


def test_a_json_part_over_its_share_of_the_limit_is_refused_unparsed():
    """Is a frame whose JSON text is over a sixteenth of the message limit refused (and read past) unparsed?"""
    body = json.dumps({"ok": [0.5] * 2_000_000, "nbuf": 0}).encode()   # ~10 MB of JSON
    assert len(body) > codec.json_limit(64 << 20)
    with pytest.raises(codec.ProtocolError, match="JSON part"):
        _exchange(body)


def test_arrays_travel_as_raw_buffers_up_to_the_limit():
    """Does a 48 MiB array (raw buffer) within the 64 MiB limit arrive whole, and one over it get refused?"""
    array = np.arange(6 << 20, dtype=np.float64)            # 48 MiB
    message, buffers = _exchange(json.dumps({"nbuf": 1}).encode(), [memoryview(array).cast("B")])
    assert len(buffers) == 1 and np.frombuffer(buffers[0], dtype=np.float64)[-1] == array[-1]
    with pytest.raises(codec.ProtocolError, match="over the limit"):
        _exchange(json.dumps({"nbuf": 1}).encode(), [memoryview(array).cast("B")], max_bytes=32 << 20)


def test_too_many_values_are_refused_before_parsing():
    """Is a message with more values than MAX_ITEMS refused from its text alone?"""
    body = ("[" + "0," * (codec.MAX_ITEMS + 10) + "0]").encode()
    with pytest.raises(codec.ProtocolError, match="values"):
        codec.loads(body)


@pytest.mark.parametrize("tag", ["$s", "$fs"])
def test_set_elements_crafted_to_collide_in_hash_are_refused_quickly(tag):
    """Is a set of 20,000 ints sharing one hash refused in well under a second (building it takes seconds)?"""
    data = {tag: [k * MERSENNE for k in range(20_000)]}
    start = time.perf_counter()
    with pytest.raises(codec.ProtocolError, match="collide in hash"):
        codec.decode(data)
    assert time.perf_counter() - start < 0.5


def test_dict_keys_crafted_to_collide_in_hash_are_refused():
    """Are dict keys (tuples of colliding ints) that share a hash refused?"""
    pairs = [[{"$t": [k * MERSENNE, 0]}, k] for k in range(5_000)]
    with pytest.raises(codec.ProtocolError, match="collide in hash"):
        codec.decode({"$d": pairs})


def test_ordinary_sets_and_dicts_still_decode():
    """Do sets and dicts of ordinary values (including the few ints that legitimately share a hash) decode?"""
    assert codec.decode({"$s": [-1, -2, 1, 2, 3]}) == {-1, -2, 1, 2, 3}
    assert codec.decode({"$d": [[k, k * k] for k in range(1000)]}) == {k: k * k for k in range(1000)}
    assert codec.decode(codec.encode({"a": [1.5, {"$x"}], "b": (None, True)})) == {"a": [1.5, {"$x"}], "b": (None, True)}


def test_nesting_and_container_length_are_bounded():
    """Are data nested deeper than MAX_DEPTH and a container longer than the value budget refused?"""
    deep = 0
    for _ in range(codec.MAX_DEPTH + 5):
        deep = {"$l": [deep]}
    with pytest.raises(codec.ProtocolError, match="nested"):
        codec.decode(deep)
    with pytest.raises(codec.ProtocolError, match="over the limit"):
        codec.decode({"$l": [0] * 10}, budget=[5, 5])
    with pytest.raises(codec.ProtocolError, match="containers"):
        codec.decode({"$l": [{"$l": []}] * (codec.MAX_TAGGED + 1)})
