"""Hostile text end to end: a copy of the demo workspace whose names, comments,
tickets and pain points carry scripts, event handlers, javascript: links, Markdown,
LaTeX and spreadsheet formulas goes through a real `journeykit run`. Nothing executes
or renders as markup in any HTML the kit writes (checked statically and in headless
Chromium), no exported CSV/XLSX cell starts a formula, and e-mail addresses and phone
numbers never reach the report."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from journeykit.run.runs import resolve_latest

from .browser import ARTIFACTS, open_report
from .conftest import SAMPLE, tree_digest

SCRIPT = "<script>alert('xss')</script>"
HANDLER = "<img src=x onerror=alert(1)>"
LINK = "[click me](javascript:alert(1))"
MARKDOWN = "**loud** _quiet_ # heading"
LATEX = r"$\frac{1}{0}$ and $$x^2$$"
FORMULA = '=HYPERLINK("http://evil.example","open")'
PII = "mail jan.jansen@example.org or call +31 6 1234 5678"
HOSTILE = [SCRIPT, HANDLER, LINK, MARKDOWN, LATEX, FORMULA]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _poison(folder: Path) -> None:
    personas = pd.read_csv(folder / "personas.csv", dtype=str, keep_default_na=False)
    personas.loc[0, "name"] = "Commuter " + SCRIPT
    personas.loc[0, "quote"] = HANDLER + " " + MARKDOWN
    personas.to_csv(folder / "personas.csv", index=False)
    touchpoints = pd.read_csv(folder / "touchpoints.csv", dtype=str, keep_default_na=False)
    row = touchpoints.index[touchpoints["id"] == "tp_mobile_checkout"][0]
    touchpoints.loc[row, "name"] = "App checkout " + HANDLER
    touchpoints.to_csv(folder / "touchpoints.csv", index=False)
    painpoints = pd.read_csv(folder / "painpoints.csv", dtype=str, keep_default_na=False)
    painpoints.loc[0, "description"] = FORMULA
    painpoints.loc[1, "description"] = LINK + " " + LATEX
    painpoints.to_csv(folder / "painpoints.csv", index=False)
    feedback = pd.read_csv(folder / "feedback.csv", dtype=str, keep_default_na=False)
    negative = feedback.index[feedback["comment"].str.len() > 0][:60]
    for i, index in enumerate(negative):
        feedback.loc[index, "comment"] = f"{HOSTILE[i % len(HOSTILE)]} terrible, slow, broken. {PII}"
    feedback.to_csv(folder / "feedback.csv", index=False)
    tickets = pd.read_csv(folder / "tickets.csv", dtype=str, keep_default_na=False)
    tickets.loc[tickets.index[:30], "text"] = f"{SCRIPT} {FORMULA} awful service {PII}"
    tickets.to_csv(folder / "tickets.csv", index=False)


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.handlers: list[str] = []
        self.js_links: list[str] = []
        self.strong_loud = False
        self._in_strong = False
        self.headings = 0
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        self.headings += tag in ("h1", "h2")
        self.tables += tag == "table"
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append(f"<{tag} {name}={value}>")
            if name.lower() in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith("javascript:"):
                self.js_links.append(f"<{tag} {name}={value}>")
        self._in_strong = tag in ("strong", "b")

    def handle_data(self, data):
        if self._in_strong and "loud" in data:
            self.strong_loud = True

    def handle_endtag(self, tag):
        self._in_strong = False


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    workspace = base / "sample"
    shutil.copytree(SAMPLE, workspace)
    _poison(workspace)
    before = tree_digest(workspace)
    out = base / "reports"
    result = subprocess.run([sys.executable, "-m", "journeykit.run.cli", "run", "--workspace", str(workspace),
                             "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    assert tree_digest(workspace) == before  # the run never wrote into the workspace
    return resolve_latest(out)


def _html_files(run: Path) -> list[Path]:
    return [run / "index.html", *sorted((run / "notebooks").glob("*.html"))]


def test_no_markup_from_data_survives_in_any_html(hostile_run):
    for page in _html_files(hostile_run):
        text = page.read_text(encoding="utf-8")
        audit = _Audit()
        audit.feed(text)
        assert audit.scripts == 0, page.name
        assert audit.handlers == [], (page.name, audit.handlers[:3])
        assert audit.js_links == [], (page.name, audit.js_links[:3])
        assert not audit.strong_loud, f"Markdown from data rendered as bold in {page.name}"
        assert "<script>alert" not in text and "<img src=x" not in text
        # sanitising data must not break the page: the notebook's prose and tables still render
        assert audit.headings >= 1 and audit.tables >= 1, page.name
        assert "&lt;h2" not in text and "&lt;table" not in text and "&lt;p&gt;" not in text, page.name
    index = (hostile_run / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert" in index  # the text is there, shown as text


def test_no_email_or_phone_reaches_the_report(hostile_run):
    for page in _html_files(hostile_run) + sorted((hostile_run / "tables").glob("*.csv")):
        text = page.read_text(encoding="utf-8")
        assert "jan.jansen@example.org" not in text, page.name
        assert "1234 5678" not in text, page.name


def test_exported_cells_never_start_a_formula(hostile_run):
    paths = [hostile_run / "action_plan.csv", *sorted((hostile_run / "tables").glob("*.csv"))]
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                bad = [cell for cell in row if cell.startswith(FORMULA_STARTS) and not _is_number(cell)]
                assert not bad, (path.name, bad[:3])
    workbook = load_workbook(hostile_run / "action_plan.xlsx")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_every_page_opens_cleanly_in_chromium(hostile_run, chromium_path, tmp_path):
    for page in _html_files(hostile_run):
        shot = ARTIFACTS / f"hostile_{page.stem}.png" if page.name == "index.html" else None
        result = open_report(chromium_path, page, tmp_path / page.stem, screenshot=shot)
        assert result["errors"] == [], (page.name, result["errors"][:3])
        assert [u for u in result["requests"] if not u.startswith(("file://", "data:"))] == [], page.name
        assert all(i["complete"] and i["width"] > 0 for i in result["images"]), page.name


def test_report_prints_the_semantics_it_used(hostile_run):
    index = (hostile_run / "index.html").read_text(encoding="utf-8")
    notes = index[index.index('id="appendix-heading"'):]  # the definitions are in the appendix
    for phrase in ("PostHog", "promoters (9-10)", "share of answers 4-5", "Pain-point priority",
                   "Europe/Amsterdam"):
        assert phrase in notes, phrase
