"""rehabkit serve's staff sign-in hardened: the lock-out and the session's length as settings of the command, an
unknown staff id refused with the same Argon2 work as a wrong password, and the check on every form behind a reverse
proxy that terminates TLS (uvicorn's proxy headers, trusted from the proxy's addresses only), in a real server.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator

import pytest

pytest.importorskip("uvicorn", reason="rehabkit serve needs the serve extra (pip install -e '.[serve]')")
pytest.importorskip("argon2", reason="staff passwords need the serve extra (pip install -e '.[serve]')")

from test_serve_browser import _free_port, _wait_until_it_answers
from test_serve_staff import PASSWORD, add_staff, staff_rows

from conftest import clean_env

PUBLIC = "rehab.example.org"


def _serve(db: str, *options: str, **env: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    command = [sys.executable, "-m", "rehabkit", "serve", "--db", db, "--port", str(port), *options]
    process = subprocess.Popen(command, env=clean_env(PYTHONUNBUFFERED="1", **env), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    _wait_until_it_answers(process, f"http://127.0.0.1:{port}/")
    return process, port


@pytest.fixture
def staff_db(cli, tmp_path) -> str:
    db = str(tmp_path / "store.sqlite3")
    add_staff(cli, db)
    return db


def _link(cli, db: str) -> str:
    """P-1 on a course, registered as a patient, and a sign-in link's token for them."""
    from test_serve import invite, patient_on_course

    patient_on_course(cli, db)
    return invite(cli, db)


@pytest.fixture
def server(staff_db) -> Iterator[int]:
    """'rehabkit serve' with the lock-out after 2 refusals for 1 minute and half-hour sessions, set in its
    environment; its port."""
    process, port = _serve(staff_db, REHABKIT_STAFF_LOCKOUT_FAILURES="2", REHABKIT_STAFF_LOCKOUT_MINUTES="1",
                           REHABKIT_STAFF_SESSION_HOURS="0.5")  # fmt: skip
    try:
        yield port
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err


def _sign_in(port: int, password: str, **headers: str) -> http.client.HTTPResponse:
    """A staff sign-in form posted to the server as a browser (or a proxy before it) sends it."""
    return _post(port, "/staff/sign-in", {"staff": "PT-9", "password": password}, **headers)


def _post(port: int, path: str, form: dict[str, str], **headers: str) -> http.client.HTTPResponse:
    """A form posted to the server as a browser (or a proxy before it) sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode(form)
    sent = {"Host": f"127.0.0.1:{port}", "Origin": f"http://127.0.0.1:{port}", **headers}
    connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **sent})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_lock_out_and_the_session_length_are_settings_of_rehabkit_serve(server, staff_db) -> None:
    signed = _sign_in(server, PASSWORD)
    assert signed.status == 303 and "Max-Age=1800" in signed.getheader("set-cookie")
    assert _sign_in(server, "not the password").status == 401
    locked = _sign_in(server, "not the password")
    assert locked.status == 429  # the second refusal in a row locks it, as set
    assert _sign_in(server, PASSWORD).status == 429
    kinds = [kind for kind, *_ in staff_rows(staff_db, "PT-9")]
    assert kinds == ["password", "session", "failed", "failed", "failed"]


def test_a_sign_in_setting_out_of_range_is_refused_naming_it(cli, tmp_path) -> None:
    db = str(tmp_path / "store.sqlite3")
    refused = cli("serve", "--check", "--db", db, "--staff-lockout-failures", "0")
    assert refused.exit_code == 2 and "--staff-lockout-failures" in refused.output and "Traceback" not in refused.output
    by_env = cli("serve", "--check", "--db", db, env={"REHABKIT_STAFF_SESSION_HOURS": "a day"})
    assert by_env.exit_code == 2 and "--staff-session-hours" in by_env.output
    proxies = cli("serve", "--check", "--db", db, "--forwarded-allow-ips", "the proxy")
    assert proxies.exit_code == 2 and "'the proxy' is not an address or network" in proxies.output


def test_an_unknown_id_is_refused_with_the_same_argon2_work_as_a_wrong_password(cli, staff_db, monkeypatch) -> None:
    """Every refusal verifies one Argon2 hash (a dummy one where there is no password), so the time it takes does not
    tell which staff ids exist: counted on the real hasher, which still runs."""
    import argon2

    from rehabkit._sessions.backends import open_store
    from rehabkit._sessions.staff_sign_in import SignInRefused, sign_in_staff

    add_staff(cli, staff_db, "PT-8", password="")  # registered, no password set
    verified: list[str] = []
    real = argon2.PasswordHasher.verify

    def counted(self, encoded, password):
        verified.append(encoded.split("$")[1])
        return real(self, encoded, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted)
    with open_store(staff_db, create=False) as store:
        for staff in ("PT-9", "PT-404", "PT-8"):
            with pytest.raises(SignInRefused):
                sign_in_staff(store, staff, "not the password")
    assert verified == ["argon2id"] * 3


def test_behind_a_tls_proxy_the_last_forwarded_host_and_scheme_pass_the_form_check_from_trusted_addresses_only(
    cli, staff_db
) -> None:
    token = _link(cli, staff_db)
    forwarded = {"Origin": f"https://{PUBLIC}", "X-Forwarded-Proto": "https", "X-Forwarded-Host": PUBLIC}
    process, server = _serve(staff_db)
    try:
        signed = _sign_in(server, PASSWORD, **forwarded)
        patient = _post(server, "/sign-in", {"token": token}, **forwarded)
        unforwarded = _sign_in(server, PASSWORD, Origin=f"https://{PUBLIC}")
        elsewhere = _sign_in(server, PASSWORD, **{**forwarded, "Origin": "https://evil.example"})
        # A client's own X-Forwarded-Host comes first; the proxy appends the public name: the last value is taken.
        spoofed = {**forwarded, "X-Forwarded-Host": f"evil.example, {PUBLIC}"}
        appended = _sign_in(server, PASSWORD, **spoofed)
        spoofing = _sign_in(server, PASSWORD, **{**spoofed, "Origin": "https://evil.example"})
        cookie = patient.getheader("set-cookie").split(";")[0]
        out = _post(server, "/sign-out", {}, Cookie=cookie, **forwarded)
    finally:
        process.terminate()
        process.communicate(timeout=60)
    assert signed.status == 303, signed.status
    assert "Secure" in signed.getheader("set-cookie")  # the proxy speaks https to the browser
    assert patient.status == 303 and "Secure" in patient.getheader("set-cookie")  # the patient's cookie too
    assert unforwarded.status == 403 and elsewhere.status == 403
    assert appended.status == 303 and spoofing.status == 403
    assert out.status == 303 and "Secure" in out.getheader("set-cookie")  # deleted as it was set: over https
    process, port = _serve(staff_db, "--forwarded-allow-ips", "10.9.9.9")  # the proxy is another machine
    try:
        assert _sign_in(port, PASSWORD, **forwarded).status == 403  # headers from 127.0.0.1 are not trusted there
    finally:
        process.terminate()
        process.communicate(timeout=60)


def test_starlettes_test_client_gives_no_deprecation_warning() -> None:
    """The test extra installs httpx2, which Starlette's test client asks for (with httpx it warns)."""
    done = subprocess.run([sys.executable, "-W", "error", "-c", "import starlette.testclient"], capture_output=True,
                          text=True, env=clean_env())  # fmt: skip
    assert done.returncode == 0, done.stderr
