"""Time the CLV pipeline on synthetic order logs (a measurement, not a test).

Run: ``.venv/bin/python benchmarks/bench_clv.py [customers ...]`` (default 10000 100000).
Prints, per size: orders, and wall time of rfm_summary, fit_bgnbd, fit_gamma_gamma,
predict_clv (12 months).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from journeykit.analytics.clv import fit_bgnbd, fit_gamma_gamma, predict_clv, rfm_summary


def synthetic_orders(customers: int, seed: int = 1) -> pd.DataFrame:
    """BG/NBD-style customers over two years with Gamma-Gamma spend."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    first = rng.uniform(0, 365, customers)
    rate = rng.gamma(0.8, 1 / 30.0, customers)  # purchases per day
    dropout = rng.beta(1.5, 4.0, customers)
    scale = rng.gamma(3.0, 1 / 60.0, customers)
    rows_customer, rows_day = [np.arange(customers)], [first]
    clock, alive = first.copy(), np.ones(customers, dtype=bool)
    while alive.any():
        clock = clock + rng.exponential(1 / rate)
        alive &= (clock < 730) & (rng.random(customers) >= dropout)
        rows_customer.append(np.flatnonzero(alive))
        rows_day.append(clock[alive])
    who = np.concatenate(rows_customer)
    day = np.concatenate(rows_day)
    return pd.DataFrame({
        "customer_id": pd.array(who.astype(str), dtype="string"),
        "date": start + pd.to_timedelta(np.floor(day), unit="D"),
        "amount": rng.gamma(4.0, 1 / scale[who]),
    })


def main(sizes: list[int]) -> None:
    print(f"{'customers':>10} {'orders':>9} {'rfm_summary':>12} {'fit_bgnbd':>10} "
          f"{'fit_gg':>8} {'predict':>8}  (seconds)")
    for size in sizes:
        orders = synthetic_orders(size)
        times = []
        t0 = time.perf_counter()
        summary = rfm_summary(orders)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bgnbd = fit_bgnbd(summary)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        spend = fit_gamma_gamma(summary)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        predict_clv(bgnbd, spend, summary, months=12)
        times.append(time.perf_counter() - t0)
        print(f"{size:>10} {len(orders):>9} " + " ".join(f"{t:>10.2f}" for t in times))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
