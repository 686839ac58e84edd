"""A protocol as a FHIR ``PlanDefinition`` (R4B or R5), its exercises and red flags contained in it.

The mapping (docs/fhir.md has it as a table): the protocol is a
``PlanDefinition`` of type ``clinical-protocol``; every exercise a phase names
is a contained ``ActivityDefinition`` (kind ``Task``, coded SNOMED CT
229065009) at that phase's dose; the red flags are a contained
``Questionnaire`` that the first action, done before every session, points to;
each phase is an action with its goals, its entry criteria (``applicability``),
its exit criteria and the symptom rules (``stop``), its expected weeks and
child actions pointing to its activities, after the phase before it
(``relatedAction`` after-end). Counts FHIR has no element for travel in
rehabkit's published extensions (schemas/fhir/).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...model import Criteria, Dose, Exercise, Phase, Precaution, Protocol, Range
from . import terms
from .expressions import format_criteria, format_fields, format_rule, write_sections

__all__ = ["ACTIVITY_SECTIONS", "PURPOSE_SECTIONS", "activity_id", "figure_artifact", "plan_definition"]

#: Headings of the Markdown sections an activity's description and the plan's purpose are written in.
ACTIVITY_SECTIONS = {
    "position": "Position",
    "equipment": "Equipment",
    "steps": "Steps",
    "cues": "Cues",
    "contraindications": "Do not do it if",
}
PURPOSE_SECTIONS = {"inclusions": "Who it suits", "exclusions": "Who it does not suit", "advice": "Daily advice"}
#: Dose counts in the order the extension lists them, with the extension's names for them.
DOSE_COUNTS = (
    ("sets", "sets"),
    ("reps", "reps"),
    ("hold_seconds", "holdSeconds"),
    ("times_per_day", "timesPerDay"),
    ("days_per_week", "daysPerWeek"),
    ("rest_seconds", "restSeconds"),
    ("relax_seconds", "relaxSeconds"),
    ("duration_minutes", "durationMinutes"),
)
SCREENING_ACTION_ID = "before-every-session"
PRECAUTIONS_ACTION_ID = "precautions"
RED_FLAGS_ID = "red-flags"


def activity_id(phase_id: str, exercise_id: str) -> str:
    """The contained ActivityDefinition's id: the phase and the exercise (a FHIR id is at most 64 characters)."""
    text = f"{phase_id}.{exercise_id}"
    if len(text) > 64 or not re.fullmatch(r"[A-Za-z0-9.-]+", text):
        raise ValueError(
            f"the phase {phase_id!r} and exercise {exercise_id!r} do not make a FHIR id "
            "(letters, digits, '-' and '.', at most 64 characters together): shorten the ids."
        )
    return text


