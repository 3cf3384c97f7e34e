"""Does the similarity report find answers copied between students (renamed, reordered, re-commented), leave
independent correct answers and the provided code alone, and write a CSV and an HTML page no student text can
break?"""
import ast
import csv
import re
import warnings

import nbformat
import pytest

from autograder.course import release_notebook, source_notebook
from autograder.examples import disguise
from autograder.mutation import inject, load_mutations, solution_answers
from autograder.report import similarity_line
from autograder.similarity import (SimilarityReport, code_tokens, compare_answers, compare_notebooks, line_ranges,
                                   pairs, release_names)
from autograder.similarity_page import CSV_COLUMNS, page, write_csv
from conftest import ASSIGNMENTS
from fixtures.coursefolder import REFERENCE, ROOT, main, make_course, make_gradebook

A = REFERENCE
RELEASE = nbformat.read(release_notebook(ROOT, A), as_version=4)
SOURCE = nbformat.read(source_notebook(ROOT, A), as_version=4)
MODEL = solution_answers(SOURCE)
KEEP = release_names(RELEASE)
PROVIDED = tuple(c.source for c in RELEASE.cells if c.cell_type == "code")

# A student's own answer to backward_pass: a helper of their own, then the function the release asks for.
OWN = '''def chain_step(local_derivative, upstream):
    """One step of the chain rule."""
    return local_derivative * upstream


def backward_pass(y, f0, h1, f1, h2, f2, h3, f3, omega1, omega2, omega3):
    dldf3 = 2 * (f3 - y)
    dldh3 = omega3 * dldf3
    # walk back through cos, exp and sin
    dldf2 = chain_step(-np.sin(f2), dldh3)
    dldh2 = chain_step(omega2, dldf2)
    dldf1 = chain_step(np.exp(f1), dldh2)
    dldh1 = chain_step(omega1, dldf1)
    dldf0 = chain_step(np.cos(f0), dldh1)
    return dldf3, dldh3, dldf2, dldh2, dldf1, dldh1, dldf0
'''
RENAMED = (OWN.replace("local_derivative", "d").replace("upstream", "g").replace("dldf2", "a2")
           .replace("dldh2", "b2").replace("dldf1", "a1").replace("dldh1", "b1").replace("dldf0", "a0"))
REORDERED = OWN.split("\n\n\n")[1] + "\n\n" + OWN.split("\n\n\n")[0] + "\n"
RECOMMENTED = OWN.replace("    # walk back through cos, exp and sin\n", "").replace(
    "dldh3 = omega3 * dldf3\n", "dldh3 = omega3 * dldf3  # output layer first\n    # then the hidden ones\n")
REFORMATTED = ast.unparse(ast.parse(OWN)) + "\n"   # what black or an IDE's "format" leaves: parentheses, spacing
WHITESPACE = OWN.replace(" = ", "=").replace(", ", ",").replace("\n    dldf2", "\n\n    dldf2")
COPIES = {"renamed variables": RENAMED, "functions in another order": REORDERED, "comments rewritten": RECOMMENTED,
          "whitespace changed": WHITESPACE, "reformatted": REFORMATTED,
          "all of it (examples.disguise)": disguise(OWN, 3)}


def backward(answers: dict[str, str], settings=None):
    return compare_answers(answers, question="backward_pass", provided=PROVIDED, expected=tuple(MODEL.values()),
                           keep=KEEP, settings=settings)


def test_renamed_code_tokens_are_the_same():
    """Do renamed locals, comments, layout and parentheses leave the tokens as they were, while a different numpy
    function, attribute or keyword argument changes them?"""
    symbols = lambda text: [t.symbol for t in code_tokens(text, frozenset({"np"}))]
    base = symbols("def f(x):\n    y = np.sin(x) * (x + 1)  # note\n    return y.T, np.sum(y, axis=0)\n")
    assert symbols("def f(x):\n\n    out=np.sin( x )*(x+1)\n    return (out.T, np.sum(out, axis=0))\n") == base
    assert symbols("def f(x):\n    y = np.exp(x) * (x + 1)\n    return y.T, np.sum(y, axis=0)\n") != base
    assert symbols("def f(x):\n    y = np.sin(x) * (x + 1)\n    return y.T, np.sum(y, axis=1)\n") != base
    assert symbols("def f(x):\n    y = np.sin(x) * (x + 1)\n    return y.T, np.sum(y, out=0)\n") != base
    assert symbols("def f(x:\n    return 'unclosed") != []       # broken code is read too


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_copy_is_flagged(how):
    """Is a copy of another student's answer flagged, whether its variables were renamed, its functions put in
    another order, its comments or whitespace changed, or it was reformatted?"""
    found = backward({"aa0001": OWN, "aa0002": COPIES[how], "aa0003": MODEL["backward_pass"]})
    assert [(m.students, m.flagged) for m in found] == [(("aa0001", "aa0002"), True)]
    assert found[0].score >= 0.9 and found[0].tokens >= SimilarityReport().min_tokens


