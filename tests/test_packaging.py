"""Packaging: the conda environment and pyproject list the same runtime dependencies,
which cover every third-party package journeykit imports; the console script and the
public API are wired."""

import ast
import re
import subprocess
import sys
from importlib import metadata
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
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip_section
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    conda |= {_name(d) for d in pip_section if not d.startswith("-")}  # taken from PyPI
    assert conda == runtime, f"only in environment.yml: {conda - runtime}; only in pyproject: {runtime - conda}"


def _third_party_imports() -> dict[str, list[str]]:
    """Top-level module name -> the journeykit files importing it (stdlib and journeykit left out)."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "journeykit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "journeykit" and top not in sys.stdlib_module_names:
                    found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_declared_dependency():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {_name(r) for r in pyproject["project"]["dependencies"]}
    # an engine's extra (journeykit[spark], journeykit[bigquery]) declares what only that
    # engine's module imports, when it is first used (a missing one: a JourneykitError saying
    # what to install)
    declared |= {_name(r) for extra, requirements in pyproject["project"]["optional-dependencies"].items()
                 if extra != "dev" for r in requirements}
    distributions = metadata.packages_distributions()
    undeclared = {}
    for module, files in _third_party_imports().items():
        names = {_name(d) for d in distributions.get(module, [module])}
        if not names & declared:
            undeclared[module] = sorted(set(files))
    assert not undeclared, f"imported but not in pyproject dependencies: {undeclared}"


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
