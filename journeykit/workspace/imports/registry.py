"""Every import preset by its command-line name, and the problem for a name that is none.

Example:
    >>> PRESETS["shopify"].kind
    'web shop orders'
"""

from __future__ import annotations

import difflib

from journeykit.core.errors import Problem
from journeykit.workspace.imports import (
    derived,
    ga4,
    helpdesk,
    pos,
    reviews,
    shop,
    surveys,
    woocommerce,
)
from journeykit.workspace.imports.base import Preset

#: every preset by its command-line name
PRESETS: dict[str, Preset] = {p.name: p for p in (
    *shop.PRESETS, *pos.PRESETS, *ga4.PRESETS, *surveys.PRESETS, *helpdesk.PRESETS, *reviews.PRESETS,
    *woocommerce.PRESETS, *derived.PRESETS)}


def preset_problem(name: str, file: str = "(preset)") -> Problem | None:
    """A problem naming the known presets when ``name`` is not one (None when it is)."""
    if name in PRESETS:
        return None
    close = difflib.get_close_matches(name, list(PRESETS), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(file, f"{hint}one of the presets: {', '.join(sorted(PRESETS))}", value=name)
