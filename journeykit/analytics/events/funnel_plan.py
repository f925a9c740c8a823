"""The query plan of a funnel (:func:`funnel_plan`): CTEs ending in ``r1``..``rN``, one row
per attempt that reached step k, and ``cust``, each customer's furthest step and the times
of the attempt the medians use. The rules are those of
:data:`~journeykit.analytics.events.funnel.FUNNEL_SEMANTICS`; PostHog's funnel code
(funnel-udf, ``steps.rs``) is the reference they follow.

Example:
    >>> last_steps((("A", 1), ("B", 1)), [{"S"}, {"A", "B"}, {"A"}])
    [0, 3, 3]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from journeykit.analytics.events.source import EventColumns, EventSource, interval, normalised_sql
from journeykit.core._sql import ident, literal, literals
from journeykit.core.errors import JourneykitError

__all__ = ["Attribution", "Exclusion", "FunnelPlan", "Step", "attribution_of", "cust_cte", "exclusions_of",
           "funnel_plan", "last_steps", "parse_steps"]

StepsLike = Sequence[str | Sequence[str]]
Mode = Literal["sequential", "strict"]
Attribution = Literal["first_touch", "last_touch", "all_events"] | tuple[str, int]


@dataclass(frozen=True)
class Step:
    names: tuple[str, ...]  # distinct, in the order given
    label: str


def parse_steps(steps: StepsLike) -> list[Step]:
    """The steps as :class:`Step` (each a tuple of alternative names and a label)."""
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
        out.append(Step(unique, " or ".join(unique)))
    return out


@dataclass(frozen=True)
class Exclusion:
    """An exclusion step: any of ``names`` between step ``start`` and step ``end`` (1-based)."""

    names: tuple[str, ...]
    start: int
    end: int


def exclusions_of(value: object, steps: list[Step]) -> list[Exclusion]:
    """``exclusions`` as :class:`Exclusion` items: each ``(event, k)`` (between step k and
    k+1) or ``(event, k, m)`` (between step k and m); ``event`` a name or a list of names."""
    if value is None:
        return []
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise JourneykitError(f"exclusions must be a list of (event, step) pairs; got {value!r}")
    n = len(steps)
    out = []
    for item in value:
        ok = isinstance(item, Sequence) and not isinstance(item, str) and len(item) in (2, 3)
        names = (item[0],) if ok and isinstance(item[0], str) else tuple(item[0]) if ok and isinstance(
            item[0], Sequence) else ()
        bounds = list(item[1:]) if ok else []
        if len(bounds) == 1:
            bounds.append(bounds[0] + 1 if isinstance(bounds[0], int) else None)
        if (not names or not all(isinstance(x, str) for x in names)
                or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                or not 1 <= bounds[0] < bounds[1] <= n):
            raise JourneykitError(
                f"exclusion {item!r}: expected (event, k) or (event, k, m), event a name or list of names, "
                f"1 <= k < m <= {n} (the number of steps)"
            )
        inside = {name for s in steps[bounds[0] - 1:bounds[1]] for name in s.names}
        if inside & set(names):
            raise JourneykitError(
                f"exclusion {item!r}: {', '.join(sorted(inside & set(names)))} is an event of the steps it excludes "
                "between; an exclusion must be another event"
            )
        out.append(Exclusion(tuple(dict.fromkeys(names)), bounds[0], bounds[1]))
    return out


def attribution_of(value: object, n_steps: int) -> tuple[str, int]:
    """``breakdown_attribution`` as (kind, step): kind is first_touch, last_touch,
    all_events or step (with its 1-based step; 0 otherwise)."""
    if value in ("first_touch", "last_touch", "all_events"):
        return str(value), 0
    if (isinstance(value, tuple) and len(value) == 2 and value[0] == "step" and isinstance(value[1], int)
            and not isinstance(value[1], bool) and 1 <= value[1] <= n_steps):
        return "step", value[1]
    raise JourneykitError(
        "breakdown_attribution must be 'first_touch', 'last_touch', 'all_events' or ('step', k) "
        f"with k from 1 to {n_steps}; got {value!r}"
    )


def _matchable(sets: Sequence[set[str]], pool: Sequence[str]) -> bool:
    """Can each of ``sets`` take a different event of ``pool`` (bipartite matching)?"""
    owner: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j, name in enumerate(pool):
            if name in sets[i] and j not in seen:
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(place(i, set()) for i in range(len(sets)))


def last_steps(signature: Sequence[tuple[str, int]], sets: Sequence[set[str]]) -> list[int]:
    """For events at one time (``signature``: name and count), the step an attempt reaches
    there when it arrives needing step k (k = 1..n, item k-1): the end of the longest run of
    steps k, k+1, ... that different events of that time can fill (k - 1 when none can).
    This is the tie rule: equal times take the assignment that gets furthest."""
    pool = [name for name, count in signature for _ in range(count)]
    out = []
    for k in range(len(sets)):
        end = k
        while end < len(sets) and _matchable(sets[k:end + 1], pool):
            end += 1
        out.append(end)
    return out


@dataclass(frozen=True)
class FunnelPlan:
    """CTEs ending in ``r1``..``rN`` (one row per attempt that reached step k, with cid,
    the group columns and ``t1``..``tk``), plus how they were built."""

    ctes: list[str]
    window: pd.Timedelta | None
    exclusions: tuple[Exclusion, ...]
    earliest_only: bool  # one attempt per (customer, group): its earliest step-1 event
    grouped: list[bool]  # step k's events must carry the attempt's group (index k-1)
    groups: list[str]  # all group columns, g0..
    event_groups: list[str]  # those read from events
    in_step: list[str]  # the condition on ev of step k's events (index k-1)

    def key(self, k: int, a: str, b: str) -> str:
        """Join condition of step k+1's events ``b`` to attempts ``a`` (k is 0-based)."""
        extra = "".join(f" AND {a}.{g} IS NOT DISTINCT FROM {b}.{g}" for g in self.event_groups) \
            if self.grouped[k] else ""
        return f"{a}.cid = {b}.cid{extra}"


