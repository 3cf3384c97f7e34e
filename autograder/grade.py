"""grade: autograde every collected submission of an assignment into gradebook.db, with a pool of workers.

nbgrader's own steps do the grading; this module adds what `nbgrader autograde` lacks:

- a pool of worker processes (forked from one server that imported nbgrader once), one submission at a time
  each, so a student is never graded twice at once; or, with `--scheduler`, the single-thread workers of a Dask
  cluster (autograder.cluster), running the same per-submission code (_Grader.grade);
- each notebook runs in a new temporary folder outside the course, alone with the assignment's data files.
  With nbgrader's own Execute step the kernel is pre-started: while a worker runs one notebook, its next
  kernel starts there, forked from a zygote that imported ipykernel and the modules the release imports
  (autograder.sandbox.zygote). Another configured Execute step (a sandbox, which forks its kernels the same
  way) is called as nbgrader calls it, in such a folder. Workers never see gradebook.db: they read the
  assignment's cells from a private snapshot, and only this (the parent) process writes the gradebook;
- limits (with nbgrader's Execute): its per-cell timeout (Execute.timeout), a per-notebook wall-time limit, and
  the kernel's address space and CPU time (rlimits); a notebook over its limit is stopped, its unrun tests
  score 0;
- repair of damaged submissions (autograder.repair) before nbgrader's sanitizing steps;
- resume: the parent commits each submission's grades, then writes its autograded notebook carrying a key of
  what was graded (submission, time, source and release). A re-run skips submissions whose key is unchanged
  and whose grades are in the gradebook, so a run killed at any point loses no finished grade;
- one failing notebook never stops the batch: each gets a status (STATUSES) and its tests score 0.

The pipelines are nbgrader's own configuration: a worker runs GradeSubmissions.repair_preprocessors, then
Autograde.sanitize_preprocessors, then Autograde.autograde_preprocessors except the steps that write the
gradebook (GradeSubmissions.record_preprocessors: SaveAutoGrades, AssignLatePenalties), which the parent runs.
"""
from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

import nbformat
from traitlets import Bool, Integer, List, Unicode
from traitlets.config import LoggingConfigurable

from .collect import select_students
from .course import CourseError, check_assignment, release_notebook, source_notebook
from .database import describe, retrying, snapshot_cells, sqlite_file
from .nbconfig import ensure_tools_on_path, load_config
from .readnotebook import NotebookFileError, parse_notebook, read_bytes
from .sandbox.cgroups import remove_stale_groups
from .sandbox.zygote import ForkingKernelManager, Zygote, top_level_imports

PIPELINE_VERSION = "1"  # part of each submission's key: bump to regrade everything after a change of method
STATUSES = {
    "graded": "ran to the end (tests that raised score 0)",
    "timed out": "stopped at the per-notebook time limit; tests not reached score 0",
    "kernel died": "the kernel died (CPU limit, exit, crash); tests not reached score 0",
    "unrecognised": "too unlike the release to be graded (another assignment?); scores 0",
    "unreadable": "not a readable notebook; scores 0",
    "refused": "a link, FIFO or device in place of the notebook file, or a file over the size limit (flagged); "
               "scores 0",
    "failed": "the grading pipeline failed on it (see detail); scores 0 and is retried on the next run",
}
RETRIED = {"failed"}
KERNEL_LIMITS = """\
import os, resource, sys
memory, cpu = int(sys.argv[1]), int(sys.argv[2])
if memory:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
if cpu:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG = SIGKILL: die with the worker
except Exception:
    pass
os.execv(sys.argv[3], sys.argv[3:])
"""
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


class GradeSubmissions(LoggingConfigurable):
    """Settings of `python -m autograder grade` (configure as c.GradeSubmissions.* in nbgrader_config.py)."""

    workers = Integer(0, help="Worker processes grading at once; 0: one per CPU core").tag(config=True)

    @property
    def notebook_time_limit(self) -> int:
        """Seconds one notebook may run in all; 0: none. One setting for every Execute step:
        c.SandboxedExecute.notebook_timeout (the per-cell limit is Execute.timeout)."""
        from .preprocessors.sandboxedexecute import SandboxedExecute

        return SandboxedExecute(config=self.config).notebook_timeout or 0

    @property
    def memory_limit(self) -> int:
        """MiB of address space for each notebook's kernel; 0: none. One setting for every Execute step:
        c.SandboxedExecute.memory_limit (bytes)."""
        from .preprocessors.sandboxedexecute import SandboxedExecute

        return (SandboxedExecute(config=self.config).memory_limit or 0) // (1 << 20)
    prestart_kernels = Bool(True, help="Start each worker's next kernel while it runs the current notebook"
                            ).tag(config=True)
    preimport = Bool(True, help="Import, before each kernel starts, the modules the release's provided cells "
                     "import (the student's notebook imports them anyway)").tag(config=True)
    fork_kernels = Bool(True, help="Fork each kernel from a per-worker zygote that imported ipykernel (and, with "
                        "preimport, those modules) once; False: start each kernel from scratch").tag(config=True)
    kernel_name = Unicode("python3", help="Kernel that runs the submissions").tag(config=True)
    scheduler = Unicode("", help="Address of a Dask scheduler (tcp://HOST:PORT) whose workers grade the submissions "
                        "instead of local worker processes (docs/GRADING.md, 'Grading on a cluster'); start each "
                        "worker with --nthreads 1. Empty: the local pool").tag(config=True)
    grace = Integer(60, help="Seconds past the notebook time limit (SandboxedExecute.notebook_timeout) after which "
                    "the parent kills a stuck worker").tag(config=True)
    repair_preprocessors = List(Unicode(), ["autograder.preprocessors.repaircells.RepairCells"],
                                help="Run by a worker on each submission before nbgrader's sanitize steps"
                                ).tag(config=True)
    record_preprocessors = List(Unicode(), [
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
    ], help="The steps of Autograde.autograde_preprocessors that write the gradebook: the parent process runs "
            "them, in this order, on each notebook a worker hands back; the workers run all the others").tag(config=True)


