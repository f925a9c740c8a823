"""What the report template shows: text-only views of tables, figures and KPIs, and number formatting.

Every value reaches the template as text made here (:func:`display_text`,
:func:`format_number`), with personal data masked (:func:`journeykit.core.privacy.mask_pii`:
e-mail, phone, IBAN, card numbers); the template escapes it. The same rows serve ``journeykit report
diff`` (:func:`change_rows`).

Example:
    >>> format_number(0.8534, "share"), display_text("'=SUM(A1)")
    ('85.3 %', '=SUM(A1)')
    >>> format_interval(0.6476, 0.6272, 0.6674, "share")
    '64.8 % (62.7–66.7)'
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
    "MAX_TABLE_ROWS", "SHARE_UNITS", "Cell", "FigureView", "SectionView", "TableView", "change_rows",
    "display_text", "format_count", "format_interval", "format_money", "format_number", "metric_rows",
    "scorecard_rows", "strip_source_paths", "table_view", "title_from_name", "to_float", "warning_kinds",
]

#: a table cell: text, or the items of a list shown as bullets
Cell = str | list[str]

_LONG_DECIMAL = re.compile(r"^-?\d+\.\d{5,}$")
_TIMEDELTA = re.compile(r"^(-?\d+ days? )?-?\d{1,2}:\d{2}:\d{2}\.\d+$")
MAX_TABLE_ROWS = 15


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
    ('85.3 %', '31.2 points', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return display_text(value)
    unit = (unit or "").strip()
    if unit in SHARE_UNITS:
        return f"{number * 100:.1f} %"
    if unit in ("%", "percent"):
        return f"{number:.1f} %"
    text = _plain(number)
    return f"{text} {unit}" if unit else text


SHARE_UNITS = ("share", "proportion", "rate", "fraction")


def _plain(number: float) -> str:
    """A number without unit: thousands separators, one decimal below 1,000, three
    significant digits below 1."""
    return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.3g}" if abs(number) < 1 else f"{number:,.1f}"


def format_interval(value: object, low: object, high: object, unit: str = "") -> str:
    """A value with its 95 % interval in brackets, the unit once: ``64.8 % (62.7–66.7)``;
    the value alone when the interval is missing.

    >>> format_interval(17.8, 12.9, 22.6, "points"), format_interval(0.5, None, None, "share")
    ('17.8 points (12.9–22.6)', '50.0 %')
    """
    shown = format_number(to_float(value), unit)
    lo, hi = to_float(low), to_float(high)
    if shown == "–" or lo is None or hi is None:
        return shown
    unit = (unit or "").strip()
    if unit in SHARE_UNITS:
        return f"{shown} ({lo * 100:.1f}–{hi * 100:.1f})"
    dash = " to " if lo < 0 or hi < 0 else "–"  # "−0.23 to −0.18", never "−0.23–−0.18"
    return f"{shown} ({_plain(lo)}{dash}{_plain(hi)})"


def format_count(value: object) -> str:
    """A count with thousands separators; an en dash when missing.

    >>> format_count("18459"), format_count(None)
    ('18,459', '–')
    """
    number = to_float(value)
    return "–" if number is None else f"{number:,.0f}"


def format_money(value: object, currency: str = "") -> str:
    """An amount of money: whole units from 100 on, cents below, the currency code after.

    >>> format_money("2417.31", "EUR"), format_money(12.5, "EUR")
    ('2,417 EUR', '12.50 EUR')
    """
    number = to_float(value)
    if number is None:
        return "–"
    text = f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}"
    return f"{text} {currency}".strip()


_KIT_SOURCE = re.compile(r"(?:[A-Za-z]:)?[^\s:]*journeykit[\\/][^\s:]*\.py:\d+:\s*")
_WARNING_KIND = re.compile(r"^\s*([A-Z]\w*(?:Warning|Error))\s*:\s*")


def strip_source_paths(text: str) -> str:
    """``text`` without the kit's source-file locations that Python's warnings print
    (``/…/journeykit/kpis.py:810: UserWarning: msg`` → ``UserWarning: msg``).

    >>> strip_source_paths("/x/site-packages/journeykit/kpis.py:810: UserWarning: few answers")
    'UserWarning: few answers'
    """
    return _KIT_SOURCE.sub("", str(text))


def warning_kinds(texts: Sequence[str], *, limit: int = 15) -> list[dict[str, str]]:
    """Warnings summarised by kind: one row per distinct message (numbers inside it read
    as ``#`` so "3 rows" and "5 rows" are one kind), with its count and one example,
    most frequent first; the kit's source paths removed, personal data masked.

    >>> warning_kinds(["a.py: 3 rows skipped", "a.py: 5 rows skipped", "late"])[0]["count"]
    '2'
    """
    groups: dict[str, list[str]] = {}
    for text in texts:
        message = strip_source_paths(text).strip()
        if not message:
            continue
        message = _WARNING_KIND.sub("", message)
        key = re.sub(r"\d[\d,.]*", "#", message)
        groups.setdefault(key, []).append(message)
    ranked = sorted(groups.values(), key=len, reverse=True)
    return [{"message": display_text(items[0]), "count": format_count(len(items))} for items in ranked[:limit]]


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
    rows: list[list[Cell]]
    total_rows: int
    source: str = ""
    note: str = ""

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
    """One report section's figures and tables; ``lines`` are one-line notes (an analysis
    without data says so here instead of drawing an empty chart)."""

    id: str
    heading: str
    question: str = ""
    figures: list[FigureView] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def table_view(frame: pd.DataFrame, name: str, *, max_rows: int = MAX_TABLE_ROWS, title: str | None = None,
               columns: Sequence[str] | None = None, source: str | None = None) -> TableView:
    """A DataFrame as a :class:`TableView` (first ``max_rows`` rows, chosen ``columns``).

    >>> table_view(pd.DataFrame({"kpi_name": ["nps"], "value": [0.5]}), "scorecard").columns
    ['kpi name', 'value']
    """
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    shown = frame.head(max_rows)
    rows: list[list[Cell]] = [[display_text(v) for v in row]
                              for row in shown.astype(object).itertuples(index=False, name=None)]
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
            "n": f"n {format_count(record.get('current_n'))}" if to_float(record.get("current_n")) else "",
        })
    return rows


def scorecard_rows(card: pd.DataFrame) -> list[dict[str, str]]:
    """The rows of :func:`journeykit.analytics.scorecard.scorecard` (or a notebook's
    ``tables/scorecard.csv``) as text: ``label, value`` (with its interval), ``n, target,
    status, status_class``."""
    rows = []
    for record in card.to_dict("records"):
        unit = display_text(record.get("unit", ""))
        status = display_text(record.get("status", "")) or "no target"
        value, target = to_float(record.get("value")), to_float(record.get("target"))
        rows.append({
            "label": display_text(record.get("label") or record.get("kpi")),
            "value": format_interval(value, record.get("ci_low"), record.get("ci_high"), unit) if value is not None
            else display_text(record.get("value")) or "–",
            "n": format_count(record.get("n")),
            "target": format_number(target, unit) if target is not None
            else display_text(record.get("target")) or "–",
            "status": status,
            "status_class": status.lower().replace(" ", "-"),
        })
    return rows


def metric_rows(metrics: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every metric of a ``metrics.json`` as text: ``name, label, value, interval, n, unit``.

    >>> metric_rows({"csat": {"value": 0.8, "ci_low": 0.7, "ci_high": 0.9, "unit": "share"}})[0]["value"]
    '80.0 % (70.0–90.0)'
    """
    rows = []
    for name, entry in metrics.items():
        if not isinstance(entry, Mapping):
            continue
        m = normalise_metric(name, entry)
        unit, low, high = m["unit"], m["ci_low"], m["ci_high"]
        interval = "–" if low is None or high is None else format_interval(m["value"], low, high, unit)
        rows.append({
            "name": display_text(name), "label": display_text(m["label"]),
            "value": format_interval(m["value"], low, high, unit), "interval": interval,
            "n": format_count(m["n"]), "unit": display_text(unit),
        })
    return rows
