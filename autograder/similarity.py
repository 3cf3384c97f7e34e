"""similarity: answers copied between students, question by question, for the TA to review.

`python -m autograder similarity <a>` compares the answer cells (nbgrader `solution: true`, by grade_id) of every
pair of graded submissions (in the gradebook, with an autograded notebook) and writes

  reports/<a>/similarity.csv   one row per pair and question that share work of their own (a score of at least
                               `threshold`, or `min_tokens` tokens): the two students, the question, the kind
                               (code or text), the score, each one's share, the tokens shared, the matched lines
                               of each answer, and whether the pair is flagged there
  reports/<a>/similarity.html  the `top` flagged pairs, their answers side by side, the shared code marked

A flag is a hint to look, never a verdict: students who worked together, or who wrote the one obvious line, look
alike too. Nothing leaves the machine.

How pairs are found (MOSS's method: fingerprints of k consecutive tokens, Schleimer, Wilkerson and Aiken 2003):

- Code is read as Python tokens (`python_tokens`: the tokens Python's tokenize finds, 3 to 6 times faster, and
  code with a syntax error too): comments, blank lines, layout and parentheses are dropped, every string is S and
  every local name V; keywords, operators, numbers, attribute names (`np.sin` stays `np.sin`), keyword-argument
  names, builtins and the names of the release's modules and functions (np, the provided functions, the
  functions the answers must define) stay as they are. So renamed variables, rewritten comments, changed
  whitespace and a reformatter (black, ast.unparse) change nothing; a fingerprint spans a statement or two
  (CODE_KGRAM = 10 tokens), so functions in another order only change the fingerprints across their border.
  Written (markdown) answers are compared too, as runs of TEXT_KGRAM = 5 words (lower case; punctuation,
  markdown and LaTeX markup dropped): a copied explanation is as much a copy as copied code (`written`).
- What is nobody's own is no evidence, and is taken out of both sides before anything is counted: the release
  (every provided cell, the signatures, docstrings, TODO comments, `# YOUR CODE HERE`, `raise
  NotImplementedError()`, "YOUR ANSWER HERE"), the model answers of the source notebook (`ignore_model`: the
  TODOs prescribe the form of most answers here, so independent correct answers converge on the model's lines),
  and every passage found in more than `common` submissions (MOSS's -m: what many write is common knowledge,
  and it would pair everyone with everyone). Two blank answers, or two students who both wrote the model answer,
  share nothing of their own and are never paired.
- A student's own work on a question is the tokens that no fingerprint of the release, the model answers or a
  common passage covers (so the code around an own line is not counted with it). The score of a pair on a
  question is the larger of the two shares of own work found in the other's answer (a copy with code added is
  still found from the side copied). A question counts against the pair when its score is at least
  `threshold`; the pair is flagged when the questions that count share, together, `min_tokens` code tokens of
  their own (`min_words` words of written answers; a mix counts pro rata): a line or two in common is no
  evidence, but the same few own lines in answer after answer are.
- Scale: no pair is compared unless it shares a fingerprint of its own. An inverted index from each fingerprint
  to the answers holding it gives the candidate pairs (at most common x (common - 1) / 2 per fingerprint), and
  only those are scored: for a class of 1,000 that is a few thousand comparisons a question instead of half a
  million.

Library: copydetect (a winnowing fingerprint tool in the style of MOSS, pinned in requirements.txt) makes each
answer's fingerprints (`CodeFingerprint` over one character per token; window 1: every k-gram is kept, so the
result does not depend on Python's per-process string hashes as winnowed minima would) and scores a candidate
pair and finds the matched slices (`compare_files`). Not used: its tokenizer (pygments, which makes every name V,
attributes included, so `np.sin(x)` and `np.exp(x)` are the same and independent numpy answers collide), its
driver (all pairs: 500k `compare_files` a question for a class of 1,000, about 42 minutes for one assignment of
33 answer cells, measured below), and its boilerplate option (`np.intersect1d(..., assume_unique=True)` on
hashes that repeat drops a student's repeated fingerprint along with the boilerplate). Writing it all on
`tokenize`/`ast` was the alternative: the tokens here are tokenize's (scanned faster), and the fingerprint and
overlap code is what copydetect already does and tests.

Defaults, measured (`.venv/bin/python benchmarks/similarity.py --calibrate`) on synthetic classes made as the
mutation tests make them: per assignment, a student with the model answers and one per variant of
tests/mutations/<a>.py (the model answers with that variant's cells: other correct answers, written
independently, which must not be flagged), and two copies of each variant student (local names renamed,
functions reordered, comments rewritten and blank lines added by editing the text; and the same through
ast.unparse, as a reformatter leaves it): 106 copies of 53 students and 277 pairs of independent students over
the 6 assignments, every fingerprint kept however common.

  - independent students share nothing of their own, but for two prescribed configs both written as dict(...):
    32 tokens at 0.94 (mnist_two_layer_net's softmax_training);
  - copies score 0.93 or more on every question with 10 own tokens or more; 82 of the 106 share 41 to 184 own
    tokens, the other 24 share 33 or fewer: those copy a variant that differs from the model answers by a line
    or three, which cannot be told from two students writing those lines;
  - so min_tokens = 40 (34 to 41 flag the same 82 copies and no independent pair; 32 or less flags the two
    configs too) and threshold = 0.75 (every value from 0.6 to 0.9 gives the same result here; it keeps a short
    passage inside two long answers of their own from counting);
  - written answers: model answers of different questions (one author) share at most 0.19 of their words;
    min_words = 20 (a sentence or two of one's own, word for word in runs of five, is no accident).

Scale (`.venv/bin/python benchmarks/similarity.py`: 1,000 synthetic submissions of wine_mlp_backprop, 33 answer
cells, 10 planted copies; one process, on a quiet 2-core machine): 15.5 s, 8.4 times the 1.8 s it took to read
the 1,000 notebooks in the same run (44 s against 5.1 s, 8.7x, with the machine loaded by other work); the 10
planted pairs flagged and no other. copydetect's all-pairs driver would take about 42 minutes for the same class
(499,500 pairs x 33 questions x 152 us a compare_files, its fingerprints not counted; twice that under load).
"""
from __future__ import annotations

