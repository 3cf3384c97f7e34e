"""fromservice: `python -m autograder collect <a> --from-service`: what the hand-in service (autograder.serve)
received goes through collect's own checks and record into submitted/<student>/<a>/, so that grade, report and the
formgrader work unchanged.

Each student's counting submission (the last one received) is laid out in a temporary folder under the course's
naming rule (CourseFileNames), with a times file giving the service's receipt time (`received_at`, UTC) as its
submission time; collect then checks it, keeps the newest attempt (a submission collected before with a later time
is kept), writes timestamp.txt and collect.json, and logs each file in reports/<a>/collect.csv. Lateness comes from
that time through the LatePolicy when `grade` runs; there is no LMS identity (the token decided the student).
"""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from .collect import Collection, CourseFileNames, collect
from .course import CourseError, check_assignment
from .inbox import Inbox
from .nbconfig import load_config


def collect_from_service(*, root: Path, assignment: str) -> Collection:
    """Collect each student's counting submission of `assignment` from the service's store."""
    check_assignment(root, assignment)
    config = load_config(root)
    names = CourseFileNames(config=config)
    inbox = Inbox(root=root, db_url=config.CourseDirectory.db_url)
    try:
        received = inbox.submissions(assignment)
        counting = {}
        for submission in received:  # oldest first: the last one of each student stays
            counting[submission.student] = submission
        with tempfile.TemporaryDirectory(prefix="autograder-from-service-") as folder:
            files = Path(folder) / f"service-{assignment}"
            files.mkdir()
            times = Path(folder) / "times.csv"
            with times.open("w", newline="") as f:
                out = csv.writer(f)
                out.writerow(["file", "submitted_at"])
                for student, submission in sorted(counting.items()):
                    name = names.file_stem(assignment, student) + ".ipynb"
                    (files / name).write_bytes(inbox.data(submission))
                    out.writerow([name, submission.received_text])
            if not counting:
                raise CourseError(f"the hand-in service holds no submission of {assignment}")
            return collect(root=root, assignment=assignment, paths=[files], times=times)
    finally:
        inbox.close()
