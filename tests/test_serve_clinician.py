"""rehabkit serve, the clinician's patient page finished: withdrawing an approval and transcribing a surgeon's letter
as 'rehabkit approve' does, the patient's files (handout, report, calendar, FHIR) as the terminal writes them, the
course report's charts, and a sign-in link's QR code on the printed handout.

Routes go through Starlette's test client against the application 'rehabkit serve' builds on a real store.
"""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest

pytest.importorskip("starlette", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")
pytest.importorskip("argon2", reason="staff passwords need the serve extra (pip install -e '.[serve]')")

from starlette.testclient import TestClient
from test_serve import DAY, ORIGIN, app_for, patient_on_course, sign_in_with
from test_serve_staff import add_staff, open_store_of, patient_link_any, signed_in_staff

from conftest import TEST_CLINICIAN, sign_in


def approvals(db: str, patient: str) -> list[tuple]:
    with open_store_of(db) as store:
        return [(e.protocol, e.phase, e.date, e.detail) for e in store.events(patient) if e.kind == "approval"]


def test_a_withdrawal_from_the_patients_page_stores_what_rehabkit_approve_withdraw_stores(cli, store_db) -> None:
    for patient in ("P-1", "P-2"):
        patient_on_course(cli, store_db, patient)
    add_staff(cli, store_db)
    sign_in(store_db, TEST_CLINICIAN, ("admin", "clinician"))
    done = cli("approve", "P-2", "--phase", "acute", "--withdraw", "--date", DAY.isoformat(), "--db", store_db)
    assert done.exit_code == 0, done.output
    with signed_in_staff(app_for(store_db)) as client:
        link = patient_link_any(client, "P-1")
        page = client.get(link).text
        assert "Withdraw an approval" in page and "Transcribe a surgeon" in page
        withdrawn = client.post(link + "/approve", data={"phase": "acute", "kind": "clinician-approval",
                                                         "withdraw": "1"}, headers=ORIGIN)  # fmt: skip
    assert withdrawn.status_code == 200, withdrawn.text
    said = done.stdout.splitlines()[0].replace("P-2", "P-1").replace(TEST_CLINICIAN, "PT-9")
    assert said in html.unescape(withdrawn.text) and "(withdrawn)" in said
    assert approvals(store_db, "P-1") == approvals(store_db, "P-2")


def test_a_transcribed_surgeons_clearance_stores_what_rehabkit_approve_surgeon_stores(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    sign_in(db, TEST_CLINICIAN, ("admin", "clinician", "surgeon"))
    surgery = (DAY - datetime.timedelta(days=3)).isoformat()
    for patient in ("P-5", "P-6"):
        done = cli("approve", patient, "--protocol", "post-surgical-lumbar", "--phase", "acute", "--kind",
                   "surgeon-clearance", "--surgery-date", surgery, "--date", DAY.isoformat(), "--db", db)  # fmt: skip
        assert done.exit_code == 0, done.output
    add_staff(cli, db)
    sign_in(db, "PT-7", ("physiotherapist",))
    letter = ("--surgeon", "Dr Bone", "--evidence", "letter of 2026-10-30")
    terminal = cli("approve", "P-6", "--phase", "recovery", "--kind", "surgeon-clearance", *letter,
                   "--date", DAY.isoformat(), "--db", db)  # fmt: skip
    assert terminal.exit_code == 0, terminal.output
    half = cli("approve", "P-6", "--phase", "recovery", "--kind", "surgeon-clearance", "--surgeon", "Dr Bone",
               "--db", db)  # fmt: skip
    assert half.exit_code == 2
    with signed_in_staff(app_for(db)) as client:
        link = patient_link_any(client, "P-5")
        form = {"phase": "recovery", "kind": "surgeon-clearance", "surgeon": "Dr Bone"}
        refused = client.post(link + "/approve", data=form, headers=ORIGIN)
        multi = client.post(link + "/approve", data={**form, "evidence": "two\nlines"}, headers=ORIGIN)
        done = client.post(link + "/approve", data={**form, "evidence": "letter of 2026-10-30"}, headers=ORIGIN)
    assert refused.status_code == 400 and "give --surgeon NAME and --evidence TEXT" in html.unescape(refused.text)
    assert multi.status_code == 400 and "one line of printable text" in multi.text
    assert done.status_code == 200, done.text
    for line in terminal.stdout.splitlines():
        assert line.replace("P-6", "P-5").replace("PT-7", "PT-9") in html.unescape(done.text)
    assert approvals(db, "P-5") == approvals(db, "P-6")


def test_the_forms_follow_the_roles_and_a_withdrawal_by_an_admin_is_refused_in_the_terminals_words(
    cli, tmp_path
) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    add_staff(cli, db, "AD-1", role="admin")
    sign_in(db, "AD-2", ("admin",))
    terminal = cli("approve", "P-1", "--phase", "acute", "--withdraw", "--db", db)
    assert terminal.exit_code == 9
    with signed_in_staff(app_for(db), "AD-1") as admin:
        link = patient_link_any(admin, "P-1")
        page = admin.get(link).text
        refused = admin.post(link + "/approve", data={"phase": "acute", "kind": "clinician-approval",
                                                      "withdraw": "1"}, headers=ORIGIN)  # fmt: skip
    assert "Withdraw an approval" not in page and "Transcribe" not in page and "Approve a gate" not in page
    assert "Downloads" in page  # an admin may export a patient's data (who_may_act: export-patient)
    words = terminal.stderr.strip().removeprefix("rehabkit: not permitted: ").replace("AD-2", "AD-1")
    assert refused.status_code == 403 and words in html.unescape(refused.text)
    assert len(approvals(db, "P-1")) == 1


def _download(client: TestClient, page: str, what: str, **more: str):
    return client.post(page + "/download", data={"what": what, **more}, headers=ORIGIN)


def test_the_patients_files_download_as_the_terminal_writes_them_attached_and_not_cached(
    cli, store_db, tmp_path
) -> None:
    patient_on_course(cli, store_db)
    add_staff(cli, store_db)
    day = ("--date", DAY.isoformat(), "--db", store_db)
    files = {"handout-html": tmp_path / "h.html", "calendar": tmp_path / "c.ics"}
    assert cli("handout", "--patient", "P-1", "-o", str(files["handout-html"]), *day).exit_code == 0
    assert cli("calendar", "P-1", "-o", str(files["calendar"]), *day).exit_code == 0
    exported = cli("export", "--patient", "P-1", "--fhir", "r5", *day)
    assert exported.exit_code == 0, exported.output
    with signed_in_staff(app_for(store_db)) as client:
        link = patient_link_any(client, "P-1")
        got = {what: _download(client, link, what) for what in ("handout-html", "calendar", "report-html", "fhir-r5")}
    for what, response in got.items():
        assert response.status_code == 200, (what, response.text)
        assert response.headers["content-disposition"].startswith('attachment; filename="P-1-')
        assert response.headers["cache-control"] == "no-store"
    assert got["handout-html"].content == files["handout-html"].read_bytes()
    assert _calendar_events(got["calendar"].content) == _calendar_events(files["calendar"].read_bytes())
    assert "Pain at each session" in got["report-html"].text
    assert _fhir_resources(got["fhir-r5"].json()) == _fhir_resources(json.loads(exported.stdout))
    with open_store_of(store_db) as store:
        exports = [
            e for e in store.audit_entries() if e.patient == "P-1" and e.actor == "PT-9" and e.action == "export"
        ]
    assert len(exports) == 4  # each download is an export in the audit trail, in the clinician's name


def _calendar_events(data: bytes) -> list[tuple[str, str]]:
    import icalendar

    return [
        (str(e.get("summary")), e.decoded("dtstart").isoformat())
        for e in icalendar.Calendar.from_ical(data).walk("VEVENT")
    ]


def _fhir_resources(bundle: dict) -> list[str]:
    return sorted(entry["resource"]["resourceType"] for entry in bundle["entry"])


def test_a_paused_courses_handout_is_refused_in_the_terminals_words_and_the_report_still_downloads(
    cli, tmp_path
) -> None:
    import yaml
    from test_serve import CALM

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({**CALM, "screening": {"all": True}}))
    cli("run", "neck-pain", "--patient", "P-1", "--answers", str(answers), "--date", DAY.isoformat(), "--db", db)
    terminal = cli("handout", "--patient", "P-1", "-o", str(tmp_path / "h.html"), "--date", DAY.isoformat(),
                   "--db", db)  # fmt: skip
    assert terminal.exit_code == 6
    add_staff(cli, db)
    with signed_in_staff(app_for(db)) as client:
        link = patient_link_any(client, "P-1")
        refused = _download(client, link, "handout-html")
        report = _download(client, link, "report-html")
    assert refused.status_code == 409 and "attachment" not in refused.headers.get("content-disposition", "")
    for line in terminal.stderr.strip().splitlines():
        assert line.strip() in html.unescape(refused.text)
    assert report.status_code == 200


def test_the_patients_page_shows_the_course_reports_charts(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    add_staff(cli, db)
    with signed_in_staff(app_for(db)) as client:
        page = client.get(patient_link_any(client, "P-1")).text
    assert page.count('role="img"') >= 2 and "<title" in page and "Pain at each session" in page
    assert "style=" not in page  # the charts keep to the page's Content-Security-Policy (no inline style)


def test_a_handout_with_a_sign_in_link_prints_its_qr_code_and_the_link_signs_the_patient_in(cli, tmp_path) -> None:
    from rehabkit._outputs.qr import qr_data_uri

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    add_staff(cli, db)
    app = app_for(db)
    with signed_in_staff(app) as client:
        link = patient_link_any(client, "P-1")
        plain = _download(client, link, "handout-html")
        linked = _download(client, link, "handout-html", link="1")
    assert "/sign-in/" not in plain.text and "QR code" not in plain.text
    url = re.search(r"(http://testserver/sign-in/[A-Za-z0-9_-]+)", linked.text).group(1)
    assert f'src="{qr_data_uri(url, "Your sign-in link")}"' in linked.text
    with TestClient(app) as patient:
        sign_in_with(patient, url.rsplit("/", 1)[1])
    with open_store_of(db) as store:
        assert [kind for kind, _ in store.sign_ins_of("P-1")] == ["link", "exchange"]


def test_a_download_needs_a_staff_cookie_not_a_patients(cli, tmp_path) -> None:
    from test_serve import invite

    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    token = invite(cli, db)
    add_staff(cli, db)
    app = app_for(db)
    with signed_in_staff(app) as staff:
        page = patient_link_any(staff, "P-1")
    with TestClient(app) as client:
        assert _download(client, page, "handout-html").status_code == 401
        sign_in_with(client, token)
        refused = _download(client, page, "fhir-r5")
        assert refused.status_code == 401 and "content-disposition" not in refused.headers


def test_the_overview_and_rehabkit_clinic_page_the_same_ranking(cli, tmp_path, monkeypatch) -> None:
    """Pages of --limit N, read one after the other, are the whole ranking, numbered from the first page on; the
    overview's pages of 50 likewise; a page past the last is refused, saying how many there are."""
    from rehabkit._web import staff_pages

    db = str(tmp_path / "store.sqlite3")
    for n in range(5):
        patient_on_course(cli, db, f"P-{n}")
    add_staff(cli, db)
    later = ("--date", (DAY + datetime.timedelta(days=30)).isoformat(), "--db", db)
    whole = json.loads(cli("clinic", "--format", "json", *later).stdout)["courses"]
    assert len(whole) == 5
    for limit in (1, 2, 3, 5, 7):
        paged = []
        for page in range(1, -(-5 // limit) + 1):
            got = json.loads(
                cli("clinic", "--format", "json", "--limit", str(limit), "--page", str(page), *later).stdout
            )
            assert got["courses_in_all"] == 5 and got["page"] == page
            paged += got["courses"]
        assert paged == whole, limit
    text = cli("clinic", "--limit", "2", "--page", "2", *later).stdout
    assert "Courses 3-4 of 5 (page 2 of 3)" in text and f"3. {whole[2]['patient']}" in text
    past = cli("clinic", "--limit", "2", "--page", "4", *later)
    assert past.exit_code == 2 and "there are 3 pages of 2 courses (5 in all)" in past.output
    assert cli("clinic", "--page", "2", *later).exit_code == 2
    monkeypatch.setattr(staff_pages, "OVERVIEW_PAGE", 2)  # pages of 2 rather than 50, to need only 5 patients
    with signed_in_staff(app_for(db, DAY + datetime.timedelta(days=30))) as client:
        shown = []
        for page in (1, 2, 3):
            text = client.get(f"/staff/clinic?page={page}").text
            shown += re.findall(r'<a href="/staff/patients/[0-9a-f]+">([^<]+)</a>', text)
            assert ("Next page" in text) == (page < 3) and ("Previous page" in text) == (page > 1)
        assert "page 3 of 3" in client.get("/staff/clinic?page=99").text  # past the last: the last
    assert shown == [course["patient"] for course in whole]


def test_a_pdf_handout_downloads_when_the_pdf_extra_is_there(cli, tmp_path) -> None:
    pytest.importorskip("weasyprint", reason="PDF needs the pdf extra (pip install -e '.[pdf]')")
    db = str(tmp_path / "store.sqlite3")
    patient_on_course(cli, db)
    add_staff(cli, db)
    with signed_in_staff(app_for(db)) as client:
        link = patient_link_any(client, "P-1")
        assert 'value="handout-pdf"' in client.get(link).text
        pdf = _download(client, link, "handout-pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-disposition"].endswith('handout.pdf"')
