"""Benchmark journeykit's event analytics against hand-written DuckDB SQL and pandas.

A measurement, not a test. Run (from the repository root)::

    .venv/bin/python benchmarks/bench_events.py                 # 1M and 10M events
    .venv/bin/python benchmarks/bench_events.py --sizes 1M      # quicker
    .venv/bin/python benchmarks/bench_events.py --sizes 100M --impls journeykit --formats parquet

It generates synthetic event logs (about 100 event types, 500k customers each active for
10 of 90 days, Parquet
and CSV) into ``benchmarks/data/`` (git-ignored; reused when present), then measures, for
each size x format x task x implementation, in a fresh subprocess: the wall time of the
call (after imports) and the peak resident memory of the whole process (VmHWM; data is
generated in its own process so the peaks are not inherited).

Tasks: ``funnel`` (4 steps, 14-day window), ``transitions`` (30-minute sessions),
``retention`` (monthly cohorts). Implementations: ``journeykit`` (journeykit.analytics.events on
the file path), ``duckdb_sql`` (a hand-written DuckDB query on the same file, same
connection settings), ``pandas_loop`` (funnel only: read the file, sort, group by
customer and apply the funnel rules in a Python loop per customer - what a typical
analyst writes), ``pandas`` (read the file, vectorised pandas: a merge_asof chain for
the funnel, groupby/shift for transitions, groupby for retention). Measurements running
longer than ``--cap`` seconds are stopped and shown as "> cap".

``--repeat N`` runs each measurement N times (median seconds, highest peak RSS).
``--loop-customers N`` runs ``pandas_loop`` on a random subset of N customers (seed 0;
the whole file is still read and sorted) and extrapolates its loop time linearly in the
number of customers; such rows are marked "extrapolated". The script asserts that
``pandas_loop`` (when run on all customers) and ``pandas`` give exactly the funnel
counts of ``journeykit``; with a subset, the child process checks ``pandas_loop``
against ``journeykit.funnel`` on the same subset.

``--shapes`` measures the funnel on log *shapes* instead (see :func:`generate_shape`):
conversion ``low`` or ``high``, ``1`` or ``~5`` step-1 attempts per customer, rows
``sorted`` by time or not, each with a 14-day window (``window``), without one
(``nowindow``) and in strict mode with the window (``strict``); journeykit against a
hand-written DuckDB query of the same counts (asserted equal), the two alternated run by
run so that load on a shared machine hits both alike::

    .venv/bin/python benchmarks/bench_events.py --shapes --sizes 1M --formats parquet --repeat 3
    .venv/bin/python benchmarks/bench_events.py --shapes --sizes 1M --conversions high --attempts 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# benchmarks/ is on sys.path when the script runs
from proc_memory import peak_rss_mb

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CUSTOMERS = 500_000
DAYS = 90
ACTIVE_DAYS = 10
FUNNEL_STEPS = ["product_view", "add_to_cart", "checkout", "purchase"]
# index -> name; the event index is skewed (index 0 most common), the funnel events are frequent
SPECIAL = {0: "page_view", 1: "product_view", 3: "add_to_cart", 6: "checkout", 10: "purchase"}
EVENT_NAMES = [SPECIAL.get(i, f"event_{i:02d}") for i in range(100)]
TASKS = ["funnel", "transitions", "retention"]
IMPLS = ["journeykit", "duckdb_sql", "pandas_loop", "pandas"]
LABELS = {"journeykit": "journeykit", "duckdb_sql": "duckdb_sql (hand-written SQL)",
          "pandas_loop": "pandas, straightforward per-customer loop",
          "pandas": "pandas, vectorised merge_asof"}
FUNNEL_ONLY = {"pandas_loop"}
MEMORY_LIMIT = "1GB"



def _write(query: str, path: Path, fmt: str, threads: int | None = None) -> Path:
    """Write ``query``'s rows to ``path`` (Parquet or CSV) through a temporary file, so an
    interrupted run never leaves a half-written log that a later run would reuse."""
    import duckdb  # in the generator process only, as the callers import it

    config: dict[str, object] = {"memory_limit": "2GB", "preserve_insertion_order": False,
                                 "temp_directory": str(DATA / "duckdb_spill")}
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    tmp = path.with_suffix(path.suffix + ".tmp")
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER"
    con.execute(f"COPY ({query}) TO '{tmp}' ({options})")
    con.close()
    tmp.rename(path)
    return path

def parse_size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KMB" else text) * factor)


def data_path(n_events: int, fmt: str) -> Path:
    label = f"{n_events // 1_000_000}M" if n_events >= 1_000_000 else str(n_events)
    return DATA / f"events_{label}.{fmt}"


def generate(n_events: int, fmt: str) -> Path:
    """Write the synthetic log (deterministic, sorted by time) with DuckDB; reuse if present."""

    path = data_path(n_events, fmt)
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    names = "[" + ", ".join(f"'{n}'" for n in EVENT_NAMES) + "]"
    span_us = DAYS * 86_400 * 1_000_000
    active_us = ACTIVE_DAYS * 86_400 * 1_000_000
    # each customer is active for ACTIVE_DAYS from a start day of their own, so funnels convert
    query = f"""
        SELECT 'c' || lpad(CAST(c AS VARCHAR), 6, '0') AS customer_id,
               TIMESTAMP '2024-01-01' + to_microseconds(CAST(hash(c * 7) % {span_us - active_us}
                   + hash(i * 4 + 2) % {active_us} AS BIGINT)) AS timestamp,
               {names}[1 + CAST(floor(100 * pow((hash(i * 4 + 3) % 1000000) / 1000000.0, 2)) AS INTEGER)] AS event,
               ['web', 'app', 'store'][1 + CAST(hash(i * 4) % 3 AS INTEGER)] AS channel
        FROM (SELECT i, hash(i * 4 + 1) % {CUSTOMERS} AS c FROM range({n_events}) t(i)) ORDER BY timestamp
    """
    return _write(query, path, fmt)


# ---------------------------------------------------------------------------
# log shapes (--shapes)

SHAPE_SLOTS = 40  # rows per customer: 4 per attempt (one per step), the rest other events
SHAPE_CONVERSION = {"low": 0.15, "high": 0.8}  # P(an attempt at step k goes on to step k+1)
SHAPE_ATTEMPTS = {"1": "1", "5": "3 + hash(c * 11) % 5"}  # step-1 events per customer (SQL; 3..7)
SHAPE_VARIANTS = {"window": ("14D", "sequential"), "nowindow": (None, "sequential"),
                  "strict": ("14D", "strict")}
SHAPE_NOISE = ["page_view", "search", "event_02", "event_03", "event_04", "event_05"]


def shape_path(n_events: int, fmt: str, conversion: str, attempts: str, order: str) -> Path:
    label = f"{n_events // 1_000_000}M" if n_events >= 1_000_000 else str(n_events)
    return DATA / f"shape_{label}_conv-{conversion}_att-{attempts}_{order}.{fmt}"


def generate_shape(n_events: int, fmt: str, conversion: str, attempts: str, order: str) -> Path:
    """A log shape (deterministic): n_events / 40 customers of 40 rows each over 90 days.
    Customer c makes A_c attempts (A_c = 1, or 3..7 with mean 5), each a step-1 event
    (``product_view``) at a time of its own within 30 days of the customer's start, then
    steps 2..4 every d hours (d uniform in 0..120 per attempt, so later steps can fall out
    of the 14-day window); the attempt goes on from step k to k+1 with probability
    SHAPE_CONVERSION[conversion]. Rows not used by an attempt are other events (6 names)
    at random times within 45 days of the start. Sorted by time, or in a hashed order."""

    path = shape_path(n_events, fmt, conversion, attempts, order)
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    steps = "[" + ", ".join(f"'{n}'" for n in FUNNEL_STEPS) + "]"
    noise = "[" + ", ".join(f"'{n}'" for n in SHAPE_NOISE) + "]"
    p = SHAPE_CONVERSION[conversion]
    hour = 3_600_000_000
    day = 24 * hour
    customers = max(1, n_events // SHAPE_SLOTS)
    query = f"""
        WITH r AS (SELECT i, i // {SHAPE_SLOTS} AS c, i % {SHAPE_SLOTS} AS s FROM range({customers * SHAPE_SLOTS}) t(i)),
        a AS (SELECT *, s // 4 AS j, s % 4 AS k, {SHAPE_ATTEMPTS[attempts]} AS n_att,
                     hash(c * 7) % {90 * day - 45 * day} AS base FROM r),
        b AS (SELECT *, j < n_att AS attempt,
                     -- steps the attempt reaches: P(depth > k) = p^k
                     least(4, 1 + floor(ln((hash(c * 131 + j * 17 + 5) % 1000000 + 1) / 1000000.0) / ln({p}))) AS depth
              FROM a)
        SELECT 'c' || lpad(CAST(c AS VARCHAR), 7, '0') AS customer_id,
               TIMESTAMP '2024-01-01' + to_microseconds(CAST(CASE WHEN attempt AND k < depth
                   THEN base + hash(c * 31 + j * 7 + 1) % {30 * day} + k * (hash(c * 37 + j * 3 + 2) % {120 * hour})
                        + hash(i * 3 + 1) % {hour}
                   ELSE base + hash(i * 5 + 3) % {45 * day} END AS BIGINT) // 1000000 * 1000000) AS timestamp,
               CASE WHEN attempt AND k < depth THEN {steps}[1 + k]
                    ELSE {noise}[1 + CAST(hash(i * 9 + 4) % {len(SHAPE_NOISE)} AS INTEGER)] END AS event
        FROM b ORDER BY {"timestamp" if order == "sorted" else "hash(i * 13 + 7)"}
    """
    return _write(query, path, fmt, threads=1)


# ---------------------------------------------------------------------------
# implementations (run inside the child process)


def _scan(path: Path) -> str:
    return f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}')"


def _duckdb_connect():
    """The settings journeykit uses (memory limit, spill folder in the system temp folder)."""
    import tempfile

    import duckdb

    spill = os.path.join(tempfile.gettempdir(), f"bench-duckdb-{os.getpid()}")
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False,
                                 "temp_directory": spill})
    # as journeykit's connections (core._sql.connect): no nested-loop join because the
    # optimizer guessed a side tiny (an ASOF join of a few estimated rows became a
    # quadratic loop join: minutes at 1M events)
    con.execute("SET nested_loop_join_threshold = 0")
    con.execute("SET asof_loop_join_threshold = 0")
    return con


def run_journeykit(task: str, path: Path):
    import journeykit.analytics.events as ev
    from journeykit.core._sql import set_engine_options

    set_engine_options(memory_limit=MEMORY_LIMIT)
    if task.startswith("funnel:"):  # a shape variant
        window, mode = SHAPE_VARIANTS[task.split(":", 1)[1]]
        return ev.funnel(str(path), FUNNEL_STEPS, window=window, mode=mode)["customers"].tolist()
    if task == "funnel":
        return ev.funnel(str(path), FUNNEL_STEPS, window="14D")["customers"].tolist()
    if task == "transitions":
        return int(ev.transitions(str(path), session_gap="30min")["count"].sum())
    result = ev.retention(str(path), period="M")
    return int(result["customers"].sum())


def run_duckdb_sql(task: str, path: Path):
    con = _duckdb_connect()
    scan = _scan(path)
    if task.startswith("funnel:"):
        window, mode = SHAPE_VARIANTS[task.split(":", 1)[1]]
        return list(con.execute(funnel_sql(scan, FUNNEL_STEPS, window, mode == "strict")).fetchall()[0])
    if task == "funnel":
        s = FUNNEL_STEPS
        query = f"""
        WITH e AS MATERIALIZED (SELECT customer_id, timestamp AS ts, event FROM {scan}
                                WHERE event IN ('{s[0]}', '{s[1]}', '{s[2]}', '{s[3]}')),
        s1 AS (SELECT DISTINCT customer_id, ts AS t1 FROM e WHERE event = '{s[0]}'),
        s2 AS (SELECT customer_id, ts FROM e WHERE event = '{s[1]}'),
        s3 AS (SELECT customer_id, ts FROM e WHERE event = '{s[2]}'),
        s4 AS (SELECT customer_id, ts FROM e WHERE event = '{s[3]}'),
        r2 AS (SELECT a.customer_id, a.t1, b.ts AS t2 FROM s1 a ASOF JOIN s2 b
               ON a.customer_id = b.customer_id AND b.ts >= a.t1 WHERE b.ts <= a.t1 + INTERVAL 14 DAY),
        r3 AS (SELECT a.*, b.ts AS t3 FROM r2 a ASOF JOIN s3 b
               ON a.customer_id = b.customer_id AND b.ts >= a.t2 WHERE b.ts <= a.t1 + INTERVAL 14 DAY),
        r4 AS (SELECT a.*, b.ts AS t4 FROM r3 a ASOF JOIN s4 b
               ON a.customer_id = b.customer_id AND b.ts >= a.t3 WHERE b.ts <= a.t1 + INTERVAL 14 DAY),
        reached AS (SELECT customer_id, max(k) AS k FROM (
               SELECT customer_id, 1 AS k FROM s1 UNION ALL SELECT customer_id, 2 FROM r2
               UNION ALL SELECT customer_id, 3 FROM r3 UNION ALL SELECT customer_id, 4 FROM r4)
               GROUP BY customer_id)
        SELECT count_if(k >= 1), count_if(k >= 2), count_if(k >= 3), count_if(k >= 4) FROM reached
        """
        return list(con.execute(query).fetchall()[0])
    if task == "transitions":
        query = f"""
        WITH o AS (SELECT event, CASE WHEN lead(timestamp) OVER w IS NULL
                     OR lead(timestamp) OVER w - timestamp > INTERVAL 30 MINUTE THEN '(end)'
                     ELSE lead(event) OVER w END AS target
                   FROM {scan} WINDOW w AS (PARTITION BY customer_id ORDER BY timestamp, event))
        SELECT event, target, count(*) AS n FROM o GROUP BY ALL
        """
        return int(con.execute(f"SELECT sum(n) FROM ({query})").fetchall()[0][0])
    query = f"""
    WITH e AS MATERIALIZED (SELECT customer_id, date_trunc('month', timestamp) AS m FROM {scan}),
    c AS (SELECT customer_id, min(m) AS cohort FROM e GROUP BY customer_id),
    a AS (SELECT DISTINCT customer_id, m FROM e)
    SELECT c.cohort, date_diff('month', c.cohort, a.m) AS period, count(*) AS n
    FROM c JOIN a USING (customer_id) GROUP BY ALL
    """
    return int(con.execute(f"SELECT sum(n) FROM ({query})").fetchall()[0][0])


def funnel_sql(scan: str, steps: list[str], window: str | None, strict: bool) -> str:
    """The hand-written funnel of the shapes: an ASOF-join chain, every step-1 event an
    attempt, step k the earliest step-k event at or after step k-1, within ``window`` of
    step 1; strict: step k+1 no later than the customer's next event that is not a
    step-k event after step k. Customers per step (furthest step of any attempt)."""
    n = len(steps)
    names = ", ".join(f"'{x}'" for x in steps)
    within = "" if window is None else f" AND b.ts <= a.t1 + INTERVAL {int(window[:-1])} DAY"
    ctes = [f"e AS MATERIALIZED (SELECT customer_id, timestamp AS ts, event FROM {scan}"
            + ("" if strict else f" WHERE event IN ({names})") + ")"]
    ctes += [f"s{k} AS (SELECT customer_id, ts FROM e WHERE event = '{x}')" for k, x in enumerate(steps, 1)]
    ctes.append("r1 AS (SELECT DISTINCT customer_id, ts AS t1 FROM s1)")
    for k in range(2, n + 1):
        prev = f"r{k - 1}"
        extra = ""
        if strict:  # the next event after step k-1 that is not a step-(k-1) event
            ctes.append(f"o{k} AS (SELECT customer_id, ts FROM e WHERE event <> '{steps[k - 2]}')")
            ctes.append(f"x{k} AS (SELECT a.*, b.ts AS nx FROM r{k - 1} a ASOF LEFT JOIN o{k} b "
                        f"ON a.customer_id = b.customer_id AND b.ts > a.t{k - 1})")
            prev, extra = f"x{k}", " AND (a.nx IS NULL OR b.ts <= a.nx)"
        sel = "a.* EXCLUDE (nx)" if strict else "a.*"
        ctes.append(f"r{k} AS (SELECT {sel}, b.ts AS t{k} FROM {prev} a ASOF JOIN s{k} b "
                    f"ON a.customer_id = b.customer_id AND b.ts >= a.t{k - 1} WHERE TRUE{within}{extra})")
    union = " UNION ALL ".join(f"SELECT customer_id, {k} AS k FROM r{k}" for k in range(1, n + 1))
    ctes.append(f"reached AS (SELECT customer_id, max(k) AS k FROM ({union}) GROUP BY customer_id)")
    counts = ", ".join(f"count_if(k >= {k})" for k in range(1, n + 1))
    return f"WITH {', '.join(ctes)} SELECT {counts} FROM reached"


def _read_pandas(path: Path):
    import pandas as pd

    columns = ["customer_id", "timestamp", "event"]
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=columns)
    df = pd.read_csv(path, usecols=columns, dtype={"customer_id": "string"})
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601")
    return df


def funnel_loop(df, steps: list[str], window) -> tuple[list[int], int]:
    """The sequential funnel the way a typical analyst writes it: sort, group by customer,
    and a Python loop per customer. Every step-1 event opens an attempt; step k is the
    earliest step-k event at or after the time step k-1 was reached (equal times count),
    within ``window`` of the attempt's step-1 event (inclusive); a customer counts once,
    at the furthest step any attempt reached. Returns (customers per step, customers looped)."""
    df = df[df["event"].isin(steps)].sort_values(["customer_id", "timestamp"])
    furthest_counts = [0] * len(steps)
    customers = 0
    for _, group in df.groupby("customer_id", sort=False):
        customers += 1
        times = group["timestamp"].tolist()
        events = group["event"].tolist()
        furthest = 0
        for start, name in zip(times, events):
            if name != steps[0]:
                continue
            reached, at = 1, start
            for step in steps[1:]:
                found = None
                for t, e in zip(times, events):  # sorted by time: the first match is the earliest
                    if e == step and at <= t <= start + window:
                        found = t
                        break
                if found is None:
                    break
                reached, at = reached + 1, found
            furthest = max(furthest, reached)
        for k in range(furthest):
            furthest_counts[k] += 1
    return furthest_counts, customers


def run_pandas_loop(task: str, path: Path, sample_customers: int = 0):
    """Funnel only. With ``sample_customers`` > 0: the loop on a random subset of that many
    customers, its time extrapolated linearly to all customers."""
    import numpy as np
    import pandas as pd

    if task != "funnel":
        raise ValueError("pandas_loop implements the funnel only")
    window = pd.Timedelta("14D")
    df = _read_pandas(path)
    if not sample_customers:
        return funnel_loop(df, FUNNEL_STEPS, window)[0]
    read_seconds = time.perf_counter() - _STARTED[0]
    everyone = df.loc[df["event"].isin(FUNNEL_STEPS), "customer_id"].unique()
    chosen = np.random.default_rng(0).choice(np.asarray(everyone, dtype=object),
                                             size=min(sample_customers, len(everyone)), replace=False)
    subset = df[df["customer_id"].isin(chosen)]
    loop_start = time.perf_counter()
    counts, looped = funnel_loop(subset, FUNNEL_STEPS, window)
    loop_seconds = time.perf_counter() - loop_start
    import journeykit.analytics.events as ev  # the loop must agree with journeykit on the subset

    expected = ev.funnel(subset, FUNNEL_STEPS, window="14D")["customers"].tolist()
    assert counts == expected, f"pandas_loop {counts} != journeykit {expected} on the subset"
    return {"extrapolated_seconds": read_seconds + loop_seconds * len(everyone) / looped,
            "customers_looped": looped, "customers_total": int(len(everyone)),
            "subset_counts": counts, "read_seconds": read_seconds, "loop_seconds": loop_seconds}


def run_pandas(task: str, path: Path):
    import pandas as pd

    df = _read_pandas(path)
    if task == "funnel":
        window = pd.Timedelta("14D")
        df = df[df["event"].isin(FUNNEL_STEPS)]
        attempts = (df[df["event"] == FUNNEL_STEPS[0]][["customer_id", "timestamp"]]
                    .drop_duplicates().rename(columns={"timestamp": "t1"}))
        attempts["t_prev"] = attempts["t1"]
        attempts["k"] = 1
        reached = [attempts[["customer_id", "k"]]]
        current = attempts
        for k, step in enumerate(FUNNEL_STEPS[1:], start=2):
            right = df[df["event"] == step][["customer_id", "timestamp"]].sort_values("timestamp")
            merged = pd.merge_asof(current.sort_values("t_prev"), right, left_on="t_prev",
                                   right_on="timestamp", by="customer_id", direction="forward")
            ok = merged["timestamp"].notna() & (merged["timestamp"] <= merged["t1"] + window)
            current = merged[ok].drop(columns=["t_prev"]).rename(columns={"timestamp": "t_prev"})
            current["k"] = k
            reached.append(current[["customer_id", "k"]])
        furthest = pd.concat(reached).groupby("customer_id")["k"].max()
        return [int((furthest >= k).sum()) for k in range(1, len(FUNNEL_STEPS) + 1)]
    if task == "transitions":
        df = df.sort_values(["customer_id", "timestamp", "event"])
        nxt = df.groupby("customer_id")[["event", "timestamp"]].shift(-1)
        end = nxt["event"].isna() | (nxt["timestamp"] - df["timestamp"] > pd.Timedelta("30min"))
        target = nxt["event"].where(~end, "(end)")
        counts = pd.DataFrame({"source": df["event"], "target": target}).value_counts()
        return int(counts.sum())
    month = df["timestamp"].dt.to_period("M")
    active = pd.DataFrame({"customer_id": df["customer_id"], "m": month}).drop_duplicates()
    cohort = active.groupby("customer_id")["m"].min().rename("cohort")
    active = active.join(cohort, on="customer_id")
    active["period"] = (active["m"] - active["cohort"]).apply(lambda offset: offset.n)
    return int(active.groupby(["cohort", "period"]).size().sum())


_STARTED = [0.0]


def child(impl: str, task: str, path: Path, sample_customers: int = 0) -> None:
    runner = {"journeykit": run_journeykit, "duckdb_sql": run_duckdb_sql, "pandas": run_pandas,
              "pandas_loop": run_pandas_loop}[impl]
    import duckdb  # noqa: F401  imports are not part of the measured time
    if impl == "journeykit":
        import journeykit.analytics.events  # noqa: F401
    if impl.startswith("pandas"):
        import numpy  # noqa: F401
        import pandas  # noqa: F401
    start = _STARTED[0] = time.perf_counter()
    cpu_start = time.process_time()  # all threads of the process (DuckDB's included)
    if impl == "pandas_loop":
        result = runner(task, path, sample_customers)
    else:
        result = runner(task, path)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(json.dumps({"seconds": seconds, "cpu": cpu, "result": result, "peak_mb": peak_rss_mb()}))




# ---------------------------------------------------------------------------
# parent


def measure(impl: str, task: str, path: Path, cap: float, sample_customers: int = 0) -> dict:
    """Run one measurement in a fresh process; wall time of the call and peak RSS (MB)."""
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    proc = subprocess.Popen([sys.executable, __file__, "--child", impl, task, str(path),
                             "--loop-customers", str(sample_customers)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    started = time.monotonic()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - started > cap:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return {"seconds": None, "peak_mb": usage.ru_maxrss / 1024, "result": f"> {cap:.0f} s (stopped)"}
        time.sleep(0.05)
    out, err = proc.stdout.read(), proc.stderr.read()
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    if os.waitstatus_to_exitcode(status) != 0:
        return {"seconds": None, "peak_mb": peak_mb, "result": "failed: " + err.strip().splitlines()[-1][:80]}
    report = json.loads(out.strip().splitlines()[-1])
    result = report["result"]
    if isinstance(result, dict) and "extrapolated_seconds" in result:  # pandas_loop on a subset
        return {"seconds": result["extrapolated_seconds"], "peak_mb": report.get("peak_mb") or peak_mb,
                "result": (f"extrapolated from {result['customers_looped']:,} of {result['customers_total']:,} "
                           f"customers (read {result['read_seconds']:.1f} s, loop "
                           f"{result['loop_seconds']:.1f} s; subset counts {result['subset_counts']} "
                           "= journeykit on the subset)"),
                "extrapolated": True}
    return {"seconds": report["seconds"], "cpu": report.get("cpu"), "peak_mb": report.get("peak_mb") or peak_mb,
            "result": result}


def _summarise(runs: list[dict]) -> dict:
    """Median seconds (None if any run was stopped or failed), the highest peak, the first result."""
    import statistics

    times = [r["seconds"] for r in runs]
    summary = dict(runs[0])
    summary["seconds"] = None if None in times else statistics.median(times)
    summary["peak_mb"] = max(r["peak_mb"] for r in runs)
    summary["all_seconds"] = times
    return summary


def _check_agreement(task: str, size: int, fmt: str, rows: dict[str, dict]) -> None:
    """The funnel counts of every pandas baseline must equal journeykit's (exact semantics)."""
    reference = rows.get("journeykit", {}).get("result")
    if task != "funnel" or not isinstance(reference, list):
        return
    for impl in ("pandas_loop", "pandas", "duckdb_sql"):
        m = rows.get(impl)
        if m is None or m.get("extrapolated") or not isinstance(m["result"], list):
            continue  # not run, stopped, or on a subset (checked in the child instead)
        assert m["result"] == reference, (
            f"{impl} funnel counts {m['result']} != journeykit {reference} ({size:,} events, {fmt})")


def run_shapes(args: argparse.Namespace) -> None:
    """One table per shape: journeykit and the hand-written query per variant, alternated
    run by run (journeykit, SQL, journeykit, SQL, ...), medians, ratio, counts asserted equal."""
    import statistics

    sizes = [parse_size(x) for x in args.sizes.split(",") if x.strip()]
    split = {name: [x for x in getattr(args, name).split(",") if x] for name in
             ("formats", "conversions", "attempts", "orders", "variants")}
    print(f"# bench_events --shapes {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
          f"({os.cpu_count()} cores, {platform.python_version()}); memory_limit {MEMORY_LIMIT}; "
          f"load average {os.getloadavg()[0]:.1f}; --repeat {args.repeat}", flush=True)
    for size in sizes:
        for conversion in split["conversions"]:
            for attempts in split["attempts"]:
                for order in split["orders"]:
                    print(f"\n#### {size:,} events, conversion {conversion}, "
                          f"{'1' if attempts == '1' else '~5'} step-1 attempt(s) per customer, {order}\n")
                    print("| format | variant | journeykit s | SQL s | **jk / SQL** | jk / SQL, CPU s | "
                          "CPU ratio | peak RSS jk / SQL (MB) | customers per step | load |")
                    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |", flush=True)
                    for fmt in split["formats"]:
                        path = shape_path(size, fmt, conversion, attempts, order)
                        if not path.exists():
                            subprocess.run([sys.executable, __file__, "--generate-shape", str(size), fmt,
                                            conversion, attempts, order], check=True)
                        for variant in split["variants"]:
                            task = f"funnel:{variant}"
                            load = os.getloadavg()[0]
                            runs: dict[str, list[dict]] = {"journeykit": [], "duckdb_sql": []}
                            for _ in range(max(1, args.repeat)):
                                for impl in runs:
                                    runs[impl].append(measure(impl, task, path, args.cap))
                            jk, sql = runs["journeykit"], runs["duckdb_sql"]
                            for impl, rs in runs.items():
                                bad = [r["result"] for r in rs if r["seconds"] is None]
                                assert not bad, f"{impl} {task} on {path.name}: {bad[0]}"
                            counts = jk[0]["result"]
                            for r in jk + sql:
                                assert r["result"] == counts, (
                                    f"{task} on {path.name}: counts differ, {r['result']} != journeykit {counts}")
                            tj = statistics.median(r["seconds"] for r in jk)
                            ts = statistics.median(r["seconds"] for r in sql)
                            every = ("; runs jk " + ", ".join(f"{r['seconds']:.2f}" for r in jk)
                                     + " / SQL " + ", ".join(f"{r['seconds']:.2f}" for r in sql)) if len(jk) > 1 else ""
                            cj = statistics.median(r["cpu"] for r in jk)
                            cs = statistics.median(r["cpu"] for r in sql)
                            print(f"| {fmt} | {variant} | {tj:.2f} | {ts:.2f} | **{tj / ts:.2f}x** | "
                                  f"{cj:.2f} / {cs:.2f} | {cj / cs:.2f}x | "
                                  f"{max(r['peak_mb'] for r in jk):.0f} / {max(r['peak_mb'] for r in sql):.0f} | "
                                  f"{counts}{every} | {load:.1f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M,10M", help="event counts, e.g. 1M,10M (100M opt-in)")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--cap", type=float, default=600.0, help="stop a measurement after this many seconds")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each measurement this many times; report the median time and highest peak")
    parser.add_argument("--loop-customers", type=int, default=0,
                        help="run pandas_loop on this many random customers and extrapolate (0 = all)")
    parser.add_argument("--child", nargs=3, metavar=("IMPL", "TASK", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("EVENTS", "FORMAT"), help=argparse.SUPPRESS)
    parser.add_argument("--shapes", action="store_true",
                        help="the funnel on log shapes (journeykit against hand-written SQL), see --conversions ...")
    parser.add_argument("--conversions", default="low,high", help="shapes: conversion low and/or high")
    parser.add_argument("--attempts", default="1,5", help="shapes: 1 and/or ~5 step-1 attempts per customer")
    parser.add_argument("--orders", default="sorted,unsorted", help="shapes: rows sorted by time or not")
    parser.add_argument("--variants", default=",".join(SHAPE_VARIANTS), help="shapes: window, nowindow, strict")
    parser.add_argument("--generate-shape", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        generate(int(args.generate[0]), args.generate[1])
        return
    if args.generate_shape:
        size, fmt, conversion, attempts, order = args.generate_shape
        generate_shape(int(size), fmt, conversion, attempts, order)
        return
    if args.shapes and not args.child:
        run_shapes(args)
        return
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]), args.loop_customers)
        return
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    formats, tasks, impls = (args.formats.split(","), args.tasks.split(","), args.impls.split(","))
    print(f"# bench_events {time.strftime('%Y-%m-%d')} on {platform.node()} "
          f"({os.cpu_count()} cores, {platform.python_version()}); memory_limit {MEMORY_LIMIT}")
    print("| events | format | task | implementation | seconds | peak RSS (MB) | vs duckdb_sql | result |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | --- |")
    for size in sizes:
        for fmt in formats:
            start = time.perf_counter()
            path = data_path(size, fmt)
            if not path.exists():
                subprocess.run([sys.executable, __file__, "--generate", str(size), fmt], check=True)
            generated = time.perf_counter() - start
            if generated > 1:
                print(f"<!-- generated {path.name} in {generated:.0f} s -->", flush=True)
            for task in tasks:
                baseline = None
                rows = []
                for impl in impls:
                    if impl in FUNNEL_ONLY and task != "funnel":
                        continue
                    runs = [measure(impl, task, path, args.cap, args.loop_customers if impl == "pandas_loop" else 0)
                            for _ in range(max(1, args.repeat))]
                    m = _summarise(runs)
                    if impl == "duckdb_sql":
                        baseline = m["seconds"]
                    rows.append((impl, m))
                for impl, m in rows:
                    secs = "-" if m["seconds"] is None else f"{m['seconds']:.2f}"
                    if m.get("extrapolated"):
                        secs += " (extrapolated)"
                    ratio = ("-" if m["seconds"] is None or not baseline
                             else f"{m['seconds'] / baseline:.2f}x")
                    label = LABELS.get(impl, impl) if task == "funnel" or impl != "pandas" else "pandas, vectorised"
                    runs = "" if len(m["all_seconds"]) < 2 else (
                        " (runs: " + ", ".join("-" if t is None else f"{t:.2f}" for t in m["all_seconds"]) + " s)")
                    print(f"| {size:,} | {fmt} | {task} | {label} | {secs} | "
                          f"{m['peak_mb']:.0f} | {ratio} | {m['result']}{runs} |", flush=True)
                _check_agreement(task, size, fmt, dict(rows))


if __name__ == "__main__":
    main()
