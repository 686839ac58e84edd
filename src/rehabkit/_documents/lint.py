"""Semantic lint rules: checks on a schema-valid document that a schema cannot express.

A rule is a :class:`LintRule` with a stable code, a severity, a one-line summary,
a longer explanation and a ``check`` function.  ``check`` receives a
:class:`LintContext` and yields :class:`Violation` objects naming the JSON path
of the field at fault; :func:`run_rules` turns them into findings placed at
``file:line:col``.  Rules come from packs (and from rehabkit's own built-ins)
through the ``rehabkit_register_lint_rules`` hook.

Which rules run is chosen with :class:`RuleSelection` (``--select``/``--ignore``);
a document accepts a finding on purpose with a suppression (see
:mod:`rehabkit._documents.suppressions`).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._common.errors import Finding, PackInterrupted, Severity, format_json_path
from ..model import Exercise, ExerciseLibrary, Protocol, RedFlagLibrary
from .loader import Document

if TYPE_CHECKING:
    import datetime

__all__ = [
    "DOCUMENT_KINDS",
    "RULE_CRASH_CODE",
    "LintContext",
    "LintRule",
    "RuleSelection",
    "Violation",
    "forget_timed_out_rules",
    "run_rules",
]

_CODE = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")
#: Code of the finding reported when a rule itself raises.
RULE_CRASH_CODE = "RK099"
#: The kinds of document a rule may apply to.
DOCUMENT_KINDS = frozenset({"protocol", "exercise-library"})


@attrs.frozen(slots=True)
class Violation:
    """One thing a rule found wrong, at a JSON path inside the document."""

    message: str
    path: tuple[str | int, ...] = ()
    #: Point at the key rather than its value (for "this field should not be here").
    at_key: bool = False
    #: The finding's severity when not the rule's: a rule reports a deprecation warning for a document of an older
    #: format where the current format makes the same thing an error (``rehabkit._common.formats``).
    severity: Severity | None = None


@attrs.frozen(slots=True)
class LintContext:
    """What a rule may look at.

    ``protocol`` is the protocol being checked (``None`` when the document is an
    exercise library, which is then in ``library``); ``exercises`` holds every
    exercise the document can name: its own and those of installed libraries.
    ``today`` is the date rules compare dates with; ``measure_scales`` the
    scales of outcome-score criteria, from the installed measures; ``policy`` rehabkit's
    clinical defaults with any setting a clinic's pack gave (see
    ``rehabkit_register_clinical_policy``).
    """

    protocol: Protocol | None
    exercises: Mapping[str, Exercise]
    data: Mapping[str, Any]
    library: ExerciseLibrary | None = None
    today: datetime.date = attrs.field(factory=lambda: _today())  # _today is defined below the class
    policy: Mapping[str, Any] = attrs.field(factory=lambda: _default_policy())
    #: The scale of each criterion an installed outcome measure feeds (``odi-percent`` -> 0-100), from the measures.
    measure_scales: Mapping[str, tuple[float, float]] = attrs.field(factory=lambda: _core_measure_scales())
    #: The installed red-flag libraries by id, that ``shared_red_flags`` takes questions from (rehabkit's own alone
    #: unless given).
    red_flag_libraries: Mapping[str, RedFlagLibrary] = attrs.field(factory=lambda: _core_red_flag_libraries())
    #: What the core rules work out once and share within one check (every dose and where it is).
    _shared: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False, eq=False)

    def taken_red_flags(self) -> tuple[Any, ...]:
        """The red-flag questions the protocol takes from the installed libraries (``shared_red_flags``), for the
        clinical policy in force: asked as if written under ``red_flags``."""
        from .red_flag_refs import referenced_questions

        assert self.protocol is not None
        return referenced_questions(self.protocol, self.red_flag_libraries, self.policy["red_flags"])

    @property
    def kind(self) -> str:
        """``protocol`` or ``exercise-library``."""
        return "protocol" if self.protocol is not None else "exercise-library"

    @property
    def document(self) -> Protocol | ExerciseLibrary:
        """The document being checked, whatever its kind."""
        document = self.protocol if self.protocol is not None else self.library
        assert document is not None
        return document

    def own_exercises(self) -> tuple[Exercise, ...]:
        """The exercises the document itself defines."""
        return self.document.exercises


def _core_red_flag_libraries() -> dict[str, RedFlagLibrary]:
    from .red_flag_refs import rehabkit_red_flags

    library = rehabkit_red_flags()
    return {library.id: library}


def _today() -> datetime.date:
    import datetime  # only when a rule runs: keeps the import off start-up

    return datetime.date.today()


def _check_code(instance: Any, attribute: Any, value: str) -> None:  # an attrs validator
    if not _CODE.match(value):
        raise ValueError(f"lint rule code must be 2-5 capital letters and 3 digits, like 'RK101' (got {value!r}).")


def _kinds(value: Iterable[str]) -> frozenset[str]:
    kinds = frozenset(value)
    unknown = kinds - DOCUMENT_KINDS
    if unknown or not kinds:
        raise ValueError(f"applies_to must name one or more of {sorted(DOCUMENT_KINDS)} (got {sorted(kinds)}).")
    return kinds


@attrs.frozen(slots=True)
class LintRule:
    """A semantic rule with a stable code, a severity, a summary and a check function.

    ``applies_to`` names the document kinds the rule checks (protocols only, by
    default); ``pack`` is filled in by rehabkit when the rule is registered.
    """

    code: str = attrs.field(validator=_check_code)
    severity: Severity = attrs.field(converter=Severity)
    summary: str
    check: Callable[[LintContext], Iterable[Violation]] = attrs.field(repr=False)
    explanation: str = ""
    pack: str = "core"
    applies_to: frozenset[str] = attrs.field(default=frozenset({"protocol"}), converter=_kinds)


@attrs.frozen(slots=True)
class RuleSelection:
    """Which rule codes run: ``--select`` (only these) and ``--ignore`` (not these).

    Each entry is a full code (``RK204``) or a prefix (``RK2``, ``TX``); an
    ignore wins over a select.  Findings of the loader and the schema are never
    filtered: a document that cannot be read cannot be linted.
    """

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        """True when the rule with this code should run."""
        if any(code.startswith(prefix) for prefix in self.ignore):
            return False
        return not self.select or any(code.startswith(prefix) for prefix in self.select)

    def unmatched(self, codes: Iterable[str]) -> list[str]:
        """Entries that match none of ``codes`` (probably misspelt)."""
        known = list(codes)
        return [p for p in (*self.select, *self.ignore) if not any(c.startswith(p) for c in known)]

    def apply(self, rules: Sequence[LintRule]) -> list[LintRule]:
        """The rules that run."""
        return [rule for rule in rules if self.wants(rule.code)]


def run_rules(rules: Sequence[LintRule], document: Document, context: LintContext) -> list[Finding]:
    """Run every rule that applies to the document; a rule that raises, or that a pack's rule takes longer than its
    time budget (REHABKIT_PACK_TIMEOUT), becomes a finding (RK099), not a crash or a hang."""
    findings: list[Finding] = []
    kind = context.kind
    with contextlib.redirect_stdout(sys.stderr):  # a rule's prints never reach a report on stdout
        for rule in rules:
            if kind not in rule.applies_to:
                continue
            violations = _check(rule, context)
            if isinstance(violations, str):
                findings.append(
                    Finding(
                        path=document.path,
                        code=RULE_CRASH_CODE,
                        message=f"lint rule {rule.code} from pack {rule.pack!r} {violations}; its check was skipped.",
                        source=rule.pack,
                    )
                )
            elif violations:
                _report(rule, document, violations, findings)
    return findings


#: Rules (pack, code) stopped for taking longer than their budget: set aside for the rest of the command, so that
#: one hanging rule costs one budget, not one for every document checked (until :func:`forget_timed_out_rules`,
#: which loading the packs again calls).
_TIMED_OUT: dict[tuple[str, str], str] = {}


def forget_timed_out_rules() -> None:
    """Give every rule set aside for taking too long its budget again (the packs are being loaded afresh)."""
    _TIMED_OUT.clear()


def _check(rule: LintRule, context: LintContext) -> list[Violation] | str:
    """The rule's violations, or what went wrong ("failed (ValueError: ...)", "took longer than ...")."""
    if rule.pack != "core":
        return _check_pack_rule(rule, context)
    try:  # rehabkit's own rules: no budget, and a KeyboardInterrupt in one is the user's
        return list(rule.check(context))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a broken rule, even one raising SystemExit, must not stop the others
        return f"failed ({type(exc).__name__}: {exc})"


