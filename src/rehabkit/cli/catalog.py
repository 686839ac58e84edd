"""``rehabkit list`` and ``rehabkit show``: the protocols installed packs provide."""

from __future__ import annotations

import json
from typing import Any

import click

from .._common.exit_codes import ExitCode
from .._common.text import json_text, visible
from . import EXIT_CODES, AppState, echo
from .completion import complete_protocols
from .exits import error_exit
from .options import format_option
from .protocol_text import render_text
from .protocols import (
    checked_whole,
    installed_checker,
    lint_fingerprint,
    lint_outcome,
    looks_like_path,
    resolve_protocol,
    split_outcome,
)
from .refusals import rule_failure_exit

_FORMAT = format_option("text for people, json for programs.")


@click.command("list", epilog=EXIT_CODES)
@_FORMAT
@click.pass_obj
def list_protocols(state: AppState, output_format: str) -> None:
    """List installed protocols: id, version, pack, title and conditions.

    A protocol with lint errors is marked: 'rehabkit run' refuses it until it is
    fixed ('rehabkit validate' shows the findings).

    \b
    Examples:
      rehabkit list
      rehabkit list --format json
    """
    manager = state.manager()
    registry = manager.registry()
    checker = installed_checker(registry)
    fingerprint = lint_fingerprint(checker)
    rows = []
    failures: dict[str, list[str]] = {}  # a failed lint rule's message -> the protocols it failed on
    for r in registry.sorted_protocols():
        # Lint results are kept with the cached model while neither the file nor what the rules read changes.
        codes, failed = split_outcome(
            manager.cache.lint_codes(
                r.lint_name, fingerprint, lambda r=r: lint_outcome(checker, r, manager.cache), keep=checked_whole
            )
        )
        for message in failed or _unnamed_failure(codes):
            failures.setdefault(message, []).append(r.peek().key)
        protocol = r.peek()  # id, version, title and conditions: no need to read the model back from the cache
        rows.append(
            {
                "id": protocol.id,
                "version": protocol.version,
                "title": protocol.title,
                "conditions": list(protocol.conditions),
                "pack": r.pack,
                "lint_errors": list(codes),
            }
        )
    manager.cache.save()
    _print_list(rows, output_format)
    if failures:
        raise rule_failure_exit(
            "a lint rule failed, so these protocols could not be checked and do not run for patients:",
            [f"{message} (on {_some(keys)})" for message, keys in failures.items()],
        )


def _unnamed_failure(codes: list[str]) -> list[str]:
    """A line for a failed rule whose message a cache of an older rehabkit did not keep."""
    from .._documents.validation import FAILURE_CODES

    return [f"{code} a lint rule failed ('rehabkit validate' names it)" for code in codes if code in FAILURE_CODES]


def _some(keys: list[str], shown: int = 3) -> str:
    """A few protocol keys, and how many more."""
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more


def _print_list(rows: list[dict[str, Any]], output_format: str) -> None:
    """The table of ``list`` (or its JSON), and a line on standard error for each protocol with lint errors."""
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        echo(
            "No protocols installed. Install a protocol pack: rehabkit's own are rehabkit-neck, rehabkit-low-back and "
            "rehabkit-post-surgery (with rehabkit-exercises); docs/install.md says how, from git or from wheels. "
            "'rehabkit plugins' shows any pack that failed; 'rehabkit new-plugin NAME' starts your own.",
            err=True,
        )
        return
    # Each cell as it is shown (a control character written out), so that it is laid out and wrapped at its width
    # and a line break of a title's own never breaks, nor is folded into, a line of the table.
    table: list[tuple[str, ...]] = [("ID", "VERSION", "PACK", "TITLE", "CONDITIONS")]
    table += [
        (
            visible(r["id"]) + (" (!)" if r["lint_errors"] else ""),
            visible(r["version"]),
            visible(r["pack"]),
            visible(r["title"]),
            visible(", ".join(r["conditions"])),
        )
        for r in rows
    ]
    for line in _fit(table, _width()):
        echo(line)
    broken = [r for r in rows if r["lint_errors"]]
    for r in broken:
        echo(
            f"(!) {r['id']} {r['version']} has lint errors ({', '.join(r['lint_errors'])}) and does not run for "
            f"patients; see 'rehabkit validate'.",
            err=True,
        )


