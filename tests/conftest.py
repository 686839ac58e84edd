"""Shared fixtures: the repository's paths, the CLI in-process and as a real subprocess,
and the test-only plugin packs installed for real with pip into their own folders."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from rehabkit._sessions.store_api import PATIENT_ID
from rehabkit.cli import main

# The throwaway PostgreSQL server and the store_db fixture that runs a test on SQLite, then on PostgreSQL.
from pg_server import pg_server, pg_url, store_db  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
#: The longest a terminal test waits for what it expects on the screen (pexpect's timeout). A cap, never a pause:
#: each wait ends as soon as the text shows; a busy 2-core machine running the whole suite can take this long.
SCREEN_WAIT = 300
CORPUS = REPO / "tests" / "corpus"
PROTOCOLS = REPO / "protocols"
TEST_PACKS = REPO / "tests" / "plugins"
#: The compatibility corpus's packs hold their own tests: tests/test_compat_corpus.py runs them, installed, with their
#: own configuration; the suite does not collect them itself.
collect_ignore_glob = ["compat/rehabkit-compat-*"]
#: The example code pack in plugins/, installed like the test packs (as "example-clinic").
EXAMPLE_PACK = REPO / "plugins" / "rehabkit-example-clinic"


def ctrl_c_as_at_a_terminal() -> None:
    """``preexec_fn`` for a child that a test interrupts with Ctrl-C (SIGINT): Python raises KeyboardInterrupt
    for it only where SIGINT is not ignored, and a shell starts background jobs (``make test &``, a CI runner)
    with SIGINT ignored, which the child would inherit."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until_reading_the_terminal(pid: int) -> None:
    """Wait until process ``pid`` sleeps reading its terminal, before a test presses Ctrl-C at a prompt.

    A prompt is written just before the read that waits for its answer; a Ctrl-C that lands between the two (a
    busy machine can pause the process there) is handled by Python before the read starts, and the read then waits
    for ever. A person never presses Ctrl-C within those microseconds; a test that answers the moment the prompt
    shows can. So the test waits for what the kernel shows (/proc: asleep in a read of the terminal), never for a
    time; where /proc does not tell, it goes on at once.
    """
    import time

    deadline = time.monotonic() + SCREEN_WAIT
    while time.monotonic() < deadline:
        try:
            wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return
        if state == "S" and wchan in ("wait_woken", "n_tty_read"):
            return
        if wchan in ("", "0"):  # the kernel does not say where the process waits: ask which call it is blocked in
            reading = _blocked_reading_stdin(pid)
            if reading is None or (state == "S" and reading):
                return  # /proc does not tell either: go on at once
        time.sleep(0.005)


def _blocked_reading_stdin(pid: int) -> bool | None:
    """True when process ``pid`` is blocked in read(0, ...) by /proc/PID/syscall (read is call 0 on x86_64 and 63 on
    aarch64), False when in another call or running, None when /proc does not say."""
    import platform

    read = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return None
    if read is None or not fields:
        return None
    return fields[0] == read and len(fields) > 1 and fields[1] == "0x0"


#: The commands that record something about a course: each needs a registered person acting from this account.
WRITING_COMMANDS = ("run", "approve", "review", "next-day", "measure", "patient", "audit", "export", "invite")
#: Who the suite's commands act as by default: a person holding every clinical role, and admin.
TEST_CLINICIAN = "CLIN-1"
CLINICAL_ROLES = ("physiotherapist", "clinician", "surgeon", "admin")


def _option(args: Sequence[str], *names: str) -> str | None:
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def sign_in(
    db: str, who: str | None = TEST_CLINICIAN, roles: Sequence[str] = CLINICAL_ROLES, *, create: bool = True
) -> None:
    """Make ``who`` the registered person acting from this account on the store ``db``, as an admin would with
    'rehabkit staff' (the person acting before is disabled; ``who`` is added with ``roles``, or enabled again).
    ``who`` None: whoever acts from this account already, else the suite's clinician."""
    from rehabkit._sessions.backends import open_store
    from rehabkit._sessions.staff import account_field, current_account, register
    from rehabkit._sessions.store_api import StaffChange

    with open_store(db, create=create) as store:
        members = register(store.staff_events())
        field, account = account_field(store), current_account(store)
        mine = [m for m in members.values() if m.enabled and getattr(m, field) == account]
        if mine and (who is None or mine[0].id == who):
            return  # someone acts from this account already, and no one else is asked for
        who = who or TEST_CLINICIAN
        store.clinician, store.account = who, account  # the register's changes are written in their name
        for member in mine:
            store.add_staff_event(StaffChange(member.id, "disable", actor=who, account=account))
        mapped = {"os_user": account} if field == "os_user" else {"db_role": account}
        if who in members and getattr(members[who], field) == account:
            store.add_staff_event(StaffChange(who, "enable", actor=who, account=account))
            return
        if who in members:  # registered from another account (a store copied to PostgreSQL): registered again here
            roles = members[who].roles
        store.add_staff_event(StaffChange(who, "add", tuple(roles), "test", actor=who, account=account, **mapped))


