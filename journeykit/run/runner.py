"""Headless refresh: run the notebooks with papermill into one folder per run.

:func:`run_notebooks` is what ``journeykit run`` calls. One run:

1. takes the lock ``<out>/.journeykit-run.lock`` so two runs into one ``out`` cannot
   interleave (waits up to ``lock_timeout`` seconds, then :class:`RunLockedError`, exit 3);
2. validates the workspace while the first notebooks' kernels start; no cell runs before
   it passes (``WorkspaceError`` otherwise: kernels stopped, nothing kept; the CLI exits 2);
3. builds everything in ``<out>/.tmp-<run-id>/``: executes ``notebooks/NN_*.ipynb`` with
   papermill (kernel ``python3``, working directory ``notebooks/``, parameters
   ``workspace``, ``interactive=False``, ``output_dir``, ``on_bad_rows`` plus the user's),
   the independent notebooks in parallel and ``*_journey_report`` after them; each
   notebook that succeeds is exported to HTML (no code, no injected-parameters cell) at
   once, while the others still run; the kernels share the validated workspace and
   repeated analyses through a cache in the temporary folder (:mod:`journeykit.workspace.cache`);
4. on success writes ``metrics.json``, ``manifest.json``, the action plan (CSV + XLSX) and ``index.html``,
   renames the folder to ``<out>/<run-id>/`` and points ``<out>/latest`` at it;
5. on failure renames it to ``<out>/<run-id>-failed/`` (the executed notebook marks the
   failing cell) and leaves ``latest`` as it was.

A run never writes into the workspace. Run folder layout::

    <run-id>/index.html            the journey report (self-contained)
             manifest.json         run id, parameters, versions, input hashes, timings
             metrics.json          {"run_id", "metrics": {name: {value, n, ci_low, ci_high, unit, label}}}
             figures/ figures.json tables/ metrics/ notes.json   (written by the notebooks)
             notebooks/NN_name.ipynb, notebooks/NN_name.html
             action_plan.csv, action_plan.xlsx                  (when there are pain points)

Exit codes of ``journeykit run``: 0 success, 1 a notebook failed, 2 invalid workspace or
arguments, 3 another run holds the lock, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

Example:
    >>> result = run_notebooks("data/sample", out="reports", quiet=True)   # doctest: +SKIP
    >>> result.status, result.path.name                                     # doctest: +SKIP
    ('success', '20261122T195300Z')
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import platform
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from journeykit.core.errors import JourneykitError, WorkspaceError
from journeykit.core.safety import atomic_write_bytes, json_bytes, read_json
from journeykit.run.outputs import FORMATS_ENV
from journeykit.run.outputs import figure_formats as outputs_figure_formats
from journeykit.viz.report import TEMPLATES
from journeykit.workspace import cache as runcache
from journeykit.workspace.locations import workspace_files

RUN_ID_RE = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
LOCK_FILE = ".journeykit-run.lock"
TMP_PREFIX = ".tmp-"
LATEST = "latest"
FAILED_SUFFIX = "-failed"
DEFAULT_LOCK_TIMEOUT = 600.0
KERNEL_NAME = "python3"
#: notebooks whose stem ends like this run after all the others (they read their outputs)
FINAL_NOTEBOOK_SUFFIX = "journey_report"
#: parameters the runner sets itself; users change them through the run's options
RESERVED_PARAMETERS = ("workspace", "interactive", "output_dir", "on_bad_rows", "reports_dir")
#: set by the runner only for notebooks whose parameters cell declares them
OPTIONAL_PARAMETERS = ("reports_dir",)
KEY_PACKAGES = (
    "pandas", "numpy", "scipy", "matplotlib", "seaborn", "duckdb", "pyarrow",
    "vaderSentiment", "papermill", "nbconvert", "nbclient", "ipykernel", "jinja2", "openpyxl",
    "ipywidgets",
)

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_LOCKED = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class RunLockedError(JourneykitError):
    """Another run holds the output folder's lock for longer than ``lock_timeout``."""


class RunWriteError(JourneykitError):
    """The run folder could not be written (disk full, read-only file system, ...)."""


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM); ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


@dataclass(frozen=True)
class NotebookRun:
    """How one notebook went: ``status`` is ``ok``, ``failed`` or ``skipped``;
    ``duration_s`` in seconds; ``cell`` is the failing cell's index (0-based, as in the
    executed notebook) and ``error`` ``"ExceptionName: message"`` when it failed."""

    name: str
    status: Literal["ok", "failed", "skipped"]
    duration_s: float = 0.0
    cells: int = 0
    cell: int | None = None
    execution_count: int | None = None
    error: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class RunResult:
    """The outcome of :func:`run_notebooks`.

    ``status`` is ``success`` or ``failed``; ``path`` is ``<out>/<run-id>`` or
    ``<out>/<run-id>-failed``; ``exit_code`` is what the CLI exits with; ``durations``
    maps notebook name to seconds; ``failure`` is the first failed notebook, if any.
    """

    run_id: str
    status: Literal["success", "failed"]
    path: Path
    exit_code: int
    started: str
    finished: str
    duration_s: float
    notebooks: tuple[NotebookRun, ...]
    failure: NotebookRun | None = None
    phases: Mapping[str, float] = field(default_factory=dict)

    @property
    def durations(self) -> dict[str, float]:
        return {nb.name: nb.duration_s for nb in self.notebooks}