import ast
import bisect
import builtins
import io
import keyword
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
from traitlets import Bool, Float, Integer
from traitlets.config import LoggingConfigurable

from .course import CourseError, autograded_notebook, check_assignment, release_notebook, source_notebook
from .gradebook import submitted_students
from .mutation import solution_answers
from .nbconfig import load_config
from .readnotebook import NotebookFileError, parse_json, read_bytes
from .report import ReportGrades
from .similarity_page import page, percent, write_csv, write_html

CODE_KGRAM = 10      # tokens in one fingerprint of code
TEXT_KGRAM = 5       # words in one fingerprint of a written answer


class SimilarityReport(LoggingConfigurable):
    """Settings of `python -m autograder similarity` (c.SimilarityReport.* in nbgrader_config.py)."""

    threshold = Float(0.75, help="A question counts against a pair when at least this share (0..1) of one "
                      "student's own work there is found in the other's answer").tag(config=True)
    min_tokens = Integer(40, help="A pair is flagged when the questions that count share, together, at least this "
                         "many code tokens of their own (a line of code is about 10): a line or two in common is no "
                         "evidence").tag(config=True)
    min_words = Integer(20, help="... or this many words of their own in written (markdown) answers (a mix of code "
                        "and words counts pro rata)").tag(config=True)
    top = Integer(20, help="Flagged pairs shown side by side in similarity.html, strongest first (every pair is in "
                  "similarity.csv)").tag(config=True)
    common = Integer(10, help="A passage found in more submissions than this is common (the obvious way to write "
                     "it, a lecture's snippet) and is ignored, as MOSS does").tag(config=True)
    ignore_model = Bool(True, help="The model answers of the source notebook are no one's own code: independent "
                        "correct answers converge on them. False: they count like any other code (to look for "
                        "a leaked solution)").tag(config=True)
    written = Bool(True, help="Compare the hand-graded written (markdown) answers too, by runs of words"
                   ).tag(config=True)


