"""Read protocol documents (.json, .yaml, .yml) safely, with positions for every error.

The fast path parses with the C parsers (``json`` and libyaml) and no position
bookkeeping; :mod:`rehabkit._documents.positions` is consulted only after something went
wrong.  Every refusal is a :class:`~rehabkit.DocumentError` with a
stable code, ``file:line:col`` where known, and a sentence saying what to do.

Limits: a file larger than ``Limits.max_bytes``, nesting deeper than
``Limits.max_depth``, bytes that are not UTF-8, YAML anchors and aliases (the
"billion laughs" attack), duplicate keys, non-text keys and YAML-only types are
all refused.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from .._common.errors import DocumentError, format_json_path
from . import positions

__all__ = [
    "CODES",
    "DEFAULT_LIMITS",
    "DOCUMENT_SUFFIXES",
    "Document",
    "Limits",
    "load_file",
    "load_text",
    "read_bytes",
    "read_file",
]

DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml")

#: Finding codes raised while reading a document, with their meaning.
CODES = {
    "RK001": "the file could not be read",
    "RK002": "the file is larger than the size limit",
    "RK003": "the file is not valid UTF-8",
    "RK004": "the file is empty",
    "RK005": "JSON or YAML syntax error",
    "RK006": "a key appears twice in one mapping",
    "RK007": "YAML anchors, aliases and merge keys are not allowed",
    "RK008": "nesting deeper than the limit",
    "RK009": "a key or value type JSON cannot represent",
}


@attrs.frozen(slots=True)
class Limits:
    """Bounds on what the loader accepts; the defaults suit protocol documents."""

    max_bytes: int = 1_048_576
    max_depth: int = 32
    #: What is read, as the messages name it (``rehabkit import`` reads a "FHIR export").
    kind: str = "protocol document"


#: The limits a caller gets without asking for others (frozen: one instance serves every default).
DEFAULT_LIMITS = Limits()


@attrs.frozen(slots=True, eq=False)
class Document:
    """A parsed document: its data plus the text, kept to locate errors later."""

    path: str
    format: str
    text: str
    data: Any
    #: The nesting limit still to be checked, when the loader was asked to leave it (``defer_depth``) to whoever
    #: finds the document does not match its schema (a valid document is bounded by the schema); see check_depth.
    unchecked_depth: int | None = None

    def check_depth(self) -> None:
        """Raise the RK008 :class:`DocumentError` the loader would have raised, if the check was deferred."""
        limit = self.unchecked_depth
        if limit is None or not _too_deep(self.data, limit):
            return
        if self.format == "yaml":
            global _YAML
            if _YAML is None:
                _YAML = _yaml_classes()
            _check_events(*_YAML, self.text, self.path, Limits(max_depth=limit))  # raises RK008 where it is
        point = positions.deepest_json_point(self.text, limit) or (None, None)
        raise _depth_error(self.path, Limits(max_depth=limit), *point)

    @classmethod
    def from_mapping(cls, data: Any, path: str, default: Callable[[Any], Any] | None = None) -> Document:
        """A JSON document built from in-memory data (a pack's registration, a test's mapping).

        The data goes through JSON text so that the document has text to locate
        errors in and holds plain JSON values only; ``default`` converts values
        JSON cannot hold, as in :func:`json.dumps`. Raises ``TypeError`` or
        ``ValueError`` for data that is not plain JSON.
        """
        text = json.dumps(data, indent=2, default=default)
        return cls(path=path, format="json", text=text, data=json.loads(text))

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> tuple[int, int] | None:
        """1-based (line, column) of the value (or key) at ``path``, if it can be found."""
        if self.format == "json":
            return positions.locate_json(self.text, path, key=key)
        return positions.locate_yaml(self.text, path, key=key)

    def position(self, path: Sequence[str | int], *, key: bool = False) -> tuple[int | None, int | None]:
        """Like :meth:`locate`, but ``(None, None)`` when the path cannot be found (a finding's line and column)."""
        return self.locate(path, key=key) or (None, None)


def load_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, *, defer_depth: bool = False) -> Document:
    """Read and parse one document file; raises :class:`DocumentError`.

    ``defer_depth`` leaves the nesting limit to :meth:`Document.check_depth` (the batch checker calls it only
    for a document that fails its schema); the C parsers' own recursion limits still apply.
    """
    name = os.fspath(path)
    fmt, raw = read_file(name, limits)
    return load_text(raw, path=name, fmt=fmt, limits=limits, defer_depth=defer_depth)


