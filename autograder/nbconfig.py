"""Load the course's nbgrader_config.py, optionally pointed at another course root and gradebook."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .database import database_url


def load_config(root: Path, *, course_root: Path | None = None, db_path: Path | None = None) -> Config:
    """The configuration in `root`/nbgrader_config.py; `course_root` and `db_path` override its folders."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    if course_root is not None:
        config.CourseDirectory.root = str(course_root)
    if db_path is not None:
        config.CourseDirectory.db_url = f"sqlite:///{db_path}"
    if isinstance(config.CourseDirectory.get("db_url"), str):  # postgresql:// -> the installed driver
        config.CourseDirectory.db_url = database_url(config.CourseDirectory.db_url)
    else:  # nbgrader's default, which the stages read from the configuration: the course folder's gradebook.db
        course = config.CourseDirectory.get("root")
        folder = Path(course if isinstance(course, str) else root).resolve()
        config.CourseDirectory.db_url = f"sqlite:///{folder / 'gradebook.db'}"
    if not isinstance(config.CourseDirectory.get("course_id"), str):
        config.CourseDirectory.course_id = ""  # nbgrader's default
    return config


def nbgrader_api(config: Config):
    """An NbGraderAPI on `config` (nbgrader is imported here, once, because the import is slow)."""
    ensure_tools_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def ensure_tools_on_path() -> None:
    """nbgrader runs `alembic` to create a gradebook: make this interpreter's scripts folder findable."""
    scripts = os.path.dirname(sys.executable)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
