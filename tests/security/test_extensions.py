"""Item 1: nothing an agent or a supervisor types reaches a dial string unless it is a plain
extension (the deployment's pattern) or a plain number."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from crm import dialstrings
from crm.models import Role
from prowebcrm.settings import Settings, SettingsError, load_settings
from tests.web.webtools import login, make_user
from web.app import create_app

HOSTILE_EXTENSIONS = ["0899123456@trunk", "10/01", "PJSIP/1001", "1001,2002", "1001&2002",
                      "10 01", "10\t01", "10\n01", "1001;x", "10\x0001", "²²", "١٢٣", "",
                      "Local/1@ctx", "1" * 40]


@pytest.fixture(autouse=True)
def default_pattern() -> Any:
    yield
    dialstrings.configure(dialstrings.DEFAULT_EXTENSION_PATTERN)


@pytest.mark.parametrize("value", HOSTILE_EXTENSIONS)
def test_hostile_extensions_are_refused(value: str) -> None:
    assert not dialstrings.is_extension(value)


def test_default_pattern_is_two_to_eight_digits() -> None:
    assert dialstrings.is_extension("20") and dialstrings.is_extension("20012002")
    assert not dialstrings.is_extension("2") and not dialstrings.is_extension("200120021")
    assert not dialstrings.is_extension("alice")


def test_a_wider_pattern_still_never_allows_dial_syntax() -> None:
    with pytest.raises(ValueError):
        dialstrings.configure(r"^[a-z0-9@/&, ]+$")
    dialstrings.configure(r"^[a-z]{3,12}$")
    assert dialstrings.is_extension("alice")
    assert not dialstrings.is_extension("alice@evil")


def test_settings_refuse_a_bad_or_permissive_pattern(tmp_path: Any) -> None:
    base = {"env": {}, "data_dir": tmp_path / "d", "database_url": "sqlite://:memory:"}
    for pattern in ("^[0-9", r"^.*$", r"^[0-9@]+$", r"^[0-9 ]+$"):
        with pytest.raises(SettingsError, match="EXTENSION_PATTERN"):
            load_settings(**base, extension_pattern=pattern)
    env = {"PROWEBCRM_EXTENSION_PATTERN": r"^[0-9]{3}$"}
    assert load_settings(env=env, data_dir=tmp_path / "d",
                         database_url="sqlite://:memory:").extension_pattern == r"^[0-9]{3}$"


@pytest.mark.parametrize("value", ["0899123456@trunk", "10/01", "1001,2002", "1001&2002",
                                   "10 01", "²²"])
async def test_agent_acd_login_refuses_dial_syntax(client: TestClient, value: str) -> None:
    await make_user("agent1")
    csrf = await login(client, "agent1")
    response = await client.post("/api/v1/agent/login", json={"extension": value},
                                 headers={"X-CSRF-Token": csrf})
    assert response.status == 422, await response.text()
    assert "extension" in (await response.json())["error"]["fields"]


async def test_agent_acd_login_takes_a_plain_extension(client: TestClient) -> None:
    await make_user("agent1")
    csrf = await login(client, "agent1")
    response = await client.post("/api/v1/agent/login", json={"extension": "2001"},
                                 headers={"X-CSRF-Token": csrf})
    # Valid input: what answers is the missing ACD, not the validation.
    assert response.status == 503


async def test_admin_api_applies_the_same_rule(admin_client: Any) -> None:
    client, csrf = admin_client
    new = {"login": "bob", "name": "Bob", "password": "a-long-pass-phrase-9"}
    for value in ("10/01", "1@x", "abc", "1 2"):
        response = await client.post("/api/v1/users", json={**new, "extension": value},
                                     headers={"X-CSRF-Token": csrf})
        assert response.status == 422, value
        assert "extension" in (await response.json())["error"]["fields"]
    created = await client.post("/api/v1/users", json={**new, "extension": "2001"},
                                headers={"X-CSRF-Token": csrf})
    assert created.status == 201
    uid = (await created.json())["id"]
    patch = await client.patch(f"/api/v1/users/{uid}", json={"extension": "1@trunk"},
                               headers={"X-CSRF-Token": csrf})
    assert patch.status == 422
    cleared = await client.patch(f"/api/v1/users/{uid}", json={"extension": ""},
                                 headers={"X-CSRF-Token": csrf})
    assert cleared.status == 200 and (await cleared.json())["extension"] == ""


async def test_admin_page_form_applies_the_same_rule(admin_client: Any) -> None:
    from tests.web.webtools import page_csrf

    client, _ = admin_client
    token = await page_csrf(client, "/admin/users/new")
    response = await client.post("/admin/users/new", data={
        "csrf_token": token, "login": "bob", "name": "Bob", "password": "a-long-pass-phrase-9",
        "role": "agent", "extension": "0899@trunk", "active": "on"}, allow_redirects=False)
    assert response.status == 422
    from crm.models import User

    assert not await User.filter(login="bob").exists()


async def test_spy_extension_and_numbers_follow_the_rules(client: TestClient) -> None:
    await make_user("sup", Role.SUPERVISOR)
    csrf = await login(client, "sup")
    headers = {"X-CSRF-Token": csrf}
    spy = await client.post("/api/v1/supervision/calls/spy", headers=headers,
                            json={"call_id": "c1", "mode": "listen",
                                  "extension": "0899123456@trunk"})
    assert spy.status == 422
    assert "extension" in (await spy.json())["error"]["fields"]
    ok = await client.post("/api/v1/supervision/calls/spy", headers=headers,
                           json={"call_id": "c1", "mode": "listen", "extension": "2001"})
    assert ok.status == 503  # valid: the missing ACD answers
    dial = await client.post("/api/v1/agent/dial", headers=headers,
                             json={"number": "0899123456@trunk"})
    assert dial.status == 422
    for number in ("0899&1", "²", "+33 1"):
        transfer = await client.post("/api/v1/supervision/calls/transfer", headers=headers,
                                     json={"call_id": "c1", "kind": "number", "value": number})
        assert transfer.status in (422, 503), number
        if transfer.status == 503:
            raise AssertionError(f"{number!r} was accepted as a number")


async def test_deployment_pattern_is_used_by_the_app(settings: Settings, aiohttp_client: Any
                                                     ) -> None:
    app = create_app(settings.with_(extension_pattern=r"^[a-z]{3,12}$"))
    client = await aiohttp_client(app)
    await make_user("agent1")
    csrf = await login(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    assert (await client.post("/api/v1/agent/login", json={"extension": "alice"},
                              headers=headers)).status == 503
    assert (await client.post("/api/v1/agent/login", json={"extension": "2001"},
                              headers=headers)).status == 422
    schema = await (await client.get("/api/v1/openapi.json")).json()
    acd_login = schema["components"]["schemas"]["AcdLoginIn"]["properties"]["extension"]
    assert "[a-z]{3,12}" in acd_login["pattern"]