def test_a_planted_copy_among_example_notebooks_is_the_one_pair_flagged():
    """Among notebooks with the model answers, a blank one, other correct answers and a disguised copy of them,
    is the copy's pair the only one flagged, on every question where the copied student wrote their own code?"""
    from autograder.examples import other_answers

    others = other_answers(ROOT, A, SOURCE)
    code = {g for g, t in others.items() if t != MODEL[g]}
    notebooks = {"aa0001": inject(RELEASE, MODEL), "aa0003": RELEASE, "aa0004": inject(RELEASE, others),
                 "aa0005": inject(RELEASE, MODEL),
                 "zz9999": inject(RELEASE, {g: disguise(t, n) for n, (g, t) in enumerate(others.items())})}
    matches, answers = compare_notebooks(notebooks, release_nb=RELEASE, source_nb=SOURCE)
    assert code and set(answers) == set(MODEL)
    assert [p.students for p in pairs(matches, SimilarityReport()) if p.flagged] == [("aa0004", "zz9999")]
    assert {m.question for m in matches if m.flagged} == code


def test_the_same_few_lines_in_question_after_question_are_flagged():
    """Are two students flagged who share only a short line of their own per question, but on many questions,
    while one such line alone is not?"""
    line = '    print("debugging", np.linalg.norm(y - {n}), y * 123456, y - 987654)\n    return'
    one = backward({"aa0001": MODEL["backward_pass"].replace("    return", line.format(n=1)),
                    "aa0002": MODEL["backward_pass"].replace("    return", line.format(n=1))})
    assert one and not any(m.flagged for m in one) and one[0].score == 1.0
    notebooks = {s: inject(RELEASE, {g: MODEL[g].replace("    return", line.format(n=n)) for n, g in enumerate(MODEL)})
                 for s in ("aa0001", "aa0002")}
    matches, _ = compare_notebooks(notebooks, release_nb=RELEASE, source_nb=SOURCE)
    assert len(matches) == 3 and all(m.flagged and m.tokens < SimilarityReport().min_tokens for m in matches)
    assert sum(m.tokens for m in matches) >= SimilarityReport().min_tokens


def independent_students(assignment: str) -> tuple[object, object, dict[str, object]]:
    """The model answers, and the model answers with each variant of tests/mutations/<a>.py: other correct
    answers, written independently (a cell two variants hand in alike, like a template's written answer, is the
    model's in both)."""
    release = nbformat.read(release_notebook(ROOT, assignment), as_version=4)
    source = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    model = solution_answers(source)
    _, variants = load_mutations(ROOT, assignment)
    shared = {(g, t) for a, b in ((a, b) for a in variants for b in variants if a is not b)
              for g, t in a.cells.items() if b.cells.get(g) == t}
    students = {"model": model, **{v.name: {**model, **{g: t for g, t in v.cells.items() if (g, t) not in shared}}
                                   for v in variants}}
    return release, source, {name: inject(release, answers) for name, answers in students.items()}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_independent_correct_answers_are_not_flagged(assignment):
    """Is no pair flagged among students who hand in the model answers or another correct answer (the variants
    of the mutation tests), even in a class too small for any passage to be common?"""
    release, source, notebooks = independent_students(assignment)
    settings = SimilarityReport(common=10**6)
    matches, _ = compare_notebooks(notebooks, release_nb=release, source_nb=source, settings=settings)
    assert len(notebooks) > 2
    assert [p.students for p in pairs(matches, settings) if p.flagged] == []


