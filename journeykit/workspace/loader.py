"""Load, validate and save a workspace: one business's journey as plain files.

:func:`load_workspace` reads journey.yaml and every table (CSV, Parquet or a sheet
of workspace.xlsx), renames the user's columns to the canonical ones (journey.yaml
``columns:``), types every column and checks every row. Problems name the file, the
row as a spreadsheet shows it (header = row 1), the column, the value and what was
expected.

Types: ids and text are pandas ``string``; scores are nullable ``Int64``; amounts
``float64``; flags ``boolean``; dates and timestamps ``datetime64[us]``, **tz-naive,
in the workspace's time zone** (journey.yaml ``timezone``; values written with an
offset or ``Z`` are converted to it). ``;``-separated lists stay text; use
:func:`split_list`.

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
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import pandas as pd

from journeykit.core._sql import connect
from journeykit.core.cells import split_list
from journeykit.core.errors import JourneykitError, Problem, WorkspaceError, problems_frame
from journeykit.core.safety import FORMULA_STARTS, atomic_write_bytes, neutralise_frame
from journeykit.workspace import cache as runcache
from journeykit.workspace.config import CONFIG_FILE, JourneyConfig, read_config
from journeykit.workspace.eventstore import LargeEvents, event_counts, is_large, load_large_events
from journeykit.workspace.locations import resolve_workspace
from journeykit.workspace.readers import RawTable, find_sources, read_source
from journeykit.workspace.schema import ANALYSES, TABLES, Column, Table

OnBadRows = Literal["strict", "quarantine"]
HISTORY_DIR = ".journeykit/history"
HISTORY_KEEP = 20

MISSING_TOKENS = {"", "na", "n/a", "null", "none", "nan", "-", "--"}
SPREADSHEET_ERRORS = {"#n/a", "#error!", "#value!", "#ref!", "#div/0!", "#name?", "#num!", "#null!", "#spill!"}
TRUE_TOKENS = {"yes", "y", "true", "t", "1", "online", "x"}
FALSE_TOKENS = {"no", "n", "false", "f", "0", "offline"}
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_NUMBER_EU = re.compile(r"^-?\d{1,3}(?:[.\s]\d{3})*,\d+$|^-?\d+,\d+$")
_CURRENCY = re.compile(r"[€$£¥\s]|EUR|USD|GBP", re.IGNORECASE)


def _normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


# --------------------------------------------------------------------------- typing cells


@dataclass
class _Checker:
    """Collects problems for one table source."""

    table: Table
    raw: RawTable
    config: JourneyConfig
    problems: list[Problem] = field(default_factory=list)
    bad_rows: dict[int, list[str]] = field(default_factory=dict)

    def add(self, row: int | None, column: str | None, value: object, expected: str,
            severity: str = "error") -> None:
        self.problems.append(Problem(self.raw.source, expected, row=row, column=column,
                                     value=value, severity=severity, table=self.table.name))
        if severity == "error" and row is not None:
            self.bad_rows.setdefault(row, []).append(f"{column}: {expected} (got {value!r})")


def _clean_text(series: pd.Series) -> pd.Series:
    """Text cells: strip, undo journeykit's own formula neutralisation ("'=x" -> "=x")."""
    text = series.astype("string").str.strip()
    quoted = text.str.startswith("'") & text.str[1:2].isin(list(FORMULA_STARTS))
    return text.mask(quoted.fillna(False), text.str[1:])


def _missing(text: pd.Series) -> pd.Series:
    return text.isna() | text.str.lower().isin(MISSING_TOKENS)


