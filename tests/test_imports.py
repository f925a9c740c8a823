"""Import presets: the framework, the web shop presets and derived tables, ``journeykit
import`` and journey.yaml ``sources:``. Fixtures in tests/data/exports/ are hand-made
reproductions of each format's quirks."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from journeykit.run.cli import main
from journeykit.workspace import load_workspace, validate_workspace
from journeykit.workspace.imports.base import parse_money
from journeykit.workspace.imports.pipeline import import_into, run_preset
from journeykit.workspace.scaffold import new_workspace

EXPORTS = Path(__file__).parent / "data" / "exports"
SHOPIFY = EXPORTS / "shopify_orders_export.csv"
MARKETPLACE = [EXPORTS / "marketplace_order_items.csv", EXPORTS / "marketplace_orders.csv",
               EXPORTS / "marketplace_customers.csv"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("text", "amount"), [("$1,149.00", 1149.0), ("($33.62)", -33.62), ("-$5.00", -5.0),
                                              ("USD 12.50", 12.5), ("12", 12.0), ("", None)])
def test_money_as_us_exports_write_it(text: str, amount: float | None) -> None:
    assert parse_money(text) == amount


@pytest.mark.parametrize("text", ["1.149,00", "abc", "$ 1,2", "12.5.1"])
def test_text_that_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


def test_shopify_one_order_per_name_with_order_fields_from_its_first_row() -> None:
    result = run_preset("shopify", [SHOPIFY])
    assert result.ok, result.problems
    orders = result.tables["orders"]
    assert orders.to_dict("records") == [
        {"order_id": "#1001", "customer_id": "ana.silva@example.com", "date": "2024-03-05 14:31:07 -0500",
         "amount": "1250.92", "channel": "web"},
        {"order_id": "#1002", "customer_id": "+1 555 0199", "date": "2024-03-07 09:59:00 -0500",
         "amount": "54.00", "channel": "store"},
        {"order_id": "#1003", "customer_id": "ana.silva@example.com", "date": "2024-04-01 07:58:30 -0400",
         "amount": "200.00", "channel": "web"},  # 216.00 total minus 16.00 refunded
    ]
    assert result.rows_in == {"shopify_orders_export.csv": 7}
    reasons = {aside.reason: aside.rows for aside in result.set_aside}
    assert reasons == {"order cancelled or voided": (6,), "no e-mail or phone to tell who the customer is": (7,),
                       "refunded in full": (8,)}
    assert any("had refunds" in note for note in result.notes)


def test_a_missing_column_names_the_file_the_header_row_and_the_column(tmp_path: Path) -> None:
    broken = tmp_path / "orders_export.csv"
    broken.write_text("Name,Email,Created at\n#1,a@b.c,2024-01-01 10:00:00 +0100\n", encoding="utf-8")
    result = run_preset("shopify", [broken])
    assert not result.ok
    (problem,) = result.problems
    assert (problem.file, problem.row, problem.column) == ("orders_export.csv", 1, "Total")
    assert "Name, Email, Created at" in problem.expected


def test_line_items_sum_to_orders_and_find_the_person_through_two_tables() -> None:
    options = {"customer": "customer_id", "person_key": "customer_id", "person_id": "customer_unique_id"}
    result = run_preset("line-items", MARKETPLACE, options)
    assert result.ok, result.problems
    orders = result.tables["orders"].set_index("order_id")
    # two units of 59.90 with 12.50 freight each; 1149.00 + 30.00; 19.99 + 7.01
    assert orders["amount"].to_dict() == {"o-aa01": "144.80", "o-bb02": "1179.00", "o-cc03": "27.00"}
    # c-111 and c-333 are one person (u-ana) with an id per order
    assert orders["customer_id"].to_dict() == {"o-aa01": "u-ana", "o-bb02": "u-bruno", "o-cc03": "u-ana"}
    assert [(a.file, a.rows) for a in result.set_aside] == [("marketplace_order_items.csv", (6,))]


def test_events_from_timestamp_columns_one_per_filled_timestamp() -> None:
    options = {"order_purchase_timestamp": "order_placed", "order_delivered_customer_date": "delivered"}
    result = run_preset("events-from-columns", [MARKETPLACE[1], MARKETPLACE[2]], options)
    assert result.ok, result.problems
    events = result.tables["events"]
    assert events[["customer_id", "event"]].value_counts().to_dict() == {
        ("u-ana", "order_placed"): 2, ("u-ana", "delivered"): 1, ("u-bruno", "order_placed"): 1,
        ("u-carla", "order_placed"): 1}
    assert any("3 row(s)" in note and "delivered" in note for note in result.notes)


def test_unknown_presets_and_options_are_refused_with_the_known_ones() -> None:
    result = run_preset("shopfy", [SHOPIFY])
    assert "did you mean 'shopify'" in result.problems[0].expected
    result = run_preset("line-items", MARKETPLACE, {"colour": "red"})
    assert not result.ok and result.problems[0].value == "colour"


def test_import_into_writes_tables_never_changes_the_export_and_refuses_to_overwrite(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "shop")
    before = _digest(SHOPIFY)
    outcome = import_into(workspace, "shopify", [SHOPIFY])
    assert outcome.result.ok and _digest(SHOPIFY) == before
    assert sorted(p.name for p in outcome.written) == ["customers.csv", "orders.csv"]
    customers = pd.read_csv(workspace / "customers.csv", dtype=str)
    # the first order's instant, in the workspace's time zone (UTC in a new workspace)
    assert customers.set_index("customer_id")["first_seen"].to_dict() == {
        "+1 555 0199": "2024-03-07 14:59:00+0000", "ana.silva@example.com": "2024-03-05 19:31:07+0000"}
    ws = load_workspace(workspace)
    assert len(ws.orders) == 3 and ws.orders["amount"].sum() == pytest.approx(1504.92)
    assert not [p for p in validate_workspace(workspace) if p.severity == "error"]
    log = [json.loads(line) for line in (workspace / ".journeykit" / "imports.jsonl").read_text().splitlines()]
    assert log[0]["preset"] == "shopify" and log[0]["files"][0]["sha256"] == before

    again = import_into(workspace, "shopify", [SHOPIFY])
    assert not again.result.ok and not again.written
    assert "--replace" in again.result.problems[0].expected
    replaced = import_into(workspace, "shopify", [SHOPIFY], replace=True)
    assert replaced.result.ok
    assert any(p.name.endswith("-orders.csv") for p in (workspace / ".journeykit" / "history").iterdir())


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "shop")
    before = sorted(p.name for p in workspace.iterdir())
    outcome = import_into(workspace, "shopify", [SHOPIFY], dry_run=True)
    assert outcome.result.ok and not outcome.written
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_the_import_command_prints_what_it_did_and_exits_2_on_bad_input(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture) -> None:
    workspace = new_workspace(tmp_path / "shop")
    assert main(["import", "shopify", str(SHOPIFY), "--into", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "read 7 rows from shopify_orders_export.csv" in out
    assert "made 3 rows of orders" in out and "refunded in full" in out
    assert main(["import", "shopify", str(SHOPIFY), "--into", str(workspace)]) == 2
    assert "nothing written" in capsys.readouterr().out
    assert main(["import", "--list"]) == 0
    assert "shopify" in capsys.readouterr().out
    assert main(["import", "line-items", str(MARKETPLACE[0]), "--into", str(workspace), "--set", "oops"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def _with_sources(tmp_path: Path, sources: str) -> Path:
    workspace = new_workspace(tmp_path / "ws")
    (workspace / "exports").mkdir()
    for path in [SHOPIFY, *MARKETPLACE]:
        shutil.copy(path, workspace / "exports" / path.name)
    with (workspace / "journey.yaml").open("a", encoding="utf-8") as handle:
        handle.write(sources)
    return workspace


def test_journey_yaml_sources_are_imported_at_every_load_without_writing(tmp_path: Path) -> None:
    workspace = _with_sources(tmp_path, "sources:\n  - preset: shopify\n    files: exports/shopify_*.csv\n")
    files_before = sorted(p.relative_to(workspace) for p in workspace.rglob("*"))
    ws = load_workspace(workspace)
    assert ws.orders["order_id"].tolist() == ["#1001", "#1002", "#1003"]
    assert ws.orders["date"].iloc[0] == pd.Timestamp("2024-03-05 19:31:07", tz="UTC")
    assert sorted(ws.customers["customer_id"]) == ["+1 555 0199", "ana.silva@example.com"]
    assert "via shopify" in ws.sources["orders"]
    assert sorted(p.relative_to(workspace) for p in workspace.rglob("*")) == files_before
    warnings = [p for p in ws.problems if "set aside" in p.expected]
    assert {p.row for p in warnings} == {6, 7, 8}
    # a newer export is picked up by the next load (a scheduled refresh)
    (workspace / "exports" / "shopify_orders_export.csv").write_text(
        SHOPIFY.read_text(encoding="utf-8").replace("1250.92", "1300.00"), encoding="utf-8")
    assert load_workspace(workspace).orders["amount"].iloc[0] == 1300.0


def test_a_table_both_imported_and_in_a_file_is_one_source_too_many(tmp_path: Path) -> None:
    workspace = _with_sources(tmp_path, "sources:\n  - preset: shopify\n    files: exports/shopify_*.csv\n")
    (workspace / "orders.csv").write_text("order_id,customer_id,date,amount\nx,y,2024-01-01,1\n", encoding="utf-8")
    problems = [p for p in validate_workspace(workspace) if p.severity == "error"]
    assert any("one source per table" in p.expected for p in problems)


@pytest.mark.parametrize(("sources", "column", "words"), [
    ("sources:\n  - preset: shopfy\n    files: exports/x.csv\n", "sources[1].preset", "did you mean 'shopify'"),
    ("sources:\n  - preset: shopify\n    files: exports/none_*.csv\n", "sources", "a file matching"),
    ("sources:\n  - preset: shopify\n", "sources[1].files", "a file name or pattern"),
    ("sources:\n  - preset: line-items\n    files: exports/m*.csv\n    options: {colour: red}\n",
     "sources[1].options.colour", "an option of line-items"),
])
def test_a_wrong_source_entry_is_a_problem_naming_the_key(tmp_path: Path, sources: str, column: str,
                                                          words: str) -> None:
    workspace = _with_sources(tmp_path, sources)
    problems = [p for p in validate_workspace(workspace) if p.severity == "error"]
    assert any(p.column == column and words in p.expected for p in problems), problems


def test_derived_customers_read_day_month_dates_as_the_workspace_does() -> None:
    from journeykit.workspace.dates import DateRules
    from journeykit.workspace.imports.derived import customers_from_activity

    tickets = pd.DataFrame({"customer_id": ["a", "a", "b"], "opened": ["05/03/2024 10:00", "20/02/2024 09:00",
                                                                      "13/01/2024 08:00"]})
    first = customers_from_activity({"tickets": tickets}, DateRules(dayfirst=True)).set_index("customer_id")
    # 05/03 is 5 March (after 20 February), not 3 May
    assert first["first_seen"].to_dict() == {"a": "2024-02-20 09:00:00", "b": "2024-01-13 08:00:00"}
