"""``journeykit lab WORKSPACE``: JupyterLab on the kit's notebooks, pointed at one workspace.

The workspace is chosen once: the command puts its absolute path in the environment
variable :data:`WORKSPACE_VARIABLE` (``JOURNEYKIT_WORKSPACE``) of the JupyterLab server,
every kernel it starts inherits it, and each notebook's parameters cell reads it::

    workspace: str = os.environ.get("JOURNEYKIT_WORKSPACE", "../data/sample")

so nobody edits a path in six notebooks. Without the variable the notebooks open the
demo; a papermill parameter (``journeykit run --workspace``) still overrides it, because
papermill's injected cell runs after the parameters cell.

Example:
    >>> command, env = lab_command_line("data/sample", no_browser=True)   # doctest: +SKIP
    >>> env["JOURNEYKIT_WORKSPACE"]                                      # doctest: +SKIP
    '/home/me/journeykit/data/sample'
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from journeykit.run.exit_codes import ExitCode
from journeykit.workspace.locations import NOTEBOOKS_DIR, resolve_workspace

#: the environment variable the notebooks' parameters cells read the workspace from
WORKSPACE_VARIABLE = "JOURNEYKIT_WORKSPACE"
#: the notebook JupyterLab opens first
FIRST_NOTEBOOK = "00_start_here.ipynb"


def lab_command_line(workspace: str | os.PathLike, notebooks: str | os.PathLike | None = None, *,
                     port: int | None = None, no_browser: bool = False) -> tuple[list[str], dict[str, str]]:
    """The command that starts JupyterLab on ``notebooks`` (default: the kit's notebooks)
    and the environment it runs in, with :data:`WORKSPACE_VARIABLE` set to the absolute
    path of ``workspace``. Raises JourneykitError when ``workspace`` is not a workspace
    (no folder, no journey.yaml)."""
    folder = resolve_workspace(workspace)
    root = Path(notebooks) if notebooks is not None else NOTEBOOKS_DIR
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root.resolve()}"]
    if (root / FIRST_NOTEBOOK).is_file():
        command.append(f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}")
    if port is not None:
        command.append(f"--ServerApp.port={port}")
    if no_browser:
        command.append("--no-browser")
    env = {**os.environ, WORKSPACE_VARIABLE: str(folder)}
    return command, env


def lab_command(args: argparse.Namespace) -> int:
    """``journeykit lab``: start JupyterLab (until Ctrl-C) and return its exit code."""
    command, env = lab_command_line(args.workspace, args.notebooks, port=args.port,
                                    no_browser=args.no_browser)
    print(f"journeykit lab: the notebooks open {env[WORKSPACE_VARIABLE]} "
          f"({WORKSPACE_VARIABLE}); stop with Ctrl-C")
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


def add_lab_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``journeykit lab WORKSPACE [--notebooks DIR] [--port N] [--no-browser]``."""
    lab = sub.add_parser("lab", help="open the notebooks in JupyterLab, pointed at a workspace")
    lab.add_argument("workspace", help="workspace folder the notebooks open")
    lab.add_argument("--notebooks", default=None, help="notebooks folder (default: the kit's notebooks)")
    lab.add_argument("--port", type=int, default=None, help="port of the JupyterLab server")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.set_defaults(func=lab_command)
