"""A 10-million-row events file: loaded through DuckDB without reading it into pandas,
bad rows found with their spreadsheet row numbers, quarantine counts adding up to the
input, and peak memory of the whole load well under what pandas would need."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import write_workspace

ROWS = 10_000_000
BAD_ROWS = {2: "timestamp", 5_000_001: "customer_id", 10_000_001: "timestamp"}  # spreadsheet rows

LOADER = r"""
import json, resource, sys, time
import journeykit as jk
started = time.perf_counter()
ws = jk.load_workspace(sys.argv[1], on_bad_rows="quarantine")
rejected = ws.rejected.get("events")
funnel = jk.stage_funnel(ws)
print(json.dumps({
    "kept": ws.row_count("events"),
    "in_memory": "events" in ws.tables,
    "rejected_rows": [] if rejected is None else rejected["_row"].tolist(),
    "reasons": [] if rejected is None else rejected["_problems"].tolist(),
    "reached_first_stage": int(funnel["customers"].iloc[0]),
    "seconds": time.perf_counter() - started,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


@pytest.mark.slow
def test_ten_million_row_events_file(tmp_path):
    import duckdb

    folder = write_workspace(tmp_path / "ws")
    path = folder / "events.csv"
    # data row i (0-based) is spreadsheet row i + 2
    duckdb.connect().execute(f"""
        COPY (
            SELECT
                CASE WHEN i = 4999999 THEN '' ELSE 'c' || (i % 500000) END AS customer_id,
                CASE WHEN i IN (0, 9999999) THEN 'not a time'
                     ELSE strftime(TIMESTAMP '2026-01-01' + to_seconds(i * 3), '%Y-%m-%d %H:%M:%S') END AS timestamp,
                (['ad_click', 'menu_view', 'order', 'review'])[1 + (i % 4)::INT] AS event,
                CASE WHEN i % 2 = 0 THEN 'web' ELSE 'store' END AS channel
            FROM range({ROWS}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)
    assert path.stat().st_size > 300 * 2**20
    result = subprocess.run([sys.executable, "-c", LOADER, str(folder)], capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["rejected_rows"] == sorted(BAD_ROWS)
    for reason, column in zip(facts["reasons"], (BAD_ROWS[r] for r in sorted(BAD_ROWS))):
        assert reason.startswith(column)
    assert facts["kept"] + len(facts["rejected_rows"]) == ROWS  # nothing dropped silently
    assert not facts["in_memory"]  # the log stayed in DuckDB/Parquet
    assert facts["reached_first_stage"] > 0
    # reading these 10M rows into pandas takes several GB; the DuckDB path stays far below
    assert facts["peak_rss_mb"] < 1500, facts
    print(f"10M-row events: {facts['seconds']:.1f} s, peak RSS {facts['peak_rss_mb']:.0f} MB")
