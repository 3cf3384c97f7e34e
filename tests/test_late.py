"""Does the late policy (an nbgrader LateSubmissionPlugin) charge the Lab 7 rule at its boundaries?"""
from datetime import datetime
from types import SimpleNamespace

import pytest
from traitlets import TraitError
from traitlets.config import Config

from autograder.course import CourseError
from autograder.late import LatePolicy

DEADLINE = "2025-03-14 17:00"


def policy(**settings) -> LatePolicy:
    config = Config()
    config.LatePolicy.deadlines = {"lab": DEADLINE}
    config.LatePolicy.timezone = "UTC"
    for key, value in settings.items():
        config.LatePolicy[key] = value
    return LatePolicy(config=config)


def penalty(policy: LatePolicy, submitted: datetime, score: float = 10.0) -> float | None:
    """The penalty nbgrader's AssignLatePenalties would get for a submission at `submitted` (UTC)."""
    late = (submitted - policy.deadline("lab")).total_seconds()
    if late <= 0:  # nbgrader only asks the plugin about late submissions
        return 0.0
    policy.assignment = "lab"
    return policy.late_submission_penalty("aa0001", score, late)


@pytest.fixture
def lab():
    return policy()


@pytest.mark.parametrize("moment,lost", [
    ("2025-03-14 16:59:59", 0.0),   # one second before the deadline
    ("2025-03-14 17:00:00", 0.0),   # at the deadline: on time
    ("2025-03-14 17:00:01", 3.0),   # one second after: 30% of 10
    ("2025-03-14 23:58:59", 3.0),   # one second before 23:59
    ("2025-03-14 23:59:00", 3.0),   # at 23:59
    ("2025-03-14 23:59:01", 10.0),  # one second after 23:59: scores 0
    ("2025-03-15 09:00:00", 10.0),  # next day
])
def test_penalty_at_the_boundaries(lab, moment, lost):
    """Is a submission at each boundary charged nothing, 30% or everything, as the Lab 7 rule says?"""
    assert penalty(lab, datetime.fromisoformat(moment)) == pytest.approx(lost)


def test_the_day_is_the_deadlines_local_day():
    """In a time zone ahead of UTC, does 'that day' end at 23:59 local time, not UTC?"""
    tokyo = policy(timezone="Asia/Tokyo")  # deadline 17:00 JST = 08:00 UTC; that day ends 23:59 JST = 14:59 UTC
    deadline = tokyo.deadline("lab")
    assert deadline == datetime(2025, 3, 14, 8, 0)
    assert tokyo.fraction(deadline, datetime(2025, 3, 14, 14, 59, 0)) == pytest.approx(0.3)
    assert tokyo.fraction(deadline, datetime(2025, 3, 14, 14, 59, 1)) == 1.0


def test_summer_time_deadline_is_local():
    """Is a London deadline in summer time read as local time (UTC+1)?"""
    london = policy(timezone="Europe/London", deadlines={"lab": "2025-06-13 17:00"})
    assert london.deadline("lab") == datetime(2025, 6, 13, 16, 0)


def test_the_plugin_reads_the_gradebook_due_date():
    """Inside nbgrader, is the day taken from the gradebook's due date the lateness was measured against?"""
    from nbgrader.preprocessors import AssignLatePenalties

    step = AssignLatePenalties()
    step.assignment_id = "lab"
    step.gradebook = SimpleNamespace(find_assignment=lambda name: SimpleNamespace(duedate=datetime(2025, 3, 14, 22)))
    lab = LatePolicy(parent=step, config=policy(deadlines={}).config)  # nothing configured: only the gradebook knows
    assert lab.late_submission_penalty("aa0001", 20.0, 60) == pytest.approx(6.0)               # 22:01
    assert lab.late_submission_penalty("aa0001", 20.0, 2 * 3600) == pytest.approx(20.0)        # 00:00 next day


def test_settings_are_configurable():
    """Do the fraction and the cut-off come from the configuration?"""
    gentle = policy(same_day_penalty=0.1, cutoff="20:00", after_cutoff_penalty=0.5)
    deadline = gentle.deadline("lab")
    assert gentle.fraction(deadline, datetime(2025, 3, 14, 19, 59)) == pytest.approx(0.1)
    assert gentle.fraction(deadline, datetime(2025, 3, 14, 20, 1)) == pytest.approx(0.5)


def test_without_a_deadline_there_is_no_penalty():
    """Is an assignment with no configured deadline never penalized?"""
    lab = policy()
    lab.assignment = "other"
    assert lab.deadline("other") is None
    assert lab.late_submission_penalty("aa0001", 10.0, 3600) is None


@pytest.mark.parametrize("setting,value", [("timezone", "Mars/Olympus"), ("cutoff", "midnight")])
def test_bad_settings_are_refused(setting, value):
    """Is a misspelt time zone or cut-off refused, naming the setting?"""
    with pytest.raises(TraitError, match=setting):
        policy(**{setting: value})


def test_a_bad_deadline_names_the_setting():
    """Does an unreadable deadline raise an error naming LatePolicy.deadlines and the assignment?"""
    with pytest.raises(CourseError, match=r"LatePolicy.deadlines\['lab'\]"):
        policy(deadlines={"lab": "next friday"}).deadline("lab")


