"""The evidence behind a pain point: the voice of the customer at a touchpoint (or theme),
the customers it reaches and where they drop off (from the event analyses), and the money
at stake.

The voice-of-customer items are those of :mod:`journeykit.analytics.voice.linking`; reach
and drop-off come from :func:`journeykit.analytics.events.funnel` on the workspace's event
relation (the log is never read into pandas); AOV and CLV from
:func:`journeykit.analytics.clv.historical_clv`.
"""

from __future__ import annotations

import math
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd

from journeykit.analytics.clv import historical_clv
from journeykit.analytics.events import funnel
from journeykit.analytics.painpoints.formula import _known
from journeykit.analytics.voice import NEGATIVE
from journeykit.analytics.voice.linking import _clean
from journeykit.core._sql import connect, literal, literals
from journeykit.core._stats import t_interval, wilson_interval
from journeykit.core.cells import split_list
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

#: event names with these words are outcomes (a failure), not steps customers should reach
FAILURE_WORDS = ("fail", "error", "cancel", "abandon", "declin", "reject", "refund", "complain")

_FUNNEL_COLUMNS = ["reach_customers", "footprint", "step", "n_step", "dropoff", "stage_dropoff",
                   "excess", "z"]


# --------------------------------------------------------------------------- customers and money


def _customer_count(ws: Workspace, events: duckdb.DuckDBPyRelation | None) -> int:
    """All customers: the customers table, else the distinct customers of the event log."""
    customers = ws.customers
    if customers is not None and "customer_id" in customers.columns and len(customers):
        return int(customers["customer_id"].nunique())
    if events is None:
        return 0
    [(count,)] = events.aggregate("count(DISTINCT customer_id)").fetchall()
    return int(count)


def _customer_keys(frame: pd.DataFrame) -> pd.Series:
    """Customer id, or a unique stand-in for an item without one (each counts once)."""
    ids = frame["customer_id"].astype("object")
    stand_in = pd.Series([f"\0{i}" for i in range(len(frame))], index=frame.index, dtype="object")
    return ids.where(ids.notna(), stand_in)


def _money(ws: Workspace) -> tuple[float, float]:
    """(average order value, CLV per customer) from :func:`historical_clv`; the observed
    values (mean order amount, mean revenue per customer) when it cannot be worked out
    (e.g. orders covering less than two weeks); (1, 1) without orders."""
    orders = ws.orders
    if orders is None or len(orders) == 0 or "amount" not in orders.columns:
        return 1.0, 1.0
    try:
        result = historical_clv(orders)
    except JourneykitError:  # too few orders or no dates for the formula: the observed values
        pass
    else:
        aov, clv = float(result.average_order_value), float(result.clv)
        if aov > 0 and clv > 0 and math.isfinite(aov) and math.isfinite(clv):
            return aov, clv
    amounts = pd.to_numeric(orders["amount"], errors="coerce")
    aov = float(amounts.mean()) if amounts.notna().any() else 1.0
    if "customer_id" in orders.columns and orders["customer_id"].notna().any():
        clv = float(amounts.groupby(orders["customer_id"].astype("string")).sum().mean())
    else:
        clv = aov
    if not (aov > 0 and clv > 0):
        return 1.0, 1.0
    return aov, clv


# --------------------------------------------------------------------------- reach and drop-off


def _window(ws: Workspace) -> pd.Timedelta:
    window = ws.config.defaults.window_delta
    return window if window is not None and window > pd.Timedelta(0) else pd.Timedelta(days=14)


def _is_failure_event(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in FAILURE_WORDS)


def _stage_events(ws: Workspace) -> dict[str, list[str]]:
    """Stage id -> its event names (journey.yaml order)."""
    return {stage.id: [str(e) for e in stage.events] for stage in ws.config.stages}


