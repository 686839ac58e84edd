"""Staff passwords and web sessions for the clinician's pages (``rehabkit staff password``, ``rehabkit serve``).

A registered person (any role but ``patient``: patients sign in with links, :mod:`rehabkit._sessions.sign_in`) has a
password set with ``rehabkit staff password``; the store keeps its Argon2id hash only (``staff_sign_ins``, schema 10).
Signing in with it records a web session: a random cookie token, stored as its SHA-256, expiring after
:attr:`SignInRules.session_hours`. :attr:`SignInRules.most_failures` refused sign-ins within
:attr:`SignInRules.lock_minutes`, with no success since, lock the person out until that many minutes have passed since
the last one (``rehabkit serve``'s settings; :data:`MOST_FAILURES`, :data:`LOCK_MINUTES` and
:data:`STAFF_SESSION_HOURS` by default). Every step is a row appended (``password``, ``failed``, ``session``,
``sign-out``) and an audit entry, never a row changed.

An unknown staff id, a disabled person and a person with no password take as long to refuse as a wrong password: a
dummy Argon2 hash is checked in their place, so the time of a refusal does not tell which staff ids exist.
"""

from __future__ import annotations

import datetime
import functools
import secrets

import attrs

from .._common.errors import NotPermitted, RehabkitError
from .sign_in import hashed
from .staff import Actor, StaffMember, current_account, register
from .store_api import SessionStore

__all__ = [
    "LOCK_MINUTES",
    "MIN_PASSWORD_LENGTH",
    "MOST_FAILURES",
    "STAFF_SESSION_HOURS",
    "SignInRefused",
    "SignInRules",
    "end_staff_session",
    "set_password",
    "sign_in_staff",
    "staff_actor",
]

#: How long a staff web session lasts after signing in (a working day).
STAFF_SESSION_HOURS = 8
#: Refused sign-ins in a row, within :data:`LOCK_MINUTES`, that lock a person out.
MOST_FAILURES = 5
#: How long a lock-out lasts after the last refused sign-in.
LOCK_MINUTES = 15
#: The shortest password accepted.
MIN_PASSWORD_LENGTH = 12
#: What a refused sign-in says: the same for an unknown person, a wrong password and no password set.
WRONG = "That staff id and password do not match. Check them and try again, or ask an admin to set a new password."


@attrs.frozen
class SignInRules:
    """How staff sign-in is limited (``rehabkit serve --staff-lockout-failures/--staff-lockout-minutes
    /--staff-session-hours``): refusals in a row that lock a person out, for how many minutes after the last, and how
    long a staff session lasts."""

    most_failures: int = MOST_FAILURES
    lock_minutes: int = LOCK_MINUTES
    session_hours: float = STAFF_SESSION_HOURS

    def locked_words(self) -> str:
        """What a locked-out sign-in says."""
        return (
            f"Too many sign-ins were refused for this staff id: it is locked for {self.lock_minutes} minutes after "
            "the last one. Wait, or ask an admin to set a new password ('rehabkit staff password ID')."
        )


#: What a locked-out sign-in says, with the default rules.
LOCKED = SignInRules().locked_words()


class SignInRefused(RehabkitError, PermissionError):
    """A staff sign-in refused: a wrong id or password, or a lock-out (``locked``)."""

    def __init__(self, locked: bool = False, rules: SignInRules | None = None) -> None:
        super().__init__((rules or SignInRules()).locked_words() if locked else WRONG)
        self.locked = locked


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _staff_member(store: SessionStore, staff: str) -> StaffMember | None:
    """``staff`` as the register stands, when enabled and not a patient."""
    member = register(store.staff_events()).get(staff)
    if member is None or not member.enabled or "patient" in member.roles:
        return None
    return member


