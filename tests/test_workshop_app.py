"""The workshop app as a participant uses it: ``journeykit workshop serve`` (Voilà) on a
generated workspace, opened in headless Chromium (Debian's, driven by Playwright, no
browser download). The page shows widgets and no code; a participant types their name,
scores a pain point and a touchpoint: their votes file is on disk; the Room tab counts the
vote; an edit in the Touchpoints tab reaches touchpoints.csv with the participant's name in
the edit journal; ``journeykit workshop collect`` then writes the median into the workspace.
Screenshots: test-artifacts/workshop_app_*.png.

Skipped when Chromium is missing, unless ``CI=true`` (then it fails: .ci/run installs it).
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
import pytest

from journeykit.run.cli import main
from journeykit.sample.simulation import generate_sample

from .browser import ARTIFACTS, FLAGS, Server, free_port, server_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _wait_for(check, timeout: float = 30.0, what: str = "the file"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The served app on a fresh workspace: (url, workspace folder, server)."""
    folder = tmp_path_factory.mktemp("workshop") / "shop"
    generate_sample(folder, customers=150, months=4)
    port = free_port()
    server = Server([sys.executable, "-m", "journeykit.run.cli", "workshop", "serve", str(folder),
                     "--port", str(port)], port, env=server_env(), cwd=folder,
                    log=ARTIFACTS / "workshop_app_server.log")
    try:
        yield f"http://localhost:{port}/", folder, server
    finally:
        server.stop()


def _scored_row(page, text: str):
    return page.locator(".widget-hbox", has=page.locator(".widget-html", has_text=text)).last


def test_a_participant_scores_in_the_app_and_the_votes_reach_the_workspace(app, chromium_path):
    from playwright.sync_api import sync_playwright  # heavy: only the browser tests load it

    url, folder, server = app
    painpoints = pd.read_csv(folder / "painpoints.csv", dtype=str)
    first = painpoints.iloc[0]
    touchpoints = pd.read_csv(folder / "touchpoints.csv", dtype=str)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
            page.goto(url, timeout=120_000)
            name = page.get_by_placeholder("your name")
            name.wait_for(timeout=120_000)
            # Voilà shows widgets only: none of the notebook's code is on the page
            assert "workshop_app(" not in page.content()
            page.screenshot(path=str(ARTIFACTS / "workshop_app_name.png"))
            name.fill("Ana María")
            page.get_by_role("button", name="Start").click()
            page.get_by_text("Your scores").wait_for(timeout=60_000)

            row = _scored_row(page, first["description"][:40])
            row.locator("select").nth(0).select_option(label="5")  # severity
            page.get_by_text("Saved your vote").wait_for(timeout=30_000)
            row.locator("select").nth(2).select_option(label="1")  # effort
            page.get_by_text(f"{first['id']} effort = 1").wait_for(timeout=30_000)
            tp_row = _scored_row(page, touchpoints.iloc[0]["name"])
            tp_row.locator("select").first.select_option(label="-2")
            page.get_by_text("emotion = -2").wait_for(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "workshop_app_scores.png"), full_page=False)

            votes_file = folder / "votes" / "ana-maria.csv"
            _wait_for(votes_file.exists, what=str(votes_file))
            votes = pd.read_csv(votes_file, dtype=str)
            mine = votes.set_index("item")
            assert mine.at[first["id"], "severity"] == "5" and mine.at[first["id"], "effort"] == "1"
            assert mine.at[touchpoints.iloc[0]["id"], "emotion"] == "-2"
            assert set(votes["voter"]) == {"Ana María"}

            page.get_by_role("tab", name="Room").click()
            page.get_by_text("1 person has voted").wait_for(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "workshop_app_room.png"), full_page=False)

            # the Touchpoints tab saves as the notebook's editor does, journaled under the name
            page.get_by_role("tab", name="Touchpoints").click()
            page.locator("input[type=text]:visible").first.wait_for(timeout=30_000)
            index = page.evaluate("(v) => Array.from(document.querySelectorAll('input[type=text]'))"
                                  ".findIndex(i => i.value === v)", touchpoints.iloc[0]["name"])
            assert index >= 0
            target = page.locator("input[type=text]").nth(index)
            target.fill("Search ads (Google)")
            target.press("Enter")
            page.get_by_text("Saved touchpoints").wait_for(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "workshop_app_touchpoints.png"), full_page=False)
        finally:
            browser.close()
    assert errors == [], errors
    saved = pd.read_csv(folder / "touchpoints.csv", dtype=str).set_index("id")
    assert saved.at[touchpoints.iloc[0]["id"], "name"] == "Search ads (Google)"
    journal = [json.loads(line) for line in (folder / ".journeykit" / "edits.jsonl").read_text("utf-8").splitlines()]
    assert {"table": "touchpoints", "column": "name", "by": "Ana María"}.items() <= journal[-1].items()

    # a second participant's copy of painpoints.csv, handed in, and the median written
    other = folder.parent / "ben.csv"
    pd.DataFrame({"id": [first["id"]], "severity": [2], "effort": [2]}).to_csv(other, index=False)
    assert main(["workshop", "collect", str(folder), str(other)]) == 0
    merged = pd.read_csv(folder / "painpoints.csv", dtype=str).set_index("id")
    assert merged.at[first["id"], "severity"] == "4"  # median of 5 and 2, half-way rounds up
    assert merged.at[first["id"], "effort"] == "2"    # median of 1 and 2
    assert (folder / "votes" / "ben.csv").exists()


