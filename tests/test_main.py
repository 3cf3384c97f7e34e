"""python -m autograder: the command line's entry point."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PROBE = ("import atexit, gc, runpy, sys; atexit.register(lambda: print('frozen', gc.get_freeze_count())); "
         "sys.argv = ['autograder', 'grade', 'no-such-assignment']; "
         "runpy.run_module('autograder', run_name='__main__')")


def test_a_command_exits_with_its_code_and_what_it_made_is_left_out_of_the_last_collections(tmp_path):
    """Does `python -m autograder` exit with the command's own code (2: an error it explains), with what the command
    made frozen by then, so that the interpreter's collections at exit do not go through it all again?"""
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr[-2000:]
    assert "error: unknown assignment 'no-such-assignment'" in done.stderr
    assert int(done.stdout.split()[-1]) > 1000, done.stdout  # objects frozen, as the last thing before the exit
