"""The rest of the console in a real browser, on the full product (ACD, simulated Asterisk):
attended, group and outside-number transfers carrying the record; the client record page
(field errors, phones, interventions); supervisor notices; French and the language switch.
Each step leaves a screenshot in test-artifacts/console/."""

from __future__ import annotations

from typing import Any

import aiohttp

from crm import clients, interventions
from crm.models import Client, ClientPhone, Disposition, PauseReason, Role
from tests.console.browsing import VIEWPORT, acd_login, launch, log_in, needs_chromium, shot
from tests.console.conftest import GROUP_NUMBER, Product, make_group
from tests.web.webtools import PASSWORD, make_user
from web.i18n import gettext, set_language

pytestmark = needs_chromium

CALLER = "0612345678"


async def known_client(actor: Any, **values: Any) -> Client:
    data = {"last_name": "Durand", "company": "ACME", "phones": [{"number": CALLER}]}
    data.update(values)
    return await clients.create_client(data, region="FR", actor=actor)


async def answer_known_call(prod: Product, page: Any, extension: str, name: str) -> None:
    """A call from the known client rings this agent: the record pops; the agent answers."""
    from playwright.async_api import expect

    prod.sim.place_inbound_call(GROUP_NUMBER, CALLER)
    await expect(page.locator("#record-title")).to_contain_text(name)
    await expect(page.locator("#btn-reject")).to_be_visible()
    await page.click("#sp-answer")
    await expect(page.locator("#btn-transfer")).to_be_visible()


async def open_transfer(page: Any, kind: str) -> None:
    await page.click("#btn-transfer")
    await page.select_option("#tr-kind", kind)


