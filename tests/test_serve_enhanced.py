"""The session's enhancements in a real Chromium against 'rehabkit serve' in its own process: the get-ready countdown,
rests and "Skip rest", pause, sides, the sound and spoken counts (off until ticked, remembered on the device), the
screen kept awake while the timer runs, and "this hurts" from inside the timer with the sets done so far.

Time is Playwright's clock, never a wait: each assertion looks at what the screen shows after the clock has run. The
browser's Web Audio, Web Speech and Wake Lock are observed by wrapping them before the page's script runs (an init
script), so that a test can tell what the page asked for; the page itself is the one patients get.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Iterator
from unittest.mock import ANY

import pytest
from test_pages import CHROMIUM
from test_serve_browser import _free_port, _press, browser, serving  # noqa: F401

from conftest import SCREEN_WAIT, TEST_CLINICIAN, sign_in

pytest.importorskip("uvicorn", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it)")

PROTOCOL = "low-back-pain-chronic"  # its first phase: glute-bridge (2 sets, holds, a rest), a stretch on each side
#: Wraps what the page may ask of the browser, to count it: tones started, words spoken, screen locks.
OBSERVE = """
window.seen = { tones: 0, spoken: [], locks: 0, released: 0 };
const Real = window.AudioContext;
window.AudioContext = class extends Real {
  createOscillator() { const o = super.createOscillator(); const start = o.start.bind(o);
    o.start = (...a) => { window.seen.tones += 1; return start(...a); }; return o; }
};
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (u) => { window.seen.spoken.push(u.text); };
}
Object.defineProperty(navigator, "wakeLock", { configurable: true, value: { request: async () => {
  window.seen.locks += 1; const lock = new EventTarget();
  lock.release = async () => { window.seen.released += 1; lock.dispatchEvent(new Event("release")); };
  return lock; } } });
