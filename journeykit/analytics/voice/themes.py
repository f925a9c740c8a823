"""Candidate themes: frequent phrases (TF-IDF 1–3-grams) of the texts no theme caught.

Words are compared without accents or case ("não" = "nao"; each phrase is shown in its
most frequent spelling) and each text loses the stop words of English and of its own
language (Portuguese, Spanish, German, Dutch, French: :mod:`.stopwords`).

Example:
    >>> candidate_themes(analyze_feedback(ws), top=5)            # doctest: +SKIP
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from journeykit.analytics.voice.language import detect_language
from journeykit.analytics.voice.sentiment import NEGATIVE
from journeykit.analytics.voice.stopwords import STOP_WORDS, fold
from journeykit.core.errors import JourneykitError

__all__ = ["ENGLISH_STOP_WORDS", "candidate_themes"]

_EXTRA_STOP_WORDS = {"email", "phone", "ve", "ll", "don", "didn", "doesn", "isn", "wasn", "t", "s"}

#: scikit-learn's ``ENGLISH_STOP_WORDS`` (from the Glasgow Information Retrieval Group's
#: list), copied so that finding candidate themes does not import scikit-learn (most of a
#: second); equal to the list of scikit-learn 1.9.
ENGLISH_STOP_WORDS = frozenset("""
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst amoungst amount an and another any anyhow anyone anything
    anyway anywhere are around as at back be became because become becomes becoming been before
    beforehand behind being below beside besides between beyond bill both bottom but by call can
    cannot cant co con could couldnt cry de describe detail do done down due during each eg
    eight either eleven else elsewhere empty enough etc even ever every everyone everything
    everywhere except few fifteen fifty fill find fire first five for former formerly forty
    found four from front full further get give go had has hasnt have he hence her here
    hereafter hereby herein hereupon hers herself him himself his how however hundred i ie if in
    inc indeed interest into is it its itself keep last latter latterly least less ltd made many
    may me meanwhile might mill mine more moreover most mostly move much must my myself name
    namely neither never nevertheless next nine no nobody none noone nor not nothing now nowhere
    of off often on once one only onto or other others otherwise our ours ourselves out over own
    part per perhaps please put rather re same see seem seemed seeming seems serious several she
    should show side since sincere six sixty so some somehow someone something sometime
    sometimes somewhere still such system take ten than that the their them themselves then
    thence there thereafter thereby therefore therein thereupon these they thick thin third this
    those though three through throughout thru thus to together too top toward towards twelve
    twenty two un under until up upon us very via was we well were what whatever when whence
    whenever where whereafter whereas whereby wherein whereupon wherever whether which while
    whither who whoever whole whom whose why will with within without would yet you your yours
    yourself yourselves
""".split())

_TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+\b")


class _TermColumn:
    """One phrase's column of the TF-IDF matrix: rows (ascending) and their weights."""

    __slots__ = ("rows", "values")

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.values: list[float] = []


