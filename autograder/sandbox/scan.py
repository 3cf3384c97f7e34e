"""Static scan of the student's cells for attempts on the grading: what the TA is told even when it failed.

Each rule names an attempt (patching numpy or builtins, hooking tracebacks, exiting the kernel, reading the course
folder, writing outside the notebook's folder, network, processes, detecting the grader, reaching into the
interpreter). The sandbox stops these from working; the flags say that someone tried. A flag is a hint for a
human, not a verdict: an honest `os.makedirs("plots")` is a notice, `np.allclose = ...` an attempt.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

ATTEMPT, LIMIT, NOTICE = "attempt", "limit", "notice"
GUARDED_BUILTINS = frozenset({"round", "abs", "isinstance", "issubclass", "print", "AssertionError", "Exception",
                              "len", "sum", "all", "any", "sorted", "float", "int", "bool", "max", "min", "zip",
                              "range", "type", "repr", "str", "__import__", "exec", "eval", "hasattr", "getattr"})


def printable(text: str, limit: int = 500) -> str:
    """`text` on one line with no control characters (newlines, escape sequences): what a student's code put in
    a message cannot pass for a line of the grader's log."""
    text = text[:limit]
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


@dataclass(frozen=True)
class Flag:
    """One thing the TA should see: `code` names the kind, `cell` the grade_id or cell index, `message` what."""
    code: str
    severity: str
    cell: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "cell": self.cell, "message": self.message}


# (code, severity, pattern over the cell's text, what it means)
PATTERNS = [
    ("patch-traceback", ATTEMPT, r"\bsys\s*\.\s*(excepthook|displayhook)\b|\b_?showtraceback\b|showsyntaxerror|"
                                 r"set_custom_exc|custom_exceptions|InteractiveShell|\bIPython\.core\b|"
                                 r"\bsys\s*\.\s*(stdout|stderr)\s*=(?!=)", "hooks traceback display or output"),
    ("exit", ATTEMPT, r"\bsys\s*\.\s*exit\b|\bos\s*\.\s*(_exit|abort|kill|killpg)\b|\b(exit|quit)\s*\(|"
                      r"\braise\s+(SystemExit|KeyboardInterrupt)\b|\bsignal\s*\.\s*(signal|alarm|raise_signal)\b",
     "exits or kills the kernel"),
    ("read-course", ATTEMPT, r"\bsource/|\brelease/|\bsubmitted/|\bautograded/|gradebook|\.db\b|nbgrader_config|"
                             r"\.\./|/work\b|BEGIN HIDDEN|hidden test", "looks for course files (solutions, tests, "
                                                                       "gradebook, other students)"),
    ("network", ATTEMPT, r"\bimport\s+(socket|ssl|ftplib|smtplib|telnetlib|http|urllib|requests|httpx|aiohttp)\b|"
                         r"\bfrom\s+(socket|ssl|http|urllib|requests|httpx|aiohttp)\b|\b(curl|wget)\b|"
                         r"urlopen|\bsocket\s*\.", "uses the network"),
    ("processes", ATTEMPT, r"\bos\s*\.\s*(fork|forkpty|system|popen|exec\w*|spawn\w*|posix_spawn\w*)\b|"
                           r"\b(multiprocessing|subprocess|pty)\b|^\s*!|%%(bash|sh|script|system)|%system\b",
     "starts processes"),
    ("detect-grader", ATTEMPT, r"NBGRADER|nbgrader|autograder|_autograder", "detects the grader"),
    ("introspection", ATTEMPT, r"\bsys\s*\.\s*(_getframe|modules|settrace|setprofile|meta_path|path_hooks)\b|"
                               r"inspect\s*\.\s*(stack|currentframe|getouterframes|getframeinfo)\b|\bgc\s*\.\s*get_(objects|"
                               r"referrers|referents)\b|\bctypes\b|\b__subclasses__\b|\b__globals__\b|\bf_back\b|"
                               r"\b__code__\s*=|\bimportlib\b", "reaches into the interpreter"),
    ("builtins", ATTEMPT, r"\bbuiltins\b|__builtins__", "touches the builtins module"),
    ("log-spoof", ATTEMPT, r"\bos\s*\.\s*write\s*\(\s*[12]\s*,|\bsys\s*\.\s*__(stdout|stderr)__|/dev/(tty|stderr|stdout)\b|"
                           r"/proc/[\w.]+/fd\b|\\x1b\[|\\033\[", "writes past the notebook to the grader's terminal or log"),
    ("active-html", ATTEMPT, r"<\s*script\b|\bon(error|load|click|mouseover)\s*=|javascript\s*:|\bJavascript\s*\(|"
                             r"application/javascript", "outputs scripts or event handlers for the TA's browser"),
    ("write-files", NOTICE, r"""open\s*\([^)]*['"][wax+]|\bshutil\s*\.|\bos\s*\.\s*(remove|unlink|rename|replace|"""
                            r"""rmdir|removedirs|makedirs|mkdir|chmod|chown|symlink|link|truncate)\b|"""
                            r"\.write_(text|bytes)\s*\(|%%writefile", "writes or changes files"),
    ("dynamic-code", NOTICE, r"\b(exec|eval|compile)\s*\(", "runs code built at run time"),
]
_COMPILED = [(code, severity, re.compile(pattern, re.MULTILINE), what) for code, severity, pattern, what in PATTERNS]


