"""Items 8 and 9: guesses at one account are limited whatever the source address, and
neither blocked nor failed logins can grow the audit table without bound."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from crm.models import AuditLog
from prowebcrm.settings import Settings
from tests.web.webtools import PASSWORD, make_user
from web.app import create_app
from web.security import login as login_module
from web.security.ratelimit import AuditBudget, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_ten_addresses_cannot_share_out_the_guesses() -> None:
    clock = Clock()
    throttle = LoginThrottle(5, account_limit=10, clock=clock)
    guesses = 0
    for n in range(10):
        ip = f"10.0.0.{n}"
        for _ in range(5):
            if await throttle.retry_after("alice", ip):
                break
            await throttle.failed("alice", ip)
            guesses += 1
    assert guesses == 10
    assert await throttle.retry_after("alice", "10.9.9.9") > 0
    assert await throttle.retry_after("bob", "10.9.9.9") == 0  # other accounts unaffected
    clock.now += LoginThrottle.ACCOUNT_WINDOW_S + 1
    assert await throttle.retry_after("alice", "10.9.9.9") == 0


async def test_an_address_the_user_logged_in_from_is_not_locked_out() -> None:
    """Someone guessing from elsewhere must not lock the agent out of their own desk."""
    clock = Clock()
    throttle = LoginThrottle(5, account_limit=3, clock=clock)
    await throttle.succeeded("alice", "192.0.2.1")
    for n in range(3):
        await throttle.failed("alice", f"10.0.0.{n}")
    assert await throttle.retry_after("alice", "10.0.0.99") > 0
    assert await throttle.retry_after("alice", "192.0.2.1") == 0


def test_audit_budget_one_row_per_key_per_window() -> None:
    clock = Clock()
    budget = AuditBudget(window_s=60, global_limit=100, clock=clock)
    assert budget.allow("alice") == (True, 0)
    assert all(budget.allow("alice") == (False, 0) for _ in range(50))
    assert budget.allow("bob") == (True, 0)
    clock.now += 61
    assert budget.allow("alice") == (True, 50)  # the next row says how many it stands for


def test_audit_budget_global_cap() -> None:
    budget = AuditBudget(window_s=60, global_limit=20, clock=Clock())
    written = sum(budget.allow(f"login{n}")[0] for n in range(1000))
    assert written == 20


@pytest.fixture
def rotating_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request comes from a new address (a botnet)."""
    counter = itertools.count()
    monkeypatch.setattr(login_module, "client_ip",
                        lambda request: f"203.0.113.{next(counter) % 250}")


async def test_api_blocks_one_account_across_addresses_and_audits_once(
        settings: Settings, aiohttp_client: Any, rotating_addresses: None) -> None:
    client: TestClient = await aiohttp_client(create_app(settings.with_(
        login_attempts_per_minute=5, login_attempts_per_account=10)))
    await make_user("alice")
    statuses = []
    for _ in range(60):
        response = await client.post("/api/v1/auth/login",
                                     json={"login": "alice", "password": "guess-guess"})
        statuses.append(response.status)
    assert statuses.count(401) == 10 and statuses[10:] == [429] * 50
    assert await AuditLog.filter(action="auth.login_failed").count() == 10
    assert await AuditLog.filter(action="auth.login_blocked").count() == 1
    # Even the right password waits: the guesser cannot tell it from a wrong one.
    right = await client.post("/api/v1/auth/login",
                              json={"login": "alice", "password": PASSWORD})
    assert right.status == 429


async def test_failed_logins_on_many_accounts_write_a_bounded_number_of_rows(
        settings: Settings, aiohttp_client: Any, rotating_addresses: None) -> None:
    app = create_app(settings.with_(login_attempts_per_minute=5))
    client: TestClient = await aiohttp_client(app)
    for n in range(300):
        await client.post("/api/v1/auth/login",
                          json={"login": f"nobody{n}", "password": "guess-guess"})
    rows = await AuditLog.filter(action__startswith="auth.login").count()
    assert 0 < rows <= login_module.ANONYMOUS_AUDIT_ROWS_PER_MINUTE
