"""Tests for journeykit.viz.textfit: text measured as it will be drawn."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from journeykit.viz import style
from journeykit.viz.textfit import ELLIPSIS, TextFitter


def test_shorten_and_wrap_fit_the_width():
    fig = Figure()
    fit = TextFitter(fig)
    text = "An unusually long description of a moment of the customer journey"
    short = fit.shorten(text, 1.0, 9)
    assert short.endswith(ELLIPSIS) and fit.width(short, 9) <= 1.0
    assert fit.shorten("ok", 1.0, 9) == "ok"
    lines = fit.wrap(text, 1.2, 9, 3)
    assert len(lines) == 3 and lines[-1].endswith(ELLIPSIS)
    assert all(fit.width(line, 9) <= 1.2 for line in lines)
    assert fit.wrap(text, 10.0, 9, 3) == [text]


def test_text_is_as_wide_when_saved_as_where_the_chart_measured_it():
    """Charts fit text at the figure's 100 dpi; reports save at 150 dpi. Under the style the
    widths agree, so text that fits when measured also fits in the saved PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.font_manager import FontProperties

    texts = ["Checkout and payment", "iiii WWW mmm", "Awareness", "a", "Slow repairs at the workshop"]

    def widths(dpi: int) -> list[float]:
        with style.use_style():
            renderer = FigureCanvasAgg(Figure(dpi=dpi)).get_renderer()
            return [renderer.get_text_width_height_descent(t, FontProperties(size=size, weight=weight),
                                                           ismath=False)[0] / dpi
                    for t in texts for size in (6.5, 8, 11) for weight in ("normal", "bold")]

    for measured, saved in zip(widths(100), widths(150), strict=True):
        assert saved == pytest.approx(measured, rel=0.01)
