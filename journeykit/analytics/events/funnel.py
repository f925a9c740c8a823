"""Conversion funnels on event logs: :func:`funnel`, :func:`funnel_dropouts` and the
funnel over the workspace's journey stages, :func:`stage_funnel`, computed by DuckDB.

The rules are :data:`FUNNEL_SEMANTICS`; the query plans (one attempt per customer where
that gives the same answer, ASOF joins otherwise) are built by :func:`~journeykit.analytics.events.funnel_plan.funnel_plan`.

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
from dataclasses import replace
from typing import Literal

import pandas as pd

from journeykit.analytics.events.funnel_plan import Attribution as _Attribution
from journeykit.analytics.events.funnel_plan import (
    Exclusion,
    Mode,
    Step,
    StepsLike,
    attribution_of,
    cust_cte,
    exclusions_of,
    funnel_plan,
    parse_steps,
    unordered_ctes,
)
from journeykit.analytics.events.source import (
    DEFAULT,
    EventColumns,
    EventSource,
    SourceLike,
    _Default,
    by_list,
    normalised_sql,
    open_events,
    window_of,
)
from journeykit.core._sql import ident
from journeykit.core.durations import DurationLike
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.config import Stage

__all__ = ["FUNNEL_SEMANTICS", "funnel", "funnel_dropouts", "stage_funnel"]

Attribution = _Attribution

FUNNEL_SEMANTICS = """\
Funnel semantics (as PostHog's funnels, funnel-udf steps.rs):
- The unit is the customer. Steps are ordered; a step may list alternative events \
(any of them counts).
- Every time with a step-1 event opens an attempt.
- In an attempt, step k is reached by the earliest step-k event at or after the time \
step k-1 was reached. One event counts for one step only, so the same event name listed \
twice needs two events. Tie rule: when events share a timestamp, the attempt takes the \
assignment of those events to steps that gets it furthest (S, [A or B], A with S@10:00, \
A@10:01, B@10:01 reaches step 3: B is step 2, A step 3).
- Every step must happen within the conversion window of the attempt's step-1 event; \
the window is inclusive (an event exactly one window later counts). No window = no limit.
- sequential mode allows other events between steps; strict mode does not: between \
reaching step k and step k+1 the customer may have no event other than a repeat of a \
step-k event (a repeat keeps the attempt at step k, with the time of the first one; \
A@0, B@1, B@2, C@3 reaches C).
- A customer counts once, at the furthest step any attempt reached; counts are cumulative \
(a customer who reached step 3 also counts at steps 1 and 2).
- Conversion is given from step 1 and from the previous step; dropped = reached the \
previous step but not this one. Times (the median time from the previous step, when the \
furthest step was reached) come from one attempt per customer: of the attempts that \
reached the furthest step, the one that reached it first, and of those the latest start \
(A@0, A@1, B@2: 1 minute from A to B).
- Breakdowns (by=): breakdown_attribution decides a customer's group. first_touch \
(default): the value on the customer's earliest funnel event that has one, each \
customer in one group; last_touch: on the latest; all_events: the funnel is worked out \
per value on that value's events only (a customer may count in several groups); \
("step", k): per value of the customer's step-k events, attempts whose step-k event \
has that value (("step", 1): the group of the attempt's step-1 event).
- Exclusion steps (exclusions=[(X, k)]): an attempt in which X happens strictly after \
step k and before step k+1 (or k+1 never reached), within its window, is excluded and \
counts only up to step k+1; a customer whose furthest attempts were all excluded is left \
out of the funnel (as PostHog).
- Any order (order="any"): step k counts the customers who did any k of the steps (each \
a different step, one event each) within one conversion window; the times are those \
events in time order, at the first moment the customer had done the most."""


def _funnel_ctes(src: EventSource, cols: EventColumns, steps: list[Step], window: pd.Timedelta | None,
                 mode: Mode, attribution: tuple[str, int] = ("first_touch", 0),
                 exclusions: Sequence[Exclusion] = ()) -> list[str]:
    """CTEs ending in ``cust``: one row per (customer, group) with reached (int) and times (list)."""
    plan = funnel_plan(src, cols, steps, window, mode, attribution, exclusions)
    return [*plan.ctes, *cust_cte(plan, len(steps))]


def _funnel_frame(src: EventSource, cols: EventColumns, steps: list[Step], window: pd.Timedelta | None,
                  mode: Mode, attribution: tuple[str, int] = ("first_touch", 0),
                  exclusions: Sequence[Exclusion] = (), order: str = "steps") -> pd.DataFrame:
    n = len(steps)
    if order == "any":
        if exclusions or mode != "sequential":
            raise JourneykitError("order='any' takes no exclusions and mode='sequential' only")
        ctes, groups = unordered_ctes(src, cols, steps, window, attribution)
        gsel = "".join(f"{g}, " for g in groups)
        per_step = [
            f"SELECT {gsel}{step} AS k, count(*) AS c, "
            + ("NULL" if step == 1 else f"median(epoch_us(times[{step}]) - epoch_us(times[{step - 1}]))")
            + f" AS m FROM cust WHERE reached >= {step} GROUP BY ALL"
            for step in range(1, n + 1)
        ]
        return _frame_of(src, ctes, per_step, groups, cols, steps)
    if order != "steps":
        raise JourneykitError(f"order must be 'steps' or 'any'; got {order!r}")
    plan = funnel_plan(src, cols, steps, window, mode, attribution, exclusions)
    ctes = list(plan.ctes)
    groups = plan.groups
    gsel = "".join(f"{g}, " for g in groups)
    # one row per (group, step): customers who reached the step and the median time from
    # the previous step. A customer reached step k if any attempt did (attempts reaching
    # k+1 reached k); the median uses each customer's chosen attempt (see FUNNEL_SEMANTICS).
    count = "count(*)" if plan.earliest_only else "count(DISTINCT cid)"
    if exclusions:  # a customer whose furthest attempts were all excluded is left out
        ctes += cust_cte(plan, n, first=1)
        per_step = [f"SELECT {gsel}1 AS k, count(*) AS c, NULL AS m FROM cust GROUP BY ALL"]
    else:
        per_step = [f"SELECT {gsel}1 AS k, {count} AS c, NULL AS m FROM r1 GROUP BY ALL"]
    if n > 1 and not exclusions:  # only customers who got past step 1 need their attempt's times
        ctes += cust_cte(plan, n, first=2)
    if n > 1:
        per_step += [
            f"SELECT {gsel}{step} AS k, count(*) AS c, "
            f"median(epoch_us(times[{step}]) - epoch_us(times[{step - 1}])) AS m "
            f"FROM cust WHERE reached >= {step} GROUP BY ALL"
            for step in range(2, n + 1)
        ]
    return _frame_of(src, ctes, per_step, groups, cols, steps)


def _frame_of(src: EventSource, ctes: list[str], per_step: list[str], groups: list[str], cols: EventColumns,
              steps: list[Step]) -> pd.DataFrame:
    """The funnel's frame from ``per_step`` (rows of group, k, count c, median m in us)."""
    n = len(steps)
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
    breakdown_attribution: Attribution = "first_touch",
    exclusions: Sequence[tuple] | None = None,
    order: Literal["steps", "any"] = "steps",
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
    down by; ``breakdown_attribution`` decides a customer's group: ``"first_touch"``
    (default, PostHog's: the value on their earliest funnel event), ``"last_touch"``,
    ``"all_events"`` (the funnel per value on its events; a customer may be in several
    groups) or ``("step", k)`` (the value on the step-k event). ``exclusions``: exclusion steps,
    as PostHog's: ``[("refund", 2)]`` drops an attempt in which ``refund`` happens after
    step 2 and before step 3 (``("refund", 1, 3)``: between steps 1 and 3; the event may
    be a list of names); a customer whose furthest attempts were all excluded is left out
    of the funnel. ``order="any"``: the steps in any order (PostHog's unordered funnels):
    step k counts the customers who did any k of the steps within one window. ``customer``, ``event``,
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
    parsed_steps = parse_steps(steps)
    window_td = window_of(source, window)
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event, by=by_list(by))
    attribution = attribution_of(breakdown_attribution, len(parsed_steps))
    excluded = exclusions_of(exclusions, parsed_steps)
    with open_events(source, (customer, event)) as src:
        return _funnel_frame(src, cols, parsed_steps, window_td, mode, attribution, excluded, order)


def funnel_dropouts(
    source: SourceLike,
    steps: StepsLike,
    step: int,
    *,
    window: DurationLike | _Default = DEFAULT,
    mode: Mode = "sequential",
    by: str | Sequence[str] | None = None,
    breakdown_attribution: Attribution = "first_touch",
    exclusions: Sequence[tuple] | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> pd.DataFrame:
    """The customers who reached step ``step - 1`` but not ``step`` (same source, rules and
    defaults as :func:`funnel`).

    ``step`` is 1-based and at least 2. Returns one row per customer (per group with
    ``by``, whose columns come first), ordered by ``reached_at``:

    - ``customer_id``, ``reached_step`` (= step - 1), ``reached_step_name``,
    - ``reached_at``: when they first reached it,
    - ``last_event``, ``last_event_time``: their last event in the whole log,
    - ``events_after``: how many events they had after ``reached_at``.

    Example:
        >>> import pandas as pd
        >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
        ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"])})
        >>> funnel_dropouts(log, ["view", "buy"], 2)["customer_id"].tolist()
        ['b']
    """
    parsed_steps = parse_steps(steps)
    if not isinstance(step, int) or not 2 <= step <= len(parsed_steps):
        raise JourneykitError(f"step must be an integer from 2 to {len(parsed_steps)}; got {step!r}")
    window_td = window_of(source, window)
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event, by=by_list(by))
    groups = [f"g{i}" for i in range(len(cols.by))]
    attribution = attribution_of(breakdown_attribution, len(parsed_steps))
    excluded = exclusions_of(exclusions, parsed_steps)
    with open_events(source, (customer, event)) as src:
        ctes = _funnel_ctes(src, cols, parsed_steps, window_td, mode, attribution, excluded)
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
    breakdown_attribution: Attribution = "first_touch",
) -> pd.DataFrame:
    """The funnel over the workspace's journey stages, in journey.yaml order.

    Step k is "any event mapped to stage k" (the stage's ``events`` list). Stages with no
    events mapped are left out, with a warning. ``window``: the conversion window from the
    first-stage event (a duration, or None for no limit); not passed, journey.yaml's
    ``defaults.stage_window`` (no limit unless set: a journey across stages takes longer
    than a funnel's ``defaults.window``). ``by`` may be ``"persona"`` (the customer's
    ``customers.persona_id``; column ``persona``), ``"channel"`` or another events column, or a list of them;
    ``breakdown_attribution`` as in :func:`funnel` (default first touch: the channel of the
    customer's earliest stage event; ``("step", 1)``: of each attempt's first-stage event). The events
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
    attribution = attribution_of(breakdown_attribution, len(used))
    key = ("events.stage_funnel", by_cols, window_td, mode, attribution)
    frame: pd.DataFrame = ws.memo(key, lambda: _stage_funnel(ws, used, by_cols, window_td, mode, attribution))
    return frame.copy()


def stage_steps(stages: Sequence[Stage]) -> list[Step]:
    """The funnel steps of journey stages: step k is any event of stage k (display name as label)."""
    return [Step(tuple(dict.fromkeys(s.events)), str(s.name)) for s in stages]


def _stage_funnel(ws: Workspace, used: list[Stage], by_cols: tuple[str, ...],
                  window_td: pd.Timedelta | None, mode: Mode, attribution: tuple[str, int]) -> pd.DataFrame:
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
                "cid": customers["customer_id"].astype("string"),
                "persona": customers["persona_id"].astype("string"),
            })
            # the persona describes the customer: looked up once per customer and attempt,
            # not joined to every event of the log
            src.register("jk_customer_groups", link)
        for column in by_cols:
            if column not in src.columns and column not in per_customer:
                raise JourneykitError(
                    f"by={column!r}: the workspace events have no {column!r} column "
                    f"(available: {', '.join(src.columns)}; or 'persona')"
                )
        frame = _funnel_frame(src, cols, steps, window_td, mode, attribution)
    frame.insert(frame.columns.get_loc("step") + 1, "stage", [used[s - 1].id for s in frame["step"]])
    return frame
