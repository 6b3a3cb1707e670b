"""Item 15: a Content-Security-Policy on every response, a private SQLite file, and token
names without control characters. (The WebSocket Origin scheme: test_live_events.py.)"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from crm import db as crm_db
from prowebcrm.settings import load_settings


def _policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


async def test_every_response_has_a_strict_csp(client: TestClient) -> None:
    for path in ("/login", "/api/v1/openapi.json", "/static/js/app.js", "/nope",
                 "/api/v1/nope"):
        response = await client.get(path)
        policy = _policy(response.headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["form-action"] == ["'self'"]
        # No inline script and no other origin may run code.
        assert "'unsafe-inline'" not in policy["script-src"]
        assert all(source.startswith("'") for source in policy["script-src"])
        assert policy["style-src"] == ["'self'"]
        assert policy["connect-src"] == ["'self'"]


def test_sqlite_file_and_data_dir_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which made the file 0644
    try:
        settings = load_settings(env={}, data_dir=tmp_path / "data")
        asyncio.run(crm_db.migrate(settings.database_url))
    finally:
        os.umask(old)
    database = Path(settings.database_url.removeprefix("sqlite://"))
    assert database.exists()
    for path in (database, *database.parent.glob(database.name + "-*")):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) & 0o077 == 0


def test_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = data / "prowebcrm.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)
    settings = load_settings(env={}, data_dir=data)
    assert stat.S_IMODE(database.stat().st_mode) == 0o644  # loading settings touches nothing
    asyncio.run(crm_db.migrate(settings.database_url))
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.parametrize("name", ["crm\x00", "a\nb", "tab\there", "\x1b[31mred", "bell\x07",
                                  "\u202eevil", "zero\u200bwidth", "line\u2028sep"])
async def test_token_names_refuse_control_characters(admin_client: Any, name: str) -> None:
    from crm.models import ApiToken

    client, csrf = admin_client
    me = await (await client.get("/api/v1/auth/me")).json()
    response = await client.post("/api/v1/tokens", json={"user_id": me["user"]["id"],
                                                         "name": name},
                                 headers={"X-CSRF-Token": csrf})
    assert response.status == 422
    assert "name" in (await response.json())["error"]["fields"]
    assert not await ApiToken.all().exists()
