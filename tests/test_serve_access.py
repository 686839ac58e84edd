"""Every patient page of 'rehabkit serve' is accessible: axe-core on the pages a calm session's walk does not reach
(refused links, a rest day, a stopped course, the check-in, the chart, "this hurts"), a whole session done with the
keyboard alone, and large print.

The pages that need a fixed day or clock (a rest day, an expired link) are shown in Chromium through Starlette's test
client: Chromium asks for http://testserver/..., and each request is answered by the application 'rehabkit serve'
builds (its store, packs and words), the test client keeping the patient's cookie. The keyboard walk and large print
run against 'rehabkit serve' in its own process. Reduced motion: see
tests/test_serve_enhanced.py::test_the_exercise_page_shows_its_animated_figure_and_a_stretch_is_timed_side_by_side.
"""

from __future__ import annotations

import datetime

import pytest
from test_pages import CHROMIUM, _serious_violations
from test_serve import CALM, DAY, ORIGIN, app_for, invite, patient_on_course, sign_in_with, walk
from test_serve_browser import _press, browser, server  # noqa: F401
from test_serve_patient import MORNING

pytest.importorskip("starlette", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it)")

from starlette.testclient import TestClient  # noqa: E402 (after the check that the serve extra is there)

BASE = "http://testserver"
#: The elements of a page that reach past the window's right edge (to say what needs sideways scrolling).
TOO_WIDE = (
    "() => Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > "
    "document.documentElement.clientWidth).map(e => e.tagName + ': ' + (e.innerText || '').slice(0, 30))"
)


def _through(client: TestClient, page) -> None:
    """Answer the page's every request to this site with ``client`` (the application under test), redirects followed
    there (Chromium does not bring a fulfilled redirect's next request back to the route)."""

    def answer(route) -> None:
        request = route.request
        headers = {k: v for k, v in request.headers.items() if k in ("content-type", "origin", "sec-fetch-site")}
        response = client.request(request.method, request.url.removeprefix(BASE), content=request.post_data_buffer,
                                  headers=headers, follow_redirects=True)  # fmt: skip
        kept = {k: v for k, v in response.headers.items() if k not in ("content-length", "set-cookie")}
        route.fulfill(status=response.status_code, headers=kept, body=response.content)

    page.route(lambda url: url.startswith(BASE + "/"), answer)


def _checked(found: dict[str, list[str]], page, what: str) -> None:
    violations = _serious_violations(page)
    assert page.locator("html").get_attribute("lang") == "en"
    if violations:
        found[what] = violations


def test_axe_finds_no_serious_violation_on_refusal_check_in_chart_and_hurts_pages(
    cli,
    tmp_path,
    browser,  # noqa: F811
    monkeypatch,
) -> None:
    db = str(tmp_path / "store.sqlite3")
    for patient in ("P-1", "P-2"):
        patient_on_course(cli, db, patient)
    found: dict[str, list[str]] = {}
    # axe's own script needs the policy bypassed; page.route sees no request a service worker handles: none here
    context = browser.new_context(bypass_csp=True, service_workers="block", viewport={"width": 400, "height": 800})
    page = context.new_page()
    used, unknown = invite(cli, db, "P-2"), "x" * 43
    with TestClient(app_for(db, DAY), follow_redirects=True) as client:
        _through(client, page)
        sign_in_with(client, used)
        for what, path in (
            ("signed out", "/"),
            ("used link", f"/sign-in/{used}"),
            ("unknown link", f"/sign-in/{unknown}"),
        ):
            client.cookies.clear()
            page.goto(BASE + path)
            _checked(found, page, what)
        sign_in_with(client, invite(cli, db, "P-1"))
        page.goto(BASE + "/morning")
        _checked(found, page, "no check-in this morning")
        page.goto(BASE + "/progress")
        _checked(found, page, "empty chart")
        client.post("/session/start", headers=ORIGIN)
        page.goto(BASE + "/session")
        while page.get_by_text("Safety question").count():
            _press(page, "No")
        _press(page, "2 out of 10")
        _press(page, "This hurts")
        _checked(found, page, "this hurts")
        _press(page, "1 out of 10")
        walk_rest(client)
        page.goto(BASE + "/session")
        _checked(found, page, "decision")
        for _ in range(6):  # more sessions today until today's exercises are all done: a rest day
            page.goto(BASE + "/session")
            if "A rest day" in page.content():
                break
            walk(client, CALM)
        assert "A rest day" in page.content()
        _checked(found, page, "rest day")
        page.goto(BASE + "/progress")
        _checked(found, page, "chart")
    with TestClient(app_for(db, MORNING), follow_redirects=True) as client:
        _through(client, page)
        sign_in_with(client, invite(cli, db, "P-1"))
        page.goto(BASE + "/morning")
        _checked(found, page, "morning check-in")
        _press(page, "3 out of 10")
        _checked(found, page, "check-in recorded")
        walk(client, {**CALM, "screening": {"all": True}})  # a red flag: stopped, the course paused
        page.goto(BASE + "/session")
        _checked(found, page, "stopped by a red flag")
        client.post("/session/start", headers=ORIGIN)
        page.goto(BASE + "/session")
        assert page.get_by_role("button", name="Try again").count()
        _checked(found, page, "stopped course")
    expired = invite(cli, db, "P-2", "--expires", "1h")
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    monkeypatch.setattr("rehabkit._sessions.sign_in._now", lambda: later)
    with TestClient(app_for(db, DAY), follow_redirects=True) as client:
        _through(client, page)
        page.goto(BASE + f"/sign-in/{expired}")
        assert "Ask your clinic for a new sign-in link." in page.content()
        _checked(found, page, "expired link")
    context.close()
    assert found == {}


