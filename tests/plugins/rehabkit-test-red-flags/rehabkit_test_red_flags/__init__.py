"""A pack contributing a red-flag library: a folder holding one library document, as a clinic's pack would."""

from pathlib import Path

from rehabkit import hookimpl

REHABKIT_HOOK_API = 1


@hookimpl
def rehabkit_register_red_flag_libraries(register):
    register(Path(__file__).parent / "red-flags")
