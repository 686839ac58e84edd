"""Core lint rules that check references inside a protocol: ids unique, exercises exist."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Severity
from ..hookspecs import RegisterLintRule, hookimpl
from ..lint import LintContext, LintRule, Violation

_ID_LISTS = ("phases", "exercises", "red_flags", "precautions", "symptom_rules")


def unknown_exercise(context: LintContext) -> Iterator[Violation]:
    """Every exercise a phase names is defined in the document or an installed library."""
    known = context.exercises
    for i, phase in enumerate(context.protocol.phases):
        for j, ref in enumerate(phase.exercises):
            if ref.exercise in known:
                continue
            import difflib  # only when a reference is wrong

            close = difflib.get_close_matches(ref.exercise, sorted(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else " Define it under 'exercises' or install the pack that provides it."
            yield Violation(
                f"phase {phase.id!r} names exercise {ref.exercise!r}, which is not defined in this document or in any installed exercise library.{hint}",
                ("phases", i, "exercises", j, "exercise"),
            )


def duplicate_ids(context: LintContext) -> Iterator[Violation]:
    """Ids are unique within each list of the document."""
    for list_name in _ID_LISTS:
        seen: dict[str, int] = {}
        for index, item in enumerate(getattr(context.protocol, list_name)):
            if item.id in seen:
                yield Violation(
                    f"id {item.id!r} is used twice in {list_name!r} (first at index {seen[item.id]}): give each entry its own id.",
                    (list_name, index, "id"),
                )
            else:
                seen[item.id] = index


RULES = (
    LintRule(
        code="RK101",
        severity=Severity.ERROR,
        summary="a phase names an exercise that does not exist",
        check=unknown_exercise,
        explanation=(
            "Phases name exercises by id. The id must be defined in the document's own 'exercises' list "
            "or by an installed pack's exercise library (see 'rehabkit plugins'). A misspelt id would "
            "leave a patient without the exercise their clinician planned."
        ),
    ),
    LintRule(
        code="RK102",
        severity=Severity.ERROR,
        summary="an id is used twice in one list",
        check=duplicate_ids,
        explanation=(
            "Phases, exercises, red flags, precautions and symptom rules are referred to by id "
            "(in criteria, records and decisions), so each id must be unique within its list."
        ),
    ),
)


@hookimpl
def rehabkit_register_lint_rules(register: RegisterLintRule) -> None:
    """Register the core reference rules."""
    for rule in RULES:
        register(rule)
