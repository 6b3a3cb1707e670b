"""A MariaDB server of the test's own, to stop, kill -9 and start again (fault tests).

The shared server on 127.0.0.1:3306 serves the whole suite; a test that takes the database
away must not take it from the others. ``PrivateMariaDB`` runs ``mariadbd`` on a free port
with its data directory, socket and error log in a temporary folder; the system tables are
installed once per run (``mariadb-install-db``) and copied for each server.

    async def test_outage(private_mariadb: PrivateMariaDB) -> None:
        url = private_mariadb.create_database("app")   # mysql://root:@127.0.0.1:<port>/app
        ...
        private_mariadb.kill()      # SIGKILL, like a crash: clients see connections refused
        ...
        private_mariadb.start()     # same data directory: committed data is still there

Skipped, with the reason, where the machine has no MariaDB server binaries.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = shutil.which("mariadbd") or shutil.which("mysqld") or (
    "/usr/sbin/mariadbd" if os.path.exists("/usr/sbin/mariadbd") else None)
INSTALL = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
HAVE_MARIADB = SERVER is not None and INSTALL is not None
needs_mariadb_server = pytest.mark.skipif(
    not HAVE_MARIADB, reason="no mariadbd / mariadb-install-db on this machine (Debian: "
    "apt-get install mariadb-server) for the tests that run a MariaDB of their own")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_root() -> list[str]:
    return ["--user=root"] if os.geteuid() == 0 else []


def install_system_tables(datadir: Path) -> None:
    """A fresh data directory with MariaDB's system tables (root without a password)."""
    assert INSTALL is not None
    datadir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [INSTALL, "--no-defaults", f"--datadir={datadir}", "--skip-test-db",
         "--auth-root-authentication-method=normal", *_as_root()],
        capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed: {result.stderr[-2000:]}")


class PrivateMariaDB:
    """One mariadbd on 127.0.0.1:``port``, data in ``folder / "data"``."""

    def __init__(self, folder: Path, template: Path | None = None) -> None:
        self.folder = folder
        self.datadir = folder / "data"
        self.socket = folder / "mysqld.sock"
        self.log = folder / "error.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        if not self.datadir.exists():
            if template is not None:
                shutil.copytree(template, self.datadir, symlinks=True)
            else:
                install_system_tables(self.datadir)

    def url(self, database: str) -> str:
        return f"mysql://root:@127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 60.0) -> None:
        """Start (again) on the same port and data directory; returns once it answers."""
        assert SERVER is not None
        if self.running:
            return
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [SERVER, "--no-defaults", f"--datadir={self.datadir}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.socket}",
             f"--pid-file={self.folder / 'mysqld.pid'}", f"--log-error={self.log}",
             "--skip-grant-tables", "--skip-name-resolve", "--skip-log-bin",
             "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
             "--max-connections=200", "--character-set-server=utf8mb4", *_as_root()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited ({self.process.returncode}): "
                                   f"{self._log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"mariadbd did not answer in {timeout:.0f} s: "
                                   f"{self._log_tail()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: a crash, as far as its clients can tell."""
        self._signal(signal.SIGKILL)

    def stop(self, timeout: float = 60.0) -> None:
        """A clean shutdown (SIGTERM)."""
        self._signal(signal.SIGTERM, timeout)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections but answers nothing (a hung host)."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGCONT)

    def create_database(self, name: str) -> str:
        """``CREATE DATABASE`` (utf8mb4); returns its URL."""
        self.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
        return self.url(name)

    def execute(self, statement: str, database: str | None = None) -> list[tuple[object, ...]]:
        import pymysql

        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="",
                               database=database, connect_timeout=5, autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return list(cur.fetchall())
        finally:
            conn.close()

    def _signal(self, sig: signal.Signals, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a paused server must be able to die
        self.process.send_signal(sig)
        self.process.wait(timeout=timeout)

    def _answers(self) -> bool:
        try:
            self.execute("SELECT 1")
            return True
        except Exception:
            return False

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return "(no error log)"


@pytest.fixture(scope="session")
def mariadb_system_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """System tables installed once per run, copied by every private server."""
    if not HAVE_MARIADB:
        pytest.skip(needs_mariadb_server.kwargs["reason"])
    datadir = tmp_path_factory.mktemp("mariadb-template") / "data"
    install_system_tables(datadir)
    return datadir


@pytest.fixture
def private_mariadb(tmp_path: Path, mariadb_system_tables: Path) -> Iterator[PrivateMariaDB]:
    """A started MariaDB of this test's own (see the module docstring); killed afterwards."""
    server = PrivateMariaDB(tmp_path / "mariadb", template=mariadb_system_tables)
    server.start()
    try:
        yield server
    finally:
        server.kill()
