"""Exit codes of the ``rehabkit`` command, defined in this one place.

Kept in a module of its own, importing only :mod:`enum`, so that ``rehabkit
--help`` can print them without importing anything heavier. ``--help``, the
README and docs/run.md print :data:`EXIT_CODE_MEANINGS`; a test keeps the
documents equal to it.
"""

from __future__ import annotations

import enum

__all__ = [
    "EXIT_CODE_MEANINGS",
    "EXIT_CODE_NAMES",
    "GENERAL_EXIT_CODES",
    "RUN_EXIT_CODES",
    "ExitCode",
    "exit_code_help",
    "exit_code_table",
]


class ExitCode(enum.IntEnum):
    """Exit codes of the ``rehabkit`` command, the one place they are defined.

    ``--help``, the README and docs/run.md print :data:`EXIT_CODE_MEANINGS`;
    a test keeps the documents equal to it.
    """

    OK = 0
    FINDINGS = 1
    USAGE = 2
    FAILURE = 3
    STOPPED_FOR_REVIEW = 4
    URGENT_REFERRAL = 5
    COURSE_STOPPED = 6
    GATE_CLOSED = 7
    PATIENT_BUSY = 8
    NOT_PERMITTED = 9
    DAMAGED_RECORD = 10
    INTERRUPTED = 130


#: What each exit code means, in the words ``--help`` and the documents use.
EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FINDINGS: (
        "findings: a document is invalid or a protocol has lint errors (warnings too with validate --strict), "
        "or a protocol, rule or patient was not found"
    ),
    ExitCode.USAGE: "usage error: unknown option, missing file, bad date or answers file",
    ExitCode.FAILURE: "rehabkit or a plugin pack failed (see --strict)",
    ExitCode.STOPPED_FOR_REVIEW: (
        "stopped for review: a red flag or the decision paused the course until a clinician's review"
    ),
    ExitCode.URGENT_REFERRAL: (
        "urgent referral: seek medical help now; the course is paused until a clinician's review"
    ),
    ExitCode.COURSE_STOPPED: (
        "the course is paused, referred or discharged: nothing ran (record a review with 'rehabkit review')"
    ),
    ExitCode.GATE_CLOSED: "a gate of the phase is not met (clearance, approval, time since surgery): nothing ran",
    ExitCode.PATIENT_BUSY: (
        "another command is recording this patient's course right now: nothing was recorded "
        "(try again when it has ended)"
    ),
    ExitCode.NOT_PERMITTED: (
        "not permitted: no registered person acts from this account or login, or their role may not do this "
        "(see 'rehabkit staff list')"
    ),
    ExitCode.DAMAGED_RECORD: (
        "a stored record of this patient cannot be read (named in the message): nothing was recorded; "
        "everyone else's courses still work"
    ),
    ExitCode.INTERRUPTED: (
        "interrupted (Ctrl-C or end of input): answers so far are kept, the session is marked incomplete"
    ),
}
#: The codes every command shares; the course commands add the others.
GENERAL_EXIT_CODES = (ExitCode.OK, ExitCode.FINDINGS, ExitCode.USAGE, ExitCode.FAILURE)
#: The codes of ``rehabkit run``.
RUN_EXIT_CODES = tuple(ExitCode)


#: A word or two for each code, for the one line each command's ``--help`` gives.
EXIT_CODE_NAMES: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FINDINGS: "findings",
    ExitCode.USAGE: "usage error",
    ExitCode.FAILURE: "failure",
    ExitCode.STOPPED_FOR_REVIEW: "stopped for review",
    ExitCode.URGENT_REFERRAL: "urgent referral",
    ExitCode.COURSE_STOPPED: "course stopped",
    ExitCode.GATE_CLOSED: "gate closed",
    ExitCode.PATIENT_BUSY: "patient busy",
    ExitCode.NOT_PERMITTED: "not permitted",
    ExitCode.DAMAGED_RECORD: "damaged record",
    ExitCode.INTERRUPTED: "interrupted",
}


def exit_code_table() -> str:
    """The one complete exit-code table, for ``rehabkit --help`` (click's ``\\b`` keeps its lines)."""
    return "\b\nExit codes:\n" + "".join(f"  {int(code):<3}  {EXIT_CODE_MEANINGS[code]}\n" for code in ExitCode)


def exit_code_help(codes: tuple[ExitCode, ...] = GENERAL_EXIT_CODES) -> str:
    """The line of a command's ``--help`` naming the codes it can return; the table lives in ``rehabkit --help``."""
    named = ", ".join(f"{int(code)} {EXIT_CODE_NAMES[code]}" for code in codes)
    return f"Exit codes: {named} ('rehabkit --help' explains each)."
