"""Start a student's kernel inside the sandbox: `python launch.py CONFIG.json` (the grader writes CONFIG).

Run directly by `unshare --mount --net --pid --fork --kill-child` (mode "namespaces", as root) or alone (mode
"plain"). In namespaces it is PID 1 of a new PID namespace: it builds a new root on a size-limited tmpfs holding
read-only binds of the system and Python folders, the data folder and the control folder (connection file, IPC
sockets) and nothing else, mounts a private /proc, then forks the kernel, which chroots there, takes the rlimits,
binds its sockets and the agent's channel as root, and drops to an unprivileged uid before any student code runs.
PID 1 reaps what the kernel forks and, when the kernel ends, writes how it ended to status.json; when PID 1 exits
the kernel namespace dies with everything in it.

`python launch.py --zygote MODULES` is the kernels' zygote (autograder.sandbox.zygote starts it, one per grading
process): it imports ipykernel and the modules the notebooks import, once (and prepares what a kernel's first
traceback uses), then forks a kernel per request read on stdin, so that no kernel pays for a Python start and
those imports. A forked child first becomes its own session and dies with the zygote (which dies with the
grader); then it does what the command line would have done: for a sandbox, `unshare --mount [--net] --pid
--fork --kill-child launch.py CONFIG`, the zygote forking it into the new PID namespace (unshare(2) before the
fork, setns(2) back after it), so that the child is the namespace's PID 1 with no process in between, the child
entering the others; for a plain kernel, the rlimits, folder and environment it was given, then ipykernel.

Only the standard library here (and, in the zygote and kernel, ipykernel and the modules it was given); what was
achieved is written to status.json for the grader, which reports it to the TA.
"""
import contextlib
import copy
import ctypes
import functools
import gc
import io
import json
import logging
import os
import resource
import select
import shutil
import signal
import socket
import sys
import types

if __package__:  # imported as autograder.sandbox.launch
    from . import leanshell
else:  # run as a script, in isolated mode: this folder is not on sys.path, so the module beside it by its path
    import importlib.util

    _spec = importlib.util.spec_from_file_location("_autograder_leanshell",
                                                   os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                "leanshell.py"))
    leanshell = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(leanshell)

CLONE_FLAGS = {"--mount": 0x00020000, "--pid": 0x20000000, "--net": 0x40000000,  # CLONE_NEWNS, NEWPID, NEWNET
               "--ipc": 0x08000000}  # CLONE_NEWIPC
PR_SET_PDEATHSIG = 1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
DEVICES = ("null", "zero", "full", "random", "urandom")
RLIMITS = {"as": "RLIMIT_AS", "cpu": "RLIMIT_CPU", "nproc": "RLIMIT_NPROC", "fsize": "RLIMIT_FSIZE",
           "nofile": "RLIMIT_NOFILE", "core": "RLIMIT_CORE"}

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source, target, fstype, flags, data=None):
    enc = (lambda s: s.encode() if s is not None else None)
    if _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _bind(source, target, *, readonly):
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
    _mount(None, target, None, flags)


def build_root(config) -> str:
    """The new root folder, populated; returns its path (chroot there)."""
    root = config["root"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={config['tmpfs_bytes']},mode=0755")
    for path in config["readonly"]:
        if not os.path.lexists(path):
            continue
        target = root + path
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), target)
        else:
            _bind(os.path.realpath(path), target, readonly=True)
    if config.get("data"):
        _bind(config["data"], root + config["data_inside"], readonly=True)
    os.makedirs(root + config["ctl"], exist_ok=True)
    _mount(config["ctl"], root + config["ctl"], None, MS_BIND)
    os.makedirs(root + "/dev", exist_ok=True)
    for name in DEVICES:
        _bind("/dev/" + name, f"{root}/dev/{name}", readonly=False)
    os.makedirs(root + "/dev/shm", mode=0o1777, exist_ok=True)
    os.chmod(root + "/dev/shm", 0o1777)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(root + "/tmp", mode=0o1777, exist_ok=True)
    os.chmod(root + "/tmp", 0o1777)
    return root


