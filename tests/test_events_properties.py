"""Property tests: the DuckDB funnel, transitions and retention agree with straightforward
pure-Python implementations of the stated rules on random small logs (many ties, repeated
and overlapping step names)."""

from __future__ import annotations

import itertools
import statistics
import warnings
from collections import Counter, defaultdict

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
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


def fills(sets, pool):
    """How many of ``sets`` (from the first, in order) distinct events of ``pool`` can fill."""
    best = 0
    for size in range(1, min(len(sets), len(pool)) + 1):
        if any(all(pool[i] in sets[j] for j, i in enumerate(chosen))
               for chosen in itertools.permutations(range(len(pool)), size)):
            best = size
    return best


def walk(events, t1, sets, limit, strict):
    """The step times of the attempt opened at ``t1`` (events: (time, name) of its customer)."""
    times = []
    funnel_times = sorted({t for t, name in events if t >= t1 and any(name in s for s in sets)})
    for t in funnel_times:
        if limit is not None and t - t1 > limit:
            break
        if strict and times and any(times[-1] < u < t and name not in sets[len(times) - 1] for u, name in events):
            break
        pool = [name for u, name in events if u == t and any(name in s for s in sets)]
        gained = fills(sets[len(times):], pool)
        times += [t] * gained
        if len(times) == len(sets):
            break
    return times


def excluded_at(events, times, t1, exclusions, limit):
    """The step an attempt is excluded at, plus one (None: not excluded): the first exclusion
    event strictly after its step k, before its step m (or never reaching m), in the window."""
    caps = []
    for names, k, m in exclusions:
        if len(times) < k:
            continue
        after = [u for u, name in events if name in names and u > times[k - 1]]
        if not after:
            continue
        x = min(after)
        if (limit is None or x - t1 <= limit) and (len(times) < m or x < times[m - 1]):
            caps.append(max(j for j in range(k, m) if j <= len(times) and times[j - 1] < x) + 1)
    return min(caps) if caps else None


def reference_funnel(rows, steps, window, strict, by_channel, attribution="first_touch", exclusions=()):
    """The rules of FUNNEL_SEMANTICS, attempt by attempt: {group: (counts, medians)}."""
    sets = [{s} if isinstance(s, str) else set(s) for s in steps]
    every = set().union(*sets)
    limit = None if window is None else pd.Timedelta(window)
    per_customer = defaultdict(list)
    for customer, minute, name, channel in rows:
        per_customer[customer].append((T0 + pd.Timedelta(minutes=minute), name, channel))
    chosen = {}  # (customer, group) -> (reach, times)
    for customer, events in per_customer.items():
        funnel_events = sorted((t, c, n) for t, n, c in events if n in every)
        if not by_channel:
            parts = {None: (events, None)}
        elif attribution == "first_touch" and funnel_events:
            parts = {funnel_events[0][1]: (events, None)}
        elif attribution == "last_touch" and funnel_events:
            parts = {funnel_events[-1][1]: (events, None)}
        elif attribution == "all_events":
            parts = {c: ([e for e in events if e[2] == c], None) for _, c, _ in funnel_events}
        else:  # ("step", 1): the group of the attempt's step-1 event
            parts = {c: (events, c) for _, c, n in funnel_events if n in sets[0]}
        for group, (own, start_channel) in parts.items():
            pairs = [(t, n) for t, n, _ in own]
            starts = {t for t, n, c in own if n in sets[0] and start_channel in (None, c)}
            attempts = []
            for t1 in starts:
                times = walk(pairs, t1, sets, limit, strict)
                cap = excluded_at(pairs, times, t1, exclusions, limit)
                attempts.append((times if cap is None else times[:cap], t1, cap is not None))
            if not attempts:
                continue
            furthest = max(len(a[0]) for a in attempts)
            clean = [a for a in attempts if not a[2] and len(a[0]) == furthest]
            if not clean:  # only excluded attempts got that far: left out
                continue
            # the furthest; of those, the first to get there; of those, the latest start
            times, _, _ = min(clean, key=lambda a: (a[0][-1], -a[1].value))
            chosen[(customer, group)] = (len(times), times)
    out = {}
    for (_, group), (reach, times) in chosen.items():
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
@given(rows=event_rows, steps=steps_strategy, window=windows, strict=st.booleans(), by_channel=st.booleans(),
       attribution=st.sampled_from(["first_touch", "last_touch", "all_events", ("step", 1)]),
       exclusion=st.sampled_from([None, None, ("c", 1), ("b", 1), ("a", 2), ("c", 1, 3), (["b", "c"], 2)]))
