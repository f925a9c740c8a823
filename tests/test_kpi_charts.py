"""Tests for journeykit.viz.kpi_charts: KPIs across runs and across groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from journeykit.core.errors import JourneykitError
from journeykit.viz import kpi_charts
from tests.figures import assert_texts_inside


def test_kpi_trend_draws_values_and_target():
    history = pd.DataFrame({"run_id": ["r1", "r2", "r3", "r1", "r2"],
                            "kpi": ["nps", "nps", "nps", "csat", "csat"],
                            "value": [20.0, 25.0, 31.0, 0.7, 0.8],
                            "n": [50, 60, 70, 50, 60], "ci_low": [10, 15, 22, 0.6, 0.7],
                            "ci_high": [30, 35, 40, 0.8, 0.9]})
    fig = kpi_charts.kpi_trend(history, {"nps": {"target": 40, "warning": 10}})
    nps_ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in nps_ax.get_lines()}
    assert list(lines["value"].get_ydata()) == [20.0, 25.0, 31.0]
    assert list(lines["target 40"].get_ydata()) == [40, 40]
    assert "NPS" in nps_ax.get_ylabel()
    assert_texts_inside(fig)
    with pytest.raises(JourneykitError, match="kpis"):
        kpi_charts.kpi_trend(history, ax=nps_ax)


def test_kpi_by_group_marks_small_samples():
    table = pd.DataFrame({"stage": ["a", "b", "c"], "kpi": "nps", "value": [40.0, -10.0, np.nan],
                          "n": [120, 12, 0], "ci_low": [30.0, -50.0, np.nan],
                          "ci_high": [50.0, 30.0, np.nan], "small_sample": [False, True, True]})
    fig = kpi_charts.kpi_by_group(table, "nps")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[1] == "b (n 12) small n" and labels[0] == "a (n 120)"
    hollow = [ln for ln in ax.get_lines() if ln.get_marker() == "o"
              and to_hex(ln.get_markerfacecolor()) == "#ffffff"]
    assert len(hollow) >= 1
    assert len(labels) == 2  # the group without answers gets no row, only a line in the legend
    assert "no answers yet: c" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_kpi_by_group_shows_display_names():
    table = pd.DataFrame({"persona": ["p1", "p2"], "kpi": ["nps", "nps"], "value": [10.0, 20.0],
                          "n": [40, 50], "ci_low": [0.0, 10.0], "ci_high": [20.0, 30.0],
                          "small_sample": [False, False]})
    fig = kpi_charts.kpi_by_group(table, "nps", labels={"p1": "Daily commuter"})
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any(t.startswith("Daily commuter (n 40)") for t in ticks)
    assert any(t.startswith("p2 (n 50)") for t in ticks)  # no name known: the id


def test_kpi_trend_without_history_says_so(tmp_path):
    from tests.figures import save_png

    fig = kpi_charts.kpi_trend(pd.DataFrame(columns=["run_id", "kpi", "value"]))
    assert_texts_inside(fig)
    assert save_png(fig, tmp_path / "trend.png") > 5_000
