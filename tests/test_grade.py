"""Does grade autograde every collected submission into the gradebook, in parallel, resumably, repairing damaged
notebooks, giving each failure a clear status without stopping the batch, and scoring as nbgrader does?"""
import asyncio
import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_core.utils import run_sync

from autograder.core import Grader, KernelPool, Settings, Task, fail_cells
from autograder.course import submitted_notebook
from autograder.grade import submission_key
from autograder.gradebook import Recorder, scores, write_snapshot
from autograder.nbconfig import load_config
from autograder.preprocessors import SandboxedExecute
from autograder.repair import RepairError, repair, resemblance
from fixtures.coursefolder import (REFERENCE, ROOT, SUBMISSIONS, cli, copy_course, main, make_course, make_gradebook,
                                   submit)


A = REFERENCE


def fixture(name):
    return nbformat.read(SUBMISSIONS / f"{name}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def release():
    return nbformat.read(ROOT / "release" / A / f"{A}.ipynb", as_version=4)


def layout(nb):
    """(cell type, grade_id) of every cell nbgrader tracks."""
    return [(c.cell_type, c.metadata["nbgrader"]["grade_id"]) for c in nb.cells if "nbgrader" in c.metadata]


def kinds(repairs):
    return sorted({r.kind for r in repairs})


# ---- repair (quick) -------------------------------------------------------------------------------------------

def test_colab_damage_is_repaired(release):
    """Are lost metadata, a retyped answer, a duplicated answer and a deleted test cell all put right?"""
    damaged = fixture("damaged_by_colab")
    assert not layout(damaged)
    fixed, repairs = repair(damaged, release)
    assert layout(fixed) == layout(release)
    assert kinds(repairs) == ["metadata restored", "restored", "type restored"]
    restored = [r for r in repairs if r.kind == "restored"]
    assert [r.grade_id for r in restored] == ["test_forward_pass"] and restored[0].cell == -1
    full = {c.metadata["nbgrader"]["grade_id"]: c.source for c in fixture("full_marks").cells
            if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in fixed.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert cell.source == full[cell.metadata["nbgrader"]["grade_id"]]  # the student's work is kept
    nbformat.validate(fixed)


def test_a_deleted_test_comes_back_after_its_answer(release):
    """Is a deleted test cell put back where the release has it (after the cells before it)?"""
    fixed, _ = repair(fixture("damaged_by_colab"), release)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in fixed.cells]
    assert ids.index("test_forward_pass") == ids.index("forward_pass_check") + 1


def test_a_duplicated_answer_keeps_one_graded_copy(release):
    """Of two copies of an answer cell (which makes nbgrader abort the batch), does exactly one stay graded?"""
    fixed, repairs = repair(fixture("duplicated_answer"), release)
    assert layout(fixed) == layout(release)
    assert [r.kind for r in repairs] == ["duplicate"]


def test_an_unanswered_duplicate_is_removed(release):
    """Is an untouched stub copy of an answered cell removed (it would redefine the function as a stub)?"""
    nb = fixture("full_marks")
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "forward_pass")
    stub = next(c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "forward_pass")
    nb.cells.insert(index + 1, nbformat.from_dict({**stub, "id": "stub-copy"}))
    fixed, repairs = repair(nb, release)
    assert len(fixed.cells) == len(nb.cells) - 1
    assert [r.kind for r in repairs] == ["duplicate removed"]


def test_an_answer_turned_into_markdown_is_code_again(release):
    """Is an answer cell turned into Markdown restored as a code cell with its text?"""
    fixed, repairs = repair(fixture("answer_turned_markdown"), release)
    assert layout(fixed) == layout(release)
    assert [r.kind for r in repairs] == ["type restored"]
    assert "def parameter_derivatives" in next(c.source for c in fixed.cells if c.cell_type == "code"
                                               and "parameter_derivatives" == c.metadata["nbgrader"].get("grade_id"))


def test_changed_points_are_restored(release):
    """Are test cells whose points the student changed given the release's points back (and logged)?"""
    fixed, repairs = repair(fixture("points_changed"), release)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in fixed.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    assert points == {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in release.cells
                      if c.metadata.get("nbgrader", {}).get("grade")}
    assert {r.kind for r in repairs} == {"metadata changed"} and all("1000" in r.detail for r in repairs)


def test_an_intact_submission_needs_no_repair(release):
    """Does an undamaged submission come through unchanged, with no repair logged?"""
    fixed, repairs = repair(fixture("full_marks"), release)
    assert repairs == [] and layout(fixed) == layout(release)


