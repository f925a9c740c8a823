"""Journey analytics on event logs: funnels, drop-outs, paths, transitions, retention.

Everything is computed by DuckDB, in-process; pandas only holds the (small) results,
so logs larger than memory work (data beyond the memory limit spills to disk, see
:func:`journeykit.core._sql.set_engine_options`).

Every analysis takes its source first (:mod:`journeykit.analytics.events.source`):

* a :class:`~journeykit.workspace.Workspace`: its event log, read through
  :meth:`Workspace.events_relation` (a large log is never loaded into pandas), with the
  conversion window and the session gap of its journey.yaml ``defaults`` unless the
  call passes them;
* or a log given directly: a pandas DataFrame, a path or glob of ``.parquet``/``.csv``
  files (or a list of them), a DuckDB relation; the defaults are then those of
  :class:`~journeykit.workspace.config.Defaults` (window 14 days, session gap 30 minutes).

Modules: :mod:`~journeykit.analytics.events.funnel` (:func:`funnel`,
:func:`funnel_dropouts`, :func:`stage_funnel`), :mod:`~journeykit.analytics.events.paths`
(:func:`paths`, :func:`transitions`, :func:`step_matrix`),
:mod:`~journeykit.analytics.events.retention` (:func:`retention`).

Columns are named by the keywords ``customer="customer_id"``, ``event="event"`` and
``timestamp="timestamp"`` (the roles of :class:`EventColumns`). Durations are read by
:func:`journeykit.core.durations.parse_duration` ("14D", "1h", "90s", "30min", a
Timedelta, or None). Timestamps may be datetimes of any resolution (ns values are
truncated to microseconds), dates, or text; values carrying a UTC offset are converted
to UTC and made naive. Rows whose customer, event or timestamp is missing are ignored.
Events with equal timestamps are ordered by event name wherever an order is needed
(paths, transitions, step matrix), except in funnels (see :data:`FUNNEL_SEMANTICS`).

Example:
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 09:00",
    ...                                  "2024-01-01 12:00"]),
    ...     "event": ["view", "buy", "view"]})
    >>> funnel(log, ["view", "buy"])["customers"].tolist()
    [2, 1]
"""

from journeykit.analytics.events.funnel import (
    FUNNEL_SEMANTICS,
    funnel,
    funnel_dropouts,
    stage_funnel,
)
from journeykit.analytics.events.paths import (
    END,
    PATHS_SEMANTICS,
    START,
    paths,
    step_matrix,
    transitions,
)
from journeykit.analytics.events.retention import RETENTION_SEMANTICS, retention
from journeykit.analytics.events.source import DEFAULT, EventColumns, EventsLike, SourceLike

__all__ = [
    "DEFAULT",
    "END",
    "FUNNEL_SEMANTICS",
    "PATHS_SEMANTICS",
    "RETENTION_SEMANTICS",
    "START",
    "EventColumns",
    "EventsLike",
    "SourceLike",
    "funnel",
    "funnel_dropouts",
    "paths",
    "retention",
    "stage_funnel",
    "step_matrix",
    "transitions",
]
