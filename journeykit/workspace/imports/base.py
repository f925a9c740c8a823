"""What every import preset shares: reading an export as text, finding its columns,
money written the way one format writes it, and the result a preset returns.

A preset (:class:`Preset`) turns the files of one real export format into canonical
workspace tables (:mod:`journeykit.workspace.schema`). It never changes the files it
reads; it returns an :class:`ImportResult`: the tables (cells as text, in the canonical
column names, so the loader types and checks them exactly as any other table), how many
rows it read per file, the rows it set aside with the reason (file and spreadsheet row
named), notes on what it decided, and problems that stop the import.

Example:
    >>> parse_money("($33.62)"), parse_money("$1,149.00"), parse_money("")
    (-33.62, 1149.0, None)
    >>> parse_money("USD 12.50"), parse_money("-$5")
    (12.5, -5.0)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.readers import decode_bytes, sniff_delimiter

__all__ = ["Export", "ImportResult", "Option", "Preset", "SetAside", "find_column", "parse_money",
           "read_export", "zoned_text"]


@dataclass(frozen=True)
class SetAside:
    """Rows of an export a preset left out, and why (``row`` as a spreadsheet shows it)."""

    file: str
    rows: tuple[int, ...]
    reason: str
    table: str = ""

    def describe(self) -> str:
        shown = ", ".join(str(r) for r in self.rows[:5]) + (" ..." if len(self.rows) > 5 else "")
        where = f"{self.file} row{'s' if len(self.rows) != 1 else ''} {shown}" if self.rows else self.file
        return f"{len(self.rows):,} row{'s' if len(self.rows) != 1 else ''} set aside ({where}): {self.reason}"


@dataclass
class ImportResult:
    """What one preset made of its files. ``tables`` maps a canonical table name to a frame
    of text cells in canonical column names; ``rows_in`` counts the data rows read per
    file; errors in ``problems`` mean nothing may be written."""

    preset: str
    files: list[str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rows_in: dict[str, int] = field(default_factory=dict)
    set_aside: list[SetAside] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def rows_out(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}

    def summary(self) -> list[str]:
        """What the import did, a line each: rows in per file, rows out per table, each
        group of rows set aside with its reason, then the notes."""
        lines = [f"read {rows:,} row{'s' if rows != 1 else ''} from {name}" for name, rows in self.rows_in.items()]
        lines += [f"made {rows:,} row{'s' if rows != 1 else ''} of {table}" for table, rows in self.rows_out.items()]
        lines += [aside.describe() for aside in self.set_aside]
        lines += self.notes
        return lines


@dataclass(frozen=True)
class Option:
    """A setting a preset takes (``journeykit import ... --set name=value``, or under
    ``options:`` of a journey.yaml source)."""

    name: str
    help: str
    required: bool = False


Convert = Callable[[Sequence["Export"], Mapping[str, str]], ImportResult]


@dataclass(frozen=True)
class Preset:
    """One export format: its name on the command line, the kind of source, the files it
    expects, the tables it writes, its options, and the function doing the work."""

    name: str
    kind: str
    expects: str
    produces: tuple[str, ...]
    convert: Convert
    options: tuple[Option, ...] = ()
    header_rows: int = 1
    #: options are column names chosen by the user (events-from-columns), not a fixed list
    open_options: bool = False

    def option_names(self) -> set[str]:
        return {o.name for o in self.options}


@dataclass
class Export:
    """One export file read as text: ``frame`` holds every cell as ``str`` ("" when blank)
    under the file's own header; ``first_row`` is the spreadsheet row of the frame's first
    row (2 after one header row, 4 after Qualtrics' three)."""

    name: str
    path: Path
    frame: pd.DataFrame
    first_row: int = 2
    header_extra: list[list[str]] = field(default_factory=list)

    def row(self, position: int) -> int:
        """The spreadsheet row of the frame's row at ``position`` (0-based)."""
        return self.first_row + position

    def rows(self, mask: pd.Series) -> tuple[int, ...]:
        """Spreadsheet rows where ``mask`` is true."""
        return tuple(self.first_row + int(p) for p in mask.to_numpy().nonzero()[0])


def _unique_header(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name.strip() or "(unnamed)"
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name} ({count + 1})")
    return out


def read_export(path: Path, *, header_rows: int = 1) -> Export:
    """Read an export (CSV/TSV/TXT in any common encoding and delimiter, XLSX's first sheet,
    JSON array, JSON lines or one object holding a list of records such as a Google takeout
    ``{"reviews": [...]}``, Parquet) as text cells. The first line is the header;
    ``header_rows - 1`` further lines are kept in ``header_extra`` (survey tools put the
    question text and import ids there) and are not data. Nested JSON values are kept as
    JSON text. Raises ``OSError``/``ValueError`` for an unreadable file (callers turn it
    into a Problem)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
        records = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
        header = [str(c) for c in frame.columns]
        return Export(path.name, path, pd.DataFrame(records, columns=_unique_header(header), dtype=object))
    if suffix in (".json", ".jsonl", ".ndjson"):
        return _read_json(path)
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # heavy; only spreadsheet exports need it

        book = load_workbook(path, read_only=True, data_only=True)
        rows = [[_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    else:
        text, _ = decode_bytes(path.read_bytes())
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
    rows = [r for r in rows if any(c.strip() for c in r)] if rows else []
    if not rows:
        return Export(path.name, path, pd.DataFrame(dtype=object), header_rows + 1)
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = _unique_header(rows[0])
    extra = rows[1:header_rows]
    frame = pd.DataFrame(rows[header_rows:], columns=header, dtype=object)
    return Export(path.name, path, frame, header_rows + 1, extra)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays of structs
        return json.dumps(value.tolist(), ensure_ascii=False, default=str)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_json(path: Path) -> Export:
    text, _ = decode_bytes(path.read_bytes())
    stripped = text.lstrip()
    if stripped.startswith("["):
        items = json.loads(stripped)
    else:
        try:
            items = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except json.JSONDecodeError:  # not JSON lines: one (pretty-printed) object
            whole = json.loads(stripped)
            lists = [v for v in whole.values() if isinstance(v, list)] if isinstance(whole, dict) else []
            # one object holding the records, e.g. a Google takeout {"reviews": [...]}; else one record
            items = lists[0] if len(lists) == 1 else [whole]
    if not all(isinstance(item, dict) for item in items):
        raise ValueError("expected a JSON array of objects or one JSON object per line")
    header: list[str] = []
    for item in items:
        header += [k for k in item if k not in header]
    records = [[_cell(item.get(k)) for k in header] for item in items]
    return Export(path.name, path, pd.DataFrame(records, columns=header, dtype=object))


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


def find_column(export: Export, *candidates: str) -> str | None:
    """The export's column for the first of ``candidates`` it has, matching names without
    regard to case, spaces or punctuation (``Created at`` finds ``created_at``)."""
    by_normal = {_normal(c): c for c in export.frame.columns}
    for candidate in candidates:
        found = by_normal.get(_normal(candidate))
        if found is not None:
            return found
    return None


_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
_CURRENCY_MARKS = re.compile(r"[^\d.,]+")
#: the digits form one run: a currency sign or code only before or after it (``2O.00`` is no amount)
_ONE_NUMBER = re.compile(r"^[^\d]*[\d.,]*\d[^\d]*$")


def parse_money(text: str) -> float | None:
    """An amount as US-style exports write it: thousands commas, a decimal point, a
    currency symbol or code, and negatives as ``-`` or in parentheses. Blank -> None;
    raises ``ValueError`` for text that is not such an amount (``1.149,00`` included:
    a format that writes decimal commas needs its own reading)."""
    value = str(text).strip()
    if not value:
        return None
    negative = value.startswith("(") and value.endswith(")") or "-" in value or "\u2212" in value
    marks = _CURRENCY_MARKS.findall(value)
    code = "".join(marks).strip("()-\u2212 \u00a0$€£¥")
    if not _ONE_NUMBER.match(value) or any(re.search(r"\d", m) for m in marks) or len(code) > 3:
        raise ValueError(value)
    digits = _CURRENCY_MARKS.sub("", value)
    if not _AMOUNT.match(digits):
        raise ValueError(value)
    number = float(digits.replace(",", ""))
    return -number if negative else number


def money_column(export: Export, column: str, table: str, problems: list[Problem]) -> pd.Series:
    """``column`` of ``export`` as floats (blank -> NaN) by :func:`parse_money`; each value
    that is not an amount is an error naming its row."""
    values: list[float] = []
    for position, text in enumerate(export.frame[column]):
        try:
            amount = parse_money(text)
        except ValueError:
            problems.append(Problem(export.name, "an amount such as 1,149.00, $12.50 or ($33.62)",
                                    row=export.row(position), column=column, value=text, table=table))
            amount = None
        values.append(float("nan") if amount is None else amount)
    return pd.Series(values, index=export.frame.index, dtype="float64")


def amount_text(values: pd.Series) -> pd.Series:
    """Floats as plain decimal text for a canonical table (``1149.0`` -> ``"1149.00"``,
    NaN -> ``""``)."""
    return values.map(lambda v: "" if pd.isna(v) else f"{v:.2f}").astype(object)


def people_lookup(people: Export, key_column: str | None, id_column: str | None, table: str,
                  problems: list[Problem]) -> pd.Series | None:
    """A people file (e.g. a marketplace's customers table, where one person has an id per
    order) as a map from ``key_column`` to ``id_column``; None (with a problem naming the
    missing column) when either is absent."""
    problems += missing_columns(people, table, {"person_key": key_column, "person_id": id_column})
    if not (key_column and id_column):
        return None
    frame = people.frame.drop_duplicates(key_column)
    return pd.Series(frame[id_column].astype(str).str.strip().to_numpy(),
                     index=frame[key_column].astype(str).str.strip())


def missing_columns(export: Export, table: str, names: Mapping[str, str | None]) -> list[Problem]:
    """A problem (row 1, the header) for each required column a preset did not find;
    ``names`` maps what the column is to the column found (None when absent)."""
    found = ", ".join(map(str, export.frame.columns)) or "none"
    return [Problem(export.name, f"a column {what!r} as this export format has (columns found: {found})",
                    row=1, column=what, table=table) for what, column in names.items() if column is None]


_PLAIN_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"


def zoned_text(values: pd.Series, zone: str) -> tuple[pd.Series, int]:
    """Date-times a format writes in one fixed way (``YYYY-MM-DD HH:MM[:SS]``, no offset)
    in a time zone the export names (``America/Denver``; ``UTC`` or ``Z``) as text with
    that offset, so the loader reads instants; other values are returned unchanged. Also
    returns how many such values name no single instant (the hour skipped or repeated at
    a DST change), which are left as written. Raises ``KeyError`` for an unknown zone.

    Example:
        >>> texts, unclear = zoned_text(pd.Series(["2024-03-05 14:02:11", "", "05/03/2024"]), "America/Denver")
        >>> texts.tolist(), unclear
        (['2024-03-05 14:02:11-07:00', '', '05/03/2024'], 0)
    """
    name = "UTC" if zone.strip().upper() in ("Z", "UTC", "GMT") else zone.strip()
    try:
        ZoneInfo(name)
    except (ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError already
        raise KeyError(zone) from exc
    out = values.astype(str).copy()
    plain = out.str.fullmatch(_PLAIN_TIME)
    if not plain.any():
        return out, 0
    stamps = pd.to_datetime(out[plain], format="ISO8601").dt.tz_localize(name, ambiguous="NaT",
                                                                          nonexistent="NaT")
    known = stamps.notna()
    out[stamps.index[known]] = [s.isoformat(sep=" ") for s in stamps[known]]
    return out, int((~known).sum())
