"""The formgrader's own hooks: nbgrader's formgrader grades through the course's pipeline.

The Autograde button: `grade_instead` is the course's `Autograde.pre_convert_hook` (nbgrader_config.py), so the
formgrader's Autograde button grades through `python -m autograder grade` (same steps, same metadata). When
`grade` succeeds, the hook leaves the converter that called it (nbgrader's Autograde, made for this one request)
nothing to do: no notebook to convert, no folder to set up, no permissions to change; nbgrader then reports
success ("Successfully autograded ...", grade's score table in its log). When `grade` fails, the hook raises
Autograded, which stops the converter and reaches the formgrader as an error whose log and last line say why.
`nbgrader autograde` in a terminal stays nbgrader's own.

What the formgrader shows besides (the LMS names, the "Flagged?" column, late penalties on the final score,
manual grades kept across a regrade) is written into the gradebook by autograder.gradebook, the meeting point;
the notes above a submission on its grading page are autograder.tanotes.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nbgrader.converters.base import BaseConverter

from .course import autograded_notebook, course_root


class Autograded(BaseException):
    """Raised by `grade_instead` when `grade` failed, to stop nbgrader's own converter; its message says why.

    A BaseException on purpose: nbgrader logs an Exception raised by a pre-convert hook and then grades with its
    own converter, and it deletes the autograded folder of a student whose conversion raised an Exception; this
    one stops the converter, leaves what `grade` wrote, and reaches the formgrader (or the terminal) as the
    result's error text.
    """

    def __init__(self, message: str, *, success: bool):
        super().__init__(message)
        self.success = success


def server_log(message: str, *, error: bool = False) -> None:
    """Write `message` to the Jupyter server's log, which the formgrader captures as the log of the Autograde
    button's result (nbgrader's capture_log listens on the converter's logger, the server's)."""
    log = sys.modules["jupyter_server.serverapp"].ServerApp.instance().log  # only called in a Jupyter server
    (log.error if error else log.info)(message)


def in_jupyter_server() -> bool:
    """Is this process a Jupyter server (the formgrader), rather than `nbgrader autograde` in a terminal?"""
    server = sys.modules.get("jupyter_server.serverapp")
    return server is not None and server.ServerApp.initialized()


def grade_instead(*, assignment: str, student: str, notebooks: list) -> None:
    """Autograde.pre_convert_hook: in the formgrader, grade with `python -m autograder grade` instead of nbgrader's
    converter.

    The Autograde button (one student) regrades that student with --force (for every student: what is new or
    changed). On success it leaves the calling converter nothing to do (no notebook, no set-up, no permissions), so
    that nbgrader converts nothing: the autograded notebook, its metadata and the gradebook are exactly what `grade`
    wrote, and the formgrader reports success with grade's table in its log. On failure it raises Autograded with
    grade's reason. Outside a Jupyter server (`nbgrader autograde` in a terminal, the reference the tests and
    benchmarks compare `grade` with) it does nothing.
    """
    paths = [Path(n).resolve() for n in notebooks]
    if not paths or not in_jupyter_server():
        return
    everyone = any(c in str(student) for c in "*?[")
    students = sorted({p.parent.parent.name for p in paths})
    assignment = paths[0].parent.name
    root = course_root(paths[0].parent)
    env = dict(os.environ, COURSE_ROOT=str(root))  # the package is installed (README): no PYTHONPATH needed
    command = ["grade", assignment, "--no-progress", *([] if everyone else ["--force", "--student", *students])]
    done = subprocess.run([sys.executable, "-m", "autograder", *command], cwd=root, env=env, capture_output=True,
                          text=True)
    said = f"`python -m autograder {' '.join(command)}`"
    if done.returncode:
        reason = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        gone = [p for p in paths if not autograded_notebook(root, p.parent.parent.name, assignment).is_file()]
        removed = (f"nbgrader removed the autograded notebook of {', '.join(p.parent.parent.name for p in gone)} "
                   "before calling the course's pipeline (the button's --force); the gradebook keeps the grades, and "
                   f"`python -m autograder grade {assignment} --student ...` writes it again once the cause is "
                   "fixed\n") if gone else ""
        message = (f"{done.stdout}{done.stderr}{removed}(nbgrader's own autograde is not used for this course: "
                   f"docs/GRADING.md)\n{said} failed (exit {done.returncode}): {reason}")  # the reason last
        server_log(message, error=True)
        raise Autograded(message, success=False)
    converter = calling_converter()
    if converter is None:  # called otherwise than by nbgrader's converter: stop whatever called it
        raise Autograded(f"graded by {said}; the gradebook is up to date:\n{done.stdout}", success=True)
    server_log(f"graded by {said}, the course's pipeline (docs/GRADING.md); the gradebook is up to date:\n"
               f"{done.stdout}")
    # the autograded notebook and the gradebook are what `grade` wrote: nbgrader's converter is left nothing to do.
    # (An empty list alone would not do: its init_assignment raises "No notebooks found", and the converter then
    # deletes the student's autograded folder.)
    notebooks.clear()
    converter.init_assignment = lambda assignment_id, student_id: None
    converter.set_permissions = lambda assignment_id, student_id: None


def calling_converter() -> BaseConverter | None:
    """The nbgrader converter (Autograde) whose pre-convert hook is running, found on the call stack; None if the
    hook was called otherwise."""
    frame = sys._getframe(1)
    while frame is not None:
        found = frame.f_locals.get("self")
        if isinstance(found, BaseConverter):
            return found
        frame = frame.f_back
    return None


__all__ = ["Autograded", "calling_converter", "grade_instead", "in_jupyter_server", "server_log"]
