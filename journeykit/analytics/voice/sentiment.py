"""Sentiment of texts: VADER's compound score (Hutto & Gilbert 2014), fully offline.

The ``vaderSentiment`` lexicon ships inside the wheel. −1 (most negative) … +1 (most
positive); VADER's own convention calls a text negative at compound ≤ −0.05
(:data:`NEGATIVE`) and positive at ≥ +0.05 (:data:`POSITIVE`).

Example:
    >>> float(sentiment(["I love this shop"]).iloc[0]) > 0.05
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

__all__ = ["NEGATIVE", "POSITIVE", "sentiment"]

#: compound score at or below which a text counts as negative (VADER's convention)
NEGATIVE = -0.05
#: compound score at or above which a text counts as positive (VADER's convention)
POSITIVE = 0.05


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    # function-level: vaderSentiment loads its lexicon on import, only needed for sentiment
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(texts: Iterable[object] | pd.Series) -> pd.Series:
    """VADER compound sentiment of each text: float −1 … +1, NaN for a missing or blank text.

    Keeps the index of a Series; otherwise the result is indexed 0..n−1.
    Scores ≤ −0.05 are conventionally negative, ≥ +0.05 positive.

    Example:
        >>> s = sentiment(["Terrible, the repair took three weeks", "Great service!", None])
        >>> bool(s.iloc[0] < -0.05), bool(s.iloc[1] > 0.05), bool(pd.isna(s.iloc[2]))
        (True, True, True)
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="object")

    def score(value: object) -> float:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return float("nan")
        text = str(value).strip()
        if not text:
            return float("nan")
        return _compound(text)

    values = [score(v) for v in series.astype("object").tolist()]
    return pd.Series(values, index=series.index, dtype="float64", name="sentiment")


@lru_cache(maxsize=65536)
def _compound(text: str) -> float:
    """VADER compound of one stripped, non-blank text; cached because survey comments and
    ticket texts repeat (VADER is pure: the same text always scores the same)."""
    return float(_analyzer().polarity_scores(text)["compound"])
