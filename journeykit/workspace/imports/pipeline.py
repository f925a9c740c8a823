"""Running an import preset: on files given on the command line (``journeykit import``,
which writes canonical tables into a workspace) or on the ``sources:`` of journey.yaml
(which the loader reads at every load, so a scheduled refresh picks up the latest
exports without writing anything).

The exports are never changed. ``journeykit import`` writes each table the preset
produces as ``<table>.csv`` in the workspace (an event log of over a million rows as
``events.parquet``), refuses to replace a table that already has rows unless told to
(``replace=True``), derives a customers table from the activity when the workspace has
none with rows, and appends what it did to ``.journeykit/imports.jsonl``.

Example:
    >>> PRESETS["shopify"].produces
    ('orders',)
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from journeykit.core.errors import Problem
from journeykit.core.safety import append_jsonl, atomic_write_bytes, read_jsonl
from journeykit.workspace.config import read_config
from journeykit.workspace.dates import DateRules
from journeykit.workspace.imports import derived
from journeykit.workspace.imports.base import Export, ImportResult, read_export
from journeykit.workspace.imports.registry import PRESETS, preset_problem
from journeykit.workspace.imports.spec import SourceSpec
from journeykit.workspace.locations import outside_reason
from journeykit.workspace.readers import read_source, scan_sources
from journeykit.workspace.schema import TABLES

#: an event log with more rows than this is written as Parquet
PARQUET_EVENTS_ROWS = 1_000_000
IMPORT_LOG = ".journeykit/imports.jsonl"


def run_preset(name: str, files: Sequence[Path], options: Mapping[str, str] | None = None) -> ImportResult:
    """Read ``files`` with preset ``name`` and return what it made of them. Nothing is
    written; errors (unknown preset or option, a file that is missing or unreadable, a
    column the format must have) are in the result's ``problems``."""
    options = dict(options or {})
    result = ImportResult(name, [Path(f).name for f in files])
    unknown = preset_problem(name)
    if unknown is not None:
        result.problems.append(unknown)
        return result
    preset = PRESETS[name]
    if not preset.open_options:
        for given in options:
            if given not in preset.option_names():
                known = ", ".join(sorted(preset.option_names())) or "none"
                result.problems.append(Problem("(options)", f"an option of {name} ({known})", value=given))
    for option in preset.options:
        if option.required and option.name not in options:
            result.problems.append(Problem("(options)", f"--set {option.name}=... ({option.help})",
                                           column=option.name, table=",".join(preset.produces)))
    if not files:
        result.problems.append(Problem("(files)", f"at least one file: {preset.expects}"))
    exports: list[Export] = []
    for path in files:
        path = Path(path)
        if not path.is_file():
            result.problems.append(Problem(path.name, "an export file that exists", value=str(path)))
            continue
        try:
            exports.append(read_export(path, header_rows=preset.header_rows))
        except (OSError, ValueError, UnicodeError) as exc:
            result.problems.append(Problem(path.name, f"a readable export ({type(exc).__name__}: {exc})"))
    if not result.ok:
        return result
    converted = preset.convert(exports, options)
    return converted


def _date_rules(folder: Path) -> DateRules:
    """How the workspace reads dates (journey.yaml defaults and time zone), or the defaults
    when journey.yaml cannot be read (validation then says why)."""
    config, _ = read_config(folder / "journey.yaml")
    if config is None:
        return DateRules()
    defaults = config.defaults
    return DateRules(defaults.dayfirst, defaults.dates_from, defaults.dates_to, config.timezone)


def _rows_in(folder: Path, table: str) -> tuple[str, int] | None:
    """The workspace's source of ``table`` holding rows, and how many (None when none has)."""
    sources = scan_sources(folder, [table])
    for kind, path, sheet in sources.found[table]:
        raw = read_source(table, kind, path, sheet)
        if raw.rows:
            return raw.source, raw.rows
    return None


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class ImportOutcome:
    """An import's result and the files it wrote (none on a dry run or with errors)."""

    result: ImportResult
    written: list[Path] = field(default_factory=list)


