"""Supervision and statistics tests: the web app alone (reports) and the full app with the
ACD on the simulated Asterisk (live supervision and forced actions)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
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
async def acd_client(aiohttp_client: Any, acd_settings: Settings) -> TestClient:
    """The whole process (web + ACD on the simulator), as prowebcrm serve builds it."""
    from prowebcrm.server import build_app

    return await aiohttp_client(build_app(acd_settings, takeover=True))


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
