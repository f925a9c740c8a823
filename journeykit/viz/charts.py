"""The result charts: each draws one result table of the analysis modules, so it works
on any DataFrame of the documented shape.

============================  =====================================================
chart                         data
============================  =====================================================
:func:`funnel_chart`          ``events.funnel`` / ``events.stage_funnel`` result
:func:`retention_heatmap`     ``events.retention`` result
:func:`emotion_curve_chart`   ``voice.emotion_curve`` result
:func:`impact_effort_matrix`  ``painpoints.score_pain_points`` result
:func:`persona_card_figure`   ``personas.persona_cards`` result
============================  =====================================================

The journey map is :mod:`journeykit.viz.journey_map`, the designed-vs-observed and
coverage charts :mod:`journeykit.viz.designed`, the KPI charts
:mod:`journeykit.viz.kpi_charts`. Every function returns a
:class:`matplotlib.figure.Figure` (created without pyplot, so nothing piles up in a
long headless run; Jupyter displays a returned Figure), never shows it and never calls
``matplotlib.use()``. Functions that draw one panel accept ``ax=`` to draw into an
existing Axes. Text from the data is drawn as plain text (a ``$`` never starts maths).

``retention_heatmap`` is a ``seaborn.heatmap`` (an annotated grid is what seaborn is
for); the others stay plain matplotlib: labelled bars, a line with its band, a scatter
with numbered markers beside a list, and text cards are layouts seaborn adds nothing to.

Example:
    >>> fig = funnel_chart(stage_funnel(ws))                    # doctest: +SKIP
    >>> fig.savefig("funnel.png")                               # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from journeykit.analytics.painpoints import EFFORT_THRESHOLD, IMPACT_THRESHOLD
from journeykit.core.cells import cell_text as _text
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st
from journeykit.viz._figure import figure_and_ax as _figure_and_ax
from journeykit.viz._figure import figure_of as _figure_of
from journeykit.viz._figure import finish as _finish
from journeykit.viz._figure import fmt_csat as _fmt_csat
from journeykit.viz._figure import fmt_int as _fmt_int
from journeykit.viz._figure import fmt_pct as _fmt_pct
from journeykit.viz._figure import humanise as _humanise
from journeykit.viz._figure import new_figure as _new_figure
from journeykit.viz._figure import no_data as _no_data
from journeykit.viz._figure import num as _num
from journeykit.viz._figure import plain as _plain
from journeykit.viz._figure import plain_ticks as _plain_ticks
from journeykit.viz._figure import require as _require
from journeykit.viz._figure import severity_1_to_5 as _severity_1_to_5
from journeykit.viz._figure import styled as _styled
from journeykit.viz.textfit import TextFitter as _TextFitter
from journeykit.viz.textfit import line_height as _line_height

__all__ = [
    "emotion_curve_chart", "funnel_chart", "impact_effort_matrix", "persona_card_figure",
    "retention_heatmap",
]


_FUNNEL_STANDARD = {"step", "name", "customers", "conversion_from_start",
                    "conversion_from_previous", "dropped", "median_time_from_previous",
                    "stage", "stage_name"}


@_styled
def funnel_chart(funnel_df: pd.DataFrame, *, ax: Axes | None = None,
                 title: str = "Funnel: customers reaching each step") -> Figure:
    """A funnel from ``events.funnel`` / ``events.stage_funnel``.

    Without a breakdown: horizontal bars of customers per step, labelled with the
    count, the conversion from the first step and from the previous one. With a
    breakdown (``by`` columns such as channel or persona): one line per group of
    conversion from the first step (%), so groups of different size compare.

    Example:
        >>> funnel_chart(stage_funnel(ws)).savefig("funnel.png")   # doctest: +SKIP
    """
    _require(funnel_df, ["step", "customers", "conversion_from_start"], "funnel_chart")
    own = ax is None
    frame = funnel_df.copy()
    by = [c for c in frame.columns if c not in _FUNNEL_STANDARD]
    label_col = "stage_name" if "stage_name" in frame else ("name" if "name" in frame else "step")
    steps = frame.drop_duplicates("step").sort_values("step")
    labels = [_text(v) or str(s) for v, s in zip(steps[label_col], steps["step"], strict=True)]
    n_steps = len(steps)
    fig, ax = _figure_and_ax(ax, (9.0, max(3.5, 0.6 * n_steps + 2.0)))
    ax.set_title(title, loc="left")
    if frame.empty:
        _no_data(ax)
        return _finish(fig, own)
    if by:
        groups = frame.groupby(by, dropna=False, sort=True)
        colors = st.PALETTE
        for k, (key, group) in enumerate(groups):
            group = group.sort_values("step")
            name = " / ".join(_text(v) or "(blank)" for v in (key if isinstance(key, tuple)
                                                               else (key,)))
            first = _num(group["customers"].iloc[0])
            ax.plot(group["step"], 100 * group["conversion_from_start"].astype(float),
                    marker="o", color=colors[k % len(colors)],
                    label=f"{name} (n {int(first) if not math.isnan(first) else 0:,})")
        fit = _TextFitter(fig)
        room = 0.62 * fig.get_size_inches()[0] / max(n_steps, 1)
        ax.set_xticks(steps["step"], ["\n".join(fit.wrap(lab, room, st.FONT_SIZES["tick"], 2))
                                      for lab in labels])
        ax.set_xlim(steps["step"].min() - 0.3, steps["step"].max() + 0.3)
        ax.set_ylim(0, 105)
        ax.set_ylabel("Conversion from first step (%)")
        ax.set_xlabel("Step")
        ax.grid(axis="y")
        legend = ax.legend(title=", ".join(by), loc="upper left", bbox_to_anchor=(1.01, 1.0))
        _plain(legend.get_texts())
    else:
        y = np.arange(n_steps)[::-1]
        customers = steps["customers"].astype(float).to_numpy()
        bars = ax.barh(y, customers, color=st.MAIN_COLOR, height=0.6)
        xmax = max(1.0, np.nanmax(customers) if len(customers) else 1.0)
        ax.set_xlim(0, xmax * 1.55)
        for k, (bar, (_, row)) in enumerate(zip(bars, steps.iterrows(), strict=True)):
            text = f"{_fmt_int(row['customers'])} · {_fmt_pct(row['conversion_from_start'])} of start"
            if k > 0 and "conversion_from_previous" in row:
                text += f" · {_fmt_pct(row['conversion_from_previous'])} from prev."
            t = ax.text(bar.get_width() + xmax * 0.02, bar.get_y() + bar.get_height() / 2, text,
                        va="center", ha="left", fontsize=st.FONT_SIZES["small"])
            t.set_parse_math(False)
        ax.set_yticks(y, labels)
        ax.set_xlabel("Customers (count)")
        ax.set_ylabel("Step")
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- retention


def _retention_matrix(retention_df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(share matrix cohort × period, counts matrix or None) from long or wide input."""
    frame = retention_df
    if {"cohort", "period"} <= set(frame.columns):
        share_col = next((c for c in ("share", "retention", "rate", "retained_share")
                          if c in frame), None)
        count_col = next((c for c in ("customers", "retained", "count", "returned")
                          if c in frame), None)
        if share_col is None and count_col is None:
            raise JourneykitError("retention_heatmap: expected a 'share' or 'customers' column")
        counts = frame.pivot_table(index="cohort", columns="period", values=count_col,
                                   aggfunc="sum") if count_col else None
        if share_col is not None:
            shares = frame.pivot_table(index="cohort", columns="period", values=share_col,
                                       aggfunc="mean")
        else:
            assert counts is not None  # a count column when there is no share column
            shares = counts.div(counts.iloc[:, 0], axis=0)
        return shares, counts
    if "cohort" in frame.columns:
        frame = frame.set_index("cohort")
    numeric = frame.select_dtypes("number")
    shares = numeric if numeric.max().max() <= 1.0 else numeric.div(numeric.iloc[:, 0], axis=0)
    return shares, None if numeric.max().max() <= 1.0 else numeric


