"""How long does each source notebook take top to bottom, against its budget?

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/notebook_times.py [ASSIGNMENT...]

Runs each solution notebook in a fresh kernel, as a student would and as grading does (NBGRADER_EXECUTION set),
and prints wall seconds, the budget and their ratio, each against a kernel's start-up timed alone first (the
baseline), and the run time to state ("about 45 s": rounded up to 5 s, or to 10 s above a minute). The opening cell
of each notebook and the README's table quote the stated times of a run on a quiet 2-core machine
(docs/AUTHORING.md, "Run times").
"""
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.course import assignments, source_notebook

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
                       resources={"metadata": {"path": tmp}}).execute(env=env)
        return time.perf_counter() - start


def stated(seconds: float) -> str:
    """The run time a notebook states: rounded up to 5 s, or to 10 s above a minute."""
    step = 5 if seconds <= 60 else 10
    return f"about {math.ceil(seconds / step) * step} s"


def main(names):
    baseline = run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy")]), False)
    print(f"kernel start-up baseline: {baseline:.1f} s")
    print(f"{'assignment':24} {'mode':8} {'seconds':>8} {'x baseline':>10} {'budget':>7} {'ratio':>6}  stated")
    for name in names:
        nb = nbformat.read(source_notebook(ROOT, name), as_version=4)
        for grading, budget in zip((False, True), BUDGETS.get(name, (60, 60))):
            seconds = run(nb, grading)
            print(f"{name:24} {'graded' if grading else 'student':8} {seconds:8.1f} {seconds / baseline:10.1f} "
                  f"{budget:7d} {seconds / budget:6.2f}  {stated(seconds)}")


if __name__ == "__main__":
    main(sys.argv[1:] or assignments(ROOT))