def test_provided_code_is_ignored():
    """Are two untouched releases, two students with the model answers and two minimal answers paired on
    nothing, and is an own answer's score counted on its own code only (not the docstring and signature)?"""
    blank = {g: c.source for c in RELEASE.cells for g in [c.metadata.get("nbgrader", {}).get("grade_id")]
             if c.metadata.get("nbgrader", {}).get("solution")}
    assert blank and not backward({"aa0001": blank["backward_pass"], "aa0002": blank["backward_pass"]})
    assert not backward({"aa0001": MODEL["backward_pass"], "aa0002": MODEL["backward_pass"]})
    minimal = blank["backward_pass"].replace("raise NotImplementedError()", "dldf2 = dldh2 = dldf1 = dldh1 = dldf0 = 0")
    assert not any(m.flagged for m in backward({"aa0001": minimal, "aa0002": minimal}))
    notebooks = {"aa0001": RELEASE, "aa0002": RELEASE, "aa0003": inject(RELEASE, MODEL),
                 "aa0004": inject(RELEASE, MODEL)}
    matches, _ = compare_notebooks(notebooks, release_nb=RELEASE, source_nb=SOURCE)
    assert matches == []
    own = lambda body: blank["backward_pass"].replace("    # YOUR CODE HERE\n    raise NotImplementedError()\n", body)
    chained = OWN.split("dldh3 = omega3 * dldf3\n")[1].rsplit("    return", 1)[0]
    products = "".join(f"    {v} = {f} * {w}\n" for v, f, w in (
        ("dldf2", "np.sin(f2) * -1.0", "dldh3"), ("dldh2", "dldf2", "omega2"), ("dldf1", "h2", "dldh2"),
        ("dldh1", "dldf1", "omega1"), ("dldf0", "dldh1", "np.cos(f0)")))
    assert len(blank["backward_pass"].splitlines()) > 15     # a docstring, a signature, provided lines, TODOs
    assert not any(m.flagged for m in backward({"aa0001": own(chained), "aa0002": own(products)}))
    found = backward({"aa0001": own(chained), "aa0002": OWN})    # the same five own lines, nothing else
    assert len(found) == 1 and found[0].shares[0] == 1.0
    assert found[0].lines[0] == line_ranges(own(chained), [(own(chained).index("dldf2 = chain_step"),
                                                            own(chained).index("\n    return dldf3"))])


def test_a_passage_many_share_is_common():
    """Is an own passage found in more than `common` submissions nobody's own (two who also share a short line
    are judged on that line alone), and the same passage in two flagged?"""
    many = {f"aa{n:04d}": OWN for n in range(12)}
    assert backward(many) == []
    assert backward(dict(list(many.items())[:2]))[0].flagged
    assert backward(many, SimilarityReport(common=12))[0].flagged
    line = OWN.replace("    return dldf3,", "    print('here', dldf0 * 4242)\n    return dldf3,")
    found = backward({**many, "aa0000": line, "aa0001": line})
    assert [(m.students, m.tokens, m.flagged) for m in found] == [(("aa0000", "aa0001"), 6, False)]


def test_copied_written_answers_are_flagged():
    """Is a written answer copied with its case and punctuation changed flagged, the release's 'YOUR ANSWER HERE'
    and an independent explanation not?"""
    text = ("The loss went up at first because the learning rate was far too large: each step jumped over the "
            "valley and landed higher on the other side, until the path settled in a worse minimum.")
    copy = text.upper().replace(",", "").replace(":", ";") + "\n\n*(my own words)*"
    other = ("With a large step size the iterates overshoot the minimum, so the objective increases before it "
             "decreases; a smaller learning rate converges more slowly but steadily.")
    found = compare_answers({"aa0001": text, "aa0002": copy, "aa0003": other, "aa0004": "YOUR ANSWER HERE",
                             "aa0005": "YOUR ANSWER HERE"}, question="lr_answer", kind="text",
                            provided=("YOUR ANSWER HERE",))
    assert [(m.students, m.flagged) for m in found] == [(("aa0001", "aa0002"), True)]


HOSTILE = ("</pre></td><script>alert(1)</script><img src=x onerror=alert(2)><a href='javascript:alert(3)'>x</a>"
           "<style>body{display:none}</style><!-- comment -->")


