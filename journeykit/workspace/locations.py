"""Where things are: the one place that resolves folders (after cookiecutter-data-science).

Every notebook and the CLI resolve a workspace through :func:`resolve_workspace`,
so relative paths mean the same thing everywhere: relative to the caller's working
directory (notebooks run with their working directory set to ``notebooks/``, so
``"../data/sample"`` is the demo workspace there).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from journeykit.core.errors import JourneykitError

#: The repository root when journeykit runs from a checkout (notebooks/, data/ live here).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DEMO_WORKSPACE = PROJECT_ROOT / "data" / "sample"
REPORTS_DIR = PROJECT_ROOT / "reports"


def resolve_workspace(path: str | os.PathLike | None = None, *, must_exist: bool = True) -> Path:
    """The absolute path of a workspace folder.

    ``None`` means the shipped demo workspace; a relative path is taken relative to
    the current working directory; ``~`` is expanded. With ``must_exist`` a missing
    folder or a folder without ``journey.yaml`` raises :class:`JourneykitError`.

    Example:
        >>> resolve_workspace(None) == DEMO_WORKSPACE
        True
    """
    folder = DEMO_WORKSPACE if path is None else Path(path).expanduser()
    folder = folder if folder.is_absolute() else Path.cwd() / folder
    folder = Path(os.path.normpath(folder))
    if must_exist:
        if not folder.is_dir():
            raise JourneykitError(
                f"workspace folder not found: {folder} (relative paths are resolved from "
                f"{Path.cwd()}; create one with `journeykit new DIR`)"
            )
        if not (folder / "journey.yaml").is_file():
            raise JourneykitError(
                f"{folder} is not a journeykit workspace: journey.yaml is missing "
                "(create a workspace with `journeykit new DIR`)"
            )
    return folder


def workspace_files(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Every file of a workspace folder, sorted by folder then name; hidden folders
    (``.journeykit`` with its history and locks) are skipped. The files a run hashes into
    its manifest and fingerprints for its shared cache.

    Example:
        >>> "journey.yaml" in [p.name for p in workspace_files(DEMO_WORKSPACE)]
        True
    """
    for dirpath, dirnames, filenames in os.walk(os.fspath(folder)):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file():
                yield path
