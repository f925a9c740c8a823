"""The notebooks in a real JupyterLab, as a workshop's driver uses them: one
``jupyter lab`` server for this module (on localhost, with a token, on a temporary copy
of notebooks/ whose ``../data/sample`` is a small generated workspace), driven in
headless Chromium (Debian's, through Playwright, no browser download).

* every notebook: Run All, then the saved notebook has no error output, and its widgets
  and charts are on the page;
* a blank workspace from ``journeykit new``: a persona added through 01's editor, with a
  quote, is in personas on disk;
* two pages (two kernels) editing the touchpoints: different fields are both saved; the
  same field shows the second page the conflict panel, and the file keeps the first save.

Screenshots: test-artifacts/lab_*.png. Skipped when Chromium is missing, unless
``CI=true`` (then it fails: .ci/run installs it).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from journeykit.sample.simulation import generate_sample
from journeykit.workspace.loader import load_workspace
from journeykit.workspace.scaffold import new_workspace

from .browser import ARTIFACTS, FLAGS, ROOT, Server, free_port, server_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: the notebooks that show editing widgets (interactive = True, the default)
WITH_WIDGETS = {"01_personas.ipynb", "02_touchpoints.ipynb", "03_pain_points.ipynb"}
RUN_TIMEOUT_S = float(os.environ.get("JOURNEYKIT_LAB_TIMEOUT", "240"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium_path):
    """(base URL, token, root folder, browser): JupyterLab on a copy of the notebooks."""
    from playwright.sync_api import sync_playwright  # heavy: only the browser tests load it

    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("*.py", ".*"))
    shutil.copy(root / "notebooks" / "02_touchpoints.ipynb", root / "notebooks" / "02_touchpoints_b.ipynb")
    generate_sample(root / "data" / "sample", customers=200, months=6)
    blank = root / "blank"
    (blank / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "01_personas.ipynb", blank / "notebooks")
    new_workspace(blank / "data" / "sample", name="Blank shop")
    settings = root / ".lab-settings"
    for plugin, values in (("notebook-extension/tracker", {"windowingMode": "none"}),  # every cell in the page
                           ("apputils-extension/notification", {"fetchNews": "false"}),
                           # the notebooks carry no kernelspec: start Python without asking
                           ("docmanager-extension/plugin", {"autoStartDefaultKernel": True})):
        file = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values), "utf-8")
    token = secrets.token_hex(16)
    port = free_port()
    server = Server([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                     "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--allow-root", "--ServerApp.ip=127.0.0.1",
                     f"--ServerApp.root_dir={root}", "--LabApp.news_url=", "--ServerApp.open_browser=False"],
                    port, env=server_env(JUPYTERLAB_WORKSPACES_DIR=str(root / ".lab-workspaces"),
                                         JUPYTERLAB_SETTINGS_DIR=str(settings)),
                    cwd=root, log=ARTIFACTS / "lab_server.log")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium_path, args=FLAGS, headless=True)
    try:
        yield f"http://127.0.0.1:{port}", token, root, browser
    finally:
        browser.close()
        playwright.stop()
        server.stop()


def _open(lab, path: str):
    """A page with the notebook at ``path`` (relative to the lab's root) open and its kernel idle."""
    url, token, _root, browser = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    # a lab workspace of its own, reset: only this notebook is open in the page
    page.goto(f"{url}/lab/workspaces/{secrets.token_hex(4)}/tree/{path}?token={token}&reset", timeout=120_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
    try:
        page.get_by_role("button", name="Select", exact=True).click(timeout=3_000)  # a kernel dialog, if any
    except PlaywrightTimeout:
        pass
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)
    return page


def _run_all(page) -> None:
    """Run → Run All Cells, then wait until no cell is queued or running."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    time.sleep(1.0)
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        # a collapsed (plumbing) cell shows no prompt; every other one a number when done
        done = not any("*" in p or "[ ]" in p for p in prompts) and any(p.strip("[]: ").isdigit() for p in prompts)
        if done and page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count():
            return
        time.sleep(1.0)
    page.screenshot(path=str(ARTIFACTS / "lab_timeout.png"))
    raise AssertionError(f"the notebook did not finish within {RUN_TIMEOUT_S} s: prompts {prompts}")


def _saved_errors(page, file: Path) -> list[str]:
    """Save the notebook from the page (Ctrl+S) and return its error outputs."""
    before = file.stat().st_mtime
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while file.stat().st_mtime == before and time.monotonic() < deadline:
        time.sleep(0.3)
    notebook = json.loads(file.read_text("utf-8"))
    return [f"{o.get('ename')}: {o.get('evalue')}" for cell in notebook["cells"]
            for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_runs_in_jupyterlab_with_widgets_and_charts(lab, name):
    root = lab[2]
    page = _open(lab, f"notebooks/{name}")
    try:
        _run_all(page)
        errors = _saved_errors(page, root / "notebooks" / name)
        page.screenshot(path=str(ARTIFACTS / f"lab_{name.removesuffix('.ipynb')}.png"))
        assert errors == []
        assert page.errors == []  # type: ignore[attr-defined]
        assert page.locator(".jp-RenderedImage img").count() > 0 or name.startswith("00")
        if name in WITH_WIDGETS:
            assert page.locator(".jp-OutputArea .jupyter-widgets").count() > 0
            text = page.locator(".jp-Notebook").inner_text()
            assert "Error displaying widget" not in text and "Loading widget" not in text
    finally:
        page.close()


def _input_index(page, value: str) -> int:
    index = page.evaluate("(v) => Array.from(document.querySelectorAll('.jp-OutputArea input[type=text]'))"
                          ".findIndex(i => i.value === v)", value)
    assert index >= 0, f"no text box holds {value!r}"
    return int(index)


def _choose_in_row(page, value: str, position: int, label: str) -> None:
    """In the grid row whose text box holds ``value``, pick ``label`` in its ``position``-th drop-down."""
    found = page.evaluate("(v) => { const i = Array.from(document.querySelectorAll('.jp-OutputArea input[type=text]'))"
                          ".find(e => e.value === v); if (!i) return false;"
                          " i.closest('.widget-hbox').setAttribute('data-test-row', '1'); return true; }", value)
    assert found, f"no text box holds {value!r}"
    row = page.locator("[data-test-row='1']")
    row.locator("select").nth(position).select_option(label=label)
    page.evaluate("() => document.querySelector('[data-test-row]').removeAttribute('data-test-row')")


def _type_into(page, value: str, new: str) -> None:
    box = page.locator(".jp-OutputArea input[type=text]").nth(_input_index(page, value))
    box.scroll_into_view_if_needed()
    box.fill(new)
    box.press("Enter")


def test_a_persona_added_on_a_blank_workspace_is_saved_with_its_text(lab):
    root = lab[2]
    page = _open(lab, "blank/notebooks/01_personas.ipynb")
    try:
        _run_all(page)
        page.get_by_role("button", name="Add a persona").click()
        page.get_by_text("Saved personas").first.wait_for(timeout=30_000)
        name = page.locator(".widget-text", has_text="Name").locator("input").first
        name.fill("Weekend rider")
        name.press("Enter")
        page.get_by_text(re.compile(r"Saved personas .*\.name$")).first.wait_for(timeout=30_000)
        quote = page.locator(".widget-textarea", has_text="Quote").locator("textarea").first
        quote.fill("I only have Saturdays")
        quote.press("Tab")
        try:
            page.get_by_text(re.compile(r"Saved personas .*\.quote$")).first.wait_for(timeout=30_000)
        finally:
            page.screenshot(path=str(ARTIFACTS / "lab_blank_persona.png"))
    finally:
        page.close()
    personas = load_workspace(root / "blank" / "data" / "sample").personas
    assert personas is not None
    assert personas["name"].tolist() == ["Weekend rider"]
    assert personas["quote"].tolist() == ["I only have Saturdays"]


def test_two_pages_editing_the_touchpoints_keep_both_edits_and_show_a_conflict(lab):
    root = lab[2]
    folder = root / "data" / "sample"
    before = pd.read_csv(folder / "touchpoints.csv", dtype=str)
    first, second = before.iloc[0], before.iloc[1]
    page_a = _open(lab, "notebooks/02_touchpoints.ipynb")
    page_b = _open(lab, "notebooks/02_touchpoints_b.ipynb")
    try:
        _run_all(page_a)
        _run_all(page_b)
        # different fields of the same row: both saved
        _type_into(page_a, first["name"], "Ads on search engines")
        page_a.get_by_text("Saved touchpoints").first.wait_for(timeout=30_000)
        assert first["owner"] != "Sales floor"
        _choose_in_row(page_b, first["name"], 2, "Sales floor")  # stage, channel, owner
        page_b.get_by_text(f"{first['id']}.owner = Sales floor").wait_for(timeout=30_000)
        now = pd.read_csv(folder / "touchpoints.csv", dtype=str).set_index("id")
        assert now.at[first["id"], "name"] == "Ads on search engines"
        assert now.at[first["id"], "owner"] == "Sales floor"
        # the same field: the second save is stopped and shown, the first stays on disk
        _type_into(page_a, second["name"], "Organic search (A)")
        page_a.get_by_text(f"{second['id']}.name = Organic search (A)").wait_for(timeout=30_000)
        _type_into(page_b, second["name"], "Organic search (B)")
        page_b.get_by_text("Someone else changed this too").wait_for(timeout=30_000)
        assert page_b.get_by_role("button", name="Keep mine").is_visible()
        page_b.get_by_text("Someone else changed this too").scroll_into_view_if_needed()
        page_b.screenshot(path=str(ARTIFACTS / "lab_conflict.png"))
        now = pd.read_csv(folder / "touchpoints.csv", dtype=str).set_index("id")
        assert now.at[second["id"], "name"] == "Organic search (A)"
        page_b.get_by_role("button", name="Keep mine").click()
        page_b.get_by_text("kept yours").first.wait_for(timeout=30_000)
        now = pd.read_csv(folder / "touchpoints.csv", dtype=str).set_index("id")
        assert now.at[second["id"], "name"] == "Organic search (B)"
        assert now.at[first["id"], "name"] == "Ads on search engines"
    finally:
        page_a.close()
        page_b.close()
