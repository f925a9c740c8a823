"""The ``journeykit`` command: new, sample, import, lab, validate, run, report list / diff.

Exit codes (:class:`journeykit.run.exit_codes.ExitCode`): 0 success (warnings allowed),
1 a run failed, 2 bad input (the problems are printed as a table), 3 another run holds
the lock, 130 interrupted, 143 terminated. No command prompts; none prints a traceback
for a problem with the user's input.

Example:
    >>> parse_parameter_value("0.5"), parse_parameter_value("2026-01-31")
    (0.5, '2026-01-31')
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from journeykit import __version__
from journeykit.analytics.scorecard import what_changed
from journeykit.core.errors import (
    JourneykitError,
    Problem,
    WorkspaceError,
    format_problem_summary,
    problem_kind,
    problems_frame,
)
from journeykit.core.safety import write_safe_csv
from journeykit.run.execute import quiet_kernel_machinery
from journeykit.run.exit_codes import ExitCode
from journeykit.run.importing import add_import_parser
from journeykit.run.lab import add_lab_parser
from journeykit.run.pdf import ChromiumNotFound, find_chromium, print_pdf
from journeykit.run.runner import RunInterrupted, RunLockedError, RunWriteError, run_notebooks
from journeykit.run.runs import find_runs, resolve_run
from journeykit.run.workshop import add_workshop_parser
from journeykit.sample import generate_sample
from journeykit.viz.report import change_rows, format_number, read_metrics, to_float
from journeykit.workspace import locations, validate_workspace
from journeykit.workspace.saving import refresh_workbook
from journeykit.workspace.scaffold import FORMATS, new_workspace

__all__ = ["build_parser", "diff_runs_text", "list_runs_text", "main", "parse_parameter_value",
           "report_command", "run_command"]

#: the KPIs ``journeykit report list`` shows first, when the runs have them
KEY_KPIS = ("nps", "csat", "ces", "conversion", "repeat_purchase_rate")


# -- new, sample, validate ----------------------------------------------------------------


def _cmd_new(args: argparse.Namespace) -> int:
    folder = new_workspace(args.dir, name=args.name, format=args.format)
    where = "workspace.xlsx" if args.format == "xlsx" else "the CSV files"
    print(f"Created a blank workspace in {folder} (tables in {where})")
    print(f"Next: fill in personas and touchpoints ({where}, or in the notebooks: journeykit lab {folder}), then")
    print(f"  journeykit validate {folder}")
    return ExitCode.OK


def _cmd_sample(args: argparse.Namespace) -> int:
    folder = generate_sample(args.dir, customers=args.customers, months=args.months, seed=args.seed,
                             overwrite=args.force)
    print(f"Wrote the demo workspace to {folder}")
    return ExitCode.OK


def write_problems_csv(problems: Sequence[Problem], path: str | os.PathLike) -> Path:
    """Every problem as one CSV row (severity, file, row, column, kind, value, expected,
    table), errors first, in file and row order, values as their short masked excerpts, every cell neutralised against formula
    injection (:func:`journeykit.core.safety.write_safe_csv`): ``journeykit validate --problems``."""
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.file, p.row or 0))
    frame = problems_frame(ordered)
    frame.insert(4, "kind", [problem_kind(p) for p in ordered])
    return write_safe_csv(frame, path)


def _every_problem(exc: WorkspaceError, args: argparse.Namespace) -> list[Problem]:
    """The problems a failed run prints: when the loader listed only the first ones of a file
    (strict mode), the workspace is validated again with every problem, so the counts per
    kind are exact (only on this error path)."""
    capped = any(p.row is None and p.column is None and p.expected.startswith("fewer problems:")
                 for p in exc.problems)
    if not capped or getattr(args, "on_bad_rows", "strict") != "strict":
        return exc.problems
    return validate_workspace(args.workspace, every=True)


def _cmd_validate(args: argparse.Namespace) -> int:
    problems = validate_workspace(args.path, every=True)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if problems:
        print(format_problem_summary(problems))
        print()
    if getattr(args, "problems", None):
        written = write_problems_csv(problems, args.problems)
        print(f"Wrote all {len(problems):,} problem(s) to {written}")
    print(f"{args.path}: {len(errors):,} error(s), {len(warnings):,} warning(s)")
    refreshed = refresh_workbook(args.path)  # drop-downs follow journey.yaml; values untouched
    if refreshed:
        print(refreshed)
    return ExitCode.BAD_INPUT if errors else ExitCode.OK


# -- run -------------------------------------------------------------------------------------


def parse_parameter_value(text: str) -> Any:
    """A ``-p NAME VALUE`` value as papermill's CLI reads it: ``True``/``False``/``None``,
    an int, a float, else the text.

    >>> [parse_parameter_value(v) for v in ("3", "0.5", "True", "None", "2026-01-31")]
    [3, 0.5, True, None, '2026-01-31']
    """
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    if text in ("None", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _parameters_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The notebook parameters of ``-f FILE`` (YAML mapping) then ``-p NAME VALUE``."""
    params: dict[str, Any] = {}
    file = getattr(args, "parameters_file", None)
    if file:
        import yaml  # only for a parameters file

        try:
            loaded = yaml.safe_load(Path(file).read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise JourneykitError(f"cannot read parameters file {file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise JourneykitError(f"parameters file {file} must hold a mapping of name: value")
        params.update({str(k): v for k, v in loaded.items()})
    for name, value in getattr(args, "parameter", None) or []:
        params[name] = parse_parameter_value(value)
    return params


def run_command(args: argparse.Namespace, *, stdout: Any = None, stderr: Any = None) -> int:
    """``journeykit run``: run the notebooks and return the exit code (SIGTERM stops the
    run like Ctrl-C: kernels killed, temporary folder removed, exit 143)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    chromium = None
    if getattr(args, "pdf", False):  # --pdf: find the browser before any notebook runs
        try:
            chromium = find_chromium()
        except ChromiumNotFound as exc:
            print(f"journeykit run --pdf: {exc}. Nothing was run.", file=stderr)
            return ExitCode.BAD_INPUT
    previous_handler = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        def _on_sigterm(signum: int, frame: Any) -> None:
            raise RunInterrupted(signum)

        previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        selection = None
        if getattr(args, "notebooks", None):
            selection = [t for t in str(args.notebooks).split(",") if t.strip()]
        result = run_notebooks(
            args.workspace,
            args.out or locations.REPORTS_DIR,
            parameters=_parameters_from_args(args),
            notebooks=selection,
            jobs=args.jobs,
            on_bad_rows=args.on_bad_rows,
            timeout=args.timeout,
            lock_timeout=args.lock_timeout,
            quiet=args.quiet,
            figure_formats="png,svg" if getattr(args, "svg", False) else None,
        )
    except WorkspaceError as exc:
        print("The workspace has problems; no notebook was run:", file=stderr)
        print(format_problem_summary(_every_problem(exc, args)), file=stderr)
        return ExitCode.BAD_INPUT
    except RunLockedError as exc:
        print(f"journeykit run: {exc}", file=stderr)
        return ExitCode.LOCKED
    except RunWriteError as exc:
        print(f"journeykit run: FAILED: {exc}", file=stderr)
        return ExitCode.FAILED
    except JourneykitError as exc:
        print(f"journeykit run: {exc}", file=stderr)
        return ExitCode.BAD_INPUT
    except RunInterrupted as exc:
        print(f"journeykit run: stopped by signal {exc.signum}; temporary files removed, latest unchanged",
              file=stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("journeykit run: interrupted; temporary files removed, latest unchanged", file=stderr)
        return ExitCode.INTERRUPTED
    finally:
        if in_main_thread and previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    if result.failure:
        f = result.failure
        where = f"In [{f.execution_count}]" if f.execution_count else f"#{f.cell}"
        print(f"journeykit run: FAILED in notebook {f.name}, cell {where}: {f.error}", file=stderr)
        for line in (f.source or "").strip().splitlines()[:5]:
            print(f"  > {line}", file=stderr)
        print(f"  the executed notebook is kept in {result.path / 'notebooks' / (f.name + '.ipynb')}; "
              "latest was not changed", file=stderr)
        return ExitCode.FAILED
    if args.quiet:  # --quiet: errors and the report path only
        print(result.path / "index.html", file=stdout)
    else:
        print(f"journeykit run: {result.run_id} done in {result.duration_s:.1f} s -> "
              f"{result.path / 'index.html'}", file=stdout)
    if chromium is not None:
        try:
            pdf = print_pdf(result.path / "index.html", chromium=chromium)
        except JourneykitError as exc:
            print(f"journeykit run --pdf: FAILED to print the report (index.html is complete): {exc}",
                  file=stderr)
            return ExitCode.FAILED
        print(pdf if args.quiet else f"journeykit run: PDF -> {pdf}", file=stdout)
    return ExitCode.OK


# -- report list / diff ----------------------------------------------------------------------


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def list_runs_text(out: str | os.PathLike) -> str:
    """The runs of a reports folder as a text table: run, status, started, duration and
    up to three key KPIs (``journeykit report list``)."""
    runs = find_runs(out)
    if not runs:
        return f"No runs in {Path(out)} yet (run `journeykit run`)."
    docs = {r.run_id: (read_metrics(r.path) or {}).get("metrics", {}) for r in runs}
    names = [k for k in KEY_KPIS if any(k in d for d in docs.values())]
    if len(names) < 3:
        for doc in docs.values():
            names += [k for k in doc if k not in names]
    names = names[:3]
    header = ["run", "status", "started", "duration", *names]
    rows = []
    for r in runs:
        metrics = docs[r.run_id]
        values = [format_number(to_float((metrics.get(k) or {}).get("value")),
                                str((metrics.get(k) or {}).get("unit") or "")) for k in names]
        status = r.status + (" (latest)" if r.latest else "")
        duration = "–" if r.duration_s is None else f"{float(r.duration_s):.1f} s"
        rows.append([r.path.name, status, r.started or "–", duration, *values])
    return _text_table(header, rows)


def diff_runs_text(out: str | os.PathLike, run_a: str, run_b: str) -> str:
    """KPI deltas from ``run_a`` to ``run_b`` as a text table (``journeykit report diff``);
    runs are named by id, ``latest``, ``previous`` or a path."""
    path_a, path_b = resolve_run(out, run_a), resolve_run(out, run_b)
    doc_a, doc_b = read_metrics(path_a), read_metrics(path_b)
    if doc_b is None:
        raise JourneykitError(f"run {path_b.name} has no metrics.json (a failed run?)")
    changes = what_changed(doc_a, doc_b)
    rows = [[r["label"], r["previous"], r["current"], r["delta"], r["significant"]]
            for r in change_rows(changes, {**(doc_a or {}).get("metrics", {}), **doc_b["metrics"]})]
    head = f"KPI changes from {path_a.name} to {path_b.name}"
    if not rows:
        return head + ": no KPIs recorded."
    return head + "\n" + _text_table(["kpi", path_a.name, path_b.name, "change", "significant"], rows)


def report_command(args: argparse.Namespace, *, stdout: Any = None) -> int:
    """``journeykit report list [--out DIR]`` and ``journeykit report diff RUN_A RUN_B [--out DIR]``.

    Runs are named by id, ``latest``, ``previous`` or a path. Returns the exit code
    (2 when a run is not found)."""
    stdout = stdout or sys.stdout
    out = Path(getattr(args, "out", None) or locations.REPORTS_DIR)
    action = getattr(args, "report_command", None)
    try:
        if action == "list":
            print(list_runs_text(out), file=stdout)
        elif action == "diff":
            print(diff_runs_text(out, args.run_a, args.run_b), file=stdout)
        else:
            raise JourneykitError(f"unknown report command {action!r}: use list or diff")
    except JourneykitError as exc:
        print(f"journeykit report: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    return ExitCode.OK


# -- the parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``journeykit`` argument parser; each subcommand sets ``func`` to its handler."""
    parser = argparse.ArgumentParser(prog="journeykit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"journeykit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    new = sub.add_parser("new", help="create a blank workspace for your business or a workshop")
    new.add_argument("dir", help="folder to create (must be new or empty)")
    new.add_argument("--name", help="business name (default: from the folder name)")
    new.add_argument("--format", choices=FORMATS, default=FORMATS[0],
                     help="xlsx: one spreadsheet with drop-downs (default, for workshops); csv: one CSV per table")
    new.set_defaults(func=_cmd_new)

    sample = sub.add_parser("sample", help="generate the demo business workspace")
    sample.add_argument("dir", help="folder to write")
    sample.add_argument("--customers", type=int, default=2000, help="number of customers (default 2000)")
    sample.add_argument("--months", type=int, default=24, help="months of history (default 24)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7 = data/sample)")
    sample.add_argument("--force", action="store_true", help="replace the sample files if DIR has them")
    sample.set_defaults(func=_cmd_sample)

    add_import_parser(sub)
    add_lab_parser(sub)

    validate = sub.add_parser("validate", help="check a workspace; exit 2 when it has errors")
    validate.add_argument("path", help="workspace folder")
    validate.add_argument("--problems", metavar="FILE.csv", default=None,
                          help="also write every problem to this CSV file (one row per problem)")
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
    run.add_argument("--pdf", action="store_true",
                     help="also print the report to report.pdf in the run folder (needs headless Chromium)")
    run.add_argument("--quiet", action="store_true", help="print only errors and the report path")
    run.set_defaults(func=run_command)

    report = sub.add_parser("report", help="list runs or compare two runs' KPIs")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    listing = report_sub.add_parser("list", help="the runs in the reports folder")
    listing.add_argument("--out", default=None, help="reports folder (default: reports/)")
    diff = report_sub.add_parser("diff", help="KPI deltas between two runs")
    diff.add_argument("run_a")
    diff.add_argument("run_b")
    diff.add_argument("--out", default=None, help="reports folder (default: reports/)")
    report.set_defaults(func=report_command)
    add_workshop_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``journeykit`` entry point: parse ``argv`` (default: the command line), run the
    subcommand, return its exit code; a workspace's problems are printed as a table."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is run_command:
        # the process ends after a run: what the kernel machinery leaves behind (tasks and
        # sockets of killed kernels, collected at exit) must stay off the terminal too
        quiet_kernel_machinery(restore=False).__enter__()
    try:
        return int(args.func(args) or 0)
    except WorkspaceError as exc:
        print(format_problem_summary(exc.problems), file=sys.stderr)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"\n{errors} error(s): fix them, or use --on-bad-rows quarantine where offered", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except JourneykitError as exc:
        print(f"journeykit: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print("journeykit: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
