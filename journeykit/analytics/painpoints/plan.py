"""The action plan: who does what first, for every scored pain point, and its
spreadsheet-safe export.

Example:
    >>> plan = action_plan(ws)                                     # doctest: +SKIP
    >>> export_action_plan(plan, "reports/action_plan.xlsx")       # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from journeykit.analytics.painpoints.formula import _known
from journeykit.analytics.painpoints.score import score_pain_points
from journeykit.analytics.voice.linking import _clean, _stages, _touchpoint_info
from journeykit.core.errors import JourneykitError
from journeykit.core.privacy import mask_frame
from journeykit.core.safety import atomic_write_bytes, neutralise_frame, write_safe_xlsx
from journeykit.workspace import Workspace

__all__ = ["PLAN_COLUMNS", "action_plan", "evidence_kind", "export_action_plan"]

PLAN_COLUMNS = ["priority", "pain_point", "touchpoint", "stage", "owner_team", "quadrant",
                "first_step", "kpi_to_watch", "status", "votes", "agreement"]

# first steps by the kind of evidence behind an item; {where} is the touchpoint (or theme)
_EVIDENCE_STEPS: dict[str, str] = {
    "drop-off": "Walk through the step {step} at {where} as a customer would, on the devices "
                "and channel that lose the most; compare the customers who dropped off there "
                "(dropouts.csv of the run) with those who went on, and fix the largest difference first",
    "tickets": "Read the {n_tickets} support tickets about {where} with the team that answers them, "
               "name their most frequent cause, and agree one change that removes it",
    "complaints": "Read the {n_texts} customer comments about {where}{theme}, group them by cause, "
                  "and fix the most frequent cause first",
    "workshop": "Check the workshop's view with customers: ask five of them about {where}, and add a "
                "theme with keywords to journey.yaml so their comments are counted in the next run",
}
# topic templates refine a complaint or ticket step when the item's theme names the topic
_TOPIC_STEPS: list[tuple[tuple[str, ...], str]] = [
    (("payment", "checkout", "pay", "card", "cart"),
     "Log every failed payment at {where} with its error, and fix the most frequent failure first"),
    (("delivery", "shipping", "courier", "parcel", "dispatch"),
     "Compare promised and actual delivery times per carrier for {where}; send a proactive "
     "delay message whenever a parcel will miss its promised date"),
    (("repair", "turnaround", "workshop", "maintenance"),
     "Measure turnaround from drop-off to pick-up for {where}, publish a realistic ready-by "
     "date at booking and text customers when the job is done"),
    (("stock", "availability", "size"),
     "Check stock accuracy for {where}: show real availability online and offer a reserve-"
     "and-notify option"),
]
_QUADRANT_STEPS = {
    "quick win": "Fix it this sprint: read the quotes for {where}, pick the most common cause "
                 "and ship a small change",
    "major project": "Scope it as a project: map the process behind {where} with the team, "
                     "estimate cost against the value at risk and decide in the next planning",
    "fill-in": "Bundle it with other small fixes at {where} when the team has slack",
    "reconsider": "Park it: note it in the backlog and revisit only if its KPI worsens",
}


def _count(value: object) -> int:
    return int(value) if _known(value) else 0  # type: ignore[call-overload]


def _str(value: object) -> str:
    return str(value) if _known(value) else ""


def evidence_kind(row: pd.Series) -> str:
    """The kind of evidence an item rests on, strongest first: ``drop-off`` (customers
    leave at a step), ``tickets`` (support tickets), ``complaints`` (comments and CSAT
    answers, by theme), ``workshop`` (only the workshop's word), or ``other``.

    >>> evidence_kind(pd.Series({"signals": "sentiment; csat; drop-off", "dropoff_step": "a → b"}))
    'drop-off'
    >>> evidence_kind(pd.Series({"signals": "workshop", "source": "workshop"}))
    'workshop'
    """
    signals = {s.strip() for s in _str(row.get("signals")).split(";")}
    if "drop-off" in signals and _known(row.get("dropoff_step")):
        return "drop-off"
    if "tickets" in signals and _count(row.get("n_tickets")) > 0:
        return "tickets"
    if signals & {"sentiment", "csat"} and _count(row.get("n_texts")) + _count(row.get("n_csat")) > 0:
        return "complaints"
    if "workshop" in signals or _str(row.get("source")) == "workshop":
        return "workshop"
    return "other"


def _first_step(row: pd.Series, where: str) -> str:
    """The first step for one scored item, chosen by :func:`evidence_kind`; a topic
    template replaces a complaint or ticket step when the item's theme and title both name
    the topic;
    parked ("reconsider") items and items without evidence get the quadrant's step."""
    quadrant_name = _str(row.get("quadrant")) or "fill-in"
    kind = evidence_kind(row)
    if quadrant_name == "reconsider" or kind == "other":
        return _QUADRANT_STEPS.get(quadrant_name, _QUADRANT_STEPS["fill-in"]).format(where=where)
    theme = _str(row.get("theme"))
    if kind in ("tickets", "complaints") and theme:
        theme_words = re.findall(r"[a-z]+", theme.lower().replace("_", " "))
        title_words = re.findall(r"[a-z]+", _str(row.get("title")).lower())
        for topic, template in _TOPIC_STEPS:
            # both the theme and the title name the topic: an out-of-stock item that shares
            # the checkout touchpoint's comments is not told to log failed payments
            if any(w.startswith(topic) for w in theme_words) and any(w.startswith(topic) for w in title_words):
                return template.format(where=where)
    return _EVIDENCE_STEPS[kind].format(
        where=where, step=_str(row.get("dropoff_step")), n_tickets=_count(row.get("n_tickets")),
        n_texts=_count(row.get("n_texts")) or _count(row.get("n_csat")),
        theme=f" ({theme.replace('_', ' ')})" if theme else "")


def _measured(ws: Workspace) -> set[str]:
    """The survey KPIs the workspace has answers for (``nps``, ``csat``, ``ces``) and
    ``conversion`` when it has an event log."""
    found = set()
    feedback = ws.feedback
    if feedback is not None:
        found = {k for k in ("nps", "csat", "ces") if k in feedback and feedback[k].notna().any()}
    if ws.has("events"):
        found.add("conversion")
    return found


def _kpi(row: pd.Series, stage_names: dict[str, str], measured: set[str]) -> str:
    where = row["touchpoint_name"] if _known(row["touchpoint_name"]) else None
    stage = row["stage"] if _known(row["stage"]) else None
    excess = row["dropoff_excess"]
    if _known(row["dropoff_step"]) and _known(excess) and excess > 0 and \
            "drop-off" in str(row["signals"]):
        at = f" at {where}" if where else ""
        return f"step conversion {row['dropoff_step']}{at}"
    if where and row["n_csat"] > 0:
        return f"CSAT at {where}"
    if where and row["n_texts"] > 0:
        return f"mean sentiment of feedback on {where}"
    if _known(row["theme"]) and row["n_texts"] > 0:
        return f"mean sentiment of feedback about {row['theme']}"
    stage_name = stage_names.get(stage, stage) if stage else None
    if stage_name and "csat" in measured:
        return f"CSAT in {stage_name}"
    for kpi, text in (("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES")):
        if kpi in measured:
            return text
    if "conversion" in measured:
        return f"conversion through {stage_name}" if stage_name else "conversion, first to last stage"
    return "none measured yet: add a CSAT or NPS question to your feedback"


def agreement(spread: object) -> str | None:
    """How much the workshop's votes on an item agreed, from their spread (highest minus
    lowest vote on the 1-5 scales): 0-1 "agreed", 2 "mixed", 3 or more "split - discuss";
    None when nobody voted.

    >>> [agreement(s) for s in (0, 2, 4, None)]
    ['agreed (spread 0)', 'mixed (spread 2)', 'split - discuss (spread 4)', None]
    """
    if not _known(spread):
        return None
    value = int(float(spread))  # type: ignore[arg-type]
    word = "agreed" if value <= 1 else "mixed" if value == 2 else "split - discuss"
    return f"{word} (spread {value})"


def action_plan(ws: Workspace, *, scored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Who does what first: one row per scored pain point/opportunity, by priority.

    Columns: priority (rank 1..n), pain_point (title), touchpoint (name), stage (name),
    owner_team (the pain point's owner, else the touchpoint's owner), quadrant,
    first_step (chosen by the kind of evidence, :func:`evidence_kind`: a drop-off step, a
    ticket category, a complaint theme — refined by a topic template when the theme names
    payment, delivery, repair or stock — or the workshop's word alone; a generic step by
    quadrant otherwise; "reconsider" items are parked), kpi_to_watch (the conversion of
    the step where customers drop off when drop-off is part of the evidence, else CSAT at
    the touchpoint when it has answers, else its feedback sentiment, else a KPI the
    workspace measures: CSAT in the stage, NPS, CES or conversion), status, votes (how many
    people scored it in the workshop, blank without votes) and agreement (:func:`agreement`
    of the votes' spread; never a name).

    ``scored`` defaults to :func:`score_pain_points` of ``ws``.

    Example:
        >>> plan = action_plan(ws)                                     # doctest: +SKIP
        >>> export_action_plan(plan, "reports/action_plan.xlsx")       # doctest: +SKIP
    """
    if scored is None:
        scored = score_pain_points(ws)
    missing = {"title", "touchpoint", "touchpoint_name", "stage", "owner", "quadrant",
               "status", "dropoff_step", "dropoff_excess", "n_csat", "n_texts", "theme",
               "signals"} - set(scored.columns)
    if missing:
        raise JourneykitError(
            f"action_plan needs the table from score_pain_points; missing columns {sorted(missing)}"
        )
    stages = _stages(ws)
    stage_names = {s[0]: s[1] for s in stages}
    tp_info = _touchpoint_info(ws)
    measured = _measured(ws)
    rows = []
    for rank, (_, row) in enumerate(scored.iterrows(), start=1):
        tp_id = row["touchpoint"] if _known(row["touchpoint"]) else None
        owner = row["owner"] if _known(row["owner"]) else None
        if owner is None and tp_id is not None and tp_id in tp_info.index:
            owner = _clean(tp_info.at[tp_id, "owner"])
        where = row["touchpoint_name"] if _known(row["touchpoint_name"]) else (
            row["theme"] if _known(row["theme"]) else "this part of the journey")
        stage = row["stage"] if _known(row["stage"]) else None
        rows.append({
            "priority": rank,
            "pain_point": row["title"],
            "touchpoint": where if tp_id is not None else None,
            "stage": stage_names.get(stage, stage) if stage else None,
            "owner_team": owner,
            "quadrant": row["quadrant"],
            "first_step": _first_step(row, str(where)),
            "kpi_to_watch": _kpi(row, stage_names, measured),
            "status": row["status"] if _known(row["status"]) else "open",
            "votes": str(int(row["votes"])) if _known(row.get("votes")) else None,
            "agreement": agreement(row.get("spread")),
        })
    plan = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    plan["priority"] = plan["priority"].astype("int64")
    for column in PLAN_COLUMNS[1:]:
        plan[column] = plan[column].astype("string")
    return mask_frame(plan)  # the plan is shared: no e-mail, phone, IBAN or card number in it


def export_action_plan(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` (usually :func:`action_plan`) as CSV or XLSX, chosen by the extension.

    Personal data in text cells is masked (:func:`journeykit.core.privacy.mask_frame`).
    Every text cell that could start a spreadsheet formula (=, +, -, @, tab, CR) is
    prefixed with an apostrophe by :mod:`journeykit.core.safety`; the text stays readable.
    Lists (e.g. ``quotes``) are joined with `` | ``. CSV is UTF-8 with CRLF line ends
    (RFC 4180), so a cell with a line break is quoted. The write is atomic. Any other
    extension raises :class:`~journeykit.core.errors.JourneykitError`.

    Example:
        >>> export_action_plan(action_plan(ws), "action_plan.csv")      # doctest: +SKIP
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if not isinstance(df, pd.DataFrame):
        raise JourneykitError(f"export_action_plan needs a DataFrame, got {type(df).__name__}")
    frame = df.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(
                lambda v: " | ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
            )
    frame = mask_frame(frame)
    if suffix == ".csv":
        # as journeykit.core.safety.write_safe_csv, but with CRLF line ends (RFC 4180): then a
        # cell holding a bare carriage return is quoted and cannot split its row
        data = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
        return atomic_write_bytes(target, data.encode("utf-8"))
    if suffix == ".xlsx":
        return write_safe_xlsx({"action plan": frame}, target)
    raise JourneykitError(
        f"export_action_plan: cannot write {target.name!r}; use a .csv or .xlsx file name"
    )
