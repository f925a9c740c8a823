"""Headless refresh: run the notebooks with papermill into one folder per run.

:func:`run_notebooks` is what ``journeykit run`` calls. One run:

1. takes the lock ``<out>/.journeykit-run.lock`` so two runs into one ``out`` cannot
   interleave (waits up to ``lock_timeout`` seconds, then :class:`RunLockedError`, exit 3);
2. validates the workspace while the first notebooks' kernels start; no cell runs before
   it passes (``WorkspaceError`` otherwise: kernels stopped, nothing kept; the CLI exits 2);
3. builds everything in ``<out>/.tmp-<run-id>/``: executes ``notebooks/NN_*.ipynb`` with
   papermill (:mod:`journeykit.run.execute`: kernel ``python3``, working directory
   ``notebooks/``, parameters ``workspace``, ``interactive=False``, ``output_dir``,
   ``on_bad_rows`` plus the user's), the independent notebooks in parallel and
   ``*_journey_report`` after them; each notebook that succeeds is exported to HTML (no
   code, no injected-parameters cell) at once, while the others still run; the kernels
   share the validated workspace and repeated analyses through a cache in the temporary
   folder (:mod:`journeykit.workspace.cache`);
4. on success writes ``metrics.json``, ``manifest.json`` (:mod:`journeykit.run.manifest`),
   the action plan (CSV + XLSX) and ``index.html`` (:func:`journeykit.viz.report.build_report`),
   renames the folder to ``<out>/<run-id>/`` and points ``<out>/latest`` at it
   (:mod:`journeykit.run.runs`);
5. on failure renames it to ``<out>/<run-id>-failed/`` (the executed notebook marks the
   failing cell) and leaves ``latest`` as it was.

A run never writes into the workspace. Run folder layout::

    <run-id>/index.html            the journey report (self-contained)
             manifest.json         run id, parameters, versions, input hashes, timings
             metrics.json          {"run_id", "metrics": {name: {value, n, ci_low, ci_high, unit, label}}}
             figures/ figures.json tables/ metrics/ notes.json   (written by the notebooks)
             notebooks/NN_name.ipynb, notebooks/NN_name.html
             action_plan.csv, action_plan.xlsx                  (when there are pain points)

Exit codes of ``journeykit run`` (:class:`journeykit.run.exit_codes.ExitCode`): 0 success,
1 a notebook failed, 2 invalid workspace or arguments, 3 another run holds the lock,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

Example:
    >>> result = run_notebooks("data/sample", out="reports", quiet=True)   # doctest: +SKIP
    >>> result.status, result.path.name                                     # doctest: +SKIP
    ('success', '20261122T195300Z')
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from filelock import FileLock, Timeout

from journeykit.analytics.painpoints import action_plan, export_action_plan
from journeykit.core.errors import JourneykitError
from journeykit.core.safety import atomic_write_bytes, json_bytes, read_json
from journeykit.run.execute import (
    Gate,
    KernelRegistry,
    execute_notebook,
    kill_kernels,
    quiet_kernel_machinery,
    validate_workspace_for_run,
)
from journeykit.run.exit_codes import ExitCode
from journeykit.run.manifest import build_manifest, changed_inputs, hash_workspace
from journeykit.run.outputs import FORMATS_ENV
from journeykit.run.outputs import figure_formats as parse_figure_formats
from journeykit.run.progress import Progress, ProgressEvent
from journeykit.run.results import NotebookRun, RunResult
from journeykit.run.runs import (
    FAILED_SUFFIX,
    TMP_PREFIX,
    make_run_id,
    point_latest,
    resolve_latest,
    unique_run_id,
)
from journeykit.viz.report import build_report
from journeykit.workspace import Workspace, locations
from journeykit.workspace import cache as runcache

__all__ = [
    "DEFAULT_LOCK_TIMEOUT", "FINAL_NOTEBOOK_SUFFIX", "LOCK_FILE", "RESERVED_PARAMETERS",
    "RunInterrupted", "RunLockedError", "RunWriteError",
    "discover_notebooks", "merge_metrics", "run_notebooks",
]

LOCK_FILE = ".journeykit-run.lock"
DEFAULT_LOCK_TIMEOUT = 600.0
#: notebooks whose stem ends like this run after all the others (they read their outputs)
FINAL_NOTEBOOK_SUFFIX = "journey_report"
#: parameters the runner sets itself; users change them through the run's options
RESERVED_PARAMETERS = ("workspace", "interactive", "output_dir", "on_bad_rows", "reports_dir")


class RunLockedError(JourneykitError):
    """Another run holds the output folder's lock for longer than ``lock_timeout``."""


class RunWriteError(JourneykitError):
    """The run folder could not be written (disk full, read-only file system, ...)."""


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM); ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


