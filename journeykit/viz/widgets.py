"""Editing widgets for the notebooks (ipywidgets 8): personas, touchpoints, pain-point scoring, filters.

Every edit is written to the workspace at once through
:func:`journeykit.workspace.save_table` (an atomic write that keeps the previous
version), so a kernel restart loses nothing and a headless run uses the saved
values. A failed save never raises inside the browser callback: the editor's
status line turns red and says why, and the file on disk is left as it was.

Each function returns the widget; the notebook displays it. The widgets also work
headless (in tests, under papermill): set a field's ``value`` and the save happens.

Example:
    >>> import journeykit as jk                                   # doctest: +SKIP
    >>> ws = jk.load_workspace("../data/sample")                  # doctest: +SKIP
    >>> editor = jk.touchpoint_editor(ws)                         # doctest: +SKIP
    >>> editor.rows[0]["owner"].value = "Support"  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd

from journeykit.core.cells import join_list
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace, save_table

__all__ = [
    "PersonaEditor",
    "TableEditor",
    "FilterBar",
    "persona_editor",
    "touchpoint_editor",
    "painpoint_scorer",
    "filter_bar",
]

PAINPOINT_STATUSES = ("open", "planned", "in progress", "done", "dropped")
EMOTION_LABELS = {
    -2: "-2 very unhappy",
    -1: "-1 unhappy",
    0: "0 neutral",
    1: "+1 happy",
    2: "+2 delighted",
}
BLANK = "(blank)"


# --------------------------------------------------------------------------- saving


def _save(ws: Workspace, table: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as the workspace's ``table`` (atomic, previous version kept)."""
    save_table(ws, table, frame)


def _clock() -> str:
    return dt.datetime.now().strftime("%H:%M:%S")


def _status_html(text: str, ok: bool) -> str:
    colour = "#1b7837" if ok else "#b2182b"  # green / red, both readable for colour-blind users
    return f'<span style="color:{colour}">{html.escape(text)}</span>'


def _blank(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: object) -> str:
    return "" if _blank(value) else str(value)


def _options_with(options: Sequence[Any], current: object) -> list[Any]:
    """Drop-down options that also contain the current value (data may hold values not in journey.yaml)."""
    out = list(dict.fromkeys(options))
    values = [o[1] if isinstance(o, tuple) else o for o in out]
    if not _blank(current) and current not in values:
        out.append(current)
    return out


def _next_id(existing: Sequence[object], prefix: str) -> str:
    taken = {str(x) for x in existing if not _blank(x)}
    number = len(taken) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


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
            return widgets.Label(_text(value), layout=layout)
        if self.kind == "text":
            return widgets.Text(_text(value), continuous_update=False, layout=layout)
        if self.kind == "bool":
            return widgets.Checkbox(value=bool(False if _blank(value) else value), indent=False,
                                    layout=layout)
        if self.kind == "tags":
            return widgets.TagsInput(value=_split_list(value),
                                     allowed_tags=list(self.options) or [],
                                     allow_duplicates=False, layout=layout)
        if self.kind == "choice":
            current = None if _blank(value) else value
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
        label = _text(self.frame.at[index, self.key]) if self.key in self.frame else str(index)
        if self.save(f"{label}.{column} = {_text(value) or BLANK}"):
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
        try:
            _save(self.ws, self.table, frame)
        except (JourneykitError, OSError) as error:  # refused or not writable: shown, not raised in a callback
            self.status.value = _status_html(f"Not saved ({what}): {error}", ok=False)
            return False
        self.saves += 1
        self.status.value = _status_html(f"Saved {self.table} at {_clock()}: {what}", ok=True)
        return True


# --------------------------------------------------------------------------- touchpoints


def _stage_options(ws: Workspace) -> list[tuple[str, str]]:
    return [(f"{s.name} ({s.id})" if s.name != s.id else s.id, s.id) for s in ws.config.stages]


def _owner_options(ws: Workspace) -> list[Any]:
    return [(BLANK, None), *ws.config.owners]


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
        Column("owner", "choice", tuple(_owner_options(ws)), width="130px"),
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


# --------------------------------------------------------------------------- personas


PERSONA_TEXT_FIELDS = ("quote", "demographics", "goals", "frustrations", "motivations")


