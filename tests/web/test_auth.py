"""S1: login page and JSON login, sessions, logout, landing by role, rate limiting."""

from __future__ import annotations

from http.cookies import SimpleCookie

from aiohttp.test_utils import TestClient

from crm.audit import history
from crm.models import AuditLog, Role
from tests.web.webtools import PASSWORD, login, make_user, page_csrf


async def test_login_page_renders_a_form_with_csrf(client: TestClient) -> None:
    response = await client.get("/login")
    assert response.status == 200
    html = await response.text()
    assert 'name="login"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html


async def test_login_page_success_redirects_to_landing(client: TestClient) -> None:
    await make_user("sup", Role.SUPERVISOR)
    token = await page_csrf(client)
    response = await client.post("/login", data={"login": "sup", "password": PASSWORD,
                                                 "csrf_token": token}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/supervision"


async def test_login_page_wrong_password_reshows_form_with_error(client: TestClient) -> None:
    await make_user("agent1")
    token = await page_csrf(client)
    response = await client.post("/login", data={"login": "agent1", "password": "nope-nope",
                                                 "csrf_token": token})
    assert response.status == 401
    html = await response.text()
    assert "Wrong login or password." in html
    assert 'value="agent1"' in html  # the login is kept, the password is not
    assert "nope-nope" not in html


async def test_login_page_empty_fields_is_a_form_error(client: TestClient) -> None:
    token = await page_csrf(client)
    response = await client.post("/login", data={"login": "", "password": "",
                                                 "csrf_token": token})
    assert response.status == 400
    assert "Enter your login and your password." in await response.text()


async def test_login_page_without_csrf_is_refused(client: TestClient) -> None:
    await make_user("agent1")
    await client.get("/login")
    response = await client.post("/login", data={"login": "agent1", "password": PASSWORD},
                                 allow_redirects=False)
    assert response.status == 403
    assert (await client.get("/api/v1/auth/me")).status == 401


async def test_login_page_next_is_followed_only_when_local(client: TestClient) -> None:
    await make_user("admin", Role.ADMIN)
    token = await page_csrf(client)
    response = await client.post("/login", data={
        "login": "admin", "password": PASSWORD, "csrf_token": token,
        "next": "//evil.example/x"}, allow_redirects=False)
    assert response.headers["Location"] == "/admin"


async def test_json_login_success_returns_user_and_sets_cookie(client: TestClient) -> None:
    await make_user("admin", Role.ADMIN)
    response = await client.post("/api/v1/auth/login",
                                 json={"login": "admin", "password": PASSWORD})
    assert response.status == 200
    body = await response.json()
    assert body["user"]["login"] == "admin"
    assert body["user"]["role"] == "admin"
    assert body["landing"] == "/admin"
    assert body["csrf_token"]
    assert "password" not in str(body) and "hash" not in str(body)
    me = await client.get("/api/v1/auth/me")
    assert me.status == 200
    assert (await me.json())["user"]["login"] == "admin"


async def test_json_login_bad_credentials_is_401(client: TestClient) -> None:
    await make_user("agent1")
    for payload in ({"login": "agent1", "password": "wrong-password"},
                    {"login": "nobody", "password": PASSWORD}):
        response = await client.post("/api/v1/auth/login", json=payload)
        assert response.status == 401
        body = await response.json()
        assert body["error"]["code"] == "unauthorized"
        assert body["error"]["message"] == "wrong login or password"
    assert (await client.get("/api/v1/auth/me")).status == 401


async def test_inactive_user_is_refused(client: TestClient) -> None:
    await make_user("gone", active=False)
    response = await client.post("/api/v1/auth/login",
                                 json={"login": "gone", "password": PASSWORD})
    assert response.status == 401
    assert "deactivated" in (await response.json())["error"]["message"]
    token = await page_csrf(client)
    page = await client.post("/login", data={"login": "gone", "password": PASSWORD,
                                             "csrf_token": token})
    assert page.status == 401
    assert "deactivated" in await page.text()


async def test_session_cookie_flags(client: TestClient) -> None:
    await make_user("agent1")
    response = await client.post("/api/v1/auth/login",
                                 json={"login": "agent1", "password": PASSWORD})
    raw = [v for v in response.headers.getall("Set-Cookie") if "prowebcrm_session" in v]
    assert raw, "no session cookie"
    cookie = SimpleCookie(raw[-1])["prowebcrm_session"]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() == "lax"
    assert not cookie["secure"]  # cookie_secure is off in tests
    assert 0 < int(cookie["max-age"]) <= 12 * 3600


async def test_secure_cookie_when_configured(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    from web.app import create_app

    client = await aiohttp_client(create_app(settings.with_(cookie_secure=True)))
    await make_user("agent1")
    response = await client.post("/api/v1/auth/login",
                                 json={"login": "agent1", "password": PASSWORD})
    raw = [v for v in response.headers.getall("Set-Cookie") if "prowebcrm_session" in v]
    assert SimpleCookie(raw[-1])["prowebcrm_session"]["secure"]


async def test_login_rotates_the_session(client: TestClient) -> None:
    await make_user("agent1")
    before = await page_csrf(client)
    cookie_before = client.session.cookie_jar.filter_cookies(client.make_url("/"))
    after = await login(client, "agent1")
    cookie_after = client.session.cookie_jar.filter_cookies(client.make_url("/"))
    assert before != after  # a new CSRF token: nothing carried over from before login
    assert cookie_before["prowebcrm_session"].value != cookie_after["prowebcrm_session"].value


async def test_logout_ends_the_session(client: TestClient) -> None:
    await make_user("agent1")
    token = await login(client, "agent1")
    response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token})
    assert response.status == 200
    assert (await response.json())["result"] == "logged_out"
    assert (await client.get("/api/v1/auth/me")).status == 401


