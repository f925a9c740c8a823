"""Core helpers every layer may use: problems and errors, durations, safety of written files.

This layer imports nothing else from journeykit.
"""