# ---------------------------------------------------------------------------------------------------------------
# tokens

@dataclass(frozen=True)
class Token:
    symbol: str
    start: int      # character offsets in the answer's text
    end: int


BUILTIN_NAMES = frozenset(dir(builtins))
_SCAN = re.compile(r"(?P<skip>#[^\n]*|\\\r?\n)"                                       # comments, line continuations
                   r"|(?P<string>(?:[rRbBuUfF]{1,2})?(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\""
                   r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"))"
                   r"|(?P<number>0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][-+]?\d[\d_]*)?[jJ]?)"
                   r"|(?P<name>[^\W\d]\w*)"
                   r"|(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^<>=!]=|\.\.\.|\S)")
_WORD = re.compile(r"[^\W_]+")


def _line_starts(text: str) -> list[int]:
    starts, total = [0], 0
    for line in text.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def python_tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of the Python tokens of `text`, comments and layout left out: the tokens Python's
    own tokenize finds (the same on every cell of source/, release/ and tests/mutations/), 3 to 6 times faster,
    one string per f-string on every Python version, and code with a syntax error is read too."""
    return [(m.lastgroup, m.group(), m.start(), m.end()) for m in _SCAN.finditer(text) if m.lastgroup != "skip"]


def code_tokens(text: str, keep: frozenset[str] = frozenset()) -> list[Token]:
    """The tokens of Python `text` as fingerprints see them: comments, layout and parentheses dropped, strings S,
    local names V; keywords, operators, numbers, attribute and keyword-argument names, builtins and the names in
    `keep` as they are."""
    raw = python_tokens(text)
    out, depth = [], 0
    for i, (kind, string, start, end) in enumerate(raw):
        if kind == "op":
            if string in ("(", ")"):
                depth += 1 if string == "(" else -1 if depth else 0
                continue
            depth += (string in "[{") - (string in "]}" and depth > 0) if len(string) == 1 else 0
            symbol = string
        elif kind == "string":
            symbol = "S"
        elif kind == "name":
            before = raw[i - 1][1] if i else ""
            after = raw[i + 1][1] if i + 1 < len(raw) else ""
            kept = (keyword.iskeyword(string) or before == "." or string in keep or string in BUILTIN_NAMES
                    or (after == "=" and depth > 0))  # a keyword argument: the callee's name for it
            symbol = string if kept else "V"
        else:
            symbol = string
        out.append(Token(symbol, start, end))
    return out


def text_tokens(text: str, keep: frozenset[str] = frozenset()) -> list[Token]:
    """The words of a written answer, lower case (markdown, LaTeX backslashes and punctuation dropped)."""
    return [Token(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


TOKENIZERS = {"code": code_tokens, "text": text_tokens}
KGRAMS = {"code": CODE_KGRAM, "text": TEXT_KGRAM}


def release_names(release_nb) -> frozenset[str]:
    """The modules the release imports and the functions and classes it defines at the top level (provided, or
    to be written by the student): a copy keeps these names, so the fingerprints keep them. Its data variables
    (x, W, ...) are not kept: students reuse such names for their own local variables, which a copy renames."""
    names = set()
    for cell in release_nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    return frozenset(names)


# ---------------------------------------------------------------------------------------------------------------
# fingerprints and matches

class _Alphabet:
    """One character per token symbol, so that copydetect's character k-grams are k-grams of tokens."""

    def __init__(self):
        self.chars: dict[str, str] = {}

    def encode(self, tokens: list[Token]) -> str:
        chars = self.chars
        for t in tokens:
            if t.symbol not in chars:  # below the surrogates; past 55,000 symbols two may share a character
                chars[t.symbol] = chr(0x100 + len(chars) % 0xD700)
        return "".join(chars[t.symbol] for t in tokens)


