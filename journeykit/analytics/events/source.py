"""What an event source is: a log the event analyses read, natively in DuckDB.

Every analysis reads its log through one interface,
:class:`~journeykit.analytics.events.engines.warehouse.EventSource` (re-exported here):
:class:`DuckDBSource` runs the analyses' DuckDB SQL natively; a
:class:`~journeykit.analytics.events.engines.warehouse.WarehouseSource` runs it, rewritten,
on another engine (Spark, BigQuery). :func:`open_events` takes

* an :class:`EventSource` already opened (used as it is; the caller closes it);

* a :class:`~journeykit.workspace.Workspace`: its event log, read through
  :meth:`Workspace.events_relation` (a large log stays in DuckDB/Parquet, never in pandas),
  with the analysis settings of its journey.yaml ``defaults``; when its journey.yaml
  ``events:`` puts the log in a warehouse or in files (``Workspace.events_elsewhere``), the
  log there, on the engine it names
  (:func:`~journeykit.analytics.events.engines.open_warehouse`; DuckDB files natively);
* a warehouse log (:func:`~journeykit.analytics.events.engines.warehouse_events`, an
  :class:`~journeykit.workspace.events_backend.EventsBackend`), opened the same way;
* a pandas DataFrame;
* a path or glob (``str`` or :class:`~pathlib.Path`, or a list of them) of ``.parquet``
  or ``.csv`` files (``.csv.gz`` too);
* a DuckDB relation (``duckdb.DuckDBPyRelation``); the queries then run on the relation's
  own connection with its settings.

The column roles (which column holds the customer, the time, the event...) are one
:class:`EventColumns`. Connections come from :func:`journeykit.core._sql.connect` and every
identifier and literal is quoted by :mod:`journeykit.core._sql`.

Example:
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a"], "event": ["view"],
    ...                     "timestamp": pd.to_datetime(["2024-01-01"])})
    >>> with open_events(log) as src:
    ...     src.fetch("SELECT count(*) FROM jk_src")
    [(1,)]
"""

from __future__ import annotations

import contextlib
import glob as globlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
import pandas as pd

from journeykit.analytics.events.engines import canonical_sql, open_warehouse, resolved
from journeykit.analytics.events.engines.warehouse import EventSource, register_frame
from journeykit.core._sql import connect, ident, literal, literals
from journeykit.core.durations import DurationLike, parse_duration
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.config import Defaults
from journeykit.workspace.events_backend import EventsBackend

__all__ = [
    "DEFAULT",
    "DuckDBSource",
    "EventColumns",
    "EventSource",
    "EventsLike",
    "SourceLike",
    "open_events",
    "session_gap_of",
    "window_of",
]

EventsLike: TypeAlias = (pd.DataFrame | str | Path | Sequence[str | Path] | duckdb.DuckDBPyRelation
                         | EventSource | EventsBackend)
"""A log given directly: a DataFrame, file path(s)/glob(s), a DuckDB relation, an opened
:class:`EventSource` (e.g. a warehouse table) or a warehouse log
(:func:`~journeykit.analytics.events.engines.warehouse_events`, an
:class:`~journeykit.workspace.events_backend.EventsBackend`)."""
SourceLike: TypeAlias = Workspace | EventsLike
"""What every event analysis takes first: a Workspace or a log given directly."""


class _Default(Enum):
    """The marker of a setting the caller did not pass."""

    DEFAULT = "default"

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default.DEFAULT
"""A setting not passed: the workspace's journey.yaml ``defaults`` value for a Workspace,
the :class:`~journeykit.workspace.config.Defaults` value for a log given directly."""


def _defaults(source: SourceLike) -> Defaults:
    return source.config.defaults if isinstance(source, Workspace) else Defaults()


def window_of(source: SourceLike, window: DurationLike | _Default) -> pd.Timedelta | None:
    """The conversion window: ``window`` if passed (None = no limit), else ``defaults.window``.

    Example:
        >>> window_of(pd.DataFrame(), DEFAULT), window_of(pd.DataFrame(), "1h")
        (Timedelta('14 days 00:00:00'), Timedelta('0 days 01:00:00'))
    """
    if window is DEFAULT:
        return _defaults(source).window_delta
    return parse_duration(window, name="window")


