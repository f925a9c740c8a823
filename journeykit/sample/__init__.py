"""The demo business (a fictional bike shop) written as a workspace.

Imports :mod:`journeykit.workspace` and :mod:`journeykit.core`.
"""

from journeykit.sample.simulation import PLANTED_PROBLEMS, SAMPLE_FILES, generate_sample

__all__ = ["PLANTED_PROBLEMS", "SAMPLE_FILES", "generate_sample"]
