"""The KPI charts: each KPI across runs (:func:`kpi_trend`, from ``kpis.kpi_history``)
and one KPI across groups (:func:`kpi_by_group`, from ``kpis.kpi_table``), with their
95 % intervals and targets.

Plain matplotlib: a line with a band and a target line per panel, and points with
error bars, are what matplotlib draws directly.

Example:
    >>> kpi_trend(kpi_history("reports"), ws.config.kpis).savefig("trend.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from journeykit.core.cells import cell_text as _text
from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st
from journeykit.viz._figure import figure_and_ax as _figure_and_ax
from journeykit.viz._figure import figure_of as _figure_of
from journeykit.viz._figure import finish as _finish
from journeykit.viz._figure import new_figure as _new_figure
from journeykit.viz._figure import no_data as _no_data
from journeykit.viz._figure import num as _num
from journeykit.viz._figure import plain_ticks as _plain_ticks
from journeykit.viz._figure import require as _require
from journeykit.viz._figure import styled as _styled

__all__ = ["kpi_by_group", "kpi_trend", "run_date_label"]


_KPI_UNITS = {
    "nps": "NPS (−100…100)",
    "csat": "CSAT (share of 4–5 answers)",
    "ces": "CES (mean 1–7)",
    "conversion": "Conversion (share)",
    "retention": "Retention (share)",
    "clv": "CLV (currency)",
}


def _kpi_axis_label(kpi: str, unit: str | None = None, label: str | None = None) -> str:
    if label and unit:
        return f"{label} ({unit})"
    if label:
        return label
    base = _KPI_UNITS.get(kpi.lower())
    if base:
        return base
    return f"{kpi} ({unit})" if unit else kpi


def _targets_map(targets: Any) -> dict[str, dict[str, Any]]:
    if targets is None:
        return {}
    if isinstance(targets, pd.DataFrame):
        _require(targets, ["kpi", "target"], "kpi_trend targets")
        return {str(r["kpi"]): {"target": r["target"], "warning": r.get("warning", 0),
                                "direction": r.get("direction", "higher")}
                for _, r in targets.iterrows()}
    if isinstance(targets, Mapping):
        out = {}
        for kpi, spec in targets.items():
            out[str(kpi)] = dict(spec) if isinstance(spec, Mapping) else {"target": spec}
        return out
    raise JourneykitError("kpi_trend: targets must be journey.yaml's kpis mapping or a "
                          "scorecard DataFrame (kpi, target, warning, direction)")


_SHARE_UNITS = ("share", "proportion", "rate", "fraction")


def run_date_label(run_id: str) -> str:
    """The date and time (UTC) of a run id ``YYYYMMDDTHHMMSSZ`` for an axis; other ids as
    they are (cut to 16 characters).

    >>> run_date_label("20261202T054433Z"), run_date_label("this run")
    ('2026-12-02 05:44', 'this run')
    """
    text = str(run_id)
    if len(text) >= 16 and text[8] == "T" and text[:8].isdigit() and text[9:15].isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:8]} {text[9:11]}:{text[11:13]}"
    return text[:16]


def _trend_axis_label(kpi: str, unit: str) -> str:
    """The y axis of a trend panel: the unit in words (the panel's title names the KPI)."""
    if unit in _SHARE_UNITS:
        return "share (%)"
    if unit:
        return unit
    return _KPI_UNITS.get(kpi.lower(), "value")


@_styled
def kpi_trend(history_df: pd.DataFrame, targets: Any = None, *, kpis: Sequence[str] | None = None,
              ax: Axes | None = None, title: str = "KPI trends across runs") -> Figure:
    """Each KPI across runs (``kpis.kpi_history``): value, 95 % band, target.

    One small panel per KPI with a value in some run (or the single ``ax`` when one KPI
    is drawn); KPIs without any value get one line under the panels instead. Runs are on
    the x axis by their date (UTC, from the run id), panels are titled with the KPI's
    ``label`` in ``targets`` (journey.yaml), else the history's label. The target from
    ``targets`` (journey.yaml ``kpis`` mapping or a scorecard frame) is a dashed
    vermillion line, its warning band a light shade on the losing side.

    Example:
        >>> kpi_trend(kpi_history("reports"), ws.config.kpis).savefig("trend.png")  # doctest: +SKIP
    """
    _require(history_df, ["run_id", "kpi", "value"], "kpi_trend")
    goals = _targets_map(targets)
    names = list(kpis) if kpis is not None else list(dict.fromkeys(history_df["kpi"].astype(str)))
    if ax is not None and len(names) > 1:
        raise JourneykitError("kpi_trend: ax= draws one KPI; pass kpis=[name] as well")
    values = pd.to_numeric(history_df["value"], errors="coerce")
    measured = set(history_df.loc[values.notna().to_numpy(), "kpi"].astype(str))
    without = [n for n in names if n not in measured]
    if ax is None:  # a KPI without any value gets no panel, only a line
        names = [n for n in names if n in measured]
    runs = sorted(dict.fromkeys(history_df["run_id"].astype(str)))
    own = ax is None
    if ax is None:
        cols = min(3, max(1, len(names)))
        rows = max(1, math.ceil(len(names) / cols))
        fig = _new_figure((4.6 * cols + 0.6, 3.4 * rows + 0.8 + (0.3 if without else 0)))
        axes = [fig.add_subplot(rows, cols, k + 1) for k in range(max(1, len(names)))]
        fig.suptitle(title, x=0.01, ha="left")
        if without and names:
            shown = [_text((goals.get(n) or {}).get("label")) or n for n in without]
            fig.text(0.01, 0.005, "Not measured in these runs: " + ", ".join(shown), ha="left",
                     va="bottom", color=st.MUTED, style="italic", fontsize=st.FONT_SIZES["small"])
    else:
        fig, axes = _figure_of(ax), [ax]
    if not names:
        _no_data(axes[0], "no KPI history yet: it grows with every run")
        axes[0].set_xlabel("Run date (UTC)")
        axes[0].set_ylabel("Value")
        return _finish(fig, own)
    position = {r: k for k, r in enumerate(runs)}
    run_dates = [run_date_label(r) for r in runs]
    for panel, kpi in zip(axes, names, strict=False):
        rows_k = history_df[history_df["kpi"].astype(str) == kpi].copy()
        rows_k["x"] = rows_k["run_id"].astype(str).map(position)
        rows_k = rows_k.sort_values("x")
        x = rows_k["x"].to_numpy(float)
        y = pd.to_numeric(rows_k["value"], errors="coerce").to_numpy(float)
        goal = goals.get(kpi) or {}
        label = _text(goal.get("label")) or (
            _text(rows_k["label"].iloc[0]) if "label" in rows_k and len(rows_k) else "")
        unit = _text(rows_k["unit"].iloc[0]) if "unit" in rows_k and len(rows_k) else ""
        if {"ci_low", "ci_high"} <= set(rows_k.columns):
            lo = pd.to_numeric(rows_k["ci_low"], errors="coerce").to_numpy(float)
            hi = pd.to_numeric(rows_k["ci_high"], errors="coerce").to_numpy(float)
            if np.isfinite(lo).any():
                panel.fill_between(x, lo, hi, color=st.MAIN_COLOR, alpha=0.18, linewidth=0,
                                   label="95% interval")
        panel.plot(x, y, color=st.MAIN_COLOR, marker="o", label="value")
        share = unit in _SHARE_UNITS
        if goal and goal.get("target") is not None and not math.isnan(_num(goal.get("target"))):
            target = _num(goal["target"])
            panel.axhline(target, color=st.TARGET_COLOR, linestyle="--", linewidth=1.5,
                          label=f"target {target * 100:g} %" if share else f"target {target:g}")
            warning = _num(goal.get("warning", 0))
            if warning and not math.isnan(warning):
                lower = str(goal.get("direction", "higher")).lower() == "lower"
                band = (target, target + warning) if lower else (target - warning, target)
                panel.axhspan(*band, color=st.TARGET_COLOR, alpha=0.08, linewidth=0,
                              label="at-risk band")
        panel.set_title(label or kpi, loc="left", fontsize=st.FONT_SIZES["subtitle"])
        panel.set_ylabel(_trend_axis_label(kpi, unit))
        panel.set_xlabel("Run date (UTC)")
        panel.set_xticks(range(len(runs)), run_dates,
                         rotation=30 if len(runs) > 2 else 0, ha="right" if len(runs) > 2 else "center")
        panel.set_xlim(-0.5, len(runs) - 0.5)
        panel.grid(axis="y")
        if not np.isfinite(y).any():
            _no_data(panel)
        panel.legend(loc="best", fontsize=st.FONT_SIZES["tiny"])
        _plain_ticks(panel)
        if share:
            panel.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    if own:
        for extra in axes[len(names):]:
            extra.set_axis_off()
    return _finish(fig, own)


def _group_axis(column: str) -> str:
    """A group column as an axis label: ``persona_id`` → ``Persona``."""
    text = str(column).removesuffix("_id").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


_KPI_TABLE_STANDARD = {"kpi", "value", "n", "ci_low", "ci_high", "small_sample", "label",
                       "unit", "invalid"}


@_styled
def kpi_by_group(kpi_table_df: pd.DataFrame, kpi: str, *, ax: Axes | None = None,
                 title: str | None = None, labels: Mapping[str, str] | None = None) -> Figure:
    """One KPI across groups (``kpis.kpi_table``): point and 95 % interval per group.

    Groups flagged ``small_sample`` (n < 30) are drawn hollow and marked "(small n)";
    groups with no answers get no row: one line under the chart names them ("No answers
    yet: …"), and with no answers at all the chart says so instead of drawing an axis. The group label is the ``by`` column(s),
    shown through ``labels`` (id -> display name, e.g. ``ws.labels("persona")``).

    Example:
        >>> kpi_by_group(kpi_table(ws.feedback, by="stage"), "nps")   # doctest: +SKIP
    """
    _require(kpi_table_df, ["kpi", "value"], "kpi_by_group")
    rows = kpi_table_df[kpi_table_df["kpi"].astype(str) == kpi].reset_index(drop=True)
    by = [c for c in rows.columns if c not in _KPI_TABLE_STANDARD]

    def group_name(row: pd.Series, k: int) -> str:
        return " / ".join((labels or {}).get(_text(row[c]), _text(row[c])) or "(blank)" for c in by) \
            if by else str(k + 1)

    has_value = np.isfinite(pd.to_numeric(rows["value"], errors="coerce").to_numpy(float))
    without = [group_name(row, k) for k, row in rows.iterrows() if not has_value[k]]
    rows = rows[has_value].reset_index(drop=True)  # a group without answers gets no row, only a line
    own = ax is None
    fig, ax = _figure_and_ax(ax, (8.0, max(3.2, 0.45 * len(rows) + 1.8)))
    ax.set_title(title or f"{kpi.upper() if len(kpi) <= 4 else kpi} by "
                 f"{', '.join(by) if by else 'group'}", loc="left")
    ax.set_xlabel(_kpi_axis_label(kpi))
    ax.set_ylabel(", ".join(_group_axis(c) for c in by) if by else "Group")
    if rows.empty:
        _no_data(ax, f"no {kpi} answers")
        ax.set_xticks([])
        ax.set_yticks([])
        return _finish(fig, own)
    tick_labels = []
    y = np.arange(len(rows))[::-1]
    values = pd.to_numeric(rows["value"], errors="coerce").to_numpy(float)
    lo = pd.to_numeric(rows.get("ci_low"), errors="coerce").to_numpy(float) if "ci_low" in rows \
        else np.full(len(rows), np.nan)
    hi = pd.to_numeric(rows.get("ci_high"), errors="coerce").to_numpy(float) if "ci_high" in rows \
        else np.full(len(rows), np.nan)
    small = rows["small_sample"].fillna(False).astype(bool).to_numpy() if "small_sample" in rows \
        else np.zeros(len(rows), bool)
    ns = pd.to_numeric(rows.get("n"), errors="coerce").to_numpy(float) if "n" in rows \
        else np.full(len(rows), np.nan)
    for k, row in rows.iterrows():
        name = group_name(row, k)
        suffix = f" (n {int(ns[k])})" if np.isfinite(ns[k]) else ""
        if small[k] and np.isfinite(values[k]):
            suffix += " small n"
        tick_labels.append(name + suffix)
        if not np.isfinite(values[k]):
            continue
        err = None
        if np.isfinite(lo[k]) and np.isfinite(hi[k]):
            err = [[max(0.0, values[k] - lo[k])], [max(0.0, hi[k] - values[k])]]
        ax.errorbar(values[k], y[k], xerr=err, fmt="o", markersize=8,
                    color=st.MAIN_COLOR, ecolor=st.MAIN_COLOR, capsize=4,
                    markerfacecolor="white" if small[k] else st.MAIN_COLOR,
                    markeredgewidth=1.6, gid="small-sample" if small[k] else "group")
    ax.set_yticks(y, tick_labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="x")
    handles = []
    if small.any():
        handles = [
            Line2D([], [], marker="o", color=st.MAIN_COLOR, linestyle="none", label="n ≥ 30"),
            Line2D([], [], marker="o", color=st.MAIN_COLOR, markerfacecolor="white",
                   linestyle="none", label="small sample (n < 30)")]
    if without:  # one line for the groups without answers, in the legend below the axis
        handles.append(Line2D([], [], linestyle="none", label="no answers yet: " + ", ".join(without)))
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                  ncol=min(len(handles), 2))
    _plain_ticks(ax)
    return _finish(fig, own)

