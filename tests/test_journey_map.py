"""Tests for journeykit.viz.journey_map: assertions on the figure objects of the A3 map."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from journeykit.core.errors import JourneykitError
from journeykit.viz import journey_map as map_module
from journeykit.viz import style
from journeykit.viz.journey_map import journey_map
from tests.figures import all_text, assert_texts_inside, chart_workspace, markers, save_png, squash


def test_map_names_every_stage_and_marks_every_touchpoint(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=5, n_touchpoints=14)
    fig = journey_map(ws)
    assert isinstance(fig, Figure)
    assert tuple(fig.get_size_inches()) == pytest.approx(style.A3_LANDSCAPE)
    text = all_text(fig)
    for stage in ws.config.stages:
        assert squash(stage.name) in text
    tps = markers(fig, "touchpoint")
    assert set(tps) == set(ws.touchpoints["id"])
    for _, tp in ws.touchpoints.iterrows():
        assert tps[tp["id"]].get_marker() == ("o" if tp["online"] else "s")
    for lane in ("Customer goals", "Touchpoints by", "Pain points", "Opportunities",
                 "KPIs per stage", "Owning teams"):
        assert squash(lane) in text


def test_map_colours_pain_points_by_severity(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=4, n_touchpoints=12)
    fig = journey_map(ws)
    pains = markers(fig, "pain")
    expected = ws.painpoints[ws.painpoints["kind"] == "pain"]
    assert set(pains) == set(expected["id"])
    for _, row in expected.iterrows():
        face = to_hex(pains[row["id"]].get_markerfacecolor())
        assert face == style.SEVERITY_COLORS[int(row["severity"])].lower()
    opportunities = markers(fig, "opportunity")
    assert set(opportunities) == set(ws.painpoints.loc[ws.painpoints["kind"] == "opportunity", "id"])


@pytest.mark.parametrize("n_stages,n_touchpoints,crowd,long_text", [
    (3, 0, False, False),
    (3, 40, False, True),
    (8, 40, False, True),
    (8, 40, True, True),
    (6, 25, True, False),
])
def test_map_text_stays_inside_and_never_overlaps(tmp_path, n_stages, n_touchpoints, crowd,
                                                  long_text):
    ws = chart_workspace(tmp_path, n_stages=n_stages, n_touchpoints=n_touchpoints,
                         crowd_one_stage=crowd, long_text=long_text)
    fig = journey_map(ws)
    assert_texts_inside(fig, no_overlap=True)
    assert len(markers(fig, "touchpoint")) == n_touchpoints  # every touchpoint keeps its marker


def test_map_draws_emotion_curve_and_workshop_line_from_data(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=3, n_touchpoints=3)
    curve = pd.DataFrame({
        "stage": ["s0", "s1", "s2"], "stage_name": ["a", "b", "c"], "n_texts": [10, 0, 40],
        "sentiment": [0.4, np.nan, -0.3], "sentiment_low": [0.2, np.nan, -0.5],
        "sentiment_high": [0.6, np.nan, -0.1], "n_csat": [12, 0, 50],
        "csat": [0.75, np.nan, 0.5], "csat_low": np.nan, "csat_high": np.nan,
        "workshop_emotion": [2.0, np.nan, -1.0],
    })
    funnel = pd.DataFrame({"step": [1, 2, 3], "stage": ["s0", "s1", "s2"],
                           "name": ["a", "b", "c"], "customers": [200, 100, 25],
                           "conversion_from_start": [1.0, 0.5, 0.125],
                           "conversion_from_previous": [1.0, 0.5, 0.25]})
    fig = journey_map(ws, emotion=curve, funnel=funnel)
    lines = {a.get_gid(): a for a in fig.findobj(Line2D) if a.get_gid()}
    np.testing.assert_allclose(lines["emotion-data"].get_ydata(), [0.4, np.nan, -0.3])
    # workshop −2..+2 is drawn halved on the −1..+1 sentiment scale; missing -> stage emotion
    np.testing.assert_allclose(lines["emotion-workshop"].get_ydata(),
                               [1.0, ws.config.stages[1].emotion / 2, -0.5])
    text = all_text(fig)
    assert squash("Reached 200 (100%)") in text
    assert squash("From previous 25%") in text
    assert squash("CSAT where asked 75% (n 12)") in text
    assert_texts_inside(fig)


def test_map_for_one_persona_keeps_only_their_touchpoints(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=4, n_touchpoints=12)
    fig = journey_map(ws, persona="Persona Two")
    audience = ws.touchpoints["personas"].fillna("")
    expected = set(ws.touchpoints.loc[(audience == "") | (audience == "p2"), "id"])
    assert set(markers(fig, "touchpoint")) == expected
    assert "persona:PersonaTwo" in all_text(fig)
    with pytest.raises(JourneykitError, match="p1"):
        journey_map(ws, persona="nobody")


def test_map_fails_loudly_when_an_analysis_fails(tmp_path, monkeypatch):
    def broken(ws, **kwargs):
        raise ValueError("feedback exploded")

    monkeypatch.setattr(map_module, "emotion_curve", broken)
    ws = chart_workspace(tmp_path, n_stages=3, n_touchpoints=4)
    with pytest.raises(ValueError, match="feedback exploded"):
        journey_map(ws)


def test_map_without_data_says_no_data_in_its_lanes(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=3, n_touchpoints=4)
    fig = journey_map(ws)  # no events, feedback or tickets: the analyses have nothing to show
    text = all_text(fig)
    assert "nodata" in text
    assert set(markers(fig, "touchpoint")) == set(ws.touchpoints["id"])


def test_map_without_stages_is_a_clear_error(tmp_path):
    ws = chart_workspace(tmp_path)
    ws.config = dataclasses.replace(ws.config, stages=())
    with pytest.raises(JourneykitError, match="stages"):
        journey_map(ws)


def test_map_draws_dollar_signs_literally(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=3, n_touchpoints=3)
    ws.tables["touchpoints"].loc[ws.touchpoints.index[0], "name"] = "Save $5 and $10 today"
    fig = journey_map(ws)
    assert "Save$5and$10today" in all_text(fig)
    fig.canvas.draw()  # would raise on mathtext parsing if '$' started maths


# --------------------------------------------------------------------------- sample + empty


def test_sample_map_image(sample_ws, sample_results, tmp_path):
    fig = journey_map(sample_ws, pain_points=sample_results["scored"],
                      emotion=sample_results["curve"], funnel=sample_results["funnel"])
    text = all_text(fig)
    for stage in sample_ws.config.stages:
        assert squash(stage.name) in text
    assert set(markers(fig, "touchpoint")) == set(sample_ws.touchpoints["id"])
    assert_texts_inside(fig, no_overlap=True)
    assert save_png(fig, tmp_path / "map.png") > 50_000


def test_nearly_empty_workspace_map(empty_ws, tmp_path):
    fig = journey_map(empty_ws)
    text = all_text(fig)
    for stage in empty_ws.config.stages:
        assert squash(stage.name) in text
    assert "notouchpoints" in text and "nodata" in text
    assert_texts_inside(fig)
    assert save_png(fig, tmp_path / "map.png") > 5_000
