"""journey.yaml: the business, its ordered stages, channels, teams, KPI targets,
keyword themes, parameter defaults and column mappings.

Example:
    >>> cfg = parse_config({"business": "Bikes", "stages": [{"id": "awareness"}]}, "journey.yaml")[0]
    >>> cfg.stage_ids
    ['awareness']
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from journeykit.core.durations import parse_duration
from journeykit.core.errors import JourneykitError, Problem, Severity
from journeykit.workspace.schema import TABLES

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
      text such as ``60D``, ``12h``, or ``none`` for no limit);
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
    cannot be used) and the problems found."""
    name = path.name
    if not path.is_file():
        return None, [Problem(name, "a journey.yaml file (create a workspace with `journeykit new DIR`)")]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        return None, [Problem(name, "UTF-8 text")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, f"valid YAML ({reason})", row=row)]
    return parse_config(raw, name)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def parse_config(raw: Any, name: str = CONFIG_FILE) -> tuple[JourneyConfig | None, list[Problem]]:
    """Check a loaded YAML document and build a :class:`JourneyConfig`."""
    problems: list[Problem] = []

    def bad(key: str, value: Any, expected: str, severity: Severity = "error") -> None:
        problems.append(Problem(name, expected, column=key, value=value, severity=severity))

    if not isinstance(raw, dict):
        return None, [Problem(name, "a YAML mapping with business, stages, channels, ...", value=raw)]

    business = raw.get("business") or raw.get("name")
    if not business:
        bad("business", None, "the business name, e.g. business: Corner Bakery")
        business = "(unnamed business)"

    timezone = str(raw.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        bad("timezone", timezone, "an IANA time zone such as Europe/Amsterdam or UTC")
        timezone = "UTC"

    stages: list[Stage] = []
    seen_events: dict[str, str] = {}
    raw_stages = raw.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        bad("stages", raw_stages, "an ordered list of stages, each with at least an id")
        raw_stages = []
    for index, item in enumerate(raw_stages, start=1):
        key = f"stages[{index}]"
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict) or not item.get("id"):
            bad(key, item, "a stage with an id, e.g. {id: awareness, name: Awareness}")
            continue
        stage_id = str(item["id"]).strip()
        if stage_id in {s.id for s in stages}:
            bad(f"{key}.id", stage_id, "stage ids that are unique")
            continue
        events = tuple(str(e).strip() for e in _as_list(item.get("events")) if str(e).strip())
        for event in events:
            if event in seen_events:
                bad(f"{key}.events", event,
                    f"each event in one stage only (it is also in stage {seen_events[event]})")
            seen_events.setdefault(event, stage_id)
        emotion = item.get("emotion")
        if emotion is not None:
            try:
                emotion = float(emotion)
                if not -2 <= emotion <= 2:
                    raise ValueError
            except (TypeError, ValueError):
                bad(f"{key}.emotion", item.get("emotion"), "a number from -2 to 2")
                emotion = None
        stages.append(Stage(
            id=stage_id,
            name=str(item.get("name") or stage_id.replace("_", " ").capitalize()),
            description=str(item.get("description") or ""),
            events=events,
            emotion=emotion,
        ))

    channels = tuple(str(c).strip() for c in _as_list(raw.get("channels")) if str(c).strip())
    owners = tuple(str(c).strip() for c in _as_list(raw.get("owners")) if str(c).strip())

    kpis: dict[str, dict[str, Any]] = {}
    raw_kpis = raw.get("kpis") or {}
    if not isinstance(raw_kpis, dict):
        bad("kpis", raw_kpis, "a mapping of KPI name to {target, direction, warning}")
        raw_kpis = {}
    for kpi, spec in raw_kpis.items():
        if isinstance(spec, (int, float)):
            spec = {"target": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("target"), (int, float)):
            bad(f"kpis.{kpi}", spec, "{target: number, direction: higher|lower, warning: number}")
            continue
        direction = str(spec.get("direction", "higher")).lower()
        if direction not in ("higher", "lower"):
            bad(f"kpis.{kpi}.direction", direction, "higher or lower")
            direction = "higher"
        kpis[str(kpi)] = {**spec, "direction": direction}

    themes: dict[str, dict[str, Any]] = {}
    raw_themes = raw.get("themes") or {}
    if not isinstance(raw_themes, dict):
        bad("themes", raw_themes, "a mapping of theme name to {keywords: [...], stage, touchpoint}")
        raw_themes = {}
    stage_ids = {s.id for s in stages}
    for theme, spec in raw_themes.items():
        if isinstance(spec, list):
            spec = {"keywords": spec}
        if not isinstance(spec, dict) or not _as_list(spec.get("keywords")):
            bad(f"themes.{theme}", spec, "{keywords: [words...], stage: id, touchpoint: id}")
            continue
        if spec.get("stage") and spec["stage"] not in stage_ids:
            bad(f"themes.{theme}.stage", spec["stage"], "a stage id from stages")
        themes[str(theme)] = {**spec, "keywords": [str(k) for k in _as_list(spec["keywords"])]}

    defaults = _parse_defaults(raw.get("defaults") or {}, bad)

    columns: dict[str, dict[str, str]] = {}
    raw_columns = raw.get("columns") or {}
    if not isinstance(raw_columns, dict):
        bad("columns", raw_columns, "a mapping table -> {canonical column: your column}")
        raw_columns = {}
    for table, mapping in raw_columns.items():
        if table not in TABLES:
            bad(f"columns.{table}", table, "a table name: " + ", ".join(TABLES))
            continue
        if not isinstance(mapping, dict):
            bad(f"columns.{table}", mapping, "{canonical column: your column name}")
            continue
        known = set(TABLES[table].names)
        clean: dict[str, str] = {}
        for canonical, theirs in mapping.items():
            if canonical not in known and not TABLES[table].keep_extra_columns:
                bad(f"columns.{table}.{canonical}", canonical,
                    f"a column of {table}: " + ", ".join(TABLES[table].names))
                continue
            clean[str(canonical)] = str(theirs)
        columns[table] = clean

    config = JourneyConfig(
        business=str(business),
        currency=str(raw.get("currency") or "EUR"),
        timezone=timezone,
        stages=tuple(stages),
        channels=channels,
        owners=owners,
        kpis=kpis,
        themes=themes,
        defaults=defaults,
        columns=columns,
    )
    usable = bool(stages)
    return (config if usable else None), problems


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