@click.command(epilog=EXIT_CODES)
@click.argument("protocol_id", metavar="ID[@VERSION]|FILE", shell_complete=complete_protocols)
@click.option(
    "--protocol-version",
    "version",
    default=None,
    metavar="VERSION",
    help="Show this version of the protocol (default: the highest installed); the same as ID@VERSION.",
)
@_FORMAT
@click.pass_obj
def show(state: AppState, protocol_id: str, version: str | None, output_format: str) -> None:
    """Show one installed protocol, or a protocol file, in full.

    Phases in order with their focus, entry and exit criteria and exercises
    with full doses; then red flags, precautions, symptom rules, daily advice
    and references.

    \b
    Examples:
      rehabkit show neck-pain
      rehabkit show low-back-pain-acute@1.1.0 --format json
      rehabkit show neck-pain --protocol-version 2.1.0
    """
    registry = state.registry()
    if looks_like_path(protocol_id):
        protocol, source = resolve_protocol(state, protocol_id, lint=False)
        pack = None
    else:
        try:
            registered = registry.find_protocol(protocol_id, version)
        except LookupError as exc:
            raise error_exit(ExitCode.FINDINGS, exc.args[0]) from None
        protocol, pack = registered.item, registered.pack
        source = f"pack {pack}"
    library = {**registry.exercise_library(), **{e.id: e for e in protocol.exercises}}
    if output_format == "json":
        click.echo(json_text({"pack": pack, "source": source, "protocol": protocol.to_dict()}, indent=2))
    else:
        echo(*render_text(protocol, library, source))
    if pack is not None:
        _lint_shown(state, registered)


def _lint_shown(state: AppState, registered: Any) -> None:
    """After ``show``, as ``list`` marks it: a warning when the installed protocol shown has lint errors (it does
    not run for patients), and exit 3 when a lint rule failed on it (kept under the same fingerprint as list's)."""
    manager = state.manager()
    checker = installed_checker(state.registry())
    codes, failed = split_outcome(
        manager.cache.lint_codes(
            registered.lint_name,
            lint_fingerprint(checker),
            lambda: lint_outcome(checker, registered, manager.cache),
            keep=checked_whole,
        )
    )
    manager.cache.save()
    if failed or _unnamed_failure(codes):
        raise rule_failure_exit(
            f"a lint rule failed, so {registered.item.key} could not be checked and does not run for patients:",
            failed or _unnamed_failure(codes),
        )
    if codes:
        echo(
            f"(!) {registered.item.key} has lint errors ({', '.join(codes)}) and does not run for patients; "
            "see 'rehabkit validate'.",
            err=True,
        )


def _width() -> int:
    """The terminal's width (COLUMNS first), 80 when the output is not a terminal."""
    import os
    import shutil
    import sys

    if os.environ.get("COLUMNS", "").isdigit():
        return max(40, int(os.environ["COLUMNS"]))
    if not sys.stdout.isatty():
        return 80
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _fit(table: list[tuple[str, ...]], width: int) -> list[str]:
    """Rows laid out within ``width`` columns: id, version and pack whole, the title wrapped in what is left and the
    conditions on an indented line of their own when they do not fit beside it (``--format json`` has every field
    on one line)."""
    import textwrap

    fixed = [max(len(row[i]) for row in table) for i in range(3)]
    room = width - 1 - sum(fixed) - 6
    longest_title = max(len(row[3]) for row in table)
    longest_conditions = max(len(row[4]) for row in table)
    beside = longest_title + 2 + longest_conditions <= room
    if room < 20:  # too narrow for columns: each protocol as a short block
        return _stacked(table[1:], width)
    lines = []
    indent = " " * (sum(fixed) + 6)
    for number, row in enumerate(table):
        if number == 0 and not beside:
            row = (*row[:3], "TITLE (conditions below)", "")
        cells = [cell.ljust(fixed[i]) for i, cell in enumerate(row[:3])]
        if beside:
            lines.append("  ".join([*cells, row[3].ljust(longest_title), row[4]]).rstrip())
            continue
        title = textwrap.wrap(row[3], max(12, room), break_on_hyphens=False) or [""]
        lines.append("  ".join([*cells, title[0]]).rstrip())
        lines += [indent + more for more in title[1:]]
        if row[4]:
            lines += textwrap.wrap(
                f"conditions: {row[4]}",
                max(width - 1, len(indent) + 24),
                initial_indent=indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            )
    return lines


def _stacked(rows: list[tuple[str, ...]], width: int) -> list[str]:
    """Each protocol as 'id version (pack)' with its title and conditions wrapped below, for a narrow terminal."""
    import textwrap

    lines = []
    for identifier, version, pack, title, conditions in rows:
        lines += textwrap.wrap(f"{identifier} {version} ({pack})", width - 1, break_on_hyphens=False)
        for text in (title, f"conditions: {conditions}" if conditions else ""):
            lines += textwrap.wrap(text, width - 1, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
    return lines
