"""Item 4: ``next`` (after login) and the language switch only ever lead to a local path."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from crm.models import Role
from tests.web.webtools import PASSWORD, make_user, page_csrf
from web.security.auth import safe_next

# What browsers strip or rewrite before resolving a URL turns each of these into another
# site ("//evil", "/\evil" or a scheme), so none may pass.
HOSTILE = [
    "/\t/evil.example/phish", "/\n/evil.example", "/\r/evil.example", "/%09/evil.example",
    "/\x00/evil.example", "/ /evil.example", "//evil.example", "/\\evil.example",
    "\\\\evil.example", "https://evil.example", "javascript:alert(1)", "/\x0b/evil.example",
    "/\u3000/evil.example", "/\x7f/evil.example", "evil.example", "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_safe_next_refuses_anything_that_can_leave_the_site(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/admin", "/admin/users?q=bob", "/clients/12#notes",
                                    "/stats?from=2024-01-01&to=2024-01-31"])
def test_safe_next_keeps_local_paths(target: str) -> None:
    assert safe_next(target) == target


async def test_login_page_ignores_a_next_with_a_tab(client: TestClient) -> None:
    await make_user("admin", Role.ADMIN)
    token = await page_csrf(client, "/login?next=/%09/evil.example/phish")
    response = await client.post("/login", data={
        "login": "admin", "password": PASSWORD, "csrf_token": token,
        "next": "/\t/evil.example/phish"}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/admin"
    # Already logged in: the GET form redirects at once, and must not follow it either.
    again = await client.get("/login?next=/%09/evil.example/phish", allow_redirects=False)
    assert again.headers["Location"] == "/admin"


async def test_language_switch_ignores_a_next_with_a_control_character(
        client: TestClient) -> None:
    token = await page_csrf(client)
    response = await client.post("/lang", data={"lang": "fr", "csrf_token": token,
                                                "next": "/\n/evil.example"},
                                 allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/"
