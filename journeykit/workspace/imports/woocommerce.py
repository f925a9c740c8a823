"""Web shop preset: WooCommerce's order exports.

**woocommerce** reads either or both of:

- the **Analytics > Orders** CSV (``Date Created``, ``Order #``, ``Status``, ``Customer``,
  ``Customer type``, ``Product(s)``, ``Items sold``, ``Coupon(s)``, ``Net Sales``,
  ``Attribution``). It names the customer by *name* only, so two people with one name
  become one customer (a note says so); the amount is ``Net Sales``. A row with negative
  net sales is a refund: it is taken off its order when that order is in the file;
- the **classic order CSV** (WooCommerce > Orders > Export, or an order-export plugin:
  ``Order ID`` / ``Order Number``, ``Order Date``, ``Order Status``, ``Billing Email``,
  ``Order Total``, optionally ``Order Refund`` / ``Refund Amount``). The customer is the
  billing e-mail (lower-cased), else ``Billing Phone``; the amount is ``Order Total``
  minus the refunded amount.

Which file is which is told by its columns. An order in both files is taken from the
classic export (the e-mail tells the customer apart; its ``Order Number`` is matched,
else its ``Order ID``); its Analytics rows are set aside saying so, and lend their
``Attribution`` as the channel when the classic row has none. An Analytics order not in
the classic export whose customer name is the billing name of exactly one customer
there gets that customer's e-mail (a note counts them).

Statuses (``Completed``, ``processing``, ``wc-on-hold`` all read alike): cancelled,
failed, refunded, pending payment, checkout drafts and trashed orders are set aside,
each with its reason (WooCommerce Analytics leaves pending, failed and cancelled out of
its figures too); on-hold orders (awaiting a bank transfer) are kept and counted in a
note; a status WooCommerce does not have (a plugin's) is kept and counted in a note.
Dates are passed on as written (without an offset they are wall-clock times in the
workspace time zone; the loader reads them). ``Attribution`` / ``Origin`` gives the
channel: ``Direct``, ``Organic: Google``, ``Referral: blog.example`` -> web, a referral
from a social site -> social, a ``Source:`` of e-mail/newsletter -> email, ``Mobile
app`` -> mobile, ``Web admin`` (an order keyed in by staff) -> phone.

Example:
    >>> attribution_channel("Referral: Instagram.com"), attribution_channel("Source: Newsletter")
    ('social', 'email')
    >>> status_key("wc-on-hold"), status_key("Pending payment")
    ('on hold', 'pending')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from journeykit.workspace.imports.base import (
    Export,
    ImportResult,
    Preset,
    SetAside,
    amount_text,
    find_column,
    missing_columns,
    money_column,
)

#: statuses set aside, with the reason a set-aside row gives
SET_ASIDE_STATUSES = {"cancelled": "order cancelled", "failed": "payment failed", "refunded": "refunded in full",
                      "pending": "payment pending, never paid", "checkout draft": "checkout draft (never placed)",
                      "draft": "checkout draft (never placed)", "trash": "order in the trash"}
KEPT_STATUSES = ("completed", "processing", "on hold")
SOCIAL_SITES = ("facebook", "instagram", "tiktok", "pinterest", "twitter", "x.com", "t.co", "linkedin", "youtube",
                "reddit", "threads")


def status_key(text: str) -> str:
    """A WooCommerce status as one key: lower case, no ``wc-`` prefix, ``-`` as a space,
    "pending payment" -> "pending"."""
    key = str(text).strip().lower()
    key = key[3:] if key.startswith("wc-") else key
    key = key.replace("-", " ").replace("_", " ")
    return {"pending payment": "pending", "canceled": "cancelled"}.get(key, key)


def attribution_channel(text: str) -> str:
    """The workspace channel of a WooCommerce order attribution ("" when blank)."""
    value = str(text).strip().lower()
    if not value:
        return ""
    kind, _, where = value.partition(":")
    where = where.strip()
    if kind == "mobile app":
        return "mobile"
    if kind == "web admin":
        return "phone"
    if any(site in where for site in SOCIAL_SITES) or "social" in where:
        return "social"
    if kind in ("source", "utm") and any(w in where for w in ("mail", "newsletter", "klaviyo")):
        return "email"
    return "web"


def _text(export: Export, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=export.frame.index, dtype=object)
    return export.frame[column].astype(str).str.strip()


def _order_id(values: pd.Series) -> pd.Series:
    return values.str.lstrip("#").str.strip()


def _read_analytics(export: Export, result: ImportResult) -> pd.DataFrame | None:
    names = {what: find_column(export, what) for what in ("Date Created", "Order #", "Status", "Customer",
                                                           "Net Sales")}
    problems = missing_columns(export, "orders", names)
    result.problems += problems
    if problems:
        return None
    net = money_column(export, names["Net Sales"] or "", "orders", result.problems)
    return pd.DataFrame({"row": [export.row(p) for p in range(len(export.frame))],
                         "order_id": _order_id(_text(export, names["Order #"])),
                         "customer": _text(export, names["Customer"]), "date": _text(export, names["Date Created"]),
                         "status": _text(export, names["Status"]), "amount": net, "refunded": 0.0,
                         "channel": _text(export, find_column(export, "Attribution", "Origin")).map(
                             attribution_channel)})


def _read_classic(export: Export, result: ImportResult) -> pd.DataFrame | None:
    names = {"Order ID": find_column(export, "Order Number", "Order ID", "Order No"),
             "Order Date": find_column(export, "Order Date", "Date Created", "Order Created"),
             "Order Status": find_column(export, "Order Status", "Status"),
             "Billing Email": find_column(export, "Billing Email", "Customer Email", "Email"),
             "Order Total": find_column(export, "Order Total", "Order Total Amount", "Total")}
    problems = missing_columns(export, "orders", names)
    result.problems += problems
    if problems:
        return None
    customer = _text(export, names["Billing Email"]).str.lower()
    phone = _text(export, find_column(export, "Billing Phone", "Phone"))
    refund_col = find_column(export, "Order Refund", "Refund Amount", "Total Refunded", "Refunded")
    refunded = (money_column(export, refund_col, "orders", result.problems).abs().fillna(0.0) if refund_col
                else pd.Series(0.0, index=export.frame.index))
    return pd.DataFrame({"row": [export.row(p) for p in range(len(export.frame))],
                         "order_id": _order_id(_text(export, names["Order ID"])),
                         "customer": customer.where(customer != "", phone), "date": _text(export, names["Order Date"]),
                         "name": (_text(export, find_column(export, "Billing First Name")) + " "
                                  + _text(export, find_column(export, "Billing Last Name"))).str.strip(),
                         "status": _text(export, names["Order Status"]),
                         "amount": money_column(export, names["Order Total"] or "", "orders", result.problems),
                         "refunded": refunded,
                         "channel": _text(export, find_column(export, "Attribution", "Origin")).map(
                             attribution_channel)})


def _aside(result: ImportResult, file: str, rows: pd.Series, reason: str) -> None:
    if len(rows):
        result.set_aside.append(SetAside(file, tuple(int(r) for r in rows), reason, "orders"))


def _orders(export: Export, rows: pd.DataFrame, analytics: bool, result: ImportResult) -> pd.DataFrame:
    """One file's rows -> its orders, setting aside what is not a sale of a known customer."""
    if analytics:
        refund = rows["amount"] < 0
        refunds = rows[refund].assign(amount=rows.loc[refund, "amount"].abs()).groupby("order_id")["amount"].sum()
        lone = refund & ~rows["order_id"].isin(set(rows.loc[~refund, "order_id"]))
        _aside(result, export.name, rows.loc[lone, "row"], "a refund (negative net sales) of an order not in "
               "this file")
        rows = rows[~refund].copy()
        rows["refunded"] = rows["order_id"].map(refunds).fillna(0.0)
    status = rows["status"].map(status_key)
    keep = pd.Series(True, index=rows.index)
    for key, reason in SET_ASIDE_STATUSES.items():
        hit = status == key
        _aside(result, export.name, rows.loc[hit, "row"], f"{reason} (status {key})")
        keep &= ~hit
    no_id = keep & (rows["order_id"] == "")
    _aside(result, export.name, rows.loc[no_id, "row"], "no order number")
    nobody = keep & ~no_id & (rows["customer"] == "")
    _aside(result, export.name, rows.loc[nobody, "row"],
           "no customer name" if analytics else "no billing e-mail or phone to tell who the customer is")
    keep &= ~no_id & ~nobody
    net = (rows["amount"] - rows["refunded"]).round(2)
    full = keep & (rows["refunded"] > 0) & (net <= 0.005)
    _aside(result, export.name, rows.loc[full, "row"], "refunded in full")
    keep &= ~full
    partly = keep & (rows["refunded"] > 0)
    if partly.any():
        result.notes.append(f"{int(partly.sum()):,} order(s) in {export.name} were partly refunded: their amount "
                            "is net of the refund")
    on_hold = keep & (status == "on hold")
    if on_hold.any():
        result.notes.append(f"{int(on_hold.sum()):,} order(s) in {export.name} are on hold (awaiting payment) and "
                            "are kept")
    other = keep & ~status.isin(KEPT_STATUSES)
    for key in sorted(set(status[other])):
        result.notes.append(f"{int((status[other] == key).sum()):,} order(s) in {export.name} have the status "
                            f"{key!r}, which WooCommerce itself does not have: kept")
    return rows[keep].assign(amount=net[keep])


