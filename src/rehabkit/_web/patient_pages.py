"""The patient's pages of ``rehabkit serve`` besides today's session: the next-morning check-in and their pain chart.

The check-in calls the course service's next-morning operation (:func:`~rehabkit._sessions.service.record_next_day`,
after :func:`~rehabkit._sessions.service.next_day_session`), under the patient's course lock, as ``rehabkit next-day``
does, and says what that command says (:attr:`~rehabkit._web.visits.Words.morning`). The chart is the course report's
chart code (:func:`rehabkit._outputs.charts.line_chart`) with a table of every value beside it: no script.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .._common.errors import NotPermitted
from .._outputs.charts import line_chart
from .._outputs.content import ChartPoint
from .._sessions.locks import PatientBusy, patient_lock
from .._sessions.service import CourseRequestError, NoSessionError, next_day_session, record_next_day
from .._sessions.staff import Actor
from .._sessions.store_api import SessionStore
from .common import SECURITY_HEADERS, Changes
from .visits import Visit

__all__ = ["NO_MORNING", "PatientPages", "Replies"]

#: What the check-in says on a morning that follows no session.
NO_MORNING = (
    "There is no session from yesterday to check in about: the morning check-in is for the morning after a session.",
    "Do today's session, and check in tomorrow morning.",
)
#: Most hours a patient may give for their pain to settle (as 'rehabkit next-day --settled-after-hours').
MOST_SETTLE_HOURS = 72.0


class Replies:
    """What a page posted said, kept for the page it redirects to (each shown once), by patient."""

    def __init__(self) -> None:
        self._said: dict[str, list[str]] = {}

    def say(self, patient: str, lines: list[str]) -> None:
        """Keep ``lines`` for the patient's next page."""
        self._said[patient] = lines

    def take(self, patient: str) -> list[str] | None:
        """The lines kept for the patient (then forgotten); None when there are none."""
        return self._said.pop(patient, None)


class PatientPages:
    """The handlers of the check-in and the chart (routes of a signed-in patient: see ``app._Pages.patient_route``)."""

    def __init__(self, store: Callable[[], SessionStore], page: Callable[..., HTMLResponse], site: Any,
                 changes: Changes) -> None:  # fmt: skip
        self.store, self.page, self.site, self.changes = store, page, site, changes
        self.replies = Replies()

    async def morning_page(self, request: Request, visit: Visit, actor: Actor) -> Response:
        """The check-in: what it recorded (just after), else the question, else why there is none this morning."""
        recorded = self.replies.take(visit.patient)
        if recorded is not None:
            return self.page("morning.html", title="Thank you", recorded=recorded)
        try:
            session = next_day_session(self.store(), visit.patient, self.site.today())
        except (NoSessionError, CourseRequestError):
            return self.page("morning.html", title="Morning check-in", lines=NO_MORNING)
        return self.page("morning.html", title="Morning check-in", session=session, notes=visit.take_notes())

    async def morning(self, request: Request, visit: Visit, actor: Actor) -> Response:
        """Record this morning's pain (and the hours it took to settle, where given) and act on the protocol's
        next-morning rules at once."""
        form = await request.form()
        key = str(form.get("key", ""))
        if visit.repeated(key):
            return _go("/morning")  # sent before (a check-in given offline, sent again): recorded once
        pain, settled = _number(form.get("answer"), 10.0), _number(form.get("settled"), MOST_SETTLE_HOURS)
        if pain is None or (settled is None and str(form.get("settled") or "").strip()):
            visit.notes.append("Choose a number from 0 (no pain) to 10; hours to settle from 0 to 72, or leave empty.")
            return _go("/morning")
        if visit.lock is not None:  # a session in progress holds the course: the check-in waits for its end
            visit.notes.append("Finish today's session first, then check in.")
            return _go("/morning")
        try:
            lines = self._record(visit.patient, actor, pain, settled)
        except (PatientBusy, NotPermitted) as exc:
            lines = [str(exc)]
        else:
            visit.taken(key)  # only once stored: a first attempt that failed leaves its retry free to record it
        self.replies.say(visit.patient, lines)
        return _go("/morning")

    def _record(self, patient: str, actor: Actor, pain: float, settled: float | None) -> list[str]:
        store, day = self.store(), self.site.today()
        with patient_lock(store, patient, "a next-morning report", actor.id):
            try:
                session = next_day_session(store, patient, day)
            except (NoSessionError, CourseRequestError):
                return list(NO_MORNING)
            ctx = self.site.context(session.protocol)
            recorded = record_next_day(store, patient, actor, day, session=session, pain=pain, settled=settled,
                                       protocol=ctx.protocol, policy=ctx.policy)  # fmt: skip
        if recorded.paused:
            self.changes.changed()  # the clinicians' overviews change
        lines: list[str] = self.site.words.morning(patient, day, pain, recorded)
        return [line.strip() for line in lines]

    async def progress(self, request: Request, visit: Visit, actor: Actor) -> Response:
        """The patient's pain at each session (before, after, the next morning): a chart and a table."""
        rows = pain_rows(self.store(), visit.patient)
        lines = [(label, [ChartPoint(day, value) for day, *values in rows if (value := values[i]) is not None])
                 for i, label in enumerate(("before the session", "after the session", "next morning"))]  # fmt: skip
        description = (
            f"Your pain from 0 (none) to 10 (the worst imaginable) at {len(rows)} sessions. "
            "The table below gives every value."
        )
        chart = line_chart("Your pain at each session", description, lines, (0, 10)) if rows else None
        return self.page("progress.html", title="Your pain", chart=chart, rows=rows)


def pain_rows(
    store: SessionStore, patient: str
) -> list[tuple[datetime.date, float | None, float | None, float | None]]:
    """(date, pain before, pain after, pain the next morning) of each of the patient's sessions with any pain given."""
    mornings = store.next_day(patient)
    rows = [(s.date, s.pain_before, s.pain_after, mornings.get(s.id)) for s in store.sessions(patient)]
    return [row for row in rows if any(value is not None for value in row[1:])]


def _number(value: Any, most: float) -> float | None:
    """A number from 0 to ``most`` given in a form, else None."""
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if 0 <= number <= most else None


def _go(path: str) -> Response:
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)
