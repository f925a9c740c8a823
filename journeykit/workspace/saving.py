"""Saving an edited table back to its workspace file, keeping the previous version.

:func:`save_table` writes atomically (a reader sees the old file or the new one, never
half of one), under a lock (``.journeykit/save.lock``) so two saves do not interleave,
and copies the previous file to ``.journeykit/history/`` first (the last
:data:`HISTORY_KEEP` versions of each file are kept). CSV, Parquet and workspace.xlsx
sheets are written in the format they were read from, with the user's column names.

Example:
    >>> HISTORY_DIR
    '.journeykit/history'
"""

from __future__ import annotations

import io
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from filelock import FileLock

from journeykit.core.errors import JourneykitError
from journeykit.core.safety import atomic_write_bytes, neutralise_frame
from journeykit.workspace.model import Workspace
from journeykit.workspace.schema import TABLES

HISTORY_DIR = ".journeykit/history"
HISTORY_KEEP = 20


def _history_copy(ws: Workspace, path: Path) -> Path | None:
    if not path.exists():
        return None
    history = ws.path / HISTORY_DIR
    history.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    copy = history / f"{path.stem}.{stamp}{path.suffix}"
    shutil.copy2(path, copy)
    old = sorted(history.glob(f"{path.stem}.*{path.suffix}"))
    for stale in old[:-HISTORY_KEEP]:
        stale.unlink(missing_ok=True)
    return copy


def _to_file_frame(ws: Workspace, table: str, frame: pd.DataFrame) -> pd.DataFrame:
    spec = TABLES[table]
    out = frame.copy()
    for column in spec.columns:
        if column.name not in out.columns:
            continue
        series = out[column.name]
        if column.kind == "datetime":
            out[column.name] = series.dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
        elif column.kind == "bool":
            out[column.name] = series.map({True: "yes", False: "no"}, na_action="ignore")
    reverse = {canonical: user for canonical, user in ws.column_maps.get(table, {}).items()}
    return out.rename(columns=reverse)


def save_table(ws: Workspace, table: str, frame: pd.DataFrame) -> Path:
    """Save an edited table back to the workspace file it came from, at once.

    The write is atomic (a reader sees the old file or the new one), the previous
    version is copied to ``.journeykit/history/`` (the last 20 are kept), column names
    are written as the user's file had them, and text that could start a spreadsheet
    formula is neutralised. A table the workspace did not have is written as
    ``<table>.csv``. The in-memory ``ws`` is updated too.

    Returns the path written.

    Example:
        >>> ws = load_workspace("my-shop")                       # doctest: +SKIP
        >>> edited = ws.painpoints.assign(status="planned")      # doctest: +SKIP
        >>> save_table(ws, "painpoints", edited)                 # doctest: +SKIP
    """
    if table not in TABLES:
        raise JourneykitError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    missing = [c.name for c in TABLES[table].columns if c.required and c.name not in frame.columns]
    if missing:
        raise JourneykitError(f"cannot save {table}: column(s) {', '.join(missing)} missing")
    kind, path, sheet, delimiter = ws.source_paths.get(table, ("csv", ws.path / f"{table}.csv", None, ","))
    file_frame = _to_file_frame(ws, table, frame)
    lock_dir = ws.path / ".journeykit"
    lock_dir.mkdir(exist_ok=True)
    with FileLock(str(lock_dir / "save.lock"), timeout=30):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a save that was killed
            stale.unlink(missing_ok=True)
        _history_copy(ws, path)
        if kind == "csv":
            data = _one_newline_style(neutralise_frame(file_frame)).to_csv(
                index=False, sep=delimiter, lineterminator="\n")
            atomic_write_bytes(path, data.encode("utf-8"))
        elif kind == "parquet":
            buffer = io.BytesIO()
            file_frame.to_parquet(buffer, index=False)
            atomic_write_bytes(path, buffer.getvalue())
        else:
            _write_sheet(path, sheet or table, neutralise_frame(file_frame))
    ws.tables[table] = frame.copy()
    ws.derived.clear()
    ws.run_cache = None  # edited: results shared by a run no longer apply
    ws.sources.setdefault(table, path.name if kind != "xlsx" else f"{path.name}[{sheet}]")
    ws.source_paths.setdefault(table, (kind, path, sheet, delimiter))
    return path


def _one_newline_style(frame: pd.DataFrame) -> pd.DataFrame:
    """Line breaks inside text cells as LF only, so the CSV writer quotes them."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or pd.api.types.is_object_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v)
    return out


def _write_sheet(path: Path, sheet: str, frame: pd.DataFrame) -> None:
    """Replace one sheet's cells in workspace.xlsx, keeping the other sheets, the
    drop-down lists and formatting; atomic."""
    from openpyxl import load_workbook  # heavy; only workbooks need it

    workbook = load_workbook(path)
    worksheet = workbook[sheet]
    if worksheet.max_row > 0:
        worksheet.delete_rows(1, worksheet.max_row)
    worksheet.append([str(c) for c in frame.columns])
    for record in frame.itertuples(index=False):
        worksheet.append([None if (v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)))
                          else (v.item() if hasattr(v, "item") else v) for v in record])
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write_bytes(path, buffer.getvalue())
