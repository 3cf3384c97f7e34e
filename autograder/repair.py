"""repair: give a damaged submission back the nbgrader cells of its release, and say what was done.

Students' notebooks lose or change their nbgrader metadata: Colab and copy-paste drop it, an answer cell is
turned into Markdown, cells are deleted or duplicated. nbgrader then scores the work 0 (or aborts the batch).
Each release cell with a grade_id is matched to a submission cell: first by grade_id, then (for cells whose
metadata is gone) by content and position between the cells already matched. Matched cells get the release's
nbgrader metadata and cell type back, deleted cells are restored from the release, extra copies lose their
metadata. Every change is returned as a `Repair` for the TA's log.

`repair()` is plain Python (no nbgrader import); `autograder.preprocessors.repaircells.RepairCells` runs it as
the first preprocessor of the grading pipeline.
"""
from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass

import nbformat

try:  # nbgrader depends on rapidfuzz; difflib is the fallback
    from rapidfuzz.fuzz import ratio as _ratio

    def similarity(a: str, b: str) -> float:
        """How alike two cell sources are, 0..1, after normalising whitespace."""
        return _ratio(_norm(a), _norm(b)) / 100.0
except ImportError:  # pragma: no cover
    from difflib import SequenceMatcher

    def similarity(a: str, b: str) -> float:
        """How alike two cell sources are, 0..1, after normalising whitespace."""
        return SequenceMatcher(None, _norm(a), _norm(b)).ratio()

NBGRADER_FIELDS = ("grade", "solution", "locked", "task", "points")
STUB_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()", "raise NotImplementedError", "YOUR ANSWER HERE"}
SAME_CELL = 0.6       # a provided cell whose metadata is gone is recognised at this similarity or more
SAME_CELL_OTHER_TYPE = 0.8  # ... and at this one when its type was changed too


class RepairError(Exception):
    """The submission is too unlike its release to be matched (another assignment, or not a notebook)."""


@dataclass(frozen=True)
class Repair:
    """One change made to a submission: what kind, to which release cell, where, and why."""
    kind: str          # "metadata restored", "metadata changed", "type restored", "restored", "duplicate", ...
    grade_id: str
    cell: int          # index of the cell in the submission as handed in (-1: a cell that was not there)
    detail: str

    def __str__(self) -> str:
        where = f"cell {self.cell}" if self.cell >= 0 else "missing cell"
        return f"{where} ({self.grade_id}): {self.kind}: {self.detail}"


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _gid(cell) -> str | None:
    gid = _meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def kind(meta: dict) -> str:
    """'answer', 'test', 'locked' (provided cells and tasks) or '' for a cell nbgrader does not track."""
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("locked") or meta.get("task"):
        return "locked"
    return ""


