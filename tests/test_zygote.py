"""Is a kernel forked from the zygote a kernel of its own: clean, limited, in its folder, and gone when it ends?"""
import ast
import asyncio
import contextlib
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import zmq

from autograder.sandbox.zygote import KERNEL_MODULES, ForkingKernelManager, Zygote, ZygoteError, cell_imports
from conftest import ROOT


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def zygote(tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    z = Zygote(modules=["numpy"], env=env, isolated=False)
    yield z
    z.close()


async def _kernel(zygote, folder, **kwargs):
    km = ForkingKernelManager(zygote=zygote, **kwargs)
    await km.start_kernel(cwd=str(folder), env=dict(os.environ, AUTOGRADER_PROBE="yes"),
                          extra_arguments=["--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    return km, kc


async def _value(kc, expression: str):
    """The repr of `expression` in the kernel (its last output line)."""
    shown = []
    reply = await kc.execute_interactive(f"print(repr({expression}))", timeout=60,
                                         output_hook=lambda m: shown.append(m["content"].get("text", "")))
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(shown).strip()


async def _stop(km, kc):
    kc.stop_channels()
    await km.shutdown_kernel(now=True)


@contextlib.asynccontextmanager
async def _running(zygote, folder, **kwargs):
    """A forked kernel (manager, client), shut down on leaving."""
    km, kc = await _kernel(zygote, folder, **kwargs)
    try:
        yield km, kc
    finally:
        await _stop(km, kc)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] != "Z"
    except OSError:
        return False


def _ends_soon(pid: int, seconds: float = 5.0) -> bool:
    """Is process `pid` gone within `seconds`?"""
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not _alive(pid)


def test_a_forked_kernel_is_a_process_of_its_own_with_the_modules_imported(zygote, tmp_path):
    """Does each kernel run in a new process, forked from the zygote, with numpy imported before any cell ran?"""
    async def check():
        pids = []
        for _ in range(2):
            async with _running(zygote, tmp_path) as (km, kc):
                assert await _value(kc, "'numpy' in __import__('sys').modules") == "True"
                pid = int(await _value(kc, "__import__('os').getpid()"))
                assert pid == km.provisioner.pid
                assert int(await _value(kc, "__import__('os').getppid()")) == zygote.process.pid
                pids.append(pid)
        assert pids[0] != pids[1] and zygote.process.pid not in pids
    run(check())


def test_a_kernel_starts_with_the_zygotes_objects_frozen_and_collects_its_own(zygote, tmp_path):
    """Are the objects the zygote's imports made frozen (so a kernel's garbage collections skip them instead of
    touching, and so copying, every page of the inherited heap), while the kernel's own garbage is collected?"""
    async def check():
        async with _running(zygote, tmp_path) as (km, kc):
            assert int(await _value(kc, "__import__('gc').get_freeze_count()")) > 10_000
            await kc.execute_interactive("import gc, weakref\nclass Cycle: pass\nc = Cycle(); c.me = c\n"
                                         "alive = weakref.ref(c)\ndel c", timeout=60)
            assert await _value(kc, "(gc.collect(), alive())[1]") == "None"
    run(check())


def test_nothing_one_kernel_does_is_seen_by_the_next(zygote, tmp_path):
    """Does a name, an import or a patched module of one kernel stay out of the next one?"""
    async def check():
        async with _running(zygote, tmp_path) as (km, kc):
            await kc.execute_interactive("x = 41\nimport numpy as np\nnp.pi = 3\nimport wave", timeout=60)
            assert await _value(kc, "np.pi") == "3"
        async with _running(zygote, tmp_path) as (km, kc):
            assert await _value(kc, "'x' in globals()") == "False"
            assert await _value(kc, "__import__('numpy').pi") == repr(3.141592653589793)
            assert await _value(kc, "'wave' in __import__('sys').modules") == "False"
    run(check())


def test_each_kernel_draws_its_own_random_numbers(zygote, tmp_path):
    """Do two kernels' unseeded numpy and random draws differ (a fork would otherwise repeat the zygote's)?"""
    async def draw():
        async with _running(zygote, tmp_path) as (km, kc):
            return (await _value(kc, "__import__('numpy').random.rand()"),
                    await _value(kc, "__import__('random').random()"))
    first, second = run(draw()), run(draw())
    assert first[0] != second[0] and first[1] != second[1]


def test_the_kernel_has_its_folder_environment_and_limits(zygote, tmp_path):
    """Does the kernel start in the folder and environment the manager gave, under the rlimits it asked for?"""
    limit = 3 << 30

    async def check():
        async with _running(zygote, tmp_path, kernel_rlimits={"as": limit, "cpu": 500}) as (km, kc):
            assert await _value(kc, "__import__('os').getcwd()") == repr(str(tmp_path))
            assert await _value(kc, "__import__('os').environ.get('AUTOGRADER_PROBE')") == "'yes'"
            assert await _value(kc, "__import__('resource').getrlimit(__import__('resource').RLIMIT_AS)") == \
                repr((limit, limit))
            assert await _value(kc, "__import__('resource').getrlimit(__import__('resource').RLIMIT_CPU)") == \
                repr((500, 505))
            reply = await kc.execute_interactive("big = bytearray(4 << 30)", timeout=60, output_hook=lambda m: None)
            assert reply["content"].get("ename") == "MemoryError"
    run(check())


def test_a_stopped_kernel_is_gone(zygote, tmp_path):
    """Once shut down, is the kernel's process gone (not left running, not a zombie)?"""
    async def check():
        km, kc = await _kernel(zygote, tmp_path)
        pid = km.provisioner.pid
        assert _alive(pid)
        await _stop(km, kc)
        assert not await km.is_alive()
        return pid
    assert _ends_soon(run(check()))


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "from-scratch"])
def test_a_kernel_starts_and_stops_without_waiting_for_nothing_and_says_when_it_is_ready(zygote, tmp_path,
                                                                                         monkeypatch, forked):
    """Does the manager start and stop a kernel without the 10 ms sleep jupyter_client's `in_pending_state` takes
    each time, while still giving each its own `ready` future, set once it is done?"""
    sleeps, seen = [], {}
    real_sleep = asyncio.sleep

    async def sleep(delay, *args, **kwargs):
        sleeps.append(delay)
        return await real_sleep(delay, *args, **kwargs)

    async def check():
        km = ForkingKernelManager(zygote=zygote if forked else None)
        await km.start_kernel(cwd=str(tmp_path), env=dict(os.environ),
                              extra_arguments=["--HistoryManager.hist_file=:memory:"])
        started = km.ready
        seen["ready once started"] = started.done() and started.exception() is None
        await km.shutdown_kernel(now=True)
        seen["a new ready, set once stopped"] = km.ready is not started and km.ready.done()
        seen["stopped"] = not await km.is_alive()

    monkeypatch.setattr(asyncio, "sleep", sleep)
    run(check())
    assert seen == {"ready once started": True, "a new ready, set once stopped": True, "stopped": True}
    assert 0.01 not in sleeps, sleeps


