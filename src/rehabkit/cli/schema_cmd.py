"""``rehabkit schema``: print or write the published protocol JSON Schema."""

from __future__ import annotations

import click

from . import EXIT_CODES


@click.command(epilog=EXIT_CODES)
@click.option(
    "--kind",
    type=click.Choice(["protocol", "exercise-library", "red-flag-library"]),
    default="protocol",
    show_default=True,
    help="Which document kind's schema. The library schemas carry copies of the protocol schema's definitions.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the schema to this file instead of standard output.",
)
def schema(kind: str, output: str | None) -> None:
    """Print the protocol (or exercise-library) JSON Schema (draft 2020-12).

    Point your editor's YAML or JSON language server at it to get completion
    and the description of every field, for example with a first line
    '# yaml-language-server: $schema=protocol.schema.json' in a YAML protocol.

    \b
    Examples:
      rehabkit schema -o protocol.schema.json
      rehabkit schema --kind exercise-library -o exercise-library.schema.json
    """
    from .._documents.schemas import SCHEMA_FOR_KIND, schema_text

    text = schema_text(SCHEMA_FOR_KIND[kind])
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {output!r}: {exc.strerror or exc}.", param_hint="'-o'") from None
    click.echo(f"wrote {output}", err=True)
