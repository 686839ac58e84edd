"""The store's modules import one another one way (no cycle, counting imports inside functions), and the engine
never imports the store."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import clean_env

SRC = Path(__file__).resolve().parent.parent / "src" / "rehabkit"


def _imports(path: Path, package: str) -> set[str]:
    """Every rehabkit module ``path`` imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    base = package.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("rehabkit"))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = ".".join(base[: len(base) - node.level + 1] + ([module] if module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("rehabkit")}


def _graph(folder: str) -> dict[str, set[str]]:
    modules = {
        f"rehabkit.{folder}.{path.stem}": path for path in (SRC / folder).glob("*.py") if path.stem != "__init__"
    }
    return {name: _imports(path, f"rehabkit.{folder}") & set(modules) - {name} for name, path in modules.items()}


def test_the_sessions_modules_import_one_another_without_a_cycle() -> None:
    graph = _graph("_sessions")
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for other in sorted(graph[module]):
            assert state.get(other) != 1, " -> ".join([*trail, module, other])
            if other not in state:
                visit(other, [*trail, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_the_engine_never_imports_the_store_or_the_outputs() -> None:
    for path in sorted((SRC / "engine").glob("*.py")):
        outside = {
            name
            for name in _imports(path, "rehabkit.engine")
            if name.startswith(("rehabkit._sessions", "rehabkit._outputs", "rehabkit.cli"))
        }
        assert not outside, (path.name, outside)


def test_the_store_imports_none_of_the_engines_decisions_nor_the_locks() -> None:
    """The store gives the engine's record of a session, so it imports that module, and the check of a stored event
    detail's fields (which makes no class), and nothing more of the engine; the patient lock (socket, hashlib) is
    imported by a command that writes, not by one that reads (history)."""
    code = (
        "import sys\n"
        "import rehabkit._sessions.store, rehabkit._sessions.backends\n"
        "print('ENGINE', sorted(m for m in sys.modules if m.startswith('rehabkit.engine.')))\n"
        "print('LOCKS', [m for m in ('rehabkit._sessions.locks', 'socket', 'hashlib') if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env())
    engine = "ENGINE ['rehabkit.engine.event_fields', 'rehabkit.engine.stored_session']"
    assert engine in result.stdout, result.stdout + result.stderr
    assert "LOCKS []" in result.stdout, result.stdout + result.stderr