def test_a_client_tries_a_kernel_not_listening_yet_again_after_5_ms(zygote, tmp_path):
    """Do a forked kernel's client's sockets try a connection that failed (the kernel's socket files not bound yet,
    as right after its start returns) again after 5 ms rather than libzmq's 100?"""
    async def check():
        async with _running(zygote, tmp_path) as (km, kc):
            return [channel.socket.getsockopt(zmq.RECONNECT_IVL)
                    for channel in (kc.shell_channel, kc.iopub_channel, kc.stdin_channel, kc.control_channel)]
    assert run(check()) == [5, 5, 5, 5]


def test_kernels_end_with_the_zygote(zygote, tmp_path):
    """When the zygote ends (its grader gone), do its kernels end with it?"""
    async def start():
        km, kc = await _kernel(zygote, tmp_path)
        kc.stop_channels()
        return km.provisioner.pid
    pid = run(start())
    assert _alive(pid)
    zygote.close()
    assert _ends_soon(pid)


def test_a_dead_zygote_is_started_again(zygote, tmp_path):
    """If the zygote was killed, does the next kernel still start (from a new zygote)?"""
    async def pid_of_kernel():
        async with _running(zygote, tmp_path) as (km, kc):
            return int(await _value(kc, "__import__('os').getppid()"))
    first = run(pid_of_kernel())
    os.kill(first, signal.SIGKILL)
    second = run(pid_of_kernel())
    assert second != first and second == zygote.process.pid