# -- which notebooks, in which order ----------------------------------------------------------


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
    entries = manifest.get("notebooks", []) if isinstance(manifest, dict) else []
    seconds = {n.get("name"): n.get("duration_s") for n in entries if isinstance(n, dict)}

    def known(nb: Path) -> float:
        value = seconds.get(nb.stem)
        return float(value) if isinstance(value, int | float) else float("inf")

    return sorted(stage, key=lambda nb: -known(nb))


# -- what a successful run adds -------------------------------------------------------------


def merge_metrics(run_dir: str | os.PathLike, run_id: str) -> dict[str, Any]:
    """``metrics/*.json`` of a run folder merged into the ``metrics.json`` shape (later
    notebooks win on equal names)."""
    merged: dict[str, Any] = {}
    for path in sorted(Path(run_dir).glob("metrics/*.json")):
        data = read_json(path)
        if isinstance(data, dict):
            merged.update(data)
    return {"run_id": run_id, "metrics": merged}


def _write_action_plan(run_dir: Path, ws: Workspace) -> None:
    """Write ``action_plan.csv``/``.xlsx`` at the top of the run folder: the notebooks'
    ``tables/action_plan.csv``, else the plan of the validated workspace ``ws`` (nothing
    when it has no pain points)."""
    source = run_dir / "tables" / "action_plan.csv"
    if source.is_file():
        plan = pd.read_csv(source, keep_default_na=False, encoding="utf-8")
    else:
        plan = action_plan(ws)
        if len(plan) == 0:
            return
    export_action_plan(plan, run_dir / "action_plan.csv")
    export_action_plan(plan, run_dir / "action_plan.xlsx")


