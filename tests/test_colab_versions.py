"""Do the source notebooks run, as a student runs them, on Google Colab's library versions?

Students run the notebooks in Colab, whose runtime has older numpy, pandas, matplotlib and scikit-learn than
requirements.txt on a newer Python; `tests/colab-constraints.txt` pins Colab's versions and says where they come
from. The slow test builds a second virtual environment with pip from the package registry, with exactly those
versions of the notebooks' libraries and of the kernel (ipykernel, IPython, jupyter_client) and nothing else, once
per test run (with pytest-xdist the workers share it), and runs every source notebook top to bottom in a kernel of
that environment, as a student does (NBGRADER_EXECUTION unset, in an empty folder, COURSE_DATA_DIR passed on).
After the notebook's last cell (or the cell that failed), a cell run in the same kernel reports the versions of
the libraries and where they were imported from, so a kernel of the wrong environment cannot pass. It runs after,
not before: importing numpy first would undo what a notebook sets before its own import (mnist_two_layer_net
asks for one BLAS thread). The kernel is driven by nbclient of the course's own environment, as Colab drives its
runtime's kernel from outside it. `-s` shows how long the build and each notebook took.

Python: Colab runs 3.12. The environment is built with a Python 3.12 when this machine has one (on PATH or under
pyenv), else with the Python running the tests (3.11). That is enough: what the notebooks depend on, and what
differs between Colab and requirements.txt, are the library versions, and those are Colab's either way.
"""
from __future__ import annotations

import ast
import contextlib
import fcntl
import glob
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from packaging.utils import canonicalize_name
from traitlets import default

from autograder.course import source_notebook
from autograder.sandbox.zygote import ForkingKernelManager
from autograder.twins import grade_id
from conftest import ASSIGNMENTS, ROOT, per_assignment

CONSTRAINTS = ROOT / "tests" / "colab-constraints.txt"
KERNEL_PACKAGES = {"IPython": "ipython", "ipykernel": "ipykernel"}  # module -> distribution
UNPINNED = {"jedi", "pip"}  # installed but not in Colab's pip-freeze.txt (see the constraints file), or pip itself
CELL_TIMEOUT = 300  # seconds per cell, as test_source's nbval run
MARKER = "COLAB_VERSIONS="
VERSION_CELL = """import importlib, json, sys  # after the notebook: importing here changes nothing it ran
_report = {"prefix": sys.prefix, "python": sys.version.split()[0], "modules": {}}
for _name in %r:
    _module = importlib.import_module(_name)
    _report["modules"][_name] = [_module.__version__, _module.__file__]
print(%r + json.dumps(_report))"""
# The kernel runs with the environment of the tests less what would make it something other than a student's:
# grading mode, and variables that point Python or matplotlib at the course's own environment.
DROPPED_VARIABLES = ("NBGRADER_EXECUTION", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MPLBACKEND")


def pins() -> dict[str, str]:
    """The versions tests/colab-constraints.txt pins, by canonical distribution name."""
    pinned = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"{CONSTRAINTS}: {line!r} is not name==version"
            pinned[canonicalize_name(name)] = version.strip()
    return pinned


def third_party_imports(nb) -> set[str]:
    """Top-level modules outside the standard library that the notebook's code cells import."""
    from IPython.core.inputtransformer2 import TransformerManager  # turns magics into Python, as the kernel does

    transform = TransformerManager().transform_cell
    modules = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(transform(cell.source))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module.split(".")[:2] != ["google", "colab"]:  # Colab's runtime itself (the hand-in check)
                    modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "__future__"}


def distributions(modules) -> dict[str, str]:
    """module -> canonical distribution name, as the course's own environment installs them."""
    known = importlib.metadata.packages_distributions()
    return {m: canonicalize_name(known[m][0]) if m in known else f"<{m}: not installed by requirements.txt>"
            for m in modules}


def notebook_modules(assignment: str) -> dict[str, str]:
    """The modules the version cell checks for `assignment`: its own imports and the kernel's, -> distribution."""
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    return {**distributions(third_party_imports(nb)), **KERNEL_PACKAGES}


