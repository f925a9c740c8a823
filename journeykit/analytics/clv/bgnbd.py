"""The BG/NBD model of repeat purchasing, Fader, Hardie & Lee (2005), "Counting your
customers the easy way: an alternative to the Pareto/NBD model", *Marketing Science*
24(2), 275-284, and the CLV prediction that combines it with the Gamma-Gamma spend model.

Purchases follow a Poisson process with rate λ ~ Gamma(r, α); after each purchase a
customer drops out with probability p ~ Beta(a, b)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeykit.analytics.clv._common import (
    DAYS_PER_UNIT,
    TimeUnit,
    _array,
    _check_rfm,
    _minimize,
    _require_columns,
    _summary_arrays,
    _time_unit,
)
from journeykit.analytics.clv.gamma_gamma import GammaGammaFit
from journeykit.core.errors import JourneykitError

__all__ = ["BGNBDFit", "fit_bgnbd", "predict_clv"]


def _bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Per-customer log-likelihood, Fader, Hardie & Lee (2005) equation (6)."""
    from scipy import special  # function-level: scipy.special is only needed when a model is used

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
        from scipy import (
            special,  # function-level: scipy.special is only needed when a model is used
        )

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
        from scipy import (
            special,  # function-level: scipy.special is only needed when a model is used
        )

        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)

    def probability_of_purchases(self, t: float | np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """P(X(t) = n): the probability that a randomly chosen new customer makes exactly
        ``n`` repeat purchases in (0, t] (``t`` in this model's ``time_unit``) — FHL (2005)
        equation (8). ``t`` and ``n`` broadcast against each other.

        The second term of equation (8), 1 − Σ_{j<n} NBD(j), is the negative binomial's
        tail P(N ≥ n), computed as the regularised incomplete beta I_{t/(α+t)}(n, r).

        Example: with the CDNOW parameters, P(X(39) = 0) ≈ 0.574.
        """
        t = _array(t, "t")
        n_arr = _array(n, "n")
        if np.any(t < 0):
            raise JourneykitError("t (the length of the period) must be >= 0")
        if np.any(n_arr < 0) or np.any(n_arr != np.round(n_arr)):
            raise JourneykitError("n must be whole numbers >= 0 (counts of repeat purchases)")
        t, n_arr = np.broadcast_arrays(t, n_arr)
        r, alpha, a, b = self._p()
        from scipy import (
            special,  # function-level: scipy.special is only needed when a model is used
        )

        with np.errstate(divide="ignore", invalid="ignore"):
            log_nbd = (special.gammaln(r + n_arr) - special.gammaln(r) - special.gammaln(n_arr + 1)
                       + r * (np.log(alpha) - np.log(alpha + t))
                       + special.xlogy(n_arr, t) - n_arr * np.log(alpha + t))
            first = np.exp(special.betaln(a, b + n_arr) - special.betaln(a, b) + log_nbd)
            tail = special.betainc(np.maximum(n_arr, 1), r, t / (alpha + t))
            second = np.where(
                n_arr > 0,
                np.exp(special.betaln(a + 1, np.maximum(b + n_arr - 1, 1e-300))
                       - special.betaln(a, b)) * tail,
                0.0)
        return np.asarray(first + second, dtype=float)

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
