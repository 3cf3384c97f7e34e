"""A uid of its own for each kernel (autograder.sandbox.uids): leases, their locks, and the kernels that use them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from autograder.sandbox.isolation import Limits, Sandbox, SandboxError
from autograder.sandbox.uids import NoFreeUid, kill_processes_of, lease_uid
from conftest import ROOT

UIDS = range(62000, 62004)
LIMITS = Limits(cpu_seconds=60, memory_bytes=1 << 30, processes=64, file_bytes=1 << 20)


def test_leases_held_at_the_same_time_are_of_different_uids(tmp_path):
    """Do four leases taken at once from four uids get all four, and is a fifth refused with the range named?"""
    leases = [lease_uid(UIDS, folder=tmp_path) for _ in UIDS]
    assert sorted(lease.uid for lease in leases) == list(UIDS)
    with pytest.raises(NoFreeUid, match="all 4 sandbox uids from 62000 on are in use"):
        lease_uid(UIDS, folder=tmp_path)
    for lease in leases:
        lease.release()


def test_a_released_uid_is_leased_again(tmp_path):
    """Once every uid was leased, does the one given back go to the next lease?"""
    leases = {lease.uid: lease for lease in (lease_uid(UIDS, folder=tmp_path) for _ in UIDS)}
    leases.pop(62002).release()
    assert lease_uid(UIDS, folder=tmp_path).uid == 62002


def test_a_uid_another_process_holds_is_skipped_until_that_process_ends(tmp_path):
    """Is a uid leased by another grading process passed over, and free again when that process is gone (killed,
    without giving it back)?"""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from autograder.sandbox.uids import lease_uid
        leases = [lease_uid(range(62000, 62004), folder=Path({str(tmp_path)!r})) for _ in range(3)]
        print(sorted(l.uid for l in leases), flush=True)
        time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        held = json.loads(holder.stdout.readline())
        mine = lease_uid(UIDS, folder=tmp_path)
        assert mine.uid not in held and mine.uid in UIDS
        with pytest.raises(NoFreeUid):
            lease_uid(UIDS, folder=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert {lease_uid(UIDS, folder=tmp_path).uid for _ in held} == set(held)


def test_a_lock_folder_others_may_write_is_refused(tmp_path):
    """Is a lock folder that someone else could write (and so fill with locks or links) refused, not used?"""
    os.chmod(tmp_path, 0o777)
    with pytest.raises(NoFreeUid, match="no one else may write"):
        lease_uid(UIDS, folder=tmp_path)


def test_what_runs_as_a_uid_is_killed_before_it_is_leased_again():
    """Are a uid's processes, forked ones too, killed (zombies left to their parents), and nothing else?"""
    assert os.geteuid() == 0, "the test suite runs as root (CI does), as kernels with a uid of their own need"
    uid = UIDS[-1]
    bystander = subprocess.Popen(["sleep", "60"])
    tree = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60 & echo forked; wait"], user=uid, group=uid,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert tree.stdout.readline() == "forked\n"  # the shell and its two children are there
        assert kill_processes_of(uid) == 3
        assert tree.wait(timeout=5) == -9
        assert bystander.poll() is None
        assert kill_processes_of(uid) == 0
    finally:
        bystander.kill()
        bystander.wait()


def test_two_sandboxes_at_once_have_their_own_uid_and_a_closed_ones_comes_back(tmp_path):
    """Do a kernel's sandbox and the spare's made beside it run as different uids (as root), and is a failed lease a
    clear error that leaves no sandbox folder behind?"""
    assert os.geteuid() == 0, "the test suite runs as root (CI does), as kernels with a uid of their own need"
    uids = range(62100, 62102)
    first, second = (Sandbox(tmp_path, LIMITS, uids=uids) for _ in range(2))
    try:
        assert {first.uid, second.uid} == set(uids)
        before = set(os.listdir(first.folder.parent))
        with pytest.raises(SandboxError, match="no uid for the kernel"):
            Sandbox(tmp_path, LIMITS, uids=uids)
        assert set(os.listdir(first.folder.parent)) == before
        first.close()
        assert Sandbox(tmp_path, LIMITS, uids=uids).uid == first.uid
    finally:
        second.close()


def _kernel_uids(notebooks: int, **options) -> list[int]:
    """The uid each of `notebooks` notebooks ran as, graded one after the other by one SandboxedExecute(**options)
    in a fresh process (a spare kernel started while each runs)."""
    script = textwrap.dedent("""
        import json, sys, tempfile
        from nbformat.v4 import new_code_cell, new_notebook
        from autograder.preprocessors import SandboxedExecute

        uids = []
        executor = SandboxedExecute(timeout=60, prestart=True, **json.loads(sys.argv[2]))
        for _ in range(int(sys.argv[1])):
            nb = new_notebook(cells=[new_code_cell("import os, time\\ntime.sleep(1)\\nprint(os.getuid())")],
                              metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                       "language": "python"}})
            with tempfile.TemporaryDirectory() as folder:
                nb, _ = executor.preprocess(nb, {"metadata": {"path": folder}})
            uids.append(int(nb.cells[0].outputs[0]["text"]))
        print(json.dumps(uids))
        """)
    done = subprocess.run([sys.executable, "-c", script, str(notebooks), json.dumps(options)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_the_kernel_that_runs_and_the_spare_beside_it_have_different_uids():
    """Graded one after the other in one process (the second notebook's kernel started while the first ran), do the
    two notebooks' kernels run as different sandbox uids, so neither can signal or starve the other?"""
    first, second = _kernel_uids(2)
    assert os.geteuid() == 0 and first != second and {first, second} <= set(range(61000, 62000))


@pytest.mark.slow
def test_with_one_uid_left_notebooks_run_one_after_the_other_without_a_spare():
    """With a single sandbox uid, is no spare started beside the running kernel (it would need a second uid), and
    does each notebook still run, as that uid, once the one before gave it back?"""
    assert _kernel_uids(3, sandbox_uid=62500, sandbox_uid_count=1) == [62500] * 3
