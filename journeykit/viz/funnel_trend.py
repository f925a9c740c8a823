"""The funnel over time: :func:`funnel_trend_chart` draws a
:class:`~journeykit.analytics.events.trend.FunnelTrend` (the stage funnel's conversion per
weekly cohort) with the week of the largest drop marked.

Plain matplotlib: a line with its 95 % band over the weeks, the cohort sizes as bars below
it, and a marked week are what matplotlib draws directly. It computes nothing of its own.

Example:
    >>> funnel_trend_chart(funnel_trend(ws)).savefig("trend.png")      # doctest: +SKIP
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from journeykit.analytics.events.trend import FunnelTrend
from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st
from journeykit.viz._figure import fmt_int as _fmt_int
from journeykit.viz._figure import new_figure as _new_figure
from journeykit.viz._figure import no_data as _no_data
from journeykit.viz._figure import plain as _plain
from journeykit.viz._figure import styled as _styled

__all__ = ["funnel_trend_chart"]

_DROP_COLOR = st.OKABE_ITO["vermillion"]
_INCOMPLETE_COLOR = st.MUTED


def _window_text(window: pd.Timedelta | None) -> str:
    if window is None:
        return "with no time limit"
    days = window / pd.Timedelta(days=1)
    return f"within {days:g} days" if days == int(days) else f"within {window}"


@_styled
def funnel_trend_chart(trend: FunnelTrend, *, ax: Axes | None = None,
                       title: str = "Funnel conversion per week of entry") -> Figure:
    """Weekly conversion (first stage to last, %) with its 95 % interval band, the number
    of customers entering each week below it, weeks still converting drawn grey, and the
    week of the largest drop marked with a vertical line and its numbers.

    ``trend`` is :func:`~journeykit.analytics.events.trend.funnel_trend`'s result. With
    ``ax`` only the conversion panel is drawn into it (no cohort-size bars).

    Example:
        >>> funnel_trend_chart(funnel_trend(ws)).savefig("funnel_trend.png")   # doctest: +SKIP
    """
    if not isinstance(trend, FunnelTrend):
        raise JourneykitError(f"funnel_trend_chart: expected the result of funnel_trend(ws), "
                              f"got {type(trend).__name__}")
    own = ax is None
    if ax is None:
        fig = _new_figure((10.0, 6.0))
        grid = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.08)
        ax = fig.add_subplot(grid[0])
        bars_ax: Axes | None = fig.add_subplot(grid[1], sharex=ax)
    else:
        figure = ax.get_figure(root=True)
        assert isinstance(figure, Figure)
        fig, bars_ax = figure, None
    weeks = trend.weeks
    subtitle = (f"Share of the customers entering “{trend.first_step}” in a week who reached "
                f"“{trend.last_step}” {_window_text(trend.window)}")
    ax.set_title(title, loc="left", pad=36)
    caption = ax.text(0.0, 1.09, subtitle, transform=ax.transAxes, ha="left", va="bottom",
                      fontsize=st.FONT_SIZES["small"], color=st.MUTED)
    _plain([ax.title, caption])
    ax.set_ylabel("Conversion (%)")
    has = weeks["entered"] > 0 if len(weeks) else pd.Series(dtype=bool)
    if not len(weeks) or not has.any():
        _no_data(ax, "no customer entered the funnel")
        if bars_ax is not None:
            bars_ax.set_visible(False)
        return _finish(fig, own)
    x = pd.to_datetime(weeks["week"]) + pd.Timedelta(days=3.5)  # the middle of the week
    rate = 100 * weeks["rate"].astype(float)
    low, high = 100 * weeks["ci_low"].astype(float), 100 * weeks["ci_high"].astype(float)
    complete = weeks["complete"].astype(bool)
    done = complete & has
    open_ = ~complete & has
    ax.fill_between(x, low.where(done), high.where(done), color=st.MAIN_COLOR, alpha=0.18, linewidth=0)
    ax.plot(x, rate.where(done), color=st.MAIN_COLOR, marker="o", markersize=3.5, linewidth=1.6)
    if open_.any():  # the last weeks: their customers may still convert
        last_done = done[::-1].idxmax() if done.any() else None
        joined = open_ | (weeks.index == last_done)
        ax.fill_between(x, low.where(open_), high.where(open_), color=_INCOMPLETE_COLOR, alpha=0.12,
                        linewidth=0)
        ax.plot(x, rate.where(joined), color=_INCOMPLETE_COLOR, linestyle="--", marker="o",
                markersize=3.5, markerfacecolor="white", linewidth=1.2)
    top = float(np.nanmax(high.where(has).to_numpy())) if has.any() else 100.0
    ax.set_ylim(0, min(104.0, max(5.0, top * 1.15)))  # a 100 % point stays whole
    ax.grid(axis="y")
    handles = []
    if done.any():
        handles += [Line2D([], [], color=st.MAIN_COLOR, marker="o", markersize=4, label="Conversion"),
                    Patch(facecolor=st.MAIN_COLOR, alpha=0.18, label="95% interval (Wilson)")]
    if open_.any():
        handles.append(Line2D([], [], color=_INCOMPLETE_COLOR, linestyle="--", marker="o", markersize=4,
                              markerfacecolor="white", label="Still converting (window not over)"))
    drop = weeks[weeks["largest_drop"]]
    if len(drop):
        row = drop.iloc[0]
        at = pd.Timestamp(row["week"]) + pd.Timedelta(days=3.5)
        ax.axvline(at, color=_DROP_COLOR, linestyle=":", linewidth=1.8)
        previous = row["rate"] - row["change"]
        noise = "beyond noise" if trend.beyond_noise else "may be chance"
        label = (f"Largest drop: week of {pd.Timestamp(row['week']):%d %b %Y}\n"
                 f"{100 * previous:.0f}% → {100 * row['rate']:.0f}% (n {_fmt_int(row['entered'])}; {noise})")
        span = (x.max() - x.min()) / pd.Timedelta(days=1) if len(x) > 1 else 1.0
        right = (at - x.min()) / pd.Timedelta(days=1) > 0.6 * span
        note = ax.annotate(label, xy=(at, ax.get_ylim()[1] * 0.97), xytext=(-6 if right else 6, 0),
                           textcoords="offset points", ha="right" if right else "left", va="top",
                           fontsize=st.FONT_SIZES["small"], color=_DROP_COLOR,
                           bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": _DROP_COLOR,
                                 "linewidth": 0.8})
        _plain([note])
        handles.append(Line2D([], [], color=_DROP_COLOR, linestyle=":", linewidth=1.8, label="Largest drop"))
    legend = ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=len(handles),
                       fontsize=st.FONT_SIZES["tiny"], borderaxespad=0.2)
    _plain(legend.get_texts())
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if bars_ax is not None:
        colors = [st.MAIN_COLOR if c else _INCOMPLETE_COLOR for c in complete]
        bars_ax.bar(x, weeks["entered"].astype(float), width=5.5, color=colors, alpha=0.55)
        if len(drop):
            bars_ax.axvline(pd.Timestamp(drop.iloc[0]["week"]) + pd.Timedelta(days=3.5), color=_DROP_COLOR,
                            linestyle=":", linewidth=1.8)
        bars_ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        bars_ax.set_ylabel("Entered\n(customers)")
        bars_ax.set_xlabel("Week customers entered the funnel")
        bars_ax.grid(axis="y")
        ax.tick_params(axis="x", labelbottom=False)
    else:
        ax.set_xlabel("Week customers entered the funnel")
    return _finish(fig, own)


def _finish(fig: Figure, own: bool) -> Figure:
    """Lay out a figure we made (the gridspec keeps the two panels together)."""
    if own:
        fig.subplots_adjust(left=0.09, right=0.98, top=0.84, bottom=0.1)
    return fig

