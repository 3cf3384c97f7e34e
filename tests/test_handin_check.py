"""Does the hand-in check (every notebook's last cell) report what a student must fix, and stay out of grading?"""
import contextlib
import copy
import io
import json
import sys
import types

import pytest

from autograder.course import release_notebook, source_notebook
from autograder.nbconfig import load_config
from autograder.preprocessors.fillhandincell import FillHandInCell, fill
from autograder.twins import HANDIN_GRADE_ID, handin_source
from conftest import ASSIGNMENTS, REFERENCE, ROOT, per_assignment


def _run_cell(namespace, *, colab_notebook=None, monkeypatch, source=None):
    """Run the hand-in cell's code (`source`, else handin_check.py's) in `namespace` (as a kernel would) and return
    what it printed."""
    if colab_notebook is not None:
        message = types.SimpleNamespace(blocking_request=lambda kind, timeout_sec: {"ipynb": copy.deepcopy(colab_notebook)})
        colab = types.ModuleType("google.colab")
        colab._message = message
        google = types.ModuleType("google")
        google.colab = colab
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab)
        monkeypatch.setitem(sys.modules, "google.colab._message", message)
    else:
        monkeypatch.setitem(sys.modules, "google.colab", None)  # import fails, as outside Colab
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source or handin_source(), "<hand-in check>", "exec"), namespace)
    return out.getvalue()


def _ran_in_order(nb):
    """`nb` as after Restart and run all with every answer done: counts 1, 2, ... and no errors."""
    nb = copy.deepcopy(nb)
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            count += 1
            cell["execution_count"], cell["outputs"] = count, []
    return nb


def _cell(nb, gid):
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)


@pytest.fixture
def outside_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


@per_assignment
def test_every_notebook_ends_with_the_one_hand_in_check(assignment):
    """Is the last cell of every source and release notebook the locked, ungraded copy of autograder/handin_check.py,
    the release's with the course's service address and its own assignment filled in?"""
    service = FillHandInCell(config=load_config(ROOT)).service
    released = fill(handin_source(), service=service, assignment=assignment)
    for path, expected in ((source_notebook(ROOT, assignment), handin_source()),
                           (release_notebook(ROOT, assignment), released)):
        cells = json.loads(path.read_text())["cells"]
        last = cells[-1]
        meta = last["metadata"].get("nbgrader", {})
        assert meta.get("grade_id") == HANDIN_GRADE_ID, f"{path}: the last cell is not the hand-in check"
        assert meta.get("locked") and not meta.get("grade") and not meta.get("solution"), f"{path}: {meta}"
        assert "".join(last["source"]) == expected, f"{path}: its hand-in check differs from handin_check.py"
    assert f'    assignment = "{assignment}"  #' in released


def test_release_writes_the_configured_service_into_the_hand_in_cell():
    """With c.FillHandInCell.service set, does the release step write that address (without a trailing slash) and
    the assignment into the hand-in cell, and refuse a notebook without one?"""
    import nbformat
    from traitlets.config import Config

    nb = nbformat.read(source_notebook(ROOT, REFERENCE), as_version=4)
    config = Config()
    config.FillHandInCell.service = "https://hand-in.example.org/"
    step = FillHandInCell(config=config)
    resources = {"nbgrader": {"assignment": REFERENCE, "notebook": REFERENCE}}
    nb, _ = step.preprocess(nb, resources)
    source = nb.cells[-1].source
    assert '    service = "https://hand-in.example.org"  #' in source
    assert f'    assignment = "{REFERENCE}"  #' in source
    nb.cells.pop()
    with pytest.raises(ValueError, match="expected one hand-in cell"):
        step.preprocess(nb, resources)


def _served(assignment=REFERENCE):
    """The hand-in cell as released with a service address (nothing listens there)."""
    return fill(handin_source(), service="http://127.0.0.1:9", assignment=assignment)


def test_without_a_yes_nothing_is_sent(outside_grading, monkeypatch):
    """With a service configured, does the cell ask before sending, and send nothing unless the answer is yes?"""
    nb = _ran_in_order(json.loads(release_notebook(ROOT, REFERENCE).read_text()))
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "no")
    sent = []
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: sent.append(a))
    printed = _run_cell({}, colab_notebook=nb, monkeypatch=monkeypatch, source=_served())
    assert asked and "Type yes to send it" in asked[0] and "http://127.0.0.1:9" in asked[0]
    assert printed.rstrip().endswith("Not handed in.") and not sent
    assert "upload that file at http://127.0.0.1:9" in printed


