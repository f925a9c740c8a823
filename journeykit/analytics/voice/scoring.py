"""The emotion signal of every text: its sentiment where its language has a method, else
the rating given on the same row, else nothing (never a 0 that reads as neutral).

Per text (:func:`voice_scores`):

* ``language``: ISO 639-1 code detected offline (:mod:`journeykit.analytics.voice.language`),
  missing when undetermined;
* ``method``: ``"vader"`` (English), ``"leia"`` (Portuguese): the text's own sentiment;
  ``"rating"``: no method for the language (German, Dutch, French, ...), so the row's
  rating stands in: CSAT 1…5 (stars) as (csat − 3) / 2, else NPS 0…10 as (nps − 5) / 5,
  both on the sentiment scale −1…+1; ``"none"``: neither (a Dutch ticket), no signal;
* ``emotion``: the signal the emotion curve averages (NaN for ``"none"``).

Example:
    >>> voice_scores(ws)[["text", "language", "method", "emotion"]]   # doctest: +SKIP
    >>> rating_emotion(pd.Series([1, 3, 5]), pd.Series([None, None, None])).tolist()
    [-1.0, 0.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeykit.analytics.voice.linking import ANALYSIS_COLUMNS, _memo, _voice_items
from journeykit.analytics.voice.sentiment import METHODS, score_texts
from journeykit.workspace import Workspace

__all__ = ["SCORE_COLUMNS", "rating_emotion", "voice_scores"]

#: the columns :func:`voice_scores` adds to those of ``analyze_feedback``
SCORE_COLUMNS = ["language", "method", "rating", "emotion"]
#: every value of ``method``, in the order the emotion curve lists them
METHOD_ORDER = (*dict.fromkeys(METHODS.values()), "rating", "none")


def rating_emotion(csat: pd.Series, nps: pd.Series) -> pd.Series:
    """A rating on the sentiment scale −1…+1: CSAT (1…5 stars) as (csat − 3) / 2, else NPS
    (0…10) as (nps − 5) / 5; NaN when the row has neither. Keeps the index of ``csat``.

    Example:
        >>> rating_emotion(pd.Series([4, None]), pd.Series([None, 10])).tolist()
        [0.5, 1.0]
    """
    stars = pd.to_numeric(csat, errors="coerce").astype("float64")
    recommend = pd.to_numeric(pd.Series(np.asarray(nps, dtype=object), index=stars.index),
                              errors="coerce").astype("float64")
    return ((stars - 3.0) / 2.0).where(stars.notna(), (recommend - 5.0) / 5.0).rename("rating")


def _scored_items(ws: Workspace) -> pd.DataFrame:
    """``_voice_items`` (every feedback row and ticket) with :data:`SCORE_COLUMNS`;
    computed once per workspace state."""
    return _memo(ws, ("feedback._scored_items",), lambda: _compute_scored_items(ws))


def _compute_scored_items(ws: Workspace) -> pd.DataFrame:
    items = _voice_items(ws)
    scores = score_texts(items["text"])
    # the feedback rows come first in _voice_items, one per feedback row, in table order
    feedback = ws.feedback
    is_feedback = (items["source"] == "feedback").fillna(False).to_numpy(dtype=bool)
    nps = pd.Series(np.nan, index=items.index, dtype="float64")
    if "nps" in items.columns:
        nps = pd.to_numeric(items["nps"], errors="coerce").astype("float64")
    elif feedback is not None and "nps" in feedback.columns and int(is_feedback.sum()) == len(feedback):
        nps[is_feedback] = pd.to_numeric(feedback["nps"], errors="coerce").to_numpy(dtype="float64")
    rating = rating_emotion(items["csat"], nps)
    methods: list[str | None] = []
    for text, method, stand_in in zip(items["text"].tolist(), scores["method"].tolist(),
                                      rating.tolist(), strict=True):
        if text is None or text is pd.NA:
            methods.append(None)
        elif method is not None and method is not pd.NA:
            methods.append(str(method))
        else:
            methods.append("rating" if not np.isnan(stand_in) else "none")
    out = items.copy()
    # the text's own score, as its method says (the masked text: what the analysis shows)
    out["sentiment"] = scores["sentiment"].to_numpy(dtype="float64")
    out["language"] = scores["language"]
    out["method"] = pd.array(methods, dtype="string")
    out["rating"] = rating
    kind = np.asarray(methods, dtype=object)
    out["emotion"] = np.where(np.isin(kind, list(METHODS.values())),
                              out["sentiment"].to_numpy(dtype="float64"),
                              np.where(kind == "rating", rating.to_numpy(dtype="float64"), np.nan))
    return out


def voice_scores(ws: Workspace) -> pd.DataFrame:
    """One row per comment and ticket text, as ``analyze_feedback`` (same rows, same order),
    with the language and emotion signal of each text.

    Columns: those of ``analyze_feedback`` (``sentiment`` is the text's own score, NaN when
    its language has no method), then ``language`` (ISO 639-1, missing when undetermined),
    ``method`` (``"vader"``, ``"leia"``, ``"rating"``, ``"none"``), ``rating`` (the row's
    CSAT or NPS on −1…+1, NaN for tickets and rows without one), ``emotion`` (sentiment
    when the text has a method, else the rating; NaN for ``"none"``).

    Example:
        >>> scores = voice_scores(ws)                               # doctest: +SKIP
        >>> scores.groupby(["language", "method"]).size()           # doctest: +SKIP
    """
    def compute() -> pd.DataFrame:
        items = _scored_items(ws)
        return items[items["text"].notna()].reset_index(drop=True)[ANALYSIS_COLUMNS + SCORE_COLUMNS]

    return _memo(ws, ("feedback.voice_scores",), compute)
