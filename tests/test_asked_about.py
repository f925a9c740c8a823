"""Where a comment was asked vs what it is about (feedback ``asked_at`` / ``about``).

A survey e-mail collects "my parcel never arrived": the complaint is evidence for the
delivery, not for the survey e-mail, while its CSAT answer still counts at the stage
where the survey was sent. A hand-written workspace, loaded from real files.
"""

from __future__ import annotations

import pytest

from journeykit.analytics.painpoints import score_pain_points
from journeykit.analytics.voice import analyze_feedback, emotion_curve
from journeykit.core.errors import WorkspaceError
from journeykit.viz.journey_map import journey_map
from journeykit.workspace import load_workspace
from journeykit.workspace.scaffold import new_workspace
from tests.conftest import write_workspace
from tests.figures import all_text, squash

JOURNEY = """\
business: Parcel Shop
currency: EUR
timezone: Europe/Amsterdam
stages:
  - {id: buy, name: Buying, events: [order]}
  - {id: deliver, name: Delivery, events: [delivered]}
  - {id: review, name: After the sale, events: [survey_sent]}
channels: [web, email]
themes:
  delivery: {keywords: [not received, never arrived], touchpoint: tp_delivery}
"""

TOUCHPOINTS = (
    "id,stage,channel,name,personas\n"
    "tp_checkout,buy,web,Checkout,\n"
    "tp_delivery,deliver,web,Home delivery,\n"
    "tp_survey_email,review,email,Survey e-mail,\n"
)

COMPLAINTS = ["My parcel was not received, nobody answers", "The order never arrived."]
N_COMPLAINTS = 12


def feedback_csv(where: str = "touchpoint", about: dict[int, str] | None = None) -> str:
    """12 delivery complaints (CSAT 1) and 4 happy answers (CSAT 5), all asked in the
    survey e-mail; 2 answers asked at checkout (CSAT 4). ``where``: the header of the
    asked-at column (``touchpoint`` or its new name ``asked_at``); ``about``: row number
    (0-based) -> an explicit ``about`` touchpoint."""
    about = about or {}
    header = f"customer_id,date,stage,{where},csat,comment,source" + (",about" if about else "")
    rows = []
    for i in range(N_COMPLAINTS):
        rows.append((f"c{i:02d}", "review", "tp_survey_email", 1, COMPLAINTS[i % 2]))
    for i in range(4):
        rows.append((f"h{i}", "review", "tp_survey_email", 5, "Nice shop, thank you"))
    for i in range(2):
        rows.append((f"k{i}", "buy", "tp_checkout", 4, "Easy to pay"))
    lines = [header]
    for n, (cid, stage, tp, csat, comment) in enumerate(rows):
        line = f'{cid},2026-03-{n + 1:02d},{stage},{tp},{csat},"{comment}",survey'
        if about:
            line += "," + about.get(n, "")
        lines.append(line)
    return "\n".join(lines) + "\n"


def load(tmp_path, feedback: str, name: str = "ws"):
    folder = write_workspace(tmp_path / name, **{"journey.yaml": JOURNEY,
                                                 "touchpoints.csv": TOUCHPOINTS,
                                                 "feedback.csv": feedback})
    return load_workspace(folder, on_bad_rows="strict")


@pytest.mark.parametrize("where", ["touchpoint", "asked_at"])
def test_a_complaint_asked_in_the_survey_email_is_about_the_delivery(tmp_path, where):
    ws = load(tmp_path, feedback_csv(where))
    out = analyze_feedback(ws)
    complaints = out[out["text"].isin(COMPLAINTS)]
    assert len(complaints) == N_COMPLAINTS
    assert set(complaints["asked_at"]) == {"tp_survey_email"}
    assert set(complaints["asked_stage"]) == {"review"}
    assert set(complaints["about"]) == {"tp_delivery"}
    assert set(complaints["about_stage"]) == {"deliver"}
    assert set(complaints["about_source"]) == {"theme"}
    # a comment no theme catches is about where it was asked
    happy = out[out["text"] == "Nice shop, thank you"]
    assert set(happy["about"]) == {"tp_survey_email"} and set(happy["about_source"]) == {"asked"}


@pytest.mark.parametrize("where", ["touchpoint", "asked_at"])
def test_pain_point_evidence_goes_to_the_delivery_not_the_survey_email(tmp_path, where):
    scored = score_pain_points(load(tmp_path, feedback_csv(where)))
    top = scored.iloc[0]
    assert top["touchpoint"] == "tp_delivery"
    assert top["n_evidence"] == N_COMPLAINTS and top["n_csat"] == N_COMPLAINTS
    assert top["csat"] == 0.0
    assert any(text in COMPLAINTS for text in top["quotes"])
    # the survey e-mail holds only the answers that are about it: the 4 happy ones
    for _, row in scored[scored["touchpoint"] == "tp_survey_email"].iterrows():
        assert row["n_evidence"] == 4
        assert not any(text in COMPLAINTS for text in row["quotes"])


