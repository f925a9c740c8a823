"""Conversion funnels on event logs: :func:`funnel`, :func:`funnel_dropouts` and the
funnel over the workspace's journey stages, :func:`stage_funnel`, computed by DuckDB.

The rules are :data:`FUNNEL_SEMANTICS`; the query plans (one attempt per customer where
that gives the same answer, ASOF joins otherwise) are built by :func:`_funnel_plan`.

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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from journeykit.analytics.events.source import (
    DEFAULT,
    EventColumns,
    EventSource,
    SourceLike,
    _Default,
    by_list,
    interval,
    normalised_sql,
    open_events,
    window_of,
)
from journeykit.core._sql import ident, literal, literals
from journeykit.core.durations import DurationLike
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.config import Stage

__all__ = ["FUNNEL_SEMANTICS", "funnel", "funnel_dropouts", "stage_funnel"]

StepsLike = Sequence[str | Sequence[str]]
Mode = Literal["sequential", "strict"]

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


def _funnel_plan(src: EventSource, cols: EventColumns, steps: list[_Step], window: pd.Timedelta | None,
                 mode: Mode) -> _FunnelPlan:
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
            f"l.{ident(c)} AS g{i}" if c in cols.per_customer else f"a.g{i}" for i, c in enumerate(cols.by)
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
    normalised = normalised_sql(src, cols, all_names)
    if need_aid:
        ctes = [f"ev AS {held} ({normalised})"]
        in_step = [f"name IN ({literals(s.names)})" for s in steps]
    else:  # every event belongs to at most one step: tag it with the step number once
        mapping = ", ".join(f"({literal(name)}, {k})" for k, s in enumerate(steps, start=1) for name in s.names)
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
        ctes.append(f"allts AS MATERIALIZED (SELECT DISTINCT cid, ts FROM ({normalised_sql(src, cols)}))")
    # attempts at the same time with different step-1 names only differ when that name
    # can be reused by a later step; otherwise one attempt per (customer, group, time)
    keep_n1 = carries[0]
    n1 = ", name AS n1" if keep_n1 else ""
    aid = ", row_number() OVER () AS aid" if need_aid else ""
    attempts = with_customer_groups(f"SELECT DISTINCT cid{event_gsel}, ts AS t1{n1} FROM ev WHERE {in_step[0]}",
                                    ["t1", "n1"] if keep_n1 else ["t1"])
    ctes.append(f"r1 AS (SELECT *{aid} FROM ({attempts}))")
    window_sql = "" if window is None else f" AND {{t}} <= t1 + {interval(window)}"
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


def _funnel_ctes(src: EventSource, cols: EventColumns, steps: list[_Step], window: pd.Timedelta | None,
                 mode: Mode) -> list[str]:
    """CTEs ending in ``cust``: one row per (customer, group) with reached (int) and times (list)."""
    plan = _funnel_plan(src, cols, steps, window, mode)
    groups = [f"g{i}" for i in range(len(cols.by))]
    return [*plan.ctes, _cust_cte(plan, groups, len(steps))]


def _funnel_frame(src: EventSource, cols: EventColumns, steps: list[_Step], window: pd.Timedelta | None,
                  mode: Mode) -> pd.DataFrame:
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
    source: SourceLike,
    steps: StepsLike,
    *,
    window: DurationLike | _Default = DEFAULT,
    mode: Mode = "sequential",
    by: str | Sequence[str] | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """Conversion funnel over ordered steps, computed in DuckDB.

    ``source`` is a :class:`~journeykit.workspace.Workspace` (its event log) or a log given
    directly (DataFrame, Parquet/CSV path or glob, DuckDB relation; see
    :mod:`journeykit.analytics.events.source`). ``steps`` is a list whose items are an
    event name or a list of alternative names, e.g. ``["view", ["add_to_cart",
    "quick_buy"], "checkout"]``. ``window`` is the conversion window from each attempt's
    step-1 event, inclusive ("14D", "1h", a Timedelta, or None for no limit); not passed,
    it is journey.yaml's ``defaults.window`` for a Workspace, else 14 days. ``mode`` is
    ``"sequential"`` (other events may happen between steps) or ``"strict"`` (no other
    event of the customer between consecutive steps). ``by`` names column(s) to break
    down by; an attempt belongs to the group of its step-1 event. ``customer``, ``event``,
    ``timestamp`` name the columns. The exact rules are in :data:`FUNNEL_SEMANTICS`.

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
    window_td = window_of(source, window)
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event, by=by_list(by))
    with open_events(source, (customer, event)) as src:
        return _funnel_frame(src, cols, parsed_steps, window_td, mode)