def computable_name(identifier: str) -> str:
    """A FHIR computable name (``neck-pain`` -> ``NeckPain``)."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", identifier) if part)
    return name if name[:1].isalpha() else f"P{name}"


def _status(protocol: Protocol) -> str:
    # A pre-release version (2.0.0-draft.1) is a draft; a released one is active (publication-status).
    return "draft" if "-" in protocol.version else "active"


def _coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _count(name: str, value: Range) -> list[dict[str, Any]]:
    if value.min == value.max:
        out: list[dict[str, Any]] = [{"url": name, "valueInteger": value.min}]
    else:
        out = [{"url": name, "valueRange": {"low": {"value": value.min}, "high": {"value": value.max}}}]
    if value.step is not None:
        out.append({"url": f"{name}Step", "valueInteger": value.step})
    return out


def dose_extension(dose: Dose, source: str) -> dict[str, Any]:
    """The rehabkit dose extension: every count of the dose, and whether the phase or the exercise prescribes it."""
    parts: list[dict[str, Any]] = []
    for field, name in DOSE_COUNTS:
        value: Range | None = getattr(dose, field)
        if value is not None:
            parts.extend(_count(name, value))
    if dose.side is not None:
        parts.append({"url": "side", "valueCode": dose.side})
    if dose.pain_limit is not None:
        parts.append({"url": "painLimit", "valueDecimal": dose.pain_limit})
    if dose.sessions_per_step is not None:
        parts.append({"url": "sessionsPerStep", "valueInteger": dose.sessions_per_step})
    if dose.note is not None:
        parts.append({"url": "note", "valueString": dose.note})
    parts.append({"url": "source", "valueCode": source})
    return {"url": terms.DOSE_EXTENSION, "extension": parts}


def timing(dose: Dose) -> dict[str, Any] | None:
    """How often and how long, as ``Timing.repeat``: times a day (else days a week), and minutes."""
    repeat: dict[str, Any] = {}
    if dose.duration_minutes is not None:
        repeat["duration"] = dose.duration_minutes.min
        if dose.duration_minutes.max > dose.duration_minutes.min:
            repeat["durationMax"] = dose.duration_minutes.max
        repeat["durationUnit"] = "min"
    often, unit = (dose.times_per_day, "d") if dose.times_per_day is not None else (dose.days_per_week, "wk")
    if often is not None:
        repeat["frequency"] = often.min
        if often.max > often.min:
            repeat["frequencyMax"] = often.max
        repeat["period"] = 1
        repeat["periodUnit"] = unit
    return {"repeat": repeat} if repeat else None


def _activity(protocol: Protocol, phase: Phase, ref: Any, exercise: Exercise, source: str | None) -> dict[str, Any]:
    dose, prescribed_by = (ref.dose, "phase") if ref.dose is not None else (exercise.dose, "exercise")
    description = write_sections(
        [
            (ACTIVITY_SECTIONS["position"], [exercise.position] if exercise.position else [], False),
            (ACTIVITY_SECTIONS["equipment"], exercise.equipment, False),
            (ACTIVITY_SECTIONS["steps"], exercise.steps, True),
            (ACTIVITY_SECTIONS["cues"], exercise.cues, False),
            (ACTIVITY_SECTIONS["contraindications"], exercise.contraindications, False),
        ]
    )
    activity: dict[str, Any] = {
        "resourceType": "ActivityDefinition",
        "id": activity_id(phase.id, exercise.id),
    }
    if dose is not None:
        activity["extension"] = [dose_extension(dose, prescribed_by)]
    activity.update(
        {
            "status": _status(protocol),
            "title": exercise.name,
            "description": description,
            "topic": [_coded(terms.COMPONENT_CS, exercise.component)],
            "kind": "Task",
            "code": {"coding": [dict(terms.EXERCISE_THERAPY)], "text": exercise.name},
        }
    )
    if source is not None:
        # Where the exercise comes from: the installed exercise library (by pack), read back as a reference by id.
        activity["relatedArtifact"] = [
            {
                "type": "derived-from",
                "label": exercise.id,
                "display": f"exercise {exercise.id} of the exercise library in pack {source}",
            }
        ]
    else:
        activity["relatedArtifact"] = [
            {
                "type": "documentation",
                "label": exercise.id,
                "display": f"exercise {exercise.id}, defined by the protocol {protocol.key}",
            }
        ]
    if exercise.figure is not None:
        activity["relatedArtifact"].append(figure_artifact(exercise))
    when = timing(dose) if dose is not None else None
    if when is not None:
        activity["timingTiming"] = when
    activity["bodySite"] = [_coded(terms.REGION_CS, exercise.region)]
    return activity


def figure_artifact(exercise: Exercise) -> dict[str, Any]:
    """The exercise's figure as a ``relatedArtifact`` of the ActivityDefinition: an attachment of the still SVG
    (``image/svg+xml``, base64) whose ``title`` is its text alternative. Import leaves it out (rehabkit draws the
    figure from the exercise's data, which the export does not carry)."""
    import base64

    from ..figures import figure_text, still_svg

    return {
        "type": "documentation",
        "label": "figure",
        "display": f"Figure of {exercise.name}",
        "document": {
            "contentType": "image/svg+xml",
            "data": base64.b64encode(still_svg(exercise).encode("utf-8")).decode("ascii"),
            "title": figure_text(exercise),
        },
    }


def _condition(kind: str, name: str, description: str, expression: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "expression": {
            "name": name,
            "description": description,
            "language": terms.EXPRESSION_LANGUAGE,
            "expression": expression,
        },
    }


def _criteria(kind: str, name: str, criteria: Criteria) -> dict[str, Any]:
    return _condition(kind, name, criteria.summary, format_criteria([c.to_dict() for c in criteria.all]))


def _weeks(value: Range) -> tuple[str, dict[str, Any]]:
    week = {"unit": "week", "system": terms.UCUM, "code": "wk"}
    if value.min == value.max:
        return "timingDuration", {"value": value.min, **week}
    return "timingRange", {"low": {"value": value.min, **week}, "high": {"value": value.max, **week}}


def _phase_extension(phase: Phase) -> dict[str, Any] | None:
    parts: list[dict[str, Any]] = []
    if phase.sessions_per_week is not None:
        parts.extend(_count("sessionsPerWeek", phase.sessions_per_week))
    if phase.expected_weeks is not None and phase.expected_weeks.step is not None:
        parts.append({"url": "expectedWeeksStep", "valueInteger": phase.expected_weeks.step})
    if phase.review_after_weeks is not None:
        parts.append({"url": "reviewAfterWeeks", "valueInteger": phase.review_after_weeks})
    return {"url": terms.PHASE_EXTENSION, "extension": parts} if parts else None


def _phase_action(
    version: str, protocol: Protocol, index: int, goals: Mapping[str, list[str]], exercises: Mapping[str, Exercise]
) -> dict[str, Any]:
    phase = protocol.phases[index]
    action: dict[str, Any] = {"id": phase.id}
    extension = _phase_extension(phase)
    if extension is not None:
        action["extension"] = [extension]
    action["title"] = phase.name
    if phase.stage is not None:
        stage = _coded(terms.STAGE_CS, phase.stage)
        action["code"] = stage if version == "r5" else [stage]
    action["reason"] = [_coded(terms.FOCUS_CS, focus) for focus in phase.focus]
    if goals.get(phase.id):
        action["goalId"] = goals[phase.id]
    conditions = []
    if phase.entry is not None:
        conditions.append(_criteria("applicability", "entry", phase.entry))
    if phase.exit is not None:
        conditions.append(_criteria("stop", "exit", phase.exit))
    for rule in protocol.symptom_rules:  # the pain-monitoring rules hold in every phase
        conditions.append(_condition("stop", rule.id, rule.message, format_rule(rule.to_dict())))
    action["condition"] = conditions
    if index > 0:
        target = "targetId" if version == "r5" else "actionId"
        action["relatedAction"] = [{target: protocol.phases[index - 1].id, "relationship": "after-end"}]
    if phase.expected_weeks is not None:
        key, value = _weeks(phase.expected_weeks)
        action[key] = value
    children = []
    for ref in phase.exercises:
        child: dict[str, Any] = {"id": activity_id(phase.id, ref.exercise), "title": exercises[ref.exercise].name}
        if ref.note is not None:
            child["description"] = ref.note
        child["definitionCanonical"] = "#" + activity_id(phase.id, ref.exercise)
        children.append(child)
    action["action"] = children
    return action


def _precaution_action(precaution: Precaution) -> dict[str, Any]:
    fields = {k: v for k, v in precaution.to_dict().items() if k not in ("id", "description", "limit")}
    action: dict[str, Any] = {
        "id": f"precaution.{precaution.id}",
        "title": precaution.movement,
        "description": precaution.description,
    }
    if precaution.limit is not None:
        action["textEquivalent"] = precaution.limit
    action["condition"] = [_condition("applicability", precaution.id, precaution.description, format_fields(fields))]
    return action


def _red_flags(protocol: Protocol, status: str) -> dict[str, Any]:
    items = []
    for flag in protocol.red_flags:
        # The signs the question covers, what a yes does and the movements it leaves out are codes of the question
        # itself, each in its own code system (a display item may carry no code: invariant que-3).
        codes = [{"system": terms.SIGN_CS, "code": sign} for sign in flag.covers]
        codes.append({"system": terms.SCREENING_ACTION_CS, "code": flag.action})
        codes += [{"system": terms.MOVEMENT_CS, "code": movement} for movement in flag.omit_movements]
        item: dict[str, Any] = {
            "linkId": flag.id,
            "code": codes,
            "text": flag.question,
            "type": "boolean",
            "required": True,
            "item": [{"linkId": f"{flag.id}.if-yes", "text": flag.message, "type": "display"}],
        }
        items.append(item)
    return {
        "resourceType": "Questionnaire",
        "id": RED_FLAGS_ID,
        "url": terms.questionnaire_url(f"{protocol.id}-red-flags"),
        "version": protocol.version,
        "name": computable_name(f"{protocol.id}-red-flags"),
        "title": f"Red-flag screening before every session: {protocol.title}",
        "status": status,
        "subjectType": ["Patient"],
        "item": items,
    }


def _reference(reference: Any, version: str) -> dict[str, Any]:
    artifact: dict[str, Any] = {"type": "citation"}
    if reference.note is not None:
        artifact["display"] = reference.note
    artifact["citation"] = reference.citation
    links = []
    if reference.doi is not None:
        links.append(f"https://doi.org/{reference.doi}")
    if reference.url is not None:
        if version == "r4b":
            artifact["url"] = reference.url
        else:
            links.append(reference.url)
    if links:
        # R5 has no RelatedArtifact.url: a web page is the document's url; with a DOI too, the page is its label.
        artifact["document"] = {"url": links[0]}
        if len(links) > 1:
            artifact["label"] = links[1]
    return artifact


def plan_definition(
    protocol: Protocol, exercises: Mapping[str, Exercise], sources: Mapping[str, str], version: str
) -> dict[str, Any]:
    """The protocol as a PlanDefinition in FHIR ``version`` (``r4b`` or ``r5``).

    ``exercises`` holds every exercise the phases name (the protocol's own and the
    installed library's), ``sources`` the pack each library exercise comes from
    (an exercise of the protocol's own is not in it).
    """
    if version not in ("r4b", "r5"):
        raise ValueError(f"FHIR version must be r4b or r5, not {version!r}")
    status = _status(protocol)
    contained = _contained(protocol, exercises, sources, status)
    goal_elements, goals = _goals(protocol)
    actions = [_screening_action(protocol)]
    if protocol.precautions:
        actions.append(
            {
                "id": PRECAUTIONS_ACTION_ID,
                "title": "Movements and loads to avoid",
                "action": [_precaution_action(p) for p in protocol.precautions],
            }
        )
    actions += [_phase_action(version, protocol, index, goals, exercises) for index in range(len(protocol.phases))]

    plan: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": protocol.id,
        "contained": contained,
        "url": terms.canonical("PlanDefinition", protocol.id),
        "version": protocol.version,
        "name": computable_name(protocol.id),
        "title": protocol.title,
        "type": {"coding": [dict(terms.PLAN_TYPE)]},
        "status": status,
        "date": protocol.reviewed,
        "description": protocol.summary,
        "useContext": [
            {
                "code": {"system": "http://terminology.hl7.org/CodeSystem/usage-context-type", "code": "focus"},
                "valueCodeableConcept": _coded(terms.CONDITION_CS, condition),
            }
            for condition in protocol.conditions
        ],
    }
    purpose = _purpose(protocol)
    if purpose:
        plan["purpose"] = purpose
    plan["usage"] = protocol.supervision.statement
    plan["lastReviewDate"] = protocol.reviewed
    if protocol.authors:
        plan["author"] = [{"name": name} for name in protocol.authors]
    plan["relatedArtifact"] = [_reference(r, version) for r in protocol.references]
    if goal_elements:
        plan["goal"] = goal_elements
    plan["action"] = actions
    if not contained:
        del plan["contained"]
    return plan


