"""Scoring pain points: the workshop's entries and the pain points the data reveals, in one
table with visible components and a priority (formula in
:mod:`journeykit.analytics.painpoints.formula`, evidence in
:mod:`journeykit.analytics.painpoints.evidence`).

Example:
    >>> score_pain_points(ws)[["title", "priority", "quadrant"]].head()   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from journeykit.analytics.clv.customers import dropoff_value
from journeykit.analytics.painpoints.evidence import (
    _customer_keys,
    _funnel_evidence,
    _money,
    _scale_1_5,
    _unit_evidence_at,
    _Voice,
)
from journeykit.analytics.painpoints.formula import (
    DEFAULT_EFFORT,
    WORKSHOP_PRIOR_N,
    _known,
    _weights,
    component_value,
    confidence_from_n,
    priority_score,
    quadrant,
)
from journeykit.analytics.voice.linking import (
    _clean,
    _memo,
    _Theme,
    _themes,
    _touchpoint_info,
    _voice_items,
)
from journeykit.core.errors import JourneykitError
from journeykit.core.privacy import mask_pii
from journeykit.workspace import Workspace
from journeykit.workspace.votes import vote_summary

__all__ = ["MIN_CSAT", "MIN_EXCESS_DROPOFF", "MIN_FUNNEL", "MIN_TEXTS", "MIN_TICKETS",
           "SCORE_COLUMNS", "score_pain_points"]

# what makes discovered evidence "clearly negative" (any one is enough)
MIN_TEXTS = 5          # sentiment: ≥ 5 texts and the 95% upper bound of the mean < 0
MIN_CSAT = 10          # CSAT: ≥ 10 answers and the Wilson upper bound < overall CSAT
MIN_TICKETS = 5        # tickets: ≥ 5 and ≥ 2 × the median count of touchpoints with tickets
MIN_FUNNEL = 30        # drop-off: ≥ 30 customers at the step, excess ≥ 5 points, z ≥ 1.96
MIN_EXCESS_DROPOFF = 0.05

SCORE_COLUMNS = [
    "id", "kind", "source", "title", "description", "touchpoint", "touchpoint_name", "stage",
    "theme", "n_evidence", "frequency", "severity", "reach", "impact", "effort", "confidence",
    "priority", "quadrant", "owner", "status", "quotes",
    # supporting evidence, for the curious and for action_plan
    "value", "value_at_risk", "n_texts", "n_tickets", "n_csat", "n_funnel", "sentiment",
    "csat", "dropoff_step", "dropoff_excess", "signals",
    # the workshop's votes (journeykit workshop collect): how many scored it, and the
    # spread (highest minus lowest vote of its most disputed field); blank: nobody voted
    "votes", "spread",
]

Unit = tuple[str, str]  # ("tp", touchpoint id), ("theme", theme name) or ("none", workshop id)


# --------------------------------------------------------------------------- presentation


def _short(text: str | None, width: int = 80) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


#: how a discovered pain point is named, by the strongest evidence that found it
_SIGNAL_TITLES = (
    ("drop-off", "Customers drop off at {where}"),
    ("sentiment", "Complaints about {where}"),
    ("tickets", "Support tickets about {where}"),
    ("csat", "Low satisfaction with {where}"),
)


def _discovered_title(touchpoint: str | None, topic: str | None, signals: Sequence[str]) -> str:
    """A discovered pain point's title: what the evidence shows, where, and the feedback
    theme when it says more than the touchpoint's name.

    >>> _discovered_title("App checkout and payment", "Checkout and payment", ["sentiment", "drop-off"])
    'Customers drop off at App checkout and payment'
    >>> _discovered_title("Browsing in the app", "Website and app", ["sentiment"])
    'Complaints about Browsing in the app (website and app)'
    >>> _discovered_title(None, "Parking", ["sentiment"])
    'Complaints about parking'
    """
    where = touchpoint or (topic.lower() if topic else "the journey")
    template = next((t for signal, t in _SIGNAL_TITLES if signal in signals), "Negative feedback on {where}")
    title = template.format(where=where)
    if touchpoint and topic:
        named = set(re.findall(r"\w+", touchpoint.lower()))
        if set(re.findall(r"\w+", topic.lower())) - named - {"and", "or", "the", "of"}:
            title += f" ({topic.lower()})"
    return title


def _describe(ev: dict[str, Any], funnel: dict[str, Any] | None, overall_csat: float) -> str:
    parts = []
    if ev["n_texts"]:
        parts.append(f"mean sentiment {ev['sentiment']:+.2f} over {ev['n_texts']} texts")
    if ev["n_csat"]:
        overall = f" vs {overall_csat:.0%} overall" if _known(overall_csat) else ""
        parts.append(f"CSAT {ev['csat']:.0%} (n={ev['n_csat']}){overall}")
    if ev["n_tickets"]:
        parts.append(f"{ev['n_tickets']} support tickets")
    if funnel and _known(funnel.get("excess")) and funnel["excess"] > 0:
        parts.append(
            f"step {funnel['step']}: {funnel['dropoff']:.0%} drop off vs "
            f"{funnel['stage_dropoff']:.0%} on other channels (n={int(funnel['n_step'])})"
        )
    return "; ".join(parts) if parts else "no data yet"


# --------------------------------------------------------------------------- scoring


def score_pain_points(ws: Workspace, *, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One table of pain points and opportunities — workshop entries and discovered ones.

    Discovered: every touchpoint (and every theme that journey.yaml ties to no touchpoint)
    with clearly negative evidence — any of: ≥ 5 texts whose mean sentiment is below 0
    with 95% confidence; ≥ 10 CSAT answers whose Wilson upper bound is below the overall
    CSAT; ≥ 5 tickets and at least twice the median ticket count of touchpoints with
    tickets; a step of the touchpoint's stage where its channel loses ≥ 5 points more
    customers than the other channels, at z ≥ 1.96 on ≥ 30 customers. Its theme is the
    most frequent theme of its negative items; ``signals`` says which evidence fired.

    A workshop entry takes the evidence of its touchpoint; its ``severity`` (1–5)
    overrides the data's, its ``frequency`` (1–5) is used only where the data has none;
    its ``effort`` (blank = 3), ``owner`` and ``status`` are kept. A workshop entry that
    duplicates a discovered one (same id, or same touchpoint and the same theme — a
    missing theme on either side matches) is merged into it: one row with the workshop's
    id, kind, owner, status, effort and description and the data's evidence.

    Columns (components and formula in the module docstring):
    id, kind (pain/opportunity), source (workshop/discovered), title, description,
    touchpoint, touchpoint_name, stage, theme, n_evidence (feedback rows + tickets),
    frequency, severity, reach, impact (0–1; NaN without data), effort (1–5),
    confidence (0–1), priority, quadrant, owner, status, quotes (list of ≤ 3 masked
    texts, most negative first for a pain, most positive first for an opportunity);
    then value (the weighted geometric mean), value_at_risk (currency, or customers
    without orders), n_texts, n_tickets, n_csat, n_funnel, sentiment (mean), csat
    (share 4–5), dropoff_step ("a → b"), dropoff_excess, signals ("sentiment; csat;
    tickets; drop-off", or "workshop"). Sorted by priority, highest first.

    Example:
        >>> scored = score_pain_points(ws)                               # doctest: +SKIP
        >>> scored[["title", "priority", "quadrant"]].head()              # doctest: +SKIP
        >>> score_pain_points(ws, weights={"reach": 2, "effort": 1})     # doctest: +SKIP
    """
    w = _weights(weights)
    key = ("painpoints.score_pain_points", tuple(sorted(w.items())))
    return _memo(ws, key, lambda: _compute_scores(ws, w))


