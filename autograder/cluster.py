"""cluster: the Dask executor: grade on the workers of a Dask distributed cluster (`grade A --scheduler ADDRESS`).

Each submission is one Dask task carrying what grading it needs: the notebook's bytes, and (scattered once to
every worker) the assignment's snapshot: the course's nbgrader_config.py, the release notebook, the data files
of source/<a>/ (never the source notebook) and the SQLite snapshot of the assignment's cells. A worker lays the
snapshot out as a private course folder and grades with the local pool's own per-submission code
(autograder.core.Grader.run) in a thread of its own with its own event loop, so the kernels it forks die
with it. The task returns the Outcome (the graded notebook, its status); the parent alone writes the gradebook,
records each student once, and resumes as the local pool does.

Faults: a worker killed mid-task (kill -9, out of memory) loses nothing: Dask runs the task again on another
worker (the killed worker's kernels die with it, so a student is never graded twice at once), and a submission
that kills `distributed.scheduler.allowed-failures` + 1 workers is recorded as "kernel died". A lost scheduler
stops the run with a CourseError; the next run grades what was not recorded.

Workers need the course's Python environment (this package, nbgrader, the kernel's packages) and, for data
the notebooks load through course_data, COURSE_DATA_DIR set on their machine; they need no course folder.
Start them with one thread each: nbgrader is not thread-safe (it changes the process's working directory).
"""
from __future__ import annotations

import asyncio
import hashlib
import queue
import shutil
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import OrderedDict
from concurrent.futures import CancelledError
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .course import CourseError, release_notebook, source_notebook
from .core import Grader, Outcome, Settings, Task, data_files, unreadable
from .readnotebook import NotebookFileError, read_bytes

KEPT = 2  # assignment snapshots a worker keeps ready (each holds a zygote and a spare kernel)


@dataclass(frozen=True)
class Snapshot:
    """What a worker needs to grade one assignment, without the course folder."""
    assignment: str
    config: str                             # nbgrader_config.py
    release: bytes                          # release/<a>/<a>.ipynb
    cells: bytes                            # the SQLite snapshot of the assignment's cells (no students)
    files: tuple[tuple[str, bytes], ...]    # data files of source/<a>/, by path relative to it
    digest: str


class WorkerSetupError(RuntimeError):
    """A worker could not prepare the assignment (a configuration error): the run stops."""


def make_snapshot(settings: Settings) -> Snapshot:
    root, assignment = settings.root, settings.assignment
    source = source_notebook(root, assignment).parent
    files = tuple((p.relative_to(source).as_posix(), p.read_bytes()) for p in data_files(root, assignment))
    config = (root / "nbgrader_config.py").read_text()
    release = release_notebook(root, assignment).read_bytes()
    cells = settings.snapshot.read_bytes()
    digest = hashlib.sha256()
    for part in (assignment.encode(), config.encode(), release, cells, *(b for f in files for b in (f[0].encode(), f[1]))):
        digest.update(hashlib.sha256(part).digest())
    return Snapshot(assignment, config, release, cells, files, digest.hexdigest())


# ---------------------------------------------------------------------------------------------------------------
# the worker side

WORKER_CONFIG = '''
# ---- written by autograder.cluster on a grading worker: the assignment's cells, never the gradebook ----
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///" + {cells!r}
'''


