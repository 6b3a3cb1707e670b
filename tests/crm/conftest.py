"""crm service tests: a cheap argon2 hasher so creating users costs microseconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from crm import passwords


@pytest.fixture(autouse=True)
def fresh_tortoise_sql_cache() -> None:
    """Tortoise caches INSERT/UPDATE SQL per connection *name*, so after a SQLite test the
    MariaDB variant would reuse SQLite's quoting. Production uses one backend per process;
    the lead may move this into crm.db.close_db (see the Foundation report)."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()


@pytest.fixture(autouse=True)
async def close_leftover_sqlite_connections(monkeypatch: pytest.MonkeyPatch
                                            ) -> AsyncIterator[None]:
    """tortoise 1.1 keeps connections per task context, and close_db() only closes the
    current context's: connections opened lazily by request handlers or test bodies stay
    open, and each aiosqlite connection holds a non-daemon thread, so pytest would never
    exit. Close whatever this test left open (see the Foundation report)."""
    import aiosqlite.core

    opened: list[aiosqlite.core.Connection] = []
    original = aiosqlite.core.Connection.__init__

    def tracking_init(self: aiosqlite.core.Connection, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(aiosqlite.core.Connection, "__init__", tracking_init)
    yield
    for connection in opened:
        if connection._running:
            await connection.close()


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
