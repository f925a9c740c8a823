"""Benchmark a full ``journeykit run`` of the demo workspace against its floor.

A measurement, not a test. Run (from the repository root)::

    .venv/bin/python benchmarks/bench_refresh.py              # floor, refresh, floor, refresh, floor
    .venv/bin/python benchmarks/bench_refresh.py --repeat 1 --no-readme

The **floor** is what any headless refresh of these notebooks must pay: start one
kernel per notebook (the same kernel, working directory and parallelism as the
runner, the report notebook after the others as the runner does), make the same
imports the notebook's kernel makes, then shut the kernel down. "The same imports"
are every module the notebook's kernel had loaded at the end of a refresh (recorded
once, before timing, by an IPython start-up hook in a throw-away refresh), imported
in the order they were loaded: lazy imports inside journeykit functions (vaderSentiment,
scipy.special, PIL's PNG writer, ...) are imports too, not analysis. For comparison the
table also gives the narrower floor used before 2026-11-22 23:05 UTC: the notebook's own
``import`` lines plus the journeykit modules behind its ``jk.<name>`` calls. The
**refresh** is :func:`journeykit.run.runner.run_notebooks` on the demo workspace into a
temporary folder: papermill execution of the analyses, HTML exports, manifest with
input hashes, metrics, action plan and ``index.html``. Floor and refresh alternate in
one process run so both see the same machine load; the table reports medians.

Target (issue 7): refresh <= 1.5 x floor. The results go into benchmarks/README.md,
section "Refresh" (between the ``refresh`` markers), unless ``--no-readme``.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

START, END = "<!-- refresh:start -->", "<!-- refresh:end -->"
TARGET = 1.5


def notebook_imports(path: Path) -> str:
    """The import statements of a notebook plus the journeykit modules its ``jk.`` calls need."""
    import nbformat

    import journeykit

    nb = nbformat.read(path, as_version=4)
    lines: list[str] = []
    modules: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                lines.append(ast.unparse(node))
        for name in re.findall(r"\bjk\.([A-Za-z_]\w*)", cell.source):
            module = journeykit._MODULE_OF.get(name)
            if module:
                modules.add(module)
    lines += [f"import journeykit.{m}" for m in sorted(modules)]
    return "\n".join(dict.fromkeys(lines))


_STARTUP_HOOK = """
def _journeykit_bench_modules(result=None):
    import json, os, sys
    from IPython import get_ipython
    name = getattr(get_ipython().user_ns.get("out"), "notebook", None)
    if name:
        with open(os.path.join(os.environ["JOURNEYKIT_BENCH_MODULES"], name + ".json"), "w") as handle:
            json.dump(list(sys.modules), handle)
get_ipython().events.register("post_run_cell", _journeykit_bench_modules)
"""


def loaded_modules(workspace: Path, jobs: int) -> dict[str, list[str]]:
    """Every module each notebook's kernel had loaded at the end of a refresh, in load
    order: one refresh whose kernels run an IPython start-up hook (a throw-away
    IPYTHONDIR) that writes ``sys.modules`` after every cell of the notebook's ``out``."""
    import json

    from journeykit.run.runner import run_notebooks

    scratch = Path(tempfile.mkdtemp(prefix="bench-modules-"))
    startup = scratch / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-journeykit-bench.py").write_text(_STARTUP_HOOK, "utf-8")
    (scratch / "modules").mkdir()
    saved = {k: os.environ.get(k) for k in ("IPYTHONDIR", "JOURNEYKIT_BENCH_MODULES")}
    os.environ.update(IPYTHONDIR=str(scratch / "ipython"), JOURNEYKIT_BENCH_MODULES=str(scratch / "modules"))
    try:
        result = run_notebooks(workspace, scratch / "reports", jobs=jobs, quiet=True)
        if result.status != "success":
            raise RuntimeError(f"refresh failed: {result.failure}")
        return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted((scratch / "modules").glob("*.json"))}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(scratch, ignore_errors=True)


def import_code(modules: list[str]) -> str:
    """Code that imports ``modules`` in order (one that cannot be imported on its own is skipped)."""
    return ("import importlib\n"
            f"for _name in {modules!r}:\n"
            "    try:\n"
            "        importlib.import_module(_name)\n"
            "    except Exception:\n"
            "        pass\n")


def _kernel_with_imports(code: str, cwd: Path) -> float:
    from jupyter_client.manager import KernelManager

    began = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"imports failed: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return time.perf_counter() - began


def measure_floor(notebooks: list[Path], jobs: int, imports: dict[Path, str]) -> float:
    """Seconds to start one kernel per notebook running ``imports[notebook]``, in the
    runner's stages."""
    from journeykit.run.runner import _stages

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for stage in _stages(notebooks):
            list(pool.map(lambda nb: _kernel_with_imports(imports[nb], nb.parent), stage))
    return time.perf_counter() - began


