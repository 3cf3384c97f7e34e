"""The static scan of student cells (autograder.sandbox.scan): what the TA is told, once per finding."""
from __future__ import annotations

from autograder.sandbox.scan import ATTEMPT, NOTICE, scan_cell


def _found(source: str) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.message) for f in scan_cell(source, cell="answer")]


def test_one_exit_call_is_one_flag():
    """Is `os._exit(0)`, which the text rules and the syntax-tree rules both see, told to the TA once?"""
    assert _found("import os\nos._exit(0)") == [("exit", ATTEMPT, "exits or kills the kernel: 'os._exit' (line 2)")]


def test_an_aliased_exit_the_text_rules_miss_is_still_flagged():
    """Is `o._exit` after `import os as o`, which no text rule matches, flagged by the syntax tree?"""
    assert _found("import os as o\no._exit(0)") == [("exit", ATTEMPT, "uses os._exit")]


def test_two_different_exits_in_a_cell_are_both_named():
    """When a cell calls sys.exit and, later, os.kill, are both named (the text rules report the first only)?"""
    found = [message for code, _, message in _found("import os, sys\nsys.exit()\nos.kill(os.getpid(), 9)")
             if code == "exit"]
    assert found == ["exits or kills the kernel: 'sys.exit' (line 2)", "uses os.kill"]


def test_a_spaced_call_is_the_same_finding():
    """Is `sys . exit()` (spaces around the dot) one flag, though the text rule's match keeps the spaces?"""
    assert [code for code, _, _ in _found("import sys\nsys . exit()")] == ["exit"]


def test_an_honest_folder_for_plots_is_a_notice_not_an_attempt():
    """Is `os.makedirs("plots")` a notice that files are written, and nothing more?"""
    assert _found('import os\nos.makedirs("plots", exist_ok=True)') == [
        ("write-files", NOTICE, "writes or changes files: 'os.makedirs' (line 2)")]
