"""The drop-down lists of workspace.xlsx, regenerated from journey.yaml and the workspace.

A workshop's spreadsheet offers, in every sheet that has such a column, a drop-down of
what the column accepts: the stage ids, channels and owners of journey.yaml, the
touchpoint and persona ids the workspace has, kind and status of a pain point, yes/no,
and the scales (severity, frequency and effort 1-5, emotion -2..2, NPS 0-10, CSAT 1-5,
CES 1-7). The lists live in the ``lists`` sheet; each validation's alert says in words
what to pick ("Pick an owner from the list"). List columns (a persona's preferred
channels, a touchpoint's personas) offer the drop-down without refusing a typed
``web; store``.

:func:`apply_dropdowns` rewrites the ``lists`` sheet and the validations of an open
workbook made by ``journeykit new`` and never touches a value in the table sheets
(every widget save into the workbook applies it in the same write).
:func:`journeykit.workspace.saving.refresh_workbook` does it for a workspace folder, under
the save lock.

Example:
    >>> lists = dropdown_lists(["visit", "buy"], ["web"], ["Sales"], ["tp_1"], [])
    >>> lists["stage"].values, lists["owner"].error
    (['visit', 'buy'], "Pick an owner from the list (sheet 'lists').")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from journeykit.workspace.schema import PAINPOINT_KINDS, PAINPOINT_STATUSES, TABLES, Column

LISTS_SHEET = "lists"
#: validations reach at least this spreadsheet row (more when the sheet is longer)
DROPDOWN_ROWS = 500


@dataclass(frozen=True)
class DropList:
    """One list of the ``lists`` sheet: its header, values and the alert shown for a value
    not in it; ``strict`` False offers the drop-down without refusing other text."""

    name: str
    values: list[str | int]
    error: str
    strict: bool = True


def _article(noun: str) -> str:
    """ "a" or "an" before ``noun``.

    >>> _article("owner"), _article("stage")
    ('an', 'a')
    """
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _pick(noun: str) -> str:
    return f"Pick {_article(noun)} {noun} from the list (sheet '{LISTS_SHEET}')."


def _scale(low: int, high: int) -> DropList:
    return DropList(f"{low} to {high}", list(range(low, high + 1)),
                    f"Pick a whole number from {low} to {high}.")


def dropdown_lists(stages: Sequence[str], channels: Sequence[str], owners: Sequence[str],
                   touchpoint_ids: Sequence[str], persona_ids: Sequence[str]) -> dict[str, DropList]:
    """Every list the workbook's drop-downs use, by list name (see the module doc)."""
    lists = [
        DropList("stage", list(stages), "Pick a stage from the list (the stages of journey.yaml)."),
        DropList("channel", list(channels), _pick("channel")),
        DropList("owner", list(owners), _pick("owner")),
        DropList("touchpoint", list(dict.fromkeys(touchpoint_ids)),
                 "Pick a touchpoint id from the list (the ids of the touchpoints table)."),
        DropList("persona", list(dict.fromkeys(persona_ids)),
                 "Pick a persona id from the list (the ids of the personas table)."),
        DropList("kind", list(PAINPOINT_KINDS), "Pick pain or opportunity."),
        DropList("status", list(PAINPOINT_STATUSES), _pick("status")),
        DropList("yes/no", ["yes", "no"], "Pick yes or no."),
        _scale(1, 5), _scale(-2, 2), _scale(0, 10), _scale(1, 7),
    ]
    return {item.name: item for item in lists}


def list_for(column: Column) -> tuple[str, bool] | None:
    """The list a column's drop-down uses and whether it refuses other values, or None.

    >>> list_for(TABLES["painpoints"].column("severity")), list_for(TABLES["personas"].column("quote"))
    (('1 to 5', True), None)
    """
    strict = column.kind != "list"  # "web; store" is a valid list cell: offer, do not refuse
    if column.references in ("stages", "channels", "owners"):
        return column.references[:-1], strict
    if column.references in ("touchpoints", "personas"):
        return column.references[:-1], strict
    if column.name == "channel":
        return "channel", strict
    if column.choices == PAINPOINT_KINDS:
        return "kind", True
    if column.choices == PAINPOINT_STATUSES:
        return "status", True
    if column.kind == "bool":
        return "yes/no", True
    if column.kind == "int" and column.low is not None and column.high is not None:
        return f"{column.low:g} to {column.high:g}", True
    return None


