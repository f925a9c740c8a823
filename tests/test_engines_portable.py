"""The portable form of the event analyses (journeykit.analytics.events.engines): every
analysis run through ``WarehouseSource(DuckDBRunner(...))`` (the SQL Spark and BigQuery get,
in DuckDB's dialect: no ASOF joins, no DuckDB-only constructs) gives exactly the native
result on random logs full of ties, missing breakdown values and repeated attempts; the
ASOF rewrite agrees with DuckDB's own ASOF join on small hand-made tables; and every query
the analyses send is written for Spark and BigQuery without ASOF and parses back."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.analytics.events import (
    funnel,
    funnel_dropouts,
    paths,
    retention,
    step_matrix,
    transitions,
)
from journeykit.analytics.events.engines.portable import to_dialect
from journeykit.analytics.events.engines.warehouse import DuckDBRunner, WarehouseSource
from journeykit.analytics.events.funnel import _funnel_frame, stage_steps
from journeykit.analytics.events.funnel_plan import attribution_of
from journeykit.analytics.events.pathflows import paths_after, paths_before
from journeykit.analytics.events.source import EventColumns, open_events
from journeykit.core.errors import JourneykitError
from journeykit.workspace.config import Stage

T0 = pd.Timestamp("2024-03-01")
NAMES = ["a", "b", "c", "d"]

# few customers, few distinct minutes (many ties, several attempts each), missing channels
event_rows = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.sampled_from([0, 0, 1, 2, 5, 9, 60 * 24 * 40]),
              st.sampled_from(NAMES), st.sampled_from(["web", "app", None])),
    max_size=18,
)
step_item = st.one_of(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True))
steps_strategy = st.lists(step_item, min_size=1, max_size=4)
# moderate counts: the machine is shared (each example runs an analysis twice)
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame_of(rows: list[tuple[str, int, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([T0 + pd.Timedelta(minutes=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
        "channel": pd.Series([r[3] for r in rows], dtype="string"),
    })


@contextmanager
def warehouse(log: pd.DataFrame) -> Iterator[WarehouseSource]:
    runner = DuckDBRunner()
    runner.register("jk_log", log)
    src = WarehouseSource(runner, "SELECT * FROM jk_log", label="the test table")
    try:
        yield src
    finally:
        src.close()


def outcome(compute: Callable[[Any], Any], source: Any) -> Any:
    """The result, or the error message (both paths must refuse the same input alike)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return compute(source)
        except JourneykitError as error:
            return f"error: {error}"


def same_natively_and_portably(compute: Callable[[Any], Any], log: pd.DataFrame) -> None:
    native = outcome(compute, log)
    with warehouse(log) as src:
        portable = outcome(compute, src)
    if isinstance(native, str) or isinstance(portable, str):
        assert isinstance(native, str) and isinstance(portable, str), (native, portable)
        return
    if isinstance(native, pd.DataFrame):
        pd.testing.assert_frame_equal(portable, native)
    else:
        assert portable == native


def exclusion_for(steps: list, choice: int) -> list | None:
    """An exclusion step valid for ``steps`` (an event of none of the steps it spans), or None."""
    if choice == 0 or len(steps) < 2:
        return None
    k = 1 if choice == 1 else len(steps) - 1
    inside = {n for s in steps[k - 1:k + 1] for n in ([s] if isinstance(s, str) else s)}
    free = [n for n in NAMES if n not in inside]
    return [(free[0], k)] if free else None


@EXAMPLES
@given(rows=event_rows, steps=steps_strategy, window=st.sampled_from([None, "0min", "2min", "10D"]),
       mode=st.sampled_from(["sequential", "strict"]), by=st.sampled_from([None, "channel"]),
       attribution=st.sampled_from(["first_touch", "last_touch", "all_events", ("step", 1), ("step", 2)]),
       exclusion=st.sampled_from([0, 0, 1, 2]))
def test_funnel_is_the_same_through_the_portable_sql(rows, steps, window, mode, by, attribution, exclusion):
    excluded = exclusion_for(steps, exclusion)
    if isinstance(attribution, tuple) and attribution[1] > len(steps):
        attribution = ("step", 1)
    same_natively_and_portably(
        lambda s: funnel(s, steps, window=window, mode=mode, by=by, breakdown_attribution=attribution,
                         exclusions=excluded), frame_of(rows))


@FEW
@given(rows=event_rows, names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True),
       window=st.sampled_from([None, "0min", "2min"]), by=st.sampled_from([None, "channel"]),
       attribution=st.sampled_from(["first_touch", "last_touch", "all_events"]))
def test_any_order_funnel_is_the_same_through_the_portable_sql(rows, names, window, by, attribution):
    same_natively_and_portably(
        lambda s: funnel(s, names, window=window, order="any", by=by, breakdown_attribution=attribution),
        frame_of(rows))


@FEW
@given(rows=event_rows, steps=st.lists(step_item, min_size=2, max_size=3), mode=st.sampled_from(["sequential", "strict"]),
       by=st.sampled_from([None, "channel"]), exclusion=st.sampled_from([0, 1]))
