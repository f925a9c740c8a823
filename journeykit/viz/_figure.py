"""Figure plumbing shared by every chart module: figures without pyplot, the style
decorator, literal text, masked text, number formats and input checks.

Charts are built on a bare :class:`~matplotlib.figure.Figure` with an Agg canvas (no
pyplot, so nothing piles up in a long headless run) inside
:func:`journeykit.viz.style.use_style`; text from the data is drawn literally (a ``$``
never starts maths).

Example:
    >>> fmt_pct(0.256), fmt_int(1234.0), fmt_int(None)
    ('26%', '1,234', '–')
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter

from journeykit.core.errors import JourneykitError
from journeykit.core.privacy import mask_pii
from journeykit.viz import style as st

#: what an empty panel or lane says
NO_DATA = "no data"

F = TypeVar("F", bound=Callable[..., Any])


def styled(func: F) -> F:
    """Run a chart function inside :func:`journeykit.viz.style.use_style`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with st.use_style():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_figure(size: tuple[float, float] = st.DEFAULT_SIZE) -> Figure:
    """A white Figure of ``size`` inches on its own Agg canvas (no pyplot)."""
    fig = Figure(figsize=size, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def figure_of(ax: Axes) -> Figure:
    """The (top-level) Figure ``ax`` is drawn on."""
    figure = ax.get_figure(root=True)
    assert isinstance(figure, Figure)
    return figure


def figure_and_ax(ax: Axes | None, size: tuple[float, float] = st.DEFAULT_SIZE
                  ) -> tuple[Figure, Axes]:
    """The caller's (figure, ax), or a new figure of ``size`` with one Axes."""
    if ax is not None:
        return figure_of(ax), ax
    fig = new_figure(size)
    return fig, fig.add_subplot()


def finish(fig: Figure, own: bool) -> Figure:
    """Tight layout for figures we created (never for a caller's figure)."""
    if own:
        try:
            fig.tight_layout()
        except Exception:  # pragma: no cover - matplotlib layout is best effort
            pass
        # tight_layout leaves a placeholder layout engine, which makes every savefig lay the
        # whole figure out once more before drawing it; the positions are final, so drop it
        fig.set_layout_engine(None)
    return fig


class _MaskedFormatter(Formatter):
    """A tick formatter whose labels go through :func:`~journeykit.core.privacy.mask_pii`
    (category axes label ticks with data text)."""

    def __init__(self, inner: Formatter):
        self.inner = inner

    def __call__(self, x: Any, pos: Any = None) -> str:
        return str(mask_pii(self.inner(x, pos)))

    def format_ticks(self, values: Any) -> list[str]:
        return [str(mask_pii(label)) for label in self.inner.format_ticks(values)]

    def set_axis(self, axis: Any) -> None:
        self.axis = axis
        self.inner.set_axis(axis)

    def set_locs(self, locs: Any) -> None:
        self.inner.set_locs(locs)

    def get_offset(self) -> str:
        return str(mask_pii(self.inner.get_offset()))


def mask_figure_text(fig: Figure) -> Figure:
    """Mask personal data (:func:`~journeykit.core.privacy.mask_pii`) in every text of
    ``fig``: titles, labels, annotations, legends, table cells and tick labels (their
    formatters too, so a redraw keeps them masked). Every saved figure goes through it
    (``Outputs.figure``); wrapped chart text is masked before it is wrapped (``TextFitter``)."""
    for text in fig.findobj(Text):
        content = text.get_text()
        masked = mask_pii(content)
        if masked != content:
            text.set_text(str(masked))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not isinstance(axis.get_major_formatter(), _MaskedFormatter):
                axis.set_major_formatter(_MaskedFormatter(axis.get_major_formatter()))
            if not isinstance(axis.get_minor_formatter(), _MaskedFormatter):
                axis.set_minor_formatter(_MaskedFormatter(axis.get_minor_formatter()))
    return fig


def plain(texts: Sequence[Any]) -> None:
    """Draw these Text artists literally (no mathtext for '$' in data)."""
    for text in texts:
        text.set_parse_math(False)


def plain_ticks(ax: Axes) -> None:
    """Tick labels of ``ax`` drawn literally."""
    plain(ax.get_xticklabels() + ax.get_yticklabels())


def num(value: object) -> float:
    """``value`` as a float; NaN when it is not a number."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return out


def fmt_int(value: object) -> str:
    """A count with thousands separators ("–" when missing)."""
    v = num(value)
    return "–" if math.isnan(v) else f"{v:,.0f}"


def fmt_pct(value: object, digits: int = 0) -> str:
    """A 0–1 share as a percentage ("–" when missing)."""
    v = num(value)
    return "–" if math.isnan(v) else f"{100 * v:.{digits}f}%"


def fmt_csat(value: object) -> str:
    """CSAT as the workspace defines it: a 0–1 share (``top2``) as a percentage, a mean
    answer (``mean``, 1–5) as ``4.2/5``.

    >>> fmt_csat(0.81), fmt_csat(4.23)
    ('81%', '4.2/5')
    """
    v = num(value)
    if not math.isnan(v) and v > 1:
        return f"{v:.1f}/5"
    return fmt_pct(v)


def humanise(name: str) -> str:
    """An event or column name for reading: ``add_to_cart`` -> ``add to cart``."""
    return name.replace("_", " ").strip()


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a JourneykitError naming the missing ``columns`` of ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise JourneykitError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise JourneykitError(
            f"{what}: the table lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns)) or 'no columns'}")


def no_data(ax: Axes, message: str = NO_DATA) -> None:
    """Say ``message`` in the middle of an empty panel."""
    t = ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
                color=st.MUTED, fontsize=st.FONT_SIZES["label"], style="italic")
    plain([t])


def severity_1_to_5(values: pd.Series) -> pd.Series:
    """Severity on the 1–5 scale: kept when it already is, stretched when 0–1."""
    sev = pd.to_numeric(values, errors="coerce").astype(float)
    finite = sev.dropna()
    if len(finite) and finite.max() <= 1.0 and finite.min() >= 0.0:
        sev = 1.0 + 4.0 * sev
    return sev.clip(1, 5)