# --------------------------------------------------------------------------- the steps


@dataclass
class _Evidence:
    """Everything the scoring of one workspace reads, worked out once."""

    tp_info: pd.DataFrame
    themes: list[_Theme]
    theme_by_name: dict[str, _Theme]
    overall_csat: float
    funnel: pd.DataFrame
    n_customers: int
    voice_all: int
    aov: float
    clv: float
    drop_value: float  # a customer lost at a funnel step (dropoff_value: fitted CLV, else AOV)
    voice: _Voice
    item_theme: np.ndarray
    units: dict[Unit, np.ndarray]
    median_tickets: float
    drop_owner: dict[str, str]


def _touchpoints(ws: Workspace) -> pd.DataFrame:
    """The touchpoints by id (:func:`_touchpoint_info`) with their own ``events`` list when
    the touchpoints table has that column."""
    tp_info = _touchpoint_info(ws)
    touchpoints = ws.touchpoints
    if touchpoints is not None and "events" in touchpoints.columns and "id" in touchpoints:
        unique = touchpoints.drop_duplicates("id")
        tp_info["events"] = pd.Series(unique["events"].to_numpy(),
                                      index=unique["id"].astype("string")).reindex(tp_info.index)
    return tp_info


def _units(tp_info: pd.DataFrame, themes: list[_Theme], items: pd.DataFrame) -> dict[Unit, np.ndarray]:
    """The units evidence is gathered for: every touchpoint, and every theme tied to no
    touchpoint; each the ascending positions of its items. An item counts for the
    touchpoint it is *about* (``about`` of :func:`journeykit.analytics.voice.analyze_feedback`),
    not where its survey was asked."""
    item_tp = items["about"].to_numpy(dtype=object, na_value=None)
    item_theme = items["theme"].to_numpy(dtype=object, na_value=None)
    by_tp: dict[str, list[int]] = {}
    for position, tp_id in enumerate(item_tp.tolist()):
        if tp_id is not None:
            by_tp.setdefault(tp_id, []).append(position)
    units: dict[Unit, np.ndarray] = {}
    for tp_id in tp_info.index:
        units[("tp", tp_id)] = np.array(by_tp.get(tp_id, []), dtype=np.int64)
    for theme in themes:
        if theme.touchpoint is None:
            units[("theme", theme.name)] = np.flatnonzero(
                np.array([t is None for t in item_tp.tolist()], dtype=bool)
                & (item_theme == theme.name))
    return units


