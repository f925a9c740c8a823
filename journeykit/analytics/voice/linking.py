"""Linking the voice of the customer to the journey: every survey comment and ticket text
gets a sentiment, its personal data masked, and a stage, touchpoint and theme.

* **Linking**: explicit ``stage`` / ``touchpoint`` columns win. Otherwise the keyword
  rules of journey.yaml ``themes:`` fill what is missing::

      themes:
        delivery: {keywords: [late, delivery, courier], stage: post_purchase, touchpoint: tp_delivery}

  Keywords match as whole words (``late`` matches "Late!" but not "latest"),
  case-insensitively. When several themes match, the one consistent with an explicit
  touchpoint/stage wins, then the one with most keyword hits, then the first in
  journey.yaml.
* **Themes**: an explicit ``theme`` column (feedback or tickets), or a ticket
  ``category`` equal to a theme name, gives ``theme_source == "column"``; a keyword
  match gives ``"keyword"``; otherwise the theme is missing.

The linked items (:func:`_voice_items`) are shared with the emotion curve and the pain
points.

Example:
    >>> analyze_feedback(ws).groupby("stage")["sentiment"].mean()   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

import numpy as np
import pandas as pd

from journeykit.analytics.voice.pii import mask_pii
from journeykit.analytics.voice.sentiment import sentiment
from journeykit.core.cells import cell_text
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

__all__ = ["ANALYSIS_COLUMNS", "analyze_feedback", "linked_feedback"]

ANALYSIS_COLUMNS = [
    "source", "id", "customer_id", "date", "text", "sentiment",
    "stage", "touchpoint", "theme", "theme_source",
]


# --------------------------------------------------------------------------- workspace access


_T = TypeVar("_T")


def _memo(ws: Workspace, key: tuple, compute: Callable[[], _T]) -> _T:
    """``compute()`` once per workspace state (``Workspace.memo``; cleared by ``save_table``).
    A DataFrame result is handed out as a copy, so a caller changing it cannot change
    what the next caller gets."""
    result = ws.memo(key, compute)
    return result.copy() if isinstance(result, pd.DataFrame) else result


def _stages(ws: Workspace) -> list[tuple[str, str, float]]:
    """[(stage id, stage name, workshop emotion or NaN)] in journey.yaml order."""
    out = []
    for stage in ws.config.stages:
        emotion = stage.emotion
        out.append((stage.id, stage.name or stage.id,
                    float(emotion) if emotion is not None and not pd.isna(emotion) else float("nan")))
    return out


def _clean(value: object) -> str | None:
    """A cell as text, None when blank (:func:`journeykit.core.cells.cell_text`)."""
    return cell_text(value) or None


def _touchpoint_info(ws: Workspace) -> pd.DataFrame:
    """Touchpoints indexed by id with columns stage, name, channel, owner, emotion."""
    tps = ws.touchpoints
    columns = ["stage", "name", "channel", "owner", "emotion"]
    if tps is None or "id" not in tps.columns:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    out = pd.DataFrame(index=pd.Index(tps["id"].astype("string"), name="id"))
    for column in columns:
        out[column] = tps[column].to_numpy() if column in tps.columns else None
    out["emotion"] = pd.to_numeric(out["emotion"], errors="coerce").astype("float64")
    return out[~out.index.duplicated()]


class _Theme:
    __slots__ = ("label", "name", "pattern", "stage", "touchpoint")

    def __init__(self, name: str, keywords: list[str], stage: str | None, touchpoint: str | None,
                 label: str | None = None):
        self.name = name
        self.label = label or name.replace("_", " ")
        self.stage = stage
        self.touchpoint = touchpoint
        words = sorted({k.strip() for k in keywords if k and k.strip()}, key=len, reverse=True)
        self.pattern = (
            re.compile("(?<!\\w)(?:" + "|".join(re.escape(w) for w in words) + ")(?!\\w)", re.I)
            if words
            else None
        )


def _themes(ws: Workspace, tp_info: pd.DataFrame) -> list[_Theme]:
    """The keyword rules of journey.yaml ``themes:`` (checked by the config reader: each is
    a mapping with a ``keywords`` list), in journey.yaml order."""
    if not isinstance(ws.config.themes, Mapping):
        raise JourneykitError(
            f"journey.yaml 'themes' must be a mapping of theme name -> "
            f"{{keywords: [...], stage, touchpoint}}, got {type(ws.config.themes).__name__}"
        )
    themes = []
    for name, rule in ws.config.themes.items():
        keywords = rule.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [k for k in re.split(r"[;,]", keywords)]
        touchpoint = _clean(rule.get("touchpoint"))
        stage = _clean(rule.get("stage"))
        if stage is None and touchpoint is not None and touchpoint in tp_info.index:
            stage = _clean(tp_info.at[touchpoint, "stage"])
        themes.append(_Theme(str(name), [str(k) for k in keywords], stage, touchpoint,
                             _clean(rule.get("label"))))
    return themes


def _link_rows(
    texts: list[str | None],
    stages: list[str | None],
    touchpoints: list[str | None],
    explicit_themes: list[str | None],
    themes: list[_Theme],
    tp_info: pd.DataFrame,
) -> tuple[list, list, list, list]:
    """Stage, touchpoint, theme and theme_source of each row (see the module docstring)."""
    by_name = {t.name.lower(): t for t in themes}
    out_stage, out_tp, out_theme, out_source = [], [], [], []
    keyword_hits: dict[str, list[tuple[int, _Theme, int]]] = {}  # texts repeat: match once

    def hits_of(text: str) -> list[tuple[int, _Theme, int]]:
        if text not in keyword_hits:
            found = []
            for order, candidate in enumerate(themes):
                if candidate.pattern is None:
                    continue
                hits = len(candidate.pattern.findall(text))
                if hits:
                    found.append((order, candidate, hits))
            keyword_hits[text] = found
        return keyword_hits[text]

    stage_of_tp = {tp_id: _clean(value) for tp_id, value in
                   zip(tp_info.index.tolist(), tp_info["stage"].tolist(), strict=True)}
    for text, stage, tp, explicit in zip(texts, stages, touchpoints, explicit_themes, strict=True):
        if tp is not None and stage is None and tp in stage_of_tp:
            stage = stage_of_tp[tp]
        theme: _Theme | None = None
        source = None
        if explicit is not None:
            theme = by_name.get(explicit.lower())
            source = "column"
            theme_name = theme.name if theme is not None else explicit
        else:
            theme_name = None
            if text:
                best_key = None
                for order, candidate, hits in hits_of(text):
                    consistent = (tp is not None and candidate.touchpoint == tp) or (
                        tp is None and stage is not None and candidate.stage == stage
                    )
                    key = (consistent, hits, -order)
                    if best_key is None or key > best_key:
                        best_key, theme = key, candidate
                if theme is not None:
                    theme_name, source = theme.name, "keyword"
        if theme is not None:
            if tp is None and theme.touchpoint is not None and (
                stage is None or stage == theme.stage
            ):
                tp = theme.touchpoint
            if stage is None:
                stage = theme.stage
        out_stage.append(stage)
        out_tp.append(tp)
        out_theme.append(theme_name)
        out_source.append(source)
    return out_stage, out_tp, out_theme, out_source


def _column(frame: pd.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [_clean(v) for v in frame[name].astype("object").tolist()]


def _linked_feedback(ws: Workspace) -> pd.DataFrame | None:
    """Every feedback row (with or without comment) with stage, touchpoint, theme linked."""
    feedback = ws.feedback
    if feedback is None:
        return None
    tp_info = _touchpoint_info(ws)
    themes = _themes(ws, tp_info)
    comments = _column(feedback, "comment")
    stage, tp, theme, source = _link_rows(
        comments, _column(feedback, "stage"), _column(feedback, "touchpoint"),
        _column(feedback, "theme"), themes, tp_info,
    )
    out = pd.DataFrame(index=feedback.index)
    out["id"] = [f"feedback-{i + 1}" for i in range(len(feedback))]
    out["customer_id"] = _column(feedback, "customer_id")
    out["date"] = feedback["date"] if "date" in feedback.columns else pd.NaT
    out["comment"] = comments
    out["stage"], out["touchpoint"], out["theme"], out["theme_source"] = stage, tp, theme, source
    out["csat"] = (
        pd.to_numeric(feedback["csat"], errors="coerce").astype("float64")
        if "csat" in feedback.columns else np.nan
    )
    return out


def linked_feedback(ws: Workspace) -> pd.DataFrame | None:
    """``ws.feedback`` with its ``stage`` and ``touchpoint`` as the voice of the customer
    links them (the row's own columns first, else its touchpoint's stage, else the keyword
    themes of journey.yaml): the one stage of an answer, shared by the emotion curve, the
    journey map and "CSAT by stage" (``kpi_table(linked_feedback(ws), by="stage")``).
    None without a feedback table.

    Example:
        >>> kpi_table(linked_feedback(ws), by="stage", levels={"stage": ws.stage_ids})  # doctest: +SKIP
    """
    feedback = ws.feedback
    linked = _linked_feedback(ws)
    if feedback is None or linked is None:
        return None
    out = feedback.copy()
    out["stage"] = pd.array(linked["stage"].tolist(), dtype="string")
    out["touchpoint"] = pd.array(linked["touchpoint"].tolist(), dtype="string")
    return out


def _linked_tickets(ws: Workspace) -> pd.DataFrame | None:
    tickets = ws.tickets
    if tickets is None:
        return None
    tp_info = _touchpoint_info(ws)
    themes = _themes(ws, tp_info)
    names = {t.name.lower(): t.name for t in themes}
    explicit = _column(tickets, "theme")
    categories = _column(tickets, "category")
    explicit = [
        e if e is not None else (names.get(c.lower()) if c is not None else None)
        for e, c in zip(explicit, categories, strict=True)
    ]
    texts = _column(tickets, "text")
    stage, tp, theme, source = _link_rows(
        texts, _column(tickets, "stage"), _column(tickets, "touchpoint"), explicit, themes, tp_info,
    )
    out = pd.DataFrame(index=tickets.index)
    ids = _column(tickets, "ticket_id")
    out["id"] = [i if i is not None else f"ticket-{n + 1}" for n, i in enumerate(ids)]
    out["customer_id"] = _column(tickets, "customer_id")
    out["date"] = tickets["opened"] if "opened" in tickets.columns else pd.NaT
    out["comment"] = texts
    out["stage"], out["touchpoint"], out["theme"], out["theme_source"] = stage, tp, theme, source
    return out


def _voice_items(ws: Workspace) -> pd.DataFrame:
    """Every feedback row and ticket, linked: source, id, customer_id, date, text (masked,
    may be missing), sentiment (NaN without text), stage, touchpoint, theme, theme_source,
    csat (float, NaN for tickets or no answer). Internal: shared with painpoints.
    Computed once per workspace state (``Workspace.memo``)."""
    return _memo(ws, ("feedback._voice_items",), lambda: _compute_voice_items(ws))


def _compute_voice_items(ws: Workspace) -> pd.DataFrame:
    parts = []
    for source, linked in (("feedback", _linked_feedback(ws)), ("ticket", _linked_tickets(ws))):
        if linked is None or linked.empty:
            continue
        parts.append(pd.DataFrame({
            "source": source,
            "id": linked["id"].to_numpy(),
            "customer_id": linked["customer_id"].to_numpy(),
            "date": pd.to_datetime(linked["date"], errors="coerce").to_numpy(),
            "text": [mask_pii(t) for t in linked["comment"]],
            "sentiment": sentiment(linked["comment"]).to_numpy(),
            "stage": linked["stage"].to_numpy(),
            "touchpoint": linked["touchpoint"].to_numpy(),
            "theme": linked["theme"].to_numpy(),
            "theme_source": linked["theme_source"].to_numpy(),
            "csat": linked["csat"].to_numpy(dtype="float64") if "csat" in linked.columns
            else np.nan,
        }))
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype="string") for c in ANALYSIS_COLUMNS})
        out["date"] = pd.Series(dtype="datetime64[us]")
        out["sentiment"] = pd.Series(dtype="float64")
        out["csat"] = pd.Series(dtype="float64")
        return out
    out = pd.concat(parts, ignore_index=True)
    for column in ("source", "id", "customer_id", "text", "stage", "touchpoint", "theme",
                   "theme_source"):
        out[column] = out[column].astype("string")
    out["sentiment"] = out["sentiment"].astype("float64")
    out["csat"] = out["csat"].astype("float64")
    return out


def analyze_feedback(ws: Workspace) -> pd.DataFrame:
    """One row per comment (``feedback.comment``) and ticket text (``tickets.text``).

    Rows without text are left out. Columns:

    ============  ===================================================================
    source        ``"feedback"`` or ``"ticket"``
    id            ``feedback-<n>`` (n = row of the feedback table, 1-based) or ticket_id
    customer_id   string, may be missing
    date          feedback ``date`` / ticket ``opened`` (datetime)
    text          the text with e-mails and phone numbers masked (:func:`mask_pii`)
    sentiment     VADER compound, −1 … +1
    stage         stage id: explicit column, else touchpoint's stage, else the theme's
    touchpoint    touchpoint id: explicit column, else the theme's
    theme         theme name (journey.yaml ``themes:``) or missing
    theme_source  ``"column"`` (theme / ticket category column), ``"keyword"`` or missing
    ============  ===================================================================

    An empty frame with these columns when the workspace has neither table.

    Example:
        >>> analysis = analyze_feedback(ws)                          # doctest: +SKIP
        >>> analysis.groupby("stage")["sentiment"].mean()            # doctest: +SKIP
    """
    def compute() -> pd.DataFrame:
        items = _voice_items(ws)
        return items[items["text"].notna()].reset_index(drop=True)[ANALYSIS_COLUMNS]

    return _memo(ws, ("feedback.analyze_feedback",), compute)
