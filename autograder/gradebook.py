"""gradebook: the one module that reads and writes the gradebook (CourseDirectory.db_url, SQLite or a server).

- assignments: `require_gradebook`, `stored_assignment` (the loud errors that say to release first), the due date
  from the LatePolicy (`sync_due_date`), the workers' snapshot of an assignment's cells (`write_snapshot`: no
  students, no grades);
- the parent's writes while grading (`Recorder`): nbgrader's record steps (SaveAutoGrades, AssignLatePenalties),
  the student and the submission, the flag, the kept reviews, then the autograded notebook with its key;
- students and their names: the LMS name and user id `collect` read from each file name (collect.json) fill the
  gradebook's empty student fields (`fill_names`, `name_fields`), the id where no name is known, so the
  formgrader shows 'doejane, Canvas 12345' or 'aa0001, no LMS name', never "None, None";
- flags: a submission whose autograded notebook carries a flag (`metadata.autograder.flags`) of severity
  `GradebookSync.flag_severity` or above is set `flagged` when it is graded (`flag_submission`), so the
  formgrader's "Flagged?" column shows it (a TA who reviews it may unflag it; the next regrade flags it again);
- late penalties: nbgrader freezes a penalty when it autogrades; `late_penalties` re-runs nbgrader's own
  AssignLatePenalties (the configured LatePolicy) on the current score, manual grades included;
- review marks: nbgrader's SaveAutoGrades marks every manually graded answer "needs manual grade" again when the
  notebook is regraded; `keep_reviews` keeps the manual grades and their graded state across a regrade;
- what the stages read back: `scores` (grade, demo), `stored_submissions` (report), `submitted_students`.

nbgrader (and with it SQLAlchemy) is imported by the functions that use it, not at import time: `grade` imports
this module before it starts its workers, which import nbgrader meanwhile (autograder.forkserver.start_server).
"""
from __future__ import annotations

import os
import sqlite3
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
from traitlets import Enum
from traitlets.config import LoggingConfigurable

from .core import RETRIED, Graded, Outcome, failure_notebook, notebook_from_json, pipelines
from .course import (CourseError, autograded_notebook, collect_record, collected_students, grading_record,
                     release_notebook, submitted_notebook)
from .database import database_url, describe, missing_gradebook, redacted, sqlite_file
from .nbconfig import load_config

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
    return missing_gradebook(config.CourseDirectory.db_url) is None


# ---------------------------------------------------------------------------------------------------------------
# assignments

def db_path(config) -> Path:
    """The gradebook's SQLite file (a CourseError for a database server: see require_gradebook)."""
    path = sqlite_file(config.CourseDirectory.db_url)
    if path is None:
        raise CourseError(f"CourseDirectory.db_url {redacted(config.CourseDirectory.db_url)}: not a SQLite file")
    return path


def require_gradebook(config, assignment: str) -> None:
    """A CourseError saying to release first when CourseDirectory.db_url holds no gradebook (file or server)."""
    problem = missing_gradebook(config.CourseDirectory.db_url)
    if problem is not None:
        raise CourseError(f"{problem}; run `python -m autograder release {assignment}` first")


def stored_assignment(gb, config, assignment: str):
    """The gradebook's entry of `assignment` in the open Gradebook `gb`; a CourseError saying to release it first
    when it has none."""
    from nbgrader.api import MissingEntry

    try:
        return gb.find_assignment(assignment)
    except MissingEntry:
        raise CourseError(f"{describe(config.CourseDirectory.db_url)}: {assignment} is not in the gradebook; "
                          f"run `python -m autograder release {assignment}` first") from None


def ungraded(config, assignment: str, students: list[str]) -> set[str]:
    """Those of `students` whose autograded scores are not all in the gradebook (a CourseError when the
    assignment is not in it)."""
    with _gradebook(config) as gb:
        stored_assignment(gb, config, assignment)
        return {s for s in students if not _complete(gb, assignment, s)}


def sync_due_date(*, assignment: str, config) -> bool:
    """Write the LatePolicy's deadline of `assignment` into the gradebook as its due date; True if it changed."""
    # imported here, not at the top: late.py imports nbgrader (3.2 s measured with `python -X importtime` on this
    # 2-core machine under load), which grade's parent imports while its workers start (forkserver.start_server)
    from .late import LatePolicy

    deadline = LatePolicy(config=config).deadline(assignment)
    with _gradebook(config) as gb:
        stored = stored_assignment(gb, config, assignment)
        if deadline is None or stored.duedate == deadline:  # no deadline configured: keep nbgrader's own
            return False
        gb.update_or_create_assignment(assignment, duedate=deadline)
    return True


