"""B11 in the console: the Hold / Resume, Mute / Unmute buttons and the keypad tones, as the
agent clicks them (in French), and what a supervisor's page says of the call meanwhile."""

from __future__ import annotations

from crm.models import Role
from tests.console.browsing import acd_login, launch, log_in, needs_chromium, shot
from tests.console.conftest import GROUP_NUMBER, Product, make_group
from tests.web.webtools import make_user

pytestmark = needs_chromium


async def test_hold_mute_and_tones_from_the_call_card(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin", language="fr")
    await make_user("sup", Role.SUPERVISOR, name="Sam Super")
    await make_group([alice])
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")
            supervisor = await (await browser.new_context()).new_page()
            await log_in(supervisor, base, "sup", landing="/supervision")
            call_id = prod.sim.place_inbound_call(GROUP_NUMBER, "+33612345678", "Caller")
            await expect(page.locator("#call-card")).to_be_visible()
            # ringing: nothing to hold yet
            await expect(page.locator("#btn-hold")).to_be_hidden()
            await page.click("#sp-answer")
            await expect(page.locator("#btn-hold")).to_be_visible()
            await expect(page.locator("#btn-hold")).to_have_text("Mettre en attente")
            channels = prod.sim.engine.channels

            await page.click("#btn-hold")
            await expect(page.locator("#btn-resume")).to_be_visible()
            await expect(page.locator("#btn-hold")).to_be_hidden()
            await expect(page.locator("#call-held")).to_contain_text("musique")
            await expect(page.locator("#dtmf-form")).to_be_hidden()  # tones over music: no
            await prod.until(lambda: channels[call_id].moh_class is not None, what="music")
            state = supervisor.locator(f"tr[data-call='{call_id}'] .sv-call-state")
            await expect(state).to_have_text("Connected · on hold")
            await shot(page, "90-call-on-hold-fr")
            await page.click("#btn-resume")
            await expect(page.locator("#btn-hold")).to_be_visible()
            await expect(page.locator("#call-held")).to_be_hidden()
            await prod.until(lambda: channels[call_id].moh_class is None, what="music off")
            await expect(state).to_have_text("Connected")

            await page.click("#btn-mute")
            await expect(page.locator("#btn-unmute")).to_be_visible()
            await expect(page.locator("#call-muted")).to_be_visible()
            await expect(state).to_have_text("Connected · muted")
            await page.click("#btn-unmute")
            await expect(page.locator("#btn-mute")).to_be_visible()
            await expect(page.locator("#call-muted")).to_be_hidden()

            await page.fill("#dtmf-digits", "12#")
            await page.click("#btn-dtmf")
            await prod.until(lambda: channels[call_id].dtmf_sent == ["12#"], what="tones")
            await expect(page.locator("#dtmf-digits")).to_have_value("")
            await page.click("#btn-hangup")
            await expect(page.locator("#btn-hold")).to_be_hidden()
        finally:
            await browser.close()
