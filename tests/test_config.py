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


# ---------------------------------------------------------------- the schema of journey.yaml

def _problems(doc: dict) -> dict:
    return {p.column: p for p in parse_config(doc)[1]}


@pytest.mark.parametrize(("doc", "column", "guess"), [
    ({**BASE, "timezon": "Europe/Amsterdam"}, "timezon", "timezone"),
    ({**BASE, "defautls": {"window": "60D"}}, "defautls", "defaults"),
    ({**BASE, "chanels": ["web"]}, "chanels", "channels"),
    ({**BASE, "Currency": "USD"}, "Currency", "currency"),
    ({"business": "Shop", "stages": [{"id": "a", "evnets": ["x"]}]}, "stages[1].evnets", "events"),
    ({**BASE, "kpis": {"nps": {"target": 40, "direciton": "lower"}}}, "kpis.nps.direciton", "direction"),
    ({**BASE, "kpis": {"nps": {"taget": 40}}}, "kpis.nps.taget", "target"),
    ({**BASE, "themes": {"d": {"keywords": ["late"], "stgae": "a"}}}, "themes.d.stgae", "stage"),
    ({**BASE, "columns": {"feedbak": {"nps": "Score"}}}, "columns.feedbak", "feedback"),
    ({**BASE, "columns": {"feedback": {"npss": "Score"}}}, "columns.feedback.npss", "nps"),
])
def test_a_misspelt_key_at_any_level_is_an_error_with_a_did_you_mean(doc, column, guess) -> None:
    problem = _problems(doc)[column]
    assert problem.severity == "error"
    assert problem.expected.startswith(f"did you mean {guess!r}?"), problem.expected


def test_an_unknown_key_with_no_close_match_lists_the_known_ones() -> None:
    problem = _problems({**BASE, "zzz": 1})["zzz"]
    assert problem.severity == "error" and "timezone" in problem.expected and "did you mean" not in problem.expected


@pytest.mark.parametrize(("extra", "column", "words"), [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "IANA"),
    ({"timezone": 5}, "timezone", "IANA"),
    ({"timezone": "localtime"}, "timezone", "IANA"),
    ({"timezone": "right/Europe/Amsterdam"}, "timezone", "IANA"),
    ({"timezone": "/etc/localtime"}, "timezone", "IANA"),
    ({"timezone": "Europe/Amsterdam "}, "timezone", "IANA"),
    ({"currency": "EURO"}, "currency", "3-letter"),
    ({"currency": "€"}, "currency", "3-letter"),
    ({"currency": ["EUR"]}, "currency", "3-letter"),
    ({"business": ["a", "b"]}, "business", "text"),
    ({"channels": "web, store"}, "channels", "a list of text"),
    ({"channels": ["web", {"store": 1}]}, "channels[2]", "text"),
    ({"channels": ["web", None]}, "channels[2]", "text"),
    ({"owners": ["Sales", True]}, "owners[2]", "text"),
    ({"kpis": {"nps": {"target": "forty"}}}, "kpis.nps.target", "a number"),
    ({"kpis": {"nps": {"target": True}}}, "kpis.nps.target", "a number"),
    ({"kpis": {"nps": {"target": float("inf")}}}, "kpis.nps.target", "a number"),
    ({"kpis": {"nps": {"target": 40, "direction": "up"}}}, "kpis.nps.direction", "higher or lower"),
    ({"kpis": {"nps": {"target": 40, "warning": -5}}}, "kpis.nps.warning", "a number >= 0"),
    ({"kpis": {"nps": {"target": 40, "warning": "10"}}}, "kpis.nps.warning", "a number >= 0"),
    ({"kpis": {"nps": {"target": 40, "label": ["x"]}}}, "kpis.nps.label", "text"),
    ({"kpis": ["nps"]}, "kpis", "mapping"),
    ({"themes": {"d": {"keywords": "late, delivery"}}}, "themes.d.keywords", "a list of keywords"),
    ({"themes": {"d": {"keywords": ["late", ["x"]]}}}, "themes.d.keywords[2]", "text"),
    ({"themes": {"d": {"keywords": ["late"], "stage": "nowhere"}}}, "themes.d.stage", "a stage id"),
    ({"themes": {"d": {"keywords": ["late"], "touchpoint": {"a": 1}}}}, "themes.d.touchpoint", "text"),
    ({"columns": {"feedback": {"nps": None}}}, "columns.feedback.nps", "the name of the column"),
    ({"columns": {"feedback": ["nps"]}}, "columns.feedback", "canonical column"),
    ({"defaults": ["window"]}, "defaults", "a mapping"),
])
def test_every_value_is_typed(extra, column, words) -> None:
    problem = _problems({**BASE, **extra})[column]
    assert problem.severity == "error" and words in problem.expected, problem.expected


