"""Validation that summarises (issue 15, item 5): `journeykit validate` counts the problems
per (file, column, kind) before it shows examples, `--problems FILE` writes every one of
them, a reference to a table with no rows is said once, and the stage funnel counts the
customers its rules leave out and names the window it used."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

import pandas as pd
import pytest

from journeykit.analytics.events import stage_funnel
from journeykit.analytics.journey import stage_funnel_left_out, stage_funnel_notes
from journeykit.core.errors import Problem, format_problem_summary, problem_kind, problem_summary
from journeykit.core.safety import FORMULA_STARTS
from journeykit.run.cli import main
from journeykit.workspace import load_workspace, validate_workspace
from journeykit.workspace.dates import DateRules, read_dates
from tests.conftest import JOURNEY_YAML, write_workspace

CUSTOMERS = "customer_id,first_seen\nc1,2026-01-01\nc2,2026-01-02\n"


def _orders(rows: list[tuple[str, str, str, str]]) -> str:
    return "order_id,customer_id,date,amount\n" + "".join(",".join(r) + "\n" for r in rows)


@pytest.fixture
def bad_orders(tmp_path):
    """orders.csv with 7 bad amounts, 4 repeated order ids (all of row 2's id), 1 bad date."""
    rows = [(f"o{i}", "c1", "2026-02-01", "10.50") for i in range(20)]
    for i in range(1, 8):
        rows[i] = (rows[i][0], "c1", "2026-02-01", "=1+2" if i == 1 else "abc")
    for i in range(10, 14):
        rows[i] = ("o0", "c2", "2026-02-01", "3")
    rows[15] = ("o15", "c1", "31/31/2026", "3")
    return write_workspace(tmp_path / "bad", customers=CUSTOMERS, orders=_orders(rows))


def _run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_prints_a_count_per_file_column_and_kind_first(bad_orders, capsys):
    code, out, _ = _run_cli(capsys, "validate", str(bad_orders))
    assert code == 2
    lines = out.splitlines()
    assert lines[0].split() == ["severity", "count", "file", "column", "problem"]
    table = lines[1:lines.index("")]
    # errors first, largest count first; the repeated ids are one kind, not one per first row
    assert [line.split()[:4] for line in table] == [
        ["error", "7", "orders.csv", "amount"],
        ["error", "4", "orders.csv", "order_id"],
        ["error", "1", "orders.csv", "date"],
    ]
    assert "a unique order_id (also in row …)" in table[1]
    examples = lines[lines.index("First examples of each:") + 1:]
    amount = examples.index(next(line for line in examples if line.startswith("orders.csv, column amount")))
    # the first three examples of the kind, in row order, then how many more
    assert examples[amount + 1:amount + 5] == ["  row 3: '=1+2'", "  row 4: 'abc'", "  row 5: 'abc'",
                                               "  ... and 4 more"]
    assert out.rstrip().endswith(f"{bad_orders}: 12 error(s), 0 warning(s)")


def test_validate_problems_csv_writes_every_problem_neutralised(bad_orders, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JOURNEYKIT_MAX_PROBLEMS", "5")  # the listing cap does not cut the file
    assert len(validate_workspace(bad_orders)) == 6  # 5 listed + one counting the rest
    target = tmp_path / "problems.csv"
    code, out, _ = _run_cli(capsys, "validate", str(bad_orders), "--problems", str(target))
    assert code == 2
    assert f"Wrote all 12 problem(s) to {target}" in out
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    assert list(rows[0]) == ["severity", "file", "row", "column", "kind", "value", "expected", "table"]
    assert [r["row"] for r in rows] == sorted((r["row"] for r in rows), key=int)
    assert {r["kind"] for r in rows if r["column"] == "order_id"} == {"a unique order_id (also in row …)"}
    assert sorted(int(r["row"]) for r in rows if r["column"] == "amount") == list(range(3, 10))
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(FORMULA_STARTS), cell
    assert any("=1+2" in r["value"] for r in rows)


def test_the_count_covers_problems_beyond_the_listing_cap(bad_orders, capsys, monkeypatch):
    monkeypatch.setenv("JOURNEYKIT_MAX_PROBLEMS", "2")
    code, out, _ = _run_cli(capsys, "validate", str(bad_orders))
    assert code == 2
    assert out.splitlines()[1].split()[:4] == ["error", "7", "orders.csv", "amount"]
    assert "fewer problems" not in out


def test_run_prints_the_summary_when_the_workspace_has_errors(bad_orders, tmp_path, capsys):
    code, out, err = _run_cli(capsys, "run", "--workspace", str(bad_orders), "--out", str(tmp_path / "reports"))
    assert code == 2
    assert "no notebook was run" in err
    assert "First examples of each:" in err
    assert any(line.split()[:4] == ["error", "7", "orders.csv", "amount"] for line in err.splitlines())


def test_problem_kind_and_summary_group_row_references():
    problems = [Problem("o.csv", f"a unique order_id (also in row {r - 1})", r, "order_id", "o") for r in (3, 9)]
    problems.append(Problem("o.csv", "a number >= 0", 4, "amount", "x", "warning"))
    assert {problem_kind(p) for p in problems[:2]} == {"a unique order_id (also in row …)"}
    summary = problem_summary(problems)
    assert summary[["severity", "column", "count"]].values.tolist() == [["error", "order_id", 2],
                                                                       ["warning", "amount", 1]]
    text = format_problem_summary(problems, examples=1)
    assert "  row 3: 'o'" in text and "  ... and 1 more" in text


def test_a_reference_to_a_table_with_no_rows_is_said_once(tmp_path, capsys):
    rows = [(f"o{i}", f"{13000 + i}", "2026-02-01", "5") for i in range(50)]
    folder = write_workspace(tmp_path / "empty", customers="customer_id,first_seen\n", orders=_orders(rows))
    problems = validate_workspace(folder)
    about = [p for p in problems if p.column == "customer_id"]
    assert len(about) == 1
    assert about[0].severity == "warning" and about[0].file == "orders.csv"
    assert "the customers table has no rows" in about[0].expected and "50" in about[0].expected
    assert not [p for p in problems if p.severity == "error"]
    ws = load_workspace(folder, on_bad_rows="quarantine")
    assert len(ws.orders) == 50 and "orders" not in ws.rejected
    code, out, _ = _run_cli(capsys, "validate", str(folder))
    assert code == 0 and out.count("the customers table has no rows") == 2  # the count line and its example


def test_a_table_with_rows_is_still_checked_row_by_row(tmp_path):
    folder = write_workspace(tmp_path / "ws", customers=CUSTOMERS,
                             orders=_orders([("o1", "c1", "2026-02-01", "5"), ("o2", "c9", "2026-02-01", "5")]))
    problems = [p for p in validate_workspace(folder) if p.column == "customer_id"]
    assert [(p.row, p.value, p.severity) for p in problems] == [(3, "c9", "error")]


# -- the stage funnel's notes ------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 10, 0)
#: no one in these logs writes a review (the last stage): the funnel warns and counts it 0
quiet_review = pytest.mark.filterwarnings("ignore:funnel. these step events never occur")


def _events_workspace(tmp_path, log, yaml_extra: str = ""):
    text = "customer_id,timestamp,event\n" + "".join(
        f"{c},{(T0 + timedelta(days=d)).isoformat(sep=' ')},{e}\n" for c, d, e in log)
    folder = write_workspace(tmp_path / "events_ws", events=text, **{"journey.yaml": JOURNEY_YAML + yaml_extra})
    return load_workspace(folder)


LOG = [  # customer, days after T0, event; stages: ad_click > menu_view > order > review
    ("c1", 0, "ad_click"), ("c1", 1, "menu_view"), ("c1", 2, "order"),     # in order
    ("c2", 0, "order"), ("c2", 1, "ad_click"), ("c2", 2, "menu_view"),     # a deal won before the first contact
    ("c3", 0, "menu_view"), ("c3", 1, "order"),                            # no first-stage event
    ("c4", 0, "ad_click"), ("c4", 90, "menu_view"),                        # 90 days later
]


@quiet_review
def test_stage_funnel_counts_who_its_rules_leave_out(tmp_path):
    ws = _events_workspace(tmp_path, LOG)
    funnel = stage_funnel(ws)
    assert funnel["customers"].tolist() == [3, 3, 1, 0]  # c1, c2, c4 start; c2's order comes first
    left = stage_funnel_left_out(ws)
    assert left[["stage", "customers"]].values.tolist() == [["awareness", 1], ["decision", 1]]
    assert "no event of the first stage" in left.loc[0, "reason"]
    assert "a deal won before the first contact" in left.loc[1, "reason"]
    notes = stage_funnel_notes(ws)
    assert notes[0].startswith("Stage funnel window: no limit")
    assert "defaults.window, 14D, is the window of funnel(), not of the stage funnel" in notes[0]
    assert any(n.startswith("Stage funnel: 1 customer with events of later stages left out") for n in notes)
    assert any(n.startswith("Stage funnel, Decision: 1 customer with an event of this stage not counted")
               for n in notes)


@quiet_review
def test_stage_window_is_honoured_and_named(tmp_path):
    ws = _events_workspace(tmp_path, LOG, "defaults:\n  window: 7D\n  stage_window: 60D\n")
    # c4's menu_view 90 days after the ad click is outside the 60-day stage window
    assert stage_funnel(ws)["customers"].tolist() == [3, 2, 1, 0]
    left = stage_funnel_left_out(ws)
    assert left[["stage", "customers"]].values.tolist() == [["awareness", 1], ["consideration", 1],
                                                           ["decision", 1]]
    assert "after the stage window (60D)" in left.loc[1, "reason"]
    notes = stage_funnel_notes(ws)
    assert notes[0] == ("Stage funnel window: every later stage within 60D of the customer's first-stage "
                        "event (journey.yaml defaults.stage_window).")


@quiet_review
def test_nobody_left_out_means_only_the_window_note(tmp_path):
    ws = _events_workspace(tmp_path, LOG[:3])
    assert stage_funnel_left_out(ws).empty
    assert len(stage_funnel_notes(ws)) == 1
    assert list(stage_funnel_left_out(ws).columns) == ["stage", "stage_name", "customers", "reason"]
    assert pd.api.types.is_integer_dtype(stage_funnel_left_out(ws)["customers"])


# -- a date column with many bad values: the plain ISO ones are parsed at once -----------------


def test_a_mixed_date_column_reads_each_value_as_before():
    values = ["2024-03-01 10:00", "2024-03-01T10:00:00+01:00", "1800-01-01", "2024-02-30", "31/31/2024",
              "2024-03-31 02:30", "2024-05-06", None]
    text = pd.Series(values, index=range(2, 2 + len(values)), dtype="string")
    problems: list[tuple] = []
    out = read_dates(text, "date", DateRules(timezone="Europe/Amsterdam"), lambda *a: problems.append(a))
    assert str(out.dtype) == "datetime64[us, Europe/Amsterdam]"  # one value has an offset: instants
    assert out[2] == out[3] == pd.Timestamp("2024-03-01 10:00", tz="Europe/Amsterdam")
    assert out[8] == pd.Timestamp("2024-05-06", tz="Europe/Amsterdam")
    assert out[[4, 5, 6, 7, 9]].isna().all()
    reasons = {row: expected for row, _column, _value, expected, *_ in problems}
    assert sorted(reasons) == [4, 5, 6, 7]
    assert reasons[4].startswith("a date between 1990-01-01 and 2100-12-31")  # plain ISO, out of range
    assert reasons[5].startswith("a date that exists") and reasons[6].startswith("a date that exists")
    assert "daylight-saving" in reasons[7]  # plain ISO in the hour Amsterdam skips
    assert {value for _row, _column, value, *_ in problems} == {"1800-01-01", "2024-02-30", "31/31/2024",
                                                               "2024-03-31 02:30"}


def test_run_counts_every_problem_even_beyond_the_listing_cap(bad_orders, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JOURNEYKIT_MAX_PROBLEMS", "2")
    code, _, err = _run_cli(capsys, "run", "--workspace", str(bad_orders), "--out", str(tmp_path / "reports"))
    assert code == 2
    table = [line.split()[:4] for line in err.splitlines() if line.startswith("error")]
    assert table == [["error", "7", "orders.csv", "amount"], ["error", "4", "orders.csv", "order_id"],
                     ["error", "1", "orders.csv", "date"]]
