"""Journey analytics on event logs: funnels, drop-outs, paths, transitions, retention.

Everything is computed by DuckDB, in-process; pandas only holds the (small) results,
so logs larger than memory work: pass a path or glob of Parquet/CSV files and DuckDB
streams them, spilling to disk under the memory limit (see :func:`set_engine_options`).

``events`` may be

* a pandas DataFrame,
* a path or glob (``str`` or :class:`~pathlib.Path`, or a list of them) of ``.parquet``
  or ``.csv`` files (``.csv.gz`` too), or
* a DuckDB relation (``duckdb.DuckDBPyRelation``); the queries then run on the
  relation's own connection with its settings.

Every function takes the column-name keywords ``customer="customer_id"``,
``event="event"`` and ``timestamp="timestamp"``, and reads durations with
:func:`journeykit.core.durations.parse_duration` ("14D", "1h", "90s", "30min", a Timedelta,
or None). Timestamps may be datetimes of any resolution (ns values are truncated to
microseconds), dates, or text; values carrying a UTC offset are converted to UTC and
made naive. Rows whose customer, event or timestamp is missing are ignored. Events
with equal timestamps are ordered by event name wherever an order is needed
(paths, transitions, step matrix), except in funnels (see :data:`FUNNEL_SEMANTICS`).

Example:
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 09:00",
    ...                                  "2024-01-01 12:00"]),
    ...     "event": ["view", "buy", "view"]})
    >>> funnel(log, ["view", "buy"])[["step", "name", "customers"]]
       step  name  customers
    0     1  view          2
    1     2   buy          1
"""

from __future__ import annotations

import contextlib
import glob as globlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd

from journeykit.core._sql import connect as _connect
from journeykit.core._sql import ident as _ident
from journeykit.core._sql import literal as _lit
from journeykit.core._sql import literals as _lits
from journeykit.core._sql import set_engine_options
from journeykit.core.durations import DurationLike, parse_duration
from journeykit.core.errors import JourneykitError

__all__ = [
    "FUNNEL_SEMANTICS",
    "PATHS_SEMANTICS",
    "RETENTION_SEMANTICS",
    "END",
    "START",
    "funnel",
    "funnel_dropouts",
    "stage_funnel",
    "paths",
    "transitions",
    "step_matrix",
    "retention",
    "parse_duration",
    "set_engine_options",
]

EventsLike = pd.DataFrame | str | Path | Sequence[str | Path] | duckdb.DuckDBPyRelation
StepsLike = Sequence[str | Sequence[str]]

END = "(end)"
"""The end state in :func:`transitions`, :func:`step_matrix`: the session/history ended."""
START = "(start)"
"""The start state in :func:`transitions` with ``include_start=True``."""

FUNNEL_SEMANTICS = """\
Funnel semantics (as PostHog's funnels document them):
- The unit is the customer. Steps are ordered; a step may list alternative events \
(any of them counts).
- Every occurrence of a step-1 event opens an attempt.
- In an attempt, step k is reached by the earliest step-k event at or after the time \
step k-1 was reached. Events with equal timestamps count as if ordered by step number. \
One event counts for one step only, so the same event name listed twice needs two events; \
when several candidate events share the earliest time, the alphabetically first name is used.
- Every step must happen within the conversion window of the attempt's step-1 event; \
the window is inclusive (an event exactly one window later counts). No window = no limit.
- sequential mode allows other events between steps; strict mode does not: the customer \
may have no other event strictly between two consecutive steps' times.
- A customer counts once, at the furthest step any attempt reached; counts are cumulative \
(a customer who reached step 3 also counts at steps 1 and 2).
- Conversion is given from step 1 and from the previous step; dropped = reached the \
previous step but not this one; the median time from the previous step comes from the \
customer's first attempt (by start time) that reached their furthest step.
- With a breakdown, an attempt belongs to the group of its step-1 event, and a customer \
counts once per group."""

PATHS_SEMANTICS = """\
Paths and transitions: each customer's events in time order (equal times ordered by event \
name); a new session starts after more than the session gap of inactivity. A transition is \
an event directly followed by the next event of the same session ("(end)" when the session \
ends), as in process mining's directly-follows graph."""

RETENTION_SEMANTICS = """\
Retention: a customer's cohort is the period of their first cohort event (any event by \
default). A customer counts as retained in period n (n >= 1 periods after the cohort period) \
if they have a return event (any event by default) in that period - "returned in that \
period", not "still active since". Shares are relative to the cohort size (period 0 = 100%). \
Periods after the last timestamp in the data are not shown."""

def _interval(delta: pd.Timedelta) -> str:
    return f"to_microseconds({int(delta // pd.Timedelta(microseconds=1))})"


# ---------------------------------------------------------------------------
# sources


@dataclass
class _Source:
    """The events, readable by SQL as the view ``jk_src``."""

    rel: duckdb.DuckDBPyRelation
    label: str
    # reading the events again is cheap (Parquet, the workspace's stored events), so a
    # query may scan them once per step instead of holding them all in memory
    rescan_cheap: bool = False
    # for files: the SELECT reading them, put into each query as the CTE jk_src so the
    # CSV sniffer runs once per query instead of three times (the relation's view, bound twice)
    con: duckdb.DuckDBPyConnection | None = None
    table_sql: str | None = None

    def _relation(self, query: str) -> duckdb.DuckDBPyRelation:
        if self.con is None or self.table_sql is None:
            return self.rel.query("jk_src", query)
        source = f"jk_src AS NOT MATERIALIZED ({self.table_sql})"
        if query.startswith("WITH "):
            return self.con.sql(f"WITH {source}, {query[len('WITH '):]}")
        return self.con.sql(f"WITH {source} {query}")

    @property
    def columns(self) -> list[str]:
        return list(self.rel.columns)

    def type_of(self, column: str) -> str:
        return str(self.rel.types[self.columns.index(column)])

    def fetch(self, query: str) -> list[tuple]:
        try:
            return self._relation(query).fetchall()
        except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException) as error:
            raise JourneykitError(f"could not read the events from {self.label}: {error}") from error

    def frame(self, query: str) -> pd.DataFrame:
        try:
            return self._relation(query).df()
        except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException) as error:
            raise JourneykitError(f"could not read the events from {self.label}: {error}") from error


