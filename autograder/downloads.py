"""downloads: read an LMS download (folders, notebooks, zips) as a stream of files, within `DownloadLimits`.

A zip may be a bomb (entries that expand a thousandfold) or nested without end: entries are read as streams, an
entry over the size bound, a zip whose entries add up past the total bound and a zip nested too deep are refused by
name without being read whole, and zips inside zips are opened through a temporary file, never in memory. Links,
FIFOs and devices are refused unopened. `collect` (the stage) decides what each file is and whose it is: it gives
`walk` the function (`identify`) that reads an uploader's identity from an archive's name.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from traitlets import Int
from traitlets.config import Configurable

from .course import CourseError
from .readnotebook import MAX_NOTEBOOK_BYTES, NotebookFileError, open_regular, read_bytes


@dataclass(frozen=True)
class Refusal:
    """A file or archive entry refused while walking the download: its label, the reason (collect's REASONS) and
    the detail."""
    file: str
    reason: str
    detail: str


class DownloadLimits(Configurable):
    """How much of a download collect reads: a zip may be a bomb (entries that expand a thousandfold) or nested
    without end. Whatever passes a bound is refused by name, and the rest of the download is collected."""

    max_notebook_bytes = Int(
        MAX_NOTEBOOK_BYTES, min=1,
        help="Largest notebook collect reads, as a file or as a zip entry (bytes). A larger one is refused "
             "('too large') as soon as its size is known: an entry's reading stops when it passes this bound. "
             "The default is the limit every stage reads a notebook with (autograder.readnotebook).",
    ).tag(config=True)
    max_archive_bytes = Int(
        2 << 30, min=1,
        help="Most bytes a zip given to collect may expand to, the zips inside it included (bytes). A zip whose "
             "entries add up to more is refused ('too large') before any entry is read, with nothing in it "
             "collected. The default holds a whole class's download.",
    ).tag(config=True)
    max_zip_depth = Int(
        3, min=1,
        help="How deep zips inside zips are opened: a zip given is depth 1, a zip in it 2 (a class download of "
             "students' zips), a zip in that 3. A zip deeper than this is refused ('nested too deep') unread.",
    ).tag(config=True)


@dataclass(frozen=True)
class Upload:
    """The file an LMS user uploaded that holds an archive's entries: its label, the identity its name gives (what
    the caller's `identify` read from it) and its time."""
    label: str
    name: object
    mtime: datetime | None


Identify = Callable[[str, str, "datetime | None"], "Upload | None"]  # (label, base name, time) -> uploader


@dataclass(frozen=True)
class Item:
    label: str                       # how the TA knows it: path, or archive.zip:entry
    name: str                        # base name
    chain: tuple[str, ...]           # base names of the archives holding it, outermost first, then its own
    mtime: datetime | None           # UTC naive
    upload: Upload | None           # the outermost archive with an LMS name holding it (its uploader owns it)
    read: Callable[[], bytes] = field(repr=False, compare=False, default=bytes)


class Refused(Exception):
    """A file or entry refused while reading it: (reason, detail)."""


@dataclass
class _Budget:
    left: int                        # bytes a top-level archive may still expand to


def _junk(name: str) -> bool:
    """Files a download carries that nobody submitted: macOS metadata, hidden files."""
    return name.startswith(".") or name == "Thumbs.db" or "__MACOSX/" in name


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def _entry_time(entry: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*entry.date_time)
    except (TypeError, ValueError):  # a zip may hold any date
        return None


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> bytearray:
    """The bytes of one entry, read as a stream into one buffer of its declared size (zipfile never yields more
    than that): refused before reading when that size is over `limit`, and reading stops at `limit` whatever."""
    if entry.file_size > limit:
        raise Refused("too large", f"expands to {_mib(entry.file_size)}, over the bound of {_mib(limit)} "
                                    "(DownloadLimits.max_notebook_bytes); not read")
    data = bytearray(entry.file_size)
    view, filled = memoryview(data), 0
    try:
        with archive.open(entry) as stream:
            while filled < len(data) and (got := stream.readinto(view[filled:filled + (1 << 20)])):
                filled += got
            if stream.read(1):
                raise Refused("too large", f"passes its declared size and the bound of {_mib(limit)} "
                                            "(DownloadLimits.max_notebook_bytes); reading stopped")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise Refused("not a notebook", f"cannot be read from its zip ({type(exc).__name__}: {str(exc)[:200]})")
    finally:
        view.release()
    if filled < len(data):
        del data[filled:]
    return data  # not copied: one entry in memory once


def _archive(source, label: str, chain: tuple[str, ...], depth: int, budget: _Budget, upload: Upload | None,
             limits: DownloadLimits, identify: Identify) -> Iterator[tuple[str, object]]:
    """Events of one zip (`source`: a path or a seekable file): ('file', Item), ('ignored', label) and
    ('rejected', Refusal); zips inside it opened in turn, each through a temporary file, never in memory."""
    try:
        archive = zipfile.ZipFile(source)
        entries = [e for e in archive.infolist() if not e.is_dir()]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        yield "rejected", Refusal(label, "not a notebook", f"not a readable zip archive ({str(exc)[:200]})")
        return
    with archive:
        declared = sum(e.file_size for e in entries)  # zipfile never yields more than an entry's declared size
        if declared > budget.left:
            yield "rejected", Refusal(
                label, "too large", f"its entries expand to {_mib(declared)}, past the bound of "
                f"{_mib(limits.max_archive_bytes)} for a zip and the zips in it (DownloadLimits.max_archive_bytes); "
                "nothing in it was read or collected")
            return
        budget.left -= declared
        for entry in sorted(entries, key=lambda e: e.filename):
            base = entry.filename.replace("\\", "/").rsplit("/", 1)[-1]
            where = f"{label}:{entry.filename}"
            if not base:
                continue
            if _junk(base) or _junk(entry.filename):
                yield "ignored", where
                continue
            owner = upload or identify(where, base, _entry_time(entry))
            if base.lower().endswith(".zip"):
                if depth + 1 > limits.max_zip_depth:
                    yield "rejected", Refusal(where, "nested too deep", f"a zip {depth + 1} zips deep; collect "
                                               f"opens zips {limits.max_zip_depth} deep "
                                               "(DownloadLimits.max_zip_depth): not opened")
                    continue
                with tempfile.TemporaryFile(prefix="autograder-collect-") as inner:
                    try:
                        with archive.open(entry) as stream:
                            shutil.copyfileobj(stream, inner, 1 << 20)
                    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
                            NotImplementedError) as exc:
                        yield "rejected", Refusal(where, "not a notebook", f"cannot be read from its zip "
                                                   f"({type(exc).__name__}: {str(exc)[:200]})")
                        continue
                    inner.seek(0)
                    yield from _archive(inner, where, chain + (base,), depth + 1, budget, owner, limits, identify)
                continue
            yield "file", Item(where, base, chain + (base,), _entry_time(entry), upload,
                                lambda entry=entry: _read_entry(archive, entry, limits.max_notebook_bytes))


