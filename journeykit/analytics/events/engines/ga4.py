"""The GA4 BigQuery export as an event log: the SELECT that flattens ``events_*`` in BigQuery.

GA4's free BigQuery export writes one table a day, ``<project>.<dataset>.events_YYYYMMDD``
(plus ``events_intraday_YYYYMMDD`` while a day is being streamed), one row per event with
nested records. :func:`ga4_table_sql` reads the daily tables through the wildcard
``events_*`` with a ``_TABLE_SUFFIX`` range (BigQuery then scans, and bills, only those
days) and gives the kit's event columns, deciding everything as the file import preset
:mod:`journeykit.workspace.imports.ga4` does with an exported file, so a GA4 user gets the
same log either way:

* ``customer_id``: ``user_id`` when set, else ``user_pseudo_id`` (trimmed; ``""``,
  ``(not set)``, ``null`` and ``none`` in any case count as not set); rows with neither
  (consent mode's cookieless pings) and rows without an ``event_name`` are left out.
  ``stitch=True`` gives a device's anonymous events the one user id it signed in as in
  the date range (a device seen with several user ids stays anonymous), as the preset's
  ``--set stitch=yes``.
* ``timestamp``: ``TIMESTAMP_MICROS(event_timestamp)`` (UTC).
* ``event``: ``event_name``, trimmed.
* ``channel``: ``device.category`` (desktop and smart tv -> web, mobile and tablet ->
  mobile, another category itself in lower case, none -> NULL) by default;
  ``channel="medium"``: ``traffic_source.medium`` (email, e-mail, newsletter -> email;
  social, social-network, social-media, sm -> social; everything else -> web). GA4's
  ``traffic_source`` is what first brought the *user*, not the session's source.
* ``params``: extra columns, one per named event param (``page_location``...), as text:
  the first of its ``string_value``, ``int_value``, ``double_value``, ``float_value``
  that is set (:func:`journeykit.workspace.imports.ga4.param`); NULL when absent.

The days are the tables' own (``events_YYYYMMDD`` is the day in the GA4 property's time
zone); ``start``/``end`` include both ends. Without them every daily table is read.

Example:
    >>> print(ga4_table_sql("my-project.analytics_123", "2024-01-01", "2024-01-31"))  # doctest: +ELLIPSIS
    SELECT customer_id, timestamp, event, channel FROM (...
    ...FROM `my-project.analytics_123.events_*`
    WHERE _TABLE_SUFFIX BETWEEN '20240101' AND '20240131'...
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from journeykit.core._sql import bigquery_ident, bigquery_literal
from journeykit.core.errors import JourneykitError
from journeykit.workspace.imports.ga4 import DEVICE_CHANNELS, MEDIUM_CHANNELS, NOT_SET

__all__ = ["DateLike", "ga4_table_sql", "parse_dataset", "table_suffix"]

DateLike = dt.date | str
"""A day: a ``datetime.date`` (or datetime), or text ``YYYY-MM-DD`` / ``YYYYMMDD``."""

# a project id (6-30 of a-z 0-9 -, a letter first; an old domain-scoped one has
# "example.com:" before it) and a dataset name (letters, digits, underscores)
_PROJECT = re.compile(r"(?:[a-z0-9][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]")
_DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_COLUMNS = ("customer_id", "timestamp", "event", "channel")


def parse_dataset(dataset: object) -> tuple[str, str]:
    """``project.dataset`` checked and split; a :class:`JourneykitError` naming what is wrong.

    Example:
        >>> parse_dataset("my-project.analytics_123")
        ('my-project', 'analytics_123')
    """
    text = str(dataset).strip() if isinstance(dataset, str) else ""
    project, _, name = text.rpartition(".")
    if not project or not _PROJECT.fullmatch(project) or not _DATASET.fullmatch(name):
        raise JourneykitError(
            f"events.ga4_dataset: expected the GA4 export's dataset as project.dataset, e.g. "
            f"my-project.analytics_123456789 (project id: 6-30 of a-z, 0-9 and -, starting with "
            f"a letter; dataset: letters, digits and _), not {dataset!r}")
    return project, name


def table_suffix(day: DateLike | None, name: str) -> str | None:
    """The ``_TABLE_SUFFIX`` of ``day`` (``YYYYMMDD``), None for None; ``name`` is the
    setting named in the error (``events.start``).

    Example:
        >>> table_suffix("2024-03-05", "events.start"), table_suffix(dt.date(2024, 3, 5), "events.end")
        ('20240305', '20240305')
    """
    if day is None:
        return None
    if isinstance(day, dt.date):  # a datetime (and pd.Timestamp) is a date too
        value = day.date() if isinstance(day, dt.datetime) else day
        return value.strftime("%Y%m%d")
    text = day.strip().replace("-", "") if isinstance(day, str) else ""
    if re.fullmatch(r"\d{8}", text) and re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", str(day).strip()):
        try:
            return dt.datetime.strptime(text, "%Y%m%d").strftime("%Y%m%d")
        except ValueError:
            pass
    raise JourneykitError(f"{name}: expected a day as YYYY-MM-DD (e.g. 2024-01-31), not {day!r}")


def _clean(column: str) -> str:
    """``column`` trimmed, NULL when not set (the preset's NOT_SET texts)."""
    unset = ", ".join(bigquery_literal(t) for t in NOT_SET)
    return f"CASE WHEN LOWER(TRIM({column})) IN ({unset}) THEN NULL ELSE TRIM({column}) END"


def _mapped(value: str, mapping: dict[str, str], otherwise: str) -> str:
    whens = " ".join(f"WHEN {bigquery_literal(k)} THEN {bigquery_literal(v)}" for k, v in mapping.items())
    return f"CASE {value} {whens} ELSE {otherwise} END"


def _channel(how: str) -> str:
    if how == "device":
        category = "LOWER(TRIM(device.category))"
        return _mapped(category, DEVICE_CHANNELS, f"NULLIF({category}, '')")
    if how == "medium":
        return _mapped("LOWER(TRIM(traffic_source.medium))", MEDIUM_CHANNELS, "'web'")
    raise JourneykitError(f"ga4 channel: expected 'device' or 'medium', not {how!r}")


def _param(key: str) -> str:
    values = ("p.value.string_value", "CAST(p.value.int_value AS STRING)",
              "CAST(p.value.double_value AS STRING)", "CAST(p.value.float_value AS STRING)")
    return (f"(SELECT COALESCE({', '.join(values)}) FROM UNNEST(event_params) AS p "
            f"WHERE p.key = {bigquery_literal(key)} LIMIT 1)")


def ga4_table_sql(
    dataset: str,
    start: DateLike | None = None,
    end: DateLike | None = None,
    *,
    channel: str = "device",
    stitch: bool = False,
    params: Sequence[str] = (),
) -> str:
    """BigQuery SQL reading the GA4 export ``dataset`` (``project.dataset``) from ``start``
    to ``end`` (days, both included; None = the first/last table) as the kit's event log:
    ``customer_id`` STRING, ``timestamp`` TIMESTAMP (UTC), ``event`` STRING, ``channel``
    STRING, then one STRING column per name in ``params``. ``channel``: ``"device"`` or
    ``"medium"``; ``stitch``: anonymous events of a device that signed in as one user id get
    that id. See the module docstring for each decision.

    Example:
        >>> "user_pseudo_id" in ga4_table_sql("my-project.analytics_123")
        True
    """
    project, name = parse_dataset(dataset)
    first, last = table_suffix(start, "events.start"), table_suffix(end, "events.end")
    if first and last and first > last:
        raise JourneykitError(f"events.start ({start}) is after events.end ({end})")
    extra = list(params)
    for key in extra:
        if not isinstance(key, str) or not _PARAM.fullmatch(key) or key in _COLUMNS:
            raise JourneykitError(f"ga4 params: expected event param names such as page_location "
                                  f"(letters, digits, _; not {', '.join(_COLUMNS)}), not {key!r}")
    if len(set(extra)) != len(extra):
        raise JourneykitError(f"ga4 params: a name given twice in {extra}")
    # only daily tables: a suffix of 8 digits (events_intraday_YYYYMMDD sorts after them)
    days = f"_TABLE_SUFFIX BETWEEN {bigquery_literal(first or '00000000')} AND {bigquery_literal(last or '99999999')}"
    columns = "".join(f", {_param(key)} AS {bigquery_ident(key)}" for key in extra)
    rows = (f"SELECT {_clean('user_id')} AS ga4_user, {_clean('user_pseudo_id')} AS ga4_device, "
            f"TIMESTAMP_MICROS(event_timestamp) AS timestamp, NULLIF(TRIM(event_name), '') AS event, "
            f"{_channel(channel)} AS channel{columns}\n"
            f"FROM {bigquery_ident(f'{project}.{name}.events_*')}\n"
            f"WHERE {days} AND event_timestamp IS NOT NULL")
    if stitch:
        # the one user id of the device: its smallest and largest signed-in ids agree
        one = ("CASE WHEN ga4_device IS NOT NULL AND MIN(ga4_user) OVER (PARTITION BY ga4_device) = "
               "MAX(ga4_user) OVER (PARTITION BY ga4_device) THEN MIN(ga4_user) OVER (PARTITION BY ga4_device) END")
        customer = f"COALESCE(ga4_user, {one}, ga4_device)"
    else:
        customer = "COALESCE(ga4_user, ga4_device)"
    names = "".join(f", {bigquery_ident(key)}" for key in extra)
    return (f"SELECT customer_id, timestamp, event, channel{names} FROM (\n"
            f"SELECT {customer} AS customer_id, timestamp, event, channel{names} FROM (\n{rows}))\n"
            f"WHERE customer_id IS NOT NULL AND event IS NOT NULL")
