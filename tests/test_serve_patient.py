"""rehabkit serve, the patient's pages besides today's session: the next-morning check-in and their own pain chart.

Through Starlette's test client against the application 'rehabkit serve' builds (the real store, the installed packs,
the terminal's words). The check-in stores what 'rehabkit next-day' stores and says what it says, on a twin patient.
"""

from __future__ import annotations

import datetime
import html
import re

import pytest
import yaml

pytest.importorskip("starlette", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")

from starlette.testclient import TestClient
from test_serve import CALM, DAY, ORIGIN, app_for, invite, patient_on_course, sign_in_with, signed_in_client

from conftest import TEST_CLINICIAN, sign_in

MORNING = DAY + datetime.timedelta(days=1)


def _run(cli, db: str, patient: str, tmp_path, answers=CALM, day: datetime.date = DAY) -> None:
    file = tmp_path / f"answers-{patient}.yaml"
    file.write_text(yaml.safe_dump(answers))
    sign_in(db, TEST_CLINICIAN)
    result = cli("run", "neck-pain", "--patient", patient, "--answers", str(file), "--date", day.isoformat(),
                 "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output


def _mornings(db: str, patient: str) -> dict[str, object]:
    """A patient's next-morning reports and course events, with session ids as the session's date (to compare twins)."""
    from rehabkit._sessions.backends import open_store

    with open_store(db, create=False) as store:
        dates = {s.id: s.date for s in store.sessions(patient)}
        reports = [(dates[session], day, pain, settled) for session, day, pain, settled in store.next_days(patient)]
        events = [(e.kind, e.phase, e.date) for e in store.events(patient)]
        return {"reports": reports, "events": events, "sessions": len(dates)}


def _paragraphs(page: str) -> list[str]:
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", page)]


def test_the_morning_check_in_stores_and_says_what_next_day_does(cli, store_db, tmp_path) -> None:
    """P-1 checks in from the browser and P-2, their twin, with 'rehabkit next-day': the same report, the same
    events, and the page says the terminal's lines (its rule fired: the next plan one step lower)."""
    for patient in ("P-1", "P-2"):
        patient_on_course(cli, store_db, patient)
        _run(cli, store_db, patient, tmp_path)
    with signed_in_client(app_for(store_db, MORNING), invite(cli, store_db, "P-1")) as client:
        page = client.get("/morning").text
        assert "Pain this morning" in page and f"your session of {DAY.isoformat()}" in page
        page = client.post("/morning", data={"answer": "5", "settled": "4"}, headers=ORIGIN).text
    sign_in(store_db, TEST_CLINICIAN)
    terminal = cli("next-day", "P-2", "--pain", "5", "--settled-after-hours", "4", "--date", MORNING.isoformat(),
                   "--db", store_db)  # fmt: skip
    assert terminal.exit_code == 0, terminal.output
    said = [line.strip().replace("P-2", "P-1") for line in terminal.stdout.splitlines() if line.strip()]
    assert said and "one step lower" in said[-1]
    shown = _paragraphs(page)
    assert shown[: len(said)] == said
    assert _mornings(store_db, "P-1") == _mornings(store_db, "P-2")
    assert _mornings(store_db, "P-1")["reports"] == [(DAY, MORNING.isoformat(), 5.0, 4.0)]


def test_a_morning_after_no_session_records_nothing_and_says_why(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    _run(cli, db, "P-1", tmp_path)
    later = DAY + datetime.timedelta(days=3)  # the last session was three days ago
    with signed_in_client(app_for(db, later), invite(cli, db)) as client:
        page = client.get("/morning").text
        assert "the morning check-in is for the morning after a session" in page and "<form" not in page.split(
            "<nav")[0]  # fmt: skip
        page = client.post("/morning", data={"answer": "3"}, headers=ORIGIN).text
        assert "the morning check-in is for the morning after a session" in page
        assert "Traceback" not in page
    assert _mornings(db, "P-1")["reports"] == []


def test_a_morning_check_in_with_a_wrong_number_is_asked_again(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    _run(cli, db, "P-1", tmp_path)
    with signed_in_client(app_for(db, MORNING), invite(cli, db)) as client:
        for data in ({"answer": "11"}, {"answer": "x"}, {"answer": "3", "settled": "100"}, {"answer": "nan"}):
            page = client.post("/morning", data=data, headers=ORIGIN).text
            assert "Choose a number from 0 (no pain) to 10" in page and "Pain this morning" in page
    assert _mornings(db, "P-1")["reports"] == []


def test_the_patients_pain_chart_shows_every_value_in_a_picture_and_a_table(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    with TestClient(app_for(db, MORNING), follow_redirects=True) as client:
        sign_in_with(client, invite(cli, db))
        empty = client.get("/progress").text
        assert "No pain recorded yet" in empty and "<svg" not in empty
    _run(cli, db, "P-1", tmp_path, {**CALM, "pain_before": 3, "pain_after": 4})
    sign_in(db, TEST_CLINICIAN)
    assert cli("next-day", "P-1", "--pain", "2", "--date", MORNING.isoformat(), "--db", db).exit_code == 0
    with signed_in_client(app_for(db, MORNING), invite(cli, db)) as client:
        response = client.get("/progress")
    page = response.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img"' in page
    assert "<title" in page and "The table below gives every value." in page
    row = re.search(r"<tr><th scope=\"row\">" + DAY.isoformat() + r"</th>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>(.*?)</td>", row) == ["3", "4", "2"]
    assert "<script>" not in page and "P-1" not in page  # no inline script, no patient id on the page
    assert "unsafe-" not in response.headers["content-security-policy"]


def test_a_repeated_idempotency_key_returns_the_first_result_and_stores_nothing_new(cli, tmp_path) -> None:
    """An answer sent again with its key (a queue of answers given offline, sent twice) is not stored again, where
    the step would take it again: a morning report, and pain reported within the limit during an exercise."""
    from test_serve import answer_through, step_of

    from rehabkit._sessions.backends import open_store

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    _run(cli, db, "P-1", tmp_path)
    with signed_in_client(app_for(db, MORNING), invite(cli, db)) as client:
        for _ in range(2):
            page = client.post("/morning", data={"answer": "3", "key": "k-morning"}, headers=ORIGIN).text
            assert "recorded for P-1" in page or "Morning check-in" in page
        assert len(_mornings(db, "P-1")["reports"]) == 1
        page = client.post("/session/start", headers=ORIGIN).text
        while not step_of(page).startswith("exercise:"):
            page = answer_through_one(client, page)
        step = step_of(page)
        for key in ("k-1", "k-1", "k-2"):
            data = {"step": step, "answer": "0", "hurts": "1", "key": key}
            assert step_of(client.post("/session/answer", data=data, headers=ORIGIN).text) == step
        answer_through(client, client.get("/session").text, CALM)
    with open_store(db, create=False) as store:
        session = store.sessions("P-1")[-1]
        during = [a for a in store.answers(session.id) if a[0] == "pain-during" and a[1] == step.split(":")[1]]
    assert [value for *_, value in during] == [0.0, 0.0, 1.0]  # k-1 once, k-2, then the pain after it


def answer_through_one(client, page: str) -> str:
    """Answer the page's step (no to a question, 2 for pain before)."""
    from test_serve import step_of

    step = step_of(page)
    answer = "no" if step.startswith("question:") else "2"
    return client.post("/session/answer", data={"step": step, "answer": answer}, headers=ORIGIN).text


def test_a_key_sent_with_an_unrecorded_answer_leaves_its_retry_free(cli, tmp_path) -> None:
    """A first attempt that recorded nothing (a wrong number) does not use up its idempotency key: the retry with
    the same key records the answer (it was a silent no-op). Morning check-in and pain during an exercise."""
    from test_serve import step_of

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    _run(cli, db, "P-1", tmp_path)
    with signed_in_client(app_for(db, MORNING), invite(cli, db)) as client:
        client.post("/morning", data={"answer": "x", "key": "k-m"}, headers=ORIGIN)
        client.post("/morning", data={"answer": "3", "key": "k-m"}, headers=ORIGIN)
        assert len(_mornings(db, "P-1")["reports"]) == 1
        page = client.post("/session/start", headers=ORIGIN).text
        step = step_of(page)
        assert step.startswith("question:")
        client.post("/session/answer", data={"step": step, "answer": "maybe", "key": "k-q"}, headers=ORIGIN)
        page = client.post("/session/answer", data={"step": step, "answer": "no", "key": "k-q"}, headers=ORIGIN).text
        assert step_of(page) != step  # the retry was recorded: the patient moved on


def test_a_queued_answer_for_another_step_is_refused_409_and_not_recorded(cli, tmp_path) -> None:
    """A keyed (queued offline) answer whose step is not the patient's is 409 with words saying it was not recorded,
    so the device drops it and tells the patient (it was a redirect, which the device took as sent)."""
    from test_serve import step_of

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    with signed_in_client(app_for(db, DAY), invite(cli, db)) as client:
        step = step_of(client.post("/session/start", headers=ORIGIN).text)
        response = client.post("/session/answer", data={"step": "pain-after", "answer": "2", "key": "k-old"},
                               headers=ORIGIN)  # fmt: skip
        assert response.status_code == 409 and "was not recorded" in html.unescape(response.text)
        assert step_of(client.get("/session").text) == step
        plain = client.post("/session/answer", data={"step": "pain-after", "answer": "2"}, headers=ORIGIN)
        assert plain.status_code == 200 and step_of(plain.text) == step  # a form without the script: as before


def test_patient_sign_out_ends_the_session_on_the_server_and_no_nav_in_the_title(cli, tmp_path) -> None:
    """Signing out ends the web session itself: its cookie, kept or copied, no longer signs in (it only lost the
    cookie). The start and outcome pages' <title> is plain words (it held the navigation's markup)."""
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    app = app_for(db, DAY)
    with TestClient(app, follow_redirects=True) as client:
        cookie = sign_in_with(client, invite(cli, db))
        title = re.search(r"<title>(.*?)</title>", client.get("/session").text, re.S).group(1)
        assert title == "Today's session · rehabkit"
        assert client.post("/sign-out", headers=ORIGIN).status_code == 200
    with TestClient(app, follow_redirects=False, cookies={"rehabkit-session": cookie}) as copied:
        assert copied.get("/session").status_code == 401


def _tag(page: str) -> str:
    return re.search(r'<meta name="rehabkit-tag" content="([0-9a-f]+)">', page).group(1)


def test_on_a_shared_device_a_queued_answer_of_the_last_patient_is_refused_not_recorded_for_the_next(
    cli, tmp_path
) -> None:
    """Pages carry an opaque tag of the sign-in (not the patient's id); a queued answer posted under another
    sign-in's tag is 409 and records nothing (P-1's answer was recorded for P-2 who signed in after); a successful
    sign-in clears the pages kept on the device (Clear-Site-Data: "cache")."""
    from test_serve import step_of

    db = str(tmp_path / "store.sqlite3")
    for patient in ("P-1", "P-2"):
        patient_on_course(cli, db, patient)
    with TestClient(app_for(db, DAY), follow_redirects=True) as client:
        sign_in_with(client, invite(cli, db, "P-1"))
        first = client.post("/session/start", headers=ORIGIN).text
        tag_1, step = _tag(first), step_of(first)
        assert "P-1" not in first
        signed = client.post("/sign-in", data={"token": invite(cli, db, "P-2")}, headers=ORIGIN,
                             follow_redirects=False)  # fmt: skip
        assert signed.headers["clear-site-data"] == '"cache"'
        second = client.post("/session/start", headers=ORIGIN).text
        tag_2 = _tag(second)
        assert tag_2 != tag_1 and step_of(second) == step
        queued = {"step": step, "answer": "yes", "key": "k-of-p1", "tag": tag_1}
        response = client.post("/session/answer", data=queued, headers=ORIGIN)
        assert response.status_code == 409 and "was not recorded" in html.unescape(response.text)
        assert step_of(client.get("/session").text) == step  # nothing recorded for P-2
        page = client.post("/session/answer", data={**queued, "answer": "no", "tag": tag_2}, headers=ORIGIN).text
        assert step_of(page) != step
        morning = client.post("/morning", data={"answer": "9", "key": "k-m", "tag": tag_1}, headers=ORIGIN)
        assert morning.status_code == 409


def test_safety_steps_need_the_connection_and_this_hurts_posts_its_pain_out_of_the_url(cli, tmp_path) -> None:
    """The new-symptom question names no page to show next offline (its "yes" must show the pause words, not "sent
    later") and says it needs the connection; "This hurts" is a POST form (the sets done are no URL) that, offline,
    tells the patient to stop the exercise and reconnect to report pain."""
    from test_serve import step_of

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    with signed_in_client(app_for(db, DAY), invite(cli, db)) as client:
        page = client.post("/session/start", headers=ORIGIN).text
        while not step_of(page).startswith("exercise:"):
            page = answer_through_one(client, page)
        hurts = re.search(r"<form[^>]*hurts-form[^>]*>", page).group(0)
        assert 'method="post"' in hurts and "Stop this exercise now" in html.unescape(hurts)
        while step_of(page) != "new-symptom":
            page = client.post("/session/answer", data={"step": step_of(page), "answer": "1"}, headers=ORIGIN).text
        form = re.search(r"<form[^>]*>", page.split("</h1>")[-1]).group(0)
        assert "data-next" not in form and "needs the connection" in html.unescape(form)
