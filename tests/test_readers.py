"""Readers of issue 19: nothing from outside the workspace, ambiguous sheet and file names,
quotes never closed, spreadsheet fidelity (formulas, merged cells, blank rows above the
header) and nested Parquet columns. Every bad input is built here, small, on disk."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from journeykit.core.errors import WorkspaceError
from journeykit.run.cli import main
from journeykit.workspace import load_workspace, validate_workspace
from journeykit.workspace.locations import workspace_files
from tests.conftest import ROOT

FEEDBACK = "customer_id,date,nps,comment\nc1,2025-01-02,9,Lovely\nc2,2025-01-03,3,Slow\n"
SECRET = "JK_PLANTED_SECRET_4242"


def _errors(folder: Path) -> list:
    return [p for p in validate_workspace(folder) if p.severity == "error"]


def _everything(folder: Path, capsys) -> str:
    """All a user could see: the problems' texts and `journeykit validate`'s output."""
    problems = validate_workspace(folder)
    shown = "\n".join(str(p) + repr(p.to_dict()) for p in problems)
    code = main(["validate", str(folder)])
    out = capsys.readouterr()
    assert code == 2
    return shown + out.out + out.err


# -- nothing from outside the workspace -----------------------------------------------------


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "private.csv"
    path.write_text(f"customer_id,date,nps,comment\n{SECRET},2025-01-02,9,{SECRET}\nx,{SECRET},99,y\n")
    return path


def test_a_symlinked_table_outside_the_workspace_is_refused_and_never_shown(make_workspace, secret_file, capsys):
    folder = make_workspace()
    (folder / "feedback.csv").symlink_to(secret_file)
    errors = _errors(folder)
    assert [p.file for p in errors] == ["feedback.csv"]
    assert "symbolic link" in errors[0].expected and str(secret_file) not in errors[0].expected
    assert SECRET not in _everything(folder, capsys)
    with pytest.raises(WorkspaceError):
        load_workspace(folder)


def test_a_symlink_to_proc_environ_is_refused(make_workspace):
    """/proc/self/environ shows a process's environment as it started: plant the secret in a
    fresh `journeykit validate` process and grep everything it prints."""
    folder = make_workspace()
    (folder / "feedback.csv").symlink_to("/proc/self/environ")
    env = dict(os.environ, JK_TEST_SECRET=SECRET, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", "import sys; from journeykit.run.cli import main; "
                           "sys.exit(main(sys.argv[1:]))", "validate", str(folder)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "feedback.csv" in done.stdout and "symbolic link" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_symlinked_workbook_journey_yaml_and_parquet_are_refused(make_workspace, tmp_path, secret_file, capsys):
    folder = make_workspace()
    outside_parquet = tmp_path / "outside" / "orders.parquet"
    pd.DataFrame({"order_id": [SECRET], "customer_id": ["c1"], "date": ["2025-01-01"],
                  "amount": [1.0]}).to_parquet(outside_parquet)
    (folder / "orders.parquet").symlink_to(outside_parquet)
    outside_book = tmp_path / "outside" / "book.xlsx"
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "tickets"
    book.active.append(["ticket_id", "opened", "text"])
    book.active.append([SECRET, "2025-01-01", SECRET])
    book.save(outside_book)
    (folder / "workspace.xlsx").symlink_to(outside_book)
    errors = _errors(folder)
    assert {p.file for p in errors} == {"orders.parquet", "workspace.xlsx"}
    assert SECRET not in _everything(folder, capsys)
    # journey.yaml itself
    other = make_workspace()
    outside_yaml = tmp_path / "outside" / "journey.yaml"
    outside_yaml.write_text((other / "journey.yaml").read_text().replace("Test Bakery", SECRET))
    (other / "journey.yaml").unlink()
    (other / "journey.yaml").symlink_to(outside_yaml)
    assert [p.file for p in _errors(other)] == ["journey.yaml"]
    assert SECRET not in _everything(other, capsys)


def test_a_symlink_inside_the_workspace_and_a_device_are_refused_too(make_workspace):
    folder = make_workspace(notes=FEEDBACK)
    (folder / "feedback.csv").symlink_to(folder / "notes.csv")
    assert [p.file for p in _errors(folder)] == ["feedback.csv"]
    (folder / "feedback.csv").unlink()
    (folder / "feedback.csv").symlink_to("/dev/zero")  # would never end
    assert [p.file for p in _errors(folder)] == ["feedback.csv"]


def test_links_may_be_allowed_explicitly(make_workspace, tmp_path, monkeypatch):
    outside = tmp_path / "shared" / "feedback.csv"
    outside.parent.mkdir()
    outside.write_text(FEEDBACK)
    folder = make_workspace()
    (folder / "feedback.csv").symlink_to(outside)
    monkeypatch.setenv("JOURNEYKIT_ALLOW_LINKS", "1")
    assert _errors(folder) == []
    assert load_workspace(folder).feedback["nps"].tolist() == [9, 3]


def test_run_inputs_skip_links_and_devices(make_workspace, secret_file):
    folder = make_workspace()
    (folder / "feedback.csv").symlink_to(secret_file)
    (folder / "zero.csv").symlink_to("/dev/zero")
    names = [p.name for p in workspace_files(folder)]
    assert "feedback.csv" not in names and "zero.csv" not in names and "journey.yaml" in names


# -- ambiguous names -------------------------------------------------------------------------


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def test_two_sheets_differing_by_case_or_space_are_an_error_naming_both(make_workspace):
    folder = make_workspace()
    rows = [["customer_id", "date", "nps"], ["c1", "2025-01-02", 9]]
    _book(folder / "workspace.xlsx", {"feedback": rows, "Feedback ": [rows[0]]})
    errors = _errors(folder)
    assert len(errors) == 1 and "'feedback'" in errors[0].expected and "'Feedback '" in errors[0].expected


def test_two_files_differing_by_case_are_an_error_naming_both(make_workspace):
    folder = make_workspace(feedback=FEEDBACK)
    (folder / "Feedback.csv").write_text("customer_id,date,nps\n")  # header only
    errors = _errors(folder)
    assert len(errors) == 1 and "Feedback.csv" in errors[0].expected and "feedback.csv" in errors[0].expected


# -- a quote never closed ---------------------------------------------------------------------


@pytest.mark.parametrize("body, row", [
    ('c1,2025-01-02,9,"Lovely\nc2,2025-01-03,3,Slow\nc3,2025-01-04,7,Fine\n', 2),
    ('c1,2025-01-02,9,Lovely\nc2,2025-01-03,3,"Slow""\nc3,2025-01-04,7,Fine\n', 3),
    ('c1,2025-01-02,9,"ok"\nc2,2025-01-03,3,"x"y\nc3,2025-01-04,7,"never\nc4,2025-01-05,8,z', 4),
])
def test_a_quote_never_closed_is_an_error_naming_its_row(make_workspace, body, row):
    folder = make_workspace(feedback=f"customer_id,date,nps,comment\n{body}")
    errors = _errors(folder)
    assert [(p.file, p.row, p.column) for p in errors] == [("feedback.csv", row, "comment")]
    assert "closing double quote" in errors[0].expected
    with pytest.raises(WorkspaceError):
        load_workspace(folder, on_bad_rows="quarantine")  # never a silent loss of the rows after it


def test_quoted_newlines_that_are_closed_stay_fine(make_workspace):
    folder = make_workspace(feedback='customer_id,date,nps,comment\nc1,2025-01-02,9,"two\nlines"\n'
                                     'c2,2025-01-03,3,"say ""hi"""\n')
    assert load_workspace(folder).feedback["comment"].tolist() == ["two\nlines", 'say "hi"']


