"""``journeykit import``: turn real exports into a workspace's canonical tables.

``journeykit import PRESET FILE... --into WORKSPACE [--set NAME=VALUE ...] [--replace |
--append] [--dry-run]`` runs one preset (:mod:`journeykit.workspace.imports`) on the files, prints
what it did (rows in per file, rows out per table, rows set aside and why, notes) and
writes the tables into the workspace; the exports are never changed. ``journeykit import
--list`` prints the presets. Exit codes as every command: 0 done, 2 bad input (nothing
written).

Example:
    >>> parse_settings(["nps=How likely are you to recommend us?"])
    {'nps': 'How likely are you to recommend us?'}
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from journeykit.core.errors import JourneykitError, format_problems
from journeykit.run.exit_codes import ExitCode
from journeykit.workspace.imports.pipeline import import_into
from journeykit.workspace.imports.registry import PRESETS

__all__ = ["add_import_parser", "import_command", "parse_settings", "presets_text"]


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` texts as a mapping; raises JourneykitError for one without ``=``."""
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise JourneykitError(f"--set expects NAME=VALUE, not {pair!r}")
        settings[name.strip()] = value.strip()
    return settings


def presets_text() -> str:
    """The presets as an aligned list: name, kind of source, the tables it writes, files."""
    rows = [("preset", "source", "writes", "files")]
    rows += [(p.name, p.kind, ", ".join(p.produces), p.expects) for p in PRESETS.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)) for row in rows]
    options = [f"  {p.name}: " + "; ".join(f"{o.name}{' (required)' if o.required else ''} = {o.help}"
                                           for o in p.options) for p in PRESETS.values() if p.options]
    return "\n".join(lines + (["", "options (--set NAME=VALUE):"] + options if options else []))


def import_command(args: argparse.Namespace) -> int:
    if args.list or not args.preset:
        print(presets_text())
        return ExitCode.OK if args.list else ExitCode.BAD_INPUT
    if args.into is None:
        raise JourneykitError("say which workspace to import into: --into WORKSPACE (make one with journeykit new)")
    outcome = import_into(args.into, args.preset, [Path(f) for f in args.files], parse_settings(args.set),
                          replace=args.replace, append=args.append, dry_run=args.dry_run)
    result = outcome.result
    for line in result.summary():
        print(line)
    if result.problems:
        print()
        print(format_problems(result.problems))
    if not result.ok:
        print(f"\nnothing written to {args.into}: fix the error(s) above and import again")
        return ExitCode.BAD_INPUT
    if args.dry_run:
        print(f"\ndry run: nothing written to {args.into}")
    else:
        for path in outcome.written:
            print(f"wrote {path}")
        print(f"next: journeykit validate {args.into}")
    return ExitCode.OK


def add_import_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``import`` to the ``journeykit`` subcommands."""
    parser = sub.add_parser("import", help="turn exports (Shopify, Square, GA4, surveys, ...) into workspace tables",
                            description=__doc__.splitlines()[0])
    parser.add_argument("preset", nargs="?", help="the export format (journeykit import --list shows them)")
    parser.add_argument("files", nargs="*", help="the export file(s)")
    parser.add_argument("--into", help="workspace folder to write the tables into")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a preset option, e.g. --set nps=Q5 (repeatable)")
    parser.add_argument("--replace", action="store_true", help="replace a table that already has rows")
    parser.add_argument("--append", action="store_true",
                        help="add the rows to a table that has rows (e.g. a till's orders after the web shop's)")
    parser.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    parser.add_argument("--list", action="store_true", help="list the presets and their options")
    parser.set_defaults(func=import_command)
