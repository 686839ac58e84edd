"""A patient's course as a FHIR ``Bundle`` of type ``collection``.

The Bundle holds the protocol's ``PlanDefinition`` (so that it stands on its
own), a ``CarePlan`` instantiating it with the course's status, an
``Observation`` for every pain score recorded (before, during each exercise,
after, and the next morning), a ``QuestionnaireResponse`` for every session's
red-flag answers and for every scored outcome measure, with the Questionnaire
each answers. The patient is named by the pseudonymous id of the session store
only, as a logical reference: nothing identifying is written.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from . import terms
from .plan import computable_name, plan_definition

__all__ = ["CAREPLAN_STATUS", "course_bundle"]

#: Course state -> CarePlan.status (http://hl7.org/fhir/ValueSet/request-status). A paused course is expected to
#: resume after a review (on-hold); a referral ends it before its activities are complete (revoked); a discharge
#: ends it with the programme done (completed); a course not started yet is ready for action (active).
CAREPLAN_STATUS = {
    "not-started": "active",
    "active": "active",
    "paused": "on-hold",
    "referred": "revoked",
    "discharged": "completed",
}

#: When each pain score is taken, as the Observation's code text and rehabkit's detail code.
_PAIN_WHEN = {
    "before": "Pain before the session",
    "during": "Pain during an exercise",
    "after": "Pain after the session",
    "next-morning": "Pain the morning after the session",
}


def _full_url(patient: str, protocol_key: str, *names: Any) -> str:
    # Stable across exports of the same record: an entry keeps its identity when the course is exported again.
    return "urn:uuid:" + str(
        uuid.uuid5(uuid.NAMESPACE_URL, "/".join([terms.BASE, patient, protocol_key, *map(str, names)]))
    )


def _fhir_id(text: str) -> str:
    # A FHIR id is letters, digits, '-' and '.', at most 64 characters; patient ids may also hold '_'.
    return re.sub(r"[^A-Za-z0-9.-]", "-", text)[:64]


def _detail(code: str, value: str) -> dict[str, Any]:
    return {"code": {"coding": [{"system": terms.DETAIL_CS, "code": code}]}, "valueString": value}


def _measure_questionnaire(measure_id: str, name: str, unit: str) -> dict[str, Any]:
    score: dict[str, Any] = {
        "linkId": "score",
        "text": f"{name} score ({unit})" if unit else f"{name} score",
        "type": "decimal",
    }
    loinc = terms.MEASURE_LOINC.get(measure_id)
    score["code"] = (
        [dict(loinc)] if loinc else [{"system": f"{terms.BASE}/CodeSystem/outcome-measure", "code": measure_id}]
    )
    return {
        "resourceType": "Questionnaire",
        "id": f"measure-{measure_id}",
        "url": terms.questionnaire_url(f"measure-{measure_id}"),
        "name": computable_name(f"measure-{measure_id}"),
        "title": name,
        "status": "active",
        "subjectType": ["Patient"],
        "item": [score, {"linkId": "band", "text": "Band of the score", "type": "string"}],
    }


class _Entries:
    """The Bundle's entries as they are made, and what they share: the patient's logical reference, the CarePlan
    they are based on, and a fullUrl that stays the same when the course is exported again."""

    def __init__(self, patient: str, protocol_key: str) -> None:
        self.patient, self.protocol_key = patient, protocol_key
        self.subject = {"identifier": {"system": terms.PATIENT_ID_SYSTEM, "value": patient}}
        self.based_on = [{"reference": self.full_url("CarePlan")}]
        self.entries: list[dict[str, Any]] = []

    def full_url(self, *names: Any) -> str:
        return _full_url(self.patient, self.protocol_key, *names)

    def add(self, resource: dict[str, Any], *names: Any, at: int | None = None) -> None:
        """Add ``resource`` under the fullUrl ``names`` make, at the end or at index ``at``."""
        entry = {"fullUrl": self.full_url(*names), "resource": resource}
        if at is None:
            self.entries.append(entry)
        else:
            self.entries.insert(at, entry)


def course_bundle(export: Any, version: str) -> dict[str, Any]:
    """The course record (a :class:`rehabkit._outputs.exports.CourseExport`) as a Bundle in FHIR ``version``."""
    plan_export, protocol, patient = export.plan, export.protocol, export.patient
    entries = _Entries(patient, protocol.key)
    plan = plan_definition(protocol, plan_export.exercises, plan_export.sources, version)
    entries.add(plan, "PlanDefinition")
    entries.add(_careplan(export, plan["url"], entries), "CarePlan")
    flags = {q.id: q for q in protocol.red_flags}
    red_flag_url = f"{terms.questionnaire_url(f'{protocol.id}-red-flags')}|{protocol.version}"
    for session in export.sessions:
        response = _screening_response(session, flags, red_flag_url, entries)
        if response is not None:
            entries.add(response, "QuestionnaireResponse", "screening", session.id)
        _add_pain_scores(session, entries)
    questionnaires = _add_measures(export.measures, entries)
    for measure_id, questionnaire in questionnaires.items():
        entries.add(questionnaire, "Questionnaire", measure_id, at=1)
    return {
        "resourceType": "Bundle",
        "id": _fhir_id(f"{patient}.{protocol.id}.{export.date.isoformat()}"),
        "type": "collection",
        "timestamp": f"{export.date.isoformat()}T00:00:00Z",
        "entry": entries.entries,
    }


def _careplan(export: Any, plan_url: str, entries: _Entries) -> dict[str, Any]:
    """The CarePlan instantiating the protocol: the course's status and phase, its period, its events as notes."""
    protocol, course = export.protocol, export.course
    names = {p.id: p.name for p in protocol.phases}
    dates = [s.date for s in export.sessions] + [e.date for e in export.events]
    careplan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": _fhir_id(f"{export.patient}.{protocol.id}"),
        "instantiatesCanonical": [f"{plan_url}|{protocol.version}"],
        "status": CAREPLAN_STATUS.get(course.status, "unknown"),
        "intent": "plan",
        "title": protocol.title,
        "subject": entries.subject,
    }
    if course.started:
        careplan["description"] = (
            f"Phase {names.get(course.phase, course.phase)} ({course.phase}); course {course.status}."
        )
    else:
        careplan["description"] = f"Course {course.status}."
    if dates:
        period: dict[str, Any] = {"start": min(dates).isoformat()}
        if course.status in ("referred", "discharged") and course.stop is not None:
            period["end"] = course.stop.date.isoformat()
        careplan["period"] = period
    notes = [{"time": f"{e.date.isoformat()}T00:00:00Z", "text": e.text} for e in export.events]
    if notes:
        careplan["note"] = notes
    return careplan