def _kgram_hashes(encoded: str, k: int) -> set:
    from copydetect.utils import hashed_kgrams

    return set(hashed_kgrams(encoded, k).tolist()) if len(encoded) >= k else set()


def _drop(fp, hashes: set, k: int) -> None:
    """Take `hashes` out of a copydetect CodeFingerprint and recount the tokens its fingerprints cover."""
    from copydetect.utils import get_token_coverage

    gone = fp.hashes & hashes
    if gone:
        fp.hashes -= gone
        for h in gone:
            del fp.hash_idx[h]
        fp.token_coverage = get_token_coverage(fp.hash_idx, k, len(fp.filtered_code))


@dataclass
class _Print:
    student: str
    text: str
    tokens: list[Token]
    fp: object          # copydetect.CodeFingerprint
    kgrams: list        # the hash of the k-gram starting at each token
    own: object = None  # per token: True when no fingerprint of the release, the model or a common passage holds it

    def own_spans(self, cut) -> tuple[list[tuple[int, int]], int]:
        """The runs of own tokens inside copydetect's matched slices (token index pairs), and how many tokens."""
        runs = []
        for start, end in zip(cut[0].tolist(), cut[1].tolist()) if len(cut) else ():
            for i in range(start, min(end, len(self.tokens))):
                if self.own[i]:
                    if runs and runs[-1][1] == i:
                        runs[-1][1] = i + 1
                    else:
                        runs.append([i, i + 1])
        return [(a, b) for a, b in runs], sum(b - a for a, b in runs)


def _own(kgrams: list, nobody: set, k: int, n: int):
    """Per token, whether no k-gram of `nobody` covers it."""
    import numpy as np

    edges = np.zeros(n + 1, dtype=np.int64)
    starts = np.array([i for i, h in enumerate(kgrams) if h in nobody], dtype=np.int64)
    np.add.at(edges, starts, 1)
    np.add.at(edges, np.minimum(starts + k, n), -1)
    return np.cumsum(edges[:n]) == 0


@dataclass(frozen=True)
class Match:
    """Two students' answers to one question that share code (or words) of their own."""
    question: str
    students: tuple[str, str]
    shares: tuple[float, float]   # the share of each one's own tokens that is found in the other's answer
    tokens: int                   # own tokens shared (the smaller count of the two sides)
    spans: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]  # matched characters, each side
    lines: tuple[str, str]        # matched lines of each answer, e.g. "3-7, 10"
    flagged: bool
    kind: str = "code"

    @property
    def score(self) -> float:
        return max(self.shares)


def line_ranges(text: str, spans) -> str:
    """The lines (1-based) of `text` that the character `spans` touch, as '3-7, 10'."""
    starts = _line_starts(text)
    lines = sorted({n for a, b in spans
                    for n in range(bisect.bisect_right(starts, a), bisect.bisect_right(starts, max(a, b - 1)) + 1)})
    runs = []
    for n in lines:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def _least(kind: str, settings: SimilarityReport) -> int:
    return settings.min_tokens if kind == "code" else settings.min_words


def evidence(match: Match, settings: SimilarityReport) -> float:
    """What one question adds to the case against a pair: the own tokens they share there over min_tokens (words
    over min_words), when at least `threshold` of one side's own work there is found in the other's; else 0."""
    return match.tokens / _least(match.kind, settings) if match.score >= settings.threshold else 0.0


