"""Registers rehabkit's own lint rules (pack ``core``); each theme's rules live in its own module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._documents.lint import LintRule
from ..hookspecs import RegisterLintRule, hookimpl
from . import dose_rules, figure_rules, metadata_rules, phase_rules, reference_rules, safety_rules, text_rules

#: Every core rule: references (RK101-105, RK110), phases (RK106-109), doses (RK201-206),
#: safety (RK301-308), metadata (RK401-403), text (RK501), figures and media (RK601-602).
RULES = tuple(
    sorted(
        (
            *reference_rules.RULES,
            *phase_rules.RULES,
            *dose_rules.RULES,
            *safety_rules.RULES,
            *metadata_rules.RULES,
            *text_rules.RULES,
            *figure_rules.RULES,
        ),
        key=lambda rule: rule.code,  # registered, listed and explained by code
    )
)


@hookimpl
def rehabkit_register_lint_rules(register: RegisterLintRule) -> None:
    """Register the core lint rules."""
    for rule in RULES:
        register(rule)


#: The core rules whose explanations quote clinical settings a clinic's pack may replace: the settings each quotes
#: (names, or a section's prefix) and the function that words it for a policy and the packs that set them.
POLICY_EXPLAINED: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any], Mapping[str, str]], str]]] = {
    "RK201": (("dose_bounds.",), dose_rules.bounds_explanation),
    "RK301": (
        ("red_flags.required_signs", "red_flags.lumbar_conditions", "red_flags.lumbar_required_signs"),
        safety_rules.coverage_explanation,
    ),
    "RK306": (("red_flags.urgent_signs",), safety_rules.urgency_explanation),
}


def explain_rule(rule: LintRule, policy: Mapping[str, Any], set_by: Mapping[str, str]) -> str:
    """``rule``'s explanation under the clinical policy in force (``Registry.policy()``; ``set_by``: setting -> the
    pack that set it). A core rule that quotes clinical settings quotes those in force and names the packs that set
    them; any other rule's explanation is the one it was registered with."""
    quoted = POLICY_EXPLAINED.get(rule.code) if rule.pack == "core" else None
    if quoted is None:
        return rule.explanation
    settings, explain = quoted
    return explain(policy, {name: pack for name, pack in set_by.items() if name.startswith(settings)})
