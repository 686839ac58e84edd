"""rehabkit serve: the patient's sign-in link and today's session in a browser, on the course service and the store.

Routes go through Starlette's test client against the application ``rehabkit serve`` builds (the real store, the
installed packs, the terminal's words); the whole walk runs in a real uvicorn started by ``rehabkit serve`` and a real
Chromium (tests/test_serve_browser.py). A session done here stores what ``rehabkit run --answers`` stores.
"""

from __future__ import annotations

import contextlib
import datetime
import html
import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import yaml

pytest.importorskip("starlette", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")

from starlette.testclient import TestClient

from conftest import TEST_CLINICIAN, sign_in

DAY = datetime.date(2026, 11, 2)
ORIGIN = {"origin": "http://testserver"}
CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}


def patient_on_course(cli, db: str, patient: str = "P-1", protocol: str = "neck-pain") -> None:
    """``patient`` approved into the first phase of ``protocol`` and registered with the role patient."""
    day = (DAY - datetime.timedelta(days=1)).isoformat()
    result = cli("approve", patient, "--protocol", protocol, "--phase", "acute", "--date", day, "--db", db)
    assert result.exit_code == 0, result.output
    result = cli("staff", "add", patient, "--role", "patient", "--db", db)
    assert result.exit_code == 0, result.output


def invite(cli, db: str, patient: str = "P-1", *more: str) -> str:
    """A new sign-in link's token, as 'rehabkit invite' prints it."""
    sign_in(db, TEST_CLINICIAN)
    result = cli("invite", patient, "--db", db, *more)
    assert result.exit_code == 0, result.output
    return re.search(r"/sign-in/(\S+)", result.output).group(1)


def app_for(db: str, today: datetime.date = DAY):
    """The application 'rehabkit serve --db DB' serves, with today fixed."""
    from rehabkit._web.app import create_app
    from rehabkit.cli import AppState
    from rehabkit.cli.serve_cmd import _site

    return create_app(attrs.evolve(_site(AppState((), None), db, secure=False), today=lambda: today))


@contextlib.contextmanager
def signed_in_client(app, token: str) -> Iterator[TestClient]:
    """A browser signed in with the link ``token``."""
    with TestClient(app, follow_redirects=True) as client:
        sign_in_with(client, token)
        yield client


def sign_in_with(client: TestClient, token: str) -> str:
    """Exchange the link ``token`` in ``client``; the session cookie it set."""
    response = client.post("/sign-in", data={"token": token}, headers=ORIGIN)
    assert response.status_code == 200 and response.url.path == "/session", response.text
    return client.cookies["rehabkit-session"]


def step_of(text: str) -> str | None:
    found = re.search(r'name="step" value="([^"]+)"', text)
    return html.unescape(found.group(1)) if found else None


def walk(client: TestClient, answers: dict[str, Any]) -> str:
    """Do today's session as a patient would, page by page, with an answers file's answers; the last page."""
    return answer_through(client, client.post("/session/start", headers=ORIGIN).text, answers)


def answer_through(client: TestClient, page: str, answers: dict[str, Any]) -> str:
    """Answer every page from ``page`` on to the end of the session; the last page."""
    while (step := step_of(page)) is not None:
        if step.startswith("question:"):
            key = step.split(":", 1)[1]
            value = answers["screening"].get(key, answers["screening"].get("all"))
            answer = "not-sure" if value == "not-sure" else ("yes" if value else "no")
        elif step.startswith("exercise:"):
            key = step.split(":", 1)[1]
            answer = str(answers["exercises"].get(key, answers["exercises"].get("all")))
        elif step == "new-symptom":
            answer = "yes" if answers["new_symptom"] else "no"
        else:
            answer = str(answers[step.replace("-", "_")])
        page = client.post("/session/answer", data={"step": step, "answer": answer}, headers=ORIGIN).text
    return page


def records(db: str, patient: str) -> dict[str, Any]:
    """What the store holds of a patient's course, with the patient's own ids left out (to compare twins)."""
    from rehabkit._sessions.backends import open_store

    with open_store(db, create=False) as store:
        sessions = store.sessions(patient)
        return {
            "sessions": [(s.date, s.status, s.decision, s.phase, s.pain_before, s.pain_after) for s in sessions],
            "answers": [store.answers(s.id) for s in sessions],
            "details": [_without_ids(store.decision_detail(s.id)) for s in sessions],
            "events": [(e.kind, e.protocol, e.phase, e.date, _without_ids(e.detail)) for e in store.events(patient)],
        }


