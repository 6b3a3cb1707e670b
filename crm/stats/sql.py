"""The little SQL the statistics need beyond the ORM, portable to SQLite and MariaDB.

Queries are written with ``?`` placeholders (SQLite's); :func:`fetch` and :func:`execute`
switch them to ``%s`` on MySQL. Query text must therefore contain no other ``?`` or ``%``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient


def connection() -> BaseDBAsyncClient:
    return Tortoise.get_connection("default")


def is_mysql(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "mysql"


def _sql(conn: BaseDBAsyncClient, query: str) -> str:
    return query.replace("?", "%s") if is_mysql(conn) else query


def dt_param(conn: BaseDBAsyncClient, moment: datetime) -> Any:
    """A UTC moment as the column stores it: tortoise writes ISO text on SQLite (compared as
    text, so the format must match) and naive UTC on MySQL."""
    utc = moment.astimezone(UTC)
    return utc.replace(tzinfo=None) if is_mysql(conn) else str(utc)


def date_param(day: date) -> str:
    return day.isoformat()


async def fetch(
    query: str, params: Sequence[Any] = (), conn: BaseDBAsyncClient | None = None
) -> list[dict[str, Any]]:
    conn = conn or connection()
    return await conn.execute_query_dict(_sql(conn, query), list(params))


async def fetch_rows(
    query: str, params: Sequence[Any] = (), conn: BaseDBAsyncClient | None = None
) -> list[Sequence[Any]]:
    conn = conn or connection()
    _, rows = await conn.execute_query(_sql(conn, query), list(params))
    # aiosqlite gives Row objects, aiomysql tuples (or dicts with a DictCursor): normalise.
    return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]


async def execute(
    query: str, params: Sequence[Any] = (), conn: BaseDBAsyncClient | None = None
) -> None:
    conn = conn or connection()
    await conn.execute_query(_sql(conn, query), list(params))


async def execute_many(
    query: str, rows: Sequence[Sequence[Any]], conn: BaseDBAsyncClient | None = None
) -> None:
    if not rows:
        return
    conn = conn or connection()
    await conn.execute_many(_sql(conn, query), [list(r) for r in rows])


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_num(value: Any) -> float | int:
    """SUM() comes back as Decimal on MySQL and None over no rows."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    number: float | int = value  # what the drivers give for a number column
    return number


def int_list(values: Sequence[int]) -> str:
    """An IN (...) list of integers, inlined (ints only, so nothing can be injected)."""
    return ",".join(str(int(v)) for v in values) or "NULL"
