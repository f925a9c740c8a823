"""What a workspace.xlsx sheet holds besides its values: formulas and merged cells.

openpyxl reads a cell's *saved* value (``data_only=True``); a formula that no
spreadsheet program has calculated yet has no saved value and reads as blank. This
module streams the sheet's XML once (never the whole workbook into memory) and
reports, so that blanks are never silent:

- **formulas without a saved value**: a ``<c>`` with an ``<f>`` and no ``<v>`` text,
  unless the cell's saved type is ``str`` (a formula whose result is the empty text,
  as Excel and LibreOffice save it). Files written by a script (openpyxl writes
  ``ws["A2"] = "=1+2"`` with an empty ``<v/>``) have these; opening and saving the file
  in Excel or LibreOffice stores the values.
- **merged cells** whose top-left cell holds a value (the other cells of the range read
  as blank); a merged range of blank cells is formatting and harmless.

Coordinates are the spreadsheet's own: row 1 is the sheet's first row, column 1 is A.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import iterparse

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass(frozen=True)
class Formula:
    """A formula cell without a saved value: its row and column (1-based) and its text."""

    row: int
    column: int
    text: str

    @property
    def cell(self) -> str:
        return f"{column_letter(self.column)}{self.row}"


@dataclass(frozen=True)
class Merged:
    """A merged range (``B6:C7``), its first row and first column (1-based)."""

    ref: str
    row: int
    column: int


@dataclass
class SheetFacts:
    """Formulas without saved values and merged ranges of one sheet."""

    formulas: list[Formula] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)


def column_letter(index: int) -> str:
    """The spreadsheet letters of a 1-based column index (1 -> A, 28 -> AB)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


def _split_ref(ref: str) -> tuple[int, int]:
    match = _CELL_REF.match(ref.upper())
    if match is None:
        return 0, 0
    return int(match.group(2)), _column_index(match.group(1))


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The path inside the xlsx archive of the sheet named ``sheet`` (workbook.xml + its rels)."""
    rel_id = None
    with archive.open("xl/workbook.xml") as handle:
        for _, element in iterparse(handle):
            if element.tag == f"{_MAIN}sheet" and element.get("name") == sheet:
                rel_id = element.get(f"{_REL}id")
                break
    if rel_id is None:
        return None
    with archive.open("xl/_rels/workbook.xml.rels") as handle:
        for _, element in iterparse(handle):
            if element.tag == f"{_PKG_REL}Relationship" and element.get("Id") == rel_id:
                target = element.get("Target") or ""
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return None


def sheet_facts(path: Path, sheet: str, values: list[list[str]]) -> SheetFacts:
    """Formulas without saved values and merged ranges holding a value in sheet ``sheet``.

    ``values`` are the sheet's cells as read (row 1 first, column A first), used to keep
    only merged ranges whose top-left cell is filled.
    """
    facts = SheetFacts()
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet)
        if part is None or part not in archive.namelist():
            return facts
        with archive.open(part) as handle:
            row = column = 0  # where a cell without its own r="B4" reference sits
            for event, element in iterparse(handle, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if tag == f"{_MAIN}row":
                        row = int(element.get("r") or row + 1)
                        column = 0
                    continue
                if tag == f"{_MAIN}c":
                    ref = element.get("r")
                    row, column = _split_ref(ref) if ref else (row, column + 1)
                    formula = element.find(f"{_MAIN}f")
                    if formula is not None:
                        saved = element.find(f"{_MAIN}v")
                        has_value = saved is not None and (saved.text or "") != ""
                        if not has_value and element.get("t") != "str":
                            facts.formulas.append(Formula(row, column, "=" + (formula.text or "")))
                    element.clear()
                elif tag == f"{_MAIN}row":
                    element.clear()
                elif tag == f"{_MAIN}mergeCell":
                    ref = element.get("ref") or ""
                    first_row, first_column = _split_ref(ref.split(":")[0])
                    filled = (0 < first_row <= len(values) and 0 < first_column <= len(values[first_row - 1])
                              and values[first_row - 1][first_column - 1].strip() != "")
                    if filled:
                        facts.merged.append(Merged(ref, first_row, first_column))
    return facts