def test_funnel_matches_the_reference(rows, steps, window, strict, by_channel, attribution, exclusion):
    events = frame_of(rows)
    exclusions = []
    if exclusion is not None:
        names = {exclusion[0]} if isinstance(exclusion[0], str) else set(exclusion[0])
        k, m = exclusion[1], exclusion[2] if len(exclusion) == 3 else exclusion[1] + 1
        inside = {name for s in steps[k - 1:m] for name in ([s] if isinstance(s, str) else s)}
        assume(m <= len(steps) and not inside & names)
        exclusions = [(names, k, m)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = funnel(events, steps, window=window, mode="strict" if strict else "sequential",
                        by="channel" if by_channel else None, breakdown_attribution=attribution,
                        exclusions=None if exclusion is None else [exclusion])
    expected = reference_funnel(rows, steps, window, strict, by_channel, attribution, exclusions)
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


# ---------------------------------------------------------------------------
# any-order funnels (order="any", PostHog's unordered funnels)


def reference_any_order(rows, steps, window, by_channel, attribution):
    """A customer reaches k steps when k different steps have an event within one window;
    times: at the first event where they reached their most, each step's earliest event in
    the window before it, in time order."""
    sets = [{s} if isinstance(s, str) else set(s) for s in steps]
    limit = None if window is None else pd.Timedelta(window)
    per_customer = defaultdict(list)
    for customer, minute, name, channel in rows:
        step = next((k for k, s in enumerate(sets) if name in s), None)
        if step is not None:
            per_customer[customer].append((T0 + pd.Timedelta(minutes=minute), step, channel))
    chosen = {}
    for customer, events in per_customer.items():
        events.sort(key=lambda e: (e[0], e[2]))
        if not by_channel:
            parts = {None: events}
        elif attribution == "first_touch":
            parts = {events[0][2]: events}
        elif attribution == "last_touch":
            parts = {max(events, key=lambda e: (e[0], e[2]))[2]: events}
        else:
            parts = {c: [e for e in events if e[2] == c] for _, _, c in events}
        for group, own in parts.items():
            best = None
            for t in sorted({e[0] for e in own}):
                inside = [e for e in own if e[0] <= t and (limit is None or t - e[0] <= limit)]
                firsts = {}
                for e in inside:
                    firsts[e[1]] = min(firsts.get(e[1], e[0]), e[0])
                if best is None or len(firsts) > len(best):
                    best = sorted(firsts.values())
            chosen[(customer, group)] = best
    result = {}
    for (_, group), times in chosen.items():
        result.setdefault(group, []).append(times)
    out = {}
    for group, customers in result.items():
        counts = [sum(1 for t in customers if len(t) >= k) for k in range(1, len(steps) + 1)]
        medians = [None]
        for k in range(1, len(steps)):
            gaps = [(t[k] - t[k - 1]) / pd.Timedelta(microseconds=1) for t in customers if len(t) > k]
            medians.append(None if not gaps else pd.Timedelta(microseconds=statistics.median(gaps)))
        out[group] = (counts, medians)
    return out


@FUNNEL_EXAMPLES
@given(rows=event_rows, names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True),
       paired=st.booleans(), window=windows, by_channel=st.booleans(),
       attribution=st.sampled_from(["first_touch", "last_touch", "all_events"]))
def test_any_order_funnel_matches_the_reference(rows, names, paired, window, by_channel, attribution):
    steps = [names[:2], *names[2:]] if paired and len(names) > 2 else names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = funnel(frame_of(rows), steps, window=window, order="any",
                        by="channel" if by_channel else None, breakdown_attribution=attribution)
    expected = reference_any_order(rows, steps, window, by_channel, attribution)
    if by_channel:
        got = {channel: part for channel, part in result.groupby("channel")}
    else:
        got = {None: result}
        expected = {None: expected.get(None, ([0] * len(steps), [None] * len(steps)))}
    assert set(got) == set(expected)
    for group, (counts, medians) in expected.items():
        assert got[group]["customers"].tolist() == counts
        assert [None if pd.isna(m) else m for m in got[group]["median_time_from_previous"]] == medians