def _existing_rows(folder: Path, table: str) -> tuple[pd.DataFrame | None, Problem | None]:
    """The text cells of ``table``'s CSV in the workspace, to add rows to; a problem when
    the table is held elsewhere or not under journeykit's column names."""
    for kind, path, sheet in scan_sources(folder, [table]).found[table]:
        raw = read_source(table, kind, path, sheet)
        if not raw.rows:
            continue
        if kind != "csv":
            return None, Problem(raw.source, f"{table} in a CSV file to add rows to (it is in {raw.source}); "
                                 "use sources: in journey.yaml to combine exports", table=table)
        missing = [c.name for c in TABLES[table].columns if c.required and c.name not in raw.frame.columns]
        if missing:
            return None, Problem(raw.source, f"journeykit's column names in {raw.source} to add rows to "
                                 f"(missing {', '.join(missing)}); use sources: in journey.yaml instead",
                                 row=1, table=table)
        return raw.frame.reset_index(drop=True), None
    return None, None


def _customers_were_derived(folder: Path) -> bool:
    """True when the workspace's customers were last written by an import that derived them."""
    derived_last = False
    for entry in read_jsonl(folder / IMPORT_LOG):
        if "customers.csv" in entry.get("written", []):
            derived_last = bool(entry.get("derived_customers"))
    return derived_last


def _add_customers(folder: Path, result: ImportResult) -> bool:
    """Customers for the import's activity when the workspace has none, or new ones added to
    a customers table earlier imports derived (a customer table the user wrote is never
    changed: ids it lacks are the loader's problems). True when customers were derived."""
    made_from = ", ".join(t for t in result.tables if t in derived.ACTIVITY_TIME)
    if "customers" in result.tables or not made_from:
        return False
    fresh = derived.customers_from_activity(result.tables, _date_rules(folder))
    held = _rows_in(folder, "customers")
    if held is None:
        if len(fresh):
            result.tables["customers"] = fresh
            result.notes.append(f"the workspace has no customers: {len(fresh):,} derived from {made_from} "
                                "(first_seen = first activity)")
        return bool(len(fresh))
    if not _customers_were_derived(folder):
        return False
    existing, problem = _existing_rows(folder, "customers")
    if existing is None or problem is not None:
        return False
    new = fresh[~fresh["customer_id"].isin(set(existing["customer_id"].astype(str).str.strip()))]
    if len(new):
        result.tables["customers"] = pd.concat([existing, new], ignore_index=True).fillna("")
        result.notes.append(f"{len(new):,} customers added to the derived customers table from {made_from}")
    return True


def import_into(workspace: str | Path, preset: str, files: Sequence[Path],
                options: Mapping[str, str] | None = None, *, replace: bool = False, append: bool = False,
                dry_run: bool = False) -> ImportOutcome:
    """Run ``preset`` on ``files`` and write its tables into ``workspace`` (see the module
    docstring). A table that has rows already is refused unless ``replace`` (its rows are
    replaced; the old file kept in .journeykit/history) or ``append`` (the new rows are
    added: a web shop's and a till's orders in one table). With errors nothing is written
    and the problems say why."""
    folder = Path(workspace)
    result = run_preset(preset, files, options)
    outcome = ImportOutcome(result)
    if replace and append:
        result.problems.append(Problem("(options)", "either --replace or --append, not both"))
    if not folder.is_dir():
        result.problems.append(Problem(str(folder), "a workspace folder (make one with journeykit new)"))
    if not result.ok:
        return outcome
    derived_customers = _add_customers(folder, result)
    targets: dict[str, Path] = {}
    for table, frame in list(result.tables.items()):
        name = f"{table}.parquet" if table == "events" and len(frame) > PARQUET_EVENTS_ROWS else f"{table}.csv"
        target = folder / name
        refused = outside_reason(folder, target) if target.exists() or target.is_symlink() else None
        if refused is not None:
            result.problems.append(Problem(name, refused, table=table))
            continue
        held = _rows_in(folder, table)
        if held is not None and table == "customers" and derived_customers:
            pass  # the derived customers, extended above
        elif held is not None and append:
            existing, problem = _existing_rows(folder, table)
            if problem is not None:
                result.problems.append(problem)
            elif existing is not None:
                result.tables[table] = pd.concat([existing, frame], ignore_index=True).fillna("")
                result.notes.append(f"{len(frame):,} rows added to the {held[1]:,} {table} rows of {held[0]}")
                target = folder / f"{table}.csv"
        elif held is not None and not replace:
            result.problems.append(Problem(
                held[0], f"an empty {table} table to import into (it has {held[1]:,} rows); use --replace to replace "
                "them (the old file is kept in .journeykit/history) or --append to add to them", table=table))
        elif held is not None and not held[0].endswith((".csv", ".parquet")):
            result.problems.append(Problem(held[0], f"{table} rows only in a file to replace them: delete the rows "
                                           "of the sheet, or use sources: in journey.yaml", table=table))
        targets[table] = target
    if not result.ok or dry_run:
        return outcome
    for table, target in targets.items():
        for other in scan_sources(folder, [table]).found[table]:  # a header-only twin would be a second source
            if other[0] != "xlsx" and other[1] != target:
                _keep_history(folder, other[1])
                other[1].unlink()
        if target.exists():
            _keep_history(folder, target)
        frame = result.tables[table]
        if target.suffix == ".parquet":
            buffer = io.BytesIO()
            frame.astype("string").to_parquet(buffer, index=False)
            atomic_write_bytes(target, buffer.getvalue())
        else:
            atomic_write_bytes(target, _csv_bytes(frame))
        outcome.written.append(target)
    _log(folder, result, files, outcome.written, derived_customers and "customers" in result.tables)
    return outcome


