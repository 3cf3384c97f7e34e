"""Does the command line start the local pool's server first, so that its import of nbgrader runs beside its own?"""
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import autograder

WATCH = """
import json, sys
from autograder import cli, forkserver

class Reached(Exception):
    pass

calls = []

def start_server():  # what was imported when the server was started
    calls.append(sorted(m for m in sys.modules if m.split(".")[0] == "nbgrader"
                        or m in ("autograder.grade", "autograder.serve")))
    raise Reached("server")

def stage(**kwargs):
    raise Reached("stage")

forkserver.start_server = start_server
if "--scheduler" in sys.argv:  # the stage itself is not run here: only whether the server was started first
    import autograder.grade, autograder.serve
    autograder.grade.grade = autograder.serve.serve = stage
try:
    cli.main(sys.argv[1:])
    reached = None
except Reached as exc:
    reached = str(exc)
print(json.dumps({"calls": calls, "reached": reached}))
"""


def _watched(tmp_path, *argv: str) -> dict:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    done = subprocess.run([sys.executable, "-c", WATCH, *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "COURSE_ROOT"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", [["grade", "some_assignment"], ["serve"]])
def test_the_command_line_starts_the_workers_server_before_it_imports_nbgrader(tmp_path, command):
    """Do `grade` and `serve` (on the local pool) start the fork server before anything of nbgrader or of the
    stage is imported?"""
    found = _watched(tmp_path, *command)
    assert found == {"calls": [[]], "reached": "server"}


@pytest.mark.parametrize("command", [["grade", "some_assignment"], ["serve"]])
def test_with_a_scheduler_no_local_server_is_started(tmp_path, command):
    """Given a Dask scheduler, do `grade` and `serve` go to their stage without starting the local pool's server?"""
    found = _watched(tmp_path, *command, "--scheduler", "tcp://127.0.0.1:9")
    assert found == {"calls": [], "reached": "stage"}


def test_the_server_module_imports_only_the_standard_library():
    """Is starting the server cheap: does importing autograder.forkserver load nothing from outside the standard
    library but the package itself?"""
    script = ("import json, sys\nbefore = set(sys.modules)\nimport autograder.forkserver\n"
              "print(json.dumps({m: getattr(sys.modules[m], '__file__', None) for m in set(sys.modules) - before}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "autograder.forkserver" in loaded
    places = (Path(sysconfig.get_paths()["stdlib"]).resolve(), Path(autograder.__file__).resolve().parent)
    outside = {m: f for m, f in loaded.items() if f and not any(Path(f).resolve().is_relative_to(p) for p in places)}
    assert outside == {}