def _convert(column: Column, text: pd.Series, checker: _Checker) -> pd.Series:
    """Type one column; record problems for values that do not fit."""
    name = column.name
    missing = _missing(text)
    errors = text.str.lower().isin(SPREADSHEET_ERRORS) & ~missing
    if column.not_null:
        for row in text.index[missing & ~errors]:
            checker.add(row, name, text.get(row) if pd.notna(text.get(row)) else "",
                        f"a value ({column.kind}) - this column may not be blank")

    if column.kind in ("id", "text", "list"):
        # ids and lists treat "N/A" and the like as blank; free text keeps them as written
        blank = missing if column.kind != "text" else (text.isna() | (text == ""))
        out = text.mask(blank, pd.NA)
        if column.choices:
            lowered = out.str.lower()
            ok = lowered.isin(column.choices) | out.isna()
            for row in out.index[~ok]:
                checker.add(row, name, out[row], column.expectation())
            out = lowered.where(ok, pd.NA)
        return out.astype("string")

    for row in text.index[errors]:
        checker.add(row, name, text[row], f"{column.expectation()} (this is a spreadsheet error cell)")
    usable = text.mask(missing | errors, pd.NA)

    if column.kind == "bool":
        lowered = usable.str.lower()
        out = pd.Series(pd.NA, index=text.index, dtype="boolean")
        out[lowered.isin(TRUE_TOKENS).fillna(False)] = True
        out[lowered.isin(FALSE_TOKENS).fillna(False)] = False
        for row in usable.index[usable.notna() & out.isna()]:
            checker.add(row, name, usable[row], column.expectation())
        return out

    if column.kind in ("int", "float"):
        cleaned = usable.str.replace(_CURRENCY, "", regex=True)
        eu = cleaned.str.match(_NUMBER_EU).fillna(False)
        cleaned = cleaned.mask(eu, cleaned.str.replace(r"[.\s]", "", regex=True).str.replace(",", "."))
        if column.kind == "float":
            cleaned = cleaned.str.replace(r"(?<=\d),(?=\d{3}\b)", "", regex=True)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        unparsed = usable.notna() & numbers.isna()
        for row in usable.index[unparsed]:
            checker.add(row, name, usable[row], column.expectation())
        if column.kind == "int":
            fractional = numbers.notna() & (numbers % 1 != 0)
            for row in numbers.index[fractional]:
                checker.add(row, name, usable[row], column.expectation())
            numbers = numbers.mask(fractional)
        low = column.low if column.low is not None else float("-inf")
        high = column.high if column.high is not None else float("inf")
        outside = numbers.notna() & ((numbers < low) | (numbers > high))
        for row in numbers.index[outside]:
            checker.add(row, name, usable[row], column.expectation())
        numbers = numbers.mask(outside)
        if column.kind == "int":
            return numbers.round().astype("Int64")
        return numbers.astype("float64")

    if column.kind == "datetime":
        return _parse_datetimes(usable, column, checker)
    raise AssertionError(column.kind)


def _parse_datetimes(text: pd.Series, column: Column, checker: _Checker) -> pd.Series:
    """Parse dates: ISO first (fast), then day-first or month-first per the workspace
    default ``dayfirst`` (True unless journey.yaml says otherwise). Values with an offset
    are converted to the workspace time zone; the result is naive local time."""
    tz = checker.config.timezone
    dayfirst = checker.config.defaults.dayfirst
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    present = text.notna()
    if not present.any():
        return out
    has_offset = text.str.contains(_OFFSET, regex=True).fillna(False) & present
    naive = present & ~has_offset
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        out[naive] = parsed.astype("datetime64[us]")
    if has_offset.any():
        parsed = pd.to_datetime(text[has_offset], format="ISO8601", errors="coerce", utc=True)
        out[has_offset] = parsed.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[us]")
    retry = present & out.isna()
    for row in text.index[retry]:
        value = text[row]
        try:
            stamp = pd.to_datetime(value, dayfirst=dayfirst, format="mixed")
        except (ValueError, TypeError, OverflowError):
            checker.add(row, column.name, value, column.expectation())
            continue
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(tz).tz_localize(None)
        out[row] = stamp
    return out


# --------------------------------------------------------------------------- one table


def _map_columns(raw: RawTable, table: Table, config: JourneyConfig) -> tuple[pd.DataFrame, dict[str, str], list[Problem]]:
    """Rename the user's columns to canonical names. Returns the frame, the mapping
    canonical -> user column actually used, and problems (missing required columns)."""
    problems: list[Problem] = []
    mapping = dict(config.columns.get(table.name, {}))
    theirs = list(raw.frame.columns)
    by_normal = {_normalise_header(c): c for c in theirs}
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
        elif _normalise_header(column.name) in by_normal:
            used[column.name] = by_normal[_normalise_header(column.name)]
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