def flag(matches, settings: SimilarityReport) -> list[Match]:
    """`matches` with a pair's questions flagged when its evidence, summed over the questions, is 1 or more; only
    the matches that count (score at least `threshold`) or share min_tokens (min_words) are kept."""
    total = defaultdict(float)
    for m in matches:
        total[m.students] += evidence(m, settings)
    return [replace(m, flagged=m.score >= settings.threshold and total[m.students] >= 1.0) for m in matches
            if m.score >= settings.threshold or m.tokens >= _least(m.kind, settings)]


def _known(texts, kind: str, keep: frozenset[str], alphabet: _Alphabet) -> set:
    """Every fingerprint of `texts`: what is nobody's own."""
    known = set()
    for text in texts:
        known |= _kgram_hashes(alphabet.encode(TOKENIZERS[kind](text, keep)), KGRAMS[kind])
    return known


def _matches(answers: dict[str, str], *, question: str, kind: str, known: set, alphabet: _Alphabet,
             keep: frozenset[str], settings: SimilarityReport) -> list[Match]:
    """Every pair of `answers` that shares a fingerprint of its own, scored (not flagged); `known` holds the
    fingerprints that are nobody's own, made with the same `alphabet`."""
    from copydetect import CodeFingerprint, compare_files
    from copydetect.utils import hashed_kgrams

    k, tokenizer = KGRAMS[kind], TOKENIZERS[kind]
    prints = []
    for student, text in answers.items():
        tokens = tokenizer(text, keep)
        encoded = alphabet.encode(tokens)
        if len(encoded) < k:
            continue
        fp = CodeFingerprint(student, k, 1, filter=False, fp=io.StringIO(encoded))
        _drop(fp, known, k)
        if fp.hashes:
            prints.append(_Print(student, text, tokens, fp, hashed_kgrams(encoded, k).tolist()))
    holders = defaultdict(list)           # fingerprint -> the answers holding it: the inverted index
    for i, p in enumerate(prints):
        for h in p.fp.hashes:
            holders[h].append(i)
    common = {h for h, held in holders.items() if len(held) > settings.common}
    nobody = known | common
    for p in prints:
        _drop(p.fp, common, k)
        p.own = _own(p.kgrams, nobody, k, len(p.tokens))
    candidates = set()                    # only answers that share a fingerprint are ever compared
    for held in holders.values():
        if 1 < len(held) <= settings.common:
            candidates.update((held[a], held[b]) for a in range(len(held)) for b in range(a + 1, len(held)))
    matches = []
    for a, b in sorted(candidates):
        pa, pb = prints[a], prints[b]
        _, _, slices = compare_files(pa.fp, pb.fp)
        sides = [p.own_spans(cut) for p, cut in zip((pa, pb), slices)]
        if not (sides[0][1] and sides[1][1]):
            continue
        spans = tuple(tuple((p.tokens[x].start, p.tokens[y - 1].end) for x, y in runs)
                      for p, (runs, _) in zip((pa, pb), sides))
        shares = tuple(round(n / max(1, int(p.own.sum())), 4) for p, (_, n) in zip((pa, pb), sides))
        matches.append(Match(question, (pa.student, pb.student), shares, min(sides[0][1], sides[1][1]), spans,
                             (line_ranges(pa.text, spans[0]), line_ranges(pb.text, spans[1])), False, kind))
    return matches


def _order(m: Match):
    return (not m.flagged, -m.score, -m.tokens, m.students, m.question)


def compare_answers(answers: dict[str, str], *, question: str = "", kind: str = "code", provided=(), expected=(),
                    keep: frozenset[str] = frozenset(), settings: SimilarityReport | None = None) -> list[Match]:
    """The pairs of `answers` (student -> their answer to one question) that share work of their own, flagged
    ones first: `provided` (the release's text) and `expected` (the model answers) are nobody's own, nor is a
    passage found in more than settings.common answers."""
    settings = settings or SimilarityReport()
    alphabet = _Alphabet()
    known = _known((*provided, *expected), kind, keep, alphabet)
    return sorted(flag(_matches(answers, question=question, kind=kind, known=known, alphabet=alphabet, keep=keep,
                                settings=settings), settings), key=_order)


