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
from typing import Literal

import pandas as pd

from journeykit.analytics.events.source import (
    EventColumns,
    EventSource,
    SourceLike,
    by_list,
    names,
    normalised_sql,
    open_events,
    timestamp_sql,
)
from journeykit.core._sql import ident, literals
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

__all__ = ["MAX_GRID_CELLS", "RETENTION_KINDS", "RETENTION_SEMANTICS", "retention", "retention_curves"]

#: The most cohort x period cells one retention table may have (its memory is this many
#: rows). Data spanning centuries (e.g. a date in year 1 and one in 9999) would otherwise
#: build a grid of millions of rows per cohort; beyond this, retention refuses with an
#: error that says how to narrow it (``max_periods``, a longer ``period``, or fix the dates).
MAX_GRID_CELLS = 1_000_000

RETENTION_SEMANTICS = """\
Retention: a customer's cohort is the period of their first cohort event (any event by \
default). A customer counts as retained in period n (n >= 1 periods after the cohort period) \
if they have a return event (any event by default) in that period - "returned in that \
period", not "still active since" - or, with kind "on or after" (rolling, unbounded \
retention), in that period or any later one. Shares are relative to the cohort size \
(period 0 = 100%). Periods after the last timestamp in the data are not shown. By a \
breakdown, each customer belongs to one group: a column of the log takes its value on the \
customer's first cohort event (first touch; the first non-missing one; equal times: the smallest value), a column of \
the customers table (persona) its value for the customer; per group, the retention curve \
pools the cohorts that have reached period n: retained customers / their cohorts' sizes."""

#: the kinds of retention: returned in that period, or in that period or later
RETENTION_KINDS = ("returned", "on_or_after")