def test_funnel_dropouts_are_the_same_through_the_portable_sql(rows, steps, mode, by, exclusion):
    same_natively_and_portably(
        lambda s: funnel_dropouts(s, steps, 2, window="2min", mode=mode, by=by,
                                  exclusions=exclusion_for(steps, exclusion)), frame_of(rows))


@FEW
@given(rows=event_rows, steps=st.lists(step_item, min_size=1, max_size=3),
       by_persona=st.booleans(), by_channel=st.booleans(), mode=st.sampled_from(["sequential", "strict"]))
def test_stage_funnel_is_the_same_through_the_portable_sql(rows, steps, by_persona, by_channel, mode):
    """What stage_funnel runs: the stages' steps, the persona looked up in the side table
    jk_customer_groups registered through the source (some customers have none)."""
    stages = [Stage(id=f"s{i}", name=f"Stage {i}", events=(s,) if isinstance(s, str) else tuple(s))
              for i, s in enumerate(steps)]
    by = tuple(c for c, on in (("persona", by_persona), ("channel", by_channel)) if on)
    cols = EventColumns(by=by, per_customer=("persona",) if by_persona else ())
    personas = pd.DataFrame({"cid": pd.Series(["u1", "u2"], dtype="string"),
                             "persona": pd.Series(["regular", None], dtype="string")})

    def compute(source: Any) -> pd.DataFrame:
        with open_events(source) as src:
            if by_persona:
                src.register("jk_customer_groups", personas)
            return _funnel_frame(src, cols, stage_steps(stages), None, mode, attribution_of("first_touch", len(steps)))

    same_natively_and_portably(compute, frame_of(rows))


@FEW
@given(rows=event_rows, gap=st.sampled_from([None, "0min", "2min"]), start=st.sampled_from([None, "a"]),
       end=st.sampled_from([None, "b"]), include_start=st.booleans())
def test_paths_transitions_and_step_matrix_are_the_same_through_the_portable_sql(rows, gap, start, end,
                                                                                  include_start):
    log = frame_of(rows)
    same_natively_and_portably(lambda s: paths(s, start=start, end=end, max_steps=3, session_gap=gap, top=None), log)
    same_natively_and_portably(lambda s: transitions(s, session_gap=gap, include_start=include_start), log)
    same_natively_and_portably(lambda s: step_matrix(s, max_steps=4, start=start), log)


@FEW
@given(rows=event_rows, goal=st.sampled_from([None, "c", ["c", "d"]]), window=st.sampled_from([None, "1min"]))
def test_paths_after_and_before_are_the_same_through_the_portable_sql(rows, goal, window):
    log = frame_of(rows)
    same_natively_and_portably(lambda s: paths_after(s, "a", max_steps=2, goal=goal, window=window,
                                                     session_gap="5min", top=None), log)
    same_natively_and_portably(lambda s: paths_before(s, ["b", "c"], max_steps=2, goal=goal, window=window,
                                                      session_gap=None, top=None), log)


@FEW
@given(rows=event_rows, period=st.sampled_from(["D", "W", "M"]), kind=st.sampled_from(["returned", "on_or_after"]),
       cohort_event=st.sampled_from([None, "a"]), by=st.sampled_from([None, "channel", "persona", ["channel", "persona"]]))
def test_retention_is_the_same_through_the_portable_sql(rows, period, kind, cohort_event, by):
    customers = pd.DataFrame({"customer_id": ["u1", "u2", "u3"], "persona": ["regular", None, "foodie"]})
    same_natively_and_portably(
        lambda s: retention(s, period=period, kind=kind, cohort_event=cohort_event, by=by, customers=customers),
        frame_of(rows))


# ---------------------------------------------------------------------------
# the ASOF rewrite on tiny tables, against DuckDB's own ASOF join

LEFT = [("a", 1), ("a", 3), ("a", 5), ("a", None), (None, 1), ("b", 2), ("c", 0)]
RIGHT = [("a", 1, "x"), ("a", 1, "x"), ("a", 3, "y"), ("a", None, "n"), (None, 1, "k"), (None, 4, "j"),
         ("b", 1, "z"), ("b", 2, None)]


@pytest.fixture()
def tiny() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute("CREATE TABLE l (k VARCHAR, t INTEGER)")
    con.executemany("INSERT INTO l VALUES (?, ?)", LEFT)
    con.execute("CREATE TABLE r (k VARCHAR, ts INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?, ?, ?)", RIGHT)
    yield con
    con.close()


@pytest.mark.parametrize("join", ["ASOF JOIN", "ASOF LEFT JOIN"])
@pytest.mark.parametrize("condition", ["r.ts >= l.t", "r.ts > l.t", "l.t <= r.ts", "l.t < r.ts",
                                       "r.ts <= l.t", "r.ts < l.t", "l.t >= r.ts"])
@pytest.mark.parametrize("key", ["l.k = r.k", "r.k = l.k", "l.k IS NOT DISTINCT FROM r.k"])
def test_the_asof_rewrite_matches_duckdbs_asof_join(tiny, join, condition, key):
    sql = f"SELECT l.k, l.t, r.ts, r.v FROM l {join} r ON {key} AND {condition} ORDER BY ALL"
    portable = to_dialect(sql, "duckdb")
    assert "ASOF" not in portable.upper()
    assert tiny.sql(portable).fetchall() == tiny.sql(sql).fetchall()


