"""Applying a widget's edits to a table as its file holds it now, and the conflicts that
must never be resolved silently.

A widget knows three versions of a table: ``base`` (as it loaded or last saved it),
``edited`` (what its user has now) and ``current`` (the file's content at save time, read
under the save lock). :func:`merge_edits` applies only the rows and fields that differ
between ``base`` and ``edited`` to ``current``, so what others saved meanwhile stays. When
someone else changed the **same field** since the widget loaded it (``current`` differs
from ``base`` there, and from ``edited``), that is a conflict: :func:`merge_edits` raises
:class:`EditConflictError` listing each one (both values, and who changed it when, from the
workspace's edit journal) and writes nothing, unless the user chose to keep theirs for it
(``keep_mine``).

The edit journal (``.journeykit/edits.jsonl``) records each saved field: table, row key,
column, time (UTC) and who (``JOURNEYKIT_USER``, else the login name).

Example:
    >>> base = pd.DataFrame({"id": ["a"], "owner": ["Sales"]})
    >>> now = pd.DataFrame({"id": ["a"], "owner": ["Operations"]})   # saved by someone else
    >>> mine = pd.DataFrame({"id": ["a"], "owner": ["Marketing"]})
    >>> try:
    ...     merge_edits(now, base, mine)
    ... except EditConflictError as error:
    ...     print(error.conflicts[0].theirs, "/", error.conflicts[0].mine)
    Operations / Marketing
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from journeykit.core.cells import is_blank
from journeykit.core.errors import JourneykitError
from journeykit.core.safety import append_jsonl, read_jsonl

EDIT_JOURNAL = ".journeykit/edits.jsonl"

__all__ = ["Conflict", "EditConflictError", "changed_fields", "last_edit", "merge_edits", "record_edits",
           "set_cell", "take_theirs", "who_edits"]


@dataclass(frozen=True)
class Conflict:
    """One field two people changed: ``loaded`` is what this widget started from,
    ``theirs`` what the file holds now, ``mine`` what this widget's user typed; ``by`` and
    ``at`` say who saved ``theirs`` and when, when the edit journal knows."""

    key: str
    column: str
    loaded: object
    theirs: object
    mine: object
    by: str | None = None
    at: str | None = None

    def describe(self) -> str:
        def show(value: object) -> str:
            return "(blank)" if is_blank(value) else repr(str(value))
        who = f" by {self.by}" if self.by else ""
        when = f" at {self.at}" if self.at else ""
        return (f"{self.key}.{self.column}: you typed {show(self.mine)}; it was changed to {show(self.theirs)}"
                f"{who}{when} since you opened it (was {show(self.loaded)})")


class EditConflictError(JourneykitError):
    """Someone else changed fields this save would change too; nothing was written."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        super().__init__("changed by someone else meanwhile - " + "; ".join(c.describe() for c in conflicts))


def same_value(a: object, b: object) -> bool:
    """Two cells hold the same value: both blank, or equal as Python values (so an edit
    of a text is never taken for "unchanged"; 3 and 3.0 are the same score)."""
    a_blank, b_blank = is_blank(a), is_blank(b)
    if a_blank or b_blank:
        return a_blank and b_blank
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def set_cell(frame: pd.DataFrame, row: object, column: str, value: object) -> pd.DataFrame:
    """Set ``frame.at[row, column]`` in place (the column becomes ``object`` when its dtype
    cannot hold ``value``); returns ``frame``."""
    try:
        frame.at[row, column] = value
    except (TypeError, ValueError):
        frame[column] = frame[column].astype("object")
        frame.at[row, column] = value
    return frame


def _records(frame: pd.DataFrame | None, key: str) -> dict[str, dict]:
    if frame is None or key not in frame.columns:
        return {}
    return {str(record[key]): record for record in frame.to_dict("records") if not is_blank(record[key])}


def changed_fields(base: pd.DataFrame | None, edited: pd.DataFrame, *, key: str = "id") -> list[tuple[str, str]]:
    """``(row key, column)`` of every field ``edited`` changed from ``base`` (a new row's
    fields included)."""
    before_rows = _records(base, key)
    out = []
    for pid, record in _records(edited, key).items():
        before = before_rows.get(pid)
        out += [(pid, c) for c, v in record.items() if before is None or c not in before or not same_value(before[c], v)]
    return out


