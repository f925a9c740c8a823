"""The report as a person sees it: the index.html of a real `journeykit run` on the demo
opened in headless Chromium (Debian's ``chromium``, driven by Playwright, no browser
download) at a laptop's and a phone's width. No console error, nothing requested from
the network, every image decoded, no horizontal scrolling of the page (wide tables
scroll inside their own box), the Summary first and readable. Full-page screenshots
are kept in test-artifacts/ (report_desktop.png, report_phone.png) to look at.

Skipped when Chromium is missing, unless ``CI=true`` (then it fails: .ci/run installs it).
"""

from __future__ import annotations

import pytest

from .browser import ARTIFACTS, WIDTHS, open_report
from .test_report import HOSTILE, make_run

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_the_demo_report_reads_cleanly_in_chromium(demo_report_run, chromium_path, device):
    index = demo_report_run["run"] / "index.html"
    shot = ARTIFACTS / f"report_{device}.png"
    result = open_report(chromium_path, index, width=WIDTHS[device], screenshot=shot)
    print(f"screenshot: {shot}")

    assert result["errors"] == []
    # only the file itself is loaded: images are data: URIs, nothing goes to the network
    assert [url for url in result["requests"] if not url.startswith(("file://", "data:"))] == []
    images = result["images"]
    assert len(images) >= 5  # the journey map and the charts of the demo
    assert [i["alt"] for i in images if not (i["complete"] and i["width"] > 0)] == []
    # the page itself never scrolls sideways
    assert result["viewport_width"] == WIDTHS[device]
    assert result["scroll_width"] <= result["viewport_width"], result["widest"]
    summary = result["summary"]
    assert summary["present"] and summary["first"] and summary["heading"] == "Summary"
    assert summary["height"] > 0 and len(summary["text"].split()) > 20, summary["text"][:300]
    shot_bytes = shot.read_bytes()
    assert shot_bytes.startswith(b"\x89PNG") and len(shot_bytes) > 50_000


def test_a_report_with_hostile_names_opens_cleanly(chromium_path, tmp_path):
    """Hostile text from the data is shown as text (the title), never run as a script."""
    from journeykit.viz.report import build_report

    run = make_run(tmp_path / "run", "20261122T195300Z", hostile=True)
    index = build_report(run, previous_run_dir=make_run(tmp_path / "prev", "20261101T000000Z", nps=5.0))
    result = open_report(chromium_path, index, width=WIDTHS["phone"])
    assert result["errors"] == []
    assert result["title"].startswith(HOSTILE[0])
    assert result["images"] and all(i["complete"] and i["width"] > 0 for i in result["images"])
    assert result["scroll_width"] <= result["viewport_width"], result["widest"]


def test_the_harness_notices_what_a_person_would(chromium_path, tmp_path):
    """A page that logs an error, throws, shows a broken image and is wider than the
    phone is reported on each count (so a clean result above means something)."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html lang='en'><body><main><section id='other'><h2>Other</h2></section></main>"
        "<img src='missing.png' alt='x'><div style='width:900px'>too wide</div>"
        "<script>console.error('injected'); throw new Error('boom')</script></body></html>", "utf-8")
    result = open_report(chromium_path, page, width=WIDTHS["phone"])
    texts = "\n".join(result["errors"])
    assert "injected" in texts and "boom" in texts and "missing.png" in texts
    assert any(not i["width"] for i in result["images"])
    assert result["scroll_width"] > result["viewport_width"]
    assert any("too wide" in element for element in result["widest"])
    assert not result["summary"]["present"]
