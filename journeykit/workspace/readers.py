"""Reading a workspace table's raw cells from CSV, Parquet or a workspace.xlsx sheet.

Everything is read as text (``RawTable.frame`` has string cells, index = the row
number a spreadsheet shows, header = row 1); typing and checking happen in
:mod:`journeykit.workspace.parsing`. CSV files may be UTF-8 (with or without BOM),
UTF-16 (with BOM) or latin-1/cp1252, comma-, semicolon- or tab-delimited, with
CRLF or LF line ends and quoted newlines. Blank rows above the header are skipped and
still counted, so row numbers are the ones the file or sheet shows.

Limits (so that one file can never hang a validation; each is a clear problem naming
the file when exceeded, and an environment variable raises it):

- :func:`max_columns`: at most 1,000 columns per table (``JOURNEYKIT_MAX_COLUMNS``);
- :func:`max_cell_chars`: at most 1,000,000 characters per cell (``JOURNEYKIT_MAX_CELL_CHARS``;
  the csv module itself stops at :data:`MAX_FIELD_BYTES`).

Refused (a problem, never read): a quote opened and never closed (the rest of the file
would vanish into one cell), Parquet columns of lists, structs, maps or bytes (they
would be read as their Python repr), workbook formulas without a saved value and
merged cells holding a value (they would read as blanks; see
:mod:`journeykit.workspace.sheets`). Which files are sources, and the refusal of
symbolic links and paths outside the workspace: :func:`scan_sources`.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.locations import outside_reason
from journeykit.workspace.sheets import column_letter, sheet_facts

WORKBOOK = "workspace.xlsx"
MAX_FIELD_BYTES = 64 * 2**20  # the csv module's own ceiling for one field (64 MiB)
DELIMITERS = (",", ";", "\t")
#: default of :func:`max_columns`
MAX_COLUMNS = 1000
#: default of :func:`max_cell_chars`
MAX_CELL_CHARS = 1_000_000
CSV_SUFFIXES = (".csv", ".txt", ".tsv")


def _limit(variable: str, default: int) -> int:
    try:
        value = int(os.environ.get(variable, str(default)))
    except ValueError:
        return default
    return value if value > 0 else default


def max_columns() -> int:
    """Columns one table source may have (default 1,000; env ``JOURNEYKIT_MAX_COLUMNS``)."""
    return _limit("JOURNEYKIT_MAX_COLUMNS", MAX_COLUMNS)


def max_cell_chars() -> int:
    """Characters one cell may hold (default 1,000,000; env ``JOURNEYKIT_MAX_CELL_CHARS``)."""
    return _limit("JOURNEYKIT_MAX_CELL_CHARS", MAX_CELL_CHARS)


@dataclass
class RawTable:
    """The cells of one table source, as text. ``source`` is how problems name it
    (``feedback.csv`` or ``workspace.xlsx[feedback]``)."""

    table: str
    source: str
    path: Path
    frame: pd.DataFrame
    kind: str  # "csv" | "parquet" | "xlsx"
    encoding: str = "utf-8"
    delimiter: str = ","
    problems: list[Problem] = field(default_factory=list)
    large: bool = False  # header only: the rows stay in the file (journeykit.workspace.eventstore)
    #: the source cannot be read as a whole (e.g. a quote never closed): its problems stop
    #: the table in both modes, even those naming a row
    broken: bool = False

    @property
    def rows(self) -> int:
        return 1 if self.large else len(self.frame)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes: BOMs first, then UTF-8, then cp1252/latin-1. Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the candidate that splits the header line into the
    most fields and is used consistently in the next lines."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    in_header = [d for d in DELIMITERS if d in lines[0]]
    if len(in_header) == 1:  # the header names the delimiter; the rows' free text cannot outvote it
        return in_header[0]
    try:
        return csv.Sniffer().sniff("\n".join(lines[:10]), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _too_wide(table: str, source: str, width: int) -> Problem | None:
    limit = max_columns()
    if width <= limit:
        return None
    return Problem(source, f"at most {limit:,} columns per table (this source has {width:,}; remove the "
                   "columns you do not need, or raise the limit with the environment variable "
                   "JOURNEYKIT_MAX_COLUMNS)", value=f"{width:,} columns", table=table)


def _frame_from_records(records: list[list[str]], table: str, source: str,
                        first_row: int = 1) -> tuple[list[str], pd.DataFrame, list[Problem]]:
    """Header and body of records (``records[0]`` is spreadsheet row ``first_row``).
    Blank records above the header are skipped, their rows still counted; cells longer
    than :func:`max_cell_chars` are problems naming row and column."""
    start = 0
    while start < len(records) and not any(("" if c is None else str(c)).strip() for c in records[start]):
        start += 1
    header = [str(h).strip() for h in records[start]] if start < len(records) else []
    width = len(header)
    limit = max_cell_chars()
    problems: list[Problem] = []
    body = []
    index = []
    for offset, record in enumerate(records[start + 1:], start=start + 1):
        cells = ["" if c is None else str(c) for c in record]
        if not any(c.strip() for c in cells):
            continue  # a blank line is not a data row (its row number is still skipped)
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        row = first_row + offset
        if max(map(len, cells), default=0) > limit:
            for position, cell in enumerate(cells):
                if len(cell) > limit:
                    name = header[position] if position < width and header[position] else \
                        f"(unnamed column {position + 1})"
                    problems.append(Problem(
                        source, f"a cell of at most {limit:,} characters (this one has {len(cell):,}; "
                        "the limit is the environment variable JOURNEYKIT_MAX_CELL_CHARS)",
                        row=row, column=name, value=cell[:60], table=table))
        body.append(cells)
        index.append(row)
    extra = max((len(r) for r in body), default=width) - width
    columns = header + [f"(unnamed column {width + i + 1})" for i in range(extra)]
    body = [r + [""] * (len(columns) - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=range(len(columns)), index=pd.Index(index, name="row"), dtype=object)
    return columns, frame, problems


def _with_header(table: str, source: str, columns: list[str], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    names = []
    for position, name in enumerate(columns, start=1):
        if not name:
            name = f"(unnamed column {position})"
        if name in seen:
            problems.append(Problem(source, f"column names that are unique (also column {seen[name]})",
                                    row=1, column=name, value=name, table=table))
            name = f"{name} (duplicate {position})"
        seen.setdefault(name, position)
        names.append(name)
    frame = frame.copy()
    frame.columns = names
    return frame, problems


def _failed(table: str, source: str, path: Path, kind: str, problem: Problem, encoding: str = "utf-8",
            delimiter: str = ",") -> RawTable:
    """A source that cannot be used as a whole: no rows, one file-level problem."""
    return RawTable(table, source, path, pd.DataFrame(index=pd.Index([], name="row")), kind, encoding,
                    delimiter, problems=[problem], broken=True)


def read_csv(table: str, path: Path) -> RawTable:
    data = path.read_bytes()
    source = path.name
    text, encoding = decode_bytes(data)
    if not text.strip():
        empty = pd.DataFrame(index=pd.Index([], name="row"))
        return RawTable(table, source, path, empty, "csv", encoding,
                        problems=[Problem(source, "a header row naming the columns (the file is empty)",
                                          table=table)])
    delimiter = sniff_delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    last_start = next_start = 0  # physical lines before the last record / before the next one
    try:
        for record in reader:
            records.append(record)
            last_start, next_start = next_start, reader.line_num
    except csv.Error as exc:
        return _failed(table, source, path, "csv", Problem(source, f"well-formed CSV ({exc})",
                                                           row=len(records) + 1, table=table),
                       encoding, delimiter)
    unclosed = _unclosed_quote(table, source, text, records, last_start, delimiter)
    if unclosed is not None:
        return _failed(table, source, path, "csv", unclosed, encoding, delimiter)
    wide = _too_wide(table, source, max(map(len, records), default=0))
    if wide is not None:
        return _failed(table, source, path, "csv", wide, encoding, delimiter)
    # record index -> spreadsheet row: the csv module joins quoted newlines into one record,
    # exactly as a spreadsheet shows one row per record.
    columns, frame, problems = _frame_from_records(records, table, source)
    frame, header_problems = _with_header(table, source, columns, frame)
    problems = header_problems + problems + _overlong_rows(table, source, records, delimiter)
    return RawTable(table, source, path, frame, "csv", encoding, delimiter, problems)


def _unclosed_quote(table: str, source: str, text: str, records: list[list[str]], last_start: int,
                    delimiter: str) -> Problem | None:
    """A quote opened in the last record and never closed: the csv module (like a
    spreadsheet) reads everything after it, to the end of the file, as one cell. The
    last record's own text is parsed again strictly; ending inside quotes is the sign."""
    if not records:
        return None
    lines = io.StringIO(text, newline="")
    for _ in itertools.islice(lines, last_start):
        pass
    tail = lines.read()
    if '"' not in tail:
        return None
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return None
    else:
        return None
    record = records[-1]
    header = next((r for r in records if any(c.strip() for c in r)), [])
    position = len(record) - 1
    column = header[position].strip() if 0 <= position < len(header) and header[position].strip() else None
    swallowed = record[-1].count("\n") if record else 0
    first_line = (record[-1].splitlines() or [""])[0] if record else ""
    return Problem(source, f"a closing double quote: the quote opened in this row is never closed, so "
                   f"everything after it ({swallowed:,} more line(s), to the end of the file) would be read "
                   "as one cell; close the quote, or remove it", row=len(records), column=column,
                   value=first_line[:60], table=table)


