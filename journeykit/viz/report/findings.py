"""The Summary's findings: three to five sentences written from a run's tables.

Each :class:`Finding` says one thing a shop owner acts on — the biggest drop-off, the
least satisfied stage, the top pain point with its evidence, how the KPIs moved since the
last run (with whether the move is beyond noise), or, on a first run, the KPI furthest
from its target — with the n it rests on and the section that shows the detail. The
numbers are read from the tables the notebooks saved; nothing is computed again here
beyond picking the row.

Example:
    >>> funnel = pd.DataFrame({"step": ["1", "2"], "name": ["Visit", "Buy"], "customers": ["200", "50"],
    ...                        "dropped": ["0", "150"]})
    >>> findings({"stage_funnel": funnel}, {}, [])[0].text
    'The biggest drop-off is from Visit to Buy: 150 of 200 customers (75.0 %) did not go on.'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from journeykit.viz.report.tables import evidence_text
from journeykit.viz.report.views import (
    display_text,
    format_count,
    format_interval,
    format_number,
    to_float,
)

__all__ = ["MAX_FINDINGS", "Finding", "findings", "quarantine_lines"]

MAX_FINDINGS = 5


@dataclass(frozen=True)
class Finding:
    """One finding: the sentence, the n it rests on (as text), and the section id it links to."""

    text: str
    n: str
    href: str


def _number_column(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce") if column in frame else pd.Series(dtype=float)


def _dropoff(funnel: pd.DataFrame | None) -> Finding | None:
    if funnel is None or len(funnel) < 2 or not {"customers", "dropped"} <= set(funnel.columns):
        return None
    customers = _number_column(funnel, "customers").to_numpy()
    dropped = _number_column(funnel, "dropped").to_numpy()
    names = [display_text(v) for v in (funnel["name"] if "name" in funnel else funnel.get("stage", funnel.index))]
    best = max(range(1, len(funnel)), key=lambda k: dropped[k] if dropped[k] == dropped[k] else -1)
    before = customers[best - 1]
    if not before or dropped[best] != dropped[best] or dropped[best] <= 0:
        return None
    return Finding(
        f"The biggest drop-off is from {names[best - 1]} to {names[best]}: {format_count(dropped[best])} of "
        f"{format_count(before)} customers ({dropped[best] / before * 100:.1f} %) did not go on.",
        f"n {format_count(before)} customers", "dropoff")


def _lowest_stage(curve: pd.DataFrame | None) -> Finding | None:
    if curve is None or curve.empty or "csat" not in curve:
        return None
    csat = _number_column(curve, "csat")
    if csat.notna().sum() < 2:
        return None
    k = int(csat.idxmin())
    row = curve.loc[k]
    overall = format_interval(row.get("csat"), row.get("csat_low"), row.get("csat_high"), "share")
    return Finding(
        f"Customers are least satisfied in {display_text(row.get('stage_name') or row.get('stage'))}: "
        f"CSAT {overall} of answers are 4 or 5.",
        f"n {format_count(row.get('n_csat'))} answers", "hurts")


def _top_pain(points: pd.DataFrame | None, plan: pd.DataFrame | None) -> Finding | None:
    if points is None or points.empty or "priority" not in points:
        return None
    pains = points[points["kind"].astype(str) == "pain"] if "kind" in points else points
    if pains.empty:
        return None
    row = pains.loc[_number_column(pains, "priority").idxmax()]
    kinds = evidence_text(row.get("signals"))
    where = display_text(row.get("touchpoint_name"))
    owner = ""
    if plan is not None and "pain_point" in plan and "owner_team" in plan:
        match = plan[plan["pain_point"].astype(str) == display_text(row.get("title"))]
        if len(match) and display_text(match.iloc[0]["owner_team"]):
            owner = f" Owner: {display_text(match.iloc[0]['owner_team'])}."
    n = to_float(row.get("n_evidence")) or 0
    return Finding(
        f"The top pain point is “{display_text(row.get('title'))}”{f' at {where}' if where else ''} "
        f"(priority {to_float(row.get('priority')) or 0:.2f} of 1), shown by {kinds}.{owner}",
        f"n {format_count(n)} feedback answers and tickets" if n else "no data yet: the workshop's word",
        "hurts")


def _kpi_moves(changes: Sequence[Mapping[str, str]], previous: str | None) -> list[Finding]:
    moved = [c for c in changes if c.get("significant") == "yes"]
    if moved:
        return [Finding(f"{c['label']} moved from {c['previous']} to {c['current']} ({c['delta']}) since run "
                        f"{previous}, beyond noise.", c.get("n", ""), "improving") for c in moved[:2]]
    testable = [c for c in changes if c.get("significant") == "within noise"]
    if testable:
        return [Finding(f"No KPI moved beyond noise since run {previous}: each of the {len(testable)} KPIs "
                        "with an interval changed less than its 95 % intervals allow.",
                        f"n {len(testable)} KPIs", "improving")]
    return []


def _off_target(card: pd.DataFrame | None) -> Finding | None:
    if card is None or card.empty or "status" not in card:
        return None
    status = card["status"].astype(str)
    off = card[status == "off target"] if (status == "off target").any() else card[status == "at risk"]
    if off.empty:
        on = card[card["status"].astype(str) == "on target"]
        return Finding(f"All {len(on)} KPIs with a target are on target.", "", "summary-scorecard") if len(on) else None
    # furthest from target, relative to the target
    gaps = (_number_column(off, "value") - _number_column(off, "target")).abs() / _number_column(
        off, "target").abs().replace(0, 1)
    row = off.loc[gaps.idxmax()] if gaps.notna().any() else off.iloc[0]
    unit = display_text(row.get("unit"))
    return Finding(
        f"{display_text(row.get('label') or row.get('kpi'))} is {display_text(row.get('status'))}: "
        f"{format_interval(row.get('value'), row.get('ci_low'), row.get('ci_high'), unit)} against a target of "
        f"{format_number(to_float(row.get('target')), unit)}.",
        f"n {format_count(row.get('n'))}" if to_float(row.get("n")) else "", "improving")


def findings(tables: Mapping[str, pd.DataFrame], metrics: Mapping[str, Any],
             changes: Sequence[Mapping[str, str]], *, previous: str | None = None) -> list[Finding]:
    """Up to :data:`MAX_FINDINGS` findings from a run's tables (``stage_funnel``,
    ``emotion_curve``, ``pain_points``, ``action_plan``, ``scorecard``) and the rows of
    "what changed" (:func:`~journeykit.viz.report.views.change_rows`, each with an ``n``)."""
    found: list[Finding | None] = [
        _dropoff(tables.get("stage_funnel")),
        _lowest_stage(tables.get("emotion_curve")),
        _top_pain(tables.get("pain_points"), tables.get("action_plan")),
    ]
    moves = _kpi_moves(changes, previous)
    found.extend(moves)
    if not any("beyond noise." in m.text for m in moves):  # nothing moved: the KPI furthest from its target
        found.append(_off_target(tables.get("scorecard")))
    return [f for f in found if f is not None][:MAX_FINDINGS]


def quarantine_lines(quarantined: Mapping[str, Any], present: pd.DataFrame | None) -> list[str]:
    """One sentence per table with rows set aside (``on_bad_rows="quarantine"``): how many
    of how many rows, and the share; ``present`` is 00_start_here's ``data_present`` table
    (rows used per table).

    >>> quarantine_lines({"orders": 320}, pd.DataFrame({"table": ["orders"], "rows": ["680"]}))
    ['orders: 320 of 1,000 rows (32.0 %) set aside']
    """
    used: dict[str, float] = {}
    if present is not None and {"table", "rows"} <= set(present.columns):
        used = {display_text(t): to_float(r) or 0.0 for t, r in zip(present["table"], present["rows"], strict=True)}
    lines = []
    for table, count in quarantined.items():
        n = to_float(count) or 0
        if n <= 0:
            continue
        total = used.get(str(table), 0.0) + n if str(table) in used else None
        share = f" ({n / total * 100:.1f} %)" if total else ""
        of = f" of {format_count(total)}" if total else ""
        lines.append(f"{display_text(table)}: {format_count(n)}{of} rows{share} set aside")
    return lines

