"""Import presets for the voice of the customer: surveys (Qualtrics, SurveyMonkey, Typeform,
Google Forms) and reviews (Trustpilot, Google) -> feedback, help desks (Zendesk, Freshdesk)
-> tickets. The fixtures in tests/data/exports/ are hand-made reproductions of each format's
quirks (three or two header rows, label answers, multi-line comments, BOMs, CRLF, day/month
and month/day dates); each preset is checked table by table and through a fresh workspace."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from journeykit.core.errors import Problem
from journeykit.run.cli import main
from journeykit.workspace import load_workspace, validate_workspace
from journeykit.workspace.dates import DateRules, read_dates
from journeykit.workspace.imports.base import ImportResult, read_export
from journeykit.workspace.imports.pipeline import import_into, run_preset
from journeykit.workspace.imports.registry import PRESETS
from journeykit.workspace.imports.reviews import original_text, stars
from journeykit.workspace.imports.surveys import score
from journeykit.workspace.scaffold import new_workspace

EXPORTS = Path(__file__).parent / "data" / "exports"
QUALTRICS = EXPORTS / "qualtrics_survey.csv"
SURVEYMONKEY = EXPORTS / "surveymonkey_responses.csv"
TYPEFORM = EXPORTS / "typeform_responses.csv"
GOOGLE_FORMS = EXPORTS / "google_forms_responses.csv"
ZENDESK_DMY = EXPORTS / "zendesk_view_daymonth.csv"
ZENDESK_AMBIGUOUS = EXPORTS / "zendesk_export_ambiguous.csv"
FRESHDESK_MDY = EXPORTS / "freshdesk_tickets_monthday.csv"
TRUSTPILOT = EXPORTS / "trustpilot_reviews.csv"
GOOGLE_JSON = EXPORTS / "google_reviews.json"
GOOGLE_CSV = EXPORTS / "google_reviews.csv"

QUALTRICS_OPTIONS = {"nps": "Q1", "csat": "Delivery", "ces": "Q3", "comment": "Anything else"}
SURVEYMONKEY_OPTIONS = {"nps": "recommend", "csat": "Overall, how satisfied", "comment": "better"}
TYPEFORM_OPTIONS = {"nps": "recommend", "ces": "How easy", "comment": "main reason"}
GOOGLE_FORMS_OPTIONS = {"nps": "recommend", "csat": "rate your visit", "comment": "Anything else?"}


def _feedback(customer: str, date: str, nps: str = "", csat: str = "", ces: str = "", comment: str = "",
              source: str = "survey") -> dict[str, str]:
    return {"customer_id": customer, "date": date, **{"stage": "", "touchpoint": ""}, "nps": nps, "csat": csat,
            "ces": ces, "comment": comment, "channel": "", "source": source}


def _ok(result: ImportResult) -> ImportResult:
    assert result.ok, [str(p) for p in result.problems]
    return result


def _set_aside(result: ImportResult) -> dict[str, tuple[int, ...]]:
    return {aside.reason: aside.rows for aside in result.set_aside}


def _workspace(tmp_path: Path, name: str, *, dayfirst: bool = True) -> Path:
    workspace = new_workspace(tmp_path / name)
    if not dayfirst:
        config = workspace / "journey.yaml"
        text = config.read_text(encoding="utf-8")
        assert "dayfirst: true" in text
        config.write_text(text.replace("dayfirst: true", "dayfirst: false"), encoding="utf-8")
    return workspace


def _import(tmp_path: Path, preset: str, files: list[Path], options: dict[str, str] | None = None, *,
            dayfirst: bool = True) -> tuple[Path, list[Problem]]:
    """Import into a fresh workspace (the export untouched); the workspace and its problems."""
    digests = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    workspace = _workspace(tmp_path, preset, dayfirst=dayfirst)
    outcome = import_into(workspace, preset, files, options)
    assert outcome.result.ok, [str(p) for p in outcome.result.problems]
    assert [hashlib.sha256(f.read_bytes()).hexdigest() for f in files] == digests
    return workspace, validate_workspace(workspace)


def _errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def _date_warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning" and "order of day and month" in p.expected]


# --- answers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "value"), [
    ("10 - Extremely likely", "nps", 10), ("0 (Not at all likely)", "nps", 0), ("Extremely likely", "nps", 10),
    ("7", "nps", 7), ("4.0", "csat", 4), ("Very satisfied", "csat", 5), ("Somewhat satisfied", "csat", 4),
    ("Neither satisfied nor dissatisfied", "csat", 3), ("Dissatisfied", "csat", 2),
    ("Extremely dissatisfied", "csat", 1), ("Strongly agree", "ces", 7), ("Somewhat disagree", "ces", 3),
    ("Very easy", "ces", 7), ("Extremely likely - 10", "nps", 10), ("", "nps", None), ("-99", "csat", None),
])
def test_answers_as_numbers_or_the_labels_the_tools_export(text: str, kind: str, value: int | None) -> None:
    assert score(text, kind) == value


@pytest.mark.parametrize(("text", "kind"), [("Very likely", "nps"), ("Strongly agree", "csat"), ("great", "ces")])
def test_an_answer_that_is_no_score_is_refused(text: str, kind: str) -> None:
    with pytest.raises(ValueError):
        score(text, kind)


# --- Qualtrics ------------------------------------------------------------------------------------------

def test_qualtrics_three_header_rows_label_answers_and_set_aside_responses() -> None:
    result = _ok(run_preset("qualtrics", [QUALTRICS], QUALTRICS_OPTIONS))
    assert result.rows_in == {"qualtrics_survey.csv": 8}
    assert result.tables["feedback"].to_dict("records") == [
        # EndDate in America/Denver (the ImportId row's timeZone), MST before 10 March 2024, MDT after
        _feedback("ana.silva@example.com", "2024-03-05 14:02:11-07:00", "10", "5", "7", "Great bike, arrived early."),
        _feedback("C-002", "2024-03-12 09:15:40-06:00", "0", "1", "3",
                  "The box was damaged.\nSupport took a week to reply."),  # ExternalReference; CRLF -> \n
        _feedback("", "2024-03-14 18:22:02-06:00", "7", "3", ""),  # anonymous link; -99 = seen, not answered
        _feedback("ana.silva@example.com", "2024-03-18 12:34:00-06:00", "9", "4", "6", 'Bell was "meh", rest fine'),
    ]
    assert _set_aside(result) == {
        "a survey preview, not a response": (5,),
        "incomplete response (Finished = False) (Progress 40%)": (6,),
        "no answer to the chosen questions": (9,),
        "marked as spam by Qualtrics": (10,),
    }
    assert any("America/Denver" in note for note in result.notes)
    assert any("1 response(s)" in note and "no customer" in note for note in result.notes)


def test_qualtrics_customer_from_an_embedded_data_field_and_where_it_was_asked() -> None:
    options = {**QUALTRICS_OPTIONS, "customer": "customer_no", "stage": "post_purchase", "channel": "email"}
    feedback = _ok(run_preset("qualtrics", [QUALTRICS], options)).tables["feedback"]
    assert feedback["customer_id"].tolist() == ["1001", "1002", "", "1001"]
    assert set(feedback["stage"]) == {"post_purchase"} and set(feedback["channel"]) == {"email"}


def test_an_unknown_question_is_a_problem_listing_the_survey_questions() -> None:
    result = run_preset("qualtrics", [QUALTRICS], {"nps": "likely to buy again"})
    assert not result.ok and "feedback" not in result.tables
    (problem,) = result.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "qualtrics_survey.csv", 1, "nps", "likely to buy again")
    assert "the questions are: Q1 (How likely are you to recommend Velo Bikes to a friend or colleague?); " \
           "Q2_1 (How satisfied were you with each part of your order? - Delivery); " in problem.expected
    assert "Q4 (Anything else you would like to tell us?)" in problem.expected
    assert "StartDate" not in problem.expected and "customer_no" not in problem.expected  # metadata, not questions


def test_a_question_name_matching_two_questions_is_a_problem_naming_both() -> None:
    result = run_preset("qualtrics", [QUALTRICS], {"csat": "How satisfied"})
    (problem,) = result.problems
    assert problem.column == "csat" and "matches 2" in problem.expected
    assert "Q2_1 (" in problem.expected and "Q2_2 (" in problem.expected


def test_answers_that_do_not_fit_the_chosen_question_name_their_rows() -> None:
    result = run_preset("qualtrics", [QUALTRICS], {"csat": "Q3"})  # an agree/disagree question as CSAT
    assert not result.ok
    first = result.problems[0]
    assert (first.row, first.column, first.value) == (4, "Q3", "Strongly agree")
    assert "Very satisfied" in first.expected or "very satisfied = 5" in first.expected
    assert 9 not in [p.row for p in result.problems]  # row 9 answered nothing; preview row 5 is set aside
    assert 5 not in [p.row for p in result.problems]


def test_a_qualtrics_file_without_its_import_id_row_is_refused(tmp_path: Path) -> None:
    lines = QUALTRICS.read_text(encoding="utf-8").splitlines()
    one_row = tmp_path / "survey.csv"
    one_row.write_text("\n".join([lines[0], *lines[3:]]) + "\n", encoding="utf-8")
    result = run_preset("qualtrics", [one_row], QUALTRICS_OPTIONS)
    assert not result.ok and "three header rows" in result.problems[0].expected


def test_qualtrics_into_a_workspace_loads_instants_and_the_stage_asked(tmp_path: Path) -> None:
    workspace, problems = _import(tmp_path, "qualtrics", [QUALTRICS], {**QUALTRICS_OPTIONS, "stage": "post_purchase"})
    assert not _errors(problems)
    feedback = load_workspace(workspace).feedback
    assert [str(d) for d in feedback["date"]] == ["2024-03-05 21:02:11+00:00", "2024-03-12 15:15:40+00:00",
                                                 "2024-03-15 00:22:02+00:00", "2024-03-18 18:34:00+00:00"]
    assert feedback["nps"].tolist() == [10, 0, 7, 9] and set(feedback["stage"]) == {"post_purchase"}


# --- SurveyMonkey ---------------------------------------------------------------------------------------

def test_surveymonkey_two_header_rows_and_label_answers() -> None:
    result = _ok(run_preset("surveymonkey", [SURVEYMONKEY], SURVEYMONKEY_OPTIONS))
    assert result.rows_in == {"surveymonkey_responses.csv": 5}
    assert result.tables["feedback"].to_dict("records") == [  # dates as the account writes them
        _feedback("ben.ode@example.com", "03/04/2024 09:12:44 AM", "9", "5", comment="More rye, please."),
        _feedback("carla@example.org", "03/14/2024 01:07:30 PM", "6", "2",
                  comment="The queue was long.\nCash only at lunch?"),
        _feedback("", "03/20/2024 12:01:15 PM", "10", "4"),
        _feedback("eve@example.com", "04/02/2024 04:33:10 PM", "3", "1", comment="Stale croissant"),
    ]
    assert _set_aside(result) == {"no answer to the chosen questions": (6,)}


def test_surveymonkey_choice_columns_are_question_and_choice() -> None:
    result = _ok(run_preset("surveymonkey", [SURVEYMONKEY], {"comment": "Which did you buy? - Other"}))
    assert result.tables["feedback"]["comment"].tolist() == ["Coffee"]
    result = run_preset("surveymonkey", [SURVEYMONKEY], {"comment": "Which did you buy"})
    (problem,) = result.problems
    assert "matches 3" in problem.expected and "Which did you buy? - Cakes" in problem.expected


def test_a_condensed_surveymonkey_export_is_read_with_one_header_row(tmp_path: Path) -> None:
    lines = SURVEYMONKEY.read_text(encoding="utf-8-sig").splitlines()
    condensed = tmp_path / "condensed.csv"
    condensed.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")
    result = _ok(run_preset("surveymonkey", [condensed], {"nps": "recommend"}))
    assert result.rows_in == {"condensed.csv": 5}
    assert result.tables["feedback"]["nps"].tolist() == ["9", "6", "10", "3"]
    assert any("one header row" in note for note in result.notes)


def test_surveymonkey_month_day_times_with_am_pm_load_in_a_month_day_workspace(tmp_path: Path) -> None:
    workspace, problems = _import(tmp_path, "surveymonkey", [SURVEYMONKEY], SURVEYMONKEY_OPTIONS, dayfirst=False)
    assert not _errors(problems) and not _date_warnings(problems)
    feedback = load_workspace(workspace).feedback
    assert [str(d) for d in feedback["date"]] == ["2024-03-04 09:12:44", "2024-03-14 13:07:30",
                                                 "2024-03-20 12:01:15", "2024-04-02 16:33:10"]
    assert feedback["csat"].tolist() == [5, 2, 4, 1]


# --- Typeform and Google Forms --------------------------------------------------------------------------

def test_typeform_full_question_texts_and_partial_responses_set_aside() -> None:
    result = _ok(run_preset("typeform", [TYPEFORM], TYPEFORM_OPTIONS))
    assert result.tables["feedback"].to_dict("records") == [  # Submit Date (UTC): written with +00:00
        _feedback("ana.silva@example.com", "2024-03-05 14:01:30+00:00", "10", ces="7", comment="Fast and friendly"),
        _feedback("", "2024-03-07 17:59:59+00:00", "4", ces="2", comment="Booking page kept timing out.\n\nHad to call."),
        _feedback("ben.ode@example.com", "2024-04-01 00:02:05+00:00", "9", ces="6"),
    ]
    assert _set_aside(result) == {"partial response (not submitted)": (3, 6)}


def test_typeform_into_a_workspace(tmp_path: Path) -> None:
    workspace, problems = _import(tmp_path, "typeform", [TYPEFORM], TYPEFORM_OPTIONS)
    assert not _errors(problems)
    ws = load_workspace(workspace)
    assert ws.feedback["ces"].tolist() == [7, 2, 6]
    assert str(ws.feedback["date"].iloc[2]) == "2024-04-01 00:02:05+00:00"
    assert sorted(ws.customers["customer_id"]) == ["ana.silva@example.com", "ben.ode@example.com"]


def test_google_forms_timestamps_are_passed_through_for_the_loader() -> None:
    result = _ok(run_preset("google-forms", [GOOGLE_FORMS], GOOGLE_FORMS_OPTIONS))
    assert result.tables["feedback"].to_dict("records") == [
        _feedback("ana.silva@example.com", "05/03/2024 14:02:11", "10", "5", comment="Lovely staff"),
        _feedback("ben.ode@example.com", "13/03/2024 09:30:00", "4", "2",
                  comment="Waited 20 minutes.\nThe card reader was broken."),
        _feedback("", "14/03/2024 18:45:12", "8", "4"),
        _feedback("carla@example.org", "01/04/2024 08:00:03", "7", "3", comment="Fine, nothing special"),
    ]
    assert _set_aside(result) == {"no answer to the chosen questions": (6,)}


def test_google_forms_day_month_timestamps_load_without_a_guess(tmp_path: Path) -> None:
    workspace, problems = _import(tmp_path, "google-forms", [GOOGLE_FORMS], GOOGLE_FORMS_OPTIONS)
    assert not _errors(problems) and not _date_warnings(problems)
    dates = load_workspace(workspace).feedback["date"]
    assert [str(d.date()) for d in dates] == ["2024-03-05", "2024-03-13", "2024-03-14", "2024-04-01"]


def test_a_survey_needs_at_least_one_question_named() -> None:
    result = run_preset("google-forms", [GOOGLE_FORMS], {"customer": "Email Address"})
    assert not result.ok and "at least one of --set nps=" in result.problems[0].expected
    assert "rate your visit" in result.problems[0].expected


# --- Zendesk and Freshdesk ------------------------------------------------------------------------------

def _ticket(ticket_id: str, customer: str, opened: str, closed: str, channel: str, category: str,
            text: str) -> dict[str, str]:
    return {"ticket_id": ticket_id, "customer_id": customer, "opened": opened, "closed": closed,
            "channel": channel, "category": category, "text": text, "touchpoint": ""}


def test_zendesk_view_day_month_dates_passed_through() -> None:
    result = _ok(run_preset("zendesk", [ZENDESK_DMY]))
    assert result.rows_in == {"zendesk_view_daymonth.csv": 6}
    assert result.tables["tickets"].to_dict("records") == [
        _ticket("1041", "ben.ode@example.com", "05/03/2024 14:02", "07/03/2024 09:30", "web", "Delivery",
                "Where is my order?\nOrdered a week ago, still nothing.\nOrder #1002."),
        _ticket("1042", "ana.silva@example.com", "13/03/2024 09:15", "14/03/2024 16:45", "email", "Returns",
                "Refund for broken bell\nThe bell arrived cracked."),
        _ticket("1043", "carla@example.org", "20/03/2024 11:00", "", "phone", "Delivery", "Can I change my address?"),
        _ticket("1045", "", "02/04/2024 18:05", "", "social", "Customer service",
                "Loving the bike\nJust wanted to say thanks!"),
    ]
    assert _set_aside(result) == {"ticket deleted": (5,), "a ticket id met again (the first row read is kept)": (6,)}
    assert any("closed = Updated for 2 solved or closed" in note for note in result.notes)


def test_zendesk_day_month_export_loads_in_the_default_workspace(tmp_path: Path) -> None:
    workspace, problems = _import(tmp_path, "zendesk", [ZENDESK_DMY])
    assert not _errors(problems) and not _date_warnings(problems)
    tickets = load_workspace(workspace).tickets
    assert [str(d) for d in tickets["opened"]] == ["2024-03-05 14:02:00", "2024-03-13 09:15:00",
                                                  "2024-03-20 11:00:00", "2024-04-02 18:05:00"]
    assert str(tickets["closed"].iloc[1]) == "2024-03-14 16:45:00"


def test_freshdesk_month_day_export() -> None:
    result = _ok(run_preset("freshdesk", [FRESHDESK_MDY]))
    assert result.tables["tickets"].to_dict("records") == [
        _ticket("201", "ben.ode@example.com", "03/05/2024 2:02 PM", "03/06/2024 10:15 AM", "email", "Delivery",
                "Late delivery\nParcel is 3 days late.\nTracking says 'in transit'."),
        _ticket("202", "ana.silva@example.com", "03/13/2024 11:40 AM", "03/15/2024 9:00 AM", "web", "Refund",
                "Refund please\nWrong size."),  # closed time when not resolved
        _ticket("203", "80003", "03/20/2024 4:30 PM", "", "web", "Question", "How do I pump the tyres?"),
        _ticket("205", "eve@example.com", "04/01/2024 12:05 PM", "", "phone", "Question",
                "Call me back\nTried calling twice."),
    ]
    assert _set_aside(result) == {"ticket marked as spam": (5,)}


def test_a_month_day_export_loads_right_where_the_workspace_reads_month_day(tmp_path: Path) -> None:
    workspace, problems = _import(tmp_path, "freshdesk", [FRESHDESK_MDY], dayfirst=False)
    assert not _errors(problems) and not _date_warnings(problems)
    tickets = load_workspace(workspace).tickets
    assert [str(d) for d in tickets["opened"]] == ["2024-03-05 14:02:00", "2024-03-13 11:40:00",
                                                  "2024-03-20 16:30:00", "2024-04-01 12:05:00"]
    assert [str(d) for d in tickets["closed"].iloc[:2]] == ["2024-03-06 10:15:00", "2024-03-15 09:00:00"]


def test_a_month_day_export_in_a_day_month_workspace_is_an_error_never_a_swap(tmp_path: Path) -> None:
    _, problems = _import(tmp_path, "freshdesk", [FRESHDESK_MDY])
    opened = [p for p in problems if p.severity == "error" and p.file == "tickets.csv" and p.column == "opened"]
    assert len(opened) == 1 and "dayfirst: false" in opened[0].expected
    assert "03/13/2024 11:40 AM" in opened[0].expected


def test_an_ambiguous_export_gets_the_loaders_warning_naming_both_readings(tmp_path: Path) -> None:
    result = _ok(run_preset("zendesk", [ZENDESK_AMBIGUOUS]))
    tickets = result.tables["tickets"]
    assert tickets["customer_id"].tolist() == ["C-001", "ben.ode@example.com", "9003"]  # email, external id, id
    assert tickets["category"].tolist() == ["incident", "question", "problem"]
    assert tickets["closed"].tolist() == ["06/03/2024 11:00", "08/03/2024 08:59", ""]
    workspace, problems = _import(tmp_path, "zendesk", [ZENDESK_AMBIGUOUS])
    assert not _errors(problems)
    warned = {p.column: p for p in _date_warnings(problems) if p.file == "tickets.csv"}
    assert set(warned) == {"opened", "closed"}
    assert "'05/03/2024 10:00' = day 5, month 3; read month/day it would be month 5, day 3" in warned["opened"].expected
    assert str(load_workspace(workspace).tickets["opened"].iloc[2]) == "2024-04-09 15:00:00"


def test_helpdesk_options_name_columns_and_a_missing_one_is_a_problem() -> None:
    result = _ok(run_preset("zendesk", [ZENDESK_DMY], {"category": "Tags", "touchpoint": "tp_support"}))
    assert result.tables["tickets"]["category"].tolist() == ["delivery_late", "refund broken", "", ""]
    assert set(result.tables["tickets"]["touchpoint"]) == {"tp_support"}
    result = run_preset("zendesk", [ZENDESK_DMY], {"customer": "Requester phone"})
    (problem,) = result.problems
    assert (problem.column, problem.value) == ("customer", "Requester phone") and "Requester email" in problem.expected


def test_a_ticket_export_without_ids_names_the_missing_column(tmp_path: Path) -> None:
    broken = tmp_path / "view.csv"
    broken.write_text("Subject,Requested\nHelp,05/03/2024 10:00\n", encoding="utf-8")
    result = run_preset("zendesk", [broken])
    assert not result.ok
    assert [(p.row, p.column) for p in result.problems] == [(1, "Id")]


# --- reviews --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [("5", 5), ("4.0", 4), ("FIVE", 5), ("two", 2), ("3 stars", 3),
                                             ("STAR_RATING_UNSPECIFIED", None), ("", None)])
def test_stars_as_numbers_or_words(text: str, value: int | None) -> None:
    assert stars(text) == value


def test_google_translation_is_dropped_for_the_reviewers_words() -> None:
    assert original_text("(Translated by Google) Long wait\n\n(Original)\nLange Wartezeit") == ("Lange Wartezeit", True)
    assert original_text("Bon café (Translated by Google) Good coffee") == ("Bon café", True)
    assert original_text("Fine") == ("Fine", False)


def test_trustpilot_stars_are_csat_and_title_and_content_the_comment() -> None:
    result = _ok(run_preset("trustpilot", [TRUSTPILOT]))
    assert result.tables["feedback"].to_dict("records") == [
        _feedback("ana.silva@example.com", "2024-03-06 08:15:02+00:00", csat="5",
                  comment="Great bike, arrived early.\nAssembly took 10 minutes.", source="review"),  # title = start
        _feedback("6a2b3c4d5e6f7a8b9c0d1e2f", "2024-03-09 19:40:11+00:00", csat="1",
                  comment="Kaputt angekommen\nDer Karton war beschädigt, die Klingel fehlte.", source="review"),
        _feedback("7b3c4d5e6f7a8b9c0d1e2f3a", "2024-03-15 12:00:00+00:00", csat="3", comment="Okay",
                  source="review"),
        _feedback("ben.ode@example.com", "2024-03-20 07:05:45+00:00", csat="4",
                  comment="Snelle levering\nAlles netjes geleverd.", source="review"),
        _feedback("9d5e6f7a8b9c0d1e2f3a4b5c", "2024-03-28 22:10:00+00:00", csat="5", comment="Nothing to add",
                  source="review"),
        _feedback("carla@example.org", "2024-04-01 09:00:00+00:00", csat="2",
                  comment='Slow support\nWaited 9 days for an answer about my "express" order.', source="review"),
    ]
    assert not result.set_aside
    assert "review languages in trustpilot_reviews.csv: en 4, de 1, nl 1" in result.notes


def test_trustpilot_reference_id_as_the_customer_when_named() -> None:
    feedback = _ok(run_preset("trustpilot", [TRUSTPILOT], {"customer": "Reference Id"})).tables["feedback"]
    assert feedback["customer_id"].tolist() == ["1001", "", "", "1002", "", "1003"]


def test_trustpilot_into_a_workspace(tmp_path: Path) -> None:
    workspace, problems = _import(tmp_path, "trustpilot", [TRUSTPILOT])
    assert not _errors(problems)
    feedback = load_workspace(workspace).feedback
    assert feedback["csat"].tolist() == [5, 1, 3, 4, 5, 2] and set(feedback["source"]) == {"review"}
    assert str(feedback["date"].iloc[0]) == "2024-03-06 08:15:02+00:00"


def test_google_reviews_takeout_json() -> None:
    result = _ok(run_preset("google-reviews", [GOOGLE_JSON]))
    assert result.rows_in == {"google_reviews.json": 5}
    assert result.tables["feedback"].to_dict("records") == [
        _feedback("", "2024-03-05T09:12:44.123456Z", csat="5", comment="Lovely coffee and the croissants are fresh.",
                  source="review"),
        _feedback("", "2024-03-08T15:30:00Z", csat="2", comment="Lange Wartezeit, kalter Kaffee.", source="review"),
        _feedback("", "2024-03-10T11:00:00Z", csat="4", source="review"),
        _feedback("", "2024-03-22T18:05:09Z", csat="1", comment="Rude staff.\nWill not return.", source="review"),
    ]
    assert _set_aside(result) == {"no star rating": (5,)}
    assert any("1 comment(s)" in note and "original words" in note for note in result.notes)
    reviewers = _ok(run_preset("google-reviews", [GOOGLE_JSON], {"customer": "reviewer"})).tables["feedback"]
    assert reviewers["customer_id"].tolist() == ["Ana S.", "Jürgen K.", "A Google user", "Tom"]


def test_google_reviews_csv_and_a_workspace(tmp_path: Path) -> None:
    result = _ok(run_preset("google-reviews", [GOOGLE_CSV]))
    assert result.tables["feedback"][["date", "csat", "comment"]].to_dict("records") == [
        {"date": "2024-03-05T09:12:44Z", "csat": "5", "comment": "Lovely coffee and the croissants are fresh."},
        {"date": "2024-03-11T16:20:00Z", "csat": "3", "comment": "Bon café"},
        {"date": "2024-03-19T08:45:30Z", "csat": "4", "comment": ""},
    ]
    workspace, problems = _import(tmp_path, "google-reviews", [GOOGLE_JSON])
    assert not _errors(problems)
    feedback = load_workspace(workspace).feedback
    assert feedback["csat"].tolist() == [5, 2, 4, 1]
    assert str(feedback["date"].iloc[1]) == "2024-03-08 15:30:00+00:00"


def test_a_rating_that_is_no_star_count_names_its_row(tmp_path: Path) -> None:
    bad = tmp_path / "reviews.csv"
    bad.write_text("Review Created (UTC),Review Stars,Review Content\n2024-03-06 08:15:02,5,ok\n"
                   "2024-03-07 08:15:02,six,hmm\n", encoding="utf-8")
    result = run_preset("trustpilot", [bad])
    assert not result.ok and "feedback" not in result.tables
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.value) == (3, "Review Stars", "six")


def test_every_voice_preset_is_registered_with_its_table() -> None:
    produces = {name: PRESETS[name].produces for name in ("qualtrics", "surveymonkey", "typeform", "google-forms",
                                                          "zendesk", "freshdesk", "trustpilot", "google-reviews")}
    assert produces == {**{n: ("feedback",) for n in ("qualtrics", "surveymonkey", "typeform", "google-forms",
                                                      "trustpilot", "google-reviews")},
                        "zendesk": ("tickets",), "freshdesk": ("tickets",)}
    assert PRESETS["qualtrics"].header_rows == 3 and PRESETS["surveymonkey"].header_rows == 2


def test_an_am_pm_time_on_a_decided_month_day_date_is_read_as_written() -> None:
    seen: list[tuple] = []
    out = read_dates(pd.Series(["03/05/2024 02:14:33 PM", "03/13/2024 11:40 AM", "03/06/2024 12:05 AM"],
                               dtype="string"), "opened", DateRules(dayfirst=False), lambda *a, **k: seen.append(a))
    assert [str(d) for d in out] == ["2024-03-05 14:14:33", "2024-03-13 11:40:00", "2024-03-06 00:05:00"]
    assert seen == []


def test_a_survey_as_a_journey_yaml_source_with_its_options(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "ws")
    (workspace / "exports").mkdir()
    shutil.copy(TYPEFORM, workspace / "exports" / TYPEFORM.name)
    with (workspace / "journey.yaml").open("a", encoding="utf-8") as handle:
        handle.write("sources:\n  - preset: typeform\n    files: exports/typeform_*.csv\n"
                     "    options: {nps: recommend, ces: How easy, comment: main reason, stage: decision}\n")
    ws = load_workspace(workspace)
    assert ws.feedback["nps"].tolist() == [10, 4, 9] and set(ws.feedback["stage"]) == {"decision"}
    assert {p.row for p in ws.problems if "set aside" in p.expected} == {None}


def test_json_exports_one_object_holding_records_or_one_record_per_line(tmp_path: Path) -> None:
    takeout = tmp_path / "reviews.json"
    takeout.write_text('{\n  "reviews": [\n    {"starRating": "FIVE"},\n    {"starRating": "ONE"}\n  ],\n'
                       '  "averageRating": 3\n}\n', encoding="utf-8")
    assert read_export(takeout).frame["starRating"].tolist() == ["FIVE", "ONE"]
    lines = tmp_path / "events.jsonl"  # one record per line, even with a single list inside
    lines.write_text('{"event_name": "purchase", "items": [{"id": "a"}]}\n', encoding="utf-8")
    frame = read_export(lines).frame
    assert frame["event_name"].tolist() == ["purchase"] and frame["items"].tolist() == ['[{"id": "a"}]']


def test_the_import_command_with_a_survey_preset(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    workspace = new_workspace(tmp_path / "ws")
    args = ["import", "qualtrics", str(QUALTRICS), "--into", str(workspace), "--set", "nps=Q1",
            "--set", "comment=Anything else you would like to tell us?"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "read 8 rows from qualtrics_survey.csv" in out and "made 4 rows of feedback" in out
    assert "marked as spam by Qualtrics" in out
    assert load_workspace(workspace).feedback["nps"].tolist() == [10, 0, 7, 9]


def test_numbers_that_run_the_other_way_are_reversed_when_told(tmp_path: Path) -> None:
    numeric = tmp_path / "numeric.csv"  # Qualtrics "Use numeric values": 1 = Extremely satisfied, top-down
    lines = QUALTRICS.read_text(encoding="utf-8").splitlines()
    numeric.write_text("\n".join([*lines[:3], lines[3].replace("Very satisfied,", "1,")]) + "\n", encoding="utf-8")
    result = _ok(run_preset("qualtrics", [numeric], {"csat": "Q2_1", "reverse": "csat"}))
    assert result.tables["feedback"]["csat"].tolist() == ["5"]
    labels = _ok(run_preset("qualtrics", [QUALTRICS], {"csat": "Q2_1", "reverse": "csat"})).tables["feedback"]
    assert labels["csat"].tolist() == ["5", "1", "3", "4"]  # labels are never reversed
    wrong = run_preset("qualtrics", [QUALTRICS], {"csat": "Q2_1", "reverse": "stars"})
    assert not wrong.ok and wrong.problems[0].value == "stars"
