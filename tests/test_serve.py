"""Does the hand-in service (`python -m autograder serve`, autograder/serve.py) acknowledge only what it has stored,
give each student the visible checks' results per question and nothing hidden before the deadline, refuse bad
requests with a clear message, keep every acknowledged submission through kill -9, and hand what it received to
collect, grade and report? (The real server runs on 127.0.0.1 on a free port, as a subprocess stopped by PID.)"""
from __future__ import annotations

import csv
import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import httpx
import nbformat
import pytest

from autograder.inbox import Inbox
from autograder.nbconfig import load_config
from fixtures.coursefolder import FILES, REFERENCE, ROOT, SUBMISSIONS, cli, copy_course, make_course, make_gradebook
from fixtures.service import API, SERVE_CONFIG, Service, issue_tokens

pytestmark = pytest.mark.slow
A = REFERENCE
NAME = "toy_chain_backprop_{}.ipynb"
QUESTIONS = {"test_forward_pass": 6.0, "test_backward_pass": 8.0, "test_parameter_derivatives": 6.0}


def notebook(kind: str) -> bytes:
    return (SUBMISSIONS / f"{kind}.ipynb").read_bytes()


def hidden_only_failure() -> bytes:
    """full_marks, whose forward_pass is wrong only for an input that the hidden tests use (x = -1.7)."""
    nb = nbformat.reads(notebook("full_marks").decode(), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "forward_pass")
    lines = cell.source.splitlines()
    end = next(i for i, line in enumerate(lines) if i > 1 and line.strip() == '"""')  # the docstring's end
    lines.insert(end + 1, "    if x == -1.7:\n        return (0.0,) * 8")
    cell.source = "\n".join(lines)
    assert "if x == -1.7" in cell.source
    return nbformat.writes(nb).encode()


def rows_of(course: Path) -> list:
    config = load_config(course)
    inbox = Inbox(root=course, db_url=config.CourseDirectory.db_url)
    try:
        return inbox.submissions(A)
    finally:
        inbox.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A course with the toy assignment's gradebook (and lab7's release, so that its names and cells are known)."""
    course = make_course(tmp_path_factory.mktemp("serve") / "course", assignments=(A, "lab7_optimizers"),
                         extra_config=SERVE_CONFIG)
    make_gradebook(course, A)
    return course


def course_with(template: Path, folder: Path, config: str) -> Path:
    course = copy_course(template, folder)
    with (course / "nbgrader_config.py").open("a") as f:
        f.write(config)
    return course


OPEN = '\nc.LatePolicy.deadlines = {"toy_chain_backprop": "2099-03-14 17:00"}\nc.Serve.rate_burst = 3\n' \
       'c.Serve.rate_per_minute = 1.0\n'


@pytest.fixture(scope="module")
def open_service(template, tmp_path_factory):
    """The service of a course whose deadline is far ahead, with tokens for aa0001..aa0020."""
    course = course_with(template, tmp_path_factory.mktemp("open") / "course", OPEN)
    tokens = issue_tokens(course, [f"aa{n:04d}" for n in range(1, 21)])
    service = Service(course)
    yield service, tokens
    service.stop()


def test_receipt_answers_with_the_api_fields(open_service):
    """Does a submission get 202 with an unguessable id, the student, the server's UTC time, late, the url to poll,
    state queued and no problems for a well-named notebook, with its file and row stored before the answer?"""
    service, tokens = open_service
    before = datetime.now(timezone.utc)
    answer = service.post(tokens["aa0001"], notebook("full_marks"), name=NAME.format("aa0001"))
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    assert (body["student"], body["assignment"], body["late"], body["problems"]) == ("aa0001", A, False, [])
    assert body["state"] in ("queued", "checking")
    assert body["url"] == f"{API}/{body['id']}"
    received = datetime.fromisoformat(body["received_at"])
    assert received.utcoffset() == timedelta(0) and before - timedelta(seconds=1) <= received <= \
        datetime.now(timezone.utc)
    stored = {r.id: r for r in rows_of(service.course)}[body["id"]]
    assert (service.course / stored.path).read_bytes() == notebook("full_marks")
    assert stored.path == f"service/{A}/aa0001/{body['id']}.ipynb"


def test_checks_per_question_for_full_partial_and_blank(open_service):
    """Once done, does each toy submission show one check per question with its points: all passed for full marks,
    Q7 only for partial marks, none for a blank notebook, each failure with the check's error?"""
    service, tokens = open_service
    urls = {}
    for student, kind in (("aa0002", "full_marks"), ("aa0003", "partial_marks"), ("aa0004", "blank")):
        answer = service.post(tokens[student], notebook(kind), name=NAME.format(student))
        assert answer.status_code == 202, answer.text
        urls[kind] = (student, answer.json()["url"])
    passed = {}
    for kind, (student, url) in urls.items():
        body = service.done(tokens[student], url)
        assert body["status"] == "graded"
        assert {c["grade_id"]: c["points"] for c in body["checks"]} == QUESTIONS
        passed[kind] = {c["grade_id"] for c in body["checks"] if c["passed"]}
        for c in body["checks"]:
            assert c["passed"] == (c["score"] == c["points"])
            assert c["message"] == "" if c["passed"] else c["message"].startswith("NotImplementedError"), c
    assert passed == {"full_marks": set(QUESTIONS), "partial_marks": {"test_forward_pass"}, "blank": set()}


