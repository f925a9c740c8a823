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

Checking the model on time it has not seen (:mod:`~journeykit.analytics.clv.holdout`):
:func:`calibration_and_holdout` splits the orders, :func:`repeat_purchase_tracking` gives
the expected against the actual cumulative repeat purchases (FHL 2005's tracking plot).
"""

from journeykit.analytics.clv._common import DAYS_PER_UNIT, TimeUnit
from journeykit.analytics.clv.bgnbd import BGNBDFit, fit_bgnbd, predict_clv
from journeykit.analytics.clv.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from journeykit.analytics.clv.historical import HistoricalCLV, historical_clv
from journeykit.analytics.clv.holdout import calibration_and_holdout, repeat_purchase_tracking
from journeykit.analytics.clv.rfm import rfm_summary

__all__ = [
    "DAYS_PER_UNIT",
    "BGNBDFit",
    "GammaGammaFit",
    "HistoricalCLV",
    "TimeUnit",
    "calibration_and_holdout",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "historical_clv",
    "predict_clv",
    "repeat_purchase_tracking",
    "rfm_summary",
]
