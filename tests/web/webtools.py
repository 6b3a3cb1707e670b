"""Helpers for web tests: create users, log a client in, read a page's CSRF token."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from crm.models import Role, User
from crm.users import NewUser, create_user

PASSWORD = "correct-horse-1"


async def make_user(login: str, role: Role = Role.AGENT, *, active: bool = True,
                    password: str = PASSWORD, **extra: Any) -> User:
    return await create_user(
        NewUser(login=login, name=extra.pop("name", login.title()), password=password,
                role=role, active=active, **extra),
        actor=None,
    )


async def login(client: TestClient, login_name: str, password: str = PASSWORD) -> str:
    """Logs the client in through the JSON API; returns the CSRF token to send on changes."""
    response = await client.post("/api/v1/auth/login",
                                 json={"login": login_name, "password": password})
    assert response.status == 200, await response.text()
    return (await response.json())["csrf_token"]


async def page_csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page embeds (what a browser form would submit)."""
    html = await (await client.get(path)).text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF field on {path}"
    return match.group(1)
