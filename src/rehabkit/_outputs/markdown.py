"""Markdown handouts: for pasting into a clinic's own system or reading as plain text.

Every string from a protocol or a pack goes through :func:`md`: no HTML, link,
heading, list or emphasis it did not mean, and control characters written
visibly, so a title holding ``<script>`` or ``# heading`` stays text.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from .content import Handout

__all__ = ["escape_markdown", "render_handout_markdown"]

_SPECIAL = set("\\`*_{}[]()#+-!|~.")


def escape_markdown(text: Any) -> str:
    """Text from a protocol or pack, safe in Markdown, on one line: no HTML, link, heading, list or emphasis it did
    not mean, and control characters shown rather than written (public: a pack's Markdown renderer uses it too)."""
    out = []
    for character in " ".join(str(text).split()):  # one line: a newline could start a heading or a list
        if character == "<":
            out.append("&lt;")
        elif character == ">":
            out.append("&gt;")
        elif character == "&":
            out.append("&amp;")
        elif character in _SPECIAL:
            out.append("\\" + character)
        elif unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\\\u{ord(character):04x}")
        else:
            out.append(character)
    return "".join(out)


md = escape_markdown


def render_handout_markdown(handout: Handout) -> str:
    """The handout as Markdown: the same sections as the HTML handout, the log as a table."""
    h = handout
    lines = [f"# {md(h.protocol.title)}: {md(h.phase.name)}", "", f"> **{md(h.statement)}**", ""]
    if h.patient:
        review = f" Next review: {h.log.review.isoformat()}." if h.log.review else ""
        if h.log.overdue and h.log.review:
            review = f" **Your review was due on {h.log.review.isoformat()}: contact your clinician to have it now.**"
        made = f", made on {h.date.isoformat()}" if h.date else ""
        lines += [f"Plan for {md(h.patient)}{made}.{review}", ""]
    else:
        lines += ["A phase of the protocol, at its starting dose. Your clinician sets your own dose.", ""]
    if h.phase.goals:
        lines += ["## Goals of this phase", "", *(f"- {md(goal)}" for goal in h.phase.goals), ""]
    if h.changes:
        lines += ["## Changed for now", "", *(f"- {md(line)}" for line in h.changes), ""]
    if h.cautions:
        lines += ["## Take care", "", *(f"- {md(line)}" for line in h.cautions), ""]
    if h.week:
        lines += ["## Your week", "", md(h.week_note), "", "| Day | Exercises |", "|---|---|"]
        lines += [f"| {md(d.name)} | {', '.join(md(e) for e in d.exercises) or 'Rest day'} |" for d in h.week]
        lines.append("")
    lines += ["## Your exercises", ""]
    for number, card in enumerate(h.cards, 1):
        lines += [f"### {number}\\. {md(card.name)}", ""]
        if card.replaces:
            lines += [f"In place of {md(card.replaces)}, for now.", ""]
        lines += [f"**Dose:** {md(card.dose)}", ""]
        if card.figure_file:  # written beside the handout by 'rehabkit handout -o NAME.md'
            lines += [f"![{md(card.figure_text)}]({quote(card.figure_file)})", ""]
        if card.days:
            lines += [f"On {md(card.days)}.", ""]
        if card.equipment:
            lines += [f"You need: {', '.join(md(e) for e in card.equipment)}", ""]
        lines += [f"{n}. {md(step)}" for n, step in enumerate(card.steps, 1)]
        if card.cues:
            lines += ["", *(f"- {md(cue)}" for cue in card.cues)]
        if card.note:
            lines += ["", md(card.note)]
        if card.avoid_if:
            lines += ["", "**Avoid it if:**", "", *(f"- {md(a)}" for a in card.avoid_if)]
        if card.stop_if:
            lines += ["", "**Stop if:**", "", *(f"- {md(s)}" for s in card.stop_if)]
        lines.append("")
    lines += ["## Stop and get help", "", "Ask yourself these questions before every session.", ""]
    for group in h.get_help:
        lines += [f"### {md(group.heading)}", "", md(group.what_to_do), ""]
        lines += [f"- **{md(question)}** {md(message)}" for question, message in group.signs]
        lines.append("")
    if h.advice:
        lines += ["## Every day", "", *(f"- {md(line)}" for line in h.advice), ""]
    lines += [
        "## Your exercise log",
        "",
        "Pain from 0 (none) to 10 (worst imaginable). Bring it to your next appointment: your clinician enters it in "
        "your record.",
    ]
    lines += ["", "| " + " | ".join(md(c) for c in h.log.columns) + " |", "|" + "---|" * len(h.log.columns)]
    for day in h.log.rows:
        lines.append("| " + (day.isoformat() if day else " ") + " |" + "   |" * (len(h.log.columns) - 1))
    lines += ["", f"*{md(h.source)}, content reviewed {md(h.reviewed)}; made by rehabkit.*", ""]
    return "\n".join(lines)
