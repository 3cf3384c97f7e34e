"""TANotes: what the grader knows about a submission, on the formgrader's page where a TA grades it.

An HTMLExporter preprocessor (c.HTMLExporter.preprocessors in nbgrader_config.py). The formgrader renders each
submission's autograded notebook with the course's HTMLExporter when a TA opens it (Manual Grading > a
submission); this step puts, above the notebook, a note for the TA:

- the flags (severity, code, cell) with their reasons, and, above each flagged answer or test, its flag;
- when it was submitted, how late, the late penalty and the total after it, computed now on the current score
  (the TA's manual points included: the penalty is re-run as `report` does);
- the written answers nobody has graded yet;
- the pairs the similarity report (reports/<a>/similarity.csv) flagged with this student;
- the number of repairs made before grading (reports/<a>/repairs.csv; reports/ is c.ReportGrades.folder).

It acts only on the formgrader's pages (their resources carry `submission_id`): GenerateFeedback uses the same
exporter, and a student's feedback never shows the note. Every text in it is escaped.
"""
from __future__ import annotations

import html
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from .gradebook import describe_flags, standing
from .report import ReportGrades
from .similarity_page import partners

NOTE_KEY = "ta_note"  # cell.metadata.autograder[NOTE_KEY]: a cell this step added


def duration(seconds: float) -> str:
    """'2 d 3 h', '2 h 5 min', '4 min', '30 s'."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def _cell(text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["autograder"] = {NOTE_KEY: True}
    return cell


class TANotes(Preprocessor):
    """Put the grader's notes for the TA (flags and reasons, lateness and the total after the penalty, written
    answers left to grade, similar pairs) above a submission on the formgrader's grading page."""

    def preprocess(self, nb, resources):
        if "submission_id" not in resources or not resources.get("student"):
            return nb, resources  # not the formgrader's grading page (e.g. a student's feedback)
        root = Path(self.config.CourseDirectory.root or ".")
        assignment, student = resources["assignment_id"], resources["student"]
        record = nb.metadata.get("autograder", {})
        flags = list(record.get("flags", []))
        lines = [self.flag_line(f) for f in flags]
        lines += self.standing_lines(assignment, student)
        folder = root / ReportGrades(config=self.config).folder / assignment
        for other, questions in sorted(partners(folder / "similarity.csv", student).items()):
            lines.append(f"Similarity report: answers alike with <strong>{html.escape(other)}</strong> "
                         f"({html.escape(', '.join(questions))}); see {html.escape(str(folder / 'similarity.html'))}")
        if record.get("repairs"):
            lines.append(f"{len(record['repairs'])} cells repaired before grading (listed in "
                         f"{html.escape(str(folder / 'repairs.csv'))} by `report`)")
        if record.get("status") and record["status"] != "graded":
            lines.append(f"Status: {html.escape(str(record['status']))}: {html.escape(str(record.get('detail', '')))}")
        if not flags:
            lines.insert(0, "No flags.")
        note = ("<strong>For the TA</strong> (the grader's notes; not in the student's feedback)\n\n"
                + "\n".join(f"- {line}" for line in lines))
        by_cell = {}
        for f in flags:
            by_cell.setdefault(str(f.get("cell", "")), []).append(f)
        cells = [_cell(note)]
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in by_cell:
                cells.append(_cell("<strong>For the TA: flagged here</strong>: "
                                   + "; ".join(self.flag_line(f) for f in by_cell[grade_id])))
            cells.append(cell)
        nb.cells = cells
        return nb, resources

    @staticmethod
    def flag_line(flag: dict) -> str:
        return (f"Flag <strong>{html.escape(describe_flags([flag]))}</strong>: "
                f"{html.escape(str(flag.get('message', '')))}")

    def standing_lines(self, assignment: str, student: str) -> list[str]:
        now = standing(config=self.config, assignment=assignment, student=student)
        if now is None:
            return []
        score = f"score {now.score:g} / {now.max_score:g}"
        if now.timestamp is None:
            when = "Submission time unknown (no late penalty)"
        elif now.seconds_late > 0:
            share = f" ({now.late_penalty / now.score:.0%} of the score)" if now.score else ""
            when = (f"Submitted {now.timestamp:%Y-%m-%d %H:%M} UTC, <strong>late by {duration(now.seconds_late)}"
                    f"</strong>: penalty {now.late_penalty:g}{share}")
        else:
            when = f"Submitted {now.timestamp:%Y-%m-%d %H:%M} UTC, on time"
        lines = [f"{when}; {score}, <strong>total after the late penalty {now.total:g}</strong>"]
        if now.ungraded:
            lines.append(f"Not graded yet: {html.escape(', '.join(now.ungraded))} (the total counts them as 0)")
        return lines