def pipelines(config) -> tuple[list, list, list]:
    """(sanitize, autograde, record) preprocessor classes, from nbgrader's own Autograde configuration.

    A worker runs GradeSubmissions.repair_preprocessors + Autograde.sanitize_preprocessors, then
    Autograde.autograde_preprocessors without the record steps; the parent runs the record steps.
    """
    from nbgrader.converters import Autograde

    settings = GradeSubmissions(config=config)
    autograde = Autograde(config=config)
    load = lambda item: _import(item) if isinstance(item, str) else item
    record = [load(n) for n in settings.record_preprocessors]
    sanitize = [load(n) for n in settings.repair_preprocessors] + [load(p) for p in autograde.sanitize_preprocessors]
    steps = [load(p) for p in autograde.autograde_preprocessors]
    return sanitize, [p for p in steps if p not in record], [p for p in record if p in steps]


@dataclass(frozen=True)
class Task:
    """One submission for a worker."""
    student: str
    notebook: Path
    prestart: bool = True   # more work is coming: start the next kernel now
    data: bytes | None = None  # the notebook's bytes, when the worker cannot read `notebook` (on a cluster)


@dataclass(frozen=True)
class Outcome:
    """What a worker hands back: the graded notebook (JSON) or why there is none."""
    student: str
    status: str
    detail: str = ""
    notebook: str = ""
    repairs: tuple[str, ...] = ()
    seconds: float = 0.0          # wall time in the worker
    execute_seconds: float = 0.0  # of which running the notebook's cells
    flag: str = ""                # the flag code of a file refused before it was run (unsafe-file ...)


def unreadable(task: Task, exc: NotebookFileError, seconds: float = 0.0) -> Outcome:
    """The outcome of a submission the reader refused: `refused` (flagged) for a link, FIFO, device or a file over
    the size limit, else `unreadable`; the detail names the student and the file."""
    refused = exc.code in ("unsafe-file", "oversized-notebook")
    return Outcome(task.student, "refused" if refused else "unreadable",
                   f"{task.student}: {task.notebook.name} {exc.problem}", seconds=seconds,
                   flag=exc.code if refused else "")


@dataclass(frozen=True)
class Graded:
    """One submission's result, as recorded in the gradebook."""
    student: str
    status: str
    score: float
    max_score: float
    late_penalty: float
    repairs: tuple[str, ...] = ()
    detail: str = ""
    seconds: float = 0.0
    execute_seconds: float = 0.0

    @property
    def total(self) -> float:
        return max(0.0, self.score - self.late_penalty)


@dataclass(frozen=True)
class GradeRun:
    assignment: str
    graded: tuple[Graded, ...]
    skipped: tuple[str, ...]      # students whose unchanged submission was graded before
    seconds: float
    workers: int


@dataclass(frozen=True)
class _Settings:
    """What a worker needs to know (picklable)."""
    root: Path
    assignment: str
    snapshot: Path


# ---------------------------------------------------------------------------------------------------------------
# paths and keys

def db_path(config) -> Path:
    """The gradebook's SQLite file (a CourseError for a database server: see require_gradebook)."""
    from .database import redacted, sqlite_file

    path = sqlite_file(config.CourseDirectory.db_url)
    if path is None:
        raise CourseError(f"CourseDirectory.db_url {redacted(config.CourseDirectory.db_url)}: not a SQLite file")
    return path


def require_gradebook(config, assignment: str) -> None:
    """A CourseError saying to release first when CourseDirectory.db_url holds no gradebook (file or server)."""
    from .database import missing_gradebook

    problem = missing_gradebook(config.CourseDirectory.db_url)
    if problem is not None:
        raise CourseError(f"{problem}; run `python -m autograder release {assignment}` first")


def stored_assignment(gb, config, assignment: str):
    """The gradebook's entry of `assignment` in the open Gradebook `gb`; a CourseError saying to release it first
    when it has none."""
    from nbgrader.api import MissingEntry

    try:
        return gb.find_assignment(assignment)
    except MissingEntry:
        raise CourseError(f"{describe(config.CourseDirectory.db_url)}: {assignment} is not in the gradebook; "
                          f"run `python -m autograder release {assignment}` first") from None


def data_files(root: Path, assignment: str) -> list[Path]:
    """The files of source/<assignment>/ a notebook runs beside (as nbgrader copies them): no notebooks, nothing
    hidden."""
    source = source_notebook(root, assignment).parent
    return sorted(p for p in source.rglob("*") if p.is_file() and p.suffix != ".ipynb"
                  and not any(part.startswith(".") for part in p.relative_to(source).parts))


