"""The emotion curve from data: sentiment and CSAT per stage (and touchpoint).

Each stage says how many of its texts could be scored and by which method (``methods``):
a text in a language without a sentiment method counts by its rating, or not at all, so
a stage whose texts could not be read has no sentiment (NaN), not a neutral 0.

Example:
    >>> emotion_curve(ws)[["stage", "sentiment", "csat", "n_texts"]]   # doctest: +SKIP
"""

from __future__ import annotations

import math

import pandas as pd

from journeykit.analytics.kpis import CSATDefinition, csat
from journeykit.analytics.voice.linking import (
    _clean,
    _memo,
    _stages,
    _touchpoint_info,
)
from journeykit.analytics.voice.scoring import METHOD_ORDER, _scored_items
from journeykit.core._stats import t_interval
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

__all__ = ["emotion_curve"]



def _methods(texts: pd.DataFrame) -> str:
    """How the texts were scored, e.g. ``"vader 40, rating 12, none 3"`` (empty without texts)."""
    counts = texts["method"].value_counts()
    return ", ".join(f"{m} {int(counts[m])}" for m in METHOD_ORDER if m in counts.index)


def _curve_row(texts: pd.DataFrame, answers: pd.Series, definition: CSATDefinition) -> dict:
    values = texts["emotion"].dropna().to_numpy(dtype="float64")
    mean, _sd, low, high = t_interval(values, 0.95, -1.0, 1.0)
    # CSAT by the workspace's one definition (kpis.csat), as kpi_table and the scorecard compute it
    result = csat(answers.dropna(), definition=definition)
    return {
        "n_texts": int(len(values)),
        "n_unscored": int(len(texts) - len(values)),
        "methods": _methods(texts),
        "sentiment": mean, "sentiment_low": low, "sentiment_high": high,
        "n_csat": int(result.n),
        "csat": float(result.value) if result.n else float("nan"),
        "csat_low": _or_nan(result.ci_low), "csat_high": _or_nan(result.ci_high),
    }


def _or_nan(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def emotion_curve(ws: Workspace, *, by: str = "stage") -> pd.DataFrame:
    """The emotion curve from data: sentiment and CSAT per stage (and touchpoint).

    ``by="stage"``: one row per stage of journey.yaml, in its order.
    ``by="touchpoint"``: for each stage, the stage row (touchpoint missing) followed by one
    row per touchpoint of that stage (touchpoints table order).

    Columns: stage, stage_name, [touchpoint, touchpoint_name — only with by="touchpoint"],
    n_texts (the comments and ticket texts *about* the stage or touchpoint - ``about_stage`` /
    ``about`` of :func:`analyze_feedback` - that have an emotion signal), n_unscored
    (texts without one: a language with no sentiment method and no rating on the row),
    methods (how the texts were scored, e.g. ``"vader 40, rating 12, none 3"``: see
    :func:`journeykit.analytics.voice.scoring.voice_scores`), sentiment (mean emotion
    signal −1…+1: the text's sentiment by its language's method, else its row's rating;
    NaN when no text could be scored, never 0), sentiment_low / sentiment_high (95%
    t-interval, clipped to −1…1; NaN when n < 2),
    n_csat (valid 1–5 answers, counted *where the survey was asked*: ``asked_stage`` /
    ``asked_at``; an answer asked nowhere, such as a review, counts in the overall CSAT
    only), csat (by ``defaults: csat_definition``, as :func:`~journeykit.analytics.kpis.csat`
    and the scorecard compute it: the share of 4–5 answers with a 95% Wilson interval, or
    the mean answer with a t interval), csat_low / csat_high,
    workshop_emotion (−2…+2: the stage's ``emotion`` in journey.yaml, else the mean of its
    touchpoints' ``emotion`` column; for a touchpoint row its own ``emotion``; NaN if none).
    A stage or touchpoint without data has n 0 and NaN values.

    Example:
        >>> emotion_curve(ws)[["stage", "sentiment", "csat", "n_texts"]]   # doctest: +SKIP
    """
    if by not in ("stage", "touchpoint"):
        raise JourneykitError(f"emotion_curve: by must be 'stage' or 'touchpoint', got {by!r}")
    return _memo(ws, ("feedback.emotion_curve", by), lambda: _compute_emotion_curve(ws, by))


def _compute_emotion_curve(ws: Workspace, by: str) -> pd.DataFrame:
    items = _scored_items(ws)
    analysis = items[items["text"].notna()]
    answers = items[items["csat"].notna()]
    answer_stage = answers["asked_stage"]  # CSAT where asked; sentiment where it is about
    answer_tp = answers["asked_at"]
    definition: CSATDefinition = "mean" if ws.config.defaults.csat_definition == "mean" else "top2"
    tp_info = _touchpoint_info(ws)
    rows = []
    for stage_id, stage_name, stage_emotion in _stages(ws):
        stage_tps = tp_info[tp_info["stage"].astype("object") == stage_id]
        emotion = stage_emotion
        if math.isnan(emotion):
            tp_emotions = stage_tps["emotion"].dropna()
            emotion = float(tp_emotions.mean()) if len(tp_emotions) else float("nan")
        row: dict[str, object] = {"stage": stage_id, "stage_name": stage_name}
        if by == "touchpoint":
            row.update({"touchpoint": None, "touchpoint_name": None})
        row.update(_curve_row(
            analysis[analysis["about_stage"] == stage_id], answers["csat"][answer_stage == stage_id], definition
        ))
        row["workshop_emotion"] = emotion
        rows.append(row)
        if by == "touchpoint":
            for tp_id, info in stage_tps.iterrows():
                tp_row = {"stage": stage_id, "stage_name": stage_name, "touchpoint": tp_id,
                          "touchpoint_name": _clean(info["name"]) or tp_id}
                tp_row.update(_curve_row(
                    analysis[analysis["about"] == tp_id], answers["csat"][answer_tp == tp_id], definition
                ))
                tp_row["workshop_emotion"] = float(info["emotion"])
                rows.append(tp_row)
    columns = ["stage", "stage_name"]
    if by == "touchpoint":
        columns += ["touchpoint", "touchpoint_name"]
    columns += ["n_texts", "n_unscored", "methods", "sentiment", "sentiment_low", "sentiment_high", "n_csat", "csat",
                "csat_low", "csat_high", "workshop_emotion"]
    out = pd.DataFrame(rows, columns=columns)
    for column in ("stage", "stage_name", "methods") + (("touchpoint", "touchpoint_name")
                                            if by == "touchpoint" else ()):
        out[column] = out[column].astype("string")
    for column in ("n_texts", "n_unscored", "n_csat"):
        out[column] = out[column].astype("int64")
    return out
