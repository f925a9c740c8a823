"""The demo business generator (journeykit.sample.simulation) and the shipped data/sample workspace.

The planted-problem checks recompute every signal from the raw files with plain
pandas (and VADER for tone), independently of the generator's internals.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from journeykit.core.errors import JourneykitError
from journeykit.sample.simulation import PLANTED_PROBLEMS, SAMPLE_FILES, generate_sample

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
PLANTED_TPS = {p["touchpoint"] for p in PLANTED_PROBLEMS}


# ---------------------------------------------------------------- loading helpers

def _csv(name: str, folder: Path = SAMPLE) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((SAMPLE / "journey.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    out = {name: _csv(name) for name in ("personas", "touchpoints", "painpoints", "customers",
                                         "orders", "feedback", "tickets")}
    out["events"] = pd.read_parquet(SAMPLE / "events.parquet")
    for name, column in (("customers", "first_seen"), ("orders", "date"), ("feedback", "date"),
                         ("tickets", "opened"), ("tickets", "closed")):
        out[name][column] = pd.to_datetime(out[name][column], format="mixed")
    return out


# ---------------------------------------------------------------- determinism

def test_default_seed_reproduces_the_committed_sample(tmp_path: Path) -> None:
    folder = generate_sample(tmp_path / "ws")
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted(p.name for p in SAMPLE.iterdir())
    assert set(SAMPLE_FILES) <= set(written)
    for name in written:
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(folder / name),
                                          pd.read_parquet(SAMPLE / name))
        else:
            assert (folder / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a = generate_sample(tmp_path / "a", customers=150, months=6, seed=3)
    b = generate_sample(tmp_path / "b", customers=150, months=6, seed=3)
    c = generate_sample(tmp_path / "c", customers=150, months=6, seed=4)
    for name in ("orders.csv", "feedback.csv", "customers.csv", "tickets.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "orders.csv").read_bytes() != (c / "orders.csv").read_bytes()
    assert (a / "feedback.csv").read_bytes() != (c / "feedback.csv").read_bytes()
    assert not pd.read_parquet(a / "events.parquet").equals(pd.read_parquet(c / "events.parquet"))
    # the business description does not depend on the seed
    assert (a / "touchpoints.csv").read_bytes() == (c / "touchpoints.csv").read_bytes()


def test_arguments_shape_the_data(tmp_path: Path) -> None:
    folder = generate_sample(tmp_path / "small", customers=120, months=3, seed=1,
                             end="2025-06-30")
    customers = _csv("customers", folder)
    assert len(customers) == 120
    events = pd.read_parquet(folder / "events.parquet")
    assert events["timestamp"].min() >= pd.Timestamp("2025-04-01")
    assert events["timestamp"].max() < pd.Timestamp("2025-07-01")
    orders = _csv("orders", folder)
    assert pd.to_datetime(orders["date"]).max() < pd.Timestamp("2025-07-01")


@pytest.mark.parametrize("kwargs", [{"customers": 0}, {"months": 0}, {"seed": -1},
                                    {"customers": 2.5}, {"end": "not a date"}])
def test_bad_arguments_raise_a_clear_error(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(JourneykitError):
        generate_sample(tmp_path / "x", **kwargs)


def test_overwrite_false_refuses_an_existing_workspace(tmp_path: Path) -> None:
    (tmp_path / "journey.yaml").write_text("business: Mine\n", encoding="utf-8")
    with pytest.raises(JourneykitError, match="journey.yaml"):
        generate_sample(tmp_path, customers=10, months=2, overwrite=False)
    assert (tmp_path / "journey.yaml").read_text(encoding="utf-8") == "business: Mine\n"


# ---------------------------------------------------------------- file format

def test_files_are_utf8_with_unix_line_ends_and_small() -> None:
    total = 0
    for path in SAMPLE.iterdir():
        total += path.stat().st_size
        if path.suffix in (".csv", ".yaml", ".md"):
            data = path.read_bytes()
            data.decode("utf-8")
            assert b"\r" not in data, path.name
    assert total < 10 * 1024 * 1024


def test_texts_are_varied_and_fully_filled_in(tables) -> None:
    comments = tables["feedback"]["comment"].dropna()
    texts = pd.concat([comments, tables["tickets"]["text"].dropna()])
    assert not texts.str.contains(r"[{}]|<order", regex=True).any()  # no unfilled slots
    assert comments.nunique() > 200
    assert tables["feedback"]["comment"].isna().mean() > 0.2  # many answers without a comment


def test_amounts_have_two_decimals_and_plausible_ranges(tables) -> None:
    text = (SAMPLE / "orders.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert all(line.split(",")[3].count(".") == 1 and len(line.split(",")[3].split(".")[1]) == 2
               for line in text)
    amounts = tables["orders"]["amount"]
    assert amounts.min() >= 10 and amounts.max() <= 3500
    assert (amounts >= 400).sum() > 200  # bikes
    assert (amounts <= 150).sum() > 1000  # accessories and small repairs


def test_journey_yaml_follows_the_contract(config) -> None:
    assert config["business"] == "Spokes & Sprockets"
    assert config["currency"] == "EUR" and config["timezone"] == "Europe/Amsterdam"
    assert [s["id"] for s in config["stages"]] == ["awareness", "consideration", "decision",
                                                   "post_purchase"]
    assert config["stages"][3]["name"] == "Post-purchase & retention"
    assert all(s["description"] and s["events"] for s in config["stages"])
    assert config["channels"] == ["web", "mobile", "store", "phone", "email", "social"]
    assert set(config["owners"]) == {"Marketing", "Sales floor", "E-commerce", "Workshop",
                                     "Customer service", "Delivery"}
    assert set(config["kpis"]) == {"nps", "csat", "ces", "conversion", "repeat_purchase_rate", "average_order_value"}
    for spec in config["kpis"].values():
        assert {"target", "direction", "warning", "label"} <= set(spec)
    assert len(config["themes"]) == 7
    assert config["defaults"] == {"window": "14D", "session_gap": "30min",
                                  "csat_definition": "top2"}
    assert config["columns"] == {}


# ---------------------------------------------------------------- referential integrity

def test_referential_integrity(config, tables) -> None:
    stages = {s["id"] for s in config["stages"]}
    event_stage = {e: s["id"] for s in config["stages"] for e in s["events"]}
    tp = tables["touchpoints"]
    personas = tables["personas"]
    customers = tables["customers"]

    for name, key in (("personas", "id"), ("touchpoints", "id"), ("painpoints", "id"),
                      ("customers", "customer_id"), ("orders", "order_id"),
                      ("tickets", "ticket_id")):
        assert tables[name][key].is_unique, name
        assert tables[name][key].notna().all(), name

    assert set(tp["stage"]) <= stages
    assert set(tp["channel"]) <= set(config["channels"])
    assert set(tp["owner"]) <= set(config["owners"])
    listed = {p for cell in tp["personas"].dropna() for p in cell.split(";")}
    assert listed <= set(personas["id"])
    assert {c for cell in personas["preferred_channels"] for c in cell.split(";")} \
        <= set(config["channels"])
    assert set(tables["painpoints"]["touchpoint"]) <= set(tp["id"])
    assert set(tables["painpoints"]["owner"]) <= set(config["owners"])
    for theme in config["themes"].values():
        assert theme["stage"] in stages and theme["touchpoint"] in set(tp["id"])
        assert theme["keywords"]

    assert set(tables["events"]["event"]) <= set(event_stage)  # every event maps to a stage
    assert set(tables["events"]["channel"]) <= set(config["channels"])
    fb = tables["feedback"]
    assert set(fb["touchpoint"].dropna()) <= set(tp["id"])
    assert set(fb["stage"].dropna()) <= stages
    tp_stage = tp.set_index("id")["stage"]
    tagged = fb.dropna(subset=["touchpoint"])
    assert (tagged["stage"] == tagged["touchpoint"].map(tp_stage)).all()
    assert set(tables["tickets"]["touchpoint"].dropna()) <= set(tp["id"])

    known = set(customers["customer_id"])
    for name in ("orders", "feedback", "tickets", "events"):
        assert set(tables[name]["customer_id"].dropna()) <= known, name
    assert set(customers["persona_id"]) == set(personas["id"])
    # first_seen is the customer's first event
    first = tables["events"].groupby("customer_id")["timestamp"].min()
    assert (customers.set_index("customer_id")["first_seen"] == first.reindex(
        customers["customer_id"]).to_numpy()).all()
    tickets = tables["tickets"].dropna(subset=["closed"])
    assert (tickets["closed"] >= tickets["opened"]).all()
    # every order is a purchase (or a collected repair) in the event log, at the same moment
    ev = tables["events"]
    buying = ev[ev["event"].isin(["order_completed", "store_purchase", "repair_collected"])]
    keys = set(zip(buying["customer_id"], buying["timestamp"]))
    orders = tables["orders"]
    assert all(k in keys for k in zip(orders["customer_id"], orders["date"]))


def test_business_description_is_complete(tables) -> None:
    personas, tp, pp = tables["personas"], tables["touchpoints"], tables["painpoints"]
    assert 3 <= len(personas) <= 4
    assert personas[["name", "quote", "demographics", "goals", "frustrations",
                     "motivations", "preferred_channels"]].notna().all().all()
    assert len(tp) >= 25
    for stage, group in tp.groupby("stage"):
        assert len(group) >= 4, stage
    assert tp["online"].isin(["true", "false"]).all() or tp["online"].isin([True, False]).all()
    assert set(tp["online"].astype(str).str.lower()) == {"true", "false"}
    assert tp["emotion"].dropna().between(-2, 2).all() and tp["emotion"].isna().any()
    assert 6 <= len(pp) <= 10 and set(pp["kind"]) == {"pain", "opportunity"}
    in_workshop = PLANTED_TPS & set(pp["touchpoint"])
    assert in_workshop and in_workshop != PLANTED_TPS  # some, not all, planted problems


def test_feedback_scores_are_in_range_with_some_blanks(tables) -> None:
    fb = tables["feedback"]
    assert fb["nps"].dropna().between(0, 10).all()
    assert fb["csat"].dropna().between(1, 5).all()
    assert fb["ces"].dropna().between(1, 7).all()
    for column in ("nps", "csat", "ces", "comment", "touchpoint"):
        assert fb[column].isna().any() and fb[column].notna().sum() > 200, column
    assert set(fb["source"]) == {"survey", "review"}


def test_personas_behave_differently(tables) -> None:
    customers = tables["customers"].set_index("customer_id")["persona_id"]
    orders = tables["orders"].assign(persona=lambda d: d["customer_id"].map(customers))
    events = tables["events"].assign(persona=lambda d: d["customer_id"].map(customers))
    online = events[events["channel"].isin(["web", "mobile"])]
    mobile_share = online.groupby("persona")["channel"].apply(lambda s: (s == "mobile").mean())
    assert mobile_share["p_commuter"] > 0.6 > mobile_share["p_sport"]
    store_share = orders.groupby("persona")["channel"].apply(lambda s: (s == "store").mean())
    assert store_share["p_family"] > store_share["p_sport"]
    bikes = orders[orders["amount"] >= 400]
    bike_value = bikes.assign(persona=bikes["customer_id"].map(customers)).groupby(
        "persona")["amount"].median()
    assert bike_value["p_sport"] > bike_value["p_commuter"]
    repairs = events[events["event"] == "repair_booked"].groupby("persona").size()
    people = customers.value_counts()
    assert (repairs / people)["p_commuter"] > (repairs / people)["p_sport"]
    repeaters = orders.groupby("customer_id").size()
    assert (repeaters >= 2).mean() > 0.4 and repeaters.max() >= 8  # signal for BG/NBD


# ---------------------------------------------------------------- planted problems

def _payment_conversion(events: pd.DataFrame, channel: str) -> float:
    """Share of customers with a checkout_payment on ``channel`` who completed an order on
    that channel within an hour of one of their payment attempts."""
    e = events[events["channel"] == channel]
    pay = e[e["event"] == "checkout_payment"][["customer_id", "timestamp"]]
    done = e[e["event"] == "order_completed"][["customer_id", "timestamp"]]
    pairs = pay.merge(done, on="customer_id", suffixes=("_pay", "_done"))
    ok = pairs[(pairs["timestamp_done"] >= pairs["timestamp_pay"])
               & (pairs["timestamp_done"] - pairs["timestamp_pay"] <= pd.Timedelta("1h"))]
    return ok["customer_id"].nunique() / pay["customer_id"].nunique()


def test_planted_mobile_payment_drop_off(tables) -> None:
    events = tables["events"]
    web = _payment_conversion(events, "web")
    mobile = _payment_conversion(events, "mobile")
    assert web > 0.9
    assert mobile < 0.75 and web - mobile > 0.25
    failed = events[events["event"] == "payment_failed"]["channel"].value_counts()
    assert failed.get("mobile", 0) > 5 * failed.get("web", 0)
    # it started with the app update: later mobile payments fail more than early ones
    mobile_pay = events[(events["channel"] == "mobile")
                        & events["event"].isin(["checkout_payment", "payment_failed"])]
    cut = events["timestamp"].min() + (events["timestamp"].max() - events["timestamp"].min()) * 0.2
    early = mobile_pay[mobile_pay["timestamp"] < cut]
    late = mobile_pay[mobile_pay["timestamp"] >= cut]

    def fail_rate(frame: pd.DataFrame) -> float:
        counts = frame["event"].value_counts()
        return counts.get("payment_failed", 0) / counts.get("checkout_payment", 1)

    assert fail_rate(late) > fail_rate(early) + 0.3
    fb = tables["feedback"]
    complaints = fb[(fb["touchpoint"] == "tp_mobile_checkout")
                    & fb["comment"].str.contains("pay", case=False, na=False)
                    & (fb["csat"] <= 2)]
    assert len(complaints) >= 30
    assert (tables["tickets"]["category"] == "payment").sum() >= 30


def _repair_days(events: pd.DataFrame) -> pd.Series:
    """Days from each repair_booked to the customer's next repair_collected."""
    booked = events[events["event"] == "repair_booked"][["customer_id", "timestamp"]]
    collected = events[events["event"] == "repair_collected"][["customer_id", "timestamp"]]
    booked = booked.sort_values("timestamp")
    collected = collected.sort_values("timestamp")
    pairs = pd.merge_asof(booked, collected.rename(columns={"timestamp": "collected"}),
                          left_on="timestamp", right_on="collected", by="customer_id",
                          direction="forward").dropna()
    return (pairs["collected"] - pairs["timestamp"]).dt.total_seconds() / 86400


