"""Kernels forked from a warm zygote instead of started from scratch.

A new IPython kernel costs a Python start, the import of ipykernel and then of what the notebook imports (numpy,
matplotlib, sklearn ...): 0.4 s of CPU for numpy alone, 1.5 s and more with matplotlib. A `Zygote` is a process
(`launch.py --zygote`) that has done those imports once; each kernel is a fork of it, so it starts with them done
and nothing else: no student code ever ran in the zygote, and each kernel is a new process with its own memory.

`ForkingKernelManager` is an AsyncKernelManager whose `zygote` (when set) launches its kernels; the command line
the manager would have run says what the forked child does (a sandbox's `unshare ... launch.py CONFIG`, or
`python -m ipykernel_launcher ARGS` with `kernel_rlimits`). A command it does not recognise is run as usual.
Its kernels talk over IPC unless told otherwise (no TCP port to lose to another process), so it is also the
manager of the plain kernels the authoring tools start (`zygote=None`).
Its clients (`ReadyKernelClient`) are ready as soon as the kernel has answered, without jupyter_client's fixed
0.2 s wait for IOPub to fall silent.
"""
from __future__ import annotations

import ast
import asyncio
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import Any as AnyTrait
from traitlets import CaselessStrEnum, DottedObjectName, Dict, Type

LAUNCH = Path(__file__).resolve().parent / "launch.py"
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
                  "IPython.core.completer", "sqlite3", "pdb",  # what a kernel's start-up imports (0.12 s of CPU)
                  # ... and what IPKernelApp.initialize then imports (0.02 s of CPU per kernel)
                  "faulthandler", "psutil", "IPython.core.completerlib", "IPython.core.debugger",
                  "IPython.core.oinspect", "IPython.extensions.storemagic", "IPython.utils.wildcard",
                  "tornado.platform.asyncio", "importlib.readers", "importlib.resources.readers",
                  # ... and its first traceback (IPython's ultratb formats it with stack_data and pygments)
                  "stack_data", "pygments.formatters.terminal256", "pygments.console", "pygments.lexers.python",
                  # ... and what numpy imports lazily, on first use, that every kernel uses: random (a forked kernel
                  # reseeds it) and testing (the sandbox agent's baseline), 8-13 ms of CPU each per kernel
                  "numpy", "numpy.random", "numpy.testing")
HOME_KEYS = ("HOME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR", "COURSE_DATA_CACHE")  # per kernel: the zygote's own
PER_KERNEL = ("JPY_PARENT_PID", "JPY_SESSION_NAME")


class ZygoteError(RuntimeError):
    """The zygote could not fork a kernel."""


class KernelNotReady(RuntimeError):
    """A kernel died before it was ready: none of a notebook has run in it."""


def cell_imports(sources: list[str]) -> list[str]:
    """Modules these cells import, in order: at top level and in the bodies of functions, classes, branches and
    loops at any depth (a locked cell's function that imports when it is called costs its kernel that import just
    the same); IPython magics and shell lines ignored, relative imports and cells that do not parse skipped."""
    found = []
    for source in sources:
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        nodes = sorted((n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))),
                       key=lambda n: (n.lineno, n.col_offset))
        for node in nodes:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if node.module and not node.level else []
            found += [n for n in names if n not in found]
    return found


class ForkedProcess:
    """A kernel forked by the zygote, handled like the subprocess.Popen jupyter_client's provisioner expects.

    It is the zygote's child, not ours: its end is seen through a pidfd, and its exit code is not known (-1).
    """
    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None
        try:
            self._fd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # an old kernel: fall back on signal 0
            self._fd = None

    def poll(self) -> int | None:
        if self.returncode is None:
            if self._fd is not None:
                gone = bool(select.select([self._fd], [], [], 0)[0])
            else:
                try:
                    os.kill(self.pid, 0)
                    gone = False
                except ProcessLookupError:
                    gone = True
            if gone:
                self.returncode = -1
                self._close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        self._close()


