"""Grading throughput: plain `nbgrader autograde` against `python -m autograder grade`, in the same run.

Builds a synthetic class in a temporary course folder (copies of nbgrader_config.py, source/<a> and release/<a>):
N submissions cycling through full marks (the solution answers), partial (the first half of the answers) and
blank (the release), all on time. Both graders start from the same gradebook and grade every submission; the
script prints both wall times, their ratio, the scores' agreement, the per-submission overhead beyond the
notebook's own execution time, and the CPU the whole machine was busy with per submission while each ran (from
/proc/stat: every process of the run counts, kernels, their threads and their ends included, which a per-process
profile misses; run it on an otherwise quiet machine).

    .venv/bin/python benchmarks/grade_throughput.py [--assignment toy_chain_backprop] [--students 40]
        [--workers N] [--execute nbgrader|configured|shipped] [--repeat R] [--scheduler tcp://HOST:PORT]

--execute nbgrader (default) runs both with nbgrader's own Execute step; `configured` keeps the course's
Autograde.autograde_preprocessors (the sandboxed Execute) for both; `shipped` runs `nbgrader autograde` as nbgrader
ships (its own Execute and sanitize steps) and `autograder grade` as the course configures it (sandboxed): what a
TA gains over plain nbgrader while getting the sandbox. Wall times include each command's start-up.

--scheduler ADDRESS compares instead `python -m autograder grade` on the local pool with the same command on the
Dask cluster at ADDRESS (its workers started from this checkout, see docs/GRADING.md), on the same class, and
prints the ratio and each one's per-submission cost.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NBGRADER_EXECUTE = '''
# benchmark: nbgrader's own Execute step
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''
NBGRADER_SANITIZE = '''
# benchmark: nbgrader's own sanitize steps (as shipped)
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''


def build_class(course: Path, assignment: str, students: int, execute: str) -> dict[str, str]:
    """A course folder with a gradebook and `students` submissions; returns {student: kind}."""
    import nbformat

    from autograder.mutation import inject, solution_answers
    from autograder.release import generate

    course.mkdir(parents=True)
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + (NBGRADER_EXECUTE if execute == "nbgrader" else ""))
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    generate(root=course, assignment=assignment)  # the gradebook, as `release` makes it
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = solution_answers(source)
    kinds = {"full": inject(release, answers),
             "partial": inject(release, dict(list(answers.items())[:max(1, len(answers) // 2)])),
             "blank": release}
    names = list(kinds)
    made = {}
    for k in range(students):
        student, kind = f"bb{k + 1:04d}", names[k % len(names)]
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(kinds[kind], folder / f"{assignment}.ipynb")
        (folder / "timestamp.txt").write_text("2025-01-01 12:00:00.000000 UTC")
        made[student] = kind
    return made


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O) since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def timed(command: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Run `command`; its wall seconds and the machine's busy CPU seconds meanwhile (every process it started,
    kernels and their threads included, and whatever else ran then)."""
    start, cpu = time.perf_counter(), busy_cpu_seconds()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds, cpu = time.perf_counter() - start, busy_cpu_seconds() - cpu
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return seconds, cpu


def scores(course: Path, assignment: str) -> dict[str, float]:
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("""SELECT sa.student_id, SUM(COALESCE(g.manual_score, g.auto_score, 0))
                             FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id
                             JOIN submitted_assignment sa ON sn.assignment_id = sa.id
                             JOIN assignment a ON sa.assignment_id = a.id WHERE a.name = ?
                             GROUP BY sa.student_id""", (assignment,)).fetchall()
    return dict(rows)


