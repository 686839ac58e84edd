"""Find where a JSON path lies in a document's text, only when an error needs it.

Parsing with positions is slower than plain parsing, so the loader parses fast
and calls these functions after something went wrong: to point a schema error
at ``file:line:col``, to find the second of two duplicate JSON keys, or to find
where nesting first goes too deep.  Lines and columns are 1-based.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

__all__ = [
    "deepest_json_point",
    "first_json_duplicate",
    "line_col",
    "locate_json",
    "locate_yaml",
]

Position = tuple[int, int]
PathPart = str | int

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
# Strings (with escapes) and brackets: enough to follow nesting without parsing values.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def line_col(text: str, index: int) -> Position:
    """1-based line and column of a character offset in ``text`` (newline offsets found once per text)."""
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, index)
    return line, index - starts[line - 1] + 1


@lru_cache(maxsize=8)
def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in re.finditer("\n", text))]


def _skip_ws(text: str, i: int) -> int:
    match = _WS.match(text, i)
    return match.end() if match else i


def _skip_value(text: str, i: int) -> int:
    """Index just after the JSON value that starts at ``i``."""
    _, end = _DECODER.raw_decode(text, i)
    return end


def _members(text: str, i: int) -> Iterator[tuple[str, int, int]]:
    """Yield (key, key_index, value_index) for the object starting at ``text[i] == '{'``."""
    i = _skip_ws(text, i + 1)
    if text.startswith("}", i):
        return
    while True:
        key_index = i
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]  # public since 2.6, absent from typeshed
        i = _skip_ws(text, i)
        i = _skip_ws(text, i + 1)  # past ':'
        yield key, key_index, i
        i = _skip_ws(text, _skip_value(text, i))
        if text.startswith("}", i):
            return
        i = _skip_ws(text, i + 1)  # past ','


def _items(text: str, i: int) -> Iterator[tuple[int, int]]:
    """Yield (index, value_index) for the array starting at ``text[i] == '['``."""
    i = _skip_ws(text, i + 1)
    if text.startswith("]", i):
        return
    n = 0
    while True:
        yield n, i
        i = _skip_ws(text, _skip_value(text, i))
        if text.startswith("]", i):
            return
        i = _skip_ws(text, i + 1)
        n += 1


def locate_json(text: str, path: Sequence[PathPart], *, key: bool = False) -> Position | None:
    """Position of the value at ``path`` in JSON ``text`` (or of its key with ``key=True``).

    Returns the deepest position reached when the path does not fully exist, and
    ``None`` when ``text`` is not a JSON document. Every path of the document is
    indexed in one pass the first time a position is asked for, so that locating
    thousands of findings costs one scan, not one scan each.
    """
    index = _json_index(text)
    if index is None:
        return None
    parts = tuple(path)
    while parts not in index:
        parts = parts[:-1]
    key_index, value_index = index[parts]
    return line_col(text, key_index if key else value_index)


@lru_cache(maxsize=8)
def _json_index(text: str) -> dict[tuple[PathPart, ...], tuple[int, int]] | None:
    """(key offset, value offset) of every value in the document, by path; None when the text is not JSON."""
    index: dict[tuple[PathPart, ...], tuple[int, int]] = {}

    def value(i: int, path: tuple[PathPart, ...], key_index: int) -> int:
        i = _skip_ws(text, i)
        index[path] = (key_index, i)
        if text.startswith("{", i):
            i = _skip_ws(text, i + 1)
            if text.startswith("}", i):
                return i + 1
            while True:
                at = i
                name, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]  # public, absent from typeshed
                i = _skip_ws(text, _skip_ws(text, i) + 1)  # past ':'
                i = _skip_ws(text, value(i, (*path, name), at))
                if text.startswith("}", i):
                    return i + 1
                i = _skip_ws(text, i + 1)  # past ','
        if text.startswith("[", i):
            i = _skip_ws(text, i + 1)
            if text.startswith("]", i):
                return i + 1
            n = 0
            while True:
                i = _skip_ws(text, value(i, (*path, n), _skip_ws(text, i)))
                if text.startswith("]", i):
                    return i + 1
                i = _skip_ws(text, i + 1)
                n += 1
        return _skip_value(text, i)  # a scalar

    try:
        start = _skip_ws(text, 0)
        value(start, (), start)
    except (ValueError, IndexError, RecursionError):
        return None
    return index


def first_json_duplicate(text: str) -> tuple[list[PathPart], str, Position] | None:
    """The first key that repeats within one JSON object: (object path, key, position)."""
    stack: list[tuple[int, list[PathPart]]] = [(_skip_ws(text, 0), [])]
    while stack:
        i, path = stack.pop()
        if text.startswith("{", i):
            seen: set[str] = set()
            children = []
            for name, key_index, value_index in _members(text, i):
                if name in seen:
                    return path, name, line_col(text, key_index)
                seen.add(name)
                children.append((value_index, [*path, name]))
            stack.extend(reversed(children))
        elif text.startswith("[", i):
            stack.extend(reversed([(vi, [*path, n]) for n, vi in _items(text, i)]))
    return None


def deepest_json_point(text: str, limit: int) -> Position | None:
    """Position of the first bracket that opens nesting level ``limit + 1``."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return line_col(text, match.start())
        elif token in "]}":
            depth -= 1
    return None


@lru_cache(maxsize=4)
def _compose_yaml(text: str) -> Any:
    # Cached: a document with many findings is located once per finding, and
    # composing is the costly part; the node tree is only read.
    import yaml

    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def locate_yaml(text: str, path: Sequence[PathPart], *, key: bool = False) -> Position | None:
    """Position of the value at ``path`` in YAML ``text`` (or of its key with ``key=True``).

    Only called on documents that already loaded, so composing cannot fail or
    recurse deeper than the loader's nesting limit.
    """
    import yaml

    node = _compose_yaml(text)
    if node is None:
        return None
    mark = node.start_mark
    for part in path:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    mark = key_node.start_mark if key else value_node.start_mark
                    node = value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1