def _contained(
    protocol: Protocol, exercises: Mapping[str, Exercise], sources: Mapping[str, str], status: str
) -> list[dict[str, Any]]:
    """The red-flag Questionnaire (if the protocol has red flags) and an ActivityDefinition per phase exercise."""
    contained: list[dict[str, Any]] = [_red_flags(protocol, status)] if protocol.red_flags else []
    for phase in protocol.phases:
        for ref in phase.exercises:
            if ref.exercise not in exercises:
                raise LookupError(
                    f"exercise {ref.exercise!r} of phase {phase.id!r} is not installed; see 'rehabkit plugins'."
                )
            contained.append(_activity(protocol, phase, ref, exercises[ref.exercise], sources.get(ref.exercise)))
    return contained


def _goals(protocol: Protocol) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The Goal elements (the protocol's, then each phase's), and the ids of each phase's goals by phase."""
    goals: dict[str, list[str]] = {}
    goal_elements = [
        {"id": f"goal-{n}", "description": {"text": text}} for n, text in enumerate(protocol.goals, start=1)
    ]
    for phase in protocol.phases:
        for n, text in enumerate(phase.goals, start=1):
            goals.setdefault(phase.id, []).append(f"goal-{phase.id}-{n}")
            goal_elements.append({"id": f"goal-{phase.id}-{n}", "description": {"text": text}})
    return goal_elements, goals


