"""A pack that does not say which hook API it was written for: it must be refused with the line to add."""

from rehabkit import hookimpl


@hookimpl
def rehabkit_register_screening(register):
    register({"id": "undeclared-question", "question": "Undeclared?", "action": "note", "message": "Noted."})
