"""The journey report: one self-contained ``index.html`` built from a run folder.

:func:`build_report` reads what the notebooks and the runner left in a run folder
(``figures.json`` + PNGs, ``tables/*.csv``, ``metrics.json``, ``notes.json``,
``manifest.json``) and renders ``templates/report.html.j2`` with Jinja2
(``autoescape=True``: text from data is always escaped, never concatenated into HTML).
Images are embedded as ``data:`` URIs and the CSS is inline, so the file reads offline;
a Content-Security-Policy forbids scripts and any request to the network. Missing
artefacts make their section say so instead of failing.

The report reads top to bottom in ten minutes: the Summary (3–5 findings written from
the data, each with its n and a link to its section; rows set aside per table; top
priorities, the KPI scorecard, what changed since the previous run), the journey map on
its own full-width page, one section per question — who are our customers, where do they
drop off, what hurts, are we improving — and an appendix of collapsed ``<details>``: the
technical tables, data notes (warnings summarised by kind), definitions and the run
manifest. Every table follows the presentation rules of
:mod:`journeykit.viz.report.tables`; each table and figure is shown once.

The views and number formatting are in :mod:`journeykit.viz.report.views`, the findings
in :mod:`journeykit.viz.report.findings`; the ``journeykit report list`` / ``diff``
commands in :mod:`journeykit.run.cli`.

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
from journeykit.viz.report.findings import findings, quarantine_lines
from journeykit.viz.report.tables import LINKED_ONLY, Names, generic_view, humanise, present
from journeykit.viz.report.views import (
    FigureView,
    SectionView,
    TableView,
    change_rows,
    display_text,
    format_count,
    metric_rows,
    scorecard_rows,
    strip_source_paths,
    title_from_name,
    to_float,
    warning_kinds,
)

__all__ = ["DOWNLOADS", "SECTIONS", "TEMPLATES", "TOP_PRIORITIES", "build_report", "read_metrics", "section_for"]

TEMPLATES = Path(__file__).parent / "templates"
TOP_PRIORITIES = 5

#: (section id, heading) in report order
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("journey", "Journey map"),
    ("customers", "Who are our customers?"),
    ("dropoff", "Where do they drop off?"),
    ("hurts", "What hurts?"),
    ("improving", "Are we improving?"),
    ("appendix", "Appendix: tables, data notes and definitions"),
)
_SECTION_IDS = {sid for sid, _ in SECTIONS}
_QUESTIONS = {
    "customers": "The personas your team wrote, next to what the data says about their customers.",
    "dropoff": "How many customers reach each stage of the journey, and where they leave.",
    "hurts": "How customers feel along the way, and the pain points ranked by what fixing them is worth.",
    "improving": "The KPIs of this run, their trend across runs, and satisfaction by stage.",
}

#: first matching keyword (in the figure/table name, then the notebook name) decides the section
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("semantics", "appendix"), ("rejected", "appendix"), ("quarantine", "appendix"), ("problem", "appendix"),
    ("coverage", "appendix"), ("data_present", "appendix"), ("analysis_plan", "appendix"),
    ("environment", "appendix"),
    ("journey_map", "journey"),
    ("what_changed", "summary"),
    ("dropout", "dropoff"), ("conversion_over_time", "dropoff"), ("funnel", "dropoff"),
    ("designed_vs_observed", "dropoff"), ("path", "dropoff"), ("transition", "dropoff"),
    ("emotion", "hurts"), ("action_plan", "hurts"), ("pain", "hurts"), ("impact", "hurts"),
    ("theme", "hurts"), ("opportunit", "hurts"),
    ("persona", "customers"), ("segment", "customers"), ("clv", "customers"), ("customer", "customers"),
    ("scorecard", "improving"), ("kpi", "improving"), ("retention", "improving"), ("nps", "improving"),
    ("csat", "improving"), ("ces", "improving"), ("cohort", "improving"), ("trend", "improving"),
    ("touchpoint", "appendix"), ("channel", "appendix"),
    ("start_here", "appendix"), ("journey", "journey"),
)
#: figures and tables of another engineer's "who dropped off" outputs go in their slot
_DROPOUT_WORDS = ("dropout", "conversion_over_time", "funnel_trend", "weekly_conversion")
#: files a reader downloads from the run folder (root or tables/), linked when present
DOWNLOADS: tuple[tuple[str, str], ...] = (
    ("dropouts.csv", "Customers who dropped off at each step"),
    ("customers_clv.csv", "Expected purchases, probability alive and 12-month CLV per customer"),
    ("action_plan.xlsx", "The action plan as a spreadsheet"),
    ("action_plan.csv", "The action plan as CSV"),
)


def section_for(name: str, notebook: str = "", explicit: str | None = None) -> str:
    """The report section of a figure or table, from an explicit ``section`` or keywords.

    >>> section_for("stage_funnel", "04_kpis"), section_for("bars", "01_personas")
    ('dropoff', 'customers')
    """
    if explicit in _SECTION_IDS:
        return str(explicit)
    for text in (name.lower(), notebook.lower()):
        for keyword, section in _KEYWORDS:
            if keyword in text:
                return section
    return "appendix"


def _topic_rank(name: str) -> int:
    """Position of the first keyword in ``name`` (funnels before paths, the emotion curve
    before the impact/effort chart, ...): figures in a section follow this order."""
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


def _problem_kinds(problems: object, *, limit: int = 15) -> tuple[list[dict[str, str]], int]:
    """The manifest's workspace problems summarised by kind (file, column, what was
    expected): count, one example row and value, most frequent first, every text masked
    (:func:`~journeykit.core.privacy.mask_pii`); and the number of problems."""
    if not isinstance(problems, list):
        return [], 0
    groups: dict[tuple[str, str, str, str], list[Mapping[str, Any]]] = {}
    for problem in problems:
        if not isinstance(problem, Mapping):
            continue
        key = tuple(display_text(problem.get(k) or "") for k in ("severity", "file", "column", "expected"))
        groups.setdefault(key, []).append(problem)  # type: ignore[arg-type]
    ranked = sorted(groups.items(), key=lambda item: len(item[1]), reverse=True)
    rows = []
    for (severity, file, column, expected), items in ranked[:limit]:
        first = items[0]
        example = display_text(first.get("value") or "")
        row = display_text(first.get("row") or "")
        rows.append({"severity": severity or "warning", "file": str(mask_pii(file)), "column": str(mask_pii(column)),
                     "expected": str(mask_pii(strip_source_paths(expected))), "count": format_count(len(items)),
                     "example": (f"row {row}: " if row else "") + example})
    return rows, sum(len(items) for items in groups.values())


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def _read_tables(run: Path) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(run.glob("tables/*.csv")):
        frame = _read_table(path)
        if frame is not None:
            tables[path.stem] = frame
    if "action_plan" not in tables and (run / "action_plan.csv").is_file():
        frame = _read_table(run / "action_plan.csv")
        if frame is not None:
            tables["action_plan"] = frame
    if "action_plan" not in tables:  # an older notebook 05 saved the plan as top priorities
        for name in ("top_priorities", "action_plan_top"):
            if name in tables:
                tables["action_plan"] = tables[name]
                break
    return tables


def _currency(metrics: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    if manifest.get("currency"):
        return display_text(manifest["currency"])
    for name in ("average_order_value", "historical_clv"):
        unit = (metrics.get(name) or {}).get("unit")
        if unit:
            return display_text(unit)
    return ""


#: the customer lists among the downloads: the only files of a run with customer ids
CUSTOMER_LISTS = ("dropouts.csv", "customers_clv.csv")


def _downloads(run: Path) -> list[dict[str, Any]]:
    """Links to the run's downloadable files that exist; the customer lists with their
    row counts (the report itself shows none of their ids)."""
    found: list[dict[str, Any]] = []
    for name, text in DOWNLOADS:
        for candidate in (name, f"tables/{name}"):
            if (run / candidate).is_file():
                link: dict[str, Any] = {"href": candidate, "text": text, "rows": "",
                                        "customers": name in CUSTOMER_LISTS}
                if name in CUSTOMER_LISTS:
                    frame = _read_table(run / candidate)
                    link["rows"] = (f"{len(frame):,} customer{'s' if len(frame) != 1 else ''}"
                                    if frame is not None else "unreadable")
                found.append(link)
                break
    return found


def _place_figures(run: Path, sections: dict[str, SectionView]) -> list[FigureView]:
    """Put every figure in its section, in topic order; return the "who dropped off"
    figures (their own slot in the drop-off section)."""
    dropout_figures = []
    for section, figure_view in _figure_views(run):
        if any(word in figure_view.name.lower() for word in _DROPOUT_WORDS):
            dropout_figures.append(figure_view)
        else:
            sections[section].figures.append(figure_view)
    for view in sections.values():  # notebooks finish in any order: sort by topic, then notebook
        view.figures.sort(key=lambda figure: (_topic_rank(figure.name), figure.notebook))
    return dropout_figures


def _priorities(plan: pd.DataFrame | None, names: Names, plan_file: str) -> tuple[TableView | None, TableView | None]:
    """The top of the action plan for the Summary and the rest of it for "What hurts":
    each item shown once."""
    if plan is None or not len(plan):
        return None, None
    _, top = present(plan.head(TOP_PRIORITIES), "action_plan", names)
    keep = [k for k, header in enumerate(top.columns) if header in _SUMMARY_PLAN_COLUMNS]
    keep = keep if "Pain point" in top.columns else list(range(len(top.columns)))  # a plan of another shape
    top = TableView(name="top_priorities", title="Top priorities", columns=[top.columns[k] for k in keep],
                    rows=[[row[k] for k in keep] for row in top.rows], total_rows=len(plan), source=plan_file)
    rest = None
    if len(plan) > TOP_PRIORITIES:
        _, rest = present(plan.iloc[TOP_PRIORITIES:], "action_plan", names)
        rest.title = f"The rest of the action plan (ranks {TOP_PRIORITIES + 1}–{len(plan)})"
        rest.source, rest.total_rows = plan_file, len(plan) - TOP_PRIORITIES
    return top, rest


#: the columns of the action plan the Summary shows (the whole plan is in "What hurts?")
_SUMMARY_PLAN_COLUMNS = ("Rank", "Pain point", "Where", "Owner", "First step", "KPI to watch")


def _owner_line(tables: Mapping[str, pd.DataFrame]) -> str:
    """What the report says about touchpoint owners: only what the tables show."""
    touchpoints, unowned = tables.get("touchpoints"), tables.get("touchpoints_without_owner")
    if touchpoints is None or unowned is None or not len(touchpoints):
        return ""
    if unowned.empty:
        return f"Every touchpoint has an owner ({format_count(len(touchpoints))} touchpoints)."
    if len(unowned) == len(touchpoints):
        return f"None of the {format_count(len(touchpoints))} touchpoints has an owner yet."
    return f"{format_count(len(unowned))} of {format_count(len(touchpoints))} touchpoints have no owner yet."


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

    sections = {sid: SectionView(sid, heading, _QUESTIONS.get(sid, "")) for sid, heading in SECTIONS}
    dropout_figures = _place_figures(run, sections)
    tables = _read_tables(run)
    names = Names.from_tables(tables, _currency(metrics, manifest))
    dropout_tables: list[TableView] = []
    for name, frame in tables.items():
        if name in LINKED_ONLY or name == "action_plan" or name.startswith("rejected_"):
            continue
        if name == "touchpoints_without_owner" and frame.empty:
            continue
        section, view = present(frame, name, names)
        if any(word in name.lower() for word in _DROPOUT_WORDS):
            dropout_tables.append(view)
        else:
            sections[section].tables.append(view)

    plan_file = "action_plan.csv" if (run / "action_plan.csv").is_file() else "tables/action_plan.csv"
    priorities, plan_rest = _priorities(tables.get("action_plan"), names, plan_file)
    if plan_rest is not None:
        sections["hurts"].tables.insert(0, plan_rest)
    card = tables.get("scorecard")
    if card is None and metrics and isinstance(manifest.get("kpi_targets"), Mapping) and manifest["kpi_targets"]:
        card = scorecard(metrics, manifest["kpi_targets"]).astype(str)
    previous_doc = read_metrics(previous_run_dir) if previous_run_dir else None
    changes = change_rows(what_changed(previous_doc, metrics_doc), metrics) if previous_doc and metrics else []
    previous_id = previous_doc.get("run_id") if previous_doc else None
    targeted = set(card["kpi"].astype(str)) if card is not None and "kpi" in card else set()

    # notes: skipped analyses say so in their section; the rest are data notes
    grouped_notes: dict[str, list[dict[str, str]]] = {}
    warning_texts: list[str] = []
    for note in notes:
        kind = str(note.get("kind") or "note")
        text = display_text(strip_source_paths(note.get("text") or ""))
        notebook = str(note.get("notebook") or "")
        if kind == "warning":
            warning_texts.append(text)
            continue
        if kind == "skipped":
            target = section_for(text.lower().replace(" ", "_"), notebook)
            if target not in ("appendix", "summary"):
                sections[target].lines.append(text)
                continue
        grouped_notes.setdefault(kind, []).append({"notebook": notebook, "text": text})
    owner_line = _owner_line(tables)
    problem_kinds, n_problems = _problem_kinds(manifest.get("workspace_problems"))
    quarantined_rows = manifest.get("quarantined_rows")
    quarantined: Mapping[str, Any] = quarantined_rows if isinstance(quarantined_rows, Mapping) else {}
    semantics = tables.get("semantics")

    html_notebooks = [
        {"name": p.stem, "href": f"notebooks/{p.name}"} for p in sorted(run.glob("notebooks/*.html"))
    ]
    context = {
        "business": str(manifest.get("business") or "Customer journey"),
        "run_id": str(manifest.get("run_id") or run.name),
        "manifest": manifest,
        "started": str(manifest.get("started") or ""),
        "sections": [sections[sid] for sid, _ in SECTIONS],
        "findings": findings({**tables, "scorecard": card} if card is not None else tables, metrics, changes,
                             previous=previous_id),
        "quarantine": quarantine_lines(quarantined, tables.get("data_present")),
        "bad_rows_mode": str(manifest.get("on_bad_rows") or ""),
        "priorities": priorities,
        "scorecard": scorecard_rows(card) if card is not None and len(card) else [],
        "metric_rows": [r for r in metric_rows(metrics) if r["name"] not in targeted],
        "has_metrics": bool(metrics),
        "changes": changes,
        "previous_run": previous_id,
        "has_previous": previous_run_dir is not None,
        "notes": grouped_notes,
        "note_order": ["semantics", "coverage", "quarantine", "skipped"],
        "warnings": warning_kinds(warning_texts),
        "n_warnings": len(warning_texts),
        "problem_kinds": problem_kinds,
        "n_problems": n_problems,
        "owner_line": owner_line,
        "dropout_figures": dropout_figures,
        "dropout_tables": dropout_tables,
        "downloads": _downloads(run),
        "definitions": [{"topic": display_text(t), "lines": [display_text(line) for line in str(d).splitlines()
                                                             if line.strip()]}
                        for t, d in zip(semantics["topic"], semantics["definition"], strict=True)]
        if semantics is not None and {"topic", "definition"} <= set(semantics.columns) else [],
        "csv_tables": [{"href": f"tables/{name}.csv", "text": humanise(name), "rows": format_count(len(frame))}
                       for name, frame in sorted(tables.items())],
        "rejected": [generic_view(frame, name, names, title=f"Rows of {name[len('rejected_'):]} set aside")
                     for name, frame in sorted(tables.items()) if name.startswith("rejected_")],
        "notebooks": manifest.get("notebooks") if isinstance(manifest.get("notebooks"), list) else [],
        "html_notebooks": html_notebooks,
        "parameters": manifest.get("parameters") if isinstance(manifest.get("parameters"), Mapping) else {},
        "versions": manifest.get("versions") if isinstance(manifest.get("versions"), Mapping) else {},
        "inputs": manifest.get("inputs") if isinstance(manifest.get("inputs"), list) else [],
        "fmt_seconds": _seconds,
    }
    html = _environment().get_template("report.html.j2").render(**context)
    return atomic_write_bytes(run / "index.html", html.encode("utf-8"))