def session_gap_of(source: SourceLike, session_gap: DurationLike | _Default) -> pd.Timedelta | None:
    """The session gap: ``session_gap`` if passed (None = one session per customer), else
    ``defaults.session_gap``.

    Example:
        >>> session_gap_of(pd.DataFrame(), DEFAULT)
        Timedelta('0 days 00:30:00')
    """
    if session_gap is DEFAULT:
        return _defaults(source).session_gap_delta
    return parse_duration(session_gap, name="session_gap")


@dataclass(frozen=True)
class EventColumns:
    """Which column plays which role in an event log.

    ``customer``, ``timestamp``, ``event``: the columns every analysis needs (rows missing
    any of them are ignored); ``channel``: where the event happened (the breakdown of the
    stage funnel, ``by="channel"``). ``by``: the columns a funnel is broken down by;
    ``per_customer``: those of ``by`` that describe the customer rather than the event
    (the stage funnel's ``persona``), looked up in the view ``jk_customer_groups``
    (``cid``, one column each) after the step-1 events are reduced, rather than joined to
    every event.

    Example:
        >>> EventColumns(customer="user").customer, EventColumns().timestamp
        ('user', 'timestamp')
    """

    customer: str = "customer_id"
    timestamp: str = "timestamp"
    event: str = "event"
    channel: str = "channel"
    by: tuple[str, ...] = ()
    per_customer: tuple[str, ...] = ()


@dataclass
class DuckDBSource(EventSource):
    """An opened log, readable by SQL as the view ``jk_src``, queried natively by DuckDB."""

    rel: duckdb.DuckDBPyRelation
    label: str
    # reading the events again is cheap (Parquet, the workspace's stored events), so a
    # query may scan them once per step instead of holding them all in memory
    rescan_cheap: bool = False
    # the connection the queries run on, when journeykit opened it (None for a relation
    # passed in: its own connection)
    con: duckdb.DuckDBPyConnection | None = None
    # for files: the SELECT reading them, put into each query as the CTE jk_src so the
    # CSV sniffer runs once per query instead of three times (the relation's view, bound twice)
    table_sql: str | None = None

    def _relation(self, query: str) -> duckdb.DuckDBPyRelation:
        if self.con is None or self.table_sql is None:
            rel = self.rel.query("jk_src", query)
        else:
            source = f"jk_src AS NOT MATERIALIZED ({self.table_sql})"
            if query.startswith("WITH "):
                rel = self.con.sql(f"WITH {source}, {query[len('WITH '):]}")
            else:
                rel = self.con.sql(f"WITH {source} {query}")
        if rel is None:  # only statements without a result give None; these are queries
            raise JourneykitError(f"the events query of {self.label} gave no result")
        return rel

    @property
    def columns(self) -> list[str]:
        return list(self.rel.columns)

    def type_of(self, column: str) -> str:
        return str(self.rel.types[self.columns.index(column)])

    def fetch(self, query: str) -> list[Any]:
        """The rows of ``query`` (which reads ``jk_src``) as tuples."""
        try:
            return self._relation(query).fetchall()
        except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException) as error:
            raise JourneykitError(f"could not read the events from {self.label}: {error}") from error

    def frame(self, query: str) -> pd.DataFrame:
        """The result of ``query`` (which reads ``jk_src``) as a DataFrame."""
        try:
            return self._relation(query).df()
        except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException) as error:
            raise JourneykitError(f"could not read the events from {self.label}: {error}") from error

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """The side table ``frame`` as the temporary table ``name`` of the connection."""
        if self.con is None:
            raise JourneykitError(
                f"{name}: a lookup table (by= a customers column) needs a log journeykit opens (a "
                "Workspace, a DataFrame or files), not a DuckDB relation; join the column into the relation"
            )
        register_frame(self.con, name, frame)


def _file_kind(path: str) -> str:
    lower = path.lower()
    for suffix in (".gz", ".zst", ".bz2"):
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    raise JourneykitError(f"{path!r}: expected a .parquet or .csv file (or a glob of them)")


def _is_files(events: object) -> bool:
    return isinstance(events, str | Path) or (
        isinstance(events, list | tuple) and all(isinstance(p, str | Path) for p in events)
    )


