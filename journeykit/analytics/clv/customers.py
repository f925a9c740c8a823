"""What each customer is worth next year: :func:`customers_clv`, the BG/NBD + Gamma-Gamma
predictions of :func:`~journeykit.analytics.clv.bgnbd.predict_clv` per customer of the
workspace's orders, and :func:`dropoff_value`, the value a lost customer is counted at.

Example:
    >>> table = customers_clv(ws)                                   # doctest: +SKIP
    >>> table[["customer_id", "probability_alive", "clv_12m"]].head()   # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeykit.analytics.clv._common import DAYS_PER_UNIT
from journeykit.analytics.clv.bgnbd import fit_bgnbd, predict_clv
from journeykit.analytics.clv.gamma_gamma import fit_gamma_gamma
from journeykit.analytics.clv.historical import historical_clv
from journeykit.analytics.clv.rfm import rfm_summary
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

__all__ = ["CLV_COLUMNS", "CLV_MONTHS", "DropoffValue", "customers_clv", "dropoff_value"]

#: the prediction horizon of :func:`customers_clv`, in months
CLV_MONTHS = 12
#: the columns of :func:`customers_clv`, in order
CLV_COLUMNS = ("customer_id", "frequency", "recency_weeks", "age_weeks", "monetary_value",
               "expected_purchases_12m", "probability_alive", "expected_average_value", "clv_12m")


def customers_clv(ws: Workspace, *, as_of: str | pd.Timestamp | None = None,
                  monthly_discount_rate: float = 0.01) -> pd.DataFrame:
    """Per customer of the orders: expected purchases in the next 12 months, the probability
    the customer is still active, and the 12-month CLV, from BG/NBD (purchases) and
    Gamma-Gamma (spend) fitted to the workspace's orders.

    ``as_of``: the end of the observation (a date; None = the last order date), as in
    :func:`~journeykit.analytics.clv.rfm.rfm_summary` (daily purchases, weeks).
    ``monthly_discount_rate``: as :meth:`BGNBDFit.customer_lifetime_value`.

    Columns (:data:`CLV_COLUMNS`), one row per customer sorted by id: ``customer_id``
    (string), ``frequency`` (repeat purchase days), ``recency_weeks`` (first to last
    purchase), ``age_weeks`` (first purchase to ``as_of``), ``monetary_value`` (mean
    repeat purchase, money), ``expected_purchases_12m``, ``probability_alive`` (0–1),
    ``expected_average_value`` (money per purchase), ``clv_12m`` (discounted expected
    revenue over 12 months, in the workspace's currency). The values are those of
    :func:`~journeykit.analytics.clv.bgnbd.predict_clv` (``months=12``,
    ``next_period`` = 12 months). Raises :class:`JourneykitError` when the workspace
    has no orders or the models cannot be fitted (fewer than two repeat customers, or
    predictions that are not finite, negative or above one purchase a day: what a model
    fitted to too few customers gives).
    Computed once per workspace state (:meth:`Workspace.memo`).

    Example:
        >>> customers_clv(ws).sort_values("clv_12m").tail(3)        # doctest: +SKIP
    """
    end = None if as_of is None else str(pd.Timestamp(as_of).date())
    key = ("clv.customers_clv", end, float(monthly_discount_rate))
    frame: pd.DataFrame = ws.memo(key, lambda: _customers_clv(ws, end, monthly_discount_rate))
    return frame.copy()


def _customers_clv(ws: Workspace, as_of: str | None, monthly_discount_rate: float) -> pd.DataFrame:
    orders = ws.orders
    if orders is None or len(orders) == 0:
        raise JourneykitError("customers_clv needs an orders table in the workspace (orders.csv)")
    summary = rfm_summary(orders, observation_end=as_of)
    bgnbd = fit_bgnbd(summary)
    spend = fit_gamma_gamma(summary)
    year = CLV_MONTHS * DAYS_PER_UNIT["M"] / DAYS_PER_UNIT[bgnbd.time_unit]
    predicted = predict_clv(bgnbd, spend, summary, months=CLV_MONTHS,
                            monthly_discount_rate=monthly_discount_rate, next_period=year)
    values = predicted[["expected_purchases", "probability_alive", "clv"]].to_numpy(float)
    # purchases are counted per day, so a year holds at most 365.25 of them
    plausible = np.isfinite(values).all() and (values >= -1e-9).all() and (values[:, 0] <= 365.25).all()
    if not plausible:
        raise JourneykitError(
            "customers_clv: the fitted models give predictions that are not finite, negative or more "
            "than one purchase a day "
            f"(fitted parameters {', '.join(f'{k} {v:.3g}' for k, v in bgnbd.params.items())}); "
            "the orders hold too little repeat buying for a per-customer prediction")
    out = pd.DataFrame({
        "customer_id": predicted["customer_id"].astype("string"),
        "frequency": predicted["frequency"].astype("int64"),
        "recency_weeks": predicted["recency"].astype("float64"),
        "age_weeks": predicted["T"].astype("float64"),
        "monetary_value": predicted["monetary_value"].astype("float64"),
        # + 0.0 turns the -0.0 of a rounding into 0.0
        "expected_purchases_12m": predicted["expected_purchases"].astype("float64") + 0.0,
        "probability_alive": predicted["probability_alive"].astype("float64"),
        "expected_average_value": predicted["expected_average_value"].astype("float64"),
        "clv_12m": predicted["clv"].astype("float64") + 0.0,
    })
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class DropoffValue:
    """What one customer lost at a funnel step is counted at.

    ``value`` (money per customer, > 0); ``basis``: ``"clv"`` (the mean fitted 12-month
    CLV of :func:`customers_clv`) or ``"aov"`` (the average order value, when no model
    could be fitted) or ``"none"`` (no orders: 1, so the value counts customers);
    ``n``: the customers or orders it is the mean of; ``label``: the basis in words.
    """

    value: float
    basis: str
    n: int

    @property
    def label(self) -> str:
        return {"clv": f"the mean fitted {CLV_MONTHS}-month CLV per customer (BG/NBD + Gamma-Gamma, "
                       f"{self.n:,} customers)",
                "aov": f"the average order value ({self.n:,} orders; no CLV model could be fitted)",
                "none": "one per customer (no orders to put a value on a customer)"}[self.basis]


def dropoff_value(ws: Workspace) -> DropoffValue:
    """The value of a customer lost at a funnel step: the mean fitted 12-month CLV of
    :func:`customers_clv` where the models can be fitted, else the average order value
    (:func:`~journeykit.analytics.clv.historical.historical_clv`, or the mean order amount),
    else 1 (no orders).

    Example:
        >>> dropoff_value(ws).basis                                    # doctest: +SKIP
        'clv'
    """
    orders = ws.orders
    if orders is None or len(orders) == 0 or "amount" not in orders.columns:
        return DropoffValue(1.0, "none", 0)
    try:
        table = customers_clv(ws)
    except JourneykitError:  # too few repeat customers or dates for the models: the order value
        pass
    else:
        mean = float(table["clv_12m"].mean()) if len(table) else math.nan
        if math.isfinite(mean) and mean > 0:
            return DropoffValue(mean, "clv", len(table))
    amounts = pd.to_numeric(orders["amount"], errors="coerce").dropna()
    try:
        aov = float(historical_clv(orders).average_order_value)
    except JourneykitError:  # too few orders for the formula: the mean order amount
        aov = float(amounts.mean()) if len(amounts) else math.nan
    if math.isfinite(aov) and aov > 0:
        return DropoffValue(aov, "aov", len(amounts))
    return DropoffValue(1.0, "none", 0)
