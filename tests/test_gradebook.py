"""Does the parent's recording (gradebook.Recorder) write what nbgrader's own record steps write, in one transaction
per submission, before the autograded notebook that says the grades are in the gradebook?"""
import json
import shutil
import sqlite3
import threading
import time

import nbformat
import pytest

from autograder.core import Outcome, notebook_json
from fixtures.coursefolder import REFERENCE, WRITTEN, add_written_answer, copy_course, make_course, make_gradebook

A = REFERENCE
NBGRADER_STEPS = ('"nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties"')
SESSION_STEPS = ('"autograder.preprocessors.SessionSaveAutoGrades", '
                 '"autograder.preprocessors.SessionAssignLatePenalties"')


@pytest.fixture(scope="module")
def recording_template(tmp_path_factory):
    """A test course with a written answer graded by hand, and its gradebook (no submissions yet)."""
    course = make_course(tmp_path_factory.mktemp("recording") / "course")
    add_written_answer(course)
    make_gradebook(course)
    return course


def _course(template, folder, steps: str = SESSION_STEPS):
    """A copy of the template course whose record steps are `steps`, with three collected submissions: aa0001 on
    time (collected from Canvas as doejane, user 12345), aa0002 late on the deadline's day, aa0003 on time."""
    course = copy_course(template, folder)
    config = course / "nbgrader_config.py"
    text = config.read_text()
    assert SESSION_STEPS in text  # the test course records as the course does
    config.write_text(text.replace(SESSION_STEPS, steps))
    for student, when in (("aa0001", "2025-03-14 16:00:00"), ("aa0002", "2025-03-14 19:30:00"),
                          ("aa0003", "2025-03-14 12:00:00")):
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        shutil.copy(course / "release" / A / f"{A}.ipynb", folder / f"{A}.ipynb")
        (folder / "timestamp.txt").write_text(f"{when}.000000 UTC")
    (course / "submitted" / "aa0001" / A / "collect.json").write_text(
        json.dumps({"lms_name": "doejane", "lms_user_id": "12345"}))
    return course


COURSE_ID = "deep-learning-numpy"  # the course's CourseDirectory.course_id


def _tests(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def _graded(course, student: str, failing: int = 0) -> Outcome:
    """A worker's outcome: the release notebook with its test cells run, the first `failing` of them with an error,
    the written answer answered."""
    nb = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    for cell in _tests(nb)[:failing]:
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="wrong", traceback=[])]
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN:
            cell.source = "Because each local derivative scales the change passed back."
    return Outcome(student, "graded", notebook=notebook_json(nb), seconds=1.0, execute_seconds=0.5)


def _recorder(course):
    from autograder.gradebook import Recorder, sync_due_date
    from autograder.nbconfig import load_config
    from autograder.nbgraderspeed import speed_up_nbgrader

    speed_up_nbgrader()  # as grade's parent does, before it writes the late policy's deadline
    config = load_config(course)
    sync_due_date(assignment=A, config=config)
    return Recorder(course, A, config)


def _give_manual(course, student: str, grade_id: str, points: float) -> None:
    """A TA's manual grade in the formgrader."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        grade = gb.find_grade(grade_id, A, A, student)
        grade.manual_score, grade.needs_manual_grade = points, False
        gb.db.commit()


def _stored(course) -> dict:
    """What the gradebook holds of each student, row ids aside, and the autograded files' text."""
    from nbgrader.api import Course, Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for s in gb.students:
            found[("student", s.id)] = (s.first_name, s.last_name, s.email, s.lms_user_id)
        for sub in gb.assignment_submissions(A):
            found[("submission", sub.student.id)] = (sub.timestamp, float(sub.score), float(sub.late_submission_penalty))
            for notebook in sub.notebooks:
                found[("notebook", sub.student.id)] = (notebook.flagged, notebook.late_submission_penalty)
                for g in notebook.grades:
                    found[("grade", sub.student.id, g.name)] = (g.auto_score, g.manual_score, g.needs_manual_grade)
                for c in notebook.comments:
                    found[("comment", sub.student.id, c.name)] = (c.auto_comment, c.manual_comment)
        found["courses"] = sorted(c.id for c in gb.db.query(Course).all())
    for path in sorted((course / "autograded").rglob("*")):
        if path.is_file():
            found[("file", str(path.relative_to(course)))] = path.read_text()
    return found


def first_test_id(course) -> str:
    """The grade id of the assignment's first test cell."""
    return _tests(nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4))[0].metadata["nbgrader"]["grade_id"]


