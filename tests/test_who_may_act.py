"""Who may act on a course (issue 25): staff and roles, the actor from the account, the gates each role may open.

Every command here is the real ``rehabkit`` on a real SQLite file. Who acts is the person registered for this
operating-system account: ``sign_in`` changes that person as an admin would (disabling the one before), which is how
a test plays a surgeon, a physiotherapist or a patient at one terminal.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from rehabkit._sessions.backends import open_store
from rehabkit._sessions.store_api import StaffChange

from conftest import sign_in

DAY = datetime.date(2026, 11, 2)


def day(n: int) -> str:
    return (DAY + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "clinic.db")


@pytest.fixture
def calm(tmp_path) -> str:
    path = tmp_path / "calm.yaml"
    answers = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2}
    path.write_text(yaml.safe_dump({**answers, "new_symptom": False}))
    return str(path)


def _urgent(tmp_path) -> str:
    path = tmp_path / "urgent.yaml"
    path.write_text(yaml.safe_dump({"screening": {"all": False, "bladder-bowel-saddle": True}}))
    return str(path)


def _sessions(db: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM sessions").fetchone()[0])


def test_a_write_with_no_registered_person_is_refused_with_the_command_that_registers_one(rehabkit, db, calm) -> None:
    for args in (
        ("run", "neck-pain", "--patient", "P1", "--answers", calm),
        ("approve", "P1", "--protocol", "neck-pain", "--phase", "acute"),
    ):
        refused = rehabkit(*args, "--db", db, "--date", day(0), as_staff=False)
        assert refused.returncode == 9, refused.stderr
        assert "rehabkit staff add YOUR-STAFF-ID --role ROLE" in refused.stderr
    assert not Path(db).exists()  # a command that records nothing creates no store (issue 29)
    first = rehabkit("staff", "add", "PT-33", "--role", "physiotherapist", "--name", "A. Physio", "--db", db)
    assert first.returncode == 0 and "admin too" in first.stdout, first.stderr
    listed = json.loads(rehabkit("staff", "list", "--format", "json", "--db", db).stdout)
    assert [(m["id"], m["roles"], m["enabled"]) for m in listed] == [("PT-33", ["physiotherapist", "admin"], True)]
    assert listed[0]["os_user"]  # this account
    assert rehabkit("staff", "whoami", "--db", db).stdout.startswith("PT-33 (physiotherapist, admin)")


def test_a_physiotherapist_never_opens_a_surgeons_gate_but_may_transcribe_a_named_surgeons_letter(
    rehabkit, db, calm
) -> None:
    assert rehabkit("staff", "add", "PT-33", "--role", "physiotherapist", "--db", db).returncode == 0
    gate = ("approve", "C33", "--protocol", "post-surgical-lumbar", "--phase", "acute", "--db", db)
    plain = rehabkit(*gate, "--surgery-date", day(-14), "--date", day(0), as_staff=False)
    assert plain.returncode == 2 and "never assumed" in plain.stderr  # no --kind: no clearance guessed
    claimed = rehabkit(*gate, "--kind", "surgeon-clearance", "--date", day(0), as_staff=False)
    assert claimed.returncode == 9 and "may not give the surgeon's clearance" in claimed.stderr
    assert "--surgeon NAME --evidence TEXT" in claimed.stderr
    run = ("run", "post-surgical-lumbar", "--patient", "C33", "--answers", calm, "--db", db)
    refused = rehabkit(*run, "--surgery-date", day(-14), "--date", day(0), as_staff=False)
    assert refused.returncode == 7 and "--kind surgeon-clearance" in refused.stderr
    assert "--by" not in refused.stderr and "--surgeon-cleared" not in refused.stderr
    letter = ("--surgeon", "Dr A. Bone", "--evidence", f"letter of {day(-1)}")
    transcribed = rehabkit(*gate, "--kind", "surgeon-clearance", *letter, "--date", day(0), as_staff=False)
    assert transcribed.returncode == 0, transcribed.stderr
    assert "by Dr A. Bone, transcribed by PT-33" in transcribed.stdout
    assert rehabkit(*run, "--date", day(0), as_staff=False).returncode == 0
    history = json.loads(rehabkit("history", "C33", "--format", "json", "--db", db).stdout)
    approval = next(e for e in history["events"] if e["kind"] == "approval")
    assert approval["by"] == "PT-33" and approval["detail"]["surgeon"] == "Dr A. Bone"


def test_only_a_surgeon_gives_a_clearance_and_reopening_a_withdrawn_gate_warns(rehabkit, db, calm) -> None:
    sign_in(db, "DR-3", ("surgeon",))
    gate = ("approve", "C1", "--protocol", "post-surgical-lumbar", "--phase", "acute", "--db", db)
    given = rehabkit(*gate, "--kind", "surgeon-clearance", "--surgery-date", day(-14), "--date", day(0), as_staff=False)
    assert given.returncode == 0 and "by DR-3" in given.stdout, given.stderr
    withdrawn = rehabkit(*gate, "--kind", "surgeon-clearance", "--withdraw", "--date", day(1), as_staff=False)
    assert withdrawn.returncode == 0
    sign_in(db, "PT-1", ("physiotherapist",))
    letter = ("--surgeon", "Dr C", "--evidence", f"letter of {day(-3)}")
    again = rehabkit(*gate, "--kind", "surgeon-clearance", *letter, "--date", day(3), as_staff=False)
    assert again.returncode == 0 and f"withdrawn on {day(1)}" in again.stderr


def test_lifting_an_urgent_referral_takes_a_clinician_or_surgeon_and_a_note(rehabkit, db, calm, tmp_path) -> None:
    sign_in(db, "PT-1", ("physiotherapist",))
    assert rehabkit("approve", "P1", "--protocol", "low-back-pain-acute", "--phase", "acute", "--db", db,
                    "--date", day(0), as_staff=False).returncode == 0  # fmt: skip
    run = ("run", "low-back-pain-acute", "--patient", "P1", "--db", db)
    assert rehabkit(*run, "--answers", _urgent(tmp_path), "--date", day(0), as_staff=False).returncode == 5
    review = ("review", "P1", "--outcome", "resume", "--db", db, "--date", day(1))
    physio = rehabkit(*review, "--note", "looks fine", as_staff=False)
    assert physio.returncode == 9 and "may not lift an urgent referral" in physio.stderr
    sign_in(db, "patient-self", ("physiotherapist",))  # a made-up staff id with a physiotherapist's role: no
    assert rehabkit(*review, "--note", "I feel fine", as_staff=False).returncode == 9
    sign_in(db, "DR-7", ("clinician",))
    silent = rehabkit(*review, as_staff=False)
    assert silent.returncode == 2 and "--note" in silent.stderr
    assert rehabkit(*run, "--answers", calm, "--date", day(1), as_staff=False).returncode == 6  # still stopped
    lifted = rehabkit(*review, "--note", "MRI: no cauda equina compression", as_staff=False)
    assert lifted.returncode == 0, lifted.stderr
    assert rehabkit(*run, "--answers", calm, "--date", day(1), as_staff=False).returncode == 0


def test_a_patient_acts_on_their_own_course_only_and_never_approves(rehabkit, db, calm) -> None:
    sign_in(db, "PT-1", ("physiotherapist", "admin"))
    for patient in ("P1", "P2"):
        assert rehabkit("approve", patient, "--protocol", "neck-pain", "--phase", "acute", "--db", db,
                        "--date", day(0), as_staff=False).returncode == 0  # fmt: skip
    sign_in(db, "P1", ("patient",))
    own = rehabkit(
        "run", "neck-pain", "--patient", "P1", "--answers", calm, "--db", db, "--date", day(0), as_staff=False
    )
    assert own.returncode == 0, own.stderr
    other = rehabkit("run", "neck-pain", "--patient", "P2", "--answers", calm, "--db", db, "--date", day(0),
                     as_staff=False)  # fmt: skip
    assert other.returncode == 9 and "on their own course" in other.stderr
    assert rehabkit("next-day", "P1", "--pain", "2", "--db", db, "--date", day(1), as_staff=False).returncode == 0
    for args in (
        ("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--withdraw"),
        ("review", "P1", "--outcome", "resume", "--note", "fine"),
        ("staff", "add", "P9", "--role", "patient"),
    ):
        refused = rehabkit(*args, "--db", db, as_staff=False)
        assert refused.returncode == 9, (args, refused.stderr)
    history = json.loads(rehabkit("history", "P1", "--format", "json", "--db", db).stdout)
    assert history["sessions"][-1]["clinician"] == "P1"  # the record names who did it


def test_an_id_typed_on_the_command_line_never_chooses_who_acts(rehabkit, db, calm) -> None:
    sign_in(db, "DR-3", ("surgeon",))
    sign_in(db, "PT-1", ("physiotherapist",))  # DR-3 is registered, but this account acts as PT-1
    other = rehabkit("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "DR-3", "--db", db,
                     as_staff=False)  # fmt: skip
    assert other.returncode == 9 and "acts as PT-1, not DR-3" in other.stderr
    typo = rehabkit("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-11", "--db", db,
                    as_staff=False)  # fmt: skip
    assert typo.returncode == 9 and "Did you mean 'PT-1'" in typo.stderr
    env = {"REHABKIT_CLINICIAN": "DR-3"}
    run = rehabkit("run", "neck-pain", "--patient", "P1", "--answers", calm, "--db", db, env=env, as_staff=False)
    assert run.returncode == 9
    moved = rehabkit("run", "neck-pain", "--patient", "P1", "--surgeon-cleared", "--by", "PATIENT", "--db", db,
                     as_staff=False)  # fmt: skip
    assert moved.returncode == 2 and "rehabkit approve" in moved.stderr
    assert _sessions(db) == 0


def test_only_an_admin_changes_the_register_and_a_disabled_person_records_nothing(rehabkit, db, calm) -> None:
    assert rehabkit("staff", "add", "ADM-1", "--role", "physiotherapist", "--db", db).returncode == 0
    taken = rehabkit("staff", "add", "adm-1", "--role", "surgeon", "--db", db)
    assert taken.returncode == 2 and "already registered" in taken.stderr
    assert rehabkit("staff", "add", "DR-3", "--role", "surgeon", "--db", db).returncode == 0
    lone = rehabkit("staff", "disable", "ADM-1", "--db", db)
    assert lone.returncode == 9 and "only enabled admin" in lone.stderr
    unknown = rehabkit("staff", "disable", "DR-33", "--db", db)
    assert unknown.returncode == 9 and "Did you mean 'DR-3'" in unknown.stderr
    sign_in(db, "PT-2", ("physiotherapist",))
    assert rehabkit("staff", "add", "PT-3", "--role", "physiotherapist", "--db", db).returncode == 9
    with open_store(db) as store:  # an admin at another account disables PT-2, who acts from this one
        store.add_staff_event(StaffChange("PT-2", "disable", actor="ADM-1", account="another"))
    refused = rehabkit("run", "neck-pain", "--patient", "P1", "--answers", calm, "--db", db, as_staff=False)
    assert refused.returncode == 9 and "PT-2" in refused.stderr and "is disabled" in refused.stderr
    assert _sessions(db) == 0


def test_a_clinics_pack_may_tune_who_acts_but_never_lets_a_patient_approve() -> None:
    from rehabkit._plugins.policy_settings import settings_from

    tuned = settings_from({"who_may_act": {"lift-urgent-referral": ["physiotherapist", "clinician", "surgeon"]}})
    assert tuned[0].value == ["physiotherapist", "clinician", "surgeon"]
    for action in ("give-surgeon-clearance", "review", "lift-urgent-referral", "manage-staff"):
        with pytest.raises(ValueError, match="a patient never"):
            settings_from({"who_may_act": {action: ["patient", "surgeon"]}})
    with pytest.raises(ValueError, match="roles"):
        settings_from({"who_may_act": {"review": ["receptionist"]}})


def test_clinic_lists_the_records_of_trust_to_check_again(rehabkit, db, tmp_path) -> None:
    sign_in(db, "DR-7", ("clinician", "physiotherapist"))
    lumbar = ("approve", "C1", "--protocol", "post-surgical-lumbar", "--phase", "acute", "--kind", "surgeon-clearance")
    for extra, n in (
        (("--surgeon", "Dr X", "--evidence", "letter one", "--surgery-date", day(-30)), 0),
        (("--withdraw",), 1),
        (("--surgeon", "Dr Y", "--evidence", "letter two"), 2),
    ):
        assert rehabkit(*lumbar, *extra, "--db", db, "--date", day(n), as_staff=False).returncode == 0
    assert rehabkit("approve", "P1", "--protocol", "low-back-pain-acute", "--phase", "acute", "--db", db,
                    "--date", day(0), as_staff=False).returncode == 0  # fmt: skip
    urgent = ("run", "low-back-pain-acute", "--patient", "P1", "--answers", _urgent(tmp_path), "--db", db)
    assert rehabkit(*urgent, "--date", day(0), as_staff=False).returncode == 5
    lifted = ("review", "P1", "--outcome", "resume", "--note", "MRI clear", "--db", db, "--date", day(1))
    assert rehabkit(*lifted, as_staff=False).returncode == 0
    listed = json.loads(rehabkit("clinic", "--db", db, "--date", day(3), "--format", "json").stdout)
    checks = {c["patient"]: [r["text"] for r in c["reasons"] if r["kind"] == "check-record"] for c in listed["courses"]}
    assert any("transcribed by DR-7" in t and "Dr Y's letter (letter two)" in t for t in checks["C1"])
    assert any(f"given again by DR-7 on {day(2)}, after its withdrawal on {day(1)}" in t for t in checks["C1"])
    assert checks["P1"] == [f"the urgent referral of {day(0)} lifted by DR-7 on {day(1)}: MRI clear"]
    away = json.loads(rehabkit("clinic", "--db", db, "--date", day(5), "--format", "json").stdout)
    (c1,) = [c for c in away["courses"] if c["patient"] == "C1"]
    assert any("7 a week, one every day)" in r["text"] for r in c1["reasons"])  # never "one every 1 days"
    later = json.loads(rehabkit("clinic", "--db", db, "--date", day(35), "--format", "json").stdout)  # 28 days on
    trust = ("transcribed", "given again", "urgent referral")
    assert not [r for c in later["courses"] for r in c["reasons"] if any(word in r["text"] for word in trust)]


def test_a_patient_on_their_own_store_records_their_sessions_and_administers_nothing(rehabkit, db, calm) -> None:
    first = rehabkit("staff", "add", "P-9", "--role", "patient", "--db", db)
    assert first.returncode == 0 and "admin" not in first.stdout, first.stderr
    assert rehabkit("staff", "add", "DR-1", "--role", "surgeon", "--db", db).returncode == 9
    refused = rehabkit("run", "neck-pain", "--patient", "P-9", "--answers", calm, "--db", db, as_staff=False)
    assert refused.returncode == 7 and "rehabkit approve" in refused.stderr  # the gate: a clinician's to open
    approval = rehabkit("approve", "P-9", "--protocol", "neck-pain", "--phase", "acute", "--db", db, as_staff=False)
    assert approval.returncode == 9 and _sessions(db) == 0  # a closed gate runs nothing


@pytest.mark.parametrize(
    ("tampering", "found"),
    [
        (["DROP TRIGGER course_events_never_deleted", "DELETE FROM course_events WHERE kind = 'pause'"],
         "triggers refusing changes in place are gone"),
        (["DROP TRIGGER audit_never_deleted", "DELETE FROM audit WHERE id = 3"], "audit entries are missing"),
        (["DROP TRIGGER audit_never_updated", "UPDATE audit SET actor = 'DR-9' WHERE id = (SELECT max(id) FROM audit)",
          "CREATE TRIGGER audit_never_updated BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'no'); END"],
         "the chain breaks at audit entry"),
    ],
)  # fmt: skip
def test_clinic_says_when_the_audit_trail_does_not_verify(rehabkit, db, tmp_path, tampering, found) -> None:
    sign_in(db, "DR-7", ("clinician", "physiotherapist"))
    assert rehabkit("approve", "P1", "--protocol", "low-back-pain-acute", "--phase", "acute", "--db", db,
                    "--date", day(0), as_staff=False).returncode == 0  # fmt: skip
    urgent = ("run", "low-back-pain-acute", "--patient", "P1", "--answers", _urgent(tmp_path), "--db", db)
    assert rehabkit(*urgent, "--date", day(0), as_staff=False).returncode == 5
    clean = rehabkit("clinic", "--db", db, "--date", day(1))
    assert clean.returncode == 0 and "audit trail" not in clean.stdout
    with sqlite3.connect(db, isolation_level=None) as connection:
        for statement in tampering:
            connection.execute(statement)
    listed = rehabkit("clinic", "--db", db, "--date", day(1))
    assert listed.returncode == 0 and listed.stdout.startswith("The audit trail does not verify: ")
    assert found in listed.stdout
    as_json = json.loads(rehabkit("clinic", "--db", db, "--date", day(1), "--format", "json").stdout)
    assert any(found in problem for problem in as_json["audit_trail_problems"])


def test_the_first_registration_is_written_in_the_name_of_who_registered(rehabkit, db) -> None:
    assert rehabkit("staff", "add", "PT-33", "--role", "physiotherapist", "--db", db).returncode == 0
    entries = json.loads(rehabkit("audit", "show", "--format", "json", "--db", db).stdout)
    (entry,) = [e for e in entries if e["table"] == "staff_events"]
    assert entry["actor"] == "PT-33" and entry["account"]
