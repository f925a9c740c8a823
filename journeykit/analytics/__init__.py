"""The analytics layer: funnels, paths, retention, KPIs, CLV, voice of the customer, pain points, personas.

Every analysis a notebook calls takes the :class:`~journeykit.workspace.Workspace` first.
Imports :mod:`journeykit.workspace` and :mod:`journeykit.core`.
"""
