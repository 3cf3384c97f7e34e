"""What the TA sees in nbgrader's formgrader, kept in line with the pipeline (gradebook.db is the meeting point).

- names: the LMS name and user id `collect` read from each file name (collect.json) fill the gradebook's empty
  student fields, so the formgrader shows them instead of "None, None";
- flags: a submission whose autograded notebook carries a flag (`metadata.autograder.flags`) of severity
  `GradebookSync.flag_severity` or above is set `flagged` when it is graded, so the formgrader's "Flagged?"
  column shows it (a TA who reviews it may unflag it; the next regrade flags it again);
- late penalties: nbgrader freezes a penalty when it autogrades; `late_penalties` re-runs nbgrader's own
  AssignLatePenalties (the configured LatePolicy) on the current score, manual grades included;
- reviews: nbgrader's SaveAutoGrades marks every manually graded answer "needs manual grade" again when the
  notebook is regraded; `keep_reviews` keeps the manual grades and their graded state across a regrade;
- the Autograde button: `grade_instead` is the course's `Autograde.pre_convert_hook`, so the formgrader's
  Autograde button grades through `python -m autograder grade` (same steps, same metadata), and nbgrader's own
  converter is stopped before it converts anything (the formgrader then shows grade's output as the message of an
  unsuccessful result). `nbgrader autograde` in a terminal stays nbgrader's own.
"""
from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from traitlets import Enum
from traitlets.config import LoggingConfigurable

SEVERITIES = ("notice", "limit", "attempt")  # least to most serious (autograder.sandbox.scan)


class GradebookSync(LoggingConfigurable):
    """How the pipeline marks submissions for the formgrader (c.GradebookSync.* in nbgrader_config.py)."""

    flag_severity = Enum(
        SEVERITIES, "limit",
        help="Least severity of a flag that sets nbgrader's `flagged` on the submission (the formgrader's "
             "'Flagged?' column): 'limit' (a limit was hit, logged as a warning) and 'attempt' (an attempt on "
             "the grading); 'notice' also flags harmless-looking ones").tag(config=True)


def at_least(flags: list[dict], least: str) -> list[dict]:
    """The flags of severity `least` or above (unknown severities count as serious)."""
    rank = SEVERITIES.index(least)
    return [f for f in flags if f.get("severity") not in SEVERITIES or SEVERITIES.index(f["severity"]) >= rank]


def describe_flags(flags: list[dict]) -> str:
    """Flags in one line, cells of the same kind together: 'attempt patch-numpy (forward_pass); limit timeout (3, 4)'."""
    cells: dict[tuple[str, str], list[str]] = {}
    for f in flags:
        where = cells.setdefault((str(f.get("severity", "?")), str(f.get("code", "?"))), [])
        if str(f.get("cell", "?")) not in where:
            where.append(str(f.get("cell", "?")))
    return "; ".join(f"{severity} {code} ({', '.join(where)})" for (severity, code), where in cells.items())


def _gradebook(config):
    from nbgrader.api import Gradebook

    return Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id)


def _has_gradebook(config) -> bool:
    from .database import missing_gradebook

    return missing_gradebook(config.CourseDirectory.db_url) is None


# ---------------------------------------------------------------------------------------------------------------
# names

def lms_identity(root: Path, student: str, assignment: str) -> dict:
    """What collect.json says of the student's LMS identity: {'lms_name': ..., 'lms_user_id': ...} (empty: none)."""
    from .collect import collect_record

    data = collect_record(root, student, assignment)
    return {k: str(data[k]) for k in ("lms_name", "lms_user_id") if data.get(k)}


def fill_names(*, root: Path, assignment: str, config, students: list[str]) -> list[str]:
    """Fill the gradebook's empty name fields and LMS user id of `students` from their collect.json.

    The LMS gives one name (Canvas: 'doejane'); it goes into last_name, with an empty first_name, which the
    formgrader shows as 'doejane, '. Fields a TA filled in (in the formgrader) are kept. Returns who changed.
    """
    if not _has_gradebook(config):
        return []
    changed = []
    with _gradebook(config) as gb:
        for student in students:
            known = lms_identity(root, student, assignment)
            if not known:
                continue
            row = gb.update_or_create_student(student)
            wanted = {}
            if known.get("lms_name") and not row.last_name and not row.first_name:
                wanted.update(last_name=known["lms_name"], first_name="")
            if known.get("lms_user_id") and not row.lms_user_id:
                wanted["lms_user_id"] = known["lms_user_id"]
            if wanted:
                gb.update_or_create_student(student, **wanted)
                changed.append(student)
    return changed


# ---------------------------------------------------------------------------------------------------------------
# flags and reviews (called by grade's parent process while it records a submission)

def flag_submission(*, db_url: str, course_id: str, assignment: str, student: str, flags: list[dict],
                    least: str) -> bool:
    """Set nbgrader's `flagged` on the student's submitted notebooks when `flags` holds one of `least` or above."""
    from nbgrader.api import Gradebook, MissingEntry

    if not at_least(flags, least):
        return False
    with Gradebook(db_url, course_id) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return False
        for notebook in submission.notebooks:
            notebook.flagged = True
        gb.db.commit()
    return True


