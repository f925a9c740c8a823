"""KPI targets and changes: the scorecard of journey.yaml ``kpis`` and what changed since
the last run.

Both read KPI values in any of the shapes a notebook has at hand: a number, None, a
metrics.json entry (``{"value": …, "n": …, "ci_low": …, "ci_high": …}``) or a KPI result
of :mod:`journeykit.analytics.kpis` (e.g. ``NPSResult``).

Example:
    >>> scorecard({"nps": 35}, {"nps": {"target": 40, "warning": 10}})["status"].tolist()
    ['at risk']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from journeykit.analytics.kpis import DEFAULT_LABELS, CESResult, CSATResult, NPSResult
from journeykit.core._stats import z_value
from journeykit.core.errors import JourneykitError

__all__ = ["KPI_ALIASES", "SCORECARD_STATUSES", "scorecard", "what_changed"]

SCORECARD_STATUSES = ("on target", "at risk", "off target", "no data")

#: Other names a journey.yaml may use for the KPIs :func:`workspace_metrics` computes.
KPI_ALIASES: dict[str, str] = {
    "repeat_rate": "repeat_purchase_rate",
    "aov": "average_order_value",
    "clv": "historical_clv",
}


def _lookup(metrics: Mapping[str, object], kpi: str) -> object:
    """metrics[kpi], else the same KPI under its alias (e.g. aov <-> average_order_value)."""
    if kpi in metrics:
        return metrics[kpi]
    for alias, name in KPI_ALIASES.items():
        if kpi == alias and name in metrics:
            return metrics[name]
        if kpi == name and alias in metrics:
            return metrics[alias]
    return None



def _json_float(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None



def _int_array(values: Iterable) -> pd.arrays.IntegerArray:
    """Counts as nullable Int64 (None, NaN and <NA> become <NA>)."""
    return pd.array([None if _json_float(v) is None else int(v) for v in values], dtype="Int64")


def _metric_record(value: object) -> dict[str, Any]:
    """Normalise a metrics entry: a number, None, a metrics.json dict, or a result."""
    if isinstance(value, (NPSResult, CSATResult, CESResult)):
        return value.to_metric()
    if isinstance(value, Mapping):
        return dict(value)
    return {"value": value}


def _number(value: object, where: str) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise JourneykitError(f"{where} must be a number, got {value!r}") from exc


def scorecard(metrics: Mapping[str, object], targets: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Compare KPI values with their targets (journey.yaml ``kpis``).

    ``metrics``: name → a number, None, a metrics.json entry (``{"value": …, "n": …}``)
    or a KPI result (e.g. :class:`NPSResult`). ``targets``: name → ``{target: number,
    direction: "higher"|"lower" (default higher), warning: band ≥ 0 (default 0),
    label: str}``. A target named ``repeat_rate``, ``aov`` or ``clv`` also finds the
    metric ``repeat_purchase_rate``, ``average_order_value`` or ``historical_clv``
    (and the other way round).

    Status, for ``direction="higher"`` (mirrored for "lower"): **on target** when
    value ≥ target; **at risk** when target − warning ≤ value < target; **off target**
    below that; **no data** when the value is missing or NaN.

    Returns one row per KPI in ``targets`` (in that order), columns ``kpi``, ``label``,
    ``value``, ``target``, ``direction``, ``warning``, ``status``, then ``n``
    (Int64), ``ci_low``, ``ci_high``, ``unit`` from the metric when known.

    Example:
        >>> scorecard({"nps": 35}, {"nps": {"target": 40, "warning": 10}})[["kpi", "status"]]
           kpi   status
        0  nps  at risk
    """
    if not isinstance(targets, Mapping):
        raise JourneykitError("targets must be a mapping like journey.yaml's kpis section")
    metrics = metrics or {}
    rows = []
    for kpi, spec in targets.items():
        where = f"journey.yaml kpis.{kpi}"
        if not isinstance(spec, Mapping):
            raise JourneykitError(f"{where} must be a mapping with target, direction, warning")
        if spec.get("target") is None:
            raise JourneykitError(f"{where}.target is missing: give the value to aim for")
        target = _number(spec.get("target"), f"{where}.target")
        direction = str(spec.get("direction", "higher")).strip().lower()
        if direction not in ("higher", "lower"):
            raise JourneykitError(f"{where}.direction must be 'higher' or 'lower', got {direction!r}")
        warning = _number(spec.get("warning", 0) or 0, f"{where}.warning")
        if warning < 0:
            raise JourneykitError(f"{where}.warning must be >= 0, got {warning}")
        record = _metric_record(_lookup(metrics, kpi))
        value = _number(record.get("value"), f"metrics[{kpi!r}] value")
        if math.isnan(value):
            status = "no data"
        else:
            gap = value - target if direction == "higher" else target - value
            status = "on target" if gap >= 0 else ("at risk" if gap >= -warning else "off target")
        label = spec.get("label") or record.get("label") or DEFAULT_LABELS.get(kpi, kpi)
        rows.append({
            "kpi": kpi, "label": str(label), "value": value, "target": target,
            "direction": direction, "warning": warning, "status": status,
            "n": record.get("n"), "ci_low": _json_float(record.get("ci_low")),
            "ci_high": _json_float(record.get("ci_high")), "unit": record.get("unit"),
        })
    columns = ["kpi", "label", "value", "target", "direction", "warning", "status",
               "n", "ci_low", "ci_high", "unit"]
    table = pd.DataFrame(rows, columns=columns)
    for column in ("kpi", "label", "direction", "status", "unit"):
        table[column] = table[column].astype("string")
    for column in ("value", "target", "warning", "ci_low", "ci_high"):
        table[column] = table[column].astype(float)
    table["n"] = _int_array(table["n"])
    return table


