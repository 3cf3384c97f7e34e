"""Does the one data loader find local copies, use its cache, download and verify, and fail clearly?"""
import hashlib
import importlib
import os
import shutil
from pathlib import Path

import pytest

import autograder.course_data as course_data

WINE = "wine/winequality-red.csv"
# read when the tests are collected, before the `loader` fixture takes COURSE_DATA_DIR away (conftest.py sets it to
# ../shared/data when that exists)
LOCAL_DATA = Path(os.environ["COURSE_DATA_DIR"]) if os.environ.get("COURSE_DATA_DIR") else None


@pytest.fixture
def loader(monkeypatch, tmp_path):
    """The loader with an empty cache and no local folder."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    return importlib.reload(course_data)


def local_data() -> Path:
    """The verified data folder COURSE_DATA_DIR named when the tests started."""
    if LOCAL_DATA is None or not (LOCAL_DATA / WINE).is_file():
        pytest.fail(f"no local course data at {LOCAL_DATA}: set COURSE_DATA_DIR")
    return LOCAL_DATA


def test_published_checksums_match_the_shared_data():
    """Are the sha256 sums in the loader those of the verified data files?"""
    folder = local_data()
    for name, (sha256, _) in course_data.COURSE_DATA_FILES.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha256, name


def test_local_copy_is_used(loader, monkeypatch):
    """With COURSE_DATA_DIR set, does the loader read the local copy and parse it right?"""
    monkeypatch.setenv("COURSE_DATA_DIR", str(local_data()))
    data, columns = loader.load_wine_red()
    assert data.shape == (1599, 12) and columns[-1] == "quality"
    assert (data[:, -1] >= 6).mean() == 0.5347091932457786
    X_train, y_train, X_test, y_test = loader.load_mnist()
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert list(y_train[:5]) == [5, 0, 4, 1, 9] and list(y_test[:5]) == [7, 2, 1, 0, 4]


def test_download_is_verified_and_cached(loader, monkeypatch):
    """Without a local copy, does it download into the cache, then reuse the cache?"""
    source = local_data() / WINE
    sha256, _ = loader.COURSE_DATA_FILES[WINE]
    monkeypatch.setitem(loader.COURSE_DATA_FILES, WINE, (sha256, [source.as_uri()]))
    path = loader.course_file(WINE)
    assert Path(path).read_bytes() == source.read_bytes()
    monkeypatch.setitem(loader.COURSE_DATA_FILES, WINE, (sha256, ["http://127.0.0.1:9/unreachable.csv"]))
    assert loader.course_file(WINE) == path


def test_download_with_wrong_checksum_is_refused(loader, monkeypatch, tmp_path):
    """Does a download whose sha256 differs fail, leaving nothing in the cache?"""
    bad = tmp_path / "bad.csv"
    bad.write_text("not the wine data\n")
    monkeypatch.setitem(loader.COURSE_DATA_FILES, WINE, (loader.COURSE_DATA_FILES[WINE][0], [bad.as_uri()]))
    with pytest.raises(FileNotFoundError, match="wrong sha256"):
        loader.course_file(WINE)
    assert not (Path(loader.course_cache_dir()) / WINE).exists()


def test_offline_without_a_copy_says_what_to_do(loader, monkeypatch):
    """Offline with no copy, is the error clear about COURSE_DATA_DIR?"""
    sha256, _ = loader.COURSE_DATA_FILES[WINE]
    monkeypatch.setitem(loader.COURSE_DATA_FILES, WINE, (sha256, ["http://127.0.0.1:9/winequality-red.csv"]))
    with pytest.raises(FileNotFoundError, match="COURSE_DATA_DIR"):
        loader.course_file(WINE)


def test_damaged_local_copy_is_named(loader, monkeypatch, tmp_path):
    """Is a local copy with the wrong sha256 reported with its path, not used?"""
    (tmp_path / "wine").mkdir()
    shutil.copy(local_data() / WINE, tmp_path / WINE)
    with open(tmp_path / WINE, "a") as f:
        f.write("1;2;3\n")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="winequality-red.csv: sha256 does not match"):
        loader.course_file(WINE)
