"""Core lint rules on clinical safety: red flags, symptom rules, precautions, stages, surgical gates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .._common.clinical_data import SHARED_RED_FLAG_LIBRARY, policy, required_signs, shared_red_flags
from .._common.errors import Severity
from .._common.formats import CURRENT_FORMAT, ERROR_IN_RELEASE, deprecated, document_format
from .._common.text import number_text
from .._common.vocabulary import EXERCISE_ACTIONS, RED_FLAG_SIGNS, REVIEW_ACTIONS, STAGES, SYMPTOM_MEASURES
from .._documents.lint import LintContext, LintRule, Violation
from ..model import Phase, Precaution, Protocol
from .policy_wording import and_list, in_force

#: Symptom-rule measures that look at the response after a session.
AFTER_SESSION = frozenset(
    {
        "pain-after",
        "pain-next-morning",
        "increase-over-baseline",
        "next-morning-over-baseline",
        "not-settled-after-hours",
    }
)


def red_flag_coverage(context: LintContext) -> Iterator[Violation]:
    """The red-flag questions cover the minimum set of signs and their region's own (cauda equina for the low back),
    and at least one of them refers urgently."""
    protocol = context.protocol
    assert protocol is not None
    asked = (*protocol.red_flags, *context.taken_red_flags())  # its own, and those it takes from a library
    covered = {sign for question in asked for sign in question.covers}
    older = document_format(protocol) < CURRENT_FORMAT
    for sign, region in required_signs(context.policy["red_flags"], protocol.conditions).items():
        if sign not in covered:
            why = f" (needed for {region})" if region else ""
            message = (
                f"no red-flag question screens for {RED_FLAG_SIGNS[sign]}{why}: add one, tag an existing question "
                f"with 'covers: [{sign}]', or take the shared set's ('shared_red_flags: {{minimum_set_from: "
                f"{SHARED_RED_FLAG_LIBRARY}}}')."
            )
            if older and sign in shared_red_flags():
                yield Violation(
                    message + f" Until then each session asks rehabkit's shared question "
                    f"{shared_red_flags()[sign]['id']!r} for it."
                    + deprecated(document_format(protocol), f"add a question with 'covers: [{sign}]',"),
                    ("red_flags",),
                    at_key=True,
                    severity=Severity.WARNING,
                )
            else:
                yield Violation(message, ("red_flags",), at_key=True)
    if not any(question.action == "refer-urgently" for question in asked):
        yield Violation(
            "no red-flag question refers urgently: every protocol asks at least one question whose 'yes' sends the "
            "patient for medical help the same day ('action: refer-urgently'), such as signs of a serious cause.",
            ("red_flags",),
            at_key=True,
        )


def weak_red_flag_action(context: LintContext) -> Iterator[Violation]:
    """A question for a required or urgent sign stops the session, and urgent ones refer urgently."""
    assert context.protocol is not None
    flags = context.policy["red_flags"]
    for i, question in enumerate(context.protocol.red_flags):
        urgent = set(flags["urgent_signs"]) & set(question.covers)
        if urgent and question.action != "refer-urgently":
            yield Violation(
                f"red flag {question.id!r} screens for {', '.join(sorted(urgent))}, which needs same-day medical help: "
                "set 'action: refer-urgently'.",
                ("red_flags", i, "action"),
            )
        elif question.action == "note" and set(question.covers) & set(flags["required_signs"]):
            yield Violation(
                f"red flag {question.id!r} screens for a sign that must pause exercise, but its action 'note' lets the "
                "session go on: use 'stop-and-review' or 'refer-urgently'.",
                ("red_flags", i, "action"),
            )


def symptom_rule_coverage(context: LintContext) -> Iterator[Violation]:
    """Symptom rules act on pain during exercise, the response after it, and a lack of improvement."""
    protocol = context.protocol
    assert protocol is not None
    measures = {rule.measure for rule in protocol.symptom_rules}
    if "pain-during" not in measures:
        yield Violation(
            "no symptom rule acts on pain during exercise: add a 'pain-during' rule with the level above which the "
            "exercise stops or regresses.",
            ("symptom_rules",),
            at_key=True,
        )
    if not measures & AFTER_SESSION:
        yield Violation(
            "no symptom rule looks at the response after a session (pain after, next morning, or how long it takes to "
            "settle): add one so that overload reduces the next dose.",
            ("symptom_rules",),
            at_key=True,
        )
    if not any(r.measure == "no-improvement-weeks" and r.action in REVIEW_ACTIONS for r in protocol.symptom_rules):
        yield Violation(
            "no symptom rule asks for review when there is no improvement: add a 'no-improvement-weeks' rule with "
            "'action: stop-and-review'.",
            ("symptom_rules",),
            at_key=True,
        )
    for i, rule in enumerate(protocol.symptom_rules):
        if rule.measure != "no-improvement-weeks":
            continue
        if rule.min_change is None:
            yield Violation(
                f"symptom rule {rule.id!r} does not say what counts as an improvement: add 'min_change' (points of "
                "pain, for example 2).",
                ("symptom_rules", i, "measure"),
            )
        yield from _own_limit(protocol, i)
        if rule.above is not None and document_format(protocol) < CURRENT_FORMAT:
            continue  # the old form keeps its meaning: the rule's own limit acts in a phase without review_after_weeks
        for k, phase in enumerate(protocol.phases):
            if phase.review_after_weeks is None:
                yield Violation(
                    f"phase {phase.id!r} has no 'review_after_weeks', so symptom rule {rule.id!r} can never ask for a "
                    "review "
                    "in it: add how many weeks without improvement lead to a review.",
                    ("phases", k, "name"),
                )


def _own_limit(protocol: Protocol, index: int) -> Iterator[Violation]:
    """A no-improvement rule's own ``above``: an error for the current format; for an older one a deprecation warning,
    the limit still acting in the phases without 'review_after_weeks'."""
    rule = protocol.symptom_rules[index]
    if rule.above is None:
        return
    message = (
        f"symptom rule {rule.id!r} sets its own limit ('above: {number_text(rule.above)}'), but the time without "
        "improvement is compared with each phase's 'review_after_weeks': remove 'above' and set the phases' "
        "review_after_weeks."
    )
    path = ("symptom_rules", index, "above")
    if document_format(protocol) >= CURRENT_FORMAT:
        yield Violation(message, path)
        return
    bare = [phase.id for phase in protocol.phases if phase.review_after_weeks is None]
    still = f" It still acts in the phases without one ({', '.join(bare)})." if bare else ""
    mend = f"set 'review_after_weeks: {number_text(rule.above)}' on each phase that has none and remove 'above',"
    yield Violation(message + still + deprecated(document_format(protocol), mend), path, severity=Severity.WARNING)


def _weeks(days: float) -> float:
    """``days`` in weeks; a whole number of days too large for a float (the schema sets no maximum) in whole weeks,
    as ``days / 7`` would overflow."""
    return days / 7 if isinstance(days, float) or abs(days) < 2**53 else days // 7


def _earliest_weeks(protocol: Protocol) -> list[float]:
    """For each phase, the fewest weeks since surgery at which it can start."""
    weeks: list[float] = []
    floor = 0.0
    for phase in protocol.phases:
        for criterion in phase.entry.all if phase.entry else ():
            if criterion.at_least is None:
                continue
            if criterion.measure == "weeks-since-surgery":
                floor = max(floor, criterion.at_least)
            elif criterion.measure == "days-since-surgery":
                floor = max(floor, _weeks(criterion.at_least))
        weeks.append(floor)
    return weeks


def _active(precaution: Precaution, index: int, phase: Phase, order: dict[str, int], weeks: float) -> str | None:
    """Why the precaution applies in this phase, or None."""
    reasons = []
    if precaution.until_phase is not None and order.get(precaution.until_phase, 0) > index:
        reasons.append(f"until phase {precaution.until_phase!r}")
    if precaution.until_weeks_after_surgery is not None and weeks < precaution.until_weeks_after_surgery:
        reasons.append(
            f"until {precaution.until_weeks_after_surgery} weeks after surgery, and phase {phase.id!r} can start at "
            f"week {number_text(weeks)}"
        )
    if precaution.until_phase is None and precaution.until_weeks_after_surgery is None:
        reasons.append("throughout the protocol")
    return "; ".join(reasons) or None


def precaution_conflict(context: LintContext) -> Iterator[Violation]:
    """No phase uses an exercise involving a movement that a precaution rules out at that time."""
    protocol = context.protocol
    assert protocol is not None
    ruling_out = [p for p in protocol.precautions if p.movement != "other"]
    movements = {p.movement for p in ruling_out}
    if not movements:
        return
    order = {p.id: i for i, p in enumerate(protocol.phases)}
    weeks = _earliest_weeks(protocol)
    for i, phase in enumerate(protocol.phases):
        for j, ref in enumerate(phase.exercises):
            exercise = context.exercises.get(ref.exercise)
            if exercise is None or movements.isdisjoint(exercise.movements):
                continue  # the usual case: no precaution names a movement of this exercise
            for precaution in ruling_out:
                if precaution.movement not in exercise.movements:
                    continue
                if precaution.region is not None and exercise.region not in (precaution.region, "whole-spine"):
                    continue  # restricted in another part of the spine
                why = _active(precaution, i, phase, order, weeks[i])
                if why:
                    yield Violation(
                        f"{exercise.id!r} involves '{precaution.movement}', but precaution {precaution.id!r} applies "
                        "in phase "
                        f"{phase.id!r} ({why}): move the exercise to a later phase or choose another.",
                        ("phases", i, "exercises", j, "exercise"),
                    )


def stage_conflict(context: LintContext) -> Iterator[Violation]:
    """No phase uses an exercise meant for a later stage (loaded twisting in an acute phase)."""
    assert context.protocol is not None
    for i, phase in enumerate(context.protocol.phases):
        if phase.stage is None:
            continue
        for j, ref in enumerate(phase.exercises):
            exercise = context.exercises.get(ref.exercise)
            if exercise is None or exercise.earliest_stage is None:
                continue
            if STAGES.index(exercise.earliest_stage) > STAGES.index(phase.stage):
                yield Violation(
                    f"{exercise.id!r} is not suitable before the {exercise.earliest_stage} stage, but phase "
                    f"{phase.id!r} is "
                    f"{phase.stage}: use it in a later phase"
                    + (f" or use its regression {exercise.regression!r}." if exercise.regression else "."),
                    ("phases", i, "exercises", j, "exercise"),
                )


def surgical_gates(context: LintContext) -> Iterator[Violation]:
    """A post-surgical protocol is gated on the surgeon's clearance and on time since surgery."""
    protocol = context.protocol
    assert protocol is not None
    if not any(c.startswith("post-surgical") for c in protocol.conditions):
        return
    if not protocol.supervision.surgeon_clearance_required:
        yield Violation(
            "a post-surgical protocol must set 'surgeon_clearance_required: true' in its supervision.",
            ("supervision",),
            at_key=True,
        )
    first = protocol.phases[0]
    if not any(c.measure == "surgeon-clearance" and c.equals for c in (first.entry.all if first.entry else ())):
        yield Violation(
            f"the first phase {first.id!r} must require the surgeon's clearance: add {{measure: surgeon-clearance, "
            "equals: true} to its entry criteria.",
            ("phases", 0, "entry") if first.entry else ("phases", 0, "name"),
            at_key=first.entry is None,
        )
    timed = any(
        c.measure in ("weeks-since-surgery", "days-since-surgery")
        for phase in protocol.phases
        for part in (phase.entry, phase.exit)
        for c in (part.all if part else ())
    )
    if not timed:
        yield Violation(
            "no phase is gated on time since surgery: add 'weeks-since-surgery' criteria to the phases that protect "
            "healing.",
            ("phases",),
            at_key=True,
        )
    if not any(p.until_weeks_after_surgery or p.until_clearance for p in protocol.precautions):
        yield Violation(
            "a post-surgical protocol needs precautions (movements to avoid early) that last until a number of weeks "
            "after surgery or until clearance.",
            ("precautions",) if protocol.precautions else ("phases",),
            at_key=True,
        )


