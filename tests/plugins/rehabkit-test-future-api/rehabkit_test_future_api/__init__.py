"""A pack written for hook API 2, which this rehabkit does not provide: it must be refused by name."""

from rehabkit import hookimpl

REHABKIT_HOOK_API = 2


@hookimpl
def rehabkit_register_screening(register):
    register({"id": "future-question", "question": "From the future?", "action": "note", "message": "Noted."})
