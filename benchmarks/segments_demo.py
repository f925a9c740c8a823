"""How well suggest_segments recovers the demo's planted personas, against the ceiling.

Reports, for a workspace (default data/sample): the adjusted Rand index (ARI) and accuracy
of scikit-learn classifiers *trained on the true personas* (customers.persona_id), 5-fold
cross-validated, on each customer's behaviour (counts of each event, events and orders
per channel, order count/spend/median/max, hour of day, active span) with and without the
age band — the best any segmentation of that behaviour can hope for — and the ARI of
suggest_segments at the k it chooses and with k=4. Figures: tests/test_segments_demo.py.

    PYTHONPATH=. python benchmarks/segments_demo.py [workspace]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, adjusted_rand_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from journeykit.analytics.personas import suggest_segments
from journeykit.workspace import load_workspace


def behaviour(folder: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Per customer behaviour features (independent of journeykit) and the true persona."""
    customers = pd.read_csv(folder / "customers.csv", dtype=str)
    orders = pd.read_csv(folder / "orders.csv", dtype={"customer_id": str})
    events = pd.read_parquet(folder / "events.parquet")
    f = pd.DataFrame(index=customers["customer_id"])
    f = f.join(pd.crosstab(events.customer_id, events.event).add_prefix("e:"))
    f = f.join(pd.crosstab(events.customer_id, events.channel).add_prefix("c:"))
    f = f.join(pd.crosstab(orders.customer_id, orders.channel).add_prefix("oc:"))
    amount = orders.groupby("customer_id")["amount"]
    f = f.join(pd.DataFrame({"n_orders": amount.size(), "spend": amount.sum(),
                             "max_amount": amount.max(), "median_amount": amount.median()}))
    hour = events.timestamp.dt.hour.groupby(events.customer_id)
    f = f.join(pd.DataFrame({"hour_mean": hour.mean(), "hour_std": hour.std()}))
    f["span_days"] = events.groupby("customer_id")["timestamp"].agg(
        lambda s: (s.max() - s.min()).days)
    f = np.log1p(f.fillna(0.0).clip(lower=0))
    f["age"] = customers.set_index("customer_id")["age_band"].astype("category").cat.codes
    return f, customers.set_index("customer_id")["persona_id"].reindex(f.index)


def main(folder: Path) -> None:
    features, truth = behaviour(folder)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    models = {"gradient boosting": HistGradientBoostingClassifier(random_state=0),
              "random forest": RandomForestClassifier(300, random_state=0, n_jobs=1),
              "logistic regression": make_pipeline(StandardScaler(),
                                                   LogisticRegression(max_iter=2000))}
    print(f"{folder}: {len(features)} customers")
    print("trained on the true personas (5-fold CV):")
    for name, model in models.items():
        for label, x in (("behaviour", features.drop(columns="age")),
                         ("behaviour + age band", features)):
            pred = cross_val_predict(model, x, truth, cv=cv)
            print(f"  {name:20s} {label:21s} accuracy {accuracy_score(truth, pred):.3f} "
                  f"ARI {adjusted_rand_score(truth, pred):.3f}")
    ws = load_workspace(folder)
    for k in (None, 4):
        start = time.perf_counter()
        result = suggest_segments(ws, k=k)
        seconds = time.perf_counter() - start
        segment = result.assignments.set_index(
            result.assignments["customer_id"].astype(str))["segment"]
        ari = adjusted_rand_score(truth.reindex(segment.index).astype(str), segment)
        print(f"suggest_segments(k={k}): k={result.k} ARI {ari:.3f} ({seconds:.1f} s); "
              f"silhouette {result.silhouette.round(3).to_dict()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/sample"))
