"""Shared fixtures: the course root, the assignments present in source/, and where the data is."""
import os
import shutil
from pathlib import Path

import pytest

from autograder.course import assignments

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = assignments(ROOT)
REFERENCE = "toy_chain_backprop"  # the assignment the machinery's own tests use

if not os.environ.get("COURSE_DATA_DIR") and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["COURSE_DATA_DIR"] = str(ROOT.parent / "shared" / "data")
elif os.environ.get("COURSE_DATA_DIR"):  # notebooks run in their own folders: a relative path would not reach it
    os.environ["COURSE_DATA_DIR"] = os.path.abspath(os.environ["COURSE_DATA_DIR"])


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def reference_gradebook_file(tmp_path_factory) -> Path:
    """The gradebook of the reference assignment's course, made once."""
    from fixtures.coursefolder import make_course, make_gradebook

    return make_gradebook(make_course(tmp_path_factory.mktemp("reference-gradebook")))


@pytest.fixture
def gradebook(reference_gradebook_file, tmp_path) -> str:
    """The URL of a copy of the reference assignment's gradebook of its own (a test may write it)."""
    path = tmp_path / "cells.db"
    shutil.copy(reference_gradebook_file, path)
    return f"sqlite:///{path}"


def per_assignment(function):
    """Parametrize a test over every assignment in source/."""
    return pytest.mark.parametrize("assignment", ASSIGNMENTS)(function)

# Fixture notebooks are inputs of the tests, not notebooks for nbval to run.
collect_ignore_glob = ["fixtures/*", "fixtures/**/*"]

