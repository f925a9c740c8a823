"""Build step: ship the kit's notebooks and demo workspace inside the wheel.

The notebooks (``notebooks/*.ipynb``) and the demo workspace (``data/sample/``) live at
the repository's top level; the build copies them into the package as
``journeykit/_kit/notebooks/`` and ``journeykit/_kit/data/sample/`` (same layout, so a
notebook's default ``"../data/sample"`` still finds the demo).
:mod:`journeykit.workspace.locations` finds them there in an installed wheel. Everything
else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: (folder in the repository, file pattern, folder inside the package)
KIT = (("notebooks", "*.ipynb", "_kit/notebooks"), ("data/sample", "*", "_kit/data/sample"))


class BuildPyWithKit(build_py):
    """build_py, then copy the notebooks and the demo workspace into the built package."""

    def run(self) -> None:
        super().run()
        for source, pattern, target in KIT:
            files = sorted(p for p in (ROOT / source).glob(pattern)
                           if p.is_file() and not p.name.startswith("."))
            if not files:
                raise RuntimeError(f"journeykit build: no {pattern} in {ROOT / source}")
            folder = Path(self.build_lib) / "journeykit" / target
            folder.mkdir(parents=True, exist_ok=True)
            for path in files:
                shutil.copy2(path, folder / path.name)


setup(cmdclass={"build_py": BuildPyWithKit})