def test_a_hidden_only_failure_shows_passed_visible_checks_and_withholds_the_hidden(open_service):
    """Before the deadline, does a forward_pass wrong only for the hidden tests' input pass every visible check,
    with the hidden results said to be withheld and nothing of the hidden tests in the answer?"""
    service, tokens = open_service
    answer = service.post(tokens["aa0005"], hidden_only_failure(), name=NAME.format("aa0005"))
    body = service.done(tokens["aa0005"], answer.json()["url"])
    assert all(c["passed"] for c in body["checks"]), body["checks"]
    assert "withheld until then" in body["hidden"] and "2099-03-14 17:00 UTC" in body["hidden"]
    assert "hidden_scores" not in body
    text = json.dumps(body)
    assert "-1.7" not in text and "_reference_forward" not in text and "other parameters" not in text


def test_wrong_or_missing_token_is_refused(open_service):
    """Is a request without a token, with a malformed header or with a wrong token refused 401 with a message that
    says which, and is nothing stored?"""
    service, tokens = open_service
    count = len(rows_of(service.course))
    data = notebook("full_marks")
    for token, words in ((None, "no token"), ("x" + tokens["aa0006"], "wrong token"),
                         (tokens["aa0006"][:-1], "wrong token"), ("nodot", "wrong token")):
        answer = service.post(token, data, name=NAME.format("aa0006"))
        assert answer.status_code == 401 and words in answer.json()["error"], (token, answer.text)
    for header in (f"Basic {tokens['aa0006']}", "Bearer"):
        answer = service.http.post(API, content=data, headers={"Authorization": header})
        assert answer.status_code == 401 and "must be 'Bearer <token>'" in answer.json()["error"], header
    assert len(rows_of(service.course)) == count


def test_bad_bodies_are_refused_with_their_problem(open_service):
    """Are an oversized body (413, collect's size limit), damaged JSON and a notebook of nbformat 3 (400) and
    another assignment's notebook (422) refused, each with a message naming its problem, and nothing stored?"""
    service, tokens = open_service
    token = tokens["aa0007"]
    count = len(rows_of(service.course))
    big = service.post(token, b"{" + b" " * (1 << 20) + b"}", name=NAME.format("aa0007"))
    assert big.status_code == 413 and "over the limit of 1 MiB" in big.json()["error"]
    time.sleep(1)  # the bucket refills: the rate limit is not what is tested here
    damaged = service.post(token, (FILES / "corrupt.ipynb").read_bytes(), name=NAME.format("aa0007"))
    assert damaged.status_code == 400 and "not valid JSON" in damaged.json()["error"], damaged.text
    old = json.loads(notebook("full_marks"))
    old["nbformat"] = 3
    v3 = service.post(token, json.dumps(old).encode(), name=NAME.format("aa0007"))
    assert v3.status_code == 400 and "not a notebook of nbformat 4" in v3.json()["error"], v3.text
    assert len(rows_of(service.course)) == count
    token = tokens["aa0017"]
    other = service.post(token, notebook("wrong_assignment"), name=NAME.format("aa0017"))
    assert other.status_code == 422 and "not toy_chain_backprop's notebook" in other.json()["error"], other.text
    lab7 = service.post(token, (ROOT / "release" / "lab7_optimizers" / "lab7_optimizers.ipynb").read_bytes(),
                        name=NAME.format("aa0017"))
    assert lab7.status_code == 422 and "not toy_chain_backprop's notebook" in lab7.json()["error"], lab7.text
    named = service.post(token, notebook("full_marks"), name="Lab_7_aa0017.ipynb")
    assert named.status_code == 422 and "lab7_optimizers" in named.json()["error"], named.text
    assert len(rows_of(service.course)) == count


