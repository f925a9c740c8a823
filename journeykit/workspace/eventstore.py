"""Large event logs, checked and typed in DuckDB so they never need to fit in memory.

An events file larger than :data:`LARGE_EVENTS_BYTES` (64 MiB), or a Parquet file of more
than :data:`LARGE_EVENTS_ROWS` rows (1M; see :func:`is_large`), is not read into pandas. DuckDB
reads it (CSV or Parquet), renames the user's columns, parses timestamps (ISO 8601; a
file with offsets keeps them as instants, TIMESTAMPTZ, so the hour repeated at a DST change
keeps its order; a file without stays naive local time), checks every row, and writes
the good rows to a clean Parquet file in a private temporary folder (never in the
workspace). :meth:`Workspace.events_relation` scans that file; ``ws.events`` loads it
into pandas only when someone asks for the DataFrame.

Problems are reported with counts and the first examples (row numbers as a
spreadsheet would show them); in quarantine mode the bad rows are kept, with their
reasons, and good + rejected rows add up to the input.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from journeykit.core._sql import connect
from journeykit.core._sql import ident as _ident
from journeykit.core._sql import literal as _literal
from journeykit.core.errors import Problem
from journeykit.workspace.ids import INVISIBLE, SPACES
from journeykit.workspace.readers import header_of

if TYPE_CHECKING:
    import duckdb

LARGE_EVENTS_BYTES = int(os.environ.get("JOURNEYKIT_LARGE_EVENTS_BYTES", str(64 * 2**20)))
#: a Parquet events file with more rows than this takes the large-event path whatever its size
LARGE_EVENTS_ROWS = 1_000_000
EXAMPLES = 20
_OFFSET_RE = r"(Z|z|[+-][0-9]{2}:?[0-9]{2})$"


def is_large(path: Path) -> bool:
    """Whether an events file takes the large-event path: a file over
    :data:`LARGE_EVENTS_BYTES`, or a Parquet file of more than :data:`LARGE_EVENTS_ROWS`
    rows (compressed Parquet is small on disk: 10M events can be 11 MB, and several GB in
    pandas). ``JOURNEYKIT_LARGE_EVENTS_BYTES`` / ``JOURNEYKIT_LARGE_EVENTS_ROWS`` override them."""
    limit = int(os.environ.get("JOURNEYKIT_LARGE_EVENTS_BYTES", str(LARGE_EVENTS_BYTES)))
    if path.stat().st_size > limit:
        return True
    if path.suffix.lower() != ".parquet":
        return False
    import pyarrow.parquet as pq  # the file's footer only; pyarrow loads in a fraction of a second

    rows_limit = int(os.environ.get("JOURNEYKIT_LARGE_EVENTS_ROWS", str(LARGE_EVENTS_ROWS)))
    try:
        return int(pq.ParquetFile(path).metadata.num_rows) > rows_limit
    except (OSError, ValueError):  # not readable as Parquet: the reader reports it
        return False


@dataclass
class LargeEvents:
    """A checked events log stored as Parquet outside the workspace."""

    parquet: Path
    rows: int
    folder: Path
    timezone: str | None = None  # set when the timestamps are instants (the file had offsets)

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        """A scan of the stored Parquet file on ``con`` (columns customer_id, timestamp,
        event, channel, _row)."""
        return con.read_parquet(str(self.parquet))

    def frame(self) -> pd.DataFrame:
        """The stored events in memory, index = the row in the user's file."""
        frame = pd.read_parquet(self.parquet)
        frame.index = pd.Index(frame.pop("_row").astype("int64"), name="row")
        if self.timezone is not None and getattr(frame["timestamp"].dt, "tz", None) is not None:
            frame["timestamp"] = frame["timestamp"].dt.tz_convert(self.timezone)  # instants, shown local
        return frame


