"""The engine seam of the event analyses: :class:`EventSource`, the one interface every
analysis reads a log through; :class:`QueryRunner`, what an engine must do; and
:class:`WarehouseSource`, a log in a warehouse table read through a runner.

Every analysis builds DuckDB-dialect SQL over the view ``jk_src`` and calls
:meth:`EventSource.fetch` / :meth:`EventSource.frame`. DuckDB runs it natively
(:class:`~journeykit.analytics.events.source.DuckDBSource`: ASOF joins, materialisation
hints, unchanged speed). A :class:`WarehouseSource` puts ``WITH jk_src AS (<table_sql>)``
in front, rewrites the query into its portable form for the runner's dialect
(:func:`~journeykit.analytics.events.engines.portable.to_dialect`: no ASOF joins, no
DuckDB-only functions) and hands it to the runner. :class:`DuckDBRunner` runs that portable
form on DuckDB: the reference the other engines are tested against.

Results come back as DuckDB's Python client gives them: rows of tuples, lists as ``list``,
structs as ``dict`` keyed by field name, timestamps as naive ``datetime``.

Example:
    >>> import pandas as pd
    >>> runner = DuckDBRunner()
    >>> runner.register("log", pd.DataFrame({"customer_id": ["a", "b"], "event": ["view", "buy"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"])}))
    >>> src = WarehouseSource(runner, "SELECT * FROM log", label="the table log")
    >>> src.fetch("SELECT count(*) FROM jk_src"), src.type_of("timestamp")
    ([(2,)], 'TIMESTAMP')
    >>> runner.close()
"""

from __future__ import annotations

import abc
from typing import Any, Protocol

import duckdb
import pandas as pd

from journeykit.analytics.events.engines.portable import to_dialect
from journeykit.core._sql import connect, ident
from journeykit.core.errors import JourneykitError

__all__ = ["DuckDBRunner", "EventSource", "QueryRunner", "WarehouseSource", "register_frame", "with_source"]


