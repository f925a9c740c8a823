"""Paths through sessions, directly-follows transitions and the step matrix of event
logs, computed by DuckDB (see :data:`PATHS_SEMANTICS`).

Example:
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00"])})
    >>> paths(log)["path"].tolist()
    ['view', 'view → buy']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from journeykit.analytics.events.source import (
    DEFAULT,
    EventColumns,
    EventSource,
    SourceLike,
    _Default,
    interval,
    names,
    normalised_sql,
    open_events,
    positive_int,
    session_gap_of,
)
from journeykit.core._sql import literal, literals
from journeykit.core.durations import DurationLike
from journeykit.workspace import Workspace

__all__ = ["END", "PATHS_SEMANTICS", "START", "paths", "step_matrix", "transitions"]

END = "(end)"
"""The end state in :func:`transitions`, :func:`step_matrix`: the session/history ended."""
START = "(start)"
"""The start state in :func:`transitions` with ``include_start=True``."""

PATHS_SEMANTICS = """\
Paths and transitions: each customer's events in time order (equal times ordered by event \
name); a new session starts after more than the session gap of inactivity. A transition is \
an event directly followed by the next event of the same session ("(end)" when the session \
ends), as in process mining's directly-follows graph."""


def _sessions_ctes(src: EventSource, cols: EventColumns, session_gap: pd.Timedelta | None,
                   having: tuple[str, ...] | None = None) -> list[str]:
    """CTEs ending in ``sess``: cid, ts, name, sid (session number), pos (1-based in session).

    One sort of the log by customer, time and name: the row number in the customer's
    history (``rn``) and the session starts come from it; the session number and the
    position in the session are running sums over ``rn`` (integers, cheap to order), not
    a second sort of the whole log by session. ``having``: only the customers with one of
    these events (a path anchored on an event never starts elsewhere), so the sort is of
    their events alone."""
    order = "PARTITION BY cid ORDER BY ts, name"
    if having:
        ctes = [f"ev_all AS ({normalised_sql(src, cols)})",
                f"ev AS (SELECT * FROM ev_all WHERE cid IN (SELECT cid FROM ev_all WHERE name IN ({literals(having)})))"]
    else:
        ctes = [f"ev AS ({normalised_sql(src, cols)})"]
    if session_gap is None:
        ctes.append(f"sess AS (SELECT cid, ts, name, 1 AS sid, row_number() OVER ({order}) AS pos FROM ev)")
        return ctes
    ctes.append(
        f"l AS (SELECT cid, ts, name, row_number() OVER ({order}) AS rn, "
        f"CASE WHEN lag(ts) OVER ({order}) IS NULL "
        f"OR ts - lag(ts) OVER ({order}) > {interval(session_gap)} THEN 1 ELSE 0 END AS new FROM ev)"
    )
    running = "OVER (PARTITION BY cid ORDER BY rn ROWS UNBOUNDED PRECEDING)"
    ctes.append(
        f"sess AS (SELECT cid, ts, name, sum(new) {running} AS sid, "
        f"rn - max(CASE WHEN new = 1 THEN rn END) {running} + 1 AS pos FROM l)"
    )
    return ctes


def paths(
    source: SourceLike,
    *,
    start: str | Sequence[str] | None = None,
    end: str | Sequence[str] | None = None,
    max_steps: int = 5,
    session_gap: DurationLike | _Default = DEFAULT,
    top: int | None = 20,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """The most common paths through a session, with counts and shares.

    ``source`` is a :class:`~journeykit.workspace.Workspace` (its event log) or a log given
    directly (DataFrame, Parquet/CSV path or glob, DuckDB relation); ``customer``,
    ``event``, ``timestamp`` name the columns. A session is a customer's run of events
    with no gap longer than ``session_gap`` (None = the whole history is one session; not
    passed, journey.yaml's ``defaults.session_gap`` for a Workspace, else 30 minutes). A
    path starts at the session's first event, or at its first ``start`` event (sessions
    without one are left out), and runs to the session's end, or to the first ``end``
    event after the start, inclusive (sessions without one are left out); it is cut after
    ``max_steps`` events.

    Returns the ``top`` paths (None = all), most sessions first, with columns:

    - ``path``: the events joined by " → ", ending in " → …" when cut at ``max_steps``,
    - ``events`` (tuple of event names), ``length`` (number of events), ``truncated`` (bool),
    - ``sessions``, ``customers`` (distinct), ``share`` = sessions / all sessions counted.

    Example:
        >>> import pandas as pd
        >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00"])})
        >>> paths(log)["path"].tolist()
        ['view', 'view → buy']
    """
    positive_int(max_steps, "max_steps")
    if top is not None:
        positive_int(top, "top")
    gap = session_gap_of(source, session_gap)
    starts, ends = names(start, "start"), names(end, "end")
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event)
    if isinstance(source, Workspace):
        # every path once per workspace state (and run): the map's off-map paths (02) and the
        # top paths (04) read the same sessions, a long scan on a large log; the ordering is
        # total, so the first ``top`` of all paths are the query's ``LIMIT top``
        key = ("events.paths", starts, ends, max_steps, gap, cols)
        every = source.memo(key, lambda: _paths(source, starts, ends, max_steps, gap, cols, None))
        return every if top is None else every.head(top)
    return _paths(source, starts, ends, max_steps, gap, cols, top)


def _paths(source: SourceLike, starts: tuple[str, ...] | None, ends: tuple[str, ...] | None, max_steps: int,
           gap: pd.Timedelta | None, cols: EventColumns, top: int | None) -> pd.DataFrame:
    customer, event = cols.customer, cols.event
    with open_events(source, (customer, event)) as src:
        ctes = _sessions_ctes(src, cols, gap, starts)
        # Only windows and plain (spillable) aggregates, no join back to the events and no
        # ordered list per session: a log of millions of short sessions stays within the
        # memory limit. A path is its events at steps 1..max_steps (columns e1..eK).
        in_session = "OVER (PARTITION BY cid, sid)"
        p0 = f"min(CASE WHEN name IN ({literals(starts)}) THEN pos END) {in_session}" if starts else "1"
        ctes.append(f"b AS (SELECT cid, sid, name, pos, {p0} AS p0 FROM sess)")
        if ends:
            pend = f"min(CASE WHEN pos >= p0 AND name IN ({literals(ends)}) THEN pos END) {in_session}"
            ctes.append(f"e AS (SELECT *, {pend} AS pend FROM b WHERE p0 IS NOT NULL)")
            ctes.append(
                f"k AS (SELECT cid, sid, name, pos - p0 + 1 AS j, pend > p0 + {max_steps - 1} AS tr FROM e "
                f"WHERE pend IS NOT NULL AND pos BETWEEN p0 AND least(pend, p0 + {max_steps - 1}))"
            )
        else:  # cut when the session has an event at step max_steps + 1
            ctes.append(
                f"k AS (SELECT cid, sid, name, pos - p0 + 1 AS j, pos - p0 = {max_steps} AS tr FROM b "
                f"WHERE p0 IS NOT NULL AND pos BETWEEN p0 AND p0 + {max_steps})"
            )
        steps = [f"e{k}" for k in range(1, max_steps + 1)]
        picks = ", ".join(f"any_value(name) FILTER (WHERE j = {k}) AS e{k}" for k in range(1, max_steps + 1))
        ctes.append(f"ps AS (SELECT cid, {picks}, bool_or(tr) AS truncated FROM k GROUP BY cid, sid)")
        ctes.append(f"pc AS (SELECT {', '.join(steps)}, truncated, cid, count(*) AS n FROM ps GROUP BY ALL)")
        length = " + ".join(f"CAST({e} IS NOT NULL AS INTEGER)" for e in steps)
        limit = "" if top is None else f" LIMIT {top}"
        query = (
            f"WITH {', '.join(ctes)} SELECT list_slice([{', '.join(steps)}], 1, {length}) AS evs, truncated, "
            "sum(n) AS sessions, count(*) AS customers, sum(sum(n)) OVER () AS total FROM pc "
            f"GROUP BY {', '.join(steps)}, truncated ORDER BY sessions DESC, evs, truncated{limit}"
        )
        raw = src.frame(query)
    out = pd.DataFrame({
        "path": [" → ".join(e) + (" → …" if t else "") for e, t in zip(raw["evs"], raw["truncated"], strict=True)],
        "events": [tuple(e) for e in raw["evs"]],
        "length": [len(e) for e in raw["evs"]],
        "truncated": raw["truncated"].astype(bool),
        "sessions": raw["sessions"].astype("int64"),
        "customers": raw["customers"].astype("int64"),
        "share": (raw["sessions"] / raw["total"]).astype("float64"),
    })
    return out


def transitions(
    source: SourceLike,
    *,
    session_gap: DurationLike | _Default = DEFAULT,
    include_start: bool = False,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """Counts and probabilities of event → next event within a session (directly-follows).

    Source, columns and sessions (``session_gap`` and its default) as in :func:`paths`. The last event of a session goes to :data:`END`
    ("(end)"); with ``include_start``, rows from :data:`START` ("(start)") to each
    session's first event are added.

    Returns columns ``source``, ``target``, ``count`` (int) and ``probability`` =
    count / all transitions out of ``source`` (so probabilities per source sum to 1),
    ordered by source, then count descending.

    Example:
        >>> import pandas as pd
        >>> log = pd.DataFrame({"customer_id": ["a", "a"], "event": ["view", "buy"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05"])})
        >>> transitions(log)[["source", "target", "count"]].values.tolist()
        [['buy', '(end)', 1], ['view', 'buy', 1]]
    """
    gap = session_gap_of(source, session_gap)
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event)
    with open_events(source, (customer, event)) as src:
        order = "PARTITION BY cid ORDER BY ts, name"
        broken = "FALSE" if gap is None else f"lead(ts) OVER ({order}) - ts > {interval(gap)}"
        started = "FALSE" if gap is None else f"ts - lag(ts) OVER ({order}) > {interval(gap)}"
        ctes = [
            f"ev AS ({normalised_sql(src, cols)})",
            f"o AS (SELECT name, CASE WHEN lead(name) OVER ({order}) IS NULL OR {broken} THEN {literal(END)} "
            f"ELSE lead(name) OVER ({order}) END AS target"
            + (f", lag(name) OVER ({order}) IS NULL OR {started} AS first" if include_start else "")
            + " FROM ev)",
        ]
        query = f"WITH {', '.join(ctes)} SELECT name AS source, target, count(*) AS count FROM o GROUP BY ALL"
        if include_start:
            query += f" UNION ALL SELECT {literal(START)}, name, count(*) FROM o WHERE first GROUP BY ALL"
        raw = src.frame(query)
    raw["count"] = raw["count"].astype("int64")
    raw["probability"] = raw["count"] / raw.groupby("source")["count"].transform("sum")
    raw = raw.sort_values(["source", "count", "target"], ascending=[True, False, True], kind="stable")
    return raw.reset_index(drop=True)[["source", "target", "count", "probability"]]


def step_matrix(
    source: SourceLike,
    *,
    max_steps: int = 10,
    start: str | Sequence[str] | None = None,
    top: int | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """Share of customers on each event at step k of their history.

    ``source`` and the columns as in :func:`paths`. Each customer's events in time order (equal times ordered by name), from their first
    event or their first ``start`` event (customers without one are left out). Step k is
    their k-th event; customers with fewer than k events are on :data:`END`.

    Returns a wide DataFrame: index = event name (index name ``event``), with the
    :data:`END` row last; columns = steps 1..``max_steps`` (ints, columns name ``step``);
    values = share of customers, so every column sums to 1. Rows are ordered by their total
    share, largest first. With ``top``, only the ``top`` most frequent events keep their own
    row; the rest are summed into "(other)".

    Example:
        >>> import pandas as pd
        >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00"])})
        >>> step_matrix(log, max_steps=2)[2].to_dict()
        {'view': 0.0, 'buy': 0.5, '(end)': 0.5}
    """
    positive_int(max_steps, "max_steps")
    if top is not None:
        positive_int(top, "top")
    starts = names(start, "start")
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event)
    with open_events(source, (customer, event)) as src:
        ctes = _sessions_ctes(src, cols, None)
        p0 = f"min(pos) FILTER (WHERE name IN ({literals(starts)}))" if starts else "1"
        ctes.append(f"b AS (SELECT cid, {p0} AS p0 FROM sess GROUP BY cid)")
        query = (
            f"WITH {', '.join(ctes)} SELECT s.pos - b.p0 + 1 AS step, s.name AS event, count(*) AS n, "
            "(SELECT count(*) FROM b WHERE p0 IS NOT NULL) AS total FROM sess s JOIN b ON s.cid = b.cid "
            f"WHERE s.pos >= b.p0 AND s.pos - b.p0 < {max_steps} GROUP BY ALL"
        )
        raw = src.frame(query)
    step_cols = list(range(1, max_steps + 1))
    if raw.empty:
        empty = pd.DataFrame(0.0, index=pd.Index([END], name="event"), columns=step_cols)
        empty.columns.name = "step"
        return empty
    total = int(raw["total"].iloc[0])
    counts = raw.pivot_table(index="event", columns="step", values="n", aggfunc="sum", fill_value=0)
    counts = counts.reindex(columns=step_cols, fill_value=0)
    order = counts.sum(axis=1).sort_values(ascending=False, kind="stable")
    counts = counts.loc[sorted(order.index, key=lambda e: (-order[e], e))]
    if top is not None and len(counts) > top:
        other = counts.iloc[top:].sum(axis=0).rename("(other)")
        counts = pd.concat([counts.iloc[:top], other.to_frame().T])
    counts.loc[END] = total - counts.sum(axis=0)
    shares = (counts / total).astype("float64")
    shares.index = pd.Index([str(i) for i in shares.index], name="event")
    shares.columns = pd.Index(step_cols, name="step")
    return shares


