"""Shared fixtures: tiny workspaces written as real files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"

JOURNEY_YAML = """\
business: Test Bakery
currency: EUR
timezone: Europe/Amsterdam
stages:
  - {id: awareness, name: Awareness, events: [ad_click]}
  - {id: consideration, name: Consideration, events: [menu_view]}
  - {id: decision, name: Decision, events: [order]}
  - {id: post_purchase, name: Post-purchase, events: [review]}
channels: [web, store]
owners: [Sales, Kitchen]
"""

PERSONAS = "id,name,quote,preferred_channels\nregular,The Regular,Same as always,store\nfoodie,The Foodie,What is new?,web;store\n"
TOUCHPOINTS = (
    "id,stage,channel,name,owner,online,personas\n"
    "tp_ads,awareness,web,Online ads,Sales,yes,foodie\n"
    "tp_counter,decision,store,Counter,Sales,no,\n"
)


def write_workspace(folder: Path, **tables: str | bytes) -> Path:
    """A workspace folder: journey.yaml plus one file per keyword (name -> content).
    Keys may include a suffix (``feedback_csv`` -> feedback.csv); bytes are written as is."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"journey.yaml": JOURNEY_YAML, "personas.csv": PERSONAS, "touchpoints.csv": TOUCHPOINTS}
    for key, content in tables.items():
        name = key if "." in key else f"{key}.csv"
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def make_workspace(tmp_path):
    counter = iter(range(1000))

    def make(**tables):
        return write_workspace(tmp_path / f"ws{next(counter)}", **tables)

    return make


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (to assert a run left it untouched)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --------------------------------------------------------------------------- chart tests


@pytest.fixture(scope="session")
def sample_ws(tmp_path_factory):
    """A small generated sample workspace (250 customers, 6 months), loaded."""
    from journeykit.sample.simulation import generate_sample
    from journeykit.workspace import load_workspace

    path = tmp_path_factory.mktemp("sample")
    generate_sample(path, customers=250, months=6)
    return load_workspace(path)


@pytest.fixture(scope="session")
def sample_results(sample_ws):
    """The analysis results the charts draw, computed once on ``sample_ws``."""
    from journeykit.analytics import events, kpis, painpoints, voice

    return {
        "scored": painpoints.score_pain_points(sample_ws),
        "curve": voice.emotion_curve(sample_ws),
        "funnel": events.stage_funnel(sample_ws),
        "retention": events.retention(sample_ws.orders),
        "kpi_table": kpis.kpi_table(sample_ws.feedback, by="stage"),
    }


@pytest.fixture(scope="session")
def empty_ws(tmp_path_factory):
    """Three stages, two channels, no personas or touchpoints: nothing to show yet."""
    from journeykit.workspace import load_workspace

    path = tmp_path_factory.mktemp("empty")
    (path / "journey.yaml").write_text(
        "business: Empty shop\nstages:\n  - {id: aware, name: Awareness}\n"
        "  - {id: buy, name: Buying}\n  - {id: after, name: After the sale}\n"
        "channels: [web, store]\n", encoding="utf-8")
    (path / "personas.csv").write_text("id,name\n", encoding="utf-8")
    (path / "touchpoints.csv").write_text("id,stage,channel,name\n", encoding="utf-8")
    return load_workspace(path)


# --------------------------------------------------------------------------- browser tests


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Headless Chromium, found as `journeykit run --pdf` finds it. Missing: the test is
    skipped, saying so, unless CI=true (then it fails: .ci/run installs it)."""
    import os

    from journeykit.run.pdf import ChromiumNotFound, find_chromium

    try:
        return find_chromium()
    except ChromiumNotFound as exc:
        message = f"{exc} (needed to open and print the report)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def demo_report_run(tmp_path_factory, chromium_path) -> dict:
    """One real `journeykit run --pdf` on a private copy of the demo workspace, shared by
    the browser and PDF tests: {"run": run folder, "stdout", "stderr"}."""
    import os
    import shutil
    import subprocess
    import sys

    from journeykit.run.runs import resolve_latest

    base = tmp_path_factory.mktemp("demo_report")
    workspace = base / "sample"
    if (SAMPLE / "journey.yaml").exists():
        shutil.copytree(SAMPLE, workspace)
    else:
        from journeykit.sample.simulation import generate_sample

        generate_sample(workspace)
    out = base / "reports"
    result = subprocess.run([sys.executable, "-m", "journeykit.run.cli", "run", "--workspace", str(workspace),
                             "--out", str(out), "--quiet", "--pdf"],
                            capture_output=True, text=True, timeout=900, env=os.environ.copy())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"run": resolve_latest(out), "stdout": result.stdout, "stderr": result.stderr}
