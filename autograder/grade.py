"""grade: autograde every collected submission of an assignment into gradebook.db (`python -m autograder grade`).

nbgrader's own steps do the grading; this stage adds what `nbgrader autograde` lacks. It chooses what to grade,
grades it on an executor and records each outcome as it comes back:

- executors (autograder.core.Executor): a pool of local worker processes (autograder.pool), or, with
  `--scheduler`, the single-thread workers of a Dask cluster (autograder.cluster); both grade each submission
  with the same per-submission code (autograder.core.Grader.run), one at a time per worker, so a student is never
  graded twice at once. The workers start (in a thread) while this process reads the configuration and the
  gradebook, and never see gradebook.db: they read the assignment's cells from a private snapshot;
- recording (autograder.gradebook.Recorder): only this (the parent) process writes the gradebook, each student
  once, while the workers go on;
- resume: the parent commits each submission's grades, then writes its autograded notebook carrying a key of
  what was graded (submission, time, source and release). A re-run skips submissions whose key is unchanged
  and whose grades are in the gradebook, so a run killed at any point loses no finished grade;
- one failing notebook never stops the batch: each gets a status (autograder.core.STATUSES) and its tests score 0.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from .cluster import DaskPool
from .collect import select_students
from .core import Executor, GradeSubmissions, Graded, Settings, Task, pipelines
from .nbgraderspeed import speed_up_nbgrader
from .course import (CourseError, check_assignment, collected_students, grading_record, release_notebook,
                     source_notebook, submitted_notebook)
from .database import retrying
from .gradebook import Recorder, require_gradebook, sync_due_date, ungraded, write_snapshot
from .nbconfig import ensure_tools_on_path, load_config
from .forkserver import start_server
from .pool import LocalPool
from .sandbox.cgroups import remove_stale_groups

PIPELINE_VERSION = "1"  # part of each submission's key: bump to regrade everything after a change of method


@dataclass(frozen=True)
class GradeRun:
    assignment: str
    graded: tuple[Graded, ...]
    skipped: tuple[str, ...]      # students whose unchanged submission was graded before
    seconds: float
    workers: int


def submission_key(root: Path, student: str, assignment: str) -> str:
    """What a grade depends on: the submission, its time, the source and release notebooks, the method."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    folder = submitted_notebook(root, student, assignment).parent
    for path in (folder / f"{assignment}.ipynb", folder / "timestamp.txt",
                 source_notebook(root, assignment), release_notebook(root, assignment)):
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()


def hang_limit(config, settings: GradeSubmissions) -> float | None:
    """Seconds after which the parent gives up on a worker: the longest notebook limit in force, plus grace.

    An Execute step with limits of its own (a sandbox's `notebook_timeout`) may allow more than ours.
    """
    limits = [settings.notebook_time_limit]
    for cls in pipelines(config)[1]:
        if "notebook_timeout" in cls.class_trait_names():
            limits.append(cls(config=config).notebook_timeout or 0)
    return max(limits) + settings.grace + 120 if max(limits) else None


class _Starting:
    """An executor being started in a thread of its own, while this process does other work."""

    def __init__(self, start: Callable[[], Executor]):
        self.made: Executor | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._start, args=(start,), daemon=True)
        self.thread.start()

    def _start(self, start: Callable[[], Executor]) -> None:
        try:
            self.made = start()
        except BaseException as exc:
            self.error = exc

    def result(self) -> Executor:
        """The executor, once started; the error that stopped it, raised here."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        if self.made is None:
            raise CourseError("the grading workers could not be started (see the error above)")
        return self.made

    def leftover(self) -> Executor | None:
        """What was started, if anything (to close it after an error elsewhere)."""
        self.thread.join()
        return self.made


def _chosen(root: Path, assignment: str, students: list[str] | None) -> list[str]:
    """The collected students to consider: all, or `students` (each must have been collected)."""
    everyone = collected_students(root, assignment)
    if students:  # by the course's student id rule, as collect reads ids: case does not matter
        students = select_students(root=root, given=students, known=everyone)
    chosen = [s for s in everyone if not students or s in students]
    if not chosen:
        raise CourseError(f"{root / 'submitted'}: no submissions of {assignment}; "
                          f"run `python -m autograder collect {assignment} PATH...` first")
    return chosen


def _record_all(executor: Executor, recorder: Recorder, tasks: list[Task], keys: dict[str, str],
                limit: float | None, *, url: str, progress: bool) -> list[Graded]:
    """Record each outcome the executor hands back, each student once (whatever a cluster retried)."""
    graded, recorded = [], set()
    with tqdm(total=len(tasks), desc=f"grading {recorder.assignment}", unit="nb", disable=not progress,
              file=sys.stderr, dynamic_ncols=True) as bar:
        for outcome in executor.run(tasks, limit):
            if outcome.student in recorded:
                continue
            graded.append(retrying(lambda: recorder.record(outcome, keys[outcome.student]),
                                   what=f"recording {outcome.student}'s grades", url=url,
                                   log=lambda message: bar.write(message, file=sys.stderr)))
            recorded.add(outcome.student)
            bar.set_postfix_str(f"{outcome.student}: {outcome.status}", refresh=False)
            bar.update()
    return graded


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
    chosen = _chosen(root, assignment, students)
    keys = {s: submission_key(root, s, assignment) for s in chosen}
    likely = [s for s in chosen if force or grading_record(root, s, assignment).get("key") != keys[s]]
    if likely and not scheduler:
        start_server()  # it imports nbgrader while this process does the same
    cores = workers or settings.workers or len(os.sched_getaffinity(0))
    snapshot_dir = Path(tempfile.mkdtemp(prefix="autograder-cells-"))
    starting: _Starting | None = None
    executor: Executor | None = None
    graded: list[Graded] = []
    try:
        write_snapshot(config, assignment, snapshot_dir / "cells.db")
        cells = Settings(root, assignment, snapshot_dir / "cells.db")
        open_executor = lambda size: DaskPool(scheduler, cells) if scheduler else LocalPool(size, cells)  # noqa: E731
        if likely:  # the workers (local: the server imports nbgrader; or the cluster's) get ready meanwhile
            starting = _Starting(lambda: open_executor(max(1, min(cores, len(likely)))))
        speed_up_nbgrader()
        deadline_changed = sync_due_date(assignment=assignment, config=config)  # else nbgrader's own due date
        missing = ungraded(config, assignment, [s for s in chosen if s not in likely])
        todo = [s for s in chosen if s in likely or s in missing]
        skipped = [s for s in chosen if s not in todo]
        recorder = Recorder(root, assignment, config)
        limit = hang_limit(config, settings)
        if starting is not None:
            executor = starting.result()
        if deadline_changed and skipped:
            recorder.reapply_late_penalties(skipped)
        if todo:
            executor = executor or open_executor(max(1, min(cores, len(todo))))
            tasks = [Task(s, submitted_notebook(root, s, assignment)) for s in todo]
            graded = _record_all(executor, recorder, tasks, keys, limit, url=config.CourseDirectory.db_url,
                                 progress=progress)
    finally:
        if executor is None and starting is not None:
            executor = starting.leftover()
        if executor is not None:
            executor.close()
        shutil.rmtree(snapshot_dir, ignore_errors=True)
        remove_stale_groups()  # the control groups of workers' kernels, with anything still running in them
    graded.sort(key=lambda g: g.student)
    return GradeRun(assignment, tuple(graded), tuple(skipped), time.monotonic() - started,
                    executor.workers if executor else 0)
