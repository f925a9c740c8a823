"""Personas with evidence: card data from the workspace, and data-driven segments.

* :func:`persona_cards` — one row per persona of the workshop (name, quote, goals,
  …) joined with what the data says about that persona's customers: share of
  customers, share of revenue, CLV, NPS and the top pain point.
* :func:`suggest_segments` — customer segments found in the data (recency,
  frequency, monetary value, channel mix; k-means), described in words and matched
  to the closest workshop persona: evidence for or against the personas.

Customers belong to a persona through ``ws.customers.persona_id`` (blank =
unassigned). Both functions need only what the workspace has; columns whose data is
missing are NaN, never an error.

Example:
    >>> cards = persona_cards(ws)                                  # doctest: +SKIP
    >>> cards[["name", "share_customers", "nps", "top_pain_point"]]  # doctest: +SKIP
    >>> seg = suggest_segments(ws)                                 # doctest: +SKIP
    >>> seg.segments[["segment", "description", "closest_persona"]]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeykit.analytics.clv import historical_clv
from journeykit.analytics.kpis import nps as _nps
from journeykit.analytics.painpoints import score_pain_points
from journeykit.core._sql import connect
from journeykit.core.cells import cell_text as _text
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

CARD_COLUMNS = [
    "id", "name", "quote", "demographics", "goals", "frustrations", "motivations",
    "preferred_channels", "n_customers", "share_customers", "share_revenue", "clv",
    "spend_to_date", "nps", "nps_n", "top_pain_point",
]

# words for channels in segment descriptions ("frequent in-store buyers")
CHANNEL_WORDS = {
    "store": "in-store", "shop": "in-store", "web": "online", "online": "online",
    "mobile": "app", "app": "app", "phone": "phone", "email": "email",
    "social": "social-media", "marketplace": "marketplace",
}


def _table(ws: Workspace, name: str) -> pd.DataFrame | None:
    """The workspace's table ``name``; None when it has no rows (or is not there)."""
    return ws.table(name) if ws.has(name) else None


def _nps_score(scores: pd.Series) -> tuple[float, int]:
    """NPS (−100…100) and n of valid answers (:func:`journeykit.analytics.kpis.nps`)."""
    result = _nps(scores)
    return float(result.score), int(result.n)


def _spend_per_customer(orders: pd.DataFrame | None) -> pd.Series | None:
    """Total order amount per customer id (workspace currency)."""
    if orders is None:
        return None
    amount = pd.to_numeric(orders["amount"], errors="coerce").fillna(0.0)
    return amount.groupby(orders["customer_id"].astype("string")).sum()


def _group_clv(orders: pd.DataFrame, members: pd.Index) -> float:
    """CLV of a group: :func:`journeykit.analytics.clv.historical_clv` on its orders
    (0 when the group has no orders)."""
    subset = orders[orders["customer_id"].astype("string").isin(members)]
    if subset.empty:
        return 0.0
    return float(historical_clv(subset).clv)


def _persona_pain_points(ws: Workspace, scored: pd.DataFrame | None = None) -> dict[str, str]:
    """Top pain point text per persona id ('' key = applies to every persona), from
    :func:`journeykit.analytics.painpoints.score_pain_points` (highest priority first)."""
    touchpoints = _table(ws, "touchpoints")
    if scored is None:
        scored = score_pain_points(ws)
    ranked = scored[scored["kind"].astype("string") == "pain"]
    ranked = ranked.sort_values("priority", ascending=False, kind="stable")
    text_col = "title"
    audience: dict[str, list[str]] = {}
    if touchpoints is not None and "personas" in touchpoints:
        for tp_id, personas in zip(touchpoints["id"], touchpoints["personas"], strict=False):
            audience[str(tp_id)] = _split_list(personas)
    result: dict[str, str] = {}
    for _, row in ranked.iterrows():
        text = _text(row.get(text_col)) or _text(row.get("description"))
        if not text:
            continue
        who = audience.get(_text(row.get("touchpoint")), [])
        for persona in who or [""]:
            result.setdefault(persona, text)
    return result


