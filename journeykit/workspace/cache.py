"""A cache of loaded workspaces, shared between processes and keyed by file fingerprints.

Loading a workspace (reading, typing and checking every file) and some analyses of it
(pain-point scores, sentiment, the stage funnel) are the same work in every notebook
that opens the same files. This cache keeps one loaded :class:`~journeykit.workspace.model.Workspace`
per workspace state (folder, ``on_bad_rows`` mode and the :func:`fingerprint` of its
files) in a folder named by the environment variable ``JOURNEYKIT_RUN_CACHE``, with the
results of ``Workspace.memo`` beside it. The headless runner (``journeykit run``) loads
the workspace once, stores it in its run folder with :func:`store_workspace` and sets the
variable for its kernels; :func:`~journeykit.workspace.loader.load_workspace` then returns
:func:`cached_workspace` instead of parsing every file again. The cache knows nothing of
runs or analyses: it stores what the workspace layer loads and what ``memo`` computes.

Safety rules:

- an entry is used only while every workspace file has the size and modification time
  (nanoseconds) it had *before* the run loaded it (:func:`fingerprint`); a file edited
  during the run (a workshop saving a score) makes the kernel load the workspace afresh;
- entries are per workspace folder, ``on_bad_rows`` mode and fingerprint; a workspace
  edited in the kernel (:func:`~journeykit.workspace.saving.save_table`) stops using the cache;
- a workspace with a large events log (kept as Parquet outside the workspace) is stored
  with a copy of its checked Parquet file inside the entry (a hard link when the file
  system allows), so the kernels scan the log the runner checked instead of checking
  10M rows again, and the file lives exactly as long as the run's cache;
- a memo result is computed by one kernel at a time: the others wait on a file lock
  (``fcntl.flock``, released by the system if the kernel dies) and then read it, so two
  notebooks running side by side do not both work out the same pain-point scores;
- the cache folder is created by the runner inside its temporary run folder and removed
  before the run folder is promoted, so it never reaches a report and never outlives the run;
- without the environment variable (JupyterLab, plain papermill) nothing changes;
- anything that cannot be stored or read is simply computed: the cache can make a run
  faster, never different.

Example:
    >>> fingerprint("no-such-folder")
    ()
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from journeykit.workspace.locations import workspace_files

if TYPE_CHECKING:  # the model imports this module (Workspace.memo); the type is for annotations only
    from journeykit.workspace.model import Workspace

ENV = "JOURNEYKIT_RUN_CACHE"
CACHE_DIR = ".cache"
_MISSING = object()


def cache_dir() -> Path | None:
    """The run's cache folder (from ``JOURNEYKIT_RUN_CACHE``), or None outside a run."""
    value = os.environ.get(ENV)
    if not value:
        return None
    folder = Path(value)
    return folder if folder.is_dir() else None


def fingerprint(workspace: str | os.PathLike) -> tuple[tuple[str, int, int], ...]:
    """``(relative path, bytes, mtime in ns)`` of every workspace file
    (:func:`journeykit.workspace.locations.workspace_files`: the files the run's input hashes cover)."""
    root = Path(workspace)
    entries = []
    for path in workspace_files(root):
        try:
            stat = path.stat()
        except OSError:  # removed since the walk saw it
            continue
        entries.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


def workspace_token(folder: Path, on_bad_rows: str, files: tuple) -> str:
    """The name of one workspace state's entries: folder, mode and fingerprint hashed."""
    text = repr((str(Path(folder).resolve()), on_bad_rows, files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _write(path: Path, value: Any) -> bool:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable result is computed in each notebook
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)  # readers see the whole entry or none
    except OSError:
        return False
    return True


def _read(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return _MISSING
    except Exception:  # noqa: BLE001 - a damaged entry is recomputed
        return _MISSING


def store_workspace(folder: Path, ws: Workspace, on_bad_rows: str, files: tuple, cache: Path) -> bool:
    """Store a freshly loaded workspace for the run's kernels; ``files`` is the
    :func:`fingerprint` taken before it was loaded. Returns whether it was stored."""
    token = workspace_token(folder, on_bad_rows, files)
    entry = cache / token
    large = dict(ws.large)
    try:
        for name, store in large.items():  # the checked log goes into the entry, with it
            ws.large[name] = replace(store, parquet=_link_or_copy(store.parquet, entry / f"{name}.parquet"),
                                     folder=entry)
    except OSError:
        ws.large = large
        return False
    derived, ws.derived = ws.derived, {}
    try:
        stored = _write(entry / "workspace.pickle", ws)
    finally:
        ws.derived, ws.large = derived, large
    return stored


def _link_or_copy(source: Path, target: Path) -> Path:
    """``source`` at ``target``: a hard link when the file system allows, else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(source, target)
    return target


def cached_workspace(folder: Path, on_bad_rows: str) -> Workspace | None:
    """The run's stored workspace when its files are unchanged, else None."""
    cache = cache_dir()
    if cache is None:
        return None
    token = workspace_token(folder, on_bad_rows, fingerprint(folder))
    ws = _read(cache / token / "workspace.pickle")
    if ws is _MISSING:
        return None
    stored = cast("Workspace", ws)
    stored.run_cache = cache / token
    return stored


def _memo_path(entry: Path, key: object) -> Path | None:
    text = repr(key)
    if " at 0x" in text:  # an object without a stable text form: not shareable
        return None
    return entry / f"memo-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}.pickle"


def memo(entry: Path, key: object, compute: Callable[[], Any]) -> Any:
    """``compute()``, or the result another notebook of the run stored for ``key``."""
    path = _memo_path(entry, key)
    if path is None:
        return compute()
    value = _read(path)
    if value is not _MISSING:
        return value
    with _locked(path.with_suffix(".lock")):  # another kernel computing it: wait, then read
        value = _read(path)
        if value is _MISSING:
            value = compute()
            _write(path, value)
    return value


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created) while the block runs; without one (the
    folder is gone or read-only) the block runs unlocked: results are the same, only
    possibly computed twice."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+b")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the handle closes, or the process dies
        yield
