"""Masking of personal data in texts: e-mail addresses and phone numbers.

Example:
    >>> mask_pii("Call +31 6 12345678 or mail jan@example.com about order #12345")
    'Call [phone] or mail [email] about order #12345'
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["mask_pii"]

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
