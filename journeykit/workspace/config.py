"""journey.yaml: the business, its ordered stages, channels, teams, KPI targets,
keyword themes, parameter defaults and column mappings.

Example:
    >>> cfg = parse_config({"business": "Bikes", "stages": [{"id": "awareness"}]}, "journey.yaml")[0]
    >>> cfg.stage_ids
    ['awareness']
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from journeykit.core.durations import parse_duration
from journeykit.core.errors import JourneykitError, Problem, Severity
from journeykit.workspace.events_backend import EventsBackend, parse_events_backend
from journeykit.workspace.ids import normalise_id
from journeykit.workspace.imports.spec import SourceSpec, parse_sources
from journeykit.workspace.schema import TABLES
from journeykit.workspace.yamlfile import YamlLimitError, read_yaml_file
from journeykit.workspace.yamlvalues import TEXT_HINT as _TEXT
from journeykit.workspace.yamlvalues import Bad
from journeykit.workspace.yamlvalues import check_keys as _check_keys
from journeykit.workspace.yamlvalues import text_value as _text

CONFIG_FILE = "journey.yaml"


@dataclass(frozen=True)
class Stage:
    """One stage of the journey, in order. ``events`` are the event names that belong
    to it; ``emotion`` is the workshop's estimate (-2..+2) or None."""

    id: str
    name: str
    description: str = ""
    events: tuple[str, ...] = ()
    emotion: float | None = None


@dataclass(frozen=True)
class Defaults:
    """The analysis settings of journey.yaml ``defaults:``, typed, with their defaults. Every
    analysis reads its settings here (and the report prints the same ones), so the numbers
    and the definitions beside them can never disagree.

    * ``window``: the funnel conversion window from the step-1 event (``"14D"``; a duration
      text such as ``60D`` or ``12h``);
    * ``stage_window``: the window of the stage funnel (awareness to retention), from the
      first-stage event; ``None`` (journey.yaml ``none``, the default) for no limit, since
      a journey across stages often takes longer than a funnel's two weeks;
    * ``session_gap``: inactivity that starts a new session in paths (``"30min"``);
    * ``csat_definition``: ``"top2"`` (share of 4-5 answers) or ``"mean"`` (average 1-5);
    * ``dayfirst``: read ambiguous dates such as ``03/04/2025`` as day/month (``True``) or
      month/day (``False``); a date column no value decides is read this way with a warning,
      and one whose values contradict it is an error;
    * ``dates_from`` / ``dates_to``: the plausible range of every date in the tables
      (ISO dates, inclusive; ``1990-01-01`` / ``2100-12-31``); a date outside is an error.

    Example:
        >>> Defaults().window_delta
        Timedelta('14 days 00:00:00')
    """

    window: str = "14D"
    stage_window: str | None = None
    session_gap: str = "30min"
    csat_definition: str = "top2"
    dayfirst: bool = True
    dates_from: str = "1990-01-01"
    dates_to: str = "2100-12-31"

    @property
    def window_delta(self) -> pd.Timedelta | None:
        """The conversion window as a Timedelta (None for no limit)."""
        return parse_duration(self.window, name="defaults.window")

    @property
    def stage_window_delta(self) -> pd.Timedelta | None:
        """The stage funnel's window as a Timedelta (None for no limit)."""
        return parse_duration(self.stage_window, name="defaults.stage_window")

    @property
    def session_gap_delta(self) -> pd.Timedelta:
        """The session gap as a Timedelta."""
        gap = parse_duration(self.session_gap, name="defaults.session_gap")
        return pd.Timedelta(minutes=30) if gap is None else gap


CSAT_DEFINITIONS = ("top2", "mean")

