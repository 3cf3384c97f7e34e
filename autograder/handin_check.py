# Hand-in check (provided; do not edit). Run this cell last, after Runtime -> Restart session and run all.
# It lists what would cost you points or stop the grader from finding your notebook: unanswered TODOs, failing
# visible checks, cells not run in order, and the file name to download the notebook as. Where the course runs a
# hand-in service (`service` below), it then asks whether to hand the notebook in: only if you type yes does it
# send it, with your personal token (a Colab secret named AUTOGRADER_TOKEN, or typed in when asked), and print
# the receipt and your visible checks' results. It changes nothing in the notebook and needs nothing installed;
# when the notebook is graded it does nothing.
def _handin_check():
    import json
    import os
    import re
    import time
    import urllib.error
    import urllib.parse
    import urllib.request
    import uuid

    service = ""  # the course's hand-in service, set when the notebook is released ("" for none)
    assignment = ""  # this notebook's assignment, set when it is released
    if os.environ.get("NBGRADER_EXECUTION"):  # graded: the grader runs its own checks
        return
    me = "# Hand-in check (provided; do not edit)"

    def text(cell):
        source = cell.get("source", "")
        return "".join(source) if isinstance(source, list) else source

    def name(index, cell):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        return f"cell {index + 1}" + (f" ({gid})" if gid else "")

    def notebook():
        """The notebook's JSON, where it came from and its file name, or (None, why not, "")."""
        try:
            from google.colab import _message
        except ImportError:
            pass
        else:
            try:
                return _message.blocking_request("get_ipynb", timeout_sec=30)["ipynb"], "Colab", ""
            except Exception as exc:
                return None, f"Colab did not send the notebook ({type(exc).__name__})", ""
        ns = globals()
        for path in (ns.get("__vsc_ipynb_file__"), ns.get("__session__"), os.environ.get("JPY_SESSION_NAME")):
            if path and str(path).endswith(".ipynb") and os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    return json.load(f), f"{path} as last saved (save it first)", os.path.basename(path)
        return None, "the notebook file was not found (not in Colab, Jupyter or VS Code)", ""

    def report(nb, where):
        cells = [c for c in nb.get("cells", []) if not text(c).startswith(me)]
        todo, failing, errors, order = [], [], [], []
        last = 0
        opening = "\n".join(text(c) for c in cells if c.get("cell_type") == "markdown")
        for i, cell in enumerate(cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            src = text(cell)
            if meta.get("solution") and ("raise NotImplementedError()" in src or "YOUR ANSWER HERE" in src):
                todo.append(name(i, cell))
            if cell.get("cell_type") != "code" or not src.strip():
                continue
            count = cell.get("execution_count")
            raised = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if meta.get("grade") and not meta.get("solution"):
                if count is None:
                    failing.append(f"{name(i, cell)}: not run")
                elif raised:
                    failing.append(f"{name(i, cell)}: {raised[0].get('ename')}: {raised[0].get('evalue', '')[:120]}")
            elif raised:
                errors.append(f"{name(i, cell)}: {raised[0].get('ename')}: {raised[0].get('evalue', '')[:120]}")
            if count is None:
                order.append(f"{name(i, cell)} was not run")
            elif count <= last:
                order.append(f"{name(i, cell)} ran as [{count}], before the code cell above it ([{last}])")
            last = count if count is not None else last
        lines = [f"Hand-in check (read from {where})"]
        for title, found in (("Unanswered TODOs", todo), ("Failing visible checks", failing),
                             ("Other cells that raised an error", errors), ("Cells not run in order", order)):
            lines.append(f"{title}: {len(found) or 'none'}")
            lines += [f"  - {f}" for f in found]
        return lines, opening

    def file_name(opening):
        rule = re.search(r"`([A-Za-z0-9_]+)_<your student id>\.ipynb`", opening)
        if not rule:
            return ["File name: see the opening cell (the hand-in check could not find it)."]
        upload = f"upload that file at {url}" if url else "upload that file"
        return [
            f"File name: rename the notebook {rule.group(1)}_<your student id>.ipynb (for example "
            f"{rule.group(1)}_aa1234.ipynb), then File -> Download -> Download .ipynb and {upload}. "
            "A notebook under another name is not graded."]

    def secret(key):
        """A setting from the environment or from Colab's secrets (the key icon on the left), else None."""
        if os.environ.get(key):
            return os.environ[key]
        try:
            from google.colab import userdata
            return userdata.get(key) or None
        except Exception:  # not in Colab, no such secret, or the notebook was not given access to it
            return None

    def ask(prompt, hidden=False):
        """What the student types, or None where the kernel cannot ask (run by a script)."""
        try:
            if hidden:
                import getpass
                return getpass.getpass(prompt)
            return input(prompt)
        except Exception:
            return None

    def call(method, address, token, body=None, headers=()):
        """(HTTP status, JSON answer, Retry-After) of one request to the service."""
        request = urllib.request.Request(address, data=body, method=method,
                                         headers={"Authorization": f"Bearer {token}", **dict(headers)})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.load(answer), None
        except urllib.error.HTTPError as exc:
            try:
                content = json.load(exc)
            except ValueError:
                content = {"error": f"{exc.code} {exc.reason}"}
            return exc.code, content, exc.headers.get("Retry-After")
        except OSError as exc:  # no answer: refused, unknown host, timed out
            return 0, {"error": f"could not reach {url} ({getattr(exc, 'reason', exc)})"}, None

    def show(result):
        for problem in result.get("problems") or []:
            print(f"  Problem: {problem}")
        checks = result.get("checks") or []
        if checks:
            print(f"Visible checks: {sum(bool(c.get('passed')) for c in checks)} of {len(checks)} passed")
        for c in checks:
            verdict = "passed" if c.get("passed") else "FAILED"
            message = f": {c['message']}" if c.get("message") and not c.get("passed") else ""
            print(f"  {verdict:6}  {c.get('grade_id')} ({c.get('points', 0):g} points){message}")
        if result.get("hidden"):
            print(f"Hidden tests: {result['hidden']}")
        for s in result.get("hidden_scores") or []:
            print(f"  {s.get('grade_id')}: {s.get('score')} of {s.get('points')} points")

    def hand_in(nb, where, file):
        answer = ask(f"Hand this notebook in to {url} now? Type yes to send it (anything else: not now): ")
        if answer is None:
            print(f"Not handed in: this kernel cannot ask you. Run this cell in Colab or Jupyter, or upload the "
                  f"file at {url}.")
            return
        if answer.strip().lower() != "yes":
            print("Not handed in.")
            return
        token = secret("AUTOGRADER_TOKEN") or (ask("Your personal hand-in token: ", hidden=True) or "").strip()
        if not token:
            print("Not handed in: no token. Add it as a Colab secret named AUTOGRADER_TOKEN, or type it in.")
            return
        name = nb.get("metadata", {}).get("colab", {}).get("name") or file
        status, receipt, wait = call(
            "POST", f"{url}/api/v1/submissions/{assignment}", token, json.dumps(nb).encode(),
            {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4()),
             "X-Notebook-Name": urllib.parse.quote(name or "")})  # UTF-8, percent-encoded
        if status != 202:
            again = f" Try again in {wait} s." if wait else ""
            code = f" ({status})" if status else ""
            print(f"Not handed in{code}: {receipt.get('error', receipt)}{again}")
            return
        print(f"Handed in: received at {receipt['received_at']} (the time that counts) as {receipt['student']}'s "
              f"submission {receipt['id']} of {assignment}" + (", after the deadline" if receipt.get("late") else ""))
        if receipt.get("message"):
            print(f"  {receipt['message']}")
        if where != "Colab":
            print(f"  (sent {where})")
        result, deadline = receipt, time.monotonic() + 300
        while result.get("state") != "done" and time.monotonic() < deadline:
            time.sleep(1)
            status, polled, _ = call("GET", url + receipt["url"], token)
            if status == 200:
                result = polled
        if result.get("state") != "done":
            print(f"Still {result.get('state')}: run this cell again later to hand in anew, or ask the course staff.")
            return
        show(result)

    url = (secret("AUTOGRADER_URL") or service).rstrip("/")
    nb, where, file = notebook()
    if nb is None:
        history = [e for e in globals().get("_ih") or globals().get("In") or [] if e.strip() and not e.startswith(me)]
        stubs = sum("raise NotImplementedError()" in entry for entry in history)
        print(f"Hand-in check: {where}, so only the kernel's history was read.")
        print(f"Cells run in this session: {len(history)}; of those, {stubs} still raise "
              "NotImplementedError (a TODO left, or an answer replaced later).")
        print("Not checked: failing visible checks and the order of cells. Run Kernel -> Restart and run all, "
              "then read every test cell's output.")
        print("File name: the one the opening cell gives, <name>_<your student id>.ipynb.")
        return
    lines, opening = report(nb, where)
    colab_name = nb.get("metadata", {}).get("colab", {}).get("name")
    if colab_name:
        lines.append(f"This notebook is now called {colab_name}.")
    print("\n".join(lines + file_name(opening)))
    if url and assignment:
        hand_in(nb, where, file)


_handin_check()
del _handin_check
