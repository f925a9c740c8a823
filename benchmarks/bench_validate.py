"""Benchmark validating a workspace with many bad values against a clean one of the same size.

A measurement, not a test. Run (from the repository root)::

    .venv/bin/python benchmarks/bench_validate.py                # 100k orders, 60k bad values
    .venv/bin/python benchmarks/bench_validate.py --rows 200k --bad 120k --repeat 5

It builds two workspace folders under ``benchmarks/data/`` (git-ignored; rebuilt each run,
deterministic): ``journey.yaml``, ``personas.csv`` and ``touchpoints.csv`` copied from the
demo workspace ``data/sample``, a ``customers.csv`` of 20,000 customers and an ``orders.csv``
of ``--rows`` rows. In the *bad* folder ``--bad`` values of orders.csv are wrong, spread
evenly over four kinds of problem, one per column, on rows picked at random (a row may hold
several): an order id used before (that of the first row), a customer id not in customers.csv, a date
that is no date (``31/31/2024``), an amount that is no number (``12.3x``). The *clean*
folder has the same rows with every value right.

Each case runs in a fresh subprocess (imports done before the clock starts), clean and bad
alternating, and measures wall time and the process's CPU time (on a shared machine the CPU
time is the steadier figure), as the median of ``--repeat`` runs:

- ``journeykit.validate_workspace(folder, every=True)`` (every problem, as data, none cut by
  the listing cap);
- ``journeykit validate FOLDER --problems problems.csv`` (the CLI: the summary per file,
  column and kind of problem printed to /dev/null, every problem written to the CSV).

The bound (issue 15): the bad folder takes no longer than twice the clean one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
SAMPLE = ROOT / "data" / "sample"
COPIED = ("journey.yaml", "personas.csv", "touchpoints.csv")
CUSTOMERS = 20_000
KINDS = ("order_id", "customer_id", "date", "amount")


def parse_size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KM" else text) * factor)


def build(folder: Path, rows: int, bad: int, seed: int = 15) -> None:
    """A workspace of ``rows`` orders with ``bad`` wrong values (deterministic)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name in COPIED:
        shutil.copyfile(SAMPLE / name, folder / name)
    rng = random.Random(seed)
    with open(folder / "customers.csv", "w", encoding="utf-8") as out:
        out.write("customer_id,first_seen,channel\n")
        for c in range(CUSTOMERS):
            out.write(f"C{c:06d},2024-01-{1 + c % 28:02d} 10:00:00,web\n")
    wrong: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for position, kind in enumerate(KINDS):
        share = bad // len(KINDS) + (1 if position < bad % len(KINDS) else 0)
        wrong[kind] = set(rng.sample(range(1, rows), share))
    with open(folder / "orders.csv", "w", encoding="utf-8") as out:
        out.write("order_id,customer_id,date,amount,channel\n")
        for i in range(rows):
            order = "O0000000" if i in wrong["order_id"] else f"O{i:07d}"
            customer = f"X{i:06d}" if i in wrong["customer_id"] else f"C{rng.randrange(CUSTOMERS):06d}"
            date = "31/31/2024" if i in wrong["date"] else f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 12:{i % 60:02d}:00"
            amount = "12.3x" if i in wrong["amount"] else f"{(i % 9000) / 100 + 1:.2f}"
            out.write(f"{order},{customer},{date},{amount},web\n")


# ---------------------------------------------------------------------------
# child processes


def child(kind: str, folder: Path) -> dict:
    import contextlib
    import io
    import warnings

    import pandas  # noqa: F401  imports are not part of the measured time

    import journeykit
    from journeykit.run import cli

    warnings.simplefilter("ignore")
    if kind == "validate_workspace":
        start, cpu = time.perf_counter(), time.process_time()
        problems = journeykit.validate_workspace(folder, every=True)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        errors = sum(p.severity == "error" for p in problems)
        return {"seconds": seconds, "cpu": cpu, "problems": len(problems), "errors": errors}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "problems.csv"
        sink = io.StringIO()
        start, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(sink):
            code = cli.main(["validate", str(folder), "--problems", str(target)])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        lines = sum(1 for _ in target.open(encoding="utf-8")) - 1 if target.exists() else 0
    return {"seconds": seconds, "cpu": cpu, "exit": code, "csv_rows": lines, "printed_lines": len(sink.getvalue().splitlines())}


def run_child(kind: str, folder: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(folder)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"failed": (proc.stderr.strip().splitlines() or ["?"])[-1][:160]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="100k", help="orders rows (default 100k)")
    parser.add_argument("--bad", default="60k", help="bad values in the bad folder (default 60k)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median is shown")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return
    rows, bad = parse_size(args.rows), parse_size(args.bad)
    clean_dir, bad_dir = DATA / "validate_clean", DATA / "validate_bad"
    build(clean_dir, rows, 0)
    build(bad_dir, rows, bad)
    print(f"# bench_validate {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} ({os.cpu_count()} cores, "
          f"Python {platform.python_version()}); load average {os.getloadavg()[0]:.1f}")
    print(f"| what | orders rows | bad values | wall s (median of {args.repeat}) | CPU s (median) | "
          "bad / clean (wall) | bad / clean (CPU) | check |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for kind in ("validate_workspace", "cli"):
        label = "journeykit.validate_workspace(every=True)" if kind == "validate_workspace" else \
            "journeykit validate --problems problems.csv"
        # clean and bad alternate, so a change of the machine's load hits both alike
        results: dict[str, list[dict]] = {"clean": [], "bad": []}
        for _ in range(args.repeat):
            results["clean"].append(run_child(kind, clean_dir))
            results["bad"].append(run_child(kind, bad_dir))
        medians: dict[str, tuple[float, float]] = {}
        for name, n_bad in (("clean", 0), ("bad", bad)):
            failed = [r for r in results[name] if "failed" in r]
            if failed:
                print(f"| {label} | {rows:,} | {n_bad:,} | - | - | - | - | failed: {failed[0]['failed']} |")
                continue
            medians[name] = (statistics.median(r["seconds"] for r in results[name]),
                             statistics.median(r["cpu"] for r in results[name]))
            last = results[name][-1]
            check = (f"{last['problems']:,} problems ({last['errors']:,} errors)" if kind == "validate_workspace"
                     else f"exit {last['exit']}, {last['printed_lines']} lines printed, "
                          f"{last['csv_rows']:,} rows in problems.csv")
            wall, cpu = medians[name]
            ratios = " | "
            if name == "bad" and "clean" in medians:
                ratios = f"{wall / medians['clean'][0]:.2f} | {cpu / medians['clean'][1]:.2f}"
            print(f"| {label} | {rows:,} | {n_bad:,} | {wall:.2f} | {cpu:.2f} | {ratios} | {check} |")
            sys.stdout.flush()
    print(f"<!-- load average at the end {os.getloadavg()[0]:.1f} -->")


if __name__ == "__main__":
    main()
