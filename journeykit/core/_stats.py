"""The one home of the confidence intervals journeykit reports.

* :func:`wilson_interval` for a share (CSAT, conversion, repeat rate);
* :func:`t_interval` for a mean (CES, sentiment, order value), Student's t.

Both clip to the scale they are given and always contain the estimate (no
floating-point slivers at the edges). NPS has its own adjusted-Wald interval in
:mod:`journeykit.analytics.kpis`.

Example:
    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 3), round(high, 3)
    (0.49, 0.943)
"""

from __future__ import annotations

import math
import statistics

import numpy as np

from journeykit.core.errors import JourneykitError

__all__ = ["t_interval", "wilson_interval", "z_value"]


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (0.95 -> 1.96)."""
    if not (0 < confidence < 1):
        raise JourneykitError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return statistics.NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the share ``successes / n``; (NaN, NaN) when ``n == 0``."""
    if n <= 0:
        return math.nan, math.nan
    z = z_value(confidence)
    share = successes / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return min(share, max(0.0, centre - half)), max(share, min(1.0, centre + half))


def t_interval(
    values: np.ndarray, confidence: float = 0.95, low: float = -math.inf, high: float = math.inf
) -> tuple[float, float, float, float]:
    """(mean, standard deviation, interval low, interval high) of ``values`` with Student's t,
    the interval clipped to ``[low, high]`` (the answer scale). NaN where ``n`` is too small
    (no mean for 0 values, no spread or interval for 1)."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n == 1:
        return mean, math.nan, math.nan, math.nan
    sd = float(values.std(ddof=1))
    z_value(confidence)
    from scipy import special  # the t quantile; scipy.special imports far faster than scipy.stats

    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * sd / math.sqrt(n)
    return mean, sd, min(mean, max(low, mean - half)), max(mean, min(high, mean + half))
