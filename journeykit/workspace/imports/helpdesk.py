"""Help-desk presets: Zendesk and Freshdesk CSV views -> tickets.

Both tools write dates the way the exporting agent's profile says (``05/03/2024 14:02``
in Europe, ``03/05/2024 2:02 PM`` in the US, ``2024-03-05 14:02:11 +0100`` in a full
export), so dates are passed through **unchanged**: the loader decides each column's
day/month order from its values and journey.yaml ``defaults.dayfirst``, errs when they
contradict it and warns when no value decides (never a silent guess).

**zendesk** (a view exported as CSV, or the full CSV export): ticket_id = ``Id`` /
``ID`` / ``Ticket ID`` (a leading ``#`` dropped); opened = ``Created at`` / ``Requested``;
closed = ``Solved at``, or, when the export has no such column, ``Updated`` / ``Updated at``
for solved and closed tickets (a note says so); customer = ``Requester email``
(lower-cased), else ``Requester external id``, else ``Requester id``; channel from ``Via``
/ ``Channel``; category = ``Category``, else ``Ticket type`` / ``Type``, else ``Group``;
text = ``Subject`` and ``Description`` (one line break between).

**freshdesk** (Tickets > Export, CSV): ``Ticket ID``, ``Created time``; closed =
``Resolved time``, else ``Closed time``; customer = ``Requester email`` / ``Email``, else
``Contact ID``; channel from ``Source``; category = ``Category``, else ``Type``, else
``Group``.

Channels are mapped to journeykit's standard ones (:data:`CHANNELS`: ``Web Form`` and
``Portal`` -> web, ``Mail`` -> email, ``Phone call (incoming)`` -> phone, ``Twitter`` ->
social, ``Mobile SDK`` -> mobile); others are kept lower-cased. Deleted and spam tickets,
tickets without an id or a creation date, and a ticket id met a second time are set
aside. Options: ``customer=``, ``category=`` (a column name) and ``touchpoint=`` (written
on every row).

Example:
    >>> channel("Phone call (incoming)"), channel("Web Form"), channel("Portal")
    ('phone', 'web', 'web')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.imports.base import (
    Export,
    ImportResult,
    Option,
    Preset,
    SetAside,
    find_column,
    missing_columns,
)

TICKET_COLUMNS = ("ticket_id", "customer_id", "opened", "closed", "channel", "category", "text", "touchpoint")
#: a help desk's channel (lower-cased) -> journeykit's standard channel
CHANNELS = {
    "web form": "web", "web widget": "web", "web service": "web", "api": "web", "portal": "web", "chat": "web",
    "feedback widget": "web", "forum": "web", "help center": "web", "messaging": "web",
    "mail": "email", "email": "email", "e-mail": "email", "outbound email": "email",
    "phone": "phone", "phone call (incoming)": "phone", "phone call (outgoing)": "phone", "voicemail": "phone",
    "twitter": "social", "facebook": "social", "instagram": "social", "whatsapp": "social",
    "mobile sdk": "mobile", "mobile": "mobile", "mobihelp": "mobile", "sms": "mobile",
}
SET_ASIDE_STATUS = {"deleted": "ticket deleted", "spam": "ticket marked as spam"}
DONE_STATUS = {"solved", "closed", "resolved"}


def channel(value: str) -> str:
    """A help desk's channel name as a journeykit channel (unknown names lower-cased)."""
    text = str(value).strip().lower()
    return CHANNELS.get(text, text)


@dataclass(frozen=True)
class Desk:
    """Where one tool keeps each ticket field: candidate column names, first found wins."""

    name: str
    ticket_id: tuple[str, ...]
    opened: tuple[str, ...]
    closed: tuple[str, ...]
    closed_when_done: tuple[str, ...]
    customer: tuple[str, ...]
    channel: tuple[str, ...]
    category: tuple[str, ...]


ZENDESK = Desk("zendesk", ("Id", "ID", "Ticket ID", "Ticket Id"), ("Created at", "Requested", "Created"),
               ("Solved at", "Solved"), ("Updated", "Updated at"),
               ("Requester email", "Requester external id", "Requester id"), ("Via", "Channel", "Ticket channel"),
               ("Category", "Ticket type", "Type", "Group"))
FRESHDESK = Desk("freshdesk", ("Ticket ID", "Ticket Id", "ID"), ("Created time", "Created at", "Created"),
                 ("Resolved time", "Closed time"), (), ("Requester email", "Email", "Contact ID"),
                 ("Source", "Channel"), ("Category", "Type", "Group"))


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(str).str.strip().str.replace("\r\n", "\n")


