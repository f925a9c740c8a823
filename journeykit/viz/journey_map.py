"""The customer journey map: one A3-landscape figure people print and argue over.

Stages of journey.yaml are the columns; lanes, top to bottom, show the customer's
goals and actions, the touchpoints by channel, the emotion curve from data, pain
points by severity, opportunities, the KPIs per stage and the owning teams. The map
draws the results of the analyses (``painpoints.score_pain_points``,
``voice.emotion_curve``, ``events.stage_funnel``); a notebook passes the results it
already has, otherwise the map computes them. Drawn with matplotlib alone: the map is
an inch-coordinate layout of text and markers, not a statistical plot.

Example:
    >>> fig = journey_map(ws)                                   # doctest: +SKIP
    >>> fig.savefig("journey_map.png")                          # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from journeykit.analytics.events import stage_funnel
from journeykit.analytics.painpoints import score_pain_points
from journeykit.analytics.voice import emotion_curve
from journeykit.core.cells import cell_text as _text
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st
from journeykit.viz._figure import NO_DATA
from journeykit.viz._figure import fmt_csat as _fmt_csat
from journeykit.viz._figure import fmt_int as _fmt_int
from journeykit.viz._figure import fmt_pct as _fmt_pct
from journeykit.viz._figure import humanise as _humanise
from journeykit.viz._figure import new_figure as _new_figure
from journeykit.viz._figure import num as _num
from journeykit.viz._figure import plain as _plain
from journeykit.viz._figure import plain_ticks as _plain_ticks
from journeykit.viz._figure import require as _require
from journeykit.viz._figure import severity_1_to_5 as _severity_1_to_5
from journeykit.viz._figure import styled as _styled
from journeykit.viz.mapcanvas import Item, MapCanvas
from journeykit.viz.textfit import line_height as _line_height
from journeykit.workspace import Workspace
from journeykit.workspace.config import Stage

__all__ = ["journey_map", "map_touchpoints", "stage_funnel_by_stage"]


@dataclass
class _MapData:
    stages: tuple[Stage, ...]
    touchpoints: pd.DataFrame
    pains: pd.DataFrame
    curve: pd.DataFrame
    funnel: pd.DataFrame | None
    persona_name: str | None
    channels: list[str]


def _persona_filter(ws: Workspace, persona: str | None) -> tuple[str | None, str | None]:
    """(persona id, display name) for ``persona`` given as id or name."""
    if persona is None:
        return None, None
    personas = ws.personas
    if personas is None or personas.empty:
        raise JourneykitError(f"persona {persona!r}: the workspace has no personas")
    ids = personas["id"].astype("string")
    names = personas["name"].astype("string")
    hit = personas[(ids == persona) | (names == persona)]
    if hit.empty:
        raise JourneykitError(
            f"persona {persona!r} not found; expected one of: {', '.join(ids.dropna())}")
    row = hit.iloc[0]
    return str(row["id"]), _text(row.get("name")) or str(row["id"])


def map_touchpoints(ws: Workspace, persona_id: str | None = None) -> pd.DataFrame:
    """The touchpoints as the map shows them (id, stage, channel, name, owner, online,
    personas; blank cells as ""), only those of ``persona_id`` (blank personas = all)."""
    tps = ws.touchpoints
    columns = ["id", "stage", "channel", "name", "owner", "online", "personas"]
    if tps is None or tps.empty:
        return pd.DataFrame(columns=columns)
    tps = tps[columns].copy()
    tps["id"] = tps["id"].map(_text)
    tps["stage"] = tps["stage"].map(_text)
    tps["channel"] = tps["channel"].map(_text)
    tps["name"] = [(_text(n) or i) for n, i in zip(tps["name"], tps["id"], strict=False)]
    if persona_id is not None:
        keep = [not _split_list(p) or persona_id in _split_list(p) for p in tps["personas"]]
        tps = tps[keep]
    return tps.reset_index(drop=True)


def _map_pains(tps: pd.DataFrame, persona_id: str | None, scored: pd.DataFrame
               ) -> pd.DataFrame:
    """Pains and opportunities of ``score_pain_points`` with stage, 1–5 severity, rank
    (= priority) and text (title, else description); done/dropped left out."""
    columns = ["id", "kind", "stage", "touchpoint", "severity", "rank", "text"]
    _require(scored, ["id", "kind", "title", "description", "touchpoint", "stage", "severity",
                      "priority", "status"], "journey_map pain_points")
    source = scored.copy()
    source["text"] = [(_text(a) or _text(b)) for a, b in zip(
        source["title"], source["description"], strict=True)]
    source["rank"] = pd.to_numeric(source["priority"], errors="coerce")
    source["touchpoint"] = source["touchpoint"].map(_text)
    source["stage"] = source["stage"].map(_text)
    source["kind"] = source["kind"].map(lambda k: _text(k).lower())
    source["severity"] = _severity_1_to_5(source["severity"])
    source = source[~source["status"].map(lambda s: _text(s).lower()).isin(["done", "dropped"])]
    if persona_id is not None:
        visible = set(tps["id"])
        source = source[(source["touchpoint"] == "") | source["touchpoint"].isin(visible)]
    source["id"] = source["id"].map(_text)
    source = source.sort_values(["rank", "severity"], ascending=False, kind="stable",
                                na_position="last")
    return source[columns].reset_index(drop=True)


def _map_data(ws: Workspace, persona: str | None, scored: pd.DataFrame | None = None,
              curve: pd.DataFrame | None = None, funnel: pd.DataFrame | None = None
              ) -> _MapData:
    stages = ws.config.stages
    if not stages:
        raise JourneykitError("the workspace has no stages: list them under 'stages:' in journey.yaml")
    persona_id, persona_name = _persona_filter(ws, persona)
    tps = map_touchpoints(ws, persona_id)
    pains = _map_pains(tps, persona_id, score_pain_points(ws) if scored is None else scored)
    if curve is None:
        curve = emotion_curve(ws)
    _require(curve, ["stage"], "journey_map emotion")
    if funnel is None and ws.has("events") and any(stage.events for stage in stages):
        funnel = stage_funnel(ws)  # else: no event log, or no stage lists events: no funnel
    if funnel is not None and funnel.empty:
        funnel = None
    channels = [c for c in ws.config.channels if _text(c)]
    for channel in tps["channel"]:
        if channel and channel not in channels:
            channels.append(channel)
    return _MapData(stages, tps, pains, curve, funnel, persona_name, channels)


_LANES: list[tuple[str, str, float]] = [
    ("header", "", 0.62),
    ("goals", "Customer goals & actions", 1.15),
    ("touchpoints", "Touchpoints by channel", 2.85),
    ("emotion", "Emotion from data", 1.45),
    ("pains", "Pain points", 1.5),
    ("opportunities", "Opportunities", 1.0),
    ("kpis", "KPIs per stage", 0.8),
    ("owners", "Owning teams", 0.6),
]
_LANE_NOTES = {
    "goals": "stage description; actions = its events",
    "touchpoints": "● online  ■ offline; colour = channel",
    "emotion": "mean sentiment −1…+1 (else rating), 95% band; dashed = workshop",
    "pains": "colour = severity 1–5; highest priority first",
    "opportunities": "highest priority first",
    "kpis": "stage funnel from events; CSAT where the survey was asked",
    "owners": "backstage (touchpoints owned)",
}


def _lane_needs(canvas: MapCanvas, data: _MapData, inner: float, body: float
                ) -> dict[str, float]:
    """Inches each lane needs to show its content without shortening (capped)."""
    lh = _line_height(body)
    pad = 0.16
    goals = max((len(canvas.fit.wrap(_stage_text(s), inner, body, 12)) for s in data.stages),
                default=1)
    tp_lines, pain_lines, opp_lines = [1], [1], [1]
    for stage in data.stages:
        sid = stage.id
        tps = data.touchpoints[data.touchpoints["stage"] == sid]
        tp_lines.append(len(tps) + tps["channel"].nunique())
        rows = data.pains[data.pains["stage"] == sid]
        pain_lines.append(int((rows["kind"] == "pain").sum()))
        opp_lines.append(int((rows["kind"] == "opportunity").sum()))
    return {
        "header": 0.62,
        "goals": min(goals, 10) * lh + pad,
        "touchpoints": min(max(tp_lines), 24) * lh + pad,
        "emotion": 1.3,
        "pains": min(max(pain_lines), 12) * lh + pad,
        "opportunities": min(max(opp_lines), 8) * lh + pad,
        "kpis": 4 * lh + pad,
        "owners": 2 * lh + pad,
    }


def _stage_text(stage: Stage) -> str:
    description = _text(stage.description)
    events = [_humanise(str(e)) for e in stage.events]
    parts = []
    if description:
        parts.append(description)
    if events:
        parts.append("Actions: " + ", ".join(events))
    return "\n".join(parts)


_FUNNEL_COLUMNS = {"step", "name", "stage", "customers", "conversion_from_start",
                   "conversion_from_previous", "dropped", "median_time_from_previous"}


def stage_funnel_by_stage(funnel: pd.DataFrame | None) -> dict[str, dict[str, float]]:
    """Stage id -> customers, from_start, from_previous of an ``events.stage_funnel``
    result without breakdown ({} for None or a breakdown: the map shows the overall
    funnel only)."""
    if funnel is None:
        return {}
    _require(funnel, ["stage", "customers", "conversion_from_start",
                      "conversion_from_previous"], "stage funnel")
    if set(funnel.columns) - _FUNNEL_COLUMNS:
        return {}
    return {_text(row["stage"]): {
        "customers": _num(row["customers"]),
        "from_start": _num(row["conversion_from_start"]),
        "from_previous": _num(row["conversion_from_previous"]),
    } for _, row in funnel.iterrows()}


def _curve_by_stage(data: _MapData) -> dict[str, pd.Series]:
    curve = data.curve
    if "touchpoint" in curve:
        curve = curve[curve["touchpoint"].isna()]
    return {str(row["stage"]): row for _, row in curve.iterrows()}


@_styled
def journey_map(ws: Workspace, *, persona: str | None = None,
                pain_points: pd.DataFrame | None = None, emotion: pd.DataFrame | None = None,
                funnel: pd.DataFrame | None = None,
                size: tuple[float, float] = st.A3_LANDSCAPE) -> Figure:
    """The customer journey map as one A3-landscape figure (16.5 × 11.7 in).

    Columns are the stages of journey.yaml, in order. Lanes, top to bottom:

    * **Customer goals & actions** — the stage description and the events that
      belong to it;
    * **Touchpoints by channel** — one marker per touchpoint (circle = online,
      square = offline, diamond = not stated; colour = channel), grouped by channel;
    * **Emotion from data** — mean sentiment of the stage's comments and tickets
      (−1…+1; a text in a language without a sentiment method counts by its rating, a
      stage with no scorable text has no point, not a neutral 0) with its 95 % band
      (``voice.emotion_curve``; the KPI lane says how many came from ratings and how
      many could not be scored); the workshop's own
      emotion (−2…+2, drawn halved on the same scale) as a dashed line when entered;
    * **Pain points** — coloured by severity 1–5, highest priority first
      (``painpoints.score_pain_points``); done/dropped items are left out;
    * **Opportunities** — highest priority first;
    * **KPIs per stage** — customers reaching the stage and conversion from the
      stage funnel (``events.stage_funnel``), "CSAT where asked" and n from the
      emotion curve (answers counted at the stage where the survey was sent; the
      sentiment of the texts about the stage);
    * **Owning teams (backstage)** — owners of the stage's touchpoints.

    ``persona`` (an id or name) keeps only that persona's touchpoints (blank
    ``personas`` = everyone) and their pain points. Long texts are shortened with
    "…" (the full text is in the tables); dense cells flow into sub-columns, and
    what cannot fit is summarised as "+k more". A lane without data (no event log,
    no comments) says so; an analysis that fails raises.

    ``pain_points``, ``emotion`` and ``funnel`` take results the notebook already
    computed (``score_pain_points(ws)``, ``emotion_curve(ws)``, ``stage_funnel(ws)``)
    so they are not computed twice; by default the map computes them itself.

    Example:
        >>> fig = journey_map(ws, persona="p_busy_parent")      # doctest: +SKIP
        >>> fig.savefig("map.pdf")                              # doctest: +SKIP
    """
    data = _map_data(ws, persona, pain_points, emotion, funnel)
    fig = _new_figure(size)
    canvas = MapCanvas(fig)
    width, height = canvas.w, canvas.h
    margin, label_w = 0.25, 1.6
    title_h, legend_h = 0.72, 0.6
    n = len(data.stages)
    col_w = (width - 2 * margin - label_w) / n
    x0 = margin + label_w
    fs = st.FONT_SIZES
    body = 8.0 if n <= 6 else 7.5

    # title
    business = _text(ws.config.business) or "Customer journey"
    title = f"{business} — customer journey map"
    if data.persona_name:
        title += f" · persona: {data.persona_name}"
    canvas.text(margin, height - margin, canvas.fit.shorten(title, width - 2 * margin, 16,
                                                            weight="bold"),
                16, weight="bold", va="top")
    subtitle = (f"{n} stages · {len(data.touchpoints)} touchpoints · "
                f"{int((data.pains['kind'] == 'pain').sum())} pain points · "
                f"{int((data.pains['kind'] == 'opportunity').sum())} opportunities")
    if data.persona_name:
        subtitle += " · emotion and KPIs: all customers"
    canvas.text(margin, height - margin - 0.36, subtitle, fs["text"], va="top", color=st.MUTED)

    # lanes geometry: each lane gets what its content needs, the rest is shared out
    available = height - 2 * margin - title_h - legend_h
    need = _lane_needs(canvas, data, col_w - 0.14, body)
    base = {key: lane_h for key, _, lane_h in _LANES}
    heights = {key: max(need.get(key, 0.0), 0.55 * base[key]) for key in base}
    spare = available - sum(heights.values())
    if spare >= 0:
        total_base = sum(base.values())
        heights = {key: h + spare * base[key] / total_base for key, h in heights.items()}
    else:
        scale = available / sum(base.values())
        heights = {key: base[key] * scale for key in base}
    top = height - margin - title_h
    lanes: dict[str, tuple[float, float]] = {}
    for key, _, _ in _LANES:
        lanes[key] = (top - heights[key], heights[key])  # (bottom, height) in inches
        top -= heights[key]
    map_bottom = top

    for index, (key, label, _) in enumerate(_LANES):
        bottom, lane_h = lanes[key]
        if index % 2 == 1:
            canvas.rect(margin, bottom, width - 2 * margin, lane_h, facecolor="#F4F4F4",
                        edgecolor="none", zorder=0)
        if label:
            canvas.paragraph(margin + 0.06, bottom + lane_h - 0.06, label_w - 0.15,
                             min(lane_h * 0.5, 0.42), label, fs["label"] - 0.5, weight="bold")
            note_top = bottom + lane_h - 0.08 - min(
                len(canvas.fit.wrap(label, label_w - 0.15, fs["label"] - 0.5, 2,
                                    weight="bold")), 2) * _line_height(fs["label"] - 0.5)
            note_h = note_top - bottom - 0.04
            if key == "emotion":
                label_room = label_w - 0.55  # leave room for the y tick labels
            else:
                label_room = label_w - 0.15
            canvas.paragraph(margin + 0.06, note_top, label_room, note_h, _LANE_NOTES[key],
                             fs["tiny"], color=st.MUTED)
    # column rules
    for i in range(n + 1):
        canvas.ax.plot([x0 + i * col_w] * 2, [map_bottom, lanes["header"][0] + lanes["header"][1]],
                       color="#BBBBBB", linewidth=0.8, zorder=1)
    canvas.ax.plot([margin, width - margin], [map_bottom, map_bottom], color="#BBBBBB",
                   linewidth=0.8)

    channel_color = st.category_colors(data.channels)
    funnel_rows = stage_funnel_by_stage(data.funnel)
    curve = _curve_by_stage(data)
    pad = 0.07
    for i, stage in enumerate(data.stages):
        sid = stage.id
        sname = _text(stage.name) or sid
        cx = x0 + i * col_w + pad
        inner = col_w - 2 * pad
        # header
        bottom, lane_h = lanes["header"]
        canvas.rect(x0 + i * col_w + 0.02, bottom + 0.04, col_w - 0.04, lane_h - 0.08,
                    facecolor=st.MAIN_COLOR, edgecolor="none", zorder=1)
        head_size = 12.0 if n <= 5 else 10.5
        lines = canvas.fit.wrap(sname, inner, head_size, 2, weight="bold")
        canvas.text(cx, bottom + lane_h / 2, "\n".join(lines), head_size, weight="bold",
                    va="center", ha="left", color="white", zorder=2, linespacing=1.05)
        # goals & actions
        bottom, lane_h = lanes["goals"]
        text = _stage_text(stage)
        if text:
            canvas.paragraph(cx, bottom + lane_h - pad, inner, lane_h - 2 * pad, text, body)
        else:
            canvas.text(cx, bottom + lane_h - pad, "no description yet", body, va="top",
                        color=st.MUTED, style="italic")
        # touchpoints
        bottom, lane_h = lanes["touchpoints"]
        tps = data.touchpoints[data.touchpoints["stage"] == sid]
        items: list[Item] = []
        for channel in data.channels + [""]:
            group = tps[tps["channel"] == channel]
            if group.empty:
                continue
            items.append(Item(text=channel or "(no channel)", header=True))
            for _, tp in group.iterrows():
                online = tp.get("online")
                marker = "D" if online is None or pd.isna(online) else ("o" if bool(online) else "s")
                items.append(Item(text=_text(tp["name"]), marker=marker,
                                   color=channel_color.get(channel, st.SEVERITY_UNKNOWN),
                                   gid=f"touchpoint:{tp['id']}"))
        if items:
            canvas.items(cx, bottom + lane_h - pad, inner, lane_h - 2 * pad, items, body)
        else:
            canvas.text(cx, bottom + lane_h - pad, "no touchpoints", body, va="top",
                        color=st.MUTED, style="italic")
        # pains / opportunities
        for lane, kind in (("pains", "pain"), ("opportunities", "opportunity")):
            bottom, lane_h = lanes[lane]
            rows = data.pains[(data.pains["stage"] == sid) & (data.pains["kind"] == kind)]
            items = [Item(text=_text(r["text"]) or _text(r["id"]),
                           marker="s" if kind == "pain" else "^",
                           color=st.severity_color(r["severity"]) if kind == "pain"
                           else st.OPPORTUNITY_COLOR,
                           gid=f"{kind}:{r['id']}") for _, r in rows.iterrows()]
            if items:
                canvas.items(cx, bottom + lane_h - pad, inner, lane_h - 2 * pad, items, body,
                             max_columns=2 if n <= 4 else 1, max_item_lines=2)
            else:
                canvas.text(cx, bottom + lane_h - pad, "none recorded", body, va="top",
                            color=st.MUTED, style="italic")
        # KPIs
        bottom, lane_h = lanes["kpis"]
        kpi_lines = []
        f = funnel_rows.get(sid)
        if f:
            kpi_lines.append(f"Reached {_fmt_int(f['customers'])} ({_fmt_pct(f['from_start'])})")
            if i > 0:
                kpi_lines.append(f"From previous {_fmt_pct(f['from_previous'])}")
        c = curve.get(sid)
        if c is not None:
            n_csat = int(_num(c.get("n_csat")) or 0) if not math.isnan(_num(c.get("n_csat"))) else 0
            if n_csat:
                # where the survey was asked (the lane's note says so when this is too wide)
                csat_line = f"{_fmt_csat(c.get('csat'))} (n {n_csat:,})"
                labelled = f"CSAT where asked {csat_line}"
                kpi_lines.append(labelled if canvas.fit.width(labelled, body) <= inner
                                 else f"CSAT {csat_line}")
            line = _sentiment_line(c)
            if line:
                kpi_lines.append(line)
        kpi_size = body
        max_kpi = max(1, int((lane_h - 2 * pad) // _line_height(kpi_size)))
        shown = [canvas.fit.shorten(t, inner, kpi_size) for t in kpi_lines[:max_kpi]]
        canvas.text(cx, bottom + lane_h - pad, "\n".join(shown) if shown else NO_DATA,
                    kpi_size, va="top", linespacing=1.15,
                    color=st.INK if shown else st.MUTED, style="normal" if shown else "italic")
        # owners
        bottom, lane_h = lanes["owners"]
        owners = tps["owner"].map(_text) if "owner" in tps else pd.Series(dtype=str)
        counts = owners[owners != ""].value_counts()
        owner_text = " · ".join(f"{o} ({c})" for o, c in counts.items())
        if owner_text:
            canvas.paragraph(cx, bottom + lane_h - pad, inner, lane_h - 2 * pad, owner_text, body)
        else:
            canvas.text(cx, bottom + lane_h - pad, "no owner recorded", body, va="top",
                        color=st.MUTED, style="italic")

    _draw_emotion_lane(fig, canvas, data, curve, lanes["emotion"], x0, col_w, n)
    _draw_map_legend(fig, data, channel_color, margin, legend_h)
    return fig


def _draw_emotion_lane(fig: Figure, canvas: MapCanvas, data: _MapData,
                       curve: dict[str, pd.Series], lane: tuple[float, float],
                       x0: float, col_w: float, n: int) -> None:
    bottom, lane_h = lane
    w, h = canvas.w, canvas.h
    ax = fig.add_axes((x0 / w, (bottom + 0.08) / h, n * col_w / w, (lane_h - 0.16) / h))
    ax.set_xlim(0, n)
    ax.set_ylim(-1.05, 1.05)
    ax.patch.set_alpha(0)
    for spine in ("top", "right", "bottom"):
        ax.spines[spine].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([-1, 0, 1], ["−1", "0", "+1"])
    ax.tick_params(axis="y", labelsize=st.FONT_SIZES["tiny"])
    ax.axhline(0, color=st.GRID, linewidth=1.0, zorder=0)
    xs = np.arange(n) + 0.5
    ids = [s.id for s in data.stages]
    sent = np.array([_num(curve[s].get("sentiment")) if s in curve else np.nan for s in ids])
    low = np.array([_num(curve[s].get("sentiment_low")) if s in curve else np.nan for s in ids])
    high = np.array([_num(curve[s].get("sentiment_high")) if s in curve else np.nan for s in ids])
    workshop = []
    for s, stage in zip(ids, data.stages, strict=True):
        value = _num(curve[s].get("workshop_emotion")) if s in curve else np.nan
        if math.isnan(value):
            value = _num(stage.emotion)
        workshop.append(value / 2.0)
    workshop_arr = np.array(workshop, dtype=float)
    drawn = False
    if np.isfinite(sent).any():
        band = np.isfinite(low) & np.isfinite(high)
        if band.any():
            ax.fill_between(xs, np.where(band, low, np.nan), np.where(band, high, np.nan),
                            color=st.MAIN_COLOR, alpha=0.18, linewidth=0, gid="emotion-band")
        (line,) = ax.plot(xs, sent, color=st.MAIN_COLOR, marker="o", linewidth=2.2)
        line.set_gid("emotion-data")
        drawn = True
    if np.isfinite(workshop_arr).any():
        (line,) = ax.plot(xs, workshop_arr, color=st.SECOND_COLOR, linestyle="--", marker="D",
                          markersize=5, linewidth=1.8)
        line.set_gid("emotion-workshop")
        drawn = True
    if not drawn:
        why = "no comments, tickets or workshop emotions"
        t = ax.text(n / 2, 0.3, f"{NO_DATA} ({canvas.fit.shorten(why, n * col_w * 0.7, 8)})",
                    ha="center", va="center", color=st.MUTED, style="italic",
                    fontsize=st.FONT_SIZES["small"])
        t.set_parse_math(False)
    _plain_ticks(ax)


def _sentiment_line(c: dict) -> str | None:
    """The stage's sentiment as the KPI lane says it: "Sentiment +0.21 (n 40)", with how
    many came from ratings ("n 40, 12 by rating") and how many texts could not be scored
    ("8 not scored"); "Sentiment: 8 texts not scored" when none could be, never a 0.

    Example:
        >>> _sentiment_line({"n_texts": 40, "sentiment": 0.21, "n_unscored": 3,
        ...                  "methods": "vader 28, rating 12, none 3"})
        'Sentiment +0.21 (n 40, 12 by rating; 3 not scored)'
        >>> _sentiment_line({"n_texts": 0, "sentiment": float("nan"), "n_unscored": 8})
        'Sentiment: 8 texts not scored'
    """
    n_texts = _num(c.get("n_texts"))
    n_texts = 0 if math.isnan(n_texts) else int(n_texts)
    unscored = _num(c.get("n_unscored"))
    unscored = 0 if math.isnan(unscored) else int(unscored)
    if n_texts == 0:
        return f"Sentiment: {unscored:,} texts not scored" if unscored else None
    by_rating = 0
    for part in str(c.get("methods") or "").split(","):
        name, _, count = part.strip().partition(" ")
        if name == "rating" and count.isdigit():
            by_rating = int(count)
    detail = f"n {n_texts:,}" + (f", {by_rating:,} by rating" if by_rating else "")
    if unscored:
        detail += f"; {unscored:,} not scored"
    return f"Sentiment {_num(c.get('sentiment')):+.2f} ({detail})"


def _draw_map_legend(fig: Figure, data: _MapData, channel_color: dict[str, str],
                     margin: float, legend_h: float) -> None:
    w, h = fig.get_size_inches()
    shape = [Line2D([], [], marker="o", linestyle="none", color="#999999",
                    markeredgecolor=st.INK, label="online"),
             Line2D([], [], marker="s", linestyle="none", color="#999999",
                    markeredgecolor=st.INK, label="offline")]
    channels = [Line2D([], [], marker="o", linestyle="none", color=col, markeredgecolor=st.INK,
                       label=ch) for ch, col in channel_color.items()
                if ch in set(data.touchpoints["channel"])]
    severity = [Patch(facecolor=st.SEVERITY_COLORS[k], edgecolor=st.INK, linewidth=0.5,
                      label=f"severity {k}") for k in range(1, 6)]
    pains = data.pains[data.pains["kind"] == "pain"]
    if pains["severity"].isna().any():
        severity.append(Patch(facecolor=st.SEVERITY_UNKNOWN, edgecolor=st.INK, linewidth=0.5,
                              label="severity unknown"))
    other = [Line2D([], [], marker="^", linestyle="none", color=st.OPPORTUNITY_COLOR,
                    markeredgecolor=st.INK, label="opportunity"),
             Line2D([], [], color=st.MAIN_COLOR, marker="o", label="sentiment (95% band)"),
             Line2D([], [], color=st.SECOND_COLOR, linestyle="--", marker="D", markersize=5,
                    label="workshop emotion ÷ 2")]
    row1 = shape + channels[:10]
    row2 = severity + other
    for handles, y in ((row1, margin + legend_h * 0.62), (row2, margin + legend_h * 0.12)):
        legend = fig.legend(handles=handles, loc="lower left", ncol=len(handles),
                            bbox_to_anchor=(margin / w, y / h), fontsize=st.FONT_SIZES["small"],
                            frameon=False, handletextpad=0.4, columnspacing=1.2,
                            borderaxespad=0, borderpad=0)
        _plain(legend.get_texts())

