"""Linking the voice of the customer to the journey: every survey comment and ticket text
gets a sentiment, its personal data masked, where it was asked, what it is about, and a
theme.

* **Where asked** (``asked_stage``, ``asked_at``): the stage and touchpoint where the
  survey was sent: feedback ``stage`` and ``asked_at`` (``touchpoint`` is the older name
  of ``asked_at``); a missing stage is the asked-at touchpoint's. CSAT per stage counts an
  answer here (:func:`journeykit.analytics.voice.emotion_curve`). A ticket is not asked.
* **What about** (``about_stage``, ``about``; ``about_source`` says which rule gave it):
  an explicit column (feedback ``about``, a ticket's ``touchpoint``) gives ``"column"``;
  else the theme's touchpoint and stage (``"theme"``; a theme with a stage and no
  touchpoint keeps the asked-at touchpoint when it is in that stage); else where it was
  asked (``"asked"``). Pain-point evidence and the sentiment per stage count a text here,
  so "my parcel never arrived", answered in the survey e-mail, is evidence for delivery::

      themes:
        delivery: {keywords: [late, delivery, courier], stage: post_purchase, touchpoint: tp_delivery}

  Keywords match as whole words (``late`` matches "Late!" but not "latest"),
  case-insensitively. When several themes match, the one consistent with the explicit
  ``about`` (else with where it was asked) wins, then the one with most keyword hits,
  then the first in journey.yaml.
* **Themes**: an explicit ``theme`` column (feedback or tickets), or a ticket
  ``category`` equal to a theme name, gives ``theme_source == "column"``; a keyword
  match gives ``"keyword"``; otherwise the theme is missing.

The linked items (:func:`_voice_items`) are shared with the emotion curve and the pain
points.

Example:
    >>> analyze_feedback(ws).groupby("about_stage")["sentiment"].mean()   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

import numpy as np
import pandas as pd

from journeykit.analytics.voice.pii import mask_pii
from journeykit.analytics.voice.sentiment import sentiment
from journeykit.analytics.voice.stopwords import fold
from journeykit.core.cells import cell_text
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

__all__ = ["ANALYSIS_COLUMNS", "analyze_feedback", "linked_feedback"]

ANALYSIS_COLUMNS = [
    "source", "id", "customer_id", "date", "text", "sentiment",
    "asked_stage", "asked_at", "about_stage", "about", "about_source", "theme", "theme_source",
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
        words = sorted({fold(k.strip()) for k in keywords if k and k.strip()}, key=len, reverse=True)
        self.pattern = (
            re.compile("(?<!\\w)(?:" + "|".join(re.escape(w) for w in words) + ")(?!\\w)", re.I)
            if words
            else None
        )

    def hits(self, text: str) -> int:
        """How often the theme's keywords occur in ``text``, whatever the case and accents
        ("nao recebi" finds "NÃO RECEBI")."""
        return 0 if self.pattern is None else len(self.pattern.findall(fold(text)))


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


class _Linked:
    """The linking of one table's rows (lists, one value per row)."""

    __slots__ = ("about", "about_source", "about_stage", "asked_at", "asked_stage", "theme",
                 "theme_source")

    def __init__(self) -> None:
        self.asked_stage: list[str | None] = []
        self.asked_at: list[str | None] = []
        self.about_stage: list[str | None] = []
        self.about: list[str | None] = []
        self.about_source: list[str | None] = []
        self.theme: list[str | None] = []
        self.theme_source: list[str | None] = []