def execution_seconds(course: Path, assignment: str) -> list[float]:
    found = []
    for path in sorted((course / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")):
        meta = json.loads(path.read_text())["metadata"].get("autograder", {})
        if meta.get("execute_seconds"):
            found.append(meta["execute_seconds"])
    return found


def cluster_summary(args, kinds, times, disagree, local, cluster, own, workers) -> int:
    n = args.students
    runs = lambda who: "" if args.repeat == 1 else "   runs: " + ", ".join(f"{t:.1f}" for t in times[who])
    print()
    print(f"assignment            {args.assignment} ({n} submissions; Execute: {args.execute}; {os.cpu_count()} cores)")
    print(f"local pool            {local:7.1f} s   {local / n:6.2f} s per submission ({workers} workers){runs('plain')}")
    print(f"dask cluster          {cluster:7.1f} s   {cluster / n:6.2f} s per submission ({args.scheduler}){runs('ours')}")
    print(f"cluster / local       {cluster / local:7.2f}" + (" (medians)" if args.repeat > 1 else ""))
    print(f"notebook execution    {own:7.2f} s per submission (mean time running its cells, measured by grade)")
    print(f"scores agree          {'yes' if not disagree else 'NO: ' + ', '.join(disagree)}")
    return 1 if disagree else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="toy_chain_backprop")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--execute", choices=("nbgrader", "configured", "shipped"), default="nbgrader")
    parser.add_argument("--repeat", type=int, default=1, help="grade the class this many times with each, "
                        "alternating which goes first, and compare the medians")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course folders")
    parser.add_argument("--scheduler", help="compare the local pool with the Dask cluster at this address")
    args = parser.parse_args()

    python = Path(sys.executable)
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("COURSE_ROOT", None)
    if not env.get("COURSE_DATA_DIR") and (ROOT.parent / "shared" / "data").is_dir():
        env["COURSE_DATA_DIR"] = str(ROOT.parent / "shared" / "data")
    workers = args.workers or len(os.sched_getaffinity(0))
    tmp = Path(tempfile.mkdtemp(prefix="grade-throughput-"))
    try:
        print(f"building a class of {args.students} submissions of {args.assignment} in {tmp} ...", flush=True)
        kinds = build_class(tmp / "class", args.assignment, args.students,
                            "configured" if args.execute == "configured" else "nbgrader")
        commands = {"plain": ["nbgrader", "autograde", args.assignment],
                    "ours": [str(python), "-m", "autograder", "grade", args.assignment, "--workers", str(workers),
                             "--no-progress"]}
        labels = {"plain": "nbgrader autograde", "ours": f"python -m autograder grade --workers {workers}"}
        if args.scheduler:  # "plain" is the local pool, "ours" the cluster
            commands = {"plain": commands["ours"], "ours": commands["ours"][:-3] + ["--scheduler", args.scheduler,
                                                                                  "--no-progress"]}
            labels = {"plain": labels["ours"], "ours": f"python -m autograder grade --scheduler {args.scheduler}"}
        times = {"plain": [], "ours": []}
        cpus = {"plain": [], "ours": []}
        for repeat in range(args.repeat):  # each run on a fresh copy of the class; the order alternates
            for who in (("plain", "ours") if repeat % 2 == 0 else ("ours", "plain")):
                course = tmp / f"{who}{repeat}"
                shutil.copytree(tmp / "class", course)
                if args.execute == "shipped" and (who == "ours" or args.scheduler):  # as the course configures it
                    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
                elif args.execute == "shipped":  # nbgrader as shipped: its own Execute and sanitize steps
                    with open(course / "nbgrader_config.py", "a") as f:
                        f.write(NBGRADER_SANITIZE)
                print(f"grading with {labels[who]} ...", flush=True)
                os.sync()  # each run starts with the last one's writes on disk, not in its fsyncs' way
                time.sleep(2)
                seconds, cpu = timed(commands[who], course, env)
                times[who].append(seconds)
                cpus[who].append(cpu)
                print(f"  {seconds:.1f} s, machine CPU {cpu:.1f} s", flush=True)
        plain, ours = (statistics.median(times[who]) for who in ("plain", "ours"))

        disagree = set()
        for repeat in range(args.repeat):
            a, b = scores(tmp / f"plain{repeat}", args.assignment), scores(tmp / f"ours{repeat}", args.assignment)
            disagree |= {s for s in kinds if a.get(s) != b.get(s)}
        disagree = sorted(disagree)
        run = execution_seconds(tmp / "ours0", args.assignment)
        own = sum(run) / len(run) if run else float("nan")
        n = args.students
        if args.scheduler:
            return cluster_summary(args, kinds, times, disagree, plain, ours, own, workers)
        runs = lambda who: "" if args.repeat == 1 else "   runs: " + ", ".join(f"{t:.1f}" for t in times[who])
        print()
        print(f"assignment            {args.assignment} ({n} submissions: "
              + ", ".join(f"{sum(1 for k in kinds.values() if k == kind)} {kind}" for kind in ("full", "partial", "blank"))
              + f"; Execute: {args.execute}; {os.cpu_count()} cores)")
        print(f"nbgrader autograde    {plain:7.1f} s   {plain / n:6.2f} s per submission{runs('plain')}")
        print(f"autograder grade      {ours:7.1f} s   {ours / n:6.2f} s per submission ({workers} workers)"
              f"{runs('ours')}")
        print(f"speed-up              {plain / ours:7.1f} x" + (" (medians)" if args.repeat > 1 else ""))
        print(f"notebook execution    {own:7.2f} s per submission (mean time running its cells, measured by grade)")
        print(f"overhead, nbgrader    {plain / n - own:7.2f} s per submission beyond execution")
        print(f"overhead, grade       {ours * workers / n - own:7.2f} s per submission per worker beyond execution")
        for who, label in (("plain", "nbgrader"), ("ours", "grade")):
            cpu = statistics.median(cpus[who])
            print(f"machine CPU, {label:9s}{cpu / n:7.2f} s per submission ({cpu:.1f} s busy in all, "
                  f"{os.cpu_count()} cores; start-up included)")
        print(f"scores agree          {'yes' if not disagree else 'NO: ' + ', '.join(disagree)}")
        return 1 if disagree else 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
