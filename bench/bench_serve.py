"""Benchmark: rehabkit serve (issue 27), on SQLite and on PostgreSQL.

1. Patients through HTTP: ``rehabkit serve`` (uvicorn, one process, 127.0.0.1) and N simulated patients, at most C at
   once (threads of this process, each a patient with a cookie of their own), each doing today's whole session as the
   pages ask: the sign-in link, *Start*, every red-flag question (no), pain before (2), each exercise (1), pain after
   (2), no new symptom, to the decision. Reported: the 95th percentile and median of one step (one answer POSTed and
   stored, until its answer comes back) at C concurrent patients (target p95 <= 100 ms), whole sessions per second,
   and the same sessions (the same answers, on twin patients) through ``rehabkit run --answers`` processes, C side by
   side: what the server must at least match. The floor under both: the store's fsync-bound commit rate (one row,
   committed, in a loop: SQLite's WAL file with the store's settings, a table on the PostgreSQL server), divided by
   the writes one session makes (counted in the audit trail: every write is an entry).
2. ``rehabkit clinic`` (the whole command, best of 2) over bench_store's corpus of P patients x S sessions, with the
   command's peak memory (its maximum resident set size): target 1 s and 150 MB, flat as the store grows.

PostgreSQL is a throwaway server (tests/pg_server.py, fsync on as a real server has it). Run with ``make bench`` or
``python bench/bench_serve.py [--patients N] [--concurrency C] [--clinic-patients P] [--clinic-sessions S]``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import http.client
import json
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from bench_store import _detail_template, build_clinic  # noqa: E402

from rehabkit._sessions.backends import open_store  # noqa: E402

from pg_server import PostgresServer, find_binaries  # noqa: E402

TODAY = datetime.date.today()
CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}
#: The answer each step of the walk gives (by the step's kind), as CALM says it.
ANSWERS = {"question": "no", "pain-before": "2", "exercise": "1", "pain-after": "2", "new-symptom": "no"}


def _rehabkit(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "rehabkit", *args], check=True, capture_output=True, text=True)


def prepare(location: str, patients: list[str], twins: list[str]) -> dict[str, str]:
    """The store: CL-1 (a clinician, the first person: admin too) acting from this account or login; every patient
    approved into neck-pain's first phase yesterday; the browser's patients registered as patients, each with a
    sign-in link. Their links' tokens."""
    from rehabkit._plugins.manager import PluginManager
    from rehabkit._sessions.locks import patient_lock
    from rehabkit._sessions.service import CourseContext, approve
    from rehabkit._sessions.sign_in import make_link
    from rehabkit._sessions.staff import who_acts
    from rehabkit.cli.staff_cmds import _register_lock, _register_member

    _rehabkit("staff", "add", "CL-1", "--role", "clinician", "--db", location)
    manager = PluginManager.from_environment((), strict=False)
    manager.load()
    registry = manager.registry()
    protocol = registry.find_protocol("neck-pain").item
    measures = {key: r.item for key, r in registry.outcome_measures.items()}
    screening = tuple(r.item for r in registry.screening.values())
    context = CourseContext(
        protocol, registry.exercise_library(), measures, screening, manager.decide, registry.policy()
    )
    tokens = {}
    with open_store(location) as store:
        actor = who_acts(store)
        for patient in [*patients, *twins]:
            with patient_lock(store, patient, "an approval", actor.id):
                approve(store, context, patient, actor, TODAY - datetime.timedelta(days=1), phase="acute")
        for patient in patients:
            with _register_lock(store):
                _register_member(store, patient, ("patient",), None, None, None)
            tokens[patient] = make_link(store, patient, actor, datetime.timedelta(days=1))[0]
    return tokens


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(location: str) -> tuple[subprocess.Popen[str], int]:
    """``rehabkit serve`` on a free port of 127.0.0.1, once it answers."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "rehabkit", "serve", "--db", location, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit(f"bench_serve: rehabkit serve did not answer: {server.communicate()}")


class Patient:
    """One patient's browser: a connection, their cookie, the time of each answer they give."""

    def __init__(self, port: int, think: float = 0.0) -> None:
        self.port, self.cookie, self.steps, self.think = port, "", [], think
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def ask(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Origin": f"http://127.0.0.1:{self.port}", "Cookie": self.cookie}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body, headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        if cookie := response.getheader("set-cookie"):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text

    def session(self, token: str) -> bool:
        """Sign in with ``token`` and do today's session to its decision; True when it reached one."""
        self.ask("POST", "/sign-in", {"token": token})
        self.ask("POST", "/session/start", {})
        for _ in range(100):
            _, page = self.ask("GET", "/session")
            found = re.search(r'name="step" value="([^"]+)"', page)
            if found is None:
                return "Decision" in page
            step = found.group(1)
            time.sleep(self.think)  # reading the page, doing the exercise
            begun = time.perf_counter()
            status, _ = self.ask("POST", "/session/answer", {"step": step, "answer": ANSWERS[step.split(":")[0]]})
            self.steps.append(time.perf_counter() - begun)
            if status != 303:
                return False
        return False


def browser_sessions(port: int, tokens: list[str], concurrency: int, think: float = 0.0) -> dict[str, float]:
    """Every token's patient does today's session, ``concurrency`` at once, ``think`` seconds before each answer:
    step times and sessions per second."""

    def one(token: str) -> tuple[bool, list[float]]:
        patient = Patient(port, think)
        try:
            return patient.session(token), patient.steps
        finally:
            patient.connection.close()

    begun = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, tokens))
    wall = time.perf_counter() - begun
    steps = sorted(s for _, times in results for s in times)
    done = sum(ok for ok, _ in results)
    return {
        "done": done,
        "wall": wall,
        "per_second": done / wall,
        "p95_ms": 1000 * steps[int(0.95 * (len(steps) - 1))],
        "median_ms": 1000 * statistics.median(steps),
        "steps": len(steps),
    }


