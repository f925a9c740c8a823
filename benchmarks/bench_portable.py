"""What the portable SQL costs: the funnel natively on DuckDB (ASOF joins) vs its portable
form (window functions + equi-joins, what Spark and BigQuery run) on DuckDB, side by side.

A measurement, not a test. Run (from the repository root)::

    .venv/bin/python benchmarks/bench_portable.py               # 1M events, Parquet
    .venv/bin/python benchmarks/bench_portable.py --events 10M --repeat 3

The log is the synthetic one of ``bench_events.py`` (500k customers, ~100 event types,
Parquet in ``benchmarks/data/``, reused when present). Each case runs the same call
``--repeat`` times on ``DuckDBSource`` (the native SQL) and on
``WarehouseSource(DuckDBRunner(), "SELECT * FROM read_parquet(...)")`` (the portable SQL),
in one process, with journeykit's connection settings, which of the two goes first
alternating; the results must be equal. The
time of ``to_dialect`` (sqlglot: parse, rewrite, generate) is part of the portable time
and also shown on its own.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import pandas as pd
from bench_events import FUNNEL_STEPS, generate, parse_size

from journeykit.analytics.events import funnel, transitions
from journeykit.analytics.events.engines.portable import to_dialect
from journeykit.analytics.events.engines.warehouse import DuckDBRunner, WarehouseSource

CASES = {
    "funnel 14D sequential (ASOF plan)": lambda s: funnel(s, FUNNEL_STEPS, window="14D"),
    "funnel 14D strict (ASOF plan)": lambda s: funnel(s, FUNNEL_STEPS, window="14D", mode="strict"),
    "funnel 14D by channel, all_events": lambda s: funnel(s, FUNNEL_STEPS, window="14D", by="channel",
                                                          breakdown_attribution="all_events"),
    "funnel no window (earliest-start plan, no ASOF)": lambda s: funnel(s, FUNNEL_STEPS, window=None),
    "transitions 30 min (windows only)": lambda s: transitions(s, session_gap="30min"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1M")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = generate(parse_size(args.events), "parquet")
    print("| case | native DuckDB: median s | portable SQL on DuckDB: median s | portable / native |")
    print("| --- | ---: | ---: | ---: |")
    for name, call in CASES.items():
        native_times, portable_times, sqls = [], [], []
        for i in range(args.repeat):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for which in ("native", "portable") if i % 2 == 0 else ("portable", "native"):
                    if which == "native":
                        start = time.perf_counter()
                        native = call(str(path))
                        native_times.append(time.perf_counter() - start)
                        continue
                    src = WarehouseSource(DuckDBRunner(), f"SELECT * FROM read_parquet('{path}')")
                    original = src.sql
                    src.sql = lambda q, original=original, sqls=sqls: (sqls.append(q), original(q))[1]  # type: ignore[method-assign]
                    start = time.perf_counter()
                    portable = call(src)
                    portable_times.append(time.perf_counter() - start)
                    src.close()
            pd.testing.assert_frame_equal(portable, native)
        a, b = statistics.median(native_times), statistics.median(portable_times)
        print(f"| {name} | {a:.2f} | {b:.2f} | {b / a:.1f}x |", flush=True)
    start = time.perf_counter()
    for q in sqls:
        to_dialect(q, "duckdb")
    print(f"\nto_dialect of the last case's {len(sqls)} queries: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