def _type_table(raw: RawTable, table: Table, config: JourneyConfig) -> tuple[pd.DataFrame | None, dict[str, str], _Checker]:
    checker = _Checker(table, raw, config)
    checker.problems.extend(raw.problems)
    for problem in raw.problems:
        if problem.severity == "error" and problem.row is not None and problem.row > 1:
            checker.bad_rows.setdefault(problem.row, []).append(problem.expected)
    if any(p.severity == "error" and p.row is None for p in raw.problems):
        return None, {}, checker
    frame, used, problems = _map_columns(raw, table, config)
    checker.problems.extend(problems)
    if any(p.severity == "error" for p in problems):
        return None, used, checker
    out = pd.DataFrame(index=frame.index)
    for column in table.columns:
        if column.name in frame.columns:
            out[column.name] = _convert(column, _clean_text(frame[column.name]), checker)
        else:
            out[column.name] = _empty_column(column, frame.index)
    for extra in frame.columns:
        if extra not in out.columns:
            out[extra] = _attribute(_clean_text(frame[extra]))
    if table.key:
        ids = out[table.key]
        first_rows: dict[str, int] = {}
        for row, value in ids.dropna().items():
            if value in first_rows:
                checker.add(row, table.key, value, f"a unique {table.key} (also in row {first_rows[value]})")
            else:
                first_rows[value] = row
    return out, used, checker


def _attribute(text: pd.Series) -> pd.Series:
    """An extra attribute column: numbers when every filled cell is a number, else text."""
    present = ~_missing(text)
    numbers = pd.to_numeric(text.where(present), errors="coerce")
    if present.any() and numbers[present].notna().all():
        return numbers
    return text.mask(~present, pd.NA)


def _empty_column(column: Column, index: pd.Index) -> pd.Series:
    dtype = {"int": "Int64", "float": "float64", "bool": "boolean",
             "datetime": "datetime64[us]"}.get(column.kind, "string")
    return pd.Series(pd.NA if dtype != "float64" else float("nan"), index=index, dtype=dtype) \
        if dtype != "datetime64[us]" else pd.Series(pd.NaT, index=index, dtype=dtype)