def _link_rows(
    texts: list[str | None],
    asked_stages: list[str | None],
    asked_tps: list[str | None],
    about_stages: list[str | None],
    about_tps: list[str | None],
    explicit_themes: list[str | None],
    themes: list[_Theme],
    tp_info: pd.DataFrame,
) -> _Linked:
    """Where each row was asked, what it is about, and its theme (see the module
    docstring). ``asked_*``: the survey's stage and touchpoint (feedback); ``about_*``:
    explicit columns saying what the row concerns (feedback ``about``, a ticket's
    ``touchpoint``)."""
    by_name = {t.name.lower(): t for t in themes}
    out = _Linked()
    keyword_hits: dict[str, list[tuple[int, _Theme, int]]] = {}  # texts repeat: match once

    def hits_of(text: str) -> list[tuple[int, _Theme, int]]:
        if text not in keyword_hits:
            found = []
            for order, candidate in enumerate(themes):
                hits = candidate.hits(text)
                if hits:
                    found.append((order, candidate, hits))
            keyword_hits[text] = found
        return keyword_hits[text]

    stage_of_tp = {tp_id: _clean(value) for tp_id, value in
                   zip(tp_info.index.tolist(), tp_info["stage"].tolist(), strict=True)}
    rows = zip(texts, asked_stages, asked_tps, about_stages, about_tps, explicit_themes, strict=True)
    for text, asked_stage, asked_tp, about_stage, about_tp, explicit in rows:
        if asked_tp is not None and asked_stage is None:
            asked_stage = stage_of_tp.get(asked_tp)
        if about_tp is not None and about_stage is None:
            about_stage = stage_of_tp.get(about_tp)
        # the theme consistent with what the row is said to be about (else where it was
        # asked) wins a tie
        ref_tp = about_tp if about_tp is not None or about_stage is not None else asked_tp
        ref_stage = about_stage if about_tp is not None or about_stage is not None else asked_stage
        theme: _Theme | None = None
        theme_source = None
        if explicit is not None:
            theme = by_name.get(explicit.lower())
            theme_source = "column"
            theme_name = theme.name if theme is not None else explicit
        else:
            theme_name = None
            if text:
                best_key = None
                for order, candidate, hits in hits_of(text):
                    consistent = (ref_tp is not None and candidate.touchpoint == ref_tp) or (
                        ref_tp is None and ref_stage is not None and candidate.stage == ref_stage
                    )
                    key = (consistent, hits, -order)
                    if best_key is None or key > best_key:
                        best_key, theme = key, candidate
                if theme is not None:
                    theme_name, theme_source = theme.name, "keyword"
        about_source: str | None
        if about_tp is not None or about_stage is not None:
            about_source = "column"
            if about_tp is None and theme is not None and theme.touchpoint is not None \
                    and about_stage == theme.stage:
                about_tp = theme.touchpoint
        elif theme is not None and (theme.touchpoint is not None or theme.stage is not None):
            about_source = "theme"
            if theme.touchpoint is not None:
                about_tp = theme.touchpoint
                about_stage = theme.stage if theme.stage is not None \
                    else stage_of_tp.get(theme.touchpoint)
            else:
                about_stage = theme.stage
                about_tp = asked_tp if asked_stage == theme.stage else None
        elif asked_tp is not None or asked_stage is not None:
            about_source, about_tp, about_stage = "asked", asked_tp, asked_stage
        else:
            about_source = None
        out.asked_stage.append(asked_stage)
        out.asked_at.append(asked_tp)
        out.about_stage.append(about_stage)
        out.about.append(about_tp)
        out.about_source.append(about_source)
        out.theme.append(theme_name)
        out.theme_source.append(theme_source)
    return out


