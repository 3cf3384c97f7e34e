"""core: grading one submission, beneath the stages: the per-submission Grader and the small frozen types that
travel between the parent, its executors and the gradebook (Task, Outcome, Settings, Graded).

A Grader lives in one worker (a process of the local pool, autograder.pool, or a Dask worker, autograder.cluster)
and grades one submission at a time (`Grader.run`), the same way wherever it runs:

- each notebook runs in a new temporary folder outside the course, alone with the assignment's data files.
  With nbgrader's own Execute step the kernel is pre-started: while a worker runs one notebook, its next
  kernel starts there, forked from a zygote that imported ipykernel and the modules the release imports
  (autograder.sandbox.zygote). Another configured Execute step (a sandbox, which forks its kernels the same
  way) is called as nbgrader calls it, in such a folder. A Grader never sees gradebook.db: it reads the
  assignment's cells from a private snapshot (autograder.gradebook.write_snapshot);
- limits (with nbgrader's Execute): its per-cell timeout (Execute.timeout), a per-notebook wall-time limit, and
  the kernel's address space and CPU time (rlimits); a notebook over its limit is stopped, its unrun tests
  score 0;
- repair of damaged submissions (autograder.repair) before nbgrader's sanitizing steps;
- one failing notebook never stops the batch: each gets a status (STATUSES) and its tests score 0.

The pipelines are nbgrader's own configuration: a worker runs GradeSubmissions.repair_preprocessors, then
Autograde.sanitize_preprocessors, then Autograde.autograde_preprocessors except the steps that write the
gradebook (GradeSubmissions.record_preprocessors: SaveAutoGrades, AssignLatePenalties), which the parent runs
(autograder.gradebook.Recorder).
"""
from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import nbformat
from traitlets import Bool, Integer, List, Unicode
from traitlets.config import LoggingConfigurable
from traitlets.utils.importstring import import_item

from .course import CourseError, release_notebook, source_notebook
from .nbconfig import load_config
from .readnotebook import NotebookFileError, parse_notebook, read_bytes
from .repair import RepairError
from .nbgraderspeed import speed_up_nbgrader
from .sandbox.zygote import ForkingKernelManager, KernelNotReady, Zygote, cell_imports

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
        # imported here, not at the top: it imports nbgrader's preprocessors, about 1.2 s beyond nbformat (measured
        # with `python -X importtime` on a 2-core machine), which grade's parent imports while its workers start
        from .preprocessors.sandboxedexecute import SandboxedExecute

        return SandboxedExecute(config=self.config).notebook_timeout or 0

    @property
    def memory_limit(self) -> int:
        """MiB of address space for each notebook's kernel; 0: none. One setting for every Execute step:
        c.SandboxedExecute.memory_limit (bytes)."""
        # imported here: the measured cost above (notebook_time_limit)
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
    ], help="The steps of Autograde.autograde_preprocessors that write the gradebook (these classes or subclasses "
            "of them, e.g. autograder.preprocessors.SessionSaveAutoGrades): the parent process runs them, in this "
            "order, on each notebook a worker hands back; the workers run all the others").tag(config=True)


def pipelines(config) -> tuple[list, list, list]:
    """(sanitize, autograde, record) preprocessor classes, from nbgrader's own Autograde configuration.

    A worker runs GradeSubmissions.repair_preprocessors + Autograde.sanitize_preprocessors, then
    Autograde.autograde_preprocessors without the record steps; the parent runs the record steps.
    """
    from nbgrader.converters import Autograde

    settings = GradeSubmissions(config=config)
    autograde = Autograde(config=config)
    load = lambda item: import_item(item) if isinstance(item, str) else item
    record = [load(n) for n in settings.record_preprocessors]
    sanitize = [load(n) for n in settings.repair_preprocessors] + [load(p) for p in autograde.sanitize_preprocessors]
    steps = [load(p) for p in autograde.autograde_preprocessors]
    records = lambda p: any(issubclass(p, r) for r in record)  # noqa: E731  (a step or a subclass of one)
    return sanitize, [p for p in steps if not records(p)], [p for r in record for p in steps if issubclass(p, r)]


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