def _drop_owners(funnel: pd.DataFrame, units: dict[Unit, np.ndarray], voice: _Voice,
                 tp_info: pd.DataFrame) -> dict[str, str]:
    """Touchpoints with the same footprint in the event log (same stage and channel) share
    one drop-off measurement: it goes to the one with most negative items (then most items,
    then the first in the touchpoints table), not to each of them. footprint -> touchpoint."""
    drop_owner: dict[str, str] = {}
    for footprint, group in funnel.groupby("footprint", sort=False):
        ranked = sorted(
            (i for i in group.index if ("tp", i) in units),
            key=lambda i: (-int(voice.negative[units[("tp", i)]].sum()), -len(units[("tp", i)]),
                           list(tp_info.index).index(i)),
        )
        if ranked:
            drop_owner[str(footprint)] = ranked[0]
    return drop_owner


def _gather(ws: Workspace) -> _Evidence:
    """Step 1: the voice-of-customer items, the touchpoints and themes, the funnel evidence
    and the money, once per workspace."""
    items = _voice_items(ws)
    tp_info = _touchpoints(ws)
    themes = _themes(ws, tp_info)
    answers = items["csat"].dropna()
    funnel, n_customers = _funnel_evidence(ws, tp_info)
    aov, clv = _money(ws)
    drop_value = dropoff_value(ws).value
    voice = _Voice(items)
    units = _units(tp_info, themes, items)
    ticket_counts = [int(voice.is_ticket[u].sum()) for k, u in units.items() if k[0] == "tp"]
    positive_counts = [c for c in ticket_counts if c > 0]
    return _Evidence(
        tp_info=tp_info, themes=themes, theme_by_name={t.name.lower(): t for t in themes},
        overall_csat=float((answers >= 4).mean()) if len(answers) else float("nan"),
        funnel=funnel, n_customers=n_customers,
        voice_all=int(_customer_keys(items).nunique()) if len(items) else 0,
        aov=aov, clv=clv, drop_value=drop_value, voice=voice,
        item_theme=items["theme"].to_numpy(dtype=object, na_value=None), units=units,
        median_tickets=float(np.median(positive_counts)) if positive_counts else 0.0,
        drop_owner=_drop_owners(funnel, units, voice, tp_info),
    )


def _signals(ev: dict[str, Any], fun: dict | None, overall_csat: float, median_tickets: float
             ) -> list[str]:
    """Which evidence is clearly negative (the thresholds MIN_*; see score_pain_points)."""
    signals = []
    if ev["n_texts"] >= MIN_TEXTS and _known(ev["sentiment_high"]) and ev["sentiment_high"] < 0:
        signals.append("sentiment")
    if ev["n_csat"] >= MIN_CSAT and _known(overall_csat) and ev["csat_high"] < overall_csat:
        signals.append("csat")
    if ev["n_tickets"] >= MIN_TICKETS and ev["n_tickets"] >= 2 * median_tickets:
        signals.append("tickets")
    excess = fun["excess"] if fun is not None else float("nan")
    if (fun is not None and _known(excess) and fun["n_step"] >= MIN_FUNNEL
            and excess >= MIN_EXCESS_DROPOFF and _known(fun["z"]) and fun["z"] >= 1.96):
        signals.append("drop-off")
    return signals


