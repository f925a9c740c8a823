"""journeykit.analytics.voice: sentiment, PII masking, theme linking, candidate themes, emotion curve."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from journeykit.analytics.voice import (
    analyze_feedback,
    candidate_themes,
    emotion_curve,
    mask_pii,
    sentiment,
)
from journeykit.core._stats import wilson_interval
from journeykit.core.errors import JourneykitError
from journeykit.workspace import Workspace
from journeykit.workspace.config import Defaults, JourneyConfig, Stage
from tests.conftest import write_workspace

# --------------------------------------------------------------------------- a tiny workspace


def stage(id_, name, emotion=None, events=()):
    return Stage(id=id_, name=name, description="", events=tuple(events), emotion=emotion)


THEMES = {
    "delivery": {"keywords": ["late", "courier", "home delivery"], "stage": "post",
                 "touchpoint": "tp_delivery"},
    "payment": {"keywords": ["payment", "card"], "touchpoint": "tp_checkout"},
    "staff": {"keywords": ["staff", "rude"]},  # no stage, no touchpoint
}

TOUCHPOINTS = pd.DataFrame({
    "id": pd.array(["tp_ads", "tp_checkout", "tp_till", "tp_delivery"], dtype="string"),
    "stage": pd.array(["aware", "buy", "buy", "post"], dtype="string"),
    "channel": pd.array(["web", "mobile", "store", "web"], dtype="string"),
    "name": pd.array(["Ads", "App checkout", "Till", "Home delivery"], dtype="string"),
    "owner": pd.array(["Marketing", "E-commerce", "Sales", "Delivery"], dtype="string"),
    "emotion": pd.array([1, -1, 2, pd.NA], dtype="Int64"),
})


def workspace(feedback=None, tickets=None, themes=THEMES, touchpoints=TOUCHPOINTS):
    config = JourneyConfig(
        business="Test",
        stages=(stage("aware", "Awareness", emotion=1.0), stage("buy", "Buying"),
                stage("post", "After the sale")),
        themes=themes, defaults=Defaults(), owners=(),
    )
    tables = {"touchpoints": touchpoints, "feedback": feedback, "tickets": tickets}
    return Workspace(path=Path("."), config=config,
                     tables={name: frame for name, frame in tables.items() if frame is not None})


def feedback_frame(rows):
    frame = pd.DataFrame(rows)
    for column in ("customer_id", "stage", "touchpoint", "comment"):
        if column not in frame:
            frame[column] = None
        frame[column] = frame[column].astype("string")
    if "date" not in frame:
        frame["date"] = pd.Timestamp("2026-01-05")
    if "csat" not in frame:
        frame["csat"] = pd.NA
    frame["csat"] = frame["csat"].astype("Int64")
    return frame


# --------------------------------------------------------------------------- sentiment


def test_sentiment_direction_on_clear_sentences():
    scores = sentiment([
        "I love this shop, the staff were wonderful and helpful!",
        "Terrible service, the delivery was late and the courier was rude.",
        "The shop opens at nine.",
    ])
    assert scores.iloc[0] > 0.5
    assert scores.iloc[1] < -0.5
    assert abs(scores.iloc[2]) < 0.05
    assert ((scores >= -1) & (scores <= 1)).all()


def test_sentiment_missing_text_is_nan_and_index_is_kept():
    scores = sentiment(pd.Series(["great", None, "   ", pd.NA], index=[10, 11, 12, 13]))
    assert list(scores.index) == [10, 11, 12, 13]
    assert scores.iloc[0] > 0
    assert scores.iloc[1:].isna().all()


# --------------------------------------------------------------------------- masking


@pytest.mark.parametrize("phone", [
    "+31 6 12345678", "+31 (0)20 123 4567", "0031 20 1234567", "06-12345678", "020 123 4567",
    "+44 20 7946 0958", "(555) 123-4567", "555-123-4567", "555.123.4567", "+1 555 123 4567",
    "06 12 34 56 78", "0612345678", "+49 30 1234567", "+33 6 12 34 56 78",
])
def test_phone_numbers_in_common_formats_are_masked(phone):
    assert mask_pii(f"Call me on {phone} please.") == "Call me on [phone] please."


@pytest.mark.parametrize("text", [
    "Order #12345 never arrived",
    "order 123456789 is still missing",
    "Invoice no. 2024-0042 was wrong",
    "Delivered on 2024-03-15 at 10:30",
    "Booked for 15/03/2024, then 15.03.2024",
    "It cost €1,299.00 and the lock 1.299,00 EUR",
    "Paid 45 euros, then $1299 for the bike",
    "Waited 3 weeks, 21 days in total, for 2 repairs",
    "Customer number 1234567890 in your system",
    "The router at 192.168.1.10 was down",
])
def test_dates_prices_and_order_numbers_are_left_alone(text):
    assert mask_pii(text) == text


def test_emails_are_masked_and_the_rest_stays_readable():
    text = "Mail jan.de.vries+shop@example.co.uk or ring 06-12345678 about order #100103 (€250)."
    assert mask_pii(text) == "Mail [email] or ring [phone] about order #100103 (€250)."


def test_phone_next_to_a_date_is_still_masked():
    assert mask_pii("On 2024-03-15 10:30 call 06-12345678") == "On 2024-03-15 10:30 call [phone]"


def test_mask_pii_leaves_non_text_alone():
    assert mask_pii(None) is None
    assert math.isnan(mask_pii(float("nan")))


# --------------------------------------------------------------------------- linking and themes


def test_keyword_themes_match_whole_words_case_insensitively():
    ws = workspace(feedback=feedback_frame([
        {"comment": "LATE again!"},
        {"comment": "Our latest order was fine"},          # 'late' inside a word: no match
        {"comment": "Home Delivery took ages"},            # multi-word keyword
        {"comment": "Nothing to add"},
    ]))
    out = analyze_feedback(ws)
    assert out["theme"].tolist()[0] == "delivery"
    assert pd.isna(out["theme"].iloc[1])
    assert out["theme"].iloc[2] == "delivery"
    assert pd.isna(out["theme"].iloc[3])
    assert out["theme_source"].iloc[0] == "keyword"
    assert pd.isna(out["theme_source"].iloc[1])
    # the keyword rule says what the text is about
    assert out["about"].iloc[0] == "tp_delivery" and out["about_stage"].iloc[0] == "post"
    assert out["about_source"].iloc[0] == "theme"
    assert pd.isna(out["about"].iloc[1]) and pd.isna(out["about_stage"].iloc[1])
    assert pd.isna(out["about_source"].iloc[1])


def test_where_asked_is_kept_and_the_theme_says_what_it_is_about():
    ws = workspace(feedback=feedback_frame([
        # asked at the till; about the payment theme's touchpoint
        {"touchpoint": "tp_till", "comment": "The card payment at the till was slow"},
        # asked at a stage; the theme's touchpoint and stage say what it is about
        {"stage": "aware", "comment": "The courier was late"},
        # theme tied to a touchpoint only: stage comes from that touchpoint
        {"comment": "My card payment failed"},
        # no theme: about where it was asked
        {"touchpoint": "tp_till", "comment": "Nothing to add"},
        # a theme with neither stage nor touchpoint: about where it was asked
        {"touchpoint": "tp_ads", "comment": "rude"},
    ]))
    out = analyze_feedback(ws)
    assert out["asked_at"].fillna("-").tolist() == ["tp_till", "-", "-", "tp_till", "tp_ads"]
    assert out["asked_stage"].fillna("-").tolist() == ["buy", "aware", "-", "buy", "aware"]
    assert out["about"].fillna("-").tolist() == [
        "tp_checkout", "tp_delivery", "tp_checkout", "tp_till", "tp_ads"]
    assert out["about_stage"].tolist() == ["buy", "post", "buy", "buy", "aware"]
    assert out["about_source"].tolist() == ["theme", "theme", "theme", "asked", "asked"]
    assert out["theme"].fillna("-").tolist() == ["payment", "delivery", "payment", "-", "staff"]


def test_theme_consistent_with_the_explicit_touchpoint_wins_a_tie():
    ws = workspace(feedback=feedback_frame([
        {"touchpoint": "tp_checkout", "comment": "late payment"},   # one hit each
        {"comment": "late payment"},                                # first theme in config
        {"comment": "late late payment"},                           # most hits
    ]))
    out = analyze_feedback(ws)
    assert out["theme"].tolist() == ["payment", "delivery", "delivery"]
    out = analyze_feedback(workspace(feedback=feedback_frame([{"comment": "card payment late"}])))
    assert out["theme"].tolist() == ["payment"]


def test_theme_from_a_column_and_from_the_ticket_category():
    feedback = feedback_frame([{"comment": "nice people"}])
    feedback["theme"] = pd.array(["staff"], dtype="string")
    tickets = pd.DataFrame({
        "ticket_id": pd.array(["T1", "T2", "T3"], dtype="string"),
        "customer_id": pd.array(["c1", "c2", None], dtype="string"),
        "opened": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]),
        "category": pd.array(["Payment", "other", None], dtype="string"),
        "text": pd.array(["It does not work", "The courier never came", None], dtype="string"),
        "touchpoint": pd.array([None, None, "tp_till"], dtype="string"),
    })
    out = analyze_feedback(workspace(feedback=feedback, tickets=tickets))
    assert out["source"].tolist() == ["feedback", "ticket", "ticket"]  # T3 has no text
    assert out["id"].tolist() == ["feedback-1", "T1", "T2"]
    assert out["theme"].tolist() == ["staff", "payment", "delivery"]
    assert out["theme_source"].tolist() == ["column", "column", "keyword"]
    assert out.loc[1, "about"] == "tp_checkout"
    assert out.loc[1, "about_source"] == "theme"
    assert pd.isna(out.loc[1, "asked_at"])          # a ticket is not asked anywhere


def test_analysis_masks_texts_and_has_the_documented_columns():
    ws = workspace(feedback=feedback_frame([
        {"customer_id": "c1", "comment": "Terrible. Call me on 06-12345678 or a@b.com"},
        {"customer_id": "c2", "comment": None},
        {"customer_id": "c3", "comment": "  "},
    ]))
    out = analyze_feedback(ws)
    assert list(out.columns) == ["source", "id", "customer_id", "date", "text", "sentiment",
                                 "asked_stage", "asked_at", "about_stage", "about",
                                 "about_source", "theme", "theme_source"]
    assert len(out) == 1
    assert out.loc[0, "text"] == "Terrible. Call me on [phone] or [email]"
    assert out.loc[0, "sentiment"] < 0


def test_analysis_of_a_workspace_without_texts_is_empty():
    out = analyze_feedback(workspace())
    assert out.empty and "sentiment" in out.columns


def test_themes_must_be_a_mapping():
    with pytest.raises(JourneykitError, match="themes"):
        analyze_feedback(workspace(feedback=feedback_frame([{"comment": "x"}]),
                                   themes=["delivery"]))


def test_candidate_themes_offer_frequent_phrases_of_unthemed_texts():
    comments = (["The opening hours on sunday are too short"] * 3
                + ["Opening hours are inconvenient for commuters"] * 2
                + ["The courier was late"] * 6      # themed: not a candidate
                + ["Good coffee corner", "Parking is hard near the shop"])
    analysis = analyze_feedback(workspace(feedback=feedback_frame(
        [{"comment": c} for c in comments])))
    candidates = candidate_themes(analysis, top=5, negative_only=False)
    assert list(candidates.columns) == ["phrase", "score", "n_texts", "share",
                                        "mean_sentiment", "example"]
    assert candidates.iloc[0]["phrase"] == "opening hours"
    assert candidates.iloc[0]["n_texts"] == 5
    assert candidates.iloc[0]["share"] == pytest.approx(5 / 7)
    assert not candidates["phrase"].str.contains("courier|late").any()
    # one idea, one row: no other phrase repeats "opening" or "hours"
    assert candidates["phrase"].str.contains("opening|hours").sum() == 1


def test_candidate_themes_read_complaints_by_default():
    comments = (["Happy with my new bike, great service"] * 6
                + ["Terrible wait for the opening hours, awful and annoying"] * 3)
    analysis = analyze_feedback(workspace(feedback=feedback_frame([{"comment": c} for c in comments])))
    default = candidate_themes(analysis, top=5)
    assert not default["phrase"].str.contains("happy|great").any()
    assert default["phrase"].str.contains("hours|wait|awful").any()
    assert (default["mean_sentiment"] < 0).all()
    everything = candidate_themes(analysis, top=5, negative_only=False)
    assert everything["phrase"].str.contains("happy|great|bike").any()


def test_candidate_themes_needs_the_analysis_table():
    with pytest.raises(JourneykitError, match="analyze_feedback"):
        candidate_themes(pd.DataFrame({"x": [1]}))
    assert candidate_themes(analyze_feedback(workspace())).empty


# --------------------------------------------------------------------------- emotion curve


def test_wilson_interval_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 -> 0.2553 to 0.3662
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_emotion_curve_per_stage_with_intervals():
    rows = [
        {"touchpoint": "tp_checkout", "csat": 5, "comment": "Great, easy and fast!"},
        {"touchpoint": "tp_checkout", "csat": 2, "comment": "Awful, the payment failed."},
        {"touchpoint": "tp_till", "csat": 4, "comment": "Friendly and helpful staff."},
        {"touchpoint": "tp_till", "csat": 4, "comment": None},
        {"stage": "buy", "csat": 1, "comment": None},
        {"stage": "post", "comment": "The courier was rude and late, terrible."},
    ]
    ws = workspace(feedback=feedback_frame(rows))
    curve = emotion_curve(ws)
    assert curve["stage"].tolist() == ["aware", "buy", "post"]
    assert curve["stage_name"].tolist() == ["Awareness", "Buying", "After the sale"]

    buy = curve.set_index("stage").loc["buy"]
    texts = sentiment([r["comment"] for r in rows[:3]]).tolist()
    mean, sd, n = statistics.mean(texts), statistics.stdev(texts), len(texts)
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    assert buy["n_texts"] == 3
    assert buy["sentiment"] == pytest.approx(mean)
    assert buy["sentiment_low"] == pytest.approx(max(-1, mean - half))
    assert buy["sentiment_high"] == pytest.approx(min(1, mean + half))
    assert buy["n_csat"] == 5
    assert buy["csat"] == pytest.approx(3 / 5)
    low, high = wilson_interval(3, 5)
    assert (buy["csat_low"], buy["csat_high"]) == pytest.approx((low, high))
    # workshop emotion: the stage's own value, else the mean of its touchpoints' values
    assert curve.set_index("stage")["workshop_emotion"].tolist()[:2] == [1.0, 0.5]
    assert math.isnan(curve.set_index("stage").loc["post", "workshop_emotion"])

    aware = curve.set_index("stage").loc["aware"]           # no data: NaN and n 0
    assert aware["n_texts"] == 0 and aware["n_csat"] == 0
    assert np.isnan([aware["sentiment"], aware["csat"], aware["csat_low"]]).all()
    post = curve.set_index("stage").loc["post"]              # one text: no interval
    assert post["n_texts"] == 1 and math.isnan(post["sentiment_low"])


def test_emotion_curve_by_touchpoint_adds_touchpoint_rows():
    ws = workspace(feedback=feedback_frame([
        {"touchpoint": "tp_checkout", "csat": 5, "comment": "Great!"},
        {"touchpoint": "tp_till", "csat": 1, "comment": "Awful."},
    ]))
    curve = emotion_curve(ws, by="touchpoint")
    assert list(curve.columns[:4]) == ["stage", "stage_name", "touchpoint", "touchpoint_name"]
    assert curve["touchpoint"].fillna("-").tolist() == [
        "-", "tp_ads", "-", "tp_checkout", "tp_till", "-", "tp_delivery"]
    rows = curve.set_index(curve["touchpoint"].fillna(curve["stage"]))
    assert rows.loc["buy", "n_csat"] == 2 and rows.loc["tp_till", "csat"] == 0.0
    assert rows.loc["tp_checkout", "touchpoint_name"] == "App checkout"
    assert rows.loc["tp_till", "workshop_emotion"] == 2.0
    with pytest.raises(JourneykitError, match="by"):
        emotion_curve(ws, by="persona")


def test_analysis_and_curve_on_a_loaded_workspace(tmp_path):
    journey = """\
