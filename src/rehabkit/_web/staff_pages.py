"""The clinician's pages of ``rehabkit serve``: staff sign-in, the clinic overview, a patient's page.

A member of staff signs in at ``/staff`` with their id and the password ``rehabkit staff password`` set; the session
cookie (:data:`STAFF_COOKIE`, HttpOnly, SameSite=Strict, path ``/staff``) is another than a patient's, and a patient's
cookie opens no page here. Every page and form finds its person from the register through the cookie
(:func:`rehabkit._sessions.staff_sign_in.staff_actor`): their roles as the register stands now, the who-may-act policy
deciding what they may do, and every write recorded and audited in their name.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from .._sessions.staff import Actor
from .._sessions.staff_sign_in import SignInRefused, SignInRules, end_staff_session, sign_in_staff, staff_actor
from .._sessions.store_api import SessionStore
from .common import SECURITY_HEADERS, Changes, Tries, client_of

__all__ = ["STAFF_COOKIE", "StaffPages", "StaffWords"]

#: The staff session cookie's name (a patient's is another).
STAFF_COOKIE = "rehabkit-staff"
TEMPLATES = Path(__file__).parent / "templates"
#: Seconds between the comments that keep an overview's event stream open.
KEEP_ALIVE = 15
#: Courses on a page of the clinic overview.
OVERVIEW_PAGE = 50
#: Where the staff pages live (the cookie's path).
STAFF = "/staff"
TOO_MANY_HERE = (
    "Too many sign-ins were refused from here. Wait a quarter of an hour, or ask an admin to set a new password."
)

StaffHandler = Callable[[Request, Actor], Awaitable[Response]]


@attrs.frozen
class StaffWords:
    """What the clinician's pages take from the terminal's commands, so that they say and rank what the terminal
    does: the clinic overview's assessment (``rehabkit clinic``: store, today -> its assessment), the words of an
    approval and of a review recorded (``rehabkit approve``, ``rehabkit review``), the course report's content
    (``rehabkit report``: store, patient, today), and a patient's file to download (store, patient, what, today,
    options -> :class:`~rehabkit._web.clinic_pages.Download`, made as ``handout``, ``report``, ``calendar`` and
    ``export`` make it; refused with :class:`~rehabkit._web.clinic_pages.DownloadRefused` in their words), and the
    sign-in settings ``rehabkit serve`` was given (lock-out, session length)."""

    overview: Callable[[SessionStore, datetime.date], Any]
    approved: Callable[..., tuple[list[str], list[str]]]
    reviewed: Callable[..., list[str]]
    report: Callable[[SessionStore, str, datetime.date], Any] | None = None
    download: Callable[..., Any] | None = None
    rules: SignInRules = attrs.field(factory=SignInRules)


class StaffPages:
    """The staff routes' handlers, on the application's store and pages."""

    def __init__(
        self,
        store: Callable[[], SessionStore],
        page: Callable[..., HTMLResponse],
        message: Callable[..., HTMLResponse],
        secure: bool,
        site: Any = None,
        changes: Changes | None = None,
    ) -> None:
        self._store, self.page, self.message, self.secure = store, page, message, secure
        self.site, self.changes = site, changes or Changes()
        self.tries = Tries()
        #: The key of this process's references to patients in URLs (no patient id in a URL; new at each start).
        self._key = secrets.token_bytes(32)

    @property
    def store(self) -> SessionStore:
        """The application's open store (opened when it starts)."""
        return self._store()

    def _go(self, path: str) -> Response:
        return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)

    def sign_in_form(self, status: int = 200, notes: list[str] | None = None) -> HTMLResponse:
        return self.page("staff_sign_in.html", status, notes=notes or [])

    async def home(self, request: Request) -> Response:
        if staff_actor(self.store, request.cookies.get(STAFF_COOKIE)) is not None:
            return self._go(f"{STAFF}/clinic")
        return self.sign_in_form()

    async def sign_in(self, request: Request) -> Response:
        form, client = await request.form(), client_of(request)
        if self.tries.exhausted(client):
            return self.message("Too many tries", [TOO_MANY_HERE], 429)
        rules = self.site.staff.rules if self.site is not None and self.site.staff is not None else SignInRules()
        try:
            _, cookie = sign_in_staff(self.store, str(form.get("staff", "")), str(form.get("password", "")), rules)
        except SignInRefused as exc:
            self.tries.failed(client)
            return self.sign_in_form(429 if exc.locked else 401, [str(exc)])
        response, secure = self._go(f"{STAFF}/clinic"), self.secure or request.url.scheme == "https"
        response.set_cookie(STAFF_COOKIE, cookie, max_age=int(rules.session_hours * 3600), path=STAFF,
                            secure=secure, httponly=True, samesite="strict")  # fmt: skip
        return response

    async def sign_out(self, request: Request) -> Response:
        end_staff_session(self.store, request.cookies.get(STAFF_COOKIE))
        response = self._go(STAFF)
        response.delete_cookie(STAFF_COOKIE, path=STAFF, secure=self.secure, httponly=True,
                               samesite="strict")  # fmt: skip
        return response

    def staff_route(self, handler: StaffHandler) -> Callable[[Request], Awaitable[Response]]:
        """A route of signed-in staff: the person acting (every write names them); none, the sign-in page (401)."""

        async def route(request: Request) -> Response:
            actor = staff_actor(self.store, request.cookies.get(STAFF_COOKIE))
            if actor is None:
                return self.sign_in_form(401, ["Sign in to see the clinic's pages."])
            self.store.clinician, self.store.account = actor.id, actor.account
            return await handler(request, actor)

        return route

    def ref(self, patient: str) -> str:
        """The patient's reference in this server's URLs: a keyed hash, never their id."""
        return hmac.new(self._key, patient.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def patient_of(self, ref: str) -> str | None:
        """The patient a reference stands for (None: no patient of this store)."""
        return next((p for p in self.store.patient_ids() if hmac.compare_digest(self.ref(p), ref)), None)

    async def clinic(self, request: Request, actor: Actor) -> Response:
        """The overview, :data:`OVERVIEW_PAGE` courses a page (``?page=N``: the N-th; a page past the last, the
        last)."""
        from .._sessions.clinic import Page
        from .clinic_pages import overview_rows

        assessment = self.site.staff.overview(self.store, self.site.today())
        wanted = request.query_params.get("page", "1")
        number = int(wanted) if wanted.isdigit() and 0 < int(wanted) < 10**6 else 1
        pages = max(-(-len(assessment.courses) // OVERVIEW_PAGE), 1)
        page = Page.of(assessment.courses, OVERVIEW_PAGE, min(number, pages))
        rows = overview_rows(page.courses, self.ref)
        return self.page("clinic.html", actor=actor, assessment=assessment, rows=rows, page=page, notes=[])

    async def find(self, request: Request, actor: Actor) -> Response:
        """The page of the patient whose id the form names (a POST: no patient id in a URL)."""
        patient = (await self._form(request)).get("patient", "").strip()
        if not self.store.has_patient(patient):
            return self.message("No such patient", [f"No patient {patient!r} is recorded on this store."], 404)
        return self._go(f"{STAFF}/patients/{self.ref(patient)}")

    async def events(self, request: Request, actor: Actor) -> Response:
        """Server-sent events: ``overview`` when a patient's session ends here (the overview page then reloads its
        list); a comment every :data:`KEEP_ALIVE` seconds, so that a closed page is noticed."""
        queue = self.changes.listen()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 5000\n\n"
                while not await request.is_disconnected():
                    try:
                        yield f"event: {await asyncio.wait_for(queue.get(), KEEP_ALIVE)}\ndata: changed\n\n"
                    except TimeoutError:
                        yield ": still here\n\n"
            finally:
                self.changes.stop(queue)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=SECURITY_HEADERS)

    async def overview_script(self, request: Request) -> Response:
        return FileResponse(TEMPLATES / "overview.js", media_type="text/javascript", headers=SECURITY_HEADERS)

    def patient_route(self, handler: Callable[[Request, Actor, str], Awaitable[Response]]) -> StaffHandler:
        """A staff route about one patient, found from the reference in its URL (404 for none)."""

        async def route(request: Request, actor: Actor) -> Response:
            patient = self.patient_of(request.path_params["ref"])
            if patient is None:
                return self.message("No such patient", ["Open the patient from the clinic overview."], 404)
            return await handler(request, actor, patient)

        return route

    async def patient_page(self, request: Request, actor: Actor, patient: str) -> Response:
        return self.patient_view(actor, patient)

    def patient_view(self, actor: Actor, patient: str, notes: list[str] | None = None, status: int = 200) -> Response:
        """The patient's page as ``actor`` may use it, with ``notes`` (what a form recorded, or why it was refused)."""
        from .clinic_pages import patient_view

        view = patient_view(self.store, self.site, actor, patient)
        return self.page("staff_patient.html", status, actor=actor, view=view, ref=self.ref(patient),
                         notes=notes or [])  # fmt: skip

    async def _form(self, request: Request) -> dict[str, str]:
        return {key: str(value) for key, value in (await request.form()).items()}

    async def approve(self, request: Request, actor: Actor, patient: str) -> Response:
        from .clinic_pages import record_approval

        status, lines = record_approval(self.store, self.site, actor, patient, await self._form(request))
        return self.patient_view(actor, patient, lines, status)

    async def review(self, request: Request, actor: Actor, patient: str) -> Response:
        from .clinic_pages import record_review

        status, lines = record_review(self.store, self.site, actor, patient, await self._form(request))
        return self.patient_view(actor, patient, lines, status)

    async def invite(self, request: Request, actor: Actor, patient: str) -> Response:
        from .clinic_pages import new_link

        status, lines = new_link(self.store, actor, patient, str(request.base_url).rstrip("/"))
        return self.patient_view(actor, patient, lines, status)

    async def download(self, request: Request, actor: Actor, patient: str) -> Response:
        """A file of the patient's (handout, report, calendar, FHIR), sent as an attachment and not kept by the
        browser's cache; refused on the patient's page in the terminal's words."""
        from .clinic_pages import Download, download

        base = str(request.base_url).rstrip("/")
        made = download(self.store, self.site, actor, patient, await self._form(request), base)
        if not isinstance(made, Download):
            return self.patient_view(actor, patient, made[1], made[0])
        disposition = f'attachment; filename="{made.filename}"'
        return Response(made.data, media_type=made.media_type,
                        headers={**SECURITY_HEADERS, "content-disposition": disposition})  # fmt: skip

    def routes(self) -> list[Route]:
        staff = self.staff_route
        return [
            Route(STAFF, self.home),
            Route(f"{STAFF}/sign-in", self.sign_in, methods=["POST"]),
            Route(f"{STAFF}/sign-out", self.sign_out, methods=["POST"]),
            Route(f"{STAFF}/clinic", staff(self.clinic)),
            Route(f"{STAFF}/find", staff(self.find), methods=["POST"]),
            Route(f"{STAFF}/events", staff(self.events)),
            Route(f"{STAFF}/overview.js", self.overview_script),
            Route(STAFF + "/patients/{ref}", staff(self.patient_route(self.patient_page))),
            Route(STAFF + "/patients/{ref}/approve", staff(self.patient_route(self.approve)), methods=["POST"]),
            Route(STAFF + "/patients/{ref}/review", staff(self.patient_route(self.review)), methods=["POST"]),
            Route(STAFF + "/patients/{ref}/invite", staff(self.patient_route(self.invite)), methods=["POST"]),
            Route(STAFF + "/patients/{ref}/download", staff(self.patient_route(self.download)), methods=["POST"]),
        ]
