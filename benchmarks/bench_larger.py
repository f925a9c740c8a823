"""Event analytics on a log larger than the memory of the process (issue 14).

A measurement, not a test. Run (from the repository root)::

    .venv/bin/python benchmarks/bench_larger.py --rows 10M --copies 10 --cap-mb 1500   # the mechanics
    .venv/bin/python benchmarks/bench_larger.py --rows 300M --copies 30 --cap-mb 4000  # the issue's run

The log is ``--copies`` K copies of a base log of rows / K events (the demo workspace's
stage events and channels, 100,000 customers per 10M events, each active 10 of 90 days),
copy j with customer ids prefixed ``j-`` and the same timestamps, written by DuckDB
straight to Parquet (never through pandas) into ``benchmarks/data/`` (git-ignored;
``--keep`` keeps the files, else they are deleted at the end). Every count of the big log
must then be K times the base log's:

- ``funnel(path, steps, window="14D")`` on 4 stage events: customers per step;
- ``retention(path, period="M")``: customers per (cohort, period) cell, the timestamps
  are copied, so every cohort is K times as large;
- the stage funnel: ``funnel(path, stage_steps, window=None)`` where step k is any event
  of journey.yaml's stage k (``data/sample``), which is what ``stage_funnel(ws)`` computes
  from a workspace (stages in order, the stage's ``events`` list, no window by default);
  called on the Parquet path so that the 300M log is not copied into a workspace store.

The base log's counts are computed in a child without any cap; the big log's in a child
whose address space is capped with ``prlimit --as`` (``ulimit -v``) at ``--cap-mb``, below
the log's in-memory size, with DuckDB's ``memory_limit`` (``--memory-limit``) and a temp
directory for spilling (``journeykit.core._sql.set_engine_options``). The table: analysis,
seconds, peak RSS (VmHWM), cap, spill peak, counts equal to K x base.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_load import parse_size, synthetic_events_sql
from proc_memory import peak_rss_mb

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SAMPLE = HERE.parent / "data" / "sample"
CUSTOMERS_PER_10M = 100_000
ANALYSES = ["funnel", "retention", "stage_funnel"]


def stages() -> tuple[list[list[str]], list[str]]:
    """journey.yaml's stage event lists (in order, stages without events left out) and channels."""
    import yaml

    config = yaml.safe_load((SAMPLE / "journey.yaml").read_text(encoding="utf-8"))
    lists = [list(s.get("events") or []) for s in config["stages"]]
    return [x for x in lists if x], list(config.get("channels") or ["web"])


def funnel_steps() -> list[str]:
    """Four stage events, one from each of the first four stages."""
    return [x[0] for x in stages()[0][:4]]


def generate(base_rows: int, copies: int, base: Path, big: Path, spill: Path) -> None:
    """The base log (rows sorted by time) and its ``copies`` copies, DuckDB to Parquet."""
    import duckdb

    customers = max(1, base_rows * CUSTOMERS_PER_10M // 10_000_000)
    con = duckdb.connect(config={"memory_limit": "2GB", "preserve_insertion_order": False,
                                 "temp_directory": str(spill)})
    if not base.exists():
        query = synthetic_events_sql(base_rows, customers, id_digits=7)
        con.execute(f"COPY ({query}) TO '{base}.tmp' (FORMAT parquet, COMPRESSION zstd)")
        os.replace(f"{base}.tmp", base)
    if not big.exists():
        query = f"""
            SELECT CAST(j AS VARCHAR) || '-' || customer_id AS customer_id, timestamp, event, channel
            FROM range({copies}) r(j), read_parquet('{base}')
        """
        con.execute(f"COPY ({query}) TO '{big}.tmp' (FORMAT parquet, COMPRESSION zstd)")
        os.replace(f"{big}.tmp", big)
    con.close()


def _du_mb(folder: Path) -> float:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total / 2**20


def child(analysis: str, path: Path, memory_limit: str, spill: Path) -> None:
    """One analysis on ``path``: seconds, peak RSS, largest spill seen, the counts."""
    import journeykit.analytics.events as ev
    from journeykit.core._sql import set_engine_options

    set_engine_options(memory_limit=memory_limit, temp_directory=spill)
    spill_peak = [0.0]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.5):
            spill_peak[0] = max(spill_peak[0], _du_mb(spill))

    threading.Thread(target=watch, daemon=True).start()
    start = time.perf_counter()
    if analysis == "funnel":
        counts = ev.funnel(str(path), funnel_steps(), window="14D")["customers"].tolist()
    elif analysis == "retention":
        counts = ev.retention(str(path), period="M")["customers"].tolist()
    else:
        counts = ev.funnel(str(path), stages()[0], window=None)["customers"].tolist()
    seconds = time.perf_counter() - start
    done.set()
    print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb(), "spill_mb": spill_peak[0],
                      "counts": [int(x) for x in counts]}))


