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

__version__ = "0.1.0"

#: Version of the hook API that plugin packs declare they were written for (``REHABKIT_HOOK_API``).
HOOK_API_VERSION = 1

#: Each public name and the module that defines it.
_PUBLIC: dict[str, str] = {
    # hooks
    "hookimpl": "hookspecs",
    "RegisterClinicalPolicy": "hookspecs",
    "RegisterCommand": "hookspecs",
    "RegisterExercise": "hookspecs",
    "RegisterLintRule": "hookspecs",
    "RegisterOutcomeMeasure": "hookspecs",
    "RegisterProtocol": "hookspecs",
    "RegisterRenderer": "hookspecs",
    "RegisterScreening": "hookspecs",
    "CommandState": "_plugins.command_state",
    # the model
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
    # lint rules
    "LintContext": "_documents.lint",
    "LintRule": "_documents.lint",
    "Violation": "_documents.lint",
    "Finding": "_common.errors",
    "Severity": "_common.errors",
    # sessions and the progression policy
    "Decision": "engine",
    "Facts": "engine",
    "PlannedExercise": "engine",
    "SessionPlan": "engine",
    "SessionResult": "engine",
    "check_criteria": "engine",
    # outcome measures
    "OutcomeMeasure": "engine.outcomes",
    "Score": "engine.outcomes",
    # outputs: renderers and what they are given
    "CourseReport": "_outputs.content",
    "Handout": "_outputs.content",
    "Renderer": "_outputs.content",
    "escape_markdown": "_outputs.markdown",
    # the registry a command sees
    "Registered": "_plugins.registry",
    "Registry": "_plugins.registry",
    # errors and exit codes
    "DocumentError": "_common.errors",
    "ExitCode": "_common.exit_codes",
    "PluginError": "_common.errors",
    "RehabkitError": "_common.errors",
}

__all__ = [
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

if TYPE_CHECKING:
    # "X as X" marks each name as re-exported for type checkers; at run time __getattr__ resolves them.
    from ._common.errors import (
        DocumentError as DocumentError,
    )
    from ._common.errors import (
        Finding as Finding,
    )
    from ._common.errors import (
        PluginError as PluginError,
    )
    from ._common.errors import (
        RehabkitError as RehabkitError,
    )
    from ._common.errors import (
        Severity as Severity,
    )
    from ._common.exit_codes import (
        ExitCode as ExitCode,
    )
    from ._documents.lint import (
        LintContext as LintContext,
    )
    from ._outputs.content import (
        CourseReport as CourseReport,
    )
    from ._outputs.content import (
        Handout as Handout,
    )
    from ._outputs.content import (
        Renderer as Renderer,
    )
    from ._documents.lint import (
        LintRule as LintRule,
    )
    from ._documents.lint import (
        Violation as Violation,
    )
    from ._outputs.markdown import (
        escape_markdown as escape_markdown,
    )
    from ._plugins.command_state import (
        CommandState as CommandState,
    )
    from ._plugins.registry import (
        Registered as Registered,
    )
    from ._plugins.registry import (
        Registry as Registry,
    )
    from .engine.outcomes import (
        OutcomeMeasure as OutcomeMeasure,
    )
    from .engine.outcomes import (
        Score as Score,
    )
    from .engine import (
        Decision as Decision,
    )
    from .engine import (
        Facts as Facts,
    )
    from .engine import (
        PlannedExercise as PlannedExercise,
    )
    from .engine import (
        SessionPlan as SessionPlan,
    )
    from .engine import (
        SessionResult as SessionResult,
    )
    from .engine import (
        check_criteria as check_criteria,
    )
    from .hookspecs import (
        RegisterClinicalPolicy as RegisterClinicalPolicy,
        RegisterCommand as RegisterCommand,
    )
    from .hookspecs import (
        RegisterExercise as RegisterExercise,
    )
    from .hookspecs import (
        RegisterLintRule as RegisterLintRule,
    )
    from .hookspecs import (
        RegisterRenderer as RegisterRenderer,
    )
    from .hookspecs import (
        RegisterOutcomeMeasure as RegisterOutcomeMeasure,
    )
    from .hookspecs import (
        RegisterProtocol as RegisterProtocol,
    )
    from .hookspecs import (
        RegisterScreening as RegisterScreening,
    )
    from .hookspecs import (
        hookimpl as hookimpl,
    )
    from .model import (
        Criteria as Criteria,
    )
    from .model import (
        Criterion as Criterion,
    )
    from .model import (
        Dose as Dose,
    )
    from .model import (
        Eligibility as Eligibility,
    )
    from .model import (
        Exercise as Exercise,
    )
    from .model import (
        ExerciseLibrary as ExerciseLibrary,
    )
    from .model import (
        ExerciseRef as ExerciseRef,
    )
    from .model import (
        Media as Media,
    )
    from .model import (
        Phase as Phase,
    )
    from .model import (
        Precaution as Precaution,
    )
    from .model import (
        Protocol as Protocol,
    )
    from .model import (
        Range as Range,
    )
    from .model import (
        Reference as Reference,
    )
    from .model import (
        ScreeningQuestion as ScreeningQuestion,
    )
    from .model import (
        Supervision as Supervision,
    )
    from .model import (
        Suppression as Suppression,
    )
    from .model import (
        SymptomRule as SymptomRule,
    )


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
