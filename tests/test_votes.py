"""Participants' votes: the files, the median merge, ``journeykit workshop collect``, the
spread in the scoring, the action plan and the impact/effort chart, and the workshop
app's widgets headless (a real kernel-free ipywidgets tree, real files)."""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest

from journeykit.analytics.painpoints import action_plan, score_pain_points
from journeykit.run.cli import main
from journeykit.run.workshop import serve_arguments, share_url
from journeykit.viz.charts import impact_effort_matrix
from journeykit.viz.widgets.workshop import RoomVotes, VotingCard, WorkshopApp
from journeykit.workspace.loader import load_workspace
from journeykit.workspace.tally import collect_votes
from journeykit.workspace.votes import merge_votes, read_votes, vote_summary, write_votes

from .browser import ARTIFACTS

matplotlib.use("Agg")

YAML = ("business: Vote shop\nstages:\n  - {id: aware, name: Awareness}\n  - {id: buy, name: Buying}\n"
        "channels: [web, store]\nowners: [Sales, Service]\n")
TOUCHPOINTS = ("id,stage,channel,name,owner,emotion\n"
               "tp_web,aware,web,Web shop,Sales,0\n"
               "tp_till,buy,store,The till,Service,1\n")
PAINPOINTS = ("id,touchpoint,kind,description,severity,frequency,effort,owner,status\n"
              "pp_1,tp_till,pain,Queue at the till,3,3,3,Service,open\n"
              "pp_2,tp_web,pain,Checkout asks for an account,2,2,4,Sales,open\n")


@pytest.fixture
def shop(make_workspace):
    return make_workspace(**{"journey.yaml": YAML, "touchpoints.csv": TOUCHPOINTS, "painpoints.csv": PAINPOINTS})


def _votes(folder, name, text):
    path = folder / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_median_and_the_spread_of_each_field():
    votes = pd.DataFrame({"voter": ["a", "b", "c", "d"], "item": ["pp_1"] * 4,
                          "severity": [1, 2, 4, 5], "effort": [3, 3, 3, pd.NA]})
    row = merge_votes(votes).iloc[0]
    assert row["votes"] == 4
    assert row["severity"] == 3 and row["severity_spread"] == 4  # median of 2 and 4
    assert row["effort"] == 3 and row["effort_spread"] == 0      # the blank is no opinion
    assert row["spread"] == 4 and pd.isna(row["frequency"])


def test_collect_writes_the_medians_keeps_other_fields_and_never_shows_names(shop, tmp_path):
    ana = _votes(tmp_path, "ana", "item,severity,frequency,effort,emotion\npp_1,5,4,1,\ntp_web,,,,-2\n")
    ben = _votes(tmp_path, "ben", "item,severity,frequency,effort,emotion\npp_1,4,4,2,\ntp_web,,,,-1\n")
    # a participant's own copy of painpoints.csv counts too, under the file's name
    cy = tmp_path / "cy.csv"
    cy.write_text(PAINPOINTS.replace("Queue at the till,3,3,3", "Queue at the till,1,4,2"), encoding="utf-8")
    ws = load_workspace(shop)
    result = collect_votes(ws, [ana, ben, cy])
    assert result.voters == 3
    saved = pd.read_csv(shop / "painpoints.csv", dtype=str).set_index("id")
    assert saved.loc["pp_1", ["severity", "frequency", "effort"]].tolist() == ["4", "4", "2"]
    assert saved.loc["pp_1", "owner"] == "Service" and saved.loc["pp_1", "description"] == "Queue at the till"
    assert saved.loc["pp_2", ["severity", "frequency", "effort"]].tolist() == ["2", "2", "4"]  # only cy: unchanged
    touch = pd.read_csv(shop / "touchpoints.csv", dtype=str).set_index("id")
    assert touch.loc["tp_web", "emotion"] == "-1"  # median of -2 and -1, half-way rounds up
    assert sorted(p.name for p in (shop / "votes").iterdir()) == ["ana.csv", "ben.csv", "cy.csv"]
    journal = [json.loads(x) for x in (shop / ".journeykit" / "edits.jsonl").read_text("utf-8").splitlines()]
    assert {e["by"] for e in journal} == {"workshop votes"}
    # what the report reads: counts and spread, no name anywhere
    summary = vote_summary(shop)
    assert list(summary.columns) == ["item", "votes", "spread"]
    assert "ana" not in summary.to_csv() and "cy" not in summary.to_csv()
    scored = score_pain_points(load_workspace(shop)).set_index("id")
    assert scored.at["pp_1", "votes"] == 3 and scored.at["pp_1", "spread"] == 4
    plan = action_plan(load_workspace(shop)).set_index("pain_point")
    assert plan.loc["Queue at the till", "votes"] == "3"
    assert plan.loc["Queue at the till", "agreement"] == "split - discuss (spread 4)"
    assert not plan.to_csv().lower().count("ana")
    # collecting again changes nothing (the files were kept in votes/)
    assert collect_votes(load_workspace(shop)).changed == 0


def test_collect_keeps_an_edit_saved_meanwhile(shop, tmp_path):
    """The merge writes only the voted fields into the file's content now."""
    ws = load_workspace(shop)
    text = (shop / "painpoints.csv").read_text("utf-8").replace("Sales,open", "Sales,planned")
    (shop / "painpoints.csv").write_text(text, encoding="utf-8")  # someone's save after ws was loaded
    collect_votes(ws, [_votes(tmp_path, "ana", "item,severity\npp_2,5\n")])
    saved = pd.read_csv(shop / "painpoints.csv", dtype=str).set_index("id")
    assert saved.loc["pp_2", "status"] == "planned" and saved.loc["pp_2", "severity"] == "5"


def test_bad_scores_are_named_and_unknown_items_reported(shop, tmp_path, capsys):
    bad = _votes(tmp_path, "dee", "item,severity,effort\npp_1,9,two\nnope,3,\n")
    assert main(["workshop", "collect", str(shop), str(bad)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any("dee.csv" in x and "severity" in x and "'9'" in x and "1 to 5" in x for x in lines), out
    assert any("dee.csv" in x and "effort" in x and "'two'" in x for x in lines), out
    assert "'nope'" in out and "1 person voted on 2 item(s)" in out
    assert main(["workshop", "collect", str(shop), str(tmp_path / "missing.csv")]) == 2


def test_write_votes_keeps_earlier_fields_and_a_blank_clears(shop):
    write_votes(shop, "Ana María", pd.DataFrame({"item": ["pp_1"], "severity": [5]}))
    write_votes(shop, "Ana María", pd.DataFrame({"item": ["pp_1"], "effort": [2]}))
    write_votes(shop, "Ana María", pd.DataFrame({"item": ["tp_web"], "emotion": [-2]}))
    votes = read_votes(shop).set_index("item")
    assert votes.at["pp_1", "severity"] == 5 and votes.at["pp_1", "effort"] == 2
    assert votes.at["tp_web", "emotion"] == -2 and set(votes["voter"]) == {"Ana María"}
    write_votes(shop, "Ana María", pd.DataFrame({"item": ["pp_1"], "severity": [None]}))
    assert pd.isna(read_votes(shop).set_index("item").at["pp_1", "severity"])
    with pytest.raises(Exception, match="1 to 5"):
        write_votes(shop, "Ana María", pd.DataFrame({"item": ["pp_1"], "severity": [7]}))


def test_the_app_widgets_save_votes_and_the_room_counts_them(shop, monkeypatch):
    monkeypatch.delenv("JOURNEYKIT_USER", raising=False)
    ws = load_workspace(shop)
    app = WorkshopApp(ws)
    app.start("   ")
    assert "type your name" in app.message.value and app.tabs is None
    app.start("Ben")
    assert app.card is not None and app.room is not None
    app.card.choices["pp_1"]["severity"].value = 5
    app.card.choices["tp_till"]["emotion"].value = -1
    assert "Saved your vote" in app.card.status.value
    other = VotingCard(ws, "Cy")
    other.choices["pp_1"]["severity"].value = 1
    room = RoomVotes(ws, interval=None)
    assert "2 people have voted" in room.voters.value
    assert "Queue at the till" in room.table.value and "spread" in room.table.value
    assert room.merged.set_index("item").at["pp_1", "spread"] == 4
    # a participant's card shows their own earlier votes again
    assert VotingCard(ws, "Ben").choices["pp_1"]["severity"].value == 5


def test_the_chart_rings_split_items_and_lists_the_votes(tmp_path):
    from journeykit.sample.simulation import generate_sample

    shop = generate_sample(tmp_path / "shop", customers=150, months=4)
    collect_votes(load_workspace(shop), [_votes(tmp_path, "a", "item,severity\npp01,1\npp02,3\n"),
                                         _votes(tmp_path, "b", "item,severity\npp01,5\npp02,3\n")])
    scored = score_pain_points(load_workspace(shop))
    figure = impact_effort_matrix(scored)
    gids = [line.get_gid() for ax in figure.axes for line in ax.lines]
    assert "split:pp01" in gids and "split:pp02" not in gids and "pain:pp02" in gids
    texts = " ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert "2 votes, spread 4" in texts
    figure.savefig(ARTIFACTS / "impact_effort_votes.png")


def test_serve_binds_to_localhost_and_shares_with_a_token():
    assert share_url("localhost", 8866, None) == "http://localhost:8866/"
    lan = share_url("0.0.0.0", 8866, "tok")
    assert lan.startswith("http://") and lan.endswith(":8866/?token=tok") and "0.0.0.0" not in lan
    command = serve_arguments(__import__("pathlib").Path("app.ipynb"), "localhost", 9000, None)
    assert "--Voila.ip=localhost" in command and "--strip_sources=True" in command
