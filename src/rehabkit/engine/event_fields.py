"""The fields of a stored course event's detail that a decision rests on, and whether a stored detail has them.

An approval opens or closes a gate by its ``kind`` and ``value``; a pause's ``action`` says whether the patient was
told to seek help urgently; a review's ``outcome`` lifts a pause, or ends or refers the course. None of them is ever
guessed: :func:`detail_problem` says what keeps a stored detail from being read, and the store treats such a row as
damaged (:class:`rehabkit._common.errors.DamagedRecord`). The typed details themselves are
:mod:`rehabkit.engine.events`' (which re-exports these names); this module makes no class, so that the store can check
a detail without importing them (``history`` reads events, not their classes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REVIEW_OUTCOMES", "detail_problem"]

#: What a clinician's review can decide.
REVIEW_OUTCOMES = ("resume", "earlier-phase", "discharge", "refer")


def _json_type(value: Any) -> str:
    """A JSON value's type, as a message names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "not an object"


def detail_problem(kind: str, data: Any) -> str | None:
    """What keeps a stored detail of an event of ``kind`` from being read without a guess (None: it can be read).

    A detail is stored as a JSON object, and the fields a decision rests on must be there with their type: which
    approval or clearance (``kind``) and whether it was given or withdrawn (``value``, true or false), a pause's
    ``action`` (whether the patient was told to seek help urgently), a review's ``outcome``. Any other field is read
    as far as it goes (:func:`event_detail`).
    """
    if not isinstance(data, Mapping):
        return f"its detail is {_json_type(data)}, not a JSON object"
    if kind == "approval":
        if not isinstance(data.get("kind"), str) or not data["kind"]:
            return "its detail does not say which approval or clearance it records (kind)"
        if not isinstance(data.get("value"), bool):
            return f"its detail does not say whether the {data['kind']} was given or withdrawn (value: true or false)"
    elif kind == "pause":
        if not isinstance(data.get("action"), str) or not data["action"]:
            return "its detail does not say what the pause asks for (action: stop-and-review or refer-urgently)"
    elif kind == "review" and data.get("outcome") not in REVIEW_OUTCOMES:
        outcome = data.get("outcome")
        return (
            f"its detail's review outcome {_shown(outcome)} is not one of {', '.join(REVIEW_OUTCOMES)}"
            if outcome is not None
            else "its detail does not say what the review decided (outcome)"
        )
    return None


def _shown(value: Any) -> str:
    """A stored value as a message quotes it: its repr (control characters escaped), cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
