"""Limits instead of hangs (issue 19): columns per table, characters per cell, problems
listed per source, and validation time that grows with the cells, not faster."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from journeykit.workspace import load_workspace, validate_workspace
from journeykit.workspace.loader import _attributes
from journeykit.workspace.parsing import attribute_column, clean_text


def _wide_customers(columns: int, rows: int = 20) -> str:
    header = "customer_id,first_seen," + ",".join(f"x{i}" for i in range(columns))
    body = "\n".join(f"c{j},2025-01-01," + ",".join("a" if i % 2 else str(i) for i in range(columns))
                     for j in range(rows))
    return f"{header}\n{body}\n"


def test_a_table_with_more_columns_than_the_limit_is_one_clear_error(make_workspace):
    folder = make_workspace(customers=_wide_customers(5000))
    start = time.perf_counter()
    problems = validate_workspace(folder)
    assert time.perf_counter() - start < 10
    errors = [p for p in problems if p.severity == "error"]
    assert [(p.file, p.value) for p in errors] == [("customers.csv", "5,002 columns")]
    assert "at most 1,000 columns" in errors[0].expected and "JOURNEYKIT_MAX_COLUMNS" in errors[0].expected


def test_the_column_limit_applies_to_xlsx_parquet_and_overlong_rows(make_workspace, monkeypatch):
    from openpyxl import Workbook

    monkeypatch.setenv("JOURNEYKIT_MAX_COLUMNS", "50")
    folder = make_workspace(feedback="customer_id,date,nps\nc1,2025-01-02,9" + ",x" * 60 + "\n")
    assert [p.value for p in validate_workspace(folder) if p.severity == "error"] == ["63 columns"]
    other = make_workspace()
    pd.DataFrame({f"c{i}": [1] for i in range(60)}).to_parquet(other / "orders.parquet")
    book = Workbook()
    book.active.title = "tickets"
    book.active.append([f"h{i}" for i in range(55)])
    book.save(other / "workspace.xlsx")
    errors = {p.file: p.value for p in validate_workspace(other) if p.severity == "error"}
    assert errors == {"orders.parquet": "60 columns", "workspace.xlsx[tickets]": "55 columns"}


def test_wide_tables_validate_in_time_linear_in_columns(make_workspace, monkeypatch):
    """3,000 extra attribute columns (kept, typed) took well over a minute when each was typed
    and inserted one by one; all at once it is seconds."""
    monkeypatch.setenv("JOURNEYKIT_MAX_COLUMNS", "5000")
    folder = make_workspace(customers=_wide_customers(3000))
    start = time.perf_counter()
    ws = load_workspace(folder)
    assert time.perf_counter() - start < 30
    assert ws.customers.shape == (20, 3004)  # + persona_id, channel
    assert pd.api.types.is_integer_dtype(ws.customers["x2"]) and ws.customers["x1"].dtype == "string"


def test_attributes_typed_at_once_equal_attributes_typed_one_by_one():
    frame = pd.DataFrame({
        "n": ["1", "2", " 3 "], "f": ["1.5", "", "N/A"], "t": ["a", "1", None], "blank": ["", None, "na"],
        "q": ["'=x", "'+1", "y"], "mixed": ["1", "two", "3"],
    }, dtype=object, index=pd.Index([2, 3, 5], name="row"))
    together = _attributes(frame, list(frame.columns))
    for name in frame.columns:
        pd.testing.assert_series_equal(together[name], attribute_column(clean_text(frame[name])),
                                       check_names=False)


def test_a_cell_over_the_size_limit_is_an_error_naming_row_and_column(make_workspace, monkeypatch):
    monkeypatch.setenv("JOURNEYKIT_MAX_CELL_CHARS", "1000")
    folder = make_workspace(feedback="customer_id,date,nps,comment\nc1,2025-01-02,9,ok\n"
                                     f"c2,2025-01-03,3,{'x' * 5000}\n")
    errors = [p for p in validate_workspace(folder) if p.severity == "error"]
    assert [(p.row, p.column) for p in errors] == [(3, "comment")]
    assert "at most 1,000 characters" in errors[0].expected and "5,000" in errors[0].expected
    assert len(str(errors[0].value)) <= 60
    ws = load_workspace(folder, on_bad_rows="quarantine")
    assert ws.feedback.index.tolist() == [2] and ws.rejected["feedback"]["_row"].tolist() == [3]


def test_the_default_cell_limit_is_a_million_characters(make_workspace):
    folder = make_workspace(feedback="customer_id,date,nps,comment\n"
                                     f"c1,2025-01-02,9,{'y' * 1_000_001}\nc2,2025-01-03,3,{'y' * 999_999}\n")
    errors = [p for p in validate_workspace(folder) if p.severity == "error"]
    assert [(p.row, p.column) for p in errors] == [(2, "comment")]


def test_the_problem_list_is_capped_and_the_full_count_reported(make_workspace, monkeypatch):
    body = "".join(f"c{i},2025-01-02,{11 + i}\n" for i in range(1500))
    folder = make_workspace(feedback=f"customer_id,date,nps\n{body}")
    problems = [p for p in validate_workspace(folder) if p.file == "feedback.csv"]
    assert len(problems) == 1001
    assert "1,500 in all" in problems[-1].expected and problems[-1].severity == "error"
    ws = load_workspace(folder, on_bad_rows="quarantine")  # rows set aside keep every reason
    assert len(ws.rejected["feedback"]) == 1500
    monkeypatch.setenv("JOURNEYKIT_MAX_PROBLEMS", "10")
    problems = [p for p in validate_workspace(folder) if p.file == "feedback.csv"]
    assert len(problems) == 11 and "1,490 more" in problems[-1].expected


@pytest.mark.parametrize("variable", ["JOURNEYKIT_MAX_COLUMNS", "JOURNEYKIT_MAX_CELL_CHARS",
                                      "JOURNEYKIT_MAX_PROBLEMS"])
def test_a_bad_limit_setting_falls_back_to_the_default(make_workspace, monkeypatch, variable):
    monkeypatch.setenv(variable, "banana")
    folder = make_workspace(feedback="customer_id,date,nps\nc1,2025-01-02,9\n")
    assert [p for p in validate_workspace(folder) if p.severity == "error"] == []
