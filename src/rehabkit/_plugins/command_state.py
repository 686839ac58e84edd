"""What a pack's command receives from ``@click.pass_obj``: the state of the ``rehabkit`` command line.

A :class:`typing.Protocol`, so that a pack's type checker knows what it may
call without importing rehabkit's command-line internals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["CommandState"]


class CommandState(Protocol):
    """The command line's shared state: the installed packs' registry and the strict setting.

    Example::

        @click.command("handout")
        @click.argument("protocol_id")
        @click.pass_obj
        def handout(state: CommandState, protocol_id: str) -> None:
            protocol = state.registry().find_protocol(protocol_id).item
    """

    def registry(self, **needs: bool) -> Registry:
        """What the loaded packs contributed; ``protocols=False``, ``exercises=False`` or ``measures=False`` skip
        parsing what a command does not use."""

    @property
    def strict_effective(self) -> bool:
        """Whether ``--strict`` (or ``REHABKIT_STRICT_PLUGINS=1``) is in force."""
