"""Persona, channel and period filters with a view that follows them (:func:`filter_bar`).

Nothing is saved: filters only change what is shown.

Example:
    >>> bar = filter_bar(ws, view=lambda b: b.filtered("orders"))   # doctest: +SKIP
    >>> bar.channel.value = "store"                                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd

from journeykit.core.errors import JourneykitError
from journeykit.viz.widgets.editor import display_text as _text
from journeykit.workspace import Workspace

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
        # index, not value=None: ipywidgets shows value=None as an empty box, not "All ..."
        self.persona = widgets.Dropdown(options=personas, description="Persona",
                                        index=[value for _label, value in personas].index(start_persona))
        self.channel = widgets.Dropdown(options=channels, index=0, description="Channel")
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