def test_hostile_text_is_escaped_in_the_html():
    """Does the page show a student's markup as text, with no script, handler, link, style or frame of theirs,
    whether it comes in a copied answer or a student id?"""
    hostile = OWN.replace("# walk back through cos, exp and sin", "# " + HOSTILE).replace(
        '"""One step of the chain rule."""', repr(HOSTILE))
    found = backward({"aa0001": hostile, "<b>x</b>": hostile})
    assert found and found[0].flagged
    text = page(A, pairs(found, SimilarityReport()), {"backward_pass": {"aa0001": hostile, "<b>x</b>": hostile}}, 2,
                SimilarityReport())
    body = text.split("<body>", 1)[1]
    assert not re.search(r"<\s*(script|img|a|iframe|style|b)\b", body, re.IGNORECASE)
    assert not re.search(r"\son[a-z]+\s*=", body.replace("&lt;", "<").split("<pre>")[0], re.IGNORECASE)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;b&gt;x&lt;/b&gt;" in body
    assert body.count("<mark>") == body.count("</mark>") > 0
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_csv_is_well_formed(tmp_path):
    """Does the CSV hold one row per pair and question with its columns, whatever the answers held (commas,
    quotes, newlines)?"""
    nasty = OWN.replace("# walk back through cos, exp and sin", '# a, "b",\n    # =cmd|x!A1, \'c\'')
    found = backward({"aa0001": nasty, "aa0002": disguise(nasty), "aa0003": OWN})
    rows = list(csv.reader(write_csv(tmp_path / "similarity.csv", found).open(newline="")))
    assert rows[0] == CSV_COLUMNS and len(rows) == len(found) + 1 == 4
    assert all(len(r) == len(CSV_COLUMNS) for r in rows)
    assert {(r[0], r[1]) for r in rows[1:]} == {m.students for m in found}
    assert all(re.fullmatch(r"\d+(-\d+)?(, \d+(-\d+)?)*", r[8]) and float(r[4]) <= 1 for r in rows[1:])


def test_similarity_through_the_cli(tmp_path):
    """Does `python -m autograder similarity` compare the graded submissions of the gradebook, write the CSV and
    the page under reports/<a>/, name the flagged pair, and does `report` then mention it (and say when a
    submission was graded after it)?"""
    import os

    from nbgrader.api import Gradebook

    course = make_course(tmp_path / "course")
    make_gradebook(course)
    students = {"aa0001": MODEL, "aa0002": {**MODEL, "backward_pass": OWN},
                "aa0003": {**MODEL, "backward_pass": disguise(OWN, 7)}, "aa0004": {}}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "deep-learning-numpy") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's SAWarnings from nbgrader's add_submission
        for student, answers in students.items():
            gb.add_student(student)
            gb.add_submission(A, student)
            for folder in ("submitted", "autograded"):
                path = course / folder / student / A / f"{A}.ipynb"
                path.parent.mkdir(parents=True)
                nbformat.write(inject(RELEASE, answers), path)
    (course / "autograded" / "aa0005" / A).mkdir(parents=True)  # not in the gradebook: not compared
    nbformat.write(inject(RELEASE, {"backward_pass": OWN}), course / "autograded" / "aa0005" / A / f"{A}.ipynb")
    code, out, err = main(course, "similarity", A)
    assert code == 0, err
    assert "4 graded submissions compared" in out and "1 pair flagged" in out and "aa0002 and aa0003" in out
    rows = list(csv.DictReader((course / "reports" / A / "similarity.csv").open(newline="")))
    assert {(r["student_a"], r["student_b"], r["question"], r["flagged"]) for r in rows} == {
        ("aa0002", "aa0003", "backward_pass", "yes")}
    assert "aa0002 and aa0003" in (course / "reports" / A / "similarity.html").read_text()
    folder = course / "reports" / A
    assert similarity_line(course, A, folder) == f"similarity report: reports/{A}/similarity.html (1 pair flagged " \
                                                 "for review)"
    code, out, err = main(course, "report", A, "--no-feedback")
    assert code == 0, err
    assert f"similarity report: reports/{A}/similarity.html (1 pair flagged for review)" in out
    later = (folder / "similarity.csv").stat().st_mtime + 10
    os.utime(course / "autograded" / "aa0001" / A / f"{A}.ipynb", (later, later))
    assert "1 submission graded since" in similarity_line(course, A, folder)