def submitted_notebook(root: Path, student: str, assignment: str) -> Path:
    return root / "submitted" / student / assignment / f"{assignment}.ipynb"


def autograded_notebook(root: Path, student: str, assignment: str) -> Path:
    return root / "autograded" / student / assignment / f"{assignment}.ipynb"


def submission_key(root: Path, student: str, assignment: str) -> str:
    """What a grade depends on: the submission, its time, the source and release notebooks, the method."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    folder = submitted_notebook(root, student, assignment).parent
    for path in (folder / f"{assignment}.ipynb", folder / "timestamp.txt",
                 source_notebook(root, assignment), release_notebook(root, assignment)):
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()


def grading_record(root: Path, student: str, assignment: str) -> dict:
    """The autograder metadata (key, status, repairs) of the student's autograded notebook, {} if none."""
    path = autograded_notebook(root, student, assignment)
    try:
        return json.loads(path.read_text()).get("metadata", {}).get("autograder", {})
    except (OSError, ValueError):
        return {}


def collected_students(root: Path, assignment: str) -> list[str]:
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if submitted_notebook(root, p.name, assignment).is_file()) \
        if folder.is_dir() else []


def speed_up_nbgrader() -> None:
    """Two per-call costs of nbgrader, made once per process (results unchanged):

    - every nbgrader step opens its own Gradebook, which creates a new SQLAlchemy engine, so each of the ~30
      queries per submission is compiled again: engines are shared per database URL (Gradebook.close() disposes
      an engine's connections, not the engine);
    - CheckCellMetadata validates each cell with jsonschema.validate, which first checks the schema itself: the
      checked validator is kept per schema.
    Together about 0.3 s of CPU per submission on this course's notebooks.
    """
    import jsonschema
    import nbgrader.api as api
    import nbgrader.nbgraderformat.common as metadata

    if not getattr(api.create_engine, "shared", False):
        engines, create = {}, api.create_engine

        def create_engine(url, **kwargs):
            key = (str(url), repr(sorted(kwargs.items())))
            if key not in engines:
                engines[key] = create(url, **kwargs)
            return engines[key]

        create_engine.shared = True
        api.create_engine = create_engine

    if not isinstance(metadata.jsonschema, _CheckedSchemas):
        metadata.jsonschema = _CheckedSchemas(jsonschema)


