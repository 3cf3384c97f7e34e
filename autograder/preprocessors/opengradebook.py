"""nbgrader's record steps, writing in a gradebook their caller holds open: one session, one commit per submission.

nbgrader's SaveAutoGrades and AssignLatePenalties each open their own Gradebook (a session, a course check, a
commit per grade cell and comment). `grade`'s parent records a submission in one session instead
(autograder.gradebook.Recorder): the student, the submission, these steps, the kept reviews and the flag, then a
single commit, and only then the autograded notebook.

- `OpenGradebook`: nbgrader's Gradebook on a session its owner holds in one transaction: its `close()` (what each
  step calls when it is done) leaves the session open, and the steps' commits (`db.commit()`) flush and expire as
  a commit does, without ending the owner's transaction (SQLAlchemy's join_transaction_mode "rollback_only");
- `SessionSaveAutoGrades`, `SessionAssignLatePenalties`: nbgrader's steps, unchanged, writing in the OpenGradebook
  that `resources['nbgrader']['gradebook']` carries; without one (e.g. `nbgrader autograde`), exactly nbgrader's
  own steps, each with the Gradebook it opens.
"""
from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades


class OpenGradebook(Gradebook):
    """nbgrader's Gradebook on `session`, a SQLAlchemy Session its owner commits and closes (the course row is
    the owner's to check: nbgrader's own constructor checks it, and commits, each time it opens)."""

    def __init__(self, session, course_id: str):  # noqa: super().__init__ opens an engine and session of its own
        self.engine = session.get_bind()
        self.db = session
        self.course_id = course_id
        self.authenticator = None

    def close(self) -> None:
        """Nothing: the session is its owner's (nbgrader's steps close the gradebook they write in)."""

    def commit_so_far(self) -> None:
        """Commit the owner's transaction now and begin the next one (before a step that reads the database
        through a Gradebook of its own, which sees only what is committed)."""
        self.db.commit()
        self.db.bind.commit()
        self.db.bind.begin()


class InOpenGradebook:
    """A record step that writes in the OpenGradebook of `resources['nbgrader']['gradebook']` when there is one.

    nbgrader's step sets `self.gradebook` to a Gradebook it opens on `db_url` and closes it when done; here that
    one is set aside (unused and unclosed: opening it left no transaction), and the step's reads and writes go to
    the open gradebook.
    """

    _open: OpenGradebook | None = None
    _opened: Gradebook | None = None

    @property
    def gradebook(self):
        return self._open if self._open is not None else self._opened

    @gradebook.setter
    def gradebook(self, opened) -> None:
        self._opened = opened

    def preprocess(self, nb, resources):
        given = resources.get("nbgrader", {}).get("gradebook")
        if given is not None and not isinstance(given, OpenGradebook):
            raise TypeError(f"{type(self).__name__}: resources['nbgrader']['gradebook'] is a "
                            f"{type(given).__name__}, not an OpenGradebook")
        self._open = given
        try:
            return super().preprocess(nb, resources)
        finally:
            self._open = self._opened = None


class SessionSaveAutoGrades(InOpenGradebook, SaveAutoGrades):
    """nbgrader's SaveAutoGrades, in the caller's open gradebook when resources carry one."""


class SessionAssignLatePenalties(InOpenGradebook, AssignLatePenalties):
    """nbgrader's AssignLatePenalties (its configured plugin), in the caller's open gradebook when resources carry
    one."""
