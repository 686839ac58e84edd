"""Concurrent first use of a store by real processes, started at one instant (issue 29).

Each trial starts four ``rehabkit`` processes that have already imported rehabkit and wait at a barrier, so that
they open the store at the same moment (processes merely spawned together are spread out by their start-up, and
hide the window). Every kind of first use is tried in turn: a file that does not exist yet, an empty file, a store
of an older schema, and a new store with one person registered. No process ever fails with "database is locked" or
a traceback, each exits as its command says it may, and the store ends current with one admin.

``REHABKIT_STRESS_TRIALS=N`` runs N trials instead of the suite's few (a stress run by hand).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from rehabkit._sessions.backends import open_store
from rehabkit._sessions.staff import register
from rehabkit._sessions.store import MIGRATIONS

from conftest import REPO, clean_env

TRIALS = int(os.environ.get("REHABKIT_STRESS_TRIALS", "8"))

#: A process that imports rehabkit, says it is ready, waits for the go file, then runs its command.
WORKER = """
import os, sys, time
from rehabkit.cli import main
ready, go = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.0005)
main(sys.argv[3:], prog_name="rehabkit")
"""


def _at_once(folder: Path, commands: list[list[str]]) -> list[tuple[list[str], int, str]]:
    go = folder / "go"
    processes = []
    for n, command in enumerate(commands):
        ready = folder / f"ready-{n}"
        args = [sys.executable, "-c", WORKER, str(ready), str(go), *command]
        processes.append(
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=clean_env())
        )
    deadline = time.monotonic() + 120
    while not all((folder / f"ready-{n}").exists() for n in range(len(commands))):
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.005)
    go.touch()
    results = []
    for command, process in zip(commands, processes, strict=True):
        _, err = process.communicate(timeout=120)
        results.append((command, process.returncode, err))
    return results


def _older_store(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(MIGRATIONS[0])  # type: ignore[arg-type]
    connection.execute("PRAGMA user_version = 1")
    connection.execute("INSERT INTO patients (id, created) VALUES ('P1', '2026-01-01T00:00:00+00:00')")
    connection.close()


def _approve(db: Path, patient: str) -> list[str]:
    return ["approve", patient, "--protocol", "neck-pain", "--phase", "acute", "--db", str(db)]


def _trial(folder: Path, kind: str) -> tuple[list[tuple[list[str], int, str]], dict[str, set[int]]]:
    """Make the store of ``kind``, run four writers on it at once; their results and the exit codes each may give."""
    db = folder / "store.sqlite3"
    staff = ["staff", "add", "CLIN-1", "--role", "clinician", "--role", "physiotherapist", "--db", str(db)]
    second = ["staff", "add", "CLIN-2", "--role", "physiotherapist", "--db", str(db)]
    upgrade = ["db", "upgrade", "--db", str(db)]
    next_day = ["next-day", "P1", "--pain", "3", "--db", str(db)]
    if kind == "ready":
        subprocess.run([sys.executable, "-m", "rehabkit", *staff], cwd=REPO, env=clean_env(), check=True)
        commands = [_approve(db, f"P{n}") for n in range(4)]
        return _at_once(folder, commands), {"approve": {0}}
    if kind == "empty":
        db.write_bytes(b"")
    if kind == "older":
        _older_store(db)
        # next-day: P1 has no session (exit 1), or no one is registered yet (exit 9); a store seen before the upgrade
        # committed is refused as older (exit 1); staff add likewise, or 8 while another changes the register.
        commands = [upgrade, upgrade, staff, next_day]
        return _at_once(folder, commands), {"db": {0}, "staff": {0, 1, 8}, "next-day": {1, 9}}
    # approve: exit 9 when it opened the store before the first registration committed; staff add: exit 8 while the
    # other changes the register.
    commands = [staff, second, _approve(db, "P1"), upgrade]
    return _at_once(folder, commands), {"staff": {0, 8}, "approve": {0, 9}, "db": {0}}


def test_concurrent_first_use_never_fails_with_a_locked_database(tmp_path) -> None:
    kinds = ("missing", "empty", "older", "ready")
    for trial in range(TRIALS):
        kind = kinds[trial % len(kinds)]
        folder = tmp_path / f"trial-{trial}"
        folder.mkdir()
        results, allowed = _trial(folder, kind)
        for command, code, err in results:
            assert "locked" not in err and "Traceback" not in err, (kind, command, err)
            assert code in allowed[command[0]], (kind, command, code, err)
            if code == 8:  # the register, not a patient, was busy
                assert "the staff register is being changed by another rehabkit command" in err, err
        with open_store(str(folder / "store.sqlite3"), create=False, migrate=False) as store:
            assert store.schema_version == len(MIGRATIONS), kind
            admins = [m for m in register(store.staff_events()).values() if "admin" in m.roles]
            if kind != "older" or any(c[0] == "staff" and code == 0 for c, code, _ in results):
                assert len(admins) == 1, (kind, admins)
            if kind == "ready":
                assert all(store.has_patient(f"P{n}") for n in range(4))