@contextlib.contextmanager
def open_events(
    events: SourceLike, text_columns: Sequence[str] = ("customer_id", "event")
) -> Iterator[EventSource]:
    """Open ``events`` as an :class:`EventSource`; closes any connection it made (an
    :class:`EventSource` passed in is used as it is and stays open).

    ``text_columns``: columns of a CSV file kept as text whatever the sniffer guesses
    (customer ids keep their leading zeros).
    """
    if isinstance(events, EventSource):
        yield events
        return
    if isinstance(events, EventsBackend) or (isinstance(events, Workspace) and events.events_elsewhere):
        with _elsewhere(events, text_columns) as src:
            yield src
        return
    if isinstance(events, duckdb.DuckDBPyRelation):
        yield DuckDBSource(events, "the DuckDB relation")
        return
    con = connect()
    try:
        if isinstance(events, Workspace):
            rel = events.events_relation(con)
            if rel is None:
                raise JourneykitError("the workspace has no events table (events.csv or .parquet)")
            # large events are stored as clean Parquet by the loader (journeykit.workspace.eventstore)
            yield DuckDBSource(rel, "the workspace events", rescan_cheap="events" in events.large, con=con)
        elif isinstance(events, pd.DataFrame):
            yield DuckDBSource(con.from_df(events), "the DataFrame", con=con)
        elif _is_files(events):
            rel, table_sql = _read_files(con, events, text_columns)
            yield DuckDBSource(rel, str(events), rescan_cheap=_is_parquet(events), con=con, table_sql=table_sql)
        else:
            raise JourneykitError(
                "events must be a Workspace, a pandas DataFrame, a path or glob of CSV/Parquet files, "
                f"a DuckDB relation or an opened EventSource; got {type(events).__name__}"
            )
    finally:
        con.close()


@contextlib.contextmanager
def _elsewhere(events: Workspace | EventsBackend, text_columns: Sequence[str]) -> Iterator[EventSource]:
    """The log of journey.yaml ``events:`` (or of ``warehouse_events``) opened on its engine:
    DuckDB files natively, anything else through :func:`~journeykit.analytics.events.engines.open_warehouse`."""
    spec = events if isinstance(events, EventsBackend) else events.config.events_backend
    assert spec is not None
    spec = resolved(spec, events.path if isinstance(events, Workspace) else None)
    if spec.backend == "duckdb" and spec.path is not None:  # files: DuckDB's native plans
        con = connect()
        try:
            files, raw_sql = _read_files(con, spec.path, (spec.roles["customer"], spec.roles["event"]))
            table_sql = canonical_sql(raw_sql, list(zip(files.columns, map(str, files.types), strict=True)),
                                      spec, "duckdb")
            yield DuckDBSource(con.sql(table_sql), f"the events in {spec.path}",
                               rescan_cheap=_is_parquet(spec.path), con=con, table_sql=table_sql)
        finally:
            con.close()
        return
    warehouse = open_warehouse(spec)
    try:
        yield warehouse
    finally:
        warehouse.close()


def _patterns(events: str | Path | Sequence[str | Path]) -> list[str]:
    return [str(events)] if isinstance(events, str | Path) else [str(p) for p in events]


def _is_parquet(events: str | Path | Sequence[str | Path]) -> bool:
    patterns = _patterns(events)
    return bool(patterns) and all(_file_kind(p) == "parquet" for p in patterns)


def _read_files(
    con: duckdb.DuckDBPyConnection, events: str | Path | Sequence[str | Path], text_columns: Sequence[str]
) -> tuple[duckdb.DuckDBPyRelation, str]:
    """The files as a relation (for their columns and types) and the SELECT reading them."""
    patterns = _patterns(events)
    if not patterns:
        raise JourneykitError("events: the list of files is empty")
    kinds = {_file_kind(p) for p in patterns}
    if len(kinds) > 1:
        raise JourneykitError(f"events: mix of Parquet and CSV files {patterns}; pass one kind")
    for pattern in patterns:
        if "://" not in pattern and not globlib.glob(pattern):
            raise JourneykitError(f"events: no file matches {pattern!r}")
    files = literal(patterns[0]) if len(patterns) == 1 else "[" + literals(patterns) + "]"
    # SQL table functions rather than con.read_csv/read_parquet relations: DuckDB plans
    # them with full filter/projection pushdown and parallel scans (3x faster on CSV)
    try:
        if kinds == {"parquet"}:
            table_sql = f"SELECT * FROM read_parquet({files})"
            return con.sql(table_sql), table_sql
        table_sql = f"SELECT * FROM read_csv({files})"
        sniffed = con.sql(table_sql)
        # ids and names stay text (keeps leading zeros); re-read only if the sniffer guessed otherwise
        wanted = [
            f"{literal(c)}: 'VARCHAR'" for c, kind in zip(sniffed.columns, sniffed.types, strict=True)
            if c in text_columns and str(kind) != "VARCHAR"
        ]
        if not wanted:
            return sniffed, table_sql
        table_sql = f"SELECT * FROM read_csv({files}, types = {{{', '.join(wanted)}}})"
        return con.sql(table_sql), table_sql
    except duckdb.Error as error:
        raise JourneykitError(f"could not read the events from {events}: {error}") from error


