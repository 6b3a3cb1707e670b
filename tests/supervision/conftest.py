"""Supervision and statistics tests: the web app alone (reports) and the full app with the
ACD on the simulated Asterisk (live supervision and forced actions)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from crm import passwords
from prowebcrm.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    from asterisk_sim import Simulator

    simulator = Simulator(user="acd", password="acd-secret", app_for_inbound="acd-sv-test")
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
def acd_settings(tmp_path: Path, sim: Any, sqlite_template: Path) -> Settings:
    db_file = tmp_path / "sv.sqlite3"
    shutil.copy(sqlite_template, db_file)
    return load_settings(
        env={}, data_dir=tmp_path / "data", database_url=f"sqlite://{db_file}",
        ari_url=sim.url, ari_user="acd", ari_password="acd-secret", ari_app="acd-sv-test",
        agent_dial="PJSIP/{extension}", outbound_dial="PJSIP/{number}@trunk",
        timezone="UTC", login_attempts_per_minute=1000,
    )


@pytest.fixture
async def acd_app(aiohttp_client: Any, acd_settings: Settings
                  ) -> AsyncIterator[tuple[web.Application, TestClient]]:
    """The whole process (web + ACD on the simulator), as prowebcrm serve builds it, with
    the ACD runtime kept in the services (tests reload groups through it)."""
    from prowebcrm.server import build_app
    from web.appkeys import RUNTIME_KEY, SERVICES_KEY

    app = build_app(acd_settings, takeover=True,
                    on_acd_ready=lambda a, rt: a[SERVICES_KEY].__setitem__("rt", rt))
    client = await aiohttp_client(app)
    try:
        await until(lambda: app[RUNTIME_KEY] is not None, what="the ACD to start")
        yield app, client
    finally:
        # Stop the app in the context that started it: tortoise keeps its connections in a
        # context variable, and pytest-aiohttp's finalizer runs in another one, where the
        # call journal's last rollup refresh would find no database.
        await client.close()


async def until(check: Callable[[], Any], timeout: float = 8.0, what: str = "") -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    """The web app without the ACD, on each database backend (see tests/conftest.py)."""
    from web.app import create_app

    return await aiohttp_client(create_app(settings))
