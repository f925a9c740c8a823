"""Tests for journeykit.analytics.clv against published results on the public CDNOW sample.

References:
* Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
  Science 24(2): BG/NBD on the CDNOW 39-week calibration data gives r = 0.243,
  alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4; for a customer with x = 2,
  t_x = 30.43, T = 38.86 the expected purchases in the next 39 weeks are 1.226.
* Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": on the 946
  CDNOW repeat customers p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from journeykit.analytics.clv import (
    BGNBDFit,
    fit_bgnbd,
    fit_gamma_gamma,
    historical_clv,
    predict_clv,
    rfm_summary,
)
from journeykit.core.errors import JourneykitError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """Hardie's published calibration summary: ID, frequency, recency, T (weeks)."""
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_spend() -> pd.DataFrame:
    """Hardie's published spend summary: ID, x, t_x, T, zbar (mean repeat spend, $)."""
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def cdnow_orders() -> pd.DataFrame:
    """The raw CDNOW sample: master id, sample id, yyyymmdd, CDs bought, dollars."""
    raw = pd.read_csv(
        DATA / "cdnow_sample.txt", sep=r"\s+", header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    raw["customer_id"] = raw["customer_id"].str.lstrip("0")
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_summary) -> BGNBDFit:
    return fit_bgnbd(cdnow_summary, time_unit="W")


# ----------------------------------------------------------------- BG/NBD


def test_bgnbd_reproduces_fader_hardie_lee_2005_on_cdnow(cdnow_fit):
    params = cdnow_fit.params
    assert params["r"] == pytest.approx(0.243, abs=0.0006)
    assert params["alpha"] == pytest.approx(4.414, abs=0.0006)
    assert params["a"] == pytest.approx(0.793, abs=0.0006)
    assert params["b"] == pytest.approx(2.426, abs=0.0006)
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.06)
    assert cdnow_fit.n == 2357
    assert cdnow_fit.converged


def test_conditional_expectation_matches_the_paper_example(cdnow_fit):
    # FHL 2005, section 4: x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in 39 weeks
    expected = cdnow_fit.expected_purchases(39, 2, 30.43, 38.86)
    assert float(expected) == pytest.approx(1.226, abs=0.001)


def test_probability_alive_behaves_as_the_model_says(cdnow_fit):
    # no repeat purchase: the BG/NBD customer cannot have dropped out yet
    assert float(cdnow_fit.probability_alive(0, 0, 38.86)) == pytest.approx(1.0)
    # same history, but a longer silence since the last purchase -> less likely alive
    p = cdnow_fit.probability_alive([3, 3, 3], [10.0, 10.0, 10.0], [12.0, 20.0, 38.0])
    assert np.all(np.diff(p) < 0) and np.all((p > 0) & (p < 1))
    # independent check of the closed form 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
    r, alpha, a, b = (cdnow_fit.params[k] for k in ("r", "alpha", "a", "b"))
    by_hand = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert float(cdnow_fit.probability_alive(2, 30.43, 38.86)) == pytest.approx(by_hand)


def test_expected_purchases_agree_with_simulation_from_the_model():
    """Monte Carlo from the BG/NBD story itself, independent of the closed form."""
    model = BGNBDFit(params={"r": 0.5, "alpha": 5.0, "a": 2.0, "b": 3.0},
                     log_likelihood=0.0, n=0)
    rng = np.random.default_rng(7)
    draws = 200_000
    lam = rng.gamma(0.5, 1 / 5.0, draws)
    p = rng.beta(2.0, 3.0, draws)
    # a new customer: purchases in (0, t] until dropping out after some purchase
    t = 20.0
    counts = np.zeros(draws)
    clock = np.zeros(draws)
    alive = np.ones(draws, dtype=bool)
    for _ in range(60):
        clock = clock + rng.exponential(1 / lam)
        bought = alive & (clock <= t)
        counts += bought
        alive = bought & (rng.random(draws) >= p)
    assert float(model.expected_purchases_new_customer(t)) == pytest.approx(
        counts.mean(), rel=0.02
    )


