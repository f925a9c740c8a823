"""Till / POS presets: Square's transactions export and its item-detail export.

**square** reads either file, or both (Square Dashboard > Transactions > Export:
"Transactions CSV" and "Item Detail CSV"); which one a file is, is told by its columns
(item details have ``Item`` and ``Qty``).

- **When**: ``Date`` + ``Time`` + ``Time Zone``. Square writes the zone as a *name*
  ("Eastern Time (US & Canada)", "London"); each name is mapped to its IANA zone
  (:data:`SQUARE_ZONES`; an IANA name itself is accepted too) and the sale becomes a real
  instant written with its offset (``2024-03-05 14:31:07 -0500``), so DST is right on
  both sides of the change. A zone name not in the list is an error naming it (``--set
  timezone=America/Chicago`` stands in for a file without the column). ISO dates
  (``2024-03-05``) and US ``03/05/2024`` are read; a slash column whose values do not
  tell month/day order is read month-first (Square's US layout) with a warning, and
  ``--set dayfirst=yes`` reads it day-first. A time in the hour that happens twice when
  clocks go back is read as the first (daylight time), one in the hour that never happens
  with the offset before the change, each with a warning naming the rows.
- **Orders** keep the payments (``Event Type`` = Payment): one order per ``Transaction
  ID`` (split tenders, or the item lines of an item-detail file, are summed). The amount
  is ``Net Sales`` (gross sales minus discounts: what the goods earned, without tax and
  tips; ``--set amount="Total Collected"`` for what the customer paid). Money as Square
  writes it: ``$1,149.00``, negatives in parentheses ``($33.62)``.
- **Refunds are their own event**: each refund row becomes an event ``refund`` (a
  payment becomes an event ``purchase``, channel ``store``, so the till's log shows both)
  and is taken off its payment's order: the order's amount is net of refunds, as the
  shopify preset does, and a payment refunded in full is set aside from orders (its
  ``purchase`` and ``refund`` events stay). A refund whose payment is not in the export
  (a sale of an earlier period) is only an event, counted in a note. A refund row without
  a customer takes its payment's customer.
- **Rows without a customer** (``Customer ID`` blank: the walk-in, cash or card sales the
  till did not link to a customer, usually most of a shop's sales) are set aside, since
  a journey needs a person; a note gives how many sales and how much money that is
  beside the total, so the till's takings still reconcile. ``--set customer="Customer
  Reference ID"`` uses another column as the person.
- **Both files**: orders come from the transactions file; the item lines are summed per
  transaction and compared with it (a note counts the transactions whose item net sales
  differ, or that have no item lines). Several files of one kind (exports of overlapping
  periods) are read together; a row repeating a row of an earlier file cell for cell is
  set aside, so a sale is never counted twice.

Example:
    >>> square_instant("2024-03-10", "03:30:00", "Eastern Time (US & Canada)")
    '2024-03-10 03:30:00 -0400'
    >>> square_instant("2024-03-09 00:00:00", "2:31 PM", "America/New_York")  # an XLSX export's cells
    '2024-03-09 14:31:00 -0500'
    >>> zone_for("(GMT-08:00) Pacific Time (US & Canada)")
    'America/Los_Angeles'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.imports.base import (
    Export,
    ImportResult,
    Option,
    Preset,
    SetAside,
    amount_text,
    find_column,
    missing_columns,
    money_column,
)

#: Square's time-zone names (the Rails names its Dashboard shows) -> IANA zones
SQUARE_ZONES: dict[str, str] = {
    "Eastern Time (US & Canada)": "America/New_York", "Central Time (US & Canada)": "America/Chicago",
    "Mountain Time (US & Canada)": "America/Denver", "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Arizona": "America/Phoenix", "Alaska": "America/Juneau", "Hawaii": "Pacific/Honolulu",
    "Atlantic Time (Canada)": "America/Halifax", "Newfoundland": "America/St_Johns",
    "Saskatchewan": "America/Regina", "Indiana (East)": "America/Indiana/Indianapolis",
    "Puerto Rico": "America/Puerto_Rico", "London": "Europe/London", "Edinburgh": "Europe/London",
    "Dublin": "Europe/Dublin", "Lisbon": "Europe/Lisbon", "Madrid": "Europe/Madrid", "Paris": "Europe/Paris",
    "Amsterdam": "Europe/Amsterdam", "Berlin": "Europe/Berlin", "Rome": "Europe/Rome",
    "Sydney": "Australia/Sydney", "Canberra": "Australia/Canberra", "Melbourne": "Australia/Melbourne",
    "Brisbane": "Australia/Brisbane", "Adelaide": "Australia/Adelaide", "Darwin": "Australia/Darwin",
    "Hobart": "Australia/Hobart", "Perth": "Australia/Perth", "Tokyo": "Asia/Tokyo", "Osaka": "Asia/Tokyo",
    "Auckland": "Pacific/Auckland", "UTC": "UTC", "GMT": "UTC",
}
SOURCE_CHANNELS = {"point of sale": "store", "square online": "web", "ecommerce api": "web", "online store": "web",
                   "invoices": "email", "virtual terminal": "phone"}
#: ``2024-03-05``, or ``2024-03-05 00:00:00`` as a spreadsheet's date cell reads
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})$")
_GMT_PREFIX = re.compile(r"^\((?:GMT|UTC)\s*[+-]\d{1,2}:\d{2}\)\s*", re.IGNORECASE)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")


def zone_for(name: str) -> str | None:
    """The IANA zone of a Square time-zone name (or of an IANA name; a leading
    ``(GMT-05:00)`` is ignored); None when unknown."""
    name = _GMT_PREFIX.sub("", str(name).strip())
    if name in SQUARE_ZONES:
        return SQUARE_ZONES[name]
    if "/" in name:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return name
    return None


def _clock(text: str) -> tuple[int, int, int] | None:
    match = _TIME.match(str(text).strip())
    if not match:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4].lower() == "pm" else 0)
    return (hour, minute, second) if hour < 24 and minute < 60 and second < 60 else None


def square_instant(date: str, time: str, zone: str, *, dayfirst: bool = False) -> str:
    """Square's date, time and time-zone name as an instant with its offset
    (``2024-03-05 14:31:07 -0500``). Raises ``ValueError`` naming what is not readable
    (``zone``, ``date`` or ``time``). A time in the hour repeated when clocks go back is
    the first one (daylight time); :func:`dst_trouble` tells such times apart."""
    return _local(date, time, zone, dayfirst).strftime("%Y-%m-%d %H:%M:%S %z")


def dst_trouble(local: dt.datetime) -> str:
    """``"repeated"`` for a wall-clock time that happens twice (clocks go back),
    ``"skipped"`` for one that never happens (clocks go forward), else ``""``."""
    there_and_back = local.astimezone(dt.timezone.utc).astimezone(local.tzinfo)
    if there_and_back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return "skipped"
    return "repeated" if local.replace(fold=1).utcoffset() != local.utcoffset() else ""


def _local(date: str, time: str, zone: str, dayfirst: bool) -> dt.datetime:
    iana = zone_for(zone)
    if iana is None:
        raise ValueError("zone")
    text = str(date).strip()
    iso, slash = _ISO_DATE.match(text), _SLASH_DATE.match(text)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif slash:
        first, second, year = int(slash[1]), int(slash[2]), int(slash[3])
        year += 2000 if year < 100 else 0
        month, day = (second, first) if dayfirst else (first, second)
    else:
        raise ValueError("date")
    clock = _clock(time)
    if clock is None:
        raise ValueError("time")
    try:
        return dt.datetime(year, month, day, *clock, tzinfo=ZoneInfo(iana))
    except ValueError:
        raise ValueError("date") from None


def _text(export: Export, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=export.frame.index, dtype=object)
    return export.frame[column].astype(str).str.strip()


def _slash_order(export: Export, column: str, dates: pd.Series, options: Mapping[str, str],
                 result: ImportResult) -> bool:
    """Day-first or not for the slash dates of ``column``: from the values, else the option,
    else month-first with a warning."""
    parts = dates.str.extract(_SLASH_DATE).dropna()
    day_first_seen = bool((parts[0].astype(int) > 12).any()) if len(parts) else False
    month_first_seen = bool((parts[1].astype(int) > 12).any()) if len(parts) else False
    asked = options.get("dayfirst", "").strip().lower()
    if asked:
        return asked in ("yes", "true", "1")
    if day_first_seen and not month_first_seen:
        return True
    if len(parts) and not month_first_seen:
        example = dates[dates.str.match(_SLASH_DATE)].iloc[0]
        result.problems.append(Problem(export.name, "dates whose month/day order the values show; read "
                                       f"month-first ({example!r} as M/D/Y, Square's US layout): "
                                       "--set dayfirst=yes reads them day-first", column=column,
                                       value=example, severity="warning", table="orders"))
    return False


def _is_items(export: Export) -> bool:
    return find_column(export, "Item") is not None and find_column(export, "Qty") is not None


def _read_rows(export: Export, options: Mapping[str, str], result: ImportResult,
               amount_name: str) -> pd.DataFrame | None:
    """One Square file as rows: spreadsheet row, kind (payment/refund/other), transaction,
    customer, instant, amount (of ``amount_name``), net sales, channel."""
    items = _is_items(export)
    names = {"Date": find_column(export, "Date"), "Time": find_column(export, "Time"),
             "Transaction ID": find_column(export, "Transaction ID"), amount_name: find_column(export, amount_name)}
    zone_col = find_column(export, "Time Zone")
    if zone_col is None and "timezone" not in options:
        names["Time Zone"] = None
    problems = missing_columns(export, "orders", names)
    result.problems += problems
    if problems:
        return None
    date_col, time_col = names["Date"], names["Time"]
    assert date_col and time_col
    dates, times = _text(export, date_col), _text(export, time_col)
    zones = _text(export, zone_col) if zone_col else pd.Series(options["timezone"], index=export.frame.index)
    dayfirst = _slash_order(export, date_col, dates, options, result)
    instants: list[str] = []
    trouble: dict[str, list[int]] = {"repeated": [], "skipped": []}
    unknown: dict[str, list[int]] = {}
    for position, (date, time, zone) in enumerate(zip(dates, times, zones, strict=True)):
        try:
            local = _local(date, time, zone, dayfirst)
            instants.append(local.strftime("%Y-%m-%d %H:%M:%S %z"))
            kind = dst_trouble(local)
            if kind:
                trouble[kind].append(export.row(position))
        except ValueError as exc:
            instants.append("")
            if str(exc) == "zone":  # one problem per unknown name, not one per sale
                unknown.setdefault(zone, []).append(export.row(position))
                continue
            column, expected, value = {
                "date": (date_col, "a date such as 2024-03-05 or 03/05/2024", date),
                "time": (time_col, "a time such as 14:31:07 or 2:31 PM", time)}[str(exc)]
            result.problems.append(Problem(export.name, expected, row=export.row(position), column=column,
                                           value=value, table="orders"))
    for zone, rows in unknown.items():
        result.problems.append(Problem(
            export.name, f"a time zone Square writes (e.g. Eastern Time (US & Canada), London) or an IANA zone such "
            f"as America/Chicago ({len(rows):,} row(s) have this one; --set timezone=... names it for a file "
            "without the column)", row=rows[0], column=zone_col or "timezone", value=zone, table="orders"))
    for kind, rows in trouble.items():
        if rows:
            what = ("happen twice (clocks go back): read as the first, in daylight time" if kind == "repeated" else
                    "never happen (clocks go forward): read with the offset before the change")
            result.problems.append(Problem(
                export.name, f"times that name one instant; {len(rows):,} row(s) (first: row {rows[0]}) {what}",
                row=rows[0], column=time_col, value=times.iloc[rows[0] - export.first_row], severity="warning",
                table="orders"))
    event_col = find_column(export, "Event Type")
    amount = money_column(export, names[amount_name] or "", "orders", result.problems)
    net_col = find_column(export, "Net Sales")
    net = (money_column(export, net_col, "orders", result.problems) if net_col and net_col != names[amount_name]
           else amount)
    kinds = _text(export, event_col).str.lower() if event_col else pd.Series(
        ["refund" if a < 0 else "payment" for a in amount], index=export.frame.index)
    source_col = find_column(export, "Source")
    channel = (_text(export, source_col).str.lower().map(lambda s: SOURCE_CHANNELS.get(s, s or "store"))
               if source_col else pd.Series("store", index=export.frame.index))
    customer_col = find_column(export, options.get("customer", "Customer ID"))
    if customer_col is None and "customer" in options:
        result.problems += missing_columns(export, "orders", {options["customer"]: None})
    return pd.DataFrame({
        "row": [export.row(p) for p in range(len(export.frame))], "items": items,
        "kind": kinds.replace({"": "payment"}), "txn": _text(export, names["Transaction ID"]),
        "customer": _text(export, customer_col), "time": instants, "amount": amount,
        "net": net.fillna(0.0), "channel": channel})


def _aside(result: ImportResult, rows: pd.DataFrame, reason: str, table: str = "orders") -> None:
    """Set ``rows`` (with ``file`` and ``row`` columns) aside, one entry per file."""
    for file, group in rows.groupby("file", sort=False):
        result.set_aside.append(SetAside(str(file), tuple(int(r) for r in group["row"]), reason, table))


def _without_overlap(used: list[tuple[Export, pd.DataFrame]], result: ImportResult) -> pd.DataFrame:
    """The rows of every file together (``file``, and ``order`` to sort by); a row repeating,
    cell for cell, a row of an earlier file (exports of overlapping periods) is set aside."""
    seen: dict[tuple[str, ...], tuple[str, int]] = {}
    frames = []
    for number, (export, rows) in enumerate(used):
        cells = [tuple(map(str, r)) for r in export.frame.itertuples(index=False)]
        again = [key in seen for key in cells]
        for key, row, repeated in zip(cells, rows["row"], again, strict=True):
            if repeated:
                first = seen[key]
                result.set_aside.append(SetAside(export.name, (int(row),), f"the same row as {first[0]} row "
                                                 f"{first[1]} (exports of overlapping periods)", "orders"))
        for key, row in zip(cells, rows["row"], strict=True):  # a file's own identical lines are two sales
            seen.setdefault(key, (export.name, int(row)))
        frames.append(rows.assign(file=export.name, order=[(number, int(r)) for r in rows["row"]])[
            [not a for a in again]])
    return pd.concat(frames, ignore_index=True)


def _check_items(transactions: pd.DataFrame, items: pd.DataFrame, result: ImportResult) -> None:
    paid = transactions[transactions["kind"] == "payment"].groupby("txn")["net"].sum()
    lines = items[items["kind"] == "payment"].groupby("txn")["net"].sum()
    both = paid.index.intersection(lines.index)
    differ = [t for t in both if abs(paid[t] - lines[t]) > 0.005]
    without = [t for t in paid.index if t not in lines.index]
    text = f"item details: {int((items['kind'] == 'payment').sum()):,} item line(s) in {len(lines):,} transaction(s)"
    if differ:
        text += (f"; {len(differ):,} transaction(s) whose item net sales differ from the transactions file "
                 f"(e.g. {differ[0]!r}: {lines[differ[0]]:.2f} vs {paid[differ[0]]:.2f})")
    else:
        text += "; their net sales match the transactions file"
    if without:
        text += f"; {len(without):,} transaction(s) have no item lines (e.g. {without[0]!r})"
    result.notes.append(text)


def square(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """Square transactions and/or item-detail files -> orders and events (see the module
    docstring)."""
    result = ImportResult("square", [e.name for e in exports])
    read: list[tuple[Export, pd.DataFrame]] = []
    checking = not all(_is_items(e) for e in exports)  # item lines only checked against transactions
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
        asked = "Net Sales" if checking and _is_items(export) else options.get("amount", "Net Sales")
        rows = _read_rows(export, options, result, asked)
        if rows is not None:
            read.append((export, rows))
    if not result.ok or not read:
        return result
    transactions = [(e, r) for e, r in read if not bool(r["items"].all())]
    used = transactions or read
    if transactions and len(transactions) < len(read):
        every_item = pd.concat([r for e, r in read if bool(r["items"].all())], ignore_index=True)
        _check_items(pd.concat([r for _, r in transactions], ignore_index=True), every_item, result)
    rows = _without_overlap(used, result)
    label = ", ".join(dict.fromkeys(rows["file"])) if len(rows) else used[0][0].name
    other = ~rows["kind"].isin(["payment", "refund"])
    for kind in sorted(set(rows.loc[other, "kind"])):
        _aside(result, rows[other & (rows["kind"] == kind)], f"Event Type {kind!r} is neither Payment nor Refund")
    no_txn = (rows["txn"] == "") & ~other
    _aside(result, rows[no_txn], "no Transaction ID")
    no_amount = rows["amount"].isna() & ~other & ~no_txn
    _aside(result, rows[no_amount], f"no {options.get('amount', 'Net Sales')}")
    rows = rows[~other & ~no_txn & ~no_amount]
    payments = rows[rows["kind"] == "payment"].groupby("txn", sort=False).agg(
        file=("file", "first"), row=("row", "first"), order=("order", "first"), customer=("customer", "first"),
        time=("time", "first"), amount=("amount", "sum"), channel=("channel", "first"), lines=("row", "size"))
    refunds = rows[rows["kind"] == "refund"].copy()
    refunds["customer"] = [c or (payments.at[t, "customer"] if t in payments.index else "")
                           for c, t in zip(refunds["customer"], refunds["txn"], strict=True)]
    refunded = refunds.assign(amount=refunds["amount"].abs()).groupby("txn")["amount"].sum()
    payments["refunded"] = refunded.reindex(payments.index).fillna(0.0)
    payments["net"] = (payments["amount"] - payments["refunded"]).round(2)
    if not bool(rows["items"].all()) and bool((payments["lines"] > 1).any()):
        result.notes.append(f"{int((payments['lines'] > 1).sum()):,} transaction(s) in {label} were paid in "
                            "several payments: one order each, their amounts summed")
    walk_in = payments["customer"] == ""
    full = (payments["refunded"] > 0) & (payments["net"] <= 0.005) & ~walk_in
    negative = (payments["amount"] < 0) & ~walk_in & ~full
    _aside(result, payments[walk_in],
           f"no {options.get('customer', 'Customer ID')}: a walk-in sale the till did not link to a customer")
    if walk_in.any():
        result.notes.append(
            f"{int(walk_in.sum()):,} of {len(payments):,} sales in {label} "
            f"({payments.loc[walk_in, 'amount'].sum():,.2f} of {payments['amount'].sum():,.2f} "
            f"{options.get('amount', 'Net Sales')}) have no customer and are not in orders")
    _aside(result, payments[full], "refunded in full (its refund is an event)")
    _aside(result, payments[negative], "a payment with a negative amount")
    keep = ~walk_in & ~full & ~negative
    partly = keep & (payments["refunded"] > 0)
    if partly.any():
        result.notes.append(f"{int(partly.sum()):,} order(s) in {label} were partly refunded: their amount "
                            "is the payment minus the refund")
    orphan = ~refunds["txn"].isin(payments.index)
    if orphan.any():
        result.notes.append(f"{int(orphan.sum()):,} refund(s) in {label} are of sales not in this export "
                            "(events only)")
    refund_nobody = refunds["customer"] == ""
    _aside(result, refunds[refund_nobody], "a refund with no customer", "events")
    kept = payments[keep]
    result.tables["orders"] = pd.DataFrame({
        "order_id": kept.index.astype(str), "customer_id": kept["customer"], "date": kept["time"],
        "amount": amount_text(kept["net"]), "channel": kept["channel"]}).reset_index(drop=True).astype(object)
    bought, returned = payments[~walk_in], refunds[~refund_nobody]
    log = pd.concat([
        pd.DataFrame({"customer_id": bought["customer"], "timestamp": bought["time"], "event": "purchase",
                      "channel": bought["channel"], "_order": bought["order"]}),
        pd.DataFrame({"customer_id": returned["customer"], "timestamp": returned["time"], "event": "refund",
                      "channel": returned["channel"], "_order": returned["order"]})], ignore_index=True)
    result.tables["events"] = log.sort_values("_order", kind="stable").drop(columns="_order") \
        .reset_index(drop=True).astype(object)
    return result


PRESETS: tuple[Preset, ...] = (
    Preset("square", "till / POS", "Square's transactions CSV and/or item detail CSV (Transactions > Export)",
           ("orders", "events"), square, options=(
               Option("amount", "the column giving an order's amount (default Net Sales; e.g. Total Collected)"),
               Option("customer", "the column identifying the customer (default Customer ID)"),
               Option("timezone", "the IANA zone of the times when the file has no Time Zone column"),
               Option("dayfirst", "yes to read 05/03/2024 as 5 March (default: month first, as Square US)"))),
)
