"""Does report write the grades CSV, the Canvas import CSV, the repairs log, feedback that shows test names and
messages but never hidden test code, and the score histograms?"""
import csv
import shutil

import nbformat
import pytest

from autograder.core import Graded
from autograder.report import Row, canvas_notes, hidden_test_lines, page_text, score_table, write_canvas
from fixtures.coursefolder import (REFERENCE, ROOT, SUBMISSIONS, WRITTEN, add_written_answer, cli, main, make_course,
                                   make_gradebook, with_written_answer)


A = REFERENCE


def test_score_table_shows_penalty_and_total():
    """Does the printed table show each student's points, late penalty and total?"""
    table = score_table([Graded("aa0001", "graded", 20, 20, 6, ("r1", "r2")), Graded("aa0002", "timed out", 0, 20, 0)])
    lines = table.splitlines()
    assert lines[0].split() == ["student", "status", "points", "late", "total", "repairs"]
    assert lines[1].split() == ["aa0001", "graded", "20/20", "-6", "14", "2"]
    assert lines[2].split() == ["aa0002", "timed", "out", "0/20", "0"]


def test_canvas_csv_matches_students_by_lms_id_or_login(tmp_path):
    """Is the Canvas file in Canvas's import layout, with LMS ids where known and logins otherwise?"""
    rows = [Row("aa0001", {}, 20, 6, 14, 20, "", "graded", 0, "12345", "doejane"),
            Row("aa0002", {}, 6, 0, 6, 20, "", "graded", 0, "", "")]
    lines = list(csv.reader(write_canvas(tmp_path / "canvas.csv", rows, "Lab 7 (4242)", 20).open()))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 7 (4242)"]
    assert lines[1] == ["    Points Possible", "", "", "", "", "20"]
    assert lines[2] == ["doejane", "12345", "", "aa0001", "", "14"]
    assert lines[3] == ["aa0002", "", "", "aa0002", "", "6"]


def test_canvas_notes_say_what_canvas_cannot_match():
    """Do the notes say when the assignment's Canvas id is not configured (or not in the column) and which
    students have no Canvas user id, and stay quiet when the column is Canvas's 'Name (id)' and all are known?"""
    rows = [Row("aa0001", {}, 20, 6, 14, 20, "", "graded", 0, "12345", "doejane"),
            Row("aa0002", {}, 6, 0, 6, 20, "", "graded", 0, "", "")]
    notes = canvas_notes(rows, A, {})
    assert len(notes) == 2 and "Canvas id of toy_chain_backprop is not configured" in notes[0]
    assert "NEW assignment" in notes[0] and "c.ReportGrades.canvas_columns" in notes[0]
    assert "no Canvas user id for 1 student (aa0002;" in notes[1]
    assert canvas_notes(rows[:1], A, {A: "Lab 7 (4242)"}) == []
    assert "does not end with the Canvas id" in canvas_notes(rows[:1], A, {A: "Lab 7"})[0]


FLAGS = [{"code": "patch-numpy", "severity": "attempt", "cell": "forward_pass", "message": "patches numpy"},
         {"code": "patched-at-runtime", "severity": "attempt", "cell": "test_a", "message": "np.allclose changed"},
         {"code": "patched-at-runtime", "severity": "attempt", "cell": "test_b", "message": "np.allclose changed"},
         {"code": "timeout", "severity": "limit", "cell": "7", "message": "ran over the per-cell time limit"},
         {"code": "write-files", "severity": "notice", "cell": "plots", "message": "writes files"}]


def test_flags_at_or_above_a_severity():
    """Are notices left out at the course's threshold ("limit"), and only attempts kept at "attempt"?"""
    from autograder.gradebook import at_least

    assert [f["code"] for f in at_least(FLAGS, "limit")] == ["patch-numpy", "patched-at-runtime",
                                                             "patched-at-runtime", "timeout"]
    assert {f["severity"] for f in at_least(FLAGS, "attempt")} == {"attempt"}
    assert at_least(FLAGS, "notice") == FLAGS


def test_flags_are_one_short_line():
    """Does the TA's line name severity, code and cells, each kind once?"""
    from autograder.gradebook import describe_flags

    assert describe_flags(FLAGS[:4]) == ("attempt patch-numpy (forward_pass); attempt patched-at-runtime "
                                         "(test_a, test_b); limit timeout (7)")


def _autograded(course, student: str, flags: list) -> None:
    path = course / "autograded" / student / A / f"{A}.ipynb"
    path.parent.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["autograder"] = {"status": "graded", "flags": flags}
    nbformat.write(nb, path)


