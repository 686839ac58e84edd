"""What the course commands share: dates, the protocol a command names, known patients, and plain-words hints.

Hints that name commands and options live here, not in the engine: the engine
says which fact is missing, the command line says how to record it.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .._common.exit_codes import ExitCode
from . import F, echo

if TYPE_CHECKING:
    from ..engine import Course, Unmet
    from ..model import Protocol
    from . import AppState

__all__ = [
    "PAIN_SCORE",
    "Score",
    "check_staff_id",
    "date_option",
    "describe_stop",
    "how_to_record",
    "looks_like_path",
    "note_surgery_change",
    "patient_argument",
    "protocol_argument",
    "protocol_errors",
    "refuse",
    "refuse_gate",
    "require_patient",
    "resolve_protocol",
]


class Score(click.FloatRange):
    """A number in a closed range, refusing NaN and infinity (which compare false with any bound)."""

    name = "score"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number: give one from {self.min:g} to {self.max:g}.", param, ctx)
        return number


#: A pain score as typed or given on the command line: 0 (none) to 10 (worst imaginable).
PAIN_SCORE = Score(0, 10)


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime.date:
    today = datetime.date.today()
    if value is None:
        return today
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write YYYY-MM-DD.") from None
    if day > today:
        raise click.BadParameter(
            f"{value} is in the future (today is {today.isoformat()}); record only what has happened."
        )
    return day


def date_option(what: str) -> Callable[[F], F]:
    """``--date YYYY-MM-DD``: the day ``what`` happened (default today, the local date); a future date is refused."""
    return click.option(
        "--date",
        "day",
        default=None,
        metavar="YYYY-MM-DD",
        callback=_parse_date,
        help=f"The day {what} (default: today). Use it to enter one done on paper; a future date is refused.",
    )


def require_patient(store: Any, patient: str) -> None:
    """Exit 1 unless the store knows the patient (commands that read or add to a record never create one)."""
    from .._common.errors import ExitCode

    if not store.has_patient(patient):
        echo(
            f"rehabkit: error: no patient {patient!r} in the session store {str(store.path)!r}. A patient's record "
            "starts with their first 'rehabkit run' or 'rehabkit approve'; check the id and --db.",
            err=True,
        )
        raise SystemExit(ExitCode.FINDINGS)


def patient_argument(then: str | None = None) -> Callable[[F], F]:
    """The patient a command is about: its first argument (``history P-0042``) or ``--patient ID``, the form
    ``run`` and ``handout`` use, so that ``--patient`` works on every patient command.

    ``then`` names the argument after PATIENT (``measure PATIENT MEASURE``): with ``--patient`` given, the first
    argument typed is that one.
    """
    import functools

    from .completion import complete_patients

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, patient: str | None = None, patient_option: str | None = None, **kwargs: Any) -> Any:
            if patient_option is not None:
                if patient is not None and then is not None and kwargs.get(then) is None:
                    kwargs[then], patient = patient, None  # `measure --patient P-1 odi`: odi is the measure
                if patient is not None and patient != patient_option:
                    raise click.UsageError(
                        f"two patients given, {patient!r} and --patient {patient_option!r}: give one."
                    )
                patient = patient_option
            if patient is None:
                raise click.UsageError("name the patient: PATIENT, or --patient ID.")
            if then is not None and kwargs.get(then) is None:
                raise click.UsageError(f"Missing argument '{then.split('_')[0].upper()}'.")
            return function(*args, patient=patient, **kwargs)

        wrapper = click.option(
            "--patient",
            "patient_option",
            default=None,
            metavar="ID",
            shell_complete=complete_patients,
            help="The patient, as an option (the same as the PATIENT argument).",
        )(wrapper)
        wrapper = click.argument("patient", metavar="PATIENT", required=False, shell_complete=complete_patients)(
            wrapper
        )
        return wrapper  # type: ignore[return-value]

    return decorate


def protocol_argument(function: F) -> F:
    """The PROTOCOL argument: an installed protocol id (``id`` or ``id@version``) or the path of a protocol file."""
    from .completion import complete_protocols

    return click.argument("protocol_id", metavar="PROTOCOL", shell_complete=complete_protocols)(function)


def looks_like_path(text: str) -> bool:
    """True when PROTOCOL names a file rather than an installed id."""
    return os.sep in text or "/" in text or text.endswith((".yaml", ".yml", ".json")) or os.path.isfile(text)


def resolve_protocol(state: AppState, wanted: str, *, lint: bool = True) -> tuple[Protocol, str]:
    """The protocol a command names, and where it comes from (its pack, or its file).

    ``wanted`` is an installed id (``id`` or ``id@version``) or a protocol file's
    path. With ``lint``, a protocol with schema or lint errors is refused (exit 1)
    with its findings: only lint-clean protocols run for patients.
    """
    from .._common.errors import ExitCode, Severity
    from .._documents.validation import Checker

    registry = state.registry()
    rules = registry.rules()
    checker = Checker(
        library=registry.exercise_library(),
        rules=rules,
        known_codes=frozenset(r.code for r in rules),
        policy=registry.policy(),
        measure_scales=registry.measure_scales() or None,
    )
    if looks_like_path(wanted):
        if not os.path.isfile(wanted):
            raise click.BadParameter(
                f"no protocol file {wanted!r}, and no installed protocol has that id.", param_hint="'PROTOCOL'"
            )
        from .._common.errors import DocumentError
        from .._documents.builders import InvalidDocument, protocol_from_document
        from .._documents.loader import load_file

        try:
            document = load_file(wanted)
            protocol = protocol_from_document(document)
        except InvalidDocument as exc:
            _refuse(wanted, exc.findings, "does not match the schema")
        except DocumentError as exc:
            _refuse(wanted, [exc.to_finding()], "cannot be read")
        errors = [f for f in checker.check_parsed(document) if f.severity is Severity.ERROR]
        if errors and lint:
            _refuse(wanted, errors)
        for finding in errors:
            echo(f"rehabkit: warning: {finding.format_text()}", err=True)
        installed = registry.protocols.get(protocol.key)
        if installed is not None and lint:
            raise click.BadParameter(
                f"{wanted} has the id and version of the installed {protocol.key} (pack {installed.pack}); a patient's "
                "sessions of the two could not be told apart. Give your draft its own version (for example "
                f"{protocol.version}-draft.1) or run the installed one by its id.",
                param_hint="'PROTOCOL'",
            )
        return protocol, f"file {wanted}"
    try:
        registered = registry.find_protocol(wanted)
    except LookupError as exc:
        echo(f"rehabkit: error: {exc.args[0]}", err=True)
        raise SystemExit(ExitCode.FINDINGS) from None
    if lint:
        # Always linted here, never taken from a cached result: this is the gate before a patient's session, and
        # a rule may read what no fingerprint covers (a pack's data file, the environment).
        errors = protocol_errors(checker, registered, state.manager().cache)
        if errors:
            _refuse(f"{registered.item.key} (pack {registered.pack})", errors)
    return registered.item, f"pack {registered.pack}"


def lint_fingerprint(checker: Any) -> str:
    """A digest of everything the lint rules read besides the protocol: the rules (their code, the plain values
    they were made with, such as a limit from a pack's settings, and every source file of the package each
    rule comes from, so that an edit to a module a rule imports counts), the clinical policy, the outcome
    measures' scales, the exercise library and today's date. ``list`` marks protocols by lint results kept
    under it (rehabkit._plugins.doc_cache) while none of these changes; a file a rule reads as it checks is not
    covered, which is why ``run`` always checks the protocol it runs."""
    import datetime
    import json

    from .._plugins.doc_cache import fingerprint

    def plain(value: Any) -> Any:  # a value a rule was made with (a limit read from a pack's settings)
        if value is None or isinstance(value, (bool, int, float, str, bytes)):
            return value
        if isinstance(value, (tuple, list, frozenset, set)):
            return (type(value).__name__, sorted(map(repr, map(plain, value))))
        if isinstance(value, dict):
            return ("dict", sorted((repr(k), repr(plain(v))) for k, v in value.items()))
        return type(value).__qualname__  # an object: its type (its repr may hold an address)

    def code_of(function: Any) -> tuple[Any, ...]:
        code = getattr(function, "__code__", None)
        cells = [plain(cell.cell_contents) for cell in getattr(function, "__closure__", None) or () if _filled(cell)]
        return (
            getattr(function, "__module__", None),
            getattr(function, "__qualname__", repr(function)),
            code.co_code if code is not None else None,
            cells,
            plain(getattr(function, "__defaults__", None)),
            plain(getattr(function, "__kwdefaults__", None)),
        )

    rules = [(r.code, r.pack, r.severity.value, sorted(r.applies_to), code_of(r.check)) for r in checker.rules]
    packages = sorted({(getattr(r.check, "__module__", None) or "").partition(".")[0] for r in checker.rules} - {""})
    sources = [_source_files(name) for name in packages]
    return fingerprint(
        rules,
        sources,
        sorted(checker.known_codes),
        json.dumps(checker.policy, sort_keys=True, default=str),
        sorted((checker.measure_scales or {}).items()),
        sorted(dict(checker.library).items()),
        (checker.today or datetime.date.today()).isoformat(),
    )


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # a cell not yet filled
        return False
    return True


def _source_files(package: str) -> list[tuple[str, int, int]]:
    """Each Python source file of an imported package (or the file of a plain module), with its modification
    time and size."""
    import sys

    module = sys.modules.get(package)
    if module is None:
        return []
    folders = list(getattr(module, "__path__", None) or ())
    files = [] if folders or not module.__file__ else [module.__file__]
    while folders:
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".py"):
                files.append(entry.path)
            elif entry.name != "__pycache__" and not entry.name.startswith(".") and entry.is_dir():
                folders.append(entry.path)
    found = []
    for name in sorted(files):
        try:
            info = os.stat(name)
        except OSError:
            continue
        found.append((name, info.st_mtime_ns, info.st_size))
    return found


def protocol_errors(checker: Any, registered: Any, cache: Any = None) -> list[Any]:
    """The schema and lint errors of an installed protocol (warnings are not errors).

    With the pack manager's document ``cache``, a protocol registered from a file is checked in the very bytes
    its model was built from this command (parsed then, or parsed now from the bytes kept), never in a later
    reading of the file."""
    from .._common.errors import DocumentError, Severity

    try:
        document = (
            cache.document(registered.source, checker.limits) if cache is not None and registered.source else None
        )
    except DocumentError as exc:  # the bytes read no longer load (they did when the model was built): say so
        return [exc.to_finding()]
    if document is not None:
        findings = checker.check_parsed(document)
    elif registered.source:
        findings = checker.check_file(registered.source)
    else:
        findings = checker.check_document(registered.as_document())
    return [f for f in findings if f.severity is Severity.ERROR]


def _refuse(what: str, errors: list[Any], why: str = "has lint errors") -> NoReturn:
    from .._common.errors import ExitCode

    echo(f"rehabkit: error: {what} {why}, so it is not run for patients until it is fixed:", err=True)
    for finding in errors:
        echo(f"  {finding.format_text()}", err=True)
    echo("Check it with 'rehabkit validate'; 'rehabkit rules CODE' explains a rule.", err=True)
    raise SystemExit(ExitCode.FINDINGS)


def how_to_record(unmet: Iterable[Unmet], patient: str, gate: str, protocol: Protocol) -> list[str]:
    """For each missing fact, the command or option that records it (in the order the criteria list them)."""
    from .._common.vocabulary import CRITERION_MEASURES

    hints: list[str] = []
    for item in unmet:
        info = CRITERION_MEASURES.get(item.measure)
        source = info.recorded_by if info else ""
        if source == "approval":
            hint = (
                f"record it with: rehabkit approve {patient} --protocol {protocol.id} --phase {gate} --kind {item.measure} --by ID"
                + (
                    " (or 'rehabkit run ... --surgeon-cleared --by ID')"
                    if item.measure == "surgeon-clearance"
                    else " (or 'rehabkit run ... --clinician-approved --by ID')"
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
    from ..engine.events import Pause, Review

    stop = course.stop
    if stop is None:
        return []
    since = stop.date.isoformat()
    lines: list[str]
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
            lines.append(f"  Note: {detail.note}")
    lines.append(
        f"No session runs until a clinician records a review: rehabkit review {patient} --clinician ID "
        "--outcome resume|earlier-phase|discharge|refer [--phase P] [--note TEXT]"
    )
    return lines


def check_staff_id(by: str) -> None:
    """A usage error unless ``by`` is a pseudonymous staff id (the same form as patient ids)."""
    from .._sessions.store import PATIENT_ID

    if not PATIENT_ID.fullmatch(by):
        raise click.BadParameter(
            f"{by!r} is not a staff id: use a pseudonymous code of letters, digits, '-', '_' or '.', never a name.",
            param_hint="'--by'",
        )


def note_surgery_change(store: Any, patient: str, surgery: str | None) -> None:
    """Say so when a new surgery date replaces a recorded one (every gate on time since surgery moves with it)."""
    old = store.surgery_date(patient) if store.has_patient(patient) else None
    if surgery is not None and old is not None and old != surgery:
        echo(
            f"rehabkit: note: the surgery date of {patient} changes from {old} to {surgery}; "
            "time since surgery is counted from the new date.",
            err=True,
        )


def refuse(
    output_format: str, patient: str, why: str, lines: list[str], *, status: str, code: ExitCode, **extra: Any
) -> NoReturn:
    """Refuse to go on for ``patient``: the lines on stderr (and an object on stdout with ``--format json``), exit ``code``."""
    if output_format == "json":
        click.echo(
            json.dumps({"patient": patient, "refused": why, "status": status, "message": lines, **extra}, indent=2)
        )
    for line in lines:
        echo(line, err=True)
    raise SystemExit(code)


def refuse_gate(output_format: str, patient: str, protocol: Any, phase_id: str, result: Any, status: str) -> NoReturn:
    """Refuse a session whose phase gate is closed: the criteria's summary, what is missing, how to record it (exit 7)."""
    phase = protocol.phase(phase_id)
    lines = [
        f"Today's session cannot start: the phase {phase.name!r} starts only when {result.summary}",
        *[f"  - still needed: {u.text}" for u in result.missing],
        *how_to_record(result.missing, patient, phase_id, protocol),
    ]
    refuse(
        output_format,
        patient,
        "gate-closed",
        lines,
        status=status,
        code=ExitCode.GATE_CLOSED,
        unmet=[u.to_dict() for u in result.missing],
        phase=phase_id,
    )