def notebook_json(nb) -> str:
    """A graded notebook as the text an Outcome carries: compact JSON, not checked against nbformat's schema here
    (the parent checks it when it writes the autograded notebook, with nbformat's layout)."""
    try:
        return json.dumps(nb, ensure_ascii=False, separators=(",", ":"))
    except TypeError:  # bytes in an output: nbformat's own encoder knows them
        return nbformat.v4.writes(nb)


def notebook_from_json(text: str):
    """The notebook an Outcome carries (from notebook_json), unchecked: see notebook_json."""
    return nbformat.v4.reads(text)


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
class Settings:
    """What a worker needs to know to grade an assignment (picklable): the course root, the assignment and the
    SQLite snapshot of its cells."""
    root: Path
    assignment: str
    snapshot: Path


class Executor(Protocol):
    """Where submissions are graded: the local process pool (autograder.pool.LocalPool) or a Dask cluster
    (autograder.cluster.DaskPool). Both run Grader.run on each Task; `grade` uses either through this."""

    workers: int  # how many submissions are graded at once

    def run(self, tasks: list[Task], hang_limit: float | None) -> Iterator[Outcome]:
        """Yield one Outcome per task (each student once) as they finish. `hang_limit`: seconds after which a
        worker that has not answered is given up (a Dask cluster's workers keep their own limits)."""

    def stream(self, source, hang_limit: float | None, started=None) -> Iterator[Outcome]:
        """For a long-lived caller (the hand-in service, autograder.serve): grade the Tasks put on the queue
        `source` as they come, the workers kept between them; yield each Outcome as it finishes; `started(task)`
        when a worker takes one. Ends after None is taken from `source` and what was taken before is done."""

    def close(self) -> None:
        """Stop the workers and free what they hold."""


def data_files(root: Path, assignment: str) -> list[Path]:
    """The files of source/<assignment>/ a notebook runs beside (as nbgrader copies them): no notebooks, nothing
    hidden."""
    source = source_notebook(root, assignment).parent
    return sorted(p for p in source.rglob("*") if p.is_file() and p.suffix != ".ipynb"
                  and not any(part.startswith(".") for part in p.relative_to(source).parts))


# ---------------------------------------------------------------------------------------------------------------
# the worker side: one process, one asyncio loop, one notebook at a time, the next kernel starting meanwhile

@dataclass
class Kernel:
    km: object
    kc: object
    folder: Path


class KernelPool:
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

    async def _start(self) -> Kernel:
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
            await self.stop(Kernel(km, kc, folder))
            raise
        kc.allow_stdin = False
        return Kernel(km, kc, folder)

    def warm(self) -> None:
        """Start a kernel now, for the first task."""
        if self.spare is None:
            self.spare = asyncio.ensure_future(self._start())

    async def take(self, prestart: bool) -> Kernel:
        task, self.spare = self.spare or asyncio.ensure_future(self._start()), None
        kernel = await task
        if prestart and self.settings.prestart_kernels:
            self.spare = asyncio.ensure_future(self._start())
        return kernel

    @staticmethod
    async def stop(kernel: Kernel) -> None:
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


def second_kernel(exc: KernelNotReady) -> str:
    """The detail of a notebook graded in a second kernel, the first having died before it was ready (before any of
    the notebook ran in it: not the student's doing)."""
    return f"graded in a second kernel: the first one started for it died before it was ready ({str(exc)[:200]})"


def fail_cells(nb, start: int, ename: str, evalue: str, unrun_only: bool = True) -> None:
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


def failure_notebook(release_nb, outcome: Outcome):
    """What is recorded for a submission that could not be run: the release, every test failing with the reason."""
    nb = copy.deepcopy(release_nb)
    fail_cells(nb, 0, outcome.status.title().replace(" ", ""), outcome.detail or outcome.status)
    return nb


