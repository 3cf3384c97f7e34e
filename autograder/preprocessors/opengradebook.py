"""nbgrader's record steps, writing in a gradebook their caller holds open: one session, one commit per submission.

nbgrader's SaveAutoGrades and AssignLatePenalties each open their own Gradebook (a session, a course check, a
commit per grade cell and comment). `grade`'s parent records a submission in one session instead
(autograder.gradebook.Recorder): the student, the submission, these steps, the kept reviews and the flag, then a
single commit, and only then the autograded notebook.

- `OpenGradebook`: nbgrader's Gradebook on a session its owner holds in one transaction: its `close()` (what each
  step calls when it is done) leaves the session open, and commits (`db.commit()`) flush and expire as a commit
  does, without ending the owner's transaction (SQLAlchemy's join_transaction_mode "rollback_only"); a step's
  commits are made once, at its end, and its grades and comments are read in one query;
- `SessionSaveAutoGrades`, `SessionAssignLatePenalties`: nbgrader's steps, unchanged, writing in the OpenGradebook
  that `resources['nbgrader']['gradebook']` carries; without one (e.g. `nbgrader autograde`), exactly nbgrader's
  own steps, each with the Gradebook it opens.
"""
from __future__ import annotations

from contextlib import contextmanager

from nbgrader.api import (Assignment, BaseCell, Comment, Grade, Gradebook, Notebook, SubmittedAssignment,
                          SubmittedNotebook)
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades


class OpenGradebook(Gradebook):
    """nbgrader's Gradebook on `session`, a SQLAlchemy Session its owner commits and closes (the course row is
    the owner's to check: nbgrader's own constructor checks it, and commits, each time it opens).

    While a record step runs in it (`step()`), nbgrader's commits (one per grade cell and comment in
    SaveAutoGrades) wait for the step's end: one flush and expiry per step, as its last commit would make. Within
    a step, `find_grade` and `find_comment` take the submitted notebook's grades and comments from one query
    instead of one query each, the rows nbgrader's own queries find (by the cell's name: a grade's grade cell
    before a task cell of that name, a comment's solution cell before a task cell).
    """

    def __init__(self, session, course_id: str):  # noqa: super().__init__ opens an engine and session of its own
        self.engine = session.get_bind()
        self.session = session
        self.course_id = course_id
        self.authenticator = None
        self._step: _Deferred | None = None

    @property
    def db(self):
        """The session; while a step runs, the session with its commits waiting for the step's end."""
        return self._step if self._step is not None else self.session

    def close(self) -> None:
        """Nothing: the session is its owner's (nbgrader's steps close the gradebook they write in)."""

    def commit_so_far(self) -> None:
        """Commit the owner's transaction now and begin the next one (before a step that reads the database
        through a Gradebook of its own, which sees only what is committed)."""
        self.session.commit()
        self.session.bind.commit()
        self.session.bind.begin()

    @contextmanager
    def step(self):
        """Around one record step: its commits wait, and are made (flushed, the session expired) once it ends
        without an error."""
        self._step = _Deferred(self.session)
        try:
            yield self
        finally:
            self._step = None
        self.session.commit()

    def find_grade(self, grade_cell: str, notebook: str, assignment: str, student: str) -> Grade:
        found = self._cells(Grade, ("GradeCell", "TaskCell"), notebook, assignment, student).get(grade_cell)
        return found if found is not None else super().find_grade(grade_cell, notebook, assignment, student)

    def find_comment(self, solution_cell: str, notebook: str, assignment: str, student: str) -> Comment:
        found = self._cells(Comment, ("SolutionCell", "TaskCell"), notebook, assignment, student).get(solution_cell)
        return found if found is not None else super().find_comment(solution_cell, notebook, assignment, student)

    def _cells(self, model, kinds: tuple[str, str], notebook: str, assignment: str, student: str) -> dict:
        """{cell name: row} of `model` (Grade or Comment) in the student's submitted notebook, read once per step
        (outside a step: {})."""
        if self._step is None:
            return {}
        key = (model.__name__, notebook, assignment, student)
        if key not in self._step.cells:
            rows = self.session.query(model, BaseCell.name, BaseCell.type) \
                .join(BaseCell, BaseCell.id == model.cell_id) \
                .join(SubmittedNotebook, SubmittedNotebook.id == model.notebook_id) \
                .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id) \
                .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id) \
                .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id) \
                .filter(Notebook.name == notebook, Assignment.name == assignment,
                        SubmittedAssignment.student_id == student, BaseCell.type.in_(kinds)).all()
            cells = {}
            for row, name, kind in sorted(rows, key=lambda r: kinds.index(r[2]), reverse=True):
                cells[name] = row  # the preferred kind last, so it wins
            self._step.cells[key] = cells
        return self._step.cells[key]


class _Deferred:
    """A session whose commit() waits (for OpenGradebook.step's end); everything else is the session's."""

    def __init__(self, session):
        self.session, self.cells = session, {}

    def commit(self) -> None:
        """Nothing yet: the step's writes are flushed by the session's next query (autoflush) or at its end."""

    def __getattr__(self, name):
        return getattr(self.session, name)


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
            if given is None:
                return super().preprocess(nb, resources)
            with given.step():
                return super().preprocess(nb, resources)
        finally:
            self._open = self._opened = None


class SessionSaveAutoGrades(InOpenGradebook, SaveAutoGrades):
    """nbgrader's SaveAutoGrades, in the caller's open gradebook when resources carry one."""


class SessionAssignLatePenalties(InOpenGradebook, AssignLatePenalties):
    """nbgrader's AssignLatePenalties (its configured plugin), in the caller's open gradebook when resources carry
    one."""
