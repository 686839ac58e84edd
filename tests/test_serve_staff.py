"""rehabkit serve, the clinician's side: staff passwords ('rehabkit staff password'), sign-in, lock-out, expiry, the
staff cookie, and every staff route refused without it.

Routes go through Starlette's test client against the application 'rehabkit serve' builds on a real store; the whole
walk of a clinician runs in real uvicorn and Chromium (tests/test_serve_browser.py).
"""

from __future__ import annotations

import contextlib
import datetime
import html
import json
import re
from collections.abc import Iterator

import pytest

pytest.importorskip("starlette", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")
pytest.importorskip("argon2", reason="staff passwords need the serve extra (pip install -e '.[serve]')")

from starlette.testclient import TestClient
from test_serve import DAY, ORIGIN, app_for, invite, patient_on_course, sign_in_with, step_of

from conftest import TEST_CLINICIAN, sign_in

PASSWORD = "correct horse battery staple"
#: Every page of the clinician's side (GET), which needs a signed-in member of staff.
STAFF_PAGES = ("/staff/clinic", "/staff/events", "/staff/patients/0123456789abcdef0123456789abcdef")


def add_staff(cli, db: str, staff: str = "PT-9", role: str = "physiotherapist", password: str = PASSWORD) -> None:
    """``staff`` registered with ``role`` (acting from no account of this machine) and given ``password``, by the
    suite's clinician as the store's admin."""
    sign_in(db, TEST_CLINICIAN, ("admin", "clinician"))
    added = cli("staff", "add", staff, "--role", role, "--os-user", f"nobody-{staff.lower()}", "--db", db)
    assert added.exit_code == 0, added.output
    if password:
        done = cli("staff", "password", staff, "--password-stdin", "--db", db, input=password + "\n")
        assert done.exit_code == 0, done.output


def staff_rows(db: str, staff: str) -> list[tuple[str, str | None, str | None, str]]:
    from rehabkit._sessions.backends import open_store

    with open_store(db, create=False) as store:
        return store.staff_sign_ins_of(staff)


def sign_in_staff(client: TestClient, staff: str = "PT-9", password: str = PASSWORD):
    return client.post("/staff/sign-in", data={"staff": staff, "password": password}, headers=ORIGIN)


def test_staff_password_keeps_an_argon2_hash_appended_and_audited(cli, store_db) -> None:
    add_staff(cli, store_db)
    rows = staff_rows(store_db, "PT-9")
    assert [kind for kind, *_ in rows] == ["password"]
    assert rows[0][1].startswith("$argon2id$") and PASSWORD not in rows[0][1]
    add_staff(cli, store_db, "PT-8", password="")
    done = cli("staff", "password", "PT-9", "--password-stdin", "--db", store_db, input="another long password\n")
    assert done.exit_code == 0, done.output
    assert [kind for kind, *_ in staff_rows(store_db, "PT-9")] == ["password", "password"]  # appended, none changed
    from rehabkit._sessions.backends import open_store

    with open_store(store_db, create=False) as store:
        entries = [e for e in store.audit_entries() if e.tbl == "staff_sign_ins"]
    assert len(entries) == 2 and {e.actor for e in entries} == {TEST_CLINICIAN} and not any(e.patient for e in entries)
    assert cli("audit", "verify", "--db", store_db).exit_code == 0


def test_staff_password_is_refused_for_a_patient_a_short_one_and_anothers_by_a_non_admin(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    add_staff(cli, db)
    refused = cli("staff", "password", "P-1", "--password-stdin", "--db", db, input=PASSWORD + "\n")
    assert refused.exit_code == 9 and "patients sign in with the link" in refused.output
    short = cli("staff", "password", "PT-9", "--password-stdin", "--db", db, input="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    sign_in(db, "PT-7", ("physiotherapist",))
    others = cli("staff", "password", "PT-9", "--password-stdin", "--db", db, input=PASSWORD + "\n")
    assert others.exit_code == 9 and "may not register or disable staff" in others.output
    own = cli("staff", "password", "PT-7", "--password-stdin", "--db", db, input=PASSWORD + "\n")
    assert own.exit_code == 0, own.output
    assert [kind for kind, *_ in staff_rows(db, "PT-9")] == ["password"]


def test_staff_sign_in_gives_a_strict_http_only_cookie_of_its_own_and_signs_out(cli, store_db) -> None:
    add_staff(cli, store_db)
    with TestClient(app_for(store_db), follow_redirects=False) as client:
        assert client.get("/staff").status_code == 200 and 'name="password"' in client.get("/staff").text
        signed = sign_in_staff(client)
        assert signed.status_code == 303 and signed.headers["location"] == "/staff/clinic"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith("rehabkit-staff=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Path=/staff" in cookie and "rehabkit-session" not in cookie
        page = client.get("/staff/clinic")
        assert page.status_code == 200 and "Signed in as PT-9 (physiotherapist)" in page.text
        assert client.post("/staff/sign-out", headers=ORIGIN).status_code == 303
        client.cookies.set("rehabkit-staff", cookie.split(";")[0].split("=", 1)[1], path="/staff")
        assert client.get("/staff/clinic").status_code == 401  # the session ended in the store, not only the browser
    kinds = [kind for kind, *_ in staff_rows(store_db, "PT-9")]
    assert kinds == ["password", "session", "sign-out"]


def test_a_wrong_password_an_unknown_id_and_a_disabled_person_are_refused_alike(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    add_staff(cli, db)
    with TestClient(app_for(db)) as client:
        for staff, password in (("PT-9", "wrong password here"), ("PT-404", PASSWORD), ("PT-9", "")):
            refused = sign_in_staff(client, staff, password)
            assert refused.status_code == 401 and "do not match" in refused.text and "Traceback" not in refused.text
            assert "rehabkit-staff" not in client.cookies
        sign_in(db, TEST_CLINICIAN, ("admin", "clinician"))
        assert cli("staff", "disable", "PT-9", "--db", db).exit_code == 0
        assert sign_in_staff(client).status_code == 401


def test_repeated_failures_lock_the_person_out_until_a_new_password(cli, tmp_path) -> None:
    from rehabkit._sessions.staff_sign_in import MOST_FAILURES

    db = str(tmp_path / "store.sqlite3")
    add_staff(cli, db)
    with TestClient(app_for(db)) as client:
        for _ in range(MOST_FAILURES - 1):
            assert sign_in_staff(client, password="not the password").status_code == 401
        locked = sign_in_staff(client, password="not the password")
        assert locked.status_code == 429 and "locked for 15 minutes" in locked.text
        assert sign_in_staff(client).status_code == 429  # the right password too, while locked
        done = cli("staff", "password", "PT-9", "--password-stdin", "--db", db, input="a brand new password\n")
        assert done.exit_code == 0
        assert sign_in_staff(client, password="a brand new password").status_code == 200
    kinds = [kind for kind, *_ in staff_rows(db, "PT-9")]
    assert kinds.count("failed") == MOST_FAILURES + 1 and kinds[-1] == "session"


def test_an_expired_staff_session_signs_out(cli, tmp_path) -> None:
    from rehabkit._sessions.backends import open_store
    from rehabkit._sessions.sign_in import hashed

    db = str(tmp_path / "store.sqlite3")
    add_staff(cli, db)
    past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)).isoformat(timespec="seconds")
    with open_store(db, create=False) as store:
        store.add_staff_sign_in("PT-9", "session", hashed("an-old-cookie"), past)
    with TestClient(app_for(db)) as client:
        client.cookies.set("rehabkit-staff", "an-old-cookie", path="/staff")
        assert client.get("/staff/clinic").status_code == 401


def test_every_staff_page_needs_a_staff_cookie_not_a_patients(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    token = invite(cli, db)
    with TestClient(app_for(db)) as client:
        for path in STAFF_PAGES:
            refused = client.get(path)
            assert refused.status_code == 401 and "Staff sign-in" in refused.text, path
        sign_in_with(client, token)  # a patient's cookie
        for path in STAFF_PAGES:
            refused = client.get(path)
            assert refused.status_code == 401 and "P-1" not in refused.text, path
        assert client.get("/session").status_code == 200  # their own page still opens


def test_staff_sign_in_forms_from_another_site_are_refused(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    add_staff(cli, db)
    with TestClient(app_for(db)) as client:
        refused = client.post("/staff/sign-in", data={"staff": "PT-9", "password": PASSWORD},
                              headers={"origin": "https://evil.example"})  # fmt: skip
        assert refused.status_code == 403 and "rehabkit-staff" not in client.cookies
    assert [kind for kind, *_ in staff_rows(db, "PT-9")] == ["password"]


# --- the clinic overview and a patient's page ------------------------------------------------------------------


@contextlib.contextmanager
def signed_in_staff(app, staff: str = "PT-9") -> Iterator[TestClient]:
    """A browser of ``staff`` signed in at /staff."""
    with TestClient(app) as client:
        assert sign_in_staff(client, staff).status_code == 200
        yield client


def patient_link(client: TestClient, patient: str) -> str:
    """The patient's page as the overview links it."""
    page = client.get("/staff/clinic").text
    found = re.search(rf'<a href="(/staff/patients/[0-9a-f]+)">{re.escape(patient)}</a>', page)
    assert found, page
    return found.group(1)


def withdrawn(cli, db: str, patient: str) -> None:
    """``patient`` on the neck-pain course whose clinician's approval into its first phase was withdrawn: refused a
    session until a clinician approves again."""
    patient_on_course(cli, db, patient)
    sign_in(db, TEST_CLINICIAN, ("admin", "clinician"))
    done = cli("approve", patient, "--phase", "acute", "--withdraw", "--date", DAY.isoformat(), "--db", db)
    assert done.exit_code == 0, done.output


def test_the_overview_ranks_the_patients_as_rehabkit_clinic_does(cli, store_db) -> None:
    later = DAY + datetime.timedelta(days=30)
    for patient in ("P-1", "P-2", "P-3"):
        patient_on_course(cli, store_db, patient)
    withdrawn(cli, store_db, "P-4")
    add_staff(cli, store_db)
    terminal = json.loads(cli("clinic", "--db", store_db, "--format", "json", "--date", later.isoformat()).stdout)
    with signed_in_staff(app_for(store_db, later)) as client:
        page = client.get("/staff/clinic").text
    shown = re.findall(r'<a href="/staff/patients/[0-9a-f]+">([^<]+)</a>', page)
    assert shown == [course["patient"] for course in terminal["courses"]] and len(shown) == 4
    for course in terminal["courses"]:
        for reason in course["reasons"]:
            assert reason["text"] in html.unescape(page)
    assert "P-" not in "".join(re.findall(r'href="([^"]+)"', page))  # no patient id in any URL


def test_a_physiotherapist_approves_a_gate_the_patient_may_start_and_the_rows_equal_rehabkit_approve(
    cli, store_db
) -> None:
    from rehabkit._sessions.backends import open_store

    for patient in ("P-1", "P-2"):
        withdrawn(cli, store_db, patient)
    add_staff(cli, store_db)
    token = invite(cli, store_db, "P-1")
    sign_in(store_db, TEST_CLINICIAN, ("admin", "clinician"))
    done = cli("approve", "P-2", "--phase", "acute", "--date", DAY.isoformat(), "--db", store_db)
    assert done.exit_code == 0, done.output
    with TestClient(app_for(store_db)) as browser:  # one app, one browser: the patient's cookie and the staff's
        sign_in_with(browser, token)
        refused = browser.post("/session/start", headers=ORIGIN).text
        assert "clinician" in refused and step_of(refused) is None  # the gate is shut: no first question
        assert 'action="/session/start"' in refused and "Try again" in refused  # not stuck once a clinician acts
        assert sign_in_staff(browser).status_code == 200
        page = browser.get(patient_link(browser, "P-1")).text
        approve_form = page.split("Approve a gate", 1)[1].split("</form>", 1)[0]
        assert 'value="clinician-approval"' in approve_form and "surgeon-clearance" not in approve_form
        approved = browser.post(patient_link(browser, "P-1") + "/approve",
                                data={"phase": "acute", "kind": "clinician-approval"}, headers=ORIGIN)  # fmt: skip
        assert approved.status_code == 200, approved.text
        said = done.stdout.splitlines()[0].replace("P-2", "P-1").replace(TEST_CLINICIAN, "PT-9")
        assert said in html.unescape(approved.text)  # the terminal's words
        assert step_of(browser.post("/session/start", headers=ORIGIN).text).startswith("question:")
    with open_store(store_db, create=False) as store:
        web, terminal = (
            [(e.kind, e.protocol, e.phase, e.date, e.detail) for e in store.events(p) if e.kind == "approval"]
            for p in ("P-1", "P-2")
        )
        by = [e.by for e in store.events("P-1") if e.kind == "approval"]
        entries = [e for e in store.audit_entries() if e.tbl == "course_events" and e.patient == "P-1"]
    approvals = [e.actor for e in entries if '"approval"' in (e.content or "")]
    assert web == terminal and by[-1] == "PT-9" and approvals[-1] == "PT-9"


def test_a_physiotherapist_cannot_give_a_surgeons_clearance_refused_in_the_terminals_words(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    sign_in(db, TEST_CLINICIAN, ("admin", "clinician", "surgeon"))
    for patient in ("P-5", "P-6"):
        done = cli("approve", patient, "--protocol", "post-surgical-lumbar", "--phase", "acute", "--kind",
                   "surgeon-clearance", "--surgery-date", (DAY - datetime.timedelta(days=3)).isoformat(),
                   "--date", DAY.isoformat(), "--db", db)  # fmt: skip
        assert done.exit_code == 0, done.output
    add_staff(cli, db)
    sign_in(db, "PT-7", ("physiotherapist",))
    terminal = cli("approve", "P-6", "--phase", "acute", "--kind", "surgeon-clearance", "--db", db)
    assert terminal.exit_code == 9
    with signed_in_staff(app_for(db)) as client:
        link = patient_link_any(client, "P-5")
        page = client.get(link).text
        assert 'option value="surgeon-clearance"' not in page.split("Transcribe")[0]  # no button to give it
        assert "Transcribe a surgeon's clearance" in page  # only to transcribe the surgeon's letter
        refused = client.post(link + "/approve", data={"phase": "acute", "kind": "surgeon-clearance"}, headers=ORIGIN)
    words = terminal.stderr.strip().removeprefix("rehabkit: not permitted: ").replace("PT-7", "PT-9")
    assert refused.status_code == 403 and words in html.unescape(refused.text), (words, refused.text)
    with contextlib.closing(open_store_of(db)) as store:
        assert [e.kind for e in store.events("P-5")].count("approval") == 1  # nothing recorded


def patient_link_any(client: TestClient, patient: str) -> str:
    """The page of a patient whether or not the overview lists them: opened by id with the overview's form."""
    found = client.post("/staff/find", data={"patient": patient}, headers=ORIGIN, follow_redirects=False)
    assert found.status_code == 303, found.text
    return found.headers["location"]


def open_store_of(db: str):
    from rehabkit._sessions.backends import open_store

    return open_store(db, create=False)


def test_the_sign_in_link_button_makes_a_link_that_signs_the_patient_in(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    withdrawn(cli, db, "P-1")
    add_staff(cli, db)
    app = app_for(db)
    with signed_in_staff(app) as staff:
        made = staff.post(patient_link(staff, "P-1") + "/invite", headers=ORIGIN)
    token = re.search(r"/sign-in/([A-Za-z0-9_-]+)", made.text).group(1)
    with TestClient(app) as patient:
        sign_in_with(patient, token)
    with open_store_of(db) as store:
        rows = store.sign_ins_of("P-1")
        entries = [e for e in store.audit_entries() if e.tbl == "sign_ins"]
    assert [kind for kind, _ in rows] == ["link", "exchange"] and entries[0].actor == "PT-9"


@pytest.mark.parametrize("route", ["", "/approve", "/review", "/invite"])
def test_every_patient_route_of_the_staff_refuses_no_cookie_a_patients_cookie_and_the_wrong_role(
    cli, tmp_path, route
) -> None:
    db = str(tmp_path / "store.sqlite3")
    withdrawn(cli, db, "P-1")
    token = invite(cli, db, "P-1")
    add_staff(cli, db)
    add_staff(cli, db, "AD-1", role="admin")
    app = app_for(db)
    with signed_in_staff(app) as staff:
        link = patient_link(staff, "P-1") + route
    form = {"phase": "acute", "kind": "clinician-approval", "outcome": "resume", "note": "seen"}

    def ask(client: TestClient):
        return client.get(link) if route == "" else client.post(link, data=form, headers=ORIGIN)

    with TestClient(app) as client:
        assert ask(client).status_code == 401
        sign_in_with(client, token)
        assert ask(client).status_code == 401
    with signed_in_staff(app, "AD-1") as admin:
        answer = ask(admin)
        if route:
            assert answer.status_code == 403 and "AD-1 (admin) may not" in answer.text
        else:
            forms = re.findall(r'<form method="post" action="[^"]+/(\w+)"', answer.text)
            assert answer.status_code == 200 and forms == ["download"]  # an admin may export, not act on a course
    with open_store_of(db) as store:
        assert [e.kind for e in store.events("P-1")] == ["approval", "approval"]
        assert [kind for kind, _ in store.sign_ins_of("P-1")] == ["link", "exchange"]  # the patient's own


def test_a_review_from_the_patients_page_stores_what_rehabkit_review_stores(cli, store_db, tmp_path) -> None:
    """Twins stopped by a red-flag yes: a clinician's review on the web (P-1) and 'rehabkit review' (P-2) store the
    same review event, the web's named and audited as that clinician, said in the terminal's words."""
    import yaml
    from test_serve import CALM

    file = tmp_path / "answers.yaml"
    file.write_text(yaml.safe_dump({**CALM, "screening": {"all": True}}))
    for patient in ("P-1", "P-2"):
        patient_on_course(cli, store_db, patient)
        cli("run", "neck-pain", "--patient", patient, "--answers", str(file), "--date", DAY.isoformat(),
            "--db", store_db)  # fmt: skip
    add_staff(cli, store_db, "CL-1", role="clinician")
    sign_in(store_db, TEST_CLINICIAN, ("admin", "clinician"))
    done = cli("review", "P-2", "--outcome", "resume", "--note", "seen, no red flag", "--date", DAY.isoformat(),
               "--db", store_db)  # fmt: skip
    assert done.exit_code == 0 and "It reviews:" in done.stdout, done.output  # the course was paused
    with signed_in_staff(app_for(store_db), "CL-1") as client:
        link = patient_link(client, "P-1")  # a paused course is on the overview
        assert "Record the review" in client.get(link).text
        reviewed = client.post(link + "/review", data={"outcome": "resume", "note": "seen, no red flag"},
                               headers=ORIGIN)  # fmt: skip
    assert reviewed.status_code == 200, reviewed.text
    for line in done.stdout.splitlines():
        assert line.replace("P-2", "P-1").replace(TEST_CLINICIAN, "CL-1") in html.unescape(reviewed.text)
    with open_store_of(store_db) as store:
        web, terminal = (
            [(e.kind, e.protocol, e.phase, e.date, e.detail) for e in store.events(p) if e.kind == "review"]
            for p in ("P-1", "P-2")
        )
        by = [e.by for e in store.events("P-1") if e.kind == "review"]
    assert web == terminal and len(web) == 1 and by == ["CL-1"]
