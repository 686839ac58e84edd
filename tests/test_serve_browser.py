"""A patient's whole session in a real Chromium against a real server: ``rehabkit serve`` in a process of its own.

From the sign-in link (as 'rehabkit invite' prints it) through the red-flag questions, pain before, each exercise,
pain after and the new-symptom question to the decision, pressing the page's buttons as a patient would; JavaScript is
off, as the pages need none. The server is waited for until it answers, never for a fixed time.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from test_pages import CHROMIUM, FLAGS

from conftest import REPO, SCREEN_WAIT, TEST_CLINICIAN, clean_env, sign_in

pytest.importorskip("uvicorn", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_it_answers(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + SCREEN_WAIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"rehabkit serve ended with {server.returncode}: {server.communicate()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise AssertionError("rehabkit serve did not answer")


class Served:
    """A 'rehabkit serve' process started by :func:`serving`: its standard error once it has stopped."""

    err: str = ""


@contextlib.contextmanager
def serving(db: str, port: int) -> Iterator[Served]:
    """'rehabkit serve --db DB --port PORT' in its own process, answering; stopped at the end, which fails if the
    server wrote a traceback (its standard error is then in the yielded object's ``err``)."""
    command = [sys.executable, "-m", "rehabkit", "serve", "--db", db, "--port", str(port)]
    process = subprocess.Popen(command, env=clean_env(PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    served = Served()
    try:
        _wait_until_it_answers(process, f"http://127.0.0.1:{port}/")
        yield served
    finally:
        process.terminate()
        served.err = process.communicate(timeout=60)[1]
    assert "Traceback" not in served.err, served.err


@pytest.fixture
def server(cli, tmp_path) -> Iterator[tuple[str, str]]:
    """A store with P-1 on the neck-pain course, 'rehabkit serve' on a free port; (base URL, P-1's sign-in link)."""
    db = str(tmp_path / "store.sqlite3")
    today = datetime.date.today().isoformat()
    sign_in(db, TEST_CLINICIAN)
    assert (
        cli("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--date", today, "--db", db).exit_code == 0
    )
    assert cli("staff", "add", "P-1", "--role", "patient", "--db", db).exit_code == 0
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    invited = cli("invite", "P-1", "--url", base, "--db", db)
    link = re.search(r"http://\S+", invited.output).group(0)
    with serving(db, port) as served:
        yield base, link
    assert link.rsplit("/", 1)[1] not in served.err  # the token is never logged


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def _press(page, name: str) -> None:
    """Press the button ``name`` and wait for the page it leads to: a busy machine can take seconds to answer, and
    the next look at the page must be at the new one, not the one the button was on."""
    with page.expect_navigation(timeout=SCREEN_WAIT * 1000):
        page.get_by_role("button", name=name, exact=True).click()


def _walk(page, link: str, check=lambda page: None) -> tuple[int, int]:
    """Sign in with ``link`` and do today's session by pressing the page's buttons: no to every question, pain 2
    before and after, 1 during each exercise, no new symptom; ``check`` looks at every page. (questions, exercises)"""
    page.goto(link)
    check(page)
    _press(page, "Sign in")
    check(page)
    _press(page, "Start today's session")
    questions = 0
    while page.get_by_text("Safety question").count():
        check(page)
        questions += 1
        _press(page, "No")
    assert "Pain now, before exercise" in page.content()
    check(page)
    _press(page, "2 out of 10")
    exercises = 0
    while page.get_by_role("button", name="This hurts").count():
        check(page)
        exercises += 1
        assert page.locator("h1").inner_text() and page.locator(".dose").inner_text()
        _press(page, "1 out of 10")
    check(page)
    _press(page, "2 out of 10")  # pain after
    check(page)
    _press(page, "No")  # no new symptom
    check(page)
    return questions, exercises


def test_a_patient_does_todays_session_in_chromium_from_the_sign_in_link(server, browser) -> None:
    base, link = server
    context = browser.new_context(java_script_enabled=False, viewport={"width": 400, "height": 800})
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    questions, exercises = _walk(page, link)
    assert questions >= 3 and exercises >= 1
    assert page.locator("h1").inner_text().startswith("Decision:")
    assert "Next session: phase" in page.content()
    assert page.locator("html").get_attribute("lang") == "en"
    token = link.rsplit("/", 1)[1]
    assert all(url.startswith(base) for url in seen)  # nothing from any other site
    assert [url for url in seen if token in url] == [link]  # the token in one URL only: the link itself
    context.close()


def test_every_page_of_the_session_has_no_serious_accessibility_violation(server, browser) -> None:
    """axe-core on every page of the walk (JavaScript on, the timer shown where an exercise has holds; the policy
    that allows this site's scripts only is bypassed for axe's own)."""
    from test_pages import _serious_violations

    _, link = server
    context = browser.new_context(bypass_csp=True, viewport={"width": 400, "height": 800})
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(page) -> None:
        sources = page.evaluate("Array.from(document.scripts, s => s.src)")
        assert all(src.endswith(("/timer.js", "/offline.js")) for src in sources)  # this site's files: none inline
        violations = _serious_violations(page)
        if violations:
            found[page.locator("title").inner_text()] = violations

    _walk(page, link, check)
    context.close()
    assert found == {}


def test_the_hold_timer_counts_down_with_javascript_and_is_absent_without(server, browser) -> None:
    """With JavaScript, an exercise with holds gets a countdown of each hold (driven here by Playwright's clock, never
    by waiting); without it, the same page shows the dose in words and no timer."""
    _, link = server
    context = browser.new_context(viewport={"width": 400, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.clock.install()
    page.goto(link)
    _press(page, "Sign in")
    _press(page, "Start today's session")
    while page.get_by_text("Safety question").count():
        _press(page, "No")
    _press(page, "2 out of 10")
    timed = None
    while page.get_by_role("button", name="This hurts").count():
        if page.locator("#timer").count():
            timed = page
            break
        _press(page, "1 out of 10")
    assert timed is not None, "no exercise of the neck-pain plan has holds"
    hold = int(page.locator("#timer").get_attribute("data-hold"))
    page.get_by_role("button", name="Start the timer").click()
    ready = int(page.locator("#timer").get_attribute("data-ready"))
    assert page.locator("#timer-text").inner_text().startswith("Get ready: Set 1 of")
    page.clock.run_for(ready * 1000)
    first = page.locator("#timer-text").inner_text()
    assert "hold 1 of" in first and f"{hold} s" in first
    page.clock.run_for(1000)
    assert f"{hold - 1} s" in page.locator("#timer-text").inner_text()
    page.get_by_role("button", name="Pause").click()
    page.clock.run_for(5000)
    assert f"{hold - 1} s" in page.locator("#timer-text").inner_text()  # paused: it waits
    assert errors == []
    if os.environ.get("UPDATE_SCREENSHOTS"):  # the README's picture of the exercise page (UPDATE_SCREENSHOTS=docs)
        page.screenshot(path=str(REPO / os.environ["UPDATE_SCREENSHOTS"] / "serve-exercise.png"), full_page=True)
    signed_in = context.storage_state()  # the same patient's cookie, in a browser without JavaScript
    context.close()
    plain = browser.new_context(java_script_enabled=False, storage_state=signed_in).new_page()
    plain.goto(page.url)
    assert plain.locator("#timer").is_hidden() and plain.locator(".dose").inner_text()
    plain.context.close()


def test_a_clinician_signs_in_approves_a_gate_and_the_patient_then_starts_in_chromium(cli, tmp_path, browser) -> None:
    """A physiotherapist signs in at /staff, opens the patient from the overview, approves the gate their clinician's
    approval was withdrawn from, and the patient, who was refused, then starts today's session; the approval is
    recorded as that physiotherapist."""
    from rehabkit._sessions.backends import open_store

    db = str(tmp_path / "store.sqlite3")
    today = datetime.date.today().isoformat()
    sign_in(db, TEST_CLINICIAN, ("admin", "clinician"))
    for args in (
        ("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--date", today),
        ("approve", "P-1", "--phase", "acute", "--withdraw", "--date", today),
        ("staff", "add", "P-1", "--role", "patient"),
        ("staff", "add", "PT-9", "--role", "physiotherapist", "--os-user", "nobody-pt9"),
    ):
        assert cli(*args, "--db", db).exit_code == 0, args
    password = "correct horse battery staple"
    set_password = cli("staff", "password", "PT-9", "--password-stdin", "--db", db, input=password + "\n")
    assert set_password.exit_code == 0, set_password.output
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    link = re.search(r"http://\S+", cli("invite", "P-1", "--url", base, "--db", db).output).group(0)
    with serving(db, port):
        patient = browser.new_context(java_script_enabled=False).new_page()
        patient.goto(link)
        patient.get_by_role("button", name="Sign in").click()
        patient.get_by_role("button", name="Start today's session").click()
        patient.get_by_role("button", name="Try again").wait_for()  # refused: the gate is shut
        assert "Safety question" not in patient.content() and "approval" in patient.content()
        clinician = browser.new_context(java_script_enabled=False).new_page()
        clinician.goto(base + "/staff")
        clinician.get_by_label("Staff id").fill("PT-9")
        clinician.get_by_label("Password").fill(password)
        clinician.get_by_role("button", name="Sign in").click()
        clinician.get_by_role("heading", name="Clinic overview").wait_for()
        clinician.get_by_role("link", name="P-1").click()
        assert "P-" not in clinician.url
        clinician.get_by_label("Phase", exact=True).select_option("acute")
        clinician.get_by_label("Kind").select_option("clinician-approval")
        clinician.get_by_role("button", name="Approve").click()
        clinician.get_by_text("Recorded the").wait_for()
        assert "by PT-9" in clinician.content()
        patient.goto(base + "/session")  # still the refusal, with a button to try again
        patient.get_by_role("button", name="Try again").click()
        patient.get_by_text("Safety question").first.wait_for()
    with open_store(db, create=False) as store:
        approvals = [e for e in store.events("P-1") if e.kind == "approval"]
    assert [e.by for e in approvals][-1] == "PT-9" and len(approvals) == 3


def test_the_overview_changes_without_a_reload_when_a_patient_is_stopped_in_chromium(cli, tmp_path, browser) -> None:
    """A clinician's overview open in Chromium (JavaScript on) lists a patient as paused, without a reload, once the
    patient answers yes to a red-flag question in their own browser (server-sent events)."""
    db = str(tmp_path / "store.sqlite3")
    today = datetime.date.today().isoformat()
    sign_in(db, TEST_CLINICIAN, ("admin", "clinician"))
    for args in (
        ("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--date", today),
        ("staff", "add", "P-1", "--role", "patient"),
        ("staff", "add", "PT-9", "--role", "physiotherapist", "--os-user", "nobody-pt9"),
    ):
        assert cli(*args, "--db", db).exit_code == 0, args
    password = "correct horse battery staple"
    assert cli("staff", "password", "PT-9", "--password-stdin", "--db", db, input=password + "\n").exit_code == 0
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    link = re.search(r"http://\S+", cli("invite", "P-1", "--url", base, "--db", db).output).group(0)
    with serving(db, port):
        clinician = browser.new_context().new_page()
        clinician.goto(base + "/staff")
        clinician.get_by_label("Staff id").fill("PT-9")
        clinician.get_by_label("Password").fill(password)
        clinician.get_by_role("button", name="Sign in").click()
        clinician.get_by_role("heading", name="Clinic overview").wait_for()
        assert clinician.get_by_role("link", name="P-1").count() == 0
        clinician.evaluate("window.notReloaded = true")
        patient = browser.new_context(java_script_enabled=False).new_page()
        patient.goto(link)
        patient.get_by_role("button", name="Sign in").click()
        patient.get_by_role("button", name="Start today's session").click()
        patient.get_by_role("button", name="Yes", exact=True).click()
        clinician.get_by_role("link", name="P-1").wait_for()
        assert clinician.evaluate("window.notReloaded") is True
        assert "paused" in clinician.locator("#overview").inner_text()
        clinician.context.close()  # its event stream ends with it
