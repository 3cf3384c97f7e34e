"""Do the kernel's control groups bound its whole process tree (memory, processes) and leave nothing behind?

Run as root, as CI does (the sandbox's control groups need it).
"""
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from autograder.sandbox.cgroups import KernelGroup, remove_stale_groups

FORK_AND_HOG = textwrap.dedent("""
    import os, sys, time
    kids = []
    for _ in range(int(sys.argv[1])):
        pid = os.fork()
        if pid == 0:
            [os.dup2(os.open(os.devnull, os.O_RDWR), fd) for fd in (1, 2)]
            try:
                block = bytearray(int(sys.argv[2]) << 20)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                time.sleep(30)
            finally:
                os._exit(0)
        kids.append(pid)
    time.sleep(3)
    print(sum(os.waitpid(p, os.WNOHANG)[0] != 0 for p in kids), flush=True)
""")


def _running(pid: int) -> bool:
    """Is `pid` a live process (not gone, not a zombie waiting for its new parent to reap it)?"""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _run_in(group: KernelGroup, *args: str, timeout=60) -> subprocess.CompletedProcess:
    def join():
        for procs in group.procs:
            with open(procs, "w") as f:
                f.write("0")
    return subprocess.run([sys.executable, "-c", *args], preexec_fn=join, capture_output=True, text=True,
                          timeout=timeout)


def test_the_memory_of_all_the_kernels_processes_counts_together():
    """Do four children of 100 MiB each, under a 256 MiB group limit (and no rlimit), get killed, and is it
    counted as an out-of-memory kill?"""
    group = KernelGroup.create(memory_bytes=256 << 20, processes=64)
    try:
        assert {"cgroup-memory", "cgroup-pids"} <= set(group.held), group.reason
        done = _run_in(group, FORK_AND_HOG, "4", "100")
        assert int(done.stdout.strip() or 0) >= 1, done.stderr
        assert group.events()["oom_kills"] >= 1
    finally:
        group.close()


def test_the_number_of_processes_is_bounded():
    """Does a process that forks 40 children in a group of 16 processes have forks refused, and counted?"""
    group = KernelGroup.create(memory_bytes=1 << 30, processes=16)
    try:
        done = _run_in(group, textwrap.dedent("""
            import os, time
            made, refused = 0, 0
            for _ in range(40):
                try:
                    if os.fork() == 0:
                        [os.dup2(os.open(os.devnull, os.O_RDWR), fd) for fd in (1, 2)]
                        time.sleep(5)
                        os._exit(0)
                    made += 1
                except OSError:
                    refused += 1
            print(made, refused)
        """))
        made, refused = map(int, done.stdout.split())
        assert made < 16 and refused > 0
        assert group.events()["fork_refusals"] > 0
    finally:
        group.close()


def test_close_kills_what_escaped_its_session_and_removes_the_group():
    """Is a daemonized grandchild (double fork, new session) inside the group killed by close(), and the group's
    folders removed?"""
    group = KernelGroup.create(memory_bytes=1 << 30, processes=64)
    done = _run_in(group, textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                time.sleep(600)
            os._exit(0)
        time.sleep(0.5)
    """))
    assert done.returncode == 0
    left = group.pids()
    assert left, "the daemon should still be running before close()"
    folders = list(group.folders)
    group.close()
    time.sleep(0.2)
    assert not any(_running(pid) for pid in left)
    assert not any(f.exists() for f in folders)


def test_groups_of_a_grader_that_died_are_removed():
    """Are the groups left by a grading process that was killed removed (with their processes) by the next one?"""
    child = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import os
        from autograder.sandbox.cgroups import KernelGroup
        group = KernelGroup.create(memory_bytes=1 << 30, processes=64)
        print(" ".join(str(f) for f in group.folders))
        os._exit(0)  # no clean-up, as when killed
    """)], capture_output=True, text=True)
    folders = [Path(f) for f in child.stdout.split()]
    assert folders and all(f.exists() for f in folders), child.stderr
    removed = remove_stale_groups()
    assert all(f.name in removed for f in folders)
    assert not any(f.exists() for f in folders)
