"""The journey report: one self-contained ``index.html`` built from a run folder.

:func:`build_report` reads what the notebooks and the runner left in a run folder
(``figures.json`` + PNGs, ``tables/*.csv``, ``metrics.json``, ``notes.json``,
``manifest.json``) and renders ``templates/report.html.j2`` with Jinja2
(``autoescape=True``: text from data is always escaped, never concatenated into HTML).
Images are embedded as ``data:`` URIs and the CSS is inline, so the file reads offline;
a Content-Security-Policy forbids scripts and any request to the network. Missing
artefacts make their section say so instead of failing.

Sections: summary (top priorities, KPI scorecard with status, what changed since the
previous run), journey map, personas, touchpoints, pain points and action plan, KPIs
and funnel, data notes (semantics used, coverage, quarantined rows, the manifest).

The views and number formatting are in :mod:`journeykit.viz.report.views`; the
``journeykit report list`` / ``diff`` commands in :mod:`journeykit.run.cli`.

Example:
    >>> build_report("reports/20261122T195300Z")     # doctest: +SKIP
    PosixPath('reports/20261122T195300Z/index.html')
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from journeykit.analytics.scorecard import scorecard, what_changed
from journeykit.core.errors import JourneykitError
from journeykit.core.metrics import normalise_metric
from journeykit.core.privacy import mask_pii
from journeykit.core.safety import atomic_write_bytes, read_json
from journeykit.viz.report.views import (
    FigureView,
    SectionView,
    change_rows,
    display_text,
    metric_rows,
    scorecard_rows,
    table_view,
    title_from_name,
    to_float,
)

__all__ = ["CUSTOMER_LISTS", "SECTIONS", "TEMPLATES", "TOP_PRIORITIES", "build_report", "read_metrics", "section_for"]

TEMPLATES = Path(__file__).parent / "templates"
TOP_PRIORITIES = 5

#: (section id, heading) in report order
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("journey", "Journey map"),
    ("personas", "Personas"),
    ("touchpoints", "Touchpoints"),
    ("painpoints", "Pain points and action plan"),
    ("kpis", "KPIs and funnel"),
    ("notes", "Data notes"),
)
_SECTION_IDS = {sid for sid, _ in SECTIONS}

#: first matching keyword (in the figure/table name, then the notebook name) decides the section
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("semantics", "notes"), ("rejected", "notes"), ("quarantine", "notes"), ("problem", "notes"), ("coverage", "notes"),
    ("data_present", "notes"), ("analysis_plan", "notes"), ("environment", "notes"),
    ("journey_map", "journey"), ("designed_vs_observed", "journey"), ("emotion", "journey"),
    ("what_changed", "summary"), ("scorecard", "kpis"),
    ("action_plan", "painpoints"), ("pain", "painpoints"), ("impact", "painpoints"),
    ("theme", "painpoints"), ("opportunit", "painpoints"),
    ("funnel", "kpis"), ("kpi", "kpis"), ("retention", "kpis"), ("clv", "kpis"), ("path", "kpis"),
    ("nps", "kpis"), ("csat", "kpis"), ("ces", "kpis"), ("cohort", "kpis"), ("trend", "kpis"),
    ("persona", "personas"), ("segment", "personas"),
    ("touchpoint", "touchpoints"), ("channel", "touchpoints"),
    ("start_here", "notes"), ("journey", "journey"),
)
#: tables shown in the summary rather than again in their section
_SUMMARY_TABLES = {"scorecard", "what_changed", "action_plan_top"}


def section_for(name: str, notebook: str = "", explicit: str | None = None) -> str:
    """The report section of a figure or table, from an explicit ``section`` or keywords.

    >>> section_for("stage_funnel", "04_kpis"), section_for("bars", "01_personas")
    ('kpis', 'personas')
    """
    if explicit in _SECTION_IDS:
        return str(explicit)
    for text in (name.lower(), notebook.lower()):
        for keyword, section in _KEYWORDS:
            if keyword in text:
                return section
    return "notes"


def _topic_rank(name: str) -> int:
    """Position of the first keyword in ``name`` (the journey map before the emotion
    curve, funnels before retention, ...): figures in a section follow this order."""
    lowered = name.lower()
    return next((rank for rank, (keyword, _) in enumerate(_KEYWORDS) if keyword in lowered), len(_KEYWORDS))


# -- reading the run folder -------------------------------------------------------------


def _inside(run_dir: Path, relative: object) -> Path | None:
    """``run_dir / relative`` when it stays inside the run folder (no ``..`` escapes)."""
    if not isinstance(relative, str) or not relative:
        return None
    candidate = (run_dir / relative).resolve()
    root = run_dir.resolve()
    return candidate if root in candidate.parents and candidate.is_file() else None


def _read_table(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None


def _figure_views(run_dir: Path) -> list[tuple[str, FigureView]]:
    entries = read_json(run_dir / "figures.json")
    if not isinstance(entries, list):
        return []
    views = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        png = _inside(run_dir, entry.get("png"))
        if png is None or png.suffix.lower() != ".png":
            continue
        data = png.read_bytes()
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            continue
        name = str(entry.get("name", png.stem))
        notebook = str(entry.get("notebook", ""))
        view = FigureView(
            name=name, notebook=notebook, title=display_text(entry.get("title") or title_from_name(name)),
            alt=display_text(entry.get("alt") or entry.get("title") or name),
            src="data:image/png;base64," + base64.b64encode(data).decode("ascii"),
            svg=entry.get("svg") if _inside(run_dir, entry.get("svg")) else None,
        )
        views.append((section_for(name, notebook, entry.get("section")), view))
    return views


def read_metrics(run_dir: str | os.PathLike | None) -> dict[str, Any] | None:
    """The ``metrics.json`` of a run folder, each metric in the one record shape of
    :func:`journeykit.core.metrics.normalise_metric`; None when there is none (a failed
    run) or it is not a ``{"run_id", "metrics": {...}}`` document."""
    if run_dir is None:
        return None
    doc = read_json(Path(run_dir) / "metrics.json")
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        return None
    metrics = {str(name): normalise_metric(str(name), value) for name, value in doc["metrics"].items()}
    return {**doc, "metrics": metrics}


# -- building ----------------------------------------------------------------------------


def _seconds(value: object) -> str:
    seconds = to_float(value)
    return "–" if seconds is None else f"{seconds:.1f} s"


def _problem_rows(problems: object) -> list[dict[str, Any]]:
    """The manifest's workspace problems for the template, every text masked
    (:func:`~journeykit.core.privacy.mask_pii`), whoever wrote the manifest."""
    if not isinstance(problems, list):
        return []
    return [{key: mask_pii(value) for key, value in p.items()} for p in problems if isinstance(p, Mapping)]


#: the customer lists a run writes at the top of its folder (Outputs.customer_list), in report order
CUSTOMER_LISTS: tuple[tuple[str, str], ...] = (
    ("dropouts.csv", "the customers who dropped off at each funnel step (column step), with their "
                     "last event, its time and channel"),
    ("customers_clv.csv", "every customer's expected purchases and 12-month CLV (BG/NBD + Gamma-Gamma) "
                          "and the probability they are still active"),
)


def _customer_lists(run: Path) -> list[dict[str, str]]:
    """Links to the run's customer lists (the only files with customer ids; the report
    shows none of them), with their row counts."""
    links = []
    for name, what in CUSTOMER_LISTS:
        path = run / name
        if not path.is_file():
            continue
        frame = _read_table(path)
        rows = f"{len(frame):,} customer{'s' if len(frame) != 1 else ''}" if frame is not None else "unreadable"
        links.append({"href": name, "text": what, "rows": rows})
    return links


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    return env


def build_report(run_dir: str | os.PathLike, *, previous_run_dir: str | os.PathLike | None = None) -> Path:
    """Write ``<run_dir>/index.html``, the self-contained journey report, and return its path.

    ``previous_run_dir`` is the previous successful run (its ``metrics.json`` feeds
    "what changed"); None means this is the first run. Every artefact is optional.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise JourneykitError(f"run folder not found: {run}")
    manifest = read_json(run / "manifest.json")
    manifest = manifest if isinstance(manifest, dict) else {}
    metrics_doc = read_metrics(run) or {"run_id": manifest.get("run_id", run.name), "metrics": {}}
    metrics = metrics_doc["metrics"]
    notes = read_json(run / "notes.json")
    notes = [n for n in notes if isinstance(n, Mapping)] if isinstance(notes, list) else []

    sections = {sid: SectionView(sid, heading) for sid, heading in SECTIONS}
    for section, figure_view in _figure_views(run):
        sections[section].figures.append(figure_view)
    for view in sections.values():  # notebooks finish in any order: sort by topic, then notebook
        view.figures.sort(key=lambda figure: (_topic_rank(figure.name), figure.notebook))

    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(run.glob("tables/*.csv")):
        frame = _read_table(path)
        if frame is not None:
            tables[path.stem] = frame
    if "action_plan" not in tables and (run / "action_plan.csv").is_file():
        frame = _read_table(run / "action_plan.csv")
        if frame is not None:
            tables["action_plan"] = frame
    for name, frame in tables.items():
        if name in _SUMMARY_TABLES:
            continue
        sections[section_for(name)].tables.append(table_view(frame, name))

    # summary: top priorities, scorecard, what changed
    plan = tables.get("action_plan")
    if plan is None:
        plan = tables.get("action_plan_top")
    plan_file = "action_plan.csv" if (run / "action_plan.csv").is_file() else "tables/action_plan.csv"
    priorities = table_view(plan, "top_priorities", max_rows=TOP_PRIORITIES, title="Top priorities",
                            source=plan_file) if plan is not None and len(plan) else None
    card = tables.get("scorecard")
    if card is None and metrics and isinstance(manifest.get("kpi_targets"), Mapping) and manifest["kpi_targets"]:
        card = scorecard(metrics, manifest["kpi_targets"])
    previous_doc = read_metrics(previous_run_dir) if previous_run_dir else None
    if previous_doc is not None and metrics:
        changes = change_rows(what_changed(previous_doc, metrics_doc), metrics)
    else:
        changes = []
    previous_id = previous_doc.get("run_id") if previous_doc else None

    grouped_notes: dict[str, list[dict[str, str]]] = {}
    for note in notes:
        kind = str(note.get("kind") or "note")
        grouped_notes.setdefault(kind, []).append(
            {"notebook": str(note.get("notebook") or ""), "text": display_text(note.get("text") or "")}
        )

    html_notebooks = [
        {"name": p.stem, "href": f"notebooks/{p.name}"} for p in sorted(run.glob("notebooks/*.html"))
    ]
    context = {
        "business": str(manifest.get("business") or "Customer journey"),
        "run_id": str(manifest.get("run_id") or run.name),
        "manifest": manifest,
        "started": str(manifest.get("started") or ""),
        "sections": [sections[sid] for sid, _ in SECTIONS],
        "priorities": priorities,
        "scorecard": scorecard_rows(card) if card is not None and len(card) else [],
        "metric_rows": metric_rows(metrics),
        "changes": changes,
        "previous_run": previous_id,
        "has_previous": previous_run_dir is not None,
        "notes": grouped_notes,
        "note_order": ["semantics", "coverage", "quarantine", "skipped", "warning"],
        "notebooks": manifest.get("notebooks") if isinstance(manifest.get("notebooks"), list) else [],
        "html_notebooks": html_notebooks,
        "parameters": manifest.get("parameters") if isinstance(manifest.get("parameters"), Mapping) else {},
        "versions": manifest.get("versions") if isinstance(manifest.get("versions"), Mapping) else {},
        "inputs": manifest.get("inputs") if isinstance(manifest.get("inputs"), list) else [],
        "problems": _problem_rows(manifest.get("workspace_problems")),
        "fmt_seconds": _seconds,
        "customer_lists": _customer_lists(run),
    }
    html = _environment().get_template("report.html.j2").render(**context)
    return atomic_write_bytes(run / "index.html", html.encode("utf-8"))
