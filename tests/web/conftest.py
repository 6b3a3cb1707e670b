"""Web tests: the real application (create_app) on each database backend, fast password
hashing, and helpers to create users and log clients in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from crm import passwords
from crm.models import Role, User
from prowebcrm.settings import Settings
from tests.web.webtools import login, make_user
from web.app import create_app


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", fast)
    # An unknown login is checked against this hash, whose own parameters set the cost.
    monkeypatch.setattr(passwords, "_DUMMY_HASH", fast.hash("not-a-real-password"))


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest.fixture
async def client(aiohttp_client: Any, app: web.Application) -> TestClient:
    """An anonymous browser; the app's cleanup context has opened the database."""
    return await aiohttp_client(app)


@pytest.fixture
def new_client(aiohttp_client: Any, client: TestClient) -> Callable[[], Awaitable[TestClient]]:
    """Another browser (own cookie jar) on the same server."""

    async def make() -> TestClient:
        return await aiohttp_client(client.server)

    return make


@pytest.fixture
async def admin(client: TestClient) -> User:
    return await make_user("admin", Role.ADMIN, name="Alice Admin")


@pytest.fixture
async def admin_client(client: TestClient, admin: User) -> tuple[TestClient, str]:
    """The anonymous client, logged in as the admin; (client, csrf token)."""
    token = await login(client, "admin")
    return client, token
