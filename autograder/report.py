"""report: the grades of an assignment as the TA hands them on, from gradebook.db and the autograded notebooks.

Writes into reports/<assignment>/:
  grades.csv      one row per student: each question's points, raw score, late penalty, total, status, repairs,
                  flags
  canvas.csv      for Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, <column>), only
                  when every answer is graded: while written answers wait for a TA, no canvas.csv is written (an
                  old one is removed) and `provisional=True` (`report --provisional`) writes
                  canvas_provisional.csv instead, those answers counted as 0
  repairs.csv     every repair made to a damaged submission before grading
  flags.csv       every flag the grading raised (attempts on the grading, limits hit, notices), by student
  histograms.png  per-question score histograms and the totals
and per-student feedback with nbgrader's GenerateFeedback into feedback/<student>/<assignment>/ (hidden tests
cleared by ClearHiddenTests, tracebacks reduced to messages by HideTracebacks; see nbgrader_config.py). The
feedback is checked for hidden-test lines before the report returns. When `python -m autograder similarity` has
written reports/<assignment>/similarity.html (answers alike between students), the report says so, with the
number of pairs flagged there and whether submissions were graded since.

The late penalty is computed here, on the final score (autograded and manual points): before reading the
gradebook, report re-runs nbgrader's AssignLatePenalties with the configured LatePolicy on every submission's
current score and stores it in the gradebook (late_submission_penalty), so a manual grade given in the formgrader
after `grade` is penalized too. It also fills the gradebook's empty student names from collect.json.

An answer nobody has graded yet (a written answer before the TA graded it in the formgrader) is "not graded yet"
in grades.csv's status and on the student's feedback page (instead of nbgrader's "Score: 0.0 / 5.0"), and the
report's notes say how many answers of how many students still need a TA. The notes also say when canvas.csv's
column is not Canvas's "Name (id)" (Canvas's import would make a new assignment of it) and which students have no
Canvas user id to be matched on. A progress bar (stderr) follows the steps and the feedback pages.
"""
from __future__ import annotations

import csv
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from tqdm import tqdm
from traitlets import Dict, Unicode
from traitlets.config import LoggingConfigurable

from .core import Graded
from .course import CourseError, autograded_notebook, check_assignment, collected_students, grading_record, \
    source_notebook
from .gradebook import (SEVERITIES, GradebookSync, at_least, describe_flags, fill_names, late_penalties,
                        lms_identity, require_gradebook, stored_submissions, submitted_students)
from .nbconfig import load_config, nbgrader_api
from .readnotebook import read_notebook
from .similarity_page import flagged_rows


class ReportGrades(LoggingConfigurable):
    """Settings of `python -m autograder report` (c.ReportGrades.* in nbgrader_config.py)."""

    canvas_columns = Dict(
        key_trait=Unicode(), value_trait=Unicode(), default_value={},
        help="Canvas gradebook column of each assignment, as Canvas exports it: 'Name (canvas id)', e.g. "
             "'Lab 7 (123456)'. Assignments not listed use their id.").tag(config=True)
    folder = Unicode("reports", help="Folder of the course (relative to its root) the reports go into"
                     ).tag(config=True)


@dataclass(frozen=True)
class Row:
    student: str
    questions: dict[str, float | None]   # grade_id -> points (None: not graded yet, e.g. a written answer)
    raw_score: float
    late_penalty: float
    total: float
    max_score: float
    submitted_at: str
    status: str
    repairs: int
    lms_user_id: str
    lms_name: str
    flags: tuple[dict, ...] = ()         # the grading's flags ({code, severity, cell, message}) at or above the
                                         # GradebookSync.flag_severity (the others are in flags.csv only)
    ungraded: tuple[str, ...] = ()       # grade ids nobody has graded yet (written answers waiting for a TA)


@dataclass(frozen=True)
class Report:
    assignment: str
    rows: tuple[Row, ...]
    questions: tuple[str, ...]
    max_points: dict[str, float]
    grades_csv: Path
    canvas_csv: Path | None              # None: not written (answers not graded yet, and not `provisional`)
    repairs_csv: Path
    histograms: Path
    feedback: tuple[Path, ...]
    flags_csv: Path | None = None
    similarity: str = ""   # a line about reports/<a>/similarity.html, if `similarity` wrote one
    notes: tuple[str, ...] = ()          # what the TA must know before the grades go to Canvas

    @property
    def ungraded(self) -> int:
        """Answers nobody has graded yet, all students together."""
        return sum(len(r.ungraded) for r in self.rows)


