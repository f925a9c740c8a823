"""What the report template shows: text-only views of tables, figures and KPIs, and number formatting.

Every value reaches the template as text made here (:func:`display_text`,
:func:`format_number`), with personal data masked (:func:`journeykit.core.privacy.mask_pii`:
e-mail, phone, IBAN, card numbers); the template escapes it. The same rows serve ``journeykit report
diff`` (:func:`change_rows`).

Example:
    >>> format_number(0.8534, "share"), display_text("'=SUM(A1)")
    ('85.3%', '=SUM(A1)')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from journeykit.core.metrics import normalise_metric
from journeykit.core.privacy import mask_pii
from journeykit.core.safety import FORMULA_STARTS

__all__ = [
    "MAX_TABLE_ROWS", "FigureView", "SectionView", "TableView", "change_rows", "display_text",
    "format_number", "metric_rows", "scorecard_rows", "table_view", "title_from_name", "to_float",
]

_LONG_DECIMAL = re.compile(r"^-?\d+\.\d{5,}$")
_TIMEDELTA = re.compile(r"^(-?\d+ days? )?-?\d{1,2}:\d{2}:\d{2}\.\d+$")
MAX_TABLE_ROWS = 60


def display_text(value: object) -> str:
    """A cell as text for HTML: missing values blank, numbers tidy, personal data masked
    (:func:`~journeykit.core.privacy.mask_pii`), and the apostrophe that neutralised a
    spreadsheet formula removed (HTML escaping makes it harmless).

    >>> display_text("'=SUM(A1)"), display_text(0.5), display_text(None)
    ('=SUM(A1)', '0.5', '')
    >>> display_text("call 06-12345678")
    'call [phone]'
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.4g}"
    text = str(value)
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return str(mask_pii(text[1:]))
    if _LONG_DECIMAL.match(text):  # 0.9331476323119777 read back from a CSV
        return display_text(float(text))
    if _TIMEDELTA.match(text):  # "4 days 14:28:42.500000" -> "4 days 14:28:42"
        return text.rsplit(".", 1)[0]
    return str(mask_pii(text))


def format_number(value: object, unit: str = "") -> str:
    """A KPI value for people: None as an en dash, shares as percentages.

    >>> format_number(0.8534, "share"), format_number(31.25, "points"), format_number(None)
    ('85.3%', '31.2 points', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return display_text(value)
    unit = (unit or "").strip()
    if unit in ("share", "proportion", "rate", "fraction"):
        return f"{number * 100:.1f}%"
    if unit in ("%", "percent"):
        return f"{number:.1f}%"
    text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.3g}" if abs(number) < 1 else f"{number:,.1f}"
    return f"{text} {unit}" if unit else text


def to_float(value: object) -> float | None:
    """``value`` as a float, None when it is not a number or NaN.

    >>> to_float("2.5"), to_float("n/a"), to_float(float("nan"))
    (2.5, None, None)
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def title_from_name(name: str) -> str:
    """A heading from a file-style name.

    >>> title_from_name("stage_funnel")
    'Stage funnel'
    """
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass
class TableView:
    """A table ready for the template: text cells only; ``total_rows`` counts the rows
    of the whole table, ``source`` is its file in the run folder."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    total_rows: int
    source: str = ""

    @property
    def truncated(self) -> bool:
        return self.total_rows > len(self.rows)


@dataclass
class FigureView:
    """A figure ready for the template: ``src`` is the PNG as a ``data:`` URI, ``svg``
    the relative path of its SVG copy (or None)."""

    name: str
    notebook: str
    title: str
    alt: str
    src: str
    svg: str | None = None


@dataclass
class SectionView:
    """One report section's figures and tables."""

    id: str
    heading: str
    figures: list[FigureView] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)


