"""A blank workspace for a new business or a workshop room: ``journeykit new DIR``.

It writes journey.yaml (the four standard stages and common small-business
channels) and the tables in ONE format, so that a table never has two sources:

- ``"xlsx"`` (the default, for workshops): workspace.xlsx with a sheet per table, the
  drop-downs of :mod:`journeykit.workspace.dropdowns` (stages, channels, owners,
  touchpoint and persona ids, kind, status, yes/no, the 1-5 and -2..2 scales) and a
  README sheet that explains every column; the widgets save into its sheets;
- ``"csv"``: one header-only CSV per table.

Example:
    >>> new_workspace("my-shop", name="Corner Bakery")   # doctest: +SKIP
    PosixPath('my-shop')
    >>> FORMATS
    ('xlsx', 'csv')
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from journeykit.core.errors import JourneykitError
from journeykit.workspace.dropdowns import LISTS_SHEET, apply_dropdowns, dropdown_lists, list_for
from journeykit.workspace.readers import WORKBOOK
from journeykit.workspace.schema import (
    STANDARD_CHANNELS,
    STANDARD_OWNERS,
    STANDARD_STAGES,
    TABLES,
    Column,
)

README_SHEET = "README"
#: the formats ``journeykit new`` writes the tables in; the first is the default
FORMATS = ("xlsx", "csv")


def _journey_yaml(name: str) -> str:
    config = {
        "business": name,
        "currency": "EUR",
        "timezone": "UTC",
        "stages": [
            {"id": s.id, "name": s.name, "description": s.description, "events": []}
            for s in STANDARD_STAGES
        ],
        "channels": list(STANDARD_CHANNELS),
        "owners": list(STANDARD_OWNERS),
        "kpis": {
            "nps": {"target": 30, "direction": "higher", "warning": 10, "label": "Net Promoter Score"},
            "csat": {"target": 0.8, "direction": "higher", "warning": 0.05, "label": "CSAT (share 4-5)"},
            "ces": {"target": 5.5, "direction": "higher", "warning": 0.5,
                    "label": "Customer effort score (1-7, 7 = very easy)"},
        },
        "themes": {},
        "defaults": {"window": "14D", "session_gap": "30min", "csat_definition": "top2", "dayfirst": True},
        "columns": {},
    }
    header = (
        f"# journey.yaml for {name}: the stages of your customers' journey, your channels and teams,\n"
        "# KPI targets, keyword themes for comments, defaults, and `columns:` to map your own\n"
        "# export's column names to journeykit's (e.g. columns: {feedback: {nps: \"Rating\"}}).\n"
        "# List under each stage the event names from your web shop/till/booking export that belong to it.\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def new_workspace(path: str | os.PathLike, *, name: str | None = None, format: str = "xlsx") -> Path:
    """Create a blank workspace in ``path`` (created if missing; must be empty), its
    tables in workspace.xlsx (``format="xlsx"``, the default) or in CSV files
    (``format="csv"``), never both.

    Raises :class:`JourneykitError` when ``path`` exists and is not empty, or for an
    unknown ``format``.
    """
    if format not in FORMATS:
        raise JourneykitError(f"unknown workspace format {format!r}; expected one of {', '.join(FORMATS)}")
    folder = Path(path)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise JourneykitError(f"{folder} exists and is not empty; choose a new folder "
                              "(journeykit new never overwrites files)")
    folder.mkdir(parents=True, exist_ok=True)
    business = name or folder.resolve().name.replace("-", " ").replace("_", " ").title()
    (folder / "journey.yaml").write_text(_journey_yaml(business), encoding="utf-8")
    if format == "csv":
        for table in TABLES.values():
            header = ",".join(c.name for c in table.current_columns)
            (folder / f"{table.name}.csv").write_text(header + "\n", encoding="utf-8")
    else:
        _write_workbook(folder / WORKBOOK)
    return folder


_DATE_HINT = "a date such as 2026-03-31 (a time may follow, as in 14:05)"


def readme_text(column: Column) -> str:
    """What the README sheet says about one column: what to write, in one sentence.

    >>> readme_text(TABLES["painpoints"].column("severity"))
    '1 (minor) to 5 (severe); pick from the drop-down'
    >>> readme_text(TABLES["orders"].column("date"))
    'When the order was placed: a date such as 2026-03-31 (a time may follow, as in 14:05)'
    """
    text = column.description or column.expectation()
    if column.kind == "datetime":
        text = f"{text}: {_DATE_HINT}" if column.description else _DATE_HINT
    elif column.kind == "float" and column.low is not None and column.description:
        text = f"{text} ({column.expectation()})"
    found = list_for(column)
    if found is not None:
        text += "; pick from the drop-down" if found[1] else "; pick from the drop-down or type several"
    return text[:1].upper() + text[1:] if column.kind == "datetime" else text


def _write_workbook(path: Path) -> None:
    from openpyxl import Workbook  # heavy; only the blank workbook needs it
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    readme = workbook.active
    readme.title = README_SHEET
    readme.append(["table", "column", "required", "what to write"])
    for cell in readme[1]:
        cell.font = Font(bold=True)
    readme.append(["(all)", "", "", "One row per item; the first row holds the column names. Use the "
                   f"drop-downs where a column has them (their lists are in the sheet '{LISTS_SHEET}', "
                   "updated from journey.yaml by `journeykit validate`). Lists inside a cell are "
                   "separated by ;"])
    for table in TABLES.values():
        for column in table.columns:
            readme.append([table.name, column.name, "yes" if column.required else "", readme_text(column)])
    readme.column_dimensions["A"].width = 14
    readme.column_dimensions["B"].width = 20
    readme.column_dimensions["D"].width = 90
    for row in readme.iter_rows(min_row=2, min_col=4, max_col=4):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    for table in TABLES.values():
        sheet = workbook.create_sheet(table.name)
        sheet.append([c.name for c in table.current_columns])
        for index, column in enumerate(table.current_columns, start=1):
            sheet.cell(row=1, column=index).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.name) + 4)
        sheet.freeze_panes = "A2"
    apply_dropdowns(workbook, dropdown_lists([s.id for s in STANDARD_STAGES], STANDARD_CHANNELS,
                                             STANDARD_OWNERS, [], []), create=True)
    workbook.save(path)