def set_password(store: SessionStore, staff: str, password: str) -> None:
    """Record ``staff``'s new password (its Argon2id hash). :class:`NotPermitted` for a patient, someone not
    registered or disabled; :class:`ValueError` for a password shorter than :data:`MIN_PASSWORD_LENGTH`. A new password
    ends the lock-out."""
    from argon2 import PasswordHasher

    if _staff_member(store, staff) is None:
        raise NotPermitted(
            f"{staff} is not an enabled member of staff on this store: passwords are for staff (patients sign in with "
            "the link 'rehabkit invite' makes)."
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password must be at least {MIN_PASSWORD_LENGTH} characters long: choose a longer one.")
    store.add_staff_sign_in(staff, "password", PasswordHasher().hash(password))


def _locked(rows: list[tuple[str, str | None, str | None, str]], rules: SignInRules) -> bool:
    """True when the last ``rules.most_failures`` rows, after the latest success or new password, are refusals and
    the last of them is less than ``rules.lock_minutes`` old."""
    failures: list[str] = []
    for kind, _, _, at in rows:
        if kind in ("password", "session"):
            failures = []
        elif kind == "failed":
            failures.append(at)
    if len(failures) < rules.most_failures:
        return False
    last = datetime.datetime.fromisoformat(failures[-1])
    if last.tzinfo is None:
        last = last.replace(tzinfo=datetime.UTC)
    return _now() - last < datetime.timedelta(minutes=rules.lock_minutes)


@functools.cache
def _dummy_hash() -> str:
    """An Argon2id hash of a random password, made once per process with the same parameters as a real one: checked
    in place of a password there is none of, so that the refusal takes as long."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(secrets.token_urlsafe(16))


def _matches(encoded: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``encoded`` hashes; with none (an unknown id, no password set), a dummy hash
    is checked all the same and the answer is no."""
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error, InvalidHashError

    try:
        return bool(PasswordHasher().verify(encoded or _dummy_hash(), password)) and bool(encoded)
    except (Argon2Error, InvalidHashError):
        return False


def sign_in_staff(
    store: SessionStore, staff: str, password: str, rules: SignInRules | None = None
) -> tuple[Actor, str]:
    """Check ``staff``'s password and begin a web session: the person acting, and the cookie's token (stored hashed).
    A refusal is recorded (for a registered person) and raises :class:`SignInRefused`; an unknown id takes as long
    to refuse as a wrong password."""
    rules = rules or SignInRules()
    member = _staff_member(store, staff)
    if member is None:
        _matches(None, password)
        raise SignInRefused()
    rows = store.staff_sign_ins_of(staff)
    actor = member.actor(current_account(store))
    store.clinician, store.account = actor.id, actor.account
    if _locked(rows, rules):
        store.add_staff_sign_in(staff, "failed")
        raise SignInRefused(locked=True, rules=rules)
    passwords = [secret for kind, secret, _, _ in rows if kind == "password"]
    if not _matches(passwords[-1] if passwords else None, password):
        store.add_staff_sign_in(staff, "failed")
        raise SignInRefused(locked=_locked(store.staff_sign_ins_of(staff), rules), rules=rules)
    cookie = secrets.token_urlsafe(32)
    until = (_now() + datetime.timedelta(hours=rules.session_hours)).isoformat(timespec="seconds")
    store.add_staff_sign_in(staff, "session", hashed(cookie), until)
    return actor, cookie


def staff_actor(store: SessionStore, cookie: str | None) -> Actor | None:
    """The person whose staff web session ``cookie`` is, while it lasts and they stay enabled (None otherwise), with
    their roles as the register stands now."""
    if not cookie:
        return None
    found = store.staff_session(hashed(cookie))
    if found is None or datetime.datetime.fromisoformat(found[1]) <= _now():
        return None
    member = _staff_member(store, found[0])
    return None if member is None else member.actor(current_account(store))


def end_staff_session(store: SessionStore, cookie: str | None) -> None:
    """Sign out: the session of ``cookie`` ends (recorded in its person's name); nothing for no session."""
    actor = staff_actor(store, cookie)
    if actor is None or cookie is None:
        return
    store.clinician, store.account = actor.id, actor.account
    assert actor.id is not None
    store.add_staff_sign_in(actor.id, "sign-out", hashed(cookie))
