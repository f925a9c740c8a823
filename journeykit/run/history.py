"""The KPIs of past runs: every run's ``metrics.json`` in the reports folder.

:func:`kpi_history` reads every successful run (for the KPI trend), :func:`previous_metrics`
the last one (for "what changed since the last run",
:func:`journeykit.analytics.scorecard.what_changed`). Which folders are runs, and which
one is ``latest``, is decided by :mod:`journeykit.run.runs`.

Example:
    >>> kpi_history("/nonexistent").empty    # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from journeykit.analytics.kpis import DEFAULT_LABELS
from journeykit.analytics.scorecard import _int_array, _json_float, _metric_record
from journeykit.run.runs import TMP_PREFIX, find_runs, make_run_id, resolve_latest

__all__ = ["current_run_id", "kpi_history", "previous_metrics"]

_HISTORY_COLUMNS = ["run_id", "kpi", "value", "n", "ci_low", "ci_high", "label", "unit"]


def _history_frame(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=_HISTORY_COLUMNS)
    for column in ("run_id", "kpi", "label", "unit"):
        table[column] = table[column].astype("string")
    for column in ("value", "ci_low", "ci_high"):
        table[column] = table[column].astype(float)
    table["n"] = _int_array(table["n"])
    return table


def _metrics_rows(document: Mapping[str, Any], run_id: str) -> list[dict]:
    metrics = document.get("metrics")
    if not isinstance(metrics, Mapping):
        raise ValueError("no 'metrics' mapping")
    rows = []
    for kpi, entry in metrics.items():
        record = _metric_record(entry)
        n = record.get("n")
        rows.append({
            "run_id": run_id, "kpi": str(kpi), "value": _json_float(record.get("value")),
            "n": None if n is None else int(n),
            "ci_low": _json_float(record.get("ci_low")), "ci_high": _json_float(record.get("ci_high")),
            "label": record.get("label") or DEFAULT_LABELS.get(str(kpi), str(kpi)),
            "unit": record.get("unit"),
        })
    return rows


def current_run_id(output_dir: str | os.PathLike | None) -> str:
    """The run id of the run writing into ``output_dir``: a ``journeykit run`` writes into
    ``<reports>/.tmp-<run id>`` until it succeeds; any other folder gives its name, and no
    folder (a notebook run by hand) the current time as a run id.

    >>> current_run_id("/reports/.tmp-20261202T054433Z"), current_run_id("/r/20261101T000000Z")
    ('20261202T054433Z', '20261101T000000Z')
    """
    if output_dir is None:
        return make_run_id()
    name = Path(output_dir).name
    return name[len(TMP_PREFIX):] if name.startswith(TMP_PREFIX) else name


def kpi_history(reports_dir: str | os.PathLike, *, current: Mapping[str, Any] | None = None,
                output_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every KPI of every successful run: reads ``<reports_dir>/<run id>/metrics.json``.

    The runs are those :func:`journeykit.run.runs.find_runs` lists with status
    "success" (failed runs, the ``latest`` link and other folders are skipped); files
    that cannot be read or do not have the metrics.json shape are skipped with a
    warning. Returns columns ``run_id`` (from the file, else the folder name),
    ``kpi``, ``value`` (float, NaN when null), ``n`` (Int64), ``ci_low``,
    ``ci_high``, ``label``, ``unit``; sorted by run_id (then the file's KPI order).
    An empty table (same columns) when there are no runs yet.

    ``current``: the metrics of the run being made (``workspace_metrics(ws)``), added as
    its last run with the id :func:`current_run_id` gives for ``output_dir`` — so the
    trend drawn during a run includes that run (it is not in ``reports_dir`` until it
    succeeds); a finished run of the same id is then not read twice.

    Example:
        >>> kpi_history("reports")[["run_id", "kpi", "value"]]    # doctest: +SKIP
    """
    folder = Path(reports_dir)
    rows: list[dict] = []
    seen: set[str] = set()
    if current is not None:
        run_id = current_run_id(output_dir)
        rows.extend(_metrics_rows({"metrics": current}, run_id))
        seen.add(run_id)
    if not folder.is_dir():
        if current is None:
            warnings.warn(f"no reports folder at {folder}: there is no KPI history yet", stacklevel=2)
        return _history_frame(rows).sort_values("run_id", kind="stable").reset_index(drop=True)
    for run in find_runs(folder):
        if run.status != "success":
            continue
        path = run.path / "metrics.json"
        if not path.exists():
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            run_id = str(document.get("run_id") or run.path.name)
            run_rows = _metrics_rows(document, run_id)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            warnings.warn(f"skipped {path}: cannot read it as metrics.json ({exc})", stacklevel=2)
            continue
        if run_id in seen:
            continue
        seen.add(run_id)
        rows.extend(run_rows)
    table = _history_frame(rows)
    return table.sort_values("run_id", kind="stable").reset_index(drop=True)


def previous_metrics(reports_dir: str | os.PathLike) -> dict | None:
    """The metrics.json of the last successful run in ``reports_dir`` (what
    ``reports_dir/latest`` points to), or None when there is none yet.

    During a ``journeykit run`` the current run is not promoted until it succeeds, so
    this is the run before it — what "what changed since the last run" compares with.

    Example:
        >>> previous_metrics("/nonexistent") is None
        True
    """
    latest = resolve_latest(reports_dir) if Path(reports_dir).is_dir() else None
    if latest is None or not (latest / "metrics.json").is_file():
        return None
    try:
        return json.loads((latest / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        warnings.warn(f"could not read {latest / 'metrics.json'}: {exc}", stacklevel=2)
        return None
