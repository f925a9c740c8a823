"""The ``journeykit`` command: new, sample, validate, run, report.

Exit codes: 0 success (warnings allowed), 1 a run failed, 2 bad input (the problems
are printed as a table), 3 another run holds the lock, 130 interrupted.
No command prompts; none prints a traceback for a problem with the user's input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from journeykit.core.errors import JourneykitError, Problem, WorkspaceError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def format_problems(problems: Sequence[Problem], *, limit: int = 50) -> str:
    """Problems as an aligned plain-text table (errors first)."""
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.file, p.row or 0))
    rows = [("severity", "file", "row", "column", "value", "expected")]
    for p in ordered[:limit]:
        value = "" if p.value is None else p.to_dict()["value"]
        rows.append((p.severity, p.file, "" if p.row is None else str(p.row), p.column or "", value, p.expected))
    widths = [min(max(len(r[i]) for r in rows), 40) for i in range(5)]
    lines = []
    for r in rows:
        cells = [r[i][:40].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join(cells) + "  " + r[5])
    if len(ordered) > limit:
        lines.append(f"... and {len(ordered) - limit} more")
    return "\n".join(lines)


def _cmd_new(args: argparse.Namespace) -> int:
    from journeykit.workspace.scaffold import new_workspace

    folder = new_workspace(args.dir, name=args.name)
    print(f"Created a blank workspace in {folder}")
    print("Next: fill in personas and touchpoints (workspace.xlsx or the CSV files), then")
    print(f"  journeykit validate {folder}")
    return EXIT_OK


def _cmd_sample(args: argparse.Namespace) -> int:
    from journeykit.sample.simulation import generate_sample

    folder = generate_sample(args.dir, customers=args.customers, months=args.months, seed=args.seed,
                             overwrite=args.force)
    print(f"Wrote the demo workspace to {folder}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from journeykit.workspace.loader import validate_workspace

    problems = validate_workspace(args.path)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if problems:
        print(format_problems(problems))
        print()
    print(f"{args.path}: {len(errors)} error(s), {len(warnings)} warning(s)")
    return EXIT_BAD_INPUT if errors else EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from journeykit.run.runner import run_command

    return run_command(args)


def _cmd_report(args: argparse.Namespace) -> int:
    from journeykit.viz.report import report_command

    return report_command(args)


def build_parser() -> argparse.ArgumentParser:
    from journeykit import __version__

    parser = argparse.ArgumentParser(prog="journeykit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"journeykit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    new = sub.add_parser("new", help="create a blank workspace for your business or a workshop")
    new.add_argument("dir", help="folder to create (must be new or empty)")
    new.add_argument("--name", help="business name (default: from the folder name)")
    new.set_defaults(func=_cmd_new)

    sample = sub.add_parser("sample", help="generate the demo business workspace")
    sample.add_argument("dir", help="folder to write")
    sample.add_argument("--customers", type=int, default=2000, help="number of customers (default 2000)")
    sample.add_argument("--months", type=int, default=24, help="months of history (default 24)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7 = data/sample)")
    sample.add_argument("--force", action="store_true", help="replace the sample files if DIR has them")
    sample.set_defaults(func=_cmd_sample)

    validate = sub.add_parser("validate", help="check a workspace; exit 2 when it has errors")
    validate.add_argument("path", help="workspace folder")
    validate.set_defaults(func=_cmd_validate)

    run = sub.add_parser("run", help="run the notebooks headlessly and write a report folder")
    run.add_argument("--workspace", default=None, help="workspace folder (default: the demo workspace)")
    run.add_argument("--out", default=None, help="reports folder (default: reports/)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                     help="notebook parameter (repeatable)")
    run.add_argument("-f", "--parameters-file", default=None, help="YAML file of parameters")
    run.add_argument("--notebooks", default=None, help="comma-separated notebook numbers, e.g. 01,04")
    run.add_argument("--jobs", type=int, default=None, help="notebooks run in parallel (default: CPU count)")
    run.add_argument("--on-bad-rows", choices=("strict", "quarantine"), default="strict",
                     help="strict: stop on bad rows (exit 2); quarantine: set them aside and report them")
    run.add_argument("--timeout", type=float, default=None, help="seconds a notebook cell may take")
    run.add_argument("--lock-timeout", type=float, default=600.0,
                     help="seconds to wait for another run into the same --out (then exit 3)")
    run.add_argument("--svg", action="store_true",
                     help="also save every figure as SVG (for slides and print; PNG is always saved)")
    run.add_argument("--quiet", action="store_true", help="print only errors and the report path")
    run.set_defaults(func=_cmd_run)

    report = sub.add_parser("report", help="list runs or compare two runs' KPIs")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    listing = report_sub.add_parser("list", help="the runs in the reports folder")
    listing.add_argument("--out", default=None, help="reports folder (default: reports/)")
    diff = report_sub.add_parser("diff", help="KPI deltas between two runs")
    diff.add_argument("run_a")
    diff.add_argument("run_b")
    diff.add_argument("--out", default=None, help="reports folder (default: reports/)")
    report.set_defaults(func=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except WorkspaceError as exc:
        print(format_problems(exc.problems), file=sys.stderr)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"\n{errors} error(s): fix them, or use --on-bad-rows quarantine where offered", file=sys.stderr)
        return EXIT_BAD_INPUT
    except JourneykitError as exc:
        print(f"journeykit: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("journeykit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