@_styled
def retention_heatmap(retention_df: pd.DataFrame, *, ax: Axes | None = None,
                      title: str = "Retention by cohort", rows: str = "cohort",
                      kind: str = "returned") -> Figure:
    """Cohort × period retention (share of the cohort returning in that period).

    ``rows``: the column whose values are the rows (``"cohort"``; a breakdown column such as
    ``"persona"`` for :func:`~journeykit.analytics.events.retention.retention_curves`);
    ``kind``: the retention's kind (``"on_or_after"`` labels the scale "in that period or later").

    Accepts the long table of ``events.retention`` (cohort, period, share and/or
    customers) or a wide cohort × period table of shares. A ``seaborn.heatmap`` on the
    colour-blind-safe sequential colormap of :mod:`journeykit.viz.style`; period 0 (the
    cohort itself) is grey, off the scale. Each cell shows the share in % while the grid
    has at most 400 cells; the cohort's size is in its row label when counts are present.

    Example:
        >>> retention_heatmap(retention(ws.orders)).savefig("retention.png")  # doctest: +SKIP
    """
    if not isinstance(retention_df, pd.DataFrame):
        raise JourneykitError("retention_heatmap: expected a DataFrame from events.retention")
    own = ax is None
    frame = retention_df.rename(columns={rows: "cohort"}) if rows != "cohort" else retention_df
    shares, counts = _retention_matrix(frame) if not retention_df.empty else (pd.DataFrame(), None)
    if shares.empty:  # no rows, or only rows without a group (a breakdown column left blank)
        fig, ax = _figure_and_ax(ax, (8.0, 4.0))
        ax.set_title(title, loc="left")
        ax.set_xlabel("Periods since first period")
        ax.set_ylabel("Cohort" if rows == "cohort" else _humanise(rows))
        _no_data(ax)
        return _finish(fig, own)
    shares = shares.sort_index()
    n_rows, n_cols = shares.shape
    annotated = n_rows * n_cols <= 400
    # cells with a percentage in them need room for it; colour-only cells can be smaller
    # (24 × 24 monthly cohorts: 13.8 × 9.2 in instead of 19.8 × 12.1 in, cheaper to save)
    cell_w, cell_h = (0.7, 0.42) if annotated else (0.45, 0.3)
    fig, ax = _figure_and_ax(ax, (max(6.0, cell_w * n_cols + 3.0), max(3.5, cell_h * n_rows + 2.0)))
    ax.set_title(title, loc="left")
    values = shares.to_numpy(dtype=float)
    # period 0 is the cohort itself (always 100%): drawn in grey so that the colour scale
    # spans the returns people care about (periods 1, 2, ...), not 0-100%
    period0 = np.array([str(c) == "0" for c in shares.columns])
    is_period0 = np.broadcast_to(period0, values.shape)
    colour_values = np.where(is_period0, np.nan, values)
    top = float(np.nanmax(colour_values)) if np.isfinite(colour_values).any() else 1.0
    vmax = min(1.0, max(0.05, math.ceil(top * 20) / 20))
    labels = np.array([[f"{v:.0%}" if np.isfinite(v) else "" for v in row] for row in values])
    ylabels = [str(c)[:10] if rows == "cohort" else str(c)[:28] for c in shares.index]
    if counts is not None and len(counts.columns):
        first = counts.reindex(shares.index).iloc[:, 0]
        ylabels = [f"{lab} (n {int(v):,})" if pd.notna(v) else lab
                   for lab, v in zip(ylabels, first, strict=True)]
    xlabels = [str(c) for c in shares.columns]
    common = {"ax": ax, "annot": labels if annotated else False, "fmt": "",
              "annot_kws": {"fontsize": st.FONT_SIZES["tiny"]}, "xticklabels": xlabels,
              "yticklabels": ylabels, "linewidths": 0}
    sns.heatmap(colour_values, mask=~np.isfinite(colour_values), cmap=st.SEQUENTIAL_CMAP,
                vmin=0, vmax=vmax, cbar_kws={"fraction": 0.04, "pad": 0.02,
                                             "label": ("Returned in that period or later (% of cohort)"
                                                       if kind == "on_or_after" else
                                                       "Returned in that period (% of cohort)")},
                **common)
    scale = ax.collections[0]
    if period0.any():
        sns.heatmap(np.where(is_period0, values, np.nan), mask=~(is_period0 & np.isfinite(values)),
                    cmap=ListedColormap([st.NEUTRAL_LIGHT]), vmin=0, vmax=1, cbar=False, **common)
    colorbar = scale.colorbar
    assert colorbar is not None
    colorbar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.tick_params(axis="x", labelrotation=0)
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_xlabel("Periods since the cohort's first period"
                  + (" (0 = the cohort itself, grey)" if period0.any() else ""))
    ax.set_ylabel("Cohort (first period)" if rows == "cohort" else _humanise(rows))
    _plain(ax.texts)
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- emotion curve