def _append_note(run_dir: Path, kind: str, text: str) -> None:
    path = run_dir / "notes.json"
    notes = read_json(path)
    notes = notes if isinstance(notes, list) else []
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
    :class:`RunLockedError`, :class:`RunWriteError` (the run folder could not be written),
    ``KeyboardInterrupt``/:class:`RunInterrupted` (temporary folder removed). A failed
    notebook is not raised: the result has ``status="failed"``.
    """
    if on_bad_rows not in ("strict", "quarantine"):
        raise JourneykitError(f"on_bad_rows must be 'strict' or 'quarantine', not {on_bad_rows!r}")
    user_parameters = dict(parameters or {})
    reserved = sorted(set(user_parameters) & set(RESERVED_PARAMETERS))
    if reserved:
        raise JourneykitError(
            f"parameter(s) {', '.join(reserved)} are set by the runner; use --workspace/--out/--on-bad-rows"
        )
    formats = parse_figure_formats(figure_formats)
    if jobs is not None and int(jobs) < 1:
        raise JourneykitError(f"jobs must be at least 1, not {jobs}")
    ws_path = locations.resolve_workspace(workspace).resolve()
    out_path = Path(out).expanduser().resolve()
    if out_path == ws_path or ws_path in out_path.parents:
        raise JourneykitError(f"the output folder {out_path} is inside the workspace {ws_path}; "
                              "a run never writes into the workspace - choose another --out")
    nb_dir = Path(notebooks_dir or locations.NOTEBOOKS_DIR).resolve()
    selected = discover_notebooks(nb_dir, notebooks)

    try:
        out_path.mkdir(parents=True, exist_ok=True)
        probe = out_path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise JourneykitError(f"cannot write to the output folder {out_path}: {exc.strerror or exc}") from exc

    lock = FileLock(str(out_path / LOCK_FILE), timeout=lock_timeout)
    try:
        lock.acquire()
    except Timeout:
        raise RunLockedError(
            f"another journeykit run is writing into {out_path} (lock {out_path / LOCK_FILE} held "
            f"for more than {lock_timeout:g} s); try again when it has finished, or raise --lock-timeout"
        ) from None
    try:
        # what the kernel machinery says while kernels start, die or are killed stays off the
        # terminal (the kit reports the outcome itself); a failed run keeps it in run.log
        with quiet_kernel_machinery() as chatter:
            result = _run_locked(
                ws_path, out_path, nb_dir, selected, user_parameters,
                jobs=int(jobs or os.cpu_count() or 1), on_bad_rows=on_bad_rows, timeout=timeout,
                quiet=quiet, progress=progress, build_index=build_index, formats=formats,
            )
        if result.failure and chatter.lines:
            with contextlib.suppress(OSError):  # the log is a help, never a second failure
                with (result.path / "run.log").open("a", encoding="utf-8") as log:
                    log.write("\nkernel machinery:\n" + "\n".join(chatter.lines) + "\n")
        return result
    finally:
        lock.release()



def _run_locked(
    ws_path: Path, out_path: Path, nb_dir: Path, selected: list[Path], user_parameters: dict,
    *, jobs: int, on_bad_rows: Literal["strict", "quarantine"], timeout: float | None,
    quiet: bool, progress: Callable[[ProgressEvent], Any] | None, build_index: bool, formats: tuple[str, ...],
) -> RunResult:
    # left-overs of killed runs: nobody else can hold them while we hold the lock
    for stale in out_path.glob(TMP_PREFIX + "*"):
        if stale.is_dir():
            _rmtree(stale)
    started = datetime.now(timezone.utc)
    run_id = unique_run_id(out_path, make_run_id(started))
    tmp = out_path / f"{TMP_PREFIX}{run_id}"
    previous = resolve_latest(out_path)
    inputs_before = hash_workspace(ws_path)
    notebook_parameters = {
        "workspace": str(ws_path), "interactive": False, "output_dir": str(tmp),
        "on_bad_rows": on_bad_rows, "reports_dir": str(out_path), **user_parameters,
    }
    results: dict[str, NotebookRun] = {}
    registry = KernelRegistry()
    reporter = Progress(len(selected), quiet=quiet, callback=progress)
    began = time.perf_counter()
    try:
        (tmp / "notebooks").mkdir(parents=True)
        cache = tmp / runcache.CACHE_DIR  # the kernels share the validated workspace and results
        kernel_env = {FORMATS_ENV: ",".join(formats), runcache.ENV: str(cache)}
        gate = Gate()
        validated = None
        failed = False
        with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="journeykit-nb") as pool:
            try:
                for stage in _stages(selected):
                    if failed:
                        break
                    futures: dict[Future, Path] = {
                        pool.submit(
                            execute_notebook, nb, tmp / "notebooks" / nb.name, notebook_parameters,
                            cwd=nb_dir, timeout=timeout, registry=registry, progress=reporter,
                            env=kernel_env, gate=gate,
                        ): nb
                        for nb in _longest_first(stage, previous)
                    }
                    if validated is None:
                        # the first kernels start meanwhile; no cell runs before the gate opens
                        validated = validate_workspace_for_run(ws_path, on_bad_rows)
                        runcache.store_workspace(ws_path, validated.workspace, on_bad_rows, validated.files, cache)
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
                kill_kernels(registry)
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        assert validated is not None  # there is at least one notebook, so one stage
        _rmtree(cache)
        for nb in selected:
            if nb.stem not in results:
                results[nb.stem] = NotebookRun(nb.stem, "skipped")
                reporter.finish(results[nb.stem])
        reporter.close()
        phases = {"notebooks": time.perf_counter() - began}
        runs = tuple(results[nb.stem] for nb in selected)
        failure = next((r for r in runs if r.status == "failed"), None)
        if not failure:
            atomic_write_bytes(tmp / "metrics.json", json_bytes(merge_metrics(tmp, run_id)))
            _write_action_plan(tmp, validated.workspace)
        phases["metrics + action plan"] = time.perf_counter() - began - phases["notebooks"]
        changed = changed_inputs(inputs_before, hash_workspace(ws_path))
        if changed:
            _append_note(tmp, "warning", "workspace files changed during the run: " + ", ".join(changed))
        manifest = build_manifest(
            run_id=run_id, workspace=ws_path, out=out_path, parameters=notebook_parameters,
            on_bad_rows=on_bad_rows, figure_formats=formats, notebooks=runs, jobs=jobs, timeout=timeout,
            started=started, finished=datetime.now(timezone.utc), duration_s=time.perf_counter() - began,
            previous=previous, inputs=inputs_before, workspace_problems=validated.warnings,
            facts=validated.facts, phases=phases,
        )
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
                mark = time.perf_counter()
                build_report(tmp, previous_run_dir=previous)
                phases["report"] = time.perf_counter() - mark
            (tmp / ".outputs.lock").unlink(missing_ok=True)
            _make_readable(tmp)
            final = out_path / run_id
            os.replace(tmp, final)
            point_latest(out_path, run_id)
    except OSError as exc:  # disk full, read-only or vanished output folder: a clear error, not a traceback
        reporter.close()
        kill_kernels(registry)
        _rmtree(tmp)
        where = exc.filename or out_path
        raise RunWriteError(
            f"could not write the run into {out_path} ({exc.strerror or exc}: {where}); the temporary "
            "folder was removed and latest was not changed"
        ) from exc
    except BaseException:
        reporter.close()
        kill_kernels(registry)
        _rmtree(tmp)
        raise
    return RunResult(
        run_id=run_id, status="failed" if failure else "success", path=final,
        exit_code=ExitCode.FAILED if failure else ExitCode.OK,
        started=manifest["started"], finished=manifest["finished"], duration_s=manifest["duration_s"],
        notebooks=runs, failure=failure, phases=phases,
    )