class _CheckedSchemas:
    """jsonschema, whose validate() checks each schema once (for nbgrader.nbgraderformat.common)."""

    def __init__(self, module):
        self._module, self._validators = module, {}

    def __getattr__(self, name):
        return getattr(self._module, name)

    def validate(self, instance, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            cls = self._module.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = cls(schema)
        error = self._module.exceptions.best_match(self._validators[key].iter_errors(instance))
        if error is not None:
            raise error


def _import(name: str):
    from traitlets.utils.importstring import import_item
    return import_item(name)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------------------
# the worker side: one process, one asyncio loop, one notebook at a time, the next kernel starting meanwhile

@dataclass
class _Kernel:
    km: object
    kc: object
    folder: Path


class _KernelPool:
    """Hands out ready kernels, each in its own new temporary folder; starts the next one in the background."""

    def __init__(self, settings: GradeSubmissions, execute_config, preimports: list[str]):
        self.settings, self.preimports = settings, preimports
        self.extra_arguments = list(execute_config.extra_arguments) or ["--HistoryManager.hist_file=:memory:"]
        self.spare: asyncio.Task | None = None
        self.env = dict(os.environ, NBGRADER_EXECUTION="autograde", **ONE_THREAD)
        self.zygote = Zygote(modules=preimports, env=self.env, isolated=False) if settings.fork_kernels else None
        if self.zygote is not None:
            self.zygote.start()  # its imports run while the worker sets up

    def _manager(self):
        memory = self.settings.memory_limit * 1024 * 1024
        cpu = self.settings.notebook_time_limit + 60 if self.settings.notebook_time_limit else 0  # a backstop

        class LimitedKernelManager(ForkingKernelManager):
            def format_kernel_cmd(self, extra_arguments=None):  # when not forked
                return [sys.executable, "-c", KERNEL_LIMITS, str(memory), str(cpu)] + \
                    super().format_kernel_cmd(extra_arguments)

        return LimitedKernelManager(kernel_name=self.settings.kernel_name, zygote=self.zygote,
                                    kernel_rlimits={"as": memory, "cpu": cpu})

    async def _start(self) -> _Kernel:
        folder = Path(tempfile.mkdtemp(prefix="autograder-run-"))
        km = self._manager()
        await km.start_kernel(cwd=str(folder), env=dict(self.env), extra_arguments=self.extra_arguments)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            if self.preimports and self.zygote is None:
                code = "".join(f"\ntry:\n    __import__({m!r})\nexcept Exception:\n    pass" for m in self.preimports)
                msg_id = kc.execute(code, silent=True, store_history=False)
                while (await kc.get_shell_msg(timeout=120))["parent_header"].get("msg_id") != msg_id:
                    pass
        except BaseException:
            await self.stop(_Kernel(km, kc, folder))
            raise
        kc.allow_stdin = False
        return _Kernel(km, kc, folder)

    def warm(self) -> None:
        """Start a kernel now, for the first task."""
        if self.spare is None:
            self.spare = asyncio.ensure_future(self._start())

    async def take(self, prestart: bool) -> _Kernel:
        task, self.spare = self.spare or asyncio.ensure_future(self._start()), None
        kernel = await task
        if prestart and self.settings.prestart_kernels:
            self.spare = asyncio.ensure_future(self._start())
        return kernel

    @staticmethod
    async def stop(kernel: _Kernel) -> None:
        try:
            kernel.kc.stop_channels()
            await kernel.km.shutdown_kernel(now=True)
        except Exception:
            pass
        shutil.rmtree(kernel.folder, ignore_errors=True)

    async def close(self) -> None:
        if self.spare is not None:
            try:
                await self.stop(await self.spare)
            except BaseException:
                pass
        if self.zygote is not None:
            self.zygote.close()


def _fail_cells(nb, start: int, ename: str, evalue: str, unrun_only: bool = True) -> None:
    """Give every code cell from `start` on an error, so that it scores 0; also every test cell that never ran
    (no execution count), or with `unrun_only=False` every test cell."""
    error = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        test = cell.metadata.get("nbgrader", {}).get("grade")
        never_ran = test and (cell.get("execution_count") is None or not unrun_only)
        if index >= start or never_ran:
            cell.outputs = list(cell.get("outputs", [])) + [copy.deepcopy(error)]


class _Grader:
    """A worker's state: configuration, pipelines, release notebook, gradebook snapshot, kernel pool."""

    def __init__(self, settings: _Settings):
        from nbgrader.preprocessors import Execute

        speed_up_nbgrader()
        os.environ["NBGRADER_EXECUTION"] = "autograde"  # as nbgrader sets it while autograding (one thread here)
        self.root, self.assignment = settings.root, settings.assignment
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-worker-"))
        snapshot = self.folder / "cells.db"  # a private copy: nothing else reads or writes it
        shutil.copy(settings.snapshot, snapshot)
        self.db_url = f"sqlite:///{snapshot}"
        self.config = load_config(self.root)
        self.settings = GradeSubmissions(config=self.config)
        self.release = nbformat.read(release_notebook(self.root, self.assignment), as_version=4)
        self.source_dir = source_notebook(self.root, self.assignment).parent
        self.data_files = data_files(self.root, self.assignment)
        sanitize, autograde, _ = pipelines(self.config)
        self.sanitize = [cls(config=self.config) for cls in sanitize]
        executes = [cls for cls in autograde if issubclass(cls, Execute)]
        if len(executes) != 1:
            raise CourseError(f"Autograde.autograde_preprocessors must hold one Execute step, not {executes}")
        self.execute_class = executes[0]
        self.before = [cls(config=self.config) for cls in autograde[:autograde.index(self.execute_class)]]
        self.after = [cls(config=self.config) for cls in autograde[autograde.index(self.execute_class) + 1:]]
        # nbgrader's own Execute runs in a pre-started kernel; an Execute that runs notebooks its own way (a
        # sandbox) is called as nbgrader would call it, in a new folder holding the notebook and its data
        self.warm = self.execute_class.preprocess is Execute.preprocess
        locked = [c.source for c in self.release.cells
                  if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("locked")]
        preimports = top_level_imports(locked) if self.settings.preimport else []
        self.pool = _KernelPool(self.settings, self.execute_class(config=self.config), preimports) \
            if self.warm else None

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _resources(self, student: str) -> dict:
        return {"nbgrader": {"student": student, "assignment": self.assignment, "notebook": self.assignment,
                             "db_url": self.db_url},
                "autograder": {"release": self.release, "repairs": []}}

    def _fill(self, folder: Path, nb) -> None:
        """Put the notebook and the assignment's data files (as nbgrader copies them from source/) in `folder`."""
        for path in self.data_files:
            target = folder / path.relative_to(self.source_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        nbformat.write(nb, folder / f"{self.assignment}.ipynb")

    async def grade(self, task: Task) -> Outcome:
        from .repair import RepairError

        start = time.monotonic()
        resources = self._resources(task.student)
        repairs = lambda: tuple(str(r) for r in resources["autograder"]["repairs"])
        try:  # the one reader every stage uses (a link, FIFO or device is refused, a BOM allowed)
            data = task.data if task.data is not None else read_bytes(task.notebook)
            nb = parse_notebook(data, where=f"{task.student}: {task.notebook.name}")
        except NotebookFileError as exc:
            return unreadable(task, exc, seconds=time.monotonic() - start)
        resources["nbgrader"]["submission"] = data  # what the Execute step's checks compare with the gradebook
        try:
            for pp in self.sanitize + self.before:
                nb, resources = pp(nb, resources)
        except RepairError as exc:
            return Outcome(task.student, "unrecognised", str(exc), seconds=time.monotonic() - start)
        except Exception as exc:
            return Outcome(task.student, "failed", f"sanitizing: {type(exc).__name__}: {str(exc)[:300]}",
                           repairs=repairs(), seconds=time.monotonic() - start)
        found = repairs()
        resources.pop("autograder", None)
        if self.warm:
            status, detail, run_seconds = await self._execute_warm(nb, resources, task)
        else:
            status, detail, run_seconds = self._execute_own(nb, resources)
        try:
            for pp in self.after:
                nb, resources = pp(nb, resources)
        except Exception as exc:
            return Outcome(task.student, "failed", f"after execution: {type(exc).__name__}: {str(exc)[:300]}",
                           repairs=found, seconds=time.monotonic() - start)
        return Outcome(task.student, status, detail, nbformat.writes(nb), found, time.monotonic() - start,
                       run_seconds)

    def _execute_own(self, nb, resources) -> tuple[str, str, float]:
        """Run `nb` with the configured Execute's own preprocess, in a new folder."""
        from nbclient.exceptions import DeadKernelError

        folder = Path(tempfile.mkdtemp(prefix="autograder-run-"))
        start = time.monotonic()
        status, detail = "graded", ""
        try:
            self._fill(folder, nb)
            resources.setdefault("metadata", {})["path"] = str(folder)
            ep = self.execute_class(config=self.config)
            ep.preprocess(nb, resources)
        except DeadKernelError as exc:
            status, detail = "kernel died", f"{type(exc).__name__}: {str(exc)[:300]}"
            _fail_cells(nb, len(nb.cells), "KernelDied", detail, unrun_only=False)
        except Exception as exc:
            status, detail = "failed", f"executing: {type(exc).__name__}: {str(exc)[:300]}"
            _fail_cells(nb, len(nb.cells), type(exc).__name__, detail, unrun_only=False)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return status, detail, time.monotonic() - start

    async def _execute_warm(self, nb, resources, task: Task) -> tuple[str, str, float]:
        """Run `nb` in place in a pre-started kernel; (status, detail, seconds of execution)."""
        from jupyter_core.utils import ensure_async
        from nbclient.client import NotebookClient

        kernel = await self.pool.take(task.prestart)
        start = time.monotonic()
        self._fill(kernel.folder, nb)
        resources.setdefault("metadata", {})["path"] = str(kernel.folder)
        ep = self.execute_class(config=self.config)
        NotebookClient.__init__(ep, nb, kernel.km)
        ep.kc = kernel.kc
        ep.reset_execution_trackers()
        ep._check_assign_resources(resources)
        current = [0]

        async def run_cells():
            async with ep.async_setup_kernel():
                info = await ep.async_wait_for_reply(await ensure_async(ep.kc.kernel_info()))
                if info and "language_info" in info["content"]:
                    nb.metadata["language_info"] = info["content"]["language_info"]
                for index, cell in enumerate(nb.cells):
                    current[0] = index
                    await ep.async_execute_cell(cell, index, store_history=True)
                current[0] = len(nb.cells)
            ep.set_widgets_metadata()

        limit = self.settings.notebook_time_limit or None
        status, detail = "graded", ""
        run = asyncio.ensure_future(run_cells())
        expired = []  # nbclient turns a cancellation into DeadKernelError: remember who cancelled
        alarm = asyncio.get_running_loop().call_later(limit, lambda: (expired.append(True), run.cancel())) \
            if limit else None
        try:
            await run
        except (Exception, asyncio.CancelledError) as exc:
            from nbclient.exceptions import DeadKernelError

            if expired:
                status, detail = "timed out", f"still running after the notebook time limit of {limit} s " \
                                              f"(in cell {current[0]})"
                _fail_cells(nb, current[0], "NotebookTimeLimit", detail)
            else:
                dead = isinstance(exc, DeadKernelError) or not await ensure_async(kernel.km.is_alive())
                status = "kernel died" if dead else "failed"
                detail = f"in cell {current[0]}: {type(exc).__name__}: {str(exc)[:300]}"
                _fail_cells(nb, current[0], "KernelDied" if dead else type(exc).__name__, detail)
        finally:
            if alarm is not None:
                alarm.cancel()
            seconds = time.monotonic() - start
            await self.pool.stop(kernel)
        _fail_cells(nb, len(nb.cells), "NotRun", "this test cell never ran")
        return status, detail, seconds


def _die_with_parent() -> None:
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _worker_main(conn, settings: _Settings) -> None:
    """A worker process: grade the Tasks received on `conn` one by one and send back their Outcomes."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    asyncio.run(_serve(conn, settings))


@dataclass(frozen=True)
class _WorkerError:
    """A worker could not set itself up (a configuration error): the run stops with this message."""
    message: str


async def _serve(conn, settings: _Settings) -> None:
    loop = asyncio.get_running_loop()
    try:
        grader = _Grader(settings)
    except Exception as exc:
        conn.send(_WorkerError(f"{type(exc).__name__}: {exc}"))
        return
    if grader.pool is not None:
        grader.pool.warm()
    try:
        while True:
            readable = loop.create_future()
            loop.add_reader(conn.fileno(), lambda: readable.done() or readable.set_result(None))
            try:
                await readable
            finally:
                loop.remove_reader(conn.fileno())
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            try:
                outcome = await grader.grade(task)
            except Exception as exc:
                outcome = Outcome(task.student, "failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-800:]}")
            conn.send(outcome)
    finally:
        await grader.close()


# ---------------------------------------------------------------------------------------------------------------
# the parent side: what to grade, the pool, and the gradebook

_PRELOAD = ["autograder.grade", "autograder.repair", "autograder.preprocessors.repaircells", "nbgrader.api",
            "nbgrader.preprocessors", "nbclient", "jupyter_client.manager", "nbconvert.preprocessors"]


def _context():
    """The forkserver context: one server process imports nbgrader once; every worker is forked from it.

    (Scripts that grade must guard their entry point with `if __name__ == "__main__":`, as multiprocessing
    re-imports a main script in its children.)
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def start_server() -> None:
    """Start the forkserver now, so that it imports nbgrader while this process does other work."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


class _Pool:
    """Worker processes fed one Task at a time; a worker that dies or hangs is replaced."""

    def __init__(self, size: int, settings: _Settings, hang_limit: float | None):
        self.ctx, self.settings, self.hang_limit = _context(), settings, hang_limit
        self.slots = [self._spawn() for _ in range(size)]

    def _spawn(self) -> dict:
        parent, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker_main, args=(child, self.settings), daemon=True,
                                   name="autograder-worker")
        process.start()
        child.close()
        return {"process": process, "conn": parent, "task": None, "since": 0.0}

    def _replace(self, slot: dict) -> None:
        slot["process"].kill()
        slot["process"].join(5)
        slot["conn"].close()
        slot.update(self._spawn())

    def run(self, tasks: list[Task]):
        """Yield an Outcome per task, as they finish. A worker gets its next task before the caller sees the
        outcome of its last one, so that it never waits while the caller records."""
        pending = list(reversed(tasks))

        def feed(slot):
            if slot["task"] is None and pending:
                task = pending.pop()
                task = Task(task.student, task.notebook, prestart=len(pending) >= len(self.slots))
                try:
                    slot["conn"].send(task)
                except OSError:
                    self._replace(slot)
                    slot["conn"].send(task)
                slot["task"], slot["since"] = task, time.monotonic()

        while pending or any(s["task"] for s in self.slots):
            for slot in self.slots:
                feed(slot)
            busy = [s for s in self.slots if s["task"]]
            wait([s["conn"] for s in busy] + [s["process"].sentinel for s in busy], timeout=5)
            finished = []
            for slot in busy:
                task, outcome = slot["task"], None
                if slot["conn"].poll():
                    try:
                        outcome = slot["conn"].recv()
                    except (EOFError, OSError):
                        pass
                if outcome is None and not slot["process"].is_alive():
                    outcome = Outcome(task.student, "kernel died", "the worker grading it died "
                                      f"(exit code {slot['process'].exitcode}); probably out of memory")
                    self._replace(slot)
                elif outcome is None and self.hang_limit and time.monotonic() - slot["since"] > self.hang_limit:
                    outcome = Outcome(task.student, "timed out", f"no answer from its worker after "
                                      f"{self.hang_limit:.0f} s; the worker was killed")
                    self._replace(slot)
                if isinstance(outcome, _WorkerError):
                    raise CourseError(f"a grading worker could not start: {outcome.message}")
                if outcome is not None:
                    slot["task"] = None
                    feed(slot)
                    finished.append(outcome)
            yield from finished

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot["conn"].send(None)
            except OSError:
                pass
        for slot in self.slots:
            slot["process"].join(10)
            if slot["process"].is_alive():
                slot["process"].kill()
                slot["process"].join(5)
            slot["conn"].close()


SNAPSHOT_SQL = """
DELETE FROM grade; DELETE FROM comment; DELETE FROM submitted_notebook; DELETE FROM submitted_assignment;
DELETE FROM student;
CREATE TEMP TABLE other_cells AS SELECT b.id FROM base_cell b JOIN notebook n ON b.notebook_id = n.id
    JOIN assignment a ON n.assignment_id = a.id WHERE a.name != :assignment;
DELETE FROM grade_cells WHERE id IN (SELECT id FROM other_cells);
DELETE FROM solution_cells WHERE id IN (SELECT id FROM other_cells);
DELETE FROM task_cells WHERE id IN (SELECT id FROM other_cells);
DELETE FROM base_cell WHERE id IN (SELECT id FROM other_cells);
DELETE FROM source_cell WHERE notebook_id IN (SELECT n.id FROM notebook n JOIN assignment a
    ON n.assignment_id = a.id WHERE a.name != :assignment);
DELETE FROM notebook WHERE assignment_id IN (SELECT id FROM assignment WHERE name != :assignment);
DELETE FROM assignment WHERE name != :assignment;
"""


def snapshot(database: Path, assignment: str, path: Path) -> None:
    """Copy of the gradebook holding only `assignment`'s notebooks and cells: no students, no grades.

    Workers read the cells nbgrader's OverwriteCells restores from it, and never open gradebook.db. (A new
    gradebook would cost an `alembic` run of several seconds; a pruned copy costs milliseconds.)
    """
    import sqlite3

    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        for statement in SNAPSHOT_SQL.split(";"):
            if statement.strip():
                target.execute(statement, {"assignment": assignment} if ":assignment" in statement else {})
        target.commit()
        target.execute("VACUUM")
    finally:
        source.close()
        target.close()


def hang_limit(config, settings: GradeSubmissions) -> float | None:
    """Seconds after which the parent gives up on a worker: the longest notebook limit in force, plus grace.

    An Execute step with limits of its own (a sandbox's `notebook_timeout`) may allow more than ours.
    """
    limits = [settings.notebook_time_limit]
    for cls in pipelines(config)[1]:
        if "notebook_timeout" in cls.class_trait_names():
            limits.append(cls(config=config).notebook_timeout or 0)
    return max(limits) + settings.grace + 120 if max(limits) else None


def failure_notebook(release_nb, outcome: Outcome):
    """What is recorded for a submission that could not be run: the release, every test failing with the reason."""
    nb = copy.deepcopy(release_nb)
    _fail_cells(nb, 0, outcome.status.title().replace(" ", ""), outcome.detail or outcome.status)
    return nb


def _complete(gb, assignment: str, student: str) -> bool:
    """Are the student's autograded scores in the gradebook?"""
    from nbgrader.api import MissingEntry

    try:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
    except MissingEntry:
        return False
    return all(g.auto_score is not None or g.manual_score is not None or g.cell_type != "code"
               for g in notebook.grades)


class _Recorder:
    """The parent's writes: gradebook first (nbgrader's record steps), then the autograded notebook with its key."""

    def __init__(self, root: Path, assignment: str, config, settings: GradeSubmissions):
        self.root, self.assignment, self.config = root, assignment, config
        self.db_url = config.CourseDirectory.db_url
        self.course_id = config.CourseDirectory.course_id
        self.steps = [cls(config=config) for cls in pipelines(config)[2]]
        self.release = nbformat.read(release_notebook(root, assignment), as_version=4)

    def student_info(self, student: str) -> tuple[dict, object]:
        from nbgrader.utils import parse_utc

        from .formgrader import lms_identity

        folder = submitted_notebook(self.root, student, self.assignment).parent
        info = {k: v for k, v in lms_identity(self.root, student, self.assignment).items() if k == "lms_user_id"}
        stamp = folder / "timestamp.txt"
        when = stamp.read_text().strip() if stamp.is_file() else ""
        return info, parse_utc(when) if when else None

    def record(self, outcome: Outcome, key: str) -> Graded:
        from nbgrader.api import Gradebook

        nb = nbformat.reads(outcome.notebook, as_version=4) if outcome.notebook else \
            failure_notebook(self.release, outcome)
        if outcome.flag:  # the TA is told, as the sandbox tells of links beside the notebook
            nb.metadata.setdefault("autograder", {}).setdefault("flags", []).append(
                {"code": outcome.flag, "severity": "attempt", "cell": "notebook", "message": outcome.detail})
        info, timestamp = self.student_info(outcome.student)
        with Gradebook(self.db_url, self.course_id) as gb:
            gb.update_or_create_student(outcome.student, **info)
        with Gradebook(self.db_url, self.course_id) as gb, warnings.catch_warnings():
            # nbgrader's add_submission touches relationships before adding the new row; SQLAlchemy warns
            warnings.filterwarnings("ignore", message=".*not in session, add operation along")
            gb.update_or_create_submission(self.assignment, outcome.student, timestamp=timestamp)
        resources = {"nbgrader": {"student": outcome.student, "assignment": self.assignment,
                                  "notebook": self.assignment, "db_url": self.db_url}}
        from .formgrader import GradebookSync, flag_submission, keep_reviews

        where = dict(db_url=self.db_url, course_id=self.course_id, assignment=self.assignment, student=outcome.student)
        with keep_reviews(**where):  # a regrade keeps the TA's manual grades graded
            for step in self.steps:
                nb, resources = step(nb, resources)
        flag_submission(**where, flags=nb.metadata.get("autograder", {}).get("flags", []),
                        least=GradebookSync(config=self.config).flag_severity)  # the formgrader's "Flagged?"
        nb.metadata.setdefault("autograder", {}).update({  # next to what the Execute step put there
            "key": key if outcome.status not in RETRIED else "", "status": outcome.status, "detail": outcome.detail,
            "repairs": list(outcome.repairs), "seconds": round(outcome.seconds, 3),
            "execute_seconds": round(outcome.execute_seconds, 3)})
        target = autograded_notebook(self.root, outcome.student, self.assignment)
        _write_atomic(target, nbformat.writes(nb))  # last: its key says "these grades are in the gradebook"
        stamp = submitted_notebook(self.root, outcome.student, self.assignment).parent / "timestamp.txt"
        if stamp.is_file():
            _write_atomic(target.parent / "timestamp.txt", stamp.read_text())
        return self.result(outcome)

    def result(self, outcome: Outcome) -> Graded:
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.course_id) as gb:
            submission = gb.find_submission(self.assignment, outcome.student)
            return Graded(outcome.student, outcome.status, float(submission.score), float(submission.max_score),
                          float(submission.late_submission_penalty or 0.0), outcome.repairs, outcome.detail,
                          outcome.seconds, outcome.execute_seconds)

    def reapply_late_penalties(self, students: list[str]) -> None:
        """Re-run the late-penalty step on already graded students (after a deadline change)."""
        steps = [s for s in self.steps if type(s).__name__ == "AssignLatePenalties"]
        for student in students:
            path = autograded_notebook(self.root, student, self.assignment)
            nb = nbformat.read(path, as_version=4)
            resources = {"nbgrader": {"student": student, "assignment": self.assignment,
                                      "notebook": self.assignment, "db_url": self.db_url}}
            for step in steps:
                step(nb, resources)


def grade(*, root: Path, assignment: str, workers: int | None = None, force: bool = False,
          students: list[str] | None = None, progress: bool = True, scheduler: str | None = None) -> GradeRun:
    """Autograde the collected submissions of `assignment` that are new or changed (all with `force`); on the
    Dask cluster of `scheduler` (default GradeSubmissions.scheduler) if one is given, else on a local pool."""
    started = time.monotonic()
    check_assignment(root, assignment)
    ensure_tools_on_path()
    config = load_config(root)
    settings = GradeSubmissions(config=config)
    scheduler = scheduler or settings.scheduler or None
    require_gradebook(config, assignment)
    if not release_notebook(root, assignment).is_file():
        raise CourseError(f"{release_notebook(root, assignment)}: no release; "
                          f"run `python -m autograder release {assignment}` first")
    everyone = collected_students(root, assignment)
    if students:  # by the course's student id rule, as collect reads ids: case does not matter
        students = select_students(root=root, given=students, known=everyone)
    chosen = [s for s in everyone if not students or s in students]
    if not chosen:
        raise CourseError(f"{root / 'submitted'}: no submissions of {assignment}; "
                          f"run `python -m autograder collect {assignment} PATH...` first")

    keys = {s: submission_key(root, s, assignment) for s in chosen}
    likely = [s for s in chosen if force or grading_record(root, s, assignment).get("key") != keys[s]]
    if likely and not scheduler:
        start_server()  # it imports nbgrader while this process does the same
    cores = workers or settings.workers or len(os.sched_getaffinity(0))
    snapshot_dir = Path(tempfile.mkdtemp(prefix="autograder-cells-"))
    pool = None
    starting: list = []
    graded: list[Graded] = []
    try:
        if sqlite_file(config.CourseDirectory.db_url) is not None:
            snapshot(db_path(config), assignment, snapshot_dir / "cells.db")
        else:
            snapshot_cells(config.CourseDirectory.db_url, assignment, snapshot_dir / "cells.db")
        worker_settings = _Settings(root, assignment, snapshot_dir / "cells.db")
        if likely:  # the workers (local: the server imports nbgrader; or the cluster's) get ready meanwhile
            import threading

            if scheduler:
                from .cluster import start_cluster_pool

                start = lambda: start_cluster_pool(scheduler, worker_settings, starting)  # noqa: E731
            else:  # its hang limit is set before any task
                start = lambda: starting.append(_Pool(max(1, min(cores, len(likely))), worker_settings, None))  # noqa: E731
            starter = threading.Thread(target=start, daemon=True)
            starter.start()

        from nbgrader.api import Gradebook

        from .late import LatePolicy

        speed_up_nbgrader()
        deadline = LatePolicy(config=config).deadline(assignment)
        with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gb:
            stored = stored_assignment(gb, config, assignment)
            deadline_changed = deadline is not None and stored.duedate != deadline  # else keep nbgrader's own
            if deadline_changed:
                gb.update_or_create_assignment(assignment, duedate=deadline)
            todo = [s for s in chosen if s in likely or not _complete(gb, assignment, s)]
        skipped = [s for s in chosen if s not in todo]
        recorder = _Recorder(root, assignment, config, settings)
        limit = hang_limit(config, settings)
        if likely:
            starter.join()
            if not starting:
                raise CourseError("the grading workers could not be started (see the error above)")
            if isinstance(starting[0], BaseException):
                raise starting.pop()
            pool = starting[0]
            if not scheduler:
                pool.hang_limit = limit
        if deadline_changed and skipped:
            recorder.reapply_late_penalties(skipped)
        if todo:
            from tqdm import tqdm

            if scheduler and pool is None:
                from .cluster import DaskPool

                pool = DaskPool(scheduler, worker_settings)
            pool = pool or _Pool(max(1, min(cores, len(todo))), worker_settings, limit)
            tasks = [Task(s, submitted_notebook(root, s, assignment)) for s in todo]
            recorded = set()  # a student's outcome is recorded once, whatever a cluster retried
            with tqdm(total=len(tasks), desc=f"grading {assignment}", unit="nb", disable=not progress,
                      file=sys.stderr, dynamic_ncols=True) as bar:
                for outcome in pool.run(tasks):
                    if outcome.student in recorded:
                        continue
                    graded.append(retrying(lambda: recorder.record(outcome, keys[outcome.student]),
                                           what=f"recording {outcome.student}'s grades",
                                           url=config.CourseDirectory.db_url,
                                           log=lambda message: bar.write(message, file=sys.stderr)))
                    recorded.add(outcome.student)
                    bar.set_postfix_str(f"{outcome.student}: {outcome.status}", refresh=False)
                    bar.update()
    finally:
        if likely and pool is None and starter.is_alive():
            starter.join()
        pool = pool or (starting[0] if starting and not isinstance(starting[0], BaseException) else None)
        if pool is not None:
            pool.close()
        shutil.rmtree(snapshot_dir, ignore_errors=True)
        remove_stale_groups()  # the control groups of workers' kernels, with anything still running in them
    graded.sort(key=lambda g: g.student)
    return GradeRun(assignment, tuple(graded), tuple(skipped), time.monotonic() - started,
                    len(pool.slots) if pool else 0)


def scores(*, root: Path, assignment: str) -> list[Graded]:
    """Every graded student's result as the gradebook and autograded notebooks hold it now."""
    from nbgrader.api import Gradebook, MissingEntry

    config = load_config(root)
    require_gradebook(config, assignment)
    found = []
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gb:
        for student in collected_students(root, assignment):
            record = grading_record(root, student, assignment)
            try:
                s = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            found.append(Graded(student, record.get("status", "graded by nbgrader"), float(s.score),
                                float(s.max_score), float(s.late_submission_penalty or 0.0),
                                tuple(record.get("repairs", [])), record.get("detail", ""),
                                record.get("seconds", 0.0), record.get("execute_seconds", 0.0)))
    return found
