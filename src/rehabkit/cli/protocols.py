"""The protocol a command names, and the check that only lint-clean protocols run for patients.

A command names a protocol by an installed id (``id`` or ``id@version``) or by a protocol file's path; a
patient's commands may leave it out when the patient's course says which. Before a protocol runs for a
patient its schema and lint errors are checked in the very bytes it was built from; ``list`` keeps those
results under :func:`lint_fingerprint`, a digest of everything besides the protocol that the rules read.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from .._common.exit_codes import ExitCode
from . import echo
from .exits import error_exit
from .refusals import protocol_refusal

if TYPE_CHECKING:
    from .._documents.validation import Checker
    from .._sessions.service import CourseContext
    from ..model import Protocol
    from . import AppState

__all__ = [
    "checked_whole",
    "installed_checker",
    "lint_fingerprint",
    "lint_outcome",
    "looks_like_path",
    "patient_protocol",
    "protocol_errors",
    "refuse_example",
    "resolve_protocol",
    "split_outcome",
]


def looks_like_path(text: str) -> bool:
    """True when PROTOCOL names a file rather than an installed id."""
    return os.sep in text or "/" in text or text.endswith((".yaml", ".yml", ".json")) or os.path.isfile(text)


def installed_checker(registry: Any) -> Checker:
    """A :class:`rehabkit._documents.validation.Checker` with every installed lint rule, the installed exercise
    library, the clinical policy and the outcome measures' scales: the checks a protocol passes to run."""
    from .._documents.validation import Checker

    rules = registry.rules()
    return Checker(
        library=registry.exercise_library(),
        rules=rules,
        known_codes=frozenset(r.code for r in rules),
        policy=registry.policy(),
        measure_scales=registry.measure_scales() or None,
        red_flag_libraries=registry.red_flag_library(),
    )


def resolve_protocol(state: AppState, wanted: str, *, lint: bool = True) -> tuple[Protocol, str]:
    """The protocol a command names, and where it comes from (its pack, or its file).

    ``wanted`` is an installed id (``id`` or ``id@version``) or a protocol file's
    path. With ``lint``, a protocol with schema or lint errors is refused (exit 1)
    with its findings: only lint-clean protocols run for patients.
    """
    registry = state.registry()
    checker = installed_checker(registry)
    if looks_like_path(wanted):
        protocol = _protocol_file(registry, checker, wanted, lint=lint)
        return registry.with_shared_red_flags(protocol), f"file {wanted}"
    try:
        registered = registry.find_protocol(wanted)
    except LookupError as exc:
        raise error_exit(ExitCode.FINDINGS, exc.args[0]) from None
    if lint:
        # Always linted here, never taken from a cached result: this is the gate before a patient's session, and
        # a rule may read what no fingerprint covers (a pack's data file, the environment).
        errors = protocol_errors(checker, registered, state.manager().cache)
        if errors:
            raise protocol_refusal(f"{registered.item.key} (pack {registered.pack})", errors)
    return registered.item, f"pack {registered.pack}"


def _protocol_file(registry: Any, checker: Checker, wanted: str, *, lint: bool) -> Protocol:
    """The protocol in the file ``wanted`` (an author's draft): refused if it does not read or match the schema,
    and with ``lint`` if it has lint errors or the id and version of an installed protocol."""
    from .._common.errors import DocumentError, Severity
    from .._documents.builders import InvalidDocument, protocol_from_document
    from .._documents.loader import load_file

    if not os.path.isfile(wanted):
        raise click.BadParameter(
            f"no protocol file {wanted!r}, and no installed protocol has that id.", param_hint="'PROTOCOL'"
        )
    try:
        document = load_file(wanted)
        protocol = protocol_from_document(document)
    except InvalidDocument as exc:
        raise protocol_refusal(wanted, exc.findings, "does not match the schema") from None
    except DocumentError as exc:
        raise protocol_refusal(wanted, [exc.to_finding()], "cannot be read") from None
    errors = [f for f in checker.check_parsed(document) if f.severity is Severity.ERROR]
    if errors and lint:
        raise protocol_refusal(wanted, errors)
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
    return protocol


def refuse_example(protocol: Protocol, what: str) -> None:
    """Exit with FINDINGS when ``protocol`` is marked ``status: example`` (a sample, not for patients): ``what`` is
    what would have been recorded ("a session")."""
    if protocol.status != "example":
        return
    raise error_exit(
        ExitCode.FINDINGS,
        f"{protocol.key} is an example ('status: example'), not a protocol for patients, so {what} is not recorded "
        "in it. Make it your own (its content, references and version), then remove 'status: example' (or write "
        "'status: active'); 'rehabkit run --plan' and 'rehabkit show' work meanwhile.",
    )


def patient_protocol(
    state: AppState, store: Any, patient: str, protocol_id: str | None, how: str = "--protocol ID"
) -> Protocol:
    """The protocol of the patient's course, lint-clean: the one named, else the only one the store has sessions
    or events of (``how`` says how the command names one)."""
    if protocol_id is not None:
        return resolve_protocol(state, protocol_id)[0]
    known = store.protocols_of(patient)
    if len(known) != 1:
        which = f"has courses in {', '.join(known)}" if known else "has no course yet"
        raise click.UsageError(f"{patient} {which}: name the protocol with {how}.")
    return resolve_protocol(state, known[0])[0]


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


def lint_outcome(checker: Any, registered: Any, cache: Any) -> tuple[str, ...]:
    """What ``list`` and ``show`` keep of an installed protocol's check (see :func:`split_outcome`): the codes of
    its lint errors, sorted, then the message of each lint rule that failed on it (RK099), which names the rule
    and its pack."""
    from .._documents.validation import FAILURE_CODES

    errors = protocol_errors(checker, registered, cache)
    failed = [f"{f.code} {f.message}" for f in errors if f.code in FAILURE_CODES]
    return (*sorted({f.code for f in errors}), *dict.fromkeys(failed))


def checked_whole(outcome: tuple[str, ...]) -> bool:
    """True when every lint rule ran to its end on the protocol (none failed): a result worth keeping."""
    return not split_outcome(outcome)[1]


def split_outcome(outcome: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The lint error codes and the failed rules' messages of a :func:`lint_outcome` (a code has no space)."""
    return [e for e in outcome if " " not in e], [e for e in outcome if " " in e]


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
        _ = cell.cell_contents
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


def course_context(state: AppState, protocol: Protocol, *, session: bool = False) -> CourseContext:
    """What the course service needs to act on a course of ``protocol``: the outcome measures (they feed phase
    criteria) and, for a ``session``, the installed exercises, the packs' screening questions, the progression
    policy and the effective clinical policy."""
    from .._sessions.service import CourseContext

    registry = state.registry()
    measures = {key: r.item for key, r in registry.outcome_measures.items()}
    if not session:
        return CourseContext(protocol, measures=measures, policy=registry.policy())
    screening = tuple(r.item for r in registry.screening.values())
    decide = state.manager().decide
    return CourseContext(protocol, registry.exercise_library(), measures, screening, decide, registry.policy())
