"""Every event analysis gives the same result whatever DuckDB's thread count: run with 1
and with 4 threads on logs full of ties (equal times, double-fired identical rows), the
results are equal exactly. The logs are large enough (tens of thousands of rows) for DuckDB
to split scans, sorts and windows between threads."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit.analytics.events import (
    funnel,
    funnel_dropouts,
    paths,
    retention,
    step_matrix,
    transitions,
)
from journeykit.analytics.events.dropouts import stage_dropouts
from journeykit.analytics.events.funnel import stage_funnel
from journeykit.analytics.events.trend import funnel_trend
from journeykit.core._sql import set_engine_options
from tests.conftest import write_workspace

T0 = pd.Timestamp("2024-03-04")
# the stage events of the test workspace (conftest.JOURNEY_YAML) and one off the map
NAMES = ["ad_click", "menu_view", "order", "review", "faq"]
CUSTOMERS = 6_000

# (two examples each: on a busy 2-core machine the log test takes about 2 minutes)
# a customer's events: few distinct minutes (many ties), a name, a channel; a row may be
# fired twice (identical rows)
template = st.lists(
    st.tuples(st.sampled_from([0, 0, 1, 40, 41, 60 * 24 * 9]), st.sampled_from(NAMES),
              st.sampled_from(["web", "store"]), st.booleans()),
    min_size=1, max_size=6,
)
templates = st.lists(template, min_size=1, max_size=4)
FEW = settings(max_examples=2, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def log_of(drawn: list[list[tuple[int, str, str, bool]]], customers: int = CUSTOMERS) -> pd.DataFrame:
    """``customers`` customers, customer i following template i mod len(drawn); each
    customer's clock is shifted by i mod 5 weeks so that cohorts and weeks differ."""
    parts = []
    for index, rows in enumerate(drawn):
        ids = np.arange(index, customers, len(drawn))
        for minute, name, channel, twice in rows:
            for _ in range(2 if twice else 1):
                parts.append(pd.DataFrame({
                    "customer_id": [f"c{i:05d}" for i in ids],
                    "timestamp": T0 + pd.to_timedelta(ids % 5, unit="W") + pd.Timedelta(minutes=minute),
                    "event": name, "channel": channel}))
    log = pd.concat(parts, ignore_index=True)
    return log.astype({"customer_id": "string", "timestamp": "datetime64[us]", "event": "string",
                       "channel": "string"})


@contextmanager
def threads(n: int) -> Iterator[None]:
    set_engine_options(threads=n)
    try:
        yield
    finally:
        set_engine_options()


def same_at_1_and_4_threads(compute: Callable[[], object]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with threads(1):
            one = compute()
        with threads(4):
            four = [compute() for _ in range(2)]
    for other in four:
        if isinstance(one, pd.DataFrame):
            pd.testing.assert_frame_equal(one, other)  # type: ignore[arg-type]
        else:
            assert one == other


STEPS = [["ad_click", "menu_view", "order"], ["ad_click", ["menu_view", "order"], "menu_view"],
         ["menu_view", "menu_view", "order"]]


@FEW
@given(drawn=templates)
def test_the_log_analyses_are_the_same_at_any_thread_count(drawn):
    log = log_of(drawn)
    for steps in STEPS:
        for mode, window in (("sequential", None), ("sequential", "30min"), ("strict", "30min")):
            same_at_1_and_4_threads(partial(funnel, log, steps, window=window, mode=mode))
        for attribution in ("first_touch", "last_touch", "all_events", ("step", 1)):
            same_at_1_and_4_threads(partial(funnel, log, steps, by="channel", breakdown_attribution=attribution))
        same_at_1_and_4_threads(partial(funnel_dropouts, log, steps, 2, window=None))
    same_at_1_and_4_threads(partial(funnel, log, ["ad_click", "order"], exclusions=[("faq", 1)]))
    same_at_1_and_4_threads(partial(funnel, log, ["ad_click", "menu_view", "order"], order="any",
                                    window="30min"))
    for gap in (None, "30min"):
        same_at_1_and_4_threads(partial(paths, log, session_gap=gap, top=None))
        same_at_1_and_4_threads(partial(paths, log, session_gap=gap, start="menu_view", end="order"))
        same_at_1_and_4_threads(partial(transitions, log, session_gap=gap, include_start=True))
    same_at_1_and_4_threads(partial(step_matrix, log, max_steps=6))
    same_at_1_and_4_threads(partial(step_matrix, log, start="menu_view"))
    for period in ("D", "W"):
        same_at_1_and_4_threads(partial(retention, log, period=period))
        same_at_1_and_4_threads(partial(retention, log, period=period, cohort_event="ad_click",
                                        return_event="order"))


@FEW
@given(drawn=templates)
def test_the_stage_analyses_are_the_same_at_any_thread_count(drawn):
    log = log_of(drawn)
    with tempfile.TemporaryDirectory() as folder:
        write_workspace(Path(folder), events=log.to_csv(index=False))
        ws = jk.load_workspace(folder)

        def fresh(analysis: Callable[..., object], **options: object) -> Callable[[], object]:
            def run() -> object:
                ws.derived.clear()  # computed again, not the memo of the other thread count
                return analysis(ws, **options)
            return run

        for mode in ("sequential", "strict"):
            same_at_1_and_4_threads(fresh(stage_funnel, mode=mode))
            same_at_1_and_4_threads(fresh(stage_funnel, by="channel", mode=mode))
            same_at_1_and_4_threads(fresh(stage_dropouts, mode=mode))
        same_at_1_and_4_threads(fresh(lambda w: funnel_trend(w).weeks))


def test_paths_count_a_double_fired_session_start_in_its_own_session_on_every_run():
    # the reproduction: X@10:00, Y@11:00, Y@11:00 for 20,000 customers
    log = log_of([[(0, "X", "web", False), (60, "Y", "web", True)]], customers=20_000)
    with threads(4):
        for _ in range(3):
            result = paths(log)
            assert dict(zip(result["path"], result["sessions"], strict=True)) == {"X": 20_000, "Y → Y": 20_000}


def test_the_thread_count_can_come_from_the_environment(monkeypatch):
    """JOURNEYKIT_DUCKDB_THREADS sets the threads of every connection the kit opens (a
    scheduled refresh sharing a machine); a value that is not a positive integer is ignored."""
    from journeykit.core._sql import THREADS_ENV, connect

    def threads() -> int:
        con = connect()
        try:
            return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        finally:
            con.close()

    monkeypatch.delenv(THREADS_ENV, raising=False)
    default = threads()
    monkeypatch.setenv(THREADS_ENV, "1")
    assert threads() == 1
    for bad in ("lots", "-2", "0", ""):
        monkeypatch.setenv(THREADS_ENV, bad)
        assert threads() == default
