"""Survey KPIs with uncertainty (NPS, CSAT, CES), KPI tables, targets and trends.

Semantics (printed in every report that uses them):

* **NPS** = % promoters (9-10) − % detractors (0-6) on the 0-10 "how likely are you
  to recommend" question; −100…100. 95% interval: the *adjusted Wald* interval of
  Rocks (2016), "Interval estimation for the Net Promoter Score", *The American
  Statistician* 70(4): add 3 to n, ¾ to the promoters and ¾ to the detractors, then
  estimate ± z·√((p̃P + p̃D − (p̃P − p̃D)²)/ñ), clipped to [−100, 100]. Rocks found it
  among the best-covering intervals, also for small samples. Because it is centred
  on the adjusted estimate, with a handful of answers it can miss the observed
  score (e.g. one detractor: −100, interval −98.5…48.5); the interval is then
  widened to include the score, so ci_low ≤ score ≤ ci_high always holds.
* **CSAT** ``definition="top2"`` = share of 4-5 answers on 1-5 (0…1), Wilson score
  interval; ``definition="mean"`` = average answer (1…5), Student-t interval.
* **CES** = average answer on 1-7, Student-t interval.
* **Valid answers** are whole numbers in the scale's range, given as numbers or as
  text ("9", "9.0"). Everything else — text such as "#ERROR!" or "N/A", blanks,
  NaN, 11, 7.5 — is counted in ``invalid`` (blanks also in ``blank``) and never
  included; ``n`` counts the valid answers.

Example:
    >>> result = nps([10, 9, 8, 6, "#ERROR!", None])
    >>> result.score, result.n, result.invalid
    (25.0, 4, 2)
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from journeykit.core._stats import t_interval, wilson_interval, z_value
from journeykit.core.errors import JourneykitError
from journeykit.core.metrics import metric_record

CSATDefinition = Literal["top2", "mean"]

#: The survey KPIs: name -> (column in feedback, lowest valid answer, highest valid answer).
SURVEY_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

#: Display labels of the KPIs journeykit computes.
DEFAULT_LABELS: dict[str, str] = {
    "nps": "Net Promoter Score",
    "csat": "Customer satisfaction (CSAT)",
    "ces": "Customer effort score (CES)",
    "conversion": "Conversion, first to last stage",
    "repeat_purchase_rate": "Repeat purchase rate",
    "average_order_value": "Average order value",
    "historical_clv": "Customer lifetime value (historical)",
}

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

__all__ = [
    "CESResult",
    "CSATResult",
    "NPSResult",
    "ces",
    "csat",
    "kpi_history",
    "kpi_table",
    "nps",
    "scorecard",
    "what_changed",
    "workspace_metrics",
]


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Parsed:
    values: np.ndarray  # valid answers as float (whole numbers)
    invalid: int  # everything that is not a valid answer, blanks included
    blank: int


def _as_series(scores: object) -> pd.Series:
    if isinstance(scores, pd.DataFrame):
        raise JourneykitError(
            "scores must be one column (a Series, list or array), not a DataFrame; "
            "pass e.g. feedback['nps']"
        )
    if isinstance(scores, pd.Series):
        return scores.reset_index(drop=True)
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Iterable):
        raise JourneykitError(
            f"scores must be a list, Series or array of answers, got {type(scores).__name__}"
        )
    array = np.asarray(list(scores), dtype=object) if not isinstance(scores, np.ndarray) else scores
    if array.ndim != 1:
        raise JourneykitError(f"scores must be one-dimensional, got shape {array.shape}")
    return pd.Series(array, dtype=object if array.dtype.kind in "OUSb" else array.dtype)


def _parse_scores(scores: object, low: int, high: int) -> _Parsed:
    series = _as_series(scores)
    total = len(series)
    if total == 0:
        return _Parsed(np.array([], dtype=float), 0, 0)
    if pd.api.types.is_bool_dtype(series):
        blank = int(series.isna().sum())
        return _Parsed(np.array([], dtype=float), total, blank)
    if pd.api.types.is_numeric_dtype(series):
        numbers = series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        blank_mask = np.isnan(numbers)
    else:
        as_object = series.astype(object)
        is_bool = as_object.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        text = as_object.where(as_object.notna(), None)
        stripped = pd.Series(
            [v.strip() if isinstance(v, str) else v for v in text], dtype=object
        )
        blank_mask = stripped.isna().to_numpy() | (stripped == "").to_numpy()
        numbers = pd.to_numeric(stripped.astype("string"), errors="coerce")
        numbers = numbers.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        numbers[is_bool] = np.nan
    with np.errstate(invalid="ignore"):
        valid = (
            np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers >= low) & (numbers <= high)
        )
    values = numbers[valid]
    return _Parsed(values, int(total - valid.sum()), int(blank_mask.sum()))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class NPSResult:
    """Net Promoter Score with its counts and 95% interval (see module docstring).

    ``score`` −100…100 (NaN when n = 0); ``n`` valid answers; ``invalid`` answers
    left out (``blank`` of them empty); ``promoters`` (9-10), ``passives`` (7-8),
    ``detractors`` (0-6) as counts and ``*_share`` as shares 0…1 of n;
    ``ci_low``/``ci_high`` the interval in NPS points; ``method`` names it.
    """

    score: float
    n: int
    invalid: int
    blank: int
    promoters: int
    passives: int
    detractors: int
    promoter_share: float
    passive_share: float
    detractor_share: float
    ci_low: float
    ci_high: float
    confidence: float = 0.95
    method: str = "adjusted Wald (Rocks 2016)"

    @property
    def value(self) -> float:
        """The score (same as ``score``), so every KPI result has ``.value``."""
        return self.score

    def to_metric(self, label: str = DEFAULT_LABELS["nps"]) -> dict[str, Any]:
        """This result in the metrics.json shape."""
        return metric_record(self.score, self.n, self.ci_low, self.ci_high, "points", label)


@dataclass(frozen=True)
class CSATResult:
    """CSAT: ``value`` is the share of 4-5 answers (0…1, definition "top2") or the
    mean answer (1…5, definition "mean"); ``satisfied`` counts the 4-5 answers;
    ``n``, ``invalid``, ``blank``, ``ci_low``, ``ci_high`` as in :class:`NPSResult`."""

    value: float
    n: int
    invalid: int
    blank: int
    ci_low: float
    ci_high: float
    definition: str
    satisfied: int
    satisfied_share: float
    mean: float
    confidence: float = 0.95
    method: str = "Wilson score interval"

    def to_metric(self, label: str = DEFAULT_LABELS["csat"]) -> dict[str, Any]:
        unit = "share" if self.definition == "top2" else "score (1-5)"
        return metric_record(self.value, self.n, self.ci_low, self.ci_high, unit, label)


@dataclass(frozen=True)
class CESResult:
    """CES: ``value`` is the mean answer on 1-7 with a Student-t interval; ``sd`` the
    standard deviation of the answers; other fields as in :class:`NPSResult`."""

    value: float
    n: int
    invalid: int
    blank: int
    ci_low: float
    ci_high: float
    sd: float
    confidence: float = 0.95
    method: str = "Student t interval"

    def to_metric(self, label: str = DEFAULT_LABELS["ces"]) -> dict[str, Any]:
        return metric_record(self.value, self.n, self.ci_low, self.ci_high, "score (1-7)", label)


def _json_float(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------- survey KPIs


def nps(scores: object, *, confidence: float = 0.95) -> NPSResult:
    """Net Promoter Score of 0-10 answers, with counts and an adjusted-Wald interval.

    ``scores``: a list, array or Series of any dtype (numbers or text). Invalid
    answers are counted, never included (see module docstring).

    Example:
        >>> r = nps([10, 10, 9, 8, 7, 3, "N/A", 11])
        >>> round(r.score, 1), r.promoters, r.passives, r.detractors, r.invalid
        (33.3, 3, 2, 1, 2)
    """
    parsed = _parse_scores(scores, 0, 10)
    z = z_value(confidence)
    values = parsed.values
    n = len(values)
    promoters = int(np.sum(values >= 9))
    detractors = int(np.sum(values <= 6))
    passives = n - promoters - detractors
    if n == 0:
        nan = math.nan
        return NPSResult(nan, 0, parsed.invalid, parsed.blank, 0, 0, 0, nan, nan, nan, nan, nan,
                         confidence)
    n_adj = n + 3
    p_pro = (promoters + 0.75) / n_adj
    p_det = (detractors + 0.75) / n_adj
    centre = p_pro - p_det
    half = z * math.sqrt((p_pro + p_det - centre**2) / n_adj)
    score = 100.0 * (promoters - detractors) / n
    return NPSResult(
        score=score,
        n=n,
        invalid=parsed.invalid,
        blank=parsed.blank,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        promoter_share=promoters / n,
        passive_share=passives / n,
        detractor_share=detractors / n,
        ci_low=min(score, max(-100.0, 100.0 * (centre - half))),
        ci_high=max(score, min(100.0, 100.0 * (centre + half))),
        confidence=confidence,
    )


def csat(
    scores: object, *, definition: CSATDefinition = "top2", confidence: float = 0.95
) -> CSATResult:
    """Customer satisfaction from 1-5 answers.

    ``definition="top2"``: share of 4-5 answers (0…1), Wilson interval;
    ``definition="mean"``: mean answer (1…5), Student-t interval.

    Example:
        >>> csat([5, 4, 4, 2, "", 9]).value
        0.75
    """
    if definition not in ("top2", "mean"):
        raise JourneykitError(f"csat definition must be 'top2' or 'mean', got {definition!r}")
    parsed = _parse_scores(scores, 1, 5)
    values = parsed.values
    n = len(values)
    satisfied = int(np.sum(values >= 4))
    mean, _sd, t_low, t_high = t_interval(values, confidence, 1.0, 5.0)
    if definition == "top2":
        value = satisfied / n if n else math.nan
        low, high = wilson_interval(satisfied, n, confidence)
        method = "Wilson score interval"
    else:
        value, low, high = mean, t_low, t_high
        method = "Student t interval"
    return CSATResult(
        value=value, n=n, invalid=parsed.invalid, blank=parsed.blank, ci_low=low, ci_high=high,
        definition=definition, satisfied=satisfied,
        satisfied_share=satisfied / n if n else math.nan, mean=mean,
        confidence=confidence, method=method,
    )


def ces(scores: object, *, confidence: float = 0.95) -> CESResult:
    """Customer effort score: mean of 1-7 answers with a Student-t interval.

    Example:
        >>> ces([7, 6, 5, "#ERROR!"]).value
        6.0
    """
    parsed = _parse_scores(scores, 1, 7)
    mean, sd, low, high = t_interval(parsed.values, confidence, 1.0, 7.0)
    return CESResult(mean, len(parsed.values), parsed.invalid, parsed.blank, low, high, sd,
                     confidence)


def _survey_result(kpi: str, scores: object, csat_definition: str, confidence: float):
    if kpi == "nps":
        return nps(scores, confidence=confidence)
    if kpi == "csat":
        return csat(scores, definition=csat_definition, confidence=confidence)  # type: ignore[arg-type]
    return ces(scores, confidence=confidence)


# --------------------------------------------------------------------------- KPI table

_MISSING = object()  # stands in for a missing group value while grouping


def _ordered_values(values: pd.Series) -> list:
    present = [v for v in pd.unique(values) if v is not _MISSING]
    try:
        present = sorted(present)
    except TypeError:
        present = sorted(present, key=str)
    if (values.map(lambda v: v is _MISSING)).any():
        present.append(_MISSING)
    return present


def kpi_table(
    feedback: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    csat_definition: CSATDefinition = "top2",
    min_n: int = 30,
    period: str = "M",
    levels: Mapping[str, Sequence] | None = None,
    customers: pd.DataFrame | None = None,
    kpis: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Every survey KPI per group, in long format, with n and interval.

    ``by``: column(s) of ``feedback`` to group by (e.g. "stage", "touchpoint",
    "channel"), plus two derived ones: ``"period"`` — the ``date`` column cut into
    periods of ``period`` ("M" month, "W" week, "Q" quarter, "D" day; the value is
    the period's start date, and every period between the first and last answer gets
    a row) — and any column of ``customers`` (e.g. ``"persona_id"``; ``"persona"`` is
    accepted for it), joined on ``customer_id``. ``levels``: for categorical columns,
    the values that must appear even without answers (e.g. ``{"stage":
    ws.stage_ids}``); when given, the table has every combination of the group values.
    Answers whose group value is missing form their own group (value <NA>).

    Returns one row per group and KPI, columns: the ``by`` columns, ``kpi`` ("nps",
    "csat", "ces" — those present in ``feedback`` or listed in ``kpis``), ``value``
    (NPS −100…100; CSAT share 0…1 or mean 1…5; CES mean 1…7; NaN when n = 0),
    ``n`` (valid answers, int), ``ci_low``, ``ci_high`` (95%), ``small_sample``
    (n < ``min_n``).

    Example:
        >>> fb = pd.DataFrame({"stage": ["buy", "buy", "use"], "nps": [10, 6, 9]})
        >>> kpi_table(fb, by="stage", levels={"stage": ["find", "buy", "use"]})[["stage", "value", "n"]]
          stage  value  n
        0  find    NaN  0
        1   buy    0.0  2
        2   use  100.0  1
    """
    if not isinstance(feedback, pd.DataFrame):
        raise JourneykitError(f"feedback must be a DataFrame, got {type(feedback).__name__}")
    if csat_definition not in ("top2", "mean"):
        raise JourneykitError(f"csat_definition must be 'top2' or 'mean', got {csat_definition!r}")
    by_list = [by] if isinstance(by, str) else list(by or [])
    if len(set(by_list)) != len(by_list):
        raise JourneykitError(f"by lists a column twice: {by_list}")
    levels = dict(levels or {})
    if kpis is None:
        kpi_list = [k for k in SURVEY_SCALES if k in feedback.columns]
    else:
        kpi_list = list(kpis)
        unknown = [k for k in kpi_list if k not in SURVEY_SCALES]
        if unknown:
            raise JourneykitError(f"unknown KPI(s) {unknown}; expected some of {list(SURVEY_SCALES)}")
        missing = [k for k in kpi_list if k not in feedback.columns]
        if missing:
            raise JourneykitError(f"feedback has no column(s) {missing} for the KPI(s) asked for")

    frame = feedback.reset_index(drop=True)
    keys = pd.DataFrame(index=frame.index)
    full_range: dict[str, list] = {}
    for column in by_list:
        if column in frame.columns:
            keys[column] = frame[column]
        elif column == "period":
            if "date" not in frame.columns:
                raise JourneykitError("by='period' needs a 'date' column in feedback")
            dates = pd.to_datetime(frame["date"], errors="coerce")
            try:
                periods = dates.dt.to_period(period)
            except (ValueError, TypeError) as exc:
                raise JourneykitError(f"period must be a pandas period like 'M', got {period!r}") from exc
            keys[column] = periods.dt.start_time
            valid = periods.dropna()
            if len(valid):
                full_range[column] = list(
                    pd.period_range(valid.min(), valid.max(), freq=period).start_time
                )
        else:
            source = "persona_id" if column == "persona" else column
            if customers is None or source not in customers.columns:
                raise JourneykitError(
                    f"feedback has no column {column!r} to group by (columns: "
                    f"{', '.join(map(str, frame.columns))}); for customer attributes such as "
                    "persona_id pass customers=ws.customers"
                )
            if "customer_id" not in frame.columns or "customer_id" not in customers.columns:
                raise JourneykitError(
                    f"grouping by {column!r} needs customer_id in feedback and customers"
                )
            lookup = customers.drop_duplicates("customer_id").set_index("customer_id")[source]
            keys[column] = frame["customer_id"].map(lookup)

    columns_out = [*by_list, "kpi", "value", "n", "ci_low", "ci_high", "small_sample"]
    results: list[dict] = []
    if by_list:
        clean = keys.astype(object).where(keys.notna(), _MISSING)
        value_lists = {}
        for column in by_list:
            observed = _ordered_values(clean[column])
            base = list(levels.get(column, full_range.get(column, [])))
            extra = [v for v in observed if v not in base]
            value_lists[column] = base + extra if base else observed
        positions = clean.groupby(by_list, sort=False, dropna=False).indices
        positions = {(k if isinstance(k, tuple) else (k,)): v for k, v in positions.items()}
        if levels or full_range:
            combos = list(itertools.product(*(value_lists[c] for c in by_list)))
        else:
            order = {c: {v: i for i, v in enumerate(value_lists[c])} for c in by_list}
            combos = sorted(
                positions, key=lambda k: tuple(order[c][v] for c, v in zip(by_list, k, strict=True))
            )
    else:
        combos = [()]
        positions = {(): np.arange(len(frame))}

    empty = np.array([], dtype=int)
    for combo in combos:
        rows = positions.get(combo, empty)
        for kpi in kpi_list:
            answers = frame[kpi].iloc[rows]
            result = _survey_result(kpi, answers, csat_definition, confidence)
            record = {c: (pd.NA if v is _MISSING else v) for c, v in zip(by_list, combo, strict=True)}
            record.update(
                kpi=kpi, value=result.value, n=result.n, ci_low=result.ci_low,
                ci_high=result.ci_high, small_sample=result.n < min_n,
            )
            results.append(record)

    table = pd.DataFrame(results, columns=columns_out)
    for column in by_list:
        if column == "period" and column not in frame.columns:
            table[column] = pd.to_datetime(table[column])
        elif not pd.api.types.is_datetime64_any_dtype(keys[column]) and not (
            pd.api.types.is_numeric_dtype(keys[column])
        ):
            table[column] = table[column].astype("string")
    table["kpi"] = table["kpi"].astype("string")
    table["value"] = table["value"].astype(float)
    table["n"] = table["n"].astype("int64")
    table["ci_low"] = table["ci_low"].astype(float)
    table["ci_high"] = table["ci_high"].astype(float)
    table["small_sample"] = table["small_sample"].astype(bool)
    return table


