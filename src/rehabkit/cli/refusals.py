"""What the command line says when it refuses to go on, and how to record what is missing, in plain words.

Hints that name commands and options live here, not in the engine: the engine says which fact is missing
(:class:`rehabkit.engine.Unmet`) or why a course is stopped; this module says so to people, names the command
that records the fact, and builds the exception that ends the command (:mod:`rehabkit.cli.exits`), with the
refusal as a JSON object on standard output under ``--format json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._common.exit_codes import ExitCode
from .exits import CommandExit, exit_with

if TYPE_CHECKING:
    from .._common.errors import DamagedRecord
    from ..engine import Course, Unmet
    from ..model import Protocol

__all__ = [
    "APPROVAL_WORDS",
    "damaged_refusal",
    "describe_morning_review",
    "describe_stop",
    "gate_lines",
    "gate_refusal",
    "how_to_record",
    "protocol_refusal",
    "refusal",
    "rule_failure_exit",
    "stop_refusal",
]

#: Each kind of approval, as the messages that record or ask for one name it.
APPROVAL_WORDS = {"surgeon-clearance": "surgeon's clearance", "clinician-approval": "clinician's approval"}

_REVIEW_COMMAND = "rehabkit review {patient} --clinician ID --outcome resume|earlier-phase|discharge|refer"


def refusal(
    output_format: str, patient: str, why: str, lines: list[str], *, status: str, code: ExitCode, **extra: Any
) -> CommandExit:
    """The exception (to raise) that refuses to go on for ``patient``: the lines on standard error and, with
    ``--format json``, an object on standard output; exit ``code``."""
    stdout = None
    if output_format == "json":
        stdout = json.dumps({"patient": patient, "refused": why, "status": status, "message": lines, **extra}, indent=2)
    return exit_with(code, *lines, stdout=stdout)


def stop_refusal(output_format: str, patient: str, course: Course) -> CommandExit:
    """The refusal of a paused, referred or discharged course: why and since when, and how to lift it (exit 6)."""
    return refusal(
        output_format,
        patient,
        "course-stopped",
        describe_stop(course, patient),
        status=course.status,
        code=ExitCode.COURSE_STOPPED,
    )


def damaged_refusal(output_format: str, error: DamagedRecord, patient: str | None = None) -> CommandExit:
    """The refusal of a course whose stored record holds a row that cannot be read: every such row named, and what
    to do (exit 10). Nothing was recorded: the check comes before any write."""
    whose = patient or error.patient
    lines = [
        f"rehabkit: error: the stored record of {whose} cannot be read, so nothing is done for {whose} and "
        "nothing was recorded:"
        if whose
        else "rehabkit: error: a stored record cannot be read, so nothing was done and nothing was recorded:",
        *[f"  - {row.describe()}" for row in error.rows],
        f"What to do: {error.remedy}",
    ]
    return refusal(
        output_format,
        whose or "",
        "damaged-record",
        lines,
        status="damaged",
        code=ExitCode.DAMAGED_RECORD,
        damaged=[row.to_dict() for row in error.rows],
    )


def _in_a_sentence(summary: str) -> str:
    """A protocol's criteria summary ("A clinician has assessed you ...") continuing a sentence: its first word in
    lower case, unless it is an abbreviation (NDI, ODI)."""
    first = summary.split(" ", 1)[0]
    if first and first[0].isupper() and (first == "A" or first[1:].islower()):
        return first[0].lower() + summary[1:]
    return summary


def gate_refusal(
    output_format: str, patient: str, protocol: Protocol, phase_id: str, result: Any, status: str
) -> CommandExit:
    """The refusal of a session whose phase gate is closed: the criteria's summary, what is missing, how to
    record it (exit 7)."""
    lines = gate_lines(patient, protocol, phase_id, result)
    return refusal(
        output_format,
        patient,
        "gate-closed",
        lines,
        status=status,
        code=ExitCode.GATE_CLOSED,
        unmet=[u.to_dict() for u in result.missing],
        phase=phase_id,
    )


def gate_lines(patient: str, protocol: Protocol, phase_id: str, result: Any) -> list[str]:
    """What a closed gate's refusal says: the criteria's summary, what is missing, how to record it."""
    phase = protocol.phase(phase_id)
    return [
        f"Today's session cannot start: the phase {phase.name!r} starts only when {_in_a_sentence(result.summary)}",
        *[f"  - still needed: {u.text}" for u in result.missing],
        *how_to_record(result.missing, patient, phase_id, protocol),
    ]


def protocol_refusal(what: str, errors: list[Any], why: str = "has lint errors") -> CommandExit:
    """The refusal of a protocol that does not read, match the schema or pass the lint rules (exit 1): only
    lint-clean protocols run for patients. When a lint rule itself failed on it (raised, or took longer than its
    time budget: RK099), the protocol could not be checked: that is a failure (exit 3), as in every command."""
    from .._documents.validation import FAILURE_CODES

    if any(finding.code in FAILURE_CODES for finding in errors):
        return rule_failure_exit(
            f"{what} could not be checked, so it is not run for patients:", [f.format_text() for f in errors]
        )
    return exit_with(
        ExitCode.FINDINGS,
        f"rehabkit: error: {what} {why}, so it is not run for patients until it is fixed:",
        *[f"  {finding.format_text()}" for finding in errors],
        "Check it with 'rehabkit validate'; 'rehabkit rules CODE' explains a rule.",
    )


def rule_failure_exit(what: str, lines: Iterable[str]) -> CommandExit:
    """The end of a command in which a lint rule failed (raised, or took longer than its time budget): exit 3,
    as 'rehabkit validate' ends, whichever command checked the protocol, ``what`` and ``lines`` said first."""
    return exit_with(
        ExitCode.FAILURE,
        f"rehabkit: error: {what}",
        *[f"  {line}" for line in lines],
        "A lint rule that fails (RK099) is a failure of its pack, not a finding in the protocol: fix the rule, "
        "or block its pack with -p no:PACK (or REHABKIT_BLOCK_PLUGINS=PACK). 'rehabkit validate' lists every finding.",
    )


def how_to_record(unmet: Iterable[Unmet], patient: str, gate: str, protocol: Protocol) -> list[str]:
    """For each missing fact, the command or option that records it (in the order the criteria list them)."""
    from .._common.vocabulary import CRITERION_MEASURES

    hints: list[str] = []
    for item in unmet:
        info = CRITERION_MEASURES.get(item.measure)
        source = info.recorded_by if info else ""
        if source == "approval":
            hint = (
                f"record it with: rehabkit approve {patient} --protocol {protocol.id} --phase {gate} "
                f"--kind {item.measure}"
                + (
                    " (by the surgeon; or a clinician transcribing the surgeon's letter adds --surgeon NAME "
                    "--evidence TEXT)"
                    if item.measure == "surgeon-clearance"
                    else " (by a clinician)"
                )
            )
        elif source == "surgery-date":
            if item.unknown:
                hint = (
                    "record the surgery date with --surgery-date YYYY-MM-DD (on 'rehabkit run' or 'rehabkit approve')"
                )
            else:
                hint = "this takes time since surgery: it cannot be brought forward"
        elif source.startswith("outcome:"):
            hint = f"score it with: rehabkit measure {patient} {source.split(':', 1)[1]}"
        elif item.measure == "weeks-in-phase":
            hint = "this takes time in the phase: sessions on the same day do not shorten it"
        else:
            continue
        if hint not in hints:
            hints.append(hint)
    return hints


def describe_stop(course: Course, patient: str) -> list[str]:
    """Why a course is stopped, since when, and how a clinician lifts it, in plain words."""
    stop = course.stop
    if stop is None:
        return []
    since = stop.date.isoformat()
    lines: list[str]
    from .._common.text import visible
    from ..engine.events import Pause, Review

    detail = stop.detail
    if isinstance(detail, Pause):
        cause = {
            "screening": "a red-flag answer at screening",
            "no-improvement": "no meaningful improvement over the review period",
            "next-day": "the next-morning report",
        }.get(detail.cause, "the session's decision")
        urgent = detail.action == "refer-urgently"
        lines = [
            f"This course has been paused since {since} because of {cause}"
            + (": the patient was told to seek medical help urgently." if urgent else ": a clinician must review it.")
        ]
        lines += [f"  - {reason}" for reason in detail.reasons]
        lines += [f"  {message}" for message in detail.messages or ()]
    else:
        outcome = detail.outcome if isinstance(detail, Review) else None
        who = f" by {stop.by}" if stop.by else ""
        word = "referred on" if outcome == "refer" else "discharged from this programme"
        lines = [f"The patient was {word} at a review on {since}{who}."]
        if isinstance(detail, Review) and detail.note:
            lines.append(f"  Note: {visible(detail.note)}")  # on its one line, whatever it holds
    lifted = course.lifted_later
    if lifted is not None:
        lines.append(
            f"A review on {lifted.date.isoformat()} lifted it, after the date this record is for: a session, and "
            "what it decides, is judged by the course as it stood on its own date, so nothing is recorded inside a "
            "paused period. Enter it with a date on or after the review, or record the review that happened before "
            f"it with its own date ({_REVIEW_COMMAND.format(patient=patient)} --date YYYY-MM-DD)."
        )
        return lines
    lines.append(
        f"No session runs until a clinician records a review: {_REVIEW_COMMAND.format(patient=patient)} "
        "[--phase P] [--note TEXT]"
    )
    return lines


def describe_morning_review(course: Course, patient: str) -> list[str]:
    """Why no plan is handed out when the last next-morning report asks for a review that ``next-day`` did not act
    on: the next session would pause the course."""
    return [
        f"{patient}'s last next-morning report asks for a review ({', '.join(r.describe() for r in course.morning)}): "
        "the next session would pause the course, so no plan is handed out.",
        *[f"  {r.rule.message}" for r in course.morning],
        f"A clinician records the review with: {_REVIEW_COMMAND.format(patient=patient)}",
    ]
