"""Item 13: concurrent user creation on MariaDB (InnoDB gap locks on the membership table
made it deadlock, error 1213) never answers 500: the service retries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crm.models import Group, GroupMember, User


@pytest.mark.parametrize("with_groups", [True, False])
async def test_concurrent_user_creation_all_succeed(admin_client: Any, database_url: str,
                                                    with_groups: bool) -> None:
    client, csrf = admin_client
    groups = [await Group.create(name=f"G{n}") for n in range(3)]
    members = [{"group_id": g.id} for g in groups] if with_groups else []

    async def create(n: int) -> int:
        response = await client.post("/api/v1/users", headers={"X-CSRF-Token": csrf}, json={
            "login": f"agent{n}", "name": f"Agent {n}", "password": "a-long-pass-phrase-9",
            "groups": members})
        assert response.status == 201, await response.text()
        return response.status

    statuses = await asyncio.gather(*(create(n) for n in range(24)))
    assert statuses == [201] * 24
    assert await User.filter(login__startswith="agent").count() == 24
    assert await GroupMember.all().count() == (24 * 3 if with_groups else 0)


async def test_deadlock_is_retried_then_reported_as_503(monkeypatch: pytest.MonkeyPatch,
                                                        admin_client: Any) -> None:
    """A deadlock that persists is a 503 with Retry-After, not a 500."""
    from tortoise.exceptions import OperationalError

    from crm import users
    from crm.transactions import DEADLOCK_RETRIES

    client, csrf = admin_client
    calls = 0

    async def deadlocked(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        raise OperationalError("(1213, 'Deadlock found when trying to get lock; "
                               "try restarting transaction')")

    monkeypatch.setattr(users, "_set_memberships", deadlocked)
    response = await client.post("/api/v1/users", headers={"X-CSRF-Token": csrf}, json={
        "login": "late", "name": "Late", "password": "a-long-pass-phrase-9"})
    assert response.status == 503
    assert response.headers["Retry-After"]
    assert (await response.json())["error"]["code"] == "busy"
    assert calls == DEADLOCK_RETRIES
    assert not await User.filter(login="late").exists()
