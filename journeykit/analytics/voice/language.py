"""The language of each text, detected offline.

``py3langid`` (Lui & Baldwin's langid.py, 2012: a naive Bayes model over byte n-grams
that ships inside its 4.5 MB wheel) restricted to :data:`LANGUAGES`, the official
languages of the European Union (which include Portuguese and Spanish). Restricting the
set makes short texts less often mistaken for a language nobody writes in here. A text
whose most likely language has a probability below :data:`MIN_CONFIDENCE` (within that
set) is *undetermined*: ``<NA>``. "Ok." and "Fine." are undetermined; a sentence is not.

lingua-language-detector was measured and not chosen: its wheel is 96 MB, its
high-accuracy mode loads in ~10 s and takes ~280 MB for ten languages, and its
low-accuracy mode reads "Easy to order on my phone." as German (0.99).

Example:
    >>> detect_language(["Produto correto, entregue no prazo, preço bom.",
    ...                  "De fiets werd te laat geleverd.", "Ok."]).tolist()
    ['pt', 'nl', <NA>]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

__all__ = ["LANGUAGES", "MIN_CONFIDENCE", "detect_language"]

#: ISO 639-1 codes the detector chooses from: the 24 official languages of the EU
LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)
#: probability (among :data:`LANGUAGES`) the most likely language needs to be taken
MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # function-level: py3langid unpacks its model on first use (~3 s), only needed for texts
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


@lru_cache(maxsize=65536)
def _language_of(text: str) -> str | None:
    """The language code of one stripped, non-blank text, None when undetermined; cached
    because survey comments and ticket texts repeat."""
    language, probability = _identifier().classify(text)
    return str(language) if float(probability) >= MIN_CONFIDENCE else None


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def detect_language(texts: Iterable[object] | pd.Series) -> pd.Series:
    """ISO 639-1 code of each text's language (``"en"``, ``"pt"``, ``"de"``, ...), ``<NA>``
    for a blank text or one whose language is undetermined (probability below
    :data:`MIN_CONFIDENCE` among :data:`LANGUAGES`).

    Keeps the index of a Series; otherwise the result is indexed 0..n−1. String dtype.

    Example:
        >>> detect_language(["Sehr gute Beratung, gerne wieder.", None]).tolist()
        ['de', <NA>]
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="object")
    codes = []
    for value in series.astype("object").tolist():
        text = _text(value)
        codes.append(_language_of(text) if text is not None else None)
    return pd.Series(pd.array(codes, dtype="string"), index=series.index, name="language")
