"""Workshop saves never lose an edit: field-level merges under the lock, and a field two
people changed is shown as a conflict (both values, who, when), never overwritten silently.

The kernel test runs two real IPython kernels (jupyter_client), each with its own
touchpoint editor on one workspace, saving 200 edits each at the same time."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from jupyter_client.manager import start_new_kernel

import journeykit as jk
from journeykit.viz.widgets import persona_editor, touchpoint_editor
from journeykit.workspace.edits import EditConflictError, last_edit, merge_edits

from .conftest import ROOT, write_workspace


def test_a_field_changed_by_someone_else_is_a_conflict_not_an_overwrite() -> None:
    base = pd.DataFrame({"id": ["a", "b"], "owner": ["Sales", "Sales"], "name": ["A", "B"]})
    current = pd.DataFrame({"id": ["a", "b"], "owner": ["Kitchen", "Sales"], "name": ["A", "B"]})
    edited = pd.DataFrame({"id": ["a", "b"], "owner": ["Sales", "Sales"], "name": ["A2", "B"]})
    # a different field of the row someone changed: merged, theirs kept
    assert merge_edits(current, base, edited).to_dict("records")[0] == {"id": "a", "owner": "Kitchen", "name": "A2"}
    edited.loc[0, "owner"] = "Marketing"
    with pytest.raises(EditConflictError) as caught:
        merge_edits(current, base, edited)
    (conflict,) = caught.value.conflicts
    assert (conflict.key, conflict.column, conflict.loaded, conflict.theirs, conflict.mine) == \
        ("a", "owner", "Sales", "Kitchen", "Marketing")
    # the same change twice is no conflict; keep_mine settles one
    assert merge_edits(current, base, edited, keep_mine={("a", "owner")}).at[0, "owner"] == "Marketing"
    edited.loc[0, "owner"] = "Kitchen"
    assert merge_edits(current, base, edited).at[0, "owner"] == "Kitchen"


def test_two_widgets_on_one_field_show_the_conflict_and_let_the_user_choose(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_workspace(tmp_path / "ws")
    first = touchpoint_editor(jk.load_workspace(folder))
    second = touchpoint_editor(jk.load_workspace(folder))  # opened before the first saved
    monkeypatch.setenv("JOURNEYKIT_USER", "Ana")
    first.rows[1]["owner"].value = "Kitchen"
    assert "Saved" in first.status.value
    assert last_edit(folder, "tp_counter", "owner", "touchpoints")[0] == "Ana"

    monkeypatch.setenv("JOURNEYKIT_USER", "Ben")
    second.rows[1]["name"].value = "The counter"  # another field: saved, Ana's owner kept
    assert "Saved" in second.status.value
    second.rows[1]["owner"].value = None  # the same field Ana changed
    assert "Not saved" in second.status.value and "#b2182b" in second.status.value
    message = second.conflicts.message.value
    assert "Kitchen" in message and "by Ana" in message and "(blank)" in message
    on_disk = jk.load_workspace(folder).touchpoints.set_index("id")
    assert on_disk.at["tp_counter", "owner"] == "Kitchen" and on_disk.at["tp_counter", "name"] == "The counter"

    second.conflicts.take_button.click()
    assert second.rows[1]["owner"].value == "Kitchen" and not second.conflicts.pending
    assert jk.load_workspace(folder).touchpoints.set_index("id").at["tp_counter", "owner"] == "Kitchen"

    first.rows[0]["owner"].value = "Kitchen"
    second.rows[0]["owner"].value = None  # conflict again, this time Ben keeps his
    assert second.conflicts.pending
    second.conflicts.keep_button.click()
    assert "Saved" in second.status.value
    assert pd.isna(jk.load_workspace(folder).touchpoints.set_index("id").at["tp_ads", "owner"])


def test_the_persona_editor_shows_a_conflict_and_keeps_what_was_typed(tmp_path: Path) -> None:
    folder = write_workspace(tmp_path / "ws")
    first, second = persona_editor(jk.load_workspace(folder)), persona_editor(jk.load_workspace(folder))
    first.fields["quote"].value = "Coffee first"
    second.fields["quote"].value = "Tea, please"
    assert second.conflicts.pending and "Coffee first" in second.conflicts.message.value
    assert second.frame.at[0, "quote"] == "Tea, please"  # kept until settled
    second.conflicts.keep_button.click()
    assert jk.load_workspace(folder).personas.set_index("id").at["regular", "quote"] == "Tea, please"


EDITS = """
import journeykit as jk
from journeykit.viz.widgets import touchpoint_editor
editor = touchpoint_editor(jk.load_workspace({folder!r}))
failures = []
for i in range(200):
    row = i % len(editor.rows)
    editor.rows[row][{field!r}].value = {value}
    if "Not saved" in editor.status.value:
        failures.append(editor.status.value)
print("FAILURES", len(failures), failures[:2])
"""


def test_two_real_kernels_saving_200_edits_each_at_once_lose_none(tmp_path: Path) -> None:
    rows = "".join(f"tp_{i},decision,store,Place {i},Sales,no,\n" for i in range(10))
    folder = write_workspace(tmp_path / "ws", touchpoints="id,stage,channel,name,owner,online,personas\n" + rows)
    kernels = [start_new_kernel(kernel_name="python3", cwd=str(ROOT)) for _ in range(2)]
    try:
        started = time.monotonic()
        ids = []
        edits = [("name", 'f"A edit {i}"'), ("owner", '["Kitchen", "Sales"][i % 2]')]
        for (_, client), (field, value) in zip(kernels, edits):
            ids.append((client, client.execute(textwrap.dedent(EDITS.format(folder=str(folder), field=field,
                                                                            value=value)))))
        outputs = []
        for client, msg_id in ids:
            text = []
            while True:
                message = client.get_iopub_msg(timeout=600)
                if message["parent_header"].get("msg_id") != msg_id:
                    continue
                if message["msg_type"] == "stream":
                    text.append(message["content"]["text"])
                elif message["msg_type"] == "error":
                    text.append("\n".join(message["content"]["traceback"]))
                elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                    break
            outputs.append("".join(text))
        assert time.monotonic() - started < 600
    finally:
        for manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    assert all("FAILURES 0" in out for out in outputs), outputs
    final = jk.load_workspace(folder).touchpoints.set_index("id")
    for i in range(10):
        last = max(n for n in range(200) if n % 10 == i)
        assert final.at[f"tp_{i}", "name"] == f"A edit {last}"
        assert final.at[f"tp_{i}", "owner"] == ["Kitchen", "Sales"][last % 2]
    assert len(final) == 10