PROVISIONAL_CANVAS = "canvas_provisional.csv"


def _rows(root: Path, assignment: str, config) -> tuple[list[Row], list[str], dict[str, float]]:
    least = GradebookSync(config=config).flag_severity
    order = [c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(source_notebook(root, assignment), 4).cells
             if c.metadata.get("nbgrader", {}).get("grade")]
    students = submitted_students(config, assignment)
    fill_names(root=root, assignment=assignment, config=config, students=students)
    late_penalties(assignment=assignment, config=config)  # on the final score: autograded + manual points
    rows, max_points = [], {}
    for stored in stored_submissions(config, assignment):
        max_points.update(stored.max_points)
        record = grading_record(root, stored.student, assignment)
        info = lms_identity(root, stored.student, assignment)
        ungraded = tuple(q for q in order + sorted(set(stored.questions) - set(order))
                         if q in stored.questions and stored.questions[q] is None)
        status = record.get("status", "graded by nbgrader" if stored.questions else "not graded")
        if ungraded:
            status = ("" if status == "graded" else f"{status}; ") + f"not graded yet: {', '.join(ungraded)}"
        rows.append(Row(stored.student, stored.questions, stored.score, stored.late_penalty,
                        max(0.0, stored.score - stored.late_penalty), stored.max_score,
                        stored.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC") if stored.timestamp else "",
                        status, len(record.get("repairs", [])), stored.lms_user_id, info.get("lms_name", ""),
                        tuple(at_least(record.get("flags", []), least)), ungraded))
    names = [q for q in order if q in max_points] + sorted(set(max_points) - set(order))
    return rows, names, max_points


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_grades(path: Path, rows: list[Row], questions: list[str]) -> Path:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", *questions, "raw_score", "late_penalty", "total", "max_score", "submitted_at",
                      "status", "repairs", "flags"])
        for r in rows:
            out.writerow([r.student, *(_fmt(r.questions.get(q)) for q in questions), _fmt(r.raw_score),
                          _fmt(r.late_penalty), _fmt(r.total), _fmt(r.max_score), r.submitted_at, r.status, r.repairs,
                          describe_flags(list(r.flags))])
    return path


def write_canvas(path: Path, rows: list[Row], column: str, max_score: float) -> Path:
    """Canvas's gradebook import format: students are matched on ID (the Canvas user id), else SIS Login ID."""
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
        out.writerow(["    Points Possible", "", "", "", "", _fmt(max_score)])
        for r in rows:
            login = "" if r.student == r.lms_user_id else r.student
            out.writerow([r.lms_name or r.student, r.lms_user_id, "", login, "", _fmt(r.total)])
    return path


def write_repairs(path: Path, root: Path, assignment: str, students: list[str]) -> Path:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", "status", "repair"])
        for student in students:
            record = grading_record(root, student, assignment)
            for repair in record.get("repairs", []):
                out.writerow([student, record.get("status", ""), repair])
    return path


def repairs_file(*, root: Path, assignment: str) -> Path:
    """reports/<a>/repairs.csv of every student with an autograded notebook (what `grade` points to when it
    repaired a submission); returns its path."""
    folder = root / ReportGrades(config=load_config(root)).folder / assignment
    folder.mkdir(parents=True, exist_ok=True)
    students = [s for s in collected_students(root, assignment) if autograded_notebook(root, s, assignment).is_file()]
    return write_repairs(folder / "repairs.csv", root, assignment, students)


def canvas_notes(rows: list[Row], assignment: str, columns: dict[str, str]) -> list[str]:
    """What the TA must know before importing canvas.csv: a column that is not Canvas's 'Name (id)' (Canvas's
    import matches an existing assignment by it, and makes a new assignment of any other column), and the
    students without a Canvas user id (matched on SIS Login ID, the course's id, only)."""
    notes = []
    column = columns.get(assignment)
    if column is None:
        notes.append(f"canvas.csv: the Canvas id of {assignment} is not configured: its column is {assignment!r}, "
                     "and Canvas's import makes a NEW assignment of a column it does not know; set "
                     f"c.ReportGrades.canvas_columns = {{{assignment!r}: 'Name (canvas id)'}} in nbgrader_config.py "
                     "as Canvas's gradebook export names it, e.g. 'Lab 7 (123456)'")
    elif not re.search(r"\(\d+\)\s*$", column):
        notes.append(f"canvas.csv: the column {column!r} (c.ReportGrades.canvas_columns) does not end with the "
                     "Canvas id, e.g. 'Lab 7 (123456)': Canvas's import makes a NEW assignment of it")
    unmatched = sorted(r.student for r in rows if not r.lms_user_id)
    if unmatched:
        notes.append(f"canvas.csv: no Canvas user id for {len(unmatched)} student{'s' if len(unmatched) != 1 else ''}"
                     f" ({', '.join(unmatched)}; collected from plain file names): Canvas can match them only on "
                     "SIS Login ID, which is their course id; check that it is their Canvas login")
    return notes