def rule_never_acts(context: LintContext) -> Iterator[Violation]:
    """Every symptom rule can fire and do what it says: the action suits the measure, the threshold is reachable."""
    assert context.protocol is not None
    for i, rule in enumerate(context.protocol.symptom_rules):
        measure = SYMPTOM_MEASURES[rule.measure]
        if rule.action in EXERCISE_ACTIONS and measure.when != "exercise":
            yield Violation(
                f"symptom rule {rule.id!r} would '{rule.action}', which acts on one exercise, but {rule.measure} is "
                "not "
                "measured per exercise: use reduce-load, hold or stop-and-review, or a pain-during rule.",
                ("symptom_rules", i, "action"),
            )
        if measure.scale is not None and rule.above is not None and rule.above >= measure.scale:
            yield Violation(
                f"symptom rule {rule.id!r} fires only above {number_text(rule.above)}, but {rule.measure} never goes "
                "above "
                f"{number_text(measure.scale)}: it can never fire.",
                ("symptom_rules", i, "above"),
            )


#: The symptom-rule measures a next-morning report ('rehabkit next-day') feeds.
NEXT_MORNING = ("pain-next-morning", "next-morning-over-baseline", "not-settled-after-hours")


def next_morning_ignored(context: LintContext) -> Iterator[Violation]:
    """The protocol reacts to at least one of the next-morning measures rehabkit records."""
    assert context.protocol is not None
    if not {rule.measure for rule in context.protocol.symptom_rules} & set(NEXT_MORNING):
        yield Violation(
            "no symptom rule reacts to the next morning ('rehabkit next-day' records pain the morning after and the "
            "hours it took to settle): add a rule on 'pain-next-morning', 'next-morning-over-baseline' or "
            "'not-settled-after-hours', or a report is recorded and nothing acts on it.",
            ("symptom_rules",),
            at_key=True,
        )


