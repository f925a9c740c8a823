"""One reading per column (issue 19 items 2 and 4): dates, decimal separators, currencies,
finite numbers, the plausible date range, time zones without collisions, a bounded
retention grid."""

from __future__ import annotations

import sys
import time

import pandas as pd
import pytest

import journeykit as jk
from journeykit.analytics.events import funnel
from journeykit.core.errors import JourneykitError

retention_module = sys.modules["journeykit.analytics.events.retention"]


def _errors(problems):
    return [p for p in problems if p.severity == "error"]


def _warnings(problems, column):
    return [p for p in problems if p.severity == "warning" and p.column == column]


def _orders(dates, amounts=None):
    amounts = amounts or ["5"] * len(dates)
    lines = [f'o{i},c1,"{d}","{a}"' for i, (d, a) in enumerate(zip(dates, amounts, strict=True))]
    return "order_id,customer_id,date,amount\n" + "\n".join(lines) + "\n"


def _with_yaml(folder, extra):
    (folder / "journey.yaml").write_text((folder / "journey.yaml").read_text() + extra)
    return folder


# -- dates: one day/month order per column ------------------------------------------------

def test_a_column_read_both_day_first_and_month_first_is_an_error(make_workspace):
    folder = make_workspace(orders=_orders(["13/02/2025", "02/13/2025", "01/02/2025"]))
    [problem] = _errors(jk.validate_workspace(folder))
    assert problem.column == "date" and problem.file == "orders.csv"
    assert "13/02/2025" in problem.expected and "02/13/2025" in problem.expected
    assert "day/month" in problem.expected and "month/day" in problem.expected
    with pytest.raises(jk.WorkspaceError):  # a whole-column problem: rows cannot be set aside
        jk.load_workspace(folder, on_bad_rows="quarantine")


def test_numeric_formats_whose_order_cannot_be_the_same_are_an_error(make_workspace):
    folder = make_workspace(orders=_orders(["13.02.25", "02/13/2025", "1 Feb 2025", "2025-02-01"]))
    [problem] = _errors(jk.validate_workspace(folder))
    assert "every format" in problem.expected
    assert "13.02.25" in problem.expected and "02/13/2025" in problem.expected


def test_one_deciding_value_settles_the_whole_column(make_workspace):
    ws = jk.load_workspace(make_workspace(orders=_orders(["13/02/2025", "01/02/2025"])))
    assert ws.orders["date"].tolist() == [pd.Timestamp("2025-02-13"), pd.Timestamp("2025-02-01")]
    assert not _warnings(ws.problems, "date")


def test_values_that_contradict_defaults_dayfirst_are_an_error_not_a_swap(make_workspace):
    folder = make_workspace(orders=_orders(["12/13/09", "01/02/2009"]))
    [problem] = _errors(jk.validate_workspace(folder))
    assert "defaults.dayfirst" in problem.expected and "12/13/09" in problem.expected
    _with_yaml(folder, "defaults: {dayfirst: false}\n")
    ws = jk.load_workspace(folder)
    assert ws.orders["date"].tolist() == [pd.Timestamp("2009-12-13"), pd.Timestamp("2009-01-02")]


def test_an_undecided_column_follows_the_setting_with_one_warning(make_workspace):
    folder = make_workspace(orders=_orders(["01/02/2025", "03/04/2025", "05/06/2025"]))
    ws = jk.load_workspace(folder)
    assert ws.orders["date"].tolist() == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-04-03"),
                                          pd.Timestamp("2025-06-05")]
    [warning] = _warnings(ws.problems, "date")
    assert warning.file == "orders.csv" and "orders.csv" in warning.expected and "'date'" in warning.expected
    assert "01/02/2025" in str(warning.value) and "day/month" in warning.expected and "month/day" in warning.expected
    ws = jk.load_workspace(_with_yaml(folder, "defaults: {dayfirst: false}\n"))
    assert ws.orders["date"].tolist()[0] == pd.Timestamp("2025-01-02")


