"""Customer segments found in the data, compared with the workshop personas.

:func:`suggest_segments` groups customers by recency, frequency, monetary value,
channel mix, the journey stages they reached and their purchase rhythm (k-means,
:mod:`journeykit.analytics.personas.clustering`), describes each
segment in words and matches it to the closest workshop persona: evidence for or
against the personas. Customers belong to a persona through ``ws.customers.persona_id``
(blank = unassigned).

Example:
    >>> seg = suggest_segments(ws)                                 # doctest: +SKIP
    >>> seg.segments[["segment", "description", "closest_persona"]]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeykit.analytics.events.source import open_events
from journeykit.analytics.personas._tables import nonempty_table as _table
from journeykit.analytics.personas.clustering import choose_k, kmeans
from journeykit.core.cells import cell_text as _text
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace

# words for channels in segment descriptions ("frequent in-store buyers")
CHANNEL_WORDS = {
    "store": "in-store", "shop": "in-store", "web": "online", "online": "online",
    "mobile": "app", "app": "app", "phone": "phone", "email": "email",
    "social": "social-media", "marketplace": "marketplace",
}



#: how much each group of features counts in the distance between customers: each group
#: is scaled to a total variance of weight² whatever its number of columns, so twelve
#: channel shares do not outweigh one recency. The channel mix counts most: on the demo,
#: where personas differ mainly in the channels they use, it is what separates them.
BLOCK_WEIGHTS = {"activity": 0.3, "channels": 1.0, "actions": 1.0, "stages": 0.15,
                 "rhythm": 0.15}

#: how strongly a customer's channel and action shares are pulled toward everyone's mix:
#: as if each customer had this many more events in the overall mix, so that a customer
#: with three events (one of them a social-media visit) does not look like a social-media
#: person. Measured on the demo against its planted personas (adjusted Rand index at the
#: silhouette's k / with k=4): 0 gives 0.62 / 0.55, 3 gives 0.65 / 0.69, 10 gives
#: 0.67 / 0.71, 30 gives 0.58 / 0.66 (benchmarks/segments_demo.py, tests/test_segments_demo.py).
SHARE_PRIOR = 10.0


#: what a segment is, for the definitions the report prints
SEGMENT_SEMANTICS = (
    "Segments: k-means on each customer's activity (recency, orders, spend, events), channel "
    "mix (share of orders and events per channel), actions (share of their events of each "
    "kind), journey stages reached and purchase rhythm (median days between order days); "
    "shares pulled toward everyone's mix as if each customer had 10 more events, counts "
    "log-scaled, each feature standardised, each group weighted (channels and actions 1, "
    "activity 0.3, stages and rhythm 0.15); k in 2-6 by the best silhouette. A segment "
    "supports a persona when at least 50% of its assigned customers carry that persona.")


def _block(column: str) -> str:
    """The feature group of a column of the segment features."""
    if column.startswith("ch:"):
        return "channels"
    if column.startswith("ev:"):
        return "actions"
    if column.startswith("stage:"):
        return "stages"
    if column == "days_between_orders":
        return "rhythm"
    return "activity"


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


def _event_features(ws: Workspace
                    ) -> tuple[pd.Series, pd.Series, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """From the event log, on its engine: events per customer, last event time per customer,
    events per customer × channel (rows without customer or channel left out), events
    per customer × event name (the customer's actions), and
    per customer × journey stage 1 when the customer had an event of that stage
    (``stage:<id>`` columns; none when no stage lists its events)."""
    with open_events(ws) as src:  # the log's engine: DuckDB, or journey.yaml events:'s warehouse
        per = src.frame(
            "SELECT CAST(customer_id AS VARCHAR) AS cid, count(*) AS n_events, "
            "max(timestamp) AS last FROM jk_src WHERE customer_id IS NOT NULL "
            "GROUP BY 1 ORDER BY 1")
        by_channel = src.frame(
            "SELECT CAST(customer_id AS VARCHAR) AS cid, CAST(channel AS VARCHAR) AS channel, "
            "count(*) AS n FROM jk_src WHERE customer_id IS NOT NULL AND channel IS NOT NULL "
            "GROUP BY 1, 2")
        by_event = src.frame(
            "SELECT CAST(customer_id AS VARCHAR) AS cid, CAST(event AS VARCHAR) AS event, "
            "count(*) AS n FROM jk_src WHERE customer_id IS NOT NULL AND event IS NOT NULL "
            "GROUP BY 1, 2")
        mapping = ws.config.event_stage
        if mapping:
            pairs = pd.DataFrame({"event": list(mapping), "stage": list(mapping.values())}, dtype=object)
            src.register("jk_event_stage", pairs)
            reached = src.frame(
                "SELECT DISTINCT CAST(e.customer_id AS VARCHAR) AS cid, s.stage FROM jk_src e "
                "JOIN jk_event_stage s ON CAST(e.event AS VARCHAR) = s.event "
                "WHERE e.customer_id IS NOT NULL")
        else:
            reached = pd.DataFrame({"cid": pd.Series(dtype="string"),
                                    "stage": pd.Series(dtype="string")})
    index = pd.Index(per["cid"], dtype="string")
    n_events = pd.Series(per["n_events"].to_numpy(), index=index, name="n_events")
    last = pd.Series(pd.to_datetime(per["last"]).to_numpy(), index=index)
    counts = by_channel.pivot_table(index="cid", columns="channel", values="n", aggfunc="sum",
                                    fill_value=0)
    counts.index = pd.Index(counts.index, dtype="string")
    counts.columns = pd.Index(counts.columns, dtype="string")
    actions = by_event.pivot_table(index="cid", columns="event", values="n", aggfunc="sum",
                                   fill_value=0)
    actions.index = pd.Index(actions.index, dtype="string")
    actions.columns = pd.Index(actions.columns, dtype="string")
    stages = [st.id for st in ws.config.stages if st.events]
    reach = (reached.assign(one=1.0).pivot_table(index="cid", columns="stage", values="one",
                                                 aggfunc="max", fill_value=0.0)
             if len(reached) else pd.DataFrame(index=pd.Index([], name="cid")))
    reach = reach.reindex(columns=stages, fill_value=0.0)
    reach.index = pd.Index(reach.index, dtype="string")
    reach.columns = pd.Index([f"stage:{c}" for c in reach.columns], dtype="string")
    return n_events, last, counts, actions, reach


def _shares(counts: pd.DataFrame, index: pd.Index, prefix: str) -> pd.DataFrame:
    """Each customer's share of their counts per column, pulled toward everyone's mix by
    :data:`SHARE_PRIOR` pseudo-counts (customers without counts get everyone's mix);
    columns ``<prefix><name>`` sorted by name."""
    counts = counts.reindex(index).fillna(0.0).astype(float)
    total = float(counts.to_numpy().sum())
    overall = counts.sum() / total if total > 0 else counts.sum() * 0.0
    shares = (counts + SHARE_PRIOR * overall).div(counts.sum(axis=1) + SHARE_PRIOR, axis=0)
    shares.columns = [f"{prefix}{c}" for c in shares.columns]
    return shares.sort_index(axis=1)


def _days_between_orders(orders: pd.DataFrame) -> pd.Series:
    """Median days between a customer's consecutive order days (purchase rhythm); NaN for
    customers with fewer than two order days."""
    days = pd.DataFrame({"cid": orders["customer_id"].astype("string"),
                         "day": pd.to_datetime(orders["date"]).dt.normalize()})
    days = days.dropna().drop_duplicates().sort_values(["cid", "day"])
    gaps = days.groupby("cid")["day"].diff() / pd.Timedelta(days=1)
    return gaps.groupby(days["cid"]).median()


def _customer_features(ws: Workspace) -> pd.DataFrame:
    """Per customer: recency_days, frequency, monetary, n_events, days_between_orders,
    channel shares (ch:*), action shares (ev:<event>), stages reached (stage:*)."""
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
                                    "monetary": amount.groupby(cid).sum(),
                                    "days_between_orders": _days_between_orders(orders)}))
        last_seen.append(pd.to_datetime(orders["date"]).groupby(cid).max())
        if "channel" in orders:
            channel_counts.append(_count_table(cid, orders["channel"].astype("string")))
    if has_events:
        n_events, last_event, event_channels, actions, reach = _event_features(ws)
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
    if "days_between_orders" in feats:  # no second order: the slowest rhythm seen
        gaps = feats["days_between_orders"].astype(float)
        feats["days_between_orders"] = gaps.fillna(float(gaps.max()) if gaps.notna().any() else 0.0)
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
        feats = feats.join(_shares(pd.concat(channel_counts).groupby(level=0).sum(), index,
                                   "ch:"))
    if has_events and actions.shape[1]:
        feats = feats.join(_shares(actions, index, "ev:"))
    if has_events and reach.shape[1]:
        feats = feats.join(reach.reindex(index).fillna(0.0))
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
    inactive), in four groups: *activity* — recency (days since last order/event at
    the data's last date), frequency (orders), monetary value (total spend), number of
    events; *channels* — the channel mix (share of the customer's orders and events per
    channel, ``ch:<channel>``); *actions* — what they do (share of their events of each
    kind, ``ev:<event>``: test rides, phone calls, repairs booked, ...); *stages* — 1 for
    each journey stage the customer had an event of (``stage:<id>``, stages that list
    their events); *rhythm* — the median days between the customer's order days
    (``days_between_orders``; fewer than two order days: the slowest rhythm seen).
    Shares are pulled toward everyone's mix by :data:`SHARE_PRIOR` pseudo-events (a
    customer with three events is not sure evidence of a channel), counts, money and days
    are log1p-transformed, everything is standardised (mean 0, standard deviation 1), each
    group is scaled to the weight of :data:`BLOCK_WEIGHTS` (channels and actions 1,
    activity 0.3, stages and rhythm 0.15; a group's columns share its weight), then k-means groups them (Lloyd's algorithm from k-means++ starts, the best of 10
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
    for column in ("frequency", "monetary", "n_events", "days_between_orders"):
        if column in matrix:
            matrix[column] = np.log1p(matrix[column].clip(lower=0))
    matrix = matrix.loc[:, matrix.std(ddof=0) > 0]
    if matrix.shape[1] == 0:
        raise JourneykitError("suggest_segments: every customer looks the same (no variation)")
    values = matrix.to_numpy(dtype=float)
    x = (values - values.mean(axis=0)) / values.std(axis=0)
    blocks = [_block(str(c)) for c in matrix.columns]
    sizes = pd.Series(blocks).value_counts()
    x = x * np.array([BLOCK_WEIGHTS[b] / np.sqrt(sizes[b]) for b in blocks])
    n_distinct = len(np.unique(x.round(9), axis=0))

    def fit(n_clusters: int) -> np.ndarray:
        return kmeans(x, n_clusters, n_init=10, random_state=random_state)

    from threadpoolctl import threadpool_limits

    # one BLAS thread for the distance products: thread pools on a busy small machine
    # make them many times slower; limits set once, not per fit
    with threadpool_limits(limits=1):
        k_used, raw, scores = choose_k(x, fit, k, random_state, max_silhouette_sample,
                                        n_distinct)
    return _segments_result(ws, feats, matrix, k_used, raw, scores)



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
