"""Does grading on Dask workers with a PostgreSQL gradebook give every student the score a local SQLite run gives,
lose nothing when a worker, the parent or the database is killed or restarted mid-batch, and listen only on
127.0.0.1? (A throwaway PostgreSQL, a Dask scheduler and two single-thread workers are started here, the cluster
with the commands of docs/GRADING.md, and stopped by PID.)"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.database import database_url
from autograder.examples import KINDS, TIMES_FILE, examples_folder
from autograder.course import autograded_notebook
from autograder.gradebook import scores
from autograder.nbconfig import load_config
from fixtures.coursefolder import REFERENCE, ROOT, cli, copy_course, make_course, make_gradebook, submit

pytestmark = pytest.mark.slow
A = REFERENCE


def postgres_bin() -> Path:
    """The bin folder of Debian's newest postgresql-NN (installed with apt-get first when missing and root)."""
    found = lambda: max(Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/usr/lib/postgresql/15/bin"),
                        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not (found() / "initdb").is_file() and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], env=env, capture_output=True, timeout=1200)
    return found()


VENV_BIN = Path(sys.executable).parent
# the demo class (examples/submissions/<A>: full, partial, blank, late, damaged, misnamed) and more students, so
# that a batch lasts long enough to be interrupted in its middle
EXTRA = {"aa0011": "partial_marks", "aa0012": "raises_in_answers", "aa0013": "full_marks", "aa0014": "corrupt.ipynb"}
# the course's own Execute step (the sandbox), as a department would grade: the test course's TEST_CONFIG
# replaces it by nbgrader's Execute, this puts it back
SANDBOXED = "c.Autograde.autograde_preprocessors = {!r}\n".format(
    list(load_config(ROOT).Autograde.autograde_preprocessors))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(pid: int, timeout: float = 5) -> None:
    """SIGTERM `pid`, then SIGKILL it if it is still there after `timeout` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# ---- real components ------------------------------------------------------------------------------------------

class Postgres:
    """A PostgreSQL server in a temporary folder, on a loopback port, run by an unprivileged user."""

    def __init__(self):
        self.bin = postgres_bin()
        assert (self.bin / "initdb").is_file(), f"{self.bin}/initdb: no PostgreSQL server (apt-get install postgresql)"
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
        self.port = free_port()
        self.user = "nobody" if os.geteuid() == 0 else None
        os.chmod(self.folder, 0o755)
        if self.user:
            shutil.chown(self.folder, self.user)
        self.run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "grader", "-E", "UTF8", "--no-sync")
        self.start()

    def run(self, tool: str, *args: str) -> None:
        done = subprocess.run([str(self.bin / tool), *args], user=self.user, capture_output=True, text=True,
                              timeout=120, cwd=self.folder)
        assert done.returncode == 0, f"{tool} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w", "start", "-o",
                 f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off")

    def restart(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-m", "fast", "-w",
                 "restart")

    @property
    def pid(self) -> int:
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])

    def url(self, database: str) -> str:
        return f"postgresql://grader@127.0.0.1:{self.port}/{database}"

    def create(self, database: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=grader dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def close(self) -> None:
        pid = self.pid if (self.folder / "data" / "postmaster.pid").is_file() else None
        subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"],
                       user=self.user, capture_output=True, timeout=60)
        if pid:
            stop(pid)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    yield server
    server.close()


def documented_commands() -> tuple[str, str]:
    """The scheduler's and a grading machine's commands in docs/GRADING.md ('Starting the cluster'), as written."""
    text = (ROOT / "docs" / "GRADING.md").read_text()
    block = text[text.index("**Starting the cluster.**"):]
    block = block[block.index("```\n") + 4:]
    lines = block[:block.index("```")].replace("\\\n", "").splitlines()
    commands = [" ".join(line.split()) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return next(c for c in commands if " scheduler " in c), next(c for c in commands if " worker " in c)


class Cluster:
    """The scheduler and a grading machine's two single-thread workers (each with its nanny), started with the
    commands of docs/GRADING.md as written, on 127.0.0.1 for the docs' private addresses, from a folder that holds
    no course and with no PYTHONPATH: the installed package is what they import."""

    def __init__(self, folder: Path):
        self.folder = folder
        env = dict(os.environ)
        for name in ("COURSE_ROOT", "PYTHONPATH"):
            env.pop(name, None)
        port, dashboard = free_port(), free_port()
        here = [("tcp://10.0.0.5:8786", f"tcp://127.0.0.1:{port}"), ("--port 8786", f"--port {port}"),
                ("10.0.0.5:8787", f"127.0.0.1:{dashboard}"), ("10.0.0.5", "127.0.0.1"), ("10.0.0.11", "127.0.0.1"),
                ("$(nproc)", "2"), ("/data/course", os.environ.get("COURSE_DATA_DIR", "")),
                (".venv/bin/", f"{VENV_BIN}/")]  # this checkout's environment, the one running the tests
        self.commands = []
        for command in documented_commands():
            for docs, local in here:
                command = command.replace(docs, local)
            self.commands.append(command)
        assert "10.0.0." not in " ".join(self.commands), self.commands
        self.processes = []
        self.address = f"tcp://127.0.0.1:{port}"
        for name, command in zip(("scheduler", "workers"), self.commands):
            (folder / name).mkdir()
            self.spawn(["bash", "-c", command], name, env, cwd=folder / name)
        self.client = None
        from distributed import Client

        self.client = Client(self.address, timeout=60, set_as_default=False)
        self.client.wait_for_workers(2, timeout=120)

    def spawn(self, command, name, env, cwd=None):
        log = open(self.folder / f"{name}.log", "w")
        self.processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                               cwd=cwd or self.folder, start_new_session=True))
        log.close()

    def workers(self) -> dict[str, dict]:
        return self.client.scheduler_info(n_workers=-1)["workers"]

    def wait_for_workers(self, n: int = 2) -> None:
        self.client.wait_for_workers(n, timeout=120)

    def pids(self) -> list[int]:
        """Every process of the cluster: scheduler, nannies, workers and what they started."""
        return [pid for p in self.processes for pid in (p.pid, *descendants(p.pid))]

    def close(self) -> None:
        inner = {p.pid: descendants(p.pid) for p in self.processes}
        if self.client is not None:
            try:
                self.client.shutdown()  # the scheduler, then the nannies and their workers, stop on their own
            except Exception:
                pass
            for process in self.processes:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    pass
        for process in reversed(self.processes):  # whatever is left, by PID  # workers (nanny first: it stops its worker), then the scheduler
            stop(process.pid)
            process.wait(30)
            for pid in inner[process.pid]:
                stop(pid, timeout=5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    yield running
    running.close()


# ---- the class ------------------------------------------------------------------------------------------------

def enrol(course: Path) -> Path:
    """Collect the demo class into `course` (as `demo` does) and add the EXTRA students."""
    folder = examples_folder(ROOT, A)
    cli(course, "collect", A, str(folder), "--times", str(folder / TIMES_FILE), check=True)
    for student, fixture in EXTRA.items():
        submit(course, student, fixture)
    link = submit(course, "aa0015", "full_marks") / f"{A}.ipynb"  # a link in place of a notebook: refused
    link.unlink()
    link.symlink_to("/etc/passwd")
    return course


@pytest.fixture(scope="module")
def sandboxed_course(tmp_path_factory):
    """A course with the sandboxed Execute step and no gradebook yet."""
    return make_course(tmp_path_factory.mktemp("template") / "course", extra_config=SANDBOXED)


@pytest.fixture(scope="module")
def local_scores(sandboxed_course, tmp_path_factory):
    """{student: (status, score, late penalty)} of a local run with a SQLite gradebook."""
    course = copy_course(sandboxed_course, tmp_path_factory.mktemp("local") / "course")
    make_gradebook(course)
    enrol(course)
    cli(course, "grade", A, "--no-progress", check=True)
    return outcome(course)


def outcome(course: Path) -> dict:
    return {g.student: (g.status, g.score, g.late_penalty) for g in scores(root=course, assignment=A)}


def postgres_course(template: Path, folder: Path, postgres: Postgres, name: str) -> Path:
    """A copy of `template` whose gradebook is a new PostgreSQL database, released and with the class collected."""
    course = copy_course(template, folder)
    url = postgres.create(name)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    make_gradebook(course)  # release's nbgrader step (generate_assignment), into PostgreSQL
    assert not (course / "gradebook.db").exists()
    return enrol(course)


def rows_per_student(postgres: Postgres, database: str) -> dict[str, tuple[int, int]]:
    """{student: (submissions, grades)} as stored: one submission each, one grade per graded cell, or a duplicate."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url(postgres.url(database)))
    try:
        with engine.connect() as db:
            return {s: (n, g) for s, n, g in db.execute(text(
                """SELECT sa.student_id, COUNT(DISTINCT sa.id), COUNT(g.id) FROM submitted_assignment sa
                   JOIN submitted_notebook sn ON sn.assignment_id = sa.id LEFT JOIN grade g ON g.notebook_id = sn.id
                   GROUP BY sa.student_id"""))}
    finally:
        engine.dispose()


