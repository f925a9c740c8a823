"""The customer-by-customer simulation of the demo business.

:class:`Simulation` draws, for one :class:`~journeykit.sample.recording.Customer` at a
time, what happens on their journey (they hear of the shop, browse, maybe book a test
ride, buy online or in the shop, receive a delivery, come back for accessories and
repairs, stop coming); the rows it records and the small draws it makes are
:class:`~journeykit.sample.recording.Recorder`'s. What happens decides what they say
(:mod:`journeykit.sample.static` texts). Every draw comes from the one
``numpy.random.Generator`` passed in, in a fixed order: the same seed gives the same
rows. Times are seconds since the start of the period.
"""

from __future__ import annotations

import re

import pandas as pd

from journeykit.sample.behaviour import (
    ACCESSORIES,
    LATE_DELIVERY,
    MOBILE_PAYMENT_FAIL,
    MODELS,
    SLOW_REPAIR,
    STAFF,
    WEB_PAYMENT_FAIL,
)
from journeykit.sample.recording import DAY, Customer, Recorder


class Simulation(Recorder):
    """The journeys of the customers, one at a time (:meth:`simulate`), recorded as rows."""

    # ---- the journey of one customer ----
    def simulate(self, customer: Customer) -> None:
        b = customer.behaviour
        day = float(customer.first_day) + self.uniform(0, 0.9)
        acquisition = self.pick(b.acquisition)
        customer.acquisition = acquisition
        t = self.awareness(customer, day, acquisition)
        intent = self.pick((("bike", b.intent[0]), ("repair", b.intent[1]),
                            ("accessory", b.intent[2])))
        if intent == "bike":
            bought = self.bike_journey(customer, t)
        elif intent == "repair":
            bought = self.repair(customer, t / DAY + self.uniform(0, 2))
        else:
            bought = self.accessory(customer, t / DAY + self.uniform(0, 1), first=True)
        if bought is None:
            return
        if customer.persona == "p_sport" and self.chance(0.08):
            ride = self.at(bought / DAY + self.uniform(7, 90), "store")
            self.survey(customer, ride, "tp_community_rides", 2, self.say("community_ride"),
                        "social", ask_nps=0.5)
        self.relationship_survey(customer, bought)
        self.repeat_purchases(customer, bought)

    def awareness(self, customer: Customer, day: float, channel: str) -> int:
        if channel == "store":
            return self.session(customer, self.at(day, "store"), "store", ["store_walk_in"])
        if channel == "email":
            return self.session(customer, self.at(day, "email"), "email", ["newsletter_open"])
        if channel == "social":
            return self.session(customer, self.at(day, "social"), "social", ["social_visit"])
        first = self.pick((("search_visit", 0.55), ("ad_click", 0.35), ("social_visit", 0.10)))
        return self.session(customer, self.at(day, channel), channel, [first])

    def browse_channel(self, customer: Customer) -> str:
        return "mobile" if self.chance(customer.behaviour.browse_mobile) else "web"

    def bike_journey(self, customer: Customer, t: int) -> int | None:
        """Consideration and the first bike purchase; returns the time of purchase or None."""
        b = customer.behaviour
        day = t / DAY
        for visit in range(self.integer(1, 4)):
            if self.chance(b.store_visit):
                self.session(customer, self.at(day, "store"), "store", ["store_advice"])
            else:
                channel = self.browse_channel(customer)
                if visit == 0 and self.chance(0.08):
                    tp = "tp_web_product_page" if channel == "web" else "tp_app_browse"
                    mood = self.pick(((1, 0.5), (0, 0.4), (2, 0.1)))
                    self.survey(customer, self.at(day, channel), tp, mood,
                                self.say("browsing" if mood else "website"), channel,
                                comment_p=0.5)
                names = ["product_view"] * self.integer(1, 5)
                if channel == "web" and self.chance(0.4):
                    names.append("compare_models")
                if self.chance(0.35):
                    names.append("read_reviews")
                if self.chance(0.3):
                    names.append("product_view")
                self.session(customer, self.at(day, channel), channel, names)
            day += self.uniform(0.3, 6)
        if self.chance(b.phone_enquiry):
            self.session(customer, self.at(day, "phone"), "phone", ["phone_enquiry"])
            day += self.uniform(0.2, 2)
        rode = False
        if self.chance(b.test_ride):
            book_channel = self.pick((("web", 0.5), ("mobile", 0.2), ("phone", 0.3)))
            self.session(customer, self.at(day, book_channel), book_channel, ["test_ride_booked"])
            day += self.uniform(1, 7)
            ride_t = self.session(customer, self.at(day, "store"), "store", ["test_ride"])
            rode = True
            happy = self.chance(0.85)
            mood = (2 if self.chance(0.6) else 1) if happy else 0
            staff = self.one_of(STAFF)
            customer.experiences.append(("good_test_ride" if happy else "meh_test_ride", ride_t,
                                         {"staff": staff}))
            if self.chance(0.4):
                text = self.say("good_test_ride" if happy else "meh_test_ride", staff=staff)
                self.survey(customer, ride_t, "tp_test_ride", mood, text, "store",
                            comment_p=0.6)
            day += self.uniform(0, 3)
        if not self.chance(0.86 if rode else 0.68):
            return None
        channel = self.pick(b.bike_channel)
        amount = self.uniform(*b.bike_price)
        item = self.one_of(b.bike_names)
        if channel == "store":
            return self.store_purchase(customer, day, amount, item, bike=True)
        return self.online_purchase(customer, day, channel, amount, item, bike=True)

    def store_purchase(self, customer: Customer, day: float, amount: float, item: str,
                       *, bike: bool) -> int:
        names = ["store_purchase"] if not bike or self.chance(0.5) else ["store_advice",
                                                                          "store_purchase"]
        t = self.session(customer, self.at(day, "store"), "store", names)
        self.order(customer, t, amount, "store")
        if self.chance(0.35 if bike else 0.12):
            happy = self.chance(0.85)
            text = self.say("good_store" if happy else "meh_store", staff=self.one_of(STAFF))
            tp = "tp_store_advice" if bike and self.chance(0.4) else "tp_store_checkout"
            mood = (2 if self.chance(0.5) else 1) if happy else 0
            self.survey(customer, t, tp, mood, text, "store")
        if bike and self.chance(0.05):
            self.review(customer, t, 2, self.say("promoter"))
        return t

    def online_purchase(self, customer: Customer, day: float, channel: str, amount: float,
                        item: str, *, bike: bool, attempt: int = 0) -> int | None:
        """Basket, checkout and payment on web or mobile; then delivery or pick-up."""
        t = self.at(day, channel)
        views = ["product_view"] * self.integer(1, 3)
        t = self.session(customer, t, channel, [*views, "add_to_cart"])
        if not self.chance(0.84):  # abandoned basket; some come back later
            if attempt == 0 and self.chance(0.45):
                return self.online_purchase(customer, day + self.uniform(0.5, 8), channel,
                                            amount, item, bike=bike, attempt=1)
            return None
        t = self.session(customer, t + self.integer(20, 400), channel, ["checkout_start"])
        if not self.chance(0.9):
            return None
        fail_p = WEB_PAYMENT_FAIL
        if channel == "mobile":
            fail_p = MOBILE_PAYMENT_FAIL[1 if t >= self.app_update_s else 0]
        t = self.session(customer, t + self.integer(30, 300), channel, ["checkout_payment"])
        failed = self.chance(fail_p)
        if failed:
            self.event(customer, t + self.integer(5, 40), "payment_failed", channel)
            t += 60
            if self.chance(0.3):  # one retry, straight away
                t = self.session(customer, t + self.integer(20, 120), channel,
                                 ["checkout_payment"])
                failed = self.chance(fail_p)
                if failed:
                    self.event(customer, t + self.integer(5, 40), "payment_failed", channel)
                    t += 60
        if failed:
            customer.experiences.append(("payment_failed", t, {"item": item}))
            checkout_tp = "tp_mobile_checkout" if channel == "mobile" else "tp_web_checkout"
            if self.chance(0.32):
                mood = -2 if self.chance(0.65) else -1
                self.survey(customer, t, checkout_tp, mood,
                            self.say("payment_failed", item=item), channel, comment_p=0.75)
            if self.chance(0.22):
                self.ticket(customer, t + self.integer(600, 3 * DAY), "payment", checkout_tp,
                            self.pick((("email", 0.5), ("phone", 0.3), ("social", 0.2))),
                            (1, 48))
            if attempt < 2:
                fallback = self.pick((("web", 0.3), ("store", 0.2), ("none", 0.5)))
                if fallback == "web":
                    return self.online_purchase(customer, t / DAY + self.uniform(0.01, 3), "web",
                                                amount, item, bike=bike, attempt=2)
                if fallback == "store":
                    return self.store_purchase(customer, t / DAY + self.uniform(0.5, 6), amount,
                                               item, bike=bike)
            return None
        t = self.session(customer, t + self.integer(5, 40), channel, ["order_completed"])
        order_id = self.order(customer, t, amount, channel)
        checkout_tp = "tp_mobile_checkout" if channel == "mobile" else "tp_web_checkout"
        if self.chance(0.22):
            happy_kind = "ok_mobile_checkout" if channel == "mobile" else "ok_web_checkout"
            self.survey(customer, t, checkout_tp, 2 if self.chance(0.5) else 1,
                        self.say(happy_kind), channel)
        self.fulfil(customer, t, channel, item, order_id, bike=bike)
        return t

    def fulfil(self, customer: Customer, t: int, channel: str, item: str, order_id: str,
               *, bike: bool) -> None:
        if self.chance(0.15):  # click and collect
            day = t / DAY + self.uniform(1, 3)
            pickup = self.session(customer, self.at(day, "store"), "store", ["store_pickup"])
            if self.chance(0.08):
                self.survey(customer, pickup, "tp_store_pickup", 1, self.say("neutral"), "store")
            return
        promised = 3 if bike else 2
        month = self.month_of(t)
        late_p = LATE_DELIVERY[1 if month in (11, 12) else 0]
        late = self.integer(2, 9) if self.chance(late_p) else 0
        total = promised + late - (1 if not late and self.chance(0.3) else 0)
        day = t / DAY + total
        delivered = self.at(day, "web")
        delivered = max(delivered, t + 3600)
        self.event(customer, delivered, "delivery_received", channel)
        due = self.start + pd.Timedelta(days=int(t / DAY + promised))
        if late:
            customer.experiences.append(("late_delivery", delivered,
                                         {"item": item, "late": late, "total": total}))
            if self.chance(0.42):
                mood = -2 if late >= 5 or self.chance(0.4) else -1
                self.survey(customer, delivered, "tp_home_delivery", mood,
                            self.say("late_delivery", item=item, late=late, total=total),
                            channel, comment_p=0.75)
            if self.chance(0.3):
                opened = (t // DAY + promised + self.integer(1, max(1, late - 1))) * DAY \
                    + self.integer(8 * 3600, 21 * 3600)
                self.ticket(customer, min(opened, delivered - 600), "delivery",
                            "tp_home_delivery",
                            self.pick((("phone", 0.45), ("email", 0.4), ("social", 0.15))),
                            (2, 72), before=delivered, order=order_id, due=format_day_month(due),
                            item=item)
        elif self.chance(0.25):
            self.survey(customer, delivered, "tp_home_delivery",
                        2 if self.chance(0.45) else 1, self.say("ok_delivery", item=item),
                        channel, comment_p=0.45)

    def repair(self, customer: Customer, day: float) -> int | None:
        """Booking, the wait in the workshop, collection (an order) — returns collection time."""
        b = customer.behaviour
        channel = self.pick(b.repair_channel)
        booked = self.session(customer, self.at(day, channel), channel, ["repair_booked"])
        if channel in ("web", "mobile") and self.chance(0.1):
            self.survey(customer, booked, "tp_repair_booking", 2 if self.chance(0.5) else 1,
                        self.say("easy_booking"), channel, comment_p=0.4)
        drop_day = booked / DAY + self.uniform(0, 2)
        month = self.month_of(int(drop_day * DAY))
        slow = self.chance(SLOW_REPAIR[1 if month in (3, 4, 5, 6) else 0])
        days = self.integer(8, 21) if slow else self.integer(1, 4)
        collected = self.session(customer, self.at(drop_day + days, "store"), "store",
                                 ["repair_collected"])
        days = max(1, round((collected - booked) / DAY))
        amount = self.uniform(30, 250) if self.chance(0.8) else self.uniform(30, 90)
        self.order(customer, collected, amount, "store")
        if slow:
            customer.experiences.append(("slow_repair", collected, {"days": days}))
            if self.chance(0.36):
                mood = -2 if days >= 12 or self.chance(0.5) else -1
                self.survey(customer, collected, "tp_repair_workshop", mood,
                            self.say("slow_repair", days=days), "store", comment_p=0.75)
            if self.chance(0.25):
                waited = self.integer(4, max(5, days - 1))
                opened = (booked // DAY + waited) * DAY + self.integer(8 * 3600, 21 * 3600)
                since = format_day_month(self.start + pd.Timedelta(seconds=booked))
                self.ticket(customer, min(opened, collected - 600), "repair",
                            "tp_repair_workshop",
                            self.pick((("phone", 0.55), ("email", 0.3), ("social", 0.15))),
                            (3, 96), before=collected, since=since, days=waited)
        elif self.chance(0.22):
            self.survey(customer, collected, "tp_repair_workshop",
                        2 if self.chance(0.5) else 1, self.say("ok_repair"), "store",
                        comment_p=0.5)
        return collected

    def accessory(self, customer: Customer, day: float, *, first: bool = False) -> int | None:
        name, low, high = self.one_of(ACCESSORIES)
        amount = self.uniform(low, high)
        channel = self.pick(customer.behaviour.accessory_channel)
        if channel == "store":
            if first or self.chance(0.5):
                t = self.store_purchase(customer, day, amount, name, bike=False)
            else:
                t = self.session(customer, self.at(day, "store"), "store",
                                 ["return_visit", "store_purchase"])
                self.order(customer, t, amount, "store")
            return t
        return self.online_purchase(customer, day, channel, amount, name, bike=False)

    def repeat_purchases(self, customer: Customer, t: int) -> None:
        """Repeat purchases as a Poisson process with a per-customer rate, each followed by a
        chance to drop out for good (the BG/NBD story), plus reminders and newsletters."""
        b = customer.behaviour
        rate = self.rng.gamma(3.0, b.repeat_rate / 3.0) / 30.0  # purchases per day
        dropout = self.rng.beta(*b.dropout)
        subscribed = self.chance(b.newsletter)
        day = t / DAY
        if subscribed and self.chance(0.05):
            self.survey(customer, self.at(day + self.uniform(20, 120), "email"), "tp_newsletter",
                        self.pick(((1, 0.6), (0, 0.4))), self.say("newsletter"), "email")
        if subscribed:  # newsletter opens until the end (they keep reading for a while)
            d = day + self.uniform(5, 35)
            stop = day + self.uniform(60, 900)
            while d < min(stop, self.n_days):
                if self.chance(0.45):
                    self.session(customer, self.at(d, "email"), "email", ["newsletter_open"])
                d += self.uniform(26, 34)
        while True:
            gap = float(self.rng.exponential(1.0 / max(rate, 1e-6)))
            self.browse_between(customer, day, min(day + gap, self.n_days))
            day += gap
            if day >= self.n_days:
                return
            kind = self.pick((("accessory", b.repeat_mix[0]), ("repair", b.repeat_mix[1]),
                              ("bike", b.repeat_mix[2])))
            if kind == "repair" and self.chance(0.35):
                self.session(customer, self.at(day - self.uniform(1, 10), "email"), "email",
                             ["service_reminder_open"])
            if kind == "accessory" and subscribed and self.chance(0.3):
                self.session(customer, self.at(day - self.uniform(0.1, 3), "email"), "email",
                             ["newsletter_open"])
            if kind == "repair":
                done = self.repair(customer, day)
            elif kind == "accessory":
                done = self.accessory(customer, day)
            else:
                done = self.bike_journey(customer, self.at(day, "web"))
            if done is not None:
                day = max(day, done / DAY)
                if self.chance(0.04):
                    self.review(customer, done, self.mood_now(customer, done),
                                self.review_text(customer, done))
                if self.chance(dropout):
                    return
            if self.chance(0.05):
                self.other_ticket(customer, day)

    def browse_between(self, customer: Customer, day: float, until: float) -> None:
        """Visits without a purchase while the customer is active: browsing, the odd ad."""
        d = day + float(self.rng.exponential(customer.behaviour.browse_gap))
        while d < until - 1:
            if self.chance(customer.behaviour.store_visit):
                self.session(customer, self.at(d, "store"), "store", ["return_visit"])
            elif self.chance(customer.behaviour.phone_enquiry * 0.4):  # a question by phone
                self.session(customer, self.at(d, "phone"), "phone", ["phone_enquiry"])
            else:
                channel = self.browse_channel(customer)
                first = self.pick((("product_view", 0.7), ("search_visit", 0.15),
                                   ("ad_click", 0.1), ("social_visit", 0.05)))
                names = [first] + ["product_view"] * self.integer(0, 3)
                if self.chance(0.15):
                    names.append("read_reviews")
                if self.chance(0.1):
                    names.append("add_to_cart")  # and leaves it there
                self.session(customer, self.at(d, channel), channel, names)
            d += float(self.rng.exponential(customer.behaviour.browse_gap))

    def mood_now(self, customer: Customer, t: int) -> int:
        """The customer's mood at ``t``: their worst recent experience counts most."""
        recent = [kind for kind, when, _ in customer.experiences if t - 120 * DAY <= when <= t]
        if "payment_failed" in recent or "slow_repair" in recent:
            return -2 if self.chance(0.6) else -1
        if "late_delivery" in recent:
            return -1 if self.chance(0.6) else -2
        if "good_test_ride" in recent:
            return 2
        return 2 if self.chance(0.45) else 1 if self.chance(0.8) else 0

    def review_text(self, customer: Customer, t: int) -> str:
        """What the customer writes: about their worst experience of the last four months."""
        recent = {kind: details for kind, when, details in customer.experiences
                  if t - 120 * DAY <= when <= t}
        for kind in ("slow_repair", "payment_failed", "late_delivery", "good_test_ride"):
            if kind in recent:
                return self.say(kind, **recent[kind])
        return self.say("promoter")

    def relationship_survey(self, customer: Customer, first_purchase: int) -> None:
        """The 'would you recommend us' survey, one to seven months after the first purchase
        (NPS only, not tied to a stage or touchpoint)."""
        t = first_purchase + self.integer(30, 200) * DAY
        if not self.chance(0.35):
            return
        mood = self.mood_now(customer, t)
        nps, _, _ = self.scores(mood)
        if mood < 0:
            text = self.review_text(customer, t)
        elif mood == 2:
            text = self.say("promoter")
        else:
            text = self.say(self.pick((("neutral", 0.6), ("price", 0.15), ("stock", 0.1),
                                       ("website", 0.1), ("hours", 0.05))))
        if not self.chance(0.6):
            text = ""
        when = t
        self.feedback.append((customer.id, when, None, None, nps, None, None, text,
                              "email", "survey"))

    def other_ticket(self, customer: Customer, day: float) -> None:
        category = self.pick((("product", 0.45), ("test_ride", 0.1), ("returns", 0.25),
                              ("invoice", 0.2)))
        touchpoint = {"product": "tp_phone_enquiry", "test_ride": "tp_test_ride_booking",
                      "returns": "tp_returns", "invoice": "tp_customer_service"}[category]
        channel = self.pick((("email", 0.5), ("phone", 0.4), ("social", 0.1)))
        name = self.one_of(ACCESSORIES)[0]
        t = self.at(day, channel)
        self.ticket(customer, t, category, touchpoint, channel, (1, 60), model=self.one_of(MODELS),
                    item=name)
        if category == "returns":
            self.session(customer, self.at(day + self.uniform(1, 8), "store"), "store",
                         ["return_visit"])



_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def format_day_month(when: pd.Timestamp) -> str:
    """'5 March' without depending on the C library's locale."""
    return f"{when.day} {_MONTHS[when.month - 1]}"


ORDER_MARK = re.compile(r"<order (\d+)>")
