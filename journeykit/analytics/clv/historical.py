"""Historical customer lifetime value: average order value × purchase frequency × lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from journeykit.analytics.clv._common import _require_columns, _to_datetime
from journeykit.core.errors import JourneykitError

__all__ = ["HistoricalCLV", "historical_clv"]


@dataclass(frozen=True)
class HistoricalCLV:
    """Historical customer lifetime value: AOV × purchase frequency × lifespan (× margin).

    ``average_order_value`` (money per order), ``purchase_frequency`` (orders per
    customer per year), ``lifespan_years`` (expected years a customer stays),
    ``clv`` (money per customer), ``lifespan_source`` ("given" or "estimated from
    retention"), ``retention_rate`` (the window retention used for the estimate, or
    None), ``window_days`` (length of that window), ``customers``, ``orders``,
    ``revenue``, ``period_start``/``period_end``, ``years_observed``, ``margin``,
    and ``formula`` — the calculation written out with the numbers, for display.
    """

    average_order_value: float
    purchase_frequency: float
    lifespan_years: float
    clv: float
    formula: str
    lifespan_source: str
    retention_rate: float | None
    window_days: float | None
    customers: int
    orders: int
    revenue: float
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    years_observed: float
    margin: float = 1.0

    def to_frame(self) -> pd.DataFrame:
        """One row per quantity: columns ``quantity``, ``value``."""
        names = [
            "average_order_value", "purchase_frequency", "lifespan_years", "margin",
            "clv", "customers", "orders", "revenue", "years_observed", "retention_rate",
        ]
        return pd.DataFrame(
            {"quantity": names, "value": [getattr(self, n) for n in names]}
        )


def historical_clv(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    lifespan_years: float | None = None,
    margin: float = 1.0,
    max_lifespan_years: float = 10.0,
    currency: str = "",
) -> HistoricalCLV:
    """The simple CLV: average order value × purchase frequency × expected lifespan.

    * average order value = revenue / number of orders;
    * purchase frequency = orders / customers / years observed (per customer per
      year; years observed = (last order date − first order date + 1 day) / 365.25);
    * expected lifespan = ``lifespan_years`` when given; otherwise estimated from
      retention: the last 2 × w days of the observation period are cut into two
      back-to-back windows of w = min(365, days observed // 2) whole days, the second
      ending with the day of the last order; the retention rate is the
      share of customers who ordered in the first window and ordered again in the
      second; with churn = 1 − retention per window, the expected lifespan is
      window length / churn (the mean of a geometric lifetime), capped at
      ``max_lifespan_years``;
    * clv = margin × average order value × purchase frequency × lifespan.

    Example:
        >>> result = historical_clv(orders, lifespan_years=3)   # doctest: +SKIP
        >>> result.formula                                        # doctest: +SKIP
        'CLV = average order value 42.00 × purchases per year 2.50 × lifespan 3.0 years = 315.00'
    """
    _require_columns(
        orders, [customer, date, amount], "orders",
        "Pass customer=, date= or amount= to name them.",
    )
    if len(orders) == 0:
        raise JourneykitError("orders has no rows: historical CLV needs at least one order")
    if not (0 < margin <= 1):
        raise JourneykitError(f"margin must be in (0, 1] (a share of revenue), got {margin!r}")
    dates = _to_datetime(orders[date], date, "orders")
    values = pd.to_numeric(orders[amount], errors="coerce")
    if values.isna().any() or dates.isna().any() or orders[customer].isna().any():
        raise JourneykitError(
            f"orders: rows with a missing or non-numeric {amount!r}, a missing {date!r} or "
            f"a missing {customer!r}; fix or remove them first"
        )
    if (values < 0).any():
        raise JourneykitError(f"orders: column {amount!r} has negative amounts")
    ids = orders[customer].astype("string")

    n_orders = int(len(orders))
    n_customers = int(ids.nunique())
    revenue = float(values.sum())
    start, end = dates.min(), dates.max()
    days = float((end.normalize() - start.normalize()) / pd.Timedelta(days=1)) + 1.0
    years = days / 365.25
    aov = revenue / n_orders
    frequency = n_orders / n_customers / years

    retention: float | None = None
    window_days: float | None = None
    if lifespan_years is not None:
        if not (lifespan_years > 0):
            raise JourneykitError(f"lifespan_years must be > 0, got {lifespan_years!r}")
        lifespan = float(lifespan_years)
        source = "given"
    else:
        window_days = float(min(365, int(days // 2)))
        if window_days < 7:
            raise JourneykitError(
                "orders cover less than two weeks: the expected lifespan cannot be estimated "
                "from retention; pass lifespan_years="
            )
        cut = end.normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=window_days)
        first_start = cut - pd.Timedelta(days=window_days)
        first_window = set(ids[(dates >= first_start) & (dates < cut)])
        second_window = set(ids[dates >= cut])
        if not first_window:
            raise JourneykitError(
                "no customer ordered in the earlier window, so retention cannot be "
                "estimated; pass lifespan_years="
            )
        retention = len(first_window & second_window) / len(first_window)
        churn = 1.0 - retention
        lifespan = min(max_lifespan_years, (window_days / 365.25) / churn) if churn > 0 else (
            max_lifespan_years
        )
        source = "estimated from retention"
    clv = margin * aov * frequency * lifespan

    money = f"{currency} " if currency else ""
    parts = [
        f"average order value {money}{aov:,.2f}",
        f"purchases per customer per year {frequency:,.2f}",
        f"expected lifespan {lifespan:,.1f} years",
    ]
    if margin != 1:
        parts.insert(0, f"margin {margin:.0%}")
    formula = "CLV = " + " × ".join(parts) + f" = {money}{clv:,.2f}"
    if window_days is not None and retention is not None:  # estimated from retention
        formula += (
            f"  (lifespan = {window_days / 365.25:.2f}-year window / churn "
            f"{1 - retention:.0%}; retention {retention:.0%}"
            + (f", capped at {max_lifespan_years:g} years" if lifespan >= max_lifespan_years else "")
            + ")"
        )
    return HistoricalCLV(
        average_order_value=aov,
        purchase_frequency=frequency,
        lifespan_years=lifespan,
        clv=clv,
        formula=formula,
        lifespan_source=source,
        retention_rate=retention,
        window_days=window_days,
        customers=n_customers,
        orders=n_orders,
        revenue=revenue,
        period_start=start,
        period_end=end,
        years_observed=years,
        margin=margin,
    )
