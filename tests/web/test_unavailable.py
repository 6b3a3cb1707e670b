"""While the database is away, pages and the API answer a clear 503, not a 500."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pymysql.err import IntegrityError as MySQLIntegrityError
from pymysql.err import OperationalError as MySQLOperationalError
from tortoise.exceptions import IntegrityError, OperationalError

from crm.models import User
from web.security import auth


def _raising(exc: Exception) -> Any:
    async def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return fail


async def test_api_and_pages_answer_503_while_the_database_is_away(
        admin_client: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = admin_client
    assert (await client.get("/api/v1/groups")).status == 200
    gone = OperationalError(MySQLOperationalError(2003, "Can't connect to MySQL server"))
    monkeypatch.setattr(auth, "get_active_user", _raising(gone))

    api = await client.get("/api/v1/groups")
    assert api.status == 503 and api.headers["Retry-After"] == "5"
    body = await api.json()
    assert body["error"]["code"] == "database_unavailable"
    assert "database is unavailable" in body["error"]["message"]

    page = await client.get("/admin/users")
    assert page.status == 503 and page.headers["Retry-After"] == "5"
    assert "text/html" in page.headers["Content-Type"]
    assert "database is unavailable" in await page.text()


async def test_a_refused_statement_is_still_an_internal_error(
        admin_client: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = admin_client
    refused = IntegrityError(MySQLIntegrityError(1452, "a foreign key constraint fails"))
    monkeypatch.setattr(auth, "get_active_user", _raising(refused))
    response = await client.get("/api/v1/groups")
    assert response.status == 500
    assert (await response.json())["error"]["code"] == "internal_error"


async def test_pages_work_again_when_it_is_back(
        admin_client: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = admin_client
    with monkeypatch.context() as patch:
        patch.setattr(auth, "get_active_user", _raising(ConnectionRefusedError(111, "refused")))
        assert (await client.get("/api/v1/groups")).status == 503
    assert (await client.get("/api/v1/groups")).status == 200
    assert await User.filter(login="admin").exists()