def _scratch() -> str | None:
    """The Dask worker's own folder (removed with it, and by the next worker there if it was killed), else None."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except Exception:
        return None


class _Runner:
    """One worker process's grader for one snapshot: a private course folder made from it, and a Grader living
    in a thread of its own, in that thread's event loop (the kernels and zygote it starts die with the thread)."""

    def __init__(self, snap: Snapshot):
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-cluster-", dir=_scratch()))
        course = self.folder / "course"
        for relative, data in snap.files:
            target = course / "source" / snap.assignment / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (course / "source" / snap.assignment).mkdir(parents=True, exist_ok=True)
        release = release_notebook(course, snap.assignment)
        release.parent.mkdir(parents=True)
        release.write_bytes(snap.release)
        (self.folder / "cells.db").write_bytes(snap.cells)
        (course / "nbgrader_config.py").write_text(snap.config + WORKER_CONFIG.format(
            root=str(course), cells=str(self.folder / "cells.db")))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="autograder-grader", daemon=True)
        self.thread.start()
        try:
            self.grader = self.call(self._start(Settings(course, snap.assignment, self.folder / "cells.db")))
        except Exception as exc:
            self.stop_loop()
            raise WorkerSetupError(f"a grading worker could not prepare {snap.assignment}: "
                                   f"{type(exc).__name__}: {exc}") from None

    @staticmethod
    async def _start(settings: Settings) -> Grader:
        grader = Grader(settings)
        grader.prepare()
        return grader

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def grade(self, task: Task) -> Outcome:
        return self.call(self.grader.run(task))

    def stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def close(self) -> None:
        try:
            self.call(self.grader.close())
        finally:
            self.stop_loop()


_RUNNERS: OrderedDict[str, _Runner] = OrderedDict()
_LOCK = threading.Lock()  # one submission at a time in a worker process, whatever its thread count


def grade_submission(snap: Snapshot, task: Task) -> Outcome:
    """The Dask task: grade one submission with the snapshot's grader (made on first use in this process)."""
    with _LOCK:
        return _runner(snap).grade(task)


def prepare(snap: Snapshot) -> None:
    """A Dask task: make this process's grader of the snapshot now (its imports, zygote and first kernel)."""
    with _LOCK:
        _runner(snap)


def _runner(snap: Snapshot) -> _Runner:
    runner = _RUNNERS.get(snap.digest)
    if runner is None:
        while len(_RUNNERS) >= KEPT:
            _RUNNERS.popitem(last=False)[1].close()
        runner = _RUNNERS[snap.digest] = _Runner(snap)
    _RUNNERS.move_to_end(snap.digest)
    return runner


def release_snapshot(digest: str) -> None:
    """Close this process's grader of a snapshot (its zygote and spare kernel), once no task uses it."""
    def close():
        with _LOCK:
            runner = _RUNNERS.pop(digest, None)
            if runner is not None:
                runner.close()

    threading.Thread(target=close, name="autograder-release", daemon=True).start()


# ---------------------------------------------------------------------------------------------------------------
# the parent side