def _without_ids(text: Any) -> Any:
    import json

    data = json.loads(text) if isinstance(text, str) else text
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in ("session", "after_session")}
    return data


@pytest.mark.parametrize(
    "answers",
    [
        CALM,
        {**CALM, "exercises": {"all": 9}, "pain_after": 6},
        {**CALM, "screening": {"all": False, "spreading-pain": "not-sure"}},
        {**CALM, "new_symptom": True},
        {**CALM, "screening": {"all": True}},
    ],
    ids=["calm", "pain-over-the-limit", "not-sure", "new-symptom", "red-flag-yes"],
)
def test_a_browser_session_stores_what_run_answers_stores(cli, store_db, tmp_path, answers) -> None:
    """The same answers in the browser (P-1) and in 'rehabkit run --answers' (its twin P-2) store the same answers,
    pain, decision and course events."""
    patient_on_course(cli, store_db, "P-1")
    patient_on_course(cli, store_db, "P-2")
    with signed_in_client(app_for(store_db), invite(cli, store_db, "P-1")) as client:
        walk(client, answers)
    file = tmp_path / "answers.yaml"
    file.write_text(yaml.safe_dump(answers))
    sign_in(store_db, TEST_CLINICIAN)
    cli("run", "neck-pain", "--patient", "P-2", "--answers", str(file), "--date", DAY.isoformat(), "--db", store_db)
    browser, terminal = records(store_db, "P-1"), records(store_db, "P-2")
    assert browser["sessions"] and browser["sessions"][0][1] in ("complete", "stopped")
    assert browser == terminal


