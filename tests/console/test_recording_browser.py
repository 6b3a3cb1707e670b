"""B9 in the console: a group recording on demand shows the agent a Record button; pressing
it records (indicator on, a segment in Asterisk), Stop recording stops it; a group recording
every call shows the indicator and no button."""

from __future__ import annotations

import asyncio

from crm.models import Recording, Role
from tests.console.browsing import acd_login, launch, log_in, needs_chromium, shot
from tests.console.conftest import GROUP_NUMBER, Product, make_group
from tests.web.webtools import make_user

pytestmark = needs_chromium


async def test_record_button_on_demand(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    await make_group([alice], recording="on_demand")
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")
    recordings = prod.sim.engine.recordings

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")
            prod.sim.place_inbound_call(GROUP_NUMBER, "+33612345678", "Caller")
            await expect(page.locator("#call-card")).to_be_visible()
            await expect(page.locator("#btn-record")).to_be_hidden()  # ringing
            await page.click("#sp-answer")
            await expect(page.locator("#btn-record")).to_be_visible()
            await expect(page.locator("#call-recording")).to_be_hidden()
            assert not recordings
            await page.click("#btn-record")
            await expect(page.locator("#call-recording")).to_be_visible()
            await expect(page.locator("#btn-record-stop")).to_be_visible()
            await expect(page.locator("#btn-record")).to_be_hidden()
            await prod.until(lambda: len(recordings) == 1, what="a live recording")
            await shot(page, "96-recording-on-demand")
            # hold stops the segment, the button waits for the resume
            await page.click("#btn-hold")
            await expect(page.locator("#btn-record-stop")).to_be_hidden()
            await prod.until(lambda: not recordings, what="stopped on hold")
            await page.click("#btn-resume")
            await expect(page.locator("#btn-record-stop")).to_be_visible()
            await prod.until(lambda: len(recordings) == 1, what="recording again")
            await page.click("#btn-record-stop")
            await expect(page.locator("#call-recording")).to_be_hidden()
            await expect(page.locator("#btn-record")).to_be_visible()
            await prod.until(lambda: not recordings, what="stopped")
            await page.click("#btn-hangup")
            await expect(page.locator("#btn-record")).to_be_hidden()
            for _ in range(50):
                if await Recording.filter(agent_id=alice.id).count() == 2:
                    break
                await asyncio.sleep(0.1)
            assert await Recording.filter(agent_id=alice.id).count() == 2
        finally:
            await browser.close()


async def test_recording_all_shows_the_indicator_only(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    bob = await make_user("bob", Role.AGENT, name="Bob Durand")
    await make_group([bob], recording="all")
    await prod.reload_groups()
    prod.sim.phones.add("202", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "bob")
            await acd_login(page, "202")
            prod.sim.place_inbound_call(GROUP_NUMBER, "+33612345679", "Caller")
            await page.click("#sp-answer")
            await expect(page.locator("#call-recording")).to_be_visible()
            await expect(page.locator("#btn-record")).to_be_hidden()
            await expect(page.locator("#btn-record-stop")).to_be_hidden()
            await page.click("#btn-hangup")
        finally:
            await browser.close()


async def test_a_failed_recording_is_shown_and_the_call_goes_on(
        served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    from asterisk_sim.errors import AriError

    prod, base = served
    carol = await make_user("carol", Role.AGENT, name="Carol Petit")
    await make_group([carol], recording="all")
    await prod.reload_groups()
    prod.sim.phones.add("203", behaviour="manual")

    def broken(*args: object, **kwargs: object) -> dict[str, object]:
        raise AriError(500, "Internal Server Error")

    prod.sim.engine.bridge_record = broken  # type: ignore[method-assign]

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "carol")
            await acd_login(page, "203")
            call_id = prod.sim.place_inbound_call(GROUP_NUMBER, "+33612345670", "Caller")
            await page.click("#sp-answer")
            failed = page.locator("#call-recording-failed")
            await expect(failed).to_be_visible()
            await expect(failed).to_contain_text("Recording failed")
            await expect(page.locator("#call-recording")).to_be_hidden()
            await shot(page, "97-recording-failed")
            # the call is untouched: still connected, the agent still talks
            assert prod.sim.engine.channels[call_id].state == "Up"
            await expect(page.locator("#btn-hangup")).to_be_visible()
            for _ in range(50):  # the row is written beside the call: a moment later
                rows = await Recording.filter(agent_id=carol.id)
                if rows and rows[0].status.value != "recording":
                    break
                await asyncio.sleep(0.1)
            assert [r.status.value for r in rows] == ["failed"] and "500" in rows[0].error
            await page.click("#btn-hangup")
        finally:
            await browser.close()
