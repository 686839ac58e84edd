"""rehabkit's own clinical data, kept as JSON with its sources in the two files beside this module.

``clinical_policy.json``: the clinical defaults (the red-flag minimum set, the
urgent signs, the lower-back conditions that screen for cauda equina, the typo
bounds of doses, the question asked after each session, the handouts' headings).
``outcome_measures.json``: the core outcome measures (numeric pain rating,
Oswestry and Neck Disability Index: items, scoring, bands, references).
``shared_red_flags.json``: the shared red-flag set, one question per sign a protocol
may have to screen for: a red-flag library document (``kind: red-flag-library``, id
:data:`SHARED_RED_FLAG_LIBRARY`) that rehabkit's own pack registers, so that protocols
take its questions with ``shared_red_flags``; the same document gives the question asked
at run time for a sign no question of a protocol covers (:func:`shared_red_flags`).

Clinical choices are data, not constants in the code that uses them. They are
here, at the bottom of the layers, because every part reads them: the
vocabulary, the lint rules and their context, the session runner and the
handouts read the defaults; the core pack registers the measures, and lint's
context takes their scales when no installed ones are given. A clinic's pack
may replace any default through ``rehabkit_register_clinical_policy``
(:mod:`rehabkit._plugins.policy_settings` checks what it registers;
``Registry.policy()`` is the policy in force).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "MEASURES_FILE",
    "POLICY_FILE",
    "SHARED_RED_FLAGS_FILE",
    "SHARED_RED_FLAG_LIBRARY",
    "outcome_measures",
    "policy",
    "required_signs",
    "shared_red_flags",
    "uncovered_signs",
]

# Plain paths beside this module, not importlib.resources (5 ms to import): rehabkit is never run from a zip.
POLICY_FILE = Path(__file__).with_name("clinical_policy.json")
MEASURES_FILE = Path(__file__).with_name("outcome_measures.json")
SHARED_RED_FLAGS_FILE = Path(__file__).with_name("shared_red_flags.json")
#: The id of rehabkit's shared red-flag library, the document in :data:`SHARED_RED_FLAGS_FILE`.
SHARED_RED_FLAG_LIBRARY = "rehabkit-red-flags"


@cache
def policy() -> dict[str, Any]:
    """The clinical defaults (cached: treat as read-only)."""
    data: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    return data


def outcome_measures() -> list[dict[str, Any]]:
    """The core outcome measures' definitions, each in :meth:`rehabkit.OutcomeMeasure.from_dict`'s form (read afresh:
    the caller may keep or change them)."""
    measures: list[dict[str, Any]] = json.loads(MEASURES_FILE.read_text(encoding="utf-8"))["measures"]
    return measures


@cache
def shared_red_flags() -> dict[str, dict[str, Any]]:
    """The shared red-flag set's questions (screening-question mappings), by the one sign each covers (cached: treat
    as read-only): the questions of the red-flag library document protocols take them from."""
    data = json.loads(SHARED_RED_FLAGS_FILE.read_text(encoding="utf-8"))
    return {question["covers"][0]: question for question in data["questions"]}


def required_signs(flags: Mapping[str, Any], conditions: Iterable[str]) -> dict[str, str]:
    """The signs a protocol for ``conditions`` must screen for (``flags``: a policy's ``red_flags``), sign -> the
    region that asks for it (``""``: every protocol): the minimum set, then each region's own."""
    conditions = set(conditions)
    required = {sign: "" for sign in flags["required_signs"]}
    if set(flags["lumbar_conditions"]) & conditions:
        required.update({sign: "the lower back" for sign in flags["lumbar_required_signs"] if sign not in required})
    for group in flags.get("region_required_signs", ()):
        if set(group["conditions"]) & conditions:
            required.update({sign: group["region"] for sign in group["signs"] if sign not in required})
    return required


def uncovered_signs(flags: Mapping[str, Any], conditions: Iterable[str], covered: Iterable[str]) -> dict[str, str]:
    """The signs of :func:`required_signs` that no question covers (``covered``: the signs the questions cover)."""
    seen = set(covered)
    return {sign: region for sign, region in required_signs(flags, conditions).items() if sign not in seen}
