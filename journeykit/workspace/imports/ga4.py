"""Web analytics preset: GA4's BigQuery export (``events_YYYYMMDD``), flattened to CSV,
JSON lines or Parquet.

**ga4** reads one row per event: ``event_timestamp`` (microseconds since the epoch, UTC),
``event_name``, ``user_pseudo_id`` (the browser/app instance), ``user_id`` (set by the
site when the visitor signs in), ``event_params`` (a list of ``{key, value: {string_value,
int_value, float_value, double_value}}``), ``device.category``, ``traffic_source.medium``
/ ``.source`` and ``ecommerce.transaction_id`` / ``.purchase_revenue``. Nested records
come either as nested values (JSON lines, Parquet structs: read as JSON text) or as
flattened columns named ``device.category`` or ``device_category``; both are found.

- **events**: every event with a person. The customer is ``user_id`` when set, else
  ``user_pseudo_id``; a note counts the events (and people) of each. With ``--set
  stitch=yes`` a device's anonymous events go to the one user id it signed in as (a
  device seen with several user ids stays anonymous); a note without it says how many
  devices also signed in. Events with neither id (consent mode's cookieless pings), and
  rows without an ``event_name``, are set aside. The timestamp is written as ISO UTC
  with ``Z`` (``2024-03-05T19:31:07.123456Z``).
- **channel**: from ``device.category`` (desktop -> web, mobile/tablet -> mobile) by
  default; ``--set channel=medium`` uses ``traffic_source.medium`` instead (email ->
  email, social -> social, everything else -> web). GA4's ``traffic_source`` is the
  medium that first brought the *user*, not the session's.
- **orders**: each ``purchase`` event: ``order_id`` = ``ecommerce.transaction_id`` (else
  the ``transaction_id`` event param), amount = ``ecommerce.purchase_revenue`` (else the
  ``value`` event param), date = its timestamp. A purchase without a transaction id (or
  ``(not set)``), without revenue, or repeating an earlier purchase's transaction id (GA4
  records a reloaded thank-you page again) is set aside from orders; the event stays.

Example:
    >>> micros_to_iso(pd.Series(["1709667067123456", "1709667067000000", "1.70966E+15"])).tolist()
    ['2024-03-05T19:31:07.123456Z', '2024-03-05T19:31:07Z', '']
    >>> param('[{"key": "value", "value": {"double_value": 12.5}}]', "value")
    '12.5'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
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
)

DEVICE_CHANNELS = {"desktop": "web", "mobile": "mobile", "tablet": "mobile", "smart tv": "web"}
MEDIUM_CHANNELS = {"email": "email", "e-mail": "email", "newsletter": "email", "social": "social",
                   "social-network": "social", "social-media": "social", "sm": "social"}
_VALUE_KEYS = ("string_value", "int_value", "double_value", "float_value")
_WHOLE = r"\d{1,17}(?:\.0*)?"
NOT_SET = ("", "(not set)", "null", "none")


def micros_to_iso(texts: pd.Series) -> pd.Series:
    """GA4's ``event_timestamp`` texts (microseconds since 1970, UTC) as ISO UTC texts with
    ``Z``; "" for a text that is not a whole number written out in digits (``1.70966E+15``,
    as a spreadsheet rounds it, has lost the seconds)."""
    values = texts.astype(str).str.strip()
    whole = values.str.fullmatch(_WHOLE).fillna(False).astype(bool)
    out = pd.Series("", index=texts.index, dtype=object)
    if whole.any():
        micros = values[whole].str.replace(r"\.0*$", "", regex=True).astype("int64").to_numpy()
        iso = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
        out[whole] = [t[:-7] + "Z" if t.endswith(".000000") else t + "Z" for t in iso]
    return out


def _json(text: str) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def param(params: str, key: str) -> str | None:
    """The value of event param ``key`` in GA4's nested ``event_params`` (JSON text), as
    text (the first of its string, int, double, float values that is set); None when absent."""
    items = _json(params)
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict) and item.get("key") == key:
            value = item.get("value")
            if not isinstance(value, dict):
                return None if value is None else str(value)
            for name in _VALUE_KEYS:
                found = value.get(name)
                if found is not None and found == found:  # NaN is not a value
                    return str(found)
    return None


def nested(export: Export, record: str, field: str) -> pd.Series:
    """``record.field`` of each row: a flattened column (``device.category``,
    ``device_category``) or the field of a nested record column (JSON text); "" when absent."""
    flat = find_column(export, f"{record}.{field}")
    if flat is not None:
        return export.frame[flat].astype(str).str.strip()
    whole = find_column(export, record)
    if whole is None:
        return pd.Series("", index=export.frame.index, dtype=object)
    values = []
    for text in export.frame[whole]:
        item = _json(str(text))
        value = item.get(field) if isinstance(item, dict) else None
        values.append("" if value is None else str(value).strip())
    return pd.Series(values, index=export.frame.index, dtype=object)


def _channels(export: Export, how: str) -> pd.Series:
    if how == "medium":
        medium = nested(export, "traffic_source", "medium").str.lower()
        return medium.map(lambda m: MEDIUM_CHANNELS.get(m, "web")).astype(object)
    device = nested(export, "device", "category").str.lower()
    return device.map(lambda d: DEVICE_CHANNELS.get(d, d)).astype(object)


def _read(export: Export, options: Mapping[str, str], result: ImportResult) -> pd.DataFrame | None:
    names = {"event_timestamp": find_column(export, "event_timestamp"),
             "event_name": find_column(export, "event_name"),
             "user_pseudo_id": find_column(export, "user_pseudo_id", "user_id")}
    problems = missing_columns(export, "events", names)
    result.problems += problems
    if problems:
        return None
    stamp_col, name_col = names["event_timestamp"] or "", names["event_name"] or ""
    times = micros_to_iso(export.frame[stamp_col])
    for position in (times == "").to_numpy().nonzero()[0]:
        result.problems.append(Problem(export.name, "microseconds since 1970 (UTC), e.g. 1709667067123456",
                                       row=export.row(int(position)), column=stamp_col,
                                       value=export.frame[stamp_col].iloc[position], table="events"))
    pseudo_col, user_col = find_column(export, "user_pseudo_id"), find_column(export, "user_id")
    blank = pd.Series("", index=export.frame.index, dtype=object)

    def ids(column: str | None) -> pd.Series:
        values = export.frame[column].astype(str).str.strip() if column else blank
        return values.where(~values.str.lower().isin(NOT_SET), "")

    params_col = find_column(export, "event_params")
    params = export.frame[params_col].astype(str) if params_col else blank

    names_ = export.frame[name_col].astype(str).str.strip()
    purchase = names_ == "purchase"

    def from_params(key: str, missing: pd.Series) -> pd.Series:
        """The param where ``missing`` (purchases only: a large log's other events are not parsed)."""
        found = pd.Series("", index=export.frame.index, dtype=object)
        where = missing & purchase
        found[where] = [param(p, key) or "" for p in params[where]]
        return found

    transaction = nested(export, "ecommerce", "transaction_id").where(purchase, "")
    revenue = nested(export, "ecommerce", "purchase_revenue").where(purchase, "")
    if purchase.any():
        lacking = transaction.str.lower().isin(NOT_SET)
        transaction = transaction.where(~lacking, from_params("transaction_id", lacking))
        lacking = revenue.str.lower().isin(NOT_SET)
        revenue = revenue.where(~lacking, from_params("value", lacking))
    return pd.DataFrame({"row": [export.row(p) for p in range(len(export.frame))], "user": ids(user_col),
                         "pseudo": ids(pseudo_col), "time": times, "event": names_,
                         "channel": _channels(export, options.get("channel", "device")),
                         "purchase": purchase, "transaction": transaction.where(purchase, ""),
                         "revenue": revenue.where(purchase, "")})


def _amounts(export: Export, rows: pd.DataFrame, result: ImportResult) -> pd.Series:
    out = []
    for row, text in zip(rows["row"], rows["revenue"], strict=True):
        try:
            out.append(float(text) if text.strip().lower() not in NOT_SET else float("nan"))
        except ValueError:
            result.problems.append(Problem(export.name, "a revenue such as 1149.0", row=int(row),
                                           column="ecommerce.purchase_revenue", value=text, table="orders"))
            out.append(float("nan"))
    return pd.Series(out, index=rows.index, dtype="float64")


def ga4(exports: Sequence[Export], options: Mapping[str, str]) -> ImportResult:
    """GA4 BigQuery export files -> events and orders (see the module docstring)."""
    result = ImportResult("ga4", [e.name for e in exports])
    how = options.get("channel", "device")
    if how not in ("device", "medium"):
        result.problems.append(Problem("(options)", "channel=device or channel=medium", column="channel", value=how))
    stitch = options.get("stitch", "no").strip().lower() in ("yes", "true", "1")
    read = []
    for export in exports:
        result.rows_in[export.name] = len(export.frame)
        rows = _read(export, options, result)
        if rows is not None:
            read.append((export, rows))
    if not result.ok or not read:
        return result
    every = pd.concat([r for _, r in read], ignore_index=True)
    signed = every[(every["user"] != "") & (every["pseudo"] != "")].drop_duplicates(["pseudo", "user"])
    one_user = signed.groupby("pseudo")["user"].agg(lambda u: u.iloc[0] if len(u) == 1 else "")
    one_user = one_user[one_user != ""]
    events, orders = [], []
    seen: dict[str, tuple[str, int]] = {}
    counts = {"user_id": 0, "user_pseudo_id": 0, "stitched": 0}
    people: dict[str, set[str]] = {"user_id": set(), "user_pseudo_id": set()}
    for export, rows in read:
        anonymous = (rows["user"] == "") & rows["pseudo"].isin(one_user.index)
        customer = rows["user"].where(rows["user"] != "", rows["pseudo"])
        if stitch:
            customer = customer.where(~anonymous, rows["pseudo"].map(one_user))
            counts["stitched"] += int(anonymous.sum())
        by_user = (rows["user"] != "") | (anonymous if stitch else False)
        counts["user_id"] += int((by_user & (customer != "")).sum())
        counts["user_pseudo_id"] += int((~by_user & (customer != "")).sum())
        people["user_id"] |= set(customer[by_user & (customer != "")])
        people["user_pseudo_id"] |= set(customer[~by_user & (customer != "")])
        nobody = customer == ""
        if nobody.any():
            result.set_aside.append(SetAside(export.name, tuple(int(r) for r in rows.loc[nobody, "row"]),
                                             "no user_pseudo_id or user_id (a consent-mode cookieless ping)", "events"))
        unnamed = (rows["event"] == "") & ~nobody
        if unnamed.any():
            result.set_aside.append(SetAside(export.name, tuple(int(r) for r in rows.loc[unnamed, "row"]),
                                             "no event_name", "events"))
        events.append(pd.DataFrame({"customer_id": customer, "timestamp": rows["time"], "event": rows["event"],
                                    "channel": rows["channel"]})[~nobody & ~unnamed])
        # customer assigned before selecting: assigned to an empty selection (a file without a
        # purchase), pandas would take the whole Series and its index
        bought = rows.assign(customer=customer)[rows["purchase"] & ~nobody]
        amount = _amounts(export, bought, result)
        reasons: dict[str, list[int]] = {}
        keep = []
        for index, row, transaction, value in zip(bought.index, bought["row"], bought["transaction"],
                                                  amount, strict=True):
            transaction = str(transaction).strip()
            if transaction.lower() in NOT_SET:
                reasons.setdefault("a purchase without a transaction id", []).append(int(row))
            elif pd.isna(value):
                reasons.setdefault("a purchase without revenue (ecommerce.purchase_revenue or the value param)",
                                   []).append(int(row))
            elif value < 0:
                reasons.setdefault("a purchase with negative revenue", []).append(int(row))
            elif transaction in seen:
                first = seen[transaction]
                reasons.setdefault(f"the purchase of transaction {transaction!r} again (first in {first[0]} row "
                                   f"{first[1]})", []).append(int(row))
            else:
                seen[transaction] = (export.name, int(row))
                keep.append(index)
        for reason, where in reasons.items():
            result.set_aside.append(SetAside(export.name, tuple(where), reason, "orders"))
        kept = bought.loc[keep]
        orders.append(pd.DataFrame({"order_id": kept["transaction"], "customer_id": kept["customer"],
                                    "date": kept["time"], "amount": amount_text(amount[keep]),
                                    "channel": kept["channel"]}))
    result.tables["events"] = pd.concat(events, ignore_index=True).astype(object)
    result.tables["orders"] = pd.concat(orders, ignore_index=True).astype(object)
    result.notes.append(f"customer = user_id for {counts['user_id']:,} event(s) ({len(people['user_id']):,} "
                        f"people), user_pseudo_id for {counts['user_pseudo_id']:,} event(s) "
                        f"({len(people['user_pseudo_id']):,} devices)")
    if stitch and counts["stitched"]:
        result.notes.append(f"{counts['stitched']:,} anonymous event(s) of devices that signed in as one user id "
                            "were given that user id (stitch=yes)")
    signed_in = set(one_user.index) & set(every.loc[every["user"] == "", "pseudo"])
    if signed_in and not stitch:
        result.notes.append(f"{len(signed_in):,} device(s) with anonymous events also signed in as one user id; "
                            "--set stitch=yes gives those events the user id")
    return result


PRESETS: tuple[Preset, ...] = (
    Preset("ga4", "web analytics", "GA4's BigQuery export (events_*) as CSV, JSON lines or Parquet",
           ("events", "orders"), ga4, options=(
               Option("channel", "device (default: desktop -> web, mobile/tablet -> mobile) or medium "
                      "(traffic_source.medium: email, social, else web)"),
               Option("stitch", "yes to give a device's anonymous events the one user id it signed in as"))),
)
