"""The loaded workspace: one business's journey as typed tables plus journey.yaml.

:class:`Workspace` is what :func:`journeykit.workspace.load_workspace` returns and what
every analysis, chart and notebook takes. Its tables are canonical DataFrames (columns
and dtypes of :mod:`journeykit.workspace.schema`, index = the row a spreadsheet shows);
a table the workspace does not have is ``None``. A large events log stays in a Parquet
file outside the workspace (:class:`~journeykit.workspace.eventstore.LargeEvents`);
:meth:`Workspace.events_relation` scans it in DuckDB without loading it.

Example:
    >>> from journeykit.workspace import load_workspace
    >>> ws = load_workspace("data/sample")            # doctest: +SKIP
    >>> ws.has("events"), ws.row_count("events") > 0  # doctest: +SKIP
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from journeykit.core._sql import connect
from journeykit.core.errors import JourneykitError, Problem, problems_frame
from journeykit.workspace import cache as runcache
from journeykit.workspace.config import JourneyConfig
from journeykit.workspace.eventstore import LargeEvents
from journeykit.workspace.schema import ANALYSES, TABLES

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")

#: Where a table came from: (kind "csv" | "parquet" | "xlsx", file, sheet or None, CSV delimiter).
SourcePath = tuple[str, Path, str | None, str]


@dataclass
class Workspace:
    """One business's journey, loaded. Tables are None when the workspace has none.

    Attributes:
        path: the workspace folder.
        config: journey.yaml (:class:`journeykit.workspace.config.JourneyConfig`).
        tables: canonical DataFrames by table name (index = spreadsheet row).
        sources: table -> where it came from (``feedback.csv``, ``workspace.xlsx[feedback]``).
        problems: warnings (and, from :func:`validate_workspace`, errors).
        rejected: quarantined rows by table: their cells plus ``_row`` and ``_problems``.
        column_maps: table -> {canonical column: the user's column} as found in the file
            (:func:`~journeykit.workspace.save_table` writes the user's names back).
        source_paths: table -> :data:`SourcePath` (where a save writes).
        large: large tables kept outside memory (only ``events``), by name.
        derived: results of :meth:`memo`, by key; cleared by a save.
        run_cache: inside a headless run, the folder where the run's notebooks share results.
    """

    path: Path
    config: JourneyConfig
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    column_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    source_paths: dict[str, SourcePath] = field(default_factory=dict)
    large: dict[str, LargeEvents] = field(default_factory=dict)
    derived: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    #: set inside a headless run: where the run's notebooks share results (journeykit.workspace.cache)
    run_cache: Path | None = field(default=None, repr=False, compare=False)
    #: what this load did that is not a problem: journey.yaml ``sources:`` imports (rows in/out,
    #: set aside, notes), events read in a warehouse (journey.yaml ``events:``)
    import_notes: list[str] = field(default_factory=list)

    # -- derived results, computed once per workspace state
    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` while the tables are unchanged: analyses that
        several charts need (sentiment, pain-point scores, the stage funnel) are worked
        out once. :func:`~journeykit.workspace.save_table` clears every memo. ``key``
        must be hashable and include the arguments that change the result.

        >>> ws.memo(("funnel", "30d"), lambda: expensive(ws))   # doctest: +SKIP
        """
        if key not in self.derived:
            if self.run_cache is not None:
                self.derived[key] = runcache.memo(self.run_cache, key, compute)
            else:
                self.derived[key] = compute()
        result: T = self.derived[key]
        return result

    # -- tables
    def has(self, table: str) -> bool:
        """True when the workspace has ``table`` with at least one row. The events count as
        present when journey.yaml ``events:`` puts them in a warehouse (:attr:`events_elsewhere`);
        ``ws.events`` and :meth:`events_relation` are then None and the event analyses read them
        there (:func:`journeykit.analytics.events.source.open_events`)."""
        if table == "events" and self.events_elsewhere:
            return True
        if table in self.large and table not in self.tables:
            return self.large[table].rows > 0
        frame = self.tables.get(table)
        return frame is not None and len(frame) > 0

    def table(self, name: str) -> pd.DataFrame | None:
        """The table as a DataFrame (a large events log is read into memory on first use;
        prefer :meth:`events_relation` for those)."""
        if name not in self.tables and name in self.large:
            self.tables[name] = self.large[name].frame()
        return self.tables.get(name)

    def row_count(self, name: str) -> int:
        """Rows in a table without loading a large one."""
        if name in self.large and name not in self.tables:
            return self.large[name].rows
        frame = self.tables.get(name)
        return 0 if frame is None else len(frame)

    @property
    def personas(self) -> pd.DataFrame | None:
        """The personas table, or None when the workspace has none."""
        return self.table("personas")

    @property
    def touchpoints(self) -> pd.DataFrame | None:
        """The touchpoints table, or None when the workspace has none."""
        return self.table("touchpoints")

    @property
    def painpoints(self) -> pd.DataFrame | None:
        """The painpoints table, or None when the workspace has none."""
        return self.table("painpoints")

    @property
    def customers(self) -> pd.DataFrame | None:
        """The customers table, or None when the workspace has none."""
        return self.table("customers")

    @property
    def events(self) -> pd.DataFrame | None:
        """The events table, or None when the workspace has none."""
        return self.table("events")

    @property
    def orders(self) -> pd.DataFrame | None:
        """The orders table, or None when the workspace has none."""
        return self.table("orders")

    @property
    def feedback(self) -> pd.DataFrame | None:
        """The feedback table, or None when the workspace has none."""
        return self.table("feedback")

    @property
    def tickets(self) -> pd.DataFrame | None:
        """The tickets table, or None when the workspace has none."""
        return self.table("tickets")

    # -- config shortcuts
    @property
    def stage_ids(self) -> list[str]:
        return self.config.stage_ids

    @property
    def event_stage(self) -> dict[str, str]:
        return self.config.event_stage

    @property
    def name(self) -> str:
        return self.config.business

    @property
    def events_elsewhere(self) -> bool:
        """Whether journey.yaml ``events:`` puts the event log outside the workspace (a Spark
        or BigQuery table, files): no local events table, the analyses query it there."""
        spec = self.config.events_backend
        return spec is not None and spec.external

    def events_relation(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyRelation | None:
        """The events as a DuckDB relation with canonical columns (customer_id VARCHAR,
        timestamp TIMESTAMP, event VARCHAR, channel VARCHAR), or None without events or when
        they are in a warehouse (:attr:`events_elsewhere`).
        ``con``: the connection to build it on (default: a new
        :func:`journeykit.core._sql.connect`)."""
        if not self.has("events") or self.events_elsewhere:
            return None
        con = con or connect()
        if "events" in self.large:
            return self.large["events"].relation(con).project("customer_id, timestamp, event, channel")
        frame = self.tables["events"].reset_index(drop=True)
        return con.from_df(frame)

    def problems_frame(self) -> pd.DataFrame:
        """Problems as a table (severity, file, row, column, value, expected)."""
        return problems_frame(self.problems)

    def labels(self, kind: str) -> dict[str, str]:
        """Display names by id for ``kind`` in ``stage``, ``persona``, ``touchpoint``:
        for charts and tables that would otherwise show ids.

        >>> ws.labels("stage")["post_purchase"]          # doctest: +SKIP
        'Post-purchase & retention'
        """
        if kind == "stage":
            return {s.id: s.name for s in self.config.stages}
        table = {"persona": "personas", "touchpoint": "touchpoints"}.get(kind)
        if table is None:
            raise JourneykitError(f"labels: kind must be stage, persona or touchpoint, not {kind!r}")
        frame = self.table(table)
        if frame is None:
            return {}
        return {str(i): str(n) for i, n in zip(frame["id"], frame["name"]) if pd.notna(i) and pd.notna(n)}

    def analysis_plan(self) -> pd.DataFrame:
        """Which analyses will run and which are skipped, and why: analysis, notebook,
        needs (tables), will_run (bool), why (the missing tables, or "")."""
        rows = []
        for analysis, (notebook, needs) in ANALYSES.items():
            missing = [t for t in needs if not self.has(t)]
            rows.append({"analysis": analysis, "notebook": notebook, "needs": ", ".join(needs),
                         "will_run": not missing,
                         "why": f"no rows in {', '.join(missing)}" if missing else ""})
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """Which tables are present, where from, how many rows, how many rejected."""
        rows = []
        for name, spec in TABLES.items():
            rows.append({
                "table": name,
                "required": spec.required,
                "source": self.sources.get(name, ""),
                "rows": self.row_count(name),
                "rejected": len(self.rejected.get(name, [])),
            })
        return pd.DataFrame(rows)
