"""Saving an edited table back to its workspace file, keeping the previous version.

:func:`save_table` writes atomically (a reader sees the old file or the new one, never
half of one), under a lock (``.journeykit/save.lock``) so two saves do not interleave,
and copies the previous file to ``.journeykit/history/`` first (the last
:data:`HISTORY_KEEP` versions of each file are kept). CSV, Parquet and workspace.xlsx
sheets are written in the format they were read from, with the user's column names.

:func:`update_table` is the read-modify-write: under the same lock it re-reads the
table from its file, applies a change and writes the result, so two people (or two
processes) saving the same table never lose each other's rows. :func:`~journeykit.workspace.edits.merge_edits` is
the change a widget makes: only the rows and fields it edited, applied to the file's
current content.

The workspace keeps exactly what was typed: text is written as it is (surrounding
spaces, quotes, CR/LF/CRLF line breaks, a leading apostrophe and text that looks like a
formula, such as ``=1+1``), and reads back identical through ``load_workspace``.
Formula neutralisation is for exports (:mod:`journeykit.core.safety`, in run folders).
CSV is written with CRLF line ends (RFC 4180), so every cell holding a CR or LF is quoted;
in workspace.xlsx, text starting with ``=`` is stored as text, never as a formula, and
text a workbook cannot hold exactly (a carriage return, control characters, U+FFFE/FFFF)
is refused with the cell named, never changed silently.

Example:
    >>> HISTORY_DIR
    '.journeykit/history'
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from filelock import FileLock

from journeykit.core.cells import is_blank
from journeykit.core.errors import JourneykitError, format_problems
from journeykit.core.safety import atomic_write_bytes
from journeykit.workspace.config import read_config
from journeykit.workspace.dropdowns import DropList, apply_dropdowns, dropdown_lists
from journeykit.workspace.loader import _type_table, load_workspace
from journeykit.workspace.model import SourcePath, Workspace
from journeykit.workspace.readers import WORKBOOK, read_source, scan_sources
from journeykit.workspace.schema import TABLES

HISTORY_DIR = ".journeykit/history"
HISTORY_KEEP = 20
LOCK_FILE = ".journeykit/save.lock"
#: seconds a save waits for another save of the same workspace before giving up
LOCK_TIMEOUT_S = 30
#: what a workbook cell cannot hold exactly: XML 1.0 forbids most control characters and
#: U+FFFE/FFFF, and a carriage return comes back as a line feed
_NOT_IN_WORKBOOK = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _history_copy(folder: Path, path: Path) -> Path | None:
    if not path.exists():
        return None
    history = folder / HISTORY_DIR
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


def _check_frame(table: str, frame: pd.DataFrame) -> None:
    if table not in TABLES:
        raise JourneykitError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    missing = [c.name for c in TABLES[table].columns if c.required and c.name not in frame.columns]
    if missing:
        raise JourneykitError(f"cannot save {table}: column(s) {', '.join(missing)} missing")


def _source(ws: Workspace, table: str) -> SourcePath:
    return ws.source_paths.get(table, ("csv", ws.path / f"{table}.csv", None, ","))


@contextmanager
def _save_lock(ws: Workspace | Path) -> Iterator[None]:
    folder = ws.path if isinstance(ws, Workspace) else ws
    lock_dir = folder / ".journeykit"
    lock_dir.mkdir(exist_ok=True)
    with FileLock(str(folder / LOCK_FILE), timeout=LOCK_TIMEOUT_S):
        yield


def _ids(frame: pd.DataFrame | None) -> list[str]:
    if frame is None or "id" not in frame.columns:
        return []
    return [str(v).strip() for v in frame["id"] if not is_blank(v) and str(v).strip()]


def _lists_of(ws: Workspace, table: str, frame: pd.DataFrame) -> dict[str, DropList]:
    """The drop-down lists of ``ws`` once ``frame`` is its ``table``."""
    tables = {**ws.tables, table: frame}
    return dropdown_lists(ws.config.stage_ids, ws.config.channels, ws.config.owners,
                          _ids(tables.get("touchpoints")), _ids(tables.get("personas")))


def _write_locked(ws: Workspace, table: str, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as ``table`` (the caller holds the save lock) and update ``ws``."""
    kind, path, sheet, delimiter = _source(ws, table)
    file_frame = _to_file_frame(ws, table, frame)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a save that was killed
        stale.unlink(missing_ok=True)
    if kind == "xlsx":
        _check_workbook_text(path.name, sheet or table, file_frame)
    _history_copy(ws.path, path)
    if kind == "csv":
        # CRLF record ends (RFC 4180): the writer quotes every cell holding a CR or LF, so
        # a bare CR inside a text reads back as a CR
        data = file_frame.to_csv(index=False, sep=delimiter, lineterminator="\r\n")
        atomic_write_bytes(path, data.encode("utf-8"))
    elif kind == "parquet":
        buffer = io.BytesIO()
        file_frame.to_parquet(buffer, index=False)
        atomic_write_bytes(path, buffer.getvalue())
    else:
        _write_sheet(path, sheet or table, file_frame, _lists_of(ws, table, frame), ws.column_maps)
    ws.tables[table] = frame.copy()
    ws.derived.clear()
    ws.derived[(_WRITTEN, table)] = _digest(path)  # the file is ws.tables[table] while this holds
    ws.run_cache = None  # edited: results shared by a run no longer apply
    ws.sources.setdefault(table, path.name if kind != "xlsx" else f"{path.name}[{sheet}]")
    ws.source_paths.setdefault(table, (kind, path, sheet, delimiter))
    return path


