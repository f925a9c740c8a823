"""Editing widgets for the notebooks (ipywidgets 8): personas, touchpoints, pain points and their scoring, filters.

Every edit is written to the workspace at once through
:func:`journeykit.workspace.saving.update_table` (a locked read-modify-write, atomic,
keeping the previous version) that applies only the edited rows and fields to the
file's current content, so a kernel restart loses nothing, two people editing the same
table keep each other's changes, and a headless run uses the saved values. A failed save never raises inside the browser callback: the editor's
status line turns red and says why, and the file on disk is left as it was.

Each function returns the widget; the notebook displays it. The widgets also work
headless (in tests, under papermill): set a field's ``value`` and the save happens.

Example:
    >>> import journeykit as jk                                   # doctest: +SKIP
    >>> ws = jk.load_workspace("../data/sample")                  # doctest: +SKIP
    >>> editor = jk.touchpoint_editor(ws)                         # doctest: +SKIP
    >>> editor.rows[0]["owner"].value = "Support"  # doctest: +SKIP
"""

from journeykit.viz.widgets.editor import Column, TableEditor
from journeykit.viz.widgets.filters import FilterBar, filter_bar
from journeykit.viz.widgets.painpoints import painpoint_editor
from journeykit.viz.widgets.personas import PersonaEditor, persona_editor
from journeykit.viz.widgets.scorer import painpoint_scorer
from journeykit.viz.widgets.touchpoints import touchpoint_editor

__all__ = [
    "Column",
    "PersonaEditor",
    "TableEditor",
    "FilterBar",
    "persona_editor",
    "touchpoint_editor",
    "painpoint_editor",
    "painpoint_scorer",
    "filter_bar",
]
