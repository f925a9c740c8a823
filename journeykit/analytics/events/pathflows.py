"""Paths around a chosen event: what customers do after it (:func:`paths_after`: after
``cart``?) and what led to it (:func:`paths_before`: before ``payment_failed``?), with the
share of each path among converters and non-converters, computed by DuckDB (see
:data:`PATHFLOWS_SEMANTICS`).

Sessions are those of :func:`~journeykit.analytics.events.paths.paths` (the same session
gap and tie order). The result draws as a flow chart with
:func:`journeykit.viz.path_flows.path_flow_chart`.

Example:
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b"],
    ...     "event": ["view", "cart", "pay", "cart", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01", "2024-01-01 10:02",
    ...                                  "2024-01-01 11:00", "2024-01-01 11:01"])})
    >>> paths_after(log, "cart")["path"].tolist()
    ['cart → pay', 'cart → view']
    >>> paths_before(log, "pay")["path"].tolist()
    ['view → cart → pay']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from journeykit.analytics.events.paths import _sessions_ctes
from journeykit.analytics.events.source import (
    DEFAULT,
    EventColumns,
    SourceLike,
    _Default,
    interval,
    names,
    open_events,
    positive_int,
    session_gap_of,
    window_of,
)
from journeykit.core._sql import literals
from journeykit.core.durations import DurationLike
from journeykit.core.errors import JourneykitError

__all__ = ["PATHFLOWS_COLUMNS", "PATHFLOWS_SEMANTICS", "paths_after", "paths_before"]

#: the columns of :func:`paths_after`/:func:`paths_before` (the ``goal`` ones only with a goal)
PATHFLOWS_COLUMNS = ("path", "events", "length", "truncated", "sessions", "customers", "share",
                     "converted", "conversion_rate", "share_of_converters", "share_of_non_converters")

PATHFLOWS_SEMANTICS = """\
Paths after or before an event: in every session (the sessions of the paths, same gap and \
order of equal times) that has the chosen event, its first occurrence is the anchor; the path \
after it is the anchor and up to the next N events of the session, the path before it up to \
the N events before it and the anchor ("… →" / "→ …": the session went on beyond N). Share = \
sessions on the path / sessions with the anchor. With a goal, a session converted when the \
customer has a goal event at or after the anchor within the conversion window; each path's \
conversion rate = its converted sessions / its sessions, its share of converters = its \
converted sessions / all converted sessions (likewise for non-converters), so a path far more \
common among converters than non-converters is one that goes with converting."""

Direction = Literal["after", "before"]


