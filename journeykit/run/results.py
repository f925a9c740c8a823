"""What a run reports: :class:`NotebookRun` per notebook, :class:`RunResult` for the run.

Example:
    >>> NotebookRun("04_kpis", "ok", 12.5).status
    'ok'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["NotebookRun", "RunResult"]


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
    """The outcome of :func:`journeykit.run.runner.run_notebooks`.

    ``status`` is ``success`` or ``failed``; ``path`` is ``<out>/<run-id>`` or
    ``<out>/<run-id>-failed``; ``exit_code`` is what the CLI exits with; ``durations``
    maps notebook name to seconds; ``failure`` is the first failed notebook, if any;
    ``phases`` maps a phase of the run (``notebooks``, ``metrics + action plan``,
    ``report``) to seconds.
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
        """Notebook name -> seconds it ran."""
        return {nb.name: nb.duration_s for nb in self.notebooks}
