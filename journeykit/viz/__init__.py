"""The presentation layer: chart style, the journey map, charts, widgets, notebook display, the report.

Charts draw results; they compute nothing of their own.
Imports :mod:`journeykit.analytics`, :mod:`journeykit.workspace` and :mod:`journeykit.core`.
"""
