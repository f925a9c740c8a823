"""Benchmark a full ``journeykit run`` of the demo workspace against its floor.

A measurement, not a test. Run (from the repository root)::

    .venv/bin/python benchmarks/bench_refresh.py              # floor, refresh, floor, refresh, floor
    .venv/bin/python benchmarks/bench_refresh.py --repeat 1 --no-readme

The **floor** is what any headless refresh of these notebooks must pay: start one
kernel per notebook (the same kernel, working directory and parallelism as the
runner, the report notebook after the others as the runner does) and run the same
imports the notebook makes - its own ``import``/``from`` lines plus every journeykit
module behind the ``jk.<name>`` calls it contains - then shut the kernel down. The
**refresh** is :func:`journeykit.runner.run_notebooks` on the demo workspace into a
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


def measure_floor(notebooks: list[Path], jobs: int) -> float:
    """Seconds to start one kernel per notebook with its imports, in the runner's stages."""
    from journeykit.runner import _stages

    imports = {nb: notebook_imports(nb) for nb in notebooks}
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for stage in _stages(notebooks):
            list(pool.map(lambda nb: _kernel_with_imports(imports[nb], nb.parent), stage))
    return time.perf_counter() - began


def measure_refresh(workspace: Path, jobs: int, out: Path) -> tuple[float, dict[str, float], dict[str, float]]:
    """One refresh into ``out`` (kept between refreshes, as in production: the previous
    run feeds "what changed" and the runner's longest-first ordering)."""
    from journeykit.runner import run_notebooks

    began = time.perf_counter()
    result = run_notebooks(workspace, out, jobs=jobs, quiet=True)
    elapsed = time.perf_counter() - began
    if result.status != "success":
        raise RuntimeError(f"refresh failed: {result.failure}")
    phases = dict(result.phases)
    phases["validate + lock + hashing"] = elapsed - sum(phases.values())
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
    from journeykit.locations import DEMO_WORKSPACE, NOTEBOOKS_DIR
    from journeykit.runner import discover_notebooks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="refreshes to time (floors: repeat + 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)

    notebooks = discover_notebooks(NOTEBOOKS_DIR)
    floors, refreshes, per_notebook, per_phase = [], [], [], []
    out = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    floors.append(measure_floor(notebooks, args.jobs))
    print(f"floor   {floors[-1]:6.1f} s", flush=True)
    for _ in range(args.repeat):
        elapsed, durations, phases = measure_refresh(DEMO_WORKSPACE, args.jobs, out)
        refreshes.append(elapsed)
        per_notebook.append(durations)
        per_phase.append(phases)
        print(f"refresh {elapsed:6.1f} s", flush=True)
        floors.append(measure_floor(notebooks, args.jobs))
        print(f"floor   {floors[-1]:6.1f} s", flush=True)

    floor, refresh = statistics.median(floors), statistics.median(refreshes)
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
    section = f"""## Refresh

`benchmarks/bench_refresh.py`: a full `journeykit run` of the demo workspace (data/sample,
{len(notebooks)} notebooks, `--jobs {args.jobs}`) against the floor of starting the same
kernels with the same imports (same working directory, parallelism and stages: the report
notebook after the others), alternated in one process run; medians of {len(refreshes)}
refreshes and {len(floors)} floors.

| measure | seconds |
| --- | --- |
| floor: {len(notebooks)} kernels + imports | {floor:.1f} |
| full refresh | {refresh:.1f} |
| **ratio** | **{ratio:.2f}x** (target <= {TARGET}x: {verdict}) |

Where the refresh time goes (the runner's phases):

| phase | seconds |
| --- | --- |
{phase_rows}

Reading: everything the runner does besides executing notebooks (validation, lock, input
hashes, HTML exports, metrics, action plan, index.html) takes {overhead:.1f} s = {overhead / floor:.2f}x the
floor; executing the notebooks takes {executing:.1f} s = {executing / floor:.2f}x the floor. The gap to the
target is the analyses inside the notebooks (the notebooks below that take much longer than
the start-up notebooks 00 and 02), not papermill or the run folder.

Per-notebook execution (papermill, kernel start included; notebooks overlap):

| notebook | seconds |
| --- | --- |
{rows}

Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs
(shared with other work while measured, so absolute times vary; the ratio is the point).
All floors: {", ".join(f"{f:.1f}" for f in floors)} s; all refreshes: {", ".join(f"{r:.1f}" for r in refreshes)} s.
"""
    print(section)
    if not args.no_readme:
        print(f"written to {write_readme(section)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
