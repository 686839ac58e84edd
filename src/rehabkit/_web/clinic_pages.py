"""What the clinician's pages show and record, through the course service: the clinic overview's rows (the ``clinic``
ranking itself, :func:`rehabkit._sessions.clinic.assess`), a patient's page (history, open criteria, the forms the
person may use), and the approval, review and sign-in link those forms record, each refused in the terminal's words.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .._common.errors import NotPermitted, RehabkitError
from .._sessions.locks import PatientBusy, patient_lock
from .._sessions.staff import Actor, may, register
from .._sessions.store_api import SessionStore

__all__ = ["PatientView", "new_link", "overview_rows", "patient_view", "record_approval", "record_review"]

#: The review outcomes, as ``rehabkit review --outcome`` names them.
OUTCOMES = ("resume", "earlier-phase", "discharge", "refer")
#: The approval kinds a form offers, each with the who-may-act action that gives it.
KINDS = {"clinician-approval": "give-clinician-approval", "surgeon-clearance": "give-surgeon-clearance"}


def overview_rows(assessment: Any, ref: Callable[[str], str]) -> list[dict[str, Any]]:
    """The overview's courses, most urgent first, each with the reference of its patient's page."""
    return [{"course": course, "ref": ref(course.patient)} for course in assessment.courses]


@attrs.frozen
class PatientView:
    """A patient's page: their course, sessions, the criteria still open, and what the person viewing may do."""

    patient: str
    protocol: Any
    course: Any
    sessions: list[Any]
    open_criteria: list[str]
    kinds: list[str]
    may_review: bool
    may_invite: bool
    outcomes: tuple[str, ...] = OUTCOMES


def patient_view(store: SessionStore, site: Any, actor: Actor, patient: str) -> PatientView:
    """What ``actor`` sees of ``patient``: the course of their latest protocol, and the forms their roles allow."""
    protocols = store.protocols_of(patient)
    ctx = site.context(protocols[-1]) if protocols else None
    course = ctx.course(store, patient, site.today()) if ctx else None
    policy = ctx.policy if ctx else None
    member = register(store.staff_events()).get(patient)
    return PatientView(
        patient=patient,
        protocol=ctx.protocol if ctx else None,
        course=course,
        sessions=list(reversed(store.sessions(patient))),
        open_criteria=_open_criteria(course) if course else [],
        kinds=[k for k, action in KINDS.items() if may(actor, action, policy, patient)],
        may_review=may(actor, "review", policy, patient),
        may_invite=may(actor, "invite-patient", policy, patient) and member is not None and member.enabled,
    )


def _open_criteria(course: Any) -> list[str]:
    """The criteria of the gate ahead that do not hold yet: the current phase's exit and the next phase's entry."""
    from ..engine import check_criteria

    protocol = course.protocol
    if not course.started:
        first = protocol.phases[0]
        return list(check_criteria(first.entry, course.facts, first.id).unmet)
    gate = course.gate
    if gate == course.phase:
        return list(check_criteria(protocol.phase(course.phase).exit, course.facts, gate).unmet)
    done = attrs.evolve(course.facts, completed_phases=course.facts.completed_phases | {course.phase})
    leaving = check_criteria(protocol.phase(course.phase).exit, course.facts, gate).unmet
    return [*leaving, *check_criteria(protocol.phase(gate).entry, done, gate).unmet]


def _locked(
    store: SessionStore, patient: str, what: str, actor: Actor, write: Callable[[], list[str]]
) -> tuple[int, list[str]]:
    """``write`` under the patient's course lock, as the terminal's command holds it: (status, lines) of what was
    recorded, or of the refusal (403 not permitted, 409 busy, 400 a request the service refuses)."""
    try:
        with patient_lock(store, patient, what, actor.id):
            return 200, write()
    except NotPermitted as exc:
        return 403, [str(exc)]
    except PatientBusy as exc:
        return 409, [str(exc)]
    except RehabkitError as exc:
        return 400, [str(exc)]


def record_approval(
    store: SessionStore, site: Any, actor: Actor, patient: str, form: Mapping[str, str]
) -> tuple[int, list[str]]:
    """Record the approval the form asks for through the course service (``rehabkit approve``'s)."""
    from .._sessions.service import approve

    def write() -> list[str]:
        ctx = site.context(store.protocols_of(patient)[-1])
        day, phase, kind = site.today(), form.get("phase", ""), form.get("kind") or None
        recorded = approve(store, ctx, patient, actor, day, phase=phase, kind=kind)
        said, warnings = site.staff.approved(recorded, ctx.protocol, phase, day, None)
        return [*said, *warnings]

    return _locked(store, patient, "an approval", actor, write)


def record_review(
    store: SessionStore, site: Any, actor: Actor, patient: str, form: Mapping[str, str]
) -> tuple[int, list[str]]:
    """Record the review the form asks for through the course service (``rehabkit review``'s)."""
    from .._sessions.service import review, stopped_in

    def write() -> list[str]:
        protocol = stopped_in(store, patient) or store.protocols_of(patient)[-1]
        ctx, day, outcome = site.context(protocol), site.today(), form.get("outcome", "")
        done = review(store, ctx, patient, actor, day, outcome=outcome, phase=form.get("phase") or None,
                      note=form.get("note") or None)  # fmt: skip
        return list(site.staff.reviewed(patient, day, actor.id, outcome, ctx.protocol, done.before, done.after))

    return _locked(store, patient, "a review", actor, write)


def new_link(store: SessionStore, actor: Actor, patient: str, base: str) -> tuple[int, list[str]]:
    """A new sign-in link for the patient (``rehabkit invite``'s), to give them."""
    from .._sessions.sign_in import DEFAULT_LINK_DAYS, make_link

    try:
        token, until = make_link(store, patient, actor, datetime.timedelta(days=DEFAULT_LINK_DAYS))
    except NotPermitted as exc:
        return 403, [str(exc)]
    return 200, [
        f"Sign-in link for {patient} (single use, until {until.strftime('%Y-%m-%d %H:%M')} UTC):",
        f"{base}/sign-in/{token}",
    ]