def test_several_formats_in_one_column_share_one_reading(make_workspace):
    ws = jk.load_workspace(make_workspace(orders=_orders(["01/02/2025", "1 Feb 2025", "01.02.25", "2025-02-01",
                                                          "01/02/2025 14:30"])))
    days = ws.orders["date"].dt.normalize().tolist()
    assert days == [pd.Timestamp("2025-02-01")] * 5
    assert ws.orders["date"].iloc[4] == pd.Timestamp("2025-02-01 14:30")
    assert len(_warnings(ws.problems, "date")) == 1


def test_excel_serial_days_and_epoch_seconds_are_recognised_with_a_note(make_workspace):
    ws = jk.load_workspace(make_workspace(orders=_orders(["45658", "45659.5"])))
    assert ws.orders["date"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-02 12:00")]
    [note] = _warnings(ws.problems, "date")
    assert "Excel serial days" in note.expected
    ws = jk.load_workspace(make_workspace(orders=_orders(["1735689600", "1735693200"])))
    # epoch seconds are instants: 2025-01-01 00:00 UTC is 01:00 in Europe/Amsterdam
    assert ws.orders["date"].tolist()[0] == pd.Timestamp("2025-01-01 01:00", tz="Europe/Amsterdam")
    assert "epoch seconds" in _warnings(ws.problems, "date")[0].expected
    ws = jk.load_workspace(make_workspace(orders=_orders(["1735689600000"])))
    assert ws.orders["date"].tolist()[0] == pd.Timestamp("2025-01-01 01:00", tz="Europe/Amsterdam")


@pytest.mark.parametrize("value", ["0001-01-01", "1900-01-01", "9999-12-31", "2101-01-01", "01/01/1900",
                                   "1 Jan 1850"])
def test_dates_outside_the_plausible_range_are_errors_at_validation(make_workspace, value):
    folder = make_workspace(orders=_orders(["2025-01-02", value]))
    [problem] = _errors(jk.validate_workspace(folder))
    assert (problem.row, problem.column, problem.value) == (3, "date", value)
    assert "1990-01-01" in problem.expected and "dates_from" in problem.expected


def test_the_plausible_range_is_a_setting(make_workspace):
    folder = make_workspace(orders=_orders(["1900-01-01", "2025-01-02"]))
    _with_yaml(folder, "defaults: {dates_from: 1850-01-01, dates_to: 2030-12-31}\n")
    assert not _errors(jk.validate_workspace(folder))
    folder = make_workspace(orders=_orders(["2031-01-01"]))
    _with_yaml(folder, "defaults: {dates_to: 2030-12-31}\n")
    [problem] = _errors(jk.validate_workspace(folder))
    assert "2030-12-31" in problem.expected


@pytest.mark.parametrize("yaml_text,key", [("defaults: {dates_from: soon}\n", "defaults.dates_from"),
                                           ("defaults: {dates_from: 2030-01-01, dates_to: 2020-01-01}\n",
                                            "defaults.dates_from")])
def test_bad_date_range_settings_are_problems(make_workspace, yaml_text, key):
    folder = _with_yaml(make_workspace(orders=_orders(["2025-01-02"])), yaml_text)
    problems = _errors(jk.validate_workspace(folder))
    assert any(key in (p.column or "") + p.expected + str(p.value) for p in problems)


def test_a_large_date_column_is_read_in_seconds(make_workspace):
    dates = [f"{d:02d}/{m:02d}/20{y:02d}" for y in range(10, 30) for m in range(1, 13) for d in range(1, 29)] * 3
    folder = make_workspace(orders=_orders(dates))
    began = time.perf_counter()
    ws = jk.load_workspace(folder)
    assert time.perf_counter() - began < 20
    assert len(ws.orders) == len(dates) and ws.orders["date"].notna().all()


# -- numbers: one decimal separator, one currency, finite -----------------------------------

def test_decimal_comma_and_thousands_separator_in_one_column_are_an_error(make_workspace):
    folder = make_workspace(orders=_orders(["2025-01-02"] * 3, ["3,5", "1,234,567", "12,50"]))
    [problem] = _errors(jk.validate_workspace(folder))
    assert problem.column == "amount" and "3,5" in problem.expected and "1,234,567" in problem.expected


def test_a_column_of_only_1_234_is_read_by_the_currency_with_a_warning(make_workspace):
    folder = make_workspace(orders=_orders(["2025-01-02"] * 2, ["1,234", "2,500"]))
    ws = jk.load_workspace(folder)
    assert ws.orders["amount"].tolist() == [1.234, 2.5]  # EUR: decimal comma
    [warning] = _warnings(ws.problems, "amount")
    assert "1.234" in warning.expected and "1234" in warning.expected
    text = (folder / "journey.yaml").read_text().replace("currency: EUR", "currency: USD")
    (folder / "journey.yaml").write_text(text)
    ws = jk.load_workspace(folder)
    assert ws.orders["amount"].tolist() == [1234.0, 2500.0]  # USD: thousands separator
    assert len(_warnings(ws.problems, "amount")) == 1


def test_a_decided_column_reads_every_value_the_same_way(make_workspace):
    ws = jk.load_workspace(make_workspace(orders=_orders(["2025-01-02"] * 3, ["1.234,50", "1.234", "3,5"])))
    assert ws.orders["amount"].tolist() == [1234.5, 1234.0, 3.5]
    ws = jk.load_workspace(make_workspace(orders=_orders(["2025-01-02"] * 3, ["1,234.50", "1,234", "1 299.00"])))
    assert ws.orders["amount"].tolist() == [1234.5, 1234.0, 1299.0]


def test_other_currencies_than_the_workspaces_are_errors(make_workspace):
    folder = make_workspace(orders=_orders(["2025-01-02"] * 5, ["€12,50", "$1,299.00", "£7", "¥1000", "12,50 EUR"]))
    problems = _errors(jk.validate_workspace(folder))
    assert {p.value for p in problems} == {"$1,299.00", "£7", "¥1000"}
    assert all("EUR" in p.expected and p.column == "amount" for p in problems)
    folder = make_workspace(orders=_orders(["2025-01-02"] * 2, ["USD 5", "5 GBP"]))
    assert {p.value for p in _errors(jk.validate_workspace(folder))} == {"USD 5", "5 GBP"}


@pytest.mark.parametrize("value", ["inf", "Infinity", "-inf", "1e309", "NaN"])
def test_non_finite_amounts_and_scores_are_errors(make_workspace, value):
    folder = make_workspace(orders=_orders(["2025-01-02", "2025-01-03"], ["5", value]))
    [problem] = _errors(jk.validate_workspace(folder))
    assert (problem.row, problem.column, problem.value) == (3, "amount", value)
    assert "a finite number" in problem.expected
    folder = make_workspace(feedback=f"customer_id,date,nps\nc1,2026-01-02,{value}\n")
    [problem] = _errors(jk.validate_workspace(folder))
    assert problem.column == "nps" and "finite" in problem.expected


def test_parquet_floats_are_never_ambiguous(make_workspace, tmp_path):
    folder = make_workspace()
    pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c1"],
                  "date": pd.to_datetime(["2025-01-02", "2025-01-03"]), "amount": [1.234, 12.5]}
                 ).to_parquet(folder / "orders.parquet")
    ws = jk.load_workspace(folder)
    assert ws.orders["amount"].tolist() == [1.234, 12.5] and not _warnings(ws.problems, "amount")


