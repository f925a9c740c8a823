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

Also the ``journeykit report list`` / ``journeykit report diff RUN_A RUN_B`` commands.

Example:
    >>> build_report("reports/20261122T195300Z")     # doctest: +SKIP
    PosixPath('reports/20261122T195300Z/index.html')
"""

from __future__ import annotations

import argparse
import base64
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from journeykit.core.errors import JourneykitError
from journeykit.core.safety import FORMULA_STARTS, atomic_write_bytes, read_json

TEMPLATES = Path(__file__).parent / "templates"
_LONG_DECIMAL = re.compile(r"^-?\d+\.\d{5,}$")
_TIMEDELTA = re.compile(r"^(-?\d+ days? )?-?\d{1,2}:\d{2}:\d{2}\.\d+$")
MAX_TABLE_ROWS = 60
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


def display_text(value: object) -> str:
    """A cell as text for HTML: missing values blank, numbers tidy, and the apostrophe
    that neutralised a spreadsheet formula removed (HTML escaping makes it harmless).

    >>> display_text("'=SUM(A1)"), display_text(0.5), display_text(None)
    ('=SUM(A1)', '0.5', '')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.4g}"
    text = str(value)
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    if _LONG_DECIMAL.match(text):  # 0.9331476323119777 read back from a CSV
        return display_text(float(text))
    if _TIMEDELTA.match(text):  # "4 days 14:28:42.500000" -> "4 days 14:28:42"
        return text.rsplit(".", 1)[0]
    return text


def format_number(value: object, unit: str = "") -> str:
    """A KPI value for people: None as an en dash, shares as percentages.

    >>> format_number(0.8534, "share"), format_number(31.25, "points"), format_number(None)
    ('85.3%', '31.2 points', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return display_text(value)
    unit = (unit or "").strip()
    if unit in ("share", "proportion", "rate", "fraction"):
        return f"{number * 100:.1f}%"
    if unit in ("%", "percent"):
        return f"{number:.1f}%"
    text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.3g}" if abs(number) < 1 else f"{number:,.1f}"
    return f"{text} {unit}" if unit else text


@dataclass
class TableView:
    """A table ready for the template: text cells only."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    total_rows: int
    source: str = ""

    @property
    def truncated(self) -> bool:
        return self.total_rows > len(self.rows)


@dataclass
class FigureView:
    name: str
    notebook: str
    title: str
    alt: str
    src: str
    svg: str | None = None


@dataclass
class SectionView:
    id: str
    heading: str
    figures: list[FigureView] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)


def _title(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def table_view(frame: pd.DataFrame, name: str, *, max_rows: int = MAX_TABLE_ROWS, title: str | None = None,
               columns: Sequence[str] | None = None, source: str | None = None) -> TableView:
    """A DataFrame as a :class:`TableView` (first ``max_rows`` rows, chosen ``columns``)."""
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    shown = frame.head(max_rows)
    rows = [[display_text(v) for v in row] for row in shown.astype(object).itertuples(index=False, name=None)]
    return TableView(name=name, title=title or _title(name),
                     columns=[display_text(c).replace("_", " ") for c in frame.columns],
                     rows=rows, total_rows=len(frame), source=source or f"tables/{name}.csv")


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
            name=name, notebook=notebook, title=str(entry.get("title") or _title(name)),
            alt=str(entry.get("alt") or entry.get("title") or name),
            src="data:image/png;base64," + base64.b64encode(data).decode("ascii"),
            svg=entry.get("svg") if _inside(run_dir, entry.get("svg")) else None,
        )
        views.append((section_for(name, notebook, entry.get("section")), view))
    return views


def _metrics(run_dir: Path | None) -> dict[str, Any] | None:
    if run_dir is None:
        return None
    doc = read_json(Path(run_dir) / "metrics.json")
    return doc if isinstance(doc, dict) and isinstance(doc.get("metrics"), dict) else None


