"""B9: playing recordings — HTTP Range, who may hear and download which, CSRF, 404s, pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from crm import recordings as rec
from crm.clock import utcnow
from crm.models import Call, Client, Recording, RecordingStatus, Role, User
from prowebcrm.settings import Settings
from tests.web.webtools import login, make_user
from web.app import create_app

WAV = b"RIFF" + bytes(range(256)) * 40  # 10 244 bytes, each position recognisable


@pytest.fixture
def rec_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "recording"
    folder.mkdir()
    return folder


@pytest.fixture
def app(settings: Settings, rec_dir: Path) -> web.Application:
    return create_app(replace(settings, recordings_dir=str(rec_dir)))


async def _recording(rec_dir: Path, agent: User, name: str, *, client: Client | None = None,
                     status: RecordingStatus = RecordingStatus.OK, with_file: bool = True,
                     caller: str = "+33612345678") -> Recording:
    ref = f"call-{name}"
    now = utcnow()
    await Call.create(ref=ref, caller_number=caller, agent=agent, client=client,
                      started_at=now, answered_at=now, ended_at=now + timedelta(seconds=30),
                      local_date=now.date(), local_hour=now.hour, talk_s=30.0)
    if with_file:
        (rec_dir / f"{name}.wav").write_bytes(WAV)
    return await Recording.create(
        name=name, call_ref=ref, agent_id=agent.id, group_id=None,
        path=str(rec_dir / f"{name}.wav"), started_at=now, ended_at=now, duration_s=30.0,
        size_bytes=len(WAV), status=status, error="disk <full>" if status.value == "failed"
        else "")


async def test_range_requests_are_answered_with_206(client: TestClient, rec_dir: Path) -> None:
    agent = await make_user("ann")
    row = await _recording(rec_dir, agent, "pwrec-a-1")
    await login(client, "ann")
    whole = await client.get(f"/recordings/{row.id}")
    assert whole.status == 200
    assert whole.headers["Content-Type"] == "audio/wav"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert await whole.read() == WAV
    assert "Content-Disposition" not in whole.headers
    part = await client.get(f"/recordings/{row.id}", headers={"Range": "bytes=100-199"})
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(WAV)}"
    assert await part.read() == WAV[100:200]
    tail = await client.get(f"/recordings/{row.id}", headers={"Range": "bytes=10000-"})
    assert tail.status == 206 and await tail.read() == WAV[10000:]
    beyond = await client.get(f"/recordings/{row.id}",
                              headers={"Range": f"bytes={len(WAV) + 10}-"})
    assert beyond.status == 416


async def test_agents_hear_their_own_calls_only_supervisors_all(
        client: TestClient, new_client: Any, rec_dir: Path) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    await make_user("sue", Role.SUPERVISOR)
    mine = await _recording(rec_dir, ann, "pwrec-ann-1")
    theirs = await _recording(rec_dir, bob, "pwrec-bob-1")
    await login(client, "ann")
    assert (await client.get(f"/recordings/{mine.id}")).status == 200
    assert (await client.get(f"/recordings/{theirs.id}")).status == 404  # not 403: no hint
    # agents do not download
    assert (await client.get(f"/recordings/{mine.id}?download=1")).status == 403
    sup = await new_client()
    await login(sup, "sue")
    for row in (mine, theirs):
        response = await sup.get(f"/recordings/{row.id}?download=1")
        assert response.status == 200
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="recording-{row.id}.wav"')
    anonymous = await new_client()
    response = await anonymous.get(f"/recordings/{mine.id}", allow_redirects=False)
    assert response.status == 303


async def test_unknown_failed_and_gone_recordings_are_404(client: TestClient, rec_dir: Path
                                                          ) -> None:
    await make_user("sue", Role.SUPERVISOR)
    sue = await User.get(login="sue")
    failed = await _recording(rec_dir, sue, "pwrec-f-1", status=RecordingStatus.FAILED,
                              with_file=False)
    gone = await _recording(rec_dir, sue, "pwrec-g-1", with_file=False)
    await login(client, "sue")
    for path in ("/recordings/999999", f"/recordings/{failed.id}", f"/recordings/{gone.id}",
                 "/recordings/abc", "/recordings/99999999999999"):
        assert (await client.get(path)).status == 404, path


async def test_record_toggle_needs_csrf_and_the_agent_role(client: TestClient,
                                                          new_client: Any) -> None:
    await make_user("ann")
    token = await login(client, "ann")
    response = await client.post("/api/v1/agent/call/record", json={"on": True})
    assert response.status == 403  # no CSRF token
    response = await client.post("/api/v1/agent/call/record", json={"on": "yes"},
                                 headers={"X-CSRF-Token": token})
    assert response.status == 422
    response = await client.post("/api/v1/agent/call/record", json={},
                                 headers={"X-CSRF-Token": token})
    assert response.status == 503  # no ACD in this app
    anonymous = await new_client()
    assert (await anonymous.post("/api/v1/agent/call/record", json={})).status == 401


async def test_client_calls_list_their_recordings(client: TestClient, new_client: Any,
                                                  rec_dir: Path) -> None:
    ann = await make_user("ann")
    bob = await make_user("bob")
    await make_user("sue", Role.SUPERVISOR)
    customer = await Client.create(last_name="Doe")
    ok = await _recording(rec_dir, ann, "pwrec-c-1", client=customer)
    await _recording(rec_dir, ann, "pwrec-c-2", client=customer, status=RecordingStatus.FAILED,
                     with_file=False)
    await _recording(rec_dir, bob, "pwrec-c-3", client=customer)
    await login(client, "ann")
    data = await (await client.get(f"/api/v1/clients/{customer.id}/calls")).json()
    heard = [r for c in data["items"] for r in c["recordings"]]
    assert {r["status"] for r in heard} == {"ok", "failed"}  # bob's call: not ann's to hear
    [playable] = [r for r in heard if r["status"] == "ok"]
    assert playable["url"] == f"/recordings/{ok.id}" and playable["download_url"] is None
    sup = await new_client()
    await login(sup, "sue")
    data = await (await sup.get(f"/api/v1/clients/{customer.id}/calls")).json()
    heard = [r for c in data["items"] for r in c["recordings"]]
    assert len(heard) == 3
    assert all(r["download_url"] == r["url"] + "?download=1" for r in heard if r["url"])


async def test_supervisor_history_page_plays_and_escapes(client: TestClient, new_client: Any,
                                                         rec_dir: Path) -> None:
    ann = await make_user("ann", name="<b>Ann</b>")
    await make_user("sue", Role.SUPERVISOR)
    ok = await _recording(rec_dir, ann, "pwrec-h-1")
    await _recording(rec_dir, ann, "pwrec-h-2", status=RecordingStatus.FAILED, with_file=False)
    await login(client, "sue")
    html = await (await client.get("/recordings")).text()
    assert f'<audio controls preload="none" src="/recordings/{ok.id}"></audio>' in html
    assert f'href="/recordings/{ok.id}?download=1"' in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html and "<b>Ann</b>" not in html
    assert "disk &lt;full&gt;" in html
    agent = await new_client()
    await login(agent, "ann")
    response = await agent.get("/recordings", allow_redirects=False)
    assert response.status in (403, 303)


async def test_purge_deletes_old_files_and_rows(db: str, rec_dir: Path) -> None:
    ann = await make_user("ann")
    old = await _recording(rec_dir, ann, "pwrec-old")
    new = await _recording(rec_dir, ann, "pwrec-new")
    await Recording.filter(id=old.id).update(started_at=utcnow() - timedelta(days=40))
    assert await rec.purge(rec_dir, 0) == 0
    assert await rec.purge(rec_dir, 30) == 1
    assert not (rec_dir / "pwrec-old.wav").exists() and (rec_dir / "pwrec-new.wav").exists()
    assert [r.id for r in await Recording.all()] == [new.id]
