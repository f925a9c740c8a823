"""Reading a number column: one decimal separator and one currency per column.

:func:`read_numbers` turns a column of number texts (amounts, scores) into floats, deciding
from ALL its values:

- **the decimal separator**: ``3,5``, ``12,50`` or ``1.234,50`` can only have a decimal comma;
  ``1,234,567``, ``1,234.50`` or ``3.5`` only a decimal point. A column with both is an error
  naming examples of each. A column whose only separated shape is ``1,234`` (or ``1.234``) is
  read with the separator the workspace currency usually has (:data:`DECIMAL_COMMA` lists the
  currencies written ``1.234,50``), with ONE warning naming both readings. Spaces, NBSPs and
  apostrophes between digit groups are thousands separators (``1 234,50``, ``1'234.50``);
- **the currency**: a symbol or code of the workspace's currency (journey.yaml ``currency``)
  is dropped; any other (``$`` in a EUR workspace, ``GBP``) is an error naming the value;
- **finite**: ``inf``, ``Infinity``, ``NaN`` or ``1e309`` are errors (a finite number).

Example:
    >>> import pandas as pd
    >>> seen = []
    >>> read_numbers(pd.Series(["€12,50", "3,5"], dtype="string"), "amount", "EUR", "orders.csv",
    ...              lambda *a, **k: seen.append(a)).tolist(), seen
    ([12.5, 3.5], [])
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pandas as pd

AddProblem = Callable[..., None]

#: Currency code -> the symbols written for it (besides the code itself).
SYMBOLS: dict[str, tuple[str, ...]] = {
    "EUR": ("€",), "USD": ("$", "US$"), "GBP": ("£",), "JPY": ("¥", "円"), "CNY": ("¥", "元", "RMB"),
    "INR": ("₹", "Rs", "Rs."), "KRW": ("₩",), "RUB": ("₽",), "TRY": ("₺",), "ILS": ("₪",),
    "VND": ("₫",), "THB": ("฿",), "UAH": ("₴",), "NGN": ("₦",), "PHP": ("₱",), "PLN": ("zł",),
    "BRL": ("R$",), "CAD": ("$", "CA$", "C$"), "AUD": ("$", "A$", "AU$"), "NZD": ("$", "NZ$"),
    "MXN": ("$", "MX$"), "CHF": ("Fr.", "SFr."), "SEK": ("kr",), "NOK": ("kr",), "DKK": ("kr",),
    "CZK": ("Kč",), "HUF": ("Ft",), "ZAR": ("R",), "SGD": ("$", "S$"), "HKD": ("$", "HK$"),
}
#: Currencies whose amounts are usually written with a decimal comma (``1.234,50``); the
#: reading of a column whose only shape is ``1,234`` when the workspace uses one of them.
DECIMAL_COMMA = frozenset({"EUR", "BRL", "TRY", "RUB", "PLN", "CZK", "HUF", "SEK", "NOK", "DKK",
                           "UAH", "VND", "IDR", "ARS", "CLP", "COP", "ZAR", "CHF"})
_SIGNS = "€$£¥₹₩₽₺₪₫฿₴₦₱円元"
_MARKS = re.compile(r"[A-Za-z" + _SIGNS + r"][A-Za-z." + _SIGNS + r"$]*\$?|[" + _SIGNS + r"]")
_GROUP_SPACE = re.compile(r"(?<=\d)[\s\u00a0\u202f'’](?=\d{3}(?:\D|$))")
_NON_FINITE = re.compile(r"^[+-]?(?:inf|infinity|nan)$", re.IGNORECASE)
_SHAPES = [  # (pattern, reading): "comma" = decimal comma, "dot" = decimal point, "either"
    (re.compile(r"^[+-]?\d+$"), "plain"),
    (re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$"), "either,"),
    (re.compile(r"^[+-]?[1-9]\d{0,2}\.\d{3}$"), "either."),
    (re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$|^[+-]?\d{1,3}(?:\.\d{3}){2,}$|^[+-]?\d*,\d+$"), "comma"),
    (re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$|^[+-]?\d{1,3}(?:,\d{3}){2,}$|^[+-]?(?:\d*\.\d+|\d+\.)(?:e[+-]?\d+)?$"
                r"|^[+-]?\d+(?:\.\d*)?e[+-]?\d+$", re.IGNORECASE), "dot"),
]


def _examples(pairs: list[tuple[int, str]]) -> str:
    shown = ", ".join(f"row {row}: {value!r}" for row, value in pairs[:3])
    return shown + (f" and {len(pairs) - 3} more" if len(pairs) > 3 else "")


def _shape(number: str) -> str | None:
    for pattern, reading in _SHAPES:
        if pattern.match(number):
            return reading
    return None


def _to_float(number: str, comma: bool) -> float | None:
    text = number.replace(".", "").replace(",", ".") if comma else number.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def read_numbers(text: pd.Series, column: str, currency: str, source: str, add: AddProblem, *,
                 typed_cells: bool = False, expected: str = "a number") -> pd.Series:
    """One column of number texts (blank = NA, already stripped) -> ``float64`` (NaN where a
    value cannot be read; each has a problem recorded through ``add(row, column, value,
    expected, severity)``). ``typed_cells``: the texts come from a file whose cells hold
    numbers (Parquet, Excel), written by Python as ``1.234`` - a decimal point, not ambiguous.
    ``expected`` is what a valid value looks like, in words (e.g. "an integer 0-10")."""
    own = currency.upper()
    allowed = {own, *(s.upper() for s in SYMBOLS.get(own, ()))}
    out = pd.Series(float("nan"), index=text.index, dtype="float64")
    shapes: dict[int, tuple[str, str, str]] = {}  # row -> (original, number text, shape)
    by_reading: dict[str, list[tuple[int, str]]] = {"comma": [], "dot": [], "either,": [], "either.": []}
    # each distinct text is analysed once (values repeat: amounts, scores, the same bad value
    # on thousands of rows); the problems are still one per row
    seen: dict[str, tuple[str | None, str, str]] = {}
    for row, value in text.dropna().items():
        original = str(value)
        found = seen.get(original)
        if found is None:
            found = seen[original] = _analyse(original, allowed, own, expected, typed_cells)
        problem, number, shape = found
        if problem is not None:
            add(row, column, original, problem)
            continue
        shapes[int(row)] = (original, number, shape)
        if shape in by_reading:
            by_reading[shape].append((int(row), original))
    comma_only, dot_only = by_reading["comma"], by_reading["dot"]
    either = by_reading["either,"] + by_reading["either."]
    if comma_only and dot_only:
        add(None, column, f"{comma_only[0][1]} / {dot_only[0][1]}",
            "one decimal separator for the whole column: these only read with a decimal comma "
            f"({_examples(comma_only)}), these only with a decimal point ({_examples(dot_only)}) - fix "
            "the wrong ones")
        return out
    if comma_only or dot_only:
        comma = bool(comma_only)
    else:
        comma = own in DECIMAL_COMMA
        if either:
            row, value = either[0]
            number = shapes[row][1]
            as_comma, as_dot = _to_float(number, True), _to_float(number, False)
            add(None, column, _examples(either),
                f"numbers whose decimal separator is known: no value in {source} column {column!r} decides "
                f"it, so {value!r} is read as {as_comma if comma else as_dot:g} (decimal "
                f"{'comma' if comma else 'point'}, usual for {own}); with a decimal "
                f"{'point' if comma else 'comma'} it would be {as_dot if comma else as_comma:g} - write "
                "the decimals (1234.00 or 1,23) to be sure", "warning")
    floats: dict[str, float | None] = {}
    good_rows: list[int] = []
    good_values: list[float] = []
    for row, (original, number, _shape_name) in shapes.items():
        if number in floats:
            value = floats[number]
        else:
            value = floats[number] = _to_float(number, comma)
        if value is None:
            add(row, column, original, expected)
        elif not math.isfinite(value):
            add(row, column, original, f"a finite number ({expected})")
        else:
            good_rows.append(row)
            good_values.append(value)
    if good_rows:  # one assignment, not one per row
        out.loc[good_rows] = good_values
    return out


def _analyse(original: str, allowed: set[str], own: str, expected: str,
             typed_cells: bool) -> tuple[str | None, str, str]:
    """One number text -> (the problem, or None; the number without currency marks and digit
    group spaces; its shape, see ``_SHAPES``)."""
    marks = [m.group(0) for m in _MARKS.finditer(original)]
    if _NON_FINITE.match(original.strip()):
        return f"a finite number ({expected})", "", ""
    foreign = [m for m in marks if m.upper() not in allowed and m.upper().rstrip(".") not in allowed]
    if marks and foreign and all(_is_currency(m) for m in foreign):
        return (f"an amount in the workspace currency {own} (journey.yaml currency); "
                f"{', '.join(foreign)} is another currency - convert it or fix the value"), "", ""
    number = _MARKS.sub("", original) if not foreign else original
    number = _GROUP_SPACE.sub("", number.strip()).strip()
    shape = _shape(number)
    if shape is None:
        return expected, "", ""
    if typed_cells and shape == "either.":
        shape = "dot"
    return None, number, shape


def _is_currency(mark: str) -> bool:
    """True for a currency symbol or code (not a word such as 'abc')."""
    upper = mark.upper().rstrip(".")
    if upper in SYMBOLS or any(ch in _SIGNS for ch in mark):
        return True
    return any(upper == s.upper().rstrip(".") for symbols in SYMBOLS.values() for s in symbols) \
        or (len(upper) == 3 and upper.isalpha() and upper.isupper() and mark.isupper())