class PersonaEditor(widgets.VBox):
    """Edit one persona at a time: pick it, change any field, the change is saved at once.

    ``picker`` chooses the persona; ``fields[name]`` are the input widgets; ``frame`` is
    the personas table as it is now; ``status`` says what was saved last.
    """

    def __init__(self, ws: Workspace):
        super().__init__()
        self.ws = ws
        personas = ws.personas
        self.frame = (personas.reset_index(drop=True).copy() if personas is not None
                      else pd.DataFrame(columns=["id", "name", *PERSONA_TEXT_FIELDS,
                                                 "preferred_channels", "rule"]))
        self.status = widgets.HTML("")
        self.saves = 0
        self._loading = False
        wide = widgets.Layout(width="95%")
        self.picker = widgets.Dropdown(description="Persona", options=self._picker_options())
        self.fields: dict[str, widgets.Widget] = {
            "name": widgets.Text(description="Name", continuous_update=False, layout=wide),
        }
        for name in PERSONA_TEXT_FIELDS:
            self.fields[name] = widgets.Textarea(description=name.capitalize(),
                                                 continuous_update=False, rows=2, layout=wide)
        self.fields["preferred_channels"] = widgets.TagsInput(
            allowed_tags=list(ws.config.channels),
            allow_duplicates=False)
        self.fields["rule"] = widgets.Text(
            description="Rule", continuous_update=False, layout=wide,
            placeholder="optional: which customers belong, e.g. channel == 'store'")
        for name, widget in self.fields.items():
            widget.observe(self._handler(name), names="value")
        self.add_button = widgets.Button(description="Add a persona", icon="plus")
        self.add_button.on_click(lambda _b: self.add_persona())
        self.picker.observe(lambda _c: self._load(), names="value")
        self.children = (
            widgets.HTML("<h4>Persona editor</h4>"),
            widgets.HBox([self.picker, self.add_button]),
            *self._field_rows(),
            self.status,
        )
        self._load()

    def _field_rows(self) -> list[widgets.Widget]:
        rows: list[widgets.Widget] = []
        for widget in self.fields.values():
            if isinstance(widget, widgets.TagsInput):
                rows.append(widgets.HBox([widgets.Label("Preferred channels",
                                                        layout=widgets.Layout(width="140px")),
                                          widget]))
            else:
                rows.append(widget)
        return rows

    def _picker_options(self) -> list[tuple[str, int]]:
        return [(f"{_text(r.get('name')) or _text(r.get('id'))} ({_text(r.get('id'))})", i)
                for i, r in self.frame.iterrows()]

    @property
    def index(self) -> int | None:
        """Row position of the persona being edited (None when there is none)."""
        return self.picker.value

    def _load(self) -> None:
        self._loading = True
        try:
            index = self.picker.value
            for name, widget in self.fields.items():
                value = pd.NA if index is None or name not in self.frame else self.frame.at[index, name]
                widget.disabled = index is None
                if isinstance(widget, widgets.TagsInput):
                    widget.value = _split_list(value)
                else:
                    widget.value = _text(value)
        finally:
            self._loading = False

    def _handler(self, name: str) -> Callable[[dict], None]:
        def handle(change: dict) -> None:
            if self._loading or self.picker.value is None:
                return
            value = change["new"]
            if isinstance(value, (list, tuple)):
                stored: object = join_list(value) or pd.NA
            else:
                stored = value if str(value).strip() else pd.NA
            self.set_field(self.picker.value, name, stored)
        return handle

    def set_field(self, index: int, name: str, value: object) -> bool:
        """Set one field of the persona at row ``index`` and save at once."""
        if name not in self.frame:
            self.frame[name] = pd.Series(pd.NA, index=self.frame.index, dtype="object")
        previous = self.frame.at[index, name]
        self.frame.at[index, name] = value
        ok = self._save(f"{_text(self.frame.at[index, 'id'])}.{name}")
        if not ok:
            self.frame.at[index, name] = previous
        elif name == "name":
            self._refresh_picker(index)
        return ok

    def add_persona(self) -> int:
        """Add a persona with a new id, save, select it, and return its row position."""
        record = {"id": _next_id(self.frame["id"].tolist() if "id" in self.frame else [], "p_"),
                  "name": "New persona"}
        added = pd.DataFrame([record])
        previous = self.frame
        self.frame = (pd.concat([self.frame, added], ignore_index=True) if len(self.frame)
                      else added.reindex(columns=list(dict.fromkeys([*self.frame.columns,
                                                                     *added.columns]))))
        if not self._save(f"added {record['id']}"):
            self.frame = previous
            return -1
        index = len(self.frame) - 1
        self._refresh_picker(index)
        return index

    def _refresh_picker(self, index: int) -> None:
        self._loading = True
        try:
            self.picker.options = self._picker_options()
            self.picker.value = index
        finally:
            self._loading = False
        self._load()

    def _save(self, what: str) -> bool:
        try:
            _save(self.ws, "personas", self.frame)
        except (JourneykitError, OSError) as error:  # refused or not writable: shown, not raised in a callback
            self.status.value = _status_html(f"Not saved ({what}): {error}", ok=False)
            return False
        self.saves += 1
        self.status.value = _status_html(f"Saved personas at {_clock()}: {what}", ok=True)
        return True


def persona_editor(ws: Workspace) -> PersonaEditor:
    """An editor for the workspace's personas; every change is saved to ``personas`` at once.

    Pick a persona, edit its name, quote, demographics, goals, frustrations,
    motivations, preferred channels (from journey.yaml ``channels``) or the optional
    rule that assigns customers to it; or add a new persona.

    Example:
        >>> editor = persona_editor(ws)                            # doctest: +SKIP
        >>> editor.fields["goals"].value = "Get back on the road fast"  # doctest: +SKIP
    """
    return PersonaEditor(ws)


# --------------------------------------------------------------------------- pain points


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
        Column("owner", "choice", tuple(_owner_options(ws)), width="130px"),
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


