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

``--events-10m`` measures the **10M events** case instead (issue item 8: the refresh must
scale with the log, not with pandas): a workspace of the demo's journey.yaml, personas,
touchpoints and pain points plus the demo's events repeated with distinct customer ids to
10 million rows (Parquet, so stored by the large-event path), refreshed with
``journeykit run`` in a subprocess, against a ``journeykit run`` of the demo in the same
process run. For each run it gives the wall time and the peak RSS (VmHWM) of every process
of the run (the runner, papermill, each kernel, DuckDB inside them): polled from /proc
while the run lasts, and written by each Python process itself at exit (a start-up hook
on PYTHONPATH, which also names each kernel's notebook). Target: <= 3x the demo's refresh
time and no process above 1 GB. Section "Refresh with 10M events" of benchmarks/README.md.

    .venv/bin/python benchmarks/bench_refresh.py --events-10m       # heavy: minutes, GBs of disk
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
START_10M, END_10M = "<!-- refresh-10m:start -->", "<!-- refresh-10m:end -->"
TARGET_10M, MEMORY_MB_10M = 3.0, 1024


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


def write_readme(section: str, start: str = START, end: str = END) -> Path:
    readme = HERE / "README.md"
    text = readme.read_text("utf-8") if readme.exists() else "# Benchmarks\n"
    block = f"{start}\n{section.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text, "utf-8")
    return readme


# --------------------------------------------------------------------------- 10M events

# Imported first by every Python process of a measured run (on PYTHONPATH as sitecustomize):
# at exit it writes the process's peak RSS and command line.
_MEMORY_HOOK = r"""
import atexit, json, os, sys

def _journeykit_bench_peak():
    try:
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
        path = os.path.join(os.environ["JOURNEYKIT_BENCH_PEAKS"], f"exit-{os.getpid()}.json")
        with open(path, "w") as out:
            json.dump({"pid": os.getpid(), "peak_mb": peak, "argv": sys.argv}, out)
    except Exception:
        pass

atexit.register(_journeykit_bench_peak)
"""

# An IPython start-up file of the measured kernels (a throw-away IPYTHONDIR): after every
# cell it writes the kernel's notebook (the ``out`` of the notebook) and its peak RSS so far.
_KERNEL_HOOK = r"""
def _journeykit_bench_cell(result=None):
    import json, os
    from IPython import get_ipython
    name = getattr(get_ipython().user_ns.get("out"), "notebook", None)
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    path = os.path.join(os.environ["JOURNEYKIT_BENCH_PEAKS"], f"kernel-{os.getpid()}.json")
    with open(path, "w") as out:
        json.dump({"pid": os.getpid(), "peak_mb": peak, "notebook": name}, out)
get_ipython().events.register("post_run_cell", _journeykit_bench_cell)
"""


def _children(root: int) -> set[int]:
    """``root`` and every process below it, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def _peak_of(pid: int) -> tuple[float, str] | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    peak = next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return None if peak is None else (peak, cmdline.strip())


def _label(argv: str, notebook: str | None) -> str:
    if notebook:
        return f"kernel {notebook}"
    if "ipykernel" in argv:
        return "kernel (notebook not recorded)"
    if "papermill" in argv:
        return "papermill"
    if "journeykit" in argv and " run " in f"{argv} ":
        return "journeykit run (runner)"
    return argv[:60]


def measure_run(workspace: Path, out: Path, jobs: int, env: dict[str, str]) -> tuple[float, list[tuple[str, float]]]:
    """``journeykit run`` of ``workspace`` in a subprocess: wall seconds and (process, peak
    RSS MB) for every process of the run, largest first."""
    import json
    import subprocess
    import threading

    peaks_dir = Path(tempfile.mkdtemp(prefix="bench-peaks-"))
    hook = peaks_dir / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_MEMORY_HOOK, "utf-8")
    startup = peaks_dir / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-journeykit-bench.py").write_text(_KERNEL_HOOK, "utf-8")
    run_env = dict(env)
    run_env["IPYTHONDIR"] = str(peaks_dir / "ipython")
    run_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hook), str(ROOT), env.get("PYTHONPATH")) if p)
    run_env["JOURNEYKIT_BENCH_PEAKS"] = str(peaks_dir)
    command = [str(Path(sys.executable).parent / "journeykit"), "run", "--workspace", str(workspace),
               "--out", str(out), "--jobs", str(jobs), "--quiet"]
    polled: dict[int, tuple[float, str]] = {}
    began = time.perf_counter()
    process = subprocess.Popen(command, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            for pid in _children(process.pid):
                found = _peak_of(pid)
                if found and found[0] >= polled.get(pid, (0.0, ""))[0]:
                    polled[pid] = found
            done.wait(0.2)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - began
    done.set()
    watcher.join()
    if process.returncode != 0:
        raise RuntimeError(f"journeykit run failed ({process.returncode}): {stderr[-3000:]}{stdout[-1000:]}")
    written: dict[int, dict] = {}
    for path in sorted(peaks_dir.glob("*.json")):  # exit-<pid> before kernel-<pid>
        record = json.loads(path.read_text("utf-8"))
        seen = written.setdefault(record["pid"], {})
        seen["peak_mb"] = max(seen.get("peak_mb", 0.0), record["peak_mb"])
        seen.setdefault("argv", " ".join(record.get("argv", [])))
        seen["notebook"] = record.get("notebook") or seen.get("notebook")
    rows = []
    for pid in set(polled) | set(written):
        peak = max(polled.get(pid, (0.0, ""))[0], written.get(pid, {}).get("peak_mb", 0.0))
        argv = polled.get(pid, (0.0, ""))[1] or written.get(pid, {}).get("argv", "")
        rows.append((_label(argv, written.get(pid, {}).get("notebook")), peak))
    shutil.rmtree(peaks_dir, ignore_errors=True)
    return elapsed, sorted(rows, key=lambda r: -r[1])


def make_10m_workspace(folder: Path, rows: int) -> tuple[Path, int]:
    """The demo's journey.yaml, personas, touchpoints and pain points plus its events
    repeated with distinct customer ids (``<id>-<copy>``) to ``rows`` rows, as Parquet."""
    from journeykit.core._sql import connect, literal
    from journeykit.workspace.locations import DEMO_WORKSPACE

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("journey.yaml", "personas.csv", "touchpoints.csv", "painpoints.csv"):
        shutil.copy2(DEMO_WORKSPACE / name, folder / name)
    source, target = DEMO_WORKSPACE / "events.parquet", folder / "events.parquet"
    con = connect(preserve_insertion_order=True)
    try:
        [(demo_rows,)] = con.sql(f"SELECT count(*) FROM read_parquet({literal(str(source))})").fetchall()
        copies = -(-rows // demo_rows)
        con.execute(f"""
            COPY (
                SELECT * REPLACE (customer_id || '-' || c AS customer_id)
                FROM read_parquet({literal(str(source))}), range({copies}) t(c)
                LIMIT {rows}
            ) TO {literal(str(target))} (FORMAT parquet, COMPRESSION zstd)
        """)
    finally:
        con.close()
    return target, target.stat().st_size


def newest_run(out: Path) -> Path:
    """The newest run folder of a reports folder (run ids sort by time)."""
    return max((p for p in out.iterdir() if (p / "manifest.json").is_file()), key=lambda p: p.name)


def slowest_cells(out: Path, count: int = 12) -> tuple[list[tuple[str, float]], list[tuple[str, str, float]]]:
    """Per-notebook and slowest-cell execution seconds of a run folder's executed notebooks
    (papermill's ``duration`` metadata)."""
    import nbformat

    notebooks: list[tuple[str, float]] = []
    cells: list[tuple[str, str, float]] = []
    for path in sorted(out.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        notebooks.append((path.stem, float(nb.metadata.get("papermill", {}).get("duration") or 0.0)))
        for cell in nb.cells:
            seconds = cell.metadata.get("papermill", {}).get("duration")
            if cell.cell_type == "code" and seconds:
                first = next((line for line in cell.source.splitlines()
                              if line.strip() and not line.lstrip().startswith("#")), "")
                cells.append((path.stem, first.strip()[:70], float(seconds)))
    cells.sort(key=lambda c: -c[2])
    return notebooks, cells[:count]


def main_10m(args: argparse.Namespace) -> int:
    import datetime as dt

    from journeykit.workspace.eventstore import LARGE_EVENTS_BYTES
    from journeykit.workspace.locations import DEMO_WORKSPACE

    scratch = Path(tempfile.mkdtemp(prefix="bench-refresh-10m-"))
    try:
        print(f"writing the {args.rows:,}-row workspace ...", flush=True)
        workspace = scratch / "workspace"
        events, size = make_10m_workspace(workspace, args.rows)
        env = dict(os.environ)
        env.pop("JOURNEYKIT_RUN_CACHE", None)
        forced = ""
        if size <= LARGE_EVENTS_BYTES:  # keep it on the large-event path whatever the compression gives
            env["JOURNEYKIT_LARGE_EVENTS_BYTES"] = str(size - 1)
            forced = f" (under the {LARGE_EVENTS_BYTES / 2**20:.0f} MiB threshold: lowered to keep it large)"
        # a scheduled refresh: the second run into the same reports folder (bytecode, font cache
        # and file cache warm; the runner orders notebooks longest first by the previous run)
        print("demo: first run (not timed) ...", flush=True)
        measure_run(DEMO_WORKSPACE, scratch / "out-demo", args.jobs, env)
        print("demo refresh ...", flush=True)
        demo_seconds, demo_peaks = measure_run(DEMO_WORKSPACE, scratch / "out-demo", args.jobs, env)
        print(f"demo    {demo_seconds:6.1f} s, largest process {demo_peaks[0][1]:.0f} MB", flush=True)
        print("10M events: first run ...", flush=True)
        first_seconds, first_peaks = measure_run(workspace, scratch / "out-10m", args.jobs, env)
        print(f"10M first run {first_seconds:6.1f} s, largest process {first_peaks[0][1]:.0f} MB", flush=True)
        print("10M-event refresh ...", flush=True)
        big_seconds, big_peaks = measure_run(workspace, scratch / "out-10m", args.jobs, env)
        print(f"10M     {big_seconds:6.1f} s, largest process {big_peaks[0][1]:.0f} MB", flush=True)
        big_notebooks, big_cells = slowest_cells(newest_run(scratch / "out-10m"))
        demo_notebooks = dict(slowest_cells(newest_run(scratch / "out-demo"))[0])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ratio = big_seconds / demo_seconds
    over = [(name, peak) for name, peak in big_peaks + first_peaks if peak > MEMORY_MB_10M]
    time_verdict = "meets" if ratio <= TARGET_10M else "misses"
    memory_verdict = "meets" if not over else f"misses: {len(over)} above"

    def table(peaks: list[tuple[str, float]]) -> str:
        return "\n".join(f"| {name} | {peak:.0f} |" for name, peak in peaks)

    notebook_rows = "\n".join(f"| {name} | {demo_notebooks.get(name, 0.0):.1f} | {seconds:.1f} |"
                              for name, seconds in big_notebooks)
    cell_rows = "\n".join(f"| {name} | `{first.replace('|', '/')}` | {seconds:.1f} |"
                          for name, first, seconds in big_cells)
    section = f"""## Refresh with 10M events

`benchmarks/bench_refresh.py --events-10m`, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC:
`journeykit run --jobs {args.jobs}` of a workspace with the demo's journey.yaml, personas,
touchpoints and pain points and the demo's events repeated with distinct customer ids to
{args.rows:,} rows (Parquet, zstd, {size / 2**20:.0f} MiB: stored by the large-event path{forced}),
against `journeykit run` of the demo workspace in the same process run. Each is timed as a
scheduled refresh finds it: the second run into the same reports folder (the first warms
bytecode, font and file caches and gives the runner the notebook durations it orders the
next run by, longest first); the first 10M run is shown too. Peak RSS = VmHWM
of each process of the run (polled from /proc, and written by each Python process at exit).

| measure | demo | 10M events |
| --- | ---: | ---: |
| refresh wall time (s) | {demo_seconds:.1f} | {big_seconds:.1f} |
| largest process peak RSS (MB) | {demo_peaks[0][1]:.0f} | {big_peaks[0][1]:.0f} |
| first run into an empty reports folder (s) | - | {first_seconds:.1f} |
| first run: largest process peak RSS (MB) | - | {first_peaks[0][1]:.0f} |

Time: **{ratio:.2f}x** the demo's refresh (target <= {TARGET_10M:g}x: {time_verdict}).
Memory: target no process above {MEMORY_MB_10M} MB: {memory_verdict}.

Execution per notebook (papermill's cell durations summed; notebooks overlap, `--jobs {args.jobs}`):

| notebook | demo s | 10M events s |
| --- | ---: | ---: |
{notebook_rows}

Slowest cells of the 10M-event run:

| notebook | cell (first line) | seconds |
| --- | --- | ---: |
{cell_rows}

Peak RSS per process, 10M events (MB):

| process | peak RSS (MB) |
| --- | ---: |
{table(big_peaks)}

Peak RSS per process, demo (MB):

| process | peak RSS (MB) |
| --- | ---: |
{table(demo_peaks)}

Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs
(shared with other work while measured).
"""
    print(section)
    if not args.no_readme:
        print(f"written to {write_readme(section, START_10M, END_10M)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from journeykit.run.runner import discover_notebooks
    from journeykit.workspace.locations import DEMO_WORKSPACE, NOTEBOOKS_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="refreshes to time (floors: repeat + 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--events-10m", action="store_true",
                        help="the 10M events case: a refresh on the demo's events repeated to --rows rows")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the --events-10m log")
    args = parser.parse_args(argv)
    if args.events_10m:
        return main_10m(args)

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