def test_flags_csv_and_summary(tmp_path):
    """Does flags.csv list every flag, most serious first, and grade's summary only those at the threshold?"""
    from autograder.report import flag_lines, write_flags

    course = make_course(tmp_path / "course")
    _autograded(course, "aa0001", FLAGS)
    _autograded(course, "aa0002", FLAGS[4:])  # a notice only
    _autograded(course, "aa0003", [])
    rows = list(csv.DictReader(write_flags(tmp_path / "flags.csv", course, A, ["aa0001", "aa0002", "aa0003"]).open()))
    assert [(r["student"], r["severity"], r["code"]) for r in rows] == [
        ("aa0001", "attempt", "patch-numpy"), ("aa0001", "attempt", "patched-at-runtime"),
        ("aa0001", "attempt", "patched-at-runtime"), ("aa0001", "limit", "timeout"),
        ("aa0001", "notice", "write-files"), ("aa0002", "notice", "write-files")]
    assert rows[0]["cell"] == "forward_pass" and rows[0]["message"] == "patches numpy"
    lines = flag_lines(root=course, assignment=A, students=["aa0003", "aa0002", "aa0001"])
    assert lines == ["aa0001  attempt patch-numpy (forward_pass); attempt patched-at-runtime (test_a, test_b); "
                     "limit timeout (7)"]


def test_grades_csv_has_a_flags_column(tmp_path):
    """Does grades.csv end with a flags column describing each student's flags (empty without)?"""
    from autograder.report import write_grades

    rows = [Row("aa0001", {"q": 1.0}, 1, 0, 1, 2, "", "graded", 0, "", "", tuple(FLAGS[:1])),
            Row("aa0002", {"q": 2.0}, 2, 0, 2, 2, "", "graded", 0, "", "")]
    lines = list(csv.reader(write_grades(tmp_path / "grades.csv", rows, ["q"]).open()))
    assert lines[0][-2:] == ["repairs", "flags"]
    assert [line[-1] for line in lines[1:]] == ["attempt patch-numpy (forward_pass)", ""]


def test_page_text_joins_highlighted_code():
    """Is code split into highlighting spans read back as its line (so hidden lines cannot hide in markup)?"""
    html = '<pre><span class="n">_rng</span> <span class="o">=</span> <span class="n">np</span>.rng(<span>1</span>)</pre>'
    assert page_text(html) == "_rng = np.rng(1)"


def test_hidden_test_lines_are_known():
    """Are there hidden-test lines to look for, and does the release show none of them?"""
    secret = hidden_test_lines(ROOT, A)
    assert secret
    release = (ROOT / "release" / A / f"{A}.ipynb").read_text()
    assert not [line for line in secret if line in release]


def test_tracebacks_are_cut_to_their_message():
    """Does HideTracebacks reduce a test cell's error to name and message, and drop stderr lines quoting code?"""
    from autograder.preprocessors.hidetracebacks import HideTracebacks

    test = nbformat.v4.new_code_cell("x = secret_reference(3)\nassert x == 4, 'x is off by one'")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "test_x", "points": 1, "solution": False,
                                 "locked": True, "schema_version": 3}
    test.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="x is off by one",
                                           traceback=["----> 2 assert x == 4, 'x is off by one'", "AssertionError"]),
                    nbformat.v4.new_output("stream", name="stderr",
                                           text="RuntimeWarning: overflow\n  x = secret_reference(3)\n")]
    other = nbformat.v4.new_code_cell("1/0")
    other.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                            traceback=["----> 1 1/0"])]
    nb = nbformat.v4.new_notebook(cells=[test, other])
    nb, _ = HideTracebacks()(nb, {})
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: x is off by one"]
    assert nb.cells[0].outputs[1].text == "RuntimeWarning: overflow\n"
    assert nb.cells[1].outputs[0].traceback == ["----> 1 1/0"]


