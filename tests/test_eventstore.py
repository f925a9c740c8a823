"""Large event logs go through DuckDB, not pandas; they must give the same events,
the same problems and the same quarantine accounting as the in-memory path."""

from __future__ import annotations

import pandas as pd
import pytest

import journeykit as jk

EVENTS = (
    "User,When,What,Channel\n"
    "c1,2026-03-01T12:00:00Z,ad_click,web\n"
    "c1,2026-03-01T13:30:00+01:00,menu_view,web\n"
    "c1,2026-03-01 14:00,order,store\n"
    "c2,2026-03-02 09:00:00,ad_click,\n"
)
MAPPING = "columns:\n  events: {customer_id: User, timestamp: When, event: What}\n"


def _workspace(make_workspace, events: str | bytes, name: str = "events.csv"):
    folder = make_workspace(**{name: events})
    (folder / "journey.yaml").write_text((folder / "journey.yaml").read_text() + MAPPING)
    return folder


@pytest.fixture
def large(monkeypatch):
    monkeypatch.setenv("JOURNEYKIT_LARGE_EVENTS_BYTES", "0")


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["customer_id", "timestamp", "event", "channel"]].copy()
    out["timestamp"] = out["timestamp"].dt.as_unit("us")  # naive local, or tz-aware when the file has offsets
    return out.astype({"customer_id": "string", "event": "string", "channel": "string"})


def test_large_path_gives_the_same_events_as_the_pandas_path(make_workspace, monkeypatch):
    folder = _workspace(make_workspace, EVENTS)
    small = jk.load_workspace(folder)
    monkeypatch.setenv("JOURNEYKIT_LARGE_EVENTS_BYTES", "0")
    big = jk.load_workspace(folder)
    assert "events" in big.large and "events" not in big.tables  # not read into pandas
    assert big.row_count("events") == 4 and big.has("events")
    pd.testing.assert_frame_equal(_canonical(big.events), _canonical(small.events))
    assert big.events.index.tolist() == [2, 3, 4, 5]
    rel = big.events_relation()
    assert rel.columns == ["customer_id", "timestamp", "event", "channel"]
    assert rel.aggregate("count(*)").fetchall()[0][0] == 4


def test_large_path_reports_problems_with_rows(make_workspace, large):
    text = EVENTS + ",2026-03-02 10:00,order,web\nc3,yesterday,order,web\n"
    folder = _workspace(make_workspace, text)
    with pytest.raises(jk.WorkspaceError) as caught:
        jk.load_workspace(folder)
    found = {(p.row, p.column, p.value) for p in caught.value.problems if p.severity == "error"}
    assert found == {(6, "customer_id", ""), (7, "timestamp", "yesterday")}


def test_large_path_quarantine_accounts_for_every_row(make_workspace, large):
    text = EVENTS + ",2026-03-02 10:00,order,web\nc3,yesterday,order,web\n"
    ws = jk.load_workspace(_workspace(make_workspace, text), on_bad_rows="quarantine")
    rejected = ws.rejected["events"]
    assert rejected["_row"].tolist() == [6, 7]
    assert ws.row_count("events") + len(rejected) == 6
    assert "timestamp" in rejected.loc[1, "_problems"]


def test_large_parquet_and_unmapped_event_warning(make_workspace, large, tmp_path):
    folder = make_workspace()
    pd.DataFrame({"customer_id": ["c1", "c2"], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"]),
                  "event": ["ad_click", "mystery"]}).to_parquet(folder / "events.parquet")
    ws = jk.load_workspace(folder)
    assert "events" in ws.large
    [warning] = [p for p in ws.problems if p.column == "event"]
    assert warning.value == "mystery" and warning.severity == "warning"


def test_large_latin1_semicolon_file(make_workspace, large):
    text = "customer_id;timestamp;event\nc1;2026-01-01 10:00;ad_click\ncé;2026-01-01 11:00;order\n"
    ws = jk.load_workspace(make_workspace(events=text.encode("latin-1")))
    assert ws.events["customer_id"].tolist() == ["c1", "cé"]


def test_missing_column_in_large_file_names_the_mapping(make_workspace, large):
    folder = make_workspace(events="who,timestamp,event\nc1,2026-01-01,ad_click\n")
    [problem] = [p for p in jk.validate_workspace(folder) if p.severity == "error"]
    assert problem.column == "customer_id" and "columns: {events: {customer_id:" in problem.expected


def test_a_parquet_log_with_many_rows_is_large_however_small_the_file(make_workspace, monkeypatch):
    """Compressed Parquet is small on disk (10M demo events are 11 MB): the row count in its
    footer decides, so a long log is never read into pandas because it compresses well."""
    folder = make_workspace()
    rows = 3_000
    pd.DataFrame({"customer_id": [f"c{i % 50}" for i in range(rows)],
                  "timestamp": pd.date_range("2026-01-01", periods=rows, freq="min"),
                  "event": ["ad_click"] * rows}).to_parquet(folder / "events.parquet")
    assert (folder / "events.parquet").stat().st_size < 64 * 2**20
    monkeypatch.setenv("JOURNEYKIT_LARGE_EVENTS_ROWS", str(rows - 1))
    assert "events" in jk.load_workspace(folder).large
    monkeypatch.setenv("JOURNEYKIT_LARGE_EVENTS_ROWS", str(rows))
    assert "events" not in jk.load_workspace(folder).large


def test_large_path_normalises_ids_as_the_pandas_path_does(make_workspace, monkeypatch):
    """Ids that differ only by a zero-width space, a BOM or a no-break space are one
    customer in a large log too, with one warning counting the values changed."""
    events = ("User,When,What,Channel\n"
              "c1,2026-03-01 12:00,ad_click,web\n"
              "c1\u200b,2026-03-01 12:05,menu_view,web\n"
              "\ufeffc1\u00a0,2026-03-01 12:10,order,web\n"
              "c2,2026-03-02 09:00,ad_click,web\n")
    folder = _workspace(make_workspace, events)
    small = jk.load_workspace(folder)
    monkeypatch.setenv("JOURNEYKIT_LARGE_EVENTS_BYTES", "0")
    large = jk.load_workspace(folder)
    assert "events" in large.large and "events" not in small.large
    assert sorted(large.events["customer_id"].unique()) == ["c1", "c2"]
    assert sorted(small.events["customer_id"].unique()) == ["c1", "c2"]
    [warning] = [p for p in large.problems if p.column == "customer_id" and p.table == "events"]
    assert warning.severity == "warning" and warning.value == "2 values changed"