def what_changed_table(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> pd.DataFrame:
    """KPI deltas between two metrics.json documents: columns ``kpi, label, previous,
    current, delta, significant`` (uses :func:`journeykit.analytics.scorecard.what_changed` when present)."""
    try:
        from journeykit.analytics.scorecard import what_changed
    except ImportError:  # pragma: no cover - kpis is part of the kit; kept for partial installs
        what_changed = None
    if what_changed is not None:
        return what_changed(previous, current)
    prev = (previous or {}).get("metrics", previous or {})
    cur = current.get("metrics", current)
    rows = []
    for kpi in list(cur) + [k for k in prev if k not in cur]:
        old = (prev.get(kpi) or {}).get("value")
        new = (cur.get(kpi) or {}).get("value")
        label = (cur.get(kpi) or prev.get(kpi) or {}).get("label", kpi)
        delta = None if old is None or new is None else new - old
        rows.append({"kpi": kpi, "label": label, "previous": old, "current": new, "delta": delta,
                     "significant": pd.NA})
    return pd.DataFrame(rows, columns=["kpi", "label", "previous", "current", "delta", "significant"])


def _change_rows(changes: pd.DataFrame, metrics: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for record in changes.to_dict("records"):
        kpi = str(record.get("kpi"))
        unit = str((metrics.get(kpi) or {}).get("unit") or "")
        delta = record.get("delta")
        significant = record.get("significant")
        if significant is None or significant is pd.NA or (isinstance(significant, float) and math.isnan(significant)):
            verdict = "not testable"
        else:
            verdict = "yes" if bool(significant) else "within noise"
        try:
            missing_delta = delta is None or pd.isna(delta)
        except (TypeError, ValueError):
            missing_delta = True
        if missing_delta:
            direction, delta_text = "none", "–"
        else:
            number = float(delta)
            direction = "up" if number > 0 else "down" if number < 0 else "flat"
            arrow = {"up": "▲", "down": "▼", "flat": "="}[direction]
            shown = f"{abs(number) * 100:.1f} pp" if unit == "share" else format_number(abs(number), unit)
            delta_text = f"{arrow} {'+' if number > 0 else '−' if number < 0 else ''}{shown}"
        rows.append({
            "label": display_text(record.get("label") or kpi),
            "previous": format_number(_float(record.get("previous")), unit),
            "current": format_number(_float(record.get("current")), unit),
            "delta": delta_text, "direction": direction, "significant": verdict,
        })
    return rows


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _scorecard_rows(card: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for record in card.to_dict("records"):
        unit = display_text(record.get("unit", ""))
        status = display_text(record.get("status", "")) or "no target"
        rows.append({
            "label": display_text(record.get("label") or record.get("kpi")),
            "value": format_number(_float(record.get("value")), unit) if _float(record.get("value")) is not None
            else display_text(record.get("value")) or "–",
            "target": format_number(_float(record.get("target")), unit) if _float(record.get("target")) is not None
            else display_text(record.get("target")) or "–",
            "status": status,
            "status_class": status.lower().replace(" ", "-"),
        })
    return rows


def _metric_rows(metrics: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for name, m in metrics.items():
        if not isinstance(m, Mapping):
            continue
        unit = str(m.get("unit") or "")
        low, high = _float(m.get("ci_low")), _float(m.get("ci_high"))
        interval = "–" if low is None or high is None else f"{format_number(low, unit)} – {format_number(high, unit)}"
        n = m.get("n")
        rows.append({
            "name": display_text(name), "label": display_text(m.get("label") or name),
            "value": format_number(_float(m.get("value")), unit), "interval": interval,
            "n": "–" if n is None else display_text(n), "unit": display_text(unit),
        })
    return rows


# -- building ----------------------------------------------------------------------------


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

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
    metrics_doc = _metrics(run) or {"run_id": manifest.get("run_id", run.name), "metrics": {}}
    metrics = metrics_doc["metrics"]
    notes = read_json(run / "notes.json")
    notes = [n for n in notes if isinstance(n, Mapping)] if isinstance(notes, list) else []

    sections = {sid: SectionView(sid, heading) for sid, heading in SECTIONS}
    for section, view in _figure_views(run):
        sections[section].figures.append(view)
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
        try:
            from journeykit.analytics.scorecard import scorecard

            card = scorecard(metrics, manifest["kpi_targets"])
        except Exception:  # noqa: BLE001 - the report degrades to the metrics table
            card = None
    previous_doc = _metrics(Path(previous_run_dir)) if previous_run_dir else None
    if previous_doc is not None and metrics:
        changes = _change_rows(what_changed_table(previous_doc, metrics_doc), metrics)
    else:
        changes = []
    previous_id = previous_doc.get("run_id") if previous_doc else None

    grouped_notes: dict[str, list[dict[str, str]]] = {}
    for note in notes:
        kind = str(note.get("kind") or "note")
        grouped_notes.setdefault(kind, []).append(
            {"notebook": str(note.get("notebook") or ""), "text": str(note.get("text") or "")}
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
        "scorecard": _scorecard_rows(card) if card is not None and len(card) else [],
        "metric_rows": _metric_rows(metrics),
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
        "problems": manifest.get("workspace_problems") if isinstance(manifest.get("workspace_problems"), list) else [],
        "fmt_seconds": lambda s: "–" if _float(s) is None else f"{_float(s):.1f} s",
    }
    html = _environment().get_template("report.html.j2").render(**context)
    return atomic_write_bytes(run / "index.html", html.encode("utf-8"))


# -- command line: journeykit report list / diff ------------------------------------------------


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


KEY_KPIS = ("nps", "csat", "ces", "conversion", "repeat_purchase_rate")


def list_runs_text(out: str | os.PathLike) -> str:
    """The runs of a reports folder as a text table: run, status, started, duration and
    up to three key KPIs (``journeykit report list``)."""
    from journeykit.run.runner import find_runs

    runs = find_runs(out)
    if not runs:
        return f"No runs in {Path(out)} yet (run `journeykit run`)."
    docs = {r.run_id: (_metrics(r.path) or {}).get("metrics", {}) for r in runs}
    names = [k for k in KEY_KPIS if any(k in d for d in docs.values())]
    if len(names) < 3:
        for doc in docs.values():
            names += [k for k in doc if k not in names]
    names = names[:3]
    header = ["run", "status", "started", "duration", *names]
    rows = []
    for r in runs:
        metrics = docs[r.run_id]
        values = [format_number(_float((metrics.get(k) or {}).get("value")), str((metrics.get(k) or {}).get("unit") or ""))
                  for k in names]
        status = r.status + (" (latest)" if r.latest else "")
        duration = "–" if r.duration_s is None else f"{float(r.duration_s):.1f} s"
        rows.append([r.path.name, status, r.started or "–", duration, *values])
    return _text_table(header, rows)


def diff_runs_text(out: str | os.PathLike, run_a: str, run_b: str) -> str:
    """KPI deltas from ``run_a`` to ``run_b`` as a text table (``journeykit report diff``)."""
    from journeykit.run.runner import resolve_run

    path_a, path_b = resolve_run(out, run_a), resolve_run(out, run_b)
    doc_a, doc_b = _metrics(path_a), _metrics(path_b)
    if doc_b is None:
        raise JourneykitError(f"run {path_b.name} has no metrics.json (a failed run?)")
    changes = what_changed_table(doc_a, doc_b)
    rows = [[r["label"], r["previous"], r["current"], r["delta"], r["significant"]]
            for r in _change_rows(changes, {**(doc_a or {}).get("metrics", {}), **doc_b["metrics"]})]
    head = f"KPI changes from {path_a.name} to {path_b.name}"
    if not rows:
        return head + ": no KPIs recorded."
    return head + "\n" + _text_table(["kpi", path_a.name, path_b.name, "change", "significant"], rows)


def report_command(args: argparse.Namespace, *, stdout: Any = None) -> int:
    """``journeykit report list [--out DIR]`` and ``journeykit report diff RUN_A RUN_B [--out DIR]``.

    Runs are named by id, ``latest``, ``previous`` or a path. Returns the exit code
    (2 when a run is not found)."""
    from journeykit.workspace.locations import REPORTS_DIR

    stdout = stdout or sys.stdout
    out = Path(getattr(args, "out", None) or REPORTS_DIR)
    action = getattr(args, "report_command", None)
    try:
        if action == "list":
            print(list_runs_text(out), file=stdout)
        elif action == "diff":
            print(diff_runs_text(out, args.run_a, args.run_b), file=stdout)
        else:
            raise JourneykitError(f"unknown report command {action!r}: use list or diff")
    except JourneykitError as exc:
        print(f"journeykit report: {exc}", file=sys.stderr)
        return 2
    return 0


__all__ = ["build_report", "report_command", "list_runs_text", "diff_runs_text", "what_changed_table",
           "section_for", "display_text", "format_number"]
