"""collect: put an LMS download (folders, notebooks, zips) into nbgrader's submitted/<student>/<assignment>/.

File names are read by `CourseFileNames`, an nbgrader FileNameCollectorPlugin (so `nbgrader zip_collect` can use
the same rule): the course naming rule (`Lab_7_aa1234.ipynb`, per assignment), Canvas names
(`<name>_[LATE_]<userid>_<fileid>_<original>.ipynb`), Colab's `Copy of ...` and resubmission suffixes (`-1`,
` (1)`). Every file is either collected, dropped as an older attempt of the same student, or rejected with a
reason (REASONS); nothing is skipped silently. The log of each run is appended to reports/<a>/collect.csv.

Submission times come from a times CSV (`file,submitted_at`), from a `timestamp` group of the naming rule, or
(when `CourseFileNames.use_file_times` is set) from the file's or zip entry's modification time. They are
written to timestamp.txt, where nbgrader reads them.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Bool, Dict, Float, Unicode

from .course import INFO_FILE, CourseError, assignments as all_assignments, check_assignment, collect_record, \
    release_notebook
from .gradebook import fill_names
from .late import LatePolicy
from .nbconfig import load_config
from .readnotebook import NotebookFileError, parse_notebook, read_bytes
from .repair import resemblance

REASONS = ("bad name", "not a notebook", "corrupt JSON", "empty", "wrong assignment", "unsafe file",
           "identity conflict")
CANVAS = re.compile(r"^(?P<lms_name>[A-Za-z0-9]+?)_(?:(?P<late>LATE)_)?(?P<lms_user_id>\d+)_(?P<lms_file_id>\d+)_"
                    r"(?P<original>.+)$")
COPY_OF = re.compile(r"^(?:copy[ _]of[ _])+", re.IGNORECASE)
RESUBMISSION = re.compile(r"(?:-(\d+)| ?\((\d+)\))$")
MAX_DOWNLOAD_BYTES = 2 << 30  # a zip of a whole class; a notebook over the sandbox's own limit is flagged there


@dataclass(frozen=True)
class Name:
    """What a file name says about a submission."""
    student: str | None
    attempt: int = 0                 # resubmission number (Canvas `-2`, browser ` (2)`): higher is newer
    lms_name: str = ""
    lms_user_id: str = ""
    late_mark: bool = False          # the LMS marked it LATE
    timestamp: str = ""              # from a `timestamp` group of the naming rule
    problem: str = ""                # why no student id could be read (empty when one was)


@dataclass(frozen=True)
class Collected:
    student: str
    file: str                        # the file as given (zip entries as archive.zip:entry)
    submitted_at: datetime | None    # UTC, naive
    late_mark: bool
    notebook: Path                   # where it now is: submitted/<student>/<assignment>/<assignment>.ipynb
    unchanged: bool = False          # the same notebook and time were already collected


@dataclass(frozen=True)
class Dropped:
    student: str
    file: str
    kept: str                        # the newer attempt kept instead
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Rejected:
    file: str
    reason: str                      # one of REASONS
    detail: str
    student: str = ""


@dataclass(frozen=True)
class Collection:
    assignment: str
    collected: tuple[Collected, ...]
    dropped: tuple[Dropped, ...]
    rejected: tuple[Rejected, ...]
    warnings: tuple[str, ...] = ()
    log: Path | None = None


class CourseFileNames(FileNameCollectorPlugin):
    """The course naming rule for submitted notebooks, with Canvas, Colab and resubmission variants."""

    file_names = Dict(
        key_trait=Unicode(), value_trait=Unicode(), default_value={},
        help="Name rule of each assignment's notebook without .ipynb: assignment id -> pattern holding "
             "{student_id} (e.g. 'Lab_7_{student_id}'); may hold a regex group (?P<timestamp>...). "
             "Assignments not listed use `default_file_name`. Matching ignores case, and spaces, '_' and '-' "
             "stand for one another.",
    ).tag(config=True)
    default_file_name = Unicode("{assignment}_{student_id}",
                                help="Name rule for assignments not in `file_names`").tag(config=True)
    student_id_regexp = Unicode(r"[a-z]{2}[0-9]{4}",
                                help="What a student id looks like (matched ignoring case; stored in lower case)"
                                ).tag(config=True)
    identify_by_lms_user_id = Bool(
        True, help="When an LMS (Canvas) file's original name breaks the rule, take the student id from another "
                   "file of the same LMS user, else use the LMS user id itself (with a warning), instead of "
                   "rejecting it").tag(config=True)
    use_file_times = Bool(
        False, help="Take a file's (or zip entry's) modification time as its submission time when nothing else "
                    "gives one. Only right when the download keeps the LMS's times.").tag(config=True)
    min_resemblance = Float(
        0.5, help="Share of the release's provided cells a notebook must contain (by grade_id or text) to be "
                  "taken as this assignment's").tag(config=True)
    assignment = Unicode("", help="Assignment whose names are read (set by collect; for zip_collect, the "
                                  "assignment being collected)").tag(config=True)

    def _assignment(self) -> str:
        if self.assignment:
            return self.assignment
        coursedir = getattr(self.parent, "coursedir", None)
        return getattr(coursedir, "assignment_id", "") or ""

    def rule(self, assignment: str) -> re.Pattern:
        """The compiled name rule of `assignment` (whole-name match, after Copy-of and resubmission suffixes)."""
        template = self.file_names.get(assignment, self.default_file_name)
        pattern, pos = "", 0
        for m in re.finditer(r"\{student_id\}|\{assignment\}|\(\?P<\w+>[^)]*\)", template):
            pattern += _literal(template[pos:m.start()])
            token = m.group(0)
            pattern += (f"(?P<student_id>{self.student_id_regexp})" if token == "{student_id}" else
                        _literal(assignment) if token == "{assignment}" else token)
            pos = m.end()
        pattern += _literal(template[pos:])
        if "(?P<student_id>" not in pattern:
            raise CourseError(f"CourseFileNames: the name rule {template!r} for {assignment} has no {{student_id}}")
        return re.compile(pattern, re.IGNORECASE)

    def parse(self, filename: str, assignment: str) -> Name:
        """Read the student id and the rest from a file name (a base name, extension included)."""
        stem = filename[:-len(".ipynb")] if filename.lower().endswith(".ipynb") else os.path.splitext(filename)[0]
        canvas = CANVAS.match(stem)
        info = {}
        if canvas:
            info = dict(lms_name=canvas["lms_name"], lms_user_id=canvas["lms_user_id"], late_mark=bool(canvas["late"]))
            stem = canvas["original"]
        attempt = 0
        while True:
            cleaned = COPY_OF.sub("", stem).strip()
            suffix = RESUBMISSION.search(cleaned)
            if suffix and not self.rule(assignment).fullmatch(cleaned):
                attempt = max(attempt, int(suffix.group(1) or suffix.group(2)))
                cleaned = cleaned[:suffix.start()].strip()
            if cleaned == stem:
                break
            stem = cleaned
        m = self.rule(assignment).fullmatch(stem)
        if m:
            return Name(m["student_id"].lower(), attempt, timestamp=m.groupdict().get("timestamp") or "", **info)
        for other in all_assignments(self._root) if self._root else []:
            if other != assignment and self.rule(other).fullmatch(stem):
                return Name(None, attempt, problem=f"wrong assignment: named by the rule of {other}", **info)
        expected = self.file_names.get(assignment, self.default_file_name).format(
            assignment=assignment, student_id="<id>")
        return Name(None, attempt, problem=f"bad name: {stem!r} does not follow the rule {expected}.ipynb", **info)

    _root: Path | None = None

    def collect(self, submitted_file: str) -> dict | None:
        """nbgrader's ZipCollectApp entry point: student_id, file_id and timestamp of a file, or None."""
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        assignment = self._assignment()
        name = self.parse(os.path.basename(submitted_file), assignment)
        if name.student is None:
            self.log.warning("%s: %s", submitted_file, name.problem)
            return None
        found = {"student_id": name.student, "file_id": f"{assignment}.ipynb"}
        if name.timestamp:
            found["timestamp"] = name.timestamp
        return found