def _inner_metrics(metrics: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise JourneykitError("metrics must be a metrics.json document or its 'metrics' mapping")
    nested = metrics.get("metrics")
    inner: Mapping[str, Any] = nested if isinstance(nested, Mapping) else metrics
    return {str(k): _metric_record(v) for k, v in inner.items() if k != "run_id"}


def _standard_error(record: Mapping[str, Any], z: float) -> float:
    low, high = _json_float(record.get("ci_low")), _json_float(record.get("ci_high"))
    if low is None or high is None:
        return math.nan
    return (high - low) / (2 * z)


def what_changed(
    previous_metrics: Mapping[str, Any] | None,
    current_metrics: Mapping[str, Any],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """What changed since the last run: one row per KPI.

    Both arguments are a metrics.json document (``{"run_id": …, "metrics": {…}}``)
    or its ``metrics`` mapping; ``previous_metrics`` may be None (first run).

    Rule for ``significant``: each run's standard error is read back from its 95%
    interval as (ci_high − ci_low) / (2 × 1.96); the change is significant when
    |delta| > 1.96 × √(se_previous² + se_current²) — a two-sided z test for the
    difference of two independent estimates (less strict, and more correct, than
    asking whether the intervals overlap). <NA> when either value or interval is
    missing (e.g. historical CLV has no interval).

    Returns columns ``kpi``, ``label``, ``previous``, ``current``, ``delta``
    (current − previous), ``significant`` (boolean, nullable), ``previous_n``,
    ``current_n`` (Int64); KPIs of the current run first, then those that
    disappeared.
    """
    previous = _inner_metrics(previous_metrics)
    current = _inner_metrics(current_metrics)
    z = z_value(confidence)
    rows = []
    for kpi in list(current) + [k for k in previous if k not in current]:
        before, now = previous.get(kpi, {}), current.get(kpi, {})
        old = _json_float(before.get("value"))
        new = _json_float(now.get("value"))
        delta = new - old if old is not None and new is not None else math.nan
        se = math.hypot(_standard_error(before, z), _standard_error(now, z))
        significant = pd.NA if (math.isnan(delta) or math.isnan(se)) else bool(abs(delta) > z * se)
        label = now.get("label") or before.get("label") or DEFAULT_LABELS.get(kpi, kpi)
        rows.append({
            "kpi": kpi, "label": label,
            "previous": math.nan if old is None else old,
            "current": math.nan if new is None else new,
            "delta": delta, "significant": significant,
            "previous_n": before.get("n"), "current_n": now.get("n"),
        })
    columns = ["kpi", "label", "previous", "current", "delta", "significant",
               "previous_n", "current_n"]
    table = pd.DataFrame(rows, columns=columns)
    table["kpi"] = table["kpi"].astype("string")
    table["label"] = table["label"].astype("string")
    for column in ("previous", "current", "delta"):
        table[column] = table[column].astype(float)
    table["significant"] = pd.array(list(table["significant"]), dtype="boolean")
    for column in ("previous_n", "current_n"):
        table[column] = _int_array(table[column])
    return table
