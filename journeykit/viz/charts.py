"""Every figure journeykit draws, in one style (:mod:`journeykit.viz.style`).

The journey map (:func:`journey_map`) is the figure people print (A3 landscape) and
argue over: stages as columns, lanes for goals and actions, touchpoints by channel,
the emotion curve from data, pain points by severity, opportunities, the KPIs per
stage and the owning teams. The other charts take the result tables of the analysis
modules, so they work on any DataFrame of the documented shape:

============================  =====================================================
chart                         data
============================  =====================================================
:func:`journey_map`           a workspace (calls feedback/events/painpoints lazily)
:func:`designed_vs_observed`  a workspace with events
:func:`coverage_heatmap`      a workspace (touchpoints)
:func:`funnel_chart`          ``events.funnel`` / ``events.stage_funnel`` result
:func:`retention_heatmap`     ``events.retention`` result
:func:`emotion_curve_chart`   ``feedback.emotion_curve`` result
:func:`impact_effort_matrix`  ``painpoints.score_pain_points`` result
:func:`kpi_trend`             ``kpis.kpi_history`` result (+ targets)
:func:`kpi_by_group`          ``kpis.kpi_table`` result
:func:`persona_card_figure`   ``personas.persona_cards`` result
============================  =====================================================

Every function returns a :class:`matplotlib.figure.Figure` (created without pyplot,
so nothing piles up in a long headless run; Jupyter displays a returned Figure),
never shows it and never calls ``matplotlib.use()``.  Functions that draw one panel
accept ``ax=`` to draw into an existing Axes.  Text from the data is drawn as plain
text (a ``$`` never starts maths).

Example:
    >>> fig = journey_map(ws)                                   # doctest: +SKIP
    >>> fig.savefig("journey_map.png")                          # doctest: +SKIP
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from journeykit.core._sql import connect
from journeykit.core.cells import cell_text as _text
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.viz import style as st

__all__ = [
    "journey_map", "designed_vs_observed", "coverage_heatmap", "funnel_chart",
    "retention_heatmap", "emotion_curve_chart", "impact_effort_matrix", "kpi_trend",
    "kpi_by_group", "persona_card_figure",
]

ELLIPSIS = "…"
NO_DATA = "no data"


# --------------------------------------------------------------------------- helpers


def _styled(func: Callable) -> Callable:
    """Run a chart function inside :func:`journeykit.viz.style.use_style`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with st.use_style():
            return func(*args, **kwargs)

    return wrapper