def late_penalties(*, assignment: str, config, students: list[str] | None = None) -> dict[str, float]:
    """Re-run nbgrader's AssignLatePenalties (the configured plugin) on every submission's (or `students'`) current
    score, manual grades included, after writing the policy's due date; {student: penalty}."""
    from nbgrader.preprocessors import AssignLatePenalties

    sync_due_date(assignment=assignment, config=config)
    with _gradebook(config) as gb:
        pairs = [(s.student.id, [n.name for n in s.notebooks]) for s in gb.assignment_submissions(assignment)
                 if students is None or s.student.id in students]
    step = AssignLatePenalties(config=config)
    for student, notebooks in pairs:
        for notebook in notebooks:
            resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": notebook,
                                      "db_url": config.CourseDirectory.db_url}}
            step.preprocess(nbformat.v4.new_notebook(), resources)
    with _gradebook(config) as gb:
        return {s.student.id: float(s.late_submission_penalty or 0.0) for s in gb.assignment_submissions(assignment)
                if students is None or s.student.id in students}


@dataclass(frozen=True)
class Standing:
    """A submission as the TA grading it should see it, from the gradebook now (manual points included)."""
    score: float
    max_score: float
    late_penalty: float                  # on the current score (AssignLatePenalties re-run)
    timestamp: datetime | None
    seconds_late: float
    ungraded: tuple[str, ...]            # grade ids nobody has graded yet (written answers for a TA)

    @property
    def total(self) -> float:
        return max(0.0, self.score - self.late_penalty)


def standing(*, config, assignment: str, student: str) -> Standing | None:
    """The student's submission of `assignment` now, its late penalty recomputed on the current score (and stored,
    as `report` does); None when the gradebook has no such submission."""
    from nbgrader.api import MissingEntry

    late_penalties(assignment=assignment, config=config, students=[student])
    with _gradebook(config) as gb:
        try:
            s = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        ungraded = tuple(g.name for n in s.notebooks for g in n.grades
                         if g.auto_score is None and g.manual_score is None)
        return Standing(float(s.score), float(s.max_score), float(s.late_submission_penalty or 0.0), s.timestamp,
                        float(s.total_seconds_late or 0.0), ungraded)


# ---------------------------------------------------------------------------------------------------------------
# the grading workers' snapshot of one assignment's cells

SNAPSHOT_SQL = """
DELETE FROM grade; DELETE FROM comment; DELETE FROM submitted_notebook; DELETE FROM submitted_assignment;
DELETE FROM student;
CREATE TEMP TABLE other_cells AS SELECT b.id FROM base_cell b JOIN notebook n ON b.notebook_id = n.id
    JOIN assignment a ON n.assignment_id = a.id WHERE a.name != :assignment;
DELETE FROM grade_cells WHERE id IN (SELECT id FROM other_cells);
DELETE FROM solution_cells WHERE id IN (SELECT id FROM other_cells);
DELETE FROM task_cells WHERE id IN (SELECT id FROM other_cells);
DELETE FROM base_cell WHERE id IN (SELECT id FROM other_cells);
DELETE FROM source_cell WHERE notebook_id IN (SELECT n.id FROM notebook n JOIN assignment a
    ON n.assignment_id = a.id WHERE a.name != :assignment);
DELETE FROM notebook WHERE assignment_id IN (SELECT id FROM assignment WHERE name != :assignment);
DELETE FROM assignment WHERE name != :assignment;
"""


def snapshot(database: Path, assignment: str, path: Path) -> None:
    """Copy of the gradebook holding only `assignment`'s notebooks and cells: no students, no grades.

    Workers read the cells nbgrader's OverwriteCells restores from it, and never open gradebook.db. (A new
    gradebook would cost an `alembic` run of several seconds; a pruned copy costs milliseconds.)
    """
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        for statement in SNAPSHOT_SQL.split(";"):
            if statement.strip():
                target.execute(statement, {"assignment": assignment} if ":assignment" in statement else {})
        target.commit()
        target.execute("VACUUM")
    finally:
        source.close()
        target.close()


