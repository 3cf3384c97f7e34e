"""Does collect turn LMS downloads into nbgrader's submitted/ layout, reading every naming style and rejecting
(never skipping) what it cannot use, with the reason?"""
import csv
import json
import shutil
import zipfile

import pytest
from traitlets.config import Config

from autograder.collect import REASONS, CourseFileNames, collect
from fixtures.coursefolder import FILES, REFERENCE, SUBMISSIONS, cli, main, make_course, make_gradebook

A = REFERENCE


@pytest.fixture
def course(tmp_path):
    course = make_course(tmp_path / "course")
    other = course / "source" / "other_lab"  # a second assignment, for names that belong to it
    other.mkdir()
    shutil.copy(SUBMISSIONS / "wrong_assignment.ipynb", other / "other_lab.ipynb")
    return course


def names(**rules) -> CourseFileNames:
    """The naming rules `rules` with this course's student ids (two letters, four digits)."""
    config = Config()
    config.CourseFileNames.file_names = rules
    config.CourseFileNames.student_id_regexp = "[a-z]{2}[0-9]{4}"
    return CourseFileNames(config=config)


@pytest.mark.parametrize("filename,student,attempt,late", [
    (f"{A}_aa1234.ipynb", "aa1234", 0, False),
    (f"{A.upper()}_AA1234.ipynb", "aa1234", 0, False),                       # case does not matter
    (f"{A.replace('_', ' ')} aa1234.ipynb", "aa1234", 0, False),             # spaces for underscores
    (f"Copy of {A}_aa1234.ipynb", "aa1234", 0, False),                       # Colab
    (f"Copy of Copy of {A}_aa1234.ipynb", "aa1234", 0, False),
    (f"{A}_aa1234 (2).ipynb", "aa1234", 2, False),                           # browser download twice
    (f"doejane_12345_67890_{A}_aa1234.ipynb", "aa1234", 0, False),           # Canvas
    (f"doejane_12345_67890_{A}_aa1234-3.ipynb", "aa1234", 3, False),         # Canvas resubmission
    (f"doejane_LATE_12345_67890_Copy of {A}_aa1234-1.ipynb", "aa1234", 1, True),
])
def test_names_are_read(filename, student, attempt, late):
    """Is the student id (and resubmission number, LATE mark) read from each naming style?"""
    name = names().parse(filename, A)
    assert (name.student, name.attempt, name.late_mark) == (student, attempt, late)


def test_the_rule_is_per_assignment():
    """Does an assignment's own rule (Lab_7_<id>) apply to it and not to others?"""
    rules = names(lab7="Lab_7_{student_id}")
    assert rules.parse("Lab_7_aa1234.ipynb", "lab7").student == "aa1234"
    assert rules.parse("Lab 7 - aa1234.ipynb", "lab7").student == "aa1234"
    assert rules.parse("lab7_aa1234.ipynb", "lab7").student == "aa1234"   # separators may be left out
    assert rules.parse("Lab_8_aa1234.ipynb", "lab7").student is None
    assert rules.parse("Lab_7_aa1234.ipynb", A).student is None


@pytest.mark.parametrize("filename", ["homework.ipynb", f"{A}_aa12345.ipynb", f"{A}.ipynb", f"aa1234_{A}.ipynb"])
def test_bad_names_give_a_reason(filename):
    """Does a name that breaks the rule give no student and say which rule it breaks?"""
    name = names().parse(filename, A)
    assert name.student is None and name.problem.startswith("bad name") and A in name.problem


def test_zip_collect_plugin(tmp_path):
    """Can nbgrader's zip_collect use the plugin (student_id and file_id for a good name, None for a bad one)?"""
    plugin = names()
    plugin.assignment = A
    assert plugin.collect(str(tmp_path / f"Copy of {A}_aa0001.ipynb")) == {"student_id": "aa0001",
                                                                           "file_id": f"{A}.ipynb"}
    assert plugin.collect(str(tmp_path / "homework.ipynb")) is None
    assert plugin.collect(str(tmp_path / f"{A}_aa0001.pdf")) is None


