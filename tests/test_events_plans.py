"""The funnel's query plans give the same answers: the earliest-attempt plan (sequential,
no window, no event in two steps), the per-step rescans of a Parquet source or of the
workspace's stored events, and the general ASOF-join plan. Checked against the pure-Python
reference of tests/test_events_properties.py and against hand-worked logs."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.analytics.events import funnel, funnel_dropouts, stage_funnel
from journeykit.workspace import Workspace
from journeykit.workspace.config import JourneyConfig, Stage
from journeykit.workspace.eventstore import LargeEvents
from tests.test_events_properties import event_rows, frame_of, reference_funnel, steps_strategy

T0 = pd.Timestamp("2024-03-01")


def log(*rows: tuple[str, int, str], channel: str = "web") -> pd.DataFrame:
    """Events from (customer, minutes after T0, event) tuples."""
    return pd.DataFrame({
        "customer_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([T0 + pd.Timedelta(minutes=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
        "channel": pd.Series([channel] * len(rows), dtype="string"),
    })


# a views twice and buys once; b views and buys ten minutes later; c only views
VIEW_BUY = log(("a", 0, "view"), ("a", 5, "view"), ("a", 6, "buy"),
               ("b", 0, "view"), ("b", 10, "buy"),
               ("c", 3, "view"))


def test_without_a_window_the_latest_start_that_still_converts_gives_the_time_to_the_next_step():
    result = funnel(VIEW_BUY, ["view", "buy"], window=None)
    assert result["customers"].tolist() == [3, 2]
    # a's attempts from minute 0 and minute 5 both reach "buy" at minute 6; the later one
    # counts (1 min, as PostHog), b took 10 min: median 5.5 min
    assert result["median_time_from_previous"].tolist()[1] == pd.Timedelta(minutes=5.5)


def test_a_window_can_make_a_later_attempt_the_one_that_converts():
    result = funnel(VIEW_BUY, ["view", "buy"], window="3min")
    # only a's attempt from minute 5 buys within 3 minutes (after 1 min); b is too slow
    assert result["customers"].tolist() == [3, 1]
    assert result["median_time_from_previous"].tolist()[1] == pd.Timedelta(minutes=1)


def test_dropouts_without_a_window():
    dropped = funnel_dropouts(VIEW_BUY, ["view", "buy"], 2, window=None)
    assert dropped["customer_id"].tolist() == ["c"]
    assert dropped["reached_at"].tolist() == [T0 + pd.Timedelta(minutes=3)]


def test_every_plan_on_a_parquet_file_matches_the_dataframe(tmp_path):
    path = tmp_path / "events.parquet"
    VIEW_BUY.to_parquet(path)
    for window in (None, "3min"):
        for mode in ("sequential", "strict"):
            for steps in (["view", "buy"], ["view", ["buy", "view"]], ["view", "view"]):
                expected = funnel(VIEW_BUY, steps, window=window, mode=mode, by="channel")
                got = funnel(str(path), steps, window=window, mode=mode, by="channel")
                pd.testing.assert_frame_equal(got, expected)


PARQUET_EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PARQUET_EXAMPLES
@given(rows=event_rows, steps=steps_strategy, window=st.sampled_from([None, None, "2min"]),
       by_channel=st.booleans())
def test_funnel_on_a_parquet_file_matches_the_reference(rows, steps, window, by_channel):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.parquet"
        frame_of(rows).to_parquet(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = funnel(str(path), steps, window=window, by="channel" if by_channel else None)
    expected = reference_funnel(rows, steps, window, False, by_channel)
    if by_channel:
        got = {channel: part for channel, part in result.groupby("channel")}
    else:
        got = {None: result}
        expected = {None: expected.get(None, ([0] * len(steps), [None] * len(steps)))}
    assert set(got) == set(expected)
    for group, (counts, medians) in expected.items():
        assert got[group]["customers"].tolist() == counts
        assert [None if pd.isna(m) else m for m in got[group]["median_time_from_previous"]] == medians


def stand_in_workspace(events: pd.DataFrame, parquet: Path | None = None) -> Workspace:
    """A workspace with three stages; with ``parquet``, its events are "large": stored as a
    Parquet file the way the loader stores big logs."""
    stages = (
        Stage(id="awareness", name="Awareness", events=("ad_click", "social_visit")),
        Stage(id="consideration", name="Consideration", events=("product_view", "compare")),
        Stage(id="decision", name="Decision", events=("purchase",)),
    )
    config = JourneyConfig(business="Test", stages=stages)
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "persona_id": ["p1", "p2", "p2", "p1"]})
    if parquet is None:
        return Workspace(path=Path("stand-in"), config=config, tables={"events": events, "customers": customers})
    large = {"events": LargeEvents(parquet, rows=len(events), folder=parquet.parent)}
    return Workspace(path=Path("stand-in"), config=config, tables={"customers": customers}, large=large)


STAGE_EVENTS = pd.DataFrame({
    "customer_id": pd.Series(list("aaaabbbccd"), dtype="string"),
    "timestamp": pd.Series([T0 + pd.Timedelta(hours=h) for h in (0, 1, 2, 50, 0, 3, 4, 1, 2, 0)],
                           dtype="datetime64[us]"),
    "event": pd.Series(["ad_click", "compare", "social_visit", "purchase", "social_visit", "product_view",
                        "purchase", "product_view", "purchase", "ad_click"], dtype="string"),
    "channel": pd.Series(["web", "web", "store", "web", "store", "store", "web", "web", "web", "store"],
                         dtype="string"),
})


def test_stage_funnel_on_stored_parquet_events_matches_the_dataframe(tmp_path):
    path = tmp_path / "events.parquet"
    STAGE_EVENTS.to_parquet(path)
    in_memory, stored = stand_in_workspace(STAGE_EVENTS), stand_in_workspace(STAGE_EVENTS, path)
    result = stage_funnel(stored, window=None)  # the earliest-attempt plan, rescanning the Parquet file
    # a: awareness (0h), consideration (1h), purchase (50h); b: all three; c has no
    # awareness event; d only awareness
    assert result["customers"].tolist() == [3, 2, 2]
    assert result["median_time_from_previous"].tolist()[1:] == [pd.Timedelta(hours=2), pd.Timedelta(hours=25)]
    for by in (None, "channel", "persona", ["persona", "channel"]):
        for window in (None, "1D"):
            pd.testing.assert_frame_equal(stage_funnel(stored, by=by, window=window),
                                          stage_funnel(in_memory, by=by, window=window))
