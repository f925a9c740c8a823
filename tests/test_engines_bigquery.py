"""The BigQuery engine and the GA4 export, tested without Google (no network here).

The fixture tests/data/ga4_bigquery/ is a hand-made GA4 export: one JSON-lines file per
daily table ``events_YYYYMMDD`` (and an ``events_intraday_`` one), rows shaped as BigQuery
exports them (INT64 as text, nested ``event_params``, ``device`` and ``traffic_source``
records), and the tables' schema as ``bq show --schema`` prints it.

The BigQuery SQL is checked three ways: it parses in sqlglot's BigQuery dialect and every
column and nested field resolves against that schema; it is stored as expected SQL
(tests/data/bigquery/*.sql, rewritten with JOURNEYKIT_UPDATE_GOLDEN=1); and it is run,
translated back by sqlglot (read="bigquery", write="duckdb") with the wildcard table
``events_*`` standing for a DuckDB view of the fixture that has ``_TABLE_SUFFIX``, and
compared with the GA4 import preset on the same files and with the native analyses.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from journeykit.analytics.events.engines.bigquery import BigQueryRunner, duckdb_type, inline_table
from journeykit.analytics.events.engines.ga4 import ga4_table_sql
from journeykit.core._sql import connect
from journeykit.core.errors import JourneykitError
from journeykit.workspace.imports.ga4 import param
from journeykit.workspace.imports.pipeline import run_preset

ROOT = Path(__file__).parent
FIXTURE = ROOT / "data" / "ga4_bigquery"
GOLDEN = ROOT / "data" / "bigquery"
SCHEMA = json.loads((FIXTURE / "schema.json").read_text())
DATASET = "my-project.analytics_123"
DAYS = ("20240301", "20240302", "20240303")

_DUCK = {"STRING": "VARCHAR", "INTEGER": "BIGINT", "FLOAT": "DOUBLE", "BOOLEAN": "BOOLEAN"}
_BQ = {"STRING": "STRING", "INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}


def _duck_type(field: dict) -> str:
    if field["type"] == "RECORD":
        kind = "STRUCT(" + ", ".join(f'"{f["name"]}" {_duck_type(f)}' for f in field["fields"]) + ")"
    else:
        kind = _DUCK[field["type"]]
    return kind + "[]" if field.get("mode") == "REPEATED" else kind


def _bq_type(field: dict) -> str:
    if field["type"] == "RECORD":
        kind = "STRUCT<" + ", ".join(f'{f["name"]} {_bq_type(f)}' for f in field["fields"]) + ">"
    else:
        kind = _BQ[field["type"]]
    return f"ARRAY<{kind}>" if field.get("mode") == "REPEATED" else kind


def ga4_schema() -> dict:
    """The export as sqlglot's schema: the wildcard table with its pseudo column _TABLE_SUFFIX."""
    columns = {f["name"]: _bq_type(f) for f in SCHEMA}
    columns["_TABLE_SUFFIX"] = "STRING"
    project, dataset = DATASET.split(".")
    return {project: {dataset: {"events_*": columns}}}


def daily_files(days: tuple[str, ...] = DAYS) -> list[Path]:
    return [FIXTURE / f"events_{day}.jsonl" for day in days]


def fixture_connection() -> Any:
    """A kit DuckDB connection with the view ga4_export: every fixture table's rows typed by
    schema.json, with the table's _TABLE_SUFFIX (what BigQuery's wildcard gives)."""
    con = connect()
    columns = {f["name"]: _duck_type(f) for f in SCHEMA}
    parts = [f"SELECT *, '{path.stem[len('events_'):]}' AS _TABLE_SUFFIX FROM read_json('{path}', "
             f"format = 'newline_delimited', columns = {columns!r})"
             for path in sorted(FIXTURE.glob("events_*.jsonl"))]
    con.execute("CREATE VIEW ga4_export AS " + " UNION ALL ".join(parts))
    return con


def bigquery_to_duckdb(sql: str) -> str:
    """BigQuery SQL as DuckDB SQL (sqlglot), the wildcard table read from the view ga4_export
    (and the table my-project.shop.events from the view shop_events)."""
    tree = sqlglot.parse_one(sql, read="bigquery")
    for table in list(tree.find_all(exp.Table)):
        if table.name == "events_*":
            table.replace(exp.to_table("ga4_export").as_(table.alias or "events_"))
        elif (table.catalog, table.db, table.name) == ("my-project", "shop", "events"):
            table.replace(exp.to_table("shop_events").as_(table.alias or "shop_events"))
    for slice_ in list(tree.find_all(exp.ArraySlice)):  # sqlglot keeps the offsets as they are:
        # BigQuery's count from 0 (negative from the end), DuckDB's list_slice from 1
        bounds = [sqlglot.parse_one(f"CASE WHEN {b} < 0 THEN {b} ELSE {b} + 1 END", read="duckdb")
                  for b in (slice_.args["start"].sql("duckdb"), slice_.args["end"].sql("duckdb"))]
        slice_.replace(exp.Anonymous(this="list_slice", expressions=[slice_.this.copy(), *bounds]))
    for limit in [a.this for a in tree.find_all(exp.ArrayAgg) if isinstance(a.this, exp.Limit)]:
        limit.replace(limit.this)  # DuckDB has no LIMIT in a list: all of it (the same first item)
    return tree.sql("duckdb")


