"""The grader's peak memory and time for what a hostile kernel can send it in one answer, and for what a notebook
prints.

    .venv/bin/python benchmarks/grader_bounds.py [--limit MIB] [--cell-limit SECONDS] [--flood MIB]

Each case runs in a fresh process: a forked sender writes one frame to a socket as a kernel's agent would, and the
grader's side receives and decodes it exactly as `Remote` does (`codec.recv_frame`, `codec.decode`). Printed per
case: the bytes sent, the growth of the receiving process's peak memory (MiB, and as a multiple of the message
limit), and the time (seconds, and as a share of the per-cell limit). The baseline is the largest message allowed
(arrays as raw buffers up to the limit, JSON up to its share); the bounds stated in docs/SECURITY.md are memory at
most 3x the limit and time at most 5% of the per-cell limit for every case.

Output floods: a notebook is run by `SandboxedExecute` (its sandboxed kernel, as grading runs it) in a fresh
process, and that process's peak memory (its whole resident size, MiB) is printed for a notebook that prints one
line (the baseline) and for notebooks that print `--flood` MiB (400 by default) in one print, in many prints, or
return it as a cell's result; the bound stated in docs/SECURITY.md is a peak of at most 600 MiB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_notebook

from autograder.preprocessors.sandboxedexecute import SandboxedExecute
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


FLOODS = {
    "prints one line (baseline)": "print('one line')",
    "one print of the flood": "print('x' * ({mib} << 20))",
    "the flood in 100 KB prints": "for _ in range({mib} * 10):\n    print('y' * 104857)",
    "a cell's result of the flood": "'z' * ({mib} << 20)",
}


def flood_peak(source: str) -> dict:
    """In a child process: run a notebook of the cell `source` and one more with SandboxedExecute; the process's peak
    resident memory in MiB, its time, and what the grader kept of the outputs."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        nb = new_notebook(cells=[new_code_cell(source), new_code_cell("print('after the flood')")],
                          metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            executor = SandboxedExecute(timeout=120, prestart=False)
            nb, _ = executor.preprocess(nb, {"metadata": {"path": folder}})
            seconds = time.perf_counter() - start
        kept = len(nbformat.writes(nb))
        flags = sorted({f["code"] for f in nb.metadata["autograder"]["flags"]})
        after = "after the flood" in json.dumps(nb.cells[1].get("outputs", []))
        os.write(write, json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                    "seconds": seconds, "kept_mib": kept / 2**20, "flags": flags,
                                    "next_cell_ran": after}).encode())
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.waitpid(pid, 0)
    return json.loads(data)


def floods(mib: int) -> bool:
    """Print the grading process's peak memory for each flood; True when every peak is within 600 MiB."""
    print(f"\noutput floods of {mib} MiB, run by SandboxedExecute (peak: the grading process's resident memory)")
    print(f"{'case':38} {'peak MiB':>9} {'x base':>7} {'seconds':>8} {'kept MiB':>9}  next cell ran, flags")
    baseline, worst = None, 0.0
    for name, source in FLOODS.items():
        r = flood_peak(source.format(mib=mib))
        baseline = baseline or r
        worst = max(worst, r["peak_mib"])
        print(f"{name:38} {r['peak_mib']:9.0f} {r['peak_mib'] / baseline['peak_mib']:7.2f} {r['seconds']:8.1f} "
              f"{r['kept_mib']:9.2f}  {r['next_cell_ran']}, {', '.join(r['flags']) or '-'}")
    print(f"worst: a peak of {worst:.0f} MiB (bound: 600 MiB): {'within' if worst <= 600 else 'OVER'}")
    return worst <= 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=64, help="the message limit in MiB (SandboxedExecute.message_limit)")
    parser.add_argument("--cell-limit", type=float, default=120.0, help="the per-cell time limit in seconds")
    parser.add_argument("--flood", type=int, default=400, help="MiB a notebook prints in the output-flood cases")
    parser.add_argument("--only", choices=("messages", "floods"), help="run only one part")
    args = parser.parse_args()
    if args.only != "messages":
        floods(args.flood)
    if args.only == "floods":
        return
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
