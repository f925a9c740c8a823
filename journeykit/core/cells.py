"""The one rule for what a table cell holds: blank or text, and lists inside a cell.

Lists in a cell (a persona's preferred channels, the personas a touchpoint serves) are
written separated by ``;`` and read from ``;``, ``,`` or ``|`` (what people type into a
spreadsheet). Every module reads and writes lists through :func:`split_list` and
:func:`join_list`.

Example:
    >>> split_list("web; store ,phone|"), join_list(["web", "store"])
    (['web', 'store', 'phone'], 'web;store')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["LIST_SEPARATOR", "cell_text", "is_blank", "join_list", "split_list"]

#: what :func:`join_list` writes between items
LIST_SEPARATOR = ";"
_SEPARATORS = re.compile(r"[;,|]")


def is_blank(value: object) -> bool:
    """True for None and a missing value (NA, NaN, NaT); False for anything else, also
    for "" and for lists (``pd.isna`` of a list is not one answer).

    >>> is_blank(None), is_blank(float("nan")), is_blank(""), is_blank([1])
    (True, True, False, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell_text(value: object) -> str:
    """A cell as display text: "" for None/NA/NaN, otherwise the stripped string.

    >>> cell_text(None), cell_text(float("nan")), cell_text("  web ")
    ('', '', 'web')
    """
    return "" if is_blank(value) else str(value).strip()


def split_list(value: object) -> list[str]:
    """The items of a list cell (``;``-separated; ``,`` and ``|`` are accepted too), stripped,
    blanks dropped.

    >>> split_list("web; store ;"), split_list(None)
    (['web', 'store'], [])
    """
    text = cell_text(value)
    return [item.strip() for item in _SEPARATORS.split(text) if item.strip()]


def join_list(items: Iterable[object]) -> str:
    """A list cell from items (blank items dropped), the inverse of :func:`split_list`."""
    return LIST_SEPARATOR.join(text for text in (cell_text(i) for i in items) if text)
