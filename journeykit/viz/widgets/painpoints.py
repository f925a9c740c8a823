"""The workshop's list of pain points and opportunities as an editable grid
(:func:`painpoint_editor`): the room names them here before scoring them.

Example:
    >>> editor = painpoint_editor(ws)                          # doctest: +SKIP
    >>> editor.add_row()                                       # doctest: +SKIP
    >>> editor.rows[0]["description"].value = "The queue at lunch"  # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from journeykit.core.errors import JourneykitError
from journeykit.viz.widgets.editor import Column, TableEditor, display_text, owner_options
from journeykit.viz.widgets.editor import next_id as _next_id
from journeykit.workspace import Workspace
from journeykit.workspace.schema import PAINPOINT_KINDS

__all__ = ["painpoint_editor"]

PAINPOINT_EDITOR_COLUMNS = ["id", "touchpoint", "kind", "description", "owner"]


def _touchpoint_options(ws: Workspace) -> list[tuple[str, str]]:
    """(label, id) of every touchpoint, labelled by its name where it has one."""
    touchpoints = ws.touchpoints
    if touchpoints is None or not len(touchpoints):
        return []
    names = touchpoints["name"] if "name" in touchpoints.columns else touchpoints["id"]
    options = []
    for key, name in zip(touchpoints["id"], names, strict=True):
        if display_text(key):
            label = display_text(name)
            options.append((f"{label} ({key})" if label and label != str(key) else str(key), str(key)))
    return options


def painpoint_editor(ws: Workspace) -> TableEditor:
    """The pain points and opportunities as an editable grid (add and edit rows).

    Each row names where it happens (a drop-down of the workspace's touchpoints), whether
    it is a ``pain`` or an ``opportunity``, what happens (in the customer's words if
    possible) and, optionally, the team that owns it (journey.yaml ``owners``). Scores
    (severity, frequency, effort) are not edited here: the room votes them
    (:class:`~journeykit.viz.widgets.workshop.VotingCard`) or the scorer of notebook 03
    sets them. Every change is saved to the ``painpoints`` table at once; a pain point
    needs a touchpoint, so "Add a row" says so in red until one exists.

    Example:
        >>> editor = painpoint_editor(ws)                      # doctest: +SKIP
        >>> editor.rows[0]["kind"].value = "opportunity"       # doctest: +SKIP
    """
    frame = ws.painpoints if ws.painpoints is not None else pd.DataFrame(columns=PAINPOINT_EDITOR_COLUMNS)
    touchpoints = _touchpoint_options(ws)
    columns = [
        Column("id", "label", width="90px"),
        Column("touchpoint", "choice", tuple(touchpoints), width="220px", header="where (touchpoint)"),
        Column("kind", "choice", PAINPOINT_KINDS, width="120px"),
        Column("description", "text", width="380px", header="what happens"),
        Column("owner", "choice", tuple(owner_options(ws)), width="130px"),
    ]

    def new_row(current: pd.DataFrame) -> dict:
        if not touchpoints:
            raise JourneykitError("a pain point happens at a touchpoint: add a touchpoint first "
                                  "(the Touchpoints tab, or the touchpoints sheet)")
        ids = current["id"].tolist() if "id" in current else []
        return {"id": _next_id(ids, "pp_"), "touchpoint": touchpoints[0][1], "kind": "pain",
                "description": "What goes wrong?", "owner": pd.NA}

    return TableEditor(ws, "painpoints", frame, columns, new_row=new_row,
                       title="Pain points and opportunities")
