"""The one rule for ids: what makes two spellings the same id.

Ids are keys (``customer_id``, ``order_id``, persona and touchpoint ids, stage ids) and the
columns that refer to them. Exports add characters nobody can see, so two ids that look
the same may differ. :func:`normalise_id` makes one spelling of each id:

1. Unicode NFC (``e`` + combining accent and ``é`` are one letter);
2. characters that show nothing are removed wherever they are: zero-width space, joiner
   and non-joiner, word joiner, byte-order mark, soft hyphen, left-to-right/right-to-left
   marks and embeddings (:data:`INVISIBLE`);
3. no-break and other Unicode spaces become an ordinary space (:data:`SPACES`), then the
   id is stripped of surrounding whitespace.

:func:`normalise_id_column` applies the rule to a column and says what it changed: one
warning per column counting the values changed, and, in a column of unique keys, an error
for each id that only becomes equal to an earlier one through the rule (naming both
spellings, shown with their invisible characters as ``\\u200b`` escapes and cut short).
When every filled value of a column is an integer written as a float (``13085.0``, what
spreadsheets make of numeric ids), the column becomes integer text (``13085``) with a
warning too; a column with other values is left as it is.

Example:
    >>> normalise_id("\\u00a0c\\u200b1 "), normalise_id("Cafe\\u0301") == "Caf\\u00e9"
    ('c1', True)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from journeykit.core.cells import join_list, split_list
from journeykit.workspace.schema import Column

__all__ = ["INVISIBLE", "SPACES", "IdReport", "is_id_column", "normalise_id", "normalise_id_column",
           "normalise_ids", "show_spelling"]

#: removed wherever they are in an id
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                      "\u2066\u2067\u2068\u2069\u180e\u061c")
#: read as an ordinary space (then surrounding spaces are stripped)
SPACES = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                   "\u202f\u205f\u3000")
_TABLE = {ord(c): None for c in INVISIBLE} | {ord(c): " " for c in SPACES}
_NOT_PLAIN = re.compile(r"[^\x20-\x7e]|^\s|\s$")
_FLOAT_INT = re.compile(r"^[+-]?\d+\.0+$")
#: longest excerpt of a spelling shown in a problem
EXCERPT = 24


def normalise_id(value: str) -> str:
    """One spelling of an id (see the module docstring)."""
    return unicodedata.normalize("NFC", value.translate(_TABLE)).strip()


def show_spelling(value: str) -> str:
    """A spelling as a short, visible excerpt: characters that do not show (and any
    non-printable one) written as ``\\uXXXX``, at most :data:`EXCERPT` characters."""
    shown = "".join(c if c.isprintable() and c not in INVISIBLE and c not in SPACES
                    else f"\\u{ord(c):04x}" for c in value)
    return shown if len(shown) <= EXCERPT else shown[:EXCERPT - 1] + "…"


def _excerpt(value: str) -> str:
    """A problem's value: the spelling cut to :data:`EXCERPT` characters (a problem shows
    its value with ``repr``, which writes invisible characters as escapes)."""
    return value if len(value) <= EXCERPT else value[:EXCERPT - 1] + "…"


@dataclass(frozen=True)
class IdReport:
    """What :func:`normalise_id_column` did: ``changed`` values changed by the rule,
    ``from_float`` True when float-looking integers became integer text, and
    ``collisions`` (row, spelling, first row, first spelling) for ids of a unique column
    that only equal an earlier one through the rule (those rows keep their spelling);
    ``example``: the first spelling the rule changed."""

    changed: int = 0
    from_float: bool = False
    collisions: tuple[tuple[object, str, object, str], ...] = ()
    example: str = ""


def normalise_id_column(values: pd.Series, *, unique: bool = False) -> tuple[pd.Series, IdReport]:
    """Apply :func:`normalise_id` to a ``string`` column of ids (blanks as NA).

    Only values that are not plain ASCII are looked at one by one, so a column of ordinary
    ids costs one vectorised scan. Returns the new column and an :class:`IdReport`."""
    present = values.notna()
    out = values.copy()
    changed = 0
    example = ""
    suspect = values.str.contains(_NOT_PLAIN, regex=True).fillna(False).astype(bool)
    if suspect.any():
        fixed = values[suspect].map(normalise_id).astype("string")
        differs = fixed != values[suspect]
        changed = int(differs.sum())
        if changed:
            example = str(values[suspect][differs].iloc[0])
        out[suspect] = fixed
    emptied = present & (out == "").fillna(False).astype(bool)
    out = out.mask(emptied, pd.NA)
    present = out.notna()
    from_float = False
    if present.any() and out[present].str.match(_FLOAT_INT).all():
        out = out.str.replace(r"\.0+$", "", regex=True).str.replace(r"^\+", "", regex=True)
        from_float = True
    collisions: list[tuple[object, str, object, str]] = []
    if unique and (changed or from_float):
        first: dict[str, tuple[object, str]] = {}
        for row, value in out.dropna().items():
            spelling = str(values[row])
            if value not in first:
                first[value] = (row, spelling)
                continue
            first_row, first_spelling = first[value]
            if spelling != first_spelling:  # the same id only once normalised
                collisions.append((row, spelling, first_row, first_spelling))
                out[row] = values[row]
    return out, IdReport(changed, from_float, tuple(collisions), example)


def is_id_column(column: Column) -> bool:
    """Whether the rule applies to ``column``: ids (keys and the columns referring to a key
    or a stage) and ``;`` lists of ids (a touchpoint's personas)."""
    return column.kind == "id" or (column.kind == "list" and column.references not in (None, "channels", "owners"))


def _normalise_list(cell: str) -> str:
    items = split_list(cell)
    fixed = [normalise_id(item) for item in items]
    return cell if fixed == items else join_list(fixed)


#: ``add(row, column, value, expected, severity)``, as :meth:`parsing.Checker.add`
AddProblem = Callable[..., None]


def normalise_ids(column: Column, values: pd.Series, add: AddProblem) -> pd.Series:
    """The ids of ``column`` in one spelling, reporting through ``add``: one warning for the
    column counting the values changed (and one when float-looking integers became integer
    text), an error for each id of a unique column that only equals an earlier one once
    normalised."""
    name = column.name
    if column.kind == "list":
        suspect = values.str.contains(_NOT_PLAIN, regex=True).fillna(False).astype(bool)
        if not suspect.any():
            return values
        out = values.copy()
        out[suspect] = values[suspect].map(_normalise_list).astype("string")
        changed = values[suspect][out[suspect] != values[suspect]]
        if len(changed):
            add(None, name, _excerpt(str(changed.iloc[0])),
                f"ids in one spelling: {len(changed)} value(s) held invisible characters, no-break "
                "spaces or decomposed accents; they were removed or normalised (Unicode NFC)", "warning")
        return out
    out, report = normalise_id_column(values, unique=column.unique)
    if report.changed:
        add(None, name, _excerpt(report.example),
            f"ids in one spelling: {report.changed} value(s) held invisible characters, no-break "
            "spaces or decomposed accents; they were removed or normalised (Unicode NFC)", "warning")
    if column.not_null:
        for row in out.index[values.notna() & out.isna()]:
            add(row, name, _excerpt(str(values[row])),
                f"a value ({column.kind}) - this column may not be blank (this one holds only "
                "invisible characters or spaces)")
    if report.from_float:
        add(None, name, _excerpt(str(values.dropna().iloc[0])),
            "ids written as integers: every id of this column looked like a float (13085.0, as "
            "spreadsheets write numeric ids); read as integer text (13085)", "warning")
    for row, spelling, first_row, first_spelling in report.collisions:
        add(row, name, _excerpt(spelling),
            f"a unique {name}: '{show_spelling(spelling)}' is the same id as '{show_spelling(first_spelling)}' "
            f"(row {first_row}) once invisible characters and spaces are removed; keep one spelling")
    return out
