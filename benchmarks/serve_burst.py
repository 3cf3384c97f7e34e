"""The hand-in service under a burst: N students submitting at once against a real `python -m autograder serve`.

Builds a course in a temporary folder (the course's nbgrader_config.py, source/ and release/ of the assignment, a
deadline far ahead), gives N + 2 students tokens, starts the service on 127.0.0.1, and measures for each
submission the acknowledgement latency (POST sent -> 202) and the time to visible feedback (POST sent -> GET says
done, polled every 0.25 s). First one warm-up submission (the workers start), then a lone submission (the
baseline), then the burst from N threads; N submissions cycle through full marks, partial marks and blank.
Prints median and p95 of both, and each as a ratio against the lone submission measured in the same run.

    .venv/bin/python benchmarks/serve_burst.py [--students 200] [--assignment toy_chain_backprop] [--workers N]
        [--execute configured|nbgrader] [--scheduler tcp://HOST:PORT | --local-cluster K]

--execute configured (default) grades with the course's Execute step (the sandbox); nbgrader, with nbgrader's own.
--local-cluster K starts a Dask scheduler and K single-thread workers on 127.0.0.1 (from this environment) and
runs the checks there (`serve --scheduler`); --scheduler uses a running cluster.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NBGRADER_EXECUTE = '''
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def submissions(assignment: str) -> list[bytes]:
    """Full marks (the source's answers in the release), partial (the first answer only), blank (the release)."""
    import nbformat

    from autograder.mutation import inject, solution_answers

    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = solution_answers(nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4))
    first = dict(list(answers.items())[:1])
    return [nbformat.writes(inject(release, answers)).encode(), nbformat.writes(inject(release, first)).encode(),
            nbformat.writes(release).encode()]


def build_course(course: Path, assignment: str, students: list[str], execute: str) -> dict[str, str]:
    """The course folder, its gradebook and the students' tokens."""
    from autograder.release import generate

    course.mkdir(parents=True)
    config = (ROOT / "nbgrader_config.py").read_text() + (NBGRADER_EXECUTE if execute == "nbgrader" else "")
    config += (f'\nc.LatePolicy.deadlines = {{"{assignment}": "2099-01-01 17:00"}}\n'
               f'c.Serve.assignments = ["{assignment}"]\nc.Serve.rate_burst = 5\n')
    (course / "nbgrader_config.py").write_text(config)
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    generate(root=course, assignment=assignment)
    (course / "roster.csv").write_text("student\n" + "\n".join(students) + "\n")
    env = dict(os.environ, COURSE_ROOT=str(course))
    subprocess.run([sys.executable, "-m", "autograder", "tokens", "roster.csv", "--out", "tokens.csv"], cwd=course,
                   env=env, check=True, capture_output=True)
    with (course / "tokens.csv").open(newline="") as f:
        return {row["student"]: row["token"] for row in csv.DictReader(f)}


def hand_in(url: str, assignment: str, student: str, token: str, data: bytes) -> tuple[float, float, int]:
    """(seconds to the 202, seconds to the checks' results, visible checks passed) of one submission."""
    with httpx.Client(base_url=url, timeout=600) as http:
        start = time.monotonic()
        answer = http.post(f"/api/v1/submissions/{assignment}", content=data, headers={
            "Authorization": f"Bearer {token}", "X-Notebook-Name": f"{assignment}_{student}.ipynb",
            "Idempotency-Key": str(uuid.uuid4())})
        acked = time.monotonic() - start
        if answer.status_code != 202:
            raise RuntimeError(f"{student}: {answer.status_code} {answer.text}")
        poll = answer.json()["url"]
        while True:
            body = http.get(poll, headers={"Authorization": f"Bearer {token}"}).json()
            if body["state"] == "done":
                if os.environ.get("SERVE_BURST_DEBUG"):
                    print(body, file=sys.stderr)
                return acked, time.monotonic() - start, sum(c["passed"] for c in body["checks"])
            time.sleep(0.25)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--assignment", default="toy_chain_backprop")
    parser.add_argument("--workers", type=int, help="local workers (default: cores)")
    parser.add_argument("--execute", choices=("configured", "nbgrader"), default="configured")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="a running Dask scheduler, tcp://HOST:PORT")
    where.add_argument("--local-cluster", type=int, metavar="K", help="start a Dask scheduler and K workers here")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="serve-burst-"))
    processes: list[subprocess.Popen] = []
    try:
        class_ = [f"bb{n:04d}" for n in range(args.students)]
        tokens = build_course(folder / "course", args.assignment, class_ + ["ww0001", "ll0001"], args.execute)
        kinds = submissions(args.assignment)
        scheduler = args.scheduler
        if args.local_cluster:
            port = free_port()
            scheduler = f"tcp://127.0.0.1:{port}"
            env = {k: v for k, v in os.environ.items() if k not in ("COURSE_ROOT", "PYTHONPATH")}
            for command in ([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                             "--dashboard-address", f"127.0.0.1:{free_port()}"],
                            [str(BIN / "dask"), "worker", scheduler, "--nthreads", "1", "--nworkers",
                             str(args.local_cluster), "--host", "127.0.0.1", "--no-dashboard"]):
                processes.append(subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL, start_new_session=True))
                time.sleep(3)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "autograder", "serve", "--port", str(port)]
        command += ["--scheduler", scheduler] if scheduler else (["--workers", str(args.workers)] if args.workers else [])
        with (folder / "serve.log").open("w") as log:
            processes.append(subprocess.Popen(command, cwd=folder / "course", stdout=log, stderr=subprocess.STDOUT,
                                              env=dict(os.environ, COURSE_ROOT=str(folder / "course")),
                                              start_new_session=True))
        while True:
            try:
                httpx.get(url + "/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        hand_in(url, args.assignment, "ww0001", tokens["ww0001"], kinds[0])  # the workers start
        lone = hand_in(url, args.assignment, "ll0001", tokens["ll0001"], kinds[0])
        started = time.monotonic()
        with ThreadPoolExecutor(args.students) as pool:
            burst = list(pool.map(lambda n: hand_in(url, args.assignment, class_[n], tokens[class_[n]],
                                                    kinds[n % 3]), range(args.students)))
        wall = time.monotonic() - started
        acks, feedback = [b[0] for b in burst], [b[1] for b in burst]
        passed = {kind: sorted({b[2] for n, b in enumerate(burst) if n % 3 == k})
                  for k, kind in enumerate(("full", "partial", "blank"))}
        assert lone[2] > 0 and passed["full"] == [lone[2]] and passed["blank"] == [0], passed
        where_ = scheduler and f"Dask cluster {scheduler}" or f"{args.workers or len(os.sched_getaffinity(0))} local workers"
        print(f"{args.students} concurrent submitters of {args.assignment} ({args.execute} Execute step, checks on "
              f"{where_}, {os.cpu_count()} cores); all acknowledged and checked in {wall:.1f} s; visible checks passed: {passed}")
        print(f"lone submission: acknowledged in {lone[0] * 1000:.0f} ms, feedback in {lone[1]:.2f} s")
        print("| measure | median | p95 | median / lone | p95 / lone |\n| --- | --- | --- | --- | --- |")
        for name, values, alone in (("acknowledgement", acks, lone[0]), ("visible feedback", feedback, lone[1])):
            print(f"| {name} | {statistics.median(values):.2f} s | {p95(values):.2f} s | "
                  f"{statistics.median(values) / alone:.1f}x | {p95(values) / alone:.1f}x |")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