_PERIODS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year",
            "day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def retention(
    source: SourceLike,
    *,
    period: str = "M",
    cohort_event: str | Sequence[str] | None = None,
    return_event: str | Sequence[str] | None = None,
    max_periods: int | None = None,
    kind: Literal["returned", "on_or_after"] = "returned",
    by: str | Sequence[str] | None = None,
    customers: pd.DataFrame | None = None,
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
    ("returned in that period"); with ``kind="on_or_after"``, in the n-th period or any
    later one (rolling retention: never rises with n). See :data:`RETENTION_SEMANTICS`.

    ``by``: column(s) to break the cohorts down by, one group per customer: a column of the
    source takes its value on the customer's first cohort event (e.g. ``"channel"``: the
    first channel; ``"product"`` on orders: the first product); a column of ``customers``
    (a table with ``customer_id``) its value there. For a Workspace, ``customers``
    defaults to its customers table, whose ``persona_id`` is also ``"persona"``.

    Returns long format, one row per cohort and period 0..last period in the data (or
    ``max_periods``), ordered by cohort then period (the ``by`` columns first, one grid per
    group):

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
    if kind not in RETENTION_KINDS:
        raise JourneykitError(f"kind must be 'returned' or 'on_or_after'; got {kind!r}")
    cohort_names, return_names = names(cohort_event, "cohort_event"), names(return_event, "return_event")
    by_cols = by_list(by)
    if customers is None and isinstance(source, Workspace) and by_cols:
        customers = source.customers
    if customers is not None and "persona_id" in customers.columns and "persona" not in customers.columns:
        customers = customers.assign(persona=customers["persona_id"])
    with open_events(source, (customer, event)) as src:
        if timestamp is None:
            timestamp = "timestamp" if "timestamp" in src.columns else "date" if "date" in src.columns else None
            if timestamp is None:
                raise JourneykitError(
                    f"no 'timestamp' or 'date' column in {src.label}; pass timestamp=... "
                    f"(available: {', '.join(src.columns)})"
                )
        from_log = tuple(c for c in by_cols if c in src.columns)
        looked_up = _customer_groups(src, [c for c in by_cols if c not in from_log], customers)
        if event in src.columns:
            base = normalised_sql(src, EventColumns(customer=customer, timestamp=timestamp, event=event,
                                                    by=from_log))
        elif cohort_names or return_names:
            raise JourneykitError(
                f"column {event!r} not found in {src.label}; cohort_event/return_event need it: "
                f"pass event=... (available: {', '.join(src.columns)})"
            )
        else:
            src.require(customer, "customer")
            src.require(timestamp, "timestamp")
            ts = timestamp_sql(src, timestamp)
            groups = "".join(f", {ident(c)} AS g{i}" for i, c in enumerate(from_log))
            base = (
                f"SELECT * FROM (SELECT CAST({ident(customer)} AS VARCHAR) AS cid, {ts} AS ts, "
                f"'activity' AS name{groups} FROM jk_src WHERE {ident(customer)} IS NOT NULL) WHERE ts IS NOT NULL"
            )
        is_cohort = f"name IN ({literals(cohort_names)})" if cohort_names else "TRUE"
        cohort_filter = f" FILTER (WHERE {is_cohort})" if cohort_names else ""
        return_where = f" WHERE name IN ({literals(return_names)})" if return_names else ""
        name = ", name" if cohort_names or return_names else ""
        # g<i>: the group columns of the output; from the log, the value on the first cohort event
        glog = [f"g{i}" for i in range(len(from_log))]
        first_touch = "".join(
            f", arg_min(CAST({g} AS VARCHAR), struct_pack(a := ts, b := CAST({g} AS VARCHAR))){cohort_filter} AS {g}"
            for g in glog)
        gcols = [f"g{i}" for i in range(len(by_cols))]
        pick = []
        for i, c in enumerate(by_cols):
            pick.append(f"c.g{from_log.index(c)} AS g{i}" if c in from_log else f"l.{ident(c)} AS g{i}")
        join = " LEFT JOIN jk_retention_groups l ON c.cid = l.cid" if looked_up else ""
        gsel = "".join(f"{g}, " for g in gcols)
        ctes = [
            f"ev AS MATERIALIZED (SELECT cid, date_trunc('{part}', ts) AS per{name}"
            f"{''.join(f', {g}, ts' if k == 0 else f', {g}' for k, g in enumerate(glog))} FROM ({base}))",
            f"coh0 AS (SELECT * FROM (SELECT cid, min(per){cohort_filter} AS cohort{first_touch} "
            "FROM ev GROUP BY cid) WHERE cohort IS NOT NULL)",
            f"coh AS (SELECT c.cid, c.cohort{''.join(', ' + p for p in pick)} FROM coh0 c{join})",
            f"act AS (SELECT DISTINCT cid, per FROM ev{return_where})",
            # "returned": a customer per period they were active in; "on or after": once, at
            # their last active period (they count in every period up to it)
            (f"ret AS (SELECT {gsel}c.cohort, date_diff('{part}', c.cohort, a.per) AS period, count(*) AS customers "
             "FROM coh c JOIN act a ON c.cid = a.cid WHERE a.per > c.cohort GROUP BY ALL)") if kind == "returned" else
            (f"ret AS (SELECT {gsel}cohort, period, count(*) AS customers FROM (SELECT {gsel}c.cohort, "
             f"date_diff('{part}', c.cohort, max(a.per)) AS period FROM coh c JOIN act a ON c.cid = a.cid "
             f"WHERE a.per > c.cohort GROUP BY c.cid, {''.join(f'c.{g}, ' for g in gcols)}c.cohort) "
             f"GROUP BY {gsel}cohort, period)"),
            f"sizes AS (SELECT {gsel}cohort, count(*) AS cohort_size FROM coh GROUP BY ALL)",
        ]
        on = " AND ".join(f"s.{g} IS NOT DISTINCT FROM r.{g}" for g in [*gcols, "cohort"])
        query = (
            f"WITH {', '.join(ctes)} SELECT s.cohort, s.cohort_size, "
            f"date_diff('{part}', s.cohort, (SELECT max(per) FROM ev)) AS last_period, "
            "list(struct_pack(p := r.period, n := r.customers)) FILTER (WHERE r.period IS NOT NULL) AS returned"
            f"{''.join(f', s.{g}' for g in gcols)} "
            f"FROM sizes s LEFT JOIN ret r ON {on} GROUP BY s.cohort, s.cohort_size"
            f"{''.join(f', s.{g}' for g in gcols)} ORDER BY "
            f"{''.join(f's.{g} NULLS LAST, ' for g in gcols)}s.cohort"
        )
        raw = src.fetch(query)
    cells = sum((int(row[2]) if max_periods is None else min(int(row[2]), max_periods)) + 1 for row in raw)
    if cells > MAX_GRID_CELLS:
        first, last_cohort = (pd.Timestamp(raw[0][0]), pd.Timestamp(raw[-1][0])) if raw else (None, None)
        raise JourneykitError(
            f"retention by {part} would need {cells:,} cohort x period cells (the limit is "
            f"{MAX_GRID_CELLS:,}); the cohorts run from {first} to {last_cohort} - check the dates "
            "for values far outside the business's years, or pass max_periods=... or a longer period"
        )
    offsets = {"day": "days", "week": "weeks", "month": "months", "quarter": "months", "year": "years"}
    records = []
    for cohort, size, last_period, returned, *group_values in raw:
        returned_by_period = {int(item["p"]): int(item["n"]) for item in (returned or [])}
        periods = int(last_period) if max_periods is None else min(int(last_period), max_periods)
        if kind == "on_or_after":  # counted at their last period: retained at every period up to it
            later = 0
            for p in range(max(returned_by_period, default=0), 0, -1):
                later += returned_by_period.get(p, 0)
                returned_by_period[p] = later
        cohort_ts = pd.Timestamp(cohort)
        for p in range(periods + 1):
            count = int(size) if p == 0 else int(returned_by_period.get(p, 0))
            step = p * 3 if part == "quarter" else p
            records.append({
                **dict(zip(by_cols, group_values, strict=True)),
                "cohort": cohort_ts,
                "period": p,
                "period_start": cohort_ts + pd.DateOffset(**{offsets[part]: step}),
                "cohort_size": int(size),
                "customers": count,
                "share": count / int(size),
            })
    columns = [*by_cols, "cohort", "period", "period_start", "cohort_size", "customers", "share"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in by_cols:
        frame[column] = frame[column].astype("string")
    frame = frame.astype({"cohort": "datetime64[us]", "period_start": "datetime64[us]", "period": "int64",
                          "cohort_size": "int64", "customers": "int64", "share": "float64"})
    return frame


def _customer_groups(src: EventSource, columns: list[str], customers: pd.DataFrame | None) -> bool:
    """Register the side table ``jk_retention_groups`` (cid and ``columns``) from ``customers``;
    False when no column is looked up there."""
    if not columns:
        return False
    if customers is None or "customer_id" not in customers.columns:
        raise JourneykitError(
            f"by={columns[0]!r} is not a column of {src.label} (available: {', '.join(src.columns)}); "
            "pass customers=... (a table with customer_id and that column) to look it up per customer"
        )
    missing = [c for c in columns if c not in customers.columns]
    if missing:
        raise JourneykitError(
            f"by={missing[0]!r} is neither a column of {src.label} nor of the customers table "
            f"(log: {', '.join(src.columns)}; customers: {', '.join(map(str, customers.columns))})"
        )
    link = pd.DataFrame({"cid": customers["customer_id"].astype("string"),
                         **{c: customers[c].astype("string") for c in columns}}).drop_duplicates("cid")
    src.register("jk_retention_groups", link)
    return True


def retention_curves(frame: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Each group's retention curve, pooled over its cohorts, from :func:`retention`'s result.

    ``by``: the breakdown column(s) the retention was computed with (None = all customers
    as one curve). Period n pools the cohorts that have reached period n (whose period n
    is in the data): ``customers`` = retained customers, ``cohort_size`` = the sum of
    their cohorts' sizes, ``share`` = customers / cohort_size. One row per group and
    period, the ``by`` columns first.

    Example:
        >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
        ...     "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-02-20"])})
        >>> retention_curves(retention(orders))[["period", "customers", "cohort_size"]].values.tolist()
        [[0, 2, 2], [1, 1, 1]]
    """
    keys = [*by_list(by), "period"]
    missing = [c for c in [*keys, "customers", "cohort_size"] if c not in frame.columns]
    if missing:
        raise JourneykitError(f"retention_curves: expected retention()'s result with column(s) {missing}")
    pooled = frame.groupby(keys, dropna=False, sort=True)[["customers", "cohort_size"]].sum().reset_index()
    pooled = pooled.astype({"customers": "int64", "cohort_size": "int64"})
    pooled["share"] = (pooled["customers"] / pooled["cohort_size"]).astype("float64")
    return pooled[[*keys, "cohort_size", "customers", "share"]]
