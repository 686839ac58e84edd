"""Text from packs and documents made safe for a terminal: control characters shown, never sent.

A protocol's title, a file's name or a pack's message may hold escape sequences
(``\\x1b]0;title\\a``, ``\\x1b[2J``), a carriage return or a line separator that
would rewrite the screen or forge another line of output. Everything rehabkit
prints from such sources passes through :func:`visible`.
"""

from __future__ import annotations

import os
import unicodedata
from typing import TextIO

__all__ = ["colour_wanted", "visible"]


def colour_wanted(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org) or ``TERM=dumb``."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_ALLOWED = {"\t"}


def _shown(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control, format and line/paragraph-separator characters written as ``\\x1b``/``\\u2028``.

    ``keep_newlines`` lets ``\\n`` through, for multi-line text rehabkit lays out itself.
    """
    if text.isprintable():  # the common case, and a fast one
        return text
    out = []
    for character in text:
        if character in _ALLOWED or (keep_newlines and character == "\n"):
            out.append(character)
        elif unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(_shown(character))
        else:
            out.append(character)
    return "".join(out)