def snapshot_cells(url: str, assignment: str, path: Path) -> None:
    """Write to `path` a SQLite gradebook holding only `assignment`'s notebooks and cells (no students, no grades),
    copied row by row from the gradebook at `url` (any database nbgrader supports)."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, inspect, select, text

    source = create_engine(database_url(url))
    target = create_engine(f"sqlite:///{path}")
    tables = Base.metadata.tables
    try:
        Base.metadata.create_all(bind=target)
        with source.connect() as read, target.begin() as write:
            if "alembic_version" in inspect(read).get_table_names():
                versions = read.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
                write.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
                for version in versions:
                    write.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
            assignments, notebooks, cells = tables["assignment"], tables["notebook"], tables["base_cell"]
            chosen = select(assignments.c.id).where(assignments.c.name == assignment)
            their_notebooks = select(notebooks.c.id).where(notebooks.c.assignment_id.in_(chosen))
            their_cells = select(cells.c.id).where(cells.c.notebook_id.in_(their_notebooks))
            copies = [
                (tables["course"], None),
                (assignments, assignments.c.name == assignment),
                (notebooks, notebooks.c.assignment_id.in_(chosen)),
                (cells, cells.c.notebook_id.in_(their_notebooks)),
                (tables["source_cell"], tables["source_cell"].c.notebook_id.in_(their_notebooks)),
            ] + [(tables[name], tables[name].c.id.in_(their_cells))
                 for name in ("grade_cells", "solution_cells", "task_cells")]
            for table, where in copies:
                query = select(table) if where is None else select(table).where(where)
                rows = [dict(row._mapping) for row in read.execute(query)]
                if rows:
                    write.execute(table.insert(), rows)
    finally:
        source.dispose()
        target.dispose()


def write_snapshot(config, assignment: str, path: Path) -> None:
    """Write to `path` the SQLite snapshot of `assignment`'s cells the grading workers read (no students, no
    grades): a pruned copy of a SQLite gradebook, else a copy row by row from the database server."""
    if sqlite_file(config.CourseDirectory.db_url) is not None:
        snapshot(db_path(config), assignment, path)
    else:
        snapshot_cells(config.CourseDirectory.db_url, assignment, path)



# ---------------------------------------------------------------------------------------------------------------
# students and their names

def lms_identity(root: Path, student: str, assignment: str) -> dict:
    """What collect.json says of the student's LMS identity: {'lms_name': ..., 'lms_user_id': ...} (empty: none)."""
    data = collect_record(root, student, assignment)
    return {k: str(data[k]) for k in ("lms_name", "lms_user_id") if data.get(k)}


def name_fields(student: str, known: dict, first_name, last_name) -> dict:
    """The gradebook's name fields of `student` as the formgrader shows them ("last_name, first_name"): the LMS
    name and user id where collect read them ('doejane, Canvas 12345'), else the id ('aa0001, no LMS name').

    Names a TA typed in the formgrader are kept: only empty fields, or the LMS name alone (what an earlier version
    wrote, shown 'doejane, '), are filled. Returns the fields to change (empty: none)."""
    name = known.get("lms_name") or student
    user = known.get("lms_user_id")
    label = f"Canvas {user}" if user else "no LMS name"
    if not last_name and not first_name:
        return {"last_name": name, "first_name": label}
    if last_name == name and not first_name:
        return {"first_name": label}
    return {}


def fill_names(*, root: Path, assignment: str, config, students: list[str]) -> list[str]:
    """Fill the gradebook's empty name fields and LMS user id of `students` from their collect.json (see
    `name_fields`), so the formgrader never shows "None, None". Returns who changed."""
    if not _has_gradebook(config):
        return []
    changed = []
    with _gradebook(config) as gb:
        for student in students:
            known = lms_identity(root, student, assignment)
            row = gb.update_or_create_student(student)
            wanted = name_fields(student, known, row.first_name, row.last_name)
            if known.get("lms_user_id") and not row.lms_user_id:
                wanted["lms_user_id"] = known["lms_user_id"]
            if wanted:
                gb.update_or_create_student(student, **wanted)
                changed.append(student)
    return changed


# ---------------------------------------------------------------------------------------------------------------
# the parent's writes while grading: flags, review marks, the record steps

def flag_submission(*, gradebook, assignment: str, student: str, flags: list[dict], least: str) -> bool:
    """Set nbgrader's `flagged` on the student's submitted notebooks in the open `gradebook` when `flags` holds one
    of `least` or above (committed with the gradebook's session)."""
    from nbgrader.api import MissingEntry

    if not at_least(flags, least):
        return False
    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return False
    for notebook in submission.notebooks:
        notebook.flagged = True
    gradebook.db.commit()
    return True


