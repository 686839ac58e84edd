"""A pack whose hooks register malformed data, on purpose.

rehabkit must report it by name, set aside everything it registered (including
the one valid exercise) and keep the other packs working.
"""

REHABKIT_HOOK_API = 1

from rehabkit import hookimpl


@hookimpl
def rehabkit_register_exercises(register):
    register(
        {
            "id": "garbage-valid-exercise",
            "name": "Valid",
            "component": "functional-stability",
            "region": "lumbar",
            "steps": ["Stand up."],
        }
    )
    register({"id": "garbage-exercise", "name": 42})


@hookimpl
def rehabkit_register_protocols(register):
    register(42)


@hookimpl
def rehabkit_register_commands(register):
    import click

    register("not a command")

    @click.command("list")
    def clash():
        """Would shadow rehabkit's own list command."""

    register(clash)