def walk_rest(client: TestClient) -> None:
    """Answer the rest of the session the patient stands in, calmly."""
    from test_serve import answer_through

    answer_through(client, client.get("/session").text, CALM)


def _focus(page, name: str) -> None:
    """Press Tab until the control named ``name`` has the focus; it must show that it has (a visible outline)."""
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return [e.getAttribute('aria-label') || e.innerText.trim(), "
            "getComputedStyle(e).outlineStyle]; }"
        )
        if focused[0] == name:
            assert focused[1] != "none", f"{name} has the focus but shows no outline"
            return
    raise AssertionError(f"Tab never reached {name!r}")


def _key(page, name: str) -> None:
    """Reach ``name`` with Tab and press Enter on it; wait for the page it leads to."""
    _focus(page, name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_whole_session_is_done_with_the_keyboard_alone(server, browser) -> None:  # noqa: F811
    """From the sign-in link to the decision with Tab and Enter only (JavaScript on: the timer started and paused
    from the keyboard too); every control reached shows a focus outline."""
    _, link = server
    page = browser.new_context(viewport={"width": 400, "height": 800}).new_page()
    page.clock.install()
    page.goto(link)
    _key(page, "Sign in")
    _key(page, "Start today's session")
    while page.get_by_text("Safety question").count():
        _key(page, "No")
    _key(page, "2 out of 10")
    timed = False
    while page.get_by_role("button", name="This hurts").count():
        if page.locator("#timer").count() and not timed:
            _focus(page, "Start the timer")
            page.keyboard.press("Enter")
            _focus(page, "Pause")
            page.keyboard.press("Enter")
            assert "(paused)" in page.locator("#timer-text").inner_text()
            timed = True
        _key(page, "1 out of 10")
    _key(page, "2 out of 10")
    _key(page, "No")
    assert page.locator("h1").inner_text().startswith("Decision:") and timed
    page.context.close()


def test_large_print_needs_no_sideways_scrolling(server, browser) -> None:  # noqa: F811
    """At 200% zoom (a 640-pixel window is 320 CSS pixels wide) with text twice the size too (a larger default font
    in the browser's settings), every patient page fits the width: nothing to scroll sideways, no control cut off."""
    _, link = server
    page = browser.new_context(viewport={"width": 320, "height": 640}).new_page()
    page.add_init_script("document.addEventListener('DOMContentLoaded', () => "
                         "{ document.documentElement.style.fontSize = '200%'; })")  # fmt: skip
    wide: dict[str, int] = {}

    def check() -> None:
        width = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if width > 0:
            wide[page.title()] = page.evaluate(TOO_WIDE)

    page.goto(link)
    for name in ("Sign in", "Start today's session"):
        check()
        _press(page, name)
    while page.get_by_text("Safety question").count():
        check()
        _press(page, "No")
    check()
    _press(page, "2 out of 10")
    while page.get_by_role("button", name="This hurts").count():
        check()
        _press(page, "1 out of 10")
    for name in ("2 out of 10", "No"):
        check()
        _press(page, name)
    check()
    for path in ("/morning", "/progress"):
        page.goto(link.split("/sign-in/")[0] + path)
        check()
    page.context.close()
    assert wide == {}
