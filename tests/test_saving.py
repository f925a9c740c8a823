"""Saving keeps exactly what was typed and never loses a row.

- Exact round trip: any text written by ``save_table``, ``update_table`` or a widget
  reads back identical through ``load_workspace`` (CSV and workspace.xlsx), tested
  with hypothesis over arbitrary Unicode and the texts that used to change: a leading
  apostrophe, surrounding spaces, CR, LF, CRLF, tabs, quotes, formula-like text.
- Locked read-modify-write: two processes each adding 200 rows through
  ``update_table`` end with all 400; two widgets on the same table keep each other's
  edits.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import journeykit as jk
from journeykit.core.errors import JourneykitError
from journeykit.viz.widgets import persona_editor, touchpoint_editor
from journeykit.workspace.edits import merge_edits
from journeykit.workspace.saving import update_table

from .conftest import JOURNEY_YAML, write_workspace

#: texts that used to change on a save and read-back
TRICKY = [
    "'=already quoted", "'already", "'", "''=x", " leading", "trailing ", "  both  ", "a\rb",
    "a\r\nb", "a\nb", "\r\nstarts", "ends\r", "\ttab", "tab\t", "=1+1", "+1", "-1", "@SUM(A1)",
    "=HYPERLINK(\"http://evil\")", '"quoted"', 'say "hi", then go', "a,b;c|d", "N/A", "nan", "-",
    "null", "\u00a0nbsp\u00a0", "\u200bzero width", "line one\n\nline three", "é ü 日本 🙂",
]
texts = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=40),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(["", " ", "'", "=", "+", "-", "@", "\t", "\r", "\n"]),
              st.text(max_size=20), st.sampled_from(["", " ", "\r", "\n", "\r\n", "\t", '"'])),
)


def _expected(text: str) -> object:
    """What a cell reads back as: the text exactly, or blank for a cell of only spaces."""
    return text if text.strip() else None


def _read_back(values: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in values]


def _personas(quotes: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["regular", "foodie", *[f"p{i}" for i in range(2, len(quotes))]][:len(quotes)],
        "name": [f"Persona {i}" for i in range(len(quotes))],
        "quote": pd.array([q if q.strip() else pd.NA for q in quotes], dtype="string"),
    })


def _xlsx_workspace(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "journey.yaml").write_text(JOURNEY_YAML, "utf-8")
    workbook = Workbook()
    personas = workbook.active
    personas.title = "personas"
    personas.append(["id", "name", "quote"])
    personas.append(["p0", "Pat", "hello"])
    touchpoints = workbook.create_sheet("touchpoints")
    touchpoints.append(["id", "stage", "channel", "name"])
    touchpoints.append(["tp_1", "awareness", "web", "Website"])
    workbook.save(folder / "workspace.xlsx")
    return folder


HYPOTHESIS = settings(max_examples=25, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@HYPOTHESIS
@given(quotes=st.lists(texts, min_size=2, max_size=4))
def test_csv_save_reads_back_exactly_what_was_typed(quotes):
    with tempfile.TemporaryDirectory() as tmp:
        ws = jk.load_workspace(write_workspace(Path(tmp) / "ws"))
        jk.save_table(ws, "personas", _personas(quotes))
        again = jk.load_workspace(ws.path)
        assert _read_back(again.personas["quote"]) == [_expected(q) for q in quotes]


@HYPOTHESIS
@given(quotes=st.lists(texts, min_size=2, max_size=4))
def test_update_table_reads_back_exactly_what_was_typed(quotes):
    with tempfile.TemporaryDirectory() as tmp:
        ws = jk.load_workspace(write_workspace(Path(tmp) / "ws"))
        update_table(ws, "personas", lambda now: _personas(quotes))
        again = jk.load_workspace(ws.path)
        assert _read_back(again.personas["quote"]) == [_expected(q) for q in quotes]
        assert _read_back(ws.personas["quote"]) == [_expected(q) for q in quotes]


@HYPOTHESIS
@given(quotes=st.lists(texts, min_size=2, max_size=3))
def test_xlsx_save_reads_back_exactly_or_refuses(quotes):
    with tempfile.TemporaryDirectory() as tmp:
        ws = jk.load_workspace(_xlsx_workspace(Path(tmp) / "ws"))
        assert ws.sources["personas"] == "workspace.xlsx[personas]"
        before = (ws.path / "workspace.xlsx").read_bytes()
        storable = all(not any(c == "\r" or (ord(c) < 32 and c not in "\t\n") or c in "\ufffe\uffff"
                               for c in q) for q in quotes if q.strip())
        if not storable:  # a workbook cannot keep it: refused, the file as it was
            with pytest.raises(JourneykitError, match="row .*column quote"):
                jk.save_table(ws, "personas", _personas(quotes))
            assert (ws.path / "workspace.xlsx").read_bytes() == before
            return
        jk.save_table(ws, "personas", _personas(quotes))
        again = jk.load_workspace(ws.path)
        assert _read_back(again.personas["quote"]) == [_expected(q) for q in quotes]


def test_formula_like_text_is_kept_in_the_workspace_and_neutralised_in_exports(tmp_path):
    ws = jk.load_workspace(write_workspace(tmp_path / "ws"))
    jk.save_table(ws, "personas", _personas(["'=already quoted", "=1+1", " spaced "]))
    text = (ws.path / "personas.csv").read_text("utf-8")
    assert "'=already quoted" in text and ",=1+1" in text and "'=1+1" not in text
    workbook = _xlsx_workspace(tmp_path / "wb")
    wb_ws = jk.load_workspace(workbook)
    jk.save_table(wb_ws, "personas", _personas(["=1+1"]))
    from openpyxl import load_workbook

    cell = load_workbook(workbook / "workspace.xlsx")["personas"]["C2"]
    assert cell.value == "=1+1" and cell.data_type == "s"  # text, never a formula
    # exports into a run folder still neutralise
    from journeykit.core.safety import write_safe_csv

    write_safe_csv(jk.load_workspace(ws.path).personas, tmp_path / "export.csv")
    assert "'=1+1" in (tmp_path / "export.csv").read_text("utf-8")


def test_a_widget_save_reads_back_exactly_what_was_typed(tmp_path):
    ws = jk.load_workspace(write_workspace(tmp_path / "ws"))
    editor = persona_editor(ws)
    typed = {"quote": "'=already quoted", "goals": "  two spaces\r\nthen CRLF\rthen CR  ",
             "demographics": "\tage 30", "name": " The Regular "}
    for name, value in typed.items():
        editor.fields[name].value = value
    assert "Saved" in editor.status.value, editor.status.value
    again = jk.load_workspace(ws.path)
    row = again.personas.set_index("id").loc[editor.frame.at[editor.index, "id"]]
    assert {name: row[name] for name in typed} == typed
    grid = touchpoint_editor(again)
    grid.rows[0]["name"].value = " =Shop counter\r"
    final = jk.load_workspace(ws.path)
    assert final.touchpoints["name"].tolist()[0] == " =Shop counter\r"


# --------------------------------------------------------------------------- no lost rows


def _add_rows(folder: str, tag: str, count: int) -> None:
    """One saver: ``count`` read-modify-writes, each adding one pain point."""
    ws = jk.load_workspace(folder)
    for i in range(count):
        row = pd.DataFrame([{"id": f"{tag}{i}", "touchpoint": "tp_counter", "kind": "pain",
                             "description": f"added by {tag} #{i}"}])
        update_table(ws, "painpoints", lambda now, row=row: pd.concat([now, row], ignore_index=True))


def test_two_processes_adding_200_rows_each_lose_none(tmp_path):
    folder = write_workspace(tmp_path / "ws", painpoints="id,touchpoint,kind,description\np0,tp_counter,pain,Queue\n")
    context = multiprocessing.get_context("fork")
    savers = [context.Process(target=_add_rows, args=(str(folder), tag, 200)) for tag in ("a", "b")]
    for saver in savers:
        saver.start()
    for saver in savers:
        saver.join(120)
    assert [s.exitcode for s in savers] == [0, 0]
    ids = jk.load_workspace(folder).painpoints["id"].tolist()
    assert len(ids) == 401 and len(set(ids)) == 401
    assert {f"{t}{i}" for t in "ab" for i in range(200)} <= set(ids)


def test_two_widgets_on_one_table_keep_each_others_edits(tmp_path):
    folder = write_workspace(tmp_path / "ws")
    first = touchpoint_editor(jk.load_workspace(folder))
    second = touchpoint_editor(jk.load_workspace(folder))  # opened before the first saved
    first.rows[0]["name"].value = "Ads everywhere"
    second.rows[1]["name"].value = "The counter"
    added = second.add_row()
    assert added >= 0 and "Saved" in second.status.value
    first.rows[1]["owner"].value = "Kitchen"
    final = jk.load_workspace(folder).touchpoints.set_index("id")
    assert final.at["tp_ads", "name"] == "Ads everywhere"
    assert final.at["tp_counter", "name"] == "The counter"
    assert final.at["tp_counter", "owner"] == "Kitchen"
    assert len(final) == 3  # the second widget's new row is there too


def test_merge_edits_changes_only_what_was_edited():
    current = pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B2", "C"], "owner": ["x", "y", "z"]})
    base = pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"], "owner": ["x", "y"]})
    edited = pd.DataFrame({"id": ["a", "n"], "name": ["A", "N"], "owner": ["w", "v"]})  # b removed
    out = merge_edits(current, base, edited, key="id")
    assert out.to_dict("records") == [
        {"id": "a", "name": "A", "owner": "w"},   # only the edited field
        {"id": "c", "name": "C", "owner": "z"},   # someone else's row stays
        {"id": "n", "name": "N", "owner": "v"},   # the new row
    ]


def test_update_table_refuses_when_the_file_now_has_errors(tmp_path):
    folder = write_workspace(tmp_path / "ws", painpoints="id,touchpoint,kind,description,severity\np0,tp_counter,pain,Queue,2\n")
    ws = jk.load_workspace(folder)
    (folder / "painpoints.csv").write_text("id,touchpoint,kind,description,severity\np0,tp_counter,pain,Queue,high\n")
    before = (folder / "painpoints.csv").read_bytes()
    with pytest.raises(JourneykitError, match="severity"):
        update_table(ws, "painpoints", lambda now: now)
    assert (folder / "painpoints.csv").read_bytes() == before  # the typed "high" is not blanked


def test_update_table_takes_a_folder_and_keeps_the_previous_version(tmp_path):
    folder = write_workspace(tmp_path / "ws", painpoints="id,touchpoint,kind,description\np0,tp_counter,pain,Queue\n")
    before = (folder / "painpoints.csv").read_text("utf-8")
    row = pd.DataFrame([{"id": "p1", "touchpoint": "tp_counter", "kind": "pain", "description": " Slow "}])
    update_table(folder, "painpoints", lambda now: pd.concat([now, row], ignore_index=True))
    history = list((folder / ".journeykit" / "history").glob("painpoints.*.csv"))
    assert len(history) == 1 and history[0].read_text("utf-8") == before
    assert jk.load_workspace(folder).painpoints["description"].tolist() == ["Queue", " Slow "]