def test_fit_recovers_parameters_of_simulated_customers():
    rng = np.random.default_rng(11)
    true = {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 4.0}
    customers = 4000
    big_t = rng.uniform(20, 52, customers)
    lam = rng.gamma(true["r"], 1 / true["alpha"], customers)
    p = rng.beta(true["a"], true["b"], customers)
    x = np.zeros(customers)
    t_x = np.zeros(customers)
    clock = np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    for _ in range(200):
        clock = clock + rng.exponential(1 / lam)
        bought = alive & (clock <= big_t)
        x += bought
        t_x = np.where(bought, clock, t_x)
        alive = bought & (rng.random(customers) >= p)
    summary = pd.DataFrame({"frequency": x, "recency": t_x, "T": big_t})
    fit = fit_bgnbd(summary)
    assert fit.params["r"] == pytest.approx(true["r"], rel=0.2)
    assert fit.params["alpha"] == pytest.approx(true["alpha"], rel=0.25)
    # mean purchase rate is the best-identified quantity
    assert fit.params["r"] / fit.params["alpha"] == pytest.approx(
        true["r"] / true["alpha"], rel=0.1
    )


def test_bgnbd_rejects_impossible_histories():
    with pytest.raises(JourneykitError, match="recency must be <= T"):
        fit_bgnbd(pd.DataFrame({"frequency": [1, 2], "recency": [5.0, 30.0], "T": [10.0, 20.0]}))
    with pytest.raises(JourneykitError, match="frequency must be >= 0"):
        fit_bgnbd(pd.DataFrame({"frequency": [-1, 2], "recency": [0.0, 3.0], "T": [10.0, 20.0]}))
    with pytest.raises(JourneykitError, match="recency must be 0"):
        fit_bgnbd(pd.DataFrame({"frequency": [0], "recency": [3.0], "T": [10.0]}))
    with pytest.raises(JourneykitError, match="no column.*'T'"):
        fit_bgnbd(pd.DataFrame({"frequency": [0], "recency": [0.0]}))


def test_expected_purchases_validates_t(cdnow_fit):
    with pytest.raises(JourneykitError, match="t .*>= 0"):
        cdnow_fit.expected_purchases(-1, 1, 2.0, 10.0)


# ----------------------------------------------------------------- Gamma-Gamma


def test_gamma_gamma_reproduces_fader_hardie_2013(cdnow_spend):
    summary = cdnow_spend.rename(columns={"x": "frequency", "zbar": "monetary_value"})
    fit = fit_gamma_gamma(summary)
    assert fit.n == 946  # repeat customers only
    assert fit.params["p"] == pytest.approx(6.25, abs=0.006)
    assert fit.params["q"] == pytest.approx(3.74, abs=0.006)
    assert fit.params["v"] == pytest.approx(15.44, abs=0.01)
    assert fit.converged


def test_gamma_gamma_expectation_shrinks_towards_the_population_mean(cdnow_spend):
    summary = cdnow_spend.rename(columns={"x": "frequency", "zbar": "monetary_value"})
    fit = fit_gamma_gamma(summary)
    p, q, v = fit.params["p"], fit.params["q"], fit.params["v"]
    assert fit.population_mean == pytest.approx(p * v / (q - 1))
    # frequency 0 -> nothing known -> the population mean
    assert float(fit.expected_average_value(0, 0.0)) == pytest.approx(fit.population_mean)
    # one purchase of $100: between the population mean and $100, closer to $100 with more
    one, ten = fit.expected_average_value([1, 10], [100.0, 100.0])
    assert fit.population_mean < one < ten < 100.0