@pytest.fixture(scope="module")
def gradebook_file(tmp_path_factory):
    """An nbgrader gradebook of 'lab' (deadline 2025-03-14 17:00 UTC): a 10-point test and a 5-point written answer;
    aa0001 handed in at 19:00 that day, aa0002 at 00:00:01 the next day, aa0003 on time; each autograded 8/10."""
    import warnings

    from nbgrader.api import Gradebook

    from autograder.nbconfig import ensure_tools_on_path

    ensure_tools_on_path()  # a new gradebook runs nbgrader's `alembic`
    path = tmp_path_factory.mktemp("late") / "gradebook.db"
    times = {"aa0001": "2025-03-14 19:00", "aa0002": "2025-03-15 00:00:01", "aa0003": "2025-03-14 16:00"}
    with Gradebook(f"sqlite:///{path}", "course") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gb.add_assignment("lab")
        gb.add_notebook("lab", "lab")
        gb.add_grade_cell("test_x", "lab", "lab", max_score=10, cell_type="code")
        gb.add_grade_cell("answer_y", "lab", "lab", max_score=5, cell_type="markdown")
        gb.add_solution_cell("answer_y", "lab", "lab")
        for student, when in times.items():
            gb.add_student(student)
            gb.add_submission("lab", student, timestamp=datetime.fromisoformat(when))
            gb.find_grade("test_x", "lab", "lab", student).auto_score = 8
        gb.db.commit()
    return path


@pytest.fixture
def late_gradebook(gradebook_file, tmp_path):
    """A fresh copy of that gradebook, and a configuration holding it and the Lab 7 policy."""
    import shutil

    config = policy().config
    config.AssignLatePenalties.plugin_class = "autograder.late.LatePolicy"
    config.CourseDirectory.db_url = f"sqlite:///{shutil.copy(gradebook_file, tmp_path / 'gradebook.db')}"
    config.CourseDirectory.course_id = "course"
    return config


def _give(config, student: str, manual: float) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(config.CourseDirectory.db_url, "course") as gb:
        grade = gb.find_grade("answer_y", "lab", "lab", student)
        grade.manual_score, grade.needs_manual_grade = manual, False
        gb.db.commit()


@pytest.mark.slow  # a new gradebook: nbgrader runs alembic
def test_the_penalty_is_on_the_final_score(late_gradebook):
    """With manual points given after autograding, is the late penalty 30% of autograded + manual points the same
    day, everything after the cut-off, and nothing on time, as stored in the gradebook for the formgrader?"""
    from nbgrader.api import Gradebook

    from autograder.gradebook import late_penalties

    for student in ("aa0001", "aa0002", "aa0003"):
        _give(late_gradebook, student, 4)
    penalties = late_penalties(assignment="lab", config=late_gradebook)
    assert penalties == pytest.approx({"aa0001": 0.3 * 12, "aa0002": 12.0, "aa0003": 0.0})
    with Gradebook(late_gradebook.CourseDirectory.db_url, "course") as gb:
        assert gb.find_assignment("lab").duedate == datetime(2025, 3, 14, 17, 0)  # the policy's deadline
        totals = {s.student.id: s.score - s.late_submission_penalty for s in gb.assignment_submissions("lab")}
    assert totals == pytest.approx({"aa0001": 12 * 0.7, "aa0002": 0.0, "aa0003": 12.0})


@pytest.mark.slow  # a new gradebook: nbgrader runs alembic
def test_a_new_manual_grade_changes_the_penalty(late_gradebook):
    """Is the penalty recomputed, not frozen, when a manual grade changes between two runs?"""
    from autograder.gradebook import late_penalties

    _give(late_gradebook, "aa0001", 1)
    assert late_penalties(assignment="lab", config=late_gradebook)["aa0001"] == pytest.approx(0.3 * 9)
    _give(late_gradebook, "aa0001", 5)
    assert late_penalties(assignment="lab", config=late_gradebook)["aa0001"] == pytest.approx(0.3 * 13)


@pytest.mark.slow  # a new gradebook: nbgrader runs alembic
def test_regrading_keeps_reviewed_answers_graded(late_gradebook):
    """Around nbgrader's SaveAutoGrades (which marks manual grades for review again), does keep_reviews leave a
    reviewed answer graded with its points, and an answer nobody graded still waiting?"""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades

    from autograder.gradebook import keep_reviews

    _give(late_gradebook, "aa0001", 3)
    url = late_gradebook.CourseDirectory.db_url
    cell = nbformat.v4.new_markdown_cell("my answer")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "answer_y", "points": 5,
                                 "locked": False, "schema_version": 3}
    resources = lambda student: {"nbgrader": {"student": student, "assignment": "lab", "notebook": "lab",
                                              "db_url": url}}
    for student in ("aa0001", "aa0002"):
        with Gradebook(url, "course") as gb, keep_reviews(gradebook=gb, assignment="lab", student=student):
            SaveAutoGrades().preprocess(nbformat.v4.new_notebook(cells=[cell]), resources(student))
    with Gradebook(url, "course") as gb:
        kept = gb.find_grade("answer_y", "lab", "lab", "aa0001")
        waiting = gb.find_grade("answer_y", "lab", "lab", "aa0002")
        assert (kept.manual_score, kept.needs_manual_grade) == (3, False)
        assert (waiting.manual_score, waiting.needs_manual_grade) == (None, True)
