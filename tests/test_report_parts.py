"""Parts of the report that must agree with each other (issue 16, item 3): the action plan
and its chart, personas and pain points, CSAT by stage, the KPI trend and the current run,
first steps and the evidence behind them, the KPI to watch and what the workspace measures."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from journeykit.analytics.kpis import kpi_table  # noqa: E402
from journeykit.analytics.painpoints import action_plan, score_pain_points  # noqa: E402
from journeykit.analytics.personas.cards import persona_cards  # noqa: E402
from journeykit.analytics.voice import emotion_curve, linked_feedback  # noqa: E402
from journeykit.run.history import kpi_history  # noqa: E402
from journeykit.viz.charts import impact_effort_matrix  # noqa: E402
from journeykit.viz.kpi_charts import kpi_by_group, kpi_trend  # noqa: E402
from journeykit.workspace import Workspace  # noqa: E402
from tests.test_painpoints import small_workspace, workshop_table  # noqa: E402


def _with(ws: Workspace, **tables: pd.DataFrame | None) -> Workspace:
    merged = {**ws.tables, **tables}
    return Workspace(path=Path("."), config=ws.config,
                     tables={name: frame for name, frame in merged.items() if frame is not None})


def test_impact_effort_numbers_items_by_their_action_plan_rank():
    scored = pd.DataFrame({"id": ["a", "b", "c", "d"], "kind": "pain", "title": ["A", "B", "C", "D"],
                           "priority": [0.9, 0.8, 0.7, 0.6], "impact": [0.9, np.nan, 0.5, 0.2],
                           "effort": [2, 3, 4, 5], "severity": [5, 4, 3, 2]})
    fig = impact_effort_matrix(scored)
    numbers = {t.get_text() for t in fig.axes[0].texts if t.get_text().isdigit()}
    assert numbers == {"1", "3", "4"}  # B has no impact: it is not drawn, and C stays number 3
    listed = [t.get_text() for t in fig.axes[1].texts]
    assert "3. C" in listed and "4. D" in listed and not [t for t in listed if t.startswith("2.")]


def test_impact_effort_numbers_match_the_action_plan():
    ws = small_workspace()
    scored = score_pain_points(ws)
    plan = action_plan(ws, scored=scored)
    listed = [t.get_text() for t in impact_effort_matrix(scored).axes[1].texts][1:]
    for text in listed:
        rank, title = text.split(". ", 1)
        assert plan.loc[plan["priority"] == int(rank), "pain_point"].iloc[0] in title.replace("\n", " ")


def _persona_workspace() -> Workspace:
    ws = small_workspace()
    touchpoints = ws.touchpoints.copy()
    touchpoints["personas"] = pd.array(["p_store", None, None, None, None], dtype="string")  # tp_shop: p_store only
    personas = pd.DataFrame({"id": ["p_store", "p_web"], "name": ["Store Stella", "Web Wim"]}).astype("string")
    return _with(ws, touchpoints=touchpoints, personas=personas)


@pytest.mark.parametrize(("shop", "expected_store"), [(0.10, "Parcels arrive late"), (0.70, "Long queue")])
def test_persona_top_pain_point_includes_items_for_every_persona(shop, expected_store):
    ws = _persona_workspace()
    scored = pd.DataFrame({"kind": ["pain", "pain"], "title": ["Long queue", "Parcels arrive late"],
                           "description": ["", ""], "touchpoint": ["tp_shop", "tp_delivery"],
                           "priority": [shop, 0.62]})
    cards = persona_cards(ws, pain_points=scored).set_index("id")
    assert cards.loc["p_store", "top_pain_point"] == expected_store  # highest priority that applies
    assert cards.loc["p_web", "top_pain_point"] == "Parcels arrive late"  # tp_shop is not theirs


def test_csat_by_stage_has_one_definition(sample_ws):
    """The CSAT-by-stage chart (kpi_table on linked_feedback) and the emotion curve (and the
    journey map, which draws it) give every stage the same CSAT and n."""
    by_stage = kpi_table(linked_feedback(sample_ws), by="stage", levels={"stage": sample_ws.stage_ids})
    csat = by_stage[(by_stage["kpi"] == "csat") & by_stage["stage"].notna()].set_index("stage")
    curve = emotion_curve(sample_ws).set_index("stage")
    assert list(csat.index) == list(curve.index)
    assert csat["n"].tolist() == curve["n_csat"].tolist()
    assert np.allclose(csat["value"].to_numpy(float), curve["csat"].to_numpy(float), equal_nan=True)
    assert np.allclose(csat["ci_low"].to_numpy(float), curve["csat_low"].to_numpy(float), equal_nan=True)


def test_first_steps_follow_the_kind_of_evidence():
    workshop = workshop_table([
        ("P1", "tp_app_checkout", "pain", "Sizes are often out of stock", 3, 3, 2, None, None),
        ("P2", "tp_web_checkout", "pain", "The web checkout asks for the address twice", 3, 3, 2, None, None),
        ("P3", "tp_delivery", "pain", "Parcels arrive late", None, None, 2, None, "planned"),
    ])
    ws = small_workspace(workshop)
    scored = score_pain_points(ws)
    plan = action_plan(ws, scored=scored).set_index("pain_point")
    stock = plan.loc[scored.set_index("id").loc["P1", "title"]]
    assert "failed payment" not in stock["first_step"]  # an out-of-stock problem is not a payment problem
    assert "dropped off" in stock["first_step"]         # its evidence is the checkout's drop-off
    web = plan.loc["The web checkout asks for the address twice"]
    assert web["first_step"].startswith("Check the workshop's view")  # only the workshop's word
    late = plan.loc[scored.set_index("id").loc["P3", "title"]]
    assert "delivery times" in late["first_step"]  # complaints about delivery: the delivery step


def test_the_kpi_to_watch_is_one_the_workspace_measures():
    workshop = workshop_table([("P2", "tp_web_checkout", "pain", "Address asked twice", 3, 3, 2, None, None)])
    ws = small_workspace(workshop)  # feedback has CSAT answers, no NPS
    plan = action_plan(ws)
    assert not plan["kpi_to_watch"].str.contains("NPS").any()
    assert plan.set_index("pain_point").loc["Address asked twice", "kpi_to_watch"] == "CSAT in Buy"
    no_feedback = _with(small_workspace(workshop), feedback=None)
    kpis = action_plan(no_feedback).set_index("pain_point")["kpi_to_watch"]
    assert kpis["Address asked twice"] == "conversion through Buy"
    assert not kpis.str.contains("CSAT|NPS").any()


def test_kpi_history_includes_the_current_run(tmp_path):
    current = {"nps": {"value": 17.8, "n": 1146, "ci_low": 12.9, "ci_high": 22.6, "unit": "points",
                       "label": "Net Promoter Score"}}
    history = kpi_history(tmp_path, current=current, output_dir=tmp_path / ".tmp-20261202T054433Z")
    assert history["run_id"].tolist() == ["20261202T054433Z"]
    assert history["value"].tolist() == [17.8]


def test_kpi_trend_draws_measured_kpis_by_run_date_with_journey_yaml_labels():
    history = pd.DataFrame({"run_id": ["20261101T090000Z", "20261202T054433Z"] * 2,
                            "kpi": ["repeat_purchase_rate"] * 2 + ["nps"] * 2,
                            "value": [0.74, 0.76, np.nan, np.nan], "n": [100, 120, 0, 0],
                            "ci_low": [0.7, 0.72, np.nan, np.nan], "ci_high": [0.78, 0.8, np.nan, np.nan],
                            "label": ["repeat_purchase_rate"] * 2 + ["nps"] * 2, "unit": ["share"] * 2 + ["points"] * 2})
    targets = {"repeat_purchase_rate": {"target": 0.5, "label": "Share of buying customers who buy again"},
               "nps": {"target": 30, "label": "Net Promoter Score"}}
    fig = kpi_trend(history, targets)
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(drawn) == 1  # NPS has no value in any run: no empty panel
    panel = drawn[0]
    assert panel.get_title(loc="left") == "Share of buying customers who buy again"
    assert "repeat_purchase_rate" not in panel.get_ylabel()
    assert [t.get_text() for t in panel.get_xticklabels()] == ["2026-11-01 09:00", "2026-12-02 05:44"]
    assert any("Not measured in these runs: Net Promoter Score" in t.get_text() for t in fig.texts)


def test_kpi_by_group_without_any_answers_draws_no_scale():
    table = pd.DataFrame({"persona_id": ["a", "b"], "kpi": "nps", "value": [np.nan, np.nan], "n": [0, 0],
                          "ci_low": np.nan, "ci_high": np.nan, "small_sample": True})
    ax = kpi_by_group(table, "nps").axes[0]
    assert not ax.get_lines() and list(ax.get_xticks()) == []
    assert any("no nps answers" in t.get_text() for t in ax.texts)


def test_csat_by_stage_follows_the_workspace_definition(sample_ws):
    """With ``csat_definition: mean`` the emotion curve (and the map) give the mean answer,
    as kpi_table and the scorecard do: still one definition."""
    from dataclasses import replace

    config = replace(sample_ws.config, defaults=replace(sample_ws.config.defaults, csat_definition="mean"))
    ws = Workspace(path=sample_ws.path, config=config, tables=dict(sample_ws.tables))
    by_stage = kpi_table(linked_feedback(ws), by="stage", levels={"stage": ws.stage_ids}, csat_definition="mean")
    csat = by_stage[(by_stage["kpi"] == "csat") & by_stage["stage"].notna()].set_index("stage")
    curve = emotion_curve(ws).set_index("stage")
    assert (curve["csat"].dropna() > 1).all()  # mean answers 1-5, not shares
    assert np.allclose(csat["value"].to_numpy(float), curve["csat"].to_numpy(float), equal_nan=True)
