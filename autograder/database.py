"""database: where the gradebook lives (CourseDirectory.db_url), for every stage: a SQLite file (the default) or a
database server (PostgreSQL) shared by the TAs' machines and a grading cluster. What is in it is read and written
by autograder.gradebook alone; this module only reaches it.

- `database_url` maps `postgresql://` (and `postgres://`) URLs to the installed driver (psycopg 3, else
  psycopg2), so that the same nbgrader_config.py works wherever it is read;
- `missing_gradebook` says why a stage cannot start (no SQLite file yet, server unreachable);
- `retrying` runs a gradebook write again after a lost connection (a restarted server), and otherwise fails
  loudly: nbgrader's writes are update-or-create, so a write run twice records one grade.

Nothing here imports SQLAlchemy or nbgrader at import time.
"""
from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from typing import Callable, TypeVar

from .course import CourseError

T = TypeVar("T")
DRIVERS = (("psycopg", "postgresql+psycopg"), ("psycopg2", "postgresql+psycopg2"))


def database_url(url: str) -> str:
    """`url` with a PostgreSQL URL that names no driver given the installed one; other URLs unchanged."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("postgresql", "postgres"):
        return url
    for module, drivername in DRIVERS:
        if importlib.util.find_spec(module) is not None:
            return f"{drivername}://{rest}"
    raise CourseError(f"CourseDirectory.db_url {redacted(url)}: no PostgreSQL driver is installed "
                      "(pip install 'psycopg[binary]', as requirements.txt does)")


def redacted(url: str) -> str:
    """`url` without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///` URL; None for a database server."""
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def file_identity(url: str) -> tuple | None:
    """The identity of a SQLite gradebook file as it is now (path, device, inode, size, modification time and the
    file change counter SQLite's header holds, which each write transaction increments), or None (a database server,
    or no such file): what a reader keeps cells read from it under, to read them again once the file changed."""
    path = sqlite_file(url)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            stat = os.fstat(f.fileno())
            header = f.read(100)
    except OSError:
        return None
    return str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, header[24:28]


_KEPT: dict = {}  # {what: (file identity, key, value)}: the last read of each kind (read_once)


def read_once(url: str, what: str, key: tuple, read: Callable[[], T], *,
              keep: Callable[[T], bool] | None = None) -> T:
    """`read()`'s value for `key`, read again only when the SQLite file at `url` changed (`file_identity`): a
    grading worker reads its snapshot of the gradebook once. Each kind of read (`what`) keeps its last value; a
    database server, a file written while it was read or a value `keep` refuses is read every time."""
    identity = file_identity(url)
    kept = _KEPT.get(what)
    if identity is not None and kept is not None and kept[:2] == (identity, key):
        return kept[2]
    value = read()
    if identity is not None and identity == file_identity(url) and (keep is None or keep(value)):
        _KEPT[what] = (identity, key, value)
    return value


def describe(url: str) -> str:
    """The gradebook's name in messages: its file, or its URL without the password."""
    path = sqlite_file(url)
    return str(path) if path is not None else redacted(url)


def missing_gradebook(url: str) -> str | None:
    """Why there is no usable gradebook at `url` (None if there is one): no SQLite file, or no server answering."""
    path = sqlite_file(url)
    if path is not None:
        return None if path.is_file() else f"{path}: no gradebook"
    if url.startswith("sqlite"):
        return None  # in memory
    from sqlalchemy import create_engine, inspect

    engine = create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            if "assignment" not in inspect(connection).get_table_names():
                return f"{redacted(url)}: the database holds no gradebook"
    except Exception as exc:
        return f"{redacted(url)}: cannot reach the gradebook: {type(exc).__name__}: {str(exc).strip()[:300]}"
    finally:
        engine.dispose()
    return None


# ---------------------------------------------------------------------------------------------------------------
# writes that survive a restarted database server

def lost_connection(exc: BaseException | None) -> bool:
    """Was `exc` (or what caused it, e.g. under nbgrader's InvalidEntry) a lost or refused database connection?"""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (OperationalError, InterfaceError)) or \
                (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def retrying(write: Callable[[], T], *, what: str, url: str, patience: float = 60.0,
             log: Callable[[str], None] | None = None) -> T:
    """`write()`, run again while the gradebook's connection is lost, for up to `patience` seconds.

    The write must be idempotent (nbgrader's update-or-create calls are). After `patience` seconds without a
    connection the last error is raised as a CourseError naming `what` and the gradebook.
    """
    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return write()
        except Exception as exc:
            if not lost_connection(exc):
                raise
            if time.monotonic() > deadline:
                raise CourseError(f"{what}: the gradebook {describe(url)} did not answer for {patience:.0f} s "
                                  f"({type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}); it is not "
                                  "marked graded: run grade again when the database is back") from exc
            if log is not None:
                log(f"{what}: lost the gradebook's connection ({type(exc).__name__}); retrying in {delay:.1f} s")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
