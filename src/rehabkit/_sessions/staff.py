"""Who may act on a course: the staff register, the acting person, and what each role may do.

The register is a list of dated changes in the store (``staff_events``): a person added with their roles and the
account they act from, disabled, enabled. The acting person is never typed on a command line: on a SQLite store it is
the operating-system account running rehabkit, on a PostgreSQL store the database login (``session_user``), each
mapped to one registered person. What each role may do is clinical-policy data (``who_may_act`` in
``clinical_policy.json``), which a clinic's pack may tune; :func:`require` checks an action against it.

A patient is an actor too, for their own course only: a person registered with the role ``patient`` under their
patient id may run their own sessions and record their own next mornings and questionnaires.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .._common.errors import NotPermitted, did_you_mean
from .store_api import PATIENT_ID, SessionStore, StaffChange

__all__ = [
    "Actor",
    "NotPermitted",
    "NotRegistered",
    "StaffMember",
    "account_field",
    "current_account",
    "known_roles",
    "may",
    "owns_store",
    "register",
    "require",
    "who_acts",
]

#: The words a refusal uses for each action of ``who_may_act``.
ACTION_WORDS = {
    "run-session": "run a session",
    "record-next-day": "record a next-morning report",
    "record-measure": "record a questionnaire",
    "record-surgery-date": "record a surgery date",
    "give-clinician-approval": "give a clinician's approval",
    "give-surgeon-clearance": "give the surgeon's clearance",
    "transcribe-surgeon-clearance": "transcribe a surgeon's clearance from their letter",
    "withdraw-approval": "withdraw an approval or clearance",
    "review": "record a review",
    "lift-urgent-referral": "lift an urgent referral",
    "manage-staff": "register or disable staff",
    "export-patient": "export a patient's records",
    "erase-patient": "erase a patient",
    "read-audit": "read the audit trail",
    "invite-patient": "make or withdraw a patient's sign-in link",
}


@attrs.frozen(slots=True)
class Actor:
    """Who acts on a course: a registered person's id and roles, and the account or login they act from.

    ``id`` ``None`` with no roles is no one: it may do nothing that :func:`require` checks.
    """

    id: str | None = None
    roles: tuple[str, ...] = ()
    #: The operating-system account or database login the person was recognised by (None: not recognised).
    account: str | None = None


@attrs.frozen(slots=True)
class StaffMember:
    """A registered person as the register stands: their roles, the account they act from, enabled or not."""

    id: str
    roles: tuple[str, ...]
    name: str | None = None
    os_user: str | None = None
    db_role: str | None = None
    enabled: bool = True

    def actor(self, account: str | None) -> Actor:
        """This person acting from ``account``."""
        return Actor(self.id, self.roles, account)


class NotRegistered(NotPermitted):
    """No registered, enabled person acts from this account or login."""


def known_roles(policy: Mapping[str, Any] | None = None) -> list[str]:
    """The roles a person may hold (clinical-policy data)."""
    return list(_policy(policy)["staff"]["roles"])


def _policy(policy: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if policy and "who_may_act" in policy and "staff" in policy:
        return policy
    from .._common.clinical_data import policy as defaults

    return defaults()


def register(changes: Iterable[StaffChange]) -> dict[str, StaffMember]:
    """The register as it stands after ``changes`` (in the order recorded): each person by id."""
    members: dict[str, StaffMember] = {}
    for change in changes:
        if change.action == "add":
            members[change.staff] = StaffMember(
                change.staff, tuple(change.roles or ()), change.name, change.os_user, change.db_role
            )
        elif change.staff in members:
            members[change.staff] = attrs.evolve(members[change.staff], enabled=change.action == "enable")
    return members


def account_field(store: SessionStore) -> str:
    """The register's field naming who a person acts as on this store: ``db_role`` (PostgreSQL) or ``os_user``."""
    return "db_role" if store.backend == "postgresql" else "os_user"


def current_account(store: SessionStore) -> str:
    """The account this process acts from: the PostgreSQL login, or the operating-system account."""
    login = store.session_login()
    if login is not None:
        return login
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # an account with no name (a container's numeric user)
        return str(os.geteuid())


def owns_store(store: SessionStore) -> bool:
    """True when this account owns the store: the SQLite file's owner, or the PostgreSQL login owning its tables. The
    owner can change the store directly anyway; with no one registered for it, it may register an admin."""
    if store.backend == "postgresql":
        owner = getattr(store, "_owner", None)
        return owner is not None and owner() == store.session_login()
    path = getattr(store, "path", None)
    try:
        return path is not None and os.stat(path).st_uid == os.geteuid()
    except OSError:
        return False


