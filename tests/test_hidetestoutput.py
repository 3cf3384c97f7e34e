"""Does feedback leave out everything that ran during a hidden test, and nothing else?"""
import json

from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.preprocessors.hidetestoutput import WITHHELD, HideHiddenTestOutput
from autograder.sandbox.testcell import error_output


def _test_cell(source: str, outputs: list, grade_id: str = "test_q1"):
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": grade_id}
    return cell


def _outputs():
    return [new_output("stream", name="stdout", text="[printed by the student's code]\nargs -1.7 0.5\n"),
            new_output("display_data", data={"text/plain": "-1.7"}),
            error_output("AssertionError", "f0 is incorrect for other inputs", "test cell test_q1, evaluated by the "
                         "grader")]


def test_a_hidden_test_keeps_only_its_own_assertion():
    """In a test cell with a hidden part, are prints and displays gone and the test's own assertion kept?"""
    nb = new_notebook(cells=[_test_cell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(-1.7) == 0\n"
                                        "### END HIDDEN TESTS\n", _outputs())])
    nb, _ = HideHiddenTestOutput()(nb, {})
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["error"]
    assert outputs[0].evalue == "f0 is incorrect for other inputs"
    assert "-1.7" not in json.dumps(outputs)


def test_an_error_of_the_students_code_in_a_hidden_test_is_withheld():
    """Is the message of an exception the student's code raised (which may quote the hidden inputs) replaced?"""
    raised = error_output("ValueError", "bad x=-1.7", "test cell test_q1, evaluated by the grader",
                          ["In the student's code:\n  File \"<cell>\", line 2"])
    nb = new_notebook(cells=[_test_cell("### BEGIN HIDDEN TESTS\nf(-1.7)\n### END HIDDEN TESTS\n", [raised])])
    nb, _ = HideHiddenTestOutput()(nb, {})
    assert nb.cells[0].outputs[0].evalue == WITHHELD and "-1.7" not in str(nb.cells[0].outputs[0].traceback)


def test_cells_the_grader_listed_are_hidden_even_without_markers():
    """Is a test cell listed in metadata.autograder.hidden_test_cells treated as hidden when its source has no
    markers left?"""
    nb = new_notebook(cells=[_test_cell("assert f(1) == 2\n", _outputs())])
    nb.metadata["autograder"] = {"hidden_test_cells": ["test_q1"]}
    nb, _ = HideHiddenTestOutput()(nb, {})
    assert [o.output_type for o in nb.cells[0].outputs] == ["error"]


def test_visible_tests_and_answer_cells_keep_their_outputs():
    """Are the outputs of a test cell without hidden part, and of an answer cell, left as they are?"""
    answer = new_code_cell("print(f(2.3))", outputs=[new_output("stream", name="stdout", text="2.3\n")])
    nb = new_notebook(cells=[answer, _test_cell("assert f(1) == 2\n", _outputs())])
    nb, _ = HideHiddenTestOutput()(nb, {})
    assert len(nb.cells[0].outputs) == 1 and len(nb.cells[1].outputs) == 3
