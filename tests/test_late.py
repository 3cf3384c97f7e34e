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
