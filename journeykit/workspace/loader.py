"""Load and validate a workspace: one business's journey as plain files.

:func:`load_workspace` reads journey.yaml and every table (CSV, Parquet or a sheet
of workspace.xlsx), renames the user's columns to the canonical ones (journey.yaml
``columns:``), types every column and checks every row. Problems name the file, the
row as a spreadsheet shows it (header = row 1), the column, the value and what was
expected.

Types: ids and text are pandas ``string``; scores are nullable ``Int64``; amounts
``float64``; flags ``boolean``; dates and timestamps ``datetime64[us]``, **tz-naive,
in the workspace's time zone** (journey.yaml ``timezone``), or tz-aware in it when the
column's values carry an offset or ``Z`` (instants; see :mod:`journeykit.workspace.dates`). ``;``-separated lists stay text; use
:func:`journeykit.core.cells.split_list`.

The steps live in their own modules: :mod:`~journeykit.workspace.readers` (raw cells),
:mod:`~journeykit.workspace.mapping` (column names), :mod:`~journeykit.workspace.parsing`
(dtypes), :mod:`~journeykit.workspace.eventstore` (large event logs);
:mod:`~journeykit.workspace.model` holds the :class:`Workspace` and
:mod:`~journeykit.workspace.saving` writes edits back.

With ``on_bad_rows="strict"`` any error raises :class:`WorkspaceError`; with
``"quarantine"`` rows with errors are set aside in ``Workspace.rejected`` (with the
reasons) and the good rows are loaded — rows are never dropped silently. Errors
that concern a whole file (missing required table or column, unreadable file)
raise in both modes.

Example:
    >>> ws = load_workspace("data/sample")                 # doctest: +SKIP
    >>> ws.feedback[["date", "nps"]].dtypes.tolist()       # doctest: +SKIP
    [dtype('<M8[us]'), Int64Dtype()]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd

from journeykit.core.cells import split_list
from journeykit.core.errors import JourneykitError, Problem, Severity, WorkspaceError
from journeykit.workspace import cache as runcache
from journeykit.workspace.config import CONFIG_FILE, JourneyConfig, read_config
from journeykit.workspace.dates import DateRules
from journeykit.workspace.eventstore import event_counts, is_large, load_large_events
from journeykit.workspace.imports.derived import customers_from_activity
from journeykit.workspace.imports.pipeline import read_sources
from journeykit.workspace.locations import outside_reason, resolve_workspace
from journeykit.workspace.mapping import map_columns
from journeykit.workspace.model import Workspace
from journeykit.workspace.parsing import (
    Checker,
    clean_text,
    convert_column,
    empty_column,
    is_missing,
)
from journeykit.workspace.readers import RawTable, Sources, read_source, scan_sources
from journeykit.workspace.schema import TABLES, Table

OnBadRows = Literal["strict", "quarantine"]
#: default of :func:`max_problems`
MAX_PROBLEMS = 1000


def max_problems() -> int:
    """Problems listed per table source (default 1,000; env ``JOURNEYKIT_MAX_PROBLEMS``).
    The rest are counted in one closing problem; rows set aside keep all their reasons."""
    try:
        value = int(os.environ.get("JOURNEYKIT_MAX_PROBLEMS", str(MAX_PROBLEMS)))
    except ValueError:
        return MAX_PROBLEMS
    return value if value > 0 else MAX_PROBLEMS


def _capped(problems: list[Problem], source: str, table: str, quarantine: bool = False,
            limit: int | None = None) -> list[Problem]:
    """At most ``limit`` (default :func:`max_problems`) of one source's problems, errors first
    (in file order), then one problem counting those not listed: an error when any of them
    is, unless all those errors are rows that quarantine sets aside. ``limit=0``: all."""
    limit = max_problems() if limit is None else limit
    if limit == 0 or len(problems) <= limit:
        return problems
    ordered = sorted(problems, key=lambda p: p.severity != "error")
    shown, rest = ordered[:limit], ordered[limit:]
    errors = [p for p in rest if p.severity == "error"]
    set_aside = quarantine and all(p.row is not None and p.row > 1 for p in errors)
    severity: Severity = "error" if errors and not set_aside else "warning"
    note = " (rows set aside)" if errors and set_aside else ""
    return shown + [Problem(
        source, f"fewer problems: {len(rest):,} more ({len(errors):,} errors{note}) are not listed, "
        f"{len(problems):,} in all; fix the ones listed and validate again (the environment variable "
        "JOURNEYKIT_MAX_PROBLEMS lists more)", value=f"{len(problems):,} problems", severity=severity, table=table)]


def _attributes(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Extra attribute columns typed as :func:`~journeykit.workspace.parsing.attribute_column`
    types one, all at once: their cells are stacked into one column, cleaned and tested
    together, so the time grows with the number of cells, not with columns times an
    overhead per column (5,000 columns took minutes one by one)."""
    if not names:
        return pd.DataFrame(index=frame.index)
    rows = len(frame.index)
    stacked = pd.Series(frame[names].to_numpy(dtype=object).ravel(order="F"), dtype=object)
    text = clean_text(stacked)
    present = (~is_missing(text)).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.where(pd.Series(present)), errors="coerce")
    number_ok = numbers.notna().to_numpy(dtype=bool) | ~present
    by_column_present = present.reshape(len(names), rows).any(axis=1) if rows else [False] * len(names)
    by_column_numeric = number_ok.reshape(len(names), rows).all(axis=1) if rows else [True] * len(names)
    masked = text.mask(~pd.Series(present), pd.NA)
    columns: dict[str, pd.Series] = {}
    for position, name in enumerate(names):
        cells = masked.iloc[position * rows:(position + 1) * rows]
        cells.index = frame.index
        if by_column_present[position] and by_column_numeric[position]:
            columns[name] = pd.to_numeric(cells, errors="coerce")
        else:
            columns[name] = cells
    return pd.DataFrame(columns, index=frame.index)