def _keep_history(folder: Path, path: Path) -> None:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    history = folder / ".journeykit" / "history"
    history.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(history / f"{stamp}-{path.name}", path.read_bytes())


def _log(folder: Path, result: ImportResult, files: Sequence[Path], written: list[Path],
         derived_customers: bool = False) -> None:
    entry = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "preset": result.preset,
             "files": [{"name": Path(f).name, "bytes": Path(f).stat().st_size, "sha256": _digest(Path(f))}
                       for f in files],
             "rows_in": result.rows_in, "rows_out": result.rows_out,
             "set_aside": [a.describe() for a in result.set_aside], "written": [p.name for p in written],
             "derived_customers": derived_customers}
    append_jsonl(folder / IMPORT_LOG, [entry])


def expand_files(folder: Path, patterns: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """A source's files: each pattern relative to the workspace, glob patterns sorted by
    name; a pattern matching nothing, or a file outside the workspace, is a problem."""
    found: list[Path] = []
    problems: list[Problem] = []
    for pattern in patterns:
        matches = sorted(Path(p) for p in glob.glob(str(folder / pattern)))
        if not matches:
            problems.append(Problem("journey.yaml", f"a file matching {pattern!r} in the workspace",
                                    column="sources", value=pattern))
        for path in matches:
            refused = outside_reason(folder, path)
            if refused is not None:
                problems.append(Problem(path.name, refused, column="sources"))
            else:
                found.append(path)
    return found, problems


def read_sources(folder: Path, specs: Sequence[SourceSpec]) -> tuple[dict[str, pd.DataFrame], dict[str, str],
                                                                     list[ImportResult], list[Problem]]:
    """Run every journey.yaml source: the tables they make (a table made by several sources
    is their rows together), a label per table naming its sources for problem messages,
    the results (for their notes), and the problems."""
    tables: dict[str, list[pd.DataFrame]] = {}
    labels: dict[str, list[str]] = {}
    results: list[ImportResult] = []
    problems: list[Problem] = []
    for spec in specs:
        files, missing = expand_files(folder, spec.files)
        problems += missing
        if missing:
            continue
        result = run_preset(spec.preset, files, spec.options)
        results.append(result)
        problems += result.problems
        for aside in result.set_aside:
            shown = ", ".join(str(r) for r in aside.rows[:10]) + (" ..." if len(aside.rows) > 10 else "")
            problems.append(Problem(
                aside.file, f"rows {spec.preset} can import; set aside: {aside.reason}",
                row=aside.rows[0] if len(aside.rows) == 1 else None,
                value=f"{len(aside.rows):,} rows: {shown}" if len(aside.rows) > 1 else None,
                severity="warning", table=aside.table or None))
        if not result.ok:
            continue
        for table, frame in result.tables.items():
            tables.setdefault(table, []).append(frame)
            labels.setdefault(table, []).append(f"{', '.join(result.files)} via {spec.preset}")
    merged = {name: pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
              for name, frames in tables.items()}
    return merged, {name: f"{name} ({'; '.join(parts)})" for name, parts in labels.items()}, results, problems
