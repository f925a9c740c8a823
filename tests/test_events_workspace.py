"""Every event analysis takes the Workspace first: it reads the log through
``ws.events_relation`` (never ``ws.events``) and its window and session gap from
journey.yaml ``defaults``, which the report's definitions print; an argument overrides them."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import journeykit as jk
from journeykit.analytics.events import (
    funnel,
    funnel_dropouts,
    paths,
    retention,
    stage_funnel,
    step_matrix,
    transitions,
)
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

# c1's events are 40 minutes apart: one visit with a 45-minute session gap, two with 30 minutes.
# c2 orders 20 days after the ad click: inside a 60-day window, outside 14 days.
EVENTS = (
    "customer_id,timestamp,event,channel\n"
    "c1,2024-03-01 10:00,ad_click,web\n"
    "c1,2024-03-01 10:40,menu_view,web\n"
    "c1,2024-03-01 11:20,order,web\n"
    "c2,2024-03-01 09:00,ad_click,web\n"
    "c2,2024-03-01 09:05,menu_view,web\n"
    "c2,2024-03-21 09:00,order,store\n"
)


def _workspace(make_workspace, defaults: str | None = None) -> Workspace:
    folder = make_workspace(events=EVENTS)
    if defaults is not None:
        (folder / "journey.yaml").write_text((folder / "journey.yaml").read_text() + f"defaults: {defaults}\n")
    return jk.load_workspace(folder)


def _never_materialised(ws: Workspace, monkeypatch) -> None:
    """Fail if anything reads the workspace's events into pandas."""
    def refuse(self, name):
        if name == "events":
            raise AssertionError(f"ws.table({name!r}) was called")
        return original(self, name)  # the other tables are read as usual

    original = Workspace.table
    monkeypatch.setattr(Workspace, "table", refuse)


def test_paths_follow_the_session_gap_of_journey_yaml_and_the_definitions_print_it(make_workspace, monkeypatch):
    default = _workspace(make_workspace)
    longer = _workspace(make_workspace, "{session_gap: 45min}")
    _never_materialised(default, monkeypatch)
    assert set(paths(default)["path"]) == {"ad_click", "menu_view", "order", "ad_click → menu_view"}
    assert paths(longer)["path"].tolist() == ["ad_click → menu_view", "ad_click → menu_view → order", "order"]
    assert paths(longer, session_gap="30min").equals(paths(default))  # an argument still overrides
    assert paths(default, session_gap="45min").equals(paths(longer))
    assert ("menu_view", "order") in set(zip(*transitions(longer)[["source", "target"]].T.values, strict=True))
    assert ("menu_view", "order") not in set(zip(*transitions(default)[["source", "target"]].T.values, strict=True))
    text = jk.semantics(longer).set_index("topic")["definition"]
    assert "Session gap: 45min." in text["Paths"]
    assert "Session gap: 30min." in jk.semantics(default).set_index("topic").loc["Paths", "definition"]


def test_stage_funnel_and_funnels_follow_the_window_of_journey_yaml(make_workspace, monkeypatch):
    default = _workspace(make_workspace)
    sixty = _workspace(make_workspace, "{window: 60D, stage_window: 60D}")
    fourteen = _workspace(make_workspace, "{stage_window: 14D}")
    _never_materialised(sixty, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert stage_funnel(default)["customers"].tolist() == [2, 2, 2, 0]   # no limit: c2's order counts
        assert stage_funnel(fourteen)["customers"].tolist() == [2, 2, 1, 0]  # 14D: c2 orders too late
        assert stage_funnel(sixty)["customers"].tolist() == [2, 2, 2, 0]     # 60D: c2's order counts
        assert stage_funnel(sixty, window="14D")["customers"].tolist() == [2, 2, 1, 0]
        assert stage_funnel(default, window=None)["customers"].tolist() == [2, 2, 2, 0]
    steps = ["ad_click", "order"]
    assert funnel(default, steps)["customers"].tolist() == [2, 1]
    assert funnel(sixty, steps)["customers"].tolist() == [2, 2]
    assert funnel(sixty, steps, window="1D")["customers"].tolist() == [2, 1]
    assert funnel_dropouts(default, steps, 2)["customer_id"].tolist() == ["c2"]
    assert funnel_dropouts(sixty, steps, 2).empty
    funnels = jk.semantics(sixty).set_index("topic").loc["Funnels", "definition"]
    assert "Conversion window (funnels unless they set another): 60D." in funnels
    assert "The stage funnel's window: 60D." in funnels
    assert "The stage funnel's window: no limit." in (
        jk.semantics(default).set_index("topic").loc["Funnels", "definition"])


def test_every_analysis_on_a_workspace_equals_the_same_on_its_log(make_workspace, monkeypatch):
    ws = _workspace(make_workspace)
    log = ws.events.copy()
    _never_materialised(ws, monkeypatch)
    pd.testing.assert_frame_equal(funnel(ws, ["ad_click", "order"], by="channel"),
                                  funnel(log, ["ad_click", "order"], by="channel"))
    pd.testing.assert_frame_equal(paths(ws), paths(log))
    pd.testing.assert_frame_equal(transitions(ws, include_start=True), transitions(log, include_start=True))
    pd.testing.assert_frame_equal(step_matrix(ws, max_steps=3), step_matrix(log, max_steps=3))
    pd.testing.assert_frame_equal(retention(ws, period="D"), retention(log, period="D"))


def test_a_workspace_without_events_says_so(make_workspace):
    ws = jk.load_workspace(make_workspace())
    with pytest.raises(JourneykitError, match="no events"):
        paths(ws)
    with pytest.raises(JourneykitError, match="events table"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stage_funnel(ws)
