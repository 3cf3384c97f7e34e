"""Are the notebooks/ twins and every notebook's copy of the data loader in sync with their source of truth?"""
import json

from autograder.course import release_notebook, source_notebook
from autograder.twins import LOADER_GRADE_ID, from_text, loader_source, to_text
from conftest import ASSIGNMENTS, REFERENCE, ROOT, per_assignment

from autograder.twins import differences


@per_assignment
def test_twin_matches_its_notebook(assignment):
    """Does notebooks/<a>.py say exactly what source/<a>/<a>.ipynb holds?"""
    assert differences(ROOT, assignment) == []


def test_every_twin_has_a_notebook():
    """Is every twin in notebooks/ the twin of an assignment in source/?"""
    orphans = {p.stem for p in (ROOT / "notebooks").glob("*.py")} - set(ASSIGNMENTS)
    assert not orphans, f"twins without a source notebook: {sorted(orphans)}"


def test_a_changed_twin_is_noticed(tmp_path):
    """Would the twin check fail if someone edited the twin and forgot to sync?"""
    assignment = REFERENCE
    (tmp_path / "source" / assignment).mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    source_notebook(tmp_path, assignment).write_bytes(source_notebook(ROOT, assignment).read_bytes())
    twin = (ROOT / "notebooks" / f"{assignment}.py").read_text()
    (tmp_path / "notebooks" / f"{assignment}.py").write_text(twin.replace("import numpy as np", "import numpy as npy", 1))
    assert differences(tmp_path, assignment)


def test_twin_round_trip_keeps_nbgrader_metadata():
    """Does a twin carry every cell's nbgrader metadata through text and back?"""
    for assignment in ASSIGNMENTS:
        nb = from_text((ROOT / "notebooks" / f"{assignment}.py").read_text())
        assert to_text(from_text(to_text(nb))) == to_text(nb)
        assert all("nbgrader" in c.metadata for c in nb.cells), f"{assignment}: a cell has no nbgrader metadata"


@per_assignment
def test_loader_copies_equal_the_one_source(assignment):
    """Is every notebook's data-loader cell (source and release) exactly autograder/course_data.py?"""
    for path in (source_notebook(ROOT, assignment), release_notebook(ROOT, assignment)):
        cells = json.loads(path.read_text())["cells"]
        uses_data = any(name in "".join(c["source"]) for c in cells for name in ("load_wine_red(", "load_mnist(", "course_file("))
        loaders = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == LOADER_GRADE_ID]
        if uses_data:
            assert len(loaders) == 1, f"{path}: uses course data but has {len(loaders)} `{LOADER_GRADE_ID}` cells"
        for cell in loaders:
            assert "".join(cell["source"]) == loader_source(), f"{path}: its data loader differs from course_data.py"
