"""Import presets square, ga4 and woocommerce on hand-made exports (tests/data/exports/,
written here to reproduce each format's quirks): the tables they make, row by row, the
rows they set aside with spreadsheet rows and reasons, bad input, and a fresh workspace
that validates after the import."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from journeykit.workspace.imports.base import SetAside
from journeykit.workspace.imports.pipeline import import_into, read_sources, run_preset
from journeykit.workspace.imports.spec import SourceSpec
from journeykit.workspace.loader import load_workspace, validate_workspace
from journeykit.workspace.scaffold import new_workspace

EXPORTS = Path(__file__).parent / "data" / "exports"
SQUARE = EXPORTS / "square_transactions.csv"
SQUARE_ITEMS = EXPORTS / "square_item_details.csv"
GA4_CSV = EXPORTS / "ga4_events.csv"
GA4_JSONL = EXPORTS / "ga4_events.jsonl"
WOO_ANALYTICS = EXPORTS / "woocommerce_analytics_orders.csv"
WOO_CLASSIC = EXPORTS / "woocommerce_orders_export.csv"


def _rows(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    return [tuple(str(v) for v in row) for row in frame.itertuples(index=False)]


def _asides(result) -> list[tuple[str, tuple[int, ...], str, str]]:
    return [(a.file, a.rows, a.reason, a.table) for a in result.set_aside]


def _copy_without(source: Path, target: Path, column: str) -> Path:
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame.drop(columns=[column]).to_csv(target, index=False)
    return target


def _errors(path: Path) -> list[str]:
    return [str(p) for p in validate_workspace(path) if p.severity == "error"]


# ---------------------------------------------------------------- square

SQUARE_ORDERS = [
    ("TXN1", "CUST-ANA", "2024-03-05 14:31:07 -0500", "1115.38", "store"),  # $1,149.00 minus the ($33.62) refund
    ("TXN2", "CUST-BEN", "2024-03-12 10:05:00 -0700", "40.00", "web"),  # Pacific, after the DST change
    ("TXN3", "CUST-CARA", "2024-03-15 09:00:00 -0400", "50.00", "store"),  # split tender: 30 + 20
    ("TXN8", "CUST-EVE", "2024-04-02 11:00:00 +0100", "12.00", "store"),  # "London" in British summer time
]


def test_square_transactions_to_orders_and_events() -> None:
    result = run_preset("square", [SQUARE])
    assert result.ok, result.problems
    assert result.rows_in == {"square_transactions.csv": 10}
    assert _rows(result.tables["orders"]) == SQUARE_ORDERS
    assert _rows(result.tables["events"]) == [
        ("CUST-ANA", "2024-03-05 14:31:07 -0500", "purchase", "store"),
        ("CUST-BEN", "2024-03-12 10:05:00 -0700", "purchase", "web"),
        ("CUST-CARA", "2024-03-15 09:00:00 -0400", "purchase", "store"),
        ("CUST-ANA", "2024-03-20 16:45:10 -0400", "refund", "store"),  # blank Customer ID: its payment's
        ("CUST-DAN", "2024-03-22 18:30:00 -0700", "purchase", "store"),
        ("CUST-DAN", "2024-03-23 11:15:00 -0700", "refund", "store"),
        ("CUST-ANA", "2024-03-25 13:00:00 -0400", "refund", "store"),  # of a sale before the export
        ("CUST-EVE", "2024-04-02 11:00:00 +0100", "purchase", "store"),
    ]
    assert _asides(result) == [
        ("square_transactions.csv", (7,), "no Customer ID: a walk-in sale the till did not link to a customer",
         "orders"),
        ("square_transactions.csv", (8,), "refunded in full (its refund is an event)", "orders"),
    ]
    assert "1 of 6 sales in square_transactions.csv (8.50 of 1,319.50 Net Sales) have no customer and are not " \
           "in orders" in result.notes
    assert "1 refund(s) in square_transactions.csv are of sales not in this export (events only)" in result.notes


def test_square_item_details_alone_sum_lines_per_transaction() -> None:
    result = run_preset("square", [SQUARE_ITEMS])
    assert result.ok, result.problems
    # the same orders as the transactions file (no Source column: every sale is the store's)
    assert _rows(result.tables["orders"]) == [o[:4] + ("store",) for o in SQUARE_ORDERS]
    assert [a[:3] for a in _asides(result)] == [
        ("square_item_details.csv", (7,), "no Customer ID: a walk-in sale the till did not link to a customer"),
        ("square_item_details.csv", (8,), "refunded in full (its refund is an event)")]


def test_square_both_files_orders_from_transactions_items_checked() -> None:
    result = run_preset("square", [SQUARE, SQUARE_ITEMS])
    assert result.ok, result.problems
    assert _rows(result.tables["orders"]) == SQUARE_ORDERS
    assert "item details: 7 item line(s) in 6 transaction(s); their net sales match the transactions file" \
        in result.notes


def test_square_amount_option_and_a_mismatching_item_file(tmp_path: Path) -> None:
    items = pd.read_csv(SQUARE_ITEMS, dtype=str, keep_default_na=False)
    items.loc[8, "Net Sales"] = "$10.00"  # TXN8's lights, $12.00 in the transactions file
    items.to_csv(tmp_path / "items.csv", index=False)
    result = run_preset("square", [SQUARE, tmp_path / "items.csv"], {"amount": "Total Collected"})
    assert result.ok, result.problems
    assert result.tables["orders"]["amount"].tolist() == ["1204.61", "49.60", "54.00", "14.40"]
    assert any("differ from the transactions file (e.g. 'TXN8': 10.00 vs 12.00)" in n for n in result.notes)


def test_square_unknown_time_zone_and_bad_money_are_errors_naming_row_and_value(tmp_path: Path) -> None:
    frame = pd.read_csv(SQUARE, dtype=str, keep_default_na=False)
    frame.loc[[2, 6], "Time Zone"] = "Mars Standard Time"
    frame.loc[3, "Net Sales"] = "$2O.00"  # a letter O: not read as $2.00
    frame.to_csv(tmp_path / "square.csv", index=False)
    result = run_preset("square", [tmp_path / "square.csv"])
    assert not result.ok and not result.tables
    assert [(p.file, p.row, p.column, p.value) for p in result.problems] == [
        ("square.csv", 4, "Time Zone", "Mars Standard Time"), ("square.csv", 5, "Net Sales", "$2O.00")]
    assert "2 row(s) have this one" in result.problems[0].expected


def test_square_a_blank_amount_is_set_aside_not_zero(tmp_path: Path) -> None:
    frame = pd.read_csv(SQUARE, dtype=str, keep_default_na=False)
    frame.loc[9, "Net Sales"] = ""
    frame.to_csv(tmp_path / "square.csv", index=False)
    result = run_preset("square", [tmp_path / "square.csv"])
    assert result.ok, result.problems
    assert result.tables["orders"]["order_id"].tolist() == ["TXN1", "TXN2", "TXN3"]
    assert ("square.csv", (11,), "no Net Sales", "orders") in _asides(result)


def test_square_missing_column_names_file_row_1_and_column(tmp_path: Path) -> None:
    result = run_preset("square", [_copy_without(SQUARE, tmp_path / "no_txn.csv", "Transaction ID")])
    assert not result.ok
    assert [(p.file, p.row, p.column) for p in result.problems] == [("no_txn.csv", 1, "Transaction ID")]
    assert "columns found: Date, Time, Time Zone" in result.problems[0].expected


def test_square_slash_dates_month_first_with_a_warning_or_day_first_when_asked(tmp_path: Path) -> None:
    frame = pd.read_csv(SQUARE, dtype=str, keep_default_na=False).iloc[[0, 1]]
    frame["Date"] = ["03/05/2024", "03/12/2024"]
    frame.to_csv(tmp_path / "us.csv", index=False)
    us = run_preset("square", [tmp_path / "us.csv"])
    assert us.ok
    assert us.tables["orders"]["date"].tolist() == ["2024-03-05 14:31:07 -0500", "2024-03-12 10:05:00 -0700"]
    assert [(p.severity, p.column, p.value) for p in us.problems] == [("warning", "Date", "03/05/2024")]
    uk = run_preset("square", [tmp_path / "us.csv"], {"dayfirst": "yes"})
    assert uk.tables["orders"]["date"].tolist() == ["2024-05-03 14:31:07 -0400", "2024-12-03 10:05:00 -0800"]
    assert uk.problems == []


def test_square_dst_repeated_and_skipped_hours_and_gmt_prefixed_zone_names(tmp_path: Path) -> None:
    frame = pd.read_csv(SQUARE, dtype=str, keep_default_na=False).iloc[[0, 1, 2]]
    frame["Date"] = ["2024-11-03", "2024-03-10", "2024-11-03"]
    frame["Time"] = ["01:30:00", "02:30:00", "1:45 PM"]
    frame["Time Zone"] = ["Eastern Time (US & Canada)", "(GMT-05:00) Eastern Time (US & Canada)",
                          "America/New_York"]
    frame.to_csv(tmp_path / "dst.csv", index=False)
    result = run_preset("square", [tmp_path / "dst.csv"])
    assert result.ok, result.problems
    assert result.tables["orders"]["date"].tolist() == [
        "2024-11-03 01:30:00 -0400",  # the first 01:30 of the night clocks go back
        "2024-03-10 02:30:00 -0500",  # 02:30 never happened that night
        "2024-11-03 13:45:00 -0500"]
    assert [(p.severity, p.row, p.column, p.value) for p in result.problems] == [
        ("warning", 2, "Time", "01:30:00"), ("warning", 3, "Time", "02:30:00")]
    assert "happen twice" in result.problems[0].expected and "never happen" in result.problems[1].expected


def test_square_overlapping_exports_count_each_sale_once(tmp_path: Path) -> None:
    frame = pd.read_csv(SQUARE, dtype=str, keep_default_na=False)
    frame.iloc[:5].to_csv(tmp_path / "march_a.csv", index=False)  # rows 2-6
    frame.iloc[3:].to_csv(tmp_path / "march_b.csv", index=False)  # rows 5-6 again, then the rest
    result = run_preset("square", [tmp_path / "march_a.csv", tmp_path / "march_b.csv"])
    assert result.ok, result.problems
    assert _rows(result.tables["orders"]) == SQUARE_ORDERS
    assert len(result.tables["events"]) == 8
    assert _asides(result)[:2] == [
        ("march_b.csv", (2,), "the same row as march_a.csv row 5 (exports of overlapping periods)", "orders"),
        ("march_b.csv", (3,), "the same row as march_a.csv row 6 (exports of overlapping periods)", "orders")]
    assert ("march_b.csv", (4,), "no Customer ID: a walk-in sale the till did not link to a customer",
            "orders") in _asides(result)


def test_square_as_a_journey_yaml_source_with_a_glob(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for source in (SQUARE, SQUARE_ITEMS):
        (exports / source.name).write_bytes(source.read_bytes())
    tables, labels, results, problems = read_sources(tmp_path, [SourceSpec("square", ("exports/square_*.csv",))])
    assert [p for p in problems if p.severity == "error"] == []
    assert _rows(tables["orders"]) == SQUARE_ORDERS  # the item file sorts first; orders still from transactions
    assert labels["orders"] == "orders (square_item_details.csv, square_transactions.csv via square)"
    warned = {(p.file, p.row) for p in problems if p.severity == "warning" and "set aside" in p.expected}
    assert warned == {("square_transactions.csv", 7), ("square_transactions.csv", 8)}


def test_square_xlsx_export_with_typed_cells(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook  # heavy; only this test needs it

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Time", "Time Zone", "Net Sales", "Transaction ID", "Event Type", "Customer ID"])
    sheet.append([dt.date(2024, 3, 5), dt.time(14, 31, 7), "Eastern Time (US & Canada)", 1149.0, "TXN1", "Payment",
                  "CUST-ANA"])
    sheet.append([dt.date(2024, 3, 20), dt.time(16, 45, 10), "Eastern Time (US & Canada)", -33.62, "TXN1", "Refund",
                  ""])
    book.save(tmp_path / "transactions.xlsx")
    result = run_preset("square", [tmp_path / "transactions.xlsx"])
    assert result.ok, result.problems
    assert _rows(result.tables["orders"]) == [("TXN1", "CUST-ANA", "2024-03-05 14:31:07 -0500", "1115.38", "store")]
    assert result.tables["events"]["event"].tolist() == ["purchase", "refund"]


def test_square_into_a_fresh_workspace_validates(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "ws")
    outcome = import_into(workspace, "square", [SQUARE, SQUARE_ITEMS])
    assert outcome.result.ok, outcome.result.problems
    assert sorted(p.name for p in outcome.written) == ["customers.csv", "events.csv", "orders.csv"]
    assert _errors(workspace) == []
    ws = load_workspace(workspace)
    assert ws.orders["order_id"].tolist() == ["TXN1", "TXN2", "TXN3", "TXN8"]
    assert ws.orders["date"].iloc[0] == pd.Timestamp("2024-03-05 19:31:07", tz="UTC")
    assert ws.orders["amount"].sum() == pytest.approx(1217.38)
    assert (EXPORTS / "square_transactions.csv").read_bytes() == SQUARE.read_bytes()


# ---------------------------------------------------------------- ga4

def test_ga4_flattened_csv_to_events_and_orders() -> None:
    result = run_preset("ga4", [GA4_CSV])
    assert result.ok, result.problems
    assert result.rows_in == {"ga4_events.csv": 11}
    ana_device, p2, p3 = "1936174501.1709660000", "88231907.1709740800", "55120033.1709827000"
    assert _rows(result.tables["events"]) == [
        (ana_device, "2024-03-05T17:33:20Z", "session_start", "web"),
        (ana_device, "2024-03-05T17:33:25.250000Z", "page_view", "web"),
        (ana_device, "2024-03-05T17:34:50Z", "add_to_cart", "web"),
        ("u-ana", "2024-03-05T17:35:20Z", "login", "web"),
        ("u-ana", "2024-03-05T17:36:20.500000Z", "purchase", "web"),
        ("u-ana", "2024-03-05T17:37:20Z", "purchase", "web"),  # the reloaded thank-you page: an event still
        (p2, "2024-03-06T16:00:00Z", "first_visit", "mobile"),
        (p2, "2024-03-06T16:01:40Z", "purchase", "mobile"),
        (p3, "2024-03-07T16:00:00Z", "purchase", "mobile"),  # a tablet
        ("u-ben", "2024-03-07T17:00:00Z", "session_start", "mobile"),
    ]
    assert _rows(result.tables["orders"]) == [
        ("T-1001", "u-ana", "2024-03-05T17:36:20.500000Z", "1149.00", "web"),
        ("T-1002", p2, "2024-03-06T16:01:40Z", "45.50", "mobile"),  # id and value from event_params
    ]
    assert _asides(result) == [
        ("ga4_events.csv", (10,), "no user_pseudo_id or user_id (a consent-mode cookieless ping)", "events"),
        ("ga4_events.csv", (7,), "the purchase of transaction 'T-1001' again (first in ga4_events.csv row 6)",
         "orders"),
        ("ga4_events.csv", (11,), "a purchase without a transaction id", "orders"),
    ]
    assert result.notes == [
        "customer = user_id for 4 event(s) (2 people), user_pseudo_id for 6 event(s) (3 devices)",
        "1 device(s) with anonymous events also signed in as one user id; --set stitch=yes gives those events "
        "the user id"]


def test_ga4_json_lines_nested_records_stitched_and_channel_from_medium() -> None:
    result = run_preset("ga4", [GA4_JSONL], {"channel": "medium", "stitch": "yes"})
    assert result.ok, result.problems
    assert _rows(result.tables["events"]) == [
        ("u-cara", "2024-04-01T10:00:00Z", "session_start", "web"),
        ("u-cara", "2024-04-01T10:01:00.000001Z", "view_item", "web"),
        ("u-cara", "2024-04-01T10:05:00Z", "purchase", "web"),
        ("99.1712052000", "2024-04-02T10:00:00Z", "session_start", "email"),
    ]
    # ecommerce.purchase_revenue (80.25) wins over the value param (80)
    assert _rows(result.tables["orders"]) == [("T-2001", "u-cara", "2024-04-01T10:05:00Z", "80.25", "web")]
    assert result.set_aside == []
    assert result.notes[-1] == ("2 anonymous event(s) of devices that signed in as one user id were given that "
                                "user id (stitch=yes)")


def _ga4_parquet(path: Path) -> Path:
    """A GA4 export as BigQuery writes Parquet: nested structs and a list of param structs."""
    import pyarrow as pa  # heavy; only this fixture needs it
    import pyarrow.parquet as pq

    def params(**values: dict) -> list[dict]:
        return [{"key": k, "value": {"string_value": None, "int_value": None, "float_value": None,
                                     "double_value": None, **v}} for k, v in values.items()]

    rows = [
        {"event_date": "20240501", "event_timestamp": 1714557600000000, "event_name": "session_start",
         "event_params": params(ga_session_id={"int_value": 1714557600}), "user_id": None,
         "user_pseudo_id": "7.1714557600", "device": {"category": "mobile", "operating_system": "Android"},
         "ecommerce": None},
        {"event_date": "20240501", "event_timestamp": 1714557750123000, "event_name": "purchase",
         "event_params": params(transaction_id={"string_value": "T-3001"}, value={"double_value": 19.99}),
         "user_id": "u-dan", "user_pseudo_id": "7.1714557600", "device": {"category": "mobile",
                                                                          "operating_system": "Android"},
         "ecommerce": {"transaction_id": None, "purchase_revenue": None}},
        {"event_date": "20240502", "event_timestamp": 1714644000000000, "event_name": "purchase",
         "event_params": params(value={"double_value": 5.0}), "user_id": None, "user_pseudo_id": "8.1714644000",
         "device": {"category": "desktop", "operating_system": "Linux"},
         "ecommerce": {"transaction_id": "T-3002", "purchase_revenue": None}},
    ]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_ga4_parquet_with_nested_structs(tmp_path: Path) -> None:
    result = run_preset("ga4", [_ga4_parquet(tmp_path / "events_20240501.parquet")])
    assert result.ok, result.problems
    assert _rows(result.tables["events"]) == [
        ("7.1714557600", "2024-05-01T10:00:00Z", "session_start", "mobile"),
        ("u-dan", "2024-05-01T10:02:30.123000Z", "purchase", "mobile"),
        ("8.1714644000", "2024-05-02T10:00:00Z", "purchase", "web"),
    ]
    assert _rows(result.tables["orders"]) == [
        ("T-3001", "u-dan", "2024-05-01T10:02:30.123000Z", "19.99", "mobile"),
        ("T-3002", "8.1714644000", "2024-05-02T10:00:00Z", "5.00", "web"),
    ]


def test_ga4_bad_timestamp_and_missing_column(tmp_path: Path) -> None:
    frame = pd.read_csv(GA4_CSV, dtype=str, keep_default_na=False)
    frame.loc[1, "event_timestamp"] = "2024-03-05 17:33"
    frame.loc[2, "event_timestamp"] = "1.70966E+15"  # a spreadsheet's rounding: the seconds are lost
    frame.to_csv(tmp_path / "bad.csv", index=False)
    bad = run_preset("ga4", [tmp_path / "bad.csv"])
    assert [(p.file, p.row, p.column, p.value) for p in bad.problems] == [
        ("bad.csv", 3, "event_timestamp", "2024-03-05 17:33"), ("bad.csv", 4, "event_timestamp", "1.70966E+15")]
    missing = run_preset("ga4", [_copy_without(GA4_CSV, tmp_path / "no_name.csv", "event_name")])
    assert [(p.file, p.row, p.column) for p in missing.problems] == [("no_name.csv", 1, "event_name")]


def test_ga4_into_a_fresh_workspace_validates(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "ws")
    outcome = import_into(workspace, "ga4", [GA4_CSV, GA4_JSONL, _ga4_parquet(tmp_path / "events.parquet")])
    assert outcome.result.ok, outcome.result.problems
    assert _errors(workspace) == []
    ws = load_workspace(workspace)
    assert len(ws.orders) == 5
    assert ws.orders["date"].iloc[0] == pd.Timestamp("2024-03-05 17:36:20.5", tz="UTC")
    # 5 people of the CSV, 3 of the JSON lines (not stitched here), 3 of the Parquet file
    assert sorted(ws.customers["customer_id"]) == [
        "1936174501.1709660000", "42.1711965600", "55120033.1709827000", "7.1714557600", "8.1714644000",
        "88231907.1709740800", "99.1712052000", "u-ana", "u-ben", "u-cara", "u-dan"]


# ---------------------------------------------------------------- woocommerce

def test_woocommerce_analytics_export() -> None:
    result = run_preset("woocommerce", [WOO_ANALYTICS])
    assert result.ok, result.problems
    assert result.rows_in == {"woocommerce_analytics_orders.csv": 13}
    assert _rows(result.tables["orders"]) == [
        ("2001", "Ana Silva", "2024-03-05 14:31:07", "1149.00", "web"),
        ("2002", "Ben Ode", "2024-03-06 09:12:40", "40.50", "social"),
        ("2006", "Ana Silva", "2024-03-10 16:45:00", "166.38", "email"),  # $200.00 and a ($33.62) refund row
        ("2007", "Fay Lund", "2024-03-13 12:00:00", "35.00", "phone"),  # on hold, keyed in by staff
        ("2010", "Ben Ode", "2024-03-16 10:10:00", "25.00", "web"),
        ("2013", "Jo Kim", "2024-03-19 15:00:00", "30.00", "web"),
    ]
    name = "woocommerce_analytics_orders.csv"
    assert _asides(result) == [
        (name, (14,), "a refund (negative net sales) of an order not in this file", "orders"),
        (name, (4,), "order cancelled (status cancelled)", "orders"),
        (name, (5,), "payment failed (status failed)", "orders"),
        (name, (6,), "refunded in full (status refunded)", "orders"),
        (name, (10,), "payment pending, never paid (status pending)", "orders"),
        (name, (11,), "no customer name", "orders"),
    ]
    assert f"1 order(s) in {name} are on hold (awaiting payment) and are kept" in result.notes


def test_woocommerce_classic_export() -> None:
    result = run_preset("woocommerce", [WOO_CLASSIC])
    assert result.ok, result.problems
    assert _rows(result.tables["orders"]) == [
        ("2001", "ana.silva@example.com", "2024-03-05 14:31:07", "1250.92", ""),
        ("2002", "+1 555 0199", "2024-03-06 09:12:40", "48.74", ""),  # no e-mail: the billing phone
        ("2006", "ana.silva@example.com", "2024-03-10 16:45:00", "182.38", ""),  # 216.00 - 33.62 refunded
        ("2011", "hal@example.com", "2024-03-17 15:00:00", "60.00", ""),
    ]
    name = "woocommerce_orders_export.csv"
    assert _asides(result) == [
        (name, (7,), "refunded in full (status refunded)", "orders"),
        (name, (6,), "no billing e-mail or phone to tell who the customer is", "orders"),
    ]
    assert f"1 order(s) in {name} have the status 'shipped', which WooCommerce itself does not have: kept" \
        in result.notes


def test_woocommerce_both_exports_classic_wins_and_names_find_emails() -> None:
    result = run_preset("woocommerce", [WOO_ANALYTICS, WOO_CLASSIC])
    assert result.ok, result.problems
    assert _rows(result.tables["orders"]) == [
        ("2001", "ana.silva@example.com", "2024-03-05 14:31:07", "1250.92", "web"),  # channel lent by Analytics
        ("2002", "+1 555 0199", "2024-03-06 09:12:40", "48.74", "social"),
        ("2006", "ana.silva@example.com", "2024-03-10 16:45:00", "182.38", "email"),
        ("2011", "hal@example.com", "2024-03-17 15:00:00", "60.00", ""),
        ("2007", "Fay Lund", "2024-03-13 12:00:00", "35.00", "phone"),
        ("2010", "+1 555 0199", "2024-03-16 10:10:00", "25.00", "web"),  # Ben Ode, by his billing name
    ]
    twins = [a for a in result.set_aside if "is also in" in a.reason]
    assert twins == [
        SetAside("woocommerce_analytics_orders.csv", (2,), "order 2001 is also in woocommerce_orders_export.csv "
                 "row 2, which is used instead (its e-mail tells the customer apart)", "orders"),
        SetAside("woocommerce_analytics_orders.csv", (3,), "order 2002 is also in woocommerce_orders_export.csv "
                 "row 3, which is used instead (its e-mail tells the customer apart)", "orders"),
        SetAside("woocommerce_analytics_orders.csv", (7, 8), "order 2006 is also in woocommerce_orders_export.csv "
                 "row 4, which is used instead (its e-mail tells the customer apart)", "orders"),
        # completed when Analytics was exported, refunded in the later classic export: not a sale
        SetAside("woocommerce_analytics_orders.csv", (13,), "order 2013 is also in woocommerce_orders_export.csv "
                 "row 7, which is used instead (its e-mail tells the customer apart)", "orders"),
    ]


def test_woocommerce_missing_column_and_bad_money(tmp_path: Path) -> None:
    missing = run_preset("woocommerce", [_copy_without(WOO_ANALYTICS, tmp_path / "no_status.csv", "Status")])
    assert [(p.file, p.row, p.column) for p in missing.problems] == [("no_status.csv", 1, "Status")]
    frame = pd.read_csv(WOO_CLASSIC, dtype=str, keep_default_na=False)
    frame.loc[0, "Order Total"] = "1.250,92"  # a decimal comma is not this format's
    frame.to_csv(tmp_path / "comma.csv", index=False)
    bad = run_preset("woocommerce", [tmp_path / "comma.csv"])
    assert [(p.file, p.row, p.column, p.value) for p in bad.problems] == [("comma.csv", 2, "Order Total", "1.250,92")]


def test_woocommerce_into_a_fresh_workspace_validates(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "ws")
    outcome = import_into(workspace, "woocommerce", [WOO_ANALYTICS, WOO_CLASSIC])
    assert outcome.result.ok, outcome.result.problems
    assert _errors(workspace) == []
    ws = load_workspace(workspace)
    assert ws.orders["amount"].sum() == pytest.approx(1250.92 + 48.74 + 182.38 + 60 + 35 + 25)
    assert sorted(ws.customers["customer_id"]) == ["+1 555 0199", "Fay Lund", "ana.silva@example.com",
                                                   "hal@example.com"]


# ---------------------------------------------------------------- all three as journey.yaml sources

def test_square_ga4_and_woocommerce_as_journey_yaml_sources_load_together(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "ws")
    exports = workspace / "exports"
    exports.mkdir()
    for source in (SQUARE, SQUARE_ITEMS, GA4_CSV, GA4_JSONL, WOO_ANALYTICS, WOO_CLASSIC):
        (exports / source.name).write_bytes(source.read_bytes())
    with (workspace / "journey.yaml").open("a", encoding="utf-8") as config:
        config.write("sources:\n"
                     "  - {preset: square, files: exports/square_*.csv}\n"
                     "  - {preset: ga4, files: [exports/ga4_events.csv, exports/ga4_events.jsonl]}\n"
                     "  - {preset: woocommerce, files: exports/woocommerce_*.csv}\n")
    assert _errors(workspace) == []
    ws = load_workspace(workspace)
    assert len(ws.orders) == 4 + 3 + 6
    assert ws.orders["amount"].sum() == pytest.approx(1217.38 + 1149 + 45.5 + 80.25 + 1602.04)
    assert sorted(set(ws.orders["channel"].fillna(""))) == ["", "email", "mobile", "phone", "social", "store", "web"]
