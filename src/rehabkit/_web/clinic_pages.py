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

__all__ = [
    "DOWNLOADS",
    "Download",
    "DownloadRefused",
    "PatientView",
    "download",
    "new_link",
    "overview_rows",
    "patient_view",
    "record_approval",
    "record_review",
]

#: The review outcomes, as ``rehabkit review --outcome`` names them.
OUTCOMES = ("resume", "earlier-phase", "discharge", "refer")
#: The approval kinds a form offers, each with the who-may-act action that gives it.
KINDS = {"clinician-approval": "give-clinician-approval", "surgeon-clearance": "give-surgeon-clearance"}
#: What a patient's page offers to download (the form's ``what``): the terminal's command each file is, in words.
DOWNLOADS = {
    "handout-html": "Handout (HTML)",
    "handout-pdf": "Handout (PDF)",
    "report-html": "Course report (HTML)",
    "report-pdf": "Course report (PDF)",
    "calendar": "Calendar (.ics)",
    "fhir-r4b": "FHIR R4B Bundle (JSON)",
    "fhir-r5": "FHIR R5 Bundle (JSON)",
}
#: The longest a transcribed surgeon's name or letter reference may be (as ``rehabkit approve --surgeon/--evidence``).
LONGEST_LINE = 200


@attrs.frozen
class Download:
    """A file for a patient's page to send: its name, media type and bytes."""

    filename: str
    media_type: str
    data: bytes


class DownloadRefused(RehabkitError, RuntimeError):
    """A download the terminal's command would refuse (a paused course's handout, a closed gate), in its words."""

    def __init__(self, lines: list[str], status: int = 409) -> None:
        super().__init__("\n".join(lines))
        self.lines, self.status = lines, status


def overview_rows(courses: list[Any], ref: Callable[[str], str]) -> list[dict[str, Any]]:
    """The overview's courses (a page of them, most urgent first), each with the reference of its patient's page."""
    return [{"course": course, "ref": ref(course.patient)} for course in courses]


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
    #: May withdraw an approval, transcribe a surgeon's letter, download the patient's files (``who_may_act``).
    may_withdraw: bool = False
    may_transcribe: bool = False
    downloads: tuple[tuple[str, str], ...] = ()
    #: The course report's charts (inline SVG: pain, sessions each week, each outcome measure).
    charts: tuple[tuple[str, Any], ...] = ()
    outcomes: tuple[str, ...] = OUTCOMES
    every_kind: tuple[str, ...] = tuple(KINDS)


def patient_view(store: SessionStore, site: Any, actor: Actor, patient: str) -> PatientView:
    """What ``actor`` sees of ``patient``: the course of their latest protocol, and the forms their roles allow."""
    protocols = store.protocols_of(patient)
    ctx = site.context(protocols[-1]) if protocols else None
    course = ctx.course(store, patient, site.today()) if ctx else None
    policy = ctx.policy if ctx else None
    member = register(store.staff_events()).get(patient)
    may_download = course is not None and may(actor, "export-patient", policy, patient)
    return PatientView(
        patient=patient,
        protocol=ctx.protocol if ctx else None,
        course=course,
        sessions=list(reversed(store.sessions(patient))),
        open_criteria=_open_criteria(course) if course else [],
        kinds=[k for k, action in KINDS.items() if may(actor, action, policy, patient)],
        may_review=may(actor, "review", policy, patient),
        may_invite=may(actor, "invite-patient", policy, patient) and member is not None and member.enabled,
        may_withdraw=may(actor, "withdraw-approval", policy, patient),
        may_transcribe=may(actor, "transcribe-surgeon-clearance", policy, patient),
        downloads=tuple((what, name) for what, name in DOWNLOADS.items() if may_download and _offered(what)),
        charts=_charts(site.staff.report(store, patient, site.today())) if course and site.staff.report else (),
    )


def _offered(what: str) -> bool:
    """Whether this installation can make a download (a PDF needs the pdf extra)."""
    import importlib.util

    return not what.endswith("-pdf") or importlib.util.find_spec("weasyprint") is not None


