"""The touchpoint inventory as an editable grid (:func:`touchpoint_editor`).

Example:
    >>> editor = touchpoint_editor(ws)                         # doctest: +SKIP
    >>> editor.rows[0]["owner"].value = "Support"              # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from journeykit.viz.widgets.editor import BLANK, Column, TableEditor, owner_options
from journeykit.viz.widgets.editor import next_id as _next_id
from journeykit.workspace import Workspace

EMOTION_LABELS = {
    -2: "-2 very unhappy",
    -1: "-1 unhappy",
    0: "0 neutral",
    1: "+1 happy",
    2: "+2 delighted",
}


def _stage_options(ws: Workspace) -> list[tuple[str, str]]:
    return [(f"{s.name} ({s.id})" if s.name != s.id else s.id, s.id) for s in ws.config.stages]


def _persona_ids(ws: Workspace) -> list[str]:
    personas = ws.personas
    if personas is None:
        return []
    return [str(x) for x in personas["id"].dropna()]


TOUCHPOINT_COLUMNS = ["id", "stage", "channel", "name", "owner", "online", "personas",
                      "description", "emotion"]


def touchpoint_editor(ws: Workspace) -> TableEditor:
    """The touchpoint inventory as an editable grid (add and edit rows).

    Stage, channel and owner are drop-downs from journey.yaml (``stages``, ``channels``,
    ``owners``); personas is a tag list limited to the workspace's persona ids (blank
    means every persona); emotion is the workshop's -2..+2 feeling at that touchpoint.
    Ids of existing rows are read only (pain points refer to them). Every change is
    saved to the ``touchpoints`` table at once.

    Example:
        >>> editor = touchpoint_editor(ws)                         # doctest: +SKIP
        >>> editor.rows[0]["channel"].value = "store"  # doctest: +SKIP
        >>> editor.add_row()  # doctest: +SKIP
    """
    frame = ws.touchpoints if ws.touchpoints is not None else pd.DataFrame(columns=TOUCHPOINT_COLUMNS)
    channels = list(ws.config.channels)
    stages = _stage_options(ws)
    columns = [
        Column("id", "label", width="110px"),
        Column("stage", "choice", tuple(stages), width="170px"),
        Column("channel", "choice", tuple(channels), width="110px"),
        Column("name", "text", width="200px"),
        Column("owner", "choice", tuple(owner_options(ws)), width="130px"),
        Column("online", "bool", width="60px"),
        Column("personas", "tags", tuple(_persona_ids(ws)), width="180px",
               header="personas (blank = all)"),
        Column("emotion", "choice",
               ((BLANK, None), *[(label, k) for k, label in EMOTION_LABELS.items()]),
               width="140px"),
    ]

    def new_row(current: pd.DataFrame) -> dict:
        ids = current["id"].tolist() if "id" in current else []
        return {
            "id": _next_id(ids, "tp_"),
            "stage": stages[0][1] if stages else pd.NA,
            "channel": channels[0] if channels else pd.NA,
            "name": "New touchpoint",
            "owner": pd.NA,
            "online": True,
            "personas": pd.NA,
            "description": pd.NA,
            "emotion": pd.NA,
        }

    return TableEditor(ws, "touchpoints", frame, columns, new_row=new_row,
                       title="Touchpoint inventory")