class Grader:
    """A worker's state: configuration, pipelines, release notebook, gradebook snapshot, kernel pool."""

    def __init__(self, settings: Settings):
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
        preimports = cell_imports(locked) if self.settings.preimport else []
        self.pool = KernelPool(self.settings, self.execute_class(config=self.config), preimports) \
            if self.warm else None

    def prepare(self) -> None:
        """Start the first kernel now, for the first Task: nbgrader's own Execute step's in the event loop; an
        Execute step that starts its kernels its own way (the sandbox's `prepare`) is asked to, for a notebook like
        the release."""
        if self.pool is not None:
            self.pool.warm()
        elif callable(getattr(self.execute_class, "prepare", None)):
            self.execute_class(config=self.config).prepare(self.release, {"nbgrader": self._resources("")["nbgrader"]})

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
        (folder / f"{self.assignment}.ipynb").write_text(notebook_json(nb), encoding="utf-8")  # nbformat reads it

    async def run(self, task: Task) -> Outcome:
        """Grade one submission: what every executor's worker runs for each Task. An error of the grading itself
        becomes a `failed` Outcome (retried on the next run), so the worker goes on with the next Task."""
        try:
            return await self.grade(task)
        except Exception as exc:
            return Outcome(task.student, "failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-800:]}")

    async def grade(self, task: Task) -> Outcome:
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
        return Outcome(task.student, status, detail, notebook_json(nb), found, time.monotonic() - start,
                       run_seconds)

    def _execute_own(self, nb, resources) -> tuple[str, str, float]:
        """Run `nb` with the configured Execute's own preprocess, in a new folder; a kernel that died before it was
        ready (none of the notebook has run) is replaced once, as in `_execute_warm`."""
        from nbclient.exceptions import DeadKernelError

        folder = Path(tempfile.mkdtemp(prefix="autograder-run-"))
        start = time.monotonic()
        status, detail = "graded", ""
        try:
            self._fill(folder, nb)
            resources.setdefault("metadata", {})["path"] = str(folder)
            try:
                self.execute_class(config=self.config).preprocess(nb, resources)
            except KernelNotReady as exc:
                detail = second_kernel(exc)
                self.execute_class(config=self.config).preprocess(nb, resources)
        except DeadKernelError as exc:
            status, detail = "kernel died", f"{type(exc).__name__}: {str(exc)[:300]}"
            fail_cells(nb, len(nb.cells), "KernelDied", detail, unrun_only=False)
        except Exception as exc:
            status, detail = "failed", f"executing: {type(exc).__name__}: {str(exc)[:300]}"
            fail_cells(nb, len(nb.cells), type(exc).__name__, detail, unrun_only=False)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return status, detail, time.monotonic() - start

    async def _execute_warm(self, nb, resources, task: Task) -> tuple[str, str, float]:
        """Run `nb` in place in a pre-started kernel; (status, detail, seconds of execution). A kernel that died
        before it was ready (before any of the notebook ran in it) is replaced once, and the detail says so."""
        from jupyter_core.utils import ensure_async
        from nbclient.client import NotebookClient

        replaced = ""
        try:
            kernel = await self.pool.take(task.prestart)
        except KernelNotReady as exc:
            replaced = second_kernel(exc)
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
                fail_cells(nb, current[0], "NotebookTimeLimit", detail)
            else:
                dead = isinstance(exc, DeadKernelError) or not await ensure_async(kernel.km.is_alive())
                status = "kernel died" if dead else "failed"
                detail = f"in cell {current[0]}: {type(exc).__name__}: {str(exc)[:300]}"
                fail_cells(nb, current[0], "KernelDied" if dead else type(exc).__name__, detail)
        finally:
            if alarm is not None:
                alarm.cancel()
            seconds = time.monotonic() - start
            await self.pool.stop(kernel)
        fail_cells(nb, len(nb.cells), "NotRun", "this test cell never ran")
        return status, detail or replaced, seconds


