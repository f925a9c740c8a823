"""Tests for journeykit.analytics.kpis: survey KPIs, KPI tables, the workspace's KPIs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from journeykit.analytics.kpis import (
    ces,
    csat,
    kpi_table,
    nps,
    workspace_metrics,
)
from journeykit.core.errors import JourneykitError

# ----------------------------------------------------------------- NPS


def test_nps_counts_and_score_and_invalid_answers():
    answers = [10, 9, "9", " 8 ", 7.0, 6, 0,  # 7 valid: 3 promoters, 2 passives, 2 detractors
               "#ERROR!", "N/A", "", None, np.nan, 11, 7.5, -1, True]
    result = nps(answers)
    assert (result.n, result.promoters, result.passives, result.detractors) == (7, 3, 2, 2)
    assert result.score == pytest.approx(100 * (3 - 2) / 7)
    assert result.invalid == 9
    assert result.blank == 3  # "", None, NaN
    assert result.promoter_share == pytest.approx(3 / 7)
    assert result.value == result.score


@pytest.mark.parametrize(
    "scores",
    [
        pd.Series([10, 9, 3, None], dtype="Int64"),
        pd.Series(["10", "9", "3", None], dtype="string"),
        pd.Series(["10", 9, 3.0, "oops"], dtype=object),
        np.array([10.0, 9.0, 3.0, np.nan]),
        (10, 9, 3, "n/a"),
    ],
    ids=["Int64", "string", "object", "float-array", "tuple"],
)
def test_nps_accepts_any_container_and_dtype(scores):
    result = nps(scores)
    assert (result.n, result.invalid, result.promoters, result.detractors) == (3, 1, 2, 1)
    assert result.score == pytest.approx(100 / 3)


def test_nps_interval_is_rocks_adjusted_wald():
    # written out independently: n~ = n + 3, 3/4 added to promoters and detractors
    promoters, passives, detractors = 18, 10, 8
    result = nps([10] * promoters + [7] * passives + [2] * detractors)
    n_adj = promoters + passives + detractors + 3
    pp, pd_ = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    se = math.sqrt((pp + pd_ - (pp - pd_) ** 2) / n_adj)
    assert result.ci_low == pytest.approx(100 * (pp - pd_ - 1.959964 * se), abs=1e-4)
    assert result.ci_high == pytest.approx(100 * (pp - pd_ + 1.959964 * se), abs=1e-4)
    assert result.ci_low < result.score < result.ci_high


def test_nps_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    shares = [0.2, 0.3, 0.5]  # detractor, passive, promoter
    truth = 100 * (shares[2] - shares[0])
    covered = 0
    reps = 1000
    for _ in range(reps):
        sample = rng.choice([3, 8, 10], size=40, p=shares)
        result = nps(sample)
        covered += result.ci_low <= truth <= result.ci_high
    assert 0.93 <= covered / reps <= 0.975


def test_nps_interval_is_clipped_and_empty_input_is_nan():
    all_promoters = nps([10, 10, 9, 10])
    assert all_promoters.score == 100 and all_promoters.ci_high <= 100
    assert -100 <= all_promoters.ci_low < 100
    one_detractor = nps([0])
    assert one_detractor.ci_low == -100 and one_detractor.ci_high > 0
    nothing = nps(["", "#ERROR!"])
    assert nothing.n == 0 and nothing.invalid == 2
    assert math.isnan(nothing.score) and math.isnan(nothing.ci_low)
    assert nps([]).n == 0


def test_nps_rejects_a_table_or_text():
    with pytest.raises(JourneykitError, match="one column"):
        nps(pd.DataFrame({"nps": [1, 2]}))
    with pytest.raises(JourneykitError, match="list, Series or array"):
        nps("10")


# ----------------------------------------------------------------- CSAT and CES


def test_csat_top2_uses_the_wilson_interval():
    answers = [5] * 30 + [4] * 12 + [3] * 5 + [1] * 3 + ["", "six"]
    result = csat(answers)
    assert (result.n, result.invalid, result.satisfied) == (50, 2, 42)
    assert result.value == pytest.approx(42 / 50)
    wilson = stats.binomtest(42, 50).proportion_ci(0.95, method="wilson")
    assert result.ci_low == pytest.approx(wilson.low)
    assert result.ci_high == pytest.approx(wilson.high)


def test_csat_mean_and_ces_use_student_t():
    answers = [5, 4, 4, 3, 2, 5]
    result = csat(answers, definition="mean")
    low, high = stats.t.interval(0.95, df=5, loc=np.mean(answers), scale=stats.sem(answers))
    assert result.value == pytest.approx(np.mean(answers))
    assert high > 5  # the t interval leaves the 1-5 scale: clipped to it
    assert (result.ci_low, result.ci_high) == pytest.approx((low, 5.0))

    effort = [7, 6, 6, 5, 3, 8, 0]  # 8 and 0 are off the 1-7 scale
    result = ces(effort)
    valid = [7, 6, 6, 5, 3]
    low, high = stats.t.interval(0.95, df=4, loc=np.mean(valid), scale=stats.sem(valid))
    assert (result.n, result.invalid) == (5, 2)
    assert result.value == pytest.approx(np.mean(valid))
    assert (result.ci_low, result.ci_high) == pytest.approx((max(1, low), min(7, high)))


def test_csat_rejects_an_unknown_definition():
    with pytest.raises(JourneykitError, match="top2"):
        csat([5], definition="top3")


def test_single_answer_has_no_interval():
    result = ces([4])
    assert result.value == 4 and result.n == 1 and math.isnan(result.ci_low)


# ----------------------------------------------------------------- KPI table


@pytest.fixture
def feedback() -> pd.DataFrame:
    rows = []
    for i in range(40):
        rows.append({"customer_id": f"c{i % 4}", "date": f"2024-01-{1 + i % 28:02d}",
                     "stage": "decision", "nps": 10 if i % 2 else 5, "csat": 5, "ces": 6})
    rows += [
        {"customer_id": "c1", "date": "2024-03-05", "stage": "awareness", "nps": 9,
         "csat": None, "ces": None},
        {"customer_id": "c2", "date": "2024-03-06", "stage": None, "nps": 2,
         "csat": 1, "ces": None},
    ]
    frame = pd.DataFrame(rows)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["stage"] = frame["stage"].astype("string")
    for column in ("nps", "csat", "ces"):
        frame[column] = frame[column].astype("Int64")
    return frame


def test_kpi_table_by_stage_with_empty_levels_and_flags(feedback):
    levels = {"stage": ["awareness", "consideration", "decision"]}
    table = kpi_table(feedback, by=["stage"], levels=levels)
    assert list(table.columns) == ["stage", "kpi", "value", "n", "ci_low", "ci_high",
                                   "small_sample"]
    nps_rows = table[table["kpi"] == "nps"].reset_index(drop=True)
    # configured order first, then answers without a stage
    assert list(nps_rows["stage"].astype(object).fillna("<NA>")) == [
        "awareness", "consideration", "decision", "<NA>"]
    empty = nps_rows.iloc[1]
    assert empty["n"] == 0 and math.isnan(empty["value"]) and empty["small_sample"]
    decision = nps_rows.iloc[2]
    assert decision["n"] == 40 and not decision["small_sample"]
    assert decision["value"] == pytest.approx(nps(feedback["nps"][:40]).score)
    assert nps_rows.iloc[0]["small_sample"]
    # CSAT top2 share; blanks are not answers
    csat_awareness = table[(table["kpi"] == "csat") & (table["stage"] == "awareness")]
    assert int(csat_awareness["n"].iloc[0]) == 0


def test_kpi_table_by_month_fills_months_without_answers(feedback):
    table = kpi_table(feedback, by="period", period="M", kpis=["nps"])
    assert list(table["period"]) == list(pd.to_datetime(["2024-01-01", "2024-02-01",
                                                         "2024-03-01"]))
    assert list(table["n"]) == [40, 0, 2]
    assert pd.api.types.is_datetime64_any_dtype(table["period"])


def test_kpi_table_by_persona_from_customers(feedback):
    customers = pd.DataFrame({"customer_id": ["c0", "c1", "c2", "c3"],
                              "persona_id": ["regular", "foodie", "regular", "foodie"]})
    table = kpi_table(feedback, by=["persona"], customers=customers, kpis=["nps"], min_n=5)
    counts = dict(zip(table["persona"], table["n"], strict=True))
    assert counts == {"foodie": 21, "regular": 21}


def test_kpi_table_overall_and_csat_mean(feedback):
    table = kpi_table(feedback, csat_definition="mean")
    assert list(table["kpi"]) == ["nps", "csat", "ces"]
    row = table.set_index("kpi").loc["csat"]
    assert row["value"] == pytest.approx((40 * 5 + 1) / 41)


def test_kpi_table_errors_name_the_column(feedback):
    with pytest.raises(JourneykitError, match="no column 'touchpoint'"):
        kpi_table(feedback, by=["touchpoint"])
    with pytest.raises(JourneykitError, match="no column"):
        kpi_table(feedback.drop(columns="ces"), kpis=["ces"])


def test_kpi_table_on_no_feedback_rows_is_empty_groups_not_a_crash(feedback):
    table = kpi_table(feedback.iloc[0:0], by=["stage"], levels={"stage": ["awareness"]})
    assert (table["n"] == 0).all() and table["value"].isna().all()
    assert len(table) == 3  # one per KPI


# ----------------------------------------------------------------- workspace metrics


def test_workspace_metrics_on_a_loaded_workspace(make_workspace):
    from journeykit.workspace.loader import load_workspace

    feedback = "customer_id,date,nps,csat,ces\n" + "".join(
        f"c{i},2024-01-{1 + i:02d},{10 if i < 6 else 3},{5 if i < 8 else 2},\n" for i in range(10)
    )
    orders = "order_id,customer_id,date,amount\n" + "".join(
        f"o{i},c{i % 4},2024-{1 + i % 12:02d}-10,{20 + i}\n" for i in range(12)
    )
    ws = load_workspace(make_workspace(feedback=feedback, orders=orders))
    metrics = workspace_metrics(ws)
    assert metrics["nps"]["value"] == pytest.approx(100 * (6 - 4) / 10)
    assert metrics["nps"]["n"] == 10 and metrics["nps"]["unit"] == "points"
    assert metrics["csat"]["value"] == pytest.approx(0.8)
    assert metrics["ces"]["n"] == 0 and metrics["ces"]["value"] is None  # asked, not answered
    assert metrics["repeat_purchase_rate"]["value"] == 1.0
    assert metrics["average_order_value"]["value"] == pytest.approx(np.mean(range(20, 32)))
    assert metrics["average_order_value"]["unit"] == "EUR"
    assert metrics["historical_clv"]["value"] > 0
    # the metrics.json shape, JSON-safe
    json.dumps(metrics, allow_nan=False)
    for entry in metrics.values():
        assert set(entry) == {"value", "n", "ci_low", "ci_high", "unit", "label"}


# ----------------------------------------------------------------- properties for charts

answers_strategy = st.lists(
    st.one_of(st.integers(-2, 12), st.none(), st.sampled_from(["", "#ERROR!", "7", "4.5"])),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(answers_strategy)
def test_every_interval_contains_its_estimate_and_stays_on_the_scale(answers):
    for result, low, high in ((nps(answers), -100, 100), (csat(answers), 0, 1),
                              (csat(answers, definition="mean"), 1, 5), (ces(answers), 1, 7)):
        assert result.n + result.invalid == len(answers)
        if result.n >= 2:
            assert low <= result.ci_low <= result.value <= result.ci_high <= high
