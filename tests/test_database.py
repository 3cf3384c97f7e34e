"""Is a gradebook URL given the installed PostgreSQL driver, a password never printed, a lost connection retried
(and only a lost connection), a SQLite snapshot of one assignment's cells the same from any gradebook, and is
Dask left unimported when no scheduler is configured, and does a SQLite file's identity change with every write?"""
import os
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from autograder.course import CourseError
from autograder.database import (database_url, file_identity, lost_connection, missing_gradebook, read_once, redacted,
                                 retrying)
from autograder.gradebook import snapshot, snapshot_cells
from autograder.nbconfig import load_config
from fixtures.coursefolder import REFERENCE, ROOT, make_course, make_gradebook


def test_postgresql_urls_get_the_installed_driver():
    """Do postgresql:// and postgres:// URLs name psycopg 3, while URLs naming a driver, and SQLite, stay as they are?"""
    assert database_url("postgresql://grader@db/course") == "postgresql+psycopg://grader@db/course"
    assert database_url("postgres://grader:pw@db:5433/course") == "postgresql+psycopg://grader:pw@db:5433/course"
    assert database_url("postgresql+psycopg2://grader@db/course") == "postgresql+psycopg2://grader@db/course"
    assert database_url("sqlite:////tmp/gradebook.db") == "sqlite:////tmp/gradebook.db"


def test_the_course_config_is_read_with_the_driver(tmp_path):
    """Does every stage's configuration (load_config) carry the mapped URL?"""
    course = make_course(tmp_path / "course", extra_config='c.CourseDirectory.db_url = "postgresql://g@127.0.0.1/c"\n')
    assert load_config(course).CourseDirectory.db_url == "postgresql+psycopg://g@127.0.0.1/c"


def test_a_course_config_without_a_gradebook_gets_nbgraders_defaults(tmp_path):
    """Without db_url and course_id in nbgrader_config.py, do the stages read what nbgrader itself would use (the
    course folder's gradebook.db, no course id), not traitlets' placeholders for unset values?"""
    from nbgrader.coursedir import CourseDirectory

    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.timezone = 'UTC'\n")
    config = load_config(course)
    assert config.CourseDirectory.db_url == f"sqlite:///{course.resolve()}/gradebook.db"
    assert config.CourseDirectory.db_url == CourseDirectory(root=str(course.resolve())).db_url
    assert config.CourseDirectory.course_id == ""
    elsewhere = tmp_path / "elsewhere"
    assert load_config(course, course_root=elsewhere).CourseDirectory.db_url == \
        f"sqlite:///{elsewhere.resolve()}/gradebook.db"


def test_passwords_are_not_shown():
    """Is the password of a URL hidden in messages, and an unreachable server named without it?"""
    assert redacted("postgresql://grader:s3cret@db/course") == "postgresql://grader:***@db/course"
    assert redacted("sqlite:////tmp/gradebook.db") == "sqlite:////tmp/gradebook.db"
    problem = missing_gradebook("postgresql://grader:s3cret@127.0.0.1:1/course")
    assert "cannot reach the gradebook" in problem and "s3cret" not in problem


def test_a_missing_sqlite_gradebook_is_named(tmp_path):
    assert missing_gradebook(f"sqlite:///{tmp_path}/gradebook.db") == f"{tmp_path}/gradebook.db: no gradebook"


def lost():
    return OperationalError("INSERT ...", {}, Exception("server closed the connection unexpectedly"))


def test_a_lost_connection_is_retried():
    """Is a write that failed on a lost connection (even wrapped by nbgrader) run again until it succeeds?"""
    calls, messages = [], []

    def write():
        calls.append(1)
        if len(calls) < 3:
            try:
                raise lost()
            except OperationalError as exc:
                raise ValueError("nbgrader's InvalidEntry") from exc
        return "done"

    assert retrying(write, what="recording aa0001", url="sqlite://", log=messages.append) == "done"
    assert len(calls) == 3 and len(messages) == 2 and "aa0001" in messages[0]


