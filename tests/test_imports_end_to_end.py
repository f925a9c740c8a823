"""A workspace built only with ``journeykit new`` and ``journeykit import`` from untouched
exports of six kinds (web shop, till, web analytics, survey, help desk, reviews) validates
and runs end to end, and its numbers are the exports' numbers.

The exports are the hand-made fixtures of tests/data/exports/ (each reproduces its real
format's quirks); the workspace is a real folder and the run a real ``journeykit run``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import journeykit as jk
from journeykit.run.cli import main

EXPORTS = Path(__file__).parent / "data" / "exports"
JOURNEYKIT = Path(sys.executable).parent / "journeykit"

IMPORTS = [
    ["shopify", "shopify_orders_export.csv"],
    ["square", "square_transactions.csv", "--append"],
    ["ga4", "ga4_events.csv", "--append"],
    ["typeform", "typeform_responses.csv", "--set", "nps=recommend", "--set", "ces=easy",
     "--set", "comment=main reason"],
    ["zendesk", "zendesk_view_daymonth.csv"],
    ["trustpilot", "trustpilot_reviews.csv", "--append"],
]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("e2e") / "velo"
    assert main(["new", str(workspace), "--name", "Velo Bikes"]) == 0
    before = {p.name: p.read_bytes() for p in EXPORTS.iterdir()}
    for preset, export, *options in IMPORTS:
        code = main(["import", preset, str(EXPORTS / export), "--into", str(workspace), *options])
        assert code == 0, (preset, export)
    assert {p.name: p.read_bytes() for p in EXPORTS.iterdir()} == before  # exports untouched
    return workspace


def test_the_imported_workspace_validates_without_errors(imported: Path) -> None:
    errors = [p for p in jk.validate_workspace(imported) if p.severity == "error"]
    assert errors == []
    ws = jk.load_workspace(imported)
    assert {"orders", "events", "customers", "feedback", "tickets"} <= {n for n in ws.tables} | set(ws.large)
    # every customer the feedback and tickets name is in the derived customers table
    customers = set(ws.customers["customer_id"].dropna())
    for table in ("feedback", "tickets", "orders"):
        assert set(ws.tables[table]["customer_id"].dropna()) <= customers, table
    assert set(ws.feedback["source"]) == {"survey", "review"}


def test_a_run_of_the_imported_workspace_reports_the_exports_numbers(imported: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(JOURNEYKIT), "run", "--workspace", str(imported), "--out", str(tmp_path / "out"),
                             "--quiet"], capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    metrics = json.loads((tmp_path / "out" / "latest" / "metrics.json").read_text(encoding="utf-8"))["metrics"]
    ws = jk.load_workspace(imported)
    nps = ws.feedback["nps"].dropna().astype(int)
    expected_nps = 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps)
    assert metrics["nps"]["n"] == len(nps) and metrics["nps"]["value"] == pytest.approx(expected_nps)
    assert metrics["average_order_value"]["n"] == len(ws.orders)
    assert metrics["average_order_value"]["value"] == pytest.approx(ws.orders["amount"].mean())
    stars = ws.feedback["csat"].dropna().astype(int)
    assert metrics["csat"]["n"] == len(stars)
    assert metrics["csat"]["value"] == pytest.approx((stars >= 4).mean())
    assert (tmp_path / "out" / "latest" / "index.html").stat().st_size > 10_000
    assert not (imported / "reports").exists()
