"""Tests for journeykit.analytics.scorecard: KPI targets and what changed between runs."""

from __future__ import annotations

import pandas as pd
import pytest

from journeykit.analytics.kpis import ces
from journeykit.analytics.scorecard import scorecard, what_changed
from journeykit.core.errors import JourneykitError

# ----------------------------------------------------------------- scorecard


def test_scorecard_statuses():
    targets = {
        "nps": {"target": 40, "direction": "higher", "warning": 10, "label": "NPS"},
        "csat": {"target": 0.85, "warning": 0.05},
        "ces": {"target": 5, "direction": "higher"},
        "churn": {"target": 0.1, "direction": "lower", "warning": 0.02},
        "conversion": {"target": 0.2},
    }
    metrics = {
        "nps": {"value": 33.0, "n": 120, "ci_low": 20.0, "ci_high": 45.0},  # within 10 below
        "csat": 0.9,                                                      # above target
        "ces": ces([3, 4]),                                  # a result object: 3.5 < 5, no band
        "churn": 0.15,                                       # 0.05 above, band 0.02
        "conversion": None,
    }
    table = scorecard(metrics, targets)
    assert list(table["kpi"]) == ["nps", "csat", "ces", "churn", "conversion"]
    assert list(table["status"]) == ["at risk", "on target", "off target", "off target",
                                     "no data"]
    nps_row = table.iloc[0]
    assert nps_row["label"] == "NPS" and nps_row["n"] == 120 and nps_row["warning"] == 10
    assert table.iloc[2]["n"] == 2  # taken from the result object
    assert scorecard({"churn": 0.11}, {"churn": targets["churn"]})["status"].iloc[0] == "at risk"
    assert scorecard({"churn": 0.1}, {"churn": targets["churn"]})["status"].iloc[0] == "on target"


def test_scorecard_finds_metrics_under_their_other_names():
    metrics = {"average_order_value": {"value": 280.0, "n": 10}, "repeat_rate": 0.6}
    targets = {"aov": {"target": 300, "warning": 30},
               "repeat_purchase_rate": {"target": 0.5}}
    table = scorecard(metrics, targets)
    assert list(table["value"]) == [280.0, 0.6]
    assert list(table["status"]) == ["at risk", "on target"]


def test_scorecard_rejects_bad_targets():
    with pytest.raises(JourneykitError, match="kpis.nps.direction"):
        scorecard({"nps": 1}, {"nps": {"target": 40, "direction": "up"}})
    with pytest.raises(JourneykitError, match="kpis.nps.target"):
        scorecard({"nps": 1}, {"nps": {"warning": 3}})


# ----------------------------------------------------------------- what changed


def test_what_changed_uses_the_combined_uncertainty():
    # each interval is +-10 around the value -> se = 10 / 1.96 each;
    # a change is significant when |delta| > 1.96 * sqrt(2) * 10 / 1.96 = 14.14
    previous = {"run_id": "r1", "metrics": {
        "nps": {"value": 30.0, "n": 100, "ci_low": 20.0, "ci_high": 40.0},
        "csat": {"value": 0.80, "n": 100, "ci_low": 0.70, "ci_high": 0.90},
        "historical_clv": {"value": 500.0, "n": 80, "ci_low": None, "ci_high": None},
        "old": {"value": 1.0, "n": 1},
    }}
    current = {
        "nps": {"value": 45.0, "n": 100, "ci_low": 35.0, "ci_high": 55.0},     # +15 > 14.14
        "csat": {"value": 0.92, "n": 100, "ci_low": 0.82, "ci_high": 1.02},    # +0.12 < 0.1414
        "historical_clv": {"value": 550.0, "n": 90, "ci_low": None, "ci_high": None},
        "ces": {"value": 5.5, "n": 10, "ci_low": 5.0, "ci_high": 6.0},
    }
    table = what_changed(previous, current).set_index("kpi")
    assert list(table.index) == ["nps", "csat", "historical_clv", "ces", "old"]
    assert table.loc["nps", "delta"] == pytest.approx(15.0)
    assert table.loc["nps", "significant"]
    assert not table.loc["csat", "significant"]
    assert pd.isna(table.loc["historical_clv", "significant"])
    assert pd.isna(table.loc["ces", "previous"]) and pd.isna(table.loc["ces", "significant"])
    assert table.loc["historical_clv", "current_n"] == 90


def test_what_changed_on_the_first_run():
    table = what_changed(None, {"nps": {"value": 10.0, "n": 5, "ci_low": 0.0, "ci_high": 20.0}})
    assert len(table) == 1 and pd.isna(table["delta"].iloc[0])
