"""The sandboxed Execute step (autograder.preprocessors.sandboxedexecute): what a notebook's cells leave behind."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

FLOOD_THEN_PRINT = textwrap.dedent("""
    import json, sys, tempfile
    from nbformat.v4 import new_code_cell, new_notebook
    from autograder.preprocessors import SandboxedExecute

    cells = []
    for i in range(int(sys.argv[1])):
        cells += [new_code_cell("import sys\\nsys.stdout.write('z' * (3 << 20))\\nsys.stdout.flush()"),
                  new_code_cell(f"print('after', {i})")]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    executor = SandboxedExecute(timeout=20, kernel_message_limit=1 << 20, output_limit=1 << 20)
    with tempfile.TemporaryDirectory() as folder:
        nb, _ = executor.preprocess(nb, {"metadata": {"path": folder}})
    print(json.dumps({"outputs": [[o.get("text") or o.get("evalue") or "" for o in c.outputs] for c in nb.cells],
                      "flags": nb.metadata["autograder"]["flags"]}))
    """)


@pytest.mark.slow
def test_a_message_over_the_bound_costs_only_its_own_output_even_on_a_busy_machine():
    """When a cell prints more at once than the grader takes in one message, is that cell's output alone lost (and
    flagged): the kernel is kept, and every later cell's output reaches the notebook, with both cores busy?"""
    pairs = 6
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        done = subprocess.run([sys.executable, "-c", FLOOD_THEN_PRINT, str(pairs)], cwd=ROOT, capture_output=True,
                              text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    printed = result["outputs"][1::2]
    assert printed == [[f"after {i}\n"] for i in range(pairs)], printed
    flags = {(f["code"], f["cell"]) for f in result["flags"]}
    assert flags == {("output-truncated", f"cell {2 * i}") for i in range(pairs)}, result["flags"]