def write_flags(path: Path, root: Path, assignment: str, students: list[str]) -> Path:
    """Every flag of every student's autograded notebook, one a line, most serious first."""
    rank = lambda f: -SEVERITIES.index(f["severity"]) if f.get("severity") in SEVERITIES else -len(SEVERITIES)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", "severity", "code", "cell", "message"])
        for student in students:
            for flag in sorted(grading_record(root, student, assignment).get("flags", []), key=rank):
                out.writerow([student, flag.get("severity", ""), flag.get("code", ""), flag.get("cell", ""),
                              flag.get("message", "")])
    return path


def flag_lines(*, root: Path, assignment: str, students: list[str]) -> list[str]:
    """One line per student with flags at or above GradebookSync.flag_severity: 'aa0006  attempt patch-numpy (...)'."""
    least = GradebookSync(config=load_config(root)).flag_severity
    lines = []
    for student in sorted(students):
        flags = at_least(grading_record(root, student, assignment).get("flags", []), least)
        if flags:
            lines.append(f"{student}  {describe_flags(flags)}")
    return lines


def plot_histograms(path: Path, rows: list[Row], questions: list[str], max_points: dict[str, float],
                    assignment: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    panels = questions + ["total"]
    columns = min(3, len(panels))
    lines = -(-len(panels) // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 3.2 * lines), squeeze=False)
    for ax, name in zip(axes.flat, panels):
        if name == "total":
            values, top = [r.total for r in rows], max((r.max_score for r in rows), default=1.0)
        else:
            values, top = [r.questions[name] for r in rows if r.questions.get(name) is not None], max_points[name]
        bins = np.linspace(0, top, min(int(top), 20) + 1 if top >= 1 else 11) if top > 0 else 10
        ax.hist(values, bins=bins, color="tab:blue" if name != "total" else "tab:green", edgecolor="white",
                label=f"{len(values)} students")
        ax.set_title(name)
        ax.set_xlabel(f"points (of {top:g})")
        ax.set_ylabel("students")
        ax.set_xlim(0, top if top > 0 else 1)
        ax.legend(loc="upper left", fontsize="small")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"{assignment}: scores of {len(rows)} submissions")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


HIDDEN = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MIN_LINE = 6  # shorter lines ("else:", "pass") say nothing


def hidden_test_lines(root: Path, assignment: str) -> set[str]:
    """Lines of the source's hidden tests that appear nowhere in the public part of the notebook."""
    nb = nbformat.read(source_notebook(root, assignment), as_version=4)
    hidden, public = set(), set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if HIDDEN[0] in line or HIDDEN[1] in line:
                inside = HIDDEN[0] in line
                continue
            (hidden if inside and cell.metadata.get("nbgrader", {}).get("grade") else public).add(line.strip())
    hidden = {line for line in hidden - public if len(line) >= MIN_LINE}
    return {line for line in hidden if not any(line in shown for shown in public)}  # e.g. a shared message


def page_text(html: str) -> str:
    """The text of an HTML page as a reader sees it (highlighted code joined back into lines)."""
    import html as entities
    import re

    return entities.unescape(re.sub(r"<[^>]+>", "", html))


def students_own_text(path: Path) -> str:
    """What the student wrote in an autograded notebook: every cell but the test cells, outputs included.

    A line of a hidden test that a student happens to write (the same `assert` or the same call) is theirs on the
    feedback page, not a leak; a test cell's source and outputs are the grader's and stay checked."""
    nb = read_notebook(path)
    parts = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            continue
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            parts.extend(str(value) for value in output.get("data", {}).values())
    return "\n".join(parts)


class _Converted(logging.Handler):
    """Moves a progress bar on each notebook nbgrader's GenerateFeedback converts (its 'Converting notebook' log)."""

    def __init__(self, bar: tqdm):
        super().__init__(logging.INFO)
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("Converting notebook"):
            self.bar.update()


def generate_feedback(root: Path, assignment: str, config, bar: tqdm | None = None) -> list[Path]:
    """nbgrader's GenerateFeedback for every autograded student; fails loudly if any shows a hidden test line.
    `bar` moves on by one for each page."""
    api = nbgrader_api(config)
    handler = _Converted(bar) if bar is not None else None
    if handler is not None:
        api.log.addHandler(handler)
    try:
        result = api.generate_feedback(assignment)
    finally:
        if handler is not None:
            api.log.removeHandler(handler)
    if not result.get("success"):
        raise CourseError(f"nbgrader generate_feedback failed for {assignment}:\n"
                          f"{result.get('log', '')}{result.get('error', '')}")
    students = [s for s in collected_students(root, assignment)
                if (root / "autograded" / s / assignment / f"{assignment}.ipynb").is_file()]
    pages = [root / "feedback" / s / assignment / f"{assignment}.html" for s in students]
    secret = hidden_test_lines(root, assignment)
    for student, page in zip(students, pages):
        if not page.is_file():
            raise CourseError(f"{page}: no feedback was generated for this autograded submission")
        text = page_text(page.read_text())
        own = students_own_text(root / "autograded" / student / assignment / f"{assignment}.ipynb")
        shown = [line for line in secret if line in text and line not in own]
        if shown:
            raise CourseError(f"{page}: feedback shows hidden test code: {shown[0][:80]!r}; check "
                              "GenerateFeedback.preprocessors in nbgrader_config.py (ClearHiddenTests, HideTracebacks)")
    return pages


SCORE = r"Score: -?[0-9.]+ / ([0-9.]+)"


def mark_ungraded(page: Path, ungraded: tuple[str, ...]) -> None:
    """On a feedback page, answers nobody has graded yet say 'not graded yet' where nbgrader's template shows
    'Score: 0.0 / 5.0' (the list at the top, the answer's heading), and the page's total says it counts them as 0."""
    text = page.read_text()
    for grade_id in ungraded:
        gid = re.escape(grade_id)
        text, listed = re.subn(rf'(<a href="#{gid}">[^<]*</a> \(){SCORE}\)', r"\1not graded yet, of \2 points)", text)
        text, headed = re.subn(rf'(<a name="{gid}"></a>(?:(?!<a name=).)*?){SCORE}',
                               r"\1Not graded yet (of \2 points)", text, count=1, flags=re.S)
        if not (listed and headed):
            raise CourseError(f"{page}: the score of {grade_id} was not found to mark it 'not graded yet' (has "
                              "nbgrader's feedback template changed?)")
    text = re.sub(r"(<h4>[^<]*\(Score: [0-9.]+ / [0-9.]+)\)",
                  lambda m: f"{m.group(1)}; not graded yet: {', '.join(ungraded)}, counted as 0)", text, count=1)
    page.write_text(text)


def report(*, root: Path, assignment: str, feedback: bool = True, provisional: bool = False,
           progress: bool = True) -> Report:
    """Write the grades CSV, the Canvas CSV (only when every answer is graded, or as canvas_provisional.csv with
    `provisional`), the repairs log, the histograms and the feedback of `assignment`."""
    check_assignment(root, assignment)
    config = load_config(root)
    settings = ReportGrades(config=config)
    require_gradebook(config, assignment)
    with tqdm(total=4, desc=f"report {assignment}", unit="step", disable=not progress, file=sys.stderr,
              dynamic_ncols=True) as bar:
        bar.set_postfix_str("grades and late penalties")
        rows, questions, max_points = _rows(root, assignment, config)
        if not rows:
            raise CourseError(f"no graded submissions of {assignment}: run `python -m autograder grade {assignment}`")
        bar.update()
        folder = root / settings.folder / assignment
        folder.mkdir(parents=True, exist_ok=True)
        pages = []
        if feedback:
            bar.total += len(rows)
            bar.set_postfix_str(f"feedback pages of {len(rows)} students")
            pages = generate_feedback(root, assignment, config, bar)
            by_student = {r.student: r for r in rows}
            for page in pages:
                ungraded = by_student.get(page.parent.parent.name)
                if ungraded is not None and ungraded.ungraded:
                    mark_ungraded(page, ungraded.ungraded)
        bar.update()
        bar.set_postfix_str("grades.csv, canvas.csv, repairs.csv, flags.csv")
        grades = write_grades(folder / "grades.csv", rows, questions)
        canvas, notes = _canvas(folder, rows, assignment, settings, provisional)
        repairs = write_repairs(folder / "repairs.csv", root, assignment, [r.student for r in rows])
        flags = write_flags(folder / "flags.csv", root, assignment, [r.student for r in rows])
        bar.update()
        bar.set_postfix_str("histograms")
        histograms = plot_histograms(folder / "histograms.png", rows, questions, max_points, assignment)
        bar.update()
    return Report(assignment, tuple(rows), tuple(questions), max_points, grades, canvas, repairs, histograms,
                  tuple(pages), flags, similarity_line(root, assignment, folder), tuple(notes))


def _canvas(folder: Path, rows: list[Row], assignment: str, settings: ReportGrades,
            provisional: bool) -> tuple[Path | None, list[str]]:
    """canvas.csv when every answer is graded; else none (an old one removed), or canvas_provisional.csv."""
    column = settings.canvas_columns.get(assignment, assignment)
    waiting = [r for r in rows if r.ungraded]
    final, early = folder / "canvas.csv", folder / PROVISIONAL_CANVAS
    notes = []
    if waiting:
        count = sum(len(r.ungraded) for r in waiting)
        notes.append(f"not graded yet: {count} answer{'s' if count != 1 else ''} of {len(waiting)} of "
                     f"{len(rows)} students still need a TA (formgrader > Manual Grading; grades.csv's status names "
                     "them); their totals count them as 0")
        if final.exists():
            final.unlink()
        if not provisional:
            early.unlink(missing_ok=True)
            notes.append(f"canvas.csv not written: grade those answers and run `python -m autograder report "
                         f"{assignment}` again, or `report {assignment} --provisional` for {PROVISIONAL_CANVAS} "
                         "(not final: those answers count 0)")
            return None, notes + canvas_notes(rows, assignment, settings.canvas_columns)
        path = write_canvas(early, rows, column, max(r.max_score for r in rows))
        notes.append(f"wrote {PROVISIONAL_CANVAS}, NOT FINAL: {count} ungraded answer{'s' if count != 1 else ''} "
                     "count 0 in it")
        return path, notes + canvas_notes(rows, assignment, settings.canvas_columns)
    early.unlink(missing_ok=True)
    return write_canvas(final, rows, column, max(r.max_score for r in rows)), \
        canvas_notes(rows, assignment, settings.canvas_columns)


def similarity_line(root: Path, assignment: str, folder: Path) -> str:
    """A line about reports/<a>/similarity.html (written by `python -m autograder similarity`) for `report` to
    print: how many pairs it flags, and whether a submission was graded after it was written; empty when there is
    none."""
    page_path, csv_path = folder / "similarity.html", folder / "similarity.csv"
    if not (page_path.is_file() and csv_path.is_file()):
        return ""
    flagged = {(r.get("student_a"), r.get("student_b")) for r in flagged_rows(csv_path)}
    written = csv_path.stat().st_mtime
    newer = [s for s in collected_students(root, assignment)
             if autograded_notebook(root, s, assignment).is_file()
             and autograded_notebook(root, s, assignment).stat().st_mtime > written]
    return (f"similarity report: {page_path.relative_to(root)} ({len(flagged)} pair{'s' if len(flagged) != 1 else ''}"
            " flagged for review)" + (f"; {len(newer)} submission{'s' if len(newer) != 1 else ''} graded since: run "
                                      f"`python -m autograder similarity {assignment}` again" if newer else ""))


def score_table(results: list[Graded], title: str = "") -> str:
    """A plain-text table of graded students: status, points, late penalty, total, repairs."""
    head = ("student", "status", "points", "late", "total", "repairs")
    lines = [(g.student, g.status, f"{g.score:g}/{g.max_score:g}", f"-{g.late_penalty:g}" if g.late_penalty else "",
              f"{g.total:g}", str(len(g.repairs)) if g.repairs else "") for g in results]
    widths = [max(len(str(x)) for x in column) for column in zip(head, *lines)]
    text = [title] if title else []
    text += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip() for row in [head, *lines]]
    return "\n".join(text)


__all__ = ["PROVISIONAL_CANVAS", "Report", "ReportGrades", "Row", "canvas_notes", "flag_lines", "mark_ungraded", "repairs_file",
           "report", "score_table", "similarity_line"]
