"""The one reader of submitted notebook files: every stage (collect, grade, the sandbox's checks) reads them here.

A submitted file is read the same way wherever it is read, so every check sees the same cells:

- it must be a regular file: a symbolic link, FIFO, device or socket is refused (never followed or opened for
  reading, which could block or read another file), and so is a file over the size limit;
- its bytes are UTF-8 JSON, with or without a byte-order mark (Windows editors add one);
- its top level is a notebook: an object holding a list of cells.

`unsafe_entries(folder)` lists what a submission folder holds besides directories and regular files.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import BinaryIO

import nbformat

MAX_NOTEBOOK_BYTES = 50 << 20
BOM = b"\xef\xbb\xbf"


class NotebookFileError(ValueError):
    """A submitted file that is not a readable notebook: `problem` says why, `path` which file."""

    def __init__(self, path, problem: str, code: str = "invalid-notebook"):
        super().__init__(f"{path}: {problem}")
        self.path, self.problem, self.code = str(path), problem, code


def _kind(mode: int) -> str | None:
    """What a non-regular, non-directory file is, or None."""
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading in binary, if it is a regular file: a link is never followed and a FIFO never
    blocks (NotebookFileError 'unsafe-file' for them)."""
    try:
        kind = _kind(os.lstat(path).st_mode)
    except OSError as exc:
        raise NotebookFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if kind:
        raise NotebookFileError(path, f"is {kind}, not a file: refused", "unsafe-file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise NotebookFileError(path, f"cannot be opened safely ({exc.strerror or exc})", "unsafe-file") from None
    f = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise NotebookFileError(path, "is not a regular file: refused", "unsafe-file")
    return f


def read_bytes(path: Path, *, max_bytes: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of the regular file `path`, never following a link or blocking on a FIFO."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise NotebookFileError(path, f"is {size / 2**20:.0f} MiB, over the limit of "
                                          f"{max_bytes / 2**20:.0f} MiB", "oversized-notebook")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise NotebookFileError(path, f"is over the limit of {max_bytes / 2**20:.0f} MiB", "oversized-notebook")
    return data


def parse_json(data: bytes, *, where: str) -> dict:
    """The notebook JSON in `data` (a UTF-8 byte-order mark is allowed), checked to be a notebook's shape."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    if not data.strip():
        raise NotebookFileError(where, "is empty", "empty")
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookFileError(where, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (ValueError, RecursionError) as exc:
        raise NotebookFileError(where, f"is not valid JSON ({str(exc)[:200]})", "corrupt-json") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotebookFileError(where, "is JSON but not a notebook (no list of cells)")
    return raw


def parse_notebook(data: bytes, *, where: str):
    """`data` as an nbformat v4 NotebookNode (older versions converted)."""
    raw = parse_json(data, where=where)
    try:
        return nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise NotebookFileError(where, f"is not a notebook nbformat can read ({type(exc).__name__}: "
                                       f"{str(exc)[:200]})") from None


def read_notebook(path: Path, *, max_bytes: int = MAX_NOTEBOOK_BYTES):
    """The submitted notebook at `path` as an nbformat v4 NotebookNode."""
    return parse_notebook(read_bytes(path, max_bytes=max_bytes), where=str(path))


def unsafe_entries(folder: Path) -> list[tuple[str, str]]:
    """(path relative to `folder`, what it is) of every entry that is neither a directory nor a regular file;
    links are reported, never followed."""
    found = []
    if not os.path.isdir(folder) or os.path.islink(folder):
        return found
    for parent, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = os.path.join(parent, name)
            try:
                kind = _kind(os.lstat(path).st_mode)
            except OSError:
                continue
            if kind:
                found.append((os.path.relpath(path, folder), kind))
    return sorted(found)
