"""EXC001: a phase should not ask for more exercises a session than the clinic's policy allows."""

from __future__ import annotations

from collections.abc import Iterator

from rehabkit import LintContext, LintRule, Severity, Violation

CODE = "EXC001"


def exercise_count_rule(limit: int, reason: str) -> LintRule:
    """The rule, with the clinic's limit and its reason (both from ``clinic.toml``)."""

    def check(context: LintContext) -> Iterator[Violation]:
        """Yield one violation per phase with more than ``limit`` exercises."""
        assert context.protocol is not None  # the rule applies to protocols only
        for index, phase in enumerate(context.protocol.phases):
            count = len(phase.exercises)
            if count > limit:
                yield Violation(
                    f"phase {phase.id!r} has {count} exercises a session; the clinic's policy is at most {limit}: "
                    "move some to another phase, or suppress this with a reason.",
                    ("phases", index, "exercises"),
                )

    return LintRule(
        code=CODE,
        severity=Severity.WARNING,
        summary=f"at most {limit} exercises a session (example clinic policy)",
        check=check,
        explanation=f"{reason}\n\nThe limit is max_exercises_per_session in the pack's clinic.toml.",
    )
