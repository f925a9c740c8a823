"""Packaging: the conda environment and pyproject list the same runtime dependencies;
the console script and the public API are wired."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import journeykit

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"python-duckdb": "duckdb"}


def _name(requirement: str) -> str:
    name = re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()
    name = CONDA_NAMES.get(name, name)
    return re.sub(r"[-_.]+", "-", name)  # PEP 503: lazy_loader (conda-forge) is lazy-loader (PyPI)


def test_environment_yml_matches_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = {_name(r) for r in pyproject["project"]["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == runtime, f"only in environment.yml: {conda - runtime}; only in pyproject: {runtime - conda}"
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip_section


def test_dev_extra_has_the_test_tools():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dev = {_name(r) for r in pyproject["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "nbval", "hypothesis", "ruff"} <= dev


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "journeykit.run.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert journeykit.__version__ in result.stdout


def test_every_public_name_resolves():
    missing = []
    for name in journeykit.__all__:
        try:
            getattr(journeykit, name)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, missing


def test_public_names_are_not_shadowed_by_submodules():
    # in a fresh interpreter: importing a submodule first must not hide a public function
    # of the same name (e.g. a module journeykit.semantics would replace jk.semantics)
    code = """
import importlib, pkgutil, types
import journeykit
for module in pkgutil.iter_modules(journeykit.__path__):
    importlib.import_module(f"journeykit.{module.name}")
assert callable(journeykit.paths) and journeykit.paths.__module__ == "journeykit.analytics.events.paths"
shadowed = [n for n in journeykit.__all__ if n != "__version__"
            and isinstance(getattr(journeykit, n), types.ModuleType)]
assert not shadowed, shadowed
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