def save_table(ws: Workspace, table: str, frame: pd.DataFrame) -> Path:
    """Save an edited table back to the workspace file it came from, at once.

    The write is atomic (a reader sees the old file or the new one), the previous
    version is copied to ``.journeykit/history/`` (the last 20 are kept), column names
    are written as the user's file had them, and text is written exactly as it is (it
    reads back identical; exports neutralise formulas, the workspace does not). A table
    the workspace did not have is written as ``<table>.csv``. The in-memory ``ws`` is
    updated too. ``frame`` replaces the whole file: to change a table that someone else
    may be saving at the same time, use :func:`update_table`.

    Returns the path written.

    Example:
        >>> ws = load_workspace("my-shop")                       # doctest: +SKIP
        >>> edited = ws.painpoints.assign(status="planned")      # doctest: +SKIP
        >>> save_table(ws, "painpoints", edited)                 # doctest: +SKIP
    """
    _check_frame(table, frame)
    with _save_lock(ws):
        return _write_locked(ws, table, frame)


_WRITTEN = "journeykit.workspace.saving: sha256 of the file as this workspace last wrote it"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_table_now(ws: Workspace, table: str) -> pd.DataFrame | None:
    """``table`` as its file holds it now (canonical columns and dtypes, index reset), or
    None when it has no file yet. Raises :class:`JourneykitError` when the file now has
    errors (a change saved on top would silently drop or blank what is wrong)."""
    kind, path, sheet, _delimiter = _source(ws, table)
    if not path.exists():
        return None
    if table in ws.tables and ws.derived.get((_WRITTEN, table)) == _digest(path):
        return ws.tables[table].reset_index(drop=True).copy()  # nobody saved since our last write
    raw = read_source(table, kind, path, sheet)
    frame, used, checker = _type_table(raw, TABLES[table], ws.config)
    errors = [p for p in checker.problems if p.severity == "error"]
    if frame is None or errors:
        raise JourneykitError(f"cannot save {table}: {raw.source} has problems now; fix them first:\n"
                              + format_problems(errors[:10]))
    ws.column_maps[table] = used
    return frame.reset_index(drop=True)


