"""Match a damaged submission's cells back to its release before nbgrader sanitizes it (see autograder.repair)."""
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float

from ..repair import repair


class RepairCells(NbGraderPreprocessor):
    """Restore lost or changed nbgrader metadata, cell types and deleted cells from the release notebook.

    The release notebook comes in resources["autograder"]["release"]; the repairs made are appended to
    resources["autograder"]["repairs"] (a list of autograder.repair.Repair). Raises autograder.repair.RepairError
    for a notebook too unlike its release to be this assignment's.
    """

    min_resemblance = Float(
        0.5, help="Share of the release's provided cells (by grade_id or text) a submission must contain to be "
                  "repaired and graded; below it the submission is reported as unrecognised").tag(config=True)

    def preprocess(self, nb, resources):
        ours = resources.setdefault("autograder", {})
        nb, repairs = repair(nb, ours["release"], min_resemblance=self.min_resemblance)
        ours.setdefault("repairs", []).extend(repairs)
        return nb, resources