def prepare_home_and_work(config, prefix: str) -> None:
    """HOME and the working folder (a copy of the notebook's folder), owned by the sandbox user."""
    uid, gid = config.get("uid"), config.get("gid")
    home, work = prefix + config["home"], prefix + config["work"]
    os.makedirs(home, exist_ok=True)
    if os.path.exists(work):
        shutil.rmtree(work)
    shutil.copytree(config["files"], work, symlinks=False)
    if uid is not None and os.geteuid() == 0:
        for folder in (home, work):
            for parent, dirs, files in os.walk(folder):
                os.chown(parent, uid, gid)
                for name in files:
                    os.chown(os.path.join(parent, name), uid, gid)


def set_limits(config) -> list:
    done = []
    for key, value in config["rlimits"].items():
        if value is None:
            continue
        which = getattr(resource, RLIMITS[key])
        soft, hard = (value, value + 5) if key == "cpu" else (value, value)
        try:
            resource.setrlimit(which, (soft, hard))
            done.append(key)
        except (ValueError, OSError):
            pass
    return done


def drop_privileges(config) -> bool:
    uid, gid = config.get("uid"), config.get("gid")
    if uid is None or os.geteuid() != 0:
        return False
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    return os.geteuid() == uid


def no_new_privileges() -> bool:
    return _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0


_COMPILED = {}  # {module name: (source, code)}: compiled once by the zygote, for its kernels


def compile_agent(config) -> None:
    """Compile the codec and agent once (in the zygote), for every kernel whose sources are the same text."""
    for name, key in (("_autograder_codec", "codec"), ("_autograder_agent", "agent")):
        with open(config[key]) as f:
            source = f.read()
        _COMPILED[name] = (source, compile(source, f"<autograder-sandbox {name}>", "exec"))


def load_agent(config):
    """The codec and agent modules from the source text read before the chroot."""
    for name, source in (("_autograder_codec", config["codec_source"]), ("_autograder_agent", config["agent_source"])):
        module = types.ModuleType(name)
        module.__file__ = f"<autograder-sandbox {name}>"
        compiled = _COMPILED.get(name)
        code = compiled[1] if compiled is not None and compiled[0] == source else compile(source, module.__file__,
                                                                                          "exec")
        exec(code, module.__dict__)
        sys.modules[name] = module
    return sys.modules["_autograder_agent"]


def write_status(config, **fields) -> None:
    path = os.path.join(config["ctl"], "status.json")
    try:
        with open(path) as f:
            status = json.load(f)
    except (OSError, ValueError):
        status = {}
    status.update(fields)
    with open(path + ".tmp", "w") as f:
        json.dump(status, f)
    os.replace(path + ".tmp", path)


def run_kernel(config, held: list) -> None:
    """In the kernel process: limits, kernel start-up as root, agent channel, then the unprivileged user."""
    try:
        os.setsid()  # its own process group: an interrupt reaches the kernel and what it forked, nothing else
    except PermissionError:
        pass  # already a session leader (started directly by the kernel manager)
    sources = {"codec_source": open(config["codec"]).read(), "agent_source": open(config["agent"]).read()}
    config = {**config, **sources}
    if config["mode"] == "namespaces":
        os.chroot(config["root"])
        held.append("chroot")
    os.chdir(config["work"])
    os.environ.clear()
    os.environ.update(config["env"])
    held.extend("rlimit-" + k for k in set_limits(config))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if config.get("probe"):  # a dry run: can we get this far, and drop to the sandbox uid?
        if config.get("uid") is not None and os.geteuid() == 0 and not drop_privileges(config):
            os._exit(71)
        os.listdir("/")
        os._exit(0)

    _TRANSFORMED.update(config.get("transformed") or {})
    app = kernel_app().instance()
    app.initialize(launch_argv(config))
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    channel.connect(config["agent_socket"])
    load_agent(config).setup(channel, user_ns=app.shell.user_ns, shell=app.shell, max_bytes=config["max_message"])
    if no_new_privileges():
        held.append("no-new-privs")
    dropping = config.get("uid") is not None and os.geteuid() == 0
    write_status(config, held=held + (["uid"] if dropping else []), kernel_pid=os.getpid())
    if dropping and not drop_privileges(config):
        raise OSError("could not drop to the sandbox uid")
    # what is pristine, taken where the agent's later looks are taken: within an execution (IPython's traps set)
    app.shell.run_cell("__import__('_autograder_agent').baseline()", store_history=False, silent=True)
    app.start()


def kernel_env_args(env) -> list:
    """ipykernel reads JPY_PARENT_PID when it is imported, which in a zygote's kernel was before its environment
    (`env`) was set: pass it as an argument (without it the kernel thinks it has no parent and prints a banner)."""
    pid = env.get("JPY_PARENT_PID", "")
    return [f"--IPKernelApp.parent_handle={int(pid)}"] if pid.isdigit() else []


