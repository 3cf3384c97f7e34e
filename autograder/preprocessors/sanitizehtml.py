"""Sanitized HTML where TAs look: what a student's code displayed cannot run in a TA's browser.

A student's outputs (and the markdown of written answers) can carry `<script>`, `onerror=` handlers, frames or
`javascript:` links. Two places clean them, both with nh3 (the ammonia sanitizer):

- `SanitizeHTML`, a preprocessor in the autograde pipeline, on the outputs stored in every autograded notebook:
  HTML and markdown outputs are cleaned, JavaScript and other active output types removed; text, LaTeX, JSON and
  PNG/JPEG images (plots) are kept as they are.
- `clean_html`, the filter nbconvert's HTML templates apply when `HTMLExporter.sanitize_html` is set (the course
  config sets both): it cleans the rendered HTML of markdown cells and HTML outputs in feedback/*.html and in the
  formgrader's pages. Headings, paragraphs, lists, tables, emphasis, code, images and links stay; MathJax reads
  the text, so math stays too.
"""
from __future__ import annotations

import re

import nh3
from nbconvert.preprocessors.sanitize import SanitizeHTML as _NbconvertSanitizeHTML
from traitlets import Bool, Set

TAGS = nh3.ALLOWED_TAGS | {"font"}
ATTRIBUTES = {**{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
              "*": {"class", "id", "title", "lang", "dir", "align"}, "a": {"href", "title"},
              "img": {"src", "alt", "title", "width", "height"}, "font": {"color"}}
URL_SCHEMES = {"http", "https", "mailto", "data", "attachment"}
SCRIPT_TYPES = ("application/javascript", "text/javascript", "application/x-javascript")
ACTIVE = re.compile(r"<\s*(script|iframe|frame|object|embed|applet|meta|base)\b|\son[a-z]+\s*=|javascript\s*:",
                    re.IGNORECASE)


def _attribute(element: str, attribute: str, value: str) -> str | None:
    """Keep a `data:` URL only as an image's source, and only for a raster image (an SVG can script)."""
    if value.strip().lower().startswith("data:"):
        kind = value.strip().lower()[5:].split(";", 1)[0].split(",", 1)[0]
        if not (element == "img" and attribute == "src" and kind.startswith("image/") and "svg" not in kind):
            return None
    return value


def clean_html(element) -> str:
    """`element` (rendered HTML) without scripts, event handlers, frames, styles or active links."""
    text = element.decode() if isinstance(element, bytes) else str(element)
    return nh3.clean(text, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, attribute_filter=_attribute,
                     link_rel="noopener noreferrer")


class SanitizeHTML(_NbconvertSanitizeHTML):
    """nbconvert's output sanitizer with nh3 for the HTML it keeps; markdown cells are left to the exporter."""

    enabled = Bool(True, help="Clean outputs (nbconvert's preprocessors are off unless enabled).").tag(config=True)
    safe_output_keys = Set(
        {"metadata", "text/plain", "text/latex", "application/json", "image/png", "image/jpeg"},
        help="Output types kept as they are (no active content can hide in them)."
    ).tag(config=True)
    sanitized_output_types = Set(
        {"text/html", "text/markdown"}, help="Output types kept after cleaning with nh3; any other type is removed."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        self._active = []
        nb, resources = super().preprocess(nb, resources)
        if self._active:  # the TA is told: an output carried scripts or handlers (removed)
            flags = nb.metadata.setdefault("autograder", {}).setdefault("flags", [])
            for cell in self._active:
                flags.append({"code": "active-html", "severity": "attempt", "cell": cell,
                              "message": "an output held scripts, event handlers or frames: removed"})
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            if any(map(self._active_output, cell.outputs)):
                self._active.append(cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {cell_index}")
            cell.outputs = self.sanitize_code_outputs(cell.outputs)
        return cell, resources

    def _active_output(self, output) -> bool:
        """Does `output` carry a script type, or HTML/markdown with scripts, handlers or frames?"""
        data = output.get("data")
        if not isinstance(data, dict):
            return False
        return any(k in data for k in SCRIPT_TYPES) or any(
            isinstance(data.get(k), str) and ACTIVE.search(data[k]) for k in self.sanitized_output_types)

    def sanitize_html_tags(self, html_str):
        return clean_html(html_str)
