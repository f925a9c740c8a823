"""Web shop presets: Shopify's orders export and generic "line items -> orders".

**shopify** (``orders_export.csv``, Admin > Orders > Export): one row per line item;
the order's own fields (Email, Total, Created at, Financial Status, ...) are filled on
the order's first row only. One order per ``Name`` (``#1001``); its amount is ``Total``
minus ``Refunded Amount`` (net of refunds; partly refunded orders are counted in a note);
cancelled, voided and fully refunded orders are set aside. The customer is the e-mail address
(lower-cased), else the phone number (``Phone``, then ``Billing Phone``); an order with
neither is set aside. ``Created at`` keeps its offset (``2024-03-05 14:31:07 -0500``), so
the loader reads an instant. ``Source`` gives the channel (``web`` -> web, ``pos`` -> store).

**line-items** (any line-item file, optionally a second file of orders and a third of
people): sums ``price x quantity`` per order id, adds the order's shipping, and finds the
person through the orders file when the line items do not carry it. Columns are named
with ``--set`` options (``order_id=``, ``price=``, ``quantity=``, ``shipping=``,
``customer=``, ``date=``, and ``person_key=``/``person_id=`` for the people file).

Example:
    >>> PRESETS[0].name, PRESETS[0].produces
    ('shopify', ('orders',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    people_lookup,
)

#: order statuses whose orders are set aside (not a purchase that stood)
CANCELLED_STATUSES = frozenset({"canceled", "cancelled", "unavailable", "failed", "voided", "refunded"})
SHOPIFY_CHANNELS = {"web": "web", "pos": "store", "shopify_draft_order": "phone", "iphone": "mobile",
                    "android": "mobile"}


def _blank(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip() == ""


def shopify(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """Shopify ``orders_export*.csv`` files -> orders (see the module docstring)."""
    result = ImportResult("shopify", [e.name for e in exports])
    frames = []
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
        columns = {what: find_column(export, what) for what in ("Name", "Created at", "Total")}
        result.problems += missing_columns(export, "orders", columns)
        if not all(columns.values()):
            continue
        frame = export.frame
        name_col, created_col, total_col = columns["Name"], columns["Created at"], columns["Total"]
        assert name_col and created_col and total_col
        first = ~frame[name_col].duplicated() & ~_blank(frame[name_col])
        orders = frame[first]
        rows = pd.Series([export.row(int(p)) for p in first.to_numpy().nonzero()[0]], index=orders.index)
        email_col = find_column(export, "Email")
        phone_cols = [c for c in (find_column(export, "Phone"), find_column(export, "Billing Phone")) if c]
        customer = pd.Series("", index=orders.index, dtype=object)
        if email_col:
            customer = orders[email_col].astype(str).str.strip().str.lower()
        for phone_col in phone_cols:
            phone = orders[phone_col].astype(str).str.strip()
            customer = customer.where(customer != "", phone)
        total = money_column(export, total_col, "orders", result.problems)[first]
        refunded_col = find_column(export, "Refunded Amount")
        refunded = pd.Series(0.0, index=orders.index)
        if refunded_col:
            refunded = money_column(export, refunded_col, "orders", result.problems)[first].fillna(0.0)
        cancelled_col = find_column(export, "Cancelled at")
        status_col = find_column(export, "Financial Status")
        cancelled = pd.Series(False, index=orders.index)
        if cancelled_col:
            cancelled |= ~_blank(orders[cancelled_col])
        if status_col:
            cancelled |= orders[status_col].astype(str).str.strip().str.lower().eq("voided")
        refunded_in_full = (refunded >= total) & (total > 0) & ~cancelled
        no_person = (customer == "") & ~cancelled & ~refunded_in_full
        if cancelled.any():
            result.set_aside.append(SetAside(export.name, tuple(rows[cancelled]), "order cancelled or voided", "orders"))
        if no_person.any():
            result.set_aside.append(SetAside(export.name, tuple(rows[no_person]),
                                             "no e-mail or phone to tell who the customer is", "orders"))
        if refunded_in_full.any():
            result.set_aside.append(SetAside(export.name, tuple(rows[refunded_in_full]), "refunded in full",
                                             "orders"))
        keep = ~cancelled & ~no_person & ~refunded_in_full
        partly = (refunded > 0) & keep
        if partly.any():
            result.notes.append(f"{int(partly.sum()):,} order(s) in {export.name} had refunds; their amount is "
                                "Total minus Refunded Amount")
        source_col = find_column(export, "Source")
        channel = (orders[source_col].astype(str).str.strip().str.lower().map(lambda s: SHOPIFY_CHANNELS.get(s, s))
                   if source_col else pd.Series("", index=orders.index))
        frames.append(pd.DataFrame({
            "order_id": orders[name_col].astype(str).str.strip(),
            "customer_id": customer,
            "date": orders[created_col].astype(str).str.strip(),
            "amount": amount_text((total - refunded).clip(lower=0)),
            "channel": channel,
        })[keep])
    if frames:
        result.tables["orders"] = pd.concat(frames, ignore_index=True)
    return result


def _sum_line_items(items: Export, options: Mapping[str, str], result: ImportResult) -> pd.DataFrame | None:
    names = {"order_id": find_column(items, options.get("order_id", "order_id"), "order id", "order"),
             "price": find_column(items, options.get("price", "price"), "unit price", "item price"),
             "quantity": find_column(items, options.get("quantity", "quantity"), "qty")}
    if options.get("quantity") is None and names["quantity"] is None:
        names.pop("quantity")  # one row per unit (e.g. Olist's order items): quantity 1
    result.problems += missing_columns(items, "orders", names)
    if any(v is None for v in names.values()):
        return None
    frame = items.frame
    price = money_column(items, names["price"] or "", "orders", result.problems)
    quantity = (pd.to_numeric(frame[names["quantity"]], errors="coerce") if names.get("quantity")
                else pd.Series(1.0, index=frame.index))
    bad_quantity = quantity.isna() & ~_blank(frame[names["quantity"]]) if names.get("quantity") else quantity.isna()
    for position in bad_quantity.to_numpy().nonzero()[0]:
        result.problems.append(Problem(items.name, "a quantity (a whole number)", row=items.row(int(position)),
                                       column=names["quantity"], value=frame.iloc[int(position)][names["quantity"]],
                                       table="orders"))
    line = price * quantity.fillna(1.0)
    shipping_col = (find_column(items, options["shipping"]) if "shipping" in options
                    else find_column(items, "shipping", "freight_value", "shipping cost"))
    if shipping_col:
        line = line + money_column(items, shipping_col, "orders", result.problems).fillna(0.0)
        result.notes.append(f"order amounts include {shipping_col!r} from {items.name}")
    sums = pd.DataFrame({"order_id": frame[names["order_id"]].astype(str).str.strip(), "amount": line})
    grouped = sums.groupby("order_id", sort=False, as_index=False)["amount"].sum()
    customer_col = find_column(items, options.get("customer", "customer_id"))
    date_col = find_column(items, options.get("date", "date"), "order date")
    if customer_col:
        firsts = frame.drop_duplicates(names["order_id"])
        grouped["customer_id"] = firsts[customer_col].astype(str).str.strip().to_numpy()
        if date_col:
            grouped["date"] = firsts[date_col].astype(str).str.strip().to_numpy()
    return grouped


def line_items(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """Line items (file 1), optionally orders (file 2) and people (file 3) -> orders."""
    result = ImportResult("line-items", [e.name for e in exports])
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
    if not exports:
        return result
    grouped = _sum_line_items(exports[0], options, result)
    if grouped is None:
        return result
    if "customer_id" not in grouped.columns or "date" not in grouped.columns:
        if len(exports) < 2:
            result.problems.append(Problem(exports[0].name, "a customer and a date column in the line items "
                                           "(--set customer=... date=...), or an orders file as the second file",
                                           row=1, table="orders"))
            return result
        orders = exports[1]
        key = find_column(orders, options.get("order_id", "order_id"), "order id")
        who = find_column(orders, options.get("customer", "customer_id"), "customer id", "email")
        when = find_column(orders, options.get("date", "date"), "order_purchase_timestamp", "order date",
                           "created at")
        result.problems += missing_columns(orders, "orders", {"order_id": key, "customer": who, "date": when})
        if not (key and who and when):
            return result
        order_ids = orders.frame[key].astype(str).str.strip()
        lookup = orders.frame.set_axis(order_ids)
        lookup = lookup[~lookup.index.duplicated()]
        grouped["customer_id"] = grouped["order_id"].map(lookup[who].astype(str).str.strip())
        grouped["date"] = grouped["order_id"].map(lookup[when].astype(str).str.strip())
        unknown = grouped["customer_id"].isna()
        if unknown.any():
            missing_ids = set(grouped.loc[unknown, "order_id"])
            item_ids = exports[0].frame[find_column(exports[0], options.get("order_id", "order_id"), "order id")
                                        or ""].astype(str).str.strip()
            result.set_aside.append(SetAside(exports[0].name, exports[0].rows(item_ids.isin(missing_ids)),
                                             f"order id not in {orders.name}", "orders"))
            grouped = grouped[~unknown]
        status_col = find_column(orders, options.get("status", "order_status"), "status")
        if status_col:
            status = grouped["order_id"].map(lookup[status_col].astype(str).str.strip().str.lower())
            dropped = status.isin(CANCELLED_STATUSES)
            if dropped.any():
                result.set_aside.append(SetAside(orders.name,
                                                 orders.rows(order_ids.isin(set(grouped.loc[dropped, "order_id"]))),
                                                 f"order {', '.join(sorted(set(status[dropped])))}", "orders"))
                grouped = grouped[~dropped]
        if len(exports) > 2:
            people = exports[2]
            mapping = people_lookup(people, find_column(people, options.get("person_key", who)),
                                    find_column(people, options.get("person_id", "customer_unique_id")),
                                    "orders", result.problems)
            if mapping is None:
                return result
            mapped = grouped["customer_id"].map(mapping)
            result.notes.append(f"customers identified by {options.get('person_id', 'customer_unique_id')!r} of "
                                f"{people.name} ({mapped.nunique():,} people for "
                                f"{grouped['customer_id'].nunique():,} keys)")
            grouped["customer_id"] = mapped.fillna(grouped["customer_id"])
    grouped["amount"] = amount_text(grouped["amount"])
    result.tables["orders"] = grouped[["order_id", "customer_id", "date", "amount"]].reset_index(drop=True)
    return result


PRESETS: tuple[Preset, ...] = (
    Preset("shopify", "web shop orders", "orders_export.csv from Shopify (Orders > Export)", ("orders",), shopify),
    Preset("line-items", "web shop orders", "line items, then optionally orders and people files",
           ("orders",), line_items, options=(
               Option("order_id", "the order id column (default order_id)"),
               Option("price", "the unit price column (default price)"),
               Option("quantity", "the quantity column (default quantity; absent = 1 per row)"),
               Option("shipping", "a shipping column added to each order (default: shipping/freight_value)"),
               Option("customer", "the customer column in the line items or the orders file"),
               Option("date", "the order date column in the line items or the orders file"),
               Option("status", "the orders file's status column (default order_status); canceled, "
                      "unavailable, failed, voided and refunded orders are set aside"),
               Option("person_key", "the people file's column matching the customer column"),
               Option("person_id", "the people file's column that identifies a person"))),
)