def launch_argv(config) -> list:
    """The command line the kernel of a sandbox's CONFIG gives IPKernelApp."""
    return [*config["kernel_args"], *kernel_env_args(config["env"])]


def kernel_argv(request) -> list:
    """The command line the kernel of a zygote's request gives IPKernelApp (run_kernel's, or forked's)."""
    if request["kind"] == "launch":
        with open(request["config"]) as f:
            return launch_argv(json.load(f))
    return [*request["args"], *kernel_env_args(request["env"])]


# ------------------------------------------------------------------------------------------------ command line

_PARSED = {}  # {a kernel's command line, its connection file replaced by CONNECTION_FILE: (Config, extra args)}
CONNECTION_FILE = "\0connection file\0"  # no path has a NUL in it


def _template(argv) -> tuple | None:
    """argv with the file of its `-f FILE` replaced by CONNECTION_FILE, and that file; None without one `-f FILE`."""
    argv = list(argv)
    if argv.count("-f") != 1 or argv.index("-f") == len(argv) - 1:
        return None
    at = argv.index("-f") + 1
    return (*argv[:at], CONNECTION_FILE, *argv[at + 1:]), argv[at]


def preparse(argv) -> None:
    """In the zygote, before it forks a kernel: parse the kernel's command line as IPKernelApp does, once for all
    the kernels whose command lines differ only in their connection file (traitlets builds an argument parser for
    all of ipykernel's classes to do it: some 10 ms of CPU per kernel), and make the classes a kernel of that line
    uses (`kernel_app`'s and its kernel's without subshells: traitlets sets up each class's traits as it is made)."""
    template = _template(argv)
    if template is None or template[0] in _PARSED:
        return
    from ipykernel.kernelapp import IPKernelApp

    # not the kernel's app (the singleton the kernel makes after the fork), nor its log: a logger of its own leaves
    # the kernels' "IPKernelApp" logger as a kernel started from scratch finds it
    app = IPKernelApp(log=logging.getLogger("autograder.sandbox.preparse"))
    app.parse_command_line(list(template[0]))
    if app.cli_config.get("IPKernelApp", {}).get("connection_file") == CONNECTION_FILE:  # -f meant nothing else
        _PARSED[template[0]] = (app.cli_config, list(app.extra_args))
        kernel_app()
        leanshell.kernel_without_subshells(app.kernel_class)


@functools.cache
def kernel_app():
    """ipykernel's IPKernelApp, taking a command line the zygote parsed (`preparse`) from there instead of parsing
    it again; the connection file is this kernel's own. Any other command line is parsed as IPKernelApp does."""
    from ipykernel import kernelapp

    class IPKernelApp(kernelapp.IPKernelApp):  # ipykernel's name: its log's, as a kernel's own would be
        def parse_command_line(self, argv=None):
            argv = list(sys.argv[1:] if argv is None else argv)
            template = _template(argv)
            parsed = _PARSED.get(template[0]) if template is not None else None
            if parsed is None:
                return super().parse_command_line(argv)
            self.argv = argv
            self.cli_config = copy.deepcopy(parsed[0])
            self.cli_config.IPKernelApp.connection_file = template[1]
            self.update_config(self.cli_config)
            self.extra_args = list(parsed[1])
            return None

        def init_kernel(self):
            leanshell.without_subshells(self)
            super().init_kernel()

        def initialize(self, argv=None):
            super().initialize(argv)
            leanshell.lean_cell_path(self.shell, _TRANSFORMED)
            leanshell.one_format_per_error(self.shell)
            leanshell.flush_only_what_was_written(sys.stdout, sys.stderr)

    return IPKernelApp


_TRANSFORMED = {}  # this kernel's sandbox configuration's "transformed": what the grader worked out once


