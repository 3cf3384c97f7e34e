"""serve: the hand-in service (`python -m autograder serve`): students hand in from Colab (the hand-in cell) or an
upload page, and get within seconds a receipt, the file problems collect would report and the visible checks'
results per question. docs/GRADING.md ("The hand-in service") is its manual; this is how it is built:

- Starlette on uvicorn, listening on 127.0.0.1 by default (behind a TLS reverse proxy for the class);
- the store (autograder.inbox): two tables in the course's gradebook database and the files under service/; a
  submission is on disk and committed before its 202; on start the rows left queued or checking are queued again;
- the receipt's checks (autograder.precheck): the token decides the student; JSON, nbformat 4, this assignment's
  notebook (collect's rule), the file name by collect's naming rule; the late policy (autograder.late.LatePolicy)
  marks it late, and past its cut-off (where the penalty is 100%) the hand-in is closed;
- the visible checks: one Checker per assignment, a thread feeding the same executors as `grade` (a LocalPool, or
  a DaskPool with --scheduler) through their `stream` method, the workers kept between submissions; each
  submission is graded with core.Grader.run against a cells snapshot whose test cells are the release's, so a
  hidden test never runs before the deadline;
- limits: a token bucket per student (429), the size limit collect uses (413), a bounded queue (503).
"""
from __future__ import annotations

import math
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import traceback
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import nbformat
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from traitlets import Enum, Float, Integer, List, Unicode
from traitlets.config import LoggingConfigurable

from .cluster import DaskPool
from .collect import CourseFileNames, release_ids
from .core import GradeSubmissions, Outcome, Settings, Task
from .course import CourseError, assignments as all_assignments, release_notebook
from .downloads import DownloadLimits
from .grade import hang_limit
from .gradebook import require_gradebook, stored_submissions
from .inbox import Inbox, Replay, utcnow
from .late import LatePolicy
from .nbconfig import ensure_tools_on_path, load_config
from .forkserver import start_server
from .pool import LocalPool
from .precheck import Refusal, check_results, receive, visible_snapshot
from .uploadpage import PAGE

API = "/api/v1/submissions"


class Serve(LoggingConfigurable):
    """Settings of the hand-in service (c.Serve.* in nbgrader_config.py)."""

    host = Unicode("127.0.0.1", help="Address to listen on: 127.0.0.1, behind a TLS reverse proxy").tag(config=True)
    port = Integer(8765, help="Port to listen on").tag(config=True)
    assignments = List(Unicode(), [], help="Assignments open for hand-in; empty: every released one").tag(config=True)
    workers = Integer(0, help="Local worker processes running the visible checks of each assignment; 0: "
                      "GradeSubmissions.workers, else one per core").tag(config=True)
    scheduler = Unicode("", help="Dask scheduler (tcp://HOST:PORT) whose workers run the visible checks instead; "
                        "empty: GradeSubmissions.scheduler, else local workers").tag(config=True)
    queue_limit = Integer(400, min=1, help="Submissions waiting for or in their checks at most; beyond it a "
                          "submission is refused 503 with Retry-After (a class burst of 200 fits)").tag(config=True)
    retry_after = Integer(30, min=1, help="Seconds a refused (busy) submitter is told to wait").tag(config=True)
    rate_per_minute = Float(6.0, help="Submissions a student may make per minute, on average (token bucket)"
                            ).tag(config=True)
    rate_burst = Integer(10, min=1, help="Submissions a student may make at once (the bucket's size)").tag(config=True)
    max_bytes = Integer(0, help="Largest notebook accepted (bytes); 0: DownloadLimits.max_notebook_bytes, the "
                        "limit collect uses").tag(config=True)
    hidden_results = Enum(["never", "after-deadline"], "after-deadline",
                          help="What a student sees of the hidden tests after the deadline: 'after-deadline', the "
                               "counting submission's per-question autograded scores once the TA has graded it; "
                               "'never': nothing. Before the deadline nothing hidden is shown either way"
                          ).tag(config=True)


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Buckets:
    """A token bucket per student: `burst` submissions at once, refilled at `per_minute`."""

    def __init__(self, per_minute: float, burst: int):
        self.rate, self.burst, self.lock, self.state = per_minute / 60.0, burst, threading.Lock(), {}

    def take(self, student: str) -> float:
        """0 if the student may submit now (one taken), else seconds until they may."""
        with self.lock:
            now = time.monotonic()
            level, last = self.state.get(student, (float(self.burst), now))
            level = min(float(self.burst), level + (now - last) * self.rate)
            if level >= 1.0:
                self.state[student] = (level - 1.0, now)
                return 0.0
            self.state[student] = (level, now)
            return (1.0 - level) / self.rate if self.rate > 0 else 3600.0


