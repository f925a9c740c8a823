"""Where the designed journey meets observed behaviour.

The workshop draws stages and lists each stage's events in journey.yaml; the event log
shows what customers actually do. This module measures the two against each other:

* :func:`stage_reach` — per stage (journey.yaml order), the customers of the event log
  with at least one event of that stage, in any order;
* :func:`off_map_events` — events no stage lists, by the customers who have them;
* :func:`off_map_paths` — the most common session paths (:func:`journeykit.analytics.events.paths`)
  that leave the designed map: they use an event no stage lists, or step back from a
  stage to an earlier one;
* :func:`observed_journey` — all three at once, on one opening of the event log;
* :func:`stage_funnel_left_out` / :func:`stage_funnel_notes` — the customers the stage
  funnel leaves out by its rules (no first-stage event; a later stage's event before the
  first-stage event, e.g. a deal won before the first contact; outside the stage window),
  counted per stage, and the window it used, as sentences for the report's data notes.

Everything runs as SQL on the log's engine (:func:`journeykit.analytics.events.source.open_events`:
DuckDB on :meth:`Workspace.events_relation <journeykit.workspace.Workspace.events_relation>`, or
Spark/BigQuery when journey.yaml ``events:`` puts the log in a warehouse), so large event
logs never pass through pandas; only the small results do. A workspace
without events gives empty results (0 customers), never an error.

Example:
    >>> observed = observed_journey(ws)                               # doctest: +SKIP
    >>> observed.reach[["stage", "customers", "share"]]              # doctest: +SKIP
    >>> observed.off_map_paths[["path", "share", "unmapped", "backwards"]]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from journeykit.analytics.events import paths, stage_funnel
from journeykit.analytics.events.source import EventSource, open_events
from journeykit.core._sql import literal
from journeykit.workspace import Workspace

__all__ = [
    "OFF_MAP_EVENT_COLUMNS",
    "OFF_MAP_PATH_COLUMNS",
    "LEFT_OUT_COLUMNS",
    "REACH_COLUMNS",
    "ObservedJourney",
    "observed_journey",
    "off_map_events",
    "off_map_paths",
    "stage_funnel_left_out",
    "stage_funnel_notes",
    "stage_reach",
]

REACH_COLUMNS = ["stage", "stage_name", "customers", "share"]
LEFT_OUT_COLUMNS = ["stage", "stage_name", "customers", "reason"]
OFF_MAP_EVENT_COLUMNS = ["event", "customers", "share"]
OFF_MAP_PATH_COLUMNS = ["path", "events", "sessions", "customers", "share", "unmapped",
                        "backwards"]


@dataclass(frozen=True)
class ObservedJourney:
    """The designed journey against the event log (see :func:`observed_journey`).

    ``customers``: distinct customers in the event log (0 without events).
    ``reach``, ``off_map_events``, ``off_map_paths``: the results of :func:`stage_reach`,
    :func:`off_map_events` and :func:`off_map_paths`.
    """

    customers: int
    reach: pd.DataFrame
    off_map_events: pd.DataFrame
    off_map_paths: pd.DataFrame


def _mapping(ws: Workspace) -> pd.DataFrame:
    """(event, stage) for every event a stage lists (an event listed twice: both rows)."""
    rows = [(str(event), stage.id) for stage in ws.config.stages for event in stage.events]
    return pd.DataFrame(rows, columns=["event", "stage"], dtype=object)


def _customers(src: EventSource) -> int:
    rows = src.fetch("SELECT count(DISTINCT customer_id) FROM jk_src")
    return int(rows[0][0] or 0) if rows else 0


def _reach(ws: Workspace, src: EventSource | None, total: int) -> pd.DataFrame:
    counts: dict[str, int] = {}
    if src is not None:
        frame = src.frame(
            "SELECT m.stage, count(DISTINCT e.customer_id) AS customers FROM jk_src e "
            "JOIN jk_map m ON CAST(e.event AS VARCHAR) = m.event GROUP BY m.stage")
        counts = {str(s): int(c) for s, c in zip(frame["stage"], frame["customers"], strict=True)}
    stages = ws.config.stages
    customers = [counts.get(s.id, 0) for s in stages]
    return pd.DataFrame({
        "stage": pd.array([s.id for s in stages], dtype="string"),
        "stage_name": pd.array([s.name or s.id for s in stages], dtype="string"),
        "customers": pd.array(customers, dtype="int64"),
        "share": pd.array([c / total if total else float("nan") for c in customers],
                          dtype="float64"),
    }, columns=REACH_COLUMNS)


def _off_events(src: EventSource | None, total: int, top: int | None) -> pd.DataFrame:
    if src is None:
        frame = pd.DataFrame({"event": [], "customers": []})
    else:
        limit = "" if top is None else f" LIMIT {int(top)}"
        # a LEFT JOIN, not ANTI JOIN: the SQL runs on Spark and BigQuery too
        frame = src.frame(
            "SELECT CAST(e.event AS VARCHAR) AS event, count(DISTINCT e.customer_id) AS customers "
            "FROM jk_src e LEFT JOIN jk_map m ON CAST(e.event AS VARCHAR) = m.event "
            f"WHERE m.event IS NULL GROUP BY 1 ORDER BY 2 DESC, 1{limit}")
    customers = frame["customers"].astype("int64")
    return pd.DataFrame({
        "event": frame["event"].astype("string"),
        "customers": customers,
        "share": (customers / total if total else customers * float("nan")).astype("float64"),
    }, columns=OFF_MAP_EVENT_COLUMNS)


def _off_paths(ws: Workspace, top: int | None, candidates: int) -> pd.DataFrame:
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in OFF_MAP_PATH_COLUMNS})
    if top is None or not ws.has("events"):
        return empty
    # the workspace's paths (memoised, shared with notebook 04's top paths; on the log's engine)
    result = paths(ws, top=candidates)
    order = {stage.id: k for k, stage in enumerate(ws.config.stages)}
    event_stage = ws.config.event_stage
    keep, unmapped_flags, backwards_flags = [], [], []
    for position, steps in enumerate(result["events"]):
        orders = [order.get(event_stage.get(str(s), ""), -1) for s in steps]
        unmapped = any(o < 0 for o in orders)
        backwards = any(b < a for a, b in zip(orders, orders[1:], strict=False)
                        if a >= 0 and b >= 0)
        if unmapped or backwards:
            keep.append(position)
            unmapped_flags.append(unmapped)
            backwards_flags.append(backwards)
        if len(keep) >= top:
            break
    if not keep:
        return empty
    out = result.iloc[keep][["path", "events", "sessions", "customers", "share"]]
    out = out.reset_index(drop=True)
    out["unmapped"] = unmapped_flags
    out["backwards"] = backwards_flags
    return out[OFF_MAP_PATH_COLUMNS]


def observed_journey(ws: Workspace, *, top_events: int | None = 8, top_paths: int | None = 6,
                     candidate_paths: int = 50) -> ObservedJourney:
    """The designed journey against the event log: reach per stage, off-map events and
    off-map paths (see :func:`stage_reach`, :func:`off_map_events`, :func:`off_map_paths`),
    computed on one opening of the event log (its engine: DuckDB, or the warehouse of
    journey.yaml ``events:``). ``top_events=None`` keeps every off-map event;
    ``top_paths=None`` skips the paths (an empty ``off_map_paths``).

    Example:
        >>> observed = observed_journey(ws)                         # doctest: +SKIP
        >>> observed.customers, observed.reach.loc[0, "share"]      # doctest: +SKIP
        (250, 0.98)
    """
    if not ws.has("events"):
        return ObservedJourney(0, _reach(ws, None, 0), _off_events(None, 0, top_events),
                               _off_paths(ws, None, candidate_paths))
    with open_events(ws) as src:
        src.register("jk_map", _mapping(ws))
        total = _customers(src)
        reach, off_events = _reach(ws, src, total), _off_events(src, total, top_events)
    return ObservedJourney(total, reach, off_events, _off_paths(ws, top_paths, candidate_paths))


def stage_reach(ws: Workspace) -> pd.DataFrame:
    """Per stage of journey.yaml (in order): the customers of the event log with at least
    one event the stage lists, in any order — not the funnel, which asks for the designed
    order (:func:`journeykit.analytics.events.stage_funnel`).

    Columns: stage (id), stage_name, customers (distinct, int), share (customers / all
    distinct customers in the event log, 0–1; NaN without events). A stage listing no
    events, or whose events nobody has, reaches 0 customers.

    Example:
        >>> stage_reach(ws)[["stage", "customers", "share"]]        # doctest: +SKIP
    """
    return observed_journey(ws, top_events=1, top_paths=None).reach


def off_map_events(ws: Workspace, *, top: int | None = 8) -> pd.DataFrame:
    """Events in the log that no stage of journey.yaml lists: behaviour the map leaves out.

    Columns: event, customers (distinct customers with the event), share (of all distinct
    customers in the event log, 0–1). The ``top`` events (None = all), most customers
    first, ties by event name. Empty without events or when every event belongs to a stage.

    Example:
        >>> off_map_events(ws, top=3)                               # doctest: +SKIP
    """
    return observed_journey(ws, top_events=top, top_paths=None).off_map_events


def off_map_paths(ws: Workspace, *, top: int = 6, candidates: int = 50) -> pd.DataFrame:
    """The most common session paths that leave the designed map.

    Paths are :func:`journeykit.analytics.events.paths` of the workspace's events (its
    ``top=candidates`` paths, sessions split at journey.yaml's ``defaults.session_gap``,
    at most 5 events each). A path leaves the map when it uses an event no stage lists
    (``unmapped``) or when an event of a stage directly follows an event of a later stage
    (``backwards``; only directly consecutive events are compared, so a step back with an
    unmapped event in between counts as unmapped, not as backwards). The first
    ``top`` such paths, most sessions first.

    Columns: path, events (tuple of event names), sessions, customers, share (sessions /
    all sessions counted by ``paths``) — as ``events.paths`` gives them — then unmapped,
    backwards (bool).

    Example:
        >>> off_map_paths(ws)[["path", "share"]]                    # doctest: +SKIP
    """
    return observed_journey(ws, top_events=1, top_paths=top, candidate_paths=candidates
                            ).off_map_paths


def _reach_after_first(ws: Workspace, first_stage: str) -> tuple[int, int, dict[str, int]]:
    """(customers with a mapped event, those among them with a first-stage event, per stage
    the customers with a first-stage event and an event of that stage); portable SQL on the
    log's engine."""
    mapped_sql = ("WITH jk_mapped AS (SELECT DISTINCT e.customer_id AS cid, m.stage FROM jk_src e "
                  "JOIN jk_map m ON CAST(e.event AS VARCHAR) = m.event) ")
    with open_events(ws) as src:
        src.register("jk_map", _mapping(ws))
        rows = src.fetch(mapped_sql + "SELECT count(DISTINCT cid) FROM jk_mapped")
        frame = src.frame(
            mapped_sql + "SELECT stage, count(*) AS customers FROM jk_mapped WHERE cid IN "
            f"(SELECT cid FROM jk_mapped WHERE stage = {literal(first_stage)}) GROUP BY stage")
    mapped = int(rows[0][0] or 0) if rows else 0
    per_stage = {str(s): int(c) for s, c in zip(frame["stage"], frame["customers"], strict=True)}
    # a customer with a first-stage event has a (customer, first stage) row
    return mapped, per_stage.get(first_stage, 0), per_stage


