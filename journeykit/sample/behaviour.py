"""How the demo business's customers behave: the simulation's parameters.

One :class:`Behaviour` per persona (how they arrive, browse, buy, come back and stop
coming), the shop's catalogue and surroundings (cities, accessories, staff, models), the
switches of the three planted problems, and the seasonality of arrivals and of online
use. Changing any number here changes the generated workspace (and its byte-for-byte
test, tests/test_sample.py).

Example:
    >>> round(sum(b.share for b in BEHAVIOUR.values()), 2)
    1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Behaviour:
    """How customers of one persona behave (shares and probabilities are 0-1, prices EUR).

    The personas differ the way real ones do: each has its own channels (where they hear
    of the shop, browse, buy and book repairs), its own price range and purchase rhythm,
    and its own habits in the shop (test rides, phone calls, advice at the counter), so
    that their behaviour identifies them (a clustering of the customers finds them,
    tests/test_segments_demo.py) while the channels still overlap where a shop's would.
    """

    share: float
    acquisition: tuple[tuple[str, float], ...]  # channel of the first contact
    browse_mobile: float  # share of online browsing done in the app
    store_visit: float  # chance a browsing visit (before or between purchases) is in the shop
    browse_gap: float  # mean days between browsing visits while active (online or in the shop)
    phone_enquiry: float  # chance of calling the shop before buying a bike
    intent: tuple[float, float, float]  # first reason to come: bike, repair, accessory
    test_ride: float
    bike_channel: tuple[tuple[str, float], ...]  # web, mobile, store
    accessory_channel: tuple[tuple[str, float], ...]
    repair_channel: tuple[tuple[str, float], ...]  # where repairs are booked
    bike_price: tuple[float, float]
    bike_names: tuple[str, ...]
    repeat_rate: float  # mean repeat purchases per month while active
    repeat_mix: tuple[float, float, float]  # accessory, repair, bike
    dropout: tuple[float, float]  # Beta(a, b) of the chance to stop after a purchase
    ages: tuple[tuple[str, float], ...]
    newsletter: float  # chance of being subscribed


BEHAVIOUR: dict[str, Behaviour] = {
    # Sanne: lives in the app (browsing, buying small things, booking repairs), many repairs
    "p_commuter": Behaviour(
        share=0.36,
        acquisition=(("mobile", 0.75), ("web", 0.12), ("store", 0.08), ("social", 0.05)),
        browse_mobile=0.92, store_visit=0.06, browse_gap=16, phone_enquiry=0.03,
        intent=(0.40, 0.45, 0.15), test_ride=0.1,
        bike_channel=(("web", 0.12), ("mobile", 0.63), ("store", 0.25)),
        accessory_channel=(("web", 0.07), ("mobile", 0.78), ("store", 0.15)),
        repair_channel=(("mobile", 0.80), ("web", 0.07), ("phone", 0.03), ("store", 0.10)),
        bike_price=(550, 1300), bike_names=("city bike", "commuter bike", "folding bike"),
        repeat_rate=0.50, repeat_mix=(0.35, 0.62, 0.03), dropout=(2.0, 10.0),
        ages=(("25-34", 0.5), ("35-44", 0.4), ("45-54", 0.1)), newsletter=0.3,
    ),
    # Daan: researches on the website, buys expensive bikes and many accessories online
    "p_sport": Behaviour(
        share=0.22,
        acquisition=(("web", 0.55), ("social", 0.35), ("mobile", 0.05), ("store", 0.05)),
        browse_mobile=0.08, store_visit=0.05, browse_gap=12, phone_enquiry=0.05,
        intent=(0.60, 0.10, 0.30), test_ride=0.3,
        bike_channel=(("web", 0.72), ("mobile", 0.05), ("store", 0.23)),
        accessory_channel=(("web", 0.82), ("mobile", 0.05), ("store", 0.13)),
        repair_channel=(("web", 0.70), ("mobile", 0.05), ("phone", 0.05), ("store", 0.20)),
        bike_price=(1400, 3500), bike_names=("road bike", "gravel bike", "mountain bike"),
        repeat_rate=0.40, repeat_mix=(0.78, 0.17, 0.05), dropout=(2.0, 9.0),
        ages=(("25-34", 0.3), ("35-44", 0.4), ("45-54", 0.3)), newsletter=0.6,
    ),
    # Fatima: comes to the shop with the family, test rides, buys there, few repeat visits
    "p_family": Behaviour(
        share=0.24,
        acquisition=(("store", 0.75), ("mobile", 0.15), ("social", 0.05), ("web", 0.05)),
        browse_mobile=0.65, store_visit=0.55, browse_gap=30, phone_enquiry=0.06,
        intent=(0.70, 0.15, 0.15), test_ride=0.6,
        bike_channel=(("web", 0.08), ("mobile", 0.02), ("store", 0.90)),
        accessory_channel=(("web", 0.15), ("mobile", 0.03), ("store", 0.82)),
        repair_channel=(("web", 0.10), ("mobile", 0.02), ("phone", 0.08), ("store", 0.80)),
        bike_price=(400, 2000), bike_names=("cargo bike", "kids' bike", "family bike"),
        repeat_rate=0.22, repeat_mix=(0.55, 0.30, 0.15), dropout=(2.0, 8.0),
        ages=(("25-34", 0.25), ("35-44", 0.6), ("45-54", 0.15)), newsletter=0.25,
    ),
    # Henk: phones and reads the newsletter, test-rides e-bikes in the shop, repairs by phone
    "p_ebike": Behaviour(
        share=0.18,
        acquisition=(("store", 0.45), ("email", 0.40), ("web", 0.15)),
        browse_mobile=0.05, store_visit=0.55, browse_gap=40, phone_enquiry=0.75,
        intent=(0.80, 0.15, 0.05), test_ride=0.85,
        bike_channel=(("web", 0.06), ("mobile", 0.01), ("store", 0.93)),
        accessory_channel=(("web", 0.10), ("mobile", 0.02), ("store", 0.88)),
        repair_channel=(("phone", 0.80), ("store", 0.15), ("web", 0.05)),
        bike_price=(2200, 3500), bike_names=("e-bike", "electric city bike", "e-cargo bike"),
        repeat_rate=0.22, repeat_mix=(0.30, 0.67, 0.03), dropout=(2.0, 9.0),
        ages=(("55-64", 0.55), ("65-74", 0.35), ("45-54", 0.10)), newsletter=0.9,
    ),
}

CITIES = (("Utrecht", 0.56), ("Nieuwegein", 0.10), ("Zeist", 0.09), ("De Bilt", 0.08),
          ("Houten", 0.09), ("Maarssen", 0.08))
ACCESSORIES = (("lights", 25, 90), ("lock", 30, 120), ("helmet", 45, 150), ("pump", 15, 45),
               ("pannier bags", 40, 140), ("rain jacket", 50, 150), ("bell", 10, 20),
               ("saddle", 30, 110), ("tyres", 25, 80), ("gloves", 15, 45),
               ("child seat", 70, 150), ("bottle cage", 10, 25))
STAFF = ("Joris", "Mila", "Sem", "Noor", "Ayoub", "Lotte")
MODELS = ("Stadsfiets 3", "Gravel Pro 2", "Cargo Duo", "E-Tour 500", "Racer 105", "Kiddo 20")

# Risk switches of the planted problems (as fractions of the period / probabilities).
APP_UPDATE_AT = 0.25  # the app update that broke mobile payments, as a share of the period
MOBILE_PAYMENT_FAIL = (0.10, 0.72)  # chance a mobile payment attempt fails before/after
WEB_PAYMENT_FAIL = 0.05
LATE_DELIVERY = (0.32, 0.50)  # chance a delivery is late: normally / in November-December
SLOW_REPAIR = (0.38, 0.55)  # chance a repair is slow: normally / March-June


# Seasonality: arrivals per calendar month (relative weights)
MONTH_WEIGHT = {1: 0.6, 2: 0.7, 3: 1.0, 4: 1.3, 5: 1.4, 6: 1.3, 7: 1.1, 8: 1.1, 9: 1.2,
                 10: 0.9, 11: 0.8, 12: 1.0}
# hours of the day people use the website/app (weights for 7:00 ... 23:00)
ONLINE_HOURS = np.arange(7, 24)
ONLINE_WEIGHTS = np.array([3, 5, 4, 3, 3, 4, 4, 3, 3, 4, 5, 6, 8, 9, 8, 6, 3], dtype=float)
ONLINE_CDF = np.cumsum(ONLINE_WEIGHTS) / ONLINE_WEIGHTS.sum()