def check_against_ga4_schema(sql: str) -> None:
    """Every column and nested field of ``sql`` resolves in the GA4 export's schema."""
    tree = qualify(sqlglot.parse_one(sql, read="bigquery"), schema=ga4_schema(), dialect="bigquery",
                   validate_qualify_columns=True)
    tree = annotate_types(tree, schema=ga4_schema(), dialect="bigquery")
    unknown = [d.sql("bigquery") for d in tree.find_all(exp.Dot)
               if d.type is None or d.type.is_type(exp.DataType.Type.UNKNOWN)]
    if unknown:
        raise AssertionError(f"fields not in the GA4 export schema: {unknown}")


def preset_log(days: tuple[str, ...] = DAYS, options: dict[str, str] | None = None) -> list[tuple]:
    """The events the file import preset makes of those daily tables' files, as the SQL's
    row tuples (timestamp a naive UTC time, no channel as None)."""
    result = run_preset("ga4", daily_files(days), options or {})
    assert result.ok, result.problems
    events = result.tables["events"]
    stamps = pd.to_datetime(events["timestamp"], utc=True, format="ISO8601").dt.tz_localize(None)
    return sorted((c, t.to_pydatetime(), e, ch or None)
                  for c, t, e, ch in zip(events["customer_id"], stamps, events["event"], events["channel"]))


def sql_log(con: Any, sql: str) -> list[tuple]:
    return sorted(con.sql(bigquery_to_duckdb(sql)).fetchall(), key=lambda r: tuple("" if v is None else v for v in r))


@pytest.fixture(scope="module")
def con() -> Any:
    connection = fixture_connection()
    yield connection
    connection.close()


# ---------------------------------------------------------------- the flattening

@pytest.mark.parametrize("options", [{}, {"channel": "medium"}, {"stitch": "yes"},
                                     {"channel": "medium", "stitch": "yes"}])
def test_the_flattening_gives_the_import_presets_log(con: Any, options: dict[str, str]) -> None:
    sql = ga4_table_sql(DATASET, "2024-03-01", "2024-03-03", channel=options.get("channel", "device"),
                        stitch=options.get("stitch") == "yes")
    got = sql_log(con, sql)
    assert got == sorted(preset_log(DAYS, options), key=lambda r: tuple("" if v is None else v for v in r))
    assert len(got) == 38  # 40 rows in the three days less a cookieless ping and a nameless event


def test_the_date_range_reads_those_daily_tables_only(con: Any) -> None:
    one_day = sql_log(con, ga4_table_sql(DATASET, "2024-03-02", "2024-03-02"))
    assert one_day == sorted(preset_log(("20240302",)))
    since = sql_log(con, ga4_table_sql(DATASET, start="2024-03-02"))
    assert since == sorted(preset_log(("20240302", "20240303")))
    # no range: every daily table (the day before too), never the intraday one
    every = sql_log(con, ga4_table_sql(DATASET))
    assert every == sorted(preset_log(("20240229", *DAYS)))
    assert all(row[1].date() != pd.Timestamp("2024-03-04").date() for row in every)


def test_a_daily_file_without_a_purchase_imports() -> None:
    # the preset once failed on a file with no purchase (events_20240229 has none)
    result = run_preset("ga4", daily_files(("20240229",)), {})
    assert result.ok and len(result.tables["events"]) == 2 and result.tables["orders"].empty


def test_event_params_become_columns_as_the_presets_param_reads_them(con: Any) -> None:
    sql = ga4_table_sql(DATASET, "2024-03-01", "2024-03-03", params=["page_location", "ga_session_id",
                                                                    "transaction_id"])
    got = con.sql(f"SELECT timestamp, event, page_location, ga_session_id, transaction_id FROM "
                  f"({bigquery_to_duckdb(sql)})").fetchall()
    expected = []
    for path in daily_files():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            name = row["event_name"].strip()
            if not name or not (row["user_id"] or row["user_pseudo_id"]):
                continue
            params = json.dumps(row["event_params"])
            stamp = pd.Timestamp(int(row["event_timestamp"]), unit="us").to_pydatetime()
            expected.append((stamp, name, *(param(params, k) for k in ("page_location", "ga_session_id",
                                                                        "transaction_id"))))
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert sum(r[4] is not None for r in got) == 2  # the two purchases with a transaction_id param


def test_the_flattening_resolves_against_the_ga4_schema() -> None:
    for options in ({}, {"channel": "medium", "stitch": True, "params": ["page_location"]}):
        check_against_ga4_schema(ga4_table_sql(DATASET, "2024-03-01", "2024-03-31", **options))
    sql = ga4_table_sql(DATASET, params=["page_location"])
    for wrong in (sql.replace("user_pseudo_id", "user_pseudoid"), sql.replace("device.category", "device.categry"),
                  sql.replace("p.value.string_value", "p.value.text_value")):
        with pytest.raises((AssertionError, sqlglot.errors.OptimizeError)):
            check_against_ga4_schema(wrong)


