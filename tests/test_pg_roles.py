"""Who may act on a PostgreSQL store: real logins on the throwaway server, each mapped (or not) to a staff member.

The store's owner registers the staff; ``staff add --db-role`` grants a login what rehabkit needs and nothing more. A
login registered as no one reads nothing and writes nothing; a physiotherapist's login never gives a surgeon's
clearance; a disabled person's login loses what it was granted. Every command is the real ``rehabkit``.
"""

from __future__ import annotations

import itertools
import json

import pytest
import yaml

from conftest import REPO  # noqa: F401 - the suite's conftest (fixtures) is loaded for these tests too

_LOGINS = itertools.count(1)


def _answers(tmp_path) -> str:
    path = tmp_path / "calm.yaml"
    answers = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2}
    path.write_text(yaml.safe_dump({**answers, "new_symptom": False}))
    return str(path)


@pytest.fixture
def logins(pg_server, pg_url):
    """Three new logins on the server (a physiotherapist's, a surgeon's, a stranger's) and the URL of each."""
    made = {}
    for name in ("pt", "dr", "stranger"):
        login = f"{name}_{next(_LOGINS)}_{pg_url.rsplit('/', 1)[1].split('?')[0]}".lower()
        pg_server.psql("postgres", f"CREATE ROLE {login} LOGIN")
        made[name] = (login, pg_url.replace(f"//{pg_server.role}@", f"//{login}@", 1))
    yield made
    database = pg_url.rsplit("/", 1)[1].split("?")[0]
    pg_server.drop_database(database)  # the privileges go with it, then the roles
    for login, _ in made.values():
        pg_server.psql("postgres", f"DROP ROLE IF EXISTS {login}")


def test_logins_act_as_the_staff_they_are_registered_as_and_a_stranger_as_no_one(
    rehabkit, pg_url, logins, tmp_path
) -> None:
    calm = _answers(tmp_path)
    (pt, pt_url), (dr, dr_url), (_, stranger_url) = logins["pt"], logins["dr"], logins["stranger"]
    owner = rehabkit("staff", "add", "ADM-1", "--role", "clinician", "--db", pg_url, as_staff=False)
    assert owner.returncode == 0 and "admin too" in owner.stdout, owner.stderr
    for staff, role, login in (("PT-1", "physiotherapist", pt), ("DR-1", "surgeon", dr)):
        added = rehabkit("staff", "add", staff, "--role", role, "--db-role", login, "--db", pg_url, as_staff=False)
        assert added.returncode == 0, added.stderr

    # A login no one registered reads nothing and writes nothing.
    for args in (
        ("history", "P1"),
        ("clinic",),
        ("run", "neck-pain", "--patient", "P1", "--answers", calm),
        ("staff", "add", "X-1", "--role", "admin"),
    ):
        refused = rehabkit(*args, "--db", stranger_url, as_staff=False)
        assert refused.returncode == 9, (args, refused.stdout, refused.stderr)
        assert "Traceback" not in refused.stderr

    # The physiotherapist's login: their own approvals and sessions, never the surgeon's clearance, no staff changes.
    gate = ("approve", "C1", "--protocol", "post-surgical-lumbar", "--phase", "acute", "--kind", "surgeon-clearance")
    claimed = rehabkit(*gate, "--surgery-date", "2026-10-01", "--db", pt_url, as_staff=False)
    assert claimed.returncode == 9 and "may not give the surgeon's clearance" in claimed.stderr
    assert rehabkit("staff", "add", "PT-2", "--role", "physiotherapist", "--db", pt_url, as_staff=False).returncode == 9
    assert rehabkit("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--db", pt_url,
                    as_staff=False).returncode == 0  # fmt: skip
    assert rehabkit("run", "neck-pain", "--patient", "P1", "--answers", calm, "--db", pt_url,
                    as_staff=False).returncode == 0  # fmt: skip

    # The surgeon's login gives the clearance, recorded in the surgeon's name from the surgeon's login.
    given = rehabkit(*gate, "--surgery-date", "2026-10-01", "--db", dr_url, as_staff=False)
    assert given.returncode == 0 and "by DR-1" in given.stdout, given.stderr
    entries = json.loads(rehabkit("audit", "show", "--format", "json", "--db", pg_url).stdout)
    assert {(e["actor"], e["account"]) for e in entries if e["table"] == "course_events"} >= {
        ("DR-1", dr),
        ("PT-1", pt),
    }
    assert rehabkit("audit", "verify", "--db", pg_url).returncode == 0

    # Disabled: the login loses what it was granted.
    assert rehabkit("staff", "disable", "PT-1", "--db", pg_url, as_staff=False).returncode == 0
    for args in (("history", "P1"), ("run", "neck-pain", "--patient", "P1", "--answers", calm, "--date", "2026-12-01")):
        assert rehabkit(*args, "--db", pt_url, as_staff=False).returncode == 9, args