class DaskPool:
    """The Dask Executor: the local pool's interface (core.Executor: run, close, workers) on a Dask cluster."""

    def __init__(self, address: str, settings: Settings):
        from distributed import Client

        self.address, self.assignment = address, settings.assignment
        self.pending: list = []
        self.snapshot = make_snapshot(settings)
        try:
            self.client = Client(address, timeout=30, set_as_default=False)
        except Exception as exc:
            raise CourseError(f"cannot reach the Dask scheduler {address}: {type(exc).__name__}: {exc} "
                              f"(start one with `dask scheduler`; see docs/GRADING.md)") from None
        try:
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
            if not workers:
                raise CourseError(f"the Dask scheduler {address} has no workers: start some with "
                                  f"`dask worker {address} --nthreads 1`")
            threaded = sorted(a for a, w in workers.items() if w.get("nthreads", 1) > 1)
            if threaded:
                warnings.warn(f"Dask workers {', '.join(threaded)} have several threads: each grades one "
                              f"submission at a time anyway (start workers with --nthreads 1)", stacklevel=2)
            self.slots = sorted(workers)
            self.workers = len(self.slots)
            self.shared = self.client.scatter(self.snapshot, broadcast=True, hash=False)
            token = uuid.uuid4().hex[:8]
            self.pending = [self.client.submit(prepare, self.shared, key=f"autograder-prepare-{n}-{token}",
                                               workers=[address], allow_other_workers=False, pure=False)
                            for n, address in enumerate(self.slots)]
        except BaseException:
            self.client.close()
            raise

    def run(self, tasks: list[Task], hang_limit: float | None = None) -> Iterator[Outcome]:
        """Yield an Outcome per task as they finish (each student once). The workers hold the notebooks' limits
        (Execute.timeout, SandboxedExecute.notebook_timeout), and Dask replaces a worker that dies; the parent
        sets no `hang_limit` of its own on a cluster."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        token = uuid.uuid4().hex[:8]
        students, refused = {}, []
        for task in tasks:
            try:  # read here as a local worker reads it (a link, FIFO, device or oversized file is refused)
                data = read_bytes(task.notebook)
            except NotebookFileError as exc:
                refused.append(unreadable(task, exc))
                continue
            shipped = Task(task.student, task.notebook, prestart=True, data=data)
            key = f"autograder-{self.assignment}-{task.student}-{token}"
            students[key] = task.student
            self.pending.append(self.client.submit(grade_submission, self.shared, shipped, key=key, pure=False))
        yield from refused
        yielded = set()
        grading = [f for f in self.pending if f.key in students]
        for future in as_completed(grading, loop=self.client.loop):
            student = students[future.key]
            try:
                outcome = future.result()
            except WorkerSetupError as exc:
                raise CourseError(str(exc)) from None
            except KilledWorker as exc:
                outcome = Outcome(student, "kernel died", f"every Dask worker that graded it died ({exc}); "
                                  "probably out of memory")
            except (CancelledError, OSError) as exc:  # the scheduler is gone: nothing more comes back
                left = sorted(set(students.values()) - yielded)
                raise CourseError(f"lost the Dask scheduler {self.address} ({type(exc).__name__}); not graded: "
                                  f"{', '.join(left)}; run grade again") from None
            except Exception as exc:
                outcome = Outcome(student, "failed", f"on the cluster: {type(exc).__name__}: {str(exc)[:300]}")
            future.release()
            if outcome.student != student:
                raise CourseError(f"the cluster returned {outcome.student}'s outcome for {student}")
            if student not in yielded:
                yielded.add(student)
                yield outcome
        self.pending = []

    def stream(self, source: "queue.Queue[Task | None]", hang_limit: float | None = None,
               started: Callable[[Task], None] | None = None) -> Iterator[Outcome]:
        """For a long-lived caller (the hand-in service): submit the Tasks put on `source` as they come and yield
        each Outcome as it finishes (the local pool's `stream`); `started(task)` is called once it is submitted.
        Ends when None is taken from `source` and the tasks taken before it are done."""
        from distributed.scheduler import KilledWorker

        running: dict = {}  # future -> task
        open_ = True
        while open_ or running:
            while open_:
                try:
                    task = source.get(timeout=0.5) if not running else source.get_nowait()
                except queue.Empty:
                    break
                if task is None:
                    open_ = False
                    break
                try:
                    data = task.data if task.data is not None else read_bytes(task.notebook)
                except NotebookFileError as exc:
                    yield unreadable(task, exc)
                    continue
                shipped = Task(task.student, task.notebook, prestart=True, data=data)
                key = f"autograder-{self.assignment}-{task.student}-{uuid.uuid4().hex[:8]}"
                running[self.client.submit(grade_submission, self.shared, shipped, key=key, pure=False)] = task
                if started is not None:
                    started(task)
            if not running:
                continue
            finished = [f for f in running if f.done()]
            if not finished:
                time.sleep(0.1)
            for future in finished:
                task = running.pop(future)
                try:
                    outcome = future.result()
                except WorkerSetupError as exc:
                    raise CourseError(str(exc)) from None
                except KilledWorker as exc:
                    outcome = Outcome(task.student, "kernel died", f"every Dask worker that graded it died ({exc}); "
                                      "probably out of memory")
                except Exception as exc:
                    outcome = Outcome(task.student, "failed", f"on the cluster: {type(exc).__name__}: "
                                      f"{str(exc)[:300]}")
                future.release()
                yield outcome

    def close(self) -> None:
        try:
            for future in self.pending:
                future.cancel()
            self.client.run(release_snapshot, self.snapshot.digest)
        except Exception as exc:
            print(f"warning: could not release the grading workers' snapshot: {exc}", file=sys.stderr)
        finally:
            self.client.close()