def test_another_notebook_is_not_repaired(release):
    """Is a notebook of another assignment refused instead of being forced into this one?"""
    assert resemblance(fixture("wrong_assignment"), release) < 0.2
    assert resemblance(fixture("blank"), release) == 1.0
    with pytest.raises(RepairError, match="another assignment"):
        repair(fixture("wrong_assignment"), release)


def test_unrun_tests_score_zero():
    """Does a test cell the kernel never reached get an error (nbgrader would give it full marks otherwise)?"""
    from nbgrader.utils import determine_grade

    nb = fixture("full_marks")
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all(determine_grade(c)[0] == c.metadata["nbgrader"]["points"] for c in tests)
    fail_cells(nb, len(nb.cells), "NotRun", "never ran")
    assert all(determine_grade(c)[0] == 0 for c in tests)


# ---- bad input (quick) ----------------------------------------------------------------------------------------

@pytest.fixture
def light_course(tmp_path):
    return make_course(tmp_path / "course")


def test_unknown_assignment(light_course):
    """Does grading an assignment that is not in source/ fail with the known ones named?"""
    code, _, err = main(light_course, "grade", "no_such_lab")
    assert code == 2 and "no_such_lab" in err and A in err


def test_missing_gradebook(light_course):
    """Does grading without a gradebook say to release first, instead of creating an empty one?"""
    code, _, err = main(light_course, "grade", A)
    assert code == 2 and "no gradebook" in err and f"release {A}" in err
    assert not (light_course / "gradebook.db").exists()


def test_nothing_collected(light_course):
    """Does grading with nothing collected say to collect first?"""
    (light_course / "gradebook.db").write_bytes(b"")
    code, _, err = main(light_course, "grade", A)
    assert code == 2 and f"collect {A}" in err


def test_unknown_student(light_course):
    """Does --student with someone not collected fail, naming them?"""
    (light_course / "gradebook.db").write_bytes(b"")
    submit(light_course, "aa0001", "full_marks")
    code, _, err = main(light_course, "grade", A, "--student", "zz9999")
    assert code == 2 and "zz9999" in err


def test_student_ids_follow_the_collect_rule(light_course):
    """Does --student find a collected student whatever the case of the id given, and refuse an id that is not
    one by the course's rule (a look-alike) by name, as collect does?"""
    (light_course / "gradebook.db").write_bytes(b"")
    submit(light_course, "aa0001", "full_marks")
    code, _, err = main(light_course, "grade", A, "--student", "AA0001", "zz9999", "a\u0131" + "0001")
    assert code == 2
    assert "nothing collected for zz9999" in err and "AA0001" not in err  # AA0001 is aa0001
    assert "'a\u0131" + "0001' is not a student id" in err and "U+0131" in err


def test_the_assignment_comes_before_the_students(light_course):
    """Is `grade --student aa0001 aa0002 ASSIGNMENT` (the assignment taken for an id) refused with the order
    to use, instead of grading an assignment nobody named?"""
    for args in (["--student", "aa0001", "aa0002", A], ["--student", "aa0001"]):
        code, _, err = main(light_course, "grade", *args)
        assert code == 2 and "grade ASSIGNMENT --student ID" in err
    assert f"{A} is an assignment, not a student id" in main(light_course, "grade", "--student", "aa0001", A)[2]


# ---- grading batches (slow) -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A test course with its gradebook (made once: nbgrader's first gradebook costs an alembic run)."""
    course = make_course(tmp_path_factory.mktemp("template") / "course",
                         extra_config="c.Execute.timeout = 60\nc.SandboxedExecute.notebook_timeout = 30\n")
    make_gradebook(course)
    return course


