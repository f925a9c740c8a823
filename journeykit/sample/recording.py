"""The rows of the demo business and the draws that make them.

:class:`Recorder` holds the one ``numpy.random.Generator`` and the rows of the event
log, orders, surveys, reviews and tickets. It knows how to draw small things (a
weighted pick, a chance, a time of day that suits a channel, office hours) and how to
record what a customer does and says: events, orders, survey answers, reviews and
support tickets (:mod:`journeykit.sample.static` texts). The journeys themselves (what
happens to whom, when) are :class:`journeykit.sample.journeys.Simulation`, built on it.
Every draw comes from the one Generator in a fixed order: the same seed gives the same
rows. Times are seconds since the start of the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from journeykit.sample.behaviour import APP_UPDATE_AT, ONLINE_CDF, ONLINE_HOURS, Behaviour
from journeykit.sample.static import CLOSERS, TEXT, TICKET_TEXT, TOUCHPOINT_STAGE

DAY = 86_400
_T = TypeVar("_T")


@dataclass
class Customer:
    id: str
    persona: str
    behaviour: Behaviour
    first_day: int
    acquisition: str = ""
    first_seen: int = -1
    # (kind, time, details for the comment templates)
    experiences: list[tuple[str, int, dict]] = field(default_factory=list)


class Recorder:

    """Accumulates the rows of every table; every random draw goes through ``rng``."""

    def __init__(self, rng: np.random.Generator, start: pd.Timestamp, n_days: int):
        self.rng = rng
        self.start = start
        self.n_days = n_days
        self.end_s = n_days * DAY
        self.start_weekday = start.weekday()
        self.day_month = pd.DatetimeIndex(
            start + pd.to_timedelta(np.arange(n_days + 800), unit="D")).month.to_numpy()
        self.app_update_s = int(APP_UPDATE_AT * n_days) * DAY
        self.events: list[tuple[str, int, str, str]] = []
        self.orders: list[tuple[str, int, float, str, int]] = []
        self.feedback: list[tuple] = []
        self.tickets: list[tuple] = []
        self.order_seq = 0

    # ---- small random helpers (all through the one Generator) ----
    def pick(self, options: Sequence[tuple[_T, float]]) -> _T:
        """One of the options, drawn with the given (unnormalised) weights."""
        u = self.rng.random() * sum(w for _, w in options)
        for name, weight in options:
            u -= weight
            if u < 0:
                return name
        return options[-1][0]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def integer(self, low: int, high_inclusive: int) -> int:
        return int(self.rng.integers(low, high_inclusive + 1))

    def one_of(self, items: Sequence):
        return items[int(self.rng.integers(len(items)))]

    def month_of(self, t: int) -> int:
        """Calendar month (1-12) of the time ``t`` (seconds from the start)."""
        day = int(t // DAY)
        if 0 <= day < len(self.day_month):
            return int(self.day_month[day])
        return int((self.start + pd.Timedelta(days=day)).month)

    # ---- time of day ----
    def at(self, day: float, channel: str) -> int:
        """A time (seconds from the start) on ``day`` that suits ``channel``."""
        d = int(day)
        if channel in ("store", "phone"):
            weekday = (self.start_weekday + d) % 7
            if weekday == 6:  # Sunday: the shop is closed
                d += 1
            elif channel == "phone" and weekday == 5:
                d += 2
            seconds = self.integer(int(9.5 * 3600), int(17.5 * 3600))
        elif channel == "email":
            seconds = self.integer(6 * 3600, 22 * 3600)
        else:
            hour = int(ONLINE_HOURS[int(np.searchsorted(ONLINE_CDF, self.rng.random()))])
            seconds = hour * 3600 + self.integer(0, 3599)
        return d * DAY + seconds

    def session(self, customer: Customer, t: int, channel: str, names: Sequence[str]) -> int:
        """Events one after the other, seconds to minutes apart; returns the last time."""
        for i, name in enumerate(names):
            if i:
                t += self.integer(15, 240)
            self.event(customer, t, name, channel)
        return t

    def event(self, customer: Customer, t: int, name: str, channel: str) -> None:
        self.events.append((customer.id, t, name, channel))
        if customer.first_seen < 0 or t < customer.first_seen:
            customer.first_seen = t

    def order(self, customer: Customer, t: int, amount: float, channel: str) -> str:
        """Record an order; returns a placeholder that becomes its order id once all orders
        are numbered in time order (see :func:`_assemble`)."""
        self.order_seq += 1
        self.orders.append((customer.id, t, round(amount, 2), channel, self.order_seq))
        return f"<order {self.order_seq}>"

    # ---- what customers say ----
    def scores(self, mood: int) -> tuple[int, int, int]:
        """NPS 0-10, CSAT 1-5, CES 1-7 for a mood from -2 (furious) to 2 (delighted)."""
        nps_centre = {-2: 2.5, -1: 5.0, 0: 7.0, 1: 8.6, 2: 9.4}[mood]
        csat_centre = {-2: 1.4, -1: 2.4, 0: 3.4, 1: 4.3, 2: 4.8}[mood]
        ces_centre = {-2: 2.0, -1: 3.2, 0: 4.6, 1: 5.8, 2: 6.5}[mood]
        nps = int(np.clip(round(nps_centre + self.rng.normal(0, 1.2)), 0, 10))
        csat = int(np.clip(round(csat_centre + self.rng.normal(0, 0.55)), 1, 5))
        ces = int(np.clip(round(ces_centre + self.rng.normal(0, 0.8)), 1, 7))
        return nps, csat, ces

    def say(self, kind: str, **slots: object) -> str:
        """A comment of the given kind with its {slots} filled in."""
        return self.one_of(TEXT[kind]).format(**slots)

    def survey(self, customer: Customer, t: int, touchpoint: str, mood: int, comment: str,
               channel: str, *, ask_nps: float = 0.35, comment_p: float = 0.55) -> None:
        """A transactional survey answer about ``touchpoint`` a few days after ``t``."""
        when = t + self.integer(1, 5) * DAY
        nps, csat, ces = self.scores(mood)
        nps_v = nps if self.chance(ask_nps) else None
        csat_v = csat if self.chance(0.96) else None
        ces_v = ces if self.chance(0.8) else None
        if self.chance(0.06):  # now and then a rare red-herring remark instead
            comment = self.say(self.one_of(("price", "stock", "website", "hours", "neutral")))
        elif mood != 0 and self.chance(0.3):  # a closing remark in the same tone
            comment += " " + self.one_of(CLOSERS["negative" if mood < 0 else "positive"])
        text = comment if self.chance(comment_p) else ""
        stage = TOUCHPOINT_STAGE[touchpoint]
        self.feedback.append((customer.id, when, stage, touchpoint, nps_v, csat_v, ces_v, text,
                              channel, "survey"))

    def review(self, customer: Customer, t: int, mood: int, comment: str) -> None:
        """A public review (stars = CSAT); the touchpoint is left for keyword rules."""
        when = t + self.integer(2, 14) * DAY
        _, csat, _ = self.scores(mood)
        self.event(customer, self.at(when / DAY, "web"), "review_written", "web")
        self.feedback.append((customer.id, when, None, None, None, csat, None,
                              comment, "web", "review"))

    def ticket(self, customer: Customer, t: int, category: str, touchpoint: str | None,
               channel: str, hours: tuple[float, float], *, before: int | None = None,
               **slots: object) -> None:
        """A support ticket opened at ``t`` (phone calls move into office hours; a call that
        would come after ``before`` becomes an email)."""
        template = self.one_of(TICKET_TEXT[category])
        slots = {"email": f"{customer.id.lower()}@example.com",
                 "phone": f"06-{self.integer(10000000, 99999999)}", **slots}
        text = template.format(**slots)
        if channel == "phone":
            if before is None or self.office(t) < before:
                t = self.office(t)
            else:
                channel = "email"
        closed = max(self.office(t + int(self.uniform(*hours) * 3600)), t + 300)
        if self.chance(0.25):  # the after-contact survey
            if category in ("delivery", "repair", "payment") and self.chance(0.35):
                mood, pool = -1 if self.chance(0.5) else 0, "support_unsorted"
            else:
                mood, pool = (2 if self.chance(0.5) else 1), "support_sorted"
            self.survey(customer, closed, "tp_customer_service", mood, self.say(pool), channel,
                        comment_p=0.5)
        if not self.chance(0.85):
            touchpoint = None  # some tickets are not tagged; keyword rules have to place them
        self.event(customer, t, "support_contact", channel)
        self.tickets.append((customer.id, t, closed, channel, category, text, touchpoint))

    def office(self, t: int) -> int:
        """``t`` moved into office hours (Monday-Friday 9:00-17:30) if it falls outside."""
        day, seconds = divmod(int(t), DAY)
        if seconds < 9 * 3600:
            seconds = 9 * 3600 + self.integer(0, 7200)
        elif seconds > 17.5 * 3600:
            day, seconds = day + 1, 9 * 3600 + self.integer(0, 10800)
        weekday = (self.start_weekday + day) % 7
        if weekday >= 5:
            day += 7 - weekday
        return day * DAY + seconds

