"""Event analytics: funnels, drop-outs, stage funnel, paths, transitions, step matrix, retention.

Every funnel rule of FUNNEL_SEMANTICS has a hand-built log here; the expected numbers
are worked out by hand from the rule in each test's docstring.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from journeykit.analytics.events import (
    END,
    FUNNEL_SEMANTICS,
    START,
    funnel,
    funnel_dropouts,
    paths,
    retention,
    stage_funnel,
    step_matrix,
    transitions,
)
from journeykit.core.durations import parse_duration
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.config import Defaults, JourneyConfig, Stage

T0 = pd.Timestamp("2024-03-01 09:00:00")
FUNNEL_COLUMNS = ["step", "name", "customers", "conversion_from_start",
                  "conversion_from_previous", "dropped", "median_time_from_previous"]


def log(*rows: tuple, unit: str = "us", **extra_columns: list) -> pd.DataFrame:
    """rows: (customer, offset, event) with offset a duration string from T0."""
    frame = pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "timestamp": pd.Series([T0 + pd.Timedelta(r[1]) for r in rows], dtype=f"datetime64[{unit}]"),
        "event": [r[2] for r in rows],
    })
    for name, values in extra_columns.items():
        frame[name] = values
    return frame


def reached(result: pd.DataFrame) -> list[int]:
    return result["customers"].tolist()


# ---------------------------------------------------------------------------
# funnel: shape


def test_funnel_columns_conversions_and_median_time():
    events = log(
        ("a", "0h", "view"), ("a", "1h", "cart"), ("a", "3h", "buy"),
        ("b", "0h", "view"), ("b", "2h", "cart"),
        ("c", "0h", "view"),
        ("d", "0h", "view"), ("d", "4h", "cart"), ("d", "5h", "buy"),
    )
    result = funnel(events, ["view", "cart", "buy"])
    assert list(result.columns) == FUNNEL_COLUMNS
    assert result["step"].tolist() == [1, 2, 3]
    assert result["name"].tolist() == ["view", "cart", "buy"]
    assert reached(result) == [4, 3, 2]
    assert result["conversion_from_start"].tolist() == pytest.approx([1.0, 0.75, 0.5])
    assert result["conversion_from_previous"].tolist() == pytest.approx([1.0, 0.75, 2 / 3])
    assert result["dropped"].tolist() == [0, 1, 1]
    medians = result["median_time_from_previous"]
    assert pd.isna(medians[0])
    assert medians[1] == pd.Timedelta("2h")          # 1h, 2h, 4h
    assert medians[2] == pd.Timedelta("1.5h")        # a: 2h, d: 1h
    assert pd.api.types.is_timedelta64_dtype(medians)


def test_semantics_text_states_the_rules():
    for phrase in ("customer", "step-1 event opens an attempt", "inclusive", "strict", "furthest"):
        assert phrase in FUNNEL_SEMANTICS


# ---------------------------------------------------------------------------
# funnel: rules


def test_equal_timestamps_count_in_step_order():
    """Step 2 at the very same time as step 1 counts; step 2 before step 1 does not."""
    events = log(("a", "0h", "view"), ("a", "0h", "buy"),
                 ("b", "1h", "view"), ("b", "0h", "buy"))
    assert reached(funnel(events, ["view", "buy"])) == [2, 1]


def test_every_step1_event_opens_an_attempt():
    """An old view outside the window does not spoil a later view that converts."""
    events = log(("a", "0D", "view"), ("a", "20D", "view"), ("a", "22D", "buy"))
    result = funnel(events, ["view", "buy"], window="14D")
    assert reached(result) == [1, 1]
    assert result["median_time_from_previous"][1] == pd.Timedelta("2D")


def test_customer_counts_once_at_the_furthest_step():
    events = log(("a", "0h", "view"), ("a", "1h", "cart"),
                 ("a", "2h", "view"), ("a", "3h", "cart"), ("a", "4h", "buy"),
                 ("a", "5h", "view"))
    assert reached(funnel(events, ["view", "cart", "buy"])) == [1, 1, 1]


def test_window_is_inclusive_at_the_edge():
    events = log(("edge", "0s", "view"), ("edge", "14D", "buy"),
                 ("late", "0s", "view"), ("late", "1209601s", "buy"))  # 14 days + 1 second
    assert reached(funnel(events, ["view", "buy"], window="14D")) == [2, 1]
    assert reached(funnel(events, ["view", "buy"], window=None)) == [2, 2]
    assert reached(funnel(events, ["view", "buy"], window=pd.Timedelta(days=15))) == [2, 2]


def test_window_runs_from_step1_not_from_the_previous_step():
    events = log(("a", "0D", "view"), ("a", "10D", "cart"), ("a", "15D", "buy"))
    assert reached(funnel(events, ["view", "cart", "buy"], window="14D")) == [1, 1, 0]


def test_earliest_step_event_is_used():
    """Step 2 is the earliest cart after the view, so the buy 30 min after the *first*
    cart (but 3h after... nothing else) is measured from it."""
    events = log(("a", "0h", "view"), ("a", "1h", "cart"), ("a", "2h", "cart"), ("a", "3h", "buy"))
    result = funnel(events, ["view", "cart", "buy"])
    assert result["median_time_from_previous"].tolist()[1:] == [pd.Timedelta("1h"), pd.Timedelta("2h")]


def test_strict_mode_forbids_other_events_between_steps():
    events = log(("direct", "0h", "view"), ("direct", "1h", "buy"),
                 ("detour", "0h", "view"), ("detour", "30min", "faq"), ("detour", "1h", "buy"),
                 ("tie", "0h", "view"), ("tie", "0h", "faq"), ("tie", "1h", "buy"))
    assert reached(funnel(events, ["view", "buy"], mode="sequential")) == [3, 3]
    # an event sharing the step's timestamp is not "between" the steps
    assert reached(funnel(events, ["view", "buy"], mode="strict")) == [3, 2]


def test_strict_mode_with_a_later_attempt():
    """The first attempt is broken by 'faq'; a second view right before the buy converts."""
    events = log(("a", "0h", "view"), ("a", "1h", "faq"), ("a", "2h", "view"), ("a", "3h", "buy"))
    result = funnel(events, ["view", "buy"], mode="strict")
    assert reached(result) == [1, 1]
    assert result["median_time_from_previous"][1] == pd.Timedelta("1h")


def test_alternatives_any_of_them_counts():
    events = log(("a", "0h", "view"), ("a", "1h", "cart"),
                 ("b", "0h", "view"), ("b", "1h", "quick_buy"),
                 ("c", "0h", "view"), ("c", "1h", "faq"))
    result = funnel(events, ["view", ["cart", "quick_buy"]])
    assert result["name"].tolist() == ["view", "cart or quick_buy"]
    assert reached(result) == [3, 2]


def test_alternatives_at_step_one():
    events = log(("a", "0h", "app_open"), ("a", "1h", "buy"), ("b", "0h", "web_visit"))
    assert reached(funnel(events, [["web_visit", "app_open"], "buy"])) == [2, 1]


def test_same_name_twice_needs_two_events():
    events = log(("once", "0h", "view"), ("once", "1h", "buy"),
                 ("twice", "0h", "view"), ("twice", "1h", "view"), ("twice", "2h", "buy"),
                 ("same_time", "0h", "view"), ("same_time", "0h", "view"), ("same_time", "0h", "buy"))
    assert reached(funnel(events, ["view", "view", "buy"])) == [3, 2, 2]


def test_same_name_twice_with_a_step_between():
    """view, cart, view: the second view must be another event than the first."""
    events = log(("a", "0h", "view"), ("a", "0h", "cart"),
                 ("b", "0h", "view"), ("b", "0h", "cart"), ("b", "0h", "view"))
    assert reached(funnel(events, ["view", "cart", "view"])) == [2, 2, 1]


def test_customers_with_only_later_steps_are_not_counted():
    events = log(("a", "0h", "cart"), ("a", "1h", "buy"), ("b", "0h", "view"))
    result = funnel(events, ["view", "cart", "buy"])
    assert reached(result) == [1, 0, 0]
    assert result["dropped"].tolist() == [0, 1, 0]


def test_empty_input_gives_zero_counts_and_warns():
    events = log()
    with pytest.warns(UserWarning, match="never occur"):
        result = funnel(events, ["view", "buy"])
    assert reached(result) == [0, 0]
    assert result["conversion_from_start"].isna().all()
    assert result["median_time_from_previous"].isna().all()


def test_one_event():
    with pytest.warns(UserWarning, match="buy"):
        result = funnel(log(("a", "0h", "view")), ["view", "buy"])
    assert reached(result) == [1, 0]
    assert result["conversion_from_start"].tolist() == pytest.approx([1.0, 0.0])


def test_steps_that_never_occur_warn_with_zero_counts():
    events = log(("a", "0h", "view"), ("a", "1h", "buy"))
    with pytest.warns(UserWarning, match="chekout"):
        result = funnel(events, ["view", "chekout", "buy"])
    assert reached(result) == [1, 0, 0]


def test_breakdown_by_the_step1_events_column():
    events = log(("a", "0h", "view"), ("a", "1h", "buy"), ("b", "0h", "view"), ("c", "0h", "view"),
                 ("c", "1h", "buy"), ("c", "2h", "view"),
                 channel=["web", "app", "app", "web", "web", "app"])
    result = funnel(events, ["view", "buy"], by="channel", breakdown_attribution=("step", 1))
    assert list(result.columns) == ["channel", *FUNNEL_COLUMNS]
    table = {(row.channel, row.step): row.customers for row in result.itertuples()}
    # web attempts: a (converts, buy on app), c (converts); app attempts: b (no), c's 2h view (no)
    assert table == {("app", 1): 2, ("app", 2): 0, ("web", 1): 2, ("web", 2): 2}
    # the default, first touch: each customer once, in the group of their earliest event (c: web)
    first = funnel(events, ["view", "buy"], by="channel")
    assert {(row.channel, row.step): row.customers for row in first.itertuples()} == {
        ("app", 1): 1, ("app", 2): 0, ("web", 1): 2, ("web", 2): 2}


def test_one_funnel_on_us_and_ns_timestamps_and_text():
    rows = [("a", "0s", "view"), ("a", "1500ms", "buy"), ("b", "0s", "view"), ("b", "3D", "buy")]
    micro = funnel(log(*rows, unit="us"), ["view", "buy"], window="2D")
    nano = funnel(log(*rows, unit="ns"), ["view", "buy"], window="2D")
    text = log(*rows)
    text["timestamp"] = text["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S.%f").astype("string")
    from_text = funnel(text, ["view", "buy"], window="2D")
    pd.testing.assert_frame_equal(micro, nano)
    pd.testing.assert_frame_equal(micro, from_text)
    assert reached(micro) == [2, 1]
    assert micro["median_time_from_previous"][1] == pd.Timedelta("1500ms")


def test_timezone_aware_timestamps_are_compared_in_utc():
    events = log(("a", "0h", "view"), ("a", "1h", "buy"))
    events["timestamp"] = events["timestamp"].dt.tz_localize("Europe/Amsterdam")
    assert reached(funnel(events, ["view", "buy"], window="1h")) == [1, 1]


def test_other_column_names_via_keywords():
    events = log(("a", "0h", "view"), ("a", "1h", "buy")).rename(
        columns={"customer_id": "user", "timestamp": "when", "event": "action"})
    result = funnel(events, ["view", "buy"], customer="user", event="action", timestamp="when")
    assert reached(result) == [1, 1]


def test_files_globs_and_relations_give_the_same_funnel(tmp_path):
    events = log(("a", "0h", "view"), ("a", "1h", "buy"), ("b", "0h", "view"),
                 ("0042", "0h", "view"), ("0042", "2h", "buy"))
    expected = funnel(events, ["view", "buy"])
    events.iloc[:2].to_parquet(tmp_path / "part1.parquet")
    events.iloc[2:].to_parquet(tmp_path / "part2.parquet")
    events.to_csv(tmp_path / "events.csv", index=False)
    pd.testing.assert_frame_equal(funnel(tmp_path / "events.csv", ["view", "buy"]), expected)
    pd.testing.assert_frame_equal(funnel(str(tmp_path / "*.parquet"), ["view", "buy"]), expected)
    con = duckdb.connect()
    relation = con.read_parquet(str(tmp_path / "*.parquet"))
    pd.testing.assert_frame_equal(funnel(relation, ["view", "buy"]), expected)
    con.close()


def test_csv_customer_ids_keep_leading_zeros(tmp_path):
    events = log(("0042", "0h", "view"), ("42", "1h", "buy"))
    events.to_csv(tmp_path / "events.csv", index=False)
    dropouts = funnel_dropouts(tmp_path / "events.csv", ["view", "buy"], 2)
    assert dropouts["customer_id"].tolist() == ["0042"]


# ---------------------------------------------------------------------------
# bad input


def test_missing_column_names_the_keyword():
    events = log(("a", "0h", "view")).rename(columns={"customer_id": "user"})
    with pytest.raises(JourneykitError, match=r"column 'customer_id' not found.*pass customer=.*user"):
        funnel(events, ["view"])
    with pytest.raises(JourneykitError, match=r"'when'.*pass timestamp="):
        funnel(events, ["view"], customer="user", timestamp="when")
    with pytest.raises(JourneykitError, match=r"'region'.*by="):
        funnel(events, ["view"], customer="user", by="region")


def test_unparseable_timestamps_are_counted_with_examples():
    events = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "timestamp": ["2024-01-01 10:00", "yesterday", "31/31/2024", "2024-01-02", "soon"],
        "event": ["view"] * 5,
    })
    with pytest.raises(JourneykitError, match=r"3 of 5 timestamps") as info:
        funnel(events, ["view"])
    for example in ("yesterday", "31/31/2024", "soon"):
        assert example in str(info.value)


def test_numeric_timestamps_are_refused():
    events = pd.DataFrame({"customer_id": ["a"], "timestamp": [1700000000], "event": ["view"]})
    with pytest.raises(JourneykitError, match="BIGINT"):
        funnel(events, ["view"])


@pytest.mark.parametrize("steps", ["view", [], [[]], ["view", 3]])
def test_bad_steps_are_refused(steps):
    with pytest.raises(JourneykitError, match="step"):
        funnel(log(("a", "0h", "view")), steps)


def test_bad_window_and_mode_are_refused():
    events = log(("a", "0h", "view"))
    with pytest.raises(JourneykitError, match="window='14'"):
        funnel(events, ["view"], window="14")
    with pytest.raises(JourneykitError, match="mode"):
        funnel(events, ["view"], mode="loose")


def test_missing_files_and_other_types_are_refused(tmp_path):
    with pytest.raises(JourneykitError, match="no file matches"):
        funnel(str(tmp_path / "nothing*.parquet"), ["view"])
    with pytest.raises(JourneykitError, match=".parquet or .csv"):
        funnel(str(tmp_path / "events.json"), ["view"])
    with pytest.raises(JourneykitError, match="DataFrame"):
        funnel({"customer_id": ["a"]}, ["view"])


# ---------------------------------------------------------------------------
# drop-outs


def test_funnel_dropouts_lists_who_stopped_with_their_last_event():
    events = log(("a", "0h", "view"), ("a", "1h", "cart"), ("a", "2h", "buy"),
                 ("b", "0h", "view"), ("b", "1h", "cart"), ("b", "3h", "faq"), ("b", "4h", "faq"),
                 ("c", "0h", "view"), ("c", "5h", "help"),
                 ("d", "9h", "view"), ("d", "10h", "cart"))
    result = funnel_dropouts(events, ["view", "cart", "buy"], 3)
    assert list(result.columns) == ["customer_id", "reached_step", "reached_step_name", "reached_at",
                                    "last_event", "last_event_time", "events_after"]
    assert result["customer_id"].tolist() == ["b", "d"]
    b = result.iloc[0]
    assert (b.reached_step, b.reached_step_name) == (2, "cart")
    assert b.reached_at == T0 + pd.Timedelta("1h")
    assert (b.last_event, b.last_event_time, b.events_after) == ("faq", T0 + pd.Timedelta("4h"), 2)
    assert funnel_dropouts(events, ["view", "cart", "buy"], 2)["customer_id"].tolist() == ["c"]
    with pytest.raises(JourneykitError, match="step must be"):
        funnel_dropouts(events, ["view", "cart", "buy"], 1)


# ---------------------------------------------------------------------------
# stage funnel


def stand_in_workspace(events: pd.DataFrame, customers: pd.DataFrame | None = None,
                       defaults: Defaults | None = None) -> Workspace:
    """A workspace in memory: four stages (one without events), the events and customers."""
    stages = (
        Stage(id="awareness", name="Awareness", events=("ad_click", "social_visit")),
        Stage(id="consideration", name="Consideration", events=("product_view",)),
        Stage(id="unmapped", name="Unmapped", events=()),
        Stage(id="decision", name="Decision", events=("purchase",)),
    )
    config = JourneyConfig(business="Test", stages=stages, defaults=defaults or Defaults())
    tables = {"events": events} if customers is None else {"events": events, "customers": customers}
    return Workspace(path=Path("stand-in"), config=config, tables=tables)


STAGE_EVENTS = log(
    ("a", "0D", "ad_click"), ("a", "1D", "product_view"), ("a", "40D", "purchase"),
    ("b", "0D", "social_visit"), ("b", "1D", "product_view"),
    ("c", "0D", "product_view"), ("c", "1D", "purchase"),
    channel=["web", "web", "store", "social", "web", "web", "store"],
)


def test_stage_funnel_uses_the_stage_event_mapping():
    ws = stand_in_workspace(STAGE_EVENTS)
    with pytest.warns(UserWarning, match="unmapped"):
        result = stage_funnel(ws)
    assert list(result.columns) == ["step", "stage", *FUNNEL_COLUMNS[1:]]
    assert result["stage"].tolist() == ["awareness", "consideration", "decision"]
    assert result["name"].tolist() == ["Awareness", "Consideration", "Decision"]
    assert reached(result) == [2, 2, 1]          # no limit by default: a buys after 40 days
    with pytest.warns(UserWarning):
        assert reached(stage_funnel(ws, window=None)) == [2, 2, 1]
        assert reached(stage_funnel(ws, window="14D")) == [2, 2, 0]


def test_stage_funnel_uses_the_workspace_stage_window_unless_given():
    ws = stand_in_workspace(STAGE_EVENTS, defaults=Defaults(stage_window="30D"))
    with pytest.warns(UserWarning):
        assert reached(stage_funnel(ws)) == [2, 2, 0]  # 30D: a's purchase after 40 days is late
        assert reached(stage_funnel(ws, window="60D")) == [2, 2, 1]
    sixty = stand_in_workspace(STAGE_EVENTS, defaults=Defaults(window="60D", stage_window="14D"))
    with pytest.warns(UserWarning):  # the funnels' window is not the stage funnel's
        assert reached(stage_funnel(sixty)) == [2, 2, 0]


def test_stage_funnel_by_persona_and_channel():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "persona_id": ["regular", "foodie", "foodie"]})
    ws = stand_in_workspace(STAGE_EVENTS, customers)
    with pytest.warns(UserWarning):
        by_persona = stage_funnel(ws, by="persona", window=None)
        by_channel = stage_funnel(ws, by="channel", window=None)
    assert {(r.persona, r.stage): r.customers for r in by_persona.itertuples()} == {
        ("foodie", "awareness"): 1, ("foodie", "consideration"): 1, ("foodie", "decision"): 0,
        ("regular", "awareness"): 1, ("regular", "consideration"): 1, ("regular", "decision"): 1,
    }
    assert sorted(by_channel["channel"].unique()) == ["social", "web"]
    ws_without = stand_in_workspace(STAGE_EVENTS)
    with pytest.warns(UserWarning), pytest.raises(JourneykitError, match="persona_id"):
        stage_funnel(ws_without, by="persona")


def test_stage_funnel_on_a_loaded_workspace(make_workspace):
    from journeykit.workspace.loader import load_workspace

    events = (
        "customer_id,timestamp,event,channel\n"
        "c1,2024-03-01 10:00,ad_click,web\n"
        "c1,2024-03-01 10:05,menu_view,web\n"
        "c1,2024-03-02 12:00,order,store\n"
        "c2,2024-03-01 11:00,ad_click,web\n"
        "c3,2024-03-03 09:00,menu_view,web\n"
    )
    customers = "customer_id,first_seen,persona_id,channel\nc1,2024-03-01,regular,web\nc2,2024-03-01,foodie,web\nc3,2024-03-03,foodie,web\n"
    ws = load_workspace(make_workspace(events=events, customers=customers))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stage_funnel(ws)
        by_persona = stage_funnel(ws, by="persona")
    assert result["stage"].tolist() == ["awareness", "consideration", "decision", "post_purchase"]
    assert reached(result) == [2, 1, 1, 0]
    assert by_persona.loc[by_persona["persona"] == "regular", "customers"].tolist() == [1, 1, 1, 0]


# ---------------------------------------------------------------------------
# paths, transitions, step matrix

SESSIONS = log(
    ("a", "0min", "home"), ("a", "10min", "search"), ("a", "40min", "product"),   # gap 30min: same session
    ("a", "71min", "home"),                                                      # gap 31min: new session
    ("b", "0min", "home"), ("b", "5min", "search"), ("b", "6min", "product"), ("b", "7min", "buy"),
    ("c", "0min", "search"),
)


def test_transitions_count_directly_follows_with_end_state():
    result = transitions(SESSIONS)
    table = {(r.source, r.target): r.count for r in result.itertuples()}
    assert table == {
        ("home", "search"): 2, ("home", END): 1, ("search", "product"): 2, ("search", END): 1,
        ("product", "buy"): 1, ("product", END): 1, ("buy", END): 1,
    }
    sums = result.groupby("source")["probability"].sum()
    assert sums.tolist() == pytest.approx([1.0] * len(sums))
    with_start = transitions(SESSIONS, include_start=True)
    starts = with_start[with_start["source"] == START].set_index("target")["count"].to_dict()
    assert starts == {"home": 3, "search": 1}


def test_transitions_without_sessions_follow_the_whole_history():
    result = transitions(SESSIONS, session_gap=None)
    table = {(r.source, r.target): r.count for r in result.itertuples()}
    assert table[("product", "home")] == 1
    assert ("product", END) not in table


def test_paths_count_sessions_with_shares():
    result = paths(SESSIONS)
    assert list(result.columns) == ["path", "events", "length", "truncated", "sessions", "customers", "share"]
    table = dict(zip(result["path"], result["sessions"], strict=True))
    assert table == {"home → search → product": 1, "home": 1, "home → search → product → buy": 1,
                     "search": 1}
    assert result["share"].sum() == pytest.approx(1.0)


def test_paths_with_start_end_and_max_steps():
    started = paths(SESSIONS, start="search", max_steps=2)
    # a: search, product (session ends) - b: search, product, buy (cut) - c: search
    assert started["path"].tolist() == ["search", "search → product", "search → product → …"]
    assert started["sessions"].tolist() == [1, 1, 1]
    assert started["truncated"].tolist() == [False, False, True]
    ended = paths(SESSIONS, end="product")
    assert ended["path"].tolist() == ["home → search → product"]
    assert ended["sessions"].tolist() == [2]
    assert ended["customers"].tolist() == [2]
    top = paths(SESSIONS, top=1)
    assert len(top) == 1


def test_step_matrix_columns_sum_to_one_with_end_row():
    result = step_matrix(SESSIONS, max_steps=5)
    assert result.index[-1] == END
    assert list(result.columns) == [1, 2, 3, 4, 5]
    assert result.sum(axis=0).tolist() == pytest.approx([1.0] * 5)
    assert result.loc["home", 1] == pytest.approx(2 / 3)
    assert result.loc[END, 2] == pytest.approx(1 / 3)    # c has one event
    assert result.loc["home", 4] == pytest.approx(1 / 3)  # a's 4th event
    from_search = step_matrix(SESSIONS, max_steps=2, start="search")
    assert from_search.loc["search", 1] == 1.0
    assert from_search.loc["product", 2] == pytest.approx(2 / 3)


# ---------------------------------------------------------------------------
# retention


def test_retention_cohorts_returned_in_that_period():
    events = log(
        ("a", "0D", "visit"), ("a", "31D", "visit"),               # Mar cohort, back in Apr
        ("b", "1D", "visit"), ("b", "62D", "visit"),               # Mar cohort, back in May (not Apr)
        ("c", "35D", "visit"), ("c", "36D", "visit"),              # Apr cohort, only April
    )
    result = retention(events, period="M")
    assert list(result.columns) == ["cohort", "period", "period_start", "cohort_size", "customers", "share"]
    march = result[result["cohort"] == pd.Timestamp("2024-03-01")]
    assert march["customers"].tolist() == [2, 1, 1]
    assert march["share"].tolist() == pytest.approx([1.0, 0.5, 0.5])
    assert march["period_start"].tolist() == [pd.Timestamp(f"2024-0{m}-01") for m in (3, 4, 5)]
    april = result[result["cohort"] == pd.Timestamp("2024-04-01")]
    assert april["customers"].tolist() == [1, 0]   # periods after the data's end are not shown


def test_retention_with_cohort_and_return_events():
    events = log(("a", "0D", "visit"), ("a", "10D", "signup"), ("a", "40D", "visit"), ("a", "45D", "order"),
                 ("b", "0D", "visit"))
    result = retention(events, period="M", cohort_event="signup", return_event="order")
    assert result["cohort_size"].unique().tolist() == [1]   # b never signed up
    assert result["customers"].tolist() == [1, 1]


def test_retention_on_orders_uses_the_date_column():
    orders = pd.DataFrame({
        "order_id": ["1", "2", "3", "4"],
        "customer_id": ["a", "a", "b", "b"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-02", "2024-01-03"]),
        "amount": [10.0, 12.0, 5.0, 7.0],
    })
    weekly = retention(orders, period="W")
    assert weekly["customers"].tolist() == [2, 1]
    assert weekly["period_start"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    with pytest.raises(JourneykitError, match="period"):
        retention(orders, period="fortnight")
    with pytest.raises(JourneykitError, match="pass event="):
        retention(orders, cohort_event="signup")


# ---------------------------------------------------------------------------
# durations


@pytest.mark.parametrize(("text", "expected"), [
    ("14D", pd.Timedelta(days=14)), ("1h", pd.Timedelta(hours=1)), ("90s", pd.Timedelta(seconds=90)),
    ("30min", pd.Timedelta(minutes=30)), ("2 days", pd.Timedelta(days=2)), ("1.5h", pd.Timedelta(minutes=90)),
    ("2W", pd.Timedelta(days=14)), ("1h30min", pd.Timedelta(minutes=90)),
    (pd.Timedelta("3h"), pd.Timedelta(hours=3)), (None, None),
])
def test_parse_duration_reads_the_common_forms(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("14", "no unit"), ("1M", "months"), ("-1h", "negative"), ("soon", "not a duration"),
    (14, "not a duration"), ("3 fortnights", "unknown unit"),
])
def test_parse_duration_refuses_unclear_values(text, message):
    with pytest.raises(JourneykitError, match=message):
        parse_duration(text, name="window")


# ---------------------------------------------------------------------------
# issue 14: the small logs of the tie rule and of PostHog's semantics


def _minutes(*rows: tuple[str, int, str, str]) -> pd.DataFrame:
    t0 = pd.Timestamp("2024-03-01 10:00")
    return pd.DataFrame({
        "customer_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([t0 + pd.Timedelta(minutes=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
        "channel": pd.Series([r[3] for r in rows], dtype="string"),
    })


def test_equal_times_take_the_assignment_that_gets_furthest():
    # S@10:00, A@10:01, B@10:01: B is step 2 and A step 3
    events = _minutes(("c", 0, "S", "web"), ("c", 1, "A", "web"), ("c", 1, "B", "web"))
    for mode in ("sequential", "strict"):
        for window in (None, "5min"):
            result = funnel(events, ["S", ["A", "B"], "A"], mode=mode, window=window)
            assert result["customers"].tolist() == [1, 1, 1], (mode, window)


def test_strict_order_keeps_the_attempt_through_a_repeated_step():
    # A@0, B@1, B@2, C@3: the repeated B keeps the attempt at step 2 (PostHog reaches C)
    events = _minutes(("c", 0, "A", "web"), ("c", 1, "B", "web"), ("c", 2, "B", "web"), ("c", 3, "C", "web"))
    result = funnel(events, ["A", "B", "C"], mode="strict")
    assert result["customers"].tolist() == [1, 1, 1]
    # step 2's time stays the first B's, as PostHog's timings
    assert result["median_time_from_previous"].tolist()[1:] == [pd.Timedelta(minutes=1), pd.Timedelta(minutes=2)]
    # another event in between still breaks a strict attempt
    broken = _minutes(("c", 0, "A", "web"), ("c", 1, "B", "web"), ("c", 2, "X", "web"), ("c", 3, "C", "web"))
    assert funnel(broken, ["A", "B", "C"], mode="strict")["customers"].tolist() == [1, 1, 0]


def test_time_to_convert_is_from_the_latest_start_that_still_converts():
    # A@0, A@1, B@2: 1 minute (PostHog), not 2 (the first attempt)
    events = _minutes(("c", 0, "A", "web"), ("c", 1, "A", "web"), ("c", 2, "B", "web"))
    for mode in ("sequential", "strict"):
        for window in (None, "14D"):
            result = funnel(events, ["A", "B"], mode=mode, window=window)
            assert result["median_time_from_previous"].tolist()[1] == pd.Timedelta(minutes=1), (mode, window)


def test_breakdown_attribution_puts_each_customer_in_one_group_by_default():
    # c: A on web, later A and B on app; d: A on app
    events = _minutes(("c", 0, "A", "web"), ("c", 1, "A", "app"), ("c", 2, "B", "app"), ("d", 0, "A", "app"))

    def table(attribution):
        result = funnel(events, ["A", "B"], by="channel", breakdown_attribution=attribution)
        return {(r.channel if isinstance(r.channel, str) else None, r.step): r.customers
                for r in result.itertuples()}

    assert table("first_touch") == {("app", 1): 1, ("app", 2): 0, ("web", 1): 1, ("web", 2): 1}
    assert table("last_touch") == {("app", 1): 2, ("app", 2): 1}
    # all events: per value, on that value's events only (c converts on app, not on web)
    assert table("all_events") == {("app", 1): 2, ("app", 2): 1, ("web", 1): 1, ("web", 2): 0}
    # ("step", 2): the value of the step-2 event; d has none
    assert table(("step", 2)) == {("app", 1): 1, ("app", 2): 1, (None, 1): 1, (None, 2): 0}
    # ("step", 1): each attempt in the group of its step-1 event (c in both)
    assert table(("step", 1)) == {("app", 1): 2, ("app", 2): 1, ("web", 1): 1, ("web", 2): 1}
    assert funnel(events, ["A", "B"], by="channel").groupby("step")["customers"].sum().tolist() == [2, 1]
    with pytest.raises(JourneykitError, match="breakdown_attribution"):
        funnel(events, ["A", "B"], by="channel", breakdown_attribution=("step", 3))


def test_an_exclusion_between_two_steps_drops_that_attempt_as_posthog():
    events = _minutes(
        ("a", 0, "A", "web"), ("a", 1, "X", "web"), ("a", 2, "B", "web"),  # X between: left out
        ("b", 0, "A", "web"), ("b", 2, "B", "web"), ("b", 3, "X", "web"),  # X after B: counts
        ("c", 0, "A", "web"), ("c", 1, "X", "web"), ("c", 5, "A", "web"), ("c", 6, "B", "web"),  # 2nd attempt
        ("d", 0, "A", "web"), ("d", 1, "X", "web"), ("d", 2, "B", "web"), ("d", 5, "A", "web"),  # best excluded
    )
    result = funnel(events, ["A", "B"], exclusions=[("X", 1)])
    assert result["customers"].tolist() == [2, 2]
    # b: 2 minutes, c: its clean attempt from minute 5, 1 minute
    assert result["median_time_from_previous"].tolist()[1] == pd.Timedelta(minutes=1.5)
    assert funnel(events, ["A", "B"])["customers"].tolist() == [4, 4]
    # outside the window of the attempt an exclusion event does not count
    assert funnel(events, ["A", "B"], exclusions=[("X", 1)], window="30s")["customers"].tolist() == [4, 0]
    # between steps 1 and 3 (no C in the log): b's X after B now excludes it too; c's clean
    # attempt from minute 5 is the only one left at step 2
    dropped = funnel_dropouts(events, ["A", "B", "C"], 3, exclusions=[("X", 1, 3)])
    assert dropped["customer_id"].tolist() == ["c"]
    with pytest.raises(JourneykitError, match="exclusion"):
        funnel(events, ["A", "B"], exclusions=[("B", 1)])
    with pytest.raises(JourneykitError, match="exclusion"):
        funnel(events, ["A", "B"], exclusions=[("X", 2)])


def test_an_any_order_funnel_counts_customers_who_did_any_k_of_the_steps():
    events = _minutes(("a", 0, "C", "web"), ("a", 1, "B", "web"), ("a", 3, "A", "web"),
                      ("b", 0, "B", "web"), ("b", 10, "A", "web"))
    result = funnel(events, ["A", "B", "C"], order="any")
    assert result["customers"].tolist() == [2, 2, 1]
    assert result["median_time_from_previous"].tolist()[1:] == [pd.Timedelta(minutes=5.5), pd.Timedelta(minutes=2)]
    assert funnel(events, ["A", "B", "C"], order="any", window="5min")["customers"].tolist() == [2, 1, 1]
    assert funnel(events, ["A", "B", "C"])["customers"].tolist() == [2, 0, 0]
    with pytest.raises(JourneykitError, match="order"):
        funnel(events, ["A", "B"], order="random")
