"""Checking a repeat-purchase model against time it has not seen: the calibration/holdout
split of the orders and the tracking of cumulative repeat purchases (Fader, Hardie & Lee
2005, figures 2 and 3: expected against actual, week by week, over the calibration period
and the holdout period after it).

* :func:`calibration_and_holdout` — the RFM summary of the calibration period (what the
  model is fitted to) with each customer's purchases in the holdout period beside it;
* :func:`repeat_purchase_tracking` — cumulative repeat purchases of the calibration
  cohort per period, actual and expected by a fitted :class:`BGNBDFit`.

Example:
    >>> split = calibration_and_holdout(orders, "1997-09-30", "1998-06-30")   # doctest: +SKIP
    >>> model = fit_bgnbd(split)                                               # doctest: +SKIP
    >>> tracking = repeat_purchase_tracking(model, orders, calibration_end="1997-09-30",
    ...                                     observation_end="1998-06-30")      # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeykit.analytics.clv._common import (
    DAYS_PER_UNIT,
    TimeUnit,
    _require_columns,
    _to_datetime,
)
from journeykit.analytics.clv.bgnbd import BGNBDFit
from journeykit.analytics.clv.rfm import rfm_summary
from journeykit.core.errors import JourneykitError

__all__ = ["HOLDOUT_SEMANTICS", "TRACKING_COLUMNS", "calibration_and_holdout",
           "repeat_purchase_tracking"]

#: how the model is checked, for the definitions the report prints
HOLDOUT_SEMANTICS = (
    "Model check: the orders are split at a calibration end; BG/NBD is fitted to the "
    "calibration period only, and its expected cumulative repeat purchases of that cohort "
    "(customers with an order by the calibration end; purchases counted once per day, the "
    "first one not counted) are drawn beside the actual ones, week by week, through the "
    "holdout period after it (Fader, Hardie & Lee 2005). P(alive) = the probability that a "
    "customer with that purchase history has not yet dropped out; P(X(t) = n) = the "
    "probability that a new customer makes exactly n repeat purchases in t.")

#: the columns of :func:`repeat_purchase_tracking`, in order
TRACKING_COLUMNS = ("date", "t", "actual", "expected", "actual_in_period",
                    "expected_in_period", "holdout")


def _day(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise JourneykitError(f"{name} {value!r} is not a date") from exc
    if pd.isna(day):
        raise JourneykitError(f"{name} is missing (a date is needed)")
    if day.tz is not None:
        day = day.tz_localize(None)
    return day.normalize()


def _ends(calibration_end: str | pd.Timestamp, observation_end: str | pd.Timestamp
          ) -> tuple[pd.Timestamp, pd.Timestamp]:
    cal, obs = _day(calibration_end, "calibration_end"), _day(observation_end, "observation_end")
    if obs <= cal:
        raise JourneykitError(
            f"observation_end ({obs.date()}) must come after calibration_end ({cal.date()}): "
            "the holdout period runs from the day after calibration_end to observation_end")
    return cal, obs


def _order_days(orders: pd.DataFrame, customer: str, date: str) -> pd.DataFrame:
    """One row per customer and purchase day: columns customer (string), day."""
    _require_columns(orders, [customer, date], "orders",
                     "Pass customer= or date= to name them.")
    days = pd.DataFrame({"customer": orders[customer],
                         "day": _to_datetime(orders[date], date, "orders").dt.normalize()})
    missing = days["customer"].isna() | days["day"].isna()
    if missing.any():
        raise JourneykitError(
            f"orders: {int(missing.sum())} row(s) have no {customer!r} or no {date!r}")
    days["customer"] = days["customer"].astype("string")
    return days.drop_duplicates().reset_index(drop=True)


def calibration_and_holdout(
    orders: pd.DataFrame,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    freq: str = "D",
    time_unit: TimeUnit = "W",
) -> pd.DataFrame:
    """Split the orders at ``calibration_end``: the RFM summary of the calibration period
    beside each customer's purchases in the holdout period after it.

    The calibration period holds the orders up to and including the day
    ``calibration_end``; the holdout period the days after it up to and including
    ``observation_end``. Customers are those with an order in the calibration period
    (the cohort the model is fitted to); customers whose first order falls in the
    holdout are left out (their number is in ``frame.attrs["new_in_holdout"]``).

    Columns: those of :func:`~journeykit.analytics.clv.rfm.rfm_summary` for the
    calibration period (``<customer>``, ``frequency``, ``recency``, ``T``,
    ``monetary_value``, ``first_purchase``, ``last_purchase``: so
    ``fit_bgnbd(split)`` fits the calibration period), then ``frequency_holdout``
    (int: purchase periods of ``freq`` in the holdout — every one counts, the customer
    is already known), ``monetary_value_holdout`` (mean value per holdout purchase
    period, 0 without one; NaN when ``amount`` is None) and ``duration_holdout`` (the
    holdout's length in ``time_unit``). ``attrs`` also records ``calibration_end`` and
    ``observation_end``.

    Example:
        >>> orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "c"],
        ...     "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-20",
        ...                             "2024-01-03", "2024-01-16"]),
        ...     "amount": [10.0, 20.0, 30.0, 5.0, 8.0]})
        >>> split = calibration_and_holdout(orders, "2024-01-14", "2024-01-28")
        >>> split[["customer_id", "frequency", "T", "frequency_holdout", "duration_holdout"]]
          customer_id  frequency         T  frequency_holdout  duration_holdout
        0           a          1  1.857143                  1               2.0
        1           b          0  1.571429                  0               2.0
    """
    cal, obs = _ends(calibration_end, observation_end)
    _require_columns(orders, [customer, date], "orders", "Pass customer= or date= to name them.")
    dates = _to_datetime(orders[date], date, "orders")
    in_calibration = (dates < cal + pd.Timedelta(days=1)).to_numpy()
    if not in_calibration.any():
        raise JourneykitError(
            f"orders has no rows on or before calibration_end {cal.date()}: nothing to fit")
    summary = rfm_summary(orders[in_calibration], customer=customer, date=date, amount=amount,
                          observation_end=cal, freq=freq, time_unit=time_unit)
    in_holdout = ((dates >= cal + pd.Timedelta(days=1))
                  & (dates < obs + pd.Timedelta(days=1))).to_numpy()
    holdout = pd.DataFrame({"customer": orders.loc[in_holdout, customer].astype("string"),
                            "date": dates[in_holdout]})
    holdout["amount"] = (pd.to_numeric(orders.loc[in_holdout, amount], errors="coerce")
                         .astype(float).fillna(0.0) if amount is not None else 0.0)
    if freq == "D":
        holdout["period"] = holdout["date"].dt.normalize()
    else:
        holdout["period"] = holdout["date"].dt.to_period(freq).dt.start_time
    per_period = holdout.groupby(["customer", "period"], observed=True)["amount"].sum()
    grouped = per_period.groupby(level="customer", observed=True)
    ids = summary[customer].astype("string")
    count = grouped.size().reindex(ids).fillna(0).astype("int64")
    mean_value = grouped.mean().reindex(ids).fillna(0.0)
    out = summary.copy()
    out["frequency_holdout"] = count.to_numpy()
    out["monetary_value_holdout"] = mean_value.to_numpy() if amount is not None else np.nan
    out["duration_holdout"] = float((obs - cal) / pd.Timedelta(days=1)) / DAYS_PER_UNIT[time_unit]
    known = set(ids)
    out.attrs.update(summary.attrs)
    out.attrs.update({
        "calibration_end": str(cal.date()), "observation_end": str(obs.date()),
        "new_in_holdout": int(len(set(holdout["customer"]) - known)),
    })
    return out


def repeat_purchase_tracking(
    bgnbd: BGNBDFit,
    orders: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp,
    customer: str = "customer_id",
    date: str = "date",
    period_days: int = 7,
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort, actual and expected, per
    period over the calibration and the holdout period (FHL 2005's tracking plot).

    The cohort is the customers with an order on or before ``calibration_end``.
    Purchases are counted per day (several orders of one customer on one day are one
    purchase, as :func:`~journeykit.analytics.clv.rfm.rfm_summary` with ``freq="D"``); a
    repeat purchase is any purchase day after the customer's first. Periods of
    ``period_days`` days end on ``calibration_end`` and every ``period_days`` days
    before and after it, from the cohort's first order to ``observation_end`` (the
    last period ends on ``observation_end`` and may be shorter).

    For each period end e (a day, included), ``actual`` is the cohort's repeat
    purchases on or before e and ``expected`` is Σ_i E[X(t_i)], the BG/NBD expectation
    for a new customer (FHL 2005 equation 9, :meth:`BGNBDFit.expected_purchases_new_customer`)
    over the time t_i from customer i's first purchase day to e (the convention of
    ``T`` in rfm_summary, in the model's ``time_unit``), for the customers whose first
    purchase is on or before e. At ``calibration_end`` the expectation is that of the
    calibration summary the model was fitted to.

    Columns (:data:`TRACKING_COLUMNS`): ``date`` (the period's last day), ``t`` (time
    from the cohort's first order day to the end of ``date``, in the model's
    ``time_unit``), ``actual`` (int) and ``expected`` (float) cumulative repeat
    purchases, ``actual_in_period`` and ``expected_in_period`` (their increase in that
    period), ``holdout`` (True for periods after ``calibration_end``).

    Example:
        >>> repeat_purchase_tracking(model, orders, calibration_end="1997-09-30",
        ...                          observation_end="1998-06-30").tail(1)   # doctest: +SKIP
    """
    if not isinstance(bgnbd, BGNBDFit):
        raise JourneykitError("bgnbd must be the result of fit_bgnbd(summary)")
    if int(period_days) != period_days or period_days < 1:
        raise JourneykitError(f"period_days must be a whole number of days >= 1, got {period_days!r}")
    cal, obs = _ends(calibration_end, observation_end)
    days = _order_days(orders, customer, date)
    days = days[days["day"] <= obs]
    first = days.groupby("customer", observed=True)["day"].min()
    cohort = first[first <= cal]
    if cohort.empty:
        raise JourneykitError(
            f"orders has no rows on or before calibration_end {cal.date()}: no cohort to track")
    start = cohort.min()
    days = days[days["customer"].isin(cohort.index)]
    repeat_day = days.loc[days["day"] > days["customer"].map(cohort), "day"]

    step = pd.Timedelta(days=int(period_days))
    n_before = int((cal - start) // step)
    ends = [cal - step * j for j in range(n_before, 0, -1)] + [cal]
    while ends[-1] + step <= obs:
        ends.append(ends[-1] + step)
    if ends[-1] < obs:
        ends.append(obs)
    end_index = pd.DatetimeIndex(ends)

    unit_days = DAYS_PER_UNIT[bgnbd.time_unit]
    first_counts = cohort.value_counts()
    first_days = np.asarray((first_counts.index - start) / pd.Timedelta(days=1), dtype=float)
    weights = first_counts.to_numpy(dtype=float)
    end_days = np.asarray((end_index - start) / pd.Timedelta(days=1), dtype=float)
    elapsed = end_days[:, None] - first_days[None, :]
    per_customer = bgnbd.expected_purchases_new_customer(np.maximum(elapsed, 0.0) / unit_days)
    expected = np.where(elapsed >= 0, per_customer, 0.0) @ weights
    repeat_sorted = np.sort(np.asarray((repeat_day - start) / pd.Timedelta(days=1), dtype=float))
    actual = np.searchsorted(repeat_sorted, end_days, side="right").astype("int64")
    return pd.DataFrame({
        "date": end_index,
        "t": (end_days + 1.0) / unit_days,
        "actual": actual,
        "expected": expected,
        "actual_in_period": np.diff(actual, prepend=0),
        "expected_in_period": np.diff(expected, prepend=0.0),
        "holdout": end_index > cal,
    }, columns=list(TRACKING_COLUMNS))
