"""A pack that registers a protocol with the same id and version as the neck pack's."""

REHABKIT_HOOK_API = 1

from rehabkit import hookimpl

PROTOCOL = {
    "kind": "protocol",
    "format": 2,  # a current protocol: its lint errors stay errors
    "id": "neck-pain",
    "version": "2.1.0",
    "title": "A clashing neck protocol",
    "summary": "Test-only protocol whose id and version clash with the neck pack's.",
    "conditions": ["neck-pain"],
    "supervision": {"clinical_assessment_required": True, "statement": "Assumes a prior clinical assessment."},
    "exercises": [
        {
            "id": "clash-tuck",
            "name": "Tuck",
            "component": "mobility-and-flexibility",
            "region": "cervical",
            "steps": ["Tuck the chin."],
        }
    ],
    "phases": [
        {
            "id": "acute",
            "name": "Acute",
            "focus": ["pain-and-spasm-control"],
            "exercises": [{"exercise": "clash-tuck", "dose": {"reps": 5}}],
        }
    ],
    "red_flags": [{"id": "arm", "question": "Arm weakness?", "action": "refer-urgently", "message": "Seek help."}],
    "symptom_rules": [
        {"id": "pain", "measure": "pain-during", "above": 5, "action": "regress", "message": "Ease off."}
    ],
    "references": [{"citation": "Test only."}],
    "reviewed": "2026-01-01",
}


@hookimpl
def rehabkit_register_protocols(register):
    register(PROTOCOL)