def _screening_action(protocol: Protocol) -> dict[str, Any]:
    """The action before every session: the supervision it assumes, and the red-flag Questionnaire it points to."""
    supervision = {"clinical_assessment_required": protocol.supervision.clinical_assessment_required}
    if protocol.supervision.surgeon_clearance_required is not None:
        supervision["surgeon_clearance_required"] = protocol.supervision.surgeon_clearance_required
    screening: dict[str, Any] = {
        "id": SCREENING_ACTION_ID,
        "title": "Before every session: the red-flag questions",
        "description": protocol.supervision.statement,
        "condition": [
            _condition("applicability", "supervision", protocol.supervision.statement, format_fields(supervision))
        ],
    }
    if protocol.red_flags:
        screening["definitionCanonical"] = f"#{RED_FLAGS_ID}"
    return screening


def _purpose(protocol: Protocol) -> str:
    """Who the protocol suits and does not suit, and its daily advice, as Markdown sections."""
    eligibility = protocol.eligibility
    return write_sections(
        [
            (PURPOSE_SECTIONS["inclusions"], eligibility.inclusions if eligibility else (), False),
            (PURPOSE_SECTIONS["exclusions"], eligibility.exclusions if eligibility else (), False),
            (PURPOSE_SECTIONS["advice"], protocol.advice, False),
        ]
    )
