"""Helpers for the chart tests: workspaces written as real files, and assertions on
figure objects (visible texts, their boxes, markers by gid)."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from journeykit.viz import style
from journeykit.workspace import Workspace, load_workspace
from tests.conftest import write_workspace

LONG = ("An unusually long description written in a workshop by someone who had a lot "
        "to say about this particular moment of the customer journey and kept going")

OWNERS = ["Marketing", "Sales", "Support"]


def chart_workspace(folder: Path, n_stages: int = 4, n_touchpoints: int = 10, *,
                    crowd_one_stage: bool = False, long_text: bool = False,
                    channels: tuple[str, ...] = ("web", "store", "phone", "email"),
                    **tables: str) -> Workspace:
    """A real workspace: stages s0…, touchpoints tp0…, workshop pain points pp0…
    (every third an opportunity), two personas; no customer data unless ``tables`` add it."""
    stages = [{"id": f"s{i}",
               "name": f"Stage {i}: a rather long stage name" if long_text else f"Stage number {i}",
               "description": LONG if long_text else f"Goal of stage {i}",
               "events": [f"ev_{i}_a", f"ev_{i}_b"], "emotion": (i % 5) - 2}
              for i in range(n_stages)]
    config = {"business": "Test Bikes", "currency": "EUR", "stages": stages,
              "channels": list(channels), "owners": OWNERS}
    rows = []
    for t in range(n_touchpoints):
        rows.append({
            "id": f"tp{t}", "stage": "s0" if crowd_one_stage else f"s{t % n_stages}",
            "channel": channels[t % len(channels)],
            "name": (f"Touchpoint {t} " + LONG) if long_text else f"Touchpoint {t}",
            "owner": OWNERS[t % 3], "online": "yes" if t % 2 == 0 else "no",
            "personas": "p1" if t % 4 == 0 else "",
        })
    touchpoints = pd.DataFrame(rows, columns=["id", "stage", "channel", "name", "owner",
                                              "online", "personas"])
    pains = [{"id": f"pp{t}", "touchpoint": f"tp{t}", "kind": "pain" if t % 3 else "opportunity",
              "description": (f"Problem {t} " + LONG) if long_text else f"Problem {t}",
              "severity": (t % 5) + 1, "frequency": 3, "status": "open"}
             for t in range(min(n_touchpoints, 12))]
    painpoints = pd.DataFrame(pains, columns=["id", "touchpoint", "kind", "description",
                                              "severity", "frequency", "status"])
    files: dict[str, str] = {
        "journey.yaml": yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        "personas.csv": "id,name\np1,Persona One\np2,Persona Two\n",
        "touchpoints.csv": touchpoints.to_csv(index=False),
        "painpoints.csv": painpoints.to_csv(index=False),
    }
    files.update(tables)
    return load_workspace(write_workspace(folder, **files))


def visible_texts(fig: Figure) -> list[Text]:
    """Texts that are drawn: visible, non-empty, and for tick labels inside the view limits."""
    all_ticks, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                all_ticks.update({id(tick.label1), id(tick.label2)})
            if not (ax.axison and axis.get_visible()):
                continue
            for tick in axis._update_ticks():  # the ticks matplotlib will draw
                drawn.update({id(tick.label1), id(tick.label2)})
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and (id(t) not in all_ticks or id(t) in drawn)]


def all_text(fig: Figure) -> str:
    """Every visible text, whitespace removed (wrapped names compare equal)."""
    return "".join("".join(t.get_text().split()) for t in visible_texts(fig))


def squash(text: str) -> str:
    return "".join(text.split())


def text_boxes(fig: Figure):
    # drawn as journeykit draws its figures (Outputs.figure, notebooks): the style's hinting
    with mpl.rc_context({"text.hinting": style.STYLE_RC["text.hinting"]}):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        return [(t, t.get_window_extent(renderer)) for t in visible_texts(fig)], renderer


def assert_texts_inside(fig: Figure, *, no_overlap: bool = False) -> None:
    """Every visible text lies inside the figure; with no_overlap, no two texts share ink area."""
    boxes, _ = text_boxes(fig)
    frame = fig.bbox
    outside = [(t.get_text(), b) for t, b in boxes
               if b.x0 < frame.x0 - 1 or b.y0 < frame.y0 - 1 or b.x1 > frame.x1 + 1
               or b.y1 > frame.y1 + 1]
    assert not outside, f"text outside the figure: {outside[:5]}"
    if not no_overlap:
        return
    coords = np.array([[b.x0, b.y0, b.x1, b.y1] for _, b in boxes])
    clashes = []
    for i, j in itertools.combinations(range(len(coords)), 2):
        w = min(coords[i, 2], coords[j, 2]) - max(coords[i, 0], coords[j, 0])
        h = min(coords[i, 3], coords[j, 3]) - max(coords[i, 1], coords[j, 1])
        if w > 1.0 and h > 1.0:  # more than a pixel of area shared
            clashes.append((boxes[i][0].get_text()[:30], boxes[j][0].get_text()[:30]))
    assert not clashes, f"overlapping texts: {clashes[:5]}"


def markers(fig: Figure, prefix: str) -> dict[str, Line2D]:
    return {a.get_gid().split(":", 1)[1]: a for a in fig.findobj(Line2D)
            if (a.get_gid() or "").startswith(prefix + ":")}


def save_png(fig: Figure, path: Path) -> int:
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return len(data)


