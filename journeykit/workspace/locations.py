"""Where things are: the one place that resolves folders (after cookiecutter-data-science).

Every notebook and the CLI resolve a workspace through :func:`resolve_workspace`,
so relative paths mean the same thing everywhere: relative to the caller's working
directory (notebooks run with their working directory set to ``notebooks/``, so
``"../data/sample"`` is the demo workspace there).

The kit's notebooks and its demo workspace are found in a checkout or an installed
wheel alike:

- in a checkout (the package sits beside ``pyproject.toml``, ``notebooks/`` and
  ``data/sample/``): the repository's own folders;
- in an installed wheel: ``journeykit/_kit/notebooks/`` and ``journeykit/_kit/data/sample/``,
  package data that the build copies from the repository (setup.py). The wheel keeps
  the repository's layout, so a notebook's default ``"../data/sample"`` is the demo
  there too. Reports then go to ``reports/`` in the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from journeykit.core.errors import JourneykitError

#: The folder of the journeykit package (in a checkout or in site-packages).
PACKAGE_DIR = Path(str(resources.files("journeykit")))
#: Where the wheel keeps the kit's notebooks and demo, in the repository's layout.
KIT_DIR = PACKAGE_DIR / "_kit"


def _in_checkout(root: Path) -> bool:
    """True when ``root`` is a journeykit repository (not site-packages)."""
    return (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir()


#: The repository root when journeykit runs from a checkout (notebooks/, data/ live here);
#: in an installed wheel, the kit folder inside the package.
PROJECT_ROOT = PACKAGE_DIR.parent if _in_checkout(PACKAGE_DIR.parent) else KIT_DIR
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DEMO_WORKSPACE = PROJECT_ROOT / "data" / "sample"
#: The default report folder: ``reports/`` of the checkout, else of the working directory.
REPORTS_DIR = PROJECT_ROOT / "reports" if PROJECT_ROOT != KIT_DIR else Path("reports")


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
