"""Does the real `nbgrader autograde` agree with the mutation tests' fast path on one mutant and one variant?"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.course import source_notebook
from autograder.mutation import inject, solution_answers
from conftest import ROOT, per_assignment
from test_mutations import MUTATIONS


def nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@per_assignment
def test_real_autograde_scores_a_mutant_and_a_variant(assignment, tmp_path):
    """Graded by `nbgrader autograde`, does the first mutant lose points where it should and the first variant not?"""
    mutants, variants = MUTATIONS[assignment]
    assert mutants and variants, f"{assignment} has no mutations"
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")

    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    solution = solution_answers(nbformat.read(source_notebook(ROOT, assignment), as_version=4))  # written answers too
    students = {"mutant": mutants[0], "variant": variants[0]}
    for student, mutation in students.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(inject(release, {**solution, **mutation.cells}), folder / f"{assignment}.ipynb")
    nbgrader(course, "autograde", assignment, "--create", "--force")

    from nbgrader.api import Gradebook

    source = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    tests = {c.metadata["nbgrader"]["grade_id"] for c in source.cells if c.cell_type == "code"
             and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {student: {g.name: (g.auto_score, g.max_score) for g in
                            gb.find_submission_notebook(assignment, assignment, student).grades if g.name in tests}
                  for student in students}
    mutant = students["mutant"]
    kept = [gid for gid in mutant.breaks if scores["mutant"][gid][0] >= scores["mutant"][gid][1]]
    assert not kept, f"{mutant.name} keeps full marks in {kept} under nbgrader autograde"
    lost = {gid: s for gid, s in scores["variant"].items() if s[0] < s[1]}
    assert not lost, f"{students['variant'].name} loses points under nbgrader autograde: {lost}"