# --------------------------------------------------------------------------- filters


DATE_COLUMNS = {"feedback": "date", "orders": "date", "events": "timestamp",
                "tickets": "opened", "customers": "first_seen"}


class FilterBar(widgets.VBox):
    """Persona, channel and period filters, and an optional view that follows them.

    ``selection`` is a dict (persona, channel, start, end; None = everything).
    ``filtered(table)`` is that workspace table restricted to the selection (persona
    through ``customers.persona_id`` when the table has no persona column, channel
    through the table's ``channel`` column, period through its date column: feedback
    and orders ``date``, events ``timestamp``, tickets ``opened``, customers
    ``first_seen``; the end date is inclusive). A filter that a table cannot apply
    (no such column) leaves that table as it is and says so in ``notes``.
    """

    def __init__(self, ws: Workspace, view: Callable[[FilterBar], object] | None = None,
                 persona: str | None = None):
        super().__init__()
        self.ws = ws
        self._view = view
        personas: list[tuple[str, str | None]] = [("All personas", None)]
        if ws.personas is not None:
            personas += [(f"{_text(r.get('name')) or r['id']}", str(r["id"]))
                         for _, r in ws.personas.iterrows()]
        channels = [("All channels", None),
                    *[(c, c) for c in ws.config.channels]]
        start_persona = persona if persona in [value for _label, value in personas] else None
        self.persona = widgets.Dropdown(options=personas, value=start_persona,
                                        description="Persona")
        self.channel = widgets.Dropdown(options=channels, value=None, description="Channel")
        self.start = widgets.DatePicker(description="From", value=None)
        self.end = widgets.DatePicker(description="To", value=None)
        self.output = widgets.Output()
        self.notes: list[str] = []
        for widget in (self.persona, self.channel, self.start, self.end):
            widget.observe(lambda _c: self.refresh(), names="value")
        self.children = (widgets.HBox([self.persona, self.channel]),
                         widgets.HBox([self.start, self.end]), self.output)
        self.refresh()

    @property
    def selection(self) -> dict[str, object]:
        return {"persona": self.persona.value, "channel": self.channel.value,
                "start": self.start.value, "end": self.end.value}

    def filtered(self, table: str) -> pd.DataFrame | None:
        """The workspace's ``table`` restricted to the current selection (None if absent)."""
        frame = self.ws.table(table)
        if frame is None:
            return None
        mask = pd.Series(True, index=frame.index)
        sel = self.selection
        if sel["persona"] is not None:
            if "persona_id" in frame:
                mask &= frame["persona_id"].astype("string") == sel["persona"]
            elif "customer_id" in frame and self.ws.customers is not None \
                    and "persona_id" in self.ws.customers:
                customers = self.ws.customers
                ids = customers.loc[customers["persona_id"].astype("string") == sel["persona"],
                                    "customer_id"]
                mask &= frame["customer_id"].isin(set(ids.astype(str)))
            else:
                self.notes.append(f"{table}: no persona link, persona filter not applied")
        if sel["channel"] is not None:
            if "channel" in frame:
                mask &= frame["channel"].astype("string") == sel["channel"]
            else:
                self.notes.append(f"{table}: no channel column, channel filter not applied")
        column = DATE_COLUMNS.get(table)
        if column in frame and (sel["start"] is not None or sel["end"] is not None):
            when = pd.to_datetime(frame[column])
            if sel["start"] is not None:
                mask &= when >= pd.Timestamp(sel["start"])
            if sel["end"] is not None:
                mask &= when < pd.Timestamp(sel["end"]) + pd.Timedelta(days=1)
        return frame.loc[mask.fillna(False).astype(bool)]

    def refresh(self) -> None:
        """Redraw the view (if any) for the current selection."""
        if self._view is None:
            return
        self.notes = []
        self.output.clear_output(wait=True)
        with self.output:
            from IPython.display import display

            try:
                result = self._view(self)
            except JourneykitError as error:
                result = f"Nothing to show for this selection: {error}"
            if result is not None:
                display(result)
                _close_if_figure(result)
            for note in dict.fromkeys(self.notes):
                print(note)


def _close_if_figure(result: object) -> None:
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover
        return
    if isinstance(result, Figure):
        import matplotlib.pyplot as plt

        plt.close(result)


def filter_bar(ws: Workspace, view: Callable[[FilterBar], object] | None = None, *,
               persona: str | None = None) -> FilterBar:
    """Persona, channel and period drop-downs; ``view(bar)`` is redrawn on every change.

    ``view`` receives the bar and returns something to display (a DataFrame or a
    Figure), typically built from ``bar.filtered("feedback")`` or
    ``bar.filtered("orders")``. ``persona`` preselects a persona id. Nothing is saved:
    filters only change what is shown.

    Example:
        >>> bar = filter_bar(ws, view=lambda b: jk.kpi_table(b.filtered("feedback"),  # doctest: +SKIP
        ...                                                  by=["stage"]))
        >>> bar.channel.value = "store"  # doctest: +SKIP
    """
    return FilterBar(ws, view, persona=persona)
