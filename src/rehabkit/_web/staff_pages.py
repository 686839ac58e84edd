"""The clinician's pages of ``rehabkit serve``: staff sign-in, the clinic overview, a patient's page.

A member of staff signs in at ``/staff`` with their id and the password ``rehabkit staff password`` set; the session
cookie (:data:`STAFF_COOKIE`, HttpOnly, SameSite=Strict, path ``/staff``) is another than a patient's, and a patient's
cookie opens no page here. Every page and form finds its person from the register through the cookie
(:func:`rehabkit._sessions.staff_sign_in.staff_actor`): their roles as the register stands now, the who-may-act policy
deciding what they may do, and every write recorded and audited in their name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .._sessions.staff import Actor
from .._sessions.staff_sign_in import STAFF_SESSION_HOURS, SignInRefused, end_staff_session, sign_in_staff, staff_actor
from .._sessions.store_api import SessionStore
from .common import SECURITY_HEADERS, Tries, client_of

__all__ = ["STAFF_COOKIE", "StaffPages"]

#: The staff session cookie's name (a patient's is another).
STAFF_COOKIE = "rehabkit-staff"
#: Where the staff pages live (the cookie's path).
STAFF = "/staff"
TOO_MANY_HERE = (
    "Too many sign-ins were refused from here. Wait a quarter of an hour, or ask an admin to set a new password."
)

StaffHandler = Callable[[Request, Actor], Awaitable[Response]]


class StaffPages:
    """The staff routes' handlers, on the application's store and pages."""

    def __init__(
        self,
        store: Callable[[], SessionStore],
        page: Callable[..., HTMLResponse],
        message: Callable[..., HTMLResponse],
        secure: bool,
    ) -> None:
        self._store, self.page, self.message, self.secure = store, page, message, secure
        self.tries = Tries()

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
        try:
            _, cookie = sign_in_staff(self.store, str(form.get("staff", "")), str(form.get("password", "")))
        except SignInRefused as exc:
            self.tries.failed(client)
            return self.sign_in_form(429 if exc.locked else 401, [str(exc)])
        response = self._go(f"{STAFF}/clinic")
        response.set_cookie(STAFF_COOKIE, cookie, max_age=STAFF_SESSION_HOURS * 3600, path=STAFF,
                            secure=self.secure, httponly=True, samesite="strict")  # fmt: skip
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

    async def clinic(self, request: Request, actor: Actor) -> Response:
        return self.page("clinic.html", actor=actor, rows=[], notes=[])

    def routes(self) -> list[Route]:
        staff = self.staff_route
        return [
            Route(STAFF, self.home),
            Route(f"{STAFF}/sign-in", self.sign_in, methods=["POST"]),
            Route(f"{STAFF}/sign-out", self.sign_out, methods=["POST"]),
            Route(f"{STAFF}/clinic", staff(self.clinic)),
        ]
