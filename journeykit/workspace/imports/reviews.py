"""Import presets for reviews exports (being written)."""

from __future__ import annotations

from journeykit.workspace.imports.base import Preset

PRESETS: tuple[Preset, ...] = ()