def test_a_replayed_idempotency_key_is_refused_naming_the_first(open_service):
    """Is a repeated Idempotency-Key of the same student refused 409 naming the earlier submission's id and time,
    with one submission stored?"""
    service, tokens = open_service
    key = str(uuid.uuid4())
    first = service.post(tokens["aa0008"], notebook("full_marks"), name=NAME.format("aa0008"), key=key)
    again = service.post(tokens["aa0008"], notebook("blank"), name=NAME.format("aa0008"), key=key)
    assert first.status_code == 202 and again.status_code == 409
    message = again.json()["error"]
    assert first.json()["id"] in message and first.json()["received_at"] in message and "replayed" in message
    assert [r.id for r in rows_of(service.course) if r.student == "aa0008"] == [first.json()["id"]]


def test_another_students_id_in_the_file_name_is_refused(open_service):
    """Is a notebook whose name carries another student's id refused (nothing stored), while a loose name or none
    is only a note in `problems`?"""
    service, tokens = open_service
    count = len(rows_of(service.course))
    answer = service.post(tokens["aa0009"], notebook("full_marks"), name=NAME.format("aa0010"))
    assert answer.status_code == 403
    assert "aa0010" in answer.json()["error"] and "aa0009" in answer.json()["error"]
    assert len(rows_of(service.course)) == count
    loose = service.post(tokens["aa0009"], notebook("full_marks"), name="Copy of toy_chain_backprop.ipynb")
    assert loose.status_code == 202 and "does not follow the rule" in loose.json()["problems"][0]
    unnamed = service.post(tokens["aa0009"], notebook("full_marks"))
    assert unnamed.status_code == 202 and "toy_chain_backprop_aa0009.ipynb" in unnamed.json()["problems"][0]


def test_a_file_name_of_any_script_travels_percent_encoded(open_service):
    """Is X-Notebook-Name read as UTF-8 percent-encoded (what the page and the hand-in cell send), so a name that
    HTTP headers cannot carry as it is arrives whole, and one carrying another student's id is still refused?"""
    service, tokens = open_service
    odd = "ödev – toy_chain_backprop_aa0019.ipynb"
    answer = service.post(tokens["aa0019"], notebook("full_marks"), name=quote(odd))
    assert answer.status_code == 202 and f"{odd}: " in answer.json()["problems"][0], answer.json()
    other = service.post(tokens["aa0019"], notebook("full_marks"), name=quote(NAME.format("aa0020")))
    assert other.status_code == 403 and "aa0020" in other.json()["error"]


def test_another_students_submission_is_not_found(open_service):
    """Does another student's submission id answer 404 exactly as an unknown id does, and the owner's 200?"""
    service, tokens = open_service
    answer = service.post(tokens["aa0011"], notebook("blank"), name=NAME.format("aa0011"))
    sid = answer.json()["id"]
    theirs = service.get(tokens["aa0012"], f"{API}/{sid}")
    unknown = service.get(tokens["aa0012"], f"{API}/{'0' * 32}")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"].replace(sid, "ID") == unknown.json()["error"].replace("0" * 32, "ID")
    assert service.get(tokens["aa0011"], f"{API}/{sid}").status_code == 200
    assert service.get("nonsense", f"{API}/{sid}").status_code == 401


def test_rate_limit_per_student(open_service):
    """Past the bucket (3 at once, 1 a minute) is a student refused 429 with Retry-After, another not?"""
    service, tokens = open_service
    codes = [service.post(tokens["aa0013"], b"{}", name=NAME.format("aa0013")).status_code for _ in range(3)]
    limited = service.post(tokens["aa0013"], b"{}", name=NAME.format("aa0013"))
    assert codes == [400, 400, 400] and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1 and "too many submissions" in limited.json()["error"]
    assert service.post(tokens["aa0014"], b"{}", name=NAME.format("aa0014")).status_code == 400