def pid1(config, held: list) -> None:
    """PID 1 of the sandbox's PID namespace: start the kernel, reap everything, report how the kernel ended.

    It also holds a connection to the grader's lifeline socket: when the grader goes away (even killed), the
    connection breaks, PID 1 exits and the kernel's namespace dies with everything in it.
    """
    lifeline = None
    if config.get("lifeline"):
        lifeline = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lifeline.connect(config["lifeline"])
    # a PID namespace's first process ignores the signals it has no handler for, even from outside: the kernel
    # manager's SIGTERM (the second step of a graceful shutdown) ends it, and the namespace with it; set before the
    # fork, so that no SIGTERM after the kernel exists finds it unset (the kernel takes the default back)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(128 + signal.SIGTERM))
    child = os.fork()
    if child == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if lifeline is not None:
                lifeline.close()
            run_kernel(config, held)
            os._exit(0)
        except BaseException as exc:  # noqa: BLE001 - report, then end the kernel process
            import traceback
            traceback.print_exc()
            write_status(config, error=f"the kernel did not start: {exc!r}")
        finally:
            os._exit(70)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        if lifeline is not None:
            ready, _, _ = select.select([lifeline], [], [], 0.5)
            if ready:
                try:
                    gone = lifeline.recv(1) == b""
                except OSError:
                    gone = True
                if gone:  # the grader is gone (killed?): nobody else will remove the sandbox folder
                    if config["mode"] == "namespaces":
                        _libc.umount2(config["root"].encode(), 2)  # MNT_DETACH
                    shutil.rmtree(os.path.dirname(config["ctl"]), ignore_errors=True)
                    os._exit(75)
        try:
            pid, status = os.waitpid(-1, os.WNOHANG if lifeline is not None else 0)
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == child:
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                if not config.get("probe"):
                    write_status(config, ended=f"killed by {signal.Signals(sig).name}", signal=sig)
                os._exit(128 + sig)
            if not config.get("probe"):
                write_status(config, ended=f"exited with code {os.WEXITSTATUS(status)}", code=os.WEXITSTATUS(status))
            os._exit(os.WEXITSTATUS(status))


def quiet_descriptors() -> None:
    """Standard input, output and error on /dev/null and no other descriptor of the grader's: the kernel talks
    only over its own channels (what it prints reaches the notebook through IPython, never the grader's log)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    keep = {0, 1, 2}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the folder listing's own descriptor
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")


def join_cgroups(config, held: list) -> None:
    """Put this process (and so all it will start) in the kernel's control groups, before anything is forked."""
    for procs in config.get("cgroups") or ():
        with open(procs, "w") as f:
            f.write("0")
    if config.get("cgroups"):
        held.extend(config.get("cgroup_held") or ())


def main(argv) -> None:
    with open(argv[1]) as f:
        config = json.load(f)
    held = []
    if not config.get("probe"):
        quiet_descriptors()
        try:
            join_cgroups(config, held)
        except OSError as exc:
            write_status(config, error=f"could not join the kernel's control group: {exc}")
            raise
    if config["mode"] == "namespaces":
        try:
            build_root(config)
        except OSError as exc:
            write_status(config, error=f"could not build the sandbox root: {exc}")
            raise
        held += ["mount-namespace", "pid-namespace", "ipc-namespace", "private-root"] + \
            ([] if config.get("network") else ["net-namespace"])
        prepare_home_and_work(config, config["root"])
        pid1(config, held)
    else:
        prepare_home_and_work(config, "")
        run_kernel(config, held)


# ------------------------------------------------------------------------------------------------ the zygote

