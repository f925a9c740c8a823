"""The orchestration layer: run folders, notebook execution with papermill, the command line.

The top layer: nothing below imports it. Its entry points: :func:`run_notebooks` (what
``journeykit run`` does) and :func:`build_report` (the ``index.html`` of a run folder,
from :mod:`journeykit.viz.report`).
"""

from journeykit.run.runner import run_notebooks
from journeykit.viz.report import build_report

__all__ = ["build_report", "run_notebooks"]