def _check_pack_rule(rule: LintRule, context: LintContext) -> list[Violation] | str:
    """A pack's rule, under its time budget; a KeyboardInterrupt it raises itself is its failure."""
    from .._common.pack_budget import PackTimedOut, watched

    if (rule.pack, rule.code) in _TIMED_OUT:
        return _TIMED_OUT[(rule.pack, rule.code)]
    watch = None
    try:
        with watched() as watch:
            return list(rule.check(context))
    except PackTimedOut as exc:
        _TIMED_OUT[(rule.pack, rule.code)] = str(exc)
        return str(exc)
    except BaseException as exc:  # a broken rule, even one raising SystemExit, must not stop the others
        if watch is None or watch.by_the_user(exc):  # the user's Ctrl-C stops the command, whatever the rule made of it
            raise PackInterrupted(
                f"interrupted while plugin pack {rule.pack!r} was running its lint rule {rule.code}. If it hangs, "
                f"block it with -p no:{rule.pack} (or REHABKIT_BLOCK_PLUGINS={rule.pack})."
            ) from None
        return f"failed ({type(exc).__name__}: {exc})"


def _report(rule: LintRule, document: Document, violations: list[Violation], findings: list[Finding]) -> None:
    """One rule's violations as findings, placed at their line and column."""
    for violation in violations:
        line, column = document.position(violation.path, key=violation.at_key)
        findings.append(
            Finding(
                path=document.path,
                code=rule.code,
                message=violation.message,
                line=line,
                column=column,
                json_path=format_json_path(violation.path),
                severity=rule.severity if violation.severity is None else violation.severity,
                source=rule.pack,
            )
        )


def _default_policy() -> Mapping[str, Any]:
    from .._common.clinical_data import policy

    return policy()


def _core_measure_scales() -> Mapping[str, tuple[float, float]]:
    """The scales of the criteria rehabkit's own outcome measures feed (checks without the installed packs)."""
    from .._common.clinical_data import outcome_measures
    from ..engine.outcomes import OutcomeMeasure

    measures = [OutcomeMeasure.from_dict(d) for d in outcome_measures()]
    return {m.criterion: m.scale for m in measures if m.criterion}
