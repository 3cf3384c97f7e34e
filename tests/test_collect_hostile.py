"""Can a student's upload fool collect or stop it? Zips that impersonate another student or hide a late time, zips
nested or expanding without end, and student ids that only look like ASCII: each is refused by name, and the rest of
the download is collected as usual."""
import csv
import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib

import pytest

from autograder.collect import REASONS, CourseFileNames, collect
from fixtures.coursefolder import REFERENCE, ROOT, SUBMISSIONS, cli, make_course, make_gradebook

A = REFERENCE
FULL = (SUBMISSIONS / "full_marks.ipynb").read_bytes()
BLANK = (SUBMISSIONS / "blank.ipynb").read_bytes()


@pytest.fixture
def course(tmp_path):
    return make_course(tmp_path / "course")


def zipped(path, entries: dict[str, bytes]):
    """A zip holding `entries` ({name: bytes}), deflated."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def times_file(path, times: dict[str, str]):
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["file", "submitted_at"])
        out.writerows(times.items())
    return path


def refusals(done) -> dict[str, tuple[str, str]]:
    """{file label without the download folder: (reason, detail)} of every rejected file."""
    return {r.file.rsplit("/", 1)[-1]: (r.reason, r.detail) for r in done.rejected}


def submitted(course) -> list[str]:
    return sorted(p.name for p in (course / "submitted").iterdir()) if (course / "submitted").is_dir() else []


# ---- identity and time of a zip's entries ------------------------------------------------------------------------

def test_a_zip_entry_named_for_another_student_is_an_identity_conflict(course, tmp_path):
    """When LMS user 67890 uploads a zip whose notebook is named with aa0002's id, is aa0002's id refused for both
    LMS users (naming both files), instead of the zip's entry replacing aa0002's notebook as a newer attempt?"""
    download = tmp_path / "download"
    download.mkdir()
    (download / f"doejane_12345_111_{A}_aa0002.ipynb").write_bytes(FULL)
    zipped(download / "roesam_67890_222_lab.zip", {f"{A}_aa0002.ipynb": BLANK})
    (download / f"moesue_24680_333_{A}_aa0003.ipynb").write_bytes(FULL)
    times = times_file(tmp_path / "times.csv", {f"doejane_12345_111_{A}_aa0002.ipynb": "2025-03-14 16:00",
                                                "roesam_67890_222_lab.zip": "2025-03-14 16:30"})
    done = collect(root=course, assignment=A, paths=[download], times=times)
    assert [c.student for c in done.collected] == ["aa0003"] and not done.dropped
    refused = refusals(done)
    for label in (f"doejane_12345_111_{A}_aa0002.ipynb", f"roesam_67890_222_lab.zip:{A}_aa0002.ipynb"):
        reason, detail = refused[label]
        assert reason == "identity conflict"
        assert "12345" in detail and "67890" in detail and "roesam_67890_222_lab.zip" in detail
    assert submitted(course) == ["aa0003"]


def test_a_zip_never_replaces_a_notebook_collected_from_another_lms_user(course, tmp_path):
    """Once aa0002's notebook is collected from LMS user 12345, does a later zip of LMS user 67890 holding a
    notebook named for aa0002 leave it (and its record) as it was?"""
    first = tmp_path / "first"
    first.mkdir()
    (first / f"doejane_12345_111_{A}_aa0002.ipynb").write_bytes(FULL)
    collect(root=course, assignment=A, paths=[first])
    folder = course / "submitted" / "aa0002" / A
    before = (folder / f"{A}.ipynb").read_bytes(), (folder / "collect.json").read_text()
    second = zipped(tmp_path / "roesam_67890_999_lab.zip", {f"Copy of {A}_aa0002 (3).ipynb": BLANK})
    done = collect(root=course, assignment=A, paths=[second])
    assert not done.collected and not done.dropped
    [(label, (reason, detail))] = refusals(done).items()
    assert label == f"roesam_67890_999_lab.zip:Copy of {A}_aa0002 (3).ipynb"
    assert reason == "identity conflict" and "collected before" in detail
    assert ((folder / f"{A}.ipynb").read_bytes(), (folder / "collect.json").read_text()) == before


def test_an_entry_with_another_lms_users_name_is_refused(course, tmp_path):
    """Is a notebook inside LMS user 67890's zip that carries LMS user 12345's Canvas name refused, naming the
    zip and both users?"""
    archive = zipped(tmp_path / "roesam_67890_222_lab.zip",
                     {f"doejane_12345_111_{A}_aa0002.ipynb": BLANK, f"{A}_aa0004.ipynb": FULL})
    done = collect(root=course, assignment=A, paths=[archive])
    assert [c.student for c in done.collected] == ["aa0004"]
    reason, detail = refusals(done)[f"roesam_67890_222_lab.zip:doejane_12345_111_{A}_aa0002.ipynb"]
    assert reason == "identity conflict" and "12345" in detail and "67890" in detail
    assert json.loads((course / "submitted" / "aa0004" / A / "collect.json").read_text())["lms_user_id"] == "67890"


def test_a_zip_entry_gets_the_zips_time_and_late_mark(course, tmp_path):
    """Does a notebook inside a late zip get the zip's submission time and LATE mark, even when the entry is
    named like an on-time file the times CSV lists?"""
    on_time = f"{A}_aa0005.ipynb"
    download = tmp_path / "download"
    download.mkdir()
    (download / on_time).write_bytes(BLANK)
    zipped(download / "roesam_LATE_67890_222_lab.zip", {on_time: FULL})
    times = times_file(tmp_path / "times.csv", {on_time: "2025-03-14 16:00",
                                                "roesam_LATE_67890_222_lab.zip": "2025-03-14 18:30"})
    done = collect(root=course, assignment=A, paths=[download], times=times)
    [kept] = done.collected
    assert kept.file.endswith(f"roesam_LATE_67890_222_lab.zip:{on_time}") and kept.late_mark
    assert str(kept.submitted_at) == "2025-03-14 18:30:00"
    folder = course / "submitted" / "aa0005" / A
    assert (folder / "timestamp.txt").read_text().startswith("2025-03-14 18:30:00")
    assert json.loads((folder / "collect.json").read_text())["lms_user_id"] == "67890"


def test_a_misnamed_entry_is_identified_by_its_zips_lms_user(course, tmp_path):
    """Is a notebook whose name breaks the rule, inside a zip with an LMS name, given to that LMS user's id?"""
    download = tmp_path / "download"
    download.mkdir()
    (download / f"doejane_12345_111_{A}_aa0001.ipynb").write_bytes(BLANK)
    zipped(download / "doejane_12345_222_lab-1.zip", {"my lab.ipynb": FULL})
    times = times_file(tmp_path / "times.csv", {f"doejane_12345_111_{A}_aa0001.ipynb": "2025-03-14 15:00",
                                                "doejane_12345_222_lab-1.zip": "2025-03-14 16:00"})
    done = collect(root=course, assignment=A, paths=[download], times=times)
    [kept] = done.collected
    assert kept.student == "aa0001" and kept.file.endswith("doejane_12345_222_lab-1.zip:my lab.ipynb")
    assert any("identified as aa0001 by its LMS user id 12345" in w for w in done.warnings)


