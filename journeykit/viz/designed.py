"""The designed journey against the data: what the event log shows of the stages
(:func:`designed_vs_observed`) and where the business has touchpoints
(:func:`coverage_heatmap`).

Both draw results only: the reach, off-map events and paths come from
:func:`journeykit.analytics.journey.observed_journey`, the funnel from
:func:`journeykit.analytics.events.stage_funnel`. ``coverage_heatmap`` is a
``seaborn.heatmap`` (an annotated grid), its empty cells hatched on top;
``designed_vs_observed`` is plain matplotlib (bars, a line and a text panel).

Example:
    >>> designed_vs_observed(ws).savefig("designed_vs_observed.png")   # doctest: +SKIP
    >>> coverage_heatmap(ws).savefig("coverage.png")                   # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from journeykit.analytics.events import stage_funnel
from journeykit.analytics.journey import observed_journey
from journeykit.core.cells import cell_text as _text
from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st
from journeykit.viz._figure import figure_and_ax as _figure_and_ax
from journeykit.viz._figure import finish as _finish
from journeykit.viz._figure import humanise as _humanise
from journeykit.viz._figure import new_figure as _new_figure
from journeykit.viz._figure import no_data as _no_data
from journeykit.viz._figure import plain_ticks as _plain_ticks
from journeykit.viz._figure import styled as _styled
from journeykit.viz.journey_map import map_touchpoints, stage_funnel_by_stage
from journeykit.viz.textfit import TextFitter as _TextFitter
from journeykit.viz.textfit import line_height as _line_height
from journeykit.workspace import Workspace

__all__ = ["coverage_heatmap", "designed_vs_observed"]


@_styled
def designed_vs_observed(ws: Workspace) -> Figure:
    """The stages the workshop drew next to what the event log shows.

    Left: for each stage (journey.yaml order) the share of customers in the event
    log with at least one event of that stage (bars, any order;
    :func:`journeykit.analytics.journey.stage_reach`), and — when a stage lists events —
    the share reaching it in the designed order (``events.stage_funnel`` from the first
    stage, diamonds). A stage the data barely shows is a stage the map may be imagining.
    Right: what happens *off the map*: events that no stage lists (share of customers)
    and the most common paths that use such events or step back to an earlier stage
    (``journey.off_map_events``, ``journey.off_map_paths``).

    Example:
        >>> designed_vs_observed(ws).savefig("designed_vs_observed.png")   # doctest: +SKIP
    """
    stages = ws.config.stages
    if not stages:
        raise JourneykitError("the workspace has no stages: list them under 'stages:' in journey.yaml")
    fig = _new_figure((12.0, 5.6))
    grid = fig.add_gridspec(1, 2, width_ratios=[1.45, 1.0])
    ax = fig.add_subplot(grid[0, 0])
    side = fig.add_subplot(grid[0, 1])
    side.set_axis_off()
    ids = [s.id for s in stages]
    names = [_text(s.name) or s.id for s in stages]
    fit = _TextFitter(fig)
    labels = ["\n".join(fit.wrap(nm, 11.5 * 0.58 / max(len(ids), 1) * 1.2, st.FONT_SIZES["tick"], 2))
              for nm in names]
    x = np.arange(len(ids))
    observed = observed_journey(ws, top_events=6, top_paths=6)
    total = observed.customers
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_ylabel("Customers in the event log (%)")
    ax.set_xlabel("Designed stage (journey.yaml order)")
    ax.set_title("Designed journey vs observed behaviour", loc="left")
    if total:
        counts = observed.reach["customers"].astype(float)
        shares = observed.reach["share"].astype(float)
        bars = ax.bar(x, shares.to_numpy(), color=st.MAIN_COLOR, width=0.6,
                      label="any event of the stage")
        for bar, share, cnt in zip(bars, shares, counts, strict=True):
            t = ax.text(bar.get_x() + bar.get_width() / 2, share + 0.015,
                        f"{share:.0%}\n({int(cnt):,})", ha="center", va="bottom",
                        fontsize=st.FONT_SIZES["small"])
            t.set_parse_math(False)
        if any(stage.events for stage in stages):
            per = stage_funnel_by_stage(stage_funnel(ws))
            ys = [per.get(i, {}).get("customers", float("nan")) / total for i in ids]
            if any(np.isfinite(ys)):
                ax.plot(x, ys, color=st.SECOND_COLOR, marker="D", linestyle="--",
                        label="reached in designed order (stage funnel)")
        ax.legend(loc="upper right", fontsize=st.FONT_SIZES["small"])
    else:
        _no_data(ax, "no event log: nothing observed yet")
    # off-map panel
    lines = [("Off the map", "bold")]
    off = observed.off_map_events
    if total and len(off):
        lines.append(("Events no stage lists (share of customers):", "normal"))
        for _, row in off.iterrows():
            lines.append((f"  {_humanise(str(row['event']))}: {row['share']:.0%}", "normal"))
    elif total:
        lines.append(("Every event in the log belongs to a stage.", "normal"))
    else:
        lines.append(("No event log in the workspace.", "normal"))
    paths = observed.off_map_paths if total else observed.off_map_paths.iloc[:0]
    if len(paths):
        lines.append(("", "normal"))
        lines.append(("Main off-map paths (share of paths):", "normal"))
        for steps, share in zip(paths["events"], paths["share"], strict=True):
            text = " → ".join(_humanise(str(s)) for s in steps)
            lines.append((f"  {text}" + ("" if math.isnan(share) else f": {share:.0%}"), "normal"))
    panel_w = side.get_position().width * fig.get_size_inches()[0] - 0.1
    y = 0.98
    size = st.FONT_SIZES["text"]
    step = _line_height(size) / (side.get_position().height * fig.get_size_inches()[1])
    for text, weight in lines:
        for line in fit.wrap(text, panel_w, size, 2, weight=weight) or [""]:
            if y < 0.02:
                break
            t = side.text(0.0, y, line, transform=side.transAxes, va="top", ha="left",
                          fontsize=size, weight=weight)
            t.set_parse_math(False)
            y -= step
    _plain_ticks(ax)
    return _finish(fig, True)


@_styled
def coverage_heatmap(ws: Workspace, *, ax: Axes | None = None) -> Figure:
    """Touchpoints per stage × channel (``seaborn.heatmap``, count in each cell); empty
    cells hatched and marked "none".

    Rows are the stages (journey.yaml order), columns the channels of journey.yaml
    followed by any other channel the touchpoints use. An empty cell is where the
    business has no touchpoint: a gap or a deliberate choice worth discussing.

    Example:
        >>> coverage_heatmap(ws).savefig("coverage.png")     # doctest: +SKIP
    """
    stages = ws.config.stages
    if not stages:
        raise JourneykitError("the workspace has no stages: list them under 'stages:' in journey.yaml")
    ids = [s.id for s in stages]
    names = [_text(s.name) or s.id for s in stages]
    tps = map_touchpoints(ws)
    channels = [c for c in ws.config.channels if _text(c)]
    channels += [c for c in dict.fromkeys(tps["channel"]) if c and c not in channels]
    own = ax is None
    size = (max(6.0, 1.0 * len(channels) + 3.0), max(3.5, 0.55 * len(ids) + 2.0))
    fig, ax = _figure_and_ax(ax, size)
    ax.set_title("Touchpoint coverage: stage × channel", loc="left")
    if not channels:
        _no_data(ax, "no channels and no touchpoints yet")
        ax.set_xlabel("Channel")
        ax.set_ylabel("Stage")
        ax.set_yticks(range(len(ids)), names)
        _plain_ticks(ax)
        return _finish(fig, own)
    counts = pd.crosstab(tps["stage"], tps["channel"]).reindex(index=ids, columns=channels,
                                                                fill_value=0)
    values = counts.to_numpy(dtype=float)
    vmax = max(1.0, values.max())
    labels = np.array([[f"{int(v)}" if v else "" for v in row] for row in values])
    sns.heatmap(values, ax=ax, mask=values == 0, cmap=st.SEQUENTIAL_CMAP, vmin=0, vmax=vmax,
                annot=labels, fmt="", linewidths=0, xticklabels=channels, yticklabels=names,
                annot_kws={"fontsize": st.FONT_SIZES["label"], "weight": "bold"},
                cbar_kws={"fraction": 0.04, "pad": 0.02, "label": "Touchpoints (count)"})
    for r, c in zip(*np.nonzero(values == 0), strict=True):
        ax.add_patch(Rectangle((c, r), 1, 1, facecolor=st.EMPTY_CELL, edgecolor=st.TARGET_COLOR,
                               hatch="///", linewidth=1.2, gid="empty-cell"))
        ax.text(c + 0.5, r + 0.5, "none", ha="center", va="center", color=st.TARGET_COLOR,
                fontsize=st.FONT_SIZES["small"], weight="bold",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.tick_params(axis="x", labelrotation=30 if len(channels) > 6 else 0)
    if len(channels) > 6:
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_xlabel("Channel")
    ax.set_ylabel("Stage")
    _plain_ticks(ax)
    return _finish(fig, own)

