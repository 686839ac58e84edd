"""``rehabkit handout PROTOCOL``: one phase of a protocol as a printable Markdown handout."""

from __future__ import annotations

from typing import Any

import click

from rehabkit import CommandState


@click.command("handout")
@click.argument("protocol_id", metavar="PROTOCOL")
@click.option("--phase", "phase_id", default=None, metavar="ID",
              help="The phase to print (default: the first phase). 'rehabkit show PROTOCOL' lists them.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", show_default=True,
              help="Write the handout to this file instead of standard output.")
@click.pass_obj
def handout(state: CommandState, protocol_id: str, phase_id: str | None, output: Any) -> None:
    """Print one phase of PROTOCOL as a Markdown handout for the patient.

    The handout starts with the protocol's statement that the plan assumes a
    prior clinical assessment, then lists the phase's exercises with their
    doses and steps, the precautions, the advice, and the warning signs that
    mean stopping and contacting the clinic. Added by the example-clinic pack.

    \b
    Examples:
      rehabkit handout neck-pain
      rehabkit handout low-back-pain-acute --phase recovery -o handout.md
    """
    from rehabkit.engine import plan_session

    registry = state.registry()
    try:
        protocol = registry.find_protocol(protocol_id).item
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    phase_id = phase_id or protocol.phases[0].id
    if phase_id not in {p.id for p in protocol.phases}:
        known = ", ".join(p.id for p in protocol.phases)
        raise click.BadParameter(f"{protocol.id} has no phase {phase_id!r}; its phases are {known}.",
                                 param_hint="'--phase'")
    plan = plan_session(protocol, phase_id, registry.exercise_library())
    output.write(render(plan))


def md(text: Any) -> str:
    """Text from a protocol or pack, safe in Markdown: no HTML, links, headings or emphasis it did not mean,
    and control characters shown rather than written."""
    import unicodedata

    out = []
    for character in " ".join(str(text).split()):  # one line: a newline could start a heading or a list
        if character == "<":
            out.append("&lt;")
        elif character == ">":
            out.append("&gt;")
        elif character == "&":
            out.append("&amp;")
        elif character in "\\`*_{}[]()#+-!|~":
            out.append("\\" + character)
        elif unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\u{ord(character):04x}")
        else:
            out.append(character)
    return "".join(out)


def render(plan: Any) -> str:
    """The Markdown text of a session plan's handout; every text from the protocol or a pack is escaped."""
    protocol, phase = plan.protocol, plan.phase
    lines = [f"# {md(protocol.title)}: {md(phase.name)}", "", f"> {md(plan.statement)}", ""]
    if phase.goals:
        lines += ["## Goals of this phase", "", *(f"- {md(goal)}" for goal in phase.goals), ""]
    lines += ["## Your exercises", ""]
    for number, item in enumerate(plan.items, 1):
        lines += [f"### {number}. {md(item.exercise.name)}", "", f"**Dose:** {md(item.dose_text)}", ""]
        lines += [f"{step_number}. {md(step)}" for step_number, step in enumerate(item.exercise.steps, 1)]
        if item.exercise.cues:
            lines += ["", *(f"- {md(cue)}" for cue in item.exercise.cues)]
        lines.append("")
    active = [p for p in protocol.precautions if p.until_phase is None or _before(protocol, phase.id, p.until_phase)]
    if active:
        lines += ["## Take care", "", *(f"- {md(p.description)}" + (f" {md(p.limit)}" if p.limit else "") for p in active), ""]
    if protocol.advice:
        lines += ["## Every day", "", *(f"- {md(advice)}" for advice in protocol.advice), ""]
    lines += ["## Before every session", "", "If the answer to any of these questions is yes, do not exercise:", ""]
    lines += [f"- {md(flag.question)} *{md(flag.message)}*" for flag in protocol.red_flags]
    lines.append("")
    return "\n".join(lines)


def _before(protocol: Any, phase_id: str, until_phase: str) -> bool:
    order = [p.id for p in protocol.phases]
    return until_phase not in order or order.index(phase_id) < order.index(until_phase)