def test_gamma_gamma_leaves_out_zero_spend_with_a_warning():
    summary = pd.DataFrame({
        "frequency": [1, 2, 3, 1, 0, 4],
        "monetary_value": [10.0, 20.0, 15.0, 0.0, 0.0, 12.0],
    })
    with pytest.warns(UserWarning, match="1 repeat customer"):
        fit = fit_gamma_gamma(summary)
    assert fit.n == 4 and fit.excluded == 1


# ----------------------------------------------------------------- RFM summary


def test_rfm_summary_rebuilds_hardies_summary_from_raw_transactions(cdnow_orders, cdnow_spend):
    summary = rfm_summary(cdnow_orders, observation_end="1997-09-30", freq="D", time_unit="W")
    assert len(summary) == 2357
    assert summary.attrs["time_unit"] == "W"
    mine = summary.set_index("customer_id")
    published = cdnow_spend.set_index(cdnow_spend["ID"].astype(str))
    mine = mine.loc[published.index]
    assert (mine["frequency"].to_numpy() == published["x"].to_numpy()).all()
    # the published file is rounded to 2 decimals
    np.testing.assert_allclose(mine["recency"], published["t_x"], atol=0.0051)
    np.testing.assert_allclose(mine["T"], published["T"], atol=0.0051)
    np.testing.assert_allclose(mine["monetary_value"], published["zbar"], atol=0.0051)


def test_bgnbd_on_our_own_summary_gives_the_published_parameters(cdnow_orders):
    summary = rfm_summary(cdnow_orders, observation_end="1997-09-30")
    fit = fit_bgnbd(summary)  # time unit taken from summary.attrs
    assert fit.time_unit == "W"
    assert fit.params["r"] == pytest.approx(0.243, abs=0.001)
    assert fit.params["alpha"] == pytest.approx(4.414, abs=0.005)
    assert fit.params["a"] == pytest.approx(0.793, abs=0.002)
    assert fit.params["b"] == pytest.approx(2.426, abs=0.005)


def test_rfm_summary_conventions_on_a_tiny_example():
    orders = pd.DataFrame({
        "client": ["a", "a", "a", "b", "c"],
        "when": pd.to_datetime(
            ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-15 00:00", "2024-01-08 00:00",
             "2024-03-01 00:00"]
        ).as_unit("us"),
        "eur": [10.0, 5.0, 30.0, 7.0, 99.0],
    })
    summary = rfm_summary(orders, customer="client", date="when", amount="eur",
                          observation_end="2024-01-29", time_unit="D")
    assert list(summary["client"]) == ["a", "b"]  # c bought after the end: ignored
    a, b = summary.iloc[0], summary.iloc[1]
    # two orders on Jan 1 are one purchase; the repeat purchase is Jan 15
    assert (a["frequency"], a["recency"], a["T"], a["monetary_value"]) == (1, 14.0, 28.0, 30.0)
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0.0, 21.0, 0.0)


def test_rfm_summary_names_missing_columns_and_bad_values():
    orders = pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"]})
    with pytest.raises(JourneykitError, match="no column.*'amount'"):
        rfm_summary(orders)
    bad = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "yesterday"],
                        "amount": [1.0, 2.0]})
    with pytest.raises(JourneykitError, match="not dates.*yesterday"):
        rfm_summary(bad)
    with pytest.raises(JourneykitError, match="time_unit"):
        rfm_summary(orders.assign(amount=1.0), time_unit="fortnight")


# ----------------------------------------------------------------- CLV


def test_undiscounted_clv_is_spend_times_expected_purchases(cdnow_fit, cdnow_spend):
    summary = cdnow_spend.rename(columns={"x": "frequency", "t_x": "recency",
                                          "zbar": "monetary_value"}).head(50)
    spend = fit_gamma_gamma(cdnow_spend.rename(columns={"x": "frequency",
                                                        "zbar": "monetary_value"}))
    args = (summary["frequency"], summary["recency"], summary["T"])
    clv0 = cdnow_fit.customer_lifetime_value(
        spend, *args, summary["monetary_value"], months=12, monthly_discount_rate=0.0
    )
    weeks = 12 * (365.25 / 12) / 7
    direct = spend.expected_average_value(summary["frequency"], summary["monetary_value"]) * (
        cdnow_fit.expected_purchases(weeks, *args)
    )
    np.testing.assert_allclose(clv0, direct, rtol=1e-9)
    discounted = cdnow_fit.customer_lifetime_value(
        spend, *args, summary["monetary_value"], months=12, monthly_discount_rate=0.02
    )
    assert np.all(discounted < clv0) and np.all(discounted > 0)


