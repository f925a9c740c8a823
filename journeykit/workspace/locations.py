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
import stat
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


#: Set to 1 to let a workspace's files be symbolic links or resolve outside its folder.
ALLOW_LINKS_ENV = "JOURNEYKIT_ALLOW_LINKS"


def links_allowed() -> bool:
    """True when the environment variable ``JOURNEYKIT_ALLOW_LINKS`` is ``1``/``true``/``yes``."""
    return os.environ.get(ALLOW_LINKS_ENV, "").strip().lower() in ("1", "true", "yes")


def outside_reason(folder: str | os.PathLike[str], path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` may not be read as part of the workspace ``folder`` (None: it may).

    A workspace is shared as a folder, a zip or a git repository, so a received one must
    never make the kit read the recipient's own files into a report: a file that is a
    symbolic link (wherever it points), whose real path lies outside the workspace's
    real folder, or that is not a regular file (a device, a pipe) is refused. The
    message never names the link's target. ``JOURNEYKIT_ALLOW_LINKS=1`` allows links
    and outside paths (regular files only), for a workspace you trust.

    Example:
        >>> outside_reason(DEMO_WORKSPACE, DEMO_WORKSPACE / "journey.yaml") is None
        True
    """
    root = Path(os.path.realpath(folder))
    target = Path(path)
    allowed = links_allowed()
    how = ("copy the file itself into the workspace folder, or set the environment variable "
           f"{ALLOW_LINKS_ENV}=1 to allow links for a workspace you trust")
    if target.is_symlink() and not allowed:
        return f"a file inside the workspace folder, not a symbolic link (links are not followed: {how})"
    real = Path(os.path.realpath(target))
    if not allowed and real != root and root not in real.parents:
        return f"a file inside the workspace folder (this path leads outside it: {how})"
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return None  # missing: the caller's own check names it
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return "a regular file (this is a device, a pipe or a socket, which is never read)"
    return None


def workspace_files(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Every file of a workspace folder, sorted by folder then name; hidden folders
    (``.journeykit`` with its history and locks) are skipped, and so is every file
    :func:`outside_reason` refuses (links, devices: never read, not even to hash them).
    The files a run hashes into its manifest and fingerprints for its shared cache.

    Example:
        >>> "journey.yaml" in [p.name for p in workspace_files(DEMO_WORKSPACE)]
        True
    """
    for dirpath, dirnames, filenames in os.walk(os.fspath(folder)):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and outside_reason(folder, path) is None:
                yield path
