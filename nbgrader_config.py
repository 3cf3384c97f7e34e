"""nbgrader configuration for the course. The course root is this folder; the gradebook is gradebook.db here."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

root = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = root
c.CourseDirectory.course_id = "deep-learning-numpy"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The release is what nbgrader makes, plus an "Open in Colab" badge: set the repository students open it from.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    "autograder.preprocessors.AddColabBadge",
]
c.AddColabBadge.repository = "deep-learning-numpy/course"
c.AddColabBadge.branch = "main"

# Grading: per-cell timeout (seconds); the pipeline adds its own per-notebook limits on top.
c.Execute.timeout = 120
