"""nbgrader preprocessors the course adds to nbgrader's own pipelines (see nbgrader_config.py)."""
from .addcolabbadge import AddColabBadge
from .fillhandincell import FillHandInCell
from .hidetestoutput import HideHiddenTestOutput
from .opengradebook import SessionAssignLatePenalties, SessionSaveAutoGrades
from .overwritecells import OverwriteCells
from .overwritekernelspec import OverwriteKernelspec
from .sandboxedexecute import SandboxedExecute
from .sanitizehtml import SanitizeHTML

__all__ = ["AddColabBadge", "FillHandInCell", "HideHiddenTestOutput", "OverwriteCells", "OverwriteKernelspec",
           "SandboxedExecute", "SanitizeHTML", "SessionAssignLatePenalties", "SessionSaveAutoGrades"]
