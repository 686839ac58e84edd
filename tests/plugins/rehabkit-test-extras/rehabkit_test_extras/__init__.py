"""A pack contributing an exercise-library entry, a screening question, a red-flag library and two lint rules.

One rule always raises, on purpose: rehabkit must report it by code and pack
and still run the other rules.
"""

REHABKIT_HOOK_API = 1

from rehabkit import LintRule, Severity, Violation, hookimpl


@hookimpl
def rehabkit_register_exercises(register):
    register(
        {
            "id": "wall-angel",
            "name": "Wall angel",
            "component": "postural-and-movement-re-education",
            "region": "thoracic",
            "position": "standing",
            "steps": ["Stand with your back against a wall.", "Slide your arms up and down the wall."],
            "dose": {"sets": 2, "reps": 10, "pain_limit": 3},
        }
    )


@hookimpl
def rehabkit_register_screening(register):
    register(
        {
            "id": "recent-fall",
            "question": "Have you had a fall since your last session?",
            "action": "stop-and-review",
            "message": "Please see your clinician before exercising again.",
        }
    )


@hookimpl
def rehabkit_register_red_flag_libraries(register):
    register(
        {
            "kind": "red-flag-library",
            "format": 2,
            "id": "test-extra-red-flags",
            "version": "1.0.0",
            "title": "A test pack's red-flag library",
            "questions": [
                {
                    "id": "test-extra-bone-thinning",
                    "question": "Have you been told your bones are thin (osteoporosis)?",
                    "covers": ["osteoporosis"],
                    "action": "note",
                    "omit_movements": ["hang"],
                    "message": "The hanging exercises are left out today.",
                }
            ],
            "references": [{"citation": "Test pack, not clinical content.", "url": "https://example.org/test"}],
            "reviewed": "2026-01-01",
        }
    )


def _always_raises(context):
    raise RuntimeError("this rule is broken on purpose")


def _title_shouts(context):
    if context.protocol.title.isupper():
        yield Violation("the title is all capitals; write it in sentence case.", ("title",))


@hookimpl
def rehabkit_register_lint_rules(register):
    register(LintRule(code="TX001", severity=Severity.ERROR, summary="always raises", check=_always_raises))
    register(LintRule(code="TX002", severity=Severity.WARNING, summary="title in capitals", check=_title_shouts))
