"""Reading a date column: one reading per column, decided from all its values.

:func:`read_dates` turns a column of date texts into ``datetime64[us]`` and reports, through
the ``add`` callback of :class:`~journeykit.workspace.parsing.Checker`, every value or
column that cannot be read one way:

- ISO ``YYYY-MM-DD`` (and ``YYYY/MM/DD``, ``YYYYMMDD``) is always unambiguous;
- numeric day/month dates (``01/02/2025``, ``01.02.25``, ``1-2-2025``, any separator, with
  or without a time) share one order per column: a first part > 12 can only be day/month,
  a second part > 12 only month/day. A column with both is an error naming examples of
  each (also when they come from different formats); a column whose values contradict
  journey.yaml ``defaults.dayfirst`` is an error (never a silent swap); a column no value
  decides is read as ``dayfirst`` says, with ONE warning naming both readings;
- dates with a month name (``1 Feb 2025``) are read by dateutil; one that still reads two
  ways is an error;
- a column whose values are plain numbers is read as Excel serial days, epoch seconds or
  epoch milliseconds - the unit whose plausible range holds them - with a warning saying so;
- every date must lie in ``defaults.dates_from`` .. ``defaults.dates_to`` (1990-01-01 ..
  2100-12-31 unless journey.yaml says otherwise); others are errors naming the value.

Time zones (see docs/architecture.md "Tables and canonical columns"): values written
without an offset are wall-clock times in the workspace time zone and stay tz-naive. A
column where some value carries an offset (``Z``, ``+01:00``) or is an epoch number holds
instants: it is returned **tz-aware in the workspace time zone**, so the hour repeated at
the autumn DST change keeps two distinct, correctly ordered times; its offset-less values
are localised (one that falls in the repeated or skipped hour is an error: it names no
single instant).

Example:
    >>> import pandas as pd
    >>> seen = []
    >>> out = read_dates(pd.Series(["13/02/2025", "01/02/2025"], dtype="string"), "date",
    ...                  DateRules(), lambda *a, **k: seen.append(a))
    >>> [str(d.date()) for d in out], seen
    (['2025-02-13', '2025-02-01'], [])
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

AddProblem = Callable[..., None]
"""``add(row, column, value, expected, severity="error")`` as :meth:`Checker.add`."""

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$",
                  re.IGNORECASE)
_PLAIN_ISO = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_YMD = re.compile(r"^(\d{4})([./])(\d{1,2})\2(\d{1,2})(?P<rest>(?:[ T].*)?)$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?P<rest>(?:[ T,]+.*)?)$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)$", re.IGNORECASE)
_EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
_EPOCH = pd.Timestamp("1970-01-01")
_EXAMPLES = 3


@dataclass(frozen=True)
class DateRules:
    """What a date column is read against: ``dayfirst`` (journey.yaml ``defaults.dayfirst``),
    the plausible range ``dates_from`` .. ``dates_to`` (inclusive, ISO dates) and the workspace
    ``timezone``; ``source`` names the file in messages."""

    dayfirst: bool = True
    dates_from: str = "1990-01-01"
    dates_to: str = "2100-12-31"
    timezone: str = "UTC"
    source: str = "the file"

    @cached_property
    def low(self) -> pd.Timestamp:
        return pd.Timestamp(self.dates_from)

    @cached_property
    def high(self) -> pd.Timestamp:
        """The first moment after the range (dates_to is inclusive)."""
        return pd.Timestamp(self.dates_to) + pd.Timedelta(days=1)

    @property
    def range_text(self) -> str:
        return (f"a date between {self.dates_from} and {self.dates_to} (journey.yaml "
                "defaults: dates_from / dates_to)")


def _order_name(dayfirst: bool) -> str:
    return "day/month" if dayfirst else "month/day"


def _family(sep: str, year: str) -> str:
    return f"nn{sep}nn{sep}{'yyyy' if len(year) == 4 else 'yy'}"


def _examples(pairs: list[tuple[int, str]]) -> str:
    shown = ", ".join(f"row {row}: {value!r}" for row, value in pairs[:_EXAMPLES])
    more = len(pairs) - _EXAMPLES
    return shown + (f" and {more} more" if more > 0 else "")


def _quiet_parse(value: str, dayfirst: bool) -> pd.Timestamp | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            stamp = pd.to_datetime(value, dayfirst=dayfirst, format="mixed")
        except (ValueError, TypeError, OverflowError):
            return None
    return None if pd.isna(stamp) else pd.Timestamp(stamp)


def _iso_parse(texts: pd.Series) -> pd.Series:
    """ISO texts -> tz-aware UTC Timestamps (offset) or naive ones, as an object Series."""
    out = pd.Series([None] * len(texts), index=texts.index, dtype="object")
    if texts.empty:
        return out
    offset = texts.str.contains(_OFFSET, regex=True).fillna(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if (~offset).any():
            naive = pd.to_datetime(texts[~offset], format="ISO8601", errors="coerce")
            out[~offset] = list(naive)
        if offset.any():
            aware = pd.to_datetime(texts[offset], format="ISO8601", errors="coerce", utc=True)
            out[offset] = list(aware)
    return out


def _valid_day(iso_day: str) -> bool:
    """True when ``YYYY-MM-DD`` names a day that exists."""
    try:
        pd.Timestamp(year=int(iso_day[:4]), month=int(iso_day[5:7]), day=int(iso_day[8:10]))
    except (ValueError, OverflowError):
        return False
    return True


def _numbers(rows: list[int], values: list[str], column: str, rules: DateRules, add: AddProblem) -> dict[int, pd.Timestamp]:
    """Plain numbers in a date column: Excel serial days or epoch seconds/milliseconds."""
    numbers = {row: float(value) for row, value in zip(rows, values, strict=True)}
    units = {
        "Excel serial days": ("D", _EXCEL_ORIGIN),
        "Unix epoch seconds": ("s", _EPOCH),
        "Unix epoch milliseconds": ("ms", _EPOCH),
    }
    ranges = {}
    for name, (unit, origin) in units.items():
        scale = pd.Timedelta(1, unit=unit)
        ranges[name] = ((rules.low - origin) / scale, (rules.high - origin) / scale)
    fits = {name: [r for r, x in numbers.items() if lo <= x < hi] for name, (lo, hi) in ranges.items()}
    unit_name = max(fits, key=lambda n: len(fits[n]))
    out: dict[int, pd.Timestamp] = {}
    unit, origin = units[unit_name]
    ok = set(fits[unit_name])
    for row, x in numbers.items():
        if row not in ok:
            add(row, column, values[rows.index(row)],
                f"{rules.range_text}; the numbers in this column are read as {unit_name}")
            continue
        stamp = origin + pd.to_timedelta(x, unit=unit)
        out[row] = stamp.tz_localize("UTC") if origin is _EPOCH else stamp
    if ok:
        add(None, column, _examples([(r, values[rows.index(r)]) for r in sorted(ok)]),
            f"dates; these numbers are read as {unit_name} "
            f"({'UTC instants shown in ' + rules.timezone if unit != 'D' else 'local dates'}) - "
            "write dates as YYYY-MM-DD to avoid the guess", "warning")
    return out


def _numeric(found: list[tuple[int, str, re.Match[str]]], column: str, rules: DateRules,
             add: AddProblem) -> tuple[dict[int, str], bool]:
    """Numeric day/month dates -> ISO texts in the column's one order; False when the column
    cannot be read one way (the problem is recorded)."""
    dayfirst_only: list[tuple[int, str]] = []
    monthfirst_only: list[tuple[int, str]] = []
    ambiguous: list[tuple[int, str]] = []
    families: dict[str, set[str]] = {"day/month": set(), "month/day": set()}
    for row, value, match in found:
        a, b = int(match.group(1)), int(match.group(3))
        family = _family(match.group(2), match.group(4))
        if a > 12 and b <= 12:
            dayfirst_only.append((row, value))
            families["day/month"].add(family)
        elif b > 12 and a <= 12:
            monthfirst_only.append((row, value))
            families["month/day"].add(family)
        elif a <= 12 and b <= 12 and a != b:
            ambiguous.append((row, value))
    good = True
    if dayfirst_only and monthfirst_only:
        mixed = families["day/month"] != families["month/day"]
        what = ("one order of day and month in every format of the column" if mixed
                else "one order of day and month for the whole column")
        add(None, column, f"{dayfirst_only[0][1]} / {monthfirst_only[0][1]}",
            f"{what}: these can only be day/month ({_examples(dayfirst_only)}"
            f"{'; format ' + ', '.join(sorted(families['day/month'])) if mixed else ''}), these only "
            f"month/day ({_examples(monthfirst_only)}"
            f"{'; format ' + ', '.join(sorted(families['month/day'])) if mixed else ''}) - fix the wrong "
            "ones or write the dates as YYYY-MM-DD")
        dayfirst, good = rules.dayfirst, False
    elif (monthfirst_only and rules.dayfirst) or (dayfirst_only and not rules.dayfirst):
        against = monthfirst_only or dayfirst_only
        add(None, column, against[0][1],
            f"{_order_name(rules.dayfirst)} dates, as journey.yaml defaults.dayfirst: "
            f"{str(rules.dayfirst).lower()} says; these can only be {_order_name(not rules.dayfirst)} "
            f"({_examples(against)}) - set defaults: {{dayfirst: {str(not rules.dayfirst).lower()}}} if "
            "the column is written that way, or fix those values")
        dayfirst, good = rules.dayfirst, False
    elif dayfirst_only or monthfirst_only:
        dayfirst = bool(dayfirst_only)
    else:
        dayfirst = rules.dayfirst
        if ambiguous:
            example = ambiguous[0][1]
            first, second = (str(int(part)) for part in re.split(r"[./-]", example)[:2])
            as_set = f"day {first}, month {second}" if dayfirst else f"month {first}, day {second}"
            as_other = f"month {first}, day {second}" if dayfirst else f"day {first}, month {second}"
            add(None, column, _examples(ambiguous),
                f"dates whose order of day and month is known: no value in {rules.source} column "
                f"{column!r} decides it, so they are read {_order_name(dayfirst)} as journey.yaml "
                f"defaults.dayfirst says ({example!r} = {as_set}; read {_order_name(not dayfirst)} it "
                f"would be {as_other}) - set defaults.dayfirst or write YYYY-MM-DD to be sure", "warning")
    iso: dict[int, str] = {}
    for row, _value, match in found:
        part1, part2, year = match.group(1), match.group(3), match.group(4)
        day, month = (part1, part2) if dayfirst else (part2, part1)
        if len(year) == 2:
            year = ("20" if int(year) < 70 else "19") + year
        rest = (match.group("rest") or "").strip(" ,T")
        iso[row] = f"{year}-{int(month):02d}-{int(day):02d}" + (f" {rest}" if rest else "")
    return iso, good


def read_dates(text: pd.Series, column: str, rules: DateRules, add: AddProblem) -> pd.Series:
    """One column of date texts (blank = NA, already stripped) -> ``datetime64[us]`` (naive
    local), or ``datetime64[us, timezone]`` when the column carries instants (offsets, epoch
    numbers). Values that cannot be read are NaT and have a problem recorded through ``add``."""
    present = text.dropna()
    if present.empty:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    plain = present.str.fullmatch(_PLAIN_ISO)
    if bool(plain.all()):  # the common case, vectorised: ISO dates without offsets
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(present, format="ISO8601", errors="coerce").astype("datetime64[us]")
        outside = parsed.isna() | (parsed < rules.low) | (parsed >= rules.high)
        if not bool(outside.any()):
            out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
            out[present.index] = parsed
            return out
    # the plain ISO values are parsed at once; only the others (and plain ones that are no
    # day, such as 2025-02-30) go through the checks below, one by one: a column with many
    # bad values costs little more than a clean one
    plain_stamps = _plain_iso(present[plain.fillna(False).astype(bool)])
    present = present[~present.index.isin(plain_stamps.index)]
    rows = [int(r) for r in present.index]
    values = [str(v) for v in present.tolist()]
    stamps: dict[int, object] = {}
    iso_texts: dict[int, str] = {}
    numeric: list[tuple[int, str, re.Match[str]]] = []
    numbers: tuple[list[int], list[str]] = ([], [])
    other: dict[int, str] = {}
    for row, value in zip(rows, values, strict=True):
        if _ISO.match(value):
            iso_texts[row] = value
        elif (m := _YMD.match(value)) is not None:
            iso_texts[row] = f"{m.group(1)}-{int(m.group(3)):02d}-{int(m.group(4)):02d}{m.group('rest')}"
        elif (m := _COMPACT.match(value)) is not None and 1 <= int(m.group(2)) <= 12:
            iso_texts[row] = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        elif (m := _NUMERIC.match(value)) is not None:
            numeric.append((row, value, m))
        elif _NUMBER.match(value):
            numbers[0].append(row)
            numbers[1].append(value)
        else:
            other[row] = value
    if numeric:
        converted, one_reading = _numeric(numeric, column, rules, add)
        if one_reading:  # else the column's problem says it all: no second problem per value
            iso_texts.update(converted)
    bad_day: list[int] = []
    clock: dict[int, str] = {}  # a decided YYYY-MM-DD day with a time dateutil must read (2:02 PM)
    if iso_texts:
        parsed = _iso_parse(pd.Series(iso_texts, dtype="string"))
        for row, stamp in parsed.items():
            if stamp is not None and not pd.isna(stamp):
                stamps[int(row)] = stamp
            elif _valid_day(iso_texts[int(row)][:10]):
                clock[int(row)] = iso_texts[int(row)]
            else:  # 2025-13-01, 31/02/2025: no such day (never re-read another way)
                bad_day.append(int(row))
    if numbers[0]:
        stamps.update(_numbers(numbers[0], numbers[1], column, rules, add))
    originals = dict(zip(rows, values, strict=True))
    for row in bad_day:
        add(row, column, originals[row], "a date that exists, such as 2026-03-31 or 2026-03-31 14:05")
    for row, value in clock.items():  # the day is ISO already: read year-month-day, never day-first
        stamp = _quiet_parse(value, False)
        if stamp is None:
            add(row, column, originals[row], "a date or date-time such as 2026-03-31 or 2026-03-31 14:05")
        else:
            stamps[row] = stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp
    for row, value in other.items():
        first, second = _quiet_parse(value, True), _quiet_parse(value, False)
        if first is None or second is None:
            add(row, column, originals[row], "a date or date-time such as 2026-03-31 or 2026-03-31 14:05")
        elif first != second:
            add(row, column, originals[row], f"a date that reads one way (this one could be {first.date()} "
                f"or {second.date()}); write it as YYYY-MM-DD")
        else:
            stamps[row] = first.tz_convert("UTC") if first.tzinfo is not None else first
    return _assemble(text.index, stamps, originals, column, rules, add, plain_stamps, text)


def _plain_iso(texts: pd.Series) -> pd.Series:
    """Plain ISO date texts (no offset) -> naive ``datetime64[us]``, at once; values that name
    no day (NaT) are left out, for the checks one by one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(texts, format="ISO8601", errors="coerce").astype("datetime64[us]")
    return parsed[parsed.notna()]


