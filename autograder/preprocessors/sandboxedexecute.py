"""nbgrader's Execute, sandboxed: the student's cells run in a locked-down kernel, the tests in the grader.

Configured in nbgrader_config.py in place of `Execute` in `Autograde.autograde_preprocessors`, so `nbgrader
autograde` and `python -m autograder grade` both use it.

- Student cells (answers, provided code, anything that is not a test) run in a fresh IPython kernel started by
  `autograder.sandbox.isolation`: where Linux allows it, new mount, network and PID namespaces, a private root
  holding only the system, Python, the read-only course data and a copy of the notebook's folder, an unprivileged
  uid and rlimits (CPU time, address space, processes, file size); otherwise (mode "plain") the rlimits and, as
  root, the uid. Per-cell timeout (`timeout`), per-notebook wall limit (`notebook_timeout`), output cap.
- Test cells (grade and not solution, per the gradebook) run in this process with the gradebook's source, pristine
  numpy and builtins; the student's objects are reached through `autograder.sandbox.remote`. Their outputs, and so
  their verdict for SaveAutoGrades, are written by the grader only.
- What was attempted and which limits were hit are flags: in the log, and in the autograded notebook's metadata
  under `nb.metadata["autograder"]["flags"]`, next to `["sandbox"]` (the protections that held).
- While a notebook runs, the next one's kernel starts in a fresh, empty sandbox (`prestart`; its start, made ready
  in this thread, runs in a thread of its own beside the notebook's cells), and the first one's when the grading
  process prepares (`prepare`, before any notebook has come); the next notebook's
  folder is copied into it when it comes, so every notebook still gets a kernel of its own (a spare that is not
  used by the time the grading process ends is stopped).
- Kernels are forked from a zygote (`fork_kernels`, autograder.sandbox.zygote) that imported ipykernel and what the
  notebook's locked cells import, once per grading process: the fork then enters the sandbox as a new kernel would.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from queue import Empty

import zmq
from zmq.utils.monitor import parse_monitor_message

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellControlSignal, CellExecutionComplete, CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Enum, Float, Integer, List, Unicode

from ..database import read_once
from ..readnotebook import MAX_NOTEBOOK_BYTES, NotebookFileError, parse_json, read_bytes, unsafe_entries
from ..sandbox.isolation import Limits, Sandbox, SandboxError, SandboxKernelManager, descendants
from ..sandbox.remote import Remote
from ..sandbox.scan import ATTEMPT, LIMIT, NOTICE, Flag, as_python, printable, scan_cell
from ..sandbox.testcell import error_output, run_test_cell
from ..sandbox.zygote import KernelNotReady, Zygote, cell_imports
from .hidetestoutput import HIDDEN_MARKER

SERVE = "__import__('_autograder_agent').serve()"
SUSPICIOUS_OUTPUT = re.compile(r"\b(pass(ed|es)?|success\w*|correct|all tests|full marks|points)\b|\u2713|\u2714",
                               re.IGNORECASE)
SEVERITY = {"timeout": LIMIT, "kernel-died": LIMIT}
OUTPUT_ERRORS = {  # ename of an output -> (flag code, severity, message)
    "MemoryError": ("memory-limit", LIMIT, "ran out of memory (the kernel's address-space limit)"),
    "CellTimeoutError": ("timeout", LIMIT, "ran over the per-cell time limit"),
}
_SPARE = None  # (key, Sandbox, kernel manager, its start) of the kernel started for the next notebook of this process
# where spare kernels start, and where used ones are stopped: one thread for the process's life (a zygote it starts
# again dies with it), its own event loop
_STARTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autograder-spare-kernel")
_ZYGOTE: Zygote | None = None  # the zygote this process forks its kernels from


def _discard(sandbox, km) -> None:
    """Stop `km`'s kernel, unless it was stopped already (a stuck kernel: its manager's sockets are closed, and a
    second stop would fail on them), and close its sandbox, which kills whatever is left in it."""
    if not km.shutting_down:
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - gone already
            pass
    sandbox.close()


def _discard_spare() -> None:
    global _SPARE
    if _SPARE is not None:
        spare, _SPARE = _SPARE, None
        _started(spare[3])
        _discard(*spare[1:3])


def _started(start: Future) -> BaseException | None:
    """Wait for a spare kernel's start to end; what it raised, if it did."""
    try:
        start.result()
    except BaseException as exc:  # noqa: BLE001 - the spare is then not used
        return exc
    return None


def _close_zygote() -> None:
    global _ZYGOTE
    if _ZYGOTE is not None:
        zygote, _ZYGOTE = _ZYGOTE, None
        zygote.close()


atexit.register(_close_zygote)
atexit.register(_discard_spare)  # first: its kernel is the zygote's child


@functools.lru_cache(maxsize=16)
def _imports_of(sources: tuple[str, ...]) -> list[str]:
    """cell_imports of the locked cells (function bodies too), parsed once per process for each assignment's cells."""
    return cell_imports(list(sources))


@functools.lru_cache(maxsize=16)
def _static_transforms(sources: tuple[str, ...]) -> dict[str, str]:
    """{source: what IPython's input transformer manager makes of it} for the locked cells that run in the kernel,
    once per process for each assignment's cells: each kernel takes these instead of working them out again
    (`leanshell.lean_cell_path`; 20-30 ms of CPU per toy notebook, 100 ms for MNIST's)."""
    transformed = {}
    for source in sources:
        try:
            transformed[source] = as_python(source)
        except Exception:  # noqa: BLE001 - the kernel meets the same error itself, and reports it
            continue
    return transformed


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _output_size(content: dict) -> int:
    if "text" in content:
        return len(content["text"])
    if "data" in content:
        return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in content["data"].values())
    return sum(len(str(line)) for line in content.get("traceback", ())) + len(str(content.get("evalue", "")))


