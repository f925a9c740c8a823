"""The workspace layer: one business's journey as plain files, read, validated and saved.

Imports only :mod:`journeykit.core`.
"""

from journeykit.workspace.loader import Workspace, load_workspace, save_table, validate_workspace

__all__ = ["Workspace", "load_workspace", "save_table", "validate_workspace"]
