"""A pack whose hook asks for an argument the hook does not offer, on purpose."""

from rehabkit import hookimpl

REHABKIT_HOOK_API = 1


@hookimpl
def rehabkit_register_screening(register, clinic):
    register({"id": "wrong-args-question", "question": "Wrong?", "action": "note", "message": clinic})
