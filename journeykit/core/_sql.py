"""The one home of SQL text and of the DuckDB connection.

Every DuckDB connection journeykit opens comes from :func:`connect`, so the memory
limit, the spill folder and the thread count follow one policy, set with
:func:`set_engine_options` or the environment:

* ``memory_limit``: ``JOURNEYKIT_DUCKDB_MEMORY_LIMIT``, else ``"512MB"`` (with the
  interpreter and pandas, a notebook kernel stays under 1 GB; more spills to disk);
* ``temp_directory`` (where data beyond the limit spills): ``JOURNEYKIT_DUCKDB_TEMP``,
  else a per-process folder in the system temp folder;
* ``threads``: ``JOURNEYKIT_DUCKDB_THREADS`` (a positive integer), else DuckDB's default (all
  cores). One thread per kernel of ``journeykit run --jobs 2`` on 2 cores was measured and
  not taken: 12 % less CPU per query, but the notebook that ends the run alone is slower.

Identifiers and literals are quoted here and nowhere else (:func:`ident`,
:func:`literal`; for BigQuery's dialect, where a backslash escapes, :func:`bigquery_ident`
and :func:`bigquery_literal`).

Example:
    >>> print(ident('a"b'), literal("it's"))
    "a""b" 'it''s'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

__all__ = ["bigquery_ident", "bigquery_literal", "connect", "ident", "literal", "literals",
           "set_engine_options"]


@dataclass
class _EngineOptions:
    memory_limit: str | None = None
    temp_directory: str | None = None
    threads: int | None = None


_OPTIONS = _EngineOptions()
#: the environment variable of the DuckDB thread count (a positive integer; else DuckDB's default)
THREADS_ENV = "JOURNEYKIT_DUCKDB_THREADS"


def _env_threads() -> int:
    text = os.environ.get(THREADS_ENV, "").strip()
    return int(text) if text.isdigit() else 0


def set_engine_options(
    *,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
) -> None:
    """Set the DuckDB memory limit, spill folder and thread count of every connection
    journeykit opens from now on (``None`` = the default above). Data beyond the memory
    limit spills to the temp folder, which is how logs larger than memory are handled.
    A DuckDB relation passed in by the caller keeps its own connection's settings.

    Example:
        >>> set_engine_options(memory_limit="4GB")     # doctest: +SKIP
    """
    _OPTIONS.memory_limit = memory_limit
    _OPTIONS.temp_directory = None if temp_directory is None else str(temp_directory)
    _OPTIONS.threads = threads


def connect(
    database: str | os.PathLike = ":memory:",
    *,
    temp_directory: str | os.PathLike | None = None,
    preserve_insertion_order: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection under the kit's memory policy (see the module docstring).

    ``database``: ``":memory:"`` or a file; ``temp_directory`` overrides the spill folder
    for this connection (the large-event store keeps its spill beside its file);
    ``preserve_insertion_order`` only where a result's row order must follow the input's.
    """
    memory = _OPTIONS.memory_limit or os.environ.get("JOURNEYKIT_DUCKDB_MEMORY_LIMIT") or "512MB"
    temp = str(temp_directory) if temp_directory is not None else (
        _OPTIONS.temp_directory or os.environ.get("JOURNEYKIT_DUCKDB_TEMP")
        or os.path.join(tempfile.gettempdir(), f"journeykit-duckdb-{os.getpid()}")
    )
    config: dict[str, Any] = {
        "memory_limit": memory,
        "temp_directory": temp,
        "preserve_insertion_order": preserve_insertion_order,
    }
    threads = _OPTIONS.threads or _env_threads()
    if threads > 0:
        config["threads"] = threads
    import duckdb  # imported when first used: loading a workspace without events never needs it

    con = duckdb.connect(str(database), config=config)
    # DuckDB draws a progress bar for queries over 2 s, in Jupyter as an ipywidget that lands
    # in the executed notebook's HTML as a script; the kit reports progress its own way
    con.execute("SET enable_progress_bar = false")
    # instants (TIMESTAMPTZ, a log whose times carry offsets) become naive times in UTC, on
    # every machine: the order of events never changes at a DST change, and a day, week or
    # month of such a log is a UTC one (a log without offsets keeps its local times)
    con.execute("SET TimeZone = 'UTC'")
    # never a nested-loop join because the optimizer guessed a side to be tiny: a funnel's
    # step joins (customer = customer and time after time) are estimated at a few rows and
    # were run as nested loops, quadratic on a log of millions (funnel_trend: minutes on 2M
    # events); a hash join on the customer is never much slower on small inputs
    con.execute("SET nested_loop_join_threshold = 0")
    con.execute("SET asof_loop_join_threshold = 0")
    return con


def ident(name: object) -> str:
    """A SQL identifier, double-quoted (``"`` doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(text: object) -> str:
    """A SQL string literal, single-quoted (``'`` doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def literals(values: Iterable[object]) -> str:
    """Comma-separated SQL string literals, for ``IN (...)``."""
    return ", ".join(literal(v) for v in values)


_BIGQUERY_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _bigquery_escaped(text: str, quote: str) -> str:
    return "".join(_BIGQUERY_ESCAPES.get(c, "\\" + c if c == quote else c) for c in text)


def bigquery_ident(name: object) -> str:
    """A BigQuery identifier or table path in backticks (a backslash escapes there).

    Example:
        >>> print(bigquery_ident("my-project.analytics_1.events_*"))
        `my-project.analytics_1.events_*`
    """
    return "`" + _bigquery_escaped(str(name), "`") + "`"


def bigquery_literal(text: object) -> str:
    """A BigQuery string literal: single-quoted, ``'`` and ``\\`` escaped with a backslash.

    Example:
        >>> print(bigquery_literal("it's"))
        'it\\'s'
    """
    return "'" + _bigquery_escaped(str(text), "'") + "'"
