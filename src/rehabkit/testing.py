"""Testing helpers for plugin-pack authors; the pytest fixtures in :mod:`rehabkit.pytest_plugin` hand them out.

A :class:`PackHarness` loads the installed pack under test through its real
entry point, alone or with named other packs, and offers what a pack's tests
need: the pack's load status, what it registered, a check that every protocol
it contributes validates and lints clean with the loaded packs' rules, a check of
any other document, a scripted session through the engine with answers
recorded in a real SQLite file, and the ``rehabkit`` command line restricted
to the same packs.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._common.errors import Finding, PluginError, RehabkitError, Severity
from ._plugins.manager import PluginManager, Selection, strict_from_environment
from ._plugins.registry import Registered, Registry

__all__ = ["PackHarness", "PackTestError", "ScriptedSession"]


class PackTestError(RehabkitError, AssertionError):
    """A pack under test is missing, failed to load, or contributes documents with findings."""


@attrs.frozen
class ScriptedSession:
    """A session run from scripted answers: how it ended and everything shown to the patient."""

    outcome: Any
    transcript: tuple[str, ...]

    @property
    def action(self) -> str:
        """The decision's action, or the screening action when screening stopped the session."""
        if self.outcome.decision is None:
            return str(self.outcome.screening_action)
        return str(self.outcome.decision.action)

    @property
    def text(self) -> str:
        """The transcript as one string, for ``in`` checks."""
        return "\n".join(self.transcript)