def woocommerce(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """WooCommerce Analytics and/or classic order CSV exports -> orders (see the module
    docstring)."""
    result = ImportResult("woocommerce", [e.name for e in exports])
    parts: list[tuple[Export, bool, pd.DataFrame]] = []
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
        analytics = find_column(export, "Order #") is not None and find_column(export, "Net Sales") is not None
        rows = _read_analytics(export, result) if analytics else _read_classic(export, result)
        if rows is not None:
            parts.append((export, analytics, rows))
    if not result.ok or not parts:
        return result
    classic: dict[str, tuple[str, int]] = {}
    by_name: dict[str, set[str]] = {}
    frames: list[pd.DataFrame] = []
    for export, analytics, rows in sorted(parts, key=lambda p: p[1]):  # classic files first
        if analytics and classic:
            twin = rows["order_id"].isin(classic.keys())
            for order_id, group in rows[twin].groupby("order_id", sort=False):
                file, row = classic[str(order_id)]
                result.set_aside.append(SetAside(export.name, tuple(int(r) for r in group["row"]),
                                                 f"order {order_id} is also in {file} row {row}, which is used "
                                                 "instead (its e-mail tells the customer apart)", "orders"))
            lend = rows[twin & (rows["amount"] >= 0)].drop_duplicates("order_id").set_index("order_id")["channel"]
            for frame in frames:
                frame["channel"] = frame["channel"].where(frame["channel"] != "",
                                                          frame["order_id"].map(lend).fillna(""))
            rows = rows[~twin]
        orders = _orders(export, rows, analytics, result)
        named = orders["customer"]
        if not analytics:  # every order number of the classic file, kept or set aside, and who each name is
            for order_id, row in zip(rows["order_id"], rows["row"], strict=True):
                classic.setdefault(order_id, (export.name, int(row)))
            for name, who in zip(rows["name"], rows["customer"], strict=True):
                if name and who:
                    by_name.setdefault(name.lower(), set()).add(who)
        elif by_name:
            known = orders["customer"].str.lower().map(lambda n: next(iter(by_name[n])) if len(by_name.get(n, ()))
                                                       == 1 else "")
            if (known != "").any():
                result.notes.append(f"{int((known != '').sum()):,} order(s) of {export.name} identified by the "
                                    "e-mail (or phone) of the same billing name in the classic export")
            orders = orders.assign(customer=known.where(known != "", orders["customer"]))
            named = named[known == ""]
        if analytics and len(named):
            result.notes.append(f"{export.name} names customers by name only: {named.nunique():,} "
                                "customer(s) by name (two people with one name are one customer; the classic "
                                "order export gives e-mails)")
        frames.append(pd.DataFrame({"order_id": orders["order_id"], "customer_id": orders["customer"],
                                    "date": orders["date"], "amount": amount_text(orders["amount"]),
                                    "channel": orders["channel"], "_file": export.name, "_row": orders["row"]}))
    table = pd.concat(frames, ignore_index=True).astype(object)
    repeated = table["order_id"].duplicated()
    for (file, order_id), again in table[repeated].groupby(["_file", "order_id"], sort=False):
        first = table[table["order_id"] == order_id].iloc[0]
        result.set_aside.append(SetAside(str(file), tuple(int(r) for r in again["_row"]),
                                         f"order {order_id} again (first in {first['_file']} row {first['_row']})",
                                         "orders"))
    result.tables["orders"] = table[~repeated].drop(columns=["_file", "_row"]).reset_index(drop=True)
    return result


PRESETS: tuple[Preset, ...] = (
    Preset("woocommerce", "web shop orders", "WooCommerce Analytics > Orders CSV and/or the classic order CSV export",
           ("orders",), woocommerce),
)