def _unit_stats(data: _Evidence, key: Unit, kind: str = "pain") -> dict[str, Any]:
    """Step 2: the evidence of one unit: voice statistics, its theme, its drop-off (when it
    owns its footprint's), reach, signals."""
    positions = data.units.get(key, np.array([], dtype=np.int64))
    voice = data.voice
    ev = _unit_evidence_at(voice, positions, data.overall_csat, kind)
    unit_themes = data.item_theme[positions]
    named = np.array([t is not None for t in unit_themes.tolist()], dtype=bool)
    negative_themes = unit_themes[named & voice.negative[positions]]
    any_themes = unit_themes[named]
    top = negative_themes if len(negative_themes) else any_themes
    # most frequent theme; pandas' value_counts breaks ties as before
    ev["theme"] = (str(pd.Series(top, dtype="string").value_counts().index[0])
                   if len(top) else None)
    funnel = data.funnel
    measured = (funnel.loc[key[1]].to_dict()
                if key[0] == "tp" and key[1] in funnel.index else None)
    fun = (measured if measured is not None
           and data.drop_owner.get(str(measured["footprint"])) == key[1] else None)
    ev["funnel"] = fun
    if measured is not None and measured["reach_customers"] and data.n_customers:
        ev["reach_customers"] = float(measured["reach_customers"])
        ev["reach"] = min(1.0, measured["reach_customers"] / data.n_customers)
    elif data.voice_all and ev["n_evidence"]:
        ev["reach_customers"] = float(ev["voice_customers"])
        ev["reach"] = ev["voice_customers"] / data.voice_all
    else:
        ev["reach_customers"] = 0.0
        ev["reach"] = float("nan")
    signals = _signals(ev, fun, data.overall_csat, data.median_tickets)
    excess = fun["excess"] if fun is not None else float("nan")
    ev["signals"] = signals
    ev["dropoff_excess"] = excess
    ev["dropoff_step"] = fun["step"] if fun is not None and _known(excess) else None
    ev["n_funnel"] = int(fun["n_step"]) if fun is not None and "drop-off" in signals else 0
    return ev


def _value_at_risk(data: _Evidence, key: Unit, ev: dict[str, Any]) -> float:
    """excess_lost × value of a lost customer + frequency × severity × reach_customers × CLV,
    where excess_lost is the customers lost at the touchpoint's worst step beyond the other
    channels' rate and a lost customer is valued by :func:`dropoff_value` (the fitted
    12-month CLV where the models fit, else the AOV)."""
    funnel = data.funnel
    excess_lost = 0.0
    if key[0] == "tp" and key[1] in data.drop_owner.values() and _known(funnel.at[key[1], "excess"]):
        excess_lost = float(funnel.at[key[1], "excess"] * funnel.at[key[1], "n_step"])
    if not ev["n_evidence"] and not excess_lost:
        return float("nan")
    unhappy = 0.0
    if _known(ev["frequency"]) and _known(ev["severity"]):
        unhappy = ev["frequency"] * ev["severity"] * ev["reach_customers"]
    return excess_lost * data.drop_value + unhappy * data.clv


def _discovered_rows(evidence: dict[Unit, dict[str, Any]]) -> list[dict[str, Any]]:
    """Step 3: a row for every unit with a signal."""
    rows: list[dict[str, Any]] = []
    for key, ev in evidence.items():
        if not ev["signals"]:
            continue
        unit_kind, name = key
        rows.append({
            "_key": key, "id": f"auto-{name}" if unit_kind == "tp" else f"auto-theme-{name}",
            "kind": "pain", "source": "discovered",
            "touchpoint": name if unit_kind == "tp" else None,
            "theme": ev["theme"] if unit_kind == "tp" else name,
            "owner": None, "status": "open", "effort": float("nan"),
            "severity_override": float("nan"), "frequency_workshop": float("nan"),
            "workshop_description": None,
        })
    return rows


