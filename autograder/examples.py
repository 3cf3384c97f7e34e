"""examples: make examples/submissions/<assignment>/, an LMS download of six example submissions.

For every assignment in source/, from its source (the solutions) and release notebooks:

  aa0001  full     the solution answers, named by the course rule
  aa0002  partial  every answer solved but the last graded one (the answer just before the last test cell),
                   left as released; a Canvas name
  aa0003  blank    the release as handed out, saved by Colab ("Copy of ...")
  aa0004  late     other correct answers (the solution with the variants of tests/mutations/<a>.py that fit
                   together), marked LATE by Canvas, handed in after the deadline that same day
  (none)  misnamed the solution answers in a file whose name breaks the rule: collect rejects it
  aa0005  damaged  the solution answers after Colab and copy-paste: every cell's nbgrader metadata gone, an
                   answer cell turned into Markdown, the first answer cell duplicated, the first test cell
                   deleted; a Canvas resubmission (-1). Repair restores it to full marks.
  zz9999  copy     aa0004's answers copied: local variables renamed, functions in another order, comments
                   rewritten, blank lines added (`disguise`). Full marks; `similarity` pairs it with aa0004, and
                   with no one else.

plus submission_times.csv (times relative to the deadline in nbgrader_config.py). The files are committed;
`python -m autograder examples` regenerates them (after a change of the source, the release or the variants), and
the demo makes them for an assignment that has none.
"""
from __future__ import annotations

import ast
import copy
import csv
import io
import random
import re
import tokenize
from datetime import datetime, timedelta
from pathlib import Path

import nbformat

from .collect import CourseFileNames
from .course import CourseError, assignments as all_assignments, check_assignment, release_notebook, \
    source_notebook
from .late import LatePolicy
from .mutation import inject, load_mutations, solution_answers
from .nbconfig import load_config
from .report import hidden_test_lines

EXAMPLES = Path("examples") / "submissions"
TIMES_FILE = "submission_times.csv"
KINDS = {"aa0001": "full", "aa0002": "partial", "aa0003": "blank", "aa0004": "late", "aa0005": "damaged",
         "zz9999": "copy"}
EXPECTED = {"full": "full marks", "partial": "part of the marks", "blank": "0", "late": "full marks less 30%",
            "damaged": "full marks after repair", "copy": "full marks; paired with aa0004 by similarity",
            "misnamed": "rejected by collect (bad name)"}
COPIED = ("aa0004", "zz9999")  # the one pair `similarity` must flag among the examples
NO_DEADLINE = datetime(2025, 1, 10, 17, 0)  # times for an assignment without a configured deadline


def examples_folder(root: Path, assignment: str) -> Path:
    return root / EXAMPLES / assignment


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def last_graded_answer(source) -> str | None:
    """The code answer cell closest before the last autograded test cell: leaving it out loses that question."""
    answer = chosen = None
    for cell in source.cells:
        meta = _meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            answer = meta.get("grade_id")
        elif meta.get("grade") and cell.cell_type == "code":
            chosen = answer
    return chosen


def damage(nb):
    """What Colab and copy-paste do to a notebook: metadata gone, a cell retyped, one duplicated, one deleted."""
    nb = copy.deepcopy(nb)
    answers = [i for i, c in enumerate(nb.cells) if _meta(c).get("solution") and c.cell_type == "code"]
    tests = [i for i, c in enumerate(nb.cells) if _meta(c).get("grade") and not _meta(c).get("solution")]
    if answers:
        last = nb.cells[answers[-1]]
        last.cell_type = "markdown"
        last.pop("outputs", None)
        last.pop("execution_count", None)
    if tests:
        del nb.cells[tests[0]]
    if answers:
        twin = copy.deepcopy(nb.cells[answers[0]])
        twin["id"] = twin["id"] + "-copy"
        nb.cells.insert(answers[0] + 1, twin)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nb.metadata.pop("kernelspec", None)
    nb.metadata["colab"] = {"provenance": []}
    return nb


