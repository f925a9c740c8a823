"""Import presets for pos exports (being written)."""

from __future__ import annotations

from journeykit.workspace.imports.base import Preset

PRESETS: tuple[Preset, ...] = ()