business: Bakery
timezone: Europe/Amsterdam
stages:
  - {id: awareness, name: Awareness, events: [ad_click]}
  - {id: decision, name: Decision, events: [order], emotion: -1}
themes:
  queue: {keywords: [queue, waiting], touchpoint: tp_counter}
"""
    feedback = ("customer_id,date,stage,touchpoint,nps,csat,comment\n"
                "c1,2026-01-05,,,3,2,\"The queue was so long, awful\"\n"
                "c2,2026-01-06,decision,,9,5,Lovely bread\n")
    folder = write_workspace(tmp_path / "ws", **{"journey.yaml": journey,
                                                 "feedback.csv": feedback})
    from journeykit.workspace.loader import load_workspace

    ws = load_workspace(folder)
    out = analyze_feedback(ws)
    assert out["about"].tolist()[0] == "tp_counter"
    assert out["about_stage"].tolist() == ["decision", "decision"]
    assert pd.isna(out["asked_stage"].iloc[0]) and out["asked_stage"].iloc[1] == "decision"
    curve = emotion_curve(ws)
    assert curve["n_texts"].tolist() == [0, 2]       # texts count where they are about
    # CSAT counts where the survey was asked: c1's answer was asked nowhere
    assert curve["n_csat"].tolist() == [0, 1] and curve["csat"].tolist()[1] == 1.0
    assert curve["workshop_emotion"].tolist()[1] == -1.0
