"""``journeykit workshop``: the workshop app and the room's votes.

* ``journeykit workshop serve WORKSPACE`` serves the workshop app
  (``journeykit/run/app/workshop_app.ipynb``, shipped inside the package) through Voilà:
  a web page with the widgets only (the code is hidden): each participant types their
  name once, scores the pain points and touchpoints, edits personas and touchpoints with
  the notebooks' saves; the Room tab shows everyone's votes live. It binds to
  ``localhost`` (this computer only) by default; ``--host 0.0.0.0`` shares it on the
  local network, protected by a token: the URL to share (with the token) is printed.
* ``journeykit workshop collect WORKSPACE [FILES...]`` merges the votes (the app's and
  the files handed in) into the workspace with the median
  (:func:`journeykit.workspace.tally.collect_votes`).

Example:
    >>> app_notebook().name
    'workshop_app.ipynb'
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

from journeykit.core.errors import JourneykitError, format_problems
from journeykit.run.exit_codes import ExitCode
from journeykit.viz.widgets.workshop import WORKSPACE_ENV
from journeykit.workspace.loader import load_workspace
from journeykit.workspace.locations import PACKAGE_DIR, resolve_workspace
from journeykit.workspace.tally import collect_votes

__all__ = ["add_workshop_parser", "app_notebook", "serve_arguments", "share_url"]

#: the default port of the app (Voilà's own default)
DEFAULT_PORT = 8866
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def app_notebook() -> Path:
    """The workshop app's notebook, package data of journeykit (a checkout or a wheel)."""
    path = PACKAGE_DIR / "run" / "app" / "workshop_app.ipynb"
    if not path.is_file():
        raise JourneykitError(f"the workshop app is missing from this installation: {path}")
    return path


def _lan_address() -> str:
    """This computer's address on the local network (no packet is sent), else its name."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()


def share_url(host: str, port: int, token: str | None) -> str:
    """The address participants open: ``localhost`` for a local app, else this
    computer's LAN address, with ``?token=`` when there is one.

    >>> share_url("localhost", 8866, None)
    'http://localhost:8866/'
    >>> share_url("127.0.0.1", 9000, "abc")
    'http://127.0.0.1:9000/?token=abc'
    """
    shown = host if host in LOCAL_HOSTS else (_lan_address() if host in ("0.0.0.0", "", "::") else host)
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve_arguments(notebook: Path, host: str, port: int, token: str | None) -> list[str]:
    """The Voilà command line of the app (code hidden, no browser opened, no tracebacks
    shown to participants)."""
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--Voila.ip={host}",
            f"--port={port}", "--Voila.port_retries=0", "--strip_sources=True", "--show_tracebacks=False",
            f"--token={token or ''}"]


def serve_command(args: argparse.Namespace) -> int:
    """``journeykit workshop serve``: check the workspace, print the URL, run Voilà until Ctrl-C."""
    folder = resolve_workspace(args.workspace)
    load_workspace(folder)  # stop here (exit 2, problems listed) rather than in the browser
    local = args.host in LOCAL_HOSTS
    token = args.token if args.token is not None else (None if local else secrets.token_urlsafe(16))
    if not local and not token:
        raise JourneykitError("--host shares the app on the network: it needs a token (leave --token out "
                              "and one is made)")
    env = dict(os.environ)
    env[WORKSPACE_ENV] = str(folder)
    env.pop("JOURNEYKIT_USER", None)  # each participant types their own name
    print(f"Workshop app for {folder}")
    print(f"Open (and share): {share_url(args.host, args.port, token)}")
    if local:
        print("Only this computer can open it; use --host 0.0.0.0 to share it on the local network.")
    print("Stop with Ctrl-C. Then: journeykit workshop collect", folder, flush=True)
    command = serve_arguments(app_notebook(), args.host, args.port, token)
    try:
        return subprocess.call(command, env=env, cwd=str(folder))
    except KeyboardInterrupt:
        return ExitCode.OK


def collect_command(args: argparse.Namespace) -> int:
    """``journeykit workshop collect``: merge the votes into the workspace, print what changed."""
    ws = load_workspace(resolve_workspace(args.workspace))
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise JourneykitError(f"votes file(s) not found: {', '.join(missing)}")
    result = collect_votes(ws, args.files)
    if result.problems:
        print(format_problems(result.problems))
        print()
    split = int((result.merged["spread"] >= 3).sum()) if len(result.merged) else 0
    people = "1 person" if result.voters == 1 else f"{result.voters} people"
    print(f"{people} voted on {len(result.merged)} item(s); {result.changed} score(s) "
          f"written to the workspace (the median of the votes); {split} item(s) split (spread 3 or more).")
    return ExitCode.OK


def add_workshop_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``workshop serve`` and ``workshop collect`` to the ``journeykit`` subcommands."""
    workshop = sub.add_parser("workshop", help="the workshop app (serve) and the room's votes (collect)")
    commands = workshop.add_subparsers(dest="workshop_command", required=True)
    serve = commands.add_parser("serve", help="serve scoring and editing as a web page (Voilà)")
    serve.add_argument("workspace", help="workspace folder")
    serve.add_argument("--host", default="localhost",
                       help="address to listen on (default localhost: this computer only; "
                            "0.0.0.0: the local network, with a token)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--token", default=None,
                       help="the token participants need (default: none on localhost, a random one otherwise)")
    serve.set_defaults(func=serve_command)
    collect = commands.add_parser("collect", help="merge the participants' votes (median) into the workspace")
    collect.add_argument("workspace", help="workspace folder")
    collect.add_argument("files", nargs="*", help="votes files handed in: votes CSVs, or copies of "
                                                  "painpoints.csv / touchpoints.csv / workspace.xlsx")
    collect.set_defaults(func=collect_command)
