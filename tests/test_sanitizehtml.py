"""Is what a TA's browser shows of a student's notebook free of scripts, with math, images and plots kept?"""
import nbformat
from nbconvert import HTMLExporter

from autograder.nbconfig import load_config
from autograder.preprocessors.sanitizehtml import SanitizeHTML, clean_html
from conftest import ROOT

ACTIVE = ("<script", "onerror", "onload", "javascript:", "<iframe", "alert(")
MARKDOWN = ("# My answer\n\nThe gradient is $\\frac{\\partial L}{\\partial w} < 0$ here.\n\n"
            "<img src=x onerror=alert(1)> <script>alert(2)</script> <iframe src=//evil></iframe>\n"
            "[click](javascript:alert(3)) <a href=\"data:text/html,<script>alert(4)</script>\">d</a>\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n")
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def hostile_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(MARKDOWN), nbformat.v4.new_code_cell("plot()")]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": "<b>loss</b><script>alert(5)</script><img src=x onload=alert(6)><svg onload=alert(7)>",
            "application/javascript": "alert(8)", "image/svg+xml": "<svg><script>alert(9)</script></svg>"}),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("execute_result", data={"text/latex": "$x^2$", "text/plain": "x**2"},
                               execution_count=1)]
    return nb


def test_stored_outputs_lose_active_content_and_keep_plots():
    """Does the autograde step remove scripts, handlers and script types and keep PNG plots, LaTeX and text?"""
    nb, _ = SanitizeHTML()(hostile_notebook(), {})  # called as the pipeline calls its steps
    outputs = nb.cells[1].outputs
    text = str(outputs)
    assert not any(a in text for a in ACTIVE)
    assert "application/javascript" not in outputs[0].data and "image/svg+xml" not in outputs[0].data
    assert "<b>loss</b>" in outputs[0].data["text/html"]
    assert outputs[1].data["image/png"] == PNG and outputs[2].data["text/latex"] == "$x^2$"


def test_the_course_config_renders_feedback_and_formgrader_pages_clean():
    """With the course's HTMLExporter settings, is the rendered page free of active content, with the markdown's
    headings, table, math and the plot still there?"""
    html, _ = HTMLExporter(config=load_config(ROOT)).from_notebook_node(hostile_notebook())
    body = html[html.index("<body"):]
    assert not any(a in body for a in ACTIVE), [a for a in ACTIVE if a in body]
    assert '<h1 id="My-answer">' in body and "<table>" in body and "\\frac{\\partial L}" in body
    assert f"data:image/png;base64,{PNG}" in body


def test_clean_html_keeps_raster_data_images_only():
    """Is a data: URL kept as an image's source only, and never for SVG or a link?"""
    assert 'src="data:image/png;base64,AAAA"' in clean_html('<img src="data:image/png;base64,AAAA">')
    assert "data:" not in clean_html('<img src="data:image/svg+xml;base64,AAAA">')
    assert "data:" not in clean_html('<a href="data:text/html;base64,AAAA">x</a>')


def test_the_ta_is_told_when_an_output_carried_active_content():
    """Is an output with scripts flagged (once per cell) in the notebook's metadata, and a plain table not?"""
    nb, _ = SanitizeHTML().preprocess(hostile_notebook(), {})
    assert [f["code"] for f in nb.metadata["autograder"]["flags"]] == ["active-html"]
    plain = nbformat.v4.new_notebook()
    plain.cells = [nbformat.v4.new_code_cell("df")]
    plain.cells[0].outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/html": "<style scoped>.x {color: red}</style><table class='dataframe'><tr><td>1</td></tr></table>"})]
    nb, _ = SanitizeHTML().preprocess(plain, {})
    assert not nb.metadata.get("autograder", {}).get("flags")
    assert "<table" in nb.cells[0].outputs[0].data["text/html"]
