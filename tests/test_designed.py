"""Tests for journeykit.viz.designed: designed journey vs observed behaviour, touchpoint coverage."""

from __future__ import annotations

import numpy as np

from journeykit.viz import designed
from tests.figures import all_text, assert_texts_inside, chart_workspace, save_png, squash


def test_coverage_heatmap_counts_and_highlights_empty_cells(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=3, n_touchpoints=5, channels=("web", "store", "phone"))
    fig = designed.coverage_heatmap(ws)
    counts = {}
    for _, tp in ws.touchpoints.iterrows():
        counts[(tp["stage"], tp["channel"])] = counts.get((tp["stage"], tp["channel"]), 0) + 1
    empty_expected = 3 * 3 - len(counts)
    empty = [p for p in fig.axes[0].patches if p.get_gid() == "empty-cell"]
    assert len(empty) == empty_expected
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("none") == empty_expected
    assert sorted(int(t) for t in texts if t.isdigit()) == sorted(counts.values())
    assert fig.axes[0].get_xlabel() == "Channel" and fig.axes[0].get_title(loc="left")
    assert_texts_inside(fig)


def test_sample_designed_charts_images(sample_ws, tmp_path):
    figures = {
        "designed_vs_observed": designed.designed_vs_observed(sample_ws),
        "coverage": designed.coverage_heatmap(sample_ws),
    }
    for name, fig in figures.items():
        assert any(ax.get_title(loc="left") for ax in fig.axes), name
        assert_texts_inside(fig)
        # laid out once: no layout engine left to make savefig lay the figure out again
        assert fig.get_layout_engine() is None, name
        assert save_png(fig, tmp_path / f"{name}.png") > 8_000, name


def test_designed_vs_observed_draws_reach_funnel_and_off_map(sample_ws):
    from journeykit.analytics.journey import observed_journey

    observed = observed_journey(sample_ws, top_events=6, top_paths=6)
    fig = designed.designed_vs_observed(sample_ws)
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], observed.reach["share"])
    labels = {ln.get_label() for ln in ax.get_lines()}
    assert "reached in designed order (stage funnel)" in labels
    text = all_text(fig)
    assert "Offthemap" in text
    for steps in observed.off_map_paths["events"]:
        assert squash(" → ".join(s.replace("_", " ") for s in steps)) in text


def test_nearly_empty_workspace_designed_images(empty_ws, tmp_path):
    figures = {
        "designed_vs_observed": designed.designed_vs_observed(empty_ws),
        "coverage": designed.coverage_heatmap(empty_ws),
    }
    assert "noeventlog" in all_text(figures["designed_vs_observed"])
    for name, fig in figures.items():
        assert_texts_inside(fig)
        assert save_png(fig, tmp_path / f"{name}.png") > 5_000, name
