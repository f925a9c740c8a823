"""The per-customer RFM summary (frequency, recency, T, monetary value) the CLV models read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeykit.analytics.clv._common import (
    DAYS_PER_UNIT,
    TimeUnit,
    _days_between,
    _require_columns,
    _to_datetime,
)
from journeykit.core.errors import JourneykitError

__all__ = ["rfm_summary"]

_FREQS = ("D", "W", "M")


def rfm_summary(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    observation_end: str | pd.Timestamp | None = None,
    freq: str = "D",
    time_unit: TimeUnit = "W",
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary value (Fader & Hardie's conventions).

    Purchases are first grouped into periods of ``freq`` ("D" day, "W" week, "M"
    month; several orders in one period count as one purchase whose value is their
    sum). Orders after ``observation_end`` (default: the last order date; the end
    day is included) are ignored. Times are measured from the start of the period of
    the first purchase, in ``time_unit`` ("D" days, "W" weeks, "M" months of
    365.25/12 days, "Y" years of 365.25 days).

    Returns a DataFrame sorted by customer, one row per customer, with columns
    ``<customer>`` (string), ``frequency`` (int: repeat purchase periods),
    ``recency`` (float: first to last purchase), ``T`` (float: first purchase to
    ``observation_end``), ``monetary_value`` (float: mean value of the repeat
    purchases, 0 when frequency is 0; NaN when ``amount`` is None),
    ``first_purchase`` and ``last_purchase`` (datetimes). ``frame.attrs`` records
    ``time_unit``, ``freq`` and ``observation_end``.

    Example:
        >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
        ...     "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-08"]),
        ...     "amount": [10.0, 30.0, 5.0]})
        >>> rfm_summary(orders, observation_end="2024-01-29")[["customer_id", "frequency", "recency", "T", "monetary_value"]]
          customer_id  frequency  recency    T  monetary_value
        0           a          1      2.0  4.0            30.0
        1           b          0      0.0  3.0             0.0
    """
    needed = [customer, date] + ([amount] if amount is not None else [])
    _require_columns(orders, needed, "orders", "Pass customer=, date= or amount= to name them.")
    if freq not in _FREQS:
        raise JourneykitError(f"freq must be one of {list(_FREQS)}, got {freq!r}")
    if time_unit not in DAYS_PER_UNIT:
        raise JourneykitError(f"time_unit must be one of {list(DAYS_PER_UNIT)}, got {time_unit!r}")

    frame = pd.DataFrame({"customer": orders[customer]})
    frame["date"] = _to_datetime(orders[date], date, "orders")
    if amount is not None:
        values = pd.to_numeric(orders[amount], errors="coerce")
        bad = orders[amount].notna() & values.isna()
        if bad.any():
            examples = ", ".join(repr(v) for v in orders[amount][bad].astype(str).unique()[:3])
            raise JourneykitError(
                f"orders: {int(bad.sum())} value(s) in column {amount!r} are not numbers "
                f"(for example {examples})"
            )
        frame["amount"] = values.astype(float)
    else:
        frame["amount"] = 0.0
    missing = frame["customer"].isna() | frame["date"].isna()
    if missing.any():
        raise JourneykitError(
            f"orders: {int(missing.sum())} row(s) have no {customer!r} or no {date!r}"
        )
    frame["customer"] = frame["customer"].astype("string")

    if observation_end is None:
        end = frame["date"].max()
    else:
        try:
            end = pd.Timestamp(observation_end)
        except (TypeError, ValueError) as exc:
            raise JourneykitError(f"observation_end {observation_end!r} is not a date") from exc
        if end.tz is not None:
            end = end.tz_localize(None)
    if pd.isna(end):
        raise JourneykitError("orders has no rows")
    # the end day itself is included: compare against the end of that day
    frame = frame[frame["date"] < end.normalize() + pd.Timedelta(days=1)]
    if frame.empty:
        raise JourneykitError(f"orders has no rows on or before observation_end {end.date()}")

    if freq == "D":
        frame["period"] = frame["date"].dt.normalize()
    else:
        frame["period"] = frame["date"].dt.to_period(freq).dt.start_time
    end_period = end.normalize() if freq == "D" else pd.Period(end, freq=freq).start_time

    per_period = (
        frame.groupby(["customer", "period"], sort=True, observed=True)["amount"]
        .sum()
        .reset_index()
    )
    grouped = per_period.groupby("customer", sort=True, observed=True)
    first = grouped["period"].min()
    last = grouped["period"].max()
    count = grouped.size()
    total = grouped["amount"].sum()
    first_amount = grouped["amount"].first()  # rows are sorted by period within customer

    unit_days = DAYS_PER_UNIT[time_unit]
    frequency = (count - 1).astype("int64")
    repeat_total = total - first_amount
    monetary = np.where(frequency > 0, repeat_total / frequency.where(frequency > 0, 1), 0.0)
    out = pd.DataFrame(
        {
            customer: first.index.astype("string"),
            "frequency": frequency.to_numpy(),
            "recency": _days_between(last, first) / unit_days,
            "T": _days_between(pd.Timestamp(end_period), first) / unit_days,
            "monetary_value": monetary if amount is not None else np.nan,
            "first_purchase": first.to_numpy(),
            "last_purchase": last.to_numpy(),
        }
    )
    out.attrs.update(
        {"time_unit": time_unit, "freq": freq, "observation_end": str(end_period.date())}
    )
    return out
