"""An exported PlanDefinition read back into a protocol document (``rehabkit import --fhir``).

It reads what :mod:`.plan` writes, R4B or R5: the contained activities, the
red-flag Questionnaire, rehabkit's expressions and extensions. An exercise
taken from the installed library comes back as a reference by id; the
protocol's own exercises come back whole, as far as FHIR carries them.
docs/fhir.md lists exactly what does not come back.

Every value is asked of an :class:`~.elements.Element` for the type rehabkit writes there, so an edited or hostile
file gets one problem for each thing missing or of another type, each with its FHIRPath, never a KeyError.
"""

from __future__ import annotations

from typing import Any

from ..._common.formats import CURRENT_FORMAT
from . import terms
from .elements import Element, Problems
from .expressions import ExpressionError, parse_criteria, parse_fields, parse_rule, read_sections
from .plan import ACTIVITY_SECTIONS, DOSE_COUNTS, PRECAUTIONS_ACTION_ID, PURPOSE_SECTIONS, SCREENING_ACTION_ID

__all__ = ["NotAnExport", "protocol_document"]


class NotAnExport(ExpressionError):
    """A FHIR document that is not a PlanDefinition rehabkit can read; the message says what is missing, and
    ``problems`` lists each problem with its FHIRPath."""

    def __init__(self, message: str, problems: Problems | None = None) -> None:
        super().__init__(message)
        self.problems: Problems = problems if problems is not None else Problems()


def _concepts(element: Element, key: str) -> list[Element]:
    """The CodeableConcepts at ``key``: one (``topic`` in R4B is a list, ``bodySite`` one or a list) or a list."""
    if isinstance(element.value.get(key), dict):
        return [element.child(key)]
    return element.children(key)


def _codes(element: Element, key: str, system: str) -> list[str]:
    return [
        coding.text("code")
        for concept in _concepts(element, key)
        for coding in concept.children("coding")
        if coding.text("system", "") == system
    ]


def _code(element: Element, key: str, system: str) -> str:
    """The one code of ``system`` at ``key``, which rehabkit always writes."""
    codes = _codes(element, key, system)
    if not codes:
        element.note(key, f"has no code of the system {system}: rehabkit writes one here.")
        return ""
    return codes[0]


def _extension(element: Element, url: str) -> list[Element]:
    for extension in element.children("extension"):
        if extension.text("url", "") == url:
            return extension.children("extension")
    return []


def _count(part: Element) -> Any:
    """A count: ``valueInteger``, or ``valueRange`` as a document's range."""
    if part.has("valueRange"):
        span = part.child("valueRange")
        return {"min": span.child("low").number("value"), "max": span.child("high").number("value")}
    return part.integer("valueInteger")


def _counts(parts: list[Element], names: dict[str, str]) -> dict[str, Any]:
    """Counts (``valueInteger`` or ``valueRange``, with an optional ``<name>Step``) by their document field name."""
    out: dict[str, Any] = {}
    steps = {}
    for part in parts:
        url = part.text("url")
        if url in names:
            out[names[url]] = _count(part)
        elif url.endswith("Step") and url[:-4] in names:
            steps[names[url[:-4]]] = part.integer("valueInteger")
    for field, step in steps.items():
        value = out.get(field)
        if value is None:
            continue  # a step for a count that is not there: the document's check names it
        out[field] = {**value, "step": step} if isinstance(value, dict) else {"min": value, "max": value, "step": step}
    return out


def _dose(activity: Element) -> tuple[dict[str, Any] | None, str | None]:
    parts = _extension(activity, terms.DOSE_EXTENSION)
    if not parts:
        return None, None
    dose = _counts(parts, {name: field for field, name in DOSE_COUNTS})
    values = {p.text("url"): p for p in parts}
    if "side" in values:
        dose["side"] = values["side"].text("valueCode")
    if "painLimit" in values:
        dose["pain_limit"] = values["painLimit"].number("valueDecimal")
    if "note" in values:
        dose["note"] = values["note"].text("valueString")
    if "sessionsPerStep" in values:
        dose["sessions_per_step"] = values["sessionsPerStep"].integer("valueInteger")
    source = values["source"].text("valueCode") if "source" in values else None
    return dose, source


def _criteria(condition: Element) -> dict[str, Any]:
    expression = condition.child("expression")
    criteria: dict[str, Any] = {"summary": expression.text("description", "")}
    parts = expression.parsed("expression", parse_criteria, "true") or []
    if parts:
        criteria["all"] = parts
    return criteria