def test_resubmissions_are_each_stored(open_service):
    """Is each resubmission stored with its own id and file, the last one the counting one?"""
    service, tokens = open_service
    ids = [service.post(tokens["aa0015"], notebook(kind), name=NAME.format("aa0015")).json()["id"]
           for kind in ("blank", "partial_marks", "full_marks")]
    rows = [r for r in rows_of(service.course) if r.student == "aa0015"]
    assert [r.id for r in rows] == ids
    assert (service.course / rows[-1].path).read_bytes() == notebook("full_marks")
    body = service.done(tokens["aa0015"], f"{API}/{ids[-1]}")
    assert all(c["passed"] for c in body["checks"])


def test_the_upload_page_hands_in_and_shows_the_checks(open_service, tmp_path):
    """Through headless Chromium: does the upload page post the chosen file with the token, then show the receipt
    and each question's check, rendering a hostile file name as text?"""
    from fixtures.browser import Browser

    service, tokens = open_service
    hostile = tmp_path / "<img src=x onerror=document.title='owned'>.ipynb"
    hostile.write_bytes(notebook("partial_marks"))
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(f"{service.url}/upload")
        browser.evaluate(f"document.getElementById('token').value = {json.dumps(tokens['aa0016'])}")
        document = browser.call("DOM.getDocument")
        node = browser.call("DOM.querySelector", nodeId=document["root"]["nodeId"], selector="#file")
        browser.call("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[str(hostile)])
        browser.evaluate("document.getElementById('send').click()")
        browser.wait_for("document.getElementById('state').textContent === 'checked'", timeout=180)
        rows = browser.evaluate("[...document.querySelectorAll('#checks tr')].map(r => r.innerText)")
        text = browser.text()
        assert len(rows) == 3 and "passed" in rows[0] and "NotImplementedError" in rows[1], rows
        assert "aa0016" in text and "withheld until then" in text
        assert "<img src=x" in text and browser.evaluate("document.querySelectorAll('#receipt img').length") == 0
        assert browser.evaluate("document.title") != "owned"
    finally:
        browser.close()
    stored = [r for r in rows_of(service.course) if r.student == "aa0016"]
    assert len(stored) == 1 and stored[0].file_name == hostile.name and stored[0].idempotency_key


def test_a_full_queue_answers_busy_with_retry_after(template, tmp_path):
    """With a queue of 2 and one worker, is a burst answered 202 up to the bound and 503 'busy, retry in N s' with
    Retry-After beyond it (nothing stored for those), and is a submission taken again once the queue drained?"""
    course = course_with(template, tmp_path / "course", OPEN + "c.Serve.queue_limit = 2\nc.Serve.retry_after = 7\n")
    students = [f"aa{n:04d}" for n in range(1, 9)]
    tokens = issue_tokens(course, students)
    service = Service(course, "--workers", "1")
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda s: service.post(tokens[s], notebook("full_marks"), name=NAME.format(s)),
                                    students))
        codes = [a.status_code for a in answers]
        assert set(codes) == {202, 503} and codes.count(202) <= 2, codes
        busy = next(a for a in answers if a.status_code == 503)
        assert busy.headers["Retry-After"] == "7" and busy.json()["error"].startswith("busy, retry in 7 s")
        taken = [a.json() for a in answers if a.status_code == 202]
        assert sorted(r.id for r in rows_of(course)) == sorted(t["id"] for t in taken)
        for t in taken:
            service.done(tokens[t["student"]], t["url"])
        late = next(s for s, a in zip(students, answers) if a.status_code == 503)
        assert service.post(tokens[late], notebook("full_marks"), name=NAME.format(late)).status_code == 202
    finally:
        service.stop()


