"""Pain points and opportunities: evidence, a transparent priority score, an action plan.

* :mod:`~journeykit.analytics.painpoints.formula` — the components, the priority formula,
  the quadrants and the confidence (with their constants);
* :mod:`~journeykit.analytics.painpoints.evidence` — the voice of the customer, reach and
  drop-off (from the event analyses) and the money behind each touchpoint;
* :mod:`~journeykit.analytics.painpoints.score` — :func:`score_pain_points`: the workshop's
  entries and the discovered pain points in one table;
* :mod:`~journeykit.analytics.painpoints.plan` — :func:`action_plan` and
  :func:`export_action_plan`.

Example:
    >>> quadrant(0.8, 2)
    'quick win'
"""

from journeykit.analytics.painpoints.evidence import FAILURE_WORDS
from journeykit.analytics.painpoints.formula import (
    COMPONENT_FLOOR,
    COMPONENT_UNKNOWN,
    CONFIDENCE_HALF,
    DEFAULT_EFFORT,
    DEFAULT_WEIGHTS,
    EFFORT_THRESHOLD,
    IMPACT_THRESHOLD,
    WORKSHOP_PRIOR_N,
    component_value,
    confidence_from_n,
    priority_score,
    quadrant,
)
from journeykit.analytics.painpoints.plan import PLAN_COLUMNS, action_plan, export_action_plan
from journeykit.analytics.painpoints.score import SCORE_COLUMNS, score_pain_points

__all__ = [
    "COMPONENT_FLOOR",
    "COMPONENT_UNKNOWN",
    "CONFIDENCE_HALF",
    "DEFAULT_EFFORT",
    "DEFAULT_WEIGHTS",
    "EFFORT_THRESHOLD",
    "FAILURE_WORDS",
    "IMPACT_THRESHOLD",
    "PLAN_COLUMNS",
    "SCORE_COLUMNS",
    "WORKSHOP_PRIOR_N",
    "action_plan",
    "component_value",
    "confidence_from_n",
    "export_action_plan",
    "priority_score",
    "quadrant",
    "score_pain_points",
]
