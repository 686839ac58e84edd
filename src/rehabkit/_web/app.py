"""The ASGI application of ``rehabkit serve``: the patient's sign-in and today's session, one step a page.

It holds no clinical logic: every answer goes to the course service through a :class:`~rehabkit._web.visits.Visit`,
and every refusal and decision is said in the terminal's words (:class:`~rehabkit._web.visits.Words`). Pages are plain
HTML forms (POST, then a redirect to the page of the next step): they need no JavaScript, and the pages send none.

Security: the session cookie is HttpOnly and SameSite=Strict (Secure over https); every POST must come from this
site's own pages (its ``Origin``, else ``Sec-Fetch-Site: same-origin``; a request with neither is refused); every
response forbids scripts, frames and other sites' resources (Content-Security-Policy) and is not cached. No URL holds
a patient id or anything clinical: the only secret in a URL is a sign-in link's token, on the page that exchanges it,
which redirects to a clean URL and sends a Referer to this site only.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .._common.errors import NotPermitted, RehabkitError
from .._sessions.service import CourseContext
from .._sessions.sign_in import (
    SESSION_HOURS,
    LinkRefused,
    check_link,
    end_session,
    exchange,
    patient_actor,
    session_patient,
)
from .._sessions.staff import Actor
from .._sessions.store_api import SessionStore
from . import ahead
from .common import SECURITY_HEADERS, TOO_MANY, Changes, Tries, client_of, with_styles
from .figures import Figure
from .patient_pages import PatientPages
from .staff_pages import StaffPages, StaffWords
from .visits import Visit, Visits, Words

__all__ = ["COOKIE", "Site", "create_app"]

TEMPLATES = Path(__file__).parent / "templates"
#: The session cookie's name.
COOKIE = "rehabkit-session"


class ProgrammeUnavailable(RehabkitError, LookupError):
    """A course's protocol cannot be opened by this server (its pack is not installed, or its findings refuse it):
    the message is the terminal's. Pages answer it with a page saying what to do, never a server error."""


#: What a patient is told when their programme cannot be opened (the reason is for the clinic, shown to staff).
UNAVAILABLE = (
    "Your exercise programme cannot be opened here just now. Nothing was recorded. Please contact your clinic: "
    "they can check it."
)


@attrs.frozen
class Site:
    """What the application serves from: the store's location, the course context of a protocol id, the terminal's
    words, and today's date (a function, so that tests can fix it)."""

    open_store: Callable[[], SessionStore]
    context: Callable[[str], CourseContext]
    words: Words
    today: Callable[[], datetime.date] = datetime.date.today
    #: True behind https (the cookie is then Secure).
    secure: bool = False
    #: What the clinician's pages take from the terminal's commands (None: no clinician's pages but sign-in).
    staff: StaffWords | None = None