@dataclass(frozen=True)
class ProgressEvent:
    """Passed to a ``progress`` callback: ``kind`` is ``start``, ``cell``, ``done``,
    ``failed`` or ``skipped``; ``done``/``total`` count finished notebooks of the run."""

    kind: str
    notebook: str
    done: int
    total: int
    cell: int | None = None
    cells: int | None = None
    duration_s: float | None = None
    error: str | None = None


# -- run ids and run folders ---------------------------------------------------------


def make_run_id(now: datetime | None = None) -> str:
    """A sortable UTC timestamp, e.g. ``20261122T195300Z``.

    >>> make_run_id(datetime(2026, 11, 22, 19, 53, tzinfo=timezone.utc))
    '20261122T195300Z'
    """
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _unique_run_id(out: Path, base: str) -> str:
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
    id where symlinks are not available), or None when there is no successful run."""
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


def _point_latest(out: Path, run_id: str) -> None:
    """Point ``out/latest`` at ``run_id`` atomically (os.replace of a temporary symlink)."""
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
    """A run folder found in an output folder (see :func:`find_runs`)."""

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
        manifest = read_json(child / "manifest.json") or {}
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
    successful run before latest) or a path to a run folder."""
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


# -- helpers --------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def discover_notebooks(notebooks_dir: str | os.PathLike, selection: Sequence[str] | None = None) -> list[Path]:
    """The ``NN_*.ipynb`` notebooks of ``notebooks_dir`` in order, optionally only those
    named in ``selection`` (by number ``"04"``, full stem ``"04_kpis"`` or name ``"kpis"``)."""
    folder = Path(notebooks_dir)
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if not found:
        raise JourneykitError(f"no notebooks (NN_name.ipynb) found in {folder}")
    if not selection:
        return found
    chosen: list[Path] = []
    for token in selection:
        token = str(token).strip().removesuffix(".ipynb")
        if not token:
            continue
        hits = [p for p in found if token in (p.stem, p.stem[:2], p.stem[3:])]
        if not hits:
            names = ", ".join(p.stem for p in found)
            raise JourneykitError(f"--notebooks: no notebook {token!r} (available: {names})")
        chosen.extend(h for h in hits if h not in chosen)
    if not chosen:
        raise JourneykitError(f"--notebooks: no notebook named (available: {', '.join(p.stem for p in found)})")
    return sorted(chosen)


def _stages(notebooks: list[Path]) -> list[list[Path]]:
    """Notebooks grouped into stages run one after the other; inside a stage they are
    independent. The final report notebook(s) form the last stage."""
    first = [p for p in notebooks if not p.stem.endswith(FINAL_NOTEBOOK_SUFFIX)]
    last = [p for p in notebooks if p.stem.endswith(FINAL_NOTEBOOK_SUFFIX)]
    return [stage for stage in (first, last) if stage]


def _longest_first(stage: list[Path], previous: Path | None) -> list[Path]:
    """The notebooks of a stage ordered by their duration in the previous run, longest
    first (so the pool does not end with one long notebook running alone); notebooks
    without a previous time keep their order, first."""
    manifest = read_json(previous / "manifest.json") if previous is not None else None
    seconds = {n.get("name"): n.get("duration_s") for n in (manifest or {}).get("notebooks", [])
               if isinstance(n, dict)}
    known = {nb: seconds.get(nb.stem) for nb in stage}
    return sorted(stage, key=lambda nb: -(known[nb] if isinstance(known[nb], int | float) else float("inf")))


def parse_parameter_value(text: str) -> Any:
    """A ``-p NAME VALUE`` value as papermill's CLI reads it: ``True``/``False``/``None``,
    an int, a float, else the text.

    >>> [parse_parameter_value(v) for v in ("3", "0.5", "True", "None", "2026-01-31")]
    [3, 0.5, True, None, '2026-01-31']
    """
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    if text in ("None", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def hash_workspace(workspace: str | os.PathLike) -> list[dict[str, Any]]:
    """``[{"path", "bytes", "sha256"}]`` for every file of the workspace (relative paths,
    sorted; hidden folders such as ``.history`` are skipped)."""
    root = Path(workspace)
    entries = []
    for path in workspace_files(root):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda handle=handle: handle.read(1 << 20), b""):
                digest.update(chunk)
        entries.append(
            {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}
        )
    return entries


