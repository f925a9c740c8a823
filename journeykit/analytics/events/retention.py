"""Cohort retention on event logs or orders tables, computed by DuckDB (see
:data:`RETENTION_SEMANTICS`).

Example:
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20"])})
    >>> retention(orders)["share"].tolist()
    [1.0, 0.5]
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from journeykit.analytics.events.source import (
    EventColumns,
    SourceLike,
    names,
    normalised_sql,
    open_events,
    timestamp_sql,
)
from journeykit.core._sql import ident, literals
from journeykit.core.errors import JourneykitError

__all__ = ["MAX_GRID_CELLS", "RETENTION_SEMANTICS", "retention"]

#: The most cohort x period cells one retention table may have (its memory is this many
#: rows). Data spanning centuries (e.g. a date in year 1 and one in 9999) would otherwise
#: build a grid of millions of rows per cohort; beyond this, retention refuses with an
#: error that says how to narrow it (``max_periods``, a longer ``period``, or fix the dates).
MAX_GRID_CELLS = 1_000_000

RETENTION_SEMANTICS = """\
Retention: a customer's cohort is the period of their first cohort event (any event by \
default). A customer counts as retained in period n (n >= 1 periods after the cohort period) \
if they have a return event (any event by default) in that period - "returned in that \
period", not "still active since". Shares are relative to the cohort size (period 0 = 100%). \
Periods after the last timestamp in the data are not shown."""


