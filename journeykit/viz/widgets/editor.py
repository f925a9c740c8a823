"""The grid editor every table widget is built on, and the one way a widget saves.

* :class:`Column` — how one column is edited (label, text, choice, bool, tags);
* :class:`TableEditor` — one line of widgets per row of a workspace table; every
  change is saved at once;
* :func:`save_and_report` — the save of every widget: a locked read-modify-write
  (:func:`journeykit.workspace.saving.update_table` with
  :func:`~journeykit.workspace.saving.merge_edits`) that applies only the rows and fields
  the widget edited to the file's current content, so what someone else saved meanwhile
  stays; its success or failure is written in the widget's status line (red, with the
  reason), never raised inside a browser callback.

Example:
    >>> grid = TableEditor(ws, "touchpoints", ws.touchpoints,       # doctest: +SKIP
    ...                    [Column("id", "label"), Column("name", "text")])
    >>> grid.rows[0]["name"].value = "Shop counter"                 # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd

from journeykit.core.cells import is_blank, join_list
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.edits import (
    Conflict,
    EditConflictError,
    changed_fields,
    merge_edits,
    record_edits,
    set_cell,
    take_theirs,
)
from journeykit.workspace.saving import update_table

BLANK = "(blank)"


# --------------------------------------------------------------------------- saving


def _save(ws: Workspace, table: str, frame: pd.DataFrame, base: pd.DataFrame | None, key: str,
          keep_mine: Collection[tuple[str, str]] = ()) -> None:
    """Apply the edits that turned ``base`` into ``frame`` to the workspace's ``table`` as
    its file holds it now (locked read-modify-write, atomic, previous version kept), and
    record them in the edit journal; raises EditConflictError for fields someone else
    changed meanwhile (nothing written)."""
    update_table(ws, table, lambda current: merge_edits(current, base, frame, key=key, keep_mine=keep_mine,
                                                        journal=ws.path, table=table))
    record_edits(ws.path, table, changed_fields(base, frame, key=key))


class ConflictPanel(widgets.VBox):
    """Where a widget shows the fields someone else changed since it loaded them: each
    with both values, and two buttons: keep what I typed, or take theirs. Empty (and
    invisible) while there is no conflict; ``pending`` lists the unresolved ones."""

    def __init__(self, keep_mine: Callable[[list[Conflict]], None],
                 take_theirs: Callable[[list[Conflict]], None]):
        super().__init__()
        self.pending: list[Conflict] = []
        self._keep_mine = keep_mine
        self._take_theirs = take_theirs
        self.keep_button = widgets.Button(description="Keep mine", icon="check",
                                          tooltip="save what you typed over the other change")
        self.take_button = widgets.Button(description="Take theirs", icon="undo",
                                          tooltip="show and keep the other change")
        self.keep_button.on_click(lambda _b: self._resolve(self._keep_mine))
        self.take_button.on_click(lambda _b: self._resolve(self._take_theirs))
        self.message = widgets.HTML("")
        self.clear()

    def show(self, conflicts: list[Conflict]) -> None:
        self.pending = list(conflicts)
        items = "".join(f"<li>{html.escape(c.describe())}</li>" for c in conflicts)
        self.message.value = (f'<div style="color:#b2182b"><b>Someone else changed this too.</b> '
                              f"Choose which to keep:<ul>{items}</ul></div>")
        shown: tuple[widgets.Widget, ...] = (self.message, widgets.HBox([self.keep_button, self.take_button]))
        self.children = shown

    def clear(self) -> None:
        self.pending = []
        self.message.value = ""
        empty: tuple[widgets.Widget, ...] = ()
        self.children = empty

    def _resolve(self, action: Callable[[list[Conflict]], None]) -> None:
        conflicts, self.pending = self.pending, []
        self.clear()
        action(conflicts)


def clock() -> str:
    """The time now as HH:MM:SS, for the status line."""
    return dt.datetime.now().strftime("%H:%M:%S")


def status_html(text: str, ok: bool) -> str:
    """``text`` as a status line: green when ``ok``, red when not."""
    colour = "#1b7837" if ok else "#b2182b"  # green / red, both readable for colour-blind users
    return f'<span style="color:{colour}">{html.escape(text)}</span>'


def display_text(value: object) -> str:
    """A cell as widget text: "" when blank, else ``str(value)`` (not stripped)."""
    return "" if is_blank(value) else str(value)


def _options_with(options: Sequence[Any], current: object) -> list[Any]:
    """Drop-down options that also contain the current value (data may hold values not in
    journey.yaml); when some are ``(label, value)`` pairs, all become pairs: ipywidgets
    reads a list mixing pairs and plain values as plain values, so ``("(blank)", None)``
    would become one value.

    >>> _options_with([("(blank)", None), "Sales"], "Ops")
    [('(blank)', None), ('Sales', 'Sales'), ('Ops', 'Ops')]
    """
    out = list(dict.fromkeys(options))
    pairs = any(isinstance(o, tuple) and len(o) == 2 for o in out)
    if pairs:
        out = [o if isinstance(o, tuple) and len(o) == 2 else (str(o), o) for o in out]
    values = [o[1] if pairs else o for o in out]
    if not is_blank(current) and current not in values:
        out.append((str(current), current) if pairs else current)
    return out


def _blank_index(options: Sequence[Any]) -> int | None:
    """The position of the "(blank)" option (value None), or None when there is none."""
    return next((i for i, o in enumerate(options) if isinstance(o, tuple) and o[1] is None), None)


def _choose(widget: widgets.Dropdown, current: object) -> None:
    """Show ``current`` in a drop-down; a blank shows the "(blank)" option when there is one
    (ipywidgets shows ``value=None`` as an empty box, not as the option whose value is None)."""
    if current is None:
        widget.index = _blank_index(widget.options)
    else:
        widget.value = current


def known_tags(tags: Sequence[str], allowed: Sequence[str]) -> tuple[list[str], list[str]]:
    """``tags`` as the allowed spelling (matched without case and surrounding spaces),
    and the tags that are not allowed; an empty ``allowed`` allows everything.

    >>> known_tags(["Web", " store", "fax"], ["web", "store"])
    (['web', 'store'], ['fax'])
    """
    if not allowed:
        return [t.strip() for t in tags if t.strip()], []
    spelling = {str(a).strip().lower(): str(a) for a in allowed}
    known, unknown = [], []
    for tag in tags:
        found = spelling.get(tag.strip().lower())
        if found is None:
            unknown.append(tag)
        elif found not in known:
            known.append(found)
    return known, unknown


def tags_input(value: Sequence[str], allowed: Sequence[str], **kwargs: Any) -> widgets.TagsInput:
    """A tag box that adds what is typed on Enter: ipywidgets' ``allowed_tags`` silently
    drops a tag not spelt exactly as allowed ("Web" for "web"), so the box takes any
    text and the editor maps it with :func:`known_tags` (refusing the rest in its status
    line); the allowed values are suggested in the placeholder."""
    hint = ", ".join(str(a) for a in allowed[:6]) + (", ..." if len(allowed) > 6 else "")
    return widgets.TagsInput(value=list(value), allow_duplicates=False,
                             placeholder=f"type {hint} and press Enter" if allowed else "type and press Enter",
                             **kwargs)


def next_id(existing: Sequence[object], prefix: str) -> str:
    """A new id ``prefix<n>`` not among ``existing`` (n starts after their count).

    >>> next_id(["tp_1", "tp_3"], "tp_")
    'tp_4'
    """
    taken = {str(x) for x in existing if not is_blank(x)}
    number = len(taken) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def save_and_report(ws: Workspace, table: str, frame: pd.DataFrame, status: widgets.HTML,
                    what: str, *, base: pd.DataFrame | None = None, key: str = "id",
                    conflicts: ConflictPanel | None = None,
                    keep_mine: Collection[tuple[str, str]] = ()) -> bool:
    """Save the edits in ``frame`` to the workspace's ``table`` and say so in ``status``;
    True if saved.

    ``base`` is the table as the widget last saved (or loaded) it: only the rows and
    fields that differ from it are written, into the file's current content (rows are
    matched by ``key``; a row missing from ``frame`` is removed). ``base`` None: every
    row of ``frame`` is written, nothing is removed.

    A refused or failed write (JourneykitError, OSError) turns ``status`` red with the
    reason and returns False: the file on disk is left as it was and nothing is
    raised inside the widget's callback. ``what`` names the change ("tp_1.owner = Sales").
    A field someone else changed meanwhile is shown in ``conflicts`` (both values, keep
    mine / take theirs) and nothing is written; ``keep_mine`` lists the ``(key, column)``
    fields whose conflict the user settled for their own value.
    """
    try:
        _save(ws, table, frame, base, key, keep_mine)
    except EditConflictError as error:
        status.value = status_html(f"Not saved ({what}): someone else changed it meanwhile - choose below",
                                   ok=False)
        if conflicts is not None:
            conflicts.show(error.conflicts)
        return False
    except (JourneykitError, OSError, TypeError, ValueError) as error:
        # refused, not writable, or a value the table cannot hold: shown, not raised in a callback
        status.value = status_html(f"Not saved ({what}): {error}", ok=False)
        return False
    status.value = status_html(f"Saved {table} at {clock()}: {what}", ok=True)
    return True


def owner_options(ws: Workspace) -> list[Any]:
    """Drop-down options for an owner: "(blank)" (writes a blank) and the owners of journey.yaml,
    as ``(label, value)`` pairs."""
    return [(BLANK, None), *[(owner, owner) for owner in ws.config.owners]]


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """How one column of a table is edited in a grid.

    ``kind``: ``"label"`` (read only), ``"text"``, ``"choice"`` (drop-down of ``options``,
    each a value or a ``(label, value)`` pair), ``"bool"``, ``"tags"`` (a ``;`` list,
    restricted to ``options`` when given).
    """

    name: str
    kind: str
    options: tuple[Any, ...] = ()
    width: str = "140px"
    header: str | None = None

    def make(self, value: object) -> widgets.Widget:
        layout = widgets.Layout(width=self.width)
        if self.kind == "label":
            return widgets.Label(display_text(value), layout=layout)
        if self.kind == "text":
            return widgets.Text(display_text(value), continuous_update=False, layout=layout)
        if self.kind == "bool":
            return widgets.Checkbox(value=bool(False if is_blank(value) else value), indent=False,
                                    layout=layout)
        if self.kind == "tags":
            return tags_input(_split_list(value), [str(o) for o in self.options], layout=layout)
        if self.kind == "choice":
            current = None if is_blank(value) else value
            options = _options_with(self.options, current)
            dropdown = widgets.Dropdown(options=options, layout=layout)
            _choose(dropdown, current)
            return dropdown
        raise JourneykitError(f"unknown column kind {self.kind!r} for column {self.name!r}")


def append_record(frame: pd.DataFrame, record: dict) -> pd.DataFrame:
    """``frame`` with ``record`` added as a last row, keeping ``frame``'s column dtypes (a
    header-only table's are the schema's, e.g. string): a new row built alone would infer
    float for its blank text columns and refuse the first text typed into them.

    >>> empty = pd.DataFrame({"id": pd.Series(dtype="string"), "quote": pd.Series(dtype="string")})
    >>> str(append_record(empty, {"id": "p_1"})["quote"].dtype)
    'string'
    """
    columns = list(dict.fromkeys([*frame.columns, *record]))
    added = pd.DataFrame([record]).reindex(columns=columns)
    for column in frame.columns:
        try:
            added[column] = added[column].astype(frame[column].dtype)
        except (TypeError, ValueError):
            frame = frame.astype({column: "object"})
            added[column] = added[column].astype("object")
    if not len(frame):
        return added.reset_index(drop=True)
    return pd.concat([frame, added], ignore_index=True)


def _show_value(column: Column, widget: widgets.Widget, value: object) -> None:
    """Put a table value into a widget (the inverse of :func:`_cell_value`)."""
    if column.kind == "tags":
        widget.value = _split_list(value)
    elif column.kind == "text":
        widget.value = display_text(value)
    elif column.kind == "bool":
        widget.value = bool(False if is_blank(value) else value)
    else:
        current = None if is_blank(value) else value
        widget.options = _options_with(widget.options, current)
        _choose(widget, current)


def _cell_value(column: Column, widget: widgets.Widget) -> object:
    """The value to store in the table for a widget's current state."""
    value = widget.value
    if column.kind == "tags":
        return join_list(value) or pd.NA
    if column.kind == "text":
        return value if value.strip() else pd.NA
    if column.kind == "bool":
        return bool(value)
    return pd.NA if value is None else value


