"""``rehabkit staff``: who may act on the store's courses (add, list, disable, enable, whoami, password)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from . import echo
from .exits import error_exit
from .options import db_option, format_option
from .stores import acting, open_store, store_exists

EXIT_CODES = exit_code_help((*GENERAL_EXIT_CODES, ExitCode.PATIENT_BUSY, ExitCode.NOT_PERMITTED))
#: The lock a change of the staff register holds (two first registrations at once make one admin, not two).
REGISTER_LOCK = "~staff-register"


def _roles() -> list[str]:
    from .._common.clinical_data import policy

    return list(policy()["staff"]["roles"])


@click.group(epilog=EXIT_CODES)
def staff() -> None:
    """Who may act on the store's courses: staff, their roles, the account each acts from.

    Every record names the registered person who made it, recognised from the
    operating-system account (a SQLite store) or the database login (a
    PostgreSQL store), never from an id typed on the command line. The first
    'staff add' on a store registers you, from this account, as its admin too.
    What each role may do is clinical-policy data ('who_may_act'; docs/security.md).

    \b
    Roles: physiotherapist, clinician (any other licensed treating clinician),
    surgeon, admin, and patient (their own course only, under their patient id).

    \b
    Examples:
      rehabkit staff add PT-2 --role physiotherapist --name "A. Physio"
      rehabkit staff add DR-3 --role surgeon --os-user drsmith
      rehabkit staff list
      rehabkit staff disable PT-2
    """


@staff.command("add", epilog=EXIT_CODES)
@click.argument("staff_id", metavar="ID")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(_roles()),
    help="A role the person holds (repeat for several).",
)
@click.option("--name", default=None, metavar="TEXT", help="The person's name, for the staff list only.")
@click.option(
    "--os-user",
    default=None,
    metavar="ACCOUNT",
    help="The operating-system account they act from on a SQLite store (the first person: this account).",
)
@click.option(
    "--db-role",
    default=None,
    metavar="LOGIN",
    help="The PostgreSQL login they act from on a PostgreSQL store; it is granted what rehabkit needs, no more.",
)
@db_option
def add(
    staff_id: str, roles: tuple[str, ...], name: str | None, os_user: str | None, db_role: str | None, db: str | None
) -> None:
    """Register a person: their id, roles and the account or login they act from.

    On a store with no one registered this creates the store if needed and
    registers you, acting from this account, with the admin role added (a
    patient registering on their own store stays a patient: no one else is
    registered there). Afterwards only an admin registers people, but for the
    store's owner (the SQLite file's owner account, the PostgreSQL login owning
    its tables) when no one acts from it: a store copied to PostgreSQL, or
    whose only admin's account is gone, gets an admin again that way.
    """
    for text in (name, os_user, db_role):
        if text is not None and (not text.strip() or not text.isprintable() or len(text) > 100):
            raise click.BadParameter("names, accounts and logins are one printable line of at most 100 characters.")
    wanted_member = (staff_id, tuple(dict.fromkeys(roles)), name, os_user, db_role)
    if not store_exists(db):
        # A first registration refused (another account named, a bad id) must not leave a new store behind: it is
        # tried on an empty store in memory first, and made for real only once it would succeed.
        with open_store(":memory:", create=True) as scratch:
            _register_member(scratch, *wanted_member)
    with open_store(db, create=True) as store, _register_lock(store):
        member, wanted, bootstrap, members, field = _register_member(store, *wanted_member)
    first = ""
    if bootstrap and "admin" in wanted:
        first = " (the first person on this store: admin too)" if not members else " (the store's owner: admin too)"
    if getattr(member, field):
        where = f" acting from {getattr(member, field)!r}"
    elif wanted == ("patient",):
        where = f" (no account: signs in to their own pages with a link, 'rehabkit invite {staff_id}')"
    else:
        where = " (no account: cannot act yet)"
    echo(f"Registered {staff_id} as {', '.join(wanted)}{where}{first}.")


def _register_member(
    store: Any, staff_id: str, wanted: tuple[str, ...], name: str | None, os_user: str | None, db_role: str | None
) -> tuple[Any, tuple[str, ...], bool, Any, str]:
    """Register the person on ``store`` (held under the register's lock). Returns the member, their roles (admin
    added for the first person), whether this was a first registration, the register before it, and its account
    field."""
    from .._sessions.staff import (
        StaffMember,
        account_field,
        check_new_member,
        current_account,
        owns_store,
        register,
        require,
        who_acts,
    )
    from .._sessions.store_api import StaffChange

    members = register(store.staff_events())
    field, account = account_field(store), current_account(store)
    bootstrap = not members or (not _acting_here(members, field, account) and owns_store(store))
    if bootstrap:
        given = os_user if field == "os_user" else db_role
        if given not in (None, account):
            raise click.UsageError(
                f"the first person registered on a store acts from this {_what(field)} ({account}), not {given}: "
                "run this first 'staff add' from their own account, or leave the option out."
            )
        if "patient" not in wanted or members:  # a patient's own store has no admin: no one else is registered
            wanted = tuple(dict.fromkeys((*wanted, "admin")))
        actor_id: str | None = staff_id
        store.clinician, store.account = staff_id, account  # the registration is written in their name
        if field == "os_user":
            os_user = account
        else:
            db_role = account
    else:
        actor = who_acts(store)
        require(actor, "manage-staff")
        actor_id = actor.id
    member = StaffMember(staff_id, wanted, name, os_user, db_role)
    try:
        check_new_member(members, member, field)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'ID'") from None
    _grant(store, member)
    store.add_staff_event(StaffChange(staff_id, "add", wanted, name, os_user, db_role, actor_id, account))
    return member, wanted, bootstrap, members, field


@contextlib.contextmanager
def _register_lock(store: Any) -> Iterator[None]:
    """The staff register's lock while a command changes it: exit 8 when another command holds it (two first
    registrations at once make one admin; the other is refused and registers no one)."""
    from .._sessions.locks import PatientBusy, patient_lock

    try:
        with patient_lock(store, REGISTER_LOCK, "a staff change"):
            yield
    except PatientBusy as exc:
        by = f" ({exc.holder})" if exc.holder else ""
        raise error_exit(
            ExitCode.PATIENT_BUSY,
            f"the staff register is being changed by another rehabkit command right now{by}: nothing was registered "
            "or changed. The register is changed by one command at a time; try again when the other has ended.",
        ) from None


def _acting_here(members: Any, field: str, account: str) -> bool:
    """True when an enabled person of the register acts from ``account``."""
    return any(m.enabled and getattr(m, field) == account for m in members.values())


def _what(field: str) -> str:
    return "database login" if field == "db_role" else "operating-system account"


def _grant(store: Any, member: Any, grant: bool = True) -> None:
    """On PostgreSQL, give the person's login what rehabkit needs, and nothing more (or take it back): the store's
    owner does it; anyone else is refused (exit 9) and nothing is registered."""
    if store.backend != "postgresql" or member.db_role is None or member.db_role == store.session_login():
        return
    from .._sessions.erasure import ErasureRefused
    from .._sessions.pg_store import grant_staff_login, revoke_staff_login
    from .._sessions.store import StoreError

    try:
        (grant_staff_login if grant else revoke_staff_login)(store, member.db_role)
    except ErasureRefused as exc:
        raise error_exit(ExitCode.NOT_PERMITTED, str(exc)) from None
    except StoreError as exc:
        raise click.BadParameter(str(exc), param_hint="'--db-role'") from None


@staff.command("list", epilog=EXIT_CODES)
@format_option("json: the register as a list of objects.")
@db_option
def list_staff(output_format: str, db: str | None) -> None:
    """List the people registered on the store, their roles and accounts."""
    from .._sessions.staff import register

    with open_store(db, read_only=True) as store:
        members = list(register(store.staff_events()).values())
    if output_format == "json":
        click.echo(json.dumps([_as_dict(m) for m in members], indent=2))
        return
    if not members:
        echo("No one is registered on this store yet: 'rehabkit staff add YOUR-STAFF-ID --role ROLE'.")
        return
    for m in members:
        account = m.os_user or m.db_role or "-"
        state = "" if m.enabled else "  (disabled)"
        echo(f"{m.id:<16} {', '.join(m.roles):<40} {account}{state}")


def _as_dict(member: Any) -> dict[str, Any]:
    return {
        "id": member.id,
        "roles": list(member.roles),
        "name": member.name,
        "os_user": member.os_user,
        "db_role": member.db_role,
        "enabled": member.enabled,
    }


def _switch(staff_id: str, db: str | None, action: str) -> None:
    from .._common.errors import NotPermitted
    from .._sessions.staff import find_member, register, require
    from .._sessions.store_api import StaffChange

    with open_store(db, create=False) as store, _register_lock(store):
        actor = acting(store)
        require(actor, "manage-staff")
        members = register(store.staff_events())
        member = find_member(members, staff_id)
        if action == "disable" and "admin" in member.roles:
            admins = [m for m in members.values() if m.enabled and "admin" in m.roles and m.id != staff_id]
            if not admins:
                raise NotPermitted(f"{staff_id} is the store's only enabled admin: register another admin first.")
        if member.enabled == (action == "enable"):
            echo(f"{staff_id} is already {action}d.")
            return
        _grant(store, member, grant=action == "enable")
        store.add_staff_event(StaffChange(staff_id, action, actor=actor.id, account=actor.account))
    echo(f"{staff_id} is {action}d{': they can record nothing more' if action == 'disable' else ''}.")


@staff.command("disable", epilog=EXIT_CODES)
@click.argument("staff_id", metavar="ID")
@db_option
def disable(staff_id: str, db: str | None) -> None:
    """Disable a person: from now on they record nothing (their records stay, named)."""
    _switch(staff_id, db, "disable")


@staff.command("enable", epilog=EXIT_CODES)
@click.argument("staff_id", metavar="ID")
@db_option
def enable(staff_id: str, db: str | None) -> None:
    """Enable a disabled person again."""
    _switch(staff_id, db, "enable")


@staff.command("whoami", epilog=EXIT_CODES)
@db_option
def whoami(db: str | None) -> None:
    """Say who this account or login acts as on the store (exit 9 when no one)."""
    with open_store(db, read_only=True) as store:
        actor = acting(store)
    echo(f"{actor.id} ({', '.join(actor.roles)}), acting from {actor.account!r}.")


@staff.command("password", epilog=EXIT_CODES)
@click.argument("staff_id", metavar="ID")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of asking for it twice.",
)
@db_option
def password(staff_id: str, password_stdin: bool, db: str | None) -> None:
    """Set a person's password for the clinician's pages ('rehabkit serve').

    An admin sets anyone's; a person sets their own. The store keeps its
    Argon2id hash only (never the password), as a record appended and audited;
    a new password ends a lock-out. Patients sign in with links instead
    ('rehabkit invite'). At least 12 characters.

    \b
    Examples:
      rehabkit staff password PT-2
      printf '%s\\n' "$NEW_PASSWORD" | rehabkit staff password PT-2 --password-stdin
    """
    import sys

    from .._sessions.staff import may
    from .._sessions.staff_sign_in import MIN_PASSWORD_LENGTH, set_password

    with open_store(db, create=False) as store:
        actor = acting(store)
        if actor.id != staff_id and not may(actor, "manage-staff"):
            from .._sessions.staff import require

            require(actor, "manage-staff")
        if password_stdin:
            secret = sys.stdin.readline().rstrip("\r\n")
        else:
            secret = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        if len(secret) < MIN_PASSWORD_LENGTH:
            raise click.BadParameter(
                f"a password must be at least {MIN_PASSWORD_LENGTH} characters long: choose a longer one.",
                param_hint="the password",
            )
        set_password(store, staff_id, secret)
    echo(f"{staff_id}'s password is set: they sign in at the clinic's 'rehabkit serve' address, /staff.")
