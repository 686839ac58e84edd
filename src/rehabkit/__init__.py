"""rehabkit: spine-rehabilitation exercise protocols as validated data, extended by plugins.

The package root stays import-light so that ``rehabkit --help`` starts fast:
``hookimpl`` (which needs pluggy) is imported on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: Version of the hook API that plugin packs declare they were written for.
HOOK_API_VERSION = 1

__all__ = ["HOOK_API_VERSION", "__version__", "hookimpl"]


def __getattr__(name: str) -> object:
    # Lazy so that importing rehabkit (and so `rehabkit --help`) does not import pluggy.
    if name == "hookimpl":
        from .hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'rehabkit' has no attribute {name!r}")
