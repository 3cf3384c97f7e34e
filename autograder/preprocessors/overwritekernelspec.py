"""nbgrader's OverwriteKernelspec, with the notebook's kernelspec read from the gradebook once per unchanged file.

nbgrader's step opens the gradebook for every submission to read one field (2 ms of a grading worker's CPU): this
one keeps the field, as the gradebook holds it (JSON text), for as long as the file is the same
(`database.read_once`), and decodes it for each notebook as nbgrader does, so no two notebooks share it. A
gradebook written since is read again; a database server is read for every notebook, as nbgrader reads it.
"""
from __future__ import annotations

import json

from nbgrader.api import Gradebook
from nbgrader.preprocessors import OverwriteKernelspec as NbgraderOverwriteKernelspec

from ..database import read_once


class OverwriteKernelspec(NbgraderOverwriteKernelspec):
    """nbgrader's OverwriteKernelspec, reading the notebook's kernelspec once per unchanged gradebook file."""

    def preprocess(self, nb, resources):
        notebook_id = resources["nbgrader"]["notebook"]
        assignment_id = resources["nbgrader"]["assignment"]
        db_url = resources["nbgrader"]["db_url"]
        def read():
            with Gradebook(db_url) as gb:  # an unknown notebook raises MissingEntry, as in nbgrader
                return gb.find_notebook(notebook_id, assignment_id).kernelspec

        stored = read_once(db_url, "OverwriteKernelspec", (notebook_id, assignment_id), read)
        kernelspec = json.loads(stored) if stored is not None else None

        self.log.debug("Source notebook kernelspec: {}".format(kernelspec))
        self.log.debug("Submitted notebook kernelspec: {}".format(nb.metadata.get("kernelspec", None)))
        if kernelspec:
            self.log.debug("Overwriting submitted notebook kernelspec: {}".format(kernelspec))
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources
