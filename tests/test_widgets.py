"""Widget edits are saved to the workspace at once, keep the previous version, and survive a reload."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import journeykit as jk
from journeykit.viz import widgets
from journeykit.viz.widgets import editor as grid_editor

PERSONAS = """id,name,quote,demographics,goals,frustrations,motivations,preferred_channels,rule
p_commuter,Daily commuter,"I need my bike tomorrow",30-45,Fast repairs,Waiting,Reliability,web;store,
p_racer,Weekend racer,"Every gram counts",25-40,Performance,Generic advice,Speed,social;store,
"""

TOUCHPOINTS = """id,stage,channel,name,owner,online,personas,description,emotion
tp_ad,awareness,social,Instagram ad,Marketing,yes,,Paid posts,
tp_shop,decision,store,Shop counter,Sales,no,p_commuter,Buying in the shop,1
"""

PAINPOINTS = """id,touchpoint,kind,description,severity,frequency,effort,owner,status
pp_wait,tp_shop,pain,Long queue at the counter,4,3,,,open
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    folder = jk.new_workspace(tmp_path / "shop", name="Spokes")
    (folder / "personas.csv").write_text(PERSONAS, encoding="utf-8")
    (folder / "touchpoints.csv").write_text(TOUCHPOINTS, encoding="utf-8")
    (folder / "painpoints.csv").write_text(PAINPOINTS, encoding="utf-8")
    return folder


def history(folder: Path, stem: str) -> list[Path]:
    return sorted((folder / ".journeykit" / "history").glob(f"{stem}.*"))