def funnel_plan(src: EventSource, cols: EventColumns, steps: list[Step], window: pd.Timedelta | None,
                mode: Mode, attribution: tuple[str, int] = ("step", 1),
                exclusions: Sequence[Exclusion] = ()) -> FunnelPlan:
    """The plan; ``attribution`` as :func:`attribution_of` gives it (the default keeps each
    attempt in the group of its step-1 event)."""
    if mode not in ("sequential", "strict"):
        raise JourneykitError(f"mode must be 'sequential' or 'strict'; got {mode!r}")
    strict = mode == "strict"
    n = len(steps)
    sets = [set(s.names) for s in steps]
    all_names = sorted(set().union(*sets))
    groups = [f"g{i}" for i in range(len(cols.by))]
    event_groups = [f"g{i}" for i, c in enumerate(cols.by) if c not in cols.per_customer]
    kind, at_step = attribution if event_groups else ("step", 1)
    shared = any(sets[j] & sets[k] for k in range(n) for j in range(k))
    if shared and kind == "step" and at_step > 1:
        raise JourneykitError(
            "breakdown_attribution=('step', k) for k > 1 needs steps that share no event name"
        )
    # step k's events must have the attempt's group: every step for all_events, step k for ("step", k)
    grouped = [kind == "all_events" or (kind == "step" and at_step > 1 and k + 1 == at_step) for k in range(n)]
    # the attempt's group: from its step-1 event (all_events, ("step", 1)); per customer otherwise
    from_event = kind == "all_events" or (kind == "step" and at_step == 1)
    egsel = "".join(f", {g}" for g in event_groups) if from_event else ""

    def gcols(k: int) -> str:
        return "".join(f", {g}" for g in event_groups) if grouped[k] else ""

    earliest_only = not strict and window is None and not shared and not exclusions
    # the funnel's events are read once and held: even the earliest-start plan refers to
    # them about 3 times per step (counts, then the medians' attempt backwards and forwards),
    # and re-reading a Parquet file that often cost 3-4x a hand-written query's one scan
    held = "MATERIALIZED"
    normalised = normalised_sql(src, cols, all_names)
    ctes = []
    if strict:  # every event of the log is needed (what breaks an attempt): read once, the steps' from it
        ctes.append(f"alln AS MATERIALIZED ({normalised_sql(src, cols)})")
        normalised = f"SELECT * FROM alln WHERE name IN ({literals(all_names)})"
    mapping = ", ".join(f"({literal(name)}, {k})" for k, s in enumerate(steps, start=1) for name in s.names)
    if shared:  # names in several steps: one row per (customer, time, name)
        ctes.append(f"ev AS {held} ({normalised})")
        in_step = [f"name IN ({literals(s.names)})" for s in steps]
    else:  # every event belongs to one step: tag it with the step number once
        ctes.append(f"ev AS {held} (SELECT e.*, m.sk FROM ({normalised}) e "
                    f"JOIN (VALUES {mapping}) m(step_name, sk) ON e.name = m.step_name)")
        in_step = [f"sk = {k}" for k in range(1, n + 1)]
    plan = FunnelPlan([], window, tuple(exclusions), False, grouped, groups, event_groups, in_step)
    key = plan.key
    every_x = sorted({x for e in exclusions for x in e.names})
    if every_x:  # the exclusion events (of all_events: with their group)
        xg = "".join(f", {g}" for g in event_groups) if kind == "all_events" else ""
        ctes.append(f"xev AS MATERIALIZED (SELECT DISTINCT cid{xg}, ts, name FROM "
                    f"({normalised_sql(src, cols, every_x)}))")
    ctes += _group_ctes(event_groups, kind, at_step, in_step[at_step - 1] if kind == "step" else "")

    def with_groups(select: str, rest: list[str]) -> str:
        """``select`` (cid, the event groups, ``rest``) with the customer's groups added."""
        touch = event_groups and not from_event
        if not cols.per_customer and not touch:
            return select
        fields = ["a.cid"]
        for i, c in enumerate(cols.by):
            g = f"g{i}"
            fields.append(f"l.{ident(c)} AS {g}" if c in cols.per_customer else f"t.{g}" if touch else f"a.{g}")
        fields += [f"a.{r}" for r in rest]
        joins = " LEFT JOIN jk_customer_groups l ON a.cid = l.cid" if cols.per_customer else ""
        joins += " LEFT JOIN jk_touch t ON a.cid = t.cid" if touch else ""
        return f"SELECT {', '.join(fields)} FROM ({select}) a{joins}"

    if earliest_only:
        # Sequential, no window, no event name in two steps: an attempt's step-k time is
        # the earliest step-k event at or after its step-(k-1) time, so an earlier start
        # reaches every step no later than a later start does, and with no window it gets
        # at least as far: the earliest step-1 event per (customer, group) gives the counts
        # (the medians' attempt is found from it, see _earliest_times).
        first = with_groups(f"SELECT cid{egsel}, min(ts) AS t1 FROM ev WHERE {in_step[0]} GROUP BY cid{egsel}",
                            ["t1"])
        ctes.append(f"r1 AS ({first})")
        for k in range(1, n):
            ctes.append(
                f"r{k + 1} AS (SELECT r.*, min(c.ts) AS t{k + 1} FROM r{k} r JOIN ev c "
                f"ON {key(k, 'r', 'c')} AND c.ts >= r.t{k} WHERE c.{in_step[k]} GROUP BY ALL)"
            )
        return FunnelPlan(ctes, window, tuple(exclusions), True, grouped, groups, event_groups, in_step)

    if shared:  # the tie rule: what each (customer, time) lets an attempt reach
        ctes += _tie_ctes(src, ctes, sets, event_groups if kind == "all_events" else [])
    if strict:  # events that break an attempt at step k: any event not of step k
        allg = "".join(f", {g}" for g in event_groups) if kind == "all_events" else ""
        # from alln (read at the start), without DISTINCT: an ASOF join takes one match per
        # attempt whatever the duplicates (deduplicating every event of the log cost more
        # than the joins themselves)
        for k in range(n - 1):
            ctes.append(f"o{k + 1} AS (SELECT cid{allg}, ts FROM alln "
                        f"WHERE name NOT IN ({literals(steps[k].names)}))")
    if shared:  # an attempt per (customer, group of its step-1 event, time)
        same = "".join(f" AND e.{g} IS NOT DISTINCT FROM s.{g}" for g in event_groups) if kind == "all_events" else ""
        esel = "".join(f", e.{g}" for g in event_groups) if from_event else ""
        attempts = (f"SELECT DISTINCT e.cid{esel}, e.ts AS t1, s.lasts[1] AS l FROM ev e JOIN sigl s "
                    f"ON e.cid = s.cid AND e.ts = s.ts{same} WHERE e.{in_step[0]}")
    else:
        attempts = f"SELECT DISTINCT cid{egsel}, ts AS t1 FROM ev WHERE {in_step[0]}"
    ctes.append(f"r1 AS ({with_groups(attempts, ['t1', 'l'] if shared else ['t1'])})")
    for k in range(1, n):
        step, prev, tk = k + 1, f"r{k}", f"t{k + 1}"
        if shared:
            ctes.append(f"c{step} AS (SELECT cid{gcols(k)}, ts, lasts[{step}] AS l FROM sigl "
                        f"WHERE lasts[{step}] >= {step})")
        else:
            ctes.append(f"c{step} AS (SELECT cid{gcols(k)}, ts FROM ev WHERE {in_step[k]})")
        if strict:  # the customer's next event after step k that is not a step-k event
            allg = "".join(f" AND r.{g} IS NOT DISTINCT FROM a.{g}" for g in event_groups) \
                if kind == "all_events" else ""
            ctes.append(f"x{step} AS (SELECT r.*, a.ts AS nx FROM {prev} r ASOF LEFT JOIN o{k} a "
                        f"ON r.cid = a.cid{allg} AND a.ts > r.t{k})")
            prev = f"x{step}"
        if shared:  # still at the same time when the events there fill step k+1 too
            ctes.append(
                f"v{step} AS (SELECT r.* EXCLUDE (l), CASE WHEN r.l >= {step} THEN r.t{k} ELSE c.ts END AS {tk}, "
                f"CASE WHEN r.l >= {step} THEN r.l ELSE c.l END AS l, r.l >= {step} AS same FROM {prev} r "
                f"ASOF LEFT JOIN c{step} c ON {key(k, 'r', 'c')} AND c.ts > r.t{k})"
            )
        else:
            ctes.append(f"v{step} AS (SELECT r.*, c.ts AS {tk}, FALSE AS same FROM {prev} r "
                        f"ASOF JOIN c{step} c ON {key(k, 'r', 'c')} AND c.ts >= r.t{k})")
        conditions = f"{tk} IS NOT NULL"
        if window is not None:
            conditions += f" AND {tk} <= t1 + {interval(window)}"
        if strict:
            conditions += f" AND (same OR nx IS NULL OR {tk} <= nx)"
        dropped = ", ".join(["same"] + (["nx"] if strict else []))
        ctes.append(f"r{step} AS (SELECT * EXCLUDE ({dropped}) FROM v{step} WHERE {conditions})")
    return FunnelPlan(ctes, window, tuple(exclusions), False, grouped, groups, event_groups, in_step)