# ---------------------------------------------------------------------------------------------------------------
# notebooks

def answer_cells(nb) -> dict[str, tuple[str, str]]:
    """grade_id -> (cell type, text) of every answer cell (nbgrader `solution: true`; the first of a grade_id) of a
    notebook, as nbformat reads it or as raw JSON (whose cells may be anything: what is not a cell is skipped)."""
    found = {}
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata", {})
        meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
        if not (isinstance(meta, dict) and meta.get("solution") and isinstance(meta.get("grade_id"), str)):
            continue
        source = cell.get("source", "")
        text = "".join(x for x in source if isinstance(x, str)) if isinstance(source, list) else \
            source if isinstance(source, str) else ""
        found.setdefault(meta["grade_id"], ("markdown" if cell.get("cell_type") == "markdown" else "code", text))
    return found


@dataclass(frozen=True)
class Question:
    grade_id: str
    kind: str                  # "code" or "text" (a written answer)
    provided: tuple[str, ...]  # the release's text of that kind: nobody's own
    expected: tuple[str, ...]  # the model answers of that kind (with ignore_model)


def questions(release_nb, source_nb, settings: SimilarityReport) -> list[Question]:
    """The answer cells of the release, in order, with what is nobody's own in each kind."""
    cells = answer_cells(release_nb)
    kinds = {gid: "text" if cell_type == "markdown" else "code" for gid, (cell_type, _) in cells.items()}
    model = solution_answers(source_nb) if settings.ignore_model else {}
    out = []
    for gid, kind in kinds.items():
        if kind == "text" and not settings.written:
            continue
        cell_type = "markdown" if kind == "text" else "code"
        provided = tuple(c.source for c in release_nb.cells if c.cell_type == cell_type)
        out.append(Question(gid, kind, provided, tuple(t for g, t in model.items() if kinds.get(g) == kind)))
    return out


def compare_notebooks(notebooks: dict[str, object], *, release_nb, source_nb,
                      settings: SimilarityReport | None = None) -> tuple[list[Match], dict[str, dict[str, str]]]:
    """Compare the answers of `notebooks` (student -> notebook) question by question: (matches, the answers
    compared: question -> student -> text)."""
    settings = settings or SimilarityReport()
    keep = release_names(release_nb)
    cells = {student: answer_cells(nb) for student, nb in notebooks.items()}
    matches, answers, known, alphabet = [], {}, {}, _Alphabet()
    for q in questions(release_nb, source_nb, settings):
        if q.kind not in known:   # the same for every question of a kind
            known[q.kind] = _known((*q.provided, *q.expected), q.kind, keep, alphabet)
        answers[q.grade_id] = {s: c[q.grade_id][1] for s, c in sorted(cells.items()) if q.grade_id in c}
        matches += _matches(answers[q.grade_id], question=q.grade_id, kind=q.kind, known=known[q.kind],
                            alphabet=alphabet, keep=keep, settings=settings)
    return sorted(flag(matches, settings), key=_order), answers


@dataclass(frozen=True)
class Pair:
    """Two students and the questions on which they share work of their own."""
    students: tuple[str, str]
    matches: tuple[Match, ...]     # flagged questions first, highest score first
    evidence: float                # summed over the questions (see `evidence`): flagged from 1

    @property
    def flagged(self) -> bool:
        return any(m.flagged for m in self.matches)

    @property
    def score(self) -> float:
        return max(m.score for m in self.matches)

    @property
    def tokens(self) -> int:
        """Own tokens (and words) shared on the flagged questions."""
        return sum(m.tokens for m in self.matches if m.flagged)