@dataclass(frozen=True)
class JourneyConfig:
    """The parsed journey.yaml. ``columns`` maps table -> {canonical: user column}."""

    business: str
    currency: str = "EUR"
    timezone: str = "UTC"
    stages: tuple[Stage, ...] = ()
    channels: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)
    themes: dict[str, dict[str, Any]] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    #: exports re-imported at every load (journey.yaml ``sources:``, see
    #: :mod:`journeykit.workspace.imports.spec`)
    sources: tuple[SourceSpec, ...] = ()
    #: where the event log lives and which engine reads it (journey.yaml ``events:``);
    #: None: the workspace's events table, read by DuckDB
    events_backend: EventsBackend | None = None

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    @property
    def event_stage(self) -> dict[str, str]:
        """Event name -> stage id."""
        return {event: stage.id for stage in self.stages for event in stage.events}

    def stage(self, stage_id: str) -> Stage:
        return next(s for s in self.stages if s.id == stage_id)


def read_config(path: Path) -> tuple[JourneyConfig | None, list[Problem]]:
    """Read and check ``path`` (a journey.yaml). Returns the config (None when it
    cannot be used) and the problems found. The file is read within the limits of
    :mod:`journeykit.workspace.yamlfile` (size, aliases, nesting, no key twice)."""
    name = path.name
    if not path.is_file():
        return None, [Problem(name, "a journey.yaml file (create a workspace with `journeykit new DIR`)")]
    try:
        raw = read_yaml_file(path)
    except UnicodeDecodeError:
        return None, [Problem(name, "UTF-8 text")]
    except YamlLimitError as exc:
        return None, [Problem(name, exc.expected, row=exc.row)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, f"valid YAML ({reason})", row=row)]
    return parse_config(raw, name)


#: the keys journey.yaml knows, at each level (anything else is a problem with a "did you mean")
TOP_LEVEL_KEYS = ("business", "name", "currency", "timezone", "stages", "channels", "owners",
                  "kpis", "themes", "defaults", "columns", "sources", "events")
STAGE_KEYS = ("id", "name", "description", "events", "emotion")
KPI_KEYS = ("target", "direction", "warning", "label")
THEME_KEYS = ("keywords", "stage", "touchpoint", "label")
#: files of a system's zoneinfo folder that ZoneInfo opens but are no IANA zone of a place
#: (``localtime`` is whatever the machine is set to; ``right/`` zones count leap seconds)
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}$")





