"""Tests for journeykit.viz.charts (the result charts): assertions on the figure objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from journeykit.core.errors import JourneykitError
from journeykit.viz import charts, style
from journeykit.viz.kpi_charts import kpi_by_group
from tests.figures import LONG, all_text, assert_texts_inside, markers, save_png, squash


def test_funnel_chart_bars_are_customer_counts_and_groups_are_lines():
    frame = pd.DataFrame({"step": [1, 2, 3], "name": ["visit", "cart", "buy"],
                          "customers": [100, 40, 10],
                          "conversion_from_start": [1.0, 0.4, 0.1],
                          "conversion_from_previous": [1.0, 0.4, 0.25]})
    fig = charts.funnel_chart(frame)
    ax = fig.axes[0]
    assert [p.get_width() for p in ax.patches] == [100, 40, 10]
    assert any("25% from prev." in t.get_text() for t in ax.texts)
    assert "Customers" in ax.get_xlabel()
    grouped = pd.concat([frame.assign(channel="web"),
                         frame.assign(channel="store", conversion_from_start=[1.0, 0.5, 0.2])])
    fig2 = charts.funnel_chart(grouped)
    lines = [ln for ln in fig2.axes[0].get_lines() if len(ln.get_xdata()) == 3]
    assert len(lines) == 2
    assert sorted(tuple(ln.get_ydata()) for ln in lines) == [(100.0, 40.0, 10.0),
                                                            (100.0, 50.0, 20.0)]
    assert_texts_inside(fig2)


def test_retention_heatmap_cells_are_shares():
    frame = pd.DataFrame({"cohort": ["2026-01", "2026-01", "2026-02"], "period": [0, 1, 0],
                          "customers": [10, 4, 5], "share": [1.0, 0.4, 1.0]})
    fig = charts.retention_heatmap(frame)
    image = fig.axes[0].collections[0]  # the seaborn heatmap's mesh on the colour scale
    cells = image.get_array().reshape(2, 2)
    # period 0 (the cohort itself, always 100%) is grey, off the colour scale,
    # so the scale spans the returns: here 40% is its top
    assert np.ma.is_masked(cells[0, 0]) and cells[0, 1] == pytest.approx(0.4)
    assert image.get_clim() == (0, pytest.approx(0.4))
    assert np.ma.is_masked(cells[1, 1])
    assert {"100%", "40%"} <= {t.get_text() for t in fig.axes[0].texts}
    assert "(n 10)" in fig.axes[0].get_yticklabels()[0].get_text()


def test_emotion_curve_chart_band_and_workshop_line():
    curve = pd.DataFrame({"stage": ["a", "b"], "stage_name": ["Aware", "Buy"],
                          "sentiment": [0.5, -0.2], "sentiment_low": [0.3, -0.4],
                          "sentiment_high": [0.7, 0.0], "n_csat": [20, 0], "csat": [0.8, np.nan],
                          "workshop_emotion": [1.0, -2.0]})
    fig = charts.emotion_curve_chart(curve)
    ax = fig.axes[0]
    ys = {ln.get_label(): list(ln.get_ydata()) for ln in ax.get_lines()}
    assert ys["sentiment from data"] == [0.5, -0.2]
    assert ys["workshop emotion ÷ 2"] == [0.5, -1.0]
    assert "CSAT 80% (n 20)" in ax.get_xticklabels()[0].get_text()
    assert "where the survey was asked" in ax.get_xlabel()
    assert "Sentiment" in ax.get_ylabel()


def test_impact_effort_matrix_places_and_colours_items():
    scored = pd.DataFrame({"id": ["a", "b", "c"], "kind": ["pain", "pain", "opportunity"],
                           "title": ["Slow repairs", "Late delivery", "Home test rides"],
                           "impact": [0.9, 0.2, 0.6], "effort": [2, 5, 3],
                           "severity": [1.0, 0.25, np.nan], "priority": [0.8, 0.1, 0.5]})
    fig = charts.impact_effort_matrix(scored)
    pts = markers(fig, "pain")
    assert to_hex(pts["a"].get_markerfacecolor()) == style.SEVERITY_COLORS[5].lower()
    assert to_hex(pts["b"].get_markerfacecolor()) == style.SEVERITY_COLORS[2].lower()
    assert pts["a"].get_ydata()[0] == 0.9
    assert abs(pts["a"].get_xdata()[0] - 2) < 0.25  # small jitter only
    opp = markers(fig, "opportunity")["c"]
    assert opp.get_marker() == "^"
    text = all_text(fig)
    assert "1.Slowrepairs" in text and "quickwins" in text
    assert_texts_inside(fig)


def test_persona_card_figure_shows_every_name():
    cards = pd.DataFrame({"id": ["p1", "p2", "p3", "p4"],
                          "name": ["Anna Apple", "Bob Bike", "Cleo Cargo", "Dirk Dutch"],
                          "quote": [LONG] * 4, "demographics": [LONG] * 4, "goals": [LONG] * 4,
                          "frustrations": [LONG] * 4, "preferred_channels": ["web;store"] * 4,
                          "n_customers": [10, 20, 30, 40], "share_customers": [0.1, 0.2, 0.3, 0.4],
                          "share_revenue": [0.25] * 4, "clv": [100.0, 200, np.nan, 50],
                          "nps": [10.0, -5, np.nan, 30], "nps_n": [40, 30, 0, 20],
                          "top_pain_point": [LONG] * 4})
    fig = charts.persona_card_figure(cards, currency="EUR")
    text = all_text(fig)
    for name in cards["name"]:
        assert squash(name) in text
    assert "NPS:+10(n40)" in text and "CLV:200EUR" in text
    assert_texts_inside(fig, no_overlap=True)


def test_chart_inputs_missing_columns_raise_clear_errors():
    with pytest.raises(JourneykitError, match="customers"):
        charts.funnel_chart(pd.DataFrame({"step": [1]}))
    with pytest.raises(JourneykitError, match="impact"):
        charts.impact_effort_matrix(pd.DataFrame({"effort": [1]}))


def test_charts_draw_into_a_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    frame = pd.DataFrame({"step": [1, 2], "name": ["a", "b"], "customers": [10, 5],
                          "conversion_from_start": [1.0, 0.5],
                          "conversion_from_previous": [1.0, 0.5]})
    assert charts.funnel_chart(frame, ax=ax) is fig
    assert len(ax.patches) == 2



# --------------------------------------------------------------------------- smoke: sample + empty


def test_sample_other_charts_images(sample_ws, sample_results, tmp_path):
    from journeykit.analytics.personas import persona_cards

    cards = persona_cards(sample_ws, pain_points=sample_results["scored"])
    figures = {
        "funnel": charts.funnel_chart(sample_results["funnel"]),
        "retention": charts.retention_heatmap(sample_results["retention"]),
        "emotion": charts.emotion_curve_chart(sample_results["curve"]),
        "matrix": charts.impact_effort_matrix(sample_results["scored"]),
        "kpi": kpi_by_group(sample_results["kpi_table"], "nps"),
        "cards": charts.persona_card_figure(cards),
    }
    for name in sample_ws.personas["name"]:
        assert squash(name) in all_text(figures["cards"])
    for name, fig in figures.items():
        assert any(ax.get_title(loc="left") for ax in fig.axes) or name == "cards", name
        assert_texts_inside(fig)
        # laid out once: no layout engine left to make savefig lay the figure out again
        assert fig.get_layout_engine() is None, name
        assert save_png(fig, tmp_path / f"{name}.png") > 8_000, name


def test_empty_result_images(tmp_path):
    figures = {
        "cards": charts.persona_card_figure(pd.DataFrame(columns=["id", "name"])),
        "retention": charts.retention_heatmap(pd.DataFrame(columns=["cohort", "period", "share"])),
        "matrix": charts.impact_effort_matrix(pd.DataFrame(columns=["impact", "effort"])),
    }
    for name, fig in figures.items():
        assert_texts_inside(fig)
        assert save_png(fig, tmp_path / f"{name}.png") > 5_000, name
