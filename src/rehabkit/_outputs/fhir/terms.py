"""Terminology and URLs the FHIR export uses: facts of FHIR, LOINC and SNOMED CT, and rehabkit's own namespace.

Nothing clinical is decided here: these are the codes a receiving system looks
for. Each external code says where it is defined.
"""

from __future__ import annotations

__all__ = [
    "ACTION_CS",
    "BASE",
    "COMPONENT_CS",
    "CONDITION_CS",
    "DETAIL_CS",
    "DOSE_EXTENSION",
    "EXERCISE_THERAPY",
    "EXPRESSION_LANGUAGE",
    "FOCUS_CS",
    "MEASURE_LOINC",
    "MOVEMENT_CS",
    "OBSERVATION_CATEGORY",
    "PAIN_SCORE",
    "PATIENT_ID_SYSTEM",
    "PHASE_EXTENSION",
    "PLAN_TYPE",
    "REGION_CS",
    "SCREENING_ACTION_CS",
    "SIGN_CS",
    "STAGE_CS",
    "UCUM",
    "canonical",
    "questionnaire_url",
]

#: rehabkit's namespace for what it publishes about FHIR, beside its JSON Schemas
#: (schemas/protocol.schema.json has ``$id`` https://rehabkit.org/schemas/protocol/1.0/...).
BASE = "https://rehabkit.org/schemas/fhir"

#: The published extensions (schemas/fhir/StructureDefinition-*.json carry these as their ``url``).
DOSE_EXTENSION = f"{BASE}/StructureDefinition/dose"
PHASE_EXTENSION = f"{BASE}/StructureDefinition/phase"

#: rehabkit's controlled vocabularies as code systems: the codes are the protocol schema's enum values.
CONDITION_CS = f"{BASE}/CodeSystem/condition"
FOCUS_CS = f"{BASE}/CodeSystem/focus"
COMPONENT_CS = f"{BASE}/CodeSystem/component"
STAGE_CS = f"{BASE}/CodeSystem/stage"
REGION_CS = f"{BASE}/CodeSystem/region"
SIGN_CS = f"{BASE}/CodeSystem/red-flag-sign"
SCREENING_ACTION_CS = f"{BASE}/CodeSystem/screening-action"
MOVEMENT_CS = f"{BASE}/CodeSystem/movement"
ACTION_CS = f"{BASE}/CodeSystem/plan-action"
DETAIL_CS = f"{BASE}/CodeSystem/observation-detail"
#: The pseudonymous patient ids of a rehabkit session store (never a name or a record number).
PATIENT_ID_SYSTEM = f"{BASE}/identifier/patient"

#: The expression language of rehabkit's criteria, symptom rules and precautions (Expression.language is an
#: extensible binding; no code of http://hl7.org/fhir/ValueSet/expression-language fits this language).
EXPRESSION_LANGUAGE = "text/x-rehabkit"

#: http://terminology.hl7.org/CodeSystem/plan-definition-type: a PlanDefinition of type clinical-protocol.
PLAN_TYPE = {
    "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
    "code": "clinical-protocol",
    "display": "Clinical Protocol",
}
#: SNOMED CT 229065009 |Exercise therapy (regime/therapy)|, the code the HL7 Physical Activity implementation
#: guide gives exercise prescriptions.
EXERCISE_THERAPY = {"system": "http://snomed.info/sct", "code": "229065009", "display": "Exercise therapy"}
#: LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] - Reported".
PAIN_SCORE = {
    "system": "http://loinc.org",
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
#: LOINC codes of outcome-measure scores, by rehabkit measure id. 97909-6 is the Oswestry Disability Index score
#: (as issue 15 gives it). No LOINC code for the Neck Disability Index total could be confirmed (LOINC has answer
#: lists for its items, LL3898-5 onwards), so an NDI score carries rehabkit's own code only: see docs/fhir.md.
MEASURE_LOINC = {"odi": {"system": "http://loinc.org", "code": "97909-6", "display": "Oswestry Disability Index score"}}
#: http://terminology.hl7.org/CodeSystem/observation-category
OBSERVATION_CATEGORY = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "survey",
    "display": "Survey",
}
UCUM = "http://unitsofmeasure.org"


def canonical(kind: str, name: str) -> str:
    """The canonical URL rehabkit gives a resource it defines (``PlanDefinition``, ``Questionnaire``)."""
    return f"{BASE}/{kind}/{name}"


def questionnaire_url(name: str) -> str:
    """The canonical URL of a Questionnaire rehabkit writes (a protocol's red flags, an outcome measure)."""
    return canonical("Questionnaire", name)
