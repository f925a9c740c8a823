"""A Sankey-style flow chart of the top paths: :func:`path_flow_chart` draws the result of
:func:`~journeykit.analytics.events.pathflows.paths_after`,
:func:`~journeykit.analytics.events.pathflows.paths_before` or
:func:`~journeykit.analytics.events.paths.paths`.

Each column is a step of the path, each block an event at that step (its height the
sessions of the paths given that pass it), each band the sessions going from one event to
the next; a path that ends early (the session ended) flows into a grey "(end)" block, or
for paths before an event starts from "(start)". It lays out only the rows it is given.

Plain matplotlib: rectangles and filled cubic curves (matplotlib's own ``Sankey`` draws
one flow diagram of arrows, not columns of nodes).

Example:
    >>> path_flow_chart(paths_after(ws, "add_to_cart")).savefig("after_cart.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st
from journeykit.viz._figure import figure_and_ax as _figure_and_ax
from journeykit.viz._figure import finish as _finish
from journeykit.viz._figure import fmt_int as _fmt_int
from journeykit.viz._figure import no_data as _no_data
from journeykit.viz._figure import plain as _plain
from journeykit.viz._figure import require as _require
from journeykit.viz._figure import styled as _styled

__all__ = ["path_flow_chart"]

_END, _START = "(end)", "(start)"
_GAP = 0.02  # vertical gap between blocks, as a share of the column height
_NODE_W = 0.12  # block width, in columns


def _aligned_right(events: list[tuple[str, ...]]) -> bool:
    """Paths before an event share their last event and (mostly) not their first."""
    firsts, lasts = {e[0] for e in events if e}, {e[-1] for e in events if e}
    return len(lasts) == 1 and len(firsts) > 1


def _columns(events: list[tuple[str, ...]], truncated: list[bool], right: bool) -> list[list[str]]:
    """Each path as one label per column (the same number of columns for all)."""
    longest = max(len(e) for e in events)
    # a column more only when a path of full length ended there (the session ended)
    width = longest + any(len(e) == longest and not cut for e, cut in zip(events, truncated, strict=True))
    out = []
    for path, cut in zip(events, truncated, strict=True):
        steps = list(path)
        if right:
            head = [] if cut or len(steps) >= width else [_START]
            steps = head + steps
            out.append([""] * (width - len(steps)) + steps)
        else:
            tail = [] if cut or len(steps) >= width else [_END]
            steps = steps + tail
            out.append(steps + [""] * (width - len(steps)))
    return out


@_styled
def path_flow_chart(paths_df: pd.DataFrame, *, top: int = 12, ax: Axes | None = None,
                    title: str = "How sessions flow, step by step") -> Figure:
    """Sankey-style flows of the ``top`` most common paths of ``paths_df`` (columns
    ``events`` and ``sessions``; ``truncated`` if present): a column per step, a block per
    event with its sessions, bands between consecutive steps. Paths after an event are
    aligned on their first event, paths before one (sharing their last event) on their last.

    Example:
        >>> path_flow_chart(paths_before(ws, "payment_failed"))  # doctest: +SKIP
    """
    if not isinstance(paths_df, pd.DataFrame):
        raise JourneykitError("path_flow_chart: expected a DataFrame from paths_after/paths_before/paths")
    _require(paths_df, ["events", "sessions"], "path_flow_chart")
    rows = paths_df.sort_values("sessions", ascending=False, kind="stable").head(top)
    rows = rows[rows["events"].map(len) > 0]
    own = ax is None
    events = [tuple(str(x) for x in e) for e in rows["events"]]
    n_cols = max((len(e) for e in events), default=1)
    fig, ax = _figure_and_ax(ax, (max(8.0, 2.3 * n_cols + 1.0), 6.5))
    ax.set_title(title, loc="left")
    _plain([ax.title])
    if rows.empty:
        _no_data(ax, "no path to draw")
        ax.set_axis_off()
        return _finish(fig, own)
    sessions = rows["sessions"].to_numpy(float)
    truncated = rows["truncated"].astype(bool).tolist() if "truncated" in rows else [False] * len(rows)
    right = _aligned_right(events)
    columns = _columns(events, truncated, right)
    total = float(sessions.sum())
    # blocks: (column, label) -> sessions; bands: (column, from, to) -> sessions
    size: dict[tuple[int, str], float] = defaultdict(float)
    bands: dict[tuple[int, str, str], float] = defaultdict(float)
    for labels, n in zip(columns, sessions, strict=True):
        for c, label in enumerate(labels):
            if label:
                size[(c, label)] += n
                if c + 1 < len(labels) and labels[c + 1]:
                    bands[(c, label, labels[c + 1])] += n
    names = sorted({label for _, label in size if label not in (_END, _START)},
                   key=lambda name: -sum(v for (c, lab), v in size.items() if lab == name))
    colours = {name: st.PALETTE[i % len(st.PALETTE)] for i, name in enumerate(names)}
    colours[_END] = colours[_START] = st.NEUTRAL_LIGHT
    # lay out each column's blocks, largest first, top to bottom
    position: dict[tuple[int, str], tuple[float, float]] = {}  # (bottom, top) in 0..1
    n_cols = len(columns[0])
    for c in range(n_cols):
        here = sorted(((label, v) for (col, label), v in size.items() if col == c),
                      key=lambda item: (item[0] in (_END, _START), -item[1], item[0]))
        scale = (1.0 - _GAP * max(len(here) - 1, 0)) / total
        y = 1.0
        for label, v in here:
            height = v * scale
            position[(c, label)] = (y - height, y)
            y -= height + _GAP
    out_used: dict[tuple[int, str], float] = defaultdict(float)
    in_used: dict[tuple[int, str], float] = defaultdict(float)
    order = sorted(bands.items(), key=lambda item: (item[0][0], -position[(item[0][0], item[0][1])][1],
                                                    -position[(item[0][0] + 1, item[0][2])][1]))
    for (c, source, target), n in order:
        height = n * _band_scale(position, size, (c, source))
        s_bottom, s_top = position[(c, source)]
        t_bottom, t_top = position[(c + 1, target)]
        y0 = s_top - out_used[(c, source)]
        y1 = t_top - in_used[(c + 1, target)]
        out_used[(c, source)] += height
        in_used[(c + 1, target)] += n * _band_scale(position, size, (c + 1, target))
        x0, x1 = c + _NODE_W / 2, c + 1 - _NODE_W / 2
        h1 = n * _band_scale(position, size, (c + 1, target))
        _band(ax, x0, x1, y0, y0 - height, y1, y1 - h1, colours.get(source, st.NEUTRAL_LIGHT))
    texts = []
    for (c, label), (bottom, top_) in position.items():
        ax.add_patch(Rectangle((c - _NODE_W / 2, bottom), _NODE_W, top_ - bottom, facecolor=colours[label],
                               edgecolor=st.INK if label not in (_END, _START) else st.MUTED, linewidth=0.6))
        if top_ - bottom >= 0.025:
            text = f"{label}\n{_fmt_int(size[(c, label)])} ({size[(c, label)] / total:.0%})"
            texts.append(ax.text(c + _NODE_W / 2 + 0.03, (bottom + top_) / 2, text, ha="left", va="center",
                                 fontsize=st.FONT_SIZES["tiny"], color=st.INK,
                                 bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75,
                                       "linewidth": 0}))
    _plain(texts)
    ax.set_xlim(-0.3, n_cols - 1 + 0.9)
    ax.set_ylim(-0.02, 1.02)
    anchor = columns[0][-1] if right else columns[0][0]
    steps = [f"step {c - (n_cols - 1)}" if right else f"step +{c}" for c in range(n_cols)]
    steps[n_cols - 1 if right else 0] = "the event"
    ax.set_xticks(np.arange(n_cols), steps)
    ax.tick_params(axis="y", left=False, labelleft=False)
    for spine in ("left", "right", "top"):
        ax.spines[spine].set_visible(False)
    where = "before" if right else "after"
    ax.set_xlabel(f"Steps {where} “{anchor}” within a session (top {len(rows)} paths, "
                  f"{_fmt_int(total)} sessions; grey: the session {'started' if right else 'ended'})")
    _plain([ax.xaxis.label])
    return _finish(fig, own)


def _band_scale(position: dict[tuple[int, str], tuple[float, float]], size: dict[tuple[int, str], float],
                key: tuple[int, str]) -> float:
    """Height per session in the block ``key``."""
    bottom, top = position[key]
    return (top - bottom) / size[key]


def _band(ax: Axes, x0: float, x1: float, a_top: float, a_bottom: float, b_top: float, b_bottom: float,
          colour: str) -> None:
    """A filled band from [a_bottom, a_top] at x0 to [b_bottom, b_top] at x1 (cubic edges)."""
    mid = (x0 + x1) / 2
    vertices = [(x0, a_top), (mid, a_top), (mid, b_top), (x1, b_top), (x1, b_bottom),
                (mid, b_bottom), (mid, a_bottom), (x0, a_bottom), (x0, a_top)]
    codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO,
             MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY]
    ax.add_patch(PathPatch(MplPath(vertices, codes), facecolor=colour, alpha=0.35, edgecolor="none"))
