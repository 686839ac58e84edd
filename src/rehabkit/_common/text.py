"""Text from packs and documents made safe for a terminal: control characters shown, never sent.

A protocol's title, a file's name, a pack's message, a clinician's note or id may
hold escape sequences (``\\x1b]0;title\\a``, ``\\x1b[2J``), a carriage return, a
newline or a line separator that would rewrite the screen or forge another line
of output, or a bidirectional override (``\\u202e``) that shows text other than
what is written. Everything rehabkit prints from such sources passes through
:func:`visible`; ``rehabkit validate`` warns about the same characters in a
document (RK501, with :func:`control_characters`), so what it warns about is
exactly what a terminal shows written out.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = [
    "and_list",
    "character_name",
    "colour_wanted",
    "control_characters",
    "json_text",
    "number_text",
    "visible",
]


def and_list(words: Sequence[str]) -> str:
    """Words joined as a sentence lists them: ``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


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
#: The Unicode categories a terminal acts on rather than shows: controls (C0, DEL, C1), format characters
#: (bidirectional overrides, zero-width characters) and the line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _hidden(character: str) -> bool:
    return character not in _ALLOWED and unicodedata.category(character) in _HIDDEN_CATEGORIES


def _shown(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control, format and line/paragraph-separator characters written as ``\\x1b``/``\\u2028``.

    A tab is kept. ``keep_newlines`` lets ``\\n`` through, for multi-line text rehabkit lays out itself (a file
    whose lines are all rehabkit's own); text that may hold a pack's or a person's words is shown one line at a
    time, newlines written out as ``\\x0a``.
    """
    if text.isprintable():  # the common case, and a fast one
        return text
    out = []
    for character in text:
        if keep_newlines and character == "\n":
            out.append(character)
        elif _hidden(character):
            out.append(_shown(character))
        else:
            out.append(character)
    return "".join(out)


def control_characters(text: str) -> list[tuple[int, str]]:
    """The characters of ``text`` that :func:`visible` writes out (newlines included), with their index."""
    if text.isprintable():
        return []
    return [(index, character) for index, character in enumerate(text) if _hidden(character)]


#: Names of the controls Unicode gives no name, as terminals and editors call them.
_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\x0a": "LINE FEED, a newline",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\x0d": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
    "\x9b": "CONTROL SEQUENCE INTRODUCER",
}


def character_name(character: str) -> str:
    """``character`` as :func:`visible` writes it, with its name: ``\\x1b (ESCAPE)``, ``\\u202e (RIGHT-TO-LEFT
    OVERRIDE)``."""
    name = _CONTROL_NAMES.get(character) or unicodedata.name(character, "")
    if not name:
        name = "a control character"
    return f"{_shown(character)} ({name})"


def json_text(value: Any, **options: Any) -> str:
    """``value`` as JSON (``json.dumps`` with ``options``), non-ASCII text kept as it is but every character
    :func:`visible` writes out escaped (``\\u202e``): the same data, and safe to print at a terminal."""
    import json

    text = json.dumps(value, ensure_ascii=False, **options)
    if text.isprintable():
        return text
    # json.dumps escapes C0 controls inside strings itself: a raw newline is the layout's (``indent``).
    return "".join(_json_escape(c) if c != "\n" and _hidden(c) else c for c in text)


def _json_escape(character: str) -> str:
    code = ord(character)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


#: The largest whole number shown digit by digit; a larger one (``at_most: 999...9``, which the schema lets
#: through) is shown in powers of ten, as a float would be, without converting it to one (which overflows).
_EXACT_DIGITS = 16


def number_text(value: float) -> str:
    """A document's number as a message shows it, as ``f"{value:g}"`` would, for any value a document may hold.

    ``:g`` converts an int to a float and raises OverflowError beyond 1.8e308 (a 400-digit threshold), and
    ``str`` refuses ints past 4300 digits; this never raises. ``-0.0`` reads ``0``.
    """
    if isinstance(value, float):
        return f"{value + 0.0:g}"
    if abs(value) < 10**_EXACT_DIGITS:
        return str(value)
    exponent = (abs(value).bit_length() - 1) * 3 // 10  # a lower bound of log10 (log10(2) > 0.3) to start from
    while abs(value) >= 10 ** (exponent + 1):
        exponent += 1
    mantissa = f"{abs(value) / 10**exponent:.6g}"  # int / int: a float from 1 to 10 however large both are
    if mantissa == "10":  # 9.9999996e+16 rounds up to the next power
        mantissa, exponent = "1", exponent + 1
    return f"{'-' if value < 0 else ''}{mantissa}e+{exponent}"
