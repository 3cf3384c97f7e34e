"""collect: put an LMS download (folders, notebooks, zips) into nbgrader's submitted/<student>/<assignment>/.

File names are read by `CourseFileNames`, an nbgrader FileNameCollectorPlugin (so `nbgrader zip_collect` can use
the same rule): the course naming rule (`Lab_7_aa1234.ipynb`, per assignment), Canvas names
(`<name>_[LATE_]<userid>_<fileid>_<original>.ipynb`), Colab's `Copy of ...` and resubmission suffixes (`-1`,
` (1)`). Every file is either collected, dropped as an older attempt of the same student, or rejected with a
reason (REASONS); nothing is skipped silently. The log of each run is appended to reports/<a>/collect.csv.

A student id is checked on the name as written, before any case folding: it is ASCII and matches
`CourseFileNames.student_id_regexp` (ASCII letters and digits by default), compared without regard to ASCII case
and stored in lower case. A look-alike (a dotless `ı`, a long `ſ`, the Kelvin sign `K`, which Python's case
folding and Unicode normalisation turn into ASCII letters) is refused as a `bad student id`, never rewritten.

A zip's entries belong to the LMS user who uploaded the zip (the outermost zip with an LMS name holding them): they
get that user's identity, LATE mark and submission time, and an entry named for another LMS user is an identity
conflict. Zips are read as streams within `DownloadLimits`: a notebook over the size bound, an archive whose
entries add up past the total bound, and a zip nested too deep are refused by name, without being read whole; at
most one notebook is in memory at a time (the others wait on disk until the newest attempts are known).

Submission times come from a times CSV (`file,submitted_at`: a zip entry takes the time of the outermost archive
holding it that the CSV lists), from a `timestamp` group of the naming rule, or (when
`CourseFileNames.use_file_times` is set) from the file's or uploaded zip's modification time. They are written to
timestamp.txt, where nbgrader reads them. A file collected again without a time keeps the time and LMS identity
collected before for that student, and says so: a late submission stays late.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Bool, Dict, Float, Unicode

from .course import INFO_FILE, CourseError, assignments as all_assignments, check_assignment, collect_record, \
    release_notebook
from .downloads import DownloadLimits, Item, Refused, Upload, walk
from .gradebook import fill_names
from .late import LatePolicy
from .nbconfig import load_config
from .readnotebook import NotebookFileError, parse_notebook
from .repair import resemblance

REASONS = ("bad name", "bad student id", "not a notebook", "corrupt JSON", "empty", "wrong assignment",
           "unsafe file", "too large", "nested too deep", "identity conflict")
# re.ASCII throughout: without it \d matches other scripts' digits, and [a-z] with IGNORECASE matches ı, ſ and K
CANVAS = re.compile(r"^(?P<lms_name>[A-Za-z0-9]+?)_(?:(?P<late>LATE)_)?(?P<lms_user_id>\d+)_(?P<lms_file_id>\d+)_"
                    r"(?P<original>.+)$", re.ASCII)
COPY_OF = re.compile(r"^(?:copy[ _]of[ _])+", re.IGNORECASE | re.ASCII)
RESUBMISSION = re.compile(r"(?:-(\d+)| ?\((\d+)\))$", re.ASCII)


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
    student_id_regexp = Unicode(
        r"[A-Za-z0-9]+",
        help="What a student id looks like: a regular expression the whole id must match (e.g. '[a-z]{2}[0-9]{4}'). "
             "It is matched on the id as written, with ASCII-only classes and ASCII case ignored, and an id is "
             "ASCII whatever the pattern; ids are compared without regard to case and stored in lower case. An id "
             "that does not match (a look-alike such as a dotless ı, a long ſ or the Kelvin sign included) is "
             "refused, never rewritten into another id. `grade --student` checks ids by the same rule.",
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

    def rule(self, assignment: str, *, loose: bool = False) -> re.Pattern:
        """The compiled name rule of `assignment` (whole-name match, after Copy-of and resubmission suffixes):
        ASCII only; `loose`, any Unicode letters and digits for the id (only to say why a name was refused)."""
        template = self.file_names.get(assignment, self.default_file_name)
        pattern, pos = "", 0
        for m in re.finditer(r"\{student_id\}|\{assignment\}|\(\?P<\w+>[^)]*\)", template):
            pattern += _literal(template[pos:m.start()])
            token = m.group(0)
            student = r"[^\W_]+" if loose else self.student_id_regexp
            pattern += (f"(?P<student_id>{student})" if token == "{student_id}" else
                        _literal(assignment) if token == "{assignment}" else token)
            pos = m.end()
        pattern += _literal(template[pos:])
        if "(?P<student_id>" not in pattern:
            raise CourseError(f"CourseFileNames: the name rule {template!r} for {assignment} has no {{student_id}}")
        return re.compile(pattern, re.IGNORECASE if loose else re.IGNORECASE | re.ASCII)

    def file_stem(self, assignment: str, student: str) -> str:
        """The name (without .ipynb) the rule gives `student`'s notebook of `assignment`; a CourseError for a rule
        holding a regex group, from which no name can be made."""
        template = self.file_names.get(assignment, self.default_file_name)
        if "(?P<" in template:
            raise CourseError(f"CourseFileNames: the name rule {template!r} of {assignment} holds a regex group, so "
                              "no file name can be made from it ({student_id} and {assignment} only)")
        return template.format(assignment=assignment, student_id=student)

    def student_id(self, text: str) -> str | None:
        """`text` as a student id (lower case) if it is one by the course's rule, else None. The rule is checked
        on `text` as written: ASCII, and a whole match of `student_id_regexp` with ASCII-only classes and case."""
        return student_id(text, self.student_id_regexp)

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
        student = self.student_id(m["student_id"]) if m else None
        if student:
            return Name(student, attempt, timestamp=m.groupdict().get("timestamp") or "", **info)
        lookalike = not stem.isascii() and self.rule(assignment, loose=True).fullmatch(stem)
        if m or lookalike:
            return Name(None, attempt, problem=f"bad student id: the id in {stem!r} {_not_ascii(stem)}; a student "
                                               f"id is ASCII matching {self.student_id_regexp} (refused, not "
                                               "rewritten into another id)", **info)
        for other in all_assignments(self._root) if self._root else []:
            if other != assignment and self.rule(other).fullmatch(stem):
                return Name(None, attempt, problem=f"wrong assignment: named by the rule of {other}", **info)
        expected = self.file_names.get(assignment, self.default_file_name).format(
            assignment=assignment, student_id="<id>")
        odd = "" if stem.isascii() else f" (it {_not_ascii(stem)})"
        return Name(None, attempt, problem=f"bad name: {stem!r} does not follow the rule {expected}.ipynb{odd}",
                    **info)

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


def student_id(text: str, pattern: str) -> str | None:
    """`text` in lower case if it is ASCII and the whole of it matches `pattern` (ASCII classes, ASCII case
    ignored), else None. Checked on `text` as written: str.lower(), casefold() and NFKC turn look-alikes (ı, ſ, K)
    into ASCII letters, so nothing is folded before the check."""
    if not text.isascii() or re.fullmatch(pattern, text, re.IGNORECASE | re.ASCII) is None:
        return None
    return text.lower()


def _not_ascii(text: str) -> str:
    """What in `text` is not ASCII, by Unicode name ('holds 'ı' (U+0131 LATIN SMALL LETTER DOTLESS I)')."""
    odd = sorted({ch for ch in text if not ch.isascii()})
    if not odd:
        return "does not match the student id pattern"
    return "holds " + ", ".join(f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')})"
                                for ch in odd[:5]) + (" and more" if len(odd) > 5 else "")


def select_students(*, root: Path, given: list[str], known: list[str]) -> list[str]:
    """The students of `known` (collected ids) that `given` names, by the course's student id rule: an id given
    matches a known one without regard to ASCII case; one that is not an id by the rule, or names nobody
    collected, is an error naming it."""
    pattern = CourseFileNames(config=load_config(root)).student_id_regexp
    by_key: dict[str, list[str]] = {}
    for student in known:
        by_key.setdefault(student.lower() if student.isascii() else student, []).append(student)
    chosen, problems = [], []
    for text in given:
        found = by_key.get(text.lower()) if text.isascii() else None
        if found and len(found) == 1:
            chosen.append(found[0])
        elif found:
            problems.append(f"{text!r} names {len(found)} collected students ({', '.join(found)})")
        elif student_id(text, pattern) is None:
            problems.append(f"{text!r} is not a student id: it {_not_ascii(text)} (ids are ASCII matching "
                            f"{pattern}, CourseFileNames.student_id_regexp)")
        else:
            problems.append(f"nothing collected for {text} in {root / 'submitted'}")
    if problems:
        raise CourseError("; ".join(problems))
    return sorted(set(chosen), key=chosen.index)


def _literal(text: str) -> str:
    """A regex for literal text in which runs of spaces, '_' and '-' match any such run (or none)."""
    return "".join("[ _-]*" if part and part[0] in " _-" else re.escape(part)
                   for part in re.split(r"([ _-]+)", text) if part)


def _lms_upload(label: str, name: str, mtime: datetime | None) -> Upload | None:
    """The LMS identity in an archive's name (Canvas: `<name>_[LATE_]<userid>_<fileid>_...`), if it has one."""
    canvas = CANVAS.match(os.path.splitext(name)[0])
    if not canvas:
        return None
    return Upload(label, Name(None, lms_name=canvas["lms_name"], lms_user_id=canvas["lms_user_id"],
                               late_mark=bool(canvas["late"])), mtime)


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


