"""Does `python -m autograder tokens ROSTER.csv --out TOKENS.csv` (autograder/tokens.py) give each student a token
that the service's store recognises, keep only hashes at rest, keep existing tokens unless reissued, and refuse a
roster it cannot read?"""
from __future__ import annotations

import csv
import hashlib
import re
import stat

import pytest

from autograder.course import CourseError
from autograder.inbox import Inbox
from autograder.nbconfig import load_config
from autograder.tokens import issue_tokens
from fixtures.coursefolder import cli, make_course


@pytest.fixture
def course(tmp_path):
    return make_course(tmp_path / "course")


def read(path) -> dict[str, dict]:
    with path.open(newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def inbox(course) -> Inbox:
    return Inbox(root=course, db_url=load_config(course).CourseDirectory.db_url)


def test_tokens_round_trip_and_are_stored_hashed(course):
    """Does the command write student,token for each roster student once (ids as collect reads them), each token
    `<id>.<secret>` that the store maps back to its student, while the database holds only the secret's SHA-256?"""
    (course / "roster.csv").write_text("student,name\nAA0001,x\naa0002,y\naa0001,again\n")
    done = cli(course, "tokens", "roster.csv", "--out", "tokens.csv", check=True)
    assert "2 new tokens, 0 kept" in done.stdout
    rows = read(course / "tokens.csv")
    assert list(rows) == ["aa0001", "aa0002"]
    assert stat.S_IMODE((course / "tokens.csv").stat().st_mode) == 0o600
    store = inbox(course)
    try:
        for student, row in rows.items():
            assert re.fullmatch(r"[0-9a-f]{16}\.[A-Za-z0-9_-]{43}", row["token"])
            assert store.student_of(row["token"]) == student
        assert store.student_of(rows["aa0001"]["token"][:-1] + "x") is None
        assert store.student_of(rows["aa0002"]["token"].split(".")[0] + "." + rows["aa0001"]["token"].split(".")[1]) \
            is None
    finally:
        store.close()
    database = (course / "gradebook.db").read_bytes()
    for row in rows.values():
        token_id, secret = row["token"].split(".")
        assert secret.encode() not in database and row["token"].encode() not in database
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in database


def test_existing_tokens_are_kept_unless_reissued(course):
    """Is a student who has a token listed as keeping it (no token printed), and does --reissue give a new token
    with which the old one stops working?"""
    (course / "roster.csv").write_text("student\naa0001\naa0002\n")
    first = issue_tokens(root=course, roster=course / "roster.csv", out=course / "a.csv")
    old = read(course / "a.csv")
    (course / "roster.csv").write_text("student\naa0001\naa0002\naa0003\n")
    again = cli(course, "tokens", "roster.csv", "--out", "b.csv", check=True)
    assert "kept      aa0001" in again.stdout and "1 new tokens, 2 kept" in again.stdout
    kept = read(course / "b.csv")
    assert kept["aa0001"]["token"] == "" and "has a token already" in kept["aa0001"]["note"]
    assert kept["aa0003"]["token"]
    cli(course, "tokens", "roster.csv", "--out", "c.csv", "--reissue", "aa0001", check=True)
    new = read(course / "c.csv")
    store = inbox(course)
    try:
        assert store.student_of(new["aa0001"]["token"]) == "aa0001"
        assert store.student_of(old["aa0001"]["token"]) is None
        assert store.student_of(old["aa0002"]["token"]) == "aa0002"
    finally:
        store.close()
    assert first.issued == ("aa0001", "aa0002")


def test_a_bad_roster_is_refused_naming_the_line(course):
    """Is a roster without a `student` column, or with an id the course's rule refuses, refused with the line,
    and a --reissue of someone not on the roster?"""
    (course / "roster.csv").write_text("id\naa0001\n")
    with pytest.raises(CourseError, match="needs a `student` column"):
        issue_tokens(root=course, roster=course / "roster.csv", out=course / "t.csv")
    (course / "roster.csv").write_text("student\naa0001\nbad id\n")
    with pytest.raises(CourseError, match=r"line 3: 'bad id' is not a student id"):
        issue_tokens(root=course, roster=course / "roster.csv", out=course / "t.csv")
    (course / "roster.csv").write_text("student\naa0001\n")
    with pytest.raises(CourseError, match="--reissue aa0009: not in"):
        issue_tokens(root=course, roster=course / "roster.csv", out=course / "t.csv", reissue=["aa0009"])
    assert not (course / "t.csv").exists()