def test_the_session_pages_say_what_the_terminal_says(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    with signed_in_client(app_for(db), invite(cli, db)) as client:
        page = client.post("/session/start", headers=ORIGIN).text
        assert step_of(page).startswith("question:") and "Safety question 1 of" in page
        page = client.post("/session/answer", data={"step": step_of(page), "answer": "not-sure"}, headers=ORIGIN).text
        assert "Not sure counts as a yes, to be safe (it is recorded as &#39;not sure&#39;)." in page
        last = answer_through(client, page, CALM)  # the session goes on: the rest answered no
    assert "Decision: carry on" not in last or "STOP" not in last
    assert "STOP: no exercise today." in last or "STOP: seek medical help now." in last
    assert "The programme is paused until a clinician has reviewed you." in last


def test_a_calm_session_ends_with_the_decision_and_next_plan(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    with signed_in_client(app_for(db), invite(cli, db)) as client:
        last = walk(client, CALM)
    assert "Decision: " in last and "Next session: phase" in last
    from rehabkit._sessions.backends import open_store

    with open_store(db, create=False) as store:
        entries = [e for e in store.audit_entries("P-1") if e.tbl == "answers"]
    assert entries and {e.actor for e in entries} == {"(the patient)"}  # the patient acted, as themselves


def test_this_hurts_over_the_limit_stops_the_exercise_at_once(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    with signed_in_client(app_for(db), invite(cli, db)) as client:
        page = client.post("/session/start", headers=ORIGIN).text
        while step_of(page).startswith("question:"):
            page = client.post("/session/answer", data={"step": step_of(page), "answer": "no"}, headers=ORIGIN).text
        page = client.post("/session/answer", data={"step": "pain-before", "answer": "2"}, headers=ORIGIN).text
        first = step_of(page)
        assert first.startswith("exercise:")
        assert client.get("/session/hurts?done=1").status_code == 405  # pain is no fact to put in a URL
        hurts = client.post("/session/hurts", data={"done": "0"}, headers=ORIGIN).text
        assert "Pain now, during" in hurts and 'name="hurts" value="1"' in hurts
        page = client.post("/session/answer", data={"step": first, "answer": "0", "hurts": "1"}, headers=ORIGIN).text
        assert "within this exercise&#39;s limit" in page and step_of(page) == first  # go on gently: same exercise
        page = client.post("/session/answer", data={"step": first, "answer": "9", "hurts": "1"}, headers=ORIGIN).text
        assert "above this exercise&#39;s limit" in page and step_of(page) != first  # stopped for today: next page


@pytest.mark.parametrize("why", ["used", "expired", "revoked", "unknown"])
def test_a_link_used_expired_revoked_or_unknown_says_ask_the_clinic(cli, store_db, monkeypatch, why) -> None:
    patient_on_course(cli, store_db)
    token = invite(cli, store_db, "P-1", "--expires", "1h")
    app = app_for(store_db)
    if why == "used":
        with signed_in_client(app, token):
            pass
    elif why == "revoked":
        assert cli("invite", "P-1", "--revoke", "--db", store_db).exit_code == 0
    elif why == "expired":  # two hours later, by the clock the links are checked against
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
        monkeypatch.setattr("rehabkit._sessions.sign_in._now", lambda: later)
    elif why == "unknown":
        token = token[::-1]
    with TestClient(app) as client:
        opened = client.get(f"/sign-in/{token}")  # the link opened says so at once
        response = client.post("/sign-in", data={"token": token}, headers=ORIGIN)
    for answer in (opened, response):
        assert answer.status_code == 410 and "Ask your clinic for a new sign-in link." in answer.text
        assert "rehabkit-session" not in answer.headers.get("set-cookie", "")
        assert 'action="/sign-in"' not in answer.text


def test_the_link_signs_in_once_and_the_url_after_it_is_clean(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    token = invite(cli, db)
    with TestClient(app_for(db), follow_redirects=False) as client:
        landing = client.get(f"/sign-in/{token}")
        assert landing.status_code == 200 and 'action="/sign-in"' in landing.text  # a GET signs nobody in
        response = client.post("/sign-in", data={"token": token}, headers=ORIGIN)
        assert response.status_code == 303 and response.headers["location"] == "/session"
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
        again = client.post("/sign-in", data={"token": token}, headers=ORIGIN)
        assert again.status_code == 410


def test_invite_needs_a_clinician_and_a_registered_patient(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    result = cli("invite", "P-404", "--db", db)
    assert result.exit_code == 1 and "no patient 'P-404'" in result.output
    sign_in(db, TEST_CLINICIAN)
    day = DAY.isoformat()
    assert (
        cli("approve", "P-3", "--protocol", "neck-pain", "--phase", "acute", "--date", day, "--db", db).exit_code == 0
    )
    result = cli("invite", "P-3", "--db", db)
    assert result.exit_code == 9 and "rehabkit staff add P-3 --role patient" in result.output
    sign_in(db, "P-1", ("patient",))  # the patient at this account: may not invite
    result = cli("invite", "P-1", "--db", db, as_staff=False)
    assert result.exit_code == 9 and "may not make or withdraw a patient's sign-in link" in result.output
    result = cli("invite", "P-1", "--expires", "90d", "--db", db)
    assert result.exit_code == 2 and "longer than 30 days" in result.output


ROUTES = [
    ("GET", "/session"),
    ("POST", "/session/hurts"),
    ("POST", "/session/start"),
    ("POST", "/session/answer"),
    ("GET", "/morning"),
    ("POST", "/morning"),
    ("GET", "/progress"),
    ("GET", "/session/ahead/1"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_patient_route_needs_the_patients_own_cookie(cli, tmp_path, method, path) -> None:
    """With no cookie: the sign-in page (401) and nothing recorded; with another patient's cookie: that patient's own
    pages, never P-1's session, and P-1's records unchanged."""
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db, "P-1")
    patient_on_course(cli, db, "P-2")
    with TestClient(app_for(db), follow_redirects=True) as client:
        one = {"cookie": f"rehabkit-session={sign_in_with(client, invite(cli, db, 'P-1'))}", **ORIGIN}
        two = {"cookie": f"rehabkit-session={sign_in_with(client, invite(cli, db, 'P-2'))}", **ORIGIN}
        client.cookies.clear()  # each request below carries its own cookie, or none
        assert client.post("/session/start", headers=one, follow_redirects=False).status_code == 303
        step = step_of(client.get("/session", headers=one).text)
        assert step.startswith("question:")
        before = records(db, "P-1")
        data = {"step": step, "answer": "yes"}
        response = client.request(method, path, data=data, headers=ORIGIN, follow_redirects=False)
        assert response.status_code == 401 and "open the sign-in link your clinic sent you" in response.text
        response = client.request(method, path, data=data, headers=two, follow_redirects=False)
        assert response.status_code in (200, 303) and "sign-in link" not in response.text
        assert records(db, "P-1") == before
        assert step_of(client.get("/session", headers=one).text) == step  # P-1 still stands where they stood


def test_a_post_from_another_site_is_refused_and_pages_forbid_scripts(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    with signed_in_client(app_for(db), invite(cli, db)) as client:
        for headers in ({"origin": "https://evil.example"}, {}, {"sec-fetch-site": "cross-site"}, {"origin": "null"}):
            response = client.post("/session/start", headers=headers)
            assert response.status_code == 403 and "nothing was recorded" in response.text
        assert records(db, "P-1")["sessions"] == []
        response = client.post("/session/start", headers={"sec-fetch-site": "same-origin"})
        assert response.status_code == 200 and step_of(response.text).startswith("question:")
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self';" in csp and "unsafe-" not in csp
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.DOTALL)
        assert '<html lang="en">' in response.text and scripts == [(' src="/offline.js" defer', "")]  # no inline one


def test_a_stopped_course_and_a_closed_gate_are_refused_in_the_terminals_words(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db, "P-1")
    with signed_in_client(app_for(db), invite(cli, db, "P-1")) as client:
        walk(client, {**CALM, "screening": {"all": True}})  # a red flag: the course pauses
        page = client.post("/session/start", headers=ORIGIN).text
    terminal = cli("run", "neck-pain", "--patient", "P-1", "--plan", "--date", DAY.isoformat(), "--db", db)
    assert terminal.exit_code == 6
    first = terminal.output.strip().splitlines()[0]
    assert html.escape(first, quote=True).replace("&#x27;", "&#39;") in page
    db2 = str(tmp_path / "gate.sqlite3")
    sign_in(db2)
    assert cli("staff", "add", "P-9", "--role", "patient", "--db", db2).exit_code == 0
    result = cli("approve", "P-9", "--protocol", "post-surgical-lumbar", "--phase", "acute", "--kind",
                 "clinician-approval", "--date", "2026-11-01", "--db", db2)  # fmt: skip
    assert result.exit_code == 0, result.output
    with signed_in_client(app_for(db2), invite(cli, db2, "P-9")) as client:
        page = client.post("/session/start", headers=ORIGIN).text
    terminal = cli("run", "post-surgical-lumbar", "--patient", "P-9", "--plan", "--date", DAY.isoformat(), "--db", db2)
    assert terminal.exit_code == 7
    for line in terminal.output.strip().splitlines():
        assert html.escape(line.strip(), quote=True).replace("&#x27;", "&#39;") in page


def test_serve_check_and_a_missing_extra_say_what_to_do(tmp_path) -> None:
    """'serve --check' opens the store and says where it would listen; without the serve extra, 'serve' says how to
    install it (exit 2), never a traceback."""
    import subprocess
    import sys

    from conftest import clean_env, sign_in

    db = str(tmp_path / "store.sqlite3")
    nothing = subprocess.run([sys.executable, "-m", "rehabkit", "serve", "--check", "--db", db],
                             capture_output=True, text=True, env=clean_env())  # fmt: skip
    assert nothing.returncode == 1 and "there is no session store" in nothing.stderr  # staff add makes it
    assert not (tmp_path / "store.sqlite3").exists()
    sign_in(db)
    checked = subprocess.run([sys.executable, "-m", "rehabkit", "serve", "--check", "--db", db],
                             capture_output=True, text=True, env=clean_env())  # fmt: skip
    assert checked.returncode == 0 and "http://127.0.0.1:8000/" in checked.stdout, checked.stderr
    code = (
        "import sys\nsys.modules['uvicorn'] = None\nfrom rehabkit.cli import main\n"
        f"main(['serve', '--check', '--db', {db!r}])\n"
    )
    missing = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env())
    assert missing.returncode == 2 and "pip install 'rehabkit[serve]'" in missing.stderr, missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_session_open_in_the_browser_holds_the_patients_lock(cli, rehabkit, tmp_path) -> None:
    """From the start of the session to its end, 'rehabkit run' for the same patient is refused as busy (exit 8), as
    for a second terminal; after the decision it runs."""
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    file = tmp_path / "answers.yaml"
    file.write_text(yaml.safe_dump(CALM))
    run = ("run", "neck-pain", "--patient", "P-1", "--answers", str(file), "--date", DAY.isoformat(), "--db", db)
    with signed_in_client(app_for(db), invite(cli, db)) as client:
        page = client.post("/session/start", headers=ORIGIN).text
        busy = rehabkit(*run)
        assert busy.returncode == 8 and "a session in the browser" in busy.stderr, busy.stderr
        answer_through(client, page, CALM)
        assert records(db, "P-1")["sessions"][0][1] == "complete"
    assert rehabkit(*run).returncode != 8


def test_a_refused_start_after_a_session_lets_go_of_the_lock(cli, rehabkit, tmp_path) -> None:
    """A red flag pauses the course; starting again in the browser is refused (course stopped), and the refusal
    leaves the patient's lock free: 'rehabkit run' says the course is stopped (exit 6), not busy (exit 8)."""
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    file = tmp_path / "answers.yaml"
    file.write_text(yaml.safe_dump(CALM))
    run = ("run", "neck-pain", "--patient", "P-1", "--answers", str(file), "--date", DAY.isoformat(), "--db", db)
    with signed_in_client(app_for(db), invite(cli, db)) as client:
        walk(client, {**CALM, "screening": {"all": True}})
        again = client.post("/session/start", headers=ORIGIN).text
        assert "No session runs until a clinician records a review" in again and step_of(again) is None
        assert rehabkit(*run).returncode == 6


def test_stopping_the_server_keeps_the_answers_and_marks_the_session_incomplete(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    app = app_for(db)
    with signed_in_client(app, invite(cli, db)) as client:
        page = client.post("/session/start", headers=ORIGIN).text
        client.post("/session/answer", data={"step": step_of(page), "answer": "no"}, headers=ORIGIN)
    stored = records(db, "P-1")
    assert [s[1] for s in stored["sessions"]] == ["incomplete"] and len(stored["answers"][0]) == 1
    with signed_in_client(app_for(db), invite(cli, db)) as client:  # started again: a new session, from the start
        last = walk(client, CALM)
    assert "Decision: " in last
    assert [s[1] for s in records(db, "P-1")["sessions"]] == ["incomplete", "complete"]


def test_too_many_links_that_cannot_sign_in_from_one_address_must_wait(cli, tmp_path) -> None:
    """Ten refused links from one address, and even a good link from there waits (429, nothing recorded); the
    good link still signs in from another address."""
    from rehabkit._web.common import MOST_FAILED_LINKS

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    token = invite(cli, db)
    app = app_for(db)
    with TestClient(app) as client:
        for n in range(MOST_FAILED_LINKS):
            assert client.post("/sign-in", data={"token": f"guess-{n}"}, headers=ORIGIN).status_code == 410
        waits = client.post("/sign-in", data={"token": token}, headers=ORIGIN)
        assert waits.status_code == 429 and "Wait a quarter of an hour" in waits.text
        assert client.get(f"/sign-in/{token}").status_code == 429
    with TestClient(app, client=("192.0.2.7", 4000), follow_redirects=False) as elsewhere:
        signed = elsewhere.post("/sign-in", data={"token": token}, headers=ORIGIN)
        assert signed.status_code == 303 and signed.headers["location"] == "/session"


def test_a_course_whose_protocol_is_not_installed_is_a_page_not_a_server_error(cli, tmp_path, monkeypatch) -> None:
    # The clinic uninstalls (or blocks) the pack a patient's course is in: the patient is told to contact the clinic,
    # nothing is recorded, and the server goes on serving.
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db, "P-1")
    token = invite(cli, db, "P-1")
    before = records(db, "P-1")
    monkeypatch.setenv("REHABKIT_BLOCK_PLUGINS", "neck")
    with signed_in_client(app_for(db), token) as client:
        for _ in range(2):  # and again: the server goes on answering
            response = client.post("/session/start", headers=ORIGIN)
            assert response.status_code == 503, response.text
            assert "contact your clinic" in response.text and "Traceback" not in response.text
        assert client.get("/progress").status_code == 200
    assert records(db, "P-1") == before
