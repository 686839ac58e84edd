"""Properties over generated input: mutated shipped protocols and random answers files never crash rehabkit.

A mutated document gets findings (or none), never RK000 "internal error" and never an exception; an
answers file is accepted or refused with AnswersFileError, nothing else. The fuzzing campaign of issue 12
kept as tests, at a size the suite can afford.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rehabkit import DocumentError
from rehabkit._documents.loader import Document, load_file, load_text
from rehabkit._documents.validation import Checker, iter_document_files

from conftest import PROTOCOLS

SHIPPED = [load_file(path).data for path in sorted(iter_document_files(PROTOCOLS)) if "exercises/" not in path]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.just(""),
    st.just("\u001b[2J"),
    st.just(10.0),
    st.just(-1),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(st.sampled_from(SHIPPED)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p]
        path = draw(st.sampled_from(paths))
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "insert"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "delete" and isinstance(parent, list) and len(parent) > 1:
            parent.pop(path[-1])
        elif action == "insert" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(VALUES)
        else:
            parent[path[-1]] = draw(VALUES)
    return document


CHECKER = Checker()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_a_mutated_protocol_gets_findings_never_a_crash(document: dict[str, Any]) -> None:
    text = json.dumps(document, default=str)
    findings = CHECKER.check_document(Document(path="mutated.json", format="json", text=text, data=json.loads(text)))
    assert not [f for f in findings if f.code == "RK000"], [f.format_text() for f in findings]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_yaml_is_a_document_or_a_finding(text: str) -> None:
    try:
        load_text(text.encode("utf-8", "surrogatepass"), path="any.yaml", fmt="yaml")
    except DocumentError:
        pass


@settings(max_examples=150, deadline=None)
@given(VALUES)
def test_any_answers_file_is_accepted_or_refused_by_name(data: Any) -> None:
    from rehabkit._sessions.runner import AnswersFileError, FileAnswers

    answers = FileAnswers(data, "answers.yaml")
    try:
        answers.check(["numbness-weakness", "spreading-pain"], ["chin-tuck", "glute-bridge"])
        answers.yes_no("screening:numbness-weakness", "?")
        answers.pain("pain_before", "?")
        answers.pain("exercises:chin-tuck", "?")
    except AnswersFileError as exc:
        assert "answers.yaml" in str(exc)
