"""Scoring the pain points with the team (:func:`painpoint_scorer`).

Example:
    >>> grid = painpoint_scorer(ws, jk.score_pain_points(ws))  # doctest: +SKIP
    >>> grid.rows[0]["effort"].value = 1                       # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from journeykit.core.cells import is_blank as _blank
from journeykit.core.errors import JourneykitError
from journeykit.viz.widgets.editor import BLANK, Column, TableEditor, owner_options
from journeykit.viz.widgets.editor import display_text as _text
from journeykit.workspace import Workspace
from journeykit.workspace.schema import PAINPOINT_STATUSES

PAINPOINT_COLUMNS = ["id", "touchpoint", "kind", "description", "severity", "frequency",
                     "effort", "owner", "status"]


#: the columns of ``score_pain_points`` the scorer shows and copies
SCORED_COLUMNS = ("id", "kind", "title", "description", "touchpoint", "priority", "quadrant")


def painpoint_scorer(ws: Workspace, scored: pd.DataFrame, *, top: int | None = 25) -> TableEditor:
    """Score pain points with the team: effort, owner, status and a severity override.

    ``scored`` is :func:`journeykit.score_pain_points` output (one row per pain point or
    opportunity, highest priority first). The grid shows the ``top`` rows; editing a
    row writes the workspace's ``painpoints`` table at once. A discovered pain point
    that is not in the table yet is added to it (id, touchpoint, kind, description)
    on its first edit, so the next scoring and every headless run use the team's
    values. ``effort`` and ``severity`` are 1-5; "(blank)" means "let the kit decide"
    (effort counts as medium, severity comes from the data).

    Example:
        >>> grid = painpoint_scorer(ws, jk.score_pain_points(ws))  # doctest: +SKIP
        >>> grid.rows[0]["effort"].value = 1  # doctest: +SKIP
    """
    missing = [c for c in SCORED_COLUMNS if c not in scored.columns]
    if missing:
        raise JourneykitError("painpoint_scorer needs the table from score_pain_points(ws); "
                              f"this one lacks {', '.join(missing)}")
    shown = scored if top is None else scored.head(top)
    shown = shown.reset_index(drop=True)
    existing = ws.painpoints if ws.painpoints is not None else pd.DataFrame(columns=PAINPOINT_COLUMNS)
    existing = existing.reset_index(drop=True)
    saved = existing.set_index(existing["id"].astype(str)) if len(existing) else None

    def saved_value(pid: str, name: str) -> object:
        if saved is None or pid not in saved.index or name not in saved.columns:
            return pd.NA
        return saved.at[pid, name]

    grid = pd.DataFrame({
        "id": shown["id"].astype(str),
        "rank": pd.Series(range(1, len(shown) + 1)),
        "what": [_text(t) or _text(d) for t, d in zip(shown["title"], shown["description"],
                                                      strict=True)],
        "where": shown["touchpoint"],
        "priority": pd.to_numeric(shown["priority"], errors="coerce").round(2),
        "quadrant": shown["quadrant"],
    })
    for name in ("effort", "owner", "status", "severity"):
        grid[name] = [saved_value(pid, name) for pid in grid["id"]]
    grid["status"] = [s if not _blank(s) else "open" for s in grid["status"]]
    grid["what"] = [_shorten(_text(x), 70) for x in grid["what"]]
    grid = grid.astype("object")

    scale = ((BLANK, None), *[(str(i), i) for i in range(1, 6)])
    columns = [
        Column("rank", "label", width="45px", header="#"),
        Column("what", "label", width="330px", header="pain point / opportunity"),
        Column("where", "label", width="120px", header="touchpoint"),
        Column("priority", "label", width="70px"),
        Column("quadrant", "label", width="110px"),
        Column("effort", "choice", scale, width="90px", header="effort 1-5"),
        Column("owner", "choice", tuple(owner_options(ws)), width="130px"),
        Column("status", "choice", PAINPOINT_STATUSES, width="110px"),
        Column("severity", "choice", scale, width="100px", header="severity 1-5"),
    ]
    originals = shown.set_index(shown["id"].astype(str))

    def to_table(current: pd.DataFrame) -> pd.DataFrame:
        """Merge the grid's edits into the painpoints table (adding discovered rows)."""
        table = existing.copy()
        for name in PAINPOINT_COLUMNS:
            if name not in table.columns:
                table[name] = pd.Series(pd.NA, index=table.index, dtype="object")
        table = table.astype({c: "object" for c in ("effort", "severity", "owner", "status")})
        positions = {str(pid): i for i, pid in enumerate(table["id"])}
        for _, row in current.iterrows():
            pid = row["id"]
            edited = {name: row[name] for name in ("effort", "owner", "status", "severity")}
            if pid in positions:
                for name, value in edited.items():
                    table.at[positions[pid], name] = value
                continue
            if all(_blank(edited[n]) for n in ("effort", "owner", "severity")) \
                    and edited["status"] == "open":
                continue  # a discovered pain point nobody has touched stays discovered
            source = originals.loc[pid]
            new = {name: pd.NA for name in PAINPOINT_COLUMNS}  # scores stay the kit's, not copied
            new.update(id=pid, touchpoint=source["touchpoint"],
                       kind=_text(source["kind"]) or "pain",
                       description=_text(source["description"]) or _text(source["title"]) or pid,
                       **edited)
            table = pd.concat([table, pd.DataFrame([new]).astype("object")], ignore_index=True)
            positions[pid] = len(table) - 1
        for name in ("effort", "severity"):
            table[name] = pd.array(table[name].tolist(), dtype="Int64")
        return table[[c for c in table.columns]]

    return TableEditor(ws, "painpoints", grid, columns, key="id", on_save=to_table,
                       title="Score the pain points (saved at once)")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
