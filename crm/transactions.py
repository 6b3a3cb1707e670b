"""Transactions that survive MariaDB's lock conflicts.

InnoDB resolves a deadlock (error 1213) by rolling one transaction back and telling it to
start again; a lock wait timeout (1205) means the same in slow motion. Both are normal under
concurrent writes (two administrators creating users at once lock neighbouring index gaps),
so the service retries the whole transaction a few times with a short random pause; when the
conflict persists it raises :class:`Busy`, which the web layer answers with 503 and
Retry-After rather than a 500. SQLite never raises these.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import OperationalError, TransactionManagementError

from crm.errors import N_, Busy

T = TypeVar("T")

DEADLOCK_RETRIES = 4
_RETRYABLE = {1205, 1213}
_CODE = re.compile(r"^\(?\s*(\d{4})\b")


def is_lock_conflict(exc: BaseException) -> bool:
    """A MariaDB/MySQL deadlock or lock wait timeout, however tortoise wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for arg in current.args[:1]:
            if isinstance(arg, int) and arg in _RETRYABLE:
                return True
            if isinstance(arg, BaseException) and arg.args and arg.args[0] in _RETRYABLE:
                return True
            match = _CODE.match(str(arg))
            if match and int(match.group(1)) in _RETRYABLE:
                return True
        current = current.__cause__ or current.__context__
    return False


async def retry_on_lock_conflict(work: Callable[[], Awaitable[T]],
                                 attempts: int = DEADLOCK_RETRIES) -> T:
    """Runs ``work`` (one whole transaction) again when the database chose it as a deadlock
    victim; :class:`Busy` after ``attempts`` tries."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except (OperationalError, TransactionManagementError) as exc:
            if not is_lock_conflict(exc):
                raise
            if attempt == attempts:
                raise Busy(N_("The database is busy; try again in a moment.")) from exc
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")  # the loop returns or raises