def _overlong_rows(table: str, source: str, records: list[list[str]], delimiter: str) -> list[Problem]:
    """Rows with more filled fields than the header: text containing the delimiter
    that was not quoted. Reported, never silently cut."""
    start = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if start is None:
        return []
    width = len(records[start])
    name = {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))
    problems = []
    for offset, record in enumerate(records[start + 1:], start=start + 2):
        if len(record) > width and any(c.strip() for c in record[width:]):
            problems.append(Problem(
                source, f"{width} fields like the header (this row has {len(record)}; put text "
                f"containing a {name} in double quotes)", row=offset,
                value=delimiter.join(record[width - 1:])[:200], table=table))
    return problems


def _nested_columns(schema: object) -> list[tuple[str, str]]:
    """(name, type) of the Parquet columns that hold lists, structs, maps, unions or bytes."""
    import pyarrow as pa  # heavy; only Parquet sources need it

    assert isinstance(schema, pa.Schema)
    out = []
    for item in schema:
        kind = item.type.value_type if pa.types.is_dictionary(item.type) else item.type
        if pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind) \
                or pa.types.is_fixed_size_binary(kind):
            out.append((item.name, str(item.type)))
    return out


def read_parquet(table: str, path: Path) -> RawTable:
    import pyarrow.parquet as pq  # heavy; only Parquet sources need it

    source = path.name
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises many types for damaged files
        return RawTable(table, source, path, pd.DataFrame(), "parquet",
                        problems=[Problem(source, f"a readable Parquet file ({type(exc).__name__}: {exc})",
                                          table=table)])
    wide = _too_wide(table, source, len(schema.names))
    if wide is not None:
        return _failed(table, source, path, "parquet", wide)
    nested = _nested_columns(schema)
    if nested:
        raw = _failed(table, source, path, "parquet", Problem(
            source, "columns of plain values (text, numbers, dates, true/false); this column holds "
            f"{nested[0][1]} values, which would be read as their Python text - flatten it (a list "
            "as text joined with ';') or leave it out", row=1, column=nested[0][0], value=nested[0][1],
            table=table))
        raw.problems += [Problem(source, "columns of plain values (text, numbers, dates, true/false); "
                                 f"this column holds {kind} values", row=1, column=name, value=kind,
                                 table=table) for name, kind in nested[1:]]
        return raw
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for damaged files
        return RawTable(table, source, path, pd.DataFrame(), "parquet",
                        problems=[Problem(source, f"a readable Parquet file ({type(exc).__name__}: {exc})",
                                          table=table)])
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    problems = []
    limit = max_cell_chars()
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            lengths = column.astype("string").str.len()
            for row in lengths.index[(lengths > limit).fillna(False)]:
                problems.append(Problem(
                    source, f"a cell of at most {limit:,} characters (this one has {int(lengths[row]):,}; "
                    "the limit is the environment variable JOURNEYKIT_MAX_CELL_CHARS)",
                    row=int(row), column=str(name), value=str(column[row])[:60], table=table))
    return RawTable(table, source, path, frame, "parquet", problems=problems)


