"""What a shop owner acts on (issue 16, item 4): the customers who dropped off at each
stage, each customer's expected value, the funnel's conversion week by week, and the run
files that carry them (the only place customer ids appear)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import journeykit as jk
from journeykit.analytics.clv import fit_bgnbd, fit_gamma_gamma, predict_clv, rfm_summary
from journeykit.analytics.clv.customers import CLV_COLUMNS, dropoff_value
from journeykit.analytics.clv.historical import historical_clv
from journeykit.analytics.events.dropouts import DROPOUT_COLUMNS
from journeykit.analytics.events.trend import TREND_COLUMNS
from journeykit.core._stats import wilson_interval
from journeykit.run.outputs import Outputs
from journeykit.run.runner import run_notebooks
from journeykit.workspace import Workspace

from .conftest import write_workspace

ROOT = Path(__file__).resolve().parent.parent
STAGE_EVENTS = ["ad_click", "menu_view", "order", "review"]  # conftest's journey.yaml, one per stage
STAGE_NAMES = ["Awareness", "Consideration", "Decision", "Post-purchase"]


def _never_materialised(monkeypatch) -> None:
    """Fail if anything reads the workspace's events into pandas."""
    original = Workspace.table

    def refuse(self, name):
        if name == "events":
            raise AssertionError("ws.table('events') was called")
        return original(self, name)

    monkeypatch.setattr(Workspace, "table", refuse)


def _random_log(seed: int, customers: int = 60) -> pd.DataFrame:
    """Events of the four stages plus events no stage lists, at distinct minutes."""
    rng = np.random.default_rng(seed)
    names = STAGE_EVENTS + ["newsletter", "support_call"]
    rows = []
    minutes = rng.choice(60 * 24 * 50, size=customers * 8, replace=False)
    k = 0
    for c in range(customers):
        for _ in range(int(rng.integers(1, 9))):
            rows.append({"customer_id": f"c{c:03d}",
                         "timestamp": pd.Timestamp("2024-03-01") + pd.Timedelta(minutes=int(minutes[k])),
                         "event": str(rng.choice(names, p=[0.3, 0.2, 0.15, 0.1, 0.15, 0.1])),
                         "channel": str(rng.choice(["web", "store"]))})
            k += 1
    return pd.DataFrame(rows).sort_values("timestamp").reset_index(drop=True)


def _pandas_dropouts(log: pd.DataFrame) -> pd.DataFrame:
    """The stage funnel without a window, written independently: the earliest step-1 event,
    then each step's earliest event at or after the previous step's; a customer stopped at
    step reached + 1. Their last event is the latest of the whole log."""
    rows = []
    for cid, events in log.groupby("customer_id"):
        first = events[events["event"] == STAGE_EVENTS[0]]
        if first.empty:
            continue
        times = [first["timestamp"].min()]
        for name in STAGE_EVENTS[1:]:
            later = events[(events["event"] == name) & (events["timestamp"] >= times[-1])]
            if later.empty:
                break
            times.append(later["timestamp"].min())
        reached = len(times)
        if reached == len(STAGE_EVENTS):
            continue
        last = events.loc[events["timestamp"].idxmax()]
        rows.append({"step": reached + 1, "stage_name": STAGE_NAMES[reached], "customer_id": cid,
                     "reached_stage": STAGE_NAMES[reached - 1], "reached_at": times[-1],
                     "last_event": last["event"], "last_event_time": last["timestamp"],
                     "channel": last["channel"]})
    return (pd.DataFrame(rows).sort_values(["step", "reached_at", "customer_id"])
            .reset_index(drop=True))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dropouts_equal_an_independent_pandas_computation(make_workspace, monkeypatch, seed):
    log = _random_log(seed)
    ws = jk.load_workspace(make_workspace(events=log.to_csv(index=False)))
    _never_materialised(monkeypatch)
    drops = jk.stage_dropouts(ws)
    assert tuple(drops.columns) == DROPOUT_COLUMNS
    expected = _pandas_dropouts(log)
    assert len(expected) > 5  # the log has drop-outs at several steps
    got = drops[list(expected.columns)].astype(object)
    pd.testing.assert_frame_equal(got, expected.astype(object), check_dtype=False)
    # the stage names of the step each customer did not reach, and the funnel's counts
    assert (drops["stage"] == drops["step"].map(dict(enumerate(
        ["awareness", "consideration", "decision", "post_purchase"], start=1)))).all()
    funnel = jk.stage_funnel(ws).set_index("step")["dropped"]
    assert drops.groupby("step").size().reindex(funnel.index, fill_value=0).tolist() == funnel.tolist()


# --------------------------------------------------------------------------- conversion over time