# --------------------------------------------------------------------------- the workspace


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
    """

    path: Path
    config: JourneyConfig
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    column_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    source_paths: dict[str, tuple[str, Path, str | None, str]] = field(default_factory=dict)
    large: dict[str, LargeEvents] = field(default_factory=dict)
    derived: dict[object, object] = field(default_factory=dict, repr=False)
    #: set inside a headless run: where the run's notebooks share results (journeykit.workspace.cache)
    run_cache: Path | None = field(default=None, repr=False, compare=False)

    # -- derived results, computed once per workspace state
    def memo(self, key: object, compute):
        """``compute()`` once per ``key`` while the tables are unchanged: analyses that
        several charts need (sentiment, pain-point scores, the stage funnel) are worked
        out once. :func:`save_table` clears every memo. ``key`` must be hashable and
        include the arguments that change the result."""
        if key not in self.derived:
            if self.run_cache is not None:
                self.derived[key] = runcache.memo(self.run_cache, key, compute)
            else:
                self.derived[key] = compute()
        return self.derived[key]

    # -- tables
    def has(self, table: str) -> bool:
        """True when the workspace has ``table`` with at least one row."""
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

    personas = property(lambda self: self.table("personas"))
    touchpoints = property(lambda self: self.table("touchpoints"))
    painpoints = property(lambda self: self.table("painpoints"))
    customers = property(lambda self: self.table("customers"))
    events = property(lambda self: self.table("events"))
    orders = property(lambda self: self.table("orders"))
    feedback = property(lambda self: self.table("feedback"))
    tickets = property(lambda self: self.table("tickets"))

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

    def events_relation(self, con=None):
        """The events as a DuckDB relation with canonical columns (customer_id VARCHAR,
        timestamp TIMESTAMP, event VARCHAR, channel VARCHAR), or None without events."""
        if not self.has("events"):
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


class _Loader:
    def __init__(self, folder: Path, on_bad_rows: OnBadRows):
        if on_bad_rows not in ("strict", "quarantine"):
            raise JourneykitError(f"on_bad_rows must be 'strict' or 'quarantine', not {on_bad_rows!r}")
        self.folder = folder
        self.on_bad_rows = on_bad_rows
        self.problems: list[Problem] = []
        self.row_problems: dict[str, dict[int, list[str]]] = {}

    def load(self) -> Workspace | None:
        config, problems = read_config(self.folder / CONFIG_FILE)
        self.problems.extend(problems)
        if config is None:
            return None
        ws = Workspace(self.folder, config)
        for name, table in TABLES.items():
            raw = self._pick_source(name, table)
            if raw is None:
                continue
            if raw.large:
                self._load_large(ws, name, table, raw)
                continue
            frame, used, checker = _type_table(raw, table, config)
            self.problems.extend(checker.problems)
            if frame is None:
                continue
            ws.tables[name] = frame
            ws.sources[name] = raw.source
            ws.column_maps[name] = used
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

    def _pick_source(self, name: str, table: Table) -> RawTable | None:
        try:
            sources = find_sources(self.folder, name)
        except Exception as exc:  # a damaged workspace.xlsx
            self.problems.append(Problem("workspace.xlsx", f"a readable Excel workbook ({exc})", table=name))
            return None
        raws: list[RawTable] = []
        for kind, path, sheet in sources:
            try:
                large = table.large and kind != "xlsx" and is_large(path)
                raws.append(read_source(name, kind, path, sheet, large=large))
            except Exception as exc:
                label = path.name if sheet is None else f"{path.name}[{sheet}]"
                self.problems.append(Problem(label, f"a readable {kind.upper()} file ({type(exc).__name__}: {exc})",
                                             table=name))
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
        _, used, problems = _map_columns(raw, table, ws.config)
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

    def _check_references(self, ws: Workspace, name: str, table: Table, raw: RawTable, checker: _Checker) -> None:
        frame = ws.tables[name]
        config = ws.config
        before = len(checker.problems)
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
                key = TABLES[target].key
                allowed = set(other[key].dropna())
                if self.on_bad_rows == "quarantine":
                    bad = self.row_problems.get(target, {})
                    allowed = set(other.loc[~other.index.isin(list(bad)), key].dropna())
                severity = "error"
                what = f"an id from the {target} table ({ws.sources.get(target, target)})"
            is_list = column.kind == "list"
            for row, value in values.dropna().items():
                items = split_list(value) if is_list else [value]
                unknown = [item for item in items if item not in allowed]
                if unknown:
                    checker.add(row, column.name, "; ".join(unknown) if is_list else value, what, severity)
        if name == "tickets":
            closed_early = frame["closed"].notna() & frame["opened"].notna() & (frame["closed"] < frame["opened"])
            for row in frame.index[closed_early]:
                checker.add(row, "closed", frame.at[row, "closed"], "a date on or after opened")
        self.problems.extend(checker.problems[before:])
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
        if not ws.has("events"):
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


def validate_workspace(path: str | os.PathLike | None = None) -> list[Problem]:
    """Every problem of a workspace (errors and warnings), without raising for them.

    Example:
        >>> [str(p) for p in validate_workspace("data/sample") if p.severity == "error"]  # doctest: +SKIP
        []
    """
    folder = resolve_workspace(path)
    cached = runcache.cached_workspace(folder, "strict")
    if cached is not None:  # a run's workspace without errors: its warnings are all there is
        return list(cached.problems)
    loader = _Loader(folder, "strict")
    loader.load()
    return loader.problems


# --------------------------------------------------------------------------- saving edits


def _history_copy(ws: Workspace, path: Path) -> Path | None:
    if not path.exists():
        return None
    history = ws.path / HISTORY_DIR
    history.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    copy = history / f"{path.stem}.{stamp}{path.suffix}"
    shutil.copy2(path, copy)
    old = sorted(history.glob(f"{path.stem}.*{path.suffix}"))
    for stale in old[:-HISTORY_KEEP]:
        stale.unlink(missing_ok=True)
    return copy


def _to_file_frame(ws: Workspace, table: str, frame: pd.DataFrame) -> pd.DataFrame:
    spec = TABLES[table]
    out = frame.copy()
    for column in spec.columns:
        if column.name not in out.columns:
            continue
        series = out[column.name]
        if column.kind == "datetime":
            out[column.name] = series.dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
        elif column.kind == "bool":
            out[column.name] = series.map({True: "yes", False: "no"}, na_action="ignore")
    reverse = {canonical: user for canonical, user in ws.column_maps.get(table, {}).items()}
    return out.rename(columns=reverse)


def save_table(ws: Workspace, table: str, frame: pd.DataFrame) -> Path:
    """Save an edited table back to the workspace file it came from, at once.

    The write is atomic (a reader sees the old file or the new one), the previous
    version is copied to ``.journeykit/history/`` (the last 20 are kept), column names
    are written as the user's file had them, and text that could start a spreadsheet
    formula is neutralised. A table the workspace did not have is written as
    ``<table>.csv``. The in-memory ``ws`` is updated too.

    Returns the path written.

    Example:
        >>> ws = load_workspace("my-shop")                       # doctest: +SKIP
        >>> edited = ws.painpoints.assign(status="planned")      # doctest: +SKIP
        >>> save_table(ws, "painpoints", edited)                 # doctest: +SKIP
    """
    if table not in TABLES:
        raise JourneykitError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    missing = [c.name for c in TABLES[table].columns if c.required and c.name not in frame.columns]
    if missing:
        raise JourneykitError(f"cannot save {table}: column(s) {', '.join(missing)} missing")
    kind, path, sheet, delimiter = ws.source_paths.get(table, ("csv", ws.path / f"{table}.csv", None, ","))
    file_frame = _to_file_frame(ws, table, frame)
    from filelock import FileLock

    lock_dir = ws.path / ".journeykit"
    lock_dir.mkdir(exist_ok=True)
    with FileLock(str(lock_dir / "save.lock"), timeout=30):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a save that was killed
            stale.unlink(missing_ok=True)
        _history_copy(ws, path)
        if kind == "csv":
            data = _one_newline_style(neutralise_frame(file_frame)).to_csv(
                index=False, sep=delimiter, lineterminator="\n")
            atomic_write_bytes(path, data.encode("utf-8"))
        elif kind == "parquet":
            import io

            buffer = io.BytesIO()
            file_frame.to_parquet(buffer, index=False)
            atomic_write_bytes(path, buffer.getvalue())
        else:
            _write_sheet(path, sheet or table, neutralise_frame(file_frame))
    ws.tables[table] = frame.copy()
    ws.derived.clear()
    ws.run_cache = None  # edited: results shared by a run no longer apply
    ws.sources.setdefault(table, path.name if kind != "xlsx" else f"{path.name}[{sheet}]")
    ws.source_paths.setdefault(table, (kind, path, sheet, delimiter))
    return path


def _one_newline_style(frame: pd.DataFrame) -> pd.DataFrame:
    """Line breaks inside text cells as LF only, so the CSV writer quotes them."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or pd.api.types.is_object_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v)
    return out


def _write_sheet(path: Path, sheet: str, frame: pd.DataFrame) -> None:
    """Replace one sheet's cells in workspace.xlsx, keeping the other sheets, the
    drop-down lists and formatting; atomic."""
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(path)
    worksheet = workbook[sheet]
    if worksheet.max_row > 0:
        worksheet.delete_rows(1, worksheet.max_row)
    worksheet.append([str(c) for c in frame.columns])
    for record in frame.itertuples(index=False):
        worksheet.append([None if (v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)))
                          else (v.item() if hasattr(v, "item") else v) for v in record])
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write_bytes(path, buffer.getvalue())