def test_a_kernel_that_cannot_ask_sends_nothing_and_says_why(outside_grading, monkeypatch):
    """Run by a script (input() refused, as nbclient's kernels do), does the cell send nothing and say how to
    hand in instead?"""
    nb = _ran_in_order(json.loads(release_notebook(ROOT, REFERENCE).read_text()))

    def refuse(prompt):
        raise RuntimeError("stdin not implemented")

    monkeypatch.setattr("builtins.input", refuse)
    printed = _run_cell({}, colab_notebook=nb, monkeypatch=monkeypatch, source=_served())
    assert "Not handed in: this kernel cannot ask you" in printed


def test_an_unreachable_service_is_reported_not_raised(outside_grading, monkeypatch):
    """With a yes and a token but nothing listening at the address, does the cell say it could not reach it?"""
    nb = _ran_in_order(json.loads(release_notebook(ROOT, REFERENCE).read_text()))
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    monkeypatch.setenv("AUTOGRADER_TOKEN", "t.secret")
    printed = _run_cell({}, colab_notebook=nb, monkeypatch=monkeypatch, source=_served())
    assert "Not handed in: could not reach http://127.0.0.1:9" in printed


def test_report_lists_a_stub_a_failing_check_and_cells_out_of_order(outside_grading, monkeypatch):
    """Given Colab's JSON with a TODO left, a failing visible check and a cell re-run late, does it name each one?"""
    nb = _ran_in_order(json.loads(release_notebook(ROOT, REFERENCE).read_text()))
    solved = json.loads(source_notebook(ROOT, REFERENCE).read_text())
    for gid in ("forward_pass", "parameter_derivatives"):
        _cell(nb, gid)["source"] = _cell(solved, gid)["source"]  # answered; backward_pass keeps its stub
    _cell(nb, "test_backward_pass")["outputs"] = [
        {"output_type": "error", "ename": "NotImplementedError", "evalue": "", "traceback": []}]
    _cell(nb, "values")["execution_count"] = 99  # re-run after everything below it
    _cell(nb, "fd_check")["execution_count"] = None
    printed = _run_cell({}, colab_notebook=nb, monkeypatch=monkeypatch)
    index = {c["metadata"].get("nbgrader", {}).get("grade_id"): i + 1 for i, c in enumerate(nb["cells"])}
    assert "read from Colab" in printed
    assert f"Unanswered TODOs: 1\n  - cell {index['backward_pass']} (backward_pass)\n" in printed
    assert f"Failing visible checks: 1\n  - cell {index['test_backward_pass']} (test_backward_pass): NotImplementedError" in printed
    order = printed.split("Cells not run in order: ")[1].split("File name")[0]
    assert order.startswith("2\n"), printed
    assert f"cell {index['closed_form']} (closed_form) ran as [" in order  # the first code cell after [99]
    assert f"cell {index['fd_check']} (fd_check) was not run" in order
    assert "toy_chain_backprop_<your student id>.ipynb" in printed and "toy_chain_backprop_aa1234.ipynb" in printed


@per_assignment
def test_a_finished_notebook_reports_nothing_to_fix(assignment, outside_grading, monkeypatch):
    """Given a solved notebook run in order, does it report no TODO, failure or order problem, and its file name?"""
    nb = _ran_in_order(json.loads(source_notebook(ROOT, assignment).read_text()))
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"]).replace("raise NotImplementedError()", "pass")
    printed = _run_cell({}, colab_notebook=nb, monkeypatch=monkeypatch)
    for title in ("Unanswered TODOs", "Failing visible checks", "Other cells that raised an error",
                  "Cells not run in order"):
        assert f"{title}: none" in printed, printed
    name = "Lab_7" if assignment == "lab7_optimizers" else assignment
    assert f"rename the notebook {name}_<your student id>.ipynb" in printed


def test_outside_colab_it_says_what_it_could_not_check(outside_grading, monkeypatch, tmp_path):
    """Without the notebook's JSON, does it count the stubs in the kernel's history and say what went unchecked?"""
    monkeypatch.chdir(tmp_path)
    history = ["", "import numpy as np", "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"]
    printed = _run_cell({"_ih": history, "In": history}, monkeypatch=monkeypatch)
    assert "only the kernel's history was read" in printed
    assert "Cells run in this session: 2; of those, 1 still raise NotImplementedError" in printed
    assert "Not checked: failing visible checks and the order of cells" in printed


