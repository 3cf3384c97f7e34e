"""Visible-check coverage: the share of an assignment's wrong answers that the student's own visible checks catch.

Each mutant of tests/mutations/<a>.py is put into the release notebook (the solution everywhere else) and the
notebook runs with the test cells as the student has them, without their hidden part
(autograder.mutation.visible_scores). A mutant is caught when some test cell raises; its run stops there (what
later checks say changes nothing in the table). Mutants marked `unseen` in their file (with the reason no visible
check can see them) are left out of the share and named in the table; one that a visible check catches after all
is an error of its mark.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from .course import CourseError
from .mutation import kernel_zygote, load_mutations, visible_scores

HEADER = ("| assignment | wrong answers | caught by a visible check | share | no visible check can see them |\n"
          "| --- | --- | --- | --- | --- |")


@dataclass(frozen=True)
class Coverage:
    """One assignment's figures: every mutant, those marked unseen, and, for each caught one, the first check that
    failed."""
    assignment: str
    mutants: tuple[str, ...]
    unseen: tuple[str, ...]
    caught: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def counted(self) -> int:
        """The mutants a visible check could see: all but the marked ones."""
        return len(self.mutants) - len(self.unseen)

    @property
    def caught_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.caught)

    @property
    def missed(self) -> tuple[str, ...]:
        """Mutants no visible check caught though none is marked unseen."""
        return tuple(m for m in self.mutants if m not in self.caught_names and m not in self.unseen)

    @property
    def wrongly_marked(self) -> tuple[str, ...]:
        """Mutants marked unseen that a visible check catches all the same."""
        return tuple(m for m in self.unseen if m in self.caught_names)

    @property
    def share(self) -> float:
        return share(len(self.caught_names), self.counted)

    def row(self) -> str:
        unseen = ", ".join(f"`{name}`" for name in self.unseen) or "none"
        return (f"| {self.assignment} | {self.counted} (+{len(self.unseen)} unseen) | {len(self.caught_names)} | "
                f"{percent(self.share)} | {unseen} |")


def share(caught: int, counted: int) -> float:
    return caught / counted if counted else 1.0


def percent(value: float) -> str:
    """A share as the table writes it: a whole percentage, rounded down, so 69.9% never reads as 70%."""
    return f"{int(value * 100 + 1e-9)}%"


def measure(*, root: Path, assignment: str, timeout: int = 300, progress=None) -> Coverage:
    """Run every mutant of `assignment` against the visible checks and count the caught ones."""
    mutants, _ = load_mutations(root, assignment)
    caught = []
    zygote = kernel_zygote(root, assignment)
    try:
        for mutant in mutants:
            with tempfile.TemporaryDirectory(prefix=f"coverage-{assignment}-") as tmp:
                try:
                    scores = visible_scores(root, assignment, mutant.cells, workdir=Path(tmp), timeout=timeout,
                                            until_failing=True, zygote=zygote)
                except Exception as exc:  # a run that times out or loses its kernel: no visible check said anything
                    scores, problem = {}, f"not caught (the run stopped: {type(exc).__name__}: {str(exc)[:200]})"
                else:
                    problem = "not caught"
            failing = tuple(gid for gid, s in scores.items() if s.points < s.max_points)
            if failing:
                caught.append((mutant.name, failing))
            if progress:
                progress(f"{assignment}: {mutant.name}: {', '.join(failing) or problem}")
    finally:
        zygote.close()
    return Coverage(assignment=assignment, mutants=tuple(m.name for m in mutants),
                    unseen=tuple(m.name for m in mutants if m.unseen), caught=tuple(caught))


def total_row(rows: list[Coverage]) -> str:
    counted = sum(c.counted for c in rows)
    unseen = sum(len(c.unseen) for c in rows)
    caught = sum(len(c.caught_names) for c in rows)
    return f"| all | {counted} (+{unseen} unseen) | {caught} | {percent(share(caught, counted))} | |"


def table(rows: list[Coverage]) -> str:
    """The markdown table of docs/AUTHORING.md, "Visible-check coverage"."""
    return "\n".join([HEADER, *(c.row() for c in rows), total_row(rows)])


def documented_rows(authoring: Path) -> dict[str, str]:
    """The coverage table's rows in docs/AUTHORING.md, by assignment (the total row under "all")."""
    text = authoring.read_text()
    if HEADER not in text:
        raise CourseError(f"{authoring}: no visible-check coverage table (its header is {HEADER.splitlines()[0]!r})")
    rows = {}
    for line in text.split(HEADER, 1)[1].lstrip("\n").splitlines():
        if not line.startswith("|"):
            break
        rows[line.split("|")[1].strip()] = line
    return rows
