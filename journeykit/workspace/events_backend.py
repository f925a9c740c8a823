"""journey.yaml ``events:``: where the event log lives when it is not the workspace's events
table, and which engine reads it (:class:`EventsBackend`, parsed by :func:`parse_events_backend`).

Example:
    >>> parse_events_backend({"backend": "spark", "path": "events/*.parquet"}, print).backend
    'spark'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from journeykit.workspace.yamlvalues import TEXT_HINT as _TEXT
from journeykit.workspace.yamlvalues import Bad
from journeykit.workspace.yamlvalues import check_keys as _check_keys
from journeykit.workspace.yamlvalues import text_value as _text

__all__ = ["BACKENDS", "EVENTS_KEYS", "EVENT_ROLES", "ROLE_COLUMNS", "EventsBackend", "parse_events_backend"]

#: the engines journey.yaml ``events: backend:`` can name
BACKENDS = ("duckdb", "spark", "bigquery")
#: the keys of journey.yaml ``events:``
EVENTS_KEYS = ("backend", "table", "path", "columns", "ga4_dataset", "project", "location", "start", "end")
#: the column roles ``events: columns:`` maps (as :class:`journeykit.analytics.events.EventColumns`)
EVENT_ROLES = ("customer", "timestamp", "event", "channel")
#: the canonical column of each role (the workspace's events table)
ROLE_COLUMNS = {"customer": "customer_id", "timestamp": "timestamp", "event": "event", "channel": "channel"}
#: a key that looks like a secret: refused, credentials never live in the workspace
_SECRET_KEY = re.compile(r"key|password|passwd|secret|token|credential|auth|private", re.IGNORECASE)
_NO_SECRETS = ("no credentials in journey.yaml (the workspace is shared and versioned): Spark reads "
               "its own configuration (spark-defaults.conf, SPARK_CONF_DIR, the environment), "
               "BigQuery the Application Default Credentials (gcloud auth application-default "
               "login, or GOOGLE_APPLICATION_CREDENTIALS)")


@dataclass(frozen=True)
class EventsBackend:
    """journey.yaml ``events:``: where the event log lives when it is not the workspace's
    events table, and which engine reads it (``None`` in :attr:`JourneyConfig.events_backend`
    when the key is absent: the workspace's own events, DuckDB).

    * ``backend``: ``"duckdb"`` (the default), ``"spark"`` or ``"bigquery"``;
    * ``table``: a table the engine knows (``analytics.events``; Spark: its catalog,
      BigQuery: ``project.dataset.table``);
    * ``path``: files the engine reads (a path, glob or folder; ``.csv`` files as CSV with a
      header, anything else as Parquet); relative to the workspace folder; DuckDB and Spark;
    * ``columns``: the log's column of each role (customer, timestamp, event, channel) when
      it is not the canonical name (``customer_id``, ``timestamp``, ``event``, ``channel``),
      as (role, column) pairs (:attr:`roles` gives the mapping);
    * ``ga4_dataset``: a GA4 BigQuery export (``project.analytics_123``), replacing
      ``table`` and ``columns``; ``start`` / ``end``: its date range (ISO dates, inclusive;
      the ``events_YYYYMMDD`` tables read);
    * ``project``, ``location``: BigQuery's billing project and location (else from the
      environment).

    Credentials are never part of it (a key that looks like one is an error).

    Example:
        >>> spec = EventsBackend("spark", path="events/*.parquet", columns=(("customer", "user_id"),))
        >>> spec.roles["customer"], spec.roles["event"], spec.external
        ('user_id', 'event', True)
    """

    backend: str = "duckdb"
    table: str | None = None
    path: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    ga4_dataset: str | None = None
    project: str | None = None
    location: str | None = None
    start: str | None = None
    end: str | None = None

    @property
    def roles(self) -> dict[str, str]:
        """Role -> the log's column, for every role (canonical names where not mapped)."""
        return {**ROLE_COLUMNS, **dict(self.columns)}

    @property
    def external(self) -> bool:
        """Whether the events live outside the workspace's events table (any backend other
        than DuckDB, or DuckDB reading ``path``): the loader then reads no events table."""
        return self.backend != "duckdb" or self.path is not None


def _iso_date(value: Any) -> str | None:
    """A YAML date (``2024-01-31``, read by YAML as a date or written as text) as ISO text."""
    text = value.isoformat() if hasattr(value, "isoformat") else _text(value)
    if text is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    try:
        pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    return text.strip()


