"""Clinician ids on every record, and ``rehabkit clinic``: who needs attention, ranked, on both databases."""

from __future__ import annotations

import datetime
import json
import sqlite3

import yaml

from rehabkit._sessions.backends import open_store
from rehabkit._sessions.store import MIGRATIONS, Store

from conftest import sign_in

CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}


def _file(tmp_path, name: str, **changes) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**CALM, **changes}))
    return str(path)


def _day(n: int) -> str:
    return (datetime.date(2026, 1, 5) + datetime.timedelta(days=n)).isoformat()


def test_every_record_keeps_the_clinician_who_made_it(cli, store_db, tmp_path) -> None:
    calm = _file(tmp_path, "calm")
    assert (
        cli(
            "approve",
            "P-1",
            "--protocol",
            "neck-pain",
            "--phase",
            "acute",
            "--clinician",
            "PT-1",
            "--db",
            store_db,
            "--date",
            _day(0),
        ).exit_code
        == 0
    )
    assert (
        cli(
            "run",
            "neck-pain",
            "--patient",
            "P-1",
            "--answers",
            calm,
            "--db",
            store_db,
            "--date",
            _day(1),
            env={"REHABKIT_CLINICIAN": "PT-2"},
        ).exit_code
        == 0
    )
    sign_in(store_db, "P-1", ("patient",))  # the patient's own session at home
    home = cli(
        "run", "neck-pain", "--patient", "P-1", "--answers", calm, "--db", store_db, "--date", _day(2), as_staff=False
    )
    assert home.exit_code == 0, home.output
    assert (
        cli("next-day", "P-1", "--pain", "2", "--db", store_db, "--date", _day(3), "--clinician", "PT-3").exit_code == 0
    )
    assert (
        cli(
            "measure",
            "P-1",
            "nprs",
            "--score",
            "pain=2",
            "--db",
            store_db,
            "--date",
            _day(3),
            env={"REHABKIT_CLINICIAN": "PT-4"},
        ).exit_code
        == 0
    )
    assert (
        cli(
            "review",
            "P-1",
            "--outcome",
            "resume",
            "--db",
            store_db,
            "--date",
            _day(3),
            env={"REHABKIT_CLINICIAN": "PT-5"},
        ).exit_code
        == 0
    )
    with open_store(store_db) as store:
        assert [s.clinician for s in store.sessions("P-1")] == ["PT-2", "P-1"]  # the second: the patient at home
        events = [(e.kind, e.by, e.clinician) for e in store.events("P-1")]
        assert events[0] == ("approval", "PT-1", "PT-1")
        assert ("enter-phase", None, "PT-2") in events and ("review", "PT-5", "PT-5") in events
        rows = (
            store._db.execute("SELECT clinician FROM next_day").fetchall()
            + store._db.execute("SELECT clinician FROM measures").fetchall()
        )
        assert [row[0] for row in rows] == ["PT-3", "PT-4"]
    history = json.loads(cli("history", "P-1", "--db", store_db, "--format", "json").stdout)
    assert [s["clinician"] for s in history["sessions"]] == ["PT-2", "P-1"]
    assert history["events"][0]["clinician"] == "PT-1"


def test_a_clinician_id_is_a_pseudonymous_code(cli, tmp_path) -> None:
    result = cli(
        "measure", "P-1", "nprs", "--score", "pain=2", "--db", str(tmp_path / "s.db"), "--clinician", "Dr Jane Doe"
    )
    assert result.exit_code == 2 and "not a staff id" in result.stderr
    assert not (tmp_path / "s.db").exists()


def test_version_6_fills_within_limits_from_the_stored_decisions(tmp_path) -> None:
    path = tmp_path / "v5.db"
    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:5], 1):
        if callable(script):
            script(db)
        else:
            db.executescript(script)
        db.execute(f"PRAGMA user_version = {number}")
    db.execute("INSERT INTO patients (id, created) VALUES ('P1', 'x')")
    for n, detail in enumerate([{"within_limits": True}, {"within_limits": False}, {}, None], 1):
        db.execute(
            "INSERT INTO sessions (id, patient, protocol, version, phase, started, status, decision_detail, date) "
            "VALUES (?, 'P1', 'neck-pain', '2.1.0', 'acute', 'x', 'complete', ?, '2026-11-01')",
            (n, None if detail is None else json.dumps(detail)),
        )
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 6
        rows = store._db.execute("SELECT within_limits, clinician FROM sessions ORDER BY id").fetchall()
        assert rows == [(1, None), (0, None), (None, None), (None, None)]


