"""The definitions printed in every report follow the workspace's settings."""

import journeykit as jk
from journeykit.analytics.painpoints import DEFAULT_WEIGHTS


def test_semantics_cover_every_number_and_follow_the_workspace(make_workspace):
    folder = make_workspace()
    text = (folder / "journey.yaml").read_text() + "defaults: {csat_definition: mean, session_gap: 45min}\n"
    (folder / "journey.yaml").write_text(text)
    table = jk.semantics(jk.load_workspace(folder)).set_index("topic")["definition"]
    assert {"Funnels", "Paths", "Retention", "NPS", "CSAT", "CES", "Customer lifetime value",
            "Pain-point priority", "Timestamps"} <= set(table.index)
    assert "mean answer" in table["CSAT"] and "45min" in table["Paths"]
    assert "Europe/Amsterdam" in table["Timestamps"]
    for name, weight in DEFAULT_WEIGHTS.items():
        assert f"{name} {weight:g}" in table["Pain-point priority"]
    assert "share of answers 4-5" in jk.semantics().set_index("topic").loc["CSAT", "definition"]