def pairs(matches, settings: SimilarityReport) -> list[Pair]:
    """The matches grouped by pair: flagged pairs first, the strongest case first."""
    grouped = defaultdict(list)
    for m in matches:
        grouped[m.students].append(m)
    found = [Pair(s, tuple(sorted(ms, key=_order)), round(sum(evidence(m, settings) for m in ms), 4))
             for s, ms in grouped.items()]
    return sorted(found, key=lambda p: (not p.flagged, -p.evidence, -p.score, p.students))


@dataclass(frozen=True)
class Similarity:
    assignment: str
    students: tuple[str, ...]      # the submissions compared
    questions: tuple[str, ...]
    matches: tuple[Match, ...]     # every pair and question sharing enough of their own, flagged first
    skipped: tuple[str, ...]       # "student: why" of graded submissions whose notebook could not be read
    csv: Path
    html: Path
    seconds: float
    settings: SimilarityReport | None = None

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return tuple(pairs(self.matches, self.settings or SimilarityReport()))

    @property
    def flagged(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.flagged)


# ---------------------------------------------------------------------------------------------------------------
# the verb

def read_answers(path: Path) -> dict:
    """The notebook at `path` as JSON, read by the project's one reader (links, FIFOs and devices refused, a size
    limit); only its cells' sources and metadata are used, so nbformat's validation is skipped."""
    return parse_json(read_bytes(path), where=str(path))


def graded_students(root: Path, assignment: str, config) -> list[str]:
    """Students with a submission of `assignment` in the gradebook and an autograded notebook."""
    students = submitted_students(config, assignment)
    return [s for s in students if os.path.lexists(autograded_notebook(root, s, assignment))]


def similarity(*, root: Path, assignment: str, students: list[str] | None = None) -> Similarity:
    """Compare every pair of graded submissions of `assignment` question by question; write
    reports/<a>/similarity.csv and similarity.html. `students`: these autograded notebooks instead of every
    graded submission in the gradebook."""
    start = time.perf_counter()
    check_assignment(root, assignment)
    config = load_config(root)
    settings = SimilarityReport(config=config)
    names = sorted(set(students)) if students is not None else graded_students(root, assignment, config)
    if not names:
        raise CourseError(f"no graded submissions of {assignment}: run `python -m autograder grade {assignment}`")
    release_path = release_notebook(root, assignment)
    if not release_path.is_file():
        raise CourseError(f"{release_path}: no release; run `python -m autograder release {assignment}` first")
    release_nb = nbformat.read(release_path, as_version=4)
    source_nb = nbformat.read(source_notebook(root, assignment), as_version=4)
    notebooks, skipped = {}, []
    for student in names:
        try:
            notebooks[student] = read_answers(autograded_notebook(root, student, assignment))
        except NotebookFileError as exc:
            skipped.append(f"{student}: {exc.problem}")
    matches, answers = compare_notebooks(notebooks, release_nb=release_nb, source_nb=source_nb, settings=settings)
    folder = root / ReportGrades(config=config).folder / assignment
    csv_path = write_csv(folder / "similarity.csv", matches)
    html_path = write_html(folder / "similarity.html", page(assignment, pairs(matches, settings), answers,
                                                             len(notebooks), settings))
    return Similarity(assignment, tuple(notebooks), tuple(answers), tuple(matches), tuple(skipped), csv_path,
                      html_path, time.perf_counter() - start, settings)


def pair_lines(result: Similarity) -> list[str]:
    """One line per flagged pair: 'aa0004 and zz9999: 288 tokens of their own shared (backward_pass 100%, ...)'."""
    return [f"{p.students[0]} and {p.students[1]}: {p.tokens} tokens and words of their own shared ("
            + ", ".join(f"{m.question} {percent(m.score)}" for m in p.matches if m.flagged) + ")"
            for p in result.flagged]


__all__ = ["Match", "Pair", "Similarity", "SimilarityReport", "code_tokens", "compare_answers", "compare_notebooks",
           "pair_lines", "similarity", "text_tokens"]
