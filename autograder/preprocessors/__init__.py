"""nbgrader preprocessors the course adds to nbgrader's own pipelines (see nbgrader_config.py)."""
from .addcolabbadge import AddColabBadge

__all__ = ["AddColabBadge"]