def _exercise(activity: Element, exercise_id: str) -> dict[str, Any]:
    sections = activity.parsed("description", read_sections, "") or {}
    exercise: dict[str, Any] = {
        "id": exercise_id,
        "name": activity.text("title"),
        "component": _code(activity, "topic", terms.COMPONENT_CS),
        "region": _code(activity, "bodySite", terms.REGION_CS),
        "steps": sections.get(ACTIVITY_SECTIONS["steps"], []),
    }
    if sections.get(ACTIVITY_SECTIONS["position"]):
        exercise["position"] = sections[ACTIVITY_SECTIONS["position"]][0]
    for field in ("equipment", "cues", "contraindications"):
        if sections.get(ACTIVITY_SECTIONS[field]):
            exercise[field] = sections[ACTIVITY_SECTIONS[field]]
    return exercise


def _reference(artifact: Element) -> dict[str, Any]:
    reference: dict[str, Any] = {"citation": artifact.text("citation")}
    document = artifact.child("document", required=False)
    links = [link for link in (document.text("url", ""), artifact.text("label", "")) if link]
    if artifact.text("url", ""):
        reference["url"] = artifact.text("url")
    for link in links:
        if link.startswith("https://doi.org/") and "doi" not in reference:
            reference["doi"] = link.removeprefix("https://doi.org/")
        else:
            reference["url"] = link
    if artifact.text("display", ""):
        reference["note"] = artifact.text("display")
    return reference


def _root(resource: dict[str, Any], problems: Problems) -> Element:
    kind = resource.get("resourceType")
    return Element(resource, kind if isinstance(kind, str) and kind.isidentifier() else "Resource", problems)


def find_plan(resource: dict[str, Any], problems: Problems | None = None) -> Element:
    """The PlanDefinition itself, or the one inside a Bundle (a patient's course export)."""
    root = _root(resource, Problems() if problems is None else problems)
    kind = root.text("resourceType", "")
    if kind == "Bundle":
        for entry in root.children("entry", required=True):
            found = entry.child("resource", required=False)  # import reads only the PlanDefinition
            if found.text("resourceType", "") == "PlanDefinition":
                return found
        if root.problems:
            raise NotAnExport(
                f"the Bundle is not as 'rehabkit export' writes it ({_count_of(root.problems)}).", root.problems
            )
        raise NotAnExport(
            "the Bundle holds no PlanDefinition: export a protocol with 'rehabkit export PROTOCOL --fhir r5'."
        )
    if kind != "PlanDefinition":
        raise NotAnExport(
            f"a {kind or 'document without a resourceType'} is not a PlanDefinition: "
            "import reads the PlanDefinition 'rehabkit export PROTOCOL --fhir r4b|r5' writes."
        )
    return root


def _count_of(problems: Problems) -> str:
    named = (
        f"the first {len(problems.kept)} named above with their FHIRPaths"
        if problems.more
        else "each named above with its FHIRPath"
    )
    return f"{len(problems)} problem{'s' if len(problems) != 1 else ''}, {named}"


def protocol_document(resource: dict[str, Any]) -> dict[str, Any]:
    """The protocol document (plain data, as in a YAML file) that an exported PlanDefinition holds.

    Raises :class:`NotAnExport` naming what is missing when the resource is not one rehabkit wrote, with every
    problem found (and its FHIRPath) in ``problems``.
    """
    plan = find_plan(resource)
    document = _document(plan)
    if plan.problems:
        raise NotAnExport(
            f"the PlanDefinition {plan.value.get('id')!r} is not as 'rehabkit export' writes it "
            f"({_count_of(plan.problems)}): only a PlanDefinition exported by 'rehabkit export' can be imported.",
            plan.problems,
        )
    return document