class Checker:
    """The visible checks of one assignment: a thread feeding its executor's `stream` with the Tasks queued."""

    def __init__(self, service: "Service", assignment: str):
        self.service, self.assignment = service, assignment
        self.tasks: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=f"checks-{assignment}", daemon=True)
        self.thread.start()

    def put(self, sid: str, path: Path) -> None:
        self.tasks.put(Task(sid, path))

    def _run(self) -> None:
        service = self.service
        while not service.stopping.is_set():
            folder = Path(tempfile.mkdtemp(prefix="autograder-serve-cells-"))
            executor = None
            try:
                visible_snapshot(service.config, root=service.root, assignment=self.assignment,
                                 path=folder / "cells.db")
                settings = Settings(service.root, self.assignment, folder / "cells.db")
                executor = DaskPool(service.scheduler, settings) if service.scheduler else \
                    LocalPool(service.workers, settings)
                limit = hang_limit(service.config, GradeSubmissions(config=service.config))
                for outcome in executor.stream(self.tasks, limit, started=service.started):
                    service.finished(outcome)
                return
            except Exception:
                print(f"serve: the checks of {self.assignment} stopped; starting again in 5 s:\n"
                      f"{traceback.format_exc()}", file=sys.stderr, flush=True)
                time.sleep(5)
                for submission in service.inbox.unfinished():  # those the stopped executor had taken
                    if submission.assignment == self.assignment and submission.state == "checking":
                        service.inbox.set_state(submission.id, "queued")
                        self.put(submission.id, service.root / submission.path)
            finally:
                if executor is not None:
                    executor.close()
                shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        """Finish what the workers hold and stop; what is still queued stays queued in the store, and is checked
        when the service starts again."""
        while True:
            try:
                self.tasks.get_nowait()
            except queue.Empty:
                break
        self.tasks.put(None)
        self.thread.join(60)


