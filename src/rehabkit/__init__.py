"""rehabkit: spine-rehabilitation exercise protocols as validated data, extended by plugins.

The package root stays import-light so that ``rehabkit --help`` starts fast;
the model, loader and plugin machinery live in their own modules.
"""

__version__ = "0.1.0"

#: Version of the hook API that plugin packs declare they were written for.
HOOK_API_VERSION = 1

__all__ = ["HOOK_API_VERSION", "__version__"]