def test_planted_slow_repairs(tables) -> None:
    days = _repair_days(tables["events"])
    assert len(days) > 500
    assert days.median() > 5  # promised: three working days
    assert (days > 7).mean() > 0.3
    fb = tables["feedback"]
    top2 = fb.dropna(subset=["csat"]).assign(top2=lambda d: d["csat"] >= 4)
    by_tp = top2.groupby("touchpoint")["top2"].agg(["mean", "size"])
    by_tp = by_tp[by_tp["size"] >= 30]
    repair = by_tp.loc["tp_repair_workshop", "mean"]
    others = by_tp.drop(index=list(PLANTED_TPS))["mean"]
    assert repair < others.min() - 0.15
    tickets = tables["tickets"]
    assert (tickets["category"] == "repair").sum() >= 50


def test_comment_tone_follows_what_happened(tables) -> None:
    """Customers whose repairs were all slow rate the workshop lower than those whose
    repairs were all quick (slow/quick measured from the event log)."""
    events = tables["events"]
    booked = events[events["event"] == "repair_booked"][["customer_id", "timestamp"]]
    collected = events[events["event"] == "repair_collected"][["customer_id", "timestamp"]]
    pairs = pd.merge_asof(booked.sort_values("timestamp"),
                          collected.rename(columns={"timestamp": "collected"}).sort_values(
                              "collected"),
                          left_on="timestamp", right_on="collected", by="customer_id",
                          direction="forward").dropna()
    pairs["slow"] = (pairs["collected"] - pairs["timestamp"]) > pd.Timedelta(days=7)
    kind = pairs.groupby("customer_id")["slow"].agg(["all", "any"])
    all_slow = set(kind.index[kind["all"]])
    all_quick = set(kind.index[~kind["any"]])
    fb = tables["feedback"]
    repair_fb = fb[fb["touchpoint"] == "tp_repair_workshop"].dropna(subset=["csat"])
    slow_csat = repair_fb[repair_fb["customer_id"].isin(all_slow)]["csat"]
    quick_csat = repair_fb[repair_fb["customer_id"].isin(all_quick)]["csat"]
    assert len(slow_csat) > 30 and len(quick_csat) > 30
    assert quick_csat.mean() - slow_csat.mean() > 1.5

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    texts = repair_fb.dropna(subset=["comment"])
    tone = texts["comment"].map(lambda t: vader.polarity_scores(t)["compound"])
    slow_tone = tone[texts["customer_id"].isin(all_slow)].mean()
    quick_tone = tone[texts["customer_id"].isin(all_quick)].mean()
    assert slow_tone < 0 < quick_tone


