"""journey.yaml ``sources:``: the exports a workspace is read from, re-imported at every load.

Each entry names a preset, its files (paths or glob patterns inside the workspace) and the
preset's options::

    sources:
      - preset: shopify
        files: exports/orders_export*.csv
      - preset: typeform
        files: [exports/survey.csv]
        options: {nps: "How likely are you to recommend us?", comment: "Anything else?"}

Example:
    >>> parse_sources([{"preset": "shopify", "files": "exports/*.csv"}], lambda *a: None)
    (SourceSpec(preset='shopify', files=('exports/*.csv',), options={}),)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from journeykit.workspace.imports.registry import PRESETS, preset_problem

SOURCE_KEYS = ("preset", "files", "options")
Bad = Callable[..., None]


@dataclass(frozen=True)
class SourceSpec:
    """One entry of journey.yaml ``sources:``: a preset, its files (paths or glob patterns
    relative to the workspace) and its options."""

    preset: str
    files: tuple[str, ...]
    options: Mapping[str, str] = field(default_factory=dict)


def parse_sources(raw: Any, bad: Bad) -> tuple[SourceSpec, ...]:
    """journey.yaml ``sources:`` as :class:`SourceSpec` entries; each departure from the
    shape above is reported through ``bad(key, value, expected)`` and the entry skipped."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        bad("sources", raw, "a list of {preset: NAME, files: [PATTERN, ...], options: {...}}")
        return ()
    specs = []
    for index, entry in enumerate(raw):
        key = f"sources[{index + 1}]"
        if not isinstance(entry, dict):
            bad(key, entry, "{preset: NAME, files: [PATTERN, ...]}")
            continue
        unknown = [k for k in entry if k not in SOURCE_KEYS]
        if unknown:
            bad(f"{key}.{unknown[0]}", unknown[0], "one of the keys " + ", ".join(SOURCE_KEYS))
            continue
        preset = str(entry.get("preset") or "")
        problem = preset_problem(preset)
        if problem is not None:
            bad(f"{key}.preset", entry.get("preset"), problem.expected)
            continue
        files = entry.get("files")
        patterns = [files] if isinstance(files, str) else files
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p.strip()
                                                                      for p in patterns):
            bad(f"{key}.files", files, "a file name or pattern inside the workspace, or a list of them")
            continue
        options = entry.get("options") or {}
        if not isinstance(options, dict):
            bad(f"{key}.options", options, "a mapping option: value")
            continue
        known = PRESETS[preset].option_names()
        wrong = [o for o in options if not PRESETS[preset].open_options and o not in known]
        if wrong:
            bad(f"{key}.options.{wrong[0]}", wrong[0], f"an option of {preset}: " + (", ".join(sorted(known)) or "none"))
            continue
        specs.append(SourceSpec(preset, tuple(p.strip() for p in patterns),
                                {str(k): str(v) for k, v in options.items()}))
    return tuple(specs)
