"""Where the event analyses run: DuckDB natively (:mod:`~journeykit.analytics.events.source`),
or a warehouse through :mod:`~journeykit.analytics.events.engines.warehouse` (the
:class:`~journeykit.analytics.events.engines.warehouse.QueryRunner` seam), the DuckDB-dialect
SQL of the analyses transpiled by :mod:`~journeykit.analytics.events.engines.portable`.
"""