class Service:
    """The service's state: configuration, store, limits, and a Checker per assignment with submissions."""

    def __init__(self, *, root: Path, scheduler: str | None = None, workers: int | None = None):
        ensure_tools_on_path()
        self.root, self.config = root, load_config(root)
        self.settings = Serve(config=self.config)
        grading = GradeSubmissions(config=self.config)
        self.scheduler = scheduler or self.settings.scheduler or grading.scheduler or ""
        self.workers = workers or self.settings.workers or grading.workers or len(os.sched_getaffinity(0))
        self.open = list(self.settings.assignments) or \
            [a for a in all_assignments(root) if release_notebook(root, a).is_file()]
        if not self.open:
            raise CourseError(f"{root}: no assignment is released, so none can be handed in; run `python -m "
                              f"autograder release <assignment>` first")
        for assignment in self.open:
            require_gradebook(self.config, assignment)
            if not release_notebook(root, assignment).is_file():
                raise CourseError(f"{release_notebook(root, assignment)}: no release; run `python -m autograder "
                                  f"release {assignment}` first")
        self.names = CourseFileNames(config=self.config)
        self.names._root = root  # so that a name of another assignment is told apart, as collect does
        self.policy = LatePolicy(config=self.config)
        self.max_bytes = self.settings.max_bytes or DownloadLimits(config=self.config).max_notebook_bytes
        self.releases = {a: nbformat.read(release_notebook(root, a), as_version=4) for a in self.open}
        self.known_ids = release_ids(root)
        self.buckets = Buckets(self.settings.rate_per_minute, self.settings.rate_burst)
        self.inbox = Inbox(root=root, db_url=self.config.CourseDirectory.db_url)
        self.lock, self.pending = threading.Lock(), 0
        self.checkers: dict[str, Checker] = {}
        self.stopping = threading.Event()

    # the checks ------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Queue again what a stopped service left queued or checking."""
        if not self.scheduler:
            start_server()
        left = self.inbox.unfinished()
        with self.lock:
            self.pending += len(left)
        for submission in left:
            self.inbox.set_state(submission.id, "queued")
            self.enqueue(submission.assignment, submission.id, self.root / submission.path)
        if left:
            print(f"serve: queued again {len(left)} submissions left unchecked", file=sys.stderr, flush=True)

    def enqueue(self, assignment: str, sid: str, path: Path) -> None:
        with self.lock:
            if assignment not in self.checkers:
                self.checkers[assignment] = Checker(self, assignment)
            checker = self.checkers[assignment]
        checker.put(sid, path)

    def started(self, task: Task) -> None:
        self.inbox.set_state(task.student, "checking")

    def finished(self, outcome: Outcome) -> None:
        """Record the checks of the submission `outcome.student` (a submission id)."""
        submission = self.inbox.get(outcome.student)
        if submission is None:
            return
        problems = list(submission.problems) + list(outcome.repairs)
        if outcome.status != "graded":
            problems.append(f"{outcome.status}: {outcome.detail}".replace(outcome.student, submission.file_name
                                                                           or "the notebook"))
        if outcome.notebook:
            checks = check_results(outcome.notebook)
        else:
            reason = "not run" if outcome.status != "unrecognised" else "not run (not this assignment's notebook)"
            checks = [dict(c, score=0.0, passed=False, message=reason)
                      for c in check_results(nbformat.writes(self.releases[submission.assignment]))]
        self.inbox.finish(submission.id, status=outcome.status, problems=problems, checks=checks)
        with self.lock:
            self.pending -= 1

    def stop(self) -> None:
        self.stopping.set()
        for checker in list(self.checkers.values()):
            checker.stop()
        self.inbox.close()

    # the API ---------------------------------------------------------------------------------------------------

    def student(self, request: Request) -> tuple[str | None, JSONResponse | None]:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            return None, error(401, "no token: send your personal token as the header 'Authorization: Bearer "
                                    "<token>' (in Colab, the secret AUTOGRADER_TOKEN)")
        if scheme.lower() != "bearer" or not token.strip():
            return None, error(401, "the Authorization header must be 'Bearer <token>'")
        student = self.inbox.student_of(token)
        if student is None:
            return None, error(401, "wrong token: it is not a token of this course (check for a missing character, "
                                    "or ask for the token you were sent)")
        return student, None

    def lateness(self, assignment: str):
        """(deadline, now, fraction the late policy takes off now)."""
        deadline, now = self.policy.deadline(assignment), utcnow()
        return deadline, now, (self.policy.fraction(deadline, now) if deadline is not None else 0.0)

    def hidden(self, submission) -> tuple[str, list[dict] | None]:
        """What the student is told of the hidden tests now, and the per-question scores if they are shown."""
        deadline, now, _ = self.lateness(submission.assignment)
        if deadline is not None and now <= deadline:
            when = deadline.strftime("%Y-%m-%d %H:%M")
            return (f"hidden tests are run when your notebook is graded after the deadline ({when} UTC); their "
                    "results are withheld until then: passing the visible checks does not mean passing them"), None
        if self.settings.hidden_results == "never":
            return "hidden test results are not shown by this service; your grade comes from the course", None
        counting = self.inbox.counting(submission.assignment, submission.student)
        if counting is None or counting.id != submission.id:
            return "this is not your counting submission: the last one you handed in counts", None
        stored = {s.student: s for s in stored_submissions(self.config, submission.assignment)}
        graded = stored.get(submission.student)
        ids = {c["grade_id"] for c in submission.checks}
        if graded is None or graded.timestamp is None or \
                abs(graded.timestamp - submission.received_at) > timedelta(seconds=1):
            return "not graded yet: the autograded scores (hidden tests included) appear here once the TA has " \
                   "graded this submission", None
        scores = [{"grade_id": g, "score": graded.questions.get(g), "points": graded.max_points.get(g)}
                  for g in graded.questions if g in ids]
        return "graded: the autograded score of each question, hidden tests included", scores

    def answer(self, submission) -> dict:
        body = {"id": submission.id, "student": submission.student, "assignment": submission.assignment,
                "received_at": submission.received_text, "late": submission.late, "penalty": submission.penalty,
                "url": f"{API}/{submission.assignment}/{submission.id}", "state": submission.state,
                "problems": list(submission.problems)}
        if submission.state == "done":
            hidden, scores = self.hidden(submission)
            body.update(checks=list(submission.checks), status=submission.status, hidden=hidden)
            if scores is not None:
                body["hidden_scores"] = scores
        return body

    def admit(self) -> bool:
        with self.lock:
            if self.pending >= self.settings.queue_limit:
                return False
            self.pending += 1
            return True

    def release_slot(self) -> None:
        with self.lock:
            self.pending -= 1

    async def submit(self, request: Request) -> JSONResponse:
        assignment = request.path_params["assignment"]
        if assignment not in self.open:
            return error(404, f"no assignment {assignment!r} is open for hand-in here (open: "
                              f"{', '.join(self.open) or 'none'})")
        student, refused = await run_in_threadpool(self.student, request)
        if refused is not None:
            return refused
        wait = self.buckets.take(student)
        if wait:
            seconds = max(1, math.ceil(wait))
            return error(429, f"too many submissions from {student}: retry in {seconds} s (at most "
                              f"{self.settings.rate_burst} at once, {self.settings.rate_per_minute:g} a minute)",
                         {"Retry-After": str(seconds)})
        deadline, now, fraction = self.lateness(assignment)
        if fraction >= 1.0:
            earlier = await run_in_threadpool(self.inbox.counting, assignment, student)
            kept = f"your submission {earlier.id} of {earlier.received_text} still counts" if earlier else \
                "nothing of yours was received before it"
            return error(410, f"the hand-in of {assignment} is closed: past the late policy's cut-off a submission "
                              f"scores 0, so the service refuses it rather than replace your counting submission "
                              f"with a zero; {kept}")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return error(413, f"the notebook is {int(declared) / 2**20:.1f} MiB, over the limit of "
                              f"{self.max_bytes / 2**20:.0f} MiB")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_bytes:
                return error(413, f"the notebook is over the limit of {self.max_bytes / 2**20:.0f} MiB")
            chunks.append(chunk)
        data = b"".join(chunks)
        file_name = unquote(request.headers.get("x-notebook-name", "")).strip()  # UTF-8, percent-encoded
        key = request.headers.get("idempotency-key", "").strip()[:200] or None
        try:
            received = await run_in_threadpool(
                receive, data=data, assignment=assignment, student=student, file_name=file_name, names=self.names,
                release_nb=self.releases[assignment], known_ids=self.known_ids)
        except Refusal as exc:
            return error(exc.status, exc.message)
        earlier = await run_in_threadpool(self.inbox.by_key, student, key) if key else None
        if earlier is not None:
            return self.replayed(earlier)
        if not self.admit():
            return error(503, f"busy, retry in {self.settings.retry_after} s: {self.settings.queue_limit} "
                              "submissions are waiting for their checks; nothing was stored",
                         {"Retry-After": str(self.settings.retry_after)})
        try:
            submission = await run_in_threadpool(
                self.inbox.store, student=student, assignment=assignment, data=data, received_at=now,
                late=fraction > 0, penalty=fraction, idempotency_key=key, file_name=file_name,
                problems=list(received.problems))
        except Replay as exc:
            self.release_slot()
            return self.replayed(exc.earlier)
        except BaseException:
            self.release_slot()
            raise
        self.enqueue(assignment, submission.id, self.root / submission.path)
        body = self.answer(submission)
        body["message"] = (f"received late: the late policy takes {fraction:.0%} off its score" if fraction else
                           "received on time") + "; the last submission you hand in counts"
        return JSONResponse(body, status_code=202)

    @staticmethod
    def replayed(earlier) -> JSONResponse:
        return error(409, f"replayed request: this Idempotency-Key came with your submission {earlier.id}, received "
                          f"{earlier.received_text}; nothing new was stored (hand in again with a new key)")

    async def poll(self, request: Request) -> JSONResponse:
        student, refused = await run_in_threadpool(self.student, request)
        if refused is not None:
            return refused
        submission = await run_in_threadpool(self.inbox.get, request.path_params["sid"])
        if submission is None or submission.student != student or \
                submission.assignment != request.path_params["assignment"]:
            return error(404, f"no submission {request.path_params['sid']!r} of yours for "
                              f"{request.path_params['assignment']!r}")
        return JSONResponse(await run_in_threadpool(self.answer, submission))

    async def page(self, request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE.replace("__ASSIGNMENTS__", ",".join(self.open)),
                            headers={"Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                                     "style-src 'unsafe-inline'", "X-Content-Type-Options": "nosniff"})


def make_app(service: Service) -> Starlette:
    async def not_found(request: Request, exc) -> JSONResponse:
        return error(getattr(exc, "status_code", 404), f"{request.method} {request.url.path}: "
                                                       f"{getattr(exc, 'detail', 'not found')}")

    @asynccontextmanager
    async def lifespan(app):
        service.start()
        try:
            yield
        finally:
            await run_in_threadpool(service.stop)

    return Starlette(routes=[
        Route("/", service.page), Route("/upload", service.page),
        Route(f"{API}/{{assignment}}", service.submit, methods=["POST"]),
        Route(f"{API}/{{assignment}}/{{sid}}", service.poll, methods=["GET"]),
    ], exception_handlers={404: not_found, 405: not_found}, lifespan=lifespan)


def serve(*, root: Path, host: str | None = None, port: int | None = None, scheduler: str | None = None,
          workers: int | None = None) -> None:
    """Run the hand-in service until stopped (SIGINT or SIGTERM)."""
    service = Service(root=root, scheduler=scheduler, workers=workers)
    host, port = host or service.settings.host, port or service.settings.port
    print(f"serve: hand-in of {', '.join(service.open)} on http://{host}:{port}/ (checks on "
          f"{service.scheduler or f'{service.workers} local workers'})", file=sys.stderr, flush=True)
    uvicorn.run(make_app(service), host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
