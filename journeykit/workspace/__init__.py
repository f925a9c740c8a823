"""The workspace layer: one business's journey as plain files, read, validated and saved.

Imports only :mod:`journeykit.core`.
"""

from journeykit.workspace.loader import load_workspace, validate_workspace
from journeykit.workspace.model import Workspace
from journeykit.workspace.saving import save_table

__all__ = ["Workspace", "load_workspace", "save_table", "validate_workspace"]
