"""Benchmark: a clinic's store on PostgreSQL against SQLite (issue 16).

1. Twenty clinicians at once: 20 processes, each a clinician recording scripted sessions
   (the course service's runner, as ``rehabkit run --answers`` does, under the patient's lock
   after the check of the patient's record) for patients of their own. Sessions per second
   over the whole run, and the 95th percentile of the time one session spends in its writes
   (every write transaction: the row and its audit entry under the store's write lock, each
   committed as it is given) and of the whole session (reads, engine and writes).

   Who acts (docs/security.md): on PostgreSQL each clinician is a login of their own on the
   throwaway server (``CREATE ROLE ... LOGIN``), registered by the store's owner with the real
   ``rehabkit staff add PT-n --role physiotherapist --db-role LOGIN``, which grants it what
   rehabkit needs; each process connects as its clinician's login. A SQLite store is a
   one-account store (the operating-system account is the person), and every process here
   runs as one account: on SQLite the twenty processes act as the one physiotherapist the
   first ``rehabkit staff add`` registered, twenty terminals of one account contending for the
   file's one write lock, as before.
2. ``rehabkit clinic`` (the whole command, start-up included) over a store of 1,000
   patients x 50 sessions, built quickly with SQL (not by running 50,000 sessions):
   target within 1 s.

PostgreSQL is a throwaway server started for the run (tests/pg_server.py: Debian's
postgresql package, a Unix socket, fsync on as a real server has it). Run with
``make bench`` or ``python bench/bench_store.py [--clinicians N] [--sessions N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import multiprocessing
import queue
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from rehabkit._sessions.backends import open_store  # noqa: E402

from pg_server import PostgresServer, find_binaries  # noqa: E402

TODAY = datetime.date(2026, 11, 20)
CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}


class _WriteTimer:
    """Times the store's write transactions: each write (its row and audit entry, under the store's write lock) from
    asking for the lock to its commit, as a clinician waits for it."""

    def __init__(self, store: Any) -> None:
        self.seconds = 0.0
        self.count = 0
        inner = store._write_transaction

        @contextlib.contextmanager
        def timed() -> Iterator[None]:
            begun = time.perf_counter()
            with inner():
                yield
            self.seconds += time.perf_counter() - begun
            self.count += 1

        store._write_transaction = timed


def _clinician(location: str, number: int, sessions: int, ready: Any, start: Any, results: Any) -> None:
    """One clinician: three patients of their own, ``sessions`` scripted sessions in turn, each under its lock."""
    try:
        results.put(_record(location, number, sessions, ready, start))
    except BaseException:
        ready.put(number)  # the run does not wait for a clinician that failed; its error is reported instead
        results.put(traceback.format_exc())


def _record(location: str, number: int, sessions: int, ready: Any, start: Any) -> list[tuple[float, float, int]]:
    from rehabkit._plugins.manager import PluginManager
    from rehabkit._sessions.locks import patient_lock
    from rehabkit._sessions.runner import Display, FileAnswers, run_session
    from rehabkit._sessions.service import CourseContext, approve, set_surgery_date
    from rehabkit._sessions.staff import who_acts

    manager = PluginManager.from_environment((), strict=False)
    manager.load()
    registry = manager.registry()
    protocol = registry.find_protocol("neck-pain").item
    # What 'rehabkit run' gives the course service (cli/protocols.py course_context).
    context = CourseContext(
        protocol,
        registry.exercise_library(),
        {key: r.item for key, r in registry.outcome_measures.items()},
        tuple(r.item for r in registry.screening.values()),
        manager.decide,
        registry.policy(),
    )
    patients = [f"C{number}-P{n}" for n in range(3)]
    timings: list[tuple[float, float, int]] = []
    display = Display(lambda _: None)

    def checked(store: Any, patient: str) -> None:  # as the commands' course lock does before anything is recorded
        if store.damaged_rows(patient):
            raise RuntimeError(f"{patient}'s record reads as damaged")

    with open_store(location) as store:
        actor = who_acts(store)  # the registered person acting from this account or login, as every command finds
        first = TODAY - datetime.timedelta(days=sessions + 1)
        for patient in patients:  # 'rehabkit approve PATIENT --protocol neck-pain --phase acute', in process
            with patient_lock(store, patient, "an approval", actor.id):
                checked(store, patient)
                set_surgery_date(store, patient, None, first, actor, context.policy)
                approve(store, context, patient, actor, first, phase=protocol.phases[0].id)
        timer = _WriteTimer(store)
        ready.put(number)
        start.wait()
        for k in range(sessions):
            patient = patients[k % len(patients)]
            day = TODAY - datetime.timedelta(days=sessions - k // len(patients))
            timer.seconds, timer.count = 0.0, 0
            begun = time.perf_counter()
            with patient_lock(store, patient, "a session", actor.id):  # 'rehabkit run --answers', in process
                checked(store, patient)
                set_surgery_date(store, patient, None, day, actor, context.policy)
                run_session(store, context, patient, FileAnswers(CALM, "bench"), display, actor=actor, today=day)
            timings.append((timer.seconds, time.perf_counter() - begun, timer.count))
    return timings


def concurrent_sessions(locations: list[str], sessions: int) -> dict[str, float]:
    """Sessions per second and p95 times with one process recording at once per location (clinician ``n`` connects
    to ``locations[n]``: their own login on PostgreSQL, the one file on SQLite)."""
    context = multiprocessing.get_context("spawn")
    ready, start, results = context.Queue(), context.Event(), context.Queue()
    workers = [
        context.Process(target=_clinician, args=(location, n, sessions, ready, start, results))
        for n, location in enumerate(locations)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:  # every clinician has loaded rehabkit and its packs, approved their patients and is waiting
        ready.get(timeout=600)
    began = time.perf_counter()
    start.set()
    timings: list[tuple[float, float, int]] = []
    for _ in workers:
        try:
            got = results.get(timeout=600)
        except queue.Empty:
            raise SystemExit("bench_store: a clinician's process gave no result within 600 s") from None
        if isinstance(got, str):
            raise SystemExit(f"bench_store: a clinician's process failed:\n{got}")
        timings.extend(got)
    wall = time.perf_counter() - began
    for worker in workers:
        worker.join(60)
    writes = sorted(w for w, _, _ in timings)
    whole = sorted(s for _, s, _ in timings)
    return {
        "sessions": len(timings),
        "wall_s": wall,
        "per_second": len(timings) / wall,
        "p95_writes_ms": 1000 * statistics.quantiles(writes, n=20)[18],
        "p95_session_ms": 1000 * statistics.quantiles(whole, n=20)[18],
        "median_writes_ms": 1000 * statistics.median(writes),
        "writes_per_session": statistics.mean(n for _, _, n in timings),
    }


def _rehabkit(*args: str) -> None:
    """The real command; a failure stops the benchmark with its message."""
    result = subprocess.run([sys.executable, "-m", "rehabkit", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"bench_store: rehabkit {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")


def _as_login(url: str, server: PostgresServer, login: str) -> str:
    """``url`` (the store owner's) for ``login``."""
    return url.replace(f"//{server.role}@", f"//{login}@", 1)


def clinicians_of(name: str, location: str, server: PostgresServer, clinicians: int) -> list[str]:
    """Register the store's staff with the real ``rehabkit staff add``; where each clinician's process connects.

    PostgreSQL: the owner registers first (the store's admin), then a login of their own for each clinician, made on
    the throwaway server and registered (and granted) with ``--db-role``. SQLite: the one physiotherapist acting from
    this account, whom every process acts as.
    """
    if name == "SQLite":
        _rehabkit("staff", "add", "PT-0", "--role", "physiotherapist", "--db", location)
        return [location] * clinicians
    _rehabkit("staff", "add", "ADM-1", "--role", "admin", "--db", location)
    locations = []
    for n in range(clinicians):
        login = f"bench_pt_{n}"
        server.psql("postgres", f"CREATE ROLE {login} LOGIN")
        _rehabkit("staff", "add", f"PT-{n}", "--role", "physiotherapist", "--db-role", login, "--db", location)
        locations.append(_as_login(location, server, login))
    return locations


def _who_recorded(location: str) -> str:
    """Who the sessions' records name, and the accounts or logins their audit entries were written from."""
    with open_store(location) as store:
        people = store._db.execute("SELECT count(DISTINCT clinician) FROM sessions").fetchone()[0]
        accounts = store._db.execute("SELECT count(DISTINCT account) FROM audit WHERE tbl = 'sessions'").fetchone()[0]
    return f"(sessions recorded by {people} registered person(s), from {accounts} account(s) or login(s))"


def _detail_template() -> str:
    """A real session's decision record (doses, reasons, ...), to make the built store's rows realistic."""
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "one.sqlite3")
        answers = Path(folder) / "calm.json"
        answers.write_text(json.dumps(CALM))
        for args in (
            ["staff", "add", "PT-1", "--role", "physiotherapist"],
            ["approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", "2026-11-01"],
            ["run", "neck-pain", "--patient", "P1", "--answers", str(answers), "--date", "2026-11-02"],
        ):
            _rehabkit(*args, "--db", db)
        with open_store(db) as store:
            return json.dumps(store.sessions("P1")[0].decision_detail)


