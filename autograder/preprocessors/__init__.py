"""nbgrader preprocessors the course adds to nbgrader's own pipelines (see nbgrader_config.py)."""
from .addcolabbadge import AddColabBadge
from .hidetestoutput import HideHiddenTestOutput
from .sandboxedexecute import SandboxedExecute
from .sanitizehtml import SanitizeHTML

__all__ = ["AddColabBadge", "HideHiddenTestOutput", "SandboxedExecute", "SanitizeHTML"]