def _number(value: Any) -> float | None:
    """A YAML number (not yes/no, not text), finite; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text_list(value: Any, key: str, bad: Bad, example: str) -> tuple[str, ...]:
    """A YAML list of text (blank items dropped); a problem for anything else."""
    if value is None:
        return ()
    if not isinstance(value, list):
        bad(key, value, f"a list of text, e.g. {example}")
        return ()
    items: list[str] = []
    for index, item in enumerate(value, start=1):
        text = _text(item)
        if text is None:
            bad(f"{key}[{index}]", item, _TEXT)
        elif text.strip():
            items.append(text.strip())
    return tuple(items)


def parse_config(raw: Any, name: str = CONFIG_FILE) -> tuple[JourneyConfig | None, list[Problem]]:
    """Check a loaded YAML document against journey.yaml's schema and build a
    :class:`JourneyConfig`. Every key at every level must be known (:data:`TOP_LEVEL_KEYS`,
    :data:`STAGE_KEYS`, :data:`KPI_KEYS`, :data:`THEME_KEYS`, the ``defaults`` settings,
    table and column names under ``columns``) and every value typed; each departure is a
    :class:`Problem` naming the key as ``column`` (``stages[2].emotion``)."""
    problems: list[Problem] = []

    def bad(key: str, value: Any, expected: str, severity: Severity = "error") -> None:
        problems.append(Problem(name, expected, column=key, value=value, severity=severity))

    if not isinstance(raw, dict):
        return None, [Problem(name, "a YAML mapping with business, stages, channels, ...", value=raw)]
    _check_keys(raw, TOP_LEVEL_KEYS, "", bad)

    raw_business = raw.get("business") if raw.get("business") is not None else raw.get("name")
    business = _text(raw_business)
    if business is None or not business.strip():
        if raw_business is not None and business is None:  # there, but not text
            bad("business", raw_business, "the business name as " + _TEXT)
        else:
            bad("business", None, "the business name, e.g. business: Corner Bakery")
        business = "(unnamed business)"

    currency = "EUR"
    if raw.get("currency") is not None:
        code = _text(raw["currency"])
        if code is None or not _CURRENCY_CODE.match(code.strip()):
            bad("currency", raw["currency"], "a 3-letter ISO 4217 currency code such as EUR, USD or GBP")
        else:
            currency = code.strip().upper()

    timezone = "UTC"
    if raw.get("timezone") not in (None, ""):
        zone = _text(raw["timezone"])
        try:
            if zone is None or zone in _NOT_ZONES or zone.startswith(("posix/", "right/")):
                raise ValueError(zone)
            ZoneInfo(zone)
            timezone = zone
        except (ZoneInfoNotFoundError, ValueError):
            bad("timezone", raw["timezone"], "an IANA time zone such as Europe/Amsterdam or UTC")

    stages = _parse_stages(raw.get("stages"), bad)
    channels = _text_list(raw.get("channels"), "channels", bad, "[web, store, phone]")
    owners = _text_list(raw.get("owners"), "owners", bad, "[Marketing, Sales]")
    kpis = _parse_kpis(raw.get("kpis"), bad)
    themes = _parse_themes(raw.get("themes"), {s.id for s in stages}, bad)
    defaults = _parse_defaults(raw.get("defaults") or {}, bad)
    columns = _parse_columns(raw.get("columns"), bad)
    sources = parse_sources(raw.get("sources"), bad)
    events_backend = parse_events_backend(raw.get("events"), bad)

    config = JourneyConfig(
        business=business,
        currency=currency,
        timezone=timezone,
        stages=tuple(stages),
        channels=channels,
        owners=owners,
        kpis=kpis,
        themes=themes,
        defaults=defaults,
        columns=columns,
        sources=sources,
        events_backend=events_backend,
    )
    usable = bool(stages)
    return (config if usable else None), problems


def _parse_stages(raw_stages: Any, bad: Bad) -> list[Stage]:
    """journey.yaml ``stages:``: an ordered list of stage ids or {id, name, description,
    events, emotion}; stage ids and event names are unique."""
    stages: list[Stage] = []
    seen_events: dict[str, str] = {}
    if not isinstance(raw_stages, list) or not raw_stages:
        bad("stages", raw_stages, "an ordered list of stages, each with at least an id")
        return stages
    for index, item in enumerate(raw_stages, start=1):
        key = f"stages[{index}]"
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            item = {"id": item}
        if not isinstance(item, dict) or item.get("id") is None or _text(item["id"]) is None:
            bad(key, item, "a stage with an id, e.g. {id: awareness, name: Awareness}")
            continue
        _check_keys(item, STAGE_KEYS, f"{key}.", bad)
        written = str(item["id"]).strip()
        stage_id = normalise_id(written)
        if not stage_id:
            bad(f"{key}.id", item["id"], "a stage id that is not blank")
            continue
        if stage_id != written:
            bad(f"{key}.id", written, f"a stage id in one spelling (read as {stage_id!r}: "
                "invisible characters and no-break spaces removed)", "warning")
        if stage_id in {s.id for s in stages}:
            bad(f"{key}.id", stage_id, "stage ids that are unique")
            continue
        events = _text_list(item.get("events"), f"{key}.events", bad, "[ad_click, store_visit]")
        for event in events:
            if event in seen_events:
                bad(f"{key}.events", event,
                    f"each event in one stage only (it is also in stage {seen_events[event]})")
            seen_events.setdefault(event, stage_id)
        emotion: float | None = None
        if item.get("emotion") is not None:
            emotion = _number(item["emotion"])
            if emotion is None or not -2 <= emotion <= 2:
                bad(f"{key}.emotion", item["emotion"], "a number from -2 to 2")
                emotion = None
        label = {}
        for text_key in ("name", "description"):
            if item.get(text_key) is not None and _text(item[text_key]) is None:
                bad(f"{key}.{text_key}", item[text_key], _TEXT)
            label[text_key] = _text(item.get(text_key)) or ""
        stages.append(Stage(
            id=stage_id,
            name=label["name"] or stage_id.replace("_", " ").capitalize(),
            description=label["description"],
            events=events,
            emotion=emotion,
        ))
    return stages


def _parse_kpis(raw_kpis: Any, bad: Bad) -> dict[str, dict[str, Any]]:
    """journey.yaml ``kpis:``: KPI name -> {target: number, direction: higher|lower,
    warning: number >= 0, label: text}, or just the target."""
    kpis: dict[str, dict[str, Any]] = {}
    if raw_kpis is None:
        return kpis
    if not isinstance(raw_kpis, dict):
        bad("kpis", raw_kpis, "a mapping of KPI name to {target, direction, warning, label}")
        return kpis
    for kpi, spec in raw_kpis.items():
        key = f"kpis.{kpi}"
        if _number(spec) is not None:
            spec = {"target": spec}
        if not isinstance(spec, dict):
            bad(key, spec, "{target: number, direction: higher|lower, warning: number, label: text}")
            continue
        _check_keys(spec, KPI_KEYS, f"{key}.", bad)
        target = _number(spec.get("target"))
        if target is None:
            bad(f"{key}.target", spec.get("target"), "a number (the KPI's target), e.g. target: 40")
            continue
        clean: dict[str, Any] = {"target": spec["target"]}
        direction = _text(spec.get("direction", "higher"))
        if direction is None or direction.strip().lower() not in ("higher", "lower"):
            bad(f"{key}.direction", spec.get("direction"), "higher or lower")
            direction = "higher"
        clean["direction"] = direction.strip().lower()
        if spec.get("warning") is not None:
            warning = _number(spec["warning"])
            if warning is None or warning < 0:
                bad(f"{key}.warning", spec["warning"], "a number >= 0 (how far from the target is amber)")
            else:
                clean["warning"] = spec["warning"]
        if spec.get("label") is not None:
            if _text(spec["label"]) is None:
                bad(f"{key}.label", spec["label"], _TEXT)
            else:
                clean["label"] = str(spec["label"])
        kpis[str(kpi)] = clean
    return kpis


def _parse_themes(raw_themes: Any, stage_ids: set[str], bad: Bad) -> dict[str, dict[str, Any]]:
    """journey.yaml ``themes:``: theme name -> {keywords: [text], stage: stage id,
    touchpoint: touchpoint id, label: text}, or just the keyword list."""
    themes: dict[str, dict[str, Any]] = {}
    if raw_themes is None:
        return themes
    if not isinstance(raw_themes, dict):
        bad("themes", raw_themes, "a mapping of theme name to {keywords: [...], stage, touchpoint}")
        return themes
    for theme, spec in raw_themes.items():
        key = f"themes.{theme}"
        if isinstance(spec, list):
            spec = {"keywords": spec}
        if not isinstance(spec, dict):
            bad(key, spec, "{keywords: [words...], stage: id, touchpoint: id, label: text}")
            continue
        _check_keys(spec, THEME_KEYS, f"{key}.", bad)
        raw_keywords = spec.get("keywords")
        if not isinstance(raw_keywords, list) or not raw_keywords:
            bad(f"{key}.keywords", raw_keywords, "a list of keywords, e.g. [late, delivery]")
            continue
        keywords = _text_list(raw_keywords, f"{key}.keywords", bad, "[late, delivery]")
        if not keywords:
            continue
        clean: dict[str, Any] = {"keywords": list(keywords)}
        for text_key in ("stage", "touchpoint", "label"):
            value = spec.get(text_key)
            if value is None:
                continue
            text = _text(value)
            if text is None:
                bad(f"{key}.{text_key}", value, _TEXT)
                continue
            if text_key in ("stage", "touchpoint"):
                text = normalise_id(text)
            if text_key == "stage" and text not in stage_ids:
                bad(f"{key}.stage", value, "a stage id from stages")
            clean[text_key] = text
        themes[str(theme)] = clean
    return themes


def _parse_columns(raw_columns: Any, bad: Bad) -> dict[str, dict[str, str]]:
    """journey.yaml ``columns:``: table -> {canonical column: the column name in your file}."""
    columns: dict[str, dict[str, str]] = {}
    if raw_columns is None:
        return columns
    if not isinstance(raw_columns, dict):
        bad("columns", raw_columns, "a mapping table -> {canonical column: your column}")
        return columns
    for table, mapping in raw_columns.items():
        if table not in TABLES:
            guess = difflib.get_close_matches(str(table), list(TABLES), n=1)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            bad(f"columns.{table}", table, f"{hint}a table name: " + ", ".join(TABLES))
            continue
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            bad(f"columns.{table}", mapping, "{canonical column: your column name}")
            continue
        known = TABLES[table].names
        clean: dict[str, str] = {}
        for canonical, theirs in mapping.items():
            key = f"columns.{table}.{canonical}"
            if canonical not in known and not TABLES[table].keep_extra_columns:
                guess = difflib.get_close_matches(str(canonical), known, n=1)
                hint = f"did you mean {guess[0]!r}? " if guess else ""
                bad(key, canonical, f"{hint}a column of {table}: " + ", ".join(known))
                continue
            text = _text(theirs)
            if text is None or not text.strip():
                bad(key, theirs, "the name of the column in your file as " + _TEXT)
                continue
            clean[str(canonical)] = text
        columns[table] = clean
    return columns


def _parse_defaults(raw: Any, bad: Any) -> Defaults:
    """journey.yaml ``defaults:`` as :class:`Defaults`; a value that is not valid is a problem
    (and its default is used, so validation can go on and report every problem)."""
    if not isinstance(raw, dict):
        bad("defaults", raw, "a mapping: window, stage_window, session_gap, csat_definition, dayfirst, "
            "dates_from, dates_to")
        return Defaults()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "stage_window" and (value is None or str(value).strip().lower() in ("none", "")):
            values[key] = None
        elif key in ("window", "stage_window", "session_gap"):
            try:
                gap = parse_duration(str(value), name=f"defaults.{key}")
            except JourneykitError:
                bad(f"defaults.{key}", value, "a duration such as 14D, 12h or 30min")
                continue
            if key == "session_gap" and (gap is None or gap <= pd.Timedelta(0)):
                bad("defaults.session_gap", value, "a positive duration such as 30min")
                continue
            values[key] = str(value)
        elif key == "csat_definition":
            if str(value) not in CSAT_DEFINITIONS:
                bad("defaults.csat_definition", value, "top2 or mean")
                continue
            values[key] = str(value)
        elif key == "dayfirst":
            if not isinstance(value, bool):
                bad("defaults.dayfirst", value, "true or false")
                continue
            values[key] = value
        elif key in ("dates_from", "dates_to"):
            text = value.isoformat() if hasattr(value, "isoformat") else str(value)
            try:
                stamp = pd.Timestamp(text)
            except (ValueError, TypeError, OverflowError):
                stamp = None
            if stamp is None or pd.isna(stamp) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
                bad(f"defaults.{key}", value, "a date written YYYY-MM-DD, e.g. 1990-01-01")
                continue
            values[key] = text.strip()
        else:
            known = [f.name for f in fields(Defaults)]
            guess = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            bad(f"defaults.{key}", key, f"{hint}a known setting: {', '.join(known)}")
    if values.get("dates_from", Defaults.dates_from) > values.get("dates_to", Defaults.dates_to):
        bad("defaults.dates_from", values.get("dates_from"), "a date on or before defaults.dates_to")
        values.pop("dates_from", None)
        values.pop("dates_to", None)
    return Defaults(**values)