def release_ids(root: Path) -> dict[str, set[str]]:
    """The grade ids of each released assignment's cells (to tell another assignment's notebook apart)."""
    return {a: {c.metadata.get("nbgrader", {}).get("grade_id")
                for c in nbformat.read(release_notebook(root, a), as_version=4).cells} - {None}
            for a in all_assignments(root) if release_notebook(root, a).is_file()}


def check_content(data: bytes, release_nb, release_ids: dict[str, set[str]], assignment: str,
                  min_share: float) -> tuple[str, str]:
    """('', '') for a notebook of this assignment, else (reason, detail): what collect and the hand-in service
    (autograder.precheck) both check of a notebook's content."""
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


def _earlier(root: Path, student: str, assignment: str, policy: LatePolicy) -> dict:
    """What is known of the notebook already collected for `student`: its collect.json record, with
    `submitted_at` as a datetime (from timestamp.txt when the record has none); {} when nothing was collected."""
    folder = root / "submitted" / student / assignment
    if not (folder / f"{assignment}.ipynb").is_file():
        return {}
    record = dict(collect_record(root, student, assignment))
    try:
        when = datetime.fromisoformat(record["submitted_at"]) if record.get("submitted_at") else None
    except (TypeError, ValueError):
        when = None
    stamp = folder / "timestamp.txt"
    if when is None and stamp.is_file():
        try:
            when = policy.parse_time(stamp.read_text())
        except (OSError, CourseError):
            when = None
    record["submitted_at"] = when
    return record


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclass(frozen=True)
class _Staged:
    """A notebook read, checked and waiting on disk until the newest attempt of each student is known."""
    label: str
    digest: str
    path: Path


