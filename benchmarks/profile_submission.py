"""Where one submission's grading time goes: a timeline of `autograder grade`'s per-submission path.

Builds a small synthetic class as benchmarks/grade_throughput.py does (full, partial, blank in turn), then grades
it in this one process the way a worker of `grade` does (core.Grader, with the course's configured Execute step,
the sandbox) and records each outcome as the parent does (gradebook.Recorder). The first submissions warm the
worker up (its zygote, the spare kernel started while the previous notebook runs); the timeline printed is the
last submission's (a full-marks one by default), with every step's start (ms after the submission began), wall
time and, nested under it, what it called:

    .venv/bin/python benchmarks/profile_submission.py [--assignment toy_chain_backprop] [--students 7]
        [--show N] [--repeat R]

`--show N` prints the timeline of the Nth submission instead (1-based). `--repeat R` grades the class R times
and prints, for each step, the median over the full-marks submissions after the first, so that one slow
moment of a shared machine does not mislead. The table at the end sums the steps by kind per submission: what
the benchmark's "notebook execution" (the metadata's execute_seconds) and "grade's overhead" are made of.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import inspect
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from grade_throughput import build_class  # noqa: E402  (a script beside this one)

EVENTS: list[tuple[str, float, float]] = []  # (label, start, end), in the order they end
CPU: dict[str, float] = {}  # CPU seconds of the last submission: worker, kernel tree, parent
KERNEL_CELLS: dict[str, float] = {}  # CPU seconds of the kernel's tree while each cell of the last submission ran


def kernel_cpu(sandbox) -> None:
    """The CPU the kernel's process tree has used so far: every process of its control group, with the children
    they reaped (from its fork, as the spare started during the previous submission)."""
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in sandbox.group.pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        CPU["kernel"] = CPU.get("kernel", 0.0) + sum(int(f) for f in fields[11:15]) / ticks


def kernel_ns(sandbox) -> int:
    """Nanoseconds of CPU the kernel's live processes (every thread of each process of its control group) have run
    so far (/proc/PID/task/TID/schedstat: exact, where /proc/PID/stat counts 10 ms ticks)."""
    total = 0
    for pid in sandbox.group.pids():
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    return total


def traced(owner, name: str, label=None):
    """Wrap owner.name (function, method or coroutine function) so that each call is recorded in EVENTS."""
    original = inspect.getattr_static(owner, name)
    unwrapped = original.__func__ if isinstance(original, (staticmethod, classmethod)) else original
    describe = label or (lambda *a, **k: name)

    if inspect.iscoroutinefunction(unwrapped):
        @functools.wraps(unwrapped)
        async def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return await unwrapped(*args, **kwargs)
            finally:
                EVENTS.append((describe(*args, **kwargs), start, time.perf_counter()))
    else:
        @functools.wraps(unwrapped)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return unwrapped(*args, **kwargs)
            finally:
                EVENTS.append((describe(*args, **kwargs), start, time.perf_counter()))
    if isinstance(original, staticmethod):
        wrapper = staticmethod(wrapper)
    setattr(owner, name, wrapper)


def instrument() -> None:
    """Trace the steps of one submission's path, from the worker's Grader to the parent's Recorder."""
    from jupyter_core.utils import run_sync

    from autograder import core, gradebook
    from autograder.preprocessors import sandboxedexecute as sx
    from autograder.sandbox import isolation, remote, testcell

    def cell_label(self, cell, resources, index):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"
        kind = "test" if self.tests_in_grader and gid in getattr(self, "_tests", {}) else cell.cell_type
        return f"cell {index:2d} {kind:8s} {gid}"

    traced(core.Grader, "grade", lambda *a, **k: "worker: Grader.grade (the whole submission)")
    traced(core, "parse_notebook", lambda *a, **k: "read and parse the submission")
    traced(core.Grader, "_fill", lambda *a, **k: "write the notebook and data into the run folder")
    traced(core.Grader, "_execute_own", lambda *a, **k: "Execute step (sandboxed): execute_seconds")
    traced(core.nbformat, "writes", lambda *a, **k: "nbformat.writes (serialize a notebook)")
    for name, label in [
        ("preprocess", "SandboxedExecute.preprocess"),
        ("_gradebook_cells", "read the test and locked cells from the snapshot"),
        ("_scan_student_cells", "scan the student's cells"),
        ("_check_submission", "check the submitted file against the gradebook"),
        ("_take_spare", "take the kernel started in advance"),
        ("_start_spare", "start the next notebook's kernel (spare)"),
        ("async_start_new_kernel_client", "kernel ready: client, agent"),
        ("_run_in_kernel", "round trip in the kernel"),
        ("_run_test", "test cell (grader + kernel)"),
        ("_finish_serve", "wait for the kernel's serve cell to end"),
        ("_check_channels", "check the channels"),
        ("_record", "record sandbox metadata"),
        ("_end_later", "leave the kernel's stop to the starter thread"),
    ]:
        traced(sx.SandboxedExecute, name, lambda *a, _l=label, **k: _l)
    traced(sx.SandboxedExecute, "preprocess_cell", cell_label)
    # nbconvert's Execute calls the blocking twin, made from the coroutine when the class was defined
    sx.SandboxedExecute.start_new_kernel_client = run_sync(sx.SandboxedExecute.async_start_new_kernel_client)
    traced(sx, "run_test_cell", lambda *a, **k: "the grader's part (test code through the codec)")
    traced(isolation.Sandbox, "deliver", lambda *a, **k: "copy the notebook folder into the sandbox")
    stop = sx.SandboxedExecute._end_later

    def stop_counting(self, km):
        kernel_cpu(self._sandbox)
        return stop(self, km)

    sx.SandboxedExecute._end_later = stop_counting

    def kernel_cpu_of(name):
        run = getattr(sx.SandboxedExecute, name)

        def counted(self, cell, *args):
            before = kernel_ns(self._sandbox)
            try:
                return run(self, cell, *args)
            finally:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id") or "?"
                KERNEL_CELLS[f"{'test' if name == '_run_test' else 'cell'} {gid}"] = \
                    (kernel_ns(self._sandbox) - before) / 1e9
        setattr(sx.SandboxedExecute, name, counted)

    kernel_cpu_of("_run_in_kernel")
    kernel_cpu_of("_run_test")
    # a used kernel's sandbox is closed in the starter thread, during the next submission (the first submission's
    # own kernel, started without a spare, in this thread)
    traced(isolation.Sandbox, "close", lambda *a, **k: "close a sandbox")
    traced(isolation.Sandbox, "accept_agent", lambda *a, **k: "accept the agent's connection")
    traced(remote.Remote, "begin", lambda *a, **k: "codec: begin (the agent's hello)")
    traced(remote.Remote, "request", lambda self, op, *a, **k: f"codec round trip: {op}")
    traced(remote.Remote, "end", lambda *a, **k: "codec: end (names set back in the kernel)")
    traced(gradebook.Recorder, "record", lambda *a, **k: "parent: Recorder.record")
    traced(gradebook, "_write_atomic", lambda *a, **k: "write a file of autograded/")
    traced(gradebook, "flag_submission", lambda *a, **k: "flag the submission in the gradebook")
    traced(gradebook, "keep_reviews", lambda *a, **k: "keep reviews (enter)")
    _ = testcell