BATCH = {  # student: (fixture, submitted at (UTC), status, total, late penalty)
    "aa0001": ("full_marks", "2025-03-14 16:00:00", "graded", 20, 0),
    "aa0002": ("partial_marks", "2025-03-14 16:00:00", "graded", 6, 0),
    "aa0003": ("blank", "2025-03-14 16:00:00", "graded", 0, 0),
    "aa0004": ("raises_in_answers", "2025-03-14 16:00:00", "graded", 0, 0),
    "aa0005": ("never_ends", "2025-03-14 16:00:00", "timed out", 0, 0),
    "aa0006": ("kernel_exits_in_last_answer", "2025-03-14 16:00:00", "kernel died", 14, 0),
    "aa0007": ("damaged_by_colab", "2025-03-14 16:00:00", "graded", 20, 0),
    "aa0008": ("duplicated_answer", "2025-03-14 16:00:00", "graded", 20, 0),
    "aa0009": ("answer_turned_markdown", "2025-03-14 16:00:00", "graded", 20, 0),
    "aa0010": ("points_changed", "2025-03-14 16:00:00", "graded", 20, 0),
    "aa0011": ("memory_bomb", "2025-03-14 16:00:00", "graded", 20, 0),
    "aa0012": ("wrong_assignment", "2025-03-14 16:00:00", "unrecognised", 0, 0),
    "aa0013": ("corrupt.ipynb", "2025-03-14 16:00:00", "unreadable", 0, 0),
    "aa0014": ("full_marks", "2025-03-14 16:59:59", "graded", 20, 0),     # the late policy's boundaries,
    "aa0015": ("full_marks", "2025-03-14 17:00:01", "graded", 14, 6),     # deadline 17:00 UTC (TEST_CONFIG)
    "aa0016": ("full_marks", "2025-03-14 23:58:59", "graded", 14, 6),
    "aa0017": ("full_marks", "2025-03-14 23:59:01", "graded", 0, 20),
    "aa0018": ("prints_its_folder", "2025-03-14 16:00:00", "graded", 20, 0),
}


@pytest.fixture(scope="module")
def batch(template, tmp_path_factory):
    """The BATCH course after one `grade` run (and that run's output)."""
    course = copy_course(template, tmp_path_factory.mktemp("batch") / "course")
    for student, (name, when, *_) in BATCH.items():
        submit(course, student, name, when)
    done = cli(course, "grade", A, "--workers", "2")
    return course, done


@pytest.mark.slow
def test_every_submission_gets_its_status_and_score(batch):
    """Is each submission graded with the status and total its content calls for, none stopping the batch?"""
    course, done = batch
    assert done.returncode == 0, done.stdout + done.stderr
    found = {g.student: g for g in scores(root=course, assignment=A)}
    assert sorted(found) == sorted(BATCH)
    got = {s: (g.status, g.total, g.late_penalty) for s, g in found.items()}
    assert got == {s: (status, total, late) for s, (_, _, status, total, late) in BATCH.items()}
    repaired = [line for line in done.stdout.splitlines() if "before grading (each one in" in line]
    listed = list(csv.DictReader((course / "reports" / A / "repairs.csv").open()))  # the details, one per repair
    students = [line.split(":")[0] for line in repaired]  # one line per repaired student
    assert "aa0007" in students and sorted(students) == sorted({r["student"] for r in listed}), done.stdout
    count = len([r for r in listed if r["student"] == "aa0007"])
    assert count > 1 and f"aa0007: {count} repairs before grading" in repaired[students.index("aa0007")]
    assert "timed out" in done.stdout and "kernel died" in done.stdout


@pytest.mark.slow
def test_limits_held(batch):
    """Did the memory limit stop the allocation, and the time limit the endless loop, in their own cells?"""
    course, _ = batch
    bomb = nbformat.read(course / "autograded" / "aa0011" / A / f"{A}.ipynb", as_version=4)
    assert any(o.get("ename") == "MemoryError" for c in bomb.cells if c.cell_type == "code" for o in c.outputs)
    endless = nbformat.read(course / "autograded" / "aa0005" / A / f"{A}.ipynb", as_version=4)
    assert endless.metadata["autograder"]["status"] == "timed out"
    assert endless.metadata["autograder"]["seconds"] < 30 + 20


@pytest.mark.slow
def test_student_code_runs_alone_outside_the_course(batch):
    """Did the student's code run in a folder outside the course, holding only its notebook?"""
    course, _ = batch
    nb = nbformat.read(course / "autograded" / "aa0018" / A / f"{A}.ipynb", as_version=4)
    folder, files = nb.cells[-1].outputs[0].text.splitlines()
    assert not folder.startswith(str(course)) and not str(course).startswith(folder)
    assert files == str([f"{A}.ipynb"])


