"""The kernel's side of the sandbox (autograder/sandbox/launch.py): how a kernel runs its cells."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import ROOT

# in a fresh interpreter: IPython's shell sets process-wide hooks (displayhook, builtins) that other tests must not see
LEAN = textwrap.dedent("""
    import json
    from IPython.core.interactiveshell import InteractiveShell
    from autograder.sandbox.launch import lean_cell_path

    shell = InteractiveShell.instance()
    calls = []
    shell.input_transformer_manager.transform_cell = (lambda original: lambda cell: (calls.append(cell),
                                                      original(cell))[1])(shell.input_transformer_manager.transform_cell)
    lean_cell_path(shell, {"x = 1\\n": "x = 2\\n"})  # a known transform the grader would never send: seen if taken
    seen = {}
    shell.run_cell("x = 1\\n")
    seen["known"] = shell.user_ns["x"]
    shell.run_cell("y = 3\\n")
    seen["unknown"] = shell.user_ns["y"]
    seen["worked_out"] = calls.count("y = 3\\n")
    shell.run_cell("import asyncio\\nawait asyncio.sleep(0)\\nz = 4")
    seen["awaited"] = shell.user_ns.get("z")
    shell.input_transformer_manager.line_transforms.append(lambda lines: lines)  # the student's own transformer
    shell.run_cell("x = 1\\n")
    seen["after_a_new_transformer"] = shell.user_ns["x"]
    print(json.dumps(seen))
    """)


def test_a_course_cell_takes_the_graders_transform_until_the_transformers_change():
    """Does a kernel take a course-written cell's transform from what the grader sent (and work out any other cell's
    itself, once), run top-level await as before, and work out every cell itself once the student's code adds a
    transformer of its own?"""
    done = subprocess.run([sys.executable, "-c", LEAN], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"known": 2, "unknown": 3, "worked_out": 1, "awaited": 4,
                                                        "after_a_new_transformer": 1}