def _add_workshop_rows(ws: Workspace, data: _Evidence, rows: list[dict[str, Any]]) -> None:
    """Step 4: the workshop's entries, merged into a discovered row or on their own."""
    workshop = ws.painpoints
    if workshop is None or not len(workshop):
        return
    if not {"id", "touchpoint"} <= set(workshop.columns):
        raise JourneykitError("painpoints needs the columns 'id' and 'touchpoint'")
    for _, entry in workshop.iterrows():
        pid = _clean(entry.get("id"))
        if pid is None:
            continue
        tp_id = _clean(entry.get("touchpoint"))
        description = _clean(entry.get("description"))
        theme = _clean(entry.get("theme")) if "theme" in workshop.columns else None
        if theme is None and description:
            theme = _best_theme(description, data.themes, tp_id)
        elif theme is not None and theme.lower() in data.theme_by_name:
            theme = data.theme_by_name[theme.lower()].name
        kind = (_clean(entry.get("kind")) or "pain").lower()
        if kind not in ("pain", "opportunity"):
            raise JourneykitError(
                f"painpoints row {pid!r}: kind must be 'pain' or 'opportunity', got {kind!r}"
            )
        raw_effort = entry.get("effort") if "effort" in workshop.columns else None
        effort = float(cast(float, raw_effort)) if _known(raw_effort) else float("nan")
        if _known(effort) and not 1 <= effort <= 5:
            raise JourneykitError(f"painpoints row {pid!r}: effort must be 1-5, got {raw_effort!r}")
        values = {
            "id": pid, "kind": kind, "source": "workshop", "touchpoint": tp_id,
            "owner": _clean(entry.get("owner")),
            "status": _clean(entry.get("status")) or "open",
            "effort": effort,
            "severity_override": _scale_1_5(entry.get("severity"), pid, "severity"),
            "frequency_workshop": _scale_1_5(entry.get("frequency"), pid, "frequency"),
            "workshop_description": description,
        }
        target = _match(rows, pid, tp_id, theme)
        if target is not None:
            target.update(values)
            if target.get("theme") is None:
                target["theme"] = theme
            target["_merged"] = True
        else:
            key = ("tp", tp_id) if tp_id is not None else ("none", pid)
            rows.append({"_key": key, "theme": theme, **values})


def _scored_row(data: _Evidence, evidence: dict[Unit, dict[str, Any]], row: dict[str, Any]
                ) -> dict[str, Any]:
    """Step 5: one row of the table: components, title and description (impact, value,
    priority and quadrant are added for the whole table by :func:`_rank`)."""
    key, kind = row["_key"], row["kind"]
    ev = evidence[key] if key in evidence and kind == "pain" else _unit_stats(data, key, kind)
    frequency = ev["frequency"] if _known(ev["frequency"]) else row["frequency_workshop"]
    severity = row["severity_override"] if _known(row["severity_override"]) \
        else ev["severity"]
    tp_info = data.tp_info
    tp_id = row["touchpoint"]
    known_tp = tp_id is not None and tp_id in tp_info.index
    tp_name = (_clean(tp_info.at[tp_id, "name"]) if known_tp else None) or tp_id
    tp_name = None if tp_name is None else str(mask_pii(tp_name))  # shown in titles and plans
    stage = _clean(tp_info.at[tp_id, "stage"]) if known_tp else None
    theme_rule = data.theme_by_name.get(str(row["theme"]).lower()) if row.get("theme") else None
    if stage is None and theme_rule is not None:
        stage = theme_rule.stage
    topic = theme_rule.label if theme_rule is not None else (row.get("theme") or None)
    effort = row["effort"] if _known(row["effort"]) else float(DEFAULT_EFFORT)
    prior = WORKSHOP_PRIOR_N if row["source"] == "workshop" else 0
    summary = _describe(ev, ev["funnel"], data.overall_csat)
    saved_discovery = row["source"] == "workshop" and str(row["id"]).startswith("auto-")
    if row["workshop_description"] and not saved_discovery:
        # masked before it is shortened: no half phone number survives the cut
        description = str(mask_pii(row["workshop_description"]))
        title = _short(description.split(" — ")[0])
    else:  # discovered (or a discovered row the team saved): describe today's evidence
        title = _discovered_title(tp_name, topic, ev["signals"])
        description = f"{title} — {summary}"
    return {
        "id": row["id"], "kind": kind, "source": row["source"], "title": title,
        "description": description, "touchpoint": tp_id, "touchpoint_name": tp_name,
        "stage": stage, "theme": row.get("theme"), "n_evidence": ev["n_evidence"],
        "frequency": frequency, "severity": severity, "reach": ev["reach"],
        "value_at_risk": _value_at_risk(data, key, ev), "effort": effort,
        "confidence": confidence_from_n(ev["n_evidence"] + ev["n_funnel"], prior),
        "owner": row["owner"], "status": row["status"], "quotes": ev["quotes"],
        "n_texts": ev["n_texts"], "n_tickets": ev["n_tickets"], "n_csat": ev["n_csat"],
        "n_funnel": ev["n_funnel"], "sentiment": ev["sentiment"], "csat": ev["csat"],
        "dropoff_step": ev["dropoff_step"], "dropoff_excess": ev["dropoff_excess"],
        "signals": "; ".join(ev["signals"]) if ev["signals"] else (
            "workshop" if row["source"] == "workshop" else ""),
    }


