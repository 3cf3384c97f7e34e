"""Write the course's hand-in service and the assignment into every released notebook's hand-in cell."""
import json
import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..twins import HANDIN_GRADE_ID


def fill(source: str, *, service: str, assignment: str) -> str:
    """The hand-in cell's code `source` with its `service = ""` and `assignment = ""` lines set. A cell without
    both lines is an error naming the missing one."""
    for name, value in (("service", service), ("assignment", assignment)):
        pattern = re.compile(rf'^(    {name} = )""(  #.*)$', re.M)
        if not pattern.search(source):
            raise ValueError(f'the hand-in cell has no line `{name} = ""` to set (autograder/handin_check.py)')
        source = pattern.sub(lambda m: m.group(1) + json.dumps(value) + m.group(2), source, count=1)
    return source


class FillHandInCell(NbGraderPreprocessor):
    """Set the hand-in cell's service address and assignment when a notebook is released. It runs before the
    release's checksums and SaveCells, so the gradebook holds the cell as released (a locked cell)."""

    service = Unicode(
        "", help="Public address (https://...) of the course's hand-in service (`python -m autograder serve` "
                 "behind TLS), written into every released notebook's hand-in cell; empty: no service, the cell "
                 "tells students to upload the downloaded file"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == HANDIN_GRADE_ID]
        if len(cells) != 1:
            raise ValueError(f"{resources['nbgrader']['notebook']}: expected one hand-in cell "
                             f"(grade_id {HANDIN_GRADE_ID!r}), found {len(cells)}")
        cells[0].source = fill(cells[0].source, service=self.service.rstrip("/"),
                               assignment=resources["nbgrader"]["assignment"])
        return nb, resources
