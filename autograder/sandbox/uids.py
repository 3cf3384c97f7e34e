"""Each kernel its own uid: a lease on one of the sandbox uids, for as long as its sandbox lives.

Kernels that run at the same time never share a uid: not the kernel of the notebook being graded and the spare that
waits for the next student's notebook, not the kernels of several grading processes on one machine. Signals, tracing
and the process limit (RLIMIT_NPROC counts a uid's processes) go by uid.

A lease is an exclusive `flock` on the file named after the uid in a folder only root may write (`LOCKS`: in /run,
else in the system's temporary folder). The kernel dies with its lock's holder, and so does the lock: a grading
process that was killed frees its uids.
"""
from __future__ import annotations

import fcntl
import os
import signal
import stat
import tempfile
from pathlib import Path

LOCKS = (Path("/run/autograder/uids"), Path(tempfile.gettempdir()) / "autograder-uids")


class NoFreeUid(RuntimeError):
    """Every uid of the range is leased (or the lock folder is not safe to use)."""


class UidLease:
    """One uid, held until `release()`."""

    def __init__(self, uid: int, fd: int):
        self.uid = uid
        self._fd = fd

    def release(self) -> None:
        """Give the uid back; call it only when no process of it is left."""
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # also for a copy of the descriptor a fork may hold
            os.close(self._fd)
            self._fd = -1


def lock_folder(candidates=LOCKS) -> Path:
    """The first of `candidates` that exists or can be made."""
    for folder in candidates:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            return folder
        except OSError as exc:
            error = exc
    raise NoFreeUid(f"no folder for the uid locks: {error}")


def lease_uid(uids: range, *, folder: Path | None = None) -> UidLease:
    """A uid of `uids` that no other lease holds (this process's or another's); the search starts at a point the
    process id picks, so grading processes rarely try the same files."""
    if not uids:
        raise NoFreeUid("the range of sandbox uids is empty")
    folder = lock_folder((folder,) if folder is not None else LOCKS)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise NoFreeUid(f"{folder} must be a folder of uid {os.geteuid()} that no one else may write")
    start = os.getpid() % len(uids)
    for step in range(len(uids)):
        uid = uids[(start + step) % len(uids)]
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return UidLease(uid, fd)
    raise NoFreeUid(f"all {len(uids)} sandbox uids from {uids[0]} on are in use")


def kill_processes_of(uid: int, rounds: int = 50) -> int:
    """SIGKILL every process whose real uid is `uid`, round after round until a round finds none alive (what forks
    while a round runs is found by the next); returns how many processes were killed. For a kernel whose processes
    no control group holds, before its uid is leased again."""
    killed: set[int] = set()
    for _ in range(rounds):
        found = 0
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/status") as status:
                    fields = dict(line.split(":", 1) for line in status if ":" in line)
                if fields["Uid"].split()[0] == str(uid) and not fields["State"].strip().startswith(("Z", "X")):
                    os.kill(int(name), signal.SIGKILL)
                    killed.add(int(name))
                    found += 1
            except (OSError, KeyError, IndexError):
                continue
        if not found:
            break
    return len(killed)
