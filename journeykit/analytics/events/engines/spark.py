"""Spark as an engine of the event analyses: :class:`SparkRunner`, a
:class:`~journeykit.analytics.events.engines.warehouse.QueryRunner` on a PySpark session.

Spark starts once per process (:func:`spark_session`; a JVM takes seconds to start), in
local mode unless ``JOURNEYKIT_SPARK_MASTER`` names a cluster (``spark://host:7077``,
``yarn``, ...); everything else comes from Spark's own configuration (spark-defaults.conf in
``SPARK_CONF_DIR``, ``SPARK_HOME``, the environment), never from the workspace. Local mode
runs without the web UI, the progress bar or Spark's log (a failed query is a
JourneykitError with Spark's message, not a logged JVM stack). Each runner is a new session of that
Spark (its own temporary views and settings, the one JVM), timestamps without time zones
(``spark.sql.timestampType=TIMESTAMP_NTZ``, session time zone UTC), so results are the naive
timestamps DuckDB gives.

Results come back through Arrow and DuckDB: Spark's ``toArrow()`` (no reliance on pyspark's
pandas conversion), then DuckDB's Python client makes the rows and DataFrames, so they have
exactly the shapes and dtypes of :class:`~journeykit.analytics.events.engines.warehouse.DuckDBRunner`
(tuples, lists, structs as dicts, naive ``datetime``; ``datetime64[us]`` columns).

Needs ``pip install 'journeykit[spark]'`` (pyspark) and a Java runtime (17 or 21).

Example:
    >>> runner = SparkRunner()                                         # doctest: +SKIP
    >>> runner.rows("SELECT 1 + 1"), runner.schema("SELECT 'a' AS x")  # doctest: +SKIP
    ([(2,)], [('x', 'VARCHAR')])
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import threading
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from journeykit.core._sql import connect
from journeykit.core.errors import JourneykitError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

__all__ = ["MASTER_ENV", "SparkRunner", "spark_session", "spark_type"]

#: the environment variable naming Spark's master (default ``local[*]``: this machine's cores)
MASTER_ENV = "JOURNEYKIT_SPARK_MASTER"

_lock = threading.Lock()
_session: SparkSession | None = None
_views = itertools.count(1)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Without pyspark's "PySpark does not yet fully support pandas >= 3.0.0" warning: its
    pandas conversion is not used here (results and side tables go through Arrow)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield


def _pyspark() -> Any:
    try:
        with _quiet():
            import pyspark.sql
    except ImportError as error:
        raise JourneykitError(
            "events backend spark needs pyspark: pip install 'journeykit[spark]' "
            "(and a Java runtime, e.g. Debian's default-jre-headless)") from error
    return pyspark.sql


def _java_missing() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return False
    return shutil.which("java") is None


def spark_session() -> SparkSession:
    """The process's Spark, started on first use (master from ``JOURNEYKIT_SPARK_MASTER``,
    default ``local[*]``); a JourneykitError when pyspark or Java is missing.

    Example:
        >>> spark_session().version                                  # doctest: +SKIP
        '4.3.0'
    """
    global _session
    sql = _pyspark()
    with _lock:
        if _session is not None and not _session.sparkContext._jsc.sc().isStopped():
            return _session
        if _java_missing():
            raise JourneykitError(
                "events backend spark needs a Java runtime (17 or 21) and none was found "
                "(no java on PATH, JAVA_HOME not set): install one, e.g. "
                "`apt-get install default-jre-headless`, or set JAVA_HOME")
        master = os.environ.get(MASTER_ENV, "").strip() or "local[*]"
        builder = (sql.SparkSession.builder.master(master).appName("journeykit")
                   .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.ansi.enabled", "true"))
        if master.startswith("local"):
            builder = (builder.config("spark.ui.enabled", "false")
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.sql.shuffle.partitions", "8"))
        try:
            session = builder.getOrCreate()
        except Exception as error:  # the JVM did not start: Java missing or broken
            raise JourneykitError(f"could not start Spark (master {master!r}): {error}") from error
        # Spark logs every failed query as an ERROR with its JVM stack; the caller gets it as a
        # JourneykitError instead
        session.sparkContext.setLogLevel("FATAL" if master.startswith("local") else "WARN")
        _session = session
        return session


def spark_type(kind: Any) -> str:
    """The DuckDB-style name of a Spark SQL type (``StringType()`` -> ``'VARCHAR'``).

    Example:
        >>> from pyspark.sql import types as T                       # doctest: +SKIP
        >>> spark_type(T.ArrayType(T.LongType()))                     # doctest: +SKIP
        'BIGINT[]'
    """
    from pyspark.sql import types as T

    simple = {T.StringType: "VARCHAR", T.CharType: "VARCHAR", T.VarcharType: "VARCHAR",
              T.TimestampType: "TIMESTAMP", T.TimestampNTZType: "TIMESTAMP", T.DateType: "DATE",
              T.LongType: "BIGINT", T.IntegerType: "INTEGER", T.ShortType: "SMALLINT",
              T.ByteType: "TINYINT", T.DoubleType: "DOUBLE", T.FloatType: "FLOAT",
              T.BooleanType: "BOOLEAN", T.BinaryType: "BLOB", T.NullType: "NULL"}
    for spark_kind, name in simple.items():
        if isinstance(kind, spark_kind):
            return name
    if isinstance(kind, T.DecimalType):
        return f"DECIMAL({kind.precision},{kind.scale})"
    if isinstance(kind, T.ArrayType):
        return f"{spark_type(kind.elementType)}[]"
    if isinstance(kind, T.StructType):
        return "STRUCT(" + ", ".join(f"{f.name} {spark_type(f.dataType)}" for f in kind.fields) + ")"
    if isinstance(kind, T.MapType):
        return f"MAP({spark_type(kind.keyType)}, {spark_type(kind.valueType)})"
    return kind.simpleString().upper()


def _naive(table: pa.Table) -> pa.Table:
    """``table`` with time-zoned timestamps made naive UTC wall time (Arrow gives Spark's
    TIMESTAMP_LTZ as UTC instants)."""
    import pyarrow as pa

    fields = [pa.field(f.name, pa.timestamp(f.type.unit)) if pa.types.is_timestamp(f.type) and f.type.tz
              else f for f in table.schema]
    schema = pa.schema(fields)
    return table if schema.equals(table.schema) else table.cast(schema)


class SparkRunner:
    """A :class:`~journeykit.analytics.events.engines.warehouse.QueryRunner` on Spark: runs
    Spark SQL (dialect ``"spark"``) in a new session of :func:`spark_session` (or of
    ``session``); :meth:`close` drops the views it made, Spark stays up for the next runner.

    Example:
        >>> runner = SparkRunner()                                   # doctest: +SKIP
        >>> table_sql = runner.read_files("/data/events/*.parquet")  # doctest: +SKIP
        >>> runner.rows(f"SELECT count(*) FROM ({table_sql})")       # doctest: +SKIP
        [(10000000,)]
    """

    dialect = "spark"

    def __init__(self, session: SparkSession | None = None) -> None:
        self.spark = (session or spark_session()).newSession()
        self._views: list[str] = []
        self._duck: duckdb.DuckDBPyConnection | None = None

    # -- running queries
    def _run(self, sql: str) -> SparkFrame:
        from pyspark.errors import PySparkException

        try:
            return self.spark.sql(sql)
        except PySparkException as error:
            raise JourneykitError(f"Spark could not run the events query: {_short(error)}") from error

    def _arrow(self, sql: str) -> pa.Table:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        frame = self._run(sql)
        try:
            with _quiet():
                return _naive(frame.toArrow())
        except (PySparkException, Py4JError) as error:
            raise JourneykitError(f"Spark could not read the events: {_short(error)}") from error

    def _duckdb(self) -> duckdb.DuckDBPyConnection:
        if self._duck is None:
            self._duck = connect()
        return self._duck

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` (Spark SQL) as tuples, shaped as DuckDB gives them."""
        table = self._arrow(sql)
        return self._duckdb().from_arrow(table).fetchall()

    def frame(self, sql: str) -> pd.DataFrame:
        """The result of ``sql`` (Spark SQL) as the DataFrame DuckDB would give."""
        table = self._arrow(sql)
        return self._duckdb().from_arrow(table).df()

    def schema(self, table_sql: str) -> list[tuple[str, str]]:
        """(column, DuckDB-style type) of the rows ``table_sql`` returns (no data read)."""
        return [(f.name, spark_type(f.dataType)) for f in self._run(table_sql).schema.fields]

    # -- tables
    def register(self, name: str, frame: pd.DataFrame) -> None:
        """``frame`` as the temporary view ``name`` of this runner's session (typed as DuckDB
        types it, sent to Spark as Arrow)."""
        table = self._duckdb().from_df(frame).to_arrow_table()
        with _quiet():
            self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self._views.append(name)

    def read_files(self, path: str, text_columns: tuple[str, ...] = ("customer_id", "event")) -> str:
        """A SELECT (Spark SQL) of the files ``path`` (a path, glob or folder; ``.csv`` with a
        header, types inferred except ``text_columns``, kept as text; else Parquet), read as a
        temporary view of this runner.

        Example:
            >>> SparkRunner().read_files("events.parquet")           # doctest: +SKIP
            'SELECT * FROM `jk_files_1`'
        """
        from pyspark.errors import PySparkException
        from pyspark.sql import functions as F

        lower = path.lower()
        try:
            if lower.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
                data = (self.spark.read.option("header", "true").option("inferSchema", "true")
                        .option("sep", "\t" if lower.endswith(".tsv") else ",").csv(path))
                data = data.select(*[F.col(f"`{c}`").cast("string").alias(c) if c in text_columns
                                     else F.col(f"`{c}`") for c in data.columns])
            else:
                data = self.spark.read.parquet(path)
        except PySparkException as error:
            raise JourneykitError(f"Spark could not read the events files {path!r}: {_short(error)}") from error
        name = f"jk_files_{next(_views)}"
        data.createOrReplaceTempView(name)
        self._views.append(name)
        return f"SELECT * FROM `{name}`"

    def close(self) -> None:
        """Drop the views this runner made and its DuckDB connection (Spark stays up)."""
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()
        if self._duck is not None:
            self._duck.close()
            self._duck = None


def _short(error: Exception) -> str:
    """Spark's message: its first line (the error class and what went wrong), without the
    plan and the JVM stack trace."""
    return str(error).strip().split("\n", 1)[0].strip()
