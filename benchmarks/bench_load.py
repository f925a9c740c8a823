"""Benchmark loading a workspace whose events log is large, against just reading the file.

A measurement, not a test. Run (from the repository root)::

    .venv/bin/python benchmarks/bench_load.py                  # 10M events, CSV and Parquet
    .venv/bin/python benchmarks/bench_load.py --rows 1M --formats parquet

It builds one workspace folder per format under ``benchmarks/data/`` (git-ignored; reused
when present): ``journey.yaml``, ``personas.csv`` and ``touchpoints.csv`` copied from the
demo workspace ``data/sample``, plus a synthetic ``events.csv`` or ``events.parquet``
(500k customers each active for 10 of 90 days, the demo's stage events with a skewed
frequency, the demo's channels; DuckDB's default Parquet compression, snappy). Then, each
in a fresh subprocess (imports of journeykit, pandas and DuckDB done before the clock
starts), it measures wall time and peak resident memory (VmHWM) of:

- ``journeykit.load_workspace(folder)``: events files above 64 MiB are checked and typed in
  DuckDB and stored as Parquet outside the workspace (journeykit/workspace/eventstore.py);
- ``journeykit.stage_funnel(ws)`` on that loaded workspace (same process; the peak is
  reset through /proc/self/clear_refs to the RSS after loading, which is also reported,
  so it is the peak during the funnel);
- for reference, a hand-written DuckDB query of the same stage funnel (an ASOF-join chain,
  sequential, no window) on the events file, journeykit's connection settings;
- the floor: ``pd.read_csv(path)`` / ``pd.read_parquet(path)`` of the same file, with no
  parsing of timestamps and no checks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

# benchmarks/ is on sys.path when the script runs
from proc_memory import peak_rss_mb, rss_mb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
SAMPLE = ROOT / "data" / "sample"
COPIED = ("journey.yaml", "personas.csv", "touchpoints.csv")
CUSTOMERS = 500_000
DAYS = 90
ACTIVE_DAYS = 10


def parse_size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KMB" else text) * factor)


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else str(rows)


def workspace_path(rows: int, fmt: str) -> Path:
    return DATA / f"workspace_{label(rows)}_{fmt}"


def stage_events_and_channels() -> tuple[list[str], list[str]]:
    import yaml

    config = yaml.safe_load((SAMPLE / "journey.yaml").read_text(encoding="utf-8"))
    events = [e for stage in config["stages"] for e in (stage.get("events") or [])]
    return list(dict.fromkeys(events)), list(config.get("channels") or ["web"])


def synthetic_events_sql(rows: int, customers: int, id_digits: int) -> str:
    """The SELECT of a deterministic synthetic log of ``rows`` events (sorted by time): the
    demo's stage events and channels, ``customers`` customers ``C<digits>``, each active
    ACTIVE_DAYS of DAYS days from 2024-01-01, early stage events more frequent."""
    events, channels = stage_events_and_channels()
    names = "[" + ", ".join(f"'{n}'" for n in events) + "]"
    chans = "[" + ", ".join(f"'{c}'" for c in channels) + "]"
    span_s = DAYS * 86_400
    active_s = ACTIVE_DAYS * 86_400
    return f"""
        SELECT 'C' || lpad(CAST(c AS VARCHAR), {id_digits}, '0') AS customer_id,
               TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(c * 7) % {span_s - active_s}
                   + hash(i * 4 + 2) % {active_s} AS BIGINT)) AS timestamp,
               {names}[1 + CAST(floor({len(events)} * pow((hash(i * 4 + 3) % 1000000) / 1000000.0, 2))
                   AS INTEGER)] AS event,
               {chans}[1 + CAST(hash(i * 4) % {len(channels)} AS INTEGER)] AS channel
        FROM (SELECT i, hash(i * 4 + 1) % {customers} AS c FROM range({rows}) t(i)) ORDER BY timestamp
    """


def build_workspace(rows: int, fmt: str) -> Path:
    """The workspace folder with a synthetic events file of ``rows`` rows (deterministic)."""
    import duckdb

    folder = workspace_path(rows, fmt)
    events_file = folder / f"events.{fmt}"
    if events_file.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(SAMPLE / name, folder / name)
    query = synthetic_events_sql(rows, CUSTOMERS, id_digits=6)
    con = duckdb.connect(config={"memory_limit": "2GB", "preserve_insertion_order": False})
    tmp = events_file.with_name(events_file.name + ".tmp")
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
    con.execute(f"COPY ({query}) TO '{tmp}' ({options})")
    con.close()
    tmp.rename(events_file)
    return folder


# ---------------------------------------------------------------------------
# child processes






def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child_journeykit(folder: Path) -> dict:
    import warnings

    import duckdb  # noqa: F401  imports are not part of the measured time
    import pandas  # noqa: F401

    import journeykit

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    ws = journeykit.load_workspace(folder)
    load_seconds = time.perf_counter() - start
    load_peak = peak_rss_mb()
    rows = ws.row_count("events")
    large = "events" in ws.large
    rss_after_load = rss_mb()
    reset = _reset_peak()
    start = time.perf_counter()
    funnel = journeykit.stage_funnel(ws)
    funnel_seconds = time.perf_counter() - start
    return {"load_seconds": load_seconds, "load_peak_mb": load_peak, "rows": rows, "large": large,
            "rss_after_load_mb": rss_after_load,
            "funnel_seconds": funnel_seconds, "funnel_peak_mb": peak_rss_mb() if reset else None,
            "funnel_customers": [int(n) for n in funnel["customers"]]}


def child_pandas(path: Path) -> dict:
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "rows": len(frame)}


def child_duckdb_sql(path: Path) -> dict:
    """A hand-written DuckDB query of the same stage funnel (sequential, no window) on the
    events file itself, with the connection settings journeykit uses: the reference for
    ``stage_funnel``'s time."""
    import tempfile

    import duckdb

    stages = _stage_lists()
    scan = f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}')"
    spill = os.path.join(tempfile.gettempdir(), f"bench-duckdb-{os.getpid()}")
    con = duckdb.connect(config={"memory_limit": "1GB", "preserve_insertion_order": False,
                                 "temp_directory": spill})

    def among(names: list[str]) -> str:
        return "(" + ", ".join("'" + n.replace("'", "''") + "'" for n in names) + ")"

    parts = [f"e AS MATERIALIZED (SELECT customer_id, timestamp AS ts, event FROM {scan})",
             f"r1 AS (SELECT DISTINCT customer_id, ts AS t1, ts AS t_last FROM e WHERE event IN {among(stages[0])})"]
    for k, names in enumerate(stages[1:], start=2):
        parts.append(f"s{k} AS (SELECT customer_id, ts FROM e WHERE event IN {among(names)})")
        parts.append(f"r{k} AS (SELECT a.customer_id, a.t1, b.ts AS t_last FROM r{k - 1} a ASOF JOIN s{k} b "
                     f"ON a.customer_id = b.customer_id AND b.ts >= a.t_last)")
    reached = " UNION ALL ".join(f"SELECT customer_id, {k} AS k FROM r{k}" for k in range(1, len(stages) + 1))
    counts = ", ".join(f"count_if(k >= {k})" for k in range(1, len(stages) + 1))
    query = (f"WITH {', '.join(parts)}, reached AS (SELECT customer_id, max(k) AS k FROM ({reached}) "
             f"GROUP BY customer_id) SELECT {counts} FROM reached")
    start = time.perf_counter()
    result = [int(n) for n in con.execute(query).fetchone()]
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb(), "customers": result}