class EventSource(abc.ABC):
    """An opened event log, readable by SQL as the view ``jk_src``: what every analysis takes.

    ``label`` names the log in messages; ``rescan_cheap``: reading the events again is cheap
    (Parquet, a warehouse table), so a query may scan them once per step instead of holding
    them in memory.
    """

    label: str
    rescan_cheap: bool

    @property
    @abc.abstractmethod
    def columns(self) -> list[str]:
        """The log's column names, in order."""

    @abc.abstractmethod
    def type_of(self, column: str) -> str:
        """The DuckDB type name of ``column`` ('VARCHAR', 'TIMESTAMP', 'BIGINT', ...)."""

    @abc.abstractmethod
    def fetch(self, query: str) -> list[Any]:
        """The rows of ``query`` (DuckDB-dialect SQL reading ``jk_src``) as tuples."""

    @abc.abstractmethod
    def frame(self, query: str) -> pd.DataFrame:
        """The result of ``query`` (DuckDB-dialect SQL reading ``jk_src``) as a DataFrame."""

    @abc.abstractmethod
    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make the small side table ``frame`` readable by the queries as ``name`` (e.g. the
        customers' personas, ``jk_customer_groups``)."""

    def require(self, column: str, keyword: str) -> None:
        """Fail, naming the keyword to pass, when ``column`` is not in the log."""
        if column not in self.columns:
            raise JourneykitError(
                f"column {column!r} not found in {self.label}; pass {keyword}=... "
                f"(available: {', '.join(self.columns)})"
            )


class QueryRunner(Protocol):
    """What an engine does for :class:`WarehouseSource`.

    ``dialect``: the sqlglot dialect its SQL is written in ("duckdb", "spark", "bigquery").
    ``rows``/``frame`` run a query in that dialect (the result shapes of the module
    docstring); ``schema(table_sql)`` gives (column, DuckDB-style type name) of the rows a
    SELECT in that dialect returns; ``register(name, frame)`` makes a small side table
    readable as ``name`` by later queries; ``close()`` frees the engine's resources.
    A user's mistake (a missing table, unreadable values) is a ``JourneykitError``.
    """

    dialect: str

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def frame(self, sql: str) -> pd.DataFrame: ...

    def schema(self, table_sql: str) -> list[tuple[str, str]]: ...

    def register(self, name: str, frame: pd.DataFrame) -> None: ...

    def close(self) -> None: ...


def register_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """``frame`` as the temporary table ``name`` of ``con`` (a table, not a view of the
    DataFrame: the queries may read it often).

    Example:
        >>> con = duckdb.connect()
        >>> register_frame(con, "side", pd.DataFrame({"cid": ["a"]}))
        >>> con.sql("SELECT * FROM side").fetchall()
        [('a',)]
    """
    view = f"{name}__frame"
    con.register(view, frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS SELECT * FROM {ident(view)}")
    finally:
        con.unregister(view)


_DUCKDB_ERRORS = (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException,
                  duckdb.CatalogException, duckdb.BinderException)


class DuckDBRunner:
    """A :class:`QueryRunner` on a DuckDB connection (its own from
    :func:`journeykit.core._sql.connect` unless ``con`` is given; closed by :meth:`close`
    only when it is its own). With :class:`WarehouseSource` it runs the *portable* form of
    the analyses' SQL (what Spark and BigQuery run), the reference their results are
    compared with.

    Example:
        >>> runner = DuckDBRunner()
        >>> runner.rows("SELECT 1 + 1"), runner.schema("SELECT 'a' AS x")
        ([(2,)], [('x', 'VARCHAR')])
        >>> runner.close()
    """

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self._own = con is None
        self.con = connect() if con is None else con

    def _sql(self, sql: str) -> duckdb.DuckDBPyRelation:
        try:
            rel = self.con.sql(sql)
        except _DUCKDB_ERRORS as error:
            raise JourneykitError(f"DuckDB could not run the events query: {error}") from error
        if rel is None:
            raise JourneykitError("the events query gave no result (expected a SELECT)")
        return rel

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return self._sql(sql).fetchall()
        except _DUCKDB_ERRORS as error:
            raise JourneykitError(f"DuckDB could not run the events query: {error}") from error

    def frame(self, sql: str) -> pd.DataFrame:
        try:
            return self._sql(sql).df()
        except _DUCKDB_ERRORS as error:
            raise JourneykitError(f"DuckDB could not run the events query: {error}") from error

    def schema(self, table_sql: str) -> list[tuple[str, str]]:
        rel = self._sql(table_sql)
        return [(str(c), str(t)) for c, t in zip(rel.columns, rel.types, strict=True)]

    def register(self, name: str, frame: pd.DataFrame) -> None:
        register_frame(self.con, name, frame)

    def close(self) -> None:
        if self._own:
            self.con.close()


def with_source(table_sql: str, query: str) -> str:
    """``query`` (which reads ``jk_src``) with ``jk_src`` defined as the CTE ``table_sql``.

    Example:
        >>> with_source("SELECT * FROM t", "WITH a AS (SELECT 1) SELECT * FROM a, jk_src")
        'WITH jk_src AS (SELECT * FROM t), a AS (SELECT 1) SELECT * FROM a, jk_src'
    """
    source = f"jk_src AS ({table_sql})"
    if query.startswith("WITH "):
        return f"WITH {source}, {query[len('WITH '):]}"
    return f"WITH {source} {query}"


class WarehouseSource(EventSource):
    """The log ``table_sql`` (a SELECT in the runner's dialect, e.g. ``SELECT * FROM
    analytics.events``) read through ``runner``; the analyses use it as any
    :class:`EventSource`. Each query becomes ``WITH jk_src AS (<table_sql>) <query>`` in its
    portable form for ``runner.dialect``. ``close()`` closes the runner.

    Example:
        >>> src = WarehouseSource(DuckDBRunner(), "SELECT 'a' AS customer_id")
        >>> src.columns, src.fetch("SELECT customer_id FROM jk_src")
        (['customer_id'], [('a',)])
        >>> src.close()
    """

    def __init__(self, runner: QueryRunner, table_sql: str, *, label: str | None = None,
                 rescan_cheap: bool = True) -> None:
        self.runner = runner
        self.table_sql = table_sql
        self.label = label or f"the {runner.dialect} table"
        self.rescan_cheap = rescan_cheap
        self._schema: list[tuple[str, str]] | None = None

    def _columns_and_types(self) -> list[tuple[str, str]]:
        if self._schema is None:
            self._schema = self.runner.schema(self.table_sql)
        return self._schema

    @property
    def columns(self) -> list[str]:
        return [c for c, _ in self._columns_and_types()]

    def type_of(self, column: str) -> str:
        return dict(self._columns_and_types())[column]

    def sql(self, query: str) -> str:
        """The SQL the runner gets for ``query`` (DuckDB dialect, reading ``jk_src``)."""
        # the table's SELECT is in the runner's dialect already: put in front after the rewrite
        return with_source(self.table_sql, to_dialect(query, self.runner.dialect))

    def fetch(self, query: str) -> list[Any]:
        return self.runner.rows(self.sql(query))

    def frame(self, query: str) -> pd.DataFrame:
        return self.runner.frame(self.sql(query))

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.runner.register(name, frame)

    def close(self) -> None:
        self.runner.close()
