"""Building the model from a loaded document: its kind, the schema of that kind, then the frozen objects.

Used by the batch checker (:mod:`.validation`), by the plugin loader for what
packs register, and by the command line for a protocol file a user names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._common.errors import DocumentError, Finding, format_json_path
from ..model import ExerciseLibrary, Protocol, RedFlagLibrary
from .loader import Document
from .schemas import (
    SCHEMA_CODE,
    SCHEMA_FOR_KIND,
    SchemaValidator,
    library_validator,
    protocol_validator,
    red_flag_library_validator,
)

__all__ = [
    "InvalidDocument",
    "document_kind",
    "library_from_document",
    "model_from_document",
    "protocol_from_document",
    "red_flag_library_from_document",
]


class InvalidDocument(DocumentError):
    """A document that does not match the schema; ``findings`` lists every violation."""

    def __init__(self, findings: list[Finding]) -> None:
        first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(
            first.code,
            first.message + more,
            path=first.path,
            line=first.line,
            column=first.column,
            json_path=first.json_path,
        )
        self.findings = findings


def document_kind(document: Document) -> str:
    """The document's ``kind`` (``protocol`` when it has none, so the schema names what is missing).

    Raises :class:`InvalidDocument` for a kind rehabkit does not know.
    """
    kind = document.data.get("kind", "protocol") if isinstance(document.data, Mapping) else "protocol"
    if isinstance(kind, str) and kind in SCHEMA_FOR_KIND:
        return str(kind)
    document.check_depth()
    import json

    line, column = document.position(("kind",))
    names = [repr(k) for k in SCHEMA_FOR_KIND]
    kinds = f"{', '.join(names[:-1])} or {names[-1]}"
    raise InvalidDocument(
        [
            Finding(
                document.path,
                SCHEMA_CODE,
                f"kind {json.dumps(kind)} is not a rehabkit document kind: write {kinds}.",
                line=line,
                column=column,
                json_path=format_json_path(("kind",)),
            )
        ]
    )


_BUILT: dict[str, tuple[Any, Callable[[], SchemaValidator]]] = {
    "protocol": (Protocol, protocol_validator),
    "exercise-library": (ExerciseLibrary, library_validator),
    "red-flag-library": (RedFlagLibrary, red_flag_library_validator),
}


def model_from_document(document: Document) -> Protocol | ExerciseLibrary | RedFlagLibrary:
    """Check a loaded document against the schema of its kind and build the model object.

    Raises :class:`InvalidDocument` listing every schema violation.
    """
    cls, validator = _BUILT[document_kind(document)]
    findings = validator().findings(document)
    if findings:
        raise InvalidDocument(findings)
    built: Protocol | ExerciseLibrary | RedFlagLibrary = cls.from_dict(document.data)
    return built


def protocol_from_document(document: Document) -> Protocol:
    """Check a loaded document against the schema and build its :class:`Protocol`.

    Raises :class:`InvalidDocument` listing every schema violation, or when the
    document is of another kind.
    """
    item = model_from_document(document)
    if not isinstance(item, Protocol):
        raise _wrong_kind(document, "protocol")
    return item


def library_from_document(document: Document) -> ExerciseLibrary:
    """Check a loaded document against the exercise-library schema and build it."""
    item = model_from_document(document)
    if not isinstance(item, ExerciseLibrary):
        raise _wrong_kind(document, "exercise-library")
    return item


def red_flag_library_from_document(document: Document) -> RedFlagLibrary:
    """Check a loaded document against the red-flag library schema and build it."""
    item = model_from_document(document)
    if not isinstance(item, RedFlagLibrary):
        raise _wrong_kind(document, "red-flag-library")
    return item


#: The hook that registers each kind of document.
_HOOK_FOR_KIND = {
    "protocol": "rehabkit_register_protocols",
    "exercise-library": "rehabkit_register_exercises",
    "red-flag-library": "rehabkit_register_red_flag_libraries",
}


def _wrong_kind(document: Document, wanted: str) -> InvalidDocument:
    hook = _HOOK_FOR_KIND[document_kind(document)]
    line, column = document.position(("kind",))
    return InvalidDocument(
        [
            Finding(
                document.path,
                SCHEMA_CODE,
                f"this is not a {wanted} document (kind {document.data.get('kind')!r}); register it through {hook}.",
                line=line,
                column=column,
                json_path="$.kind",
            )
        ]
    )