def _group_ctes(event_groups: list[str], kind: str, at_step: int, step_filter: str) -> list[str]:
    """``jk_touch``: the customer's group(s) when the attempt's step-1 event does not give it:
    first/last touch (one per customer), ("step", k) with k > 1 (each value on a step-k event)."""
    if not event_groups or kind == "all_events" or (kind == "step" and at_step == 1):
        return []
    values = ", ".join(f"{g} := {g}" for g in event_groups)
    if kind in ("first_touch", "last_touch"):
        pick = "arg_min" if kind == "first_touch" else "arg_max"
        some = " OR ".join(f"{g} IS NOT NULL" for g in event_groups)
        fields = ", ".join(f"v.{g} AS {g}" for g in event_groups)
        return [f"jk_touch AS (SELECT cid, {fields} FROM (SELECT cid, {pick}(struct_pack({values}), "
                f"struct_pack(a := ts, b := struct_pack({values}))) FILTER (WHERE {some}) AS v "
                "FROM ev GROUP BY cid))"]
    return [f"jk_touch AS (SELECT DISTINCT cid, {', '.join(event_groups)} FROM ev WHERE {step_filter})"]


def _tie_ctes(src: EventSource, ctes: list[str], sets: list[set[str]], partition: list[str]) -> list[str]:
    """``sigl``: per (customer, time) of the funnel's events, ``lasts`` (see :func:`last_steps`)."""
    n = len(sets)
    part = "".join(f", {g}" for g in partition)
    sig = (f"sig AS (SELECT cid{part}, ts, list(struct_pack(n := name, c := c) ORDER BY name) AS sig FROM "
           f"(SELECT cid{part}, ts, name, CAST(least(count(*), {n}) AS INTEGER) AS c FROM ev GROUP BY ALL) "
           "GROUP BY ALL)")
    found = src.fetch(f"WITH {', '.join([*ctes, sig])} SELECT DISTINCT sig FROM sig")
    rows = []
    for (signature,) in found:
        pairs = [(item["n"], int(item["c"])) for item in signature]
        packed = ", ".join(f"struct_pack(n := {literal(a)}, c := CAST({b} AS INTEGER))" for a, b in pairs)
        rows.append(f"([{packed}], {last_steps(pairs, sets)})")
    table = ", ".join(rows) if rows else f"([], {[0] * n})"
    return [sig, f"tiemap AS (SELECT * FROM (VALUES {table}) t(sig, lasts))",
            "sigl AS MATERIALIZED (SELECT s.* EXCLUDE (sig), m.lasts FROM sig s JOIN tiemap m ON s.sig = m.sig)"]