def read_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> tuple[str, bytes]:
    """A document file's format (``json`` or ``yaml``, from its name) and bytes, read safely but not parsed
    (up to one byte past the size limit, so that :func:`load_text` can refuse it); raises :class:`DocumentError`."""
    name = os.fspath(path)
    return _format_for(name), read_bytes(name, limits)


def read_bytes(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> bytes:
    """A file's bytes, read safely whatever its name (up to one byte past the size limit, so that
    :func:`load_text` can refuse it): for files that are not protocol documents (a FHIR export); raises
    :class:`DocumentError`."""
    name = os.fspath(path)
    try:
        # Non-blocking open, then only a regular file is read: a FIFO or a device would hang or never end.
        descriptor = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise DocumentError(
                    "RK001",
                    "this is not a regular file (a pipe, a device or a socket): only files are "
                    "read; point rehabkit at the document itself.",
                    path=name,
                )
            raw = _read_all(descriptor, info.st_size, limits.max_bytes + 1)
        finally:
            os.close(descriptor)
    except OSError as exc:
        raise DocumentError(
            "RK001", f"cannot read the file ({exc.strerror or exc}): check the path and its permissions.", path=name
        ) from None
    return raw


def _read_all(descriptor: int, size: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of an open regular file, asking first for its stated ``size`` and one byte more (a
    buffered read of ``limit`` bytes would set aside the whole limit for every file); a file that grew, or
    one that states no size (as under /proc), is read on to its end or the limit."""
    chunks: list[bytes] = []
    left = limit
    want = min(limit, size + 1)
    while left > 0:
        chunk = os.read(descriptor, want)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
        want = min(left, 1 << 20)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _format_for(name: str) -> str:
    suffix = _suffix(name).lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise DocumentError(
        "RK001",
        f"unknown file type {suffix or '(no suffix)'!r}: protocol documents end in .json, .yaml or .yml.",
        path=name,
    )


def _suffix(name: str) -> str:
    """``PurePath(name).suffix``, without building a path object (a batch asks it of every file)."""
    base = os.path.basename(name)
    if base in ("", "."):  # "folder/" or "folder/.": the path's own reading of its last part
        return Path(name).suffix
    dot = base.rfind(".")
    return base[dot:] if 0 < dot < len(base) - 1 else ""


def load_text(
    raw: bytes | str,
    *,
    path: str = "<document>",
    fmt: str = "yaml",
    limits: Limits = DEFAULT_LIMITS,
    defer_depth: bool = False,
) -> Document:
    """Parse document text (``fmt`` is ``json`` or ``yaml``); raises :class:`DocumentError` (see :func:`load_file`)."""
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > limits.max_bytes:
        raise DocumentError(
            "RK002",
            f"the file is larger than {limits.max_bytes:,} bytes: split it, or check that it is a {limits.kind}.",
            path=path,
        )
    text = _decode(raw, path) if isinstance(raw, bytes) else raw
    if not text or text.isspace() or (fmt == "yaml" and _only_comments(text)):
        raise DocumentError(
            "RK004", "the file is empty: it should hold one protocol document.", path=path, line=1, column=1
        )
    data = _parse_json(text, path, limits) if fmt == "json" else _parse_yaml(text, path, limits)
    document = Document(path=path, format=fmt, text=text, data=data, unchecked_depth=limits.max_depth)
    if defer_depth:
        return document
    document.check_depth()
    return attrs.evolve(document, unchecked_depth=None)


def _decode(raw: bytes, path: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DocumentError(
            "RK003",
            f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}): save it with UTF-8 encoding.",
            path=path,
            line=line,
            column=column,
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


# --- JSON -----------------------------------------------------------------


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


# Strings are matched too so that "NaN" inside a string is skipped.
_JSON_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|NaN|-?Infinity', re.S)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _NotFinite(ValueError):
    """A JSON number too large for a float (``1e400``), which Python would read as infinity."""

    def __init__(self, token: str) -> None:
        super().__init__(f"{token} is too large to be a number")
        self.token = token


def _finite_float(token: str) -> float:
    value = float(token)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(token)
    return value


_orjson: Any
try:  # orjson reads JSON several times faster than the standard library; without it, the careful path does all
    import orjson as _orjson
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    _orjson = None

# Every ASCII digit as "0", every other byte as a space: a run of 19 zeros after translating is a run of
# 19 digits (several times faster than a regular expression).
_DIGITS_AS_ZERO = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))
_LONG_DIGITS = b"0" * 19


def _fast_json(text: str) -> Any:
    """orjson's reading of ``text`` when it is certainly what the careful reading below gives, else ``None``.

    orjson keeps the last of two equal keys without a word, so the text's colons are counted against those
    of orjson's own compact writing of the data: each key written has its colon, and every colon inside a
    string is written literally in both (unless escaped as \\u003a, which sends the text the careful way), so
    the counts agree exactly when no key was dropped. NaN, Infinity, 1e400, lone surrogates and other
    refusals fail in orjson too and are read again the careful way, for the same message; so are integers
    too long for 64 bits, which orjson turns into floats: such a float is at least 9.2e18, which orjson writes
    with an exponent ("e+"), and only then is the text searched for a run of 19 digits.
    """
    if _orjson is None or ("\\" in text and "\\u003" in text):
        return None
    try:
        data = _orjson.loads(text)
    except _orjson.JSONDecodeError:
        return None
    written = _orjson.dumps(data)
    if text.count(":") != written.count(b":"):
        return None  # a duplicate key: the careful reading names it
    if b"+" in written and b"e+" in written and _LONG_DIGITS in text.encode().translate(_DIGITS_AS_ZERO):
        return None  # perhaps an integer orjson read as a float
    global _LAST_WRITTEN
    _LAST_WRITTEN = (data, written)
    return data


#: The data of the JSON document read last through orjson, with orjson's compact writing of it (kept alive
#: here, so that no other object can take its identity): lint rule RK501 looks at that writing too.
_LAST_WRITTEN: tuple[Any, bytes] | None = None


def compact_json(data: Any) -> bytes:
    """orjson's compact writing of plain ``data`` (``orjson.dumps(data)``), taken from the loader when ``data`` is
    the data of the JSON document it read last (loaded data is read-only); raises ``TypeError`` where orjson
    refuses a value (an integer beyond 64 bits), and ``ImportError`` without orjson."""
    last = _LAST_WRITTEN
    if last is not None and last[0] is data:
        return last[1]
    if _orjson is None:
        raise ImportError("orjson is not installed")
    written: bytes = _orjson.dumps(data)
    return written


def _parse_json(text: str, path: str, limits: Limits) -> Any:
    fast = _fast_json(text)
    if fast is not None:
        return fast
    try:
        data = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        raise DocumentError(
            "RK005", f"JSON syntax error: {exc.msg}.", path=path, line=exc.lineno, column=exc.colno
        ) from None
    except _DuplicateKey:
        found = positions.first_json_duplicate(text)
        assert found is not None, "json reported a duplicate key the scanner cannot find"
        obj_path, key, (line, column) = found
        raise DocumentError(
            "RK006",
            f"duplicate key {key!r}: a key may appear only once in a mapping; keep one and delete the other.",
            path=path,
            line=line,
            column=column,
            json_path=format_json_path([*obj_path, key]),
        ) from None
    except RecursionError:
        data = None
    except _NotFinite as exc:  # 1e400: at the first place the number is written
        token = re.search(r"(?<![\w.\"])" + re.escape(exc.token) + r"(?![\w.])", text)
        where_big: tuple[int | None, int | None] = positions.line_col(text, token.start()) if token else (None, None)
        raise DocumentError(
            "RK009",
            f"{exc}: write a number JSON and YAML read alike.",
            path=path,
            line=where_big[0],
            column=where_big[1],
        ) from None
    except ValueError as exc:  # NaN / Infinity; a number too long to read
        match = next((m for m in _JSON_CONSTANT.finditer(text) if not m.group().startswith('"')), None)
        where: tuple[int | None, int | None] = positions.line_col(text, match.start()) if match else (None, None)
        raise DocumentError(
            "RK009", f"{exc}: write a number or a string instead.", path=path, line=where[0], column=where[1]
        ) from None
    if data is None:  # deeper than Python's own parser goes: far past any limit
        point = positions.deepest_json_point(text, limits.max_depth) or (None, None)
        raise _depth_error(path, limits, *point)
    return data


# --- YAML -----------------------------------------------------------------


def _yaml_classes() -> tuple[Any, Any]:
    """The safe loader (libyaml-backed where available) with rehabkit's refusals."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        """Safe loader that refuses duplicate keys, non-text keys and merge keys."""

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[str, Any]:
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _YamlRefusal(
                        "RK007", "merge keys ('<<') are not allowed: write the keys out in full.", key_node
                    )
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str):
                    raise _YamlRefusal(
                        "RK009", f"keys must be text, not {_yaml_type(key)}: put the key in quotes.", key_node
                    )
                if key in mapping:
                    raise _YamlRefusal(
                        "RK006",
                        f"duplicate key {key!r}: a key may appear only once in a mapping; "
                        "keep one and delete the other.",
                        key_node,
                    )
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

        def construct_finite_float(self, node: Any) -> float:
            try:
                value = float(self.construct_yaml_float(node))
            except ValueError:
                raise _YamlRefusal(
                    "RK009", f"{_shown(node.value)} is not a number: write a number, or quote it to make it text.", node
                ) from None
            if value != value or value in (float("inf"), float("-inf")):
                raise _YamlRefusal("RK009", f"{node.value!r} is not a finite number: write a number.", node)
            return value

        def construct_checked_int(self, node: Any) -> int:
            try:
                return int(self.construct_yaml_int(node))
            except ValueError:
                raise _YamlRefusal(
                    "RK009",
                    f"{_shown(node.value)} is not a whole number YAML can read: write one, or "
                    "quote it to make it text.",
                    node,
                ) from None

        def construct_checked_bool(self, node: Any) -> bool:
            try:
                return bool(self.construct_yaml_bool(node))
            except (KeyError, ValueError):
                raise _YamlRefusal(
                    "RK009", f"{_shown(node.value)} is not true or false: write true or false.", node
                ) from None

        def refuse_type(self, node: Any) -> Any:
            raise _YamlRefusal(
                "RK009",
                f"the YAML type {node.tag!r} has no JSON equivalent: use a string, number, list or mapping.",
                node,
            )

    # Dates stay text, as in JSON: the schema checks their format.
    StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_str)
    StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_finite_float)
    StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_checked_int)
    StrictLoader.add_constructor("tag:yaml.org,2002:bool", StrictLoader.construct_checked_bool)
    for tag in ("binary", "set", "omap", "pairs"):
        StrictLoader.add_constructor(f"tag:yaml.org,2002:{tag}", StrictLoader.refuse_type)
    StrictLoader.add_constructor(None, StrictLoader.refuse_type)
    return yaml, StrictLoader


