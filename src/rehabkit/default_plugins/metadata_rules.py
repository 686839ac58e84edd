"""Core lint rules on document metadata: citable references, review date, semantic version."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .._common.errors import Severity
from .._documents.lint import DOCUMENT_KINDS, LintContext, LintRule, Violation

if TYPE_CHECKING:
    import datetime

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\Z"  # \Z, not $: '1.0.0\n' is not a version
)


def citable_references(context: LintContext) -> Iterator[Violation]:
    """At least one reference can be looked up (DOI or URL)."""
    if not any(ref.doi or ref.url for ref in context.document.references):
        yield Violation(
            "no reference has a 'doi' or 'url': cite at least one source a reviewer can look up.",
            ("references",),
            at_key=True,
        )


def review_date(context: LintContext) -> Iterator[Violation]:
    """The review date, and an exercise library's figures' review date, are not in the future."""
    dates: list[tuple[str, tuple[str, ...], str]] = [(context.document.reviewed, ("reviewed",), "the clinical review")]
    figures = getattr(context.document, "figure_review", None)
    if figures is not None:
        dates.append((figures.reviewed, ("figure_review", "reviewed"), "the figures' review"))
    for text, at, what in dates:
        yield from _not_future(text, at, what, context.today)


def _not_future(text: str, at: tuple[str, ...], what: str, today: datetime.date) -> Iterator[Violation]:
    import datetime  # only when the rule runs: keeps the import off start-up

    try:
        reviewed = datetime.date.fromisoformat(text)
    except ValueError:
        return  # the schema reports malformed dates
    if reviewed > today:
        yield Violation(
            f"{'.'.join(at)} {reviewed.isoformat()} is in the future (today is {today.isoformat()}): "
            f"give the date {what} took place.",
            at,
        )


def semantic_version(context: LintContext) -> Iterator[Violation]:
    """The version is a semantic version, MAJOR.MINOR.PATCH."""
    version = context.document.version
    if not _SEMVER.match(version):
        parts = re.findall(r"\d+", version)
        suggestion = ".".join([*parts, "0", "0", "0"][:3]) if parts else "1.0.0"
        yield Violation(
            f"version {version!r} is not a semantic version: write MAJOR.MINOR.PATCH, for example {suggestion!r}.",
            ("version",),
        )


RULES = (
    LintRule(
        code="RK401",
        severity=Severity.ERROR,
        summary="no reference can be looked up",
        check=citable_references,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "Clinical content needs sources. At least one entry under 'references' must have a 'doi' or a "
            "'url', so that a reviewer can check what the protocol is based on."
        ),
    ),
    LintRule(
        code="RK402",
        severity=Severity.ERROR,
        summary="the review date is in the future",
        check=review_date,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "'reviewed' records when a clinician last reviewed the content. A date in the future is a "
            "typo or a promise; clinics rely on it to know how current a protocol is."
        ),
    ),
    LintRule(
        code="RK403",
        severity=Severity.ERROR,
        summary="the version is not a semantic version",
        check=semantic_version,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "Versions follow semantic versioning (https://semver.org): MAJOR.MINOR.PATCH with optional "
            "pre-release and build parts, for example '1.2.0' or '2.0.0-rc.1'. Patients' records name "
            "the protocol version they followed, and 'rehabkit list' orders versions by it."
        ),
    ),
)