@_styled
def emotion_curve_chart(curve_df: pd.DataFrame, *, ax: Axes | None = None,
                        title: str = "Emotion curve along the journey") -> Figure:
    """The emotion curve from ``voice.emotion_curve``: sentiment per stage.

    Solid line: mean sentiment of comments and tickets (−1 very negative … +1 very
    positive) with its 95 % interval as a band; dashed line: the workshop's emotion
    (−2…+2) halved onto the same scale; under each stage the CSAT where the survey was
    asked, and n.

    Example:
        >>> emotion_curve_chart(emotion_curve(ws)).savefig("emotion.png")  # doctest: +SKIP
    """
    _require(curve_df, ["stage"], "emotion_curve_chart")
    frame = curve_df
    if "touchpoint" in frame:
        frame = frame[frame["touchpoint"].isna()]
    own = ax is None
    n = len(frame)
    fig, ax = _figure_and_ax(ax, (max(7.0, 1.4 * n + 2.0), 4.8))
    ax.set_title(title, loc="left")
    x = np.arange(n)
    names = [(_text(a) if "stage_name" in frame else "") or _text(b)
             for a, b in zip(frame.get("stage_name", frame["stage"]), frame["stage"], strict=True)]
    col = lambda c: pd.to_numeric(frame[c], errors="coerce").to_numpy(float) if c in frame \
        else np.full(n, np.nan)  # noqa: E731
    sent, low, high = col("sentiment"), col("sentiment_low"), col("sentiment_high")
    workshop = col("workshop_emotion") / 2.0
    ax.axhline(0, color=st.GRID, linewidth=1.0)
    drawn = False
    if np.isfinite(sent).any():
        ax.fill_between(x, low, high, color=st.MAIN_COLOR, alpha=0.18, linewidth=0,
                        label="95% interval")
        ax.plot(x, sent, color=st.MAIN_COLOR, marker="o", label="sentiment from data")
        drawn = True
    if np.isfinite(workshop).any():
        ax.plot(x, workshop, color=st.SECOND_COLOR, marker="D", linestyle="--",
                label="workshop emotion ÷ 2")
        drawn = True
    fit = _TextFitter(fig)
    per_stage_w = ax.get_position().width * fig.get_size_inches()[0] / max(n, 1) - 0.05
    labels = []
    for k, name in enumerate(names):
        line = "\n".join(fit.wrap(name, per_stage_w, st.FONT_SIZES["tick"], 2))
        n_csat = _num(frame["n_csat"].iloc[k]) if "n_csat" in frame else float("nan")
        if not math.isnan(n_csat) and n_csat > 0:
            line += f"\nCSAT {_fmt_csat(frame['csat'].iloc[k])} (n {int(n_csat)})"
        labels.append(line)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("Sentiment (−1 negative … +1 positive)")
    ax.set_xlabel("Stage (CSAT where the survey was asked)")
    if drawn:
        ax.legend(loc="lower right" if np.nanmean(np.r_[sent, workshop]) > 0 else "upper right")
    else:
        _no_data(ax, "no comments, tickets or workshop emotions yet")
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- impact / effort


