"""``rehabkit plugins``: what each plugin pack is, implements, registered, and whether it loaded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from . import EXIT_CODES, AppState, echo
from .exits import exit_with
from .options import format_option

if TYPE_CHECKING:
    from .._plugins.manager import PackStatus


@click.command(epilog=EXIT_CODES)
@format_option("text: a block per pack; json: a list of pack objects.")
@click.pass_obj
def plugins(state: AppState, output_format: str) -> None:
    """List plugin packs: name, distribution, version, status, hooks, registrations.

    A pack that failed to load is listed with its error; the others keep
    working. Status is one of loaded, failed (it broke while loading or
    registering), incompatible (written for a hook API this rehabkit does not
    provide; the error names the release it needs) or blocked. Commands a pack
    adds are listed under it and run as 'rehabkit NAME'.

    \b
    Examples:
      rehabkit plugins
      REHABKIT_LOAD_PLUGINS=neck rehabkit plugins --format json
    """
    manager = state.manager(warn=False, lenient=True)
    packs = list(manager.packs.values())
    if output_format == "json":
        click.echo(json.dumps([p.to_dict() for p in packs], indent=2))
    else:
        _print_text(packs)
    if state.strict_effective and manager.problems():
        from .._common.errors import ExitCode

        raise exit_with(ExitCode.FAILURE, *[f"rehabkit: error: {line}" for line in manager.problems()])


def _print_text(packs: list[PackStatus]) -> None:
    for pack in packs:
        version = f" {pack.version}" if pack.version else ""
        dist = f" ({pack.distribution}{version})" if pack.distribution else ""
        echo(f"{pack.name}{dist}: {pack.status}")
        echo(f"  module: {pack.module}" + (f"   hook API: {pack.hook_api}" if pack.hook_api is not None else ""))
        if pack.hooks:
            echo(f"  hooks: {', '.join(pack.hooks)}")
        for kind, names in pack.registered.items():
            if names:
                echo(f"  {kind.replace('_', ' ')}: {', '.join(names)}")
        for error in pack.errors:
            echo(f"  error: {error}")
        for what in pack.set_aside:
            echo(f"  set aside: {what}")