def _assemble(index: pd.Index, stamps: dict[int, object], originals: dict[int, str], column: str,
              rules: DateRules, add: AddProblem, plain: pd.Series | None = None,
              text: pd.Series | None = None) -> pd.Series:
    """The parsed values as one Series: naive local, or tz-aware when any value is an instant;
    every value checked against the plausible range (vectorised). ``plain``: naive values
    parsed already (their texts, for problems, in ``text``)."""
    tz = rules.timezone
    aware_rows = [r for r, s in stamps.items() if getattr(s, "tzinfo", None) is not None]
    naive_rows = [r for r, s in stamps.items() if getattr(s, "tzinfo", None) is None]
    naive = pd.Series(pd.DatetimeIndex([stamps[r] for r in naive_rows]).as_unit("us"), index=naive_rows,
                      dtype="datetime64[us]")
    if plain is not None and len(plain):
        naive = pd.concat([naive, plain]).sort_index()
        if text is not None:
            originals = {**originals, **dict(zip((int(r) for r in plain.index),
                                                 (str(v) for v in text[plain.index].tolist()), strict=True))}
    instants = pd.Series(pd.DatetimeIndex([pd.Timestamp(stamps[r]).tz_convert("UTC") for r in aware_rows],
                                          tz="UTC").as_unit("us"), index=aware_rows, dtype="datetime64[us, UTC]")
    local_of_instants = instants.dt.tz_convert(tz).dt.tz_localize(None)
    low, high = rules.low, rules.high
    for values in (naive, local_of_instants):
        outside = (values < low) | (values >= high)
        for row in values.index[outside]:
            add(row, column, originals[row], rules.range_text)
    naive = naive[(naive >= low) & (naive < high)]
    if not aware_rows:
        out = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        out[naive.index] = naive
        return out
    instants = instants[(local_of_instants >= low) & (local_of_instants < high)]
    localised = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    for row in localised.index[localised.isna()]:
        add(row, column, originals[row],
            f"a time that exists once in {tz} (it falls in the hour a daylight-saving change repeats or "
            "skips) - write it with its offset, e.g. +01:00")
    out = pd.Series(pd.NaT, index=index, dtype=f"datetime64[us, {tz}]")
    out[instants.index] = instants.dt.tz_convert(tz)
    good = localised.dropna()
    out[good.index] = good
    return out
