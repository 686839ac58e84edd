"""``rehabkit new-plugin NAME``: generate a plugin pack ready to install, test and publish."""

from __future__ import annotations

import os

import click

from . import EXIT_CODES


@click.command("new-plugin", epilog=EXIT_CODES)
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    default=".",
    show_default=True,
    metavar="FOLDER",
    type=click.Path(file_okay=False),
    help="Create the pack's folder inside this folder.",
)
def new_plugin(name: str, parent: str) -> None:
    """Create a plugin pack in the folder NAME.

    NAME is the pack's name (lower-case letters, digits and hyphens, such as
    'myclinic'); the distribution is rehabkit-NAME and the module rehabkit_NAME.
    The pack has a pyproject.toml with the entry point, a module implementing
    the protocols and lint-rules hooks, a sample protocol that validates, a
    README and tests that use rehabkit's pytest fixtures. It never overwrites:
    an existing folder is refused (exit 2).

    \b
    Examples:
      rehabkit new-plugin myclinic
      pip install -e "./myclinic[test]" && pytest myclinic
      rehabkit plugins
    """
    from .._authoring.scaffold import ScaffoldError, create_pack
    from .._plugins.entrypoints import ENTRY_POINT_GROUP, entry_points

    installed = frozenset(ep.name for ep in entry_points(ENTRY_POINT_GROUP))
    try:
        root = create_pack(name, parent, installed)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot create the pack: {exc}") from None
    shown = os.path.relpath(root)
    if not shown.startswith("."):
        shown = os.path.join(".", shown)  # pip reads "./NAME", not "NAME", as a folder
    click.echo(f"Created the rehabkit pack in {shown}/:")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        click.echo(f"  {path.relative_to(root)}")
    click.echo("\nNext:")
    click.echo(f'  pip install -e "{shown}[test]"')
    click.echo(f"  pytest {shown}")
    click.echo("  rehabkit plugins && rehabkit list")
    click.echo("The tutorial, from here to publishing: docs/plugins.md in rehabkit.")
