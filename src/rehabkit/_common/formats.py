"""Document formats: the one place that says which format of protocol and exercise-library documents is current.

A protocol or an exercise library declares the format it was written for in a top-level ``format`` field; a
document without one is of the first format (written before formats existed, for rehabkit 0.1). A lint rule added
since that would fail an older document reports a deprecation warning for it instead, naming the release in which it
becomes an error (:data:`ERROR_IN_RELEASE`) and how to mend it; for a document that declares the current format it
stays an error. CHANGELOG.md lists the formats per release.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CURRENT_FORMAT", "ERROR_IN_RELEASE", "FIRST_FORMAT", "deprecated", "document_format"]

#: The format a document without a ``format`` field is of (rehabkit 0.1's documents).
FIRST_FORMAT = 1
#: The format this rehabkit writes and checks in full.
CURRENT_FORMAT = 2
#: The release in which what an older format may still do (a deprecation warning today) becomes an error.
ERROR_IN_RELEASE = "0.3"


def document_format(document: Any) -> int:
    """The format ``document`` (a model object) declares, :data:`FIRST_FORMAT` when it declares none."""
    value = getattr(document, "format_version", None)
    return FIRST_FORMAT if value is None else int(value)


def deprecated(document_format: int, mend: str) -> str:
    """The sentence a rule adds to a finding it reports as a deprecation warning for a document of an older format:
    when it becomes an error and how to mend it (``mend``: what to change)."""
    return (
        f" Deprecated for a format-{document_format} document (no 'format', or 'format: {document_format}'): a warning "
        f"until rehabkit {ERROR_IN_RELEASE}, where it becomes an error as it already is for "
        f"'format: {CURRENT_FORMAT}'. "
        f"To mend it: {mend} then declare 'format: {CURRENT_FORMAT}'."
    )
