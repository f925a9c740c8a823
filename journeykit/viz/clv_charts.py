"""The repeat-purchase tracking plot (Fader, Hardie & Lee 2005, figure 3): cumulative
repeat purchases of the calibration cohort, actual beside the BG/NBD expectation, with the
end of the calibration period marked. Draws
:func:`~journeykit.analytics.clv.holdout.repeat_purchase_tracking`'s table; computes
nothing of its own.

Example:
    >>> tracking_chart(repeat_purchase_tracking(model, orders, calibration_end="1997-09-30",
    ...                observation_end="1998-06-30")).savefig("tracking.png")   # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from journeykit.analytics.clv.holdout import TRACKING_COLUMNS
from journeykit.viz import style as st
from journeykit.viz._figure import figure_and_ax as _figure_and_ax
from journeykit.viz._figure import finish as _finish
from journeykit.viz._figure import fmt_int as _fmt_int
from journeykit.viz._figure import no_data as _no_data
from journeykit.viz._figure import require as _require
from journeykit.viz._figure import styled as _styled

__all__ = ["tracking_chart"]

_ACTUAL = st.OKABE_ITO["black"]
_EXPECTED = st.OKABE_ITO["orange"]


@_styled
def tracking_chart(tracking: pd.DataFrame, *, ax: Axes | None = None,
                   title: str = "Repeat purchases: actual and expected by the model") -> Figure:
    """Cumulative repeat purchases per period: actual (solid black) and expected by the
    BG/NBD model (dashed orange), the holdout period shaded, the end of the calibration
    period marked, and the totals at the end written beside the lines.

    Example:
        >>> tracking_chart(tracking).savefig("tracking.png")          # doctest: +SKIP
    """
    _require(tracking, list(TRACKING_COLUMNS), "tracking_chart")
    own = ax is None
    fig, ax = _figure_and_ax(ax, (9.0, 5.0))
    ax.set_title(title, loc="left")
    ax.set_ylabel("Cumulative repeat purchases")
    ax.set_xlabel("Date (end of each period)")
    if not len(tracking):
        _no_data(ax, "no repeat purchases to track")
        return _finish(fig, own)
    dates = pd.to_datetime(tracking["date"])
    ax.plot(dates, tracking["actual"], color=_ACTUAL, linewidth=1.8, label="Actual")
    ax.plot(dates, tracking["expected"], color=_EXPECTED, linewidth=2.0, linestyle="--",
            label="Expected (BG/NBD)")
    holdout = tracking["holdout"].astype(bool).to_numpy()
    if holdout.any() and not holdout.all():
        cal_end = dates[~holdout].max()
        ax.axvspan(cal_end, dates.max(), color=st.NEUTRAL_LIGHT, alpha=0.6, linewidth=0,
                   label="Holdout (not used to fit)")
        ax.axvline(cal_end, color=st.MUTED, linestyle=":", linewidth=1.2)
        ax.annotate(f"end of calibration\n{cal_end:%d %b %Y}", (cal_end, 0), xytext=(4, 6),
                    textcoords="offset points", fontsize=st.FONT_SIZES["small"], color=st.MUTED,
                    va="bottom")
    last = tracking.iloc[-1]
    gap = (last["expected"] - last["actual"]) / last["actual"] if last["actual"] else float("nan")
    ax.text(0.01, 0.97, f"At {dates.iloc[-1]:%d %b %Y}: actual {_fmt_int(last['actual'])}, "
            f"expected {_fmt_int(round(float(last['expected'])))}"
            + (f" ({gap:+.0%})" if gap == gap else ""),
            transform=ax.transAxes, ha="left", va="top", fontsize=st.FONT_SIZES["small"])
    ax.set_ylim(bottom=0)
    ax.grid(axis="y")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.93))
    return _finish(fig, own)
