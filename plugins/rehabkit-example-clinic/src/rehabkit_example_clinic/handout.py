"""The clinic's own handout renderer: rehabkit's handout content as Markdown under the clinic's letterhead.

Registered through ``rehabkit_register_renderers`` and used with
``rehabkit handout PROTOCOL --renderer clinic-handout -o FILE.md`` (or
``--patient ID``). rehabkit works out the content (doses, cautions, "stop if"
lines, warning signs by urgency, the paper log); this module only lays it out,
escaping every text from a protocol or pack for Markdown.
"""

from __future__ import annotations

from typing import Any

# rehabkit's own Markdown escaping: no HTML, links, headings or emphasis a protocol did not mean,
# control characters shown.
from rehabkit import escape_markdown as md


def render(handout: Any, letterhead: str = "") -> str:
    """The Markdown text of a :class:`rehabkit.Handout` under ``letterhead``."""
    lines = [f"**{md(letterhead)}**", ""] if letterhead else []
    lines += [f"# {md(handout.protocol.title)}: {md(handout.phase.name)}", "", f"> {md(handout.statement)}", ""]
    if handout.patient:
        lines += [f"For {md(handout.patient)}" + (f", {handout.date.isoformat()}" if handout.date else "") + ".", ""]
    if handout.changes:  # a dose lowered after a worse morning, an exercise left out: the patient must see it
        lines += ["## Changed for now", "", *(f"- {md(c)}" for c in handout.changes), ""]
    if handout.cautions:
        lines += ["## Take care", "", *(f"- {md(c)}" for c in handout.cautions), ""]
    lines += ["## Your exercises", ""]
    for number, card in enumerate(handout.cards, 1):
        lines += [f"### {number}\\. {md(card.name)}", "", f"**Dose:** {md(card.dose)}", ""]
        lines += [f"{step_number}. {md(step)}" for step_number, step in enumerate(card.steps, 1)]
        if card.cues:
            lines += ["", *(f"- {md(cue)}" for cue in card.cues)]
        if card.avoid_if:
            lines += ["", "**Avoid if:** " + "; ".join(md(a) for a in card.avoid_if)]
        if card.stop_if:
            lines += ["", "**Stop if:** " + "; ".join(md(s) for s in card.stop_if)]
        lines.append("")
    if handout.advice:
        lines += ["## Every day", "", *(f"- {md(advice)}" for advice in handout.advice), ""]
    lines += ["## Before every session", ""]
    for group in handout.get_help:
        lines += [f"**{md(group.heading)}.** {md(group.what_to_do)}", ""]
        lines += [f"- {md(question)} *{md(message)}*" for question, message in group.signs]
        lines.append("")
    lines.append(f"*{md(handout.source)}*")
    return "\n".join(lines) + "\n"
