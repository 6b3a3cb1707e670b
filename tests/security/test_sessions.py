"""Items 3 and 6: sessions and API tokens end on the server, not only in the browser."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from crm.models import AuditLog, Role, User
from crm.tokens import NewToken, create_token
from tests.web.webtools import login, make_user, page_csrf
from web.security.sessions import SESSION_COOKIE


def _cookie(client: TestClient) -> str:
    jar = client.session.cookie_jar.filter_cookies(client.make_url("/"))
    return jar[SESSION_COOKIE].value


async def _replay(new_client: Any, cookie: str) -> tuple[int, int]:
    """What a copy of the cookie gets now: (/api/v1/auth/me status, /agent status)."""
    other = await new_client()
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    me = await other.get("/api/v1/auth/me", headers=headers)
    page = await other.get("/agent", headers=headers, allow_redirects=False)
    return me.status, page.status


async def _token(user: User) -> str:
    admin = await User.get_or_none(login="root") or await make_user("root", Role.ADMIN)
    return (await create_token(NewToken(user_id=user.id, name="crm"), actor=admin))[1]


async def _token_works(new_client: Any, plain: str) -> bool:
    other = await new_client()
    response = await other.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {plain}"})
    return response.status == 200


async def test_saved_cookie_is_dead_after_api_logout(client: TestClient, new_client: Any
                                                     ) -> None:
    await make_user("agent1")
    csrf = await login(client, "agent1")
    saved = _cookie(client)
    assert await _replay(new_client, saved) == (200, 200)
    response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status == 200
    assert await _replay(new_client, saved) == (401, 303)


async def test_saved_cookie_is_dead_after_page_logout(client: TestClient, new_client: Any
                                                      ) -> None:
    await make_user("agent1")
    await login(client, "agent1")
    saved = _cookie(client)
    token = await page_csrf(client, "/agent")
    response = await client.post("/logout", data={"csrf_token": token},
                                 allow_redirects=False)
    assert response.status == 303
    assert await _replay(new_client, saved) == (401, 303)


async def test_logout_ends_the_users_other_browsers_too(client: TestClient, new_client: Any
                                                        ) -> None:
    await make_user("agent1")
    other = await new_client()
    await login(other, "agent1")
    csrf = await login(client, "agent1")
    await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert (await other.get("/api/v1/auth/me")).status == 401
    # A new login works at once and is not ended by the old logout.
    await login(other, "agent1")
    assert (await other.get("/api/v1/auth/me")).status == 200


async def _admin_patch(admin_client: Any, user: User, body: dict[str, Any]) -> None:
    client, csrf = admin_client
    response = await client.patch(f"/api/v1/users/{user.id}", json=body,
                                  headers={"X-CSRF-Token": csrf})
    assert response.status == 200, await response.text()


async def _victim(new_client: Any) -> tuple[User, str, str]:
    """An agent with a browser session (its cookie) and an API token."""
    user = await make_user("victim", name="Victim")
    browser = await new_client()
    await login(browser, "victim")
    return user, _cookie(browser), await _token(user)


async def test_password_change_ends_sessions_and_tokens(admin_client: Any, new_client: Any
                                                        ) -> None:
    user, cookie, plain = await _victim(new_client)
    assert await _token_works(new_client, plain)
    await _admin_patch(admin_client, user, {"password": "another-long-secret-7"})
    assert await _replay(new_client, cookie) == (401, 303)
    assert not await _token_works(new_client, plain)
    entry = await AuditLog.filter(action="user.update", target_id=str(user.id)).first()
    assert entry is not None
    assert entry.details["sessions_ended"] is True and entry.details["tokens_revoked"] == 1


async def test_role_change_ends_sessions_and_tokens(admin_client: Any, new_client: Any
                                                    ) -> None:
    user, cookie, plain = await _victim(new_client)
    await _admin_patch(admin_client, user, {"role": "supervisor"})
    assert await _replay(new_client, cookie) == (401, 303)
    assert not await _token_works(new_client, plain)


async def test_other_changes_keep_sessions(admin_client: Any, new_client: Any) -> None:
    user, cookie, plain = await _victim(new_client)
    await _admin_patch(admin_client, user, {"name": "Renamed", "extension": "2001"})
    assert await _replay(new_client, cookie) == (200, 200)
    assert await _token_works(new_client, plain)


async def test_reactivated_user_starts_fresh(admin_client: Any, new_client: Any) -> None:
    user, cookie, plain = await _victim(new_client)
    await _admin_patch(admin_client, user, {"active": False})
    assert await _replay(new_client, cookie) == (401, 303)
    assert not await _token_works(new_client, plain)
    await _admin_patch(admin_client, user, {"active": True})
    # Neither the old cookie nor the old token come back to life.
    assert await _replay(new_client, cookie) == (401, 303)
    assert not await _token_works(new_client, plain)
    fresh = await new_client()
    await login(fresh, "victim")
    assert (await fresh.get("/api/v1/auth/me")).status == 200


async def test_delete_that_deactivates_ends_sessions_and_tokens(admin_client: Any,
                                                                new_client: Any) -> None:
    client, csrf = admin_client
    user, cookie, plain = await _victim(new_client)
    # Login left an audit row by the user: DELETE keeps the history and deactivates.
    response = await client.delete(f"/api/v1/users/{user.id}", headers={"X-CSRF-Token": csrf})
    assert (await response.json())["result"] == "deactivated"
    assert await _replay(new_client, cookie) == (401, 303)
    assert not await _token_works(new_client, plain)
    await _admin_patch(admin_client, user, {"active": True})
    assert not await _token_works(new_client, plain)
