"""inbox: the hand-in service's store (autograder.serve): two tables of its own in the course's gradebook database
(CourseDirectory.db_url: SQLite by default, PostgreSQL with the same setting) and the submitted files under the
course, service/<assignment>/<student>/<id>.ipynb.

- `service_token`: one row per student: the token's public id and the SHA-256 of its secret (never the token);
- `service_submission`: one row per submission received: who, which assignment, the server's time, late or not,
  the file's SHA-256 and where it is, its state (queued, checking, done) and, when done, its problems and checks.

A submission is durable before it is acknowledged (`Inbox.store`): its bytes are written to a temporary file,
fsynced and renamed into place (the folder fsynced too), then its row is committed. A file without a row (the
service killed between the two) is never counted: everything reads the rows.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (Boolean, Column, DateTime, Float, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, select, update)
from sqlalchemy.exc import IntegrityError

from .course import CourseError
from .database import database_url, sqlite_file

STATES = ("queued", "checking", "done")
metadata = MetaData()
token_table = Table(
    "service_token", metadata,
    Column("student", String(64), primary_key=True),
    Column("token_id", String(32), unique=True, nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("issued_at", DateTime, nullable=False),
)
submission_table = Table(
    "service_submission", metadata,
    Column("id", String(64), primary_key=True),
    Column("student", String(64), nullable=False, index=True),
    Column("assignment", String(128), nullable=False, index=True),
    Column("received_at", DateTime, nullable=False),   # UTC, naive (nbgrader's convention)
    Column("late", Boolean, nullable=False),
    Column("penalty", Float, nullable=False),          # the fraction the late policy takes off
    Column("idempotency_key", String(200)),
    Column("file_name", String(300), nullable=False),  # X-Notebook-Name, as the student's file is called
    Column("path", String(500), nullable=False),       # relative to the course root
    Column("sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("problems", Text, nullable=False),          # JSON list of strings
    Column("checks", Text, nullable=False),            # JSON list of {grade_id, points, score, passed, message}
    Column("status", String(32), nullable=False),      # the grader's status (core.STATUSES) once done
    UniqueConstraint("student", "idempotency_key", name="service_submission_replay"),
)


class Replay(Exception):
    """A repeated Idempotency-Key of the same student: `earlier` is the submission it first came with."""

    def __init__(self, earlier: "Submission"):
        super().__init__(earlier.id)
        self.earlier = earlier


@dataclass(frozen=True)
class Submission:
    id: str
    student: str
    assignment: str
    received_at: datetime
    late: bool
    penalty: float
    idempotency_key: str | None
    file_name: str
    path: str
    sha256: str
    state: str
    problems: tuple[str, ...]
    checks: tuple[dict, ...]
    status: str

    @property
    def received_text(self) -> str:
        """`received_at` in ISO 8601 with its UTC offset."""
        return self.received_at.replace(tzinfo=timezone.utc).isoformat(timespec="microseconds")


def _submission(row) -> Submission:
    m = row._mapping
    return Submission(m["id"], m["student"], m["assignment"], m["received_at"], bool(m["late"]), float(m["penalty"]),
                      m["idempotency_key"], m["file_name"], m["path"], m["sha256"], m["state"],
                      tuple(json.loads(m["problems"])), tuple(json.loads(m["checks"])), m["status"])


def utcnow() -> datetime:
    """The server's time, UTC without tzinfo."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """`data` at `path`: written to a temporary file beside it, fsynced, renamed, and the folder fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_folder(path.parent)


