"""``rehabkit upgrade PATH...``: rewrite protocol and exercise-library documents to the current format."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

import click

from .._common.exit_codes import ExitCode
from . import EXIT_CODES, AppState, echo
from .exits import error_exit

__all__ = ["upgrade"]

#: The files a folder is searched for.
_SUFFIXES = (".yaml", ".yml", ".json")


@click.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--diff", "show_diff", is_flag=True, help="Show what would change as a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Exit 1 when a document is not current (for CI); write nothing.")
@click.pass_obj
def upgrade(state: AppState, paths: tuple[Path, ...], show_diff: bool, check: bool) -> None:
    """Rewrite protocols and exercise libraries (YAML or JSON) of an older format to the current one, in place.

    Comments, key order and suppressions stay (JSON has no comments: its key
    order and indentation stay). It mends what has one meaning
    (a no-improvement rule's own 'above' moves to the phases' 'review_after_weeks';
    a red-flag sign no question covers gets rehabkit's shared question) and
    says what only the author can decide (a range's 'step'). Running it again
    changes nothing. Folders are searched for .yaml, .yml and .json files.

    \b
    Examples:
      rehabkit upgrade protocols/
      rehabkit upgrade --check protocols/
      rehabkit upgrade --diff my-protocol.yaml
    """
    from .._authoring.upgrade import upgrade_json, upgrade_text

    flags = state.registry(protocols=False, exercises=False).policy()["red_flags"]
    stale = unreadable = 0
    for path in _documents(paths):
        try:
            before = _read(path)
            result = (upgrade_json if path.suffix.lower() == ".json" else upgrade_text)(before, flags)
        except ValueError as exc:
            echo(f"{path}: {exc}", err=True)
            unreadable += 1
            continue
        for line in result.left:
            echo(f"{path}: not mended: {line}", err=True)
        if not result.changed:
            continue
        stale += 1
        if show_diff:
            click.echo("".join(difflib.unified_diff(before.splitlines(True), result.text.splitlines(True),
                                                    str(path), f"{path} (upgraded)")), nl=False)  # fmt: skip
        elif check:
            echo(f"{path}: not current: 'rehabkit upgrade {path}' would mend it.")
        else:
            _write(path, result.text)
            echo(f"{path}: upgraded.", *(f"  {line}" for line in result.mended))
    if unreadable or (check and stale):
        raise error_exit(ExitCode.FINDINGS, f"{unreadable or stale} document(s) " + (
            "could not be read." if unreadable else "are not of the current format."))  # fmt: skip


def _documents(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in _SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def _write(path: Path, text: str) -> None:
    """Replace ``path`` whole or not at all, keeping its permissions."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> str:
    """The document's text; ``ValueError`` naming why when it cannot be read as UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start + 1}): save it as UTF-8 and upgrade again") from None
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror}") from None
