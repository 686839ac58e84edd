"""rehabkit's shared red-flag set, registered as a red-flag library (``rehabkit-red-flags``) like a pack's.

The document is ``rehabkit/_common/shared_red_flags.json``: protocols take its questions with ``shared_red_flags``,
and the session asks its question for a sign of the clinic's minimum set no question covers. One document, both
uses.
"""

from __future__ import annotations

from .._common.clinical_data import SHARED_RED_FLAGS_FILE
from ..hookspecs import RegisterRedFlagLibrary, hookimpl

__all__ = ["rehabkit_register_red_flag_libraries"]


@hookimpl
def rehabkit_register_red_flag_libraries(register: RegisterRedFlagLibrary) -> None:
    """Register rehabkit's shared red-flag set."""
    register(SHARED_RED_FLAGS_FILE)
