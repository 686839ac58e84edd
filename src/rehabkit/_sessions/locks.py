"""One writer per patient: the lock a session (or another course record) holds while it writes.

Two sessions for the same patient at once would interleave their answers and
events into one course (each started from the course as it stood before the
other), so a patient's course is written by one command at a time; the second
is refused at once with who holds it, and records nothing. Different patients
never wait for each other.

How each store locks, so that a crashed or killed process never leaves a
patient locked:

* PostgreSQL: a session-level advisory lock keyed by the patient id, held by
  the command's connection; the server releases it when the connection ends,
  however it ends. The holder is named through its ``application_name``.
* SQLite: a POSIX byte-range lock (``fcntl``) on one byte of a lock file beside
  the store (``STORE-locks``), at an offset derived from the patient id; the
  kernel releases it when the process ends. SQLite's own locks cannot serve:
  they lock the whole file, and a write transaction held for a session would
  stop every other patient's.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .._common.errors import StoreError
from .._common.exit_codes import ExitCode

if TYPE_CHECKING:
    from .store_api import SessionStore

__all__ = ["PatientBusy", "holder_name", "patient_lock", "sqlite_patient_lock"]


class PatientBusy(StoreError):
    """Another command is writing this patient's course at this moment; nothing was recorded."""

    exit_code = ExitCode.PATIENT_BUSY

    def __init__(self, patient: str, what: str, holder: str | None) -> None:
        by = f" ({holder})" if holder else ""
        super().__init__(
            f"patient {patient!r} is busy: another rehabkit command is recording {patient}'s course right now{by}, so "
            f"{what} was not started and nothing was recorded. A patient's sessions and course records are written one "
            "at a time, so that two can never be mixed into one course; try again when the other has ended."
        )
        self.patient = patient
        self.holder = holder


def holder_name(what: str, patient: str, clinician: str | None) -> str:
    """How a lock's holder is described to the command it refuses: what, for whom, by whom, from where."""
    by = f" by {clinician}" if clinician else ""
    return f"{what} for {patient}{by}, process {os.getpid()} on {socket.gethostname()}"


@contextmanager
def patient_lock(
    store: SessionStore, patient: str, what: str = "a session", clinician: str | None = None
) -> Iterator[None]:
    """Hold ``patient``'s lock in ``store`` while the block writes; :class:`PatientBusy` when another holds it."""
    with store.patient_lock(patient, what, clinician):
        yield


#: Lock files open in this process, by path: POSIX locks belong to the process, and closing any descriptor of the
#: file would drop every lock the process holds on it, so each file is opened once and kept open while locks are held.
_OPEN: dict[str, tuple[int, set[int]]] = {}
_GUARD = threading.Lock()


def _offset(patient: str) -> int:
    # 62 bits of a hash: a collision between two patients' ids is vanishingly unlikely, and would only make one wait.
    return int.from_bytes(hashlib.blake2b(patient.encode(), digest_size=8).digest(), "big") >> 2


def _try_lock(fd: int, offset: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - the tests run on Linux
        import msvcrt

        os.lseek(fd, offset, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
    except OSError:
        return False
    return True


def _unlock(fd: int, offset: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, offset, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)


@contextmanager
def sqlite_patient_lock(store_path: Path, patient: str, what: str, clinician: str | None) -> Iterator[None]:
    """The SQLite store's patient lock: one byte of ``STORE-locks``, and a note of the holder beside it."""
    lock_path = Path(f"{store_path}-locks")
    notes = Path(f"{store_path}-locks.d")
    offset = _offset(patient)
    with _GUARD:
        key = str(lock_path.resolve())
        if key in _OPEN:
            fd, held = _OPEN[key]
        else:
            fd, held = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), set()
            _OPEN[key] = (fd, held)
        # In one process POSIX locks never conflict, so the process's own holds are checked here.
        got = offset not in held and _try_lock(fd, offset)
        if got:
            held.add(offset)
        elif not held:
            os.close(fd)
            del _OPEN[key]
    if not got:
        raise PatientBusy(patient, what, _read_note(notes, patient))
    note = notes / f"{offset:016x}"
    try:
        notes.mkdir(mode=0o700, exist_ok=True)
        descriptor = os.open(note, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it names a patient
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(holder_name(what, patient, clinician))
    except OSError:
        pass  # the note only names the holder; the lock itself is what counts
    try:
        yield
    finally:
        try:
            note.unlink()
        except OSError:
            pass
        with _GUARD:
            fd, held = _OPEN[key]
            _unlock(fd, offset)
            held.discard(offset)
            if not held:
                os.close(fd)
                del _OPEN[key]


def _read_note(notes: Path, patient: str) -> str | None:
    try:
        return (notes / f"{_offset(patient):016x}").read_text()[:200] or None
    except OSError:
        return None