"""


@pytest.fixture
def server(cli, tmp_path) -> Iterator[tuple[str, str, str]]:
    """A store with P-1 on low-back-pain-chronic, 'rehabkit serve' on a free port; (base URL, sign-in link, store)."""
    db = str(tmp_path / "store.sqlite3")
    today = datetime.date.today().isoformat()
    sign_in(db, TEST_CLINICIAN)
    approved = cli("approve", "P-1", "--protocol", PROTOCOL, "--phase", "acute", "--date", today, "--db", db)
    assert approved.exit_code == 0, approved.output
    assert cli("staff", "add", "P-1", "--role", "patient", "--db", db).exit_code == 0
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    link = re.search(r"http://\S+", cli("invite", "P-1", "--url", base, "--db", db).output).group(0)
    with serving(db, port):
        yield base, link, db


def _to_first_exercise(page, link: str) -> None:
    """Sign in with ``link``, answer no to every safety question and 2 for pain before: the first exercise shows."""
    page.goto(link)
    _press(page, "Sign in")
    _press(page, "Start today's session")
    while page.get_by_text("Safety question").count():
        _press(page, "No")
    _press(page, "2 out of 10")


def _to_exercise(page, link: str, name: str) -> None:
    """Sign in, answer no to every question and 2 for pain, then pass each exercise (1/10) until ``name``."""
    _to_first_exercise(page, link)
    for _ in range(10):
        if page.locator("h1").inner_text() == name:
            return
        _press(page, "1 out of 10")
    raise AssertionError(f"{name} is not in today's plan")


def _text(page) -> str:
    return page.locator("#timer-text").inner_text()


def _timer(page) -> dict[str, int]:
    box = page.locator("#timer")
    return {key: int(box.get_attribute(f"data-{key}")) for key in ("sets", "reps", "hold", "relax", "rest", "ready")}


def test_the_timer_gets_ready_rests_skips_pauses_and_keeps_the_screen_awake(server, browser) -> None:  # noqa: F811
    _, link, _ = server
    context = browser.new_context(viewport={"width": 400, "height": 800})
    context.add_init_script(OBSERVE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.clock.install()
    _to_exercise(page, link, "Bridge")
    t = _timer(page)
    assert t["sets"] == 2 and t["rest"] > 0 and t["reps"] > 1
    sound, speech = page.get_by_label("A sound at the end of each hold"), page.get_by_label("Say the counts aloud")
    assert not sound.is_checked() and not speech.is_checked()  # both off until the patient ticks them
    page.get_by_role("button", name="Start the timer").click()
    assert _text(page) == f"Get ready: Set 1 of 2, in {t['ready']} s"
    page.clock.run_for(t["ready"] * 1000)
    assert _text(page) == f"Set 1 of 2, hold 1 of {t['reps']}: hold {t['hold']} s"
    assert page.evaluate("window.seen.locks") == 1  # the screen kept awake while the timer runs
    page.clock.run_for(t["hold"] * 1000)
    assert _text(page) == f"Relax {t['relax']} s" and page.evaluate("window.seen.tones") == 0  # no sound: off
    sound.check()
    speech.check()
    page.clock.run_for((t["relax"] + t["hold"]) * 1000)
    assert page.evaluate("window.seen.tones") == 1  # the end of the second hold, with the sound ticked
    assert "Hold" in page.evaluate("window.seen.spoken")
    left = (t["reps"] - 2) * (t["relax"] + t["hold"])
    page.clock.run_for(left * 1000)
    assert _text(page) == f"Rest before set 2 {t['rest']} s"
    page.get_by_role("button", name="Skip rest").click()
    assert _text(page) == f"Get ready: Set 2 of 2, in {t['ready']} s"
    assert page.get_by_role("button", name="Skip rest").is_hidden()  # a hold or a get-ready is not skipped
    page.get_by_role("button", name="Pause").click()
    page.clock.run_for(10_000)
    assert _text(page) == f"Get ready: Set 2 of 2, in {t['ready']} s (paused)"
    assert page.evaluate("window.seen.released") == 1  # paused: the screen may sleep
    page.get_by_role("button", name="Go on").click()
    page.clock.run_for((t["ready"] + t["reps"] * t["hold"] + (t["reps"] - 1) * t["relax"]) * 1000)
    assert _text(page) == "Done: now tell us your pain during it."
    assert page.evaluate("window.seen.released") == 2
    page.reload()
    assert sound.is_checked() and speech.is_checked()  # remembered on this device
    assert errors == []
    context.close()


def test_this_hurts_inside_the_timer_records_pain_and_the_sets_done_part_way(server, browser) -> None:  # noqa: F811
    """Within the limit, the patient comes back to the timer where it was (paused); above it, the pain during and the
    sets finished so far are recorded (as the terminal records a stop for pain) and the next exercise shows."""
    from rehabkit._sessions.backends import open_store

    _, link, db = server
    page = browser.new_context().new_page()
    page.clock.install()
    _to_exercise(page, link, "Bridge")
    t = _timer(page)
    page.get_by_role("button", name="Start the timer").click()
    page.clock.run_for((t["ready"] + t["hold"]) * 1000)
    shown = _text(page)
    _press(page, "This hurts")
    assert page.get_by_role("radio", name="0 sets").is_checked()  # no set finished yet
    _press(page, "0 out of 10")
    assert page.locator("h1").inner_text() == "Bridge" and "within this exercise" in page.content()
    assert _text(page) == shown + " (paused)"  # the timer where it was
    page.get_by_role("button", name="Go on").click()
    page.clock.run_for(t["reps"] * (t["hold"] + t["relax"]) * 1000)  # the rest of set 1: into the rest
    page.get_by_role("button", name="Skip rest").click()
    page.clock.run_for(t["ready"] * 1000)  # into set 2
    assert _text(page).startswith("Set 2 of 2")
    _press(page, "This hurts")
    assert page.get_by_role("radio", name="1 set", exact=True).is_checked()  # one set finished
    _press(page, "9 out of 10")
    assert page.locator("h1").inner_text() != "Bridge" and "above this exercise" in page.content()
    page.context.close()
    with open_store(db, create=False) as store:
        session = store.sessions("P-1")[-1]
        answers = [(kind, key, value) for kind, key, value in store.answers(session.id) if key == "glute-bridge"]
    assert answers == [
        ("pain-during", "glute-bridge", 0.0),
        ("pain-during", "glute-bridge", 9.0),
        ("stopped-part-way", "glute-bridge", {"sets_done": 1, "sets": 2}),
    ]


def test_the_exercise_page_shows_its_animated_figure_and_a_stretch_is_timed_side_by_side(server, browser) -> None:  # noqa: F811
    """The exercise's figure (the handout's animated SVG, inline) with its text alternative; the page's policy allows
    its style by hash (no 'unsafe-inline', no violation reported); it moves, and stands still under reduced motion.
    The next exercise, a stretch on each side, is timed left side, then right side."""
    _, link, _ = server
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else 0)
    page.clock.install()
    _to_exercise(page, link, "Bridge")
    figure = page.get_by_role("img", name=re.compile(r"^Moving line drawing of Bridge"))
    assert figure.count() == 1 and "1. " in figure.locator("title").text_content()  # what it shows, then the steps
    assert _motion(page) == ("0", "rk-f1")  # the still frame hidden, the frames moving
    calm = browser.new_context(reduced_motion="reduce", storage_state=context.storage_state()).new_page()
    calm.goto(page.url)  # the same page, for a patient whose system asks for reduced motion
    assert calm.locator(".rk-figure").count() == 1 and _motion(calm) == ("1", "none")
    calm.context.close()
    assert refused == []
    _press(page, "1 out of 10")
    assert page.locator("h1").inner_text() == "Back-of-thigh stretch lying down"
    t = _timer(page)
    page.get_by_role("button", name="Start the timer").click()
    assert _text(page).startswith("Get ready: Set 1 of 1, left side")
    page.clock.run_for((t["ready"] + t["reps"] * t["hold"] + (t["reps"] - 1) * t["relax"]) * 1000)
    assert _text(page).startswith("Get ready: Set 1 of 1, right side")
    context.close()


def _motion(page) -> tuple[str, str]:
    """The figure's still frame's opacity and the first moving frame's animation."""
    return (
        page.evaluate("getComputedStyle(document.querySelector('.rk-still')).opacity"),
        page.evaluate("getComputedStyle(document.querySelector('.rk-f1')).animationName"),
    )


