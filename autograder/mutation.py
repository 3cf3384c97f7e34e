"""Mutation testing of an assignment's tests: wrong answers must lose points, other correct ones must not.

A mutation is a set of answer cells (grade_id -> the whole cell as a student would hand it in). It is put
into the release notebook, the locked cells (hidden tests included) are restored from the source notebook as
`nbgrader autograde` does with OverwriteCells, the notebook runs in a new kernel with NBGRADER_EXECUTION set (forked,
as the grader's are, from a zygote that did the notebook's imports, when the caller has one: kernel_zygote), and
each test cell is scored with nbgrader's own rule (nbgrader.utils.determine_grade).
"""
from __future__ import annotations

import copy
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .course import CourseError, release_notebook, source_notebook
from .sandbox.zygote import ForkingKernelManager, Zygote, cell_imports
from .twins import grade_id


@dataclass(frozen=True)
class Mutant:
    """A wrong answer: the tests that lose points are exactly those in `breaks`, plus those in `spills`.

    `spills` maps the grade_id of another question that cannot be separated from this one to the reason (the
    notebook text says so too); it is empty unless documented. `unseen` is empty, or the reason no visible check
    can see this wrong answer (a typed-in value that agrees with every visible check, for instance): such a mutant
    is left out of the visible-check coverage (autograder/coverage.py) and named in its table.
    """
    name: str
    breaks: frozenset[str]
    cells: dict[str, str]
    spills: tuple[tuple[str, str], ...] = ()
    unseen: str = ""

    def __post_init__(self):
        object.__setattr__(self, "breaks", frozenset(self.breaks))
        spills = self.spills.items() if isinstance(self.spills, dict) else self.spills
        object.__setattr__(self, "spills", tuple(sorted(spills)))

    @property
    def loses(self) -> frozenset[str]:
        """Every test that must lose points: its own questions and the documented spills."""
        return self.breaks | {gid for gid, _ in self.spills}


@dataclass(frozen=True)
class Variant:
    """Another correct answer: it must keep full marks."""
    name: str
    cells: dict[str, str]


@dataclass(frozen=True)
class TestScore:
    grade_id: str
    points: float
    max_points: float
    error: str  # the test's error message, empty when it passed


def mutations_file(root: Path, assignment: str) -> Path:
    return root / "tests" / "mutations" / f"{assignment}.py"