def load_large_events(path: Path, kind: str, mapping: dict[str, str], timezone: str,
                      source: str, quarantine: bool) -> tuple[LargeEvents | None, pd.DataFrame, list[Problem]]:
    """Check and type a large events file. ``mapping``: canonical -> user column.

    Returns the stored events (None when nothing usable), the rejected rows (with
    ``_row`` and ``_problems``; empty unless ``quarantine``), and the problems.
    """
    import duckdb  # for its Error type; imported here so loading small workspaces never needs it

    folder = Path(tempfile.mkdtemp(prefix="journeykit-events-"))
    con = connect(folder / "events.duckdb", temp_directory=folder / "spill", preserve_insertion_order=True)
    problems: list[Problem] = []
    try:
        if kind == "parquet":
            scan = f"read_parquet({_literal(str(path))})"
        else:
            _, delimiter, encoding = header_of(path)
            duck_encoding = {"utf-8-sig": "utf-8", "cp1252": "latin-1"}.get(encoding, encoding)
            scan = (f"read_csv({_literal(str(path))}, header = true, all_varchar = true, "
                    f"delim = {_literal(delimiter)}, quote = '\"', escape = '\"', "
                    f"encoding = {_literal(duck_encoding)}, null_padding = true)")
        types = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}

        def column(canonical: str) -> str:
            name = mapping.get(canonical)
            return f"CAST({_ident(name)} AS VARCHAR)" if name else "CAST(NULL AS VARCHAR)"

        tz = _literal(timezone)
        ts_name = mapping.get("timestamp")
        ts_type = str(types.get(ts_name, "VARCHAR")).upper()
        # offsets are kept as instants (as in the pandas path, see journeykit.workspace.dates):
        # a file with offsets is stored as TIMESTAMPTZ, its offset-less values read as local
        # time in the workspace zone; a file without offsets stays naive local time
        if ts_type.startswith("TIMESTAMP WITH TIME ZONE"):  # typed already (Parquet): no text parsing
            ts_text = f"CAST({_ident(ts_name)} AS VARCHAR)"
            timestamp = f"CAST({_ident(ts_name)} AT TIME ZONE {tz} AS TIMESTAMP)"
            instant, has_offset = _ident(ts_name), "true"
        elif ts_type.startswith(("TIMESTAMP", "DATE")):
            ts_text = f"CAST({_ident(ts_name)} AS VARCHAR)"
            timestamp = f"CAST({_ident(ts_name)} AS TIMESTAMP)"
            instant, has_offset = f"timezone({tz}, {timestamp})", "false"
        else:
            ts_text = f"trim({column('timestamp')})"
            has_offset = f"coalesce(regexp_matches({ts_text}, {_literal(_OFFSET_RE)}), false)"
            timestamp = (f"CASE WHEN {has_offset} "
                         f"THEN CAST(TRY_CAST({ts_text} AS TIMESTAMPTZ) AT TIME ZONE {tz} AS TIMESTAMP) "
                         f"ELSE TRY_CAST({ts_text} AS TIMESTAMP) END")
            instant = (f"CASE WHEN {has_offset} THEN TRY_CAST({ts_text} AS TIMESTAMPTZ) "
                       f"ELSE timezone({tz}, TRY_CAST({ts_text} AS TIMESTAMP)) END")
        # one pass over the file; with insertion order preserved, rowid is the file's row order
        # the id rule of journeykit.workspace.ids, in SQL: invisible characters removed,
        # Unicode spaces read as spaces, NFC, stripped (counted below, one warning)
        raw_id = column("customer_id")
        invisible = "".join(sorted(INVISIBLE))
        spaces = "".join(sorted(SPACES))
        strip = _literal(' ' + chr(9) + chr(10) + chr(13))
        # an ASCII id (bytes = characters; the invisible characters and Unicode spaces are
        # all non-ASCII, NFC leaves ASCII alone) needs the strip only: no regex per row
        normal_id = (f"CASE WHEN strlen({raw_id}) = length({raw_id}) THEN trim({raw_id}, {strip}) "
                     f"ELSE trim(nfc_normalize(regexp_replace(regexp_replace({raw_id}, "
                     f"{_literal('[' + invisible + ']')}, '', 'g'), {_literal('[' + spaces + ']')}, ' ', 'g')), "
                     f"{strip}) END")
        con.execute(f"""
            CREATE TABLE typed AS SELECT
                NULLIF({normal_id}, '') AS customer_id,
                {raw_id} IS DISTINCT FROM {normal_id} AND {normal_id} <> '' AS id_changed,
                {ts_text} AS timestamp_text,
                {timestamp} AS timestamp,
                {instant} AS timestamp_instant,
                {has_offset} AS has_offset,
                NULLIF(trim({column('event')}), '') AS event,
                NULLIF(trim({column('channel')}), '') AS channel
            FROM {scan}
        """)
        row = "CAST(rowid + 2 AS BIGINT)"
        checks = {
            "customer_id": ("customer_id IS NULL", "customer_id", "a customer id - this column may not be blank"),
            "event": ("event IS NULL", "event", "an event name - this column may not be blank"),
            "timestamp": ("timestamp IS NULL", "timestamp_text",
                          "an ISO 8601 date-time such as 2026-03-31 14:05 or 2026-03-31T14:05:00+02:00"),
        }
        bad_any = " OR ".join(f"({cond})" for cond, _, _ in checks.values())
        # one scan of the typed rows for every count (checks, changed ids, offsets)
        counts = con.execute(
            "SELECT count(*), " + ", ".join(f"count(*) FILTER (WHERE {cond})" for cond, _, _ in checks.values())
            + ", count(*) FILTER (WHERE id_changed), coalesce(bool_or(has_offset), false)"
            + f", count(*) FILTER (WHERE {bad_any}) FROM typed").fetchone()
        assert counts is not None  # an aggregate query always returns one row
        total, bad_total = counts[0], counts[-1]
        changed, instants = counts[-3], bool(counts[-2])
        counts = counts[:-3] + counts[-1:]
        for (name, (condition, shown, expected)), count in zip(checks.items(), counts[1:-1]):
            if not count:
                continue
            examples = con.execute(
                f"SELECT {row}, {shown} FROM typed WHERE {condition} ORDER BY rowid LIMIT {EXAMPLES}").fetchall()
            for line, value in examples:
                problems.append(Problem(source, expected, row=int(line), column=name,
                                        value="" if value is None else value, table="events"))
            if count > len(examples):
                problems.append(Problem(source, f"{expected} ({count} rows in all; the first "
                                        f"{len(examples)} are listed)", column=name, table="events",
                                        value=f"{count} rows"))
        if changed:
            problems.append(Problem(
                source, "one spelling per id: invisible characters (zero-width, BOM, no-break "
                "spaces) and surrounding spaces were removed", column="customer_id", table="events",
                value=f"{changed} values changed", severity="warning"))
        rejected = pd.DataFrame()
        if quarantine and bad_total:
            reasons = " || ".join(
                f"CASE WHEN {cond} THEN '{name}: {expected.replace(chr(39), '')}; ' ELSE '' END"
                for name, (cond, _, expected) in checks.items())
            rejected = con.execute(
                f"SELECT {row} AS _row, customer_id, timestamp_text AS timestamp, event, channel, "
                f"rtrim({reasons}, '; ') AS _problems FROM typed WHERE {bad_any} ORDER BY rowid").df()
        keep = f"NOT ({bad_any})" if quarantine and bad_total else "true"
        parquet = folder / "events.parquet"
        stored = "timestamp_instant AS timestamp" if instants else "timestamp"
        con.execute(
            f"COPY (SELECT customer_id, {stored}, event, channel, {row} AS _row FROM typed WHERE {keep}) "
            f"TO {_literal(str(parquet))} (FORMAT parquet)")
        rows = total - (bad_total if quarantine else 0)
    except duckdb.Error as exc:
        problems.append(Problem(source, f"a readable events file ({type(exc).__name__}: {exc})", table="events"))
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
        return None, pd.DataFrame(), problems
    con.close()
    (folder / "events.duckdb").unlink(missing_ok=True)
    store = LargeEvents(parquet, int(rows), folder, timezone if instants else None)
    weakref.finalize(store, shutil.rmtree, str(folder), True)
    return store, rejected, problems


def event_counts(store: LargeEvents) -> pd.Series:
    """Rows per event name (for the 'event in no stage' warning)."""
    con = connect()
    try:
        frame = con.execute(
            f"SELECT event, count(*) AS n FROM read_parquet({_literal(str(store.parquet))}) GROUP BY event"
        ).df()
    finally:
        con.close()
    return frame.set_index("event")["n"]