def _stage_lists() -> list[list[str]]:
    import yaml

    config = yaml.safe_load((SAMPLE / "journey.yaml").read_text(encoding="utf-8"))
    return [list(dict.fromkeys(stage["events"])) for stage in config["stages"] if stage.get("events")]


def run_child(kind: str, target: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(target)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"failed": (proc.stderr.strip().splitlines() or ["?"])[-1][:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10M", help="events rows, e.g. 10M, or several: 10M,30M")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, metavar=("ROWS", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        build_workspace(int(args.build[0]), args.build[1])
        return
    if args.child:
        kind, target = args.child[0], Path(args.child[1])
        children = {"journeykit": child_journeykit, "duckdb_sql": child_duckdb_sql, "pandas": child_pandas}
        result = children[kind](target)
        print(json.dumps(result))
        return
    sizes = [parse_size(r) for r in args.rows.split(",") if r.strip()]
    print(f"# bench_load {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} ({os.cpu_count()} cores, "
          f"Python {platform.python_version()}); load average {os.getloadavg()[0]:.1f}")
    print("| events rows | format | file (MB) | what | seconds | peak RSS (MB) | check |")
    print("| ---: | --- | ---: | --- | ---: | ---: | --- |")
    for rows, fmt in [(r, f) for r in sizes for f in args.formats.split(",")]:
        started = time.perf_counter()
        folder = workspace_path(rows, fmt)
        events_file = folder / f"events.{fmt}"
        if not events_file.exists():
            subprocess.run([sys.executable, __file__, "--build", str(rows), fmt], check=True)
            print(f"<!-- built {events_file.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s -->")
        size_mb = events_file.stat().st_size / 2**20
        head = f"| {rows:,} | {fmt} | {size_mb:.0f} |"
        jk = run_child("journeykit", folder)
        sql = run_child("duckdb_sql", events_file)
        pd_ = run_child("pandas", events_file)
        if "failed" in jk:
            print(f"{head} journeykit.load_workspace | - | - | failed: {jk['failed']} |")
        else:
            store = "stored as Parquet outside the workspace" if jk["large"] else "read into pandas"
            print(f"{head} journeykit.load_workspace | {jk['load_seconds']:.2f} | {jk['load_peak_mb']:.0f} | "
                  f"{jk['rows']:,} rows, {store}; RSS after loading {jk['rss_after_load_mb']:.0f} MB |")
            peak = "-" if jk["funnel_peak_mb"] is None else f"{jk['funnel_peak_mb']:.0f}"
            print(f"{head} journeykit.stage_funnel(ws) | {jk['funnel_seconds']:.2f} | {peak} | "
                  f"customers per stage {jk['funnel_customers']} |")
        if "failed" in sql:
            print(f"{head} hand-written DuckDB SQL of the stage funnel | - | - | failed: {sql['failed']} |")
        else:
            same = "same counts" if "failed" not in jk and sql["customers"] == jk["funnel_customers"] else "DIFFERENT"
            print(f"{head} hand-written DuckDB SQL of the stage funnel, on the file | {sql['seconds']:.2f} | "
                  f"{sql['peak_mb']:.0f} | {sql['customers']} ({same}) |")
        reader = "pd.read_parquet" if fmt == "parquet" else "pd.read_csv"
        if "failed" in pd_:
            print(f"{head} {reader} (floor) | - | - | failed: {pd_['failed']} |")
        else:
            print(f"{head} {reader} (floor) | {pd_['seconds']:.2f} | {pd_['peak_mb']:.0f} | {pd_['rows']:,} rows |")
        sys.stdout.flush()
    print(f"<!-- load average at the end {os.getloadavg()[0]:.1f} -->")


if __name__ == "__main__":
    main()
