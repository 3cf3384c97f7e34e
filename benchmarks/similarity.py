"""Similarity report at scale, and the measurements behind its defaults.

    .venv/bin/python benchmarks/similarity.py [--assignment wine_mlp_backprop] [--students 1000] [--copies 10]
    .venv/bin/python benchmarks/similarity.py --calibrate

Scale (the default): builds a synthetic class of N autograded notebooks of one assignment in a temporary course
folder (copies of nbgrader_config.py, source/<a> and release/<a>). Each student answers each code question with
one of the answers a class really hands in (the model answer, a variant or a mutant of tests/mutations/<a>.py),
in their own words: local names renamed, comments rewritten, functions reordered, and one to three statements
of their own (a print, an assert, a copy, each with a number of its own) put in. `--copies` planted students
copy another student's whole notebook the same way (with no statements of their own added). It then times,
in the same run:

  - the baseline: reading the N notebooks (autograder.readnotebook's reader, as `similarity` does);
  - `similarity` itself (reading, fingerprinting, the inverted index, scoring, the CSV and the HTML page);
  - copydetect's way, all pairs: `compare_files` on a sample of pairs of one question, times the pairs of every
    question (an estimate, not run);

and prints the times, the ratio to the baseline, and which pairs were flagged (the planted pairs must be, and no
other).

--calibrate: for every assignment, synthetic students as the mutation tests make them: the model answers, and the
model answers with one variant of tests/mutations/<a>.py (other correct answers, written independently), each
variant student copied twice (local names renamed, functions reordered, comments rewritten by editing the text;
and the same run through ast.unparse, as a reformatter would). All are compared (every fingerprint kept, however
common: the class is small; a question on which two variants hand in the same text, as lab7_optimizers' variants
share one written answer, is not counted between them); it prints the weakest copies, the strongest pairs of
independent students, and how many of each a grid of threshold and min_tokens would flag.
"""
from __future__ import annotations

import argparse
import ast
import io
import itertools
import random
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OWN_LINES = ("print({v}.shape, {n})", "assert {v} is not None, {n}", "{v} = {v}.copy()  # {n}",
             "check_{n} = {v} * {n}", "{v} = np.asarray({v}, dtype=float) + 0 * {n}",
             "assert np.all(np.abs({v}) < {n})")


def pools(assignment: str) -> tuple[object, object, dict[str, list[str]]]:
    """(release, source, code question -> the answers a class hands in: model, variants, mutants)."""
    import nbformat

    from autograder.course import release_notebook, source_notebook
    from autograder.mutation import load_mutations, solution_answers
    from autograder.similarity import answer_cells

    release = nbformat.read(release_notebook(ROOT, assignment), as_version=4)
    source = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    model = solution_answers(source)
    mutants, variants = load_mutations(ROOT, assignment)
    code = [gid for gid, (kind, _) in answer_cells(release).items() if kind == "code"]
    return release, source, {gid: [model[gid]] + [m.cells[gid] for m in (*variants, *mutants) if gid in m.cells]
                             for gid in code}


