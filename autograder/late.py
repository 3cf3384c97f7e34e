"""The course's late policy, as an nbgrader LateSubmissionPlugin (set in nbgrader_config.py).

Default, the Lab 7 rule: a submission after the deadline but no later than 23:59 on the deadline's day (in the
course's time zone) loses 30% of its score; a later one scores 0. nbgrader asks the plugin for a penalty only
when a submission is late (`total_seconds_late > 0`), so one handed in exactly at the deadline is on time.

Deadlines are per assignment (`LatePolicy.deadlines`); `python -m autograder grade` writes them into the
gradebook as each assignment's due date, which is what nbgrader measures lateness against.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float, Unicode, validate, TraitError

from .course import CourseError


class LatePolicy(LateSubmissionPlugin):
    """Late penalties by the deadline's day: a fraction off until a cut-off time that day, everything after."""

    deadlines = Dict(
        key_trait=Unicode(), value_trait=Unicode(), default_value={},
        help="Deadline of each assignment: assignment id -> 'YYYY-MM-DD HH:MM[:SS]' in `timezone` "
             "(or with an explicit UTC offset). Assignments without one have no late penalty.",
    ).tag(config=True)
    timezone = Unicode("UTC", help="IANA time zone of the deadlines and of 'the deadline's day' (e.g. Europe/London)"
                       ).tag(config=True)
    same_day_penalty = Float(0.3, min=0.0, max=1.0,
                             help="Fraction of the score lost by a submission after the deadline but by `cutoff`"
                             ).tag(config=True)
    cutoff = Unicode("23:59", help="Local time (HH:MM or HH:MM:SS) on the deadline's day up to which a late "
                     "submission loses only `same_day_penalty`").tag(config=True)
    assignment = Unicode("", help="The assignment being graded; by default the one of the AssignLatePenalties "
                         "step that asks for the penalty").tag(config=False)
    after_cutoff_penalty = Float(1.0, min=0.0, max=1.0,
                                 help="Fraction of the score lost by a submission after `cutoff` (1.0: it scores 0)"
                                 ).tag(config=True)

    @validate("timezone")
    def _valid_timezone(self, proposal):
        try:
            ZoneInfo(proposal["value"])
        except Exception as exc:
            raise TraitError(f"LatePolicy.timezone: unknown time zone {proposal['value']!r}") from exc
        return proposal["value"]

    @validate("cutoff")
    def _valid_cutoff(self, proposal):
        try:
            time.fromisoformat(proposal["value"])
        except ValueError as exc:
            raise TraitError(f"LatePolicy.cutoff: {proposal['value']!r} is not HH:MM or HH:MM:SS") from exc
        return proposal["value"]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def parse_time(self, text: str) -> datetime:
        """A time as UTC without tzinfo (nbgrader's convention); a time without offset is in `timezone`."""
        try:
            moment = datetime.fromisoformat(text.strip().replace(" UTC", "+00:00").replace("Z", "+00:00"))
        except ValueError as exc:
            raise CourseError(f"{text!r}: not a time like 2025-03-14 17:00 (optionally with +01:00)") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(dt_timezone.utc).replace(tzinfo=None)

    def deadline(self, assignment: str) -> datetime | None:
        """The configured deadline of `assignment` in UTC (naive), or None."""
        text = self.deadlines.get(assignment)
        if not text:
            return None
        try:
            return self.parse_time(text)
        except CourseError as exc:
            raise CourseError(f"LatePolicy.deadlines[{assignment!r}] in nbgrader_config.py: {exc}") from None

    def fraction(self, deadline: datetime, submitted: datetime) -> float:
        """The fraction of the score lost by a submission at `submitted` for `deadline` (both naive UTC)."""
        if submitted <= deadline:
            return 0.0
        local_deadline = deadline.replace(tzinfo=dt_timezone.utc).astimezone(self.zone)
        last = datetime.combine(local_deadline.date(), time.fromisoformat(self.cutoff), tzinfo=self.zone)
        last = last.astimezone(dt_timezone.utc).replace(tzinfo=None)
        return self.same_day_penalty if submitted <= last else self.after_cutoff_penalty

    def _current_deadline(self) -> datetime | None:
        """The due date nbgrader measured lateness against: the gradebook's, else the configured one."""
        assignment = self.assignment or getattr(self.parent, "assignment_id", None)
        gradebook = getattr(self.parent, "gradebook", None)
        if assignment and gradebook is not None:
            try:
                due = gradebook.find_assignment(assignment).duedate
            except Exception:
                due = None
            if due is not None:
                return due
        return self.deadline(assignment) if assignment else None

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        deadline = self._current_deadline()
        if deadline is None:
            self.log.warning("%s: late by %ss but no deadline is known; no penalty", student_id, total_seconds_late)
            return None
        submitted = deadline + timedelta(seconds=total_seconds_late)
        penalty = self.fraction(deadline, submitted) * (score or 0.0)
        self.log.info("%s: %.0f s late, penalty %.2f of %.2f", student_id, total_seconds_late, penalty, score or 0.0)
        return penalty
