"""rehabkit's version and the hook API version it provides, defined once.

The package root re-exports both (``rehabkit.__version__``,
``rehabkit.HOOK_API_VERSION``); rehabkit's own modules import them from here,
never from the root, which names every public module: a module below it that
imported the root would close a loop (tests/test_architecture.py).
"""

__version__ = "0.1.0"

#: Version of the hook API that plugin packs declare they were written for (``REHABKIT_HOOK_API``).
HOOK_API_VERSION = 1

__all__ = ["HOOK_API_VERSION", "__version__"]