def package_versions() -> dict[str, str | None]:
    """Versions of journeykit, Python and the key packages (None when not installed)."""
    import journeykit

    versions: dict[str, str | None] = {
        "journeykit": getattr(journeykit, "__version__", None),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _validate(workspace: Path, on_bad_rows: str) -> tuple[list[dict], dict[str, Any], Any, tuple]:
    """Load the workspace once as the notebooks will (raises WorkspaceError on errors,
    before any notebook runs). Returns its warnings as dicts, facts for the manifest
    (business name, KPI targets, rows set aside), the loaded workspace and the
    :func:`journeykit.workspace.cache.fingerprint` of its files taken before loading."""
    from journeykit.workspace.cache import fingerprint
    from journeykit.workspace.loader import load_workspace

    files = fingerprint(workspace)
    ws = load_workspace(workspace, on_bad_rows=on_bad_rows)  # type: ignore[arg-type]
    warnings = [p.to_dict() for p in ws.problems]
    facts = {
        "business": ws.config.business,
        "currency": ws.config.currency,
        "kpi_targets": dict(ws.config.kpis),
        "quarantined_rows": {name: len(frame) for name, frame in ws.rejected.items()},
    }
    return warnings, facts, ws, files


# -- progress ---------------------------------------------------------------------------


class _Progress:
    """Progress of a run: a callback, a tqdm bar on a terminal, or plain log lines."""

    def __init__(self, total: int, *, quiet: bool, callback: Callable[[ProgressEvent], Any] | None,
                 stream: Any = None):
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.callback = callback
        self.stream = stream or sys.stderr
        self.lock = threading.Lock()
        self.bar = None
        self.running: dict[str, tuple[int, int]] = {}
        self.closed = False
        # the bar appears with the first notebook that starts (not for a workspace that fails validation)
        self.wants_bar = not quiet and callback is None and getattr(self.stream, "isatty", lambda: False)()

    def _emit(self, event: ProgressEvent, line: str | None) -> None:
        if self.callback is not None:
            self.callback(event)
            return
        if self.quiet:
            return
        if self.bar is not None:
            if line and event.kind != "cell":
                self.bar.write(line, file=self.stream)
            running = ", ".join(f"{n} {c}/{t}" for n, (c, t) in sorted(self.running.items()))
            self.bar.set_postfix_str(running, refresh=True)
        elif line:
            print(line, file=self.stream, flush=True)

    def start(self, name: str, cells: int) -> None:
        with self.lock:
            if self.wants_bar and self.bar is None and not self.closed:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=self.total, unit="notebook", desc="journeykit run", file=self.stream,
                                dynamic_ncols=True, leave=True)
            self.running[name] = (0, cells)
            self._emit(ProgressEvent("start", name, self.done, self.total, cells=cells),
                       f"[{self.done}/{self.total}] {name}: started ({cells} cells)")

    def cell(self, name: str, index: int, cells: int) -> None:
        with self.lock:
            self.running[name] = (index + 1, cells)
            self._emit(ProgressEvent("cell", name, self.done, self.total, cell=index, cells=cells), None)

    def finish(self, run: NotebookRun) -> None:
        if self.closed:
            return
        with self.lock:
            self.running.pop(run.name, None)
            self.done += 1
            if self.bar is not None:
                self.bar.update(1)
            if run.status == "ok":
                line = f"[{self.done}/{self.total}] {run.name}: done in {run.duration_s:.1f} s"
            elif run.status == "skipped":
                line = f"[{self.done}/{self.total}] {run.name}: skipped (an earlier notebook failed)"
            else:
                line = f"[{self.done}/{self.total}] {run.name}: FAILED in cell {run.cell}: {run.error}"
            kind = {"ok": "done"}.get(run.status, run.status)
            self._emit(ProgressEvent(kind, run.name, self.done, self.total, cells=run.cells,
                                     duration_s=run.duration_s, error=run.error), line)

    def close(self) -> None:
        self.closed = True
        if self.bar is not None:
            self.bar.close()


# -- executing notebooks ------------------------------------------------------------------


class _KernelRegistry(list):
    """The kernel managers of one run, and whether the run is being stopped."""

    def __init__(self) -> None:
        super().__init__()
        self.stopping = threading.Event()


