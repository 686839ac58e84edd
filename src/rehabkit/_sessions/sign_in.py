"""Sign-in links for the patient's pages (``rehabkit invite``, ``rehabkit serve``): made, used once, expiring.

A clinician makes a link for a patient registered with the role ``patient``: a random token, of which the store keeps
only the SHA-256 hash (``sign_ins``, schema 9). The browser exchanges it once for a web session: a second random
token, sent as the session cookie and stored hashed too, expiring after :data:`SESSION_HOURS`. Every step is a record
appended (``link``, ``exchange``, ``revoke``), never a row changed, and an audit entry of its own. A link used,
expired, revoked or unknown is refused with :class:`LinkRefused`, which says what to do.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from .._common.errors import NotPermitted, RehabkitError
from .staff import Actor, register, require
from .store_api import SessionStore

__all__ = [
    "DEFAULT_LINK_DAYS",
    "SESSION_HOURS",
    "LinkRefused",
    "check_link",
    "end_session",
    "exchange",
    "hashed",
    "make_link",
    "patient_actor",
    "revoke_links",
    "session_patient",
]

#: How long a sign-in link stays valid unless ``--expires`` says otherwise.
DEFAULT_LINK_DAYS = 7
#: How long a web session lasts after its link was exchanged.
SESSION_HOURS = 12
#: What a refused link's page tells the patient to do.
ASK_THE_CLINIC = "Ask your clinic for a new sign-in link."


class LinkRefused(RehabkitError, LookupError):
    """A sign-in link that cannot be used: ``why`` is ``unknown``, ``used``, ``expired`` or ``revoked``."""

    def __init__(self, why: str) -> None:
        words = {
            "unknown": "This sign-in link is not known.",
            "used": "This sign-in link has been used already: each link signs in once.",
            "expired": "This sign-in link has expired.",
            "revoked": "This sign-in link was withdrawn by your clinic.",
        }
        super().__init__(f"{words[why]} {ASK_THE_CLINIC}")
        self.why = why


def hashed(token: str) -> str:
    """How the store keeps a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def patient_actor(store: SessionStore, patient: str) -> Actor:
    """The patient acting on their own course from the web: the person registered with the role ``patient`` under
    their id, acting from this server's account or login. :class:`NotPermitted` when no enabled patient of that id is
    registered (disabled since: their sessions end)."""
    from .staff import current_account

    member = register(store.staff_events()).get(patient)
    if member is None or not member.enabled or member.roles != ("patient",):
        raise NotPermitted(
            f"{patient} is not registered as a patient on this store (or is disabled): an admin registers them with "
            f"'rehabkit staff add {patient} --role patient'."
        )
    return member.actor(current_account(store))


def make_link(
    store: SessionStore,
    patient: str,
    actor: Actor,
    expires: datetime.timedelta,
    policy: Mapping[str, Any] | None = None,
) -> tuple[str, datetime.datetime]:
    """A new sign-in link's token for ``patient`` and when it expires; only its hash is stored. Raises
    :class:`NotPermitted` when ``actor`` may not invite, or the patient is not registered as one."""
    require(actor, "invite-patient", policy, patient)
    patient_actor(store, patient)
    token = secrets.token_urlsafe(32)
    until = _now() + expires
    store.add_sign_in(patient, "link", hashed(token), expires=_iso(until))
    return token, until


def check_link(store: SessionStore, token: str) -> str:
    """The patient of a link that may still sign in (nothing is recorded); :class:`LinkRefused` otherwise."""
    rows = store.sign_in_link(hashed(token)) if token else []
    if not rows:
        raise LinkRefused("unknown")
    patient = rows[0][0]
    kinds = {kind for _, kind, _ in rows}
    if "revoke" in kinds:
        raise LinkRefused("revoked")
    if "exchange" in kinds:
        raise LinkRefused("used")
    expires = rows[0][2]
    if expires is None or datetime.datetime.fromisoformat(expires) <= _now():
        raise LinkRefused("expired")
    return patient


def exchange(store: SessionStore, token: str) -> tuple[str, str]:
    """Use a link once: the patient and a new web session's cookie token (stored hashed, with its expiry). The
    exchange is recorded in the patient's name. Raises :class:`LinkRefused`."""
    patient = check_link(store, token)
    actor = patient_actor(store, patient)
    cookie = secrets.token_urlsafe(32)
    until = _iso(_now() + datetime.timedelta(hours=SESSION_HOURS))
    store.clinician, store.account = actor.id, actor.account
    store.add_sign_in(patient, "exchange", hashed(token), session=hashed(cookie), expires=until)
    return patient, cookie


def session_patient(store: SessionStore, cookie: str | None) -> str | None:
    """The patient whose web session ``cookie`` is, while it lasts (None: no such session, expired, or revoked)."""
    if not cookie:
        return None
    found = store.sign_in_session(hashed(cookie))
    if found is None or datetime.datetime.fromisoformat(found[1]) <= _now():
        return None
    return found[0]


def end_session(store: SessionStore, cookie: str | None) -> None:
    """Sign out: the web session of ``cookie`` ends (its link, already used, is recorded revoked in the patient's
    name, which ends every session made with it); nothing for no session."""
    found = store.sign_in_session(hashed(cookie)) if cookie else None
    if found is None:
        return
    try:
        actor = patient_actor(store, found[0])
    except NotPermitted:
        return  # disabled since: their sessions have ended already
    store.clinician, store.account = actor.id, actor.account
    store.add_sign_in(found[0], "revoke", found[2])


def revoke_links(store: SessionStore, patient: str, actor: Actor, policy: Mapping[str, Any] | None = None) -> int:
    """Withdraw every link of ``patient`` not yet withdrawn, and the web sessions made with them; how many."""
    require(actor, "invite-patient", policy, patient)
    rows = store.sign_ins_of(patient)
    revoked = {token for kind, token in rows if kind == "revoke"}
    links = [token for kind, token in rows if kind == "link" and token not in revoked]
    for token in links:
        store.add_sign_in(patient, "revoke", token)
    return len(links)
