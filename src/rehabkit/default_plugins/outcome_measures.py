"""rehabkit's own outcome measures: numeric pain rating, Oswestry and Neck Disability Index, STarT Back, PEG.

The definitions (items, item maxima, scoring method, bands, references) are
data in ``_common/outcome_measures.json`` (:mod:`rehabkit._common.clinical_data`);
the scoring code is the generic one in :mod:`rehabkit.engine.outcomes`.
"""

from __future__ import annotations

from .._common.clinical_data import outcome_measures
from ..hookspecs import RegisterOutcomeMeasure, hookimpl


@hookimpl
def rehabkit_register_outcome_measures(register: RegisterOutcomeMeasure) -> None:
    """Register the measures defined in ``outcome_measures.json``."""
    for definition in outcome_measures():
        register(definition)
