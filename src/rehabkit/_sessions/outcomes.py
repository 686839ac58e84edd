"""Outcome measures moved to :mod:`rehabkit.engine.outcomes` (pure scoring, beside the engine that reads the scores).

This old private path keeps importing, with the same classes, for code written against it; the public name is
``rehabkit.OutcomeMeasure``.
"""

from __future__ import annotations

from ..engine.outcomes import METHODS, Band, OutcomeItem, OutcomeMeasure, Score, ScoringError

__all__ = ["METHODS", "Band", "OutcomeItem", "OutcomeMeasure", "Score", "ScoringError"]