@per_assignment
def test_colab_constraints_pin_every_import(assignment):
    """Does tests/colab-constraints.txt pin every library the notebook imports, so the Colab run tests them all?"""
    pinned = pins()
    missing = {m: d for m, d in notebook_modules(assignment).items() if canonicalize_name(d) not in pinned}
    assert not missing, (f"{assignment} imports {sorted(missing)} ({', '.join(sorted(missing.values()))}), which "
                         f"{CONSTRAINTS.name} does not pin: add Colab's versions from its pip-freeze.txt")


# ---- the Colab environment -----------------------------------------------------------------------------------------

def colab_python() -> str:
    """A Python 3.12 (Colab's) when this machine has one, else the Python running the tests."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in [shutil.which("python3.12"), *sorted(glob.glob(str(pyenv / "versions/3.12*/bin/python3.12")))]:
        if candidate and subprocess.run([candidate, "-c", "import venv, ensurepip"],
                                        capture_output=True).returncode == 0:  # a pyenv shim may not run
            return candidate
    return sys.executable


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock on `path` across processes (pytest-xdist workers)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def build(venv: Path, python: str, requested: list[str]) -> dict:
    """Make the Colab environment in `venv` and its kernelspec; return what was installed and how long it took."""
    start = time.perf_counter()
    run([python, "-m", "venv", str(venv)])
    # --only-binary: the wheels Colab installs, never a build from source that would take many minutes
    # --no-compile: no .pyc for the thousands of files no notebook imports (the kernel compiles what it imports)
    run([venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--only-binary=:all:",
         "--no-compile", "-c", CONSTRAINTS, *requested], timeout=1200)
    listing = run([venv / "bin" / "python", "-I", "-c", "import importlib.metadata as m, json; print(json.dumps("
                   "{d.metadata['Name']: d.version for d in m.distributions()}))"]).stdout
    installed = {canonicalize_name(name): version for name, version in json.loads(listing).items()}
    # The notebooks' kernel name, as in Colab. ipykernel's wheel puts a spec there that starts "python" from PATH:
    # replace it by one that starts this environment's Python.
    kernels = venv / "share" / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab's versions", "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}))  # quiets debugpy's note on Python 3.12's frozen modules
    return {"installed": installed, "build_seconds": time.perf_counter() - start}


class ColabEnv:
    """The environment with Colab's versions: where it is, what it holds, and a kernel manager for it."""

    def __init__(self, venv: Path, python_version: str, record: dict):
        self.venv = venv
        self.python_version = python_version
        self.installed = record["installed"]
        self.build_seconds = record["build_seconds"]
        specs = str(venv / "share" / "jupyter" / "kernels")

        class ColabKernelManager(ForkingKernelManager):  # over IPC
            @default("kernel_spec_manager")
            def _colab_kernels(self):
                return KernelSpecManager(kernel_dirs=[specs])  # its python3 comes before this Python's own

        self.kernel_manager_class = ColabKernelManager


@pytest.fixture(scope="session")
def colab_env(tmp_path_factory):
    """The Colab environment, built once per test run: pytest-xdist workers share it under a file lock, and the
    last one to finish removes it (pytest's own clean-up of old temporary folders takes it otherwise)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder of the whole run, above each worker's own
    python = colab_python()
    python_version = run([python, "-c", "import platform; print(platform.python_version())"]).stdout.strip()
    requested = sorted({d for a in ASSIGNMENTS for d in notebook_modules(a).values()})
    key = hashlib.sha256(f"{CONSTRAINTS.read_text()}\n{python_version}\n{requested}".encode()).hexdigest()[:16]
    venv, lock = shared / f"colab-venv-{key}", shared / f"colab-venv-{key}.lock"
    ready, users = venv / "colab-ready.json", venv / "colab-users"
    with locked(lock):
        if not ready.is_file():
            shutil.rmtree(venv, ignore_errors=True)
            try:
                ready_record = build(venv, python, requested)
            except BaseException:
                shutil.rmtree(venv, ignore_errors=True)
                raise
            ready.write_text(json.dumps(ready_record))
            print(f"\nColab environment (Python {python_version}) built in {ready_record['build_seconds']:.1f} s")
        users.write_text(str(int(users.read_text()) + 1 if users.is_file() else 1))
        env = ColabEnv(venv, python_version, json.loads(ready.read_text()))
    yield env
    with locked(lock):
        left = int(users.read_text()) - 1
        if left:
            users.write_text(str(left))
        else:
            ready.unlink()
            shutil.rmtree(venv, ignore_errors=True)


@pytest.mark.slow
def test_colab_environment_holds_the_pinned_versions(colab_env):
    """Does the environment hold every library asked for, each distribution at its pinned version, and nothing
