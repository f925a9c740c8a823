"""The demo business's static files, shipped as package data in ``journeykit/sample/data/``.

The parts of the demo workspace that the simulation does not draw are plain files:
``journey.yaml`` (stages, channels, owners, KPIs, themes, defaults), ``personas.csv``,
``touchpoints.csv`` and ``painpoints.csv`` (the workshop's own list) are written into the
generated workspace exactly as they are; ``texts.yaml`` holds what customers say
(comments by experience, closing phrases, ticket texts), drawn by position.

Example:
    >>> static_table("touchpoints")["stage"].iloc[0]
    'awareness'
    >>> TEXT["neutral"][:2]
    ('Fine.', 'No complaints.')
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd
import yaml

#: The static files copied into every generated workspace, as they are.
STATIC_FILES: tuple[str, ...] = ("journey.yaml", "personas.csv", "touchpoints.csv", "painpoints.csv")


def static_bytes(name: str) -> bytes:
    """The bytes of one file of ``journeykit/sample/data/`` (in a checkout or an installed wheel)."""
    return (resources.files("journeykit.sample") / "data" / name).read_bytes()


def static_table(name: str) -> pd.DataFrame:
    """A static table (``personas``, ``touchpoints``, ``painpoints``) as text cells."""
    return pd.read_csv(io.BytesIO(static_bytes(f"{name}.csv")), dtype="string", keep_default_na=False)


def _phrases(texts: dict, section: str) -> dict[str, tuple[str, ...]]:
    return {kind: tuple(phrases) for kind, phrases in texts[section].items()}


_TEXTS = yaml.safe_load(static_bytes("texts.yaml"))
#: Survey and review comments by experience (``late_delivery``, ``good_test_ride``, ...).
TEXT: dict[str, tuple[str, ...]] = _phrases(_TEXTS, "comments")
#: Closing phrases added to comments, by mood (``negative``, ``positive``).
CLOSERS: dict[str, tuple[str, ...]] = _phrases(_TEXTS, "closers")
#: Support ticket texts by category.
TICKET_TEXT: dict[str, tuple[str, ...]] = _phrases(_TEXTS, "tickets")

_touchpoints = static_table("touchpoints")
#: The stage of every touchpoint id.
TOUCHPOINT_STAGE: dict[str, str] = dict(zip(_touchpoints["id"], _touchpoints["stage"]))
