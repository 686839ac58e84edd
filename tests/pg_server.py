"""A throwaway PostgreSQL server for the tests: its own data directory, on a Unix socket only, stopped at the end.

The binaries are Debian's ``postgresql`` package (``/usr/lib/postgresql/N/bin``),
which ``make test`` installs. ``initdb`` refuses to run as root, so where the
tests run as root the server runs as the unprivileged ``postgres`` user (or
``nobody``) in a temporary directory that user owns. The server listens on no
TCP port at all (``listen_addresses=''``): nothing outside this machine's
file system can reach it, and two test runs never collide on a port.

Used by the ``pg_url`` fixture in conftest.py, and by bench/bench_store.py.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresServer", "find_binaries"]


def find_binaries() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (the newest Debian version), or None."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if all(os.access(Path(folder) / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        folder = Path(os.path.realpath(found)).parent
        if (folder / "postgres").exists():
            return folder
    return None


class PostgresServer:
    """``initdb`` + ``pg_ctl start`` in a temporary directory; :meth:`url` gives a libpq URL for a database in it."""

    def __init__(self, binaries: Path, user: str | None = None, *, durable: bool = False) -> None:
        self.binaries = binaries
        #: With ``durable``, commits reach the disk as on a real server (the benchmark); the tests skip that.
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="rehabkit-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.socket_dir.mkdir()
        #: The operating-system user the server runs as (None: the current one).
        self.run_as = user if user is not None else (_unprivileged_user() if os.geteuid() == 0 else None)
        #: The database role: the user initdb ran as.
        self.role = self.run_as or _current_user()
        self._started = False
        if self.run_as is not None:
            import pwd

            entry = pwd.getpwnam(self.run_as)
            for path in (self.root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.root.chmod(0o755)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120, cwd=self.root)

    def start(self) -> PostgresServer:
        """Create the cluster and start the server; raises RuntimeError with the server's log when it cannot."""
        try:
            self._run(
                str(self.binaries / "initdb"),
                "-D",
                str(self.data),
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                self.role,
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed: {exc.stderr or exc.stdout}") from None
        options = f"-c listen_addresses='' -k {self.socket_dir} -c max_connections=100"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.root / "server.log"
        result = self._run(
            str(self.binaries / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if result.returncode != 0:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"the PostgreSQL server did not start: {result.stderr}{text}")
        self._started = True
        return self

    def url(self, database: str = "postgres") -> str:
        """A libpq URL for ``database`` on this server's socket."""
        from urllib.parse import quote

        return f"postgresql://{self.role}@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still connected to it."""
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def psql(self, database: str, sql: str) -> str:
        """Run SQL with the psql client on the socket; its output."""
        psql = self.binaries / "psql"
        program = str(psql) if psql.exists() else "psql"
        result = self._run(
            program,
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-U",
            self.role,
            "-d",
            database,
            "-c",
            sql,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed on {sql!r}: {result.stderr}")
        return result.stdout

    def password_login(self, role: str, password: str, database: str) -> str:
        """Make ``role`` a login that must give ``password`` (SCRAM) on this server, owning a new ``database``; the URL
        of that database as ``role``, without the password. Every other role still connects without one."""
        self.psql("postgres", f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        self.psql("postgres", f'CREATE DATABASE "{database}" OWNER "{role}"')
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"local all {role} scram-sha-256\n" + hba.read_text())
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "reload")
        self._until_password_asked(role)
        from urllib.parse import quote

        return f"postgresql://{role}@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def _until_password_asked(self, role: str) -> None:
        """Wait until the server, having reread pg_hba.conf after its reload signal, asks ``role`` for a password."""
        psql = self.binaries / "psql"
        command = [str(psql) if psql.exists() else "psql", "-X", "-w", "-h", str(self.socket_dir), "-U", role]
        deadline = time.monotonic() + 30
        while self._run(*command, "-d", "postgres", "-c", "SELECT 1", check=False).returncode == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server never asked {role} for a password after reloading pg_hba.conf")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        if self._started:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _current_user() -> str:
    import getpass

    return getpass.getuser()


def _unprivileged_user() -> str:
    """An existing unprivileged user for the server when running as root (initdb refuses root)."""
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and no unprivileged user (postgres or nobody) exists for the PostgreSQL server")


if __name__ == "__main__":  # a quick manual check: start, create a database, print its URL, stop
    folder = find_binaries()
    if folder is None:
        raise SystemExit("no PostgreSQL server binaries: apt-get install postgresql")
    with PostgresServer(folder) as server:
        print(server.create_database("check"))
        time.sleep(0.1)


# --- pytest fixtures (conftest.py imports them) ------------------------------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - bench/bench_store.py uses the server without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:
    import itertools

    _NAMES = itertools.count(1)

    @pytest.fixture(scope="session")
    def pg_server() -> object:
        """One throwaway PostgreSQL server for the whole run; the tests that need it skip, saying why, without it."""
        folder = find_binaries()
        if folder is None:
            pytest.skip(
                "the PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed: 'make test' "
                "installs Debian's postgresql package; apt-get install postgresql"
            )
        pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[postgres]' (make test does)")
        server = PostgresServer(folder)
        try:
            server.start()
        except RuntimeError as exc:
            server.stop()
            pytest.fail(f"the throwaway PostgreSQL server could not start: {exc}")
        yield server
        server.stop()

    @pytest.fixture
    def pg_url(pg_server: PostgresServer) -> object:
        """The URL of a new, empty database on the throwaway server, dropped after the test."""
        name = f"t{os.getpid()}_{next(_NAMES)}"
        yield pg_server.create_database(name)
        pg_server.drop_database(name)

    @pytest.fixture(params=["sqlite", "postgresql"])
    def store_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
        """A store location for each database: a new SQLite file, then a new PostgreSQL database."""
        if request.param == "sqlite":
            return str(tmp_path / "store.sqlite3")
        return str(request.getfixturevalue("pg_url"))