@pytest.mark.parametrize("where", ["touchpoint", "asked_at"])
def test_csat_per_stage_counts_where_the_survey_was_asked(tmp_path, where):
    curve = emotion_curve(load(tmp_path, feedback_csv(where))).set_index("stage")
    # CSAT: the 12 complaints and 4 happy answers were asked in the survey e-mail (review)
    assert curve.loc["review", "n_csat"] == 16
    assert curve.loc["review", "csat"] == pytest.approx(4 / 16)
    assert curve.loc["deliver", "n_csat"] == 0
    assert curve.loc["buy", "n_csat"] == 2 and curve.loc["buy", "csat"] == 1.0
    # sentiment: the texts count at the stage they are about
    assert curve.loc["deliver", "n_texts"] == N_COMPLAINTS
    assert curve.loc["review", "n_texts"] == 4
    assert curve.loc["deliver", "sentiment"] < curve.loc["review", "sentiment"]
    by_tp = emotion_curve(load(tmp_path, feedback_csv(where), "ws2"), by="touchpoint")
    by_tp = by_tp[by_tp["touchpoint"].notna()].set_index("touchpoint")
    assert by_tp.loc["tp_survey_email", "n_csat"] == 16
    assert by_tp.loc["tp_delivery", "n_csat"] == 0
    assert by_tp.loc["tp_delivery", "n_texts"] == N_COMPLAINTS


def test_an_explicit_about_column_wins_over_the_theme(tmp_path):
    # two of the complaints are said (by whoever typed them) to be about the checkout
    ws = load(tmp_path, feedback_csv(about={0: "tp_checkout", 1: "tp_checkout"}))
    out = analyze_feedback(ws)
    assert out["about"].tolist()[:3] == ["tp_checkout", "tp_checkout", "tp_delivery"]
    assert out["about_source"].tolist()[:3] == ["column", "column", "theme"]
    assert out["about_stage"].tolist()[:2] == ["buy", "buy"]
    assert out["asked_at"].tolist()[:2] == ["tp_survey_email", "tp_survey_email"]
    assert out["theme"].tolist()[:2] == ["delivery", "delivery"]    # still recognised
    scored = score_pain_points(ws).set_index("touchpoint")
    assert scored.loc["tp_delivery", "n_evidence"] == N_COMPLAINTS - 2
    # CSAT per stage is unchanged by what the comments are about
    curve = emotion_curve(ws).set_index("stage")
    assert curve.loc["review", "n_csat"] == 16 and curve.loc["buy", "n_csat"] == 2


def test_an_about_that_is_no_touchpoint_is_an_error(tmp_path):
    with pytest.raises(WorkspaceError) as caught:
        load(tmp_path, feedback_csv(about={3: "tp_nowhere"}))
    problem = next(p for p in caught.value.problems if p.column == "about")
    assert problem.row == 5 and problem.value == "tp_nowhere"
    assert "touchpoints table" in problem.expected


def test_asked_at_and_its_older_name_must_agree(tmp_path):
    feedback = ("customer_id,date,stage,asked_at,touchpoint,csat\n"
                "c1,2026-03-01,review,tp_survey_email,tp_survey_email,4\n"
                "c2,2026-03-02,review,tp_survey_email,,4\n"
                "c3,2026-03-03,buy,tp_checkout,tp_survey_email,2\n")
    with pytest.raises(WorkspaceError) as caught:
        load(tmp_path, feedback)
    problems = [p for p in caught.value.problems if p.severity == "error"]
    assert [(p.row, p.column, p.value) for p in problems] == [(4, "touchpoint", "tp_survey_email")]
    assert "asked_at" in problems[0].expected


def test_a_new_workspace_gets_asked_at_and_about_not_the_older_name(tmp_path):
    from openpyxl import load_workbook

    folder = new_workspace(tmp_path / "new", format="csv")
    header = (folder / "feedback.csv").read_text(encoding="utf-8").strip().split(",")
    assert "asked_at" in header and "about" in header and "stage" in header
    assert "touchpoint" not in header
    book = load_workbook(new_workspace(tmp_path / "book") / "workspace.xlsx", read_only=True)
    sheet_header = [c.value for c in next(book["feedback"].iter_rows(max_row=1))]
    book.close()
    assert "asked_at" in sheet_header and "about" in sheet_header and "touchpoint" not in sheet_header


def test_the_map_says_its_csat_is_where_asked(tmp_path):
    ws = load(tmp_path, feedback_csv())
    text = all_text(journey_map(ws))
    assert squash("CSAT where asked 25% (n 16)") in text
    assert squash("CSAT where asked 100% (n 2)") in text
    assert "CSAT 25%" not in squash(text)
