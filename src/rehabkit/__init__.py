"""rehabkit: spine-rehabilitation exercise protocols as validated data, extended by plugins.

This is the public API for pack authors: import what you need from ``rehabkit``
itself (``from rehabkit import hookimpl, LintRule, Violation``). Names are
resolved on first use, so that importing rehabkit (and so ``rehabkit --help``)
stays light. The namespaced modules ``rehabkit.hookspecs``, ``rehabkit.model``,
``rehabkit.engine`` and ``rehabkit.testing`` are public too; every other module
is private and may move. docs/api.md describes every name.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from typing import TYPE_CHECKING, Any

from ._common.version import HOOK_API_VERSION, __version__

if TYPE_CHECKING:  # the names of the table below, one import per module; at run time __getattr__ resolves them
    from ._common.errors import DocumentError, Finding, PluginError, RehabkitError, Severity
    from ._common.exit_codes import ExitCode
    from ._documents.lint import LintContext, LintRule, Violation
    from ._outputs.content import CourseReport, Handout, Renderer
    from ._outputs.markdown import escape_markdown
    from ._plugins.command_state import CommandState
    from ._plugins.registry import Registered, Registry
    from .engine import Decision, Facts, PlannedExercise, SessionPlan, SessionResult, check_criteria
    from .engine.outcomes import OutcomeMeasure, Score
    from .hookspecs import (
        RegisterClinicalPolicy,
        RegisterCommand,
        RegisterExercise,
        RegisterLintRule,
        RegisterOutcomeMeasure,
        RegisterProtocol,
        RegisterRedFlagLibrary,
        RegisterRenderer,
        RegisterScreening,
        hookimpl,
    )
    from .model import (
        Criteria,
        Criterion,
        Dose,
        Eligibility,
        Exercise,
        ExerciseLibrary,
        ExerciseRef,
        Media,
        Phase,
        Precaution,
        Protocol,
        Range,
        Reference,
        ScreeningQuestion,
        Supervision,
        Suppression,
        SymptomRule,
    )

#: The public API: each name, resolved on first use, and the module that defines it (docs/api.md describes them).
_PUBLIC: dict[str, str] = {
    "DocumentError": "_common.errors",
    "Finding": "_common.errors",
    "PluginError": "_common.errors",
    "RehabkitError": "_common.errors",
    "Severity": "_common.errors",
    "ExitCode": "_common.exit_codes",
    "LintContext": "_documents.lint",
    "LintRule": "_documents.lint",
    "Violation": "_documents.lint",
    "CourseReport": "_outputs.content",
    "Handout": "_outputs.content",
    "Renderer": "_outputs.content",
    "escape_markdown": "_outputs.markdown",
    "CommandState": "_plugins.command_state",
    "Registered": "_plugins.registry",
    "Registry": "_plugins.registry",
    "OutcomeMeasure": "engine.outcomes",
    "Score": "engine.outcomes",
    "Decision": "engine",
    "Facts": "engine",
    "PlannedExercise": "engine",
    "SessionPlan": "engine",
    "SessionResult": "engine",
    "check_criteria": "engine",
    "RegisterClinicalPolicy": "hookspecs",
    "RegisterCommand": "hookspecs",
    "RegisterExercise": "hookspecs",
    "RegisterLintRule": "hookspecs",
    "RegisterOutcomeMeasure": "hookspecs",
    "RegisterProtocol": "hookspecs",
    "RegisterRedFlagLibrary": "hookspecs",
    "RegisterRenderer": "hookspecs",
    "RegisterScreening": "hookspecs",
    "hookimpl": "hookspecs",
    "Criteria": "model",
    "Criterion": "model",
    "Dose": "model",
    "Eligibility": "model",
    "Exercise": "model",
    "ExerciseLibrary": "model",
    "ExerciseRef": "model",
    "Media": "model",
    "Phase": "model",
    "Precaution": "model",
    "Protocol": "model",
    "Range": "model",
    "Reference": "model",
    "ScreeningQuestion": "model",
    "Supervision": "model",
    "Suppression": "model",
    "SymptomRule": "model",
}

#: The table's names and the two constants, sorted: a literal list, which type checkers read for ``import *``
#: (tests/test_public_api.py checks that it is the table's).
__all__ = [  # noqa: RUF022 - in sorted()'s order, which the test checks
    "CommandState",
    "CourseReport",
    "Criteria",
    "Criterion",
    "Decision",
    "DocumentError",
    "Dose",
    "Eligibility",
    "Exercise",
    "ExerciseLibrary",
    "ExerciseRef",
    "ExitCode",
    "Facts",
    "Finding",
    "HOOK_API_VERSION",
    "Handout",
    "LintContext",
    "LintRule",
    "Media",
    "OutcomeMeasure",
    "Phase",
    "PlannedExercise",
    "PluginError",
    "Precaution",
    "Protocol",
    "Range",
    "Reference",
    "RegisterClinicalPolicy",
    "RegisterCommand",
    "RegisterExercise",
    "RegisterLintRule",
    "RegisterOutcomeMeasure",
    "RegisterProtocol",
    "RegisterRedFlagLibrary",
    "RegisterRenderer",
    "RegisterScreening",
    "Registered",
    "Registry",
    "RehabkitError",
    "Renderer",
    "Score",
    "ScreeningQuestion",
    "SessionPlan",
    "SessionResult",
    "Severity",
    "Supervision",
    "Suppression",
    "SymptomRule",
    "Violation",
    "__version__",
    "check_criteria",
    "escape_markdown",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing rehabkit (and so `rehabkit --help`) imports neither pluggy nor attrs.
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'rehabkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return __all__


#: Modules that moved into private subpackages, by their old name: packs written for rehabkit 0.1 import
#: ``rehabkit.lint``, ``rehabkit.errors``, ``rehabkit.outcomes`` ...; those imports keep working, with a warning.
_MOVED: dict[str, str] = {
    f"{__name__}.{old}": f"{__name__}.{new}"
    for old, new in {
        "loader": "_documents.loader",
        "positions": "_documents.positions",
        "schemas": "_documents.schemas",
        "validation": "_documents.validation",
        "lint": "_documents.lint",
        "suppressions": "_documents.suppressions",
        "plugins": "_plugins.manager",
        "registry": "_plugins.registry",
        "entrypoints": "_plugins.entrypoints",
        "compat": "_plugins.compat",
        "store": "_sessions.store",
        "course": "_sessions.course",
        "runner": "_sessions.runner",
        "outcomes": "engine.outcomes",
        "hookdoc": "_authoring.hookdoc",
        "scaffold": "_authoring.scaffold",
        "errors": "_common.errors",
        "exit_codes": "_common.exit_codes",
        "vocabulary": "_common.vocabulary",
    }.items()
}


class _MovedModules:
    """Imports a moved module under its old name (a meta-path finder and loader, by duck typing)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name not in _MOVED:
            return None
        return importlib.machinery.ModuleSpec(name, self)  # type: ignore[arg-type]  # a loader by duck typing

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        warnings.warn(
            f"{spec.name} moved to a private module; import its public names from 'rehabkit' (see docs/api.md).",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(_MOVED[spec.name])

    def exec_module(self, module: Any) -> None:
        """The module is the moved one, already executed."""


sys.meta_path.append(_MovedModules())