def terminal_sessions(location: str, twins: list[str], concurrency: int, answers: Path) -> dict[str, float]:
    """The same sessions through ``rehabkit run --answers`` processes, ``concurrency`` side by side."""
    command = [sys.executable, "-m", "rehabkit", "run", "neck-pain", "--answers", str(answers), "--db", location]

    refusals: list[str] = []

    def one(twin: str) -> bool:
        done = subprocess.run([*command, "--patient", twin], capture_output=True, text=True)
        if done.returncode != 0:
            refusals.append(f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}")
        return done.returncode == 0

    begun = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        done = sum(pool.map(one, twins))
    wall = time.perf_counter() - begun
    for refusal in sorted(set(refusals)):
        print(f"  'rehabkit run' refused ({refusals.count(refusal)}x): {refusal}")
    return {"done": done, "wall": wall, "per_second": done / wall}


def writes_of(location: str, patient: str) -> int:
    """The store's writes (audit entries) about ``patient`` so far."""
    with open_store(location, create=False) as store:
        return sum(1 for e in store.audit_entries() if e.patient == patient)


def commit_rate(location: str, server: PostgresServer | None, count: int = 200) -> float:
    """Commits per second of one small row each, on the store's own kind of storage: the fsync-bound floor."""
    if server is None:
        scratch = Path(location).with_name("commits.sqlite3")
        db = sqlite3.connect(scratch, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")  # as the store: WAL, the default (full) synchronous setting
        db.execute("CREATE TABLE t (x INTEGER)")
        begun = time.perf_counter()
        for n in range(count):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO t VALUES (?)", (n,))
            db.execute("COMMIT")
        rate = count / (time.perf_counter() - begun)
        db.close()
        return rate
    import psycopg

    with psycopg.connect(location, autocommit=True) as db:
        db.execute("CREATE TABLE IF NOT EXISTS bench_commits (x integer)")
        begun = time.perf_counter()
        for n in range(count):
            db.execute("INSERT INTO bench_commits VALUES (%s)", (n,))
        return count / (time.perf_counter() - begun)


def timed_clinic(location: str, runs: int = 2) -> tuple[float, float, int]:
    """The best wall time of ``rehabkit clinic`` over the store, its peak memory (MB), and the courses listed. The
    memory is GNU time's (``/usr/bin/time``): a child forked from this process would count this process's own pages
    (the corpus built in memory) as its peak."""
    best, peak, listed = float("inf"), 0.0, 0
    command = [sys.executable, "-m", "rehabkit", "clinic", "--db", location, "--date", "2026-11-20", "--format", "json"]
    gnu_time = Path("/usr/bin/time")  # Debian's package 'time'; without it, no peak is reported
    with tempfile.TemporaryDirectory() as tmp:
        memory = Path(tmp) / "peak"
        for _ in range(runs):
            timed = ["/usr/bin/time", "-f", "%M", "-o", str(memory)] if gnu_time.exists() else []
            begun = time.perf_counter()
            done = subprocess.run([*timed, *command], check=True, capture_output=True, text=True)
            best = min(best, time.perf_counter() - begun)
            peak = max(peak, int(memory.read_text().split()[-1]) / 1024) if timed else float("nan")
            listed = len(json.loads(done.stdout)["courses"])
    return best, peak, listed


def serve_table(stores: dict[str, str], server: PostgresServer, options: Any, folder: Path) -> None:
    answers = folder / "calm.json"
    answers.write_text(json.dumps(CALM))
    n, c = options.patients, options.concurrency
    print(f"rehabkit serve: {n} patients, {c} at once, one whole neck-pain session each through HTTP (127.0.0.1); "
          f"the same sessions on twins through 'rehabkit run --answers' processes, {c} side by side")  # fmt: skip
    print(
        f"{c} patients answering every {options.think:g} s: p95 and median of one step; then {n - c} patients "
        f"answering at once (no pause): p95 step, whole sessions/s; 'rehabkit run' sessions/s of {n} twins"
    )
    print(f"{'store':<11} {'p95 step ms':>11} {'median ms':>9} {'busy p95 ms':>11} {'serve s/s':>9} {'run s/s':>7} "
          f"{'commits/s':>9} {'writes/session':>14} {'floor s/s':>9}")  # fmt: skip
    for name, location in stores.items():
        patients, twins = [f"W-{k:03}" for k in range(n)], [f"T-{k:03}" for k in range(n)]
        tokens = prepare(location, patients, twins)
        before = writes_of(location, patients[0])
        process, port = serve(location)
        try:
            web = browser_sessions(port, [tokens[p] for p in patients[c:]], c)  # as fast as answers come back
            paced = browser_sessions(port, [tokens[p] for p in patients[:c]], c, options.think)  # as people answer
        finally:
            process.terminate()
            process.communicate(timeout=60)
        terminal = terminal_sessions(location, twins, c, answers)
        writes = writes_of(location, patients[0]) - before  # one session's, the link's exchange included
        commits = commit_rate(location, None if name == "SQLite" else server)
        print(f"{name:<11} {paced['p95_ms']:>11.0f} {paced['median_ms']:>9.0f} {web['p95_ms']:>11.0f} "
              f"{web['per_second']:>9.1f} {terminal['per_second']:>7.1f} {commits:>9.0f} {writes:>14.0f} "
              f"{commits / writes:>9.1f}   ({paced['done'] + web['done']}/{n} by HTTP, {terminal['done']}/"
              f"{len(twins)} by run; target p95 100 ms: {'within' if paced['p95_ms'] <= 100 else 'OVER'})")  # fmt: skip


def clinic_table(stores: dict[str, str], options: Any) -> None:
    p, s = options.clinic_patients, options.clinic_sessions
    print(f"\nrehabkit clinic over {p:,} patients x {s} sessions (whole command, best of 2; target 1 s, 150 MB)")
    for name, location in stores.items():
        _rehabkit("staff", "add", "ADM-1", "--role", "admin", "--db", location)
        begun = time.perf_counter()
        build_clinic(location, p, s, _detail_template())
        built = time.perf_counter() - begun
        seconds, peak, listed = timed_clinic(location)
        print(f"{name:<11} {seconds:>6.2f} s {'within' if seconds <= 1 else 'OVER'} 1 s   {peak:>5.0f} MB "
              f"{'within' if peak <= 150 else 'OVER'} 150 MB   ({listed} courses listed; store built in "
              f"{built:.0f} s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--think", type=float, default=2.0, help="seconds a paced patient takes before each answer")
    parser.add_argument("--clinic-patients", type=int, default=10_000)
    parser.add_argument("--clinic-sessions", type=int, default=30)
    parser.add_argument("--skip-clinic", action="store_true")
    options = parser.parse_args()
    folder = find_binaries()
    if folder is None:
        raise SystemExit("bench_serve: the PostgreSQL server binaries are not installed (apt-get install postgresql)")
    server = PostgresServer(folder, durable=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stores = {"SQLite": str(Path(tmp) / "serve.sqlite3"), "PostgreSQL": server.create_database("serve")}
            serve_table(stores, server, options, Path(tmp))
            if not options.skip_clinic:
                big = {"SQLite": str(Path(tmp) / "big.sqlite3"), "PostgreSQL": server.create_database("big")}
                clinic_table(big, options)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
