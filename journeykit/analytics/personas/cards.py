"""Persona cards: the workshop's personas joined with what the data says about them.

:func:`persona_cards` gives one row per persona of the workshop (name, quote, goals,
…) with the share of customers, share of revenue, CLV, NPS and the top pain point of
that persona's customers (``ws.customers.persona_id``; blank = unassigned). Columns
whose data is missing are NaN, never an error.

Example:
    >>> cards = persona_cards(ws)                                  # doctest: +SKIP
    >>> cards[["name", "share_customers", "nps", "top_pain_point"]]  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeykit.analytics.clv import historical_clv
from journeykit.analytics.clv.customers import customers_clv
from journeykit.analytics.kpis import nps as _nps
from journeykit.analytics.painpoints import score_pain_points
from journeykit.analytics.personas._tables import nonempty_table as _table
from journeykit.core.cells import cell_text as _text
from journeykit.core.cells import split_list as _split_list
from journeykit.core.errors import JourneykitError
from journeykit.core.privacy import mask_pii
from journeykit.workspace import Workspace

CARD_COLUMNS = [
    "id", "name", "quote", "demographics", "goals", "frustrations", "motivations",
    "preferred_channels", "n_customers", "share_customers", "share_revenue", "clv",
    "spend_to_date", "probability_alive", "nps", "nps_n", "top_pain_point",
]



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


def _alive_per_customer(ws: Workspace, orders: pd.DataFrame | None) -> pd.Series | None:
    """P(alive) per customer id with orders (BG/NBD, :func:`customers_clv`); None when
    there are no orders or the model cannot be fitted to them."""
    if orders is None:
        return None
    try:
        table = customers_clv(ws)
    except JourneykitError:  # too little repeat buying for the model: no P(alive) column
        return None
    return pd.Series(table["probability_alive"].to_numpy(float),
                     index=table["customer_id"].astype("string").to_numpy())


def _persona_pain_points(ws: Workspace, persona_ids: list[str],
                         scored: pd.DataFrame | None = None) -> dict[str, str]:
    """Top pain point text per persona id: the highest-priority pain whose touchpoint that
    persona uses — a touchpoint with a blank ``personas`` list (or a pain point without a
    touchpoint) applies to every persona — from
    :func:`journeykit.analytics.painpoints.score_pain_points`; '' when none applies."""
    touchpoints = _table(ws, "touchpoints")
    if scored is None:
        scored = score_pain_points(ws)
    ranked = scored[scored["kind"].astype("string") == "pain"].copy()
    ranked["_priority"] = pd.to_numeric(ranked["priority"], errors="coerce").fillna(-np.inf)
    ranked = ranked.sort_values("_priority", ascending=False, kind="stable")
    audience: dict[str, list[str]] = {}
    if touchpoints is not None and "personas" in touchpoints:
        for tp_id, personas in zip(touchpoints["id"], touchpoints["personas"], strict=False):
            audience[str(tp_id)] = _split_list(personas)
    result: dict[str, str] = {}
    for _, row in ranked.iterrows():
        text = _text(row.get("title")) or _text(row.get("description"))
        if not text:
            continue
        who = audience.get(_text(row.get("touchpoint")), [])
        for persona in persona_ids:
            if not who or persona in who:
                result.setdefault(persona, text)
        if len(result) == len(persona_ids):
            break
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
    orders counting 0), probability_alive (0–1: the mean, over the persona's customers
    with orders, of each customer's probability of still being an active customer at
    the last order date — BG/NBD, ``clv.customers_clv``; NaN when the model cannot be
    fitted), nps (−100…100 from
    the persona's customers' feedback, ``kpis.nps``), nps_n (answers used),
    top_pain_point (the highest-priority pain on a touchpoint that persona uses — one
    for all personas included — from
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
    # the workshop's words, with contact and account numbers masked (mask_pii); a
    # persona's name is a workshop label, not personal data, so it stays, masked likewise
    cards = pd.DataFrame({"id": personas["id"].astype("string"),
                          "name": personas["name"].astype("string").map(mask_pii).astype("string")})
    for column in ("quote", "demographics", "goals", "frustrations", "motivations",
                   "preferred_channels"):
        values = personas[column] if column in personas else pd.Series("", index=personas.index)
        cards[column] = [mask_pii(_text(v)) for v in values]

    customers = _table(ws, "customers")
    orders = _table(ws, "orders")
    feedback = _table(ws, "feedback")
    n_customers = [np.nan] * len(cards)
    share_customers = [np.nan] * len(cards)
    share_revenue = [np.nan] * len(cards)
    clv = [np.nan] * len(cards)
    spend_to_date = [np.nan] * len(cards)
    alive = [np.nan] * len(cards)
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
        alive_of = _alive_per_customer(ws, orders)
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
                if alive_of is not None:
                    values = alive_of.reindex(members).dropna()
                    alive[i] = float(values.mean()) if len(values) else np.nan
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
    cards["probability_alive"] = alive
    cards["nps"] = nps
    cards["nps_n"] = nps_n

    pains = _persona_pain_points(ws, [str(pid) for pid in cards["id"]], pain_points)
    cards["top_pain_point"] = [pains.get(str(pid), "") for pid in cards["id"]]
    return cards[CARD_COLUMNS].reset_index(drop=True)