def _clinic(cli, db: str, *args: str) -> dict:
    result = cli("clinic", "--db", db, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_clinic_ranks_who_needs_attention_from_each_protocols_own_data(
    cli, store_db, tmp_path, monkeypatch
) -> None:
    calm = _file(tmp_path, "calm")
    flag = _file(tmp_path, "flag", screening={"all": False, "spreading-pain": True})
    urgent = _file(tmp_path, "urgent", screening={"all": False, "numbness-weakness": True})
    worse = _file(tmp_path, "worse", pain_before=5)

    def run(patient: str, answers: str, n: int) -> None:
        result = cli(
            "run", "neck-pain", "--patient", patient, "--answers", answers, "--db", store_db, "--date", _day(n)
        )
        assert result.exit_code in (0, 4, 5), result.output

    for patient in ("P-STEADY", "P-PAUSED", "P-URGENT", "P-WORSE", "P-AWAY", "P-DONE"):
        assert (
            cli(
                "approve",
                patient,
                "--protocol",
                "neck-pain",
                "--phase",
                "acute",
                "--by",
                "PT-1",
                "--db",
                store_db,
                "--date",
                _day(0),
            ).exit_code
            == 0
        )
    for n in range(1, 11):
        run("P-STEADY", calm, n)
        run("P-WORSE", worse if n >= 9 else calm, n)
        run("P-PAUSED", calm, n)
        run("P-URGENT", calm, n)
        run("P-DONE", calm, n)
        if n <= 3:
            run("P-AWAY", calm, n)
    run("P-PAUSED", flag, 11)
    run("P-URGENT", urgent, 11)
    assert (
        cli(
            "review", "P-DONE", "--clinician", "PT-1", "--outcome", "discharge", "--db", store_db, "--date", _day(11)
        ).exit_code
        == 0
    )
    # one waiting for the clinician's approval and nothing else
    assert (
        cli(
            "approve",
            "P-NEW",
            "--protocol",
            "neck-pain",
            "--phase",
            "acute",
            "--by",
            "PT-1",
            "--withdraw",
            "--db",
            store_db,
            "--date",
            _day(11),
        ).exit_code
        == 0
    )
    report = _clinic(cli, store_db, "--date", _day(11))
    ranked = [(c["patient"], [r["kind"] for r in c["reasons"]]) for c in report["courses"]]
    patients = [p for p, _ in ranked]
    assert patients[:2] == ["P-URGENT", "P-PAUSED"]
    assert dict(ranked)["P-URGENT"] == ["urgent-referral"] and dict(ranked)["P-PAUSED"] == ["paused"]
    assert "worse-pain" in dict(ranked)["P-WORSE"]
    assert dict(ranked)["P-AWAY"] == ["no-recent-session"]
    assert dict(ranked)["P-NEW"] == ["waiting-for-clearance"]
    assert "P-STEADY" not in patients and "P-DONE" not in patients
    assert patients.index("P-WORSE") < patients.index("P-NEW") < patients.index("P-AWAY")
    away = next(c for c in report["courses"] if c["patient"] == "P-AWAY")
    assert "one every 2 days" in away["reasons"][0]["text"]  # neck-pain's acute phase: at least 5 sessions a week
    assert report["patients_considered"] == 7
    text = cli("clinic", "--db", store_db, "--date", _day(11)).stdout
    assert text.splitlines()[0].startswith("5 of 7 patients need attention") and "1. P-URGENT" in text
    later = _clinic(cli, store_db, "--date", _day(12), "--since", _day(11))
    assert later["patients_considered"] == 4  # P-STEADY, P-WORSE and P-AWAY recorded nothing since
    from rehabkit._sessions import clinic

    monkeypatch.setattr(clinic, "PART", 2)  # read two patients at a time: the same ranking (on either database)
    assert _clinic(cli, store_db, "--date", _day(11)) == report


def test_a_measure_due_at_the_phase_review(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    calm = _file(tmp_path, "calm")
    assert (
        cli(
            "approve",
            "P-1",
            "--protocol",
            "neck-pain",
            "--phase",
            "acute",
            "--by",
            "PT-1",
            "--db",
            db,
            "--date",
            _day(0),
        ).exit_code
        == 0
    )
    n = 1
    while n < 60:  # calm sessions until the patient moves on to recovery, whose exit names the NDI
        assert (
            cli("run", "neck-pain", "--patient", "P-1", "--answers", calm, "--db", db, "--date", _day(n)).exit_code == 0
        )
        with open_store(db) as store:
            if store.sessions("P-1")[-1].decision == "progress":
                break
        n += 1
    entered = n
    settled = _file(tmp_path, "settled", pain_before=1, pain_after=1)  # at the recovery phase's pain goal
    for m in range(entered + 1, entered + 23):
        assert (
            cli("run", "neck-pain", "--patient", "P-1", "--answers", settled, "--db", db, "--date", _day(m)).exit_code
            == 0
        )
    report = _clinic(cli, db, "--date", _day(entered + 23))
    reasons = {r["kind"]: r["text"] for c in report["courses"] for r in c["reasons"]}
    assert list(reasons) == ["measure-due"] and reasons["measure-due"].startswith("ndi is due: every other criterion")
    assert (
        cli(
            "measure",
            "P-1",
            "ndi",
            *[
                f"--score={i}=1"
                for i in (
                    "pain-intensity",
                    "personal-care",
                    "lifting",
                    "reading",
                    "headaches",
                    "concentration",
                    "work",
                    "driving",
                    "sleeping",
                    "recreation",
                )
            ],
            "--db",
            db,
            "--date",
            _day(entered + 23),
        ).exit_code
        == 0
    )
    after = _clinic(cli, db, "--date", _day(entered + 23))
    assert "measure-due" not in {r["kind"] for c in after["courses"] for r in c["reasons"]}


def test_clinic_on_a_missing_store_creates_nothing(cli, tmp_path) -> None:
    result = cli("clinic", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1 and not (tmp_path / "none.db").exists()


def test_clinic_lists_an_abandoned_session_over_a_limit_a_long_gap_and_a_late_entry(cli, tmp_path) -> None:
    """Issue 26, finding 8 (and 2): dated around the real today, as a clinic lives them."""
    from rehabkit._documents.loader import load_file

    from conftest import PROTOCOLS

    db = str(tmp_path / "s.db")
    calm = _file(tmp_path, "calm")
    today = datetime.date.today()

    def ago(n: int) -> str:
        return (today - datetime.timedelta(days=n)).isoformat()

    def run(patient: str, n: int, **kwargs) -> None:
        result = cli(
            "run", "neck-pain", "--patient", patient, "--answers", calm, "--db", db, "--date", ago(n), **kwargs
        )
        assert result.exit_code == 0, result.output

    for patient in ("P-GAP", "P-LATE", "P-ABANDON"):
        approve = ("approve", patient, "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1")
        assert cli(*approve, "--db", db, "--date", ago(60)).exit_code == 0
    for n in (60, 58, 20, 10, 1):  # a gap of 38 days, longer than the acute phase's review period of two weeks
        run("P-GAP", n)
    run("P-LATE", 16)  # entered today, 16 days after its date: more than course.late_entry_days (14)
    run("P-ABANDON", 1)
    red_flags = len(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data["red_flags"])
    typed = "n\n" * red_flags + "2\n" + "1\n1\n4\n"  # chin nod 4/10 against its limit of 3, then no more input
    args = ("run", "neck-pain", "--patient", "P-ABANDON", "--db", db, "--no-timer", "--date", ago(0))
    assert cli(*args, input=typed).exit_code == 130
    report = _clinic(cli, db)
    reasons = {c["patient"]: {r["kind"]: r["text"] for r in c["reasons"]} for c in report["courses"]}
    gap = reasons["P-GAP"]["long-gap"]
    assert f"no session from {ago(58)} to {ago(20)} (38 days), longer than the phase's review period of 2" in gap
    late = reasons["P-LATE"]["check-record"]
    assert f"the session of {ago(16)} was entered on {ago(0)}, 16 days after its date (more than 14)" in late
    abandoned = reasons["P-ABANDON"]["abandoned-over-limit"]
    assert f"a session left unfinished on {ago(0)}: pain during Chin nod lying down was 4/10, above its limit" in (
        abandoned
    )
    assert "check-record" not in reasons["P-ABANDON"]  # entered on its own date
