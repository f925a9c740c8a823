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


EVENTS = ("customer_id,timestamp,event,channel\n"
          "c1,2026-01-05 10:00,product_view,web\nc1,2026-01-05 10:05,purchase,web\n"
          "c2,2026-01-06 09:00,product_view,store\n")


def test_a_large_event_log_is_shared_with_its_checked_file(make_workspace, tmp_path, monkeypatch):
    folder = make_workspace(events=EVENTS).resolve()
    monkeypatch.setenv("JOURNEYKIT_LARGE_EVENTS_BYTES", "10")  # every events file takes the large path
    files = runcache.fingerprint(folder)
    ws = load_workspace(folder)
    assert "events" in ws.large
    cache = tmp_path / "run" / runcache.CACHE_DIR
    assert runcache.store_workspace(folder, ws, "strict", files, cache)
    assert ws.large["events"].parquet.parent != cache  # the runner's own workspace is unchanged
    monkeypatch.setenv(runcache.ENV, str(cache))
    shared = load_workspace(folder)
    assert shared.run_cache is not None
    stored = shared.large["events"].parquet
    assert stored.is_relative_to(cache) and stored.is_file()  # the kernel scans the file in the run's cache
    pd.testing.assert_frame_equal(shared.events.reset_index(drop=True), ws.events.reset_index(drop=True))
    del ws, shared
    shutil.rmtree(cache)  # the run removes its cache: nothing of the log is left behind it
    assert not stored.exists()


def test_two_kernels_asking_at_once_compute_a_result_once(stored):
    """The second asker waits on the first's lock and reads its result."""
    import threading
    import time

    folder, _, _ = stored
    first, second = load_workspace(folder), load_workspace(folder)
    calls: list[str] = []
    started = threading.Event()

    def slow() -> int:
        calls.append("first")
        started.set()
        time.sleep(0.5)
        return 42

    thread = threading.Thread(target=lambda: first.memo(("slow",), slow))
    thread.start()
    started.wait(5)
    assert second.memo(("slow",), lambda: calls.append("second") or -1) == 42
    thread.join()
    assert calls == ["first"]