def parse_events_backend(raw: Any, bad: Bad) -> EventsBackend | None:
    """journey.yaml ``events:`` as an :class:`EventsBackend` (None when absent, or when it
    has a problem: each is reported through ``bad`` naming ``events.KEY``).

    Example:
        >>> problems = []
        >>> parse_events_backend({"backend": "spark"}, lambda *a, **k: problems.append(a[0]))
        >>> problems
        ['events.table']
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        bad("events", raw, "a mapping such as {backend: spark, path: events/*.parquet} "
            "(or {backend: bigquery, ga4_dataset: project.analytics_123})")
        return None
    before = _Counter(bad)
    bad = before
    for key in raw:
        if isinstance(key, str) and key not in EVENTS_KEYS and _SECRET_KEY.search(key):
            bad(f"events.{key}", "(not shown)", _NO_SECRETS)
    _check_keys({k: v for k, v in raw.items() if not (isinstance(k, str) and _SECRET_KEY.search(k)
                                                      and k not in EVENTS_KEYS)},
                EVENTS_KEYS, "events.", bad)
    backend = _text(raw.get("backend", "duckdb"))
    if backend is None or backend.strip().lower() not in BACKENDS:
        bad("events.backend", raw.get("backend"), "the engine that reads the events: " + ", ".join(BACKENDS))
        return None
    backend = backend.strip().lower()
    text: dict[str, str | None] = {}
    for key in ("table", "path", "ga4_dataset", "project", "location"):
        value = raw.get(key)
        if value is None:
            text[key] = None
            continue
        found = _text(value)
        if found is None or not found.strip():
            bad(f"events.{key}", value, _TEXT)
            text[key] = None
        else:
            text[key] = found.strip()
    dates: dict[str, str | None] = {}
    for key in ("start", "end"):
        dates[key] = None
        if raw.get(key) is not None:
            dates[key] = _iso_date(raw[key])
            if dates[key] is None:
                bad(f"events.{key}", raw[key], "a date written YYYY-MM-DD, e.g. 2024-01-31")
    columns: list[tuple[str, str]] = []
    raw_columns = raw.get("columns")
    if raw_columns is not None:
        if not isinstance(raw_columns, dict):
            bad("events.columns", raw_columns, "a mapping role -> your column, e.g. "
                "{customer: user_id, timestamp: ts, event: event_name}")
        else:
            _check_keys(raw_columns, EVENT_ROLES, "events.columns.", bad)
            for role in EVENT_ROLES:
                if role not in raw_columns:
                    continue
                column = _text(raw_columns[role])
                if column is None or not column.strip():
                    bad(f"events.columns.{role}", raw_columns[role], "the name of the column in your table as " + _TEXT)
                else:
                    columns.append((role, column.strip()))
    table, path, ga4 = text["table"], text["path"], text["ga4_dataset"]
    where = {"duckdb": "files (events.path)", "spark": "a table Spark knows (events.table) or files (events.path)",
             "bigquery": "a table (events.table: project.dataset.table) or a GA4 export "
                         "(events.ga4_dataset: project.analytics_123)"}[backend]
    if backend == "duckdb" and table is not None:
        bad("events.table", table, "for backend duckdb, files (events.path); a table needs backend spark or bigquery")
    if backend == "bigquery" and path is not None:
        bad("events.path", path, "for backend bigquery, a table (events.table) or events.ga4_dataset; "
            "files are read by backend duckdb or spark")
    if ga4 is not None and backend != "bigquery":
        bad("events.ga4_dataset", ga4, "backend: bigquery (a GA4 export is a BigQuery dataset)")
    if ga4 is not None and (table is not None or raw_columns is not None):
        bad("events.table" if table is not None else "events.columns", table if table is not None else raw_columns,
            "no table or columns with events.ga4_dataset (the GA4 export's schema is built in)")
    if backend != "duckdb" and table is None and path is None and ga4 is None:
        bad("events.table", None, f"where the events are: {where}")
    if table is not None and path is not None:
        bad("events.path", path, f"one place for the events: {where}, not both")
    for key in ("project", "location"):
        if text[key] is not None and backend != "bigquery":
            bad(f"events.{key}", text[key], "backend: bigquery (a BigQuery option)")
    for key in ("start", "end"):
        if raw.get(key) is not None and ga4 is None:
            bad(f"events.{key}", raw[key], "events.ga4_dataset (the date range of a GA4 export)")
    if dates["start"] and dates["end"] and dates["start"] > dates["end"]:
        bad("events.start", dates["start"], "a date on or before events.end")
    if before.count:
        return None
    return EventsBackend(backend=backend, table=table, path=path, columns=tuple(columns), ga4_dataset=ga4,
                         project=text["project"], location=text["location"], start=dates["start"],
                         end=dates["end"])


class _Counter:
    """A ``bad`` callback that counts the problems it passes on."""

    def __init__(self, bad: Bad) -> None:
        self.bad = bad
        self.count = 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1
        self.bad(*args, **kwargs)
