"""Property tests: the DuckDB funnel, transitions and retention agree with straightforward
pure-Python implementations of the stated rules on random small logs (many ties, repeated
and overlapping step names)."""

from __future__ import annotations

import statistics
import warnings
from collections import Counter, defaultdict

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.analytics.events import END, funnel, retention, transitions

T0 = pd.Timestamp("2024-03-01")
NAMES = ["a", "b", "c", "d"]

event_rows = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 12), st.sampled_from(NAMES[:3]),
              st.sampled_from(["web", "app"])),
    max_size=18,
)
step_item = st.one_of(
    st.sampled_from(NAMES),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True),
)
steps_strategy = st.lists(step_item, min_size=1, max_size=4)
windows = st.sampled_from([None, "0min", "2min", "5min"])
# modest example counts keep this file well under 30 s on a busy 2-core machine
FUNNEL_EXAMPLES = settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame_of(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([T0 + pd.Timedelta(minutes=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
        "channel": pd.Series([r[3] for r in rows], dtype="string"),
    })


# ---------------------------------------------------------------------------
# reference funnel: the rules of FUNNEL_SEMANTICS, event by event


def reference_funnel(rows, steps, window, strict, by_channel):
    sets = [{s} if isinstance(s, str) else set(s) for s in steps]
    limit = None if window is None else pd.Timedelta(window)
    per_customer = defaultdict(list)
    for index, (customer, minute, name, channel) in enumerate(rows):
        per_customer[customer].append((T0 + pd.Timedelta(minutes=minute), name, channel, index))
    best = {}  # (customer, group) -> (reached, start key, times)
    for customer, events in per_customer.items():
        for start in events:
            if start[1] not in sets[0]:
                continue
            used, times = {start[3]}, [start[0]]
            for k in range(1, len(steps)):
                candidates = [e for e in events
                              if e[3] not in used and e[1] in sets[k] and e[0] >= times[-1]]
                if not candidates:
                    break
                pick = min(candidates, key=lambda e: (e[0], e[1]))
                if limit is not None and pick[0] - times[0] > limit:
                    break
                if strict and any(times[-1] < e[0] < pick[0] for e in events):
                    break
                used.add(pick[3])
                times.append(pick[0])
            group = start[2] if by_channel else None
            key = (customer, group)
            candidate = (len(times), (start[0], start[1]), times)
            current = best.get(key)
            # furthest reach wins; among equals, the earliest attempt (start time, then name)
            if (current is None or candidate[0] > current[0]
                    or (candidate[0] == current[0] and candidate[1] < current[1])):
                best[key] = candidate
    out = {}
    for (_, group), (reach, _, times) in best.items():
        out.setdefault(group, []).append((reach, times))
    result = {}
    for group, customers in out.items():
        counts = [sum(1 for r, _ in customers if r >= k) for k in range(1, len(steps) + 1)]
        medians = [None]
        for k in range(1, len(steps)):
            gaps = [(t[k] - t[k - 1]) / pd.Timedelta(microseconds=1) for r, t in customers if r > k]
            medians.append(None if not gaps else pd.Timedelta(microseconds=statistics.median(gaps)))
        result[group] = (counts, medians)
    return result


@FUNNEL_EXAMPLES
@given(rows=event_rows, steps=steps_strategy, window=windows, strict=st.booleans(), by_channel=st.booleans())
def test_funnel_matches_the_reference(rows, steps, window, strict, by_channel):
    events = frame_of(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = funnel(events, steps, window=window, mode="strict" if strict else "sequential",
                        by="channel" if by_channel else None)
    expected = reference_funnel(rows, steps, window, strict, by_channel)
    if not by_channel:
        counts, medians = expected.get(None, ([0] * len(steps), [None] * len(steps)))
        got = {None: result}
        expected = {None: (counts, medians)}
    else:
        got = {channel: part for channel, part in result.groupby("channel")}
    assert set(got) == set(expected)
    for group, (counts, medians) in expected.items():
        part = got[group]
        assert part["customers"].tolist() == counts
        assert [None if pd.isna(m) else m for m in part["median_time_from_previous"]] == medians
        assert part["dropped"].tolist() == [0] + [a - b for a, b in zip(counts, counts[1:])]


# ---------------------------------------------------------------------------
# reference transitions and retention


def sessions_of(rows, gap):
    per_customer = defaultdict(list)
    for customer, minute, name, _ in rows:
        per_customer[customer].append((minute, name))
    for events in per_customer.values():
        events.sort()
        session = [events[0]]
        for event in events[1:]:
            if gap is not None and event[0] - session[-1][0] > gap:
                yield session
                session = []
            session.append(event)
        yield session


@FAST
@given(rows=event_rows, gap=st.sampled_from([None, 0, 2, 5]))
def test_transitions_match_the_reference(rows, gap):
    expected = Counter()
    for session in sessions_of(rows, gap):
        names = [name for _, name in session] + [END]
        expected.update(zip(names, names[1:]))
    result = transitions(frame_of(rows), session_gap=None if gap is None else f"{gap}min")
    got = {(r.source, r.target): r.count for r in result.itertuples()}
    assert got == dict(expected)


@FAST
@given(rows=event_rows, cohort_event=st.sampled_from([None, "a"]), return_event=st.sampled_from([None, "b"]))
def test_daily_retention_matches_the_reference(rows, cohort_event, return_event):
    # minutes are read as days here, so periods are days
    day_rows = [(c, m, n, ch) for c, m, n, ch in rows]
    events = frame_of(day_rows)
    events["timestamp"] = pd.Series([T0 + pd.Timedelta(days=r[1]) for r in day_rows], dtype="datetime64[us]")
    result = retention(events, period="D", cohort_event=cohort_event, return_event=return_event)
    cohorts = {}
    for customer, day, name, _ in day_rows:
        if cohort_event is None or name == cohort_event:
            cohorts[customer] = min(cohorts.get(customer, day), day)
    last_day = max((r[1] for r in day_rows), default=None)
    expected = {}
    for customer, start in cohorts.items():
        expected.setdefault(start, {"size": 0, "returned": Counter()})
        expected[start]["size"] += 1
        days = {d - start for c, d, n, _ in day_rows
                if c == customer and d > start and (return_event is None or n == return_event)}
        expected[start]["returned"].update(days)
    rows_expected = []
    for start in sorted(expected):
        size = expected[start]["size"]
        for period in range(last_day - start + 1):
            count = size if period == 0 else expected[start]["returned"][period]
            rows_expected.append((T0 + pd.Timedelta(days=start), period, size, count))
    got = list(result[["cohort", "period", "cohort_size", "customers"]].itertuples(index=False, name=None))
    assert got == rows_expected
