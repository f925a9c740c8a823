"""The Gamma-Gamma model of spend per transaction, Fader & Hardie (2013), "The Gamma-Gamma
model of monetary value" (note). The value of each transaction is Gamma(p, ν) with
ν ~ Gamma(q, γ); the parameter γ is called ``v`` in :attr:`GammaGammaFit.params`."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeykit.analytics.clv._common import _array, _minimize, _require_columns
from journeykit.core.errors import JourneykitError

__all__ = ["GammaGammaFit", "fit_gamma_gamma"]


def _gamma_gamma_log_likelihood(
    p: float, q: float, v: float, x: np.ndarray, zbar: np.ndarray
) -> np.ndarray:
    """Per-customer log density of the mean spend zbar over x transactions
    (Fader & Hardie 2013, equation 5)."""
    from scipy import special  # function-level: scipy.special is only needed when a model is used

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