NEW_NAMES = ("tmp", "val", "res", "acc", "buf", "cur", "nxt", "aux", "part", "step", "term", "piece", "item")
NEW_COMMENTS = ("# work it out step by step", "# the main part", "# now the update", "# as in the lecture",
                "# helper values first")


def _params(func) -> set[str]:
    a = func.args
    return {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, (a.vararg, a.kwarg)))}


def disguise(source: str, seed: int = 0, keep=frozenset()) -> str:
    """What a student who copies an answer does to hide it, keeping what it computes: the local variables of its
    functions renamed (not those named in `keep`: the provided lines'), its consecutive functions in reverse
    order, every comment removed and others written, blank lines added. Text that does not parse is returned as
    it is."""
    rng = random.Random(seed)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines()
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    spots, names = [], {}
    for func in (n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        declared = {x for n in ast.walk(func) if isinstance(n, (ast.Global, ast.Nonlocal)) for x in n.names}
        local = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        local -= _params(func) | declared | set(keep)
        found = [(n.lineno, n.col_offset, n.id) for stmt in func.body for n in ast.walk(stmt)
                 if isinstance(n, ast.Name) and n.id in local]
        bad = {name for line, col, name in found  # a position ast got wrong (inside an f-string): keep that name
               if lines[line - 1].encode()[col:col + len(name.encode())] != name.encode()}
        for name in sorted(local - bad - set(names)):
            new = name
            while new in taken:
                new = f"{rng.choice(NEW_NAMES)}_{rng.randint(1, 99)}"
            taken.add(new)
            names[name] = new
        spots += [spot for spot in found if spot[2] in names]
    for line, col, name in sorted(spots, reverse=True):
        raw = lines[line - 1].encode()
        lines[line - 1] = (raw[:col] + names[name].encode() + raw[col + len(name.encode()):]).decode()
    text = "\n".join(lines) + "\n"
    comments = {}
    for t in tokenize.generate_tokens(io.StringIO(text).readline):
        if t.type == tokenize.COMMENT:
            comments[t.start[0]] = t.start[1]
    lines = [line[:comments[n]].rstrip() if n in comments else line for n, line in enumerate(text.splitlines(), 1)]
    lines = [line for n, line in enumerate(lines, 1) if line.strip() or n not in comments]
    tree = ast.parse("\n".join(lines))
    blocks, runs = [], []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        is_def = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if is_def and runs and runs[-1][-1] == len(blocks) - 1:
            runs[-1].append(len(blocks))
        elif is_def:
            runs.append([len(blocks)])
        blocks.append([first, node.end_lineno])
    pieces, previous = [], 0
    for first, last in blocks:
        pieces.append(["\n".join(lines[previous:first - 1]), lines[first - 1:last]])
        previous = last
    bodies = [piece[1] for piece in pieces]
    for run in runs:
        for i, j in zip(run, reversed(run)):
            pieces[i][1] = bodies[j]
    out = []
    for gap, body in pieces:
        if gap:
            out.append(gap)
        if body[0].lstrip().startswith(("def ", "async def ", "@")):
            indent = next((l[:len(l) - len(l.lstrip())] for l in body[1:] if l.strip()), "    ")
            at = next((i + 1 for i, l in enumerate(body) if l.rstrip().endswith(":")), 1)
            body = [*body[:at], indent + rng.choice(NEW_COMMENTS), *body[at:]]
            out.append("")
        out.append("\n".join(body))
    out += ["\n".join(lines[previous:])] if lines[previous:] else []
    return "\n".join(out).strip("\n") + "\n\n"


def other_answers(root: Path, assignment: str, source) -> dict[str, str]:
    """The solution answers with, in their place, the variants of tests/mutations/<a>.py (other correct answers)
    that fit together: a whole variant at a time, those with the most lines of their own (not the solution's)
    first, none touching a cell another already replaced, none holding a line of a hidden test (an example shows
    no hidden test's code, not even as an answer of its own)."""
    answers = solution_answers(source)
    try:
        _, variants = load_mutations(root, assignment)
    except CourseError:
        return answers
    hidden = hidden_test_lines(root, assignment)
    replaced = set()
    model = {line.strip() for text in answers.values() for line in text.splitlines()}
    own = lambda v: len({line.strip() for text in v.cells.values() for line in text.splitlines()} - model)
    for variant in sorted(variants, key=own, reverse=True):
        shows = any(line in text for line in hidden for text in variant.cells.values())
        if set(variant.cells) <= set(answers) and not set(variant.cells) & replaced and not shows:
            answers.update(variant.cells)
            replaced |= set(variant.cells)
    return answers


def submissions(root: Path, assignment: str) -> dict[str, object]:
    """The example notebooks of `assignment`: file name -> notebook."""
    source = nbformat.read(source_notebook(root, assignment), as_version=4)
    path = release_notebook(root, assignment)
    if not path.is_file():
        raise CourseError(f"{path}: no release; run `python -m autograder release {assignment}` first")
    release = nbformat.read(path, as_version=4)
    answers = solution_answers(source)
    full = inject(release, answers, where=str(path))
    partial = {gid: text for gid, text in answers.items() if gid != last_graded_answer(source)}
    others = other_answers(root, assignment, source)
    code = {c.metadata["nbgrader"]["grade_id"] for c in release.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    provided = {c.metadata["nbgrader"]["grade_id"]: frozenset(re.findall(r"[^\W\d]\w*", c.source))
                for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")}
    copied = {gid: disguise(text, seed=n, keep=provided[gid]) if gid in code else text
              for n, (gid, text) in enumerate(others.items())}
    config = load_config(root)
    names = CourseFileNames(config=config)
    name = lambda student: names.file_stem(assignment, student)
    return {
        f"{name('aa0001')}.ipynb": full,
        f"studentaa0002_1000002_2000002_{name('aa0002')}.ipynb": inject(release, partial, where=str(path)),
        f"Copy of {name('aa0003')}.ipynb": release,
        f"studentaa0004_LATE_1000004_2000004_{name('aa0004')}.ipynb": inject(release, others, where=str(path)),
        "my_homework_final.ipynb": full,
        f"studentaa0005_1000005_2000005_{name('aa0005')}-1.ipynb": damage(full),
        f"{name(COPIED[1])}.ipynb": inject(release, copied, where=str(path)),
    }


def _times(root: Path, assignment: str, files: list[str]) -> str:
    policy = LatePolicy(config=load_config(root))
    deadline = policy.deadline(assignment) or NO_DEADLINE
    late = deadline + timedelta(hours=2)
    if policy.deadline(assignment) and policy.fraction(deadline, late) != policy.same_day_penalty:
        late = deadline + timedelta(minutes=1)  # a deadline late in the day: one minute after it
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "submitted_at"])
    for file in files:
        when = late if "_LATE_" in file else deadline - timedelta(hours=1)
        writer.writerow([file, when.strftime("%Y-%m-%d %H:%M:%S+00:00")])
    return out.getvalue()


def generate_examples(*, root: Path, assignments: list[str] | None = None) -> list[Path]:
    """Write examples/submissions/<a>/ for each assignment (all in source/ by default); returns the folders."""
    names = [check_assignment(root, a) for a in assignments] if assignments else all_assignments(root)
    written = []
    for assignment in names:
        notebooks = submissions(root, assignment)
        folder = examples_folder(root, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            if old.name not in notebooks:
                old.unlink()
        for file, nb in notebooks.items():
            nbformat.write(nb, folder / file)
        (folder / TIMES_FILE).write_text(_times(root, assignment, sorted(notebooks)))
        written.append(folder)
    return written
