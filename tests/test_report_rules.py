"""The report a shop owner reads in ten minutes (issue 16, items 1-3): its structure, the
presentation rules every table follows, and charts and parts that agree with each other.

Run folders are written here through ``Outputs`` as notebooks write them; the HTML is read
with a real parser (BeautifulSoup on the standard library's html.parser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from journeykit.run.export import tidy_stderr  # noqa: E402
from journeykit.run.outputs import Outputs  # noqa: E402
from journeykit.viz.report import SECTIONS, build_report  # noqa: E402
from journeykit.viz.report.views import MAX_TABLE_ROWS, format_interval  # noqa: E402

STAGES = pd.DataFrame({"stage": ["aware", "consider", "buy"], "stage_name": ["Awareness", "Consideration", "Buying"]})
KIT_WARNING = ("/home/x/.venv/lib/python3.12/site-packages/journeykit/analytics/kpis.py:810: "
               "UserWarning: only 12 answers for stage buy")


def _figure(out: Outputs, name: str, title: str) -> None:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2], [2, 1])
    out.figure(fig, name, title=title, alt=f"alt {name}")
    plt.close(fig)


def make_run(folder: Path, *, run_id: str = "20261122T195300Z", quarantined: dict | None = None,
             problems: int = 0, warnings: int = 0, owners: bool = True, nps: float = 20.0) -> Path:
    """A run folder with the tables the notebooks save, in their real column layout."""
    folder.mkdir(parents=True)
    start = Outputs(folder, notebook="00_start_here")
    rejected = quarantined or {}
    start.table(pd.DataFrame({"table": ["orders", "feedback"], "required": [False, False],
                              "source": ["orders.csv", "feedback.csv"],
                              "rows": [680, 2000], "rejected": [rejected.get("orders", 0), 0]}), "data_present")
    for k in range(warnings):
        start.note("warning", KIT_WARNING.replace("12", str(10 + k % 3)))
    personas = Outputs(folder, notebook="01_personas")
    personas.table(pd.DataFrame({
        "id": ["p_commuter", "p_sport"], "name": ["Sanne, the commuter", "Daan, the sport rider"],
        "n_customers": [1200, 300], "share_customers": [0.8, 0.2], "share_revenue": [0.55, 0.45],
        "clv": [1181.234567, 3951.5], "spend_to_date": [900.1, 2000.2], "nps": [6.382978723, np.nan],
        "nps_n": [423, 0], "top_pain_point": ["Repairs are slow", "Repairs are slow"]}), "persona_cards")
    personas.note("skipped", "NPS per persona skipped: no NPS answers from customers with a persona.")
    _figure(personas, "persona_cards", "Persona cards")
    touch = Outputs(folder, notebook="02_touchpoints")
    tps = pd.DataFrame({"id": [f"tp_{k}" for k in range(20)], "stage": ["aware"] * 10 + ["buy"] * 10,
                        "channel": ["web"] * 20, "name": [f"Touchpoint number {k}" for k in range(20)],
                        "owner": ["Marketing" if owners else None] * 20, "online": [True, False] * 10,
                        "personas": ["p_sport;p_commuter"] + [None] * 19, "description": ["x\r\ny"] * 20,
                        "emotion": [0] * 20})
    touch.table(tps, "touchpoints")
    touch.table(tps[tps["owner"].isna()], "touchpoints_without_owner")
    _figure(touch, "designed_vs_observed", "Designed versus observed journey")
    pains = Outputs(folder, notebook="03_pain_points")
    pains.table(STAGES.assign(n_texts=[20, 300, 400], sentiment=[0.5, 0.4, -0.2123456],
                              sentiment_low=[0.4, 0.3, -0.25], sentiment_high=[0.6, 0.5, -0.17],
                              n_csat=[42, 420, 364], csat=[0.81, 0.871428, 0.52],
                              csat_low=[0.667, 0.836, 0.47], csat_high=[0.9, 0.9, 0.57],
                              workshop_emotion=[1.0, 1.0, 0.0]), "emotion_curve")
    scored = pd.DataFrame({
        "id": ["pp01", "auto-tp_3"], "kind": ["pain", "pain"], "source": ["workshop", "discovered"],
        "title": ["Repairs are slow", "Customers drop off at checkout"], "touchpoint": ["tp_1", "tp_3"],
        "touchpoint_name": ["Touchpoint number 1", "Touchpoint number 3"], "stage": ["buy", "buy"],
        "priority": [0.6244224672, 0.60796], "n_evidence": [815, 277],
        "signals": ["sentiment; csat; tickets", "drop-off"],
        "quotes": [str(["They said three days,\r\nit took 15.", "Slow!"]), str([])]})
    pains.table(scored, "pain_points")
    pains.table(scored, "top_pain_points_per_stage")
    plan = pd.DataFrame({"priority": range(1, 9), "pain_point": [f"Item {k}" for k in range(1, 9)],
                         "touchpoint": ["Touchpoint number 1"] * 8, "stage": ["Buying"] * 8,
                         "owner_team": ["Workshop"] * 8, "quadrant": ["quick win"] * 8,
                         "first_step": ["Read the tickets"] * 8, "kpi_to_watch": ["CSAT at the workshop"] * 8,
                         "status": ["open"] * 8})
    plan.loc[0, "pain_point"] = "Repairs are slow"
    pains.table(plan, "action_plan")
    _figure(pains, "impact_effort", "Impact against effort")
    kpis = Outputs(folder, notebook="04_kpis")
    kpis.metrics({"nps": {"value": nps, "n": 1146, "ci_low": nps - 5, "ci_high": nps + 5, "unit": "points",
                          "label": "Net Promoter Score"},
                  "csat": {"value": 0.6475750577, "n": 2165, "ci_low": 0.627206580, "ci_high": 0.667420764,
                           "unit": "share", "label": "Customer satisfaction (CSAT)"},
                  "historical_clv": {"value": 2417.31, "n": 1497, "ci_low": None, "ci_high": None,
                                     "unit": "EUR", "label": "Customer lifetime value (historical)"}})
    kpis.table(pd.DataFrame({"kpi": ["nps", "csat"], "label": ["Net Promoter Score", "CSAT"],
                             "value": [nps, 0.6475750577], "target": [30.0, 0.85], "direction": ["higher"] * 2,
                             "warning": [15.0, 0.05], "status": ["at risk", "off target"], "n": [1146, 2165],
                             "ci_low": [nps - 5, 0.6272], "ci_high": [nps + 5, 0.6674],
                             "unit": ["points", "share"]}), "scorecard")
    kpis.table(pd.DataFrame({"step": [1, 2, 3], "stage": ["aware", "consider", "buy"],
                             "name": ["Awareness", "Consideration", "Buying"], "customers": [2000, 1914, 1509],
                             "conversion_from_start": [1.0, 0.957, 0.7545],
                             "conversion_from_previous": [1.0, 0.957, 0.7884012539],
                             "dropped": [0, 86, 405],
                             "median_time_from_previous": [None, "2 days 04:11:03", "9 days 15:08:57.500000"]}),
               "stage_funnel")
    kpis.table(pd.DataFrame({"cohort": ["2024-11-01"] * 60, "period": range(60), "share": [0.0] * 60}),
               "retention")
    kpis.table(pd.DataFrame({"path": ["a"], "events": [str(("order_placed", "payment_approved"))],
                             "length": [2], "truncated": [False], "sessions": [3542], "customers": [821],
                             "share": [0.10151033158]}), "top_paths")
    kpis.table(pd.DataFrame({"stage": ["aware", "aware", "buy", "buy"], "kpi": ["nps", "csat"] * 2,
                             "value": [31.25, 0.81, np.nan, 0.52], "n": [16, 42, 0, 364],
                             "ci_low": [-1.3, 0.667, np.nan, 0.47], "ci_high": [53.9, 0.9, np.nan, 0.57],
                             "small_sample": [True, False, True, False]}), "kpis_by_stage")
    _figure(kpis, "stage_funnel", "Customers reaching each stage")
    _figure(kpis, "kpi_trend", "KPIs over time")
    report = Outputs(folder, notebook="05_journey_report")
    _figure(report, "journey_map", "Customer journey map")
    report.table(plan, "top_priorities")
    report.table(pd.DataFrame({"topic": ["Funnels", "NPS"],
                               "definition": ["Funnel semantics:\n- The unit is the customer.\n- " + "long " * 80
                                              + "END-OF-FUNNELS", "NPS = % promoters - % detractors"]}),
                 "semantics")
    problem = {"severity": "warning", "file": "orders.csv", "column": "amount", "value": "12,5",
               "expected": "a number with a decimal point", "table": "orders"}
    manifest = {"run_id": run_id, "status": "success", "business": "Spokes", "on_bad_rows":
                "quarantine" if quarantined else "strict", "started": "2026-11-22T19:53:00Z",
                "quarantined_rows": rejected,
                "workspace_problems": [{**problem, "row": k + 2} for k in range(problems)]}
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    metrics = {}
    for path in sorted(folder.glob("metrics/*.json")):
        metrics.update(json.loads(path.read_text("utf-8")))
    (folder / "metrics.json").write_text(json.dumps({"run_id": run_id, "metrics": metrics}), "utf-8")
    return folder


def soup_of(run: Path, **kwargs) -> BeautifulSoup:
    return BeautifulSoup(build_report(run, **kwargs).read_text("utf-8"), "html.parser")


@pytest.fixture
def report(tmp_path) -> BeautifulSoup:
    return soup_of(make_run(tmp_path / "run"))


def visible(node) -> str:
    return " ".join(node.get_text(" ").split())


def table_named(soup: BeautifulSoup, start: str):
    """The table whose caption starts with ``start``."""
    found = [c.find_parent("table") for c in soup.select("caption") if visible(c).startswith(start)]
    assert found, f"no table captioned {start!r}"
    return found[0]


# -- 1. structure ----------------------------------------------------------------------------


def test_sections_answer_one_question_each_in_order(report):
    sections = report.select("main > section")
    assert [s["id"] for s in sections] == [sid for sid, _ in SECTIONS]
    assert [s.h2.get_text() for s in sections] == [heading for _, heading in SECTIONS]
    assert {"Who are our customers?", "Where do they drop off?", "What hurts?", "Are we improving?"} <= {
        s.h2.get_text() for s in sections}
    assert all("jk-section" in s["class"] for s in sections)


def test_summary_findings_are_written_from_the_data_with_n_and_a_link(report):
    findings = report.select("#summary ol.findings > li")
    assert 3 <= len(findings) <= 5
    ids = {s["id"] for s in report.select("main > section")} | {e["id"] for e in report.select("[id]")}
    for finding in findings:
        assert re.search(r"\(n [\d,]+", visible(finding)), visible(finding)
        assert finding.a["href"].lstrip("#") in ids
    texts = [visible(f) for f in findings]
    assert texts[0].startswith("The biggest drop-off is from Consideration to Buying: 405 of 1,914 customers (21.2 %)")
    assert "(n 1,914 customers)" in texts[0] and findings[0].a["href"] == "#dropoff"
    assert "least satisfied in Buying: CSAT 52.0 % (47.0–57.0)" in texts[1] and "(n 364 answers)" in texts[1]
    assert "“Repairs are slow” at Touchpoint number 1" in texts[2] and "(n 815 feedback answers and tickets)" in texts[2]
    assert "support tickets" in texts[2] and findings[2].a["href"] == "#hurts"
    assert "CSAT" in texts[3] and "off target: 64.8 % (62.7–66.7)" in texts[3] and "(n 2,165)" in texts[3]


def test_kpi_moves_since_the_last_run_are_findings_with_their_significance(tmp_path):
    previous = make_run(tmp_path / "a", run_id="20261101T000000Z", nps=5.0)
    current = make_run(tmp_path / "b", run_id="20261122T000000Z", nps=30.0)
    texts = [visible(li) for li in soup_of(current, previous_run_dir=previous).select("#summary ol.findings > li")]
    moved = [t for t in texts if t.startswith("Net Promoter Score moved")]
    assert moved and "from 5.0 points to 30.0 points" in moved[0] and "beyond noise" in moved[0]
    assert "(n 1,146)" in moved[0]


def test_the_map_has_its_own_full_width_section(report):
    journey = report.select_one("#journey")
    assert "jk-map-section" in journey["class"]
    figures = journey.select("figure")
    # the heading and the map on one page of their own in print (report_print.css)
    page = journey.select_one("div.jk-map-page")
    assert len(figures) == 1 and page is not None and page.select("figure") == figures and page.h2
    assert figures[0].img["alt"] == "alt journey_map"
    assert not journey.select("table")


def test_every_item_is_shown_once(report):
    html = str(report)
    assert len(report.find_all(string=re.compile("^Top priorities$"))) == 1
    # the plan: ranks 1-5 in the summary, 6-8 under "What hurts?", never both
    items = [visible(td) for td in report.select("td") if visible(td).startswith("Item ")]
    assert sorted(items) == [f"Item {k}" for k in range(2, 9)]
    assert visible(report.select("#hurts table")[0].caption).startswith("The rest of the action plan (ranks 6–8)")
    # the per-stage subset of the pain points and the long retention table are only linked
    assert html.count("The evidence behind each pain point") == 1
    assert not [t for t in report.select("table") if "Retention" in visible(t.caption)]
    assert report.select_one('a[href="tables/retention.csv"]') is not None


def test_appendix_is_collapsed_details_with_notes_and_whole_definitions(report):
    appendix = report.select_one("#appendix")
    summaries = [visible(d.summary) for d in appendix.find_all("details", recursive=False)]
    assert summaries == ["Technical tables and charts", "Data notes", "Definitions", "Run manifest"]
    assert not [d for d in appendix.find_all("details") if d.has_attr("open")]
    definitions = appendix.select_one("dl.definitions")
    assert "END-OF-FUNNELS" in visible(definitions)  # whole, not cut
    assert [visible(li) for li in definitions.select("ul li")][0] == "The unit is the customer."
    assert report.select_one("#appendix img[alt='alt designed_vs_observed']") is None  # it answers "drop off"
    assert report.select_one("#dropoff img[alt='alt designed_vs_observed']") is not None


# -- 2. presentation rules ---------------------------------------------------------------------


def test_tables_show_names_words_and_formatted_numbers(report):
    for table in report.select("table"):
        assert table.find_parent("div", class_="table-wrap") is not None  # scrolls inside its box
        headers = [visible(th) for th in table.select("thead th")]
        assert headers and all(h and "_" not in h for h in headers), headers
        body = table.select("tbody tr")
        assert len(body) <= MAX_TABLE_ROWS
        for td in table.select("td"):
            text = visible(td)
            assert not re.search(r"\d\.\d{4,}", text), text           # no 6-decimal numbers
            assert text not in ("True", "False", "<NA>", "nan"), text
            assert not text.startswith(("['", "('")), text             # no Python reprs
            assert "\\r\\n" not in text and "\r" not in text
            assert not re.fullmatch(r"(tp|p)_\w+(;(tp|p)_\w+)*", text), text  # names, not ids
    cards = table_named(report, "Personas in numbers")
    row = [visible(td) for td in cards.select("tbody tr")[0].select("td")]
    assert row == ["Sanne, the commuter", "1,200", "80.0 %", "55.0 %", "1,181 EUR", "6.4 (n 423)", "Repairs are slow"]
    assert [visible(td) for td in cards.select("tbody tr")[1].select("td")][5] == "no answers"


def test_lists_are_bullets_booleans_words_paths_arrows(report):
    touchpoints = table_named(report, "Touchpoints")
    first = touchpoints.select("tbody tr")[0].select("td")
    headers = [visible(th) for th in touchpoints.select("thead th")]
    assert [li.get_text() for li in first[headers.index("Personas")].select("li")] == [
        "Daan, the sport rider", "Sanne, the commuter"]
    assert visible(first[headers.index("Online")]) == "yes"
    assert visible(touchpoints.select("tbody tr")[1].select("td")[headers.index("Personas")]) == "all personas"
    assert len(touchpoints.select("tbody tr")) == MAX_TABLE_ROWS
    assert "first 15 of 20 rows" in visible(touchpoints.caption)
    assert touchpoints.caption.a["href"] == "tables/touchpoints.csv"
    quotes = table_named(report, "The evidence behind")
    said = [visible(li) for li in quotes.select("li")]
    assert said == ["They said three days, it took 15.", "Slow!"]
    paths = table_named(report, "The most common paths")
    assert visible(paths.select("tbody td")[0]) == "order placed → payment approved"


def test_intervals_read_as_value_and_range(report):
    assert format_interval(0.6475750577, 0.627206580, 0.667420764, "share") == "64.8 % (62.7–66.7)"
    card = report.select_one("#summary-scorecard").find_next("table")
    assert "64.8 % (62.7–66.7)" in [visible(td) for td in card.select("td")]
    funnel = table_named(report, "Customers reaching each stage")
    assert [visible(td) for td in funnel.select("tbody tr")[2].select("td")] == [
        "Buying", "1,509", "75.4 %", "78.8 %", "405", "9 days 15 h"]
    curve = table_named(report, "How customers feel")
    assert "-0.21 (-0.25 to -0.17), n 400" in visible(curve)


def test_warnings_are_summarised_by_kind_without_kit_paths(tmp_path):
    run = make_run(tmp_path / "run", warnings=3000, problems=18459)
    html = build_report(run).read_text("utf-8")
    assert "journeykit/analytics/kpis.py" not in html and ".py:810" not in html
    soup = BeautifulSoup(html, "html.parser")
    notes = soup.select_one("#appendix")
    warnings = table_named(notes, "Warnings of the analyses")
    rows = [[visible(td) for td in tr.select("td")] for tr in warnings.select("tbody tr")]
    assert rows == [["only 10 answers for stage buy", "3,000"]]
    problems = table_named(notes, "What validation found")
    assert [[visible(td) for td in tr.select("td")] for tr in problems.select("tbody tr")] == [
        ["orders.csv", "amount", "a number with a decimal point", "18,459", "row 2: 12,5"]]
    assert len(html) < 500_000  # was 3.3 MB with one line per problem


def test_executed_notebooks_show_warnings_without_kit_paths():
    text = (KIT_WARNING + "\n  warnings.warn(message, stacklevel=2)\n") * 4 + "plain line\n"
    assert tidy_stderr(text) == "UserWarning: only 12 answers for stage buy (4 times)\nplain line\n"


def test_summary_states_quarantined_rows_per_table(tmp_path):
    soup = soup_of(make_run(tmp_path / "q", quarantined={"orders": 320}))
    lines = [visible(li) for li in soup.select("#summary ul.quarantine li")]
    assert lines == ["orders: 320 of 1,000 rows (32.0 %) set aside"]
    clean = soup_of(make_run(tmp_path / "s"))
    assert "No rows were set aside" in visible(clean.select_one("#summary p.quarantine"))


# -- 3. charts only with data, parts that agree -----------------------------------------------------


def test_analyses_without_data_say_so_in_one_line(report):
    lines = [visible(p) for p in report.select("#customers p.no-data-line")]
    assert lines == ["NPS per persona skipped: no NPS answers from customers with a persona."]
    assert report.select_one("#customers img[alt='alt persona_nps']") is None


def test_touchpoint_owner_line_says_only_what_is_true(tmp_path):
    owned = soup_of(make_run(tmp_path / "a"))
    assert "Every touchpoint has an owner (20 touchpoints)." in visible(owned)
    unowned = soup_of(make_run(tmp_path / "b", owners=False))
    text = visible(unowned)
    assert "Every touchpoint has an owner" not in text
    assert "None of the 20 touchpoints has an owner yet." in text


def test_the_dropoff_section_keeps_a_place_for_who_dropped_off(tmp_path):
    run = make_run(tmp_path / "run")
    (run / "dropouts.csv").write_text("customer_id,step\nc1,2\n", "utf-8")
    _figure(Outputs(run, notebook="04_kpis"), "weekly_conversion", "Funnel conversion per week")
    soup = soup_of(run)
    slot = soup.select_one("#dropoff #dropouts")
    assert slot.select_one("img[alt='alt weekly_conversion']") is not None
    assert slot.select_one('a[href="dropouts.csv"]') is not None
    assert soup.select_one("#improving img[alt='alt weekly_conversion']") is None


def test_a_second_run_without_moves_says_so_and_keeps_the_kpi_off_target(tmp_path):
    previous = make_run(tmp_path / "a", run_id="20261101T000000Z")
    current = make_run(tmp_path / "b", run_id="20261122T000000Z")
    texts = [visible(li) for li in soup_of(current, previous_run_dir=previous).select("#summary ol.findings > li")]
    assert len(texts) == 5
    assert texts[3].startswith("No KPI moved beyond noise since run 20261101T000000Z") and "(n 2 KPIs)" in texts[3]
    assert "off target: 64.8 % (62.7–66.7)" in texts[4]


def test_exported_notebook_html_has_no_kit_source_paths(tmp_path):
    import nbformat

    from journeykit.run.export import export_notebook_html

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr",
                                           text=(KIT_WARNING + "\n  warnings.warn(message)\n") * 50)]
    nb.cells = [nbformat.v4.new_markdown_cell("# A notebook"), cell]
    executed = tmp_path / "nb.ipynb"
    nbformat.write(nb, executed)
    html = export_notebook_html(executed, tmp_path / "nb.html").read_text("utf-8")
    assert "site-packages" not in html and "kpis.py" not in html and "warnings.warn" not in html
    assert "UserWarning: only 12 answers for stage buy (50 times)" in html
