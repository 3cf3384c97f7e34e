"""Does the TA's job work end to end with the real formgrader: flags shown, names shown, a manual grade given through
its API penalized like the autograded points in grades.csv and canvas.csv, its Autograde button grading through
`grade` and saying so as a success, and, in a real browser, the manual-grading page rendering the flagged student,
names that read right, and the grader's notes (flags and reasons, lateness, total, similar pairs) where a TA
grades?"""
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder.nbconfig import load_config
from fixtures.browser import Browser, chromium
from fixtures.coursefolder import REFERENCE, ROOT, SUBMISSIONS, cli, make_course


A = REFERENCE
# the course's own Execute step (the sandbox, which raises the flags), where the test course has nbgrader's
SANDBOXED = f"\nc.Autograde.autograde_preprocessors = {list(load_config(ROOT).Autograde.autograde_preprocessors)!r}\n"
PATCH = "\n\nnp.allclose = lambda *a, **k: True  # an attempt on the grading\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Formgrader:
    """A Jupyter server with nbgrader's formgrader, started in the course folder as docs/GRADING.md says."""

    def __init__(self, course: Path, home: Path):
        self.course, self.port, self.token = course, _free_port(), uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"),
                   JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        self.log = (home / "server.log").open("w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyter-server"), "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             "--ServerApp.open_browser=False", f"--ServerApp.root_dir={course}",
             "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}",
             *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI runs as root
            cwd=course, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.get("/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"the formgrader did not start:\n{(home / 'server.log').read_text()}")
                time.sleep(0.5)

    def request(self, path: str, method: str = "GET", body=None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=300) as answer:
            return answer.status, answer.read()

    def get(self, path: str) -> bytes:
        return self.request(path)[1]

    def api(self, path: str, method: str = "GET", body=None):
        return json.loads(self.request(f"/formgrader/api/{path}", method, body)[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server's process group: it and what it started
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


def _patched(source: Path, target: Path) -> None:
    """A full-marks submission whose answer also patches np.allclose (the sandbox flags it as an attempt)."""
    nb = nbformat.read(source, as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "forward_pass")
    answer.source += PATCH
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def graded_demo(tmp_path_factory):
    """The demo course (release, collect, grade, report of the examples) with the course's sandbox, plus aa0006
    (full marks and an attempt on np.allclose, on time) and aa0007 (full marks, after the day's cut-off),
    collected and graded with one `grade --student aa0006 aa0007`."""
    base = tmp_path_factory.mktemp("formgrader")
    course = make_course(base / "course", extra_config=SANDBOXED)
    (course / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / f"{A}.py", course / "notebooks" / f"{A}.py")
    demo = cli(course, "demo", A)  # makes the examples from this source and release first
    assert demo.returncode == 0 and "made example submissions" in demo.stdout, demo.stdout + demo.stderr
    download = base / "download"
    download.mkdir()
    _patched(SUBMISSIONS / "full_marks.ipynb", download / f"{A}_aa0006.ipynb")
    shutil.copy(SUBMISSIONS / "full_marks.ipynb", download / f"{A}_aa0007.ipynb")
    (base / "times.csv").write_text(f"file,submitted_at\n{A}_aa0006.ipynb,2025-03-14 16:00\n"
                                    f"{A}_aa0007.ipynb,2025-03-15 00:00:01\n")
    cli(course, "collect", A, str(download), "--times", str(base / "times.csv"), check=True)
    graded = cli(course, "grade", A, "--student", "aa0006", "aa0007", check=True)
    return course, graded


@pytest.fixture(scope="module")
def formgrader(graded_demo, tmp_path_factory):
    course, _ = graded_demo
    server = Formgrader(course, tmp_path_factory.mktemp("jupyter-home"))
    yield server
    server.stop()


def _notebooks(formgrader) -> dict:
    return {s["student"]: s for s in formgrader.api(f"submitted_notebooks/{A}/{A}")}


def _grade(formgrader, student: str, name: str) -> dict:
    submission = _notebooks(formgrader)[student]
    return next(g for g in formgrader.api(f"grades?submission_id={submission['id']}") if g["name"] == name)


def _seriously_flagged(course: Path) -> set[str]:
    """Students whose autograded notebook holds a flag of severity "limit" or "attempt" (the course's threshold)."""
    found = set()
    for path in (course / "autograded").glob(f"*/{A}/{A}.ipynb"):
        flags = json.loads(path.read_text())["metadata"].get("autograder", {}).get("flags", [])
        if any(f["severity"] in ("limit", "attempt") for f in flags):
            found.add(path.parent.parent.name)
    return found


def _csv(course: Path, name: str) -> list[dict]:
    return list(csv.DictReader((course / "reports" / A / name).open()))


@pytest.mark.slow
def test_grade_takes_several_students_and_lists_the_flagged(graded_demo):
    """Does `grade --student aa0006 aa0007` grade both, and end with the flagged student, code, severity, cell?"""
    _, graded = graded_demo
    assert "graded 2 in" in graded.stdout
    table, _, flagged = graded.stdout.partition("flagged for the TA")
    assert [line.split()[:2] for line in table.splitlines()[2:]] == [["aa0006", "graded"], ["aa0007", "graded"]]
    flagged = flagged.splitlines()[1:]
    assert len(flagged) == 1 and flagged[0].split()[0] == "aa0006", graded.stdout
    assert "attempt patch-numpy (forward_pass)" in flagged[0]


@pytest.mark.slow
def test_pages_and_api_show_flags_and_names(graded_demo, formgrader):
    """Do the formgrader's pages load, and does its API show flagged exactly the students with a serious flag
    (aa0006, not the honest aa0001), and the LMS names collect read?"""
    assert b"Manage Assignments" in formgrader.get("/formgrader/manage_assignments")
    assert A.encode() in formgrader.get(f"/formgrader/gradebook/{A}/{A}")
    assert [a["name"] for a in formgrader.api("assignments")] == [A]
    rows = _notebooks(formgrader)
    assert sorted(rows) == [f"aa000{n}" for n in range(1, 8)] + ["zz9999"]  # the demo class: examples.KINDS
    serious = _seriously_flagged(graded_demo[0])
    assert "aa0006" in serious and "aa0001" not in serious
    assert {s for s, r in rows.items() if r["flagged"]} == serious
    assert (rows["aa0004"]["last_name"], rows["aa0004"]["first_name"]) == ("studentaa0004", "Canvas 1000004")
    student = formgrader.api("student/aa0004")
    assert student["lms_user_id"] == "1000004"
    assert (rows["aa0001"]["last_name"], rows["aa0001"]["first_name"]) == ("aa0001", "no LMS name")


@pytest.mark.slow
def test_manual_grade_is_penalized_in_grades_and_canvas(graded_demo, formgrader):
    """After manual points through the API, does `report` give (auto + manual) x 0.7 for the late same-day
    student and 0 past the cut-off, in grades.csv and canvas.csv, with the flag in both flag reports?"""
    course, _ = graded_demo
    for student in ("aa0004", "aa0007"):
        grade = _grade(formgrader, student, "test_backward_pass")
        assert grade["auto_score"] == 8
        formgrader.api(f"grade/{grade['id']}", "PUT", {"manual_score": 5, "extra_credit": None})
        assert _grade(formgrader, student, "test_backward_pass")["needs_manual_grade"] is False
    cli(course, "report", A, check=True)
    final = 6 + 5 + 6  # forward pass (auto), backward pass (manual), parameter derivatives (auto)
    rows = {r["student"]: r for r in _csv(course, "grades.csv")}
    assert (rows["aa0004"]["test_backward_pass"], rows["aa0004"]["raw_score"]) == ("5", f"{final:g}")
    assert (rows["aa0004"]["late_penalty"], rows["aa0004"]["total"]) == (f"{final * 0.3:g}", f"{final * 0.7:g}")
    assert (rows["aa0007"]["raw_score"], rows["aa0007"]["total"]) == (f"{final:g}", "0")
    assert rows["aa0001"]["total"] == "20" and rows["aa0001"]["flags"] == ""
    assert "attempt patch-numpy (forward_pass)" in rows["aa0006"]["flags"]
    canvas = {line[3]: line[5] for line in list(csv.reader((course / "reports" / A / "canvas.csv").open()))[2:]}
    assert canvas["aa0004"] == f"{final * 0.7:g}" and canvas["aa0007"] == "0"
    flags = _csv(course, "flags.csv")
    assert {(f["student"], f["severity"], f["code"], f["cell"]) for f in flags} >= {
        ("aa0006", "attempt", "patch-numpy", "forward_pass")}
    assert {f["student"] for f in flags if f["severity"] != "notice"} == _seriously_flagged(course)
    assert {r["student"] for r in rows.values() if r["flags"]} == _seriously_flagged(course)


@pytest.mark.slow
def test_regrading_keeps_manual_grades_graded(graded_demo, formgrader):
    """Does `grade --force` keep a manual grade and its graded state, and the penalty apply to it?"""
    course, _ = graded_demo
    grade = _grade(formgrader, "aa0002", "test_backward_pass")
    formgrader.api(f"grade/{grade['id']}", "PUT", {"manual_score": 4, "extra_credit": None})
    cli(course, "grade", A, "--force", "--student", "aa0002", check=True)
    again = _grade(formgrader, "aa0002", "test_backward_pass")
    assert (again["manual_score"], again["needs_manual_grade"]) == (4, False)
    assert _notebooks(formgrader)["aa0002"]["needs_manual_grade"] is False


@pytest.mark.slow
def test_autograde_button_grades_through_grade(graded_demo, formgrader):
    """Does the formgrader's Autograde button regrade through `grade` (nbgrader's converter stopped, grade's
    output as the message), with the pipeline's metadata and key, and the flag set again?"""
    course, _ = graded_demo
    notebook = course / "autograded" / "aa0006" / A / f"{A}.ipynb"
    before = notebook.stat().st_mtime_ns
    flagged = _notebooks(formgrader)["aa0006"]
    formgrader.request(f"/formgrader/api/submitted_notebook/{flagged['id']}/flag", "POST")  # the TA unflags it
    assert _notebooks(formgrader)["aa0006"]["flagged"] is False
    result = formgrader.api(f"submission/{A}/aa0006/autograde", "POST")
    assert result["success"] and "error" not in result, result
    assert "graded by `python -m autograder grade" in result["log"] and "aa0006   graded  20/20" in result["log"]
    assert notebook.stat().st_mtime_ns > before
    record = json.loads(notebook.read_text())["metadata"]["autograder"]
    assert record["status"] == "graded" and record["key"] and record["sandbox"]
    assert any(f["code"] == "patch-numpy" for f in record["flags"])
    assert _notebooks(formgrader)["aa0006"]["flagged"] is True and _notebooks(formgrader)["aa0006"]["score"] == 20
    done = cli(course, "grade", A, "--student", "aa0006", check=True)
    assert "1 unchanged submissions already graded" in done.stdout  # the next grade does not regrade it


@pytest.mark.slow
def test_manual_grading_page_renders_the_flagged_student(graded_demo, formgrader, tmp_path):
    """In headless Chromium, does the manual-grading page list every student, aa0006's row flagged?"""
    browser = [str(chromium()), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000", "--dump-dom"]
    # log in as a TA does (the token in a URL sets the session cookie for the whole site), then open the page
    subprocess.run([*browser, f"{formgrader.url}/formgrader?token={formgrader.token}"], capture_output=True,
                   timeout=180, check=True)
    done = subprocess.run([*browser, f"{formgrader.url}/formgrader/gradebook/{A}/{A}"], capture_output=True,
                          text=True, timeout=180)
    dom = done.stdout
    assert "<table" in dom, done.stderr[-2000:]
    students = sorted(_notebooks(formgrader))
    rows = [row for row in dom.split("<tr")[1:] if "Submission #" in row or any(s in row for s in students)]
    flagged = [row for row in rows if "glyphicon-flag" in row]
    assert len(rows) == len(students) == 8 and len(flagged) == len(_seriously_flagged(graded_demo[0])), dom[-3000:]
    assert any(_notebooks(formgrader)["aa0006"]["id"] in row for row in flagged)
    assert not any(_notebooks(formgrader)["aa0001"]["id"] in row for row in flagged)


@pytest.mark.slow
def test_a_failing_autograde_says_why(graded_demo, formgrader):
    """When `grade` fails behind the Autograde button (here: the release notebook is gone), does the result say
    it failed and why, say that nbgrader removed the autograded notebook first (its --force), and does `grade`
    write it again, with the same score, once the cause is fixed?"""
    course, _ = graded_demo
    release = course / "release" / A / f"{A}.ipynb"
    notebook = course / "autograded" / "aa0001" / A / f"{A}.ipynb"
    score = _stored_score(course, "aa0001")
    release.rename(release.with_suffix(".away"))
    try:
        result = formgrader.api(f"submission/{A}/aa0001/autograde", "POST")
    finally:
        release.with_suffix(".away").rename(release)
    assert not result["success"], result
    assert "failed (exit 2)" in result["log"] and "no release" in result["log"]
    assert "no release" in result["error"].strip().splitlines()[-1]
    assert not notebook.exists() and "nbgrader removed the autograded notebook of aa0001" in result["log"]
    assert _stored_score(course, "aa0001") == score  # the gradebook keeps the grades
    cli(course, "grade", A, "--student", "aa0001", check=True)
    assert notebook.is_file() and _notebooks(formgrader)["aa0001"]["score"] == score == _stored_score(course, "aa0001")


def _stored_score(course: Path, student: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "deep-learning-numpy") as gb:
        return float(gb.find_submission(A, student).score)


@pytest.fixture
def browser(formgrader, tmp_path):
    """Headless Chromium logged in to the formgrader (the token in a URL sets the session cookie)."""
    tab = Browser(tmp_path / "profile")
    try:
        tab.open(f"{formgrader.url}/formgrader?token={formgrader.token}")
        yield tab
    finally:
        tab.close()


NAMES = "Array.from(document.querySelectorAll('tbody tr')).map(r => r.cells[0].innerText)"  # the name column


@pytest.mark.slow
def test_names_read_right_in_the_browser(formgrader, browser):
    """On Manage Submissions and Manage Students, does each student read as 'LMS name, Canvas id', or 'id, no LMS
    name' where no name is known, and never 'None'?"""
    for page in (f"manage_submissions/{A}", "manage_students"):
        browser.open(f"{formgrader.url}/formgrader/{page}")
        names = browser.wait_for(f"document.querySelectorAll('tbody tr td a').length >= 8 && {NAMES}")
        assert len(names) == 8 and not [n for n in names if "None" in n], names
        assert "studentaa0004, Canvas 1000004" in names and "aa0001, no LMS name" in names, names


@pytest.mark.slow
def test_grading_page_shows_flags_lateness_total_and_pairs(graded_demo, formgrader, browser):
    """On the page where a TA grades a submission, does the grader's note say why it is flagged (aa0006), how late
    it is with its total after the penalty and the pair the similarity report found (aa0004), and does a
    student's feedback page never show the note?"""
    course, _ = graded_demo
    rows = _notebooks(formgrader)
    browser.open(f"{formgrader.url}/formgrader/submissions/{rows['aa0006']['id']}/")
    text = browser.wait_for("document.body.innerText.includes('For the TA') && document.body.innerText")
    assert "Flag attempt patch-numpy (forward_pass)" in text and "For the TA: flagged here" in text
    message = next(f["message"] for f in json.loads((course / "autograded" / "aa0006" / A / f"{A}.ipynb")
                                                   .read_text())["metadata"]["autograder"]["flags"]
                   if f["code"] == "patch-numpy")
    assert message and message in text
    assert "on time" in text and "total after the late penalty 20" in text
    for flagged, said in ((False, "Submission unflagged"), (True, "Submission flagged")):  # the documented shortcut
        browser.wait_for("typeof formgrader !== 'undefined' && formgrader.loaded")  # its shortcuts are bound
        browser.press("f", control=True, shift=True)
        assert browser.wait_for(f"document.getElementById('statusmessage').innerText === '{said}'")
        assert _notebooks(formgrader)["aa0006"]["flagged"] is flagged

    score = rows["aa0004"]["score"]
    browser.open(f"{formgrader.url}/formgrader/submissions/{rows['aa0004']['id']}/")
    text = browser.wait_for("document.body.innerText.includes('For the TA') && document.body.innerText")
    assert "late by 2 h 0 min" in text and f"total after the late penalty {score - 0.3 * score:g}" in text, text
    assert "answers alike with zz9999" in text and "No flags." in text
    assert "For the TA" not in (course / "feedback" / "aa0004" / A / f"{A}.html").read_text()


@pytest.mark.slow
def test_autograde_button_says_success_in_the_browser(formgrader, browser):
    """Does clicking Autograde on Manage Submissions end in a dialog titled Success, with grade's table and no
    traceback?"""
    browser.open(f"{formgrader.url}/formgrader/manage_submissions/{A}")
    browser.wait_for("document.querySelectorAll('tbody tr td.autograde a').length >= 8")
    browser.evaluate("Array.from(document.querySelectorAll('tbody tr')).find(r => r.innerText.includes('aa0003'))"
                     ".querySelector('td.autograde a').click()")
    title = browser.wait_for("(document.querySelector('.modal.in .modal-title') || {}).innerText", timeout=300)
    body = browser.evaluate("document.querySelector('.modal.in .modal-body').innerText")
    assert title == "Success", (title, body)
    assert "Successfully autograded" in body and "graded by `python -m autograder grade" in body
    assert "aa0003" in body and "Traceback" not in body


def test_root_needs_allow_root_as_the_docs_say(tmp_path):
    """As root, does `jupyter server` refuse to start without --allow-root, as docs/GRADING.md warns, and do the
    docs give the command with it?"""
    docs = (ROOT / "docs" / "GRADING.md").read_text()
    assert "cd /path/to/course && .venv/bin/jupyter server --allow-root" in docs
    if os.geteuid() != 0:
        return  # only root is refused; the formgrader fixture adds --allow-root as root, as the docs say
    env = dict(os.environ, HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    done = subprocess.run([str(Path(sys.executable).parent / "jupyter-server"), "--ServerApp.ip=127.0.0.1",
                           f"--ServerApp.port={_free_port()}", "--ServerApp.open_browser=False"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Use --allow-root to bypass" in done.stdout + done.stderr