def _document(plan: Element) -> dict[str, Any]:
    contained = {r.text("id"): r for r in plan.children("contained")}
    actions = {a.text("id"): a for a in plan.children("action", required=True)}
    screening = _screening_action(plan, actions)
    supervision = _supervision(screening)
    document = _heading(plan)
    purpose = plan.parsed("purpose", read_sections, "") or {}
    eligibility = {
        field: purpose[PURPOSE_SECTIONS[field]]
        for field in ("inclusions", "exclusions")
        if purpose.get(PURPOSE_SECTIONS[field])
    }
    if eligibility:
        document["eligibility"] = eligibility
    phase_actions = [
        a for a in plan.children("action") if a.text("id") not in (SCREENING_ACTION_ID, PRECAUTIONS_ACTION_ID)
    ]
    goal_text, goals = _goals(plan, phase_actions)
    if goals:
        document["goals"] = goals
    document["supervision"] = {**supervision, "statement": plan.text("usage")}
    phases, own = _phases(phase_actions, contained, goal_text)
    if own:
        document["exercises"] = list(own.values())
    document["phases"] = phases
    canonical = screening.text("definitionCanonical", "").removeprefix("#")
    questionnaire = contained.get(canonical) or plan.stand_in("contained")
    document["red_flags"] = [_red_flag(item) for item in questionnaire.children("item")]
    precautions_action = actions.get(PRECAUTIONS_ACTION_ID)
    if precautions_action is not None and precautions_action.has("action"):
        document["precautions"] = [_precaution(action) for action in precautions_action.children("action")]
    advice = purpose.get(PURPOSE_SECTIONS["advice"])
    if advice:
        document["advice"] = advice
    document["symptom_rules"] = _symptom_rules(phase_actions)
    artifacts = plan.children("relatedArtifact")
    document["references"] = [_reference(a) for a in artifacts if a.text("type", "") == "citation"]
    authors = plan.children("author")
    if authors:
        document["authors"] = [a.text("name") for a in authors]
    document["reviewed"] = plan.text("lastReviewDate", "") or plan.text("date")
    return document


def _screening_action(plan: Element, actions: dict[str, Element]) -> Element:
    """The action done before every session (it points to the red flags and carries the supervision)."""
    screening = actions.get(SCREENING_ACTION_ID)
    if screening is None:
        raise NotAnExport(
            f"the PlanDefinition {plan.value.get('id')!r} has no action {SCREENING_ACTION_ID!r}: it was not "
            "written by 'rehabkit export'.",
            plan.problems,
        )
    return screening


def _supervision(screening: Element) -> dict[str, Any]:
    """The supervision fields the screening action's ``supervision`` condition holds (the statement is apart)."""
    for condition in screening.children("condition", required=True):
        expression = condition.child("expression")
        if expression.text("name", "") == "supervision":
            fields: dict[str, Any] = expression.parsed("expression", parse_fields) or {}
            return fields
    screening.note("condition", "has no condition named 'supervision': rehabkit writes one.")
    return {}


def _heading(plan: Element) -> dict[str, Any]:
    """The document's first fields: kind, id, version, title, summary and the conditions it is for."""
    return {
        "kind": "protocol",
        "format": CURRENT_FORMAT,  # written by this rehabkit, in its format
        "id": plan.text("id"),
        "version": plan.text("version"),
        "title": plan.text("title"),
        "summary": plan.text("description"),
        "conditions": [
            code
            for context in plan.children("useContext")
            for code in _codes(context, "valueCodeableConcept", terms.CONDITION_CS)
        ],
    }


def _goals(plan: Element, phase_actions: list[Element]) -> tuple[dict[str, str], list[str]]:
    """Every goal's text by its id, and the protocol's own goals (those no phase names)."""
    phase_goals = {goal for action in phase_actions for goal in action.texts("goalId")}
    goal_text = {g.text("id"): g.child("description").text("text") for g in plan.children("goal")}
    return goal_text, [text for goal_id, text in goal_text.items() if goal_id not in phase_goals]