def stage_funnel_left_out(ws: Workspace) -> pd.DataFrame:
    """The customers :func:`~journeykit.analytics.events.stage_funnel` (journey.yaml's
    stage window) leaves out by its rules, counted, so that no one is dropped without a note.

    One row per rule that leaves someone out (none when nobody is):

    - on the first stage: customers with events of later stages but none of the first stage
      (the funnel starts at a first-stage event, so they are not in it);
    - on each later stage: customers with a first-stage event and an event of this stage
      whom the funnel does not count here, because that event does not follow an event of
      every earlier stage in journey order (e.g. a deal won before the first contact, or a
      stage in between skipped), or comes after the stage window; they count at the last
      stage they reached in order.

    Columns: stage (id), stage_name, customers (int), reason (text). Empty without events.

    Example:
        >>> stage_funnel_left_out(ws)[["stage", "customers"]]        # doctest: +SKIP
    """
    used = [s for s in ws.config.stages if s.events]
    rows: list[tuple[str, str, int, str]] = []
    if not used or not ws.has("events"):
        return pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS).astype({"customers": "int64"})
    first = used[0]
    mapped, with_first, reach = _reach_after_first(ws, first.id)
    if mapped > with_first:
        rows.append((first.id, str(first.name or first.id), mapped - with_first,
                     f"no event of the first stage ({first.name or first.id}); the stage funnel starts "
                     "there, so they are not in it"))
    window = ws.config.defaults.stage_window
    counted = stage_funnel(ws)
    by_stage = dict(zip(counted["stage"], counted["customers"], strict=True))
    for stage in used[1:]:
        missing = reach.get(stage.id, 0) - int(by_stage.get(stage.id, 0))
        if missing > 0:
            after = f", or after the stage window ({window})" if window else ""
            rows.append((stage.id, str(stage.name or stage.id), missing,
                         f"their {stage.name or stage.id} event does not follow an event of every earlier "
                         f"stage in journey order (e.g. a deal won before the first contact, or a stage in "
                         f"between skipped){after}; they count at the last stage they reached in order"))
    return pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS).astype({"customers": "int64"})