def _journey_events(ws: Workspace, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation | None:
    """The workspace's events of the journey's stages as a relation (customer_id, timestamp,
    event, channel trimmed and lower-cased as the touchpoints name it, stage); None without
    events."""
    rel = ws.events_relation(con)
    event_stage = {e: s for s, names in _stage_events(ws).items() for e in names}
    if rel is None or not event_stage:
        return None
    channel = "lower(trim(CAST(channel AS VARCHAR)))" if "channel" in rel.columns else "NULL::VARCHAR"
    cases = " ".join(f"WHEN {literal(e)} THEN {literal(s)}" for e, s in event_stage.items())
    return rel.filter(
        f"customer_id IS NOT NULL AND timestamp IS NOT NULL AND event IN ({literals(event_stage)})"
    ).project(
        f"CAST(customer_id AS VARCHAR) AS customer_id, timestamp, CAST(event AS VARCHAR) AS event, "
        f"{channel} AS channel, CASE event {cases} END AS stage"
    )


def _step1(frame: pd.DataFrame, by: list[str]) -> dict:
    """{group: customers at step 1} of a :func:`funnel` result broken down by ``by`` (a
    tuple key for several columns); groups with a missing value are left out."""
    first = frame[(frame["step"] == 1) & frame[by].notna().all(axis=1)]
    counts = first["customers"].astype(int).tolist()
    if len(by) == 1:
        return dict(zip(first[by[0]].tolist(), counts, strict=True))
    return dict(zip(zip(*(first[c].tolist() for c in by), strict=True), counts, strict=True))


def _customers_with(ev: duckdb.DuckDBPyRelation, names: list[str], by: list[str]) -> dict:
    """Distinct customers with any of ``names``, per ``by`` group (a one-step :func:`funnel`)."""
    if not names:
        return {}
    # each customer in every group they have one of the events in (the step-1 event's group)
    frame = funnel(ev, [sorted(names)], window=None, by=by or None, breakdown_attribution=("step", 1))
    if not by:
        return {(): int(frame["customers"].iloc[0])}
    return _step1(frame, by)


def _step_conversions(
    with_channel: duckdb.DuckDBPyRelation,
    stage_events: dict[str, list[str]],
    present: set[tuple[str, str]],
    window: pd.Timedelta,
) -> dict[str, list[tuple[str, dict[str, tuple[int, int]]]]]:
    """For every stage and every ordered pair (a, b) of its events present on a channel
    (a listed before b in journey.yaml; failures are outcomes, not steps): per channel, the
    customers with ``a`` there (n) and how many had ``b`` on the same channel within the
    window after an ``a`` (k): ``{stage: [("a → b", {channel: (n, k)}), ...]}``, channels
    sorted, only channels where ``a`` happens.

    k is the two-step :func:`funnel` ``[a, b]`` with the customer on one channel as the unit
    (every ``a`` opens an attempt, ``b`` at the same time as an ``a`` follows it, the window
    is inclusive): ``b`` converts when the latest ``a`` at or before it is within the
    window. All pairs are counted in one query (:func:`_pair_tables`)."""
    pairs: list[tuple[str, str, str]] = []  # (stage, a, b)
    for stage, names in stage_events.items():
        steps = [n for n in names if (stage, n) in present and not _is_failure_event(n)]
        pairs.extend((stage, a, b) for i, a in enumerate(steps) for b in steps[i + 1:])
    out: dict[str, list[tuple[str, dict[str, tuple[int, int]]]]] = {s: [] for s in stage_events}
    counted = [(stage, a, b) for stage, a, b in pairs if a != b]  # a == b: no attempt is ever opened
    tables = _pair_tables(with_channel, counted, window) if counted else {}
    for stage, a, b in pairs:
        out[stage].append((f"{a} → {b}", tables.get((a, b), {})))
    return out


def _pair_tables(
    with_channel: duckdb.DuckDBPyRelation, pairs: list[tuple[str, str, str]], window: pd.Timedelta
) -> dict[tuple[str, str], dict[str, tuple[int, int]]]:
    """``{(a, b): {channel: (n, k)}}`` for :func:`_step_conversions`, in one query; only
    channels where ``a`` happens (n > 0), sorted.

    Every ``b`` row is paired with the latest ``a`` of its customer and channel at or before
    its time (one ASOF join for all pairs: the ``b`` rows repeated once per pair they
    close, matched on customer, channel and the pair's ``a``); the unit converts when one
    such gap is within the window. An ``a`` at the same time as the ``b`` counts as before
    it. (One running-max window column per ``a`` over the whole log cost 5x more on 10M
    events: every row carried all of them through the sort.)"""
    micros = int(window // pd.Timedelta(microseconds=1))
    firsts = sorted({a for _s, a, _b in pairs})
    names = sorted(set(firsts) | {b for _s, _a, b in pairs})
    closing = ", ".join(f"({literal(a)}, {literal(b)}, {i})" for i, (_s, a, b) in enumerate(pairs))
    result = with_channel.query("jk_stage_events", f"""
        WITH steps AS (
            SELECT customer_id, channel, timestamp, event FROM jk_stage_events
            WHERE event IN ({literals(names)})
        ), pair(a, b, i) AS (VALUES {closing}),
        closers AS (
            SELECT steps.customer_id, steps.channel, steps.timestamp, pair.a, pair.i
            FROM steps JOIN pair ON steps.event = pair.b
        ), openers AS (
            SELECT customer_id, channel, timestamp, event AS a FROM steps WHERE event IN ({literals(firsts)})
        ), converted AS (
            SELECT DISTINCT closers.customer_id, closers.channel, closers.i
            FROM closers ASOF JOIN openers
              ON closers.customer_id = openers.customer_id AND closers.channel = openers.channel
             AND closers.a = openers.a AND closers.timestamp >= openers.timestamp
            WHERE closers.timestamp - openers.timestamp <= to_microseconds({micros})
        ), opened AS (
            SELECT channel, a, count(DISTINCT customer_id) AS n FROM openers GROUP BY channel, a
        ), closed AS (
            SELECT channel, i, count(*) AS k FROM converted GROUP BY channel, i
        )
        SELECT opened.channel, pair.i, opened.n, coalesce(closed.k, 0)
        FROM pair JOIN opened ON opened.a = pair.a
        LEFT JOIN closed ON closed.channel = opened.channel AND closed.i = pair.i
        ORDER BY opened.channel, pair.i
    """)
    rows = result.fetchall() if result is not None else []
    tables: dict[tuple[str, str], dict[str, tuple[int, int]]] = {(a, b): {} for _s, a, b in pairs}
    for channel, i, n, k in rows:
        _stage, a, b = pairs[int(i)]
        if int(n) > 0:
            tables[(a, b)][str(channel)] = (int(n), int(k))
    return tables


def _worst_step(steps: list[tuple[str, dict[str, tuple[int, int]]]], channel: str) -> dict | None:
    """The step where ``channel`` converts worst against the other channels (largest
    two-proportion z; the step must happen on this channel at all): step, n_step, dropoff,
    stage_dropoff, excess, z. None when no step can be compared."""
    best = None
    for name, table in steps:
        if channel not in table or len(table) < 2:
            continue
        n1, k1 = table[channel]
        n2 = sum(n for c, (n, _k) in table.items() if c != channel)
        k2 = sum(k for c, (_n, k) in table.items() if c != channel)
        if n1 == 0 or n2 == 0 or k1 == 0:
            continue  # the step does not happen on this channel at all
        p1, p2 = k1 / n1, k2 / n2
        pooled = (k1 + k2) / (n1 + n2)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p2 - p1) / se if se > 0 else 0.0
        if best is None or z > best[0]:
            best = (z, name, n1, 1 - p1, 1 - p2)
    if best is None:
        return None
    z, name, n1, drop, drop_other = best
    return {"step": name, "n_step": n1, "dropoff": drop, "stage_dropoff": drop_other,
            "excess": max(0.0, drop - drop_other), "z": z}


def _funnel_by_touchpoint(
    ws: Workspace, tp_info: pd.DataFrame, ev: duckdb.DuckDBPyRelation | None
) -> pd.DataFrame:
    """Reach and drop-off per touchpoint from the event log (index: touchpoint id).

    ``ev`` is :func:`_journey_events`. reach_customers: customers with an event of the
    touchpoint's stage on its channel (or of its own ``events`` list, when the touchpoints
    table has that column; or of the stage on any channel when the log has no event on
    that channel). footprint: that key.

    Drop-off is a step inside the stage compared across channels: for every ordered pair
    of the stage's events (a listed before b in journey.yaml; events named like a failure —
    :data:`FAILURE_WORDS` — are outcomes, not steps), a customer who had ``a`` on the
    touchpoint's channel converts if ``b`` follows on the same channel within the
    workspace's window (journey.yaml ``defaults.window``, 14D; :func:`funnel` rules). The
    step where the channel converts worst against the other channels (largest
    two-proportion z, the step must happen on this channel at all) gives: step ("a → b"),
    n_step (customers), dropoff (1 − conversion here), stage_dropoff (1 − conversion on the
    other channels), excess (the difference, ≥ 0) and z. NaN when no step can be compared.
    """
    empty = pd.DataFrame(columns=_FUNNEL_COLUMNS, index=pd.Index([], name="id"))
    stage_events = _stage_events(ws)
    if ev is None:
        return empty
    seen = ev.aggregate("stage, event, bool_or(channel IS NOT NULL) AS on_channel",
                        "stage, event").fetchall()
    if not seen:
        return empty
    present_any = sorted({str(event) for _stage, event, _on in seen})
    present = {(str(stage), str(event)) for stage, event, on_channel in seen if on_channel}
    with_channel = ev.filter("channel IS NOT NULL")
    # distinct customers per stage and per stage × channel, counted once for all touchpoints
    reach_stage = _customers_with(ev, present_any, ["stage"])
    reach_stage_channel = _customers_with(with_channel, sorted({e for _s, e in present}),
                                          ["stage", "channel"])
    channels_in_stage: dict[str, set[str]] = {}
    for stage, channel in reach_stage_channel:
        channels_in_stage.setdefault(stage, set()).add(channel)
    steps = _step_conversions(with_channel, stage_events, present, _window(ws))
    has_events_column = "events" in tp_info.columns
    rows = {}
    for tp_id, info in tp_info.iterrows():
        stage = _clean(info["stage"])
        if stage not in stage_events:
            continue
        own_events = split_list(info["events"]) if has_events_column else []
        channel = (_clean(info["channel"]) or "").lower()
        row: dict[str, Any] = {"reach_customers": 0, "footprint": None, "step": None,
                               "n_step": 0, "dropoff": np.nan, "stage_dropoff": np.nan,
                               "excess": np.nan, "z": np.nan}
        if own_events:
            row["footprint"] = "events:" + ";".join(sorted(own_events))
            found = [e for e in present_any if e in set(own_events)]
            row["reach_customers"] = _customers_with(ev, found, []).get((), 0)
        elif channel and channel in channels_in_stage.get(stage, set()):
            row["footprint"] = f"{stage}|{channel}"
            row["reach_customers"] = int(reach_stage_channel.get((stage, channel), 0))
        else:
            row["footprint"] = f"{stage}|*"
            row["reach_customers"] = int(reach_stage.get(stage, 0))
        if not own_events and row["footprint"] == f"{stage}|{channel}":
            worst = _worst_step(steps.get(stage, []), channel)
            if worst is not None:
                row.update(worst)
        rows[tp_id] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=_FUNNEL_COLUMNS)
    out.index.name = "id"
    return out


