"""What a person needs to fix a YAML syntax error, added to the parser's own words.

The parser says *what* it met (``mapping values are not allowed here``); these
hints say what usually causes it in a protocol document and how to fix it.
"""

from __future__ import annotations

__all__ = ["yaml_hint"]

#: (words in the parser's problem or context, the hint), most specific first.
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        "a colon followed by a space inside a value starts a new key: put the whole value in quotes "
        "(steps: ['Breathe out: relax'])",
    ),
    (
        "found unknown escape character",
        "inside double quotes a backslash starts an escape: write \\\\ for a backslash, or use single quotes",
    ),
    ("found unexpected end of stream", "a quoted text is not closed: end it with the same quote it starts with"),
    (
        "could not find expected ':'",
        "a key needs a colon and a space after it (key: value); text that runs on over lines needs quotes or '>-'",
    ),
    (
        "expected ',' or ']'",
        "a [list] written on one line is not closed, or a value in it holding a comma or colon needs quotes",
    ),
    (
        "expected ',' or '}'",
        "a {mapping} written on one line is not closed, or a value in it holding a comma or colon needs quotes",
    ),
    (
        "did not find expected '-' indicator",
        "the items of a list must line up: start each with '- ' at the same indentation",
    ),
    ("did not find expected key", "the indentation is off: the keys of one mapping line up under each other"),
    (
        "expected <block end>",
        "the indentation is off: the keys of one mapping, and the items of one list, line up under each other",
    ),
    ("that cannot start any token", "a value starting with @, ` or % needs quotes"),
    (
        "block sequence entries are not allowed",
        "a list cannot start on the same line as its key's value: put '- item' on the next lines, indented",
    ),
)


def yaml_hint(problem: str, context: str = "", character: str = "") -> str:
    """A hint for a PyYAML problem (its context, and the character where it was found), or ``""`` when none applies."""
    if character == "\t" and "cannot start any token" in problem:
        return "YAML does not allow tabs for indentation: indent with spaces"
    words = f"{problem} {context}"
    for needle, hint in _HINTS:
        if needle in words:
            return hint
    return ""
