"""rehabkit plugin pack: Low-back pain.

Contributes the protocol documents in this package's ``protocols`` folder
(a link to ``protocols/low-back/`` in the rehabkit repository, so that each
document exists once).
"""

from __future__ import annotations

from pathlib import Path

from rehabkit import RegisterProtocol, hookimpl

#: Hook API version this pack was written for.
REHABKIT_HOOK_API = 1

PROTOCOLS = Path(__file__).parent / "protocols"


@hookimpl
def rehabkit_register_protocols(register: RegisterProtocol) -> None:
    """Register every protocol document of this pack."""
    register(PROTOCOLS)