def test_missing_gradebook(tmp_path):
    """Does report without a gradebook say to release first?"""
    course = make_course(tmp_path / "course")
    code, _, err = main(course, "report", A)
    assert code == 2 and "no gradebook" in err


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """A test course after collect (plain and Canvas names), grade and report."""
    course = make_course(tmp_path_factory.mktemp("report") / "course")
    make_gradebook(course)
    download = course.parent / "download"
    download.mkdir()
    for name, fixture in {f"{A}_aa0001.ipynb": "full_marks",
                          f"doejane_12345_999_{A}_aa0002.ipynb": "partial_marks",
                          f"roesam_LATE_67890_998_{A}_aa0003.ipynb": "full_marks",
                          f"Copy of {A}_aa0004.ipynb": "damaged_by_colab"}.items():
        shutil.copy(SUBMISSIONS / f"{fixture}.ipynb", download / name)
    hostile = nbformat.read(SUBMISSIONS / "full_marks.ipynb", as_version=4)  # writes a line of a hidden test
    answer = next(c for c in hostile.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source += "\n# " + min(hidden_test_lines(ROOT, A), key=len)
    nbformat.write(hostile, download / f"{A}_aa0005.ipynb")
    (course.parent / "times.csv").write_text(f"file,submitted_at\nroesam_LATE_67890_998_{A}_aa0003.ipynb,"
                                             "2025-03-14 19:00\n")
    cli(course, "collect", A, str(download), "--times", str(course.parent / "times.csv"), check=True)
    cli(course, "grade", A, check=True)
    done = cli(course, "report", A, check=True)
    return course, done


@pytest.mark.slow
def test_grades_csv(reported):
    """Does grades.csv hold each question's points, the penalty and the total of every student?"""
    course, done = reported
    assert f"reports/{A}/grades.csv" in done.stdout
    rows = {r["student"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    assert list(next(iter(rows.values())))[:4] == ["student", "test_forward_pass", "test_backward_pass",
                                                   "test_parameter_derivatives"]
    got = {s: (r["test_forward_pass"], r["test_backward_pass"], r["late_penalty"], r["total"]) for s, r in rows.items()}
    assert got == {"aa0001": ("6", "8", "0", "20"), "aa0002": ("6", "0", "0", "6"),
                   "aa0003": ("6", "8", "6", "14"), "aa0004": ("6", "8", "0", "20"),
                   "aa0005": ("6", "8", "0", "20")}
    assert int(rows["aa0004"]["repairs"]) > 0 and rows["aa0004"]["status"] == "graded"


@pytest.mark.slow
def test_canvas_csv(reported):
    """Does canvas.csv give Canvas students their LMS id and name, and the others their login?"""
    course, _ = reported
    lines = list(csv.reader((course / "reports" / A / "canvas.csv").open()))
    assert lines[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    body = {line[3]: (line[0], line[1], line[5]) for line in lines[2:]}
    assert body == {"aa0001": ("aa0001", "", "20"), "aa0002": ("doejane", "12345", "6"),
                    "aa0003": ("roesam", "67890", "14"), "aa0004": ("aa0004", "", "20"),
                    "aa0005": ("aa0005", "", "20")}


@pytest.mark.slow
def test_repairs_and_histograms(reported):
    """Are the damaged submission's repairs listed for the TA, and the histograms written as a PNG?"""
    course, _ = reported
    repairs = list(csv.DictReader((course / "reports" / A / "repairs.csv").open()))
    assert repairs and {r["student"] for r in repairs} == {"aa0004"}
    assert any("restored" in r["repair"] for r in repairs)
    assert (course / "reports" / A / "histograms.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_lms_names_reach_the_gradebook(reported):
    """Does the gradebook hold the LMS name and user id collect read from Canvas file names (for the formgrader,
    which shows 'last_name, first_name'), and the id where no name is known?"""
    from nbgrader.api import Gradebook

    course, done = reported
    assert f"reports/{A}/flags.csv" in done.stdout
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "deep-learning-numpy") as gb:
        names = {s.id: (s.last_name, s.first_name, s.lms_user_id) for s in gb.students}
    assert names["aa0002"] == ("doejane", "Canvas 12345", "12345")
    assert names["aa0003"] == ("roesam", "Canvas 67890", "67890")
    assert names["aa0001"] == ("aa0001", "no LMS name", None)  # no name known: its id, never None


@pytest.mark.slow
def test_feedback_shows_tests_not_hidden_code(reported):
    """Does each student's feedback name the tests and show their messages, with no hidden test line?"""
    course, _ = reported
    secret = hidden_test_lines(course, A)
    for student in ("aa0001", "aa0002", "aa0003", "aa0004"):
        page = page_text((course / "feedback" / student / A / f"{A}.html").read_text())
        assert "test_backward_pass" in page and "assert" in page  # the visible tests are there
        assert not [line for line in secret if line in page]


@pytest.mark.slow
def test_a_hidden_line_in_a_students_own_answer_does_not_stop_the_report(reported):
    """Does a student who writes a line that a hidden test also has get feedback, without stopping the class's?"""
    course, _ = reported
    page = page_text((course / "feedback" / "aa0005" / A / f"{A}.html").read_text())
    written = min(hidden_test_lines(ROOT, A), key=len)
    assert written in page and "test_backward_pass" in page
    others = hidden_test_lines(ROOT, A) - {line for line in hidden_test_lines(ROOT, A) if line in written}
    assert others and not [line for line in others if line in page]
    assert "NotImplementedError" in (course / "feedback" / "aa0002" / A / f"{A}.html").read_text()


@pytest.mark.slow
def test_report_without_grades(tmp_path):
    """Does report on an assignment nobody was graded for say to grade first?"""
    course = make_course(tmp_path / "course")
    make_gradebook(course)
    code, _, err = main(course, "report", A)
    assert code == 2 and f"grade {A}" in err


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A test course whose assignment has a written answer (5 points, graded by hand): aa0001 (plain file name,
    full marks) and aa0002 (Canvas file name, partial marks) collected, graded and reported before any TA
    graded the written answers."""
    course = make_course(tmp_path_factory.mktemp("written") / "course")
    add_written_answer(course)
    make_gradebook(course)
    download = course.parent / "download"
    download.mkdir()
    with_written_answer("full_marks", download / f"{A}_aa0001.ipynb")
    with_written_answer("partial_marks", download / f"doejane_12345_999_{A}_aa0002.ipynb")
    cli(course, "collect", A, str(download), check=True)
    cli(course, "grade", A, check=True)
    return course, cli(course, "report", A, check=True)


@pytest.mark.slow
def test_ungraded_answers_are_not_graded_yet(written):
    """Before a TA grades the written answers, does report say how many answers of how many students wait, write
    no canvas.csv, and say "not graded yet" in grades.csv's status and on the feedback page (not "Score: 0.0")?"""
    course, done = written
    assert "not graded yet: 2 answers of 2 of 2 students still need a TA" in done.stdout, done.stdout
    assert "canvas.csv not written" in done.stdout and "reports/toy_chain_backprop/canvas.csv" not in done.stdout
    assert not (course / "reports" / A / "canvas.csv").exists()
    rows = {r["student"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    assert {s: (r["status"], r[WRITTEN]) for s, r in rows.items()} == {
        "aa0001": (f"not graded yet: {WRITTEN}", ""), "aa0002": (f"not graded yet: {WRITTEN}", "")}
    page = page_text((course / "feedback" / "aa0001" / A / f"{A}.html").read_text())
    assert "Written response (not graded yet, of 5.0 points)" in page and "Not graded yet (of 5.0 points)" in page
    assert f"(Score: 20.0 / 25.0; not graded yet: {WRITTEN}, counted as 0)" in page
    assert "Score: 0.0 / 5.0" not in page and "Score: 6.0 / 6.0" in page  # the autograded tests keep theirs


@pytest.mark.slow
def test_report_shows_progress_and_canvas_notes(written):
    """Does report show a progress bar through its steps and every feedback page, and say that the Canvas id is
    not configured and which student has no Canvas user id?"""
    _, done = written
    assert "report toy_chain_backprop" in done.stderr and "6/6" in done.stderr, done.stderr
    assert "note: canvas.csv: the Canvas id of toy_chain_backprop is not configured" in done.stdout
    assert "no Canvas user id for 1 student (aa0001;" in done.stdout


@pytest.mark.slow
def test_provisional_canvas_then_final_once_graded(written, tmp_path):
    """Does `report --provisional` write canvas_provisional.csv (not canvas.csv) saying it is not final, and, once
    the TA graded every written answer, does report write canvas.csv with the manual points and remove it?"""
    from nbgrader.api import Gradebook

    course, _ = written
    done = cli(course, "report", A, "--provisional", "--no-feedback", check=True)
    assert "NOT FINAL" in done.stdout and not (course / "reports" / A / "canvas.csv").exists()
    early = list(csv.reader((course / "reports" / A / "canvas_provisional.csv").open()))
    assert {line[3] or line[0]: line[5] for line in early[2:]} == {"aa0001": "20", "aa0002": "6"}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "deep-learning-numpy") as gb:  # as the formgrader does
        for student, points in (("aa0001", 4), ("aa0002", 2)):
            grade = gb.find_grade(WRITTEN, A, A, student)
            grade.manual_score = points
            grade.needs_manual_grade = False
        gb.db.commit()
    done = cli(course, "report", A, check=True)
    assert "not graded yet" not in done.stdout and f"reports/{A}/canvas.csv" in done.stdout
    assert not (course / "reports" / A / "canvas_provisional.csv").exists()
    final = list(csv.reader((course / "reports" / A / "canvas.csv").open()))
    assert {line[3] or line[0]: line[5] for line in final[2:]} == {"aa0001": "24", "aa0002": "8"}
    rows = {r["student"]: r["status"] for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    assert rows == {"aa0001": "graded", "aa0002": "graded"}
    page = page_text((course / "feedback" / "aa0001" / A / f"{A}.html").read_text())
    assert "Written response (Score: 4.0 / 5.0)" in page and "not graded yet" not in page
