"""The grader's peak memory and time for what a hostile kernel can send it in one answer.

    .venv/bin/python benchmarks/grader_bounds.py [--limit MIB] [--cell-limit SECONDS]

Each case runs in a fresh process: a forked sender writes one frame to a socket as a kernel's agent would, and the
grader's side receives and decodes it exactly as `Remote` does (`codec.recv_frame`, `codec.decode`). Printed per
case: the bytes sent, the growth of the receiving process's peak memory (MiB, and as a multiple of the message
limit), and the time (seconds, and as a share of the per-cell limit). The baseline is the largest message allowed
(arrays as raw buffers up to the limit, JSON up to its share); the bounds stated in docs/SECURITY.md are memory at
most 3x the limit and time at most 5% of the per-cell limit for every case.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import time
from pathlib import Path

import numpy as np

from autograder.sandbox import codec

MERSENNE = (1 << 61) - 1


def frames(limit: int) -> dict:
    """case name -> a function building (JSON body, raw buffers) in the sender."""
    json_cap = codec.json_limit(limit)

    def largest_allowed():
        array = np.ones((limit - json_cap) // 8 - 1024, dtype=np.float64)
        floats = [0.123456789] * ((json_cap - 1024) // 12)
        return codec.dumps({"id": 1, "ok": {"$l": [{"$a": "<f8", "shape": [len(array)], "buf": 0}, {"$l": floats}]},
                            "nbuf": 1}), [memoryview(array).cast("B")]

    def small_values_at_json_cap():
        items = [0] * ((json_cap - 1024) // 2)
        return codec.dumps({"id": 1, "ok": {"$l": items}, "nbuf": 0}), []

    def nested_lists_at_json_cap():
        inner = {"$l": [{"$l": []}] * 8}
        count = (json_cap - 1024) // (len(codec.dumps(inner)) + 1)
        return codec.dumps({"id": 1, "ok": {"$l": [inner] * count}, "nbuf": 0}), []

    def colliding_set_at_json_cap():
        per = len(str(MERSENNE * 10**6)) + 1
        return codec.dumps({"id": 1, "ok": {"$s": [k * MERSENNE for k in range((json_cap - 1024) // per)]},
                            "nbuf": 0}), []

    def colliding_dict_keys():
        per = len(codec.dumps([{"$t": [MERSENNE * 10**5, 0]}, 0])) + 1
        pairs = [[{"$t": [k * MERSENNE, 0]}, 0] for k in range(min((json_cap - 1024) // per, codec.MAX_TAGGED - 10))]
        return codec.dumps({"id": 1, "ok": {"$d": pairs}, "nbuf": 0}), []

    def json_far_over_cap():
        return codec.dumps({"id": 1, "ok": {"$l": [0.5] * (8 * json_cap // 4)}, "nbuf": 0}), []

    return {"largest allowed (baseline)": largest_allowed, "small values at the JSON cap": small_values_at_json_cap,
            "nested lists at the JSON cap": nested_lists_at_json_cap,
            "set crafted to collide in hash": colliding_set_at_json_cap,
            "dict keys crafted to collide in hash": colliding_dict_keys,
            "JSON 8x over its cap (refused)": json_far_over_cap}


def measure(name: str, limit: int) -> dict:
    """In a child process: receive and decode one frame; its peak memory growth and time."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        grader, kernel = socket.socketpair()
        ready_r, ready_w = os.pipe()
        sender = os.fork()
        if sender == 0:
            grader.close()
            body, buffers = frames(limit)[name]()
            os.write(ready_w, b"1")  # built: the time from here on is the grader's
            try:
                kernel.sendall(codec.FRAME_HEADER.pack(len(body)) + body)
                for buffer in buffers:
                    kernel.sendall(codec.FRAME_HEADER.pack(len(buffer)))
                    kernel.sendall(buffer)
            except OSError:
                pass
            os._exit(0)
        kernel.close()
        os.read(ready_r, 1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        outcome, size = "decoded", 0
        try:
            message, buffers = codec.recv_frame(grader, max_bytes=limit)
            size = sum(len(b) for b in buffers)
            codec.decode(message.get("ok"), buffers=buffers, ref=lambda info: None)
        except codec.ProtocolError as exc:
            outcome = f"refused: {str(exc)[:60]}"
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.waitpid(sender, 0)
        os.write(write, json.dumps({"grew_mib": (peak - before) / 1024, "seconds": seconds, "outcome": outcome,
                                    "buffers": size}).encode())
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.waitpid(pid, 0)
    return json.loads(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=64, help="the message limit in MiB (SandboxedExecute.message_limit)")
    parser.add_argument("--cell-limit", type=float, default=120.0, help="the per-cell time limit in seconds")
    args = parser.parse_args()
    limit = args.limit << 20
    print(f"message limit {args.limit} MiB (JSON part at most {codec.json_limit(limit) >> 20} MiB), "
          f"per-cell limit {args.cell_limit:g} s")
    print(f"{'case':38} {'grew MiB':>9} {'x limit':>8} {'x base':>7} {'seconds':>8} {'% cell':>7}  outcome")
    baseline = None
    worst = (0.0, 0.0)
    for name in frames(limit):
        r = measure(name, limit)
        baseline = baseline or r
        memory_ratio = r["grew_mib"] / args.limit
        worst = (max(worst[0], memory_ratio), max(worst[1], r["seconds"] / args.cell_limit))
        print(f"{name:38} {r['grew_mib']:9.1f} {memory_ratio:8.2f} {r['grew_mib'] / max(baseline['grew_mib'], 1):7.2f} "
              f"{r['seconds']:8.2f} {100 * r['seconds'] / args.cell_limit:6.2f}%  {r['outcome']}")
    print(f"worst: memory {worst[0]:.2f}x the message limit, time {100 * worst[1]:.2f}% of the per-cell limit "
          f"(bounds: 3x, 5%): {'within' if worst[0] <= 3 and worst[1] <= 0.05 else 'OVER'}")


if __name__ == "__main__":
    main()