def run(analysis: str, path: Path, memory_limit: str, cap_mb: int | None, spill: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    cmd = [sys.executable, __file__, "--child", analysis, str(path), "--memory-limit", memory_limit,
           "--spill", str(spill)]
    if cap_mb:
        cmd = ["prlimit", f"--as={cap_mb * 2**20}", "--"] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    shutil.rmtree(spill, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"{analysis} on {path.name} (cap {cap_mb} MB) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="300M", help="events in the big log")
    parser.add_argument("--copies", type=int, default=30, help="K: the big log is K copies of a base log")
    parser.add_argument("--cap-mb", type=int, default=4000, help="address-space cap of the big log's child")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit in every child")
    parser.add_argument("--analyses", default=",".join(ANALYSES))
    parser.add_argument("--keep", action="store_true", help="keep the generated Parquet files")
    parser.add_argument("--child", nargs=2, metavar=("ANALYSIS", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--spill", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), args.memory_limit, Path(args.spill))
        return
    rows = parse_size(args.rows)
    base_rows = rows // args.copies
    label = f"{rows // 1_000_000}M"
    DATA.mkdir(parents=True, exist_ok=True)
    base = DATA / f"larger_{label}_base.parquet"
    big = DATA / f"larger_{label}_x{args.copies}.parquet"
    spill = DATA / "larger_spill"
    start = time.perf_counter()
    generate(base_rows, args.copies, base, big, spill)
    generated = time.perf_counter() - start
    shutil.rmtree(spill, ignore_errors=True)
    print(f"# bench_larger {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
          f"({os.cpu_count()} cores); {rows:,} events = {args.copies} x {base_rows:,}; "
          f"file {big.stat().st_size / 2**20:,.0f} MB (base {base.stat().st_size / 2**20:,.0f} MB); "
          f"generated in {generated:.0f} s; DuckDB memory_limit {args.memory_limit}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    print("\n| analysis | events | seconds | peak RSS (MB) | cap (address space, MB) | spill peak (MB) "
          "| counts | = K x base |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |", flush=True)
    try:
        for analysis in args.analyses.split(","):
            small = run(analysis, base, args.memory_limit, None, spill)
            print(f"| {analysis} | {base_rows:,} (base) | {small['seconds']:.1f} | {small['peak_mb']:.0f} | none "
                  f"| {small['spill_mb']:.0f} | {small['counts'][:6]}{' ...' if len(small['counts']) > 6 else ''} "
                  "| - |", flush=True)
            large = run(analysis, big, args.memory_limit, args.cap_mb, spill)
            expected = [args.copies * n for n in small["counts"]]
            equal = large["counts"] == expected
            print(f"| {analysis} | {rows:,} | {large['seconds']:.1f} | {large['peak_mb']:.0f} | {args.cap_mb:,} "
                  f"| {large['spill_mb']:.0f} | {large['counts'][:6]}{' ...' if len(large['counts']) > 6 else ''} "
                  f"| {'yes' if equal else 'NO'} ({len(expected)} values) |", flush=True)
            assert equal, f"{analysis}: {large['counts']} != {args.copies} x {small['counts']}"
    finally:
        if not args.keep:
            for f in (base, big):
                f.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