def read_xlsx_sheet(table: str, path: Path, sheet: str) -> RawTable:
    from openpyxl import load_workbook  # heavy; only workbooks need it

    source = f"{path.name}[{sheet}]"
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        records = []
        limit = max_columns()
        worksheet = workbook[sheet]
        # the cells the file holds, not its stated dimension (which may claim 16,384 columns);
        # rows still start at row 1 and cells at column A, blank ones included
        worksheet.reset_dimensions()
        for values in worksheet.iter_rows(values_only=True):
            cells = [_xlsx_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()  # trailing blank cells (formatting reaching far to the right)
            records.append(cells)
            wide = _too_wide(table, source, len(cells)) if len(cells) > limit else None
            if wide is not None:
                return _failed(table, source, path, "xlsx", wide)
    finally:
        workbook.close()
    if not any(any(c.strip() for c in r) for r in records):
        return RawTable(table, source, path, pd.DataFrame(index=pd.Index([], name="row")), "xlsx")
    facts = sheet_facts(path, sheet, records)
    columns, frame, problems = _frame_from_records(records, table, source, first_row=1)
    header_row = next(i for i, r in enumerate(records) if any(c.strip() for c in r)) + 1
    broken = False
    for merged in facts.merged:
        broken = True
        problems.append(Problem(
            source, f"one value per cell, not merged cells (cells {merged.ref} are merged, so all but the "
            "first read as blank): unmerge them and type the value into each cell",
            row=merged.row, column=_sheet_column(columns, merged.column), value=merged.ref, table=table))
    for formula in facts.formulas:
        where = "header" if formula.row == header_row else f"cell {formula.cell}"
        problems.append(Problem(
            source, f"a value, not a formula without a saved value ({where}): open and save the file in "
            "Excel/LibreOffice, or type the value", row=formula.row,
            column=_sheet_column(columns, formula.column), value=formula.text[:60], table=table))
    # drop trailing empty header cells (formatting artefacts)
    while columns and not columns[-1] and (frame.empty or not frame.iloc[:, -1].str.strip().any()):
        columns.pop()
        frame = frame.iloc[:, :-1]
    frame, header_problems = _with_header(table, source, columns, frame)
    return RawTable(table, source, path, frame, "xlsx", problems=header_problems + problems, broken=broken)


def _sheet_column(columns: list[str], index: int) -> str:
    """How a problem names the sheet's 1-based column ``index``: its header, else its letter."""
    if 0 < index <= len(columns) and columns[index - 1]:
        return columns[index - 1]
    return f"(column {column_letter(index)})"


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text.removesuffix(" 00:00:00")
    return str(value)


#: One source of a table: (kind, path, sheet); kind is "csv", "parquet" or "xlsx".
Source = tuple[str, Path, str | None]


@dataclass
class Sources:
    """Every table's sources in a workspace folder (:func:`scan_sources`).

    ``problems`` are refused files and ambiguous names; ``blocked`` the tables they
    concern (such a table is not loaded: its problems say why)."""

    found: dict[str, list[Source]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)


def _key(name: str) -> str:
    """A table name as files and sheets may spell it: case and surrounding spaces do not matter."""
    return name.strip().lower()


def scan_sources(folder: Path, tables: list[str]) -> Sources:
    """Every source of ``tables`` in ``folder``: ``<table>.csv``/``.txt``/``.tsv``,
    ``<table>.parquet`` and sheet ``<table>`` of workspace.xlsx, names matched without
    regard to case or surrounding spaces.

    Refused with a problem (the file is never opened): a symbolic link, or a path that
    resolves outside the workspace folder (:func:`journeykit.workspace.locations.outside_reason`;
    the environment variable ``JOURNEYKIT_ALLOW_LINKS=1`` allows them). Two files or
    two sheets whose names differ only by case or spaces (``feedback``, ``Feedback ``)
    are an error naming both: which one is meant is not for the kit to guess.
    """
    sources = Sources({table: [] for table in tables})
    wanted = set(tables)
    files: dict[tuple[str, str], list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        suffix = entry.suffix.lower()
        kind = "csv" if suffix in CSV_SUFFIXES else "parquet" if suffix == ".parquet" else None
        table = _key(entry.stem)
        if kind is None or table not in wanted or entry.name.startswith("."):
            continue
        reason = outside_reason(folder, entry)
        if reason is not None:
            sources.problems.append(Problem(entry.name, reason, table=table))
            sources.blocked.add(table)
            continue
        if entry.is_file():
            files.setdefault((table, suffix), []).append(entry)
    for (table, _), paths in files.items():
        if len(paths) > 1:
            sources.problems.append(Problem(
                paths[1].name, f"one file per table name ({' and '.join(p.name for p in paths)} differ only by "
                "upper/lower case or spaces, and many computers treat them as one file; keep one)",
                value=", ".join(p.name for p in paths), table=table))
            sources.blocked.add(table)
            continue
        sources.found[table].append(("parquet" if paths[0].suffix.lower() == ".parquet" else "csv", paths[0], None))
    workbook = folder / WORKBOOK
    if not (workbook.exists() or workbook.is_symlink()):
        return sources
    reason = outside_reason(folder, workbook)
    if reason is not None:
        sources.problems.append(Problem(WORKBOOK, reason))
        sources.blocked.update(tables)  # which tables it holds is unknown: it is not opened
        return sources
    if not workbook.is_file():
        return sources
    from openpyxl import load_workbook  # heavy; only workbooks need it

    try:
        book = load_workbook(workbook, read_only=True)
        sheets = list(book.sheetnames)
        book.close()
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        sources.problems.append(Problem(WORKBOOK, f"a readable Excel workbook ({type(exc).__name__}: {exc})"))
        return sources
    by_table: dict[str, list[str]] = {}
    for sheet in sheets:
        if _key(sheet) in wanted:
            by_table.setdefault(_key(sheet), []).append(sheet)
    for table, names in by_table.items():
        if len(names) > 1:
            shown = " and ".join(repr(n) for n in names)
            sources.problems.append(Problem(
                WORKBOOK, f"one sheet per table (sheets {shown} differ only by upper/lower case or spaces; "
                "rename or delete all but one)", value=", ".join(names), table=table))
            sources.blocked.add(table)
            continue
        sources.found[table].append(("xlsx", workbook, names[0]))
    return sources


def find_sources(folder: Path, table: str) -> list[Source]:
    """The usable sources of one table (:func:`scan_sources` without its problems)."""
    return scan_sources(folder, [table]).found[table]


def header_of(path: Path) -> tuple[list[str], str, str]:
    """Column names, delimiter and encoding of a CSV file, from its first 64 KiB
    (a large file's header, read without its rows)."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    text, encoding = decode_bytes(head)
    delimiter = sniff_delimiter(text)
    first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    return [c.strip() for c in first], delimiter, encoding


def read_header_only(table: str, kind: str, path: Path) -> RawTable:
    """A large file's columns without its rows."""
    if kind == "parquet":
        import pyarrow.parquet as pq  # heavy; only large Parquet logs need it here

        columns = list(pq.read_schema(path).names)
        encoding, delimiter = "utf-8", ","
    else:
        columns, delimiter, encoding = header_of(path)
    wide = _too_wide(table, path.name, len(columns))
    if wide is not None:
        return _failed(table, path.name, path, kind, wide, encoding, delimiter)
    frame, problems = _with_header(table, path.name, columns, pd.DataFrame(columns=range(len(columns))))
    return RawTable(table, path.name, path, frame, kind, encoding, delimiter, problems, large=True)


def read_source(table: str, kind: str, path: Path, sheet: str | None, *, large: bool = False) -> RawTable:
    if large:
        return read_header_only(table, kind, path)
    if kind == "csv":
        return read_csv(table, path)
    if kind == "parquet":
        return read_parquet(table, path)
    return read_xlsx_sheet(table, path, sheet or table)
