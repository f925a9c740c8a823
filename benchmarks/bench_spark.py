"""Benchmark the funnel on Spark local mode against DuckDB, same Parquet file, same answer.

A measurement, not a test. Run (from the repository root; needs pyspark and Java)::

    .venv/bin/python benchmarks/bench_spark.py                  # 1M and 10M events
    .venv/bin/python benchmarks/bench_spark.py --sizes 1M --repeat 1
    JOURNEYKIT_SPARK_MASTER=spark://host:7077 .venv/bin/python benchmarks/bench_spark.py --sizes 10M

The logs are the ones of ``bench_events.py`` (its generator: about 100 event types, 500k
customers each active for 10 of 90 days, sorted by time, Parquet with zstd) in
``benchmarks/data/`` (git-ignored; reused when present). For each size it measures, in this
one process, the wall time of ``journeykit.funnel`` (4 steps, 14-day window) on the file:
``duckdb`` (the native plan on the path), ``spark`` (``warehouse_events("spark", path=...)``:
the portable SQL, ASOF joins rewritten, transpiled to Spark SQL, run by Spark), the first
Spark call (the plans compiled, the file's footers read) apart from the later ones, and
Spark's start (the JVM, once per process). It asserts that both give exactly the same
counts per step and prints a Markdown table (and ``--json`` for the raw numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_events import FUNNEL_STEPS, MEMORY_LIMIT, generate, parse_size  # noqa: E402


def measure(size: int, repeat: int) -> dict:
    """The times (seconds) and counts of the funnel at ``size`` events on both engines."""
    import journeykit.analytics.events as ev
    from journeykit.analytics.events.engines import warehouse_events
    from journeykit.analytics.events.engines.spark import spark_session
    from journeykit.core._sql import set_engine_options

    path = generate(size, "parquet")
    set_engine_options(memory_limit=MEMORY_LIMIT)
    started = time.perf_counter()
    spark_session()
    start_s = time.perf_counter() - started

    def timed(source) -> tuple[float, list[int]]:
        t0 = time.perf_counter()
        counts = ev.funnel(source, FUNNEL_STEPS, window="14D")["customers"].tolist()
        return time.perf_counter() - t0, counts

    spec = warehouse_events("spark", path=str(path))
    first_s, spark_counts = timed(spec)
    spark_runs = [timed(spec) for _ in range(repeat)]
    duck_runs = [timed(str(path)) for _ in range(repeat)]
    duck_counts = duck_runs[0][1]
    if any(c != duck_counts for _, c in spark_runs) or spark_counts != duck_counts:
        raise SystemExit(f"the engines disagree at {size:,} events: spark {spark_counts}, duckdb {duck_counts}")
    return {"events": size, "file_mb": round(path.stat().st_size / 2**20, 1), "counts": duck_counts,
            "duckdb_s": statistics.median(t for t, _ in duck_runs),
            "spark_first_s": first_s, "spark_s": statistics.median(t for t, _ in spark_runs),
            "spark_start_s": start_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="comma-separated event counts (1M, 10M)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine after the first (median)")
    parser.add_argument("--json", default=None, help="write the raw numbers to this file")
    args = parser.parse_args(argv)
    rows = [measure(parse_size(s), args.repeat) for s in args.sizes.split(",") if s.strip()]
    master = os.environ.get("JOURNEYKIT_SPARK_MASTER", "local[*]")
    print(f"\n{platform.node()}: {os.cpu_count()} CPUs, Spark master {master}, DuckDB memory limit {MEMORY_LIMIT}\n")
    print("| events | file | DuckDB | Spark, first call | Spark, later calls (median) | Spark / DuckDB | counts per step (equal) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['events']:,} | {r['file_mb']} MB | {r['duckdb_s']:.2f} s | {r['spark_first_s']:.1f} s | "
              f"{r['spark_s']:.1f} s | {r['spark_s'] / r['duckdb_s']:.0f}x | {', '.join(f'{c:,}' for c in r['counts'])} |")
    print(f"\nSpark's start (JVM, once per process): {rows[0]['spark_start_s']:.1f} s" if rows else "")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
