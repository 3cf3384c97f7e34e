"""Expected figures: "if your code is correct, your plot looks like this", rendered from the solution.

The figures live in the source notebook as attachments of markdown cells, so the release carries them and
they show in Colab without any external file. A jupytext twin cannot hold attachments; `sync` keeps the ones
already in the notebook (matched by grade_id), so they only change when this module renders them again:

    python -m autograder figures <assignment>      # then: python -m autograder release <assignment>

`attach_expected_figures` executes the source notebook with its solutions (in a fresh kernel, in the
notebook's folder, with the caller's environment, so COURSE_DATA_DIR applies), takes a PNG drawn by each
designated code cell, and stores it as an attachment of the markdown cell that shows it. The markdown text
itself comes from the twin and must already hold the reference, e.g. `![expected figure](attachment:adam_expected.png)`.
"""
from __future__ import annotations

import base64
import copy
import io
import os
from pathlib import Path

import nbformat

from .course import CourseError, check_assignment, source_notebook
from .sandbox.zygote import ForkingKernelManager
from .twins import canonical, grade_id

# assignment -> {grade_id of the plotting code cell: (grade_id of the markdown cell, attachment name, which PNG)}
# "which PNG" indexes the cell's PNG outputs in drawing order (-1: the last figure the cell draws).
EXPECTED_FIGURES: dict[str, dict[str, tuple[str, str, int]]] = {
    "lab7_optimizers": {
        "sgd_experiment": ("sgd_expected", "sgd_expected", -1),
        "momentum_experiment": ("momentum_expected", "momentum_expected", -1),
        "nesterov_experiment": ("nesterov_expected", "nesterov_expected", -1),
        "normalized_experiment": ("normalized_expected", "normalized_expected", -1),
        "adam_experiment": ("adam_expected", "adam_expected", -1),
    },
}

DPI = 60                # resolution of the rendered figures (the notebook's own figures are unaffected)
PALETTE_COLORS = 128    # PNGs are stored with an adaptive palette of this many colours to keep them small
TIMEOUT = 300           # seconds per cell
# Run before the notebook's first cell: every figure is drawn at DPI (the inline backend keeps rcParams).
SETUP_SOURCE = f"import matplotlib\nmatplotlib.rcParams['figure.dpi'] = {DPI}"


def attachment_reference(name: str) -> str:
    """The markdown that shows attachment `name` (without .png)."""
    return f"![expected figure](attachment:{name}.png)"


def _execute(nb, folder: Path):
    """An executed copy of `nb` (solutions in place), run in `folder`; a failing cell is a CourseError."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = copy.deepcopy(nb)
    setup = nbformat.v4.new_code_cell(SETUP_SOURCE)
    setup["id"] = "expected-figures-setup"
    nb.cells.insert(0, setup)
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}  # run as a student would
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", kernel_manager_class=ForkingKernelManager,
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        raise CourseError(f"the solution notebook fails while rendering expected figures:\n{str(exc)[-2000:]}") from exc
    nb.cells.pop(0)
    return nb


def _pngs(cell) -> list[bytes]:
    """The PNG images a code cell displayed, in order."""
    return [base64.b64decode(out["data"]["image/png"]) for out in cell.get("outputs", [])
            if out.get("output_type") in ("display_data", "execute_result") and "image/png" in out.get("data", {})]


def shrink_png(png: bytes) -> bytes:
    """`png` with an adaptive palette and no metadata: the same picture in a fraction of the bytes."""
    try:
        from PIL import Image  # installed with matplotlib
    except ImportError:  # pragma: no cover
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    buffer = io.BytesIO()
    image.quantize(colors=PALETTE_COLORS, method=Image.Quantize.MEDIANCUT).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def attach_expected_figures(assignment: str, course_root: Path) -> list[str]:
    """Render the expected figures of `assignment` from its solution into its source notebook.

    Returns the names of the attachments written ("<name>.png"), in notebook order. Raises CourseError when
    the assignment has no expected figures, a designated cell is missing or draws no figure, a markdown cell
    lacks its `![expected figure](attachment:<name>.png)` reference, or the solution fails to run.
    """
    course_root = Path(course_root)
    check_assignment(course_root, assignment)
    figures = EXPECTED_FIGURES.get(assignment)
    if not figures:
        raise CourseError(f"{assignment}: no expected figures are declared in {__name__}.EXPECTED_FIGURES")
    path = source_notebook(course_root, assignment)
    nb = nbformat.read(path, as_version=4)
    cells = {grade_id(c): c for c in nb.cells if grade_id(c)}
    for code_id, (markdown_id, name, _) in figures.items():
        if cells.get(code_id) is None or cells[code_id].cell_type != "code":
            raise CourseError(f"{path}: no code cell with grade_id {code_id!r} to render {name}.png from")
        if cells.get(markdown_id) is None or cells[markdown_id].cell_type != "markdown":
            raise CourseError(f"{path}: no markdown cell with grade_id {markdown_id!r} to hold {name}.png")
        if f"attachment:{name}.png" not in cells[markdown_id].source:
            raise CourseError(f"{path}: markdown cell {markdown_id!r} does not show {name}.png; add the line "
                              f"`{attachment_reference(name)}` to it in the twin and sync")

    executed = {grade_id(c): c for c in _execute(nb, path.parent).cells if grade_id(c)}
    written = []
    for code_id, (markdown_id, name, which) in figures.items():
        pngs = _pngs(executed[code_id])
        try:
            png = pngs[which]
        except IndexError:
            raise CourseError(f"{path}: cell {code_id!r} drew {len(pngs)} figure(s); figure {which} was asked for "
                              f"{name}.png") from None
        cell = cells[markdown_id]
        attachments = dict(cell.get("attachments") or {})
        attachments[f"{name}.png"] = {"image/png": base64.b64encode(shrink_png(png)).decode("ascii")}
        cell["attachments"] = attachments
        written.append((nb.cells.index(cell), f"{name}.png"))

    nb = canonical(nb, nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return [name for _, name in sorted(written)]