def cust_cte(plan: FunnelPlan, n: int, first: int = 1) -> list[str]:
    """``cust``: one row per (customer, group) that reached step ``first`` or further, with
    reached (int, the furthest step) and times (the step times of the attempt the medians
    use: of the attempts that reached the furthest step, the one that reached it first;
    among those, the latest start, as PostHog)."""
    gsel = "".join(f", {g}" for g in plan.groups)
    if plan.earliest_only:
        return _earliest_times(plan, n, first)
    if plan.exclusions:
        return _excluded_times(plan, n, first)
    # the attempt is chosen on (reached, time reached, start) alone, then its times are
    # looked up in r{reached} by its start (an attempt is one row per cid, group, t1):
    # carrying every attempt's list of times through the aggregate cost more than the joins
    parts = [f"SELECT cid{gsel}, {step} AS reached, t{step} AS tr, t1 FROM r{step}" for step in range(first, n + 1)]
    same = "".join(f" AND s.{g} IS NOT DISTINCT FROM r.{g}" for g in plan.groups)
    sg = "".join(f", s.{g}" for g in plan.groups)
    times = [
        f"SELECT s.cid{sg}, s.reached, [{', '.join(f'r.t{j}' for j in range(1, step + 1))}] AS times "
        f"FROM jk_chosen s JOIN r{step} r ON s.cid = r.cid{same} AND s.t1 = r.t1 WHERE s.reached = {step}"
        for step in range(first, n + 1)
    ]
    return [
        f"jk_chosen AS (SELECT cid{gsel}, max(reached) AS reached, "
        f"arg_min(t1, struct_pack(a := -reached, b := tr, c := -epoch_us(t1))) AS t1 "
        f"FROM ({' UNION ALL '.join(parts)}) GROUP BY cid{gsel})",
        f"cust AS ({' UNION ALL '.join(times)})",
    ]


