"""Neutralising text that would be dangerous in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return can be run as a formula by Excel, LibreOffice or Google Sheets (CSV/formula
injection). Every CSV or XLSX file journeykit writes passes its cells through
:func:`neutralise_cell`, which prefixes such text with an apostrophe: the text
stays readable and is never evaluated. Numbers are left alone (``-5`` as a number
is not a formula).

Example:
    >>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_cell("fine"), neutralise_cell(-5)
    ('fine', -5)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Return ``value`` made safe for a spreadsheet cell (see module docstring)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.StringDtype):  # all text: one vectorised test
            risky = series.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
            if risky.any():
                out[column] = series.mask(risky, "'" + series)
        elif pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[column] = pd.Series([neutralise_cell(v) for v in series.to_numpy(dtype=object)],
                                    index=series.index, dtype=object)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder,
    fsync, then ``os.replace``. A reader sees the old file or the new one, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # keep the mode of the file we replace; a new file gets the usual 0666 & ~umask
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def append_jsonl(path: str | os.PathLike, records: Iterable[Mapping[str, Any]]) -> None:
    """Append ``records`` to the JSON-lines file ``path`` (created with its folder), one
    write per call: appenders in several processes keep every line."""
    lines = [json.dumps(dict(record), ensure_ascii=False) for record in records]
    if not lines:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def read_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The objects of the JSON-lines file ``path`` in order ([] when it is missing; a line
    that is not a JSON object, such as one cut short, is skipped)."""
    target = Path(path)
    if not target.exists():
        return []
    records = []
    for line in target.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def read_json(path: str | os.PathLike) -> object:
    """The JSON document in ``path``, or None when it is missing or unreadable (a run
    folder's artefacts are optional; a half-written one must not stop a report)."""
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def json_bytes(data: object, *, allow_nan: bool = True) -> bytes:
    """``data`` as indented UTF-8 JSON (non-JSON values via ``str``), for atomic writes."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=allow_nan, default=str)
    return (text + "\n").encode("utf-8")


def write_safe_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` as UTF-8 CSV with every text cell neutralised, atomically."""
    # CRLF line ends (RFC 4180) make the writer quote any cell holding a bare CR or LF
    data = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    return atomic_write_bytes(path, data)


def write_safe_xlsx(frames: dict[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write each frame to a sheet of an XLSX file, text cells neutralised, atomically."""
    import io

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, frame in frames.items():
            neutralise_frame(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    return atomic_write_bytes(path, buffer.getvalue())
