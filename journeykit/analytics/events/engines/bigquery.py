"""The BigQuery engine: a query runner for the event analyses on Google BigQuery.

:class:`BigQueryRunner` runs the analyses' SQL, already in BigQuery's dialect (the
warehouse source transpiles it), with google-cloud-bigquery (``pip install
'journeykit[bigquery]'``). Credentials are Google's Application Default Credentials from
the environment (``gcloud auth application-default login``, a service account's
``GOOGLE_APPLICATION_CREDENTIALS``, or the machine's own account on Google Cloud), never
anything in the workspace. ``project`` is the project billed for the queries (default: the
credentials' project or ``GOOGLE_CLOUD_PROJECT``), ``location`` where they run (``EU``,
``US``... default: the dataset's).

BigQuery has no temporary tables that outlive a job, so a small side table an analysis
registers (a customer's persona...) is written into each query that reads it as a CTE of
literal rows; a query longer than BigQuery's limit (1 MB of text) is refused with a
message rather than sent.

Results come back through Arrow into the same Python and pandas types DuckDB gives
(``TIMESTAMP`` as a naive time in UTC, like the kit's DuckDB connections), so an analysis
returns the same small table whichever engine ran it. Each job's bytes processed (what
BigQuery bills on demand) are kept in :attr:`BigQueryRunner.jobs`;
:meth:`BigQueryRunner.bytes_processed` asks for a dry run (free) first.

Example:
    >>> runner = BigQueryRunner(project="my-billing-project", location="EU")
    >>> runner.register("jk_customers", pd.DataFrame({"cid": ["a"], "persona": ["p1"]}))
    >>> print(runner.sql_to_send("SELECT * FROM jk_customers"))
    WITH jk_customers AS (SELECT * FROM UNNEST(ARRAY<STRUCT<`cid` STRING, `persona` STRING>>[STRUCT('a', 'p1')])) SELECT * FROM jk_customers
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from journeykit.analytics.events.engines.ga4 import ga4_table_sql
from journeykit.core._sql import bigquery_ident, bigquery_literal, connect
from journeykit.core.errors import JourneykitError
from journeykit.workspace.events_backend import EventsBackend

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["BigQueryJob", "BigQueryRunner", "MAX_QUERY_CHARS", "bigquery_runner", "bigquery_table_sql",
           "duckdb_type", "inline_table", "naive_utc"]

MAX_QUERY_CHARS = 1_000_000
"""The longest query text sent (BigQuery refuses unresolved queries over 1,024 k characters)."""

LOGIN_HINT = ("run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS to a "
              "service account key file kept outside the workspace)")

_TYPES = {"STRING": "VARCHAR", "INTEGER": "BIGINT", "INT64": "BIGINT", "FLOAT": "DOUBLE", "FLOAT64": "DOUBLE",
          "NUMERIC": "DECIMAL(38,9)", "BIGNUMERIC": "DOUBLE", "BIGDECIMAL": "DOUBLE", "BOOLEAN": "BOOLEAN",
          "BOOL": "BOOLEAN", "TIMESTAMP": "TIMESTAMP", "DATETIME": "TIMESTAMP", "DATE": "DATE", "TIME": "TIME",
          "BYTES": "BLOB", "JSON": "JSON", "GEOGRAPHY": "VARCHAR", "INTERVAL": "INTERVAL"}


def duckdb_type(field: Any) -> str:
    """The DuckDB-style type name of a BigQuery schema field (``google.cloud.bigquery.SchemaField``
    or anything with ``field_type``, ``mode`` and ``fields``): ``STRING`` -> ``VARCHAR``,
    ``INT64`` -> ``BIGINT``, ``RECORD`` -> ``STRUCT(...)``, a ``REPEATED`` field -> ``...[]``.

    Example:
        >>> from types import SimpleNamespace as F
        >>> duckdb_type(F(field_type="INTEGER", mode="REPEATED", fields=()))
        'BIGINT[]'
    """
    kind = str(field.field_type).upper()
    if kind in ("RECORD", "STRUCT"):
        name = "STRUCT(" + ", ".join(f'"{f.name}" {duckdb_type(f)}' for f in field.fields) + ")"
    else:
        name = _TYPES.get(kind, kind)
    return name + "[]" if str(field.mode or "").upper() == "REPEATED" else name


@dataclass(frozen=True)
class BigQueryJob:
    """One query sent: its text, BigQuery's job id, and the bytes it processed (billed on
    demand, at least 10 MB a query) - or would process, for a dry run."""

    sql: str
    job_id: str | None
    bytes_processed: int
    dry_run: bool = False


def _column_type(values: pd.Series) -> str:
    kind = values.dtype.kind
    if pd.api.types.is_bool_dtype(values.dtype):
        return "BOOL"
    if kind in "iu":
        return "INT64"
    if kind == "f":
        return "FLOAT64"
    if kind == "M":
        return "TIMESTAMP"
    present = values.dropna()
    if len(present) and all(isinstance(v, bool) for v in present):
        return "BOOL"
    if len(present) and all(isinstance(v, pd.Timestamp) for v in present):
        return "TIMESTAMP"
    return "STRING"


def _value(value: Any, kind: str) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return f"CAST(NULL AS {kind})"
    if kind == "BOOL":
        return "TRUE" if value else "FALSE"
    if kind == "INT64":
        return str(int(value))
    if kind == "FLOAT64":
        number = float(value)
        return repr(number) if math.isfinite(number) else f"CAST({bigquery_literal(repr(number))} AS FLOAT64)"
    if kind == "TIMESTAMP":
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp
        micros = (stamp - pd.Timestamp("1970-01-01")) // pd.Timedelta(microseconds=1)
        return f"TIMESTAMP_MICROS({int(micros)})"
    return bigquery_literal(value)


def inline_table(frame: pd.DataFrame) -> str:
    """``frame`` as a BigQuery SELECT of literal rows (columns typed from the dtypes:
    STRING, INT64, FLOAT64, BOOL, TIMESTAMP; NaN/NA as NULL).

    Example:
        >>> inline_table(pd.DataFrame({"n": [1, 2]}))
        'SELECT * FROM UNNEST(ARRAY<STRUCT<`n` INT64>>[STRUCT(1), STRUCT(2)])'
    """
    if frame.columns.duplicated().any() or not len(frame.columns):
        raise JourneykitError(f"a side table needs distinct column names, not {list(frame.columns)}")
    kinds = [_column_type(frame[c]) for c in frame.columns]
    struct = ", ".join(f"{bigquery_ident(c)} {k}" for c, k in zip(frame.columns, kinds))
    rows = ", ".join("STRUCT(" + ", ".join(_value(v, k) for v, k in zip(row, kinds)) + ")"
                     for row in frame.itertuples(index=False, name=None))
    return f"SELECT * FROM UNNEST(ARRAY<STRUCT<{struct}>>[{rows}])"


class BigQueryRunner:
    """Runs BigQuery SQL for a warehouse event source (the ``QueryRunner`` protocol:
    ``dialect``, ``rows``, ``frame``, ``schema``, ``register``, ``close``).

    ``project``: the project billed (default: the credentials' project); ``location``:
    where jobs run (default: the dataset's); ``maximum_bytes_billed``: a job that would
    process more fails instead of running (BigQuery's own cost cap); ``client``: a
    ``google.cloud.bigquery.Client`` made by the caller (default: one made from the
    Application Default Credentials on first use); ``label``: what error messages call it.
    """

    dialect = "bigquery"

    def __init__(self, project: str | None = None, location: str | None = None, *,
                 maximum_bytes_billed: int | None = None, client: Any = None,
                 label: str = "BigQuery") -> None:
        self.project = project
        self.location = location
        self.maximum_bytes_billed = maximum_bytes_billed
        self.label = label
        self.jobs: list[BigQueryJob] = []
        self._client = client
        self._side: dict[str, pd.DataFrame] = {}

    # ------------------------------------------------------------------ the client
    @property
    def client(self) -> Any:
        """The ``google.cloud.bigquery.Client`` (made on first use from the environment's
        credentials; a :class:`JourneykitError` saying what to run when there are none)."""
        if self._client is None:
            self._client = _make_client(self.project, self.location)
        return self._client

    # ------------------------------------------------------------------ side tables
    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make ``frame`` readable as ``name`` by the queries that follow (inlined as a CTE)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise JourneykitError(f"a side table name must be letters, digits and _, not {name!r}")
        self._side[name] = frame.reset_index(drop=True).copy()

    def sql_to_send(self, sql: str) -> str:
        """``sql`` with each registered side table it reads put before it as a CTE: the
        text sent to BigQuery."""
        used = [name for name in self._side if re.search(rf"(?<![\w`.]){name}(?![\w`])", sql)]
        if used:
            ctes = ", ".join(f"{name} AS ({inline_table(self._side[name])})" for name in used)
            rest = sql.lstrip()
            if rest[:5].upper() == "WITH " and not rest[5:].lstrip().upper().startswith("RECURSIVE"):
                sql = f"WITH {ctes}, {rest[5:].lstrip()}"
            else:
                sql = f"WITH {ctes} {rest}"
        if len(sql) > MAX_QUERY_CHARS:
            sizes = ", ".join(f"{n}: {len(self._side[n]):,} rows" for n in used) or "no side tables"
            raise JourneykitError(
                f"the query for {self.label} is {len(sql):,} characters, over BigQuery's limit of about "
                f"{MAX_QUERY_CHARS:,} ({sizes}); break down by a column of the events table instead of "
                "one looked up per customer, or keep fewer customers in the customers table")
        return sql

    # ------------------------------------------------------------------ queries
    def _job_config(self, dry_run: bool) -> Any:
        from google.cloud import bigquery

        return bigquery.QueryJobConfig(dry_run=dry_run, use_query_cache=not dry_run,
                                       maximum_bytes_billed=self.maximum_bytes_billed)

    def _query(self, text: str, *, dry_run: bool) -> Any:
        """Send ``text`` (the composed query) as a job, waiting for it; the job."""
        client = self.client
        with _google_errors(self.label):
            job = client.query(text, job_config=self._job_config(dry_run), location=self.location)
            if not dry_run:
                job.result()
        self.jobs.append(BigQueryJob(text, getattr(job, "job_id", None),
                                     int(getattr(job, "total_bytes_processed", None) or 0), dry_run))
        return job

    def _fetch_arrow(self, text: str) -> pa.Table:
        """The result of the composed query ``text`` as BigQuery gives it in Arrow."""
        job = self._query(text, dry_run=False)
        with _google_errors(self.label):
            return job.result().to_arrow(create_bqstorage_client=False)

    def arrow(self, sql: str) -> pa.Table:
        """The result of ``sql`` as an Arrow table (BigQuery's TIMESTAMP as a naive UTC time)."""
        return naive_utc(self._fetch_arrow(self.sql_to_send(sql)))

    def rows(self, sql: str) -> list[tuple]:
        """The rows of ``sql`` as tuples of the Python values DuckDB gives."""
        con = connect()
        try:
            return con.from_arrow(self.arrow(sql)).fetchall()
        finally:
            con.close()

    def frame(self, sql: str) -> pd.DataFrame:
        """The result of ``sql`` as the DataFrame DuckDB would give for it."""
        con = connect()
        try:
            return con.from_arrow(self.arrow(sql)).df()
        finally:
            con.close()

    def bytes_processed(self, sql: str) -> int:
        """What ``sql`` would process (and bill on demand), by a free dry run."""
        return int(self._query(self.sql_to_send(sql), dry_run=True).total_bytes_processed or 0)

    def schema(self, table_sql: str) -> list[tuple[str, str]]:
        """The (column, DuckDB-style type) of what ``table_sql`` gives, from a dry run (no
        data read, nothing billed)."""
        job = self._query(self.sql_to_send(f"SELECT * FROM ({table_sql})"), dry_run=True)
        fields = getattr(job, "schema", None)
        if not fields:
            raise JourneykitError(f"BigQuery gave no columns for the events of {self.label}")
        return [(f.name, duckdb_type(f)) for f in fields]

    def close(self) -> None:
        """Forget the side tables and close the client's connections."""
        self._side.clear()
        if self._client is not None and hasattr(self._client, "close"):
            self._client.close()
        self._client = None


def naive_utc(table: pa.Table) -> pa.Table:
    """``table`` with its time-zone-aware timestamp columns as naive times in UTC."""
    import pyarrow as pa

    fields = [pa.field(f.name, pa.timestamp(f.type.unit), f.nullable)
              if pa.types.is_timestamp(f.type) and f.type.tz is not None else f for f in table.schema]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table


def _make_client(project: str | None, location: str | None) -> Any:
    try:
        import google.auth
        import google.auth.exceptions
        from google.cloud import bigquery
    except ImportError as error:
        raise JourneykitError("the BigQuery backend (journey.yaml events.backend: bigquery) needs "
                              "google-cloud-bigquery: pip install 'journeykit[bigquery]'") from error
    try:
        credentials, found = google.auth.default(scopes=["https://www.googleapis.com/auth/bigquery"])
    except google.auth.exceptions.DefaultCredentialsError as error:
        raise JourneykitError(f"no Google credentials for BigQuery in this environment: {LOGIN_HINT}. "
                              "journeykit never reads credentials from the workspace") from error
    billed = project or found
    if not billed:
        raise JourneykitError("BigQuery needs a project to bill the queries to: set events.project in "
                              "journey.yaml, or GOOGLE_CLOUD_PROJECT, or `gcloud config set project ...`")
    return bigquery.Client(project=billed, credentials=credentials, location=location)


@contextlib.contextmanager
def _google_errors(label: str) -> Iterator[None]:
    """Google's errors while querying as a :class:`JourneykitError` naming the source."""
    try:
        yield
    except Exception as error:
        try:
            from google.api_core import exceptions as api
            from google.auth import exceptions as auth
        except ImportError:
            raise error from None
        if isinstance(error, auth.GoogleAuthError):
            raise JourneykitError(f"Google refused the credentials for {label} ({error}): {LOGIN_HINT}") from error
        if isinstance(error, api.Forbidden):
            raise JourneykitError(f"BigQuery refused the query of {label} (permission or quota): "
                                  f"{error.message}") from error
        if isinstance(error, api.NotFound):
            raise JourneykitError(f"BigQuery did not find a table of {label}: {error.message} "
                                  "(check events.ga4_dataset / events.table and events.location)") from error
        if isinstance(error, api.GoogleAPICallError):
            raise JourneykitError(f"BigQuery could not run the query of {label}: {error.message}") from error
        raise


_TABLE = re.compile(r"(?:(?:[a-z0-9][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]\.)?[A-Za-z0-9_]{1,1024}"
                    r"\.[A-Za-z0-9_\-]{1,1024}")


def bigquery_table_sql(table: str) -> str:
    """The SELECT reading the BigQuery table ``table`` (``project.dataset.table`` or
    ``dataset.table``); a :class:`JourneykitError` naming ``events.table`` for anything else.

    Example:
        >>> print(bigquery_table_sql("my-project.shop.events"))
        SELECT * FROM `my-project.shop.events`
    """
    if not isinstance(table, str) or not _TABLE.fullmatch(table.strip()):
        raise JourneykitError(f"events.table: expected a BigQuery table as project.dataset.table (or "
                              f"dataset.table), e.g. my-project.shop.events, not {table!r}")
    return f"SELECT * FROM {bigquery_ident(table.strip())}"


def bigquery_runner(spec: EventsBackend) -> tuple[BigQueryRunner, str]:
    """The runner and the raw SELECT of journey.yaml ``events: {backend: bigquery, ...}``
    (for :func:`~journeykit.analytics.events.engines.open_warehouse`, which renames the
    column roles): the GA4 export ``ga4_dataset`` from ``start`` to ``end``, flattened by
    :func:`~journeykit.analytics.events.engines.ga4.ga4_table_sql`, or the table ``table``;
    a :class:`BigQueryRunner` with the spec's ``project`` and ``location``. Nothing is sent
    to Google here.

    Example:
        >>> runner, sql = bigquery_runner(EventsBackend("bigquery", ga4_dataset="my-project.analytics_123"))
        >>> runner.label, "events_*" in sql
        ('the GA4 export my-project.analytics_123', True)
    """
    if spec.ga4_dataset is not None:
        table_sql = ga4_table_sql(spec.ga4_dataset, spec.start, spec.end)
        label = f"the GA4 export {spec.ga4_dataset}"
    elif spec.table is not None:
        table_sql = bigquery_table_sql(spec.table)
        label = f"the BigQuery table {spec.table}"
    else:
        raise JourneykitError("events: backend bigquery needs events.ga4_dataset (a GA4 export, "
                              "project.analytics_123) or events.table (project.dataset.table)")
    return BigQueryRunner(spec.project, spec.location, label=label), table_sql