def test_predict_clv_table(cdnow_fit, cdnow_orders):
    summary = rfm_summary(cdnow_orders, observation_end="1997-09-30")
    spend = fit_gamma_gamma(summary)
    table = predict_clv(cdnow_fit, spend, summary, months=6)
    assert list(table.columns[-4:]) == [
        "probability_alive", "expected_purchases", "expected_average_value", "clv"
    ]
    assert len(table) == len(summary)
    assert table["probability_alive"].between(0, 1).all()
    assert (table["clv"] >= 0).all()


def test_clv_checks_its_arguments(cdnow_fit):
    with pytest.raises(JourneykitError, match="fit_gamma_gamma"):
        cdnow_fit.customer_lifetime_value(None, 1, 2.0, 10.0, 20.0)


# ----------------------------------------------------------------- historical CLV


def _orders(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["order_id"] = [f"o{i}" for i in range(len(frame))]
    return frame


def test_historical_clv_with_a_given_lifespan():
    orders = _orders([
        ("a", "2023-01-01", 40.0), ("a", "2023-06-01", 60.0),
        ("b", "2023-03-01", 20.0), ("b", "2023-12-31", 80.0),
    ])
    result = historical_clv(orders, lifespan_years=3, currency="EUR")
    years = 365 / 365.25  # 2023-01-01 .. 2023-12-31 inclusive
    assert result.average_order_value == pytest.approx(50.0)
    assert result.purchase_frequency == pytest.approx(2 / years)
    assert result.clv == pytest.approx(50.0 * (2 / years) * 3)
    assert result.lifespan_source == "given"
    assert "average order value EUR 50.00" in result.formula
    assert f"= EUR {result.clv:,.2f}" in result.formula


def test_historical_clv_estimates_lifespan_from_retention():
    # 2023-01-01 .. 2024-12-31 = 731 days -> two windows of 365 days; the second
    # window starts 2024-01-02. a, b, c, d bought in the first; a and b came back.
    orders = _orders([
        ("a", "2023-06-01", 10.0), ("b", "2023-06-01", 10.0),
        ("c", "2023-06-01", 10.0), ("d", "2023-06-01", 10.0),
        ("a", "2024-06-01", 10.0), ("b", "2024-06-01", 10.0),
        ("e", "2023-01-01", 10.0), ("e", "2024-12-31", 10.0),
    ])
    result = historical_clv(orders)
    assert result.window_days == 365
    assert result.retention_rate == pytest.approx(2 / 4)
    assert result.lifespan_years == pytest.approx((365 / 365.25) / 0.5)
    assert "retention 50%" in result.formula


def test_historical_clv_caps_a_lifespan_without_churn():
    orders = _orders([("a", "2023-01-01", 10.0), ("a", "2023-12-30", 10.0)])
    result = historical_clv(orders, max_lifespan_years=5)
    assert result.lifespan_years == 5
    assert "capped" in result.formula


def test_historical_clv_errors_are_clear():
    with pytest.raises(JourneykitError, match="no rows"):
        historical_clv(_orders([]))
    short = _orders([("a", "2024-01-01", 10.0), ("a", "2024-01-03", 10.0)])
    with pytest.raises(JourneykitError, match="lifespan_years="):
        historical_clv(short)
    with pytest.raises(JourneykitError, match="negative"):
        historical_clv(_orders([("a", "2024-01-01", -10.0)]), lifespan_years=1)