def test_other_errors_are_not_retried():
    """Does a constraint violation (a real error) fail at once, not retried?"""
    calls = []

    def write():
        calls.append(1)
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        retrying(write, what="recording aa0001", url="sqlite://")
    assert len(calls) == 1 and not lost_connection(IntegrityError("x", {}, Exception()))


def test_a_database_that_stays_away_stops_the_run_clearly():
    """After its patience, does the retry stop with an error naming the student, the database and what to do?"""
    def write():
        raise lost()

    with pytest.raises(CourseError) as error:
        retrying(write, what="recording aa0001's grades", url="postgresql://g:pw@db/c", patience=0.3)
    message = str(error.value)
    assert "aa0001" in message and "postgresql://g:***@db/c" in message and "run grade again" in message


@pytest.mark.slow
def test_the_snapshot_is_the_same_from_any_gradebook(tmp_path):
    """Does the row-by-row snapshot (used for database servers) hold the same cells as the SQLite one?"""
    course = make_course(tmp_path / "course")
    database = make_gradebook(course)
    snapshot(database, REFERENCE, tmp_path / "fast.db")
    snapshot_cells(f"sqlite:///{database}", REFERENCE, tmp_path / "rows.db")
    tables = ("assignment", "notebook", "base_cell", "source_cell", "grade_cells", "solution_cells", "task_cells",
              "student", "grade")

    def contents(path):
        with sqlite3.connect(path) as db:
            return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}

    fast, rows = contents(tmp_path / "fast.db"), contents(tmp_path / "rows.db")
    assert fast == rows and fast["grade_cells"] and not fast["student"]


def test_no_dask_without_a_scheduler():
    """Does the default path (the grade and report stages) import nothing of Dask?"""
    code = ("import sys; import autograder.cli, autograder.grade, autograder.report, autograder.database; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_sqlite_files_identity_changes_with_every_write(tmp_path):
    """Does a gradebook file's identity change with each committed write, even one that keeps its size and its
    modification time (SQLite's change counter), and is there none for a database server or a missing file?"""
    path = tmp_path / "cells.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE cell (name TEXT)")
        db.execute("INSERT INTO cell VALUES ('a')")
    url = f"sqlite:///{path}"
    before = file_identity(url)
    assert before == file_identity(url)
    mtime = path.stat().st_mtime_ns
    with sqlite3.connect(path) as db:
        db.execute("UPDATE cell SET name = 'b'")
    os.utime(path, ns=(mtime, mtime))  # the same instant and the same size: only the change counter tells
    after = file_identity(url)
    assert after[:5] == before[:5] and after != before
    assert file_identity("postgresql://grader@db/course") is None
    assert file_identity(f"sqlite:///{tmp_path / 'missing.db'}") is None


def test_a_read_is_kept_while_its_file_is_unchanged(tmp_path):
    """Is a read of a gradebook file made again only when the file was written, a different key is asked for or
    the value was refused; are two kinds of reads kept side by side, and is a database server read every time?"""
    path = tmp_path / "cells.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE cell (name TEXT)")
        db.execute("INSERT INTO cell VALUES ('a')")
    url, reads = f"sqlite:///{path}", []

    def read(what):
        reads.append(what)
        with sqlite3.connect(path) as db:
            return db.execute("SELECT name FROM cell").fetchone()[0]

    assert read_once(url, "cells", ("nb",), lambda: read("cells")) == "a"
    assert read_once(url, "kernelspec", ("nb",), lambda: read("kernelspec")) == "a"
    assert read_once(url, "cells", ("nb",), lambda: read("cells")) == "a"
    assert reads == ["cells", "kernelspec"]
    read_once(url, "cells", ("other",), lambda: read("cells"))
    assert reads == ["cells", "kernelspec", "cells"]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE cell SET name = 'b'")
    assert read_once(url, "kernelspec", ("nb",), lambda: read("kernelspec")) == "b"
    read_once(url, "refused", (), lambda: read("refused"), keep=lambda value: False)
    read_once(url, "refused", (), lambda: read("refused"), keep=lambda value: False)
    assert reads.count("refused") == 2
    server = []
    for _ in range(2):
        read_once("postgresql://grader@db/course", "cells", (), lambda: server.append(1))
    assert len(server) == 2
