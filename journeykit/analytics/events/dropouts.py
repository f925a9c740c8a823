"""Who dropped off where: the customers who stopped at each step of the stage funnel
(:func:`stage_dropouts`), the list a shop owner contacts or retargets.

A customer of the stage funnel (:func:`~journeykit.analytics.events.funnel.stage_funnel`,
the same rules: :data:`~journeykit.analytics.events.funnel.FUNNEL_SEMANTICS`) whose
furthest stage is k < the last one dropped off at step k + 1. Each one comes with their
last event in the whole log, its time and its channel. Computed by DuckDB on
:meth:`Workspace.events_relation` (a large log never enters pandas); only the drop-outs
are returned.

Example:
    >>> stage_dropouts(ws)[["step", "customer_id", "last_event"]]   # doctest: +SKIP
"""

from __future__ import annotations

import warnings

import pandas as pd

from journeykit.analytics.events.funnel import Mode, _funnel_ctes, stage_steps
from journeykit.analytics.events.source import (
    DEFAULT,
    EventColumns,
    _Default,
    normalised_sql,
    open_events,
    window_of,
)
from journeykit.core.durations import DurationLike
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.config import Stage

__all__ = ["DROPOUT_COLUMNS", "stage_dropouts"]

#: the columns of :func:`stage_dropouts`, in order
DROPOUT_COLUMNS = ("step", "stage", "stage_name", "customer_id", "reached_stage", "reached_at",
                   "last_event", "last_event_time", "channel")


def stage_dropouts(
    ws: Workspace,
    *,
    window: DurationLike | _Default = DEFAULT,
    mode: Mode = "sequential",
) -> pd.DataFrame:
    """One row per customer who entered the stage funnel and stopped before its last stage.

    ``window`` and ``mode`` are those of :func:`~journeykit.analytics.events.funnel.stage_funnel`
    (not passed: journey.yaml's ``defaults.stage_window``, no limit unless set), so the
    counts per ``step`` equal the stage funnel's ``dropped``.

    Columns (:data:`DROPOUT_COLUMNS`):

    - ``step`` (int, 2…number of stages): the step they did not reach; ``stage``,
      ``stage_name``: its stage id and display name;
    - ``customer_id`` (string);
    - ``reached_stage`` (display name of the last stage reached) and ``reached_at``
      (the first time they reached it);
    - ``last_event``, ``last_event_time``: the customer's last event in the whole log
      (ties at the same time: the alphabetically last name);
    - ``channel``: that event's channel (missing when the log has no channel column).

    Sorted by step, then ``reached_at``, then customer. Computed once per workspace state
    (:meth:`Workspace.memo`).

    Example:
        >>> drops = stage_dropouts(ws)                          # doctest: +SKIP
        >>> drops.groupby("step").size()                        # doctest: +SKIP
    """
    used = [s for s in ws.config.stages if s.events]
    if not used:
        raise JourneykitError("stage_dropouts: no stage in journey.yaml lists any events")
    if not ws.has("events"):
        raise JourneykitError("stage_dropouts needs an events table in the workspace (events.csv or .parquet)")
    window_td = ws.config.defaults.stage_window_delta if window is DEFAULT else window_of(ws, window)
    key = ("events.stage_dropouts", window_td, mode)
    frame: pd.DataFrame = ws.memo(key, lambda: _stage_dropouts(ws, window_td, mode))
    return frame.copy()


def _stage_dropouts(ws: Workspace, window_td: pd.Timedelta | None, mode: Mode) -> pd.DataFrame:
    used = [s for s in ws.config.stages if s.events]
    steps = stage_steps(used)
    n = len(steps)
    cols = EventColumns()
    with open_events(ws) as src, warnings.catch_warnings():
        # a stage whose events never occur is the funnel's warning, not this list's
        warnings.simplefilter("ignore", UserWarning)
        ctes = _funnel_ctes(src, cols, steps, window_td, mode)
        has_channel = cols.channel in src.columns
        every = normalised_sql(src, EventColumns(by=(cols.channel,)) if has_channel else cols)
        channel = "CAST(g0 AS VARCHAR)" if has_channel else "CAST(NULL AS VARCHAR)"
        ctes += [
            f"dropped AS (SELECT cid, reached, times[reached] AS reached_at FROM cust WHERE reached < {n})",
            f"alle AS (SELECT cid, ts, name, {channel} AS ch FROM ({every}) "
            "WHERE cid IN (SELECT cid FROM dropped))",
            "lastev AS (SELECT cid, arg_max(struct_pack(name := name, ch := ch), "
            "struct_pack(a := ts, b := name, c := ch)) AS l, max(ts) AS last_ts FROM alle GROUP BY cid)",
        ]
        query = (
            f"WITH {', '.join(ctes)} SELECT d.reached + 1 AS step, d.cid AS customer_id, d.reached AS reached, "
            "d.reached_at, l.l.name AS last_event, l.last_ts AS last_event_time, l.l.ch AS channel "
            "FROM dropped d JOIN lastev l ON d.cid = l.cid ORDER BY step, reached_at, customer_id"
        )
        frame = src.frame(query)
    return _shape(frame, used)


def _shape(frame: pd.DataFrame, used: list[Stage]) -> pd.DataFrame:
    step = frame["step"].astype("int64")
    reached = frame["reached"].astype("int64")
    out = pd.DataFrame({
        "step": step,
        "stage": pd.array([used[k - 1].id for k in step], dtype="string"),
        "stage_name": pd.array([str(used[k - 1].name) for k in step], dtype="string"),
        "customer_id": frame["customer_id"].astype("string"),
        "reached_stage": pd.array([str(used[k - 1].name) for k in reached], dtype="string"),
        "reached_at": frame["reached_at"],
        "last_event": frame["last_event"].astype("string"),
        "last_event_time": frame["last_event_time"],
        "channel": frame["channel"].astype("string"),
    })
    return out.reset_index(drop=True)
