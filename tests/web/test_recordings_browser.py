"""B9 in Chromium: the players of the supervisor's call history and of the client record
load the recording through HTTP Range requests (206) and can seek in it."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from crm.clock import utcnow
from crm.models import Call, Client, Recording, RecordingStatus, Role
from prowebcrm.settings import Settings
from tests.console.browsing import launch, log_in, needs_chromium, shot
from tests.console.conftest import free_port
from tests.web.webtools import make_user
from web.app import create_app

pytestmark = needs_chromium

SECONDS = 4


def _tone(path: Path) -> int:
    """A 440 Hz tone like Asterisk's wav (8 kHz, 16-bit, mono): something to decode."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 8000)))
                      for n in range(8000 * SECONDS))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(frames)
    return path.stat().st_size


@pytest.fixture
async def site(settings: Settings, tmp_path: Path) -> AsyncIterator[str]:
    folder = tmp_path / "recording"
    folder.mkdir()
    app = create_app(replace(settings, recordings_dir=str(folder)))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_players_load_and_seek_with_range_requests(site: str, settings: Settings,
                                                         tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    agent = await make_user("ann", name="Ann Agent")
    await make_user("sue", Role.SUPERVISOR, name="Sue Super")
    customer = await Client.create(last_name="Dupont", first_name="Jean")
    now = utcnow()
    await Call.create(ref="c-browser", caller_number="+33612345678", agent=agent,
                      client=customer, started_at=now, answered_at=now,
                      ended_at=now + timedelta(seconds=SECONDS), local_date=now.date(),
                      local_hour=now.hour, talk_s=float(SECONDS))
    path = tmp_path / "recording" / "pwrec-browser-1.wav"
    size = _tone(path)
    row = await Recording.create(name="pwrec-browser-1", call_ref="c-browser",
                                 agent_id=agent.id, path=str(path), started_at=now,
                                 ended_at=now, duration_s=float(SECONDS), size_bytes=size,
                                 status=RecordingStatus.OK)
    url = f"/recordings/{row.id}"
    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        ranged: list[tuple[str, int]] = []

        async def seen(response: Any) -> None:
            if response.url.endswith(url):
                headers = await response.request.all_headers()
                ranged.append((headers.get("range", ""), response.status))

        page.on("response", seen)
        try:
            await log_in(page, site, "sue", landing="/supervision")
            await expect(page.locator('a[href="/recordings"]')).to_be_visible()
            for where, selector in ((f"{site}/recordings", "#recordings audio"),
                                    (f"{site}/clients/{customer.id}", "#recorded-calls audio")):
                ranged.clear()
                await page.goto(where)
                player = page.locator(selector)
                await expect(player).to_have_count(1)
                await expect(player).to_have_attribute("src", url)
                duration = await player.evaluate(
                    """(a) => new Promise((done, fail) => {
                        a.addEventListener("loadedmetadata", () => done(a.duration));
                        a.addEventListener("error", () => fail(String(a.error && a.error.code)));
                        a.preload = "auto"; a.load();
                    })""")
                assert abs(duration - SECONDS) < 0.2, duration
                # seeking near the end: the browser asks for the part it needs
                await player.evaluate(
                    """(a) => new Promise((done) => {
                        a.addEventListener("seeked", () => done(a.currentTime), {once: true});
                        a.currentTime = a.duration - 0.5;
                    })""")
                kind = "history" if where.endswith("/recordings") else "record"
                await shot(page, f"95-recording-player-{kind}")
                assert any(r.startswith("bytes=") and status == 206 for r, status in ranged), (
                    where, ranged)
        finally:
            await browser.close()
