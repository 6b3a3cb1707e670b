"""Issue 14, items 5, 6 and 10 in the console: the call card says who is on the line (the
client's name, the number as French agents write it, group, wait, direction), an outbound
call looks like one and comes into view when ☎ is pressed, an offer costs at most one REST
call, and at 1366×768 the caller's interventions are on screen without scrolling."""

from __future__ import annotations

from typing import Any

from crm import clients, interventions
from crm.models import Role
from tests.console.browsing import acd_login, launch, log_in, needs_chromium, shot
from tests.console.conftest import GROUP_NUMBER, Product, make_group
from tests.web.webtools import make_user

pytestmark = needs_chromium


def count_api_calls(page: Any) -> list[str]:
    """The REST calls the page makes from now on (the demo softphone's excepted: it stands
    for a desk phone, not for the console)."""
    seen: list[str] = []

    def record(request: Any) -> None:
        if "/api/" in request.url and "/api/v1/demo/" not in request.url:
            seen.append(f"{request.method} {request.url.split('/api/', 1)[1]}")

    page.on("request", record)
    return seen


async def in_viewport(page: Any, selector: str) -> bool:
    return bool(await page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return r.top >= 0 && r.top < window.innerHeight && r.height > 0; }""",
        selector))


async def test_call_card_names_the_caller_and_outbound_looks_outbound(
        served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    group = await make_group([alice])
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")
    client = await clients.create_client(
        {"first_name": "Jean", "last_name": "Dupont", "company": "ACME",
         "phones": [{"number": "06 12 34 56 78"}]}, region="FR", actor=alice)
    for n in range(1, 13):
        await interventions.add_intervention(client.id, {"text": f"note {n}"}, agent=alice)

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")
            await page.wait_for_load_state("networkidle")
            calls = count_api_calls(page)

            # The network gives its own name ("Caller 91") and the number in E.164.
            prod.sim.place_inbound_call(GROUP_NUMBER, "+33612345678", "Caller 91")
            await expect(page.locator("#call-card")).to_be_visible()
            title = page.locator("#call-title")
            await expect(title).to_contain_text("Jean Dupont")
            await expect(title).not_to_contain_text("Caller 91")
            await expect(page.locator("#call-number")).to_have_text("06 12 34 56 78")
            meta = page.locator("#call-meta")
            await expect(meta).to_contain_text(group.name)
            await expect(meta).to_contain_text("waited")
            await expect(page.locator("#call-direction")).to_have_text("Incoming call")
            await expect(page.locator("#record-title")).to_contain_text("Dupont")
            await expect(page.locator("#interventions .intervention-text")).to_have_count(10)
            # Item 6: the caller's history is on screen at 1366×768, no scrolling.
            assert await in_viewport(page, "#interventions"), "interventions off-screen"
            await shot(page, "80-known-caller-card-1366")
            await page.click("#sp-answer")
            await expect(page.locator("#btn-hangup")).to_be_visible()
            # Item 10: everything the ringing and answered call needs came with its events.
            assert len(calls) <= 1, calls
            await page.click("#btn-hangup")
            await expect(page.locator("#wrapup-card")).to_be_visible()
            await page.click("#btn-wrapup")
            await expect(page.locator("#wrapup-card")).to_be_hidden()
            await expect(page.locator("#st-received")).to_have_text("1")

            # Click-to-call from the record, scrolled down to its phone numbers.
            await page.locator("#phone-list .call-btn").first.scroll_into_view_if_needed()
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            await page.locator("#phone-list .call-btn").first.click()
            await expect(page.locator("#call-card")).to_be_visible()
            await expect(page.locator("#call-direction")).to_have_text("Outgoing call")
            await expect(title).to_contain_text("Jean Dupont")
            await expect(page.locator("#call-number")).to_have_text("06 12 34 56 78")
            await expect(meta).not_to_contain_text("waited")
            await expect(page.locator("#btn-reject")).to_be_hidden()
            await page.wait_for_timeout(600)  # the card is brought into view
            assert await in_viewport(page, "#call-card"), "the outbound call is off-screen"
            await shot(page, "81-click-to-call-card-1366")
            await page.click("#sp-answer")
            await expect(page.locator("#state-badge")).to_have_attribute("data-state", "on_call")
            await page.click("#btn-hangup")
            # An outbound call is not a call the agent received.
            await page.wait_for_timeout(1000)
            await expect(page.locator("#st-received")).to_have_text("1")
        finally:
            await browser.close()


async def test_french_call_card_and_unknown_caller(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin", language="fr")
    await make_group([alice])
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1920, "height": 1080})
                      ).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")
            # A foreign number stays international; an unknown caller is said so.
            prod.sim.place_inbound_call(GROUP_NUMBER, "+442079460958", "Caller 7")
            await expect(page.locator("#call-title")).to_contain_text("Appelant inconnu")
            await expect(page.locator("#call-number")).to_have_text("+44 20 7946 0958")
            await expect(page.locator("#call-direction")).to_have_text("Appel entrant")
            await expect(page.locator("#pop-number")).to_have_text("+44 20 7946 0958")
            await shot(page, "82-unknown-foreign-caller-fr-1920")
        finally:
            await browser.close()


async def test_number_shared_by_several_clients_needs_no_request(
        served: tuple[Product, str]) -> None:
    """The pop carries the candidates for the number: the page asks nothing to show them."""
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    await make_group([alice])
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")
    for name in ("Durand & Fils", "Durand Immobilier"):
        await clients.create_client({"company": name, "phones": [{"number": "0145678901"}]},
                                    region="FR", actor=alice)

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")
            await page.wait_for_load_state("networkidle")
            calls = count_api_calls(page)
            prod.sim.place_inbound_call(GROUP_NUMBER, "+33145678901")
            await expect(page.locator("#pop-choices li")).to_have_count(2)
            await expect(page.locator("#call-title")).to_have_text("Known number (2 clients)")
            await expect(page.locator("#call-number")).to_have_text("01 45 67 89 01")
            assert not [c for c in calls if "lookup" in c], calls
            assert len(calls) <= 1, calls
        finally:
            await browser.close()
