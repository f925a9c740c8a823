"""The one chart style of journeykit: palette, colormap, severity colours, font sizes.

Every chart of :mod:`journeykit.viz` draws inside :func:`use_style`, which sets
matplotlib's rcParams *locally* (``matplotlib.rc_context``) — it never calls
``matplotlib.use()`` and never changes the caller's global settings.

Colours are colour-blind safe:

* categorical colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
  Design"), distinguishable with protanopia, deuteranopia and tritanopia;
* sequential data (heatmaps) uses ``cividis``, designed to be perceptually uniform
  for readers with and without colour-vision deficiency;
* severity 1–5 uses ColorBrewer's YlOrBr ramp, whose lightness rises monotonically,
  so it reads correctly in grey-scale print too.

Font sizes are chosen to stay readable when a figure is printed (A4/A3) — nothing
smaller than 7 pt.

Example:
    >>> from journeykit.viz.style import use_style, severity_color
    >>> with use_style():
    ...     pass                     # create and draw figures here
    >>> severity_color(5)
    '#993404'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from numbers import Real
from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib.rcsetup import cycler
from matplotlib.typing import RcKeyType

# Okabe–Ito, in the order used for categories (black last: reserved for text/lines).
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish_green": "#009E73",
    "vermillion": "#D55E00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: categorical colour cycle (Okabe–Ito without black)
#: light neutral fill for cells that are not on a colour scale (e.g. retention period 0)
NEUTRAL_LIGHT = "#E6E6E6"
PALETTE: tuple[str, ...] = tuple(v for k, v in OKABE_ITO.items() if k != "black")

#: sequential colormap name for heatmaps (cividis: colour-blind safe, uniform)
SEQUENTIAL_CMAP: str = "cividis"

#: severity 1 (minor) … 5 (critical): ColorBrewer YlOrBr, monotonic lightness
SEVERITY_COLORS: dict[int, str] = {
    1: "#FEE391",
    2: "#FEC44F",
    3: "#FE9929",
    4: "#D95F0E",
    5: "#993404",
}
#: colour for a pain point without a severity
SEVERITY_UNKNOWN: str = "#BBBBBB"
#: colour of opportunities (as opposed to pains) on every chart
OPPORTUNITY_COLOR: str = OKABE_ITO["blue"]
#: colour of targets / reference lines
TARGET_COLOR: str = OKABE_ITO["vermillion"]
#: main data colour (single series)
MAIN_COLOR: str = OKABE_ITO["blue"]
#: secondary data colour (a second series, e.g. the workshop's emotion)
SECOND_COLOR: str = OKABE_ITO["orange"]
#: ink for text and thin rules
INK: str = "#222222"
MUTED: str = "#666666"
GRID: str = "#DDDDDD"
#: background of a highlighted (empty/missing) cell
EMPTY_CELL: str = "#FFFFFF"

#: font sizes in points, readable in print
FONT_SIZES: dict[str, float] = {
    "title": 14.0,
    "subtitle": 11.0,
    "label": 10.5,
    "tick": 9.5,
    "text": 9.0,
    "small": 8.0,
    "tiny": 7.5,
}

#: A3 landscape in inches (420 × 297 mm)
A3_LANDSCAPE: tuple[float, float] = (16.5, 11.7)
#: default size of a single chart in inches
DEFAULT_SIZE: tuple[float, float] = (8.0, 5.0)

STYLE_RC: dict[RcKeyType, Any] = {
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "axes.titlesize": FONT_SIZES["title"],
    "axes.titleweight": "bold",
    "axes.labelsize": FONT_SIZES["label"],
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.labelsize": FONT_SIZES["tick"],
    "ytick.labelsize": FONT_SIZES["tick"],
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": FONT_SIZES["small"],
    "legend.frameon": False,
    "legend.title_fontsize": FONT_SIZES["small"],
    "font.size": FONT_SIZES["text"],
    "font.family": "sans-serif",
    "figure.titlesize": FONT_SIZES["title"] + 2,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.facecolor": "white",
    "image.cmap": SEQUENTIAL_CMAP,
    "lines.linewidth": 2.0,
    "lines.markersize": 7.0,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    # unhinted glyphs: a text is as wide at the 100 dpi the charts measure it at as at the
    # 150 dpi they are saved at (hinting made widths differ by up to 11 %), and drawing
    # is about a tenth faster
    "text.hinting": "no_hinting",
}


@contextmanager
def use_style() -> Iterator[None]:
    """Apply journeykit's style inside a ``with`` block (rcParams restored after).

    Example:
        >>> import matplotlib.pyplot as plt
        >>> with use_style():
        ...     fig, ax = plt.subplots()
    """
    with mpl.rc_context(STYLE_RC):
        yield


def apply_style() -> None:
    """Set journeykit's style for the rest of the session (e.g. a notebook's own charts).

    Changes ``matplotlib.rcParams`` globally; the charts of :mod:`journeykit.viz`
    do not need it (they use :func:`use_style` themselves).
    """
    mpl.rcParams.update(STYLE_RC)


def severity_color(severity: object) -> str:
    """Colour of a severity 1–5 (rounded, clipped); grey when missing or not a number."""
    if not isinstance(severity, Real | str) or pd.isna(severity):
        return SEVERITY_UNKNOWN
    try:
        level = int(round(float(severity)))
    except ValueError:  # text that is not a number
        return SEVERITY_UNKNOWN
    return SEVERITY_COLORS[min(5, max(1, level))]


def category_colors(names: list[str]) -> dict[str, str]:
    """A stable Okabe–Ito colour per category name, in the order given (cycles after 7)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