def test_the_asof_rewrite_keeps_one_row_per_left_row_and_takes_a_tied_right_row(tiny):
    tiny.execute("INSERT INTO r VALUES ('a', 3, 'y2')")  # two right rows at the nearest time
    sql = "SELECT l.k, l.t, r.ts, r.v FROM l ASOF LEFT JOIN r ON l.k = r.k AND r.ts >= l.t"
    got = tiny.sql(to_dialect(sql, "duckdb")).fetchall()
    native = tiny.sql(sql).fetchall()
    assert len(got) == len(native) == len(LEFT)
    # the rows tied at the nearest time are both right; anything else is exactly DuckDB's
    assert [row for row in got if row[:2] == ("a", 3)] in ([("a", 3, 3, "y")], [("a", 3, 3, "y2")])
    assert sorted((r for r in got if r[:2] != ("a", 3)), key=str) == sorted(
        (r for r in native if r[:2] != ("a", 3)), key=str)


def test_the_left_asof_keeps_unmatched_rows_with_nulls_and_the_inner_drops_them(tiny):
    left = "SELECT l.k, l.t, r.v FROM l ASOF LEFT JOIN r ON l.k = r.k AND r.ts > l.t ORDER BY ALL"
    inner = left.replace("ASOF LEFT JOIN", "ASOF JOIN")
    got_left, got_inner = tiny.sql(to_dialect(left, "duckdb")).fetchall(), tiny.sql(to_dialect(inner, "duckdb")).fetchall()
    assert ("a", 5, None) in got_left and (None, 1, None) in got_left and len(got_left) == len(LEFT)
    assert got_inner == [row for row in got_left if row[2] is not None]
    assert ("a", 1, "y") in got_inner  # strictly after 1: the right row at 3


def test_an_unsupported_asof_condition_is_an_error_naming_it():
    with pytest.raises(JourneykitError, match=r"ASOF join with r \(for spark\).*inequality"):
        to_dialect("SELECT l.k, r.v FROM l ASOF JOIN r ON l.k = r.k", "spark")
    with pytest.raises(JourneykitError, match="dialect must be one of"):
        to_dialect("SELECT 1", "oracle")


# ---------------------------------------------------------------------------
# every query the analyses send, written for Spark and BigQuery


def queries_of_the_analyses() -> list[str]:
    """The DuckDB-dialect queries the analyses send on a small log, every option once."""
    log = frame_of([("u1", 0, "a", "web"), ("u1", 1, "b", None), ("u1", 1, "c", "app"), ("u2", 0, "a", "app"),
                    ("u2", 5, "b", "web"), ("u2", 60 * 24 * 40, "a", None), ("u3", 2, "d", "web")])
    sent: list[str] = []
    with warehouse(log) as src:
        original = src.sql
        src.sql = lambda query: (sent.append(query), original(query))[1]  # type: ignore[method-assign]
        customers = pd.DataFrame({"customer_id": ["u1", "u2"], "persona": ["regular", "foodie"]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for mode in ("sequential", "strict"):
                for steps in (["a", "b", "c"], ["a", ["a", "b"], "b"]):
                    for attribution in ("first_touch", "all_events", ("step", 1)):
                        funnel(src, steps, mode=mode, by="channel", breakdown_attribution=attribution)
                    funnel(src, steps, mode=mode, window=None)
                    funnel_dropouts(src, steps, 2, mode=mode)
                funnel(src, ["a", "b", "c"], mode=mode, exclusions=[("d", 1)])
            funnel(src, ["a", "b", "c"], window=None, by="channel", breakdown_attribution=("step", 2))
            funnel(src, ["a", "b", "c"], order="any", by="channel", breakdown_attribution="last_touch")
            paths(src, start="a", end="b")
            transitions(src, include_start=True)
            step_matrix(src, start="a")
            paths_after(src, "a", goal="c")
            paths_before(src, "b", goal="c", session_gap=None)
            for kind in ("returned", "on_or_after"):
                retention(src, period="W", kind=kind, by=["channel", "persona"], customers=customers)
    return sent


@pytest.fixture(scope="module")
def sent() -> list[str]:
    return queries_of_the_analyses()


def test_the_analyses_send_asof_joins_and_duckdb_only_constructs_that_are_rewritten(sent):
    assert any("ASOF" in q for q in sent) and any("MATERIALIZED" in q for q in sent)
    assert len(sent) > 30


@pytest.mark.parametrize("dialect", ["spark", "bigquery"])
def test_every_query_of_the_analyses_is_written_without_asof_and_parses_back(sent, dialect):
    for query in sent:
        written = to_dialect(query, dialect)
        assert "ASOF" not in written.upper() and "MATERIALIZED" not in written.upper()
        assert "TO_MICROSECONDS" not in written.upper() and "EPOCH_US" not in written.upper()
        sqlglot.parse_one(written, read=dialect)  # raises on SQL the dialect cannot read
