"""Tests for journeykit.run.history: the KPIs of past runs."""

from __future__ import annotations

import json
import os

import pytest

from journeykit.run.history import kpi_history, previous_metrics


def _write_run(folder, name, metrics, run_id=None):
    run = folder / name
    run.mkdir()
    document = {"run_id": run_id or name, "metrics": metrics}
    (run / "metrics.json").write_text(json.dumps(document), encoding="utf-8")
    return run


# run folders are named by their run id (journeykit.run.runner.RUN_ID_RE)
def test_kpi_history_reads_successful_runs_in_order(tmp_path):
    metric = {"value": 30.0, "n": 50, "ci_low": 10.0, "ci_high": 50.0, "unit": "points",
              "label": "Net Promoter Score"}
    _write_run(tmp_path, "20240201T090000Z", {"nps": {**metric, "value": 35.0},
                                             "csat": {"value": None, "n": 0}})
    first = _write_run(tmp_path, "20240101T090000Z", {"nps": metric})
    _write_run(tmp_path, "20240301T090000Z-failed", {"nps": {**metric, "value": -99.0}})
    broken = tmp_path / "20240215T090000Z"
    broken.mkdir()
    (broken / "metrics.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "README.md").write_text("reports", encoding="utf-8")
    # not a run folder (run folders are named by run id, journeykit.run.runs.find_runs)
    _write_run(tmp_path, "archive", {"nps": {**metric, "value": 99.0}})
    if hasattr(os, "symlink"):
        os.symlink(first, tmp_path / "latest")

    with pytest.warns(UserWarning, match="20240215T090000Z"):
        history = kpi_history(tmp_path)
    assert list(history.columns[:6]) == ["run_id", "kpi", "value", "n", "ci_low", "ci_high"]
    assert list(history["run_id"]) == ["20240101T090000Z", "20240201T090000Z", "20240201T090000Z"]
    assert list(history["value"].fillna(-1)) == [30.0, 35.0, -1]
    assert history["n"].dtype == "Int64"


def test_kpi_history_without_runs_is_empty(tmp_path):
    assert kpi_history(tmp_path).empty
    with pytest.warns(UserWarning, match="no reports folder"):
        assert kpi_history(tmp_path / "missing").empty


def test_previous_metrics_reads_the_run_latest_points_to(tmp_path):
    assert previous_metrics(tmp_path) is None
    run = _write_run(tmp_path, "20240101T090000Z", {"nps": {"value": 30.0, "n": 50}})
    if not hasattr(os, "symlink"):
        pytest.skip("needs symlinks")
    os.symlink(run, tmp_path / "latest")
    assert previous_metrics(tmp_path)["metrics"]["nps"]["value"] == 30.0
