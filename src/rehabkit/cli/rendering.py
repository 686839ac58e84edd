"""Files the output commands write: the renderer chosen by the file's ending, run, and its file written whole.

A renderer is rehabkit's own or a pack's (``--renderer NAME``); a pack's failure names the pack, and a file is
written whole or not at all (a temporary file renamed into place); ``-o -`` writes text to standard output.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._common.exit_codes import ExitCode
from .exits import error_exit

if TYPE_CHECKING:
    from . import AppState

__all__ = ["output_renderer", "render", "write_export", "write_output"]


def _file_type(output: str, renderer_name: str | None, default: str) -> str | None:
    if output == "-":
        return None if renderer_name else default
    suffix = Path(output).suffix.lower().lstrip(".")
    if not suffix and renderer_name is None:
        raise click.BadParameter(
            f"{output!r} has no ending: name the file FILE.html, FILE.pdf, FILE.md or FILE.ics, "
            "or choose a renderer with --renderer.",
            param_hint="'-o'",
        )
    return suffix or None


def output_renderer(state: AppState, kind: str, output: str, renderer_name: str | None, default: str = "md") -> Any:
    """The renderer for ``kind`` that ``--renderer`` names, else rehabkit's own for the ending of ``-o FILE``
    (``default`` for standard output): a usage error when none is installed."""
    file_type = _file_type(output, renderer_name, default)
    registry = state.registry()  # the whole registry, which every output command then needs: built once
    try:
        return registry.renderer_for(kind, file_type, renderer_name)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="'--renderer'" if renderer_name else "'-o'") from None


def render(renderer: Any, content: Any) -> tuple[bytes, bool]:
    """Run the renderer: the file's bytes, and whether it gave bytes (a binary format) rather than text.

    A pack's failure names the pack (exit 3); a missing extra says how to install it (exit 2)."""
    from .._common.errors import PluginError
    from .._outputs.pdf import MissingExtraError
    from .._plugins.manager import PackFailure, pack_code

    missing: MissingExtraError | None = None
    try:
        # No time budget: a renderer may take long for a long document (a PDF); Ctrl-C still names the pack.
        with pack_code(renderer.pack, f"running its renderer {renderer.name}", budget=False):
            try:
                result = renderer.function(content)
            except MissingExtraError as exc:  # rehabkit's PDF renderer without the pdf extra
                missing = exc
    except PackFailure as exc:
        raise PluginError(
            f"plugin pack {renderer.pack!r}: its renderer {renderer.name!r} {exc.what()}; nothing was written."
            + ("" if renderer.pack == "core" else f" Block the pack with -p no:{renderer.pack}."),
            plugins=(renderer.pack,),
        ) from None
    if missing is not None:
        raise error_exit(ExitCode.USAGE, str(missing))
    if isinstance(result, str):
        return result.encode("utf-8"), False
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), True
    raise PluginError(
        f"plugin pack {renderer.pack!r}: its renderer {renderer.name!r} returned {type(result).__name__}, "
        "not text or bytes; nothing was written.",
        plugins=(renderer.pack,),
    )


def write_output(output: str, data: bytes, binary: bool = False) -> str:
    """Write the whole file or nothing (a temporary file renamed into place); '-' is standard output."""
    if output == "-":
        if binary:
            raise click.BadParameter(
                "this format is binary: write it to a file (-o FILE.pdf), not to standard output.", param_hint="'-o'"
            )
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "standard output"
    path = Path(output)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise click.BadParameter(
            f"the folder {str(folder)!r} does not exist: create it first or write elsewhere.", param_hint="'-o'"
        )
    if path.is_dir():
        raise click.BadParameter(f"{output!r} is a folder: give a file name.", param_hint="'-o'")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            # Kept as mkstemp made it, readable by its owner only (0600): a handout, report or export may hold a
            # patient's data, and writing over a file never leaves it wider open than that.
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise error_exit(
            ExitCode.USAGE,
            f"cannot write {output!r}: {exc.strerror or exc}. Check the folder's permissions and free space, or "
            "write elsewhere with -o.",
        ) from None
    return str(path)


def write_export(
    store: Any, patient: str, output: str, data: bytes, detail: dict[str, Any], binary: bool = False
) -> str:
    """Write an export of a patient's data (as :func:`write_output`) and record it in the store's audit trail
    (``detail``: what was exported, never the data). A file whose export could not be recorded is removed, so that no
    export leaves unrecorded; standard output, which cannot be taken back, is recorded first."""
    if output == "-":
        store.record_export(patient, detail)
        return write_output(output, data, binary)
    where = write_output(output, data, binary)
    try:
        store.record_export(patient, detail)
    except BaseException:
        Path(where).unlink(missing_ok=True)
        raise
    return where