def _earliest_times(plan: FunnelPlan, n: int, first: int) -> list[str]:
    """``cust`` of the earliest-start plan. Its attempt reaches the furthest step first; the
    latest start that reaches it at that time is found backwards (step k-1 at the latest
    step-(k-1) event at or before step k), and its times forwards (step k at the earliest
    step-k event at or after step k-1), as an attempt's times are."""
    gsel = "".join(f", {g}" for g in plan.groups)
    xg = "".join(f", x.{g}" for g in plan.groups)
    parts = [f"SELECT cid{gsel}, {k} AS reached, t{k} AS tr FROM r{k}" for k in range(first, n + 1)]
    ctes = [f"fin AS (SELECT cid{gsel}, max(reached) AS reached, arg_max(tr, reached) AS tr "
            f"FROM ({' UNION ALL '.join(parts)}) GROUP BY cid{gsel})",
            f"b{n} AS (SELECT cid{gsel}, reached, tr AS u FROM fin WHERE reached = {n})"]
    for k in range(n - 1, 0, -1):
        ctes.append(
            f"b{k} AS (SELECT cid{gsel}, reached, tr AS u FROM fin WHERE reached = {k} UNION ALL "
            f"SELECT x.cid{xg}, x.reached, max(e.ts) AS u FROM b{k + 1} x JOIN ev e ON {plan.key(k - 1, 'x', 'e')} "
            f"AND e.ts <= x.u WHERE e.{plan.in_step[k - 1]} GROUP BY ALL)"
        )
    ctes.append("f1 AS (SELECT * EXCLUDE (u), u AS t1 FROM b1)")
    for k in range(2, n + 1):
        ctes.append(
            f"f{k} AS (SELECT x.*, min(e.ts) AS t{k} FROM f{k - 1} x JOIN ev e ON {plan.key(k - 1, 'x', 'e')} "
            f"AND e.ts >= x.t{k - 1} WHERE x.reached >= {k} AND e.{plan.in_step[k - 1]} GROUP BY ALL)"
        )
    times = [
        f"SELECT cid{gsel}, reached, [{', '.join(f't{j}' for j in range(1, k + 1))}] AS times FROM f{k} "
        f"WHERE reached = {k}"
        for k in range(first, n + 1)
    ]
    ctes.append(f"cust AS ({' UNION ALL '.join(times)})")
    return ctes


