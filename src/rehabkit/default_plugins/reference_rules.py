"""Core lint rules on references: ids unique, named exercises and phases exist, no cycles."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .._common.errors import Severity, did_you_mean
from .._documents.lint import DOCUMENT_KINDS, LintContext, LintRule, Violation
from ..model import Exercise

_ID_LISTS = ("phases", "exercises", "red_flags", "precautions", "symptom_rules")


def _hint(name: str, known: list[str], otherwise: str) -> str:
    return did_you_mean(name, known, otherwise)


def unknown_exercise(context: LintContext) -> Iterator[Violation]:
    """Every exercise a phase names is defined in the document or an installed library."""
    assert context.protocol is not None
    known = context.exercises
    for i, phase in enumerate(context.protocol.phases):
        for j, ref in enumerate(phase.exercises):
            if ref.exercise in known:
                continue
            hint = _hint(
                ref.exercise, sorted(known), " Define it under 'exercises' or install the pack that provides it."
            )
            yield Violation(
                f"phase {phase.id!r} names exercise {ref.exercise!r}, "
                f"which is not defined in this document or in any installed exercise library.{hint}",
                ("phases", i, "exercises", j, "exercise"),
            )


def unknown_red_flag(context: LintContext) -> Iterator[Violation]:
    """Every red-flag library and question ``shared_red_flags`` names is installed."""
    assert context.protocol is not None
    shared = context.protocol.shared_red_flags
    if shared is None:
        return
    libraries = context.red_flag_libraries
    searched = ", ".join(sorted(libraries)) or "none is installed"
    if shared.minimum_set_from is not None and shared.minimum_set_from not in libraries:
        hint = _hint(shared.minimum_set_from, sorted(libraries), " Install the pack that provides it.")
        yield Violation(
            f"'minimum_set_from' names the red-flag library {shared.minimum_set_from!r}, which is not installed "
            f"(the red-flag libraries searched: {searched}).{hint}",
            ("shared_red_flags", "minimum_set_from"),
        )
    known = sorted({q.id for library in libraries.values() for q in library.questions})
    for i, question_id in enumerate(shared.questions):
        holding = sorted(name for name, library in libraries.items() if library.question(question_id))
        if len(holding) > 1:
            yield Violation(
                f"red-flag question {question_id!r} is in more than one installed red-flag library "
                f"({', '.join(holding)}), which may word and act on it differently: ask the packs' authors to "
                "rename one, or write the question you mean under 'red_flags'.",
                ("shared_red_flags", "questions", i),
            )
        if holding:
            continue
        hint = _hint(
            question_id, known, " Install the pack whose library has it, or write the question under 'red_flags'."
        )
        yield Violation(
            f"red-flag question {question_id!r} is in no installed red-flag library (the libraries searched: "
            f"{searched}).{hint}",
            ("shared_red_flags", "questions", i),
        )


def duplicate_ids(context: LintContext) -> Iterator[Violation]:
    """Ids are unique within each list of the document."""
    document = context.document
    for list_name in _ID_LISTS:
        seen: dict[str, int] = {}
        for index, item in enumerate(getattr(document, list_name, ())):
            if item.id in seen:
                yield Violation(
                    f"id {item.id!r} is used twice in {list_name!r} (first at index {seen[item.id]}): "
                    "give each entry its own id.",
                    (list_name, index, "id"),
                )
            else:
                seen[item.id] = index


def unknown_links(context: LintContext) -> Iterator[Violation]:
    """Regressions and progressions name exercises that exist."""
    known = context.exercises
    for i, exercise in enumerate(context.own_exercises()):
        for link in ("regression", "progression"):
            target = getattr(exercise, link)
            if target == exercise.id:
                yield Violation(f"exercise {exercise.id!r} names itself as its {link}.", ("exercises", i, link))
                continue
            if target is None or target in known:
                continue
            hint = _hint(target, sorted(known), " Define it or install the exercise library that has it.")
            yield Violation(
                f"exercise {exercise.id!r} names {target!r} as its {link}, "
                f"but no such exercise is defined or installed.{hint}",
                ("exercises", i, link),
            )


def _cycle(start: str, link: str, exercises: Mapping[str, Exercise]) -> list[str] | None:
    seen: list[str] = []
    current: str | None = start
    while current is not None and current in exercises:
        if current in seen:
            return [*seen[seen.index(current) :], current]
        seen.append(current)
        current = getattr(exercises[current], link)
    return None


def link_cycles(context: LintContext) -> Iterator[Violation]:
    """Following progressions (or regressions) never leads back to where it started."""
    reported: set[frozenset[str]] = set()
    for i, exercise in enumerate(context.own_exercises()):
        for link in ("progression", "regression"):
            cycle = _cycle(exercise.id, link, context.exercises)
            if cycle is None or len(set(cycle)) < 2 or frozenset(cycle) in reported:  # self-links are RK103's
                continue
            reported.add(frozenset(cycle))
            yield Violation(
                f"the {link} chain goes round in a circle: {' -> '.join(cycle)}. "
                f"A {link} must lead to a {'harder' if link == 'progression' else 'easier'} exercise; break the loop.",
                ("exercises", i, link),
            )


def unknown_phase(context: LintContext) -> Iterator[Violation]:
    """Phases named in criteria and precautions exist."""
    assert context.protocol is not None
    protocol = context.protocol
    ids = [p.id for p in protocol.phases]
    for i, phase in enumerate(protocol.phases):
        for part in ("entry", "exit"):
            criteria = getattr(phase, part)
            for k, criterion in enumerate(criteria.all if criteria else ()):
                where = ("phases", i, part, "all", k)
                if criterion.measure == "phase-completed" and criterion.phase is None:
                    yield Violation(
                        f"phase {phase.id!r}: a 'phase-completed' criterion must name the phase with 'phase: ID'.",
                        where,
                    )
                elif criterion.phase is not None and criterion.phase not in ids:
                    hint = _hint(criterion.phase, ids, f" Phases: {', '.join(ids)}.")
                    yield Violation(
                        f"phase {phase.id!r} refers to phase {criterion.phase!r}, "
                        f"which this protocol does not have.{hint}",
                        (*where, "phase"),
                    )
    for i, precaution in enumerate(protocol.precautions):
        if precaution.until_phase is not None and precaution.until_phase not in ids:
            hint = _hint(precaution.until_phase, ids, f" Phases: {', '.join(ids)}.")
            yield Violation(
                f"precaution {precaution.id!r} lasts until phase {precaution.until_phase!r}, "
                f"which this protocol does not have.{hint}",
                ("precautions", i, "until_phase"),
            )


RULES = (
    LintRule(
        code="RK101",
        severity=Severity.ERROR,
        summary="a phase names an exercise that does not exist",
        check=unknown_exercise,
        explanation=(
            "Phases name exercises by id. The id must be defined in the document's own 'exercises' list "
            "or by an installed pack's exercise library (see 'rehabkit plugins'). A misspelt id would "
            "leave a patient without the exercise their clinician planned."
        ),
    ),
    LintRule(
        code="RK102",
        severity=Severity.ERROR,
        summary="an id is used twice in one list",
        check=duplicate_ids,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "Phases, exercises, red flags, precautions and symptom rules are referred to by id "
            "(in criteria, records and decisions), so each id must be unique within its list."
        ),
    ),
    LintRule(
        code="RK103",
        severity=Severity.ERROR,
        summary="a regression or progression names an exercise that does not exist",
        check=unknown_links,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "An exercise's 'regression' (the easier fallback used when pain is too high) and "
            "'progression' (the harder next step) are exercise ids. They must be defined in the same "
            "document or in an installed exercise library; otherwise a pain flare would have nothing "
            "to regress to."
        ),
    ),
    LintRule(
        code="RK104",
        severity=Severity.ERROR,
        summary="a progression or regression chain goes round in a circle",
        check=link_cycles,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "Following 'progression' links must lead to ever harder exercises and 'regression' links to "
            "ever easier ones. A chain that returns to its start (a -> b -> a) would let the progression "
            "engine cycle forever. An exercise may regress to the one that progresses to it; that is "
            "not a cycle."
        ),
    ),
    LintRule(
        code="RK105",
        severity=Severity.ERROR,
        summary="a criterion or precaution names a phase that does not exist",
        check=unknown_phase,
        explanation=(
            "'phase-completed' criteria must name the phase with 'phase: ID', and precautions with "
            "'until_phase' must name a phase of the same protocol. A wrong id would make a phase "
            "impossible to enter or a precaution impossible to lift."
        ),
    ),
    LintRule(
        code="RK110",
        severity=Severity.ERROR,
        summary="a protocol takes a red-flag question or library that is not installed",
        check=unknown_red_flag,
        explanation=(
            "'shared_red_flags' takes red-flag questions from red-flag libraries (documents of kind "
            "'red-flag-library' that packs register; rehabkit's own is 'rehabkit-red-flags'): 'minimum_set_from' "
            "names a library, 'questions' names questions by id, searched in every installed library. A name no "
            "installed library has would leave a patient without a screening question their clinician chose; the "
            "finding names the libraries searched (see 'rehabkit plugins')."
        ),
    ),
)
