"""journeykit.workspace.config: journey.yaml's ``defaults:`` as one typed Defaults."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from journeykit.workspace.config import Defaults, parse_config

BASE = {"business": "Shop", "stages": [{"id": "a", "name": "A"}]}


def _parse(defaults: object):
    config, problems = parse_config({**BASE, "defaults": defaults})
    return config, {p.column: p for p in problems}


def test_defaults_are_typed_with_their_documented_values() -> None:
    config, problems = _parse({})
    assert not problems and config is not None
    assert config.defaults == Defaults()
    assert config.defaults.window_delta == pd.Timedelta(days=14)
    assert config.defaults.stage_window_delta is None  # the stage funnel: no limit
    assert config.defaults.session_gap_delta == pd.Timedelta(minutes=30)
    assert (config.defaults.csat_definition, config.defaults.dayfirst) == ("top2", True)


def test_settings_from_journey_yaml_are_read() -> None:
    text = "window: 60D\nstage_window: 90D\nsession_gap: 45min\ncsat_definition: mean\ndayfirst: false\n"
    config, problems = _parse(yaml.safe_load(text))
    assert not problems and config is not None
    d = config.defaults
    assert (d.window_delta, d.stage_window_delta, d.session_gap_delta) == (
        pd.Timedelta(days=60), pd.Timedelta(days=90), pd.Timedelta(minutes=45))
    assert (d.csat_definition, d.dayfirst) == ("mean", False)
    assert _parse({"stage_window": "none"})[0].defaults.stage_window is None


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("window", "banana", "a duration such as 14D, 12h or 30min"),
    ("session_gap", "-5min", "a duration such as 14D, 12h or 30min"),
    ("session_gap", "0min", "a positive duration such as 30min"),
    ("csat_definition", "top3", "top2 or mean"),
    ("dayfirst", "sometimes", "true or false"),
])
def test_a_setting_that_is_not_valid_is_a_problem(key: str, value: str, expected: str) -> None:
    config, problems = _parse({key: value})
    problem = problems[f"defaults.{key}"]
    assert problem.severity == "error" and problem.expected == expected
    assert str(problem.value) == value
    assert config is not None and config.defaults == Defaults()  # validation goes on


def test_a_misspelt_setting_is_a_problem_that_names_the_right_one() -> None:
    _, problems = _parse({"widnow": "60D"})
    problem = problems["defaults.widnow"]
    assert problem.severity == "error"
    assert problem.expected.startswith("did you mean 'window'?")