def test_touchpoint_edit_is_saved_at_once_and_previous_version_kept(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    before = (shop / "touchpoints.csv").read_text(encoding="utf-8")
    editor = widgets.touchpoint_editor(ws)
    assert [row["id"].value for row in editor.rows] == ["tp_ad", "tp_shop"]

    editor.rows[0]["owner"].value = "Customer service"

    reloaded = jk.load_workspace(shop)
    owners = dict(zip(reloaded.touchpoints["id"], reloaded.touchpoints["owner"], strict=True))
    assert owners == {"tp_ad": "Customer service", "tp_shop": "Sales"}
    kept = history(shop, "touchpoints")
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == before
    assert "Saved touchpoints" in editor.status.value


def test_touchpoint_dropdowns_offer_journey_yaml_choices(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    row = widgets.touchpoint_editor(ws).rows[0]
    stage_values = [value for _label, value in row["stage"].options]
    assert stage_values == ws.config.stage_ids
    assert set(ws.config.channels) <= set(row["channel"].options)
    owner_values = [o[1] if isinstance(o, tuple) else o for o in row["owner"].options]
    assert set(ws.config.owners) <= set(owner_values)
    # the tag box suggests the persona ids and takes what is typed on Enter (allowed_tags
    # would silently drop "P_Racer"); the editor maps it to the id and refuses the rest
    assert "p_commuter" in row["personas"].placeholder and "p_racer" in row["personas"].placeholder
    assert list(row["personas"].allowed_tags) == []


def test_added_touchpoint_and_every_field_round_trip(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    editor = widgets.touchpoint_editor(ws)
    index = editor.add_row()
    row = editor.rows[index]
    new_id = row["id"].value
    row["stage"].value = "post_purchase"
    row["channel"].value = "email"
    row["name"].value = "Thank-you mail"
    row["owner"].value = "Marketing"
    row["online"].value = True
    row["personas"].value = ["p_racer", "p_commuter"]
    row["emotion"].value = 2

    reloaded = jk.load_workspace(shop).touchpoints.set_index("id")
    assert new_id not in {"tp_ad", "tp_shop"}
    saved = reloaded.loc[new_id]
    assert (saved["stage"], saved["channel"], saved["name"], saved["owner"]) == (
        "post_purchase", "email", "Thank-you mail", "Marketing")
    assert bool(saved["online"]) is True
    assert saved["personas"] == "p_racer;p_commuter"
    assert saved["emotion"] == 2
    assert len(reloaded) == 3


def test_persona_editor_saves_fields_and_new_personas(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    editor = widgets.persona_editor(ws)
    editor.picker.value = 1  # the racer
    assert editor.fields["name"].value == "Weekend racer"
    editor.fields["goals"].value = "Win the club race"
    editor.fields["preferred_channels"].value = ["web"]

    added = editor.add_persona()
    editor.fields["name"].value = "Family rider"

    reloaded = jk.load_workspace(shop).personas.set_index("id")
    assert reloaded.loc["p_racer", "goals"] == "Win the club race"
    assert reloaded.loc["p_racer", "preferred_channels"] == "web"
    assert reloaded.loc["p_commuter", "goals"] == "Fast repairs"  # other rows untouched
    new_id = editor.frame.at[added, "id"]
    assert reloaded.loc[new_id, "name"] == "Family rider"
    assert len(history(shop, "personas")) >= 3  # one previous version per save


def test_switching_persona_does_not_write(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    editor = widgets.persona_editor(ws)
    editor.picker.value = 1
    editor.picker.value = 0
    assert editor.saves == 0
    assert history(shop, "personas") == []


def test_persona_editor_failed_save_is_reported_and_file_left_alone(shop: Path, monkeypatch) -> None:
    ws = jk.load_workspace(shop)
    before = (shop / "personas.csv").read_bytes()
    editor = widgets.persona_editor(ws)

    def refuse(*_args, **_kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr(grid_editor, "_save", refuse)
    editor.fields["goals"].value = "Never wait"
    assert "Not saved" in editor.status.value and "read-only" in editor.status.value
    assert "#b2182b" in editor.status.value  # red
    assert editor.saves == 0
    assert editor.frame.at[0, "goals"] == "Fast repairs"  # the editor's table matches the disk
    assert (shop / "personas.csv").read_bytes() == before


def scored_frame() -> pd.DataFrame:
    """The shape of score_pain_points output the scorer relies on (id, title, description, …)."""
    return pd.DataFrame({
        "id": ["pp_wait", "found_delivery"],
        "touchpoint": ["tp_shop", "tp_ad"],
        "kind": ["pain", "pain"],
        "title": ["Long queue at the counter", "Parcel arrived late"],
        "description": ["Long queue at the counter", "Parcel arrived late"],
        "stage": ["decision", "awareness"],
        "priority": [0.8, 0.6],
        "quadrant": ["quick win", "major project"],
    })


def test_painpoint_scorer_saves_effort_owner_status_and_severity(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    grid = widgets.painpoint_scorer(ws, scored_frame())
    first = grid.rows[0]
    first["effort"].value = 2
    first["owner"].value = "Sales"
    first["status"].value = "planned"
    first["severity"].value = 5

    saved = jk.load_workspace(shop).painpoints.set_index("id")
    assert list(saved.index) == ["pp_wait"]  # the untouched discovered one is not added
    row = saved.loc["pp_wait"]
    assert (row["effort"], row["owner"], row["status"], row["severity"]) == (2, "Sales", "planned", 5)
    assert row["description"] == "Long queue at the counter"
    assert len(history(shop, "painpoints")) == 4


def test_scoring_a_discovered_pain_point_adds_it_to_the_table(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    grid = widgets.painpoint_scorer(ws, scored_frame())
    grid.rows[1]["owner"].value = "Operations"

    saved = jk.load_workspace(shop).painpoints.set_index("id")
    assert set(saved.index) == {"pp_wait", "found_delivery"}
    found = saved.loc["found_delivery"]
    assert (found["touchpoint"], found["kind"], found["owner"], found["status"]) == (
        "tp_ad", "pain", "Operations", "open")
    assert found["description"] == "Parcel arrived late"
    assert pd.isna(found["effort"])  # blank effort stays blank: the kit's default applies


def test_scorer_shows_saved_values(shop: Path) -> None:
    ws = jk.load_workspace(shop)
    widgets.painpoint_scorer(ws, scored_frame()).rows[0]["effort"].value = 4
    again = widgets.painpoint_scorer(jk.load_workspace(shop), scored_frame())
    assert again.rows[0]["effort"].value == 4
    assert again.rows[0]["severity"].value == 4  # the workshop severity from the file


def test_failed_save_is_reported_and_file_left_alone(shop: Path, monkeypatch) -> None:
    ws = jk.load_workspace(shop)
    before = (shop / "touchpoints.csv").read_bytes()
    editor = widgets.touchpoint_editor(ws)

    def refuse(*_args, **_kwargs):
        raise jk.JourneykitError("disk full")

    monkeypatch.setattr(grid_editor, "_save", refuse)
    editor.rows[0]["owner"].value = "Sales"
    assert "Not saved" in editor.status.value and "disk full" in editor.status.value
    assert (shop / "touchpoints.csv").read_bytes() == before
    assert editor.frame.at[0, "owner"] == "Marketing"  # the grid's table matches the disk


def test_edit_in_workspace_xlsx_round_trips(tmp_path: Path) -> None:
    folder = jk.new_workspace(tmp_path / "xl", format="xlsx")
    assert not list(folder.glob("*.csv"))  # one source per table: the workbook only
    from openpyxl import load_workbook

    book = load_workbook(folder / "workspace.xlsx")
    for table, text in (("personas", PERSONAS), ("touchpoints", TOUCHPOINTS)):
        sheet = book[table]
        sheet.delete_rows(1, sheet.max_row)
        for line in pd.read_csv(pd.io.common.StringIO(text), dtype=str).fillna("").itertuples(index=False):
            sheet.append(list(line))
        sheet.insert_rows(1)
        for col, name in enumerate(pd.read_csv(pd.io.common.StringIO(text), nrows=0).columns, 1):
            sheet.cell(row=1, column=col, value=name)
    book.save(folder / "workspace.xlsx")
    ws = jk.load_workspace(folder)
    assert ws.sources["touchpoints"].startswith("workspace.xlsx")

    widgets.touchpoint_editor(ws).rows[1]["channel"].value = "phone"

    reloaded = jk.load_workspace(folder).touchpoints.set_index("id")
    assert reloaded.loc["tp_shop", "channel"] == "phone"
    assert len(history(folder, "workspace")) == 1


def test_filter_bar_filters_and_redraws(shop: Path) -> None:
    (shop / "customers.csv").write_text(
        "customer_id,first_seen,persona_id,channel\nc1,2026-01-02,p_commuter,web\n"
        "c2,2026-01-05,p_racer,store\n", encoding="utf-8")
    (shop / "orders.csv").write_text(
        "order_id,customer_id,date,amount,channel\no1,c1,2026-01-03,10,web\n"
        "o2,c2,2026-02-01,20,store\no3,c1,2026-03-01,30,store\n", encoding="utf-8")
    ws = jk.load_workspace(shop)
    seen: list[list[str]] = []
    bar = widgets.filter_bar(ws, view=lambda b: seen.append(list(b.filtered("orders")["order_id"])))
    assert seen[-1] == ["o1", "o2", "o3"]
    bar.persona.value = "p_commuter"
    assert seen[-1] == ["o1", "o3"]
    bar.channel.value = "store"
    assert seen[-1] == ["o3"]
    bar.persona.value = None
    bar.end.value = pd.Timestamp("2026-02-01").date()  # the end day is included
    assert seen[-1] == ["o2"]


def test_a_blank_workshop_names_its_pain_points_in_the_app(tmp_path: Path) -> None:
    """On a blank spreadsheet workspace the room adds a touchpoint, then a pain point, and
    can score it at once: the Pain points tab refuses (in red) before any touchpoint exists,
    the row lands in workspace.xlsx, and the Score tab lists it when it is opened again."""
    from journeykit.viz.widgets.workshop import WorkshopApp

    folder = jk.new_workspace(tmp_path / "cafe", format="xlsx")
    app = WorkshopApp(jk.load_workspace(folder))
    app.start("Ana")
    assert app.tabs is not None
    titles = [app.tabs.get_title(i) for i in range(len(app.tabs.children))]
    assert titles[:2] == ["Score", "Pain points"]
    assert "No pain points yet" in app.card.children[-1].value

    pains = app.painpoints_page.children[0]
    before = (folder / "workspace.xlsx").read_bytes()
    assert pains.add_row() == -1
    assert "add a touchpoint first" in pains.status.value and "#b2182b" in pains.status.value  # red
    assert (folder / "workspace.xlsx").read_bytes() == before  # nothing written

    touchpoints = app.tabs.children[titles.index("Touchpoints")]
    touchpoints.add_row()
    touchpoints.rows[0]["name"].value = "Till at lunch"
    app.reopen(titles.index("Pain points"))
    pains = app.painpoints_page.children[0]
    assert pains.columns[1].options == (("Till at lunch (tp_1)", "tp_1"),)
    assert pains.add_row() == 0
    pains.rows[0]["description"].value = "The queue <b>is</b> too long"
    assert "Saved painpoints" in pains.status.value, pains.status.value

    saved = jk.load_workspace(folder).painpoints.set_index("id")
    assert saved.at["pp_1", "touchpoint"] == "tp_1" and saved.at["pp_1", "kind"] == "pain"
    assert saved.at["pp_1", "description"] == "The queue <b>is</b> too long"
    assert not list(folder.glob("*.csv"))  # still one source per table: the workbook

    app.reopen(titles.index("Score"))
    assert "pp_1" in app.card.choices
    assert "The queue &lt;b&gt;is&lt;/b&gt; too long" in str([c.children[0].value for c in app.card.children
                                                            if hasattr(c, "children") and c.children])
