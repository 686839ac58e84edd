"""``rehabkit dose-table PROTOCOL``: each phase's exercises and starting doses as one table, for the clinic's staff."""

from __future__ import annotations

import click

from rehabkit import CommandState


@click.command("dose-table")
@click.argument("protocol_id", metavar="PROTOCOL")
@click.pass_obj
def dose_table(state: CommandState, protocol_id: str) -> None:
    """Print each phase of PROTOCOL with its exercises and their starting doses.

    Added by the example-clinic pack, as an example of a pack's command.

    \b
    Examples:
      rehabkit dose-table neck-pain
    """
    registry = state.registry()
    try:
        protocol = registry.find_protocol(protocol_id).item
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    library = {**registry.exercise_library(), **{e.id: e for e in protocol.exercises}}
    for phase in protocol.phases:
        click.echo(f"{phase.id}: {phase.name}")
        for ref in phase.exercises:
            exercise = library.get(ref.exercise)
            dose = ref.dose or (exercise.dose if exercise else None)
            name = exercise.name if exercise else ref.exercise
            click.echo(f"  {name}: {dose.describe() if dose else 'as shown by the clinician'}")