# -- spreadsheet fidelity ---------------------------------------------------------------------

PAIN = [["id", "touchpoint", "kind", "description", "severity"]]


def test_formulas_without_saved_values_are_errors_naming_sheet_cell_and_column(make_workspace):
    folder = make_workspace()
    rows = PAIN + [[f"p{i}", "tp_ads", "pain", "Slow", f"={i}+1"] for i in range(1, 4)]
    _book(folder / "workspace.xlsx", {"painpoints": rows})
    errors = _errors(folder)
    assert [(p.file, p.row, p.column) for p in errors] == [
        ("workspace.xlsx[painpoints]", r, "severity") for r in (2, 3, 4)]
    assert "cell E2" in errors[0].expected and "formula without a saved value" in errors[0].expected
    assert errors[0].value == "=1+1"


def _with_saved_values(path: Path, saved: dict[str, str]) -> None:
    """Write the cached ``<v>`` a spreadsheet program stores for formula cells (cell -> value)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                for cell, value in saved.items():
                    start = text.index(f'<c r="{cell}"')
                    end = text.index("</c>", start)
                    text = text[:start] + text[start:end].replace("<v />", f"<v>{value}</v>") + text[end:]
                data = text.encode()
            out.writestr(item, data)
    os.replace(tmp, path)


def test_formulas_with_saved_values_are_read_as_their_values(make_workspace):
    folder = make_workspace()
    rows = PAIN + [["p1", "tp_ads", "pain", "Slow", "=2+2"], ["p2", "tp_ads", "pain", "Rude", "=1+1"]]
    _book(folder / "workspace.xlsx", {"painpoints": rows})
    _with_saved_values(folder / "workspace.xlsx", {"E2": "4", "E3": "2"})
    assert _errors(folder) == []
    assert load_workspace(folder).painpoints["severity"].tolist() == [4, 2]


def test_merged_cells_are_named_as_such(make_workspace):
    from openpyxl import load_workbook

    folder = make_workspace()
    rows = PAIN + [["p1", "tp_ads", "pain", "Slow", 3], ["p2", "tp_ads", "pain", None, 4]]
    _book(folder / "workspace.xlsx", {"painpoints": rows})
    book = load_workbook(folder / "workspace.xlsx")
    book["painpoints"].merge_cells("D2:D3")
    book.save(folder / "workspace.xlsx")
    errors = _errors(folder)
    assert [(p.row, p.column, p.value) for p in errors] == [(2, "description", "D2:D3")]
    assert "merged" in errors[0].expected


def test_blank_rows_above_the_header_are_counted_in_row_numbers(make_workspace):
    folder = make_workspace()
    rows = [[None], [None], ["customer_id", "date", "nps"], ["c1", "2025-01-02", 9], ["c2", "2025-01-03", 11]]
    _book(folder / "workspace.xlsx", {"feedback": rows})
    errors = _errors(folder)
    assert [(p.row, p.column, p.value) for p in errors] == [(5, "nps", "11")]
    csv_folder = make_workspace(feedback="\n\ncustomer_id,date,nps\nc1,2025-01-02,9\nc2,2025-01-03,11\n")
    assert [(p.row, p.column) for p in _errors(csv_folder)] == [(5, "nps")]


@pytest.mark.parametrize("values", [[["Friendly staff", "fast"], ["slow"]], [{"a": 1}, {"a": 2}], [b"x", b"y"]])
def test_parquet_nested_columns_are_an_error_not_their_repr(make_workspace, values):
    folder = make_workspace()
    pd.DataFrame({"customer_id": ["c1", "c2"], "date": ["2025-01-02", "2025-01-03"], "nps": [9, 3],
                  "comment": values}).to_parquet(folder / "feedback.parquet")
    errors = _errors(folder)
    assert [(p.file, p.column) for p in errors] == [("feedback.parquet", "comment")]
    assert "plain values" in errors[0].expected


def test_a_sheet_claiming_16384_columns_reads_only_the_cells_it_holds(make_workspace):
    """A sheet's stated dimension (``A1:XFD...``, e.g. formatting a whole row) once made every
    row 16,384 cells wide (3,000 rows: 18 s; 100,000 rows: a hang)."""
    folder = make_workspace()
    rows = [["customer_id", "date", "nps"]] + [[f"c{i}", "2025-01-02", 9] for i in range(3000)]
    _book(folder / "workspace.xlsx", {"feedback": rows})
    path = folder / "workspace.xlsx"
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b'<dimension ref="A1:C3001" />', b'<dimension ref="A1:XFD3001" />')
                assert b"XFD3001" in data
            out.writestr(item, data)
    os.replace(tmp, path)
    start = time.perf_counter()
    ws = load_workspace(folder)
    assert time.perf_counter() - start < 6  # 0.3 s now; 18 s before
    assert len(ws.feedback) == 3000 and ws.feedback.index[-1] == 3001