def test_a_command_it_cannot_stand_in_for_is_left_alone(zygote):
    """Is a kernel command that is not ipykernel's (or a sandbox launcher in a plain zygote) refused, so that the
    provisioner starts it as usual?"""
    assert zygote.request(["/usr/bin/R", "--kernel"], {}, {}) is None
    assert zygote.request([sys.executable, "-I", "/x/launch.py", "c.json"], {}, {}) is None
    request = zygote.request([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"], {"cwd": "/tmp"}, {"as": 1})
    assert request["kind"] == "kernel" and request["args"] == ["-f", "k.json"] and request["rlimits"] == {"as": 1}


def test_a_zygote_that_cannot_start_is_a_clear_error():
    """When the zygote's Python cannot even start, is the error a ZygoteError saying so?"""
    z = Zygote(modules=[], env={"PYTHONHOME": "/nonexistent"}, isolated=False)
    try:
        with pytest.raises(ZygoteError, match="could not fork a kernel: the kernel zygote ended"):
            z.spawn({"kind": "kernel"})
    finally:
        z.close()


def test_imports_are_found_in_the_provided_cells():
    """Which modules does the zygote import for a notebook: every import of its cells, at top level or in a function
    or class body at any depth, in source order, once each; magics, relative imports and unparsable cells left out?"""
    assert cell_imports(["import numpy as np\n%matplotlib inline", "from os import path\nx = 1",
                         "def f():\n    import json\n    class C:\n        def g(self):\n"
                         "            from urllib import request\n            import numpy",
                         "from . import local", "try:\n    import wave\nexcept ImportError:\n    pass",
                         "def broken(:\n    import gzip"]) == ["numpy", "os", "json", "urllib", "wave"]


def test_a_function_body_import_of_a_provided_cell_is_done_before_the_kernel_starts(tmp_path):
    """Does a kernel forked from a zygote given a locked cell's imports start with the modules the cell imports only
    when its function is called, and start all the same when one of them cannot be imported?"""
    cell = "def _check():\n    import wave\n    import no_such_module_anywhere\n    import colorsys\n_check()"
    modules = cell_imports([cell])
    assert modules == ["wave", "no_such_module_anywhere", "colorsys"]
    z = Zygote(modules=modules, env=dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"), isolated=False)
    try:
        async def check():
            async with _running(z, tmp_path) as (km, kc):
                loaded = "sorted(m for m in ('wave', 'colorsys', 'no_such_module_anywhere') if m in " \
                         "__import__('sys').modules)"
                assert await _value(kc, loaded) == repr(["colorsys", "wave"])
        run(check())
    finally:
        z.close()


START_UP = """
import json, sys
from autograder.sandbox import agent
from autograder.sandbox.zygote import KERNEL_MODULES
for name in KERNEL_MODULES:
    __import__(name)
before = set(sys.modules)
sys.modules["numpy"].random.seed()  # what a forked kernel does first (launch.zygote)
from ipykernel.kernelapp import IPKernelApp
app = IPKernelApp.instance()
app.initialize(["-f", sys.argv[1], "--HistoryManager.hist_file=:memory:"])
agent.setup(None, user_ns=app.shell.user_ns, shell=app.shell)  # a sandboxed kernel's agent takes its baseline
print(json.dumps(sorted(set(sys.modules) - before)), file=sys.__stdout__, flush=True)
"""


def test_what_a_kernel_start_up_imports_is_imported_by_the_zygote(tmp_path):
    """Once KERNEL_MODULES are imported (as the zygote does), does what each forked kernel then runs (its numpy
    reseed, IPKernelApp.initialize, the sandbox agent's baseline) import nothing more of its own: faulthandler,
    psutil, IPython's debugger, numpy's lazily imported random and testing ... were all done beforehand?"""
    done = subprocess.run([sys.executable, "-c", START_UP, str(tmp_path / "kernel.json")], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, JPY_PARENT_PID=""))
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


ERROR_CELL = "import numpy as np\ndef forward(x):\n    raise NotImplementedError(np.arange(3))\nforward(1)"


async def _first_traceback(zygote, folder) -> tuple[list[str], list[str]]:
    km = ForkingKernelManager(zygote=zygote)
    await km.start_kernel(cwd=str(folder), env=dict(os.environ),
                          extra_arguments=["--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        errors = []
        await kc.execute_interactive(ERROR_CELL, timeout=60, output_hook=lambda m: errors.append(m["content"])
                                     if m["msg_type"] == "error" else None)
        kept = await _value(kc, "(lambda kept: kept[max(kept)]['traceback'])"
                                "(get_ipython().history_manager.exceptions)")
        return errors[0]["traceback"], ast.literal_eval(kept)
    finally:
        await _stop(km, kc)


def test_a_forked_kernel_shows_a_traceback_as_a_kernel_started_from_scratch(zygote, tmp_path):
    """Is the first traceback of a kernel forked from the zygote (which prepared the traceback machinery, and formats
    each error once) the same text, colours included, as that of a kernel started from scratch, both as shown and
    as kept in the history?"""
    forked, forked_kept = run(_first_traceback(zygote, tmp_path))
    scratch, scratch_kept = run(_first_traceback(None, tmp_path))
    assert any("NotImplementedError" in line for line in forked)
    same = lambda lines: [re.sub(r"ipykernel_\d+", "ipykernel_PID", line) for line in lines]
    assert same(forked) == same(scratch)
    assert same(forked_kept) == same(scratch_kept) == same(scratch)


async def _theme_built(zygote, folder) -> str:
    async with _running(zygote, folder) as (_, kc):
        return await _value(kc, "(lambda theme: (theme._pygments_style is not None, theme._formatter is not None))"
                                "(__import__('IPython').utils.PyColorize.theme_table[get_ipython().colors])")


def test_a_forked_kernel_finds_its_themes_traceback_formatter_built_before_its_first_error(zygote, tmp_path):
    """Does a kernel forked from the zygote find its colour theme's traceback styles and formatter already built (the
    zygote formatted an error of its own, 3 ms of CPU less on each kernel's first traceback), where a kernel started
    from scratch builds them at its first traceback?"""
    assert run(_theme_built(zygote, tmp_path)) == "(True, True)"
    assert run(_theme_built(None, tmp_path)) == "(False, False)"


FLUSHES = [
    # a flush with nothing written: does it wake ipykernel's IOPub thread?
    "import sys\nthread = sys.stdout.pub_thread\nscheduled = []\nschedule = thread.schedule\n"
    "thread.schedule = lambda f: (scheduled.append(f), schedule(f))[1]\nsys.stdout.flush(); sys.stderr.flush()\n"
    "woken = len(scheduled)\nthread.schedule = schedule",
    "print(woken)",
    "print('a', end='')\nsys.stdout.flush()\nprint('b', end='')\nsys.stdout.write('c')",
    "import threading\nt = threading.Thread(target=lambda: print('from a thread'))\nt.start(); t.join()",
    "sys.stderr.write('to stderr')\nsys.stderr.flush()\nprint('then stdout')",
]


async def _shown(zygote, folder, cells: list[str], kept) -> list[tuple[str, list]]:
    """(reply status, [kept(message) of each of its IOPub messages for which that is not None]) for each of
    `cells`, run in a kernel forked from `zygote` (None: started from scratch)."""
    async with _running(zygote, folder) as (_, kc):
        shown = []
        for cell in cells:
            seen = []

            def hook(message, seen=seen):
                item = kept(message)
                if item is not None:
                    seen.append(item)

            reply = await kc.execute_interactive(cell, timeout=60, output_hook=hook)
            shown.append((reply["content"]["status"], seen))
        return shown


def _stream(message):
    return (message["content"]["name"], message["content"]["text"]) if message["msg_type"] == "stream" else None


def test_a_flush_with_nothing_written_costs_nothing_and_every_output_still_comes_in_its_cell(zygote, tmp_path):
    """Does a forked kernel's flush of stdout or stderr with nothing written return without waking ipykernel's IOPub
    thread, while what a cell writes (a print, a flushed partial line, a write, a thread's print, stderr then
    stdout) still reaches its cell, in order, as in a kernel started from scratch?"""
    forked, scratch = ([seen for _, seen in run(_shown(z, tmp_path, FLUSHES, _stream))] for z in (zygote, None))
    assert forked[1] == [("stdout", "0\n")] and scratch[1] != forked[1]
    joined = lambda outputs: [(name, "".join(t for n, t in outputs if n == name)) for name in ("stdout", "stderr")]
    for mine, theirs in zip(forked[2:], scratch[2:]):
        assert joined(mine) == joined(theirs)
    assert joined(forked[2])[0] == ("stdout", "abc")
    assert joined(forked[3])[0] == ("stdout", "from a thread\n")
    assert joined(forked[4]) == [("stdout", "then stdout\n"), ("stderr", "to stderr")]


def _parsed_as_ipykernel(argv):
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp()
    app.parse_command_line(argv)
    return app.cli_config, app.extra_args


def test_a_command_line_the_zygote_parsed_gives_each_kernel_what_parsing_it_gives(tmp_path):
    """Does a kernel whose command line the zygote parsed (once, for every connection file) get the configuration
    ipykernel's own parsing of its command line gives, its own connection file in it, without parsing again?"""
    from autograder.sandbox import launch

    launch._PARSED.clear()
    logging.getLogger("IPKernelApp").handlers.clear()
    line = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.parent_handle=4242", "--Session.key=b''"]
    launch.preparse(["-f", str(tmp_path / "first.json"), *line])
    assert len(launch._PARSED) == 1
    assert logging.getLogger("IPKernelApp").handlers == []  # the kernels' log is theirs to set up
    app = launch.kernel_app()()
    app._create_loader = None  # parsing again would call it
    mine = ["-f", str(tmp_path / "second.json"), *line]
    app.parse_command_line(mine)
    assert (app.cli_config, app.extra_args) == _parsed_as_ipykernel(mine)
    assert app.connection_file == str(tmp_path / "second.json") and app.parent_handle == 4242
    assert app.argv == mine
    launch.preparse(mine)
    assert len(launch._PARSED) == 1  # the same line but for its connection file: parsed once


def test_a_command_line_ipykernel_refuses_is_refused_as_before_and_the_zygote_goes_on(zygote, tmp_path):
    """Does a command line ipykernel refuses (a second connection file) raise the same error when the zygote parses
    it, caching nothing, and does the zygote, which only tried, then fork the next kernel as before?"""
    from autograder.sandbox import launch

    launch._PARSED.clear()
    bad = ["-f", str(tmp_path / "a.json"), f"--IPKernelApp.connection_file={tmp_path / 'b.json'}"]
    with pytest.raises(SystemExit) as zygotes, contextlib.redirect_stderr(io.StringIO()):
        launch.preparse(bad)
    with pytest.raises(SystemExit) as ipykernels, contextlib.redirect_stderr(io.StringIO()):
        _parsed_as_ipykernel(bad)
    assert zygotes.value.code == ipykernels.value.code != 0 and launch._PARSED == {}
    refused = zygote.spawn({"kind": "kernel", "args": bad, "env": dict(os.environ), "cwd": str(tmp_path),
                            "rlimits": {}})
    assert _ends_soon(refused.pid, 60)

    async def check():
        async with _running(zygote, tmp_path) as (km, kc):
            parsed = "type(get_ipython().kernel.parent).parse_command_line.__globals__['_PARSED']"
            assert await _value(kc, f"len({parsed})") == "1"
    run(check())


def test_a_forked_kernel_runs_on_the_command_line_the_zygote_parsed(zygote, tmp_path):
    """Did the zygote parse a forked kernel's command line (the kernel's app took it from there), and is the
    kernel's connection file its own?"""
    async def check():
        async with _running(zygote, tmp_path) as (km, kc):
            app = "get_ipython().kernel.parent"
            parsed = f"type({app}).parse_command_line.__globals__['_PARSED']"  # launch.py's (the zygote's)
            assert await _value(kc, f"len({parsed})") == "1"
            assert await _value(kc, f"{app}.connection_file") == repr(km.connection_file)
            assert await _value(kc, "get_ipython().history_manager.hist_file") == repr(":memory:")
    run(check())


CELLS_THAT_TRANSFORM = [
    "import asyncio\nawait asyncio.sleep(0)\nprint('awaited at top level')",
    "async def twice(x):\n    return 2 * x\nprint([await twice(i) for i in range(3)])",
    "%time _ = sum(range(10))",
    "get_ipython().input_transformers_post.append(lambda lines: (_seen.append(1), lines)[1])\n_seen = []",
    "y = 2",
    "x = 1 +",
    "'async' + 'await'",
    "print(len(_seen))",
]


def _output(message):
    """An output message's type and text (a stream's, an error's name, a result's plain text); None for any other
    message and for %time's report."""
    if message["msg_type"] not in ("stream", "error", "execute_result"):
        return None
    content = message["content"]
    text = content.get("text") or content.get("ename") or content.get("data", {}).get("text/plain")
    item = (message["msg_type"], text)
    return None if "Wall time" in str(item) else item


async def _outputs(zygote, folder) -> list:
    """What each of CELLS_THAT_TRANSFORM shows, in a kernel forked from `zygote` (None: started from scratch)."""
    return await _shown(zygote, folder, CELLS_THAT_TRANSFORM, _output)


def test_a_kernel_transforms_each_cell_once_and_runs_it_as_a_kernel_started_from_scratch(zygote, tmp_path):
    """Does a kernel of the grader's (its IPKernelApp, here forked) run top-level await, a magic, a syntax error and
    a cell naming async and await as a kernel started from scratch does, while transforming each cell's text once
    per execution, where ipykernel and run_cell each ask IPython for it?"""
    forked, scratch = run(_outputs(zygote, tmp_path)), run(_outputs(None, tmp_path))
    assert forked[:-1] == scratch[:-1]
    assert forked[0] == ("ok", [("stream", "awaited at top level\n")])
    assert forked[1] == ("ok", [("stream", "[0, 2, 4]\n")])
    assert forked[5] == ("error", [("error", "SyntaxError")])
    assert forked[6] == ("ok", [("execute_result", "'asyncawait'")])
    executions = 4  # those after the counter was installed, the one printing it included
    assert forked[-1] == ("ok", [("stream", f"{executions}\n")])
    assert scratch[-1] == ("ok", [("stream", f"{2 * executions}\n")])


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "from-scratch"])
def test_a_kernel_talks_over_ipc_sockets_named_after_its_connection_file_and_removed_with_it(zygote, tmp_path, forked):
    """Does a kernel of the manager, forked or started as usual, listen on IPC socket files beside its connection
    file (no TCP port another process could take first), and are the files gone once it is shut down?"""
    async def sockets():
        km, kc = await _kernel(zygote if forked else None, tmp_path)
        try:
            info = json.loads(open(km.connection_file).read())
            assert (info["transport"], info["ip"]) == ("ipc", km.connection_file[:-len(".json")] + "-ipc")
            assert await _value(kc, "1 + 1") == "2"
            paths = [f"{info['ip']}-{info[f'{name}_port']}" for name in ("shell", "iopub", "stdin", "control", "hb")]
            assert all(os.path.exists(p) for p in paths), paths
            return km.connection_file, paths
        finally:
            await _stop(km, kc)

    connection_file, paths = run(sockets())
    assert len(paths) == 5 and not any(os.path.exists(p) for p in [connection_file, *paths]), paths



def test_a_client_whose_replies_lag_its_requests_is_ready_at_once(zygote, tmp_path):
    """When the kernel answered a kernel_info request before the client's IOPub subscription was in place (a kernel
    slow to start, on a loaded machine), so that each reply read belongs to the request before the last one sent,
    is the client ready at once, and not only at the time-out (each idle status read and dropped while it waited
    for an older one's)?"""
    async def ready_after() -> float:
        km = ForkingKernelManager(zygote=zygote)
        await km.start_kernel(cwd=str(tmp_path), extra_arguments=["--HistoryManager.hist_file=:memory:"])
        kc = km.client()
        kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
        kc.kernel_info()  # answered with no one subscribed to IOPub; its reply is left unread
        while not await kc.shell_channel.msg_ready():
            await asyncio.sleep(0.01)
        kc.start_channels(shell=False, stdin=False, hb=False, control=False)
        began = time.monotonic()
        try:
            await kc.wait_for_ready(timeout=15)
            assert await _value(kc, "6 * 7") == "42"
            return time.monotonic() - began
        finally:
            await _stop(km, kc)

    assert run(ready_after()) < 5


def test_a_runtime_folder_it_cannot_make_puts_the_sockets_in_the_temporary_folder(zygote, tmp_path, monkeypatch):
    """When Jupyter's runtime folder cannot be made (a home it may not write to), does the kernel still start, its
    connection file and sockets in the temporary folder?"""
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "not-a-folder" / "runtime"))

    async def where() -> str:
        async with _running(zygote, tmp_path) as (km, kc):
            assert await _value(kc, "6 * 7") == "42"
            return km.connection_file

    assert os.path.dirname(run(where())) == tempfile.gettempdir()


