"""rehabkit's own clinical data, kept as JSON with its sources in the two files beside this module.

``clinical_policy.json``: the clinical defaults (the red-flag minimum set, the
urgent signs, the lower-back conditions that screen for cauda equina, the typo
bounds of doses, the question asked after each session, the handouts' headings).
``outcome_measures.json``: the core outcome measures (numeric pain rating,
Oswestry and Neck Disability Index: items, scoring, bands, references).

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
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["MEASURES_FILE", "POLICY_FILE", "outcome_measures", "policy"]

# Plain paths beside this module, not importlib.resources (5 ms to import): rehabkit is never run from a zip.
POLICY_FILE = Path(__file__).with_name("clinical_policy.json")
MEASURES_FILE = Path(__file__).with_name("outcome_measures.json")


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
