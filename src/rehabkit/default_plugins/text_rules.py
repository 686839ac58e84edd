"""Core lint rule on the text a document shows to people: no control character, line breaks included (RK501).

Every text of a protocol or an exercise library reaches a terminal, a handout or
a report: a title in ``rehabkit list``, a step on the session screen, a question
a patient answers. rehabkit lays each one out itself, on its own lines; a
character a terminal acts on instead of showing (an escape sequence, a carriage
return, a bell, a bidirectional override) or a line break of the text's own is
written out there as ``\\x1b``, ``\\u202e``, ``\\x0a`` (see
:func:`rehabkit._common.text.visible`). This rule warns about exactly those
characters, so that the author sees them before a patient does.

Decided: a line break is reported in every field, paragraphs too. rehabkit never
shows one as a line break (the HTML and Markdown handouts join the lines, the
terminal writes it out), so a line break a YAML block leaves (``|``, or the one a
``>`` block keeps at its end) is always better written otherwise: one list
item per line (steps, cues), or ``>-``, which folds the lines and keeps no line
break at the end, as every shipped protocol does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .._common.errors import Severity
from .._common.text import character_name, control_characters
from .._documents.lint import DOCUMENT_KINDS, LintContext, LintRule, Violation
from .._documents.loader import compact_json

#: Fields that are one line wherever they are shown (a heading, a table cell, a question the patient answers);
#: any other text is a paragraph that rehabkit wraps.
ONE_LINE_FIELDS = frozenset({"$schema", "alt", "authors", "equipment", "name", "question", "title", "url", "version"})
#: The line breaks :func:`rehabkit._common.text.visible` writes out (a newline, a carriage return, the separators).
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
#: How many of a text's characters one finding names.
_NAMED = 3

#: Bytes to delete from a UTF-8 text to keep only what is not ASCII (whole characters: ASCII bytes are never part of
#: a longer one).
_ASCII = bytes(range(0x80))
#: How orjson writes a C0 control in a string: ``\\t`` is a tab (allowed), any other escape but a quote or a
#: backslash is a control.
_C0_ESCAPES = (b"\\b", b"\\f", b"\\n", b"\\r", b"\\u")


def _all_printable(data: Any) -> bool:
    """True when every text in ``data`` (plain data, as loaded) is printable (a key that is not makes it False): the
    usual case, found in C rather than by a walk over the values (a fifth of the time on a shipped protocol).
    orjson writes the document; a C0 control is one of its escapes, DEL is written as it is, and the characters
    beyond ASCII are few, so only they are decoded and looked at."""
    try:
        written = compact_json(data)  # the loader's own writing of a JSON document it has just read
    except (TypeError, ImportError):  # orjson.JSONEncodeError: an integer beyond 64 bits, say
        return _walked_printable(data)
    if b"\x7f" in written:
        return False
    if b"\\" in written:
        unescaped = written.replace(b"\\\\", b"")  # an escaped backslash, whatever follows it
        if any(escape in unescaped for escape in _C0_ESCAPES):
            return False
    return written.translate(None, _ASCII).decode("utf-8").isprintable()


def _walked_printable(data: Any) -> bool:
    """:func:`_all_printable` by a walk over the values (type checks, not ``isinstance`` with the ABCs)."""
    stack = [data]
    while stack:
        value = stack.pop()
        for item in value.values() if type(value) is dict else value:
            kind = type(item)
            if kind is str:
                if not item.isprintable():
                    return False
            elif kind is dict or kind is list:
                stack.append(item)
    return True


def _texts(data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every text value in ``data`` that is not all printable, with its JSON path, in document order."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not value.isprintable():
                yield path, value
        elif isinstance(value, Mapping):
            stack.extend(reversed([((*path, key), item) for key, item in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, index), item) for index, item in enumerate(value)]))


def _field(path: tuple[str | int, ...]) -> str:
    """The field a text is in: ``title``, ``steps`` (for ``steps[2]``)."""
    names = [part for part in path if isinstance(part, str)]
    return names[-1] if names else "text"


def _what(field: str, path: tuple[str | int, ...]) -> str:
    """The text as a message names it: ``'title'``, ``item 3 of 'steps'``."""
    if path and isinstance(path[-1], int):
        return f"item {path[-1] + 1} of {field!r}"
    return f"{field!r}"


def _advice(field: str, path: tuple[str | int, ...], found: list[tuple[int, str]]) -> str:
    """What to do about the characters found in a text of ``field`` at ``path``."""
    advice = []
    if any(c in LINE_BREAKS for _, c in found):
        fold = "(in YAML, a '>-' block folds long text and keeps no line break at its end)"
        if field in ONE_LINE_FIELDS:
            advice.append(f"a {field} is one line: join the lines {fold}")
        else:
            split = "give each line its own item, or join them" if path and isinstance(path[-1], int) else "join them"
            advice.append(
                f"rehabkit never shows a text's line break as one (handouts join the lines, the terminal writes it "
                f"out): {split} {fold}"
            )
    if any(c not in LINE_BREAKS for _, c in found):
        advice.append(
            "remove the control characters: a terminal would act on them rather than show them (move the cursor, "
            "clear the screen, reorder the text)"
        )
    return "; ".join(advice)


def _named(found: list[tuple[int, str]]) -> str:
    """Each character found, with where it is in the text: ``\\x1b (ESCAPE) at characters 4 and 9``."""
    places: dict[str, list[int]] = {}
    for index, character in found:
        places.setdefault(character, []).append(index + 1)
    parts = []
    for character, where in places.items():
        shown = [str(n) for n in where[:_NAMED]] + ([f"{len(where) - _NAMED} more"] if len(where) > _NAMED else [])
        words = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        parts.append(f"{character_name(character)} at character{'s' if len(where) > 1 else ''} {words}")
    return ", ".join(parts)


def control_characters_in_text(context: LintContext) -> Iterator[Violation]:
    """No text of the document holds a control, format or line-separator character, a line break included."""
    if type(context.data) not in (dict, list) or _all_printable(context.data):
        return
    for path, text in _texts(context.data):
        found = control_characters(text)
        if found:
            field = _field(path)
            yield Violation(f"{_what(field, path)} holds {_named(found)}: {_advice(field, path, found)}.", path)


RULES = (
    LintRule(
        code="RK501",
        severity=Severity.WARNING,
        summary="a text holds a control character or a line break",
        check=control_characters_in_text,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "Every text of a document is shown to people: a title in 'rehabkit list', a step on the session "
            "screen, a red-flag question a patient answers, a line of a handout. rehabkit lays each text out on "
            "lines of its own, so a character a terminal would act on rather than show (an escape sequence, a "
            "carriage return, a bell, a bidirectional override such as U+202E) or a line break of the text's own "
            "is written out at the terminal, as \\x1b, \\u202e or \\x0a, and never sent. A line break is reported "
            "in paragraphs too: rehabkit never shows one as a line break (handouts join the lines), so write one "
            "list item per line (steps, cues), or fold long YAML text with '>-', which keeps no line break at "
            "its end ('|' and '>' do). A tab is allowed."
        ),
    ),
)