async def test_logout_page_form(client: TestClient) -> None:
    await make_user("agent1")
    await login(client, "agent1")
    token = await page_csrf(client, "/agent")
    response = await client.post("/logout", data={"csrf_token": token},
                                 allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert (await client.get("/api/v1/auth/me")).status == 401


async def test_landing_by_role(client: TestClient, new_client) -> None:  # type: ignore[no-untyped-def]
    expected = {Role.ADMIN: "/admin", Role.SUPERVISOR: "/supervision", Role.AGENT: "/agent"}
    for role, landing in expected.items():
        await make_user(f"user-{role.value}", role)
        browser = await new_client()
        await login(browser, f"user-{role.value}")
        response = await browser.get("/", allow_redirects=False)
        assert response.headers["Location"] == landing
        page = await browser.get(landing)
        assert page.status == 200


async def test_landing_pages_are_the_real_features(client: TestClient) -> None:
    # The supervision and agent-console features replaced the Foundation's placeholders.
    await make_user("sup", Role.SUPERVISOR)
    await login(client, "sup")
    html = await (await client.get("/supervision")).text()
    assert "Not available yet" not in html
    html = await (await client.get("/agent")).text()
    assert "Not available yet" not in html and 'id="console"' in html


async def test_password_change_ends_older_sessions(client: TestClient, new_client) -> None:  # type: ignore[no-untyped-def]
    from crm.users import UserPatch, update_user

    admin = await make_user("admin", Role.ADMIN)
    agent = await make_user("agent1")
    await login(client, "agent1")
    await update_user(agent.id, UserPatch(password="another-password"), actor=admin)
    assert (await client.get("/api/v1/auth/me")).status == 401


async def test_deactivated_user_loses_the_session(client: TestClient) -> None:
    from crm.users import UserPatch, update_user

    admin = await make_user("admin", Role.ADMIN)
    agent = await make_user("agent1")
    await login(client, "agent1")
    await update_user(agent.id, UserPatch(active=False), actor=admin)
    assert (await client.get("/api/v1/auth/me")).status == 401


async def test_rate_limit_returns_429_with_retry_after(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    from web.app import create_app

    client = await aiohttp_client(create_app(settings.with_(login_attempts_per_minute=3)))
    await make_user("agent1")
    for _ in range(3):
        response = await client.post("/api/v1/auth/login",
                                     json={"login": "agent1", "password": "bad-password"})
        assert response.status == 401
    response = await client.post("/api/v1/auth/login",
                                 json={"login": "agent1", "password": PASSWORD})
    assert response.status == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert (await response.json())["error"]["code"] == "rate_limited"
    # The page shows the same limit as a form error.
    token = await page_csrf(client)
    page = await client.post("/login", data={"login": "agent1", "password": PASSWORD,
                                             "csrf_token": token})
    assert page.status == 429 and "Retry-After" in page.headers
    # Another login from the same address is still allowed (per-login budget).
    await make_user("agent2")
    ok = await client.post("/api/v1/auth/login", json={"login": "agent2", "password": PASSWORD})
    assert ok.status == 200


async def test_login_outcomes_are_audited(client: TestClient) -> None:
    await make_user("agent1")
    await client.post("/api/v1/auth/login", json={"login": "agent1", "password": "bad-pass"})
    token = await login(client, "agent1")
    await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token})
    actions = [e.action for e in (await history(action_prefix="auth.", limit=10))[0]]
    assert actions == ["auth.logout", "auth.login", "auth.login_failed"]
    failed = await AuditLog.get(action="auth.login_failed")
    assert failed.target_id == "agent1"
    assert failed.details == {"reason": "bad_credentials"}
    assert "bad-pass" not in str(failed.details)
