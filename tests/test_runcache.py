"""The cache a run's kernels share: the same workspace and results as without it, never
stale, never outliving the run (journeykit.workspace.cache)."""

from __future__ import annotations

import os
import pickle
import shutil

import pandas as pd
import pytest

from journeykit.workspace import cache as runcache
from journeykit.workspace import load_workspace, save_table, validate_workspace

FEEDBACK = "id,customer_id,date,stage,channel,nps,csat,comment\nf1,,2026-01-05,decision,web,9,5,Lovely bread\n"


@pytest.fixture
def stored(make_workspace, tmp_path, monkeypatch):
    """A workspace stored by 'the runner' and the environment its kernels see."""
    folder = make_workspace(feedback=FEEDBACK).resolve()
    files = runcache.fingerprint(folder)
    ws = load_workspace(folder)
    cache = tmp_path / "run" / runcache.CACHE_DIR
    assert runcache.store_workspace(folder, ws, "strict", files, cache)
    monkeypatch.setenv(runcache.ENV, str(cache))
    return folder, ws, cache


def test_a_kernel_gets_the_workspace_the_runner_checked(stored):
    folder, original, _ = stored
    shared = load_workspace(str(folder))
    assert shared is not original and shared.run_cache is not None
    assert sorted(shared.tables) == sorted(original.tables)
    for name, frame in original.tables.items():
        pd.testing.assert_frame_equal(shared.tables[name], frame)
    assert [str(p) for p in shared.problems] == [str(p) for p in original.problems]
    assert shared.config == original.config
    assert validate_workspace(folder) == [p for p in original.problems]


def test_an_edited_file_is_read_afresh(stored):
    folder, _, _ = stored
    path = folder / "feedback.csv"
    path.write_text(FEEDBACK.replace("Lovely bread", "Stale bread"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    fresh = load_workspace(folder)
    assert fresh.run_cache is None
    assert fresh.feedback["comment"].tolist() == ["Stale bread"]


def test_results_are_shared_between_the_runs_notebooks(stored):
    folder, _, _ = stored
    calls = []
    first, second = load_workspace(folder), load_workspace(folder)
    assert first.memo(("answer", 1), lambda: calls.append(1) or {"value": 42}) == {"value": 42}
    assert second.memo(("answer", 1), lambda: calls.append(2) or {"value": -1}) == {"value": 42}
    assert second.memo(("answer", 2), lambda: calls.append(3) or "other") == "other"
    assert calls == [1, 3]


def test_an_edit_in_the_kernel_stops_sharing(stored):
    folder, _, _ = stored
    ws = load_workspace(folder)
    ws.memo(("count",), lambda: len(ws.feedback))
    save_table(ws, "feedback", ws.feedback.iloc[0:0])
    assert ws.run_cache is None
    assert ws.memo(("count",), lambda: len(ws.feedback)) == 0
    # and the next notebook sees the saved file, not the stored workspace
    assert load_workspace(folder).run_cache is None


def test_modes_are_kept_apart_and_unusable_entries_are_recomputed(stored):
    folder, _, cache = stored
    assert load_workspace(folder, on_bad_rows="quarantine").run_cache is None  # stored in strict mode only
    ws = load_workspace(folder)
    unpicklable = ws.memo(("lambda",), lambda: (lambda: 1))  # computed, not stored
    assert callable(unpicklable)
    entry = ws.run_cache / "workspace.pickle"
    entry.write_bytes(pickle.dumps("x")[:3])  # damaged
    assert load_workspace(folder).run_cache is None
    shutil.rmtree(cache)
    assert load_workspace(folder).run_cache is None  # cache gone: load as usual


def test_outside_a_run_nothing_changes(make_workspace, monkeypatch):
    monkeypatch.delenv(runcache.ENV, raising=False)
    folder = make_workspace(feedback=FEEDBACK)
    ws = load_workspace(folder)
    assert ws.run_cache is None
    assert ws.memo(("k",), lambda: 1) == 1
    assert list(folder.glob("**/.cache")) == []
