"""The workspace loader: every file form, canonical types, and problems that say
exactly what is wrong (file, spreadsheet row, column, value, expectation)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

import journeykit as jk
from journeykit.core.cells import split_list

from .conftest import SAMPLE, tree_digest

FEEDBACK = (
    "customer_id,date,stage,nps,csat,ces,comment\n"
    "c1,2026-01-02,decision,9,5,2,Lovely bread\n"
    "c2,2026-01-03,decision,3,2,6,Queue too long\n"
    "c3,2026-01-04,awareness,10,,,\n"
)


def _errors(problems):
    return [p for p in problems if p.severity == "error"]


def test_minimal_workspace_loads_with_canonical_types(make_workspace):
    ws = jk.load_workspace(make_workspace(feedback=FEEDBACK))
    fb = ws.feedback
    assert list(fb.columns[:9]) == ["customer_id", "date", "stage", "asked_at", "touchpoint",
                                    "about", "nps", "csat", "ces"]
    assert str(fb["nps"].dtype) == "Int64"
    assert fb["date"].dtype == "datetime64[us]"
    assert fb["date"].dt.tz is None
    assert isinstance(fb["customer_id"].dtype, pd.StringDtype)
    assert fb.index.tolist() == [2, 3, 4]  # the rows a spreadsheet shows
    assert fb["csat"].isna().sum() == 1 and fb["nps"].tolist() == [9, 3, 10]
    assert ws.touchpoints["online"].tolist() == [True, False]
    assert ws.config.stage_ids == ["awareness", "consideration", "decision", "post_purchase"]
    assert ws.has("feedback") and not ws.has("orders") and ws.orders is None


@pytest.mark.parametrize(
    "encoding,delimiter,newline",
    [("utf-8", ",", "\n"), ("utf-8-sig", ",", "\r\n"), ("latin-1", ";", "\r\n"),
     ("utf-16", "\t", "\n"), ("cp1252", "\t", "\r\n"), ("utf-8", ";", "\n")],
)
def test_csv_encodings_delimiters_and_line_ends(make_workspace, encoding, delimiter, newline):
    rows = [["customer_id", "date", "nps", "comment"],
            ["c1", "2026-01-02", "9", "Très bon café, merci"],
            ["c2", "2026-01-03", "4", "Zu süß"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    text = buffer.getvalue()
    ws = jk.load_workspace(make_workspace(feedback=text.encode(encoding)))
    assert ws.feedback["comment"].tolist() == ["Très bon café, merci", "Zu süß"]
    assert ws.feedback["nps"].tolist() == [9, 4]


def test_unquoted_delimiter_in_text_is_reported_not_cut(make_workspace):
    text = "customer_id,date,nps,comment\nc1,2026-01-02,9,Good, but slow\n"
    [problem] = _errors(jk.validate_workspace(make_workspace(feedback=text)))
    assert problem.row == 2 and "double quotes" in problem.expected and "but slow" in problem.value


def test_quoted_newlines_keep_spreadsheet_row_numbers(make_workspace):
    text = 'customer_id,date,nps,comment\nc1,2026-01-02,9,"line one\nline two"\nc2,2026-01-03,11,bad\n'
    problems = jk.validate_workspace(make_workspace(feedback=text))
    [problem] = _errors(problems)
    assert (problem.row, problem.column, problem.value) == (3, "nps", "11")


def test_nps_out_of_range_names_file_row_column_value(make_workspace):
    lines = FEEDBACK.splitlines()
    lines.insert(4, "c4,2026-01-05,decision,11,4,3,ok")  # spreadsheet row 5
    folder = make_workspace(feedback="\n".join(lines) + "\n")
    with pytest.raises(jk.WorkspaceError) as caught:
        jk.load_workspace(folder)
    [problem] = _errors(caught.value.problems)
    assert (problem.file, problem.row, problem.column, problem.value) == ("feedback.csv", 5, "nps", "11")
    assert str(problem) == "feedback.csv, row 5, column nps: '11' - expected an integer 0-10"


@pytest.mark.parametrize(
    "cell,expected",
    [("#ERROR!", "spreadsheet error cell"), ("7.5", "an integer 0-10"), ("ten", "an integer 0-10"),
     ("-1", "an integer 0-10")],
)
def test_bad_scores_are_errors(make_workspace, cell, expected):
    folder = make_workspace(feedback=f"customer_id,date,nps\nc1,2026-01-02,{cell}\n")
    [problem] = _errors(jk.validate_workspace(folder))
    assert problem.row == 2 and problem.column == "nps" and expected in problem.expected


def test_blank_and_na_scores_are_missing_not_errors(make_workspace):
    ws = jk.load_workspace(make_workspace(feedback="customer_id,date,nps\nc1,2026-01-02,\nc2,2026-01-02,N/A\n"))
    assert ws.feedback["nps"].isna().all()


def test_missing_required_column_names_the_mapping_key(make_workspace):
    folder = make_workspace(feedback="customer_id,when,nps\nc1,2026-01-02,9\n")
    [problem] = _errors(jk.validate_workspace(folder))
    assert problem.column == "date" and problem.row == 1
    assert "columns: {feedback: {date:" in problem.expected and "when" in problem.expected


def test_column_mapping_reads_an_export_as_it_is(make_workspace):
    export = "ID,Submitted,Rating (Num),Text\nc1,02/01/2026,9,Great\nc2,03/01/2026,6,Meh\n"
    folder = make_workspace(feedback=export)
    yaml_text = (folder / "journey.yaml").read_text()
    yaml_text += 'columns:\n  feedback: {customer_id: ID, date: Submitted, nps: "Rating (Num)", comment: Text}\n'
    (folder / "journey.yaml").write_text(yaml_text)
    ws = jk.load_workspace(folder)
    assert ws.feedback["nps"].tolist() == [9, 6]
    assert ws.feedback["date"].tolist() == [pd.Timestamp("2026-01-02"), pd.Timestamp("2026-01-03")]  # day first


def test_mapping_to_a_column_that_is_not_there(make_workspace):
    folder = make_workspace(feedback="customer_id,date,nps\nc1,2026-01-02,9\n")
    (folder / "journey.yaml").write_text((folder / "journey.yaml").read_text() + "columns:\n  feedback: {nps: Score}\n")
    [problem] = _errors(jk.validate_workspace(folder))
    assert problem.column == "nps" and "'Score'" in problem.expected


def test_headers_match_case_and_spacing_insensitively(make_workspace):
    ws = jk.load_workspace(make_workspace(feedback="Customer ID,Date,NPS\nc1,2026-01-02,9\n"))
    assert ws.feedback["nps"].tolist() == [9]


def test_offsets_are_converted_to_the_workspace_time_zone(make_workspace):
    events = ("customer_id,timestamp,event\n"
              "c1,2026-03-01T12:00:00Z,ad_click\n"
              "c1,2026-03-01T13:30:00+01:00,menu_view\n"
              "c1,2026-03-01 14:00,order\n")
    ws = jk.load_workspace(make_workspace(events=events))
    # Europe/Amsterdam is UTC+1 in March (before the DST switch); a column with offsets holds
    # instants, so it is tz-aware in the workspace time zone (the offset-less value is local)
    assert str(ws.events["timestamp"].dt.tz) == "Europe/Amsterdam"
    assert ws.events["timestamp"].tolist() == [pd.Timestamp("2026-03-01 13:00", tz="Europe/Amsterdam"),
                                               pd.Timestamp("2026-03-01 13:30", tz="Europe/Amsterdam"),
                                               pd.Timestamp("2026-03-01 14:00", tz="Europe/Amsterdam")]


def test_unparseable_dates_and_negative_amounts(make_workspace):
    orders = "order_id,customer_id,date,amount\no1,c1,2026-01-02,12.50\no2,c1,not a date,3\no3,c1,2026-01-04,-4\n"
    problems = _errors(jk.validate_workspace(make_workspace(orders=orders)))
    assert {(p.row, p.column) for p in problems} == {(3, "date"), (4, "amount")}


def test_european_decimal_commas_and_currency_symbols(make_workspace):
    orders = "order_id;customer_id;date;amount\no1;c1;2026-01-02;€ 1.234,50\no2;c1;2026-01-03;12,5\n"
    ws = jk.load_workspace(make_workspace(orders=orders))
    assert ws.orders["amount"].tolist() == [1234.5, 12.5]


def test_duplicate_ids_and_dangling_references(make_workspace):
    painpoints = ("id,touchpoint,kind,description\n"
                  "p1,tp_counter,pain,Queue\np1,tp_counter,pain,Again\np2,tp_nowhere,pain,Lost\n")
    problems = _errors(jk.validate_workspace(make_workspace(painpoints=painpoints)))
    found = {(p.row, p.column, p.value) for p in problems}
    assert found == {(3, "id", "p1"), (4, "touchpoint", "tp_nowhere")}
    assert any("also in row 2" in p.expected for p in problems)


def test_touchpoint_stage_must_exist(make_workspace):
    tps = "id,stage,channel,name\ntp_x,delivery,web,Parcel\n"
    [problem] = _errors(jk.validate_workspace(make_workspace(touchpoints=tps, painpoints=None)))
    assert (problem.row, problem.column, problem.value) == (2, "stage", "delivery")


def test_unmapped_events_are_a_warning_with_counts(make_workspace):
    events = "customer_id,timestamp,event\nc1,2026-01-01,ad_click\nc1,2026-01-02,wishlist\nc2,2026-01-02,wishlist\n"
    ws = jk.load_workspace(make_workspace(events=events))
    [warning] = [p for p in ws.problems if p.column == "event"]
    assert warning.severity == "warning" and warning.value == "wishlist" and "2 rows" in warning.expected


def test_missing_required_table(make_workspace):
    with pytest.raises(jk.WorkspaceError) as caught:
        jk.load_workspace(make_workspace(**{"touchpoints.csv": None}))
    assert any(p.table == "touchpoints" and "required" in p.expected for p in caught.value.problems)


def test_empty_file_and_duplicated_headers(make_workspace):
    problems = _errors(jk.validate_workspace(make_workspace(feedback="", orders="order_id,order_id,customer_id,date,amount\n")))
    assert any(p.file == "feedback.csv" and "header" in p.expected for p in problems)
    assert any(p.file == "orders.csv" and p.row == 1 and "unique" in p.expected for p in problems)


def test_broken_yaml_names_the_line(make_workspace):
    folder = make_workspace(**{"journey.yaml": "business: x\nstages: [\n  - id: a\n"})
    with pytest.raises(jk.WorkspaceError) as caught:
        jk.load_workspace(folder)
    assert caught.value.problems[0].file == "journey.yaml"


def test_quarantine_keeps_good_rows_and_accounts_for_every_row(make_workspace):
    text = "customer_id,date,nps\nc1,2026-01-02,9\nc2,2026-01-03,11\nc3,nope,5\nc4,2026-01-05,#N/A\nc5,2026-01-06,0\n"
    folder = make_workspace(feedback=text)
    ws = jk.load_workspace(folder, on_bad_rows="quarantine")
    rejected = ws.rejected["feedback"]
    assert ws.feedback["customer_id"].tolist() == ["c1", "c5"]
    assert rejected["_row"].tolist() == [3, 4, 5]
    assert len(ws.feedback) + len(rejected) == 5
    assert "nps" in rejected.loc[0, "_problems"] and "date" in rejected.loc[1, "_problems"]
    assert not _errors(ws.problems)


def test_quarantine_cascades_to_rows_that_reference_rejected_rows(make_workspace):
    tps = "id,stage,channel,name\ntp_a,awareness,web,Ads\ntp_b,nowhere,web,Bad stage\n"
    pps = "id,touchpoint,kind,description\np1,tp_a,pain,ok\np2,tp_b,pain,points at a rejected row\n"
    ws = jk.load_workspace(make_workspace(touchpoints=tps, painpoints=pps), on_bad_rows="quarantine")
    assert ws.touchpoints["id"].tolist() == ["tp_a"]
    assert ws.painpoints["id"].tolist() == ["p1"]
    assert ws.rejected["painpoints"]["_row"].tolist() == [3]


def test_parquet_and_xlsx_sources(make_workspace, tmp_path):
    folder = make_workspace()
    pd.DataFrame({"customer_id": ["c1"], "timestamp": pd.to_datetime(["2026-01-01 10:00"]),
                  "event": ["ad_click"]}).to_parquet(folder / "events.parquet")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "orders"
    sheet.append(["order_id", "customer_id", "date", "amount"])
    sheet.append(["o1", "c1", pd.Timestamp("2026-01-02").to_pydatetime(), 19.5])
    workbook.save(folder / "workspace.xlsx")
    ws = jk.load_workspace(folder)
    assert ws.sources["events"] == "events.parquet" and ws.sources["orders"] == "workspace.xlsx[orders]"
    assert ws.orders["amount"].tolist() == [19.5]
    assert ws.orders["date"].tolist() == [pd.Timestamp("2026-01-02")]
    relation = ws.events_relation()
    assert relation.fetchall()[0][2] == "ad_click"


def test_table_with_rows_in_two_sources_is_an_error(make_workspace):
    folder = make_workspace(orders="order_id,customer_id,date,amount\no1,c1,2026-01-02,3\n")
    pd.DataFrame({"order_id": ["o2"], "customer_id": ["c1"], "date": ["2026-01-02"],
                  "amount": [1.0]}).to_parquet(folder / "orders.parquet")
    problems = _errors(jk.validate_workspace(folder))
    assert any("one source per table" in p.expected for p in problems)


def test_persona_rules_assign_customers(make_workspace):
    personas = "id,name,rule\nyoung,Young,age < 30\nold,Old,age >= 30\n"
    customers = "customer_id,first_seen,age\nc1,2026-01-01,25\nc2,2026-01-01,50\n"
    touchpoints = "id,stage,channel,name\ntp_ads,awareness,web,Online ads\n"
    folder = make_workspace(personas=personas, customers=customers, touchpoints=touchpoints)
    ws = jk.load_workspace(folder)
    assert ws.customers["persona_id"].tolist() == ["young", "old"]


def test_split_list():
    assert split_list("web; store ;") == ["web", "store"]
    assert split_list(pd.NA) == []


# ------------------------------------------------------------------ scaffold and saving


def test_new_workspace_is_valid_and_has_dropdowns(tmp_path):
    folder = jk.new_workspace(tmp_path / "shop", name="Corner Bakery")
    problems = jk.validate_workspace(folder)
    assert not _errors(problems)
    workbook = load_workbook(folder / "workspace.xlsx")
    assert {"README", "lists", "personas", "touchpoints", "painpoints", "feedback"} <= set(workbook.sheetnames)
    touchpoints = workbook["touchpoints"]
    assert [c.value for c in touchpoints[1]][:4] == ["id", "stage", "channel", "name"]
    formulas = {dv.formula1 for dv in touchpoints.data_validations.dataValidation}
    assert any("lists" in f for f in formulas) and len(formulas) >= 3
    lists = workbook["lists"]
    assert [c.value for c in lists["A"]][1:5] == ["awareness", "consideration", "decision", "post_purchase"]
    readme_rows = list(workbook["README"].iter_rows(values_only=True))
    assert any(r[0] == "feedback" and r[1] == "nps" for r in readme_rows)
    assert "Corner Bakery" in (folder / "journey.yaml").read_text()


def test_new_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "notes.txt").write_text("mine")
    with pytest.raises(jk.JourneykitError, match="not empty"):
        jk.new_workspace(tmp_path / "shop")
    assert (tmp_path / "shop" / "notes.txt").read_text() == "mine"


def _workshop_filled_workbook(tmp_path):
    """A new workspace whose workspace.xlsx a workshop filled with one persona and one touchpoint."""
    folder = jk.new_workspace(tmp_path / "shop")
    workbook = load_workbook(folder / "workspace.xlsx")
    workbook["personas"].append(["p1", "Pat"])
    workbook["touchpoints"].append(["tp1", "awareness", "web", "Website", "Marketing", "yes"])
    workbook.save(folder / "workspace.xlsx")
    return folder


def test_xlsx_filled_in_by_a_workshop_is_used(tmp_path):
    folder = _workshop_filled_workbook(tmp_path)
    ws = jk.load_workspace(folder)
    assert ws.sources["touchpoints"] == "workspace.xlsx[touchpoints]"
    assert ws.touchpoints["name"].tolist() == ["Website"]


def test_save_table_round_trip_keeps_previous_version(make_workspace):
    folder = make_workspace(painpoints="id,touchpoint,kind,description,effort,status\np1,tp_counter,pain,Queue,,open\n")
    ws = jk.load_workspace(folder)
    edited = ws.painpoints.copy()
    edited.loc[edited.index[0], "effort"] = 2
    edited.loc[edited.index[0], "description"] = "=HYPERLINK(\"http://evil\")"
    before = (folder / "painpoints.csv").read_text()
    jk.save_table(ws, "painpoints", edited)
    history = list((folder / ".journeykit" / "history").glob("painpoints.*.csv"))
    assert len(history) == 1 and history[0].read_text() == before
    # the workspace keeps exactly what was typed; exports into run folders neutralise formulas
    assert "'=HYPERLINK" not in (folder / "painpoints.csv").read_text()
    assert '"=HYPERLINK(""http://evil"")"' in (folder / "painpoints.csv").read_text()
    again = jk.load_workspace(folder)
    assert again.painpoints["effort"].tolist() == [2]
    assert again.painpoints["description"].tolist() == ["=HYPERLINK(\"http://evil\")"]  # lossless round trip


def test_save_table_into_xlsx_keeps_other_sheets_and_dropdowns(tmp_path):
    folder = _workshop_filled_workbook(tmp_path)
    ws = jk.load_workspace(folder)
    edited = ws.touchpoints.copy()
    edited.loc[edited.index[0], "owner"] = "Sales"
    jk.save_table(ws, "touchpoints", edited)
    reopened = load_workbook(folder / "workspace.xlsx")
    assert reopened["touchpoints"].data_validations.dataValidation
    assert reopened["personas"]["B2"].value == "Pat"
    assert jk.load_workspace(folder).touchpoints["owner"].tolist() == ["Sales"]


# ------------------------------------------------------------------ the CLI and the sample


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "journeykit.run.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_validate_sample_exits_0():
    before = tree_digest(SAMPLE)
    result = _cli("validate", SAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout
    assert tree_digest(SAMPLE) == before


def test_validate_copy_of_sample_with_nps_11_in_row_5(tmp_path):
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy)
    feedback = pd.read_csv(copy / "feedback.csv", dtype=str, keep_default_na=False)
    feedback.loc[3, "nps"] = "11"  # data index 3 = spreadsheet row 5
    feedback.to_csv(copy / "feedback.csv", index=False)
    result = _cli("validate", copy)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    line = next(line for line in lines if line.startswith("error"))  # the count per file, column, kind
    assert line.split()[:4] == ["error", "1", "feedback.csv", "nps"] and "integer 0-10" in line
    example = lines.index("feedback.csv, column nps - expected an integer 0-10 (1 error(s)):")
    assert lines[example + 1] == "  row 5: '11'"
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_missing_folder_is_a_clear_error(tmp_path):
    result = _cli("validate", tmp_path / "nope")
    assert result.returncode == 2
    assert "workspace folder not found" in result.stderr and "Traceback" not in result.stderr


def test_cli_new_then_validate(tmp_path):
    assert _cli("new", tmp_path / "shop", "--name", "Bakery").returncode == 0
    result = _cli("new", tmp_path / "shop")
    assert result.returncode == 2 and "not empty" in result.stderr
    assert _cli("validate", tmp_path / "shop").returncode == 0


def test_cli_sample_is_deterministic_and_never_overwrites(tmp_path):
    result = _cli("sample", tmp_path / "demo", "--customers", "60", "--months", "3", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert _cli("validate", tmp_path / "demo").returncode == 0
    before = tree_digest(tmp_path / "demo")
    again = _cli("sample", tmp_path / "demo", "--customers", "60", "--months", "3", "--seed", "4")
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert tree_digest(tmp_path / "demo") == before
    assert _cli("sample", tmp_path / "demo", "--customers", "60", "--months", "3", "--seed", "3",
                "--force").returncode == 0
    assert tree_digest(tmp_path / "demo") == before  # same seed, same bytes


def test_memo_computes_once_until_a_table_is_saved(make_workspace):
    folder = make_workspace(painpoints="id,touchpoint,kind,description\np1,tp_counter,pain,Queue\n")
    ws = jk.load_workspace(folder)
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert ws.memo(("n", 1), compute) == 1 and ws.memo(("n", 1), compute) == 1
    jk.save_table(ws, "painpoints", ws.painpoints)
    assert ws.memo(("n", 1), compute) == 2


def test_labels_give_display_names(make_workspace):
    ws = jk.load_workspace(make_workspace())
    assert ws.labels("stage")["post_purchase"] == "Post-purchase"
    assert ws.labels("persona") == {"regular": "The Regular", "foodie": "The Foodie"}
    assert ws.labels("touchpoint")["tp_ads"] == "Online ads"
    with pytest.raises(jk.JourneykitError):
        ws.labels("channel")
