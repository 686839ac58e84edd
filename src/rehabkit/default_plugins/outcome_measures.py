"""rehabkit's own outcome measures: numeric pain rating, Oswestry and Neck Disability Index.

The definitions (items, item maxima, scoring method, bands, references) are
data in ``outcome_measures.json`` beside this module; the scoring code is the
generic one in :mod:`rehabkit.engine.outcomes`.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..hookspecs import RegisterOutcomeMeasure, hookimpl

DEFINITIONS = Path(__file__).with_name("outcome_measures.json")


@hookimpl
def rehabkit_register_outcome_measures(register: RegisterOutcomeMeasure) -> None:
    """Register the measures defined in ``outcome_measures.json``."""
    for definition in json.loads(DEFINITIONS.read_text(encoding="utf-8"))["measures"]:
        register(definition)
