"""Tests for the BG/NBD model check: P(X(t) = n), the calibration/holdout split, the
tracking of cumulative repeat purchases (journeykit.analytics.clv.holdout) and its chart,
and P(alive) on the persona cards — against published values and independent counts.

Published values used (written here as constants):
* Fader, Hardie & Lee (2005), CDNOW 39-week calibration: r = 0.243, alpha = 4.414,
  a = 0.793, b = 2.426; 2,357 customers making 2,457 repeat purchases in the calibration
  period (the sum of the frequency column of Hardie's published summary).
* P(X(t) = n) with those parameters, from R's BTYD package (as checked in lifetimes'
  test suite, tests/test_estimation.py::test_probability_of_n_purchases_up_to_time_same_as_R_BTYD):
  P(X(2) = 10) = 1.07869e-07, P(X(39) = 0) = 0.5737864, and P(X(30) = n) for n = 11…20.
* E[X(t)] for a new customer on the fitted CDNOW model, from Hardie's BG/NBD Excel sheet
  (lifetimes, test_expectation_returns_same_value_Hardie_excel_sheet).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from journeykit.analytics.clv import (
    BGNBDFit,
    calibration_and_holdout,
    fit_bgnbd,
    repeat_purchase_tracking,
)
from journeykit.analytics.clv.customers import customers_clv
from journeykit.analytics.definitions import semantics
from journeykit.analytics.personas import persona_cards
from journeykit.core.errors import JourneykitError
from journeykit.viz.clv_charts import tracking_chart
from journeykit.workspace import load_workspace
from tests.conftest import write_workspace

DATA = Path(__file__).parent / "data"
CDNOW_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_CUSTOMERS = 2357
CDNOW_CALIBRATION_REPEATS = 2457
BTYD_PMF_T30_N11_20 = [0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                       0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260]
HARDIE_TIMES = [0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00]
HARDIE_EXPECTED = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]


@pytest.fixture(scope="module")
def cdnow_orders() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "cdnow_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"])
    raw["customer_id"] = raw["customer_id"].astype(str)
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return raw


@pytest.fixture(scope="module")
def published_summary() -> pd.DataFrame:
    summary = pd.read_csv(DATA / "cdnow_customers_summary.csv")
    summary["ID"] = summary["ID"].astype(str)
    return summary.set_index("ID")


@pytest.fixture(scope="module")
def split(cdnow_orders) -> pd.DataFrame:
    return calibration_and_holdout(cdnow_orders, "1997-09-30", "1998-06-30")


@pytest.fixture(scope="module")
def published_model() -> BGNBDFit:
    return BGNBDFit(params=CDNOW_PARAMS, log_likelihood=0.0, n=CDNOW_CUSTOMERS)


# -- P(X(t) = n) ------------------------------------------------------------------------------


def test_probability_of_purchases_matches_r_btyd(published_model):
    assert float(published_model.probability_of_purchases(2, 10)) == pytest.approx(
        1.07869e-07, rel=1e-4)
    assert float(published_model.probability_of_purchases(39, 0)) == pytest.approx(
        0.5737864, abs=1e-6)
    pmf = published_model.probability_of_purchases(30, np.arange(11, 21))
    np.testing.assert_allclose(pmf, BTYD_PMF_T30_N11_20, rtol=1e-5)


def test_probability_of_purchases_is_a_distribution_with_the_model_mean(published_model):
    n = np.arange(0, 3000)
    for t in (1.0, 39.0, 78.0):
        pmf = published_model.probability_of_purchases(t, n)
        assert (pmf >= 0).all()
        assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
        # equation (8)'s mean is equation (9): two closed forms, one answer
        assert (n * pmf).sum() == pytest.approx(
            float(published_model.expected_purchases_new_customer(t)), rel=1e-9)


def test_probability_of_purchases_rejects_bad_counts(published_model):
    with pytest.raises(JourneykitError, match="whole numbers"):
        published_model.probability_of_purchases(10, 1.5)
    with pytest.raises(JourneykitError, match="t "):
        published_model.probability_of_purchases(-1, 1)


def test_expected_purchases_of_a_new_customer_match_hardies_sheet(split):
    model = fit_bgnbd(split)
    np.testing.assert_allclose(model.expected_purchases_new_customer(np.array(HARDIE_TIMES)),
                               HARDIE_EXPECTED, atol=1.5e-3)


def test_probability_alive_of_a_very_frequent_buyer_long_gone_is_zero_without_warnings(
        published_model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(published_model.probability_alive(1000, 10, 100)) == pytest.approx(0.0, abs=1e-300)


# -- calibration and holdout ----------------------------------------------------------------


def test_calibration_part_is_hardies_published_summary(split, published_summary):
    assert len(split) == CDNOW_CUSTOMERS
    assert int(split["frequency"].sum()) == CDNOW_CALIBRATION_REPEATS
    mine = split.set_index("customer_id").loc[published_summary.index]
    np.testing.assert_array_equal(mine["frequency"], published_summary["frequency"])
    np.testing.assert_allclose(mine["recency"], published_summary["recency"], atol=0.006)
    np.testing.assert_allclose(mine["T"], published_summary["T"], atol=0.006)
    # fitted to the calibration part, BG/NBD gives the paper's parameters
    fit = fit_bgnbd(split)
    for name, value in CDNOW_PARAMS.items():
        assert fit.params[name] == pytest.approx(value, abs=0.001)


def test_holdout_counts_are_purchase_days_after_the_calibration_end(split, cdnow_orders):
    days = cdnow_orders.assign(day=cdnow_orders["date"].dt.normalize())
    hold = days[(days["day"] > "1997-09-30") & (days["day"] <= "1998-06-30")]
    by_hand = hold.groupby("customer_id")["day"].nunique()
    mine = split.set_index("customer_id")["frequency_holdout"]
    np.testing.assert_array_equal(mine.to_numpy(), by_hand.reindex(mine.index).fillna(0).to_numpy())
    assert (split["duration_holdout"] == 39.0).all()
    spent = hold.groupby(["customer_id", "day"])["amount"].sum().groupby("customer_id").mean()
    np.testing.assert_allclose(split.set_index("customer_id")["monetary_value_holdout"],
                               spent.reindex(mine.index).fillna(0.0))


def test_split_boundaries_and_customers_first_seen_in_the_holdout():
    # lifetimes' boundary example (tests/test_utils.py): the end days are included
    orders = pd.DataFrame([
        [1, "2015-01-01"], [1, "2015-02-06"], [2, "2015-01-01"], [3, "2015-01-01"],
        [3, "2015-01-02"], [3, "2015-01-05"], [4, "2015-01-16"], [4, "2015-02-02"],
        [4, "2015-02-05"], [5, "2015-01-16"], [5, "2015-01-17"], [5, "2015-01-18"],
        [6, "2015-02-02"]], columns=["customer_id", "date"])
    split = calibration_and_holdout(orders, "2015-02-01", "2015-02-04", amount=None,
                                    time_unit="D")
    holdout = split.set_index("customer_id")["frequency_holdout"]
    assert holdout.to_dict() == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert split.attrs["new_in_holdout"] == 1  # customer 6 first bought in the holdout
    assert split.set_index("customer_id").loc["3", "T"] == 31.0
    assert (split["duration_holdout"] == 3.0).all()


def test_split_names_impossible_periods():
    orders = pd.DataFrame({"customer_id": ["a"], "date": ["2024-03-01"], "amount": [1.0]})
    with pytest.raises(JourneykitError, match="must come after calibration_end"):
        calibration_and_holdout(orders, "2024-03-01", "2024-02-01")
    with pytest.raises(JourneykitError, match="no rows on or before calibration_end"):
        calibration_and_holdout(orders, "2024-01-01", "2024-06-01")
    with pytest.raises(JourneykitError, match="not a date"):
        calibration_and_holdout(orders, "soon", "2024-06-01")


# -- tracking -----------------------------------------------------------------------------


def test_tracking_on_cdnow_matches_the_calibration_summary_and_the_raw_counts(
        cdnow_orders, split, published_summary):
    model = fit_bgnbd(split)
    tracking = repeat_purchase_tracking(model, cdnow_orders, calibration_end="1997-09-30",
                                        observation_end="1998-06-30")
    assert len(tracking) == 78  # weeks 1-78 of FHL's figure
    assert tracking["t"].tolist() == pytest.approx(list(range(1, 79)))
    week39 = tracking.iloc[38]
    assert week39["date"] == pd.Timestamp("1997-09-30") and not week39["holdout"]
    assert tracking["holdout"].sum() == 39
    assert week39["actual"] == CDNOW_CALIBRATION_REPEATS
    # at the calibration end the expectation is eq. (9) over the published T's
    assert week39["expected"] == pytest.approx(
        float(model.expected_purchases_new_customer(published_summary["T"].to_numpy()).sum()),
        rel=2e-4)
    assert tracking.iloc[-1]["actual"] == CDNOW_CALIBRATION_REPEATS + split["frequency_holdout"].sum()
    assert (np.diff(tracking["expected"]) > 0).all()
    assert tracking["actual_in_period"].sum() == tracking.iloc[-1]["actual"]
    # the model tracks the holdout within 5 % (FHL 2005, figure 3)
    assert tracking.iloc[-1]["expected"] == pytest.approx(tracking.iloc[-1]["actual"], rel=0.05)


def test_tracking_by_hand_on_three_customers(published_model):
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "c"],
        "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 15:00", "2024-01-10 10:00",
                                "2024-01-05 11:00", "2024-01-20 12:00", "2024-01-12 13:00"]),
    })
    tracking = repeat_purchase_tracking(published_model, orders, calibration_end="2024-01-07",
                                        observation_end="2024-01-21")
    assert tracking["date"].dt.strftime("%m-%d").tolist() == ["01-07", "01-14", "01-21"]
    # c first bought after the calibration end: not in the cohort; a's second order on
    # its first day is not a repeat purchase
    assert tracking["actual"].tolist() == [0, 1, 2]
    e = published_model.expected_purchases_new_customer
    for row, end_day in zip(tracking.itertuples(), (6, 13, 20), strict=True):
        by_hand = float(e(end_day / 7)) + float(e((end_day - 4) / 7))
        assert row.expected == pytest.approx(by_hand)
    assert tracking["holdout"].tolist() == [False, True, True]


def test_tracking_chart_draws_both_lines(cdnow_orders, split):
    model = fit_bgnbd(split)
    tracking = repeat_purchase_tracking(model, cdnow_orders, calibration_end="1997-09-30",
                                        observation_end="1998-06-30")
    fig = tracking_chart(tracking)
    ax = fig.axes[0]
    assert ax.get_title(loc="left").startswith("Repeat purchases")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "Actual" in labels and "Expected (BG/NBD)" in labels
    actual = next(line for line in ax.get_lines() if line.get_label() == "Actual")
    assert list(actual.get_ydata()) == tracking["actual"].tolist()
    with pytest.raises(JourneykitError, match="lacks column"):
        tracking_chart(tracking.drop(columns="expected"))


def test_definitions_say_how_the_model_is_checked():
    text = semantics().set_index("topic").loc["Customer lifetime value", "definition"]
    assert "holdout" in text and "P(alive)" in text and "P(X(t) = n)" in text


# -- P(alive) on the persona cards ------------------------------------------------------------


def _repeat_buyers_workspace(tmp_path):
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2025-01-01")
    customers, orders = [], []
    for i in range(120):
        cid = f"c{i:03d}"
        persona = "p_often" if i < 60 else "p_rare"
        customers.append((cid, persona))
        gap = 20 if persona == "p_often" else 120
        day = float(rng.uniform(0, 60))
        for j in range(int(rng.integers(1, 8 if persona == "p_often" else 3))):
            orders.append((f"o{i}_{j}", cid, start + pd.Timedelta(days=day), 20.0 + 10 * j))
            day += float(rng.exponential(gap))
    journey = ("business: Test shop\ncurrency: EUR\nstages:\n  - {id: purchase, name: Purchase}\n"
               "channels: [store]\nowners: [Sales]\n")
    personas = pd.DataFrame({"id": ["p_often", "p_rare"], "name": ["Often", "Rare"]})
    touchpoints = pd.DataFrame({"id": ["tp_shop"], "stage": ["purchase"], "channel": ["store"],
                                "name": ["Shop"], "owner": ["Sales"]})
    table = pd.DataFrame(customers, columns=["customer_id", "persona_id"]).assign(
        first_seen="2025-01-01")
    files = {"journey.yaml": journey, "personas.csv": personas.to_csv(index=False),
             "touchpoints.csv": touchpoints.to_csv(index=False),
             "customers.csv": table.to_csv(index=False),
             "orders.csv": pd.DataFrame(orders, columns=["order_id", "customer_id", "date", "amount"])
             .to_csv(index=False)}
    return load_workspace(write_workspace(tmp_path / "ws", **files))


def test_persona_cards_carry_the_mean_probability_alive_of_their_customers(tmp_path):
    ws = _repeat_buyers_workspace(tmp_path)
    cards = persona_cards(ws).set_index("id")
    per_customer = customers_clv(ws).set_index("customer_id")["probability_alive"]
    persona_of = ws.customers.set_index("customer_id")["persona_id"]
    for pid in ("p_often", "p_rare"):
        members = persona_of.index[persona_of == pid]
        assert cards.loc[pid, "probability_alive"] == pytest.approx(
            per_customer.reindex(members).dropna().mean())
        assert 0 <= cards.loc[pid, "probability_alive"] <= 1