#: Words RK301 and RK306 use for a sign, where the vocabulary's plain words would not read in their sentence.
_LUMBAR_WORDS = {"cauda-equina": "cauda equina signs: new bladder or bowel disturbance or numbness in the saddle area"}
_URGENT_WORDS = {
    "cauda-equina": "cauda equina signs",
    "blood-clot": "signs of a blood clot",
    "arm-numbness-or-weakness": "numbness or weakness in an arm with upper-back pain",
}
_SOURCES = (
    "the spine-rehabilitation seeds' pause-and-review list and the IFOMPT framework for red flags (Finucane et al., "
    "JOSPT 2020;50(7):350)"
)


#: What RK301 decides per document format (``rehabkit rules RK301``).
_PER_FORMAT = (
    f"Per format: for a document declaring 'format: {CURRENT_FORMAT}' (the current format) a sign not covered is an "
    "error. For a document of format 1 (no 'format': written for rehabkit 0.1) it is a deprecation warning until "
    f"rehabkit {ERROR_IN_RELEASE} when rehabkit's shared red-flag set has a question for the sign, and that shared "
    "question is asked before every session meanwhile, so that no patient misses it; a sign the shared set has no "
    "question for stays an error. "
)


def coverage_explanation(policy: Mapping[str, Any], set_by: Mapping[str, str]) -> str:
    """RK301's explanation for the red-flag minimum set, the lower-back conditions and the signs they add, as
    ``policy`` (clinical_policy.json's shape) has them; ``set_by``: the settings packs set, setting -> pack."""
    flags = policy["red_flags"]
    text = (
        "Red-flag screening comes before every session. Each protocol's questions, tagged with 'covers', must "
        "together screen for: " + "; ".join(RED_FLAG_SIGNS[sign] for sign in flags["required_signs"]) + ". "
    )
    if flags["lumbar_conditions"]:
        text += (
            f"Protocols for the lower back (conditions {', '.join(sorted(flags['lumbar_conditions']))}) must also "
            f"screen for {'; '.join(_LUMBAR_WORDS.get(s, RED_FLAG_SIGNS[s]) for s in flags['lumbar_required_signs'])}. "
        )
    for group in flags.get("region_required_signs", ()):
        text += (
            f"Protocols for {group['region']} (conditions {', '.join(sorted(group['conditions']))}) must also screen "
            f"for {'; '.join(RED_FLAG_SIGNS[s] for s in group['signs'])}. "
        )
    text += (
        "Every protocol has at least one question that refers urgently ('action: refer-urgently'). Questions a "
        "protocol takes from a red-flag library count as its own: 'shared_red_flags: {minimum_set_from: "
        f"{SHARED_RED_FLAG_LIBRARY}}}' asks rehabkit's shared question for each sign the minimum set in force requires "
        "and no other question covers (a sign the clinic adds is then asked with no change to the protocol), and "
        "'shared_red_flags: {questions: [ID, ...]}' takes questions by id; their 'covers' count here. "
    ) + _PER_FORMAT
    if not set_by:
        return (
            f"{text}Source: {_SOURCES}. These are rehabkit's defaults (clinical_policy.json); a clinic's pack may set "
            "its own through rehabkit_register_clinical_policy."
        )
    return f"{text}rehabkit's defaults follow {_SOURCES}.{in_force(set_by)}"


