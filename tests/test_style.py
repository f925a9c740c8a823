"""Tests for journeykit.viz.style: the one chart style, local and colour-blind safe."""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.colors import to_hex

from journeykit.viz import style


def test_style_is_local_and_colour_blind_palette():
    before = dict(mpl.rcParams)
    with style.use_style():
        assert mpl.rcParams["image.cmap"] == "cividis"
        assert [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]][:3] == [
            "#0072b2", "#e69f00", "#009e73"]
    assert mpl.rcParams["image.cmap"] == before["image.cmap"]
    # severity ramp gets darker with severity (readable in grey-scale print)
    lum = [0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
           for c in (mpl.colors.to_rgb(style.SEVERITY_COLORS[k]) for k in range(1, 6))]
    assert lum == sorted(lum, reverse=True)
    assert style.severity_color(4.6) == style.SEVERITY_COLORS[5]
    assert style.severity_color(None) == style.SEVERITY_UNKNOWN
    assert min(style.FONT_SIZES.values()) >= 7
