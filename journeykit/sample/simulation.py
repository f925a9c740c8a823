"""A deterministic demo business: "Spokes & Sprockets", a neighbourhood bike shop.

:func:`generate_sample` writes a complete workspace (see docs/architecture.md) for
a fictional bike shop in Utrecht with a web shop (website and app), in-store sales
and a repair workshop: journey.yaml, personas, touchpoints, workshop pain points,
customers, an event log (Parquet), orders, survey answers and reviews, and support
tickets, covering ``months`` months that end on ``end``.

Customers are simulated one by one: they hear of the shop, browse, maybe book a
test ride, buy (online or in the shop), receive a delivery, come back for
accessories and repairs, and at some point stop coming. What happens to a customer
decides what they say: a late delivery, a slow repair or a failed payment in the
app produce low scores and angry comments, a good test ride a happy one.

Three problems are planted on purpose (:data:`PLANTED_PROBLEMS`); a good analysis
of the workspace finds them, and they are the strongest negative signals in the
data. The workshop's own pain-point list (painpoints.csv) knows two of them and
also contains red herrings that the data hardly supports.

Everything is drawn from one ``numpy.random.Generator(seed)``: the same arguments
give byte-identical CSV files and an identical Parquet table, on any machine.

Example:
    >>> from journeykit.sample import generate_sample
    >>> folder = generate_sample("/tmp/bikeshop", customers=200, months=6)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +SKIP
    ['README.md', 'customers.csv', 'events.parquet', 'feedback.csv', 'journey.yaml', ...]
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from journeykit.core.errors import JourneykitError
from journeykit.core.safety import atomic_write_bytes, neutralise_frame

__all__ = ["generate_sample", "PLANTED_PROBLEMS", "SAMPLE_FILES"]

#: The files :func:`generate_sample` writes (and only these are ever overwritten).
SAMPLE_FILES: tuple[str, ...] = (
    "journey.yaml",
    "personas.csv",
    "touchpoints.csv",
    "painpoints.csv",
    "customers.csv",
    "events.parquet",
    "orders.csv",
    "feedback.csv",
    "tickets.csv",
)

#: The problems deliberately planted in the sample: where, and which signal shows it.
PLANTED_PROBLEMS: list[dict[str, str]] = [
    {
        "touchpoint": "tp_mobile_checkout",
        "stage": "decision",
        "description": "Paying in the app fails: after an app update a quarter of the way into "
        "the period, most payment attempts on mobile end in an error.",
        "signal": "events: checkout_payment -> order_completed converts far less on channel "
        "mobile than on web (payment_failed events on mobile); feedback at tp_mobile_checkout "
        "with low CSAT/CES and comments about the payment failing; payment tickets.",
        "in_workshop_list": "no",
    },
    {
        "touchpoint": "tp_repair_workshop",
        "stage": "post_purchase",
        "description": "Repairs take far longer than the promised three working days, worst in "
        "the spring and summer rush.",
        "signal": "events: repair_booked -> repair_collected takes 8-21 days for about four in "
        "ten repairs (more than half in March-June); feedback at tp_repair_workshop with the lowest CSAT and angry comments; "
        "'where is my bike' tickets.",
        "in_workshop_list": "yes (pp01)",
    },
    {
        "touchpoint": "tp_home_delivery",
        "stage": "post_purchase",
        "description": "Home deliveries of web-shop orders (website and app) often arrive days "
        "after the promised date, more so in November and December.",
        "signal": "events: order_completed -> delivery_received is 2-9 days longer than promised "
        "for about a third of the deliveries; feedback at tp_home_delivery with low CSAT and "
        "comments about late delivery; 'where is my order' tickets.",
        "in_workshop_list": "yes (pp02, as 'a day or two late')",
    },
]

# --------------------------------------------------------------------------------------
# The business as the workshop described it: journey.yaml, personas, touchpoints
# --------------------------------------------------------------------------------------

STAGES: list[dict] = [
    {
        "id": "awareness",
        "name": "Awareness",
        "description": "People first hear of the shop: ads, search, social media, the newsletter, "
        "walking past the window.",
        "events": ["ad_click", "search_visit", "social_visit", "newsletter_open", "store_walk_in"],
        "emotion": 1,
    },
    {
        "id": "consideration",
        "name": "Consideration",
        "description": "They look at bikes online and in the shop, compare models, read reviews, "
        "ask questions and take a test ride.",
        "events": ["product_view", "compare_models", "read_reviews", "store_advice",
                   "phone_enquiry", "test_ride_booked", "test_ride"],
        "emotion": 1,
    },
    {
        "id": "decision",
        "name": "Decision",
        "description": "They buy: basket and checkout on the website or in the app, or at the "
        "till in the shop.",
        "events": ["add_to_cart", "checkout_start", "checkout_payment", "payment_failed",
                   "order_completed", "store_purchase"],
        "emotion": 0,
    },
    {
        "id": "post_purchase",
        "name": "Post-purchase & retention",
        "description": "Delivery or pick-up, repairs and servicing, reminders, reviews, support, "
        "and coming back for the next purchase (or not).",
        "events": ["delivery_received", "store_pickup", "repair_booked", "repair_collected",
                   "service_reminder_open", "review_written", "support_contact", "return_visit"],
        "emotion": 0,
    },
]

CHANNELS = ["web", "mobile", "store", "phone", "email", "social"]
OWNERS = ["Marketing", "Sales floor", "E-commerce", "Workshop", "Customer service", "Delivery"]

KPIS: dict[str, dict] = {
    "nps": {"target": 30, "direction": "higher", "warning": 15, "label": "Net Promoter Score"},
    "csat": {"target": 0.85, "direction": "higher", "warning": 0.05,
             "label": "Customer satisfaction (share of 4-5 answers)"},
    "ces": {"target": 5.5, "direction": "higher", "warning": 0.5,
            "label": "Customer effort score (1-7, 7 = very easy)"},
    "conversion": {"target": 0.65, "direction": "higher", "warning": 0.05,
                   "label": "Journey conversion (first stage to post-purchase)"},
    "repeat_purchase_rate": {"target": 0.5, "direction": "higher", "warning": 0.05,
                             "label": "Share of buying customers who buy again"},
    "average_order_value": {"target": 450, "direction": "higher", "warning": 50,
                            "label": "Average order value (EUR)"},
}

THEMES: dict[str, dict] = {
    "delivery": {
        "label": "Delivery",
        "keywords": ["delivery", "delivered", "courier", "parcel", "shipping", "tracking",
                     "package"],
        "stage": "post_purchase", "touchpoint": "tp_home_delivery",
    },
    "repair_turnaround": {
        "label": "Repair turnaround",
        "keywords": ["repair", "workshop", "mechanic", "fixed", "my bike back",
                     "without my bike"],
        "stage": "post_purchase", "touchpoint": "tp_repair_workshop",
    },
    "checkout_payment": {
        "label": "Checkout and payment",
        "keywords": ["payment", "checkout", "pay", "paid", "card", "ideal", "declined",
                     "basket", "charged"],
        "stage": "decision", "touchpoint": "tp_mobile_checkout",
    },
    "staff_friendliness": {
        "label": "Staff friendliness",
        "keywords": ["staff", "friendly", "helpful", "rude", "advice", "salesperson",
                     "explained", "team"],
        "stage": "consideration", "touchpoint": "tp_store_advice",
    },
    "price": {
        "label": "Price",
        "keywords": ["price", "prices", "expensive", "pricey", "cheap", "discount", "cost",
                     "value for money"],
        "stage": "decision", "touchpoint": "tp_store_checkout",
    },
    "stock_availability": {
        "label": "Stock and availability",
        "keywords": ["stock", "sold out", "available", "availability", "in my size",
                     "backorder"],
        "stage": "consideration", "touchpoint": "tp_web_product_page",
    },
    "website_app": {
        "label": "Website and app",
        "keywords": ["website", "site", "search", "filters", "photos", "loading", "browse"],
        "stage": "consideration", "touchpoint": "tp_app_browse",
    },
}

DEFAULTS = {"window": "14D", "session_gap": "30min", "csat_definition": "top2"}

PERSONA_COLUMNS = ["id", "name", "quote", "demographics", "goals", "frustrations",
                   "motivations", "preferred_channels", "rule"]
PERSONA_ROWS: list[tuple[str, ...]] = [
    (
        "p_commuter", "Sanne, the daily commuter",
        "My bike is my car. If it is in the workshop, my whole week falls apart.",
        "28-45, lives and works in Utrecht, rides 10+ km every working day, rents a flat",
        "A bike that works every morning; quick repairs; lights, locks and rain gear that last",
        "Being without a bike during a repair; vague repair times; queues at the till",
        "Saving time and money; staying fit on the way to work",
        "mobile;store;email", "",
    ),
    (
        "p_sport", "Daan, the weekend sport rider",
        "I read every review before I spend three thousand euros on a frame.",
        "30-55, above-average income, rides road and gravel at weekends, member of a club",
        "The best high-end bike and parts for the money; an expert bike fit",
        "Sizes out of stock; slow delivery of parts; generic advice",
        "Performance, good gear, riding with the club",
        "web;social;email", "",
    ),
    (
        "p_family", "Fatima, the family organiser",
        "I need bikes for four people and a cargo bike that fits two children.",
        "32-48, two or more children, lives in the suburbs, watches the budget",
        "Safe bikes for the children; trying before buying; one shop for the whole family",
        "Children outgrow bikes fast; cargo bikes are hard to compare online; busy Saturdays",
        "Safety, value for money, time outdoors together",
        "store;web;phone", "",
    ),
    (
        "p_ebike", "Henk, the e-bike newcomer",
        "I want to keep cycling, but I do not understand batteries and motors.",
        "55-72, recently retired or facing a longer commute, new to e-bikes",
        "Understand the options; a proper test ride; help with setup and maintenance",
        "Technical jargon; fear of buying the wrong bike; unclear service after the sale",
        "Staying active and independent; longer rides with the grandchildren",
        "store;phone;email", "",
    ),
]

TOUCHPOINT_COLUMNS = ["id", "stage", "channel", "name", "owner", "online", "personas",
                      "description", "emotion"]
# (id, stage, channel, name, owner, online, personas, description, emotion or None)
TOUCHPOINT_ROWS: list[tuple] = [
    ("tp_search_ads", "awareness", "web", "Search ads", "Marketing", True, "",
     "Paid search ads for bikes, e-bikes and repairs in the Utrecht area", 0),
    ("tp_organic_search", "awareness", "web", "Search results and map listing", "Marketing",
     True, "", "Organic search results, the map listing and its star rating", 1),
    ("tp_social_media", "awareness", "social", "Instagram and Facebook", "Marketing", True,
     "p_sport;p_commuter", "Posts, ride photos and a few paid posts", 1),
    ("tp_newsletter", "awareness", "email", "Monthly newsletter", "Marketing", True, "",
     "New arrivals, events and offers, once a month", 0),
    ("tp_shop_window", "awareness", "store", "Shop front and window display", "Sales floor",
     False, "", "The shop on the corner of the high street; bikes outside on sunny days", 1),
    ("tp_word_of_mouth", "awareness", "store", "Word of mouth and referrals", "Marketing",
     False, "", "Friends, neighbours and colleagues recommending the shop", None),
    ("tp_community_rides", "awareness", "social", "Saturday community rides", "Marketing",
     False, "p_sport", "A free group ride from the shop every other Saturday", 2),
    ("tp_web_product_page", "consideration", "web", "Product pages on the website",
     "E-commerce", True, "", "Photos, specifications, sizes and stock per shop", 0),
    ("tp_app_browse", "consideration", "mobile", "Browsing in the app", "E-commerce", True,
     "p_commuter", "The shop's app: catalogue, favourites, repair booking", 0),
    ("tp_compare_tool", "consideration", "web", "Bike comparison tool", "E-commerce", True,
     "p_sport;p_ebike", "Side-by-side comparison of up to three models", None),
    ("tp_reviews", "consideration", "web", "Customer reviews", "Marketing", True, "",
     "Reviews on the website and the map listing", 1),
    ("tp_test_ride_booking", "consideration", "web", "Test ride booking", "Sales floor", True,
     "p_family;p_ebike", "Book a test ride online or by phone", 1),
    ("tp_test_ride", "consideration", "store", "Test ride", "Sales floor", False,
     "p_family;p_ebike;p_sport", "A 30-minute ride on the chosen model with a staff member", 2),
    ("tp_store_advice", "consideration", "store", "Advice on the shop floor", "Sales floor",
     False, "", "Staff help choose a model and frame size", 1),
    ("tp_phone_enquiry", "consideration", "phone", "Phone enquiry", "Customer service", False,
     "p_ebike;p_family", "Questions by phone about models, stock and prices", 0),
    ("tp_web_cart", "decision", "web", "Basket", "E-commerce", True, "",
     "The basket on the website and in the app", 0),
    ("tp_web_checkout", "decision", "web", "Website checkout and payment", "E-commerce", True,
     "", "Address, delivery option and payment (iDEAL, card) on the website", 0),
    ("tp_mobile_checkout", "decision", "mobile", "App checkout and payment", "E-commerce", True,
     "p_commuter", "Address, delivery option and payment (iDEAL, card) in the app", 1),
    ("tp_store_checkout", "decision", "store", "Buying in the shop", "Sales floor", False, "",
     "Paying at the till, paperwork for frame number and warranty", 1),
    ("tp_financing", "decision", "store", "E-bike lease and financing", "Sales floor", False,
     "p_ebike", "Paying in instalments or through an employer lease", -1),
    ("tp_order_confirmation", "decision", "email", "Order confirmation email", "E-commerce",
     True, "", "Confirmation with order number and expected delivery date", None),
    ("tp_home_delivery", "post_purchase", "web", "Home delivery", "Delivery", False, "",
     "Courier delivery of web-shop orders; promised within 2 working days (bikes 3)", 0),
    ("tp_store_pickup", "post_purchase", "store", "Click and collect", "Sales floor", False, "",
     "Collect an online order in the shop", 1),
    ("tp_repair_booking", "post_purchase", "web", "Repair booking", "Workshop", True,
     "p_commuter;p_ebike", "Book a repair or service slot on the website, in the app or by phone",
     0),
    ("tp_repair_workshop", "post_purchase", "store", "Repair and service in the workshop",
     "Workshop", False, "", "Drop the bike off, repair promised within 3 working days, collect it",
     -1),
    ("tp_service_reminder", "post_purchase", "email", "Service reminder email", "Workshop", True,
     "", "A reminder when the yearly service is due", None),
    ("tp_review_request", "post_purchase", "email", "Review request", "Marketing", True, "",
     "An email a week after a purchase asking for a review", 0),
    ("tp_customer_service", "post_purchase", "phone", "Customer service (phone and email)",
     "Customer service", False, "", "Questions, complaints and order issues", -1),
    ("tp_returns", "post_purchase", "store", "Returns and exchanges", "Customer service", False,
     "", "Returning or exchanging accessories and clothing within 30 days", None),
    ("tp_loyalty", "post_purchase", "email", "Loyalty card and member discounts", "Marketing",
     True, "", "10% off accessories for a year after buying a bike", 1),
]

PAINPOINT_COLUMNS = ["id", "touchpoint", "kind", "description", "severity", "frequency",
                     "effort", "owner", "status"]
# The workshop's list: two planted problems (pp01, pp02), red herrings and opportunities.
PAINPOINT_ROWS: list[tuple] = [
    ("pp01", "tp_repair_workshop", "pain",
     "Repairs are not ready within the promised three working days", 4, 3, 4, "Workshop",
     "open"),
    ("pp02", "tp_home_delivery", "pain",
     "Web orders are sometimes delivered a day or two late", 3, 3, 3, "Delivery", "planned"),
    ("pp03", "tp_shop_window", "pain",
     "The shop closes at 18:00, too early for commuters", 3, 2, 2, "Sales floor", "open"),
    ("pp04", "tp_web_product_page", "pain",
     "Product photos are too small to see the details", 2, 2, 1, "E-commerce", "open"),
    ("pp05", "tp_store_checkout", "pain",
     "Hardly any parking near the shop", 2, 2, 5, "Sales floor", "dropped"),
    ("pp06", "tp_compare_tool", "pain",
     "The comparison tool is confusing for first-time buyers", 2, 2, 3, "E-commerce", "open"),
    ("pp07", "tp_test_ride", "opportunity",
     "Offer e-bike test rides at the customer's home", 3, 2, 3, "Sales floor", "open"),
    ("pp08", "tp_service_reminder", "opportunity",
     "Put a one-click booking link in the service reminder", 3, 3, 2, "Workshop", "in progress"),
    ("pp09", "tp_reviews", "opportunity",
     "Ask happy test riders for a review the same day", 2, 3, 1, "Marketing", "open"),
]

# --------------------------------------------------------------------------------------
# How each persona behaves
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Behaviour:
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


BEHAVIOUR: dict[str, _Behaviour] = {
    "p_commuter": _Behaviour(
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
    "p_sport": _Behaviour(
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
    "p_family": _Behaviour(
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
    "p_ebike": _Behaviour(
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

# --------------------------------------------------------------------------------------
# What customers say (written for this sample; {slots} are filled per customer)
# --------------------------------------------------------------------------------------

TEXT: dict[str, tuple[str, ...]] = {
    "late_delivery": (
        "My {item} arrived {late} days later than promised. Really disappointing.",
        "Delivery was {late} days late and nobody told me why. Poor communication.",
        "I stayed home all day for the courier and the parcel still came {late} days late. "
        "Annoying.",
        "The tracking said 'out for delivery' for days. Very frustrating.",
        "Late delivery again, and I needed the {item} for my commute. Not happy.",
        "Shipping took far too long, {late} days more than the website said. Bad experience.",
        "Lovely {item}, but the delivery was a mess: late and no updates at all.",
        "The courier missed the delivery slot twice. Frustrating.",
        "I had to call twice to find out where my order was. It arrived {late} days late, "
        "which is unacceptable.",
        "Promised in two days, delivered after {total}. Very disappointing.",
        "The box arrived late and the corner was crushed. Not impressed with the delivery.",
        "Terrible delivery experience. Nobody could tell me where my package was.",
        "Why promise a delivery date you cannot keep? {late} days late is poor service.",
    ),
    "ok_delivery": (
        "Delivered on time and well packed.",
        "Quick delivery, the {item} arrived the next day.",
        "The parcel arrived when promised. Easy.",
        "Smooth delivery, the courier was friendly.",
        "Arrived within two days as promised. Good.",
        "Delivery was fine.",
        "Package arrived on the promised day, no issues.",
    ),
    "slow_repair": (
        "My bike was stuck in the workshop for {days} days for a simple repair. Ridiculous.",
        "They said three days, it took {days}. I had no bike to get to work, terrible.",
        "The repair took ages and nobody called me afterwards. Poor service.",
        "Slow repair service. {days} days without my bike is unacceptable.",
        "I had to chase the workshop three times before the repair was done. Annoying and slow.",
        "The mechanic did a good job but the waiting time was terrible.",
        "{days} days waiting for a flat tyre and a brake check. Awful, never again.",
        "Very disappointed: the repair was promised for the end of the week and took {days} days.",
        "Waiting for the repair was awful, I had to rent a bike in the meantime.",
        "Awful service, nobody in the workshop knew when my bike would be done.",
        "Two weeks without my bike for a service. That is not a service, that is a punishment.",
        "I was told 'maybe tomorrow' every day for a week. Frustrating repair experience.",
    ),
    "ok_repair": (
        "Repair done within two days, the bike rides like new.",
        "Fast and friendly workshop, they fixed my gears the same week.",
        "The mechanic explained everything. Quick service.",
        "My bike was ready when promised. Thanks!",
        "Good service, fair price for the repair.",
        "Dropped the bike off in the morning, collected it the next day. Great.",
        "Repair was fine.",
    ),
    "payment_failed": (
        "The payment failed three times in the app. I gave up.",
        "The app crashed at the payment step and refused my card. Useless.",
        "Checkout in the app kept saying 'payment declined' although my bank was fine. "
        "So frustrating.",
        "I tried to pay with iDEAL on my phone and it got stuck on the payment screen. Annoying.",
        "Could not complete the order on my phone, the payment page froze. Really annoying.",
        "Frustrating checkout: payment error in the app, so I ordered on my laptop instead.",
        "Payment in the app is broken. I lost my basket twice.",
        "The app threw me back to the basket after paying and I have no idea if I was charged. "
        "Stressful mess.",
        "Terrible app checkout. Error after error at the payment step.",
        "Wanted to buy a {item} in the app, but the payment kept failing. Annoying.",
        "The payment step in the app is broken. Please fix it.",
    ),
    "ok_web_checkout": (
        "Easy checkout on the website.",
        "Ordering online was simple and quick.",
        "Paid with iDEAL in seconds, no problems.",
        "The website checkout was clear.",
        "Quick and easy to order.",
    ),
    "ok_mobile_checkout": (
        "Ordering in the app worked fine.",
        "The app is handy for quick accessory orders.",
        "Paid in the app without problems.",
        "Easy to order on my phone.",
    ),
    "good_test_ride": (
        "The test ride convinced me, the staff took their time.",
        "Loved the test ride, {staff} explained the gears really well.",
        "Booking a test ride online was easy and the bike was ready when I arrived.",
        "Great advice during the test ride and no pressure to buy.",
        "Very helpful staff, I finally understand how the motor assistance works.",
        "Wonderful test ride, {staff} adjusted the saddle and handlebars for me.",
    ),
    "meh_test_ride": (
        "The test ride was ok, a bit short.",
        "Had to wait a quarter of an hour before my test ride started.",
        "Test ride was fine, but the model I wanted was not available in my size.",
    ),
    "good_store": (
        "Friendly staff, they helped me pick the right frame size.",
        "Helpful advice in the shop and a fair price.",
        "Nice shop with people who know their bikes.",
        "{staff} was very helpful and patient with all my questions.",
        "Great local shop, friendly team.",
        "Good advice, I left with exactly what I needed.",
    ),
    "meh_store": (
        "Busy on Saturday, had to wait a while to pay.",
        "The salesperson was friendly but seemed rushed.",
        "Ok experience, nothing special.",
    ),
    "promoter": (
        "Great local bike shop, I recommend it to everyone at work.",
        "Friendly people and good bikes.",
        "My go-to shop for everything to do with bikes.",
        "Always helpful, good advice and fair prices.",
        "Happy with my bike and the service.",
        "Lovely shop, knowledgeable staff.",
    ),
    "neutral": (
        "Fine.",
        "No complaints.",
        "Ok.",
        "All good.",
        "Bought lights and a lock.",
        "Decent experience overall.",
        "Nothing special to report.",
        "As expected.",
    ),
    "support_sorted": (
        "Customer service sorted it out quickly, thank you.",
        "Friendly person on the phone, problem solved.",
        "Quick and helpful answer by email.",
        "They answered within the hour. Great.",
    ),
    "support_unsorted": (
        "Customer service was polite but could not tell me anything useful.",
        "I had to explain my problem twice. Slow answers.",
        "They promised to call back and never did. Disappointing.",
        "Nice people, but the problem was not solved.",
    ),
    "easy_booking": (
        "Booking a repair slot online was easy.",
        "Handy that I can book the workshop in the app.",
        "Booking took one minute, nice.",
    ),
    "browsing": (
        "Good choice of bikes on the website.",
        "Clear product information.",
        "I could find what I was looking for.",
        "The app is easy to browse.",
        "Nice photos, but I would like more detail on frame sizes.",
    ),
    "community_ride": (
        "The Saturday ride is great fun, nice group of people.",
        "Joined the community ride, lovely route and friendly riders.",
        "Great way to meet other cyclists. Thanks for organising!",
    ),
    "newsletter": (
        "The newsletter is nice, but a bit long.",
        "I like the event announcements in the newsletter.",
        "Useful offers in the newsletter now and then.",
    ),
    # red herrings: real but rare and mild
    "price": (
        "A bit pricey compared to the big online stores.",
        "Prices are fair for the quality.",
        "Expected a discount on accessories with a new bike.",
        "Not cheap, but you get good advice.",
    ),
    "stock": (
        "The model I wanted was out of stock in my size.",
        "Had to wait a week for the helmet to be back in stock.",
        "Would be nice if the website showed which sizes are available in the shop.",
    ),
    "website": (
        "The search on the website could be better, the filters are limited.",
        "Hard to find the frame size chart on the site.",
        "Product photos on the website are rather small.",
    ),
    "hours": (
        "I wish the shop was open later on weekdays.",
        "Parking near the shop is difficult.",
    ),
}

CLOSERS: dict[str, tuple[str, ...]] = {
    "negative": ("Disappointed.", "I will think twice next time.", "Really not good enough.",
                 "Shame, because I like the shop.", "Not what I expect from a local shop."),
    "positive": ("Will come back.", "Thanks!", "Recommended.", "Keep it up.",
                 "Very pleased."),
}

TICKET_TEXT: dict[str, tuple[str, ...]] = {
    "delivery": (
        "Where is my order {order}? It should have arrived on {due}. I am disappointed.",
        "Order {order} has still not been delivered and the tracking has not changed for days. "
        "Very frustrating.",
        "The courier says delivered but I have nothing. Order {order}. Very upset, please sort "
        "this out.",
        "My {item} was supposed to arrive on {due}. Nobody tells me anything, this is poor "
        "service.",
        "Second time I ask: where is order {order}? Annoying and disappointing. Call me on {phone}.",
    ),
    "repair": (
        "My bike has been in for repair since {since} and I still have no news. This is taking "
        "too long.",
        "Nobody answers the workshop phone and I am still without my bike. Really frustrating.",
        "You promised my bike back within three days, it has been {days} days now. "
        "Unacceptable and annoying.",
        "I need my bike for work and I am stuck without it. Please tell me when the repair will "
        "be finished. {email}",
        "Still waiting for my bike after the service. This is taking far too long, very "
        "disappointed.",
    ),
    "payment": (
        "The payment failed in the app but the money was reserved on my account.",
        "App checkout error: 'payment could not be processed'. What should I do?",
        "I tried to pay three times in the app and got an error each time. Was I charged?",
        "Cannot pay in the app with iDEAL, it fails every time. So annoying. {email}",
    ),
    "product": (
        "Do you have the {model} in size M in the shop?",
        "Can I fit a child seat on the {model}?",
        "What is the range of the battery on the {model}?",
        "Is there a discount on the {model} this month?",
    ),
    "test_ride": (
        "Can I move my test ride to Saturday morning?",
        "I booked a test ride but did not receive a confirmation.",
    ),
    "returns": (
        "I would like to return the {item}, it does not fit.",
        "Can I exchange the {item} for a different size?",
    ),
    "invoice": (
        "Please send me an invoice with VAT for my employer. {email}",
        "I need a copy of the warranty papers for my bike.",
    ),
}

# --------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------

DAY = 86_400
_T = TypeVar("_T")
_MONTH_WEIGHT = {1: 0.6, 2: 0.7, 3: 1.0, 4: 1.3, 5: 1.4, 6: 1.3, 7: 1.1, 8: 1.1, 9: 1.2,
                 10: 0.9, 11: 0.8, 12: 1.0}
# hours of the day people use the website/app (weights for 7:00 ... 23:00)
_ONLINE_HOURS = np.arange(7, 24)
_ONLINE_WEIGHTS = np.array([3, 5, 4, 3, 3, 4, 4, 3, 3, 4, 5, 6, 8, 9, 8, 6, 3], dtype=float)
_ONLINE_CDF = np.cumsum(_ONLINE_WEIGHTS) / _ONLINE_WEIGHTS.sum()


@dataclass
class _Customer:
    id: str
    persona: str
    behaviour: _Behaviour
    first_day: int
    acquisition: str = ""
    first_seen: int = -1
    # (kind, time, details for the comment templates)
    experiences: list[tuple[str, int, dict]] = field(default_factory=list)


class _Simulation:
    """Accumulates the rows of every table while customers are simulated."""

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
            hour = int(_ONLINE_HOURS[int(np.searchsorted(_ONLINE_CDF, self.rng.random()))])
            seconds = hour * 3600 + self.integer(0, 3599)
        return d * DAY + seconds

    def session(self, customer: _Customer, t: int, channel: str, names: Sequence[str]) -> int:
        """Events one after the other, seconds to minutes apart; returns the last time."""
        for i, name in enumerate(names):
            if i:
                t += self.integer(15, 240)
            self.event(customer, t, name, channel)
        return t

    def event(self, customer: _Customer, t: int, name: str, channel: str) -> None:
        self.events.append((customer.id, t, name, channel))
        if customer.first_seen < 0 or t < customer.first_seen:
            customer.first_seen = t

    def order(self, customer: _Customer, t: int, amount: float, channel: str) -> str:
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

    def survey(self, customer: _Customer, t: int, touchpoint: str, mood: int, comment: str,
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
        stage = _TOUCHPOINT_STAGE[touchpoint]
        self.feedback.append((customer.id, when, stage, touchpoint, nps_v, csat_v, ces_v, text,
                              channel, "survey"))

    def review(self, customer: _Customer, t: int, mood: int, comment: str) -> None:
        """A public review (stars = CSAT); the touchpoint is left for keyword rules."""
        when = t + self.integer(2, 14) * DAY
        _, csat, _ = self.scores(mood)
        self.event(customer, self.at(when / DAY, "web"), "review_written", "web")
        self.feedback.append((customer.id, when, None, None, None, csat, None,
                              comment, "web", "review"))

    def ticket(self, customer: _Customer, t: int, category: str, touchpoint: str | None,
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

    # ---- the journey of one customer ----
    def simulate(self, customer: _Customer) -> None:
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

    def awareness(self, customer: _Customer, day: float, channel: str) -> int:
        if channel == "store":
            return self.session(customer, self.at(day, "store"), "store", ["store_walk_in"])
        if channel == "email":
            return self.session(customer, self.at(day, "email"), "email", ["newsletter_open"])
        if channel == "social":
            return self.session(customer, self.at(day, "social"), "social", ["social_visit"])
        first = self.pick((("search_visit", 0.55), ("ad_click", 0.35), ("social_visit", 0.10)))
        return self.session(customer, self.at(day, channel), channel, [first])

    def browse_channel(self, customer: _Customer) -> str:
        return "mobile" if self.chance(customer.behaviour.browse_mobile) else "web"

    def bike_journey(self, customer: _Customer, t: int) -> int | None:
        """Consideration and the first bike purchase; returns the time of purchase or None."""
        b = customer.behaviour
        day = t / DAY
        for visit in range(self.integer(1, 4)):
            if self.chance(0.25):
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
        if self.chance(0.12 if b is not BEHAVIOUR["p_ebike"] else 0.4):
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

    def store_purchase(self, customer: _Customer, day: float, amount: float, item: str,
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

    def online_purchase(self, customer: _Customer, day: float, channel: str, amount: float,
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

    def fulfil(self, customer: _Customer, t: int, channel: str, item: str, order_id: str,
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
                            (2, 72), before=delivered, order=order_id, due=_day_month(due),
                            item=item)
        elif self.chance(0.25):
            self.survey(customer, delivered, "tp_home_delivery",
                        2 if self.chance(0.45) else 1, self.say("ok_delivery", item=item),
                        channel, comment_p=0.45)

    def repair(self, customer: _Customer, day: float) -> int | None:
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
                since = _day_month(self.start + pd.Timedelta(seconds=booked))
                self.ticket(customer, min(opened, collected - 600), "repair",
                            "tp_repair_workshop",
                            self.pick((("phone", 0.55), ("email", 0.3), ("social", 0.15))),
                            (3, 96), before=collected, since=since, days=waited)
        elif self.chance(0.22):
            self.survey(customer, collected, "tp_repair_workshop",
                        2 if self.chance(0.5) else 1, self.say("ok_repair"), "store",
                        comment_p=0.5)
        return collected

    def accessory(self, customer: _Customer, day: float, *, first: bool = False) -> int | None:
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

    def repeat_purchases(self, customer: _Customer, t: int) -> None:
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

    def browse_between(self, customer: _Customer, day: float, until: float) -> None:
        """Visits without a purchase while the customer is active: browsing, the odd ad."""
        d = day + float(self.rng.exponential(24.0))
        while d < until - 1:
            if self.chance(0.2 if customer.behaviour.bike_channel[2][1] > 0.5 else 0.08):
                self.session(customer, self.at(d, "store"), "store", ["return_visit"])
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
            d += float(self.rng.exponential(24.0))

    def mood_now(self, customer: _Customer, t: int) -> int:
        """The customer's mood at ``t``: their worst recent experience counts most."""
        recent = [kind for kind, when, _ in customer.experiences if t - 120 * DAY <= when <= t]
        if "payment_failed" in recent or "slow_repair" in recent:
            return -2 if self.chance(0.6) else -1
        if "late_delivery" in recent:
            return -1 if self.chance(0.6) else -2
        if "good_test_ride" in recent:
            return 2
        return 2 if self.chance(0.45) else 1 if self.chance(0.8) else 0

    def review_text(self, customer: _Customer, t: int) -> str:
        """What the customer writes: about their worst experience of the last four months."""
        recent = {kind: details for kind, when, details in customer.experiences
                  if t - 120 * DAY <= when <= t}
        for kind in ("slow_repair", "payment_failed", "late_delivery", "good_test_ride"):
            if kind in recent:
                return self.say(kind, **recent[kind])
        return self.say("promoter")

    def relationship_survey(self, customer: _Customer, first_purchase: int) -> None:
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

    def other_ticket(self, customer: _Customer, day: float) -> None:
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


