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
               value_at_risk = excess_lost × V + frequency × severity × reach_customers × CLV
               (data values of frequency and severity, never the workshop's guesses);
               excess_lost = customers who fail the touchpoint's worst step beyond the
               other channels' rate (see ``_funnel_by_touchpoint``); V, the value of a
               lost customer, from :func:`journeykit.analytics.clv.customers.dropoff_value`:
               the mean fitted 12-month CLV (BG/NBD + Gamma-Gamma) where the models fit,
               else the AOV; CLV from :func:`journeykit.analytics.clv.historical_clv`
               (observed revenue per customer if it fails; both 1 without orders, so
               value_at_risk then counts customers).
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
from collections.abc import Mapping

import pandas as pd

from journeykit.core.errors import JourneykitError

__all__ = [
    "COMPONENT_FLOOR",
    "COMPONENT_UNKNOWN",
    "CONFIDENCE_HALF",
    "DEFAULT_EFFORT",
    "DEFAULT_WEIGHTS",
    "EFFORT_THRESHOLD",
    "IMPACT_THRESHOLD",
    "WORKSHOP_PRIOR_N",
    "component_value",
    "confidence_from_n",
    "priority_score",
    "quadrant",
]

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
