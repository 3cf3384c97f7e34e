"""The sandboxed Execute step (autograder.preprocessors.sandboxedexecute): what a notebook's cells leave behind."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

# in a fresh process: one notebook of code cells run by SandboxedExecute(**options), the gradebook's test and locked
# cells given (none: no gradebook); prints each cell's output texts and the flags
RUN = textwrap.dedent("""
    import json, sys, tempfile
    from nbformat.v4 import new_code_cell, new_notebook
    from autograder.preprocessors import SandboxedExecute

    given = json.loads(sys.argv[1])
    tests = {gid: tuple(test) for gid, test in given["tests"].items()}
    SandboxedExecute._gradebook_cells = lambda self, info: (tests, given["locked"])
    nb = new_notebook(cells=[new_code_cell(source) for source in given["cells"]],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    with tempfile.TemporaryDirectory() as folder:
        nb, _ = SandboxedExecute(**given["options"]).preprocess(nb, {"metadata": {"path": folder}})
    print(json.dumps({"outputs": [[o.get("text") or o.get("evalue") or "" for o in c.outputs] for c in nb.cells],
                      "kinds": [[o.get("name") or o.output_type for o in c.outputs] for c in nb.cells],
                      "flags": nb.metadata["autograder"]["flags"]}))
    """)


def _sandboxed(cells: list[str], options: dict, tests: dict | None = None, locked: dict | None = None) -> dict:
    given = {"cells": cells, "options": options, "tests": tests or {}, "locked": locked or {}}
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(given)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_a_message_over_the_bound_costs_only_its_own_output_even_on_a_busy_machine():
    """When a cell prints more at once than the grader takes in one message, is that cell's output alone lost (and
    flagged): the kernel is kept, and every later cell's output reaches the notebook, with both cores busy?"""
    pairs = 6
    flood = "import sys\nsys.stdout.write('z' * (3 << 20))\nsys.stdout.flush()"
    cells = [cell for i in range(pairs) for cell in (flood, f"print('after', {i})")]
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        result = _sandboxed(cells, {"timeout": 20, "kernel_message_limit": 1 << 20, "output_limit": 1 << 20})
    finally:
        for process in busy:
            process.kill()
            process.wait()
    printed = result["outputs"][1::2]
    assert printed == [[f"after {i}\n"] for i in range(pairs)], printed
    flags = {(f["code"], f["cell"]) for f in result["flags"]}
    assert flags == {("output-truncated", f"cell {2 * i}") for i in range(pairs)}, result["flags"]


def test_a_kernel_replies_without_pausing_and_a_cells_last_outputs_are_still_its_own():
    """Does each kernel send its execute reply without ipykernel's pause before it (SandboxedExecute.reply_pause),
    while every output a cell sends, up to its last, is still that cell's?"""
    cells = ["print(get_ipython().kernel._execute_sleep)",
             "import sys\nfor i in range(200):\n    print(i, flush=True)\n_ = sys.stderr.write('last')",
             "print('next')"]
    result = _sandboxed(cells, {"timeout": 30})
    assert result["outputs"][0] == ["0.0\n"]
    assert result["outputs"][1] == ["".join(f"{i}\n" for i in range(200)), "last"]
    assert result["kinds"][1] == ["stdout", "stderr"]
    assert result["outputs"][2] == ["next\n"]
    assert result["flags"] == []


def test_a_print_cut_into_messages_is_one_output_per_run_of_a_stream():
    """Is the text of one stream that reached the grader in several messages (each flush sends one, as the
    kernel's 0.2 s timer does on a loaded machine) one output, as a notebook shows it, with a stream in between or
    a figure's place kept apart?"""
    cells = ["import sys\nprint('True', end='', flush=True)\nprint(' True')",
             "import sys\nprint('a', end='', flush=True)\nprint('b', file=sys.stderr, flush=True)\n"
             "print('c', end='', flush=True)\nprint('d', flush=True)\n"
             "from IPython.display import display\ndisplay('shown')\nprint('e', flush=True)\nprint('f')"]
    result = _sandboxed(cells, {"timeout": 20})
    assert result["outputs"] == [["True True\n"], ["a", "b\n", "cd\n", "", "e\nf\n"]], result
    assert result["kinds"][1] == ["stdout", "stderr", "stdout", "display_data", "stdout"], result


