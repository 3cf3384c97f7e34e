"""uploadpage: the hand-in service's upload page (GET / or /upload of autograder.serve): a token field and a file
input; it posts the notebook through the same API as the hand-in cell (with X-Notebook-Name and an
Idempotency-Key), polls the receipt's url and shows the receipt, the problems and the visible checks per question.
No external assets; everything received is rendered with textContent, never as HTML."""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hand in a notebook</title>
<style>
body { font-family: sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; }
label { display: block; margin: .8em 0 .2em; }
input, select { font-size: 1em; }
#token { width: 100%; }
table { border-collapse: collapse; margin-top: .5em; }
td, th { border: 1px solid #999; padding: .2em .5em; text-align: left; vertical-align: top; }
.passed { color: #075e07; } .failed { color: #a00; }
#error { color: #a00; font-weight: bold; }
</style>
</head>
<body>
<h1>Hand in a notebook</h1>
<form id="form">
<label for="assignment">Assignment</label>
<select id="assignment" name="assignment"></select>
<label for="token">Your personal token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<label for="file">Your notebook (.ipynb)</label>
<input id="file" name="file" type="file" accept=".ipynb,application/x-ipynb+json,application/json" required>
<p><button id="send" type="submit">Hand in</button></p>
</form>
<p id="error" role="alert"></p>
<div id="receipt" hidden>
<h2>Receipt</h2>
<table><tbody id="fields"></tbody></table>
<h2>Problems</h2>
<ul id="problems"></ul>
<h2>Visible checks</h2>
<p id="state"></p>
<table><thead><tr><th>Question</th><th>Points</th><th>Result</th><th>Message</th></tr></thead>
<tbody id="checks"></tbody></table>
<p id="hidden"></p>
</div>
<script>
"use strict";
const ASSIGNMENTS = "__ASSIGNMENTS__".split(",").filter(Boolean);
const $ = (id) => document.getElementById(id);
for (const a of ASSIGNMENTS) {
  const option = document.createElement("option");
  option.value = a; option.textContent = a;
  $("assignment").appendChild(option);
}
function newKey() {  // crypto.randomUUID exists only on HTTPS or localhost pages
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
}
function show(body) {
  $("receipt").hidden = false;
  const fields = $("fields");
  fields.replaceChildren();
  for (const key of ["id", "student", "assignment", "received_at", "late", "state", "message"]) {
    if (!(key in body)) continue;
    const row = document.createElement("tr");
    cell(row, key); cell(row, body[key]);
    fields.appendChild(row);
  }
  const problems = $("problems");
  problems.replaceChildren();
  for (const p of body.problems || []) {
    const li = document.createElement("li");
    li.textContent = String(p);
    problems.appendChild(li);
  }
  if (!(body.problems || []).length) {
    const li = document.createElement("li");
    li.textContent = "none";
    problems.appendChild(li);
  }
  $("state").textContent = body.state === "done" ? "checked" : "state: " + body.state + " (checking soon)";
  const checks = $("checks");
  checks.replaceChildren();
  for (const c of body.checks || []) {
    const row = document.createElement("tr");
    row.className = "check";
    cell(row, c.grade_id); cell(row, c.score + " / " + c.points);
    cell(row, c.passed ? "passed" : "failed", c.passed ? "passed" : "failed");
    cell(row, c.message || "");
    checks.appendChild(row);
  }
  $("hidden").textContent = body.hidden || "";
}
async function poll(url, token) {
  for (;;) {
    const answer = await fetch(url, {headers: {"Authorization": "Bearer " + token}});
    const body = await answer.json();
    if (!answer.ok) { $("error").textContent = body.error || ("error " + answer.status); return; }
    show(body);
    if (body.state === "done") return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("error").textContent = "";
  const file = $("file").files[0];
  const token = $("token").value.trim();
  const assignment = $("assignment").value;
  if (!file) { $("error").textContent = "choose your notebook file"; return; }
  $("send").disabled = true;
  try {
    const answer = await fetch("/api/v1/submissions/" + encodeURIComponent(assignment), {
      method: "POST",
      headers: {"Authorization": "Bearer " + token, "Content-Type": "application/x-ipynb+json",
                "X-Notebook-Name": encodeURIComponent(file.name), "Idempotency-Key": newKey()},
      body: await file.arrayBuffer(),
    });
    const body = await answer.json();
    if (!answer.ok) { $("error").textContent = body.error || ("error " + answer.status); return; }
    show(body);
    await poll(body.url, token);
  } catch (e) {
    $("error").textContent = "could not hand in: " + e;
  } finally {
    $("send").disabled = false;
  }
});
</script>
</body>
</html>
"""
