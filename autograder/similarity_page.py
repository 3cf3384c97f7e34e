"""similarity_page: what `python -m autograder similarity` writes, reports/<a>/similarity.csv and similarity.html.

It only formats what autograder.similarity found (its Match, Pair and SimilarityReport objects, read by their
attributes); every text of a student is escaped, and the page is cleaned by nh3.
"""
from __future__ import annotations

import csv
import html
import os
import tempfile
from pathlib import Path

import nh3

SHOWN_CHARS = 20_000  # of one answer, in the HTML page (a longer one is cut there, never in the comparison)

CSV_COLUMNS = ["student_a", "student_b", "question", "kind", "score", "share_a", "share_b", "tokens", "lines_a",
               "lines_b", "flagged"]


def replace_file(path: Path, write) -> Path:
    """Write through a new file in the same folder, then rename it onto `path`: an existing link is replaced,
    never followed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv(path: Path, matches) -> Path:
    """similarity.csv: one row per similarity.Match (a pair and a question that share work of their own)."""
    def write(f):
        out = csv.writer(f)
        out.writerow(CSV_COLUMNS)
        for m in matches:
            out.writerow([*m.students, m.question, m.kind, f"{m.score:.2f}", f"{m.shares[0]:.2f}",
                          f"{m.shares[1]:.2f}", m.tokens, *m.lines, "yes" if m.flagged else ""])
    return replace_file(path, write)


def flagged_rows(path: Path) -> list[dict]:
    """The rows of a similarity.csv that belong to a flagged pair (empty when there is no such file)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r.get("flagged") == "yes"]


def partners(path: Path, student: str) -> dict[str, list[str]]:
    """The students a similarity.csv pairs `student` with (flagged pairs only): {other: ['adam 100%', ...]}."""
    found: dict[str, list[str]] = {}
    for r in flagged_rows(path):
        if student in (r["student_a"], r["student_b"]):
            other = r["student_b"] if r["student_a"] == student else r["student_a"]
            found.setdefault(other, []).append(f"{r['question']} {percent(float(r['score']))}")
    return found


TAGS = {"h1", "h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "pre", "mark", "section",
        "span", "code", "strong", "em"}
STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
table.side { width: 100%; table-layout: fixed; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: 0.85em; }
mark { background: #ffe08a; }
.note { color: #555; }
section { border-top: 2px solid #888; margin-top: 2em; }
"""


def marked(text: str, spans) -> str:
    """`text` escaped for HTML, the character `spans` in <mark>; cut after SHOWN_CHARS characters."""
    shown, cut = text[:SHOWN_CHARS], len(text) > SHOWN_CHARS
    out, at = [], 0
    for a, b in sorted(spans):
        a, b = max(a, at), min(b, len(shown))
        if a >= b:
            continue
        out += [html.escape(shown[at:a]), "<mark>", html.escape(shown[a:b]), "</mark>"]
        at = b
    out.append(html.escape(shown[at:]))
    if cut:
        out.append(html.escape(f"\n... ({len(text) - SHOWN_CHARS} more characters, not shown)"))
    return "".join(out)


def percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def page(assignment: str, found: list, answers: dict[str, dict[str, str]], students: int, settings) -> str:
    """similarity.html: the top flagged pairs (similarity.Pair, strongest first) side by side, with the thresholds
    of `settings` (a similarity.SimilarityReport). Every student text is escaped, and the page is then cleaned by
    nh3 to the tags written here (no attributes but class, no links, no scripts or styles)."""
    e = html.escape
    flagged = [p for p in found if p.flagged]
    shown = flagged[:settings.top]
    body = [f"<h1>Similar answers: {e(assignment)}</h1>",
            f"<p>{students} graded submissions compared, question by question, on {len(answers)} answer cells. "
            f"{len(flagged)} pair{'s' if len(flagged) != 1 else ''} flagged. A question counts against a pair when "
            f"at least {percent(settings.threshold)} of one student's own work there is found in the other's "
            f"answer; a pair is flagged when the questions that count share {settings.min_tokens} code tokens (a "
            f"line of code is about 10) or {settings.min_words} words of written answers of their own, or a mix of "
            "the two. The release, the model answers and what many submissions share are nobody's own work and are "
            "not counted.</p>",
            "<p class=\"note\">A flag is a hint to look, not a verdict: students who worked together, or wrote the "
            "obvious line, look alike too. Every pair and question that shares work of its own is in "
            "similarity.csv" + (f"; the {len(shown)} strongest pairs are shown here" if len(flagged) > len(shown)
                                else "") + ".</p>"]
    if shown:
        body.append("<table><thead><tr><th>#</th><th>students</th><th>shared</th><th>flagged on</th></tr></thead>"
                    "<tbody>")
        for n, p in enumerate(shown, 1):
            on = ", ".join(f"{e(m.question)} ({percent(m.score)})" for m in p.matches if m.flagged)
            body.append(f"<tr><td>{n}</td><td>{e(p.students[0])} and {e(p.students[1])}</td>"
                        f"<td>{p.tokens}</td><td>{on}</td></tr>")
        body.append("</tbody></table>")
    else:
        body.append("<p><strong>No pair is flagged.</strong></p>")
    for n, p in enumerate(shown, 1):
        a, b = p.students
        body.append(f"<section><h2>{n}. {e(a)} and {e(b)}: {p.tokens} tokens and words of their own shared</h2>")
        others = [m for m in p.matches if not m.flagged]
        if others:
            body.append("<p class=\"note\">Also in common, under the threshold: "
                        + ", ".join(f"{e(m.question)} ({percent(m.score)})" for m in others) + "</p>")
        for m in p.matches:
            if not m.flagged:
                continue
            body.append(f"<h3>{e(m.question)}: {percent(m.score)} ({e(a)}: {percent(m.shares[0])} of their own "
                        f"{'code' if m.kind == 'code' else 'words'} found in {e(b)}'s answer; {e(b)}: "
                        f"{percent(m.shares[1])}), {m.tokens} {'tokens' if m.kind == 'code' else 'words'} "
                        "in common</h3>")
            body.append(f"<table class=\"side\"><thead><tr><th>{e(a)}, lines {e(m.lines[0])}</th>"
                        f"<th>{e(b)}, lines {e(m.lines[1])}</th></tr></thead><tbody><tr>"
                        f"<td><pre>{marked(answers[m.question][a], m.spans[0])}</pre></td>"
                        f"<td><pre>{marked(answers[m.question][b], m.spans[1])}</pre></td></tr></tbody></table>")
        body.append("</section>")
    clean = nh3.clean("\n".join(body), tags=TAGS, attributes={"*": {"class"}}, url_schemes=set(),
                      strip_comments=True, link_rel=None)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            f"<title>Similar answers: {e(assignment)}</title>\n<style>{STYLE}</style></head>\n<body>\n{clean}\n"
            "</body></html>\n")


def write_html(path: Path, text: str) -> Path:
    return replace_file(path, lambda f: f.write(text))