def walk(paths: list[Path], skip: set[Path], limits: DownloadLimits, identify: Identify) -> Iterator[tuple[str, object]]:
    """Every file under `paths`, zips opened (nested zips too, within `limits`), in a stable order, as events:
    ('file', Item) to be read (with item.read) before the next event, ('ignored', label) for junk files, and
    ('rejected', Refusal) for links, FIFOs and devices (never followed or read) and refused archives."""
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise CourseError(f"{path}: no such file or folder")
        files = sorted(p for p in path.rglob("*") if p.is_symlink() or not p.is_dir()) if path.is_dir() else [path]
        for file in files:
            if file.resolve() in skip:
                continue
            inside = file.relative_to(path) if path.is_dir() else Path(file.name)
            if any(_junk(part) for part in inside.parts):
                yield "ignored", str(file)
                continue
            try:
                opened = open_regular(file)
            except NotebookFileError as exc:
                yield "rejected", Refusal(str(file), "unsafe file" if exc.code == "unsafe-file" else
                                           "not a notebook", exc.problem)
                continue
            with opened:
                mtime = datetime.fromtimestamp(os.fstat(opened.fileno()).st_mtime, timezone.utc).replace(tzinfo=None)
                if file.name.lower().endswith(".zip"):
                    yield from _archive(opened, str(file), (file.name,), 1, _Budget(limits.max_archive_bytes),
                                        identify(str(file), file.name, mtime), limits, identify)
                    continue
            yield "file", Item(str(file), file.name, (file.name,), mtime, None,
                                lambda file=file: read_file(file, limits.max_notebook_bytes))


def read_file(path: Path, limit: int) -> bytes:
    try:
        return read_bytes(path, max_bytes=limit)
    except NotebookFileError as exc:
        reason = {"unsafe-file": "unsafe file", "oversized-notebook": "too large"}.get(exc.code, "not a notebook")
        raise Refused(reason, exc.problem + (" (DownloadLimits.max_notebook_bytes)" if reason == "too large"
                                              else "")) from None
