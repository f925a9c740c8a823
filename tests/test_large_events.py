"""A 10-million-row events file: loaded through DuckDB without reading it into pandas,
bad rows found with their spreadsheet row numbers, quarantine counts adding up to the
input, and peak memory of the whole load well under what pandas would need. And a whole
``journeykit run`` on a workspace whose events are stored by the large-event path: it
succeeds, and no process of the run (runner or kernel) reads the log into pandas."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLE, write_workspace

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


# ---------------------------------------------------------------------------
# a whole run on large events

JOURNEYKIT = Path(sys.executable).parent / "journeykit"

# Put first on PYTHONPATH, so every Python process of the run (the runner, papermill, each
# kernel) imports it at start-up: when journeykit.workspace.eventstore is first imported,
# LargeEvents.frame (the one way a stored log is read into pandas: ws.events, ws.table)
# is wrapped to write a marker file with the stack of whoever asked.
MARKER_HOOK = r"""
import importlib.abc, importlib.machinery, os, sys, traceback

class _WatchLargeEvents(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "journeykit.workspace.eventstore":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            original = module.LargeEvents.frame

            def frame(self):
                folder = os.environ["JOURNEYKIT_TEST_MARKERS"]
                with open(os.path.join(folder, f"frame-{os.getpid()}-{id(self)}.txt"), "a") as out:
                    out.write("".join(traceback.format_stack()) + "\n")
                return original(self)

            module.LargeEvents.frame = frame

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _WatchLargeEvents())
"""


@pytest.fixture(scope="module")
def large_run(tmp_path_factory) -> dict:
    """``journeykit run`` of a copy of the demo workspace with its events stored as large."""
    base = tmp_path_factory.mktemp("large_run")
    workspace = Path(shutil.copytree(SAMPLE, base / "workspace"))
    events = workspace / "events.parquet"
    hook, markers = base / "hook", base / "markers"
    hook.mkdir()
    markers.mkdir()
    (hook / "sitecustomize.py").write_text(MARKER_HOOK, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hook), env.get("PYTHONPATH")) if p)
    env["JOURNEYKIT_TEST_MARKERS"] = str(markers)
    # just under the events file: the loader stores it by the large-event path
    env["JOURNEYKIT_LARGE_EVENTS_BYTES"] = str(events.stat().st_size - 1)
    env.pop("JOURNEYKIT_RUN_CACHE", None)
    result = subprocess.run([str(JOURNEYKIT), "run", "--workspace", str(workspace), "--out", str(base / "out"),
                             "--quiet"], capture_output=True, text=True, timeout=1200, env=env)
    stacks = {p.name: p.read_text(encoding="utf-8") for p in sorted(markers.glob("frame-*.txt"))}
    return {"result": result, "out": base / "out", "stacks": stacks, "hook": hook, "env": env}


def _callers(stacks: dict[str, str]) -> list[str]:
    """The journeykit frames (file:function) that asked for the log, one line per stack."""
    lines = []
    for stack in stacks.values():
        frames = [line.strip() for line in stack.splitlines() if line.strip().startswith("File ")]
        mine = [f for f in frames if "journeykit" in f and "eventstore.py" not in f and "loader.py" not in f]
        lines.append(" <- ".join(reversed(mine[-3:])) or frames[-1])
    return lines


def test_the_marker_hook_sees_a_log_read_into_pandas(large_run):
    env = large_run["env"]
    code = ("import journeykit as jk; ws = jk.load_workspace(sys.argv[1]); "
            "assert 'events' in ws.large; ws.events")
    result = subprocess.run([sys.executable, "-c", f"import sys; {code}", str(SAMPLE)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    markers = Path(env["JOURNEYKIT_TEST_MARKERS"])
    seen = [p for p in markers.glob(f"frame-{'*'}.txt") if "<string>" in p.read_text(encoding="utf-8")]
    assert seen, "the hook did not record ws.events"
    for path in seen:
        path.unlink()


def test_a_whole_run_on_large_events_succeeds(large_run):
    result = large_run["result"]
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    assert (large_run["out"] / "index.html").exists() or any(large_run["out"].rglob("index.html"))


def test_the_event_analyses_never_read_the_log_into_pandas(large_run):
    offenders = [c for c in _callers(large_run["stacks"]) if "analytics/events" in c]
    assert not offenders, "\n".join(offenders)


def test_no_process_of_the_run_reads_the_log_into_pandas(large_run):
    assert not large_run["stacks"], "\n".join(_callers(large_run["stacks"]))