def _excluded_times(plan: FunnelPlan, n: int, first: int) -> list[str]:
    """``cust`` with exclusion steps (as PostHog's): an attempt with an exclusion event
    strictly after its step k and before its step m (or never reaching m), within its
    window, is excluded at the step j it was then at, and counts as reaching at most j+1.
    A customer counts at the furthest step of any attempt; when only excluded attempts got
    that far, the customer is left out of the funnel."""
    gsel = "".join(f", {g}" for g in plan.groups)
    parts = [f"SELECT cid{gsel}, t1, {k} AS reached, [{', '.join(f't{j}' for j in range(1, k + 1))}] AS times "
             f"FROM r{k}" for k in range(1, n + 1)]
    ctes = [f"att0 AS (SELECT cid{gsel}, t1, max(reached) AS reached, arg_max(times, reached) AS times "
            f"FROM ({' UNION ALL '.join(parts)}) GROUP BY cid{gsel}, t1)"]
    grouped = plan.grouped[0] and plan.grouped[-1]  # all_events: exclusions of the same value
    caps = []
    for i, ex in enumerate(plan.exclusions, start=1):
        same = "".join(f" AND a.{g} IS NOT DISTINCT FROM x.{g}" for g in plan.event_groups) if grouped else ""
        xsel = "".join(f", {g}" for g in plan.event_groups) if grouped else ""
        ctes.append(f"xe{i} AS (SELECT DISTINCT cid{xsel}, ts FROM xev WHERE name IN ({literals(ex.names)}))")
        ctes.append(f"att{i} AS (SELECT a.*, x.ts AS xt{i} FROM att{i - 1} a ASOF LEFT JOIN xe{i} x "
                    f"ON a.cid = x.cid{same} AND x.ts > a.times[{ex.start}])")
        within = "" if plan.window is None else f" AND xt{i} <= t1 + {interval(plan.window)}"
        at = " + ".join([str(ex.start)] + [f"CASE WHEN times[{j}] < xt{i} THEN 1 ELSE 0 END"
                                           for j in range(ex.start + 1, ex.end)])
        caps.append(f"CASE WHEN xt{i} IS NOT NULL{within} AND (reached < {ex.end} OR xt{i} < times[{ex.end}]) "
                    f"THEN {at} + 1 END")
    last = len(plan.exclusions)
    cap = caps[0] if len(caps) == 1 else f"least({', '.join(caps)})"
    ctes.append(f"capped AS (SELECT cid{gsel}, t1, times, {cap} IS NOT NULL AS excluded, "
                f"least(reached, coalesce({cap}, reached)) AS reached FROM att{last})")
    ctes.append(
        f"cust AS (SELECT * FROM (SELECT cid{gsel}, max(reached) AS reached, "
        "arg_min(times, struct_pack(a := -reached, b := times[reached], c := -epoch_us(t1))) "
        "FILTER (WHERE NOT excluded) AS times, "
        "max(reached) FILTER (WHERE NOT excluded) AS clean "
        f"FROM capped GROUP BY cid{gsel}) WHERE clean = reached AND reached >= {first})"
    )
    return ctes


