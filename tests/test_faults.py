"""Faults: a real `journeykit run` killed with SIGKILL at random moments, a full disk,
a read-only output folder, a cell that times out, and a widget save killed half-way.
Nothing is lost: `latest` only ever points at a complete successful run, the workspace
is byte-for-byte unchanged, and the next run succeeds."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

import journeykit as jk
from journeykit.run.runner import run_notebooks
from journeykit.run.runs import find_runs, resolve_latest

from .conftest import SAMPLE, tree_digest, write_workspace
from .test_runner import make_notebook

QUICK = "00,02"  # the two quickest real notebooks


def _run_cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "journeykit.run.cli", "run", "--quiet", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the orphaned kernels too, so nothing lingers


def _assert_consistent(out: Path) -> None:
    """Every promoted run is complete; latest points at one of them."""
    latest = resolve_latest(out)
    assert latest is not None
    for run in find_runs(out):
        if run.status == "success":
            manifest = json.loads((run.path / "manifest.json").read_text("utf-8"))
            assert manifest["status"] == "success"
            assert (run.path / "index.html").stat().st_size > 1000
    manifest = json.loads((latest / "manifest.json").read_text("utf-8"))
    assert manifest["status"] == "success" and (latest / "index.html").is_file()


@pytest.fixture(scope="module")
def sample_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults") / "sample"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_sigkill_at_random_moments_never_promotes_a_half_run(sample_copy, tmp_path):
    out = tmp_path / "reports"
    before = tree_digest(sample_copy)
    first = _run_cli("--workspace", str(sample_copy), "--out", str(out), "--notebooks", QUICK)
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    good = resolve_latest(out)
    rng = random.Random(20261122)
    for delay in sorted(rng.uniform(0.2, 7.0) for _ in range(4)):
        process = _run_cli("--workspace", str(sample_copy), "--out", str(out), "--notebooks", QUICK)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)  # only the runner: the harshest case for its state
        process.wait(timeout=60)
        _kill_group(process)
        _assert_consistent(out)
        latest = resolve_latest(out)
        assert latest == good or (latest / "manifest.json").is_file()
        good = latest
    assert tree_digest(sample_copy) == before
    last = _run_cli("--workspace", str(sample_copy), "--out", str(out), "--notebooks", QUICK)
    _, stderr = last.communicate(timeout=300)
    assert last.returncode == 0, stderr
    assert resolve_latest(out) != good  # the next run succeeded and was promoted
    assert not list(out.glob(".tmp-*"))  # leftovers of killed runs were cleaned up
    _assert_consistent(out)


@contextlib.contextmanager
def _tmpfs(size: str, *, read_only: bool = False):
    """A real small (or read-only) filesystem. Needs root; skipped without it, except in CI."""
    mount_point = Path(tempfile.mkdtemp(prefix="journeykit-fs-"))
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        mount_point.rmdir()
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs in CI: {result.stderr}")
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()})")
    try:
        (mount_point / "reports").mkdir()
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        yield mount_point / "reports"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
        shutil.rmtree(mount_point, ignore_errors=True)


def test_full_disk_gives_a_clear_error_and_promotes_nothing(sample_copy):
    with _tmpfs("600k") as out:
        process = _run_cli("--workspace", str(sample_copy), "--out", str(out), "--notebooks", QUICK)
        _, stderr = process.communicate(timeout=300)
        _kill_group(process)
        assert process.returncode in (1, 2), stderr
        assert "No space left on device" in stderr
        assert "Traceback" not in stderr
        assert resolve_latest(out) is None
        assert not [r for r in find_runs(out) if r.status == "success"]


def test_read_only_output_folder_is_a_clear_error(sample_copy):
    with _tmpfs("1m", read_only=True) as out:
        process = _run_cli("--workspace", str(sample_copy), "--out", str(out), "--notebooks", "00")
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 2, stderr
        assert "Read-only file system" in stderr or "not writable" in stderr
        assert "Traceback" not in stderr


def test_output_path_under_a_file_is_a_clear_error(sample_copy, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    process = _run_cli("--workspace", str(sample_copy), "--out", str(blocker / "reports"), "--notebooks", "00")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2 and "Traceback" not in stderr and "reports" in stderr


def test_cell_timeout_fails_the_run_with_the_message(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "00_slow.ipynb", "import time\ntime.sleep(60)")
    out = tmp_path / "reports"
    started = time.monotonic()
    result = run_notebooks(workspace, out, notebooks_dir=notebooks, timeout=3, quiet=True)
    assert time.monotonic() - started < 45
    assert result.status == "failed"
    failed = next(p for p in out.iterdir() if p.name.endswith("-failed"))
    manifest = json.loads((failed / "manifest.json").read_text("utf-8"))
    assert "timed out" in json.dumps(manifest).lower() or "timeout" in json.dumps(manifest).lower()
    assert resolve_latest(out) is None


SAVER = """
import sys, pandas as pd, journeykit as jk
ws = jk.load_workspace(sys.argv[1])
frame = ws.painpoints
big = pd.concat([frame.iloc[:1]] * 400, ignore_index=True)  # 400 rows whatever the file holds
big["id"] = [f"p{i}" for i in range(len(big))]
print("ready", flush=True)
i = 0
while True:
    i += 1
    big["description"] = f"edit {i} " + "x" * 200
    jk.save_table(ws, "painpoints", big)
"""


def test_widget_save_killed_half_way_leaves_a_whole_file(tmp_path):
    folder = write_workspace(tmp_path / "ws", painpoints="id,touchpoint,kind,description\np1,tp_counter,pain,Queue\n")
    rng = random.Random(7)
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-c", SAVER, str(folder)], stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.5))
        process.kill()
        process.wait()
        ws = jk.load_workspace(folder)  # the file is whole: the old version or a new one, never half
        assert len(ws.painpoints) in (1, 400)
        history = sorted((folder / ".journeykit" / "history").glob("painpoints.*.csv"))
        for copy in history:
            assert len(pd.read_csv(copy)) in (1, 400)  # every kept previous version is whole too
        jk.save_table(ws, "painpoints", ws.painpoints)  # the next save works and tidies up
        assert not list(folder.glob(".painpoints.csv.*.tmp"))
        assert {p.name for p in folder.iterdir() if not p.name.startswith(".")} == {
            "journey.yaml", "personas.csv", "touchpoints.csv", "painpoints.csv"}
