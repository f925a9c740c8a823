"""Reading a workspace table's raw cells from CSV, Parquet or a workspace.xlsx sheet.

Everything is read as text (``RawTable.frame`` has string cells, index = the row
number a spreadsheet shows, header = row 1); typing and checking happen in
:mod:`journeykit.workspace.parsing`. CSV files may be UTF-8 (with or without BOM),
UTF-16 (with BOM) or latin-1/cp1252, comma-, semicolon- or tab-delimited, with
CRLF or LF line ends and quoted newlines.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from journeykit.core.errors import Problem

WORKBOOK = "workspace.xlsx"
MAX_FIELD_BYTES = 64 * 2**20  # one cell may hold up to 64 MiB of text
DELIMITERS = (",", ";", "\t")


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


def _frame_from_records(records: list[list[str]], first_row: int) -> tuple[list[str], pd.DataFrame]:
    header = [str(h).strip() for h in records[0]] if records else []
    width = len(header)
    body = []
    index = []
    for offset, record in enumerate(records[1:], start=1):
        cells = ["" if c is None else str(c) for c in record]
        if not any(c.strip() for c in cells):
            continue  # a blank line is not a data row (its row number is still skipped)
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        body.append(cells)
        index.append(first_row + offset)
    extra = max((len(r) for r in body), default=width) - width
    columns = header + [f"(unnamed column {width + i + 1})" for i in range(extra)]
    body = [r + [""] * (len(columns) - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=range(len(columns)), index=pd.Index(index, name="row"), dtype=object)
    return columns, frame


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
    try:
        records = list(reader)
    except csv.Error as exc:
        return RawTable(table, source, path, pd.DataFrame(), "csv", encoding, delimiter,
                        problems=[Problem(source, f"well-formed CSV ({exc})", table=table)])
    # record index -> spreadsheet row: the csv module joins quoted newlines into one record,
    # exactly as a spreadsheet shows one row per record.
    columns, frame = _frame_from_records(records, first_row=1)
    frame, problems = _with_header(table, source, columns, frame)
    problems += _overlong_rows(table, source, records, delimiter)
    return RawTable(table, source, path, frame, "csv", encoding, delimiter, problems)


def _overlong_rows(table: str, source: str, records: list[list[str]], delimiter: str) -> list[Problem]:
    """Rows with more filled fields than the header: text containing the delimiter
    that was not quoted. Reported, never silently cut."""
    if not records:
        return []
    width = len(records[0])
    name = {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))
    problems = []
    for offset, record in enumerate(records[1:], start=2):
        if len(record) > width and any(c.strip() for c in record[width:]):
            problems.append(Problem(
                source, f"{width} fields like the header (this row has {len(record)}; put text "
                f"containing a {name} in double quotes)", row=offset,
                value=delimiter.join(record[width - 1:]), table=table))
    return problems


def read_parquet(table: str, path: Path) -> RawTable:
    source = path.name
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for damaged files
        return RawTable(table, source, path, pd.DataFrame(), "parquet",
                        problems=[Problem(source, f"a readable Parquet file ({type(exc).__name__}: {exc})",
                                          table=table)])
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return RawTable(table, source, path, frame, "parquet")


def xlsx_sheets(path: Path) -> dict[str, str]:
    """Sheet names of workspace.xlsx keyed by lower-case name."""
    from openpyxl import load_workbook  # heavy; only workbooks need it

    workbook = load_workbook(path, read_only=True)
    try:
        return {name.strip().lower(): name for name in workbook.sheetnames}
    finally:
        workbook.close()


def read_xlsx_sheet(table: str, path: Path, sheet: str) -> RawTable:
    from openpyxl import load_workbook  # heavy; only workbooks need it

    source = f"{path.name}[{sheet}]"
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        records = []
        for values in workbook[sheet].iter_rows(values_only=True):
            records.append([_xlsx_text(v) for v in values])
    finally:
        workbook.close()
    while records and not any(c.strip() for c in records[0]):
        records.pop(0)  # tolerate leading empty rows only when the sheet is entirely empty
    if not records:
        return RawTable(table, source, path, pd.DataFrame(index=pd.Index([], name="row")), "xlsx")
    columns, frame = _frame_from_records(records, first_row=1)
    # drop trailing empty header cells (formatting artefacts)
    while columns and not columns[-1] and (frame.empty or not frame.iloc[:, -1].str.strip().any()):
        columns.pop()
        frame = frame.iloc[:, :-1]
    frame, problems = _with_header(table, source, columns, frame)
    return RawTable(table, source, path, frame, "xlsx", problems=problems)


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text.removesuffix(" 00:00:00")
    return str(value)


def find_sources(folder: Path, table: str) -> list[tuple[str, Path, str | None]]:
    """Every source of ``table`` in ``folder``: (kind, path, sheet)."""
    found: list[tuple[str, Path, str | None]] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.stem.lower() == table and not entry.name.startswith("."):
            suffix = entry.suffix.lower()
            if suffix in (".csv", ".txt", ".tsv"):
                found.append(("csv", entry, None))
            elif suffix == ".parquet":
                found.append(("parquet", entry, None))
    workbook = folder / WORKBOOK
    if workbook.is_file():
        sheets = xlsx_sheets(workbook)
        if table in sheets:
            found.append(("xlsx", workbook, sheets[table]))
    return found


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