# -- time zones: offsets are instants ------------------------------------------------------

def test_the_autumn_dst_hour_keeps_order_and_distinct_times(make_workspace):
    # Europe/Amsterdam falls back at 2024-10-27 01:00 UTC: 00:30Z and 01:30Z are both 02:30 local
    events = ("customer_id,timestamp,event\n"
              "c1,2024-10-27T00:30:00Z,ad_click\n"
              "c1,2024-10-27T01:10:00Z,menu_view\n"
              "c1,2024-10-27T01:30:00Z,order\n")
    ws = jk.load_workspace(make_workspace(events=events))
    stamps = ws.events["timestamp"]
    assert stamps.is_unique and stamps.is_monotonic_increasing
    assert [s.strftime("%H:%M %z") for s in stamps] == ["02:30 +0200", "02:10 +0100", "02:30 +0100"]
    assert stamps.dt.tz_convert("UTC").tolist() == [pd.Timestamp(t, tz="UTC") for t in
                                                    ("2024-10-27 00:30", "2024-10-27 01:10", "2024-10-27 01:30")]
    # the events analyses see the same order: the customer did all three steps in turn
    steps = funnel(ws.events, ["ad_click", "menu_view", "order"], window="1h")
    assert steps.iloc[-1, list(steps.columns).index("customers")] == 1


