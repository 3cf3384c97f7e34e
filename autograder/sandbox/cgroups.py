"""Limits on a kernel's whole process tree: a control group for its memory and its number of processes.

RLIMIT_AS bounds one process; a kernel that forks gets a fresh allowance per child. A control group counts them
all. `KernelGroup.create` makes one group per sandbox below the grading process's own group (so whatever limits
that one has still hold), in cgroup v2 where it has the memory and pids controllers, else in the v1 `memory` and
`pids` hierarchies. The kernel's launcher joins it (writing "0" to each `cgroup.procs`) before it forks the kernel,
so everything the kernel starts is inside. `close()` kills what is left in the group and removes it.

Needs root (or a delegated group); where it cannot be made, `create` returns a group that holds nothing and says
why, and the rlimits are all there is (the sandbox metadata lists `cgroup-memory` / `cgroup-pids` as missing).
"""
from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_names = itertools.count()


def _own_path(controller: str) -> str:
    """This process's group in the v1 hierarchy of `controller` ("" for v2's unified one)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


def _v2_mount() -> Path | None:
    """The cgroup v2 mount whose root offers memory and pids, if any (pure v2 at /sys/fs/cgroup, or hybrid)."""
    for mount in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        try:
            controllers = (mount / "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if "memory" in controllers and "pids" in controllers:
            return mount
    return None


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


@dataclass
class KernelGroup:
    """One kernel's control group(s): `procs` are the cgroup.procs files its launcher joins."""
    folders: list = field(default_factory=list)
    held: list = field(default_factory=list)
    version: str = ""
    reason: str = ""

    @property
    def procs(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    @classmethod
    def create(cls, *, memory_bytes: int | None, processes: int | None) -> "KernelGroup":
        if os.geteuid() != 0:
            return cls(reason="control groups need root here")
        remove_stale_groups()
        name = f"autograder-{os.getpid()}-{next(_names)}"
        mount = _v2_mount()
        try:
            if mount is not None:
                return cls._create_v2(mount, name, memory_bytes, processes)
            return cls._create_v1(name, memory_bytes, processes)
        except OSError as exc:
            return cls(reason=f"no control group: {exc}")

    @classmethod
    def _create_v2(cls, mount: Path, name: str, memory_bytes, processes) -> "KernelGroup":
        parent = mount / _own_path("").lstrip("/")
        # a v2 group with processes cannot have children with controllers: keep ours in a leaf beside them
        base = parent / "autograder"
        base.mkdir(exist_ok=True)
        for folder in (parent, base):
            _write(folder / "cgroup.subtree_control", "+memory +pids")
        folder = base / name
        folder.mkdir()
        group = cls([folder], [], "v2")
        if memory_bytes:
            _write(folder / "memory.max", str(memory_bytes))
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", "0")
            group.held.append("cgroup-memory")
        if processes:
            _write(folder / "pids.max", str(processes))
            group.held.append("cgroup-pids")
        return group

    @classmethod
    def _create_v1(cls, name: str, memory_bytes, processes) -> "KernelGroup":
        group = cls([], [], "v1")
        for controller, limit, files, held in (("memory", memory_bytes, ("memory.limit_in_bytes",
                                                                          "memory.memsw.limit_in_bytes"),
                                                "cgroup-memory"),
                                               ("pids", processes, ("pids.max",), "cgroup-pids")):
            hierarchy = CGROUP_ROOT / controller
            if not limit or not (hierarchy / "cgroup.procs").exists():
                continue
            folder = hierarchy / _own_path(controller).lstrip("/") / name
            folder.mkdir()
            group.folders.append(folder)
            for limit_file in files:
                if (folder / limit_file).exists():
                    _write(folder / limit_file, str(limit))
            group.held.append(held)
        if not group.folders:
            group.reason = "no writable cgroup v1 memory or pids hierarchy"
        return group

    def pids(self) -> set[int]:
        found = set()
        for procs in self.procs:
            try:
                found.update(int(p) for p in Path(procs).read_text().split())
            except (OSError, ValueError):
                continue
        return found

    def events(self) -> dict:
        """What the group refused: {"oom_kills": n, "fork_refusals": n} (0 where the kernel does not say)."""
        counts = {"oom_kills": 0, "fork_refusals": 0}
        for folder in self.folders:
            for name, key, label in (("memory.oom_control", "oom_kills", "oom_kill"),
                                     ("memory.events", "oom_kills", "oom_kill"),
                                     ("pids.events", "fork_refusals", "max")):
                try:
                    for line in (folder / name).read_text().splitlines():
                        parts = line.split()
                        if len(parts) == 2 and parts[0] == label:
                            counts[key] = max(counts[key], int(parts[1]))
                except (OSError, ValueError):
                    continue
        return counts

    def close(self, timeout: float = 5.0) -> None:
        """Kill every process left in the group, then remove it. A killed kernel is gone in a few milliseconds: the
        group is looked at again after 1 ms, then after twice as long each time, up to every 10 ms (removing the
        folder, up to every 20 ms, for as long as 2 s)."""
        deadline = time.monotonic() + timeout
        pause = 0.001
        while self.folders:
            left = self.pids()
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if not left or time.monotonic() > deadline:
                break
            time.sleep(pause)
            pause = min(2 * pause, 0.01)
        for folder in self.folders:
            pause, until = 0.001, time.monotonic() + 2.0
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still exiting
                    if time.monotonic() > until:
                        break
                    time.sleep(pause)
                    pause = min(2 * pause, 0.02)
        self.folders = []


def _group_parents() -> list[Path]:
    mount = _v2_mount()
    if mount is not None:
        return [mount / _own_path("").lstrip("/") / "autograder"]
    return [CGROUP_ROOT / c / _own_path(c).lstrip("/") for c in ("memory", "pids")]


def remove_stale_groups() -> list[str]:
    """Remove the kernel groups of grading processes that are gone (killed, or ended without cleaning up), with
    whatever still runs in them; returns their names."""
    removed = []
    for parent in _group_parents():
        try:
            folders = [f for f in parent.iterdir() if f.name.startswith("autograder-") and f.is_dir()]
        except OSError:
            continue
        for folder in folders:
            try:
                owner = int(folder.name.split("-")[1])
            except (IndexError, ValueError):
                continue
            if Path(f"/proc/{owner}").exists():
                continue
            KernelGroup([folder]).close(timeout=2.0)
            if not folder.exists():
                removed.append(folder.name)
    return removed