def urgency_explanation(policy: Mapping[str, Any], set_by: Mapping[str, str]) -> str:
    """RK306's explanation for the urgent signs of ``policy``; ``set_by``: the settings packs set, setting -> pack."""
    urgent = and_list([_URGENT_WORDS.get(s, RED_FLAG_SIGNS[s]) for s in policy["red_flags"]["urgent_signs"]])
    return (
        f"{urgent[0].upper()}{urgent[1:]} need same-day medical help: their questions must 'refer-urgently'. A "
        "question for any sign of the minimum set (RK301) must at least 'stop-and-review'; 'note' would let the "
        "session go on." + in_force(set_by)
    )


RULES = (
    LintRule(
        code="RK301",
        severity=Severity.ERROR,
        summary="the red flags do not cover the minimum set",
        check=red_flag_coverage,
        explanation=coverage_explanation(policy(), {}),
    ),
    LintRule(
        code="RK302",
        severity=Severity.ERROR,
        summary="the symptom rules are missing a kind of response",
        check=symptom_rule_coverage,
        explanation=(
            "Pain is a signal the protocol acts on. Symptom rules must cover pain during exercise "
            "('pain-during'), the response after a session (pain after, the next morning, or the time "
            "it takes to settle), and no improvement over weeks ('no-improvement-weeks' with "
            "stop-and-review and a 'min_change', the fall in pain that counts as an improvement). The time "
            "without improvement is compared with each phase's 'review_after_weeks', so every phase needs one "
            "and the rule gives no 'above' of its own. Per format: for a document declaring "
            f"'format: {CURRENT_FORMAT}' the rule's own 'above' is an error; for a document of format 1 (no "
            f"'format': written for rehabkit 0.1) it is a deprecation warning until rehabkit {ERROR_IN_RELEASE}, "
            "and it "
            "keeps its old meaning: it is the limit in every phase without 'review_after_weeks'. See the "
            "pain-monitoring model (Silbernagel et al. 2007) and, for a meaningful change of 2 points, Childs et al. "
            "2005."
        ),
    ),
    LintRule(
        code="RK303",
        severity=Severity.ERROR,
        summary="an exercise involves a movement a precaution rules out at that time",
        check=precaution_conflict,
        explanation=(
            "An exercise's 'movements' (bend, twist, lift, ...) must not include the movement of a "
            "precaution that applies in the phase using it. A precaution applies until the phase named "
            "in 'until_phase', until 'until_weeks_after_surgery' (compared with the earliest week the "
            "phase can start, from its weeks-since-surgery entry criteria), or, with neither, throughout "
            "the protocol. A precaution with a 'region' applies only to exercises of that region (and "
            "whole-spine ones): 'no turning the head' is movement 'twist' in region 'cervical'. "
            "Precautions of movement 'other' are not checked."
        ),
    ),
    LintRule(
        code="RK304",
        severity=Severity.ERROR,
        summary="an exercise is used before the stage it suits",
        check=stage_conflict,
        explanation=(
            "An exercise's 'earliest_stage' (acute, recovery, maintenance) says when it becomes suitable; "
            "a phase's 'stage' says where the phase stands. Loaded or demanding exercises (loaded "
            "twisting, impact) must not appear in an acute phase: use the exercise's regression instead."
        ),
    ),
    LintRule(
        code="RK305",
        severity=Severity.ERROR,
        summary="a post-surgical protocol is not gated on clearance and time since surgery",
        check=surgical_gates,
        explanation=(
            "After spine surgery, exercise starts only with the surgeon's clearance and early precautions "
            "(no bending, lifting or twisting) last for weeks. A protocol whose conditions include a "
            "post-surgical one must require surgeon clearance in its supervision and in its first phase's "
            "entry criteria, gate phases on weeks since surgery, and have precautions that last until a "
            "number of weeks after surgery or until clearance."
        ),
    ),
    LintRule(
        code="RK306",
        severity=Severity.ERROR,
        summary="a red flag's action is too weak for what it screens",
        check=weak_red_flag_action,
        explanation=urgency_explanation(policy(), {}),
    ),
    LintRule(
        code="RK307",
        severity=Severity.ERROR,
        summary="a symptom rule can never act",
        check=rule_never_acts,
        explanation=(
            "A rule that can never fire gives false reassurance. 'regress' and 'stop-exercise' act on one "
            "exercise, so only 'pain-during' (measured per exercise) can trigger them; a threshold at or above "
            "the top of its measure's scale (pain 10/10) is never passed. Every measure a rule names is one "
            "rehabkit records: pain during each exercise and after the session, new symptoms, and the next "
            "morning's pain and settling time ('rehabkit next-day')."
        ),
    ),
    LintRule(
        code="RK308",
        severity=Severity.WARNING,
        summary="no symptom rule reacts to the next morning",
        check=next_morning_ignored,
        explanation=(
            "'rehabkit next-day' records the patient's pain the morning after a session and the hours it took to "
            "settle. Pain that has not settled by the next morning is the pain-monitoring model's sign of overload "
            "(Silbernagel et al. 2007): a protocol with no rule on 'pain-next-morning', "
            "'next-morning-over-baseline' or 'not-settled-after-hours' records such a report and never acts on it "
            "('next-day' then says so). Add one, for example a hold or reduce-load when next-morning pain is above "
            "the pain before the session."
        ),
    ),
)
