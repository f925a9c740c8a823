"""Tables derived from others: customers from activity, events from timestamp columns.

**customers** from orders, events, feedback or tickets when a workspace has no customers
table: one row per customer id, ``first_seen`` = their first activity (the earliest date
or timestamp of any row), ``channel`` = the channel of that first activity when known.

**events-from-columns**: an export with one row per thing (an order, a deal) and a
timestamp column per step becomes events, one per filled timestamp (a people file as the
last file maps the customer column to a person id, as for line-items):
``--set customer=customer_id --set order_purchase_timestamp=order_placed
--set order_delivered_customer_date=delivered``.

Example:
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2025-02-01", "2025-01-05", "2025-03-01"]})
    >>> customers_from_activity({"orders": orders})["first_seen"].tolist()
    ['2025-01-05 00:00:00', '2025-03-01 00:00:00']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.dates import DateRules, read_dates
from journeykit.workspace.imports.base import (
    Export,
    ImportResult,
    Option,
    Preset,
    SetAside,
    find_column,
    people_lookup,
)

#: events-from-columns options that are not timestamp columns
PLAIN_OPTIONS = ("customer", "channel", "person_key", "person_id")
#: the time column of each table a customer's activity is read from
ACTIVITY_TIME = {"orders": "date", "events": "timestamp", "feedback": "date", "tickets": "opened"}


def _sortable(times: pd.Series) -> pd.Series:
    """Times as UTC instants for ordering only (the text itself is what gets written)."""
    return pd.to_datetime(times, errors="coerce", utc=True, format="mixed")


def _read_times(text: pd.Series, column: str, rules: DateRules) -> tuple[pd.Series, pd.Series]:
    """A column of time texts read as the loader reads it (one day/month order per column,
    decided from its values and ``rules.dayfirst``): wall-clock times in the workspace time
    zone (naive) for ordering, and the text to write (ISO; an instant keeps its offset)."""
    cells = text.astype("string").str.strip().replace("", pd.NA)
    parsed = read_dates(cells, column, rules, lambda *args, **kwargs: None)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        local = parsed.dt.tz_convert(rules.timezone)
        written = local.dt.strftime("%Y-%m-%d %H:%M:%S%z")
        local = local.dt.tz_localize(None)
    else:
        local = parsed
        written = parsed.dt.strftime("%Y-%m-%d %H:%M:%S")
    return local.astype("datetime64[us]"), written.astype(object)


def customers_from_activity(tables: Mapping[str, pd.DataFrame], rules: DateRules | None = None) -> pd.DataFrame:
    """One row per customer id found in ``tables`` (canonical text frames), with the first
    activity's time as ``first_seen`` (ISO text; each table's times read as the loader reads
    them under ``rules``: day/month order, workspace time zone) and its channel. Rows
    without a customer id or a readable time are not counted."""
    rules = rules or DateRules()
    parts = []
    for name, time_column in ACTIVITY_TIME.items():
        frame = tables.get(name)
        if frame is None or "customer_id" not in frame.columns or time_column not in frame.columns:
            continue
        channel = frame["channel"] if "channel" in frame.columns else pd.Series("", index=frame.index)
        order, written = _read_times(frame[time_column], time_column, rules)
        parts.append(pd.DataFrame({"customer_id": frame["customer_id"].astype(str).str.strip().to_numpy(),
                                   "first_seen": written.to_numpy(), "channel": channel.fillna("").astype(str)
                                   .to_numpy(), "_order": order.to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=["customer_id", "first_seen", "channel"], dtype=object)
    every = pd.concat(parts, ignore_index=True)
    every = every[(every["customer_id"] != "") & (every["customer_id"] != "nan")].dropna(subset=["_order"])
    first = every.sort_values(["customer_id", "_order"], kind="stable").drop_duplicates("customer_id")
    return first.drop(columns="_order").reset_index(drop=True)


def events_from_columns(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """Each ``COLUMN=event_name`` option turns one timestamp column into events."""
    result = ImportResult("events-from-columns", [e.name for e in exports])
    steps = {column: event for column, event in options.items() if column not in PLAIN_OPTIONS}
    if not steps:
        result.problems.append(Problem(
            "(options)", "at least one --set TIMESTAMP_COLUMN=event_name, e.g. "
            "--set order_purchase_timestamp=order_placed", table="events"))
        return result
    frames = []
    mapping = None
    if len(exports) > 1:  # the last file: people (customer key -> person id)
        people = exports[-1]
        result.rows_in[people.name] = len(people.frame)
        mapping = people_lookup(people, find_column(people, options.get("person_key", options.get("customer",
                                "customer_id"))), find_column(people, options.get("person_id", "customer_unique_id")),
                                "events", result.problems)
        if mapping is None:
            return result
        exports = exports[:-1]
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
        who = find_column(export, options.get("customer", "customer_id"))
        if who is None:
            result.problems.append(Problem(export.name, f"a customer column {options.get('customer', 'customer_id')!r} "
                                           "(--set customer=COLUMN)", row=1, table="events"))
            continue
        channel_col = find_column(export, options["channel"]) if "channel" in options else None
        for column, event in steps.items():
            found = find_column(export, column)
            if found is None:
                result.problems.append(Problem(export.name, f"a timestamp column {column!r} (from --set {column}=...)",
                                               row=1, column=column, table="events"))
                continue
            times = export.frame[found].astype(str).str.strip()
            filled = times != ""
            frames.append(pd.DataFrame({
                "customer_id": export.frame[who].astype(str).str.strip(),
                "timestamp": times, "event": event,
                "channel": export.frame[channel_col].astype(str) if channel_col else "",
            })[filled])
            blank = int((~filled).sum())
            if blank:
                result.notes.append(f"{blank:,} row(s) of {export.name} have no {found!r}: no {event!r} event for them")
        no_person = export.frame[who].astype(str).str.strip() == ""
        if no_person.any():
            result.set_aside.append(SetAside(export.name, export.rows(no_person), "no customer id", "events"))
    if frames:
        events = pd.concat(frames, ignore_index=True)
        events = events[events["customer_id"] != ""]
        if mapping is not None:
            mapped = events["customer_id"].map(mapping)
            result.notes.append(f"customers identified through {people.name} ({mapped.nunique():,} people for "
                                f"{events['customer_id'].nunique():,} keys)")
            events["customer_id"] = mapped.fillna(events["customer_id"])
        order = _sortable(events["timestamp"])
        result.tables["events"] = events.assign(_o=order).sort_values(["customer_id", "_o"], kind="stable") \
            .drop(columns="_o").reset_index(drop=True)
    return result


PRESETS: tuple[Preset, ...] = (
    Preset("events-from-columns", "derived tables", "any export with one timestamp column per step",
           ("events",), events_from_columns, options=(
               Option("customer", "the column identifying the customer (default customer_id)"),
               Option("channel", "a channel column, if any"),
               Option("person_key", "with a people file as the last file: its column matching the customer"),
               Option("person_id", "with a people file as the last file: its column identifying a person "
                      "(default customer_unique_id)"),
               Option("COLUMN", "COLUMN=event_name for each timestamp column that becomes an event")),
           open_options=True),
)