def as_python(source: str) -> str:
    """What IPython's input transformer manager makes of a cell, the code a kernel compiles (magics and shell
    escapes turned into calls); raises what IPython raises on a cell it cannot transform."""
    from IPython.core.inputtransformer2 import TransformerManager  # here: the grader imports IPython only if asked

    return TransformerManager().transform_cell(source)


def _python(source: str) -> str:
    """The cell as Python for the AST rules (as it is when IPython cannot transform it)."""
    try:
        return as_python(source)
    except Exception:  # noqa: BLE001 - scanning must not fail on odd input
        return source


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _chain(node) -> list:
    """The target and what it is an attribute or item of, down to the name: np.testing.x -> [that, np.testing]."""
    chain = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        chain.append(node)
        node = node.value
    return chain


def _target_leaves(targets):
    """The assigned things of assignment targets (tuples unpacked), not the names used in their indices."""
    for target in targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            yield from _target_leaves(target.elts)
        elif isinstance(target, ast.Starred):
            yield from _target_leaves([target.value])
        else:
            yield target


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


INTROSPECTION = {("inspect", "stack"), ("inspect", "currentframe"), ("inspect", "getouterframes"),
                 ("inspect", "getframeinfo"), ("sys", "_getframe"), ("sys", "modules"), ("sys", "settrace"),
                 ("sys", "setprofile"), ("gc", "get_objects"), ("gc", "get_referrers"), ("gc", "get_referents")}
EXITS = {("sys", "exit"), ("os", "_exit"), ("os", "kill"), ("os", "killpg"), ("os", "abort")}


def _ast_findings(tree, numpy_names: set[str]) -> list[tuple[str, str]]:
    found = []
    modules = {}
    nodes = list(ast.walk(tree))  # walked once, read in the same order by each pass below
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                    alias.name.split(".")[0]
    for node in nodes:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            pair = (modules[node.value.id], node.attr)
            if pair in INTROSPECTION:
                found.append(("introspection", f"uses {pair[0]}.{pair[1]}"))
            elif pair in EXITS:
                found.append(("exit", f"uses {pair[0]}.{pair[1]}"))
    aliases = set(numpy_names)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "numpy":
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numpy":
            aliases.update(alias.asname or alias.name for alias in node.names)
    top_level = {id(node) for node in tree.body}
    for node in nodes:
        targets = []
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for leaf in _target_leaves(targets):
            if isinstance(leaf, (ast.Attribute, ast.Subscript)):
                chain = _chain(leaf)
                if _root_name(leaf) in aliases | {"numpy"} and any(isinstance(n, ast.Attribute) for n in chain):
                    found.append(("patch-numpy", f"changes {_dotted(leaf) or _root_name(leaf)}"))
            elif isinstance(leaf, ast.Name) and id(node) in top_level:
                if leaf.id in GUARDED_BUILTINS:
                    found.append(("shadow-builtin", f"rebinds the builtin {leaf.id}"))
                elif leaf.id in ("np", "numpy"):
                    found.append(("patch-numpy", f"rebinds {leaf.id}"))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in GUARDED_BUILTINS \
                and id(node) in top_level:
            found.append(("shadow-builtin", f"defines its own {node.name}"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                and node.args and _root_name(node.args[0]) in aliases | {"numpy", "builtins", "__builtins__", "sys"}:
            found.append(("patch-numpy" if _root_name(node.args[0]) in aliases | {"numpy"} else "builtins",
                          f"{node.func.id}({_dotted(node.args[0])}, ...)"))
    return found


def scan_cell(source: str, *, cell: str, numpy_names=frozenset({"np", "numpy"})) -> list[Flag]:
    """The flags for one cell of the student's."""
    flags, matched = [], set()
    for code, severity, pattern, what in _COMPILED:
        match = pattern.search(source)
        if match:
            line = source[:match.start()].count("\n") + 1
            flags.append(Flag(code, severity, cell, f"{what}: {match.group(0).strip()[:60]!r} (line {line})"))
            matched.add((code, re.sub(r"\s+", "", match.group(0))))
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        tree = None
    if tree is not None:
        for code, what in dict.fromkeys(_ast_findings(tree, set(numpy_names))):
            # "uses os._exit" where a text rule of the same kind already matched os._exit: the same finding, once
            if (code, what.rsplit(" ", 1)[-1]) not in matched:
                flags.append(Flag(code, ATTEMPT, cell, what))
    return flags
