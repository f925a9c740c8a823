"""Pain points and opportunities: evidence, a transparent priority score, an action plan.

:func:`score_pain_points` puts the workshop's entries (the ``painpoints`` table) and the
pain points the data reveals into one table, each with its visible components, all 0–1:

=============  ==========================================================================
frequency      share of the voice-of-customer items at the touchpoint (feedback rows and
               tickets) that are negative: sentiment ≤ −0.05 or CSAT 1–2. Without any
               item there, the workshop's ``frequency`` (1–5) as (f − 1) / 4.
severity       mean of negativity = max(0, −mean sentiment) and CSAT gap =
               max(0, (overall CSAT − CSAT here) / overall CSAT), whichever exist.
               The workshop's ``severity`` (1–5), when set, overrides it: (s − 1) / 4.
reach          share of customers passing the touchpoint: customers with an event of its
               stage on its channel ÷ all customers (customers table, else event log).
               Without events: customers with feedback/tickets there ÷ all who left any.
impact         value at risk ÷ the largest value at risk in the table, where
               value_at_risk = excess_lost × AOV + frequency × severity × reach_customers × CLV
               (data values of frequency and severity, never the workshop's guesses);
               excess_lost = customers who fail the touchpoint's worst step beyond the
               other channels' rate (see ``_funnel_by_touchpoint``); AOV and CLV from
               :func:`journeykit.analytics.clv.historical_clv` (observed revenue per customer if it
               fails; both 1 without orders, so value_at_risk then counts customers).
=============  ==========================================================================

effort is 1–5 from the workshop (blank = 3, medium); confidence is
(n + n0) / (n + n0 + 30) with n = n_evidence + n_funnel (customers behind a drop-off
signal) and n0 = 10 for a workshop entry (the team's judgement counts like ten
observations), 0 for a discovered one.

**Priority** — the formula; weights in :data:`DEFAULT_WEIGHTS`, overridable::

    value    = exp( Σ w_k · ln max(c_k, 0.01) / Σ w_k )    weighted geometric mean of
               c ∈ {frequency, severity, reach, impact}    the components; a component
                                                            without data counts 0.5
    priority = confidence · value / (effort / 3) ** w_effort

A geometric mean because a pain point matters when it is frequent *and* severe *and*
reaches many customers *and* costs money: one component near zero pulls the value down
(the 0.01 floor keeps it from erasing the rest). With the default weights (all 1,
``effort`` 0.5) effort 1 multiplies the priority by √3 ≈ 1.73 and effort 5 divides it
by √(5/3) ≈ 1.29; ``effort=1`` divides by effort as RICE does, ``effort=0`` ignores it.

**Quadrant** (impact/effort matrix; :data:`IMPACT_THRESHOLD`, :data:`EFFORT_THRESHOLD`):
high impact = impact ≥ 0.5 (the row's ``value`` when impact is unknown); low effort =
effort ≤ 3 (medium counts as low, so an unscored item is not parked). quick win = high
impact + low effort; major project = high impact + high effort; fill-in = low impact +
low effort; reconsider = low impact + high effort.

Example:
    >>> round(priority_score(frequency=0.5, severity=0.5, reach=0.2, impact=1.0, effort=3,
    ...                      confidence=0.5), 4)
    0.2364
    >>> quadrant(0.8, 2), quadrant(0.8, 4), quadrant(0.1, 3), quadrant(0.1, 5)
    ('quick win', 'major project', 'fill-in', 'reconsider')
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from journeykit.analytics.voice import (
    NEGATIVE,
    _clean,
    _get,
    _memo,
    _stages,
    _table,
    _themes,
    _touchpoint_info,
    _voice_items,
)
from journeykit.core._stats import t_interval, wilson_interval
from journeykit.core.cells import split_list
from journeykit.core.errors import JourneykitError

#: weights of the priority formula; ``effort`` is the exponent of the effort factor
DEFAULT_WEIGHTS: dict[str, float] = {
    "frequency": 1.0, "severity": 1.0, "reach": 1.0, "impact": 1.0, "effort": 0.5,
}
#: impact at or above which an item is "high impact"
IMPACT_THRESHOLD = 0.5
#: effort at or below which an item is "low effort" (1–5 scale)
EFFORT_THRESHOLD = 3
#: default effort (medium) when the workshop left it blank
DEFAULT_EFFORT = 3
#: confidence = (n + n0) / (n + n0 + CONFIDENCE_HALF): 30 observations give 0.5
CONFIDENCE_HALF = 30
#: a workshop estimate counts like this many observations (n0)
WORKSHOP_PRIOR_N = 10
#: a component below this counts as this in the geometric mean
COMPONENT_FLOOR = 0.01
#: a component without data counts as this (neither good nor bad)
COMPONENT_UNKNOWN = 0.5

# what makes discovered evidence "clearly negative" (any one is enough)
MIN_TEXTS = 5          # sentiment: ≥ 5 texts and the 95% upper bound of the mean < 0
MIN_CSAT = 10          # CSAT: ≥ 10 answers and the Wilson upper bound < overall CSAT
MIN_TICKETS = 5        # tickets: ≥ 5 and ≥ 2 × the median count of touchpoints with tickets
MIN_FUNNEL = 30        # drop-off: ≥ 30 customers at the step, excess ≥ 5 points, z ≥ 1.96
MIN_EXCESS_DROPOFF = 0.05

SCORE_COLUMNS = [
    "id", "kind", "source", "title", "description", "touchpoint", "touchpoint_name", "stage",
    "theme", "n_evidence", "frequency", "severity", "reach", "impact", "effort", "confidence",
    "priority", "quadrant", "owner", "status", "quotes",
    # supporting evidence, for the curious and for action_plan
    "value", "value_at_risk", "n_texts", "n_tickets", "n_csat", "n_funnel", "sentiment",
    "csat", "dropoff_step", "dropoff_excess", "signals",
]


# --------------------------------------------------------------------------- the formula


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    merged = dict(DEFAULT_WEIGHTS)
    if weights:
        unknown = set(weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise JourneykitError(
                f"unknown weight(s) {sorted(unknown)}; expected some of {sorted(DEFAULT_WEIGHTS)}"
            )
        for key, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    value >= 0) or math.isinf(value):
                raise JourneykitError(f"weight {key!r} must be a finite number >= 0, got {value!r}")
        merged.update({k: float(v) for k, v in weights.items()})
    if sum(merged[k] for k in ("frequency", "severity", "reach", "impact")) <= 0:
        raise JourneykitError("at least one of the frequency/severity/reach/impact weights must be > 0")
    return merged


def _known(value: object) -> bool:
    return value is not None and value is not pd.NA and not (
        isinstance(value, float) and math.isnan(value)
    )


def component_value(
    frequency: float, severity: float, reach: float, impact: float,
    weights: Mapping[str, float] | None = None,
) -> float:
    """Weighted geometric mean of the four components (see the module docstring).

    Example:
        >>> round(component_value(0.5, 0.5, 0.5, float("nan")), 6)   # unknown counts 0.5
        0.5
    """
    w = _weights(weights)
    parts = {"frequency": frequency, "severity": severity, "reach": reach, "impact": impact}
    total = 0.0
    for key, value in parts.items():
        number = float(value) if _known(value) else COMPONENT_UNKNOWN
        total += w[key] * math.log(min(1.0, max(COMPONENT_FLOOR, number)))
    return math.exp(total / sum(w[k] for k in parts))


def priority_score(
    *, frequency: float, severity: float, reach: float, impact: float, effort: float,
    confidence: float, weights: Mapping[str, float] | None = None,
) -> float:
    """confidence · value / (effort / 3) ** w_effort — see the module docstring.

    Example:
        >>> priority_score(frequency=1, severity=1, reach=1, impact=1, effort=3, confidence=1)
        1.0
    """
    w = _weights(weights)
    value = component_value(frequency, severity, reach, impact, w)
    effort = float(effort) if _known(effort) else float(DEFAULT_EFFORT)
    return float(confidence) * value / (effort / DEFAULT_EFFORT) ** w["effort"]


def quadrant(impact: float, effort: float) -> str:
    """Impact/effort quadrant: impact ≥ 0.5 is high, effort ≤ 3 is low (see module docstring)."""
    effort = float(effort) if _known(effort) else float(DEFAULT_EFFORT)
    high = _known(impact) and float(impact) >= IMPACT_THRESHOLD
    low_effort = effort <= EFFORT_THRESHOLD
    if high:
        return "quick win" if low_effort else "major project"
    return "fill-in" if low_effort else "reconsider"


def confidence_from_n(n: float, prior: float = 0.0) -> float:
    """(n + prior) / (n + prior + 30): 0 with no evidence, 0.5 at 30 observations."""
    total = max(0.0, float(n)) + prior
    return total / (total + CONFIDENCE_HALF)


# --------------------------------------------------------------------------- evidence


def _customer_count(ws: Any) -> int:
    """All customers: the customers table, else the distinct customers of the event log."""
    customers = _table(ws, "customers")
    if customers is not None and "customer_id" in customers.columns and len(customers):
        return int(customers["customer_id"].nunique())
    events = _table(ws, "events")
    if events is not None and "customer_id" in events.columns and len(events):
        return int(events["customer_id"].nunique())
    return 0


def _customer_keys(frame: pd.DataFrame) -> pd.Series:
    """Customer id, or a unique stand-in for an item without one (each counts once)."""
    ids = frame["customer_id"].astype("object")
    stand_in = pd.Series([f"\0{i}" for i in range(len(frame))], index=frame.index, dtype="object")
    return ids.where(ids.notna(), stand_in)


def _money(ws: Any) -> tuple[float, float]:
    """(average order value, CLV per customer); (1, 1) without orders."""
    orders = _table(ws, "orders")
    if orders is None or len(orders) == 0 or "amount" not in orders.columns:
        return 1.0, 1.0
    try:
        from journeykit.analytics.clv import historical_clv

        result = historical_clv(orders)
        aov, clv = float(result.average_order_value), float(result.clv)
        if aov > 0 and clv > 0 and math.isfinite(aov) and math.isfinite(clv):
            return aov, clv
    except Exception:  # noqa: BLE001 - degrade to the observed values below
        pass
    amounts = pd.to_numeric(orders["amount"], errors="coerce")
    aov = float(amounts.mean()) if amounts.notna().any() else 1.0
    if "customer_id" in orders.columns and orders["customer_id"].notna().any():
        clv = float(amounts.groupby(orders["customer_id"].astype("string")).sum().mean())
    else:
        clv = aov
    if not (aov > 0 and clv > 0):
        return 1.0, 1.0
    return aov, clv


def _window(ws: Any) -> pd.Timedelta:
    window = ws.config.defaults.window_delta
    return window if window is not None and window > pd.Timedelta(0) else pd.Timedelta(days=14)


#: event names with these words are outcomes (a failure), not steps customers should reach
FAILURE_WORDS = ("fail", "error", "cancel", "abandon", "declin", "reject", "refund", "complain")


def _is_failure_event(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in FAILURE_WORDS)


def _stage_step_conversions(
    stage_ev: pd.DataFrame, names: list[str], window_s: float
) -> list[tuple[str, dict[str, tuple[int, int]]]]:
    """For every ordered pair (a, b) of ``names``: per channel, the customers with ``a``
    there (n) and how many had ``b`` on the same channel within the window after an ``a`` (k),
    as ``{channel: (n, k)}`` (channels in sorted order)."""
    ev = stage_ev.sort_values(["customer_id", "channel", "t"], kind="mergesort")
    times = ev["t"].to_numpy(dtype="float64")
    events = ev["event"].to_numpy(dtype=object)
    customer_ids = ev["customer_id"].to_numpy(dtype=object)
    channel_values = ev["channel"].to_numpy(dtype=object)
    n_rows = len(ev)
    # sorted, so each customer × channel group is one run of rows; groups numbered in order
    starts = np.ones(n_rows, dtype=bool)
    starts[1:] = (customer_ids[1:] != customer_ids[:-1]) | (channel_values[1:] != channel_values[:-1])
    group = np.cumsum(starts) - 1
    group_end = np.append(np.flatnonzero(starts)[1:] - 1, n_rows - 1)[group] if n_rows else group
    channel_codes, channel_names = pd.factorize(channel_values, sort=True)
    n_groups = int(group.max()) + 1 if n_rows else 0
    channel_of_group = np.zeros(n_groups, dtype=np.int64)
    channel_of_group[group] = channel_codes  # a customer × channel group has one channel
    n_channels = len(channel_names)
    out = []
    next_time: dict[str, np.ndarray] = {}
    positions = np.arange(n_rows)
    for b in names[1:]:
        # time of the next b (at or after each row) within the customer × channel group
        candidates = np.where(events == b, positions, n_rows)
        following = np.minimum.accumulate(candidates[::-1])[::-1] if n_rows else candidates
        inside = following <= group_end
        next_time[b] = np.where(inside, times[np.minimum(following, n_rows - 1)], np.nan)
    for i, a in enumerate(names):
        rows = np.flatnonzero(events == a)
        if not len(rows):
            continue
        groups_with_a = np.unique(group[rows])
        n = np.bincount(channel_of_group[groups_with_a], minlength=n_channels)
        for b in names[i + 1:]:
            gap = next_time[b][rows] - times[rows]
            hit = (gap >= 0) & (gap <= window_s)
            # a customer converts on a channel when any of their a's there is followed by b
            k = np.bincount(channel_of_group[np.unique(group[rows[hit]])], minlength=n_channels)
            table = {str(channel_names[c]): (int(n[c]), int(k[c]))
                     for c in range(n_channels) if n[c]}
            out.append((f"{a} → {b}", table))
    return out


def _funnel_by_touchpoint(ws: Any, tp_info: pd.DataFrame) -> pd.DataFrame:
    """Reach and drop-off per touchpoint from the event log (index: touchpoint id).

    reach_customers: customers with an event of the touchpoint's stage on its channel (or
    of its own ``events`` list, when the touchpoints table has that column; or of the stage
    on any channel when the log has no event on that channel). footprint: that key.

    Drop-off is a step inside the stage compared across channels: for every ordered pair
    of the stage's events (a listed before b in journey.yaml; events named like a failure —
    :data:`FAILURE_WORDS` — are outcomes, not steps), a customer who had ``a`` on the
    touchpoint's channel converts if ``b`` follows on the same channel within the
    workspace's window (journey.yaml ``defaults.window``, 14D). The step where the
    channel converts worst against the other channels (largest two-proportion z, the
    step must happen on this channel at all) gives: step ("a → b"), n_step (customers),
    dropoff (1 − conversion here), stage_dropoff (1 − conversion on the other channels),
    excess (the difference, ≥ 0) and z. NaN when no step can be compared.
    """
    columns = ["reach_customers", "footprint", "step", "n_step", "dropoff", "stage_dropoff",
               "excess", "z"]
    empty = pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    events = _table(ws, "events")
    stage_events: dict[str, list[str]] = {}
    for stage in _get(ws.config, "stages", []) or []:
        stage_events[str(_get(stage, "id"))] = [str(e) for e in _get(stage, "events", ()) or ()]
    event_stage = {e: s for s, names in stage_events.items() for e in names}
    if events is None or len(events) == 0 or not event_stage or not {
        "customer_id", "timestamp", "event"
    } <= set(events.columns):
        return empty
    ev = pd.DataFrame({
        "customer_id": events["customer_id"].astype("string"),
        "t": pd.to_datetime(events["timestamp"], errors="coerce"),
        "event": events["event"].astype("string"),
        "channel": events["channel"].astype("string").str.strip().str.lower()
        if "channel" in events.columns else pd.Series(pd.NA, index=events.index, dtype="string"),
    })
    ev = ev[ev["customer_id"].notna() & ev["t"].notna() & ev["event"].isin(list(event_stage))]
    if ev.empty:
        return empty
    ev["t"] = (ev["t"] - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)  # any resolution
    ev["stage"] = ev["event"].map(event_stage)
    window_s = _window(ws) / pd.Timedelta(seconds=1)
    with_channel = ev[ev["channel"].notna()]

    step_tables: dict[str, list[tuple[str, pd.DataFrame]]] = {}

    def steps_of(stage: str) -> list[tuple[str, pd.DataFrame]]:
        if stage not in step_tables:
            stage_ev = with_channel[with_channel["stage"] == stage]
            present = set(stage_ev["event"].unique())
            names = [n for n in stage_events.get(stage, [])
                     if n in present and not _is_failure_event(n)]
            step_tables[stage] = _stage_step_conversions(
                stage_ev[stage_ev["event"].isin(names)], names, window_s)
        return step_tables[stage]

    channels_in_stage = with_channel.groupby("stage")["channel"].unique().to_dict()
    # distinct customers per stage and per stage × channel, counted once for all touchpoints
    reach_stage = ev.groupby("stage")["customer_id"].nunique().to_dict()
    reach_stage_channel = with_channel.groupby(["stage", "channel"])["customer_id"].nunique().to_dict()
    has_events_column = "events" in tp_info.columns
    rows = {}
    for tp_id, info in tp_info.iterrows():
        stage = _clean(info["stage"])
        if stage not in stage_events:
            continue
        own_events = split_list(info["events"]) if has_events_column else []
        channel = (_clean(info["channel"]) or "").lower()
        row = {"reach_customers": 0, "footprint": None, "step": None, "n_step": 0,
               "dropoff": np.nan, "stage_dropoff": np.nan, "excess": np.nan, "z": np.nan}
        if own_events:
            mask = ev["event"].isin(own_events)
            row["footprint"] = "events:" + ";".join(sorted(own_events))
            row["reach_customers"] = int(ev.loc[mask, "customer_id"].nunique())
        elif channel and channel in set(channels_in_stage.get(stage, [])):
            row["footprint"] = f"{stage}|{channel}"
            row["reach_customers"] = int(reach_stage_channel.get((stage, channel), 0))
        else:
            row["footprint"] = f"{stage}|*"
            row["reach_customers"] = int(reach_stage.get(stage, 0))
        if not own_events and row["footprint"] == f"{stage}|{channel}":
            best = None
            for name, table in steps_of(stage):
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
            if best is not None:
                z, name, n1, drop, drop_other = best
                row.update(step=name, n_step=n1, dropoff=drop, stage_dropoff=drop_other,
                           excess=max(0.0, drop - drop_other), z=z)
        rows[tp_id] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    out.index.name = "id"
    return out


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
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 1 <= number <= 5:
        raise JourneykitError(f"painpoints row {pid!r}: {column} must be 1-5, got {value!r}")
    return (number - 1) / 4


def _short(text: str | None, width: int = 80) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


#: how a discovered pain point is named, by the strongest evidence that found it
_SIGNAL_TITLES = (
    ("drop-off", "Customers drop off at {where}"),
    ("sentiment", "Complaints about {where}"),
    ("tickets", "Support tickets about {where}"),
    ("csat", "Low satisfaction with {where}"),
)


def _discovered_title(touchpoint: str | None, topic: str | None, signals: Sequence[str]) -> str:
    """A discovered pain point's title: what the evidence shows, where, and the feedback
    theme when it says more than the touchpoint's name.

    >>> _discovered_title("App checkout and payment", "Checkout and payment", ["sentiment", "drop-off"])
    'Customers drop off at App checkout and payment'
    >>> _discovered_title("Browsing in the app", "Website and app", ["sentiment"])
    'Complaints about Browsing in the app (website and app)'
    >>> _discovered_title(None, "Parking", ["sentiment"])
    'Complaints about parking'
    """
    where = touchpoint or (topic.lower() if topic else "the journey")
    template = next((t for signal, t in _SIGNAL_TITLES if signal in signals), "Negative feedback on {where}")
    title = template.format(where=where)
    if touchpoint and topic:
        named = set(re.findall(r"\w+", touchpoint.lower()))
        if set(re.findall(r"\w+", topic.lower())) - named - {"and", "or", "the", "of"}:
            title += f" ({topic.lower()})"
    return title


def _describe(ev: dict[str, Any], funnel: dict[str, Any] | None, overall_csat: float) -> str:
    parts = []
    if ev["n_texts"]:
        parts.append(f"mean sentiment {ev['sentiment']:+.2f} over {ev['n_texts']} texts")
    if ev["n_csat"]:
        overall = f" vs {overall_csat:.0%} overall" if _known(overall_csat) else ""
        parts.append(f"CSAT {ev['csat']:.0%} (n={ev['n_csat']}){overall}")
    if ev["n_tickets"]:
        parts.append(f"{ev['n_tickets']} support tickets")
    if funnel and _known(funnel.get("excess")) and funnel["excess"] > 0:
        parts.append(
            f"step {funnel['step']}: {funnel['dropoff']:.0%} drop off vs "
            f"{funnel['stage_dropoff']:.0%} on other channels (n={int(funnel['n_step'])})"
        )
    return "; ".join(parts) if parts else "no data yet"


# --------------------------------------------------------------------------- scoring


def score_pain_points(ws: Any, *, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One table of pain points and opportunities — workshop entries and discovered ones.

    Discovered: every touchpoint (and every theme that journey.yaml ties to no touchpoint)
    with clearly negative evidence — any of: ≥ 5 texts whose mean sentiment is below 0
    with 95% confidence; ≥ 10 CSAT answers whose Wilson upper bound is below the overall
    CSAT; ≥ 5 tickets and at least twice the median ticket count of touchpoints with
    tickets; a step of the touchpoint's stage where its channel loses ≥ 5 points more
    customers than the other channels, at z ≥ 1.96 on ≥ 30 customers. Its theme is the
    most frequent theme of its negative items; ``signals`` says which evidence fired.

    A workshop entry takes the evidence of its touchpoint; its ``severity`` (1–5)
    overrides the data's, its ``frequency`` (1–5) is used only where the data has none;
    its ``effort`` (blank = 3), ``owner`` and ``status`` are kept. A workshop entry that
    duplicates a discovered one (same id, or same touchpoint and the same theme — a
    missing theme on either side matches) is merged into it: one row with the workshop's
    id, kind, owner, status, effort and description and the data's evidence.

    Columns (components and formula in the module docstring):
    id, kind (pain/opportunity), source (workshop/discovered), title, description,
    touchpoint, touchpoint_name, stage, theme, n_evidence (feedback rows + tickets),
    frequency, severity, reach, impact (0–1; NaN without data), effort (1–5),
    confidence (0–1), priority, quadrant, owner, status, quotes (list of ≤ 3 masked
    texts, most negative first for a pain, most positive first for an opportunity);
    then value (the weighted geometric mean), value_at_risk (currency, or customers
    without orders), n_texts, n_tickets, n_csat, n_funnel, sentiment (mean), csat
    (share 4–5), dropoff_step ("a → b"), dropoff_excess, signals ("sentiment; csat;
    tickets; drop-off", or "workshop"). Sorted by priority, highest first.

    Example:
        >>> scored = score_pain_points(ws)                               # doctest: +SKIP
        >>> scored[["title", "priority", "quadrant"]].head()              # doctest: +SKIP
        >>> score_pain_points(ws, weights={"reach": 2, "effort": 1})     # doctest: +SKIP
    """
    w = _weights(weights)
    key = ("painpoints.score_pain_points", tuple(sorted(w.items())))
    return _memo(ws, key, lambda: _compute_scores(ws, w))