def table_view(frame: pd.DataFrame, name: str, *, max_rows: int = MAX_TABLE_ROWS, title: str | None = None,
               columns: Sequence[str] | None = None, source: str | None = None) -> TableView:
    """A DataFrame as a :class:`TableView` (first ``max_rows`` rows, chosen ``columns``).

    >>> table_view(pd.DataFrame({"kpi_name": ["nps"], "value": [0.5]}), "scorecard").columns
    ['kpi name', 'value']
    """
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    shown = frame.head(max_rows)
    rows = [[display_text(v) for v in row] for row in shown.astype(object).itertuples(index=False, name=None)]
    return TableView(name=name, title=title or title_from_name(name),
                     columns=[display_text(c).replace("_", " ") for c in frame.columns],
                     rows=rows, total_rows=len(frame), source=source or f"tables/{name}.csv")


def change_rows(changes: pd.DataFrame, metrics: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of :func:`journeykit.analytics.scorecard.what_changed` as text: ``label,
    previous, current, delta`` (an arrow and the signed change, shares in percentage
    points), ``direction`` (``up``, ``down``, ``flat``, ``none``) and ``significant``
    (``yes``, ``within noise``, ``not testable``); ``metrics`` gives each KPI's unit."""
    rows = []
    for record in changes.to_dict("records"):
        kpi = str(record.get("kpi"))
        unit = str((metrics.get(kpi) or {}).get("unit") or "")
        delta = record.get("delta")
        significant = record.get("significant")
        if significant is None or significant is pd.NA or (isinstance(significant, float) and math.isnan(significant)):
            verdict = "not testable"
        else:
            verdict = "yes" if bool(significant) else "within noise"
        try:
            missing_delta = delta is None or pd.isna(delta)
        except (TypeError, ValueError):
            missing_delta = True
        if missing_delta:
            direction, delta_text = "none", "–"
        else:
            number = float(delta)
            direction = "up" if number > 0 else "down" if number < 0 else "flat"
            arrow = {"up": "▲", "down": "▼", "flat": "="}[direction]
            shown = f"{abs(number) * 100:.1f} pp" if unit == "share" else format_number(abs(number), unit)
            delta_text = f"{arrow} {'+' if number > 0 else '−' if number < 0 else ''}{shown}"
        rows.append({
            "label": display_text(record.get("label") or kpi),
            "previous": format_number(to_float(record.get("previous")), unit),
            "current": format_number(to_float(record.get("current")), unit),
            "delta": delta_text, "direction": direction, "significant": verdict,
        })
    return rows


def scorecard_rows(card: pd.DataFrame) -> list[dict[str, str]]:
    """The rows of :func:`journeykit.analytics.scorecard.scorecard` (or a notebook's
    ``tables/scorecard.csv``) as text: ``label, value, target, status, status_class``."""
    rows = []
    for record in card.to_dict("records"):
        unit = display_text(record.get("unit", ""))
        status = display_text(record.get("status", "")) or "no target"
        value, target = to_float(record.get("value")), to_float(record.get("target"))
        rows.append({
            "label": display_text(record.get("label") or record.get("kpi")),
            "value": format_number(value, unit) if value is not None else display_text(record.get("value")) or "–",
            "target": format_number(target, unit) if target is not None
            else display_text(record.get("target")) or "–",
            "status": status,
            "status_class": status.lower().replace(" ", "-"),
        })
    return rows


def metric_rows(metrics: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every metric of a ``metrics.json`` as text: ``name, label, value, interval, n, unit``.

    >>> metric_rows({"csat": {"value": 0.8, "ci_low": 0.7, "ci_high": 0.9, "unit": "share"}})[0]["interval"]
    '70.0% – 90.0%'
    """
    rows = []
    for name, entry in metrics.items():
        if not isinstance(entry, Mapping):
            continue
        m = normalise_metric(name, entry)
        unit, low, high = m["unit"], m["ci_low"], m["ci_high"]
        interval = "–" if low is None or high is None else f"{format_number(low, unit)} – {format_number(high, unit)}"
        rows.append({
            "name": display_text(name), "label": display_text(m["label"]),
            "value": format_number(m["value"], unit), "interval": interval,
            "n": "–" if m["n"] is None else display_text(m["n"]), "unit": display_text(unit),
        })
    return rows
