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

The parts: :mod:`~journeykit.sample.static` (the static files and texts, package data),
:mod:`~journeykit.sample.behaviour` (the simulation's parameters),
:mod:`~journeykit.sample.journeys` (the customer-by-customer simulation) on
:mod:`~journeykit.sample.recording` (the rows it records and the small draws); this module
draws the customers and writes the workspace.

Example:
    >>> from journeykit.sample import generate_sample
    >>> folder = generate_sample("/tmp/bikeshop", customers=200, months=6)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +SKIP
    ['README.md', 'customers.csv', 'events.parquet', 'feedback.csv', 'journey.yaml', ...]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from journeykit.core.errors import JourneykitError
from journeykit.core.safety import atomic_write_bytes, neutralise_frame
from journeykit.sample.behaviour import BEHAVIOUR, CITIES, MONTH_WEIGHT
from journeykit.sample.journeys import ORDER_MARK, Simulation
from journeykit.sample.recording import Customer
from journeykit.sample.static import STATIC_FILES, static_bytes, static_table

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
# Writing the workspace
# --------------------------------------------------------------------------------------


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def _timestamps(start: pd.Timestamp, seconds: Sequence[int] | np.ndarray) -> pd.Series:
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
    sim = Simulation(rng, start, n_days)
    people = _draw_customers(sim, int(customers))
    for person in people:
        sim.simulate(person)
    tables = _assemble(sim, people, start)

    folder.mkdir(parents=True, exist_ok=True)
    for name in STATIC_FILES:
        _write(folder / name, static_bytes(name))
    for name in ("customers", "orders", "feedback", "tickets"):
        _write(folder / f"{name}.csv", _csv_bytes(tables[name]))
    _write(folder / "events.parquet", _parquet_bytes(tables["events"]))
    _write(folder / "README.md",
           _readme(tables, start, end_day, customers, months, seed).encode("utf-8"))
    return folder


def _write(path: Path, data: bytes) -> None:
    """Atomic write, then the usual read permissions (the temporary file is private)."""
    atomic_write_bytes(path, data)
    os.chmod(path, 0o644)


def _draw_customers(sim: Simulation, n: int) -> list[Customer]:
    """Arrival days (seasonal, growing business) and personas, ids in order of arrival."""
    days = np.arange(sim.n_days)
    months = pd.DatetimeIndex(sim.start + pd.to_timedelta(days, unit="D")).month
    weight = np.array([MONTH_WEIGHT[int(m)] for m in months]) * (1 + 0.4 * days / sim.n_days)
    weight[max(0, sim.n_days - 5):] *= 0.2  # hardly anyone starts in the last days
    first_days = np.sort(sim.rng.choice(days, size=n, p=weight / weight.sum()))
    personas = list(BEHAVIOUR)
    shares = np.array([BEHAVIOUR[p].share for p in personas])
    chosen = sim.rng.choice(len(personas), size=n, p=shares / shares.sum())
    width = max(5, len(str(n)))
    return [
        Customer(id=f"C{i + 1:0{width}d}", persona=personas[int(k)],
                  behaviour=BEHAVIOUR[personas[int(k)]], first_day=int(d))
        for i, (d, k) in enumerate(zip(first_days, chosen))
    ]


def _assemble(sim: Simulation, people: list[Customer], start: pd.Timestamp
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
        "text": [ORDER_MARK.sub(lambda m: order_ids.get(int(m.group(1)), "(unknown)"), k[5])
                 for k in tk_raw],
        "touchpoint": [k[6] or "" for k in tk_raw],
    })

    personas, touchpoints, painpoints = (static_table(name) for name in
                                         ("personas", "touchpoints", "painpoints"))
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