def _type_table(raw: RawTable, table: Table, config: JourneyConfig) -> tuple[pd.DataFrame | None, dict[str, str], Checker]:
    checker = Checker(table, raw, config)
    checker.problems.extend(raw.problems)
    for problem in raw.problems:
        if problem.severity == "error" and problem.row is not None and problem.row > 1:
            checker.bad_rows.setdefault(problem.row, []).append(problem.expected)
    if raw.broken or any(p.severity == "error" and p.row is None for p in raw.problems):
        return None, {}, checker
    frame, used, problems = map_columns(raw, table, config)
    checker.problems.extend(problems)
    if any(p.severity == "error" for p in problems):
        return None, used, checker
    typed: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name in frame.columns:
            typed[column.name] = convert_column(column, clean_text(frame[column.name]), checker)
        else:
            typed[column.name] = empty_column(column, frame.index)
    extras = [c for c in frame.columns if c not in typed]
    out = pd.concat([pd.DataFrame(typed, index=frame.index), _attributes(frame, extras)], axis=1)
    if table.key:
        ids = out[table.key]
        first_rows: dict[str, int] = {}
        for row, value in ids.dropna().items():
            if value in first_rows:
                checker.add(row, table.key, value, f"a unique {table.key} (also in row {first_rows[value]})")
            else:
                first_rows[value] = row
    return out, used, checker




def _no_rows_to_reference(other: pd.DataFrame, target: str, target_source: str, column: str,
                          values: pd.Series, checker: Checker) -> bool:
    """True when the referenced table has no rows (e.g. the header-only customers.csv of a new
    workspace): then ONE warning says so, instead of one error per row for every id, and the
    ids are not checked against it (as when the table is absent)."""
    if len(other.index):
        return False
    filled = int(values.notna().sum())
    if filled:
        checker.add(None, column, None,
                    f"ids from the {target} table, but the {target} table has no rows ({target_source}); "
                    f"the {filled:,} {column} values here are not checked against it - fill it in, or "
                    f"remove {target_source} if you have no {target} table", "warning")
    return True


def _warehouse_note(config: JourneyConfig) -> str:
    """The load's note that the events are not a table of the workspace (journey.yaml ``events:``)."""
    spec = config.events_backend
    assert spec is not None
    where = spec.ga4_dataset or spec.table or spec.path
    return (f"events: in {where} (journey.yaml events:), read by {spec.backend} in every event analysis; "
            "no events table of the workspace is loaded or checked (an events.csv/.parquet here is ignored); "
            "the pain-point scores do not use its drop-offs yet (they rest on the workshop's and the "
            "feedback's evidence alone)")