@pytest.mark.parametrize(("stage", "column", "words"), [
    ({"id": "a", "emotion": "happy"}, "stages[1].emotion", "-2 to 2"),
    ({"id": "a", "emotion": True}, "stages[1].emotion", "-2 to 2"),
    ({"id": "a", "emotion": 3}, "stages[1].emotion", "-2 to 2"),
    ({"id": "a", "events": "ad_click, visit"}, "stages[1].events", "a list of text"),
    ({"id": "a", "events": ["ad_click", {"x": 1}]}, "stages[1].events[2]", "text"),
    ({"id": "a", "name": ["A"]}, "stages[1].name", "text"),
    ({"id": ["a"]}, "stages[1]", "a stage with an id"),
])
def test_every_stage_value_is_typed(stage, column, words) -> None:
    problem = _problems({"business": "Shop", "stages": [stage]})[column]
    assert problem.severity == "error" and words in problem.expected, problem.expected


def test_valid_values_are_read_as_written() -> None:
    doc = {**BASE, "currency": "usd", "timezone": "America/New_York", "channels": ["web", 7],
           "kpis": {"nps": {"target": 40, "direction": "Lower", "warning": 5, "label": "NPS"}, "ces": 5.5},
           "themes": {"d": {"keywords": ["late"], "stage": "a", "touchpoint": "tp_x", "label": "D"},
                      "q": ["queue"]},
           "columns": {"feedback": {"nps": "Score", "date": 2025}, "orders": None}}
    config, problems = parse_config(doc)
    assert problems == [] and config is not None
    assert (config.currency, config.timezone, config.channels) == ("USD", "America/New_York", ("web", "7"))
    assert config.kpis == {"nps": {"target": 40, "direction": "lower", "warning": 5, "label": "NPS"},
                           "ces": {"target": 5.5, "direction": "higher"}}
    assert config.themes["q"] == {"keywords": ["queue"]}
    assert config.columns == {"feedback": {"nps": "Score", "date": "2025"}}


def test_the_journey_yaml_of_a_new_workspace_and_of_the_demo_have_no_problems(tmp_path) -> None:
    from journeykit.workspace.config import read_config
    from journeykit.workspace.scaffold import new_workspace

    from .conftest import SAMPLE

    for path in (new_workspace(tmp_path / "new") / "journey.yaml", SAMPLE / "journey.yaml"):
        config, problems = read_config(path)
        assert config is not None and problems == [], problems


def test_a_misspelt_key_fails_validation_of_a_workspace(make_workspace) -> None:
    import journeykit as jk

    from .conftest import JOURNEY_YAML

    folder = make_workspace(**{"journey.yaml": JOURNEY_YAML.replace("timezone:", "timezon:")})
    [problem] = [p for p in jk.validate_workspace(folder) if p.severity == "error"]
    assert (problem.file, problem.column) == ("journey.yaml", "timezon")
    assert "did you mean 'timezone'" in problem.expected


# ---------------------------------------------------------------- YAML limits

def _read(tmp_path, text: str | bytes):
    from journeykit.workspace.config import read_config

    path = tmp_path / "journey.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return read_config(path)


def _laughs(levels: int, width: int = 9) -> str:
    lines = ["business: Shop", "stages: [a]", 'themes: {x: {keywords: [&l0 "lol"]}}', "kpis:"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"  k{level}: {{target: 1, label: &l{level} [{refs}]}}")
    lines.append(f"channels: *l{levels}")  # a place the old loader turned into text: it hung
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [9, 5])
def test_an_alias_bomb_is_refused_in_milliseconds(tmp_path, levels: int) -> None:
    import time

    start = time.perf_counter()
    config, [problem] = _read(tmp_path, _laughs(levels))
    assert time.perf_counter() - start < 2
    assert config is None and problem.file == "journey.yaml" and problem.severity == "error"
    assert "alias" in problem.expected


