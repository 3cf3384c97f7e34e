"""Keep hidden test code out of feedback: test cells show only the error's name and message."""
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor


class HideTracebacks(NbGraderPreprocessor):
    """In grade cells, replace each error's traceback (whose frames quote the hidden test lines) by
    "<error name>: <message>", and drop stderr lines that repeat a line of the cell (warnings quote the
    line that raised them). In GenerateFeedback it runs before ClearHiddenTests, while the hidden lines are
    still there to be recognised."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        code_lines = {line.strip() for line in cell.source.splitlines() if line.strip()}
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
            elif output.output_type == "stream" and output.name == "stderr":
                output.text = "".join(line for line in output.text.splitlines(keepends=True)
                                      if line.strip() not in code_lines)
        return cell, resources