def update_table(ws: Workspace | str | os.PathLike, table: str,
                 change: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
    """Read-modify-write ``table`` without losing anyone's rows.

    Holds the workspace's save lock while it re-reads the table from its file (what
    other processes saved meanwhile included), calls ``change(current)`` and writes the
    frame it returns atomically, with the previous version kept, as :func:`save_table`.
    ``ws`` is a loaded :class:`Workspace` (updated in memory) or a workspace folder.
    A table without a file starts from the workspace's in-memory table or an empty one.

    Example:
        >>> update_table(ws, "painpoints",                                  # doctest: +SKIP
        ...              lambda now: pd.concat([now, new_rows], ignore_index=True))
    """
    if not isinstance(ws, Workspace):
        ws = load_workspace(ws)
    if table not in TABLES:
        raise JourneykitError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    with _save_lock(ws):
        current = read_table_now(ws, table)
        if current is None:
            known = ws.tables.get(table)
            current = (known.reset_index(drop=True).copy() if known is not None
                       else pd.DataFrame({c.name: pd.Series(dtype="object") for c in TABLES[table].columns}))
        frame = change(current)
        _check_frame(table, frame)
        return _write_locked(ws, table, frame)


def _check_workbook_text(name: str, sheet: str, frame: pd.DataFrame) -> None:
    """Refuse text a workbook cannot hold exactly, naming the cell (spreadsheet row)."""
    for position, column in enumerate(frame.columns):
        for row, value in enumerate(frame.iloc[:, position], start=2):
            if isinstance(value, str):
                found = _NOT_IN_WORKBOOK.search(value)
                if found:
                    raise JourneykitError(
                        f"cannot save {name}[{sheet}] row {row}, column {column}: the text holds "
                        f"U+{ord(found.group()):04X}, which a workbook cell cannot keep exactly "
                        "(a carriage return comes back as a line break, control characters "
                        "cannot be stored); remove it, or keep this table as a CSV file")


def _write_sheet(path: Path, sheet: str, frame: pd.DataFrame,
                 lists: Mapping[str, DropList] | None = None,
                 aliases: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """Replace one sheet's values in workspace.xlsx, keeping the other sheets, the
    cells' formatting (bold header, widths, frozen header row) and the drop-downs,
    regenerated from ``lists`` when given; atomic. Text is stored as text (``=1+1`` too)."""
    from openpyxl import load_workbook  # heavy; only workbooks need it

    workbook = load_workbook(path)
    worksheet = workbook[sheet]
    for old in worksheet.iter_rows():  # values cleared, cells (and their styles) kept
        for cell in old:
            if cell.value is not None:
                cell.value = None
    for column, name in enumerate(frame.columns, start=1):
        _text_cell(worksheet.cell(row=1, column=column), str(name))
    for row, record in enumerate(frame.itertuples(index=False), start=2):
        for column, v in enumerate(record, start=1):
            if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
                continue
            value = v.item() if hasattr(v, "item") else v
            if isinstance(value, str):
                _text_cell(worksheet.cell(row=row, column=column), value)
            else:
                worksheet.cell(row=row, column=column, value=value)
    if lists is not None:
        apply_dropdowns(workbook, lists, aliases)
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _text_cell(cell: object, text: str) -> None:
    """Store ``text`` in an openpyxl cell as a string, never as a formula."""
    cell.value = text  # type: ignore[attr-defined]
    cell.data_type = "s"  # type: ignore[attr-defined]


def _raw_ids(folder: Path, table: str) -> list[str]:
    """The ids of ``table`` as its sources hold them now (raw text, no checks)."""
    for kind, path, sheet in scan_sources(folder, [table]).found.get(table, []):
        raw = read_source(table, kind, path, sheet)
        column = next((c for c in raw.frame.columns if str(c).strip().lower() == "id"), None)
        if raw.rows and column is not None:
            return [str(v).strip() for v in raw.frame[column] if not is_blank(v) and str(v).strip()]
    return []


def _has_formulas(workbook: object) -> bool:
    return any(cell.data_type == "f" for sheet in workbook.worksheets  # type: ignore[attr-defined]
               for row in sheet.iter_rows() for cell in row)


def refresh_workbook(folder: str | os.PathLike) -> str | None:
    """Regenerate the drop-downs of ``folder``'s workspace.xlsx (:mod:`journeykit.workspace.dropdowns`)
    from journey.yaml and the touchpoint and persona ids the workspace has now, never
    touching a value; under the save lock, atomic, previous version kept. Returns what was
    done in words, or None when there was nothing to do (no workbook, journey.yaml
    unreadable, lists already up to date). A workbook with formulas is left as it is
    (rewriting it here would drop the results the spreadsheet program calculated).

    Example:
        >>> refresh_workbook("my-shop")   # doctest: +SKIP
        "workspace.xlsx: drop-down lists updated from journey.yaml and the workspace's ids"
    """
    from openpyxl import load_workbook  # heavy; only workbooks need it

    root = Path(folder)
    path = root / WORKBOOK
    config, _problems = read_config(root / "journey.yaml")
    if config is None or not path.is_file():
        return None
    with _save_lock(root):
        lists = dropdown_lists(config.stage_ids, config.channels, config.owners,
                               _raw_ids(root, "touchpoints"), _raw_ids(root, "personas"))
        workbook = load_workbook(path)
        if not apply_dropdowns(workbook, lists, config.columns):
            return None
        if _has_formulas(workbook):
            return (f"{WORKBOOK}: its drop-down lists are out of date but were not rewritten, because it "
                    "holds formulas; open it in your spreadsheet program and save it, or remove the formulas")
        buffer = io.BytesIO()
        workbook.save(buffer)
        _history_copy(root, path)
        atomic_write_bytes(path, buffer.getvalue())
    return f"{WORKBOOK}: drop-down lists updated from journey.yaml and the workspace's ids"
