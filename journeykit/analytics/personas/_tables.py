"""The one rule of the persona analyses for a workspace table: no rows = no table."""

from __future__ import annotations

import pandas as pd

from journeykit.workspace import Workspace


def nonempty_table(ws: Workspace, name: str) -> pd.DataFrame | None:
    """The workspace's table ``name``; None when it has no rows (or is not there).

    Example:
        >>> nonempty_table(ws, "personas") is None   # doctest: +SKIP
        False
    """
    return ws.table(name) if ws.has(name) else None
