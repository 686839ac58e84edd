"""Suppressions: lint findings a document accepts on purpose, each with a reason.

Two forms, both requiring a reason:

* a YAML comment ``# rehabkit: ignore[RK204] reason...`` at the end of the
  finding's line, or on a line of its own just above it;
* a ``suppress`` list in the document (JSON or YAML):
  ``{"code": "RK204", "path": "$.phases[0]", "reason": "..."}``, covering the
  path and everything below it (the whole document without ``path``).

A suppression without a reason is an error (RK011) and suppresses nothing; one
that matched no finding of a rule that ran is reported (RK012) so that stale
suppressions do not pile up.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

import attrs

from .._common.errors import Finding, Severity, format_json_path
from ..model import Suppression
from .loader import Document

__all__ = ["MISSING_REASON_CODE", "UNUSED_CODE", "Suppressor", "apply_suppressions"]

#: A suppression comment without a reason.
MISSING_REASON_CODE = "RK011"
#: A suppression that matched no finding.
UNUSED_CODE = "RK012"
_COMMENT = re.compile(r"(?:^|\s)#\s*rehabkit:\s*ignore\[([^\]]*)\]\s*(.*?)\s*$")
_CODE = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")
_MIN_REASON = 10


@attrs.define
class Suppressor:
    """One suppression in force, and whether it was used."""

    codes: tuple[str, ...]
    reason: str
    #: Where the suppression itself is written (for RK012).
    line: int | None
    column: int | None
    json_path: str | None
    #: Findings on this line are covered (comment form).
    target_line: int | None = None
    #: Findings at or below this JSON path are covered (``suppress`` form; "$" = everything).
    target_path: str | None = None
    used: bool = False

    def covers(self, finding: Finding) -> bool:
        """True when this suppression accepts ``finding``."""
        if finding.code not in self.codes:
            return False
        if self.target_line is not None:
            return finding.line == self.target_line
        path = self.target_path or "$"
        found = finding.json_path or "$"
        return path == "$" or found == path or found.startswith((path + ".", path + "["))


def _from_comments(document: Document) -> tuple[list[Suppressor], list[Finding]]:
    suppressors: list[Suppressor] = []
    problems: list[Finding] = []
    if document.format != "yaml" or "rehabkit:" not in document.text:
        return suppressors, problems
    lines = document.text.splitlines()
    for index, text in enumerate(lines):
        match = _COMMENT.search(text)
        if match is None:
            continue
        line, column = index + 1, match.start() + (0 if text[match.start()] == "#" else 1) + 1
        codes = tuple(c.strip() for c in match.group(1).split(",") if c.strip())
        reason = match.group(2)
        bad = [c for c in codes if not _CODE.match(c)]
        if not codes or bad:
            problems.append(
                Finding(
                    document.path,
                    MISSING_REASON_CODE,
                    f"suppression names {', '.join(map(repr, bad)) or 'no code'}: "
                    "write rule codes such as 'RK204', comma-separated, inside the brackets.",
                    line=line,
                    column=column,
                )
            )
            continue
        if len(reason) < _MIN_REASON:
            problems.append(
                Finding(
                    document.path,
                    MISSING_REASON_CODE,
                    f"suppression of {', '.join(codes)} has no reason: write why the finding is acceptable "
                    f"after the brackets (at least {_MIN_REASON} characters); it suppresses nothing until then.",
                    line=line,
                    column=column,
                )
            )
            continue
        own_line = text.lstrip().startswith("#")
        target = _next_content_line(lines, index) if own_line else line
        suppressors.append(Suppressor(codes, reason, line, column, None, target_line=target))
    return suppressors, problems


def _next_content_line(lines: Sequence[str], index: int) -> int | None:
    for later in range(index + 1, len(lines)):
        stripped = lines[later].strip()
        if stripped and not stripped.startswith("#"):
            return later + 1
    return None


def _from_field(document: Document, declared: Iterable[Suppression]) -> list[Suppressor]:
    suppressors = []
    for index, item in enumerate(declared):
        line, column = document.position(("suppress", index, "code"))
        suppressors.append(
            Suppressor(
                (item.code,),
                item.reason,
                line,
                column,
                format_json_path(("suppress", index)),
                target_path=item.path or "$",
            )
        )
    return suppressors


#: Codes no suppression hides: a lint rule that crashed (RK099) and rehabkit's own failure (RK000).
UNSUPPRESSIBLE = frozenset({"RK099", "RK000"})


def apply_suppressions(
    findings: list[Finding],
    document: Document,
    declared: Iterable[Suppression],
    ran: Collection[str],
    known: Collection[str],
) -> list[Finding]:
    """Drop the findings a document suppresses; add findings about the suppressions themselves.

    ``ran`` holds the codes of the rules that ran on this document (a
    suppression of a rule that did not run is not "unused"), ``known`` every
    installed rule code.
    """
    suppressors, problems = _from_comments(document)
    suppressors += _from_field(document, declared)
    if not suppressors:
        return findings + problems
    kept: list[Finding] = []
    for finding in findings:
        if finding.code in UNSUPPRESSIBLE:  # a tool's failure is never the document's to accept
            kept.append(finding)
            continue
        match = next((s for s in suppressors if s.covers(finding)), None)
        if match is None:
            kept.append(finding)
        else:
            match.used = True
    for s in suppressors:
        if s.used:
            continue
        unknown = [c for c in s.codes if c not in known]
        if unknown:
            message = f"suppression names {', '.join(unknown)}, which no installed lint rule has; see 'rehabkit rules'."
        elif all(c in ran for c in s.codes):
            message = f"suppression of {', '.join(s.codes)} matched no finding; delete it."
        else:
            continue
        problems.append(
            Finding(
                document.path,
                UNUSED_CODE,
                message,
                line=s.line,
                column=s.column,
                json_path=s.json_path,
                severity=Severity.WARNING,
            )
        )
    return kept + problems