def _rank(out: list[dict[str, Any]], w: dict[str, float]) -> pd.DataFrame:
    """Step 6: impact (value at risk / the largest), value, priority and quadrant; sorted by
    priority, highest first."""
    if not out:
        return _empty_scores()
    table = pd.DataFrame(out)
    at_risk = table["value_at_risk"].astype("float64")
    largest = at_risk.max(skipna=True)
    table["impact"] = at_risk / largest if _known(largest) and largest > 0 else at_risk * 0.0
    table["value"] = [
        component_value(r.frequency, r.severity, r.reach, r.impact, w)
        for r in table.itertuples()
    ]
    table["priority"] = [
        priority_score(frequency=r.frequency, severity=r.severity, reach=r.reach,
                       impact=r.impact, effort=r.effort, confidence=r.confidence, weights=w)
        for r in table.itertuples()
    ]
    table["quadrant"] = [
        quadrant(r.impact if _known(r.impact) else r.value, r.effort) for r in table.itertuples()
    ]
    table = table.sort_values(["priority", "n_evidence", "id"], ascending=[False, False, True],
                              kind="mergesort").reset_index(drop=True)
    return _typed(table[SCORE_COLUMNS])


def _compute_scores(ws: Workspace, w: dict[str, float]) -> pd.DataFrame:
    """:func:`score_pain_points` with validated weights ``w`` (not memoised)."""
    data = _gather(ws)
    evidence = {key: _unit_stats(data, key) for key in data.units}
    rows = _discovered_rows(evidence)
    _add_workshop_rows(ws, data, rows)
    scored = [_scored_row(data, evidence, row) for row in rows]
    summary = vote_summary(ws.path).set_index("item")
    for row in scored:
        pid = str(row["id"])
        row["votes"] = summary.at[pid, "votes"] if pid in summary.index else pd.NA
        row["spread"] = summary.at[pid, "spread"] if pid in summary.index else pd.NA
    return _rank(scored, w)


def _best_theme(text: str, themes: list[_Theme], touchpoint: str | None) -> str | None:
    best_key, best = None, None
    for order, theme in enumerate(themes):
        hits = theme.hits(text)
        if hits:
            key = (touchpoint is not None and theme.touchpoint == touchpoint, hits, -order)
            if best_key is None or key > best_key:
                best_key, best = key, theme.name
    return best


def _match(rows: list[dict], pid: str, tp_id: str | None, theme: str | None) -> dict | None:
    candidates = [r for r in rows if r["source"] == "discovered" and not r.get("_merged")]
    for row in candidates:
        if row["id"] == pid:
            return row
    if tp_id is None:
        return None
    same_tp = [r for r in candidates if r["touchpoint"] == tp_id]
    for row in same_tp:
        if theme is not None and row["theme"] == theme:
            return row
    for row in same_tp:
        if theme is None or row["theme"] is None:
            return row
    return None


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    for column in ("id", "kind", "source", "title", "description", "touchpoint",
                   "touchpoint_name", "stage", "theme", "quadrant", "owner", "status", "signals",
                   "dropoff_step"):
        table[column] = table[column].astype("string")
    for column in ("n_evidence", "n_texts", "n_tickets", "n_csat", "n_funnel"):
        table[column] = table[column].astype("int64")
    for column in ("frequency", "severity", "reach", "impact", "effort", "confidence", "priority",
                   "value", "value_at_risk", "sentiment", "csat", "dropoff_excess"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
        table[column] = table[column].astype("float64")
    table["quotes"] = table["quotes"].astype("object")
    for column in ("votes", "spread"):
        table[column] = pd.array([pd.NA if v is None or pd.isna(v) else int(v) for v in table[column]],
                                 dtype="Int64")
    return table


def _empty_scores() -> pd.DataFrame:
    table = pd.DataFrame({c: pd.Series(dtype="object") for c in SCORE_COLUMNS})
    return _typed(table)