async def _threads_features_and_an_interrupted_await(zygote, folder) -> tuple[list, list, str]:
    """(the kernel's running threads, its kernel_info's supported features, what an await at top level shows when
    the kernel is interrupted during it) for a kernel forked from `zygote` (None: started from scratch)."""
    async with _running(zygote, folder) as (km, kc):
        threads = ast.literal_eval(await _value(kc, "sorted(t.name for t in __import__('threading').enumerate())"))
        info = await kc.kernel_info(reply=True)
        shown = []
        cell = asyncio.ensure_future(kc.execute_interactive(
            "import asyncio\nprint('waiting', flush=True)\nawait asyncio.sleep(2)\nprint('not interrupted')",
            timeout=60, output_hook=lambda m: shown.append(_output(m))))
        for _ in range(200):
            if ("stream", "waiting\n") in shown:
                break
            await asyncio.sleep(0.05)
        await km.interrupt_kernel()
        reply = await cell
        after = await _value(kc, "'still answering'")
        return threads, info["content"].get("supported_features", []), (reply["content"]["status"], shown, after)


def test_a_kernel_reads_its_shell_socket_in_its_main_thread_and_an_await_is_interrupted_as_before(zygote, tmp_path):
    """Does a kernel of the grader's run without ipykernel's shell channel thread (it serves subshells, which the
    grader never asks for, at the cost of a thread hop each way per execution), say in its kernel_info that it has
    no subshells, and show an await at top level interrupted as a kernel started from scratch does?"""
    forked, scratch = (run(_threads_features_and_an_interrupted_await(z, tmp_path)) for z in (zygote, None))
    assert "Shell channel" not in forked[0] and "Shell channel" in scratch[0]
    assert "kernel subshells" not in forked[1] and "kernel subshells" in scratch[1]
    assert forked[2] == scratch[2]
    status, shown, after = forked[2]
    assert status == "error" and ("stream", "not interrupted\n") not in shown and after == "'still answering'"


