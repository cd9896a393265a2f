"""The package's shape: layers that import only downwards, no cycles, short functions."""

import ast
import functools
from pathlib import Path

import pytest

import ffapprox

PACKAGE = Path(ffapprox.__file__).parent
# Lowest first: a module may import from its own subpackage and from earlier layers only.
LAYERS = ("common", "dynamics", "networks", "data", "approx", "experiments", "bench", "cli")
MAX_FUNCTION_LINES = 80


@functools.cache
def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("ffapprox", *parts)).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


def _package_of(module: str, is_package: bool) -> str:
    return module if is_package else module.rsplit(".", 1)[0]


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """Absolute names of the ffapprox modules an ``from ... import ...`` refers to."""
    if node.level:
        base = _package_of(module, is_package).split(".")
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("ffapprox"):
        return []
    submodules = [f"{target}.{alias.name}" for alias in node.names]
    # ``from . import _module`` imports the submodule, not the package's __init__.
    return submodules if node.module is None else [target, *submodules]


def _imports(modules: dict[str, ast.Module]) -> dict[str, set[str]]:
    graph = {}
    for name, tree in modules.items():
        is_package = f"{name}.__init__" not in modules and any(
            m.startswith(name + ".") for m in modules
        )
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets.update(t for t in _resolve(name, is_package, node) if t in modules)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in modules)
        graph[name] = targets - {name}
    return graph


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_top_level_holds_only_the_layers():
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries == {*LAYERS, "__init__.py", "__main__.py"}


def test_layers_import_only_downwards():
    wrong = []
    for module, targets in _imports(_modules()).items():
        own = _layer(module)
        if own is None:
            continue  # the package's __init__ and __main__ sit above every layer
        for target in targets:
            other = _layer(target)
            if other is None or LAYERS.index(other) > LAYERS.index(own):
                wrong.append(f"{module} -> {target}")
    assert not wrong, wrong


def test_import_graph_has_no_cycles():
    graph = _imports(_modules())
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_no_function_level_imports_of_the_package():
    found = []
    for module, tree in _modules().items():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                relative = isinstance(node, ast.ImportFrom) and node.level > 0
                absolute = isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "ffapprox"
                )
                if relative or absolute:
                    found.append(f"{module}.{function.name}: line {node.lineno}")
    assert not found, found


@pytest.mark.parametrize("module", sorted(_modules()))
def test_functions_are_short(module):
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(_modules()[module])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long


def test_version_comes_from_the_package_metadata():
    import importlib.metadata

    assert ffapprox.__version__ == importlib.metadata.version("ffapprox")