def _compute_scores(ws: Any, w: dict[str, float]) -> pd.DataFrame:
    """:func:`score_pain_points` with validated weights ``w`` (not memoised)."""
    items = _voice_items(ws)
    tp_info = _touchpoint_info(ws)
    touchpoints = _table(ws, "touchpoints")
    if touchpoints is not None and "events" in touchpoints.columns and "id" in touchpoints:
        unique = touchpoints.drop_duplicates("id")
        tp_info["events"] = pd.Series(unique["events"].to_numpy(),
                                      index=unique["id"].astype("string")).reindex(tp_info.index)
    themes = _themes(ws, tp_info)
    theme_by_name = {t.name.lower(): t for t in themes}
    answers = items["csat"].dropna()
    overall_csat = float((answers >= 4).mean()) if len(answers) else float("nan")
    funnel = _funnel_by_touchpoint(ws, tp_info)
    n_customers = _customer_count(ws)
    voice_all = int(_customer_keys(items).nunique()) if len(items) else 0
    aov, clv = _money(ws)

    # --- evidence per unit: touchpoints, and themes tied to no touchpoint
    # (each unit is the ascending positions of its items)
    voice = _Voice(items)
    item_tp = items["touchpoint"].to_numpy(dtype=object, na_value=None)
    item_theme = items["theme"].to_numpy(dtype=object, na_value=None)
    by_tp: dict[str, list[int]] = {}
    for position, tp_id in enumerate(item_tp.tolist()):
        if tp_id is not None:
            by_tp.setdefault(tp_id, []).append(position)
    units: dict[tuple[str, str], np.ndarray] = {}
    for tp_id in tp_info.index:
        units[("tp", tp_id)] = np.array(by_tp.get(tp_id, []), dtype=np.int64)
    for theme in themes:
        if theme.touchpoint is None:
            units[("theme", theme.name)] = np.flatnonzero(
                np.array([t is None for t in item_tp.tolist()], dtype=bool)
                & (item_theme == theme.name))
    no_items = np.array([], dtype=np.int64)
    ticket_counts = [int(voice.is_ticket[u].sum()) for k, u in units.items() if k[0] == "tp"]
    positive_counts = [c for c in ticket_counts if c > 0]
    median_tickets = float(np.median(positive_counts)) if positive_counts else 0.0

    # touchpoints with the same footprint in the event log (same stage and channel) share
    # one drop-off measurement: it goes to the one with most negative items (then most
    # items, then the first in the touchpoints table), not to each of them
    drop_owner: dict[str, str] = {}
    for footprint, group in funnel.groupby("footprint", sort=False):
        ranked = sorted(
            (i for i in group.index if ("tp", i) in units),
            key=lambda i: (-int(voice.negative[units[("tp", i)]].sum()), -len(units[("tp", i)]),
                           list(tp_info.index).index(i)),
        )
        if ranked:
            drop_owner[str(footprint)] = ranked[0]

    def stats_for(key: tuple[str, str], kind: str = "pain") -> dict[str, Any]:
        positions = units.get(key, no_items)
        ev = _unit_evidence_at(voice, positions, overall_csat, kind)
        unit_themes = item_theme[positions]
        named = np.array([t is not None for t in unit_themes.tolist()], dtype=bool)
        negative_themes = unit_themes[named & voice.negative[positions]]
        any_themes = unit_themes[named]
        top = negative_themes if len(negative_themes) else any_themes
        # most frequent theme; pandas' value_counts breaks ties as before
        ev["theme"] = (str(pd.Series(top, dtype="string").value_counts().index[0])
                       if len(top) else None)
        measured = (funnel.loc[key[1]].to_dict()
                    if key[0] == "tp" and key[1] in funnel.index else None)
        fun = (measured if measured is not None
               and drop_owner.get(str(measured["footprint"])) == key[1] else None)
        ev["funnel"] = fun
        if measured is not None and measured["reach_customers"] and n_customers:
            ev["reach_customers"] = float(measured["reach_customers"])
            ev["reach"] = min(1.0, measured["reach_customers"] / n_customers)
        elif voice_all and ev["n_evidence"]:
            ev["reach_customers"] = float(ev["voice_customers"])
            ev["reach"] = ev["voice_customers"] / voice_all
        else:
            ev["reach_customers"] = 0.0
            ev["reach"] = float("nan")
        signals = []
        if ev["n_texts"] >= MIN_TEXTS and _known(ev["sentiment_high"]) and ev["sentiment_high"] < 0:
            signals.append("sentiment")
        if ev["n_csat"] >= MIN_CSAT and _known(overall_csat) and ev["csat_high"] < overall_csat:
            signals.append("csat")
        if ev["n_tickets"] >= MIN_TICKETS and ev["n_tickets"] >= 2 * median_tickets:
            signals.append("tickets")
        excess = fun["excess"] if fun is not None else float("nan")
        if (fun is not None and _known(excess) and fun["n_step"] >= MIN_FUNNEL
                and excess >= MIN_EXCESS_DROPOFF and _known(fun["z"]) and fun["z"] >= 1.96):
            signals.append("drop-off")
        ev["signals"] = signals
        ev["dropoff_excess"] = excess
        ev["dropoff_step"] = fun["step"] if fun is not None and _known(excess) else None
        ev["n_funnel"] = int(fun["n_step"]) if "drop-off" in signals else 0
        return ev

    evidence = {key: stats_for(key) for key in units}

    # customers lost at the touchpoint's worst step beyond the other channels' rate
    lost = {
        tp_id: float(funnel.at[tp_id, "excess"] * funnel.at[tp_id, "n_step"])
        for tp_id in drop_owner.values() if _known(funnel.at[tp_id, "excess"])
    }

    def value_at_risk(key: tuple[str, str], ev: dict[str, Any]) -> float:
        excess_lost = lost.get(key[1], 0.0) if key[0] == "tp" else 0.0
        if not ev["n_evidence"] and not excess_lost:
            return float("nan")
        unhappy = 0.0
        if _known(ev["frequency"]) and _known(ev["severity"]):
            unhappy = ev["frequency"] * ev["severity"] * ev["reach_customers"]
        return excess_lost * aov + unhappy * clv

    # --- discovered rows
    rows: list[dict[str, Any]] = []
    for key, ev in evidence.items():
        if not ev["signals"]:
            continue
        unit_kind, name = key
        rows.append({
            "_key": key, "id": f"auto-{name}" if unit_kind == "tp" else f"auto-theme-{name}",
            "kind": "pain", "source": "discovered",
            "touchpoint": name if unit_kind == "tp" else None,
            "theme": ev["theme"] if unit_kind == "tp" else name,
            "owner": None, "status": "open", "effort": float("nan"),
            "severity_override": float("nan"), "frequency_workshop": float("nan"),
            "workshop_description": None,
        })

    # --- workshop rows: merged into a discovered row, or on their own
    workshop = _table(ws, "painpoints")
    if workshop is not None and len(workshop):
        if not {"id", "touchpoint"} <= set(workshop.columns):
            raise JourneykitError("painpoints needs the columns 'id' and 'touchpoint'")
        for _, entry in workshop.iterrows():
            pid = _clean(entry.get("id"))
            if pid is None:
                continue
            tp_id = _clean(entry.get("touchpoint"))
            description = _clean(entry.get("description"))
            theme = _clean(entry.get("theme")) if "theme" in workshop.columns else None
            if theme is None and description:
                theme = _best_theme(description, themes, tp_id)
            elif theme is not None and theme.lower() in theme_by_name:
                theme = theme_by_name[theme.lower()].name
            kind = (_clean(entry.get("kind")) or "pain").lower()
            if kind not in ("pain", "opportunity"):
                raise JourneykitError(
                    f"painpoints row {pid!r}: kind must be 'pain' or 'opportunity', got {kind!r}"
                )
            effort = entry.get("effort") if "effort" in workshop.columns else None
            if _known(effort) and not 1 <= float(effort) <= 5:
                raise JourneykitError(f"painpoints row {pid!r}: effort must be 1-5, got {effort!r}")
            values = {
                "id": pid, "kind": kind, "source": "workshop", "touchpoint": tp_id,
                "owner": _clean(entry.get("owner")),
                "status": _clean(entry.get("status")) or "open",
                "effort": float(effort) if _known(effort) else float("nan"),
                "severity_override": _scale_1_5(entry.get("severity"), pid, "severity"),
                "frequency_workshop": _scale_1_5(entry.get("frequency"), pid, "frequency"),
                "workshop_description": description,
            }
            target = _match(rows, pid, tp_id, theme)
            if target is not None:
                target.update(values)
                if target.get("theme") is None:
                    target["theme"] = theme
                target["_merged"] = True
            else:
                key = ("tp", tp_id) if tp_id is not None else ("none", pid)
                rows.append({"_key": key, "theme": theme, **values})

    # --- components, priority, presentation
    out = []
    for row in rows:
        key, kind = row["_key"], row["kind"]
        ev = evidence[key] if key in evidence and kind == "pain" else stats_for(key, kind)
        frequency = ev["frequency"] if _known(ev["frequency"]) else row["frequency_workshop"]
        severity = row["severity_override"] if _known(row["severity_override"]) \
            else ev["severity"]
        tp_id = row["touchpoint"]
        known_tp = tp_id is not None and tp_id in tp_info.index
        tp_name = (_clean(tp_info.at[tp_id, "name"]) if known_tp else None) or tp_id
        stage = _clean(tp_info.at[tp_id, "stage"]) if known_tp else None
        theme_rule = theme_by_name.get(str(row["theme"]).lower()) if row.get("theme") else None
        if stage is None and theme_rule is not None:
            stage = theme_rule.stage
        topic = theme_rule.label if theme_rule is not None else (row.get("theme") or None)
        effort = row["effort"] if _known(row["effort"]) else float(DEFAULT_EFFORT)
        prior = WORKSHOP_PRIOR_N if row["source"] == "workshop" else 0
        summary = _describe(ev, ev["funnel"], overall_csat)
        saved_discovery = row["source"] == "workshop" and str(row["id"]).startswith("auto-")
        if row["workshop_description"] and not saved_discovery:
            title = _short(row["workshop_description"].split(" — ")[0])
            description = row["workshop_description"]
        else:  # discovered (or a discovered row the team saved): describe today's evidence
            title = _discovered_title(tp_name, topic, ev["signals"])
            description = f"{title} — {summary}"
        out.append({
            "id": row["id"], "kind": kind, "source": row["source"], "title": title,
            "description": description, "touchpoint": tp_id, "touchpoint_name": tp_name,
            "stage": stage, "theme": row.get("theme"), "n_evidence": ev["n_evidence"],
            "frequency": frequency, "severity": severity, "reach": ev["reach"],
            "value_at_risk": value_at_risk(key, ev), "effort": effort,
            "confidence": confidence_from_n(ev["n_evidence"] + ev["n_funnel"], prior),
            "owner": row["owner"], "status": row["status"], "quotes": ev["quotes"],
            "n_texts": ev["n_texts"], "n_tickets": ev["n_tickets"], "n_csat": ev["n_csat"],
            "n_funnel": ev["n_funnel"], "sentiment": ev["sentiment"], "csat": ev["csat"],
            "dropoff_step": ev["dropoff_step"], "dropoff_excess": ev["dropoff_excess"],
            "signals": "; ".join(ev["signals"]) if ev["signals"] else (
                "workshop" if row["source"] == "workshop" else ""),
        })
    if not out:
        return _empty_scores()
    table = pd.DataFrame(out)
    at_risk = table["value_at_risk"].astype("float64")
    largest = at_risk.max(skipna=True)
    table["impact"] = at_risk / largest if _known(largest) and largest > 0 else at_risk * 0.0
    table["value"] = [
        component_value(r.frequency, r.severity, r.reach, r.impact, w)
        for r in table.itertuples()
    ]
    table["priority"] = [
        priority_score(frequency=r.frequency, severity=r.severity, reach=r.reach,
                       impact=r.impact, effort=r.effort, confidence=r.confidence, weights=w)
        for r in table.itertuples()
    ]
    table["quadrant"] = [
        quadrant(r.impact if _known(r.impact) else r.value, r.effort) for r in table.itertuples()
    ]
    table = table.sort_values(["priority", "n_evidence", "id"], ascending=[False, False, True],
                              kind="mergesort").reset_index(drop=True)
    return _typed(table[SCORE_COLUMNS])