async def test_attended_group_and_outside_transfers(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    bob = await make_user("bob", Role.AGENT, name="Bob Durand")
    await make_group([alice])
    support = await make_group([bob], number="600")
    await prod.reload_groups()
    await known_client(alice)
    prod.sim.phones.add("201", behaviour="manual")
    prod.sim.phones.add("202", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        p1 = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        p2 = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        try:
            await log_in(p1, base, "alice")
            await acd_login(p1, "201")
            await log_in(p2, base, "bob")
            await acd_login(p2, "202")

            # Attended transfer: Bob is consulted; the record and the note go with the call.
            await answer_known_call(prod, p1, "201", "Durand")
            await p1.fill("#intervention-text", "Wants a new contract")
            await open_transfer(p1, "agent")
            await expect(p1.locator(f'#tr-agent option[value="{bob.id}"]')).to_contain_text(
                "Available")
            await p1.select_option("#tr-agent", str(bob.id))
            await p1.select_option("#tr-mode", "attended")
            await p1.click("#tr-go")
            await expect(p2.locator("#record-title")).to_contain_text("Durand")
            await expect(p2.locator("#intervention-text")).to_have_value("Wants a new contract")
            await expect(p2.locator("#call-meta")).to_contain_text(
                "Alice Martin is consulting you before a transfer")
            await shot(p2, "11-attended-consult-rings-bob-with-record")
            await p2.click("#sp-answer")
            await expect(p1.locator("#btn-complete")).to_be_visible()
            await expect(p1.locator("#btn-cancel-transfer")).to_be_visible()
            await expect(p1.locator("#btn-hangup")).to_be_hidden()
            await expect(p1.locator("#call-consulting")).to_be_visible()
            await shot(p1, "12-attended-consulting")

            # Cancel: Alice takes the caller back, Bob is free again.
            await p1.click("#btn-cancel-transfer")
            await expect(p1.locator("#btn-hangup")).to_be_visible()
            await expect(p2.locator("#call-card")).to_be_hidden()
            await expect(p2.locator("#state-badge")).to_have_attribute("data-state", "available")
            await shot(p1, "13-attended-cancelled-caller-back")

            # Again, and complete: Bob has the caller, Alice goes to wrap-up.
            await open_transfer(p1, "agent")
            await p1.select_option("#tr-agent", str(bob.id))
            await p1.select_option("#tr-mode", "attended")
            await p1.click("#tr-go")
            await expect(p2.locator("#btn-reject")).to_be_visible()
            await p2.click("#sp-answer")
            await expect(p1.locator("#btn-complete")).to_be_visible()
            await p1.click("#btn-complete")
            await expect(p1.locator("#wrapup-card")).to_be_visible()
            await expect(p2.locator("#btn-hangup")).to_be_visible()
            await expect(p2.locator("#record-title")).to_contain_text("Durand")
            await shot(p2, "14-attended-completed-bob-has-the-caller")
            await p1.click("#btn-wrapup")
            await expect(p1.locator("#wrapup-card")).to_be_hidden()
            await p2.click("#btn-hangup")
            await expect(p2.locator("#wrapup-card")).to_be_visible()
            await p2.click("#btn-wrapup")
            await expect(p2.locator("#state-badge")).to_have_attribute("data-state", "available")

            # Blind to a group: Bob's group queues the caller; his pop opens the same record.
            await expect(p1.locator("#state-badge")).to_have_attribute("data-state", "available")
            await answer_known_call(prod, p1, "201", "Durand")
            await p1.fill("#intervention-text", "Billing question")
            await open_transfer(p1, "group")
            await expect(p1.locator('#tr-mode option[value="attended"]')).to_be_disabled()
            await p1.select_option("#tr-group", str(support.id))
            await p1.click("#tr-go")
            await expect(p1.locator("#wrapup-card")).to_be_visible()
            await expect(p2.locator("#record-title")).to_contain_text("Durand")
            await expect(p2.locator("#intervention-text")).to_have_value("Billing question")
            await expect(p2.locator("#call-meta")).to_contain_text(support.name)
            await expect(p2.locator("#call-meta")).to_contain_text("transferred by Alice Martin")
            await shot(p2, "15-group-transfer-pops-bob")
            await p2.click("#sp-answer")
            await expect(p2.locator("#btn-hangup")).to_be_visible()
            await p2.click("#btn-hangup")
            await p2.click("#btn-wrapup")
            await p1.click("#btn-wrapup")

            # Blind to an outside number: the caller is bridged with it, Alice is free.
            await expect(p1.locator("#state-badge")).to_have_attribute("data-state", "available")
            await answer_known_call(prod, p1, "201", "Durand")
            await open_transfer(p1, "number")
            await p1.fill("#tr-number", "0145678901")
            await p1.click("#tr-go")
            await expect(p1.locator("#wrapup-card")).to_be_visible()
            await expect(p1.locator("#call-card")).to_be_hidden()
            outside = await prod.until(lambda: [p for p in prod.sim.phones.list()
                                                if p.outside and p.state == "in_call"],
                                       what="the outside number connected")
            await shot(p1, "16-transferred-to-outside-number")

            # "My day" counts what happened (the journal writes just behind the events), the
            # call handed outside once it is over.
            await p1.click("#btn-wrapup")
            prod.sim.phone(outside[0].ext).hangup()
            await expect(p1.locator("#st-transferred")).to_have_text("3")
            await expect(p1.locator("#st-answered")).to_have_text("3")
            await shot(p1, "17-my-day-after-transfers")
        finally:
            await browser.close()


async def test_client_record_page(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    _, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    sale = await Disposition.create(code="sale", label="Sale")
    client = await known_client(alice, last_name="Martin", first_name="Jeanne")
    long_text = "Called about the renewal. " * 12 + "Agreed on a 24-month contract."
    await interventions.add_intervention(client.id, {"text": "First contact"}, agent=alice)
    await interventions.add_intervention(client.id, {"text": long_text,
                                                     "disposition_id": sale.id}, agent=alice)

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "Remove this number?"
        try:
            await log_in(page, base, "alice")
            # The client list: search by any format of the number, open the record.
            await page.goto(f"{base}/clients")
            await page.fill("#search-q", "+33 6 12 34 56 78")
            await page.press("#search-q", "Enter")
            await page.locator("#search-results .result-pick").first.click()
            await page.wait_for_url(f"{base}/clients/{client.id}")
            await expect(page.locator("#r-last_name")).to_have_value("Martin")

            # A wrong e-mail: the field shows the error, nothing is saved.
            await page.fill("#r-email", "not-an-email")
            await page.fill("#r-city", "Lyon")
            await page.click("#record-save")
            email = page.locator('[data-field="email"]')
            await expect(email.locator(".error")).to_have_text("not a valid e-mail address")
            await expect(email).to_have_class("field has-error")
            await shot(page, "21-record-field-error")
            assert (await Client.get(id=client.id)).city == ""
            await page.fill("#r-email", "jeanne.martin@example.com")
            await page.click("#record-save")
            await expect(page.locator("#record-saved")).to_be_visible()
            await expect(email.locator(".error")).to_be_hidden()
            saved = await Client.get(id=client.id)
            assert (saved.email, saved.city) == ("jeanne.martin@example.com", "Lyon")

            # Phones: added normalized, a bad one refused with a message, one removed.
            await page.fill("#phone-add-number", "01 45 67 89 01")
            await page.fill("#phone-add-label", "office")
            await page.click("#phone-add button[type=submit]")
            await expect(page.locator("#phone-list li")).to_have_count(2)
            await expect(page.locator('#phone-list li[data-number="+33145678901"]')
                         ).to_contain_text("office")
            await page.fill("#phone-add-number", "12x")
            await page.click("#phone-add button[type=submit]")
            await expect(page.locator("#phone-add-error")).to_have_text(
                "not a valid phone number")
            await page.locator('#phone-list li[data-number="+33612345678"] .remove-phone').click()
            await expect(page.locator("#phone-list li")).to_have_count(1)
            numbers = await ClientPhone.filter(client_id=client.id).values_list("number",
                                                                                flat=True)
            assert numbers == ["+33145678901"]
            await shot(page, "22-record-phones")

            # Click-to-call without being in the call distribution: a clear refusal.
            await page.locator("#phone-list .call-btn").first.click()
            await expect(page.locator("#phone-error")).to_have_text(
                "Log in to the call distribution first.")

            # Interventions, oldest first, each expandable to its full text and details.
            items = page.locator("#interventions details")
            await expect(items).to_have_count(2)
            await expect(items.nth(0).locator("summary")).to_contain_text("First contact")
            await expect(items.nth(1).locator(".intervention-text")).to_be_hidden()
            await items.nth(1).locator("summary").click()
            await expect(items.nth(1).locator(".intervention-text")).to_have_text(long_text)
            meta = items.nth(1).locator(".intervention-body .muted")
            await expect(meta).to_contain_text("Agent: Alice Martin")
            await expect(meta).to_contain_text("Outcome: Sale")
            await shot(page, "23-record-intervention-expanded")
        finally:
            await browser.close()


async def supervisor_session(base: str) -> tuple[aiohttp.ClientSession, str]:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    response = await session.post(f"{base}/api/v1/auth/login",
                                  json={"login": "sophie", "password": PASSWORD})
    assert response.status == 200, await response.text()
    return session, (await response.json())["csrf_token"]


def fr(message: str, **params: Any) -> str:
    set_language("fr")
    try:
        text = gettext(message)
    finally:
        set_language("en")
    return text.format(**params) if "{" in text else text % params if params else text


async def test_supervisor_notices_in_french_then_english(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    await make_group([alice])
    await prod.reload_groups()
    await PauseReason.create(code="lunch", label="Lunch")
    await known_client(alice)
    prod.sim.phones.add("201", behaviour="manual")
    sup, token = await supervisor_session(base)
    csrf = {"X-CSRF-Token": token}

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport=VIEWPORT, locale="fr-FR")).new_page()
        try:
            # French from the browser's language, API errors included.
            await log_in(page, base, "alice")
            await expect(page.locator("html")).to_have_attribute("lang", "fr")
            await expect(page.locator("#stats-card h2")).to_have_text(fr("My day"))
            await page.fill("#acd-extension", "")
            await page.click("#acd-login-submit")
            # An empty field is said to be required (not "at least 1 characters").
            await expect(page.locator('[data-field="extension"] .error')).to_have_text(
                fr("this field is required"))
            await shot(page, "31-fr-acd-login-field-error")

            # Start paused with a reason (asked only then), then become available.
            await expect(page.locator('[data-field="reason"]')).to_be_hidden()
            await page.fill("#acd-extension", "201")
            await page.check('input[name="start"][value="paused"]')
            await page.select_option("#acd-reason", "lunch")
            await page.click("#acd-login-submit")
            await expect(page.locator("#state-badge")).to_have_text(fr("Paused"))
            await expect(page.locator("#state-detail")).to_contain_text("Lunch")
            await page.click("#btn-available")
            await expect(page.locator("#state-badge")).to_have_text(fr("Available"))

            # A forced pause during a call: deferred, and said so.
            await answer_known_call(prod, page, "201", "Durand")
            response = await sup.post(f"{base}/api/v1/supervision/agents/{alice.id}/pause",
                                      json={"reason": "lunch"}, headers=csrf)
            assert response.status == 200, await response.text()
            notice = page.locator('#notices .notice[data-action="pause"]')
            await expect(notice).to_contain_text(
                fr("%(name)s paused you (%(reason)s).", name="Sophie Lambert", reason="Lunch"))
            await expect(page.locator("#state-detail")).to_contain_text(
                fr("pause after this call"))
            await shot(page, "32-fr-supervisor-pause-notice")
            await notice.locator(".notice-close").click()
            await expect(notice).to_have_count(0)

            # A forced hang-up: notice, the call panel goes, wrap-up, then the pause applies.
            call_id = prod.acd.agent(alice.id).call_id
            response = await sup.post(f"{base}/api/v1/supervision/calls/hangup",
                                      json={"call_id": call_id}, headers=csrf)
            assert response.status == 200, await response.text()
            await expect(page.locator('#notices .notice[data-action="hangup"]')).to_contain_text(
                fr("%(name)s hung up your call.", name="Sophie Lambert"))
            await expect(page.locator("#call-card")).to_be_hidden()
            await expect(page.locator("#wrapup-card")).to_be_visible()
            await shot(page, "33-fr-supervisor-hangup-notice")
            await page.click("#btn-wrapup")
            await expect(page.locator("#state-badge")).to_have_attribute("data-state", "paused")
            await expect(page.locator("#state-badge")).to_have_text(fr("Paused"))

            # The switch: the same page in English.
            await page.click('.lang-switch button[value="en"]')
            await expect(page.locator("html")).to_have_attribute("lang", "en")
            await expect(page.locator("#stats-card h2")).to_have_text("My day")
            await expect(page.locator("#state-badge")).to_have_text("Paused")
            await expect(page.locator("#state-detail")).to_contain_text("Lunch")
            await shot(page, "34-en-after-language-switch")

            # A forced transfer to an outside number: the notice names where the call went.
            await page.click("#btn-available")
            await answer_known_call(prod, page, "201", "Durand")
            call_id = prod.acd.agent(alice.id).call_id
            response = await sup.post(f"{base}/api/v1/supervision/calls/transfer", headers=csrf,
                                      json={"call_id": call_id, "kind": "number",
                                            "value": "0145678901"})
            assert response.status == 200, await response.text()
            await expect(page.locator('#notices .notice[data-action="transfer"]')
                         ).to_contain_text("Sophie Lambert transferred your call to 0145678901.")
            await expect(page.locator("#wrapup-card")).to_be_visible()
            await page.click("#btn-wrapup")
            await expect(page.locator("#state-badge")).to_have_attribute("data-state",
                                                                         "available")

            # A forced logout from the ACD: the notice, and the console offers to log in again.
            response = await sup.post(f"{base}/api/v1/supervision/agents/{alice.id}/logout",
                                      json={}, headers=csrf)
            assert response.status == 200, await response.text()
            await expect(page.locator('#notices .notice[data-action="logout"]')).to_contain_text(
                "Sophie Lambert logged you out of the call distribution.")
            await expect(page.locator("#acd-login")).to_be_visible()
            await expect(page.locator("#st-answered")).to_have_text("2")
            await shot(page, "35-en-supervisor-logout-notice")
        finally:
            await browser.close()
            await sup.close()


async def test_pop_with_several_clients_and_attaching_a_new_number(
        served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    await make_group([alice])
    await prod.reload_groups()
    await known_client(alice, last_name="Durand", company="ACME")
    twin = await known_client(alice, last_name="Durand", company="Durand & Fils")
    prod.sim.phones.add("201", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        try:
            await log_in(page, base, "alice")
            await acd_login(page, "201")

            # Two clients share the number: the agent picks one; the call is linked to it.
            prod.sim.place_inbound_call(GROUP_NUMBER, "06 12 34 56 78")
            await expect(page.locator("#pop-title")).to_have_text("Known number")
            await expect(page.locator("#pop-choices li")).to_have_count(2)
            await expect(page.locator("#pop-meta")).to_contain_text("Group Sales 500")
            await expect(page.locator("#pop-meta")).to_contain_text("waited")
            await shot(page, "41-pop-several-clients")
            await page.locator("#pop-choices button", has_text="Durand & Fils").click()
            await expect(page.locator("#record-title")).to_contain_text("Durand & Fils")
            call_id = prod.acd.agent(alice.id).call_id
            await prod.until(lambda: prod.acd.call(call_id).client_id == twin.id,
                             what="the call linked to the chosen client")
            await page.click("#sp-answer")
            await page.click("#btn-hangup")
            await page.click("#btn-wrapup")
            await expect(page.locator("#state-badge")).to_have_attribute("data-state",
                                                                         "available")

            # An unknown number: "search", then attach the number to the client found.
            prod.sim.place_inbound_call(GROUP_NUMBER, "0698765432")
            await expect(page.locator("#pop-title")).to_have_text("Unknown caller")
            await page.click("#btn-pop-search")
            await expect(page.locator("#search-hint")).to_be_visible()
            await page.fill("#search-q", "fils")
            await page.press("#search-q", "Enter")
            await page.locator("#search-results .attach-btn").first.click()
            await expect(page.locator('#phone-list li[data-number="+33698765432"]')
                         ).to_be_visible()
            await expect(page.locator("#pop-card")).to_be_hidden()
            call_id = prod.acd.agent(alice.id).call_id
            await prod.until(lambda: prod.acd.call(call_id).client_id == twin.id,
                             what="the unknown caller's call linked to the client")
            numbers = await ClientPhone.filter(client_id=twin.id).values_list("number",
                                                                              flat=True)
            assert sorted(numbers) == ["+33612345678", "+33698765432"]
            await shot(page, "42-unknown-number-attached-to-client")
        finally:
            await browser.close()


async def test_csv_import_page(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    _, base = served
    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    bad = "nom;prenom;telephone;email\nDurand;Ana;0611223344;\nMartin;Luc;12x;luc@\n"
    good = "nom;prenom;telephone\nDurand;Ana;0611223344\nMartin;Luc;+33611223344\n"

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        try:
            await log_in(page, base, "sophie", landing="/supervision")
            await page.goto(f"{base}/clients/import")
            await page.set_input_files("#import-file", files=[{
                "name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
            await page.click("#import-preview")
            await expect(page.locator("#import-rows tr.row-error")).to_have_count(1)
            await expect(page.locator("#import-rows tr.row-error")).to_contain_text(
                "not a valid phone number")
            await expect(page.locator("#import-apply")).to_be_disabled()
            await shot(page, "51-import-preview-row-errors")
            assert await Client.all().count() == 0

            await page.set_input_files("#import-file", files=[{
                "name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}])
            await page.click("#import-preview")
            await expect(page.locator("#import-rows tr.row-dup")).to_have_count(1)
            await expect(page.locator("#import-rows tr.row-dup")).to_contain_text(
                "same number as line 2")
            await expect(page.locator("#import-apply")).to_be_enabled()
            await page.click("#import-apply")
            await expect(page.locator("#import-summary")).to_have_text(
                "Imported: 1 created, 0 merged, 1 skipped.")
            await shot(page, "52-import-done")
            assert await Client.all().count() == 1
        finally:
            await browser.close()