def test_a_physiotherapists_login_makes_sign_in_links_also_on_a_store_upgraded_to_schema_9(
    rehabkit, pg_server, pg_url, logins
) -> None:
    """Schema 9's sign-in links' table is granted to the staff logins registered before it existed, so that a
    physiotherapist's login can run 'rehabkit invite' after 'db upgrade' as before it."""
    pt, pt_url = logins["pt"]
    database = pg_url.rsplit("/", 1)[1].split("?")[0]
    for args in (
        ("staff", "add", "ADM-1", "--role", "clinician"),
        ("staff", "add", "PT-1", "--role", "physiotherapist", "--db-role", pt),
        ("staff", "add", "P1", "--role", "patient"),
        ("approve", "P1", "--protocol", "neck-pain", "--phase", "acute"),
    ):
        done = rehabkit(*args, "--db", pg_url, as_staff=False)
        assert done.returncode == 0, (args, done.stderr)
    # The store as schema 8 left it: no sign-in links' table (PT-1's login was granted the tables of its day).
    pg_server.psql(database, "DROP TABLE staff_sign_ins; DROP TABLE sign_ins; UPDATE rehabkit_schema SET version = 8")
    upgraded = rehabkit("db", "upgrade", "--db", pg_url, as_staff=False)
    assert upgraded.returncode == 0, upgraded.stderr
    invited = rehabkit("invite", "P1", "--db", pt_url, as_staff=False)
    assert invited.returncode == 0 and "/sign-in/" in invited.stdout, invited.stderr


def test_a_physiotherapists_login_sets_their_password_also_on_a_store_upgraded_to_schema_10(
    rehabkit, pg_server, pg_url, logins
) -> None:
    """Schema 10's staff passwords' table is granted to the staff logins registered before it existed: a
    physiotherapist's login sets their own password ('rehabkit staff password') after 'db upgrade'."""
    pt, pt_url = logins["pt"]
    database = pg_url.rsplit("/", 1)[1].split("?")[0]
    for args in (
        ("staff", "add", "ADM-1", "--role", "clinician"),
        ("staff", "add", "PT-1", "--role", "physiotherapist", "--db-role", pt),
    ):
        done = rehabkit(*args, "--db", pg_url, as_staff=False)
        assert done.returncode == 0, (args, done.stderr)
    # The store as schema 9 left it: no staff passwords' table (PT-1's login was granted the tables of its day).
    pg_server.psql(database, "DROP TABLE staff_sign_ins; UPDATE rehabkit_schema SET version = 9")
    upgraded = rehabkit("db", "upgrade", "--db", pg_url, as_staff=False)
    assert upgraded.returncode == 0, upgraded.stderr
    done = rehabkit("staff", "password", "PT-1", "--password-stdin", "--db", pt_url, as_staff=False,
                    input="correct horse battery staple\n")  # fmt: skip
    assert done.returncode == 0 and "password is set" in done.stdout, done.stderr
