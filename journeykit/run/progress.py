"""Progress of a run: a callback, a tqdm bar on a terminal, or plain log lines.

The runner reports each notebook's start, cells and end through one :class:`Progress`;
``run_notebooks(progress=...)`` receives :class:`ProgressEvent` objects instead of output.

Example:
    >>> seen = []
    >>> progress = Progress(1, quiet=False, callback=seen.append)
    >>> progress.start("04_kpis", cells=3)
    >>> seen[0].kind, seen[0].total
    ('start', 1)
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from journeykit.run.results import NotebookRun

__all__ = ["Progress", "ProgressEvent"]


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


class Progress:
    """Progress of a run of ``total`` notebooks: events to ``callback`` when given, else
    nothing when ``quiet``, else a tqdm bar when ``stream`` (default stderr) is a terminal,
    else one line per notebook start and end. Thread-safe (notebooks run in parallel)."""

    def __init__(self, total: int, *, quiet: bool, callback: Callable[[ProgressEvent], Any] | None,
                 stream: Any = None):
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.callback = callback
        self.stream = stream or sys.stderr
        self.lock = threading.Lock()
        self.bar: Any = None
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
        """Notebook ``name`` (of ``cells`` cells) starts its first cell."""
        with self.lock:
            if self.wants_bar and self.bar is None and not self.closed:
                from tqdm.auto import tqdm  # only on a terminal

                self.bar = tqdm(total=self.total, unit="notebook", desc="journeykit run", file=self.stream,
                                dynamic_ncols=True, leave=True)
            self.running[name] = (0, cells)
            self._emit(ProgressEvent("start", name, self.done, self.total, cells=cells),
                       f"[{self.done}/{self.total}] {name}: started ({cells} cells)")

    def cell(self, name: str, index: int, cells: int) -> None:
        """Notebook ``name`` finished cell ``index`` (0-based) of ``cells``."""
        with self.lock:
            self.running[name] = (index + 1, cells)
            self._emit(ProgressEvent("cell", name, self.done, self.total, cell=index, cells=cells), None)

    def finish(self, run: NotebookRun) -> None:
        """A notebook ended (ok, failed or skipped)."""
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
        """Stop reporting (the bar is closed; later ``finish`` calls are ignored)."""
        self.closed = True
        if self.bar is not None:
            self.bar.close()