that is not pinned (but the few Colab's list lacks)?"""
    pinned = pins()
    wrong = {d: (v, pinned[d]) for d, v in colab_env.installed.items() if d in pinned and v != pinned[d]}
    assert not wrong, f"installed (version, pinned): {wrong}"
    requested = {d for a in ASSIGNMENTS for d in notebook_modules(a).values()}
    assert requested <= set(colab_env.installed), f"not installed: {sorted(requested - set(colab_env.installed))}"
    unpinned = sorted(set(colab_env.installed) - set(pinned) - UNPINNED)
    assert not unpinned, f"installed without a pin in {CONSTRAINTS.name}: {unpinned}; add Colab's versions"


# ---- running a notebook as a student -------------------------------------------------------------------------------

class NotebookFailed(AssertionError):
    """A cell of a notebook raised, or the kernel did not run the versions it should."""


def cell_name(cell, index: int) -> str:
    gid = grade_id(cell)
    return f"cell {index}" + (f" (grade_id {gid})" if gid else "")


def failure(name: str, cell, index: int, exc: CellExecutionError) -> NotebookFailed:
    """The error of the cell that raised, named by assignment, cell number (0 = first) and grade id."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return NotebookFailed(f"{name}: {cell_name(cell, index)} fails: {str(exc)[-2500:]}")
    trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0].get("traceback", [])))
    return NotebookFailed(f"{name}: {cell_name(cell, index)} fails: {errors[0]['ename']}: {errors[0]['evalue']}"
                          f"\n{trace[-2500:]}")


@dataclass
class Run:
    report: dict                    # what the version cell printed: prefix, python, {module: [version, file]}
    seconds: float                  # the notebook's cells, top to bottom (the kernel's start not included)
    error: NotebookFailed | None    # the cell that raised, if one did
    stderr: list[str]               # what cells wrote to stderr (warnings), "cell N: text"


def execute(nb, name: str, folder: Path, modules: dict[str, str], kernel_manager_class=None) -> Run:
    """Run `nb` top to bottom as a student would, then, in the same kernel, a cell reporting the versions of
    `modules` (also when a cell failed: the run stops there, as "Run all" does).
"""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    check = nbformat.v4.new_code_cell(VERSION_CELL % (sorted(modules), MARKER))
    check["id"] = "colab-versions-check"
    nb.cells.append(check)
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_VARIABLES}
    options = {"kernel_manager_class": kernel_manager_class} if kernel_manager_class else {}
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}, **options)
    error = None
    with client.setup_kernel(env=env):
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells[:-1]):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                error = failure(name, cell, index, exc)
                break
            except CellTimeoutError as exc:
                raise NotebookFailed(f"{name}: {cell_name(cell, index)} did not finish in {CELL_TIMEOUT} s") from exc
            except DeadKernelError as exc:
                raise NotebookFailed(f"{name}: the kernel died in {cell_name(cell, index)}: {exc}") from exc
        seconds = time.perf_counter() - start
        replies = []
        client.on_cell_executed = lambda **kwargs: replies.append(kwargs["execute_reply"]["content"]["status"])
        try:  # ipykernel aborts a request that reaches it before it has stopped aborting after an error: ask again
            for _ in range(2):
                client.execute_cell(check, len(nb.cells) - 1)
                if replies[-1] != "aborted":
                    break
        except CellExecutionError as exc:
            raise NotebookFailed(f"{name}: the kernel cannot report its versions: {str(exc)[-2500:]}") from exc
        if replies[-1] != "ok":
            raise NotebookFailed(f"{name}: the kernel did not run the version report ({replies})")
    printed = "".join(o.get("text", "") for o in check.get("outputs", []) if o.get("output_type") == "stream")
    stderr = [f"{cell_name(cell, index)}: {o.get('text', '').strip()}" for index, cell in enumerate(nb.cells[:-1])
              for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    return Run(json.loads(printed.split(MARKER, 1)[1].splitlines()[0]), seconds, error, stderr)


def version_problems(report: dict, colab_env: ColabEnv, modules: dict[str, str]) -> list[str]:
    """What in a kernel's version report is not Colab's environment (empty when all is as pinned)."""
    pinned = pins()
    prefix = str(colab_env.venv.resolve())
    problems = []
    if str(Path(report["prefix"]).resolve()) != prefix:
        problems.append(f"the kernel runs in {report['prefix']}, not in {prefix}")
    if report["python"] != colab_env.python_version:
        problems.append(f"the kernel runs Python {report['python']}, not {colab_env.python_version}")
    for module, (version, path) in sorted(report["modules"].items()):
        expected = pinned.get(canonicalize_name(modules[module]))
        if version != expected:
            problems.append(f"{module} {version} is imported, {CONSTRAINTS.name} pins {expected}")
        if not str(Path(path).resolve()).startswith(prefix + os.sep):
            problems.append(f"{module} is imported from {path}, outside {prefix}")
    return problems


def run_in_colab(nb, name: str, folder: Path, colab_env: ColabEnv, modules: dict[str, str]) -> Run:
    """Run `nb` as a student in Colab's versions; raise NotebookFailed on a wrong environment or a failing cell."""
    done = execute(nb, name, folder, modules, colab_env.kernel_manager_class)
    problems = version_problems(done.report, colab_env, modules)
    if problems:
        raise NotebookFailed(f"{name}: not Colab's environment: " + "; ".join(problems))
    if done.error is not None:
        raise done.error
    return done


@pytest.mark.slow
@per_assignment
def test_runs_in_colab_versions(assignment, colab_env, tmp_path):
    """Does the source notebook run top to bottom, as a student runs it, on Colab's library versions?"""
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    done = run_in_colab(nb, assignment, tmp_path, colab_env, notebook_modules(assignment))
    print(f"\n{assignment}: {done.seconds:.1f} s top to bottom in Colab's versions (Python {colab_env.python_version})"
          + "".join(f"\n  stderr of {line[:300]}" for line in done.stderr))


# A call numpy has had since 2.1 only: a notebook that makes it works in requirements.txt's numpy, not in Colab's
# (when Colab moves to numpy 2.1 or later, take a call newer than its numpy).
NEWER_NUMPY = "import numpy as np\nrows = np.unstack(np.eye(3))\nassert len(rows) == 3"


@pytest.mark.slow
def test_a_call_newer_than_colab_fails_there_and_runs_here(colab_env, tmp_path):
    """Does the Colab run fail, naming the notebook and the cell, on a call that only newer numpy has, while the
    course's own environment runs it; and does the version check refuse a kernel of the course's environment?"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("A call from numpy 2.1"),
                                         nbformat.v4.new_code_cell(NEWER_NUMPY)])
    nb.cells[1].metadata["nbgrader"] = {"grade_id": "unstack", "grade": False, "solution": False, "locked": True}
    modules = {"numpy": "numpy", **KERNEL_PACKAGES}
    with pytest.raises(NotebookFailed, match=r"newer_numpy: cell 1 \(grade_id unstack\) fails: AttributeError: "
                                             r".*unstack"):
        run_in_colab(nb, "newer_numpy", tmp_path, colab_env, modules)
    here_run = execute(nb, "newer_numpy", tmp_path, modules)  # the course's own kernel
    assert here_run.error is None, here_run.error
    problems = version_problems(here_run.report, colab_env, modules)
    here = importlib.metadata.version("numpy")
    assert f"numpy {here} is imported, {CONSTRAINTS.name} pins {pins()['numpy']}" in problems, problems
    assert any("not in" in p and "colab-venv" in p for p in problems), problems


