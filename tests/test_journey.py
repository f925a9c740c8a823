"""Tests for journeykit.analytics.journey: the designed journey against a hand-made event
log, with every expected number worked out here in plain Python."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from journeykit.analytics.journey import (
    OFF_MAP_EVENT_COLUMNS,
    OFF_MAP_PATH_COLUMNS,
    REACH_COLUMNS,
    observed_journey,
    off_map_events,
    off_map_paths,
    stage_reach,
)
from journeykit.workspace import load_workspace
from tests.conftest import write_workspace

# conftest's journey.yaml: awareness [ad_click], consideration [menu_view],
# decision [order], post_purchase [review]; default session gap 30 minutes
STAGE_EVENTS = {"awareness": ["ad_click"], "consideration": ["menu_view"],
                "decision": ["order"], "post_purchase": ["review"]}
T0 = datetime(2026, 3, 2, 10, 0)
LOG = [  # customer, minutes after T0, event
    ("c1", 0, "ad_click"), ("c1", 5, "menu_view"), ("c1", 10, "order"),   # on the map
    ("c2", 0, "ad_click"), ("c2", 2, "coupon"), ("c2", 3, "order"),       # unmapped event
    ("c3", 0, "menu_view"), ("c3", 1, "ad_click"),                        # steps back
    ("c4", 0, "order"), ("c4", 24 * 60, "review"),                        # two sessions
    ("c5", 0, "coupon"), ("c5", 0, "coupon"),                             # off the map only
    ("c6", 30, "coupon"), ("c6", 40, "newsletter"),                       # two unmapped events
]


@pytest.fixture
def ws(tmp_path):
    rows = ["customer_id,timestamp,event,channel"]
    rows += [f"{c},{(T0 + timedelta(minutes=m)).isoformat(sep=' ')},{e},web" for c, m, e in LOG]
    return load_workspace(write_workspace(tmp_path / "ws", events="\n".join(rows) + "\n"))


def _sessions(gap_minutes: int = 30) -> list[tuple[str, tuple[str, ...]]]:
    """(customer, events) per session, events in time order (ties by name)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for customer in sorted({c for c, _, _ in LOG}):
        mine = sorted((m, e) for c, m, e in LOG if c == customer)
        current: list[str] = []
        last = None
        for minute, event in mine:
            if last is not None and minute - last > gap_minutes:
                out.append((customer, tuple(current)))
                current = []
            current.append(event)
            last = minute
        out.append((customer, tuple(current)))
    return out


def test_stage_reach_counts_customers_with_any_event_of_the_stage(ws):
    customers = {c for c, _, _ in LOG}
    reach = stage_reach(ws)
    assert list(reach.columns) == REACH_COLUMNS
    assert list(reach["stage"]) == list(STAGE_EVENTS)
    assert list(reach["stage_name"]) == ["Awareness", "Consideration", "Decision", "Post-purchase"]
    for stage, events in STAGE_EVENTS.items():
        expected = {c for c, _, e in LOG if e in events}
        row = reach.set_index("stage").loc[stage]
        assert row["customers"] == len(expected)
        assert row["share"] == pytest.approx(len(expected) / len(customers))


def test_off_map_events_are_the_events_no_stage_lists(ws):
    mapped = {e for events in STAGE_EVENTS.values() for e in events}
    customers = {c for c, _, _ in LOG}
    by_event: dict[str, set[str]] = {}
    for c, _, e in LOG:
        if e not in mapped:
            by_event.setdefault(e, set()).add(c)
    expected = sorted(by_event, key=lambda e: (-len(by_event[e]), e))
    off = off_map_events(ws)
    assert list(off.columns) == OFF_MAP_EVENT_COLUMNS
    assert list(off["event"]) == expected == ["coupon", "newsletter"]
    assert list(off["customers"]) == [len(by_event[e]) for e in expected]
    np.testing.assert_allclose(off["share"], [len(by_event[e]) / len(customers) for e in expected])
    assert list(off_map_events(ws, top=1)["event"]) == ["coupon"]


def test_off_map_paths_use_unmapped_events_or_step_back(ws):
    order = {stage: k for k, stage in enumerate(STAGE_EVENTS)}
    event_order = {e: order[s] for s, events in STAGE_EVENTS.items() for e in events}
    sessions = _sessions()
    counts: dict[tuple[str, ...], int] = {}
    for _, events in sessions:
        counts[events] = counts.get(events, 0) + 1
    expected = []
    for events in sorted(counts, key=lambda evs: (-counts[evs], list(evs))):
        ranks = [event_order.get(e, -1) for e in events]
        unmapped = -1 in ranks
        backwards = any(0 <= b < a for a, b in zip(ranks, ranks[1:]) if a >= 0)
        if unmapped or backwards:
            expected.append((events, counts[events] / len(sessions), unmapped, backwards))
    paths = off_map_paths(ws)
    assert list(paths.columns) == OFF_MAP_PATH_COLUMNS
    got = [(tuple(r.events), r.share, bool(r.unmapped), bool(r.backwards))
           for r in paths.itertuples()]
    assert [g[0] for g in got] == [e[0] for e in expected]
    assert [g[2:] for g in got] == [e[2:] for e in expected]
    np.testing.assert_allclose([g[1] for g in got], [e[1] for e in expected])
    # the planted ones: a coupon on the way, coupons only, and a step back
    assert {("ad_click", "coupon", "order"), ("coupon", "coupon"), ("menu_view", "ad_click")} <= set(
        g[0] for g in got)
    assert ("ad_click", "menu_view", "order") not in {g[0] for g in got}
    assert len(off_map_paths(ws, top=2)) == 2


def test_observed_journey_is_the_three_together(ws):
    observed = observed_journey(ws)
    assert observed.customers == len({c for c, _, _ in LOG})
    pd.testing.assert_frame_equal(observed.reach, stage_reach(ws))
    pd.testing.assert_frame_equal(observed.off_map_events, off_map_events(ws))
    pd.testing.assert_frame_equal(observed.off_map_paths, off_map_paths(ws))


def test_without_events_everything_is_empty(tmp_path):
    ws = load_workspace(write_workspace(tmp_path / "ws"))
    observed = observed_journey(ws)
    assert observed.customers == 0
    assert list(observed.reach["customers"]) == [0, 0, 0, 0]
    assert observed.reach["share"].isna().all()
    assert observed.off_map_events.empty and observed.off_map_paths.empty
    assert list(observed.off_map_paths.columns) == OFF_MAP_PATH_COLUMNS


def test_the_maps_off_map_paths_and_the_top_paths_come_from_one_paths_query_of_the_workspace():
    """paths(ws) is worked out once per workspace state (a long scan on a large log, needed
    by the map in 02 and the top paths in 04); its top rows are those of the log's own query."""
    from journeykit.analytics.events import paths
    from journeykit.workspace.locations import DEMO_WORKSPACE

    ws = load_workspace(DEMO_WORKSPACE)
    top = paths(ws, max_steps=5, top=10)
    assert [key for key in ws.derived if key[0] == "events.paths"] != []
    direct = paths(ws.events_relation(), max_steps=5, top=10, session_gap=ws.config.defaults.session_gap)
    pd.testing.assert_frame_equal(top, direct)
    observed = observed_journey(ws)
    memoised = [key for key in ws.derived if key[0] == "events.paths"]
    assert len(memoised) == 1  # the map read the same paths
    assert set(observed.off_map_paths["path"]) <= set(paths(ws, top=None)["path"])