# ---------------------------------------------------------------------------
# SQL over an opened source


def interval(delta: pd.Timedelta) -> str:
    """A DuckDB INTERVAL for ``delta``, to the microsecond."""
    return f"to_microseconds({int(delta // pd.Timedelta(microseconds=1))})"


def timestamp_sql(src: EventSource, column: str) -> str:
    """SQL turning the timestamp column into a naive TIMESTAMP; raises on bad values."""
    kind = src.type_of(column)
    col = ident(column)
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return f"CAST({col} AS TIMESTAMP)"
    if kind != "VARCHAR":
        raise JourneykitError(
            f"column {column!r} has type {kind}; expected datetimes or date/time text "
            "(numbers are ambiguous: convert them with pandas.to_datetime(..., unit=...) first)"
        )
    raw = f"nullif(trim({col}), '')"
    parsed = f"CAST(TRY_CAST({raw} AS TIMESTAMPTZ) AS TIMESTAMP)"
    bad = f"{raw} IS NOT NULL AND {parsed} IS NULL"
    [(n_bad, n_all)] = src.fetch(f"SELECT count(*) FILTER (WHERE {bad}), count({raw}) FROM jk_src")
    if n_bad:
        examples = [row[0] for row in src.fetch(f"SELECT DISTINCT {col} FROM jk_src WHERE {bad} LIMIT 3")]
        raise JourneykitError(
            f"column {column!r}: {n_bad} of {n_all} timestamps could not be read as date/time, "
            f"e.g. {', '.join(repr(e) for e in examples)}; expected e.g. '2024-03-01 14:30:00'"
        )
    return parsed


def normalised_sql(src: EventSource, cols: EventColumns, name_filter: Sequence[str] | None = None) -> str:
    """SELECT producing cid (VARCHAR), ts (TIMESTAMP), name (VARCHAR), g0.. (by columns)."""
    src.require(cols.customer, "customer")
    src.require(cols.event, "event")
    src.require(cols.timestamp, "timestamp")
    for column in cols.by:
        if column not in src.columns and column not in cols.per_customer:
            raise JourneykitError(
                f"column {column!r} given in by= not found in {src.label} "
                f"(available: {', '.join(src.columns)})"
            )
    ts = timestamp_sql(src, cols.timestamp)
    groups = "".join(f", {ident(c)} AS g{i}" for i, c in enumerate(cols.by) if c not in cols.per_customer)
    where = [f"{ident(cols.customer)} IS NOT NULL", f"{ident(cols.event)} IS NOT NULL"]
    if name_filter is not None:
        where.append(f"CAST({ident(cols.event)} AS VARCHAR) IN ({literals(name_filter) or 'NULL'})")
    inner = (
        f"SELECT CAST({ident(cols.customer)} AS VARCHAR) AS cid, {ts} AS ts, "
        f"CAST({ident(cols.event)} AS VARCHAR) AS name{groups} FROM jk_src WHERE {' AND '.join(where)}"
    )
    return f"SELECT * FROM ({inner}) WHERE ts IS NOT NULL"


# ---------------------------------------------------------------------------
# argument checks shared by the analyses


def by_list(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """``by`` as a tuple of column names."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def names(value: str | Sequence[str] | None, what: str) -> tuple[str, ...] | None:
    """An event name or list of names as a tuple (None stays None)."""
    if value is None:
        return None
    found = (value,) if isinstance(value, str) else tuple(value)
    if not found or not all(isinstance(n, str) for n in found):
        raise JourneykitError(f"{what} must be an event name or a list of event names; got {value!r}")
    return found


def positive_int(value: int, name: str) -> int:
    """``value`` if it is a positive integer, else a JourneykitError naming ``name``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise JourneykitError(f"{name} must be a positive integer; got {value!r}")
    return value