def paths_after(
    source: SourceLike,
    event: str | Sequence[str],
    *,
    max_steps: int = 4,
    goal: str | Sequence[str] | None = None,
    window: DurationLike | _Default = DEFAULT,
    session_gap: DurationLike | _Default = DEFAULT,
    top: int | None = 20,
    customer: str = "customer_id",
    event_column: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """What customers do after ``event`` (a name or list of names) in a session: the
    anchor and up to ``max_steps`` events after it, most common paths first.

    ``source`` and sessions (``session_gap``, default journey.yaml's
    ``defaults.session_gap``, else 30 minutes) as in
    :func:`~journeykit.analytics.events.paths.paths`; ``customer``, ``event_column``,
    ``timestamp`` name the columns. ``goal``: event name(s) a session converts with (at or
    after the anchor within ``window``: default ``defaults.window``, else 14 days; None =
    any time later). Rules: :data:`PATHFLOWS_SEMANTICS`.

    Returns the ``top`` paths (None = all), columns :data:`PATHFLOWS_COLUMNS`: ``path``
    (events joined by " → ", ending " → …" when the session went on), ``events`` (tuple,
    in time order, the anchor first), ``length`` (events, the anchor included),
    ``truncated``, ``sessions``, ``customers``, ``share`` (of all anchored sessions); with
    ``goal`` also ``converted`` (sessions), ``conversion_rate``, ``share_of_converters``,
    ``share_of_non_converters``.

    Example:
        >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["cart", "pay", "cart"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00"])})
        >>> paths_after(log, "cart", goal="pay")[["path", "conversion_rate"]].values.tolist()
        [['cart', 0.0], ['cart → pay', 1.0]]
    """
    return _anchored(source, event, "after", max_steps, goal, window, session_gap, top,
                     EventColumns(customer=customer, timestamp=timestamp, event=event_column))


def paths_before(
    source: SourceLike,
    event: str | Sequence[str],
    *,
    max_steps: int = 4,
    goal: str | Sequence[str] | None = None,
    window: DurationLike | _Default = DEFAULT,
    session_gap: DurationLike | _Default = DEFAULT,
    top: int | None = 20,
    customer: str = "customer_id",
    event_column: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """What led to ``event`` in a session: up to ``max_steps`` events before its first
    occurrence, and the anchor; arguments and columns as :func:`paths_after` (``events``
    in time order, the anchor last; ``path`` starts "… → " when the session began earlier).

    Example:
        >>> log = pd.DataFrame({"customer_id": ["a", "a", "a"], "event": ["view", "cart", "failed"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 10:06"])})
        >>> paths_before(log, "failed", max_steps=1)["path"].tolist()
        ['… → cart → failed']
    """
    return _anchored(source, event, "before", max_steps, goal, window, session_gap, top,
                     EventColumns(customer=customer, timestamp=timestamp, event=event_column))


def _anchored(source: SourceLike, event: str | Sequence[str], direction: Direction, max_steps: int,
              goal: str | Sequence[str] | None, window: DurationLike | _Default,
              session_gap: DurationLike | _Default, top: int | None, cols: EventColumns) -> pd.DataFrame:
    positive_int(max_steps, "max_steps")
    if top is not None:
        positive_int(top, "top")
    anchors = names(event, "event")
    if anchors is None:
        raise JourneykitError("event must be an event name or a list of event names; got None")
    goals = names(goal, "goal")
    gap = session_gap_of(source, session_gap)
    window_td = window_of(source, window)
    n = max_steps + 1
    with open_events(source, (cols.customer, cols.event)) as src:
        ctes = _sessions_ctes(src, cols, gap, anchors)
        session = "OVER (PARTITION BY cid, sid)"
        ctes.append(
            f"b AS (SELECT cid, sid, ts, name, pos, min(CASE WHEN name IN ({literals(anchors)}) THEN pos END) "
            f"{session} AS p0, max(pos) {session} AS plast FROM sess)"
        )
        if direction == "after":  # j = 1 is the anchor, then the events after it
            ctes.append(f"k AS (SELECT cid, sid, ts, name, pos - p0 + 1 AS j, plast > p0 + {max_steps} AS tr "
                        f"FROM b WHERE p0 IS NOT NULL AND pos BETWEEN p0 AND p0 + {max_steps})")
        else:  # j = 1 is the anchor, then the events before it, nearest first
            ctes.append(f"k AS (SELECT cid, sid, ts, name, p0 - pos + 1 AS j, p0 > {n} AS tr "
                        f"FROM b WHERE p0 IS NOT NULL AND pos BETWEEN p0 - {max_steps} AND p0)")
        steps = [f"e{j}" for j in range(1, n + 1)]
        picks = ", ".join(f"any_value(name) FILTER (WHERE j = {j}) AS e{j}" for j in range(1, n + 1))
        ctes.append(f"ps AS (SELECT cid, {picks}, bool_or(tr) AS truncated, "
                    "min(ts) FILTER (WHERE j = 1) AS t0 FROM k GROUP BY cid, sid)")
        if goals:
            limit = "" if window_td is None else f" AND g.ts <= p.t0 + {interval(window_td)}"
            ctes.append(f"goals AS (SELECT cid, ts FROM ev WHERE name IN ({literals(goals)}))")
            ctes.append(f"pg AS (SELECT p.*, (g.ts IS NOT NULL{limit}) AS conv FROM ps p "
                        "ASOF LEFT JOIN goals g ON p.cid = g.cid AND g.ts >= p.t0)")
        else:
            ctes.append("pg AS (SELECT *, FALSE AS conv FROM ps)")
        ctes.append(f"pc AS (SELECT {', '.join(steps)}, truncated, cid, count(*) AS n, "
                    "count(*) FILTER (WHERE conv) AS c FROM pg GROUP BY ALL)")
        length = " + ".join(f"CAST({e} IS NOT NULL AS INTEGER)" for e in steps)
        limit_rows = "" if top is None else f" LIMIT {top}"
        query = (
            f"WITH {', '.join(ctes)} SELECT list_slice([{', '.join(steps)}], 1, {length}) AS evs, truncated, "
            "sum(n) AS sessions, count(*) AS customers, sum(c) AS converted, sum(sum(n)) OVER () AS total, "
            "sum(sum(c)) OVER () AS total_converted FROM pc "
            f"GROUP BY {', '.join(steps)}, truncated ORDER BY sessions DESC, evs, truncated{limit_rows}"
        )
        raw = src.frame(query)
    return _frame(raw, direction, bool(goals))


def _frame(raw: pd.DataFrame, direction: Direction, with_goal: bool) -> pd.DataFrame:
    events = [tuple(e) if direction == "after" else tuple(reversed(list(e))) for e in raw["evs"]]
    truncated = raw["truncated"].astype(bool).tolist()
    if direction == "after":
        labels = [" → ".join(e) + (" → …" if t else "") for e, t in zip(events, truncated, strict=True)]
    else:
        labels = [("… → " if t else "") + " → ".join(e) for e, t in zip(events, truncated, strict=True)]
    sessions = raw["sessions"].astype("int64")
    out = pd.DataFrame({
        "path": pd.Series(labels, dtype="string"),
        "events": events,
        "length": pd.Series([len(e) for e in events], dtype="int64"),
        "truncated": pd.Series(truncated, dtype="bool"),
        "sessions": sessions,
        "customers": raw["customers"].astype("int64"),
        "share": (sessions / raw["total"]).astype("float64"),
    })
    if with_goal:
        converted = raw["converted"].astype("int64")
        total_conv = raw["total_converted"].astype("float64")
        total_not = raw["total"].astype("float64") - total_conv
        out["converted"] = converted
        out["conversion_rate"] = (converted / sessions).astype("float64")
        out["share_of_converters"] = (converted / total_conv.where(total_conv > 0)).astype("float64")
        out["share_of_non_converters"] = ((sessions - converted) / total_not.where(total_not > 0)).astype("float64")
    return out
