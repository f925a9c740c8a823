"""The run-folder registry: run ids, the folders of an output folder and ``latest``.

An output folder (``reports/`` by default) holds one folder per run, named by its run id
(a sortable UTC timestamp): ``<run-id>/`` for a successful run, ``<run-id>-failed/`` for a
failed one, ``.tmp-<run-id>/`` while a run is in progress, and ``latest`` pointing at the
last successful run (a symlink, or a text file holding the run id where symlinks are not
available). The runner writes this layout; ``journeykit report`` and the KPI history read it.

Example:
    >>> find_runs("/nonexistent")
    []
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from journeykit.core.errors import JourneykitError
from journeykit.core.safety import atomic_write_bytes, read_json

__all__ = [
    "FAILED_SUFFIX", "LATEST", "RUN_ID_RE", "TMP_PREFIX", "RunInfo",
    "find_runs", "make_run_id", "point_latest", "resolve_latest", "resolve_run", "unique_run_id",
]

RUN_ID_RE = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
TMP_PREFIX = ".tmp-"
LATEST = "latest"
FAILED_SUFFIX = "-failed"


def make_run_id(now: datetime | None = None) -> str:
    """A sortable UTC timestamp, e.g. ``20261122T195300Z``.

    >>> make_run_id(datetime(2026, 11, 22, 19, 53, tzinfo=timezone.utc))
    '20261122T195300Z'
    """
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def unique_run_id(out: Path, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... when a run folder (successful, failed or in
    progress) of that id already exists in ``out``.

    >>> unique_run_id(Path("/nonexistent"), "20261122T195300Z")
    '20261122T195300Z'
    """
    def taken(candidate: str) -> bool:
        names = (candidate, candidate + FAILED_SUFFIX, TMP_PREFIX + candidate)
        return any((out / name).exists() or (out / name).is_symlink() for name in names)

    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def resolve_latest(out: str | os.PathLike) -> Path | None:
    """The folder ``<out>/latest`` points to (a symlink, or a text file holding the run
    id where symlinks are not available), or None when there is no successful run.

    >>> resolve_latest("/nonexistent") is None
    True
    """
    out = Path(out)
    link = out / LATEST
    if link.is_symlink() or link.is_dir():
        target = link.resolve()
        return target if target.is_dir() else None
    if link.is_file():
        run_id = link.read_text("utf-8").strip()
        target = out / run_id
        return target if run_id and target.is_dir() else None
    return None


def point_latest(out: Path, run_id: str) -> None:
    """Point ``out/latest`` at ``run_id`` atomically (os.replace of a temporary symlink;
    a text file holding the run id where symlinks are not available)."""
    link = out / LATEST
    tmp = out / f".{LATEST}-{run_id}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    try:
        os.symlink(run_id, tmp, target_is_directory=True)
    except (OSError, NotImplementedError):
        atomic_write_bytes(link, (run_id + "\n").encode("utf-8"))
        return
    os.replace(tmp, link)


@dataclass(frozen=True)
class RunInfo:
    """A run folder found in an output folder (see :func:`find_runs`): ``status`` is
    ``success`` or ``failed``, ``latest`` whether ``latest`` points at it, ``started``
    (ISO 8601, UTC) and ``duration_s`` (seconds) come from its manifest when it has one."""

    run_id: str
    path: Path
    status: str  # "success" or "failed"
    latest: bool
    started: str | None
    duration_s: float | None


def find_runs(out: str | os.PathLike) -> list[RunInfo]:
    """The runs in ``out``, oldest first (run ids sort by time). Temporary folders of
    runs in progress (or killed) are not listed."""
    out = Path(out)
    if not out.is_dir():
        return []
    latest = resolve_latest(out)
    runs = []
    for child in sorted(out.iterdir()):
        name = child.name
        failed = name.endswith(FAILED_SUFFIX)
        run_id = name[: -len(FAILED_SUFFIX)] if failed else name
        if not child.is_dir() or child.is_symlink() or not RUN_ID_RE.match(run_id):
            continue
        manifest = read_json(child / "manifest.json")
        manifest = manifest if isinstance(manifest, dict) else {}
        runs.append(
            RunInfo(
                run_id=run_id,
                path=child,
                status="failed" if failed else "success",
                latest=latest is not None and latest == child.resolve(),
                started=manifest.get("started"),
                duration_s=manifest.get("duration_s"),
            )
        )
    return runs


def resolve_run(out: str | os.PathLike, ref: str) -> Path:
    """A run folder from a reference: a run id, ``latest``, ``previous`` (the
    successful run before latest) or a path to a run folder. Raises
    :class:`JourneykitError` (naming the recent runs) when there is no such run."""
    out = Path(out)
    if ref == LATEST:
        found = resolve_latest(out)
        if found is None:
            raise JourneykitError(f"no successful run in {out} yet (run `journeykit run` first)")
        return found
    if ref == "previous":
        ok = [r for r in find_runs(out) if r.status == "success"]
        latest = resolve_latest(out)
        older = [r for r in ok if latest is None or r.path.resolve() != latest]
        older = [r for r in older if latest is None or r.run_id < latest.name]
        if not older:
            raise JourneykitError(f"no successful run before latest in {out}")
        return older[-1].path
    for candidate in (out / ref, Path(ref)):
        if candidate.is_dir() and (candidate / "manifest.json").is_file():
            return candidate
    known = ", ".join(r.path.name for r in find_runs(out)[-5:]) or "none"
    raise JourneykitError(f"run {ref!r} not found in {out} (recent runs: {known})")
