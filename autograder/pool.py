"""pool: the local executor: worker processes on this machine, one submission at a time each.

The workers are forked from one server process that imported nbgrader once (multiprocessing's forkserver,
started early: autograder.forkserver), so that they are ready soon; each holds one core.Grader and grades the
Tasks it receives on its pipe with Grader.run, so a student is never graded twice at once. A worker that dies (out
of memory) or does not answer within the hang limit is replaced and its submission recorded as `kernel died` or
`timed out`. The parent (`grade`) alone writes the gradebook, and never waits for a worker: each gets its next
Task before the parent sees the outcome of its last one.
"""
from __future__ import annotations

import asyncio
import queue
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Callable, Iterator

from .core import Grader, Outcome, Settings, Task
from .course import CourseError
from .forkserver import context


def _die_with_parent() -> None:
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _worker_main(conn, settings: Settings) -> None:
    """A worker process: grade the Tasks received on `conn` one by one and send back their Outcomes."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    asyncio.run(_serve(conn, settings))


@dataclass(frozen=True)
class _WorkerError:
    """A worker could not set itself up (a configuration error): the run stops with this message."""
    message: str


async def _serve(conn, settings: Settings) -> None:
    loop = asyncio.get_running_loop()
    try:
        grader = Grader(settings)
    except Exception as exc:
        conn.send(_WorkerError(f"{type(exc).__name__}: {exc}"))
        return
    grader.prepare()
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
            conn.send(await grader.run(task))
    finally:
        await grader.close()


# ---------------------------------------------------------------------------------------------------------------
# the parent side

class LocalPool:
    """The local Executor: `size` worker processes fed one Task at a time; a worker that dies or hangs is replaced."""

    def __init__(self, size: int, settings: Settings):
        self.ctx, self.settings, self.hang_limit = context(), settings, None
        self.slots = [self._spawn() for _ in range(size)]
        self.workers = size

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

    def run(self, tasks: list[Task], hang_limit: float | None) -> Iterator[Outcome]:
        """Yield an Outcome per task, as they finish; a worker silent for `hang_limit` seconds is killed. A worker
        gets its next task before the caller sees the outcome of its last one, so that it never waits while the
        caller records."""
        self.hang_limit = hang_limit
        pending = list(reversed(tasks))

        def feed(slot):
            if slot["task"] is None and pending:
                task = pending.pop()
                self._send(slot, Task(task.student, task.notebook, prestart=len(pending) >= len(self.slots)))

        while pending or any(s["task"] for s in self.slots):
            for slot in self.slots:
                feed(slot)
            busy = [s for s in self.slots if s["task"]]
            wait([s["conn"] for s in busy] + [s["process"].sentinel for s in busy], timeout=5)
            finished = []
            for slot in busy:
                outcome = self._answer(slot)
                if outcome is not None:
                    slot["task"] = None
                    feed(slot)
                    finished.append(outcome)
            yield from finished

    def stream(self, source: "queue.Queue[Task | None]", hang_limit: float | None,
               started: Callable[[Task], None] | None = None) -> Iterator[Outcome]:
        """For a long-lived caller (the hand-in service): grade the Tasks put on `source` as they come, the workers
        kept between them, and yield each Outcome as it finishes; `started(task)` is called when a worker takes a
        task. Ends when None is taken from `source` and the tasks taken before it are done."""
        self.hang_limit, open_ = hang_limit, True
        while open_ or any(s["task"] for s in self.slots):
            for slot in self.slots:
                if slot["task"] is not None or not open_:
                    continue
                idle = not any(s["task"] for s in self.slots)
                try:
                    task = source.get(timeout=0.5) if idle else source.get_nowait()
                except queue.Empty:
                    break
                if task is None:
                    open_ = False
                    break
                self._send(slot, task)
                if started is not None:
                    started(task)
            busy = [s for s in self.slots if s["task"]]
            if not busy:
                continue
            wait([s["conn"] for s in busy] + [s["process"].sentinel for s in busy], timeout=0.2)
            for slot in busy:
                outcome = self._answer(slot)
                if outcome is not None:
                    slot["task"] = None
                    yield outcome

    def _send(self, slot: dict, task: Task) -> None:
        """Give `task` to the slot's worker (a new worker if its pipe is broken)."""
        try:
            slot["conn"].send(task)
        except OSError:
            self._replace(slot)
            slot["conn"].send(task)
        slot["task"], slot["since"] = task, time.monotonic()

    def _answer(self, slot: dict) -> Outcome | None:
        """The outcome of the slot's task, if there is one now (its worker replaced if it died or hung)."""
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
        return outcome

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