def own_statements(text: str, rng: random.Random) -> str:
    """`text` with one to three statements of the student's own put into its first function."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
    if func is None or not func.body:
        return text
    names = sorted({a.arg for a in func.args.args}) or ["x"]
    lines = text.splitlines()
    last = func.body[-1].lineno - 1                     # before the last statement (usually the return)
    indent = lines[last][:len(lines[last]) - len(lines[last].lstrip())]
    extra = [indent + rng.choice(OWN_LINES).format(v=rng.choice(names), n=rng.randrange(10**6))
             for _ in range(rng.randint(1, 3))]
    return "\n".join(lines[:last] + extra + lines[last:]) + "\n"


def build_class(course: Path, assignment: str, students: int, copies: int, seed: int = 1):
    """Autograded notebooks of `students` synthetic students; returns (students, planted pairs)."""
    import nbformat

    from autograder.examples import disguise
    from autograder.course import autograded_notebook
    from autograder.mutation import inject

    course.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    release, _, pool = pools(assignment)
    rng = random.Random(seed)
    ids = [f"s{i:05d}" for i in range(students)]
    answers = {}
    for n, student in enumerate(ids):
        answers[student] = {gid: disguise(own_statements(rng.choice(texts), rng), seed=n * 1000 + q)
                            for q, (gid, texts) in enumerate(pool.items())}
    planted = []
    originals = rng.sample(ids, 2 * copies)
    for original, copier in zip(originals[::2], originals[1::2]):
        answers[copier] = {gid: disguise(text, seed=rng.randrange(10**6)) for gid, text in answers[original].items()}
        planted.append(tuple(sorted((original, copier))))
    for student in ids:
        path = autograded_notebook(course, student, assignment)
        path.parent.mkdir(parents=True)
        nbformat.write(inject(release, answers[student]), path)
    return ids, planted


def scale(args) -> None:
    import nbformat
    from copydetect import CodeFingerprint, compare_files

    from autograder.course import autograded_notebook
    from autograder.similarity import CODE_KGRAM, _Alphabet, answer_cells, code_tokens, read_answers, similarity

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        start = time.perf_counter()
        students, planted = build_class(course, args.assignment, args.students, args.copies)
        print(f"{args.assignment}: {len(students)} synthetic submissions, {len(planted)} planted copies "
              f"(built in {time.perf_counter() - start:.1f} s)")

        start = time.perf_counter()
        notebooks = {s: read_answers(autograded_notebook(course, s, args.assignment)) for s in students}
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        result = similarity(root=course, assignment=args.assignment, students=students)
        seconds = time.perf_counter() - start

        # copydetect's way, compare_files on every pair: timed on a sample of pairs of the longest answer cell
        release = nbformat.read(course / "release" / args.assignment / f"{args.assignment}.ipynb", as_version=4)
        code = [g for g, (kind, _) in answer_cells(release).items() if kind == "code"]
        question = max(code, key=lambda g: len(answer_cells(notebooks[students[0]])[g][1]))
        alphabet = _Alphabet()
        prints = [CodeFingerprint(s, CODE_KGRAM, 1, filter=False,
                                  fp=io.StringIO(alphabet.encode(code_tokens(answer_cells(nb)[question][1]))))
                  for s, nb in itertools.islice(notebooks.items(), 200)]
        sample = list(itertools.combinations(range(len(prints)), 2))[:args.sample]
        start = time.perf_counter()
        for a, b in sample:
            compare_files(prints[a], prints[b])
        per_pair = (time.perf_counter() - start) / len(sample)
        pairs_all = len(students) * (len(students) - 1) // 2

    flagged = {p.students for p in result.flagged}
    print(f"baseline, reading the {len(students)} notebooks: {baseline:.1f} s")
    print(f"similarity ({len(result.questions)} answer cells, {len(result.matches)} rows in the CSV): {seconds:.1f} s "
          f"= {seconds / baseline:.1f} x the baseline")
    minutes = pairs_all * len(result.questions) * per_pair / 60
    print(f"copydetect's all pairs: {pairs_all} pairs x {len(result.questions)} questions x {1e6 * per_pair:.0f} us "
          f"(compare_files, {len(sample)} pairs of {question}) = {minutes:.0f} min, not counting its fingerprints")
    others = sorted(flagged - set(planted))
    print(f"planted pairs flagged: {len(set(planted) & flagged)} of {len(planted)}; other pairs flagged: "
          f"{len(others)}" + (f" {others[:5]}" if others else ""))


def reformatted(text: str) -> str:
    """`text` through ast.unparse, as a reformatter would leave it (comments gone, parentheses and spacing redone)."""
    try:
        return ast.unparse(ast.parse(text)) + "\n"
    except SyntaxError:
        return text


def calibrate(args) -> None:
    import nbformat

    from autograder.course import assignments, release_notebook, source_notebook
    from autograder.examples import disguise
    from autograder.mutation import inject, load_mutations, solution_answers
    from autograder.similarity import SimilarityReport, answer_cells, compare_notebooks

    configured = SimilarityReport()
    loose = SimilarityReport(threshold=0.0, min_tokens=1, min_words=1, common=10**9)
    copies, independent = [], []      # (assignment, pair, {question: (score, tokens, kind)})
    for assignment in assignments(ROOT):
        release = nbformat.read(release_notebook(ROOT, assignment), as_version=4)
        source = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
        code = {gid for gid, (kind, _) in answer_cells(release).items() if kind == "code"}
        model = solution_answers(source)
        _, variants = load_mutations(ROOT, assignment)
        students = {"model": model, **{v.name: {**model, **v.cells} for v in variants}}
        notebooks = {}
        for n, (name, answers) in enumerate(students.items()):
            notebooks[name] = inject(release, answers)
            if name != "model":
                edited = {g: disguise(t, seed=n) if g in code else t for g, t in answers.items()}
                notebooks[f"edited copy of {name}"] = inject(release, edited)
                notebooks[f"reformatted copy of {name}"] = inject(
                    release, {g: reformatted(t) if g in code else t for g, t in edited.items()})
        matches, _ = compare_notebooks(notebooks, release_nb=release, source_nb=source, settings=loose)
        found = {}
        for m in matches:
            found.setdefault(m.students, {})[m.question] = (m.score, m.tokens, m.kind)
        for a, b in itertools.combinations(students, 2):
            same = {g for g in students[a] if students[a][g] == students[b].get(g)}  # e.g. a shared written answer
            questions = found.get((a, b)) or found.get((b, a)) or {}
            independent.append((assignment, f"{a} / {b}", {g: x for g, x in questions.items() if g not in same}))
        for name in students:
            for how in ("edited", "reformatted") if name != "model" else ():
                copy = f"{how} copy of {name}"
                copies.append((assignment, copy, found.get((name, copy)) or found.get((copy, name)) or {}))

    def case(questions, threshold, least_code, least_text):
        """(evidence, own tokens shared) of a pair: summed over the questions scoring at least `threshold`."""
        counted = [(t, kind) for score, t, kind in questions.values() if score >= threshold]
        return (sum(t / (least_code if kind == "code" else least_text) for t, kind in counted),
                sum(t for t, _ in counted))

    t, c, w = configured.threshold, configured.min_tokens, configured.min_words
    print(f"{len(copies)} copies of {len(copies) // 2} students (the model answers with one variant), "
          f"{len(independent)} pairs of independent students (the model and the variants); defaults: threshold {t}, "
          f"min_tokens {c}, min_words {w}\n")
    print("copies, weakest case first (evidence: own tokens shared on questions scoring >= threshold, / min_tokens):")
    for assignment, name, questions in sorted(copies, key=lambda r: case(r[2], t, c, w))[:10]:
        ev, tokens = case(questions, t, c, w)
        top = max(questions.values(), default=(0, 0, ""))
        print(f"  {assignment:24} {name:66} evidence {ev:4.2f} ({tokens} shared; best question {top[0]:.2f})")
    print("\nindependent students, strongest case first:")
    for assignment, name, questions in sorted(independent, key=lambda r: case(r[2], t, c, w), reverse=True)[:8]:
        ev, tokens = case(questions, t, c, w)
        top = max(questions.values(), default=(0, 0, ""))
        print(f"  {assignment:24} {name:66} evidence {ev:4.2f} ({tokens} shared; best question {top[0]:.2f}, "
              f"{top[1]} tokens)")
    lowest = min((q[0] for _, _, qs in copies for q in qs.values() if q[1] >= 10), default=0)
    highest = max((q[0] for _, _, qs in independent for q in qs.values()), default=0)
    print(f"\nscore of a question: lowest of a copy (10 own tokens or more) {lowest:.2f}, highest of two "
          f"independent students {highest:.2f}")
    print("\nflagged (copies of the {} / independent pairs of the {}):".format(len(copies), len(independent)))
    print("  threshold " + "".join(f"  min_tokens {n:<3}" for n in (20, 25, 30, 35, 40, 50)))
    for threshold in (0.6, 0.7, 0.75, 0.8, 0.9):
        cells = []
        for least in (20, 25, 30, 35, 40, 50):
            got = sum(case(q, threshold, least, w)[0] >= 1 for _, _, q in copies)
            bad = sum(case(q, threshold, least, w)[0] >= 1 for _, _, q in independent)
            cells.append(f"  {got:>3} / {bad:<9}")
        print(f"  {threshold:<9}" + "".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="wine_mlp_backprop")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=10, help="planted copied pairs")
    parser.add_argument("--sample", type=int, default=2000, help="pairs timed for copydetect's all-pairs estimate")
    parser.add_argument("--calibrate", action="store_true", help="the measurements behind the default settings")
    args = parser.parse_args()
    calibrate(args) if args.calibrate else scale(args)


if __name__ == "__main__":
    main()