# --------------------------------------------------------------------------- grid editor


class TableEditor(widgets.VBox):
    """A grid editor for one workspace table: one line of widgets per row.

    ``rows[i][column]`` is the widget for row ``i``; ``frame`` is the table as it is
    now; ``status`` says what was saved last (or why a save failed).
    """

    def __init__(self, ws: Workspace, table: str, frame: pd.DataFrame, columns: list[Column], *,
                 key: str = "id", new_row: Callable[[pd.DataFrame], dict] | None = None,
                 title: str = "", on_save: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                 row_filter: Sequence[int] | None = None):
        super().__init__()
        self.ws = ws
        self.table = table
        self.key = key
        self.columns = columns
        self._new_row = new_row
        self._on_save = on_save
        self.frame = frame.reset_index(drop=True).copy()
        for column in columns:
            if column.kind != "label" and column.name not in self.frame.columns:
                self.frame[column.name] = pd.Series(pd.NA, index=self.frame.index, dtype="object")
        #: the table as last saved (or loaded): a save writes only what differs from it
        self.saved = (on_save(self.frame) if on_save else self.frame).copy()
        self.rows: list[dict[str, widgets.Widget]] = []
        self.status = widgets.HTML("")
        self.conflicts = ConflictPanel(self._keep_mine, self._take_theirs)
        self._quiet = False
        self.saves = 0
        self._lines = widgets.VBox()
        header = widgets.HBox([
            widgets.HTML(f"<b>{html.escape(c.header or c.name)}</b>",
                         layout=widgets.Layout(width=c.width)) for c in columns
        ])
        children: list[widgets.Widget] = []
        if title:
            children.append(widgets.HTML(f"<h4>{html.escape(title)}</h4>"))
        children += [header, self._lines]
        if new_row is not None:
            self.add_button = widgets.Button(description="Add a row", icon="plus")
            self.add_button.on_click(lambda _b: self.add_row())
            children.append(self.add_button)
        children += [self.status, self.conflicts]
        self.children = tuple(children)
        indexes = range(len(self.frame)) if row_filter is None else row_filter
        for index in indexes:
            self._add_line(index)

    def _add_line(self, index: int) -> None:
        cells: dict[str, widgets.Widget] = {}
        record = self.frame.iloc[index]
        for column in self.columns:
            widget = column.make(record.get(column.name, pd.NA) if column.name in record
                                 else pd.NA)
            if column.kind != "label":
                widget.observe(self._handler(index, column), names="value")
            cells[column.name] = widget
        self.rows.append(cells)
        self._lines.children = self._lines.children + (
            widgets.HBox([cells[c.name] for c in self.columns]),)

    def _handler(self, index: int, column: Column) -> Callable[[dict], None]:
        def handle(change: dict) -> None:
            if self._quiet:
                return
            widget = change["owner"]
            if column.kind == "tags":
                known, unknown = known_tags(widget.value, [str(o) for o in column.options])
                if known != list(widget.value):
                    self._quiet = True
                    try:
                        widget.value = known
                    finally:
                        self._quiet = False
                if unknown:
                    refused = status_html(f"Not added: {', '.join(unknown)} (expected one of "
                                          f"{', '.join(str(o) for o in column.options)})", ok=False)
                    value = _cell_value(column, widget)
                    current = self.frame.at[index, column.name]
                    if display_text(value) != display_text(current):
                        self.set_value(index, column.name, value)
                    self.status.value = refused
                    return
            self.set_value(index, column.name, _cell_value(column, widget))
        return handle

    def set_value(self, index: int, column: str, value: object) -> None:
        """Set one cell (row position ``index``) and save the table at once."""
        previous = self.frame.at[index, column]
        self.frame = set_cell(self.frame, index, column, value)
        label = display_text(self.frame.at[index, self.key]) if self.key in self.frame else str(index)
        if self.save(f"{label}.{column} = {display_text(value) or BLANK}") or self.conflicts.pending:
            return  # saved, or waiting for the user to settle a conflict (what they typed is kept)
        self.frame.at[index, column] = previous  # keep what is on disk and in the grid in step

    def add_row(self) -> int:
        """Append a new row with sensible defaults, save, and return its position."""
        if self._new_row is None:
            raise JourneykitError(f"rows cannot be added to {self.table} here")
        try:
            record = self._new_row(self.frame)
        except JourneykitError as error:  # e.g. a pain point before any touchpoint exists
            self.status.value = status_html(f"Not added: {error}", ok=False)
            return -1
        self.frame = append_record(self.frame, record)
        index = len(self.frame) - 1
        if not self.save(f"added {record.get(self.key, 'a row')}"):
            self.frame = self.frame.iloc[:-1].reset_index(drop=True)
            return -1
        self._add_line(index)
        return index

    def save(self, what: str, keep_mine: Collection[tuple[str, str]] = ()) -> bool:
        """Save the edits now; report in ``status`` (and a conflict in ``conflicts``);
        return whether it worked."""
        frame = self._on_save(self.frame) if self._on_save else self.frame
        if not save_and_report(self.ws, self.table, frame, self.status, what, base=self.saved,
                               key=self.key, conflicts=self.conflicts, keep_mine=keep_mine):
            return False
        self.conflicts.clear()
        self.saved = frame.copy()
        self.saves += 1
        return True

    def _keep_mine(self, conflicts: list[Conflict]) -> None:
        fields = {(c.key, c.column) for c in conflicts}
        self.save("kept yours: " + ", ".join(f"{k}.{c}" for k, c in sorted(fields)), keep_mine=fields)

    def _take_theirs(self, conflicts: list[Conflict]) -> None:
        """Show and keep the other change: the grid, ``frame`` and the saved base take it."""
        take_theirs(self.frame, conflicts, key=self.key)
        take_theirs(self.saved, conflicts, key=self.key)
        for conflict in conflicts:
            positions = [i for i, v in enumerate(self.frame[self.key].astype(str)) if v == conflict.key]
            column = next((c for c in self.columns if c.name == conflict.column), None)
            if column is None or column.kind == "label":
                continue
            for position in positions:
                if position < len(self.rows):
                    self._quiet = True
                    try:
                        _show_value(column, self.rows[position][column.name], conflict.theirs)
                    finally:
                        self._quiet = False
        self.status.value = status_html(f"Took the other change at {clock()}: "
                                        + ", ".join(f"{c.key}.{c.column}" for c in conflicts), ok=True)
