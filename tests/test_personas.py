"""Tests for journeykit.analytics.personas: persona cards and data-driven segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journeykit.analytics.personas import persona_cards, suggest_segments
from journeykit.core.errors import JourneykitError
from journeykit.workspace import load_workspace
from tests.conftest import write_workspace

JOURNEY = """\
business: Test shop
currency: EUR
stages:
  - {id: purchase, name: Purchase}
channels: [store, web, phone, email, social, mobile]
owners: [Sales, E-commerce]
"""


def _personas():
    return pd.DataFrame({
        "id": ["p_store", "p_web", "p_none"],
        "name": ["Store Stella", "Web Walter", "Nobody Nora"],
        "quote": ["I like to touch things", "Fast please", ""],
        "demographics": ["55+", "25-34", ""],
        "goals": ["advice", "speed", ""],
        "frustrations": ["queues", "late delivery", ""],
        "motivations": ["", "", ""],
        "preferred_channels": ["store;phone", "web;email", "social"],
    })


def _workspace(tmp_path, with_assignment=True, *, customer_data=True, behaviour=True):
    """A real workspace with three planted behaviour groups:
    A (ids a00..a29): store, ~8 orders of 120, recent          -> persona p_store
    B (ids b00..b29): web, 1 order of 20, long ago              -> persona p_web
    C (ids c00..c19): mobile app events only, no orders, recent -> unassigned
    ``customer_data=False`` leaves out customers, orders, feedback, events and pain
    points; ``behaviour=False`` leaves out orders and events.
    """
    rng = np.random.default_rng(7)
    end = pd.Timestamp("2026-06-30")
    customers, orders, events = [], [], []
    n = 0
    for i in range(30):
        cid = f"a{i:02d}"
        customers.append((cid, "p_store"))
        for j in range(8):
            n += 1
            orders.append((f"o{n}", cid, end - pd.Timedelta(days=int(rng.integers(0, 60)) + 5 * j),
                           120.0 + rng.normal(0, 5), "store"))
    for i in range(30):
        cid = f"b{i:02d}"
        customers.append((cid, "p_web"))
        n += 1
        orders.append((f"o{n}", cid, end - pd.Timedelta(days=200 + int(rng.integers(0, 60))),
                       20.0 + rng.normal(0, 2), "web"))
        events.append((cid, end - pd.Timedelta(days=210), "view_product", "web"))
    for i in range(20):
        cid = f"c{i:02d}"
        customers.append((cid, None))
        for j in range(6):
            events.append((cid, end - pd.Timedelta(days=int(rng.integers(0, 10)), hours=j),
                           "app_open", "mobile"))
    cust = pd.DataFrame(customers, columns=["customer_id", "persona_id"])
    cust["first_seen"] = pd.Timestamp("2025-01-01")
    if not with_assignment:
        cust["persona_id"] = None
    ords = pd.DataFrame(orders, columns=["order_id", "customer_id", "date", "amount", "channel"])
    evs = pd.DataFrame(events, columns=["customer_id", "timestamp", "event", "channel"])
    feedback = pd.DataFrame({
        # a00..a09: 10 promoters; b00..b09: 5 detractors + 5 passives
        "customer_id": [f"a{i:02d}" for i in range(10)] + [f"b{i:02d}" for i in range(10)],
        "date": pd.Timestamp("2026-06-01"),
        "nps": [10] * 10 + [3] * 5 + [8] * 5,
    })
    touchpoints = pd.DataFrame({
        "id": ["tp_shop", "tp_site"], "stage": ["purchase", "purchase"],
        "channel": ["store", "web"], "name": ["Shop counter", "Web shop"],
        "owner": ["Sales", "E-commerce"], "online": ["no", "yes"],
        "personas": ["p_store", ""],
    })
    painpoints = pd.DataFrame({
        "id": ["pp1", "pp2", "pp3"], "touchpoint": ["tp_shop", "tp_site", "tp_site"],
        "kind": ["pain", "pain", "opportunity"],
        "description": ["Long queue at the counter", "Checkout form loses data",
                        "Offer click and collect"],
        "severity": [3, 5, 4],
        "frequency": [3, 4, 5],
    })
    files = {"journey.yaml": JOURNEY, "personas.csv": _personas().to_csv(index=False),
             "touchpoints.csv": touchpoints.to_csv(index=False)}
    if customer_data:
        files |= {"customers.csv": cust.to_csv(index=False),
                  "feedback.csv": feedback.to_csv(index=False),
                  "painpoints.csv": painpoints.to_csv(index=False)}
        if behaviour:
            files |= {"orders.csv": ords.to_csv(index=False), "events.csv": evs.to_csv(index=False)}
    return load_workspace(write_workspace(tmp_path / "ws", **files))


def test_persona_cards_shares_revenue_nps_from_independent_counts(tmp_path):
    ws = _workspace(tmp_path)
    cards = persona_cards(ws).set_index("id")
    assert list(cards.index) == ["p_store", "p_web", "p_none"]
    assert cards.loc["p_store", "name"] == "Store Stella"
    # 30 + 30 assigned of 80 customers
    assert cards.loc["p_store", "share_customers"] == pytest.approx(30 / 80)
    assert cards.loc["p_web", "share_customers"] == pytest.approx(30 / 80)
    assert cards.loc["p_none", "share_customers"] == 0
    amounts = ws.orders.assign(p=ws.orders["customer_id"].str[0]).groupby("p")["amount"].sum()
    total = ws.orders["amount"].sum()
    assert cards.loc["p_store", "share_revenue"] == pytest.approx(amounts["a"] / total)
    assert cards.loc["p_web", "share_revenue"] == pytest.approx(amounts["b"] / total)
    # mean total spend per customer; CLV is a positive amount of money
    assert cards.loc["p_web", "spend_to_date"] == pytest.approx(amounts["b"] / 30)
    assert cards.loc["p_store", "clv"] > cards.loc["p_web", "clv"] > 0
    # all promoters -> +100; 5 detractors of 10 -> -50
    assert cards.loc["p_store", "nps"] == pytest.approx(100.0)
    assert cards.loc["p_web", "nps"] == pytest.approx(-50.0)
    assert cards.loc["p_web", "nps_n"] == 10
    assert np.isnan(cards.loc["p_none", "nps"])
    # store persona's touchpoint carries the queue; web persona gets the severe all-persona pain
    assert cards.loc["p_store", "top_pain_point"] in {"Long queue at the counter",
                                                      "Checkout form loses data"}
    assert cards.loc["p_web", "top_pain_point"] == "Checkout form loses data"


def test_persona_cards_without_customer_data_gives_nan_not_error(tmp_path):
    ws = _workspace(tmp_path, customer_data=False)
    cards = persona_cards(ws)
    assert len(cards) == 3
    assert cards["share_customers"].isna().all()
    assert cards["clv"].isna().all()
    assert (cards["top_pain_point"] == "").all()


def test_suggest_segments_finds_planted_groups_and_matches_personas(tmp_path):
    ws = _workspace(tmp_path)
    result = suggest_segments(ws)
    assert result.k == 3
    assert set(result.silhouette.index) >= {2, 3}
    seg = result.segments.set_index("closest_persona")
    assign = result.assignments.set_index("customer_id")["segment"]
    # each planted group lands in one segment
    for prefix in "abc":
        ids = [c for c in assign.index if c.startswith(prefix)]
        assert assign[ids].nunique() == 1
    store_seg = assign["a00"]
    row = result.segments.set_index("segment").loc[store_seg]
    assert row["closest_persona"] == "p_store"
    assert row["persona_overlap"] == pytest.approx(1.0)
    assert row["top_channel"] == "store"
    assert "in-store" in row["description"] and "high spend" in row["description"]
    assert "supports persona Store Stella" == row["evidence"]
    web = result.segments.set_index("segment").loc[assign["b00"]]
    assert web["closest_persona"] == "p_web"
    assert "lapsed" in web["description"]
    # the app-only group has no assigned customers -> matched by channels, which match nobody
    app = result.segments.set_index("segment").loc[assign["c00"]]
    assert app["top_channel"] == "mobile"
    assert np.isnan(app["persona_overlap"])
    assert len(seg) == 3


def test_suggest_segments_is_deterministic_and_numbered_by_size(tmp_path):
    ws = _workspace(tmp_path)
    first = suggest_segments(ws, random_state=3)
    second = suggest_segments(ws, random_state=3)
    pd.testing.assert_frame_equal(first.segments, second.segments)
    sizes = first.segments["n_customers"].tolist()
    assert sizes == sorted(sizes, reverse=True)
    assert first.segments["n_customers"].sum() == 80


def test_suggest_segments_fixed_k_and_channel_matching_without_assignments(tmp_path):
    ws = _workspace(tmp_path, with_assignment=False)
    result = suggest_segments(ws, k=3)
    assert result.k == 3 and result.silhouette.empty
    assign = result.assignments.set_index("customer_id")["segment"]
    store = result.segments.set_index("segment").loc[assign["a00"]]
    assert store["closest_persona"] == "p_store"  # store channel ∈ Stella's preferred
    assert store["channel_match"] > 0


def test_suggest_segments_needs_orders_or_events(tmp_path):
    ws = _workspace(tmp_path, behaviour=False)
    with pytest.raises(JourneykitError, match="orders"):
        suggest_segments(ws)


# -- k-means and silhouette against scikit-learn (the independent implementation) ----------


def _blobs(seed: int, k: int, n: int = 300, d: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 8, size=(k, d))
    return np.vstack([c + rng.normal(0, 1, size=(n // k, d)) for c in centres])


@pytest.mark.parametrize("seed", range(6))
def test_kmeans_matches_scikit_learn(seed):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from journeykit.analytics.personas import kmeans

    k = 2 + seed % 4
    x = _blobs(seed, k)
    ours = kmeans(x, k, random_state=seed)
    theirs = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
    assert adjusted_rand_score(ours, theirs.labels_) == pytest.approx(1.0)
    inertia = sum(((x[ours == j] - x[ours == j].mean(axis=0)) ** 2).sum() for j in range(k))
    assert inertia == pytest.approx(theirs.inertia_, rel=1e-9)
    # overlapping groups: not always the same partition, but as good a one
    rng = np.random.default_rng(seed)
    noisy = rng.normal(size=(400, 3))
    ours = kmeans(noisy, 4, random_state=seed)
    inertia = sum(((noisy[ours == j] - noisy[ours == j].mean(axis=0)) ** 2).sum() for j in range(4))
    theirs = KMeans(n_clusters=4, n_init=10, random_state=seed).fit(noisy)
    assert inertia <= theirs.inertia_ * 1.02


@pytest.mark.parametrize("seed", range(6))
def test_silhouette_matches_scikit_learn(seed):
    from sklearn.metrics import silhouette_score as reference

    from journeykit.analytics.personas import silhouette_score

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(150, 3))
    labels = rng.integers(0, 2 + seed % 4, size=150)
    labels[0] = 99  # a point alone in its cluster counts 0, as in scikit-learn
    assert silhouette_score(x, labels) == pytest.approx(reference(x, labels), abs=1e-9)
    with pytest.raises(JourneykitError):
        silhouette_score(x, np.zeros(150, dtype=int))
