"""The journey report: ``index.html`` of a run folder (:func:`build_report`), its views and templates.

:mod:`journeykit.viz.report.build` reads the run folder and renders
``templates/report.html.j2``; :mod:`journeykit.viz.report.views` turns tables, figures and
KPIs into text for it. ``templates/notebook.html.j2`` is the executed notebooks' HTML
template (used by :mod:`journeykit.run.export`). The report only reads the files of a run
folder; finding runs is :mod:`journeykit.run.runs`.
"""

from journeykit.viz.report.build import SECTIONS, TEMPLATES, build_report, read_metrics, section_for
from journeykit.viz.report.views import change_rows, display_text, format_number, to_float

__all__ = [
    "SECTIONS", "TEMPLATES", "build_report", "change_rows", "display_text", "format_number",
    "read_metrics", "section_for", "to_float",
]
