"""The orchestration layer: run folders, notebook execution with papermill, the command line.

The top layer: nothing below imports it.
"""