def test_an_offset_less_time_in_the_repeated_hour_of_an_offset_column_is_an_error(make_workspace):
    events = ("customer_id,timestamp,event\n"
              "c1,2024-10-27T00:30:00Z,ad_click\n"
              "c1,2024-10-27 02:30,menu_view\n")
    [problem] = _errors(jk.validate_workspace(make_workspace(events=events)))
    assert (problem.row, problem.column, problem.value) == (3, "timestamp", "2024-10-27 02:30")
    assert "offset" in problem.expected


def test_offset_less_columns_stay_naive_local_time(make_workspace):
    ws = jk.load_workspace(make_workspace(orders=_orders(["2024-10-27 02:30", "2025-01-02"])))
    assert ws.orders["date"].dt.tz is None and str(ws.orders["date"].dtype) == "datetime64[us]"


# -- retention: the cohort x period grid is bounded ----------------------------------------

def test_retention_refuses_a_grid_beyond_its_limit(monkeypatch):
    orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
                           "date": pd.to_datetime(["2020-01-01", "2023-01-01", "2020-06-01"])})
    monkeypatch.setattr(retention_module, "MAX_GRID_CELLS", 500)
    with pytest.raises(JourneykitError, match="cohort x period cells"):
        retention_module.retention(orders, period="D")
    assert len(retention_module.retention(orders, period="M")) > 0  # 37 + 32 cells: within


def test_retention_over_centuries_fails_fast_instead_of_growing():
    orders = pd.DataFrame({"customer_id": ["a", "a"], "order_id": ["1", "2"],
                           "date": pd.to_datetime(["0001-01-01", "9999-12-31"], format="ISO8601").as_unit("us")})
    began = time.perf_counter()
    with pytest.raises(JourneykitError, match="limit"):
        retention_module.retention(orders, period="D")
    assert time.perf_counter() - began < 10


def test_the_large_event_path_keeps_the_dst_hour_too(make_workspace, monkeypatch):
    monkeypatch.setenv("JOURNEYKIT_LARGE_EVENTS_BYTES", "0")
    events = ("customer_id,timestamp,event\n"
              "c1,2024-10-27T00:30:00Z,ad_click\n"
              "c1,2024-10-27T01:10:00Z,menu_view\n"
              "c1,2024-10-27 03:30,order\n")
    ws = jk.load_workspace(make_workspace(events=events))
    assert "events" in ws.large
    stamps = ws.events["timestamp"]
    assert stamps.is_unique and stamps.is_monotonic_increasing
    assert [s.strftime("%H:%M %z") for s in stamps] == ["02:30 +0200", "02:10 +0100", "03:30 +0100"]
    steps = funnel(ws, ["ad_click", "menu_view", "order"], window="2h")
    assert steps.iloc[-1, list(steps.columns).index("customers")] == 1


@pytest.mark.parametrize("value", ["2025-13-01", "31/02/2025", "2025/02/30"])
def test_a_day_that_does_not_exist_is_an_error_never_re_read(make_workspace, value):
    folder = make_workspace(orders=_orders(["13/01/2025", value]))
    [problem] = _errors(jk.validate_workspace(folder))
    assert (problem.row, problem.column, problem.value) == (3, "date", value)