@pytest.mark.parametrize("dataset, start, end, expected", [
    ("analytics_123", None, None, "events.ga4_dataset: expected the GA4 export's dataset as project.dataset"),
    ("my-project.analytics-123", None, None, "not 'my-project.analytics-123'"),
    ("my-project.analytics_1`; DROP", None, None, "events.ga4_dataset"),
    ("My_Project.analytics_1", None, None, "events.ga4_dataset"),
    (None, None, None, "not None"),
    (DATASET, "2024-02-30", None, "events.start: expected a day as YYYY-MM-DD (e.g. 2024-01-31), not '2024-02-30'"),
    (DATASET, None, "March", "events.end: expected a day"),
    (DATASET, "2024-03-05", "2024-03-01", "events.start (2024-03-05) is after events.end (2024-03-01)"),
])
def test_a_bad_dataset_or_date_says_which_setting(dataset: Any, start: Any, end: Any, expected: str) -> None:
    with pytest.raises(JourneykitError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        ga4_table_sql(dataset, start, end)


def test_dates_come_as_yaml_gives_them() -> None:
    import datetime as dt

    text = ga4_table_sql("example.com:my-project.analytics_9", dt.date(2024, 1, 1), "20240131")
    assert "`example.com:my-project.analytics_9.events_*`" in text
    assert "_TABLE_SUFFIX BETWEEN '20240101' AND '20240131'" in text
    with pytest.raises(JourneykitError, match="ga4 params"):
        ga4_table_sql(DATASET, params=["page location"])
    with pytest.raises(JourneykitError, match="ga4 channel"):
        ga4_table_sql(DATASET, channel="source")


# ---------------------------------------------------------------- the runner

_TO_BIGQUERY = {"VARCHAR": "STRING", "BIGINT": "INTEGER", "INTEGER": "INTEGER", "DOUBLE": "FLOAT",
                "BOOLEAN": "BOOLEAN", "TIMESTAMP": "TIMESTAMP", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
                "DATE": "DATE"}


class FixtureClient:
    """Stands in for ``google.cloud.bigquery.Client`` (Google cannot be reached here): each
    query text the runner sends is kept in ``sent``, translated back by sqlglot and run on
    DuckDB over the fixture; the result comes back in Arrow as BigQuery's client gives it
    (TIMESTAMP as timestamp[us, UTC]), a dry run with the result's schema as SchemaFields.
    Everything on the runner's side of the client is the runner's own code."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.sent: list[str] = []
        self.dry_runs: list[str] = []

    def query(self, text: str, job_config: Any = None, location: str | None = None) -> FixtureJob:
        dry = bool(job_config is not None and job_config.dry_run)
        (self.dry_runs if dry else self.sent).append(text)
        return FixtureJob(self.con.sql(bigquery_to_duckdb(text)), dry)

    def close(self) -> None:
        pass


class FixtureJob:
    def __init__(self, rel: Any, dry: bool) -> None:
        from google.cloud.bigquery import SchemaField

        self.rel, self.job_id, self.total_bytes_processed = rel, "fixture", 0
        self.schema = [SchemaField(name, _TO_BIGQUERY[str(kind)]) for name, kind in zip(rel.columns, rel.types)
                       ] if dry else None

    def result(self) -> FixtureJob:
        return self

    def to_arrow(self, create_bqstorage_client: bool = True) -> pa.Table:
        table = self.rel.arrow()
        table = table.read_all() if hasattr(table, "read_all") else table
        fields = [pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f
                  for f in table.schema]
        return table.cast(pa.schema(fields))


def fixture_runner(con: Any) -> tuple[BigQueryRunner, FixtureClient]:
    client = FixtureClient(con)
    return BigQueryRunner(project="my-billing-project", client=client), client


def test_side_tables_are_inlined_with_bigquerys_quoting(con: Any) -> None:
    side = pd.DataFrame({"cid": pd.array(["a'b", "c\\d", None, "new\nline"], dtype="string"),
                         "n": [1, 2, 3, -4], "x": [0.5, float("nan"), 1e20, -2.0],
                         "flag": [True, False, True, False],
                         "at": pd.to_datetime(["2024-03-01 10:00:00.000001", None, "2024-03-02", "1969-12-31 23:59:59"],
                                               format="ISO8601")})
    runner, client = fixture_runner(con)
    runner.register("jk_side", side)
    got = runner.frame("SELECT * FROM jk_side")
    assert client.sent[0].startswith("WITH jk_side AS (SELECT * FROM UNNEST(ARRAY<STRUCT<`cid` STRING, `n` INT64, "
                                     "`x` FLOAT64, `flag` BOOL, `at` TIMESTAMP>>[")
    assert got["cid"].tolist()[:2] == ["a'b", "c\\d"] and pd.isna(got["cid"][2]) and got["cid"][3] == "new\nline"
    assert got["n"].tolist() == [1, 2, 3, -4] and got["flag"].tolist() == [True, False, True, False]
    assert got["x"].iloc[[0, 2, 3]].tolist() == [0.5, 1e20, -2.0] and pd.isna(got["x"][1])
    assert got["at"].iloc[[0, 2, 3]].tolist() == side["at"].iloc[[0, 2, 3]].tolist() and pd.isna(got["at"][1])
    # a query with its own CTEs gets the side table first; a query not reading it, none
    assert runner.rows("WITH q AS (SELECT count(*) AS c FROM jk_side) SELECT c FROM q") == [(4,)]
    assert client.sent[-1].startswith("WITH jk_side AS (") and ", q AS (SELECT" in client.sent[-1]
    assert [job.sql for job in runner.jobs] == client.sent
    assert runner.sql_to_send("SELECT 1 AS jk_side_count") == "SELECT 1 AS jk_side_count"
    assert inline_table(side.iloc[:0]).endswith(">>[])")


def test_a_side_table_too_large_for_a_query_is_refused() -> None:
    runner = BigQueryRunner(project="p")
    runner.register("jk_customers", pd.DataFrame({"cid": [f"customer-{i:08d}" for i in range(60_000)]}))
    with pytest.raises(JourneykitError, match="over BigQuery's limit.*jk_customers: 60,000 rows"):
        runner.sql_to_send("SELECT * FROM jk_customers")


def test_results_have_duckdbs_types(con: Any) -> None:
    runner, client = fixture_runner(con)
    sql = ga4_table_sql(DATASET, "2024-03-01", "2024-03-03")
    assert runner.schema(sql) == [("customer_id", "VARCHAR"), ("timestamp", "TIMESTAMP"), ("event", "VARCHAR"),
                                  ("channel", "VARCHAR")]
    assert client.dry_runs == [f"SELECT * FROM ({sql})"] and client.sent == []  # nothing read, nothing billed
    got = runner.frame(f"SELECT * FROM ({sql})")
    native = con.sql(bigquery_to_duckdb(sql)).df()
    pd.testing.assert_frame_equal(got.sort_values(list(got.columns)).reset_index(drop=True),
                                  native.sort_values(list(native.columns)).reset_index(drop=True))
    assert str(got["timestamp"].dtype) == "datetime64[us]"  # BigQuery's UTC instants as naive UTC times


def test_bigquery_schema_fields_as_duckdb_type_names() -> None:
    from google.cloud.bigquery import SchemaField

    fields = {f["name"]: SchemaField.from_api_repr(f) for f in SCHEMA}
    assert duckdb_type(fields["event_timestamp"]) == "BIGINT"
    assert duckdb_type(fields["user_pseudo_id"]) == "VARCHAR"
    assert duckdb_type(fields["is_active_user"]) == "BOOLEAN"
    assert duckdb_type(fields["event_params"]) == ('STRUCT("key" VARCHAR, "value" STRUCT("string_value" VARCHAR, '
                                                   '"int_value" BIGINT, "float_value" DOUBLE, "double_value" DOUBLE))[]')
    # the same names DuckDB gives the fixture's columns, typed from the same schema
    # the names DuckDB gives the fixture's columns typed from the same schema (DuckDB quotes
    # only the field names that are keywords)
    rel = fixture_connection().sql("SELECT * EXCLUDE (_TABLE_SUFFIX) FROM ga4_export")
    assert [duckdb_type(fields[c]).replace('"', "") for c in rel.columns] == [str(t).replace('"', "")
                                                                             for t in rel.types]


# ---------------------------------------------------------------- credentials

_CLEAN_ENV_SCRIPT = """
from journeykit.analytics.events.engines.bigquery import BigQueryRunner
from journeykit.core.errors import JourneykitError
try:
    BigQueryRunner(project="my-billing-project").rows("SELECT 1")
except JourneykitError as error:
    print(error)
"""


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine never logged in to Google: no credentials file, an empty
    gcloud config folder, and not on Google Cloud (no metadata server to ask)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "GCLOUD_", "CLOUDSDK_")) and k != "NO_GCE_CHECK"}
    env.update(HOME=str(tmp_path), CLOUDSDK_CONFIG=str(tmp_path / "gcloud"), NO_GCE_CHECK="true",
               PYTHONPATH=str(ROOT.parent))
    return env


def test_missing_credentials_say_what_to_run(tmp_path: Path) -> None:
    # the real google-auth lookup of Application Default Credentials, in a clean environment
    out = subprocess.run([sys.executable, "-c", _CLEAN_ENV_SCRIPT], env=clean_env(tmp_path), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "no Google credentials for BigQuery" in out.stdout
    assert "gcloud auth application-default login" in out.stdout
    assert "never reads credentials from the workspace" in out.stdout


# ---------------------------------------------------------------- the analyses on the GA4 source

STEPS = ["session_start", "view_item", "add_to_cart", "purchase"]


def _personas(customers: list[str]) -> pd.DataFrame:
    """A customers table giving each customer a persona (every other one p1), for by='persona'."""
    return pd.DataFrame({"customer_id": pd.array(customers, dtype="string"),
                         "persona": pd.array(["p1" if i % 2 else "p2" for i in range(len(customers))],
                                             dtype="string")})


ANALYSES = ["funnel", "funnel_dropouts", "paths", "transitions", "step_matrix", "retention", "time_to_convert"]


def _analyses(customers: pd.DataFrame) -> dict[str, Any]:
    from journeykit.analytics.events.funnel import funnel, funnel_dropouts
    from journeykit.analytics.events.paths import paths, step_matrix, transitions
    from journeykit.analytics.events.retention import retention

    return {
        "funnel": lambda s: funnel(s, STEPS, window="1d", by="channel"),
        "funnel_dropouts": lambda s: funnel_dropouts(s, STEPS, 3, window="1d"),
        "paths": lambda s: paths(s, max_steps=4),
        "transitions": lambda s: transitions(s),
        "step_matrix": lambda s: step_matrix(s, max_steps=4),
        "retention": lambda s: retention(s, period="D", by="persona", customers=customers),
        "time_to_convert": lambda s: _time_to_convert_frame(s),
    }


def _time_to_convert_frame(source: Any) -> pd.DataFrame:
    """time_to_convert's histogram with its summary (converted, mean, median, p90, minimum,
    maximum) as columns."""
    from journeykit.analytics.events.conversion import time_to_convert

    result = time_to_convert(source, STEPS, window="1d", bin_width="1h")
    return result.histogram.assign(converted=result.customers, mean=result.mean, median=result.median,
                                   p90=result.p90, minimum=result.minimum, maximum=result.maximum)


def native_log() -> pd.DataFrame:
    """The import preset's log of the three days as the analyses read a DataFrame."""
    rows = preset_log()
    return pd.DataFrame({"customer_id": pd.array([r[0] for r in rows], dtype="string"),
                         "timestamp": pd.to_datetime([r[1] for r in rows]).astype("datetime64[us]"),
                         "event": pd.array([r[2] for r in rows], dtype="string"),
                         "channel": pd.array([r[3] for r in rows], dtype="string")})


