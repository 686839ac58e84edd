"""The session store as the commands open it: the store ``--db`` names, the patient's lock, known patients.

Each turns the store's own errors into the command line's: a store that cannot be opened (exit 1, or 2 for a
PostgreSQL URL without the postgres extra), a patient another command is recording (exit 8), a patient the
store does not know (exit 1), a patient whose stored record holds a row that cannot be read (exit 10: every
command that acts on a patient's course checks the whole record first, through :func:`require_patient`,
:func:`course_lock` or :func:`check_record`, before it reads or records anything).
"""

from __future__ import annotations

import weakref
from typing import Any

import click

from .._common.exit_codes import ExitCode
from . import echo
from .exits import error_exit

__all__ = [
    "acting",
    "check_new_patient",
    "check_record",
    "course_lock",
    "note_surgery_change",
    "open_store",
    "permitted",
    "require_patient",
    "require_store_to_record",
    "store_exists",
]


def open_store(db: str | None, *, create: bool = False, clinician: str | None = None, read_only: bool = False) -> Any:
    """Open the session store (a SQLite file, or a PostgreSQL database by URL), turning a failure into a clear error
    (exit 1; 2 when a PostgreSQL URL is given without the postgres extra). No command but 'db upgrade' upgrades a
    store: an older one is refused and left as it is. ``create`` (the commands that make a store: 'staff add', the
    destination of 'db copy') makes a new store of a missing or empty file; ``read_only`` (the commands that only
    read) writes nothing to the store at all. ``clinician`` is kept with every record made."""
    from .._sessions.backends import StoreUnavailable, open_current
    from .._sessions.store import StoreError

    try:
        return open_current(db, create=create, clinician=clinician, read_only=read_only)
    except StoreUnavailable as exc:
        raise error_exit(ExitCode.USAGE, str(exc)) from None
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def acting(store: Any, claimed: str | None = None) -> Any:
    """The registered person acting on ``store`` from this account or login, whom every record it makes names
    (:func:`rehabkit._sessions.staff.who_acts`; exit 9 when there is none). ``claimed``, an id given with ``--by``,
    ``--clinician`` or REHABKIT_CLINICIAN, must be that person: an id typed on a command line never chooses who
    acts."""
    from .._common.errors import NotPermitted
    from .._sessions.staff import who_acts

    actor = who_acts(store)
    if claimed is not None and claimed != actor.id:
        from .._common.errors import did_you_mean
        from .._sessions.staff import register

        known = list(register(store.staff_events()))
        if claimed not in known:
            raise NotPermitted(
                f"{claimed!r} (from --by, --clinician or REHABKIT_CLINICIAN) is not registered on this store."
                f"{did_you_mean(claimed, known)} This account acts as {actor.id}: leave the option out."
            )
        raise NotPermitted(
            f"this account ({actor.account}) acts as {actor.id}, not {claimed}: every record names the registered "
            "person signed in, never an id typed on the command line. Leave out --by, --clinician and "
            "REHABKIT_CLINICIAN, or sign in as that person (a surgeon's letter is transcribed with 'rehabkit approve "
            "--surgeon NAME --evidence TEXT')."
        )
    return actor


def permitted(
    store: Any, action: str, policy: Any = None, patient: str | None = None, claimed: str | None = None
) -> Any:
    """The registered person acting on ``store`` (:func:`acting`), once they may take ``action`` (a key of the
    clinical policy's ``who_may_act``) under ``policy`` (default: rehabkit's); exit 9 otherwise."""
    from .._sessions.staff import require

    actor = acting(store, claimed)
    require(actor, action, policy, patient)
    return actor


def require_store_to_record(db: str | None) -> None:
    """Exit 9 before a command that starts a patient's record ('run', 'approve') opens a store that does not exist yet
    (no file, or an empty one): no one is registered on it, so nothing could be recorded, and it is not created."""
    if store_exists(db):
        return
    from .._sessions.backends import describe, store_location
    from .._sessions.staff import NotRegistered

    raise NotRegistered(
        f"there is no session store at {describe(store_location(db))!r} yet, so no one is registered on it: every "
        "record names who made it, and nothing was recorded or created. Register yourself first (this creates the "
        "store, and you become its admin):\n  rehabkit staff add YOUR-STAFF-ID --role ROLE"
    )


def store_exists(db: str | None) -> bool:
    """Whether the store ``db`` names exists (a PostgreSQL store counts as existing: it is opened without creating
    one; an empty file is no store yet)."""
    from .._sessions.backends import store_location

    location = store_location(db)
    return isinstance(location, str) or (
        location.exists() and not (location.is_file() and location.stat().st_size == 0)
    )