@contextmanager
def keep_reviews(*, gradebook, assignment: str, student: str):
    """Around a regrade in the open `gradebook`: answers a TA graded (manual score given, no longer 'needs manual
    grade') stay graded.

    nbgrader's SaveAutoGrades keeps manual scores but marks them for review again; the formgrader would then list
    answers already graded as ungraded.
    """
    from nbgrader.api import MissingEntry

    reviewed = set()
    try:
        for notebook in gradebook.find_submission(assignment, student).notebooks:
            reviewed |= {(notebook.name, g.name) for g in notebook.grades
                         if g.manual_score is not None and not g.needs_manual_grade}
    except MissingEntry:
        pass
    yield reviewed
    if not reviewed:
        return
    gradebook.db.expire_all()  # what the steps wrote (maybe through a session of their own), not what was read
    for notebook in gradebook.find_submission(assignment, student).notebooks:
        for g in notebook.grades:
            if (notebook.name, g.name) in reviewed and g.manual_score is not None:
                g.needs_manual_grade = False
    gradebook.db.commit()


def _complete(gb, assignment: str, student: str) -> bool:
    """Are the student's autograded scores in the gradebook?"""
    from nbgrader.api import MissingEntry

    try:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
    except MissingEntry:
        return False
    return all(g.auto_score is not None or g.manual_score is not None or g.cell_type != "code"
               for g in notebook.grades)


class Recorder:
    """The parent's writes: gradebook first, in one transaction (the student, the submission, nbgrader's record
    steps, the kept reviews, the flag), then the autograded notebook with its key."""

    def __init__(self, root: Path, assignment: str, config):
        self.root, self.assignment, self.config = root, assignment, config
        self.db_url = config.CourseDirectory.db_url
        self.course_id = config.CourseDirectory.course_id
        self.steps = [cls(config=config) for cls in pipelines(config)[2]]
        self.release = nbformat.read(release_notebook(root, assignment), as_version=4)
        self.flag_severity = GradebookSync(config=config).flag_severity
        self._engine = None

    def student_info(self, student: str) -> tuple[dict, object]:
        """(what collect.json says of the student's LMS identity, the submission's time or None)."""
        from nbgrader.utils import parse_utc

        stamp = submitted_notebook(self.root, student, self.assignment).parent / "timestamp.txt"
        when = stamp.read_text().strip() if stamp.is_file() else ""
        return lms_identity(self.root, student, self.assignment), parse_utc(when) if when else None

    @contextmanager
    def open_gradebook(self):
        """An OpenGradebook whose writes are committed together when the block ends (rolled back if it raises).

        nbgrader's own steps (those that open a Gradebook of their own) are run by `record` after a commit."""
        import nbgrader.api as api
        from sqlalchemy.orm import Session

        # imported here, not at the top: it imports nbgrader (3.2 s measured, see sync_due_date), which grade's
        # parent imports while its workers start
        from .preprocessors.opengradebook import OpenGradebook

        if self._engine is None:
            with _gradebook(self.config):  # the course rows nbgrader's steps check as they open (no course: made)
                pass
            with api.Gradebook(self.db_url):
                pass
            self._engine = api.create_engine(self.db_url, echo=False, future=True)  # nbgrader's (shared) engine
        connection = self._engine.connect()
        try:
            connection.begin()
            with Session(bind=connection, join_transaction_mode="rollback_only", autoflush=True) as session:
                yield OpenGradebook(session, self.course_id)
                session.commit()  # the steps' last writes flushed
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

    def record(self, outcome: Outcome, key: str) -> Graded:
        from nbgrader.api import MissingEntry

        from .preprocessors.opengradebook import InOpenGradebook  # here: nbgrader's import, 3.2 s measured (above)

        nb = notebook_from_json(outcome.notebook) if outcome.notebook else \
            failure_notebook(self.release, outcome)
        if outcome.flag:  # the TA is told, as the sandbox tells of links beside the notebook
            nb.metadata.setdefault("autograder", {}).setdefault("flags", []).append(
                {"code": outcome.flag, "severity": "attempt", "cell": "notebook", "message": outcome.detail})
        known, timestamp = self.student_info(outcome.student)
        with self.open_gradebook() as gb:
            try:
                row = gb.find_student(outcome.student)
            except MissingEntry:
                row = None
            fields = {"lms_user_id": known["lms_user_id"]} if known.get("lms_user_id") else {}
            fields.update(name_fields(outcome.student, known, row and row.first_name, row and row.last_name))
            if row is None or any(getattr(row, k) != v for k, v in fields.items()):
                gb.update_or_create_student(outcome.student, **fields)
            with warnings.catch_warnings():
                # nbgrader's add_submission touches relationships before adding the new row; SQLAlchemy warns
                warnings.filterwarnings("ignore", message=".*not in session, add operation along")
                gb.update_or_create_submission(self.assignment, outcome.student, timestamp=timestamp)
            resources = {"nbgrader": {"student": outcome.student, "assignment": self.assignment,
                                      "notebook": self.assignment, "db_url": self.db_url, "gradebook": gb}}
            where = dict(gradebook=gb, assignment=self.assignment, student=outcome.student)
            with keep_reviews(**where):  # a regrade keeps the TA's manual grades graded
                for step in self.steps:
                    if not isinstance(step, InOpenGradebook):  # it opens its own Gradebook: it reads what is committed
                        gb.commit_so_far()
                    nb, resources = step(nb, resources)
            flag_submission(**where, flags=nb.metadata.get("autograder", {}).get("flags", []),
                            least=self.flag_severity)  # the formgrader's "Flagged?"
            gb.db.commit()
            submission = gb.find_submission(self.assignment, outcome.student)
            graded = Graded(outcome.student, outcome.status, float(submission.score), float(submission.max_score),
                            float(submission.late_submission_penalty or 0.0), outcome.repairs, outcome.detail,
                            outcome.seconds, outcome.execute_seconds)
        nb.metadata.setdefault("autograder", {}).update({  # next to what the Execute step put there
            "key": key if outcome.status not in RETRIED else "", "status": outcome.status, "detail": outcome.detail,
            "repairs": list(outcome.repairs), "seconds": round(outcome.seconds, 3),
            "execute_seconds": round(outcome.execute_seconds, 3)})
        target = autograded_notebook(self.root, outcome.student, self.assignment)
        _write_atomic(target, nbformat.writes(nb))  # last: its key says "these grades are in the gradebook"
        stamp = submitted_notebook(self.root, outcome.student, self.assignment).parent / "timestamp.txt"
        if stamp.is_file():
            _write_atomic(target.parent / "timestamp.txt", stamp.read_text())
        return graded

    def reapply_late_penalties(self, students: list[str]) -> None:
        """Re-run the late-penalty step on already graded students (after a deadline change)."""
        from nbgrader.preprocessors import AssignLatePenalties

        steps = [s for s in self.steps if isinstance(s, AssignLatePenalties)]
        for student in students:
            path = autograded_notebook(self.root, student, self.assignment)
            nb = nbformat.read(path, as_version=4)
            resources = {"nbgrader": {"student": student, "assignment": self.assignment,
                                      "notebook": self.assignment, "db_url": self.db_url}}
            for step in steps:
                step(nb, resources)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------------------
