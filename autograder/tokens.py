"""tokens: the students' personal tokens for the hand-in service (`python -m autograder tokens ROSTER.csv --out
TOKENS.csv`).

ROSTER.csv has a `student` column (ids by the course's rule, CourseFileNames.student_id_regexp). Each student
without a token gets a new one, `<id>.<secret>` (the secret: secrets.token_urlsafe(32)); the service's table
(autograder.inbox) keeps its id and the SHA-256 of its secret, never the token, so a token cannot be printed again:
a student who has one keeps it and is listed as such, unless named in `reissue` (then the old token stops working).
TOKENS.csv gets `student,token,note` (an empty token and a note for those who keep theirs), to mail out or import into the
LMS; students paste theirs into Colab as the secret AUTOGRADER_TOKEN (docs/GRADING.md).
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from .collect import CourseFileNames, student_id
from .course import CourseError
from .inbox import Inbox
from .nbconfig import load_config


@dataclass(frozen=True)
class Issued:
    out: Path
    issued: tuple[str, ...]   # students given a new token (written to `out`)
    kept: tuple[str, ...]     # students who already had one and keep it


def read_roster(path: Path, pattern: str) -> list[str]:
    """The student ids of ROSTER.csv's `student` column, in order, each once; a CourseError naming the line of an
    id the course's rule refuses."""
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: cannot read the roster: {exc}") from None
    if not rows or "student" not in rows[0]:
        raise CourseError(f"{path}: a roster needs a `student` column")
    students, problems = [], []
    for number, row in enumerate(rows, start=2):
        text = (row.get("student") or "").strip()
        sid = student_id(text, pattern)
        if sid is None:
            problems.append(f"{path}, line {number}: {text!r} is not a student id (ASCII matching {pattern})")
        elif sid not in students:
            students.append(sid)
    if problems:
        raise CourseError("; ".join(problems))
    return students


def issue_tokens(*, root: Path, roster: Path, out: Path, reissue: list[str] | None = None) -> Issued:
    """Give every roster student without a token (and those in `reissue`) a new one; write `out`."""
    config = load_config(root)
    pattern = CourseFileNames(config=config).student_id_regexp
    students = read_roster(roster, pattern)
    again = [s.lower() for s in reissue or []]
    unknown = [s for s in again if s not in students]
    if unknown:
        raise CourseError(f"--reissue {', '.join(unknown)}: not in {roster}")
    inbox = Inbox(root=root, db_url=config.CourseDirectory.db_url)
    try:
        have = inbox.token_students()
        issued, kept, lines = [], [], []
        for student in students:
            if student in have and student not in again:
                kept.append(student)
                lines.append((student, "", "has a token already: stored hashed, it cannot be shown again "
                                           "(--reissue replaces it)"))
                continue
            lines.append((student, inbox.set_token(student), "new"))
            issued.append(student)
    finally:
        inbox.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # secrets: readable by the TA alone
    with os.fdopen(fd, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "token", "note"])
        writer.writerows(lines)
    return Issued(out, tuple(issued), tuple(kept))
