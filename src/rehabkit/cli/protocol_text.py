"""A protocol as plain text, in the order a clinician reads it: what ``rehabkit show`` prints.

Lines of at most 78 columns: the heading and supervision, red flags, each phase
with its timing, criteria and exercises at full dose, precautions, symptom
rules, daily advice and references. Each line is one line: the text of a
protocol never breaks one (a line break in it is written out, ``\\x0a``).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from .._common.text import number_text, visible

if TYPE_CHECKING:
    from ..model import Criteria, Exercise, ExerciseRef, Phase, Precaution, Protocol, SymptomRule

__all__ = ["render_text"]


def render_text(protocol: Protocol, library: dict[str, Exercise], source: str) -> list[str]:
    """The protocol as lines of plain text, in the order a clinician reads it.

    ``source`` says where it comes from: "pack NAME" or "file PATH".
    """
    out = _heading(protocol, source)
    out += _red_flags(protocol)
    for number, phase in enumerate(protocol.phases, 1):
        out += _phase(number, phase, library)
    if protocol.precautions:
        out += ["", "Precautions"]
        for precaution in protocol.precautions:
            out += _wrap(f"[{precaution.movement}] {_precaution_text(precaution)}", "  - ", "    ")
    out += ["", "Pain and symptom rules"]
    for rule in protocol.symptom_rules:
        out += _wrap(_symptom_rule_text(rule), "  - ", "    ")
    out += _section("Daily advice", protocol.advice)
    out += ["", "References"]
    for reference in protocol.references:
        link = f" doi:{reference.doi}" if reference.doi else (f" {reference.url}" if reference.url else "")
        out += _wrap(reference.citation + link, "  - ", "    ")
    out += ["", f"Reviewed {protocol.reviewed}" + (f" by {', '.join(protocol.authors)}" if protocol.authors else "")]
    return out


def _heading(protocol: Protocol, source: str) -> list[str]:
    """Title (underlined), the supervision statement, the summary, the conditions, who it suits and its goals."""
    title = f"{protocol.title}  ({protocol.id} {protocol.version}, {source})"
    out = [title, "=" * min(78, len(title))]
    out += _wrap(protocol.supervision.statement, "! ")
    if protocol.supervision.surgeon_clearance_required:
        out.append("! Start only with your surgeon's clearance.")
    out.append("")
    out += _wrap(protocol.summary)
    out.append(f"Conditions: {', '.join(protocol.conditions)}")
    if protocol.eligibility:
        out += _section("Suitable for", protocol.eligibility.inclusions)
        out += _section("Not suitable for", protocol.eligibility.exclusions)
    out += _section("Goals", protocol.goals)
    return out


def _red_flags(protocol: Protocol) -> list[str]:
    out = ["", "Red flags: answer before every session (by these ids in an answers file's 'screening')"]
    for flag in protocol.red_flags:
        out += _wrap(f"{flag.id}: {flag.question}  [{flag.action}]", "  - ", "    ")
        out += _wrap(f"If yes: {flag.message}", "    ", "    ")
    return out


def _phase(number: int, phase: Phase, library: dict[str, Exercise]) -> list[str]:
    """A phase: its name, focus and stage, timing, goals, entry and exit criteria, and its exercises."""
    out = ["", f"Phase {number}: {phase.name} ({phase.id})"]
    out.append(f"  Focus: {', '.join(phase.focus)}" + (f"; stage: {phase.stage}" if phase.stage else ""))
    timing = _timing(phase)
    if timing:
        out.append("  " + "; ".join(timing).capitalize())
    for goal in phase.goals:
        out += _wrap(goal, "  Goal: ", "        ")
    out += _criteria("Start when", phase.entry)
    out += _criteria("Move on when", phase.exit)
    out.append("  Exercises:")
    for ref in phase.exercises:
        out += _exercise(ref, library.get(ref.exercise))
    return out


def _timing(phase: Phase) -> list[str]:
    """How long the phase usually lasts, how many sessions a week, and when lack of improvement pauses the course."""
    timing = []
    if phase.expected_weeks is not None:
        timing.append(f"usually {phase.expected_weeks} weeks")
    if phase.sessions_per_week is not None:
        timing.append(f"{phase.sessions_per_week} sessions a week")
    if phase.review_after_weeks is not None:
        timing.append(
            f"the course pauses for a clinical review after {phase.review_after_weeks} weeks without improvement"
        )
    return timing


def _exercise(ref: ExerciseRef, exercise: Exercise | None) -> list[str]:
    """One exercise of a phase at its dose and progression, with the phase's note; if installed, its steps, cues,
    contraindications and easier and harder versions."""
    dose = ref.dose or (exercise.dose if exercise else None)
    name = exercise.name if exercise else f"{ref.exercise} (not installed)"
    out = [f"    * {name} [{ref.exercise}]: {dose.describe() if dose else 'no dose given'}"]
    moves = dose.describe_progression() if dose else None
    if moves:
        out += _wrap(f"Progression: {moves}", "      ", "      ")
    if ref.note:
        out += _wrap(ref.note, "      ", "      ")
    if exercise:
        for step_number, step in enumerate(exercise.steps, 1):
            out += _wrap(step, f"      {step_number}. ", "         ")
        for cue in exercise.cues:
            out += _wrap(cue, "      Cue: ", "           ")
        for item in exercise.contraindications:
            out += _wrap(item, "      Avoid if: ", "                ")
        links = [f"easier: {exercise.regression}"] if exercise.regression else []
        links += [f"harder: {exercise.progression}"] if exercise.progression else []
        if links:
            out.append(f"      ({'; '.join(links)})")
    return out


def _precaution_text(precaution: Precaution) -> str:
    """What to avoid, its limit and until when, as sentences."""
    until = []
    if precaution.until_weeks_after_surgery:
        until.append(f"until {precaution.until_weeks_after_surgery} weeks after surgery")
    if precaution.until_phase:
        until.append(f"until the {precaution.until_phase} phase")
    if precaution.until_clearance:
        until.append("until your clinician clears you")
    parts = [precaution.description, precaution.limit or "", "; ".join(until).capitalize()]
    text = " ".join(p if p.endswith(".") else p + "." for p in parts if p)
    if precaution.surgeon_may_override:
        text += " (your surgeon's instructions take precedence)"
    return text


def _symptom_rule_text(rule: SymptomRule) -> str:
    """The measure, its threshold and band, the action and the protocol's message."""
    threshold = (
        f" above {number_text(rule.above)}"
        if rule.above is not None
        else (" reaching each phase's review period" if rule.measure == "no-improvement-weeks" else "")
    )
    band = f" and at most {number_text(rule.at_most)}" if rule.at_most is not None else ""
    return f"{rule.measure}{threshold}{band} -> {rule.action}: {rule.message}"


