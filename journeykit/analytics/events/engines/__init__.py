"""Where the event analyses run: DuckDB natively (:mod:`~journeykit.analytics.events.source`),
or a warehouse through :mod:`~journeykit.analytics.events.engines.warehouse` (the
:class:`~journeykit.analytics.events.engines.warehouse.QueryRunner` seam), the DuckDB-dialect
SQL of the analyses transpiled by :mod:`~journeykit.analytics.events.engines.portable`.

:func:`open_warehouse` opens the log an :class:`~journeykit.workspace.events_backend.EventsBackend`
(journey.yaml ``events:``) names, on its engine (:mod:`~journeykit.analytics.events.engines.spark`
for Spark, :mod:`~journeykit.analytics.events.engines.bigquery` for BigQuery); :func:`warehouse_events`
makes one without a workspace, to pass to any analysis.
The log is seen with the canonical column names of the workspace's events table
(``customer_id``, ``timestamp``, ``event``, ``channel``: the ``columns`` roles renamed,
customer and event as text, channel NULL when the log has none) plus its other columns.

Example:
    >>> from journeykit import funnel                                        # doctest: +SKIP
    >>> log = warehouse_events("spark", path="/data/events/*.parquet",
    ...                        columns={"customer": "user_id"})              # doctest: +SKIP
    >>> funnel(log, ["view", "buy"])                                          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from journeykit.analytics.events.engines.bigquery import bigquery_runner
from journeykit.analytics.events.engines.spark import SparkRunner
from journeykit.analytics.events.engines.warehouse import DuckDBRunner, QueryRunner, WarehouseSource
from journeykit.core._sql import literal
from journeykit.core.errors import JourneykitError
from journeykit.workspace.events_backend import ROLE_COLUMNS, EventsBackend, parse_events_backend

__all__ = ["canonical_sql", "open_warehouse", "resolved", "warehouse_events"]

_TEXT_TYPE = {"duckdb": "VARCHAR", "spark": "STRING", "bigquery": "STRING"}
_QUOTE = {"duckdb": '"', "spark": "`", "bigquery": "`"}


def warehouse_events(backend: str = "spark", *, table: str | None = None, path: str | Path | None = None,
                     columns: Mapping[str, str] | None = None, **options: Any) -> EventsBackend:
    """An event log in a warehouse, to pass to any event analysis instead of a workspace:
    the journey.yaml ``events:`` keys as arguments, checked the same way (a problem is a
    JourneykitError naming ``events.KEY``). ``path`` relative to the working directory.

    Example:
        >>> warehouse_events("spark", path="events/*.parquet", columns={"customer": "user_id"}).roles["customer"]
        'user_id'
    """
    raw: dict[str, Any] = {"backend": backend, **options}
    for key, value in (("table", table), ("path", None if path is None else str(path)), ("columns", columns)):
        if value is not None:
            raw[key] = dict(value) if isinstance(value, Mapping) else value
    problems: list[str] = []

    def bad(key: str, value: Any, expected: str, severity: str = "error") -> None:
        problems.append(f"{key}: {value!r} - expected {expected}" if value is not None else f"{key} - expected {expected}")

    spec = parse_events_backend(raw, bad)
    if spec is None or problems:
        raise JourneykitError("warehouse_events: " + "; ".join(problems))
    return spec


def resolved(spec: EventsBackend, folder: Path | None) -> EventsBackend:
    """``spec`` with a relative ``path`` made absolute against ``folder`` (the workspace)."""
    if spec.path is None or folder is None or "://" in spec.path or Path(spec.path).is_absolute():
        return spec
    from dataclasses import replace

    return replace(spec, path=str(Path(folder) / spec.path))


def _quote(name: str, dialect: str) -> str:
    mark = _QUOTE[dialect]
    return mark + name.replace(mark, mark * 2) + mark


def canonical_sql(table_sql: str, schema: list[tuple[str, str]], spec: EventsBackend, dialect: str) -> str:
    """A SELECT (in ``dialect``) of ``table_sql`` with the role columns under their canonical
    names (customer and event as text, channel NULL when absent) and the other columns kept.

    Example:
        >>> canonical_sql("SELECT * FROM t", [("uid", "VARCHAR"), ("ts", "TIMESTAMP"), ("event", "VARCHAR")],
        ...               EventsBackend("spark", table="t", columns=(("customer", "uid"), ("timestamp", "ts"))),
        ...               "spark")
        'SELECT CAST(`uid` AS STRING) AS `customer_id`, `ts` AS `timestamp`, CAST(`event` AS STRING) AS `event`, CAST(NULL AS STRING) AS `channel` FROM (SELECT * FROM t) AS jk_table'
    """
    names = [name for name, _ in schema]
    roles = spec.roles
    picked: list[str] = []
    for role, canonical in ROLE_COLUMNS.items():
        column = roles[role]
        if column not in names:
            if role == "channel":
                picked.append(f"CAST(NULL AS {_TEXT_TYPE[dialect]}) AS {_quote(canonical, dialect)}")
                continue
            mapped = "mapped by events.columns" if role in dict(spec.columns) else "the default"
            raise JourneykitError(
                f"events.columns.{role}: column {column!r} ({mapped}) not found in the events "
                f"{spec.table or spec.path or spec.ga4_dataset}; name the column of the {role} "
                f"(available: {', '.join(names)})")
        value = _quote(column, dialect)
        if role in ("customer", "event"):
            value = f"CAST({value} AS {_TEXT_TYPE[dialect]})"
        picked.append(f"{value} AS {_quote(canonical, dialect)}")
    used = {roles[role] for role in ROLE_COLUMNS} | set(ROLE_COLUMNS.values())
    picked += [_quote(name, dialect) for name in names if name not in used]
    return f"SELECT {', '.join(picked)} FROM ({table_sql}) AS jk_table"


def _table_name(table: str, dialect: str) -> str:
    """A dotted table name with each part quoted (``analytics.events`` -> `analytics`.`events`)."""
    return ".".join(_quote(part, dialect) for part in table.split("."))


def _open(spec: EventsBackend) -> tuple[QueryRunner, str]:
    """The runner of ``spec.backend`` and the SELECT (in its dialect) of the raw log."""
    if spec.backend == "duckdb":
        duck = DuckDBRunner()
        if spec.path is None:
            raise JourneykitError("events.path: backend duckdb reads files; give their path or glob")
        reader = "read_csv" if spec.path.lower().endswith((".csv", ".csv.gz", ".tsv")) else "read_parquet"
        return duck, f"SELECT * FROM {reader}({literal(spec.path)})"
    if spec.backend == "spark":
        spark = SparkRunner()
        try:
            table_sql = (spark.read_files(spec.path, (spec.roles["customer"], spec.roles["event"]))
                         if spec.path is not None else f"SELECT * FROM {_table_name(spec.table or '', 'spark')}")
        except BaseException:
            spark.close()
            raise
        return spark, table_sql
    if spec.backend == "bigquery":
        return bigquery_runner(spec)
    raise JourneykitError(f"events.backend: {spec.backend!r} has no engine in this installation "
                          "(expected duckdb, spark or bigquery)")


def open_warehouse(spec: EventsBackend) -> WarehouseSource:
    """The log ``spec`` names, opened on its engine as a
    :class:`~journeykit.analytics.events.engines.warehouse.WarehouseSource` (close it when
    done; :func:`~journeykit.analytics.events.source.open_events` does). ``backend: duckdb``
    gives the portable SQL on DuckDB (the reference the other engines are tested against).

    Example:
        >>> src = open_warehouse(EventsBackend("spark", path="/data/events.parquet"))  # doctest: +SKIP
        >>> src.fetch("SELECT count(*) FROM jk_src")                                    # doctest: +SKIP
        [(1000,)]
    """
    runner, table_sql = _open(spec)
    try:
        canonical = canonical_sql(table_sql, runner.schema(table_sql), spec, runner.dialect)
    except BaseException:
        runner.close()
        raise
    where = spec.ga4_dataset or spec.table or spec.path
    return WarehouseSource(runner, canonical, label=f"the events in {where} ({spec.backend})")
