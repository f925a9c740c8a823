"""Tests for journeykit.viz.charts and journeykit.viz.style: assertions on the figure objects."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from journeykit.core.errors import JourneykitError
from journeykit.viz import charts, style

LONG = ("An unusually long description written in a workshop by someone who had a lot "
        "to say about this particular moment of the customer journey and kept going")


# --------------------------------------------------------------------------- fixtures


def _stage(i, name=None, events=(), emotion=None, description=""):
    return SimpleNamespace(id=f"s{i}", name=name or f"Stage number {i}", events=list(events),
                           emotion=emotion, description=description)


def fake_workspace(n_stages=4, n_touchpoints=10, *, crowd_one_stage=False, long_text=False,
                   channels=("web", "store", "phone", "email")):
    """A workspace stand-in: stages, touchpoints, pain points; no analysis tables."""
    stages = [_stage(i, name=(f"Stage {i}: a rather long stage name" if long_text else None),
                     events=[f"ev_{i}_a", f"ev_{i}_b"], emotion=(i % 5) - 2,
                     description=LONG if long_text else f"Goal of stage {i}")
              for i in range(n_stages)]
    rows = []
    for t in range(n_touchpoints):
        stage = "s0" if crowd_one_stage else f"s{t % n_stages}"
        rows.append({
            "id": f"tp{t}", "stage": stage, "channel": channels[t % len(channels)],
            "name": (f"Touchpoint {t} " + LONG) if long_text else f"Touchpoint {t}",
            "owner": ["Marketing", "Sales", "Support"][t % 3],
            "online": bool(t % 2 == 0), "personas": "p1" if t % 4 == 0 else "",
        })
    touchpoints = pd.DataFrame(rows, columns=["id", "stage", "channel", "name", "owner",
                                              "online", "personas"])
    pains = []
    for t in range(min(n_touchpoints, 12)):
        pains.append({"id": f"pp{t}", "touchpoint": f"tp{t}",
                      "kind": "pain" if t % 3 else "opportunity",
                      "description": (f"Problem {t} " + LONG) if long_text else f"Problem {t}",
                      "severity": (t % 5) + 1, "frequency": 3, "status": "open"})
    painpoints = pd.DataFrame(pains, columns=["id", "touchpoint", "kind", "description",
                                              "severity", "frequency", "status"])
    painpoints["severity"] = painpoints["severity"].astype("Int64")
    personas = pd.DataFrame({"id": ["p1", "p2"], "name": ["Persona One", "Persona Two"]})
    config = SimpleNamespace(business="Test Bikes", currency="EUR", stages=stages,
                             channels=list(channels), kpis={})
    return SimpleNamespace(config=config, personas=personas, touchpoints=touchpoints,
                           painpoints=painpoints, customers=None, orders=None, events=None,
                           feedback=None, tickets=None)


@pytest.fixture
def no_analysis(monkeypatch):
    """Make the map independent of the analysis modules (their own tests cover them)."""
    def unavailable(*args, **kwargs):
        raise RuntimeError("not in this test")

    monkeypatch.setattr(charts, "_call",
                        lambda module, name, *a, **k: (None, f"{module}.{name} off in tests"))
    return unavailable


def visible_texts(fig: Figure) -> list[Text]:
    """Texts that are drawn: visible, non-empty, and for tick labels inside the view limits."""
    all_ticks, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                all_ticks.update({id(tick.label1), id(tick.label2)})
            if not (ax.axison and axis.get_visible()):
                continue
            for tick in axis._update_ticks():  # the ticks matplotlib will draw
                drawn.update({id(tick.label1), id(tick.label2)})
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and (id(t) not in all_ticks or id(t) in drawn)]


def all_text(fig: Figure) -> str:
    """Every visible text, whitespace removed (wrapped names compare equal)."""
    return "".join("".join(t.get_text().split()) for t in visible_texts(fig))


def squash(text: str) -> str:
    return "".join(text.split())


def text_boxes(fig: Figure):
    # drawn as journeykit draws its figures (Outputs.figure, notebooks): the style's hinting
    with mpl.rc_context({"text.hinting": style.STYLE_RC["text.hinting"]}):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        return [(t, t.get_window_extent(renderer)) for t in visible_texts(fig)], renderer


def assert_texts_inside(fig: Figure, *, no_overlap: bool = False) -> None:
    """Every visible text lies inside the figure; with no_overlap, no two texts share ink area."""
    boxes, _ = text_boxes(fig)
    frame = fig.bbox
    outside = [(t.get_text(), b) for t, b in boxes
               if b.x0 < frame.x0 - 1 or b.y0 < frame.y0 - 1 or b.x1 > frame.x1 + 1
               or b.y1 > frame.y1 + 1]
    assert not outside, f"text outside the figure: {outside[:5]}"
    if not no_overlap:
        return
    coords = np.array([[b.x0, b.y0, b.x1, b.y1] for _, b in boxes])
    clashes = []
    for i, j in itertools.combinations(range(len(coords)), 2):
        w = min(coords[i, 2], coords[j, 2]) - max(coords[i, 0], coords[j, 0])
        h = min(coords[i, 3], coords[j, 3]) - max(coords[i, 1], coords[j, 1])
        if w > 1.0 and h > 1.0:  # more than a pixel of area shared
            clashes.append((boxes[i][0].get_text()[:30], boxes[j][0].get_text()[:30]))
    assert not clashes, f"overlapping texts: {clashes[:5]}"


def markers(fig: Figure, prefix: str) -> dict[str, Line2D]:
    return {a.get_gid().split(":", 1)[1]: a for a in fig.findobj(Line2D)
            if (a.get_gid() or "").startswith(prefix + ":")}


def save_png(fig: Figure, path: Path) -> int:
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return len(data)


# --------------------------------------------------------------------------- style


def test_style_is_local_and_colour_blind_palette():
    before = dict(mpl.rcParams)
    with style.use_style():
        assert mpl.rcParams["image.cmap"] == "cividis"
        assert [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]][:3] == [
            "#0072b2", "#e69f00", "#009e73"]
    assert mpl.rcParams["image.cmap"] == before["image.cmap"]
    # severity ramp gets darker with severity (readable in grey-scale print)
    lum = [0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
           for c in (mpl.colors.to_rgb(style.SEVERITY_COLORS[k]) for k in range(1, 6))]
    assert lum == sorted(lum, reverse=True)
    assert style.severity_color(4.6) == style.SEVERITY_COLORS[5]
    assert style.severity_color(None) == style.SEVERITY_UNKNOWN
    assert min(style.FONT_SIZES.values()) >= 7


# --------------------------------------------------------------------------- journey map


def test_map_names_every_stage_and_marks_every_touchpoint(no_analysis):
    ws = fake_workspace(n_stages=5, n_touchpoints=14)
    fig = charts.journey_map(ws)
    assert isinstance(fig, Figure)
    assert tuple(fig.get_size_inches()) == pytest.approx(style.A3_LANDSCAPE)
    text = all_text(fig)
    for stage in ws.config.stages:
        assert squash(stage.name) in text
    tps = markers(fig, "touchpoint")
    assert set(tps) == set(ws.touchpoints["id"])
    for _, tp in ws.touchpoints.iterrows():
        assert tps[tp["id"]].get_marker() == ("o" if tp["online"] else "s")
    for lane in ("Customer goals", "Touchpoints by", "Pain points", "Opportunities",
                 "KPIs per stage", "Owning teams"):
        assert squash(lane) in text


def test_map_colours_pain_points_by_severity(no_analysis):
    ws = fake_workspace(n_stages=4, n_touchpoints=12)
    fig = charts.journey_map(ws)
    pains = markers(fig, "pain")
    expected = ws.painpoints[ws.painpoints["kind"] == "pain"]
    assert set(pains) == set(expected["id"])
    for _, row in expected.iterrows():
        face = to_hex(pains[row["id"]].get_markerfacecolor())
        assert face == style.SEVERITY_COLORS[int(row["severity"])].lower()
    opportunities = markers(fig, "opportunity")
    assert set(opportunities) == set(ws.painpoints.loc[ws.painpoints["kind"] == "opportunity", "id"])


@pytest.mark.parametrize("n_stages,n_touchpoints,crowd,long_text", [
    (3, 0, False, False),
    (3, 40, False, True),
    (8, 40, False, True),
    (8, 40, True, True),
    (6, 25, True, False),
])
def test_map_text_stays_inside_and_never_overlaps(no_analysis, n_stages, n_touchpoints, crowd,
                                                  long_text):
    ws = fake_workspace(n_stages=n_stages, n_touchpoints=n_touchpoints, crowd_one_stage=crowd,
                        long_text=long_text)
    fig = charts.journey_map(ws)
    assert_texts_inside(fig, no_overlap=True)
    assert len(markers(fig, "touchpoint")) == n_touchpoints  # every touchpoint keeps its marker


def test_map_draws_emotion_curve_and_workshop_line_from_data(no_analysis):
    ws = fake_workspace(n_stages=3, n_touchpoints=3)
    curve = pd.DataFrame({
        "stage": ["s0", "s1", "s2"], "stage_name": ["a", "b", "c"], "n_texts": [10, 0, 40],
        "sentiment": [0.4, np.nan, -0.3], "sentiment_low": [0.2, np.nan, -0.5],
        "sentiment_high": [0.6, np.nan, -0.1], "n_csat": [12, 0, 50],
        "csat": [0.75, np.nan, 0.5], "csat_low": np.nan, "csat_high": np.nan,
        "workshop_emotion": [2.0, np.nan, -1.0],
    })
    funnel = pd.DataFrame({"step": [1, 2, 3], "stage": ["s0", "s1", "s2"],
                           "name": ["a", "b", "c"], "customers": [200, 100, 25],
                           "conversion_from_start": [1.0, 0.5, 0.125],
                           "conversion_from_previous": [1.0, 0.5, 0.25]})
    fig = charts.journey_map(ws, emotion=curve, funnel=funnel)
    lines = {a.get_gid(): a for a in fig.findobj(Line2D) if a.get_gid()}
    np.testing.assert_allclose(lines["emotion-data"].get_ydata(), [0.4, np.nan, -0.3])
    # workshop −2..+2 is drawn halved on the −1..+1 sentiment scale; missing -> stage emotion
    np.testing.assert_allclose(lines["emotion-workshop"].get_ydata(),
                               [1.0, ws.config.stages[1].emotion / 2, -0.5])
    text = all_text(fig)
    assert squash("Reached 200 (100%)") in text
    assert squash("From previous 25%") in text
    assert squash("CSAT 75% (n 12)") in text
    assert_texts_inside(fig)


def test_map_for_one_persona_keeps_only_their_touchpoints(no_analysis):
    ws = fake_workspace(n_stages=4, n_touchpoints=12)
    fig = charts.journey_map(ws, persona="Persona Two")
    audience = ws.touchpoints["personas"]
    expected = set(ws.touchpoints.loc[(audience == "") | (audience == "p2"), "id"])
    assert set(markers(fig, "touchpoint")) == expected
    assert "persona:PersonaTwo" in all_text(fig)
    with pytest.raises(JourneykitError, match="p1"):
        charts.journey_map(ws, persona="nobody")


def test_map_survives_failing_analysis_modules(monkeypatch):
    import journeykit.analytics.voice as feedback

    def broken(ws, **kwargs):
        raise ValueError("feedback exploded")

    monkeypatch.setattr(feedback, "emotion_curve", broken)
    ws = fake_workspace(n_stages=3, n_touchpoints=4)
    fig = charts.journey_map(ws)
    text = all_text(fig)
    assert "nodata" in text
    assert set(markers(fig, "touchpoint")) == set(ws.touchpoints["id"])


def test_map_without_stages_is_a_clear_error():
    ws = fake_workspace()
    ws.config.stages = []
    with pytest.raises(JourneykitError, match="stages"):
        charts.journey_map(ws)


def test_map_draws_dollar_signs_literally(no_analysis):
    ws = fake_workspace(n_stages=3, n_touchpoints=3)
    ws.touchpoints.loc[0, "name"] = "Save $5 and $10 today"
    fig = charts.journey_map(ws)
    assert "Save$5and$10today" in all_text(fig)
    fig.canvas.draw()  # would raise on mathtext parsing if '$' started maths


# --------------------------------------------------------------------------- other charts


def test_coverage_heatmap_counts_and_highlights_empty_cells():
    ws = fake_workspace(n_stages=3, n_touchpoints=5, channels=("web", "store", "phone"))
    fig = charts.coverage_heatmap(ws)
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
    image = fig.axes[0].images[0]
    cells = image.get_array()
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


def test_kpi_trend_draws_values_and_target():
    history = pd.DataFrame({"run_id": ["r1", "r2", "r3", "r1", "r2"],
                            "kpi": ["nps", "nps", "nps", "csat", "csat"],
                            "value": [20.0, 25.0, 31.0, 0.7, 0.8],
                            "n": [50, 60, 70, 50, 60], "ci_low": [10, 15, 22, 0.6, 0.7],
                            "ci_high": [30, 35, 40, 0.8, 0.9]})
    fig = charts.kpi_trend(history, {"nps": {"target": 40, "warning": 10}})
    nps_ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in nps_ax.get_lines()}
    assert list(lines["value"].get_ydata()) == [20.0, 25.0, 31.0]
    assert list(lines["target 40"].get_ydata()) == [40, 40]
    assert "NPS" in nps_ax.get_ylabel()
    assert_texts_inside(fig)
    with pytest.raises(JourneykitError, match="kpis"):
        charts.kpi_trend(history, ax=nps_ax)


def test_kpi_by_group_marks_small_samples():
    table = pd.DataFrame({"stage": ["a", "b", "c"], "kpi": "nps", "value": [40.0, -10.0, np.nan],
                          "n": [120, 12, 0], "ci_low": [30.0, -50.0, np.nan],
                          "ci_high": [50.0, 30.0, np.nan], "small_sample": [False, True, True]})
    fig = charts.kpi_by_group(table, "nps")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[1] == "b (n 12) small n" and labels[0] == "a (n 120)"
    hollow = [ln for ln in ax.get_lines() if ln.get_marker() == "o"
              and to_hex(ln.get_markerfacecolor()) == "#ffffff"]
    assert len(hollow) >= 1
    assert any(t.get_text() == "no data" for t in ax.texts)


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


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    sample = pytest.importorskip("journeykit.sample.simulation")
    workspace = pytest.importorskip("journeykit.workspace.loader")
    path = tmp_path_factory.mktemp("sample")
    sample.generate_sample(path, customers=250, months=6)
    return workspace.load_workspace(path)


@pytest.fixture(scope="module")
def sample_results(sample_ws):
    from journeykit.analytics import events, kpis, painpoints
    from journeykit.analytics import voice as feedback

    return {
        "scored": painpoints.score_pain_points(sample_ws),
        "curve": feedback.emotion_curve(sample_ws),
        "funnel": events.stage_funnel(sample_ws),
        "retention": events.retention(sample_ws.orders),
        "kpi_table": kpis.kpi_table(sample_ws.feedback, by="stage"),
    }


@pytest.fixture(scope="module")
def empty_ws(tmp_path_factory):
    workspace = pytest.importorskip("journeykit.workspace.loader")
    path = tmp_path_factory.mktemp("empty")
    (path / "journey.yaml").write_text(
        "business: Empty shop\nstages:\n  - {id: aware, name: Awareness}\n"
        "  - {id: buy, name: Buying}\n  - {id: after, name: After the sale}\n"
        "channels: [web, store]\n", encoding="utf-8")
    (path / "personas.csv").write_text("id,name\n", encoding="utf-8")
    (path / "touchpoints.csv").write_text("id,stage,channel,name\n", encoding="utf-8")
    return workspace.load_workspace(path)


def test_sample_map_image(sample_ws, sample_results, tmp_path):
    fig = charts.journey_map(sample_ws, pain_points=sample_results["scored"],
                             emotion=sample_results["curve"], funnel=sample_results["funnel"])
    text = all_text(fig)
    for stage in sample_ws.config.stages:
        assert squash(stage.name) in text
    assert set(markers(fig, "touchpoint")) == set(sample_ws.touchpoints["id"])
    assert_texts_inside(fig, no_overlap=True)
    assert save_png(fig, tmp_path / "map.png") > 50_000


def test_sample_other_charts_images(sample_ws, sample_results, tmp_path):
    from journeykit.analytics.personas import persona_cards

    cards = persona_cards(sample_ws, pain_points=sample_results["scored"])
    figures = {
        "designed_vs_observed": charts.designed_vs_observed(sample_ws),
        "coverage": charts.coverage_heatmap(sample_ws),
        "funnel": charts.funnel_chart(sample_results["funnel"]),
        "retention": charts.retention_heatmap(sample_results["retention"]),
        "emotion": charts.emotion_curve_chart(sample_results["curve"]),
        "matrix": charts.impact_effort_matrix(sample_results["scored"]),
        "kpi": charts.kpi_by_group(sample_results["kpi_table"], "nps"),
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


def test_nearly_empty_workspace_images(empty_ws, tmp_path):
    figures = {
        "map": charts.journey_map(empty_ws),
        "designed_vs_observed": charts.designed_vs_observed(empty_ws),
        "coverage": charts.coverage_heatmap(empty_ws),
        "cards": charts.persona_card_figure(pd.DataFrame(columns=["id", "name"])),
        "trend": charts.kpi_trend(pd.DataFrame(columns=["run_id", "kpi", "value"])),
        "retention": charts.retention_heatmap(pd.DataFrame(columns=["cohort", "period", "share"])),
        "matrix": charts.impact_effort_matrix(pd.DataFrame(columns=["impact", "effort"])),
    }
    text = all_text(figures["map"])
    for stage in empty_ws.config.stages:
        assert squash(stage.name) in text
    assert "notouchpoints" in text and "nodata" in text
    for name, fig in figures.items():
        assert_texts_inside(fig)
        assert save_png(fig, tmp_path / f"{name}.png") > 5_000, name


def test_kpi_by_group_shows_display_names():
    table = pd.DataFrame({"persona": ["p1", "p2"], "kpi": ["nps", "nps"], "value": [10.0, 20.0],
                          "n": [40, 50], "ci_low": [0.0, 10.0], "ci_high": [20.0, 30.0],
                          "small_sample": [False, False]})
    fig = charts.kpi_by_group(table, "nps", labels={"p1": "Daily commuter"})
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any(t.startswith("Daily commuter (n 40)") for t in ticks)
    assert any(t.startswith("p2 (n 50)") for t in ticks)  # no name known: the id


def test_text_is_as_wide_when_saved_as_where_the_chart_measured_it():
    """Charts fit text at the figure's 100 dpi; reports save at 150 dpi. Under the style the
    widths agree, so text that fits when measured also fits in the saved PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.font_manager import FontProperties

    texts = ["Checkout and payment", "iiii WWW mmm", "Awareness", "a", "Slow repairs at the workshop"]

    def widths(dpi: int) -> list[float]:
        with style.use_style():
            renderer = FigureCanvasAgg(Figure(dpi=dpi)).get_renderer()
            return [renderer.get_text_width_height_descent(t, FontProperties(size=size, weight=weight),
                                                           ismath=False)[0] / dpi
                    for t in texts for size in (6.5, 8, 11) for weight in ("normal", "bold")]

    for measured, saved in zip(widths(100), widths(150), strict=True):
        assert saved == pytest.approx(measured, rel=0.01)
