"""The journey report (index.html) from hand-made run folders: sections, embedded images,
accessibility, escaping of hostile text, graceful degradation, and report list/diff."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from journeykit.core.errors import JourneykitError  # noqa: E402
from journeykit.run.outputs import Outputs  # noqa: E402
from journeykit.viz.report import (  # noqa: E402
    SECTIONS,
    build_report,
    display_text,
    format_number,
    section_for,
)

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]


def _metric(value, low=None, high=None, n=100, unit="points", label="Net Promoter Score"):
    return {"value": value, "n": n, "ci_low": low, "ci_high": high, "unit": unit, "label": label}


def make_run(folder: Path, run_id: str, *, nps: float | None = 20.0, hostile: bool = False,
             figure: bool = True) -> Path:
    """A run folder as the runner leaves it, written through Outputs like a notebook would."""
    folder.mkdir(parents=True)
    out = Outputs(folder, notebook="04_kpis")
    if figure:
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([1, 2, 3], [3, 1, 2])
        ax.set_title("trend")
        out.figure(fig, "kpi_trend", title=HOSTILE[0] if hostile else "KPIs over time",
                   alt=HOSTILE[1] if hostile else "Line chart of NPS per run")
        plt.close(fig)
    if nps is not None:
        label = HOSTILE[0] if hostile else "Net Promoter Score"
        out.metrics({"nps": _metric(nps, nps - 5, nps + 5, label=label),
                     "csat": _metric(0.80, 0.78, 0.82, unit="share", label="CSAT")})
    out.table(pd.DataFrame({"kpi": ["nps"], "label": ["Net Promoter Score"], "value": [nps],
                            "target": [40.0], "status": ["off target"], "unit": ["points"]}), "scorecard")
    plan = pd.DataFrame({"description": HOSTILE if hostile else ["Slow checkout", "Late delivery", "=1+1"],
                         "owner": ["Sales", "Support", "E-commerce"], "priority": [1, 2, 3]})
    out.table(plan, "action_plan")
    Outputs(folder, notebook="01_personas").table(
        pd.DataFrame({"name": [HOSTILE[2] if hostile else "Commuter Carla"], "share": [0.4]}), "persona_cards")
    out.note("semantics", "NPS = % promoters (9-10) - % detractors (0-6)")
    out.note("quarantine", (HOSTILE[1] + " ") if hostile else "3 row(s) of feedback set aside")
    manifest = {"run_id": run_id, "status": "success", "business": HOSTILE[0] if hostile else "Test Bakery",
                "started": "2026-11-22T19:53:00Z", "finished": "2026-11-22T19:54:00Z", "duration_s": 60.0,
                "parameters": {"workspace": "/data/ws", "interactive": False},
                "notebooks": [{"name": "04_kpis", "status": "ok", "duration_s": 12.5}],
                "versions": {"python": "3.11.7", "pandas": pd.__version__},
                "inputs": [{"path": "personas.csv", "bytes": 10, "sha256": "ab" * 32}]}
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    metrics = {}
    for path in sorted(folder.glob("metrics/*.json")):
        metrics.update(json.loads(path.read_text("utf-8")))
    (folder / "metrics.json").write_text(json.dumps({"run_id": run_id, "metrics": metrics}), "utf-8")
    (folder / "notebooks").mkdir()
    (folder / "notebooks" / "04_kpis.html").write_text("<html></html>", "utf-8")
    return folder


def section_html(html: str, section: str) -> str:
    return html.split(f'<section id="{section}"', 1)[1].split("</section>", 1)[0]


def test_report_has_every_section_in_order_with_a_heading_hierarchy(tmp_path):
    html = build_report(make_run(tmp_path / "run", "20261122T195300Z")).read_text("utf-8")
    headings = re.findall(r"<(h[1-3])[^>]*>(.*?)</h[1-3]>", html)
    assert headings[0] == ("h1", "Test Bakery: customer journey report")
    assert [text for level, text in headings if level == "h2"] == [heading for _, heading in SECTIONS]
    assert [level for level, _ in headings].count("h1") == 1
    assert '<html lang="en">' in html
    assert "@media print" in html


def test_images_are_embedded_pngs_with_alt_text(tmp_path):
    run = make_run(tmp_path / "run", "20261122T195300Z")
    html = build_report(run).read_text("utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)">', html)
    assert len(images) == 1 and len(re.findall(r"<img ", html)) == 1
    data, alt = images[0]
    assert base64.b64decode(data) == (run / "figures" / "04_kpis__kpi_trend.png").read_bytes()
    assert alt == "Line chart of NPS per run"
    assert "KPIs over time" in section_html(html, "improving")  # kpi_trend answers "are we improving?"


def test_figures_keep_one_order_whichever_notebook_finishes_first(tmp_path):
    run = make_run(tmp_path / "run", "20261122T195300Z", figure=False)
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([1, 2], [2, 1])
    # the order parallel notebooks happened to finish in
    for notebook, name in (("03_pain_points", "emotion_curve"), ("04_kpis", "retention_heatmap"),
                           ("05_journey_report", "journey_map"), ("02_touchpoints", "designed_vs_observed"),
                           ("04_kpis", "stage_funnel")):
        Outputs(run, notebook=notebook).figure(fig, name, title=name, alt=f"alt {name}")
    plt.close(fig)
    html = build_report(run).read_text("utf-8")
    def order(section):
        return re.findall(r'alt="alt ([a-z_]+)"', section_html(html, section))
    assert order("journey") == ["journey_map"]  # the map alone on its page
    assert order("dropoff") == ["stage_funnel", "designed_vs_observed"]
    assert order("hurts") == ["emotion_curve"]
    assert order("improving") == ["retention_heatmap"]


def test_report_makes_no_external_requests_and_runs_no_scripts(tmp_path):
    html = build_report(make_run(tmp_path / "run", "20261122T195300Z")).read_text("utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in html  # the Content-Security-Policy blocks any request
    assert not re.search(r"<link\b", html)


def test_tables_have_captions_and_column_headers(tmp_path):
    html = build_report(make_run(tmp_path / "run", "20261122T195300Z")).read_text("utf-8")
    tables = re.findall(r"<table>.*?</table>", html, flags=re.S)
    assert tables and all("<caption>" in t and '<th scope="col">' in t for t in tables)


def test_summary_shows_priorities_scorecard_and_first_run_message(tmp_path):
    html = build_report(make_run(tmp_path / "run", "20261122T195300Z")).read_text("utf-8")
    summary = section_html(html, "summary")
    assert summary.index("Slow checkout") < summary.index("Late delivery")
    assert "=1+1" in summary and "&#39;=1+1" not in summary  # neutralising apostrophe not shown
    assert '<span class="status off-target">off target</span>' in summary
    assert "This is the first run" in summary


def test_what_changed_compares_with_the_previous_run(tmp_path):
    previous = make_run(tmp_path / "a", "20261101T000000Z", nps=10.0)
    current = make_run(tmp_path / "b", "20261122T000000Z", nps=30.0)
    html = build_report(current, previous_run_dir=previous).read_text("utf-8")
    summary = section_html(html, "summary")
    assert "KPI changes since run 20261101T000000Z" in summary
    nps_row = summary.split("Net Promoter Score</th>", 2)[2].split("</tr>", 1)[0]
    # +20 points; standard errors 5/1.96 each -> z = 20 / (1.96 * sqrt(2) * 5/1.96) = 2.83 > 1.96
    assert "10.0 points" in nps_row and "30.0 points" in nps_row and "+20.0 points" in nps_row
    assert ">yes<" in nps_row
    csat_row = summary.split("CSAT</th>", 1)[1].split("</tr>", 1)[0]
    assert "80.0 %" in csat_row and "within noise" in csat_row  # unchanged


def test_missing_artefacts_degrade_gracefully(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    html = build_report(empty).read_text("utf-8")
    assert "No action plan in this run" in html
    assert "No KPIs were measured in this run" in html
    assert "No manifest.json in this run folder" in html
    assert html.count("Nothing in this run for this section") == 5  # the map and the four questions


def test_hostile_text_is_escaped_everywhere(tmp_path):
    run = make_run(tmp_path / "run", "20261122T195300Z", hostile=True)
    html = build_report(run).read_text("utf-8")
    for text in HOSTILE[:2]:
        assert text not in html
    assert "<script" not in html.lower()
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # business, figure title, KPI label, plan
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # alt text and note, escaped
    elements = parse_elements(html)
    assert not [e for e in elements if e[0] == "script"]
    assert not [(tag, name) for tag, attrs in elements for name, _ in attrs if name.startswith("on")]
    assert not [value for _, attrs in elements for name, value in attrs
                if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:")]
    assert [tag for tag, _ in elements].count("img") == 1  # only the figure itself


def parse_elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element as the browser's parser sees it: (tag, attributes)."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_figure_paths_cannot_escape_the_run_folder(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    run = tmp_path / "run"
    run.mkdir()
    (run / "figures.json").write_text(json.dumps([
        {"name": "a", "notebook": "04_kpis", "title": "A", "alt": "a", "png": "../secret.png"},
        {"name": "b", "notebook": "04_kpis", "title": "B", "alt": "b", "png": str(secret)},
    ]), "utf-8")
    html = build_report(run).read_text("utf-8")
    assert "<img" not in html and base64.b64encode(b"secret").decode() not in html


@pytest.mark.parametrize(("name", "notebook", "section"), [
    ("journey_map", "05_journey_report", "journey"),
    ("impact_effort", "03_pain_points", "hurts"),
    ("stage_funnel", "04_kpis", "dropoff"),
    ("persona_nps", "01_personas", "customers"),
    ("kpi_trend", "04_kpis", "improving"),
    ("coverage_heatmap", "02_touchpoints", "appendix"),
    ("inventory", "02_touchpoints", "appendix"),
    ("rejected_feedback", "", "appendix"),
    ("cards", "01_personas", "customers"),
])
def test_section_for_places_outputs_by_name(name, notebook, section):
    assert section_for(name, notebook) == section


def test_number_and_text_formatting():
    assert format_number(0.853, "share") == "85.3 %"
    assert format_number(12345.6, "EUR") == "12,346 EUR"
    assert format_number(None) == "–"
    assert display_text("'=cmd|' /C calc'!A0") == "=cmd|' /C calc'!A0"
    assert display_text("'quoted") == "'quoted"  # an ordinary apostrophe stays


# -- Outputs: what notebooks write for the report -------------------------------------------


def test_outputs_are_noops_without_a_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = Outputs(None, notebook="04_kpis")
    fig = plt.figure()
    assert out.figure(fig, "x", title="t", alt="a") is None
    assert out.table(pd.DataFrame({"a": [1]}), "t") is None
    assert out.metrics({"nps": 1}) is None and out.note("skipped", "x") is None
    plt.close(fig)
    assert list(tmp_path.iterdir()) == []


def test_outputs_metrics_follow_the_contract(tmp_path):
    from journeykit.core.errors import JourneykitError

    out = Outputs(tmp_path, notebook="04_kpis")
    out.metrics({"nps": 12, "aov": float("nan")})
    out.metrics({"csat": {"value": 0.9, "n": 50, "ci_low": 0.8, "ci_high": 0.95, "unit": "share"}})
    doc = json.loads((tmp_path / "metrics" / "04_kpis.json").read_text("utf-8"))
    assert doc == {
        "nps": {"value": 12.0, "n": None, "ci_low": None, "ci_high": None, "unit": "", "label": "nps"},
        "aov": {"value": None, "n": None, "ci_low": None, "ci_high": None, "unit": "", "label": "aov"},
        "csat": {"value": 0.9, "n": 50, "ci_low": 0.8, "ci_high": 0.95, "unit": "share", "label": "csat"},
    }
    fig = plt.figure()
    with pytest.raises(JourneykitError, match="alt text"):
        out.figure(fig, "x", title="t", alt=" ")
    plt.close(fig)


def test_outputs_parallel_notes_are_not_lost(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    def write(i):
        Outputs(tmp_path, notebook=f"0{i % 5}_nb").note("coverage", f"note {i}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(40)))
    notes = json.loads((tmp_path / "notes.json").read_text("utf-8"))
    assert sorted(n["text"] for n in notes) == sorted(f"note {i}" for i in range(40))


def test_outputs_figure_writes_png_and_an_svg_copy_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("JOURNEYKIT_FIGURE_FORMATS", raising=False)
    fig, ax = plt.subplots()
    ax.bar(["a"], [1])
    path = Outputs(tmp_path, notebook="02_touchpoints").figure(ax, "By channel / web", title="T", alt="A")
    assert path == tmp_path / "figures" / "02_touchpoints__By_channel_web.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "figures" / "02_touchpoints__By_channel_web.svg").exists()
    entry = json.loads((tmp_path / "figures.json").read_text("utf-8"))[0]
    assert entry["png"] == "figures/02_touchpoints__By_channel_web.png" and entry["alt"] == "A"
    assert entry["svg"] is None
    buffer = io.BytesIO(path.read_bytes())
    assert plt.imread(buffer).shape[2] in (3, 4)

    Outputs(tmp_path, notebook="02_touchpoints", formats="png,svg").figure(ax, "asked", title="T", alt="A")
    monkeypatch.setenv("JOURNEYKIT_FIGURE_FORMATS", "svg")  # what `journeykit run --svg` gives the kernels
    Outputs(tmp_path, notebook="02_touchpoints").figure(ax, "from the run", title="T", alt="A")
    plt.close(fig)
    for name in ("asked", "from_the_run"):
        svg = (tmp_path / "figures" / f"02_touchpoints__{name}.svg").read_text("utf-8")
        assert "<svg" in svg
    entries = {e["name"]: e for e in json.loads((tmp_path / "figures.json").read_text("utf-8"))}
    assert entries["from_the_run"]["svg"] == "figures/02_touchpoints__from_the_run.svg"
    monkeypatch.setenv("JOURNEYKIT_FIGURE_FORMATS", "pdf")
    with pytest.raises(JourneykitError, match="pdf unknown"):
        Outputs(tmp_path, notebook="02_touchpoints")


def test_outputs_skipped_notes_and_returns_the_text(tmp_path):
    out = Outputs(tmp_path, notebook="04_kpis")
    assert out.skipped("Funnel skipped: no events.") == "Funnel skipped: no events."
    notes = json.loads((tmp_path / "notes.json").read_text("utf-8"))
    assert notes == [{"notebook": "04_kpis", "kind": "skipped", "text": "Funnel skipped: no events."}]
    assert Outputs(None, notebook="04_kpis").skipped("x") == "x"
