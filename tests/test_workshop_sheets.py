"""Workshops on a blank workspace: one source per table, the spreadsheet's drop-downs, the
editors on header-only tables, and the notebooks pointed at a workspace once.

Every test starts from a workspace written by ``journeykit new`` (both formats where it
matters) and uses the real widgets, without a kernel; files are read back from disk.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

import journeykit as jk
from journeykit.run.cli import main
from journeykit.run.lab import WORKSPACE_VARIABLE, lab_command_line
from journeykit.viz import widgets
from journeykit.workspace.dropdowns import LISTS_SHEET

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
FORMATS = ("xlsx", "csv")


def _new(tmp_path: Path, fmt: str) -> Path:
    assert main(["new", str(tmp_path / f"room-{fmt}"), "--format", fmt, "--name", "Corner Bakery"]) == 0
    return tmp_path / f"room-{fmt}"


def _validations(sheet) -> dict[str, object]:
    """Column name (row 1) -> its data validation, for one worksheet."""
    names = {cell.column_letter: cell.value for cell in sheet[1]}
    out = {}
    for validation in sheet.data_validations.dataValidation:
        for ref in str(validation.sqref).split():
            out[names[re.match(r"[A-Z]+", ref).group()]] = validation
    return out


def _list_values(book, validation) -> list:
    """The values a list validation offers (its range in the lists sheet)."""
    match = re.match(r"'?lists'?!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", validation.formula1)
    letter, first, last = match.group(1), int(match.group(2)), int(match.group(3))
    return [book[LISTS_SHEET][f"{letter}{row}"].value for row in range(first, last + 1)]


def _table_values(book) -> dict[str, list]:
    return {name: [tuple(r) for r in book[name].iter_rows(values_only=True)]
            for name in book.sheetnames if name not in (LISTS_SHEET, "README")}


# ------------------------------------------------------------------ one source per table


def test_new_writes_the_spreadsheet_or_the_csvs_never_both(tmp_path: Path, capsys) -> None:
    xlsx = _new(tmp_path, "xlsx")
    csv = _new(tmp_path, "csv")
    assert sorted(p.name for p in xlsx.iterdir()) == ["journey.yaml", "workspace.xlsx"]
    assert "workspace.xlsx" not in {p.name for p in csv.iterdir()}
    assert {"personas.csv", "touchpoints.csv", "painpoints.csv"} <= {p.name for p in csv.iterdir()}
    assert "tables in workspace.xlsx" in capsys.readouterr().out
    assert main(["new", str(tmp_path / "default")]) == 0  # a workshop's spreadsheet by default
    assert not list((tmp_path / "default").glob("*.csv"))
    with pytest.raises(jk.JourneykitError, match="unknown workspace format"):
        jk.new_workspace(tmp_path / "bad", format="ods")


def test_a_persona_typed_into_the_handed_out_spreadsheet_loads(tmp_path: Path) -> None:
    folder = _new(tmp_path, "xlsx")
    book = load_workbook(folder / "workspace.xlsx")
    book["personas"].append(["p1", "Pat", "I want it now"])
    book.save(folder / "workspace.xlsx")
    problems = jk.validate_workspace(folder)
    assert not [p for p in problems if p.severity == "error"], problems  # no "one source per table"
    assert jk.load_workspace(folder).personas["quote"].tolist() == ["I want it now"]


# ------------------------------------------------------------------ the spreadsheet's drop-downs


def test_every_sheet_has_drop_downs_with_grammatical_alerts(tmp_path: Path) -> None:
    book = load_workbook(_new(tmp_path, "xlsx") / "workspace.xlsx")
    painpoints = _validations(book["painpoints"])
    for column in ("severity", "frequency", "effort"):
        assert _list_values(book, painpoints[column]) == [1, 2, 3, 4, 5]
    assert _list_values(book, painpoints["kind"]) == ["pain", "opportunity"]
    touchpoints = _validations(book["touchpoints"])
    assert _list_values(book, touchpoints["emotion"]) == [-2, -1, 0, 1, 2]
    assert _list_values(book, touchpoints["online"]) == ["yes", "no"]
    assert _list_values(book, touchpoints["owner"]) == ["Marketing", "Sales", "Operations", "Customer service"]
    personas = _validations(book["personas"])
    channels = personas["preferred_channels"]
    assert "web" in _list_values(book, channels) and not channels.showErrorMessage  # "web; store" allowed
    feedback = _validations(book["feedback"])
    assert _list_values(book, feedback["nps"]) == list(range(11))
    alerts = [v.error for sheet in book.worksheets for v in sheet.data_validations.dataValidation]
    assert alerts and "Pick an owner from the list (sheet 'lists')." in alerts
    assert not [a for a in alerts if re.search(r"\ba [aeiou]", a or "")], alerts
    assert not [a for a in alerts if "online" in (a or "")]


def test_readme_sheet_says_per_column_what_to_write(tmp_path: Path) -> None:
    book = load_workbook(_new(tmp_path, "xlsx") / "workspace.xlsx")
    rows = [r for r in book["README"].iter_rows(min_row=3, values_only=True)]
    texts = [r[3] for r in rows]
    assert all(texts) and not [t for t in texts if "a value" in t]
    assert not [t for t in texts if t.count("2026-03-31") > 1]
    by_column = {(r[0], r[1]): r[3] for r in rows}
    assert by_column[("painpoints", "severity")] == "1 (minor) to 5 (severe); pick from the drop-down"
    assert by_column[("tickets", "closed")].startswith("When it was closed (blank while open")


def test_validate_regenerates_the_lists_from_journey_yaml_and_keeps_every_value(tmp_path: Path,
                                                                               capsys) -> None:
    folder = _new(tmp_path, "xlsx")
    config = folder / "journey.yaml"
    text = config.read_text(encoding="utf-8")
    stages = "".join(f"- id: {s}\n  name: {s.title()}\n  events: []\n"
                     for s in ("discover", "visit", "order", "collect", "return"))
    text = re.sub(r"(?ms)^stages:\n.*?(?=^channels:)", "stages:\n" + stages, text)
    text = text.replace("- Customer service\n", "- Customer service\n- Online team\n")
    config.write_text(text, encoding="utf-8")
    book = load_workbook(folder / "workspace.xlsx")
    book["touchpoints"].append(["tp_till", "order", "store", "Till", "Online team", "no"])
    book["painpoints"].append(["pp_q", "tp_till", "pain", "Queue", 4, 3, 2])
    book.save(folder / "workspace.xlsx")
    before = _table_values(load_workbook(folder / "workspace.xlsx"))

    assert main(["validate", str(folder)]) == 0
    assert "drop-down lists updated" in capsys.readouterr().out

    book = load_workbook(folder / "workspace.xlsx")
    assert _table_values(book) == before  # values never touched
    touchpoints = _validations(book["touchpoints"])
    assert _list_values(book, touchpoints["stage"]) == ["discover", "visit", "order", "collect", "return"]
    assert "Online team" in _list_values(book, touchpoints["owner"])
    assert _list_values(book, _validations(book["painpoints"])["touchpoint"]) == ["tp_till"]
    assert main(["validate", str(folder)]) == 0  # up to date: nothing rewritten
    assert "drop-down" not in capsys.readouterr().out


def test_a_widget_save_into_the_workbook_keeps_formatting_and_updates_the_lists(tmp_path: Path) -> None:
    folder = _new(tmp_path, "xlsx")
    ws = jk.load_workspace(folder)
    editor = widgets.touchpoint_editor(ws)
    assert editor.add_row() == 0
    editor.rows[0]["name"].value = "Shop counter"

    book = load_workbook(folder / "workspace.xlsx")
    sheet = book["touchpoints"]
    assert sheet["A2"].value == "tp_1" and sheet["D2"].value == "Shop counter"
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 12
    validations = _validations(sheet)
    assert {"stage", "channel", "owner", "online", "emotion"} <= set(validations)
    assert _list_values(book, _validations(book["painpoints"])["touchpoint"]) == ["tp_1"]
    assert not list(folder.glob("*.csv"))  # saved where the table is: the workbook


# ------------------------------------------------------------------ editors on a blank workspace


@pytest.mark.parametrize("fmt", FORMATS)
def test_persona_text_is_saved_on_a_blank_workspace(tmp_path: Path, fmt: str) -> None:
    folder = _new(tmp_path, fmt)
    editor = widgets.persona_editor(jk.load_workspace(folder))
    assert editor.add_persona() == 0
    editor.fields["quote"].value = "I just want my bike back"
    editor.fields["goals"].value = "Ride to work"
    editor.fields["frustrations"].value = "Waiting"
    assert 'color:#1b7837' in editor.status.value and "frustrations" in editor.status.value

    saved = jk.load_workspace(folder).personas.iloc[0]
    assert (saved["quote"], saved["goals"], saved["frustrations"]) == (
        "I just want my bike back", "Ride to work", "Waiting")


@pytest.mark.parametrize("fmt", FORMATS)
def test_switching_personas_keeps_what_was_typed(tmp_path: Path, fmt: str) -> None:
    folder = _new(tmp_path, fmt)
    editor = widgets.persona_editor(jk.load_workspace(folder))
    first = editor.add_persona()
    editor.fields["quote"].value = "First quote"
    second = editor.add_persona()
    assert editor.fields["quote"].value == ""  # the new persona's own (blank) text
    editor.fields["quote"].value = "Second quote"
    editor.picker.value = first
    assert editor.fields["quote"].value == "First quote"
    editor.picker.value = second
    assert editor.fields["quote"].value == "Second quote"
    assert jk.load_workspace(folder).personas["quote"].tolist() == ["First quote", "Second quote"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_editor_works_on_header_only_tables(tmp_path: Path, fmt: str) -> None:
    folder = _new(tmp_path, fmt)
    ws = jk.load_workspace(folder)
    widgets.persona_editor(ws).add_persona()
    touchpoints = widgets.touchpoint_editor(ws)
    touchpoints.add_row()
    touchpoints.rows[0]["name"].value = "Website"
    touchpoints.rows[0]["emotion"].value = -1
    touchpoints.rows[0]["personas"].value = ["P_1"]  # typed with other case: the id is kept
    ws = jk.load_workspace(folder)
    row = ws.touchpoints.iloc[0]
    assert (row["name"], row["emotion"], row["personas"]) == ("Website", -1, "p_1")
    assert all(ws.tables[t].empty for t in ("painpoints", "feedback", "orders") if t in ws.tables)


@pytest.mark.parametrize("fmt", FORMATS)
def test_owner_blank_writes_a_blank(tmp_path: Path, fmt: str) -> None:
    folder = _new(tmp_path, fmt)
    editor = widgets.touchpoint_editor(jk.load_workspace(folder))
    editor.add_row()
    owner = editor.rows[0]["owner"]
    assert owner.label == "(blank)"  # a blank shows as "(blank)", not an empty box
    owner.value = "Sales"
    assert jk.load_workspace(folder).touchpoints["owner"].tolist() == ["Sales"]
    owner.label = "(blank)"
    reloaded = jk.load_workspace(folder).touchpoints["owner"]
    assert reloaded.isna().all(), reloaded.tolist()
    raw = (folder / "touchpoints.csv").read_text() if fmt == "csv" else str(
        _table_values(load_workbook(folder / "workspace.xlsx"))["touchpoints"])
    assert "(blank)" not in raw


def test_preferred_channels_add_what_is_typed_and_refuse_the_rest_in_red(tmp_path: Path) -> None:
    folder = _new(tmp_path, "xlsx")
    editor = widgets.persona_editor(jk.load_workspace(folder))
    editor.add_persona()
    tags = editor.fields["preferred_channels"]
    assert list(tags.allowed_tags) == [] and "web" in tags.placeholder  # Enter adds what is typed
    tags.value = ["Web"]
    assert tags.value == ["web"]
    tags.value = ["web", "fax"]
    assert tags.value == ["web"] and "color:#b2182b" in editor.status.value and "fax" in editor.status.value
    tags.value = ["web", "store"]
    assert jk.load_workspace(folder).personas["preferred_channels"].tolist() == ["web;store"]


def test_a_save_error_is_shown_in_red_with_the_reason(tmp_path: Path) -> None:
    folder = _new(tmp_path, "xlsx")
    editor = widgets.persona_editor(jk.load_workspace(folder))
    editor.add_persona()
    before = (folder / "workspace.xlsx").read_bytes()
    editor.fields["quote"].value = "bell\x07"  # a workbook cannot hold a control character
    assert "color:#b2182b" in editor.status.value
    assert "Not saved" in editor.status.value and "U+0007" in editor.status.value
    assert (folder / "workspace.xlsx").read_bytes() == before


def test_filter_bar_starts_on_everyone(tmp_path: Path) -> None:
    folder = _new(tmp_path, "csv")
    (folder / "personas.csv").write_text("id,name\np1,Pat\n", encoding="utf-8")
    bar = widgets.filter_bar(jk.load_workspace(folder))
    assert (bar.persona.label, bar.channel.label) == ("All personas", "All channels")
    assert bar.selection["persona"] is None and bar.selection["channel"] is None


def test_impact_effort_chart_draws_workshop_quick_wins(tmp_path: Path) -> None:
    folder = _new(tmp_path, "csv")
    (folder / "personas.csv").write_text("id,name\np1,Pat\n", encoding="utf-8")
    (folder / "touchpoints.csv").write_text("id,stage,channel,name\ntp1,awareness,web,Site\n", encoding="utf-8")
    (folder / "painpoints.csv").write_text(
        "id,touchpoint,kind,description,severity,frequency,effort\npp1,tp1,pain,Slow site,4,4,1\n"
        "pp2,tp1,pain,Queue,5,3,2\n", encoding="utf-8")
    scored = jk.score_pain_points(jk.load_workspace(folder))
    assert set(scored["quadrant"]) == {"quick win"}
    fig = jk.impact_effort_matrix(scored)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert not [t for t in texts if "no scored pain points" in t]
    points = {line.get_gid() for ax in fig.axes for line in ax.lines if line.get_gid()}
    assert points == {"pain:pp1", "pain:pp2"}


# ------------------------------------------------------------------ notebooks pointed at a workspace


def test_lab_points_every_kernel_at_the_workspace(tmp_path: Path) -> None:
    folder = _new(tmp_path, "xlsx")
    command, env = lab_command_line(folder, no_browser=True)
    assert env[WORKSPACE_VARIABLE] == str(folder.resolve())
    assert command[1:3] == ["-m", "jupyterlab"] and f"--ServerApp.root_dir={NOTEBOOK_DIR}" in command
    with pytest.raises(jk.JourneykitError):
        lab_command_line(tmp_path / "missing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_cell_reads_the_workspace_and_the_rest_is_collapsed(path: Path, monkeypatch) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1
    namespace: dict = {}
    monkeypatch.setenv(WORKSPACE_VARIABLE, "/somewhere/shop")
    exec(parameters[0].source, namespace)
    assert namespace["workspace"] == "/somewhere/shop"
    monkeypatch.delenv(WORKSPACE_VARIABLE)
    namespace = {}
    exec(parameters[0].source, namespace)
    assert namespace["workspace"] == "../data/sample"
    assert "Optional" not in parameters[0].source and "lambda" not in parameters[0].source
    plumbing = [c for c in code if c is not parameters[0]]
    assert plumbing and all(c.metadata.get("jupyter", {}).get("source_hidden") for c in plumbing)


def test_a_real_kernel_opens_the_workspace_of_the_environment_and_papermill_overrides(tmp_path: Path) -> None:
    folder = _new(tmp_path, "xlsx")
    env = {**os.environ, WORKSPACE_VARIABLE: str(folder), "PYTHONPATH": str(ROOT)}
    env.pop("JOURNEYKIT_RUN_CACHE", None)
    for extra, shown, not_shown in (([], "Corner Bakery", "Spokes & Sprockets"),
                                    (["-p", "workspace", str(ROOT / "data" / "sample")], "Spokes & Sprockets",
                                     "Corner Bakery")):
        out = tmp_path / f"out{len(extra)}.ipynb"
        subprocess.run([sys.executable, "-m", "papermill", str(NOTEBOOK_DIR / "00_start_here.ipynb"), str(out),
                        "--cwd", str(NOTEBOOK_DIR), "-k", "python3", "--no-progress-bar",
                        "-p", "interactive", "False", *extra], env=env, check=True, capture_output=True,
                       timeout=300)
        text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                         for c in nbformat.read(out, as_version=4).cells for o in c.get("outputs", []))
        assert shown in text and not_shown not in text


def test_a_workbook_the_user_made_keeps_its_own_lists_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    folder = _new(tmp_path, "csv")
    for name in ("personas", "touchpoints"):
        (folder / f"{name}.csv").unlink()
    book = Workbook()
    book.active.title = "personas"
    book["personas"].append(["id", "name"])
    book["personas"].append(["p1", "Pat"])
    book.create_sheet("touchpoints").append(["id", "stage", "channel", "name"])
    book["touchpoints"].append(["tp1", "awareness", "web", "Site"])
    book.create_sheet("lists").append(["my own notes"])
    book.save(folder / "workspace.xlsx")
    ws = jk.load_workspace(folder)
    editor = widgets.touchpoint_editor(ws)
    editor.rows[0]["name"].value = "Website"
    assert main(["validate", str(folder)]) == 0
    saved = load_workbook(folder / "workspace.xlsx")
    assert saved["lists"]["A1"].value == "my own notes" and saved["touchpoints"]["D2"].value == "Website"
    assert not saved["touchpoints"].data_validations.dataValidation