# --------------------------------------------------------------------------- scorecard


def _int_array(values: Iterable) -> pd.arrays.IntegerArray:
    """Counts as nullable Int64 (None, NaN and <NA> become <NA>)."""
    return pd.array([None if _json_float(v) is None else int(v) for v in values], dtype="Int64")


def _metric_record(value: object) -> dict[str, Any]:
    """Normalise a metrics entry: a number, None, a metrics.json dict, or a result."""
    if hasattr(value, "to_metric"):
        return value.to_metric()  # type: ignore[union-attr]
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


# --------------------------------------------------------------------------- history


_HISTORY_COLUMNS = ["run_id", "kpi", "value", "n", "ci_low", "ci_high", "label", "unit"]


def _history_frame(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=_HISTORY_COLUMNS)
    for column in ("run_id", "kpi", "label", "unit"):
        table[column] = table[column].astype("string")
    for column in ("value", "ci_low", "ci_high"):
        table[column] = table[column].astype(float)
    table["n"] = _int_array(table["n"])
    return table


def _metrics_rows(document: Mapping[str, Any], run_id: str) -> list[dict]:
    metrics = document.get("metrics")
    if not isinstance(metrics, Mapping):
        raise ValueError("no 'metrics' mapping")
    rows = []
    for kpi, entry in metrics.items():
        record = _metric_record(entry)
        n = record.get("n")
        rows.append({
            "run_id": run_id, "kpi": str(kpi), "value": _json_float(record.get("value")),
            "n": None if n is None else int(n),
            "ci_low": _json_float(record.get("ci_low")), "ci_high": _json_float(record.get("ci_high")),
            "label": record.get("label") or DEFAULT_LABELS.get(str(kpi), str(kpi)),
            "unit": record.get("unit"),
        })
    return rows


