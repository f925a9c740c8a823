"""How long converting takes: the time-to-convert distribution of a funnel
(:func:`time_to_convert`), computed by DuckDB (see :data:`TIME_TO_CONVERT_SEMANTICS`).

The funnel's rules (which attempt of a customer counts, the window, the modes) are those
of :func:`~journeykit.analytics.events.funnel.funnel`, so the customers counted here are
the funnel's customers at the last step. Only the per-customer durations are aggregated,
inside DuckDB: a histogram, the mean, median and 90th percentile come back, never the log.

Example:
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:30",
    ...                                  "2024-01-01 11:00", "2024-01-01 13:00",
    ...                                  "2024-01-01 12:00"]),
    ...     "event": ["view", "buy", "view", "buy", "view"]})
    >>> ttc = time_to_convert(log, ["view", "buy"])
    >>> ttc.customers, str(ttc.median), str(ttc.p90)
    (2, '0 days 01:15:00', '0 days 01:51:00')
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from journeykit.analytics.events.funnel import Mode, StepsLike, _funnel_ctes
from journeykit.analytics.events.funnel_plan import Step, parse_steps
from journeykit.analytics.events.source import (
    DEFAULT,
    EventColumns,
    SourceLike,
    _Default,
    open_events,
    positive_int,
    window_of,
)
from journeykit.core.durations import DurationLike, parse_duration
from journeykit.core.errors import JourneykitError

__all__ = ["BIN_WIDTHS", "HISTOGRAM_COLUMNS", "TIME_TO_CONVERT_SEMANTICS", "TimeToConvert", "named_steps",
           "time_to_convert"]

#: the columns of :attr:`TimeToConvert.histogram`, in order
HISTOGRAM_COLUMNS = ("bin_start", "bin_end", "customers", "share", "cumulative_share")

#: the bin widths the histogram chooses from (the narrowest that keeps at most ``bins`` bins)
BIN_WIDTHS: tuple[pd.Timedelta, ...] = tuple(pd.Timedelta(w) for w in (
    "1s", "5s", "15s", "30s", "1min", "2min", "5min", "10min", "15min", "30min", "1h", "2h", "3h",
    "6h", "12h", "1D", "2D", "7D", "14D", "30D", "60D", "90D", "180D", "365D", "730D", "3650D"))

TIME_TO_CONVERT_SEMANTICS = (
    "Time to convert: for each customer who reached the last step of the funnel (the funnel's "
    "rules: the same attempt as its median times), the time from their step-1 event to their "
    "last-step event (or between the steps asked for). Shown as a histogram of customers per "
    "bin [start, end) - the narrowest of a fixed list of widths (1 s ... 10 years) that needs at "
    "most the bins asked for (20 by default), starting at 0 - and as mean, median and 90th "
    "percentile (interpolated between the two nearest customers, as numpy's default)."
)


@dataclass(frozen=True)
class TimeToConvert:
    """A funnel's time-to-convert distribution.

    ``histogram``: one row per bin from 0 to the last one holding a customer, columns
    :data:`HISTOGRAM_COLUMNS`: ``bin_start``, ``bin_end`` (Timedelta, the bin is
    [start, end)), ``customers`` (int), ``share`` (of ``customers``, 0-1),
    ``cumulative_share`` (converted within ``bin_end``). ``customers``: how many converted
    (the funnel's count at ``to_step``); ``mean``, ``median``, ``p90``, ``minimum``,
    ``maximum`` (Timedelta; NaT when nobody converted). ``from_step``/``to_step`` (1-based)
    and their names; ``bin_width``; ``window``: the conversion window (None = no limit).
    """

    histogram: pd.DataFrame
    customers: int
    mean: pd.Timedelta
    median: pd.Timedelta
    p90: pd.Timedelta
    minimum: pd.Timedelta
    maximum: pd.Timedelta
    bin_width: pd.Timedelta
    from_step: int
    to_step: int
    from_name: str
    to_name: str
    window: pd.Timedelta | None

    def summary(self) -> pd.DataFrame:
        """The statistics as a one-row table (customers, mean, median, p90, minimum, maximum).

        Example:
            >>> t = time_to_convert(pd.DataFrame({"customer_id": ["a", "a"], "event": ["v", "b"],
            ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05"])}), ["v", "b"])
            >>> t.summary()["median"].iloc[0]
            Timedelta('0 days 00:05:00')
        """
        return pd.DataFrame([{
            "from": self.from_name, "to": self.to_name, "customers": self.customers, "mean": self.mean,
            "median": self.median, "p90": self.p90, "minimum": self.minimum, "maximum": self.maximum,
        }])


def named_steps(steps: StepsLike, step_names: Sequence[str] | None) -> list[Step]:
    """The funnel's steps, labelled with ``step_names`` when given (one per step).

    Example:
        >>> [s.label for s in named_steps([["a", "b"], "c"], ["Browse", "Buy"])]
        ['Browse', 'Buy']
    """
    parsed = parse_steps(steps)
    if step_names is None:
        return parsed
    labels = [step_names] if isinstance(step_names, str) else list(step_names)
    if len(labels) != len(parsed) or not all(isinstance(x, str) for x in labels):
        raise JourneykitError(f"step_names must be {len(parsed)} names, one per step; got {step_names!r}")
    return [replace(step, label=label) for step, label in zip(parsed, labels, strict=True)]


def _td(us: object) -> pd.Timedelta:
    if us is None or (isinstance(us, float) and math.isnan(us)):
        return pd.Timedelta("NaT")
    return pd.Timedelta(microseconds=round(float(str(us))))


def time_to_convert(
    source: SourceLike,
    steps: StepsLike,
    *,
    window: DurationLike | _Default = DEFAULT,
    mode: Mode = "sequential",
    from_step: int = 1,
    to_step: int | None = None,
    bins: int = 20,
    bin_width: DurationLike = None,
    step_names: Sequence[str] | None = None,
    customer: str = "customer_id",
    event: str = "event",
    timestamp: str = "timestamp",
) -> TimeToConvert:
    """The distribution of the time from ``from_step`` to ``to_step`` (default: the first
    to the last step) of a funnel, over the customers who reached ``to_step``.

    ``source``, ``steps``, ``window`` (default journey.yaml's ``defaults.window``, else 14
    days), ``mode`` and the column keywords as in
    :func:`~journeykit.analytics.events.funnel.funnel`. ``bins``: at most this many bins
    (the width is the narrowest of :data:`BIN_WIDTHS` that fits); ``bin_width``: a fixed
    width instead ("1h", a Timedelta). ``step_names``: display names of the steps (e.g. the
    stages' names), else the events. Rules: :data:`TIME_TO_CONVERT_SEMANTICS`.

    Example:
        >>> log = pd.DataFrame({"customer_id": ["a", "a"], "event": ["view", "buy"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:20"])})
        >>> t = time_to_convert(log, ["view", "buy"])
        >>> str(t.bin_width), str(t.histogram["bin_start"].iloc[-1]), len(t.histogram)
        ('0 days 00:02:00', '0 days 00:20:00', 11)
    """
    parsed = named_steps(steps, step_names)
    n = len(parsed)
    if n < 2:
        raise JourneykitError("time_to_convert needs a funnel of at least two steps")
    last = n if to_step is None else to_step
    for name, value in (("from_step", from_step), ("to_step", last)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= n:
            raise JourneykitError(f"{name} must be an integer from 1 to {n}; got {value!r}")
    if from_step >= last:
        raise JourneykitError(f"from_step ({from_step}) must come before to_step ({last})")
    positive_int(bins, "bins")
    fixed = parse_duration(bin_width, name="bin_width")
    if fixed is not None and fixed <= pd.Timedelta(0):
        raise JourneykitError(f"bin_width must be a positive duration; got {bin_width!r}")
    window_td = window_of(source, window)
    cols = EventColumns(customer=customer, timestamp=timestamp, event=event)
    us = pd.Timedelta(microseconds=1)
    if fixed is not None:
        width_sql = str(int(fixed // us))
    else:
        values = ", ".join(f"({int(w // us)})" for w in BIN_WIDTHS)
        width_sql = (f"coalesce((SELECT min(w) FROM (VALUES {values}) c(w) WHERE w * {bins} > "
                     f"(SELECT max(d) FROM dur)), {int(BIN_WIDTHS[-1] // us)})")
    with open_events(source, (customer, event)) as src, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # steps never seen: the funnel's own warning
        ctes = _funnel_ctes(src, cols, parsed, window_td, mode)
        ctes.append(f"dur AS MATERIALIZED (SELECT epoch_us(times[{last}]) - epoch_us(times[{from_step}]) AS d "
                    f"FROM cust WHERE reached >= {last})")
        ctes.append(f"wid AS (SELECT {width_sql} AS w)")
        query = (
            f"WITH {', '.join(ctes)} SELECT (SELECT w FROM wid) AS w, count(*) AS n, avg(d) AS mean, "
            "quantile_cont(d, 0.5) AS median, quantile_cont(d, 0.9) AS p90, min(d) AS lo, max(d) AS hi, "
            "(SELECT list(struct_pack(b := b, c := c)) FROM (SELECT d // (SELECT w FROM wid) AS b, "
            "count(*) AS c FROM dur GROUP BY b)) AS hist FROM dur"
        )
        [(width, count, mean, median, p90, lo, hi, hist)] = src.fetch(query)
    width_td = pd.Timedelta(microseconds=int(width))
    by_bin = {int(item["b"]): int(item["c"]) for item in (hist or [])}
    total = int(count)
    n_bins = max(by_bin) + 1 if by_bin else 0
    starts = [width_td * b for b in range(n_bins)]
    counts = [by_bin.get(b, 0) for b in range(n_bins)]
    histogram = pd.DataFrame({
        "bin_start": pd.to_timedelta(pd.Series(starts, dtype="timedelta64[us]")),
        "bin_end": pd.to_timedelta(pd.Series([s + width_td for s in starts], dtype="timedelta64[us]")),
        "customers": pd.Series(counts, dtype="int64"),
    })
    histogram["share"] = (histogram["customers"] / total if total else histogram["customers"] * 0.0).astype(float)
    histogram["cumulative_share"] = histogram["share"].cumsum()
    return TimeToConvert(
        histogram=histogram[list(HISTOGRAM_COLUMNS)], customers=total, mean=_td(mean), median=_td(median),
        p90=_td(p90), minimum=_td(lo), maximum=_td(hi), bin_width=width_td, from_step=from_step, to_step=last,
        from_name=parsed[from_step - 1].label, to_name=parsed[last - 1].label, window=window_td,
    )

