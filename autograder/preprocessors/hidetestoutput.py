"""Keep what ran during hidden tests out of feedback: a student's code that prints its arguments must not show the
hidden tests' inputs to the student.

A test cell with a hidden part (nbgrader's BEGIN/END HIDDEN TESTS, still in the autograded notebook's source, or
listed by SandboxedExecute in `nb.metadata["autograder"]["hidden_test_cells"]`) keeps, in feedback, only its error
outputs: an AssertionError that the grader's test code raised (its message is the test's), and for any other
error its name with a fixed message. Every stream, display and result output of such a cell is dropped, whether
the kernel or the test code wrote it. The autograded notebook keeps everything for the TA. In GenerateFeedback it
runs before HideTracebacks and ClearHiddenTests, while the hidden lines are still there to be recognised.
"""
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN_MARKER = "BEGIN HIDDEN TESTS"
GRADER_WHERE = "evaluated by the grader)"    # the second line of an error the grader writes (testcell.error_output)
STUDENT_CODE = "In the student's code"       # the note on an exception the student's code raised (remote._exception)
WITHHELD = ("the test failed while it ran hidden checks; the message is not shown here because it may hold the "
            "hidden tests' inputs (your instructor sees it)")


def _grader_assertion(output) -> bool:
    """An AssertionError raised by the grader's own test code, with no part written by the student's code."""
    lines = [str(line) for line in output.get("traceback", [])]
    return output.get("ename") == "AssertionError" and any(line.strip().endswith(GRADER_WHERE) for line in lines) \
        and not any(STUDENT_CODE in line for line in lines)


class HideHiddenTestOutput(NbGraderPreprocessor):
    """In test cells with a hidden part, drop all outputs but errors, and withhold error messages that are not the
    test's own assertion."""

    def preprocess(self, nb, resources):
        self._listed = set((nb.metadata.get("autograder") or {}).get("hidden_test_cells") or ())
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if HIDDEN_MARKER not in cell.source and grade_id not in self._listed:
            return cell, resources
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if not _grader_assertion(output):
                output.evalue = WITHHELD
                output.traceback = [f"{output.get('ename', 'Error')}: {WITHHELD}"]
            kept.append(output)
        cell.outputs = kept
        return cell, resources
