"""rehabkit example code pack: what a clinic's own pack can add beyond protocol documents.

- a red-flag screening question asked before exercise in every protocol
  (``policy.yaml``);
- a lint rule, ``EXC001``, that warns when a phase has more exercises than the
  clinic's policy allows (the limit is in ``policy.yaml``);
- an outcome measure, the Patient-Specific Functional Scale (``psfs.json``),
  whose score feeds the ``psfs-mean`` phase criterion;
- a command, ``rehabkit handout PROTOCOL``, that prints a phase of a protocol
  as a printable Markdown handout for the patient.

The values live in the data files; this module only reads and registers them.
Heavy imports wait until a hook is called, so loading the pack stays cheap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rehabkit import hookimpl
from rehabkit.hookspecs import RegisterCommand, RegisterLintRule, RegisterOutcomeMeasure, RegisterScreening

#: Hook API version this pack was written for.
REHABKIT_HOOK_API = 1

HERE = Path(__file__).parent


def policy() -> dict[str, Any]:
    """The clinic's policy file (``policy.yaml``) as data."""
    import yaml

    with open(HERE / "policy.yaml", encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@hookimpl
def rehabkit_register_screening(register: RegisterScreening) -> None:
    """Register the clinic's extra red-flag questions."""
    for question in policy()["screening"]:
        register(question)


@hookimpl
def rehabkit_register_lint_rules(register: RegisterLintRule) -> None:
    """Register EXC001 with the clinic's limit."""
    from .rules import exercise_count_rule

    settings = policy()["lint"]
    register(exercise_count_rule(settings["max_exercises_per_session"], settings["reason"]))


@hookimpl
def rehabkit_register_outcome_measures(register: RegisterOutcomeMeasure) -> None:
    """Register the Patient-Specific Functional Scale."""
    register(json.loads((HERE / "psfs.json").read_text(encoding="utf-8")))


@hookimpl
def rehabkit_register_commands(register: RegisterCommand) -> None:
    """Register ``rehabkit handout``."""
    from .handout import handout

    register(handout)
