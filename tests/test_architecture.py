"""The package's declared architecture is the one it runs (docs/architecture.md).

* layers import only downward: run -> viz -> analytics -> sample -> workspace -> core
  (import-linter's layers contract in pyproject.toml, which also fails on a circle
  between layers), and no module imports itself round a circle inside a layer;
* journeykit modules import their siblings at the top, by name: no string imports, no
  function-level imports of journeykit modules, no broad ``except`` around calls into
  journeykit outside the two boundaries that must turn any failure into a message
  (a widget's save shows its error; a notebook's failure becomes a failed run);
* one concept per module: no module over 600 lines (the few exceptions say why);
* the public API is one list (``__init__.pyi``) and every name in it resolves.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "journeykit"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)

#: modules allowed over MAX_LINES, with the reason
LONG_MODULES: dict[str, str] = {}
MAX_LINES = 600

#: where a broad ``except`` around a journeykit call is the point: the failure is shown, not hidden
BOUNDARIES = {
    "workspace/loader.py": "a file the readers cannot read (openpyxl, pyarrow and csv raise many "
                           "types) becomes a Problem naming the file, never a traceback",
    "viz/widgets/editor.py": "a save error is shown in the widget in red, never raised in a callback",
    "run/execute.py": "any failure of a notebook becomes a failed notebook, kept on disk",
    "run/runner.py": "any failure of a notebook becomes a failed run, kept on disk",
}


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_layers_contract_holds() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    command = [str(lint)] if lint.exists() else [shutil.which("lint-imports") or "lint-imports"]
    result = subprocess.run(command + ["--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def _journeykit_imports(tree: ast.Module, module: str) -> list[tuple[ast.AST, str]]:
    """(node, imported module) for every import of a journeykit module, relative ones resolved."""
    found: list[tuple[ast.AST, str]] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "journeykit":
                found.append((node, target))
        elif isinstance(node, ast.Import):
            found += [(node, a.name) for a in node.names if a.name.split(".")[0] == "journeykit"]
    return found


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _parents(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_siblings_are_imported_at_the_top_by_name(path: Path) -> None:
    tree = _tree(path)
    parents = _parents(tree)
    inner = []
    for node, target in _journeykit_imports(tree, _module_name(path)):
        scope = parents.get(node)
        while scope is not None and not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            scope = parents.get(scope)
        if scope is not None and not _in_type_checking(node, parents):
            inner.append(f"line {node.lineno}: {target} imported inside {scope.name}()")
    strings = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module")
    ]
    assert not inner, inner
    assert not strings, f"string imports: {strings}"


def _broad(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(ast.unparse(n) in ("Exception", "BaseException") for n in names)


def _reraises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(n, ast.Raise) for n in ast.walk(ast.Module(body=handler.body, type_ignores=[])))


def _local_names(tree: ast.Module, module: str) -> set[str]:
    names: set[str] = set()
    for node, _target in _journeykit_imports(tree, module):
        if isinstance(node, ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
    # functions and classes defined in the module itself are journeykit code too
    names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return names


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_broad_except_hides_a_journeykit_failure(path: Path) -> None:
    if _rel(path) in BOUNDARIES:
        pytest.skip(BOUNDARIES[_rel(path)])
    tree = _tree(path)
    ours = _local_names(tree, _module_name(path))
    hiding = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        calls = {
            ast.unparse(c.func).split(".")[0]
            for stmt in node.body for c in ast.walk(stmt) if isinstance(c, ast.Call)
        }
        for handler in node.handlers:
            if _broad(handler) and not _reraises(handler) and calls & ours:
                hiding.append(f"line {handler.lineno}: except {ast.unparse(handler.type) if handler.type else ''}"
                              f" around {sorted(calls & ours)}")
    assert not hiding, hiding


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_one_concept_per_module_fits_on_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if _rel(path) in LONG_MODULES:
        pytest.skip(LONG_MODULES[_rel(path)])
    assert lines <= MAX_LINES, f"{_rel(path)} has {lines} lines"


def test_public_api_is_one_list_and_every_name_resolves() -> None:
    code = (
        "import journeykit as jk, sys\n"
        "heavy = {'matplotlib', 'duckdb', 'papermill', 'scipy'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "missing = [n for n in jk.__all__ if getattr(jk, n, None) is None]\n"
        "assert not missing, missing\n"
        "print(len(jk.__all__))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    stub = _tree(PACKAGE / "__init__.pyi")
    listed = next(ast.literal_eval(n.value) for n in stub.body
                  if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "__all__")
    imported = {a.asname or a.name for n in stub.body if isinstance(n, ast.ImportFrom) for a in n.names}
    assert sorted(listed) == sorted(imported), set(listed) ^ imported
    assert int(result.stdout.strip()) == len(listed) + 1  # and __version__