def merge_edits(current: pd.DataFrame, base: pd.DataFrame | None, edited: pd.DataFrame, *,
                key: str = "id", keep_mine: Collection[tuple[str, str]] = (),
                journal: Path | None = None, table: str | None = None) -> pd.DataFrame:
    """``current`` (the file's content now) with the edits that turned ``base`` into
    ``edited`` applied, row by row through ``key``: a field changed in ``edited`` is set
    in ``current``; a row only in ``edited`` is added (or, when ``current`` has it
    already, its changed fields are set); a row only in ``base`` is removed. Rows and
    fields nobody edited are ``current``'s, so what others saved meanwhile stays.
    ``base`` None: every row of ``edited`` is an edit.

    A field changed here that someone else changed too since ``base`` (to another value)
    raises :class:`EditConflictError` and nothing is merged, unless its ``(key, column)`` is
    in ``keep_mine``. ``journal``: the workspace folder whose edit journal names who changed
    a conflicting field (of ``table``)."""
    out = current.reset_index(drop=True).copy()
    for column in edited.columns:
        if column not in out.columns:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="object")
    if key not in edited.columns:
        raise JourneykitError(f"cannot merge edits without the key column {key!r}")
    base_rows = _records(base, key)
    current_rows = _records(out, key)
    edited_keys = set()
    positions = {str(value): i for i, value in enumerate(out[key]) if not is_blank(value)}
    conflicts: list[Conflict] = []
    for record in edited.to_dict("records"):
        if is_blank(record[key]):
            continue
        pid = str(record[key])
        edited_keys.add(pid)
        before = base_rows.get(pid)
        changed = {c: v for c, v in record.items()
                   if before is None or c not in before or not same_value(before[c], v)}
        if pid in positions:
            now = current_rows[pid]
            for column, value in changed.items():
                loaded = before.get(column) if before is not None else pd.NA
                theirs = now.get(column, pd.NA)
                if (before is not None and column in before and not same_value(theirs, loaded)
                        and not same_value(theirs, value) and (pid, column) not in keep_mine):
                    by, at = last_edit(journal, pid, column, table) if journal is not None else (None, None)
                    conflicts.append(Conflict(pid, column, loaded, theirs, value, by, at))
                    continue
                out = set_cell(out, positions[pid], column, value)
        elif before is None:  # a new row
            row = len(out)
            out = pd.concat([out, pd.DataFrame([record]).astype("object")], ignore_index=True)
            positions[pid] = row
        # else: edited a row someone else removed meanwhile: their removal stands
    if conflicts:
        raise EditConflictError(conflicts)
    removed = [positions[pid] for pid in base_rows if pid not in edited_keys and pid in positions]
    if removed:
        out = out.drop(index=removed).reset_index(drop=True)
    return out


def take_theirs(frame: pd.DataFrame, conflicts: Iterable[Conflict], *, key: str = "id") -> pd.DataFrame:
    """``frame`` (changed in place, and returned) with each conflict's field set to the other
    change (``theirs``): what a widget does when its user takes the other change."""
    if key not in frame.columns:
        return frame
    keys = frame[key].astype(str)
    for conflict in conflicts:
        if conflict.column in frame.columns:
            for row in frame.index[keys == conflict.key]:
                set_cell(frame, row, conflict.column, conflict.theirs)
    return frame


def who_edits() -> str:
    """The name an edit is recorded under: ``JOURNEYKIT_USER``, else the login name."""
    name = os.environ.get("JOURNEYKIT_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "someone"


def record_edits(folder: Path, table: str, fields: Iterable[tuple[str, str]], by: str | None = None) -> None:
    """Append the saved fields to the workspace's edit journal (the caller holds the save lock)."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    append_jsonl(folder / EDIT_JOURNAL, [{"table": table, "key": pid, "column": column, "at": stamp,
                                          "by": by or who_edits()} for pid, column in fields])


def last_edit(folder: Path | None, key: str, column: str, table: str | None = None) -> tuple[str | None, str | None]:
    """Who last saved ``key``.``column`` and when (local time, HH:MM), from the edit journal;
    ``(None, None)`` when it does not say."""
    if folder is None:
        return None, None
    found = None
    for entry in read_jsonl(folder / EDIT_JOURNAL):
        if entry.get("key") == key and entry.get("column") == column and table in (None, entry.get("table")):
            found = entry
    if found is None:
        return None, None
    try:
        at = datetime.fromisoformat(found["at"]).astimezone().strftime("%H:%M")
    except (KeyError, ValueError):
        at = None
    return found.get("by"), at