#: The patients whose whole record a command has checked, by the open store it checked them in: a command that checks
#: a patient (``require_patient``) and then takes their lock on the same store does not read the record twice.
_CHECKED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def check_record(store: Any, patient: str) -> None:
    """Exit 10 (damaged record) when a row of the patient's stored record cannot be read, naming every such row and
    what to do; the refusal is a JSON object on standard output too under the command's ``--format json``."""
    checked = _CHECKED.setdefault(store, set())
    if patient in checked:
        return
    damaged = store.damaged_rows(patient)
    if not damaged:
        checked.add(patient)
    else:
        from .._common.errors import DamagedRecord
        from .refusals import damaged_refusal

        context = click.get_current_context(silent=True)
        output_format = context.params.get("output_format") if context is not None else None
        raise damaged_refusal(str(output_format or "text"), DamagedRecord.of(damaged), patient)


def course_lock(store: Any, patient: str, what: str, clinician: str | None = None) -> Any:
    """The patient's lock for a command that writes their course: exit 8 (patient busy) when another command
    holds it; once it is held, exit 10 when the patient's record holds a row that cannot be read
    (:func:`check_record`), before anything is recorded."""
    import contextlib

    from .._sessions.locks import PatientBusy, patient_lock

    @contextlib.contextmanager
    def held() -> Any:
        try:
            with patient_lock(store, patient, what, clinician):
                check_record(store, patient)
                yield
        except PatientBusy as exc:
            raise error_exit(ExitCode.PATIENT_BUSY, str(exc)) from None

    return held()


#: Characters a typist confuses in an id: the separators, and letters that look like digits.
_LOOK_ALIKE = str.maketrans({"-": "", "_": "", ".": "", "o": "0", "i": "1", "l": "1"})


def _folded(patient: str) -> str:
    return patient.lower().translate(_LOOK_ALIKE)


def check_new_patient(store: Any, patient: str, *, confirmed: bool, interactive: bool) -> None:
    """Before a command starts a new patient's record: an id that differs from a recorded one only in case is refused
    (exit 2); one that differs only in its separators or in letters that look like digits (``LBP_A1``, ``P-OO42``
    beside ``LBP-A1``, ``P-0042``) asks "did you mean" at a terminal and is refused elsewhere, unless ``confirmed``
    (--new-patient). A recorded patient, or an id like no other, goes on at once."""
    if store.has_patient(patient):
        return
    ids = store.patient_ids()
    same = [p for p in ids if p.lower() == patient.lower()]
    if same:
        raise error_exit(
            ExitCode.USAGE,
            f"patient {patient!r} is not recorded, but {same[0]!r} is: ids that differ only in case name one "
            f"patient to a reader, so no new patient is started. Use {same[0]!r}.",
        )
    close = [p for p in ids if _folded(p) == _folded(patient)]
    if not close or confirmed:
        return
    question = f"{patient!r} is not recorded yet. Did you mean {close[0]!r}?"
    if interactive and click.confirm(f"{question} Start a new patient {patient!r}", default=False, err=True):
        return
    raise error_exit(
        ExitCode.USAGE,
        f"{question} Nothing was recorded. Check the id; if {patient!r} is a new patient, give --new-patient.",
    )


def check_patient_id(patient: str) -> None:
    """A usage error naming PATIENT, before anything is asked or recorded, unless ``patient`` is a pseudonymous code
    (the form a store keeps: letters, digits, '-', '_', '.')."""
    from .._sessions.store import PATIENT_ID

    if not PATIENT_ID.fullmatch(patient):
        raise click.BadParameter(
            f"{patient!r} is not a patient id: use a pseudonymous code of letters, digits, '-', '_' or '.' "
            "(at most 64), never a name.",
            param_hint="'PATIENT'",
        )


def require_patient(store: Any, patient: str) -> None:
    """Exit 10 when the patient's stored record holds a row that cannot be read (:func:`check_record`: their own row
    deleted while their sessions remain is one); else exit 1 unless the store knows the patient (commands that read or
    add to a record never create one)."""
    check_record(store, patient)
    if not store.has_patient(patient):
        alike = [p for p in store.patient_ids() if _folded(p) == _folded(patient)]
        guess = f" Did you mean {alike[0]!r}?" if alike else ""
        raise error_exit(
            ExitCode.FINDINGS,
            f"no patient {patient!r} in the session store {str(store.path)!r}.{guess} A patient's record starts with "
            "their first 'rehabkit run', 'rehabkit approve' or 'rehabkit measure'; check the id and --db.",
        )


def note_surgery_change(patient: str, old: str | None, surgery: str | None) -> None:
    """Say so when a new surgery date replaced a recorded one (``old``, as
    :func:`rehabkit._sessions.service.set_surgery_date` returns it): every gate on time since surgery moves."""
    if old is not None:
        echo(
            f"rehabkit: note: the surgery date of {patient} changes from {old} to {surgery}; "
            "time since surgery is counted from the new date.",
            err=True,
        )
