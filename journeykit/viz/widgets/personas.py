"""The persona editor: one persona at a time, every change saved at once (:func:`persona_editor`).

Example:
    >>> editor = persona_editor(ws)                                 # doctest: +SKIP
    >>> editor.fields["goals"].value = "Get back on the road fast"  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import ipywidgets as widgets
import pandas as pd

from journeykit.core.cells import join_list
from journeykit.core.cells import split_list as _split_list
from journeykit.viz.widgets.editor import (
    ConflictPanel,
    append_record,
    known_tags,
    save_and_report,
    status_html,
    tags_input,
)
from journeykit.viz.widgets.editor import display_text as _text
from journeykit.viz.widgets.editor import next_id as _next_id
from journeykit.workspace import Workspace
from journeykit.workspace.edits import Conflict, set_cell, take_theirs

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
        #: the table as last saved (or loaded): a save writes only what differs from it
        self.saved = self.frame.copy()
        self.status = widgets.HTML("")
        self.conflicts = ConflictPanel(self._keep_mine, self._take_theirs)
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
        self.fields["preferred_channels"] = tags_input([], list(ws.config.channels))
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
            self.conflicts,
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
                known, unknown = known_tags(list(value), list(self.ws.config.channels))
                if known != list(value):
                    self._loading = True
                    try:
                        change["owner"].value = known
                    finally:
                        self._loading = False
                if unknown:
                    self.status.value = status_html(
                        f"Not added: {', '.join(unknown)} (expected one of the channels of journey.yaml: "
                        f"{', '.join(self.ws.config.channels)})", ok=False)
                stored: object = join_list(known) or pd.NA
                if unknown and _text(stored) == _text(self.frame.at[self.picker.value, name]):
                    return  # nothing changed (only a refused tag was typed)
            else:
                stored = value if str(value).strip() else pd.NA
            self.set_field(self.picker.value, name, stored)
        return handle

    def set_field(self, index: int, name: str, value: object) -> bool:
        """Set one field of the persona at row ``index`` and save at once."""
        if name not in self.frame:
            self.frame[name] = pd.Series(pd.NA, index=self.frame.index, dtype="object")
        previous = self.frame.at[index, name]
        self.frame = set_cell(self.frame, index, name, value)
        ok = self._save(f"{_text(self.frame.at[index, 'id'])}.{name}")
        if not ok and not self.conflicts.pending:  # a conflict keeps what was typed until settled
            self.frame.at[index, name] = previous
        elif name == "name":
            self._refresh_picker(index)
        return ok

    def add_persona(self) -> int:
        """Add a persona with a new id, save, select it, and return its row position."""
        record = {"id": _next_id(self.frame["id"].tolist() if "id" in self.frame else [], "p_"),
                  "name": "New persona"}
        previous = self.frame
        self.frame = append_record(self.frame, record)
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

    def _save(self, what: str, keep_mine: Collection[tuple[str, str]] = ()) -> bool:
        if not save_and_report(self.ws, "personas", self.frame, self.status, what, base=self.saved,
                               conflicts=self.conflicts, keep_mine=keep_mine):
            return False
        self.conflicts.clear()
        self.saved = self.frame.copy()
        self.saves += 1
        return True

    def _keep_mine(self, conflicts: list[Conflict]) -> None:
        fields = {(c.key, c.column) for c in conflicts}
        self._save("kept yours: " + ", ".join(f"{k}.{c}" for k, c in sorted(fields)), keep_mine=fields)

    def _take_theirs(self, conflicts: list[Conflict]) -> None:
        """Keep the other change: the table, the saved base and the fields shown take it."""
        take_theirs(self.frame, conflicts)
        take_theirs(self.saved, conflicts)
        self._load()


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
