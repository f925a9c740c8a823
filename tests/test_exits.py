"""Quiet exits: `journeykit run` failing with exit 2 (invalid workspace), 1 (a notebook
fails) or 143 (SIGTERM during a run) prints the kit's own message on stderr and nothing
from kernel shutdown (jupyter_client, asyncio, tornado, zmq): no "Task was destroyed",
no "Kernel died", no traceback, no warnings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import write_workspace
from .test_runner import make_notebook

ROOT = Path(__file__).resolve().parent.parent
NOISE = ("Task was destroyed", "Kernel died", "Traceback", "RuntimeWarning", "Exception ignored",
         "asyncio", "tornado", "jupyter_client", "zmq", "Warning:", "pending")


def _script(notebooks: Path, *args: str) -> str:
    """A `journeykit …` command line run in a child process, with the notebooks folder
    pointed at ``notebooks`` (as the tests of the runner do)."""
    return (
        "import sys, pathlib, importlib\n"
        "p = importlib.import_module('journeykit.workspace.locations')\n"
        f"p.NOTEBOOKS_DIR = pathlib.Path({str(notebooks)!r})\n"
        "from journeykit.run.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.pop("PYTHONWARNINGS", None)
    return env


#: how the kit's own lines begin (its message may name the error, e.g. "DeadKernelError: Kernel died")
KIT_LINES = ("journeykit", "  > ", "  the executed notebook")


def _assert_quiet(err: str) -> None:
    noisy = [line for line in err.splitlines()
             if any(n in line for n in NOISE) and not line.startswith(KIT_LINES)]
    assert not noisy, err


def test_invalid_workspace_exit_2_prints_only_the_problems(tmp_path):
    bad_touchpoints = "id,stage,channel,name,owner\ntp1,no_such_stage,web,Ad,Sales\n"
    workspace = write_workspace(tmp_path / "ws", touchpoints=bad_touchpoints)
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "00_marker.ipynb", "x = 1")
    proc = subprocess.run(
        [sys.executable, "-c", _script(notebooks, "run", "--workspace", str(workspace), "--out",
                                       str(tmp_path / "reports"), "--quiet")],
        capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == 2, proc.stderr
    assert "no_such_stage" in proc.stderr
    _assert_quiet(proc.stderr)


def test_failing_notebook_exit_1_prints_only_the_kit_message(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "02_broken.ipynb", "x = 1", "raise ValueError('boom')")
    make_notebook(notebooks / "03_other.ipynb", "import time\ntime.sleep(2)")
    proc = subprocess.run(
        [sys.executable, "-c", _script(notebooks, "run", "--workspace", str(workspace), "--out",
                                       str(tmp_path / "reports"), "--quiet", "--jobs", "2")],
        capture_output=True, text=True, timeout=180, env=_env())
    assert proc.returncode == 1, proc.stderr
    assert "notebook 02_broken" in proc.stderr and "ValueError: boom" in proc.stderr
    # the kit's message quotes the failing cell; nothing else may look like a traceback
    _assert_quiet(proc.stderr)


def test_dead_kernel_exit_1_prints_only_the_kit_message(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "02_dies.ipynb", "x = 1", "import os\nos._exit(1)")
    proc = subprocess.run(
        [sys.executable, "-c", _script(notebooks, "run", "--workspace", str(workspace), "--out",
                                       str(tmp_path / "reports"), "--quiet")],
        capture_output=True, text=True, timeout=180, env=_env())
    assert proc.returncode == 1, proc.stderr
    assert "FAILED in notebook 02_dies" in proc.stderr
    _assert_quiet(proc.stderr)


def test_sigterm_exit_143_prints_only_the_kit_message(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    started = tmp_path / "started"
    make_notebook(notebooks / "00_slow.ipynb", f"open({str(started)!r}, 'w').close()",
                  "import time\ntime.sleep(60)")
    make_notebook(notebooks / "01_slow.ipynb", "import time\ntime.sleep(60)")
    out = tmp_path / "reports"
    proc = subprocess.Popen(
        [sys.executable, "-c", _script(notebooks, "run", "--workspace", str(workspace), "--out",
                                       str(out), "--quiet", "--jobs", "2")],
        stderr=subprocess.PIPE, text=True, env=_env())
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not started.exists():
            time.sleep(0.1)
        assert started.exists(), "the notebook never started"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 143, err
    assert "stopped" in err.lower() or "interrupt" in err.lower() or "terminated" in err.lower(), err
    _assert_quiet(err)
