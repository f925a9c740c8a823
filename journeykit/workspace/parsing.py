"""Typing a table's cells: text as written in a file -> the column's dtype.

:func:`convert_column` turns one column of text cells into its canonical dtype and
records every value that does not fit in a :class:`Checker` (file, spreadsheet row,
column, value, what was expected):

- ids and text: pandas ``string`` (ids treat ``N/A``, ``-`` and the like as blank);
- ``int`` scores: nullable ``Int64``; ``float`` amounts: ``float64``; the decimal separator
  and the currency are decided per column (:mod:`journeykit.workspace.numbers`);
- ``bool`` flags: ``boolean`` (yes/no, true/false, 1/0, online/offline, x);
- dates and timestamps: ``datetime64[us]``, one day/month order per column, in a plausible
  range (:mod:`journeykit.workspace.dates`); tz-naive wall-clock time in the workspace time
  zone, or tz-aware in it when the column's values carry offsets (instants).

Example:
    >>> is_missing(pd.Series(["N/A", "3", None], dtype="string")).tolist()
    [True, False, True]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from journeykit.core.errors import Problem, Severity
from journeykit.workspace.config import JourneyConfig
from journeykit.workspace.dates import DateRules, read_dates
from journeykit.workspace.ids import is_id_column, normalise_ids
from journeykit.workspace.numbers import read_numbers
from journeykit.workspace.readers import RawTable
from journeykit.workspace.schema import Column, Table

MISSING_TOKENS = {"", "na", "n/a", "null", "none", "nan", "-", "--"}
SPREADSHEET_ERRORS = {"#n/a", "#error!", "#value!", "#ref!", "#div/0!", "#name?", "#num!", "#null!", "#spill!"}
TRUE_TOKENS = {"yes", "y", "true", "t", "1", "online", "x"}
FALSE_TOKENS = {"no", "n", "false", "f", "0", "offline"}


@dataclass
class Checker:
    """Collects problems for one table source."""

    table: Table
    raw: RawTable
    config: JourneyConfig
    problems: list[Problem] = field(default_factory=list)
    bad_rows: dict[int, list[str]] = field(default_factory=dict)

    def add(self, row: int | None, column: str | None, value: object, expected: str,
            severity: Severity = "error") -> None:
        self.problems.append(Problem(self.raw.source, expected, row=row, column=column,
                                     value=value, severity=severity, table=self.table.name))
        if severity == "error" and row is not None:
            self.bad_rows.setdefault(row, []).append(f"{column}: {expected} (got {value!r})")


#: text columns that name a category matched against a list (stripped like ids); every
#: other text column is free text, kept exactly as typed
CATEGORY_TEXT = frozenset({"channel", "event", "category", "source", "owner", "status", "kind"})


def clean_text(series: pd.Series) -> pd.Series:
    """Text cells as ``string``, exactly as written: no stripping, and an apostrophe the user
    typed stays (formulas are neutralised in exports only, never in the workspace);
    :func:`convert_column` strips ids, numbers, dates and categories."""
    return series.astype("string")


def is_free_text(column: Column) -> bool:
    """True for a free-text column (a description, a comment, a persona's goals): its
    cells are kept exactly as typed, surrounding spaces and line breaks included; a cell
    of only spaces is blank."""
    return (column.kind == "text" and not column.choices and not column.references
            and column.name not in CATEGORY_TEXT)


def is_missing(text: pd.Series) -> pd.Series:
    return text.isna() | text.str.lower().isin(MISSING_TOKENS)


def convert_column(column: Column, text: pd.Series, checker: Checker) -> pd.Series:
    """Type one column; record problems for values that do not fit."""
    name = column.name
    free = is_free_text(column)
    if not free:
        text = text.str.strip()
    missing = is_missing(text.str.strip() if free else text)
    if column.kind in ("int", "float"):  # "NaN" typed as a number is no blank: it is not a finite number
        missing = missing & ~(text.str.lower() == "nan").fillna(False)
    errors = text.str.lower().isin(SPREADSHEET_ERRORS) & ~missing
    if column.not_null:
        for row in text.index[missing & ~errors]:
            checker.add(row, name, text.get(row) if pd.notna(text.get(row)) else "",
                        f"a value ({column.kind}) - this column may not be blank")

    if column.kind in ("id", "text", "list"):
        # ids and lists treat "N/A" and the like as blank; free text keeps them as written
        blank = missing if column.kind != "text" else (text.isna() | (text.str.strip() == ""))
        out = text.mask(blank, pd.NA)
        if is_id_column(column):  # one spelling per id: journeykit.workspace.ids
            out = normalise_ids(column, out.astype("string"), checker.add)
        if column.choices:
            lowered = out.str.lower()
            ok = lowered.isin(column.choices) | out.isna()
            for row in out.index[~ok]:
                checker.add(row, name, out[row], column.expectation())
            out = lowered.where(ok, pd.NA)
        return out.astype("string")

    for row in text.index[errors]:
        checker.add(row, name, text[row], f"{column.expectation()} (this is a spreadsheet error cell)")
    usable = text.mask(missing | errors, pd.NA)

    if column.kind == "bool":
        lowered = usable.str.lower()
        out = pd.Series(pd.NA, index=text.index, dtype="boolean")
        out[lowered.isin(TRUE_TOKENS).fillna(False)] = True
        out[lowered.isin(FALSE_TOKENS).fillna(False)] = False
        for row in usable.index[usable.notna() & out.isna()]:
            checker.add(row, name, usable[row], column.expectation())
        return out

    if column.kind in ("int", "float"):
        numbers = read_numbers(usable, name, checker.config.currency, checker.raw.source, checker.add,
                               typed_cells=checker.raw.kind in ("parquet", "xlsx"), expected=column.expectation())
        if column.kind == "int":
            fractional = numbers.notna() & (numbers % 1 != 0)
            for row in numbers.index[fractional]:
                checker.add(row, name, usable[row], column.expectation())
            numbers = numbers.mask(fractional)
        low = column.low if column.low is not None else float("-inf")
        high = column.high if column.high is not None else float("inf")
        outside = numbers.notna() & ((numbers < low) | (numbers > high))
        for row in numbers.index[outside]:
            checker.add(row, name, usable[row], column.expectation())
        numbers = numbers.mask(outside)
        if column.kind == "int":
            return numbers.round().astype("Int64")
        return numbers.astype("float64")

    if column.kind == "datetime":
        return parse_datetimes(usable, column, checker)
    raise AssertionError(column.kind)


def parse_datetimes(text: pd.Series, column: Column, checker: Checker) -> pd.Series:
    """Parse a date column with one reading for the whole column (see
    :mod:`journeykit.workspace.dates`): day/month order decided from all values and
    journey.yaml ``defaults.dayfirst``, dates checked against ``defaults.dates_from`` ..
    ``dates_to``; offsets kept as instants (the column is then tz-aware in the workspace
    time zone)."""
    defaults = checker.config.defaults
    rules = DateRules(dayfirst=defaults.dayfirst, dates_from=defaults.dates_from, dates_to=defaults.dates_to,
                      timezone=checker.config.timezone, source=checker.raw.source)
    return read_dates(text, column.name, rules, checker.add)


def attribute_column(text: pd.Series) -> pd.Series:
    """An extra attribute column: numbers when every filled cell is a number, else text
    (kept as typed)."""
    present = ~is_missing(text.str.strip())
    numbers = pd.to_numeric(text.str.strip().where(present), errors="coerce")
    if present.any() and numbers[present].notna().all():
        return numbers
    return text.mask(~present, pd.NA)


def empty_column(column: Column, index: pd.Index) -> pd.Series:
    dtype = {"int": "Int64", "float": "float64", "bool": "boolean",
             "datetime": "datetime64[us]"}.get(column.kind, "string")
    return pd.Series(pd.NA if dtype != "float64" else float("nan"), index=index, dtype=dtype) \
        if dtype != "datetime64[us]" else pd.Series(pd.NaT, index=index, dtype=dtype)