def kpi_history(reports_dir: str | Path) -> pd.DataFrame:
    """Every KPI of every successful run: reads ``<reports_dir>/*/metrics.json``.

    Run folders ending in ``-failed`` and the ``latest`` link are skipped; files
    that cannot be read or do not have the metrics.json shape are skipped with a
    warning. Returns columns ``run_id`` (from the file, else the folder name),
    ``kpi``, ``value`` (float, NaN when null), ``n`` (Int64), ``ci_low``,
    ``ci_high``, ``label``, ``unit``; sorted by run_id (then the file's KPI order).
    An empty table (same columns) when there are no runs yet.
    """
    folder = Path(reports_dir)
    if not folder.is_dir():
        warnings.warn(f"no reports folder at {folder}: there is no KPI history yet", stacklevel=2)
        return _history_frame([])
    rows: list[dict] = []
    seen: set[str] = set()
    for run in sorted(folder.iterdir()):
        if not run.is_dir() or run.is_symlink() or run.name == "latest" or run.name.endswith("-failed"):
            continue
        path = run / "metrics.json"
        if not path.exists():
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            run_id = str(document.get("run_id") or run.name)
            run_rows = _metrics_rows(document, run_id)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            warnings.warn(f"skipped {path}: cannot read it as metrics.json ({exc})", stacklevel=2)
            continue
        if run_id in seen:
            continue
        seen.add(run_id)
        rows.extend(run_rows)
    table = _history_frame(rows)
    return table.sort_values("run_id", kind="stable").reset_index(drop=True)


