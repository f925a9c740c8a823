"""journeykit: customer journey mapping for small businesses.

The public API is the names in ``__all__``. They are imported on first use, so
``import journeykit`` stays fast and a notebook pays only for what it calls.

Example:
    >>> import journeykit as jk
    >>> ws = jk.load_workspace("data/sample")           # doctest: +SKIP
    >>> jk.nps(ws.feedback["nps"]).score                 # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, ...]] = {
    "errors": ("Problem", "WorkspaceError", "JourneykitError", "problems_frame"),
    "locations": ("resolve_workspace",),
    "workspace": ("Workspace", "load_workspace", "validate_workspace", "save_table"),
    "scaffold": ("new_workspace",),
    "sample": ("generate_sample",),
    "events": (
        "funnel", "funnel_dropouts", "stage_funnel", "paths", "transitions",
        "step_matrix", "retention", "parse_duration",
    ),
    "kpis": (
        "nps", "csat", "ces", "kpi_table", "scorecard", "kpi_history",
        "what_changed", "workspace_metrics", "previous_metrics",
    ),
    "clv": ("rfm_summary", "fit_bgnbd", "fit_gamma_gamma", "predict_clv", "historical_clv"),
    "feedback": ("analyze_feedback", "emotion_curve", "candidate_themes", "sentiment", "mask_pii"),
    "painpoints": ("score_pain_points", "action_plan", "export_action_plan"),
    "personas": ("persona_cards", "suggest_segments"),
    "charts": (
        "journey_map", "designed_vs_observed", "coverage_heatmap", "funnel_chart",
        "retention_heatmap", "emotion_curve_chart", "impact_effort_matrix",
        "kpi_trend", "kpi_by_group", "persona_card_figure",
    ),
    "widgets": ("persona_editor", "touchpoint_editor", "painpoint_scorer", "filter_bar"),
    "outputs": ("Outputs",),
    "display": ("setup_notebook",),
    "definitions": ("semantics",),
    "runner": ("run_notebooks",),
    "report": ("build_report",),
}

_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'journeykit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"journeykit.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from journeykit.errors import JourneykitError, Problem, WorkspaceError  # noqa: F401