def _charts(report: Any) -> tuple[tuple[str, Any], ...]:
    """The course report's charts, with their captions, as the report draws them."""
    from .._outputs.charts import adherence_chart, measure_chart, pain_chart

    return (
        ("Pain before and after each session and the next morning, with the protocol's limits", pain_chart(report)),
        ("Sessions done each week against the sessions the phase plans", adherence_chart(report)),
        *((series.name, measure_chart(series)) for series in report.measures),
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
    """Record the approval the form asks for through the course service (``rehabkit approve``'s): given, withdrawn
    (``withdraw``), or a surgeon's clearance transcribed from their letter (``surgeon`` and ``evidence``)."""
    from .._sessions.service import Clearance, approve

    surgeon, evidence = (form.get(name, "").strip() or None for name in ("surgeon", "evidence"))
    for value in (surgeon, evidence):
        if value is not None and (len(value) > LONGEST_LINE or not value.isprintable()):
            return 400, [f"give one line of printable text, at most {LONGEST_LINE} characters."]

    def write() -> list[str]:
        ctx = site.context(store.protocols_of(patient)[-1])
        day, phase, kind = site.today(), form.get("phase", ""), form.get("kind") or None
        recorded = approve(store, ctx, patient, actor, day, phase=phase, kind=kind,
                           given=form.get("withdraw") != "1", source=Clearance(surgeon, evidence))  # fmt: skip
        said, warnings = site.staff.approved(recorded, ctx.protocol, phase, day, evidence)
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


def _link(store: SessionStore, actor: Actor, patient: str, base: str) -> tuple[str, str]:
    """A new sign-in link for the patient (``rehabkit invite``'s) and until when it signs in; :class:`NotPermitted`
    when ``actor`` may not make one."""
    from .._sessions.sign_in import DEFAULT_LINK_DAYS, make_link

    token, until = make_link(store, patient, actor, datetime.timedelta(days=DEFAULT_LINK_DAYS))
    return f"{base}/sign-in/{token}", f"{until.strftime('%Y-%m-%d %H:%M')} UTC"


def new_link(store: SessionStore, actor: Actor, patient: str, base: str) -> tuple[int, list[str]]:
    """A new sign-in link for the patient (``rehabkit invite``'s), to give them."""
    try:
        url, until = _link(store, actor, patient, base)
    except NotPermitted as exc:
        return 403, [str(exc)]
    return 200, [f"Sign-in link for {patient} (single use, until {until}):", url]


def download(
    store: SessionStore, site: Any, actor: Actor, patient: str, form: Mapping[str, str], base: str
) -> Download | tuple[int, list[str]]:
    """The file the form asks for (``what``: one of :data:`DOWNLOADS`), made as the terminal's command makes it, its
    making an audit entry in ``actor``'s name; a handout with ``link`` carries a new sign-in link and its QR code.
    Refused (status, lines) in the terminal's words when its command would refuse it, or ``actor`` may not."""
    from .._sessions.staff import require

    what = form.get("what", "")
    if what not in DOWNLOADS or site.staff.download is None:
        return 400, ["Choose one of the files the page offers."]
    try:
        ctx = site.context(store.protocols_of(patient)[-1])
        require(actor, "export-patient", ctx.policy, patient)
        wants_link = form.get("link") == "1" and what.startswith("handout")
        link = (lambda: _link(store, actor, patient, base)) if wants_link else None  # made once the handout is
        options = {"large_print": form.get("large_print") == "1", "link": link}
        made: Download = site.staff.download(store, patient, what, site.today(), options)
    except NotPermitted as exc:
        return 403, [str(exc)]
    except DownloadRefused as exc:
        return exc.status, exc.lines
    except IndexError:
        return 409, ["This patient has no course yet."]
    except RehabkitError as exc:
        return 409, [str(exc)]
    store.record_export(patient, {"format": what, "protocol": ctx.protocol.key, "from": "rehabkit serve"})
    return made
