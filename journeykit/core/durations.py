"""One way to read durations ("14D", "1h", "90s", "30min") everywhere in journeykit.

:func:`parse_duration` is used by every function that takes a window, a session
gap or another time span, so the same text means the same thing everywhere.

Accepted:

* ``None`` -> ``None`` (no limit);
* a :class:`pandas.Timedelta` or :class:`datetime.timedelta`;
* a string ``<number><unit>``, e.g. ``"14D"``, ``"2 days"``, ``"1h"``, ``"90s"``,
  ``"30min"``, ``"1.5h"``, ``"2W"``; units: ``W``/``week(s)``, ``D``/``day(s)``,
  ``h``/``hour(s)``/``hr``, ``min``/``m``/``minute(s)``, ``s``/``sec``/``second(s)``,
  ``ms``; or any other text pandas reads as a timedelta, such as ``"1 days 02:00:00"``
  or ``"1h30min"``.

Refused (with a :class:`~journeykit.core.errors.JourneykitError`): bare numbers (which unit?),
months and years (``"1M"``, ``"1Y"`` are not fixed lengths) and negative durations.

Example:
    >>> parse_duration("14D")
    Timedelta('14 days 00:00:00')
    >>> parse_duration("30min") == parse_duration("0.5h")
    True
    >>> parse_duration(None) is None
    True
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeAlias

import pandas as pd

from journeykit.core.errors import JourneykitError

__all__ = ["parse_duration", "duration_text", "DurationLike"]

DurationLike: TypeAlias = "str | pd.Timedelta | dt.timedelta | None"

_UNITS = {
    "w": "W", "week": "W", "weeks": "W",
    "d": "D", "day": "D", "days": "D",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "m": "min", "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms",
}
_SIMPLE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]+)\s*$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+(?:\.\d*)?|\.\d+)\s*$")


def parse_duration(value: DurationLike, *, name: str = "duration") -> pd.Timedelta | None:
    """Read a duration; ``None`` stays ``None`` (meaning "no limit").

    ``name`` is the parameter's name, used in the error message
    (e.g. ``parse_duration("5", name="window")``).

    Example:
        >>> parse_duration("90s")
        Timedelta('0 days 00:01:30')
    """
    if value is None:
        return None
    if isinstance(value, pd.Timedelta):
        result = value
    elif isinstance(value, dt.timedelta):
        result = pd.Timedelta(value)
    elif isinstance(value, str):
        result = _parse_text(value, name)
    else:
        raise JourneykitError(
            f"{name}={value!r} is not a duration; expected text such as '14D', '1h', "
            "'90s', '30min', a pandas Timedelta, or None"
        )
    if pd.isna(result):
        raise JourneykitError(f"{name} must be a duration, not NaT")
    if result < pd.Timedelta(0):
        raise JourneykitError(f"{name}={value!r} is negative; expected a duration of 0 or more")
    return result


def _parse_text(text: str, name: str) -> pd.Timedelta:
    expected = "expected e.g. '14D', '1h', '90s' or '30min'"
    if _NUMBER.match(text):
        raise JourneykitError(f"{name}={text!r} has no unit; {expected}")
    match = _SIMPLE.match(text)
    if match:
        number, unit = match.groups()
        if unit in ("M", "Y", "y") or unit.lower() in ("month", "months", "year", "years"):
            raise JourneykitError(
                f"{name}={text!r}: months and years have no fixed length; use days, e.g. '30D'"
            )
        canonical = _UNITS.get(unit) or _UNITS.get(unit.lower())
        if canonical is None:
            raise JourneykitError(f"{name}={text!r} has an unknown unit {unit!r}; {expected}")
        return pd.to_timedelta(float(number), unit=canonical)
    try:
        return pd.Timedelta(text)
    except (ValueError, TypeError) as error:
        raise JourneykitError(f"{name}={text!r} is not a duration; {expected}") from error


def duration_text(delta: pd.Timedelta) -> str:
    """A duration in words, to the two largest units that matter, as tables show it:
    days and hours, hours and minutes, minutes, or seconds; NaT as an en dash.

    >>> [duration_text(pd.Timedelta(t)) for t in ("2 days 04:11:03", "1 day", "3:05:00", "00:35:10", "12s")]
    ['2 days 4 h', '1 day', '3 h 5 min', '35 min', '12 s']
    """
    if pd.isna(delta):
        return "–"
    sign = "-" if delta < pd.Timedelta(0) else ""
    seconds = int(abs(delta) // pd.Timedelta(seconds=1))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        text = f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    elif hours:
        text = f"{hours} h" + (f" {minutes} min" if minutes else "")
    elif minutes:
        text = f"{minutes} min"
    else:
        text = f"{seconds} s"
    return sign + text