def _grade_twice(course) -> dict:
    """Record the three submissions, a TA's manual grades, then a regrade (aa0002 fixed one test): stored."""
    recorder = _recorder(course)
    for outcome in (_graded(course, "aa0001"), _graded(course, "aa0002", failing=2),
                    Outcome("aa0003", "refused", "a link to /etc/passwd beside the notebook", flag="unsafe-file")):
        recorder.record(outcome, "key-1")
    _give_manual(course, "aa0001", WRITTEN, 4)
    _give_manual(course, "aa0002", first_test_id(course), 1)  # a test's points overridden by hand
    recorder = _recorder(course)
    for outcome in (_graded(course, "aa0001"), _graded(course, "aa0002", failing=1)):
        recorder.record(outcome, "key-2")
    return _stored(course)


@pytest.mark.slow  # a new gradebook: nbgrader runs alembic
def test_one_session_records_what_nbgraders_steps_record(recording_template, tmp_path):
    """Does recording in one session leave the rows and the autograded notebooks nbgrader's own record steps leave
    (names and LMS id, times, grades, comments, a late penalty, a flag, a TA's grades kept across a regrade)?"""
    ours = _grade_twice(_course(recording_template, tmp_path / "ours"))
    theirs = _grade_twice(_course(recording_template, tmp_path / "theirs", NBGRADER_STEPS))
    assert ours == theirs
    assert ours[("student", "aa0001")] == ("Canvas 12345", "doejane", None, "12345")
    assert ours[("grade", "aa0001", WRITTEN)] == (None, 4, False)  # kept graded across the regrade
    assert ours[("notebook", "aa0003")][0] and not ours[("notebook", "aa0001")][0]  # only the refused one flagged
    score, penalty = ours[("submission", "aa0002")][1:]
    assert 0 < score < 25 and penalty == pytest.approx(0.3 * score)  # late on the day: 30%
    assert ours[("grade", "aa0002", first_test_id(recording_template))][1:] == (1, False)  # the TA's points and review kept


@pytest.mark.slow  # a new gradebook: nbgrader runs alembic
def test_a_failure_while_recording_leaves_neither_half(recording_template, tmp_path, monkeypatch):
    """When recording fails after the grades were written, is nothing of that submission's recording kept:
    no new grade in the gradebook, no new autograded notebook claiming them (and a second run records it)?"""
    from autograder import gradebook

    course = _course(recording_template, tmp_path / "course")
    recorder = _recorder(course)
    recorder.record(_graded(course, "aa0002"), "key-1")
    before, file_before = _stored(course), (course / "autograded" / "aa0002" / A / f"{A}.ipynb").read_text()

    def broken(**kwargs):
        raise RuntimeError("the flag could not be set")

    monkeypatch.setattr(gradebook, "flag_submission", broken)  # the last write before the commit
    for outcome in (_graded(course, "aa0002", failing=3), _graded(course, "aa0003")):
        with pytest.raises(RuntimeError, match="flag could not be set"):
            recorder.record(outcome, "key-2")
    assert _stored(course) == before  # aa0002's grades as they were; nothing of aa0003, not even the student
    assert (course / "autograded" / "aa0002" / A / f"{A}.ipynb").read_text() == file_before
    assert not (course / "autograded" / "aa0003").exists()
    monkeypatch.undo()
    graded = recorder.record(_graded(course, "aa0003"), "key-2")
    assert graded.score == _stored(course)[("submission", "aa0003")][1] > 0


@pytest.mark.slow  # a new gradebook, and a lock held past SQLite's busy timeout
def test_a_locked_gradebook_is_recorded_once_when_free(recording_template, tmp_path):
    """When another program holds the SQLite gradebook locked longer than SQLite waits, does `retrying` run the
    recording again, which then writes the submission once, with its notebook?"""
    from autograder.database import retrying

    course = _course(recording_template, tmp_path / "course")
    recorder = _recorder(course)
    locked, free = threading.Event(), threading.Event()

    def hold():
        connection = sqlite3.connect(course / "gradebook.db", isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        locked.set()
        free.wait(20)
        connection.execute("COMMIT")
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    tries = []
    threading.Timer(7.0, free.set).start()  # past pysqlite's 5 s busy timeout
    start = time.monotonic()
    try:
        graded = retrying(lambda: tries.append(1) or recorder.record(_graded(course, "aa0001"), "key-1"),
                          what="recording aa0001's grades", url=recorder.db_url, patience=30)
    finally:
        free.set()
        holder.join()
    assert len(tries) >= 2 and time.monotonic() - start >= 5
    stored = _stored(course)
    assert graded.score == stored[("submission", "aa0001")][1] > 0
    assert len([k for k in stored if k[0] == "submission"]) == 1
    assert json.loads(stored[("file", f"autograded/aa0001/{A}/{A}.ipynb")])["metadata"]["autograder"]["key"] == "key-1"