# what the stages read back

def scores(*, root: Path, assignment: str) -> list[Graded]:
    """Every graded student's result as the gradebook and autograded notebooks hold it now."""
    from nbgrader.api import Gradebook, MissingEntry

    config = load_config(root)
    require_gradebook(config, assignment)
    found = []
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gb:
        for student in collected_students(root, assignment):
            record = grading_record(root, student, assignment)
            try:
                s = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            found.append(Graded(student, record.get("status", "graded by nbgrader"), float(s.score),
                                float(s.max_score), float(s.late_submission_penalty or 0.0),
                                tuple(record.get("repairs", [])), record.get("detail", ""),
                                record.get("seconds", 0.0), record.get("execute_seconds", 0.0)))
    return found


def submitted_students(config, assignment: str) -> list[str]:
    """The students with a submission of `assignment` in the gradebook, sorted (a CourseError saying to release
    first when there is no gradebook or no such assignment in it)."""
    require_gradebook(config, assignment)
    with _gradebook(config) as gb:
        stored_assignment(gb, config, assignment)
        return sorted(s.student.id for s in gb.assignment_submissions(assignment))


@dataclass(frozen=True)
class StoredSubmission:
    """One submission as the gradebook holds it."""
    student: str
    questions: dict[str, float | None]   # grade_id -> points (None: not graded yet, e.g. a written answer)
    max_points: dict[str, float]         # grade_id -> points possible
    score: float
    max_score: float
    late_penalty: float
    timestamp: datetime | None
    lms_user_id: str


def stored_submissions(config, assignment: str) -> list[StoredSubmission]:
    """Every submission of `assignment` in the gradebook, by student id."""
    found = []
    with _gradebook(config) as gb:
        for submission in sorted(gb.assignment_submissions(assignment), key=lambda s: s.student.id):
            questions, max_points = {}, {}
            for notebook in submission.notebooks:
                for g in notebook.grades:
                    questions[g.name] = None if g.auto_score is None and g.manual_score is None else float(g.score)
                    max_points[g.name] = float(g.max_score)
            found.append(StoredSubmission(submission.student.id, questions, max_points, float(submission.score),
                                          float(submission.max_score),
                                          float(submission.late_submission_penalty or 0.0), submission.timestamp,
                                          submission.student.lms_user_id or ""))
    return found