_PERIODS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year",
            "day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def retention(
    source: SourceLike,
    *,
    period: str = "M",
    cohort_event: str | Sequence[str] | None = None,
    return_event: str | Sequence[str] | None = None,
    max_periods: int | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str | None = None,
) -> pd.DataFrame:
    """Cohort retention: share of each cohort that returned in each later period.

    ``source`` is a :class:`~journeykit.workspace.Workspace` (its event log), or an events
    log or orders table given directly (DataFrame, Parquet/CSV path or glob, DuckDB
    relation; an orders table: ``timestamp`` defaults to the
    ``timestamp`` column, else ``date``; without an event column every row is activity).
    ``period`` is "D", "W" (weeks start on Monday), "M", "Q" or "Y". A customer's cohort is
    the period of their first ``cohort_event`` (any event if None); they count in period n
    if they have a ``return_event`` (any event if None) in the n-th period after it
    ("returned in that period"). See :data:`RETENTION_SEMANTICS`.

    Returns long format, one row per cohort and period 0..last period in the data (or
    ``max_periods``), ordered by cohort then period:

    - ``cohort`` (Timestamp: start of the cohort period), ``period`` (int),
    - ``period_start`` (Timestamp), ``cohort_size`` (int), ``customers`` (int; period 0 = cohort size),
    - ``share`` = customers / cohort_size.

    For a heatmap: ``r.pivot(index="cohort", columns="period", values="share")``.

    Raises:
        JourneykitError: a bad ``period``/``max_periods``, a missing column, or a grid of
            more than :data:`MAX_GRID_CELLS` cohort x period cells (data spanning centuries).

    Example:
        >>> import pandas as pd
        >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
        ...     "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20"])})
        >>> retention(orders)[["period", "customers", "share"]].to_dict("list")
        {'period': [0, 1], 'customers': [2, 1], 'share': [1.0, 0.5]}
    """
    part = _PERIODS.get(period)
    if part is None:
        raise JourneykitError(f"period must be one of 'D', 'W', 'M', 'Q', 'Y'; got {period!r}")
    if max_periods is not None and (not isinstance(max_periods, int) or max_periods < 0):
        raise JourneykitError(f"max_periods must be a non-negative integer or None; got {max_periods!r}")
    cohort_names, return_names = names(cohort_event, "cohort_event"), names(return_event, "return_event")
    with open_events(source, (customer, event)) as src:
        if timestamp is None:
            timestamp = "timestamp" if "timestamp" in src.columns else "date" if "date" in src.columns else None
            if timestamp is None:
                raise JourneykitError(
                    f"no 'timestamp' or 'date' column in {src.label}; pass timestamp=... "
                    f"(available: {', '.join(src.columns)})"
                )
        if event in src.columns:
            base = normalised_sql(src, EventColumns(customer=customer, timestamp=timestamp, event=event))
        elif cohort_names or return_names:
            raise JourneykitError(
                f"column {event!r} not found in {src.label}; cohort_event/return_event need it: "
                f"pass event=... (available: {', '.join(src.columns)})"
            )
        else:
            src.require(customer, "customer")
            src.require(timestamp, "timestamp")
            ts = timestamp_sql(src, timestamp)
            base = (
                f"SELECT * FROM (SELECT CAST({ident(customer)} AS VARCHAR) AS cid, {ts} AS ts, "
                f"'activity' AS name FROM jk_src WHERE {ident(customer)} IS NOT NULL) WHERE ts IS NOT NULL"
            )
        cohort_filter = f" FILTER (WHERE name IN ({literals(cohort_names)}))" if cohort_names else ""
        return_where = f" WHERE name IN ({literals(return_names)})" if return_names else ""
        name = ", name" if cohort_names or return_names else ""
        ctes = [
            f"ev AS MATERIALIZED (SELECT cid, date_trunc('{part}', ts) AS per{name} FROM ({base}))",
            f"coh AS (SELECT * FROM (SELECT cid, min(per){cohort_filter} AS cohort "
            "FROM ev GROUP BY cid) WHERE cohort IS NOT NULL)",
            f"act AS (SELECT DISTINCT cid, per FROM ev{return_where})",
            f"ret AS (SELECT c.cohort, date_diff('{part}', c.cohort, a.per) AS period, count(*) AS customers "
            "FROM coh c JOIN act a ON c.cid = a.cid WHERE a.per > c.cohort GROUP BY ALL)",
            "sizes AS (SELECT cohort, count(*) AS cohort_size FROM coh GROUP BY cohort)",
        ]
        query = (
            f"WITH {', '.join(ctes)} SELECT s.cohort, s.cohort_size, "
            f"date_diff('{part}', s.cohort, (SELECT max(per) FROM ev)) AS last_period, "
            "list(struct_pack(p := r.period, n := r.customers)) FILTER (WHERE r.period IS NOT NULL) AS returned "
            "FROM sizes s LEFT JOIN ret r ON s.cohort = r.cohort GROUP BY s.cohort, s.cohort_size ORDER BY s.cohort"
        )
        raw = src.fetch(query)
    cells = sum((int(last) if max_periods is None else min(int(last), max_periods)) + 1 for _, _, last, _ in raw)
    if cells > MAX_GRID_CELLS:
        first, last_cohort = (pd.Timestamp(raw[0][0]), pd.Timestamp(raw[-1][0])) if raw else (None, None)
        raise JourneykitError(
            f"retention by {part} would need {cells:,} cohort x period cells (the limit is "
            f"{MAX_GRID_CELLS:,}); the cohorts run from {first} to {last_cohort} - check the dates "
            "for values far outside the business's years, or pass max_periods=... or a longer period"
        )
    offsets = {"day": "days", "week": "weeks", "month": "months", "quarter": "months", "year": "years"}
    records = []
    for cohort, size, last_period, returned in raw:
        returned_by_period = {item["p"]: item["n"] for item in (returned or [])}
        periods = int(last_period) if max_periods is None else min(int(last_period), max_periods)
        cohort_ts = pd.Timestamp(cohort)
        for p in range(periods + 1):
            count = int(size) if p == 0 else int(returned_by_period.get(p, 0))
            step = p * 3 if part == "quarter" else p
            records.append({
                "cohort": cohort_ts,
                "period": p,
                "period_start": cohort_ts + pd.DateOffset(**{offsets[part]: step}),
                "cohort_size": int(size),
                "customers": count,
                "share": count / int(size),
            })
    columns = ["cohort", "period", "period_start", "cohort_size", "customers", "share"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame = frame.astype({"cohort": "datetime64[us]", "period_start": "datetime64[us]", "period": "int64",
                          "cohort_size": "int64", "customers": "int64", "share": "float64"})
    return frame
