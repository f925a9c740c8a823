"""Personas with evidence: card data from the workspace, and data-driven segments.

* :func:`persona_cards` — one row per persona of the workshop (name, quote, goals,
  …) joined with what the data says about that persona's customers: share of
  customers, share of revenue, CLV, NPS and the top pain point.
* :func:`suggest_segments` — customer segments found in the data (recency,
  frequency, monetary value, channel mix, stages reached, purchase rhythm; k-means),
  described in words and matched to the closest workshop persona: evidence for or
  against the personas.

Customers belong to a persona through ``ws.customers.persona_id`` (blank =
unassigned). Both functions need only what the workspace has; columns whose data is
missing are NaN, never an error.

Example:
    >>> cards = persona_cards(ws)                                  # doctest: +SKIP
    >>> cards[["name", "share_customers", "nps", "top_pain_point"]]  # doctest: +SKIP
    >>> seg = suggest_segments(ws)                                 # doctest: +SKIP
    >>> seg.segments[["segment", "description", "closest_persona"]]  # doctest: +SKIP
"""

from journeykit.analytics.personas.cards import CARD_COLUMNS, persona_cards
from journeykit.analytics.personas.clustering import kmeans, silhouette_score
from journeykit.analytics.personas.segments import SegmentSuggestion, suggest_segments

__all__ = [
    "CARD_COLUMNS",
    "SegmentSuggestion",
    "kmeans",
    "persona_cards",
    "silhouette_score",
    "suggest_segments",
]
