"""demo: the whole job on the example submissions: release, collect, grade, report, similarity, and the score table.

For each assignment in source/ (or those named): release it (nbgrader generate_assignment, Colab badge, leak
check; this creates gradebook.db), collect examples/submissions/<a>/ (generated first if the assignment has
none), grade it into gradebook.db, write its reports, and run the similarity report, which must flag the planted
copy (zz9999 copied aa0004) and no other pair. Re-running skips what is already graded. One assignment that fails
does not stop the others; the exit code says whether every example got its expected outcome.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import nbformat

from .collect import collect
from .course import CourseError, assignments as all_assignments, check_assignment, source_notebook
from .examples import COPIED, EXPECTED, KINDS, TIMES_FILE, examples_folder, generate_examples
from .grade import grade
from .gradebook import scores
from .release import release
from .report import flag_lines, report
from .similarity import pair_lines, similarity


def _autograded_points(root: Path, assignment: str) -> float:
    """Points the autograder can give (written answers are graded by hand)."""
    source = nbformat.read(source_notebook(root, assignment), as_version=4)
    return sum(float(c.metadata["nbgrader"].get("points", 0)) for c in source.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))


def _one(root: Path, assignment: str, workers: int | None, out: Callable[[str], None]) -> list[str]:
    """Collect, grade and report one assignment's examples; print its table; return what was unexpected."""
    folder = examples_folder(root, assignment)
    if not folder.is_dir():
        generate_examples(root=root, assignments=[assignment])
        out(f"made example submissions in {folder.relative_to(root)}")
    collection = collect(root=root, assignment=assignment, paths=[folder], times=folder / TIMES_FILE)
    out(f"\n{assignment}: collected {len(collection.collected)}, rejected "
        + (", ".join(f"{r.file.split('/')[-1]} ({r.reason})" for r in collection.rejected) or "none"))
    run = grade(root=root, assignment=assignment, workers=workers)
    out(f"graded {len(run.graded)} in {run.seconds:.1f} s with {run.workers} workers"
        + (f"; {len(run.skipped)} unchanged since the last run" if run.skipped else ""))
    written = report(root=root, assignment=assignment)
    out(f"reports in {written.grades_csv.parent.relative_to(root)}/, feedback in feedback/<student>/{assignment}/")

    results = {g.student: g for g in scores(root=root, assignment=assignment)}
    full = _autograded_points(root, assignment)
    surprises, lines = [], []
    waiting = {r.student: r.ungraded for r in written.rows}
    head = ("student", "example", "status", "points", "late", "total", "not graded yet", "repairs", "expected")
    for student, kind in KINDS.items():
        g = results.get(student)
        if g is None:
            lines.append((student, kind, "missing", "", "", "", "", "", EXPECTED[kind]))
            surprises.append(f"{assignment}/{student}: not graded")
            continue
        ungraded = waiting.get(student, ())
        by_hand = sum(written.max_points.get(q, 0.0) for q in ungraded)
        lines.append((student, kind, g.status, f"{g.score:g}/{g.max_score:g}",
                      f"-{g.late_penalty:g}" if g.late_penalty else "", f"{g.total:g}",
                      f"{len(ungraded)} written ({by_hand:g} pts)" if ungraded else "",
                      str(len(g.repairs)) if g.repairs else "", EXPECTED[kind]))
        ok = {"full": g.total == full, "partial": 0 < g.total < full, "blank": g.total == 0,
              "late": g.late_penalty > 0 and g.total < full, "damaged": g.total == full and bool(g.repairs),
              "copy": g.total == full}[kind]
        if not ok:
            surprises.append(f"{assignment}/{student} ({kind}): {g.status}, {g.total:g}/{full:g} {g.detail}")
    misnamed = [r for r in collection.rejected if r.reason == "bad name"]
    lines.append(("-", "misnamed", "rejected" if misnamed else "collected?", "", "", "", "", "",
                  EXPECTED["misnamed"]))
    if not misnamed:
        surprises.append(f"{assignment}: the misnamed example was not rejected")
    widths = [max(len(x) for x in column) for column in zip(head, *lines)]
    for row in [head, *lines]:
        out("  ".join(x.ljust(w) for x, w in zip(row, widths)).rstrip())
    if any(waiting.values()):
        everything = sum(written.max_points.values())
        out(f"not graded yet: {everything - full:g} of the {everything:g} points are written answers, graded by a TA "
            "in the formgrader (then `report` again): the totals above are the autograded points only, and "
            "canvas.csv waits for those grades")
    flagged = flag_lines(root=root, assignment=assignment, students=sorted(results))
    if flagged:
        out("flagged for the TA (shown in the formgrader's 'Flagged?' column; all flags in "
            f"{written.grades_csv.parent.relative_to(root)}/flags.csv):\n  " + "\n  ".join(flagged))
    alike = similarity(root=root, assignment=assignment)
    out(f"similarity: {len(alike.students)} submissions compared, {len(alike.flagged)} pair"
        f"{'s' if len(alike.flagged) != 1 else ''} flagged (expected: {COPIED[1]} copied {COPIED[0]}); "
        f"{alike.html.relative_to(root)}" + "".join(f"\n  {line}" for line in pair_lines(alike)))
    found = {p.students for p in alike.flagged}
    if found != {tuple(sorted(COPIED))}:
        surprises.append(f"{assignment}: similarity flagged {sorted(found) or 'no pair'}, expected only "
                         f"{tuple(sorted(COPIED))}")
    return surprises


def demo(*, root: Path, assignments: list[str] | None = None, workers: int | None = None,
         out: Callable[[str], None] = print) -> int:
    """Run the pipeline on the examples; returns 0 when every example got the outcome its kind expects."""
    names = [check_assignment(root, a) for a in assignments] if assignments else all_assignments(root)
    surprises, done = [], []
    for assignment in names:
        try:
            for released in release(root=root, assignments=[assignment], check_source=False):
                out(f"released {released.assignment}: {released.notebook.relative_to(root)}")
            surprises += _one(root, assignment, workers, out)
            done.append(assignment)
        except CourseError as exc:
            out(f"\n{assignment}: left out: {exc}")
            surprises.append(f"{assignment}: {str(exc).splitlines()[0]}")
    if surprises:
        out("\nunexpected outcomes:\n  " + "\n  ".join(surprises))
        return 1
    out(f"\nevery example of {', '.join(done)} got the outcome it should; the grades are in gradebook.db")
    return 0