def die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def zygote(modules) -> dict:
    """Import `modules`, then fork a child per JSON request line on stdin and answer {"pid": ...} on stdout.

    Returns only in a forked child, with the request it is to carry out. An empty line or EOF ends the zygote.
    """
    die_with_parent()
    if not sys.flags.safe_path and sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # this folder is not the kernel's business
    if not os.environ.get("MPLBACKEND"):  # what ipykernel sets before a notebook can import matplotlib
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    stderr = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)  # import-time chatter (debugpy's warnings ...) is no kernel's output
    for name in modules:
        try:
            __import__(name)
        except BaseException:  # noqa: BLE001 - the notebook will meet the same error itself
            pass
    if "IPython.core.completer" in modules:  # a kernel's zygote
        leanshell.warm_tracebacks()
    os.dup2(stderr, 2)
    os.close(stderr)
    os.close(null)
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        compile_agent({"codec": os.path.join(here, "codec.py"), "agent": os.path.join(here, "agent.py")})
    except (OSError, SyntaxError):  # each kernel then compiles what it reads, and meets the same error
        _COMPILED.clear()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.collect()
    gc.freeze()  # what the imports made is never collected: a kernel's collections skip it (and leave its pages shared)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    replies.write(b'{"ready": true}\n')
    replies.flush()
    while True:
        line = requests.readline()
        if not line.strip():
            os._exit(0)
        request = json.loads(line)
        try:  # quietly (stdout is the answer pipe): the kernel parses a line that fails here again, and says why
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                preparse(kernel_argv(request))
        except BaseException:  # noqa: BLE001 - SystemExit too (traitlets exits on --help or a bad option)
            pass
        ready_r, ready_w = os.pipe()
        # a sandbox's kernel in a new PID namespace: the child forked here is its PID 1 (no process in between)
        new_namespace = request.get("kind") == "launch" and "--pid" in request.get("unshare", [])
        refused = _children_in_new_pid_namespace() if new_namespace else None
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            while _OWN_PID_NAMESPACE:
                os.close(_OWN_PID_NAMESPACE.pop())
            request = {**request, "refused": refused} if refused else request
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.setsid()
            die_with_parent()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # the request and answer pipes are the zygote's alone, the grader's log its own
                os.dup2(null, fd)
            os.close(null)
            sys.stdin = open(os.devnull)
            sys.stdout = sys.stderr
            if "numpy" in sys.modules:  # a kernel of its own draws its own random numbers (random reseeds itself)
                sys.modules["numpy"].random.seed()
            os.write(ready_w, b"1")
            os.close(ready_w)
            return request
        os.close(ready_w)
        returned = not new_namespace or refused or _children_in_own_pid_namespace()
        os.read(ready_r, 1)  # the child is a session leader now: its process group is its own
        os.close(ready_r)
        replies.write(json.dumps({"pid": pid}).encode() + b"\n")
        replies.flush()
        if not returned:  # its next children would be born in that kernel's namespace: a new zygote forks them
            os._exit(0)


_OWN_PID_NAMESPACE = []  # the zygote's own PID namespace, open (setns(2) takes it back for its next children)


def _children_in_new_pid_namespace() -> str | None:
    """unshare(CLONE_NEWPID) here, in the zygote: its next child is PID 1 of a new PID namespace, as the child of
    `unshare --pid --fork` is. Returns why it could not be done (the child then reports it), or None."""
    try:
        if not _OWN_PID_NAMESPACE:
            _OWN_PID_NAMESPACE.append(os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC))
        unshare(["--pid"])
    except OSError as exc:
        return str(exc)
    return None


def _children_in_own_pid_namespace() -> bool:
    """After the fork: the zygote's later children in its own PID namespace again (setns(2))."""
    return _libc.setns(_OWN_PID_NAMESPACE[0], CLONE_FLAGS["--pid"]) == 0


def unshare(flags) -> None:
    """unshare(2) with util-linux's flags (--mount, --net, --pid, --ipc; --fork and --kill-child are the zygote's:
    it forks the new PID namespace's first process, which dies with it)."""
    mask = 0
    for flag in flags:
        mask |= CLONE_FLAGS.get(flag, 0)
    if mask and _libc.unshare(mask) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare {' '.join(flags)}: {os.strerror(err)}")


def forked(request) -> None:
    """In a child of the zygote: carry out the request as its command line would have."""
    if request["kind"] == "launch":
        try:
            if request.get("refused"):
                raise OSError(request["refused"])
            unshare([f for f in request.get("unshare", []) if f != "--pid"])  # a new PID namespace: the zygote's
        except OSError as exc:
            with open(request["config"]) as f:
                write_status(json.load(f), error=f"could not enter new namespaces: {exc}")
            os._exit(70)
        if "--pid" not in request.get("unshare", []):
            main(["launch.py", request["config"]])
            return
        try:  # PID 1 of the kernel's namespace (as `unshare --fork --kill-child`'s child, but forked by the zygote)
            main(["launch.py", request["config"]])
        finally:
            os._exit(70)
    # a plain kernel: what grade's kernel command sets up, then `python -m ipykernel_launcher ARGS`
    wanted = {key: value for key, value in request.get("rlimits", {}).items() if value}  # 0: no limit
    missed = set(wanted) - set(set_limits({"rlimits": wanted}))
    if missed:
        raise OSError(f"could not set the kernel's rlimits: {', '.join(sorted(missed))}")
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["ipykernel_launcher", *kernel_argv(request)]
    kernel_app().launch_instance()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--zygote"]:
        forked(zygote(json.loads(sys.argv[2]) if len(sys.argv) > 2 else []))
    else:
        main(sys.argv)