def download(folder, files: dict[str, str], times: dict[str, str] | None = None):
    """An LMS download: {file name: fixture} copied into `folder`, and a times CSV if given."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, fixture in files.items():
        source = SUBMISSIONS / f"{fixture}.ipynb" if (SUBMISSIONS / f"{fixture}.ipynb").is_file() else FILES / fixture
        shutil.copy(source, folder / name)
    if times:
        with (folder.parent / "times.csv").open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["file", "submitted_at"])
            out.writerows(times.items())
    return folder


def test_every_rejection_reason_is_reported(course, tmp_path):
    """Does the CLI collect the good files and report each bad one with its reason, none skipped silently?"""
    files = download(tmp_path / "download", {
        f"{A}_aa0001.ipynb": "full_marks",
        f"doejane_LATE_12345_67890_{A}_aa0002.ipynb": "partial_marks",
        "my_homework.ipynb": "full_marks",                        # bad name
        f"{A}_aa0003.pdf": "notes.txt",                            # not a notebook
        f"{A}_aa0004.ipynb": "corrupt.ipynb",                      # corrupt JSON
        f"{A}_aa0005.ipynb": "empty.ipynb",                        # empty
        f"{A}_aa0006.ipynb": "wrong_assignment",                   # another assignment's content
        "other_lab_aa0007.ipynb": "full_marks",                    # named for another assignment
    }, times={f"{A}_aa0001.ipynb": "2025-03-14 16:00", f"doejane_LATE_12345_67890_{A}_aa0002.ipynb": "2025-03-14 18:00"})
    done = cli(course, "collect", A, str(files), "--times", str(tmp_path / "times.csv"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "2 collected, 0 dropped, 6 rejected" in out
    for name, reason in [("my_homework.ipynb", "bad name"), (f"{A}_aa0003.pdf", "not a notebook"),
                         (f"{A}_aa0004.ipynb", "corrupt JSON"), (f"{A}_aa0005.ipynb", "empty"),
                         (f"{A}_aa0006.ipynb", "wrong assignment"), ("other_lab_aa0007.ipynb", "wrong assignment")]:
        assert any(name in line and f": {reason}:" in line for line in out.splitlines()), (name, reason, out)
    for student, stamp in [("aa0001", "2025-03-14 16:00:00"), ("aa0002", "2025-03-14 18:00:00")]:
        folder = course / "submitted" / student / A
        assert (folder / f"{A}.ipynb").is_file()
        assert (folder / "timestamp.txt").read_text().startswith(stamp)
    assert json.loads((course / "submitted" / "aa0002" / A / "collect.json").read_text())["lms_user_id"] == "12345"
    log = list(csv.DictReader((course / "reports" / A / "collect.csv").open()))
    assert sorted(r["outcome"] for r in log) == ["collected"] * 2 + ["rejected"] * 6
    assert {r["reason"] for r in log if r["outcome"] == "rejected"} <= set(REASONS)


def test_newest_attempt_is_kept_and_the_others_logged(course, tmp_path):
    """Of several attempts by one student, is the newest kept (by time, else by resubmission number)?"""
    files = download(tmp_path / "download", {
        f"doejane_12345_111_{A}_aa0001.ipynb": "blank",
        f"doejane_12345_222_{A}_aa0001-1.ipynb": "partial_marks",
        f"doejane_12345_333_{A}_aa0001-2.ipynb": "full_marks",
        f"{A}_aa0002.ipynb": "full_marks",
        f"{A}_aa0002 (1).ipynb": "blank",
    }, times={f"{A}_aa0002.ipynb": "2025-03-14 16:30", f"{A}_aa0002 (1).ipynb": "2025-03-14 16:00"})
    done = collect(root=course, assignment=A, paths=[files], times=tmp_path / "times.csv")
    kept = {c.student: c.file.rsplit("/", 1)[-1] for c in done.collected}
    assert kept == {"aa0001": f"doejane_12345_333_{A}_aa0001-2.ipynb", "aa0002": f"{A}_aa0002.ipynb"}
    assert sorted(d.file.rsplit("/", 1)[-1] for d in done.dropped) == sorted(
        [f"doejane_12345_111_{A}_aa0001.ipynb", f"doejane_12345_222_{A}_aa0001-1.ipynb", f"{A}_aa0002 (1).ipynb"])
    submitted = (course / "submitted" / "aa0001" / A / f"{A}.ipynb").read_bytes()
    assert submitted == (SUBMISSIONS / "full_marks.ipynb").read_bytes()


def test_zips_are_opened(course, tmp_path):
    """Are notebooks inside a zip (and a zip inside it) collected and their rejects named by archive entry?"""
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.write(SUBMISSIONS / "full_marks.ipynb", f"{A}_aa0002.ipynb")
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(SUBMISSIONS / "full_marks.ipynb", f"folder/{A}_aa0001.ipynb")
        z.write(FILES / "notes.txt", "folder/readme.txt")
        z.write(FILES / "notes.txt", f"__MACOSX/folder/._{A}_aa0001.ipynb")
        z.write(FILES / "notes.txt", "folder/.DS_Store")
        z.write(inner, "inner.zip")
    done = collect(root=course, assignment=A, paths=[archive])
    assert sorted(c.student for c in done.collected) == ["aa0001", "aa0002"]
    assert [(r.file.rsplit(":", 1)[-1], r.reason) for r in done.rejected] == [("folder/readme.txt", "not a notebook")]
    assert sorted(w.split(":")[1] for w in done.warnings) == [f"__MACOSX/folder/._{A}_aa0001.ipynb", "folder/.DS_Store"]
    assert all("ignored" in w for w in done.warnings)


def test_collecting_again_changes_nothing(course, tmp_path):
    """Does a second collect of the same download leave submitted/ as it is, and an older file not replace a
    newer one already collected?"""
    files = download(tmp_path / "download", {f"{A}_aa0001.ipynb": "full_marks"},
                     times={f"{A}_aa0001.ipynb": "2025-03-14 16:00"})
    collect(root=course, assignment=A, paths=[files], times=tmp_path / "times.csv")
    again = collect(root=course, assignment=A, paths=[files], times=tmp_path / "times.csv")
    assert [c.unchanged for c in again.collected] == [True]
    older = download(tmp_path / "older", {f"{A}_aa0001.ipynb": "blank"}, times={f"{A}_aa0001.ipynb": "2025-03-14 12:00"})
    late = collect(root=course, assignment=A, paths=[older], times=tmp_path / "times.csv")
    assert not late.collected and len(late.dropped) == 1
    assert (course / "submitted" / "aa0001" / A / f"{A}.ipynb").read_bytes() == \
        (SUBMISSIONS / "full_marks.ipynb").read_bytes()


def test_lms_user_identifies_a_misnamed_canvas_file(course, tmp_path):
    """Is a Canvas file whose original name breaks the rule given to the student its LMS user id belongs to?"""
    files = download(tmp_path / "download", {
        f"doejane_12345_111_{A}_aa0001.ipynb": "blank",
        "doejane_12345_222_my_lab-1.ipynb": "full_marks",
        "roesam_67890_333_lab.ipynb": "full_marks",
    })
    done = collect(root=course, assignment=A, paths=[files])
    assert sorted(c.student for c in done.collected) == ["67890", "aa0001"]
    assert [d.file.rsplit("/", 1)[-1] for d in done.dropped] == [f"doejane_12345_111_{A}_aa0001.ipynb"]
    assert len(done.warnings) == 2 and all("LMS user id" in w for w in done.warnings)


def test_a_late_mark_without_a_time_is_flagged(course, tmp_path):
    """Is the TA warned when the LMS marks a file LATE but no submission time is known?"""
    files = download(tmp_path / "download", {f"doejane_LATE_12345_67890_{A}_aa0001.ipynb": "full_marks"})
    done = collect(root=course, assignment=A, paths=[files])
    assert done.collected[0].submitted_at is None
    assert any("LATE" in w and "--times" in w for w in done.warnings)


def test_an_unknown_assignment_is_an_error(course, tmp_path):
    """Does collect for an assignment not in source/ exit with an error naming the known ones?"""
    code, _, err = main(course, "collect", "no_such_lab", str(tmp_path))
    assert code == 2
    assert "no_such_lab" in err and A in err


def test_a_missing_path_is_an_error(course, tmp_path):
    """Does collect name a download path that does not exist?"""
    code, _, err = main(course, "collect", A, str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere" in err


def test_a_bad_times_file_is_an_error(course, tmp_path):
    """Does an unreadable time in the times file name the file and line?"""
    (tmp_path / "times.csv").write_text("file,submitted_at\nx.ipynb,next friday\n")
    code, _, err = main(course, "collect", A, str(tmp_path), "--times", str(tmp_path / "times.csv"))
    assert code == 2 and "times.csv, line 2" in err


def test_a_student_id_claimed_by_two_lms_users_is_collected_for_neither(course, tmp_path):
    """Is a victim's id claimed by another LMS user's file (a resubmission suffix) refused for both, naming both
    files, with the other students collected as usual?"""
    files = download(tmp_path / "download", {
        f"doejane_12345_111_{A}_aa0001.ipynb": "full_marks",      # the student aa0001, LMS user 12345
        f"roesam_67890_222_{A}_aa0001-3.ipynb": "blank",          # LMS user 67890 claims aa0001
        f"moesue_24680_333_{A}_aa0002.ipynb": "full_marks",
    })
    done = collect(root=course, assignment=A, paths=[files])
    assert [c.student for c in done.collected] == ["aa0002"]
    conflicts = [r for r in done.rejected if r.reason == "identity conflict"]
    assert len(conflicts) == 2 and all(r.student == "aa0001" for r in conflicts)
    for r in conflicts:
        assert "12345" in r.detail and "67890" in r.detail
        assert f"doejane_12345_111_{A}_aa0001.ipynb" in r.detail and f"roesam_67890_222_{A}_aa0001-3.ipynb" in r.detail
    assert not (course / "submitted" / "aa0001").exists()


def test_an_lms_user_claiming_two_ids_is_collected_for_neither(course, tmp_path):
    """Does one LMS user handing in files under two student ids get neither collected?"""
    files = download(tmp_path / "download", {
        f"roesam_67890_111_{A}_aa0003.ipynb": "full_marks",
        f"roesam_67890_222_{A}_aa0004.ipynb": "blank",
    })
    done = collect(root=course, assignment=A, paths=[files])
    assert not done.collected
    assert sorted(r.student for r in done.rejected if r.reason == "identity conflict") == ["aa0003", "aa0004"]
    assert all("also claims" in r.detail for r in done.rejected)


def test_a_notebook_collected_from_one_lms_user_is_never_replaced_by_another(course, tmp_path):
    """Does a later download whose file for aa0001 comes from another LMS user leave the collected notebook (and
    its LMS user id) as they were, reporting the conflict?"""
    first = download(tmp_path / "first", {f"doejane_12345_111_{A}_aa0001.ipynb": "full_marks"})
    collect(root=course, assignment=A, paths=[first])
    folder = course / "submitted" / "aa0001" / A
    before = (folder / f"{A}.ipynb").read_bytes(), (folder / "collect.json").read_text()
    second = download(tmp_path / "second", {f"roesam_67890_999_{A}_aa0001-9.ipynb": "blank"})
    done = collect(root=course, assignment=A, paths=[second])
    assert not done.collected
    [conflict] = done.rejected
    assert conflict.reason == "identity conflict" and "collected before" in conflict.detail
    assert ((folder / f"{A}.ipynb").read_bytes(), (folder / "collect.json").read_text()) == before


def test_links_fifos_and_devices_are_refused_not_followed(course, tmp_path):
    """Is a symbolic link (to the course's source notebook) or a FIFO in a download refused as an unsafe file,
    never read, while the notebook beside them is collected?"""
    import os

    files = download(tmp_path / "download", {f"{A}_aa0001.ipynb": "full_marks"})
    (files / f"{A}_aa0002.ipynb").symlink_to(course / "source" / A / f"{A}.ipynb")
    os.mkfifo(files / f"{A}_aa0003.ipynb")
    done = collect(root=course, assignment=A, paths=[files])  # a FIFO opened for reading would block here
    assert [c.student for c in done.collected] == ["aa0001"]
    refused = {r.file.rsplit("/", 1)[-1]: r for r in done.rejected}
    assert refused[f"{A}_aa0002.ipynb"].reason == "unsafe file" and "symbolic link" in refused[f"{A}_aa0002.ipynb"].detail
    assert refused[f"{A}_aa0003.ipynb"].reason == "unsafe file" and "FIFO" in refused[f"{A}_aa0003.ipynb"].detail
    assert not (course / "submitted" / "aa0002").exists()


def test_a_byte_order_mark_is_read_like_any_notebook(course, tmp_path):
    """Is a notebook saved with a UTF-8 byte-order mark collected, its bytes kept as downloaded?"""
    files = tmp_path / "download"
    files.mkdir()
    data = b"\xef\xbb\xbf" + (SUBMISSIONS / "full_marks.ipynb").read_bytes()
    (files / f"{A}_aa0001.ipynb").write_bytes(data)
    done = collect(root=course, assignment=A, paths=[files])
    assert [c.student for c in done.collected] == ["aa0001"]
    assert (course / "submitted" / "aa0001" / A / f"{A}.ipynb").read_bytes() == data


def test_recollecting_a_file_without_a_time_keeps_the_known_time_and_identity(course, tmp_path):
    """When one corrected notebook is collected as a plain file (no times CSV) for a student whose late time and
    LMS identity are known, are both kept (timestamp.txt, collect.json) and the TA told so?"""
    files = download(tmp_path / "download", {f"doejane_LATE_12345_111_{A}_aa0002.ipynb": "partial_marks"},
                     times={f"doejane_LATE_12345_111_{A}_aa0002.ipynb": "2025-03-14 18:00"})
    collect(root=course, assignment=A, paths=[files], times=tmp_path / "times.csv")
    fixed = download(tmp_path / "fixed", {f"{A}_aa0002.ipynb": "full_marks"})
    done = collect(root=course, assignment=A, paths=[fixed / f"{A}_aa0002.ipynb"])
    [kept] = done.collected
    assert (kept.student, str(kept.submitted_at), kept.late_mark) == ("aa0002", "2025-03-14 18:00:00", True)
    folder = course / "submitted" / "aa0002" / A
    assert (folder / f"{A}.ipynb").read_bytes() == (SUBMISSIONS / "full_marks.ipynb").read_bytes()
    assert (folder / "timestamp.txt").read_text().startswith("2025-03-14 18:00:00")
    record = json.loads((folder / "collect.json").read_text())
    assert (record["lms_user_id"], record["lms_name"], record["submitted_at"]) == ("12345", "doejane",
                                                                                   "2025-03-14T18:00:00")
    said = " ".join(done.warnings)
    assert "keeps the time collected before (2025-03-14 18:00:00" in said and "stays late" in said
    assert "keeps the one collected before (LMS user 12345, doejane)" in said


def test_a_file_with_its_own_time_replaces_the_known_time(course, tmp_path):
    """Is a file collected again with its own (later) time in a times CSV given that time, keeping the LMS
    identity known before?"""
    files = download(tmp_path / "download", {f"doejane_12345_111_{A}_aa0002.ipynb": "partial_marks"},
                     times={f"doejane_12345_111_{A}_aa0002.ipynb": "2025-03-14 16:00"})
    collect(root=course, assignment=A, paths=[files], times=tmp_path / "times.csv")
    again = download(tmp_path / "again", {f"{A}_aa0002.ipynb": "full_marks"},
                     times={f"{A}_aa0002.ipynb": "2025-03-14 19:00"})
    done = collect(root=course, assignment=A, paths=[again], times=tmp_path / "times.csv")
    assert str(done.collected[0].submitted_at) == "2025-03-14 19:00:00"
    record = json.loads((course / "submitted" / "aa0002" / A / "collect.json").read_text())
    assert (record["lms_user_id"], record["submitted_at"]) == ("12345", "2025-03-14T19:00:00")


@pytest.mark.slow  # a gradebook, then grade and report twice
def test_fixing_and_regrading_one_student_keeps_the_late_penalty(tmp_path):
    """Following docs/GRADING.md ("Fixing and regrading one student"): after a late student's corrected notebook
    is collected as a plain file and regraded alone, does canvas.csv give the corrected score less the late
    penalty (14 of 20, not 20), under the student's LMS name and id?"""
    course = make_course(tmp_path / "course")
    make_gradebook(course)
    files = download(tmp_path / "download", {f"doejane_LATE_12345_111_{A}_aa0002.ipynb": "partial_marks",
                                             f"roesam_67890_222_{A}_aa0001.ipynb": "full_marks"},
                     times={f"doejane_LATE_12345_111_{A}_aa0002.ipynb": "2025-03-14 18:00",
                            f"roesam_67890_222_{A}_aa0001.ipynb": "2025-03-14 16:00"})
    cli(course, "collect", A, str(files), "--times", str(tmp_path / "times.csv"), check=True)
    cli(course, "grade", A, "--no-progress", check=True)
    cli(course, "report", A, "--no-feedback", check=True)
    canvas = lambda: {line[1]: (line[0], line[5]) for line in list(csv.reader(
        (course / "reports" / A / "canvas.csv").open()))[2:]}
    assert canvas() == {"12345": ("doejane", "4.2"), "67890": ("roesam", "20")}
    fixed = download(tmp_path / "fixed", {f"{A}_aa0002.ipynb": "full_marks"})
    # the documented commands
    collected = cli(course, "collect", A, str(fixed / f"{A}_aa0002.ipynb"), check=True)
    assert "keeps the time collected before" in collected.stdout
    graded = cli(course, "grade", A, "--student", "aa0002", "--no-progress", check=True)
    assert "graded 1 " in graded.stdout
    cli(course, "report", A, "--no-feedback", check=True)
    assert canvas() == {"12345": ("doejane", "14"), "67890": ("roesam", "20")}
