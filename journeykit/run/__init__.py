"""The orchestration layer: run folders, notebook execution with papermill, the command line.

The top layer: nothing below imports it. Its entry points: :func:`run_notebooks` (what
``journeykit run`` does) and :func:`build_report` (the ``index.html`` of a run folder,
from :mod:`journeykit.viz.report`, which the runner calls). Both load on first use, so
a notebook kernel importing :mod:`journeykit.run.outputs` does not load papermill.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__, submod_attrs={"runner": ["build_report", "run_notebooks"]}
)