def _stage(item: Item, path: Path, check: Callable[[bytes], tuple[str, str]]) -> _Staged | tuple[str, str]:
    """Read `item`, check it, and keep it at `path`; or (reason, detail) why not. Its bytes live only in here,
    so one notebook is in memory at a time."""
    try:
        data = item.read()
    except Refused as exc:
        return exc.args
    reason, detail = check(data)
    if reason:
        return reason, detail
    path.write_bytes(data)
    return _Staged(item.label, hashlib.sha256(data).hexdigest(), path)


def _submission_time(item: Item, name: Name, given: dict[str, datetime], policy: LatePolicy,
                     use_file_times: bool) -> datetime | None:
    """The time of the outermost file holding `item` (itself included) that the times CSV lists; else the
    naming rule's timestamp; else, if allowed, the modification time of its uploaded zip (or its own)."""
    when = next((given[n] for n in item.chain if n in given), None)
    if when is None and name.timestamp:
        when = policy.parse_time(name.timestamp)
    if when is None and use_file_times:
        when = item.upload.mtime if item.upload else item.mtime
    return when


def collect(*, root: Path, assignment: str, paths: list[Path], times: Path | None = None) -> Collection:
    """Collect the submissions for `assignment` found in `paths` into submitted/, and log every file's fate."""
    check_assignment(root, assignment)
    release_path = release_notebook(root, assignment)
    if not release_path.is_file():
        raise CourseError(f"{release_path}: no release; run `python -m autograder release {assignment}` first")
    config = load_config(root)
    names = CourseFileNames(config=config)
    names._root = root
    limits = DownloadLimits(config=config)
    policy = LatePolicy(config=config)
    release_nb = nbformat.read(release_path, as_version=4)
    known_ids = release_ids(root)
    given_times = read_times(times, policy) if times else {}

    with tempfile.TemporaryDirectory(prefix="autograder-collect-") as staging:
        rejected: list[Rejected] = []
        warnings: list[str] = []
        candidates: list[tuple[_Staged, Name, datetime | None]] = []
        for kind, event in walk(paths, {times.resolve()} if times else set(), limits, _lms_upload):
            if kind == "ignored":
                warnings.append(f"{event}: ignored (system file, not a submission)")
                continue
            if kind == "rejected":
                rejected.append(Rejected(event.file, event.reason, event.detail))
                continue
            item: Item = event
            name = names.parse(item.name, assignment)
            if not item.name.lower().endswith(".ipynb"):
                rejected.append(Rejected(item.label, "not a notebook", "not an .ipynb file", name.student or ""))
                continue
            if item.upload:  # an archive's entry belongs to the LMS user who uploaded the archive
                owner = item.upload.name
                if name.lms_user_id and name.lms_user_id != owner.lms_user_id:
                    rejected.append(Rejected(item.label, "identity conflict", f"named for LMS user "
                                             f"{name.lms_user_id}, inside {item.upload.label} uploaded by LMS user "
                                             f"{owner.lms_user_id}: collected for nobody", name.student or ""))
                    continue
                name = replace(name, lms_name=owner.lms_name, lms_user_id=owner.lms_user_id,
                               late_mark=owner.late_mark or name.late_mark)
            staged = _stage(item, Path(staging) / f"{len(candidates)}.ipynb",
                            lambda data: check_content(data, release_nb, known_ids, assignment,
                                                       names.min_resemblance))
            if isinstance(staged, tuple):
                rejected.append(Rejected(item.label, *staged, name.student or ""))
                continue
            when = _submission_time(item, name, given_times, policy, names.use_file_times)
            candidates.append((staged, name, when))

        # files whose name breaks the rule: identified by their LMS user, when allowed (never a bad student id)
        by_lms = {n.lms_user_id: n.student for _, n, _ in candidates if n.student and n.lms_user_id}
        kept: list[tuple[_Staged, Name, datetime | None]] = []
        for file, name, when in candidates:
            if name.student is None and name.lms_user_id and names.identify_by_lms_user_id \
                    and not name.problem.startswith(("wrong assignment", "bad student id")):
                student = by_lms.get(name.lms_user_id, name.lms_user_id)
                warnings.append(f"{file.label}: {name.problem}; identified as {student} by its LMS user id "
                                f"{name.lms_user_id}")
                name = replace(name, student=student, problem="")
            if name.student is None:
                reason, detail = name.problem.split(": ", 1)
                rejected.append(Rejected(file.label, reason, detail))
                continue
            kept.append((file, name, when))
        kept, conflicts = _one_identity_per_student(root, assignment, kept)
        rejected += conflicts

        # the newest attempt of each student
        newest: dict[str, tuple[_Staged, Name, datetime | None]] = {}
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
            target = folder / f"{assignment}.ipynb"
            earlier = _earlier(root, student, assignment, policy)
            old_when = earlier.get("submitted_at")
            if earlier and when is None and old_when is not None:  # a known time is never lost silently
                when = old_when
                name = replace(name, late_mark=name.late_mark or bool(earlier.get("late_mark")))
                warnings.append(f"{file.label}: no submission time is known for it, so {student} keeps the time "
                                f"collected before ({_timestamp_text(old_when)}, {earlier.get('file', 'by hand')}) "
                                "and a late submission stays late; if it was handed in again, give its time "
                                "(--times)")
            if earlier.get("lms_user_id") and not name.lms_user_id:  # nor a known LMS identity
                name = replace(name, lms_name=str(earlier.get("lms_name") or ""),
                               lms_user_id=str(earlier["lms_user_id"]))
                warnings.append(f"{file.label}: no LMS identity in its name, so {student} keeps the one collected "
                                f"before (LMS user {name.lms_user_id}"
                                f"{', ' + name.lms_name if name.lms_name else ''})")
            if name.late_mark and when is None:
                warnings.append(f"{file.label}: the LMS marks it LATE but no submission time is known, so no late "
                                "penalty can be computed; give its time in a times file (--times)")
            if earlier.get("sha256") and earlier["sha256"] != file.digest and old_when and when \
                    and old_when > when:
                dropped.append(Dropped(student, file.label, str(target), when))
                continue
            unchanged = earlier.get("sha256") == file.digest and old_when == when
            if not unchanged:
                folder.mkdir(parents=True, exist_ok=True)
                _write_atomic(target, file.path.read_bytes())
                stamp = folder / "timestamp.txt"
                if when is not None:
                    _write_atomic(stamp, _timestamp_text(when).encode())
                elif stamp.exists():
                    stamp.unlink()
                info = {"file": file.label, "sha256": file.digest,
                        "submitted_at": when.isoformat() if when else None, "late_mark": name.late_mark,
                        "lms_name": name.lms_name, "lms_user_id": name.lms_user_id, "attempt": name.attempt}
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
