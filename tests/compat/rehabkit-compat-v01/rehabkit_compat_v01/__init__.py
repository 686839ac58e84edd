"""A cervical pack as written for rehabkit 0.1: a protocol, a screening question, a lint rule, an outcome measure.

Written against the 0.1 documentation (hook API 1, imports from rehabkit.errors and rehabkit.lint, the protocol
without 'format'). Kept as it was: see tests/compat/README.md.
"""

from pathlib import Path

from rehabkit import hookimpl
from rehabkit.errors import Severity
from rehabkit.lint import LintRule, Violation

REHABKIT_HOOK_API = 1


def phases_have_goals(context):
    """Every phase says what it is for."""
    for index, phase in enumerate(context.protocol.phases):
        if not phase.goals:
            yield Violation(f"phase {phase.id!r} has no goals: add one in plain words.", ("phases", index))


@hookimpl
def rehabkit_register_protocols(register):
    register(Path(__file__).parent / "protocols")


@hookimpl
def rehabkit_register_screening(register):
    register(
        {
            "id": "compat-new-medicine",
            "question": "Have you started a new medicine since your last session that your clinician does not know of?",
            "action": "stop-and-review",
            "message": "Tell your clinician before you exercise again.",
        }
    )


@hookimpl
def rehabkit_register_lint_rules(register):
    register(
        LintRule(
            code="CVX001",
            severity=Severity.WARNING,
            summary="every phase has goals",
            check=phases_have_goals,
            explanation="The clinic shows each phase's goals to the patient.",
        )
    )


@hookimpl
def rehabkit_register_outcome_measures(register):
    register(
        {
            "id": "arm-pain-nrs",
            "name": "Arm pain rating",
            "method": "sum",
            "unit": "/10",
            "items": [{"id": "arm-pain", "label": "Arm pain now", "max": 10}],
            "reference": "A single 0-10 numeric rating of arm pain (Childs et al., Spine 2005;30(11):1331).",
        }
    )