MADE = ("(lambda made: (made['kernel_app'].cache_info()[:2], made['leanshell'].kernel_without_subshells.cache_info()[:2]))"
        "(type(__import__('ipykernel.kernelapp').kernelapp.IPKernelApp.instance()).init_kernel.__globals__)")


def test_a_forked_kernel_takes_its_app_and_kernel_classes_as_the_zygote_made_them(zygote, tmp_path):
    """Does a kernel forked from the zygote find its IPKernelApp class and its kernel class without subshells made
    (once, by the zygote, as it parsed the command line: traitlets sets up a class's traits as the class is made,
    about 3 ms of each kernel's start), rather than make them itself, and still run as the kernel of that line?"""
    async def check():
        async with _running(zygote, tmp_path) as (_, kc):
            (app_hits, app_made), (kernel_hits, kernel_made) = ast.literal_eval(await _value(kc, MADE))
            assert (app_made, kernel_made) == (1, 1) and app_hits >= 1 and kernel_hits >= 1
            assert await _value(kc, "type(get_ipython().kernel).__name__") == "'IPythonKernel'"
            assert await _value(kc, "get_ipython().kernel._supports_kernel_subshells") == "False"
    run(check())



FAILED_STOP = """
import asyncio, gc, json, logging, os, sys, tempfile, weakref
from autograder.sandbox.zygote import ForkingKernelManager, Zygote

logged = []
class Messages(logging.Handler):  # the text only: a record's traceback would keep the kernel manager alive
    def emit(self, record):
        logged.append(record.getMessage())
logging.getLogger().addHandler(Messages())

async def fail_a_stop(zygote, folder):
    km = ForkingKernelManager(zygote=zygote)
    await km.start_kernel(cwd=folder, env=dict(os.environ), extra_arguments=["--HistoryManager.hist_file=:memory:"])
    await km.shutdown_kernel(now=True)

    async def kill_fails(*args, **kwargs):
        raise RuntimeError("the kill failed")

    km._async_kill_kernel, km.shutting_down = kill_fails, False
    try:
        await km.shutdown_kernel(now=True)
    except RuntimeError as exc:
        logged.append(f"raised: {exc}")
    return weakref.ref(km.ready)

zygote = Zygote(modules=[], env=dict(os.environ), isolated=False)
with tempfile.TemporaryDirectory() as folder:
    ready = asyncio.run(fail_a_stop(zygote, folder))
zygote.close()
gc.collect()
print(json.dumps({"collected": ready() is None, "logged": logged}))
"""


def test_a_failed_stop_is_taken_from_the_ready_future_and_not_logged_again_when_that_is_collected(tmp_path):
    """When a kernel manager's stop fails, is the failure raised and logged once, and taken from its `ready` future,
    so that asyncio does not log it again when the future is collected (which can come in the middle of another
    parse of source: formatting that traceback parses too, and in Python 3.11 breaks the parse it interrupts)?"""
    done = subprocess.run([sys.executable, "-c", FAILED_STOP], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["collected"], result
    assert result["logged"].count("the kill failed") == 1 and "raised: the kill failed" in result["logged"], result
    assert not [m for m in result["logged"] if "never retrieved" in m], result