@contextmanager
def keep_reviews(*, db_url: str, course_id: str, assignment: str, student: str):
    """Around a regrade: answers a TA graded (manual score given, no longer 'needs manual grade') stay graded.

    nbgrader's SaveAutoGrades keeps manual scores but marks them for review again; the formgrader would then list
    answers already graded as ungraded.
    """
    from nbgrader.api import Gradebook, MissingEntry

    reviewed = set()
    with Gradebook(db_url, course_id) as gb:
        try:
            for notebook in gb.find_submission(assignment, student).notebooks:
                reviewed |= {(notebook.name, g.name) for g in notebook.grades
                             if g.manual_score is not None and not g.needs_manual_grade}
        except MissingEntry:
            pass
    yield reviewed
    if not reviewed:
        return
    with Gradebook(db_url, course_id) as gb:
        for notebook in gb.find_submission(assignment, student).notebooks:
            for g in notebook.grades:
                if (notebook.name, g.name) in reviewed and g.manual_score is not None:
                    g.needs_manual_grade = False
        gb.db.commit()


# ---------------------------------------------------------------------------------------------------------------
# late penalties

def sync_due_date(*, assignment: str, config) -> bool:
    """Write the LatePolicy's deadline of `assignment` into the gradebook as its due date; True if it changed."""
    from .late import LatePolicy

    deadline = LatePolicy(config=config).deadline(assignment)
    if deadline is None:
        return False
    with _gradebook(config) as gb:
        if gb.find_assignment(assignment).duedate == deadline:
            return False
        gb.update_or_create_assignment(assignment, duedate=deadline)
    return True


def late_penalties(*, assignment: str, config) -> dict[str, float]:
    """Re-run nbgrader's AssignLatePenalties (the configured plugin) on every submission's current score, manual
    grades included, after writing the policy's due date; {student: penalty}."""
    import nbformat
    from nbgrader.preprocessors import AssignLatePenalties

    sync_due_date(assignment=assignment, config=config)
    with _gradebook(config) as gb:
        pairs = [(s.student.id, [n.name for n in s.notebooks]) for s in gb.assignment_submissions(assignment)]
    step = AssignLatePenalties(config=config)
    for student, notebooks in pairs:
        for notebook in notebooks:
            resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": notebook,
                                      "db_url": config.CourseDirectory.db_url}}
            step.preprocess(nbformat.v4.new_notebook(), resources)
    with _gradebook(config) as gb:
        return {s.student.id: float(s.late_submission_penalty or 0.0) for s in gb.assignment_submissions(assignment)}


# ---------------------------------------------------------------------------------------------------------------
# the formgrader's Autograde button

class Autograded(BaseException):
    """Raised by `grade_instead` after `grade` ran, to stop nbgrader's own converter: success or failure, its
    message says what `grade` did.

    A BaseException on purpose: nbgrader logs an Exception raised by a pre-convert hook and then grades with its
    own converter, and it deletes the autograded folder of a student whose conversion raised an Exception; this
    one stops the converter, leaves what `grade` wrote, and reaches the formgrader (or the terminal) as the
    result's error text.
    """

    def __init__(self, message: str, *, success: bool):
        super().__init__(message)
        self.success = success


def in_jupyter_server() -> bool:
    """Is this process a Jupyter server (the formgrader), rather than `nbgrader autograde` in a terminal?"""
    server = sys.modules.get("jupyter_server.serverapp")
    return server is not None and server.ServerApp.initialized()


def grade_instead(*, assignment: str, student: str, notebooks: list) -> None:
    """Autograde.pre_convert_hook: in the formgrader, grade with `python -m autograder grade` instead of nbgrader's
    converter.

    The Autograde button (one student) regrades that student with --force (for every student: what is new or
    changed). Then it raises Autograded, so that nbgrader converts nothing: the autograded notebook, its metadata
    and the gradebook are exactly what `grade` wrote. Outside a Jupyter server (`nbgrader autograde` in a terminal,
    the reference the tests and benchmarks compare `grade` with) it does nothing.
    """
    from .course import course_root

    paths = [Path(n).resolve() for n in notebooks]
    if not paths or not in_jupyter_server():
        return
    everyone = any(c in str(student) for c in "*?[")
    students = sorted({p.parent.parent.name for p in paths})
    assignment = paths[0].parent.name
    root = course_root(paths[0].parent)
    env = dict(os.environ, COURSE_ROOT=str(root),
               PYTHONPATH=os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]))
    command = ["grade", assignment, "--no-progress", *([] if everyone else ["--force", "--student", *students])]
    done = subprocess.run([sys.executable, "-m", "autograder", *command], cwd=root, env=env, capture_output=True,
                          text=True)
    said = f"`python -m autograder {' '.join(command)}`"
    if done.returncode:
        raise Autograded(f"{said} failed (exit {done.returncode}); nbgrader's own autograde is not used for this "
                         f"course (docs/GRADING.md):\n{done.stdout}{done.stderr}", success=False)
    raise Autograded(f"graded by {said}, the course's pipeline, instead of nbgrader's own autograde (so this "
                     f"reports no 'success'; docs/GRADING.md). The gradebook is up to date:\n{done.stdout}",
                     success=True)


__all__ = ["GradebookSync", "SEVERITIES", "at_least", "describe_flags", "fill_names", "flag_submission",
           "Autograded", "grade_instead", "keep_reviews", "late_penalties", "lms_identity", "sync_due_date"]
