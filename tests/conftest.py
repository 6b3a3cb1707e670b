"""Shared fixtures: settings in a temporary data directory, and a migrated database.

``db`` runs each test on SQLite and, when 127.0.0.1:3306 answers, again on MariaDB (a fresh
database for the run, emptied between tests). When MariaDB does not answer, its variant is
skipped with the reason shown in the summary (pytest runs with -ra).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from crm import db as crm_db
from prowebcrm.settings import Settings, load_settings

pytest_plugins = ["tests.pbx.fixtures", "tests.dbserver"]

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
MARIADB_HOST = os.environ.get("PROWEBCRM_TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("PROWEBCRM_TEST_MARIADB_PORT", "3306"))
MARIADB_USER = os.environ.get("PROWEBCRM_TEST_MARIADB_USER", "root")
MARIADB_PASSWORD = os.environ.get("PROWEBCRM_TEST_MARIADB_PASSWORD", "")


def _mariadb_answers() -> bool:
    try:
        with socket.create_connection((MARIADB_HOST, MARIADB_PORT), timeout=1):
            return True
    except OSError:
        return False


MARIADB_UP = _mariadb_answers()
mariadb_only = pytest.mark.skipif(
    not MARIADB_UP, reason=f"MariaDB not reachable at {MARIADB_HOST}:{MARIADB_PORT}"
)
DB_BACKENDS = ["sqlite", pytest.param("mariadb", marks=[pytest.mark.mariadb, mariadb_only])]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test gets a copy (much faster than migrating)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    asyncio.run(crm_db.migrate(f"sqlite://{path}"))
    return path


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """A fresh database for this run, migrated once, dropped at the end."""
    import pymysql  # installed with aiomysql

    name = f"prowebcrm_test_{uuid.uuid4().hex[:10]}"
    conn = pymysql.connect(
        host=MARIADB_HOST, port=MARIADB_PORT, user=MARIADB_USER, password=MARIADB_PASSWORD
    )
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = (
        f"mysql://{MARIADB_USER}:{MARIADB_PASSWORD}@{MARIADB_HOST}:{MARIADB_PORT}/{name}"
    )
    asyncio.run(crm_db.migrate(url))
    try:
        yield url
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture(params=DB_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite://{path}"
    url = request.getfixturevalue("mariadb_url")
    _empty_mariadb(url)
    return url


def _empty_mariadb(url: str) -> None:
    import pymysql

    name = url.rsplit("/", 1)[1]
    conn = pymysql.connect(
        host=MARIADB_HOST,
        port=MARIADB_PORT,
        user=MARIADB_USER,
        password=MARIADB_PASSWORD,
        database=name,
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES")
            tables = [row[0] for row in cur.fetchall() if row[0] != "tortoise_migrations"]
            cur.execute("SET FOREIGN_KEY_CHECKS=0")
            for table in tables:
                cur.execute(f"TRUNCATE TABLE `{table}`")
            cur.execute("SET FOREIGN_KEY_CHECKS=1")
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        login_attempts_per_minute=1000,
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """The ORM initialised on a migrated, empty database."""
    # tortoise caches prepared INSERTs per (connection name, table), not per dialect: a run
    # that goes from SQLite to MariaDB would reuse '?' placeholders. Production never switches.
    EXECUTOR_CACHE.clear()
    await crm_db.init_db(database_url)
    try:
        yield database_url
    finally:
        await crm_db.close_db()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run, rather than hang it, when a test left a database connection open.

    Each open aiosqlite connection holds a non-daemon thread: one left behind keeps the
    pytest process alive for ever after the last test (CI then times out with every test
    green). Stop them so the process exits, and say so.
    """
    import gc
    import threading

    import aiosqlite.core

    left = [obj for obj in gc.get_objects()
            if isinstance(obj, aiosqlite.core.Connection) and obj._thread.is_alive()]
    for connection in left:
        connection.stop()
    stray = [t.name for t in threading.enumerate()
             if t is not threading.main_thread() and not t.daemon and t.is_alive()
             and "_connection_worker_thread" not in t.name
             # executor workers are joined at interpreter exit and end on their own
             and not t.name.startswith(("ThreadPoolExecutor", "asyncio_"))]
    if left or stray:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = (f"{len(left)} SQLite connection(s) left open by the tests; "
                   f"other non-daemon threads still running: {stray or 'none'}")
        if reporter is not None:
            reporter.write_line(f"ERROR: {message}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