@pytest.fixture(scope="module")
def blank_app(tmp_path_factory):
    """The served app on a blank spreadsheet workspace from ``journeykit new``: (url, folder)."""
    folder = tmp_path_factory.mktemp("blank-workshop") / "cafe"
    assert main(["new", str(folder)]) == 0
    port = free_port()
    server = Server([sys.executable, "-m", "journeykit.run.cli", "workshop", "serve", str(folder),
                     "--port", str(port)], port, env=server_env(), cwd=folder,
                    log=ARTIFACTS / "workshop_app_blank_server.log")
    try:
        yield f"http://localhost:{port}/", folder
    finally:
        server.stop()


def test_a_blank_workshop_names_a_touchpoint_and_a_pain_point_then_scores_it(blank_app, chromium_path):
    """The room starts from nothing: a pain point before any touchpoint is refused in red,
    a touchpoint and then a pain point typed in the app land in workspace.xlsx, and the
    Score tab offers the new pain point for voting."""
    from playwright.sync_api import sync_playwright

    url, folder = blank_app
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
            page.goto(url, timeout=120_000)
            page.get_by_placeholder("your name").wait_for(timeout=120_000)
            page.get_by_placeholder("your name").fill("Ana")
            page.get_by_role("button", name="Start").click()
            page.get_by_text("No pain points yet").wait_for(timeout=60_000)

            page.get_by_role("tab", name="Pain points").click()
            page.get_by_text("Pain points and opportunities").wait_for(timeout=30_000)
            page.locator("button:visible", has_text="Add a row").click()
            page.get_by_text("add a touchpoint first").wait_for(timeout=30_000)

            page.get_by_role("tab", name="Touchpoints").click()
            page.locator("button:visible", has_text="Add a row").click()
            page.get_by_text("Saved touchpoints").wait_for(timeout=30_000)
            name = page.locator("input[type=text]:visible").first
            name.fill("Till at lunch")
            name.press("Enter")
            page.get_by_text("tp_1.name = Till at lunch").wait_for(timeout=30_000)

            page.get_by_role("tab", name="Pain points").click()
            # the page is rebuilt with the new touchpoint: the old page's refusal goes away
            page.get_by_text("add a touchpoint first").wait_for(state="detached", timeout=30_000)
            page.locator("button:visible", has_text="Add a row").click()
            page.get_by_text("Saved painpoints").wait_for(timeout=30_000)
            assert page.locator("select:visible").first.input_value() == "Till at lunch (tp_1)"
            what = page.locator("input[type=text]:visible").first
            what.fill("The queue is too long at noon")
            what.press("Enter")
            page.get_by_text("pp_1.description = The queue is too long at noon").wait_for(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "workshop_app_painpoints.png"), full_page=False)

            page.get_by_role("tab", name="Score").click()
            page.locator(".widget-html:visible", has_text="The queue is too long at noon").wait_for(timeout=30_000)
            row = _scored_row(page, "The queue is too long at noon")
            row.locator("select").nth(0).select_option(label="4")
            page.get_by_text("pp_1 severity = 4").wait_for(timeout=30_000)
        finally:
            browser.close()
    assert errors == [], errors
    assert not list(folder.glob("*.csv"))  # one source per table: the workbook
    from journeykit.workspace import load_workspace

    ws = load_workspace(folder)
    assert ws.painpoints.set_index("id").at["pp_1", "touchpoint"] == "tp_1"
    assert ws.touchpoints.set_index("id").at["tp_1", "name"] == "Till at lunch"
    votes = pd.read_csv(folder / "votes" / "ana.csv", dtype=str).set_index("item")
    assert votes.at["pp_1", "severity"] == "4"
