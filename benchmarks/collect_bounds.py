"""collect's peak memory and time on hostile downloads, against an honest one of the same students.

    .venv/bin/python benchmarks/collect_bounds.py [--assignment toy_chain_backprop] [--students 5]

Each case runs `autograder.collect.collect` in a fresh process on a throwaway copy of the course (its
nbgrader_config.py, source/ and release/ of the assignment) and prints the download's size on disk, the process's
peak memory (MiB, and as a ratio to the honest case) and the time (seconds). The honest case is the baseline:
`--students` notebooks (the release) as plain files. Every other case is that download plus one hostile file:

- zip bomb: a 1.2 MB zip of four 300 MiB entries named as notebooks (refused by size, unread);
- zip bomb, bound raised: the same with DownloadLimits.max_notebook_bytes at 400 MiB, so each entry is read to
  its end (one entry in memory at a time);
- nested zip: a zip nested 1,100 levels deep, holding a notebook (refused at DownloadLimits.max_zip_depth).

The figures are in docs/SECURITY.md ("collect").
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bomb_zip(path: Path, entries: dict[str, int]) -> Path:
    """A zip of `entries` ({name: MiB of spaces}) deflated from one repeated block (small on disk), true sizes and
    CRCs in its headers."""
    chunk = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    local, central = b"", b""
    for name, mib in entries.items():
        crc = 0
        for _ in range(mib):
            crc = zlib.crc32(chunk, crc)
        data = block * mib + last
        fields = (20, 0, 8, 0, 0x21, crc, len(data), mib << 20, len(name.encode()), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, len(local)) + name.encode()
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name.encode() + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path


def nested_zip(path: Path, levels: int, inside: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in inside.items():
            z.writestr(name, data)
    data = buffer.getvalue()
    for _ in range(levels - 1):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("n.zip", data)
        data = buffer.getvalue()
    path.write_bytes(data)
    return path


RUN = """
import json, resource, sys, time
from pathlib import Path
from autograder.collect import collect
start = time.monotonic()
done = collect(root=Path(sys.argv[1]), assignment=sys.argv[2], paths=[Path(sys.argv[3])])
print(json.dumps({"seconds": time.monotonic() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "collected": len(done.collected),
                  "rejected": sorted(f"{r.file.rsplit('/', 1)[-1]}: {r.reason}" for r in done.rejected)}))
"""


def course(folder: Path, assignment: str, extra: str = "") -> Path:
    folder.mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text() + extra)
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / assignment, folder / part / assignment)
    return folder


def measure(work: Path, name: str, assignment: str, students: int, hostile, extra: str = "") -> dict:
    root = course(work / name / "course", assignment, extra)
    download = work / name / "download"
    download.mkdir()
    notebook = (ROOT / "release" / assignment / f"{assignment}.ipynb").read_bytes()
    for k in range(1, students + 1):
        (download / f"{assignment}_aa{k:04d}.ipynb").write_bytes(notebook)
    if hostile:
        hostile(download)
    size = sum(p.stat().st_size for p in download.iterdir())
    run = subprocess.run([sys.executable, "-c", RUN, str(root), assignment, str(download)], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800)
    if run.returncode:  # an older collect: say how it failed
        return {"size": size, "failed": (run.stderr.strip().splitlines() or ["?"])[-1][:100]}
    return dict(json.loads(run.stdout.splitlines()[-1]), size=size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="toy_chain_backprop")
    parser.add_argument("--students", type=int, default=5)
    args = parser.parse_args()
    a = args.assignment
    bomb = {f"{a}_aa{k:04d}.ipynb": 300 for k in range(90, 94)}
    cases = {
        "honest (baseline)": (None, ""),
        "zip bomb": (lambda d: bomb_zip(d / "bomb.zip", bomb), ""),
        "zip bomb, bound raised": (lambda d: bomb_zip(d / "bomb.zip", bomb),
                                   "\nc.DownloadLimits.max_notebook_bytes = 400 << 20\n"),
        "nested zip": (lambda d: nested_zip(d / "nested.zip", 1100, {
            f"{a}_aa0099.ipynb": (ROOT / "release" / a / f"{a}.ipynb").read_bytes()}), ""),
    }
    with tempfile.TemporaryDirectory(prefix="collect-bounds-") as work:
        results = {}
        for k, (name, (hostile, extra)) in enumerate(cases.items()):
            results[name] = measure(Path(work), f"case{k}", a, args.students, hostile, extra)
    base = results["honest (baseline)"]
    print(f"collect of {a}: {args.students} honest notebooks, plus one hostile file per case")
    print(f"{'case':<24} {'MiB on disk':>11} {'peak MiB':>9} {'x honest':>9} {'seconds':>8}  collected; refused")
    for name, r in results.items():
        if "failed" in r:
            print(f"{name:<24} {r['size'] / 2**20:>11.2f}  collect failed: {r['failed']}")
            continue
        print(f"{name:<24} {r['size'] / 2**20:>11.2f} {r['peak_mib']:>9.0f} {r['peak_mib'] / base['peak_mib']:>9.2f} "
              f"{r['seconds']:>8.2f}  {r['collected']}; {', '.join(r['rejected']) or '-'}")


if __name__ == "__main__":
    main()
