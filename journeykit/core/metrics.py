"""The one metric record: what every KPI looks like in ``metrics.json``, the report and trends.

A metric is ``{"value", "n", "ci_low", "ci_high", "unit", "label"}``: a finite float or
None for the value and the interval, an int or None for n (the answers or customers
behind it), text for the unit (``share``, ``points``, the currency) and label. The KPI
functions build it with :func:`metric_record`; anything a notebook hands to
``Outputs.metrics`` is brought to that shape by :func:`normalise_metric`.

Example:
    >>> metric_record(0.5, 10, 0.2, 0.8, "share", "CSAT")["n"]
    10
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from journeykit.core.errors import JourneykitError

__all__ = ["METRIC_FIELDS", "metric_record", "normalise_metric"]

METRIC_FIELDS = ("value", "n", "ci_low", "ci_high", "unit", "label")


def _number(value: Any) -> float | None:
    """A finite float, or None for missing/NaN/inf values."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise JourneykitError(f"metric value {value!r} is not a number") from exc
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def normalise_metric(name: str, value: Any) -> dict[str, Any]:
    """One metric in the documented shape ``{"value", "n", "ci_low", "ci_high", "unit", "label"}``.

    ``value`` may be a number, a mapping with (some of) those keys, or a result object
    with attributes ``value`` or ``score`` and optionally ``n``, ``ci_low``, ``ci_high``,
    ``unit``, ``label`` (e.g. the ``NPSResult`` dataclass of :mod:`journeykit.analytics.kpis`).

    >>> normalise_metric("nps", 12)
    {'value': 12.0, 'n': None, 'ci_low': None, 'ci_high': None, 'unit': '', 'label': 'nps'}
    """
    if isinstance(value, Mapping):
        raw = dict(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        raw = dataclasses.asdict(value)
    elif hasattr(value, "value") or hasattr(value, "score"):
        raw = {key: getattr(value, key) for key in (*METRIC_FIELDS, "score") if hasattr(value, key)}
    else:
        raw = {"value": value}
    if "value" not in raw and "score" in raw:
        raw["value"] = raw["score"]
    return {
        "value": _number(raw.get("value")),
        "n": _count(raw.get("n")),
        "ci_low": _number(raw.get("ci_low")),
        "ci_high": _number(raw.get("ci_high")),
        "unit": "" if raw.get("unit") is None else str(raw.get("unit")),
        "label": str(raw.get("label") or name),
    }


def metric_record(value: object, n: object, ci_low: object, ci_high: object, unit: str,
                  label: str) -> dict[str, Any]:
    """A metric in the documented shape; NaN and infinite numbers become None."""
    return normalise_metric(label, {"value": value, "n": n, "ci_low": ci_low, "ci_high": ci_high,
                                    "unit": unit, "label": label})