def _inner_metrics(metrics: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise JourneykitError("metrics must be a metrics.json document or its 'metrics' mapping")
    inner = metrics.get("metrics") if isinstance(metrics.get("metrics"), Mapping) else metrics
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


# --------------------------------------------------------------------------- workspace


def _config_value(config: object, name: str, default: object = None) -> object:
    if config is None:
        return default
    if isinstance(config, Mapping):
        return config.get(name, default)
    return getattr(config, name, default)


def _conversion_metric(ws: object) -> dict[str, Any] | None:
    """Conversion from the first to the last stage, from journeykit.analytics.events.stage_funnel."""
    try:
        from journeykit.analytics import events  # noqa: PLC0415 - optional, written by another issue
    except ImportError:
        return None
    stage_funnel = getattr(events, "stage_funnel", None)
    if stage_funnel is None or getattr(ws, "events", None) is None:
        return None
    try:
        funnel = stage_funnel(ws)
    except Exception as exc:  # the funnel belongs to another module: report, do not crash
        warnings.warn(f"conversion skipped: stage_funnel failed ({exc})", stacklevel=3)
        return None
    if not isinstance(funnel, pd.DataFrame) or len(funnel) < 2:
        return None
    count_column = next(
        (c for c in ("customers", "count", "n", "users", "reached") if c in funnel.columns), None
    )
    if count_column is None:
        return None
    counts = pd.to_numeric(funnel[count_column], errors="coerce").to_numpy(dtype=float)
    started, finished = counts[0], counts[-1]
    if not (np.isfinite(started) and np.isfinite(finished)) or started <= 0:
        return None
    low, high = wilson_interval(int(finished), int(started), 0.95)
    return metric_record(finished / started, int(started), low, high, "share",
                   DEFAULT_LABELS["conversion"])


def workspace_metrics(ws: object) -> dict[str, dict[str, Any]]:
    """Every KPI journeykit can compute from a loaded workspace, in the metrics.json shape.

    Returns name → ``{"value", "n", "ci_low", "ci_high", "unit", "label"}`` (JSON-safe:
    floats or None). Names, each only when its data is present:

    * ``nps``, ``csat`` (definition from journey.yaml ``defaults.csat_definition``,
      default top2), ``ces`` — from ``ws.feedback``;
    * ``conversion`` — customers reaching the last stage / first stage, from
      ``journeykit.analytics.events.stage_funnel(ws)`` (Wilson interval) when that module exists;
    * ``repeat_purchase_rate`` — share of ordering customers with 2+ orders (Wilson);
      ``average_order_value`` — mean order amount (t interval);
      ``historical_clv`` — :func:`journeykit.analytics.clv.historical_clv` (no interval) —
      from ``ws.orders``; money in the workspace currency.

    Worked out once per workspace state (``Workspace.memo``; shared by the notebooks of a
    run), and returned as a fresh copy each time.
    """
    memo = getattr(ws, "memo", None)
    if callable(memo):
        return copy.deepcopy(memo(("kpis.workspace_metrics",), lambda: _workspace_metrics(ws)))
    return _workspace_metrics(ws)


def _workspace_metrics(ws: object) -> dict[str, dict[str, Any]]:
    config = getattr(ws, "config", None)
    definition = ws.config.defaults.csat_definition
    currency = str(_config_value(config, "currency", "") or "")
    out: dict[str, dict[str, Any]] = {}

    feedback = getattr(ws, "feedback", None)
    if isinstance(feedback, pd.DataFrame):
        for kpi in SURVEY_SCALES:
            if kpi in feedback.columns:
                answers = feedback[kpi]
                answers = answers[answers.notna()]
                out[kpi] = _survey_result(kpi, answers, definition, 0.95).to_metric()

    conversion = _conversion_metric(ws)
    if conversion is not None:
        out["conversion"] = conversion

    orders = getattr(ws, "orders", None)
    if isinstance(orders, pd.DataFrame) and len(orders) and {"customer_id", "amount"} <= set(orders.columns):
        per_customer = orders.groupby(orders["customer_id"].astype("string")).size()
        repeaters = int((per_customer >= 2).sum())
        low, high = wilson_interval(repeaters, len(per_customer), 0.95)
        out["repeat_purchase_rate"] = metric_record(
            repeaters / len(per_customer), len(per_customer), low, high, "share",
            DEFAULT_LABELS["repeat_purchase_rate"],
        )
        amounts = pd.to_numeric(orders["amount"], errors="coerce").dropna().to_numpy(float)
        mean, _sd, low, high = t_interval(amounts, 0.95, -math.inf, math.inf)
        out["average_order_value"] = metric_record(
            mean, len(amounts), low, high, currency, DEFAULT_LABELS["average_order_value"]
        )
        if "date" in orders.columns:
            from journeykit.analytics.clv import historical_clv  # noqa: PLC0415 - avoid import cycle

            try:
                clv = historical_clv(orders, currency=currency)
            except JourneykitError as exc:
                warnings.warn(f"historical CLV skipped: {exc}", stacklevel=2)
            else:
                out["historical_clv"] = metric_record(
                    clv.clv, clv.customers, None, None, currency, DEFAULT_LABELS["historical_clv"]
                )
    return out


def previous_metrics(reports_dir: str | os.PathLike) -> dict | None:
    """The metrics.json of the last successful run in ``reports_dir`` (what
    ``reports_dir/latest`` points to), or None when there is none yet.

    During a ``journeykit run`` the current run is not promoted until it succeeds, so
    this is the run before it — what "what changed since the last run" compares with.

    Example:
        >>> previous_metrics("/nonexistent") is None
        True
    """
    from journeykit.run.runs import resolve_latest

    latest = resolve_latest(reports_dir) if Path(reports_dir).is_dir() else None
    if latest is None or not (latest / "metrics.json").is_file():
        return None
    try:
        return json.loads((latest / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        warnings.warn(f"could not read {latest / 'metrics.json'}: {exc}", stacklevel=2)
        return None
