"""The whole day of an agent in a real browser (Debian chromium through Playwright) against
the full product served on a loopback port: ACD, simulated Asterisk, live events."""

from __future__ import annotations

from crm.models import Disposition, PauseReason, Role
from tests.console.browsing import launch, log_in, needs_chromium, shot
from tests.console.conftest import GROUP_NUMBER, Product, make_group
from tests.web.webtools import make_user

pytestmark = needs_chromium


async def test_agent_day_in_the_browser(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    bob = await make_user("bob", Role.AGENT, name="Bob Durand")
    await make_group([alice])
    await prod.reload_groups()
    await PauseReason.create(code="lunch", label="Lunch")
    await Disposition.create(code="sale", label="Sale")
    prod.sim.phones.add("201", behaviour="manual")
    prod.sim.phones.add("202", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        ctx1 = await browser.new_context(viewport={"width": 1280, "height": 900})
        ctx2 = await browser.new_context(viewport={"width": 1280, "height": 900})
        p1 = await ctx1.new_page()
        p2 = await ctx2.new_page()
        try:
            # S6: log in, then the ACD with an extension.
            await log_in(p1, base, "alice")
            await p1.fill("#acd-extension", "201")
            await p1.click("#acd-login-submit")
            await expect(p1.locator("#state-badge")).to_have_attribute("data-state", "available")
            await shot(p1, "01-logged-in-available")

            # S7: unknown caller, the pop appears without a reload.
            prod.sim.place_inbound_call(GROUP_NUMBER, "0612345678")
            await expect(p1.locator("#pop-card")).to_be_visible()
            await expect(p1.locator("#pop-title")).to_have_text("Unknown caller")
            await expect(p1.locator("#softphone")).to_have_attribute("data-state", "ringing")
            await shot(p1, "02-unknown-caller-pop")
            await p1.click("#sp-answer")
            await expect(p1.locator("#btn-hangup")).to_be_visible()

            # New client, number prefilled; then an intervention.
            await p1.click("#btn-new-client")
            await expect(p1.locator("#r-new-phone")).to_have_value("0612345678")
            await p1.fill("#r-last_name", "Dupont")
            await p1.fill("#r-company", "ACME")
            await p1.click("#record-save")
            await expect(p1.locator("#phone-list li")).to_have_count(1)
            await p1.fill("#intervention-text", "Asked for a quote")
            await p1.click("#intervention-save")
            await expect(p1.locator("#interventions details")).to_have_count(1)
            await shot(p1, "03-new-client-on-call")
            await p1.click("#btn-hangup")
            await expect(p1.locator("#wrapup-card")).to_be_visible()
            await p1.select_option("#wrapup-disposition", label="Sale")
            await p1.fill("#wrapup-note", "Quote sent")
            await p1.click("#btn-wrapup")
            await expect(p1.locator("#interventions details")).to_have_count(2)
            await expect(p1.locator("#wrapup-card")).to_be_hidden()
            await p1.locator("#interventions summary").nth(1).click()
            await expect(p1.locator(".intervention-text").nth(1)).to_have_text("Quote sent")
            await shot(p1, "04-after-wrapup-history")

            # Same number, another format: the record pops.
            prod.sim.place_inbound_call(GROUP_NUMBER, "+33 6 12 34 56 78")
            await expect(p1.locator("#record-title")).to_contain_text("Dupont")
            await expect(p1.locator("#btn-reject")).to_be_visible()
            await shot(p1, "05-known-caller-record-pops")
            await p1.click("#sp-answer")
            await expect(p1.locator("#btn-transfer")).to_be_visible()

            # Bob logs in in another browser; Alice transfers with the record.
            await log_in(p2, base, "bob")
            await p2.fill("#acd-extension", "202")
            await p2.click("#acd-login-submit")
            await expect(p2.locator("#state-badge")).to_have_attribute("data-state", "available")
            await p1.fill("#intervention-text", "Question about the invoice")
            await p1.click("#btn-transfer")
            await p1.select_option("#tr-agent", value=str(bob.id))
            await p1.click("#tr-go")
            await expect(p2.locator("#record-title")).to_contain_text("Dupont")
            await expect(p2.locator("#intervention-text")).to_have_value(
                "Question about the invoice")
            await shot(p2, "06-transferred-record-on-bob")
            await p2.click("#sp-answer")
            await expect(p2.locator("#btn-hangup")).to_be_visible()
            await p2.click("#btn-hangup")
            await expect(p2.locator("#wrapup-card")).to_be_visible()

            # Reject a ringing call.
            await expect(p1.locator("#state-badge")).to_have_attribute("data-state", "available")
            caller = prod.sim.place_inbound_call(GROUP_NUMBER, "0611111111")
            await expect(p1.locator("#btn-reject")).to_be_visible()
            await p1.click("#btn-reject")
            await expect(p1.locator("#call-card")).to_be_hidden()
            await shot(p1, "07-after-reject")
            prod.sim.hangup_call(caller)

            # Click-to-call from the record.
            await p1.click("#search-q")
            await p1.fill("#search-q", "dupont")
            await p1.press("#search-q", "Enter")
            await p1.locator("#search-results .result-pick").first.click()
            await expect(p1.locator("#record-title")).to_contain_text("Dupont")
            await expect(p1.locator("#state-badge")).to_have_attribute("data-state", "available")
            await p1.locator("#phone-list .call-btn").first.click()
            await expect(p1.locator("#softphone")).to_have_attribute("data-state", "ringing")
            await p1.click("#sp-answer")
            await expect(p1.locator("#btn-hangup")).to_be_visible()
            await shot(p1, "08-click-to-call")

            # S9: logging out during the call is refused with a message, then works.
            await p1.click("#btn-logout")
            await expect(p1.locator(".alert-error")).to_be_visible()
            await shot(p1, "09-logout-refused-on-call")
            await p1.click("#btn-hangup")
            await expect(p1.locator("#call-card")).to_be_hidden()
            await p1.click("#btn-logout")
            await p1.wait_for_url(f"{base}/login")
            await shot(p1, "10-logged-out")
            view = prod.acd.agent(alice.id)
            assert view is None or view.state.value == "logged_out"
        finally:
            await browser.close()
