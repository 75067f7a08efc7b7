"""The package's imports form no cycle at runtime (an AST walk over every module).

The rule: an edge ``a -> b`` is every import of ``b`` that can run, at module level (also inside
``if``/``try`` and class bodies) or inside a function (a deferred import: it runs at the first
call). Imports under ``if TYPE_CHECKING:`` never run and are left out. Relative imports are
resolved; ``from . import x`` is an edge to the submodule ``x`` when there is one, else to the
package; the implicit import of a parent package is not an edge.

- The module-level edges alone must form no cycle: such a cycle makes the import order matter
  (a partly initialised module, names missing).
- With the deferred edges counted too there must be no cycle either. A deferred import hides a
  cycle from the import machinery, not from the design: two modules that need each other are
  one module split in two, or a piece of code in the wrong module. The deferred imports that
  keep ``import codex_open_client`` light (``_client`` -> ``_conversation``, ``_transport`` ->
  ``_websocket``, ...) go one way only, so they close no cycle.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import codex_open_client

PACKAGE = "codex_open_client"
ROOT = Path(codex_open_client.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _short(name: str) -> str:
    return name.removeprefix(PACKAGE + ".") if name != PACKAGE else name


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The package's modules that ``node``, in ``module``, imports."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package.pop()
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        # ``from x import y`` imports the submodule x.y when there is one, else a name of x.
        targets = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    for target in targets:
        if target in MODULES and target != module:
            yield target


def imports(module: str) -> dict[str, str]:
    """``{imported module: "module-level" or "deferred"}`` for the imports that can run."""
    found: dict[str, str] = {}

    def walk(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for branch in child.orelse:  # the else branch runs
                    visit(branch, deferred)
                continue
            visit(child, deferred)

    def visit(node: ast.AST, deferred: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            deferred = True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _imported(module, node):
                if not deferred or found.get(target) != "module-level":
                    found[target] = "deferred" if deferred else "module-level"
        walk(node, deferred)

    walk(ast.parse(MODULES[module].read_text(encoding="utf-8")), False)
    return found


GRAPH = {module: imports(module) for module in MODULES}


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``edges`` as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def search(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := search(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := search(node)) is not None:
            return found
    return None


def _edges(kinds: set[str]) -> dict[str, set[str]]:
    return {
        module: {target for target, kind in targets.items() if kind in kinds}
        for module, targets in GRAPH.items()
    }


def _describe(cycle: list[str]) -> str:
    """``a -[deferred]-> b -[module-level]-> a``."""
    steps = [f"{_short(a)} -[{GRAPH[a][b]}]->" for a, b in itertools.pairwise(cycle)]
    return " ".join([*steps, _short(cycle[-1])])


def test_the_walk_sees_every_kind_of_import() -> None:
    """The walk is not vacuous: it finds module-level, deferred and relative-package imports,
    and leaves TYPE_CHECKING ones out."""
    assert len(MODULES) > 30
    client = GRAPH[f"{PACKAGE}._client"]
    assert client[f"{PACKAGE}._request"] == "module-level"
    assert client[f"{PACKAGE}._conversation"] == "deferred"  # inside conversation()
    assert client[f"{PACKAGE}._stream"] == "deferred"
    # _compaction imports _client only under TYPE_CHECKING.
    assert f"{PACKAGE}._client" not in GRAPH[f"{PACKAGE}._compaction"]
    assert GRAPH[f"{PACKAGE}.testing._server"][f"{PACKAGE}.testing._websocket"] == "deferred"
    assert GRAPH[f"{PACKAGE}.gateway._app"][f"{PACKAGE}._client"] == "module-level"
    assert GRAPH[PACKAGE][f"{PACKAGE}._client"] == "module-level"


def test_no_module_level_import_cycle() -> None:
    """The module-level imports form no cycle."""
    cycle = _cycle(_edges({"module-level"}))
    assert cycle is None, _describe(cycle)


def test_no_import_cycle_at_runtime() -> None:
    """Module-level and deferred imports together form no cycle."""
    cycle = _cycle(_edges({"module-level", "deferred"}))
    assert cycle is None, _describe(cycle)


def test_the_params_contract_and_parse_arguments_close_no_cycle() -> None:
    """_conversation takes CREATE_PARAMS from _request, not _client; _models has
    parse_arguments itself, and _tools takes it from there."""
    assert f"{PACKAGE}._client" not in GRAPH[f"{PACKAGE}._conversation"]
    assert f"{PACKAGE}._tools" not in GRAPH[f"{PACKAGE}._models"]
    assert GRAPH[f"{PACKAGE}._tools"][f"{PACKAGE}._models"] == "module-level"


def test_json_schema_is_a_leaf_and_function_reflection_sits_on_it() -> None:
    """_schema (JSON Schema) imports nothing of the package; _functions (functions as tools)
    builds on it, and the model loads it only for FunctionTool.from_function."""
    from codex_open_client import _functions, _schema

    assert GRAPH[f"{PACKAGE}._schema"] == {}
    assert GRAPH[f"{PACKAGE}._functions"] == {f"{PACKAGE}._schema": "module-level"}
    assert GRAPH[f"{PACKAGE}._models"][f"{PACKAGE}._functions"] == "deferred"
    assert not {"function_tool_parts", "bind_arguments"} & set(vars(_schema))
    assert set(_functions.__all__) == {"function_tool_parts", "bind_arguments"}