def _tracked_kernel_manager(registry: _KernelRegistry, kernel_log: Path, env: Mapping[str, str]) -> type:
    """A kernel manager class that records its instances, so an interrupted run can
    kill its kernels (threads cannot be stopped, kernels can), sends the kernel
    process's own stderr (start-up warnings, crashes) to ``kernel_log`` and adds ``env``
    to the kernel's environment."""
    from jupyter_client.manager import AsyncKernelManager

    class _Tracked(AsyncKernelManager):
        async def start_kernel(self, **kwargs: Any) -> None:  # type: ignore[override]
            registry.append(self)
            handle = open(kernel_log, "ab")  # noqa: SIM115 - closed when the kernel is shut down
            self._journeykit_log = handle
            kwargs.setdefault("stderr", handle)
            kwargs.setdefault("stdout", handle)
            kwargs["env"] = {**(kwargs.get("env") or os.environ), **env}
            await super().start_kernel(**kwargs)
            if registry.stopping.is_set():  # stopped while this kernel was starting
                _kill_kernels(registry)

        async def shutdown_kernel(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
            try:
                await super().shutdown_kernel(*args, **kwargs)
            finally:
                handle = getattr(self, "_journeykit_log", None)
                if handle is not None:
                    handle.close()

    return _Tracked


#: seconds between saves of a notebook while it executes (papermill saves at every cell
#: start and end; the runner needs the file only when the notebook has finished or failed)
SAVE_EVERY_S = 10.0
ENGINE_NAME = "journeykit"


@functools.cache
def _register_engine() -> str:
    """Register (once) a papermill engine that saves the executed notebook when execution
    ends - success, error, timeout or dead kernel alike - and every :data:`SAVE_EVERY_S`
    seconds, instead of twice per cell (a full JSON write of the growing notebook, with
    its images, in the runner's process). Returns its name for ``engine_name``."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class _SparseSaves(NotebookExecutionManager):
        finished = False

        def save(self, **kwargs: Any) -> None:
            if self.finished or (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY_S:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs: Any) -> None:
            self.finished = True
            super().notebook_complete(**kwargs)

    class _Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: Any = None, progress_bar: bool = True,
                             log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
            nb_man = _SparseSaves(nb, output_path=output_path, progress_bar=progress_bar,
                                  log_output=log_output, autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE_NAME, _Engine)
    return ENGINE_NAME


def _kill_kernels(registry: list) -> None:
    if isinstance(registry, _KernelRegistry):
        registry.stopping.set()
    for km in list(registry):
        provisioner = getattr(km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        if not pid:
            continue
        try:
            if hasattr(os, "killpg"):
                os.killpg(getattr(provisioner, "pgid", None) or pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                os.kill(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _mark_failure(executed: Path, cell: int | None, error: str) -> None:
    """Put an error marker at the top of an executed notebook that papermill did not
    mark itself (cell timeout, dead kernel); the message stays out of the markdown."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return
    if any("papermill-error-cell" in str(c.get("source", "")) for c in nb.cells[:2]):
        return
    where = "before the first cell finished" if cell is None else f"in cell {cell}"
    kind = error.split(":", 1)[0]
    marker = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; '
        f'font-size:2em;">journeykit run stopped {where} ({kind}); see run.log.</span>'
    )
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells.insert(0, marker)
    atomic_write_bytes(executed, nbformat.writes(nb).encode("utf-8"))


class _Gate:
    """Holds every notebook at its first cell until the workspace is validated, so the
    kernels start while the runner validates; :meth:`fail` releases them to stop."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.failed = False

    def open(self) -> None:
        self._event.set()

    @property
    def is_open(self) -> bool:
        return self._event.is_set() and not self.failed

    def fail(self) -> None:
        self.failed = True
        self._event.set()

    def wait(self) -> None:
        self._event.wait()
        if self.failed:
            raise RuntimeError("the workspace did not validate; no notebook runs")


def _execute_one(
    notebook: Path,
    executed: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    timeout: float | None,
    registry: list,
    progress: _Progress,
    env: Mapping[str, str] | None = None,
    gate: _Gate | None = None,
) -> NotebookRun:
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = notebook.stem
    try:
        cells = len(nbformat.read(notebook, as_version=4).cells)
    except Exception:  # noqa: BLE001 - papermill reports unreadable notebooks below
        cells = 0
    current: dict[str, int | None] = {"cell": None}
    began = time.perf_counter()

    def on_start(cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        nonlocal began
        if current["cell"] is None:  # the kernel is up: wait for the workspace to be validated
            if gate is not None:
                waiting = time.perf_counter()
                gate.wait()
                began += time.perf_counter() - waiting  # the wait is not the notebook's time
            progress.start(name, cells)
        current["cell"] = cell_index
        if isinstance(registry, _KernelRegistry) and registry.stopping.is_set():
            raise RuntimeError("the run is being stopped")

    def on_done(cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        progress.cell(name, cell_index, cells + 1)  # + the injected-parameters cell

    kernel_log = executed.with_suffix(".kernel.log")
    km_class = _tracked_kernel_manager(registry, kernel_log, env or {})
    declared = _declared_parameters(notebook)
    parameters = {k: v for k, v in parameters.items() if k not in OPTIONAL_PARAMETERS or k in declared}
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            engine_name=_register_engine(),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,
            execution_timeout=timeout,
            resources={"metadata": {"path": str(cwd)}},
            kernel_manager_class=km_class,
            on_cell_start=on_start,
            on_cell_executed=on_done,
        )
    except PapermillExecutionError as exc:
        run = NotebookRun(
            name, "failed", time.perf_counter() - began, cells, cell=exc.cell_index,
            execution_count=exc.exec_count, error=f"{exc.ename}: {exc.evalue}", source=exc.source,
        )
    except Exception as exc:  # noqa: BLE001 - any failure becomes a failed notebook, kept on disk
        message = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {message[-1] if message else ''}".rstrip(": ")
        if executed.exists():
            _mark_failure(executed, current["cell"], error)
        run = NotebookRun(name, "failed", time.perf_counter() - began, cells, cell=current["cell"], error=error)
    else:
        run = NotebookRun(name, "ok", time.perf_counter() - began, cells)
        # exported at once, while the other notebooks still run (they use the other cores)
        export_notebook_html(executed, executed.with_suffix(".html"))
    if kernel_log.exists() and not _meaningful_log(kernel_log):
        kernel_log.unlink()
    if gate is None or not gate.failed:  # an invalid workspace is reported as such, not per notebook
        progress.finish(run)
    return run


def _declared_parameters(notebook: Path) -> set[str]:
    """Names in the notebook's ``parameters`` cell (empty when it cannot be inspected)."""
    try:
        import papermill

        return set(papermill.inspect_notebook(str(notebook)))
    except Exception:  # noqa: BLE001 - inspection is best effort
        return set()


