"""When a step broke: a funnel's conversion per weekly cohort (:func:`funnel_trend`): the
stage funnel of a workspace, or any step funnel (``funnel_trend(ws, ["view", "buy"])``).

Customers are grouped by the week (Monday 00:00 to Sunday, on the log's clock; UTC for a
log with offsets) in which their funnel attempt entered step 1, and each week shows how
many entered, how many reached the last stage, the share with its Wilson 95 % interval
(:func:`journeykit.core._stats.wilson_interval`), and the change from the week before.
The week whose conversion fell most from the previous week, in standard errors, is the
largest drop.

Every cohort gets the same time to convert, the conversion window, so weeks compare: for
the stage funnel journey.yaml's ``defaults.stage_window`` when set, else ``defaults.window``
(14 days); for a step funnel ``defaults.window``.
A week is *complete* when its last day plus the window is no later than the log's last
event; the weeks at the end of the log are shown but flagged incomplete (their customers
may still convert) and never named as the largest drop.

Computed by DuckDB on :meth:`Workspace.events_relation` with the funnel rules of
:data:`~journeykit.analytics.events.funnel.FUNNEL_SEMANTICS` (a customer counts once, in
the week their chosen attempt started: of those that reached their furthest step, the
first to get there, and of those the latest start), so the weeks add up to
:func:`~journeykit.analytics.events.funnel.stage_funnel` (or
:func:`~journeykit.analytics.events.funnel.funnel` for steps) with the same window.

Example:
    >>> trend = funnel_trend(ws)                                   # doctest: +SKIP
    >>> trend.largest_drop, trend.weeks[["week", "entered", "rate"]].tail()  # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeykit.analytics.events.conversion import named_steps
from journeykit.analytics.events.funnel import Mode, StepsLike, _funnel_ctes, stage_steps
from journeykit.analytics.events.funnel_plan import Step
from journeykit.analytics.events.source import (
    DEFAULT,
    EventColumns,
    SourceLike,
    _Default,
    normalised_sql,
    open_events,
    window_of,
)
from journeykit.core._stats import wilson_interval
from journeykit.core.durations import DurationLike
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

__all__ = ["TREND_COLUMNS", "TREND_SEMANTICS", "FunnelTrend", "funnel_trend"]

#: the columns of :attr:`FunnelTrend.weeks`, in order
TREND_COLUMNS = ("week", "entered", "converted", "rate", "ci_low", "ci_high", "change", "drop_z",
                 "complete", "largest_drop")

TREND_SEMANTICS = (
    "Funnel conversion over time: customers grouped by the week (Monday to Sunday) their "
    "attempt entered the first step (stage); rate = share that reached the last step within the "
    "conversion window, with a Wilson 95% interval; change = rate minus the previous week's. "
    "A week is complete when its last day plus the window is no later than the log's last "
    "event. The largest drop is the complete week whose rate fell most from the previous "
    "complete week measured in standard errors (drop_z, a two-proportion z with the pooled "
    "rate), so a fall in a week of few customers does not outrank a real break; beyond noise "
    "when drop_z >= 1.96."
)


@dataclass(frozen=True)
class FunnelTrend:
    """A funnel's weekly conversion (the stage funnel's or a step funnel's).

    ``weeks``: one row per calendar week from the first to the last cohort (weeks
    without entries have ``entered`` 0 and NaN rates), columns :data:`TREND_COLUMNS`:
    ``week`` (Timestamp, the Monday), ``entered``, ``converted`` (int), ``rate``,
    ``ci_low``, ``ci_high`` (0–1), ``change`` (rate minus the previous week with entries;
    NaN for the first), ``drop_z`` (the fall from the previous complete week in standard
    errors, two-proportion z with the pooled rate; positive = fell; NaN unless both weeks
    are complete), ``complete`` (bool), ``largest_drop`` (bool, at most one row: the fall
    with the largest ``drop_z``). ``largest_drop``: that week's Monday, None when no
    complete week fell; ``beyond_noise``: its ``drop_z`` is at least 1.96.
    ``window``: the conversion window used (None = no limit); ``first_step`` and
    ``last_step``: the display names of the first and last stage.
    """

    weeks: pd.DataFrame
    largest_drop: pd.Timestamp | None
    window: pd.Timedelta | None
    first_step: str
    last_step: str

    @property
    def beyond_noise(self) -> bool:
        """True when the largest drop is at least 1.96 standard errors (95 %, two-sided)."""
        z = self.weeks.loc[self.weeks["largest_drop"], "drop_z"]
        return bool(len(z) and z.iloc[0] >= 1.96)


def funnel_trend(
    source: SourceLike,
    steps: StepsLike | None = None,
    *,
    window: DurationLike | _Default = DEFAULT,
    mode: Mode = "sequential",
    step_names: Sequence[str] | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> FunnelTrend:
    """A funnel's conversion (first step to last) per weekly cohort of entry.

    Without ``steps``, the stage funnel of the workspace ``source`` (its journey stages, as
    :func:`~journeykit.analytics.events.funnel.stage_funnel`); ``window`` then defaults to
    journey.yaml's ``defaults.stage_window`` if set, else ``defaults.window``. With
    ``steps`` (as :func:`~journeykit.analytics.events.funnel.funnel`'s, e.g. ``["view",
    "add_to_cart", "order"]``), that step funnel on any source, ``window`` defaulting to
    ``defaults.window`` (14 days for a log given directly); ``customer``, ``event``,
    ``timestamp`` name the columns. ``window`` None = no limit, which leaves every recent
    week incomplete. ``mode`` as in :func:`~journeykit.analytics.events.funnel.funnel`;
    ``step_names``: display names of the steps, else the events.
    Rules: :data:`TREND_SEMANTICS`. With fewer than two steps (stages listing events), a
    warning and no weeks. On a Workspace computed once per workspace state
    (:meth:`Workspace.memo`).

    Example:
        >>> funnel_trend(ws).weeks.query("largest_drop")              # doctest: +SKIP
        >>> funnel_trend(ws, ["product_view", "order_completed"]).weeks  # doctest: +SKIP
    """
    if steps is not None:
        parsed = named_steps(steps, step_names)
        window_td = window_of(source, window)
        cols = EventColumns(customer=customer, timestamp=timestamp, event=event)
        if len(parsed) < 2:
            warnings.warn("funnel_trend: a funnel of one step has no conversion to follow over time",
                          UserWarning, stacklevel=2)
            return FunnelTrend(_weeks(pd.DataFrame(), window_td, None), None, window_td, parsed[0].label,
                               parsed[0].label)
        if not isinstance(source, Workspace):
            return _funnel_trend(source, parsed, cols, window_td, mode)
        ws = source
        key: tuple[object, ...] = ("events.funnel_trend.steps", tuple(parsed), cols,
                                   window_td, mode)
    else:
        if not isinstance(source, Workspace):
            raise JourneykitError("funnel_trend: pass steps=[...] for a log given directly "
                                  "(the stage funnel needs a Workspace and its journey stages)")
        ws = source
        used = [s for s in ws.config.stages if s.events]
        if not ws.has("events"):
            raise JourneykitError("funnel_trend needs an events table in the workspace (events.csv or .parquet)")
        if window is DEFAULT:
            defaults = ws.config.defaults
            window_td = defaults.stage_window_delta if defaults.stage_window else defaults.window_delta
        else:
            window_td = window_of(ws, window)
        if len(used) < 2:
            warnings.warn("funnel_trend: fewer than two stages of journey.yaml list events, so there is no "
                          "conversion between stages to follow over time", UserWarning, stacklevel=2)
            label = str(used[0].name) if used else ""
            return FunnelTrend(_weeks(pd.DataFrame(), window_td, None), None, window_td, label, label)
        parsed, cols = stage_steps(used), EventColumns()
        key = ("events.funnel_trend", window_td, mode)
    trend: FunnelTrend = ws.memo(key, lambda: _funnel_trend(ws, parsed, cols, window_td, mode))
    return FunnelTrend(trend.weeks.copy(), trend.largest_drop, trend.window, trend.first_step,
                       trend.last_step)


def _funnel_trend(source: SourceLike, steps: list[Step], cols: EventColumns, window_td: pd.Timedelta | None,
                  mode: Mode) -> FunnelTrend:
    n = len(steps)
    with open_events(source, (cols.customer, cols.event)) as src, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # steps never seen are the funnel's warning
        ctes = _funnel_ctes(src, cols, steps, window_td, mode)
        query = (
            f"WITH {', '.join(ctes)} SELECT date_trunc('week', times[1]) AS week, count(*) AS entered, "
            f"count(*) FILTER (WHERE reached = {n}) AS converted FROM cust GROUP BY week ORDER BY week"
        )
        counts = src.frame(query)
        # the log's last event (any event, not only the funnel's): what completeness is measured to
        [(last_seen,)] = src.fetch(f"SELECT max(ts) FROM ({normalised_sql(src, cols)})")
    weeks = _weeks(counts, window_td, last_seen)
    drop = weeks.loc[weeks["largest_drop"], "week"]
    return FunnelTrend(weeks=weeks, largest_drop=pd.Timestamp(drop.iloc[0]) if len(drop) else None,
                       window=window_td, first_step=steps[0].label, last_step=steps[-1].label)


def _weeks(counts: pd.DataFrame, window_td: pd.Timedelta | None, last_seen: object) -> pd.DataFrame:
    """Every calendar week from the first to the last cohort with rates, change, completeness
    and the largest drop."""
    if counts.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            TREND_COLUMNS, ["datetime64[us]", "int64", "int64", "float64", "float64", "float64",
                            "float64", "float64", "bool", "bool"], strict=True)})
        return empty
    observed = counts.assign(week=pd.to_datetime(counts["week"]).astype("datetime64[us]")).set_index("week")
    calendar = pd.date_range(observed.index.min(), observed.index.max(), freq="7D").astype("datetime64[us]")
    frame = observed[["entered", "converted"]].reindex(calendar, fill_value=0).astype("int64")
    frame.index.name = "week"
    frame = frame.reset_index()
    entered = frame["entered"].to_numpy()
    converted = frame["converted"].to_numpy()
    intervals = [wilson_interval(int(c), int(e)) for c, e in zip(converted, entered, strict=True)]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["rate"] = np.where(entered > 0, converted / np.maximum(entered, 1), math.nan)
    frame["ci_low"] = [low for low, _ in intervals]
    frame["ci_high"] = [high for _, high in intervals]
    has = frame["entered"] > 0
    rates = frame["rate"].where(has)
    frame["change"] = rates - rates.where(has).ffill().shift(1).where(has)
    if window_td is None or last_seen is None or pd.isna(last_seen):
        frame["complete"] = False
    else:
        week_end = frame["week"] + pd.Timedelta(days=7)
        frame["complete"] = (week_end + window_td) <= pd.Timestamp(last_seen)
    # the largest fall between two complete weeks with entries, in standard errors
    frame["drop_z"] = math.nan
    usable = frame[has & frame["complete"]]
    if len(usable) > 1:
        n1, c1 = usable["entered"].to_numpy(float)[:-1], usable["converted"].to_numpy(float)[:-1]
        n2, c2 = usable["entered"].to_numpy(float)[1:], usable["converted"].to_numpy(float)[1:]
        pooled = (c1 + c2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(se > 0, (c1 / n1 - c2 / n2) / np.where(se > 0, se, 1.0), 0.0)
        frame.loc[usable.index[1:], "drop_z"] = z
    frame["largest_drop"] = False
    falls = frame["drop_z"].where(frame["change"] < 0)
    if falls.notna().any():
        frame.loc[falls.idxmax(), "largest_drop"] = True
    return frame[list(TREND_COLUMNS)]
