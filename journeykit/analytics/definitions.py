"""The definitions behind every number, in plain language: what each report prints
in its data notes ("Every report prints the semantics it used").

Example:
    >>> table = semantics()
    >>> list(table.columns)
    ['topic', 'definition']
    >>> "PostHog" in table.set_index("topic").loc["Funnels", "definition"]
    True
"""

from __future__ import annotations

import pandas as pd

from journeykit.analytics.clv.customers import CLV_MONTHS, dropoff_value
from journeykit.analytics.clv.holdout import HOLDOUT_SEMANTICS
from journeykit.analytics.events import FUNNEL_SEMANTICS, PATHS_SEMANTICS, RETENTION_SEMANTICS
from journeykit.analytics.events.conversion import TIME_TO_CONVERT_SEMANTICS
from journeykit.analytics.events.pathflows import PATHFLOWS_SEMANTICS
from journeykit.analytics.events.trend import TREND_SEMANTICS
from journeykit.analytics.painpoints import (
    CONFIDENCE_HALF,
    DEFAULT_EFFORT,
    DEFAULT_WEIGHTS,
    EFFORT_THRESHOLD,
    IMPACT_THRESHOLD,
)
from journeykit.analytics.personas.segments import SEGMENT_SEMANTICS
from journeykit.analytics.voice import METHODS, NEGATIVE
from journeykit.analytics.voice.language import LANGUAGES, MIN_CONFIDENCE
from journeykit.workspace import Workspace
from journeykit.workspace.config import Defaults


def semantics(ws: Workspace | None = None, *, window: str | None = None, session_gap: str | None = None,
              csat_definition: str | None = None) -> pd.DataFrame:
    """One row per topic (funnels, paths, retention, NPS, CSAT, CES, CLV, pain-point
    priority, value at risk, funnel over time, timestamps) with the definition the analyses used: columns ``topic`` and
    ``definition`` (text). The conversion window, session gap and CSAT definition are
    the workspace's journey.yaml ``defaults`` when ``ws`` is given (the ones the event
    analyses and KPIs use on it), else the :class:`Defaults`; a keyword overrides them,
    for a report made with other settings.

    Example:
        >>> semantics(session_gap="45min").set_index("topic").loc["Paths", "definition"][-19:]
        'Session gap: 45min.'
    """
    defaults = ws.config.defaults if ws is not None else Defaults()
    window = window or defaults.window
    stage_window = defaults.stage_window or "no limit"
    session_gap = session_gap or defaults.session_gap
    csat_definition = csat_definition or defaults.csat_definition
    timezone = ws.config.timezone if ws is not None else "the workspace's timezone"
    methods = "; ".join(f"{code}: {name}" for code, name in METHODS.items())
    weights = ", ".join(f"{k} {v:g}" for k, v in DEFAULT_WEIGHTS.items())
    csat_text = ("CSAT = share of answers 4-5 on the 1-5 scale, with a 95% interval (the Wilson interval: "
                 "the range the true share lies in, with 95% confidence, that stays sensible for few answers)"
                 if csat_definition == "top2" else
                 "CSAT = mean answer on the 1-5 scale, with a 95% interval (a t interval: the range the true "
                 "mean lies in, with 95% confidence)")
    rows = [
        ("Funnels", f"{FUNNEL_SEMANTICS}\nConversion window (funnels unless they set another): "
                    f"{window}. The stage funnel's window: {stage_window}."),
        ("Time to convert", f"{TIME_TO_CONVERT_SEMANTICS} Conversion window: {window} unless the call sets "
                            "another."),
        ("Paths", f"{PATHS_SEMANTICS} Session gap: {session_gap}."),
        ("Paths after or before an event", f"{PATHFLOWS_SEMANTICS} Session gap: {session_gap}; conversion "
                                           f"window: {window}."),
        ("Retention", RETENTION_SEMANTICS),
        ("NPS", "NPS = % promoters (9-10) - % detractors (0-6), from -100 to 100; answers that "
                "are not whole numbers 0-10 are counted as invalid and left out; 95% interval: "
                "adjusted Wald (Rocks 2016)."),
        ("CSAT", csat_text + "; answers outside 1-5 are invalid and left out. Per stage and "
                 "touchpoint (the emotion curve, the map) an answer counts where the survey "
                 "was asked (feedback stage / asked_at); its comment counts for pain points "
                 "and sentiment where it is about (about, else its theme, else where asked)."),
        ("CES", "CES = mean answer on the 1-7 scale, 7 = very easy (higher is better), with a "
                "t 95% interval."),
        ("Customer lifetime value", "Historical CLV = average order value x purchases per year x "
                                    "expected lifespan (years, from repeat-purchase retention). "
                                    "Predictive CLV: BG/NBD (Fader, Hardie & Lee 2005) for "
                                    "purchases and Gamma-Gamma (Fader & Hardie 2013) for spend, "
                                    "fitted by maximum likelihood, discounted monthly. "
                                    + HOLDOUT_SEMANTICS),
        ("Pain-point priority", f"priority = confidence x weighted geometric mean of frequency, "
                                f"severity, reach and impact / (effort / 3) ^ w_effort; weights: "
                                f"{weights}; confidence = (n + n0) / (n + n0 + {CONFIDENCE_HALF}); "
                                f"blank effort = {DEFAULT_EFFORT}. Quadrants: high impact = impact "
                                f">= {IMPACT_THRESHOLD:g}, low effort = effort <= "
                                f"{EFFORT_THRESHOLD}."),
        ("Value at risk", "A pain point's value at risk = customers lost at its worst funnel step "
                          "beyond the other channels' rate x the value of a lost customer + "
                          "frequency x severity x customers reached x historical CLV. A lost "
                          f"customer is valued at the mean fitted {CLV_MONTHS}-month CLV (BG/NBD + "
                          "Gamma-Gamma) where the models can be fitted, else the average order "
                          "value. " + (f"In this workspace: {dropoff_value(ws).label}." if ws is not None
                                       else "")),
        ("Funnel over time", TREND_SEMANTICS),
        ("Segments", SEGMENT_SEMANTICS),
        ("Sentiment", f"Each comment's and ticket's language is detected offline (langid.py's "
                      f"model, py3langid) among the {len(LANGUAGES)} official EU languages; "
                      f"below {MIN_CONFIDENCE:.0%} probability it is undetermined. Sentiment "
                      f"-1..+1 by the language's method ({methods}); negative at <= "
                      f"{NEGATIVE:g}. A text in a language without a method gets no sentiment "
                      f"(not 0): the emotion curve uses the rating on its row instead (CSAT "
                      f"stars as (csat - 3) / 2, else NPS as (nps - 5) / 5) and counts a text "
                      f"with neither as not scored."),
        ("Timestamps", f"All dates and times are local time in {timezone}; values written with "
                       "an offset were converted to it."),
    ]
    return pd.DataFrame(rows, columns=["topic", "definition"])
