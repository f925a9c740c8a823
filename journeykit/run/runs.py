"""The run folders of an output folder (resolve_latest, find_runs, resolve_run)."""

# placeholder until the run engineer's runs.py lands
from journeykit.run.runner import find_runs, resolve_latest, resolve_run

__all__ = ["find_runs", "resolve_latest", "resolve_run"]
