"""A run's ``manifest.json``: what ran, on which inputs, with which versions, how long.

Keys: ``run_id``, ``status``, ``business``, ``workspace``, ``out``, ``parameters``
(the notebooks' parameters except ``output_dir``), ``on_bad_rows``, ``figure_formats``,
``notebooks`` (one :class:`~journeykit.run.results.NotebookRun` each), ``jobs``,
``timeout_s``, ``started``/``finished`` (ISO 8601, UTC), ``duration_s``, ``previous_run``,
``versions`` (:func:`package_versions`), ``inputs`` (:func:`hash_workspace`, taken before
the run), ``workspace_problems`` (the validation's warnings), ``quarantined_rows``,
``kpi_targets``, ``phases_s`` and, for a failed run, ``failure``.

Example:
    >>> from datetime import timezone
    >>> iso(datetime(2026, 11, 22, 19, 53, tzinfo=timezone.utc))
    '2026-11-22T19:53:00Z'
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from journeykit import __version__
from journeykit.run.results import NotebookRun
from journeykit.workspace.locations import workspace_files

__all__ = ["KEY_PACKAGES", "build_manifest", "changed_inputs", "hash_workspace", "iso", "package_versions"]

KEY_PACKAGES = (
    "pandas", "numpy", "scipy", "matplotlib", "seaborn", "duckdb", "pyarrow",
    "vaderSentiment", "papermill", "nbconvert", "nbclient", "ipykernel", "jinja2", "openpyxl",
    "ipywidgets",
)


def iso(moment: datetime) -> str:
    """``moment`` as ISO 8601 to the second, UTC written ``Z``."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def hash_workspace(workspace: str | os.PathLike) -> list[dict[str, Any]]:
    """``[{"path", "bytes", "sha256"}]`` for every file of the workspace (relative paths,
    sorted; hidden folders such as ``.history`` are skipped)."""
    root = Path(workspace)
    entries = []
    for path in workspace_files(root):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda handle=handle: handle.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(chunk)
        entries.append(
            {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}
        )
    return entries


def changed_inputs(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> list[str]:
    """The paths that appeared, vanished or changed between two :func:`hash_workspace` lists.

    >>> changed_inputs([{"path": "a.csv", "sha256": "1"}], [{"path": "a.csv", "sha256": "2"}])
    ['a.csv']
    """
    return sorted({e["path"] for e in after} ^ {e["path"] for e in before}
                  | {a["path"] for a, b in zip(after, before, strict=False) if a != b})


def package_versions() -> dict[str, str | None]:
    """Versions of journeykit, Python and the key packages (None when not installed)."""
    versions: dict[str, str | None] = {
        "journeykit": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def build_manifest(
    *,
    run_id: str,
    workspace: Path,
    out: Path,
    parameters: Mapping[str, Any],
    on_bad_rows: str,
    figure_formats: Sequence[str],
    notebooks: Sequence[NotebookRun],
    jobs: int,
    timeout: float | None,
    started: datetime,
    finished: datetime,
    duration_s: float,
    previous: Path | None,
    inputs: list[dict[str, Any]],
    workspace_problems: list[dict],
    facts: Mapping[str, Any],
    phases: Mapping[str, float],
) -> dict[str, Any]:
    """The manifest of a run (see the module docstring). ``facts`` are the validated
    workspace's business name, KPI targets and rows set aside; ``duration_s`` and the
    ``phases`` are seconds; the run failed when a notebook did."""
    failure = next((r for r in notebooks if r.status == "failed"), None)
    manifest = {
        "run_id": run_id,
        "status": "failed" if failure else "success",
        "business": facts.get("business"),
        "workspace": str(workspace),
        "out": str(out),
        "parameters": {k: v for k, v in parameters.items() if k != "output_dir"},
        "on_bad_rows": on_bad_rows,
        "figure_formats": list(figure_formats),
        "notebooks": [asdict(r) for r in notebooks],
        "jobs": jobs,
        "timeout_s": timeout,
        "started": iso(started),
        "finished": iso(finished),
        "duration_s": round(duration_s, 3),
        "previous_run": previous.name if previous else None,
        "versions": package_versions(),
        "inputs": inputs,
        "workspace_problems": workspace_problems,
        "quarantined_rows": facts.get("quarantined_rows", {}),
        "kpi_targets": facts.get("kpi_targets", {}),
        "phases_s": {k: round(v, 3) for k, v in phases.items()},
    }
    if failure:
        manifest["failure"] = asdict(failure)
    return manifest