def _until(page, condition: str) -> None:
    """Wait until ``condition`` (a JavaScript function) holds in ``page``: a cap, never a pause (page.wait_for_function
    evaluates a string, which the page's policy forbids; page.evaluate does not)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + SCREEN_WAIT
    while True:
        try:
            if page.evaluate(condition):
                return
        except Error as exc:  # the page went to another meanwhile: look again at the new one
            assert "context was destroyed" in str(exc), exc
        assert time.monotonic() < deadline, condition
        page.wait_for_timeout(20)


def _answers(db: str) -> list[tuple[str, str, object]]:
    from rehabkit._sessions.backends import open_store

    with open_store(db, create=False) as store:
        return [(s.status, *a) for s in store.sessions("P-1") for a in store.answers(s.id)]


def test_answers_given_offline_are_kept_on_the_device_and_a_replayed_queue_stores_one_session(server, browser):  # noqa: F811
    """Online until the first exercise (the service worker then keeps the pages ahead), offline for every exercise and
    pain after (kept on the device, nothing sent); the new-symptom question says it needs the connection (a "yes" is
    acted on at once); back online: the answers are sent in order, the question is answered and the decision shows.
    The same queue sent again stores nothing more."""
    _, link, db = server
    context = browser.new_context()
    context.add_init_script(
        "(() => { const online = Object.getOwnPropertyDescriptor(Navigator.prototype, 'onLine').get;"
        " Object.defineProperty(Navigator.prototype, 'onLine', {configurable: true, get() {"
        " return sessionStorage.getItem('test-offline') !== '1' && online.call(this); }}); })()"
    )
    page = context.new_page()
    _to_first_exercise(page, link)
    ahead = page.locator('meta[name="rehabkit-ahead"]').get_attribute("content").split()
    _until(page, "() => navigator.serviceWorker.controller !== null")
    _until(page, "() => caches.open('rehabkit-today').then(c => c.keys()).then(k => k.filter(r => "
           f"r.url.includes('/ahead/')).length === {len(ahead)})")  # fmt: skip
    before = _answers(db)
    # Chromium's offline emulation reaches a newly loaded document a moment late (navigator.onLine is true at first,
    # and the page would send its queue), and requests a service worker lets through are not emulated at all: so the
    # tab also says it is offline from the first moment of each page (a flag in its sessionStorage read by
    # navigator.onLine), as a device that is offline does.
    page.evaluate("sessionStorage.setItem('test-offline', '1')")
    context.set_offline(True)
    _until(page, "() => !navigator.onLine")
    exercises = 0
    offline = "() => !navigator.onLine"  # each page the device shows must know it is offline before it is used
    while page.get_by_role("button", name="This hurts").count():
        exercises += 1
        _press(page, "1 out of 10")
        _until(page, offline)
    assert exercises == len(ahead) - 1
    _press(page, "2 out of 10")  # pain after
    _until(page, offline)
    page.get_by_role("button", name="No", exact=True).click()  # the new-symptom question needs the connection
    page.get_by_text("this question needs the connection").wait_for()
    kept = page.evaluate("localStorage.getItem('rehabkit-queue')")
    assert len(json.loads(kept)) == exercises + 1 and _answers(db) == before  # nothing sent while offline
    page.evaluate("sessionStorage.removeItem('test-offline')")
    with page.expect_navigation():
        context.set_offline(False)  # back online: the answers are sent, then the session's page
    page.get_by_role("button", name="No", exact=True).click()  # no new symptom, online
    page.get_by_role("heading", name=re.compile("^Decision:")).wait_for()
    stored = _answers(db)
    assert {status for status, *_ in stored} == {"complete"}
    assert [a for a in stored if a[1] == "pain-during"] == [("complete", "pain-during", ANY, 1.0)] * exercises
    page.evaluate("queue => localStorage.setItem('rehabkit-queue', queue)", kept)  # the same queue, sent again
    page.reload()
    _until(page, "() => localStorage.getItem('rehabkit-queue') === '[]'")
    assert _answers(db) == stored  # stored once
    context.close()


def test_offline_this_hurts_says_stop_and_a_page_kept_from_yesterday_is_not_todays(server, browser):  # noqa: F811
    """Offline on an exercise page, "This hurts" tells the patient to stop and reconnect (nothing queued); the next
    day, still offline, the session's page the device kept says it is not today's and shows no form to answer."""
    _, link, _ = server
    context = browser.new_context()
    page = context.new_page()
    _to_first_exercise(page, link)
    _until(page, "() => navigator.serviceWorker.controller !== null")
    _until(page, "() => caches.match('/session').then(hit => hit !== undefined)")
    context.set_offline(True)
    _until(page, "() => !navigator.onLine")
    page.get_by_role("button", name="This hurts").click()
    page.get_by_text("Stop this exercise now").wait_for()
    assert page.evaluate("localStorage.getItem('rehabkit-queue') || '[]'") == "[]"
    page.clock.install(time=datetime.datetime.now() + datetime.timedelta(days=1))
    page.reload()
    page.get_by_text("not today").wait_for()
    assert not page.get_by_role("button", name="1 out of 10").is_visible()
    context.close()
