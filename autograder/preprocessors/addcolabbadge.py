"""Put an "Open in Colab" badge at the top of every released notebook."""
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


class AddColabBadge(NbGraderPreprocessor):
    """Insert a markdown cell linking the released notebook to Colab, built from the repository setting."""

    repository = Unicode(
        "", help="GitHub repository (owner/name) whose release/ folder students open in Colab; empty: no badge"
    ).tag(config=True)
    branch = Unicode("main", help="Branch of `repository` that holds the committed release/ folder").tag(config=True)

    def colab_url(self, assignment: str, notebook: str) -> str:
        return (f"https://colab.research.google.com/github/{self.repository}/blob/{self.branch}"
                f"/release/{assignment}/{notebook}.ipynb")

    def preprocess(self, nb, resources):
        if not self.repository:
            return nb, resources
        url = self.colab_url(resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"])
        badge = new_markdown_cell(f"[![Open In Colab]({BADGE_IMAGE})]({url})")
        badge["id"] = "colab-badge"
        badge.metadata["colab_badge"] = True
        nb.cells.insert(0, badge)
        return nb, resources