class _Pages:
    """The routes' handlers, on the open store and the visits (made when the application starts, in the thread that
    serves it)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True))
        self.store: SessionStore
        self.visits: Visits
        self.tries = Tries()
        self.changes = Changes()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.store, self.visits = self.site.open_store(), Visits()
        try:
            yield
        finally:
            self.visits.close()
            self.store.close()

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """The template ``name`` rendered with ``values``; a ``figure`` (an exercise's animated SVG) has its own
        style element allowed by its hash in the Content-Security-Policy (no 'unsafe-inline')."""
        values = {"tag": _TAG.get(""), "day": self.site.today().isoformat(), **values}
        html = self.env.get_template(name).render(**values)
        figure = values.get("figure")
        headers = with_styles(SECURITY_HEADERS, figure.styles) if figure is not None else SECURITY_HEADERS
        return HTMLResponse(html, status_code=status, headers=headers)

    def message(self, title: str, lines: list[str] | tuple[str, ...], status: int = 200) -> HTMLResponse:
        return self.page("message.html", status, title=title, lines=lines)

    async def unavailable(self, request: Request, exc: Exception) -> Response:
        """A course whose protocol cannot be opened: the patient is told to contact the clinic, staff see why."""
        lines = [UNAVAILABLE] if not request.url.path.startswith("/staff") else [str(exc), "Nothing was recorded."]
        return self.message("Programme unavailable", lines, 503)

    async def home(self, request: Request) -> Response:
        if session_patient(self.store, request.cookies.get(COOKIE)):
            return _go("/session")
        return _signed_out(self.message)

    async def sign_in_page(self, request: Request) -> Response:
        token, client = request.path_params["token"], client_of(request)
        if self.tries.exhausted(client):
            return self.message("Too many tries", [TOO_MANY], 429)
        try:
            check_link(self.store, token)  # a link that can no longer sign in says so at once
        except LinkRefused as exc:
            self.tries.failed(client)
            return self.message("This link cannot sign you in", [str(exc)], 410)
        return self.page("sign_in.html", token=token)

    async def sign_in(self, request: Request) -> Response:
        form, client = await request.form(), client_of(request)
        if self.tries.exhausted(client):
            return self.message("Too many tries", [TOO_MANY], 429)
        try:
            _, cookie = exchange(self.store, str(form.get("token", "")))
        except (LinkRefused, NotPermitted) as exc:
            self.tries.failed(client)
            return self.message("This link cannot sign you in", [str(exc)], 410)
        response = _go("/session")
        response.headers["clear-site-data"] = '"cache"'  # pages another patient's sign-in kept on a shared device
        secure = self.site.secure or request.url.scheme == "https"  # behind a TLS proxy too (rehabkit._web.proxy)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_HOURS * 3600, path="/", secure=secure,
                            httponly=True, samesite="strict")  # fmt: skip
        return response

    async def sign_out(self, request: Request) -> Response:
        end_session(self.store, request.cookies.get(COOKIE))  # the cookie no longer signs in, kept or copied
        response = _go("/")
        secure = self.site.secure or request.url.scheme == "https"  # as sign-in set it
        response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="strict")
        response.headers["clear-site-data"] = '"cache", "storage"'  # the pages kept for offline use, on this device
        return response

    async def style(self, request: Request) -> Response:
        return FileResponse(TEMPLATES / "style.css", media_type="text/css", headers=SECURITY_HEADERS)

    async def timer(self, request: Request) -> Response:
        return FileResponse(TEMPLATES / "timer.js", media_type="text/javascript", headers=SECURITY_HEADERS)

    async def offline_script(self, request: Request) -> Response:
        return FileResponse(TEMPLATES / "offline.js", media_type="text/javascript", headers=SECURITY_HEADERS)

    async def service_worker(self, request: Request) -> Response:
        """The service worker (scope /): it keeps today's session pages on the device for use offline."""
        return FileResponse(TEMPLATES / "sw.js", media_type="text/javascript", headers=SECURITY_HEADERS)

    def patient_route(
        self, handler: Callable[[Request, Visit, Actor], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """A route of a signed-in patient: their visit and actor; none signed in, the sign-in page (401)."""

        async def route(request: Request) -> Response:
            patient = session_patient(self.store, request.cookies.get(COOKIE))
            if patient is None:
                return _signed_out(self.message, 401)
            try:
                actor = patient_actor(self.store, patient)
            except NotPermitted:
                return self.message("You are signed out", ["Ask your clinic for a new sign-in link."], 403)
            self.store.clinician, self.store.account = actor.id, actor.account
            tag = session_tag(request.cookies.get(COOKIE, ""))
            if request.method == "POST" and str((await request.form()).get("tag") or tag) != tag:
                return _not_recorded(self.message)  # given offline under another sign-in on this device
            visit = self.visits.get(patient)
            ended = visit.step == "end"
            reset = _TAG.set(tag)
            try:
                response = await handler(request, visit, actor)
            finally:
                _TAG.reset(reset)
            if visit.step == "end" and not ended:
                self.changes.changed()  # the session ended: the clinicians' overviews change
            return response

        return route

    async def session_page(self, request: Request, visit: Visit, actor: Actor) -> Response:
        return _step_page(self.page, self.message, visit, self.site.words)

    async def start(self, request: Request, visit: Visit, actor: Actor) -> Response:
        if visit.step in ("start", "end"):
            protocols = self.store.protocols_of(visit.patient)
            if not protocols:
                return self.message("No programme yet", ["Your clinic has not started an exercise programme for you."])
            ctx = self.site.context(protocols[-1])
            visit.start(self.store, ctx, actor, self.site.today(), self.site.words)
        return _go("/session")

    async def answer(self, request: Request, visit: Visit, actor: Actor) -> Response:
        form = await request.form()
        step, value, key = str(form.get("step", "")), str(form.get("answer", "")), str(form.get("key", ""))
        if visit.repeated(key):
            return _go("/session")  # sent before (a queue of answers given offline, sent again): the first result
        recorded = step == visit.step and self._record(visit, step, value, form)
        if recorded:
            visit.taken(key)  # only now: a first attempt that failed leaves its retry free to record it
        elif key:
            return _not_recorded(self.message)  # a queued answer for another step (an old page): the device says so
        return _go("/session")

    def _record(self, visit: Visit, step: str, value: str, form: Any) -> bool:
        """Record the answer ``value`` to ``step`` (the visit's step); False when it was no answer to record."""
        if step.startswith("question:") and value in ("yes", "no", "not-sure"):
            visit.answer(value)
        elif step == "new-symptom" and value in ("yes", "no"):
            visit.new_symptom(value == "yes")
        elif step in ("pain-before", "pain-after") or step.startswith("exercise:"):
            hurts = (_sets_done(form.get("done"), visit) or 0) if form.get("hurts") == "1" else None
            pain = _pain(value)
            self._pain(visit, step, pain, hurts)
            return pain is not None
        else:
            return False
        return True

    def _pain(self, visit: Visit, step: str, pain: float | None, hurts: int | None) -> None:
        if pain is None:
            visit.notes.append("Choose a number from 0 (no pain) to 10 (the worst pain imaginable).")
        elif step == "pain-before":
            visit.pain_before(pain, self.site.words)
        elif step == "pain-after":
            visit.pain_after(pain)
        else:
            visit.pain_during(pain, hurts=hurts)

    async def ahead_page(self, request: Request, visit: Visit, actor: Actor) -> Response:
        """A page of today's plan ahead of the patient's step, for the device to keep for offline use; the session's
        page once the patient stands there or beyond."""
        wanted, position = request.path_params["n"], ahead.position(visit)
        if position is None or not position < wanted <= ahead.last(visit):
            return _go("/session")
        page = functools.partial(self.page, offline=True)
        return _planned_page(page, visit.run, wanted, [], [])

    async def hurts(self, request: Request, visit: Visit, actor: Actor) -> Response:
        if not visit.step.startswith("exercise:"):
            return _go("/session")
        assert visit.run is not None and visit.run.plan is not None
        item = visit.run.plan.items[visit.exercise]
        done = _sets_done((await request.form()).get("done"), visit)
        return self.page("pain.html", step=visit.step, hurts=True, notes=[], sets=visit.sets(), done=done or 0,
                         offline=True, prompt=f"Pain now, during {item.exercise.name} (0-10)")  # fmt: skip

    def staff_pages(self) -> StaffPages:
        """The clinician's pages, on this application's store, pages and changes."""
        return StaffPages(lambda: self.store, self.page, self.message, self.site.secure, self.site, self.changes)

    def routes(self) -> list[Route]:
        patient = self.patient_route
        mine = PatientPages(lambda: self.store, functools.partial(self.page, offline=True), self.site, self.changes)
        return [
            Route("/", self.home),
            Route("/sign-in/{token}", self.sign_in_page),
            Route("/sign-in", self.sign_in, methods=["POST"]),
            Route("/sign-out", self.sign_out, methods=["POST"]),
            Route("/style.css", self.style),
            Route("/timer.js", self.timer),
            Route("/favicon.ico", _no_icon),
            Route("/session", patient(self.session_page)),
            Route("/session/start", patient(self.start), methods=["POST"]),
            Route("/session/answer", patient(self.answer), methods=["POST"]),
            Route("/session/hurts", patient(self.hurts), methods=["POST"]),
            Route("/session/ahead/{n:int}", patient(self.ahead_page)),
            Route("/sw.js", self.service_worker),
            Route("/offline.js", self.offline_script),
            Route("/morning", patient(mine.morning_page)),
            Route("/morning", patient(mine.morning), methods=["POST"]),
            Route("/progress", patient(mine.progress)),
            *StaffPages(
                lambda: self.store, self.page, self.message, self.site.secure, self.site, self.changes
            ).routes(),
        ]


#: What the new-symptom question says when answered offline (it is not kept on the device to send later).
NEEDS_CONNECTION = (
    "You are offline: this question needs the connection, so that what you answer is acted on at once. "
    "Connect to the internet and answer it again."
)
#: What "This hurts" says offline: pain is never kept on the device to send later.
HURTS_OFFLINE = (
    "Stop this exercise now. You are offline: connect to the internet to tell us about your pain; "
    "it cannot be sent later from this device."
)

#: The page's session tag (see :func:`session_tag`) while a patient's route renders it.
_TAG: contextvars.ContextVar[str] = contextvars.ContextVar("rehabkit_session_tag")


def session_tag(cookie: str) -> str:
    """An opaque tag of the web session ``cookie`` (a one-way hash: neither the cookie nor the patient's id): the
    pages carry it, offline.js keeps it with each answer queued, and an answer posted under another session's tag is
    refused (409), so that on a shared device one patient's queued answers are never recorded for the next."""
    return hashlib.sha256(b"rehabkit-offline-tag\0" + cookie.encode()).hexdigest()[:32]


#: What the patient reads when an answer they gave offline could not be recorded.
NOT_RECORDED_WORDS = (
    "An answer you gave offline was not recorded: your session had moved on, the page was old, or another person "
    "signed in on this device since. "
    "Open your session again and answer there."
)


def create_app(site: Site) -> Starlette:
    """The application serving ``site``."""
    pages = _Pages(site)
    return Starlette(
        routes=pages.routes(),
        lifespan=pages.lifespan,
        middleware=[_same_site_posts_only()],
        exception_handlers={ProgrammeUnavailable: pages.unavailable},
    )


async def _no_icon(request: Request) -> Response:
    """No icon: an empty answer, so that browsers asking for one log no error."""
    return Response(status_code=204, headers=SECURITY_HEADERS)


def _go(path: str) -> Response:
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)


def _not_recorded(message: Callable[..., Response]) -> Response:
    """409: an answer sent with its key (given offline) that was not recorded; the device drops it and says so."""
    return message("Not recorded", [NOT_RECORDED_WORDS], 409)


def _signed_out(message: Callable[..., HTMLResponse], status: int = 200) -> HTMLResponse:
    return message(
        "Sign in",
        ["To do today's exercises, open the sign-in link your clinic sent you.", "No link? Ask your clinic for one."],
        status,
    )


def _pain(value: str) -> float | None:
    try:
        pain = float(value)
    except ValueError:
        return None
    return pain if 0 <= pain <= 10 else None


def _step_page(
    page: Callable[..., HTMLResponse], message: Callable[..., HTMLResponse], visit: Visit, words: Words
) -> HTMLResponse:
    """The page of the step the patient stands at."""
    step, run = visit.step, visit.run
    notes = visit.take_notes()
    page = functools.partial(page, offline=True)
    if visit.refusal is not None:  # with a button to try again: a clinician may open the gate meanwhile
        return page("refused.html", title=visit.refusal.title, lines=[*notes, *visit.refusal.lines])
    if visit.outcome is not None:
        return page("outcome.html", outcome=visit.outcome, notes=notes, words=words)
    if run is None or step == "end":  # none yet, or one that ended without a decision: start (again)
        return page("start.html", notes=notes)
    if step.startswith("question:"):
        question = run.ctx.questions[visit.question]
        return page("question.html", step=step, question=question.question, notes=notes,
                    number=visit.question + 1, total=len(run.ctx.questions))  # fmt: skip
    if step == "pain-before":
        return page("pain.html", step=step, prompt="Pain now, before exercise (0-10)", notes=notes)
    position = ahead.position(visit)
    assert position is not None
    return _planned_page(page, run, position, notes, ahead.pages_after(visit))


def _planned_page(
    page: Callable[..., HTMLResponse], run: Any, position: int, notes: list[str], pages_ahead: list[str]
) -> HTMLResponse:
    """The page of the step at ``position`` of today's plan (its exercises, then pain after, then the new-symptom
    question); its forms name the page that follows, for answers given offline."""
    items = run.plan.items
    values: dict[str, Any] = {"notes": notes, "ahead": pages_ahead, "next": ahead.next_page(position, len(items))}
    if position < len(items):
        item = items[position]
        return page("exercise.html", step=f"exercise:{item.exercise.id}", item=item, number=position + 1,
                    total=len(items), timer=_timer(item, run.ctx.relax_seconds), figure=Figure.of(item.exercise),
                    hurts_offline=HURTS_OFFLINE,
                    **values)  # fmt: skip
    if position == len(items):
        return page("pain.html", step="pain-after", prompt="Pain now, after the session (0-10)", **values)
    values["next"] = None  # a safety question needs the connection: a "yes" is acted on (the pause words) at once
    return page("question.html", step="new-symptom", question=run.ctx.new_symptom_question, yes_no=True,
                offline_words=NEEDS_CONNECTION, **values)  # fmt: skip


def _sets_done(value: Any, visit: Visit) -> int | None:
    """The sets finished before "this hurts", as a form gives it (0 to the exercise's sets), else None."""
    text = str(value or "").strip()
    if not text.isdecimal() or len(text) > 3:
        return None
    return int(text) if int(text) <= visit.sets() else None


#: Seconds of the get-ready countdown before each set's first hold (the page's pacing, not a dose).
GET_READY_SECONDS = 5


def _timer(item: Any, relax_default: int) -> dict[str, int | str] | None:
    """What the hold timer counts, as the terminal guides it (the dose's lower bounds; the rest's upper bound), and
    how the sides are done; None without holds."""
    dose = item.dose
    if dose is None or dose.hold_seconds is None:
        return None

    def low(value: Any, default: int) -> int:
        return int(value.min) if value is not None else default

    each = dose.side == "each"
    return {
        "sets": low(dose.sets, 1),
        "reps": low(dose.reps, 1),
        "hold": low(dose.hold_seconds, 0),
        "relax": low(dose.relax_seconds, relax_default),
        "rest": int(dose.rest_seconds.max) if dose.rest_seconds is not None else 0,
        "ready": GET_READY_SECONDS,
        "sides": ("alternating" if item.exercise.sides == "alternating" else "each") if each else "",
    }


def _same_site_posts_only() -> Any:
    """Middleware refusing a POST that does not come from this site's own pages (CSRF)."""
    from starlette.middleware import Middleware

    return Middleware(_SameSite)


class _SameSite:
    """Refuses (403) a POST whose ``Origin`` is not this site's, or, without ``Origin``, whose ``Sec-Fetch-Site`` is
    not ``same-origin``; a POST with neither header is refused too (every browser sends one)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not _same_site(Request(scope)):
            response = HTMLResponse(
                "<!doctype html><html lang=en><title>Refused</title><p>This form did not come from this site's own "
                "pages, so nothing was recorded. Open the page again and send it from there.</p></html>",
                status_code=403,
                headers=SECURITY_HEADERS,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _same_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        return origin == f"{request.url.scheme}://{request.url.netloc}"
    return request.headers.get("sec-fetch-site") == "same-origin"
