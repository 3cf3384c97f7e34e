"""The course's release, collect, grade and report machinery, on top of nbgrader."""
import sys

# jsonschema (under nbformat and nbgrader) builds an Earley parser for its "iri" format check when rfc3987-syntax is
# installed: 1.2 s of CPU in every process that imports it. No schema used here checks formats, so it is not loaded.
sys.modules.setdefault("rfc3987_syntax", None)