def _meaningful_log(path: Path) -> bool:
    """False when a kernel's stderr holds nothing but ipykernel's transport warning."""
    noise = ("running over TCP without encryption", "KeyboardInterrupt caught in kernel")
    lines = [ln for ln in path.read_text("utf-8", errors="replace").splitlines() if ln.strip()]
    return any(not any(n in ln for n in noise) for ln in lines)


#: output types kept in the HTML export; everything else (JavaScript, widget views, SVG
#: that could carry scripts, Markdown/LaTeX renderings of data) falls back to text/plain
_SAFE_OUTPUT_TYPES = ("text/plain", "image/png", "image/jpeg")
_OUTPUT_TAGS = ["table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
                "div", "span", "p", "br", "hr", "b", "i", "em", "strong", "code", "pre", "ul", "ol",
                "li", "h1", "h2", "h3", "h4", "h5", "h6", "small", "sub", "sup", "blockquote"]
_OUTPUT_ATTRIBUTES = {"*": ["class"], "th": ["colspan", "rowspan", "scope"], "td": ["colspan", "rowspan"]}
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style>", re.IGNORECASE | re.DOTALL)


def clean_output_html(markup: str) -> str:
    """HTML produced by a cell (a DataFrame's table, say) reduced to an allow-list of
    presentational tags: no scripts, no event handlers, no links, no styles."""
    import bleach

    return bleach.clean(_STYLE_BLOCK.sub("", markup), tags=_OUTPUT_TAGS, attributes=_OUTPUT_ATTRIBUTES,
                        strip=True, strip_comments=True)


