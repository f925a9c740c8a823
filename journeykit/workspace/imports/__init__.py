"""Import presets: real export formats -> canonical workspace tables.

:mod:`~journeykit.workspace.imports.base` holds what presets share, one module per kind
of source holds its presets (``shop``, ``pos``, ``ga4``, ``surveys``, ``helpdesk``,
``reviews``, ``derived``), and :mod:`~journeykit.workspace.imports.pipeline` runs them
(``journeykit import`` and journey.yaml ``sources:``).
"""
