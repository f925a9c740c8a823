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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd

from journeykit.core.cells import is_blank, join_list
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.saving import merge_edits, update_table

BLANK = "(blank)"


# --------------------------------------------------------------------------- saving


def _save(ws: Workspace, table: str, frame: pd.DataFrame, base: pd.DataFrame | None, key: str) -> None:
    """Apply the edits that turned ``base`` into ``frame`` to the workspace's ``table`` as
    its file holds it now (locked read-modify-write, atomic, previous version kept)."""
    update_table(ws, table, lambda current: merge_edits(current, base, frame, key=key))


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
    """Drop-down options that also contain the current value (data may hold values not in journey.yaml)."""
    out = list(dict.fromkeys(options))
    values = [o[1] if isinstance(o, tuple) else o for o in out]
    if not is_blank(current) and current not in values:
        out.append(current)
    return out


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
                    what: str, *, base: pd.DataFrame | None = None, key: str = "id") -> bool:
    """Save the edits in ``frame`` to the workspace's ``table`` and say so in ``status``;
    True if saved.

    ``base`` is the table as the widget last saved (or loaded) it: only the rows and
    fields that differ from it are written, into the file's current content (rows are
    matched by ``key``; a row missing from ``frame`` is removed). ``base`` None: every
    row of ``frame`` is written, nothing is removed.

    A refused or failed write (JourneykitError, OSError) turns ``status`` red with the
    reason and returns False: the file on disk is left as it was and nothing is
    raised inside the widget's callback. ``what`` names the change ("tp_1.owner = Sales").
    """
    try:
        _save(ws, table, frame, base, key)
    except (JourneykitError, OSError) as error:  # refused or not writable: shown, not raised in a callback
        status.value = status_html(f"Not saved ({what}): {error}", ok=False)
        return False
    status.value = status_html(f"Saved {table} at {clock()}: {what}", ok=True)
    return True


def owner_options(ws: Workspace) -> list[Any]:
    """Drop-down options for an owner: "(blank)" and the owners of journey.yaml."""
    return [(BLANK, None), *ws.config.owners]


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
            return widgets.TagsInput(value=_split_list(value),
                                     allowed_tags=list(self.options) or [],
                                     allow_duplicates=False, layout=layout)
        if self.kind == "choice":
            current = None if is_blank(value) else value
            options = _options_with(self.options, current)
            return widgets.Dropdown(options=options, value=current, layout=layout)
        raise JourneykitError(f"unknown column kind {self.kind!r} for column {self.name!r}")


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
        children.append(self.status)
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
            widget = change["owner"]
            self.set_value(index, column.name, _cell_value(column, widget))
        return handle

    def set_value(self, index: int, column: str, value: object) -> None:
        """Set one cell (row position ``index``) and save the table at once."""
        previous = self.frame.at[index, column]
        try:
            self.frame.at[index, column] = value
        except (TypeError, ValueError):
            self.frame[column] = self.frame[column].astype("object")
            self.frame.at[index, column] = value
        label = display_text(self.frame.at[index, self.key]) if self.key in self.frame else str(index)
        if self.save(f"{label}.{column} = {display_text(value) or BLANK}"):
            return
        self.frame.at[index, column] = previous  # keep what is on disk and in the grid in step

    def add_row(self) -> int:
        """Append a new row with sensible defaults, save, and return its position."""
        if self._new_row is None:
            raise JourneykitError(f"rows cannot be added to {self.table} here")
        record = self._new_row(self.frame)
        added = pd.DataFrame([record])
        self.frame = pd.concat([self.frame, added], ignore_index=True) if len(self.frame) \
            else added.reindex(columns=list(dict.fromkeys([*self.frame.columns, *added.columns])))
        index = len(self.frame) - 1
        if not self.save(f"added {record.get(self.key, 'a row')}"):
            self.frame = self.frame.iloc[:-1].reset_index(drop=True)
            return -1
        self._add_line(index)
        return index

    def save(self, what: str) -> bool:
        """Save the whole table now; report in ``status``; return whether it worked."""
        frame = self._on_save(self.frame) if self._on_save else self.frame
        if not save_and_report(self.ws, self.table, frame, self.status, what, base=self.saved,
                               key=self.key):
            return False
        self.saved = frame.copy()
        self.saves += 1
        return True
