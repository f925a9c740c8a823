"""The workspace layer: one business's journey as plain files, read, validated and saved.

Imports only :mod:`journeykit.core`.
"""