def defined_names(source: str) -> set[str]:
    """Functions and classes a cell defines (by regular expression: student code need not parse)."""
    return set(re.findall(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", source, re.MULTILINE))


def is_stub(source: str, stub: str) -> bool:
    """Is `source` the release's unanswered answer cell (the student added nothing)?"""
    return _norm(source) == _norm(stub)


def _score(release_cell, cell) -> float:
    """How well submission `cell` (metadata gone) fits `release_cell`; 0 means it cannot be that cell."""
    meta = _meta(release_cell)
    same_type = cell.cell_type == release_cell.cell_type
    if kind(meta) == "answer":
        if release_cell.cell_type == "code":
            names = defined_names(release_cell.source)
            if names and names <= defined_names(cell.source):
                return 3.0                      # defines the functions the stub asks for
            if names & defined_names(cell.source):
                return 2.0
            if same_type and not names:
                return 0.5 + similarity(release_cell.source, cell.source)  # an answer that is not a function
            return 0.0
        return 0.5 + similarity(release_cell.source, cell.source) if same_type else 0.0
    sim = similarity(release_cell.source, cell.source)
    if sim >= (SAME_CELL if same_type else SAME_CELL_OTHER_TYPE):
        return 1.0 + sim + (1.0 if sim == 1.0 else 0.0)
    return 0.0


def _align(release_cells: list, cells: list) -> list[tuple[int, int]]:
    """Order-keeping matching of two short cell lists maximising the total `_score` (pairs of indices)."""
    n, m = len(release_cells), len(cells)
    if not n or not m:
        return []
    scores = [[_score(r, c) for c in cells] for r in release_cells]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = scores[i][j] + best[i + 1][j + 1] if scores[i][j] > 0 else 0.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if scores[i][j] > 0 and best[i][j] == scores[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _set_type(cell, cell_type: str) -> None:
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _fresh(release_cell):
    cell = copy.deepcopy(release_cell)
    cell["id"] = uuid.uuid4().hex[:12]
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def match(nb, release_nb) -> tuple[dict[str, int], list[Repair]]:
    """Map each release grade_id to the index of its submission cell, and the duplicates found on the way."""
    release = [c for c in release_nb.cells if _gid(c)]
    order = {_gid(c): k for k, c in enumerate(release)}
    by_id = {_gid(c): c for c in release}
    notes: list[Repair] = []

    # 1. by grade_id; of several copies keep one (the one with work for answers, the original for others)
    copies: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        if _gid(cell) in order:
            copies.setdefault(_gid(cell), []).append(index)
    matched: dict[str, int] = {}
    for gid, indices in copies.items():
        rcell = by_id[gid]
        if kind(_meta(rcell)) == "answer":
            worked = [i for i in indices if not is_stub(nb.cells[i].source, rcell.source)]
            keep = (worked or indices)[-1]
        else:
            same = [i for i in indices if _norm(nb.cells[i].source) == _norm(rcell.source)]
            keep = (same or indices)[-1]
        matched[gid] = keep
        for i in indices:
            if i != keep:
                notes.append(Repair("duplicate", gid, i, f"another copy of cell {keep}; it keeps no nbgrader metadata"))

    # 2. by content and position, between the cells matched so far (in release order)
    taken = set(matched.values()) | {r.cell for r in notes}
    anchors = sorted((order[g], i) for g, i in matched.items())
    bounds = [(-1, -1)] + anchors + [(len(release), len(nb.cells))]
    for (r0, s0), (r1, s1) in zip(bounds, bounds[1:]):
        if s1 <= s0:
            continue
        r_gap = [k for k in range(r0 + 1, r1) if _gid(release[k]) not in matched]
        s_gap = [i for i in range(s0 + 1, s1) if i not in taken and not _gid(nb.cells[i]) in order]
        for a, b in _align([release[k] for k in r_gap], [nb.cells[i] for i in s_gap]):
            matched[_gid(release[r_gap[a]])] = s_gap[b]
    return matched, notes


def resemblance(nb, release_nb) -> float:
    """The share of the release's provided and test cells found in `nb` with (nearly) their text: 0..1.

    A submission of this assignment, however damaged, keeps most of them; another assignment's notebook does not.
    """
    return _share_found(nb, release_nb, match(nb, release_nb)[0])


def _share_found(nb, release_nb, matched: dict) -> float:
    """resemblance, given `match`'s cells of `nb` for the release's grade_ids."""
    locked = [c for c in release_nb.cells if _gid(c) and kind(_meta(c)) in ("locked", "test")]
    if not locked:
        return 1.0
    found = sum(1 for c in locked if _gid(c) in matched
                and similarity(c.source, nb.cells[matched[_gid(c)]].source) >= SAME_CELL)
    return found / len(locked)


def repair(nb, release_nb, *, min_resemblance: float = 0.5) -> tuple[object, list[Repair]]:
    """A copy of `nb` whose cells carry the release's nbgrader metadata and types, with the repairs made.

    Raises RepairError when less than `min_resemblance` of the release's provided cells can be found.
    """
    nb = copy.deepcopy(nb)
    matched, repairs = match(nb, release_nb)
    share = _share_found(nb, release_nb, matched)
    if share < min_resemblance:
        raise RepairError(f"only {share:.0%} of the release's provided cells are in this notebook "
                          f"(at least {min_resemblance:.0%} expected): another assignment, or not this one's notebook")
    release = [c for c in release_nb.cells if _gid(c)]
    by_id = {_gid(c): c for c in release}
    duplicates = {r.cell for r in repairs}

    for gid, index in matched.items():
        cell, rcell = nb.cells[index], by_id[gid]
        had = _meta(cell)
        if _gid(cell) != gid:
            how = "content" if kind(_meta(rcell)) != "answer" else "the functions it defines and its position"
            lost = "lost" if not had else f"replaced by grade_id {_gid(cell)!r}" if _gid(cell) else "lost its grade_id"
            repairs.append(Repair("metadata restored", gid, index, f"nbgrader metadata {lost}; matched by {how}"))
        else:
            changed = [f"{k} {had.get(k)!r} -> {_meta(rcell).get(k)!r}" for k in NBGRADER_FIELDS
                       if had.get(k) != _meta(rcell).get(k) and not (k == "points" and not _meta(rcell).get("grade"))]
            if changed:
                repairs.append(Repair("metadata changed", gid, index, "restored " + ", ".join(changed)))
        if cell.cell_type != rcell.cell_type:
            repairs.append(Repair("type restored", gid, index, f"{rcell.cell_type} cell turned into {cell.cell_type}"))
            _set_type(cell, rcell.cell_type)
        cell.setdefault("metadata", nbformat.NotebookNode())
        cell.metadata["nbgrader"] = copy.deepcopy(rcell.metadata["nbgrader"])

    # stale nbgrader metadata on cells that match nothing: duplicates and unknown grade_ids
    removed = set()
    for index, cell in enumerate(nb.cells):
        if index in matched.values() or "nbgrader" not in cell.get("metadata", {}):
            continue
        gid = _gid(cell)
        if index in duplicates and gid in by_id and kind(_meta(by_id[gid])) == "answer" \
                and is_stub(cell.source, by_id[gid].source):
            removed.add(index)
            repairs = [r for r in repairs if r.cell != index]
            repairs.append(Repair("duplicate removed", gid, index, "an unanswered copy of the answer cell"))
        elif index not in duplicates and _meta(cell):
            repairs.append(Repair("metadata removed", gid or "?", index, "grade_id not in the release"
                                  if gid else "nbgrader metadata without a grade_id"))
        del cell.metadata["nbgrader"]

    # deleted cells come back from the release, after the cell matched to the release cell before them
    inserts: list[tuple[int, int, object]] = []
    last = -1
    for k, rcell in enumerate(release):
        gid = _gid(rcell)
        if gid in matched:
            last = max(last, matched[gid])
        elif kind(_meta(rcell)):
            inserts.append((last, k, rcell))
            repairs.append(Repair("restored", gid, -1, f"{kind(_meta(rcell))} cell missing from the submission; "
                                  "put back from the release" + (" (unanswered)" if kind(_meta(rcell)) == "answer" else "")))
    cells = []
    for index in range(-1, len(nb.cells)):
        if index >= 0 and index not in removed:
            cells.append(nb.cells[index])
        cells += [_fresh(r) for after, _, r in inserts if after == index]
    nb.cells = cells

    # unique cell ids (copy-pasted cells share theirs) and the keys nbformat requires
    seen = set()
    for cell in nb.cells:
        if not isinstance(cell.get("id"), str) or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cell["id"]) \
                or cell["id"] in seen:
            cell["id"] = uuid.uuid4().hex[:12]
        seen.add(cell["id"])
        cell.setdefault("metadata", nbformat.NotebookNode())
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    return nb, sorted(repairs, key=lambda r: (r.cell if r.cell >= 0 else 10**9, r.grade_id))
