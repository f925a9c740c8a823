"""journeykit.workspace.ids: one spelling per id (NFC, invisible characters, no-break
spaces, float-looking integers), with a warning per column and an error for collisions."""

from __future__ import annotations

import time

import pandas as pd
import pytest

import journeykit as jk

ZWSP, NBSP, BOM, WJ, ZWJ = "\u200b", "\u00a0", "\ufeff", "\u2060", "\u200d"
CUSTOMERS = "customer_id,first_seen\n{}\n"
ORDERS = "order_id,customer_id,date,amount\n{}\n"


def _errors(problems):
    return [p for p in problems if p.severity == "error"]


def _warnings(problems, column):
    return [p for p in problems if p.severity == "warning" and p.column == column]


@pytest.mark.parametrize(("written", "expected"), [
    (f"c{ZWSP}1", "c1"), (f"{BOM}c1", "c1"), (f"c1{WJ}", "c1"), (f"c{ZWJ}1", "c1"),
    (f"{NBSP}c1{NBSP}", "c1"), (f"c{NBSP}1", "c 1"), ("Cafe\u0301", "Caf\u00e9"), ("plain", "plain"),
    ("\u202fc1\u3000", "c1"), ("c\u00ad1", "c1"),
])
def test_normalise_id(written: str, expected: str) -> None:
    from journeykit.workspace.ids import normalise_id

    assert normalise_id(written) == expected


def test_spellings_are_shown_visibly_and_short() -> None:
    from journeykit.workspace.ids import show_spelling

    assert show_spelling(f"c{ZWSP}1") == "c\\u200b1"
    assert len(show_spelling("x" * 200)) == 24


def test_ids_that_differ_only_by_invisible_characters_are_one_id_with_one_warning(make_workspace):
    customers = CUSTOMERS.format("c1,2026-01-01\nc2,2026-01-01")
    orders = ORDERS.format(f"o1,c{ZWSP}1,2026-01-02,5\no2,c1{NBSP},2026-01-02,6\no3,{BOM}c2,2026-01-03,7")
    folder = make_workspace(customers=customers, orders=orders)
    problems = jk.validate_workspace(folder)
    assert _errors(problems) == []
    [warning] = _warnings(problems, "customer_id")
    assert warning.file == "orders.csv" and "2 value(s)" in warning.expected  # NBSP at the end: already stripped
    ws = jk.load_workspace(folder)
    assert ws.orders["customer_id"].tolist() == ["c1", "c1", "c2"]
    assert ws.orders["customer_id"].dtype == "string"


def test_ids_that_collide_once_normalised_are_an_error_naming_both_spellings(make_workspace):
    customers = CUSTOMERS.format(f"c1,2026-01-01\nc{ZWSP}1,2026-01-01\nc2,2026-01-01")
    folder = make_workspace(customers=customers)
    [error] = _errors(jk.validate_workspace(folder))
    assert (error.file, error.row, error.column) == ("customers.csv", 3, "customer_id")
    assert "'c\\u200b1'" in error.expected and "'c1' (row 2)" in error.expected
    assert error.value == f"c{ZWSP}1"  # shown by the problem table as 'c\\u200b1'
    ws = jk.load_workspace(folder, on_bad_rows="quarantine")
    assert ws.customers["customer_id"].tolist() == ["c1", "c2"]
    assert ws.rejected["customers"]["_row"].tolist() == [3]


def test_decomposed_accents_are_the_same_persona_id(make_workspace):
    personas = "id,name\ncafe\u0301,Cafe lover\nregular,Regular\n"
    touchpoints = ("id,stage,channel,name,personas\n"
                   "tp_ads,awareness,web,Ads,caf\u00e9\ntp_counter,decision,store,Counter,\n")
    customers = CUSTOMERS.format("c1,2026-01-01,caf\u00e9").replace("first_seen", "first_seen,persona_id")
    folder = make_workspace(personas=personas, touchpoints=touchpoints, customers=customers)
    problems = jk.validate_workspace(folder)
    assert _errors(problems) == []
    assert len(_warnings(problems, "id")) == 1
    assert jk.load_workspace(folder).personas["id"].tolist() == ["caf\u00e9", "regular"]


def test_a_persona_list_with_invisible_characters_refers_to_the_persona(make_workspace):
    touchpoints = ("id,stage,channel,name,personas\n"
                   f"tp_ads,awareness,web,Ads,foodie{ZWSP};regular\ntp_counter,decision,store,Counter,\n")
    problems = jk.validate_workspace(make_workspace(touchpoints=touchpoints))
    assert _errors(problems) == []
    assert len(_warnings(problems, "personas")) == 1


def test_an_id_of_only_invisible_characters_is_blank(make_workspace):
    orders = ORDERS.format(f"{ZWSP},c1,2026-01-02,5")
    [error] = _errors(jk.validate_workspace(make_workspace(orders=orders)))
    assert (error.row, error.column) == (2, "order_id") and "may not be blank" in error.expected


def test_float_looking_integer_ids_become_integer_text_when_the_whole_column_is(make_workspace):
    customers = CUSTOMERS.format("13085.0,2026-01-01\n13086.0,2026-01-01")
    orders = ORDERS.format("o1,13085,2026-01-02,5\no2,13086,2026-01-02,6")
    folder = make_workspace(customers=customers, orders=orders)
    problems = jk.validate_workspace(folder)
    assert _errors(problems) == []
    [warning] = _warnings(problems, "customer_id")
    assert warning.file == "customers.csv" and "13085" in warning.expected
    assert jk.load_workspace(folder).customers["customer_id"].tolist() == ["13085", "13086"]


def test_a_column_with_other_ids_keeps_its_float_looking_ones(make_workspace):
    customers = CUSTOMERS.format("13085.0,2026-01-01\nc2,2026-01-01")
    folder = make_workspace(customers=customers)
    assert _warnings(jk.validate_workspace(folder), "customer_id") == []
    assert jk.load_workspace(folder).customers["customer_id"].tolist() == ["13085.0", "c2"]


def test_a_plain_column_is_left_alone_and_checked_fast() -> None:
    from journeykit.workspace.ids import normalise_id_column

    ids = pd.Series([f"c{i}" for i in range(300_000)], dtype="string")
    start = time.perf_counter()
    out, report = normalise_id_column(ids, unique=True)
    assert time.perf_counter() - start < 2
    assert report.changed == 0 and not report.from_float and out.equals(ids)


def test_stage_ids_in_journey_yaml_are_normalised_with_a_warning() -> None:
    from journeykit.workspace.config import parse_config

    config, [problem] = parse_config({"business": "Shop", "stages": [{"id": f"awareness{ZWSP}"}]})
    assert config is not None and config.stage_ids == ["awareness"]
    assert problem.severity == "warning" and problem.column == "stages[1].id"


def test_the_demo_has_no_id_warnings() -> None:
    from .conftest import SAMPLE

    assert jk.validate_workspace(SAMPLE) == []
