"""Registers rehabkit's own lint rules (pack ``core``); each theme's rules live in its own module."""

from __future__ import annotations

from ..hookspecs import RegisterLintRule, hookimpl
from . import dose_rules, metadata_rules, phase_rules, reference_rules, safety_rules

#: Every core rule: references (RK101-105), phases (RK106-108), doses (RK201-204),
#: safety (RK301-306), metadata (RK401-403).
RULES = (*reference_rules.RULES, *phase_rules.RULES, *dose_rules.RULES, *safety_rules.RULES, *metadata_rules.RULES)


@hookimpl
def rehabkit_register_lint_rules(register: RegisterLintRule) -> None:
    """Register the core lint rules."""
    for rule in RULES:
        register(rule)
