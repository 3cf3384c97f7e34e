"""What a sandbox's kernel changes in IPython's path for a cell (autograder/sandbox/leanshell.py): work done once."""
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
    from autograder.sandbox.leanshell import lean_cell_path

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


ERRORS = textwrap.dedent("""
    import json
    from IPython.core.interactiveshell import InteractiveShell
    from autograder.sandbox.leanshell import one_format_per_error

    shell = InteractiveShell.instance()
    handler = shell.InteractiveTB
    format_, calls, shown = handler.structured_traceback, [], []
    handler.structured_traceback = lambda *a, **k: (calls.append(1), format_(*a, **k))[1]
    one_format_per_error(shell)
    shell._showtraceback = lambda etype, evalue, stb: shown.append(stb)
    shell.run_cell("def f(x):\\n    raise ValueError(x)\\n", store_history=True)
    seen = {}
    for run, cell in enumerate(["f(1)", "f(2)", "%xmode Verbose", "f(3)"]):
        result = shell.run_cell(cell, store_history=True)
        if result.error_in_exec is None:
            continue
        e = result.error_in_exec
        kept = shell.history_manager.exceptions[result.execution_count]["traceback"]
        seen[cell] = {"calls": len(calls), "kept_is_shown": kept == shown[-1],
                      "as_ipython_makes_it": kept == format_(type(e), e, e.__traceback__, tb_offset=1),
                      "says": str(e) in "".join(kept)}
    print(json.dumps(seen))
    """)


def test_an_error_is_formatted_once_and_shown_and_kept_as_ipython_makes_it():
    """Is a failing cell's traceback formatted once where IPython formats it twice (to show it, to keep it in the
    history), both the lines IPython makes, each new error formatted anew, and twice again in a mode that shows
    variables' values?"""
    done = subprocess.run([sys.executable, "-c", ERRORS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    well = {"kept_is_shown": True, "as_ipython_makes_it": True, "says": True}
    assert seen == {"f(1)": {"calls": 1, **well}, "f(2)": {"calls": 2, **well}, "f(3)": {"calls": 4, **well}}