def signed_in(args: Sequence[str], env: dict[str, str] | None, cwd: Path | None = None) -> None:
    """Before a command that records a course, sign in on its store (``--db``, else REHABKIT_DB) as the person it
    names with --by or --clinician (or REHABKIT_CLINICIAN), else as the suite's clinician. A store that does not
    exist yet is made only for ``run`` (not --plan) and ``approve``, which create one."""
    if not args or args[0] not in WRITING_COMMANDS or "--plan" in args or "--help" in args:
        return
    if tuple(args[:2]) == ("audit", "verify"):
        return  # anyone who can read the store verifies it
    environment = env or {}
    db = _option(args, "--db") or environment.get("REHABKIT_DB")
    if db is None:
        return
    if "://" not in db:
        db = str((cwd or Path.cwd()) / db)
        if not Path(db).exists() and args[0] not in ("run", "approve"):
            return
    who = _option(args, "--by", "--clinician") or environment.get("REHABKIT_CLINICIAN")
    if who is None or PATIENT_ID.fullmatch(who):  # a name the command refuses as a staff id is never signed in
        from rehabkit._common.errors import StoreError

        try:
            sign_in(db, who, create=args[0] in ("run", "approve"))
        except StoreError:
            pass  # not a store rehabkit opens: the command says so itself


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any REHABKIT_* setting of the developer's, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REHABKIT_")}
    env.update(extra)
    return env


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``rehabkit ARGS`` in-process with click's CliRunner; stdout and stderr kept apart."""
    for key in list(os.environ):
        if key.startswith("REHABKIT_"):
            monkeypatch.delenv(key)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None, as_staff: bool = True) -> Result:
        if as_staff:
            signed_in(args, env)
        return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def test_packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each test-only pack under tests/plugins, and the example code pack, installed with pip into its own folder.

    Returns pack name -> folder; put a folder on PYTHONPATH to make that pack's
    entry points visible to a rehabkit subprocess.
    """
    root = tmp_path_factory.mktemp("packs")
    installed: dict[str, Path] = {}
    for source in [*sorted(TEST_PACKS.iterdir()), EXAMPLE_PACK]:
        name = source.name.removeprefix("rehabkit-test-").removeprefix("rehabkit-")
        target = root / name
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--target",
                str(target),
                str(source),
            ],
            check=True,
            cwd=root,
        )
        installed[name] = target
    return installed


@pytest.fixture
def rehabkit(test_packs: dict[str, Path]) -> Callable[..., subprocess.CompletedProcess[Any]]:
    """Run the real ``python -m rehabkit`` in a subprocess, with the named test packs installed.

    ``raw`` gives standard output and error as the bytes written (no decoding, no newline translation), and
    takes ``input`` as bytes."""

    def run(
        *args: str,
        packs: Sequence[str] = (),
        env: dict[str, str] | None = None,
        cwd: Path = REPO,
        as_staff: bool = True,
        raw: bool = False,
        input: str | bytes | None = None,
    ) -> subprocess.CompletedProcess[Any]:
        if as_staff:
            signed_in(args, env, cwd)
        paths = [str(test_packs[p]) for p in packs]
        environment = clean_env(**(env or {}))
        environment["PYTHONPATH"] = os.pathsep.join([*paths, environment.get("PYTHONPATH", "")]).strip(os.pathsep)
        return subprocess.run(
            [sys.executable, "-m", "rehabkit", *args],
            capture_output=True,
            text=not raw,
            input=input,
            env=environment,
            cwd=cwd,
            timeout=120,
        )

    return run


@pytest.fixture(autouse=True, scope="session")
def _cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands keep parsed pack documents in a cache (rehabkit._plugins.doc_cache): the suite's go to a
    temporary folder, not the user's ~/.cache (XDG_CACHE_HOME, inherited by every subprocess)."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