class Zygote:
    """One `launch.py --zygote` process: `spawn(request)` forks a kernel from it (one request at a time).

    `env` is the kernels' environment (what import-time code reads: MPLBACKEND, thread counts ...). `isolated` runs
    it as `python -I`, as the sandbox's launcher runs, and gives it folders of its own in place of the kernels'
    per-sandbox ones (HOME, MPLCONFIGDIR ...).
    """

    def __init__(self, *, modules: list[str], env: dict, isolated: bool):
        self.modules, self.isolated = Zygote.module_list(modules), isolated
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-zygote-"))
        self.env = {k: v for k, v in env.items() if k not in PER_KERNEL}
        self.given_env = dict(self.env)
        for key in HOME_KEYS if isolated else ():
            if key in self.env:
                self.env[key] = str(self.folder / key.lower())
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def serves(self, *, modules: list[str], env: dict, isolated: bool) -> bool:
        """Would Zygote(modules=modules, env=env, isolated=isolated) be this one (but for per-kernel folders)?"""
        same = lambda e: {k: v for k, v in e.items() if k not in PER_KERNEL and not (isolated and k in HOME_KEYS)}
        return (isolated == self.isolated and Zygote.module_list(modules) == self.modules
                and same(env) == same(self.given_env) and (self.process is None or self.process.poll() is None))

    @staticmethod
    def module_list(modules: list[str]) -> list[str]:
        return [*KERNEL_MODULES, *[m for m in modules if m not in KERNEL_MODULES]]

    def start(self) -> None:
        """Start the zygote (its imports run in the background; `spawn` waits for them)."""
        if self.process is not None and self.process.poll() is None:
            return
        command = [sys.executable, *(["-I"] if self.isolated else []), str(LAUNCH), "--zygote", json.dumps(self.modules)]
        # it asks itself to die with this thread (PR_SET_PDEATHSIG), and ends when its stdin does
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env,
                                        cwd=str(self.folder))
        self._ready = False

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise ZygoteError(f"the kernel zygote ended (exit code {self.process.poll()})")
        return json.loads(line)

    def spawn(self, request: dict) -> ForkedProcess:
        """Fork a kernel that carries out `request` (see launch.forked); restart the zygote once if it died."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    self.start()
                    if not self._ready:
                        self._answer()
                        self._ready = True
                    self.process.stdin.write(json.dumps(request).encode() + b"\n")
                    self.process.stdin.flush()
                    return ForkedProcess(int(self._answer()["pid"]))
                except (OSError, ValueError, KeyError, ZygoteError) as exc:
                    self._stop()
                    if attempt == 2:
                        raise ZygoteError(f"the kernel zygote could not fork a kernel: {exc}") from None
        raise AssertionError("unreachable")

    def request(self, cmd: list[str], kwargs: dict, rlimits: dict) -> dict | None:
        """What a forked child must do to stand in for `cmd`; None when it cannot."""
        if str(LAUNCH) in cmd:
            at = cmd.index(str(LAUNCH))
            if not self.isolated or len(cmd) != at + 2:
                return None
            flags = [a for a in cmd[1:at] if a.startswith("--")] if Path(cmd[0]).name == "unshare" else []
            return {"kind": "launch", "config": cmd[at + 1], "unshare": flags}
        if "ipykernel_launcher" in cmd and not self.isolated:
            env = dict(kwargs.get("env") or os.environ)
            env.setdefault("JPY_PARENT_PID", str(os.getpid()))  # as jupyter_client's launch_kernel sets it
            return {"kind": "kernel", "args": cmd[cmd.index("ipykernel_launcher") + 1:], "env": env,
                    "cwd": str(kwargs.get("cwd") or os.getcwd()), "rlimits": rlimits}
        return None

    def _stop(self) -> None:
        if self.process is not None:
            try:
                self.process.kill()
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            for pipe in (self.process.stdin, self.process.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            self.process = None

    def close(self) -> None:
        with self._lock:
            self._stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching through the kernel manager's zygote when it has one."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        km = self.parent
        zygote = getattr(km, "zygote", None)
        request = zygote.request(cmd, kwargs, dict(getattr(km, "kernel_rlimits", {}) or {})) if zygote else None
        if request is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = zygote.spawn(request)
        self.pid = self.process.pid
        try:
            self.pgid = os.getpgid(self.pid)
        except OSError:
            self.pgid = None
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info

    async def wait(self):
        pause = 0.001  # a killed kernel is gone in milliseconds: no need for 0.1 s steps
        while isinstance(self.process, ForkedProcess) and self.process.poll() is None:
            await asyncio.sleep(pause)
            pause = min(2 * pause, 0.005)
        return await super().wait()


class ReadyKernelClient(AsyncKernelClient):
    """An AsyncKernelClient whose wait_for_ready returns once the kernel has answered kernel_info on the shell
    channel and IOPub has carried that request's idle status: the IOPub messages before it are the start-up's
    (jupyter_client waits instead for 0.2 s of IOPub silence, on every kernel start)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Ask kernel_info until a reply comes whose idle status IOPub carried, before the reply was read or within
        0.2 s after. The replies can lag the requests by several (a kernel slow to start answers a queue of them at
        once, its IOPub subscription late): the idle status a reply is matched with may have come already."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        idle: set[str] = set()
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                if await self._drain_iopub(reply["parent_header"].get("msg_id"), 0.2, idle):
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise KernelNotReady("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _drain_iopub(self, msg_id: str | None, seconds: float, idle: set[str]) -> bool:
        """Read IOPub up to the idle status of request `msg_id`, adding the request of each idle status read to
        `idle`; False if it was not there and does not come within `seconds` (IOPub not connected yet)."""
        until = time.monotonic() + max(0.05, seconds)
        while msg_id not in idle and time.monotonic() < until:
            try:
                msg = await self.iopub_channel.get_msg(timeout=max(0.01, until - time.monotonic()))
            except Empty:
                return False
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                idle.add(msg["parent_header"].get("msg_id"))
        return msg_id in idle


def _pending_while(method):
    """jupyter_client's `method` (a kernel manager's start or shutdown) as its `in_pending_state` makes it, a new
    `ready` future while it runs and set when it ends, without the 10 ms sleep that decorator takes before setting it
    (for jupyter_client's tests to see the pending state): 20 ms of a grading process's time per notebook."""
    method = getattr(method, "__wrapped__", method)

    @functools.wraps(method)
    async def pending(self, *args, **kwargs):
        if self._attempted_start or not self._ready:
            self._ready = asyncio.get_running_loop().create_future()
        try:
            done = await method(self, *args, **kwargs)
        except Exception as exc:
            self._ready.set_exception(exc)
            # logged through the future, as jupyter_client's decorator logs it: its exception is then retrieved, and
            # asyncio does not log it again when the future is collected, at any moment (formatting a traceback
            # parses source, and in Python 3.11 a parse begun while another builds its tree makes that one fail)
            self.log.exception(self._ready.exception())
            raise
        if self.owns_kernel:
            self._ready.set_result(None)
        return done

    return pending


class ForkingKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that forks its kernel from `zygote` (a Zygote), or starts it as usual when None."""

    zygote = AnyTrait(None, allow_none=True, help="The Zygote to fork kernels from; None: start them as usual")
    kernel_rlimits = Dict(help="rlimits of a forked plain kernel: {'as': bytes, 'cpu': seconds}")
    client_class = DottedObjectName("autograder.sandbox.zygote.ReadyKernelClient")
    client_factory = Type(ReadyKernelClient, klass=AsyncKernelClient)

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True,
                                help="ipc: the kernel's sockets are files named after its connection file, in "
                                     "Jupyter's runtime folder (else the temporary one) unless set; tcp: ports on "
                                     "the loopback, which another process can take between jupyter_client picking "
                                     "them and the kernel binding them (the kernel then dies, or answers nothing)")

    start_kernel = _pending_while(KernelManager._async_start_kernel)
    shutdown_kernel = _pending_while(KernelManager._async_shutdown_kernel)

    async def _async_pre_start_kernel(self, **kw):
        if self.transport == "ipc" and not self.connection_file:
            folder = Path(jupyter_runtime_dir())
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError:  # a home folder it may not write to: where jupyter_client puts connection files then
                folder = Path(tempfile.gettempdir())
            self.connection_file = str(folder / f"kernel-{uuid.uuid4()}.json")
            self.ip = self.connection_file[:-len(".json")] + "-ipc"
        if self.provisioner is None and self.zygote is not None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    def client(self, **kwargs):
        """A client whose sockets try a connection that failed again after 5 ms, not libzmq's 100: a new kernel
        binds its sockets (over IPC, files) a few milliseconds after its start returns, and the client connects at
        once."""
        kc = super().client(**kwargs)
        kc.context.setsockopt(zmq.RECONNECT_IVL, 5)
        return kc