def who_acts(store: SessionStore) -> Actor:
    """The registered person acting on ``store`` (from its account or login), recorded with every write it makes.

    Raises :class:`NotRegistered` with the one command that registers someone: on a store with no one registered,
    the first ``staff add``; else an admin's ``staff add`` for this account.
    """
    members = register(store.staff_events())
    account = current_account(store)
    field = account_field(store)
    option = "--db-role" if field == "db_role" else "--os-user"
    mine = [m for m in members.values() if getattr(m, field) == account]
    enabled = [m for m in mine if m.enabled]
    if enabled:
        actor = enabled[0].actor(account)
        store.clinician, store.account = actor.id, account
        return actor
    if not members:
        raise NotRegistered(
            "no one is registered on this store yet: every record names who made it. Register yourself first "
            "(you become the store's admin):\n  rehabkit staff add YOUR-STAFF-ID --role ROLE"
        )
    if mine:
        raise NotRegistered(f"{mine[-1].id}, who acts from {account!r}, is disabled: an admin enables them again "
                            f"('rehabkit staff enable {mine[-1].id}').")  # fmt: skip
    raise NotRegistered(
        f"{account!r} is not registered on this store: an admin registers you with\n"
        f"  rehabkit staff add YOUR-STAFF-ID --role ROLE {option} {account}"
    )


def may(actor: Actor, action: str, policy: Mapping[str, Any] | None = None, patient: str | None = None) -> bool:
    """True when ``actor`` may do ``action`` (a key of ``who_may_act``), on ``patient``'s course where one is named.

    A role other than ``patient`` acts on any course; the role ``patient`` on the patient's own course only.
    """
    allowed = set(_policy(policy)["who_may_act"][action])
    roles = set(actor.roles)
    if roles & (allowed - {"patient"}):
        return True
    return "patient" in allowed & roles and patient is not None and patient == actor.id


def require(actor: Actor, action: str, policy: Mapping[str, Any] | None = None, patient: str | None = None) -> None:
    """Raise :class:`NotPermitted` unless ``actor`` may do ``action`` (see :func:`may`)."""
    if may(actor, action, policy, patient):
        return
    allowed = _policy(policy)["who_may_act"][action]
    who = f"{actor.id} ({', '.join(actor.roles) or 'no role'})" if actor.id else "no one registered"
    clinical = [role for role in allowed if role != "patient"]
    needed = " or ".join(clinical) + (" (or the patient, on their own course)" if "patient" in allowed else "")
    raise NotPermitted(f"{who} may not {ACTION_WORDS.get(action, action)}: it takes a {needed}.")


def note_required(action: str, policy: Mapping[str, Any] | None = None) -> bool:
    """True when ``action`` must come with a written note (clinical-policy data)."""
    return action in _policy(policy)["staff"]["note_required"]


def find_member(members: Mapping[str, StaffMember], staff: str) -> StaffMember:
    """The registered person ``staff``; :class:`NotPermitted` with "did you mean" for an unknown id."""
    if staff in members:
        return members[staff]
    raise NotPermitted(f"{staff!r} is not registered on this store.{did_you_mean(staff, list(members))}")


def check_new_member(members: Mapping[str, StaffMember], member: StaffMember, field: str) -> None:
    """Refuse a person who may not be added: an id taken (whatever its case), a patient who is also staff, or an
    account another enabled person acts from."""
    if not PATIENT_ID.fullmatch(member.id):
        raise ValueError(
            f"{member.id!r} is not a staff id: use a pseudonymous code of letters, digits, '-', '_' or '.', "
            "never a name (a name goes in --name)."
        )
    taken = [m for m in members if m.casefold() == member.id.casefold()]
    if taken:
        hint = f" (disabled: 'rehabkit staff enable {taken[0]}')" if not members[taken[0]].enabled else ""
        raise ValueError(f"{taken[0]!r} is already registered{hint}; a staff id is registered once.")
    if "patient" in member.roles and len(member.roles) > 1:
        raise ValueError("a patient is registered with the role 'patient' alone, under their patient id.")
    account = getattr(member, field)
    users = [m.id for m in members.values() if m.enabled and account is not None and getattr(m, field) == account]
    if users:
        raise ValueError(f"{users[0]} already acts from {account!r}: one account or login is one person.")