def persona_cards(ws: Workspace, *, pain_points: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per persona: the workshop's words plus what the data says about them.

    Columns: id, name, quote, demographics, goals, frustrations, motivations,
    preferred_channels (the ``;`` list as written), n_customers (customers assigned
    through ``customers.persona_id``), share_customers (0–1 of all customers, the
    unassigned included in the denominator), share_revenue (0–1 of all order
    amounts), clv (historical CLV per customer of the persona, workspace currency:
    ``clv.historical_clv`` — average order value × purchase frequency × lifespan —
    on the persona's orders; 0 without orders),
    spend_to_date (mean total order amount per persona customer, customers without
    orders counting 0), nps (−100…100 from
    the persona's customers' feedback, ``kpis.nps``), nps_n (answers used),
    top_pain_point (the highest-priority pain on a touchpoint that persona uses, from
    ``painpoints.score_pain_points``; pass ``pain_points=score_pain_points(ws)`` when
    already computed).  Data columns are NaN (or "") when the table they need is missing.

    Example:
        >>> persona_cards(ws).loc[0, ["name", "share_customers"]]   # doctest: +SKIP
    """
    personas = _table(ws, "personas")
    if personas is None:
        return pd.DataFrame(columns=CARD_COLUMNS)
    if "id" not in personas or "name" not in personas:
        raise JourneykitError("personas table needs the columns 'id' and 'name'")
    cards = pd.DataFrame({"id": personas["id"].astype("string"),
                          "name": personas["name"].astype("string")})
    for column in ("quote", "demographics", "goals", "frustrations", "motivations",
                   "preferred_channels"):
        values = personas[column] if column in personas else pd.Series("", index=personas.index)
        cards[column] = [_text(v) for v in values]

    customers = _table(ws, "customers")
    orders = _table(ws, "orders")
    feedback = _table(ws, "feedback")
    n_customers = [np.nan] * len(cards)
    share_customers = [np.nan] * len(cards)
    share_revenue = [np.nan] * len(cards)
    clv = [np.nan] * len(cards)
    spend_to_date = [np.nan] * len(cards)
    nps = [np.nan] * len(cards)
    nps_n = [0] * len(cards)

    if customers is not None and "persona_id" in customers:
        persona_of = pd.Series(customers["persona_id"].astype("string").to_numpy(),
                               index=customers["customer_id"].astype("string").to_numpy())
        total_customers = len(persona_of)
        counts = persona_of.value_counts()
        revenue = None
        if orders is not None:
            amount = pd.to_numeric(orders["amount"], errors="coerce").fillna(0.0)
            order_persona = orders["customer_id"].astype("string").map(persona_of)
            revenue = amount.groupby(order_persona).sum()
            total_revenue = float(amount.sum())
        spend = _spend_per_customer(orders)
        for i, pid in enumerate(cards["id"]):
            n = int(counts.get(pid, 0))
            n_customers[i] = n
            share_customers[i] = n / total_customers if total_customers else np.nan
            if revenue is not None:
                share_revenue[i] = (float(revenue.get(pid, 0.0)) / total_revenue
                                    if total_revenue > 0 else np.nan)
            if spend is not None and n:
                members = persona_of.index[(persona_of == pid).fillna(False).to_numpy()]
                spend_to_date[i] = float(spend.reindex(members).fillna(0.0).mean())
                clv[i] = _group_clv(orders, members)
        if feedback is not None and "nps" in feedback and "customer_id" in feedback:
            fb_persona = feedback["customer_id"].astype("string").map(persona_of)
            for i, pid in enumerate(cards["id"]):
                score, n = _nps_score(feedback.loc[(fb_persona == pid).fillna(False).to_numpy(),
                                                   "nps"])
                nps[i], nps_n[i] = score, n

    cards["n_customers"] = pd.array(
        [pd.NA if pd.isna(v) else int(v) for v in n_customers], dtype="Int64")
    cards["share_customers"] = share_customers
    cards["share_revenue"] = share_revenue
    cards["clv"] = clv
    cards["spend_to_date"] = spend_to_date
    cards["nps"] = nps
    cards["nps_n"] = nps_n

    pains = _persona_pain_points(ws, pain_points)
    cards["top_pain_point"] = [pains.get(str(pid), pains.get("", "")) for pid in cards["id"]]
    return cards[CARD_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class SegmentSuggestion:
    """Segments found in the data (see :func:`suggest_segments`).

    ``segments``: one row per segment — segment (1 = largest), n_customers,
    share_customers (0–1), recency_days (median days since the customer's last order
    or event, at the data's last date), frequency (median number of orders),
    monetary (median total spend, workspace currency), top_channel, channel_mix
    (text, e.g. "store 70%, web 30%"), description (words), closest_persona (id or
    ""), closest_persona_name, persona_overlap (0–1: share of the segment's assigned
    customers that carry that persona), channel_match (0–1 Jaccard overlap of the
    segment's main channels with the persona's preferred channels), evidence (words).
    ``assignments``: customer_id, segment. ``k``: number of segments.
    ``silhouette``: silhouette score per k tried (empty when k was given).
    ``features``: the feature columns clustered on.
    """

    segments: pd.DataFrame
    assignments: pd.DataFrame
    k: int
    silhouette: pd.Series
    features: tuple[str, ...]


def _count_table(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """``pd.crosstab(rows, columns)`` (counts, missing keys left out) through a grouped
    size: crosstab aggregates in Python, one call per cell."""
    pairs = pd.DataFrame({"row": rows.to_numpy(), "column": columns.to_numpy()})
    return pairs.groupby(["row", "column"]).size().unstack(fill_value=0)


def _event_features(ws: Workspace) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """From the event log, in DuckDB: events per customer, last event time per customer,
    and events per customer × channel (rows without customer or channel left out)."""
    con = connect()
    try:
        rel = ws.events_relation(con)
        assert rel is not None  # only called when the workspace has events
        rel.create_view("jk_events")
        per = con.execute(
            "SELECT CAST(customer_id AS VARCHAR) AS cid, count(*) AS n_events, "
            "max(timestamp) AS last FROM jk_events WHERE customer_id IS NOT NULL "
            "GROUP BY 1 ORDER BY 1").df()
        by_channel = con.execute(
            "SELECT CAST(customer_id AS VARCHAR) AS cid, CAST(channel AS VARCHAR) AS channel, "
            "count(*) AS n FROM jk_events WHERE customer_id IS NOT NULL AND channel IS NOT NULL "
            "GROUP BY 1, 2").df()
    finally:
        con.close()
    index = pd.Index(per["cid"], dtype="string")
    n_events = pd.Series(per["n_events"].to_numpy(), index=index, name="n_events")
    last = pd.Series(pd.to_datetime(per["last"]).to_numpy(), index=index)
    counts = by_channel.pivot_table(index="cid", columns="channel", values="n", aggfunc="sum",
                                    fill_value=0)
    counts.index = pd.Index(counts.index, dtype="string")
    counts.columns = pd.Index(counts.columns, dtype="string")
    return n_events, last, counts


def _customer_features(ws: Workspace) -> pd.DataFrame:
    """Per customer: recency_days, frequency, monetary, n_events, channel shares (ch:*)."""
    orders = _table(ws, "orders")
    has_events = ws.has("events")
    customers = _table(ws, "customers")
    if orders is None and not has_events:
        raise JourneykitError(
            "suggest_segments needs an 'orders' or an 'events' table in the workspace")
    pieces: list[pd.DataFrame] = []
    last_seen: list[pd.Series] = []
    channel_counts: list[pd.DataFrame] = []
    if orders is not None:
        cid = orders["customer_id"].astype("string")
        amount = pd.to_numeric(orders["amount"], errors="coerce").fillna(0.0)
        pieces.append(pd.DataFrame({"frequency": cid.groupby(cid).size(),
                                    "monetary": amount.groupby(cid).sum()}))
        last_seen.append(pd.to_datetime(orders["date"]).groupby(cid).max())
        if "channel" in orders:
            channel_counts.append(_count_table(cid, orders["channel"].astype("string")))
    if has_events:
        n_events, last_event, event_channels = _event_features(ws)
        pieces.append(n_events.to_frame())
        last_seen.append(last_event)
        channel_counts.append(event_channels)
    index = pd.Index(sorted(set().union(*[p.index for p in pieces])), dtype="string")
    if customers is not None:
        index = index.union(pd.Index(customers["customer_id"].astype("string")))
    index = index.dropna().sort_values()
    feats = pd.DataFrame(index=index)
    for part in pieces:
        feats = feats.join(part, how="left")
    for column in ("frequency", "monetary", "n_events"):
        if column in feats:
            feats[column] = feats[column].astype(float).fillna(0.0)
    last = pd.concat(last_seen).groupby(level=0).max().reindex(index)
    if customers is not None and "first_seen" in customers:
        first = pd.to_datetime(customers["first_seen"]).set_axis(
            customers["customer_id"].astype("string").to_numpy())
        first = first[~first.index.duplicated()].reindex(index)
        last = last.fillna(first)
    end = last.max()
    days = (end - last) / pd.Timedelta(days=1)
    feats["recency_days"] = days.astype(float).fillna(float(days.max()) if days.notna().any()
                                                      else 0.0)
    if channel_counts:
        counts = pd.concat(channel_counts).groupby(level=0).sum()
        counts = counts.reindex(index).fillna(0.0)
        totals = counts.sum(axis=1).replace(0, np.nan)
        shares = counts.div(totals, axis=0).fillna(0.0)
        shares.columns = [f"ch:{c}" for c in shares.columns]
        feats = feats.join(shares.sort_index(axis=1))
    feats.index.name = "customer_id"
    return feats


def _level(value: float, overall: pd.Series) -> str:
    """'high' / 'low' / 'mid' of ``value`` against the tertiles of ``overall``."""
    overall = overall.dropna()
    if overall.empty:
        return "mid"
    low, mid, high = overall.quantile([1 / 3, 0.5, 2 / 3])
    if value >= high and value > mid:
        return "high"
    if value <= low and value < mid:
        return "low"
    return "mid"


def _describe(row: pd.Series, feats: pd.DataFrame, top_channel: str) -> str:
    words = []
    if "frequency" in feats:
        freq = _level(row["frequency"], feats["frequency"])
        if row["frequency"] < 0.5:
            words.append("non-buying")
        elif row["frequency"] <= 1.0 and freq != "high":
            words.append("one-time")
        else:
            words.append({"high": "frequent", "mid": "regular", "low": "occasional"}[freq])
    else:
        words.append({"high": "very active", "mid": "active", "low": "light"}[
            _level(row["n_events"], feats["n_events"])])
    channel = CHANNEL_WORDS.get(top_channel.lower(), top_channel) if top_channel else ""
    noun = "buyers" if "frequency" in feats and row["frequency"] >= 0.5 else "visitors"
    head = " ".join(w for w in (words[0], channel, noun) if w)
    parts = [head]
    if "monetary" in feats and row["frequency"] >= 0.5:
        buyers = feats.loc[feats["frequency"] > 0, "monetary"]
        parts.append({"high": "high spend", "mid": "medium spend", "low": "low spend"}[
            _level(row["monetary"], buyers)])
    recency = feats["recency_days"]
    if row["recency_days"] <= recency.median():
        parts.append("recently active")
    elif row["recency_days"] >= recency.quantile(2 / 3):
        parts.append("lapsed")
    return ", ".join(parts)


def suggest_segments(ws: Workspace, *, k: int | None = None, random_state: int = 0,
                     max_silhouette_sample: int = 3000) -> SegmentSuggestion:
    """Segment customers by behaviour and compare the segments with the workshop personas.

    Features per customer (from orders and events; customers without either count as
    inactive): recency (days since last order/event at the data's last date),
    frequency (orders), monetary value (total spend), number of events and channel
    mix (share of the customer's orders and events per channel).  Counts and money
    are log1p-transformed, everything is standardised (mean 0, standard deviation 1),
    then k-means groups them (Lloyd's algorithm from k-means++ starts, the best of 10
    by within-segment sum of squares, seeded with ``random_state``; checked against
    scikit-learn in the tests).  With ``k=None`` the k in 2…6 with the best silhouette
    score wins (computed on at most ``max_silhouette_sample`` customers, drawn with
    ``random_state``).  Segments are numbered by size (1 =
    largest), so the result is deterministic for a given workspace and seed.

    Each segment is described in words ("frequent in-store buyers, high spend,
    recently active") and matched to the closest persona: by the share of its
    customers assigned to each persona (``customers.persona_id``) when assignments
    exist, else by overlap of its main channels with the persona's
    preferred_channels.  ``evidence`` says whether the segment supports a persona
    (overlap ≥ 50 %), only partly (≥ 25 %) or matches none.

    Raises JourneykitError when there are neither orders nor events, or fewer than
    3 customers.

    Example:
        >>> seg = suggest_segments(ws)                        # doctest: +SKIP
        >>> seg.k, seg.segments.loc[0, "description"]         # doctest: +SKIP
        (3, 'frequent in-store buyers, high spend, recently active')
    """
    feats = _customer_features(ws)
    if len(feats) < 3:
        raise JourneykitError(
            f"suggest_segments needs at least 3 customers with orders or events, got {len(feats)}")
    matrix = feats.copy()
    for column in ("frequency", "monetary", "n_events"):
        if column in matrix:
            matrix[column] = np.log1p(matrix[column].clip(lower=0))
    matrix = matrix.loc[:, matrix.std(ddof=0) > 0]
    if matrix.shape[1] == 0:
        raise JourneykitError("suggest_segments: every customer looks the same (no variation)")
    values = matrix.to_numpy(dtype=float)
    x = (values - values.mean(axis=0)) / values.std(axis=0)
    n_distinct = len(np.unique(x.round(9), axis=0))

    def fit(n_clusters: int) -> np.ndarray:
        return kmeans(x, n_clusters, n_init=10, random_state=random_state)

    from threadpoolctl import threadpool_limits

    # one BLAS thread for the distance products: thread pools on a busy small machine
    # make them many times slower; limits set once, not per fit
    with threadpool_limits(limits=1):
        k_used, raw, scores = _choose_k(x, fit, k, random_state, max_silhouette_sample,
                                        n_distinct)
    return _segments_result(ws, feats, matrix, k_used, raw, scores)


def _squared_distances(x: np.ndarray, centres: np.ndarray, x_squared: np.ndarray | None = None) -> np.ndarray:
    """Squared Euclidean distances, rows of ``x`` × rows of ``centres`` (never negative);
    ``x_squared`` is ``(x * x).sum(axis=1)`` when already known."""
    if x_squared is None:
        x_squared = (x * x).sum(axis=1)
    d = x_squared[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)


def _kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ starting centres: each next centre drawn with probability ∝ its squared
    distance to the nearest centre chosen so far."""
    centres = [x[rng.integers(len(x))]]
    nearest = _squared_distances(x, centres[0][None, :])[:, 0]
    for _ in range(1, k):
        total = nearest.sum()
        index = rng.choice(len(x), p=nearest / total) if total > 0 else rng.integers(len(x))
        centres.append(x[index])
        nearest = np.minimum(nearest, _squared_distances(x, x[index][None, :])[:, 0])
    return np.array(centres)


def kmeans(x: np.ndarray, k: int, *, n_init: int = 10, max_iter: int = 300, tol: float = 1e-4,
           random_state: int = 0) -> np.ndarray:
    """Cluster labels 0…k-1 of the rows of ``x`` by k-means: Lloyd's algorithm from
    ``n_init`` k-means++ starts, keeping the start with the smallest within-cluster sum
    of squares. It stops when the centres move less than ``tol`` × the mean variance of
    the columns (scikit-learn's rule). Deterministic for a given ``random_state``.

    >>> kmeans(np.array([[0.0], [0.1], [5.0], [5.2]]), 2).tolist() in ([0, 0, 1, 1], [1, 1, 0, 0])
    True
    """
    x = np.asarray(x, dtype=float)
    if not 1 <= k <= len(x):
        raise JourneykitError(f"k must be between 1 and {len(x)}, got {k}")
    rng = np.random.default_rng(random_state)
    threshold = tol * float(np.mean(np.var(x, axis=0)))
    x_squared = (x * x).sum(axis=1)
    best_labels, best_inertia = None, np.inf
    for _ in range(n_init):
        centres = _kmeans_plus_plus(x, k, rng)
        for _ in range(max_iter):
            distances = _squared_distances(x, centres, x_squared)
            labels = distances.argmin(axis=1)
            counts = np.bincount(labels, minlength=k)
            sums = np.column_stack([np.bincount(labels, weights=x[:, j], minlength=k)
                                    for j in range(x.shape[1])])
            moved = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)
            empty = np.flatnonzero(counts == 0)
            if len(empty):  # an empty cluster takes the points farthest from their centres
                far = np.argsort(-distances[np.arange(len(x)), labels])[:len(empty)]
                moved[empty] = x[far]
            shift = float(((moved - centres) ** 2).sum())
            centres = moved
            if shift <= threshold:
                break
        distances = _squared_distances(x, centres, x_squared)
        labels = distances.argmin(axis=1)
        inertia = float(distances[np.arange(len(x)), labels].sum())
        if inertia < best_inertia:
            best_labels, best_inertia = labels, inertia
    assert best_labels is not None
    return best_labels


def silhouette_score(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of the rows of ``x`` (Euclidean): for each point, (b - a) / max(a, b)
    with a its mean distance to the other members of its cluster and b the smallest mean
    distance to another cluster's members; 0 for a point alone in its cluster.

    >>> round(silhouette_score(np.array([[0.0], [1.0], [10.0], [11.0]]), np.array([0, 0, 1, 1])), 3)
    0.9
    """
    return _silhouette(_pairwise_distances(np.asarray(x, dtype=float)), labels)


def _pairwise_distances(x: np.ndarray) -> np.ndarray:
    distances = np.sqrt(_squared_distances(x, x))
    np.fill_diagonal(distances, 0.0)
    return distances


def _silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """:func:`silhouette_score` from the points' pairwise distances."""
    n = len(distances)
    codes, labels = np.unique(labels, return_inverse=True)
    if not 2 <= len(codes) <= n - 1:
        raise JourneykitError(f"the silhouette needs 2 to {n - 1} clusters, got {len(codes)}")
    members = np.zeros((n, len(codes)))
    members[np.arange(n), labels] = 1.0
    sizes = members.sum(axis=0)
    totals = distances @ members  # sum of distances from each point to each cluster
    own = totals[np.arange(n), labels]
    own_size = sizes[labels]
    a = np.where(own_size > 1, own / np.maximum(own_size - 1, 1), 0.0)
    means = totals / sizes[None, :]
    means[np.arange(n), labels] = np.inf
    b = means.min(axis=1)
    s = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), np.finfo(float).tiny), 0.0)
    return float(s.mean())


def _choose_k(x: np.ndarray, fit: Callable[[int], np.ndarray], k: int | None, random_state: int,
              max_silhouette_sample: int, n_distinct: int
              ) -> tuple[int, np.ndarray, dict[int, float]]:
    """(k, labels, silhouette per k tried) — see :func:`suggest_segments`."""
    scores: dict[int, float] = {}
    if k is None:
        rng = np.random.default_rng(random_state)
        sample = (rng.choice(len(x), size=max_silhouette_sample, replace=False)
                  if len(x) > max_silhouette_sample else np.arange(len(x)))
        labels_by_k = {}
        distances: np.ndarray | None = None
        for candidate in range(2, min(6, n_distinct - 1, len(x) - 1) + 1):
            labels = fit(candidate)
            if len(np.unique(labels[sample])) < 2:
                continue
            if distances is None:  # the same customers for every k: their distances once
                distances = _pairwise_distances(x[sample])
            scores[candidate] = _silhouette(distances, labels[sample])
            labels_by_k[candidate] = labels
        if not scores:
            k_used, raw = 2, fit(2)
        else:
            k_used = max(scores, key=lambda c: (scores[c], -c))
            raw = labels_by_k[k_used]
    else:
        if not 1 <= int(k) <= len(x):
            raise JourneykitError(f"k must be between 1 and {len(x)} customers, got {k}")
        k_used, raw = int(k), fit(int(k))
    return k_used, raw, scores


def _segments_result(ws: Workspace, feats: pd.DataFrame, matrix: pd.DataFrame, k_used: int,
                     raw: np.ndarray, scores: dict[int, float]) -> SegmentSuggestion:
    # number segments by size (ties: by smallest raw label) -> deterministic labels
    sizes = pd.Series(raw).value_counts()
    order = sorted(sizes.index, key=lambda lab: (-sizes[lab], lab))
    relabel = {lab: i + 1 for i, lab in enumerate(order)}
    segment = pd.Series([relabel[v] for v in raw], index=feats.index, name="segment")

    personas = _table(ws, "personas")
    customers = _table(ws, "customers")
    persona_of = None
    if customers is not None and "persona_id" in customers:
        persona_of = pd.Series(customers["persona_id"].astype("string").to_numpy(),
                               index=customers["customer_id"].astype("string").to_numpy())
        persona_of = persona_of[~persona_of.index.duplicated()].reindex(feats.index)
    persona_names = ({str(i): _text(n) for i, n in zip(personas["id"], personas["name"],
                                                       strict=False)}
                     if personas is not None else {})
    persona_channels = ({str(i): {c.lower() for c in _split_list(ch)}
                         for i, ch in zip(personas["id"], personas.get(
                             "preferred_channels", pd.Series("", index=personas.index)),
                             strict=False)}
                        if personas is not None else {})

    channel_cols = [c for c in feats.columns if c.startswith("ch:")]
    rows = []
    for seg_id in range(1, k_used + 1):
        members = feats[segment == seg_id]
        med = members.median(numeric_only=True)
        mix = members[channel_cols].mean() if channel_cols else pd.Series(dtype=float)
        mix = mix[mix > 0].sort_values(ascending=False, kind="stable")
        top_channel = str(mix.index[0][3:]) if len(mix) else ""
        main_channels = {c[3:].lower() for c, v in mix.items() if v >= 0.2} or (
            {top_channel.lower()} if top_channel else set())
        best, overlap, match = "", float("nan"), float("nan")
        if persona_of is not None and persona_of[members.index].notna().any():
            assigned = persona_of[members.index].dropna()
            share = assigned.value_counts(normalize=True)
            best = str(sorted(share.index, key=lambda p: (-share[p], str(p)))[0])
            overlap = float(share[best])
        if persona_channels:
            jaccard = {p: (len(main_channels & chs) / len(main_channels | chs)
                           if main_channels | chs else 0.0)
                       for p, chs in persona_channels.items()}
            if not best:
                best = sorted(jaccard, key=lambda p: (-jaccard[p], p))[0]
            match = float(jaccard.get(best, 0.0))
        if not best:
            evidence = "no personas to compare with"
        elif np.isnan(overlap):
            evidence = (f"channels match persona {persona_names.get(best, best)}"
                        if match >= 0.5 else "no persona shares these channels well")
        elif overlap >= 0.5:
            evidence = f"supports persona {persona_names.get(best, best)}"
        elif overlap >= 0.25:
            evidence = f"partly matches persona {persona_names.get(best, best)}"
        else:
            evidence = "no persona matches; a candidate new persona"
        rows.append({
            "segment": seg_id,
            "n_customers": int(len(members)),
            "share_customers": len(members) / len(feats),
            "recency_days": float(med.get("recency_days", np.nan)),
            "frequency": float(med.get("frequency", np.nan)),
            "monetary": float(med.get("monetary", np.nan)),
            "top_channel": top_channel,
            "channel_mix": ", ".join(f"{c[3:]} {v:.0%}" for c, v in mix.head(3).items()),
            "description": _describe(med, feats, top_channel),
            "closest_persona": best,
            "closest_persona_name": persona_names.get(best, ""),
            "persona_overlap": overlap,
            "channel_match": match,
            "evidence": evidence,
        })
    table = pd.DataFrame(rows)
    assignments = segment.rename_axis("customer_id").reset_index()
    silhouette = pd.Series(scores, name="silhouette", dtype=float)
    silhouette.index.name = "k"
    return SegmentSuggestion(segments=table, assignments=assignments, k=k_used,
                             silhouette=silhouette, features=tuple(matrix.columns))
