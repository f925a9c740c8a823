"""Time to convert, a step funnel week by week, rolling and broken-down retention, paths
after/before an event: each against a straightforward pure-Python computation of its rule
on random small logs, plus the charts drawing them."""

from __future__ import annotations

import math
import warnings
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit.analytics.events import funnel
from journeykit.analytics.events.conversion import BIN_WIDTHS, time_to_convert
from journeykit.analytics.events.pathflows import paths_after, paths_before
from journeykit.analytics.events.retention import retention, retention_curves
from journeykit.analytics.events.trend import funnel_trend
from journeykit.core.errors import JourneykitError
from journeykit.viz.charts import retention_heatmap
from journeykit.viz.conversion_charts import time_to_convert_chart
from journeykit.viz.path_flows import path_flow_chart

T0 = pd.Timestamp("2024-03-04")  # a Monday
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (customer, minutes after T0, event[, channel])."""
    return pd.DataFrame({
        "customer_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([T0 + pd.Timedelta(minutes=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
        "channel": pd.Series([r[3] if len(r) > 3 else "web" for r in rows], dtype="string"),
    })


# --------------------------------------------------------------------------- time to convert

STEPS = ["a", "b", "c"]

# each customer does each step event at most once (plus noise events): the one attempt is
# unambiguous under any attempt-choosing rule, so the reference needs no funnel of its own
one_attempt_logs = st.lists(
    st.tuples(
        st.lists(st.one_of(st.none(), st.integers(0, 30 * 24 * 60)), min_size=3, max_size=3),
        st.lists(st.integers(0, 30 * 24 * 60), max_size=2),
    ),
    min_size=1, max_size=25,
)


def _one_attempt_rows(customers) -> list[tuple]:
    rows = []
    for i, (times, noise) in enumerate(customers):
        for name, minute in zip(STEPS, times, strict=True):
            if minute is not None:
                rows.append((f"u{i}", minute, name))
        rows += [(f"u{i}", minute, "noise") for minute in noise]
    return rows


def _reference_reached(times: list[int | None], window_min: float | None) -> tuple[int, list[int]]:
    """Steps reached (and their minutes) when each step event happens once."""
    if times[0] is None:
        return 0, []
    got = [times[0]]
    for t in times[1:]:
        if t is None or t < got[-1] or (window_min is not None and t - got[0] > window_min):
            break
        got.append(t)
    return len(got), got


@EXAMPLES
@given(one_attempt_logs, st.sampled_from([None, "7D", "14D"]), st.sampled_from([5, 20]))
def test_time_to_convert_is_the_first_to_last_step_time_of_each_converter(customers, window, bins):
    rows = _one_attempt_rows(customers)
    if not rows:
        return
    window_min = None if window is None else pd.Timedelta(window) / pd.Timedelta(minutes=1)
    durations = []
    for times, _ in customers:
        reached, got = _reference_reached(times, window_min)
        if reached == 3:
            durations.append(got[-1] - got[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ttc = time_to_convert(_frame(rows), STEPS, window=window, bins=bins)
        counts = funnel(_frame(rows), STEPS, window=window)["customers"].tolist()
    assert ttc.customers == len(durations) == counts[-1]
    assert int(ttc.histogram["customers"].sum()) == len(durations)
    if not durations:
        assert pd.isna(ttc.median) and ttc.histogram.empty
        return
    minutes = np.array(durations, dtype=float)
    assert ttc.mean == pd.Timedelta(minutes=minutes.mean()).round("us")
    assert ttc.median / pd.Timedelta(minutes=1) == pytest.approx(np.percentile(minutes, 50))
    assert ttc.p90 / pd.Timedelta(minutes=1) == pytest.approx(np.percentile(minutes, 90))
    assert (ttc.minimum, ttc.maximum) == (pd.Timedelta(minutes=minutes.min()), pd.Timedelta(minutes=minutes.max()))
    # the narrowest listed width with at most `bins` bins, and every customer in its bin
    width = ttc.bin_width
    assert width == min(w for w in BIN_WIDTHS if w * bins > pd.Timedelta(minutes=minutes.max()))
    expected = defaultdict(int)
    for d in durations:
        expected[int(pd.Timedelta(minutes=d) // width)] += 1
    got = dict(zip(ttc.histogram["bin_start"] // width, ttc.histogram["customers"], strict=True))
    assert {k: v for k, v in got.items() if v} == dict(expected)
    assert len(ttc.histogram) == max(expected) + 1
    assert ttc.histogram["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_time_to_convert_between_chosen_steps_with_a_fixed_bin_width():
    log = _frame([("a", 0, "a"), ("a", 30, "b"), ("a", 90, "c"), ("b", 0, "a"), ("b", 200, "b")])
    ttc = time_to_convert(log, STEPS, from_step=1, to_step=2, bin_width="1h")
    assert ttc.customers == 2 and ttc.bin_width == pd.Timedelta("1h")
    assert ttc.histogram["customers"].tolist() == [1, 0, 0, 1]
    assert ttc.median == pd.Timedelta(minutes=115)
    later = time_to_convert(log, STEPS, from_step=2, step_names=["Look", "Cart", "Pay"])
    assert (later.customers, later.median, later.from_name, later.to_name) == (1, pd.Timedelta("1h"), "Cart", "Pay")
    assert later.summary().loc[0, "to"] == "Pay"


@pytest.mark.parametrize("kwargs, message", [
    ({"from_step": 3}, "before"), ({"to_step": 4}, "to_step"), ({"bins": 0}, "bins"),
    ({"bin_width": "0s"}, "bin_width"), ({"step_names": ["x"]}, "step_names"),
])
def test_time_to_convert_refuses_bad_arguments(kwargs, message):
    with pytest.raises(JourneykitError, match=message):
        time_to_convert(_frame([("a", 0, "a")]), STEPS, **kwargs)


# --------------------------------------------------------------------------- step funnel per week

@EXAMPLES
@given(one_attempt_logs)
def test_step_funnel_trend_counts_each_customer_in_the_week_they_entered(customers):
    rows = _one_attempt_rows(customers)
    if not rows:
        return
    entered, converted = defaultdict(int), defaultdict(int)
    for times, _ in customers:
        reached, got = _reference_reached(times, 14 * 24 * 60)
        if reached:
            start = T0 + pd.Timedelta(minutes=got[0])
            week = (start - pd.Timedelta(days=start.weekday())).normalize()
            entered[week] += 1
            converted[week] += reached == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        trend = funnel_trend(_frame(rows), STEPS, window="14D")
    weeks = trend.weeks[trend.weeks["entered"] > 0]
    assert dict(zip(weeks["week"], weeks["entered"], strict=True)) == dict(entered)
    assert dict(zip(weeks["week"], weeks["converted"], strict=True)) == {w: converted[w] for w in entered}
    assert (trend.first_step, trend.last_step, trend.window) == ("a", "c", pd.Timedelta("14D"))


def test_funnel_trend_on_a_workspace_memoises_a_step_funnel_and_still_does_the_stage_funnel(sample_ws):
    steps = ["product_view", "add_to_cart", "order_completed"]
    trend = jk.funnel_trend(sample_ws, steps, step_names=["View", "Cart", "Order"])
    counts = jk.funnel(sample_ws, steps)["customers"].tolist()
    assert int(trend.weeks["entered"].sum()) == counts[0]
    assert int(trend.weeks["converted"].sum()) == counts[-1]
    assert (trend.first_step, trend.last_step) == ("View", "Order")
    assert jk.funnel_trend(sample_ws).first_step == str(sample_ws.config.stages[0].name)
    with pytest.raises(JourneykitError, match="steps="):
        jk.funnel_trend(_frame([("a", 0, "a")]))


# --------------------------------------------------------------------------- retention

order_rows = st.lists(
    st.tuples(st.sampled_from(["c1", "c2", "c3", "c4", "c5"]), st.integers(0, 200),
              st.sampled_from(["web", "store", "app"])),
    min_size=1, max_size=30,
)


def _orders(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.Series([r[0] for r in rows], dtype="string"),
        "date": pd.Series([T0 + pd.Timedelta(days=r[1]) for r in rows], dtype="datetime64[us]"),
        "channel": pd.Series([r[2] for r in rows], dtype="string"),
    })


def _month(ts: pd.Timestamp) -> int:
    return ts.year * 12 + ts.month - 1


def _reference_retention(rows, kind: str, group_of=None) -> dict[tuple, tuple[int, int]]:
    """(group, cohort month, period) -> (cohort size, retained) over the periods in the data."""
    months: dict[str, set[int]] = defaultdict(set)
    for customer, day, _ in rows:
        months[customer].add(_month(T0 + pd.Timedelta(days=day)))
    last = max(max(m) for m in months.values())
    out = {}
    by_cohort: dict[tuple, list[str]] = defaultdict(list)
    for customer, active in months.items():
        group = group_of(customer) if group_of else None
        by_cohort[(group, min(active))].append(customer)
    for (group, cohort), members in by_cohort.items():
        for period in range(0, last - cohort + 1):
            if period == 0:
                kept = len(members)
            elif kind == "returned":
                kept = sum(cohort + period in months[c] for c in members)
            else:
                kept = sum(max(months[c]) >= cohort + period for c in members)
            out[(group, cohort, period)] = (len(members), kept)
    return out


def _result(frame: pd.DataFrame, by: str | None = None) -> dict[tuple, tuple[int, int]]:
    return {
        (None if by is None else row[by], _month(row["cohort"]), row["period"]): (row["cohort_size"], row["customers"])
        for _, row in frame.iterrows()
    }


@EXAMPLES
@given(order_rows, st.sampled_from(["returned", "on_or_after"]))
def test_retention_kinds_match_a_month_by_month_count(rows, kind):
    assert _result(retention(_orders(rows), kind=kind)) == _reference_retention(rows, kind)


@EXAMPLES
@given(order_rows, st.sampled_from(["returned", "on_or_after"]))
def test_retention_by_first_channel_puts_each_customer_in_the_channel_of_their_first_order(rows, kind):
    first: dict[str, tuple[int, str]] = {}
    for customer, day, channel in rows:  # earliest order; same day: the smallest channel name
        first[customer] = min(first.get(customer, (day, channel)), (day, channel))
    expected = _reference_retention(rows, kind, lambda c: first[c][1])
    result = retention(_orders(rows), kind=kind, by="channel")
    assert _result(result, "channel") == expected
    # pooled per channel: the cohorts that reached period n
    curves = retention_curves(result, "channel")
    for _, row in curves.iterrows():
        cells = [v for (g, _, p), v in expected.items() if g == row["channel"] and p == row["period"]]
        assert (row["cohort_size"], row["customers"]) == (sum(s for s, _ in cells), sum(k for _, k in cells))
        assert row["share"] == pytest.approx(row["customers"] / row["cohort_size"])


def test_retention_by_persona_looks_each_customer_up_in_the_customers_table():
    rows = [("c1", 0, "web"), ("c1", 40, "web"), ("c2", 0, "web"), ("c3", 35, "store"), ("c3", 70, "web")]
    customers = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "persona_id": ["p_a", "p_b", "p_a"]})
    result = retention(_orders(rows), by="persona", customers=customers, kind="on_or_after")
    personas = {"c1": "p_a", "c2": "p_b", "c3": "p_a"}
    assert _result(result, "persona") == _reference_retention(rows, "on_or_after", personas.get)
    assert result["persona"].dtype == "string"
    with pytest.raises(JourneykitError, match="customers="):
        retention(_orders(rows), by="persona")
    with pytest.raises(JourneykitError, match="kind"):
        retention(_orders(rows), kind="rolling")  # type: ignore[arg-type]


def test_retention_by_persona_on_a_workspace_reads_its_customers(sample_ws):
    result = jk.retention(sample_ws, period="Q", by="persona", max_periods=2)
    sizes = result[result["period"] == 0].groupby("persona", dropna=False)["cohort_size"].sum()
    # every customer of the log once, in their persona (customers.persona_id)
    assert int(sizes.sum()) == int(jk.retention(sample_ws, period="Q", max_periods=2)
                                   .query("period == 0")["cohort_size"].sum())
    assert set(sizes.index.dropna()) <= set(sample_ws.customers["persona_id"].dropna())
    one = sample_ws.customers.dropna(subset=["persona_id"]).iloc[0]
    cohorts = result[(result["persona"] == one["persona_id"]) & (result["period"] == 0)]
    assert len(cohorts) > 0


# --------------------------------------------------------------------------- paths around an event

path_rows = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3", "u4"]), st.integers(0, 150), st.sampled_from(["x", "y", "z", "g"])),
    max_size=30, unique_by=lambda r: r,  # no duplicate rows: equal rows have no order to test
)


def _reference_paths(rows, anchor, direction, max_steps, gap_min, goal, window_min):
    events: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for customer, minute, name in rows:
        events[customer].append((minute, name))
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])  # sessions, converted, customers
    seen: dict[tuple, set] = defaultdict(set)
    for customer, evs in events.items():
        evs.sort()
        sessions, current = [], [evs[0]]
        for prev, ev in zip(evs, evs[1:], strict=False):
            if ev[0] - prev[0] > gap_min:
                sessions.append(current)
                current = []
            current.append(ev)
        sessions.append(current)
        for session in sessions:
            names = [n for _, n in session]
            if anchor not in names:
                continue
            i = names.index(anchor)
            if direction == "after":
                path, cut = tuple(names[i:i + max_steps + 1]), len(names) > i + max_steps + 1
            else:
                path, cut = tuple(names[max(0, i - max_steps):i + 1]), i > max_steps
            t0 = session[i][0]
            converted = any(n == goal and t0 <= t <= t0 + window_min for t, n in evs)
            key = (path, cut)
            counts[key][0] += 1
            counts[key][1] += converted
            seen[key].add(customer)
    return {k: (v[0], v[1], len(seen[k])) for k, v in counts.items()}


@EXAMPLES
@given(path_rows, st.sampled_from(["after", "before"]), st.integers(1, 3), st.sampled_from([10, 30]))
def test_paths_around_an_event_match_a_session_by_session_walk(rows, direction, max_steps, gap):
    expected = _reference_paths(rows, "x", direction, max_steps, gap, "g", 60) if rows else {}
    call = paths_after if direction == "after" else paths_before
    result = call(_frame(rows) if rows else _frame([("u0", 0, "y")]), "x", max_steps=max_steps, goal="g",
                  window="60min", session_gap=f"{gap}min", top=None)
    got = {(tuple(r.events), bool(r.truncated)): (r.sessions, r.converted, r.customers)
           for r in result.itertuples()}
    assert got == expected
    total = sum(v[0] for v in expected.values())
    total_conv = sum(v[1] for v in expected.values())
    for r in result.itertuples():
        assert r.share == pytest.approx(r.sessions / total)
        assert r.conversion_rate == pytest.approx(r.converted / r.sessions)
        if total_conv:
            assert r.share_of_converters == pytest.approx(r.converted / total_conv)
        else:
            assert math.isnan(r.share_of_converters)
        if total - total_conv:
            assert r.share_of_non_converters == pytest.approx((r.sessions - r.converted) / (total - total_conv))
        arrow = " → ".join(r.events)
        assert r.path == (arrow + (" → …" if r.truncated else "") if direction == "after"
                          else ("… → " if r.truncated else "") + arrow)
    assert list(result["sessions"]) == sorted(result["sessions"], reverse=True)


def test_paths_before_a_failed_payment_in_the_demo(sample_ws):
    before = jk.paths_before(sample_ws, "payment_failed", max_steps=2, goal="order_completed")
    assert before["events"].map(lambda e: e[-1] == "payment_failed").all()
    assert before["share"].sum() <= 1.0 + 1e-9
    assert set(before.columns) == set(jk.analytics.events.pathflows.PATHFLOWS_COLUMNS)
    plain = jk.paths_after(sample_ws, "add_to_cart", top=5)
    assert "converted" not in plain.columns and len(plain) == 5


# --------------------------------------------------------------------------- charts and definitions

def _texts(fig) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in [*ax.texts, ax.title, ax.xaxis.label]
                     + list(ax.get_legend().get_texts() if ax.get_legend() else []))


def test_time_to_convert_chart_marks_the_median_mean_and_p90():
    log = _frame([("a", 0, "a"), ("a", 60, "b"), ("a", 120, "c"), ("b", 0, "a"), ("b", 30, "b"), ("b", 600, "c")])
    ttc = time_to_convert(log, STEPS)
    fig = time_to_convert_chart(ttc)
    text = _texts(fig)
    assert "Median: 6 h" in text and "Mean: 6 h" in text and "90th percentile" in text
    assert "2 customers converted" in text
    bars = [p for p in fig.axes[0].patches]
    assert sum(b.get_height() for b in bars) == pytest.approx(1.0)
    empty = time_to_convert_chart(time_to_convert(_frame([("a", 0, "a")]), STEPS))
    assert "no customer reached the last step" in _texts(empty)
    with pytest.raises(JourneykitError):
        time_to_convert_chart(pd.DataFrame())  # type: ignore[arg-type]


def test_path_flow_chart_draws_a_block_per_event_and_step_sized_by_sessions():
    frame = pd.DataFrame({"events": [("cart", "pay"), ("cart",), ("cart", "view")], "sessions": [6, 3, 1],
                          "truncated": [False, False, True]})
    fig = path_flow_chart(frame)
    ax = fig.axes[0]
    blocks = {t.get_text().split("\n")[0]: t for t in ax.texts}
    assert set(blocks) == {"cart", "pay", "view", "(end)"}
    assert "10 (100%)" in blocks["cart"].get_text() and "6 (60%)" in blocks["pay"].get_text()
    heights = sorted(round(p.get_height(), 3) for p in ax.patches if hasattr(p, "get_height"))
    assert heights[-1] == pytest.approx(1.0, abs=1e-9)  # the anchor spans the column
    before = path_flow_chart(pd.DataFrame({"events": [("a", "x"), ("b", "x")], "sessions": [2, 1]}))
    assert "before “x”" in before.axes[0].xaxis.label.get_text()
    assert "no path" in _texts(path_flow_chart(frame.iloc[:0]))


def test_retention_heatmap_labels_rolling_retention_and_group_rows():
    rows = [("c1", 0, "web"), ("c1", 40, "web"), ("c2", 0, "store")]
    fig = retention_heatmap(retention(_orders(rows), kind="on_or_after"), kind="on_or_after")
    assert "or later" in fig.axes[-1].get_ylabel()
    curves = retention_curves(retention(_orders(rows), by="channel"), "channel")
    grid = retention_heatmap(curves, rows="channel")
    labels = [t.get_text() for t in grid.axes[0].get_yticklabels()]
    assert labels == ["store (n 1)", "web (n 1)"] and grid.axes[0].get_ylabel() == "channel"
    assert "100%" in [t.get_text() for t in grid.axes[0].texts]  # cells labelled on a small grid


def test_the_definitions_say_how_time_to_convert_and_paths_around_an_event_are_counted():
    table = jk.semantics(session_gap="45min").set_index("topic")["definition"]
    assert "90th percentile" in table["Time to convert"]
    assert "Session gap: 45min" in table["Paths after or before an event"]
    assert "on or after" in table["Retention"]