def test_planted_late_delivery(tables) -> None:
    events = tables["events"]
    done = events[(events["event"] == "order_completed")][["customer_id", "timestamp"]]
    got = events[events["event"] == "delivery_received"][["customer_id", "timestamp"]]
    pairs = pd.merge_asof(done.sort_values("timestamp"),
                          got.rename(columns={"timestamp": "received"}).sort_values("received"),
                          left_on="timestamp", right_on="received", by="customer_id",
                          direction="forward").dropna()
    days = (pairs["received"] - pairs["timestamp"]).dt.total_seconds() / 86400
    assert len(days) > 500
    assert (days > 4).mean() > 0.2  # promised within 2 working days (bikes 3)
    fb = tables["feedback"]
    delivery = fb[fb["touchpoint"] == "tp_home_delivery"]
    assert (delivery["csat"] <= 2).sum() >= 50
    assert delivery["comment"].str.contains("late|deliver", case=False, na=False).sum() >= 50
    assert (tables["tickets"]["category"] == "delivery").sum() >= 50


def test_planted_problems_are_the_strongest_negative_signals(tables) -> None:
    """Per touchpoint: negative survey answers (CSAT <= 2), negative comments and negative
    ticket texts (VADER compound < -0.05). The three planted touchpoints lead every count
    by a wide margin."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()

    def negative_texts(frame: pd.DataFrame, column: str) -> pd.Series:
        frame = frame.dropna(subset=["touchpoint", column])
        is_negative = frame[column].map(lambda t: vader.polarity_scores(t)["compound"] < -0.05)
        return frame[is_negative].groupby("touchpoint").size()

    fb = tables["feedback"].dropna(subset=["touchpoint"])
    low_csat = fb[fb["csat"] <= 2].groupby("touchpoint").size()
    for counts in (low_csat, negative_texts(fb, "comment"),
                   negative_texts(tables["tickets"], "text")):
        top3 = set(counts.sort_values(ascending=False).index[:3])
        assert top3 == PLANTED_TPS, counts.sort_values(ascending=False).head(5)
        fourth = counts.sort_values(ascending=False).iloc[3]
        assert counts[list(PLANTED_TPS)].min() > 1.5 * fourth


def test_planted_problems_are_documented() -> None:
    touchpoints = _csv("touchpoints").set_index("id")["stage"]
    assert len(PLANTED_PROBLEMS) >= 3
    for problem in PLANTED_PROBLEMS:
        assert {"touchpoint", "stage", "description", "signal"} <= set(problem)
        assert touchpoints[problem["touchpoint"]] == problem["stage"]
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    assert all(p["touchpoint"] in readme for p in PLANTED_PROBLEMS)


def test_tickets_carry_masking_material_and_real_order_ids(tables) -> None:
    text = tables["tickets"]["text"]
    assert text.str.contains(r"@example\.com", regex=True).any()
    assert text.str.contains(r"06-\d{8}", regex=True).any()
    mentioned = text.str.extract(r"(O\d{6})")[0].dropna()
    assert len(mentioned) > 20 and set(mentioned) <= set(tables["orders"]["order_id"])


# ---------------------------------------------------------------- with the workspace loader

def test_the_loader_accepts_the_sample_without_errors() -> None:
    from journeykit.workspace.loader import load_workspace

    ws = load_workspace(SAMPLE)
    assert not [p for p in ws.problems if p.severity == "error"]
    assert ws.config.business == "Spokes & Sprockets"
    assert ws.stage_ids == ["awareness", "consideration", "decision", "post_purchase"]
    events = ws.events
    assert events is not None and len(events) > 10_000
    unmapped = set(events["event"].unique()) - set(ws.event_stage)
    assert not unmapped
    assert len(ws.touchpoints) >= 25 and len(ws.feedback) > 1000