def test_kill_9_mid_burst_loses_no_acknowledged_submission(template, tmp_path):
    """A burst of 200 students from threads, the service killed with kill -9 in its middle and restarted, each
    client retrying with its Idempotency-Key: is every acknowledged submission on disk and in the database after
    the kill, are all 200 acknowledged in the end, each stored once, and are all graded after the restart?"""
    course = course_with(template, tmp_path / "course", OPEN)
    students = [f"bb{n:04d}" for n in range(200)]
    tokens = issue_tokens(course, students)
    keys = {s: str(uuid.uuid4()) for s in students}
    data = {s: notebook("full_marks" if n % 2 else "blank") for n, s in enumerate(students)}
    service = Service(course)
    acked: dict[str, dict] = {}
    lock = threading.Lock()

    def hand_in(student):
        try:
            answer = service.post(tokens[student], data[student], name=NAME.format(student), key=keys[student])
        except httpx.HTTPError:
            return
        if answer.status_code == 202:
            with lock:
                acked[student] = answer.json()

    def killer():
        while len(acked) < 60:
            time.sleep(0.01)
        service.kill9()

    kill = threading.Thread(target=killer)
    kill.start()
    with ThreadPoolExecutor(50) as pool:
        list(pool.map(hand_in, students))
    kill.join(120)
    assert 60 <= len(acked) < 200, len(acked)
    rows = {r.id: r for r in rows_of(course)}
    for student, receipt in acked.items():  # acknowledged: on disk, in the database
        row = rows[receipt["id"]]
        assert row.student == student and (course / row.path).read_bytes() == data[student]
    on_disk = {p.stem for p in (course / "service" / A).rglob("*.ipynb")}
    assert set(rows) <= on_disk  # a file without a row (if any) is never counted: rows are what counts

    service = Service(course)
    try:
        for student in students:  # each client that had no answer hands in again with its key
            if student in acked:
                continue
            answer = service.post(tokens[student], data[student], name=NAME.format(student), key=keys[student])
            if answer.status_code == 409:  # stored before the kill: the earlier submission is the one
                sid = re.search(r"submission ([0-9a-f]{32})", answer.json()["error"]).group(1)
                acked[student] = {"id": sid, "url": f"{API}/{sid}"}
            else:
                assert answer.status_code == 202, answer.text
                acked[student] = answer.json()
        assert sorted(acked) == students
        rows = rows_of(course)
        assert sorted(r.student for r in rows) == students  # each once
        for student in students:
            body = service.done(tokens[student], acked[student]["url"], timeout=300)
            assert body["status"] == "graded"
            assert all(c["passed"] for c in body["checks"]) == (data[student] == notebook("full_marks"))
    finally:
        service.stop()


