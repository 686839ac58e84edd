"""What a protocol takes from rehabkit's shared red-flag set (shared_red_flags.minimum_set_from), for any minimum set
a clinic may require and any signs the protocol's own questions cover: every required sign ends up asked, once, and
nothing it does not need is added. A Hypothesis property over the signs, at the level RK301 and the session share."""

from __future__ import annotations

import copy

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rehabkit._common.clinical_data import policy, required_signs
from rehabkit._common.vocabulary import RED_FLAG_SIGNS
from rehabkit._documents.red_flag_refs import referenced_questions, rehabkit_red_flags, with_shared_red_flags
from rehabkit.model import Protocol

from conftest import CORPUS

MINIMAL = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text())
MINIMAL["reviewed"] = str(MINIMAL["reviewed"])
SIGNS = sorted(sign for sign in RED_FLAG_SIGNS if sign != "other")
LIBRARIES = {"rehabkit-red-flags": rehabkit_red_flags()}
SHARED_SIGNS = {sign for q in rehabkit_red_flags().questions for sign in q.covers}


def _protocol(own: list[str], by_id: list[str]) -> Protocol:
    data = copy.deepcopy(MINIMAL)
    data["red_flags"] = [
        {"id": "own", "question": "Anything new?", "covers": own, "action": "refer-urgently", "message": "Stop."}
    ]
    if not own:
        del data["red_flags"][0]["covers"]
    data["shared_red_flags"] = {"minimum_set_from": "rehabkit-red-flags", **({"questions": by_id} if by_id else {})}
    return Protocol.from_dict(data)


@settings(max_examples=60, deadline=None)
@given(
    required=st.lists(st.sampled_from(SIGNS), unique=True, max_size=8),
    own=st.lists(st.sampled_from(SIGNS), unique=True, max_size=6),
    by_id=st.lists(st.sampled_from(sorted(q.id for q in rehabkit_red_flags().questions)), unique=True, max_size=3),
    elsewhere=st.lists(st.sampled_from(SIGNS), unique=True, max_size=3),
)
def test_the_shared_set_fills_exactly_the_signs_left_uncovered(required, own, by_id, elsewhere) -> None:
    flags = {**policy()["red_flags"], "required_signs": required}
    protocol = _protocol(own, by_id)
    taken = referenced_questions(protocol, LIBRARIES, flags, elsewhere)
    ids = [q.id for q in taken]
    assert len(ids) == len(set(ids)) and "own" not in ids  # each question once, the protocol's own not again
    assert ids[: len(by_id)] == by_id  # the questions named by id first, in the order named
    covered = set(own) | set(elsewhere) | {sign for q in taken for sign in q.covers}
    needed = set(required_signs(flags, protocol.conditions))
    assert (needed & SHARED_SIGNS) <= covered  # every required sign the set has a question for is asked
    for question in taken[len(by_id) :]:  # and the set adds nothing that was covered already
        (sign,) = question.covers
        assert sign in needed and sign not in set(own) | set(elsewhere)
    resolved = with_shared_red_flags(protocol, LIBRARIES, flags, elsewhere)
    assert [q.id for q in resolved.red_flags] == ["own", *ids] and resolved.shared_red_flags is None
    assert with_shared_red_flags(resolved, LIBRARIES, flags, elsewhere) is resolved  # made once
