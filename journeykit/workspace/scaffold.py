"""A blank workspace for a new business or a workshop room: ``journeykit new DIR``.

It writes journey.yaml (the four standard stages and common small-business
channels), one CSV per table with its header, and workspace.xlsx with a sheet per
table, drop-down lists for stage, channel, owner, kind and status, and a README
sheet that explains every column. People fill in whichever they prefer: the loader
uses the source that has rows.

Example:
    >>> new_workspace("my-shop", name="Corner Bakery")   # doctest: +SKIP
    PosixPath('my-shop')
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from journeykit.core.errors import JourneykitError
from journeykit.workspace.schema import (
    PAINPOINT_KINDS,
    PAINPOINT_STATUSES,
    STANDARD_CHANNELS,
    STANDARD_OWNERS,
    STANDARD_STAGES,
    TABLES,
)

LISTS_SHEET = "lists"
README_SHEET = "README"
DROPDOWN_ROWS = 500


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


def new_workspace(path: str | os.PathLike, *, name: str | None = None) -> Path:
    """Create a blank workspace in ``path`` (created if missing; must be empty).

    Raises :class:`JourneykitError` when ``path`` exists and is not empty.
    """
    folder = Path(path)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise JourneykitError(f"{folder} exists and is not empty; choose a new folder "
                              "(journeykit new never overwrites files)")
    folder.mkdir(parents=True, exist_ok=True)
    business = name or folder.resolve().name.replace("-", " ").replace("_", " ").title()
    (folder / "journey.yaml").write_text(_journey_yaml(business), encoding="utf-8")
    for table in TABLES.values():
        header = ",".join(c.name for c in table.current_columns)
        (folder / f"{table.name}.csv").write_text(header + "\n", encoding="utf-8")
    _write_workbook(folder / "workspace.xlsx")
    return folder


def _write_workbook(path: Path) -> None:
    from openpyxl import Workbook  # heavy; only the blank workbook needs it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    readme = workbook.active
    readme.title = README_SHEET
    readme.append(["table", "column", "required", "what to write"])
    for cell in readme[1]:
        cell.font = Font(bold=True)
    readme.append(["(all)", "", "", "One row per item; the first row holds the column names. Use the drop-downs "
                   "for stage, channel, owner, kind and status. Lists inside a cell are separated by ;"])
    for table in TABLES.values():
        for column in table.columns:
            what = column.description or column.expectation()
            if column.references == "stages":
                what += " (drop-down)"
            readme.append([table.name, column.name, "yes" if column.required else "",
                           f"{what}; {column.expectation()}" if column.kind != "text" else what])
    readme.column_dimensions["A"].width = 14
    readme.column_dimensions["B"].width = 20
    readme.column_dimensions["D"].width = 90

    lists = workbook.create_sheet(LISTS_SHEET)
    columns = {
        "stage": [s.id for s in STANDARD_STAGES],
        "channel": list(STANDARD_CHANNELS),
        "owner": list(STANDARD_OWNERS),
        "kind": list(PAINPOINT_KINDS),
        "status": list(PAINPOINT_STATUSES),
        "online": ["yes", "no"],
    }
    ranges = {}
    for index, (list_name, values) in enumerate(columns.items(), start=1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=list_name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=index, value=value)
        ranges[list_name] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"

    dropdowns = {
        ("touchpoints", "stage"): "stage", ("touchpoints", "channel"): "channel",
        ("touchpoints", "owner"): "owner", ("touchpoints", "online"): "online",
        ("painpoints", "kind"): "kind", ("painpoints", "status"): "status",
        ("painpoints", "owner"): "owner", ("feedback", "stage"): "stage",
        ("feedback", "channel"): "channel", ("events", "channel"): "channel",
        ("orders", "channel"): "channel", ("tickets", "channel"): "channel",
        ("customers", "channel"): "channel",
    }
    for table in TABLES.values():
        sheet = workbook.create_sheet(table.name)
        sheet.append([c.name for c in table.current_columns])
        for index, column in enumerate(table.current_columns, start=1):
            sheet.cell(row=1, column=index).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.name) + 4)
            list_name = dropdowns.get((table.name, column.name), "")
            if list_name:
                validation = DataValidation(type="list", formula1=ranges[list_name], allow_blank=True,
                                            showErrorMessage=True, errorTitle="Not in the list",
                                            error=f"Pick a {list_name} from the list (sheet '{LISTS_SHEET}').")
                letter = get_column_letter(index)
                validation.add(f"{letter}2:{letter}{DROPDOWN_ROWS}")
                sheet.add_data_validation(validation)
        sheet.freeze_panes = "A2"
    workbook.save(path)