def _literal(text: str) -> str:
    """A regex for literal text in which runs of spaces, '_' and '-' match any such run (or none)."""
    return "".join("[ _-]*" if part and part[0] in " _-" else re.escape(part)
                   for part in re.split(r"([ _-]+)", text) if part)


@dataclass(frozen=True)
class _File:
    label: str                       # how the TA knows it: path, or archive.zip:entry
    name: str                        # base name
    data: bytes
    mtime: datetime | None           # UTC naive


def _junk(name: str) -> bool:
    """Files a download carries that nobody submitted: macOS metadata, hidden files."""
    return name.startswith(".") or name == "Thumbs.db" or "__MACOSX/" in name


def _files(paths: list[Path], skip: set[Path]) -> tuple[list[_File], list[str], list[Rejected]]:
    """Every file under `paths`, zips opened (nested zips too), in a stable order; the junk files ignored; and the
    links, FIFOs and devices refused (never followed or read)."""
    found, ignored, unsafe = [], [], []

    def add(label: str, name: str, data: bytes, mtime):
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    for entry in sorted(archive.infolist(), key=lambda e: e.filename):
                        base = os.path.basename(entry.filename)
                        if entry.is_dir() or not base:
                            continue
                        if _junk(base) or _junk(entry.filename):
                            ignored.append(f"{label}:{entry.filename}")
                            continue
                        add(f"{label}:{entry.filename}", base, archive.read(entry), datetime(*entry.date_time))
                return
            except zipfile.BadZipFile:
                pass  # reported as "not a notebook" below
        found.append(_File(label, name, data, mtime))

    for path in paths:
        if not path.exists():
            raise CourseError(f"{path}: no such file or folder")
        files = sorted(p for p in path.rglob("*") if p.is_symlink() or not p.is_dir()) if path.is_dir() else [path]
        for file in files:
            if file.resolve() in skip:
                continue
            inside = file.relative_to(path) if path.is_dir() else Path(file.name)
            if any(_junk(part) for part in inside.parts):
                ignored.append(str(file))
                continue
            try:
                data = read_bytes(file, max_bytes=MAX_DOWNLOAD_BYTES)
            except NotebookFileError as exc:
                unsafe.append(Rejected(str(file), "unsafe file" if exc.code == "unsafe-file" else "not a notebook",
                                       exc.problem))
                continue
            mtime = datetime.fromtimestamp(file.lstat().st_mtime, timezone.utc).replace(tzinfo=None)
            add(str(file), file.name, data, mtime)
    return found, ignored, unsafe