def load_mutations(root: Path, assignment: str) -> tuple[list[Mutant], list[Variant]]:
    """MUTANTS and VARIANTS from tests/mutations/<assignment>.py."""
    path = mutations_file(root, assignment)
    if not path.is_file():
        raise CourseError(f"{path}: no mutation file for {assignment}")
    spec = importlib.util.spec_from_file_location(f"mutations_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MUTANTS), list(module.VARIANTS)


def inject(nb, answers: dict[str, str], where: str = "notebook"):
    """A copy of `nb` with the answer cells named in `answers` replaced. Unknown grade_ids are an error."""
    nb = copy.deepcopy(nb)
    cells = {grade_id(c): c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    unknown = sorted(set(answers) - set(cells))
    if unknown:
        raise CourseError(f"{where}: no answer cell with grade_id {', '.join(unknown)} (answer cells: {sorted(cells)})")
    for gid, source in answers.items():
        cells[gid].source = source
    return nb


def restore_locked(nb, source_nb):
    """A copy of `nb` whose locked cells (tests with their hidden part, provided code) come from `source_nb`."""
    nb = copy.deepcopy(nb)
    originals = {grade_id(c): c for c in source_nb.cells if grade_id(c)}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if grade_id(cell) in originals and (meta.get("locked") or (meta.get("grade") and not meta.get("solution"))):
            cell.source = originals[grade_id(cell)].source
    return nb


def submission(root: Path, assignment: str, answers: dict[str, str]):
    """The release notebook with `answers` filled in: what a student hands in."""
    release = nbformat.read(release_notebook(root, assignment), as_version=4)
    return inject(release, answers, where=str(release_notebook(root, assignment)))


class _FirstFailure(Exception):
    """A test cell lost points and the run was asked to stop there."""


def _is_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def kernel_env(*, render_figures: bool = False) -> dict:
    """The environment of the kernels here: as when graded (NBGRADER_EXECUTION set) and, unless `render_figures`,
    with matplotlib drawing nothing (MPLBACKEND=agg): no verdict depends on rendered pixels, and rendering is most
    of the run time of the figure-heavy notebooks."""
    env = dict(os.environ, NBGRADER_EXECUTION="autograde")
    if not render_figures:
        env["MPLBACKEND"] = "agg"
    return env


def kernel_zygote(root: Path, assignment: str) -> Zygote:
    """A Zygote for the runs of `assignment` (kernel_env(), the modules its release notebook imports done once):
    each run's kernel is forked from it, without a Python start and those imports (about 2 s of CPU for
    wine_mlp_backprop). The caller closes it."""
    release = nbformat.read(release_notebook(root, assignment), as_version=4)
    modules = cell_imports([c.source for c in release.cells if c.cell_type == "code"])
    return Zygote(modules=modules, env=kernel_env(), isolated=False)


def run_and_score(nb, *, workdir: Path, timeout: int = 300, render_figures: bool = False,
                  until_failing: bool = False, zygote: Zygote | None = None) -> dict[str, TestScore]:
    """Execute `nb` in a new kernel in `workdir` as nbgrader does when grading (in kernel_env()), and score its
    test cells.

    The kernel is forked from `zygote` when it serves this environment, else started from scratch. With
    `until_failing` the run stops after the first test cell that loses points: the scores are those of the test
    cells up to it.
    """
    from nbclient import NotebookClient
    from nbgrader.utils import determine_grade

    def stop_if_failing(cell, **_):
        if _is_test(cell):
            points, max_points = determine_grade(cell)
            if points < max_points:
                raise _FirstFailure

    env = kernel_env(render_figures=render_figures)
    if zygote is not None and not zygote.serves(modules=zygote.modules, env=env, isolated=False):
        zygote = None
    nb = copy.deepcopy(nb)
    km = ForkingKernelManager(kernel_name="python3", zygote=zygote)  # over IPC: no TCP port another kernel takes
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True,
                            on_cell_executed=stop_if_failing if until_failing else None,
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute(env=env, cleanup_kc=True)
    except _FirstFailure:
        pass
    scores = {}
    for cell in nb.cells:
        if _is_test(cell) and (cell.get("execution_count") is not None or not until_failing):
            meta = cell.metadata["nbgrader"]
            points, max_points = determine_grade(cell)
            error = "; ".join(f"{o.get('ename')}: {o.get('evalue')}" if o.output_type == "error" else o.get("text", "")
                              for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr")
            scores[meta["grade_id"]] = TestScore(meta["grade_id"], points, max_points, error[:500])
    return scores


def grade_answers(root: Path, assignment: str, answers: dict[str, str], *, workdir: Path,
                  timeout: int = 300, zygote: Zygote | None = None) -> dict[str, TestScore]:
    """Score `answers` the way autograding would: injected into the release, locked cells restored from source."""
    source = nbformat.read(source_notebook(root, assignment), as_version=4)
    return run_and_score(restore_locked(submission(root, assignment, answers), source), workdir=workdir,
                         timeout=timeout, zygote=zygote)


def solution_answers(source_nb) -> dict[str, str]:
    """Every answer cell of the source notebook with its solution (code) or model answer (written): what a student
    with full marks hands in."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return {grade_id(c): "\n".join(l for l in c.source.splitlines() if l.strip() not in markers)
            for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def visible_scores(root: Path, assignment: str, cells: dict[str, str], *, workdir: Path,
                   timeout: int = 300, until_failing: bool = False,
                   zygote: Zygote | None = None) -> dict[str, TestScore]:
    """Score the visible checks on a mutant or variant: the solution everywhere except the answer cells it replaces,
    in the release notebook as the student runs it, so each test cell is its visible part only (no hidden tests).

    It runs as grading does (NBGRADER_EXECUTION set): the test cells are the same code either way, and the
    notebooks draw fewer figures and train shorter sweeps then.
    """
    source = nbformat.read(source_notebook(root, assignment), as_version=4)
    return run_and_score(submission(root, assignment, {**solution_answers(source), **cells}), workdir=workdir,
                         timeout=timeout, until_failing=until_failing, zygote=zygote)


def grade_mutation(root: Path, assignment: str, cells: dict[str, str], *, workdir: Path,
                   timeout: int = 300, zygote: Zygote | None = None) -> dict[str, TestScore]:
    """Score a mutant or variant: the solution everywhere except the answer cells it replaces."""
    source = nbformat.read(source_notebook(root, assignment), as_version=4)
    return grade_answers(root, assignment, {**solution_answers(source), **cells}, workdir=workdir, timeout=timeout,
                         zygote=zygote)