# Weeks (Mondays): 4 Mar: a converts, b stops at menu_view, c's review comes 19 days after
# its ad click (outside 14 days); 11 Mar: d and e convert; 18 Mar: nobody enters;
# 25 Mar: f converts, g, h, i do not; 1 Apr: j converts. z's newsletter on 1 May is the
# log's last event, so every week plus the 14-day window has ended.
HAND_LOG = """customer_id,timestamp,event,channel
a,2024-03-04 09:00,ad_click,web
a,2024-03-05 09:00,menu_view,web
a,2024-03-06 09:00,order,web
a,2024-03-07 09:00,review,web
b,2024-03-05 10:00,ad_click,web
b,2024-03-06 10:00,menu_view,store
c,2024-03-06 11:00,ad_click,web
c,2024-03-07 11:00,menu_view,web
c,2024-03-08 11:00,order,web
c,2024-03-25 11:00,review,web
d,2024-03-11 09:00,ad_click,web
d,2024-03-12 09:00,menu_view,web
d,2024-03-13 09:00,order,store
d,2024-03-14 09:00,review,web
e,2024-03-17 09:00,ad_click,web
e,2024-03-18 09:00,menu_view,web
e,2024-03-19 09:00,order,web
e,2024-03-20 09:00,review,web
f,2024-03-25 09:00,ad_click,web
f,2024-03-26 09:00,menu_view,web
f,2024-03-27 09:00,order,web
f,2024-03-28 09:00,review,web
g,2024-03-26 09:00,ad_click,web
h,2024-03-27 09:00,ad_click,store
h,2024-03-28 09:00,menu_view,store
i,2024-03-31 22:00,ad_click,web
j,2024-04-01 09:00,ad_click,web
j,2024-04-02 09:00,menu_view,web
j,2024-04-03 09:00,order,web
j,2024-04-04 09:00,review,web
z,2024-05-01 09:00,newsletter,email
"""


def test_conversion_over_time_against_hand_counted_weeks(make_workspace, monkeypatch):
    ws = jk.load_workspace(make_workspace(events=HAND_LOG))
    _never_materialised(monkeypatch)
    trend = jk.funnel_trend(ws)
    weeks = trend.weeks
    assert tuple(weeks.columns) == TREND_COLUMNS
    assert trend.window == pd.Timedelta(days=14)  # defaults.window: no stage_window set
    assert (trend.first_step, trend.last_step) == ("Awareness", "Post-purchase")
    assert weeks["week"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25", "2024-04-01"]
    assert weeks["entered"].tolist() == [3, 2, 0, 4, 1]
    assert weeks["converted"].tolist() == [1, 2, 0, 1, 1]
    rates = [1 / 3, 1.0, math.nan, 0.25, 1.0]
    assert weeks["rate"].tolist() == pytest.approx(rates, nan_ok=True)
    for (_, row), (c, n) in zip(weeks.iterrows(), [(1, 3), (2, 2), (0, 0), (1, 4), (1, 1)], strict=True):
        low, high = wilson_interval(c, n)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), nan_ok=True)
    # change from the previous week with entries (11 Mar for 25 Mar)
    assert weeks["change"].tolist() == pytest.approx([math.nan, 2 / 3, math.nan, -0.75, 0.75], nan_ok=True)
    assert weeks["complete"].all()
    # the only fall: 25 Mar; z = (1 - 0.25) / sqrt(0.5 * 0.5 * (1/2 + 1/4))
    assert trend.largest_drop == pd.Timestamp("2024-03-25")
    assert weeks["largest_drop"].tolist() == [False, False, False, True, False]
    assert weeks.loc[3, "drop_z"] == pytest.approx(0.75 / math.sqrt(0.25 * 0.75))
    assert not trend.beyond_noise  # 1.73 standard errors: may be chance
    # the weeks add up to the stage funnel with the same window
    funnel = jk.stage_funnel(ws, window="14D")
    assert weeks["entered"].sum() == funnel["customers"].iloc[0]
    assert weeks["converted"].sum() == funnel["customers"].iloc[-1]


def test_weeks_still_converting_are_never_the_largest_drop(make_workspace):
    ws = jk.load_workspace(make_workspace(events=HAND_LOG))
    trend = jk.funnel_trend(ws, window="60D")  # 1 Apr + 7 + 60 days is after 1 May
    assert not trend.weeks["complete"].any()
    assert trend.largest_drop is None and not trend.weeks["largest_drop"].any()
    assert trend.weeks["converted"].tolist() == [2, 2, 0, 1, 1]  # c's late review counts now


# --------------------------------------------------------------------------- CLV per customer