def late_config() -> str:
    """A deadline a minute ago (UTC), its cut-off at 23:59:59 that day, hidden results after the deadline."""
    now = datetime.now(timezone.utc)
    if now.hour == 23 and now.minute >= 55 or now.hour == 0 and now.minute < 2:
        time.sleep((timedelta(minutes=8)).total_seconds())  # not across midnight: the cut-off is the deadline's day
        now = datetime.now(timezone.utc)
    deadline = (now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    return (f'\nc.LatePolicy.deadlines = {{"{A}": "{deadline}+00:00"}}\nc.LatePolicy.cutoff = "23:59:59"\n'
            'c.Serve.hidden_results = "after-deadline"\n')


def docs_commands() -> list[str]:
    """The commands of docs/GRADING.md's hand-in service section, as written."""
    text = (ROOT / "docs" / "GRADING.md").read_text()
    section = text[text.index("## The hand-in service"):]
    section = section[:section.index("\n## ", 5)] if "\n## " in section[5:] else section
    return [line.split("#")[0].strip() for line in section.splitlines()
            if line.strip().startswith(".venv/bin/python -m autograder ")]


def test_collect_from_service_then_grade_and_report_grade_what_was_received(template, tmp_path):
    """After the deadline (before the cut-off): are submissions received late with the policy's 30%, is 'not graded
    yet' said of hidden results, do the docs' commands (tokens, collect --from-service, grade, report) grade each
    student's last submission at its receipt time, late, and then does the service show the per-question scores
    with the hidden tests (0 for the hidden-only failure); and after the cut-off with hidden_results 'never', is
    the hand-in closed (410) and nothing hidden shown?"""
    course = course_with(template, tmp_path / "course", late_config())
    commands = docs_commands()
    assert any("--from-service" in c for c in commands) and any(" tokens " in c for c in commands)
    for command in commands:
        if " tokens " in command and "--reissue" not in command:
            (course / "roster.csv").write_text("student\naa0001\naa0002\naa0003\n")
            cli(course, *command.split()[3:], check=True)
    with (course / "tokens.csv").open(newline="") as f:
        tokens = {r["student"]: r["token"] for r in csv.DictReader(f)}
    old_token = tokens["aa0001"]
    reissue = next(c for c in commands if "--reissue" in c)  # aa0001 lost the token
    cli(course, *reissue.split()[3:], check=True)
    with (course / reissue.split("--out ")[1].split()[0]).open(newline="") as f:
        tokens.update({r["student"]: r["token"] for r in csv.DictReader(f) if r["token"]})
    assert tokens["aa0001"] != old_token
    serve = next(c for c in commands if " serve " in c).split()[4:]
    assert "--host" in serve and "127.0.0.1" in serve
    service = Service(course, *[a.replace("8765", "{port}") for a in serve])
    try:
        assert service.post(old_token, notebook("blank"), name=NAME.format("aa0001")).status_code == 401
        first = service.post(tokens["aa0002"], notebook("partial_marks"), name=NAME.format("aa0002")).json()
        sent = {"aa0001": notebook("full_marks"), "aa0002": notebook("full_marks"), "aa0003": hidden_only_failure()}
        receipts = {s: service.post(tokens[s], d, name=NAME.format(s)).json() for s, d in sent.items()}
        for student, receipt in receipts.items():
            assert receipt["late"] is True and receipt["penalty"] == pytest.approx(0.3)
            assert "takes 30% off" in receipt["message"]
            body = service.done(tokens[student], receipt["url"])
            assert "not graded yet" in body["hidden"] and "hidden_scores" not in body
        for command in commands:
            if any(f" {verb} " in command for verb in ("collect", "grade", "report")):
                cli(course, *command.replace("lab7_optimizers", A).split()[3:], check=True)
        with (course / "reports" / A / "grades.csv").open(newline="") as f:
            grades = {r["student"]: r for r in csv.DictReader(f)}
        for student, receipt in receipts.items():
            folder = course / "submitted" / student / A
            assert (folder / f"{A}.ipynb").read_bytes() == sent[student]  # the last one counts
            received = datetime.fromisoformat(receipt["received_at"]).replace(tzinfo=None)
            assert (folder / "timestamp.txt").read_text() == received.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
            assert grades[student]["submitted_at"].startswith(received.strftime("%Y-%m-%d %H:%M:%S"))
        assert float(grades["aa0001"]["raw_score"]) == 20 and float(grades["aa0001"]["total"]) == pytest.approx(14)
        assert float(grades["aa0003"]["test_forward_pass"]) == 0 and float(grades["aa0003"]["raw_score"]) == 14
        shown = service.done(tokens["aa0003"], receipts["aa0003"]["url"])
        assert shown["hidden"].startswith("graded") and all(c["passed"] for c in shown["checks"])
        assert {q["grade_id"]: q["score"] for q in shown["hidden_scores"]} == \
            {"test_forward_pass": 0.0, "test_backward_pass": 8.0, "test_parameter_derivatives": 6.0}
        earlier = service.done(tokens["aa0002"], first["url"])
        assert "not your counting submission" in earlier["hidden"] and "hidden_scores" not in earlier
    finally:
        service.stop()
    with (course / "nbgrader_config.py").open("a") as f:  # past the cut-off, hidden results never shown
        f.write(f'\nc.LatePolicy.deadlines = {{"{A}": "2025-03-14 17:00"}}\nc.Serve.hidden_results = "never"\n')
    service = Service(course)
    try:
        closed = service.post(tokens["aa0001"], notebook("full_marks"), name=NAME.format("aa0001"))
        assert closed.status_code == 410
        message = closed.json()["error"]
        assert "closed" in message and "zero" in message and receipts["aa0001"]["id"] in message
        body = service.done(tokens["aa0001"], receipts["aa0001"]["url"])
        assert "not shown" in body["hidden"] and "hidden_scores" not in body
    finally:
        service.stop()


def test_the_service_keeps_its_tables_in_a_postgresql_gradebook(template, tmp_path):
    """With CourseDirectory.db_url a PostgreSQL database (as `grade` uses it), are tokens and submissions stored
    there (no SQLite file appears) and is a submission checked as on SQLite?"""
    from test_cluster import Postgres

    postgres = Postgres()
    try:
        url = postgres.create("service")
        course = course_with(template, tmp_path / "course", OPEN)
        (course / "gradebook.db").unlink()
        with (course / "nbgrader_config.py").open("a") as f:
            f.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
        make_gradebook(course, A)
        tokens = issue_tokens(course, ["aa0001"])
        service = Service(course)
        try:
            answer = service.post(tokens["aa0001"], notebook("partial_marks"), name=NAME.format("aa0001"))
            assert answer.status_code == 202, answer.text
            body = service.done(tokens["aa0001"], answer.json()["url"])
            assert [c["passed"] for c in body["checks"]] == [True, False, False]
        finally:
            service.stop()
        assert not (course / "gradebook.db").exists()
        assert [r.id for r in rows_of(course)] == [answer.json()["id"]]
    finally:
        postgres.close()


def test_the_service_listens_on_loopback_only_and_its_page_loads_nothing_external(open_service):
    """Started without --host, do the service, its workers and their kernels listen on 127.0.0.1 only, and does the
    upload page come with a Content-Security-Policy and without any external asset?"""
    import psutil

    from test_cluster import descendants

    service, _ = open_service
    pids = [service.process.pid, *descendants(service.process.pid)]
    listening = {(c.laddr.ip, c.laddr.port) for pid in pids if psutil.pid_exists(pid)
                 for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    assert ("127.0.0.1", service.port) in listening and {ip for ip, _ in listening} == {"127.0.0.1"}, listening
    page = service.http.get("/upload")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text) and "innerHTML" not in page.text


def test_the_checks_run_on_a_dask_cluster_with_scheduler(template, tmp_path):
    """With --scheduler, are the visible checks run on the Dask cluster's workers (started with the docs'
    commands), kept up between submissions, with the results a local run gives?"""
    from test_cluster import Cluster

    course = course_with(template, tmp_path / "course", OPEN)
    tokens = issue_tokens(course, ["aa0001", "aa0002"])
    (tmp_path / "cluster").mkdir()
    cluster = Cluster(tmp_path / "cluster")
    try:
        service = Service(course, "--scheduler", cluster.address)
        try:
            passed = {}
            for student, kind in (("aa0001", "partial_marks"), ("aa0002", "full_marks")):
                answer = service.post(tokens[student], notebook(kind), name=NAME.format(student))
                body = service.done(tokens[student], answer.json()["url"])
                passed[kind] = [c["passed"] for c in body["checks"]]
            assert passed == {"partial_marks": [True, False, False], "full_marks": [True, True, True]}
            assert "checks on tcp://127.0.0.1" in service.log.read_text()
        finally:
            service.stop()
    finally:
        cluster.close()


def test_with_the_courses_sandbox_the_hidden_tests_do_not_run_either(template, tmp_path):
    """With the course's own Execute step (the sandbox, which runs test cells in the grader from the workers'
    snapshot), are the visible checks per question right, and does the hidden-only failure pass them all?"""
    from test_cluster import SANDBOXED

    course = course_with(template, tmp_path / "course", OPEN + SANDBOXED)
    tokens = issue_tokens(course, ["aa0001", "aa0002", "aa0003"])
    service = Service(course)
    try:
        sent = {"aa0001": notebook("partial_marks"), "aa0002": hidden_only_failure(), "aa0003": notebook("blank")}
        urls = {s: service.post(tokens[s], d, name=NAME.format(s)).json()["url"] for s, d in sent.items()}
        passed = {s: [c["passed"] for c in service.done(tokens[s], url)["checks"]] for s, url in urls.items()}
        assert passed == {"aa0001": [True, False, False], "aa0002": [True, True, True], "aa0003": [False] * 3}
    finally:
        service.stop()


def test_a_course_with_nothing_released_is_a_clear_error_even_without_a_gradebook_setting(tmp_path):
    """In a course whose nbgrader_config.py neither names a gradebook nor has released anything, does serve stop at
    once with an error naming the course folder and what to run, rather than a traceback or an empty service?"""
    course = tmp_path / "course"
    course.mkdir()
    config = "\n".join(line for line in (ROOT / "nbgrader_config.py").read_text().splitlines() if "db_url" not in line)
    (course / "nbgrader_config.py").write_text(config + "\n")
    done = cli(course, "serve", "--port", "1", timeout=120)
    assert done.returncode != 0
    assert f"{course}: no assignment is released" in done.stderr and "autograder release" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
