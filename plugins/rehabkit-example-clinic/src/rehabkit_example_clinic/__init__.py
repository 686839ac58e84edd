"""rehabkit example code pack: what a clinic's own pack can add beyond protocol documents.

- a red-flag screening question asked before exercise in every protocol;
- a lint rule, ``EXC001``, that warns when a phase has more exercises than the
  clinic's policy allows;
- an outcome measure, the Patient-Specific Functional Scale, whose score feeds
  the ``psfs-mean`` phase criterion;
- a renderer, ``clinic-handout``, that writes rehabkit's handouts as Markdown
  under the clinic's letterhead (``rehabkit handout ... --renderer clinic-handout -o FILE.md``);
- a command, ``rehabkit dose-table PROTOCOL``, that prints each phase's starting doses;
- a clinical setting: every protocol must also screen for immunosuppression
  (rehabkit's red-flag minimum set, tuned through the clinical-policy hook).

The values (question, limit, measure) live in ``clinic.toml``; this module only
reads and registers them.
Heavy imports wait until a hook is called, so loading the pack stays cheap.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from rehabkit import (
    RegisterClinicalPolicy,
    RegisterCommand,
    RegisterLintRule,
    RegisterOutcomeMeasure,
    RegisterRenderer,
    RegisterScreening,
    hookimpl,
)

#: Hook API version this pack was written for.
REHABKIT_HOOK_API = 1

HERE = Path(__file__).parent


@functools.cache  # read once, though three hooks use it
def policy() -> dict[str, Any]:
    """The clinic's policy file, ``clinic.toml``, as data (shared: do not change it)."""
    import tomllib

    with open(HERE / "clinic.toml", "rb") as handle:
        return tomllib.load(handle)


@hookimpl
def rehabkit_register_screening(register: RegisterScreening) -> None:
    """Register the clinic's extra red-flag questions."""
    for question in policy()["screening"]:
        # The reference documents the question in clinic.toml; the schema's form has no field for it.
        register({key: value for key, value in question.items() if key != "reference"})


@hookimpl
def rehabkit_register_lint_rules(register: RegisterLintRule) -> None:
    """Register EXC001 with the clinic's limit."""
    from .rules import exercise_count_rule

    settings = policy()["lint"]
    register(exercise_count_rule(settings["max_exercises_per_session"], settings["reason"]))


@hookimpl
def rehabkit_register_outcome_measures(register: RegisterOutcomeMeasure) -> None:
    """Register the Patient-Specific Functional Scale."""
    for measure in policy()["measures"]:
        register(measure)


@hookimpl
def rehabkit_register_renderers(register: RegisterRenderer) -> None:
    """Register the ``clinic-handout`` renderer, with the clinic's letterhead from ``clinic.toml``."""
    from rehabkit import Renderer

    from .handout import render

    letterhead = policy()["letterhead"]["title"]
    register(
        Renderer(
            name="clinic-handout",
            kinds=("protocol-phase", "patient-plan"),
            file_types=("md",),
            function=lambda handout: render(handout, letterhead),
            description="Markdown handout under the clinic's letterhead.",
        )
    )


@hookimpl
def rehabkit_register_commands(register: RegisterCommand) -> None:
    """Register ``rehabkit dose-table``."""
    from .dose_table import dose_table

    register(dose_table)


@hookimpl
def rehabkit_register_clinical_policy(register: RegisterClinicalPolicy) -> None:
    """Register the clinic's own clinical settings."""
    register(policy()["clinical_policy"])
