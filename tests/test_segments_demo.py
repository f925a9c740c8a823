"""suggest_segments on the demo business (data/sample, journeykit.sample): how well its
segments recover the personas the simulation planted (customers.persona_id), measured by
the adjusted Rand index (scikit-learn's adjusted_rand_score, the independent reference).

The issue's target is an ARI of at least 0.6. Measured (benchmarks/segments_demo.py,
5-fold cross-validated scikit-learn classifiers trained on the true personas, on the
event mix, channel mix, order amounts, counts and rhythm):

* the demo before the personas were made distinct: a trained classifier reached ARI
  0.37-0.40 on behaviour alone (0.51-0.55 with the age band), so no clustering could
  reach 0.6; suggest_segments found k=4 at ARI 0.19;
* the demo now (journeykit/sample/behaviour.py: each persona has its own channels, browsing
  rhythm, shop visits, phone calls and price range): trained classifiers reach ARI
  0.86-0.90 on behaviour alone; suggest_segments with the old features reached 0.52 (k=4),
  with the action mix (share of each kind of event) and shares pulled toward everyone's
  mix it reaches 0.67 at the k the silhouette picks (5) and 0.71 with k=4.

The silhouette prefers k=5 (0.213) narrowly over k=4 (0.198): the fifth segment splits
the e-bike newcomers. So the number of segments is checked as 4 or 5, not exactly 4.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

from journeykit.analytics.personas import suggest_segments
from journeykit.workspace import load_workspace

DEMO = Path(__file__).resolve().parents[1] / "data" / "sample"


def _ari(ws, result) -> float:
    persona = ws.customers.set_index(ws.customers["customer_id"].astype(str))["persona_id"]
    segment = result.assignments.set_index(result.assignments["customer_id"].astype(str))["segment"]
    truth = persona.reindex(segment.index).astype(str)
    return adjusted_rand_score(truth, segment)


@pytest.fixture(scope="module")
def demo_ws():
    return load_workspace(DEMO)


@pytest.fixture(scope="module")
def demo_segments(demo_ws):
    result = suggest_segments(demo_ws)
    return result, _ari(demo_ws, result)


def test_segments_use_behaviour_besides_rfm(demo_segments):
    result, _ = demo_segments
    features = set(result.features)
    assert {"recency_days", "frequency", "monetary", "days_between_orders"} <= features
    # every demo customer reached awareness: a column without variation is left out
    assert {f"stage:{s}" for s in ("consideration", "decision", "post_purchase")} <= features
    assert "stage:awareness" not in features
    assert any(f.startswith("ch:") for f in features)
    assert {"ev:phone_enquiry", "ev:test_ride", "ev:repair_booked"} <= features


def test_segments_find_about_as_many_groups_as_the_demo_has_personas(demo_segments):
    result, _ = demo_segments
    assert result.k in (4, 5)  # measured 5; RFM alone found 2 (buyers and non-buyers)
    # every persona is the closest persona of some segment
    assert set(result.segments["closest_persona"]) == {"p_commuter", "p_sport", "p_family",
                                                       "p_ebike"}


def test_segments_recover_the_planted_personas(demo_segments):
    _, ari = demo_segments
    assert ari >= 0.6  # measured 0.67


def test_four_segments_match_the_four_personas_one_to_one(demo_ws):
    result = suggest_segments(demo_ws, k=4)
    assert _ari(demo_ws, result) >= 0.6  # measured 0.71
    assert sorted(result.segments["closest_persona"]) == ["p_commuter", "p_ebike", "p_family",
                                                          "p_sport"]
    assert (result.segments["persona_overlap"] >= 0.5).all()
