"""The shape of the code (docs/architecture.md): no import cycles, and the layers it names.

The import graph is read from the source, not from a running interpreter: every
``import`` and ``from ... import`` in src/rehabkit counts, at module level, inside
functions (the lazy imports that keep start-up light) and under ``TYPE_CHECKING``
alike, since each is a dependency a reader has to follow. Relative imports are
resolved; ``from . import name`` depends on the submodule ``name`` when there is
one, else on the package's ``__init__``, which is a module of its own. Importing
``rehabkit.a.b`` runs ``rehabkit`` and ``rehabkit.a`` first, but that implicit
step is not an edge: every module would otherwise depend on the root, which
imports every public name's module for type checkers. Imports built from strings
at run time (``importlib.import_module``) are not seen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from conftest import REPO

SOURCE = REPO / "src"
ROOT = "rehabkit"


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    modules = {}
    for path in sorted((SOURCE / ROOT).rglob("*.py")):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """The modules of the package that ``module`` imports, each with the line of the import."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            # ``from P import name``: the submodule P.name where there is one, else P itself
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in MODULES else origin for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # `import rehabkit.x.y` of a name in x.y: the module x.y
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> the modules it imports -> the line of the first such import."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in MODULES.items():
        edges: dict[str, int] = {}
        for target, line in _imported(module, path):
            edges[target] = min(line, edges.get(target, line))
        graph[module] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _describe(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    edges = [
        f"  {MODULES[a].relative_to(SOURCE.parent)}:{line} imports {b}"
        for a in component
        for b, line in sorted(graph[a].items())
        if b in component
    ]
    return f"{' <-> '.join(component)}:\n" + "\n".join(edges)


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "rehabkit._documents.lint" in graph["rehabkit.hookspecs"]  # under TYPE_CHECKING
    assert "rehabkit._common.clinical_data" in graph["rehabkit._documents.lint"]  # inside a function
    assert "rehabkit.hookspecs" in graph["rehabkit._plugins.manager"]  # `from .. import hookspecs`: the module
    assert "rehabkit.cli" in graph["rehabkit.cli.rules_cmd"]  # `from . import echo`: the package's __init__
    assert "rehabkit.default_plugins.dose_rules" in graph["rehabkit.default_plugins.lint_rules"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles (break each; docs/architecture.md has the layers):\n" + "\n".join(
        _describe(graph, component) for component in found
    )


def _part(module: str) -> str:
    """The part of the flow a module belongs to: its subpackage (``rehabkit._plugins``), or the module itself at the
    package root (``rehabkit.hookspecs``, ``rehabkit.model``, the root ``rehabkit``)."""
    return ".".join(module.split(".")[:2])


def test_the_parts_form_layers() -> None:
    """Taken part by part (subpackages and the root's modules), imports run one way: no two parts import each other,
    directly or round a loop, so that each can be read knowing only the parts below it (docs/architecture.md)."""
    graph = import_graph()
    parts: dict[str, dict[str, int]] = {}
    for module, edges in graph.items():
        parts.setdefault(_part(module), {}).update({_part(t): 0 for t in edges if _part(t) != _part(module)})
    found = cycles(parts)
    loops = [
        f"{' <-> '.join(component)}:\n"
        + "\n".join(
            f"  {MODULES[m].relative_to(SOURCE.parent)}:{line} imports {t}"
            for m, edges in sorted(graph.items())
            if _part(m) in component
            for t, line in sorted(edges.items())
            if _part(t) in component and _part(t) != _part(m)
        )
        for component in found
    ]
    assert not loops, "parts that import each other:\n" + "\n".join(loops)


def test_no_module_imports_the_package_root() -> None:
    """The root imports the module of every public name (for type checkers): a module it reaches that imported the
    root back would close a cycle. The version numbers come from rehabkit._common.version instead."""
    graph = import_graph()
    importers = sorted(
        f"{MODULES[m].relative_to(SOURCE.parent)}:{edges[ROOT]}" for m, edges in graph.items() if ROOT in edges
    )
    assert not importers, "these import the package root; take the name from its own module:\n" + "\n".join(importers)


def test_common_is_the_bottom_layer() -> None:
    """What every part shares imports nothing else of rehabkit, and the data it reads is its own
    (rehabkit._common.clinical_data)."""
    graph = import_graph()
    above = sorted(
        f"{MODULES[module].relative_to(SOURCE.parent)}:{line} imports {target}"
        for module, edges in graph.items()
        if module.startswith(f"{ROOT}._common")
        for target, line in edges.items()
        if not target.startswith(f"{ROOT}._common")
    )
    assert not above, "rehabkit._common imports from the layers above it:\n" + "\n".join(above)


#: The longest a function may be (its docstring included) and the most parameters it may take: a function longer or
#: wider than this does several things, each of which deserves a name (click commands take one parameter an option).
LONGEST_FUNCTION = 80
WIDEST_SIGNATURE = 10


def _functions() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{path.relative_to(REPO)}:{node.lineno} {node.name}", node


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = node.args
    names = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg))]
    return len([a for a in names if a.arg not in ("self", "cls")])


def _a_click_command(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("command" in ast.unparse(decorator) for decorator in node.decorator_list)


def test_no_function_is_longer_than_the_limit() -> None:
    long = [f"{where} ({node.end_lineno - node.lineno + 1} lines)" for where, node in _functions()
            if (node.end_lineno or node.lineno) - node.lineno + 1 > LONGEST_FUNCTION]  # fmt: skip
    assert not long, f"functions over {LONGEST_FUNCTION} lines: split them along their paragraphs:\n" + "\n".join(long)


def test_no_function_but_a_command_takes_more_parameters_than_the_limit() -> None:
    wide = [f"{where} ({_parameters(node)} parameters)" for where, node in _functions()
            if _parameters(node) > WIDEST_SIGNATURE and not _a_click_command(node)]  # fmt: skip
    assert not wide, f"functions with over {WIDEST_SIGNATURE} parameters: pass a frozen request object:\n" + "\n".join(
        wide
    )
