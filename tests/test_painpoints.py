"""journeykit.analytics.painpoints: the priority formula, quadrants, scoring evidence, the action plan
and its spreadsheet-safe export, and the planted problems of the sample."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from journeykit.analytics.painpoints import (
    DEFAULT_WEIGHTS,
    action_plan,
    component_value,
    confidence_from_n,
    export_action_plan,
    priority_score,
    quadrant,
    score_pain_points,
)
from journeykit.analytics.voice import sentiment
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.config import Defaults, JourneyConfig, Stage

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"

# --------------------------------------------------------------------------- the formula


def test_priority_formula_on_hand_computed_cases():
    # geometric mean of (0.5, 0.5, 0.2, 1.0) = 0.05 ** (1/4) = 0.472871; times confidence 0.5
    assert priority_score(frequency=0.5, severity=0.5, reach=0.2, impact=1.0, effort=3,
                          confidence=0.5) == pytest.approx(0.236435, abs=1e-6)
    # effort 1 with the default exponent 0.5 multiplies by sqrt(3); effort 5 divides by sqrt(5/3)
    assert priority_score(frequency=1, severity=1, reach=1, impact=1, effort=1,
                          confidence=1) == pytest.approx(math.sqrt(3))
    assert priority_score(frequency=1, severity=1, reach=1, impact=1, effort=5,
                          confidence=1) == pytest.approx(1 / math.sqrt(5 / 3))
    # a blank effort is medium
    assert priority_score(frequency=1, severity=1, reach=1, impact=1, effort=float("nan"),
                          confidence=0.8) == pytest.approx(0.8)


def test_weights_missing_components_and_the_floor():
    # reach weighted 0: geometric mean of (0.5, 0.5, 1.0) = 0.25 ** (1/3) = 0.629961
    assert component_value(0.5, 0.5, 0.2, 1.0, {"reach": 0}) == pytest.approx(0.629961, abs=1e-6)
    # weights 2,1,1,0 on (0.9, 0.4, 0.1, x): (0.81 * 0.4 * 0.1) ** (1/4) = 0.424264
    assert component_value(0.9, 0.4, 0.1, 0.7, {"frequency": 2, "impact": 0}) == pytest.approx(
        0.424264, abs=1e-6)
    # an unknown component counts 0.5; a zero counts 0.01
    assert component_value(0.5, 0.5, 0.5, float("nan")) == pytest.approx(0.5)
    assert component_value(0.0, 1, 1, 1) == pytest.approx(0.01 ** 0.25)
    # effort weight 1 divides by effort / 3 (RICE-like), 0 ignores effort
    assert priority_score(frequency=1, severity=1, reach=1, impact=1, effort=6, confidence=1,
                          weights={"effort": 1}) == pytest.approx(0.5)
    assert priority_score(frequency=1, severity=1, reach=1, impact=1, effort=5, confidence=1,
                          weights={"effort": 0}) == pytest.approx(1.0)
    assert set(DEFAULT_WEIGHTS) == {"frequency", "severity", "reach", "impact", "effort"}


@pytest.mark.parametrize("weights, message", [
    ({"urgency": 1}, "unknown weight"),
    ({"reach": -1}, "finite number >= 0"),
    ({"frequency": 0, "severity": 0, "reach": 0, "impact": 0}, "at least one"),
])
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(JourneykitError, match=message):
        component_value(0.5, 0.5, 0.5, 0.5, weights)


@pytest.mark.parametrize("impact, effort, expected", [
    (0.5, 3, "quick win"),         # both boundaries belong to the "better" side
    (0.4999, 3, "fill-in"),
    (0.5, 3.01, "major project"),
    (1.0, 1, "quick win"),
    (0.9, 4, "major project"),
    (0.0, 1, "fill-in"),
    (0.49, 5, "reconsider"),
    (float("nan"), 5, "reconsider"),
    (0.8, float("nan"), "quick win"),  # blank effort is medium
])
def test_quadrant_boundaries(impact, effort, expected):
    assert quadrant(impact, effort) == expected


def test_confidence_from_sample_size():
    assert confidence_from_n(0) == 0
    assert confidence_from_n(30) == 0.5
    assert confidence_from_n(90) == 0.75
    assert confidence_from_n(20, prior=10) == 0.5


# --------------------------------------------------------------------------- a small workspace

PAY_FAILED = "Payment failed again, awful. Ring me on 06-12345678"
LATE = "The courier was late, terrible service."
ON_TIME = "Great delivery, thanks!"
SHOP = "Lovely shop and friendly people."


def small_workspace(painpoints: pd.DataFrame | None = None):
    stages = (
        Stage(id="browse", name="Browse", events=("view", "cart"), emotion=None),
        Stage(id="buy", name="Buy", events=("pay", "pay_failed", "paid"), emotion=None),
        Stage(id="after", name="After", events=("deliver",), emotion=None),
    )
    config = JourneyConfig(
        business="Small bike shop", stages=stages, defaults=Defaults(window="1D"),
        themes={
            "delivery": {"keywords": ["courier", "delivery", "late", "parcels"],
                         "touchpoint": "tp_delivery"},
            "payment": {"keywords": ["payment"], "touchpoint": "tp_app_checkout"},
        },
    )
    touchpoints = pd.DataFrame({
        "id": ["tp_shop", "tp_web_checkout", "tp_app_cart", "tp_app_checkout", "tp_delivery"],
        "stage": ["browse", "buy", "buy", "buy", "after"],
        "channel": ["store", "web", "mobile", "mobile", "web"],
        "name": ["Shop", "Web checkout", "App basket", "App checkout", "Home delivery"],
        "owner": ["Sales", "E-commerce", "E-commerce", "E-commerce", "Delivery"],
    }).astype("string")
    t0 = pd.Timestamp("2026-02-01 10:00")
    events = []
    # 100 web buyers: 95 pay successfully; 60 app buyers: 30 do; paid buyers get a delivery
    for i in range(160):
        customer, channel = f"c{i:03d}", "web" if i < 100 else "mobile"
        converts = (i < 95) if channel == "web" else (i < 130)
        start = t0 + pd.Timedelta(hours=i)
        events.append((customer, start, "pay", channel))
        if converts:
            events.append((customer, start + pd.Timedelta(minutes=2), "paid", channel))
            events.append((customer, start + pd.Timedelta(days=2), "deliver", "web"))
        else:
            events.append((customer, start + pd.Timedelta(minutes=1), "pay_failed", channel))
    events = pd.DataFrame(events, columns=["customer_id", "timestamp", "event", "channel"])
    feedback = []
    for i in range(17):
        feedback.append((f"c{i:03d}", "tp_delivery", 1, LATE))
    for i in range(17, 20):
        feedback.append((f"c{i:03d}", "tp_delivery", 5, ON_TIME))
    for i in range(20, 30):
        feedback.append((f"c{i:03d}", "tp_shop", 5, SHOP))
    for i in range(130, 134):
        feedback.append((f"c{i:03d}", "tp_app_checkout", 2, PAY_FAILED))
    feedback = pd.DataFrame(feedback, columns=["customer_id", "touchpoint", "csat", "comment"])
    feedback["date"] = pd.Timestamp("2026-02-10")
    feedback = feedback.astype({"customer_id": "string", "touchpoint": "string",
                                "comment": "string", "csat": "Int64"})
    customers = pd.DataFrame({"customer_id": pd.array([f"c{i:03d}" for i in range(200)],
                                                      dtype="string")})
    tables = {"touchpoints": touchpoints, "events": events, "feedback": feedback,
              "customers": customers, "painpoints": painpoints}
    return Workspace(path=Path("."), config=config,
                     tables={name: frame for name, frame in tables.items() if frame is not None})


def workshop_table(rows):
    columns = ["id", "touchpoint", "kind", "description", "severity", "frequency", "effort",
               "owner", "status"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("severity", "frequency", "effort"):
        frame[column] = frame[column].astype("Int64")
    for column in ("id", "touchpoint", "kind", "description", "owner", "status"):
        frame[column] = frame[column].astype("string")
    return frame


def test_discovered_pain_points_have_the_documented_components():
    scored = score_pain_points(small_workspace())
    assert list(scored.columns[:21]) == [
        "id", "kind", "source", "title", "description", "touchpoint", "touchpoint_name",
        "stage", "theme", "n_evidence", "frequency", "severity", "reach", "impact", "effort",
        "confidence", "priority", "quadrant", "owner", "status", "quotes"]
    rows = scored.set_index("touchpoint")
    assert set(rows.index) == {"tp_delivery", "tp_app_checkout"}  # the shop is fine
    assert (scored["source"] == "discovered").all() and (scored["kind"] == "pain").all()

    late, on_time, pay_failed = sentiment([LATE, ON_TIME, PAY_FAILED]).tolist()
    overall_csat = (3 + 10) / (20 + 10 + 4)          # answers of 4-5 among all 34 answers

    delivery = rows.loc["tp_delivery"]
    assert delivery["n_evidence"] == 20
    assert delivery["frequency"] == pytest.approx(17 / 20)
    negativity = max(0.0, -(17 * late + 3 * on_time) / 20)
    gap = (overall_csat - 3 / 20) / overall_csat
    assert delivery["severity"] == pytest.approx((negativity + gap) / 2)
    assert delivery["reach"] == pytest.approx(125 / 200)   # every paid order is delivered (web)
    assert delivery["confidence"] == pytest.approx(20 / 50)
    assert delivery["effort"] == 3 and delivery["status"] == "open"
    assert delivery["theme"] == "delivery" and delivery["stage"] == "after"

    app = rows.loc["tp_app_checkout"]
    assert app["frequency"] == 1.0
    assert app["severity"] == pytest.approx((max(0.0, -pay_failed) + 1.0) / 2)
    assert app["reach"] == pytest.approx(60 / 200)
    assert app["dropoff_step"] == "pay → paid"
    assert app["dropoff_excess"] == pytest.approx(0.5 - 0.05)
    assert app["n_funnel"] == 60
    assert app["confidence"] == pytest.approx(64 / 94)
    assert "drop-off" in app["signals"]

    # impact = value at risk / the largest; without orders value counts customers:
    # lost customers beyond the other channels' rate + frequency x severity x reach_customers
    at_risk_app = 0.45 * 60 + 1.0 * app["severity"] * 60
    at_risk_delivery = 0 + 0.85 * delivery["severity"] * 125
    largest = max(at_risk_app, at_risk_delivery)
    assert app["value_at_risk"] == pytest.approx(at_risk_app)
    assert app["impact"] == pytest.approx(at_risk_app / largest)
    assert delivery["impact"] == pytest.approx(at_risk_delivery / largest)

    for _, row in scored.iterrows():
        expected = row["confidence"] * (row["frequency"] * row["severity"] * row["reach"]
                                        * row["impact"]) ** 0.25
        assert row["priority"] == pytest.approx(expected)
    assert scored["priority"].is_monotonic_decreasing


def test_the_drop_off_goes_to_one_touchpoint_of_a_shared_footprint():
    # the app basket shares stage and channel with the app checkout but has no complaints
    scored = score_pain_points(small_workspace())
    assert "tp_app_cart" not in set(scored["touchpoint"].dropna())


def test_quotes_are_masked_and_most_negative_first():
    scored = score_pain_points(small_workspace()).set_index("touchpoint")
    quotes = scored.loc["tp_delivery", "quotes"]
    assert quotes == [LATE]                    # distinct texts only, negative ones for a pain
    app_quotes = scored.loc["tp_app_checkout", "quotes"]
    assert app_quotes == ["Payment failed again, awful. Ring me on [phone]"]


def test_workshop_entries_merge_override_and_stand_alone():
    workshop = workshop_table([
        ("P7", "tp_delivery", "pain", "Parcels arrive late", 5, 1, 4, "Logistics", "planned"),
        ("P8", "tp_shop", "opportunity", "Offer coffee while customers wait", None, None, None,
         None, None),
    ])
    scored = score_pain_points(small_workspace(workshop))
    assert scored["touchpoint"].value_counts()["tp_delivery"] == 1    # merged, not duplicated
    rows = scored.set_index("id")
    merged = rows.loc["P7"]
    assert merged["source"] == "workshop" and merged["title"] == "Parcels arrive late"
    assert merged["severity"] == 1.0                  # workshop severity 5 -> (5 - 1) / 4
    assert merged["frequency"] == pytest.approx(0.85)  # the data's, not the workshop's 1
    assert (merged["effort"], merged["owner"], merged["status"]) == (4, "Logistics", "planned")
    assert merged["confidence"] == pytest.approx((20 + 10) / (20 + 10 + 30))
    assert merged["quadrant"] in ("major project", "reconsider")   # effort 4 is high effort
    assert merged["theme"] == "delivery"

    alone = rows.loc["P8"]
    assert (alone["kind"], alone["source"], alone["effort"]) == ("opportunity", "workshop", 3)
    assert alone["status"] == "open"
    assert alone["quotes"] == [SHOP]                  # most positive first for an opportunity
    assert "auto-tp_delivery" not in rows.index


def test_a_saved_discovery_keeps_its_id_and_describes_todays_evidence():
    workshop = workshop_table([
        ("auto-tp_app_checkout", "tp_app_checkout", "pain", "old text — stale numbers", None,
         None, 1, "Mobile team", "in progress"),
    ])
    rows = score_pain_points(small_workspace(workshop)).set_index("id")
    row = rows.loc["auto-tp_app_checkout"]
    assert row["source"] == "workshop" and row["owner"] == "Mobile team" and row["effort"] == 1
    assert "stale" not in row["description"] and "pay → paid" in row["description"]


def test_bad_workshop_values_are_named():
    workshop = workshop_table([("P1", "tp_shop", "pain", "x", 9, None, None, None, None)])
    with pytest.raises(JourneykitError, match="P1.*severity must be 1-5"):
        score_pain_points(small_workspace(workshop))
    workshop = workshop_table([("P1", "tp_shop", "wish", "x", None, None, None, None, None)])
    with pytest.raises(JourneykitError, match="kind must be"):
        score_pain_points(small_workspace(workshop))


def test_weights_change_the_ranking():
    ws = small_workspace()
    default = score_pain_points(ws)["touchpoint"].tolist()
    by_reach = score_pain_points(ws, weights={"frequency": 0, "severity": 0, "impact": 0})
    assert by_reach["touchpoint"].tolist() == ["tp_delivery", "tp_app_checkout"]  # reach .625 > .3
    assert by_reach.iloc[0]["priority"] == pytest.approx(
        by_reach.iloc[0]["confidence"] * by_reach.iloc[0]["reach"])
    assert default[0] == "tp_app_checkout"


def test_an_empty_workspace_scores_nothing():
    ws = small_workspace()
    del ws.tables["feedback"], ws.tables["events"]
    scored = score_pain_points(ws)
    assert scored.empty and "priority" in scored.columns


# --------------------------------------------------------------------------- action plan


def test_action_plan_ranks_assigns_owners_and_kpis():
    workshop = workshop_table([
        ("P7", "tp_delivery", "pain", "Parcels arrive late", None, None, 2, None, "planned"),
    ])
    ws = small_workspace(workshop)
    plan = action_plan(ws)
    assert list(plan.columns) == ["priority", "pain_point", "touchpoint", "stage", "owner_team",
                                  "quadrant", "first_step", "kpi_to_watch", "status", "votes", "agreement"]
    assert plan[["votes", "agreement"]].isna().all().all()  # nobody voted
    assert plan["priority"].tolist() == list(range(1, len(plan) + 1))
    rows = plan.set_index("touchpoint")
    app = rows.loc["App checkout"]
    assert app["owner_team"] == "E-commerce"          # from the touchpoint
    assert app["kpi_to_watch"] == "step conversion pay → paid at App checkout"
    assert "pay → paid" in app["first_step"] and "dropped off" in app["first_step"]  # drop-off evidence
    delivery = rows.loc["Home delivery"]
    assert delivery["owner_team"] == "Delivery" and delivery["status"] == "planned"
    assert delivery["kpi_to_watch"] == "CSAT at Home delivery"
    assert "delivery" in delivery["first_step"].lower()
    assert delivery["stage"] == "After"
    with pytest.raises(JourneykitError, match="score_pain_points"):
        action_plan(ws, scored=pd.DataFrame({"id": ["x"]}))


# --------------------------------------------------------------------------- safe export

HOSTILE = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "\tTAB=1", "\rCR=1",
           '=HYPERLINK("http://evil.example","click")', "plain text"]


def hostile_plan() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({
        "priority": list(range(1, n + 1)),
        "pain_point": pd.array(HOSTILE, dtype="string"),
        "owner_team": HOSTILE[::-1],
        "delta": [-5.0] * n,                      # a negative number is not a formula
        "quotes": [["=bad()", "fine"]] * n,
    })


def test_csv_export_neutralises_formulas_and_stays_readable(tmp_path):
    path = export_action_plan(hostile_plan(), tmp_path / "plan.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header == ["priority", "pain_point", "owner_team", "delta", "quotes"]
    for row in body:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(cell)                   # only numbers may start with a sign
    assert [row[1] for row in body] == [
        text if text == "plain text" else "'" + text for text in HOSTILE]
    assert body[0][4] == "'=bad() | fine"


def test_xlsx_export_has_no_formula_cells(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = export_action_plan(hostile_plan(), tmp_path / "plan.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    texts = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
                texts.append(cell.value)
    assert "'=1+1" in texts and "'\tTAB=1" in texts and "plain text" in texts
    assert sheet.cell(row=2, column=4).value == -5


def test_export_refuses_other_formats(tmp_path):
    with pytest.raises(JourneykitError, match=r"\.csv or \.xlsx"):
        export_action_plan(hostile_plan(), tmp_path / "plan.json")
    assert not (tmp_path / "plan.json").exists()


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_scores():
    if not (SAMPLE / "journey.yaml").exists():
        pytest.skip("data/sample is not built")
    from journeykit.workspace.loader import load_workspace

    ws = load_workspace(SAMPLE)
    return ws, score_pain_points(ws)


def test_planted_problems_rank_in_the_top_five(sample_scores):
    from journeykit.sample.simulation import PLANTED_PROBLEMS

    _, scored = sample_scores
    top_five = set(scored.head(5)["touchpoint"].dropna())
    for problem in PLANTED_PROBLEMS:
        assert problem["touchpoint"] in top_five, (problem["touchpoint"], scored.head(8))


def test_sample_action_plan_exports(sample_scores, tmp_path):
    ws, scored = sample_scores
    plan = action_plan(ws, scored=scored)
    assert len(plan) == len(scored)
    path = export_action_plan(plan, tmp_path / "plan.xlsx")
    import openpyxl

    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet.max_row == len(plan) + 1
    # every quote shown to a team is masked
    quotes = [q for qs in scored["quotes"] for q in qs]
    assert quotes and not any("@example" in q for q in quotes)


def test_without_a_customers_table_reach_counts_the_customers_of_the_event_log():
    ws = small_workspace()
    del ws.tables["customers"]
    rows = score_pain_points(ws).set_index("touchpoint")
    assert rows.loc["tp_delivery", "reach"] == pytest.approx(125 / 160)  # 160 customers have events
    assert rows.loc["tp_app_checkout", "reach"] == pytest.approx(60 / 160)


def test_each_step_pair_converts_as_its_two_step_funnel_per_channel_with_ties():
    """The drop-off evidence counts every step pair (a then b on one channel) in one query;
    for each pair and channel it must give the two-step funnel [a, b] of that channel's
    customers: n = customers with a, k = customers reaching b (ties at equal times and the
    window's edge included)."""
    import random

    import duckdb

    from journeykit.analytics.events import funnel
    from journeykit.analytics.painpoints import evidence

    rng = random.Random(7)
    names = ["view", "cart", "pay", "done"]
    base = pd.Timestamp("2026-01-01")
    rows = [
        (f"c{c}", base + pd.Timedelta(hours=6 * rng.randrange(0, 12)), rng.choice(names), rng.choice(["web", "app"]))
        for c in range(300) for _ in range(rng.randrange(1, 7))
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel"])
    pairs = [("decision", a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    window = pd.Timedelta(hours=12)  # the 6-hour grid puts events exactly on the window's edge
    con = duckdb.connect()
    con.register("log", frame)
    tables = evidence._pair_tables(con.table("log"), pairs, window)
    for _stage, a, b in pairs:
        for channel in ("web", "app"):
            on_channel = frame[frame["channel"] == channel]
            expected = funnel(on_channel, [a, b], window=window)
            n, k = (int(x) for x in expected["customers"].tolist())
            assert tables[(a, b)].get(channel, (0, 0)) == (n, k), (a, b, channel)
