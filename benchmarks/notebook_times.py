"""How long does each source notebook take top to bottom, as a student runs it and as grading runs it?

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/notebook_times.py [ASSIGNMENT...]
        [--against REF] [--cells N] [--repeat R]

"student": the solution notebook in a fresh kernel, as a student runs it (no NBGRADER_EXECUTION, inline figures).
"graded": what `python -m autograder grade` spends running one full-marks submission (the release with the
solution's answers) in a class: the configured Execute step (`Autograde.autograde_preprocessors`, the sandboxed
Execute of nbgrader_config.py: a sandboxed kernel forked from the worker's zygote, NBGRADER_EXECUTION set, test
cells run in the grader against a gradebook of the assignment). A graded figure is the median over --repeat
submissions (default 3) graded in one process after a first one, as a worker grades its class (the zygote's imports
and the first kernel's start are paid once per worker, not per submission).

Prints wall seconds, the budget and their ratio, each against a kernel's start-up timed alone first (the
baseline), and the run time to state ("about 45 s": rounded up to 5 s, or to 10 s above a minute). The opening cell
of each notebook and the README's table quote the stated times of a run on a 2-core machine (docs/AUTHORING.md,
"Run times").

--against REF also times the notebooks as they are at git revision REF (e.g. `main`), in the same run, and prints
after/before ratios. --cells N prints the N slowest cells of each graded run (seconds, grade_id).
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.preprocessors import Execute
from nbgrader.utils import determine_grade

from autograder.core import data_files, pipelines
from autograder.course import assignments, source_notebook
from autograder.mutation import inject, solution_answers
from autograder.nbconfig import load_config
from autograder.release import generate
from autograder.sandbox.zygote import ForkingKernelManager

ROOT = Path(__file__).resolve().parent.parent

# Seconds on a 2-core machine: (run by a student, run when graded).
BUDGETS = {"lab7_optimizers": (20, 20), "toy_chain_backprop": (20, 20), "wine_mlp_backprop": (30, 30),
           "rosenbrock_gd_momentum": (20, 20), "moons_tanh_net": (20, 20), "mnist_two_layer_net": (60, 20)}


def run(nb, grading: bool) -> float:
    env = dict(os.environ)
    env.pop("NBGRADER_EXECUTION", None)
    if grading:
        env["NBGRADER_EXECUTION"] = "autograde"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        NotebookClient(nbformat.from_dict(nb), timeout=600, kernel_name="python3",
                       kernel_manager_class=ForkingKernelManager, resources={"metadata": {"path": tmp}}).execute(env=env)
        return time.perf_counter() - start


def graded(source: Path, assignment: str, repeat: int) -> dict:
    """Grade 1 + `repeat` full-marks submissions of the assignment whose source notebook is `source` with the
    configured Execute step, in one process; {"seconds": median of all but the first, "cells": [[seconds, grade_id],
    ...] of the last, "points": [scored, possible] of the last}."""
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # as the grader's workers set it
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        (course / "source" / assignment).mkdir(parents=True)
        shutil.copy(source, course / "source" / assignment / f"{assignment}.ipynb")
        for path in data_files(ROOT, assignment):
            target = course / "source" / assignment / path.relative_to(source_notebook(ROOT, assignment).parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        db = course / "gradebook.db"
        generate(root=ROOT, assignment=assignment, into=course, db_path=db)
        config = load_config(ROOT, course_root=course, db_path=db)
        execute = [cls for cls in pipelines(config)[1] if issubclass(cls, Execute)][0]
        cells = []

        class Timed(execute):
            def preprocess_cell(self, cell, resources, index):
                start = time.perf_counter()
                try:
                    return super().preprocess_cell(cell, resources, index)
                finally:
                    cells.append([time.perf_counter() - start, cell.metadata.get("nbgrader", {}).get("grade_id")
                                  or f"cell {index}"])

        release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        answers = solution_answers(nbformat.read(source, as_version=4))
        times = []
        for k in range(1 + repeat):
            student = f"bb{k + 1:04d}"
            cells.clear()
            folder = course / "run" / student
            for path in data_files(ROOT, assignment):
                target = folder / path.relative_to(source_notebook(ROOT, assignment).parent)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
            resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": assignment,
                                      "db_url": f"sqlite:///{db}"}, "metadata": {"path": str(folder)}}
            start = time.perf_counter()
            nb, _ = Timed(config=config).preprocess(inject(release, answers), resources)
            times.append(time.perf_counter() - start)
        scores = [determine_grade(c) for c in nb.cells
                  if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
        return {"seconds": statistics.median(times[1:]), "cells": cells,
                "points": [sum(s[0] or 0 for s in scores), sum(s[1] for s in scores)]}


def graded_run(source: Path, assignment: str, repeat: int) -> dict:
    """`graded` in a process of its own (a worker grades one assignment: its zygote imports that one's modules)."""
    done = subprocess.run([sys.executable, __file__, "--graded-child", str(source), assignment, str(repeat)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(f"grading {assignment} ({source}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def stated(seconds: float) -> str:
    """The run time a notebook states: rounded up to 5 s, or to 10 s above a minute."""
    step = 5 if seconds <= 60 else 10
    return f"about {math.ceil(seconds / step) * step} s"


def at_revision(ref: str, name: str, folder: Path) -> Path:
    """The source notebook of `name` as it is at git revision `ref`, written into `folder`."""
    relative = source_notebook(ROOT, name).relative_to(ROOT)
    text = subprocess.run(["git", "show", f"{ref}:{relative.as_posix()}"], cwd=ROOT, check=True,
                          stdout=subprocess.PIPE, text=True).stdout
    path = folder / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--against", metavar="REF", help="also time the notebooks at this git revision")
    parser.add_argument("--repeat", type=int, default=3, metavar="R", help="graded submissions to take the median of")
    parser.add_argument("--cells", type=int, default=0, metavar="N", help="the N slowest cells of each graded run")
    args = parser.parse_args(argv)
    names = args.assignments or assignments(ROOT)
    baseline = run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy")]), False)
    print(f"kernel start-up baseline: {baseline:.1f} s")
    print(f"{'assignment':24} {'mode':8} {'version':9} {'seconds':>8} {'x baseline':>10} {'budget':>7} {'ratio':>6}"
          f"  {'stated':13} {'after/before':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            versions = {"now": source_notebook(ROOT, name)}
            if args.against:
                versions = {args.against: at_revision(args.against, name, Path(tmp)), **versions}
            for mode, budget in zip(("student", "graded"), BUDGETS.get(name, (60, 60))):
                seconds = {}
                for version, path in versions.items():
                    if mode == "student":
                        seconds[version] = run(nbformat.read(path, as_version=4), False)
                        detail = None
                    else:
                        detail = graded_run(path, name, args.repeat)
                        seconds[version] = detail["seconds"]
                    ratio = f"{seconds[version] / seconds[args.against]:12.2f}" \
                        if args.against and version == "now" else ""
                    print(f"{name:24} {mode:8} {version[:9]:9} {seconds[version]:8.1f} "
                          f"{seconds[version] / baseline:10.1f} {budget:7d} {seconds[version] / budget:6.2f}  "
                          f"{stated(seconds[version]):13} {ratio}", flush=True)
                    if detail is not None:
                        points = "{:g}/{:g}".format(*detail["points"])
                        slowest = sorted(detail["cells"], reverse=True)[:args.cells]
                        cells = "".join(f"\n{'':44}{s:6.2f} s  {gid}" for s, gid in slowest)
                        print(f"{'':44}autograded points {points}{cells}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--graded-child"]:
        print(json.dumps(graded(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))))
    else:
        main()
