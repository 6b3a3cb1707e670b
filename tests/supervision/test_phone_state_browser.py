"""Phone state (issue 12) on the pages, in a real browser: the supervision page tags an agent
whose phone is unreachable or busy with another call, and that agent's console says why no
call comes, in English and in French. Screenshots go to test-artifacts/supervision/."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from crm.models import Group, GroupMember, Role
from stasis_app.acd.inputs import PhoneStateChanged
from stasis_app.acd.model import PhoneState
from tests.supervision.test_supervision_browser import (
    ARGS,
    ARTIFACTS,
    CHROMIUM,
    french,
    log_in,
    pytestmark,
    shot,
)
from tests.web.webtools import make_user
from web.appkeys import RUNTIME_KEY, SERVICES_KEY

__all__ = ["pytestmark"]


async def test_phone_tags_and_console_message(acd_app: tuple[web.Application, TestClient],
                                              sim: Any) -> None:
    from playwright.async_api import async_playwright, expect

    app, client = acd_app
    acd = app[RUNTIME_KEY]
    runtime = app[SERVICES_KEY]["rt"]
    await make_user("sup", Role.SUPERVISOR, name="Sue Supervisor")
    ann = await make_user("ann", Role.AGENT, name="Ann Agent")
    bob = await make_user("bob", Role.AGENT, name="Bob Agent")
    sales = await Group.create(name="Sales", number="3001", ring_timeout_s=60, wrapup_s=0,
                               autopause_after=0)
    for pos, agent in enumerate((ann, bob)):
        await GroupMember.create(user=agent, group=sales, penalty=0, position=pos)
    await runtime.reload_groups()
    base = str(client.make_url("/")).rstrip("/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def phone(ext: str, state: PhoneState) -> None:
        runtime.controller.submit(PhoneStateChanged(now=runtime.controller.clock(),
                                                    extension=ext, state=state))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        errors: list[str] = []
        sup_ctx = await browser.new_context(viewport={"width": 1400, "height": 900},
                                            locale="en-US")
        page = await sup_ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await log_in(page, base, "sup")
        await page.wait_for_selector("#sv-conn[data-state=open]")
        sim.phones.add("2001", behaviour="manual")
        sim.phones.add("2002", behaviour="manual")
        await acd.login(ann.id, "2001")
        await acd.login(bob.id, "2002")
        ann_row = f"#sv-agents tr[data-agent='{ann.id}']"
        bob_row = f"#sv-agents tr[data-agent='{bob.id}']"
        await page.wait_for_selector(f"{ann_row}[data-state=available]")
        await page.wait_for_selector(f"{bob_row}[data-state=available]")
        assert await page.locator("#sv-agents .sv-phone").count() == 0

        agent_ctx = await browser.new_context(viewport={"width": 1280, "height": 900},
                                              locale="fr-FR")
        console = await agent_ctx.new_page()
        console.on("pageerror", lambda exc: errors.append(str(exc)))
        await log_in(console, base, "ann")
        await expect(console.locator("#state-badge")).to_have_attribute("data-state",
                                                                         "available")
        await expect(console.locator("#phone-notice")).to_be_hidden()

        phone("2001", PhoneState.UNREACHABLE)
        phone("2002", PhoneState.IN_USE)
        tag = page.locator(f"{ann_row} .sv-phone[data-phone=unreachable]")
        await expect(tag).to_have_text("phone unreachable")
        await expect(page.locator(f"{bob_row} .sv-phone[data-phone=in_use]")).to_have_text(
            "phone busy")
        notice = console.locator("#phone-notice")
        await expect(notice).to_be_visible()
        assert french("Your phone is unreachable: no call is offered to you until it is "
                      "registered again.") == await notice.inner_text()
        assert "injoignable" in await notice.inner_text()
        await shot(page, "phone-state-tags.png")
        await shot(console, "phone-state-console-fr.png")

        phone("2001", PhoneState.IDLE)
        phone("2002", PhoneState.IDLE)
        await expect(page.locator("#sv-agents .sv-phone")).to_have_count(0)
        await expect(notice).to_be_hidden()
        assert not errors, errors
        await browser.close()
