"""The hooks through which plugin packs (and rehabkit's own built-ins) extend rehabkit.

A pack implements any of these functions in the module its entry point (group
``rehabkit``) names, decorated with ``@rehabkit.hookimpl``.  Implementations
may accept any subset of the arguments shown: the argument names *are* the API.

Contributing hooks receive a ``register`` callback instead of returning values.
rehabkit validates every registration, builds the model object and tags it
with the pack that made it, so that every error names its pack.  A pack whose
hook raises or registers malformed data is reported by name and all of its
contributions are set aside; the other packs keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from ._documents.lint import LintRule
    from ._outputs.content import Renderer
    from .engine import Decision, Facts, SessionPlan, SessionResult
    from .engine.outcomes import OutcomeMeasure

__all__ = [
    "RegisterClinicalPolicy",
    "RegisterCommand",
    "RegisterExercise",
    "RegisterLintRule",
    "RegisterOutcomeMeasure",
    "RegisterProtocol",
    "RegisterRedFlagLibrary",
    "RegisterRenderer",
    "RegisterScreening",
    "hookimpl",
    "hookspec",
    "rehabkit_progression_decision",
    "rehabkit_register_clinical_policy",
    "rehabkit_register_commands",
    "rehabkit_register_exercises",
    "rehabkit_register_lint_rules",
    "rehabkit_register_outcome_measures",
    "rehabkit_register_protocols",
    "rehabkit_register_red_flag_libraries",
    "rehabkit_register_renderers",
    "rehabkit_register_screening",
]

#: Marker for hook specifications (used by rehabkit itself).
hookspec = pluggy.HookspecMarker("rehabkit")
#: Marker for hook implementations: decorate your pack's hook functions with it.
hookimpl = pluggy.HookimplMarker("rehabkit")

#: ``register(source)``: a protocol document as a mapping, or the path of a
#: ``.json``/``.yaml``/``.yml`` file or of a directory searched recursively.
RegisterProtocol = Callable[["Mapping[str, Any] | str | PathLike[str]"], None]
#: ``register(source)``: an exercise as a mapping in the schema's ``exercise`` form, or the
#: path of an exercise-library document (``kind: exercise-library``) or of a directory of them.
RegisterExercise = Callable[["Mapping[str, Any] | str | PathLike[str]"], None]
#: ``register(question)``: a screening question in the schema's ``screeningQuestion`` form.
RegisterScreening = Callable[[Mapping[str, Any]], None]
#: ``register(source)``: a red-flag library document (``kind: red-flag-library``) as a mapping, or the path of one or
#: of a directory of them.
RegisterRedFlagLibrary = Callable[["Mapping[str, Any] | str | PathLike[str]"], None]
#: ``register(rule)``: a :class:`rehabkit.LintRule`.
RegisterLintRule = Callable[["LintRule"], None]
#: ``register(measure)``: a :class:`rehabkit.OutcomeMeasure`, or a mapping in its ``from_dict`` form.
RegisterOutcomeMeasure = Callable[["OutcomeMeasure | Mapping[str, Any]"], None]
#: ``register(command)``: a :class:`click.Command` (or group) with a name no other pack or rehabkit uses.
RegisterCommand = Callable[["click.Command"], None]
#: ``register(renderer)``: a :class:`rehabkit.Renderer` (a name, the kinds it renders, the file types it writes, a
#: function).
RegisterRenderer = Callable[["Renderer"], None]
#: ``register(settings)``: part of rehabkit's clinical defaults, in the shape of ``clinical_policy.json``
#: (for example ``{"red_flags": {"required_signs": [...]}}``); each setting given replaces the default.
RegisterClinicalPolicy = Callable[["Mapping[str, Any]"], None]


@hookspec
def rehabkit_register_protocols(register: RegisterProtocol) -> None:
    """Contribute protocol documents.

    Call ``register`` once per document (a mapping) or per path; a directory
    registers every protocol document below it.  Each document is loaded with
    the same limits as ``rehabkit validate`` and checked against
    ``protocol.schema.json``.  Two packs registering the same protocol id and
    version are a conflict: neither copy is used and both packs are named.

    Example::

        @hookimpl
        def rehabkit_register_protocols(register):
            register(Path(__file__).parent / "protocols")
    """


@hookspec
def rehabkit_register_exercises(register: RegisterExercise) -> None:
    """Contribute exercise-library entries that any protocol's phases may name by id.

    Call ``register`` with one exercise (a mapping checked against the schema's
    ``exercise`` definition) or with the path of an exercise-library document
    (checked against ``exercise-library.schema.json``) or a directory of them.
    Two packs registering the same exercise id are a conflict.

    Example::

        @hookimpl
        def rehabkit_register_exercises(register):
            register(Path(__file__).parent / "exercises")   # a folder of library documents
            # or one exercise at a time:
            register({"id": "wall-angel", "name": "Wall angel", "component": "postural-and-movement-re-education",
                      "region": "thoracic", "steps": ["Stand with your back to a wall.", "..."]})
    """


@hookspec
def rehabkit_register_screening(register: RegisterScreening) -> None:
    """Contribute extra red-flag screening questions, asked before exercise in every protocol.

    Each question is checked against the schema's ``screeningQuestion`` definition.

    Example::

        @hookimpl
        def rehabkit_register_screening(register):
            register({"id": "recent-fall", "question": "Have you had a fall since your last session?",
                      "action": "stop-and-review", "message": "Please see your clinician before exercising again."})
    """


@hookspec
def rehabkit_register_red_flag_libraries(register: RegisterRedFlagLibrary) -> None:
    """Contribute red-flag libraries: screening questions that protocols take by id instead of copying them.

    Call ``register`` with a red-flag library document (``kind: red-flag-library``, checked against
    ``red-flag-library.schema.json``) as a mapping, or with the path of one or of a directory of them. A protocol
    takes a library's questions with ``shared_red_flags``: ``minimum_set_from: LIBRARY-ID`` asks the library's
    question for every sign of the clinic's red-flag minimum set the protocol's own questions do not cover, and
    ``questions: [ID, ...]`` takes questions by id. rehabkit's own pack registers its shared set,
    ``rehabkit-red-flags``. Two packs registering the same library id are a conflict.

    Example::

        @hookimpl
        def rehabkit_register_red_flag_libraries(register):
            register(Path(__file__).parent / "red-flags")   # a folder of red-flag library documents
    """


@hookspec
def rehabkit_register_lint_rules(register: RegisterLintRule) -> None:
    """Contribute semantic lint rules run by ``rehabkit validate`` after the schema.

    Register :class:`rehabkit.LintRule` objects; their codes must be unique
    across packs.  A rule that raises is reported by its code and pack and the
    other rules still run.

    Example::

        @hookimpl
        def rehabkit_register_lint_rules(register):
            register(LintRule(code="CLX001", severity=Severity.WARNING, summary="at most six exercises a session",
                              check=too_many_exercises))
    """


@hookspec
def rehabkit_register_outcome_measures(register: RegisterOutcomeMeasure) -> None:
    """Contribute outcome measures (questionnaires with their published scoring rule).

    Register :class:`rehabkit.OutcomeMeasure` objects (or mappings in
    their ``from_dict`` form); ids must be unique across packs. A measure whose
    ``criterion`` names a protocol criterion measure (``odi-percent``,
    ``ndi-raw``, ...) feeds phase criteria with its latest score.

    Example::

        @hookimpl
        def rehabkit_register_outcome_measures(register):
            register({"id": "psfs", "name": "Patient-Specific Functional Scale", "method": "mean",
                      "unit": "/10", "criterion": "psfs-mean",
                      "items": [{"id": f"activity-{n}", "label": f"Activity {n}", "max": 10} for n in (1, 2, 3)]})
    """


@hookspec
def rehabkit_register_commands(register: RegisterCommand) -> None:
    """Contribute subcommands of the ``rehabkit`` command line.

    Register :class:`click.Command` objects (a ``click.group`` works too). The
    name must not be one of rehabkit's own commands, and two packs registering
    the same name are a conflict. The command runs like a built-in one: its
    context object is rehabkit's ``AppState``, so ``click.pass_obj`` gives
    access to the installed packs (``state.registry()``, a
    :class:`rehabkit.Registry`). ``rehabkit plugins`` lists the
    command and ``rehabkit NAME`` runs it (``rehabkit --help`` loads no pack, so
    it points to ``rehabkit plugins`` instead); a failed or blocked pack's
    commands are not offered.

    Example::

        @click.command("dose-table")
        @click.argument("protocol_id")
        @click.pass_obj
        def dose_table(state, protocol_id):
            \"\"\"Print each phase's doses of PROTOCOL as a table.\"\"\"
            protocol = state.registry().find_protocol(protocol_id).item
            ...

        @hookimpl
        def rehabkit_register_commands(register):
            register(dose_table)
    """


@hookspec
def rehabkit_register_renderers(register: RegisterRenderer) -> None:
    """Contribute output formats: handouts, course reports, calendars in a format of your own.

    Register :class:`rehabkit.Renderer` objects. A renderer has a ``name``
    (unique across packs), the ``kinds`` it renders (``protocol-phase`` and
    ``patient-plan`` are given a :class:`rehabkit.Handout`, ``course-report`` a
    :class:`rehabkit.CourseReport`), the ``file_types`` it writes (``"html"``,
    ``"md"``) and a ``function`` that returns the file's text or bytes.
    rehabkit's own HTML, PDF, Markdown and iCalendar renderers are registered
    the same way, as pack ``core``. ``rehabkit handout -o FILE`` and ``rehabkit
    report -o FILE`` choose by the file's ending (rehabkit's own first) and
    ``--renderer NAME`` by name; ``rehabkit plugins`` lists every renderer.

    The content is worked out by rehabkit (doses, cautions, "stop if" lines,
    warning signs grouped by urgency): lay it out, and escape every string for
    your format, as it is the protocol's and the packs' text as written.

    Example::

        def letterhead(handout):
            from html import escape
            cards = "".join(f"<h2>{escape(c.name)}</h2><p>{escape(c.dose)}</p>" for c in handout.cards)
            return f"<p>{escape(handout.statement)}</p>{cards}"

        @hookimpl
        def rehabkit_register_renderers(register):
            register(Renderer(name="clinic-letterhead", kinds=("protocol-phase", "patient-plan"),
                              file_types=("html",), function=letterhead))
    """


@hookspec
def rehabkit_register_clinical_policy(register: RegisterClinicalPolicy) -> None:
    """Tune rehabkit's clinical defaults for a clinic, instead of suppressing the rules that use them.

    The defaults are data (``rehabkit/_common/clinical_policy.json``):
    ``red_flags`` (``required_signs`` every protocol screens for, RK301;
    ``urgent_signs`` whose question must refer urgently, RK306;
    ``lumbar_conditions`` and ``lumbar_required_signs``; ``region_required_signs``,
    what protocols for each other region add: ``{region, conditions, signs}``
    for the neck, the upper back and recovery from spine surgery), ``dose_bounds`` (the
    typo bounds of each dose count, RK201), ``session``
    (``new_symptom_question``, asked after every session;
    ``relax_seconds_between_holds``, the pause the session screen counts down
    between holds where a dose gives no ``relax_seconds``), ``who_may_act``
    (the roles that may take each action on a course: docs/security.md; a
    patient is never let approve, clear, review or administer) and
    ``staff.note_required`` (the actions that need a written note). Register a mapping of
    that shape; each setting it gives (``red_flags.required_signs``) replaces the
    default whole. Settings are checked (known signs, conditions and counts);
    two packs setting the same one are a conflict: neither is used and both are
    named, and the default stays. ``rehabkit rules CODE`` explains RK201, RK301
    and RK306 with the settings in force and names the pack that set them.

    Example::

        @hookimpl
        def rehabkit_register_clinical_policy(register):
            register({"red_flags": {"required_signs": [
                "increasing-or-radiating-pain", "numbness-tingling-weakness", "night-or-rest-pain",
                "sudden-worsening", "no-improvement", "infection-or-fever", "cancer-history",
                "unexplained-weight-loss", "significant-trauma", "immunosuppression"]}})
    """


@hookspec(firstresult=True)
def rehabkit_progression_decision(plan: SessionPlan, result: SessionResult, facts: Facts) -> Decision | None:
    """Decide what follows a session: continue, progress, hold, reduce the load, regress, or stop.

    ``firstresult``: the first implementation that returns a
    :class:`rehabkit.engine.Decision` wins; return ``None`` to leave the
    decision to the next one. rehabkit's default policy
    (:func:`rehabkit.engine.decide`, symptom rules first, then phase criteria)
    is registered last, so a pack's policy runs before it. ``plan`` is the
    session that was done, ``result`` what the patient reported and ``facts``
    what is known about the patient with this session counted (approvals are in
    ``facts.approvals``, by the phase whose gate they open; check criteria with
    :func:`rehabkit.engine.check_criteria` and the gate). Whatever the policy
    decides, rehabkit enforces the course around it: stop-and-review and
    refer-urgently pause the course until a clinician's review, progress enters
    the next phase, and doses move by the protocol's steps (set
    ``Decision.within_limits`` to say whether the session counts toward days
    within the limits; by default only continue and progress do).

    Example::

        @hookimpl
        def rehabkit_progression_decision(plan, result, facts):
            if result.pain_after is not None and result.pain_after >= 8:
                return Decision(action="stop-and-review", reasons=("pain after 8/10 or more (clinic policy)",))
            return None  # otherwise the default policy decides
    """
