# The analyst-facing API of journeykit: what the notebooks call and the result types they get.
# This stub is the one list of public names: journeykit/__init__.py loads each on first use
# (lazy_loader.attach_stub reads this file), and editors and mypy read it as the package's types.
from .analytics.clv import (
    BGNBDFit,
    GammaGammaFit,
    HistoricalCLV,
    calibration_and_holdout,
    fit_bgnbd,
    fit_gamma_gamma,
    historical_clv,
    predict_clv,
    repeat_purchase_tracking,
    rfm_summary,
)
from .analytics.clv.customers import customers_clv
from .analytics.definitions import semantics
from .analytics.events import (
    funnel,
    funnel_dropouts,
    paths,
    retention,
    stage_funnel,
    step_matrix,
    transitions,
)
from .analytics.events.conversion import TimeToConvert, time_to_convert
from .analytics.events.engines import warehouse_events
from .analytics.events.dropouts import stage_dropouts
from .analytics.events.pathflows import paths_after, paths_before
from .analytics.events.retention import retention_curves
from .analytics.events.trend import FunnelTrend, funnel_trend
from .analytics.journey import (
    ObservedJourney,
    observed_journey,
    off_map_events,
    off_map_paths,
    stage_funnel_left_out,
    stage_funnel_notes,
    stage_reach,
)
from .analytics.kpis import (
    CESResult,
    CSATResult,
    NPSResult,
    ces,
    csat,
    kpi_table,
    nps,
    workspace_metrics,
)
from .analytics.painpoints import action_plan, export_action_plan, score_pain_points
from .analytics.personas.cards import persona_cards
from .analytics.personas.segments import SegmentSuggestion, suggest_segments
from .analytics.scorecard import scorecard, what_changed
from .analytics.voice import (
    analyze_feedback,
    candidate_themes,
    emotion_curve,
    linked_feedback,
    mask_pii,
    sentiment,
    voice_scores,
)
from .core.durations import parse_duration
from .core.errors import JourneykitError, Problem, WorkspaceError, problems_frame
from .run.history import kpi_history, previous_metrics
from .run.outputs import Outputs
from .sample.simulation import generate_sample
from .viz.charts import (
    emotion_curve_chart,
    funnel_chart,
    impact_effort_matrix,
    persona_card_figure,
    retention_heatmap,
)
from .viz.clv_charts import tracking_chart
from .viz.conversion_charts import time_to_convert_chart
from .viz.designed import coverage_heatmap, designed_vs_observed
from .viz.display import setup_notebook
from .viz.funnel_trend import funnel_trend_chart
from .viz.journey_map import journey_map
from .viz.kpi_charts import kpi_by_group, kpi_trend
from .viz.path_flows import path_flow_chart
from .viz.widgets.filters import filter_bar
from .viz.widgets.personas import persona_editor
from .viz.widgets.scorer import painpoint_scorer
from .viz.widgets.touchpoints import touchpoint_editor
from .viz.widgets.workshop import room_votes, workshop_app
from .workspace.loader import load_workspace, validate_workspace
from .workspace.locations import resolve_workspace
from .workspace.model import Workspace
from .workspace.saving import save_table
from .workspace.scaffold import new_workspace

__version__: str

__all__ = [
    "BGNBDFit",
    "CESResult",
    "CSATResult",
    "FunnelTrend",
    "GammaGammaFit",
    "HistoricalCLV",
    "JourneykitError",
    "NPSResult",
    "ObservedJourney",
    "Outputs",
    "Problem",
    "SegmentSuggestion",
    "TimeToConvert",
    "Workspace",
    "WorkspaceError",
    "action_plan",
    "analyze_feedback",
    "calibration_and_holdout",
    "candidate_themes",
    "ces",
    "coverage_heatmap",
    "csat",
    "customers_clv",
    "designed_vs_observed",
    "emotion_curve",
    "emotion_curve_chart",
    "export_action_plan",
    "filter_bar",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "funnel",
    "funnel_chart",
    "funnel_dropouts",
    "funnel_trend",
    "funnel_trend_chart",
    "generate_sample",
    "historical_clv",
    "impact_effort_matrix",
    "journey_map",
    "kpi_by_group",
    "kpi_history",
    "kpi_table",
    "kpi_trend",
    "linked_feedback",
    "load_workspace",
    "mask_pii",
    "new_workspace",
    "nps",
    "observed_journey",
    "off_map_events",
    "off_map_paths",
    "paths",
    "paths_after",
    "paths_before",
    "path_flow_chart",
    "persona_card_figure",
    "persona_cards",
    "persona_editor",
    "painpoint_scorer",
    "parse_duration",
    "predict_clv",
    "previous_metrics",
    "problems_frame",
    "repeat_purchase_tracking",
    "resolve_workspace",
    "retention",
    "retention_curves",
    "retention_heatmap",
    "rfm_summary",
    "save_table",
    "score_pain_points",
    "scorecard",
    "semantics",
    "sentiment",
    "setup_notebook",
    "stage_dropouts",
    "stage_funnel",
    "stage_funnel_left_out",
    "stage_funnel_notes",
    "stage_reach",
    "step_matrix",
    "suggest_segments",
    "time_to_convert",
    "time_to_convert_chart",
    "touchpoint_editor",
    "tracking_chart",
    "transitions",
    "validate_workspace",
    "voice_scores",
    "warehouse_events",
    "what_changed",
    "workspace_metrics",
    "room_votes",
    "workshop_app",
]