def _orders(seed: int, customers: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        for k in range(int(rng.geometric(0.4))):
            rows.append({"order_id": f"o{len(rows):04d}", "customer_id": f"c{c:03d}",
                         "date": (start + pd.Timedelta(days=int(30 * k + rng.integers(0, 20)))).date(),
                         "amount": round(float(rng.gamma(3.0, 20.0)), 2)})
    return pd.DataFrame(rows)


def test_customers_clv_equals_the_models_per_customer_predictions(make_workspace):
    ws = jk.load_workspace(make_workspace(orders=_orders(7).to_csv(index=False)))
    table = jk.customers_clv(ws)
    assert tuple(table.columns) == CLV_COLUMNS
    summary = rfm_summary(ws.orders)
    bgnbd, spend = fit_bgnbd(summary), fit_gamma_gamma(summary)
    year_in_weeks = 12 * (365.25 / 12) / 7
    expected = predict_clv(bgnbd, spend, summary, months=12, next_period=year_in_weeks)
    assert table["customer_id"].tolist() == expected["customer_id"].tolist()
    assert table["customer_id"].is_unique and len(table) == ws.orders["customer_id"].nunique()
    np.testing.assert_allclose(table["expected_purchases_12m"], expected["expected_purchases"], rtol=1e-12)
    np.testing.assert_allclose(table["probability_alive"], expected["probability_alive"], rtol=1e-12)
    np.testing.assert_allclose(table["clv_12m"], expected["clv"], rtol=1e-12)
    # twelve months ahead, not predict_clv's default one month
    one_month = predict_clv(bgnbd, spend, summary)["expected_purchases"].to_numpy()
    assert (table["expected_purchases_12m"].to_numpy() > one_month).all()
    assert table["probability_alive"].between(0, 1).all() and (table["clv_12m"] > 0).all()


def test_a_dropoff_is_valued_at_the_fitted_clv_else_the_order_value(make_workspace):
    fitted = jk.load_workspace(make_workspace(orders=_orders(7).to_csv(index=False)))
    value = dropoff_value(fitted)
    assert value.basis == "clv"
    assert value.value == pytest.approx(jk.customers_clv(fitted)["clv_12m"].mean())
    definitions = jk.semantics(fitted).set_index("topic")["definition"]
    assert "In this workspace: the mean fitted 12-month CLV per customer" in definitions["Value at risk"]

    # one order each: no repeat customers, so no spend model; the average order value instead
    single = _orders(7).drop_duplicates("customer_id")
    unfitted = jk.load_workspace(make_workspace(orders=single.to_csv(index=False)))
    with pytest.raises(jk.JourneykitError, match="Gamma-Gamma needs at least 2"):
        jk.customers_clv(unfitted)
    # too few customers for a fit that converges: no per-customer prediction either
    # (with 5 customers the fit's outcome depends on the optimiser's build: NaN predictions on
    # one, finite and plausible ones on another, so only the absurd case is asserted)
    for customers in (6,):  # 6: 10^134 purchases a year
        few = jk.load_workspace(make_workspace(orders=_orders(2, customers=customers).to_csv(index=False)))
        with pytest.raises(jk.JourneykitError, match="not finite, negative or more than one purchase a day"):
            jk.customers_clv(few)
        assert dropoff_value(few).basis == "aov"
    value = dropoff_value(unfitted)
    assert value.basis == "aov"
    assert value.value == pytest.approx(historical_clv(unfitted.orders).average_order_value)
    assert "the average order value" in jk.semantics(unfitted).set_index("topic").loc[
        "Value at risk", "definition"]


# --------------------------------------------------------------------------- the chart


def test_the_trend_chart_marks_the_week_of_the_largest_drop(make_workspace, tmp_path):
    ws = jk.load_workspace(make_workspace(events=HAND_LOG))
    fig = jk.funnel_trend_chart(jk.funnel_trend(ws))
    rate_ax = fig.axes[0]
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert rate_ax.get_title(loc="left") == "Funnel conversion per week of entry"
    assert rate_ax.get_ylabel() == "Conversion (%)"
    assert fig.axes[1].get_xlabel() == "Week customers entered the funnel"
    assert any(t.startswith("Largest drop: week of 25 Mar 2024") and "100% → 25%" in t for t in texts)
    assert any("may be chance" in t for t in texts)
    marks = [line for line in rate_ax.get_lines() if line.get_linestyle() == ":"]
    assert len(marks) == 1
    assert pd.Timestamp(marks[0].get_xdata()[0]) == pd.Timestamp("2024-03-28 12:00")  # mid-week
    path = tmp_path / "funnel_trend.png"
    fig.savefig(path, dpi=100)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_the_trend_chart_says_so_when_no_customer_entered(make_workspace):
    log = "customer_id,timestamp,event,channel\nz,2024-05-01 09:00,newsletter,email\n"
    ws = jk.load_workspace(make_workspace(events=log))
    fig = jk.funnel_trend_chart(jk.funnel_trend(ws))
    assert "no customer entered the funnel" in [t.get_text() for t in fig.axes[0].texts]


# --------------------------------------------------------------------------- the run files

# every id carries "~zq7~" (outside the base64 alphabet of embedded images) so any copy of
# it anywhere in the run folder is found
MARK = "~zq7~"
HOSTILE_IDS = [f"=HYPERLINK(\"http://evil/{MARK}\")", f"+{MARK}plus", f"-{MARK}minus", f"@{MARK}at", f"{MARK}plain"]


def _hostile_workspace(folder: Path) -> Path:
    events = ["customer_id,timestamp,event,channel"]
    orders = ["order_id,customer_id,date,amount"]
    for k, cid in enumerate(HOSTILE_IDS):
        quoted = '"' + cid.replace('"', '""') + '"'
        day = 4 + k
        events.append(f"{quoted},2024-03-{day:02d} 09:00,ad_click,web")
        if k % 2 == 0:  # every other one goes on, so both steps lose someone
            events.append(f"{quoted},2024-03-{day:02d} 10:00,menu_view,store")
        for m in range(1 + k % 3):
            orders.append(f"o{k}{m},{quoted},2024-0{3 + m}-{day:02d},{20 + 5 * k + m}")
    for k in range(6):  # ordinary customers who convert
        events += [f"n{k},2024-03-1{k} 09:00,{name},web" for name in STAGE_EVENTS]
    # and enough ordinary buyers for the CLV models to fit
    ordinary = _orders(7).to_csv(index=False, header=False).strip().splitlines()
    return write_workspace(folder, events="\n".join(events) + "\n",
                           orders="\n".join(orders + ordinary) + "\n")


def test_a_run_writes_both_lists_with_neutralised_ids_and_nowhere_else(tmp_path):
    workspace = _hostile_workspace(tmp_path / "ws")
    result = run_notebooks(workspace, tmp_path / "reports", notebooks=["04"],
                           notebooks_dir=ROOT / "notebooks", jobs=1, quiet=True)
    run = Path(result.path)
    assert result.status == "success", result.failure
    with (run / "dropouts.csv").open(encoding="utf-8", newline="") as handle:
        dropouts = list(csv.DictReader(handle))
    with (run / "customers_clv.csv").open(encoding="utf-8", newline="") as handle:
        clv = list(csv.DictReader(handle))
    neutralised = {f"'{cid}" if cid[0] in "=+-@" else cid for cid in HOSTILE_IDS}
    assert {row["customer_id"] for row in dropouts} == neutralised
    assert {row["step"] for row in dropouts} == {"2", "3"}
    assert {row["customer_id"] for row in clv if MARK in row["customer_id"]} == neutralised
    assert len(clv) == 5 + 50
    assert all(0 <= float(row["probability_alive"]) <= 1 for row in clv)
    assert list(clv[0]) == list(CLV_COLUMNS) and list(dropouts[0]) == list(DROPOUT_COLUMNS)
    # the customer ids are in these two files only: not in tables/, the notebooks or the report
    elsewhere = [p.relative_to(run) for p in run.rglob("*") if p.is_file()
                 and p.name not in ("dropouts.csv", "customers_clv.csv") and MARK.encode() in p.read_bytes()]
    assert elsewhere == []
    # the report links both lists and shows the weekly conversion chart
    html = (run / "index.html").read_text(encoding="utf-8")
    assert 'href="dropouts.csv"' in html and 'href="customers_clv.csv"' in html
    figures = json.loads((run / "figures.json").read_text(encoding="utf-8"))
    assert "funnel_conversion_trend" in {f["name"] for f in figures}


def test_a_customer_list_keeps_the_ids_masks_the_rest_and_neutralises_every_cell(tmp_path):
    frame = pd.DataFrame({"step": [2, 3], "customer_id": ["=1+1", "jan@example.com"],
                          "last_event": ["mail jan@example.com", "-view"]})
    assert Outputs(None, notebook="04_kpis").customer_list(frame, "dropouts") is None  # interactive
    path = Outputs(tmp_path, notebook="04_kpis").customer_list(frame, "dropouts")
    assert path == tmp_path / "dropouts.csv" and not (tmp_path / "tables").exists()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["step", "customer_id", "last_event"], ["2", "'=1+1", "mail [email]"],
                    ["3", "jan@example.com", "'-view"]]
    with pytest.raises(jk.JourneykitError, match="customer_id"):
        Outputs(tmp_path, notebook="04_kpis").customer_list(frame.drop(columns="customer_id"), "x")