def test_the_billion_laughs_file_is_a_clean_validation_error(make_workspace) -> None:
    import subprocess
    import sys

    folder = make_workspace(**{"journey.yaml": _laughs(9)})
    result = subprocess.run([sys.executable, "-m", "journeykit.run.cli", "validate", str(folder)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "journey.yaml" in result.stdout and "alias" in result.stdout
    assert "Traceback" not in result.stderr


def test_aliases_within_the_limits_are_read(tmp_path) -> None:
    text = ("business: Shop\nstages: [a]\nkpis:\n  nps: &k {target: 40, direction: higher, warning: 5}\n"
            "  ces: {<<: *k, target: 5.5}\n")
    config, problems = _read(tmp_path, text)
    assert problems == [] and config is not None
    assert config.kpis["ces"] == {"target": 5.5, "direction": "higher", "warning": 5}


@pytest.mark.parametrize(("text", "words"), [
    ("business: Shop\nstages: &s [a, *s]\n", "recursive"),
    ("business: Shop\nstages: [a]\nkpis: " + "[" * 500 + "]" * 500 + "\n", "nested"),
    ("business: Shop\ntimezone: UTC\nstages: [a]\ntimezone: Europe/Paris\n", "each key once"),
])
def test_recursive_deep_and_repeated_yaml_is_refused(tmp_path, text: str, words: str) -> None:
    config, [problem] = _read(tmp_path, text)
    assert config is None and words in problem.expected, problem.expected


def test_a_repeated_key_names_both_lines(tmp_path) -> None:
    _, [problem] = _read(tmp_path, "business: Shop\ntimezone: UTC\nstages: [a]\ntimezone: Europe/Paris\n")
    assert problem.row == 4 and "line 2" in problem.expected


def test_a_journey_yaml_over_the_size_limit_is_refused(tmp_path) -> None:
    from journeykit.workspace import yamlfile

    text = "business: Shop\nstages: [a]\n" + "# padding\n" * (yamlfile.MAX_BYTES // 10 + 1)
    config, [problem] = _read(tmp_path, text)
    assert config is None and "at most 1,024 KB" in problem.expected


def test_more_aliases_than_the_limit_are_refused(tmp_path) -> None:
    from journeykit.workspace import yamlfile

    refs = ", ".join(["*w"] * (yamlfile.MAX_ALIASES + 1))
    text = f"business: Shop\nstages: [a]\nchannels: [&w web, {refs}]\n"
    config, [problem] = _read(tmp_path, text)
    assert config is None and f"at most {yamlfile.MAX_ALIASES} aliases" in problem.expected
    assert problem.row == 3


@pytest.mark.parametrize("fast", [True, False])
def test_the_limits_hold_with_and_without_libyaml(monkeypatch, fast: bool) -> None:
    from journeykit.workspace import yamlfile

    if not fast:
        monkeypatch.setattr(yamlfile, "_FAST", None)
    elif yamlfile._FAST is None:
        pytest.skip("PyYAML without libyaml")
    assert yamlfile.load_yaml_text("a: &x {k: 1}\nb: {<<: *x, j: 2}\n") == {"a": {"k": 1}, "b": {"k": 1, "j": 2}}
    for text, words in [(_laughs(9), "aliases"), ("a: &s [*s]\n", "recursive"),
                        ("a: " + "[" * 200 + "]" * 200, "nested"), ("a: 1\na: 2\n", "each key once")]:
        with pytest.raises(yamlfile.YamlLimitError, match=words):
            yamlfile.load_yaml_text(text)


def test_a_large_journey_yaml_within_the_limit_is_read_in_seconds(tmp_path) -> None:
    import time

    text = "business: Shop\nstages: [a]\nchannels:\n" + "".join(f"- c{i}\n" for i in range(60_000))
    start = time.perf_counter()
    config, problems = _read(tmp_path, text)
    assert problems == [] and config is not None and len(config.channels) == 60_000
    assert time.perf_counter() - start < 20
