"""A pack whose protocol matches the schema but fails lint: it screens for one red flag only (RK301)
and has no rule for the response after a session (RK302). rehabkit must never run it for a patient."""

REHABKIT_HOOK_API = 1

from rehabkit import hookimpl

PROTOCOL = {
    "kind": "protocol",
    "format": 2,  # a protocol of the current format: RK301 and RK302 are errors for it
    "id": "unsafe-neck",
    "version": "0.1.0",
    "title": "An unsafe neck protocol",
    "summary": "Test-only protocol with too few red flags and symptom rules.",
    "conditions": ["neck-pain"],
    "supervision": {"clinical_assessment_required": True, "statement": "Assumes a prior clinical assessment."},
    "exercises": [
        {
            "id": "unsafe-tuck",
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
            "entry": {"summary": "Assessed."},
            "exit": {"summary": "The clinician decides."},
            "exercises": [{"exercise": "unsafe-tuck", "dose": {"reps": 5}}],
        }
    ],
    "red_flags": [
        {
            "id": "arm",
            "question": "Arm weakness?",
            "covers": ["numbness-tingling-weakness"],
            "action": "refer-urgently",
            "message": "Seek help.",
        }
    ],
    "symptom_rules": [
        {"id": "pain", "measure": "pain-during", "above": 5, "action": "regress", "message": "Ease off."}
    ],
    "references": [{"citation": "Test only.", "url": "https://example.org/rehabkit-test"}],
    "reviewed": "2026-01-01",
}


@hookimpl
def rehabkit_register_protocols(register):
    register(PROTOCOL)