class Inbox:
    """The service's tables (created when missing) and files of one course."""

    def __init__(self, *, root: Path, db_url: str):
        self.root = root
        path = sqlite_file(db_url)
        options = {"connect_args": {"timeout": 60, "check_same_thread": False}} if path is not None else \
            {"pool_pre_ping": True}
        self.engine = create_engine(database_url(db_url), **options)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # tokens ---------------------------------------------------------------------------------------------------

    def token_students(self) -> set[str]:
        with self.engine.connect() as c:
            return set(c.execute(select(token_table.c.student)).scalars())

    def set_token(self, student: str) -> str:
        """A new token for `student` (`<id>.<secret>`), replacing any earlier one; only its hash is stored."""
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        row = dict(token_id=token_id, secret_sha256=hashlib.sha256(secret.encode()).hexdigest(), issued_at=utcnow())
        with self.engine.begin() as c:
            done = c.execute(update(token_table).where(token_table.c.student == student).values(**row))
            if not done.rowcount:
                c.execute(token_table.insert().values(student=student, **row))
        return f"{token_id}.{secret}"

    def student_of(self, token: str) -> str | None:
        """The student whose token `token` is, or None: looked up by its id, its secret compared in constant time."""
        token_id, dot, secret = token.strip().partition(".")
        if not dot or not token_id or not secret:
            return None
        with self.engine.connect() as c:
            row = c.execute(select(token_table).where(token_table.c.token_id == token_id)).first()
        digest = hashlib.sha256(secret.encode()).hexdigest()
        if row is None:
            hmac.compare_digest(digest, digest)  # as long as a known id takes
            return None
        return row._mapping["student"] if hmac.compare_digest(digest, row._mapping["secret_sha256"]) else None

    # submissions ----------------------------------------------------------------------------------------------

    def store(self, *, student: str, assignment: str, data: bytes, received_at: datetime, late: bool,
              penalty: float, idempotency_key: str | None, file_name: str, problems: list[str]) -> Submission:
        """Write the submission's file durably, then commit its row (queued); a Replay if the student's
        Idempotency-Key is already stored (the caller looks it up first, `by_key`; the table's unique constraint
        decides between two requests at once, and the file just written is then removed)."""
        sid = secrets.token_hex(16)
        relative = Path("service") / assignment / student / f"{sid}.ipynb"
        write_durably(self.root / relative, data)
        row = dict(id=sid, student=student, assignment=assignment, received_at=received_at, late=late,
                   penalty=penalty, idempotency_key=idempotency_key or None, file_name=file_name,
                   path=str(relative), sha256=hashlib.sha256(data).hexdigest(), state="queued",
                   problems=json.dumps(problems), checks="[]", status="")
        try:
            with self.engine.begin() as c:
                c.execute(submission_table.insert().values(**row))
        except IntegrityError:
            (self.root / relative).unlink(missing_ok=True)
            earlier = self.by_key(student, idempotency_key) if idempotency_key else None
            if earlier is not None:
                raise Replay(earlier) from None
            raise
        return self.get(sid)

    def by_key(self, student: str, key: str) -> Submission | None:
        with self.engine.connect() as c:
            row = c.execute(select(submission_table).where(submission_table.c.student == student,
                                                           submission_table.c.idempotency_key == key)).first()
        return _submission(row) if row is not None else None

    def get(self, sid: str) -> Submission | None:
        with self.engine.connect() as c:
            row = c.execute(select(submission_table).where(submission_table.c.id == sid)).first()
        return _submission(row) if row is not None else None

    def unfinished(self) -> list[Submission]:
        """Submissions not done (left queued or checking by a stopped service), oldest first."""
        with self.engine.connect() as c:
            rows = c.execute(select(submission_table).where(submission_table.c.state != "done")
                             .order_by(submission_table.c.received_at)).all()
        return [_submission(r) for r in rows]

    def submissions(self, assignment: str, student: str | None = None) -> list[Submission]:
        """The stored submissions of `assignment` (of `student`), oldest first."""
        query = select(submission_table).where(submission_table.c.assignment == assignment)
        if student is not None:
            query = query.where(submission_table.c.student == student)
        with self.engine.connect() as c:
            rows = c.execute(query.order_by(submission_table.c.received_at, submission_table.c.id)).all()
        return [_submission(r) for r in rows]

    def counting(self, assignment: str, student: str) -> Submission | None:
        """The submission that counts: the student's last one received."""
        found = self.submissions(assignment, student)
        return found[-1] if found else None

    def set_state(self, sid: str, state: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(submission_table).where(submission_table.c.id == sid).values(state=state))

    def finish(self, sid: str, *, status: str, problems: list[str], checks: list[dict]) -> None:
        with self.engine.begin() as c:
            c.execute(update(submission_table).where(submission_table.c.id == sid).values(
                state="done", status=status, problems=json.dumps(problems), checks=json.dumps(checks)))

    def data(self, submission: Submission) -> bytes:
        """The submission's bytes, checked against the SHA-256 its row holds."""
        data = (self.root / submission.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != submission.sha256:
            raise CourseError(f"{self.root / submission.path}: {submission.student}'s submission {submission.id} "
                              "does not match the SHA-256 stored when it was received: changed on disk")
        return data