def _screening_response(
    session: Any, flags: Mapping[str, Any], red_flag_url: str, entries: _Entries
) -> dict[str, Any] | None:
    """A session's red-flag answers (``stopped`` when a yes ended the screening early), or None if none was given."""
    answers = [(qid, yes) for qid, yes in session.screening if qid in flags]
    if not answers:
        return None
    return {
        "resourceType": "QuestionnaireResponse",
        "basedOn": entries.based_on,
        "questionnaire": red_flag_url,
        "status": "completed" if {qid for qid, _ in answers} == set(flags) else "stopped",
        "subject": entries.subject,
        "authored": session.date.isoformat(),
        "item": [
            {"linkId": qid, "text": flags[qid].question, "answer": [{"valueBoolean": yes}]} for qid, yes in answers
        ],
    }


def _add_pain_scores(session: Any, entries: _Entries) -> None:
    """An Observation for each pain score of a session: before, during each exercise, after, the next morning."""
    if session.pain_before is not None:
        _add_observation(entries, session, "before", session.pain_before, session.date)
    for exercise, pain in session.pain_during:
        _add_observation(entries, session, "during", pain, session.date, exercise)
    if session.pain_after is not None:
        _add_observation(entries, session, "after", session.pain_after, session.date)
    if session.next_morning is not None:
        _add_observation(
            entries, session, "next-morning", session.next_morning, session.next_morning_date or session.date
        )


def _add_observation(
    entries: _Entries, session: Any, when: str, value: float, day: datetime.date, exercise: str | None = None
) -> None:
    components = [_detail("phase", session.phase), _detail("when", when), _detail("session", str(session.id))]
    if exercise is not None:
        components.append(_detail("exercise", exercise))
    resource = {
        "resourceType": "Observation",
        "basedOn": entries.based_on,
        "status": "final",
        "category": [{"coding": [dict(terms.OBSERVATION_CATEGORY)]}],
        "code": {"coding": [dict(terms.PAIN_SCORE)], "text": _PAIN_WHEN[when]},
        "subject": entries.subject,
        "effectiveDateTime": day.isoformat(),
        "valueQuantity": {"value": value, "unit": "{score}", "system": terms.UCUM, "code": "{score}"},
        "component": components,
    }
    entries.add(resource, "Observation", session.id, when, exercise or "")


def _add_measures(measures: Sequence[Any], entries: _Entries) -> dict[str, dict[str, Any]]:
    """A QuestionnaireResponse for each scored outcome measure; returns the Questionnaires they answer, by measure."""
    questionnaires: dict[str, dict[str, Any]] = {}
    for n, measure in enumerate(measures):
        if measure.measure not in questionnaires:
            questionnaires[measure.measure] = _measure_questionnaire(measure.measure, measure.name, measure.unit)
        items: list[dict[str, Any]] = [{"linkId": "score", "answer": [{"valueDecimal": measure.value}]}]
        if measure.band:
            items.append({"linkId": "band", "answer": [{"valueString": measure.band}]})
        response = {
            "resourceType": "QuestionnaireResponse",
            "basedOn": entries.based_on,
            "questionnaire": questionnaires[measure.measure]["url"],
            "status": "completed",
            "subject": entries.subject,
            "authored": measure.date.isoformat(),
            "item": items,
        }
        entries.add(response, "QuestionnaireResponse", "measure", n)
    return questionnaires