def _best_theme(text: str, themes: list, touchpoint: str | None) -> str | None:
    best_key, best = None, None
    for order, theme in enumerate(themes):
        if theme.pattern is None:
            continue
        hits = len(theme.pattern.findall(text))
        if hits:
            key = (touchpoint is not None and theme.touchpoint == touchpoint, hits, -order)
            if best_key is None or key > best_key:
                best_key, best = key, theme.name
    return best


def _match(rows: list[dict], pid: str, tp_id: str | None, theme: str | None) -> dict | None:
    candidates = [r for r in rows if r["source"] == "discovered" and not r.get("_merged")]
    for row in candidates:
        if row["id"] == pid:
            return row
    if tp_id is None:
        return None
    same_tp = [r for r in candidates if r["touchpoint"] == tp_id]
    for row in same_tp:
        if theme is not None and row["theme"] == theme:
            return row
    for row in same_tp:
        if theme is None or row["theme"] is None:
            return row
    return None


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    for column in ("id", "kind", "source", "title", "description", "touchpoint",
                   "touchpoint_name", "stage", "theme", "quadrant", "owner", "status", "signals",
                   "dropoff_step"):
        table[column] = table[column].astype("string")
    for column in ("n_evidence", "n_texts", "n_tickets", "n_csat", "n_funnel"):
        table[column] = table[column].astype("int64")
    for column in ("frequency", "severity", "reach", "impact", "effort", "confidence", "priority",
                   "value", "value_at_risk", "sentiment", "csat", "dropoff_excess"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
        table[column] = table[column].astype("float64")
    table["quotes"] = table["quotes"].astype("object")
    return table


def _empty_scores() -> pd.DataFrame:
    table = pd.DataFrame({c: pd.Series(dtype="object") for c in SCORE_COLUMNS})
    return _typed(table)


# --------------------------------------------------------------------------- action plan

PLAN_COLUMNS = ["priority", "pain_point", "touchpoint", "stage", "owner_team", "quadrant",
                "first_step", "kpi_to_watch", "status"]

# first steps by topic: (words in the theme/title, template); {where} is the touchpoint
_TOPIC_STEPS: list[tuple[tuple[str, ...], str]] = [
    (("payment", "checkout", "pay", "card", "cart"),
     "Walk through {where} on the devices customers use, log every failed payment with its "
     "error, and fix the most frequent failure first"),
    (("delivery", "shipping", "courier", "parcel", "late", "dispatch"),
     "Compare promised and actual delivery times per carrier for {where}; send a proactive "
     "delay message whenever a parcel will miss its promised date"),
    (("repair", "service", "turnaround", "workshop", "maintenance"),
     "Measure turnaround from drop-off to pick-up for {where}, publish a realistic ready-by "
     "date at booking and text customers when the job is done"),
    (("price", "pricing", "expensive", "cost", "fee", "refund"),
     "Review the price and fee communication at {where} against the quotes; make the total "
     "cost visible before the customer commits"),
    (("staff", "rude", "friendly", "service desk", "wait", "queue", "waiting"),
     "Shadow {where} for a day with the team, agree one service standard (e.g. greet within "
     "2 minutes) and check it weekly"),
    (("stock", "available", "availability", "out of stock", "size"),
     "Check stock accuracy for {where}: show real availability online and offer a reserve-"
     "and-notify option"),
    (("website", "app", "login", "search", "slow", "crash", "bug", "error"),
     "Reproduce the reported problem on {where}, add it to the bug tracker with the quotes, "
     "and fix the top error"),
    (("email", "newsletter", "communication", "contact", "phone", "reply", "response"),
     "Set a response-time target for {where}, add templates for the top questions and "
     "review unanswered messages daily"),
]
_QUADRANT_STEPS = {
    "quick win": "Fix it this sprint: read the quotes for {where}, pick the most common cause "
                 "and ship a small change",
    "major project": "Scope it as a project: map the process behind {where} with the team, "
                     "estimate cost against the value at risk and decide in the next planning",
    "fill-in": "Bundle it with other small fixes at {where} when the team has slack",
    "reconsider": "Park it: note it in the backlog and revisit only if its KPI worsens",
}


def _first_step(title: str, theme: str | None, quadrant_name: str, where: str) -> str:
    haystack = f" {(theme or '')} {title} ".lower()
    if quadrant_name != "reconsider":
        for words, template in _TOPIC_STEPS:
            if any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", haystack) for word in words):
                return template.format(where=where)
    return _QUADRANT_STEPS.get(quadrant_name, _QUADRANT_STEPS["fill-in"]).format(where=where)


def _kpi(row: pd.Series, stage_names: dict[str, str]) -> str:
    where = row["touchpoint_name"] if _known(row["touchpoint_name"]) else None
    stage = row["stage"] if _known(row["stage"]) else None
    excess = row["dropoff_excess"]
    if _known(row["dropoff_step"]) and _known(excess) and excess > 0 and \
            "drop-off" in str(row["signals"]):
        at = f" at {where}" if where else ""
        return f"step conversion {row['dropoff_step']}{at}"
    if where and row["n_csat"] > 0:
        return f"CSAT at {where}"
    if where and row["n_texts"] > 0:
        return f"mean sentiment of feedback on {where}"
    if _known(row["theme"]) and row["n_texts"] > 0:
        return f"mean sentiment of feedback about {row['theme']}"
    if stage:
        return f"CSAT in {stage_names.get(stage, stage)}, NPS"
    return "NPS"


def action_plan(ws: Any, *, scored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Who does what first: one row per scored pain point/opportunity, by priority.

    Columns: priority (rank 1..n), pain_point (title), touchpoint (name), stage (name),
    owner_team (the pain point's owner, else the touchpoint's owner), quadrant,
    first_step (a concrete first action from templates by topic — payment/checkout,
    delivery, repair/service, price, staff, stock, website/app, communication — else by
    quadrant; "reconsider" items are parked), kpi_to_watch (the conversion of the step
    where customers drop off when drop-off is part of the evidence, else CSAT at the
    touchpoint when it has answers, else its feedback sentiment, else CSAT in the stage
    and NPS), status.

    ``scored`` defaults to :func:`score_pain_points` of ``ws``.

    Example:
        >>> plan = action_plan(ws)                                     # doctest: +SKIP
        >>> export_action_plan(plan, "reports/action_plan.xlsx")       # doctest: +SKIP
    """
    if scored is None:
        scored = score_pain_points(ws)
    missing = {"title", "touchpoint", "touchpoint_name", "stage", "owner", "quadrant",
               "status", "dropoff_step", "dropoff_excess", "n_csat", "n_texts", "theme",
               "signals"} - set(scored.columns)
    if missing:
        raise JourneykitError(
            f"action_plan needs the table from score_pain_points; missing columns {sorted(missing)}"
        )
    stages = _stages(ws)
    stage_names = {s[0]: s[1] for s in stages}
    tp_info = _touchpoint_info(ws)
    rows = []
    for rank, (_, row) in enumerate(scored.iterrows(), start=1):
        tp_id = row["touchpoint"] if _known(row["touchpoint"]) else None
        owner = row["owner"] if _known(row["owner"]) else None
        if owner is None and tp_id is not None and tp_id in tp_info.index:
            owner = _clean(tp_info.at[tp_id, "owner"])
        where = row["touchpoint_name"] if _known(row["touchpoint_name"]) else (
            row["theme"] if _known(row["theme"]) else "this part of the journey")
        stage = row["stage"] if _known(row["stage"]) else None
        theme = row["theme"] if _known(row["theme"]) else None
        rows.append({
            "priority": rank,
            "pain_point": row["title"],
            "touchpoint": where if tp_id is not None else None,
            "stage": stage_names.get(stage, stage) if stage else None,
            "owner_team": owner,
            "quadrant": row["quadrant"],
            "first_step": _first_step(str(row["title"]), theme, str(row["quadrant"]), str(where)),
            "kpi_to_watch": _kpi(row, stage_names),
            "status": row["status"] if _known(row["status"]) else "open",
        })
    plan = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    plan["priority"] = plan["priority"].astype("int64")
    for column in PLAN_COLUMNS[1:]:
        plan[column] = plan[column].astype("string")
    return plan


def export_action_plan(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` (usually :func:`action_plan`) as CSV or XLSX, chosen by the extension.

    Every text cell that could start a spreadsheet formula (=, +, -, @, tab, CR) is
    prefixed with an apostrophe by :mod:`journeykit.core.safety`; the text stays readable.
    Lists (e.g. ``quotes``) are joined with `` | ``. CSV is UTF-8 with CRLF line ends
    (RFC 4180), so a cell with a line break is quoted. The write is atomic. Any other
    extension raises :class:`~journeykit.core.errors.JourneykitError`.

    Example:
        >>> export_action_plan(action_plan(ws), "action_plan.csv")      # doctest: +SKIP
    """
    from journeykit.core.safety import atomic_write_bytes, neutralise_frame, write_safe_xlsx

    target = Path(path)
    suffix = target.suffix.lower()
    if not isinstance(df, pd.DataFrame):
        raise JourneykitError(f"export_action_plan needs a DataFrame, got {type(df).__name__}")
    frame = df.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(
                lambda v: " | ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
            )
    if suffix == ".csv":
        # as journeykit.core.safety.write_safe_csv, but with CRLF line ends (RFC 4180): then a
        # cell holding a bare carriage return is quoted and cannot split its row
        data = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
        return atomic_write_bytes(target, data.encode("utf-8"))
    if suffix == ".xlsx":
        return write_safe_xlsx({"action plan": frame}, target)
    raise JourneykitError(
        f"export_action_plan: cannot write {target.name!r}; use a .csv or .xlsx file name"
    )