def _input_message(column: Column, strict: bool) -> str:
    if not strict:
        return "Pick one from the list, or type several separated by ;"
    return column.description[:250] if column.description else ""


def _header_positions(sheet: Any, table: str, aliases: Mapping[str, str]) -> dict[str, int]:
    """Canonical column name -> 1-based column index, from the sheet's first row."""
    wanted = {aliases.get(c.name, c.name).strip().lower(): c.name for c in TABLES[table].columns}
    positions: dict[str, int] = {}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if isinstance(cell.value, str) and cell.value.strip().lower() in wanted:
            positions.setdefault(wanted[cell.value.strip().lower()], cell.column)
    return positions


def _signature(workbook: Any) -> list[Any]:
    """What :func:`apply_dropdowns` controls, to tell whether it changed anything."""
    out: list[Any] = []
    if LISTS_SHEET in workbook.sheetnames:
        out.append([tuple(r) for r in workbook[LISTS_SHEET].iter_rows(values_only=True)])
    for sheet in workbook.worksheets:
        out.append(sorted((str(v.sqref), v.formula1, v.error, v.showErrorMessage)
                          for v in sheet.data_validations.dataValidation))
    return out


def has_kit_lists(workbook: Any) -> bool:
    """Whether ``workbook`` has the ``lists`` sheet ``journeykit new`` wrote (its first
    header is ``stage``): only then are its drop-downs the kit's to regenerate."""
    return LISTS_SHEET in workbook.sheetnames and workbook[LISTS_SHEET]["A1"].value == "stage"


def apply_dropdowns(workbook: Any, lists: Mapping[str, DropList],
                    aliases: Mapping[str, Mapping[str, str]] | None = None, *, create: bool = False) -> bool:
    """Rewrite the ``lists`` sheet and the drop-downs of every table sheet of an open
    openpyxl ``workbook``; values in the table sheets are not touched. Drop-downs made
    earlier from the ``lists`` sheet are replaced; other validations are kept. A list
    with no values yet (no touchpoints) gets no drop-down. ``aliases`` maps table ->
    {canonical: user column name}. A workbook without the kit's ``lists`` sheet (one the
    user made, or whose ``lists`` sheet is their own) is left alone unless ``create``.
    Returns whether anything changed."""
    from openpyxl.styles import Font  # heavy; only workbooks need it
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    if not create and not has_kit_lists(workbook):
        return False
    if create and LISTS_SHEET in workbook.sheetnames and not has_kit_lists(workbook):
        return False
    before = _signature(workbook)
    if LISTS_SHEET in workbook.sheetnames:
        sheet = workbook[LISTS_SHEET]
        sheet.delete_cols(1, max(sheet.max_column, 1))
    else:
        sheet = workbook.create_sheet(LISTS_SHEET)
    ranges: dict[str, str] = {}
    for index, item in enumerate(lists.values(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=item.name).font = Font(bold=True)
        for row, value in enumerate(item.values, start=2):
            sheet.cell(row=row, column=index, value=value)
        if item.values:
            ranges[item.name] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(item.values) + 1}"
    marker = f"{quote_sheetname(LISTS_SHEET)}!"
    by_name = {name.strip().lower(): name for name in workbook.sheetnames}
    for table in TABLES:
        if table not in by_name:
            continue
        target = workbook[by_name[table]]
        validations = target.data_validations
        validations.dataValidation = [v for v in validations.dataValidation
                                      if not str(v.formula1 or "").startswith((marker, f"{LISTS_SHEET}!"))]
        last = max(DROPDOWN_ROWS, target.max_row + 100)
        for name, index in _header_positions(target, table, (aliases or {}).get(table, {})).items():
            column = TABLES[table].column(name)
            found = list_for(column)
            if found is None or found[0] not in ranges:
                continue
            list_name, strict = found
            item = lists[list_name]
            message = _input_message(column, strict and item.strict)
            validation = DataValidation(
                type="list", formula1=ranges[list_name], allow_blank=True,
                showErrorMessage=strict and item.strict, errorTitle="Not in the list", error=item.error,
                showInputMessage=bool(message), prompt=message or None)
            letter = get_column_letter(index)
            validation.add(f"{letter}2:{letter}{last}")
            target.add_data_validation(validation)
    return _signature(workbook) != before