def steps_of(steps: list, where: str) -> list:
    """Each preprocessor of a list, wrapped so that its call is timed."""
    def timed(step):
        def call(nb, resources):
            start = time.perf_counter()
            try:
                return step(nb, resources)
            finally:
                EVENTS.append((f"{where}: {type(step).__name__}", start, time.perf_counter()))
        return call
    return [timed(step) for step in steps]


def timeline(events: list[tuple[str, float, float]]) -> list[tuple[int, str, float, float]]:
    """(depth, label, start, seconds) in start order, depth by containment."""
    ordered = sorted(events, key=lambda e: (e[1], -(e[2] - e[1])))
    stack, rows = [], []
    for label, start, end in ordered:
        while stack and start >= stack[-1] - 1e-7:
            stack.pop()
        rows.append((len(stack), label, start, end - start))
        stack.append(end)
    return rows


def kind_of(label: str) -> str | None:
    """The benchmark's split of a submission's time."""
    return {"worker: Grader.grade (the whole submission)": "worker, in all",
            "Execute step (sandboxed): execute_seconds": "execution (execute_seconds)",
            "kernel ready: client, agent": "  kernel ready",
            "the grader's part (test code through the codec)": "  the grader's part of test cells",
            "wait for the kernel's serve cell to end": "  waiting for serve cells to end",
            "start the next notebook's kernel (spare)": "  starting the spare kernel",
            "parent: Recorder.record": "parent: recording"}.get(label) or \
        ("  round trips of non-test cells" if label == "round trip in the kernel" else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="toy_chain_backprop")
    parser.add_argument("--students", type=int, default=7)
    parser.add_argument("--show", type=int, default=None, help="the submission whose timeline is printed")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print the N functions of the worker and the parent with the most CPU of their own "
                             "(cProfile, over every submission after the first)")
    args = parser.parse_args()
    if not os.environ.get("COURSE_DATA_DIR") and (ROOT.parent / "shared" / "data").is_dir():
        os.environ["COURSE_DATA_DIR"] = str(ROOT.parent / "shared" / "data")

    from autograder.core import Grader, Settings, Task
    from autograder.course import submitted_notebook
    from autograder.gradebook import Recorder, write_snapshot
    from autograder.grade import submission_key
    from autograder.nbconfig import load_config

    tmp = Path(tempfile.mkdtemp(prefix="profile-submission-"))
    try:
        course = tmp / "class"
        kinds = build_class(course, args.assignment, args.students, "configured")
        os.chdir(course)
        config = load_config(course)
        write_snapshot(config, args.assignment, tmp / "cells.db")
        instrument()
        per_step: dict[str, list[float]] = defaultdict(list)
        per_kind: dict[str, list[float]] = defaultdict(list)
        per_cpu: dict[str, list[float]] = defaultdict(list)
        per_cell_cpu: dict[str, list[float]] = defaultdict(list)
        shown = None
        profiler = cProfile.Profile(time.process_time) if args.cprofile else None  # CPU, not wall time

        async def run_class(grader, recorder, repeat):
            nonlocal shown
            students = sorted(kinds)
            for number, student in enumerate(students, 1):
                EVENTS.clear()
                CPU.clear()
                KERNEL_CELLS.clear()
                cpu = time.process_time()
                task = Task(student, submitted_notebook(course, student, args.assignment), prestart=True)
                if profiler is not None and number > 1:
                    profiler.enable()
                outcome = await grader.run(task)
                CPU["worker"] = time.process_time() - cpu
                cpu = time.process_time()
                if outcome.status != "graded":
                    sys.exit(f"{student}: {outcome.status}: {outcome.detail}")
                recorder.record(outcome, submission_key(course, student, args.assignment))
                CPU["parent"] = time.process_time() - cpu
                if profiler is not None:
                    profiler.disable()
                events = list(EVENTS)
                want = args.show or max(n for n, s in enumerate(students, 1) if kinds[s] == "full")
                if number == want and repeat == 0:
                    shown = (student, kinds[student], events)
                if kinds[student] == "full" and number > 1:
                    sums: dict[str, float] = defaultdict(float)
                    for label, start, end in events:
                        sums[label] += end - start
                        if kind_of(label):
                            per_kind[kind_of(label)].append(end - start)
                    for label, seconds in sums.items():
                        per_step[label].append(seconds)
                    for who, seconds in CPU.items():
                        per_cpu[who].append(seconds)
                    for label, seconds in KERNEL_CELLS.items():
                        per_cell_cpu[label].append(seconds)

        async def run_all():
            for repeat in range(args.repeat):
                grader = Grader(Settings(course, args.assignment, tmp / "cells.db"))
                grader.sanitize = steps_of(grader.sanitize, "sanitize")
                grader.before = steps_of(grader.before, "before Execute")
                grader.after = steps_of(grader.after, "after Execute")
                recorder = Recorder(course, args.assignment, config)
                recorder.steps = steps_of(recorder.steps, "record")
                try:
                    await run_class(grader, recorder, repeat)
                finally:
                    await grader.close()

        asyncio.run(run_all())
        student, kind, events = shown
        print(f"timeline of {student} ({kind}), {args.assignment}: start ms, wall ms, step")
        rows = timeline(events)
        origin = rows[0][2] if rows else 0.0
        for depth, label, start, seconds in rows:
            print(f"{(start - origin) * 1000:8.1f} {seconds * 1000:8.1f}  {'  ' * depth}{label}")
        fulls = sum(1 for n, s in enumerate(sorted(kinds), 1) if kinds[s] == "full" and n > 1) * args.repeat
        print(f"\nper full-marks submission, median of {fulls} (all calls of a step summed): ms")
        for label, values in sorted(per_step.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"{statistics.median(values) * 1000:8.1f}  {label}")
        print("\nsplit (per submission, summed over the submission's calls): ms")
        for kind in ("worker, in all", "execution (execute_seconds)", "  kernel ready",
                     "  round trips of non-test cells", "  the grader's part of test cells",
                     "  waiting for serve cells to end", "  starting the spare kernel", "parent: recording"):
            values = per_kind.get(kind, [])
            total = sum(values) / max(1, fulls)
            print(f"{total * 1000:8.1f}  {kind}")
        if profiler is not None:
            print(f"\nthe worker's and the parent's own CPU (cProfile, all submissions after the first):")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.cprofile)
        if per_cell_cpu:
            print("\nthe kernel's CPU while each cell ran (its processes' schedstat), per full-marks submission "
                  "(median): ms")
            for label, values in per_cell_cpu.items():
                print(f"{statistics.median(values) * 1000:8.1f}  {label}")
            print(f"{sum(statistics.median(v) for v in per_cell_cpu.values()) * 1000:8.1f}  all cells")
        print("\nCPU per full-marks submission (median): ms")
        for who, label in (("worker", "worker (Grader.grade, this process)"),
                           ("kernel", "kernel's process tree (its control group, from the start of the spare during the "
                                      "previous submission to the kernel's stop)"),
                           ("parent", "parent (Recorder.record)")):
            if per_cpu.get(who):
                print(f"{statistics.median(per_cpu[who]) * 1000:8.1f}  {label}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