def stage_funnel_notes(ws: Workspace) -> list[str]:
    """Sentences for the report's data notes about the stage funnel: the window it used
    (journey.yaml ``defaults.stage_window``; ``defaults.window`` is the window of
    :func:`~journeykit.analytics.events.funnel`, not of the stage funnel) and, per rule,
    the customers it leaves out (:func:`stage_funnel_left_out`).

    Example:
        >>> stage_funnel_notes(ws)[0]                                 # doctest: +SKIP
        'Stage funnel window: no limit after the first-stage event (...)'
    """
    defaults = ws.config.defaults
    if defaults.stage_window:
        notes = [f"Stage funnel window: every later stage within {defaults.stage_window} of the "
                 "customer's first-stage event (journey.yaml defaults.stage_window)."]
    else:
        notes = ["Stage funnel window: no limit after the first-stage event (journey.yaml "
                 f"defaults.stage_window is not set; defaults.window, {defaults.window or 'no limit'}, is the window of "
                 "funnel(), not of the stage funnel)."]
    for row in stage_funnel_left_out(ws).itertuples():
        who = "1 customer" if row.customers == 1 else f"{row.customers:,} customers"
        if row.reason.startswith("no event of the first"):
            notes.append(f"Stage funnel: {who} with events of later stages left out - {row.reason}.")
        else:
            notes.append(f"Stage funnel, {row.stage_name}: {who} with an event of this stage not counted "
                         f"there - {row.reason}.")
    return notes
