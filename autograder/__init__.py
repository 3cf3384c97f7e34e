"""The course's release, collect, grade and report machinery, on top of nbgrader."""
