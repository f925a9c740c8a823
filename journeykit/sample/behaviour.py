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
    """How customers of one persona behave (shares and probabilities are 0-1, prices EUR)."""

    share: float
    acquisition: tuple[tuple[str, float], ...]  # channel of the first contact
    browse_mobile: float  # share of online browsing done in the app
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
    "p_commuter": Behaviour(
        share=0.36,
        acquisition=(("mobile", 0.40), ("web", 0.20), ("store", 0.20), ("social", 0.15),
                     ("email", 0.05)),
        browse_mobile=0.75, intent=(0.45, 0.42, 0.13), test_ride=0.2,
        bike_channel=(("web", 0.20), ("mobile", 0.38), ("store", 0.42)),
        accessory_channel=(("web", 0.18), ("mobile", 0.52), ("store", 0.30)),
        repair_channel=(("mobile", 0.45), ("web", 0.20), ("phone", 0.15), ("store", 0.20)),
        bike_price=(550, 1300), bike_names=("city bike", "commuter bike", "folding bike"),
        repeat_rate=0.42, repeat_mix=(0.42, 0.53, 0.05), dropout=(2.0, 10.0),
        ages=(("25-34", 0.5), ("35-44", 0.4), ("45-54", 0.1)), newsletter=0.5,
    ),
    "p_sport": Behaviour(
        share=0.22,
        acquisition=(("web", 0.45), ("social", 0.30), ("mobile", 0.10), ("store", 0.10),
                     ("email", 0.05)),
        browse_mobile=0.25, intent=(0.65, 0.15, 0.20), test_ride=0.35,
        bike_channel=(("web", 0.55), ("mobile", 0.12), ("store", 0.33)),
        accessory_channel=(("web", 0.58), ("mobile", 0.20), ("store", 0.22)),
        repair_channel=(("web", 0.45), ("mobile", 0.20), ("phone", 0.10), ("store", 0.25)),
        bike_price=(1400, 3500), bike_names=("road bike", "gravel bike", "mountain bike"),
        repeat_rate=0.36, repeat_mix=(0.66, 0.27, 0.07), dropout=(2.0, 9.0),
        ages=(("25-34", 0.3), ("35-44", 0.4), ("45-54", 0.3)), newsletter=0.7,
    ),
    "p_family": Behaviour(
        share=0.24,
        acquisition=(("store", 0.45), ("web", 0.25), ("social", 0.15), ("mobile", 0.10),
                     ("email", 0.05)),
        browse_mobile=0.35, intent=(0.65, 0.20, 0.15), test_ride=0.5,
        bike_channel=(("web", 0.20), ("mobile", 0.08), ("store", 0.72)),
        accessory_channel=(("web", 0.30), ("mobile", 0.12), ("store", 0.58)),
        repair_channel=(("web", 0.25), ("mobile", 0.10), ("phone", 0.25), ("store", 0.40)),
        bike_price=(400, 2800), bike_names=("cargo bike", "kids' bike", "family bike"),
        repeat_rate=0.24, repeat_mix=(0.48, 0.42, 0.10), dropout=(2.0, 8.0),
        ages=(("25-34", 0.25), ("35-44", 0.6), ("45-54", 0.15)), newsletter=0.4,
    ),
    "p_ebike": Behaviour(
        share=0.18,
        acquisition=(("store", 0.50), ("web", 0.30), ("email", 0.10), ("mobile", 0.05),
                     ("social", 0.05)),
        browse_mobile=0.2, intent=(0.80, 0.15, 0.05), test_ride=0.75,
        bike_channel=(("web", 0.15), ("mobile", 0.04), ("store", 0.81)),
        accessory_channel=(("web", 0.25), ("mobile", 0.08), ("store", 0.67)),
        repair_channel=(("phone", 0.45), ("store", 0.35), ("web", 0.15), ("mobile", 0.05)),
        bike_price=(1800, 3500), bike_names=("e-bike", "electric city bike", "e-cargo bike"),
        repeat_rate=0.22, repeat_mix=(0.40, 0.55, 0.05), dropout=(2.0, 9.0),
        ages=(("55-64", 0.55), ("65-74", 0.35), ("45-54", 0.10)), newsletter=0.6,
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
