"""The workshop app's widgets (``journeykit workshop serve``): each participant's voting
card, the room's votes for the facilitator, and the app that puts them together with the
persona and touchpoint editors.

* :class:`VotingCard` — one participant scores every pain point (severity, frequency,
  effort, 1-5) and every touchpoint (emotion, -2..+2); each choice is saved at once in
  ``votes/<name>.csv`` (:func:`journeykit.workspace.votes.write_votes`);
* :class:`RoomVotes` — the facilitator's view: per item how many voted, the median and
  the spread, refreshed from the votes files every few seconds (and on "Refresh");
* :func:`workshop_app` — asks for the participant's name once (``JOURNEYKIT_USER`` fills
  it in), then shows tabs: Score, Pain points, Personas, Touchpoints, Room. The editors are the
  notebooks' widgets with the same saves (merged field by field, the conflict panel when
  someone else changed the same field); the name goes into the edit journal.

Example:
    >>> app = workshop_app(load_workspace("our-shop"))   # doctest: +SKIP
    >>> app.start("Ana")                                 # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
import threading
import weakref

import ipywidgets as widgets
import pandas as pd

from journeykit.core.cells import is_blank
from journeykit.core.errors import JourneykitError
from journeykit.viz.widgets.editor import BLANK, clock, display_text, status_html
from journeykit.viz.widgets.painpoints import painpoint_editor
from journeykit.viz.widgets.personas import persona_editor
from journeykit.viz.widgets.touchpoints import touchpoint_editor
from journeykit.workspace import Workspace
from journeykit.workspace.loader import load_workspace
from journeykit.workspace.saving import read_table_now
from journeykit.workspace.votes import (
    PAINPOINT_FIELDS,
    SCALES,
    merge_votes,
    read_vote_file,
    read_votes,
    voter_slug,
    write_votes,
)

__all__ = ["RoomVotes", "VotingCard", "WorkshopApp", "room_votes", "workshop_app"]

#: the environment variable naming the workspace the app (and the notebooks) open
WORKSPACE_ENV = "JOURNEYKIT_WORKSPACE"
#: seconds between two refreshes of the room's votes
REFRESH_S = 3.0


def _scale(field: str) -> list[tuple[str, int | None]]:
    low, high = SCALES[field]
    return [(BLANK, None), *[(f"{i:+d}" if field == "emotion" and i else str(i), i) for i in range(low, high + 1)]]


class VotingCard(widgets.VBox):
    """One participant's scores; ``choices[item][field]`` is the drop-down of one score.
    Every change is saved at once to ``votes/<voter>.csv``; ``status`` says so (red with
    the reason when it could not be saved)."""

    def __init__(self, ws: Workspace, voter: str):
        super().__init__()
        self.ws = ws
        self.voter = voter
        path = ws.path / "votes" / f"{voter_slug(voter)}.csv"
        mine = read_vote_file(path).set_index("item") if path.exists() else None
        self.status = widgets.HTML("")
        self.choices: dict[str, dict[str, widgets.Dropdown]] = {}
        lines: list[widgets.Widget] = [widgets.HTML(
            "<h3>Your scores</h3><p>Severity: how bad it is for the customer (1 minor, 5 severe); "
            "frequency: how often it happens (1 rare, 5 constant); effort: what fixing it takes "
            "(1 easy, 5 a big project). Leave a score blank if you have no opinion.</p>"), self.status]
        painpoints = ws.tables.get("painpoints")
        if painpoints is None or not len(painpoints):
            lines.append(widgets.HTML("<p><i>No pain points yet: add them in the Pain points tab.</i></p>"))
        else:
            lines.append(self._header(PAINPOINT_FIELDS))
            for _, row in painpoints.iterrows():
                text = display_text(row.get("description")) or display_text(row["id"])
                lines.append(self._line(str(row["id"]), text, PAINPOINT_FIELDS, mine))
        touchpoints = ws.tables.get("touchpoints")
        if touchpoints is not None and len(touchpoints):
            lines.append(widgets.HTML("<h3>How customers feel at each touchpoint</h3>"
                                      "<p>-2 very unhappy … +2 delighted.</p>"))
            lines.append(self._header(("emotion",)))
            for _, row in touchpoints.iterrows():
                text = display_text(row.get("name")) or display_text(row["id"])
                lines.append(self._line(str(row["id"]), text, ("emotion",), mine))
        self.children = tuple(lines)

    @staticmethod
    def _header(fields: tuple[str, ...]) -> widgets.HBox:
        return widgets.HBox([widgets.HTML("<b>item</b>", layout=widgets.Layout(width="420px")),
                             *[widgets.HTML(f"<b>{f}</b>", layout=widgets.Layout(width="100px"))
                               for f in fields]])

    def _line(self, item: str, text: str, fields: tuple[str, ...], mine: pd.DataFrame | None) -> widgets.HBox:
        cells: dict[str, widgets.Dropdown] = {}
        for field in fields:
            value = mine.at[item, field] if mine is not None and item in mine.index else None
            dropdown = widgets.Dropdown(options=_scale(field), value=None if is_blank(value) else int(str(value)),
                                        layout=widgets.Layout(width="100px"))
            dropdown.observe(lambda change, i=item, f=field: self.vote(i, f, change["new"]), names="value")
            cells[field] = dropdown
        self.choices[item] = cells
        label = widgets.HTML(html.escape(text if len(text) <= 80 else text[:79] + "…"),
                             layout=widgets.Layout(width="420px"))
        return widgets.HBox([label, *cells.values()])

    def vote(self, item: str, field: str, value: int | None) -> bool:
        """Save one score (None: no opinion) and say so in ``status``; True if saved."""
        try:
            write_votes(self.ws.path, self.voter, pd.DataFrame({"item": [item], field: [value]}))
        except (JourneykitError, OSError) as error:
            self.status.value = status_html(f"Not saved ({item} {field}): {error}", ok=False)
            return False
        shown = BLANK if value is None else str(value)
        self.status.value = status_html(f"Saved your vote at {clock()}: {item} {field} = {shown}", ok=True)
        return True


class RoomVotes(widgets.VBox):
    """The room's votes, for the facilitator: per item the number of votes, the median
    of each score and the spread (highest minus lowest), and who has voted so far.
    :meth:`refresh` re-reads the votes files; a background thread calls it every
    ``interval`` seconds while the widget exists (``interval`` None: only on "Refresh")."""

    def __init__(self, ws: Workspace, *, interval: float | None = REFRESH_S):
        super().__init__()
        self.ws = ws
        self.table = widgets.HTML("")
        self.voters = widgets.HTML("")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.children = (widgets.HTML("<h3>The room's votes</h3>"), self.voters, self.table,
                         self.refresh_button)
        self.merged = merge_votes(read_votes(ws.path))
        self.refresh()
        self._stop = threading.Event()
        if interval is not None:
            ref = weakref.ref(self)
            threading.Thread(target=_keep_refreshing, args=(ref, interval, self._stop), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        super().close()

    def refresh(self) -> None:
        votes = read_votes(self.ws.path)
        self.merged = merge_votes(votes)
        names = sorted(set(votes["voter"].astype(str)))
        who = "1 person has" if len(names) == 1 else f"{len(names)} people have"
        self.voters.value = (f"<p>{who} voted: {html.escape(', '.join(names))} "
                             f"<small>(updated {clock()})</small></p>" if names else
                             f"<p>Nobody has voted yet <small>(updated {clock()})</small></p>")
        if not len(self.merged):
            self.table.value = ""
            return
        pad = "padding:2px 10px;text-align:left"
        head = "".join(f'<th style="{pad}">{h}</th>' for h in ("item", "votes", *SCALES, "spread"))
        labels = _item_labels(self.ws)
        rows = []
        for row in self.merged.itertuples():
            cells = [html.escape(labels.get(str(row.item), str(row.item))), str(row.votes)]
            cells += ["" if is_blank(getattr(row, f)) else str(getattr(row, f)) for f in SCALES]
            spread = "" if is_blank(row.spread) else str(row.spread)
            style = f"{pad};color:#b2182b;font-weight:bold" if spread and int(spread) >= 3 else pad
            rows.append("<tr>" + "".join(f'<td style="{pad}">{c}</td>' for c in cells)
                        + f'<td style="{style}">{spread}</td></tr>')
        self.table.value = (f'<table class="jk-room"><thead><tr>{head}</tr></thead>'
                            f"<tbody>{''.join(rows)}</tbody></table>")


def _item_labels(ws: Workspace) -> dict[str, str]:
    """Item id -> what people call it (a pain point's description, a touchpoint's name), short."""
    labels: dict[str, str] = {}
    for table, column in (("painpoints", "description"), ("touchpoints", "name")):
        frame = ws.tables.get(table)
        if frame is None or column not in frame.columns:
            continue
        for key, text in zip(frame["id"], frame[column], strict=True):
            shown = display_text(text) or display_text(key)
            labels[str(key)] = shown if len(shown) <= 60 else shown[:59] + "…"
    return labels


def _keep_refreshing(ref: weakref.ref, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        room = ref()
        if room is None:
            return
        try:
            room.refresh()
        except (JourneykitError, OSError, ValueError):  # a file half-written by hand: next time
            pass
        del room


class WorkshopApp(widgets.VBox):
    """The app: a name box, then the tabs (``tabs``) once :meth:`start` ran."""

    def __init__(self, ws: Workspace, *, facilitator: bool = True):
        super().__init__()
        self.ws = ws
        self.facilitator = facilitator
        self.name = widgets.Text(value=os.environ.get("JOURNEYKIT_USER", ""), placeholder="your name",
                                 description="Your name", continuous_update=False)
        self.start_button = widgets.Button(description="Start", icon="play", button_style="primary")
        self.start_button.on_click(lambda _b: self.start(self.name.value))
        self.message = widgets.HTML("")
        self.tabs: widgets.Tab | None = None
        self.voter = ""
        self._built: dict[str, tuple[str, ...]] = {}
        self.card: VotingCard | None = None
        self.score_page = widgets.VBox()
        self.painpoints_page = widgets.VBox()
        self.room: RoomVotes | None = None
        title = display_text(ws.config.business)
        self.children = (widgets.HTML(f"<h2>Journey workshop{': ' + html.escape(title) if title else ''}</h2>"
                                      "<p>Enter your name once: it goes with your votes and your edits.</p>"),
                         widgets.HBox([self.name, self.start_button]), self.message)

    def start(self, name: str) -> None:
        """Begin as ``name``: votes go to votes/<name>.csv, edits are journaled under it."""
        name = name.strip()
        try:
            voter_slug(name)
        except JourneykitError:
            self.message.value = status_html("Please type your name first.", ok=False)
            return
        os.environ["JOURNEYKIT_USER"] = name  # this session's kernel: the edit journal's "who"
        self.voter = name
        self.card = VotingCard(self.ws, name)
        # the pages rebuilt when opened (others may have added what they list) sit in a box
        self.score_page = widgets.VBox([self.card])
        self.painpoints_page = widgets.VBox([painpoint_editor(self.ws)])
        pages: list[tuple[str, widgets.Widget]] = [("Score", self.score_page),
                                                   ("Pain points", self.painpoints_page),
                                                   ("Personas", persona_editor(self.ws)),
                                                   ("Touchpoints", touchpoint_editor(self.ws))]
        if self.facilitator:
            self.room = RoomVotes(self.ws)
            pages.append(("Room", self.room))
        self.tabs = widgets.Tab(children=[page for _, page in pages])
        for position, (title, _page) in enumerate(pages):
            self.tabs.set_title(position, title)
        built_from = self._tables_now()
        self._built = {"Score": built_from, "Pain points": built_from}
        self.tabs.observe(lambda change: self.reopen(change["new"]), names="selected_index")
        started: tuple[widgets.Widget, ...] = (widgets.HTML(f"<h2>Journey workshop</h2><p>Signed in as <b>{html.escape(name)}</b>. "
                                      "Every choice is saved at once.</p>"), self.message, self.tabs)
        self.children = started

    def _tables_now(self) -> tuple[str, ...]:
        """What the rebuilt pages list, as text to compare: the touchpoints and pain points."""
        found = []
        for table in ("touchpoints", "painpoints"):
            frame = self.ws.tables.get(table)
            found.append("" if frame is None else frame.to_csv(index=False))
        return tuple(found)

    def reopen(self, position: int | None) -> None:
        """Rebuild the Score or Pain points page at ``position`` from the files as they are
        now, so that what others added since (pain points, touchpoints) can be scored; a
        table that cannot be read now keeps the page as it was, with the reason."""
        if self.tabs is None or position is None or self.tabs.get_title(position) not in ("Score", "Pain points"):
            return
        try:
            for table in ("touchpoints", "painpoints"):
                frame = read_table_now(self.ws, table)
                if frame is not None:
                    self.ws.tables[table] = frame
        except JourneykitError as error:
            self.message.value = status_html(f"Could not read the latest tables: {error}", ok=False)
            return
        self.message.value = ""
        title = self.tabs.get_title(position)
        shown = self._tables_now()
        if self._built.get(title) == shown:  # nothing new: keep the page (and what is typed in it)
            return
        self._built[title] = shown
        if title == "Score":
            self.card = VotingCard(self.ws, self.voter)
            self.score_page.children = (self.card,)
        else:
            self.painpoints_page.children = (painpoint_editor(self.ws),)


def room_votes(ws: Workspace, *, interval: float | None = REFRESH_S) -> RoomVotes:
    """The room's votes, live (every ``interval`` seconds), for the facilitator's notebook.

    Example:
        >>> jk.room_votes(ws)                                  # doctest: +SKIP
    """
    return RoomVotes(ws, interval=interval)


def workshop_app(ws: Workspace | str | os.PathLike | None = None, *, facilitator: bool = True) -> WorkshopApp:
    """The workshop app for ``ws`` (a workspace or its folder; None: the folder named by
    ``JOURNEYKIT_WORKSPACE``, else the demo). With a name in ``JOURNEYKIT_USER`` it starts
    at once (``journeykit workshop serve`` clears it: each participant types their own).

    Example:
        >>> jk.workshop_app("our-shop")                        # doctest: +SKIP
    """
    if not isinstance(ws, Workspace):
        ws = load_workspace(ws if ws is not None else (os.environ.get(WORKSPACE_ENV) or None))
    app = WorkshopApp(ws, facilitator=facilitator)
    if os.environ.get("JOURNEYKIT_USER", "").strip():
        app.start(os.environ["JOURNEYKIT_USER"])
    return app