def _sanitise_outputs(nb: Any) -> None:
    """Keep only safe output types; clean HTML outputs (the notebook's own Markdown
    prose is trusted and rendered as written)."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            for key in list(data):
                if key == "text/html":
                    data[key] = clean_output_html(data[key])
                elif key not in _SAFE_OUTPUT_TYPES:
                    del data[key]


def export_notebook_html(executed: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Export an executed notebook to HTML for readers: no code, no prompts, no
    injected-parameters cell, no scripts or requests to the internet (MathJax, require.js
    and widget scripts are left out; cell outputs are sanitised to an allow-list, the
    notebook's own Markdown is rendered)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    _sanitise_outputs(nb)
    with _EXPORT_LOCK:  # one exporter per process: its templates are compiled once, not per notebook
        body, _ = _html_exporter().from_notebook_node(nb, resources={"metadata": {"name": Path(executed).stem}})
    return atomic_write_bytes(target, body.encode("utf-8"))


_EXPORT_LOCK = threading.Lock()


@functools.cache
def _html_exporter() -> Any:
    """The nbconvert exporter of :func:`export_notebook_html` (built once per process)."""
    from jinja2 import FileSystemLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    remover = TagRemovePreprocessor(remove_cell_tags={"injected-parameters", "parameters", "remove_cell"},
                                    enabled=True)
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        sanitize_html=False,  # done above with a wider allow-list (bleach's default escapes <p>, <h2>, <table>)
        embed_images=True,
        extra_loaders=[FileSystemLoader(str(TEMPLATES))],
        template_file="notebook.html.j2",
    )
    exporter.register_preprocessor(remover, enabled=True)
    return exporter


def merge_metrics(run_dir: str | os.PathLike, run_id: str) -> dict[str, Any]:
    """``metrics/*.json`` of a run folder merged into the ``metrics.json`` shape (later
    notebooks win on equal names)."""
    merged: dict[str, Any] = {}
    for path in sorted(Path(run_dir).glob("metrics/*.json")):
        data = read_json(path)
        if isinstance(data, dict):
            merged.update(data)
    return {"run_id": run_id, "metrics": merged}


def _write_action_plan(run_dir: Path, workspace: Path, on_bad_rows: str) -> str | None:
    """Write ``action_plan.csv``/``.xlsx`` at the top of the run folder (from the
    notebooks' ``tables/action_plan.csv``, else computed from the workspace); returns a
    note when it could not."""
    import pandas as pd

    from journeykit.core.safety import write_safe_csv, write_safe_xlsx

    try:
        from journeykit.analytics import painpoints
    except ImportError:  # pragma: no cover - painpoints is part of the kit
        painpoints = None  # type: ignore[assignment]
    source = run_dir / "tables" / "action_plan.csv"
    if source.is_file():
        plan = pd.read_csv(source, keep_default_na=False, encoding="utf-8")
    elif painpoints is not None:
        try:
            from journeykit.workspace.loader import load_workspace

            plan = painpoints.action_plan(load_workspace(workspace, on_bad_rows=on_bad_rows))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the action plan is optional, the report says why
            return f"action plan not written: {type(exc).__name__}: {exc}"
        if len(plan) == 0:
            return None
    else:
        return None
    if painpoints is not None and hasattr(painpoints, "export_action_plan"):
        painpoints.export_action_plan(plan, run_dir / "action_plan.csv")
        painpoints.export_action_plan(plan, run_dir / "action_plan.xlsx")
    else:  # pragma: no cover
        write_safe_csv(plan, run_dir / "action_plan.csv")
        write_safe_xlsx({"action plan": plan}, run_dir / "action_plan.xlsx")
    return None


def _append_note(run_dir: Path, kind: str, text: str) -> None:
    path = run_dir / "notes.json"
    notes = read_json(path) or []
    notes.append({"notebook": "runner", "kind": kind, "text": text})
    atomic_write_bytes(path, json_bytes(notes))


def _make_readable(folder: Path) -> None:
    """Give files written through temporary files (mode 0600) the usual permissions
    (0666 minus the umask), so a web server or colleague can read the report."""
    mask = os.umask(0)
    os.umask(mask)
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and (path.stat().st_mode & 0o777) == 0o600:
            path.chmod(0o666 & ~mask)


def _rmtree(path: Path) -> None:
    for _ in range(3):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.2)


# -- the run --------------------------------------------------------------------------------


def run_notebooks(
    workspace: str | os.PathLike | None = None,
    out: str | os.PathLike = "reports",
    *,
    parameters: Mapping[str, Any] | None = None,
    notebooks: Sequence[str] | None = None,
    jobs: int | None = None,
    on_bad_rows: Literal["strict", "quarantine"] = "strict",
    timeout: float | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    quiet: bool = False,
    progress: Callable[[ProgressEvent], Any] | None = None,
    notebooks_dir: str | os.PathLike | None = None,
    build_index: bool = True,
    figure_formats: str | None = None,
) -> RunResult:
    """Run the notebooks headlessly into ``<out>/<run-id>/`` (see the module docstring).

    ``workspace``: folder (None = the demo workspace). ``out``: the reports folder.
    ``parameters``: extra notebook parameters (e.g. ``{"persona": "p1", "as_of":
    "2026-06-30"}``). ``notebooks``: a selection like ``["01", "04"]``. ``jobs``: notebooks
    run at once (default: CPU count). ``timeout``: seconds one cell may take (None = no
    limit). ``lock_timeout``: seconds to wait for another run on the same ``out``.
    ``progress``: called with a :class:`ProgressEvent` per step instead of printing.
    ``notebooks_dir``: where the notebooks are (default: the kit's ``notebooks/``).
    ``figure_formats``: ``"png"`` or ``"png,svg"`` (an SVG copy of every figure, for
    slides and print; None = the ``JOURNEYKIT_FIGURE_FORMATS`` environment variable, else PNG).

    Raises :class:`WorkspaceError` (invalid workspace, nothing ran),
    :class:`JourneykitError` (bad arguments, output folder not writable),
    :class:`RunLockedError`, ``KeyboardInterrupt``/:class:`RunInterrupted` (temporary
    folder removed). A failed notebook is not raised: the result has ``status="failed"``.
    """
    from journeykit.workspace.locations import NOTEBOOKS_DIR, resolve_workspace

    if on_bad_rows not in ("strict", "quarantine"):
        raise JourneykitError(f"on_bad_rows must be 'strict' or 'quarantine', not {on_bad_rows!r}")
    user_parameters = dict(parameters or {})
    reserved = sorted(set(user_parameters) & set(RESERVED_PARAMETERS))
    if reserved:
        raise JourneykitError(
            f"parameter(s) {', '.join(reserved)} are set by the runner; use --workspace/--out/--on-bad-rows"
        )
    formats = outputs_figure_formats(figure_formats)
    if jobs is not None and int(jobs) < 1:
        raise JourneykitError(f"jobs must be at least 1, not {jobs}")
    ws_path = resolve_workspace(workspace).resolve()
    out_path = Path(out).expanduser().resolve()
    if out_path == ws_path or ws_path in out_path.parents:
        raise JourneykitError(f"the output folder {out_path} is inside the workspace {ws_path}; "
                              "a run never writes into the workspace - choose another --out")
    nb_dir = Path(notebooks_dir or NOTEBOOKS_DIR).resolve()
    selected = discover_notebooks(nb_dir, notebooks)

    try:
        out_path.mkdir(parents=True, exist_ok=True)
        probe = out_path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise JourneykitError(f"cannot write to the output folder {out_path}: {exc.strerror or exc}") from exc

    from filelock import FileLock, Timeout

    lock = FileLock(str(out_path / LOCK_FILE), timeout=lock_timeout)
    try:
        lock.acquire()
    except Timeout:
        raise RunLockedError(
            f"another journeykit run is writing into {out_path} (lock {out_path / LOCK_FILE} held "
            f"for more than {lock_timeout:g} s); try again when it has finished, or raise --lock-timeout"
        ) from None
    try:
        return _run_locked(
            ws_path, out_path, nb_dir, selected, user_parameters,
            jobs=int(jobs or os.cpu_count() or 1), on_bad_rows=on_bad_rows, timeout=timeout,
            quiet=quiet, progress=progress, build_index=build_index, formats=formats,
        )
    finally:
        lock.release()


def _run_locked(
    ws_path: Path, out_path: Path, nb_dir: Path, selected: list[Path], user_parameters: dict,
    *, jobs: int, on_bad_rows: str, timeout: float | None,
    quiet: bool, progress: Callable[[ProgressEvent], Any] | None, build_index: bool, formats: tuple[str, ...],
) -> RunResult:
    # left-overs of killed runs: nobody else can hold them while we hold the lock
    for stale in out_path.glob(TMP_PREFIX + "*"):
        if stale.is_dir():
            _rmtree(stale)
    started = _now()
    run_id = _unique_run_id(out_path, make_run_id(started))
    tmp = out_path / f"{TMP_PREFIX}{run_id}"
    previous = resolve_latest(out_path)
    inputs_before = hash_workspace(ws_path)
    notebook_parameters = {
        "workspace": str(ws_path), "interactive": False, "output_dir": str(tmp),
        "on_bad_rows": on_bad_rows, "reports_dir": str(out_path), **user_parameters,
    }
    results: dict[str, NotebookRun] = {}
    registry = _KernelRegistry()
    reporter = _Progress(len(selected), quiet=quiet, callback=progress)
    began = time.perf_counter()
    try:
        (tmp / "notebooks").mkdir(parents=True)
        cache = tmp / runcache.CACHE_DIR  # the kernels share the validated workspace and results
        kernel_env = {FORMATS_ENV: ",".join(formats), runcache.ENV: str(cache)}
        gate = _Gate()
        failed = False
        with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="journeykit-nb") as pool:
            try:
                for stage in _stages(selected):
                    if failed:
                        break
                    futures: dict[Future, Path] = {
                        pool.submit(
                            _execute_one, nb, tmp / "notebooks" / nb.name, notebook_parameters,
                            cwd=nb_dir, timeout=timeout, registry=registry, progress=reporter,
                            env=kernel_env, gate=gate,
                        ): nb
                        for nb in _longest_first(stage, previous)
                    }
                    if not gate.is_open:
                        # the first kernels start meanwhile; no cell runs before the gate opens
                        workspace_warnings, facts, loaded, files = _validate(ws_path, on_bad_rows)
                        runcache.store_workspace(ws_path, loaded, on_bad_rows, files, cache)
                        gate.open()
                    pending = set(futures)
                    while pending:
                        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                        for future in done:
                            run = future.result()
                            results[run.name] = run
                            if run.status == "failed" and not failed:
                                failed = True
                                for other in pending:  # not started yet: skip; running: finish
                                    other.cancel()
                        pending = {f for f in pending if not f.cancelled()}
            except BaseException:
                gate.fail()
                reporter.close()
                _kill_kernels(registry)
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        _rmtree(cache)
        for nb in selected:
            if nb.stem not in results:
                results[nb.stem] = NotebookRun(nb.stem, "skipped")
                reporter.finish(results[nb.stem])
        reporter.close()
        phases = {"notebooks": time.perf_counter() - began}
        runs = tuple(results[nb.stem] for nb in selected)
        failure = next((r for r in runs if r.status == "failed"), None)
        status = "failed" if failure else "success"
        if not failure:
            atomic_write_bytes(tmp / "metrics.json", json_bytes(merge_metrics(tmp, run_id)))
            note = _write_action_plan(tmp, ws_path, on_bad_rows)
            if note:
                _append_note(tmp, "skipped", note)
        phases["metrics + action plan"] = time.perf_counter() - began - phases["notebooks"]
        inputs_after = hash_workspace(ws_path)
        if inputs_after != inputs_before:
            changed = sorted({e["path"] for e in inputs_after} ^ {e["path"] for e in inputs_before}
                             | {a["path"] for a, b in zip(inputs_after, inputs_before, strict=False) if a != b})
            _append_note(tmp, "warning", "workspace files changed during the run: " + ", ".join(changed))
        finished = _now()
        manifest = {
            "run_id": run_id,
            "status": status,
            "business": facts.get("business"),
            "workspace": str(ws_path),
            "out": str(out_path),
            "parameters": {k: v for k, v in notebook_parameters.items() if k != "output_dir"},
            "on_bad_rows": on_bad_rows,
            "figure_formats": list(formats),
            "notebooks": [asdict(r) for r in runs],
            "jobs": jobs,
            "timeout_s": timeout,
            "started": _iso(started),
            "finished": _iso(finished),
            "duration_s": round(time.perf_counter() - began, 3),
            "previous_run": previous.name if previous else None,
            "versions": package_versions(),
            "inputs": inputs_before,
            "workspace_problems": workspace_warnings,
            "quarantined_rows": facts.get("quarantined_rows", {}),
            "kpi_targets": facts.get("kpi_targets", {}),
            "phases_s": {k: round(v, 3) for k, v in phases.items()},
        }
        if failure:
            manifest["failure"] = asdict(failure)
        atomic_write_bytes(tmp / "manifest.json", json_bytes(manifest))
        if failure:
            text = (f"notebook: {failure.name}\ncell: {failure.cell}\n"
                    f"execution count: {failure.execution_count}\nerror: {failure.error}\n\n"
                    f"source:\n{failure.source or ''}\n")
            atomic_write_bytes(tmp / "run.log", text.encode("utf-8"))
            (tmp / ".outputs.lock").unlink(missing_ok=True)
            _make_readable(tmp)
            final = out_path / f"{run_id}{FAILED_SUFFIX}"
            os.replace(tmp, final)
        else:
            if build_index:
                from journeykit.viz.report import build_report

                mark = time.perf_counter()
                build_report(tmp, previous_run_dir=previous)
                phases["report"] = time.perf_counter() - mark
            (tmp / ".outputs.lock").unlink(missing_ok=True)
            _make_readable(tmp)
            final = out_path / run_id
            os.replace(tmp, final)
            _point_latest(out_path, run_id)
    except OSError as exc:  # disk full, read-only or vanished output folder: a clear error, not a traceback
        reporter.close()
        _kill_kernels(registry)
        _rmtree(tmp)
        where = exc.filename or out_path
        raise RunWriteError(
            f"could not write the run into {out_path} ({exc.strerror or exc}: {where}); the temporary "
            "folder was removed and latest was not changed"
        ) from exc
    except BaseException:
        reporter.close()
        _kill_kernels(registry)
        _rmtree(tmp)
        raise
    return RunResult(
        run_id=run_id, status=status, path=final, exit_code=EXIT_FAILED if failure else EXIT_OK,
        started=manifest["started"], finished=manifest["finished"], duration_s=manifest["duration_s"],
        notebooks=runs, failure=failure, phases=phases,
    )


# -- command line ---------------------------------------------------------------------------


def _print_problems(error: WorkspaceError, stream: Any) -> None:
    from journeykit.run.cli import format_problems

    print("The workspace has problems; no notebook was run:", file=stream)
    print(format_problems(error.problems), file=stream)


def _parameters_from_args(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    file = getattr(args, "parameters_file", None)
    if file:
        import yaml

        try:
            loaded = yaml.safe_load(Path(file).read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise JourneykitError(f"cannot read parameters file {file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise JourneykitError(f"parameters file {file} must hold a mapping of name: value")
        params.update({str(k): v for k, v in loaded.items()})
    for name, value in getattr(args, "parameter", None) or []:
        params[name] = parse_parameter_value(value)
    return params


def run_command(args: argparse.Namespace, *, stdout: Any = None, stderr: Any = None) -> int:
    """``journeykit run``: run the notebooks and return the exit code (see module docstring)."""
    from journeykit.workspace.locations import REPORTS_DIR

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    previous_handler = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        def _on_sigterm(signum: int, frame: Any) -> None:
            raise RunInterrupted(signum)

        previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        selection = None
        if getattr(args, "notebooks", None):
            selection = [t for t in str(args.notebooks).split(",") if t.strip()]
        result = run_notebooks(
            args.workspace,
            args.out or REPORTS_DIR,
            parameters=_parameters_from_args(args),
            notebooks=selection,
            jobs=args.jobs,
            on_bad_rows=args.on_bad_rows,
            timeout=args.timeout,
            lock_timeout=args.lock_timeout,
            quiet=args.quiet,
            figure_formats="png,svg" if getattr(args, "svg", False) else None,
        )
    except WorkspaceError as exc:
        _print_problems(exc, stderr)
        return EXIT_INVALID
    except RunLockedError as exc:
        print(f"journeykit run: {exc}", file=stderr)
        return EXIT_LOCKED
    except RunWriteError as exc:
        print(f"journeykit run: FAILED: {exc}", file=stderr)
        return EXIT_FAILED
    except JourneykitError as exc:
        print(f"journeykit run: {exc}", file=stderr)
        return EXIT_INVALID
    except RunInterrupted as exc:
        print(f"journeykit run: stopped by signal {exc.signum}; temporary files removed, latest unchanged",
              file=stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("journeykit run: interrupted; temporary files removed, latest unchanged", file=stderr)
        return EXIT_INTERRUPTED
    finally:
        if in_main_thread and previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    if result.failure:
        f = result.failure
        where = f"In [{f.execution_count}]" if f.execution_count else f"#{f.cell}"
        print(f"journeykit run: FAILED in notebook {f.name}, cell {where}: {f.error}", file=stderr)
        for line in (f.source or "").strip().splitlines()[:5]:
            print(f"  > {line}", file=stderr)
        print(f"  the executed notebook is kept in {result.path / 'notebooks' / (f.name + '.ipynb')}; "
              "latest was not changed", file=stderr)
        return EXIT_FAILED
    if args.quiet:  # --quiet: errors and the report path only
        print(result.path / "index.html", file=stdout)
    else:
        print(f"journeykit run: {result.run_id} done in {result.duration_s:.1f} s -> "
              f"{result.path / 'index.html'}", file=stdout)
    return EXIT_OK


__all__ = [
    "RunResult", "NotebookRun", "ProgressEvent", "RunInfo", "RunLockedError", "RunInterrupted", "RunWriteError",
    "run_notebooks", "run_command", "find_runs", "resolve_latest", "resolve_run",
    "make_run_id", "hash_workspace", "merge_metrics", "export_notebook_html", "discover_notebooks",
]
