"""The installable kit: a wheel built from the repository works on its own.

Builds the wheel, installs it (without dependencies) into a fresh virtual environment
that reuses the already installed third-party packages, and then, from an empty folder,
``journeykit sample demo`` and ``journeykit run --workspace demo --out reports`` must
succeed with the wheel's journeykit (not the checkout's): the wheel carries the
notebooks and the demo workspace (setup.py copies them into ``journeykit/_kit``).

The build runs offline when the running environment has the build backend that
pyproject.toml asks for (setuptools >= 77, in the dev extra); otherwise pip builds in an
isolated environment and fetches setuptools from the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: What a wheel build needs from the repository (copied, so the checkout gets no build/).
BUILD_INPUTS = ("journeykit", "notebooks", "data/sample", "pyproject.toml", "setup.py",
                "MANIFEST.in", "README.md")


def _version(name: str) -> tuple[int, ...]:
    try:
        text = metadata.version(name)
    except metadata.PackageNotFoundError:
        return ()
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def _can_build_offline() -> bool:
    return _version("setuptools") >= (77,)  # pyproject.toml [build-system] requires


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: int) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} exited {done.returncode}\n"
        f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    """The environment of every step: without PYTHONPATH (which may point at a checkout)."""
    out = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # The reused dependencies keep their data files (nbconvert's templates, the kernel
    # spec) under the running environment's prefix, where a real install would put them
    # under the new environment's: point Jupyter there.
    shared = str(Path(sys.prefix) / "share" / "jupyter")
    out["JUPYTER_PATH"] = os.pathsep.join(p for p in (shared, out.get("JUPYTER_PATH")) if p)
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", "*.egg-info", ".*"))
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    isolation = ["--no-build-isolation"] if _can_build_offline() else []
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", dist, source],
         source, env, timeout=900)
    (built,) = dist.glob("journeykit-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path, env: dict[str, str]) -> Path:
    folder = tmp_path_factory.mktemp("venv") / "V"
    _run([sys.executable, "-m", "venv", "--without-pip", folder], folder.parent, env, timeout=300)
    python = folder / "bin" / "python"
    # install first: the new environment does not see the shared packages yet, so pip
    # never touches the running environment's journeykit
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          wheel], folder.parent, env, timeout=300)
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   folder.parent, env, timeout=60).strip()
    shared = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    # the third-party dependencies come from the running environment, after the wheel's own
    (Path(purelib) / "zz-shared-dependencies.pth").write_text("\n".join(shared) + "\n",
                                                               encoding="utf-8")
    return folder


def test_the_wheel_ships_the_notebooks_and_the_demo(venv: Path, env: dict[str, str]) -> None:
    python = venv / "bin" / "python"
    out = _run([python, "-c", "import journeykit\n"
                "from journeykit.workspace import locations as l\n"
                "from journeykit.run.workshop import app_notebook\n"
                "print(journeykit.__file__); print(l.NOTEBOOKS_DIR); print(l.DEMO_WORKSPACE)\n"
                "print(app_notebook())"],
               venv, env, timeout=120).splitlines()
    package, notebooks, demo, app = (Path(line) for line in out)
    # the workshop app (journeykit workshop serve) is package data of the wheel
    assert app.is_relative_to(venv) and app.read_bytes() == (ROOT / "journeykit/run/app/workshop_app.ipynb").read_bytes()
    assert package.is_relative_to(venv), f"journeykit imported from {package}, not the wheel"
    assert notebooks.is_relative_to(venv) and demo.is_relative_to(venv)
    assert sorted(p.name for p in notebooks.glob("*.ipynb")) == \
        sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for path in (ROOT / "data" / "sample").iterdir():
        assert (demo / path.name).read_bytes() == path.read_bytes(), path.name
    # a notebook's default workspace, relative to notebooks/, is the demo in the wheel too
    assert (notebooks / ".." / "data" / "sample" / "journey.yaml").is_file()


def test_sample_and_run_from_an_empty_folder(venv: Path, env: dict[str, str],
                                             tmp_path: Path) -> None:
    journeykit = venv / "bin" / "journeykit"
    _run([journeykit, "sample", "demo"], tmp_path, env, timeout=300)
    assert (tmp_path / "demo" / "journey.yaml").is_file()
    _run([journeykit, "run", "--workspace", "demo", "--out", "reports"], tmp_path, env,
         timeout=1500)
    assert (tmp_path / "reports" / "latest" / "index.html").is_file()
