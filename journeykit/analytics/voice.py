"""The voice of the customer: sentiment, themes, the emotion curve, masking of personal data.

Every survey comment (``feedback.comment``) and support ticket text (``tickets.text``)
gets a sentiment score and is linked to a stage and touchpoint:

* **Sentiment** is VADER's *compound* score (Hutto & Gilbert 2014) from the
  ``vaderSentiment`` package, whose lexicon ships inside the wheel: fully offline,
  −1 (most negative) … +1 (most positive). VADER's own convention is used to call a
  text negative (compound ≤ −0.05) or positive (≥ +0.05); see :data:`NEGATIVE`.
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
  :func:`candidate_themes` offers frequent phrases of the unthemed texts (TF-IDF 1–3-grams)
  as candidates for new themes.
* **Masking**: texts leave this module with e-mail addresses and phone numbers replaced
  by ``[email]`` and ``[phone]`` (:func:`mask_pii`).

Example:
    >>> float(sentiment(["I love this shop"]).iloc[0]) > 0.05
    True
    >>> mask_pii("Call +31 6 12345678 or mail jan@example.com about order #12345")
    'Call [phone] or mail [email] about order #12345'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from journeykit.core._stats import t_interval, wilson_interval
from journeykit.core.errors import JourneykitError

#: compound score at or below which a text counts as negative (VADER's convention)
NEGATIVE = -0.05
#: compound score at or above which a text counts as positive (VADER's convention)
POSITIVE = 0.05

ANALYSIS_COLUMNS = [
    "source", "id", "customer_id", "date", "text", "sentiment",
    "stage", "touchpoint", "theme", "theme_source",
]


# --------------------------------------------------------------------------- sentiment


@lru_cache(maxsize=1)
def _analyzer() -> Any:
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


# --------------------------------------------------------------------------- masking

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CURRENCY = r"(?:[€$£¥]|EUR|USD|GBP|CHF|SEK|DKK|NOK|PLN)"
# spans that look like numbers but are not phone numbers; protected before phones are sought
_PROTECT = [
    re.compile(r"#\s?[A-Za-z0-9-]*\d[A-Za-z0-9-]*"),  # order/ticket numbers: #12345, # A-1234
    re.compile(  # "order 123456789", "invoice no. 2024-0042", "ticket ID: 778812345"
        r"(?i)\b(?:order|invoice|ticket|ref|reference|case|tracking|serial|booking|receipt)"
        r"s?\.?\s*(?:no\.?|nr\.?|number|id|code)?\s*[:.]?\s*[A-Za-z]*\d[A-Za-z0-9/-]*"
    ),
    re.compile(rf"{_CURRENCY}\s?\d[\d.,' ]*\d|{_CURRENCY}\s?\d"),  # €1,299.00  EUR 45
    re.compile(  # 1.299,00 €   45 euros
        rf"(?i)\d[\d.,']*\s?(?:{_CURRENCY}|euros?|dollars?|pounds?)(?![A-Za-z])"
    ),
    re.compile(r"(?<![\d.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d])(?![-/.]\d)"),  # 2024-03-15
    re.compile(r"(?<![\d.-])\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)(?![-/.]\d)"),  # 15/03/2024
    re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])"),  # IPv4 address / version
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b"),  # times 10:30
]
_PHONE = re.compile(
    r"""
    (?<![\w@#])                      # not inside a word, an e-mail or an order number
    (?:\+\s?|\b00)?                  # international prefix: +31 / 0031
    (?:\(\d{1,4}\)\s?)?              # (555) or (0)
    \d
    (?:\d|[ .\-](?=[\d(])|\s?\(\d{1,4}\)\s?)*
    \d
    (?!\w)
    """,
    re.VERBOSE,
)
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 9, 15


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
        return False
    if candidate.startswith(("+", "00", "(")):
        return True
    if re.fullmatch(r"\d+", candidate):
        # a bare run of digits is only a phone number with a national trunk prefix (0…),
        # otherwise it is more likely an id, an account or an order number
        return candidate.startswith("0") and digits >= 10
    return True


def mask_pii(text: object) -> object:
    """Replace e-mail addresses by ``[email]`` and phone numbers by ``[phone]``.

    Phone numbers: 9–15 digits in common national and international forms —
    ``+31 6 12345678``, ``+31 (0)20 123 4567``, ``0031 20 1234567``, ``06-12345678``,
    ``020 123 4567``, ``+44 20 7946 0958``, ``(555) 123-4567``, ``555-123-4567``,
    ``555.123.4567``, ``+1 555 123 4567``, ``06 12 34 56 78``. A bare run of digits
    counts only when it starts with a trunk prefix 0 and has ≥ 10 digits (``0612345678``);
    other bare runs are taken for ids.
    Left alone: dates (``2024-03-15``, ``15/03/2024``, ``15.03.2024``), times, prices
    (``€1,299.00``, ``1.299,00 EUR``, ``45 euros``), order/ticket/invoice numbers
    (``#12345``, ``order 123456789``), IP addresses and plain numbers.
    Non-text values (None, NaN) are returned unchanged.

    Example:
        >>> mask_pii("Ring me on 555-123-4567 before 15/03/2024, it cost €1,299.00")
        'Ring me on [phone] before 15/03/2024, it cost €1,299.00'
    """
    if not isinstance(text, str):
        return text
    return _mask_text(text)


@lru_cache(maxsize=65536)
def _mask_text(text: str) -> str:
    """:func:`mask_pii` of one string (cached: texts repeat, masking is pure)."""
    out = _EMAIL.sub("[email]", text)
    protected: list[str] = []

    def protect(match: re.Match[str]) -> str:
        protected.append(match.group(0))
        return chr(0xE000 + len(protected) - 1)  # a private-use character, not \w, not a digit

    for pattern in _PROTECT:
        out = pattern.sub(protect, out)

    def phone(match: re.Match[str]) -> str:
        value = match.group(0)
        return "[phone]" if _is_phone(value) else value

    out = _PHONE.sub(phone, out)
    if protected:
        out = re.sub("[\ue000-\uf8ff]", lambda m: protected[ord(m.group(0)) - 0xE000], out)
    return out


# --------------------------------------------------------------------------- workspace access


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _memo(ws: Any, key: tuple, compute: Any) -> Any:
    """``compute()`` once per workspace state when ``ws`` offers ``memo`` (a
    :class:`journeykit.workspace.Workspace`; cleared by ``save_table``), else every time.
    A DataFrame result is handed out as a copy, so a caller changing it cannot change
    what the next caller gets."""
    memo = getattr(ws, "memo", None)
    result = memo(key, compute) if callable(memo) else compute()
    return result.copy() if isinstance(result, pd.DataFrame) else result


def _table(ws: Any, name: str) -> pd.DataFrame | None:
    frame = getattr(ws, name, None)
    if frame is None or not isinstance(frame, pd.DataFrame):
        return None
    return frame


def _stages(ws: Any) -> list[tuple[str, str, float]]:
    """[(stage id, stage name, workshop emotion or NaN)] in journey.yaml order."""
    out = []
    for stage in _get(ws.config, "stages", []) or []:
        stage_id = str(_get(stage, "id"))
        name = _get(stage, "name") or stage_id
        emotion = _get(stage, "emotion")
        emotion = float(emotion) if emotion is not None and not pd.isna(emotion) else float("nan")
        out.append((stage_id, str(name), emotion))
    return out


def _clean(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _touchpoint_info(ws: Any) -> pd.DataFrame:
    """Touchpoints indexed by id with columns stage, name, channel, owner, emotion."""
    tps = _table(ws, "touchpoints")
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


def _themes(ws: Any, tp_info: pd.DataFrame) -> list[_Theme]:
    raw = _get(ws.config, "themes", {}) or {}
    if not isinstance(raw, Mapping):
        raise JourneykitError(
            f"journey.yaml 'themes' must be a mapping of theme name -> "
            f"{{keywords: [...], stage, touchpoint}}, got {type(raw).__name__}"
        )
    themes = []
    for name, rule in raw.items():
        keywords = _get(rule, "keywords", []) or []
        if isinstance(keywords, str):
            keywords = [k for k in re.split(r"[;,]", keywords)]
        touchpoint = _clean(_get(rule, "touchpoint"))
        stage = _clean(_get(rule, "stage"))
        if stage is None and touchpoint is not None and touchpoint in tp_info.index:
            stage = _clean(tp_info.at[touchpoint, "stage"])
        themes.append(_Theme(str(name), [str(k) for k in keywords], stage, touchpoint,
                             _clean(_get(rule, "label"))))
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


def _linked_feedback(ws: Any) -> pd.DataFrame | None:
    """Every feedback row (with or without comment) with stage, touchpoint, theme linked."""
    feedback = _table(ws, "feedback")
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


def _linked_tickets(ws: Any) -> pd.DataFrame | None:
    tickets = _table(ws, "tickets")
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


def _voice_items(ws: Any) -> pd.DataFrame:
    """Every feedback row and ticket, linked: source, id, customer_id, date, text (masked,
    may be missing), sentiment (NaN without text), stage, touchpoint, theme, theme_source,
    csat (float, NaN for tickets or no answer). Internal: shared with painpoints.
    Computed once per workspace state (``Workspace.memo``)."""
    return _memo(ws, ("feedback._voice_items",), lambda: _compute_voice_items(ws))


def _compute_voice_items(ws: Any) -> pd.DataFrame:
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


def analyze_feedback(ws: Any) -> pd.DataFrame:
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


# --------------------------------------------------------------------------- candidate themes

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


def _tfidf(texts: list[str], stop_words: frozenset[str], *, max_n: int = 3, min_df: int = 2
           ) -> tuple[list[str], list[_TermColumn]]:
    """TF-IDF of 1…``max_n``-word n-grams, column by column, as scikit-learn's
    ``TfidfVectorizer(ngram_range=(1, max_n), stop_words=…, min_df=…, token_pattern=_TOKEN,
    lowercase=True)`` computes it (smooth idf = ln((1 + n) / (1 + df)) + 1, raw counts,
    rows scaled to unit length), with the same floating-point operations in the same order,
    so the weights are identical. Returns the phrases (sorted) and their columns. Raises
    ValueError when no phrase is left, as scikit-learn does."""
    first_seen: dict[str, int] = {}  # corpus vocabulary in order of first appearance
    documents: list[dict[str, int]] = []
    for text in texts:
        tokens = [w for w in _TOKEN.findall(text.lower()) if w not in stop_words]
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


def candidate_themes(analysis: pd.DataFrame, *, top: int = 10, negative_only: bool = True) -> pd.DataFrame:
    """Frequent phrases among texts that no theme caught, offered as candidate themes.

    With ``negative_only`` (the default) only negative texts (sentiment <= -0.05, VADER's
    usual cut-off) are read: a pain point hides in complaints, and praise ("happy with my
    bike") would otherwise fill the list. ``negative_only=False`` reads every unthemed text.

    TF-IDF over 1–3-word n-grams (English stop words removed, a phrase must occur in at
    least two texts; the weights scikit-learn's ``TfidfVectorizer`` gives, computed without
    importing it) of the rows of ``analysis`` whose ``theme`` is missing.
    Phrases are ranked by summed TF-IDF weight. A phrase that overlaps one already chosen
    — they share a word, or ≥ 80% of their texts (Jaccard) are the same — is skipped, so
    the list is not one idea three times; except that a longer phrase containing the chosen
    one and found in at least 80% as many texts replaces it ("opening hours", not "hours").

    Columns: phrase, score (summed TF-IDF), n_texts (texts containing it), share (of the
    unthemed texts), mean_sentiment, example (the masked text where it weighs most).

    Example:
        >>> candidate_themes(analyze_feedback(ws), top=5)            # doctest: +SKIP
    """
    columns = ["phrase", "score", "n_texts", "share", "mean_sentiment", "example"]
    if "text" not in analysis.columns or "theme" not in analysis.columns:
        raise JourneykitError(
            "candidate_themes needs the result of analyze_feedback (columns 'text' and 'theme')"
        )
    rows = analysis[analysis["theme"].isna() & analysis["text"].notna()]
    if negative_only and "sentiment" in rows.columns:
        rows = rows[pd.to_numeric(rows["sentiment"], errors="coerce") <= -0.05]
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    if len(rows) < 2:
        return empty
    texts = rows["text"].astype(str).tolist()
    try:
        terms_list, term_columns = _tfidf(texts, ENGLISH_STOP_WORDS | _EXTRA_STOP_WORDS)
    except ValueError:  # nothing left after stop words / min_df
        return empty
    terms = np.array(terms_list, dtype=object)
    scores = np.zeros(len(terms), dtype=np.float64)
    for j, column in enumerate(term_columns):
        total = 0.0
        for value in column.values:  # summed over the texts in order, as a sparse matrix does
            total += value
        scores[j] = total
    counts = np.array([len(c.rows) for c in term_columns], dtype=np.int64)
    sentiments = rows["sentiment"].to_numpy(dtype="float64")
    order = np.lexsort((terms, -counts, -scores))

    def words(phrase: str) -> str:
        return f" {phrase} "

    def candidate(j: int) -> dict:
        column = np.zeros(len(texts), dtype=np.float64)
        column[term_columns[j].rows] = term_columns[j].values
        present = column > 0
        return {
            "phrase": str(terms[j]),
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
            if set(phrase.split()) & set(c["phrase"].split())
            or len(docs & c["_docs"]) >= 0.8 * len(docs | c["_docs"])
        ]
        if not overlapping:
            if len(chosen) < top:
                chosen.append({**candidate(j), "_docs": docs})
            continue
        # a longer phrase found in (nearly) as many texts says more: it replaces the shorter
        first = overlapping[0]
        if (len(overlapping) == 1 and words(first["phrase"]) in words(phrase)
                and counts[j] >= 0.8 * first["n_texts"]):
            chosen[chosen.index(first)] = {**candidate(j), "_docs": docs}
    for c in chosen:
        del c["_docs"]
    out = pd.DataFrame(chosen, columns=columns)
    out["n_texts"] = out["n_texts"].astype("int64")
    return out


# --------------------------------------------------------------------------- emotion curve


def _curve_row(texts: pd.DataFrame, answers: pd.Series) -> dict:
    values = texts["sentiment"].dropna().to_numpy(dtype="float64")
    mean, _sd, low, high = t_interval(values, 0.95, -1.0, 1.0)
    scores = answers.dropna()
    n_csat = int(len(scores))
    top2 = int((scores >= 4).sum())
    csat_low, csat_high = wilson_interval(top2, n_csat)
    return {
        "n_texts": int(len(values)),
        "sentiment": mean, "sentiment_low": low, "sentiment_high": high,
        "n_csat": n_csat,
        "csat": top2 / n_csat if n_csat else float("nan"),
        "csat_low": csat_low, "csat_high": csat_high,
    }


def emotion_curve(ws: Any, *, by: str = "stage") -> pd.DataFrame:
    """The emotion curve from data: sentiment and CSAT per stage (and touchpoint).

    ``by="stage"``: one row per stage of journey.yaml, in its order.
    ``by="touchpoint"``: for each stage, the stage row (touchpoint missing) followed by one
    row per touchpoint of that stage (touchpoints table order).

    Columns: stage, stage_name, [touchpoint, touchpoint_name — only with by="touchpoint"],
    n_texts, sentiment (mean VADER compound of the linked comments and ticket texts),
    sentiment_low / sentiment_high (95% t-interval, clipped to −1…1; NaN when n < 2),
    n_csat, csat (share of CSAT answers that are 4 or 5), csat_low / csat_high (95% Wilson),
    workshop_emotion (−2…+2: the stage's ``emotion`` in journey.yaml, else the mean of its
    touchpoints' ``emotion`` column; for a touchpoint row its own ``emotion``; NaN if none).
    A stage or touchpoint without data has n 0 and NaN values.

    Example:
        >>> emotion_curve(ws)[["stage", "sentiment", "csat", "n_texts"]]   # doctest: +SKIP
    """
    if by not in ("stage", "touchpoint"):
        raise JourneykitError(f"emotion_curve: by must be 'stage' or 'touchpoint', got {by!r}")
    return _memo(ws, ("feedback.emotion_curve", by), lambda: _compute_emotion_curve(ws, by))


def _compute_emotion_curve(ws: Any, by: str) -> pd.DataFrame:
    items = _voice_items(ws)
    analysis = items[items["sentiment"].notna()]
    answers = items[items["csat"].notna()]
    answer_stage = answers["stage"]
    answer_tp = answers["touchpoint"]
    tp_info = _touchpoint_info(ws)
    rows = []
    for stage_id, stage_name, stage_emotion in _stages(ws):
        stage_tps = tp_info[tp_info["stage"].astype("object") == stage_id]
        emotion = stage_emotion
        if math.isnan(emotion):
            tp_emotions = stage_tps["emotion"].dropna()
            emotion = float(tp_emotions.mean()) if len(tp_emotions) else float("nan")
        row = {"stage": stage_id, "stage_name": stage_name}
        if by == "touchpoint":
            row.update({"touchpoint": None, "touchpoint_name": None})
        row.update(_curve_row(
            analysis[analysis["stage"] == stage_id], answers["csat"][answer_stage == stage_id]
        ))
        row["workshop_emotion"] = emotion
        rows.append(row)
        if by == "touchpoint":
            for tp_id, info in stage_tps.iterrows():
                tp_row = {"stage": stage_id, "stage_name": stage_name, "touchpoint": tp_id,
                          "touchpoint_name": _clean(info["name"]) or tp_id}
                tp_row.update(_curve_row(
                    analysis[analysis["touchpoint"] == tp_id], answers["csat"][answer_tp == tp_id]
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