class PackHarness:
    """The pack under test, loaded for real through its entry point, alone or with named others."""

    def __init__(self, pack: str, others: Sequence[str] = (), *, db_path: str | os.PathLike[str] | None = None) -> None:
        self.pack = pack
        self.packs = (pack, *others)
        self.db_path = Path(db_path) if db_path is not None else None
        # REHABKIT_STRICT_PLUGINS=1 (recommended in a pack's CI) makes any load problem fail at once.
        self.manager = PluginManager(Selection(allow=frozenset(self.packs)), strict=strict_from_environment())
        try:
            self.manager.load()
        except PluginError as exc:
            raise PackTestError(f"the packs did not load cleanly (REHABKIT_STRICT_PLUGINS is set):\n  {exc}") from None
        missing = [name for name in self.packs if name not in self.manager.packs]
        if missing:
            installed = ", ".join(sorted(n for n in self.manager.packs if n != "core")) or "none"
            raise PackTestError(
                f"pack(s) {', '.join(map(repr, missing))} not installed in this environment (installed: {installed}). "
                "Install the pack under test first, for example 'pip install -e .'."
            )
        try:
            self.registry: Registry = self.manager.registry()
        except PluginError as exc:
            raise PackTestError(
                f"the packs did not register cleanly (REHABKIT_STRICT_PLUGINS is set):\n  {exc}"
            ) from None

    # --- what loaded and what it registered ---------------------------------

    @property
    def status(self) -> Any:
        """The :class:`rehabkit._plugins.manager.PackStatus` of the pack under test."""
        return self.manager.packs[self.pack]

    def assert_loaded(self) -> None:
        """Fail unless every selected pack loaded with no error and nothing it registered conflicts."""
        problems = self.manager.problems()
        problems += [
            f"pack {p.name!r}: {e}" for p in self.manager.packs.values() if p.status == "loaded" for e in p.errors
        ]
        if problems:
            raise PackTestError("the packs did not load cleanly:\n  " + "\n  ".join(problems))

    def contributed(self, kind: str) -> dict[str, Registered]:
        """What the pack under test registered of one kind (``protocols``, ``lint_rules``, ``commands`` ...)."""
        table: dict[str, Registered] = getattr(self.registry, kind)
        return {key: registered for key, registered in table.items() if registered.pack == self.pack}

    # --- documents -------------------------------------------------------------

    def checker(self, today: datetime.date | None = None) -> Any:
        """A :class:`rehabkit._documents.validation.Checker` with the loaded packs' exercises and lint rules
        (and rehabkit's own)."""
        from ._documents.validation import Checker

        rules = self.registry.rules()
        return Checker(
            library=self.registry.exercise_library(),
            rules=rules,
            policy=self.registry.policy(),
            measure_scales=self.registry.measure_scales() or None,
            red_flag_libraries=self.registry.red_flag_library(),
            known_codes=frozenset(r.code for r in rules),
            today=today,
        )

    def load(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """A document's data as rehabkit reads it (dates stay strings), to change and :meth:`check` in a test."""
        from ._documents.loader import load_file

        data: dict[str, Any] = load_file(os.fspath(path)).data
        return data

    def check(
        self, document: str | os.PathLike[str] | Mapping[str, Any], today: datetime.date | None = None
    ) -> list[Finding]:
        """Schema and lint findings for a protocol or library: a path, or a mapping (checked as JSON)."""
        checker = self.checker(today)
        findings: list[Finding]
        if isinstance(document, Mapping):
            findings = checker.check_document(_document(document))
        else:
            findings = checker.check_file(os.fspath(document))
        return findings

    def check_protocols(self, today: datetime.date | None = None) -> dict[str, list[Finding]]:
        """Findings per protocol (``id@version``) the pack under test contributes."""
        checker = self.checker(today)
        results = {}
        for key, registered in sorted(self.contributed("protocols").items()):
            if registered.source is not None:
                results[key] = checker.check_file(registered.source)
            else:
                results[key] = checker.check_document(registered.as_document())
        return results

    def assert_protocols_clean(self, *, allow_warnings: bool = False, today: datetime.date | None = None) -> None:
        """Fail unless the pack contributes at least one protocol and none has a finding.

        ``allow_warnings=True`` accepts warning findings and fails on errors only. A protocol of an older document
        format (written for rehabkit 0.1, without ``format``) fails on errors only too: the warnings rehabkit's own
        rules added since report for it (deprecations, RK205) are given as one :class:`DeprecationWarning`, so that a
        test written for that release passes and says what to change.
        """
        self.assert_loaded()
        results = self.check_protocols(today)
        if not results:
            raise PackTestError(
                f"pack {self.pack!r} contributes no protocol; its register_protocols hook registered none."
            )
        older = self._older_format(results)
        lines, deprecated = [], []
        for key, findings in results.items():
            for f in findings:
                if f.severity is Severity.WARNING and (allow_warnings or (key in older and f.source == "core")):
                    deprecated += [f.format_text()] if key in older and f.source == "core" else []
                    continue
                lines.append(f.format_text())
        if deprecated:
            import warnings

            warnings.warn(
                f"pack {self.pack!r}: protocols of an older document format have warnings from rules added since "
                "(mend them, then declare 'format: 2'; see docs/plugins.md, 'When rehabkit changes'):\n  "
                + "\n  ".join(deprecated),
                DeprecationWarning,
                stacklevel=2,
            )
        if lines:
            hint = self._rehabkit_with_hint() if any(f.code == "RK101" for fs in results.values() for f in fs) else ""
            raise PackTestError(f"pack {self.pack!r}: protocols with findings:\n  " + "\n  ".join(lines) + hint)

    def _rehabkit_with_hint(self) -> str:
        """A sentence naming the installed packs, not loaded in this test, that define exercises the pack's
        protocols name: a test loads only the pack under test unless ``rehabkit_with`` names others."""
        named = {
            ref.exercise
            for registered in self.contributed("protocols").values()
            for phase in registered.item.phases
            for ref in phase.exercises
        }
        loaded = self.registry.exercise_library()
        everything = PluginManager(Selection(), strict=False)
        everything.load()
        providers = sorted(
            {r.pack for key, r in everything.registry().exercises.items() if key in named and key not in loaded}
        )
        if not providers:
            return ""
        packs = ", ".join(f'"{name}"' for name in providers)
        return (
            f"\nThe installed pack(s) {packs} define exercises these protocols name, but a test loads only the pack "
            f"under test: add rehabkit_with = [{packs}] under [tool.pytest.ini_options] in pyproject.toml "
            f"(or mark the test @pytest.mark.rehabkit_with({packs}))."
        )

    def _older_format(self, results: Mapping[str, Any]) -> set[str]:
        """The keys of the protocols in ``results`` written for an older document format than the current one."""
        from ._common.formats import CURRENT_FORMAT, document_format

        contributed = self.contributed("protocols")
        return {key for key in results if document_format(contributed[key].item) < CURRENT_FORMAT}

    # --- sessions and the command line ----------------------------------------

    def run_session(
        self,
        protocol: str,
        answers: Mapping[str, Any],
        *,
        patient: str = "test-patient",
        today: datetime.date | None = None,
        surgery_date: str | None = None,
        approvals: Mapping[str, bool] | None = None,
    ) -> ScriptedSession:
        """Run one session of an installed protocol with scripted answers, through the engine and the store.

        ``answers`` has the form of a ``--answers`` file (see docs/run.md):
        ``{"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 2},
        "pain_after": 2, "new_symptom": False}``. Sessions are recorded in the
        harness's SQLite file, so successive calls for one patient make a course.
        ``approvals`` records ``surgeon-clearance`` / ``clinician-approval`` first, for
        the gate the patient stands at (the first phase before the course starts,
        else the next one), as ``rehabkit run --surgeon-cleared`` does: a withdrawal
        (``False``) closes the phase the patient is in as well as the next one, as
        ``run --surgeon-not-cleared`` does (before 0.2 the harness closed the next one only).

        Without ``approvals`` (a test written for rehabkit 0.1, whose harness ran the first phase without its gate),
        the first gate of a course not started yet is approved with every kind it asks for, with a
        :class:`DeprecationWarning`: from rehabkit 0.3 nothing is approved unless ``approvals`` says so. Give
        ``approvals={}`` to leave the gate closed. Raises :class:`rehabkit._sessions.runner.CourseStopped` or
        :class:`rehabkit._sessions.runner.GateClosed` when the course may not run today, with a note saying what a
        test changes to go on.
        """
        from ._sessions.runner import Display, FileAnswers, run_session
        from ._sessions.service import CourseContext, CourseStopped, GateClosed, record_gate_approvals, set_surgery_date
        from ._sessions.store import Store

        if self.db_path is None:
            raise PackTestError("this harness has no database file; create it with db_path=...")
        registered = self.registry.find_protocol(protocol)
        transcript: list[str] = []
        day = today or datetime.date.today()
        context = CourseContext(
            protocol=registered.item,
            library=self.registry.exercise_library(),
            measures={key: r.item for key, r in self.registry.outcome_measures.items()},
            extra_screening=tuple(r.item for r in self.registry.screening.values()),
            decide=self.manager.decide,
            policy=self.registry.policy(),
        )
        with Store(self.db_path) as store:
            actor = _tester(store)
            surgery = datetime.date.fromisoformat(surgery_date) if surgery_date else None
            set_surgery_date(store, patient, surgery, day, actor)
            given = _first_gate_by_default(store, context, patient, day) if approvals is None else approvals
            if given:
                record_gate_approvals(store, context, patient, actor, day, dict(given), via=None)
            answered = FileAnswers(answers, "<scripted answers>")
            try:
                outcome = run_session(
                    store, context, patient, answered, Display(transcript.append), actor=actor, today=day
                )
            except (CourseStopped, GateClosed) as exc:
                exc.add_note(_WHAT_TO_CHANGE[type(exc).__name__])
                raise
        return ScriptedSession(outcome, tuple(transcript))

    def invoke(self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None) -> Any:
        """Run ``rehabkit ARGS`` in-process with only the harness's packs; returns click's ``Result``."""
        from click.testing import CliRunner

        from .cli import main

        environment: dict[str, str | None] = {key: None for key in os.environ if key.startswith("REHABKIT_")}
        environment.update({"REHABKIT_LOAD_PLUGINS": ",".join(self.packs)})
        if self.db_path is not None:
            environment["REHABKIT_DB"] = str(self.db_path)
            from ._sessions.store import Store

            with Store(self.db_path) as store:
                _tester(store)
        environment.update(env or {})
        return CliRunner().invoke(main, list(args), input=input, env=environment, catch_exceptions=False)


#: What a pack's test changes when ``run_session`` raises, by the exception's name (added to it as a note).
_WHAT_TO_CHANGE = {
    "GateClosed": (
        "rehabkit.testing: the gate into the patient's phase is closed. Give run_session(..., approvals="
        "{'clinician-approval': True}) (or the kinds the gate asks for, such as 'surgeon-clearance'), or a date or "
        "answers that meet its criteria. Since rehabkit 0.2 the harness checks gates as 'rehabkit run' does."
    ),
    "CourseStopped": (
        "rehabkit.testing: the course was stopped by an earlier session (a red flag or a rule asked for review), and "
        "since rehabkit 0.2 a stopped course runs no session until a review is recorded, as 'rehabkit run' does. Use "
        "another patient= for the next scripted session, or record a review first: "
        "harness.invoke('review', PATIENT, '--outcome', 'resume', '--note', '...')."
    ),
}


def _first_gate_by_default(store: Any, context: Any, patient: str, day: datetime.date) -> dict[str, bool]:
    """The approvals a 0.1 test relied on, given no ``approvals=``: every kind the first gate asks for, while the
    course has not started (warned as deprecated), else none."""
    import warnings

    from ._common.formats import ERROR_IN_RELEASE
    from ._sessions.service import gate_kinds

    if context.course(store, patient, day).started or not context.protocol.phases:
        return {}
    kinds = gate_kinds(context.protocol, context.protocol.phases[0].id)
    if not kinds:
        return {}
    given = {kind: True for kind in kinds}
    warnings.warn(
        f"run_session() without approvals= approved the first gate of {context.protocol.id!r} ({given}), as rehabkit "
        f"0.1's harness ran the first phase without its gate; from rehabkit {ERROR_IN_RELEASE} nothing is approved "
        f"unless the test says so: pass approvals={given} (or approvals={{}} to leave the gate closed).",
        DeprecationWarning,
        stacklevel=3,
    )
    return given


#: The person a harness's store registers for the account running the tests: every clinical role, and admin.
TESTER_ID = "pack-tester"


def _tester(store: Any) -> Any:
    """The harness's acting person: its test store registers the account running the tests once, with every role a
    clinic's staff may hold (a harness's file is a test store, never a clinic's), as the first ``staff add`` would."""
    from ._sessions.staff import known_roles, register, who_acts
    from ._sessions.store_api import StaffChange

    if not register(store.staff_events()):
        from ._sessions.staff import current_account

        roles = tuple(role for role in known_roles() if role != "patient")
        store.add_staff_event(StaffChange(TESTER_ID, "add", roles, "pack test", os_user=current_account(store)))
    return who_acts(store)


def _document(data: Mapping[str, Any]) -> Any:
    from ._documents.loader import Document

    try:
        return Document.from_mapping(data, "<mapping>", default=_iso_date)
    except (TypeError, ValueError) as exc:
        raise PackTestError(f"the document is not plain JSON data ({exc})") from None


def _iso_date(value: Any) -> str:
    # yaml.safe_load reads "reviewed: 2026-11-01" as a date; rehabkit's loader keeps the text.
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