def _phases(
    phase_actions: list[Element], contained: dict[str, Element], goal_text: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The phases, and the protocol's own exercises by id (in the order the phases first name them)."""
    own: dict[str, dict[str, Any]] = {}
    phases = []
    for action in phase_actions:
        phase: dict[str, Any] = {"id": action.text("id"), "name": action.text("title")}
        stage = _codes(action, "code", terms.STAGE_CS)
        if stage:
            phase["stage"] = stage[0]
        phase["focus"] = _codes(action, "reason", terms.FOCUS_CS)
        goals = action.texts("goalId")
        if goals:
            phase["goals"] = [_goal(action, goal_text, goal) for goal in goals]
        for condition in action.children("condition"):
            name = condition.child("expression").text("name", "")
            if name == "entry" and condition.text("kind") == "applicability":
                phase["entry"] = _criteria(condition)
            elif name == "exit" and condition.text("kind") == "stop":
                phase["exit"] = _criteria(condition)
        phase["exercises"] = [_exercise_ref(child, contained, own) for child in action.children("action")]
        phase.update(_schedule(action))
        phases.append(phase)
    return phases, own


def _goal(action: Element, goal_text: dict[str, str], goal: str) -> str:
    if goal not in goal_text:
        action.note("goalId", f"names the goal {goal!r}, which the PlanDefinition does not have.")
    return goal_text.get(goal, "")


def _exercise_ref(child: Element, contained: dict[str, Element], own: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A phase's exercise reference from its child action; an exercise the protocol defines is added to ``own``."""
    canonical = child.text("definitionCanonical").removeprefix("#")
    activity = contained.get(canonical)
    if activity is None:
        child.note("definitionCanonical", f"points to {canonical!r}, which the PlanDefinition does not contain.")
        activity = child.stand_in("definitionCanonical")
    artifact = activity.first("relatedArtifact")
    exercise_id = artifact.text("label")
    ref: dict[str, Any] = {"exercise": exercise_id}
    dose, source = _dose(activity)
    if dose is not None and source == "phase":
        ref["dose"] = dose
    if child.text("description", ""):
        ref["note"] = child.text("description")
    documented = artifact.text("type") == "documentation"
    if documented and exercise_id not in own:
        own[exercise_id] = _exercise(activity, exercise_id)
    if documented and dose is not None and source == "exercise":
        own[exercise_id].setdefault("dose", dose)
    return ref


def _schedule(action: Element) -> dict[str, Any]:
    """A phase's sessions per week, expected weeks (with their step) and review period."""
    schedule = _extension(action, terms.PHASE_EXTENSION)
    fields = _counts(schedule, {"sessionsPerWeek": "sessions_per_week"})
    if action.has("timingDuration"):
        fields["expected_weeks"] = action.child("timingDuration").number("value")
    elif action.has("timingRange"):
        span = action.child("timingRange")
        fields["expected_weeks"] = {"min": span.child("low").number("value"), "max": span.child("high").number("value")}
    for part in schedule:
        url = part.text("url")
        if url == "expectedWeeksStep" and "expected_weeks" in fields:
            weeks, step = fields["expected_weeks"], part.integer("valueInteger")
            fields["expected_weeks"] = (
                {**weeks, "step": step} if isinstance(weeks, dict) else {"min": weeks, "max": weeks, "step": step}
            )
        elif url == "reviewAfterWeeks":
            fields["review_after_weeks"] = part.integer("valueInteger")
    return fields


def _red_flag(item: Element) -> dict[str, Any]:
    """A red flag from its Questionnaire item: the signs it covers, what a yes does, the movements it leaves out."""
    display = item.first("item")
    flag: dict[str, Any] = {"id": item.text("linkId"), "question": item.text("text")}
    codes = item.children("code", required=True)
    covers = [c.text("code") for c in codes if c.text("system", "") == terms.SIGN_CS]
    if covers:
        flag["covers"] = covers
    actions = [c.text("code") for c in codes if c.text("system", "") == terms.SCREENING_ACTION_CS]
    if not actions:
        item.note("code", f"has no code of the system {terms.SCREENING_ACTION_CS}: rehabkit writes one here.")
    flag["action"] = actions[0] if actions else ""
    flag["message"] = display.text("text")
    movements = [c.text("code") for c in codes if c.text("system", "") == terms.MOVEMENT_CS]
    if movements:
        flag["omit_movements"] = movements
    return flag


def _precaution(action: Element) -> dict[str, Any]:
    """A precaution from its child of the precautions action."""
    condition = action.first("condition").child("expression")
    precaution: dict[str, Any] = {
        "id": condition.text("name"),
        **(condition.parsed("expression", parse_fields) or {}),
        "description": action.text("description"),
    }
    if action.text("textEquivalent", ""):
        precaution["limit"] = action.text("textEquivalent")
    return precaution


def _symptom_rules(phase_actions: list[Element]) -> list[dict[str, Any]]:
    """The symptom rules: the first phase's stop conditions other than its exit (every phase carries them)."""
    rules = []
    for condition in phase_actions[0].children("condition") if phase_actions else ():
        expression = condition.child("expression")
        if condition.text("kind") == "stop" and expression.text("name", "") != "exit":
            rule = expression.parsed("expression", parse_rule) or {}
            rules.append({"id": expression.text("name"), **rule, "message": expression.text("description")})
    return rules
