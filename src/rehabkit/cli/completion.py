"""Shell completion of the values users type most: protocol ids, patient ids, rule codes, exercises, measures.

click generates the bash, zsh and fish scripts (``_REHABKIT_COMPLETE=bash_source
rehabkit``, see docs/cli.md); these functions give the values. They load the
installed packs or open the session store read-only, and never print or raise:
a completion that fails offers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click
from click.shell_completion import CompletionItem

__all__ = ["complete_exercises", "complete_measures", "complete_patients", "complete_protocols", "complete_rule_codes"]


def _matching(values: Iterable[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(v) for v in sorted(set(values)) if v.startswith(incomplete)]


def _quietly(function: Callable[[], Iterable[str]]) -> list[str]:
    import contextlib
    import io

    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return list(function())
    except Exception:  # a completion that fails offers nothing (REHABKIT_DEBUG=1 shows why)
        import os

        if os.environ.get("REHABKIT_DEBUG"):
            raise
        return []


def _registry(ctx: click.Context, **needs: bool) -> Any:
    from .._plugins.manager import PluginManager

    options = tuple(ctx.find_root().params.get("plugin_options") or ())
    manager = PluginManager.from_environment(options, strict=False)
    manager.load()
    return manager.registry(**needs)


def complete_protocols(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Installed protocol ids, and ``id@version`` once an ``@`` is typed."""

    def values() -> Iterable[str]:
        registry = _registry(ctx, exercises=False, measures=False)
        for registered in registry.protocols.values():
            protocol = registered.peek()
            yield protocol.key if "@" in incomplete else protocol.id

    return _matching(_quietly(values), incomplete)


def complete_patients(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Patient ids in the session store the command would use (``--db``, REHABKIT_DB or the default)."""

    def values() -> Iterable[str]:
        import sqlite3
        from pathlib import Path

        from .._sessions.backends import store_location

        # Read-only and quick: completion never creates, upgrades or waits on a store another command is writing.
        escaped = incomplete.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        location = store_location(ctx.params.get("db"))
        if isinstance(location, str):  # a PostgreSQL store (psycopg is imported only here)
            import psycopg

            with psycopg.connect(location, connect_timeout=1, autocommit=True) as database:
                found = database.execute(
                    "SELECT id FROM patients WHERE id LIKE %s ESCAPE '\\' ORDER BY id LIMIT 200", (escaped + "%",)
                ).fetchall()
            return [row[0] for row in found]
        path = Path(location)
        if not path.is_file():
            return []
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
        try:
            rows = connection.execute(
                "SELECT id FROM patients WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 200", (escaped + "%",)
            ).fetchall()
        finally:
            connection.close()
        return [row[0] for row in rows]

    return _matching(_quietly(values), incomplete)


def complete_rule_codes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Lint-rule codes of the installed packs, and rehabkit's own finding codes."""

    def values() -> Iterable[str]:
        from .._documents.finding_codes import FINDING_CODES

        registry = _registry(ctx, protocols=False, exercises=False, measures=False)
        return [*(rule.code for rule in registry.rules()), *FINDING_CODES]

    return _matching(_quietly(values), incomplete.upper())


def complete_exercises(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Installed exercise ids."""
    return _matching(_quietly(lambda: _registry(ctx, protocols=False, measures=False).exercise_library()), incomplete)


def complete_measures(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Installed outcome-measure ids."""
    return _matching(_quietly(lambda: _registry(ctx, protocols=False, exercises=False).outcome_measures), incomplete)
