"""The clinician's pages of ``rehabkit serve`` in a real Chromium against a real server: axe-core on the staff sign-in
page, a refused and a locked-out sign-in, the clinic overview, a patient's page with its charts and forms, and the
page a form answers with; a handout with a sign-in link's QR code downloaded as a clinician would.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator

import pytest
import yaml
from test_pages import CHROMIUM, FLAGS
from test_serve import CALM
from test_serve_browser import _free_port, serving

from conftest import REPO, TEST_CLINICIAN, sign_in

pytest.importorskip("uvicorn", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it)")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def clinic(cli, tmp_path) -> Iterator[str]:
    """'rehabkit serve' on a store where P-1 did a session and PT-9 (a physiotherapist) has a password: its URL."""
    db = str(tmp_path / "store.sqlite3")
    today = datetime.date.today().isoformat()
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(CALM))
    flagged = tmp_path / "red-flag.yaml"  # P-2 answers yes to a red flag: the overview has someone to show
    flagged.write_text(yaml.safe_dump({**CALM, "screening": {"all": True}}))
    sign_in(db, TEST_CLINICIAN, ("admin", "clinician"))
    for args in (
        ("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--date", today),
        ("run", "neck-pain", "--patient", "P-1", "--answers", str(answers), "--date", today),
        ("approve", "P-2", "--protocol", "neck-pain", "--phase", "acute", "--date", today),
        ("staff", "add", "P-1", "--role", "patient"),
        ("staff", "add", "PT-9", "--role", "physiotherapist", "--os-user", "nobody-pt9"),
    ):
        assert cli(*args, "--db", db).exit_code == 0, args
    flagged_run = cli("run", "neck-pain", "--patient", "P-2", "--answers", str(flagged), "--date", today, "--db", db)
    assert flagged_run.exit_code not in (0, 1, 2), flagged_run.output  # stopped by the red flag (its own exit code)
    assert cli("staff", "password", "PT-9", "--password-stdin", "--db", db, input=PASSWORD + "\n").exit_code == 0
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(db, port):
        yield base


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def _sign_in(page, base: str, staff: str, password: str) -> None:
    page.goto(base + "/staff")
    page.get_by_label("Staff id").fill(staff)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_every_staff_page_has_no_serious_accessibility_violation(clinic, browser) -> None:
    from test_pages import _serious_violations

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        violations = _serious_violations(page)
        if violations:
            found[name] = violations

    page.goto(clinic + "/staff")
    check("sign-in")
    for _ in range(5):  # refused, then locked out
        _sign_in(page, clinic, "PT-9", "not the password at all")
    assert "locked for" in page.content()
    check("locked out")
    _sign_in(page, clinic, "PT-8", "not the password at all")
    assert "do not match" in page.content()
    check("refused")
    context.close()
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    _sign_in(page, clinic, "PT-9", PASSWORD)  # the right password, another browser: still locked
    assert "locked for" in page.content()
    context.close()
    assert found == {}, found


def test_a_clinicians_pages_and_a_handout_with_a_qr_code_are_accessible(cli, tmp_path, clinic, browser) -> None:
    from test_pages import _serious_violations

    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        violations = _serious_violations(page)
        if violations:
            found[name] = violations

    page.goto(clinic + "/staff")
    _sign_in(page, clinic, "PT-9", PASSWORD)
    page.get_by_role("heading", name="Clinic overview").wait_for()
    page.get_by_text("P-2").first.wait_for()  # the paused course is listed
    check("overview")
    if os.environ.get("UPDATE_SCREENSHOTS"):  # the README's picture of the overview (UPDATE_SCREENSHOTS=docs)
        page.set_viewport_size({"width": 1000, "height": 700})
        page.screenshot(path=str(REPO / os.environ["UPDATE_SCREENSHOTS"] / "serve-overview.png"))
    page.get_by_label("Open a patient").fill("P-1")
    page.get_by_role("button", name="Open", exact=True).click()
    page.get_by_role("heading", name="P-1").wait_for()
    assert page.locator("figure.chart svg").count() >= 2
    check("patient page")
    page.get_by_label("Print a new sign-in link").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    page.get_by_label("Withdraw for the gate into phase").select_option("acute")
    page.get_by_role("button", name="Withdraw", exact=True).click()
    page.get_by_text("Recorded the").wait_for()
    check("a form's answer")
    handout = tmp_path / info.value.suggested_filename
    info.value.save_as(handout)
    assert re.fullmatch(r"P-1-handout\.html", handout.name)
    opened = context.new_page()
    opened.goto(handout.as_uri())
    qr = opened.get_by_role("img", name="QR code of your sign-in link")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")  # the code is drawn, not a broken image
    page = opened
    check("handout with a sign-in link")
    context.close()
    assert found == {}, found
