"""The journey map's drawing surface: one full-figure Axes in inches, with text,
markers, wrapped paragraphs and item lists fitted into boxes.

Lists flow into sub-columns when they do not fit one; what still cannot fit is
summarised as "+k more"; every text is shortened with "…" to its box
(:mod:`journeykit.viz.textfit`).

Example:
    >>> from journeykit.viz._figure import new_figure
    >>> canvas = MapCanvas(new_figure((4.0, 2.0)))
    >>> canvas.items(0.1, 1.9, 1.5, 0.5, [Item("web", header=True), Item("Search ads", "o")], 8)
    >>> len(canvas.ax.texts)
    2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from journeykit.viz import style as st
from journeykit.viz.textfit import TextFitter as _TextFitter
from journeykit.viz.textfit import line_height as _line_height

__all__ = ["Item", "MapCanvas"]


@dataclass
class Item:
    """One line of a lane list: text, optional marker (matplotlib marker, colour, gid),
    or an italic group header."""

    text: str
    marker: str | None = None
    color: str = st.INK
    gid: str | None = None
    edge: str = st.INK
    header: bool = False


class MapCanvas:
    """Inch-coordinate drawing on a figure (one full-figure Axes; the A3 journey map)."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.w, self.h = fig.get_size_inches()
        self.ax = fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, self.w)
        self.ax.set_ylim(0, self.h)
        self.ax.set_axis_off()
        self.fit = _TextFitter(fig)

    def text(self, x: float, y: float, s: str, size: float, **kw: Any) -> Any:
        t = self.ax.text(x, y, s, fontsize=size, color=kw.pop("color", st.INK), **kw)
        t.set_parse_math(False)
        return t

    def rect(self, x: float, y: float, w: float, h: float, **kw: Any) -> None:
        self.ax.add_patch(Rectangle((x, y), w, h, **kw))

    def marker(self, x: float, y: float, marker: str, color: str, gid: str | None,
               edge: str = st.INK, size: float = 6.5) -> None:
        (line,) = self.ax.plot([x], [y], marker=marker, markersize=size, color=color,
                               markeredgecolor=edge, markeredgewidth=0.6, linestyle="none")
        if gid:
            line.set_gid(gid)

    def paragraph(self, x: float, top: float, width: float, height: float, text: str,
                  size: float, **font: Any) -> None:
        weight = font.get("weight", "normal")
        fstyle = font.get("style", "normal")
        max_lines = max(0, int(height // _line_height(size)))
        lines = self.fit.wrap(text, width, size, max_lines, weight=weight, style=fstyle)
        if lines:
            self.text(x, top, "\n".join(lines), size, va="top", ha="left",
                      linespacing=1.15, **font)

    def items(self, x: float, top: float, width: float, height: float,
              items: list[Item], size: float, max_columns: int = 3,
              max_item_lines: int = 1) -> None:
        """A list of (marker, text) lines, in up to ``max_columns`` sub-columns;
        lines are shortened to fit; what cannot fit is summarised as '+k more'.
        With ``max_item_lines`` > 1 an item may wrap onto more lines when all fit
        in one column."""
        if not items:
            return
        lh = _line_height(size)
        capacity = max(1, int(height // lh))
        if max_item_lines > 1:
            text_w = width - 0.13 - 0.05
            wrapped = [self.fit.wrap(i.text, text_w, size, max_item_lines) or [""]
                       for i in items]
            if sum(len(w) for w in wrapped) <= capacity:
                row = 0
                for item, lines in zip(items, wrapped, strict=True):
                    cy = top - row * lh - lh / 2
                    if item.marker:
                        self.marker(x + 0.05, cy, item.marker, item.color, item.gid, item.edge)
                    self.text(x + 0.13, top - row * lh - 0.02, "\n".join(lines), size,
                              va="top", ha="left", linespacing=1.15)
                    row += len(lines)
                return
        real = [i for i in items if not i.header]
        chosen, ncols = None, 1
        for ncols in range(1, max_columns + 1):
            if len(items) <= capacity * ncols:
                chosen = items
                break
            if len(real) <= capacity * ncols:
                chosen = real
                break
        if chosen is None:
            keep = capacity * ncols - 1
            chosen = real[:keep] + [Item(text=f"+{len(real) - keep} more")]
        col_w = width / ncols
        marker_w = 0.13
        for index, item in enumerate(chosen):
            col, row = divmod(index, capacity)
            cx = x + col * col_w
            cy = top - row * lh - lh / 2
            if item.header:
                label = self.fit.shorten(item.text, col_w - 0.04, size - 0.5, style="italic")
                self.text(cx, cy, label, size - 0.5, va="center", ha="left",
                          color=st.MUTED, style="italic")
                continue
            tx = cx
            if item.marker:
                self.marker(cx + 0.05, cy, item.marker, item.color, item.gid, item.edge)
                tx = cx + marker_w
            label = self.fit.shorten(item.text, col_w - (tx - cx) - 0.05, size)
            self.text(tx, cy, label, size, va="center", ha="left")