def _funnel_evidence(ws: Workspace, tp_info: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(:func:`_funnel_by_touchpoint`, all customers — :func:`_customer_count`), from one
    DuckDB connection over the workspace's events."""
    con = connect()
    try:
        journey = _journey_events(ws, con)
        if journey is not None and "events" not in ws.large:
            # a log held in pandas is copied into DuckDB once, since the reach and drop-off
            # queries below scan it many times; a large log is scanned from its Parquet file
            journey.create("jk_journey_events")
            journey = con.table("jk_journey_events")
        funnel_table = _funnel_by_touchpoint(ws, tp_info, journey)
        return funnel_table, _customer_count(ws, ws.events_relation(con))
    finally:
        con.close()


# --------------------------------------------------------------------------- the voice of the customer


def _is_negative(items: pd.DataFrame) -> pd.Series:
    negative_text = items["sentiment"] <= NEGATIVE
    low_csat = items["csat"] <= 2
    return (negative_text.fillna(False) | low_csat.fillna(False)).astype(bool)


class _Voice:
    """The voice-of-customer items as plain arrays, for per-unit statistics without a
    pandas selection per touchpoint (the same numbers as the DataFrame expressions in
    the comments)."""

    def __init__(self, items: pd.DataFrame):
        self.text = items["text"].to_numpy(dtype=object, na_value=None)
        self.sentiment = items["sentiment"].to_numpy(dtype="float64")
        self.csat = items["csat"].to_numpy(dtype="float64")
        self.is_ticket = (items["source"] == "ticket").fillna(False).to_numpy(dtype=bool)
        self.customer = items["customer_id"].to_numpy(dtype=object, na_value=None)
        self.id = items["id"].to_numpy(dtype=object, na_value=None)
        self.negative = _is_negative(items).to_numpy(dtype=bool)
        # items["text"].notna() | items["csat"].notna()
        self.relevant = np.array([t is not None for t in self.text], dtype=bool) | ~np.isnan(self.csat)
        self.has_sentiment = ~np.isnan(self.sentiment)


def _distinct_customers(voice: _Voice, positions: np.ndarray) -> int:
    """``_customer_keys(frame).nunique()`` of the items at ``positions``: an item without
    a customer id counts once on its own."""
    keys = {cid if cid is not None else f"\0{i}"
            for i, cid in enumerate(voice.customer[positions].tolist())}
    return len(keys)


def _quotes_at(voice: _Voice, positions: np.ndarray, kind: str, n: int = 3) -> list[str]:
    """Up to ``n`` distinct quotes from the items at ``positions`` that have text and a
    sentiment: the most negative first for a pain (only negative ones when there are
    any), the most positive first for an opportunity; ties by item id."""
    rows = [(float(voice.sentiment[p]), voice.id[p], voice.text[p]) for p in positions.tolist()
            if voice.text[p] is not None and voice.has_sentiment[p]]
    # sort by sentiment (ascending for a pain, descending for an opportunity), then id;
    # a stable sort keeps the item order for full ties, as the mergesort did
    if kind != "opportunity":
        rows.sort(key=lambda r: (r[0], r[1]))
        if any(r[0] < 0 for r in rows):
            rows = [r for r in rows if r[0] < 0]
    else:
        rows.sort(key=lambda r: (-r[0], r[1]))
    out: list[str] = []
    for _sentiment, _id, text in rows:
        text = str(text)
        if text not in out:
            out.append(text)
        if len(out) == n:
            break
    return out


def _unit_evidence_at(
    voice: _Voice, positions: np.ndarray, overall_csat: float, kind: str = "pain"
) -> dict[str, Any]:
    """Voice-of-customer statistics of one unit (a touchpoint or a theme): the items at
    ``positions`` (ascending) of ``voice``."""
    relevant = positions[voice.relevant[positions]]
    texts = relevant[voice.has_sentiment[relevant]]
    mean, _sd, _low, high = t_interval(voice.sentiment[texts], 0.95, -1.0, 1.0)
    answers = voice.csat[relevant]
    answers = answers[~np.isnan(answers)]
    n_csat = int(len(answers))
    top2 = int((answers >= 4).sum())
    csat = top2 / n_csat if n_csat else float("nan")
    _c_low, c_high = wilson_interval(top2, n_csat)
    negative = voice.negative[relevant]
    n_negative = int(negative.sum())
    n_items = int(len(relevant))
    negativity = max(0.0, -mean) if len(texts) else float("nan")
    gap = (max(0.0, (overall_csat - csat) / overall_csat)
           if n_csat and _known(overall_csat) and overall_csat > 0 else float("nan"))
    parts = [p for p in (negativity, gap) if _known(p)]
    return {
        "n_evidence": n_items,
        "n_texts": int(len(texts)),
        "n_tickets": int(voice.is_ticket[positions].sum()),
        "n_csat": n_csat,
        "n_negative": n_negative,
        "negative_customers": _distinct_customers(voice, relevant[negative]),
        "voice_customers": _distinct_customers(voice, relevant),
        "sentiment": mean,
        "sentiment_high": high,
        "csat": csat,
        "csat_high": c_high,
        "frequency": n_negative / n_items if n_items else float("nan"),
        "severity": float(np.mean(parts)) if parts else float("nan"),
        "quotes": _quotes_at(voice, texts, kind),
    }


def _scale_1_5(value: object, pid: str = "?", column: str = "severity") -> float:
    """A workshop score 1–5 as 0–1: (s − 1) / 4; NaN when blank."""
    if not _known(value):
        return float("nan")
    try:
        number = float(cast(float, value))  # a number or numeric text; anything else fails below
    except (TypeError, ValueError):
        number = float("nan")
    if not 1 <= number <= 5:
        raise JourneykitError(f"painpoints row {pid!r}: {column} must be 1-5, got {value!r}")
    return (number - 1) / 4
