"""How long converting takes: :func:`time_to_convert_chart` draws a
:class:`~journeykit.analytics.events.conversion.TimeToConvert` (the histogram of customers
per time bin, the median, mean and 90th percentile marked). It computes nothing of its own.

Plain matplotlib: bars of the given bins and three reference lines.

Example:
    >>> time_to_convert_chart(time_to_convert(ws, ["view", "buy"])).savefig("ttc.png")  # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from journeykit.analytics.events.conversion import TimeToConvert
from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st
from journeykit.viz._figure import figure_and_ax as _figure_and_ax
from journeykit.viz._figure import finish as _finish
from journeykit.viz._figure import fmt_int as _fmt_int
from journeykit.viz._figure import humanise as _humanise
from journeykit.viz._figure import no_data as _no_data
from journeykit.viz._figure import plain as _plain
from journeykit.viz._figure import styled as _styled

__all__ = ["duration_text", "time_to_convert_chart"]

_UNITS = (("days", pd.Timedelta(days=1)), ("hours", pd.Timedelta(hours=1)),
          ("minutes", pd.Timedelta(minutes=1)), ("seconds", pd.Timedelta(seconds=1)))


def _unit(width: pd.Timedelta) -> tuple[str, pd.Timedelta]:
    """The largest unit a bin width is at least one of (bins of 2 h: hours)."""
    for name, size in _UNITS:
        if width >= size:
            return name, size
    return _UNITS[-1]


def duration_text(value: pd.Timedelta) -> str:
    """A duration for reading: "3.5 days", "2 h 10 min", "45 s" ("–" when missing).

    Example:
        >>> duration_text(pd.Timedelta("1D 6h")), duration_text(pd.Timedelta("130min"))
        ('1.2 days', '2 h 10 min')
    """
    if pd.isna(value):
        return "–"
    seconds = value.total_seconds()
    if seconds >= 86_400:
        days = seconds / 86_400
        return f"{days:.0f} days" if days == round(days) else f"{days:.1f} days"
    if seconds >= 3_600:
        hours, rest = divmod(round(seconds / 60), 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


@_styled
def time_to_convert_chart(ttc: TimeToConvert, *, ax: Axes | None = None,
                          title: str = "How long customers take to convert") -> Figure:
    """Customers per bin of time from the first step to the last (bars, share of the
    converted customers), with the median (solid), mean (dashed) and 90th percentile
    (dotted) as vertical lines whose values the legend gives.

    ``ttc`` is :func:`~journeykit.analytics.events.conversion.time_to_convert`'s result.

    Example:
        >>> time_to_convert_chart(time_to_convert(ws, ["view", "buy"]))  # doctest: +SKIP
    """
    if not isinstance(ttc, TimeToConvert):
        raise JourneykitError(f"time_to_convert_chart: expected the result of time_to_convert(...), "
                              f"got {type(ttc).__name__}")
    own = ax is None
    fig, ax = _figure_and_ax(ax, (9.0, 5.0))
    ax.set_title(title, loc="left", pad=22)
    subtitle = (f"From “{_humanise(ttc.from_name)}” to “{_humanise(ttc.to_name)}”: "
                f"{_fmt_int(ttc.customers)} customers converted")
    caption = ax.text(0.0, 1.02, subtitle, transform=ax.transAxes, ha="left", va="bottom",
                      fontsize=st.FONT_SIZES["small"], color=st.MUTED)
    _plain([ax.title, caption])
    ax.set_ylabel("Share of converted customers")
    unit, size = _unit(ttc.bin_width)
    ax.set_xlabel(f"Time to convert ({unit}; bins of {duration_text(ttc.bin_width)})")
    hist = ttc.histogram
    if ttc.customers == 0 or hist.empty:
        _no_data(ax, "no customer reached the last step")
        return _finish(fig, own)
    left = (hist["bin_start"] / size).to_numpy(float)
    width = ttc.bin_width / size
    ax.bar(left, hist["share"].to_numpy(float), width=width, align="edge", color=st.MAIN_COLOR,
           alpha=0.75, edgecolor="white", linewidth=0.6, label="Customers (share)")
    lines = (("Median", ttc.median, "-", st.OKABE_ITO["vermillion"]),
             ("Mean", ttc.mean, "--", st.OKABE_ITO["black"]),
             ("90th percentile", ttc.p90, ":", st.OKABE_ITO["orange"]))
    for label, value, style, colour in lines:
        if pd.notna(value):
            ax.axvline(value / size, color=colour, linestyle=style, linewidth=1.8,
                       label=f"{label}: {duration_text(value)}")
    ax.set_xlim(0, max(left[-1] + width, (ttc.p90 / size) * 1.02 if pd.notna(ttc.p90) else 0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 5, 10]))
    ax.grid(axis="y")
    legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=4, fontsize=st.FONT_SIZES["small"],
                       frameon=False)
    _plain(legend.get_texts())
    return _finish(fig, own)
