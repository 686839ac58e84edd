"""What a clinic meets, with real processes, on SQLite and PostgreSQL alike (``store_db``).

Two clinicians record sessions for different patients at the same time; two
sessions for one patient at once are never mixed into one course (the second
is refused with exit 8, naming who holds the patient, and records nothing);
``history`` reads while a session is being written, without waiting for it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from rehabkit._sessions.backends import open_store

from conftest import REPO, clean_env, signed_in

FLAGS = 10  # neck-pain's red-flag questions, asked one by one at a terminal


def _answers(tmp_path: Path) -> str:
    path = tmp_path / "calm.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 2,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )
    return str(path)


def _rehabkit(*args: str, **kwargs) -> subprocess.Popen[str]:
    signed_in(args, None)
    return subprocess.Popen(
        [sys.executable, "-m", "rehabkit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=clean_env(),
        **kwargs,
    )


def _approve(db: str, *patients: str) -> None:
    for patient in patients:
        process = _rehabkit(
            "approve",
            patient,
            "--protocol",
            "neck-pain",
            "--phase",
            "acute",
            "--by",
            "PT-1",
            "--db",
            db,
            "--date",
            "2026-11-01",
        )
        assert process.wait(60) == 0, process.communicate()


HOLD = """
import sys, time, pathlib
from rehabkit._sessions.backends import open_store
from rehabkit._sessions.locks import patient_lock
db, patient, ready, release = sys.argv[1:5]
with open_store(db) as store, patient_lock(store, patient, "a session", "PT-9"):
    pathlib.Path(ready).touch()
    deadline = time.time() + 60
    while not pathlib.Path(release).exists() and time.time() < deadline:
        time.sleep(0.02)
"""


def _hold(db: str, patient: str, tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process holding ``patient``'s lock (as a session in progress would) until the returned file is made."""
    ready, release = tmp_path / f"ready-{patient}", tmp_path / f"release-{patient}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, db, patient, str(ready), str(release)],
        text=True,
        cwd=REPO,
        env=clean_env(),
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 30
    while not ready.exists():
        assert holder.poll() is None, holder.communicate()
        assert time.time() < deadline, "the holder never took the lock"
        time.sleep(0.02)
    return holder, release


def test_sessions_for_different_patients_record_at_the_same_time(store_db, tmp_path) -> None:
    _approve(store_db, "P-A", "P-B")
    answers = _answers(tmp_path)
    holder, release = _hold(store_db, "P-A", tmp_path)  # P-A's session is in progress ...
    try:
        other = _rehabkit(
            "run",
            "neck-pain",
            "--patient",
            "P-B",
            "--answers",
            answers,
            "--db",
            store_db,
            "--date",
            "2026-11-02",
        )
        _out, err = other.communicate(timeout=60)
        assert other.returncode == 0, err  # ... and P-B's runs beside it, waiting for nothing
    finally:
        release.touch()
        holder.wait(30)
    both = [
        _rehabkit(
            "run",
            "neck-pain",
            "--patient",
            p,
            "--answers",
            answers,
            "--db",
            store_db,
            "--date",
            "2026-11-03",
        )
        for p in ("P-A", "P-B")
    ]
    assert [p.wait(60) for p in both] == [0, 0], [p.communicate() for p in both]
    with open_store(store_db) as store:
        for patient, sessions in (("P-A", 1), ("P-B", 2)):
            recorded = store.sessions(patient)
            assert [s.status for s in recorded] == ["complete"] * sessions
            for session in recorded:
                kinds = [kind for kind, _, _ in store.answers(session.id)]
                assert kinds.count("pain-before") == kinds.count("pain-after") == 1