def _first(export: Export, candidates: Sequence[str]) -> pd.Series:
    """Per row, the first non-blank value of the candidate columns the export has."""
    out = pd.Series("", index=export.frame.index, dtype=object)
    for candidate in candidates:
        column = find_column(export, candidate)
        if column is not None:
            out = out.where(out != "", _text(export.frame, column))
    return out


def _tickets(export: Export, desk: Desk, options: Mapping[str, str], result: ImportResult,
             seen: set[str]) -> pd.DataFrame | None:
    frame = export.frame
    id_column = find_column(export, *desk.ticket_id)
    opened_column = find_column(export, *desk.opened)
    result.problems += missing_columns(export, "tickets", {desk.ticket_id[0]: id_column,
                                                           desk.opened[0]: opened_column})
    if id_column is None or opened_column is None:
        return None
    named = {}
    for option in ("customer", "category"):
        if option in options:
            found = find_column(export, options[option])
            if found is None:
                result.problems.append(Problem(export.name, f"a column for --set {option}=... (columns found: "
                                               f"{', '.join(frame.columns)})", row=1, column=option,
                                               value=options[option], table="tickets"))
            named[option] = found
    if not result.ok:
        return None
    status = _text(frame, find_column(export, "Status")).str.lower()
    closed = _first(export, desk.closed)
    from_updates = pd.Series(False, index=frame.index)
    if not any(find_column(export, c) for c in desk.closed) and desk.closed_when_done:
        updated = _first(export, desk.closed_when_done)
        from_updates = status.isin(DONE_STATUS) & (updated != "")
        closed = updated.where(from_updates, "")
    customer = _text(frame, named["customer"]) if named.get("customer") else _first(export, desk.customer)
    customer = customer.where(~customer.str.contains("@", regex=False), customer.str.lower())
    category = _text(frame, named["category"]) if named.get("category") else _first(export, desk.category)
    subject = _text(frame, find_column(export, "Subject"))
    description = _text(frame, find_column(export, "Description"))
    joined = [s if not d or d.startswith(s) else (d if not s else f"{s}\n{d}")
              for s, d in zip(subject, description, strict=True)]
    tickets = pd.DataFrame({
        "ticket_id": _text(frame, id_column).str.lstrip("#").str.strip(),
        "customer_id": customer,
        "opened": _text(frame, opened_column),
        "closed": closed,
        "channel": _first(export, desk.channel).map(channel),
        "category": category,
        "text": pd.Series(joined, index=frame.index, dtype=object),
        "touchpoint": options.get("touchpoint", "").strip(),
    }, columns=list(TICKET_COLUMNS))
    reason = status.map(lambda s: SET_ASIDE_STATUS.get(s, ""))
    reason = reason.where(reason != "", tickets["ticket_id"].map(lambda t: "" if t else "no ticket id"))
    reason = reason.where(reason != "", tickets["opened"].map(lambda t: "" if t else "no creation date"))
    for position, ticket in enumerate(tickets["ticket_id"]):
        if reason.iloc[position] == "":
            if ticket in seen:
                reason.iloc[position] = "a ticket id met again (the first row read is kept)"
            seen.add(ticket)
    for why in dict.fromkeys(reason[reason != ""]):
        result.set_aside.append(SetAside(export.name, export.rows(reason == why), why, "tickets"))
    if (from_updates & (reason == "")).any():
        result.notes.append(f"{export.name} has no 'Solved at' column: closed = "
                            f"{find_column(export, *desk.closed_when_done)} for "
                            f"{int((from_updates & (reason == '')).sum()):,} solved or closed ticket(s), the time "
                            "of their last update")
    return tickets[reason == ""]


def _convert(desk: Desk) -> Callable[[Sequence[Export], Mapping[str, str]], ImportResult]:
    def convert(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
        result = ImportResult(desk.name, [e.name for e in exports])
        seen: set[str] = set()
        frames = []
        for export in exports:
            result.rows_in[export.name] = len(export.frame)
            tickets = _tickets(export, desk, options, result, seen)
            if tickets is not None:
                frames.append(tickets)
        if frames and result.ok:
            result.tables["tickets"] = pd.concat(frames, ignore_index=True)
        return result

    convert.__doc__ = f"{desk.name} CSV exports -> tickets (see the module docstring)."
    return convert


OPTIONS = (
    Option("customer", "the column identifying the customer (default: requester e-mail, else id)"),
    Option("category", "the column giving the ticket's category (default: Category, Type, Group)"),
    Option("touchpoint", "a touchpoint id written on every ticket"),
)

PRESETS: tuple[Preset, ...] = (
    Preset("zendesk", "help desk", "a Zendesk view or ticket export as CSV", ("tickets",), _convert(ZENDESK),
           options=OPTIONS),
    Preset("freshdesk", "help desk", "a Freshdesk ticket export as CSV", ("tickets",), _convert(FRESHDESK),
           options=OPTIONS),
)