@pytest.mark.slow
def test_rerun_grades_only_what_changed(batch, tmp_path):
    """Does a second run skip unchanged submissions and regrade a changed one?"""
    course, _ = batch
    course = copy_course(course, tmp_path / "again")
    submit(course, "aa0003", "full_marks")
    done = cli(course, "grade", A, "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "graded 1 in" in done.stdout and f"{len(BATCH) - 1} unchanged" in done.stdout
    assert {g.student: g.total for g in scores(root=course, assignment=A)}["aa0003"] == 20


@pytest.mark.slow
def test_a_killed_run_loses_nothing_and_resumes(template, tmp_path):
    """After kill -9 in the middle of a run, are the finished grades all in the gradebook, and does the next run
    grade exactly the rest?"""
    course = copy_course(template, tmp_path / "course")
    cycle = ["full_marks", "partial_marks", "blank"]
    expected = {}
    for k in range(10):
        student = f"aa{k + 1:04d}"
        submit(course, student, cycle[k % 3])
        expected[student] = {"full_marks": 20, "partial_marks": 6, "blank": 0}[cycle[k % 3]]
    env = dict(os.environ, COURSE_ROOT=str(course))
    run = subprocess.Popen([sys.executable, "-m", "autograder", "grade", A, "--workers", "2", "--no-progress"],
                           cwd=course, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(course.glob(f"autograded/*/{A}/{A}.ipynb"))) < 3:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    finished = sorted(p.parts[-3] for p in course.glob(f"autograded/*/{A}/{A}.ipynb"))
    assert 3 <= len(finished) < 10, "kill the run in its middle"
    graded = {g.student: g.total for g in scores(root=course, assignment=A)}
    assert {s: graded.get(s) for s in finished} == {s: expected[s] for s in finished}

    done = cli(course, "grade", A, "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert f"{len(finished)} unchanged" in done.stdout
    assert {g.student: g.total for g in scores(root=course, assignment=A)} == expected


@pytest.mark.slow
def test_a_ta_grades_from_outside_the_course_folder(template, tmp_path):
    """Does the installed `autograder` command, run from a folder outside the course with COURSE_ROOT and no
    PYTHONPATH, grade and report (its workers and the course's plugins importing the package) as from the course?"""
    course = copy_course(template, tmp_path / "course")
    submit(course, "aa0001", "full_marks")
    submit(course, "aa0002", "full_marks", when="2025-03-14 17:00:01")  # late: the course's LatePolicy plugin
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["COURSE_ROOT"] = str(course)
    command = str(Path(sys.executable).parent / "autograder")
    for stage in (["grade", A, "--no-progress"], ["report", A, "--no-feedback"]):
        done = subprocess.run([command, *stage], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    assert {g.student: (g.status, g.total) for g in scores(root=course, assignment=A)} == \
        {"aa0001": ("graded", 20), "aa0002": ("graded", 14)}
    assert (course / "reports" / A / "canvas.csv").is_file() and not list(elsewhere.iterdir())


@pytest.mark.slow
def test_scores_equal_nbgrader_autograde(template, tmp_path):
    """Does grade give each submission the score plain `nbgrader autograde` gives it?"""
    names = ["full_marks", "partial_marks", "raises_in_answers", "points_changed"]
    plain = copy_course(template, tmp_path / "plain")
    ours = copy_course(template, tmp_path / "ours")
    for k, name in enumerate(names):
        for course in (plain, ours):
            submit(course, f"aa{k + 1:04d}", name)
    # the course's plugins (the late policy) live in autograder/, installed in the environment
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["nbgrader", "autograde", A], cwd=plain, env=env, capture_output=True, check=True, timeout=600)
    cli(ours, "grade", A, check=True)
    with sqlite3.connect(plain / "gradebook.db") as db:
        theirs = dict(db.execute("SELECT sa.student_id, SUM(g.auto_score) FROM grade g JOIN submitted_notebook sn "
                                 "ON g.notebook_id = sn.id JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
                                 "GROUP BY sa.student_id"))
    assert {g.student: g.score for g in scores(root=ours, assignment=A)} == theirs


def autograde_steps(course: Path, *steps: str) -> None:
    """Make `steps` the test course's autograde pipeline (c.Autograde.autograde_preprocessors)."""
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.Autograde.autograde_preprocessors = {list(steps)!r}\n")


def grade_here(course: Path, snapshot: Path, student: str, monkeypatch):
    """Grade `student`'s submission in this process, as a worker does (its first kernel started in advance), and
    record it: (the worker's Outcome, the autograded notebook)."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # a worker sets it for good: put back after the test
    config = load_config(course)
    write_snapshot(config, A, snapshot)

    async def run():
        grader = Grader(Settings(course, A, snapshot))
        grader.prepare()
        try:
            return await grader.run(Task(student, submitted_notebook(course, student, A)))
        finally:
            await grader.close()

    outcome = asyncio.run(run())
    Recorder(course, A, config).record(outcome, submission_key(course, student, A))
    return outcome, nbformat.read(course / "autograded" / student / A / f"{A}.ipynb", as_version=4)


def graded_in_a_second_kernel(course: Path, snapshot: Path, student: str, monkeypatch):
    """grade_here, checking that the full-marks submission of `student` got its 20 points in a second kernel, and
    that the gradebook and the autograded notebook say so."""
    outcome, graded = grade_here(course, snapshot, student, monkeypatch)
    assert outcome.status == "graded", outcome.detail
    assert "second kernel" in outcome.detail and "died before it was ready" in outcome.detail
    assert [(g.status, g.total) for g in scores(root=course, assignment=A)] == [("graded", 20)]
    assert graded.metadata["autograder"]["detail"] == outcome.detail
    return outcome, graded


@pytest.mark.slow
def test_a_kernel_that_dies_before_it_is_ready_is_replaced(template, tmp_path, monkeypatch):
    """When the kernel started for a notebook dies before it is ready (none of the notebook has run in it), is the
    notebook graded in another kernel, with its full score and a detail saying so, rather than failed?"""
    course = copy_course(template, tmp_path / "course")
    submit(course, "aa0001", "full_marks")
    killed = []
    manager = KernelPool._manager

    def first_one_dies(pool):
        km = manager(pool)
        if not killed:
            start = km.start_kernel

            async def start_then_die(**kwargs):
                await start(**kwargs)
                km.provisioner.process.kill()  # before it has answered kernel_info
                killed.append(km)

            km.start_kernel = start_then_die
        return km

    monkeypatch.setattr(KernelPool, "_manager", first_one_dies)
    graded_in_a_second_kernel(course, tmp_path / "cells.db", "aa0001", monkeypatch)
    assert killed


@pytest.mark.slow
def test_a_sandboxed_kernel_that_dies_before_it_is_ready_is_replaced(template, tmp_path, monkeypatch):
    """With the course's sandbox as the Execute step: when the sandbox's kernel dies before it is ready, is the
    notebook graded in a new sandbox, with its full score and a detail saying so?"""
    course = copy_course(template, tmp_path / "course")
    steps = ("SandboxedExecute", "SessionSaveAutoGrades", "SessionAssignLatePenalties")
    autograde_steps(course, *(f"autograder.preprocessors.{step}" for step in steps))
    submit(course, "aa0001", "full_marks")
    killed = []
    ready = SandboxedExecute.async_start_new_kernel_client

    async def first_one_dies(ep):
        if not killed:
            killed.append(ep.km)
            ep.km.provisioner.process.kill()  # the sandbox's launcher: its namespace and kernel die with it
        return await ready(ep)

    monkeypatch.setattr(SandboxedExecute, "start_new_kernel_client", run_sync(first_one_dies))  # as nbconvert calls it
    _, graded = graded_in_a_second_kernel(course, tmp_path / "cells.db", "aa0001", monkeypatch)
    assert killed and graded.metadata["autograder"]["sandbox"]["isolation"]  # the sandbox ran it


@pytest.mark.slow
def test_a_configured_execute_step_is_used(template, tmp_path):
    """With another Execute step configured (a sandbox), does grade run it as nbgrader would?"""
    course = copy_course(template, tmp_path / "course")
    autograde_steps(course, "fixtures.markingexecute.MarkingExecute", "nbgrader.preprocessors.SaveAutoGrades",
                    "nbgrader.preprocessors.AssignLatePenalties")
    submit(course, "aa0001", "full_marks")
    submit(course, "aa0002", "blank")
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", A], cwd=course, capture_output=True, text=True,
                          env=dict(os.environ, COURSE_ROOT=str(course), PYTHONPATH=str(ROOT / "tests")))  # its fixtures
    assert done.returncode == 0, done.stderr
    graded = nbformat.read(course / "autograded" / "aa0001" / A / f"{A}.ipynb", as_version=4)
    assert graded.metadata["autograder"]["marked_by"] == "MarkingExecute"
    assert graded.metadata["autograder"]["status"] == "graded"
    assert graded.metadata["autograder"]["files"] == [f"{A}.ipynb"]
    assert not graded.metadata["autograder"]["folder"].startswith(str(course))
    assert {g.student: g.total for g in scores(root=course, assignment=A)} == {"aa0001": 20, "aa0002": 0}


@pytest.mark.slow
def test_a_pipeline_without_execute_stops_the_run(template, tmp_path):
    """Does a grading pipeline the workers cannot build stop the run with the reason, not grade everyone 0?"""
    course = copy_course(template, tmp_path / "course")
    autograde_steps(course, "nbgrader.preprocessors.SaveAutoGrades")
    submit(course, "aa0001", "full_marks")
    done = cli(course, "grade", A)
    assert done.returncode == 2
    assert "could not start" in done.stderr and "one Execute step" in done.stderr
    assert not (course / "autograded").exists()