def _file_kind(path: str) -> str:
    lower = path.lower()
    for suffix in (".gz", ".zst", ".bz2"):
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    raise JourneykitError(f"{path!r}: expected a .parquet or .csv file (or a glob of them)")


@contextlib.contextmanager
def _open(events: EventsLike, text_columns: Sequence[str] = ()) -> Iterator[_Source]:
    """Open ``events`` as a :class:`_Source`; closes any connection it made."""
    if isinstance(events, duckdb.DuckDBPyRelation):
        yield _Source(events, "the DuckDB relation")
        return
    con = _connect()
    try:
        if isinstance(events, pd.DataFrame):
            yield _Source(con.from_df(events), "the DataFrame")
        elif isinstance(events, str | Path) or (
            isinstance(events, list | tuple) and all(isinstance(p, str | Path) for p in events)
        ):
            rel, table_sql = _read_files(con, events, text_columns)
            yield _Source(rel, str(events), rescan_cheap=_is_parquet(events), con=con, table_sql=table_sql)
        else:
            raise JourneykitError(
                "events must be a pandas DataFrame, a path or glob of CSV/Parquet files, "
                f"or a DuckDB relation; got {type(events).__name__}"
            )
    finally:
        con.close()


def _is_parquet(events: str | Path | Sequence[str | Path]) -> bool:
    patterns = [str(events)] if isinstance(events, str | Path) else [str(p) for p in events]
    return bool(patterns) and all(_file_kind(p) == "parquet" for p in patterns)


def _read_files(
    con: duckdb.DuckDBPyConnection, events: str | Path | Sequence[str | Path], text_columns: Sequence[str]
) -> tuple[duckdb.DuckDBPyRelation, str]:
    """The files as a relation (for their columns and types) and the SELECT reading them."""
    patterns = [str(events)] if isinstance(events, str | Path) else [str(p) for p in events]
    if not patterns:
        raise JourneykitError("events: the list of files is empty")
    kinds = {_file_kind(p) for p in patterns}
    if len(kinds) > 1:
        raise JourneykitError(f"events: mix of Parquet and CSV files {patterns}; pass one kind")
    for pattern in patterns:
        if "://" not in pattern and not globlib.glob(pattern):
            raise JourneykitError(f"events: no file matches {pattern!r}")
    files = _lit(patterns[0]) if len(patterns) == 1 else "[" + _lits(patterns) + "]"
    # SQL table functions rather than con.read_csv/read_parquet relations: DuckDB plans
    # them with full filter/projection pushdown and parallel scans (3x faster on CSV)
    try:
        if kinds == {"parquet"}:
            table_sql = f"SELECT * FROM read_parquet({files})"
            return con.sql(table_sql), table_sql
        table_sql = f"SELECT * FROM read_csv({files})"
        sniffed = con.sql(table_sql)
        # ids and names stay text (keeps leading zeros); re-read only if the sniffer guessed otherwise
        wanted = [
            f"{_lit(c)}: 'VARCHAR'" for c, kind in zip(sniffed.columns, sniffed.types, strict=True)
            if c in text_columns and str(kind) != "VARCHAR"
        ]
        if not wanted:
            return sniffed, table_sql
        table_sql = f"SELECT * FROM read_csv({files}, types = {{{', '.join(wanted)}}})"
        return con.sql(table_sql), table_sql
    except duckdb.Error as error:
        raise JourneykitError(f"could not read the events from {events}: {error}") from error


def _require(src: _Source, column: str, keyword: str) -> None:
    if column not in src.columns:
        available = ", ".join(src.columns)
        raise JourneykitError(
            f"column {column!r} not found in {src.label}; pass {keyword}=... "
            f"(available: {available})"
        )


def _timestamp_sql(src: _Source, column: str) -> str:
    """SQL turning the timestamp column into a naive TIMESTAMP; raises on bad values."""
    kind = src.type_of(column)
    col = _ident(column)
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return f"CAST({col} AS TIMESTAMP)"
    if kind != "VARCHAR":
        raise JourneykitError(
            f"column {column!r} has type {kind}; expected datetimes or date/time text "
            "(numbers are ambiguous: convert them with pandas.to_datetime(..., unit=...) first)"
        )
    raw = f"nullif(trim({col}), '')"
    parsed = f"CAST(TRY_CAST({raw} AS TIMESTAMPTZ) AS TIMESTAMP)"
    bad = f"{raw} IS NOT NULL AND {parsed} IS NULL"
    [(n_bad, n_all)] = src.fetch(f"SELECT count(*) FILTER (WHERE {bad}), count({raw}) FROM jk_src")
    if n_bad:
        examples = [row[0] for row in src.fetch(f"SELECT DISTINCT {col} FROM jk_src WHERE {bad} LIMIT 3")]
        raise JourneykitError(
            f"column {column!r}: {n_bad} of {n_all} timestamps could not be read as date/time, "
            f"e.g. {', '.join(repr(e) for e in examples)}; expected e.g. '2024-03-01 14:30:00'"
        )
    return parsed


