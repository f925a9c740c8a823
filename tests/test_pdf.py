"""report.pdf: `journeykit run --pdf` prints the report through headless Chromium with
the report's print stylesheet. Checked on the PDF itself (pypdf): more than one page,
the journey map alone on an A3-landscape page, every other page A4 portrait, every
text run inside its page's margins, and the pages printed at 100 %: Chromium shrinks
the whole document when anything is wider than the page and cuts off what is still too
wide, so a title of the size the CSS sets means no table was too wide. A table of 14
columns of long ids wraps inside the page, every cell printed whole.
Without Chromium, `--pdf` stops before any notebook runs, with a message and exit 2.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from html import unescape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from journeykit.run.outputs import Outputs  # noqa: E402
from journeykit.run.pdf import print_pdf  # noqa: E402

from .browser import ARTIFACTS  # noqa: E402
from .test_report import make_run  # noqa: E402

pypdf = pytest.importorskip("pypdf")

A4 = (595.3, 841.9)  # points (1/72 inch): 210 x 297 mm
A3_LANDSCAPE = (1190.6, 841.9)  # 420 x 297 mm
TOLERANCE = 2.0  # points
MARGIN_A4 = 12 / 25.4 * 72  # the report_print.css margins: left and right 12 mm, top 14, bottom 16
MARGIN_A3 = 10 / 25.4 * 72  # the map page: 10 mm


def _size(page) -> tuple[float, float]:
    box = page.mediabox
    return float(box.width), float(box.height)


def _is(size: tuple[float, float], expected: tuple[float, float]) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(size, expected))


def text_runs(page) -> list[tuple[float, float, float, str]]:
    """(x, y, font size, text) of every text run of ``page``, in page points from the
    bottom-left corner (pypdf's text visitor; x and y are where the run starts)."""
    runs: list[tuple[float, float, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (cm[0] ** 2 + cm[1] ** 2) ** 0.5 * (tm[0] ** 2 + tm[1] ** 2) ** 0.5
        runs.append((x, y, font_size * scale, text))

    page.extract_text(visitor_text=visit)
    return runs


def text_outside(page) -> list[str]:
    """Text runs that start outside the page or, at half an em per character (DejaVu
    Sans averages about that), end past its right edge. (Chromium drops glyphs beyond the
    page edge, so text cut off there is found by the missing text and the edge band.)"""
    width, height = _size(page)
    outside = []
    for x, y, size, text in text_runs(page):
        end = x + 0.5 * size * len(text.rstrip())
        if x < 0 or y < 0 or y > height or end > width:
            outside.append(f"{text[:40]!r} at x={x:.0f}..{end:.0f}, y={y:.0f} on a {width:.0f}x{height:.0f} page")
    return outside


def title_size(page) -> float:
    """Font size (points, as printed) of the report's title, the first text of page 1:
    1.8 rem of 16 px = 21.6 pt at 100 %."""
    return text_runs(page)[0][2]


def text_outside_margins(page, margin_pt: float) -> list[str]:
    """Text runs that start in the page's margins (or outside the page)."""
    width, height = _size(page)
    return [f"{text[:40]!r} at ({x:.0f}, {y:.0f})" for x, y, _, text in text_runs(page)
            if x < margin_pt - 1 or x > width - margin_pt or y < margin_pt * 0.9 or y > height - margin_pt * 0.9]


@pytest.fixture(scope="module")
def demo_pdf(demo_report_run) -> Path:
    pdf = demo_report_run["run"] / "report.pdf"
    assert pdf.is_file(), demo_report_run["stdout"]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(pdf, ARTIFACTS / "report.pdf")
    print(f"PDF: {ARTIFACTS / 'report.pdf'}")
    return pdf


def test_run_pdf_writes_a4_pages_and_the_journey_map_on_an_a3_landscape_page(demo_report_run, demo_pdf):
    assert str(demo_pdf) in demo_report_run["stdout"]  # --quiet prints the report, then the PDF
    reader = pypdf.PdfReader(demo_pdf)
    pages = reader.pages
    assert len(pages) > 1
    sizes = [_size(p) for p in pages]
    a3 = [i for i, size in enumerate(sizes) if _is(size, A3_LANDSCAPE)]
    assert len(a3) == 1, sizes
    others = [size for i, size in enumerate(sizes) if i not in a3]
    assert all(_is(size, A4) for size in others), sorted(set(others))
    map_page = pages[a3[0]]
    assert "Journey map" in map_page.extract_text()
    assert len(map_page.images) == 1  # the map and nothing else on its page
    first = pages[0].extract_text()
    assert "Spokes & Sprockets" in first and "Summary" in first
    # page breaks before sections: every section's heading (but the first's) opens a page
    html = (demo_report_run["run"] / "index.html").read_text("utf-8")
    headings = [unescape(h) for h in re.findall(
        r'<section[^>]*class="[^"]*jk-section[^>]*>\s*(?:<div[^>]*>\s*)?<h2[^>]*>([^<]+)</h2>', html)]
    assert len(headings) >= 4, headings
    # NFKC: the PDF's text has the font's ligatures ("ﬀ" in "drop off", "ﬁ" in "definitions")
    openings = [unicodedata.normalize("NFKC", p.extract_text()).lstrip() for p in pages]
    missing = [h for h in headings[1:] if not any(text.startswith(h) for text in openings)]
    assert missing == [], missing


def test_no_text_outside_the_pages_of_the_demo_pdf_printed_at_full_size(demo_pdf):
    reader = pypdf.PdfReader(demo_pdf)
    outside = {n: text_outside(p) for n, p in enumerate(reader.pages, start=1)}
    assert {n: found[:3] for n, found in outside.items() if found} == {}
    in_margins = {n: text_outside_margins(p, MARGIN_A3 if _is(_size(p), A3_LANDSCAPE) else MARGIN_A4)
                  for n, p in enumerate(reader.pages, start=1)}
    assert {n: found[:3] for n, found in in_margins.items() if found} == {}
    assert sum(len(text_runs(p)) for p in reader.pages) > 500  # the checks saw the text
    assert title_size(reader.pages[0]) == pytest.approx(21.6, abs=0.1)  # not shrunk to fit a wide table


# --------------------------------------------------------------------------- a wide table

WIDE_COLUMNS = [f"column_{name}_identifier" for name in
                ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
                 "india", "juliett", "kilo", "lima", "mike", "november")]
LONG_ID = "tp_" + "very_long_touchpoint_identifier_" * 4 + "end"


def _wide_run(folder: Path) -> Path:
    run = make_run(folder, "20261122T195300Z")
    out = Outputs(run, notebook="05_journey_report")
    fig, ax = plt.subplots(figsize=(16.5, 11.7))  # an A3-landscape picture, as the real map
    ax.plot([0, 1], [0, 1])
    ax.set_title("map")
    out.figure(fig, "journey_map", title="Customer journey map", alt="Journey map")
    plt.close(fig)
    rows = [[f"{LONG_ID}_{r}_{c}" for c in range(len(WIDE_COLUMNS))] for r in range(12)]
    # a section shown in print (the appendix stays collapsed on paper)
    Outputs(run, notebook="01_personas").table(pd.DataFrame(rows, columns=WIDE_COLUMNS), "segments")
    return run


def test_a_table_wider_than_a4_wraps_inside_the_page(chromium_path, tmp_path):
    from journeykit.viz.report import build_report

    run = _wide_run(tmp_path / "run")
    pdf = print_pdf(build_report(run), chromium=chromium_path)
    assert pdf == run / "report.pdf"
    reader = pypdf.PdfReader(pdf)
    sizes = [_size(p) for p in reader.pages]
    assert sum(_is(s, A3_LANDSCAPE) for s in sizes) == 1 and sum(_is(s, A4) for s in sizes) == len(sizes) - 1
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "").replace(" ", "").replace("ﬁ", "fi")
    # the last column and the last row are printed whole, not cut off
    assert "columnnovemberidentifier" in text.lower() and f"{LONG_ID}_11_13" in text
    assert all(f"{LONG_ID}_{r}_{c}" in text for r in range(12) for c in range(len(WIDE_COLUMNS)))
    outside = {n: text_outside(p) for n, p in enumerate(reader.pages, start=1)}
    assert {n: found[:3] for n, found in outside.items() if found} == {}
    assert title_size(reader.pages[0]) == pytest.approx(21.6, abs=0.1)  # wrapped, not shrunk


def test_the_checks_notice_a_table_cut_off_at_the_page_edge(chromium_path, tmp_path):
    """A table forced wider than A4 (no wrapping): Chromium shrinks the page (the text is
    smaller than the CSS says) and cuts off the rest at the margin, so its last cells are
    missing from the PDF's text (so clean results above mean something)."""
    page = tmp_path / "wide.html"
    cells = "".join(f"<td>{LONG_ID}_{c}</td>" for c in range(6))
    page.write_text("<!DOCTYPE html><html><head><style>@page { size: A4 portrait; margin: 12mm }"
                    "td { white-space: nowrap; font-size: 16px }</style></head><body><table><tr>" + cells +
                    "</tr></table></body></html>", "utf-8")
    reader = pypdf.PdfReader(print_pdf(page, chromium=chromium_path))
    text = reader.pages[0].extract_text().replace("\n", "").replace(" ", "")
    assert f"{LONG_ID}_0" in text and f"{LONG_ID}_5" not in text
    assert title_size(reader.pages[0]) < 12.0 * 0.9  # 16 px = 12 pt at 100 %


# --------------------------------------------------------------------------- no Chromium


@pytest.mark.parametrize("chromium_setting", [None, "/nonexistent/chromium"])
def test_run_pdf_without_chromium_stops_before_running_with_a_clear_message(tmp_path, chromium_setting):
    env = {k: v for k, v in os.environ.items() if k != "JOURNEYKIT_CHROMIUM"}
    empty = tmp_path / "bin"
    empty.mkdir()
    env["PATH"] = str(empty)  # no chromium on PATH
    if chromium_setting:
        env["JOURNEYKIT_CHROMIUM"] = chromium_setting
    out = tmp_path / "reports"
    result = subprocess.run([sys.executable, "-m", "journeykit.run.cli", "run", "--workspace", "data/sample",
                             "--out", str(out), "--pdf"], capture_output=True, text=True, timeout=120,
                            env=env, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 2, result.stderr
    assert "Chromium" in result.stderr and "apt-get install chromium" in result.stderr
    assert "Nothing was run" in result.stderr and "Traceback" not in result.stderr
    if chromium_setting:
        assert chromium_setting in result.stderr
    assert not out.exists() or not any(out.iterdir())
