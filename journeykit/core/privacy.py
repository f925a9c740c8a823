"""The one masking rule for personal data in free text, and short masked excerpts.

Every free text that leaves the kit — a report, a notebook output, a table in the run
folder, the action plan, a chart, a problem message — goes through :func:`mask_pii`:

- e-mail addresses → ``[email]``;
- IBANs (any country, with or without spaces, **checked with the ISO 7064 mod-97
  checksum** and the country's length) → ``[iban]``;
- payment-card-like numbers: 13–19 digits, optionally grouped by spaces or hyphens,
  starting with 2–6 (the card networks' ranges) and **passing the Luhn check** → ``[card]``;
- phone numbers in international (``+31 6 12345678``, ``0031 20 1234567``) and national
  (``06-12345678``, ``020 123 4567``, ``(555) 123-4567``) formats → ``[phone]``.
  International candidates are confirmed with the ``phonenumbers`` package
  (``is_possible_number``), which also admits short international numbers (7–8 digits
  after the country code) that the digit count alone would leave.

Left alone (tested): dates, times, amounts with a currency, decimals, order/ticket/invoice
numbers (``#12345``, ``order 123456789``), IP addresses and plain numbers.

:func:`excerpt` is what a problem message shows of a value: masked, control and
invisible characters made visible (``\\n``, ``\\u200b``), long secret-looking tokens cut to
their first characters, at most :data:`EXCERPT_CHARS` characters.

Example:
    >>> mask_pii("Call +31 6 12345678 or mail jan@example.com about order #12345")
    'Call [phone] or mail [email] about order #12345'
    >>> mask_pii("Refund to NL91 ABNA 0417 1643 00, card 4111 1111 1111 1111")
    'Refund to [iban], card [card]'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pandas as pd

__all__ = ["EXCERPT_CHARS", "excerpt", "mask_frame", "mask_pii", "mask_value"]

#: the longest excerpt of a value a problem message shows (characters, quotes excluded)
EXCERPT_CHARS = 40
#: a run of at least this many token characters mixing letters and digits looks like a
#: secret (key, token, hash); an excerpt shows only its first :data:`_SECRET_KEEP` characters
_SECRET_MIN, _SECRET_KEEP = 20, 4

# any script: jürgen@exämple.de, 山田@例え.jp
_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
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
        rf"(?i)(?<![\d.,'])\d[\d.,']*\s?(?:{_CURRENCY}|euros?|dollars?|pounds?)(?![A-Za-z])"
    ),
    re.compile(r"(?<![\d.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d])(?![-/.]\d)"),  # 2024-03-15
    re.compile(r"(?<![\d.-])\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)(?![-/.]\d)"),  # 15/03/2024
    re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])"),  # IPv4 address / version
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\b"),  # times 10:30, 14:28:42.5
    # a decimal number with one point (0.9331476323119777, -12.5): a measurement, not a phone
    re.compile(r"(?<![\w.,+])-?(?:0|[1-9]\d*)\.\d+(?![\w.,])"),
]
_PHONE = re.compile(
    r"""
    (?<![\w@#])                      # not inside a word, an e-mail or an order number
    (?<![A-Za-z][-/_])               # nor the number part of an id: ORD-2025-000123, INV/…
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
#: international numbers (+CC…) this short are masked when ``phonenumbers`` finds them possible
_MIN_INTERNATIONAL_DIGITS = 7

# IBAN: two letters, two check digits, then 11-30 letters/digits, spaces or hyphens allowed
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?=[ -]?[A-Za-z0-9])")
#: IBAN length per country (ISO 13616 registry); other country codes: 15–34 characters
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# card-like: 13-19 digits in groups separated by single spaces or hyphens, not part of a
# longer number, a decimal or a date
_CARD = re.compile(r"(?<![\w.,/+])\d+(?:[ -]\d+)+(?![\w]|[.,/]\d)|(?<![\w.,/+])\d{13,19}(?![\w]|[.,/]\d)")
_CARD_DIGITS = (13, 19)
_PLACEHOLDER = re.compile("[\ue000-\uf8ff]")
#: texts longer than this are masked piece by piece (keeps the time linear in the length)
_PIECE_CHARS = 2000
_WORD_GAP = re.compile(r"[^\W\d_]\s+(?=[^\W\d_])")
_LINE_GAP = re.compile(r"\n")
_SECRET = re.compile(rf"[A-Za-z0-9+/_\-]{{{_SECRET_MIN},}}=*")


def _iban_ok(compact: str) -> bool:
    """True when ``compact`` (letters and digits, no spaces) is an IBAN: its country's
    length (15–34 for an unlisted country), check digits 02–98 and mod-97 remainder 1."""
    compact = compact.upper()
    country = compact[:2]
    expected = _IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        return False
    if expected is None and not 15 <= len(compact) <= 34:
        return False
    if not 2 <= int(compact[2:4]) <= 98:
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _mask_ibans(text: str) -> str:
    """Replace every checksum-valid IBAN in ``text`` by ``[iban]`` (longest valid form
    first, so a following word or number is never swallowed)."""
    out: list[str] = []
    position = 0
    for start in _IBAN_START.finditer(text):
        if start.start() < position:
            continue
        i, compact, ends = start.end(), start.group(0), []
        while i < len(text) and len(compact) < 34:
            if text[i].isascii() and text[i].isalnum():
                compact += text[i]
                i += 1
                ends.append((i, compact))
            elif text[i] in " -" and i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalnum():
                i += 1
            else:
                break
        for end, candidate in reversed(ends):
            boundary = end == len(text) or not text[end].isalnum()
            if boundary and _iban_ok(candidate):
                out.append(text[position:start.start()] + "[iban]")
                position = end
                break
    out.append(text[position:])
    return "".join(out)


def _luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of payment-card numbers."""
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    """A run of digit groups with every card-like window of whole groups (13–19 digits,
    first digit 2–6, Luhn-valid) replaced by ``[card]``, longest window first."""
    value = match.group(0)
    parts = re.split(r"([ -])", value)  # groups at even positions, separators between
    groups = parts[0::2]
    if sum(len(g) for g in groups) < _CARD_DIGITS[0]:
        return value
    out: list[str] = []
    i = 0
    while i < len(groups):
        best, digits = 0, ""
        for j in range(i, len(groups)):  # windows of whole groups, at most 19 digits
            digits += groups[j]
            if len(digits) > _CARD_DIGITS[1]:
                break
            if len(digits) >= _CARD_DIGITS[0] and digits[0] in "23456" and _luhn_ok(digits):
                best = j + 1
        if best:
            out.append("[card]")
            i = best
        else:
            out.append(groups[i])
            i += 1
        if i < len(groups):
            out.append(parts[2 * i - 1])
    return "".join(out)


@lru_cache(maxsize=1)
def _phonenumbers() -> Any:
    import phonenumbers  # heavy third-party (its metadata): only when a "+…" number is checked

    return phonenumbers


def _possible_international(candidate: str) -> bool | None:
    """``phonenumbers``' verdict on an international candidate (``+…``/``00…``): True
    when it is a possible number, False when not, None when the country code is unknown."""
    phonenumbers = _phonenumbers()
    number = "+" + candidate[2:] if candidate.startswith("00") else candidate
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return bool(phonenumbers.is_possible_number(parsed))


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if digits > _MAX_PHONE_DIGITS:
        return False
    if candidate.startswith(("+", "00")):
        if digits < _MIN_INTERNATIONAL_DIGITS:
            return False
        verdict = _possible_international(candidate)
        if digits >= _MIN_PHONE_DIGITS:
            return True  # privacy first: a long +… number is masked even if unknown
        return bool(verdict)
    if digits < _MIN_PHONE_DIGITS:
        return False
    if candidate.startswith("("):
        return True
    if re.fullmatch(r"\d+", candidate):
        # a bare run of digits is only a phone number with a national trunk prefix (0…),
        # otherwise it is more likely an id, an account or an order number
        return candidate.startswith("0") and digits >= 10
    return True


def mask_pii(text: object) -> object:
    """Replace e-mail addresses by ``[email]``, IBANs by ``[iban]``, payment-card numbers
    by ``[card]`` and phone numbers by ``[phone]`` (see the module docstring for the rules).

    Phone numbers: 9–15 digits in common national and international forms —
    ``+31 6 12345678``, ``+31 (0)20 123 4567``, ``0031 20 1234567``, ``06-12345678``,
    ``020 123 4567``, ``+44 20 7946 0958``, ``(555) 123-4567``, ``555-123-4567``,
    ``555.123.4567``, ``+1 555 123 4567``, ``06 12 34 56 78``, and international numbers
    of 7–8 digits that ``phonenumbers`` finds possible. A bare run of digits counts only
    when it starts with a trunk prefix 0 and has ≥ 10 digits (``0612345678``); other bare
    runs are taken for ids.
    Left alone: dates (``2024-03-15``, ``15/03/2024``, ``15.03.2024``), times, prices
    (``€1,299.00``, ``1.299,00 EUR``, ``45 euros``), decimals, order/ticket/invoice numbers
    (``#12345``, ``order 123456789``), IP addresses and plain numbers.
    Non-text values (None, NaN, numbers) are returned unchanged. Masking twice changes nothing.

    Example:
        >>> mask_pii("Ring me on 555-123-4567 before 15/03/2024, it cost €1,299.00")
        'Ring me on [phone] before 15/03/2024, it cost €1,299.00'
    """
    if not isinstance(text, str):
        return text
    return _mask_text(text)


def _mask_text(text: str) -> str:
    """:func:`mask_pii` of one string: short texts at once (cached), long ones piece by
    piece, cut between two words (a letter, spaces, a letter: no e-mail, number or IBAN
    spans such a gap), so the time is linear in the length of the text."""
    if len(text) <= _PIECE_CHARS:
        return _mask_piece(text)
    pieces, start = [], 0
    while len(text) - start > _PIECE_CHARS:
        window = text[start + _PIECE_CHARS // 2:start + _PIECE_CHARS]
        gaps = list(_WORD_GAP.finditer(window)) or list(_LINE_GAP.finditer(window))
        end = start + _PIECE_CHARS // 2 + (gaps[-1].start() + 1 if gaps else len(window))
        pieces.append(_mask_piece(text[start:end]))
        start = end
    pieces.append(_mask_piece(text[start:]))
    return "".join(pieces)


@lru_cache(maxsize=65536)
def _mask_piece(text: str) -> str:
    """:func:`mask_pii` of one string of at most :data:`_PIECE_CHARS` characters
    (cached: texts repeat, masking is pure)."""
    if not any(ch.isdigit() or ch == "@" for ch in text):
        return text  # nothing to mask without a digit or an @
    out = _EMAIL.sub("[email]", text)
    out = _mask_ibans(out)
    out = _CARD.sub(_card, out)
    protected: list[str] = []

    def protect(match: re.Match[str]) -> str:
        protected.append(match.group(0))
        return chr(0xE000 + len(protected) - 1)  # a private-use character, not \w, not a digit

    # private-use characters already in the text are kept as they are (protected first),
    # so every placeholder in ``out`` is one of ours
    for pattern in (_PLACEHOLDER, *_PROTECT):
        out = pattern.sub(protect, out)

    def phone(match: re.Match[str]) -> str:
        value = match.group(0)
        return "[phone]" if _is_phone(value) else value

    out = _PHONE.sub(phone, out)
    if protected:
        out = _PLACEHOLDER.sub(lambda m: protected[ord(m.group(0)) - 0xE000], out)
    return out


def mask_value(value: object) -> object:
    """:func:`mask_pii` of a cell: a text masked, each text of a list or tuple masked
    (``quotes`` columns), anything else unchanged.

    >>> mask_value(["mail a@b.nl", 3])
    ['mail [email]', 3]
    """
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(item) for item in value)
    return value


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`mask_value` applied to every text cell (columns of
    object or string dtype, and the column names); numbers, dates and missing values are
    kept as they are. What every table leaving the kit goes through.

    >>> mask_frame(pd.DataFrame({"comment": ["mail a@b.nl"], "n": [3]}))["comment"].tolist()
    ['mail [email]']
    """
    out = frame.copy()
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
            continue
        masked = [mask_value(v) for v in series.tolist()]
        if any(m is not v and m != v for m, v in zip(masked, series.tolist())
               if isinstance(v, (str, list, tuple))):
            out.isetitem(position, pd.Series(masked, index=series.index, dtype=series.dtype, name=series.name))
    if any(isinstance(c, str) for c in frame.columns):
        out.columns = pd.Index([mask_pii(c) if isinstance(c, str) else c for c in frame.columns])
    return out


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """What a message may show of ``value``: masked (:func:`mask_pii`), long
    secret-looking tokens cut to their first characters, at most ``limit`` characters
    (then ``...``), quoted with control and invisible characters escaped (``repr``).

    >>> excerpt("mail me: jan@example.com")
    "'mail me: [email]'"
    >>> excerpt("token=sk_live_4eC39HqLyjWDarjtT1zdp7dc")
    "'token=sk_l…'"
    >>> excerpt("line one\\nline two\\u200b")
    "'line one\\\\nline two\\\\u200b'"
    """
    text = str(value)
    window = 20 * limit
    if len(text) > window:
        text = text[:window]
        cut = max(text.rfind(" "), text.rfind("\n"))
        text = text[:cut] if cut > limit else text  # no half e-mail or number at the cut
        text += " ..."
    text = str(mask_pii(text))
    text = _SECRET.sub(_shorten_secret, text)
    quoted = repr(text)  # control and invisible characters escaped, as repr does
    quote, shown = quoted[0], quoted[1:-1]
    if len(shown) > limit:
        shown = shown[:limit - 3] + "..."
    return quote + shown + quote


def _shorten_secret(match: re.Match[str]) -> str:
    token = match.group(0)
    has_letter = any(ch.isalpha() for ch in token)
    has_digit = any(ch.isdigit() for ch in token)
    return token[:_SECRET_KEEP] + "…" if has_letter and has_digit else token