_TOUCHPOINT_STAGE = {row[0]: row[1] for row in TOUCHPOINT_ROWS}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _day_month(when: pd.Timestamp) -> str:
    """'5 March' without depending on the C library's locale."""
    return f"{when.day} {_MONTHS[when.month - 1]}"


_ORDER_MARK = re.compile(r"<order (\d+)>")

# --------------------------------------------------------------------------------------
# Writing the workspace
# --------------------------------------------------------------------------------------


def _journey_yaml() -> str:
    config = {
        "business": "Spokes & Sprockets",
        "currency": "EUR",
        "timezone": "Europe/Amsterdam",
        "stages": STAGES,
        "channels": CHANNELS,
        "owners": OWNERS,
        "kpis": KPIS,
        "themes": THEMES,
        "defaults": DEFAULTS,
        "columns": {},
    }
    header = (
        "# Spokes & Sprockets - a fictional neighbourhood bike shop in Utrecht (demo workspace).\n"
        "# Generated by journeykit.sample.generate_sample; see README.md in this folder.\n"
        "# Timestamps in the tables are local time (Europe/Amsterdam).\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def _timestamps(start: pd.Timestamp, seconds: Sequence[int]) -> pd.Series:
    base = np.datetime64(start.to_datetime64(), "s")
    return pd.Series(base + np.asarray(seconds, dtype="int64").astype("timedelta64[s]"))


def _format_times(start: pd.Timestamp, seconds: Sequence[int | None], fmt: str) -> list[str]:
    out: list[str] = []
    base = start.to_pydatetime()
    for s in seconds:
        out.append("" if s is None else (base + pd.Timedelta(seconds=int(s))).strftime(fmt))
    return out


def _int_column(values: Sequence[int | None]) -> pd.Series:
    return pd.Series(pd.array(list(values), dtype="Int64"))


def generate_sample(
    path: str | os.PathLike,
    *,
    customers: int = 2000,
    months: int = 24,
    seed: int = 7,
    end: str = "2026-10-31",
    overwrite: bool = True,
) -> Path:
    """Write the Spokes & Sprockets demo workspace into ``path`` and return it.

    ``customers`` customers arrive over ``months`` months that end on the day ``end``
    (inclusive); the data then runs up to ``end`` 23:59:59 local time. The same
    ``seed`` (and arguments) always gives byte-identical CSV files and the same
    events.parquet table. The files written are :data:`SAMPLE_FILES` plus a
    README.md; other files in ``path`` are left alone. With ``overwrite=False`` a
    folder that already holds any of those files is refused.

    Tables written (see docs/architecture.md): journey.yaml, personas.csv,
    touchpoints.csv, painpoints.csv, customers.csv (customer_id, first_seen,
    persona_id, channel, city, age_band), events.parquet (customer_id, timestamp,
    event, channel), orders.csv (amount in EUR, 2 decimals), feedback.csv,
    tickets.csv. Timestamps are naive local times (Europe/Amsterdam).

    Example:
        >>> generate_sample("demo", customers=300, months=12, seed=1)  # doctest: +SKIP
        PosixPath('demo')
    """
    if isinstance(customers, bool) or not isinstance(customers, (int, np.integer)) \
            or customers < 1:
        raise JourneykitError(f"customers must be a whole number of at least 1, got {customers!r}")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise JourneykitError(f"months must be a whole number of at least 1, got {months!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise JourneykitError(f"seed must be a whole number >= 0, got {seed!r}")
    try:
        end_day = pd.Timestamp(end).normalize()
    except (ValueError, TypeError) as exc:
        raise JourneykitError(f"end must be a date such as 2026-10-31, got {end!r}") from exc
    if end_day.tzinfo is not None:
        end_day = end_day.tz_localize(None)
    stop = end_day + pd.Timedelta(days=1)
    start = stop - pd.DateOffset(months=int(months))
    n_days = int((stop - start).days)

    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise JourneykitError(f"{folder} exists and is not a folder")
    if not overwrite:
        clash = [name for name in (*SAMPLE_FILES, "README.md") if (folder / name).exists()]
        if clash:
            raise JourneykitError(f"{folder} already holds {', '.join(clash)}; choose an empty "
                                  "folder or pass overwrite=True")

    rng = np.random.default_rng(int(seed))
    sim = _Simulation(rng, start, n_days)
    people = _draw_customers(sim, int(customers))
    for person in people:
        sim.simulate(person)
    tables = _assemble(sim, people, start)

    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "journey.yaml", _journey_yaml().encode("utf-8"))
    for name in ("personas", "touchpoints", "painpoints", "customers", "orders", "feedback",
                 "tickets"):
        _write(folder / f"{name}.csv", _csv_bytes(tables[name]))
    _write(folder / "events.parquet", _parquet_bytes(tables["events"]))
    _write(folder / "README.md",
           _readme(tables, start, end_day, customers, months, seed).encode("utf-8"))
    return folder


def _write(path: Path, data: bytes) -> None:
    """Atomic write, then the usual read permissions (the temporary file is private)."""
    atomic_write_bytes(path, data)
    os.chmod(path, 0o644)


def _draw_customers(sim: _Simulation, n: int) -> list[_Customer]:
    """Arrival days (seasonal, growing business) and personas, ids in order of arrival."""
    days = np.arange(sim.n_days)
    months = pd.DatetimeIndex(sim.start + pd.to_timedelta(days, unit="D")).month
    weight = np.array([_MONTH_WEIGHT[int(m)] for m in months]) * (1 + 0.4 * days / sim.n_days)
    weight[max(0, sim.n_days - 5):] *= 0.2  # hardly anyone starts in the last days
    first_days = np.sort(sim.rng.choice(days, size=n, p=weight / weight.sum()))
    personas = list(BEHAVIOUR)
    shares = np.array([BEHAVIOUR[p].share for p in personas])
    chosen = sim.rng.choice(len(personas), size=n, p=shares / shares.sum())
    width = max(5, len(str(n)))
    return [
        _Customer(id=f"C{i + 1:0{width}d}", persona=personas[int(k)],
                  behaviour=BEHAVIOUR[personas[int(k)]], first_day=int(d))
        for i, (d, k) in enumerate(zip(first_days, chosen))
    ]


def _assemble(sim: _Simulation, people: list[_Customer], start: pd.Timestamp
              ) -> dict[str, pd.DataFrame]:
    end_s = sim.end_s
    fmt = "%Y-%m-%d %H:%M:%S"

    # events: keep what happened before the end, in time order
    ev = [e for e in sim.events if 0 <= e[1] < end_s]
    ev_ids = np.array([e[0] for e in ev], dtype=object)
    ev_t = np.array([e[1] for e in ev], dtype="int64")
    order = np.lexsort((np.arange(len(ev)), ev_ids.astype(str), ev_t))
    events = pd.DataFrame({
        "customer_id": pd.array(ev_ids[order].tolist(), dtype="string"),
        "timestamp": _timestamps(start, ev_t[order]),
        "event": pd.array([ev[i][2] for i in order], dtype="string"),
        "channel": pd.array([ev[i][3] for i in order], dtype="string"),
    })

    cust_rows = []
    for p in people:  # city and age band are drawn for everyone, in id order
        city, age_band = sim.pick(CITIES), sim.pick(p.behaviour.ages)
        if 0 <= p.first_seen < end_s:
            cust_rows.append((p.id, p.first_seen, p.persona, p.acquisition, city, age_band))
    customers = pd.DataFrame({
        "customer_id": [r[0] for r in cust_rows],
        "first_seen": _format_times(start, [r[1] for r in cust_rows], fmt),
        "persona_id": [r[2] for r in cust_rows],
        "channel": [r[3] for r in cust_rows],
        "city": [r[4] for r in cust_rows],
        "age_band": [r[5] for r in cust_rows],
    })

    orders_raw = sorted((o for o in sim.orders if o[1] < end_s), key=lambda o: (o[1], o[0]))
    order_ids = {o[4]: f"O{i + 1:06d}" for i, o in enumerate(orders_raw)}
    orders = pd.DataFrame({
        "order_id": [order_ids[o[4]] for o in orders_raw],
        "customer_id": [o[0] for o in orders_raw],
        "date": _format_times(start, [o[1] for o in orders_raw], fmt),
        "amount": [f"{o[2]:.2f}" for o in orders_raw],
        "channel": [o[3] for o in orders_raw],
    })

    fb_raw = sorted((f for f in sim.feedback if f[1] < end_s), key=lambda f: (f[1], f[0]))
    feedback = pd.DataFrame({
        "customer_id": [f[0] for f in fb_raw],
        "date": _format_times(start, [f[1] for f in fb_raw], "%Y-%m-%d"),
        "stage": [f[2] or "" for f in fb_raw],
        "touchpoint": [f[3] or "" for f in fb_raw],
        "nps": _int_column([f[4] for f in fb_raw]),
        "csat": _int_column([f[5] for f in fb_raw]),
        "ces": _int_column([f[6] for f in fb_raw]),
        "comment": [f[7] for f in fb_raw],
        "channel": [f[8] for f in fb_raw],
        "source": [f[9] for f in fb_raw],
    })

    tk_raw = sorted((k for k in sim.tickets if k[1] < end_s), key=lambda k: (k[1], k[0]))
    tickets = pd.DataFrame({
        "ticket_id": [f"T{i + 1:05d}" for i in range(len(tk_raw))],
        "customer_id": [k[0] for k in tk_raw],
        "opened": _format_times(start, [k[1] for k in tk_raw], fmt),
        "closed": _format_times(start, [k[2] if k[2] < end_s else None for k in tk_raw], fmt),
        "channel": [k[3] for k in tk_raw],
        "category": [k[4] for k in tk_raw],
        "text": [_ORDER_MARK.sub(lambda m: order_ids.get(int(m.group(1)), "(unknown)"), k[5])
                 for k in tk_raw],
        "touchpoint": [k[6] or "" for k in tk_raw],
    })

    personas = pd.DataFrame(PERSONA_ROWS, columns=PERSONA_COLUMNS)
    touchpoints = pd.DataFrame({
        "id": [r[0] for r in TOUCHPOINT_ROWS],
        "stage": [r[1] for r in TOUCHPOINT_ROWS],
        "channel": [r[2] for r in TOUCHPOINT_ROWS],
        "name": [r[3] for r in TOUCHPOINT_ROWS],
        "owner": [r[4] for r in TOUCHPOINT_ROWS],
        "online": ["true" if r[5] else "false" for r in TOUCHPOINT_ROWS],
        "personas": [r[6] for r in TOUCHPOINT_ROWS],
        "description": [r[7] for r in TOUCHPOINT_ROWS],
        "emotion": _int_column([r[8] for r in TOUCHPOINT_ROWS]),
    })
    painpoints = pd.DataFrame(PAINPOINT_ROWS, columns=PAINPOINT_COLUMNS)
    return {"personas": personas, "touchpoints": touchpoints, "painpoints": painpoints,
            "customers": customers, "events": events, "orders": orders,
            "feedback": feedback, "tickets": tickets}


def _parquet_bytes(events: pd.DataFrame) -> bytes:
    schema = pa.schema([("customer_id", pa.string()), ("timestamp", pa.timestamp("us")),
                        ("event", pa.string()), ("channel", pa.string())])
    table = pa.Table.from_arrays(
        [pa.array(events["customer_id"].to_numpy(dtype=object), pa.string()),
         pa.array(events["timestamp"].to_numpy().astype("datetime64[us]"), pa.timestamp("us")),
         pa.array(events["event"].to_numpy(dtype=object), pa.string()),
         pa.array(events["channel"].to_numpy(dtype=object), pa.string())],
        schema=schema,
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=1_000_000)
    return sink.getvalue().to_pybytes()


def _readme(tables: dict[str, pd.DataFrame], start: pd.Timestamp, end_day: pd.Timestamp,
            customers: int, months: int, seed: int) -> str:
    counts = {name: len(frame) for name, frame in tables.items()}
    lines = [
        "# Spokes & Sprockets - the journeykit demo workspace",
        "",
        "A fictional neighbourhood bike shop in Utrecht with a web shop (website and app),",
        "in-store sales and a repair workshop. Everything here is made up and generated by",
        f"`journeykit sample` (`generate_sample(path, customers={customers}, months={months}, "
        f"seed={seed}, end=\"{end_day:%Y-%m-%d}\")`); the same arguments give the same files.",
        f"The data covers {start:%Y-%m-%d} to {end_day:%Y-%m-%d} (local time, Europe/Amsterdam).",
        "",
        "## The business",
        "",
        "- Four personas: Sanne the daily commuter (app, many repairs), Daan the weekend sport",
        "  rider (website, high spend), Fatima the family organiser (shop, test rides) and Henk",
        "  the e-bike newcomer (shop and phone, test rides, e-bikes).",
        "- Four stages: awareness, consideration, decision, post-purchase & retention, with",
        f"  {counts['touchpoints']} touchpoints online and offline, each owned by a team.",
        "- Bikes cost 400-3,500 EUR, accessories 10-150 EUR, repairs 30-250 EUR. Customers come",
        "  back for accessories and repairs until they quietly stop (good for BG/NBD).",
        "",
        "| file | rows |",
        "| --- | --- |",
    ]
    for name in ("personas", "touchpoints", "painpoints", "customers", "events", "orders",
                 "feedback", "tickets"):
        ext = "parquet" if name == "events" else "csv"
        lines.append(f"| {name}.{ext} | {counts[name]:,} |")
    lines += [
        "",
        "## Planted problems (what a good analysis should find)",
        "",
        "1. **Paying in the app fails** (`tp_mobile_checkout`, decision). About a quarter of the",
        "   way into the period an app update broke the payment step: most payment attempts",
        "   on `mobile` end in `payment_failed`, so `checkout_payment -> order_completed`",
        "   converts far less on mobile than on web. Survey comments and tickets complain",
        "   about the payment failing. The workshop did not list this one.",
        "2. **Slow repairs** (`tp_repair_workshop`, post-purchase). Repairs are promised in three",
        "   working days, but about four in ten take 8-21 days (more than half in March-June).",
        "   This touchpoint has the lowest CSAT, angry comments and 'where is my bike' tickets.",
        "3. **Late home delivery** (`tp_home_delivery`, post-purchase). About a third of web-shop",
        "   deliveries arrive 2-9 days after the promised date (half in November-December),",
        "   with complaints in surveys, reviews and tickets. The workshop listed it (pp02) as",
        "   'a day or two late'; the data says it is worse.",
        "",
        "These three are the strongest negative signals in the data. The workshop list in",
        "painpoints.csv also holds red herrings (opening hours, small product photos, parking,",
        "the comparison tool) that customers hardly mention, and a few opportunities.",
        "`journeykit.sample.PLANTED_PROBLEMS` holds the same list as data.",
        "",
    ]
    return "\n".join(lines)
