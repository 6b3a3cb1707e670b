"""Database connection and schema migrations (tortoise-orm, built-in migrations)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError, OperationalError

APP_LABEL = "crm"
MIGRATIONS_MODULE = "migrations"


class DatabaseError(Exception):
    """The database cannot be reached or used; the message is one clear line."""


READER = "reader"


# -- "the database is away" ---------------------------------------------------------------

# MySQL/MariaDB client and server codes that mean the server is away, restarting, read-only
# for a failover, or busy: the same batch will go through later.
_MYSQL_AWAY = {
    1040, 1047, 1053, 1205, 1213, 1290, 1836, 1927, 2002, 2003, 2006, 2012, 2013, 2026,
    2055, 4031,
}
_SQLITE_AWAY = ("database is locked", "database table is locked", "unable to open",
                "disk i/o error", "database or disk is full")


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) says the database cannot be reached or used for
    now (unreachable, connection lost, server gone away or restarting, timeouts), as opposed
    to a statement it refuses (a constraint, bad data): the first is worth retrying later,
    and a page can say so (503) rather than fail (500)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        err = stack.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if _away(err):
            return True
        stack.extend(e for e in (err.__cause__, err.__context__) if e is not None)
        stack.extend(a for a in err.args if isinstance(a, BaseException))
    return False


def _away(err: BaseException) -> bool:
    if isinstance(err, (DBConnectionError, ConnectionError, TimeoutError, EOFError)):
        return True
    if isinstance(err, OSError) and not isinstance(err, sqlite3.Error):
        return True
    module = type(err).__module__
    if module.startswith(("pymysql", "aiomysql")):
        name = type(err).__name__
        if name == "InterfaceError":  # the connection is closed or broken
            return True
        code = err.args[0] if err.args and isinstance(err.args[0], int) else None
        if code in _MYSQL_AWAY:
            return True
        return name == "InternalError" and "packet sequence" in str(err).lower()
    if isinstance(err, sqlite3.OperationalError):
        text = str(err).lower()
        return any(marker in text for marker in _SQLITE_AWAY)
    if isinstance(err, sqlite3.ProgrammingError):
        return "closed database" in str(err)
    # aiosqlite's answer once its connection is closed under us
    return isinstance(err, ValueError) and str(err) in ("Connection closed",
                                                        "no active connection")


def tortoise_config(database_url: str) -> dict[str, Any]:
    url = _connection_url(database_url)
    return {
        # "reader": a second connection for the ACD's caller lookups, so a call entering the
        # queue never waits behind the call journal's write batch (SQLite has one writer per
        # connection; in WAL mode readers on another connection do not wait for it).
        "connections": {"default": url, READER: url},
        "apps": {
            APP_LABEL: {
                "models": ["crm.models"],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection_url(database_url: str) -> str:
    sep = "&" if "?" in database_url else "?"
    # Force utf8mb4 on MySQL/MariaDB so names with accents and emoji survive.
    if database_url.startswith("mysql") and "charset=" not in database_url:
        return database_url + sep + "charset=utf8mb4"
    # SQLite runs in WAL mode (tortoise's default); there synchronous=NORMAL is crash-safe and
    # spares an fsync on every commit, which the call journal makes a lot of.
    if database_url.startswith("sqlite") and "synchronous=" not in database_url:
        return database_url + sep + "synchronous=NORMAL"
    return database_url


def private_sqlite_file(url: str) -> None:
    """The SQLite file (and its -wal/-shm, which SQLite creates with the file's mode) must not
    be readable by other local users: it holds password hashes and every client's data.
    Created empty with mode 0600 before SQLite opens it (an empty file is an empty database),
    or made 0600 when an older install left it world-readable."""
    path_text = url.removeprefix("sqlite://").split("?", 1)[0]
    if not path_text or path_text == ":memory:" or not url.startswith("sqlite://"):
        return
    path = Path(path_text)
    try:
        if not path.exists():
            if path.parent.is_dir():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return
        for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if each.exists() and each.stat().st_mode & 0o077:
                each.chmod(0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot make the database file {path} private: {exc.strerror}"
                            ) from None


# Every connection tortoise opens for us, whatever task opened it (see _track_connections).
_opened: list[Any] = []


async def init_db(database_url: str) -> None:
    private_sqlite_file(database_url)
    # tortoise caches generated SQL per connection *name*: after another backend under the
    # same name (the tests run SQLite then MariaDB in one process) it would be reused.
    EXECUTOR_CACHE.clear()
    try:
        context = await Tortoise.init(config=tortoise_config(database_url))
        _track_connections(context.connections)
        await Tortoise.get_connection("default").execute_query("SELECT 1")
    except (DBConnectionError, OperationalError, OSError) as exc:
        await close_db()
        raise DatabaseError(f"cannot open the database {_safe(database_url)}: {exc}") from None


def reader() -> Any:
    """The read-only-use connection (see tortoise_config)."""
    return Tortoise.get_connection(READER)


def _track_connections(handler: Any) -> None:
    """Remember each connection the handler creates, so close_db can close them all.

    tortoise 1.1 keeps connections per task context and close_connections() closes only the
    calling context's; connections opened lazily by request handlers, the ACD or background
    tasks would stay open. Each aiosqlite connection holds a non-daemon thread, so one left
    open keeps the process (a server, a CLI command, pytest) from ever exiting; aiomysql's
    complain once the loop is gone.
    """
    _opened.extend(handler._get_storage().values())  # those Tortoise.init made already
    create = handler._create_connection

    def create_tracked(alias: str) -> Any:
        connection = create(alias)
        _opened.append(connection)
        return connection

    handler._create_connection = create_tracked


async def close_db() -> None:
    await Tortoise.close_connections()
    while _opened:
        connection = _opened.pop()  # closing twice is harmless: close() checks
        try:
            await connection.close()
        except Exception:
            continue  # a broken connection must not keep the others open


async def migrate(database_url: str, progress: Callable[[str], None] | None = None) -> None:
    """Apply every migration in ``migrations/`` that the database has not seen yet."""
    from tortoise.migrations.api import migrate as run_migrations

    def report(event: str, app_label: str, name: str) -> None:
        if progress is not None:
            progress(f"{event} {app_label}.{name}")

    private_sqlite_file(database_url)
    try:
        await run_migrations(config=tortoise_config(database_url), progress=report)
    except (DBConnectionError, OperationalError, OSError) as exc:
        raise DatabaseError(f"cannot migrate {_safe(database_url)}: {exc}") from None
    finally:
        await close_db()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


async def pending_migrations(database_url: str) -> list[str]:
    """Names of the migrations on disk that this database has not applied yet."""
    from tortoise.connection import get_connection
    from tortoise.migrations.executor import MigrationExecutor

    config = tortoise_config(database_url)
    try:
        await Tortoise.init(config=config, init_connections=False)
        executor = MigrationExecutor(get_connection("default"), config["apps"])
        steps = await executor.plan(None)
    except (DBConnectionError, OperationalError, OSError) as exc:
        raise DatabaseError(f"cannot open the database {_safe(database_url)}: {exc}") from None
    finally:
        await close_db()
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]