@dataclass(frozen=True)
class _Columns:
    customer: str
    event: str
    timestamp: str
    by: tuple[str, ...] = ()
    # by-columns that describe the customer, not the event (stage_funnel's persona): looked
    # up in the view jk_customer_groups (cid, <column>...) after the step-1 events are reduced,
    # rather than joined to every event
    per_customer: tuple[str, ...] = ()


def _by_list(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def _normalised_sql(src: _Source, cols: _Columns, name_filter: Sequence[str] | None = None) -> str:
    """SELECT producing cid (VARCHAR), ts (TIMESTAMP), name (VARCHAR), g0.. (by columns)."""
    _require(src, cols.customer, "customer")
    _require(src, cols.event, "event")
    _require(src, cols.timestamp, "timestamp")
    for column in cols.by:
        if column not in src.columns and column not in cols.per_customer:
            raise JourneykitError(
                f"column {column!r} given in by= not found in {src.label} "
                f"(available: {', '.join(src.columns)})"
            )
    ts = _timestamp_sql(src, cols.timestamp)
    groups = "".join(f", {_ident(c)} AS g{i}" for i, c in enumerate(cols.by) if c not in cols.per_customer)
    where = [f"{_ident(cols.customer)} IS NOT NULL", f"{_ident(cols.event)} IS NOT NULL"]
    if name_filter is not None:
        where.append(f"CAST({_ident(cols.event)} AS VARCHAR) IN ({_lits(name_filter) or 'NULL'})")
    inner = (
        f"SELECT CAST({_ident(cols.customer)} AS VARCHAR) AS cid, {ts} AS ts, "
        f"CAST({_ident(cols.event)} AS VARCHAR) AS name{groups} FROM jk_src WHERE {' AND '.join(where)}"
    )
    return f"SELECT * FROM ({inner}) WHERE ts IS NOT NULL"


# ---------------------------------------------------------------------------
# funnels


@dataclass(frozen=True)
class _Step:
    names: tuple[str, ...]  # distinct, in the order given
    label: str


def _steps(steps: StepsLike) -> list[_Step]:
    if isinstance(steps, str) or not isinstance(steps, Sequence) or len(steps) == 0:
        raise JourneykitError(
            f"steps must be a non-empty list of event names (or lists of alternative names); got {steps!r}"
        )
    out = []
    for i, item in enumerate(steps, start=1):
        names = [item] if isinstance(item, str) else list(item) if isinstance(item, Sequence) else None
        if not names or not all(isinstance(n, str) for n in names):
            raise JourneykitError(
                f"step {i} must be an event name or a non-empty list of event names; got {item!r}"
            )
        unique = tuple(dict.fromkeys(names))
        out.append(_Step(unique, " or ".join(unique)))
    return out


@dataclass(frozen=True)
class _FunnelPlan:
    """CTEs ending in ``r1``..``rN`` (one row per attempt that reached step k, with the
    group columns, ``t1``..``tk`` and, when it matters, ``n1``), plus how they were built."""

    ctes: list[str]
    earliest_only: bool  # one attempt per (customer, group): its earliest step-1 event
    keep_n1: bool  # the step-1 event's name decides ties between attempts


def _funnel_plan(src: _Source, cols: _Columns, steps: list[_Step], window: pd.Timedelta | None,
                 mode: str) -> _FunnelPlan:
    if mode not in ("sequential", "strict"):
        raise JourneykitError(f"mode must be 'sequential' or 'strict'; got {mode!r}")
    strict = mode == "strict"
    n = len(steps)
    sets = [set(s.names) for s in steps]
    all_names = sorted(set().union(*sets))
    event_gsel = "".join(f", g{i}" for i, c in enumerate(cols.by) if c not in cols.per_customer)

    def with_customer_groups(select: str, rest: list[str]) -> str:
        """``select`` (cid, the event groups, ``rest``) with the per-customer groups added."""
        if not cols.per_customer:
            return select
        fields = ["a.cid"] + [
            f"l.{_ident(c)} AS g{i}" if c in cols.per_customer else f"a.g{i}" for i, c in enumerate(cols.by)
        ] + [f"a.{r}" for r in rest]
        return f"SELECT {', '.join(fields)} FROM ({select}) a LEFT JOIN jk_customer_groups l ON a.cid = l.cid"

    # does step j's chosen event name matter (a later step could reuse its event)?
    carries = [any(sets[j] & sets[k] for k in range(j + 1, n)) for j in range(n)]
    overlaps = [[j for j in range(k) if sets[j] & sets[k]] for k in range(n)]
    need_aid = any(overlaps[k] for k in range(1, n))

    earliest_only = not strict and window is None and not need_aid
    # the funnel's events are held in memory once, unless reading them again per step is
    # cheap and the plan below is a streaming hash join + min per step (memory ~ customers)
    held = "NOT MATERIALIZED" if earliest_only and src.rescan_cheap else "MATERIALIZED"
    normalised = _normalised_sql(src, cols, all_names)
    if need_aid:
        ctes = [f"ev AS {held} ({normalised})"]
        in_step = [f"name IN ({_lits(s.names)})" for s in steps]
    else:  # every event belongs to at most one step: tag it with the step number once
        mapping = ", ".join(f"({_lit(name)}, {k})" for k, s in enumerate(steps, start=1) for name in s.names)
        ctes = [
            f"ev AS {held} (SELECT e.*, m.sk FROM ({normalised}) e "
            f"JOIN (VALUES {mapping}) m(step_name, sk) ON e.name = m.step_name)"
        ]
        in_step = [f"sk = {k}" for k in range(1, n + 1)]
    if earliest_only:
        # Sequential, no window, no event name in two steps: an attempt's step-k time is
        # the earliest step-k event at or after its step-(k-1) time, so an earlier start
        # reaches every step no later than a later start does, and with no window it gets
        # at least as far. The earliest step-1 event per (customer, group) is therefore the
        # customer's furthest-reaching and first attempt: one attempt each, and each next
        # step is a hash join + min instead of an ASOF join over every attempt.
        first = with_customer_groups(
            f"SELECT cid{event_gsel}, min(ts) AS t1 FROM ev WHERE {in_step[0]} GROUP BY cid{event_gsel}", ["t1"]
        )
        ctes.append(f"r1 AS ({first})")
        for k in range(1, n):
            step = k + 1
            ctes.append(
                f"r{step} AS (SELECT r.*, min(c.ts) AS t{step} FROM r{step - 1} r JOIN ev c "
                f"ON c.cid = r.cid AND c.ts >= r.t{step - 1} "
                f"WHERE c.{in_step[k]} GROUP BY ALL)"
            )
        return _FunnelPlan(ctes, earliest_only=True, keep_n1=False)

    if strict:
        ctes.append(f"allts AS MATERIALIZED (SELECT DISTINCT cid, ts FROM ({_normalised_sql(src, cols)}))")
    # attempts at the same time with different step-1 names only differ when that name
    # can be reused by a later step; otherwise one attempt per (customer, group, time)
    keep_n1 = carries[0]
    n1 = ", name AS n1" if keep_n1 else ""
    aid = ", row_number() OVER () AS aid" if need_aid else ""
    attempts = with_customer_groups(f"SELECT DISTINCT cid{event_gsel}, ts AS t1{n1} FROM ev WHERE {in_step[0]}",
                                    ["t1", "n1"] if keep_n1 else ["t1"])
    ctes.append(f"r1 AS (SELECT *{aid} FROM ({attempts}))")
    window_sql = "" if window is None else f" AND {{t}} <= t1 + {_interval(window)}"
    for k in range(1, n):
        step = k + 1
        prev = f"r{step - 1}"
        in_set = in_step[k]
        if carries[k] and len(steps[k].names) > 1:
            ctes.append(f"c{step} AS (SELECT cid, ts, min(name) AS name FROM ev WHERE {in_set} GROUP BY cid, ts)")
        elif carries[k] or overlaps[k]:
            ctes.append(f"c{step} AS (SELECT cid, ts, name FROM ev WHERE {in_set})")
        else:
            ctes.append(f"c{step} AS (SELECT cid, ts FROM ev WHERE {in_set})")
        if strict:  # the customer's next event time after the previous step
            ctes.append(
                f"x{step} AS (SELECT r.*, a.ts AS nx FROM {prev} r ASOF LEFT JOIN allts a "
                f"ON r.cid = a.cid AND a.ts > r.t{step - 1})"
            )
            prev = f"x{step}"
        tk = f"t{step}"
        conditions = f"{tk} IS NOT NULL" + window_sql.format(t=tk)
        if strict:
            conditions += f" AND (nx IS NULL OR {tk} <= nx)"
        name_k = f", c.name AS n{step}" if carries[k] else ""
        if not overlaps[k]:
            ctes.append(
                f"v{step} AS (SELECT r.*, c.ts AS {tk}{name_k} FROM {prev} r "
                f"ASOF JOIN c{step} c ON r.cid = c.cid AND c.ts >= r.t{step - 1})"
            )
        else:
            used = " + ".join(
                f"(CASE WHEN r.t{j + 1} = r.t{step - 1} AND r.n{j + 1} = m.name THEN 1 ELSE 0 END)"
                for j in overlaps[k]
            )
            ctes.append(
                f"m{step} AS (SELECT cid, ts, name, count(*) AS cnt FROM ev WHERE {in_set} GROUP BY ALL)"
            )
            ctes.append(
                f"s{step} AS (SELECT r.aid, min(m.name) AS name FROM {prev} r JOIN m{step} m "
                f"ON m.cid = r.cid AND m.ts = r.t{step - 1} WHERE m.cnt > {used} GROUP BY r.aid)"
            )
            ctes.append(
                f"u{step} AS (SELECT r.*, s.name AS same_name FROM {prev} r LEFT JOIN s{step} s ON r.aid = s.aid)"
            )
            ctes.append(
                f"v{step} AS (SELECT u.* EXCLUDE (same_name), "
                f"CASE WHEN u.same_name IS NOT NULL THEN u.t{step - 1} ELSE c.ts END AS {tk}, "
                f"coalesce(u.same_name, c.name) AS n{step} FROM u{step} u "
                f"ASOF LEFT JOIN c{step} c ON u.cid = c.cid AND c.ts > u.t{step - 1})"
            )
        excluded = (["nx"] if strict else [])
        keep = f" EXCLUDE ({', '.join(excluded)})" if excluded else ""
        ctes.append(f"r{step} AS (SELECT *{keep} FROM v{step} WHERE {conditions})")
    return _FunnelPlan(ctes, earliest_only=False, keep_n1=keep_n1)


def _cust_cte(plan: _FunnelPlan, groups: list[str], n: int, first: int = 1) -> str:
    """``cust``: one row per (customer, group) that reached step ``first`` or further, with
    reached (int, the furthest step) and times (list of the step times of the first attempt,
    by start time then step-1 name, that got that far)."""
    gsel = "".join(f", {g}" for g in groups)
    order = "struct_pack(a := -reached, b := t1, c := n1)" if plan.keep_n1 else "struct_pack(a := -reached, b := t1)"
    n1 = ", n1" if plan.keep_n1 else ""
    parts = [
        f"SELECT cid{gsel}, {step} AS reached, [{', '.join(f't{j}' for j in range(1, step + 1))}] AS times, t1{n1} "
        f"FROM r{step}"
        for step in range(first, n + 1)
    ]
    return (
        f"cust AS (SELECT cid{gsel}, max(reached) AS reached, arg_min(times, {order}) AS times "
        f"FROM ({' UNION ALL '.join(parts)}) GROUP BY cid{gsel})"
    )


def _funnel_ctes(src: _Source, cols: _Columns, steps: list[_Step], window: pd.Timedelta | None,
                 mode: str) -> list[str]:
    """CTEs ending in ``cust``: one row per (customer, group) with reached (int) and times (list)."""
    plan = _funnel_plan(src, cols, steps, window, mode)
    groups = [f"g{i}" for i in range(len(cols.by))]
    return [*plan.ctes, _cust_cte(plan, groups, len(steps))]


def _funnel_frame(src: _Source, cols: _Columns, steps: list[_Step], window: pd.Timedelta | None,
                  mode: str) -> pd.DataFrame:
    plan = _funnel_plan(src, cols, steps, window, mode)
    ctes = list(plan.ctes)
    n = len(steps)
    groups = [f"g{i}" for i in range(len(cols.by))]
    gsel = "".join(f"{g}, " for g in groups)
    # one row per (group, step): customers who reached the step and the median time from
    # the previous step. A customer reached step k if any attempt did (attempts reaching
    # k+1 reached k); the median uses each customer's chosen attempt (see FUNNEL_SEMANTICS).
    if plan.earliest_only:  # one attempt per (customer, group): r_k is the customers at step k
        per_step = [f"SELECT {gsel}1 AS k, count(*) AS c, NULL AS m FROM r1 GROUP BY ALL"]
        per_step += [
            f"SELECT {gsel}{step} AS k, count(*) AS c, "
            f"median(epoch_us(t{step}) - epoch_us(t{step - 1})) AS m FROM r{step} GROUP BY ALL"
            for step in range(2, n + 1)
        ]
    else:
        per_step = [f"SELECT {gsel}1 AS k, count(DISTINCT cid) AS c, NULL AS m FROM r1 GROUP BY ALL"]
        if n > 1:  # only customers who got past step 1 need their attempt's times
            ctes.append(_cust_cte(plan, groups, n, first=2))
            per_step += [
                f"SELECT {gsel}{step} AS k, count(*) AS c, "
                f"median(epoch_us(times[{step}]) - epoch_us(times[{step - 1}])) AS m "
                f"FROM cust WHERE reached >= {step} GROUP BY ALL"
                for step in range(2, n + 1)
            ]
    fields = list(groups)
    for step in range(1, n + 1):
        fields.append(f"sum(c) FILTER (WHERE k = {step}) AS c{step}")
        if step > 1:
            fields.append(f"any_value(m) FILTER (WHERE k = {step}) AS m{step}")
    group_by = f" GROUP BY {', '.join(groups)}" if groups else ""
    ctes.append(f"per_step AS ({' UNION ALL '.join(per_step)})")
    ctes.append(f"agg AS (SELECT {', '.join(fields)} FROM per_step{group_by})")
    query = (
        f"WITH {', '.join(ctes)} SELECT (SELECT list(DISTINCT name) FROM ev) AS seen, "
        "(SELECT list(a) FROM agg a) AS rows_"
    )
    [(seen, rows)] = src.fetch(query)
    seen = set(seen or [])
    missing = [name for s in steps for name in s.names if name not in seen]
    if missing:
        warnings.warn(
            f"funnel: these step events never occur in the events: {', '.join(sorted(set(missing)))}; "
            "their steps are counted as zero",
            UserWarning,
            stacklevel=3,
        )
    rows = rows or []
    if not groups and not rows:
        rows = [{f"c{s}": 0 for s in range(1, n + 1)}]
    records = []
    for row in rows:
        first = row.get("c1", 0)
        for step in range(1, n + 1):
            count = int(row.get(f"c{step}") or 0)
            previous = int(row.get(f"c{step - 1}") or 0) if step > 1 else count
            median_us = row.get(f"m{step}") if step > 1 else None
            record = {c: row[g] for c, g in zip(cols.by, groups, strict=True)}
            record.update(
                step=step,
                name=steps[step - 1].label,
                customers=count,
                conversion_from_start=count / first if first else float("nan"),
                conversion_from_previous=count / previous if previous else float("nan"),
                dropped=previous - count,
                median_time_from_previous=float("nan") if median_us is None else round(median_us),
            )
            records.append(record)
    columns = [*cols.by, "step", "name", "customers", "conversion_from_start",
               "conversion_from_previous", "dropped", "median_time_from_previous"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame = frame.astype({"step": "int64", "customers": "int64", "dropped": "int64",
                          "conversion_from_start": "float64", "conversion_from_previous": "float64"})
    frame["median_time_from_previous"] = pd.to_timedelta(
        frame["median_time_from_previous"].astype("float64"), unit="us"
    )
    if cols.by:
        frame = frame.sort_values([*cols.by, "step"], kind="stable", na_position="last")
    return frame.reset_index(drop=True)


def funnel(
    events: EventsLike,
    steps: StepsLike,
    *,
    window: DurationLike = "14D",
    mode: Literal["sequential", "strict"] = "sequential",
    by: str | Sequence[str] | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """Conversion funnel over ordered steps, computed in DuckDB.

    ``steps`` is a list whose items are an event name or a list of alternative names,
    e.g. ``["view", ["add_to_cart", "quick_buy"], "checkout"]``. ``window`` is the
    conversion window from each attempt's step-1 event, inclusive ("14D", "1h", a
    Timedelta, or None for no limit). ``mode`` is ``"sequential"`` (other events may
    happen between steps) or ``"strict"`` (no other event of the customer between
    consecutive steps). ``by`` names column(s) to break down by; an attempt belongs to
    the group of its step-1 event. The exact rules are in :data:`FUNNEL_SEMANTICS`.

    Returns one row per step (per group with ``by``; the ``by`` columns come first):

    - ``step`` (int, 1-based), ``name`` (the event, or alternatives joined by " or "),
    - ``customers``: customers who reached at least this step,
    - ``conversion_from_start`` = customers / customers at step 1 (NaN if none),
    - ``conversion_from_previous`` = customers / customers at the previous step (1.0 at step 1),
    - ``dropped``: reached the previous step but not this one (0 at step 1),
    - ``median_time_from_previous`` (Timedelta; NaT at step 1 or when nobody reached it).

    Steps naming events that never occur give a warning and zero counts.

    Example:
        >>> import pandas as pd
        >>> log = pd.DataFrame({"customer_id": ["a", "a"], "event": ["view", "buy"],
        ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03"])})
        >>> funnel(log, ["view", "buy"], window="1D")["customers"].tolist()
        [1, 0]
    """
    parsed_steps = _steps(steps)
    window_td = parse_duration(window, name="window")
    cols = _Columns(customer, event, timestamp, _by_list(by))
    with _open(events, (customer, event)) as src:
        return _funnel_frame(src, cols, parsed_steps, window_td, mode)


def funnel_dropouts(
    events: EventsLike,
    steps: StepsLike,
    step: int,
    *,
    window: DurationLike = "14D",
    mode: Literal["sequential", "strict"] = "sequential",
    by: str | Sequence[str] | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """The customers who reached step ``step - 1`` but not ``step`` (same rules as :func:`funnel`).

    ``step`` is 1-based and at least 2. Returns one row per customer (per group with
    ``by``, whose columns come first), ordered by ``reached_at``:

    - ``customer_id``, ``reached_step`` (= step - 1), ``reached_step_name``,
    - ``reached_at``: when they reached it (in their first attempt that got that far),
    - ``last_event``, ``last_event_time``: their last event in the whole log,
    - ``events_after``: how many events they had after ``reached_at``.

    Example:
        >>> import pandas as pd
        >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
        ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"])})
        >>> funnel_dropouts(log, ["view", "buy"], 2)["customer_id"].tolist()
        ['b']
    """
    parsed_steps = _steps(steps)
    if not isinstance(step, int) or not 2 <= step <= len(parsed_steps):
        raise JourneykitError(f"step must be an integer from 2 to {len(parsed_steps)}; got {step!r}")
    window_td = parse_duration(window, name="window")
    cols = _Columns(customer, event, timestamp, _by_list(by))
    groups = [f"g{i}" for i in range(len(cols.by))]
    with _open(events, (customer, event)) as src:
        ctes = _funnel_ctes(src, cols, parsed_steps, window_td, mode)
        ctes.append(f"dropped AS (SELECT * FROM cust WHERE reached = {step - 1})")
        ctes.append(
            f"alle AS (SELECT cid, ts, name FROM ({_normalised_sql(src, _Columns(customer, event, timestamp))}) "
            "WHERE cid IN (SELECT cid FROM dropped))"
        )
        ctes.append(
            "lastev AS (SELECT cid, arg_max(name, struct_pack(a := ts, b := name)) AS last_event, "
            "max(ts) AS last_event_time FROM alle GROUP BY cid)"
        )
        gsel = "".join(f", d.{g} AS {_ident(c)}" for g, c in zip(groups, cols.by, strict=True))
        query = (
            f"WITH {', '.join(ctes)} SELECT d.cid AS customer_id{gsel}, d.reached AS reached_step, "
            f"d.times[{step - 1}] AS reached_at, l.last_event, l.last_event_time, "
            f"(SELECT count(*) FROM alle a WHERE a.cid = d.cid AND a.ts > d.times[{step - 1}]) AS events_after "
            "FROM dropped d JOIN lastev l ON d.cid = l.cid ORDER BY reached_at, customer_id"
        )
        frame = src.frame(query)
    frame.insert(frame.columns.get_loc("reached_step") + 1, "reached_step_name",
                 parsed_steps[step - 2].label)
    ordered = [*cols.by, "customer_id", "reached_step", "reached_step_name", "reached_at",
               "last_event", "last_event_time", "events_after"]
    frame = frame[ordered].astype({"reached_step": "int64", "events_after": "int64"})
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame.reset_index(drop=True)


def stage_funnel(
    ws: Any,
    *,
    window: DurationLike = None,
    by: str | Sequence[str] | None = None,
    mode: Literal["sequential", "strict"] = "sequential",
) -> pd.DataFrame:
    """The funnel over the workspace's journey stages, in journey.yaml order.

    Step k is "any event mapped to stage k" (the stage's ``events`` list). Stages with no
    events mapped are left out, with a warning. ``window`` defaults to no limit (journeys
    across stages take long). ``by`` may be ``"persona"`` (the customer's
    ``customers.persona_id``; column ``persona``), ``"channel"`` (the channel of the
    attempt's first-stage event) or another events column, or a list of them.

    Returns the :func:`funnel` columns plus ``stage`` (the stage id) after ``step``;
    ``name`` is the stage's display name.

    Example:
        >>> ws = load_workspace("data/sample")          # doctest: +SKIP
        >>> stage_funnel(ws, by="channel")              # doctest: +SKIP
    """
    stages = list(ws.config.stages)
    used = [s for s in stages if list(s.events or [])]
    skipped = [s.id for s in stages if not list(s.events or [])]
    if skipped:
        warnings.warn(
            f"stage_funnel: stages with no events in journey.yaml are left out: {', '.join(skipped)}",
            UserWarning,
            stacklevel=2,
        )
    if not used:
        raise JourneykitError("stage_funnel: no stage in journey.yaml lists any events")
    steps = [_Step(tuple(dict.fromkeys(s.events)), str(s.name)) for s in used]
    by_cols = _by_list(by)
    window_td = parse_duration(window, name="window")
    memo = getattr(ws, "memo", None)
    if not callable(memo):
        return _stage_funnel(ws, used, steps, by_cols, window_td, mode)
    # once per workspace state (the map, the report figures and the KPIs all need it)
    key = ("events.stage_funnel", tuple(by_cols), window_td, mode)
    return memo(key, lambda: _stage_funnel(ws, used, steps, by_cols, window_td, mode)).copy()


def _stage_funnel(ws: Any, used: list, steps: list, by_cols: tuple[str, ...],
                  window_td: pd.Timedelta | None, mode: str) -> pd.DataFrame:
    con = _connect()
    try:
        rel = ws.events_relation(con)
        if rel is None:
            raise JourneykitError("stage_funnel needs an events table in the workspace (events.csv or .parquet)")
        if "persona" in by_cols:
            customers = getattr(ws, "customers", None)
            if customers is None or "persona_id" not in customers.columns:
                raise JourneykitError(
                    "by='persona' needs a customers table with a persona_id column in the workspace"
                )
            link = pd.DataFrame({
                "customer_id": customers["customer_id"].astype("string"),
                "persona_id": customers["persona_id"].astype("string"),
            })
            # the persona describes the customer: looked up once per customer and attempt,
            # not joined to every event of the log
            con.register("jk_customers", link)
            con.execute("CREATE TEMP TABLE jk_customer_groups AS "
                        "SELECT customer_id AS cid, persona_id AS persona FROM jk_customers")
        per_customer = ("persona",) if "persona" in by_cols else ()
        cols = _Columns("customer_id", "event", "timestamp", by_cols, per_customer)
        # large events are stored as clean Parquet by the loader (journeykit.workspace.eventstore)
        src = _Source(rel, "the workspace events", rescan_cheap="events" in (getattr(ws, "large", None) or {}))
        for column in by_cols:
            if column not in src.columns and column not in per_customer:
                raise JourneykitError(
                    f"by={column!r}: the workspace events have no {column!r} column "
                    f"(available: {', '.join(src.columns)}; or 'persona')"
                )
        frame = _funnel_frame(src, cols, steps, window_td, mode)
    finally:
        con.close()
    frame.insert(frame.columns.get_loc("step") + 1, "stage", [used[s - 1].id for s in frame["step"]])
    return frame


# ---------------------------------------------------------------------------
# paths, transitions, step matrix


def _names(value: str | Sequence[str] | None, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names or not all(isinstance(n, str) for n in names):
        raise JourneykitError(f"{what} must be an event name or a list of event names; got {value!r}")
    return names


def _sessions_ctes(src: _Source, cols: _Columns, session_gap: pd.Timedelta | None) -> list[str]:
    """CTEs ending in ``sess``: cid, ts, name, sid (session number), pos (1-based in session)."""
    order = "PARTITION BY cid ORDER BY ts, name"
    ctes = [f"ev AS ({_normalised_sql(src, cols)})"]
    if session_gap is None:
        ctes.append("o AS (SELECT cid, ts, name, 1 AS sid FROM ev)")
    else:
        ctes.append(
            f"l AS (SELECT cid, ts, name, CASE WHEN lag(ts) OVER ({order}) IS NULL "
            f"OR ts - lag(ts) OVER ({order}) > {_interval(session_gap)} THEN 1 ELSE 0 END AS new FROM ev)"
        )
        ctes.append(f"o AS (SELECT cid, ts, name, sum(new) OVER ({order} ROWS UNBOUNDED PRECEDING) AS sid FROM l)")
    ctes.append(
        "sess AS (SELECT cid, ts, name, sid, row_number() OVER (PARTITION BY cid, sid ORDER BY ts, name) AS pos FROM o)"
    )
    return ctes


def _positive_int(value: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise JourneykitError(f"{name} must be a positive integer; got {value!r}")
    return value


def paths(
    events: EventsLike,
    *,
    start: str | Sequence[str] | None = None,
    end: str | Sequence[str] | None = None,
    max_steps: int = 5,
    session_gap: DurationLike = "30min",
    top: int | None = 20,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """The most common paths through a session, with counts and shares.

    A session is a customer's run of events with no gap longer than ``session_gap``
    (None = the whole history is one session). A path starts at the session's first
    event, or at its first ``start`` event (sessions without one are left out), and runs
    to the session's end, or to the first ``end`` event after the start, inclusive
    (sessions without one are left out); it is cut after ``max_steps`` events.

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
    _positive_int(max_steps, "max_steps")
    if top is not None:
        _positive_int(top, "top")
    gap = parse_duration(session_gap, name="session_gap")
    starts, ends = _names(start, "start"), _names(end, "end")
    cols = _Columns(customer, event, timestamp)
    with _open(events, (customer, event)) as src:
        ctes = _sessions_ctes(src, cols, gap)
        p0 = f"min(pos) FILTER (WHERE name IN ({_lits(starts)}))" if starts else "1"
        ctes.append(f"bounds AS (SELECT cid, sid, {p0} AS p0, max(pos) AS plast FROM sess GROUP BY cid, sid)")
        if ends:
            ctes.append(
                "bounds2 AS (SELECT b.cid, b.sid, b.p0, min(s.pos) AS pend FROM bounds b JOIN sess s "
                f"ON s.cid = b.cid AND s.sid = b.sid AND s.pos >= b.p0 AND s.name IN ({_lits(ends)}) "
                "GROUP BY ALL)"
            )
        else:
            ctes.append("bounds2 AS (SELECT cid, sid, p0, plast AS pend FROM bounds WHERE p0 IS NOT NULL)")
        ctes.append(
            f"cut AS (SELECT cid, sid, p0, least(pend, p0 + {max_steps - 1}) AS pstop, "
            f"pend > p0 + {max_steps - 1} AS truncated FROM bounds2)"
        )
        ctes.append(
            "pth AS (SELECT s.cid, s.sid, c.truncated, list(s.name ORDER BY s.pos) AS evs FROM sess s "
            "JOIN cut c ON s.cid = c.cid AND s.sid = c.sid AND s.pos BETWEEN c.p0 AND c.pstop "
            "GROUP BY s.cid, s.sid, c.truncated)"
        )
        limit = "" if top is None else f" LIMIT {top}"
        query = (
            f"WITH {', '.join(ctes)} SELECT evs, truncated, count(*) AS sessions, "
            "count(DISTINCT cid) AS customers, (SELECT count(*) FROM pth) AS total FROM pth "
            f"GROUP BY evs, truncated ORDER BY sessions DESC, evs, truncated{limit}"
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
    events: EventsLike,
    *,
    session_gap: DurationLike = "30min",
    include_start: bool = False,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """Counts and probabilities of event → next event within a session (directly-follows).

    Sessions as in :func:`paths`. The last event of a session goes to :data:`END`
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
    gap = parse_duration(session_gap, name="session_gap")
    cols = _Columns(customer, event, timestamp)
    with _open(events, (customer, event)) as src:
        order = "PARTITION BY cid ORDER BY ts, name"
        broken = "FALSE" if gap is None else f"lead(ts) OVER ({order}) - ts > {_interval(gap)}"
        started = "FALSE" if gap is None else f"ts - lag(ts) OVER ({order}) > {_interval(gap)}"
        ctes = [
            f"ev AS ({_normalised_sql(src, cols)})",
            f"o AS (SELECT name, CASE WHEN lead(name) OVER ({order}) IS NULL OR {broken} THEN {_lit(END)} "
            f"ELSE lead(name) OVER ({order}) END AS target"
            + (f", lag(name) OVER ({order}) IS NULL OR {started} AS first" if include_start else "")
            + " FROM ev)",
        ]
        query = f"WITH {', '.join(ctes)} SELECT name AS source, target, count(*) AS count FROM o GROUP BY ALL"
        if include_start:
            query += f" UNION ALL SELECT {_lit(START)}, name, count(*) FROM o WHERE first GROUP BY ALL"
        raw = src.frame(query)
    raw["count"] = raw["count"].astype("int64")
    raw["probability"] = raw["count"] / raw.groupby("source")["count"].transform("sum")
    raw = raw.sort_values(["source", "count", "target"], ascending=[True, False, True], kind="stable")
    return raw.reset_index(drop=True)[["source", "target", "count", "probability"]]


def step_matrix(
    events: EventsLike,
    *,
    max_steps: int = 10,
    start: str | Sequence[str] | None = None,
    top: int | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """Share of customers on each event at step k of their history.

    Each customer's events in time order (equal times ordered by name), from their first
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
    _positive_int(max_steps, "max_steps")
    if top is not None:
        _positive_int(top, "top")
    starts = _names(start, "start")
    cols = _Columns(customer, event, timestamp)
    with _open(events, (customer, event)) as src:
        ctes = _sessions_ctes(src, cols, None)
        p0 = f"min(pos) FILTER (WHERE name IN ({_lits(starts)}))" if starts else "1"
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


# ---------------------------------------------------------------------------
# retention

_PERIODS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year",
            "day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def retention(
    events_or_orders: EventsLike,
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

    Works on an events log or an orders table (``timestamp`` defaults to the
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
    cohort_names, return_names = _names(cohort_event, "cohort_event"), _names(return_event, "return_event")
    with _open(events_or_orders, (customer, event)) as src:
        if timestamp is None:
            timestamp = "timestamp" if "timestamp" in src.columns else "date" if "date" in src.columns else None
            if timestamp is None:
                raise JourneykitError(
                    f"no 'timestamp' or 'date' column in {src.label}; pass timestamp=... "
                    f"(available: {', '.join(src.columns)})"
                )
        if event in src.columns:
            base = _normalised_sql(src, _Columns(customer, event, timestamp))
        elif cohort_names or return_names:
            raise JourneykitError(
                f"column {event!r} not found in {src.label}; cohort_event/return_event need it: "
                f"pass event=... (available: {', '.join(src.columns)})"
            )
        else:
            _require(src, customer, "customer")
            _require(src, timestamp, "timestamp")
            ts = _timestamp_sql(src, timestamp)
            base = (
                f"SELECT * FROM (SELECT CAST({_ident(customer)} AS VARCHAR) AS cid, {ts} AS ts, "
                f"'activity' AS name FROM jk_src WHERE {_ident(customer)} IS NOT NULL) WHERE ts IS NOT NULL"
            )
        cohort_filter = f" FILTER (WHERE name IN ({_lits(cohort_names)}))" if cohort_names else ""
        return_where = f" WHERE name IN ({_lits(return_names)})" if return_names else ""
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