_YAML: tuple[Any, Any] | None = None


class _YamlRefusal(Exception):
    def __init__(self, code: str, message: str, node: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = node.start_mark


def _shown(value: Any) -> str:
    """A value for a message: quoted, and cut short when it is long."""
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _yaml_type(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _parse_yaml(text: str, path: str, limits: Limits) -> Any:
    global _YAML
    if _YAML is None:
        _YAML = _yaml_classes()
    yaml, loader_cls = _YAML
    if _plainly_safe(text):
        # No anchor or alias can be written without '&' or '*', and the text cannot nest deep enough to
        # trouble libyaml's composer: one C pass. Any error is read again the careful way below, so that
        # it is reported exactly as before; the nesting limit is checked on the data by the caller.
        loader = loader_cls(text)
        try:
            return loader.get_single_data()
        except Exception:  # broad on purpose - the careful pass below reports it
            pass
        finally:
            loader.dispose()
    try:
        # One pass over the event stream first: libyaml's composer recurses in C and
        # would crash on extreme nesting, and aliases must be refused before they expand.
        _check_events(yaml, loader_cls, text, path, limits)
        loader = loader_cls(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except _YamlRefusal as exc:
        raise DocumentError(
            exc.code, exc.message, path=path, line=exc.mark.line + 1, column=exc.mark.column + 1
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").replace("\t", "\\t")  # a tab, shown as \t
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        from .yaml_hints import yaml_hint

        at = text[mark.index] if mark is not None and 0 <= mark.index < len(text) else ""
        hint = yaml_hint(problem, exc.context or "", at)
        raise DocumentError(
            "RK005",
            " ".join(f"YAML syntax error: {problem}{context}.".split()) + (f" Hint: {hint}." if hint else ""),
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: at its line and column, on one line
        line, column = positions.line_col(text, exc.position)
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise DocumentError(
            "RK005",
            f"YAML syntax error: the character {shown} is not allowed in YAML: remove it, or "
            "write it as an escape inside double quotes.",
            path=path,
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentError("RK005", f"YAML syntax error: {' '.join(str(exc).split())}.", path=path) from None
    return data


#: Nesting that libyaml's recursive composer is known to survive (it crashed at 100,000 levels, not at 10,000).
_SAFE_NESTING = 2_000


def _plainly_safe(text: str) -> bool:
    """True when ``text`` holds no anchor or alias and cannot nest more than :data:`_SAFE_NESTING` levels.

    A bound, not a measure: flow collections nest once per bracket at most, and block collections once per
    column (a block child is indented past its parent, or is a sequence at its mapping's indentation), so
    depth <= brackets + 2 x (longest line + 1).
    """
    if "&" in text or "*" in text:
        return False
    brackets = text.count("[") + text.count("{")
    if brackets > _SAFE_NESTING:
        return False
    longest = max(map(len, text.splitlines()), default=0)
    return brackets + 2 * (longest + 1) <= _SAFE_NESTING


def _check_events(yaml: Any, loader_cls: Any, text: str, path: str, limits: Limits) -> None:
    depth, after, documents = 0, 0, 0
    events = yaml.parse(text, Loader=loader_cls)
    while True:
        try:
            event = next(events)
        except StopIteration:
            return
        except yaml.MarkedYAMLError as exc:
            # PyYAML 6.0.4 and later refuse deep flow nesting themselves while scanning ahead of the events
            # rehabkit has seen ("exceeded maximum nesting depth"): the finding stays rehabkit's own RK008, placed
            # where rehabkit's limit is crossed, whatever PyYAML version is installed.
            if "nesting depth" not in f"{exc.problem} {exc.context}":
                raise
            line, column = _flow_depth_point(text, after, depth, limits.max_depth) or (None, None)
            if line is None and exc.problem_mark is not None:
                line, column = exc.problem_mark.line + 1, exc.problem_mark.column + 1
            raise _depth_error(path, limits, line, column) from None
        after = event.end_mark.index
        kind = type(event)
        if getattr(event, "anchor", None) is not None and kind is not yaml.AliasEvent:
            mark = event.start_mark
            raise DocumentError(
                "RK007",
                f"YAML anchor '&{event.anchor}' is not allowed: protocol documents may not use anchors or aliases; "
                "remove it (write repeated content out in full).",
                path=path,
                line=mark.line + 1,
                column=mark.column + 1,
            )
        if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            depth += 1
            if depth > limits.max_depth:
                mark = event.start_mark
                raise _depth_error(path, limits, mark.line + 1, mark.column + 1)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            depth -= 1
        elif kind is yaml.AliasEvent:
            mark = event.start_mark
            raise DocumentError(
                "RK007",
                f"YAML alias '*{event.anchor}' is not allowed: "
                "protocol documents may not use anchors or aliases; write the content out in full.",
                path=path,
                line=mark.line + 1,
                column=mark.column + 1,
            )
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                mark = event.start_mark
                raise DocumentError(
                    "RK005",
                    "YAML syntax error: more than one document in the file; keep one protocol per file.",
                    path=path,
                    line=mark.line + 1,
                    column=mark.column + 1,
                )


def _flow_depth_point(text: str, start: int, depth: int, limit: int) -> tuple[int, int] | None:
    """Line and column (1-based) of the first flow bracket after ``start`` that takes ``depth`` past ``limit``.

    Brackets inside quoted scalars and comments are skipped; ``None`` when no bracket crosses the limit.
    """
    quote = ""
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif char in "[{":
            depth += 1
            if depth > limit:
                return positions.line_col(text, index)
        elif char in "]}":
            depth -= 1
        index += 1
    return None


def _too_deep(data: Any, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _depth_error(path: str, limits: Limits, line: int | None, column: int | None) -> DocumentError:
    return DocumentError(
        "RK008",
        f"nesting is deeper than {limits.max_depth} levels: {limits.kind}s are much shallower; "
        "check for runaway brackets or indentation.",
        path=path,
        line=line,
        column=column,
    )