@pytest.fixture
def grading():
    """Start `grade A ARGS` in the background (stopped by PID at the end if it is still running)."""
    started = []

    def start(course: Path, *args: str) -> subprocess.Popen:
        env = dict(os.environ, COURSE_ROOT=str(course))
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        started.append(subprocess.Popen([sys.executable, "-m", "autograder", "grade", A, "--no-progress", *args],
                                        cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def recorded(course: Path) -> list[str]:
    """Students whose autograded notebook carries its key (their grades are in the gradebook)."""
    done = []
    for path in (course / "autograded").glob(f"*/{A}/{A}.ipynb"):
        try:
            if json.loads(path.read_text())["metadata"]["autograder"].get("key"):
                done.append(path.parent.parent.name)
        except (OSError, ValueError, KeyError):
            pass
    return done


def wait_until(condition, timeout: float = 300, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


CLASS = len(KINDS) + len(EXTRA) + 1


# ---- tests ----------------------------------------------------------------------------------------------------

def test_cluster_and_postgres_score_as_a_local_run(cluster, postgres, sandboxed_course, local_scores, tmp_path):
    """Graded on two Dask workers into PostgreSQL (release, collect, grade, report and the formgrader's API on
    that gradebook), does every student get the status and score of a local SQLite run, once, in the sandbox?"""
    course = postgres_course(sandboxed_course, tmp_path / "course", postgres, "together")
    done = cli(course, "grade", A, "--no-progress", "--scheduler", cluster.address)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "with 2 workers" in done.stdout
    assert len(local_scores) == CLASS and outcome(course) == local_scores
    assert local_scores["aa0014"][0] == "unreadable" and local_scores["aa0015"][0] == "refused"
    counts = rows_per_student(postgres, "together")  # one submission and one row per graded cell each
    assert sorted(counts) == sorted(local_scores) and len(set(counts.values())) == 1
    meta = json.loads(autograded_notebook(course, "aa0001", A).read_text())["metadata"]["autograder"]
    assert meta["sandbox"]["isolation"] in ("namespaces", "plain")  # the sandbox ran on the worker
    report = cli(course, "report", A, "--no-feedback")
    assert report.returncode == 0, report.stderr
    assert (course / "reports" / A / "grades.csv").read_text().count("\n") == CLASS + 1
    from autograder.nbconfig import nbgrader_api  # what the formgrader shows
    api = nbgrader_api(load_config(course))
    shown = {s["student"]: s["score"] for s in api.get_submissions(A)}
    assert {s: shown[s] for s in local_scores} == {s: v[1] for s, v in local_scores.items()}


def test_a_worker_killed_mid_batch_loses_nothing(cluster, postgres, sandboxed_course, local_scores, grading,
                                                  tmp_path):
    """With a worker killed (kill -9) while it grades, is its submission graded elsewhere, its kernels gone with
    it (never graded twice at once), every student recorded once, and every score that of the local run?"""
    course = postgres_course(sandboxed_course, tmp_path / "course", postgres, "worker_killed")
    run = grading(course, "--scheduler", cluster.address)
    busy = {}
    wait_until(lambda: busy.update({a: k for a, k in cluster.client.processing().items() if k}) or busy,
               what="a busy worker")
    address = sorted(busy)[0]
    pid = cluster.client.run(os.getpid, workers=[address])[address]
    wait_until(lambda: descendants(pid), timeout=60, what="the worker's kernel")  # it is grading
    children = descendants(pid)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not any(alive(c) for c in children), timeout=15, what="the killed worker's kernels to die")
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, out + err
    assert outcome(course) == local_scores
    counts = rows_per_student(postgres, "worker_killed")
    assert sorted(counts) == sorted(local_scores) and {n for n, _ in counts.values()} == {1}
    cluster.wait_for_workers(2)  # the nanny started a new worker


def test_a_killed_parent_resumes_with_no_lost_grade(cluster, postgres, sandboxed_course, local_scores, grading,
                                                     tmp_path):
    """After kill -9 of `grade --scheduler` in the middle of the batch, are the grades recorded so far kept, and
    does the next run grade exactly the rest, to the local run's scores?"""
    course = postgres_course(sandboxed_course, tmp_path / "course", postgres, "parent_killed")
    run = grading(course, "--scheduler", cluster.address)
    wait_until(lambda: len(recorded(course)) >= 4, what="four recorded students")
    run.send_signal(signal.SIGKILL)
    run.communicate()
    before = set(recorded(course))
    assert 4 <= len(before) < CLASS, "kill the run in its middle"
    with open(course / "nbgrader_config.py", "a") as config:  # this time the cluster named in the configuration
        config.write(f"\nc.GradeSubmissions.scheduler = {cluster.address!r}\n")
    again = cli(course, "grade", A, "--no-progress", "--workers", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "with 2 workers" in again.stdout  # the cluster's two, not one local worker
    assert f"{len(before)} unchanged submissions already graded" in again.stdout
    assert outcome(course) == local_scores
    assert {n for n, _ in rows_per_student(postgres, "parent_killed").values()} == {1}


def test_postgres_restarted_mid_batch(cluster, postgres, sandboxed_course, local_scores, grading, tmp_path):
    """With the database restarted in the middle of the batch, does the run retry (or fail naming what to do), and
    after at most one more run is every grade there once, equal to the local run's?"""
    course = postgres_course(sandboxed_course, tmp_path / "course", postgres, "restarted")
    run = grading(course, "--scheduler", cluster.address)
    wait_until(lambda: len(recorded(course)) >= 4, what="four recorded students")
    postgres.restart()
    in_flight = CLASS - len(recorded(course))
    out, err = run.communicate(timeout=600)
    if in_flight and not run.returncode:  # the connections it held were cut: it retried
        assert "lost the gradebook's connection" in err, out + err
    if run.returncode:
        assert "run grade again" in err, out + err
        again = cli(course, "grade", A, "--no-progress", "--scheduler", cluster.address)
        assert again.returncode == 0, again.stdout + again.stderr
    assert outcome(course) == local_scores
    counts = rows_per_student(postgres, "restarted")
    assert sorted(counts) == sorted(local_scores) and {n for n, _ in counts.values()} == {1}


def test_everything_listens_on_loopback_only(cluster, postgres):
    """Do the scheduler, the nannies, the workers, their kernels and PostgreSQL listen on 127.0.0.1 only?"""
    import psutil

    pids = cluster.pids() + [postgres.pid, *descendants(postgres.pid)]
    listening = [(pid, c.laddr.ip, c.laddr.port) for pid in pids if alive(pid)
                 for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert len({pid for pid, *_ in listening}) >= 4  # scheduler, two nannies, two workers, postgres
    assert {ip for _, ip, _ in listening} == {"127.0.0.1"}, listening