def _tfidf(texts: list[str], stop_words: frozenset[str] | list[frozenset[str]], *,
           max_n: int = 3, min_df: int = 2
           ) -> tuple[list[str], list[_TermColumn]]:
    """TF-IDF of 1…``max_n``-word n-grams, column by column, as scikit-learn's
    ``TfidfVectorizer(ngram_range=(1, max_n), stop_words=…, min_df=…, token_pattern=_TOKEN,
    lowercase=True)`` computes it (smooth idf = ln((1 + n) / (1 + df)) + 1, raw counts,
    rows scaled to unit length), with the same floating-point operations in the same order,
    so the weights are identical for texts without accents. Words are folded
    (:func:`~journeykit.analytics.voice.stopwords.fold`: no accents, casefolded) before
    they are compared with each other and with the stop words, which are folded too;
    ``stop_words`` is one set for every text or one set per text. Returns the phrases
    (folded, sorted) and their columns. Raises ValueError when no phrase is left, as
    scikit-learn does."""
    per_text = stop_words if isinstance(stop_words, list) else [stop_words] * len(texts)
    folded_sets: dict[int, frozenset[str]] = {}
    first_seen: dict[str, int] = {}  # corpus vocabulary in order of first appearance
    documents: list[dict[str, int]] = []
    for text, stops in zip(texts, per_text, strict=True):
        if id(stops) not in folded_sets:
            folded_sets[id(stops)] = frozenset(fold(w) for w in stops)
        folded_stops = folded_sets[id(stops)]
        tokens = [f for f in (fold(w) for w in _TOKEN.findall(text.lower()))
                  if f not in folded_stops]
        grams = list(tokens)
        for size in range(2, min(max_n + 1, len(tokens) + 1)):
            grams.extend(" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1))
        counts: dict[str, int] = {}
        for gram in grams:
            counts[gram] = counts.get(gram, 0) + 1
            first_seen.setdefault(gram, len(first_seen))
        documents.append(counts)
    if not first_seen:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    frequency: dict[str, int] = {}
    for counts in documents:
        for gram in counts:
            frequency[gram] = frequency.get(gram, 0) + 1
    terms = sorted(t for t, df in frequency.items() if df >= min_df)
    if not terms:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    column_of = {term: j for j, term in enumerate(terms)}
    df = np.array([frequency[t] for t in terms], dtype=np.float64)
    df += 1.0
    idf = np.full_like(df, fill_value=len(texts) + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    idf_of = idf.tolist()
    columns = [_TermColumn() for _ in terms]
    for row, counts in enumerate(documents):
        # a row's entries in the order scikit-learn keeps them: first appearance in the corpus
        kept = sorted((first_seen[g], column_of[g], n) for g, n in counts.items() if g in column_of)
        weights = [float(n) * idf_of[j] for _, j, n in kept]
        total = 0.0
        for w in weights:
            total += w * w
        norm = math.sqrt(total) if total != 0.0 else 1.0
        for (_, j, _n), w in zip(kept, weights, strict=True):
            columns[j].rows.append(row)
            columns[j].values.append(w / norm if total != 0.0 else w)
    return terms, columns


def _spellings(texts: list[str]) -> dict[str, str]:
    """The most frequent lower-case spelling of each folded word ("não" over "nao" when
    more texts write it so; the first seen on a tie)."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        for word in _TOKEN.findall(text.lower()):
            forms = counts.setdefault(fold(word), {})
            forms[word] = forms.get(word, 0) + 1
    return {key: max(forms, key=lambda f: forms[f]) for key, forms in counts.items()}


def candidate_themes(analysis: pd.DataFrame, *, top: int = 10, negative_only: bool = True) -> pd.DataFrame:
    """Frequent phrases among texts that no theme caught, offered as candidate themes.

    With ``negative_only`` (the default) only negative texts (sentiment <= -0.05, VADER's
    usual cut-off; with ``voice_scores``' ``emotion`` column, the text's rating where its
    language has no sentiment method) are read: a pain point hides in complaints, and praise ("happy with my
    bike") would otherwise fill the list. ``negative_only=False`` reads every unthemed text.

    TF-IDF over 1–3-word n-grams (English stop words and those of the text's language
    removed, the language from a ``language`` column or detected; words compared without
    accents or case; a phrase must occur in at
    least two texts; the weights scikit-learn's ``TfidfVectorizer`` gives, computed without
    importing it) of the rows of ``analysis`` whose ``theme`` is missing.
    Phrases are ranked by summed TF-IDF weight. A phrase that overlaps one already chosen
    — they share a word, or ≥ 80% of their texts (Jaccard) are the same — is skipped, so
    the list is not one idea three times; except that a longer phrase containing the chosen
    one and found in at least 80% as many texts replaces it ("opening hours", not "hours").

    Columns: phrase, score (summed TF-IDF), n_texts (texts containing it), share (of the
    unthemed texts), mean_sentiment (of ``emotion`` when the frame has it), example (the
    masked text where it weighs most). A phrase is shown in its most frequent spelling.

    Example:
        >>> candidate_themes(analyze_feedback(ws), top=5)            # doctest: +SKIP
    """
    columns = ["phrase", "score", "n_texts", "share", "mean_sentiment", "example"]
    if "text" not in analysis.columns or "theme" not in analysis.columns:
        raise JourneykitError(
            "candidate_themes needs the result of analyze_feedback (columns 'text' and 'theme')"
        )
    rows = analysis[analysis["theme"].isna() & analysis["text"].notna()]
    signal = "emotion" if "emotion" in rows.columns else "sentiment"
    if negative_only and signal in rows.columns:
        rows = rows[pd.to_numeric(rows[signal], errors="coerce") <= NEGATIVE]
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    if len(rows) < 2:
        return empty
    texts = rows["text"].astype(str).tolist()
    languages = (rows["language"] if "language" in rows.columns
                 else detect_language(rows["text"])).astype("object").tolist()
    english = ENGLISH_STOP_WORDS | _EXTRA_STOP_WORDS
    stop_sets = {code: english | words for code, words in STOP_WORDS.items()}
    per_text = [stop_sets.get(code, english) if isinstance(code, str) else english
                for code in languages]
    try:
        terms_list, term_columns = _tfidf(texts, per_text)
    except ValueError:  # nothing left after stop words / min_df
        return empty
    spelling = _spellings(texts)
    terms = np.array(terms_list, dtype=object)
    scores = np.zeros(len(terms), dtype=np.float64)
    for j, column in enumerate(term_columns):
        total = 0.0
        for value in column.values:  # summed over the texts in order, as a sparse matrix does
            total += value
        scores[j] = total
    counts = np.array([len(c.rows) for c in term_columns], dtype=np.int64)
    sentiments = (pd.to_numeric(rows[signal], errors="coerce").to_numpy(dtype="float64")
                  if signal in rows.columns else np.full(len(texts), np.nan))
    order = np.lexsort((terms, -counts, -scores))

    def words(phrase: str) -> str:
        return f" {phrase} "

    def candidate(j: int) -> dict:
        column = np.zeros(len(texts), dtype=np.float64)
        column[term_columns[j].rows] = term_columns[j].values
        present = column > 0
        return {
            "phrase": " ".join(spelling.get(w, w) for w in str(terms[j]).split()),
            "_key": str(terms[j]),
            "score": float(scores[j]),
            "n_texts": int(counts[j]),
            "share": float(counts[j] / len(texts)),
            "mean_sentiment": float(np.nanmean(sentiments[present])) if present.any() else np.nan,
            "example": texts[int(np.argmax(column))],
        }

    chosen: list[dict] = []
    for j in order:
        phrase = str(terms[j])
        docs = set(term_columns[j].rows)
        overlapping = [
            c for c in chosen
            if set(phrase.split()) & set(c["_key"].split())
            or len(docs & c["_docs"]) >= 0.8 * len(docs | c["_docs"])
        ]
        if not overlapping:
            if len(chosen) < top:
                chosen.append({**candidate(j), "_docs": docs})
            continue
        # a longer phrase found in (nearly) as many texts says more: it replaces the shorter
        first = overlapping[0]
        if (len(overlapping) == 1 and words(first["_key"]) in words(phrase)
                and counts[j] >= 0.8 * first["n_texts"]):
            chosen[chosen.index(first)] = {**candidate(j), "_docs": docs}
    for c in chosen:
        del c["_docs"], c["_key"]
    out = pd.DataFrame(chosen, columns=columns)
    out["n_texts"] = out["n_texts"].astype("int64")
    return out
