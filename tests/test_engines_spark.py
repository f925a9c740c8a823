"""The Spark backend (journeykit.analytics.events.engines.spark) in local mode: every event
analysis gives exactly the DuckDB result (frames equal) on seeded random logs full of ties,
repeated attempts and missing channels, and on the demo workspace's events read by Spark
through journey.yaml ``events: {backend: spark, path: ...}``; a headless run of the demo
whose events Spark reads prints the same stage funnel as the DuckDB run; and journey.yaml
``events:`` refuses every bad setting with a message naming the key.

Spark needs Java: without it these tests skip with a message, except in CI (CI=true), where
.ci/run installs Debian's default-jre-headless and they must run. Spark starts once for the
module (seconds on a laptop, up to a minute on a busy machine); the logs are small, because
each Spark query costs about a second whatever its size.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

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
from journeykit.analytics.events.engines import open_warehouse, warehouse_events
from journeykit.core.errors import JourneykitError, WorkspaceError
from journeykit.workspace import load_workspace
from journeykit.workspace.config import parse_config
from journeykit.workspace.events_backend import EventsBackend

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
NAMES = ["a", "b", "c", "d"]
LOGS = 20


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and (Path(home) / "bin" / "java").exists()))


def _pyspark() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


_IN_CI = os.environ.get("CI", "").lower() == "true"
_MISSING = [what for what, ok in (("a Java runtime (java)", _java()), ("pyspark", _pyspark())) if not ok]


@pytest.fixture(scope="module")
def spark() -> Iterator[None]:
    """Spark in local mode, started once; skips (outside CI) without Java or pyspark."""
    if _MISSING:
        message = (f"the Spark backend tests need {' and '.join(_MISSING)}: install Debian's "
                   "default-jre-headless and pip install 'journeykit[spark]' (.ci/run does)")
        if _IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from journeykit.analytics.events.engines.spark import spark_session

    spark_session()
    yield


def random_log(seed: int) -> pd.DataFrame:
    """A small log: 3-6 customers, events on few distinct minutes (ties, repeated attempts),
    a channel missing on some rows, one customer id with leading zeros."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 30))
    customers = np.array(["007", "u1", "u2", "u3", "u4", "u5"])[: int(rng.integers(3, 7))]
    minutes = rng.choice([0, 0, 1, 2, 5, 9, 60 * 24 * 3, 60 * 24 * 40], n)
    return pd.DataFrame({
        "customer_id": pd.Series(rng.choice(customers, n), dtype="string"),
        "timestamp": pd.Series(pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min"),
                               dtype="datetime64[us]"),
        "event": pd.Series(rng.choice(NAMES, n), dtype="string"),
        "channel": pd.Series(rng.choice(["web", "app", None], n), dtype="string"),
    })


