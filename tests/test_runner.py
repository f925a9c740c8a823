"""journeykit run, end to end on tiny throw-away notebooks: one folder per run, the
files a user opens, `latest` only ever pointing at a complete successful run, the lock,
interrupts, and a workspace left byte-for-byte unchanged."""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from filelock import FileLock, Timeout

from journeykit.core.errors import WorkspaceError
from journeykit.run.cli import parse_parameter_value, run_command
from journeykit.run.manifest import hash_workspace
from journeykit.run.runner import LOCK_FILE, run_notebooks
from journeykit.run.runs import find_runs, resolve_latest, resolve_run

from .conftest import tree_digest, write_workspace

ROOT = Path(__file__).resolve().parent.parent
# the module, not journeykit.workspace.locations (the public name `paths` is the events function)
PATHS = importlib.import_module("journeykit.workspace.locations")

PARAMETERS_CELL = (
    'workspace = "../data/sample"\ninteractive = True\noutput_dir = None\non_bad_rows = "strict"\n'
)
HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]


def make_notebook(path: Path, *code: str, extra_parameters: str = "") -> Path:
    """A notebook shaped like the kit's: markdown, a tagged parameters cell, code cells."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS_CELL + extra_parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in code]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


OUT = "from journeykit.run.outputs import Outputs\nout = Outputs(output_dir, notebook={name!r})\n"


def demo_notebooks(folder: Path) -> Path:
    """Three notebooks: a start page (note + parameters seen), an analysis (figure, tables
    with hostile text, a metric from a parameter) and the final report notebook, which
    checks that the others ran before it."""
    make_notebook(
        folder / "00_start_here.ipynb",
        OUT.format(name="00_start_here")
        + "import pandas as pd\nimport journeykit as jk\n"
        "out.note('semantics', 'NPS = % promoters (9-10) - % detractors (0-6)')\n"
        "shared = jk.load_workspace(workspace).run_cache is not None\n"
        "seen = pd.DataFrame({'name': ['workspace', 'interactive', 'output_dir', 'on_bad_rows', 'shared'],\n"
        "                     'value': [workspace, repr(interactive), output_dir, on_bad_rows, repr(shared)]})\n"
        "out.table(seen, 'parameters_seen')\n",
        "SECRET_CODE_MARKER = 'this source line must not appear in the HTML'\nprint('visible output line')",
    )
    make_notebook(
        folder / "01_analysis.ipynb",
        OUT.format(name="01_analysis")
        + "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nimport pandas as pd\n"
        "fig, ax = plt.subplots(figsize=(4, 3))\nax.bar(['a', 'b'], [1, nps_value])\n"
        "ax.set_title('Bars'); ax.set_ylabel('count')\n"
        "out.figure(fig, 'bars', title='Bars by group', alt='Two bars, b taller than a', section='personas')\n"
        f"hostile = {HOSTILE!r}\n"
        "out.table(pd.DataFrame({'persona': hostile, 'n': [1, 2, 3]}), 'personas')\n"
        "out.table(pd.DataFrame({'description': ['=HYPERLINK(\"http://evil\")', 'Slow checkout'],\n"
        "                        'priority': [1, 2]}), 'action_plan')\n"
        "out.metrics({'nps': {'value': nps_value, 'n': 200, 'ci_low': nps_value - 5,\n"
        "                     'ci_high': nps_value + 5, 'unit': 'points', 'label': 'Net Promoter Score'},\n"
        "             'hostile': {'value': 1.0, 'label': hostile[1]}})\n",
        extra_parameters="nps_value = 0.0\n",
    )
    make_notebook(
        folder / "05_journey_report.ipynb",
        OUT.format(name="05_journey_report")
        + "import json, os\n"
        "figures = json.load(open(os.path.join(output_dir, 'figures.json')))\n"
        "assert [f['name'] for f in figures] == ['bars'], figures\n"
        "out.note('coverage', 'report notebook ran after the analyses')\n",
    )
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _TagBalance(HTMLParser):
    VOID = {"meta", "link", "img", "br", "hr", "input", "col", "area", "base", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <meta ... /> opens and closes itself

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def assert_well_formed_html(text: str) -> None:
    parser = _TagBalance()
    parser.feed(text)
    parser.close()
    assert not parser.errors and not parser.stack, (parser.errors[:5], parser.stack)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runner")
    workspace = write_workspace(base / "ws")
    notebooks = demo_notebooks(base / "notebooks")
    out = base / "reports"
    before = tree_digest(workspace)
    events = []
    first = run_notebooks(workspace, out, notebooks_dir=notebooks, parameters={"nps_value": 10.0},
                          jobs=2, progress=events.append, figure_formats="png,svg")
    second = run_notebooks(workspace, out, notebooks_dir=notebooks, parameters={"nps_value": 25.0},
                           jobs=2, quiet=True)
    return {"workspace": workspace, "out": out, "first": first, "second": second,
            "before": before, "after": tree_digest(workspace), "events": events}


def test_successful_run_writes_every_file_and_points_latest_at_it(two_runs):
    first, second, out = two_runs["first"], two_runs["second"], two_runs["out"]
    assert (first.status, first.exit_code, second.status) == ("success", 0, "success")
    assert first.run_id < second.run_id  # sortable ids, the second is newer
    assert resolve_latest(out) == second.path.resolve()
    run = second.path
    for name in ("index.html", "manifest.json", "metrics.json", "figures.json", "notes.json",
                 "action_plan.csv", "action_plan.xlsx", "figures/01_analysis__bars.png",
                 "tables/personas.csv"):
        assert (run / name).is_file(), name
    # SVG copies only when asked for (the first run asked, as `journeykit run --svg` does)
    assert (first.path / "figures/01_analysis__bars.svg").is_file()
    assert not (run / "figures/01_analysis__bars.svg").exists()
    assert json.loads((run / "manifest.json").read_text("utf-8"))["figure_formats"] == ["png"]
    # the kernels' shared cache goes with the temporary folder
    assert not (run / ".cache").exists() and not (first.path / ".cache").exists()
    for stem in ("00_start_here", "01_analysis", "05_journey_report"):
        assert (run / "notebooks" / f"{stem}.ipynb").is_file()
        assert_well_formed_html((run / "notebooks" / f"{stem}.html").read_text("utf-8"))
    for name in ("manifest.json", "metrics.json", "figures.json", "notes.json"):
        json.loads((run / name).read_text("utf-8"))
    assert_well_formed_html((run / "index.html").read_text("utf-8"))
    # nothing temporary is left and nothing failed
    assert sorted(p.name for p in out.iterdir() if p.name.startswith((".tmp-", "."))) == [LOCK_FILE]
    assert [r.status for r in find_runs(out)] == ["success", "success"]


def test_notebooks_receive_the_run_parameters(two_runs):
    seen = pd.read_csv(two_runs["second"].path / "tables" / "parameters_seen.csv")
    values = dict(zip(seen["name"], seen["value"], strict=True))
    assert values["workspace"] == str(two_runs["workspace"].resolve())
    assert values["interactive"] == "False"
    assert values["on_bad_rows"] == "strict"
    assert values["shared"] == "True"  # the kernel got the workspace the runner checked (runcache)
    # the notebooks wrote into the temporary build folder that became the run folder
    assert Path(values["output_dir"]).name == ".tmp-" + two_runs["second"].run_id


def test_manifest_records_inputs_versions_and_timings(two_runs):
    second, workspace = two_runs["second"], two_runs["workspace"]
    manifest = json.loads((second.path / "manifest.json").read_text("utf-8"))
    assert manifest["run_id"] == second.run_id and manifest["status"] == "success"
    assert manifest["business"] == "Test Bakery"
    expected = {p.name: sha256(p) for p in workspace.iterdir() if p.is_file()}
    assert {e["path"]: e["sha256"] for e in manifest["inputs"]} == expected
    assert manifest["parameters"]["nps_value"] == 25.0 and "output_dir" not in manifest["parameters"]
    assert manifest["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert manifest["versions"]["pandas"] == pd.__version__
    assert [(n["name"], n["status"]) for n in manifest["notebooks"]] == [
        ("00_start_here", "ok"), ("01_analysis", "ok"), ("05_journey_report", "ok")]
    assert all(n["duration_s"] > 0 for n in manifest["notebooks"])
    assert manifest["started"] <= manifest["finished"]
    assert manifest["previous_run"] == two_runs["first"].run_id


def test_metrics_json_follows_the_contract(two_runs):
    doc = json.loads((two_runs["second"].path / "metrics.json").read_text("utf-8"))
    assert doc["run_id"] == two_runs["second"].run_id
    assert doc["metrics"]["nps"] == {"value": 25.0, "n": 200, "ci_low": 20.0, "ci_high": 30.0,
                                     "unit": "points", "label": "Net Promoter Score"}


def test_second_report_shows_what_changed(two_runs):
    html = (two_runs["second"].path / "index.html").read_text("utf-8")
    section = html.split('id="summary"', 1)[1].split("</section>", 1)[0]
    assert f"KPI changes since run {two_runs['first'].run_id}" in section
    row = section.split("Net Promoter Score", 1)[1].split("</tr>", 1)[0]
    assert "10.0 points" in row and "25.0 points" in row and "+15.0 points" in row
    first_html = (two_runs["first"].path / "index.html").read_text("utf-8")
    assert "This is the first run" in first_html


def test_notebook_html_has_no_code_and_no_injected_parameters(two_runs):
    html = (two_runs["second"].path / "notebooks" / "00_start_here.html").read_text("utf-8")
    assert "visible output line" in html
    assert "SECRET_CODE_MARKER" not in html
    assert str(two_runs["workspace"].resolve()) not in html  # the injected-parameters cell is gone
    assert "<script" not in html  # no require.js/MathJax from the internet, nothing to run


def test_hostile_text_is_escaped_in_the_report(two_runs):
    html = (two_runs["second"].path / "index.html").read_text("utf-8")
    for text in HOSTILE[:2]:
        assert text not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html.lower() and "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert 'href="javascript:' not in html.lower()


def test_action_plan_cells_cannot_start_a_formula(two_runs):
    import openpyxl

    run = two_runs["second"].path
    plan = pd.read_csv(run / "action_plan.csv", dtype=str)
    assert plan["description"].tolist() == ["'=HYPERLINK(\"http://evil\")", "Slow checkout"]
    sheet = openpyxl.load_workbook(run / "action_plan.xlsx").active
    assert sheet["A2"].value == "'=HYPERLINK(\"http://evil\")" and sheet["A2"].data_type != "f"


def test_run_never_writes_into_the_workspace(two_runs):
    assert two_runs["after"] == two_runs["before"]


def test_progress_reports_every_notebook(two_runs):
    events = two_runs["events"]
    finished = [e.notebook for e in events if e.kind == "done"]
    assert sorted(finished) == ["00_start_here", "01_analysis", "05_journey_report"]
    assert finished[-1] == "05_journey_report"  # the report notebook runs after the others
    assert max(e.done for e in events) == 3 and all(e.total == 3 for e in events)


def _fake_previous_run(out: Path) -> Path:
    previous = out / "20200101T000000Z"
    previous.mkdir(parents=True)
    (previous / "manifest.json").write_text('{"run_id": "20200101T000000Z"}', "utf-8")
    os.symlink(previous.name, out / "latest")
    return previous


def _args(workspace: Path, out: Path, **overrides) -> argparse.Namespace:
    values = dict(workspace=str(workspace), out=str(out), parameter=[], parameters_file=None,
                  notebooks=None, jobs=1, on_bad_rows="strict", timeout=None, lock_timeout=600.0,
                  quiet=True)
    values.update(overrides)
    return argparse.Namespace(**values)


def test_failed_run_keeps_the_notebook_and_leaves_latest_alone(tmp_path, monkeypatch, capsys):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "02_broken.ipynb", "x = 1", "raise ValueError('boom: no such column <b>')", "y = 2")
    out = tmp_path / "reports"
    previous = _fake_previous_run(out)
    before = tree_digest(workspace)
    monkeypatch.setattr(PATHS, "NOTEBOOKS_DIR", notebooks)

    code = run_command(_args(workspace, out))

    assert code == 1
    err = capsys.readouterr().err
    assert "notebook 02_broken, cell In [4]: ValueError: boom: no such column <b>" in err
    assert "> raise ValueError('boom" in err  # the failing cell's source
    assert resolve_latest(out) == previous.resolve()
    failed = [p for p in out.iterdir() if p.name.endswith("-failed")]
    assert len(failed) == 1 and not list(out.glob(".tmp-*"))
    executed = nbformat.read(failed[0] / "notebooks" / "02_broken.ipynb", as_version=4)
    error_cells = [c for c in executed.cells if c.get("outputs") and c.outputs[0].get("output_type") == "error"]
    assert len(error_cells) == 1 and error_cells[0].outputs[0]["evalue"].startswith("boom")
    assert "papermill-error-cell" in executed.cells[0].source  # papermill marks it at the top
    manifest = json.loads((failed[0] / "manifest.json").read_text("utf-8"))
    assert manifest["status"] == "failed" and manifest["failure"]["name"] == "02_broken"
    assert "ValueError" in (failed[0] / "run.log").read_text("utf-8")
    assert not (failed[0] / "index.html").exists()
    assert [r.status for r in find_runs(out)] == ["success", "failed"]
    assert tree_digest(workspace) == before


def test_invalid_workspace_exits_2_before_any_notebook_runs(tmp_path, monkeypatch, capsys):
    bad_touchpoints = "id,stage,channel,name,owner\ntp1,no_such_stage,web,Ad,Sales\n"
    workspace = write_workspace(tmp_path / "ws", touchpoints=bad_touchpoints)
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "00_marker.ipynb", "open('/nonexistent/should-not-run', 'w')")
    monkeypatch.setattr(PATHS, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "reports"

    assert run_command(_args(workspace, out)) == 2
    err = capsys.readouterr().err
    assert "no_such_stage" in err and "started" not in err and "FAILED" not in err
    # no run folder, no temporary folder: at most the (empty) lock file of the reports folder
    assert not out.exists() or [p.name for p in out.iterdir()] in ([], [LOCK_FILE])
    with pytest.raises(WorkspaceError):
        run_notebooks(workspace, out, notebooks_dir=notebooks, quiet=True)


def test_second_run_waits_for_the_lock_then_exits_3(tmp_path, monkeypatch, capsys):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "00_slow.ipynb", "import time\ntime.sleep(4)")
    monkeypatch.setattr(PATHS, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "reports"
    results = {}
    first = threading.Thread(target=lambda: results.setdefault(
        "first", run_notebooks(workspace, out, notebooks_dir=notebooks, quiet=True)))
    first.start()
    lock = FileLock(str(out / LOCK_FILE), timeout=0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the first run holds the lock
        try:
            with lock:
                pass
        except (Timeout, FileNotFoundError):
            if (out / LOCK_FILE).exists():
                break
        time.sleep(0.05)

    began = time.monotonic()
    code = run_command(_args(workspace, out, lock_timeout=0.5))
    waited = time.monotonic() - began
    first.join(60)

    assert code == 3
    assert "another journeykit run" in capsys.readouterr().err
    assert 0.5 <= waited < 4
    assert results["first"].status == "success"
    assert [r.status for r in find_runs(out)] == ["success"]


def test_sigterm_removes_the_temporary_folder_and_exits_143(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    started = tmp_path / "started"
    make_notebook(notebooks / "00_slow.ipynb", f"open({str(started)!r}, 'w').close()", "import time\ntime.sleep(60)")
    out = tmp_path / "reports"
    previous = _fake_previous_run(out)
    script = (
        "import sys, pathlib, importlib\n"
        "p = importlib.import_module('journeykit.workspace.locations')\n"
        f"p.NOTEBOOKS_DIR = pathlib.Path({str(notebooks)!r})\n"
        "from journeykit.run.cli import main\n"
        f"sys.exit(main(['run', '--workspace', {str(workspace)!r}, '--out', {str(out)!r}, '--quiet']))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not started.exists():  # wait until the cells run
            time.sleep(0.1)
        assert started.exists(), "the notebook never started"
        assert list(out.glob(".tmp-*/notebooks"))
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 143, proc.stderr.read()
    assert not list(out.glob(".tmp-*"))
    assert resolve_latest(out) == previous.resolve()
    assert [r.status for r in find_runs(out)] == ["success"]


def test_interrupt_while_kernels_start_cleans_up(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "00_slow.ipynb", "import time\ntime.sleep(60)")
    make_notebook(notebooks / "01_slow.ipynb", "import time\ntime.sleep(60)")
    out = tmp_path / "reports"

    def stop_at_first_start(event):
        if event.kind == "start" and event.notebook == "01_slow":
            raise KeyboardInterrupt

    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_notebooks(workspace, out, notebooks_dir=notebooks, jobs=2, progress=stop_at_first_start)
    assert time.monotonic() - began < 30  # the sleeping kernel was killed, not waited for
    assert not list(out.glob(".tmp-*")) and find_runs(out) == [] and resolve_latest(out) is None


def test_selection_and_references(tmp_path):
    from journeykit.run.runner import discover_notebooks

    folder = demo_notebooks(tmp_path / "nbs")
    assert [p.stem for p in discover_notebooks(folder, ["05", "analysis"])] == ["01_analysis", "05_journey_report"]
    with pytest.raises(Exception, match="no notebook '07'"):
        discover_notebooks(folder, ["07"])
    with pytest.raises(Exception, match="no notebook named"):  # `--notebooks ,` selects nothing
        discover_notebooks(folder, [" ", ""])
    out = tmp_path / "reports"
    previous = _fake_previous_run(out)
    assert resolve_run(out, "latest") == previous.resolve()
    assert resolve_run(out, "20200101T000000Z") == previous
    assert [parse_parameter_value(v) for v in ("7", "2.5", "False", "p1")] == [7, 2.5, False, "p1"]


def test_output_folder_inside_the_workspace_is_refused(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    with pytest.raises(Exception, match="inside the workspace"):
        run_notebooks(workspace, workspace / "reports", notebooks_dir=tmp_path, quiet=True)
    assert not (workspace / "reports").exists()


def test_hash_workspace_skips_hidden_history(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    (workspace / ".journeykit").mkdir()
    (workspace / ".journeykit" / "personas.1.csv").write_text("old", "utf-8")
    paths = [e["path"] for e in hash_workspace(workspace)]
    assert paths == ["journey.yaml", "personas.csv", "touchpoints.csv"]