@contextlib.contextmanager
def google_is_the_fixture(con: Any) -> Iterator[FixtureClient]:
    """The runner's Google client (made from the environment's credentials) replaced by a
    FixtureClient on ``con``: the one thing these tests put in place of what users run."""
    from journeykit.analytics.events.engines import bigquery as engine

    client = FixtureClient(con)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "_make_client", lambda project, location: client)
        yield client


GA4_SPEC = dict(ga4_dataset=DATASET, project="my-billing-project", start="2024-03-01", end="2024-03-03")


@contextlib.contextmanager
def ga4_source(con: Any) -> Iterator[tuple[Any, FixtureClient]]:
    """journey.yaml events of the GA4 export of the fixture's three days, opened as the
    analyses open them (open_warehouse), on the fixture."""
    from journeykit.analytics.events.engines import open_warehouse
    from journeykit.workspace.events_backend import EventsBackend

    with google_is_the_fixture(con) as client:
        src = open_warehouse(EventsBackend("bigquery", **GA4_SPEC))
        try:
            yield src, client
        finally:
            src.close()


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    if len(got.columns):
        got = got.sort_values(list(got.columns), key=lambda c: c.astype(str)).reset_index(drop=True)
        expected = expected.sort_values(list(expected.columns), key=lambda c: c.astype(str)).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)