def outcome(compute: Callable[[Any], Any], source: Any) -> Any:
    """The result, or the error message (both engines must refuse the same input alike)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return compute(source)
        except JourneykitError as error:
            return f"error: {str(error).split(' from ')[0]}"


def assert_same(spark_result: Any, duckdb_result: Any) -> None:
    if isinstance(spark_result, str) or isinstance(duckdb_result, str):
        assert isinstance(spark_result, str) and isinstance(duckdb_result, str), (spark_result, duckdb_result)
        return
    if isinstance(duckdb_result, pd.DataFrame):
        pd.testing.assert_frame_equal(spark_result, duckdb_result)
    else:
        assert spark_result == duckdb_result


CUSTOMERS = pd.DataFrame({"customer_id": ["007", "u1", "u2", "u3", "L0-u1", "L1-007", "L2-u2"],
                          "persona": ["regular", None, "foodie", "regular", "foodie", "regular", None]})

#: every analysis of the design with its options; each random log runs all of them
ANALYSES: dict[str, Callable[[Any], Any]] = {
    "funnel": lambda s: funnel(s, ["a", "b", "c"], window="10D"),
    "funnel strict, no window": lambda s: funnel(s, ["a", ["b", "c"]], mode="strict", window=None),
    "funnel 0min by channel, last touch": lambda s: funnel(s, ["a", "b"], window="0min", by="channel",
                                                           breakdown_attribution="last_touch"),
    "funnel step-2 attribution, exclusion": lambda s: funnel(s, ["a", "b", "c"], window="2min", by="channel",
                                                             breakdown_attribution=("step", 2),
                                                             exclusions=[("d", 1)]),
    "funnel any order, all events": lambda s: funnel(s, ["a", "b", "c"], order="any", by="channel",
                                                     breakdown_attribution="all_events"),
    "funnel_dropouts": lambda s: funnel_dropouts(s, ["a", "b", "c"], 2, window="2min", by="channel"),
    "paths": lambda s: paths(s, start="a", max_steps=3, session_gap="2min", top=None),
    "transitions": lambda s: transitions(s, session_gap=None, include_start=True),
    "step_matrix": lambda s: step_matrix(s, max_steps=4),
    "retention": lambda s: retention(s, period="D", by="channel"),
    "retention on or after, by persona": lambda s: retention(s, period="W", kind="on_or_after", by="persona",
                                                            customers=CUSTOMERS),
}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[pd.DataFrame, Path]]:
    """The random logs, each also as a Parquet file; the last one is all of them together
    (customer ids prefixed by the log's number, so no two logs share a customer)."""
    folder = tmp_path_factory.mktemp("spark_logs")
    frames = [random_log(seed) for seed in range(LOGS)]
    union = pd.concat([log.assign(customer_id="L" + str(seed) + "-" + log["customer_id"])
                       for seed, log in enumerate(frames)], ignore_index=True)
    out = []
    for seed, log in enumerate([*frames, union]):
        path = folder / f"log{seed}.parquet"
        log.to_parquet(path, index=False)
        out.append((log, path))
    return out


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_analysis_gives_the_duckdb_result_on_spark_for_random_logs(spark, logs, name):
    """On the 20 logs together (each customer's events are one log's: a per-customer
    mistake on any of them changes the totals) and on three of them alone (ties, empty
    steps, a log too small for a step): a Spark query costs about a second, so not each of
    the 20 alone."""
    compute = ANALYSES[name]
    for log, path in [logs[-1], *logs[:3]]:
        expected = outcome(compute, log)  # DuckDB, natively, on the DataFrame
        got = outcome(compute, warehouse_events("spark", path=str(path)))
        assert_same(got, expected)


def test_a_log_with_other_column_names_is_read_through_the_column_roles(spark, logs, tmp_path):
    log, _ = logs[3]
    theirs = log.rename(columns={"customer_id": "user_id", "timestamp": "ts", "event": "event_name"})
    theirs = theirs.assign(customer_id="not the customer")  # a column of the canonical name, not mapped: dropped
    path = tmp_path / "theirs.parquet"
    theirs.to_parquet(path, index=False)
    spec = warehouse_events("spark", path=str(path),
                            columns={"customer": "user_id", "timestamp": "ts", "event": "event_name"})
    pd.testing.assert_frame_equal(funnel(spec, ["a", "b"]), funnel(log, ["a", "b"]))
    with pytest.raises(JourneykitError, match=r"events.columns.customer: column 'user_id'.*available: customer_id"):
        open_warehouse(EventsBackend("spark", path=str(logs[0][1]), columns=(("customer", "user_id"),)))


def test_a_csv_log_keeps_leading_zeros_on_spark(spark, logs, tmp_path):
    log, _ = logs[5]
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    pd.testing.assert_frame_equal(funnel(warehouse_events("spark", path=str(path)), ["a", "b"], by="channel"),
                                  funnel(path, ["a", "b"], by="channel"))


def test_a_missing_spark_table_is_an_error_naming_it(spark):
    with pytest.raises(JourneykitError, match=r"TABLE_OR_VIEW_NOT_FOUND"):
        funnel(warehouse_events("spark", table="nowhere.events"), ["a"])


# ---------------------------------------------------------------------------
# the demo workspace, its events read by Spark


def demo_copy(folder: Path, events: dict[str, str]) -> Path:
    """A copy of the demo workspace in ``folder`` whose journey.yaml says ``events: events``,
    the events moved out of the workspace's tables (into warehouse/events.parquet)."""
    if not (SAMPLE / "journey.yaml").exists():
        from journeykit.sample.simulation import generate_sample

        generate_sample(SAMPLE)
    shutil.copytree(SAMPLE, folder)
    (folder / "warehouse").mkdir()
    (folder / "events.parquet").rename(folder / "warehouse" / "events.parquet")
    config = yaml.safe_load((folder / "journey.yaml").read_text(encoding="utf-8"))
    config["events"] = events
    (folder / "journey.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def demo_on_spark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo whose journey.yaml says events: {backend: spark, path: warehouse/events.parquet}."""
    return demo_copy(tmp_path_factory.mktemp("demo_spark") / "demo",
                     {"backend": "spark", "path": "warehouse/events.parquet"})


def test_the_demo_workspace_loads_without_a_local_events_table_and_says_so(demo_on_spark):
    ws = load_workspace(demo_on_spark)
    assert ws.events_elsewhere and ws.has("events")
    assert ws.events is None and ws.events_relation() is None
    assert any("read by spark" in note for note in ws.import_notes)


DEMO_ANALYSES: dict[str, Callable[[Any], Any]] = {
    "stage_funnel": lambda ws: stage_funnel(ws),
    "stage_funnel by channel": lambda ws: stage_funnel(ws, by="channel"),
    "stage_funnel by persona": lambda ws: stage_funnel(ws, by="persona"),
    "funnel": lambda ws: funnel(ws, ["ad_click", "product_view", "purchase"], by="channel"),
    "funnel_dropouts": lambda ws: funnel_dropouts(ws, ["product_view", "add_to_cart", "purchase"], 2),
    "paths": lambda ws: paths(ws, max_steps=5, top=10),
    "transitions": lambda ws: transitions(ws),
    "step_matrix": lambda ws: step_matrix(ws, max_steps=4),
    "retention": lambda ws: retention(ws, period="W", by="persona"),
    # the analyses beside the event analytics that read the log on its engine too
    "stage_funnel_notes": lambda ws: jk.stage_funnel_notes(ws),
    "stage reach": lambda ws: jk.observed_journey(ws).reach,
    "off-map events": lambda ws: jk.observed_journey(ws).off_map_events,
    "off-map paths": lambda ws: jk.observed_journey(ws).off_map_paths,
    "segments": lambda ws: jk.suggest_segments(ws).assignments,
}


@pytest.mark.parametrize("name", list(DEMO_ANALYSES))
def test_the_demo_analyses_on_spark_equal_duckdb(spark, demo_on_spark, name):
    compute = DEMO_ANALYSES[name]
    expected = outcome(compute, load_workspace(SAMPLE))
    got = outcome(compute, load_workspace(demo_on_spark))
    assert not isinstance(expected, str), expected
    assert_same(got, expected)


def test_a_run_of_the_demo_on_spark_prints_the_duckdb_stage_funnel(spark, demo_on_spark, tmp_path):
    """``journeykit run`` (its API) of notebook 04 on the demo and on the copy whose events
    Spark reads: the stage funnel tables the runs write are equal."""
    from journeykit.run.runner import run_notebooks

    tables = {}
    for label, folder in (("duckdb", SAMPLE), ("spark", demo_on_spark)):
        result = run_notebooks(workspace=folder, out=tmp_path / label, notebooks=["04"], jobs=1)
        assert result.status == "success", (label, result.failure)
        found = sorted(Path(result.path).rglob("stage_funnel.csv"))
        assert found, f"no stage_funnel.csv in the {label} run"
        tables[label] = pd.read_csv(found[0])
    pd.testing.assert_frame_equal(tables["spark"], tables["duckdb"])


# ---------------------------------------------------------------------------
# journey.yaml events: (no Spark needed)

BASE = {"business": "Bikes", "stages": [{"id": "awareness", "events": ["view"]}]}


def problems_of(events: Any) -> list[tuple[str | None, str]]:
    config, problems = parse_config({**BASE, "events": events})
    assert config is not None
    return [(p.column, p.expected) for p in problems]


def test_events_absent_is_todays_workspace_events():
    config, problems = parse_config(BASE)
    assert config is not None and config.events_backend is None and not problems


def test_a_spark_table_with_column_roles_is_parsed():
    config, problems = parse_config({**BASE, "events": {"backend": "spark", "table": "analytics.events",
                                                        "columns": {"customer": "user_id", "timestamp": "ts"}}})
    assert not problems and config is not None
    spec = config.events_backend
    assert spec == EventsBackend("spark", table="analytics.events", columns=(("customer", "user_id"), ("timestamp", "ts")))
    assert spec.roles == {"customer": "user_id", "timestamp": "ts", "event": "event", "channel": "channel"}
    assert spec.external


def test_a_ga4_export_is_all_a_bigquery_user_writes():
    config, problems = parse_config({**BASE, "events": {"backend": "bigquery", "ga4_dataset": "p.analytics_1",
                                                        "start": pd.Timestamp("2024-01-01").date(), "end": "2024-03-31",
                                                        "location": "EU", "project": "billing"}})
    assert not problems and config is not None
    assert config.events_backend == EventsBackend("bigquery", ga4_dataset="p.analytics_1", start="2024-01-01",
                                                  end="2024-03-31", location="EU", project="billing")


@pytest.mark.parametrize(("events", "key", "expected"), [
    ("spark", "events", "a mapping such as {backend: spark"),
    ({"backend": "oracle", "table": "t"}, "events.backend", "duckdb, spark, bigquery"),
    ({"backend": True, "table": "t"}, "events.backend", "the engine that reads the events"),
    ({"backend": "spark"}, "events.table", "a table Spark knows (events.table) or files (events.path)"),
    ({"backend": "bigquery"}, "events.table", "events.ga4_dataset: project.analytics_123"),
    ({"backend": "spark", "table": "t", "path": "x.parquet"}, "events.path", "not both"),
    ({"backend": "spark", "tabel": "t"}, "events.tabel", "did you mean 'table'?"),
    ({"backend": "spark", "table": "t", "password": "hunter2"}, "events.password", "no credentials in journey.yaml"),
    ({"backend": "bigquery", "table": "p.d.t", "credentials": "key.json"}, "events.credentials", "Application Default"),
    ({"backend": "spark", "table": "t", "token": "x"}, "events.token", "no credentials"),
    ({"backend": "spark", "table": "t", "api_key": "x"}, "events.api_key", "no credentials"),
    ({"backend": "duckdb", "table": "t"}, "events.table", "for backend duckdb, files (events.path)"),
    ({"backend": "bigquery", "path": "x.parquet"}, "events.path", "for backend bigquery, a table"),
    ({"backend": "spark", "ga4_dataset": "p.a"}, "events.ga4_dataset", "backend: bigquery"),
    ({"backend": "bigquery", "ga4_dataset": "p.a", "table": "p.d.t"}, "events.table", "no table or columns with events.ga4_dataset"),
    ({"backend": "bigquery", "ga4_dataset": "p.a", "columns": {"customer": "u"}}, "events.columns", "the GA4 export's schema is built in"),
    ({"backend": "spark", "table": "t", "project": "p"}, "events.project", "backend: bigquery"),
    ({"backend": "spark", "table": "t", "location": "EU"}, "events.location", "backend: bigquery"),
    ({"backend": "bigquery", "table": "p.d.t", "start": "2024-01-01"}, "events.start", "events.ga4_dataset"),
    ({"backend": "bigquery", "ga4_dataset": "p.a", "start": "01/02/2024"}, "events.start", "YYYY-MM-DD"),
    ({"backend": "bigquery", "ga4_dataset": "p.a", "end": "2024-13-01"}, "events.end", "YYYY-MM-DD"),
    ({"backend": "bigquery", "ga4_dataset": "p.a", "start": "2024-02-01", "end": "2024-01-01"}, "events.start",
     "on or before events.end"),
    ({"backend": "spark", "table": ["a"]}, "events.table", "text"),
    ({"backend": "spark", "table": "t", "columns": ["user_id"]}, "events.columns", "a mapping role -> your column"),
    ({"backend": "spark", "table": "t", "columns": {"user": "uid"}}, "events.columns.user", "customer, timestamp, event, channel"),
    ({"backend": "spark", "table": "t", "columns": {"customer": ""}}, "events.columns.customer", "the name of the column"),
])
def test_every_bad_events_setting_is_a_problem_naming_its_key(events, key, expected):
    found = problems_of(events)
    assert any(column == key and expected in text for column, text in found), found


def test_a_secret_in_events_is_never_echoed():
    config, problems = parse_config({**BASE, "events": {"backend": "spark", "table": "t", "password": "hunter2"}})
    assert problems and all("hunter2" not in str(p) for p in problems)


def test_a_bad_events_setting_stops_the_load(tmp_path):
    (tmp_path / "journey.yaml").write_text(yaml.safe_dump({**BASE, "events": {"backend": "spark"}}), encoding="utf-8")
    with pytest.raises(WorkspaceError, match=r"events\.table"):
        load_workspace(tmp_path)


def test_warehouse_events_checks_its_arguments_as_journey_yaml_does():
    with pytest.raises(JourneykitError, match=r"events.backend: 'oracle'"):
        warehouse_events("oracle", table="t")
    with pytest.raises(JourneykitError, match=r"events.table - expected where the events are"):
        warehouse_events("spark")
    assert warehouse_events("duckdb", path="x.parquet").path == "x.parquet"


def test_duckdb_files_named_in_journey_yaml_are_read_natively(tmp_path, logs):
    """``events: {backend: duckdb, path: ...}``: the log in files outside the workspace's
    tables, read by DuckDB's native plans: the demo's numbers are unchanged; and the portable
    SQL on DuckDB (open_warehouse) gives the DataFrame's result."""
    ws = load_workspace(demo_copy(tmp_path / "demo", {"backend": "duckdb", "path": "warehouse/events.parquet"}))
    demo = load_workspace(SAMPLE)
    assert ws.events_elsewhere and ws.events is None
    # what does not read the log there yet is said, not left silently different
    assert any("pain-point scores do not use its drop-offs" in note for note in ws.import_notes), ws.import_notes
    pd.testing.assert_frame_equal(stage_funnel(ws, by="channel"), stage_funnel(demo, by="channel"))
    # the report's notes on the customers the stage funnel leaves out, the designed-versus-
    # observed journey and the segments' event features read the log where it is as well
    notes = jk.stage_funnel_notes(ws)
    assert notes == jk.stage_funnel_notes(demo) and len(notes) > 1, notes
    observed, expected = jk.observed_journey(ws), jk.observed_journey(demo)
    assert observed.customers == expected.customers > 0
    for part in ("reach", "off_map_events", "off_map_paths"):
        pd.testing.assert_frame_equal(getattr(observed, part), getattr(expected, part))
    pd.testing.assert_frame_equal(jk.suggest_segments(ws).assignments, jk.suggest_segments(demo).assignments)
    log, path = logs[7]
    portable = open_warehouse(EventsBackend("duckdb", path=str(path)))
    try:
        pd.testing.assert_frame_equal(funnel(portable, ["a", "b"], by="channel"), funnel(log, ["a", "b"], by="channel"))
    finally:
        portable.close()


def test_time_to_convert_on_spark_is_the_duckdb_one(spark, tmp_path):
    """The time-to-convert distribution (mean, median, p90: DuckDB's quantile_cont, Spark's
    percentile) and its histogram are the same on Spark as on DuckDB."""
    rng = np.random.default_rng(1)
    rows = []
    for c in range(300):
        t = pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=int(rng.integers(0, 10000)))
        for event in ["view", "cart", "buy"]:
            if rng.random() < 0.8:
                rows.append({"customer_id": f"c{c}", "event": event, "timestamp": t})
                t += pd.Timedelta(minutes=int(rng.integers(1, 3000)))
    path = tmp_path / "events.parquet"
    pd.DataFrame(rows).to_parquet(path)
    steps = ["view", "cart", "buy"]
    native = jk.time_to_convert(str(path), steps)
    on_spark = jk.time_to_convert(jk.warehouse_events("spark", path=str(path)), steps)
    assert native.customers > 100
    pd.testing.assert_frame_equal(on_spark.summary(), native.summary())
    pd.testing.assert_frame_equal(on_spark.histogram, native.histogram)