#: a spread of the workshop's votes (highest minus lowest, 1-5 scales) from which an item
#: is ringed on the impact/effort chart as disputed
SPLIT_SPREAD = 3


@_styled
def impact_effort_matrix(scored_df: pd.DataFrame, *, ax: Axes | None = None, top: int = 15,
                         impact_split: float | None = None, effort_split: float | None = None,
                         title: str = "Impact vs effort: what to fix first") -> Figure:
    """Pain points and opportunities on impact × effort, numbered by action-plan rank.

    x = effort (1 low … 5 high, workshop estimate), y = impact (the scoring's
    business impact; where it is unknown - no sales data, e.g. pain points written in a
    workshop - the scoring's ``value`` score, as its quadrant uses), marker colour = severity
    1–5 for pains, blue triangles for opportunities. The ``top`` items get their rank as a
    label and are listed with their titles beside the chart; the rank is the row's position
    in ``scored_df``, as :func:`journeykit.analytics.painpoints.action_plan` numbers it (an
    item without an impact is not drawn, and the numbers of the others stay). Quadrant lines at ``impact_split``
    and ``effort_split`` — by default the thresholds of :mod:`journeykit.analytics.painpoints`
    (impact ≥ 0.5 is high, effort ≤ 3 is low, so the effort line sits at 3.5); quadrant
    names as in ``painpoints``: quick wins (high impact, low effort), major projects,
    fill-ins, reconsider. With the workshop's votes (columns ``votes`` and ``spread`` of
    ``score_pain_points``), an item whose votes spread :data:`SPLIT_SPREAD` or more points
    is ringed, and the list says how many voted and the spread (never who).

    Example:
        >>> impact_effort_matrix(score_pain_points(ws)).savefig("matrix.png")  # doctest: +SKIP
    """
    _require(scored_df, ["impact", "effort"], "impact_effort_matrix")
    own = ax is None
    frame = scored_df.copy()
    # the action plan's rank: the position in scored_df (score_pain_points sorts by priority),
    # given before items without an impact are left out, so the numbers never shift
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["impact"] = pd.to_numeric(frame["impact"], errors="coerce")
    estimated = frame["impact"].isna()
    if "value" in frame:  # as the quadrant: without money at risk, impact is the value score
        frame["impact"] = frame["impact"].fillna(pd.to_numeric(frame["value"], errors="coerce"))
    estimated &= frame["impact"].notna()
    frame["effort"] = pd.to_numeric(frame["effort"], errors="coerce").fillna(3.0)
    frame = frame.dropna(subset=["impact"]).reset_index(drop=True)
    side: Axes | None = None
    if ax is None:
        fig = _new_figure((12.5, 6.5))
        grid = fig.add_gridspec(1, 2, width_ratios=[1.35, 1.0])
        ax = fig.add_subplot(grid[0, 0])
        side = fig.add_subplot(grid[0, 1])
        side.set_axis_off()
    else:
        fig = _figure_of(ax)
    ax.set_title(title, loc="left")
    ax.set_xlabel("Effort (1 = low … 5 = high)")
    ax.set_ylabel("Impact (priority score units)")
    ax.set_xlim(0.5, 5.5)
    if frame.empty:
        _no_data(ax, "no scored pain points yet")
        return _finish(fig, own)
    impact_max = float(max(frame["impact"].max(), 1.0 if frame["impact"].max() <= 1 else 0))
    impact_min = float(min(0.0, frame["impact"].min()))
    span = max(impact_max - impact_min, 1e-9)
    ax.set_ylim(impact_min - 0.14 * span, impact_max + 0.14 * span)
    if impact_max <= 1.0:
        ax.set_ylabel("Impact (0–1: value at risk, relative)" if not estimated.any() else
                      "Impact (0–1: value at risk, or frequency × severity where no sales data)")
    split = float(IMPACT_THRESHOLD if impact_split is None else impact_split)
    if effort_split is None:
        effort_split = float(EFFORT_THRESHOLD) + 0.5
    ax.axvline(effort_split, color=st.MUTED, linestyle=":", linewidth=1.2)
    ax.axhline(split, color=st.MUTED, linestyle=":", linewidth=1.2)
    top_y = impact_max + 0.13 * span
    bottom_y = impact_min - 0.13 * span
    for xq, yq, name, va in ((0.6, top_y, "quick wins", "top"), (5.4, top_y, "major projects", "top"),
                             (0.6, bottom_y, "fill-ins", "bottom"),
                             (5.4, bottom_y, "reconsider", "bottom")):
        ax.text(xq, yq, name, ha="left" if xq < 3 else "right", va=va, color=st.MUTED,
                fontsize=st.FONT_SIZES["small"], style="italic")
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.18, 0.18, len(frame))
    kinds = frame["kind"].map(lambda k: _text(k).lower()) if "kind" in frame else pd.Series(
        "pain", index=frame.index)
    sev = _severity_1_to_5(frame["severity"]) if "severity" in frame else pd.Series(
        np.nan, index=frame.index)
    for k, row in frame.iterrows():
        is_opp = kinds[k] == "opportunity"
        color = st.OPPORTUNITY_COLOR if is_opp else st.severity_color(sev[k])
        (pt,) = ax.plot(row["effort"] + jitter[k], row["impact"], marker="^" if is_opp else "o",
                        markersize=(15 if is_opp else 13) if k < top else 7, color=color, markeredgecolor=st.INK,
                        markeredgewidth=0.6, linestyle="none", alpha=0.95)
        pt.set_gid(f"{'opportunity' if is_opp else 'pain'}:{_text(row.get('id', k))}")
        spread = pd.to_numeric(pd.Series([row.get("spread")]), errors="coerce").iloc[0]
        if pd.notna(spread) and spread >= SPLIT_SPREAD:  # the room disagreed: ring it
            (ring,) = ax.plot(row["effort"] + jitter[k], row["impact"], marker="o", markersize=22,
                              markerfacecolor="none", markeredgecolor=st.INK, markeredgewidth=1.1,
                              linestyle="none")
            ring.set_gid(f"split:{_text(row.get('id', k))}")
        if k < top:
            rgba = pt.get_color()
            dark = color in (st.SEVERITY_COLORS[5], st.SEVERITY_COLORS[4], st.OPPORTUNITY_COLOR)
            ax.text(row["effort"] + jitter[k], row["impact"] - (0.012 * span if is_opp else 0),
                    str(int(row["rank"])), ha="center", va="center", fontsize=st.FONT_SIZES["tiny"],
                    weight="bold", color="white" if dark else st.INK)
            del rgba
    handles: list[Artist] = [Patch(facecolor=st.SEVERITY_COLORS[s], edgecolor=st.INK,
                                   label=f"severity {s}") for s in range(1, 6)]
    handles.append(Line2D([], [], marker="^", color=st.OPPORTUNITY_COLOR, linestyle="none",
                          markeredgecolor=st.INK, label="opportunity"))
    if "spread" in frame and (pd.to_numeric(frame["spread"], errors="coerce") >= SPLIT_SPREAD).any():
        handles.append(Line2D([], [], marker="o", markersize=10, markerfacecolor="none",
                              markeredgecolor=st.INK, linestyle="none",
                              label=f"votes split (spread ≥ {SPLIT_SPREAD})"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=7,
              fontsize=st.FONT_SIZES["tiny"])
    if side is not None:
        fit = _TextFitter(fig)
        width = side.get_position().width * fig.get_size_inches()[0] - 0.1
        size = st.FONT_SIZES["text"]
        step = _line_height(size) / (side.get_position().height * fig.get_size_inches()[1])
        y = 0.98
        t = side.text(0, y, f"Top {min(top, len(frame))} of the action plan", transform=side.transAxes,
                      va="top", fontsize=st.FONT_SIZES["text"], weight="bold")
        y -= step * 1.4
        text_col = "title" if "title" in frame else ("description" if "description" in frame
                                                     else "id")
        for _, row in frame.head(top).iterrows():
            label = f"{int(row['rank'])}. {_text(row.get(text_col)) or _text(row.get('id'))}"
            where = _text(row.get("touchpoint_name")) or _text(row.get("stage"))
            if where:
                label += f" ({where})"
            votes = pd.to_numeric(pd.Series([row.get("votes")]), errors="coerce").iloc[0]
            if pd.notna(votes) and votes > 0:  # first, so a long title never cuts it off
                spread = pd.to_numeric(pd.Series([row.get("spread")]), errors="coerce").iloc[0]
                tally = f"{int(votes)} vote{'s' if votes != 1 else ''}"
                tally += f", spread {int(spread)}" if pd.notna(spread) else ""
                label = f"{k + 1}. [{tally}] " + label.split(". ", 1)[1]
            lines = fit.wrap(label, width, size, 2)
            if y - step * len(lines) < 0.0:
                break
            t = side.text(0, y, "\n".join(lines), transform=side.transAxes, va="top",
                          fontsize=size, linespacing=1.15)
            t.set_parse_math(False)
            y -= step * len(lines) + step * 0.3
    return _finish(fig, own)


# --------------------------------------------------------------------------- persona cards


@_styled
def persona_card_figure(cards: pd.DataFrame | pd.Series, *, currency: str = "") -> Figure:
    """Persona cards (``personas.persona_cards``) as a printable grid, three per row.

    Each card: name, quote, demographics, goals, frustrations, preferred channels and
    the data — share of customers and revenue, CLV, NPS (with n), top pain point.
    Texts are wrapped and shortened to fit the card.

    Example:
        >>> persona_card_figure(persona_cards(ws)).savefig("personas.png")  # doctest: +SKIP
    """
    frame = cards.to_frame().T if isinstance(cards, pd.Series) else cards
    _require(frame, ["name"], "persona_card_figure")
    count = max(1, len(frame))
    cols = min(3, count)
    rows = math.ceil(count / cols)
    card_w, card_h = 5.3, 4.3
    fig = _new_figure((card_w * cols + 0.3, card_h * rows + 0.9))
    w, h = fig.get_size_inches()
    canvas_ax = fig.add_axes((0, 0, 1, 1))
    canvas_ax.set_xlim(0, w)
    canvas_ax.set_ylim(0, h)
    canvas_ax.set_axis_off()
    fit = _TextFitter(fig)
    t = canvas_ax.text(0.2, h - 0.2, "Personas with evidence from data", fontsize=16,
                       weight="bold", va="top")
    if frame.empty:
        t2 = canvas_ax.text(w / 2, h / 2, "no personas yet", ha="center", va="center",
                            color=st.MUTED, style="italic", fontsize=12)
        _plain([t, t2])
        return fig
    size = st.FONT_SIZES["text"]
    lh = _line_height(size)
    written = []
    for k, (_, row) in enumerate(frame.iterrows()):
        r, c = divmod(k, cols)
        x = 0.15 + c * card_w
        top = h - 0.75 - r * card_h
        bottom = top - card_h + 0.15
        canvas_ax.add_patch(Rectangle((x, bottom), card_w - 0.15, card_h - 0.15,
                                      facecolor="#F7F7F7", edgecolor=st.MAIN_COLOR,
                                      linewidth=1.2))
        inner = card_w - 0.45
        # data block at the bottom: 4 facts + up to 2 lines of top pain point
        block_top = bottom + 0.12 + 6 * lh + 0.12
        y = top - 0.15
        name = fit.shorten(_text(row.get("name")) or _text(row.get("id")), inner, 13, weight="bold")
        written.append(canvas_ax.text(x + 0.15, y, name, fontsize=13, weight="bold", va="top",
                                      color=st.MAIN_COLOR))
        y -= 0.34
        blocks = [(f"“{_text(row.get('quote'))}”" if _text(row.get("quote")) else "", "italic")]
        blocks += [(f"{head}: {_text(value)}" if _text(value) else "", "normal") for head, value in
                   (("Who", row.get("demographics")), ("Goals", row.get("goals")),
                    ("Frustrations", row.get("frustrations")),
                    ("Channels", ", ".join(_split_list(row.get("preferred_channels")))))]
        for text, fstyle in blocks:
            room = int((y - block_top) // lh)
            if not text or room <= 0:
                continue
            lines = fit.wrap(text, inner, size, min(2, room), style=fstyle)
            written.append(canvas_ax.text(x + 0.15, y, "\n".join(lines), fontsize=size,
                                          va="top", style=fstyle, linespacing=1.15))
            y -= len(lines) * lh + 0.05
        y = block_top
        canvas_ax.plot([x + 0.15, x + card_w - 0.3], [y + 0.04, y + 0.04], color=st.GRID)
        money = _num(row.get("clv"))
        nps_n = _num(row.get("nps_n"))
        facts = [
            f"Customers: {_fmt_pct(row.get('share_customers'))}"
            + (f" ({_fmt_int(row.get('n_customers'))})" if "n_customers" in row else ""),
            f"Revenue: {_fmt_pct(row.get('share_revenue'))}",
            "CLV: " + ("–" if math.isnan(money) else f"{money:,.0f} {currency}".strip()),
            "NPS: " + ("–" if math.isnan(_num(row.get("nps"))) else
                       f"{_num(row.get('nps')):+.0f}" + (f" (n {int(nps_n)})" if not
                                                         math.isnan(nps_n) else "")),
        ]
        y -= 0.04
        for fact in facts:
            written.append(canvas_ax.text(x + 0.15, y, fit.shorten(fact, inner, size,
                                                                   weight="bold"),
                                          fontsize=size, va="top", weight="bold"))
            y -= lh
        pain = _text(row.get("top_pain_point"))
        if pain:
            lines = fit.wrap(f"Top pain point: {pain}", inner, size, 2)
            written.append(canvas_ax.text(x + 0.15, y, "\n".join(lines), fontsize=size,
                                          va="top", color=st.SEVERITY_COLORS[5],
                                          linespacing=1.15))
    _plain(written)
    _plain([t])
    return fig