def _joined(outs: list, out):
    """`out`, just appended to `outs`, added to the output before it when both are text of the same stream, as a
    notebook front end shows them: the kernel sends one print's text in as many messages as its flush timer (0.2 s)
    happened to cut it into, more of them on a loaded machine."""
    if out is not None and out.get("output_type") == "stream" and len(outs) > 1 and outs[-1] is out:
        before = outs[-2]
        if before.get("output_type") == "stream" and before.get("name") == out.get("name"):
            before["text"] += out["text"]
            outs.pop()
            return before
    return out


def _without_hidden(source: str) -> str:
    """The test as released: nbgrader's ClearHiddenTests drops the lines from BEGIN to END HIDDEN TESTS."""
    kept, hidden = [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def cell_grade_id(cell) -> str | None:
    """The grade_id of a submitted cell's nbgrader metadata, None where the metadata is gone or not a mapping."""
    meta = (cell.get("metadata") or {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return None if gid is None else str(gid)


def _cell_text(cell) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def _normalized(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines() if line.strip())


class SandboxedExecute(Execute):
    """Execute the notebook in a sandboxed kernel and evaluate its test cells in the grader."""

    isolation = Enum(
        ("auto", "namespaces", "plain"), "auto",
        help="How the kernel is isolated: 'namespaces' (unshare: private root, no network, own PID space; needs "
             "root), 'plain' (rlimits, and a separate uid when root), 'auto' (namespaces when possible)."
    ).tag(config=True)
    notebook_timeout = Integer(
        1800, help="Wall-clock limit in seconds for the whole notebook; cells after it are not run (and fail)."
    ).tag(config=True)
    cpu_time_limit = Integer(
        None, allow_none=True,
        help="CPU seconds the kernel may use (RLIMIT_CPU); None: notebook_timeout + 60."
    ).tag(config=True)
    memory_limit = Integer(
        4 << 30, help="Memory of the kernel in bytes: each of its processes' address space (RLIMIT_AS: a bigger "
                      "allocation is a MemoryError) and, where control groups can be used, all its processes together "
                      "(over it, the kernel's largest process is killed)."
    ).tag(config=True)
    process_limit = Integer(
        256, help="Processes and threads of the kernel: of its uid (RLIMIT_NPROC) and of its control group."
    ).tag(config=True)
    file_size_limit = Integer(
        256 << 20, help="Largest file the kernel may write, in bytes (RLIMIT_FSIZE)."
    ).tag(config=True)
    output_limit = Integer(
        1 << 20, help="Bytes of output kept per cell; the rest is dropped with a note (and a flag)."
    ).tag(config=True)
    notebook_output_limit = Integer(
        8 << 20, help="Bytes of output kept for the whole notebook."
    ).tag(config=True)
    source_limit = Integer(
        1 << 20, help="A cell whose source is longer (in characters) is not run."
    ).tag(config=True)
    notebook_size_limit = Integer(
        MAX_NOTEBOOK_BYTES, help="A submitted notebook file larger than this (bytes) is flagged and not inspected."
    ).tag(config=True)
    network = Bool(
        False, help="Give the kernel network access (False: a network namespace without interfaces)."
    ).tag(config=True)
    sandbox_uid = Integer(
        61000, help="First unprivileged uid for kernels (root only); kernels that run at the same time, on one "
                    "machine, never share one (autograder.sandbox.uids)."
    ).tag(config=True)
    sandbox_uid_count = Integer(
        1000, help="How many uids from sandbox_uid on may be used (two per grading process: a kernel and its spare)."
    ).tag(config=True)
    data_dir = Unicode(
        None, allow_none=True,
        help="Folder the kernel sees read-only as COURSE_DATA_DIR; None: $COURSE_DATA_DIR if set."
    ).tag(config=True)
    tests_in_grader = Bool(
        True, help="Evaluate test cells (grade, not solution) in the grader process with pristine numpy."
    ).tag(config=True)
    local_modules = List(
        Unicode(), ["numpy", "math", "cmath", "warnings"],
        help="Modules the test code gets from the grader (by name) when the kernel has them: never proxies."
    ).tag(config=True)
    pinned_names = Dict(
        {"np": "numpy", "numpy": "numpy", "repeat_calls": "autograder.sandbox.remote:repeat_calls"},
        help="Names the test code always gets from the grader, whatever the kernel binds to them: \"module\" is the "
             "grader's module, \"module:name\" that module's attribute (repeat_calls: n calls of a student's "
             "function in one request to the kernel)."
    ).tag(config=True)
    agent_timeout = Float(
        30.0, help="Seconds to wait for the kernel's agent (start-up, and at the start of each test cell)."
    ).tag(config=True)
    message_limit = Integer(
        64 << 20,
        help="Largest message from the kernel's agent to the grader, in bytes (arrays travel as raw bytes; the JSON "
             "part is at most a sixteenth of it, and at least 1 MiB). A bigger answer fails its test cell."
    ).tag(config=True)
    grader_grace = Float(
        2.0, help="Seconds the grader's own part of a test cell may run past the cell's time limit before the grader "
                  "stops it (the per-cell limit covers the test code run in the grader as well as the kernel)."
    ).tag(config=True)
    prestart = Bool(
        True, help="Start the next notebook's kernel (in a fresh, empty sandbox) while this one runs."
    ).tag(config=True)
    tmpfs_size = Integer(
        512 << 20, help="Size in bytes of the kernel's private root (its /tmp and working folder included)."
    ).tag(config=True)
    kernel_message_limit = Integer(
        16 << 20, help="Largest message the grader takes from the kernel's Jupyter channels, in bytes (ZMQ_MAXMSGSIZE): "
                       "a bigger one (a cell printing hundreds of MiB at once) is dropped unread, with its connection, "
                       "which the grader then makes again; flagged output-truncated."
    ).tag(config=True)
    kernel_message_queue = Integer(
        16, help="Messages from the kernel the grader holds unread per channel (ZMQ_RCVHWM); past it the kernel waits. "
                 "With kernel_message_limit this bounds the grader's memory for what a notebook prints."
    ).tag(config=True)
    fork_kernels = Bool(
        True, help="Fork each kernel from a zygote that imported ipykernel and the modules the notebook's locked "
                   "cells import, once per grading process (False: start each kernel from scratch)."
    ).tag(config=True)
    reply_pause = Float(
        0.0, help="Seconds each kernel sleeps before each execute reply (ipykernel's Kernel._execute_sleep, 0.0005 by "
                  "default: against outputs reaching a frontend after the reply). The grader takes a cell's outputs "
                  "until the cell's idle status, which IOPub carries after them whatever the reply's order: here the "
                  "sleep only holds the grading process up, at every cell."
    ).tag(config=True)
    history_database = Bool(
        False, help="Keep the kernel's IPython history in an SQLite database (in memory: ipython_hist_file), as IPython "
                    "does. False: in lists only, which In, Out, _i and %history of the notebook's own cells read; "
                    "%history -l and -g, which search the database, then find nothing. False spares each kernel the "
                    "database and each cell its write (about 0.4 ms of the kernel's CPU)."
    ).tag(config=True)
    not_run = List(
        Unicode(), ["handin_check"],
        help="Grade ids of locked cells that do nothing when the notebook is graded (the hand-in check): such a cell, "
             "its source the gradebook's, is not sent to the kernel and keeps no outputs and no execution count."
    ).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------------------------------ notebook

    def preprocess(self, nb, resources, km=None):
        self._flags: list[Flag] = []
        self._started = time.monotonic()
        self._dead: str | None = None
        self._agent = None
        self._agent_broken: str | None = None
        self._nb_bytes = 0
        self._cell_bytes = 0
        self._cell_truncated = False
        self._wall_flagged = False
        self._iopub_remade = False
        self._test_seconds = 0.0
        info = self._read_cells(resources)
        self._scan_student_cells(nb)
        notebook_dir = Path((resources.get("metadata") or {}).get("path") or ".")
        self._check_submission(info, notebook_dir)
        kernel_name = self._kernel_name_for(nb)
        spare = self._take_spare(kernel_name) if km is None else None
        if spare is not None:
            self._sandbox, km = spare
            self._sandbox.deliver(notebook_dir, self._kernel_host_pid(km))
        else:
            self._sandbox = self._new_sandbox(notebook_dir)
        if self.prestart:  # the next notebook's kernel starts while this one runs
            self._start_spare(kernel_name)
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        finally:
            status = self._sandbox.status()
            self._group_flags(self._sandbox.group.events())
            if self._agent is not None:
                self._agent.close()
            if spare is not None:
                self._end_later(km)
            else:  # nbclient stopped the kernel it started
                self._sandbox.close()
        self._record(nb, status)
        return nb, resources

    def prepare(self, nb, resources) -> None:
        """Start the first notebook's kernel before that notebook comes, as `prestart` starts each next one: this
        process's zygote (its imports run in a process of their own) and a kernel in an empty sandbox, which the
        first notebook like `nb` (the release: its kernel name, its locked cells' imports) then takes. `resources`
        name the assignment, notebook and gradebook as `preprocess`'s do. Nothing is started without `prestart`."""
        if not self.prestart:
            return
        try:
            self._read_cells(resources)
        except Exception as exc:  # noqa: BLE001 - the first notebook reads them itself, and says what is wrong
            self.log.warning("[sandbox] no kernel started in advance: %s", exc)
            return
        self._start_spare(self._kernel_name_for(nb))

    def _read_cells(self, resources) -> dict:
        """The gradebook's test and locked cells of the notebook `resources` name (kept in `_tests`, `_locked`);
        returns resources' nbgrader part."""
        info = resources.get("nbgrader", {}) if isinstance(resources, dict) else {}
        self._where = "/".join(str(info.get(k, "?")) for k in ("student", "assignment", "notebook"))
        self._tests, self._locked = self._gradebook_cells(info)
        return info

    def _kernel_name_for(self, nb) -> str:
        return self.kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"

    # ------------------------------------------------------------------------------------------ spare kernels

    def _new_sandbox(self, notebook_dir: Path) -> Sandbox:
        return Sandbox(notebook_dir, self._limits(), isolation=self.isolation, uids=self._uids(),
                       data_dir=self._data_dir(), env=self._kernel_env(), network=self.network,
                       transformed=_static_transforms(tuple(sorted(source for gid, source in self._locked.items()
                                                                  if gid not in self._tests))))

    def _spare_key(self, kernel_name: str) -> tuple:
        return (self._limits(), self.isolation, self._uids(), self._data_dir(), tuple(sorted(self._kernel_env().items())),
                self.network, kernel_name, os.getpid(), self.history_database, self.reply_pause,
                tuple(a for a in self.extra_arguments if not a.startswith("--HistoryManager.hist_file")))

    def _start_spare(self, kernel_name: str) -> None:
        """Start the next notebook's kernel now (in an empty sandbox), so that it is ready when that comes: its
        sandbox, kernel manager and zygote are made here, the start (the zygote's fork, the kernel's sockets) runs
        in the starter thread while this notebook's cells run."""
        global _SPARE
        sandbox = None
        try:
            sandbox = self._new_sandbox(Path("/nonexistent"))
            km = self._configure(self.kernel_manager_class(kernel_name=kernel_name, config=self.config), sandbox)
            km.kernel_spec  # looked up here: its lookup imports IPython and ipykernel, which a thread importing them
            # while this one does (a notebook's cells scanned) could find half made
        except Exception as exc:  # noqa: BLE001 - no spare: the next notebook starts its own kernel
            self.log.debug("[sandbox] no spare kernel: %s", exc)
            if sandbox is not None:
                sandbox.close()  # its folder, control group and uid
            return
        arguments = [a for a in self.extra_arguments if not a.startswith("--HistoryManager.hist_file")]
        arguments.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")
        start = _STARTER.submit(run_sync(km.start_kernel), extra_arguments=arguments, cwd=str(sandbox.folder))
        _discard_spare()
        _SPARE = (self._spare_key(kernel_name), sandbox, km, start)

    def _take_spare(self, kernel_name: str):
        global _SPARE
        spare, _SPARE = _SPARE, None
        if spare is None:
            return None
        key, sandbox, km, start = spare
        failed = _started(start)
        if failed is not None:
            self.log.debug("[sandbox] no spare kernel: %s", failed)
        try:
            alive = failed is None and run_sync(km.is_alive)()
        except Exception:  # noqa: BLE001
            alive = False
        if key != self._spare_key(kernel_name) or not alive:
            _discard(sandbox, km)
            return None
        self.log.debug("[sandbox] %s: using the kernel started in advance", self._where)
        return sandbox, km

    def _kernel_host_pid(self, km) -> int | None:
        """The kernel's process id as this process sees it (in namespaces it is PID 2 of its own PID space, which
        its launcher forks a few milliseconds after the kernel manager's start returns: looked for until it is
        there, its launcher is gone or `startup_timeout` is up)."""
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is None:
            return None
        if self._sandbox.mode != "namespaces":
            return process.pid
        deadline, pause = time.monotonic() + self.startup_timeout, 0.001
        while True:
            for pid in descendants(process.pid):
                try:
                    ns_pids = [line.split()[1:] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                               if line.startswith("NSpid:")][0]
                except (OSError, IndexError):
                    continue
                if ns_pids and ns_pids[-1] == "2":
                    return pid
            if process.poll() is not None or time.monotonic() > deadline:
                return None
            time.sleep(pause)
            pause = min(2 * pause, 0.01)

    def _end_later(self, km) -> None:
        """Close this notebook's client, and leave the kernel's stop and the sandbox's close to the starter thread,
        while the next notebook runs: a killed kernel's namespace takes 10-15 ms to die, which the sandbox's close
        waits for. What the notebook did was read from the sandbox before (its status, its group's events)."""
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        except Exception as exc:  # noqa: BLE001 - closed already
            self.log.debug("[sandbox] closing the kernel's client: %s", exc)
        sandbox, where, log = self._sandbox, self._where, self.log

        def end() -> None:
            try:
                _discard(sandbox, km)
            except Exception as exc:  # noqa: BLE001 - said, as when it was done before the notebook's outcome
                log.warning("[sandbox] %s: closing the sandbox: %s", where, exc)

        _STARTER.submit(end)

    def _zygote(self, sandbox: Sandbox) -> Zygote:
        """This process's zygote for kernels like `sandbox`'s (a new one when the modules or environment changed)."""
        global _ZYGOTE
        modules = _imports_of(tuple(getattr(self, "_locked", {}).values()))
        env = sandbox.kernel_env()
        if _ZYGOTE is None or not _ZYGOTE.serves(modules=modules, env=env, isolated=True):
            _close_zygote()
            _ZYGOTE = Zygote(modules=modules, env=env, isolated=True)
            _ZYGOTE.start()  # from this thread: the zygote dies with the thread that started it
        return _ZYGOTE

    def _limits(self) -> Limits:
        return Limits(cpu_seconds=self.cpu_time_limit or self.notebook_timeout + 60, memory_bytes=self.memory_limit,
                      processes=self.process_limit, file_bytes=self.file_size_limit, tmpfs_bytes=self.tmpfs_size)

    def _uids(self) -> range | None:
        return range(self.sandbox_uid, self.sandbox_uid + self.sandbox_uid_count) if os.geteuid() == 0 else None

    def _data_dir(self) -> str | None:
        folder = self.data_dir or os.environ.get("COURSE_DATA_DIR")
        return os.path.realpath(folder) if folder and os.path.isdir(folder) else None

    def _kernel_env(self) -> dict:
        return {k: os.environ[k] for k in ("NBGRADER_EXECUTION",) if k in os.environ}

    def _gradebook_cells(self, info) -> tuple[dict, dict]:
        """({grade_id: (source, points)} of the test cells, {grade_id: source} of the locked cells)."""
        if not all(k in info for k in ("db_url", "notebook", "assignment")):
            return {}, {}
        # a gradebook file unchanged since the last notebook (a grading worker's snapshot) is not read again
        tests, locked = read_once(info["db_url"], "SandboxedExecute", (info["notebook"], info["assignment"]),
                                  lambda: self._read_gradebook_cells(info), keep=lambda cells: any(cells))
        return dict(tests), dict(locked)

    def _read_gradebook_cells(self, info) -> tuple[dict, dict]:
        from nbgrader.api import Gradebook, MissingEntry

        try:
            with Gradebook(info["db_url"]) as gb:
                notebook = gb.find_notebook(info["notebook"], info["assignment"])
                solutions = {c.name for c in notebook.solution_cells}
                sources = {c.name: c for c in notebook.source_cells}
                tests = {c.name: (sources[c.name].source, float(c.max_score)) for c in notebook.grade_cells
                         if c.cell_type == "code" and c.name not in solutions and c.name in sources}
                locked = {name: c.source for name, c in sources.items() if c.locked}
        except MissingEntry:
            self.log.warning("[sandbox] %s: the notebook is not in the gradebook; all cells run in the kernel",
                             self._where)
            return {}, {}
        return tests, locked

    # ------------------------------------------------------------------------------------------ flags

    def _flag(self, code: str, severity: str, cell: str, message: str) -> None:
        flag = Flag(code, severity, printable(str(cell)), printable(str(message)))
        if flag not in self._flags:
            self._flags.append(flag)
            log = self.log.warning if severity != NOTICE else self.log.info
            log("[sandbox] %s: %s %s in %s: %s", self._where, severity, code, flag.cell, flag.message)

    def _group_flags(self, events: dict) -> None:
        """What the kernel's control group refused, over the whole notebook."""
        if events.get("oom_kills"):
            self._flag("memory-limit", LIMIT, "notebook", f"the kernel's processes went over the memory limit "
                       f"({self.memory_limit / 2**30:g} GiB in all): {events['oom_kills']} killed")
        if events.get("fork_refusals"):
            self._flag("process-limit", LIMIT, "notebook", f"the kernel hit the process limit ({self.process_limit}) "
                       f"{events['fork_refusals']} times (fork bomb?)")

    def _scan_student_cells(self, nb) -> None:
        for index, cell in enumerate(nb.cells):
            gid = _grade_id(cell)
            if cell.cell_type != "code" or (gid in self._locked and cell.source == self._locked[gid]):
                continue
            where = gid or f"cell {index}"
            for flag in scan_cell(cell.source, cell=where):
                self._flag(flag.code, flag.severity, flag.cell, flag.message)

    def _submitted_folder(self, info) -> Path | None:
        try:
            from nbgrader.coursedir import CourseDirectory

            coursedir = CourseDirectory(config=self.config)
            return Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"]))
        except Exception:  # noqa: BLE001 - no course folder here: the pipeline hands over the file's bytes
            return None

    def _refuse_unsafe_files(self, folder: Path, info, notebook_dir: Path) -> None:
        """Flag links, FIFOs and devices in the submission folder; what nbgrader copied in their place (the file a
        link points to) is removed before the kernel's folder is made; a notebook that is one is not run."""
        for relative, kind in unsafe_entries(folder):
            self._flag("unsafe-file", ATTEMPT, "notebook", f"{relative} in the submission folder is {kind}: refused")
            if relative == f"{info.get('notebook')}.ipynb":
                self._dead = f"the submitted notebook is {kind}, not a file"
                continue
            copied = notebook_dir / relative
            if notebook_dir.resolve() != folder.resolve() and (copied.is_file() or copied.is_symlink()):
                copied.unlink()

    def _check_submission(self, info, notebook_dir: Path) -> None:
        """Compare the file the student handed in with the gradebook: deleted, edited, duplicated test cells.

        The file is read by `autograder.readnotebook`, as every stage reads it: the bytes the grading pipeline
        hands over (`resources["nbgrader"]["submission"]`), else the file in the course's submitted/ folder."""
        if not info:
            return
        data, where = info.get("submission"), f"the submitted {info.get('notebook')}.ipynb"
        folder = self._submitted_folder(info)
        if folder is not None and folder.is_dir():
            self._refuse_unsafe_files(folder, info, notebook_dir)
        if data is None:
            path = folder / f"{info.get('notebook')}.ipynb" if folder is not None else None
            if path is None or not os.path.lexists(path):
                return
            try:
                data = read_bytes(path, max_bytes=self.notebook_size_limit)
            except NotebookFileError as exc:
                self._flag(exc.code, ATTEMPT, "notebook", f"{where} {exc.problem}")
                return
        elif len(data) > self.notebook_size_limit:
            self._flag("oversized-notebook", ATTEMPT, "notebook", f"{where} is {len(data) / 2**20:.0f} MiB "
                       f"(limit {self.notebook_size_limit / 2**20:.0f})")
            return
        try:
            submitted = parse_json(data, where=where)
        except NotebookFileError as exc:
            self._flag("invalid-notebook", ATTEMPT, "notebook", str(exc))
            return
        cells = [c for c in submitted["cells"] if isinstance(c, dict)]
        seen = {}
        for index, cell in enumerate(cells):
            gid = cell_grade_id(cell)
            if gid is not None:
                seen.setdefault(gid, []).append((index, cell, cell["metadata"]["nbgrader"]))
        # Cells whose nbgrader metadata is gone (Colab, copy-paste): a test found among them by its content is
        # restored by the repair step, not deleted.
        anonymous = {_normalized(_cell_text(cell)) for cell in cells if cell_grade_id(cell) is None}
        for gid, (source, points) in self._tests.items():
            found = seen.get(gid, [])
            if not found:
                if not anonymous & {_normalized(source), _normalized(_without_hidden(source))}:
                    # A missing test alone is no evidence of intent: the grader runs the gradebook's copy anyway.
                    self._flag("deleted-test", NOTICE, gid, "the test cell is missing from the submission "
                               "(the gradebook's copy was run)")
                continue
            if len(found) > 1:
                self._flag("duplicate-grade-id", ATTEMPT, gid, f"{len(found)} cells carry this test's grade_id")
            index, cell, meta = found[0]
            text = _cell_text(cell)
            if _normalized(text) not in (_normalized(source), _normalized(_without_hidden(source))):
                self._flag("edited-test", ATTEMPT, gid, "the test cell's code was changed")
            if cell.get("cell_type") != "code":
                self._flag("changed-cell-type", ATTEMPT, gid, f"the test cell was turned into {cell.get('cell_type')}")
            try:
                if float(meta.get("points", -1)) != points:
                    self._flag("edited-points", ATTEMPT, gid, f"points changed from {points:g} to {meta.get('points')}")
            except (TypeError, ValueError):
                self._flag("edited-points", ATTEMPT, gid, f"points changed to {meta.get('points')!r}")
            if not meta.get("grade") or meta.get("solution") or not meta.get("locked", True):
                self._flag("edited-metadata", ATTEMPT, gid, "the test cell's nbgrader metadata was changed")
            outputs = cell.get("outputs") or []
            shown = json.dumps([o for o in outputs if isinstance(o, dict) and o.get("output_type") != "error"],
                               ensure_ascii=False)
            if outputs and (cell.get("execution_count") is None or SUSPICIOUS_OUTPUT.search(shown)):
                self._flag("prefilled-output", ATTEMPT, gid,
                           "the submission holds outputs in this test cell that its run did not make (discarded)")
        for gid, found in seen.items():
            if gid not in self._tests and len(found) > 1:
                self._flag("duplicate-grade-id", ATTEMPT, gid, f"{len(found)} cells carry this grade_id")
            for index, cell, meta in found:
                if gid not in self._tests and gid not in self._locked and meta.get("grade") and \
                        not meta.get("solution"):
                    self._flag("fake-test-cell", ATTEMPT, gid, "a cell of the student's claims to be a test cell")

    def _record(self, nb, status: dict) -> None:
        held = list(status.get("held", []))
        wanted = ["mount-namespace", "net-namespace", "pid-namespace", "ipc-namespace", "private-root", "chroot",
                  "uid", "rlimit-as", "rlimit-cpu", "rlimit-nproc", "rlimit-fsize", "cgroup-memory", "cgroup-pids"]
        if self.network:
            wanted.remove("net-namespace")
        fallback = "; ".join(r for r in (self._sandbox.fallback_reason, self._sandbox.group.reason) if r)
        sandbox = {"isolation": self._sandbox.mode, "held": held, "missing": [w for w in wanted if w not in held],
                   "fallback_reason": fallback, "tests_in_grader": bool(self.tests_in_grader),
                   "kernel_end": status.get("ended", ""), "seconds": round(time.monotonic() - self._started, 2),
                   "test_seconds": round(self._test_seconds, 2)}
        if sandbox["missing"]:
            self.log.warning("[sandbox] %s: protections missing here: %s (%s)", self._where,
                             ", ".join(sandbox["missing"]), sandbox["fallback_reason"] or status.get("error", ""))
        hidden = sorted(gid for gid, (source, _) in self._tests.items() if HIDDEN_MARKER in source)
        nb.metadata["autograder"] = {**nb.metadata.get("autograder", {}), "sandbox": sandbox,
                                     "flags": [f.as_dict() for f in self._flags], "hidden_test_cells": hidden}

    # ------------------------------------------------------------------------------------------ kernel

    def create_kernel_manager(self):
        return self._configure(super().create_kernel_manager(), self._sandbox)

    def _configure(self, km, sandbox: Sandbox):
        km.zygote = self._zygote(sandbox) if self.fork_kernels else None
        km.sandbox = sandbox
        km.transport = "ipc"
        km.message_limit, km.message_queue = self.kernel_message_limit, self.kernel_message_queue
        km.history_database = self.history_database
        km.reply_pause = self.reply_pause
        km.ip = str(sandbox.ctl / "k")
        km.connection_file = str(sandbox.ctl / "kernel.json")
        return km

    async def async_start_new_kernel_client(self):
        """The client of a kernel that is ready: it answered kernel_info (having taken its agent's baseline as it
        started, launch.py) and its agent connected. A kernel that died before (no student code has run in it) is
        KernelNotReady."""
        kc = await super().async_start_new_kernel_client()
        self._monitors = {name: getattr(kc, f"{name}_channel").socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
                          for name in ("iopub", "shell")}
        try:
            self._agent = self._sandbox.accept_agent(self.agent_timeout)
            status = self._sandbox.status()
            if status.get("error"):
                raise SandboxError(f"{self._where}: {status['error']}")
        except SandboxError as exc:
            if not await self.km.is_alive():
                raise KernelNotReady(str(exc)) from None
            raise
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def _check_channels(self) -> bool:
        """Did the kernel's channels drop a message over `kernel_message_limit` since the last look? A dropped iopub
        connection is made again (libzmq does not), so later cells' outputs arrive (`_iopub_ready`); the TA is
        told."""
        dropped = False
        for name, monitor in list(getattr(self, "_monitors", {}).items()):
            while await monitor.poll(0):
                event = parse_monitor_message(await monitor.recv_multipart())
                if event["event"] != zmq.EVENT_DISCONNECTED:
                    continue
                dropped = True
                self._flag("output-truncated", LIMIT, self._current, f"the kernel sent a message over "
                           f"{self.kernel_message_limit / 2**20:g} MiB on its {name} channel: dropped unread")
                if name == "iopub":
                    monitor.close(linger=0)
                    old, self.kc._iopub_channel = self.kc.iopub_channel, None
                    old.close()
                    self._monitors["iopub"] = self.kc.iopub_channel.socket.get_monitor_socket(
                        zmq.EVENT_DISCONNECTED)
                    self._iopub_remade = True
                    break
        return dropped

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        left = max(1, int(self._wall_left()))
        return left if timeout is None else min(timeout, left)

    def _wall_left(self) -> float:
        return self.notebook_timeout - (time.monotonic() - self._started)

    def _kill(self, reason: str) -> None:
        if self._dead:
            return
        self._dead = reason
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception as exc:  # noqa: BLE001 - it may be gone already
            self.log.debug("[sandbox] shutting down a stuck kernel: %s", exc)

    def _interrupt(self) -> None:
        try:
            run_sync(self.km.interrupt_kernel)()
        except Exception as exc:  # noqa: BLE001
            self.log.debug("[sandbox] interrupt failed: %s", exc)

    def _kernel_ended(self) -> str:
        ended = self._sandbox.status().get("ended")
        return f" (kernel {ended})" if ended else ""

    def output(self, outs, msg, display_id, cell_index):
        """Keep outputs up to the per-cell and per-notebook caps; error outputs always (their traceback capped)."""
        content = msg.get("content", {})
        if msg.get("msg_type") == "error":
            content["traceback"] = list(content.get("traceback", []))[-60:]
            return super().output(outs, msg, display_id, cell_index)
        size = _output_size(content)
        left = min(self.output_limit - self._cell_bytes, self.notebook_output_limit - self._nb_bytes)
        if size > left:
            if msg.get("msg_type") == "stream" and left > 0:
                content["text"] = content["text"][:left]
                self._cell_bytes += left
                self._nb_bytes += left
                _joined(outs, super().output(outs, msg, display_id, cell_index))
            if not self._cell_truncated:
                self._cell_truncated = True
                outs.append(NotebookNode(output_type="stream", name="stdout",
                                         text="\n[output truncated by the grader: over its output limit]\n"))
                self._flag("output-truncated", LIMIT, self._current, "the cell's output went over the output limit")
            return None
        self._cell_bytes += size
        self._nb_bytes += size
        return _joined(outs, super().output(outs, msg, display_id, cell_index))

    # ------------------------------------------------------------------------------------------ cells

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        gid = _grade_id(cell)
        self._current = gid or f"cell {index}"
        if gid in self.not_run and gid in self._locked and cell.source == self._locked[gid]:
            cell.outputs, cell.execution_count = [], None
            return cell, resources
        test = self.tests_in_grader and gid in self._tests
        if test:
            self._restore_test(cell, gid)
        if self._dead:
            cell.outputs = [error_output("SandboxError", f"not run: {self._dead}", self._current)]
            return cell, resources
        if self._wall_left() <= 0:
            if not self._wall_flagged:
                self._wall_flagged = True
                self._flag("notebook-timeout", LIMIT, self._current,
                           f"the notebook ran over its limit of {self.notebook_timeout} s; later cells were not run")
            cell.outputs = [error_output("SandboxError", "not run: the notebook ran over its time limit",
                                         self._current)]
            return cell, resources
        if len(cell.source) > self.source_limit:
            self._flag("oversized-cell", ATTEMPT, self._current, f"{len(cell.source)} characters of source: not run")
            cell.outputs = [error_output("SandboxError", "not run: the cell's source is over the size limit",
                                         self._current)]
            return cell, resources
        self._cell_bytes, self._cell_truncated = 0, False
        if test:
            self._run_test(cell, index, gid)
        else:
            self._run_in_kernel(cell, resources, index)
        if not self._dead:
            run_sync(self._check_channels)()
        if not self._dead and self._iopub_remade:
            run_sync(self._iopub_ready)()
        return cell, resources

    async def _async_poll_output_msg(self, parent_msg_id: str, cell, cell_index: int) -> None:
        """nbclient's, which also ends when the kernel's iopub connection was dropped (a message over
        `kernel_message_limit`): the cell's idle status may have gone with it, and nbclient would wait for it until
        the cell's time is up and the kernel is killed. The cell then ends with the kernel's reply, which nbclient
        waits for beside this; what the kernel prints after the drop is not kept."""
        while True:
            try:
                msg = await self.kc.iopub_channel.get_msg(timeout=0.25)
            except Empty:
                if await self._check_channels():
                    return
                continue
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return

    async def _iopub_ready(self) -> None:
        """Wait, once the cell is done, until an iopub connection made again carries the kernel's messages: what
        the kernel publishes before the new subscription is in place is lost, the next cell's idle status among it
        (that cell would then seem to run over its time, and cost its points)."""
        self._iopub_remade = False
        try:
            await self.kc.wait_for_ready(timeout=self.agent_timeout)
        except (KernelNotReady, RuntimeError) as exc:  # dead or silent: the next cell says so
            self.log.info("[sandbox] %s: iopub connected again, the kernel does not answer: %s", self._where, exc)

    def _restore_test(self, cell, gid) -> None:
        """The test's code and nbgrader metadata from the gradebook, whatever the notebook says."""
        source, points = self._tests[gid]
        meta = cell.metadata.setdefault("nbgrader", {})
        if cell.source != source:
            cell.source = source
        if not meta.get("grade") or meta.get("solution") or float(meta.get("points", -1)) != points:
            self._flag("edited-metadata", ATTEMPT, gid, "the test cell's nbgrader metadata was restored")
        meta.update(grade=True, solution=False, locked=True, points=points)

    def _run_in_kernel(self, cell, resources, index) -> None:
        try:
            super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = f"the kernel died in {self._current}{self._kernel_ended()}"
            self._flag("kernel-died", LIMIT, self._current, self._dead)
            cell.outputs.append(error_output("DeadKernelError", self._dead, self._current))
        except CellTimeoutError:
            run_sync(self._check_channels)()  # before the kernel is stopped (which closes its connections)
            self._kill(f"{self._current} did not stop after its time limit")
            self._flag("timeout", LIMIT, self._current, "ran over its time limit and did not stop: kernel killed")
            cell.outputs.append(error_output("CellTimeoutError", self._dead, self._current))
        self._output_flags(cell)

    def _output_flags(self, cell) -> None:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            ename, evalue = out.get("ename", ""), str(out.get("evalue", ""))
            if ename in OUTPUT_ERRORS:
                self._flag(*OUTPUT_ERRORS[ename][:2], self._current, OUTPUT_ERRORS[ename][2])
            elif "Resource temporarily unavailable" in evalue or ename == "BlockingIOError":
                self._flag("process-limit", LIMIT, self._current, "hit the process limit (fork bomb?)")
            elif "Network is unreachable" in evalue or "Temporary failure in name resolution" in evalue:
                self._flag("network", ATTEMPT, self._current, f"tried the network: {evalue[:120]}")
            elif "File too large" in evalue:
                self._flag("file-size-limit", LIMIT, self._current, "wrote a file over the size limit")

    def _run_test(self, cell, index, gid) -> None:
        if self._agent_broken:
            cell.outputs = [error_output("SandboxError", f"not run: {self._agent_broken}", gid)]
            return
        timeout = self._get_timeout(cell)
        msg_id = self.kc.execute(SERVE, store_history=False, allow_stdin=False, stop_on_error=False)
        remote = Remote(self._agent, deadline=time.monotonic() + timeout, max_bytes=self.message_limit,
                        local_modules=frozenset(self.local_modules), on_timeout=self._interrupt,
                        flag=lambda code, message: self._flag(code, SEVERITY.get(code, ATTEMPT), gid, message))
        outcome = run_test_cell(source=cell.source, grade_id=gid, remote=remote, pinned=dict(self.pinned_names),
                                max_output=self.output_limit, begin_timeout=min(self.agent_timeout, timeout),
                                grace=self.grader_grace)
        self._test_seconds += outcome.seconds
        if remote.broken:
            self._agent_broken = f"the channel to the kernel broke in {gid} ({remote.broken})"
        for hello in outcome.notes:
            for name in hello.get("tampered", []) if isinstance(hello, dict) else ():
                self._flag("patched-at-runtime", ATTEMPT, gid, f"{name} is not what it was at start-up")
            for name in hello.get("shadowed", []) if isinstance(hello, dict) else ():
                self._flag("shadow-builtin", ATTEMPT, gid, f"the notebook rebinds the builtin {name}")
        scratch = NotebookNode(cell_type="code", source="", metadata={"execution": {}}, outputs=[], execution_count=None)
        state = run_sync(self._finish_serve)(msg_id, scratch, index, 10.0 if outcome.aborted else 5.0)
        if state == "busy":
            self._interrupt()
            state = run_sync(self._finish_serve)(msg_id, scratch, index, 5.0)
        if state == "busy":
            self._kill(f"the kernel did not come back after {gid}")
            self._flag("kernel-stuck", LIMIT, gid, "the kernel did not come back after the test: killed")
        elif state == "dead":
            self._dead = f"the kernel died during {gid}{self._kernel_ended()}"
            self._flag("kernel-died", LIMIT, gid, self._dead)
        graders = [o for o in outcome.outputs if o.get("output_type") in ("stream", "error")]
        printed = self._kernel_output_note(scratch.outputs, gid)
        if printed and HIDDEN_MARKER in cell.source:
            self._flag("hidden-test-output", NOTICE, gid, "the student's code wrote output while this test (which has "
                       "hidden checks) ran: kept here for the TA, withheld from the student's feedback")
        cell.outputs = graders + printed
        cell.execution_count = None
        self._output_flags(cell)

    def _kernel_output_note(self, outputs: list, gid: str) -> list:
        """What the kernel emitted while a test cell ran, as one labelled stdout stream (or nothing).

        Only the grader's outputs decide a test cell's verdict: nbgrader reads an execute_result as partial credit
        and stderr or an error as a fail, so nothing the kernel sends may take either form here.
        """
        text = []
        for out in outputs:
            kind = out.get("output_type")
            if kind == "stream":
                text.append(str(out.get("text", "")))
            elif kind in ("execute_result", "display_data"):
                data = out.get("data") or {}
                plain = data.get("text/plain", "")
                plain = "".join(plain) if isinstance(plain, list) else str(plain)
                text.append(plain + "\n" if plain else f"[{', '.join(sorted(map(str, data)))} not kept]\n")
                if kind == "execute_result":
                    self._flag("kernel-result-in-test", ATTEMPT, gid, "the kernel published a result while the "
                               "grader ran this test (not counted: only the grader's outputs decide a test)")
            elif kind == "error":
                text.append(f"{out.get('ename', '')}: {out.get('evalue', '')}\n")
        joined = "".join(text)
        if not joined:
            return []
        if len(joined) > self.output_limit:
            joined = joined[:self.output_limit] + "\n[output truncated by the grader]\n"
        return [NotebookNode(output_type="stream", name="stdout",
                             text="[printed by the student's code while the grader ran this test]\n" + joined)]

    async def _finish_serve(self, msg_id: str, scratch, index: int, grace: float) -> str:
        """Collect the serve cell's outputs until the kernel is idle again: "idle", or "busy" after `grace`
        seconds, or "dead"."""
        deadline = time.monotonic() + grace
        replied = idle = reconnected = False
        while not (replied and idle):
            if not await self.km.is_alive():
                return "dead"
            reconnected = await self._check_channels() or reconnected
            if replied and reconnected:  # its idle status may have been dropped with the connection
                return "idle"
            left = deadline - time.monotonic()
            if left <= 0:
                return "busy"
            if not replied:
                try:
                    msg = await self.kc.get_shell_msg(timeout=min(left, 0.2))
                    replied = msg["parent_header"].get("msg_id") == msg_id
                except Exception:  # noqa: BLE001 - queue.Empty
                    pass
            try:
                msg = await self.kc.get_iopub_msg(timeout=max(0.01, min(deadline - time.monotonic(), 0.2)))
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            try:
                self.process_message(msg, scratch, index)
            except CellExecutionComplete:
                idle = True
            except CellControlSignal:
                pass
        return "idle"
