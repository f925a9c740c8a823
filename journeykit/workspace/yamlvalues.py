"""Reading values out of journey.yaml: text, known keys, and the callback that reports a
problem (``bad(key, value, expected)``), shared by :mod:`~journeykit.workspace.config` and
:mod:`~journeykit.workspace.events_backend`.

Example:
    >>> text_value("spark"), text_value(1.5)
    ('spark', None)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

__all__ = ["TEXT_HINT", "Bad", "check_keys", "text_value"]

TEXT_HINT = "text (put it in quotes if YAML reads it as something else: 'yes', '1.10', '2025-01-01')"

Bad = Callable[..., None]


def text_value(value: Any) -> str | None:
    """A YAML value as text: strings and integers; None for anything else (a number with
    decimals, yes/no, a date, a list, a mapping, nothing), so it can be named as a problem."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value)


def check_keys(mapping: dict, known: tuple[str, ...], where: str, bad: Bad) -> None:
    """A problem for every key of ``mapping`` that is not in ``known`` (with the closest
    known key as a "did you mean")."""
    for key in mapping:
        if isinstance(key, str) and key in known:
            continue
        guess = difflib.get_close_matches(str(key), known, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        bad(f"{where}{key}", key, f"{hint}a known key: {', '.join(known)}")
