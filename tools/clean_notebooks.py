"""Strip outputs and execution counts from notebooks before committing.

Usage (from the repository root):  .venv/bin/python tools/clean_notebooks.py [NOTEBOOK ...]
Without arguments it cleans notebooks/*.ipynb. Exit code 1 when a file was changed,
so it can serve as a pre-commit check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def clean(path: Path) -> bool:
    """Remove outputs, execution counts and widget state; return True when the file changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    changed = [p for p in paths if clean(p)]
    for path in changed:
        print(f"cleaned {path}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