def test_a_second_session_for_the_same_patient_is_refused_and_records_nothing(store_db, tmp_path) -> None:
    _approve(store_db, "P-1")
    answers = _answers(tmp_path)
    holder, release = _hold(store_db, "P-1", tmp_path)
    try:
        second = _rehabkit(
            "run", "neck-pain", "--patient", "P-1", "--answers", answers, "--db", store_db, "--date", "2026-11-02"
        )
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 8, err
        assert "patient 'P-1' is busy" in err and "a session for P-1 by PT-9" in err and "nothing was recorded" in err
        assert "Traceback" not in err
        for args in (
            ("next-day", "P-1", "--pain", "2"),
            ("review", "P-1", "--clinician", "PT-2", "--outcome", "resume"),
            ("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-2"),
        ):
            refused = _rehabkit(*args, "--db", store_db)
            assert refused.wait(60) == 8, (args, refused.communicate())
        reader = _rehabkit("history", "P-1", "--db", store_db)  # reading never waits for the lock
        assert reader.wait(60) == 0
    finally:
        release.touch()
        holder.wait(30)
    with open_store(store_db) as store:
        assert store.sessions("P-1") == [] and [e.kind for e in store.events("P-1")] == ["approval"]
    again = _rehabkit(
        "run", "neck-pain", "--patient", "P-1", "--answers", answers, "--db", store_db, "--date", "2026-11-02"
    )
    assert again.wait(60) == 0, again.communicate()  # the lock went with its holder


def test_sessions_for_one_patient_started_together_are_never_interleaved(store_db, tmp_path) -> None:
    _approve(store_db, "P-1")
    answers = _answers(tmp_path)
    runs = [
        _rehabkit(
            "run", "neck-pain", "--patient", "P-1", "--answers", answers, "--db", store_db, "--date", "2026-11-02"
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in runs]
    codes = [p.returncode for p in runs]
    assert set(codes) <= {0, 8} and 0 in codes, outputs
    # a run after another finished the same day finds today's exercises done (the weekly schedule): it records nothing
    rested = sum("Nothing more is planned for today" in out for out, _ in outputs)
    with open_store(store_db) as store:
        sessions = store.sessions("P-1")
        assert len(sessions) == codes.count(0) - rested >= 1
        assert all(s.status == "complete" for s in sessions)
        for session in sessions:  # each session's answers are its own, in one unbroken run
            kinds = [kind for kind, _, _ in store.answers(session.id)]
            assert kinds[0] == "screening" and kinds.count("pain-before") == 1 and kinds[-1] == "new-symptom"
        entries = [e for e in store.events("P-1") if e.kind == "enter-phase"]
        assert len(entries) == 1  # the course was started once, not by each


def test_a_killed_session_releases_its_patient(store_db, tmp_path) -> None:
    _approve(store_db, "P-1")
    typed = _rehabkit(
        "run",
        "neck-pain",
        "--patient",
        "P-1",
        "--db",
        store_db,
        "--no-timer",
        "--date",
        "2026-11-02",
        stdin=subprocess.PIPE,
    )
    assert typed.stdin is not None
    typed.stdin.write("n\n" * 3)
    typed.stdin.flush()
    _wait_for_answers(store_db, "P-1", 3)
    typed.kill()
    typed.wait(30)
    again = _rehabkit(
        "run",
        "neck-pain",
        "--patient",
        "P-1",
        "--answers",
        _answers(tmp_path),
        "--db",
        store_db,
        "--date",
        "2026-11-02",
    )
    assert again.wait(60) == 0, again.communicate()
    with open_store(store_db) as store:
        assert [s.status for s in store.sessions("P-1")] == ["incomplete", "complete"]


def _wait_for_answers(db: str, patient: str, count: int) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        with open_store(db) as store:
            sessions = store.sessions(patient)
            if sessions and len(store.answers(sessions[-1].id)) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"the session never recorded {count} answers")


def test_history_reads_while_a_session_is_being_written(store_db, tmp_path) -> None:
    _approve(store_db, "P-1")
    typed = _rehabkit(
        "run",
        "neck-pain",
        "--patient",
        "P-1",
        "--db",
        store_db,
        "--no-timer",
        "--date",
        "2026-11-02",
        stdin=subprocess.PIPE,
    )
    assert typed.stdin is not None
    typed.stdin.write("n\n" * FLAGS + "2\n")  # screening, then pain before; the session waits at the first exercise
    typed.stdin.flush()
    _wait_for_answers(store_db, "P-1", FLAGS + 1)
    started = time.monotonic()
    reader = _rehabkit("history", "P-1", "--db", store_db)
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert "in-progress" in out and time.monotonic() - started < 30
    rest = "1\n" * 5 + "2\nn\n"
    out, err = typed.communicate(rest, timeout=60)
    assert typed.returncode == 0, err
    with open_store(store_db) as store:
        assert [s.status for s in store.sessions("P-1")] == ["complete"]