def _new_figure(size: tuple[float, float] = st.DEFAULT_SIZE) -> Figure:
    fig = Figure(figsize=size, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _figure_and_ax(ax: Axes | None, size: tuple[float, float] = st.DEFAULT_SIZE
                   ) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _new_figure(size)
    return fig, fig.add_subplot()


def _finish(fig: Figure, own: bool) -> Figure:
    """Tight layout for figures we created (never for a caller's figure)."""
    if own:
        try:
            fig.tight_layout()
        except Exception:  # pragma: no cover - layout is best effort
            pass
        # tight_layout leaves a placeholder layout engine, which makes every savefig lay the
        # whole figure out once more before drawing it; the positions are final, so drop it
        fig.set_layout_engine(None)
    return fig


def _plain(texts: Sequence[Any]) -> None:
    """Draw these Text artists literally (no mathtext for '$' in data)."""
    for text in texts:
        text.set_parse_math(False)


def _plain_ticks(ax: Axes) -> None:
    _plain(ax.get_xticklabels() + ax.get_yticklabels())




def _num(value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return out


def _fmt_int(value: object) -> str:
    v = _num(value)
    return "–" if math.isnan(v) else f"{v:,.0f}"


def _fmt_pct(value: object, digits: int = 0) -> str:
    v = _num(value)
    return "–" if math.isnan(v) else f"{100 * v:.{digits}f}%"


def _humanise(name: str) -> str:
    return name.replace("_", " ").strip()


def _optional(module: str, name: str) -> Callable | None:
    try:
        return getattr(importlib.import_module(f"journeykit.{module}"), name)
    except Exception:
        return None


def _call(module: str, name: str, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """(result, None) or (None, why) — a missing module or a failing analysis never
    breaks a figure; the lane says what is missing instead."""
    fn = _optional(module, name)
    if fn is None:
        return None, f"journeykit.{module}.{name} not available"
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # analysis refused (missing table, bad data): show why
        return None, f"{type(exc).__name__}: {exc}"


def _table(ws: Any, name: str) -> pd.DataFrame | None:
    try:
        frame = getattr(ws, name, None)
    except Exception:
        return None
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    return frame


def _stages(ws: Any) -> list[Any]:
    config = getattr(ws, "config", None)
    stages = list(getattr(config, "stages", None) or [])
    if not stages:
        raise JourneykitError("the workspace has no stages: list them under 'stages:' in journey.yaml")
    return stages


def _stage_attr(stage: Any, name: str, default: Any = None) -> Any:
    if isinstance(stage, Mapping):
        return stage.get(name, default)
    return getattr(stage, name, default)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise JourneykitError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise JourneykitError(
            f"{what}: the table lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns)) or 'no columns'}")


def _no_data(ax: Axes, message: str = NO_DATA) -> None:
    t = ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
                color=st.MUTED, fontsize=st.FONT_SIZES["label"], style="italic")
    _plain([t])


def _severity_1_to_5(values: pd.Series) -> pd.Series:
    """Severity on the 1–5 scale: kept when it already is, stretched when 0–1."""
    sev = pd.to_numeric(values, errors="coerce").astype(float)
    finite = sev.dropna()
    if len(finite) and finite.max() <= 1.0 and finite.min() >= 0.0:
        sev = 1.0 + 4.0 * sev
    return sev.clip(1, 5)


class _TextFitter:
    """Wrap and shorten text to a width in inches, measured with the Agg renderer."""

    def __init__(self, fig: Figure):
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.renderer = canvas.get_renderer()
        self.dpi = fig.dpi
        self._cache: dict[tuple, float] = {}

    def width(self, text: str, size: float, weight: str = "normal", style: str = "normal") -> float:
        key = (text, size, weight, style)
        if key not in self._cache:
            prop = FontProperties(size=size, weight=weight, style=style)
            w, _, _ = self.renderer.get_text_width_height_descent(text, prop, ismath=False)
            # 6 % safety: glyph widths differ slightly between dpi (hinting) and backends
            self._cache[key] = 1.06 * w / self.dpi
        return self._cache[key]

    def shorten(self, text: str, width: float, size: float, **font: str) -> str:
        # no glyph is narrower than ~0.25 em: longer prefixes cannot fit (saves measuring)
        limit = int(width * 72.0 / (0.25 * size)) + 2
        if len(text) <= limit and self.width(text, size, **font) <= width:
            return text
        lo, hi = 0, min(len(text), limit)
        while lo < hi:  # longest prefix p with width(p + …) <= width
            mid = (lo + hi + 1) // 2
            if self.width(text[:mid].rstrip() + ELLIPSIS, size, **font) <= width:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + ELLIPSIS if lo else ELLIPSIS

    def _words_that_fit(self, head: str, words: list[str], width: float, size: float,
                        font: dict) -> int:
        """The largest k such that ``head`` followed by ``words[:k]`` is no wider than ``width``."""
        def line(k: int) -> str:
            return " ".join(([head] if head else []) + words[:k])

        if self.width(line(len(words)), size, **font) <= width:
            return len(words)
        low, high = 0, len(words) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.width(line(middle), size, **font) <= width:
                low = middle
            else:
                high = middle - 1
        return low

    def wrap(self, text: str, width: float, size: float, max_lines: int, **font: str) -> list[str]:
        """At most ``max_lines`` lines no wider than ``width``; the last ends in … if cut."""
        if max_lines <= 0:
            return []
        lines: list[str] = []
        all_words = text.split()
        for paragraph in text.splitlines() or [""]:
            words = paragraph.split()
            current, i = "", 0
            while i < len(words) and len(lines) <= max_lines:
                # greedy filling, with the words that still fit found by bisection (widths
                # grow with every word, so this is the greedy result with fewer measurements)
                fitting = self._words_that_fit(current, words[i:], width, size, font)
                current = " ".join(([current] if current else []) + words[i:i + fitting])
                i += fitting
                if i == len(words):
                    break
                if current:
                    lines.append(current)
                current, i = words[i], i + 1
                while self.width(current, size, **font) > width and len(current) > 1:
                    cut = len(self.shorten(current, width, size, **font)) - 1
                    cut = max(1, cut)
                    lines.append(current[:cut] + "-" if cut < len(current) else current)
                    current = current[cut:]
            if current:
                lines.append(current)
            if len(lines) > max_lines:
                break
        if len(lines) > max_lines:
            kept = lines[:max_lines]
            # the last kept line, followed by the words that did not fit, shortened: ends in …
            shown = sum(len(line.split()) for line in kept)
            rest = " ".join(all_words[shown:shown + 3]) or ELLIPSIS
            last = self.shorten(f"{kept[-1]} {rest}", width, size, **font)
            if not last.endswith(ELLIPSIS):
                last = self.shorten(kept[-1] + ELLIPSIS * 40, width, size, **font)
            kept[-1] = last
            lines = kept
        return lines


def _line_height(size: float) -> float:
    """Height in inches one text line takes (with its spacing)."""
    return size * 1.32 / 72.0


# --------------------------------------------------------------------------- journey map


@dataclass
class _Item:
    text: str
    marker: str | None = None
    color: str = st.INK
    gid: str | None = None
    edge: str = st.INK
    header: bool = False


@dataclass
class _MapData:
    stages: list[Any]
    touchpoints: pd.DataFrame
    pains: pd.DataFrame
    curve: pd.DataFrame | None
    curve_note: str | None
    funnel: pd.DataFrame | None
    funnel_note: str | None
    persona_name: str | None
    channels: list[str]


def _persona_filter(ws: Any, persona: str | None) -> tuple[str | None, str | None]:
    """(persona id, display name) for ``persona`` given as id or name."""
    if persona is None:
        return None, None
    personas = _table(ws, "personas")
    if personas is None:
        raise JourneykitError(f"persona {persona!r}: the workspace has no personas")
    ids = personas["id"].astype("string")
    names = personas["name"].astype("string") if "name" in personas else ids
    hit = personas[(ids == persona) | (names == persona)]
    if hit.empty:
        raise JourneykitError(
            f"persona {persona!r} not found; expected one of: {', '.join(ids.dropna())}")
    row = hit.iloc[0]
    return str(row["id"]), _text(row.get("name")) or str(row["id"])


def _map_touchpoints(ws: Any, persona_id: str | None) -> pd.DataFrame:
    tps = _table(ws, "touchpoints")
    columns = ["id", "stage", "channel", "name", "owner", "online", "personas"]
    if tps is None:
        return pd.DataFrame(columns=columns)
    tps = tps.copy()
    for column in columns:
        if column not in tps:
            tps[column] = pd.NA
    tps["id"] = tps["id"].map(_text)
    tps["stage"] = tps["stage"].map(_text)
    tps["channel"] = tps["channel"].map(_text)
    tps["name"] = [(_text(n) or i) for n, i in zip(tps["name"], tps["id"], strict=False)]
    if persona_id is not None:
        keep = [not _split_list(p) or persona_id in _split_list(p) for p in tps["personas"]]
        tps = tps[keep]
    return tps.reset_index(drop=True)


def _map_pains(ws: Any, tps: pd.DataFrame, persona_id: str | None,
               scored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pains and opportunities with stage, 1–5 severity, rank and text."""
    columns = ["id", "kind", "stage", "touchpoint", "severity", "rank", "text"]
    if scored is None:
        scored, _ = _call("painpoints", "score_pain_points", ws)
    source = None
    if isinstance(scored, pd.DataFrame) and not scored.empty and "kind" in scored:
        source = scored.copy()
        text_col = "title" if "title" in source else "description"
        source["text"] = [(_text(a) or _text(b)) for a, b in zip(
            source[text_col], source.get("description", source[text_col]), strict=False)]
        source["rank"] = pd.to_numeric(source.get("priority"), errors="coerce")
    else:
        table = _table(ws, "painpoints")
        if table is None:
            return pd.DataFrame(columns=columns)
        source = table.copy()
        source["text"] = source["description"].map(_text) if "description" in source else ""
        sev = pd.to_numeric(source.get("severity"), errors="coerce")
        freq = pd.to_numeric(source.get("frequency"), errors="coerce")
        source["rank"] = sev.fillna(3) * freq.fillna(3)
    stage_of = dict(zip(_table(ws, "touchpoints")["id"].map(_text),
                        _table(ws, "touchpoints")["stage"].map(_text), strict=False)
                    ) if _table(ws, "touchpoints") is not None else {}
    if "touchpoint" not in source:
        source["touchpoint"] = ""
    source["touchpoint"] = source["touchpoint"].map(_text)
    if "stage" in source:
        source["stage"] = [(_text(s) or stage_of.get(t, "")) for s, t in zip(
            source["stage"], source["touchpoint"], strict=False)]
    else:
        source["stage"] = source["touchpoint"].map(lambda t: stage_of.get(t, ""))
    source["kind"] = source["kind"].map(lambda k: _text(k).lower())
    source["severity"] = _severity_1_to_5(source["severity"]) if "severity" in source else np.nan
    if "status" in source:
        source = source[~source["status"].map(lambda s: _text(s).lower()).isin(["done", "dropped"])]
    if persona_id is not None:
        visible = set(tps["id"])
        source = source[(source["touchpoint"] == "") | source["touchpoint"].isin(visible)]
    if "id" not in source:
        source["id"] = [f"row{i}" for i in range(len(source))]
    source["id"] = source["id"].map(_text)
    source = source.sort_values(["rank", "severity"], ascending=False, kind="stable",
                                na_position="last")
    return source[columns].reset_index(drop=True)


def _map_data(ws: Any, persona: str | None, scored: pd.DataFrame | None = None,
              curve: pd.DataFrame | None = None, funnel: pd.DataFrame | None = None
              ) -> _MapData:
    stages = _stages(ws)
    persona_id, persona_name = _persona_filter(ws, persona)
    tps = _map_touchpoints(ws, persona_id)
    pains = _map_pains(ws, tps, persona_id, scored)
    curve_note = None
    if curve is None:
        curve, curve_note = _call("feedback", "emotion_curve", ws)
    if not isinstance(curve, pd.DataFrame) or "stage" not in getattr(curve, "columns", []):
        curve = None
    funnel_note = None
    if funnel is None:
        funnel, funnel_note = (None, "no event log") if _table(ws, "events") is None else \
            _call("events", "stage_funnel", ws)
    if isinstance(funnel, pd.DataFrame) and funnel.empty:
        funnel = None
    config = getattr(ws, "config", None)
    channels = [c for c in (getattr(config, "channels", None) or []) if _text(c)]
    for channel in tps["channel"]:
        if channel and channel not in channels:
            channels.append(channel)
    return _MapData(stages, tps, pains, curve, curve_note,
                    funnel if isinstance(funnel, pd.DataFrame) else None, funnel_note,
                    persona_name, channels)


class _MapCanvas:
    """Inch-coordinate drawing on the A3 map (one full-figure Axes)."""

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
              items: list[_Item], size: float, max_columns: int = 3,
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
            chosen = real[:keep] + [_Item(text=f"+{len(real) - keep} more")]
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
    "emotion": "mean sentiment −1…+1 with 95% band; dashed = workshop",
    "pains": "colour = severity 1–5; highest priority first",
    "opportunities": "highest priority first",
    "kpis": "from events (stage funnel) and survey answers",
    "owners": "backstage (touchpoints owned)",
}


def _lane_needs(canvas: _MapCanvas, data: _MapData, inner: float, body: float
                ) -> dict[str, float]:
    """Inches each lane needs to show its content without shortening (capped)."""
    lh = _line_height(body)
    pad = 0.16
    goals = max((len(canvas.fit.wrap(_stage_text(s), inner, body, 12)) for s in data.stages),
                default=1)
    tp_lines, pain_lines, opp_lines = [1], [1], [1]
    for stage in data.stages:
        sid = str(_stage_attr(stage, "id"))
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


def _stage_text(stage: Any) -> str:
    description = _text(_stage_attr(stage, "description", ""))
    events = [_humanise(str(e)) for e in (_stage_attr(stage, "events", ()) or [])]
    parts = []
    if description:
        parts.append(description)
    if events:
        parts.append("Actions: " + ", ".join(events))
    return "\n".join(parts)


def _funnel_by_stage(data: _MapData) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    funnel = data.funnel
    if funnel is None:
        return out
    ids = [str(_stage_attr(s, "id")) for s in data.stages]
    names = {str(_stage_attr(s, "name")): str(_stage_attr(s, "id")) for s in data.stages}
    frame = funnel
    extra = [c for c in frame.columns if c not in {
        "step", "name", "stage", "customers", "conversion_from_start",
        "conversion_from_previous", "dropped", "median_time_from_previous", "stage_name"}]
    if extra:  # a breakdown: the map shows the overall funnel only
        return out
    for position, (_, row) in enumerate(frame.iterrows()):
        stage_id = _text(row.get("stage")) if "stage" in frame else ""
        if not stage_id:
            name = _text(row.get("name"))
            stage_id = names.get(name, name if name in ids else "")
        if not stage_id and position < len(ids):
            stage_id = ids[position]
        out[stage_id] = {
            "customers": _num(row.get("customers")),
            "from_start": _num(row.get("conversion_from_start")),
            "from_previous": _num(row.get("conversion_from_previous")),
        }
    return out


def _curve_by_stage(data: _MapData) -> dict[str, pd.Series]:
    if data.curve is None:
        return {}
    curve = data.curve
    if "touchpoint" in curve:
        curve = curve[curve["touchpoint"].isna()]
    return {str(row["stage"]): row for _, row in curve.iterrows()}


@_styled
def journey_map(ws: Any, *, persona: str | None = None,
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
      (−1…+1) with its 95 % band (``feedback.emotion_curve``); the workshop's own
      emotion (−2…+2, drawn halved on the same scale) as a dashed line when entered;
    * **Pain points** — coloured by severity 1–5, highest priority first
      (``painpoints.score_pain_points`` when available, else the workshop's
      severity × frequency); done/dropped items are left out;
    * **Opportunities** — highest priority first;
    * **KPIs per stage** — customers reaching the stage and conversion from the
      stage funnel (``events.stage_funnel``), CSAT and n from the emotion curve;
    * **Owning teams (backstage)** — owners of the stage's touchpoints.

    ``persona`` (an id or name) keeps only that persona's touchpoints (blank
    ``personas`` = everyone) and their pain points. Long texts are shortened with
    "…" (the full text is in the tables); dense cells flow into sub-columns, and
    what cannot fit is summarised as "+k more". A lane whose data or module is
    missing says "no data" instead of failing.

    ``pain_points``, ``emotion`` and ``funnel`` take results the notebook already
    computed (``score_pain_points(ws)``, ``emotion_curve(ws)``, ``stage_funnel(ws)``)
    so they are not computed twice; by default the map computes them itself.

    Example:
        >>> fig = journey_map(ws, persona="p_busy_parent")      # doctest: +SKIP
        >>> fig.savefig("map.pdf")                              # doctest: +SKIP
    """
    data = _map_data(ws, persona, pain_points, emotion, funnel)
    fig = _new_figure(size)
    canvas = _MapCanvas(fig)
    width, height = canvas.w, canvas.h
    margin, label_w = 0.25, 1.6
    title_h, legend_h = 0.72, 0.6
    n = len(data.stages)
    col_w = (width - 2 * margin - label_w) / n
    x0 = margin + label_w
    fs = st.FONT_SIZES
    body = 8.0 if n <= 6 else 7.5

    # title
    config = getattr(ws, "config", None)
    business = _text(getattr(config, "business", "")) or "Customer journey"
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
    funnel = _funnel_by_stage(data)
    curve = _curve_by_stage(data)
    pad = 0.07
    for i, stage in enumerate(data.stages):
        sid = str(_stage_attr(stage, "id"))
        sname = _text(_stage_attr(stage, "name")) or sid
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
        items: list[_Item] = []
        for channel in data.channels + [""]:
            group = tps[tps["channel"] == channel]
            if group.empty:
                continue
            items.append(_Item(text=channel or "(no channel)", header=True))
            for _, tp in group.iterrows():
                online = tp.get("online")
                marker = "D" if online is None or pd.isna(online) else ("o" if bool(online) else "s")
                items.append(_Item(text=_text(tp["name"]), marker=marker,
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
            items = [_Item(text=_text(r["text"]) or _text(r["id"]),
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
        f = funnel.get(sid)
        if f:
            kpi_lines.append(f"Reached {_fmt_int(f['customers'])} ({_fmt_pct(f['from_start'])})")
            if i > 0:
                kpi_lines.append(f"From previous {_fmt_pct(f['from_previous'])}")
        c = curve.get(sid)
        if c is not None:
            n_csat = int(_num(c.get("n_csat")) or 0) if not math.isnan(_num(c.get("n_csat"))) else 0
            if n_csat:
                kpi_lines.append(f"CSAT {_fmt_pct(c.get('csat'))} (n {n_csat:,})")
            n_texts = _num(c.get("n_texts"))
            if not math.isnan(n_texts) and n_texts > 0:
                kpi_lines.append(f"Sentiment {_num(c.get('sentiment')):+.2f} (n {int(n_texts):,})")
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


def _draw_emotion_lane(fig: Figure, canvas: _MapCanvas, data: _MapData,
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
    ids = [str(_stage_attr(s, "id")) for s in data.stages]
    sent = np.array([_num(curve[s].get("sentiment")) if s in curve else np.nan for s in ids])
    low = np.array([_num(curve[s].get("sentiment_low")) if s in curve else np.nan for s in ids])
    high = np.array([_num(curve[s].get("sentiment_high")) if s in curve else np.nan for s in ids])
    workshop = []
    for s, stage in zip(ids, data.stages, strict=True):
        value = _num(curve[s].get("workshop_emotion")) if s in curve else np.nan
        if math.isnan(value):
            value = _num(_stage_attr(stage, "emotion"))
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
        why = data.curve_note or "no comments, tickets or workshop emotions"
        t = ax.text(n / 2, 0.3, f"{NO_DATA} ({canvas.fit.shorten(why, n * col_w * 0.7, 8)})",
                    ha="center", va="center", color=st.MUTED, style="italic",
                    fontsize=st.FONT_SIZES["small"])
        t.set_parse_math(False)
    _plain_ticks(ax)


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


# --------------------------------------------------------------------------- designed vs observed


def _stage_reach(ws: Any) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(per stage: customers with any event of the stage; off-map events; total)."""
    stages = _stages(ws)
    mapping = pd.DataFrame(
        [(str(e), str(_stage_attr(s, "id"))) for s in stages
         for e in (_stage_attr(s, "events", ()) or [])], columns=["event", "stage"])
    con = connect()
    try:
        rel = None
        if hasattr(ws, "events_relation"):
            try:
                rel = ws.events_relation(con)
            except Exception:
                rel = None
        if rel is None:
            events = _table(ws, "events")
            if events is None:
                return pd.DataFrame(columns=["stage", "customers"]), pd.DataFrame(
                    columns=["event", "customers"]), 0
            rel = con.from_df(events[["customer_id", "event"]].astype("string").astype(object))
        rel.create_view("jk_events")
        con.register("jk_map", mapping.astype(object))
        total = con.execute("SELECT count(DISTINCT customer_id) FROM jk_events").fetchone()[0]
        reach = con.execute(
            "SELECT m.stage, count(DISTINCT e.customer_id) AS customers FROM jk_events e "
            "JOIN jk_map m ON CAST(e.event AS VARCHAR) = m.event GROUP BY m.stage").df()
        off = con.execute(
            "SELECT CAST(e.event AS VARCHAR) AS event, count(DISTINCT e.customer_id) AS customers "
            "FROM jk_events e ANTI JOIN jk_map m ON CAST(e.event AS VARCHAR) = m.event "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8").df()
    finally:
        con.close()
    return reach, off, int(total or 0)


def _off_map_paths(ws: Any, stage_order: dict[str, int]) -> list[tuple[str, float]]:
    """Top paths that leave the designed map (an unmapped event, or going back a stage)."""
    events = _table(ws, "events")
    if events is None:
        return []
    result, _ = _call("events", "paths", events, top=50)
    if not isinstance(result, pd.DataFrame) or result.empty:
        return []
    path_col = next((c for c in ("events", "steps", "path", "sequence") if c in result), None)
    share_col = next((c for c in ("share", "customers_share", "fraction") if c in result), None)
    count_col = next((c for c in ("count", "customers", "n", "sessions") if c in result), None)
    if path_col is None:
        return []
    event_stage = {}
    for stage in _stages(ws):
        for e in _stage_attr(stage, "events", ()) or []:
            event_stage[str(e)] = str(_stage_attr(stage, "id"))
    total = float(pd.to_numeric(result[count_col], errors="coerce").sum()) if count_col else 0.0
    out = []
    for _, row in result.iterrows():
        path = row[path_col]
        steps = list(path) if isinstance(path, list | tuple | np.ndarray) else [
            p.strip() for p in str(path).replace("→", ">").split(">") if p.strip()]
        steps = [str(s) for s in steps if str(s) not in ("…", "...")]
        orders = [stage_order.get(event_stage.get(s, ""), -1) for s in steps]
        unmapped = any(o < 0 for o in orders)
        backwards = any(b < a for a, b in zip(orders, orders[1:], strict=False) if a >= 0 and b >= 0)
        if unmapped or backwards:
            if share_col:
                share = _num(row[share_col])
            elif count_col and total:
                share = _num(row[count_col]) / total
            else:
                share = float("nan")
            out.append((" → ".join(_humanise(s) for s in steps), share))
        if len(out) >= 6:
            break
    return out


@_styled
def designed_vs_observed(ws: Any) -> Figure:
    """The stages the workshop drew next to what the event log shows.

    Left: for each stage (journey.yaml order) the share of customers in the event
    log with at least one event of that stage (bars, any order), and — when
    ``events.stage_funnel`` is available — the share reaching it in the designed
    order (funnel from the first stage, diamonds). A stage the data barely shows is a
    stage the map may be imagining. Right: what happens *off the map*: events that
    no stage lists (share of customers), and, when ``events.paths`` is available,
    the most common paths that use such events or step back to an earlier stage.

    Example:
        >>> designed_vs_observed(ws).savefig("designed_vs_observed.png")   # doctest: +SKIP
    """
    stages = _stages(ws)
    fig = _new_figure((12.0, 5.6))
    grid = fig.add_gridspec(1, 2, width_ratios=[1.45, 1.0])
    ax = fig.add_subplot(grid[0, 0])
    side = fig.add_subplot(grid[0, 1])
    side.set_axis_off()
    ids = [str(_stage_attr(s, "id")) for s in stages]
    names = [_text(_stage_attr(s, "name")) or i for s, i in zip(stages, ids, strict=True)]
    fit = _TextFitter(fig)
    labels = ["\n".join(fit.wrap(nm, 11.5 * 0.58 / max(len(ids), 1) * 1.2, st.FONT_SIZES["tick"], 2))
              for nm in names]
    x = np.arange(len(ids))
    reach, off, total = (pd.DataFrame(columns=["stage", "customers"]),
                         pd.DataFrame(columns=["event", "customers"]), 0)
    if _table(ws, "events") is not None:
        reach, off, total = _stage_reach(ws)
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_ylabel("Customers in the event log (%)")
    ax.set_xlabel("Designed stage (journey.yaml order)")
    ax.set_title("Designed journey vs observed behaviour", loc="left")
    if total:
        counts = reach.set_index("stage")["customers"].reindex(ids).fillna(0).astype(float)
        shares = counts / total
        bars = ax.bar(x, shares.to_numpy(), color=st.MAIN_COLOR, width=0.6,
                      label="any event of the stage")
        for bar, share, cnt in zip(bars, shares, counts, strict=True):
            t = ax.text(bar.get_x() + bar.get_width() / 2, share + 0.015,
                        f"{share:.0%}\n({int(cnt):,})", ha="center", va="bottom",
                        fontsize=st.FONT_SIZES["small"])
            t.set_parse_math(False)
        funnel, _ = _call("events", "stage_funnel", ws)
        if isinstance(funnel, pd.DataFrame) and not funnel.empty:
            data = _MapData(stages, pd.DataFrame(), pd.DataFrame(), None, None, funnel, None,
                            None, [])
            per = _funnel_by_stage(data)
            first = per.get(ids[0], {}).get("customers", float("nan"))
            ys = [per.get(i, {}).get("customers", float("nan")) / total for i in ids]
            if any(np.isfinite(ys)):
                ax.plot(x, ys, color=st.SECOND_COLOR, marker="D", linestyle="--",
                        label="reached in designed order (stage funnel)")
                del first
        ax.legend(loc="upper right", fontsize=st.FONT_SIZES["small"])
    else:
        _no_data(ax, "no event log: nothing observed yet")
    # off-map panel
    lines = [("Off the map", "bold")]
    if total and len(off):
        lines.append(("Events no stage lists (share of customers):", "normal"))
        for _, row in off.head(6).iterrows():
            lines.append((f"  {_humanise(str(row['event']))}: {row['customers'] / total:.0%}",
                          "normal"))
    elif total:
        lines.append(("Every event in the log belongs to a stage.", "normal"))
    else:
        lines.append(("No event log in the workspace.", "normal"))
    order = {sid: k for k, sid in enumerate(ids)}
    paths = _off_map_paths(ws, order) if total else []
    if paths:
        lines.append(("", "normal"))
        lines.append(("Main off-map paths (share of paths):", "normal"))
        for text, share in paths:
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


# --------------------------------------------------------------------------- coverage


@_styled
def coverage_heatmap(ws: Any, *, ax: Axes | None = None) -> Figure:
    """Touchpoints per stage × channel; empty cells hatched and marked "none".

    Rows are the stages (journey.yaml order), columns the channels of journey.yaml
    followed by any other channel the touchpoints use. An empty cell is where the
    business has no touchpoint: a gap or a deliberate choice worth discussing.

    Example:
        >>> coverage_heatmap(ws).savefig("coverage.png")     # doctest: +SKIP
    """
    stages = _stages(ws)
    ids = [str(_stage_attr(s, "id")) for s in stages]
    names = [_text(_stage_attr(s, "name")) or i for s, i in zip(stages, ids, strict=True)]
    tps = _map_touchpoints(ws, None)
    config = getattr(ws, "config", None)
    channels = [c for c in (getattr(config, "channels", None) or []) if _text(c)]
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
    masked = np.ma.masked_equal(values, 0)
    image = ax.imshow(masked, cmap=st.SEQUENTIAL_CMAP, vmin=0, vmax=vmax, aspect="auto")
    cmap = image.get_cmap()
    for r in range(values.shape[0]):
        for c in range(values.shape[1]):
            v = values[r, c]
            if v == 0:
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=st.EMPTY_CELL,
                                       edgecolor=st.TARGET_COLOR, hatch="///", linewidth=1.2,
                                       gid="empty-cell"))
                ax.text(c, r, "none", ha="center", va="center", color=st.TARGET_COLOR,
                        fontsize=st.FONT_SIZES["small"], weight="bold",
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
            else:
                rgba = cmap(v / vmax)
                light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
                ax.text(c, r, f"{int(v)}", ha="center", va="center",
                        color=st.INK if light else "white", fontsize=st.FONT_SIZES["label"],
                        weight="bold")
    ax.set_xticks(range(len(channels)), channels, rotation=30 if len(channels) > 6 else 0,
                  ha="right" if len(channels) > 6 else "center")
    ax.set_yticks(range(len(ids)), names)
    ax.set_xlabel("Channel")
    ax.set_ylabel("Stage")
    ax.spines[:].set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("Touchpoints (count)")
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- funnel


_FUNNEL_STANDARD = {"step", "name", "customers", "conversion_from_start",
                    "conversion_from_previous", "dropped", "median_time_from_previous",
                    "stage", "stage_name"}


@_styled
def funnel_chart(funnel_df: pd.DataFrame, *, ax: Axes | None = None,
                 title: str = "Funnel: customers reaching each step") -> Figure:
    """A funnel from ``events.funnel`` / ``events.stage_funnel``.

    Without a breakdown: horizontal bars of customers per step, labelled with the
    count, the conversion from the first step and from the previous one. With a
    breakdown (``by`` columns such as channel or persona): one line per group of
    conversion from the first step (%), so groups of different size compare.

    Example:
        >>> funnel_chart(stage_funnel(ws)).savefig("funnel.png")   # doctest: +SKIP
    """
    _require(funnel_df, ["step", "customers", "conversion_from_start"], "funnel_chart")
    own = ax is None
    frame = funnel_df.copy()
    by = [c for c in frame.columns if c not in _FUNNEL_STANDARD]
    label_col = "stage_name" if "stage_name" in frame else ("name" if "name" in frame else "step")
    steps = frame.drop_duplicates("step").sort_values("step")
    labels = [_text(v) or str(s) for v, s in zip(steps[label_col], steps["step"], strict=True)]
    n_steps = len(steps)
    fig, ax = _figure_and_ax(ax, (9.0, max(3.5, 0.6 * n_steps + 2.0)))
    ax.set_title(title, loc="left")
    if frame.empty:
        _no_data(ax)
        return _finish(fig, own)
    if by:
        groups = frame.groupby(by, dropna=False, sort=True)
        colors = st.PALETTE
        for k, (key, group) in enumerate(groups):
            group = group.sort_values("step")
            name = " / ".join(_text(v) or "(blank)" for v in (key if isinstance(key, tuple)
                                                               else (key,)))
            first = _num(group["customers"].iloc[0])
            ax.plot(group["step"], 100 * group["conversion_from_start"].astype(float),
                    marker="o", color=colors[k % len(colors)],
                    label=f"{name} (n {int(first) if not math.isnan(first) else 0:,})")
        fit = _TextFitter(fig)
        room = 0.62 * fig.get_size_inches()[0] / max(n_steps, 1)
        ax.set_xticks(steps["step"], ["\n".join(fit.wrap(lab, room, st.FONT_SIZES["tick"], 2))
                                      for lab in labels])
        ax.set_xlim(steps["step"].min() - 0.3, steps["step"].max() + 0.3)
        ax.set_ylim(0, 105)
        ax.set_ylabel("Conversion from first step (%)")
        ax.set_xlabel("Step")
        ax.grid(axis="y")
        legend = ax.legend(title=", ".join(by), loc="upper left", bbox_to_anchor=(1.01, 1.0))
        _plain(legend.get_texts())
    else:
        y = np.arange(n_steps)[::-1]
        customers = steps["customers"].astype(float).to_numpy()
        bars = ax.barh(y, customers, color=st.MAIN_COLOR, height=0.6)
        xmax = max(1.0, np.nanmax(customers) if len(customers) else 1.0)
        ax.set_xlim(0, xmax * 1.55)
        for k, (bar, (_, row)) in enumerate(zip(bars, steps.iterrows(), strict=True)):
            text = f"{_fmt_int(row['customers'])} · {_fmt_pct(row['conversion_from_start'])} of start"
            if k > 0 and "conversion_from_previous" in row:
                text += f" · {_fmt_pct(row['conversion_from_previous'])} from prev."
            t = ax.text(bar.get_width() + xmax * 0.02, bar.get_y() + bar.get_height() / 2, text,
                        va="center", ha="left", fontsize=st.FONT_SIZES["small"])
            t.set_parse_math(False)
        ax.set_yticks(y, labels)
        ax.set_xlabel("Customers (count)")
        ax.set_ylabel("Step")
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- retention


def _retention_matrix(retention_df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(share matrix cohort × period, counts matrix or None) from long or wide input."""
    frame = retention_df
    if {"cohort", "period"} <= set(frame.columns):
        share_col = next((c for c in ("share", "retention", "rate", "retained_share")
                          if c in frame), None)
        count_col = next((c for c in ("customers", "retained", "count", "returned")
                          if c in frame), None)
        if share_col is None and count_col is None:
            raise JourneykitError("retention_heatmap: expected a 'share' or 'customers' column")
        counts = frame.pivot_table(index="cohort", columns="period", values=count_col,
                                   aggfunc="sum") if count_col else None
        if share_col is not None:
            shares = frame.pivot_table(index="cohort", columns="period", values=share_col,
                                       aggfunc="mean")
        else:
            shares = counts.div(counts.iloc[:, 0], axis=0)
        return shares, counts
    if "cohort" in frame.columns:
        frame = frame.set_index("cohort")
    numeric = frame.select_dtypes("number")
    shares = numeric if numeric.max().max() <= 1.0 else numeric.div(numeric.iloc[:, 0], axis=0)
    return shares, None if numeric.max().max() <= 1.0 else numeric


@_styled
def retention_heatmap(retention_df: pd.DataFrame, *, ax: Axes | None = None,
                      title: str = "Retention by cohort") -> Figure:
    """Cohort × period retention (share of the cohort returning in that period).

    Accepts the long table of ``events.retention`` (cohort, period, share and/or
    customers) or a wide cohort × period table of shares. Each cell shows the share
    in %, the cohort's size is in its row label when counts are present.

    Example:
        >>> retention_heatmap(retention(ws.orders)).savefig("retention.png")  # doctest: +SKIP
    """
    if not isinstance(retention_df, pd.DataFrame):
        raise JourneykitError("retention_heatmap: expected a DataFrame from events.retention")
    own = ax is None
    if retention_df.empty:
        fig, ax = _figure_and_ax(ax, (8.0, 4.0))
        ax.set_title(title, loc="left")
        ax.set_xlabel("Periods since first period")
        ax.set_ylabel("Cohort")
        _no_data(ax)
        return _finish(fig, own)
    shares, counts = _retention_matrix(retention_df)
    shares = shares.sort_index()
    n_rows, n_cols = shares.shape
    annotated = n_rows * n_cols <= 400
    # cells with a percentage in them need room for it; colour-only cells can be smaller
    # (24 × 24 monthly cohorts: 13.8 × 9.2 in instead of 19.8 × 12.1 in, cheaper to save)
    cell_w, cell_h = (0.7, 0.42) if annotated else (0.45, 0.3)
    fig, ax = _figure_and_ax(ax, (max(6.0, cell_w * n_cols + 3.0), max(3.5, cell_h * n_rows + 2.0)))
    ax.set_title(title, loc="left")
    values = shares.to_numpy(dtype=float)
    # period 0 is the cohort itself (always 100%): drawn in grey so that the colour scale
    # spans the returns people care about (periods 1, 2, ...), not 0-100%
    period0 = [i for i, c in enumerate(shares.columns) if str(c) == "0"]
    colour_values = values.copy()
    colour_values[:, period0] = np.nan
    top = float(np.nanmax(colour_values)) if np.isfinite(colour_values).any() else 1.0
    vmax = min(1.0, max(0.05, math.ceil(top * 20) / 20))
    image = ax.imshow(np.ma.masked_invalid(colour_values), cmap=st.SEQUENTIAL_CMAP, vmin=0, vmax=vmax,
                      aspect="auto")
    for r in range(n_rows):
        for c in period0:
            if np.isfinite(values[r, c]):
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=st.NEUTRAL_LIGHT, edgecolor="none"))
    cmap = image.get_cmap()
    if annotated:
        for r in range(n_rows):
            for c in range(n_cols):
                v = values[r, c]
                if np.isfinite(v):
                    rgba = cmap(min(v / vmax, 1.0)) if c not in period0 else (0.9, 0.9, 0.9, 1)
                    light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
                    ax.text(c, r, f"{v:.0%}", ha="center", va="center",
                            color=st.INK if light else "white", fontsize=st.FONT_SIZES["tiny"])
    ylabels = [str(c)[:10] for c in shares.index]
    if counts is not None and len(counts.columns):
        first = counts.reindex(shares.index).iloc[:, 0]
        ylabels = [f"{lab} (n {int(v):,})" if pd.notna(v) else lab
                   for lab, v in zip(ylabels, first, strict=True)]
    ax.set_yticks(range(n_rows), ylabels)
    ax.set_xticks(range(n_cols), [str(c) for c in shares.columns])
    ax.set_xlabel("Periods since the cohort's first period" + (" (0 = the cohort itself, grey)" if period0 else ""))
    ax.set_ylabel("Cohort (first period)")
    ax.spines[:].set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("Returned in that period (% of cohort)")
    bar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- emotion curve


@_styled
def emotion_curve_chart(curve_df: pd.DataFrame, *, ax: Axes | None = None,
                        title: str = "Emotion curve along the journey") -> Figure:
    """The emotion curve from ``feedback.emotion_curve``: sentiment per stage.

    Solid line: mean sentiment of comments and tickets (−1 very negative … +1 very
    positive) with its 95 % interval as a band; dashed line: the workshop's emotion
    (−2…+2) halved onto the same scale; under each stage the CSAT and n.

    Example:
        >>> emotion_curve_chart(emotion_curve(ws)).savefig("emotion.png")  # doctest: +SKIP
    """
    _require(curve_df, ["stage"], "emotion_curve_chart")
    frame = curve_df
    if "touchpoint" in frame:
        frame = frame[frame["touchpoint"].isna()]
    own = ax is None
    n = len(frame)
    fig, ax = _figure_and_ax(ax, (max(7.0, 1.4 * n + 2.0), 4.8))
    ax.set_title(title, loc="left")
    x = np.arange(n)
    names = [(_text(a) if "stage_name" in frame else "") or _text(b)
             for a, b in zip(frame.get("stage_name", frame["stage"]), frame["stage"], strict=True)]
    col = lambda c: pd.to_numeric(frame[c], errors="coerce").to_numpy(float) if c in frame \
        else np.full(n, np.nan)  # noqa: E731
    sent, low, high = col("sentiment"), col("sentiment_low"), col("sentiment_high")
    workshop = col("workshop_emotion") / 2.0
    ax.axhline(0, color=st.GRID, linewidth=1.0)
    drawn = False
    if np.isfinite(sent).any():
        ax.fill_between(x, low, high, color=st.MAIN_COLOR, alpha=0.18, linewidth=0,
                        label="95% interval")
        ax.plot(x, sent, color=st.MAIN_COLOR, marker="o", label="sentiment from data")
        drawn = True
    if np.isfinite(workshop).any():
        ax.plot(x, workshop, color=st.SECOND_COLOR, marker="D", linestyle="--",
                label="workshop emotion ÷ 2")
        drawn = True
    fit = _TextFitter(fig)
    per_stage_w = ax.get_position().width * fig.get_size_inches()[0] / max(n, 1) - 0.05
    labels = []
    for k, name in enumerate(names):
        line = "\n".join(fit.wrap(name, per_stage_w, st.FONT_SIZES["tick"], 2))
        n_csat = _num(frame["n_csat"].iloc[k]) if "n_csat" in frame else float("nan")
        if not math.isnan(n_csat) and n_csat > 0:
            line += f"\nCSAT {_fmt_pct(frame['csat'].iloc[k])} (n {int(n_csat)})"
        labels.append(line)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("Sentiment (−1 negative … +1 positive)")
    ax.set_xlabel("Stage")
    if drawn:
        ax.legend(loc="lower right" if np.nanmean(np.r_[sent, workshop]) > 0 else "upper right")
    else:
        _no_data(ax, "no comments, tickets or workshop emotions yet")
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- impact / effort


@_styled
def impact_effort_matrix(scored_df: pd.DataFrame, *, ax: Axes | None = None, top: int = 15,
                         impact_split: float | None = None, effort_split: float | None = None,
                         title: str = "Impact vs effort: what to fix first") -> Figure:
    """Pain points and opportunities on impact × effort, numbered by priority.

    x = effort (1 low … 5 high, workshop estimate), y = impact (the scoring's
    business impact), marker colour = severity 1–5 for pains, blue triangles for
    opportunities. The ``top`` items by priority get their rank as a label and are
    listed with their titles beside the chart. Quadrant lines at ``impact_split``
    and ``effort_split`` — by default the thresholds of :mod:`journeykit.analytics.painpoints`
    (impact ≥ 0.5 is high, effort ≤ 3 is low, so the effort line sits at 3.5), else
    the median impact and 3.5; quadrant names as in ``painpoints``: quick wins (high
    impact, low effort), major projects, fill-ins, reconsider.

    Example:
        >>> impact_effort_matrix(score_pain_points(ws)).savefig("matrix.png")  # doctest: +SKIP
    """
    _require(scored_df, ["impact", "effort"], "impact_effort_matrix")
    own = ax is None
    frame = scored_df.copy()
    frame["impact"] = pd.to_numeric(frame["impact"], errors="coerce")
    frame["effort"] = pd.to_numeric(frame["effort"], errors="coerce").fillna(3.0)
    frame = frame.dropna(subset=["impact"])
    if "priority" in frame:
        frame = frame.sort_values("priority", ascending=False, kind="stable")
    frame = frame.reset_index(drop=True)
    if own:
        fig = _new_figure((12.5, 6.5))
        grid = fig.add_gridspec(1, 2, width_ratios=[1.35, 1.0])
        ax = fig.add_subplot(grid[0, 0])
        side = fig.add_subplot(grid[0, 1])
        side.set_axis_off()
    else:
        fig, side = ax.figure, None
    ax.set_title(title, loc="left")
    ax.set_xlabel("Effort (1 = low … 5 = high)")
    ax.set_ylabel("Impact (priority score units)")
    ax.set_xlim(0.5, 5.5)
    if frame.empty:
        _no_data(ax, "no scored pain points yet")
        return _finish(fig, own)
    impact_max = float(max(frame["impact"].max(), 1.0 if frame["impact"].max() <= 1 else 0))
    impact_min = float(min(0.0, frame["impact"].min()))
    span = max(impact_max - impact_min, 1e-9)
    ax.set_ylim(impact_min - 0.14 * span, impact_max + 0.14 * span)
    if impact_max <= 1.0:
        ax.set_ylabel("Impact (0–1: value at risk, relative)")
    if impact_split is None:
        module_split = _optional("painpoints", "IMPACT_THRESHOLD")
        split = float(module_split) if module_split is not None else float(frame["impact"].median())
    else:
        split = float(impact_split)
    if effort_split is None:
        module_effort = _optional("painpoints", "EFFORT_THRESHOLD")
        effort_split = (float(module_effort) if module_effort is not None else 3.0) + 0.5
    ax.axvline(effort_split, color=st.MUTED, linestyle=":", linewidth=1.2)
    ax.axhline(split, color=st.MUTED, linestyle=":", linewidth=1.2)
    top_y = impact_max + 0.13 * span
    bottom_y = impact_min - 0.13 * span
    for xq, yq, name, va in ((0.6, top_y, "quick wins", "top"), (5.4, top_y, "major projects", "top"),
                             (0.6, bottom_y, "fill-ins", "bottom"),
                             (5.4, bottom_y, "reconsider", "bottom")):
        ax.text(xq, yq, name, ha="left" if xq < 3 else "right", va=va, color=st.MUTED,
                fontsize=st.FONT_SIZES["small"], style="italic")
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.18, 0.18, len(frame))
    kinds = frame["kind"].map(lambda k: _text(k).lower()) if "kind" in frame else pd.Series(
        "pain", index=frame.index)
    sev = _severity_1_to_5(frame["severity"]) if "severity" in frame else pd.Series(
        np.nan, index=frame.index)
    for k, row in frame.iterrows():
        is_opp = kinds[k] == "opportunity"
        color = st.OPPORTUNITY_COLOR if is_opp else st.severity_color(sev[k])
        (pt,) = ax.plot(row["effort"] + jitter[k], row["impact"], marker="^" if is_opp else "o",
                        markersize=(15 if is_opp else 13) if k < top else 7, color=color, markeredgecolor=st.INK,
                        markeredgewidth=0.6, linestyle="none", alpha=0.95)
        pt.set_gid(f"{'opportunity' if is_opp else 'pain'}:{_text(row.get('id', k))}")
        if k < top:
            rgba = pt.get_color()
            dark = color in (st.SEVERITY_COLORS[5], st.SEVERITY_COLORS[4], st.OPPORTUNITY_COLOR)
            ax.text(row["effort"] + jitter[k], row["impact"] - (0.012 * span if is_opp else 0),
                    str(k + 1), ha="center", va="center", fontsize=st.FONT_SIZES["tiny"],
                    weight="bold", color="white" if dark else st.INK)
            del rgba
    handles = [Patch(facecolor=st.SEVERITY_COLORS[s], edgecolor=st.INK, label=f"severity {s}")
               for s in range(1, 6)]
    handles.append(Line2D([], [], marker="^", color=st.OPPORTUNITY_COLOR, linestyle="none",
                          markeredgecolor=st.INK, label="opportunity"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=6,
              fontsize=st.FONT_SIZES["tiny"])
    if side is not None:
        fit = _TextFitter(fig)
        width = side.get_position().width * fig.get_size_inches()[0] - 0.1
        size = st.FONT_SIZES["text"]
        step = _line_height(size) / (side.get_position().height * fig.get_size_inches()[1])
        y = 0.98
        t = side.text(0, y, f"Top {min(top, len(frame))} by priority", transform=side.transAxes,
                      va="top", fontsize=st.FONT_SIZES["text"], weight="bold")
        y -= step * 1.4
        text_col = "title" if "title" in frame else ("description" if "description" in frame
                                                     else "id")
        for k, row in frame.head(top).iterrows():
            label = f"{k + 1}. {_text(row.get(text_col)) or _text(row.get('id'))}"
            where = _text(row.get("touchpoint_name")) or _text(row.get("stage"))
            if where:
                label += f" ({where})"
            lines = fit.wrap(label, width, size, 2)
            if y - step * len(lines) < 0.0:
                break
            t = side.text(0, y, "\n".join(lines), transform=side.transAxes, va="top",
                          fontsize=size, linespacing=1.15)
            t.set_parse_math(False)
            y -= step * len(lines) + step * 0.3
    return _finish(fig, own)


# --------------------------------------------------------------------------- KPI charts


_KPI_UNITS = {
    "nps": "NPS (−100…100)",
    "csat": "CSAT (share of 4–5 answers)",
    "ces": "CES (mean 1–7)",
    "conversion": "Conversion (share)",
    "retention": "Retention (share)",
    "clv": "CLV (currency)",
}


def _kpi_axis_label(kpi: str, unit: str | None = None, label: str | None = None) -> str:
    if label and unit:
        return f"{label} ({unit})"
    if label:
        return label
    base = _KPI_UNITS.get(kpi.lower())
    if base:
        return base
    return f"{kpi} ({unit})" if unit else kpi


def _targets_map(targets: Any) -> dict[str, dict[str, Any]]:
    if targets is None:
        return {}
    if isinstance(targets, pd.DataFrame):
        _require(targets, ["kpi", "target"], "kpi_trend targets")
        return {str(r["kpi"]): {"target": r["target"], "warning": r.get("warning", 0),
                                "direction": r.get("direction", "higher")}
                for _, r in targets.iterrows()}
    if isinstance(targets, Mapping):
        out = {}
        for kpi, spec in targets.items():
            out[str(kpi)] = dict(spec) if isinstance(spec, Mapping) else {"target": spec}
        return out
    raise JourneykitError("kpi_trend: targets must be journey.yaml's kpis mapping or a "
                          "scorecard DataFrame (kpi, target, warning, direction)")


@_styled
def kpi_trend(history_df: pd.DataFrame, targets: Any = None, *, kpis: Sequence[str] | None = None,
              ax: Axes | None = None, title: str = "KPI trends across runs") -> Figure:
    """Each KPI across runs (``kpis.kpi_history``): value, 95 % band, target.

    One small panel per KPI (or the single ``ax`` when one KPI is drawn). The
    target from ``targets`` (journey.yaml ``kpis`` mapping or a scorecard frame) is
    a dashed vermillion line, its warning band a light shade on the losing side.

    Example:
        >>> kpi_trend(kpi_history("reports"), ws.config.kpis).savefig("trend.png")  # doctest: +SKIP
    """
    _require(history_df, ["run_id", "kpi", "value"], "kpi_trend")
    goals = _targets_map(targets)
    names = list(kpis) if kpis is not None else list(dict.fromkeys(history_df["kpi"].astype(str)))
    if ax is not None and len(names) > 1:
        raise JourneykitError("kpi_trend: ax= draws one KPI; pass kpis=[name] as well")
    runs = sorted(dict.fromkeys(history_df["run_id"].astype(str)))
    own = ax is None
    if own:
        cols = min(3, max(1, len(names)))
        rows = max(1, math.ceil(len(names) / cols))
        fig = _new_figure((4.6 * cols + 0.6, 3.4 * rows + 0.8))
        axes = [fig.add_subplot(rows, cols, k + 1) for k in range(max(1, len(names)))]
        fig.suptitle(title, x=0.01, ha="left")
    else:
        fig, axes = ax.figure, [ax]
    if not names:
        _no_data(axes[0], "no KPI history yet: it grows with every run")
        axes[0].set_xlabel("Run")
        axes[0].set_ylabel("Value")
        return _finish(fig, own)
    position = {r: k for k, r in enumerate(runs)}
    for panel, kpi in zip(axes, names, strict=False):
        rows_k = history_df[history_df["kpi"].astype(str) == kpi].copy()
        rows_k["x"] = rows_k["run_id"].astype(str).map(position)
        rows_k = rows_k.sort_values("x")
        x = rows_k["x"].to_numpy(float)
        y = pd.to_numeric(rows_k["value"], errors="coerce").to_numpy(float)
        label = _text(rows_k["label"].iloc[0]) if "label" in rows_k and len(rows_k) else ""
        unit = _text(rows_k["unit"].iloc[0]) if "unit" in rows_k and len(rows_k) else ""
        if {"ci_low", "ci_high"} <= set(rows_k.columns):
            lo = pd.to_numeric(rows_k["ci_low"], errors="coerce").to_numpy(float)
            hi = pd.to_numeric(rows_k["ci_high"], errors="coerce").to_numpy(float)
            if np.isfinite(lo).any():
                panel.fill_between(x, lo, hi, color=st.MAIN_COLOR, alpha=0.18, linewidth=0,
                                   label="95% interval")
        panel.plot(x, y, color=st.MAIN_COLOR, marker="o", label="value")
        goal = goals.get(kpi)
        if goal and goal.get("target") is not None and not math.isnan(_num(goal.get("target"))):
            target = _num(goal["target"])
            panel.axhline(target, color=st.TARGET_COLOR, linestyle="--", linewidth=1.5,
                          label=f"target {target:g}")
            warning = _num(goal.get("warning", 0))
            if warning and not math.isnan(warning):
                lower = str(goal.get("direction", "higher")).lower() == "lower"
                band = (target, target + warning) if lower else (target - warning, target)
                panel.axhspan(*band, color=st.TARGET_COLOR, alpha=0.08, linewidth=0,
                              label="at-risk band")
        panel.set_title(label or kpi, loc="left", fontsize=st.FONT_SIZES["subtitle"])
        panel.set_ylabel(_kpi_axis_label(kpi, unit))
        panel.set_xlabel("Run")
        panel.set_xticks(range(len(runs)), [r[:16] for r in runs],
                         rotation=30 if len(runs) > 2 else 0, ha="right" if len(runs) > 2 else "center")
        panel.set_xlim(-0.5, len(runs) - 0.5)
        panel.grid(axis="y")
        if not np.isfinite(y).any():
            _no_data(panel)
        panel.legend(loc="best", fontsize=st.FONT_SIZES["tiny"])
        _plain_ticks(panel)
    if own:
        for extra in axes[len(names):]:
            extra.set_axis_off()
    return _finish(fig, own)


_KPI_TABLE_STANDARD = {"kpi", "value", "n", "ci_low", "ci_high", "small_sample", "label",
                       "unit", "invalid"}


@_styled
def kpi_by_group(kpi_table_df: pd.DataFrame, kpi: str, *, ax: Axes | None = None,
                 title: str | None = None, labels: Mapping[str, str] | None = None) -> Figure:
    """One KPI across groups (``kpis.kpi_table``): point and 95 % interval per group.

    Groups flagged ``small_sample`` (n < 30) are drawn hollow and marked "(small n)";
    groups with no answers say "no data". The group label is the ``by`` column(s),
    shown through ``labels`` (id -> display name, e.g. ``ws.labels("persona")``).

    Example:
        >>> kpi_by_group(kpi_table(ws.feedback, by="stage"), "nps")   # doctest: +SKIP
    """
    _require(kpi_table_df, ["kpi", "value"], "kpi_by_group")
    rows = kpi_table_df[kpi_table_df["kpi"].astype(str) == kpi].reset_index(drop=True)
    by = [c for c in rows.columns if c not in _KPI_TABLE_STANDARD]
    own = ax is None
    fig, ax = _figure_and_ax(ax, (8.0, max(3.2, 0.45 * len(rows) + 1.8)))
    ax.set_title(title or f"{kpi.upper() if len(kpi) <= 4 else kpi} by "
                 f"{', '.join(by) if by else 'group'}", loc="left")
    ax.set_xlabel(_kpi_axis_label(kpi))
    ax.set_ylabel(", ".join(by) if by else "Group")
    if rows.empty:
        _no_data(ax, f"no {kpi} answers")
        return _finish(fig, own)
    tick_labels = []
    y = np.arange(len(rows))[::-1]
    values = pd.to_numeric(rows["value"], errors="coerce").to_numpy(float)
    lo = pd.to_numeric(rows.get("ci_low"), errors="coerce").to_numpy(float) if "ci_low" in rows \
        else np.full(len(rows), np.nan)
    hi = pd.to_numeric(rows.get("ci_high"), errors="coerce").to_numpy(float) if "ci_high" in rows \
        else np.full(len(rows), np.nan)
    small = rows["small_sample"].fillna(False).astype(bool).to_numpy() if "small_sample" in rows \
        else np.zeros(len(rows), bool)
    ns = pd.to_numeric(rows.get("n"), errors="coerce").to_numpy(float) if "n" in rows \
        else np.full(len(rows), np.nan)
    for k, row in rows.iterrows():
        name = " / ".join((labels or {}).get(_text(row[c]), _text(row[c])) or "(blank)" for c in by) \
            if by else str(k + 1)
        suffix = f" (n {int(ns[k])})" if np.isfinite(ns[k]) else ""
        if small[k] and np.isfinite(values[k]):
            suffix += " small n"
        tick_labels.append(name + suffix)
        if not np.isfinite(values[k]):
            continue
        err = None
        if np.isfinite(lo[k]) and np.isfinite(hi[k]):
            err = [[max(0.0, values[k] - lo[k])], [max(0.0, hi[k] - values[k])]]
        ax.errorbar(values[k], y[k], xerr=err, fmt="o", markersize=8,
                    color=st.MAIN_COLOR, ecolor=st.MAIN_COLOR, capsize=4,
                    markerfacecolor="white" if small[k] else st.MAIN_COLOR,
                    markeredgewidth=1.6, gid="small-sample" if small[k] else "group")
    for k in range(len(rows)):
        if not np.isfinite(values[k]):
            ax.text(0.02, y[k], "no data", transform=ax.get_yaxis_transform(), va="center",
                    color=st.MUTED, style="italic", fontsize=st.FONT_SIZES["small"])
    ax.set_yticks(y, tick_labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="x")
    if small.any():
        ax.legend(handles=[
            Line2D([], [], marker="o", color=st.MAIN_COLOR, linestyle="none", label="n ≥ 30"),
            Line2D([], [], marker="o", color=st.MAIN_COLOR, markerfacecolor="white",
                   linestyle="none", label="small sample (n < 30)")],
            loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    _plain_ticks(ax)
    return _finish(fig, own)


# --------------------------------------------------------------------------- persona cards


@_styled
def persona_card_figure(cards: pd.DataFrame | pd.Series, *, currency: str = "") -> Figure:
    """Persona cards (``personas.persona_cards``) as a printable grid, three per row.

    Each card: name, quote, demographics, goals, frustrations, preferred channels and
    the data — share of customers and revenue, CLV, NPS (with n), top pain point.
    Texts are wrapped and shortened to fit the card.

    Example:
        >>> persona_card_figure(persona_cards(ws)).savefig("personas.png")  # doctest: +SKIP
    """
    frame = cards.to_frame().T if isinstance(cards, pd.Series) else cards
    _require(frame, ["name"], "persona_card_figure")
    count = max(1, len(frame))
    cols = min(3, count)
    rows = math.ceil(count / cols)
    card_w, card_h = 5.3, 4.3
    fig = _new_figure((card_w * cols + 0.3, card_h * rows + 0.9))
    w, h = fig.get_size_inches()
    canvas_ax = fig.add_axes((0, 0, 1, 1))
    canvas_ax.set_xlim(0, w)
    canvas_ax.set_ylim(0, h)
    canvas_ax.set_axis_off()
    fit = _TextFitter(fig)
    t = canvas_ax.text(0.2, h - 0.2, "Personas with evidence from data", fontsize=16,
                       weight="bold", va="top")
    if frame.empty:
        t2 = canvas_ax.text(w / 2, h / 2, "no personas yet", ha="center", va="center",
                            color=st.MUTED, style="italic", fontsize=12)
        _plain([t, t2])
        return fig
    size = st.FONT_SIZES["text"]
    lh = _line_height(size)
    written = []
    for k, (_, row) in enumerate(frame.iterrows()):
        r, c = divmod(k, cols)
        x = 0.15 + c * card_w
        top = h - 0.75 - r * card_h
        bottom = top - card_h + 0.15
        canvas_ax.add_patch(Rectangle((x, bottom), card_w - 0.15, card_h - 0.15,
                                      facecolor="#F7F7F7", edgecolor=st.MAIN_COLOR,
                                      linewidth=1.2))
        inner = card_w - 0.45
        # data block at the bottom: 4 facts + up to 2 lines of top pain point
        block_top = bottom + 0.12 + 6 * lh + 0.12
        y = top - 0.15
        name = fit.shorten(_text(row.get("name")) or _text(row.get("id")), inner, 13, weight="bold")
        written.append(canvas_ax.text(x + 0.15, y, name, fontsize=13, weight="bold", va="top",
                                      color=st.MAIN_COLOR))
        y -= 0.34
        blocks = [(f"“{_text(row.get('quote'))}”" if _text(row.get("quote")) else "", "italic")]
        blocks += [(f"{head}: {_text(value)}" if _text(value) else "", "normal") for head, value in
                   (("Who", row.get("demographics")), ("Goals", row.get("goals")),
                    ("Frustrations", row.get("frustrations")),
                    ("Channels", ", ".join(_split_list(row.get("preferred_channels")))))]
        for text, fstyle in blocks:
            room = int((y - block_top) // lh)
            if not text or room <= 0:
                continue
            lines = fit.wrap(text, inner, size, min(2, room), style=fstyle)
            written.append(canvas_ax.text(x + 0.15, y, "\n".join(lines), fontsize=size,
                                          va="top", style=fstyle, linespacing=1.15))
            y -= len(lines) * lh + 0.05
        y = block_top
        canvas_ax.plot([x + 0.15, x + card_w - 0.3], [y + 0.04, y + 0.04], color=st.GRID)
        money = _num(row.get("clv"))
        nps_n = _num(row.get("nps_n"))
        facts = [
            f"Customers: {_fmt_pct(row.get('share_customers'))}"
            + (f" ({_fmt_int(row.get('n_customers'))})" if "n_customers" in row else ""),
            f"Revenue: {_fmt_pct(row.get('share_revenue'))}",
            "CLV: " + ("–" if math.isnan(money) else f"{money:,.0f} {currency}".strip()),
            "NPS: " + ("–" if math.isnan(_num(row.get("nps"))) else
                       f"{_num(row.get('nps')):+.0f}" + (f" (n {int(nps_n)})" if not
                                                         math.isnan(nps_n) else "")),
        ]
        y -= 0.04
        for fact in facts:
            written.append(canvas_ax.text(x + 0.15, y, fit.shorten(fact, inner, size,
                                                                   weight="bold"),
                                          fontsize=size, va="top", weight="bold"))
            y -= lh
        pain = _text(row.get("top_pain_point"))
        if pain:
            lines = fit.wrap(f"Top pain point: {pain}", inner, size, 2)
            written.append(canvas_ax.text(x + 0.15, y, "\n".join(lines), fontsize=size,
                                          va="top", color=st.SEVERITY_COLORS[5],
                                          linespacing=1.15))
    _plain(written)
    _plain([t])
    return fig