def _column(frame: pd.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [_clean(v) for v in frame[name].astype("object").tolist()]


_LINK_COLUMNS = ["asked_stage", "asked_at", "about_stage", "about", "about_source", "theme",
                 "theme_source"]


def _put_links(out: pd.DataFrame, linked: _Linked) -> None:
    for column in _LINK_COLUMNS:
        out[column] = getattr(linked, column)


def _asked_touchpoints(feedback: pd.DataFrame) -> list[str | None]:
    """The touchpoint each feedback row was asked at: ``asked_at``, else ``touchpoint``
    (its older name; the loader refuses a row where the two differ)."""
    asked = _column(feedback, "asked_at")
    older = _column(feedback, "touchpoint")
    return [a if a is not None else t for a, t in zip(asked, older, strict=True)]


def _linked_feedback(ws: Workspace) -> pd.DataFrame | None:
    """Every feedback row (with or without comment), linked: where it was asked, what it
    is about, its theme."""
    feedback = ws.feedback
    if feedback is None:
        return None
    tp_info = _touchpoint_info(ws)
    themes = _themes(ws, tp_info)
    comments = _column(feedback, "comment")
    linked = _link_rows(
        comments, _column(feedback, "stage"), _asked_touchpoints(feedback),
        [None] * len(feedback), _column(feedback, "about"),
        _column(feedback, "theme"), themes, tp_info,
    )
    out = pd.DataFrame(index=feedback.index)
    out["id"] = [f"feedback-{i + 1}" for i in range(len(feedback))]
    out["customer_id"] = _column(feedback, "customer_id")
    out["date"] = feedback["date"] if "date" in feedback.columns else pd.NaT
    out["comment"] = comments
    _put_links(out, linked)
    out["csat"] = (
        pd.to_numeric(feedback["csat"], errors="coerce").astype("float64")
        if "csat" in feedback.columns else np.nan
    )
    return out


def linked_feedback(ws: Workspace) -> pd.DataFrame | None:
    """``ws.feedback`` with its ``stage`` and ``touchpoint`` set to where each answer was
    asked (the row's ``stage``, else its ``asked_at`` / ``touchpoint``'s stage): the one
    stage of an answer's scores, shared by the emotion curve, the journey map and "CSAT by
    stage" (``kpi_table(linked_feedback(ws), by="stage")``); what a comment is about is
    :func:`analyze_feedback`'s ``about``. None without a feedback table.

    Example:
        >>> kpi_table(linked_feedback(ws), by="stage", levels={"stage": ws.stage_ids})  # doctest: +SKIP
    """
    feedback = ws.feedback
    linked = _linked_feedback(ws)
    if feedback is None or linked is None:
        return None
    out = feedback.copy()
    out["stage"] = pd.array(linked["asked_stage"].tolist(), dtype="string")
    out["touchpoint"] = pd.array(linked["asked_at"].tolist(), dtype="string")
    return out


def _linked_tickets(ws: Workspace) -> pd.DataFrame | None:
    """Every ticket, linked: a ticket is not asked anywhere; its ``touchpoint`` says what it
    is about."""
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
    nothing: list[str | None] = [None] * len(tickets)
    linked = _link_rows(
        texts, nothing, nothing, _column(tickets, "stage"), _column(tickets, "touchpoint"),
        explicit, themes, tp_info,
    )
    out = pd.DataFrame(index=tickets.index)
    ids = _column(tickets, "ticket_id")
    out["id"] = [i if i is not None else f"ticket-{n + 1}" for n, i in enumerate(ids)]
    out["customer_id"] = _column(tickets, "customer_id")
    out["date"] = tickets["opened"] if "opened" in tickets.columns else pd.NaT
    out["comment"] = texts
    _put_links(out, linked)
    return out


def _voice_items(ws: Workspace) -> pd.DataFrame:
    """Every feedback row and ticket, linked: source, id, customer_id, date, text (masked,
    may be missing), sentiment (NaN without text), asked_stage, asked_at, about_stage,
    about, about_source, theme, theme_source, csat (float, NaN for tickets or no answer).
    Internal: shared with painpoints. Computed once per workspace state (``Workspace.memo``)."""
    return _memo(ws, ("feedback._voice_items",), lambda: _compute_voice_items(ws))


_TEXT_COLUMNS = ["source", "id", "customer_id", "text", *_LINK_COLUMNS]


def _compute_voice_items(ws: Workspace) -> pd.DataFrame:
    parts = []
    for source, linked in (("feedback", _linked_feedback(ws)), ("ticket", _linked_tickets(ws))):
        if linked is None or linked.empty:
            continue
        part = pd.DataFrame({
            "source": source,
            "id": linked["id"].to_numpy(),
            "customer_id": linked["customer_id"].to_numpy(),
            "date": pd.to_datetime(linked["date"], errors="coerce").to_numpy(),
            "text": [mask_pii(t) for t in linked["comment"]],
            "sentiment": sentiment(linked["comment"]).to_numpy(),
        })
        for column in _LINK_COLUMNS:
            part[column] = linked[column].to_numpy()
        part["csat"] = (linked["csat"].to_numpy(dtype="float64") if "csat" in linked.columns
                        else np.nan)
        parts.append(part)
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype="string") for c in ANALYSIS_COLUMNS})
        out["date"] = pd.Series(dtype="datetime64[us]")
        out["sentiment"] = pd.Series(dtype="float64")
        out["csat"] = pd.Series(dtype="float64")
        return out
    out = pd.concat(parts, ignore_index=True)
    for column in _TEXT_COLUMNS:
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
    asked_stage   stage id where the survey was asked: feedback ``stage``, else the
                  asked-at touchpoint's stage; missing for tickets
    asked_at      touchpoint id where the survey was asked: feedback ``asked_at`` (or its
                  older name ``touchpoint``); missing for tickets
    about_stage   stage id the text is about (the ``about`` touchpoint's stage, the theme's
                  stage, else ``asked_stage``)
    about         touchpoint id the text is about: feedback ``about`` / ticket
                  ``touchpoint``, else the theme's touchpoint, else ``asked_at``
    about_source  which rule gave ``about``: ``"column"``, ``"theme"``, ``"asked"`` or missing
    theme         theme name (journey.yaml ``themes:``) or missing
    theme_source  ``"column"`` (theme / ticket category column), ``"keyword"`` or missing
    ============  ===================================================================

    An empty frame with these columns when the workspace has neither table.

    Example:
        >>> analysis = analyze_feedback(ws)                          # doctest: +SKIP
        >>> analysis.groupby("about_stage")["sentiment"].mean()      # doctest: +SKIP
    """
    def compute() -> pd.DataFrame:
        items = _voice_items(ws)
        return items[items["text"].notna()].reset_index(drop=True)[ANALYSIS_COLUMNS]

    return _memo(ws, ("feedback.analyze_feedback",), compute)