def read_times(path: Path, policy: LatePolicy) -> dict[str, datetime]:
    """A times CSV (columns `file`, `submitted_at`) as {base name: UTC naive time}."""
    try:
        rows = list(csv.DictReader(path.read_text().splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: cannot read the times file: {exc}") from None
    if rows and not {"file", "submitted_at"} <= set(rows[0]):
        raise CourseError(f"{path}: a times file needs the columns file,submitted_at (has {', '.join(rows[0])})")
    times = {}
    for number, row in enumerate(rows, start=2):
        try:
            times[os.path.basename(row["file"])] = policy.parse_time(row["submitted_at"])
        except CourseError as exc:
            raise CourseError(f"{path}, line {number}: {exc}") from None
    return times


def _check_content(data: bytes, release_nb, release_ids: dict[str, set[str]], assignment: str,
                   min_share: float) -> tuple[str, str]:
    """('', '') for a notebook of this assignment, else (reason, detail)."""
    try:  # the one reader every stage uses
        nb = parse_notebook(data, where="the file")
    except NotebookFileError as exc:
        reason = {"empty": "empty", "corrupt-json": "corrupt JSON"}.get(exc.code, "not a notebook")
        return reason, exc.problem
    if not nb.cells or not any(str(c.get("source", "")).strip() for c in nb.cells):
        return "empty", "the notebook has no cells with content"
    ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells} - {None}
    if ids and not ids & release_ids[assignment]:
        others = [a for a, known in release_ids.items() if a != assignment and len(ids & known) > len(ids) / 2]
        if others:
            return "wrong assignment", f"its cells are those of {others[0]}"
    share = resemblance(nb, release_nb)
    if share < min_share:
        return "wrong assignment", f"only {share:.0%} of {assignment}'s provided cells are in it"
    return "", ""


def _timestamp_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _existing(folder: Path) -> tuple[str, datetime | None]:
    """sha256 and time of the notebook already collected in `folder` ('' when none)."""
    info = folder / INFO_FILE
    if not info.is_file():
        return "", None
    data = json.loads(info.read_text())
    when = datetime.fromisoformat(data["submitted_at"]) if data.get("submitted_at") else None
    return data.get("sha256", ""), when


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def collect(*, root: Path, assignment: str, paths: list[Path], times: Path | None = None) -> Collection:
    """Collect the submissions for `assignment` found in `paths` into submitted/, and log every file's fate."""
    check_assignment(root, assignment)
    release_path = release_notebook(root, assignment)
    if not release_path.is_file():
        raise CourseError(f"{release_path}: no release; run `python -m autograder release {assignment}` first")
    config = load_config(root)
    names = CourseFileNames(config=config)
    names._root = root
    policy = LatePolicy(config=config)
    release_nb = nbformat.read(release_path, as_version=4)
    release_ids = {}
    for a in all_assignments(root):
        if release_notebook(root, a).is_file():
            release_ids[a] = {c.metadata.get("nbgrader", {}).get("grade_id")
                              for c in nbformat.read(release_notebook(root, a), as_version=4).cells} - {None}
    given_times = read_times(times, policy) if times else {}

    rejected: list[Rejected] = []
    warnings: list[str] = []
    candidates: list[tuple[_File, Name, datetime | None]] = []
    files, ignored, unsafe = _files(paths, {times.resolve()} if times else set())
    warnings += [f"{label}: ignored (system file, not a submission)" for label in ignored]
    rejected += unsafe
    for file in files:
        name = names.parse(file.name, assignment)
        if not file.name.lower().endswith(".ipynb"):
            rejected.append(Rejected(file.label, "not a notebook", "not an .ipynb file", name.student or ""))
            continue
        reason, detail = _check_content(file.data, release_nb, release_ids, assignment, names.min_resemblance)
        if reason:
            rejected.append(Rejected(file.label, reason, detail, name.student or ""))
            continue
        when = given_times.get(file.name)
        if when is None and name.timestamp:
            when = policy.parse_time(name.timestamp)
        if when is None and names.use_file_times:
            when = file.mtime
        candidates.append((file, name, when))

    # files whose name breaks the rule: identified by their LMS user, when allowed
    by_lms = {n.lms_user_id: n.student for _, n, _ in candidates if n.student and n.lms_user_id}
    kept: list[tuple[_File, Name, datetime | None]] = []
    for file, name, when in candidates:
        if name.student is None and name.lms_user_id and names.identify_by_lms_user_id \
                and not name.problem.startswith("wrong assignment"):
            student = by_lms.get(name.lms_user_id, name.lms_user_id)
            warnings.append(f"{file.label}: {name.problem}; identified as {student} by its LMS user id "
                            f"{name.lms_user_id}")
            name = replace(name, student=student, problem="")
        if name.student is None:
            reason, detail = name.problem.split(": ", 1)
            rejected.append(Rejected(file.label, reason, detail))
            continue
        if name.late_mark and when is None:
            warnings.append(f"{file.label}: the LMS marks it LATE but no submission time is known, so no late "
                            "penalty can be computed; give its time in a times file (--times)")
        kept.append((file, name, when))
    kept, conflicts = _one_identity_per_student(root, assignment, kept)
    rejected += conflicts

    # the newest attempt of each student
    newest: dict[str, tuple[_File, Name, datetime | None]] = {}
    dropped: list[Dropped] = []
    order = lambda item: (item[2] or datetime.min, item[1].attempt)
    for item in kept:
        student = item[1].student
        if student in newest and order(newest[student]) >= order(item):
            dropped.append(Dropped(student, item[0].label, newest[student][0].label, item[2]))
            continue
        if student in newest:
            old = newest[student]
            dropped.append(Dropped(student, old[0].label, item[0].label, old[2]))
        newest[student] = item

    collected: list[Collected] = []
    for student, (file, name, when) in sorted(newest.items()):
        folder = root / "submitted" / student / assignment
        digest = hashlib.sha256(file.data).hexdigest()
        old_digest, old_when = _existing(folder)
        target = folder / f"{assignment}.ipynb"
        if old_digest and old_digest != digest and old_when and when and old_when > when:
            dropped.append(Dropped(student, file.label, str(target), when))
            continue
        unchanged = old_digest == digest and old_when == when and target.is_file()
        if not unchanged:
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(target, file.data)
            stamp = folder / "timestamp.txt"
            if when is not None:
                _write_atomic(stamp, _timestamp_text(when).encode())
            elif stamp.exists():
                stamp.unlink()
            info = {"file": file.label, "sha256": digest, "submitted_at": when.isoformat() if when else None,
                    "late_mark": name.late_mark, "lms_name": name.lms_name, "lms_user_id": name.lms_user_id,
                    "attempt": name.attempt}
            _write_atomic(folder / INFO_FILE, json.dumps(info, indent=1).encode())
        collected.append(Collected(student, file.label, when, name.late_mark, target, unchanged))

    result = Collection(assignment, tuple(collected), tuple(dropped), tuple(rejected), tuple(warnings))
    # the LMS names and ids, for the formgrader (when the gradebook exists)
    fill_names(root=root, assignment=assignment, config=config, students=[c.student for c in collected])
    return replace(result, log=write_log(root, result))


def _one_identity_per_student(root: Path, assignment: str, kept: list) -> tuple[list, list[Rejected]]:
    """(files kept, files refused): a student id claimed by files of two LMS users, or by an LMS user who also
    claims another id, is collected for none of them, and a file never replaces one collected from another LMS
    user. Each refusal names every file involved (files without an LMS user id are taken at their word)."""
    users_by_id: dict[str, dict[str, str]] = {}   # student id -> {LMS user id: a file of that user claiming it}
    ids_by_user: dict[str, set[str]] = {}
    for file, name, _ in kept:
        if name.lms_user_id:
            users_by_id.setdefault(name.student, {}).setdefault(name.lms_user_id, file.label)
            ids_by_user.setdefault(name.lms_user_id, set()).add(name.student)
    for student in list(users_by_id):  # what an earlier run collected for the same id
        earlier = collect_record(root, student, assignment)
        if earlier.get("lms_user_id"):
            users_by_id[student].setdefault(str(earlier["lms_user_id"]),
                                            f"{earlier.get('file', '?')} (collected before)")
    conflicted = {s for s, users in users_by_id.items() if len(users) > 1}
    conflicted |= {s for ids in ids_by_user.values() if len(ids) > 1 for s in ids}
    if not conflicted:
        return kept, []
    kept_now, refused = [], []
    for file, name, when in kept:
        if name.student not in conflicted:
            kept_now.append((file, name, when))
            continue
        claims = "; ".join(f"LMS user {user}: {label}" for user, label in sorted(users_by_id[name.student].items()))
        others = sorted(ids_by_user.get(name.lms_user_id, set()) - {name.student})
        also = f"; LMS user {name.lms_user_id} also claims {', '.join(others)}" if others else ""
        refused.append(Rejected(file.label, "identity conflict", f"student id {name.student} is claimed by "
                                f"{claims}{also}: collected for nobody (and nothing collected before is replaced); "
                                "check who handed in what", name.student))
    return kept_now, refused


def write_log(root: Path, result: Collection) -> Path:
    """Append this run's outcome for every file to reports/<assignment>/collect.csv."""
    path = root / "reports" / result.assignment / "collect.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    run = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    with path.open("a", newline="") as f:
        out = csv.writer(f)
        if new:
            out.writerow(["run", "file", "outcome", "student", "reason", "detail", "submitted_at"])
        for c in result.collected:
            out.writerow([run, c.file, "unchanged" if c.unchanged else "collected", c.student, "",
                          "marked LATE by the LMS" if c.late_mark else "", c.submitted_at or ""])
        for d in result.dropped:
            out.writerow([run, d.file, "dropped", d.student, "older attempt", f"kept {d.kept}", d.submitted_at or ""])
        for r in result.rejected:
            out.writerow([run, r.file, "rejected", r.student, r.reason, r.detail, ""])
        for w in result.warnings:
            out.writerow([run, w.split(": ", 1)[0], "warning", "", "", w.split(": ", 1)[-1], ""])
    return path
