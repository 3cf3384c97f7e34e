"""Where and how the student's kernel runs: the sandbox folder, the launch command and the kernel manager.

`probe()` finds out once per process what Linux lets us use here: new mount, network and PID namespaces through
util-linux `unshare` (needs root, or a kernel allowing it) and a separate uid (needs root). `Sandbox` makes the
folder of one notebook's kernel:

    <tmp>/autograder-sbx-XXXX/ctl/     connection file, IPC sockets, the agent's socket, status.json (root only)
                             files/   a copy of the notebook's folder: what the kernel starts in
                             root/    the new root when namespaces are used

and `SandboxKernelManager` starts the kernel through `launch.py` (or a fork of a zygote that carries out the same
command, see `zygote`) with IPC transport (a new network namespace has
its own loopback, so TCP to it would not work) and interrupts it by message (a signal to `unshare` would not
reach it).
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, Integer

from .cgroups import KernelGroup
from .uids import NoFreeUid, kill_processes_of, lease_uid
from .zygote import ForkingKernelManager

HERE = Path(__file__).resolve().parent
SYSTEM_READONLY = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
IPC_RMID = 0
UNSHARE = ("unshare", "--mount", "--net", "--pid", "--ipc", "--fork", "--kill-child")


class SandboxError(RuntimeError):
    """The sandbox could not be set up as configured."""


@dataclass(frozen=True)
class Capabilities:
    namespaces: bool
    separate_uid: bool
    reason: str = ""


def readonly_paths() -> list[str]:
    """What the kernel's root holds read-only: the system folders and the Python installation (venv included)."""
    paths = [p for p in SYSTEM_READONLY if os.path.lexists(p)]
    for prefix in {sys.base_prefix, sys.prefix, sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        if not any(prefix == p or prefix.startswith(p + "/") for p in paths):
            paths.append(prefix)
    return paths


@functools.lru_cache(maxsize=None)
def probe() -> Capabilities:
    """What this machine allows (cached): a dry run of the launcher in new namespaces, as root."""
    root = os.geteuid() == 0
    unshare = shutil.which("unshare")
    if not unshare:
        return Capabilities(False, root, "util-linux unshare is not installed")
    if not root:
        return Capabilities(False, False, "namespaces need root here (the sandbox mounts a new root)")
    folder = Path(tempfile.mkdtemp(prefix="autograder-probe-"))
    try:
        (folder / "ctl").mkdir()
        (folder / "files").mkdir()
        (folder / "root").mkdir()
        config = {"mode": "namespaces", "probe": True, "ctl": str(folder / "ctl"), "root": str(folder / "root"),
                  "files": str(folder / "files"), "work": "/tmp/probe", "home": "/tmp/home",
                  "readonly": readonly_paths(), "data": None, "uid": 65534, "gid": 65534,
                  "tmpfs_bytes": 16 << 20, "rlimits": {}, "env": {}, "codec": str(HERE / "codec.py"),
                  "agent": str(HERE / "agent.py")}
        (folder / "ctl" / "config.json").write_text(json.dumps(config))
        done = subprocess.run([unshare, *UNSHARE[1:], sys.executable, "-I", str(HERE / "launch.py"),
                               str(folder / "ctl" / "config.json")], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Capabilities(False, root, f"the namespace dry run failed: {exc}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        return Capabilities(False, root, f"the namespace dry run failed: {(done.stderr.strip() or str(done.returncode))[-300:]}")
    return Capabilities(True, True)


def copy_notebook_dir(source: Path, target: Path, *, max_bytes: int, owner: int | None = None) -> None:
    """Copy the notebook's folder without notebooks (the kernel runs cells, it does not need them), symlinks or
    checkpoints, up to `max_bytes` of files; `owner` gets them (root only)."""
    total = 0

    def ignore(folder, names):
        nonlocal total
        skipped = []
        for name in names:
            path = os.path.join(folder, name)
            if name.endswith(".ipynb") or os.path.islink(path) or name.startswith(".ipynb_checkpoints"):
                skipped.append(name)
            elif os.path.isfile(path):
                total += os.path.getsize(path)
                if total > max_bytes:
                    skipped.append(name)
        return skipped

    if source.is_dir():
        shutil.copytree(source, target, ignore=ignore, symlinks=True, dirs_exist_ok=True)
    else:
        target.mkdir(exist_ok=True)
    os.chmod(target, 0o755)
    if owner is not None and os.geteuid() == 0:
        for folder, _, files in os.walk(target):
            os.chown(folder, owner, owner)
            for name in files:
                os.chown(os.path.join(folder, name), owner, owner)


def remove_ipc_objects(uid: int) -> int:
    """Remove the System V shared memory segments, message queues and semaphores owned by `uid` (a sandbox uid
    that no other process uses); returns how many. For kernels without an IPC namespace of their own."""
    libc = ctypes.CDLL(None, use_errno=True)
    removers = {"shm": lambda i: libc.shmctl(i, IPC_RMID, None), "msg": lambda i: libc.msgctl(i, IPC_RMID, None),
                "sem": lambda i: libc.semctl(i, 0, IPC_RMID)}
    removed = 0
    for kind, remove in removers.items():
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except OSError:
            continue
        header = lines[0].split() if lines else []
        for line in lines[1:]:
            row = dict(zip(header, line.split()))
            if row.get("uid") == str(uid) and remove(int(row.get("shmid", row.get("msqid", row.get("semid", -1))))) == 0:
                removed += 1
    return removed


def descendants(pid: int) -> list[int]:
    """The processes below `pid`, depth first (from /proc/<pid>/task/*/children)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            found.extend(descendants(child))
    return found


def remove_stale(base: str | None, *, min_age: float = 600.0) -> None:
    """Remove sandbox folders left by graders that were killed (their lifeline socket no longer answers)."""
    for folder in Path(base or tempfile.gettempdir()).glob("autograder-sbx-*"):
        try:
            if time.time() - folder.stat().st_mtime < min_age:
                continue
            probe_socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            probe_socket.settimeout(0.5)
            try:
                probe_socket.connect(str(folder / "ctl" / "life.sock"))
                continue  # its grader is alive
            except socket.timeout:
                continue  # alive, its backlog full
            except OSError:
                pass
            finally:
                probe_socket.close()
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int | None
    memory_bytes: int | None
    processes: int | None
    file_bytes: int | None
    open_files: int | None = 1024
    tmpfs_bytes: int = 512 << 20
    max_message_bytes: int = 1 << 30   # what the kernel's agent accepts from the grader (the grader is trusted)


@dataclass
class Sandbox:
    """The folder and launch configuration of one kernel. `close()` removes the folder."""
    notebook_dir: Path
    limits: Limits
    isolation: str = "auto"                # "namespaces", "plain" or "auto" (namespaces when possible)
    uids: range | None = None              # the unprivileged uids the kernel's own is leased from (root only)
    data_dir: str | None = None            # COURSE_DATA_DIR outside; bound read-only inside
    env: dict = field(default_factory=dict)
    network: bool = False                  # keep the host's network (no network namespace)
    transformed: dict = field(default_factory=dict)  # {course-written cell: IPython's static transform of it}
    max_copy_bytes: int = 256 << 20
    base: str | None = None

    def __post_init__(self):
        caps = probe()
        if self.isolation == "namespaces" and not caps.namespaces:
            raise SandboxError(f"isolation 'namespaces' is not available here: {caps.reason}")
        self.mode = "namespaces" if self.isolation in ("auto", "namespaces") and caps.namespaces else "plain"
        self.fallback_reason = "" if self.mode == "namespaces" or self.isolation == "plain" else caps.reason
        self.uid, self._lease = None, None
        remove_stale(self.base)
        self.group = KernelGroup.create(memory_bytes=self.limits.memory_bytes, processes=self.limits.processes)
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-sbx-", dir=self.base))
        os.chmod(self.folder, 0o755)
        self.ctl = self.folder / "ctl"
        self.ctl.mkdir(mode=0o755)
        self.files = self.folder / "files"
        self._copy_notebook_dir()
        self.agent_socket = self.ctl / "agent.sock"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.agent_socket))
        self.listener.listen(1)
        self.lifeline_socket = self.ctl / "life.sock"  # never accepted: its end breaks when this process ends
        self.lifeline = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lifeline.bind(str(self.lifeline_socket))
        self.lifeline.listen(1)
        if self.mode == "namespaces":
            (self.folder / "root").mkdir(mode=0o755)
            self.work = "/tmp/work"
            self.home = "/tmp/home"
        else:
            self.work = str(self.folder / "work")
            self.home = str(self.folder / "home")
        if self.uids is not None and caps.separate_uid:
            try:
                self._lease = lease_uid(self.uids)
            except (NoFreeUid, OSError) as exc:
                self.close()
                raise SandboxError(f"no uid for the kernel: {exc}") from exc
            self.uid = self._lease.uid

    def _copy_notebook_dir(self) -> None:
        copy_notebook_dir(self.notebook_dir, self.files, max_bytes=self.max_copy_bytes)

    def deliver(self, notebook_dir: Path, kernel_pid: int | None) -> None:
        """Put the notebook's folder in the working folder of a kernel started before it was known (a spare)."""
        if self.mode == "namespaces":
            if kernel_pid is None:
                raise SandboxError("the spare kernel's process is gone")
            target = Path(f"/proc/{kernel_pid}/cwd")
        else:
            target = Path(self.work)
        copy_notebook_dir(notebook_dir, target, max_bytes=self.max_copy_bytes, owner=self.uid)
        self.notebook_dir = notebook_dir

    @property
    def data_inside(self) -> str | None:
        return self.data_dir

    def kernel_env(self) -> dict:
        env = {
            "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
            "HOME": self.home, "TMPDIR": "/tmp" if self.mode == "namespaces" else str(self.folder / "home"),
            "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            # ipykernel stops when this process does (in namespaces PID 1 sees to it, through the lifeline)
            "JPY_PARENT_PID": "1" if self.mode == "namespaces" else str(os.getpid()),
            "IPYTHONDIR": self.home + "/.ipython",
            "MPLCONFIGDIR": self.home + "/.matplotlib", "COURSE_DATA_CACHE": self.home + "/.cache/course_data",
        }
        if self.data_dir:
            env["COURSE_DATA_DIR"] = self.data_inside
        env.update(self.env)
        return env

    def readonly_paths(self) -> list[str]:
        return readonly_paths()

    def config(self, kernel_args: list[str]) -> dict:
        limits = self.limits
        return {
            "mode": self.mode, "ctl": str(self.ctl), "root": str(self.folder / "root"),
            "files": str(self.files), "work": self.work, "home": self.home,
            "readonly": self.readonly_paths(), "data": self.data_dir, "data_inside": self.data_inside,
            "uid": self.uid, "gid": self.uid, "tmpfs_bytes": limits.tmpfs_bytes,
            "rlimits": {"as": limits.memory_bytes, "cpu": limits.cpu_seconds, "nproc": limits.processes,
                        "fsize": limits.file_bytes, "nofile": limits.open_files, "core": 0},
            "env": self.kernel_env(), "kernel_args": kernel_args, "agent_socket": str(self.agent_socket),
            "codec": str(HERE / "codec.py"), "agent": str(HERE / "agent.py"),
            "max_message": limits.max_message_bytes, "network": self.network,
            "lifeline": str(self.lifeline_socket), "cgroups": self.group.procs, "cgroup_held": self.group.held,
            "transformed": self.transformed,
        }

    def command(self, kernel_cmd: list[str]) -> list[str]:
        """The launch command for the kernel command `kernel_cmd` (python -m ipykernel_launcher -f ...)."""
        if "ipykernel_launcher" not in kernel_cmd:
            raise SandboxError(f"the sandbox runs IPython kernels only; the kernel command is {kernel_cmd}")
        kernel_args = kernel_cmd[kernel_cmd.index("ipykernel_launcher") + 1:]
        path = self.ctl / "config.json"
        path.write_text(json.dumps(self.config(kernel_args)))
        os.chmod(path, 0o600)
        launcher = [sys.executable, "-I", str(HERE / "launch.py"), str(path)]
        if self.mode == "namespaces":
            flags = [f for f in UNSHARE[1:] if not (self.network and f == "--net")]
            return [shutil.which("unshare") or "unshare", *flags, *launcher]
        return launcher

    def status(self) -> dict:
        try:
            return json.loads((self.ctl / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def accept_agent(self, timeout: float) -> socket.socket:
        self.listener.settimeout(timeout)
        try:
            conn, _ = self.listener.accept()
        except socket.timeout:
            raise SandboxError(f"the kernel's agent did not connect within {timeout:.0f} s "
                               f"(launcher status: {self.status() or 'none'})") from None
        conn.settimeout(None)
        return conn

    def close(self) -> None:
        try:
            self.listener.close()
            self.lifeline.close()
            self.group.close()  # what the kernel left running, whatever it did to escape its session
            if self.mode != "namespaces" and self.uid is not None:  # in namespaces the IPC namespace is gone
                if not {"cgroup-memory", "cgroup-pids"} & set(self.group.held):  # no group held its processes
                    kill_processes_of(self.uid)
                remove_ipc_objects(self.uid)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._lease is not None:
                self._lease.release()
                self._lease = None


class SandboxKernelManager(ForkingKernelManager):
    """A kernel manager whose kernel starts inside `sandbox`, talks over IPC and is interrupted by message; forked
    from its `zygote` when it has one."""

    sandbox = AnyTrait(None, allow_none=True)
    message_limit = Integer(16 << 20, help="Largest message taken from the kernel's channels (ZMQ_MAXMSGSIZE).")
    message_queue = Integer(16, help="Messages held unread per channel (ZMQ_RCVHWM); past it the kernel waits.")
    history_database = Bool(True, help="Let IPython keep the kernel's history in its SQLite database (False: in "
                                       "lists only, --HistoryManager.enabled=False).")
    reply_pause = Float(0.0005, help="Seconds the kernel sleeps before each execute reply (ipykernel's "
                                     "Kernel._execute_sleep, 0.0005 unless set).")

    def _bounded(self, context):
        context.setsockopt(zmq.MAXMSGSIZE, self.message_limit)
        context.setsockopt(zmq.RCVHWM, self.message_queue)
        return context

    def client(self, **kwargs):
        """A client whose sockets take no message over `message_limit` and hold at most `message_queue` unread: the
        grading process's memory stays bounded whatever the kernel sends (a bigger message drops its connection)."""
        self._bounded(self.context)
        kwargs.setdefault("context", self._bounded(zmq.asyncio.Context()))
        kc = super().client(**kwargs)
        kc._created_context = True  # destroyed with the client
        return kc

    @property
    def kernel_spec(self) -> KernelSpec | None:
        spec = super().kernel_spec
        if spec is not None and spec.interrupt_mode != "message":
            spec = KernelSpec(**{**spec.to_dict(), "interrupt_mode": "message", "resource_dir": spec.resource_dir})
            self._kernel_spec = spec
        return spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        extra = [*(extra_arguments or []), *([] if self.history_database else ["--HistoryManager.enabled=False"]),
                 f"--Kernel._execute_sleep={self.reply_pause!r}"]
        return self.sandbox.command(super().format_kernel_cmd(extra))
