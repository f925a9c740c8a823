"""Column mappings: the user's column names -> journeykit's canonical ones.

A table's columns are found by, in order: journey.yaml ``columns:`` (``{table:
{canonical: "Their column"}}``), the canonical name itself, then the canonical name
after header normalisation (:func:`normalise_header`: case, spaces and punctuation do
not matter, so ``Customer ID`` finds ``customer_id``). A required column that is not
found is a problem of row 1 (the header); columns journeykit does not use are reported
as a warning and left out (tables with ``keep_extra_columns`` keep them).

Example:
    >>> normalise_header("  Customer ID ")
    'customer_id'
"""

from __future__ import annotations

import re

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.workspace.config import JourneyConfig
from journeykit.workspace.readers import RawTable
from journeykit.workspace.schema import Table


def normalise_header(name: str) -> str:
    """A header as lower-case words joined by ``_`` (the form canonical names have)."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def map_columns(raw: RawTable, table: Table, config: JourneyConfig) -> tuple[pd.DataFrame, dict[str, str], list[Problem]]:
    """Rename the user's columns to canonical names. Returns the frame, the mapping
    canonical -> user column actually used, and problems (missing required columns)."""
    problems: list[Problem] = []
    mapping = dict(config.columns.get(table.name, {}))
    theirs = list(raw.frame.columns)
    by_normal = {normalise_header(c): c for c in theirs}
    used: dict[str, str] = {}
    for canonical, user_name in mapping.items():
        if user_name in theirs:
            used[canonical] = user_name
        else:
            problems.append(Problem(
                raw.source,
                f"a column named {user_name!r}, as journey.yaml columns: {table.name}: {canonical} says "
                f"(columns found: {', '.join(map(str, theirs)) or 'none'})",
                row=1, column=canonical, value=user_name, table=table.name))
    for column in table.columns:
        if column.name in used or column.name in mapping:
            continue
        if column.name in theirs:
            used[column.name] = column.name
        elif normalise_header(column.name) in by_normal:
            used[column.name] = by_normal[normalise_header(column.name)]
    for column in table.columns:
        if column.required and column.name not in used and column.name not in mapping:
            problems.append(Problem(
                raw.source,
                f"a column {column.name!r} (or map yours in journey.yaml: "
                f"columns: {{{table.name}: {{{column.name}: \"Your column name\"}}}}); "
                f"columns found: {', '.join(map(str, theirs)) or 'none'}",
                row=1, column=column.name, table=table.name))
    renamed = raw.frame.rename(columns={user: canonical for canonical, user in used.items()})
    keep = [c.name for c in table.columns if c.name in used]
    if table.keep_extra_columns:
        keep += [c for c in renamed.columns if c not in keep and not str(c).startswith("(unnamed")]
    unused = [str(c) for c in renamed.columns if c not in keep and not str(c).startswith("(unnamed")]
    if unused:
        problems.append(Problem(
            raw.source, f"only the columns journeykit uses ({', '.join(table.names)}); these are ignored "
            "(map them in journey.yaml columns: if one is yours under another name)",
            row=1, value=", ".join(unused), severity="warning", table=table.name))
    return renamed[keep], used, problems
