"""Red-flag questions a protocol takes from red-flag libraries (``shared_red_flags``), made into questions.

A protocol names a library in ``shared_red_flags.minimum_set_from``: that library's question is asked for every sign
the protocol must screen for (the clinic's red-flag minimum set and its region's signs) that no other question
covers, so a sign added to the minimum set reaches every protocol using the set with no change to it. It may also
name questions by id (``shared_red_flags.questions``), searched in every installed red-flag library. Lint (RK110)
reports an id no installed library has; RK301 counts the questions taken. A session, a handout and ``rehabkit show``
see them as if they were written under ``red_flags`` (:func:`with_shared_red_flags`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from .._common.clinical_data import SHARED_RED_FLAGS_FILE, uncovered_signs
from ..model import Protocol, RedFlagLibrary, ScreeningQuestion

__all__ = ["find_question", "referenced_questions", "rehabkit_red_flags", "with_shared_red_flags"]


@cache
def rehabkit_red_flags() -> RedFlagLibrary:
    """rehabkit's own red-flag library (the shared set), as its pack registers it (cached: read-only)."""
    return RedFlagLibrary.from_dict(json.loads(SHARED_RED_FLAGS_FILE.read_text(encoding="utf-8")))


def find_question(libraries: Mapping[str, RedFlagLibrary], question_id: str) -> ScreeningQuestion | None:
    """The question with this id in the first library (by id) that has it, or None."""
    for name in sorted(libraries):
        question = libraries[name].question(question_id)
        if question is not None:
            return question
    return None


def referenced_questions(
    protocol: Protocol,
    libraries: Mapping[str, RedFlagLibrary],
    flags: Mapping[str, Any],
    covered_elsewhere: Iterable[str] = (),
) -> tuple[ScreeningQuestion, ...]:
    """The questions ``protocol`` takes from ``libraries`` (by library id): those named by id (an id no library has
    is left out: RK110 reports it), then the set's question for each sign ``flags`` (a clinical policy's
    ``red_flags``) requires that no question covers, the protocol's own, those taken, or ``covered_elsewhere``
    (signs the packs' screening questions cover, asked in every protocol)."""
    shared = protocol.shared_red_flags
    if shared is None:
        return ()
    own = {question.id for question in protocol.red_flags}
    taken = [q for q in (find_question(libraries, i) for i in shared.questions) if q is not None and q.id not in own]
    library = libraries.get(shared.minimum_set_from or "")
    if library is None:
        return tuple(taken)
    covered = {sign for q in (*protocol.red_flags, *taken) for sign in q.covers} | set(covered_elsewhere)
    for sign in uncovered_signs(flags, protocol.conditions, covered):
        question = library.for_sign(sign)
        if question is not None and question.id not in own | {q.id for q in taken}:
            taken.append(question)
    return tuple(taken)


def with_shared_red_flags(
    protocol: Protocol,
    libraries: Mapping[str, RedFlagLibrary],
    flags: Mapping[str, Any],
    covered_elsewhere: Iterable[str] = (),
) -> Protocol:
    """``protocol`` with the questions it takes from red-flag libraries written under ``red_flags`` (after its own),
    as a session, a handout or ``show`` asks them; the same object when it takes none."""
    if protocol.shared_red_flags is None:
        return protocol
    taken = referenced_questions(protocol, libraries, flags, covered_elsewhere)
    return protocol.replace(red_flags=(*protocol.red_flags, *taken), shared_red_flags=None)
