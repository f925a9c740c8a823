"""Customer lifetime value: RFM summaries, BG/NBD, Gamma-Gamma and historical CLV.

Two ways to put a value on a customer:

* :func:`historical_clv` — the back-of-the-envelope version small businesses know:
  average order value × purchases per customer per year × expected lifespan in years.
* The probabilistic models from the marketing-science literature, written here from
  the published papers (no dependency on the unmaintained ``lifetimes`` package):

  - :func:`fit_bgnbd` — the BG/NBD model of repeat purchasing, Fader, Hardie & Lee
    (2005), "Counting your customers the easy way: an alternative to the Pareto/NBD
    model", *Marketing Science* 24(2), 275-284. Purchases follow a Poisson process
    with rate λ ~ Gamma(r, α); after each purchase a customer drops out with
    probability p ~ Beta(a, b).
  - :func:`fit_gamma_gamma` — the Gamma-Gamma model of spend per transaction,
    Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (note). The
    value of each transaction is Gamma(p, ν) with ν ~ Gamma(q, γ); the parameter γ
    is called ``v`` in :attr:`GammaGammaFit.params`.

Both are fitted by maximum likelihood with the log-likelihood written in log space
(``scipy.special.gammaln``, ``betaln``, ``logsumexp``) and optimised over the
logarithms of the parameters (so they stay positive) with ``scipy.optimize.minimize``.

Input for the models is the per-customer summary built by :func:`rfm_summary`
(Fader & Hardie's conventions):

``frequency``
    number of *repeat* purchase periods (purchases on the same day count once when
    ``freq="D"``); a customer who bought once has frequency 0.
``recency``
    time from the first to the last purchase (``t_x``), in ``time_unit``.
``T``
    time from the first purchase to the end of the observation period, in ``time_unit``.
``monetary_value``
    mean value of the repeat purchases (the first purchase is excluded); 0 when
    frequency is 0.

Example:
    >>> summary = rfm_summary(orders, observation_end="2024-06-30")   # doctest: +SKIP
    >>> bgnbd = fit_bgnbd(summary)                                      # doctest: +SKIP
    >>> spend = fit_gamma_gamma(summary)                                # doctest: +SKIP
    >>> table = predict_clv(bgnbd, spend, summary, months=12)           # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from journeykit.core.errors import JourneykitError

if TYPE_CHECKING:  # pragma: no cover
    from scipy import optimize, special
else:

    class _OnFirstUse:
        """A scipy submodule imported when first used: the RFM summary and historical CLV
        need no scipy, and ``scipy.optimize`` takes a noticeable part of a second to import."""

        def __init__(self, name: str):
            self._name = name

        def __getattr__(self, attribute: str) -> Any:
            return getattr(importlib.import_module(self._name), attribute)

    optimize = _OnFirstUse("scipy.optimize")
    special = _OnFirstUse("scipy.special")

TimeUnit = Literal["D", "W", "M", "Y"]

#: Length of each time unit in days. A month is 365.25 / 12 days, a year 365.25 days.
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}

_FREQS = ("D", "W", "M")

__all__ = [
    "BGNBDFit",
    "GammaGammaFit",
    "HistoricalCLV",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "historical_clv",
    "predict_clv",
    "rfm_summary",
]


# --------------------------------------------------------------------------- helpers


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str, hint: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise JourneykitError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise JourneykitError(
            f"{what} has no column(s) {', '.join(repr(c) for c in missing)}; "
            f"columns present: {', '.join(map(str, frame.columns))}. {hint}"
        )


def _to_datetime(values: pd.Series, column: str, what: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
    else:
        out = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = values.notna() & out.isna()
        if bad.any():
            examples = ", ".join(repr(v) for v in values[bad].astype(str).unique()[:3])
            raise JourneykitError(
                f"{what}: {int(bad.sum())} value(s) in column {column!r} are not dates "
                f"(for example {examples})"
            )
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def _days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> np.ndarray:
    """Elapsed days as floats, whatever the datetime resolution (ns, us, s)."""
    delta = later - earlier
    return np.asarray(delta / pd.Timedelta(days=1), dtype=float)


def _array(values: object, name: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise JourneykitError(f"{name} must be numbers, got {values!r:.60}") from exc
    return out


def _check_rfm(frequency: object, recency: object, T: object) -> tuple[np.ndarray, ...]:
    x = _array(frequency, "frequency")
    t_x = _array(recency, "recency")
    big_t = _array(T, "T")
    try:
        x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
    except ValueError as exc:
        raise JourneykitError(
            "frequency, recency and T must have the same length "
            f"(got {np.shape(x)}, {np.shape(t_x)}, {np.shape(big_t)})"
        ) from exc
    for name, arr in (("frequency", x), ("recency", t_x), ("T", big_t)):
        if not np.all(np.isfinite(arr)):
            raise JourneykitError(f"{name} has missing or infinite values")
        if np.any(arr < 0):
            raise JourneykitError(f"{name} must be >= 0; found {arr[arr < 0][:3].tolist()}")
    if np.any(x != np.round(x)):
        raise JourneykitError("frequency must be whole numbers (counts of repeat purchases)")
    tol = 1e-9 * np.maximum(1.0, big_t)
    if np.any(t_x > big_t + tol):
        bad = int(np.sum(t_x > big_t + tol))
        raise JourneykitError(
            f"recency must be <= T (the last purchase cannot come after the end of "
            f"observation); {bad} customer(s) break this"
        )
    if np.any((x == 0) & (t_x > tol)):
        raise JourneykitError(
            "recency must be 0 for customers with frequency 0 (no repeat purchase)"
        )
    if np.any((x > 0) & (t_x <= 0)):
        raise JourneykitError(
            "recency must be > 0 for customers with repeat purchases (frequency > 0)"
        )
    return x, t_x, big_t


def _summary_arrays(summary: pd.DataFrame, what: str) -> tuple[np.ndarray, ...]:
    _require_columns(
        summary,
        ["frequency", "recency", "T"],
        what,
        "Build the summary with journeykit.rfm_summary(orders).",
    )
    if len(summary) == 0:
        raise JourneykitError(f"{what} has no customers")
    return _check_rfm(summary["frequency"], summary["recency"], summary["T"])


def _time_unit(summary: pd.DataFrame, time_unit: str | None) -> str:
    unit = time_unit or summary.attrs.get("time_unit") or "W"
    if unit not in DAYS_PER_UNIT:
        raise JourneykitError(f"time_unit must be one of {list(DAYS_PER_UNIT)}, got {unit!r}")
    return unit


def _minimize(neg_ll, start: np.ndarray) -> optimize.OptimizeResult:
    """Maximise the likelihood over log-parameters: L-BFGS-B (quick), then Nelder-Mead
    from there only when L-BFGS-B did not converge; the best of the tries wins."""
    tries = []
    with np.errstate(all="ignore"):
        quick = optimize.minimize(neg_ll, start, method="L-BFGS-B",
                                  options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-7})
        tries.append(quick)
        if not quick.success or not np.isfinite(quick.fun):
            slow = optimize.minimize(
                neg_ll, quick.x if np.isfinite(quick.fun) else start, method="Nelder-Mead",
                options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-10},
            )
            tries.append(slow)
    best = min(tries, key=lambda r: r.fun if np.isfinite(r.fun) else np.inf)
    if not np.isfinite(best.fun) or best.fun >= 1e300:
        raise JourneykitError("the model could not be fitted: the likelihood is not finite")
    best.success = bool(any(r.success for r in tries))
    return best


# --------------------------------------------------------------------------- RFM summary


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


# --------------------------------------------------------------------------- BG/NBD


def _bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Per-customer log-likelihood, Fader, Hardie & Lee (2005) equation (6)."""
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    term_alive = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        term_dropped = np.where(
            x > 0,
            special.betaln(a + 1, np.maximum(b + x - 1, 1e-300))
            - special.betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return common + special.logsumexp(np.stack([term_alive, term_dropped]), axis=0)


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    ``params`` holds ``r`` and ``alpha`` (Gamma heterogeneity of the purchase rate;
    mean rate r/alpha purchases per ``time_unit``) and ``a``, ``b`` (Beta
    heterogeneity of the drop-out probability after each purchase).
    ``log_likelihood`` is the maximised total log-likelihood over ``n`` customers.
    """

    params: dict[str, float]
    log_likelihood: float
    n: int
    time_unit: str = "W"
    converged: bool = True

    def __post_init__(self) -> None:  # freeze the params dict against accidental edits
        object.__setattr__(self, "params", dict(self.params))

    def _p(self) -> tuple[float, float, float, float]:
        p = self.params
        return p["r"], p["alpha"], p["a"], p["b"]

    def expected_purchases(
        self, t: float | np.ndarray, frequency: object, recency: object, T: object
    ) -> np.ndarray:
        """Expected number of purchases in the next ``t`` time units for customers
        with history (frequency, recency, T) — FHL (2005) equation (10).

        Example: on CDNOW, a customer with x=2, t_x=30.43, T=38.86 (weeks) is expected
        to make about 1.23 purchases in the next 39 weeks.
        """
        x, t_x, big_t = _check_rfm(frequency, recency, T)
        t = _array(t, "t")
        if np.any(t < 0):
            raise JourneykitError("t (the length of the future period) must be >= 0")
        r, alpha, a, b = self._p()
        if abs(a - 1.0) < 1e-9:
            a = 1.0 + 1e-9  # equation (10) divides by a - 1; it is continuous at a = 1
        z = t / (alpha + big_t + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        first = (a + b + x - 1) / (a - 1)
        second = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp
        return first * second / self._alive_denominator(x, t_x, big_t)

    def _alive_denominator(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._p()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_ratio = (
                np.log(a)
                - np.log(np.maximum(b + x - 1, 1e-300))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            )
            extra = np.where(x > 0, np.exp(np.minimum(log_ratio, 700.0)), 0.0)
        return 1.0 + extra

    def probability_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """P(customer still active | frequency, recency, T), Fader, Hardie & Lee's note
        "Computing P(alive) using the BG/NBD model": 1 / (1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x)).
        Customers with no repeat purchase have probability 1 in this model."""
        x, t_x, big_t = _check_rfm(frequency, recency, T)
        return 1.0 / self._alive_denominator(x, t_x, big_t)

    def expected_purchases_new_customer(self, t: float | np.ndarray) -> np.ndarray:
        """Expected repeat purchases in (0, t] for a randomly chosen new customer,
        FHL (2005) equation (9)."""
        t = _array(t, "t")
        r, alpha, a, b = self._p()
        if abs(a - 1.0) < 1e-9:
            a = 1.0 + 1e-9
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)

    def customer_lifetime_value(
        self,
        gamma_gamma: GammaGammaFit,
        frequency: object,
        recency: object,
        T: object,
        monetary_value: object,
        *,
        months: int = 12,
        monthly_discount_rate: float = 0.01,
    ) -> np.ndarray:
        """Discounted expected revenue over the next ``months`` months, per customer.

        The usual ("lifetimes-style") discrete approximation: for each month
        m = 1..months, the expected purchases in that month (the conditional
        expectation up to the end of month m minus that up to the end of month
        m-1) times the Gamma-Gamma expected value per purchase, divided by
        (1 + monthly_discount_rate)^m. A month is 365.25/12 days, converted to this
        model's ``time_unit``. Money is in the unit of the order amounts.
        """
        if not isinstance(gamma_gamma, GammaGammaFit):
            raise JourneykitError("gamma_gamma must be the result of fit_gamma_gamma(summary)")
        if int(months) != months or months < 1:
            raise JourneykitError(f"months must be a whole number >= 1, got {months!r}")
        if not (monthly_discount_rate > -1):
            raise JourneykitError("monthly_discount_rate must be > -1 (0.01 means 1% a month)")
        x, t_x, big_t = _check_rfm(frequency, recency, T)
        spend = gamma_gamma.expected_average_value(x, monetary_value)
        month = DAYS_PER_UNIT["M"] / DAYS_PER_UNIT[self.time_unit]
        total = np.zeros_like(x, dtype=float)
        previous = np.zeros_like(x, dtype=float)
        for m in range(1, int(months) + 1):
            cumulative = self.expected_purchases(m * month, x, t_x, big_t)
            total += spend * (cumulative - previous) / (1 + monthly_discount_rate) ** m
            previous = cumulative
        return total


def fit_bgnbd(summary: pd.DataFrame, *, time_unit: TimeUnit | None = None) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood to an :func:`rfm_summary` frame.

    ``summary`` needs columns ``frequency``, ``recency``, ``T``; ``time_unit`` (the
    unit of recency and T) defaults to ``summary.attrs["time_unit"]`` or weeks.
    Customers with the same (frequency, recency, T) are pooled, so large customer
    bases fit quickly.

    Example (Fader, Hardie & Lee's CDNOW calibration data, weeks):
        >>> fit = fit_bgnbd(cdnow_summary)                       # doctest: +SKIP
        >>> {k: round(v, 3) for k, v in fit.params.items()}      # doctest: +SKIP
        {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    """
    x, t_x, big_t = _summary_arrays(summary, "summary")
    unit = _time_unit(summary, time_unit)
    pooled = pd.DataFrame({"x": x, "t_x": t_x, "T": big_t}).value_counts().reset_index()
    px, pt_x, pT = (pooled[c].to_numpy(float) for c in ("x", "t_x", "T"))
    weights = pooled["count"].to_numpy(float)
    scale = max(float(np.mean(big_t)), 1e-9)  # start alpha near the time scale

    def neg_ll(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        ll = _bgnbd_log_likelihood(r, alpha, a, b, px, pt_x, pT)
        value = -float(np.dot(weights, ll))
        return value if np.isfinite(value) else 1e300

    start = np.log(np.array([1.0, scale, 1.0, 1.0]))
    best = _minimize(neg_ll, start)
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BGNBDFit(
        params={"r": r, "alpha": alpha, "a": a, "b": b},
        log_likelihood=-float(best.fun),
        n=int(len(x)),
        time_unit=unit,
        converged=bool(best.success),
    )


# --------------------------------------------------------------------------- Gamma-Gamma


def _gamma_gamma_log_likelihood(
    p: float, q: float, v: float, x: np.ndarray, zbar: np.ndarray
) -> np.ndarray:
    """Per-customer log density of the mean spend zbar over x transactions
    (Fader & Hardie 2013, equation 5)."""
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(v + x * zbar)
    )


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model (Fader & Hardie 2013).

    ``params``: ``p`` (shape of the spend per transaction), ``q`` and ``v`` (the
    paper's γ; shape and scale of the Gamma heterogeneity across customers). The
    mean spend per transaction in the population is p·v/(q−1) when q > 1.
    ``n`` counts the repeat customers used; ``excluded`` those left out because
    their mean repeat spend was not positive.
    """

    params: dict[str, float]
    log_likelihood: float
    n: int
    excluded: int = 0
    converged: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))

    @property
    def population_mean(self) -> float:
        """Expected spend per transaction for a customer we know nothing about."""
        p, q, v = self.params["p"], self.params["q"], self.params["v"]
        return p * v / (q - 1) if q > 1 else math.inf

    def expected_average_value(self, frequency: object, monetary_value: object) -> np.ndarray:
        """E[spend per transaction | x repeat purchases with mean value zbar]
        = (p(v + x·zbar)) / (p·x + q − 1), Fader & Hardie (2013) equation (6): a
        weighted mean of the population mean and the customer's own mean. For
        frequency 0 this is the population mean."""
        x = _array(frequency, "frequency")
        zbar = _array(monetary_value, "monetary_value")
        try:
            x, zbar = np.broadcast_arrays(x, zbar)
        except ValueError as exc:
            raise JourneykitError("frequency and monetary_value must have the same length") from exc
        if np.any(x < 0) or np.any(~np.isfinite(x)):
            raise JourneykitError("frequency must be >= 0 and not missing")
        zbar = np.where(x > 0, zbar, 0.0)
        if np.any(~np.isfinite(zbar)) or np.any(zbar < 0):
            raise JourneykitError("monetary_value must be >= 0 and not missing")
        p, q, v = self.params["p"], self.params["q"], self.params["v"]
        return p * (v + x * zbar) / (p * x + q - 1)


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGammaFit:
    """Fit the Gamma-Gamma spend model to the repeat customers of an :func:`rfm_summary`.

    Uses customers with ``frequency`` > 0 (x) and ``monetary_value`` (zbar, mean
    value of their repeat purchases). Customers whose mean repeat spend is 0 are
    excluded with a warning (the model needs positive amounts) and counted in
    ``excluded``. The model assumes spend is independent of purchase frequency;
    check ``summary[["frequency", "monetary_value"]].corr()`` is small.

    Example (Fader & Hardie's CDNOW spend data):
        >>> fit_gamma_gamma(spend_summary).params            # doctest: +SKIP
        {'p': 6.25, 'q': 3.74, 'v': 15.44}   # rounded
    """
    _require_columns(
        summary,
        ["frequency", "monetary_value"],
        "summary",
        "Build the summary with journeykit.rfm_summary(orders) (with amount=).",
    )
    x = _array(summary["frequency"], "frequency")
    zbar = _array(summary["monetary_value"], "monetary_value")
    if np.any(~np.isfinite(x)) or np.any(x < 0):
        raise JourneykitError("frequency must be >= 0 and not missing")
    repeat = x > 0
    if np.any(repeat & ~np.isfinite(zbar)):
        raise JourneykitError("monetary_value is missing for customers with repeat purchases")
    if np.any(repeat & (zbar < 0)):
        raise JourneykitError("monetary_value must be >= 0 (negative spend found)")
    usable = repeat & (zbar > 0)
    excluded = int(np.sum(repeat & ~usable))
    if excluded:
        warnings.warn(
            f"Gamma-Gamma: {excluded} repeat customer(s) with mean repeat spend 0 left out",
            stacklevel=2,
        )
    if int(usable.sum()) < 2:
        raise JourneykitError(
            "Gamma-Gamma needs at least 2 customers with repeat purchases and positive spend; "
            f"found {int(usable.sum())}"
        )
    x, zbar = x[usable], zbar[usable]
    scale = float(np.mean(zbar))

    def neg_ll(log_params: np.ndarray) -> float:
        p, q, v = np.exp(log_params)
        value = -float(np.sum(_gamma_gamma_log_likelihood(p, q, v, x, zbar)))
        return value if np.isfinite(value) else 1e300

    start = np.log(np.array([1.0, 2.0, scale]))
    best = _minimize(neg_ll, start)
    p, q, v = (float(val) for val in np.exp(best.x))
    return GammaGammaFit(
        params={"p": p, "q": q, "v": v},
        log_likelihood=-float(best.fun),
        n=int(len(x)),
        excluded=excluded,
        converged=bool(best.success),
    )


def predict_clv(
    bgnbd: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    summary: pd.DataFrame,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    next_period: float | None = None,
) -> pd.DataFrame:
    """Per-customer predictions as a table (same rows and order as ``summary``).

    Columns: the summary's columns, then ``probability_alive`` (0-1),
    ``expected_purchases`` (purchases in the next ``next_period`` time units of the
    model; default one month), ``expected_average_value`` (money per purchase,
    Gamma-Gamma) and ``clv`` (discounted expected revenue over ``months`` months,
    see :meth:`BGNBDFit.customer_lifetime_value`).
    """
    x, t_x, big_t = _summary_arrays(summary, "summary")
    _require_columns(summary, ["monetary_value"], "summary", "Build it with rfm_summary(orders).")
    if next_period is None:
        next_period = DAYS_PER_UNIT["M"] / DAYS_PER_UNIT[bgnbd.time_unit]
    out = summary.copy()
    out["probability_alive"] = bgnbd.probability_alive(x, t_x, big_t)
    out["expected_purchases"] = bgnbd.expected_purchases(next_period, x, t_x, big_t)
    out["expected_average_value"] = gamma_gamma.expected_average_value(
        x, summary["monetary_value"].fillna(0.0)
    )
    out["clv"] = bgnbd.customer_lifetime_value(
        gamma_gamma, x, t_x, big_t, summary["monetary_value"].fillna(0.0),
        months=months, monthly_discount_rate=monthly_discount_rate,
    )
    return out


# --------------------------------------------------------------------------- historical CLV


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
    if source != "given":
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
