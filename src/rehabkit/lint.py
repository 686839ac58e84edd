"""Semantic lint rules: checks on a schema-valid protocol that a schema cannot express.

A rule is a :class:`LintRule` with a stable code, a severity, a one-line summary,
a longer explanation and a ``check`` function.  ``check`` receives a
:class:`LintContext` and yields :class:`Violation` objects naming the JSON path
of the field at fault; :func:`run_rules` turns them into findings placed at
``file:line:col``.  Rules come from packs (and from rehabkit's own built-ins)
through the ``rehabkit_register_lint_rules`` hook.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .errors import Finding, Severity, format_json_path
from .loader import Document
from .model import Exercise, Protocol

__all__ = ["LintContext", "LintRule", "Violation", "run_rules"]

_CODE = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")
#: Code of the finding reported when a rule itself raises.
RULE_CRASH_CODE = "RK099"


@attrs.frozen(slots=True)
class Violation:
    """One thing a rule found wrong, at a JSON path inside the document."""

    message: str
    path: tuple[str | int, ...] = ()
    #: Point at the key rather than its value (for "this field should not be here").
    at_key: bool = False


@attrs.frozen(slots=True)
class LintContext:
    """What a rule may look at: the protocol, and every exercise its phases can name."""

    protocol: Protocol
    exercises: Mapping[str, Exercise]
    data: Mapping[str, Any]


def _check_code(instance: Any, attribute: Any, value: str) -> None:
    if not _CODE.match(value):
        raise ValueError(f"lint rule code must be 2-5 capital letters and 3 digits, like 'RK101' (got {value!r}).")


@attrs.frozen(slots=True)
class LintRule:
    """A semantic rule with a stable code, a severity, a summary and a check function."""

    code: str = attrs.field(validator=_check_code)
    severity: Severity = attrs.field(converter=lambda value: Severity(value))
    summary: str
    check: Callable[[LintContext], Iterable[Violation]] = attrs.field(repr=False)
    explanation: str = ""
    pack: str = "core"


def run_rules(
    rules: Sequence[LintRule], document: Document, context: LintContext
) -> list[Finding]:
    """Run every rule on one document; a rule that raises becomes a finding, not a crash."""
    findings: list[Finding] = []
    for rule in rules:
        try:
            violations = list(rule.check(context))
        except Exception as exc:  # a broken rule must not stop the others
            findings.append(
                Finding(
                    path=document.path,
                    code=RULE_CRASH_CODE,
                    message=f"lint rule {rule.code} from pack {rule.pack!r} failed ({type(exc).__name__}: {exc}); its check was skipped.",
                    source=rule.pack,
                )
            )
            continue
        for violation in violations:
            where = document.locate(violation.path, key=violation.at_key)
            line, column = where if where else (None, None)
            findings.append(
                Finding(
                    path=document.path,
                    code=rule.code,
                    message=violation.message,
                    line=line,
                    column=column,
                    json_path=format_json_path(violation.path),
                    severity=rule.severity,
                    source=rule.pack,
                )
            )
    return findings