def measure_refresh(workspace: Path, jobs: int, out: Path) -> tuple[float, dict[str, float], dict[str, float]]:
    """One refresh into ``out`` (kept between refreshes, as in production: the previous
    run feeds "what changed" and the runner's longest-first ordering)."""
    from journeykit.run.runner import run_notebooks

    began = time.perf_counter()
    result = run_notebooks(workspace, out, jobs=jobs, quiet=True)
    elapsed = time.perf_counter() - began
    if result.status != "success":
        raise RuntimeError(f"refresh failed: {result.failure}")
    phases = dict(result.phases)
    phases["lock, input hashes, manifest, promotion"] = elapsed - sum(phases.values())
    return elapsed, result.durations, phases


def write_readme(section: str) -> Path:
    readme = HERE / "README.md"
    text = readme.read_text("utf-8") if readme.exists() else "# Benchmarks\n"
    block = f"{START}\n{section.rstrip()}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text, "utf-8")
    return readme


def main(argv: list[str] | None = None) -> int:
    from journeykit.run.runner import discover_notebooks
    from journeykit.workspace.locations import DEMO_WORKSPACE, NOTEBOOKS_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="refreshes to time (floors: repeat + 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)

    notebooks = discover_notebooks(NOTEBOOKS_DIR)
    print("recording the modules each notebook's kernel loads (one untimed refresh) ...", flush=True)
    modules = loaded_modules(DEMO_WORKSPACE, args.jobs)
    missing = [nb.stem for nb in notebooks if nb.stem not in modules]
    if missing:
        raise RuntimeError(f"no module list recorded for {missing}")
    imports = {nb: import_code(modules[nb.stem]) for nb in notebooks}
    narrow_imports = {nb: notebook_imports(nb) for nb in notebooks}

    floors, narrow_floors, refreshes, per_notebook, per_phase = [], [], [], [], []
    out = Path(tempfile.mkdtemp(prefix="bench-refresh-"))

    def floor_pair() -> None:
        floors.append(measure_floor(notebooks, args.jobs, imports))
        narrow_floors.append(measure_floor(notebooks, args.jobs, narrow_imports))
        print(f"floor   {floors[-1]:6.1f} s   (import lines only: {narrow_floors[-1]:.1f} s)", flush=True)

    floor_pair()
    for _ in range(args.repeat):
        elapsed, durations, phases = measure_refresh(DEMO_WORKSPACE, args.jobs, out)
        refreshes.append(elapsed)
        per_notebook.append(durations)
        per_phase.append(phases)
        print(f"refresh {elapsed:6.1f} s", flush=True)
        floor_pair()

    floor, narrow, refresh = (statistics.median(v) for v in (floors, narrow_floors, refreshes))
    ratio = refresh / floor
    verdict = "meets" if ratio <= TARGET else "misses"
    names = list(per_notebook[0])
    rows = "\n".join(
        f"| {name} | {statistics.median(d[name] for d in per_notebook):.1f} |" for name in names
    )
    phase_rows = "\n".join(
        f"| {name} | {statistics.median(p[name] for p in per_phase):.1f} |" for name in per_phase[0]
    )
    shutil.rmtree(out, ignore_errors=True)
    executing = statistics.median(p["notebooks"] for p in per_phase)
    overhead = statistics.median(r - p["notebooks"] for r, p in zip(refreshes, per_phase, strict=True))
    counts = ", ".join(f"{nb.stem} {len(modules[nb.stem])}" for nb in notebooks)
    section = f"""## Refresh

`benchmarks/bench_refresh.py`: a full `journeykit run` of the demo workspace (data/sample,
{len(notebooks)} notebooks, `--jobs {args.jobs}`) against the floor of starting the same
kernels with the same imports (same working directory, parallelism and stages: the report
notebook after the others), alternated in one process run; medians of {len(refreshes)}
refreshes and {len(floors)} floors of each kind.

| measure | seconds |
| --- | --- |
| floor: {len(notebooks)} kernels importing every module their refresh kernel loaded | {floor:.1f} |
| full refresh | {refresh:.1f} |
| **ratio** | **{ratio:.2f}x** (target <= {TARGET}x: {verdict}) |
| narrower floor: the notebooks' import lines + journeykit modules only (used before 2026-11-22 23:05 UTC) | {narrow:.1f} |
| ratio against the narrower floor | {refresh / narrow:.2f}x |

Modules loaded per kernel (floor imports): {counts}.

Where the refresh time goes (the runner's phases):

| phase | seconds |
| --- | --- |
{phase_rows}

Reading: "notebooks" includes validating the workspace (it runs while the first kernels
start) and each notebook's HTML export (done as soon as it finishes, while others run).
Everything after the last notebook (metrics, action plan, index.html, manifest, promotion)
takes {overhead:.1f} s = {overhead / floor:.2f}x the floor; executing the notebooks takes
{executing:.1f} s = {executing / floor:.2f}x the floor.

Per-notebook execution (papermill, kernel start and HTML export included; notebooks overlap):

| notebook | seconds |
| --- | --- |
{rows}

Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs
(shared with other work while measured, so absolute times vary; the ratio is the point).
All floors: {", ".join(f"{f:.1f}" for f in floors)} s; narrower floors: {", ".join(f"{f:.1f}" for f in narrow_floors)} s;
all refreshes: {", ".join(f"{r:.1f}" for r in refreshes)} s.
"""
    print(section)
    if not args.no_readme:
        print(f"written to {write_readme(section)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
