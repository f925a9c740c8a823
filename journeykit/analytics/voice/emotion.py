"""The emotion curve from data: sentiment and CSAT per stage (and touchpoint).

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
    _voice_items,
)
from journeykit.core._stats import t_interval
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

__all__ = ["emotion_curve"]



def _curve_row(texts: pd.DataFrame, answers: pd.Series, definition: CSATDefinition) -> dict:
    values = texts["sentiment"].dropna().to_numpy(dtype="float64")
    mean, _sd, low, high = t_interval(values, 0.95, -1.0, 1.0)
    # CSAT by the workspace's one definition (kpis.csat), as kpi_table and the scorecard compute it
    result = csat(answers.dropna(), definition=definition)
    return {
        "n_texts": int(len(values)),
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
    n_texts, sentiment (mean VADER compound of the linked comments and ticket texts),
    sentiment_low / sentiment_high (95% t-interval, clipped to −1…1; NaN when n < 2),
    n_csat (valid 1–5 answers), csat (by ``defaults: csat_definition``, as :func:`~journeykit.analytics.kpis.csat`
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
    items = _voice_items(ws)
    analysis = items[items["sentiment"].notna()]
    answers = items[items["csat"].notna()]
    answer_stage = answers["stage"]
    answer_tp = answers["touchpoint"]
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
            analysis[analysis["stage"] == stage_id], answers["csat"][answer_stage == stage_id], definition
        ))
        row["workshop_emotion"] = emotion
        rows.append(row)
        if by == "touchpoint":
            for tp_id, info in stage_tps.iterrows():
                tp_row = {"stage": stage_id, "stage_name": stage_name, "touchpoint": tp_id,
                          "touchpoint_name": _clean(info["name"]) or tp_id}
                tp_row.update(_curve_row(
                    analysis[analysis["touchpoint"] == tp_id], answers["csat"][answer_tp == tp_id], definition
                ))
                tp_row["workshop_emotion"] = float(info["emotion"])
                rows.append(tp_row)
    columns = ["stage", "stage_name"]
    if by == "touchpoint":
        columns += ["touchpoint", "touchpoint_name"]
    columns += ["n_texts", "sentiment", "sentiment_low", "sentiment_high", "n_csat", "csat",
                "csat_low", "csat_high", "workshop_emotion"]
    out = pd.DataFrame(rows, columns=columns)
    for column in ("stage", "stage_name") + (("touchpoint", "touchpoint_name")
                                            if by == "touchpoint" else ()):
        out[column] = out[column].astype("string")
    for column in ("n_texts", "n_csat"):
        out[column] = out[column].astype("int64")
    return out
