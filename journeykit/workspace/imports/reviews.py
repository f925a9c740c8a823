"""Review presets: Trustpilot and Google reviews -> feedback.

A review's stars (1-5) are written as its **csat** (1 = very dissatisfied, 5 = very
satisfied: the KPI then counts 4 and 5 stars as satisfied), its words as the comment, and
``source`` = ``review`` on every row. Stars may be numbers (``5``, ``4.0``) or words
(``FIVE``, ``five stars``); a review without a rating (Google's ``STAR_RATING_UNSPECIFIED``)
is set aside, and a rating that reads neither way is an error naming the row.

**trustpilot** (Business > Reviews > export, CSV): date = ``Review Created (UTC)``
(``YYYY-MM-DD HH:MM:SS`` is written with ``+00:00`` so the loader reads an instant; other
forms are passed through for the loader to decide); comment = ``Review Title`` and
``Review Content`` (one line break between, the title left out when the content starts
with it); csat = ``Review Stars``; customer = ``Review Consumer Email`` (lower-cased),
else ``Review Consumer User Id`` (Trustpilot's id of the reviewer). When you invite
reviewers with your own customer number as the ``Reference Id``, name it:
``--set customer="Reference Id"``. A note counts the reviews per ``Review Language``.

**google-reviews** (Google Business Profile: the Takeout ``reviews.json``, an API
``{"reviews": [...]}`` answer, or a CSV with the same fields): ``starRating`` ONE..FIVE,
``comment``, ``createTime`` (ISO, ``Z``); a comment Google translated
(``(Translated by Google) ... (Original) ...``) keeps the customer's original words.
Google names no customer (a reviewer's display name is not an id): customer_id is blank
unless ``--set customer=COLUMN`` names one.

Options for both: ``customer=``, and ``stage=``/``touchpoint=``/``channel=`` written on
every row.

Example:
    >>> stars("FIVE"), stars("4.0"), stars("2 stars"), stars("STAR_RATING_UNSPECIFIED")
    (5, 4, 2, None)
    >>> original_text("(Translated by Google) Very good\\n\\n(Original)\\nMuy bien")
    ('Muy bien', True)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.imports.base import (
    Export,
    ImportResult,
    Option,
    Preset,
    SetAside,
    find_column,
    missing_columns,
    zoned_text,
)

FEEDBACK_COLUMNS = ("customer_id", "date", "stage", "touchpoint", "nps", "csat", "ces", "comment", "channel",
                    "source")
STAR_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
NO_RATING = {"", "star_rating_unspecified", "unspecified", "none"}
#: the most rating problems reported per file (then one saying how many more)
MAX_PROBLEMS = 5
_NUMBER = re.compile(r"^(\d)(?:\.0+)?(?:\s*(?:stars?|/\s*5|\u2605))?$")
_TRANSLATED = "(Translated by Google)"
_ORIGINAL = "(Original)"


def stars(text: str) -> int | None:
    """A star rating as 1-5: numbers or words, None when there is no rating. Raises
    ``ValueError`` for text that is not a rating of 1 to 5 stars."""
    value = str(text).strip().lower()
    if value in NO_RATING:
        return None
    match = _NUMBER.match(value)
    word = re.sub(r"[\s_-]*stars?$", "", value)
    number = int(match.group(1)) if match else STAR_WORDS.get(word)
    if number is None or not 1 <= number <= 5:
        raise ValueError(text)
    return number


def original_text(comment: str) -> tuple[str, bool]:
    """The customer's own words of a Google review comment, and whether Google had added a
    translation (which is dropped)."""
    text = str(comment).strip()
    if _ORIGINAL in text:
        return text.split(_ORIGINAL, 1)[1].strip(), True
    if _TRANSLATED in text:
        before, after = text.split(_TRANSLATED, 1)
        return (before.strip() or after.strip()), True
    return text, False


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(str).str.strip().str.replace("\r\n", "\n")


def _ratings(export: Export, column: str, result: ImportResult) -> pd.Series:
    out: list[int | None] = []
    bad = 0
    for position, text in enumerate(export.frame[column]):
        try:
            out.append(stars(text))
        except ValueError:
            out.append(None)
            bad += 1
            if bad <= MAX_PROBLEMS:
                result.problems.append(Problem(export.name, "a star rating 1-5 (a number, or ONE to FIVE)",
                                               row=export.row(position), column=column, value=text,
                                               table="feedback"))
    if bad > MAX_PROBLEMS:
        result.problems.append(Problem(export.name, f"star ratings as above: {bad - MAX_PROBLEMS:,} more rows do "
                                       "not read", column=column, table="feedback"))
    return pd.Series(out, index=export.frame.index, dtype=object)


def _customer_option(export: Export, options: Mapping[str, str], result: ImportResult) -> str | None:
    column = find_column(export, options["customer"])
    if column is None:
        result.problems.append(Problem(export.name, "a column for --set customer=... (columns found: "
                                       f"{', '.join(export.frame.columns)})", row=1, column="customer",
                                       value=options["customer"], table="feedback"))
    return column


def _feedback(export: Export, date: pd.Series, rating: pd.Series, comment: pd.Series, customer: pd.Series,
              options: Mapping[str, str], result: ImportResult) -> pd.DataFrame:
    index = export.frame.index
    customer = customer.where(~customer.str.contains("@", regex=False), customer.str.lower())
    frame = pd.DataFrame({name: pd.Series("", index=index, dtype=object) for name in FEEDBACK_COLUMNS})
    frame["customer_id"] = customer
    frame["date"] = date
    frame["csat"] = rating.map(lambda s: "" if s is None else str(s))
    frame["comment"] = comment
    for name in ("stage", "touchpoint", "channel"):
        frame[name] = options.get(name, "").strip()
    frame["source"] = "review"
    reason = rating.map(lambda s: "no star rating" if s is None else "")
    bad_rows = {p.row for p in result.problems if p.file == export.name and p.row is not None}
    reason = reason.where(~pd.Series([export.row(i) in bad_rows for i in range(len(index))], index=index), "")
    reason = reason.where((reason != "") | (date != ""), "no date")
    for why in dict.fromkeys(reason[reason != ""]):
        result.set_aside.append(SetAside(export.name, export.rows(reason == why), why, "feedback"))
    return frame[reason == ""]


def trustpilot(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """Trustpilot review exports -> feedback (see the module docstring)."""
    result = ImportResult("trustpilot", [e.name for e in exports])
    frames = []
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
        frame = export.frame
        date_column = find_column(export, "Review Created (UTC)", "Review Created", "Created At")
        stars_column = find_column(export, "Review Stars", "Stars")
        result.problems += missing_columns(export, "feedback", {"Review Created (UTC)": date_column,
                                                                "Review Stars": stars_column})
        chosen = _customer_option(export, options, result) if "customer" in options else None
        if date_column is None or stars_column is None or not result.ok:
            continue
        date = _text(frame, date_column)
        if "utc" in date_column.lower():
            date, _ = zoned_text(date, "UTC")
            other = int((~date.str.contains(r"[+-]\d\d:\d\d$|Z$", regex=True) & (date != "")).sum())
            if other:
                result.notes.append(f"{other:,} {date_column} value(s) in {export.name} are not YYYY-MM-DD HH:MM:SS: "
                                    "passed through as written (read in the workspace time zone)")
        title = _text(frame, find_column(export, "Review Title", "Title"))
        content = _text(frame, find_column(export, "Review Content", "Content", "Review Text"))
        comment = pd.Series([c if not t or c.startswith(t) else (t if not c else f"{t}\n{c}")
                             for t, c in zip(title, content, strict=True)], index=frame.index, dtype=object)
        if chosen:
            customer = _text(frame, chosen)
        else:
            customer = _text(frame, find_column(export, "Review Consumer Email", "Consumer Email", "Email"))
            user = _text(frame, find_column(export, "Review Consumer User Id", "Consumer User Id"))
            customer = customer.where(customer != "", user)
        language = find_column(export, "Review Language", "Language")
        if language:
            counts = Counter(v for v in _text(frame, language) if v)
            if counts:
                result.notes.append(f"review languages in {export.name}: " + ", ".join(
                    f"{name} {count:,}" for name, count in counts.most_common()))
        rating = _ratings(export, stars_column, result)
        frames.append(_feedback(export, date, rating, comment, customer, options, result))
    if frames and result.ok:
        result.tables["feedback"] = pd.concat(frames, ignore_index=True)
    return result


def _json_field(value: str, key: str) -> str:
    try:
        data = json.loads(value)
    except (json.JSONDecodeError, TypeError):
        return value
    return str(data.get(key, "")) if isinstance(data, dict) else value


def google_reviews(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """Google Business Profile reviews (Takeout JSON, API JSON or CSV) -> feedback."""
    result = ImportResult("google-reviews", [e.name for e in exports])
    frames = []
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
        frame = export.frame
        date_column = find_column(export, "createTime", "create time", "Date", "Review date")
        stars_column = find_column(export, "starRating", "star rating", "Rating", "Stars")
        result.problems += missing_columns(export, "feedback", {"createTime": date_column,
                                                                "starRating": stars_column})
        chosen = _customer_option(export, options, result) if "customer" in options else None
        if date_column is None or stars_column is None or not result.ok:
            continue
        comment_column = find_column(export, "comment", "Review", "Review text", "Text")
        originals = [original_text(c) for c in _text(frame, comment_column)]
        translated = sum(flag for _, flag in originals)
        if translated:
            result.notes.append(f"{translated:,} comment(s) in {export.name} carried Google's translation: the "
                                "reviewer's original words are kept")
        comment = pd.Series([text for text, _ in originals], index=frame.index, dtype=object)
        customer = pd.Series("", index=frame.index, dtype=object)
        if chosen:
            customer = _text(frame, chosen).map(lambda v: _json_field(v, "displayName") if v.startswith("{") else v)
        else:
            result.notes.append(f"Google reviews name no customer: customer_id left blank for {export.name} "
                                "(--set customer=COLUMN to use one)")
        rating = _ratings(export, stars_column, result)
        frames.append(_feedback(export, _text(frame, date_column), rating, comment, customer, options, result))
    if frames and result.ok:
        result.tables["feedback"] = pd.concat(frames, ignore_index=True)
    return result


OPTIONS = (
    Option("customer", "the column identifying the reviewer as a customer"),
    Option("stage", "a stage id written on every review"),
    Option("touchpoint", "a touchpoint id written on every review"),
    Option("channel", "a channel written on every review"),
)

PRESETS: tuple[Preset, ...] = (
    Preset("trustpilot", "reviews", "a Trustpilot reviews export (CSV)", ("feedback",), trustpilot, options=OPTIONS),
    Preset("google-reviews", "reviews", "Google Business Profile reviews: Takeout reviews.json, API JSON or CSV",
           ("feedback",), google_reviews, options=OPTIONS),
)