class _Loader:
    def __init__(self, folder: Path, on_bad_rows: OnBadRows, limit: int | None = None):
        if on_bad_rows not in ("strict", "quarantine"):
            raise JourneykitError(f"on_bad_rows must be 'strict' or 'quarantine', not {on_bad_rows!r}")
        self.folder = folder
        self.on_bad_rows = on_bad_rows
        self.limit = limit  # problems listed per source (None: max_problems(), 0: all)
        self.problems: list[Problem] = []
        self.row_problems: dict[str, dict[int, list[str]]] = {}
        self.imported: dict[str, RawTable] = {}

    def load(self) -> Workspace | None:
        refused = outside_reason(self.folder, self.folder / CONFIG_FILE)
        if refused is not None:
            self.problems.append(Problem(CONFIG_FILE, refused))
            return None
        config, problems = read_config(self.folder / CONFIG_FILE)
        self.problems.extend(problems)
        if config is None:
            return None
        ws = Workspace(self.folder, config)
        sources = scan_sources(self.folder, list(TABLES))
        self.problems.extend(sources.problems)
        self.imported = self._import_sources(ws, sources)
        elsewhere = ws.events_elsewhere
        if elsewhere:
            ws.import_notes.append(_warehouse_note(config))
        for name, table in TABLES.items():
            if name == "events" and elsewhere:  # in the warehouse: read there by every analysis
                continue
            raw = self._pick_source(name, table, sources)
            if raw is None:
                continue
            if raw.large:
                self._load_large(ws, name, table, raw)
                continue
            frame, used, checker = _type_table(raw, table, config)
            self.problems.extend(_capped(checker.problems, raw.source, name, self.on_bad_rows == "quarantine",
                                         self.limit))
            if frame is None:
                continue
            ws.tables[name] = frame
            ws.sources[name] = raw.source
            ws.column_maps[name] = used
            if raw.kind != "import":  # an imported table is re-made from its exports, never saved into
                ws.source_paths[name] = (raw.kind, raw.path, None if raw.kind != "xlsx" else
                                         raw.source[raw.source.index("[") + 1:-1], raw.delimiter)
            self.row_problems[name] = checker.bad_rows
            self._check_references(ws, name, table, raw, checker)
        self._assign_personas(ws)
        self._check_events(ws)
        if self.on_bad_rows == "quarantine":
            self._quarantine(ws)
        ws.problems = list(self.problems)
        return ws

    def _import_sources(self, ws: Workspace, sources: Sources) -> dict[str, RawTable]:
        """The tables journey.yaml ``sources:`` make from their exports (as raw text tables
        the usual checks then read), plus customers derived from the activity when no
        source has customers; the presets' set-aside rows and notes become warnings."""
        if not ws.config.sources:
            return {}
        tables, labels, results, problems = read_sources(self.folder, ws.config.sources)
        self.problems.extend(problems)
        ws.import_notes = [f"{', '.join(r.files)} ({r.preset}): {line}" for r in results for line in r.summary()]
        has_customers = any(read_source("customers", kind, path, sheet).rows
                            for kind, path, sheet in sources.found["customers"])
        if "customers" not in tables and not has_customers:
            defaults = ws.config.defaults
            customers = customers_from_activity(tables, DateRules(defaults.dayfirst, defaults.dates_from,
                                                                  defaults.dates_to, ws.config.timezone))
            if len(customers):
                tables["customers"] = customers
                labels["customers"] = "customers (derived from the imported activity: first_seen = first activity)"
        # rows numbered as in the CSV ``journeykit import`` would write (header = row 1)
        return {name: RawTable(name, labels[name], self.folder, frame.astype(object).fillna("").set_axis(
                    pd.RangeIndex(2, len(frame) + 2, name="row")), "import")
                for name, frame in tables.items()}

    def _pick_source(self, name: str, table: Table, sources: Sources) -> RawTable | None:
        if name in sources.blocked:  # refused or ambiguous sources: their problems say why
            return None
        raws: list[RawTable] = []
        for kind, path, sheet in sources.found[name]:
            try:
                large = table.large and kind != "xlsx" and is_large(path)
                raws.append(read_source(name, kind, path, sheet, large=large))
            except Exception as exc:
                label = path.name if sheet is None else f"{path.name}[{sheet}]"
                self.problems.append(Problem(label, f"a readable {kind.upper()} file ({type(exc).__name__}: {exc})",
                                             table=name))
        if name in self.imported:
            raws.append(self.imported[name])
        with_rows = [r for r in raws if r.rows > 0]
        if len(with_rows) > 1:
            self.problems.append(Problem(
                with_rows[1].source,
                f"one source per table ({name} has rows in both {with_rows[0].source} and {with_rows[1].source}; "
                "keep one)", table=name))
            return None
        chosen = with_rows[0] if with_rows else (raws[0] if raws else None)
        if chosen is None:
            if table.required:
                self.problems.append(Problem(
                    f"{name}.csv", f"a {name} table ({name}.csv, {name}.parquet or a '{name}' sheet in "
                    "workspace.xlsx) - it is required", table=name))
            return None
        if table.required and chosen.rows == 0 and not chosen.problems:
            self.problems.append(Problem(chosen.source, f"at least one row of {name}",
                                         severity="warning", table=name))
        return chosen

    def _load_large(self, ws: Workspace, name: str, table: Table, raw: RawTable) -> None:
        self.problems.extend(raw.problems)
        _, used, problems = map_columns(raw, table, ws.config)
        self.problems.extend(problems)
        if any(p.severity == "error" for p in problems + raw.problems):
            return
        quarantine = self.on_bad_rows == "quarantine"
        store, rejected, problems = load_large_events(raw.path, raw.kind, used, ws.config.timezone,
                                                      raw.source, quarantine)
        if quarantine and store is not None:
            problems = [Problem(p.file, p.expected + " (rows set aside)", p.row, p.column, p.value,
                                "warning", p.table) for p in problems]
            if len(rejected):
                ws.rejected[name] = rejected
        self.problems.extend(problems)
        if store is None:
            return
        ws.large[name] = store
        ws.sources[name] = raw.source
        ws.column_maps[name] = used
        ws.source_paths[name] = (raw.kind, raw.path, None, raw.delimiter)

    def _check_references(self, ws: Workspace, name: str, table: Table, raw: RawTable, checker: Checker) -> None:
        frame = ws.tables[name]
        config = ws.config
        before = len(checker.problems)
        severity: Severity
        for column in table.columns:
            if column.references is None or column.name not in frame.columns:
                continue
            values = frame[column.name]
            target = column.references
            if target == "stages":
                allowed, severity, what = set(config.stage_ids), "error", "a stage id from journey.yaml stages"
            elif target == "channels":
                if not config.channels:
                    continue
                allowed, severity, what = set(config.channels), "warning", "a channel listed in journey.yaml channels"
            elif target == "owners":
                if not config.owners:
                    continue
                allowed, severity, what = set(config.owners), "warning", "a team listed in journey.yaml owners"
            else:
                other = ws.tables.get(target)
                if other is None:
                    continue
                if _no_rows_to_reference(other, target, ws.sources.get(target, target), column.name,
                                         values, checker):
                    continue
                key = TABLES[target].key
                allowed = set(other[key].dropna())
                if self.on_bad_rows == "quarantine":
                    bad = self.row_problems.get(target, {})
                    allowed = set(other.loc[~other.index.isin(list(bad)), key].dropna())
                severity = "error"
                what = f"an id from the {target} table ({ws.sources.get(target, target)})"
            is_list = column.kind == "list"
            present = values.dropna()
            if not is_list:  # one membership test for the column; a problem per unknown id
                present = present[~present.isin(list(allowed))]
            for row, value in present.items():
                items = split_list(value) if is_list else [value]
                unknown = [item for item in items if item not in allowed]
                if unknown:
                    checker.add(row, column.name, "; ".join(unknown) if is_list else value, what, severity)
        if name == "tickets":
            closed_early = frame["closed"].notna() & frame["opened"].notna() & (frame["closed"] < frame["opened"])
            for row in frame.index[closed_early]:
                checker.add(row, "closed", frame.at[row, "closed"], "a date on or after opened")
        for column in table.columns:  # an older name (feedback touchpoint) beside the new one
            new = column.older_name_of
            if new is not None and column.name in frame.columns and new in frame.columns:
                both = frame[column.name].notna() & frame[new].notna()
                for row in frame.index[both & (frame[column.name] != frame[new]).fillna(False)]:
                    checker.add(row, column.name, frame.at[row, column.name],
                                f"the same touchpoint as {new} ({column.name} is the older "
                                f"name of {new}), or blank")
        self.problems.extend(_capped(checker.problems[before:], raw.source, name,
                                    self.on_bad_rows == "quarantine", self.limit))
        self.row_problems[name] = checker.bad_rows

    def _assign_personas(self, ws: Workspace) -> None:
        customers = ws.tables.get("customers")
        personas = ws.tables.get("personas")
        if customers is None:
            return
        if customers["persona_id"].notna().any() or personas is None:
            return
        assigned = pd.Series(pd.NA, index=customers.index, dtype="string")
        for _, persona in personas.iterrows():
            rule = persona.get("rule")
            if rule is None or pd.isna(rule) or not str(rule).strip():
                continue
            try:
                matched = customers.query(str(rule), engine="python").index
            except Exception as exc:
                row = int(persona.name)
                self.problems.append(Problem(ws.sources["personas"],
                                             f"a rule over customers' columns ({type(exc).__name__}: {exc})",
                                             row=row, column="rule", value=rule, table="personas"))
                continue
            free = assigned.loc[matched].isna()
            assigned.loc[free[free].index] = persona["id"]
        customers = customers.copy()
        customers["persona_id"] = assigned
        ws.tables["customers"] = customers

    def _check_events(self, ws: Workspace) -> None:
        if not ws.has("events") or ws.events_elsewhere:
            return
        mapping = ws.config.event_stage
        if "events" in ws.large:
            counts = event_counts(ws.large["events"])
        else:
            counts = ws.tables["events"]["event"].value_counts()
        unmapped = counts[~counts.index.isin(list(mapping))]
        for event, count in unmapped.items():
            self.problems.append(Problem(
                ws.sources["events"],
                f"an event listed under a stage in journey.yaml (stages: events:) - {count} rows have it "
                "and are left out of stage analyses",
                column="event", value=event, severity="warning", table="events"))

    def _quarantine(self, ws: Workspace) -> None:
        for name, bad in self.row_problems.items():
            if not bad or name not in ws.tables:
                continue
            frame = ws.tables[name]
            rows = sorted(r for r in bad if r in frame.index)
            rejected = frame.loc[rows].copy()
            rejected.insert(0, "_row", rejected.index.astype("int64"))
            rejected["_problems"] = ["; ".join(bad[r]) for r in rows]
            ws.rejected[name] = rejected.reset_index(drop=True)
            ws.tables[name] = frame.drop(index=rows)
        # row-level errors are now set aside; keep them visible as warnings
        self.problems = [
            p if not (p.severity == "error" and p.row is not None and p.row > 1 and p.table in ws.rejected)
            else Problem(p.file, p.expected + " (row set aside)", p.row, p.column, p.value, "warning", p.table)
            for p in self.problems
        ]


