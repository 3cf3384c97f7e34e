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


# the kernel's heap and anonymous memory, where Python keeps its objects (a sandboxed kernel may not read
# /proc/self/mem), searched with patterns whose own text is not what they find
MEMORY_PROBE = r"""
import ctypes, re
found = {"hidden": 0, "provided": 0}
for line in open("/proc/self/maps"):
    fields = line.split()
    if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] not in ("[heap]", "[stack]")):
        continue
    start, end = (int(x, 16) for x in fields[0].split("-"))
    data = ctypes.string_at(start, end - start)
    found["hidden"] += len(re.findall(rb"hidden-7f3[a]", data))
    found["provided"] += len(re.findall(rb"# provided by the cours[e]", data))
    del data
print(found)
"""
KERNEL_KNOWS = textwrap.dedent("""
    import json, sys, tempfile
    from nbformat.v4 import new_code_cell, new_notebook
    from autograder.preprocessors import SandboxedExecute

    LOCKED = "# provided by the course\\nprint('provided cell ran')\\n"
    TEST = "assert True\\n### BEGIN HIDDEN TESTS\\nassert 'hidden-7f3a' != ''\\n### END HIDDEN TESTS\\n"
    SandboxedExecute._gradebook_cells = lambda self, info: ({"test_x": (TEST, 1.0)}, {"provided": LOCKED,
                                                                                      "test_x": TEST})
    nb = new_notebook(cells=[new_code_cell(LOCKED), new_code_cell(sys.argv[1])],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    with tempfile.TemporaryDirectory() as folder:
        nb, _ = SandboxedExecute(timeout=120).preprocess(nb, {"metadata": {"path": folder}})
    print(json.dumps([[o.get("text") or o.get("evalue") or "" for o in c.outputs] for c in nb.cells]))
    """)


def test_the_kernel_gets_the_transforms_of_provided_cells_and_never_a_test_cells_source():
    """Does the provided cell run as written, its transform sent by the grader, while no page of the kernel's memory
    holds a test cell's source, whose hidden tests the student must not see?"""
    done = subprocess.run([sys.executable, "-c", KERNEL_KNOWS, MEMORY_PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    provided, probe = json.loads(done.stdout.splitlines()[-1])
    assert provided == ["provided cell ran\n"]
    found = json.loads(probe[0].replace("'", '"'))
    assert found["hidden"] == 0 and found["provided"] >= 1, found