def unordered_ctes(src: EventSource, cols: EventColumns, steps: list[Step], window: pd.Timedelta | None,
                   attribution: tuple[str, int]) -> tuple[list[str], list[str]]:
    """CTEs ending in ``cust`` for an any-order funnel (PostHog's unordered funnels), and
    the group columns. A customer reaches k steps when k different steps each have an
    event within one conversion window (inclusive); their times are, at the first event at
    which they reached their most steps, the earliest event of each of those steps in the
    window before it, in time order."""
    n = len(steps)
    sets = [set(s.names) for s in steps]
    if any(sets[j] & sets[k] for k in range(n) for j in range(k)):
        raise JourneykitError("order='any' needs steps that share no event name")
    groups = [f"g{i}" for i in range(len(cols.by))]
    event_groups = [f"g{i}" for i, c in enumerate(cols.by) if c not in cols.per_customer]
    kind = attribution[0] if event_groups else "first_touch"
    if kind == "step":
        raise JourneykitError("order='any' takes breakdown_attribution 'first_touch', 'last_touch' or 'all_events'")
    all_names = sorted(set().union(*sets))
    mapping = ", ".join(f"({literal(name)}, {k})" for k, s in enumerate(steps, start=1) for name in s.names)
    ctes = [f"ev AS MATERIALIZED (SELECT e.*, m.sk FROM ({normalised_sql(src, cols, all_names)}) e "
            f"JOIN (VALUES {mapping}) m(step_name, sk) ON e.name = m.step_name)"]
    ctes += _group_ctes(event_groups, kind, 0, "")
    part = "".join(f", {g}" for g in event_groups) if kind == "all_events" else ""
    start = "UNBOUNDED PRECEDING" if window is None else f"{interval(window)} PRECEDING"
    frame = f"OVER (PARTITION BY cid{part} ORDER BY ts RANGE BETWEEN {start} AND CURRENT ROW)"
    firsts = ", ".join(f"min(ts) FILTER (WHERE sk = {k}) {frame} AS f{k}" for k in range(1, n + 1))
    found = " + ".join(f"CAST(f{k} IS NOT NULL AS INTEGER)" for k in range(1, n + 1))
    ctes.append(f"w AS (SELECT cid{part}, ts, {firsts} FROM ev)")
    listed = ", ".join(f"f{k}" for k in range(1, n + 1))
    ctes.append(f"wc AS (SELECT cid{part}, ts, {found} AS reached, "
                f"list_sort(list_filter([{listed}], lambda x: x IS NOT NULL)) AS times FROM w)")
    reduced = (f"SELECT cid{part}, max(reached) AS reached, arg_min(times, struct_pack(a := -reached, b := ts)) "
               f"AS times FROM wc GROUP BY cid{part}")
    fields = ["a.cid"]
    for i, c in enumerate(cols.by):
        g = f"g{i}"
        fields.append(f"l.{ident(c)} AS {g}" if c in cols.per_customer else f"a.{g}" if kind == "all_events"
                      else f"t.{g}")
    joins = " LEFT JOIN jk_customer_groups l ON a.cid = l.cid" if cols.per_customer else ""
    joins += " LEFT JOIN jk_touch t ON a.cid = t.cid" if event_groups and kind != "all_events" else ""
    ctes.append(f"cust AS (SELECT {', '.join(fields + ['a.reached', 'a.times'])} FROM ({reduced}) a{joins})")
    return ctes, groups
