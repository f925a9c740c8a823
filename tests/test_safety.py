"""Spreadsheet safety: no exported cell can start a formula, text stays readable,
writes are atomic and keep the file's permissions."""

from __future__ import annotations

import csv
import os

import pandas as pd
import pytest
from openpyxl import load_workbook

from journeykit.core.safety import (
    atomic_write_bytes,
    neutralise_cell,
    write_safe_csv,
    write_safe_xlsx,
)

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR=1", '=HYPERLINK("http://x","y")', "plain", "a=b"]


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralise_cell(text):
    out = neutralise_cell(text)
    assert not str(out).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out.endswith(text)  # readable: the original text follows the apostrophe


def test_numbers_are_not_touched():
    assert neutralise_cell(-5) == -5 and neutralise_cell(3.5) == 3.5


def test_csv_cells_never_start_a_formula(tmp_path):
    path = write_safe_csv(pd.DataFrame({"text": HOSTILE, "n": range(len(HOSTILE))}), tmp_path / "x.csv")
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    assert len(rows) == len(HOSTILE) + 1  # a bare CR inside a cell did not split a row
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert [r[0].lstrip("'") for r in rows[1:]] == HOSTILE


def test_xlsx_cells_are_text_not_formulas(tmp_path):
    path = write_safe_xlsx({"plan": pd.DataFrame({"text": HOSTILE})}, tmp_path / "x.xlsx")
    sheet = load_workbook(path)["plan"]
    for (cell,) in sheet.iter_rows(min_row=2):
        assert cell.data_type != "f"
        assert not str(cell.value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_atomic_write_keeps_permissions(tmp_path):
    target = tmp_path / "file.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["file.csv"]  # no temporary file left behind
