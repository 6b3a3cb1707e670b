"""Issue 14, item 1: the wrap-up in a real browser. An agent's unsaved wrap-up is never wiped:
the next call waits for the agent (not the other way round), the card shows a countdown and
an "extend" button, and a group can require an outcome before the agent can finish."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from crm import clients
from crm.models import Disposition, Intervention, Role
from tests.console.browsing import acd_login, launch, log_in, needs_chromium, shot
from tests.console.conftest import GROUP_NUMBER, Product, make_group
from tests.web.webtools import make_user

pytestmark = needs_chromium


def seconds_of(text: str) -> int:
    """'1:05' → 65 (the countdown's m:ss)."""
    match = re.search(r"(\d+):(\d\d)", text)
    assert match, f"no m:ss in {text!r}"
    return int(match.group(1)) * 60 + int(match.group(2))


async def countdown(page: Any) -> int:
    return seconds_of(await page.locator("#wrapup-countdown").inner_text())


async def test_unsaved_wrapup_holds_the_next_call(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    await make_group([alice], wrapup_s=5)
    await prod.reload_groups()
    await Disposition.create(code="sale", label="Sale")
    prod.sim.phones.add("201", behaviour="manual")
    dupont = await clients.create_client(
        {"last_name": "Dupont", "phones": [{"number": "0612345678"}]}, region="FR", actor=alice)

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")
            prod.sim.place_inbound_call(GROUP_NUMBER, "0612345678")
            await expect(page.locator("#record-title")).to_contain_text("Dupont")
            await page.click("#sp-answer")
            await expect(page.locator("#btn-hangup")).to_be_visible()
            await page.click("#btn-hangup")

            # The wrap-up card counts down the group's 5 s and offers more time.
            card = page.locator("#wrapup-card")
            await expect(card).to_be_visible()
            await expect(page.locator("#wrapup-countdown")).to_be_visible()
            await expect(page.locator("#btn-wrapup-extend")).to_be_visible()
            first = await countdown(page)
            assert 1 <= first <= 5, first
            await shot(page, "70-wrapup-countdown")

            # The agent starts writing; a caller is waiting meanwhile.
            await page.select_option("#wrapup-disposition", label="Sale")
            await page.fill("#wrapup-note", "Customer wants a callback on Monday about the quote")
            prod.sim.place_inbound_call(GROUP_NUMBER, "0699999999")
            await asyncio.sleep(7)  # well past the group's 5 s

            # Nothing was wiped and the waiting call did not ring.
            assert prod.state(alice.id) == "wrapup"
            await expect(card).to_be_visible()
            await expect(page.locator("#wrapup-note")).to_have_value(
                "Customer wants a callback on Monday about the quote")
            await expect(page.locator("#call-card")).to_be_hidden()
            assert prod.sim.phones.get("201").state == "idle"
            await shot(page, "71-wrapup-kept-while-typing")

            # Saved: the note is on the record, and now the waiting call comes to the agent.
            await page.click("#btn-wrapup")
            await expect(card).to_be_hidden()
            saved = await Intervention.filter(client_id=dupont.id).values_list("text", flat=True)
            assert saved == ["Customer wants a callback on Monday about the quote"]
            await expect(page.locator("#state-badge")).to_have_attribute("data-state", "ringing")
            await expect(page.locator("#call-card")).to_be_visible()
            await page.click("#sp-answer")
            await expect(page.locator("#btn-hangup")).to_be_visible()
            await page.click("#btn-hangup")

            # A wrap-up nobody touches ends with its time, and the card goes with it.
            await expect(card).to_be_visible()
            await expect(page.locator("#state-badge")).to_have_attribute(
                "data-state", "available", timeout=9000)
            await expect(card).to_be_hidden()
        finally:
            await browser.close()


async def test_required_outcome_and_extend(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin", language="fr")
    await make_group([alice], wrapup_s=20, wrapup_extend_s=30, wrapup_requires_outcome=True)
    await prod.reload_groups()
    await Disposition.create(code="sale", label="Sale", label_fr="Vente")
    prod.sim.phones.add("201", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")
            prod.sim.place_inbound_call(GROUP_NUMBER, "0612345678")
            await page.click("#sp-answer")
            await expect(page.locator("#btn-hangup")).to_be_visible()
            await page.click("#btn-hangup")
            await expect(page.locator("#wrapup-card")).to_be_visible()

            # An outcome is required: finishing is not possible without one, and says why.
            await expect(page.locator("#btn-wrapup")).to_be_disabled()
            await expect(page.locator("#wrapup-required")).to_be_visible()
            await expect(page.locator("#wrapup-disposition option", has_text="Vente")
                         ).to_have_count(1)
            before = await countdown(page)
            assert before <= 20

            # Extend: the group's 30 s are added to what is left, on the server too.
            await page.click("#btn-wrapup-extend")
            await expect(page.locator("#wrapup-countdown")).not_to_have_text(
                re.compile(r"^0:[0-2]\d$"))
            after = await countdown(page)
            assert before + 25 <= after <= before + 31, (before, after)
            await asyncio.sleep(1)
            assert prod.state(alice.id) == "wrapup"
            await shot(page, "72-wrapup-required-extended-fr")

            await page.select_option("#wrapup-disposition", label="Vente")
            await expect(page.locator("#btn-wrapup")).to_be_enabled()
            await page.click("#btn-wrapup")
            await expect(page.locator("#wrapup-card")).to_be_hidden()
            await expect(page.locator("#state-badge")).to_have_attribute("data-state", "available")
        finally:
            await browser.close()
