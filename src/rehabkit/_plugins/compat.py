"""Is a pack compatible with this rehabkit? The hook API version and load-time hook checks.

A pack declares the hook API version it was written for as a module attribute,
``REHABKIT_HOOK_API = 1``. rehabkit refuses a pack that declares none, or a
version it does not provide, with a message naming the pack and the rehabkit
release it needs (taken from the pack's own ``Requires-Dist: rehabkit ...``
where it has one). Once a pack is registered, every ``@hookimpl`` it defines
must name a real hook (pluggy checks the arguments of those that do), and a
``rehabkit_*`` function without ``@hookimpl`` is reported too, because rehabkit
would silently never call it.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable
from typing import Any

from .._common.version import HOOK_API_VERSION, __version__
from .entrypoints import metadata_field

__all__ = [
    "HOOK_API_ATTRIBUTE",
    "HOOK_API_INTRODUCED",
    "SUPPORTED_HOOK_APIS",
    "declared_hook_api",
    "hook_api_problem",
    "rehabkit_requirement",
    "undecorated_hooks",
    "unknown_hook_problems",
]

#: The module attribute a pack sets to the hook API version it was written for.
HOOK_API_ATTRIBUTE = "REHABKIT_HOOK_API"
#: Hook API versions this rehabkit can load.
SUPPORTED_HOOK_APIS = frozenset({HOOK_API_VERSION})
#: The first rehabkit release that provides each hook API version.
HOOK_API_INTRODUCED = {1: "0.1.0"}
#: The first rehabkit release that no longer provides a hook API version (none retired yet).
HOOK_API_RETIRED: dict[int, str] = {}


def declared_hook_api(plugin: Any) -> int | None:
    """The hook API version ``plugin`` declares, or ``None`` if it declares none or not a whole number."""
    declared = getattr(plugin, HOOK_API_ATTRIBUTE, None)
    return declared if isinstance(declared, int) and not isinstance(declared, bool) else None


def hook_api_problem(
    plugin: Any, pack: str, distribution: str | None = None, info_dir: str | None = None
) -> str | None:
    """Why ``plugin`` cannot be loaded by this rehabkit, or ``None`` if its declared hook API is provided.

    ``info_dir`` is the pack's installed ``.dist-info`` folder; its requirement
    on rehabkit (such as ``>=0.3``), read only for a refusal, says which
    release it needs.
    """
    where = getattr(plugin, "__name__", type(plugin).__name__)
    if not hasattr(plugin, HOOK_API_ATTRIBUTE):
        return (
            f"does not declare the hook API version it was written for: add "
            f"'{HOOK_API_ATTRIBUTE} = {HOOK_API_VERSION}' to {where!r} (rehabkit {__version__} provides hook API "
            f"{_supported()})."
        )
    declared = declared_hook_api(plugin)
    if declared is None:
        value = getattr(plugin, HOOK_API_ATTRIBUTE)
        return f"{HOOK_API_ATTRIBUTE} in {where!r} must be a whole number such as {HOOK_API_VERSION} (got {value!r})."
    if declared in SUPPORTED_HOOK_APIS:
        return None
    requirement = rehabkit_requirement(info_dir)
    owner = f"{distribution}" if distribution else f"pack {pack!r}"
    if requirement:
        needs = f"it needs rehabkit{requirement} (from the requirements of {owner})"
    elif declared > max(SUPPORTED_HOOK_APIS):
        since = HOOK_API_INTRODUCED.get(declared)
        needs = (
            f"it needs rehabkit>={since}"
            if since
            else f"it needs a rehabkit newer than {__version__} that provides hook API {declared}"
        )
    else:
        retired = HOOK_API_RETIRED.get(declared)
        needs = (
            f"it needs rehabkit<{retired}"
            if retired
            else f"it needs an older rehabkit that provides hook API {declared}"
        )
    advice = (
        "upgrade rehabkit"
        if declared > max(SUPPORTED_HOOK_APIS)
        else f"install a release of {owner} written for hook API {_supported()}"
    )
    return (
        f"was written for hook API {declared}, but rehabkit {__version__} provides hook API {_supported()}: "
        f"{needs}. Refused; {advice}, or block it with -p no:{pack}."
    )


def _supported() -> str:
    return ", ".join(str(v) for v in sorted(SUPPORTED_HOOK_APIS))


def unknown_hook_problems(names: Iterable[str], known: Iterable[str]) -> list[str]:
    """One message per ``@hookimpl`` name that is not a rehabkit hook, with the nearest real name."""
    known = sorted(known)
    problems = []
    for name in sorted(names):
        from .._common.errors import (
            did_you_mean,  # only when there is something to report: loading packs must not pay for it
        )

        hint = did_you_mean(name, known)
        problems.append(
            f"implements {name}, which is not a rehabkit hook, so rehabkit would never call it.{hint} "
            "The hooks are listed in docs/hooks.md."
        )
    return problems


def undecorated_hooks(plugin: Any, hookimpl_marker: str = "rehabkit_impl") -> list[str]:
    """One message per ``rehabkit_*`` function of ``plugin`` that lacks ``@hookimpl``."""
    problems = []
    for name, value in sorted(vars(plugin).items()) if hasattr(plugin, "__dict__") else ():
        if not name.startswith("rehabkit_") or not isinstance(value, types.FunctionType):
            continue
        if hasattr(value, hookimpl_marker):
            continue
        problems.append(
            f"defines {name} without @hookimpl, so rehabkit would never call it: "
            "decorate it with @rehabkit.hookimpl (names starting with 'rehabkit_' are kept for hooks)."
        )
    return problems


# Compiled on first use: it is needed only to explain an incompatible pack.
_REQUIREMENT = r"^rehabkit\s*(?:\[[^\]]*\])?\s*\(?(?P<spec>[<>=!~][^;()]*)\)?\s*(?:;.*)?$"


def rehabkit_requirement(info_dir: str | None) -> str | None:
    """The ``rehabkit`` version specifier in an installed distribution's metadata (``>=0.3``), if any."""
    for requirement in metadata_field(info_dir, "Requires-Dist") if info_dir else ():
        match = re.match(_REQUIREMENT, requirement, re.IGNORECASE)
        if match:
            return re.sub(r"\s+", "", match["spec"])
    return None
