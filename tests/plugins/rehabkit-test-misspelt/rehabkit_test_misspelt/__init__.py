"""A pack with a misspelt hook name and a hook function without @hookimpl, on purpose.

Both would silently never be called; rehabkit must fail the pack at load time
and say what to fix, and set aside its valid screening question too.
"""

from rehabkit import hookimpl

REHABKIT_HOOK_API = 1


@hookimpl
def rehabkit_register_protocol(register):  # the hook is rehabkit_register_protocols
    register({})


def rehabkit_register_lint_rules(register):  # no @hookimpl
    pass


@hookimpl
def rehabkit_register_screening(register):
    register({"id": "misspelt-question", "question": "Misspelt?", "action": "note", "message": "Noted."})