def load_workspace(path: str | os.PathLike | None = None, *, on_bad_rows: OnBadRows = "strict") -> Workspace:
    """Load and check a workspace folder.

    Args:
        path: the folder (relative to the working directory, or absolute); None = the demo.
        on_bad_rows: ``"strict"`` raises :class:`WorkspaceError` on any error;
            ``"quarantine"`` sets rows with errors aside in ``Workspace.rejected``.

    Returns:
        The :class:`Workspace`; ``ws.problems`` holds warnings (e.g. events that belong
        to no stage).

    Raises:
        WorkspaceError: the problems, each naming file, row, column, value, expectation.

    Example:
        >>> ws = load_workspace("data/sample")   # doctest: +SKIP
        >>> ws.has("events")                     # doctest: +SKIP
        True
    """
    folder = resolve_workspace(path)
    cached = runcache.cached_workspace(folder, on_bad_rows)
    if cached is not None:  # inside a headless run, loaded and checked once by the runner
        return cached
    loader = _Loader(folder, on_bad_rows)
    ws = loader.load()
    errors = [p for p in loader.problems if p.severity == "error"]
    if ws is None or errors:
        raise WorkspaceError(loader.problems, f"{len(errors)} problem(s) in workspace {folder}")
    return ws


def validate_workspace(path: str | os.PathLike | None = None, *, every: bool = False) -> list[Problem]:
    """Every problem of a workspace (errors and warnings), without raising for them.

    At most :func:`max_problems` problems are listed per table source, then one counting the
    rest; ``every=True`` lists them all (what ``journeykit validate`` counts per kind and
    ``--problems FILE`` writes).

    Example:
        >>> [str(p) for p in validate_workspace("data/sample") if p.severity == "error"]  # doctest: +SKIP
        []
    """
    folder = resolve_workspace(path)
    cached = runcache.cached_workspace(folder, "strict")
    if cached is not None:  # a run's workspace without errors: its warnings are all there is
        return list(cached.problems)
    loader = _Loader(folder, "strict", 0 if every else None)
    loader.load()
    return loader.problems