@pytest.fixture(scope="module")
def sent_by_analysis(con: Any) -> dict[str, tuple[list[str], pd.DataFrame, pd.DataFrame]]:
    """Each analysis on the GA4 source: the BigQuery SQL sent, its result, the native result."""
    log = native_log()
    customers = _personas(sorted(set(log["customer_id"])))
    out = {}
    for name, run in _analyses(customers).items():
        try:
            with ga4_source(con) as (src, client):
                got = run(src)
            out[name] = (client.dry_runs + client.sent, got, run(log))
        except Exception as error:  # each analysis's own test reports it
            out[name] = error
    return out


def _of(sent_by_analysis: dict, name: str) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    found = sent_by_analysis[name]
    if isinstance(found, Exception):
        raise found
    assert len(found[0]) >= 2, found[0]  # the dry run for the columns, then the analysis's queries
    return found


@pytest.mark.parametrize("name", ANALYSES)
def test_each_analysis_on_the_ga4_export_gives_the_native_result(sent_by_analysis: dict, name: str) -> None:
    _, got, native = _of(sent_by_analysis, name)
    assert len(native) > 0
    _same(got, native)


@pytest.mark.parametrize("name", ANALYSES)
def test_the_bigquery_sql_of_each_analysis_is_the_stored_one(sent_by_analysis: dict, name: str) -> None:
    # pretty-printed by sqlglot (BigQuery to BigQuery) so that a change reads as a diff
    sent = "".join(sqlglot.transpile(text, read="bigquery", write="bigquery", pretty=True)[0] + ";\n\n"
                   for text in _of(sent_by_analysis, name)[0])
    path = GOLDEN / f"{name}.sql"
    if os.environ.get("JOURNEYKIT_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(sent)
    assert path.exists(), f"{path} missing: run with JOURNEYKIT_UPDATE_GOLDEN=1 to write it"
    assert sent == path.read_text(), f"the BigQuery SQL of {name} changed: JOURNEYKIT_UPDATE_GOLDEN=1 rewrites {path}"


@pytest.mark.parametrize("name", ANALYSES)
def test_the_bigquery_sql_of_each_analysis_resolves_against_the_ga4_schema(sent_by_analysis: dict, name: str) -> None:
    sent = _of(sent_by_analysis, name)[0]
    for text in sent:
        check_against_ga4_schema(text)
    assert "ASOF" not in " ".join(sent).upper()


# ---------------------------------------------------------------- journey.yaml -> the runner

GA4_YAML = {"backend": "bigquery", "ga4_dataset": DATASET, "project": "my-billing-project", "location": "EU",
            "start": "2024-03-01", "end": "2024-03-03"}
STAGE_EVENTS = {"awareness": ["session_start"], "consideration": ["view_item", "page_view"],
                "decision": ["add_to_cart"], "post_purchase": ["purchase"]}


def ga4_workspace(folder: Path, events: dict | None) -> Path:
    """A new workspace whose stages are GA4 event names; ``events``: its journey.yaml
    ``events:`` (None: the fixture's three days imported with the ga4 preset instead)."""
    import yaml

    from journeykit.workspace.imports.pipeline import import_into
    from journeykit.workspace.scaffold import new_workspace

    path = new_workspace(folder)
    journey = yaml.safe_load((path / "journey.yaml").read_text())
    for stage in journey["stages"]:
        stage["events"] = STAGE_EVENTS[stage["id"]]
    if events is not None:
        journey["events"] = events
    (path / "journey.yaml").write_text(yaml.safe_dump(journey, sort_keys=False))
    if events is None:
        outcome = import_into(path, "ga4", daily_files())
        assert outcome.result.ok, outcome.result.problems
    return path


def test_a_ga4_workspace_on_bigquery_gives_what_the_imported_export_gives(tmp_path: Path, con: Any) -> None:
    from journeykit.analytics.events.funnel import funnel, stage_funnel
    from journeykit.analytics.events.source import open_events
    from journeykit.workspace.loader import load_workspace

    imported = load_workspace(ga4_workspace(tmp_path / "imported", None))
    warehouse = load_workspace(ga4_workspace(tmp_path / "bigquery", GA4_YAML))
    assert warehouse.events_elsewhere and warehouse.events is None
    with google_is_the_fixture(con) as client:
        with open_events(warehouse) as src:
            runner = src.runner
            assert isinstance(runner, BigQueryRunner)
            assert (runner.project, runner.location) == ("my-billing-project", "EU")
            assert ga4_table_sql(DATASET, "2024-03-01", "2024-03-03") in src.table_sql
            assert src.columns == ["customer_id", "timestamp", "event", "channel"]
            assert src.fetch("SELECT count(*) FROM jk_src") == [(38,)]
        # the columns, asked by free dry runs when the source opens (the table's, then the
        # canonical ones), never by reading data
        assert len(client.dry_runs) == 2 and all(t.startswith("SELECT * FROM (") for t in client.dry_runs)
        got = stage_funnel(warehouse, by="channel")
        sent = list(client.sent)
        assert funnel(warehouse, STEPS).equals(funnel(imported, STEPS))
    _same(got, stage_funnel(imported, by="channel"))
    assert len(got) > 4 and sent and all("events_*" in text for text in sent)
    check_against_ga4_schema(sent[0])


_CLEAN_ENV_WORKSPACE = """
import sys
from journeykit.analytics.events.funnel import stage_funnel
from journeykit.core.errors import JourneykitError
from journeykit.workspace.loader import load_workspace
try:
    stage_funnel(load_workspace(sys.argv[1]))
except JourneykitError as error:
    print(error)
"""


def test_a_ga4_workspace_without_credentials_says_what_to_run(tmp_path: Path) -> None:
    folder = ga4_workspace(tmp_path / "ws", GA4_YAML)
    out = subprocess.run([sys.executable, "-c", _CLEAN_ENV_WORKSPACE, str(folder)],
                         env=clean_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "no Google credentials for BigQuery" in out.stdout and "gcloud auth application-default login" in out.stdout


def test_a_bigquery_table_with_column_roles(con: Any) -> None:
    from journeykit.analytics.events.engines import open_warehouse
    from journeykit.analytics.events.engines.bigquery import bigquery_table_sql
    from journeykit.analytics.events.funnel import funnel
    from journeykit.workspace.events_backend import EventsBackend

    log = native_log()
    con.register("shop_log", log)
    con.execute("CREATE OR REPLACE VIEW shop_events AS SELECT customer_id AS user_id, timestamp AS ts, "
                "event AS event_name, channel AS device, 'x' AS shop FROM shop_log")
    spec = EventsBackend("bigquery", table="my-project.shop.events", project="my-billing-project",
                         columns=(("customer", "user_id"), ("timestamp", "ts"), ("event", "event_name"),
                                  ("channel", "device")))
    with google_is_the_fixture(con) as client:
        src = open_warehouse(spec)
        assert src.columns == ["customer_id", "timestamp", "event", "channel", "shop"]
        _same(funnel(src, STEPS, by="channel"), funnel(log, STEPS, by="channel"))
        src.close()
    assert client.dry_runs[0] == "SELECT * FROM (SELECT * FROM `my-project.shop.events`)"
    assert bigquery_table_sql("shop.events") == "SELECT * FROM `shop.events`"
    for bad in ("events", "my-project.shop.events; DROP TABLE x", "my project.shop.events"):
        with pytest.raises(JourneykitError, match="events.table: expected a BigQuery table"):
            bigquery_table_sql(bad)
    # a bad dataset in journey.yaml fails when the source opens, naming the setting
    with pytest.raises(JourneykitError, match="events.ga4_dataset"):
        open_warehouse(EventsBackend("bigquery", ga4_dataset="analytics_123"))


# ---------------------------------------------------------------- what the DuckDB round trip cannot see
# sqlglot reads back what it wrote, so a function BigQuery lacks, or an argument BigQuery
# reads differently, passes the round trip above unseen. These check the sent SQL against
# GoogleSQL's own rules (its function list; ARRAY_SLICE's offsets count from 0).

BIGQUERY_FUNCTIONS = {
    "ANY_VALUE", "APPROX_QUANTILES", "ARRAY", "ARRAY_AGG", "ARRAY_CONCAT", "ARRAY_LENGTH", "ARRAY_REVERSE",
    "ARRAY_SLICE", "ARRAY_TO_STRING", "AVG", "CAST", "CEIL", "COALESCE", "CONCAT", "COUNT", "COUNTIF", "DATE",
    "DATE_DIFF", "DATE_TRUNC", "DENSE_RANK", "DIV", "EXTRACT", "FIRST_VALUE", "FLOOR", "GREATEST", "IF", "IFNULL", "LAG",
    "LAST_VALUE", "LEAD", "LEAST", "LENGTH", "LOGICAL_AND", "LOGICAL_OR", "LOWER", "MAX", "MAX_BY", "MIN",
    "MIN_BY", "NTH_VALUE", "NULLIF", "OFFSET", "ORDINAL", "PERCENTILE_CONT", "PERCENTILE_DISC", "RANK",
    "ROUND", "ROW_NUMBER", "SAFE_CAST", "SAFE_DIVIDE", "SAFE_OFFSET", "SAFE_ORDINAL", "STRING_AGG", "STRUCT",
    "SUM", "TIMESTAMP", "TIMESTAMP_ADD", "TIMESTAMP_DIFF", "TIMESTAMP_MICROS", "TIMESTAMP_SUB",
    "TIMESTAMP_TRUNC", "TRIM", "UNIX_MICROS", "UNNEST", "UPPER",
}


def _functions(texts: list[str]) -> set[str]:
    import re

    found = set()
    for text in texts:
        for node in sqlglot.parse_one(text, read="bigquery").find_all(exp.Func):
            called = re.match(r"([A-Z_][A-Z0-9_]*)\(", node.sql("bigquery"))
            if called and not isinstance(node, exp.Case | exp.Array):
                found.add(called.group(1))
    return found


@pytest.mark.parametrize("name", ANALYSES)
def test_the_bigquery_sql_calls_only_functions_bigquery_has(sent_by_analysis: dict, name: str) -> None:
    assert _functions(_of(sent_by_analysis, name)[0]) - BIGQUERY_FUNCTIONS == set()


@pytest.mark.parametrize("name", ANALYSES)
def test_array_slices_count_from_zero_as_bigquery_does(sent_by_analysis: dict, name: str) -> None:
    for text in _of(sent_by_analysis, name)[0]:
        for node in sqlglot.parse_one(text, read="bigquery").find_all(exp.ArraySlice):
            start = node.args.get("start")
            assert start is not None and start.sql("bigquery") == "0", node.sql("bigquery")


# ---------------------------------------------------------------- one construct at a time
# each DuckDB construct BigQuery lacks: gone from the BigQuery text, and that text (read back
# into DuckDB) computes what DuckDB's own construct computes


def _both(con: Any, sql: str) -> tuple[list[tuple], list[tuple], str]:
    from journeykit.analytics.events.engines.portable import to_dialect

    written = to_dialect(sql, "bigquery")
    return con.execute(sql).fetchall(), con.execute(bigquery_to_duckdb(written)).fetchall(), written


@pytest.mark.parametrize("values", [[], [None], [5], [4, 1], [3, None, 1, 2], [7, 1, 9, 2, 2, None, 8, 100]])
def test_a_median_is_duckdbs_median_without_median(values: list[int | None]) -> None:
    con = connect()
    rows = ", ".join(f"({'NULL' if v is None else v}::BIGINT, {i % 2})" for i, v in enumerate(values)) or "(NULL::BIGINT, 0)"
    where = "" if values else " WHERE x IS NOT NULL"
    sql = f"SELECT g, median(x - 1) AS m FROM (VALUES {rows}) AS t(x, g){where} GROUP BY g ORDER BY g"
    native, written_rows, written = _both(con, sql)
    assert "MEDIAN" not in written.upper()
    assert written_rows == native
    total = f"SELECT median(x) AS m FROM (VALUES {rows}) AS t(x, g)"
    native, written_rows, written = _both(con, total)
    assert "MEDIAN" not in written.upper() and written_rows == native


@pytest.mark.parametrize("end", ["0", "1", "2", "3", "5", "-1", "n", "n - 3", "NULL::BIGINT"])
def test_a_list_slice_from_the_first_item_is_bigquerys_slice_from_offset_0(end: str) -> None:
    con = connect()
    sql = f"SELECT list_slice(['a', 'b', 'c'], 1, {end}) AS s FROM (VALUES (0), (1), (2), (3)) AS t(n) ORDER BY n"
    native, written_rows, written = _both(con, sql)
    assert "LIST_SLICE" not in written.upper()
    assert all(s.args["start"].sql("bigquery") == "0" or s.args["end"].sql("bigquery") == "0"
               for s in sqlglot.parse_one(written, read="bigquery").find_all(exp.ArraySlice))
    assert written_rows == native


@pytest.mark.parametrize("pick", ["arg_min(v, struct_pack(a := a, b := b))", "arg_max(v, struct_pack(a := a, b := b))",
                                  "arg_min(v, struct_pack(a := a, b := struct_pack(c := b)))",
                                  "arg_min(v, a) FILTER (WHERE c)", "arg_max(v, b) FILTER (WHERE c)",
                                  "arg_min(v, struct_pack(a := a, b := b)) FILTER (WHERE c)"])
def test_a_value_at_the_least_or_greatest_key_needs_no_struct_order_nor_filter(pick: str) -> None:
    con = connect()
    rows = ("(1, 1, NULL, false), (2, 1, 5, true), (3, NULL, 0, true), (NULL, 0, 9, true), (5, 0, 8, false), "
            "(6, 2, NULL, true), (7, NULL, NULL, true)")
    sql = f"SELECT g, {pick} AS p FROM (VALUES {rows}) AS t(v, a, b, c), (VALUES (1), (2)) AS s(g) " \
          "WHERE g = 1 OR v > 2 GROUP BY g ORDER BY g"
    native, written_rows, written = _both(con, sql)
    tree = sqlglot.parse_one(written, read="bigquery")
    assert not [f for f in tree.find_all(exp.ArgMin, exp.ArgMax) if isinstance(f.expression, exp.Struct)]
    assert not list(tree.find_all(exp.Filter)) and "FILTER" not in written.upper()
    assert written_rows == native


def test_a_join_on_equal_lists_compares_no_arrays() -> None:
    con = connect()
    sql = ("WITH s AS (SELECT k, list({'n': n, 'c': c} ORDER BY n) AS sig FROM (VALUES (1, 'a', 1), (1, 'b', 2), "
           "(2, 'a', 1), (3, 'b', 2), (3, 'a', 1), (4, 'a', 2)) AS t(k, n, c) GROUP BY k), "
           "m AS (SELECT * FROM (VALUES ([{'n': 'a', 'c': 1}, {'n': 'b', 'c': 2}], 'ab'), ([{'n': 'a', 'c': 1}], 'a')) "
           "AS v(sig, label)) SELECT s.k, m.label FROM s JOIN m ON s.sig = m.sig ORDER BY s.k")
    native, written_rows, written = _both(con, sql)
    assert "s.sig = m.sig" not in written and "TO_JSON_STRING(s.sig) = TO_JSON_STRING(m.sig)" in written
    assert written_rows == native == [(1, "ab"), (2, "a"), (3, "ab")]


@pytest.mark.parametrize("name", ANALYSES)
def test_times_stay_bigquery_timestamps_as_the_ga4_flattening_and_side_tables_give_them(sent_by_analysis: dict,
                                                                                        name: str) -> None:
    # a DATETIME would meet UNIX_MICROS / TIMESTAMP_TRUNC / the side tables' TIMESTAMP_MICROS, which refuse it
    for text in _of(sent_by_analysis, name)[0]:
        tree = sqlglot.parse_one(text, read="bigquery")
        assert not [t for t in tree.find_all(exp.DataType) if t.this == exp.DataType.Type.DATETIME], text


@pytest.mark.parametrize("window", ["count(*) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN to_microseconds(2000000) "
                                    "PRECEDING AND CURRENT ROW)",
                                    "row_number() OVER (PARTITION BY k ORDER BY ts NULLS LAST, v DESC NULLS FIRST)",
                                    "first_value(v IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts ASC NULLS LAST "
                                    "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)"])
def test_a_window_order_has_no_nulls_last_and_a_range_one_numeric_key(window: str) -> None:
    con = connect()
    rows = ", ".join(f"({k}, {'NULL' if t is None else repr(t)}::TIMESTAMP, {'NULL' if v is None else v})" for k, t, v in [
        (1, "2024-01-01 00:00:00", 1), (1, "2024-01-01 00:00:01", None), (1, "2024-01-01 00:00:03", 3),
        (1, None, 4), (1, "2024-01-01 00:00:05", 5), (2, None, None), (2, "2024-01-01 00:00:00", 7),
        (2, "2024-01-01 00:00:02", 8)])
    sql = f"SELECT k, v, {window} AS w FROM (VALUES {rows}) AS t(k, ts, v) ORDER BY k, ts NULLS LAST, v NULLS LAST"
    native, written_rows, written = _both(con, sql)
    for node in sqlglot.parse_one(written, read="bigquery").find_all(exp.Window):
        assert "NULLS" not in node.args["order"].sql("bigquery").upper()
        spec = node.args.get("spec")
        if spec is not None and str(spec.args.get("kind")).upper() == "RANGE":
            assert len(node.args["order"].expressions) == 1 and isinstance(node.args["order"].expressions[0].this,
                                                                             exp.UnixMicros)
    assert written_rows == native


def test_an_order_by_a_list_of_texts_orders_no_arrays() -> None:
    con = connect()
    sql = ("SELECT list_slice([a, b, c], 1, n) AS evs FROM (VALUES ('a', 'b', 'c', 3), ('a', 'b', NULL, 2), "
           "('ab', NULL, NULL, 1), ('a', NULL, NULL, 1), ('b', 'a', NULL, 2), ('a', 'c', NULL, 2)) AS t(a, b, c, n) "
           "ORDER BY evs")
    native, written_rows, written = _both(con, sql)
    order = sqlglot.parse_one(written, read="bigquery").args["order"]
    assert not [o for o in order.expressions if isinstance(o.this, exp.Column) and o.this.name == "evs"]
    assert written_rows == native


@pytest.mark.parametrize("values", [[], [None], [5], [4, 1], [3, None, 1, 2], [7, 1, 9, 2, 2, None, 8, 100],
                                    list(range(1, 12)), [0.5, 2.25, 1e6, -3.0, 7.75, 7.75]])
@pytest.mark.parametrize("fraction", ["0.5", "0.9", "0.25", "0.0", "1.0", "0.1"])
def test_a_percentile_is_duckdbs_quantile_cont_without_percentile_cont(values: list[float | None],
                                                                       fraction: str) -> None:
    """time_to_convert's median and 90th percentile on BigQuery (PERCENTILE_CONT is a window
    function there): the same interpolated value as DuckDB's aggregate, per group and overall,
    up to the last bit of a double (DuckDB's build fuses lo * (1 - d) + hi * d into one
    multiply-add, which no SQL expression can ask for)."""
    con = connect()
    rows = ", ".join(f"({'NULL' if v is None else v}::DOUBLE, {i % 2})" for i, v in enumerate(values)) \
        or "(NULL::DOUBLE, 0)"
    where = "" if values else " WHERE x IS NOT NULL"
    for sql in (f"SELECT g, quantile_cont(x * 2, {fraction}) AS q FROM (VALUES {rows}) AS t(x, g){where} "
                "GROUP BY g ORDER BY g",
                f"SELECT quantile_cont(x, {fraction}) AS q FROM (VALUES {rows}) AS t(x, g)"):
        native, written_rows, written = _both(con, sql)
        assert "PERCENTILE" not in written.upper() and "QUANTILE" not in written.upper(), written
        assert [row[:-1] for row in written_rows] == [row[:-1] for row in native]
        for got, expected in zip(written_rows, native, strict=True):
            assert (got[-1] is None) == (expected[-1] is None), (got, expected)
            if expected[-1] is not None:
                assert got[-1] == pytest.approx(expected[-1], rel=1e-14, abs=0)