# in a fresh process: what the grader's client sends the kernel to execute for a notebook of two cells, and what
# the kernel's agent says of its baseline from within a cell
BASELINED = textwrap.dedent("""
    import json, tempfile
    from jupyter_client.asynchronous import AsyncKernelClient
    from nbformat.v4 import new_code_cell, new_notebook
    from autograder.preprocessors import SandboxedExecute

    sent, execute = [], AsyncKernelClient.execute
    AsyncKernelClient.execute = lambda self, code, *a, **k: (sent.append(code), execute(self, code, *a, **k))[1]
    SandboxedExecute._gradebook_cells = lambda self, info: ({}, {})
    cells = ["import sys\\nagent = sys.modules['_autograder_agent']",
             "print(agent._baseline['sys.displayhook'] is sys.displayhook, "
             "agent._baseline['sys.excepthook'] == sys.excepthook, agent.tampered())"]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    with tempfile.TemporaryDirectory() as folder:
        nb, _ = SandboxedExecute(timeout=30).preprocess(nb, {"metadata": {"path": folder}})
    print(json.dumps({"sent": sent, "cells": cells, "shown": [o.get("text") for o in nb.cells[1].outputs]}))
    """)


def test_a_kernel_takes_its_agents_baseline_as_it_starts_within_an_execution():
    """Does a sandboxed kernel take its agent's baseline before it takes any request, within an execution (IPython's
    display hook and excepthook set as when the agent looks again), so that the grader sends the kernel nothing to
    execute but the notebook's cells, and an honest notebook has changed nothing?"""
    done = subprocess.run([sys.executable, "-c", BASELINED], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["sent"] == result["cells"]
    assert result["shown"] == ["True True ([], [])\n"]


# the kernel's heap and anonymous memory, where Python keeps its objects (a sandboxed kernel may not read
# /proc/self/mem), searched with patterns whose own text is not what they find
MEMORY_PROBE = r"""
import ctypes, json, re
found = {"hidden": 0, "provided": 0}
for line in open("/proc/self/maps"):
    fields = line.split()
    if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] not in ("[heap]", "[stack]")):
        continue
    start, end = (int(x, 16) for x in fields[0].split("-"))
    data = ctypes.string_at(start, end - start)
    found["hidden"] += len(re.findall(rb"hidden-7f3[a]", data))
    found["provided"] += len(re.findall(rb"# provided by the cours[e]", data))
    del data
print(json.dumps(found))
"""
PROVIDED = "# provided by the course\nprint('provided cell ran')\n"
TEST = "assert True\n### BEGIN HIDDEN TESTS\nassert 'hidden-7f3a' != ''\n### END HIDDEN TESTS\n"


def test_the_kernel_gets_the_transforms_of_provided_cells_and_never_a_test_cells_source():
    """Does the provided cell run as written, its transform sent by the grader, while no page of the kernel's memory
    holds a test cell's source, whose hidden tests the student must not see?"""
    result = _sandboxed([PROVIDED, MEMORY_PROBE], {"timeout": 120}, tests={"test_x": (TEST, 1.0)},
                        locked={"provided": PROVIDED, "test_x": TEST})
    provided, probe = result["outputs"]
    assert provided == ["provided cell ran\n"]
    found = json.loads(probe[0])
    assert found["hidden"] == 0 and found["provided"] >= 1, found


SPARES = textwrap.dedent("""
    import json, os, sys, tempfile, threading
    from nbformat.v4 import new_code_cell, new_notebook
    from autograder.preprocessors import SandboxedExecute, sandboxedexecute
    from autograder.sandbox.isolation import Sandbox, SandboxKernelManager

    starts, imported = [], []

    class Imports:  # what a spare kernel's thread imports, while the notebook's thread may import the same
        def find_spec(self, name, path=None, target=None):
            if threading.current_thread().name.startswith("autograder-spare-kernel"):
                imported.append(name)

    sys.meta_path.insert(0, Imports())
    start = SandboxKernelManager.start_kernel

    async def recorded(self, *args, **kwargs):
        starts.append(threading.current_thread().name)
        return await start(self, *args, **kwargs)

    SandboxKernelManager.start_kernel = recorded
    closed, running = [], [None]  # (thread, notebook) of each sandbox closed: the notebook's number if one ran in it
    close, deliver = Sandbox.close, Sandbox.deliver
    Sandbox.close = lambda self: (closed.append((threading.current_thread().name, getattr(self, "ran", None))),
                                  close(self))[1]
    Sandbox.deliver = lambda self, *a: (setattr(self, "ran", running[0]), deliver(self, *a))[1]
    executor = SandboxedExecute(timeout=60, prestart=True)
    seen = []
    notebook = lambda n: new_notebook(
        cells=[new_code_cell("import sys\\nprint(getattr(sys, 'mark', 'fresh'))\\nsys.mark = 1"),
               new_code_cell(f"print({n} * 2)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    if sys.argv[1:] == ["prepare"]:  # a worker's start, before any notebook
        executor.prepare(notebook(None), {})
    for n in range(3):
        nb = notebook(n)
        running[0] = n
        with tempfile.TemporaryDirectory() as folder:
            nb, _ = executor.preprocess(nb, {"metadata": {"path": folder}})
        seen.append([o.get("text", "") for c in nb.cells for o in c.outputs])
    sandboxedexecute._STARTER.submit(lambda: None).result()  # what the starter thread was given is done
    print(json.dumps({"starts": starts, "seen": seen, "main": threading.main_thread().name, "imported": imported,
                      "closed": closed}))
    """)


def test_the_next_notebooks_kernel_starts_beside_this_ones_cells_and_each_notebook_has_its_own():
    """With a spare kernel started for each next notebook, does that start run in a thread of its own (not the one
    running the cells), and does each notebook still run every cell, in a kernel of its own?"""
    done = subprocess.run([sys.executable, "-c", SPARES], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    # the first notebook's own kernel, then a spare for each notebook (the last one's stopped unused)
    assert sorted(result["starts"]) == [result["main"]] + ["autograder-spare-kernel_0"] * 3, result["starts"]
    assert result["seen"] == [["fresh\n", "0\n"], ["fresh\n", "2\n"], ["fresh\n", "4\n"]]
    assert result["imported"] == []


def test_a_used_kernel_is_stopped_and_its_sandbox_closed_beside_the_next_notebook():
    """Once a notebook has run in a kernel started in advance, is that kernel stopped and its sandbox closed in the
    thread that starts kernels, while the next notebook goes on in this one (a killed kernel's namespace takes
    10-15 ms to die), and is each sandbox closed once?"""
    done = subprocess.run([sys.executable, "-c", SPARES, "prepare"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    ran = [notebook for _, notebook in result["closed"] if notebook is not None]
    assert sorted(ran) == [0, 1, 2]
    assert {thread for thread, notebook in result["closed"] if notebook is not None} == {"autograder-spare-kernel_0"}, \
        result["closed"]


STUCK = textwrap.dedent("""
    import gc, json, logging, sys, tempfile, threading
    from nbformat.v4 import new_code_cell, new_notebook
    from autograder.preprocessors import SandboxedExecute, sandboxedexecute
    from autograder.sandbox.isolation import Sandbox, SandboxKernelManager

    logged, closed = [], []
    close = Sandbox.close
    Sandbox.close = lambda self: (closed.append(threading.current_thread().name), close(self))[1]
    class Messages(logging.Handler):
        def emit(self, record):
            logged.append(record.getMessage())
    logging.getLogger().addHandler(Messages())
    stops, failed = [], []
    shutdown = SandboxKernelManager.shutdown_kernel

    async def recorded(self, *args, **kwargs):
        stops.append(id(self))
        try:
            return await shutdown(self, *args, **kwargs)
        except Exception as exc:
            failed.append(repr(exc))
            raise

    SandboxKernelManager.shutdown_kernel = recorded
    executor = SandboxedExecute(timeout=2, prestart=True)
    notebook = lambda code: new_notebook(cells=[new_code_cell(code)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    executor.prepare(notebook("1"), {})
    seen = []
    for code in ("import signal, time\\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\\nwhile True:\\n    time.sleep(0.1)",
                 "print('next')"):
        with tempfile.TemporaryDirectory() as folder:
            nb, _ = executor.preprocess(notebook(code), {"metadata": {"path": folder}})
        seen.append([o.get("ename", o.get("text", "")) for o in nb.cells[0].outputs])
    sandboxedexecute._STARTER.submit(lambda: None).result()  # what the starter thread was given is done
    gc.collect()
    print(json.dumps({"stops": [stops.count(km) for km in dict.fromkeys(stops)], "failed": failed, "seen": seen,
                      "never": [m for m in logged if "never retrieved" in m], "closed": closed}))
    """)


def test_a_stuck_kernel_stopped_in_its_notebook_is_not_stopped_again_and_its_sandbox_is_closed():
    """When a kernel started in advance does not stop after its cell's time limit and is stopped then, in its
    notebook's thread, is it left at that (its manager's sockets are closed: a second stop would fail on them) while
    its sandbox is still closed beside the next notebook, which runs as usual?"""
    done = subprocess.run([sys.executable, "-c", STUCK], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["seen"] == [["CellTimeoutError"], ["next\n"]], result
    assert result["stops"] == [1, 1] and result["failed"] == [] and result["never"] == [], result
    assert result["closed"] == ["autograder-spare-kernel_0"] * 2, result

def test_a_workers_first_notebook_takes_a_kernel_started_before_it_came():
    """When the grading process prepares (before any notebook comes), does the first notebook find its kernel
    started, so that no kernel is started in the thread that runs the cells (and nothing is imported in the one
    that starts them), and does each notebook still get a kernel of its own?"""
    done = subprocess.run([sys.executable, "-c", SPARES, "prepare"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    # the prepared kernel (the first notebook's), then a spare for each notebook (the last one's stopped unused)
    assert result["starts"] == ["autograder-spare-kernel_0"] * 4, result["starts"]
    assert result["seen"] == [["fresh\n", "0\n"], ["fresh\n", "2\n"], ["fresh\n", "4\n"]]
    # nothing imported in the spare's thread: the first notebook's cells are scanned (IPython imported) meanwhile,
    # and two threads importing one package at once can each find it half made
    assert result["imported"] == []


LAUNCHERS = textwrap.dedent("""
    import json, os, tempfile
    from nbformat.v4 import new_code_cell, new_notebook
    from autograder.preprocessors import SandboxedExecute, sandboxedexecute
    from autograder.sandbox.isolation import probe

    def status(pid):
        return {line.split(":")[0]: line.split(":")[1].split() for line in open(f"/proc/{pid}/status")}

    seen = []
    host_pid = SandboxedExecute._kernel_host_pid

    def recorded(self, km):
        kernel = host_pid(self, km)
        launcher = km.provisioner.process.pid
        zygote = sandboxedexecute._ZYGOTE.process.pid
        seen.append({"launcher": launcher, "launcher_ns_pid": status(launcher)["NSpid"][-1],
                     "launcher_parent": int(status(launcher)["PPid"][0]),
                     "kernel_parent": int(status(kernel)["PPid"][0]), "zygote": zygote,
                     "namespace": os.readlink(f"/proc/{launcher}/ns/pid"),
                     "zygote_children_at_home": os.readlink(f"/proc/{zygote}/ns/pid_for_children")
                                                == os.readlink(f"/proc/{zygote}/ns/pid")})
        return kernel

    SandboxedExecute._kernel_host_pid = recorded
    executor = SandboxedExecute(timeout=60, isolation="namespaces" if probe().namespaces else "plain")
    outputs = []
    notebook = lambda: new_notebook(cells=[new_code_cell("import os\\nprint(os.getpid(), os.getppid())")],
                                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    executor.prepare(notebook(), {})  # each notebook then takes a kernel started in advance (seen above)
    for n in range(2):
        nb = notebook()
        with tempfile.TemporaryDirectory() as folder:
            nb, _ = executor.preprocess(nb, {"metadata": {"path": folder}})
        outputs.append(nb.cells[0].outputs[0].get("text", ""))
    print(json.dumps({"seen": seen, "outputs": outputs, "namespaces": probe().namespaces}))
    """)


def test_a_sandboxed_kernels_namespace_begins_with_a_child_of_the_zygote():
    """Is each sandboxed kernel's first process (its namespace's PID 1, which reaps and reports) forked by the zygote
    itself, with no process in between, and the kernel its child (PID 2) in a namespace of its own per notebook,
    the zygote's next children born in the zygote's own namespace again?"""
    done = subprocess.run([sys.executable, "-c", LAUNCHERS], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["namespaces"], "the sandbox's namespaces are not available here"
    first, second = result["seen"]
    for seen in (first, second):
        assert seen["launcher_ns_pid"] == "1" and seen["launcher_parent"] == seen["zygote"], seen
        assert seen["kernel_parent"] == seen["launcher"], seen
        assert seen["zygote_children_at_home"], seen
    assert first["namespace"] != second["namespace"]
    assert result["outputs"] == ["2 1\n", "2 1\n"]


TERMINATED = textwrap.dedent("""
    import json, os, time
    from nbformat.v4 import new_notebook
    from autograder.preprocessors import SandboxedExecute, sandboxedexecute
    from autograder.sandbox.isolation import descendants

    executor = SandboxedExecute(timeout=60, isolation="namespaces")
    executor.prepare(new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}}), {})
    _, sandbox, km, start = sandboxedexecute._SPARE
    start.result()
    launcher = km.provisioner.process
    while not descendants(launcher.pid):  # its kernel forked
        time.sleep(0.01)
    kernel = descendants(launcher.pid)[0]
    began = time.monotonic()
    launcher.terminate()
    while launcher.poll() is None and time.monotonic() - began < 10:
        time.sleep(0.01)
    print(json.dumps({"seconds": time.monotonic() - began, "kernel_left": os.path.exists(f"/proc/{kernel}")}))
    """)


def test_a_sandboxed_kernel_asked_to_terminate_ends_with_its_namespace():
    """When the kernel manager sends its SIGTERM (a graceful shutdown's second step, for a kernel that did not end
    when asked), does the sandbox's first process, which a PID namespace's first process would otherwise ignore,
    end at once, and its kernel with it?"""
    done = subprocess.run([sys.executable, "-c", TERMINATED], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["seconds"] < 2 and not result["kernel_left"], result
