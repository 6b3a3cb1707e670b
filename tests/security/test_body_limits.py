"""Item 12: a CSV import of 50 000 rows fits (more than aiohttp's 1 MiB default), while
every other route keeps the small limit, and too big is a clear 413."""

from __future__ import annotations

from typing import Any

from crm.models import Client
from web.api.clients import IMPORT_MAX_BODY


def _csv(rows: int) -> str:
    lines = ["first_name,last_name,company,address,phone"]
    street = "avenue des Champs-Élysées, bâtiment B, escalier 4, porte gauche"
    lines += [f"Prénom{n},Nom{n},Société numéro {n},\"{n} {street}\",+33612{n:06d}"
              for n in range(rows)]
    return "\n".join(lines) + "\n"


async def test_a_large_csv_import_is_accepted(admin_client: Any) -> None:
    client, csrf = admin_client
    text = _csv(12_000)
    assert len(text.encode()) > 1_500_000
    headers = {"X-CSRF-Token": csrf}
    preview = await client.post("/api/v1/clients/import/preview", json={"csv": text},
                                headers=headers)
    assert preview.status == 200, (await preview.text())[:300]
    assert (await preview.json())["ok"] is True
    done = await client.post("/api/v1/clients/import", json={"csv": text}, headers=headers)
    assert done.status == 200, (await done.text())[:300]
    assert (await done.json())["created"] == 12_000
    assert await Client.all().count() == 12_000


async def test_too_big_is_413_with_the_error_shape(admin_client: Any) -> None:
    client, csrf = admin_client
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    huge = b'{"csv": "' + b"a" * (IMPORT_MAX_BODY + 10) + b'"}'
    response = await client.post("/api/v1/clients/import/preview", data=huge, headers=headers)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"


async def test_other_routes_keep_the_default_limit(admin_client: Any) -> None:
    client, csrf = admin_client
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    body = b'{"last_name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = await client.post("/api/v1/clients", data=body, headers=headers)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"