# ---- archives that expand or nest without end -------------------------------------------------------------------

def nested_zip(levels: int, inside: dict[str, bytes]) -> bytes:
    """A zip `levels` deep (each level holding the next as n.zip), the innermost holding `inside`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in inside.items():
            z.writestr(name, data)
    data = buffer.getvalue()
    for _ in range(levels - 1):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("n.zip", data)
        data = buffer.getvalue()
    return data


def test_a_zip_nested_too_deep_is_refused_and_the_rest_collected(course, tmp_path):
    """Is a zip nested 1,100 levels deep refused by name at the depth bound (no RecursionError), while a notebook
    three zips deep and one beside it are collected?"""
    download = tmp_path / "download"
    download.mkdir()
    (download / "nested.zip").write_bytes(nested_zip(1100, {f"{A}_aa0009.ipynb": FULL}))
    assert (download / "nested.zip").stat().st_size < 200_000
    (download / "three.zip").write_bytes(nested_zip(3, {f"{A}_aa0002.ipynb": FULL}))
    (download / f"{A}_aa0001.ipynb").write_bytes(FULL)
    done = collect(root=course, assignment=A, paths=[download])
    assert sorted(c.student for c in done.collected) == ["aa0001", "aa0002"]
    [(label, (reason, detail))] = refusals(done).items()
    assert label == "nested.zip:n.zip:n.zip:n.zip"
    assert reason == "nested too deep" and "max_zip_depth" in detail
    assert reason in REASONS


def bomb_zip(path, entries: dict[str, int]):
    """A zip of `entries` ({name: MiB of spaces}) deflated from one repeated block, so it is small on disk (four
    300 MiB entries: 1.2 MB), with true sizes and CRCs in its headers."""
    chunk = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)  # decodes on its own
    last = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crcs: dict[int, int] = {}
    local, central = b"", b""
    for name, mib in entries.items():
        if mib not in crcs:
            crc = 0
            for _ in range(mib):
                crc = zlib.crc32(chunk, crc)
            crcs[mib] = crc
        data = block * mib + last
        fields = (20, 0, 8, 0, 0x21, crcs[mib], len(data), mib << 20, len(name.encode()), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, len(local)) + name.encode()
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name.encode() + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path


def test_the_bomb_helper_makes_what_it_says(tmp_path):
    """Does bomb_zip make a small zip whose entries really expand to their size (so the refusals below are about
    true sizes, not broken headers)?"""
    path = bomb_zip(tmp_path / "bomb.zip", {"a.ipynb": 300, "b.ipynb": 3})
    assert path.stat().st_size < 400_000
    with zipfile.ZipFile(path) as z:
        assert z.read("b.ipynb") == b" " * (3 << 20)
        with z.open("a.ipynb") as f:
            total = sum(len(chunk) for chunk in iter(lambda: f.read(1 << 24), b""))
    assert total == 300 << 20


def test_a_zip_bomb_is_refused_by_entry_without_being_read(course, tmp_path):
    """Are a zip bomb's four 300 MiB entries each refused as too large, naming the entry and the bound, with the
    notebook beside them in the zip and the one beside the zip collected?"""
    (tmp_path / "download").mkdir()
    archive = bomb_zip(tmp_path / "download" / "bomb.zip", {f"{A}_aa000{k}.ipynb": 300 for k in range(2, 6)})
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(f"{A}_aa0006.ipynb", FULL)
    (tmp_path / "download" / f"{A}_aa0001.ipynb").write_bytes(FULL)
    done = collect(root=course, assignment=A, paths=[tmp_path / "download"])
    assert sorted(c.student for c in done.collected) == ["aa0001", "aa0006"]
    refused = refusals(done)
    assert sorted(refused) == [f"bomb.zip:{A}_aa000{k}.ipynb" for k in range(2, 6)]
    assert all(reason == "too large" and "300.0 MiB" in detail and "max_notebook_bytes" in detail
               for reason, detail in refused.values())


@pytest.mark.slow  # a subprocess, and a 1.2 MB zip expanding to 1.2 GiB
def test_collecting_a_zip_bomb_holds_one_entry_at_a_time(course, tmp_path):
    """With the size bound raised so that each of a bomb's four 300 MiB entries is read to its end, does
    collect's memory grow by about one entry (not four) over an honest collect in the same process?"""
    (course / "nbgrader_config.py").write_text((course / "nbgrader_config.py").read_text() +
                                               "c.DownloadLimits.max_notebook_bytes = 400 << 20\n")
    honest, hostile = tmp_path / "honest", tmp_path / "hostile"
    honest.mkdir()
    hostile.mkdir()
    (honest / f"{A}_aa0001.ipynb").write_bytes(FULL)
    bomb_zip(hostile / "bomb.zip", {f"{A}_aa000{k}.ipynb": 300 for k in range(2, 6)})
    script = ("import resource; from pathlib import Path; from autograder.collect import collect\n"
              "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
              f"collect(root=Path({str(course)!r}), assignment={A!r}, paths=[Path({str(honest)!r})])\n"
              "before = peak()\n"
              f"done = collect(root=Path({str(course)!r}), assignment={A!r}, paths=[Path({str(hostile)!r})])\n"
              "print(sorted((r.file.rsplit(':', 1)[-1], r.reason) for r in done.rejected))\n"
              "print(peak() - before)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    outcome, growth_mib = run.stdout.splitlines()
    assert outcome == str([(f"{A}_aa000{k}.ipynb", "empty") for k in range(2, 6)])  # spaces are no notebook
    assert int(growth_mib) < 1.5 * 300, growth_mib  # one entry at a time: four would be 1,200 MiB


def test_an_archive_past_the_total_bound_is_refused_whole(tmp_path):
    """Is a zip whose entries add up past DownloadLimits.max_archive_bytes refused by name with nothing in it
    collected, and so is a zip inside a zip that passes what is left of the bound, while the rest is collected?"""
    course = make_course(tmp_path / "course", extra_config="c.DownloadLimits.max_archive_bytes = 100_000\n")
    download = tmp_path / "download"
    download.mkdir()
    zipped(download / "many.zip", {f"{A}_aa000{k}.ipynb": FULL for k in range(1, 5)})  # 4 x 32 KB
    inner = zipped(tmp_path / "inner.zip", {f"{A}_aa0007.ipynb": FULL, f"{A}_aa0008.ipynb": FULL})
    zipped(download / "outer.zip", {f"{A}_aa0006.ipynb": FULL, "inner.zip": inner.read_bytes()})
    (download / f"{A}_aa0005.ipynb").write_bytes(FULL)
    done = collect(root=course, assignment=A, paths=[download])
    assert sorted(c.student for c in done.collected) == ["aa0005", "aa0006"]
    refused = refusals(done)
    assert sorted(refused) == ["many.zip", "outer.zip:inner.zip"]
    assert all(reason == "too large" and "max_archive_bytes" in detail for reason, detail in refused.values())


def test_a_notebook_file_over_the_size_bound_is_refused(tmp_path):
    """Is a plain notebook file over DownloadLimits.max_notebook_bytes refused as too large, naming it?"""
    course = make_course(tmp_path / "course", extra_config="c.DownloadLimits.max_notebook_bytes = 20_000\n")
    download = tmp_path / "download"
    download.mkdir()
    (download / f"{A}_aa0001.ipynb").write_bytes(FULL)  # 32 KB
    done = collect(root=course, assignment=A, paths=[download])
    assert not done.collected
    [(label, (reason, detail))] = refusals(done).items()
    assert label == f"{A}_aa0001.ipynb" and reason == "too large" and "max_notebook_bytes" in detail


def test_a_broken_zip_is_refused_and_the_rest_collected(course, tmp_path):
    """Are a file named .zip that is not one and a zip entry whose data is corrupt refused by name, with the
    other entries collected?"""
    download = tmp_path / "download"
    download.mkdir()
    (download / "fake.zip").write_bytes(b"PK\x03\x04 not really a zip")
    good = zipped(download / "good.zip", {f"{A}_aa0001.ipynb": FULL, f"{A}_aa0002.ipynb": FULL})
    data = bytearray(good.read_bytes())
    at = data.index(b"aa0002.ipynb") + len(b"aa0002.ipynb") + 10  # inside aa0002's compressed data
    data[at:at + 20] = b"\xff" * 20
    good.write_bytes(bytes(data))
    done = collect(root=course, assignment=A, paths=[download])
    assert [c.student for c in done.collected] == ["aa0001"]
    refused = refusals(done)
    assert refused["fake.zip"][0] == "not a notebook" and "zip" in refused["fake.zip"][1]
    assert refused[f"good.zip:{A}_aa0002.ipynb"][0] == "not a notebook"


# ---- student ids -------------------------------------------------------------------------------------------------

LOOKALIKES = {  # id as written: the character that only looks ASCII
    "a\u0131" + "1234": "U+0131",        # dotless i: str.upper() gives I
    "\u017f" + "b1234": "U+017F",        # long s: casefold() and NFKC give s
    "\u212a" + "a1234": "U+212A",        # Kelvin sign: lower() gives k
    "\uff41" + "a1234": "U+FF41",        # fullwidth a: NFKC gives a
    "aa\u0661" + "234": "U+0661",        # Arabic-Indic one: int() and \d read it as 1
}


def names(pattern: str = "[a-z]{2}[0-9]{4}") -> CourseFileNames:
    from traitlets.config import Config

    config = Config()
    config.CourseFileNames.student_id_regexp = pattern
    return CourseFileNames(config=config)


@pytest.mark.parametrize("written", LOOKALIKES)
@pytest.mark.parametrize("pattern", ["[a-z]{2}[0-9]{4}", r"[A-Za-z0-9]+", r"\w+", r"\S+"])
def test_a_lookalike_id_is_not_an_id(written, pattern):
    """Is an id holding a look-alike refused as a bad student id naming the character, by the course's pattern,
    the default one and patterns that would let Unicode through, and never folded into an ASCII id?"""
    name = names(pattern).parse(f"{A}_{written}.ipynb", A)
    assert name.student is None
    assert name.problem.startswith("bad student id") and LOOKALIKES[written] in name.problem


def test_the_plugin_refuses_lookalikes_too(tmp_path):
    """Does nbgrader's zip_collect, through the plugin, skip a look-alike name instead of folding it?"""
    plugin = names()
    plugin.assignment = A
    assert plugin.collect(str(tmp_path / f"{A}_\u017fb1234.ipynb")) is None
    assert plugin.collect(str(tmp_path / f"{A}_SB1234.ipynb"))["student_id"] == "sb1234"


def test_lookalike_ids_are_refused_and_never_replace_a_student(course, tmp_path):
    """With sb1234 and ka1234 collected before, are files named with look-alikes of their ids (and the other
    look-alikes, also from an LMS user) refused by name, leaving sb1234's and ka1234's notebooks as they were and
    making no new student, while an honest file beside them is collected?"""
    first = tmp_path / "first"
    first.mkdir()
    for student in ("sb1234", "ka1234"):
        (first / f"{A}_{student}.ipynb").write_bytes(FULL)
    collect(root=course, assignment=A, paths=[first])
    download = tmp_path / "download"
    download.mkdir()
    for written in LOOKALIKES:
        (download / f"{A}_{written}.ipynb").write_bytes(BLANK)
    (download / f"roesam_67890_222_{A}_\u017fb1234.ipynb").write_bytes(BLANK)
    (download / f"{A}_aa0001.ipynb").write_bytes(FULL)
    done = collect(root=course, assignment=A, paths=[download])
    assert [c.student for c in done.collected] == ["aa0001"]
    refused = refusals(done)
    assert len(refused) == len(LOOKALIKES) + 1
    for written, code in LOOKALIKES.items():
        reason, detail = refused[f"{A}_{written}.ipynb"]
        assert reason == "bad student id" and code in detail
    assert refused[f"roesam_67890_222_{A}_\u017fb1234.ipynb"][0] == "bad student id"  # not identified by LMS user
    assert submitted(course) == ["aa0001", "ka1234", "sb1234"]
    for student in ("sb1234", "ka1234"):
        assert (course / "submitted" / student / A / f"{A}.ipynb").read_bytes() == FULL


def test_the_id_pattern_is_the_courses(tmp_path):
    """Does collect take student ids by the pattern set in nbgrader_config.py, case aside?"""
    course = make_course(tmp_path / "course", extra_config='c.CourseFileNames.student_id_regexp = "[a-z]{3}[0-9]{2}"\n')
    download = tmp_path / "download"
    download.mkdir()
    (download / f"{A}_ABC12.ipynb").write_bytes(FULL)
    (download / f"{A}_aa1234.ipynb").write_bytes(FULL)
    done = collect(root=course, assignment=A, paths=[download])
    assert [c.student for c in done.collected] == ["abc12"]
    assert refusals(done)[f"{A}_aa1234.ipynb"][0] == "bad name"


# ---- all at once -------------------------------------------------------------------------------------------------

def test_one_bad_file_never_stops_the_others(course, tmp_path):
    """In one download holding every hostile file above, is each refused with its reason, and every honest
    submission collected?"""
    download = tmp_path / "download"
    download.mkdir()
    (download / "nested.zip").write_bytes(nested_zip(1100, {f"{A}_aa0009.ipynb": FULL}))
    bomb_zip(download / "bomb.zip", {f"{A}_aa0008.ipynb": 300})
    (download / f"{A}_\u212aa1234.ipynb").write_bytes(FULL)
    (download / f"doejane_12345_111_{A}_aa0002.ipynb").write_bytes(FULL)
    zipped(download / "roesam_67890_222_lab.zip", {f"{A}_aa0002.ipynb": BLANK})
    for k in (1, 3, 4):
        (download / f"{A}_aa000{k}.ipynb").write_bytes(FULL)
    done = collect(root=course, assignment=A, paths=[download])
    assert sorted(c.student for c in done.collected) == ["aa0001", "aa0003", "aa0004"]
    assert sorted((label, reason) for label, (reason, _) in refusals(done).items()) == sorted([
        ("nested.zip:n.zip:n.zip:n.zip", "nested too deep"), (f"bomb.zip:{A}_aa0008.ipynb", "too large"),
        (f"{A}_\u212aa1234.ipynb", "bad student id"),
        (f"doejane_12345_111_{A}_aa0002.ipynb", "identity conflict"),
        (f"roesam_67890_222_lab.zip:{A}_aa0002.ipynb", "identity conflict")])
    log = list(csv.DictReader((course / "reports" / A / "collect.csv").open()))
    assert sorted(r["outcome"] for r in log) == ["collected"] * 3 + ["rejected"] * 5


# ---- through grade and report (slow) -----------------------------------------------------------------------------

@pytest.mark.slow  # a gradebook, then grade and report
def test_a_late_zip_is_penalized_in_the_report(tmp_path):
    """Does a notebook handed in late inside a zip lose the late penalty in grades.csv and canvas.csv (30% of 20:
    14), with the zip's LMS user, while the on-time student beside it keeps 20?"""
    course = make_course(tmp_path / "course")
    make_gradebook(course)
    download = tmp_path / "download"
    download.mkdir()
    (download / f"doejane_12345_111_{A}_aa0001.ipynb").write_bytes(FULL)
    zipped(download / "roesam_LATE_67890_222_lab.zip", {f"{A}_aa0002.ipynb": FULL})
    times = times_file(tmp_path / "times.csv", {f"doejane_12345_111_{A}_aa0001.ipynb": "2025-03-14 16:00",
                                                "roesam_LATE_67890_222_lab.zip": "2025-03-14 18:30"})
    cli(course, "collect", A, str(download), "--times", str(times), check=True)
    cli(course, "grade", A, "--no-progress", check=True)
    cli(course, "report", A, "--no-feedback", check=True)
    grades = {r["student"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    assert {s: (r["late_penalty"], r["total"], r["submitted_at"]) for s, r in grades.items()} == {
        "aa0001": ("0", "20", "2025-03-14 16:00:00 UTC"), "aa0002": ("6", "14", "2025-03-14 18:30:00 UTC")}
    canvas = list(csv.reader((course / "reports" / A / "canvas.csv").open()))[2:]
    assert sorted((line[0], line[1], line[5]) for line in canvas) == [("doejane", "12345", "20"),
                                                                     ("roesam", "67890", "14")]