def funnel_dropouts(
    source: SourceLike,
    steps: StepsLike,
    step: int,
    *,
    window: DurationLike | _Default = DEFAULT,
    mode: Mode = "sequential",
    by: str | Sequence[str] | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """The customers who reached step ``step - 1`` but not ``step`` (same source, rules and
    defaults as :func:`funnel`).

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
    window_td = window_of(source, window)
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event, by=by_list(by))
    groups = [f"g{i}" for i in range(len(cols.by))]
    with open_events(source, (customer, event)) as src:
        ctes = _funnel_ctes(src, cols, parsed_steps, window_td, mode)
        ctes.append(f"dropped AS (SELECT * FROM cust WHERE reached = {step - 1})")
        ctes.append(
            f"alle AS (SELECT cid, ts, name FROM ({normalised_sql(src, replace(cols, by=()))}) "
            "WHERE cid IN (SELECT cid FROM dropped))"
        )
        ctes.append(
            "lastev AS (SELECT cid, arg_max(name, struct_pack(a := ts, b := name)) AS last_event, "
            "max(ts) AS last_event_time FROM alle GROUP BY cid)"
        )
        gsel = "".join(f", d.{g} AS {ident(c)}" for g, c in zip(groups, cols.by, strict=True))
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
    ws: Workspace,
    *,
    window: DurationLike | _Default = DEFAULT,
    by: str | Sequence[str] | None = None,
    mode: Mode = "sequential",
) -> pd.DataFrame:
    """The funnel over the workspace's journey stages, in journey.yaml order.

    Step k is "any event mapped to stage k" (the stage's ``events`` list). Stages with no
    events mapped are left out, with a warning. ``window``: the conversion window from the
    first-stage event (a duration, or None for no limit); not passed, journey.yaml's
    ``defaults.stage_window`` (no limit unless set: a journey across stages takes longer
    than a funnel's ``defaults.window``). ``by`` may be ``"persona"`` (the customer's
    ``customers.persona_id``; column ``persona``), ``"channel"`` (the channel of the
    attempt's first-stage event) or another events column, or a list of them. The events
    are read with :meth:`Workspace.events_relation` (a large log is never loaded into pandas).

    Returns the :func:`funnel` columns plus ``stage`` (the stage id) after ``step``;
    ``name`` is the stage's display name. Computed once per workspace state and arguments
    (:meth:`Workspace.memo`).

    Example:
        >>> ws = load_workspace("data/sample")          # doctest: +SKIP
        >>> stage_funnel(ws, by="channel")              # doctest: +SKIP
    """
    used = [s for s in ws.config.stages if s.events]
    skipped = [s.id for s in ws.config.stages if not s.events]
    if skipped:
        warnings.warn(
            f"stage_funnel: stages with no events in journey.yaml are left out: {', '.join(skipped)}",
            UserWarning,
            stacklevel=2,
        )
    if not used:
        raise JourneykitError("stage_funnel: no stage in journey.yaml lists any events")
    by_cols = by_list(by)
    window_td = ws.config.defaults.stage_window_delta if window is DEFAULT else window_of(ws, window)
    # once per workspace state (the map, the report figures and the KPIs all need it)
    key = ("events.stage_funnel", by_cols, window_td, mode)
    frame: pd.DataFrame = ws.memo(key, lambda: _stage_funnel(ws, used, by_cols, window_td, mode))
    return frame.copy()


def stage_steps(stages: Sequence[Stage]) -> list[_Step]:
    """The funnel steps of journey stages: step k is any event of stage k (display name as label)."""
    return [_Step(tuple(dict.fromkeys(s.events)), str(s.name)) for s in stages]


def _stage_funnel(ws: Workspace, used: list[Stage], by_cols: tuple[str, ...],
                  window_td: pd.Timedelta | None, mode: Mode) -> pd.DataFrame:
    if not ws.has("events"):
        raise JourneykitError("stage_funnel needs an events table in the workspace (events.csv or .parquet)")
    steps = stage_steps(used)
    per_customer = ("persona",) if "persona" in by_cols else ()
    cols = EventColumns(by=by_cols, per_customer=per_customer)
    with open_events(ws) as src:
        if per_customer:
            customers = ws.customers
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
            assert src.con is not None  # a workspace's events are read on a connection of our own
            src.con.register("jk_customers", link)
            src.con.execute("CREATE TEMP TABLE jk_customer_groups AS "
                            "SELECT customer_id AS cid, persona_id AS persona FROM jk_customers")
        for column in by_cols:
            if column not in src.columns and column not in per_customer:
                raise JourneykitError(
                    f"by={column!r}: the workspace events have no {column!r} column "
                    f"(available: {', '.join(src.columns)}; or 'persona')"
                )
        frame = _funnel_frame(src, cols, steps, window_td, mode)
    frame.insert(frame.columns.get_loc("step") + 1, "stage", [used[s - 1].id for s in frame["step"]])
    return frame
