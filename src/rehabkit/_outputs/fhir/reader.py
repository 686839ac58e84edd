"""An exported PlanDefinition read back into a protocol document (``rehabkit import --fhir``).

It reads what :mod:`.plan` writes, R4B or R5: the contained activities, the
red-flag Questionnaire, rehabkit's expressions and extensions. An exercise
taken from the installed library comes back as a reference by id; the
protocol's own exercises come back whole, as far as FHIR carries them.
docs/fhir.md lists exactly what does not come back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import terms
from .expressions import ExpressionError, parse_criteria, parse_fields, parse_rule, read_sections
from .plan import ACTIVITY_SECTIONS, DOSE_COUNTS, PRECAUTIONS_ACTION_ID, PURPOSE_SECTIONS, SCREENING_ACTION_ID

__all__ = ["NotAnExport", "protocol_document"]


class NotAnExport(ExpressionError):
    """A FHIR document that is not a PlanDefinition rehabkit can read; the message says what is missing."""


def _codes(concepts: Any, system: str) -> list[str]:
    if isinstance(concepts, Mapping):
        concepts = [concepts]
    return [c["code"] for concept in concepts or () for c in concept.get("coding", ()) if c.get("system") == system]


def _extension(element: Mapping[str, Any], url: str) -> list[dict[str, Any]]:
    for extension in element.get("extension", ()):
        if extension.get("url") == url:
            return list(extension.get("extension", ()))
    return []


def _counts(parts: list[dict[str, Any]], names: Mapping[str, str]) -> dict[str, Any]:
    """Counts (``valueInteger`` or ``valueRange``, with an optional ``<name>Step``) by their document field name."""
    out: dict[str, Any] = {}
    steps = {}
    for part in parts:
        url = part["url"]
        if url in names:
            if "valueRange" in part:
                out[names[url]] = {
                    "min": part["valueRange"]["low"]["value"],
                    "max": part["valueRange"]["high"]["value"],
                }
            else:
                out[names[url]] = part["valueInteger"]
        elif url.endswith("Step") and url[:-4] in names:
            steps[names[url[:-4]]] = part["valueInteger"]
    for field, step in steps.items():
        value = out[field]
        out[field] = {**value, "step": step} if isinstance(value, dict) else {"min": value, "max": value, "step": step}
    return out


def _dose(activity: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    parts = _extension(activity, terms.DOSE_EXTENSION)
    if not parts:
        return None, None
    dose = _counts(parts, {name: field for field, name in DOSE_COUNTS})
    values = {p["url"]: p for p in parts}
    if "side" in values:
        dose["side"] = values["side"]["valueCode"]
    if "painLimit" in values:
        dose["pain_limit"] = values["painLimit"]["valueDecimal"]
    if "note" in values:
        dose["note"] = values["note"]["valueString"]
    if "sessionsPerStep" in values:
        dose["sessions_per_step"] = values["sessionsPerStep"]["valueInteger"]
    return dose, values.get("source", {}).get("valueCode")


def _criteria(condition: Mapping[str, Any]) -> dict[str, Any]:
    expression = condition["expression"]
    criteria: dict[str, Any] = {"summary": expression.get("description", "")}
    parts = parse_criteria(expression.get("expression", "true"))
    if parts:
        criteria["all"] = parts
    return criteria


def _exercise(activity: Mapping[str, Any], exercise_id: str) -> dict[str, Any]:
    sections = read_sections(activity.get("description", ""))
    exercise: dict[str, Any] = {
        "id": exercise_id,
        "name": activity["title"],
        "component": _codes(activity.get("topic"), terms.COMPONENT_CS)[0],
        "region": _codes(activity.get("bodySite"), terms.REGION_CS)[0],
        "steps": sections.get(ACTIVITY_SECTIONS["steps"], []),
    }
    if sections.get(ACTIVITY_SECTIONS["position"]):
        exercise["position"] = sections[ACTIVITY_SECTIONS["position"]][0]
    for field in ("equipment", "cues", "contraindications"):
        if sections.get(ACTIVITY_SECTIONS[field]):
            exercise[field] = sections[ACTIVITY_SECTIONS[field]]
    return exercise


def _reference(artifact: Mapping[str, Any]) -> dict[str, Any]:
    reference: dict[str, Any] = {"citation": artifact["citation"]}
    links = [link for link in (artifact.get("document", {}).get("url"), artifact.get("label")) if link]
    if artifact.get("url"):
        reference["url"] = artifact["url"]
    for link in links:
        if link.startswith("https://doi.org/") and "doi" not in reference:
            reference["doi"] = link.removeprefix("https://doi.org/")
        else:
            reference["url"] = link
    if artifact.get("display"):
        reference["note"] = artifact["display"]
    return reference


def find_plan(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """The PlanDefinition itself, or the one inside a Bundle (a patient's course export)."""
    if resource.get("resourceType") == "Bundle":
        for entry in resource.get("entry", ()):
            if entry.get("resource", {}).get("resourceType") == "PlanDefinition":
                return dict(entry["resource"])
        raise NotAnExport(
            "the Bundle holds no PlanDefinition: export a protocol with 'rehabkit export PROTOCOL --fhir r5'."
        )
    if resource.get("resourceType") != "PlanDefinition":
        raise NotAnExport(
            f"a {resource.get('resourceType') or 'document without a resourceType'} is not a PlanDefinition: "
            "import reads the PlanDefinition 'rehabkit export PROTOCOL --fhir r4b|r5' writes."
        )
    return resource


def protocol_document(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The protocol document (plain data, as in a YAML file) that an exported PlanDefinition holds.

    Raises :class:`NotAnExport` naming what is missing when the resource is not one rehabkit wrote.
    """
    plan = find_plan(resource)
    try:
        return _document(plan)
    except (KeyError, IndexError, TypeError) as exc:
        raise NotAnExport(
            f"the PlanDefinition {plan.get('id')!r} lacks what rehabkit writes ({exc!r} is missing): only a "
            "PlanDefinition exported by 'rehabkit export' can be imported."
        ) from None


def _document(plan: Mapping[str, Any]) -> dict[str, Any]:
    contained = {r["id"]: r for r in plan.get("contained", ())}
    actions = {a["id"]: a for a in plan.get("action", ())}
    screening = _screening_action(plan, actions)
    supervision = _supervision(screening)
    document = _heading(plan)
    purpose = read_sections(plan.get("purpose", ""))
    eligibility = {
        field: purpose[PURPOSE_SECTIONS[field]]
        for field in ("inclusions", "exclusions")
        if purpose.get(PURPOSE_SECTIONS[field])
    }
    if eligibility:
        document["eligibility"] = eligibility
    phase_actions = [a for a in plan.get("action", ()) if a["id"] not in (SCREENING_ACTION_ID, PRECAUTIONS_ACTION_ID)]
    goal_text, goals = _goals(plan, phase_actions)
    if goals:
        document["goals"] = goals
    document["supervision"] = {**supervision, "statement": plan["usage"]}
    phases, own = _phases(phase_actions, contained, goal_text)
    if own:
        document["exercises"] = list(own.values())
    document["phases"] = phases
    questionnaire = contained.get(screening.get("definitionCanonical", "").removeprefix("#"), {})
    document["red_flags"] = [_red_flag(item) for item in questionnaire.get("item", ())]
    precautions = [_precaution(action) for action in actions.get(PRECAUTIONS_ACTION_ID, {}).get("action", ())]
    if precautions:
        document["precautions"] = precautions
    advice = purpose.get(PURPOSE_SECTIONS["advice"])
    if advice:
        document["advice"] = advice
    document["symptom_rules"] = _symptom_rules(phase_actions)
    document["references"] = [_reference(a) for a in plan.get("relatedArtifact", ()) if a.get("type") == "citation"]
    if plan.get("author"):
        document["authors"] = [a["name"] for a in plan["author"]]
    document["reviewed"] = plan.get("lastReviewDate") or plan["date"]
    return document


def _screening_action(plan: Mapping[str, Any], actions: Mapping[str, Any]) -> Mapping[str, Any]:
    """The action done before every session (it points to the red flags and carries the supervision)."""
    screening: Mapping[str, Any] | None = actions.get(SCREENING_ACTION_ID)
    if screening is None:
        raise NotAnExport(
            f"the PlanDefinition {plan.get('id')!r} has no action {SCREENING_ACTION_ID!r}: it was not "
            "written by 'rehabkit export'."
        )
    return screening


def _supervision(screening: Mapping[str, Any]) -> dict[str, Any]:
    """The supervision fields the screening action's ``supervision`` condition holds (the statement is apart)."""
    condition = next(c for c in screening.get("condition", ()) if c["expression"].get("name") == "supervision")
    return parse_fields(condition["expression"]["expression"])


def _heading(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The document's first fields: kind, id, version, title, summary and the conditions it is for."""
    return {
        "kind": "protocol",
        "id": plan["id"],
        "version": plan["version"],
        "title": plan["title"],
        "summary": plan["description"],
        "conditions": [
            code
            for context in plan.get("useContext", ())
            for code in _codes(context.get("valueCodeableConcept"), terms.CONDITION_CS)
        ],
    }


def _goals(plan: Mapping[str, Any], phase_actions: list[Mapping[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """Every goal's text by its id, and the protocol's own goals (those no phase names)."""
    phase_goals = {goal for action in phase_actions for goal in action.get("goalId", ())}
    goal_text = {g["id"]: g["description"]["text"] for g in plan.get("goal", ())}
    return goal_text, [text for goal_id, text in goal_text.items() if goal_id not in phase_goals]


def _phases(
    phase_actions: list[Mapping[str, Any]], contained: Mapping[str, Any], goal_text: Mapping[str, str]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The phases, and the protocol's own exercises by id (in the order the phases first name them)."""
    own: dict[str, dict[str, Any]] = {}
    phases = []
    for action in phase_actions:
        phase: dict[str, Any] = {"id": action["id"], "name": action["title"]}
        stage = _codes(action.get("code"), terms.STAGE_CS)
        if stage:
            phase["stage"] = stage[0]
        phase["focus"] = _codes(action.get("reason"), terms.FOCUS_CS)
        if action.get("goalId"):
            phase["goals"] = [goal_text[g] for g in action["goalId"]]
        for condition in action.get("condition", ()):
            name = condition["expression"].get("name")
            if name == "entry" and condition["kind"] == "applicability":
                phase["entry"] = _criteria(condition)
            elif name == "exit" and condition["kind"] == "stop":
                phase["exit"] = _criteria(condition)
        phase["exercises"] = [_exercise_ref(child, contained, own) for child in action.get("action", ())]
        phase.update(_schedule(action))
        phases.append(phase)
    return phases, own


def _exercise_ref(
    child: Mapping[str, Any], contained: Mapping[str, Any], own: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A phase's exercise reference from its child action; an exercise the protocol defines is added to ``own``."""
    activity = contained[child["definitionCanonical"].removeprefix("#")]
    artifact = activity["relatedArtifact"][0]
    exercise_id = artifact["label"]
    ref: dict[str, Any] = {"exercise": exercise_id}
    dose, source = _dose(activity)
    if dose is not None and source == "phase":
        ref["dose"] = dose
    if child.get("description"):
        ref["note"] = child["description"]
    if artifact["type"] == "documentation" and exercise_id not in own:
        own[exercise_id] = _exercise(activity, exercise_id)
    if artifact["type"] == "documentation" and dose is not None and source == "exercise":
        own[exercise_id].setdefault("dose", dose)
    return ref


def _schedule(action: Mapping[str, Any]) -> dict[str, Any]:
    """A phase's sessions per week, expected weeks (with their step) and review period."""
    schedule = _extension(action, terms.PHASE_EXTENSION)
    fields = _counts(schedule, {"sessionsPerWeek": "sessions_per_week"})
    if "timingDuration" in action:
        fields["expected_weeks"] = action["timingDuration"]["value"]
    elif "timingRange" in action:
        fields["expected_weeks"] = {
            "min": action["timingRange"]["low"]["value"],
            "max": action["timingRange"]["high"]["value"],
        }
    for part in schedule:
        if part["url"] == "expectedWeeksStep" and "expected_weeks" in fields:
            weeks = fields["expected_weeks"]
            fields["expected_weeks"] = (
                {**weeks, "step": part["valueInteger"]}
                if isinstance(weeks, dict)
                else {"min": weeks, "max": weeks, "step": part["valueInteger"]}
            )
        elif part["url"] == "reviewAfterWeeks":
            fields["review_after_weeks"] = part["valueInteger"]
    return fields


def _red_flag(item: Mapping[str, Any]) -> dict[str, Any]:
    """A red flag from its Questionnaire item: the signs it covers, what a yes does, the movements it leaves out."""
    display = item["item"][0]
    flag: dict[str, Any] = {"id": item["linkId"], "question": item["text"]}
    covers = [c["code"] for c in item.get("code", ()) if c.get("system") == terms.SIGN_CS]
    if covers:
        flag["covers"] = covers
    flag["action"] = next(c["code"] for c in item["code"] if c["system"] == terms.SCREENING_ACTION_CS)
    flag["message"] = display["text"]
    movements = [c["code"] for c in item["code"] if c["system"] == terms.MOVEMENT_CS]
    if movements:
        flag["omit_movements"] = movements
    return flag


def _precaution(action: Mapping[str, Any]) -> dict[str, Any]:
    """A precaution from its child of the precautions action."""
    condition = action["condition"][0]["expression"]
    precaution: dict[str, Any] = {
        "id": condition["name"],
        **parse_fields(condition["expression"]),
        "description": action["description"],
    }
    if action.get("textEquivalent"):
        precaution["limit"] = action["textEquivalent"]
    return precaution


def _symptom_rules(phase_actions: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The symptom rules: the first phase's stop conditions other than its exit (every phase carries them)."""
    rules = []
    for condition in phase_actions[0].get("condition", ()) if phase_actions else ():
        expression = condition["expression"]
        if condition["kind"] == "stop" and expression.get("name") != "exit":
            rules.append(
                {"id": expression["name"], **parse_rule(expression["expression"]), "message": expression["description"]}
            )
    return rules