def build_clinic(location: str, patients: int, sessions: int, detail: str) -> None:
    """A store of ``patients`` x ``sessions`` neck-pain sessions (and their events, reports and measures), with SQL.

    Patients differ as a clinic's do: every 20th is paused after a red flag, every 15th has pain rising over the last
    week, every 7th stopped coming a week ago, every 11th is ready to leave the first phase but for its NDI. Answers are
    left out: the clinic overview never reads them.
    """
    from rehabkit._sessions.transfer import _write, _writing

    at = "2026-11-20T09:00:00+00:00"
    rows: dict[str, list[tuple[Any, ...]]] = {
        t: [] for t in ("patients", "sessions", "course_events", "next_day", "measures")
    }
    sid = eid = nid = mid = 0
    for p in range(patients):
        patient = f"P-{p:04}"
        rows["patients"].append((patient, at, None))
        gap = 7 if p % 7 == 0 else 0
        first = TODAY - datetime.timedelta(days=sessions + gap)
        eid += 1
        rows["course_events"].append(
            (
                eid,
                patient,
                "neck-pain",
                "approval",
                first.isoformat(),
                "acute",
                "PT-1",
                0,
                json.dumps({"kind": "clinician-approval", "value": True}),
                at,
            )
        )
        eid += 1
        rows["course_events"].append(
            (
                eid,
                patient,
                "neck-pain",
                "enter-phase",
                first.isoformat(),
                "acute",
                None,
                0,
                json.dumps({"reason": "start of the protocol"}),
                at,
            )
        )
        for k in range(sessions):
            sid += 1
            day = first + datetime.timedelta(days=k)
            pain = 5 - min(k // 10, 3)
            if p % 15 == 0 and k >= sessions - 5:
                pain = 6
            rows["sessions"].append(
                (
                    sid,
                    patient,
                    "neck-pain",
                    "2.1.0",
                    "acute",
                    f"{day.isoformat()}T09:00:00+00:00",
                    f"{day.isoformat()}T09:20:00+00:00",
                    "complete",
                    float(pain),
                    float(pain),
                    "continue",
                    detail,
                    day.isoformat(),
                    f"PT-{p % 20}",
                    1,
                )
            )
            if k % 5 == 0:
                nid += 1
                rows["next_day"].append(
                    (nid, patient, sid, float(pain), at, (day + datetime.timedelta(days=1)).isoformat(), None)
                )
        if p % 20 == 0:
            eid += 1
            rows["course_events"].append(
                (
                    eid,
                    patient,
                    "neck-pain",
                    "pause",
                    day.isoformat(),
                    "acute",
                    None,
                    sid,
                    json.dumps({"action": "stop-and-review", "cause": "screening"}),
                    at,
                )
            )
        if p % 11 != 0:
            mid += 1
            rows["measures"].append(
                (
                    mid,
                    patient,
                    "ndi",
                    12.0,
                    "points",
                    "mild",
                    "{}",
                    at,
                    (TODAY - datetime.timedelta(days=3)).isoformat(),
                )
            )
    columns = {
        "patients": ["id", "created", "surgery_date"],
        "sessions": [
            "id",
            "patient",
            "protocol",
            "version",
            "phase",
            "started",
            "finished",
            "status",
            "pain_before",
            "pain_after",
            "decision",
            "decision_detail",
            "date",
            "clinician",
            "within_limits",
        ],
        "course_events": ["id", "patient", "protocol", "kind", "date", "phase", "by", "after_session", "detail", "at"],
        "next_day": ["id", "patient", "session", "pain", "at", "date", "settled_hours"],
        "measures": ["id", "patient", "measure", "value", "unit", "band", "answers", "at", "date"],
    }
    with open_store(location) as store, _writing(store):
        for table, values in rows.items():
            _write(store, table, columns[table], values)


def time_clinic(location: str, runs: int = 5) -> tuple[float, int]:
    """The best wall time of the whole ``rehabkit clinic`` command, and how many courses it listed."""
    best, listed = float("inf"), 0
    for _ in range(runs):
        begun = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "rehabkit",
                "clinic",
                "--db",
                location,
                "--date",
                TODAY.isoformat(),
                "--format",
                "json",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        best = min(best, time.perf_counter() - begun)
        listed = len(json.loads(result.stdout)["courses"])
    return best, listed


def _help_time() -> float:
    best = float("inf")
    for _ in range(5):
        begun = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rehabkit", "--version"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - begun)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinicians", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=15, help="sessions each clinician records")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--per-patient", type=int, default=50)
    options = parser.parse_args()
    folder = find_binaries()
    if folder is None:
        raise SystemExit("bench_store: the PostgreSQL server binaries are not installed (apt-get install postgresql)")
    server = PostgresServer(folder, durable=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stores = {"SQLite": str(Path(tmp) / "clinic.sqlite3"), "PostgreSQL": server.create_database("clinic")}
            print(
                f"Concurrent sessions: {options.clinicians} clinicians (processes), {options.sessions} scripted "
                "neck-pain sessions each, every answer committed as given"
            )
            print(
                f"{'store':<11} {'sessions':>8} {'wall s':>7} {'sessions/s':>10} {'p95 writes ms':>13} "
                f"{'median writes ms':>16} {'p95 session ms':>14} {'writes/session':>14}"
            )
            for name, location in stores.items():
                r = concurrent_sessions(clinicians_of(name, location, server, options.clinicians), options.sessions)
                print(
                    f"{name:<11} {r['sessions']:>8} {r['wall_s']:>7.2f} {r['per_second']:>10.1f} "
                    f"{r['p95_writes_ms']:>13.1f} {r['median_writes_ms']:>16.1f} {r['p95_session_ms']:>14.1f} "
                    f"{r['writes_per_session']:>14.1f}"
                )
                print(f"{'':<11} {_who_recorded(location)}")
            detail = _detail_template()
            clinics = {"SQLite": str(Path(tmp) / "big.sqlite3"), "PostgreSQL": server.create_database("big")}
            print(
                f"\nrehabkit clinic over {options.patients:,} patients x {options.per_patient} sessions "
                f"(whole command, best of 5; 'rehabkit --version' alone takes {_help_time():.2f} s; target 1 s)"
            )
            for name, location in clinics.items():
                _rehabkit("staff", "add", "ADM-1", "--role", "admin", "--db", location)  # before the first write
                begun = time.perf_counter()
                build_clinic(location, options.patients, options.per_patient, detail)
                built = time.perf_counter() - begun
                seconds, listed = time_clinic(location)
                print(
                    f"{name:<11} {seconds:>6.2f} s  {'within' if seconds <= 1 else 'OVER'} 1 s   "
                    f"({listed} courses listed; store built in {built:.1f} s)"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
