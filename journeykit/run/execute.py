"""Executing one notebook with papermill, and the gate that holds kernels until the workspace validates.

:func:`execute_notebook` runs ``notebook`` into ``executed`` (kernel ``python3``, working
directory ``cwd``) with the run's parameters and returns a
:class:`~journeykit.run.results.NotebookRun`; a notebook that fails (an exception in a cell,
a cell timeout, a dead kernel) is kept on disk with its failing cell marked, never raised.
A notebook that succeeds is exported to HTML at once (:mod:`journeykit.run.export`).

Papermill runs through the engine of :func:`register_engine` (the executed notebook is
saved when execution ends and every :data:`SAVE_EVERY_S` seconds, not twice per cell) and
a kernel manager that records its kernels in a :class:`KernelRegistry`, so an interrupted
run can kill them (:func:`kill_kernels`: threads cannot be stopped, kernels can).

:class:`Gate` holds every notebook at its first cell until :func:`validate_workspace_for_run`
has loaded the workspace, so the kernels start while the runner validates.

:func:`quiet_kernel_machinery` keeps what jupyter_client, nbclient, papermill, asyncio,
tornado and zmq say while kernels start, die or are killed ("Kernel died…", "Task was
destroyed but it is pending", "Exception ignored in…", coroutine warnings) off the
user's terminal: the lines are collected in :class:`KernelChatter` (the runner writes
them into a failed run's ``run.log``); the kit prints its own message instead.

Example:
    >>> gate = Gate()
    >>> gate.is_open
    False
    >>> gate.open(); gate.is_open
    True
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from journeykit.core.safety import atomic_write_bytes
from journeykit.run.export import export_notebook_html
from journeykit.run.progress import Progress
from journeykit.run.results import NotebookRun
from journeykit.workspace import Workspace, load_workspace
from journeykit.workspace.cache import fingerprint

__all__ = [
    "ENGINE_NAME", "KERNEL_LOGGERS", "KERNEL_NAME", "OPTIONAL_PARAMETERS", "SAVE_EVERY_S", "Gate",
    "KernelChatter", "KernelRegistry", "Validated", "execute_notebook", "kill_kernels",
    "quiet_kernel_machinery", "register_engine", "validate_workspace_for_run",
]

KERNEL_NAME = "python3"
#: set by the runner only for notebooks whose parameters cell declares them
OPTIONAL_PARAMETERS = ("reports_dir",)
#: seconds between saves of a notebook while it executes (papermill saves at every cell
#: start and end; the runner needs the file only when the notebook has finished or failed)
SAVE_EVERY_S = 10.0
ENGINE_NAME = "journeykit"


#: the loggers of the kernel machinery whose messages stay off the terminal during a run
KERNEL_LOGGERS = ("traitlets", "nbclient", "papermill", "jupyter_client", "asyncio", "tornado",
                  "zmq", "ipykernel", "concurrent.futures")


# -- kernel chatter -----------------------------------------------------------------------


class KernelChatter(logging.Handler):
    """Collects what the kernel machinery logs or leaves unraisable during a run, as text
    ``lines`` (at most :attr:`KEEP` of them), instead of printing it on stderr."""

    KEEP = 500

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))

    def add(self, text: str) -> None:
        if len(self.lines) < self.KEEP:
            self.lines.append(text)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING:
            return  # papermill's "Executing Cell" and the like
        try:
            self.add(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never raise (a bad format string)
            self.add(f"{record.name} {record.levelname}: {record.msg!r}")

    def unraisable(self, unraisable: Any) -> None:
        """A ``sys.unraisablehook``: an exception in a finaliser (a socket or task of a
        killed kernel garbage-collected), kept instead of "Exception ignored in …"."""
        what = getattr(unraisable, "exc_value", None)
        self.add(f"unraisable: {type(what).__name__}: {what} ({getattr(unraisable, 'object', None)!r})")


@contextlib.contextmanager
def quiet_kernel_machinery(*, restore: bool = True) -> Iterator[KernelChatter]:
    """Within the block, :data:`KERNEL_LOGGERS`, unraisable exceptions and the runtime
    warnings of the kernel machinery go to the yielded :class:`KernelChatter`, not to
    stderr. ``restore=False`` leaves it so after the block (the ``journeykit`` command:
    the interpreter's exit collects the tasks and sockets of killed kernels, too)."""
    chatter = KernelChatter()
    saved = [(logging.getLogger(n), logging.getLogger(n).handlers[:], logging.getLogger(n).propagate)
             for n in KERNEL_LOGGERS]
    for logger, _handlers, _propagate in saved:
        logger.handlers = [chatter]
        logger.propagate = False
    previous_hook = sys.unraisablehook
    sys.unraisablehook = chatter.unraisable
    catcher = warnings.catch_warnings()
    catcher.__enter__()
    warnings.filterwarnings("ignore", category=RuntimeWarning, message=r"coroutine .* was never awaited")
    warnings.filterwarnings("ignore", category=ResourceWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(jupyter_client|zmq|nbclient|tornado)")
    try:
        yield chatter
    finally:
        if restore:
            gc.collect()  # the killed kernels' tasks and sockets, while still quiet
            catcher.__exit__(None, None, None)
            sys.unraisablehook = previous_hook
            for logger, handlers, propagate in saved:
                logger.handlers = handlers
                logger.propagate = propagate


# -- the validation gate ----------------------------------------------------------------


@dataclass(frozen=True)
class Validated:
    """The workspace as the run validated it: ``warnings`` (its problems as dicts),
    ``facts`` for the manifest (``business``, ``currency``, ``kpi_targets``,
    ``quarantined_rows``), the loaded ``workspace`` and the
    :func:`journeykit.workspace.cache.fingerprint` of its files taken before loading."""

    warnings: list[dict]
    facts: dict[str, Any]
    workspace: Workspace
    files: tuple


def validate_workspace_for_run(folder: Path, on_bad_rows: Literal["strict", "quarantine"]) -> Validated:
    """Load the workspace once as the notebooks will; raises
    :class:`~journeykit.core.errors.WorkspaceError` on errors, before any notebook runs."""
    files = fingerprint(folder)
    ws = load_workspace(folder, on_bad_rows=on_bad_rows)
    facts = {
        "business": ws.config.business,
        "currency": ws.config.currency,
        "kpi_targets": dict(ws.config.kpis),
        "quarantined_rows": {name: len(frame) for name, frame in ws.rejected.items()},
    }
    return Validated([p.to_dict() for p in ws.problems], facts, ws, files)


class Gate:
    """Holds every notebook at its first cell until the workspace is validated, so the
    kernels start while the runner validates; :meth:`fail` releases them to stop."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.failed = False

    def open(self) -> None:
        """The workspace validated: let the notebooks run."""
        self._event.set()

    @property
    def is_open(self) -> bool:
        return self._event.is_set() and not self.failed

    def fail(self) -> None:
        """The run stops: release the waiting notebooks, which then raise."""
        self.failed = True
        self._event.set()

    def wait(self) -> None:
        """Block until the gate opens; raises RuntimeError when it failed."""
        self._event.wait()
        if self.failed:
            raise RuntimeError("the workspace did not validate; no notebook runs")


# -- kernels --------------------------------------------------------------------------


class KernelRegistry(list):
    """The kernel managers of one run, and whether the run is being stopped."""

    def __init__(self) -> None:
        super().__init__()
        self.stopping = threading.Event()


def _tracked_kernel_manager(registry: KernelRegistry, kernel_log: Path, env: Mapping[str, str]) -> type:
    """A kernel manager class that records its instances, so an interrupted run can
    kill its kernels (threads cannot be stopped, kernels can), sends the kernel
    process's own stderr (start-up warnings, crashes) to ``kernel_log`` and adds ``env``
    to the kernel's environment."""
    from jupyter_client.manager import (
        AsyncKernelManager,  # with papermill: loaded when a run starts
    )

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
                kill_kernels(registry)

        async def shutdown_kernel(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
            try:
                await super().shutdown_kernel(*args, **kwargs)
            finally:
                handle = getattr(self, "_journeykit_log", None)
                if handle is not None:
                    handle.close()

    return _Tracked


def kill_kernels(registry: KernelRegistry) -> None:
    """Mark the run as stopping and kill the process group of every kernel it started."""
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


@functools.cache
def register_engine() -> str:
    """Register (once) a papermill engine that saves the executed notebook when execution
    ends - success, error, timeout or dead kernel alike - and every :data:`SAVE_EVERY_S`
    seconds, instead of twice per cell (a full JSON write of the growing notebook, with
    its images, in the runner's process). Returns its name for ``engine_name``."""
    from papermill.engines import (  # heavy: loaded when a run starts
        NBClientEngine,
        NotebookExecutionManager,
        papermill_engines,
    )

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


# -- one notebook -----------------------------------------------------------------------


def _mark_failure(executed: Path, cell: int | None, error: str) -> None:
    """Put an error marker at the top of an executed notebook that papermill did not
    mark itself (cell timeout, dead kernel); the message stays out of the markdown."""
    import nbformat  # heavy: only for a failed notebook

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


def _declared_parameters(notebook: Path) -> set[str]:
    """Names in the notebook's ``parameters`` cell (empty when it cannot be inspected)."""
    import papermill  # heavy: loaded when a run starts

    try:
        return set(papermill.inspect_notebook(str(notebook)))
    except Exception:  # noqa: BLE001 - papermill's inspection is best effort; execution reports real problems
        return set()


def _meaningful_log(path: Path) -> bool:
    """False when a kernel's stderr holds nothing but ipykernel's transport warning."""
    noise = ("running over TCP without encryption", "KeyboardInterrupt caught in kernel")
    lines = [ln for ln in path.read_text("utf-8", errors="replace").splitlines() if ln.strip()]
    return any(not any(n in ln for n in noise) for ln in lines)


def execute_notebook(
    notebook: Path,
    executed: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    timeout: float | None,
    registry: KernelRegistry,
    progress: Progress,
    env: Mapping[str, str] | None = None,
    gate: Gate | None = None,
) -> NotebookRun:
    """Execute ``notebook`` into ``executed`` with ``parameters`` (those of
    :data:`OPTIONAL_PARAMETERS` only when its parameters cell declares them), working
    directory ``cwd``, at most ``timeout`` seconds per cell (None = no limit), ``env``
    added to the kernel's environment; waits at the first cell for ``gate``. Reports to
    ``progress``; a success is exported to ``executed`` with suffix ``.html``."""
    import nbformat  # heavy (with papermill): loaded when a run starts
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
        if registry.stopping.is_set():
            raise RuntimeError("the run is being stopped")

    def on_done(cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        progress.cell(name, cell_index, cells + 1)  # + the injected-parameters cell

    kernel_log = executed.with_suffix(".kernel.log")
    km_class = _tracked_kernel_manager(registry, kernel_log, env or {})
    declared = _declared_parameters(notebook)
    parameters = {k: v for k, v in parameters.items() if k not in OPTIONAL_PARAMETERS or k in declared}
    run: NotebookRun
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            engine_name=register_engine(),
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
