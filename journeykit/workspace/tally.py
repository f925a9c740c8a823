"""``journeykit workshop collect``: the room's votes merged into the workspace.

:func:`collect_votes` reads every participant's votes (the workspace's ``votes/`` folder,
written by the workshop app, plus any files handed in: votes CSVs or copies of
painpoints.csv, touchpoints.csv or workspace.xlsx), merges them with the median
(:func:`journeykit.workspace.votes.merge_votes`) and writes the merged severity,
frequency and effort into ``painpoints`` and the merged emotion into ``touchpoints``.
The write is the widgets' save: a locked read-modify-write of only the fields that
change (:func:`~journeykit.workspace.saving.update_table` with
:func:`~journeykit.workspace.edits.merge_edits`), the previous file kept in the history,
each field journaled as changed by "workshop votes". A file handed in is copied into
``votes/`` (so the names stay in the workspace, and a second collect gives the same result).

Example:
    >>> result = collect_votes(load_workspace("our-shop"), ["ana.csv"])  # doctest: +SKIP
    >>> result.voters, result.changed                                    # doctest: +SKIP
    (4, 7)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from journeykit.core.cells import is_blank
from journeykit.core.errors import Problem
from journeykit.core.safety import atomic_write_bytes
from journeykit.workspace.edits import changed_fields, merge_edits, record_edits
from journeykit.workspace.model import Workspace
from journeykit.workspace.saving import update_table
from journeykit.workspace.votes import (
    PAINPOINT_FIELDS,
    VOTE_COLUMNS,
    VOTES_DIR,
    merge_votes,
    read_vote_file,
    read_votes,
    voter_slug,
)

__all__ = ["CollectResult", "collect_votes"]

#: who the edit journal says changed a field that collect wrote
COLLECTOR = "workshop votes"


@dataclass
class CollectResult:
    """What :func:`collect_votes` did: ``merged`` (one row per item: votes, medians,
    spreads; no names), ``voters`` (how many people), ``changed`` (fields written),
    ``problems`` (bad scores set aside, items the workspace does not have)."""

    merged: pd.DataFrame
    voters: int
    changed: int
    problems: list[Problem] = field(default_factory=list)


def _keep_copies(ws: Workspace, files: Sequence[str | os.PathLike], problems: list[Problem]) -> None:
    """Copy each handed-in file into ``votes/<voter>.csv`` (in the votes format)."""
    folder = ws.path / VOTES_DIR
    for path in files:
        votes = read_vote_file(path, problems)
        for voter, group in votes.groupby("voter", sort=True):
            target = folder / f"{voter_slug(str(voter))}.csv"
            if target.resolve() == Path(path).resolve():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            data = group[VOTE_COLUMNS].to_csv(index=False, lineterminator="\r\n")
            atomic_write_bytes(target, data.encode("utf-8"))


def _apply(ws: Workspace, table: str, merged: pd.DataFrame, fields: Sequence[str]) -> int:
    """Write the merged ``fields`` into ``table`` (only the ones that change); the count."""
    written: list[tuple[str, str]] = []
    by_item = merged.set_index("item")

    def change(current: pd.DataFrame) -> pd.DataFrame:
        base = current.copy()
        edited = current.copy()
        for name in fields:
            if name not in edited.columns:
                edited[name] = pd.Series(pd.NA, index=edited.index, dtype="Int64")
            else:
                edited[name] = edited[name].astype("object")
        for position, key in enumerate(edited["id"].astype("string")):
            if is_blank(key) or key not in by_item.index:
                continue
            for name in fields:
                value = by_item.at[key, name]
                if not is_blank(value):
                    edited.at[position, name] = int(value)
        for name in fields:
            edited[name] = pd.array([None if is_blank(v) else int(v) for v in edited[name]], dtype="Int64")
        written[:] = changed_fields(base, edited)
        return merge_edits(current, base, edited) if written else current

    update_table(ws, table, change)
    record_edits(ws.path, table, written, by=COLLECTOR)
    return len(written)


def collect_votes(ws: Workspace, files: Sequence[str | os.PathLike] = ()) -> CollectResult:
    """Merge every participant's votes into ``ws`` (see the module docstring).

    Items that are neither a pain point nor a touchpoint of the workspace are reported
    as warnings (with the number of votes), never dropped silently."""
    problems: list[Problem] = []
    _keep_copies(ws, files, problems)
    votes = read_votes(ws.path, problems=problems)
    merged = merge_votes(votes)
    painpoints = ws.tables.get("painpoints")
    touchpoints = ws.tables.get("touchpoints")
    pp_ids = set() if painpoints is None else set(painpoints["id"].dropna().astype(str))
    tp_ids = set() if touchpoints is None else set(touchpoints["id"].dropna().astype(str))
    for row in merged.itertuples():
        if row.item not in pp_ids and row.item not in tp_ids:
            problems.append(Problem(f"{VOTES_DIR}/", "a pain point id (painpoints) or a touchpoint id "
                                    "(touchpoints) of this workspace", column="item", value=row.item,
                                    severity="warning"))
    changed = 0
    if pp_ids:
        changed += _apply(ws, "painpoints", merged[merged["item"].isin(pp_ids)], PAINPOINT_FIELDS)
    if tp_ids:
        changed += _apply(ws, "touchpoints", merged[merged["item"].isin(tp_ids)], ("emotion",))
    return CollectResult(merged, int(votes["voter"].nunique()), changed, problems)