def _wrap(text: str, first: str = "", rest: str | None = None) -> list[str]:
    """``text`` wrapped to 78 columns; a control character in it, a line break included, is written out first (as
    the lines that are not wrapped are, by :func:`rehabkit.cli.echo`) rather than folded into a space."""
    lines = textwrap.wrap(
        visible(text), width=78, initial_indent=first, subsequent_indent=first if rest is None else rest
    )
    return lines or [first]


def _section(title: str, items: tuple[str, ...]) -> list[str]:
    if not items:
        return []
    lines = ["", title]
    for item in items:
        lines += _wrap(item, "  - ", "    ")
    return lines


def _criteria(label: str, criteria: Criteria | None) -> list[str]:
    if criteria is None:
        return []
    lines = _wrap(criteria.summary, f"  {label}: ", " " * (len(label) + 4))
    for criterion in criteria.all:
        bounds = []
        if criterion.at_least is not None:
            bounds.append(f">= {number_text(criterion.at_least)}")
        if criterion.at_most is not None:
            bounds.append(f"<= {number_text(criterion.at_most)}")
        if criterion.equals is not None:
            bounds.append("yes" if criterion.equals else "no")
        if criterion.phase:
            bounds.append(criterion.phase)
        lines.append(f"      - {criterion.measure} {' '.join(bounds)}".rstrip())
    return lines