def test_a_saved_notebook_is_read_outside_colab(outside_grading, monkeypatch, tmp_path):
    """In Jupyter or VS Code, does it read the notebook file the kernel names and say it is the saved copy?"""
    path = tmp_path / "toy.ipynb"
    path.write_text(json.dumps(_ran_in_order(json.loads(release_notebook(ROOT, REFERENCE).read_text()))))
    printed = _run_cell({"__vsc_ipynb_file__": str(path)}, monkeypatch=monkeypatch)
    assert f"read from {path} as last saved" in printed and "Unanswered TODOs: 3" in printed


def test_graded_it_does_nothing(monkeypatch):
    """When nbgrader runs it (NBGRADER_EXECUTION set), does it print nothing and leave no name behind?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    namespace = {}
    printed = _run_cell(namespace, colab_notebook={"cells": []}, monkeypatch=monkeypatch)
    assert printed == "" and set(namespace) == {"__builtins__"}


def _run_in_kernel(source: str, *, env: dict, answers: list[str], timeout: float = 180) -> str:
    """Run `source` in a real IPython kernel started with `env`, answering its input() and getpass() prompts with
    `answers` in turn, as a student types them; what it printed (prompts included)."""
    import os
    import queue
    import time

    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=dict(os.environ, **env))
    try:
        msg_id = kc.execute(source, allow_stdin=True)
        printed, pending, deadline = [], list(answers), time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                request = kc.get_stdin_msg(timeout=0.2)
            except queue.Empty:
                pass
            else:
                printed.append(request["content"]["prompt"])
                kc.input(pending.pop(0) if pending else "")
            try:
                message = kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                printed.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(printed)
        raise AssertionError(f"the hand-in cell did not finish in {timeout} s:\n{''.join(printed)}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.slow
def test_the_hand_in_cell_hands_in_to_the_service_from_a_kernel(tmp_path):
    """Run in a real kernel against the real service (`python -m autograder serve`), does the cell refuse to send
    with a mistyped token, saying why, then, with a yes and the token, hand the saved notebook in, print the
    receipt and each visible check's result as the service holds them, and is that the student's submission?"""
    from fixtures.coursefolder import SUBMISSIONS, make_course, make_gradebook
    from fixtures.service import SERVE_CONFIG, Service, issue_tokens

    open_ahead = '\nc.LatePolicy.deadlines = {"toy_chain_backprop": "2099-03-14 17:00"}\n'
    course = make_course(tmp_path / "course", extra_config=SERVE_CONFIG + open_ahead)
    make_gradebook(course)
    token = issue_tokens(course, ["aa0001"])["aa0001"]
    nb = json.loads((SUBMISSIONS / "partial_marks.ipynb").read_text())
    path = tmp_path / "drive" / f"{REFERENCE}_aa0001.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(nb))
    source = "".join(nb["cells"][-1]["source"])
    assert f'assignment = "{REFERENCE}"' in source  # the cell as released
    service = Service(course)
    try:
        env = {"AUTOGRADER_URL": service.url, "JPY_SESSION_NAME": str(path), "AUTOGRADER_TOKEN": ""}
        mistyped = _run_in_kernel(source, env=env, answers=["yes", token[:-1]])
        assert "Your personal hand-in token: " in mistyped
        assert "Not handed in (401): wrong token" in mistyped, mistyped
        printed = _run_in_kernel(source, env={**env, "AUTOGRADER_TOKEN": token}, answers=["yes"])
        assert "Handed in: received at " in printed, printed
        sid = printed.split("'s submission ")[1].split()[0]
        held = service.done(token, f"/api/v1/submissions/{REFERENCE}/{sid}")
    finally:
        service.stop()
    assert held["student"] == "aa0001" and f"(the time that counts) as aa0001's submission {sid}" in printed
    assert f"sent {path} as last saved" in printed
    checks = held["checks"]
    passed = sum(c["passed"] for c in checks)
    assert 0 < passed < len(checks), checks  # partial marks: some visible checks fail
    assert f"Visible checks: {passed} of {len(checks)} passed" in printed
    for c in checks:
        line = f"  {'passed' if c['passed'] else 'FAILED'}  {c['grade_id']} ({c['points']:g} points)"
        assert line in printed, (line, printed)
    assert f"Hidden tests: {held['hidden']}" in printed
